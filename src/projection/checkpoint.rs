//! A projection as bytes, for checkpoints: everything the fold holds, so that folding the events after it gives
//! exactly what folding the whole log would.
//!
//! The body starts with [`FORMAT`] (u32, little-endian), then, in postcard (a compact serde format), a header with
//! what every office shares (configuration, position, the holidays of every office, display names, observed
//! calendars, the number of offices), then one section per office: its id and its projection as a byte string.
//! A reader that needs one office decodes the header and that office's section and skips the others' bytes
//! ([`decode_scoped`]). Identifiers, zones and causes are written as their wire strings and validated again when
//! read, and the holidays of every office as their canonical wire JSON. The log frames the body with its position,
//! digest and checksum (the `checkpoints` module of the log); this module only says what a projection is in bytes.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::domain::event::Event;
use crate::domain::id::OfficeId;
use crate::projection::calendar::CalendarChange;
use crate::projection::names::Names;
use crate::projection::observed::ObservedOffice;
use crate::projection::office::{OfficeProjection, holiday_change};
use crate::projection::{Config, Packing, Projection};

/// The body layout this version writes and reads. Raise it whenever the projection's stored fields change: a
/// checkpoint of another format is ignored and the projection folded from the log.
pub const FORMAT: u32 = 4;

/// Why a body is not this version's projection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("is of projection format {found}; this version reads format {FORMAT}")]
    Format { found: u32 },
    #[error(
        "was made with zone {zone} and horizon {horizon} days; this projection computes with zone {wanted_zone} and horizon {wanted_horizon} days"
    )]
    Config { zone: String, horizon: u32, wanted_zone: String, wanted_horizon: u32 },
    #[error("holds position {found}, not the position {framed} it is framed with")]
    Position { found: u64, framed: u64 },
    #[error("cannot be decoded: {0}")]
    Undecodable(String),
}

/// What every office shares, written before the offices' sections.
#[derive(Serialize, Deserialize)]
struct Header<G, N, O> {
    config: Config,
    packing: Packing,
    position: u64,
    global_holidays: G,
    names: N,
    observed: O,
    offices: u32,
}

/// The holidays of every office, written as wire JSON.
#[derive(Serialize)]
struct HolidaysOut<'a>(#[serde(with = "wire_events")] &'a Vec<(u64, Event)>);

#[derive(Deserialize)]
struct HolidaysIn(#[serde(with = "wire_events")] Vec<(u64, Event)>);

/// Writes `projection` as a checkpoint body.
pub fn encode(projection: &Projection, out: &mut dyn Write) -> io::Result<()> {
    let undecodable = |e: postcard::Error| io::Error::other(e.to_string());
    out.write_all(&FORMAT.to_le_bytes())?;
    let header = Header {
        config: projection.config,
        packing: projection.packing,
        position: projection.position,
        global_holidays: HolidaysOut(&projection.global_holidays),
        names: &projection.names,
        observed: &projection.observed,
        offices: projection.offices.len() as u32,
    };
    postcard::to_io(&header, &mut *out).map_err(undecodable)?;
    for (id, office) in &projection.offices {
        let bytes = postcard::to_allocvec(office).map_err(undecodable)?;
        postcard::to_io(&(id, serde_bytes::Bytes::new(&bytes)), &mut *out).map_err(undecodable)?;
    }
    Ok(())
}

/// Reads a checkpoint body framed at log position `framed`, for a projection that computes with `config`.
pub fn decode(body: &[u8], framed: u64, config: &Config) -> Result<Projection, Refused> {
    let projection = decode_any(body, framed)?;
    check_config(&projection, config)?;
    Ok(projection)
}

/// [`decode`], where `scope` names an office reading only that office: a projection [scoped](Projection::scoped)
/// to it, which folds the events of that office (and the holidays of every office) and ignores the others'.
/// Cheaper than [`decode`] by as much as the other offices' sections would cost.
pub fn decode_scoped(
    body: &[u8],
    framed: u64,
    config: &Config,
    scope: Option<&OfficeId>,
) -> Result<Projection, Refused> {
    let projection = read(body, framed, scope)?;
    check_config(&projection, config)?;
    Ok(projection)
}

/// Reads a checkpoint body framed at log position `framed`, whatever configuration it was made with (`verify`).
pub fn decode_any(body: &[u8], framed: u64) -> Result<Projection, Refused> {
    read(body, framed, None)
}

fn check_config(projection: &Projection, config: &Config) -> Result<(), Refused> {
    if projection.config != *config {
        return Err(Refused::Config {
            zone: projection.config.zone.name().to_owned(),
            horizon: projection.config.horizon_days,
            wanted_zone: config.zone.name().to_owned(),
            wanted_horizon: config.horizon_days,
        });
    }
    Ok(())
}

/// The projection of a body, every office or only `scope`.
fn read(body: &[u8], framed: u64, scope: Option<&OfficeId>) -> Result<Projection, Refused> {
    let undecodable = |e: postcard::Error| Refused::Undecodable(e.to_string());
    let (format, rest) = body.split_first_chunk::<4>().ok_or(Refused::Undecodable("too short".into()))?;
    let found = u32::from_le_bytes(*format);
    if found != FORMAT {
        return Err(Refused::Format { found });
    }
    let (header, mut rest): (Header<HolidaysIn, Names, BTreeMap<OfficeId, ObservedOffice>>, _) =
        postcard::take_from_bytes(rest).map_err(undecodable)?;
    if header.position != framed {
        return Err(Refused::Position { found: header.position, framed });
    }
    // Each office's section marks the holidays of every office; the header holds them, shared by all offices.
    let global_holidays = header.global_holidays.0;
    let holiday_changes: Vec<Arc<CalendarChange>> =
        global_holidays.iter().filter_map(|(_, event)| holiday_change(event)).collect();
    if holiday_changes.len() != global_holidays.len() {
        return Err(Refused::Undecodable("a holiday of every office that is not a holiday_declared event".into()));
    }
    let shared: HashMap<u64, Arc<CalendarChange>> =
        global_holidays.iter().map(|(position, _)| *position).zip(holiday_changes.iter().cloned()).collect();
    let mut offices = BTreeMap::new();
    for _ in 0..header.offices {
        let ((id, bytes), tail): ((OfficeId, &serde_bytes::Bytes), _) =
            postcard::take_from_bytes(rest).map_err(undecodable)?;
        rest = tail;
        if scope.is_some_and(|wanted| *wanted != id) {
            continue;
        }
        let mut office: OfficeProjection = postcard::from_bytes(bytes).map_err(undecodable)?;
        if *office.id() != id {
            return Err(Refused::Undecodable(format!("the section of office {id} holds office {}", office.id())));
        }
        let invalid = |e: String| Refused::Undecodable(format!("office {id}: {e}"));
        office.share_holidays(&shared).map_err(invalid)?;
        office.check_settled().map_err(invalid)?;
        offices.insert(id, office);
    }
    if !rest.is_empty() {
        return Err(Refused::Undecodable(format!("{} bytes after the last office", rest.len())));
    }
    let projection = Projection {
        config: header.config,
        packing: header.packing,
        scope: None,
        offices,
        holiday_changes,
        global_holidays,
        names: header.names,
        observed: header.observed,
        position: header.position,
    };
    Ok(match scope {
        Some(office) => projection.scoped(office.clone()),
        None => projection,
    })
}

/// The holidays of every office, as (position, event) pairs in their canonical wire JSON.
mod wire_events {
    use super::Event;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(events: &[(u64, Event)], s: S) -> Result<S::Ok, S::Error> {
        let lines: Vec<(u64, String)> =
            events.iter().map(|(p, e)| (*p, crate::domain::wire::to_json_line(e))).collect();
        lines.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(u64, Event)>, D::Error> {
        let lines = Vec::<(u64, String)>::deserialize(d)?;
        lines
            .into_iter()
            .map(|(p, line)| {
                crate::domain::wire::parse_event(&line).map(|e| (p, e)).map_err(|errors| {
                    let reasons: Vec<String> = errors.iter().map(ToString::to_string).collect();
                    serde::de::Error::custom(format!("holiday at position {p}: {}", reasons.join("; ")))
                })
            })
            .collect()
    }
}
