//! Generated event streams that are valid under the rules, for tests, benches and demos.
//!
//! A stream is a function of its seed and length: the same arguments give the same events. Business time moves
//! forward through the stream, so follow-ups never precede their booking and slots never precede their booking.

use chrono::{Duration, FixedOffset, NaiveDate, TimeZone};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::domain::event::{Channel, ClosureCause, Event, EventKind, Instant};
use crate::domain::id::{AppointmentId, ClosureId, EventId, OfficeId, ServiceId};

const OFFICES: [&str; 3] = ["kl-buergercenter", "mainz-mitte", "trier"];
const SERVICES: [&str; 4] = ["personalausweis", "reisepass", "ausweis-abholung", "meldebescheinigung"];

/// From this many events on, a stream's events lie closer together in time (see [`events_over`]).
pub const DENSE_FROM: usize = 15_000_000;

/// `n` events valid under the rules when appended in order to an empty log; event ids carry the seed, so streams of
/// different seeds can share a log only if their appointments differ too (they do: appointment ids carry it also).
pub fn events(seed: u64, n: usize) -> Vec<Event> {
    events_over(seed, n, OFFICES.len())
}

/// The stream of [`events`] spread over `offices` offices (at least one): the three of [`events`] first, then
/// `office-04`, `office-05`, …; with three offices it is [`events`] itself.
///
/// Events lie 1 to 599 seconds apart (about 95 years for ten million) up to [`DENSE_FROM`] events; a longer stream
/// packs them closer, in proportion, so that its business time ends before 2170 and stays within the dates the
/// log accepts (which end with 2199).
pub fn events_over(seed: u64, n: usize, offices: usize) -> Vec<Event> {
    let names: Vec<OfficeId> = (0..offices.max(1))
        .map(|i| match OFFICES.get(i) {
            Some(name) => OfficeId::parse(name).expect("a valid office"),
            None => OfficeId::parse(&format!("office-{:02}", i + 1)).expect("a valid office"),
        })
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let zones = [FixedOffset::east_opt(7200).expect("+02:00"), FixedOffset::east_opt(0).expect("Z")];
    let mut now: Instant = zones[0].with_ymd_and_hms(2020, 1, 2, 8, 0, 0).single().expect("a valid instant");
    let mut open: Vec<(OfficeId, AppointmentId)> = Vec::new();
    let mut closures: Vec<(OfficeId, ClosureId)> = Vec::new();
    let mut out = Vec::with_capacity(n);
    let office = |i: usize| names[i % names.len()].clone();
    let service = |i: usize| ServiceId::parse(SERVICES[i % SERVICES.len()]).expect("a valid service");
    let step_limit = (600 * DENSE_FROM / n.max(1)).clamp(2, 600) as i64;
    for i in 0..n {
        now += Duration::seconds(rng.random_range(1..step_limit));
        let at = now.with_timezone(&zones[rng.random_range(0..zones.len())]);
        let id = EventId::parse(&format!("ev-{seed}-{i}")).expect("a valid event id");
        let roll = rng.random_range(0..100);
        let kind = if i < names.len() {
            EventKind::CapacityPlanned {
                office: office(i),
                effective_from: NaiveDate::from_ymd_opt(2020, 1, 6).expect("a date"),
                slots_per_weekday: [120, 120, 120, 140, 60, 0, 0],
            }
        } else if roll < 50 || open.is_empty() {
            let appointment = AppointmentId::parse(&format!("A-{seed}-{i}")).expect("a valid appointment id");
            let o = office(rng.random_range(0..names.len()));
            open.push((o.clone(), appointment.clone()));
            EventKind::AppointmentBooked {
                office: o,
                appointment,
                service: service(rng.random_range(0..SERVICES.len())),
                channel: Channel::ALL[rng.random_range(0..Channel::ALL.len())],
                slot: at + Duration::minutes(rng.random_range(60..60 * 24 * 40)),
            }
        } else if roll < 80 {
            let pick = rng.random_range(0..open.len());
            let (office, appointment) = open[pick].clone();
            match roll % 4 {
                0 => EventKind::AppointmentRescheduled {
                    office,
                    appointment,
                    slot: at + Duration::minutes(rng.random_range(60..60 * 24 * 30)),
                },
                ended => {
                    open.swap_remove(pick);
                    match ended {
                        1 => EventKind::AppointmentCancelled { office, appointment },
                        2 => EventKind::AppointmentAttended { office, appointment },
                        _ => EventKind::AppointmentMissed { office, appointment },
                    }
                }
            }
        } else if roll < 92 {
            EventKind::WalkInServed {
                office: office(rng.random_range(0..names.len())),
                service: service(rng.random_range(0..SERVICES.len())),
            }
        } else if roll < 95 || closures.is_empty() {
            let closure = ClosureId::parse(&format!("c-{seed}-{i}")).expect("a valid closure id");
            let o = office(rng.random_range(0..names.len()));
            let first_day = at.date_naive() + Duration::days(rng.random_range(1..30));
            closures.push((o.clone(), closure.clone()));
            EventKind::ClosureDeclared {
                office: o,
                closure,
                first_day,
                last_day: first_day + Duration::days(rng.random_range(0..14)),
                cause: ClosureCause::ALL[rng.random_range(0..ClosureCause::ALL.len())],
                reason: "Umstellung der IT, Schließung des Bürgercenters".into(),
            }
        } else if roll < 97 {
            let (office, closure) = closures.swap_remove(rng.random_range(0..closures.len()));
            EventKind::ClosureCancelled { office, closure }
        } else if roll < 99 {
            EventKind::HolidayDeclared {
                date: at.date_naive() + Duration::days(rng.random_range(1..60)),
                name: "Feiertag".into(),
                office: (roll == 98).then(|| office(i)),
            }
        } else {
            EventKind::PolicyChanged {
                office: office(i),
                service: service(2),
                effective_from: at.date_naive() + Duration::days(5),
                appointment_required: rng.random_bool(0.5),
            }
        };
        out.push(Event { id, at, kind });
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashMap};

    use super::*;
    use crate::rules::RuleBook;

    #[test]
    fn a_stream_over_many_offices_passes_the_rules_and_reaches_every_office() {
        let stream = events_over(4, 5_000, 20);
        let verdict = RuleBook::new().check(&HashMap::new(), &stream).expect("an in-memory store answers");
        assert!(verdict.is_ok(), "{:?}", verdict.err().map(|v| v.into_iter().take(3).collect::<Vec<_>>()));
        let offices: BTreeSet<String> = stream.iter().filter_map(|e| e.kind.office()).map(|o| o.to_string()).collect();
        assert_eq!(offices.len(), 20, "{offices:?}");
        assert!(offices.contains("kl-buergercenter") && offices.contains("office-20"), "{offices:?}");
        assert_eq!(events_over(4, 300, 3), events(4, 300), "three offices are the plain stream");
    }
}
