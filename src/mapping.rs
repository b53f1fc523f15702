//! From appointment systems' exports to events. Pure: rows in, events or every problem (line, column, value,
//! reason) out; reading files, encodings and spreadsheets is the command line's.
//!
//! Every export is first read as [`Version`]s: one appointment as one row shows it (its office, service, slot,
//! booking time, status and status-change time). A list (CSV or XLSX) becomes versions through a [`Mapping`]
//! ([`table`]); a ZMS/eappointment JSON list of process entities through [`zms`]. [`histories`] then turns the
//! versions into events, the same way for every source:
//!
//! - **history**: an appointment may have one row (its current state) or several (one per change, as an audit
//!   export lists them). Its rows are ordered by their own times, whatever their order in the file. The first is
//!   the booking, stamped with its booking time; a later row with another slot is a reschedule, stamped with its
//!   change time; a final status (cancelled, attended, missed) is the end, stamped with its change time (an
//!   attendance or no-show without one, at its slot).
//! - Event ids are derived from the source name, the office, the appointment id and the transition
//!   (`kl-liste:kl-buergercenter:4711:booked`), so importing the same rows twice appends nothing, in any order.
//! - Office and service names that the export writes where an id belongs ("Bürgercenter Kaiserslautern") become
//!   ids through the mapping's tables or, where those are silent, by [`slug`]; the names themselves become
//!   `office_described` and `service_described` events, stamped at the contract's first instant so that a name
//!   described by hand (any later `at`) always wins over one taken from an export.

pub mod calendar;
pub mod presets;
pub mod snapshot;
pub mod table;
pub mod wide;
pub mod zms;

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};

use crate::domain::event::{Channel, Event, EventKind, Instant};
use crate::domain::id::{AppointmentId, EventId, OfficeId, ServiceId};

pub use table::{Mapper, Row};

/// How an export's columns and values become events.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    pub source: Source,
    pub columns: Columns,
    pub status: Statuses,
    /// Values of the channel column → `online`, `phone` or `counter` (compared without regard to case); a value
    /// that is already one of those needs no entry.
    #[serde(default)]
    pub channels: BTreeMap<String, String>,
    /// Office names (or codes) as the export writes them → office ids.
    #[serde(default)]
    pub offices: BTreeMap<String, String>,
    /// Service names as the export writes them → service ids.
    #[serde(default)]
    pub services: BTreeMap<String, String>,
}

/// Where the list comes from and how it is written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// A short name of the source, part of every event id (`[a-z0-9][a-z0-9_-]*`).
    pub name: String,
    /// `auto` (the default: UTF-8 where the bytes are UTF-8, with or without a byte order mark, else
    /// Windows-1252), `utf-8`, or `windows-1252`, as German Excel writes CSV.
    #[serde(default)]
    pub encoding: Option<String>,
    /// The field separator; left out, `;` or `,`, whichever the header line holds more of.
    #[serde(default)]
    pub delimiter: Option<char>,
    /// The sheet of an XLSX file (default: the first).
    #[serde(default)]
    pub sheet: Option<String>,
    /// The zone the export's times are local to (default `Europe/Berlin`).
    #[serde(default)]
    pub timezone: Option<String>,
    /// The format of date-and-time cells, chrono's syntax (default `%d.%m.%Y %H:%M`); ISO `2020-06-24T09:15` and
    /// `2020-06-24 09:15[:00]` are always accepted as well.
    #[serde(default)]
    pub datetime_format: Option<String>,
    /// The channel of bookings when no column says it (default `online`).
    #[serde(default)]
    pub default_channel: Option<String>,
    /// Whether the optional columns (`slot_time`, `changed_at`, `channel`) may be absent from a file (the presets
    /// say so; a mapping of your own names what its files have, so a missing column is an error by default).
    #[serde(default)]
    pub optional_columns_may_be_missing: bool,
}

/// The column headers of the export.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    pub appointment_id: String,
    pub office: String,
    pub service: String,
    /// The slot as one date-and-time cell, or the date with `slot_time` holding the time.
    pub slot: String,
    #[serde(default)]
    pub slot_time: Option<String>,
    /// When the appointment was booked.
    pub booked_at: String,
    pub status: String,
    /// When the status last changed.
    #[serde(default)]
    pub changed_at: Option<String>,
    #[serde(default)]
    pub channel: Option<String>,
}

/// Which status values mean what (compared without regard to case and surrounding space).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statuses {
    #[serde(default)]
    pub booked: Vec<String>,
    #[serde(default)]
    pub cancelled: Vec<String>,
    #[serde(default)]
    pub attended: Vec<String>,
    #[serde(default)]
    pub missed: Vec<String>,
}

/// Why a row could not become events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The export among several (its index in the order given), 0 for the only one.
    pub file: u32,
    pub line: u64,
    /// The column (its header, or a JSON field's path), if one cell is to blame.
    pub column: Option<String>,
    pub value: Option<String>,
    pub reason: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(column) = &self.column {
            write!(f, ", column {column:?}")?;
        }
        if let Some(value) = &self.value {
            write!(f, ", value {}", crate::domain::wire::echo(value))?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// Where an appointment stands in one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    Open,
    Cancelled,
    Attended,
    Missed,
}

impl Stage {
    pub(crate) fn transition(self) -> &'static str {
        match self {
            Stage::Open => "booked",
            Stage::Cancelled => "cancelled",
            Stage::Attended => "attended",
            Stage::Missed => "missed",
        }
    }
}

/// One appointment as one row of an export shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// The export among several (its index in the order given).
    pub file: u32,
    /// The line (or, for JSON, the list index from 1) the row came from.
    pub line: u64,
    /// The appointment id as the export writes it.
    pub appointment: AppointmentId,
    pub office: OfficeId,
    pub service: ServiceId,
    pub slot: Instant,
    pub booked_at: Instant,
    pub stage: Stage,
    /// When the row's status (or slot) last changed, where the export says.
    pub changed_at: Option<Instant>,
    pub channel: Channel,
}

/// A citizen served without an appointment (ZMS lists them among its processes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkIn {
    pub file: u32,
    pub line: u64,
    /// The source's id of the visit.
    pub visit: String,
    pub office: OfficeId,
    pub service: ServiceId,
    pub at: Instant,
}

/// Display names the export gave for ids.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    pub offices: BTreeMap<OfficeId, String>,
    pub services: BTreeMap<ServiceId, String>,
}

impl Names {
    /// Notes that `text` stands for `id`, unless the text is the id itself. Where two texts name one id, the one
    /// first in sort order is kept, so that the outcome does not depend on the order of the rows.
    pub fn note<I: Ord + Clone + AsRef<str>>(names: &mut BTreeMap<I, String>, id: &I, text: &str) {
        if text == id.as_ref() || text.is_empty() {
            return;
        }
        match names.get(id) {
            Some(kept) if kept.as_str() <= text => {}
            _ => {
                names.insert(id.clone(), text.to_owned());
            }
        }
    }
}

/// What an export became, before the log judges it.
#[derive(Debug, Default, Clone)]
pub struct Read {
    pub versions: Vec<Version>,
    pub walk_ins: Vec<WalkIn>,
    pub names: Names,
    /// Rows read, skipped ones included.
    pub rows: usize,
    /// Rows per status value as the export writes it.
    pub statuses: BTreeMap<String, usize>,
    /// The status values that mean nothing to the mapping (their rows are among the problems).
    pub unknown_statuses: std::collections::BTreeSet<String>,
    /// Rows that hold no appointment (a free slot, a reservation), with the reason; not errors.
    pub skipped: Vec<RowError>,
    /// Rows that could not be read; each names its appointment where it could be read, so that its other rows
    /// can be set aside with it.
    pub problems: Vec<(Option<String>, RowError)>,
}

/// Where an event came from: the export (its index) and the line; (0, 0) for a name.
pub type Origin = (u32, u64);

/// The events of an export, each with the row it came from.
#[derive(Debug, Default)]
pub struct Mapped {
    pub events: Vec<(Origin, Event)>,
}

/// Turns versions, walk-ins and names into events: every appointment's history (see the module's doc), ordered by
/// business time. Problems are every appointment whose rows contradict each other (a moved slot without a change
/// time, another status after a final one), named at the row.
pub fn histories(source: &str, read: &Read) -> (Mapped, Vec<(String, RowError)>) {
    let ids = Ids { source };
    let mut by_appointment: BTreeMap<(&OfficeId, &AppointmentId), Vec<&Version>> = BTreeMap::new();
    for version in &read.versions {
        by_appointment.entry((&version.office, &version.appointment)).or_default().push(version);
    }
    let mut events: Vec<(Origin, Event)> = Vec::new();
    let mut problems = Vec::new();
    for ((_, appointment), mut versions) in by_appointment {
        match appointment_history(&ids, &mut versions) {
            Ok(found) => events.extend(found),
            Err(problem) => problems.push((appointment.to_string(), problem)),
        }
    }
    events.extend(extras(source, read));
    sort(&mut events);
    (Mapped { events }, problems)
}

/// The events of one appointment's rows (all of one office and appointment id, in any order): its history, or the
/// first row that contradicts the ones before it. The one place a history is made, whether the rows were grouped
/// in memory ([`histories`]) or by an import's sort on disk ([`grouping_key`]).
pub fn appointment_history(ids: &Ids<'_>, versions: &mut [&Version]) -> Result<Vec<(Origin, Event)>, RowError> {
    versions.sort_by_key(|v| order_key(v));
    let appointment = &versions[0].appointment;
    let events = history(ids, appointment, versions)?;
    // Two moves at one instant would share an id; the export cannot say which came last.
    for (i, (origin, event)) in events.iter().enumerate() {
        if events[..i].iter().any(|(_, earlier)| earlier.id == event.id) {
            return Err(RowError {
                file: origin.0,
                line: origin.1,
                column: None,
                value: None,
                reason: format!("appointment {appointment} moved twice at {}", event.at),
            });
        }
    }
    Ok(events)
}

/// The order of one appointment's rows ([`order_key`]).
pub type RowOrder = (Instant, Stage, bool, Instant, Instant, u32, u64);

/// The key an import sorts rows by on disk so that each appointment's rows come together, in their order.
pub fn grouping_key(v: &Version) -> (OfficeId, AppointmentId, RowOrder) {
    (v.office.clone(), v.appointment.clone(), order_key(v))
}

/// The key events are sorted by ([`sort`]): business time; within one instant names, bookings, reschedules, then
/// ends; then the id.
pub fn event_key(event: &Event) -> (Instant, u8, EventId) {
    (event.at, rank(&event.kind), event.id.clone())
}

/// The events of an export besides appointments: its walk-ins, and the names it gives for ids (stamped at the
/// contract's first instant).
pub fn extras(source: &str, read: &Read) -> Vec<(Origin, Event)> {
    let ids = Ids { source };
    let mut events = Vec::new();
    for walk_in in &read.walk_ins {
        let id = ids.event(&walk_in.office, &walk_in.visit, "walk-in");
        let kind = EventKind::WalkInServed { office: walk_in.office.clone(), service: walk_in.service.clone() };
        events.push(((walk_in.file, walk_in.line), Event { id, at: walk_in.at, kind }));
    }
    let named = first_instant();
    for (office, name) in &read.names.offices {
        let id = ids.name("office", office.as_str(), name);
        let kind = EventKind::OfficeDescribed { office: office.clone(), name: name.clone(), state: None };
        events.push(((0, 0), Event { id, at: named, kind }));
    }
    for (service, name) in &read.names.services {
        let id = ids.name("service", service.as_str(), name);
        let kind = EventKind::ServiceDescribed { service: service.clone(), name: name.clone(), office: None };
        events.push(((0, 0), Event { id, at: named, kind }));
    }
    events
}

/// Orders events by business time; within one instant names, bookings, reschedules, then ends (so that a batch
/// never refers to what comes later); then by id, so that the log does not depend on the order of the rows.
pub fn sort(events: &mut [(Origin, Event)]) {
    events.sort_by(|(_, a), (_, b)| (a.at, rank(&a.kind), &a.id).cmp(&(b.at, rank(&b.kind), &b.id)));
}

/// The order of one appointment's rows: by their own time; at the same time an open row before a final one, and
/// the booking's own row (changed when booked) before a move; then by content, so that the file's order never
/// matters.
fn order_key(v: &Version) -> RowOrder {
    let time = v.changed_at.unwrap_or(v.booked_at);
    (time, v.stage, time != v.booked_at, v.slot, v.booked_at, v.file, v.line)
}

/// Within one instant: names, bookings, reschedules, then ends.
fn rank(kind: &EventKind) -> u8 {
    match kind {
        EventKind::OfficeDescribed { .. } | EventKind::ServiceDescribed { .. } => 0,
        EventKind::AppointmentBooked { .. } => 1,
        EventKind::AppointmentRescheduled { .. } => 2,
        _ => 3,
    }
}

/// One appointment's events from its rows, in their order (see [`order_key`]).
fn history(
    ids: &Ids<'_>,
    appointment: &AppointmentId,
    versions: &[&Version],
) -> Result<Vec<(Origin, Event)>, RowError> {
    let first = versions[0];
    let mut events = vec![((first.file, first.line), ids.booked(first))];
    let mut slot = first.slot;
    let mut ended: Option<&Version> = None;
    for version in versions {
        if let Some(end) = ended {
            if version.stage == end.stage && version.slot == end.slot {
                continue;
            }
            return Err(RowError {
                file: version.file,
                line: version.line,
                column: None,
                value: None,
                reason: format!(
                    "appointment {appointment} already ended as {} on line {}",
                    end.stage.transition(),
                    end.line
                ),
            });
        }
        if version.slot != slot {
            let at = version.changed_at.ok_or_else(|| RowError {
                file: version.file,
                line: version.line,
                column: None,
                value: None,
                reason: format!("appointment {appointment} moved to another slot, but the row gives no change time"),
            })?;
            events.push(((version.file, version.line), ids.moved(version, at)));
            slot = version.slot;
        }
        if version.stage == Stage::Open {
            continue;
        }
        let at = match (version.stage, version.changed_at) {
            (_, Some(at)) => at,
            (Stage::Cancelled, None) => {
                return Err(RowError {
                    file: version.file,
                    line: version.line,
                    column: None,
                    value: None,
                    reason: format!("appointment {appointment} is cancelled, but the row gives no change time"),
                });
            }
            // A visit without a recorded time is stamped at its slot.
            (_, None) => version.slot,
        };
        events.push(((version.file, version.line), ids.ended(version, at)));
        ended = Some(version);
    }
    Ok(events)
}

/// The ids of a source's events.
pub struct Ids<'a> {
    pub source: &'a str,
}

impl Ids<'_> {
    /// `source:office:appointment:transition`, or with a digest of the appointment id where that would be too long
    /// or not printable ASCII.
    pub(crate) fn event(&self, office: &OfficeId, appointment: &str, transition: &str) -> EventId {
        let plain = format!("{}:{office}:{appointment}:{transition}", self.source);
        EventId::parse(&plain).unwrap_or_else(|_| {
            let digest = hex::encode(&Sha256::digest(appointment.as_bytes())[..12]);
            EventId::parse(&format!("{}:{office}:{digest}:{transition}", self.source))
                .expect("a source id, an office id, hex and a word make an event id")
        })
    }

    /// The booking of the appointment `v` shows, with its slot, at its booking time.
    pub(crate) fn booked(&self, v: &Version) -> Event {
        let kind = EventKind::AppointmentBooked {
            office: v.office.clone(),
            appointment: v.appointment.clone(),
            service: v.service.clone(),
            channel: v.channel,
            slot: v.slot,
        };
        Event { id: self.event(&v.office, v.appointment.as_str(), "booked"), at: v.booked_at, kind }
    }

    /// `v`'s appointment moved to `v`'s slot at `at` (one id per move, by its time).
    pub(crate) fn moved(&self, v: &Version, at: Instant) -> Event {
        let transition = format!("rescheduled-{}", at.naive_utc().format("%Y%m%dT%H%M%SZ"));
        let kind = EventKind::AppointmentRescheduled {
            office: v.office.clone(),
            appointment: v.appointment.clone(),
            slot: v.slot,
        };
        Event { id: self.event(&v.office, v.appointment.as_str(), &transition), at, kind }
    }

    /// `v`'s appointment ended as `v.stage` (a final stage) at `at`.
    pub(crate) fn ended(&self, v: &Version, at: Instant) -> Event {
        let (office, appointment) = (v.office.clone(), v.appointment.clone());
        let kind = match v.stage {
            Stage::Cancelled => EventKind::AppointmentCancelled { office, appointment },
            Stage::Attended => EventKind::AppointmentAttended { office, appointment },
            _ => EventKind::AppointmentMissed { office, appointment },
        };
        Event { id: self.event(&v.office, v.appointment.as_str(), v.stage.transition()), at, kind }
    }

    /// `source:office-name:id:digest of the name`: a changed name is a new event.
    fn name(&self, what: &str, id: &str, name: &str) -> EventId {
        let digest = hex::encode(&Sha256::digest(name.as_bytes())[..6]);
        EventId::parse(&format!("{}:{what}-name:{id}:{digest}", self.source))
            .expect("a source id, an id and hex make an event id")
    }
}

/// The first instant the contract admits, when names taken from exports are stamped.
pub fn first_instant() -> Instant {
    DateTime::<FixedOffset>::from_naive_utc_and_offset(
        crate::domain::wire::FIRST_DATE.and_time(chrono::NaiveTime::MIN),
        FixedOffset::east_opt(0).expect("UTC"),
    )
}

/// An id made from a name: lower case, umlauts spelled out (`ä` → `ae`, `ß` → `ss`), every run of other
/// characters one `-`, at most 64 characters. `None` when nothing is left.
pub fn slug(name: &str) -> Option<String> {
    let mut out = String::new();
    let mut dash = false;
    for c in name.chars().flat_map(char::to_lowercase) {
        let spelled: &str = match c {
            'ä' => "ae",
            'ö' => "oe",
            'ü' => "ue",
            'ß' => "ss",
            'é' | 'è' | 'ê' => "e",
            'á' | 'à' | 'â' => "a",
            c if c.is_ascii_alphanumeric() => {
                if dash && !out.is_empty() {
                    out.push('-');
                }
                dash = false;
                out.push(c);
                continue;
            }
            _ => {
                dash = true;
                continue;
            }
        };
        if dash && !out.is_empty() {
            out.push('-');
        }
        dash = false;
        out.push_str(spelled);
    }
    out.truncate(64);
    let out = out.trim_end_matches('-').to_owned();
    (!out.is_empty()).then_some(out)
}

/// The id a name stands for: the mapping's entry, the name itself if it is an id, else its [`slug`].
pub fn id_of<T>(
    text: &str,
    table: &BTreeMap<String, String>,
    parse: impl Fn(&str) -> Result<T, crate::domain::id::IdError>,
) -> Result<T, String> {
    if let Some(id) = table.get(text) {
        return parse(id).map_err(|e| format!("the mapping's id {id:?} {e}"));
    }
    if let Ok(id) = parse(text) {
        return Ok(id);
    }
    let slugged = slug(text).ok_or_else(|| "holds no letter or digit to make an id of".to_owned())?;
    parse(&slugged).map_err(|e| format!("{e}; map it to an id in the mapping"))
}

/// Reads `rows` through `mapper` and makes their events: every problem, or the events.
pub fn map_rows(mapper: &Mapper<'_>, rows: impl IntoIterator<Item = Row>) -> Result<Mapped, Vec<RowError>> {
    let read = mapper.read(rows);
    let mut problems: Vec<RowError> = read.problems.iter().map(|(_, p)| p.clone()).collect();
    let (mapped, contradictions) = histories(mapper.source(), &read);
    problems.extend(contradictions.into_iter().map(|(_, p)| p));
    problems.sort_by_key(|p| (p.file, p.line));
    if problems.is_empty() { Ok(mapped) } else { Err(problems) }
}

#[cfg(test)]
mod tests;
