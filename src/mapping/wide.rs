//! The wide snapshot CSV that public calendar scrapers write, turned into `calendar_observed` events.
//!
//! Header: `date,source_id,location_id,` then one column per slot, named by its local date and time
//! (`2021-07-12 08:20:00`). Each row is one observation of one location's whole calendar, taken at `date` (local
//! time, the same form), with `1` where that slot was free and anything else where it was not.
//!
//! - Office: `<source_id>-<location_id>`, lower-cased, every character outside `[a-z0-9_-]` replaced by `-`, cut to
//!   64 characters, unless an office map names the pair (with an id, and a name that becomes `office_described`).
//! - `source`: the source_id under the same rule. No service: the whole calendar is observed.
//! - Slots at or before the observation's time are left out (a calendar offers none) and counted.
//! - Event ids: `wide:<office>:<at>`, so importing a file again appends nothing.
//! - Local times that occur twice (the night the clocks go back) are read as the first, unless the same local
//!   time names a second slot column, which is then the second; a local time the clocks skip is an error.
//!
//! Pure: the command line reads the files and hands over their cells.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone as _};

use crate::domain::event::{Event, EventKind, Instant};
use crate::domain::id::{EventId, OfficeId, SourceId};
use crate::domain::time::Zone;
use crate::domain::wire::format_instant;
use crate::mapping::{RowError, first_instant};

/// The first three columns of the header, which tell the format apart.
pub const LEADING_COLUMNS: [&str; 3] = ["date", "source_id", "location_id"];

/// Whether `header` (the first line, without its line end) is a wide snapshot CSV's.
pub fn is_wide_header(header: &str) -> bool {
    let mut cells = header.trim_start_matches('\u{feff}').split(',').map(|c| c.trim().trim_matches('"'));
    LEADING_COLUMNS.iter().all(|want| cells.next() == Some(*want))
}

/// `<source_id>-<location_id>` as the format turns it into an id (before any office map).
pub fn office_slug(source_id: &str, location_id: &str) -> String {
    slug_of(&format!("{source_id}-{location_id}"))
}

/// Lower case, every character outside `[a-z0-9_-]` one `-`, at most 64 characters.
fn slug_of(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-' { c } else { '-' })
        .take(64)
        .collect()
}

/// An office the map names: its id and, if given, its display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedOffice {
    pub office: OfficeId,
    pub name: Option<String>,
}

/// How rows are read: the zone of the local times, and the office map by (source_id, location_id).
#[derive(Debug, Clone, Default)]
pub struct Reading {
    pub zone: Zone,
    pub offices: BTreeMap<(String, String), MappedOffice>,
}

/// A file's slot columns: the instant each names, by column index (from the fourth column on).
#[derive(Debug, Clone)]
pub struct Header {
    slots: Vec<Instant>,
}

impl Header {
    /// How many slot columns the file has.
    pub fn slot_columns(&self) -> usize {
        self.slots.len()
    }
}

/// What one row came to.
#[derive(Debug, Clone)]
pub struct Observed {
    pub event: Event,
    /// Free slots at or before the observation's time, left out.
    pub left_out: u32,
    /// The office's description from the map, the first time a row names it.
    pub description: Option<Event>,
}

fn local_time(zone: Zone, text: &str, second_occurrence: bool) -> Result<Instant, String> {
    let naive = NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S")
        .map_err(|e| format!("not a local time YYYY-MM-DD HH:MM:SS ({e})"))?;
    let local = zone.tz().from_local_datetime(&naive);
    let at = if second_occurrence { local.latest() } else { local.earliest() };
    let at = at.ok_or_else(|| format!("{naive} does not exist in {} (the clocks skip it)", zone.name()))?;
    let at: DateTime<FixedOffset> = at.fixed_offset();
    let date = at.date_naive();
    if !(crate::domain::wire::FIRST_DATE..=crate::domain::wire::LAST_DATE).contains(&date) {
        return Err(format!(
            "{date} lies outside {} … {}",
            crate::domain::wire::FIRST_DATE,
            crate::domain::wire::LAST_DATE
        ));
    }
    Ok(at)
}

impl Reading {
    /// Reads the header's cells; `file` is the input's index, for messages.
    pub fn header<'a>(&self, file: u32, cells: impl IntoIterator<Item = &'a str>) -> Result<Header, RowError> {
        let refuse = |column: Option<String>, value: Option<String>, reason: String| RowError {
            file,
            line: 1,
            column,
            value,
            reason,
        };
        let cells: Vec<&str> = cells.into_iter().collect();
        let leading: Vec<&str> = cells.iter().take(3).map(|c| c.trim().trim_start_matches('\u{feff}')).collect();
        if leading != LEADING_COLUMNS {
            return Err(refuse(None, None, format!("the header must start with {}", LEADING_COLUMNS.join(","))));
        }
        let mut seen = HashSet::new();
        let mut slots = Vec::with_capacity(cells.len().saturating_sub(3));
        for cell in &cells[3..] {
            let name = cell.trim();
            let twice = !seen.insert(name);
            let slot = local_time(self.zone, name, twice)
                .map_err(|reason| refuse(Some(name.to_owned()), None, format!("a slot column: {reason}")))?;
            if slots.contains(&slot) {
                return Err(refuse(Some(name.to_owned()), None, "names a slot another column names".into()));
            }
            slots.push(slot);
        }
        Ok(Header { slots })
    }

    /// Reads one row (`line` counts from 1, the header being line 1). `described` holds the offices whose
    /// description was already made in this import.
    pub fn row<'a>(
        &self,
        header: &Header,
        file: u32,
        line: u64,
        cells: impl IntoIterator<Item = &'a str>,
        described: &mut HashSet<OfficeId>,
    ) -> Result<Observed, RowError> {
        let refuse = |column: &str, value: &str, reason: String| RowError {
            file,
            line,
            column: Some(column.to_owned()),
            value: Some(value.to_owned()),
            reason,
        };
        let mut cells = cells.into_iter();
        let (date, source_id, location_id) = match (cells.next(), cells.next(), cells.next()) {
            (Some(d), Some(s), Some(l)) => (d, s.trim(), l.trim()),
            _ => {
                return Err(RowError {
                    file,
                    line,
                    column: None,
                    value: None,
                    reason: "fewer than the three leading columns date, source_id, location_id".into(),
                });
            }
        };
        let at = local_time(self.zone, date, false).map_err(|reason| refuse("date", date, reason))?;
        let mapped = self.offices.get(&(source_id.to_owned(), location_id.to_owned()));
        let office = match mapped {
            Some(mapped) => mapped.office.clone(),
            None => {
                let slug = office_slug(source_id, location_id);
                OfficeId::parse(&slug).map_err(|e| {
                    refuse(
                        "location_id",
                        location_id,
                        format!("the office id {slug:?} {e}; map the pair to an id with --office-map"),
                    )
                })?
            }
        };
        let source = SourceId::parse(&slug_of(source_id))
            .map_err(|e| refuse("source_id", source_id, format!("as a source id {e}")))?;
        let mut free_slots = Vec::new();
        let mut left_out = 0;
        let mut columns = 0;
        for (slot, cell) in header.slots.iter().zip(cells.by_ref()) {
            columns += 1;
            if cell.trim() == "1" {
                if *slot <= at {
                    left_out += 1;
                } else {
                    free_slots.push(*slot);
                }
            }
        }
        let extra = cells.count();
        if columns != header.slots.len() || extra > 0 {
            return Err(RowError {
                file,
                line,
                column: None,
                value: None,
                reason: format!("{} cells, the header has {}", 3 + columns + extra, 3 + header.slots.len()),
            });
        }
        free_slots.sort_unstable();
        let id =
            EventId::parse(&format!("wide:{office}:{}", format_instant(&at))).expect("an office id and an instant");
        let description =
            mapped.and_then(|m| m.name.clone()).filter(|_| described.insert(office.clone())).map(|name| {
                let digest = hex::encode(&<sha2::Sha256 as sha2::Digest>::digest(name.as_bytes())[..6]);
                Event {
                    id: EventId::parse(&format!("wide:office-name:{office}:{digest}")).expect("an office id and hex"),
                    at: first_instant(),
                    kind: EventKind::OfficeDescribed { office: office.clone(), name, state: None },
                }
            });
        let kind = EventKind::CalendarObserved { office, service: None, source, free_slots };
        Ok(Observed { event: Event { id, at, kind }, left_out, description })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading() -> Reading {
        Reading::default()
    }

    #[test]
    fn the_header_is_recognised_and_read() {
        assert!(is_wide_header("date,source_id,location_id,2021-07-12 08:20:00"));
        assert!(is_wide_header("\u{feff}\"date\",\"source_id\",\"location_id\""));
        assert!(!is_wide_header("event_id,type"));
        let header = reading().header(0, ["date", "source_id", "location_id", "2021-07-12 08:20:00"]).unwrap();
        assert_eq!(format_instant(&header.slots[0]), "2021-07-12T08:20:00+02:00");
        let gap = reading().header(0, ["date", "source_id", "location_id", "2021-03-28 02:30:00"]).unwrap_err();
        assert!(gap.reason.contains("does not exist in Europe/Berlin"), "{gap}");
        // The hour the clocks go back: the first column is the first 02:30, the second the second.
        let back = reading()
            .header(0, ["date", "source_id", "location_id", "2021-10-31 02:30:00", "2021-10-31 02:30:00"])
            .unwrap();
        assert_eq!(format_instant(&back.slots[0]), "2021-10-31T02:30:00+02:00");
        assert_eq!(format_instant(&back.slots[1]), "2021-10-31T02:30:00+01:00");
    }

    #[test]
    fn a_row_becomes_an_observation_of_the_slugged_office() {
        let header = reading()
            .header(
                0,
                [
                    "date",
                    "source_id",
                    "location_id",
                    "2021-07-12 08:20:00",
                    "2021-07-12 09:00:00",
                    "2021-07-13 08:00:00",
                ],
            )
            .unwrap();
        let mut described = HashSet::new();
        let row = reading()
            .row(&header, 0, 2, ["2021-07-12 08:30:00", "Berlin", "Bürgeramt 1", "1", "0", "1"], &mut described)
            .unwrap();
        assert_eq!(
            crate::domain::wire::to_json_line(&row.event),
            r#"{"event_id":"wide:berlin-b-rgeramt-1:2021-07-12T08:30:00+02:00","type":"calendar_observed","at":"2021-07-12T08:30:00+02:00","office":"berlin-b-rgeramt-1","source":"berlin","free_slots":["2021-07-13T08:00:00+02:00"]}"#
        );
        assert_eq!(row.left_out, 1, "08:20 lies before the observation at 08:30");
        let short = reading().row(&header, 0, 3, ["2021-07-12 08:30:00", "b", "1", "1"], &mut described).unwrap_err();
        assert_eq!(short.line, 3);
        assert!(short.reason.contains("the header has 6"), "{short}");
    }
}
