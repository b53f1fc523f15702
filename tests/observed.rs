//! The observed figures of docs/events.md ("what citizens see in the online calendar") on hand-made cases computed
//! by hand, and on random logs whose own calendar is observed: an observer offered every free slot sees what the
//! booked figures say.

use chrono::{Duration, NaiveDate};
use proptest::prelude::*;
use wartezeit::domain::event::{Event, EventKind, Instant};
use wartezeit::domain::id::{EventId, OfficeId, ServiceId, SourceId};
use wartezeit::domain::time::Zone;
use wartezeit::domain::wire::parse_event;
use wartezeit::projection::{Config, ObservedDay, Projection};

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn office() -> OfficeId {
    OfficeId::parse("kl").unwrap()
}

/// An observation of kl's whole calendar at `at` showing `slots`.
fn observed(id: &str, at: &str, slots: &[&str]) -> Event {
    let slots: Vec<String> = slots.iter().map(|s| format!("\"{s}\"")).collect();
    parse_event(&format!(
        r#"{{"event_id":"{id}","type":"calendar_observed","at":"{at}","office":"kl","source":"scraper","free_slots":[{}]}}"#,
        slots.join(",")
    ))
    .unwrap()
}

fn day(p: &Projection, d: &str) -> ObservedDay {
    p.observed_series(&office(), None, date(d), date(d)).pop().unwrap()
}

fn figures(
    observations: u32,
    next: Option<u32>,
    third: Option<u32>,
    free_28: Option<u32>,
    taken: u32,
    released: u32,
) -> ObservedDay {
    ObservedDay {
        observations,
        observed_next_available_days: next,
        observed_third_next_available_days: third,
        observed_free_next_28d: free_28,
        observed_taken: taken,
        observed_released: released,
    }
}

/// A week of observations of kl, in the order they reach the log; the eighth arrives late.
fn week() -> Vec<Event> {
    vec![
        observed(
            "o1",
            "2021-07-12T08:00:00+02:00",
            &[
                "2021-07-13T09:00:00+02:00",
                "2021-07-13T09:20:00+02:00",
                "2021-07-14T10:00:00+02:00",
                "2021-07-20T08:00:00+02:00",
            ],
        ),
        observed(
            "o2",
            "2021-07-12T12:00:00+02:00",
            &[
                "2021-07-13T09:20:00+02:00",
                "2021-07-14T10:00:00+02:00",
                "2021-07-14T11:00:00+02:00",
                "2021-07-20T08:00:00+02:00",
            ],
        ),
        // An observer that shows only the first day of the calendar.
        observed("o3", "2021-07-13T08:00:00+02:00", &["2021-07-14T10:00:00+02:00"]),
        // Nothing free.
        observed("o4", "2021-07-14T08:00:00+02:00", &[]),
        // Nobody looks on the 15th.
        observed("o5", "2021-07-16T08:00:00+02:00", &["2021-07-20T08:00:00+02:00"]),
        // Two observations in the same second: the later in the log is the day's last.
        observed("o6", "2021-07-17T08:00:00+02:00", &["2021-07-20T08:00:00+02:00", "2021-07-21T08:00:00+02:00"]),
        observed("o7", "2021-07-17T08:00:00+02:00", &["2021-07-21T08:00:00+02:00"]),
        // Late: taken on the 13th at noon, after o3, reaching the log after everything else.
        observed("o8", "2021-07-13T12:00:00+02:00", &["2021-07-14T10:00:00+02:00", "2021-07-15T09:00:00+02:00"]),
    ]
}

#[test]
fn a_week_of_observations_gives_the_figures_computed_by_hand() {
    let events = week();
    let p = Projection::from_entries(Config::default(), events.iter().enumerate().map(|(i, e)| (i as u64 + 1, e)));
    // 12th: o2 is the day's last; next 1 (13th), third 2 (13th, 14th, 14th), 4 slots within 28 days. The pair
    // (o1, o2): 13th 09:00 taken; 14th 11:00 released.
    assert_eq!(day(&p, "2021-07-12"), figures(2, Some(1), Some(2), Some(4), 1, 1));
    // 13th: o3 and (late) o8, o8 the last: next 1, one slot short of a third, 2 within 28 days. (o2, o3): 13th
    // 09:20 and 14th 11:00 taken, the 20th lies beyond o3's window; (o3, o8): 15th 09:00 is new but beyond o3's
    // window, so not released.
    assert_eq!(day(&p, "2021-07-13"), figures(2, Some(1), None, Some(2), 2, 0));
    // 14th: nothing free: no wait, no third, 0 within 28 days; (o8, o4): a q without free slots adds nothing.
    assert_eq!(day(&p, "2021-07-14"), figures(1, None, None, Some(0), 0, 0));
    // 15th: nobody looked.
    assert_eq!(day(&p, "2021-07-15"), ObservedDay::default());
    // 16th: the 20th is 4 days ahead; (o4, o5): a p without free slots adds nothing.
    assert_eq!(day(&p, "2021-07-16"), figures(1, Some(4), None, Some(1), 0, 0));
    // 17th: o7 is the last; (o5, o6): the 21st lies beyond o5's window; (o6, o7): the 20th taken.
    assert_eq!(day(&p, "2021-07-17"), figures(2, Some(4), None, Some(1), 1, 0));
    assert_eq!(p.last_observed(&office(), None, date("2021-07-15")).unwrap().to_rfc3339(), "2021-07-14T06:00:00+00:00");
    let info = p.offices();
    assert_eq!((info.len(), info[0].events, info[0].first_event_date), (1, 8, date("2021-07-12")));
}

#[test]
fn observations_applied_one_by_one_late_ones_included_give_what_a_rebuild_gives() {
    let events = week();
    let rebuilt =
        Projection::from_entries(Config::default(), events.iter().enumerate().map(|(i, e)| (i as u64 + 1, e)));
    let mut live = Projection::new(Config::default());
    for (i, event) in events.iter().enumerate() {
        live.apply(i as u64 + 1, event);
    }
    let (from, to) = (date("2021-07-10"), date("2021-07-20"));
    assert_eq!(live.observed_series(&office(), None, from, to), rebuilt.observed_series(&office(), None, from, to));
    // The same events in the order of their `at` give the same figures but for which of two simultaneous
    // observations counts as the later: o6 and o7 keep their log order here.
    let mut by_time = events.clone();
    by_time.sort_by_key(|e| e.at);
    let sorted =
        Projection::from_entries(Config::default(), by_time.iter().enumerate().map(|(i, e)| (i as u64 + 1, e)));
    assert_eq!(sorted.observed_series(&office(), None, from, to), rebuilt.observed_series(&office(), None, from, to));
}

#[test]
fn the_days_of_the_clock_change_count_local_dates() {
    let events = [
        // 28 March 2021 has 23 hours: 23:30 is still the 28th, 00:10 the 29th.
        observed("s1", "2021-03-27T20:00:00+01:00", &["2021-03-28T23:30:00+02:00", "2021-03-29T00:10:00+02:00"]),
        observed("s2", "2021-03-28T23:30:00+02:00", &["2021-03-29T00:10:00+02:00", "2021-03-30T08:00:00+02:00"]),
        // 31 October 2021 has 25 hours: 02:30 comes twice; the second (+01:00) and 23:59 are still the 31st.
        observed("f1", "2021-10-31T02:30:00+01:00", &["2021-10-31T23:59:00+01:00", "2021-11-01T00:00:00+01:00"]),
        observed("f2", "2021-10-31T23:59:30+01:00", &["2021-11-01T00:00:00+01:00"]),
    ];
    let p = Projection::from_entries(Config::default(), events.iter().enumerate().map(|(i, e)| (i as u64 + 1, e)));
    assert_eq!(day(&p, "2021-03-27"), figures(1, Some(1), None, Some(2), 0, 0));
    // s2 on the 28th: the 29th is 1 day ahead. (s1, s2): 23:30 on the 28th lies before s2's at, so not taken; the
    // 30th lies beyond s1's window, so not released.
    assert_eq!(day(&p, "2021-03-28"), figures(1, Some(1), None, Some(2), 0, 0));
    // f1 and f2 both on the 31st; (f1, f2): 23:59 lies before f2's at, so not taken.
    assert_eq!(day(&p, "2021-10-31"), figures(2, Some(1), None, Some(1), 0, 0));
}

#[test]
fn services_are_scopes_of_their_own() {
    let line = r#"{"event_id":"p1","type":"calendar_observed","at":"2021-07-12T08:00:00+02:00","office":"kl","service":"pass","source":"s","free_slots":["2021-07-19T08:00:00+02:00"]}"#;
    let events =
        [parse_event(line).unwrap(), observed("o1", "2021-07-12T09:00:00+02:00", &["2021-07-13T08:00:00+02:00"])];
    let p = Projection::from_entries(Config::default(), events.iter().enumerate().map(|(i, e)| (i as u64 + 1, e)));
    let pass = ServiceId::parse("pass").unwrap();
    let d = date("2021-07-12");
    assert_eq!(p.observed_series(&office(), Some(&pass), d, d)[0].observed_next_available_days, Some(7));
    assert_eq!(day(&p, "2021-07-12").observed_next_available_days, Some(1));
    assert_eq!(p.observed(&office()).unwrap().services().collect::<Vec<_>>(), vec![&pass]);
}

/// The observation of `office`'s own calendar at the end of `as_of` offering every free slot of the next year
/// (at most 20,000, the earliest first), each day's free slots a minute apart from 08:00 local time.
fn observation_of_the_log(p: &Projection, office: &OfficeId, as_of: NaiveDate, id: usize) -> Event {
    let zone = Zone::default();
    let snapshot = p.snapshot(office, as_of, 365);
    let mut free_slots: Vec<Instant> = Vec::new();
    for (i, (capacity, booked)) in snapshot.capacity.iter().zip(&snapshot.booked).enumerate() {
        let d = as_of + Duration::days(i as i64 + 1);
        let eight = zone.start_of_day(d) + Duration::hours(8);
        let free = capacity.saturating_sub(*booked);
        free_slots.extend((0..free).map(|j| (eight + Duration::minutes(i64::from(j))).fixed_offset()));
    }
    free_slots.truncate(20_000);
    Event {
        id: EventId::parse(&format!("obs-{id}")).unwrap(),
        at: (zone.end_of_day(as_of) - Duration::seconds(1)).fixed_offset(),
        kind: EventKind::CalendarObserved {
            office: office.clone(),
            service: None,
            source: SourceId::parse("self").unwrap(),
            free_slots,
        },
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, .. ProptestConfig::default() })]

    #[test]
    fn an_observer_offered_every_free_slot_sees_the_booked_waits_and_free_slots(seed in any::<u64>(), n in 40usize..400) {
        let events = wartezeit::sample::events(seed, n);
        let mut p = Projection::from_entries(Config::default(), events.iter().enumerate().map(|(i, e)| (i as u64 + 1, e)));
        let zone = Zone::default();
        let office = OfficeId::parse("kl-buergercenter").unwrap();
        let first = zone.date_of(&events[0].at);
        let last = zone.date_of(&events.last().unwrap().at);
        let days: Vec<NaiveDate> = first.iter_days().take_while(|d| *d <= last).take(15).collect();
        let mut position = events.len() as u64;
        for (i, d) in days.iter().enumerate() {
            let observation = observation_of_the_log(&p, &office, *d, i);
            position += 1;
            p.apply(position, &observation);
        }
        prop_assert!(!days.is_empty());
        for d in days {
            let row = p.row(&office, d);
            prop_assert!(row.next_available_days.is_some(), "the sample plans capacity: {}", d);
            let seen = p.observed_series(&office, None, d, d).pop().unwrap();
            let snapshot = p.snapshot(&office, d, 28);
            let free_28: u32 = snapshot.capacity.iter().zip(&snapshot.booked).map(|(c, b)| c.saturating_sub(*b)).sum();
            prop_assert_eq!(seen.observations, 1);
            prop_assert_eq!(seen.observed_next_available_days, row.next_available_days, "{}", d);
            prop_assert_eq!(seen.observed_third_next_available_days, row.third_next_available_days, "{}", d);
            prop_assert_eq!(seen.observed_free_next_28d, Some(free_28), "{}", d);
        }
    }
}

#[test]
fn the_scenario_observing_its_own_calendar_sees_its_booked_waits_within_the_window() {
    let data_set = include_str!("../data/kaiserslautern-2020.ndjson");
    let mut events: Vec<Event> = data_set.lines().map(|l| parse_event(l).unwrap()).collect();
    let office = OfficeId::parse("kl-buergercenter").unwrap();
    let observations = wartezeit::scenario::observer::observe(&events, &office, Zone::default());
    assert!(observations.len() > 400, "twice each open day: {}", observations.len());
    events.extend(observations);
    let p = Projection::from_entries(Config::default(), events.iter().enumerate().map(|(i, e)| (i as u64 + 1, e)));
    let (from, to) = (date("2020-01-01"), date("2020-12-31"));
    let (booked, seen) = (p.series(&office, from, to), p.observed_series(&office, None, from, to));
    let mut compared = 0;
    for (row, observed) in booked.iter().zip(&seen) {
        if observed.observations == 0 {
            continue;
        }
        // The evening observation sees the calendar as of that evening, as the row does, six weeks ahead.
        match row.next_available_days {
            Some(days) if days <= wartezeit::scenario::observer::WINDOW_DAYS => {
                assert_eq!(observed.observed_next_available_days, Some(days), "{}", row.date);
                compared += 1;
            }
            _ => assert_eq!(observed.observed_next_available_days, None, "{}", row.date),
        }
    }
    assert!(compared > 200, "{compared} days compared");
}
