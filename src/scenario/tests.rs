//! Tests of the Kaiserslautern 2020 scenario: the committed file, the rules of docs/events.md, the calibration against
//! the press release, and an independent recomputation of the figures from the events.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Datelike, NaiveDate, Offset, Timelike};
use proptest::prelude::*;

use super::*;
use crate::domain::event::EventKind;
use crate::domain::time::Zone;
use crate::domain::wire::parse_event;

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn default_run() -> &'static Simulation {
    static RUN: std::sync::OnceLock<Simulation> = std::sync::OnceLock::new();
    RUN.get_or_init(|| kaiserslautern_2020(DEFAULT_SEED))
}

#[test]
fn the_committed_file_is_the_output_of_the_default_seed() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/kaiserslautern-2020.ndjson");
    let committed = std::fs::read_to_string(path).expect("data/kaiserslautern-2020.ndjson is committed");
    let generated = default_run().to_ndjson();
    assert_eq!(committed.len(), generated.len(), "regenerate with `wartezeit scenario kaiserslautern-2020`");
    assert!(committed == generated, "regenerate with `wartezeit scenario kaiserslautern-2020`");
}

#[test]
fn every_line_parses_and_writes_back_identically() {
    let ndjson = default_run().to_ndjson();
    for (i, line) in ndjson.lines().enumerate() {
        let event = parse_event(line).unwrap_or_else(|e| panic!("line {}: {e:?}", i + 1));
        assert_eq!(to_json_line(&event), line, "line {}", i + 1);
    }
}

#[test]
fn the_year_has_a_sensible_size() {
    let n = default_run().events.len();
    assert!((20_000..200_000).contains(&n), "{n} events");
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    assert_eq!(kaiserslautern_2020(7).to_ndjson(), kaiserslautern_2020(7).to_ndjson());
    assert_ne!(kaiserslautern_2020(7).to_ndjson(), kaiserslautern_2020(8).to_ndjson());
}

#[test]
fn press_release_calibration_holds_on_24_june() {
    let day = default_run().day(date("2020-06-24")).unwrap();
    let wait = day.next_available_days.expect("a free slot within the horizon");
    assert!((18..=24).contains(&wait), "next_available_days {wait}");
    assert!(day.backlog > 1000, "backlog {}", day.backlog);
}

#[test]
fn january_has_a_normal_wait() {
    for day in default_run().days.iter().filter(|d| d.date.month() == 1) {
        let wait = day.next_available_days.expect("a free slot within the horizon");
        assert!(wait <= 7, "{}: next_available_days {wait}", day.date);
    }
}

#[test]
fn the_wait_comes_down_again_in_autumn() {
    let day = default_run().day(date("2020-10-15")).unwrap();
    assert!(day.next_available_days.unwrap() <= 7, "{day:?}");
}

#[test]
fn every_event_keeps_the_rules_of_domain_md() {
    check_rules(&default_run().events);
}

#[test]
fn no_shows_are_between_10_and_15_percent() {
    let events = &default_run().events;
    let missed = events.iter().filter(|e| matches!(e.kind, EventKind::AppointmentMissed { .. })).count() as f64;
    let attended = events.iter().filter(|e| matches!(e.kind, EventKind::AppointmentAttended { .. })).count() as f64;
    let share = missed / (missed + attended);
    assert!((0.10..=0.15).contains(&share), "no-show share {share}");
}

#[test]
fn slots_lie_in_opening_hours_with_berlin_offsets() {
    let berlin = Zone::default();
    for event in &default_run().events {
        let slot = match &event.kind {
            EventKind::AppointmentBooked { slot, .. } | EventKind::AppointmentRescheduled { slot, .. } => slot,
            _ => continue,
        };
        let local = slot.with_timezone(&chrono_tz::Europe::Berlin);
        assert_eq!(slot.offset().local_minus_utc(), local.offset().fix().local_minus_utc(), "{slot}");
        let minute = local.hour() * 60 + local.minute();
        let hours = match local.weekday().num_days_from_monday() {
            0..=2 => (480, 960),
            3 => (540, 1080),
            4 => (480, 720),
            _ => panic!("slot {slot} on a weekend"),
        };
        assert!((hours.0..hours.1).contains(&minute), "slot {slot} outside opening hours");
        assert!(berlin.date_of(slot).year() == 2020, "slot {slot} outside 2020");
    }
}

#[test]
fn the_story_of_the_press_release_is_in_the_log() {
    let events = &default_run().events;
    let closures: BTreeMap<String, (NaiveDate, NaiveDate, String)> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ClosureDeclared { closure, first_day, last_day, cause, .. } => {
                Some((closure.to_string(), (*first_day, *last_day, cause.as_str().to_string())))
            }
            _ => None,
        })
        .collect();
    assert_eq!(closures["lockdown-2020"], (date("2020-03-17"), date("2020-04-26"), "lockdown".to_string()));
    assert_eq!(
        closures["systemumstellung-2020"],
        (date("2020-05-27"), date("2020-06-02"), "system_migration".to_string())
    );
    let holidays: BTreeSet<NaiveDate> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::HolidayDeclared { date, office: None, .. } => Some(*date),
            _ => None,
        })
        .collect();
    assert!(holidays.contains(&date("2020-05-21")) && holidays.contains(&date("2020-06-11")));
    assert!(events.iter().any(|e| matches!(&e.kind,
        EventKind::PolicyChanged { service, effective_from, appointment_required: false, .. }
            if service.as_str() == "ausweis-abholung" && *effective_from == date("2020-06-29"))));
    // Appointments only between the reopening and 28 June; pick-ups walk in again from 29 June.
    let berlin = Zone::default();
    let walk_ins: Vec<(NaiveDate, &str)> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::WalkInServed { service, .. } => Some((berlin.date_of(&e.at), service.as_str())),
            _ => None,
        })
        .collect();
    assert!(!walk_ins.iter().any(|(d, _)| (date("2020-03-17")..=date("2020-06-28")).contains(d)));
    assert!(walk_ins.iter().any(|(d, s)| *d >= date("2020-06-29") && *s == "ausweis-abholung"));
    assert!(walk_ins.iter().all(|(d, s)| *d < date("2020-03-17") || *s == "ausweis-abholung"));
    // The closures displaced booked appointments, which were moved.
    assert!(events.iter().any(|e| matches!(e.kind, EventKind::AppointmentRescheduled { .. })));
}

#[test]
fn the_simulations_figures_agree_with_a_recomputation_from_its_events() {
    let run = default_run();
    for d in ["2020-01-20", "2020-03-16", "2020-04-15", "2020-05-12", "2020-06-24", "2020-06-26", "2020-12-30"] {
        let figures = run.day(date(d)).unwrap();
        assert_eq!(&recompute(&run.events, figures), figures, "{d}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3))]

    /// Whatever the seed, the log keeps the rules and the figures the simulation reports are those its events give.
    #[test]
    fn any_seed_gives_a_valid_log_whose_figures_agree(seed in any::<u64>()) {
        let run = kaiserslautern_2020(seed);
        check_rules(&run.events);
        for d in ["2020-02-10", "2020-06-24", "2020-09-01"] {
            let figures = run.day(date(d)).unwrap();
            prop_assert_eq!(&recompute(&run.events, figures), figures);
        }
    }
}

/// Checks docs/events.md's rules event by event against the events before it, and that `at` never goes back.
fn check_rules(events: &[Event]) {
    #[derive(PartialEq)]
    enum State {
        Open,
        Ended,
    }
    let mut ids = BTreeSet::new();
    let mut appointments: HashMap<String, (crate::domain::event::Instant, State)> = HashMap::new();
    let mut closures = BTreeSet::new();
    let mut last_at = None;
    for (i, e) in events.iter().enumerate() {
        let line = i + 1;
        assert!(ids.insert(e.id.to_string()), "line {line}: event_id {} twice", e.id);
        assert!(last_at.is_none_or(|t| t <= e.at), "line {line}: at goes back");
        last_at = Some(e.at);
        match &e.kind {
            EventKind::AppointmentBooked { appointment, slot, .. } => {
                assert!(*slot >= e.at, "line {line}: slot before at");
                let fresh = appointments.insert(appointment.to_string(), (e.at, State::Open)).is_none();
                assert!(fresh, "line {line}: {appointment} booked twice");
            }
            EventKind::AppointmentRescheduled { appointment, slot, .. } => {
                assert!(*slot >= e.at, "line {line}: slot before at");
                let (booked_at, state) = &appointments[appointment.as_str()];
                assert!(*state == State::Open && *booked_at <= e.at, "line {line}: {appointment} not open");
            }
            EventKind::AppointmentCancelled { appointment, .. }
            | EventKind::AppointmentAttended { appointment, .. }
            | EventKind::AppointmentMissed { appointment, .. } => {
                let entry = appointments.get_mut(appointment.as_str()).expect("known appointment");
                assert!(entry.1 == State::Open && entry.0 <= e.at, "line {line}: {appointment} not open");
                entry.1 = State::Ended;
            }
            EventKind::ClosureDeclared { closure, first_day, last_day, .. } => {
                assert!(first_day <= last_day && (*last_day - *first_day).num_days() < 366, "line {line}");
                closures.insert(closure.to_string());
            }
            EventKind::ClosureCancelled { closure, .. } => assert!(closures.contains(closure.as_str())),
            _ => {}
        }
    }
}

/// The figures of docs/events.md as of the day of `own`, folded from the events alone, the straightforward way. The two
/// figures that are the simulation's own and leave no events are copied from `own`.
fn recompute(events: &[Event], own: &DayFigures) -> DayFigures {
    let as_of = own.date;
    let berlin = Zone::default();
    let mut plans: Vec<(NaiveDate, [u16; 7])> = Vec::new();
    let mut closures: BTreeMap<String, (NaiveDate, NaiveDate)> = BTreeMap::new();
    let mut holidays = BTreeSet::new();
    // appointment -> (current slot date, cancelled, ended)
    let mut appointments: HashMap<String, (NaiveDate, bool, bool)> = HashMap::new();
    let mut today = [0u32; 6];
    for e in events.iter().filter(|e| berlin.date_of(&e.at) <= as_of) {
        let is_today = berlin.date_of(&e.at) == as_of;
        match &e.kind {
            EventKind::AppointmentBooked { appointment, slot, .. } => {
                appointments.insert(appointment.to_string(), (berlin.date_of(slot), false, false));
                today[0] += u32::from(is_today);
            }
            EventKind::AppointmentRescheduled { appointment, slot, .. } => {
                appointments.get_mut(appointment.as_str()).unwrap().0 = berlin.date_of(slot);
            }
            EventKind::AppointmentCancelled { appointment, .. } => {
                let a = appointments.get_mut(appointment.as_str()).unwrap();
                a.1 = true;
                a.2 = true;
                today[1] += u32::from(is_today);
            }
            EventKind::AppointmentAttended { appointment, .. } => {
                appointments.get_mut(appointment.as_str()).unwrap().2 = true;
                today[2] += u32::from(is_today);
            }
            EventKind::AppointmentMissed { appointment, .. } => {
                appointments.get_mut(appointment.as_str()).unwrap().2 = true;
                today[3] += u32::from(is_today);
            }
            EventKind::WalkInServed { .. } => today[4] += u32::from(is_today),
            EventKind::CapacityPlanned { effective_from, slots_per_weekday, .. } => {
                plans.push((*effective_from, *slots_per_weekday))
            }
            EventKind::ClosureDeclared { closure, first_day, last_day, .. } => {
                closures.insert(closure.to_string(), (*first_day, *last_day));
            }
            EventKind::ClosureCancelled { closure, .. } => {
                closures.remove(closure.as_str());
            }
            EventKind::HolidayDeclared { date, .. } => {
                holidays.insert(*date);
            }
            EventKind::PolicyChanged { .. }
            | EventKind::OfficeDescribed { .. }
            | EventKind::ServiceDescribed { .. }
            | EventKind::CalendarObserved { .. } => {}
        }
    }
    let capacity = |d: NaiveDate| -> u32 {
        if holidays.contains(&d) || closures.values().any(|(a, b)| *a <= d && d <= *b) {
            return 0;
        }
        let weekday = d.weekday().num_days_from_monday() as usize;
        plans.iter().filter(|(f, _)| *f <= d).max_by_key(|(f, _)| *f).map_or(0, |(_, s)| u32::from(s[weekday]))
    };
    let mut booked: BTreeMap<NaiveDate, u32> = BTreeMap::new();
    for (day, cancelled, _) in appointments.values() {
        if !cancelled {
            *booked.entry(*day).or_default() += 1;
        }
    }
    let booked_on = |d: NaiveDate| booked.get(&d).copied().unwrap_or(0);
    let free = |d: NaiveDate| capacity(d).saturating_sub(booked_on(d));
    let ahead = |k: u32| as_of + chrono::Days::new(u64::from(k));
    let next_available_days = (1..=365).find(|k| free(ahead(*k)) > 0);
    let mut sum = 0;
    let third_next_available_days = (1..=365).find(|k| {
        sum += free(ahead(*k));
        sum >= 3
    });
    let open: Vec<NaiveDate> = appointments.values().filter(|a| !a.2).map(|a| a.0).collect();
    DayFigures {
        date: as_of,
        capacity: capacity(as_of),
        booked: booked_on(as_of),
        backlog: open.len() as u32,
        displaced: open.iter().filter(|d| capacity(**d) == 0).count() as u32,
        next_available_days,
        third_next_available_days,
        bookings: today[0],
        cancellations: today[1],
        served_appointments: today[2],
        no_shows: today[3],
        served_walk_in: today[4],
        unserved: own.unserved,
        waiting_requests: own.waiting_requests,
    }
}
