//! Hand-computed cases at the edge of each figure of docs/events.md, checked against the reference *and* the projection,
//! so that a bug in the reference cannot hide behind agreement.
//!
//! Cases read `given(events).on(office, day).then(|row| …)`. Events are compact JSON lines parsed by the strict
//! wire parser; `event_id` is filled in when left out, positions are the line numbers. June 2020 is the usual
//! calendar: 2020-06-01 is a Monday, 06-06/06-07 and 06-13/06-14 are weekends, Berlin is at +02:00.

mod support {
    pub mod reference;
}

use std::collections::BTreeMap;

use chrono::NaiveDate;
use wartezeit::domain::event::Event;
use wartezeit::domain::id::{OfficeId, ServiceId};
use wartezeit::domain::time::Zone;
use wartezeit::domain::wire::parse_event;
use wartezeit::projection::{Config, DayRow, Projection};

use support::reference;

struct Given {
    log: Vec<(u64, Event)>,
    config: Config,
}

/// A log from JSON lines; line i (from 1) is position i.
fn given<S: AsRef<str>>(lines: impl IntoIterator<Item = S>) -> Given {
    let log = lines
        .into_iter()
        .enumerate()
        .map(|(i, line)| {
            let mut value: serde_json::Value = serde_json::from_str(line.as_ref()).expect("a JSON test line");
            let object = value.as_object_mut().expect("an object");
            object.entry("event_id").or_insert_with(|| format!("e{}", i + 1).into());
            let event = parse_event(&value.to_string()).unwrap_or_else(|e| panic!("line {}: {e:?}", i + 1));
            (i as u64 + 1, event)
        })
        .collect();
    Given { log, config: Config::default() }
}

impl Given {
    fn horizon(mut self, days: u32) -> Self {
        self.config.horizon_days = days;
        self
    }

    fn zone(mut self, name: &str) -> Self {
        self.config.zone = Zone::parse(name).expect("a zone");
        self
    }

    fn projection(&self) -> Projection {
        let mut projection = Projection::new(self.config);
        for (position, event) in &self.log {
            projection.apply(*position, event);
        }
        projection
    }

    fn on(&self, office: &str, day: &str) -> On<'_> {
        On { given: self, office: OfficeId::parse(office).expect("an office"), day: date(day) }
    }

    /// Both implementations' series; they must agree.
    fn series(&self, office: &str, from: &str, to: &str) -> Vec<DayRow> {
        let office = OfficeId::parse(office).expect("an office");
        let expected = reference::series(&self.log, &self.config, &office, date(from), date(to));
        assert_eq!(self.projection().series(&office, date(from), date(to)), expected, "projection vs reference");
        expected
    }
}

struct On<'a> {
    given: &'a Given,
    office: OfficeId,
    day: NaiveDate,
}

impl On<'_> {
    /// Runs `check` on the reference's row, then on the projection's, then asks both to be equal.
    fn then(self, mut check: impl FnMut(&DayRow)) {
        let Given { log, config } = self.given;
        let expected = reference::row(log, config, &self.office, self.day);
        eprintln!("reference row: {expected:?}");
        check(&expected);
        let actual = self.given.projection().row(&self.office, self.day);
        eprintln!("projection row: {actual:?}");
        check(&actual);
        assert_eq!(actual, expected);
    }
}

fn date(s: &str) -> NaiveDate {
    s.parse().expect("a date")
}

/// The row of a day on which nothing is known: zeros and nulls.
fn empty(day: &str) -> DayRow {
    DayRow {
        date: date(day),
        backlog: 0,
        backlog_by_service: BTreeMap::new(),
        displaced: 0,
        bookings: 0,
        served_appointments: 0,
        served_walk_in: 0,
        cancellations: 0,
        no_shows: 0,
        capacity: 0,
        booked: 0,
        next_available_days: None,
        third_next_available_days: None,
        realized_wait_p50_days: None,
        realized_wait_p90_days: None,
    }
}

fn services(counts: &[(&str, u32)]) -> BTreeMap<ServiceId, u32> {
    counts.iter().map(|(s, n)| (ServiceId::parse(s).expect("a service"), *n)).collect()
}

fn plan(at: &str, from: &str, slots: [u16; 7]) -> String {
    format!(
        r#"{{"type":"capacity_planned","at":"{at}","office":"kl","effective_from":"{from}","slots_per_weekday":{slots:?}}}"#
    )
}

fn book(at: &str, id: &str, service: &str, slot: &str) -> String {
    format!(
        r#"{{"type":"appointment_booked","at":"{at}","office":"kl","appointment_id":"{id}","service":"{service}","channel":"online","slot":"{slot}"}}"#
    )
}

fn follow_up(kind: &str, at: &str, id: &str) -> String {
    format!(r#"{{"type":"appointment_{kind}","at":"{at}","office":"kl","appointment_id":"{id}"}}"#)
}

fn reschedule(at: &str, id: &str, slot: &str) -> String {
    format!(r#"{{"type":"appointment_rescheduled","at":"{at}","office":"kl","appointment_id":"{id}","slot":"{slot}"}}"#)
}

fn closure(at: &str, id: &str, first: &str, last: &str) -> String {
    format!(
        r#"{{"type":"closure_declared","at":"{at}","office":"kl","closure_id":"{id}","first_day":"{first}","last_day":"{last}","cause":"system_migration","reason":"IT-Umstellung"}}"#
    )
}

fn closure_cancelled(at: &str, id: &str) -> String {
    format!(r#"{{"type":"closure_cancelled","at":"{at}","office":"kl","closure_id":"{id}"}}"#)
}

fn walk_in(at: &str) -> String {
    format!(r#"{{"type":"walk_in_served","at":"{at}","office":"kl","service":"ausweis-abholung"}}"#)
}

const WEEKDAYS_ONE: [u16; 7] = [1, 1, 1, 1, 1, 0, 0];

#[test]
fn a_holiday_inside_a_closure_zeroes_capacity_once_and_outlives_the_closure() {
    let mut lines = vec![
        plan("2020-05-29T08:00:00+02:00", "2020-06-01", [5, 5, 5, 5, 5, 0, 0]),
        closure("2020-05-29T09:00:00+02:00", "it", "2020-06-08", "2020-06-12"),
        r#"{"type":"holiday_declared","at":"2020-05-29T10:00:00+02:00","date":"2020-06-11","name":"Fronleichnam"}"#.into(),
        r#"{"type":"holiday_declared","at":"2020-05-29T10:00:00+02:00","date":"2020-06-11","name":"Fronleichnam","office":"kl"}"#.into(),
        book("2020-06-02T10:00:00+02:00", "a1", "personalausweis", "2020-06-11T09:00:00+02:00"),
        book("2020-06-02T10:05:00+02:00", "a2", "reisepass", "2020-06-15T09:00:00+02:00"),
    ];
    // Friday 06-05: weekend, the closed week (holiday inside), weekend; Monday 06-15 has 5 − a2 = 4 free: k = 10.
    // a1 sits on a day that is both holiday and closed: displaced once.
    let friday = DayRow {
        backlog: 2,
        backlog_by_service: services(&[("personalausweis", 1), ("reisepass", 1)]),
        displaced: 1,
        capacity: 5,
        next_available_days: Some(10),
        third_next_available_days: Some(10),
        ..empty("2020-06-05")
    };
    given(&lines).on("kl", "2020-06-05").then(|row| assert_eq!(*row, friday));
    // On the holiday itself: capacity 0, a1 still booked there; next free is Monday 06-15 (k = 4, 4 free).
    let holiday = DayRow {
        date: date("2020-06-11"),
        displaced: 1,
        capacity: 0,
        booked: 1,
        next_available_days: Some(4),
        third_next_available_days: Some(4),
        ..friday.clone()
    };
    given(&lines).on("kl", "2020-06-11").then(|row| assert_eq!(*row, holiday));

    // The closure is cancelled on Tuesday 06-09: Wednesday is open again (capacity 5), Thursday stays a holiday,
    // Friday 06-12 has 5 free (k = 2). Monday 06-08 was still closed as of its own day.
    lines.push(closure_cancelled("2020-06-09T12:00:00+02:00", "it"));
    let reopened = given(&lines);
    reopened.on("kl", "2020-06-08").then(|row| assert_eq!(row.capacity, 0));
    reopened.on("kl", "2020-06-10").then(|row| {
        assert_eq!((row.capacity, row.displaced), (5, 1));
        assert_eq!((row.next_available_days, row.third_next_available_days), (Some(2), Some(2)));
    });
    reopened.on("kl", "2020-06-11").then(|row| assert_eq!((row.capacity, row.booked, row.displaced), (0, 1, 1)));
}

#[test]
fn plans_take_effect_on_weekends_and_ties_go_to_the_later_at_then_the_later_position() {
    let g = given([
        plan("2020-05-25T08:00:00+02:00", "2020-06-01", [2, 2, 2, 2, 2, 0, 0]),
        // Effective on Saturday 06-06, with Saturday slots.
        plan("2020-05-26T08:00:00+02:00", "2020-06-06", [3, 3, 3, 3, 3, 1, 0]),
        // Same effective_from: the later `at` wins although it was logged first ...
        plan("2020-05-27T08:00:00+02:00", "2020-06-13", [4, 4, 4, 4, 4, 4, 4]),
        plan("2020-05-26T12:00:00+02:00", "2020-06-13", [6, 6, 6, 6, 6, 6, 6]),
        // ... and with the same `at`, the later position wins.
        plan("2020-05-27T08:00:00+02:00", "2020-06-20", [7, 7, 7, 7, 7, 7, 7]),
        plan("2020-05-27T08:00:00+02:00", "2020-06-20", [8, 8, 8, 8, 8, 8, 8]),
    ]);
    for (day, capacity) in [
        ("2020-06-05", 2),
        ("2020-06-06", 1),
        ("2020-06-07", 0),
        ("2020-06-08", 3),
        ("2020-06-13", 4),
        ("2020-06-14", 4),
        ("2020-06-20", 8),
    ] {
        g.on("kl", day).then(|row| assert_eq!(row.capacity, capacity, "{day}"));
    }
    // Friday 06-05: Saturday has 1 free (k = 1); 1 + 0 (Sunday) + 3 (Monday) reaches 3 at k = 3.
    g.on("kl", "2020-06-05").then(|row| {
        assert_eq!((row.next_available_days, row.third_next_available_days), (Some(1), Some(3)));
    });
    // Monday 05-25, before any plan is effective: first slots on Monday 06-01 (k = 7, 2 free), third on 06-02.
    g.on("kl", "2020-05-25").then(|row| {
        assert_eq!(row.capacity, 0);
        assert_eq!((row.next_available_days, row.third_next_available_days), (Some(7), Some(8)));
    });
}

#[test]
fn attended_and_missed_appointments_still_occupy_their_slot_and_a_cancelled_one_frees_it() {
    let g = given([
        plan("2020-06-01T08:00:00+02:00", "2020-06-01", WEEKDAYS_ONE),
        book("2020-06-01T09:00:00+02:00", "a1", "personalausweis", "2020-06-03T10:00:00+02:00"),
        book("2020-06-01T09:05:00+02:00", "a2", "personalausweis", "2020-06-04T10:00:00+02:00"),
        book("2020-06-01T09:10:00+02:00", "a3", "reisepass", "2020-06-05T10:00:00+02:00"),
        follow_up("cancelled", "2020-06-02T11:00:00+02:00", "a3"),
        follow_up("attended", "2020-06-03T10:20:00+02:00", "a1"),
        follow_up("missed", "2020-06-04T10:30:00+02:00", "a2"),
    ]);
    // Monday: waits 2, 3, 4 → p50 at index ⌈1.5⌉−1 = 1 → 3, p90 at ⌈2.7⌉−1 = 2 → 4. Free: Tuesday 06-02 (k = 1),
    // then 06-03/04/05 taken, weekend, 06-08 (k = 7), 06-09 (k = 8).
    g.on("kl", "2020-06-01").then(|row| {
        let expected = DayRow {
            backlog: 3,
            backlog_by_service: services(&[("personalausweis", 2), ("reisepass", 1)]),
            bookings: 3,
            capacity: 1,
            next_available_days: Some(1),
            third_next_available_days: Some(8),
            realized_wait_p50_days: Some(3),
            realized_wait_p90_days: Some(4),
            ..empty("2020-06-01")
        };
        assert_eq!(*row, expected);
    });
    // Tuesday: a3 cancelled, so Friday 06-05 is free (k = 3); then 06-08 (k = 6) and 06-09 (k = 7).
    g.on("kl", "2020-06-02").then(|row| {
        let expected = DayRow {
            backlog: 2,
            backlog_by_service: services(&[("personalausweis", 2)]),
            cancellations: 1,
            capacity: 1,
            next_available_days: Some(3),
            third_next_available_days: Some(7),
            ..empty("2020-06-02")
        };
        assert_eq!(*row, expected);
    });
    // Wednesday: a1 attended, still booked on its day; a2 still occupies Thursday. Free: 06-05 (k = 2), 06-08,
    // 06-09 (k = 6).
    g.on("kl", "2020-06-03").then(|row| {
        let expected = DayRow {
            backlog: 1,
            backlog_by_service: services(&[("personalausweis", 1)]),
            served_appointments: 1,
            capacity: 1,
            booked: 1,
            next_available_days: Some(2),
            third_next_available_days: Some(6),
            ..empty("2020-06-03")
        };
        assert_eq!(*row, expected);
    });
    // Thursday: a2 missed, its slot used up: booked 1, free 0. Free: 06-05 (k = 1), 06-08, 06-09 (k = 5).
    g.on("kl", "2020-06-04").then(|row| {
        let expected = DayRow {
            no_shows: 1,
            capacity: 1,
            booked: 1,
            next_available_days: Some(1),
            third_next_available_days: Some(5),
            ..empty("2020-06-04")
        };
        assert_eq!(*row, expected);
    });
}

#[test]
fn third_next_available_spans_a_weekend() {
    // Friday 06-05 with one slot a weekday: Monday k = 3, Tuesday k = 4, Wednesday k = 5.
    given([plan("2020-06-01T08:00:00+02:00", "2020-06-01", WEEKDAYS_ONE)]).on("kl", "2020-06-05").then(|row| {
        assert_eq!((row.next_available_days, row.third_next_available_days), (Some(3), Some(5)));
    });
}

#[test]
fn nothing_free_within_the_horizon_is_null_and_the_horizon_itself_counts() {
    let lines = [
        plan("2020-06-01T08:00:00+02:00", "2020-06-01", WEEKDAYS_ONE),
        closure("2020-06-01T08:00:00+02:00", "lock", "2020-06-08", "2020-06-12"),
    ];
    // Friday 06-05: nothing until Monday 06-15 (k = 10); the third slot is Wednesday 06-17 (k = 12).
    for (horizon, next, third) in
        [(5, None, None), (9, None, None), (10, Some(10), None), (12, Some(10), Some(12)), (365, Some(10), Some(12))]
    {
        given(&lines).horizon(horizon).on("kl", "2020-06-05").then(|row| {
            assert_eq!((row.next_available_days, row.third_next_available_days), (next, third), "H = {horizon}");
        });
    }
}

#[test]
fn realized_wait_percentiles_by_nearest_rank_with_one_two_and_ten_bookings() {
    let mut lines = vec![
        book("2020-06-02T09:00:00+02:00", "b1", "reisepass", "2020-06-09T09:00:00+02:00"),
        book("2020-06-03T09:00:00+02:00", "c1", "reisepass", "2020-06-12T09:00:00+02:00"),
        book("2020-06-03T10:00:00+02:00", "c2", "reisepass", "2020-06-06T09:00:00+02:00"),
    ];
    for (i, wait) in [6, 1, 10, 3, 8, 2, 9, 4, 7, 5].into_iter().enumerate() {
        let slot = format!("2020-06-{:02}T11:00:00+02:00", 4 + wait);
        lines.push(book(&format!("2020-06-04T09:{i:02}:00+02:00"), &format!("d{i}"), "reisepass", &slot));
    }
    // Booked at 23:30 local for 00:30 local the next day: in UTC both are on 06-05, locally the wait is one day.
    lines.push(book("2020-06-05T23:30:00+02:00", "e1", "reisepass", "2020-06-06T00:30:00+02:00"));
    let g = given(&lines);
    let waits = |row: &DayRow| (row.bookings, row.realized_wait_p50_days, row.realized_wait_p90_days);
    g.on("kl", "2020-06-01").then(|row| assert_eq!(waits(row), (0, None, None)));
    g.on("kl", "2020-06-02").then(|row| assert_eq!(waits(row), (1, Some(7), Some(7))));
    // n = 2, waits [3, 9]: p50 at ⌈1⌉−1 = 0 → 3, p90 at ⌈1.8⌉−1 = 1 → 9.
    g.on("kl", "2020-06-03").then(|row| assert_eq!(waits(row), (2, Some(3), Some(9))));
    // n = 10, waits 1..=10: p50 at ⌈5⌉−1 = 4 → 5, p90 at ⌈9⌉−1 = 8 → 9.
    g.on("kl", "2020-06-04").then(|row| assert_eq!(waits(row), (10, Some(5), Some(9))));
    g.on("kl", "2020-06-05").then(|row| assert_eq!(waits(row), (1, Some(1), Some(1))));
}

#[test]
fn a_booking_cancelled_the_same_day_still_counts_for_that_days_realized_wait() {
    given([
        plan("2020-05-29T08:00:00+02:00", "2020-06-01", WEEKDAYS_ONE),
        book("2020-06-02T09:00:00+02:00", "a1", "reisepass", "2020-06-03T09:00:00+02:00"),
        follow_up("cancelled", "2020-06-02T09:30:00+02:00", "a1"),
    ])
    .on("kl", "2020-06-02")
    .then(|row| {
        let expected = DayRow {
            bookings: 1,
            cancellations: 1,
            capacity: 1,
            next_available_days: Some(1),
            third_next_available_days: Some(3),
            realized_wait_p50_days: Some(1),
            realized_wait_p90_days: Some(1),
            ..empty("2020-06-02")
        };
        assert_eq!(*row, expected);
    });
}

/// The dates whose rows differ between two series of the same days.
fn changed_days(before: &[DayRow], after: &[DayRow]) -> Vec<NaiveDate> {
    before.iter().zip(after).filter(|(b, a)| b != a).map(|(b, _)| b.date).collect()
}

#[test]
fn a_late_event_changes_exactly_the_days_it_should() {
    let mut lines =
        vec![plan("2020-06-01T08:00:00+02:00", "2020-06-01", WEEKDAYS_ONE), walk_in("2020-06-10T09:00:00+02:00")];
    let before = given(&lines).series("kl", "2020-05-30", "2020-06-14");
    // Decided on Wednesday 06-03, logged after 06-10: Monday and Tuesday 06-08/09 closed.
    // It counts from 06-03 on. 06-03: third free slot moves from 06-08 (k = 5) to 06-10 (k = 7); 06-04 to 06-08
    // likewise; 06-08 and 06-09 lose their capacity. From 06-10 on the scan starts after the closure: unchanged.
    lines.push(closure("2020-06-03T12:00:00+02:00", "staff", "2020-06-08", "2020-06-09"));
    let after = given(&lines).series("kl", "2020-05-30", "2020-06-14");
    let expected: Vec<NaiveDate> = date("2020-06-03").iter_days().take(7).collect();
    assert_eq!(changed_days(&before, &after), expected);
    assert_eq!((before[4].third_next_available_days, after[4].third_next_available_days), (Some(5), Some(7)));

    // A walk-in served on 06-04 and logged late changes that day's tally and nothing else.
    lines.push(walk_in("2020-06-04T15:00:00+02:00"));
    let later = given(&lines).series("kl", "2020-05-30", "2020-06-14");
    assert_eq!(changed_days(&after, &later), vec![date("2020-06-04")]);
    assert_eq!(later[5].served_walk_in, 1);
}

#[test]
fn the_spring_dst_day_is_one_day_of_23_hours() {
    let g = given([
        plan("2020-03-20T08:00:00+01:00", "2020-03-23", [1, 1, 1, 1, 1, 0, 2]),
        book("2020-03-27T10:00:00+01:00", "s1", "reisepass", "2020-03-29T23:30:00+02:00"),
        // 22:15Z on the 29th is 00:15 CEST on the 30th.
        book("2020-03-27T10:05:00+01:00", "s2", "reisepass", "2020-03-29T22:15:00Z"),
        walk_in("2020-03-28T23:30:00Z"), // 00:30 CET on the 29th
        walk_in("2020-03-29T21:59:59Z"), // 23:59:59 CEST on the 29th
        walk_in("2020-03-29T22:00:00Z"), // midnight CEST: the 30th
    ]);
    // Friday 03-27: waits 2 (Sunday 03-29) and 3 (Monday 03-30).
    g.on("kl", "2020-03-27").then(|row| {
        assert_eq!((row.bookings, row.realized_wait_p50_days, row.realized_wait_p90_days), (2, Some(2), Some(3)));
    });
    g.on("kl", "2020-03-28").then(|row| assert_eq!((row.served_walk_in, row.capacity), (0, 0)));
    // Sunday 03-29 (2 slots): s1 booked; Monday 03-30 taken by s2; free Tuesday (k = 2) … Thursday (k = 4).
    g.on("kl", "2020-03-29").then(|row| {
        assert_eq!((row.served_walk_in, row.capacity, row.booked, row.backlog), (2, 2, 1, 2));
        assert_eq!((row.next_available_days, row.third_next_available_days), (Some(2), Some(4)));
    });
    g.on("kl", "2020-03-30").then(|row| assert_eq!((row.served_walk_in, row.capacity, row.booked), (1, 1, 1)));
}

#[test]
fn the_autumn_dst_day_is_one_day_of_25_hours() {
    let g = given([
        walk_in("2020-10-24T21:59:59Z"), // 23:59:59 CEST on the 24th
        walk_in("2020-10-24T22:00:00Z"), // midnight CEST: the 25th
        walk_in("2020-10-25T00:30:00Z"), // 02:30 CEST
        walk_in("2020-10-25T01:30:00Z"), // 02:30 CET, the repeated hour
        walk_in("2020-10-25T22:59:59Z"), // 23:59:59 CET
    ]);
    g.on("kl", "2020-10-24").then(|row| assert_eq!(row.served_walk_in, 1));
    g.on("kl", "2020-10-25").then(|row| assert_eq!(row.served_walk_in, 4));
    g.on("kl", "2020-10-26").then(|row| assert_eq!(*row, empty("2020-10-26")));
}

#[test]
fn an_event_counts_for_its_local_date_whatever_its_utc_date_or_written_offset() {
    let lines = [
        walk_in("2020-06-02T23:30:00+02:00"), // Berlin 06-02
        walk_in("2020-06-02T22:30:00Z"),      // UTC date 06-02, Berlin 00:30 on 06-03
        walk_in("2020-06-02T18:30:00-05:00"), // written 06-02, Berlin 01:30 on 06-03
        walk_in("2020-06-02T23:30:00-04:00"), // New York 23:30 on 06-02, UTC 03:30 on 06-03
    ];
    given(&lines).on("kl", "2020-06-02").then(|row| assert_eq!(row.served_walk_in, 1));
    given(&lines).on("kl", "2020-06-03").then(|row| assert_eq!(row.served_walk_in, 3));
    // In New York the first three are on 06-02 (17:30, 18:30, 19:30 EDT), and so is the last one.
    given(&lines).zone("America/New_York").on("kl", "2020-06-02").then(|row| assert_eq!(row.served_walk_in, 4));
    given(&lines).zone("America/New_York").on("kl", "2020-06-03").then(|row| assert_eq!(row.served_walk_in, 0));
}

#[test]
fn as_of_a_day_means_before_the_next_local_midnight() {
    // Decided at midnight starting 06-02: unknown as of 06-01 although effective from 06-01.
    let late = given([plan("2020-06-02T00:00:00+02:00", "2020-06-01", [2, 2, 2, 2, 2, 0, 0])]);
    late.on("kl", "2020-06-01").then(|row| assert_eq!(*row, empty("2020-06-01")));
    late.on("kl", "2020-06-02").then(|row| assert_eq!((row.capacity, row.next_available_days), (2, Some(1))));
    // One second earlier it counts for 06-01.
    let early = given([plan("2020-06-01T23:59:59+02:00", "2020-06-01", [2, 2, 2, 2, 2, 0, 0])]);
    early.on("kl", "2020-06-01").then(|row| assert_eq!(row.capacity, 2));
}

#[test]
fn the_current_slot_is_that_of_the_latest_reschedule_in_business_time() {
    let g = given([
        plan("2020-05-29T08:00:00+02:00", "2020-06-01", WEEKDAYS_ONE),
        closure("2020-05-29T08:00:00+02:00", "x", "2020-06-11", "2020-06-11"),
        book("2020-06-01T09:00:00+02:00", "a1", "reisepass", "2020-06-10T09:00:00+02:00"),
        reschedule("2020-06-03T09:00:00+02:00", "a1", "2020-06-12T09:00:00+02:00"),
        // Logged later but decided earlier: as of 06-02 the slot is on the closed 06-11; from 06-03 on, 06-12.
        reschedule("2020-06-02T09:00:00+02:00", "a1", "2020-06-11T09:00:00+02:00"),
    ]);
    g.on("kl", "2020-06-01").then(|row| assert_eq!((row.displaced, row.realized_wait_p50_days), (0, Some(9))));
    g.on("kl", "2020-06-02").then(|row| assert_eq!((row.displaced, row.backlog), (1, 1)));
    g.on("kl", "2020-06-03").then(|row| assert_eq!((row.displaced, row.backlog), (0, 1)));
    g.on("kl", "2020-06-10").then(|row| assert_eq!((row.capacity, row.booked), (1, 0)));
    g.on("kl", "2020-06-12").then(|row| assert_eq!((row.capacity, row.booked), (1, 1)));
}

#[test]
fn a_reschedule_after_a_late_attendance_still_moves_the_occupied_slot() {
    // Rules hold in log order (attendance logged last); in business time the reschedule comes after it.
    // docs/events.md: the current slot is that of the latest booked or rescheduled event — 06-08.
    let g = given([
        plan("2020-05-29T08:00:00+02:00", "2020-06-01", WEEKDAYS_ONE),
        book("2020-06-01T09:00:00+02:00", "a1", "reisepass", "2020-06-05T09:00:00+02:00"),
        reschedule("2020-06-03T09:00:00+02:00", "a1", "2020-06-08T09:00:00+02:00"),
        follow_up("attended", "2020-06-02T09:00:00+02:00", "a1"),
    ]);
    g.on("kl", "2020-06-02").then(|row| assert_eq!((row.served_appointments, row.backlog), (1, 0)));
    g.on("kl", "2020-06-05").then(|row| assert_eq!(row.booked, 0));
    g.on("kl", "2020-06-08").then(|row| assert_eq!(row.booked, 1));
}

#[test]
fn closures_are_replaced_by_redeclaration_and_removed_by_cancellation_in_business_order() {
    let mut lines = vec![
        plan("2020-05-29T08:00:00+02:00", "2020-06-01", [1, 1, 1, 1, 1, 1, 1]),
        closure("2020-06-01T08:00:00+02:00", "c1", "2020-06-10", "2020-06-12"),
    ];
    let capacities = |lines: &[String]| {
        let g = given(lines);
        ["2020-06-11", "2020-06-15", "2020-06-20", "2020-06-22"].map(|d| {
            let mut capacity = 0;
            g.on("kl", d).then(|row| capacity = row.capacity);
            capacity
        })
    };
    assert_eq!(capacities(&lines), [0, 1, 1, 1]);
    lines.push(closure("2020-06-02T08:00:00+02:00", "c1", "2020-06-15", "2020-06-16"));
    assert_eq!(capacities(&lines), [1, 0, 1, 1]);
    lines.push(closure_cancelled("2020-06-03T08:00:00+02:00", "c1"));
    assert_eq!(capacities(&lines), [1, 1, 1, 1]);
    lines.push(closure("2020-06-04T08:00:00+02:00", "c1", "2020-06-20", "2020-06-20"));
    assert_eq!(capacities(&lines), [1, 1, 0, 1]);
    // A cancellation logged after its declaration but dated before it: in business order it removes nothing, the
    // declaration that follows puts the closure in force.
    lines.push(closure("2020-06-05T08:00:00+02:00", "c2", "2020-06-22", "2020-06-22"));
    lines.push(closure_cancelled("2020-06-04T18:00:00+02:00", "c2"));
    assert_eq!(capacities(&lines), [1, 1, 0, 0]);
}

#[test]
fn holidays_of_every_office_reach_offices_seen_later_and_office_holidays_stay_home() {
    let g = given([
        r#"{"type":"holiday_declared","at":"2020-05-20T08:00:00+02:00","date":"2020-06-03","name":"Global"}"#.to_string(),
        r#"{"type":"holiday_declared","at":"2020-05-20T08:00:00+02:00","date":"2020-06-04","name":"Nord","office":"nord"}"#.into(),
        plan("2020-06-01T08:00:00+02:00", "2020-06-01", WEEKDAYS_ONE),
    ]);
    g.on("kl", "2020-06-03").then(|row| assert_eq!(row.capacity, 0));
    g.on("kl", "2020-06-04").then(|row| assert_eq!(row.capacity, 1));
    // Tuesday 06-02: Wednesday is the holiday; Thursday k = 2, Friday 3, Monday 6.
    g.on("kl", "2020-06-02").then(|row| {
        assert_eq!((row.next_available_days, row.third_next_available_days), (Some(2), Some(6)));
    });
    g.on("unbekannt", "2020-06-02").then(|row| assert_eq!(*row, empty("2020-06-02")));
}
