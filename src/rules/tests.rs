//! Given a log, when a batch, then these outcomes or exactly these violations: one test per rule of docs/events.md.

use std::collections::HashMap;

use super::*;
use crate::domain::wire::parse_event;

/// What a batch should come to: the outcome of every event, or exactly these violations as
/// `(index, field, status, a fragment of the reason)`.
enum Then<'a> {
    Accepted(&'a [Outcome]),
    Rejected(&'a [(usize, &'a str, u16, &'a str)]),
}

fn check(given: &[Event], when: &[Event], then: Then) {
    let mut book = RuleBook::new();
    let mut known: HashMap<EventId, (u64, Event)> = HashMap::new();
    for (i, event) in given.iter().enumerate() {
        let position = i as u64 + 1;
        book.apply(position, event);
        known.insert(event.id.clone(), (position, event.clone()));
    }
    let Ok(verdict) = book.check(&known, when);
    match (verdict, then) {
        (Ok(checked), Then::Accepted(want)) => {
            assert_eq!(checked.outcomes, want);
            // Committing the batch must make the book what folding the same events one by one makes it.
            let head = book.head();
            book.commit(checked);
            assert_eq!(book.head(), head + want.iter().filter(|o| matches!(o, Outcome::New(_))).count() as u64);
        }
        (Err(violations), Then::Rejected(want)) => {
            let got: Vec<_> = violations.iter().map(|v| (v.index, v.field.clone(), v.status.code())).collect();
            let expected: Vec<_> = want.iter().map(|(i, f, s, _)| (*i, Some(f.to_string()), *s)).collect();
            assert_eq!(got, expected, "{violations:#?}");
            for (v, (_, _, _, fragment)) in violations.iter().zip(want) {
                assert!(v.reason.contains(fragment), "{:?} does not mention {fragment:?}", v.reason);
            }
        }
        (Ok(checked), Then::Rejected(_)) => panic!("accepted, outcomes {:?}", checked.outcomes),
        (Err(violations), Then::Accepted(_)) => panic!("rejected: {violations:#?}"),
    }
}

fn ev(json: &str) -> Event {
    parse_event(json).unwrap_or_else(|e| panic!("bad test event {json}: {e:?}"))
}

fn booked(id: &str, appointment: &str, at: &str, slot: &str) -> Event {
    ev(&format!(
        r#"{{"event_id":"{id}","type":"appointment_booked","at":"{at}","office":"kl","appointment_id":"{appointment}","service":"personalausweis","channel":"online","slot":"{slot}"}}"#
    ))
}

fn rescheduled(id: &str, appointment: &str, at: &str, slot: &str) -> Event {
    ev(&format!(
        r#"{{"event_id":"{id}","type":"appointment_rescheduled","at":"{at}","office":"kl","appointment_id":"{appointment}","slot":"{slot}"}}"#
    ))
}

/// `appointment_cancelled`, `_attended` or `_missed`, chosen by `what`.
fn ended(what: &str, id: &str, appointment: &str, at: &str) -> Event {
    ev(&format!(
        r#"{{"event_id":"{id}","type":"appointment_{what}","at":"{at}","office":"kl","appointment_id":"{appointment}"}}"#
    ))
}

fn closure(id: &str, closure: &str, first: &str, last: &str) -> Event {
    ev(&format!(
        r#"{{"event_id":"{id}","type":"closure_declared","at":"2020-03-16T07:00:00+01:00","office":"kl","closure_id":"{closure}","first_day":"{first}","last_day":"{last}","cause":"lockdown","reason":"Corona"}}"#
    ))
}

fn closure_cancelled(id: &str, closure: &str) -> Event {
    ev(&format!(
        r#"{{"event_id":"{id}","type":"closure_cancelled","at":"2020-04-01T07:00:00+02:00","office":"kl","closure_id":"{closure}"}}"#
    ))
}

const AT: &str = "2020-06-02T09:00:00+02:00";
const LATER: &str = "2020-06-03T09:00:00+02:00";
const SLOT: &str = "2020-06-24T08:00:00+02:00";

#[test]
fn a_valid_batch_gets_positions_after_the_log() {
    check(
        &[booked("e1", "a1", AT, SLOT)],
        &[booked("e2", "a2", AT, SLOT), ended("attended", "e3", "a1", LATER)],
        Then::Accepted(&[Outcome::New(2), Outcome::New(3)]),
    );
}

#[test]
fn a_resend_with_identical_content_is_a_duplicate() {
    let e1 = booked("e1", "a1", AT, SLOT);
    check(
        std::slice::from_ref(&e1),
        &[e1.clone(), booked("e2", "a2", AT, SLOT)],
        Then::Accepted(&[Outcome::Duplicate(1), Outcome::New(2)]),
    );
    // The same within one batch: the second is a duplicate of the position the first will get.
    let e2 = booked("e2", "a2", AT, SLOT);
    check(&[e1], &[e2.clone(), e2], Then::Accepted(&[Outcome::New(2), Outcome::Duplicate(2)]));
}

#[test]
fn a_known_event_id_with_other_content_is_a_conflict() {
    check(
        &[booked("e1", "a1", AT, SLOT)],
        &[booked("e1", "a2", AT, SLOT)],
        Then::Rejected(&[(0, "event_id", 409, "already stored at position 1")]),
    );
    check(
        &[],
        &[booked("e1", "a1", AT, SLOT), booked("e1", "a2", AT, SLOT)],
        Then::Rejected(&[(1, "event_id", 409, "event 0 of this batch")]),
    );
    // The same instant written with another offset is other content: the export would differ.
    check(
        &[booked("e1", "a1", AT, SLOT)],
        &[booked("e1", "a1", "2020-06-02T07:00:00Z", SLOT)],
        Then::Rejected(&[(0, "event_id", 409, "different content")]),
    );
}

#[test]
fn booking_an_appointment_id_twice_is_a_conflict() {
    check(
        &[booked("e1", "a1", AT, SLOT)],
        &[booked("e2", "a1", LATER, SLOT)],
        Then::Rejected(&[(0, "appointment_id", 409, "already booked")]),
    );
    check(
        &[],
        &[booked("e1", "a1", AT, SLOT), booked("e2", "a1", LATER, SLOT)],
        Then::Rejected(&[(1, "appointment_id", 409, "already booked")]),
    );
    // Even once the first booking has ended: the id names one visit.
    check(
        &[booked("e1", "a1", AT, SLOT), ended("cancelled", "e2", "a1", LATER)],
        &[booked("e3", "a1", LATER, SLOT)],
        Then::Rejected(&[(0, "appointment_id", 409, "now cancelled")]),
    );
}

#[test]
fn the_same_appointment_id_at_another_office_is_another_appointment() {
    let other = ev(&format!(
        r#"{{"event_id":"e2","type":"appointment_booked","at":"{AT}","office":"mainz","appointment_id":"a1","service":"personalausweis","channel":"phone","slot":"{SLOT}"}}"#
    ));
    check(&[booked("e1", "a1", AT, SLOT)], &[other], Then::Accepted(&[Outcome::New(2)]));
}

#[test]
fn an_observation_offers_only_slots_after_its_own_time() {
    let observed = |slots: &str| {
        ev(&format!(
            r#"{{"event_id":"o","type":"calendar_observed","at":"2021-07-12T08:00:00+02:00","office":"kl","source":"scraper","free_slots":[{slots}]}}"#
        ))
    };
    check(&[], &[observed(r#""2021-07-12T08:15:00+02:00""#)], Then::Accepted(&[Outcome::New(1)]));
    check(&[], &[observed("")], Then::Accepted(&[Outcome::New(1)]));
    check(
        &[],
        &[observed(r#""2021-07-12T06:00:00Z","2021-07-12T08:15:00+02:00""#)],
        Then::Rejected(&[(0, "free_slots", 422, "entry 0 (2021-07-12T06:00:00Z) is not after the observation's at")]),
    );
}

#[test]
fn a_slot_before_at_is_unprocessable() {
    check(&[], &[booked("e1", "a1", LATER, AT)], Then::Rejected(&[(0, "slot", 422, "is before the event's at")]));
    check(
        &[booked("e1", "a1", AT, SLOT)],
        &[rescheduled("e2", "a1", LATER, AT)],
        Then::Rejected(&[(0, "slot", 422, "is before the event's at")]),
    );
    // A slot at the very instant of the event is fine (a walk-up booking at the counter).
    check(&[], &[booked("e1", "a1", AT, AT)], Then::Accepted(&[Outcome::New(1)]));
}

#[test]
fn follow_ups_of_an_unknown_appointment_are_unprocessable() {
    for (what, event) in [
        ("rescheduled", rescheduled("e2", "nope", LATER, SLOT)),
        ("cancelled", ended("cancelled", "e2", "nope", LATER)),
        ("attended", ended("attended", "e2", "nope", LATER)),
        ("missed", ended("missed", "e2", "nope", LATER)),
    ] {
        eprintln!("{what}");
        check(
            &[booked("e1", "a1", AT, SLOT)],
            &[event],
            Then::Rejected(&[(0, "appointment_id", 422, "is not booked at office \"kl\"")]),
        );
    }
}

#[test]
fn follow_ups_of_an_ended_appointment_are_unprocessable() {
    for end in ["cancelled", "attended", "missed"] {
        for follow in ["cancelled", "attended", "missed"] {
            check(
                &[booked("e1", "a1", AT, SLOT), ended(end, "e2", "a1", LATER)],
                &[ended(follow, "e3", "a1", LATER)],
                Then::Rejected(&[(0, "appointment_id", 422, &format!("is already {end}"))]),
            );
        }
        check(
            &[booked("e1", "a1", AT, SLOT), ended(end, "e2", "a1", LATER)],
            &[rescheduled("e3", "a1", LATER, SLOT)],
            Then::Rejected(&[(0, "appointment_id", 422, &format!("is already {end}"))]),
        );
    }
    // Ended earlier in the same batch counts as well.
    check(
        &[booked("e1", "a1", AT, SLOT)],
        &[ended("cancelled", "e2", "a1", LATER), ended("attended", "e3", "a1", LATER)],
        Then::Rejected(&[(1, "appointment_id", 422, "is already cancelled")]),
    );
}

#[test]
fn a_follow_up_before_the_booking_is_unprocessable() {
    for event in [
        rescheduled("e2", "a1", AT, SLOT),
        ended("cancelled", "e2", "a1", AT),
        ended("attended", "e2", "a1", AT),
        ended("missed", "e2", "a1", AT),
    ] {
        check(
            &[booked("e1", "a1", LATER, SLOT)],
            std::slice::from_ref(&event),
            Then::Rejected(&[(0, "at", 422, "is before the booking of appointment \"a1\"")]),
        );
    }
    // Rescheduling keeps the appointment open, and the booking's own `at` stays the bar.
    check(
        &[booked("e1", "a1", AT, SLOT), rescheduled("e2", "a1", LATER, SLOT)],
        &[ended("attended", "e3", "a1", AT)],
        Then::Accepted(&[Outcome::New(3)]),
    );
}

#[test]
fn closures_must_run_forward_and_at_most_366_days() {
    check(
        &[],
        &[closure("c1", "lockdown", "2020-03-17", "2020-03-16")],
        Then::Rejected(&[(0, "last_day", 422, "is before first_day 2020-03-17")]),
    );
    check(
        &[],
        &[closure("c1", "long", "2020-01-01", "2021-01-01")],
        Then::Rejected(&[(0, "last_day", 422, "367 days long")]),
    );
    // 2020 is a leap year: the whole year is exactly 366 days, and one day is one day.
    check(
        &[],
        &[closure("c1", "year", "2020-01-01", "2020-12-31"), closure("c2", "day", "2020-03-17", "2020-03-17")],
        Then::Accepted(&[Outcome::New(1), Outcome::New(2)]),
    );
}

#[test]
fn cancelling_an_unknown_or_cancelled_closure_is_unprocessable() {
    check(&[], &[closure_cancelled("c1", "nope")], Then::Rejected(&[(0, "closure_id", 422, "is not declared")]));
    check(
        &[closure("c1", "lockdown", "2020-03-17", "2020-04-26"), closure_cancelled("c2", "lockdown")],
        &[closure_cancelled("c3", "lockdown")],
        Then::Rejected(&[(0, "closure_id", 422, "is already cancelled")]),
    );
    check(
        &[],
        &[closure("c1", "lockdown", "2020-03-17", "2020-04-26"), closure_cancelled("c2", "lockdown")],
        Then::Accepted(&[Outcome::New(1), Outcome::New(2)]),
    );
}

#[test]
fn a_cancelled_closure_may_be_declared_again_and_cancelled_again() {
    check(
        &[closure("c1", "lockdown", "2020-03-17", "2020-04-26"), closure_cancelled("c2", "lockdown")],
        &[closure("c3", "lockdown", "2020-03-18", "2020-04-20"), closure_cancelled("c4", "lockdown")],
        Then::Accepted(&[Outcome::New(3), Outcome::New(4)]),
    );
}

#[test]
fn every_violation_of_a_batch_is_reported() {
    check(
        &[booked("e1", "a1", AT, SLOT)],
        &[
            booked("e2", "a2", AT, SLOT),
            booked("e1", "other", AT, SLOT),
            booked("e3", "a1", LATER, AT),
            ended("missed", "e4", "a9", LATER),
            closure_cancelled("e5", "nope"),
        ],
        Then::Rejected(&[
            (1, "event_id", 409, "different content"),
            (2, "slot", 422, "before"),
            (2, "appointment_id", 409, "already booked"),
            (3, "appointment_id", 422, "not booked"),
            (4, "closure_id", 422, "not declared"),
        ]),
    );
}

#[test]
fn a_booking_whose_slot_is_wrong_does_not_cascade() {
    check(
        &[],
        &[booked("e1", "a1", LATER, AT), ended("cancelled", "e2", "a1", LATER)],
        Then::Rejected(&[(0, "slot", 422, "before")]),
    );
}

#[test]
fn wire_errors_and_rule_violations_come_back_together_in_order() {
    let items = vec![Ok(booked("e1", "a1", AT, SLOT)), parse_event("{"), Ok(ended("cancelled", "e2", "a9", LATER))];
    let known: HashMap<EventId, (u64, Event)> = HashMap::new();
    let Ok(verdict) = RuleBook::new().check_parsed(&known, items);
    let violations = verdict.expect_err("rejected");
    let got: Vec<_> = violations.iter().map(|v| (v.index, v.status.code())).collect();
    assert_eq!(got, [(1, 400), (2, 422)]);
}

#[test]
fn events_without_rules_are_always_accepted() {
    let others = [
        r#"{"event_id":"w","type":"walk_in_served","at":"2020-06-29T08:00:00Z","office":"kl","service":"ausweis-abholung"}"#,
        r#"{"event_id":"p","type":"capacity_planned","at":"2020-01-01T00:00:00+01:00","office":"kl","effective_from":"2020-01-06","slots_per_weekday":[1,2,3,4,5,0,0]}"#,
        r#"{"event_id":"h","type":"holiday_declared","at":"2020-01-01T00:00:00+01:00","date":"2020-05-21","name":"Christi Himmelfahrt"}"#,
        r#"{"event_id":"q","type":"policy_changed","at":"2020-06-24T12:00:00+02:00","office":"kl","service":"ausweis-abholung","effective_from":"2020-06-29","appointment_required":false}"#,
    ];
    let events: Vec<Event> = others.iter().map(|l| ev(l)).collect();
    check(&[], &events, Then::Accepted(&[Outcome::New(1), Outcome::New(2), Outcome::New(3), Outcome::New(4)]));
}

/// The one batch policy: parse errors and rule breaks of one batch together, in batch order, the first 100 listed
/// and all counted.
#[test]
fn a_batch_is_judged_whole_with_parse_errors_and_rule_breaks_in_order() {
    let book = RuleBook::new();
    let known: HashMap<EventId, (u64, Event)> = HashMap::new();
    let check = |events: &[Event]| book.check(&known, events).map(|verdict| verdict.map(|c| c.outcomes));
    let mut lines = vec![
        r#"{"event_id":"b","type":"appointment_booked","at":"2020-06-02T09:15:00+02:00","office":"kl","appointment_id":"A-1","service":"s","channel":"online","slot":"2020-06-24T08:00:00+02:00"}"#.to_string(),
        "{}".to_string(),
        r#"{"event_id":"c","type":"appointment_cancelled","at":"2020-06-03T09:15:00+02:00","office":"kl","appointment_id":"A-2"}"#.to_string(),
    ];
    let parse = |lines: &[String]| lines.iter().map(|l| parse_event(l)).collect::<Vec<_>>();
    let Ok(Err(rejection)) = judge_batch(parse(&lines), false, check) else { panic!("rejected") };
    let seen: Vec<(usize, u16)> = rejection.listed.iter().map(|v| (v.index, v.status.code())).collect();
    // `{}` misses event_id, at and type; the cancellation of an unknown appointment is a 422 of index 2.
    assert_eq!(seen, [(1, 400), (1, 400), (1, 400), (2, 422)]);
    assert_eq!(rejection.total, 4);

    // 150 broken lines after them: 100 listed, the 422 among them in its place, every one counted.
    lines.extend(std::iter::repeat_n("{}".to_string(), 150));
    let Ok(Err(rejection)) = judge_batch(parse(&lines), false, check) else { panic!("rejected") };
    assert_eq!(rejection.listed.len(), MAX_LISTED_VIOLATIONS);
    assert_eq!(rejection.total, 3 + 1 + 150 * 3);
    assert!(rejection.listed.windows(2).all(|w| w[0].index <= w[1].index), "in batch order");
    assert_eq!(rejection.listed[3].status.code(), 422);

    // A batch that parses is not dry-run unless asked; one that is valid comes back with its outcomes.
    let valid = parse(&lines[..1]);
    let Ok(Ok((events, None))) = judge_batch(valid.clone(), false, |_| -> Result<_, ()> { panic!("not asked") }) else {
        panic!("accepted")
    };
    assert_eq!(events.len(), 1);
    let Ok(Ok((_, Some(outcomes)))) = judge_batch(valid, true, check) else { panic!("accepted") };
    assert_eq!(outcomes, [Outcome::New(1)]);
}
