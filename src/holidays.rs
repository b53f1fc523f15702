//! The public holidays of the German states as `holiday_declared` events, from the `holiday_de` crate.
//!
//! The events are meant to be imported as they are, and imported again next year without harm, so everything about
//! them is deterministic: `event_id` is `holiday-<state>-<date>` (e.g. `holiday-rp-2020-05-21`), `at` is the start
//! of the year in Europe/Berlin (German holidays are fixed by state law long before, and Berlin time is the time of
//! every German state, whatever zone the service is configured with), and there is no `office` field, so a holiday
//! closes every office.
//!
//! Choices where the contract is silent:
//! - the lists are `holiday_de`'s statewide ones; holidays of only some communities (Mariä Himmelfahrt in Bavaria's
//!   Catholic communities, Fronleichnam in parts of Saxony and Thuringia, the Augsburger Friedensfest) follow the
//!   crate, which gives the statewide view;
//! - names are the crate's German names, except that `Erster Mai` is called by its legal name `Tag der Arbeit`;
//! - should two holidays fall on one date, they become one event whose name joins both, sorted, with " / ", so that the
//!   date-based `event_id` stays unique.

use chrono::{Datelike, NaiveDate, TimeZone};
use holiday_de::{GermanHoliday, GermanRegion};

use crate::domain::event::{Event, EventKind, Instant};
use crate::domain::id::EventId;

/// The first year `holiday_de` knows (it gives no holidays before 1995).
pub const FIRST_YEAR: i32 = 1995;

/// The last year the event contract admits (its dates end on 2199-12-31).
pub const LAST_YEAR: i32 = 2199;

/// Why no holidays could be listed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HolidayError {
    #[error("state {code:?} is unknown, expected one of {}", State::codes())]
    UnknownState { code: String },
    #[error("year {year} is out of range, holidays are known for {FIRST_YEAR}..={LAST_YEAR}")]
    YearOutOfRange { year: i32 },
}

pub use crate::domain::event::State;

/// Parses a state's two-letter code as a person types it, ignoring case and surrounding blanks.
pub fn parse_state(code: &str) -> Result<State, HolidayError> {
    State::parse(&code.trim().to_ascii_lowercase()).ok_or_else(|| HolidayError::UnknownState { code: code.to_string() })
}

/// The region of `holiday_de` that keeps `state`'s holidays.
fn region(state: State) -> GermanRegion {
    match state {
        State::BadenWuerttemberg => GermanRegion::BadenWuerttemberg,
        State::Bayern => GermanRegion::Bayern,
        State::Berlin => GermanRegion::Berlin,
        State::Brandenburg => GermanRegion::Brandenburg,
        State::Bremen => GermanRegion::Bremen,
        State::Hamburg => GermanRegion::Hamburg,
        State::Hessen => GermanRegion::Hessen,
        State::MecklenburgVorpommern => GermanRegion::MechlenburgVorpommern,
        State::Niedersachsen => GermanRegion::Niedersachsen,
        State::NordrheinWestfalen => GermanRegion::NordrheinWestfalen,
        State::RheinlandPfalz => GermanRegion::RheinlandPfalz,
        State::Saarland => GermanRegion::Saarland,
        State::Sachsen => GermanRegion::Sachsen,
        State::SachsenAnhalt => GermanRegion::SachsenAnhalt,
        State::SchleswigHolstein => GermanRegion::SchleswigHolstein,
        State::Thueringen => GermanRegion::Thueringen,
    }
}

/// The German name of a holiday.
fn name(holiday: GermanHoliday) -> &'static str {
    match holiday {
        // The crate says "Erster Mai"; the state laws say "1. Mai" or "Tag der Arbeit", the latter reads better.
        GermanHoliday::ErsterMai => "Tag der Arbeit",
        other => other.description(),
    }
}

/// The dates and names of the public holidays of `state` in `year`, in date order.
pub fn holidays(state: State, year: i32) -> Result<Vec<(NaiveDate, String)>, HolidayError> {
    if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
        return Err(HolidayError::YearOutOfRange { year });
    }
    // The crate sorts by date only (unstably), so names sharing a date are sorted here to keep the output stable.
    let mut by_date: std::collections::BTreeMap<NaiveDate, Vec<&'static str>> = std::collections::BTreeMap::new();
    for (date, holiday) in region(state).holiday_dates_in_year(year) {
        by_date.entry(date).or_default().push(name(holiday));
    }
    Ok(by_date
        .into_iter()
        .map(|(date, mut names)| {
            names.sort_unstable();
            names.dedup();
            (date, names.join(" / "))
        })
        .collect())
}

/// When the holidays of `year` are declared by default: 1 July of the year before, 00:00 in Berlin (within
/// the contract's bounds), so that a calendar imported ahead knows them well before the year begins; the same for
/// every run, so the same command gives the same events.
pub fn declared_at(year: i32) -> Option<Instant> {
    chrono_tz::Europe::Berlin.with_ymd_and_hms(year - 1, 7, 1, 0, 0, 0).single().map(|t| t.fixed_offset())
}

/// The public holidays of `state` in `year` as `holiday_declared` events of every office, in date order, stamped
/// at [`declared_at`].
pub fn holiday_events(state: State, year: i32) -> Result<Vec<Event>, HolidayError> {
    let at = declared_at(year).ok_or(HolidayError::YearOutOfRange { year })?;
    holiday_events_declared_at(state, year, at)
}

/// [`holiday_events`] stamped at `at` (the 2020 scenario declares them on New Year's Day).
pub fn holiday_events_declared_at(state: State, year: i32, at: Instant) -> Result<Vec<Event>, HolidayError> {
    let events = holidays(state, year)?
        .into_iter()
        .map(|(date, name)| Event {
            id: EventId::parse(&format!(
                "holiday-{}-{:04}-{:02}-{:02}",
                state.code(),
                date.year(),
                date.month(),
                date.day()
            ))
            .expect("a state code and a date make a valid event id"),
            at,
            kind: EventKind::HolidayDeclared { date, name, office: None },
        })
        .collect();
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::wire::{parse_event, to_json_line};

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn names_on(state: &str, year: i32) -> Vec<(NaiveDate, String)> {
        holidays(parse_state(state).unwrap(), year).unwrap()
    }

    fn has(state: &str, year: i32, day: &str, name: &str) -> bool {
        names_on(state, year).contains(&(date(day), name.to_string()))
    }

    #[test]
    fn rhineland_palatinate_2020_has_the_two_holidays_of_the_press_release() {
        assert!(has("rp", 2020, "2020-05-21", "Christi Himmelfahrt"));
        assert!(has("rp", 2020, "2020-06-11", "Fronleichnam"));
        assert!(has("rp", 2020, "2020-06-01", "Pfingstmontag"));
        assert!(has("rp", 2020, "2020-05-01", "Tag der Arbeit"));
        assert_eq!(names_on("rp", 2020).len(), 11);
    }

    #[test]
    fn berlin_has_no_fronleichnam_but_its_own_holidays() {
        let berlin = names_on("be", 2020);
        assert!(berlin.iter().all(|(_, n)| n != "Fronleichnam"));
        assert!(berlin.contains(&(date("2020-03-08"), "Frauentag".to_string())));
        assert!(berlin.contains(&(date("2020-05-08"), "Tag der Befreiung".to_string())));
    }

    #[test]
    fn every_state_has_german_unity_day() {
        for state in State::ALL {
            let days = holidays(state, 2020).unwrap();
            assert!(
                days.contains(&(date("2020-10-03"), "Tag der Deutschen Einheit".to_string())),
                "{} lacks 3 October",
                state.code()
            );
        }
    }

    #[test]
    fn codes_are_case_insensitive_and_unknown_ones_are_named() {
        assert_eq!(parse_state("RP").unwrap(), State::RheinlandPfalz);
        assert_eq!(parse_state(" Nw ").unwrap(), State::NordrheinWestfalen);
        let err = parse_state("xx").unwrap_err();
        assert_eq!(err, HolidayError::UnknownState { code: "xx".to_string() });
        let message = err.to_string();
        assert!(message.starts_with("state \"xx\" is unknown, expected one of bw, by, be"), "{message}");
        assert_eq!(State::ALL.iter().map(|s| s.code()).collect::<std::collections::BTreeSet<_>>().len(), 16);
    }

    #[test]
    fn years_before_1995_are_refused() {
        assert_eq!(holidays(State::Bayern, 1994), Err(HolidayError::YearOutOfRange { year: 1994 }));
        assert!(holiday_events(State::Bayern, 1995).unwrap().len() > 9);
    }

    #[test]
    fn events_parse_back_and_carry_deterministic_ids() {
        let events = holiday_events(State::RheinlandPfalz, 2020).unwrap();
        let lines: Vec<String> = events.iter().map(to_json_line).collect();
        for (line, event) in lines.iter().zip(&events) {
            assert_eq!(&parse_event(line).unwrap(), event, "{line}");
            assert!(!line.contains("\"office\""), "{line}");
        }
        let ascension = lines.iter().find(|l| l.contains("2020-05-21")).unwrap();
        assert_eq!(
            ascension,
            r#"{"event_id":"holiday-rp-2020-05-21","type":"holiday_declared","at":"2019-07-01T00:00:00+02:00","date":"2020-05-21","name":"Christi Himmelfahrt"}"#
        );
        let again: Vec<String> = holiday_event_lines(State::RheinlandPfalz, 2020);
        assert_eq!(lines, again);
    }

    #[test]
    fn holidays_imported_ahead_are_known_before_the_year_begins() {
        use crate::projection::{Config, Projection};
        let plan = parse_event(
            r#"{"event_id":"p","type":"capacity_planned","at":"2026-06-01T08:00:00+02:00","office":"kl","effective_from":"2026-06-01","slots_per_weekday":[10,10,10,10,10,0,0]}"#,
        )
        .unwrap();
        let mut events = vec![plan];
        events.extend(holiday_events(State::RheinlandPfalz, 2027).unwrap());
        assert!(events[1..].iter().all(|e| e.at.to_rfc3339() == "2026-07-01T00:00:00+02:00"));
        let projection =
            Projection::from_entries(Config::default(), events.iter().enumerate().map(|(i, e)| (i as u64 + 1, e)));
        // As of Thursday 31 December 2026: Friday is Neujahr, so the next free slot is on Monday 4 January.
        let row = projection.row(&crate::domain::id::OfficeId::parse("kl").unwrap(), date("2026-12-31"));
        assert_eq!(row.next_available_days, Some(4));
        assert!(holiday_events(State::RheinlandPfalz, 2200).is_err(), "beyond the contract's last date");
    }

    fn holiday_event_lines(state: State, year: i32) -> Vec<String> {
        holiday_events(state, year).unwrap().iter().map(to_json_line).collect()
    }

    #[test]
    fn holidays_on_one_date_become_one_event() {
        // 2008: Ascension Day fell on 1 May.
        let days = names_on("rp", 2008);
        assert!(days.contains(&(date("2008-05-01"), "Christi Himmelfahrt / Tag der Arbeit".to_string())), "{days:?}");
        let ids: std::collections::BTreeSet<String> =
            holiday_events(State::RheinlandPfalz, 2008).unwrap().iter().map(|e| e.id.to_string()).collect();
        assert_eq!(ids.len(), days.len());
    }
}
