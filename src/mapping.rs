//! From an appointment list, as appointment systems export it, to events: a mapping (TOML) names the columns, the
//! status values and the ids of offices and services; each row of the list becomes the events of its appointment's
//! history (history mode: every row carries its own times).
//!
//! A row's booking becomes `appointment_booked`, stamped with its booking time; a final status becomes
//! `appointment_cancelled`, `appointment_attended` or `appointment_missed`, stamped with the row's change time (an
//! attendance or no-show without one at the slot). Event ids are derived from the source name, the office, the
//! appointment id and the transition, so importing the same list twice appends nothing. Pure: rows in, events or
//! every problem (line, column, value, reason) out; reading files and encodings is the command line's.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};

use crate::domain::event::{Channel, Event, EventKind, Instant};
use crate::domain::id::{AppointmentId, EventId, OfficeId, ServiceId};
use crate::domain::time::Zone;

/// How an export's columns and values become events.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    pub source: Source,
    pub columns: Columns,
    pub status: Statuses,
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
    /// `utf-8` (the default; a byte order mark is allowed) or `windows-1252`, as German Excel writes CSV.
    #[serde(default)]
    pub encoding: Option<String>,
    /// The field separator; left out, `;` or `,`, whichever the header line holds more of.
    #[serde(default)]
    pub delimiter: Option<char>,
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

/// One data row of the export: its line in the file and its cells by header.
#[derive(Debug, Clone)]
pub struct Row {
    pub line: u64,
    pub cells: Vec<String>,
}

/// Why a row could not become events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    /// The column (its header), if one cell is to blame.
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

/// What the rows became: the events with the line each came from, and the count of rows per status value.
#[derive(Debug, Default)]
pub struct Mapped {
    pub events: Vec<(u64, Event)>,
    pub rows: usize,
    pub statuses: BTreeMap<String, usize>,
}

/// The final state a status value names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Booked,
    Cancelled,
    Attended,
    Missed,
}

/// A mapping checked once, with the columns found in the header.
pub struct Mapper<'a> {
    mapping: &'a Mapping,
    zone: Zone,
    channel: Channel,
    /// Each mapped role's column: its index in the header and its name.
    index: BTreeMap<&'static str, (usize, String)>,
}

impl<'a> Mapper<'a> {
    /// Checks the mapping against the export's header line.
    pub fn new(mapping: &'a Mapping, header: &[String]) -> Result<Mapper<'a>, String> {
        if OfficeId::parse(&mapping.source.name).is_err() {
            return Err(format!("[source] name {:?} is not an id like kl-export", mapping.source.name));
        }
        let zone = Zone::parse(mapping.source.timezone.as_deref().unwrap_or("Europe/Berlin"))?;
        let channel = match mapping.source.default_channel.as_deref() {
            None => Channel::Online,
            Some(c) => {
                Channel::parse(c).ok_or_else(|| format!("[source] default_channel {c:?}: online, phone or counter"))?
            }
        };
        let c = &mapping.columns;
        let wanted: [(&'static str, Option<&String>); 9] = [
            ("appointment_id", Some(&c.appointment_id)),
            ("office", Some(&c.office)),
            ("service", Some(&c.service)),
            ("slot", Some(&c.slot)),
            ("slot_time", c.slot_time.as_ref()),
            ("booked_at", Some(&c.booked_at)),
            ("status", Some(&c.status)),
            ("changed_at", c.changed_at.as_ref()),
            ("channel", c.channel.as_ref()),
        ];
        let mut index = BTreeMap::new();
        for (role, name) in wanted {
            let Some(name) = name else { continue };
            let at = header.iter().position(|h| h.trim() == name.trim()).ok_or_else(|| {
                format!("[columns] {role} = {name:?} is not a column of the file; it has {}", header.join(", "))
            })?;
            index.insert(role, (at, name.trim().to_owned()));
        }
        Ok(Mapper { mapping, zone, channel, index })
    }

    fn cell<'r>(&self, row: &'r Row, role: &str) -> Option<&'r str> {
        self.index.get(role).and_then(|(i, _)| row.cells.get(*i)).map(|s| s.trim())
    }

    /// The header of `role`'s column (the role itself where the mapping names none).
    fn column(&self, role: &str) -> String {
        self.index.get(role).map_or_else(|| role.to_owned(), |(_, name)| name.clone())
    }

    fn problem(&self, row: &Row, role: &str, value: &str, reason: impl Into<String>) -> RowError {
        RowError {
            line: row.line,
            column: Some(self.column(role)),
            value: Some(value.to_owned()),
            reason: reason.into(),
        }
    }

    fn required<'r>(&self, row: &'r Row, role: &str) -> Result<&'r str, RowError> {
        match self.cell(row, role) {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(self.problem(row, role, "", "is empty")),
        }
    }

    fn instant(&self, row: &Row, role: &str, text: &str) -> Result<Instant, RowError> {
        let local = parse_local(text, self.mapping.source.datetime_format.as_deref())
            .ok_or_else(|| self.problem(row, role, text, "is not a date and time (see [source] datetime_format)"))?;
        self.zone
            .tz()
            .from_local_datetime(&local)
            .earliest()
            .map(|t| t.fixed_offset())
            .ok_or_else(|| self.problem(row, role, text, "does not exist in the zone (a daylight-saving gap)"))
    }

    fn state(&self, status: &str) -> Option<State> {
        let s = &self.mapping.status;
        let is = |values: &[String]| values.iter().any(|v| v.trim().eq_ignore_ascii_case(status.trim()));
        if is(&s.cancelled) {
            Some(State::Cancelled)
        } else if is(&s.attended) {
            Some(State::Attended)
        } else if is(&s.missed) {
            Some(State::Missed)
        } else if is(&s.booked) {
            Some(State::Booked)
        } else {
            None
        }
    }

    /// The events of one row.
    pub fn row(&self, row: &Row) -> Result<Vec<Event>, RowError> {
        let appointment_text = self.required(row, "appointment_id")?;
        let appointment = AppointmentId::parse(appointment_text)
            .map_err(|e| self.problem(row, "appointment_id", appointment_text, e.to_string()))?;
        let office_text = self.required(row, "office")?;
        let office = self.mapped_id(row, "office", office_text, &self.mapping.offices, OfficeId::parse)?;
        let service_text = self.required(row, "service")?;
        let service = self.mapped_id(row, "service", service_text, &self.mapping.services, ServiceId::parse)?;
        let slot_text = self.required(row, "slot")?;
        let slot = match self.cell(row, "slot_time") {
            Some(time) if self.index.contains_key("slot_time") => {
                self.instant(row, "slot", &format!("{slot_text} {time}"))?
            }
            _ => self.instant(row, "slot", slot_text)?,
        };
        let booked_text = self.required(row, "booked_at")?;
        let booked_at = self.instant(row, "booked_at", booked_text)?;
        let status_text = self.cell(row, "status").unwrap_or_default();
        let state = self.state(status_text).ok_or_else(|| {
            self.problem(row, "status", status_text, "is none of the status values of [status] in the mapping")
        })?;
        let channel = match self.cell(row, "channel").filter(|c| !c.is_empty()) {
            None => self.channel,
            Some(c) => Channel::parse(&c.to_ascii_lowercase())
                .ok_or_else(|| self.problem(row, "channel", c, "is not online, phone or counter"))?,
        };
        let id_office = office.clone();
        let id = |transition: &str| self.event_id(&id_office, appointment_text, transition);
        let mut events = vec![Event {
            id: id("booked"),
            at: booked_at,
            kind: EventKind::AppointmentBooked {
                office: office.clone(),
                appointment: appointment.clone(),
                service,
                channel,
                slot,
            },
        }];
        if state == State::Booked {
            return Ok(events);
        }
        let changed = match self.cell(row, "changed_at").filter(|c| !c.is_empty()) {
            Some(text) => Some(self.instant(row, "changed_at", text)?),
            None => None,
        };
        let (transition, at, kind) = match state {
            State::Cancelled => {
                let at = changed.ok_or_else(|| self.problem(row, "changed_at", "", "a cancellation needs its time"))?;
                ("cancelled", at, EventKind::AppointmentCancelled { office, appointment })
            }
            State::Attended => {
                ("attended", changed.unwrap_or(slot), EventKind::AppointmentAttended { office, appointment })
            }
            State::Missed => ("missed", changed.unwrap_or(slot), EventKind::AppointmentMissed { office, appointment }),
            State::Booked => unreachable!("returned above"),
        };
        events.push(Event { id: id(transition), at, kind });
        Ok(events)
    }

    fn mapped_id<T>(
        &self,
        row: &Row,
        role: &str,
        text: &str,
        names: &BTreeMap<String, String>,
        parse: impl Fn(&str) -> Result<T, crate::domain::id::IdError>,
    ) -> Result<T, RowError> {
        let id = names.get(text).map_or(text, String::as_str);
        parse(id)
            .map_err(|e| self.problem(row, role, text, format!("{e}; map it to an id in [{role}s] of the mapping")))
    }

    /// `source:office:appointment:transition`, or with a digest of the appointment id where that would be too long.
    fn event_id(&self, office: &OfficeId, appointment: &str, transition: &str) -> EventId {
        let plain = format!("{}:{office}:{appointment}:{transition}", self.mapping.source.name);
        EventId::parse(&plain).unwrap_or_else(|_| {
            let digest = hex::encode(&Sha256::digest(appointment.as_bytes())[..12]);
            EventId::parse(&format!("{}:{office}:{digest}:{transition}", self.mapping.source.name))
                .expect("a source id, an office id, hex and a word make an event id")
        })
    }
}

/// Maps every row; all problems, or every event in row order.
pub fn map_rows(mapper: &Mapper<'_>, rows: impl IntoIterator<Item = Row>) -> Result<Mapped, Vec<RowError>> {
    let mut mapped = Mapped::default();
    let mut problems = Vec::new();
    for row in rows {
        mapped.rows += 1;
        if let Some(status) = mapper.cell(&row, "status") {
            *mapped.statuses.entry(status.to_owned()).or_default() += 1;
        }
        match mapper.row(&row) {
            Ok(events) => mapped.events.extend(events.into_iter().map(|e| (row.line, e))),
            Err(problem) => problems.push(problem),
        }
    }
    if problems.is_empty() { Ok(mapped) } else { Err(problems) }
}

/// A local date and time in `format`, or in one of the ISO forms.
fn parse_local(text: &str, format: Option<&str>) -> Option<NaiveDateTime> {
    let formats = [
        format.unwrap_or("%d.%m.%Y %H:%M"),
        "%d.%m.%Y %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ];
    formats.iter().find_map(|f| NaiveDateTime::parse_from_str(text, f).ok()).or_else(|| {
        // A date alone (a list that gives no time) counts as its start of day.
        ["%d.%m.%Y", "%Y-%m-%d"]
            .iter()
            .find_map(|f| NaiveDate::parse_from_str(text, f).ok())
            .map(|d| d.and_time(NaiveTime::MIN))
    })
}

#[cfg(test)]
mod tests;
