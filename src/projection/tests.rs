//! Given/when/then checks of the projection on small hand-computed logs. The exhaustive comparison against a
//! from-the-definitions reference lives in `tests/projection_reference.rs`.

use chrono::NaiveDate;

use crate::domain::event::Event;
use crate::domain::id::OfficeId;
use crate::domain::wire::parse_event;
use crate::projection::{Config, DayRow, Projection};

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Events as compact JSON lines; `{o}` stands for the office `kl`, ids are numbered.
fn events(lines: &[&str]) -> Vec<Event> {
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let json = format!(r#"{{"event_id":"e{i}",{}}}"#, l.replace("{o}", r#""office":"kl""#));
            parse_event(&json).unwrap_or_else(|e| panic!("{json}: {e:?}"))
        })
        .collect()
}

fn given(lines: &[&str]) -> Projection {
    let evs = events(lines);
    Projection::from_entries(Config::default(), evs.iter().enumerate().map(|(i, e)| (i as u64 + 1, e)))
}

fn row(p: &Projection, d: &str) -> DayRow {
    p.row(&OfficeId::parse("kl").unwrap(), date(d))
}

const PLAN: &str = r#""type":"capacity_planned","at":"2020-06-01T08:00:00+02:00",{o},"effective_from":"2020-06-01","slots_per_weekday":[2,2,2,2,2,0,0]"#;

fn booking(id: &str, at: &str, slot: &str) -> String {
    format!(
        r#""type":"appointment_booked","at":"{at}",{{o}},"appointment_id":"{id}","service":"pass","channel":"online","slot":"{slot}""#
    )
}

#[test]
fn next_and_third_next_available_count_free_slots_ahead() {
    // Mon 2020-06-01: plan of 2 slots Mon–Fri. Tue fully booked, Wed one left.
    let b1 = booking("a", "2020-06-01T09:00:00+02:00", "2020-06-02T09:00:00+02:00");
    let b2 = booking("b", "2020-06-01T09:05:00+02:00", "2020-06-02T09:30:00+02:00");
    let b3 = booking("c", "2020-06-01T09:10:00+02:00", "2020-06-03T09:00:00+02:00");
    let p = given(&[PLAN, &b1, &b2, &b3]);
    let r = row(&p, "2020-06-01");
    assert_eq!((r.backlog, r.bookings, r.capacity, r.booked), (3, 3, 2, 0));
    // free: Tue 0, Wed 1, Thu 2 → next = 2 days, third = 3 days (1 + 2 ≥ 3).
    assert_eq!(r.next_available_days, Some(2));
    assert_eq!(r.third_next_available_days, Some(3));
    assert_eq!((r.realized_wait_p50_days, r.realized_wait_p90_days), (Some(1), Some(2)));
}

#[test]
fn a_late_closure_changes_its_days_and_no_others() {
    let b1 = booking("a", "2020-06-01T09:00:00+02:00", "2020-06-05T09:00:00+02:00");
    let closure = r#""type":"closure_declared","at":"2020-06-03T12:00:00+02:00",{o},"closure_id":"it","first_day":"2020-06-04","last_day":"2020-06-05","cause":"system_migration","reason":"IT""#;
    let without = given(&[PLAN, &b1]);
    let with = given(&[PLAN, &b1, closure]);
    for d in ["2020-06-01", "2020-06-02"] {
        assert_eq!(row(&without, d), row(&with, d), "{d}");
    }
    let r = row(&with, "2020-06-03");
    assert_eq!((r.displaced, r.next_available_days), (1, Some(5)));
    assert_eq!(row(&without, "2020-06-03").next_available_days, Some(1));
}

#[test]
fn events_applied_one_by_one_in_any_order_equal_a_rebuild() {
    let b1 = booking("a", "2020-06-01T09:00:00+02:00", "2020-06-05T09:00:00+02:00");
    let b2 = booking("b", "2020-06-02T09:00:00+02:00", "2020-06-03T09:00:00+02:00");
    let cancel = r#""type":"appointment_cancelled","at":"2020-06-02T10:00:00+02:00",{o},"appointment_id":"a""#;
    let holiday = r#""type":"holiday_declared","at":"2020-05-01T00:00:00+02:00","date":"2020-06-04","name":"Feiertag""#;
    let evs = events(&[&b1, &b2, cancel, PLAN, holiday]);
    let rebuilt = Projection::from_entries(Config::default(), evs.iter().enumerate().map(|(i, e)| (i as u64 + 1, e)));
    let mut incremental = Projection::new(Config::default());
    for (i, e) in evs.iter().enumerate() {
        incremental.apply(i as u64 + 1, e);
    }
    let kl = OfficeId::parse("kl").unwrap();
    let (from, to) = (date("2020-04-28"), date("2020-06-10"));
    assert_eq!(incremental.series(&kl, from, to), rebuilt.series(&kl, from, to));
    let r = row(&rebuilt, "2020-06-02");
    assert_eq!((r.backlog, r.cancellations, r.next_available_days), (1, 1, Some(1)));
    assert_eq!(row(&rebuilt, "2020-06-04").capacity, 0);
}

#[test]
fn lost_slots_go_to_the_holiday_first_and_add_up() {
    // Plan 2 slots Mon–Fri from Mon 2020-06-01. Closure Wed–Fri 3–5 June; holiday Thu 4 June inside it.
    let closure = r#""type":"closure_declared","at":"2020-05-20T12:00:00+02:00",{o},"closure_id":"it","first_day":"2020-06-03","last_day":"2020-06-07","cause":"system_migration","reason":"IT-Umstellung""#;
    let holiday =
        r#""type":"holiday_declared","at":"2020-01-01T00:00:00+01:00","date":"2020-06-04","name":"Fronleichnam""#;
    let p = given(&[PLAN, closure, holiday]);
    let a = p.attribution(&OfficeId::parse("kl").unwrap(), date("2020-06-01"), date("2020-06-12"));
    assert_eq!(a.planned_slots, 20);
    assert_eq!(a.lost_slots, 6);
    let causes: Vec<_> = a.by_cause.iter().map(|(c, l)| (c.as_str(), l.lost_slots, l.days)).collect();
    assert_eq!(causes, vec![("system_migration", 4, 2), ("holiday", 2, 1)]);
    let periods: Vec<_> = a.by_period.iter().map(|p| (p.id.as_str(), p.loss.lost_slots)).collect();
    assert_eq!(periods, vec![("it", 4), ("Fronleichnam", 2)]);
    assert!((a.share_of_planned - 0.3).abs() < 1e-9);
    assert!((a.by_cause[0].1.working_days - 2.0).abs() < 1e-9);
}

/// Both projections know the same offices, with the same rows and attribution over each office's days.
fn assert_same_figures(a: &Projection, b: &Projection) {
    let offices = a.offices();
    assert_eq!(offices, b.offices());
    for info in &offices {
        let (first, last) = (info.first_event_date, info.last_event_date);
        assert_eq!(a.series(&info.office, first, last), b.series(&info.office, first, last));
        assert_eq!(a.attribution(&info.office, first, last), b.attribution(&info.office, first, last));
    }
}

#[test]
fn offices_settled_on_threads_of_their_own_equal_offices_settled_one_after_the_other() {
    let evs = crate::sample::events(5, 3_000);
    let folding = |cut: usize| {
        let mut folding = Projection::new(Config::default()).folding();
        // Pushed in two pieces, as a streamed rebuild does.
        folding.push_all(evs[..cut].iter().enumerate().map(|(i, e)| (i as u64 + 1, e)));
        folding.push_all(evs[cut..].iter().enumerate().map(|(i, e)| (cut as u64 + i as u64 + 1, e)));
        folding
    };
    let serial = folding(1_234).finish_settling(usize::MAX);
    let parallel = folding(2_000).finish_settling(0);
    let offices = serial.offices();
    assert!(offices.len() > 1, "the sample has several offices");
    assert_same_figures(&serial, &parallel);
    assert_eq!(serial.position(), parallel.position());
}

#[test]
fn settling_some_offices_between_pieces_ends_where_one_settle_ends_in_order_or_not() {
    let mut evs = crate::sample::events(6, 2_000);
    // A stretch in reverse business time, so that some pieces cannot settle cheaply.
    evs[700..1_100].reverse();
    let entries = || evs.iter().enumerate().map(|(i, e)| (i as u64 + 1, e));
    let once = Projection::from_entries(Config::default(), entries());
    let mut folding = Projection::new(Config::default()).folding();
    let mut settled = 0;
    for piece in entries().collect::<Vec<_>>().chunks(97) {
        folding.push_all(piece.iter().copied());
        while folding.settle_some() {
            settled += 1;
        }
    }
    assert!(settled > 0, "some pieces settled early");
    assert_same_figures(&once, &folding.finish());
}

#[test]
fn service_days_split_bookings_and_attended_appointments_by_service() {
    let a = booking("a", "2020-06-01T09:00:00+02:00", "2020-06-02T09:00:00+02:00");
    let b = booking("b", "2020-06-01T09:05:00+02:00", "2020-06-02T09:30:00+02:00");
    let pickup = r#""type":"appointment_booked","at":"2020-06-01T10:00:00+02:00",{o},"appointment_id":"c","service":"abholung","channel":"online","slot":"2020-06-03T09:00:00+02:00""#;
    let attended = r#""type":"appointment_attended","at":"2020-06-02T09:20:00+02:00",{o},"appointment_id":"a""#;
    let missed = r#""type":"appointment_missed","at":"2020-06-02T09:45:00+02:00",{o},"appointment_id":"b""#;
    let picked = r#""type":"appointment_attended","at":"2020-06-03T09:10:00+02:00",{o},"appointment_id":"c""#;
    let p = given(&[PLAN, &a, &b, pickup, attended, missed, picked]);
    let days = p.service_days(&OfficeId::parse("kl").unwrap(), date("2020-06-01"), date("2020-06-04"));
    let named = |pairs: &[(&str, u32)]| -> std::collections::BTreeMap<crate::domain::id::ServiceId, u32> {
        pairs.iter().map(|(s, n)| (crate::domain::id::ServiceId::parse(s).unwrap(), *n)).collect()
    };
    assert_eq!(days.len(), 4);
    assert_eq!(days[0].bookings, named(&[("pass", 2), ("abholung", 1)]));
    assert_eq!(days[0].attended, named(&[]));
    // The missed appointment is not attended; each attended one counts for its own service on its day.
    assert_eq!((days[1].bookings.clone(), days[1].attended.clone()), (named(&[]), named(&[("pass", 1)])));
    assert_eq!(days[2].attended, named(&[("abholung", 1)]));
    assert_eq!(days[3], crate::projection::ServiceDay::default());
    assert_eq!(row(&p, "2020-06-02").served_appointments, 1);
}

#[test]
fn office_position_moves_with_the_office_own_events_and_holidays_of_every_office_only() {
    let other = r#""type":"capacity_planned","at":"2020-06-01T08:00:00+02:00","office":"anderes-amt","effective_from":"2020-06-01","slots_per_weekday":[1,1,1,1,1,0,0]"#;
    let holiday = r#""type":"holiday_declared","at":"2020-05-01T00:00:00+02:00","date":"2020-06-04","name":"Feiertag""#;
    let a = booking("a", "2020-06-01T09:00:00+02:00", "2020-06-02T09:00:00+02:00");
    let kl = OfficeId::parse("kl").unwrap();
    let mut p = Projection::new(Config::default());
    let evs = events(&[PLAN, &a, other, holiday, other]);
    let mut seen = Vec::new();
    for (i, e) in evs.iter().enumerate() {
        p.apply(i as u64 + 1, e);
        seen.push(p.office_position(&kl));
    }
    // kl's own events at 1 and 2; the other office's at 3 and 5 leave it; the holiday of every office at 4 moves it.
    assert_eq!(seen, [1, 2, 2, 4, 4]);
    assert_eq!(p.office_position(&OfficeId::parse("nowhere").unwrap()), 4, "a holiday reaches every office");
}

#[test]
fn an_event_dated_far_ahead_keeps_no_row_for_the_days_in_between() {
    let b1 = booking("a", "2020-06-01T09:00:00+02:00", "2020-06-02T09:00:00+02:00");
    let walk_in = r#""type":"walk_in_served","at":"2199-12-31T12:00:00+01:00",{o},"service":"pass""#;
    let near = given(&[PLAN, &b1]);
    let far = given(&[PLAN, &b1, walk_in]);
    // 65,000 days lie between; what is kept grows by the far day's chunk and the days kept after the last near one.
    assert!(
        far.stored_rows() <= near.stored_rows() + 200,
        "{} rows kept, {} without",
        far.stored_rows(),
        near.stored_rows()
    );
    // The days in between still answer, from the state the near events left.
    let r = row(&far, "2150-06-01");
    assert_eq!((r.backlog, r.capacity, r.next_available_days), (1, 2, Some(1)), "{r:?}");
    assert_eq!(row(&far, "2199-12-31").served_walk_in, 1);
}

#[test]
fn packed_history_answers_a_long_quiet_stretch_and_a_late_event_as_unpacked_history_does() {
    use crate::projection::Packing;
    // Bookings in June 2020, nothing from July to December (more than the 92 days whose figures are kept), more
    // in January 2021, and last a cancellation dated in June 2020 that reaches back into the packed events.
    let a = booking("a", "2020-06-01T09:00:00+02:00", "2020-06-02T09:00:00+02:00");
    let b = booking("b", "2020-06-01T09:05:00+02:00", "2021-01-05T09:00:00+01:00");
    let c = booking("c", "2020-06-02T09:00:00+02:00", "2020-06-03T09:00:00+02:00");
    let d = booking("d", "2021-01-04T09:00:00+01:00", "2021-01-06T09:00:00+01:00");
    let e = booking("e", "2021-01-05T09:00:00+01:00", "2021-01-07T09:00:00+01:00");
    let attended = r#""type":"appointment_attended","at":"2020-06-02T09:10:00+02:00",{o},"appointment_id":"a""#;
    let missed = r#""type":"appointment_missed","at":"2020-06-03T09:30:00+02:00",{o},"appointment_id":"c""#;
    let late = r#""type":"appointment_cancelled","at":"2020-06-15T10:00:00+02:00",{o},"appointment_id":"b""#;
    let log = events(&[PLAN, &a, &b, &c, attended, missed, &d, &e, late]);
    let fold = |packing: Packing, upto: usize| {
        let mut p = Projection::new(Config::default()).with_packing(packing);
        log.iter().take(upto).enumerate().for_each(|(i, e)| p.apply(i as u64 + 1, e));
        p
    };
    let eager = Packing { keep_events: 1, block_events: 1 };
    let never = Packing { keep_events: usize::MAX, block_events: 1 };
    let kl = OfficeId::parse("kl").unwrap();
    for upto in [8, 9] {
        let (packed, unpacked) = (fold(eager, upto), fold(never, upto));
        let (events, ids) = packed.offices[&kl].packed_and_ids();
        assert!(events >= 4, "{events} packed of {upto}");
        assert!(ids <= 3, "ids of the ended appointments a and c are forgotten: {ids} left");
        let (from, to) = (date("2020-05-30"), date("2021-01-10"));
        assert_eq!(packed.series(&kl, from, to), unpacked.series(&kl, from, to));
        for day in ["2020-06-01", "2020-06-20", "2020-10-01", "2021-01-04"] {
            assert_eq!(packed.snapshot(&kl, date(day), 40), unpacked.snapshot(&kl, date(day), 40), "{day}");
        }
    }
    // The late cancellation took b out of the backlog from 15 June on.
    let after = fold(eager, 9);
    assert_eq!((row(&after, "2020-06-14").backlog, row(&after, "2020-10-01").backlog), (1, 0));
}

#[test]
fn a_holiday_of_every_office_is_one_shared_calendar_change_folded_or_read_from_a_checkpoint() {
    let log = events(&[
        PLAN,
        &PLAN.replace("{o}", r#""office":"mz""#),
        r#""type":"holiday_declared","at":"2020-05-01T08:00:00+02:00","date":"2020-06-11","name":"Fronleichnam""#,
        &PLAN.replace("{o}", r#""office":"tr""#),
    ]);
    let folded = Projection::from_entries(Config::default(), log.iter().enumerate().map(|(i, e)| (i as u64 + 1, e)));
    let mut body = Vec::new();
    crate::projection::checkpoint::encode(&folded, &mut body).unwrap();
    let read = crate::projection::checkpoint::decode(&body, 4, &Config::default()).unwrap();
    for projection in [&folded, &read] {
        assert_eq!(projection.offices.len(), 3);
        // The projection's own, and in each office (the one first seen later included) its calendar log's and its
        // swept event's: one allocation, seven references.
        assert_eq!(std::sync::Arc::strong_count(&projection.holiday_changes[0]), 7);
        assert_eq!(row(projection, "2020-06-11").capacity, 0);
    }
}
