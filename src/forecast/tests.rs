//! Tests of the forecast on hand-built calendars: what a reader of the forecast would check.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate};
use proptest::prelude::*;

use super::*;
use crate::domain::id::ServiceId;
use crate::projection::ServiceDay;

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn plus(d: NaiveDate, days: u64) -> NaiveDate {
    d.checked_add_days(Days::new(days)).unwrap()
}

/// A day's row with the figures the forecast reads; the rest zero.
fn row(date: NaiveDate, capacity: u32, bookings: u32, cancellations: u32, backlog: u32) -> DayRow {
    DayRow {
        date,
        backlog,
        backlog_by_service: BTreeMap::new(),
        displaced: 0,
        bookings,
        served_appointments: 0,
        served_walk_in: 0,
        cancellations,
        no_shows: 0,
        capacity,
        booked: 0,
        next_available_days: None,
        third_next_available_days: None,
        realized_wait_p50_days: None,
        realized_wait_p90_days: None,
    }
}

fn weekday_capacity(d: NaiveDate, per_weekday: u32) -> u32 {
    if d.weekday().num_days_from_monday() < 5 { per_weekday } else { 0 }
}

/// An office open Monday to Friday with `per_weekday` slots, whose last 8 weeks saw `bookings` and `cancellations`
/// on every open day and a steady `backlog`, and whose calendar as of `as_of` holds `booked` (from as_of + 1 on).
struct Office {
    as_of: NaiveDate,
    capacity: Vec<u32>,
    booked: Vec<u32>,
    history: Vec<DayRow>,
}

impl Office {
    fn new(as_of: NaiveDate, per_weekday: u32, bookings: u32, cancellations: u32, backlog: u32) -> Self {
        let days = ForecastConfig::default().snapshot_days() as u64;
        let capacity = (1..=days).map(|i| weekday_capacity(plus(as_of, i), per_weekday)).collect();
        let history = (0..56)
            .rev()
            .map(|back| {
                let d = as_of.checked_sub_days(Days::new(back)).unwrap();
                let cap = weekday_capacity(d, per_weekday);
                let open = cap > 0;
                row(d, cap, if open { bookings } else { 0 }, if open { cancellations } else { 0 }, backlog)
            })
            .collect();
        Office { as_of, capacity, booked: vec![0; days as usize], history }
    }

    fn book(mut self, day: &str, count: u32) -> Self {
        let i = (date(day) - self.as_of).num_days() as usize - 1;
        self.booked[i] = count;
        self
    }

    fn close(mut self, day: &str) -> Self {
        let i = (date(day) - self.as_of).num_days() as usize - 1;
        self.capacity[i] = 0;
        self
    }

    fn today(mut self, backlog: u32, next_available_days: Option<u32>) -> Self {
        let today = self.history.last_mut().unwrap();
        today.backlog = backlog;
        today.next_available_days = next_available_days;
        today.third_next_available_days = next_available_days;
        self
    }

    fn snapshot(&self) -> CalendarSnapshot {
        CalendarSnapshot {
            office: OfficeId::parse("kl-buergercenter").unwrap(),
            as_of: self.as_of,
            capacity: self.capacity.clone(),
            booked: self.booked.clone(),
            today: self.history.last().unwrap().clone(),
        }
    }

    fn forecast(&self, config: &ForecastConfig) -> Forecast {
        forecast(&self.snapshot(), &self.history, &ServiceInputs::default(), config).unwrap()
    }
}

fn quick() -> ForecastConfig {
    ForecastConfig { runs: 300, ..ForecastConfig::default() }
}

/// Friday 2020-06-05; ten slots a weekday; Thursday 2020-06-11 (Fronleichnam) a holiday declared after ten
/// appointments were booked on it. The calendar holds 65 appointments, and nobody books or cancels.
fn no_demand_office() -> Office {
    Office::new(date("2020-06-05"), 10, 0, 0, 65)
        .book("2020-06-08", 10)
        .book("2020-06-09", 10)
        .book("2020-06-10", 10)
        .close("2020-06-11")
        .book("2020-06-11", 10)
        .book("2020-06-12", 10)
        .book("2020-06-15", 10)
        .book("2020-06-16", 5)
        .today(65, Some(11))
}

#[test]
fn with_no_demand_the_backlog_is_worked_off_on_the_day_the_calendar_says() {
    // By hand: the ten displaced appointments of the holiday move to the first free slots, five on Tue 16 and five
    // on Wed 17. Served per day: Mon 8, Tue 9, Wed 10: 10 each (35 left), Thu 11: none, Fri 12: 10 (25 left),
    // Mon 15: 10 (15 left), Tue 16: 10 (5 left), Wed 17: 5 (0 left).
    let office = no_demand_office();
    let to_zero = office.forecast(&ForecastConfig { backlog_level: Some(0), ..quick() });
    for p in [to_zero.backlog_target.p50, to_zero.backlog_target.p85, to_zero.backlog_target.p95] {
        assert_eq!(p, Some(date("2020-06-17")));
    }
    let to_twenty = office.forecast(&ForecastConfig { backlog_level: Some(20), ..quick() });
    assert_eq!(to_twenty.backlog_target.p95, Some(date("2020-06-15")));
    assert_eq!(to_twenty.backlog_target.share_within_horizon, 1.0);
    // The first free slot is Wed 17 throughout, so the wait is 17 − d days at the end of day d: 7 on Wed 10.
    assert_eq!(to_zero.wait_target.p50, Some(date("2020-06-10")));
    assert_eq!(to_zero.wait_target.p95, Some(date("2020-06-10")));
    assert_eq!(to_zero.fan[0].wait, [Some(11); 5], "end of Sat 6: Wed 17 is 11 days on");
}

#[test]
fn the_default_backlog_level_is_target_wait_times_mean_daily_capacity() {
    // 28 days after Fri 2020-06-05 hold 20 weekdays with 10 slots, one of them the holiday: 190 / 28 per day.
    let f = no_demand_office().forecast(&quick());
    assert!((f.observed.mean_daily_capacity - 190.0 / 28.0).abs() < 1e-9);
    assert_eq!(f.backlog_target.level, (7.0 * 190.0 / 28.0) as u32);
}

#[test]
fn with_demand_above_capacity_the_target_is_not_within_the_horizon() {
    // Twenty bookings a weekday against ten slots, the calendar full for six weeks.
    let mut office = Office::new(date("2020-06-05"), 10, 20, 0, 300).today(300, Some(45));
    for i in 0..42 {
        office.booked[i] = office.capacity[i];
    }
    let f = office.forecast(&quick());
    assert_eq!((f.wait_target.p50, f.wait_target.p85, f.wait_target.p95), (None, None, None));
    assert_eq!(f.wait_target.share_within_horizon, 0.0);
    assert_eq!(f.backlog_target.p50, None);
    assert!(f.fan.windows(2).all(|w| w[0].backlog[2] <= w[1].backlog[2]), "the backlog only grows");
}

#[test]
fn the_same_seed_gives_the_same_forecast_and_another_seed_another() {
    let office = Office::new(date("2020-06-05"), 40, 38, 4, 400).today(400, Some(12));
    let office = (0..9).fold(office, |o, i| {
        let day = plus(date("2020-06-05"), i + 1);
        let cap = weekday_capacity(day, 40);
        o.book(&day.to_string(), cap)
    });
    let config = quick();
    let a = office.forecast(&config);
    assert_eq!(a, office.forecast(&config));
    let b = office.forecast(&ForecastConfig { seed: config.seed + 1, ..config });
    assert_ne!(a.fan, b.fan);
}

#[test]
fn cancellations_free_slots_and_bring_the_date_forward() {
    // A calendar full for four weeks, no new demand; with cancellations the first free slot comes sooner.
    let full = |cancellations| {
        let mut office = Office::new(date("2020-06-05"), 10, 0, cancellations, 200).today(200, Some(31));
        for i in 0..28 {
            office.booked[i] = office.capacity[i];
        }
        office.forecast(&ForecastConfig { target_wait_days: 2, ..quick() })
    };
    let without = full(0);
    let with = full(20);
    assert!(with.observed.cancellation_rate_by_weekday[0] > 0.09);
    assert!(with.wait_target.p50.unwrap() < without.wait_target.p50.unwrap());
    assert!(with.backlog_target.p50.unwrap() < without.backlog_target.p50.unwrap());
}

#[test]
fn a_day_already_at_the_target_is_reached_as_of_itself() {
    let f = Office::new(date("2020-06-05"), 10, 5, 0, 5).today(5, Some(1)).forecast(&quick());
    assert!(f.wait_target.reached_as_of);
    assert_eq!(f.wait_target.p95, Some(date("2020-06-05")));
}

#[test]
fn weekends_resample_weekend_bookings_not_weekday_demand() {
    let f = Office::new(date("2020-06-05"), 10, 8, 0, 50).forecast(&quick());
    assert_eq!(f.observed.bookings_by_weekday, [8.0, 8.0, 8.0, 8.0, 8.0, 0.0, 0.0]);
    assert_eq!(f.observed.open_days, 28);
    assert_eq!(f.observed.window_first_day, date("2020-04-29"), "28 weekdays back from Fri 2020-06-05");
}

#[test]
fn littles_law_on_a_hand_example() {
    // 300 appointments at 12.5 slots a day: 24 days.
    let l = littles_law(300, 12.5, date("2020-06-05"));
    assert_eq!(l.days, Some(24.0));
    assert_eq!(l.date, Some(date("2020-06-29")));
    // Part days round up: 65 at 10 a day is 6.5 days, done on the seventh.
    assert_eq!(littles_law(65, 10.0, date("2020-06-05")).date, Some(date("2020-06-12")));
    assert_eq!(littles_law(65, 0.0, date("2020-06-05")).days, None);
}

#[test]
fn wait_after_two_four_and_eight_weeks_is_read_off_the_fan() {
    let f = no_demand_office().forecast(&quick());
    let days: Vec<u32> = f.wait_after.iter().map(|w| w.days).collect();
    assert_eq!(days, [14, 28, 56]);
    assert_eq!(f.wait_after[0].date, date("2020-06-19"));
    // After Wed 17 every day is free again: the next weekday is one to three days on.
    assert_eq!(f.wait_after[0].p50, Some(3), "Fri 19 → Mon 22");
    assert_eq!(f.fan.len(), 180);
}

#[test]
fn bad_input_is_named() {
    let office = no_demand_office();
    let snapshot = office.snapshot();
    let cases: Vec<(Result<Forecast, ForecastError>, &str)> = vec![
        (
            forecast(&snapshot, &office.history[..50], &ServiceInputs::default(), &quick()),
            "history: the last row is for 2020-05-30, expected the as-of day 2020-06-05",
        ),
        (
            forecast(
                &snapshot,
                &[office.history[0].clone(), office.history[55].clone()],
                &ServiceInputs::default(),
                &quick(),
            ),
            "history: the row after 2020-04-11 is for 2020-06-05, expected consecutive days",
        ),
        (
            forecast(
                &CalendarSnapshot { capacity: vec![10; 100], booked: vec![0; 100], ..snapshot.clone() },
                &office.history,
                &ServiceInputs::default(),
                &quick(),
            ),
            "snapshot: covers 100 days, the forecast needs 545",
        ),
        (
            forecast(&snapshot, &office.history, &ServiceInputs::default(), &ForecastConfig { runs: 0, ..quick() }),
            "config: runs must be at least 1",
        ),
    ];
    for (result, message) in cases {
        assert!(result.unwrap_err().to_string().starts_with(message), "expected {message:?}");
    }
    let closed: Vec<DayRow> = office.history.iter().map(|r| DayRow { capacity: 0, ..r.clone() }).collect();
    assert_eq!(
        forecast(&snapshot, &closed, &ServiceInputs::default(), &quick()).unwrap_err().to_string(),
        "history: no open day (capacity > 0) in the 56 days up to 2020-06-05, no demand to resample"
    );
}

/// `None` (not within the horizon) sorts after every date.
fn ordered(dates: &[Option<NaiveDate>]) -> bool {
    dates.windows(2).all(|w| match (w[0], w[1]) {
        (Some(a), Some(b)) => a <= b,
        (None, Some(_)) => false,
        _ => true,
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn percentiles_are_ordered_on_any_calendar(
        per_weekday in 1u32..30,
        bookings in prop::collection::vec(0u32..40, 56),
        cancellations in 0u32..6,
        booked in prop::collection::vec(0u32..35, 60),
        closed in prop::collection::vec(0usize..60, 0..6),
        target in 1u32..15,
        seed in any::<u64>(),
    ) {
        let as_of = date("2020-06-05");
        let mut office = Office::new(as_of, per_weekday, 0, cancellations, 0);
        for (row, b) in office.history.iter_mut().zip(&bookings) {
            row.bookings = if row.capacity > 0 { *b } else { b / 8 };
            row.backlog = 300;
        }
        for &c in &closed {
            office.capacity[c] = 0;
        }
        office.booked[..60].copy_from_slice(&booked);
        let backlog = booked.iter().sum();
        let office = office.today(backlog, Some(3));
        let config = ForecastConfig { runs: 100, horizon_days: 90, seed, target_wait_days: target, ..ForecastConfig::default() };
        let f = office.forecast(&config);
        for reach in [&f.wait_target, &f.backlog_target] {
            prop_assert!(ordered(&[reach.p50, reach.p85, reach.p95]), "{reach:?}");
            prop_assert!(ordered(&[reach.central_95.from, reach.central_85.from, reach.p50, reach.central_85.to, reach.central_95.to]));
        }
        for day in &f.fan {
            prop_assert!(day.wait.iter().map(|w| w.unwrap_or(u32::MAX)).collect::<Vec<_>>().is_sorted());
            prop_assert!(day.backlog.is_sorted());
        }
    }
}

#[test]
fn a_known_policy_leaves_the_service_out_of_demand_from_the_day_before_it_takes_effect() {
    // Every booking is an ID pick-up, ten a weekday against ten slots: without the policy the calendar fills as
    // fast as it is served and the wait never falls. Pick-ups need no appointment from Wed 2020-06-17, so from
    // Tue 16 on nobody books them (a booking that day lands on the 17th or later). By hand: Mon 8 … Fri 12 fill
    // Mon 15 … Fri 19, Mon 15 fills Mon 22; at the end of Tue 16 the first free slots are on Tue 23: 7 days.
    let pickup = crate::domain::id::ServiceId::parse("ausweis-abholung").unwrap();
    let office = Office::new(date("2020-06-05"), 10, 10, 0, 50)
        .book("2020-06-08", 10)
        .book("2020-06-09", 10)
        .book("2020-06-10", 10)
        .book("2020-06-11", 10)
        .book("2020-06-12", 10)
        .today(50, Some(10));
    let days = office
        .history
        .iter()
        .map(|r| ServiceDay { bookings: BTreeMap::from([(pickup.clone(), r.bookings)]), ..ServiceDay::default() })
        .collect();
    let policy = crate::projection::PolicyChange {
        service: pickup.clone(),
        effective_from: date("2020-06-17"),
        appointment_required: false,
    };
    // No follow-up rule: here the pick-ups are ordinary bookings, resampled.
    let services = ServiceInputs { days, policies: vec![policy], follow_ups: Vec::new() };
    let with = forecast(&office.snapshot(), &office.history, &services, &quick()).unwrap();
    assert_eq!(with.wait_target.p50, Some(date("2020-06-16")));
    assert_eq!(with.wait_target.p95, Some(date("2020-06-16")));
    assert_eq!(
        with.observed.dropped_demand,
        [inputs::DroppedDemand { service: pickup, from: date("2020-06-16"), mean_bookings_per_open_day: 10.0 }]
    );
    let without = office.forecast(&quick());
    assert_eq!(without.wait_target.p50, None, "demand equal to capacity never brings the wait down");
    assert!(without.observed.dropped_demand.is_empty());
}

#[test]
fn the_first_week_after_a_closure_is_catch_up_and_left_out_of_the_window() {
    // Closed Sat 2020-05-09 … Sun 24 (two weeks); the week after saw 40 bookings a day, the other weeks 8.
    let mut office = Office::new(date("2020-06-05"), 10, 8, 0, 50);
    for row in office.history.iter_mut() {
        if (date("2020-05-09")..=date("2020-05-24")).contains(&row.date) {
            row.capacity = 0;
            row.bookings = 0;
        }
        if (date("2020-05-25")..=date("2020-05-29")).contains(&row.date) {
            row.bookings = 40;
        }
    }
    let f = office.forecast(&quick());
    assert_eq!(f.observed.bookings_by_weekday, [8.0, 8.0, 8.0, 8.0, 8.0, 0.0, 0.0]);
    let skipped: Vec<NaiveDate> =
        ["2020-05-29", "2020-05-28", "2020-05-27", "2020-05-26", "2020-05-25"].into_iter().map(date).collect();
    assert_eq!(f.observed.catch_up_days_skipped, skipped);
    // The history's 40 weekdays less the 10 closed and the 5 of catch-up: fewer than 28, all of them taken.
    assert_eq!(f.observed.open_days, 25);
}

fn service(s: &str) -> ServiceId {
    ServiceId::parse(s).unwrap()
}

/// The office of [`Office::new`] (ten slots a weekday) whose history saw `applications` personalausweis
/// appointments attended on each day listed, nothing else attended, and `pickups` pick-ups booked on every open
/// day; the pick-up rule's lag is `lag`.
fn with_applications(office: &Office, attended: &[(&str, u32)], pickups: u32, lag: [u32; 2]) -> ServiceInputs {
    let days = office
        .history
        .iter()
        .map(|r| {
            let applications = attended.iter().find(|(d, _)| date(d) == r.date).map_or(0, |(_, n)| *n);
            ServiceDay {
                bookings: BTreeMap::from([(service("ausweis-abholung"), if r.capacity > 0 { pickups } else { 0 })]),
                attended: BTreeMap::from([(service("personalausweis"), applications)]),
            }
        })
        .collect();
    let rule = FollowUp { lag_days: lag, ..FollowUp::id_documents() };
    ServiceInputs { days, policies: Vec::new(), follow_ups: vec![rule] }
}

/// Sets every history row's served appointments to the applications attended that day.
fn attend(mut office: Office, attended: &[(&str, u32)]) -> Office {
    for row in office.history.iter_mut() {
        row.served_appointments = attended.iter().find(|(d, _)| date(d) == row.date).map_or(0, |(_, n)| *n);
    }
    office
}

#[test]
fn pick_ups_of_applications_attended_before_the_as_of_day_are_spread_over_their_lag() {
    // Thursday 2020-06-04. 30 applications attended on Fri 2020-05-15, 20 days back: with a lag of 21–35 days
    // their pick-ups are booked from Fri 5 June (21 days after) to Fri 19 June (35 after), 2 a day, all 30 within
    // the horizon. The 45 attended on Mon 2020-04-27, 38 days back, were all booked by the as-of day.
    let attended = [("2020-05-15", 30), ("2020-04-27", 45)];
    let office = attend(Office::new(date("2020-06-04"), 10, 4, 0, 0), &attended).today(0, Some(1));
    let services = with_applications(&office, &attended, 4, [21, 35]);
    let f = forecast(&office.snapshot(), &office.history, &services, &quick()).unwrap();
    let [observed] = &f.observed.follow_ups[..] else { panic!("one follow-up rule: {:?}", f.observed.follow_ups) };
    assert_eq!(observed.expected_from_attended, 30.0);
    // The 4 pick-ups a day are left out of the resampled demand: the other bookings are none.
    assert_eq!(f.observed.bookings_by_weekday, [0.0; 7]);
    assert_eq!(observed.mean_bookings_per_open_day, 4.0);
    // 75 applications among 75 attended, nobody missed: every other appointment comes back once.
    assert_eq!(observed.per_ended_appointment, 1.0);
    assert_eq!(observed.appointment_free_from, None);

    let (pools, _) = inputs::fit(&office.history, &services, office.as_of, &office.capacity, &quick()).unwrap();
    let mut expected = vec![0.0; 180];
    expected[..15].fill(2.0);
    assert_eq!(pools.follow_up.expected, expected);
    assert_eq!(pools.follow_up.rules[0].lag, (21, 35));
    assert_eq!(pools.follow_up.rules[0].per_ended_per_day, 1.0 / 15.0);
}

#[test]
fn a_policy_stops_the_pick_ups_from_the_day_before_they_need_no_appointment() {
    // As above, but pick-ups need no appointment from Wed 2020-06-10: booked on Fri 5 … Mon 8 (landing by Tue 9),
    // 2 a day; from Tue 9 on they walk in.
    let attended = [("2020-05-15", 30)];
    let office = attend(Office::new(date("2020-06-04"), 10, 0, 0, 0), &attended).today(0, Some(1));
    let mut services = with_applications(&office, &attended, 0, [21, 35]);
    services.policies.push(crate::projection::PolicyChange {
        service: service("ausweis-abholung"),
        effective_from: date("2020-06-10"),
        appointment_required: false,
    });
    let f = forecast(&office.snapshot(), &office.history, &services, &quick()).unwrap();
    let observed = &f.observed.follow_ups[0];
    assert_eq!(observed.expected_from_attended, 8.0);
    assert_eq!(observed.appointment_free_from, Some(date("2020-06-09")));
    assert!(f.observed.dropped_demand.is_empty(), "the follow-up service is not resampled, so not dropped");
}

#[test]
fn appointments_served_in_the_simulation_come_back_as_pick_ups() {
    // Ten applications booked on Mon 2020-06-08, nothing else, no other demand; each attended application comes
    // back once (the history attended 20 applications and nothing else), 21 days later exactly: on Mon 29 June
    // ten pick-ups are booked, Poisson(10) over runs, and sit in the backlog that evening.
    let attended = [("2020-05-04", 20)];
    let office =
        attend(Office::new(date("2020-06-05"), 10, 0, 0, 10), &attended).book("2020-06-08", 10).today(10, Some(1));
    let services = with_applications(&office, &attended, 0, [21, 21]);
    let config = ForecastConfig { runs: 2000, ..ForecastConfig::default() };
    let f = forecast(&office.snapshot(), &office.history, &services, &config).unwrap();
    let day = |d: &str| f.fan.iter().find(|day| day.date == date(d)).unwrap();
    assert_eq!(day("2020-06-08").backlog, [0; 5], "the ten are served on the 8th");
    assert_eq!(day("2020-06-28").backlog, [0; 5], "nothing is booked before the pick-ups are due");
    let [p5, _, p50, _, p95] = day("2020-06-29").backlog;
    // Poisson(10): p5 5, p50 10, p95 15; a rule applied twice or not at all would be far off.
    assert!((4..=6).contains(&p5) && (9..=11).contains(&p50) && (14..=16).contains(&p95), "{p5} {p50} {p95}");
    // Pick-ups served on the 30th lead to no further pick-ups.
    assert_eq!(day("2020-07-25").backlog, [0; 5]);

    let off = forecast(&office.snapshot(), &office.history, &services, &ForecastConfig { follow_ups: false, ..config });
    let after_the_8th = off.unwrap().fan.iter().filter(|d| d.date > date("2020-06-08")).map(|d| d.backlog[4]).max();
    assert_eq!(after_the_8th, Some(0), "switched off: no pick-ups at all");
}

#[test]
fn runs_spread_over_threads_give_the_same_forecast_bit_for_bit() {
    let office =
        Office::new(date("2020-06-05"), 10, 9, 1, 120).book("2020-06-08", 10).book("2020-06-09", 7).today(17, Some(2));
    let config = ForecastConfig { runs: 301, ..quick() };
    let one = office.forecast(&config);
    for threads in [0, 2, 3, 8, 1000] {
        let spread =
            forecast_on(&office.snapshot(), &office.history, &ServiceInputs::default(), &config, threads).unwrap();
        assert_eq!(spread, one, "{threads} threads");
    }
}

// What-if plans and the capacity needed.

use crate::forecast::plan::{Change, Plan, extra_slots};
use crate::forecast::whatif::{NeedQuestion, Needed, compare, forecast_under, needed};

/// An office with demand just below its capacity: ten slots a weekday, 7 to 10 bookings a day, one cancellation,
/// and a calendar booked out for three weeks.
fn busy_office() -> Office {
    let as_of = date("2020-06-05");
    let mut office = Office::new(as_of, 10, 0, 1, 150);
    for (i, row) in office.history.iter_mut().enumerate() {
        row.bookings = if row.capacity > 0 { 7 + (i as u32 * 7) % 4 } else { 1 };
    }
    for i in 0..21 {
        office.booked[i] = office.capacity[i];
    }
    office.today(150, Some(24))
}

fn plan(changes: Vec<Change>) -> Plan {
    Plan { name: "p".into(), decided: None, changes }
}

#[test]
fn a_plan_without_changes_is_the_baseline_bit_for_bit() {
    let office = busy_office();
    let config = ForecastConfig { runs: 200, ..quick() };
    let baseline = office.forecast(&config);
    let services = ServiceInputs::default();
    let under = forecast_under(&office.snapshot(), &office.history, &services, &config, &plan(vec![]), 2).unwrap();
    assert_eq!(under, baseline);
    let compared = compare(&office.snapshot(), &office.history, &services, &config, &[plan(vec![])], 1).unwrap();
    assert_eq!(compared.baseline.fan, baseline.fan);
    assert_eq!(compared.plans[0].wait_target, baseline.wait_target);
    assert_eq!(compared.plans[0].slots_added, 0);
}

#[test]
fn plans_move_the_dates_the_way_a_reader_expects() {
    let office = busy_office();
    let config = ForecastConfig { runs: 200, ..quick() };
    let services = ServiceInputs::default();
    let plans = [
        plan(vec![extra_slots(date("2020-06-08"), 3)]),
        Plan {
            name: "closed".into(),
            ..plan(vec![Change::Closure { first: date("2020-06-08"), last: date("2020-06-19") }])
        },
        Plan {
            name: "less".into(),
            ..plan(vec![Change::Demand { from: date("2020-06-06"), until: None, share: -0.5 }])
        },
    ];
    let c = compare(&office.snapshot(), &office.history, &services, &config, &plans, 2).unwrap();
    let p50 = |o: &crate::forecast::whatif::Outcome| o.wait_target.p50.unwrap_or(NaiveDate::MAX);
    assert!(c.baseline.wait_target.p50.is_some(), "{:?}", c.baseline.wait_target);
    assert!(p50(&c.plans[0]) < p50(&c.baseline), "{:?} vs {:?}", c.plans[0].wait_target, c.baseline.wait_target);
    assert!(p50(&c.plans[1]) > p50(&c.baseline));
    assert!(p50(&c.plans[2]) < p50(&c.baseline));
    // 3 slots on each of the horizon's open days from Monday 8 June: 128 weekdays up to 2 December.
    assert_eq!(c.plans[0].slots_added, 3 * 128);
    assert_eq!(c.plans[1].slots_added, -100);
    assert_eq!(c.plans[0].wait_after.len(), 3);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn more_capacity_never_makes_the_p50_day_later(
        slots in prop::collection::vec((0u64..60, prop::array::uniform7(0i32..4)), 0..3),
        saturdays in prop::option::of((0u64..60, 1u32..15)),
        seed in any::<u64>(),
    ) {
        let office = busy_office();
        let as_of = office.as_of;
        let config = ForecastConfig { runs: 100, horizon_days: 90, seed, ..ForecastConfig::default() };
        let mut changes: Vec<Change> = slots
            .iter()
            .map(|&(from, per_weekday)| Change::Slots { from: plus(as_of, from + 1), until: None, per_weekday })
            .collect();
        if let Some((from, n)) = saturdays {
            changes.push(Change::Saturdays { from: plus(as_of, from + 1), until: None, slots: n });
        }
        let services = ServiceInputs::default();
        let base = forecast_under(&office.snapshot(), &office.history, &services, &config, &plan(vec![]), 1).unwrap();
        let more = forecast_under(&office.snapshot(), &office.history, &services, &config, &plan(changes.clone()), 1).unwrap();
        // And more on top of more: the first half of the changes against all of them.
        let half = plan(changes[..changes.len() / 2].to_vec());
        let less = forecast_under(&office.snapshot(), &office.history, &services, &config, &half, 1).unwrap();
        let day = |f: &Forecast| f.wait_target.p50.unwrap_or(NaiveDate::MAX);
        prop_assert!(day(&more) <= day(&base), "{:?} later than the baseline's {:?}", more.wait_target.p50, base.wait_target.p50);
        prop_assert!(day(&more) <= day(&less), "{:?} later than {:?} with fewer slots", more.wait_target.p50, less.wait_target.p50);
    }
}

#[test]
fn the_capacity_needed_holds_with_the_number_found_and_not_with_one_fewer() {
    let office = busy_office();
    let config = ForecastConfig { runs: 200, ..quick() };
    let services = ServiceInputs::default();
    let (from, by) = (date("2020-06-15"), date("2020-07-10"));
    let question = NeedQuestion { from, by, probability: 0.85, limit: 50 };
    let base = plan(vec![]);
    let found = needed(&office.snapshot(), &office.history, &services, &config, &base, &question, 2).unwrap();
    let Needed::Slots { at, one_fewer } = found.needed else { panic!("{:?}", found.needed) };
    assert_eq!(one_fewer.slots_per_open_day + 1, at.slots_per_open_day);
    assert!(at.share >= 0.85 && one_fewer.share < 0.85, "{at:?} {one_fewer:?}");
    assert!(at.standard_error > 0.0 && at.standard_error < 0.03, "{at:?}");
    // The same statement over the whole horizon, the same seed: the 85 % date is T or earlier with k, later with
    // k − 1.
    let p85 = |k: u32| {
        let with = plan(vec![extra_slots(from, k)]);
        forecast_under(&office.snapshot(), &office.history, &services, &config, &with, 2).unwrap().wait_target.p85
    };
    assert!(p85(at.slots_per_open_day).is_some_and(|d| d <= by));
    assert!(p85(one_fewer.slots_per_open_day).is_none_or(|d| d > by));
    // A limit below it: not reachable, with the share the limit reaches.
    let low = NeedQuestion { limit: one_fewer.slots_per_open_day.max(1), ..question };
    let refused = needed(&office.snapshot(), &office.history, &services, &config, &base, &low, 2).unwrap();
    if at.slots_per_open_day > 1 {
        assert!(matches!(refused.needed, Needed::NotReachable { at_limit } if at_limit.share < 0.85), "{refused:?}");
    }
}

#[test]
fn without_demand_the_capacity_needed_is_the_hand_computed_number() {
    // Friday 5 June 2020, ten slots a weekday booked out for eight weeks, nobody books or cancels. To have a wait
    // of at most one day (three free slots on the next day) by Friday 26 June with slots added from Monday 15
    // June, the office needs three extra slots a day: with three, Monday 15 has Tuesday's three free slots; with
    // two, the third free slot is on Wednesday 17, two days on, and nothing ever changes that.
    let mut office = Office::new(date("2020-06-05"), 10, 0, 0, 400);
    for i in 0..56 {
        office.booked[i] = office.capacity[i];
    }
    let office = office.today(400, Some(59));
    let config = ForecastConfig { runs: 50, target_wait_days: 1, ..ForecastConfig::default() };
    let question = NeedQuestion { from: date("2020-06-15"), by: date("2020-06-26"), probability: 0.85, limit: 40 };
    let services = ServiceInputs::default();
    let found = needed(&office.snapshot(), &office.history, &services, &config, &plan(vec![]), &question, 1).unwrap();
    let Needed::Slots { at, one_fewer } = found.needed else { panic!("{:?}", found.needed) };
    assert_eq!((at.slots_per_open_day, at.share, at.standard_error), (3, 1.0, 0.0));
    assert_eq!((one_fewer.slots_per_open_day, one_fewer.share), (2, 0.0));
    // Ten open days from 15 to 26 June, three slots each.
    assert_eq!(found.slots_until_by, Some(30));
    let by_hand = NeedQuestion { by: date("2020-06-12"), ..question };
    let too_early = needed(&office.snapshot(), &office.history, &services, &config, &plan(vec![]), &by_hand, 1);
    assert!(too_early.is_err(), "T before E is refused: {too_early:?}");
}
