//! Snapshots: successive exports of the current appointment list (nightly, say), compared with what the log
//! already holds. A new appointment is a booking; a moved slot a reschedule; a final status a cancellation,
//! attendance or no-show, stamped with the row's change time where it has one, else with the export's time. An
//! appointment the log holds open that a snapshot of its office no longer lists is reported, not guessed.
//!
//! A snapshot cannot see what happened between two exports: an appointment booked and cancelled in between never
//! appears; one moved twice appears with its last slot only, moved at its change time (or the export's); the
//! figures of the days in between are those of the slot and status the next export shows.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use crate::domain::event::{Event, EventKind, Instant};
use crate::domain::id::{AppointmentId, OfficeId};
use crate::mapping::{Ids, Origin, RowError, Stage, Version};

/// What the log holds of an appointment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Known {
    pub slot: Instant,
    pub stage: Stage,
    /// Its latest change: a row no newer than this tells nothing new (an older snapshot imported again).
    pub changed: Instant,
}

/// Every appointment the log holds, by office and id.
pub type Book = BTreeMap<(OfficeId, AppointmentId), Known>;

/// Folds one logged event into the book.
pub fn note(book: &mut Book, event: &Event) {
    match &event.kind {
        EventKind::AppointmentBooked { office, appointment, slot, .. } => {
            book.insert(
                (office.clone(), appointment.clone()),
                Known { slot: *slot, stage: Stage::Open, changed: event.at },
            );
        }
        EventKind::AppointmentRescheduled { office, appointment, slot } => {
            if let Some(known) = book.get_mut(&(office.clone(), appointment.clone())) {
                known.slot = *slot;
                known.changed = known.changed.max(event.at);
            }
        }
        EventKind::AppointmentCancelled { office, appointment }
        | EventKind::AppointmentAttended { office, appointment }
        | EventKind::AppointmentMissed { office, appointment } => {
            let stage = match event.kind {
                EventKind::AppointmentCancelled { .. } => Stage::Cancelled,
                EventKind::AppointmentAttended { .. } => Stage::Attended,
                _ => Stage::Missed,
            };
            if let Some(known) = book.get_mut(&(office.clone(), appointment.clone())) {
                known.stage = stage;
                known.changed = known.changed.max(event.at);
            }
        }
        _ => {}
    }
}

/// What one snapshot adds.
#[derive(Debug, Default)]
pub struct Difference {
    pub events: Vec<(Origin, Event)>,
    /// Rows that contradict the log (another final status than the one logged, or two rows of one appointment).
    pub problems: Vec<RowError>,
    /// Appointments the log holds open at an office the snapshot lists, that the snapshot no longer lists.
    pub vanished: Vec<(OfficeId, AppointmentId)>,
}

/// Compares the snapshot `versions`, exported at `exported_at`, with `book` (the log and the snapshots before
/// it), and updates the book with what it finds. A row whose time (its change time, else the export's) is no
/// later than the appointment's latest change in the book tells nothing new and is passed over, so that an older
/// snapshot imported again changes nothing.
pub fn compare(source: &str, book: &mut Book, versions: &[Version], exported_at: Instant) -> Difference {
    let ids = Ids { source };
    let mut out = Difference::default();
    let mut listed: BTreeMap<(&OfficeId, &AppointmentId), u64> = BTreeMap::new();
    for v in versions {
        let origin = (v.file, v.line);
        if let Some(first) = listed.insert((&v.office, &v.appointment), v.line) {
            out.problems
                .push(problem(v, format!("appointment {} is listed twice, first on line {first}", v.appointment)));
            continue;
        }
        let key = (v.office.clone(), v.appointment.clone());
        let at = v.changed_at.unwrap_or(exported_at);
        let mut known = match book.get(&key) {
            Some(known) => *known,
            None => {
                out.events.push((origin, ids.booked(v)));
                Known { slot: v.slot, stage: Stage::Open, changed: v.booked_at }
            }
        };
        if at <= known.changed && book.contains_key(&key) {
            // The log knows this appointment as of a later change than the row: an older snapshot.
            continue;
        }
        if known.stage != Stage::Open {
            if v.stage != known.stage {
                let reason = format!(
                    "appointment {} is {} in the log, the snapshot says {}",
                    v.appointment,
                    known.stage.transition(),
                    v.stage.transition()
                );
                out.problems.push(problem(v, reason));
            }
            continue;
        }
        if v.slot != known.slot {
            out.events.push((origin, ids.moved(v, at)));
            known.slot = v.slot;
            known.changed = at;
        }
        if v.stage != Stage::Open {
            out.events.push((origin, ids.ended(v, at)));
            known.stage = v.stage;
            known.changed = at;
        }
        book.insert(key, known);
    }
    let offices: std::collections::BTreeSet<&OfficeId> = versions.iter().map(|v| &v.office).collect();
    out.vanished = book
        .iter()
        .filter(|((office, appointment), known)| {
            known.stage == Stage::Open && offices.contains(office) && !listed.contains_key(&(office, appointment))
        })
        .map(|(key, _)| key.clone())
        .collect();
    out
}

/// The export time a file's name holds: `YYYY-MM-DD`, optionally followed by `T`, `_` or a space and the time
/// `HHMM`, `HH:MM` or `HH-MM`. A date alone means the end of that day (23:59:59): a nightly export.
pub fn exported_at_in_name(name: &str) -> Option<NaiveDateTime> {
    let bytes = name.as_bytes();
    (0..bytes.len().saturating_sub(9)).find_map(|i| {
        let candidate = name.get(i..i + 10)?;
        let shape =
            candidate.bytes().enumerate().all(|(k, b)| if k == 4 || k == 7 { b == b'-' } else { b.is_ascii_digit() });
        if !shape {
            return None;
        }
        let date = NaiveDate::parse_from_str(candidate, "%Y-%m-%d").ok()?;
        let rest = name.get(i + 10..).unwrap_or_default();
        let time = rest
            .strip_prefix(['T', '_', ' '])
            .and_then(|t| {
                let digits: String = t.chars().take(5).filter(char::is_ascii_digit).collect();
                let hhmm = digits.get(..4)?;
                NaiveTime::parse_from_str(hhmm, "%H%M").ok()
            })
            .unwrap_or_else(|| NaiveTime::from_hms_opt(23, 59, 59).expect("a time"));
        Some(date.and_time(time))
    })
}

fn problem(v: &Version, reason: String) -> RowError {
    RowError { file: v.file, line: v.line, column: None, value: None, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_files_name_gives_its_export_time() {
        let at = |name: &str| exported_at_in_name(name).map(|t| t.to_string());
        assert_eq!(at("termine-2020-06-14.csv").as_deref(), Some("2020-06-14 23:59:59"), "a date: the end of the day");
        assert_eq!(at("termine-2020-06-14T2200.csv").as_deref(), Some("2020-06-14 22:00:00"));
        assert_eq!(at("export_2020-06-14_06-30.xlsx").as_deref(), Some("2020-06-14 06:30:00"));
        assert_eq!(at("termine-2020-6-14.csv"), None);
        assert_eq!(at("termine.csv"), None);
    }
}
