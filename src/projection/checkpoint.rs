//! A projection as bytes, for checkpoints: everything the fold holds, so that folding the events after it gives
//! exactly what folding the whole log would.
//!
//! The body starts with [`FORMAT`] (u32, little-endian), then the projection in postcard, a compact serde format.
//! Identifiers, zones and causes are written as their wire strings and validated again when read, and the
//! holidays of every office as their canonical wire JSON. The log frames the body with its position, digest and
//! checksum (the `checkpoints` module of the log); this module only says what a projection is in bytes.

use std::io::{self, Write};

use crate::domain::event::Event;
use crate::projection::{Config, Projection};

/// The body layout this version writes and reads. Raise it whenever the projection's stored fields change: a
/// checkpoint of another format is ignored and the projection folded from the log.
pub const FORMAT: u32 = 2;

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

/// Writes `projection` as a checkpoint body.
pub fn encode(projection: &Projection, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(&FORMAT.to_le_bytes())?;
    postcard::to_io(projection, out).map_err(|e| io::Error::other(e.to_string()))?;
    Ok(())
}

/// Reads a checkpoint body framed at log position `framed`, for a projection that computes with `config`.
pub fn decode(body: &[u8], framed: u64, config: &Config) -> Result<Projection, Refused> {
    let projection = decode_any(body, framed)?;
    if projection.config != *config {
        return Err(Refused::Config {
            zone: projection.config.zone.name().to_owned(),
            horizon: projection.config.horizon_days,
            wanted_zone: config.zone.name().to_owned(),
            wanted_horizon: config.horizon_days,
        });
    }
    Ok(projection)
}

/// Reads a checkpoint body framed at log position `framed`, whatever configuration it was made with (`verify`).
pub fn decode_any(body: &[u8], framed: u64) -> Result<Projection, Refused> {
    let (format, rest) = body.split_first_chunk::<4>().ok_or(Refused::Undecodable("too short".into()))?;
    let found = u32::from_le_bytes(*format);
    if found != FORMAT {
        return Err(Refused::Format { found });
    }
    let projection: Projection = postcard::from_bytes(rest).map_err(|e| Refused::Undecodable(e.to_string()))?;
    if projection.position != framed {
        return Err(Refused::Position { found: projection.position, framed });
    }
    for office in projection.offices.values() {
        office.check_settled().map_err(|e| Refused::Undecodable(format!("office {}: {e}", office.id())))?;
    }
    Ok(projection)
}

/// The holidays of every office, as (position, event) pairs in their canonical wire JSON.
pub(super) mod wire_events {
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
