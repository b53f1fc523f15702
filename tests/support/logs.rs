//! Random valid logs for the property tests, and the reorderings of a log that the rules allow.
//!
//! A log is generated as a list of [`Step`]s (small numbers, so that proptest shrinks them well) which
//! [`build`] turns into events while tracking what the log knows in log order, so that every event obeys
//! docs/events.md's rules: no follow-up of an unknown or ended appointment, none with `at` before its booking's `at`,
//! every slot at or after its `at`, closures cancelled only while declared. Business time is free otherwise: a step
//! may be *late* (its `at` days before events already in the log), instants are written with mixed offsets
//! (+01:00, +02:00, Z, -05:00), local times cluster around midnight, and the calendar window contains a
//! daylight-saving switch for most bases. Logs stay small (≤ 150 events over ≤ ~60 days) so the reference is fast.
#![allow(dead_code)] // Shared by several test crates; each uses a part.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use chrono::{Days, FixedOffset, NaiveDate, NaiveTime, TimeZone};
use proptest::prelude::*;
use wartezeit::domain::event::{Channel, ClosureCause, Event, EventKind, Instant};
use wartezeit::domain::id::{AppointmentId, ClosureId, EventId, OfficeId, ServiceId};
use wartezeit::domain::time::Zone;
use wartezeit::projection::Config;

/// The offices a log may use; a scenario uses the first one, two or three.
pub const OFFICES: [&str; 3] = ["kl-buergercenter", "bc-nord", "bc-sued"];
/// An office that no generated log mentions: its rows must be zeros and nulls in both implementations.
pub const UNKNOWN_OFFICE: &str = "bc-leer";
const SERVICES: [&str; 3] = ["personalausweis", "reisepass", "ausweis-abholung"];
const CLOSURE_IDS: [&str; 3] = ["lockdown", "it-migration", "staff"];
/// Mondays whose next ~60 days hold a Berlin DST switch (2020-03-29, 2020-10-25, 2021-03-28), and one without.
const BASES: [(i32, u32, u32); 4] = [(2020, 3, 9), (2020, 10, 5), (2021, 3, 8), (2020, 6, 1)];
/// Local times of `at`: many near midnight, one inside the DST gap (spring) or overlap (autumn).
const TIMES: [(u32, u32, u32); 11] = [
    (0, 0, 0),
    (0, 20, 0),
    (2, 30, 0),
    (8, 0, 0),
    (9, 15, 0),
    (11, 45, 0),
    (14, 30, 0),
    (17, 0, 0),
    (22, 45, 0),
    (23, 30, 0),
    (23, 59, 59),
];
/// The offsets instants are written with; the instant is the same, only its spelling differs.
const OFFSETS: [i32; 4] = [3600, 7200, 0, -5 * 3600];

/// A generated case: a configuration and a valid log with positions 1..=n.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub config: Config,
    pub log: Vec<(u64, Event)>,
    /// How many of [`OFFICES`] the log may use.
    pub office_count: usize,
}

impl Scenario {
    /// The offices to compare: every office the log may use, and one it never mentions.
    pub fn offices(&self) -> Vec<OfficeId> {
        OFFICES[..self.office_count].iter().chain([&UNKNOWN_OFFICE]).map(|o| office(o)).collect()
    }

    /// From three days before the first event's date to three days after the last one's, in the configured zone.
    pub fn window(&self) -> (NaiveDate, NaiveDate) {
        let dates = self.log.iter().map(|(_, e)| self.config.zone.date_of(&e.at));
        let first = dates.clone().min().unwrap_or(NaiveDate::from_ymd_opt(2020, 6, 1).expect("a date"));
        let last = dates.max().unwrap_or(first);
        (first - Days::new(3), last + Days::new(3))
    }
}

/// One step of a generated log: what happens, and when in business time.
#[derive(Debug, Clone)]
pub struct Step {
    op: Op,
    /// Days the business clock moves forward before this step.
    advance: u8,
    /// When set, the step happened this many days before the clock: a late event.
    late: Option<u8>,
    /// Index into [`TIMES`].
    time: u8,
    /// Index into [`OFFSETS`].
    offset: u8,
}

#[derive(Debug, Clone)]
enum Op {
    Book {
        office: u8,
        service: u8,
        ahead: u8,
        slot_time: u8,
    },
    Reschedule {
        pick: u16,
        ahead: u8,
        slot_time: u8,
    },
    /// 0: cancelled, 1: attended, 2: missed.
    End {
        pick: u16,
        how: u8,
    },
    WalkIn {
        office: u8,
        service: u8,
    },
    Plan {
        office: u8,
        from: u8,
        slots: [u8; 7],
    },
    Close {
        office: u8,
        closure: u8,
        first: u8,
        len: u8,
    },
    Reopen {
        pick: u16,
    },
    Holiday {
        office: Option<u8>,
        day: u8,
    },
    HolidayInClosure {
        pick: u16,
        offset: u8,
        global: bool,
    },
    Policy {
        office: u8,
        service: u8,
        from: u8,
        required: bool,
    },
    /// An office's or (with `service`) a service's display name, for one office or (`None`) every office.
    Describe {
        office: Option<u8>,
        service: Option<u8>,
        name: u8,
    },
}

/// Display names, with the characters that text formats must escape.
const NAMES: [&str; 4] = ["Bürgercenter Süd", "Bürgerbüro \"Rathaus\" & Co", "Ausweis <neu>", "Amt 2"];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (any::<u8>(), any::<u8>(), 0u8..21, any::<u8>())
            .prop_map(|(office, service, ahead, slot_time)| Op::Book { office, service, ahead, slot_time }),
        2 => (any::<u16>(), 0u8..15, any::<u8>())
            .prop_map(|(pick, ahead, slot_time)| Op::Reschedule { pick, ahead, slot_time }),
        4 => (any::<u16>(), 0u8..3).prop_map(|(pick, how)| Op::End { pick, how }),
        2 => (any::<u8>(), any::<u8>()).prop_map(|(office, service)| Op::WalkIn { office, service }),
        2 => (any::<u8>(), 0u8..10, prop::array::uniform7(prop_oneof![1 => Just(0u8), 3 => 1u8..3, 1 => Just(4u8)]))
            .prop_map(|(office, from, slots)| Op::Plan { office, from, slots }),
        2 => (any::<u8>(), 0u8..3, 0u8..50, 0u8..7)
            .prop_map(|(office, closure, first, len)| Op::Close { office, closure, first, len }),
        1 => any::<u16>().prop_map(|pick| Op::Reopen { pick }),
        1 => (proptest::option::of(any::<u8>()), 0u8..58).prop_map(|(office, day)| Op::Holiday { office, day }),
        1 => (any::<u16>(), any::<u8>(), any::<bool>())
            .prop_map(|(pick, offset, global)| Op::HolidayInClosure { pick, offset, global }),
        1 => (any::<u8>(), any::<u8>(), 0u8..50, any::<bool>())
            .prop_map(|(office, service, from, required)| Op::Policy { office, service, from, required }),
        1 => (proptest::option::of(any::<u8>()), proptest::option::of(any::<u8>()), any::<u8>())
            .prop_map(|(office, service, name)| Op::Describe { office, service, name }),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    (
        op(),
        prop_oneof![3 => Just(0u8), 2 => Just(1u8), 1 => Just(2u8)],
        prop_oneof![4 => Just(None), 1 => (1u8..13).prop_map(Some)],
        0u8..TIMES.len() as u8,
        0u8..OFFSETS.len() as u8,
    )
        .prop_map(|(op, advance, late, time, offset)| Step { op, advance, late, time, offset })
}

/// Random valid logs of up to 150 events, with their configuration (zone mostly Europe/Berlin, horizon sometimes
/// small so that "no free slot within H days" happens).
pub fn scenario() -> impl Strategy<Value = Scenario> {
    (
        0..BASES.len(),
        prop_oneof![8 => Just("Europe/Berlin"), 1 => Just("America/New_York"), 1 => Just("UTC")],
        prop_oneof![2 => Just(365u32), 1 => Just(5u32), 1 => Just(10u32), 1 => Just(3u32)],
        1usize..=3,
        prop::collection::vec(step(), 1..=150),
    )
        .prop_map(|(base, zone, horizon_days, office_count, steps)| {
            let (y, m, d) = BASES[base];
            let base = NaiveDate::from_ymd_opt(y, m, d).expect("a date");
            let zone = Zone::parse(zone).expect("a zone");
            Scenario { config: Config { zone, horizon_days }, log: build(base, office_count, &steps), office_count }
        })
}

struct Appointment {
    office: OfficeId,
    id: AppointmentId,
    booked_at: Instant,
    ended: bool,
}

/// Turns steps into a valid log. Steps that the rules would reject in log order (a follow-up with no open
/// appointment, a cancellation with no closure in force) are skipped.
pub fn build(base: NaiveDate, office_count: usize, steps: &[Step]) -> Vec<(u64, Event)> {
    let pick_office = |i: u8| office(OFFICES[usize::from(i) % office_count]);
    let pick_service = |i: u8| ServiceId::parse(SERVICES[usize::from(i) % SERVICES.len()]).expect("a service");
    let day = |offset: i64| base.checked_add_signed(chrono::Duration::days(offset)).expect("a date");
    let mut clock = 0i64;
    let mut kinds: Vec<(Instant, EventKind)> = Vec::new();
    let mut appointments: Vec<Appointment> = Vec::new();
    // Closures as the log knows them in log order: declared range, and whether a cancellation may follow.
    let mut closures: BTreeMap<(OfficeId, ClosureId), (NaiveDate, NaiveDate, bool)> = BTreeMap::new();
    for step in steps {
        clock = (clock + i64::from(step.advance)).min(55);
        let at_day = day(clock - step.late.map_or(0, i64::from));
        let at = local_instant(at_day, TIMES[usize::from(step.time)], step.offset);
        let slot_at = |at: Instant, ahead: u8, slot_time: u8| {
            let date = berlin_date(&at) + Days::new(u64::from(ahead));
            let slot = local_instant(date, TIMES[usize::from(slot_time) % TIMES.len()], step.offset.wrapping_add(1));
            if slot < at { at } else { slot }
        };
        let kind = match step.op {
            Op::Book { office, service, ahead, slot_time } => {
                let id = AppointmentId::parse(&format!("a{}", appointments.len() + 1)).expect("an id");
                let office = pick_office(office);
                appointments.push(Appointment { office: office.clone(), id: id.clone(), booked_at: at, ended: false });
                let channel = Channel::ALL[usize::from(service) % 3];
                let slot = slot_at(at, ahead, slot_time);
                EventKind::AppointmentBooked { office, appointment: id, service: pick_service(service), channel, slot }
            }
            Op::Reschedule { pick, ahead, slot_time } => {
                let Some(a) = pick_open(&mut appointments, pick) else { continue };
                let at = at.max(a.booked_at);
                let slot = slot_at(at, ahead, slot_time);
                kinds.push((
                    at,
                    EventKind::AppointmentRescheduled { office: a.office.clone(), appointment: a.id.clone(), slot },
                ));
                continue;
            }
            Op::End { pick, how } => {
                let Some(a) = pick_open(&mut appointments, pick) else { continue };
                a.ended = true;
                let (office, appointment) = (a.office.clone(), a.id.clone());
                let kind = match how {
                    0 => EventKind::AppointmentCancelled { office, appointment },
                    1 => EventKind::AppointmentAttended { office, appointment },
                    _ => EventKind::AppointmentMissed { office, appointment },
                };
                // A follow-up may share its booking's instant; position then orders them.
                kinds.push((at.max(a.booked_at), kind));
                continue;
            }
            Op::WalkIn { office, service } => {
                EventKind::WalkInServed { office: pick_office(office), service: pick_service(service) }
            }
            Op::Plan { office, from, slots } => EventKind::CapacityPlanned {
                office: pick_office(office),
                // Every sixth day from a Monday: Mondays, Sundays, Saturdays, … and often the same date twice.
                effective_from: day(i64::from(from) * 6 - 6),
                slots_per_weekday: slots.map(u16::from),
            },
            Op::Close { office, closure, first, len } => {
                let office = pick_office(office);
                let id = ClosureId::parse(CLOSURE_IDS[usize::from(closure)]).expect("a closure id");
                let (first_day, last_day) = (day(i64::from(first) - 3), day(i64::from(first) - 3 + i64::from(len)));
                closures.insert((office.clone(), id.clone()), (first_day, last_day, true));
                EventKind::ClosureDeclared {
                    office,
                    closure: id,
                    first_day,
                    last_day,
                    cause: ClosureCause::ALL[usize::from(closure) % 4],
                    reason: "generated".into(),
                }
            }
            Op::Reopen { pick } => {
                let open: Vec<_> = closures.iter_mut().filter(|(_, (_, _, in_force))| *in_force).collect();
                if open.is_empty() {
                    continue;
                }
                let len = open.len();
                let ((office, closure), state) = open.into_iter().nth(usize::from(pick) % len).expect("in range");
                state.2 = false;
                EventKind::ClosureCancelled { office: office.clone(), closure: closure.clone() }
            }
            Op::Holiday { office, day: d } => EventKind::HolidayDeclared {
                date: day(i64::from(d) - 3),
                name: "Feiertag".into(),
                office: office.map(pick_office),
            },
            Op::HolidayInClosure { pick, offset, global } => {
                if closures.is_empty() {
                    continue;
                }
                let ((office, _), (first, last, _)) =
                    closures.iter().nth(usize::from(pick) % closures.len()).expect("in range");
                let span = (*last - *first).num_days() as u64 + 1;
                let date = *first + Days::new(u64::from(offset) % span);
                EventKind::HolidayDeclared { date, name: "Feiertag".into(), office: (!global).then(|| office.clone()) }
            }
            Op::Policy { office, service, from, required } => EventKind::PolicyChanged {
                office: pick_office(office),
                service: pick_service(service),
                effective_from: day(i64::from(from)),
                appointment_required: required,
            },
            Op::Describe { office, service, name } => {
                let name = NAMES[usize::from(name) % NAMES.len()].to_owned();
                match service {
                    Some(service) => EventKind::ServiceDescribed {
                        service: pick_service(service),
                        name,
                        office: office.map(pick_office),
                    },
                    None => EventKind::OfficeDescribed {
                        office: pick_office(office.unwrap_or(0)),
                        name,
                        state: Some(wartezeit::domain::event::State::RheinlandPfalz),
                    },
                }
            }
        };
        kinds.push((at, kind));
    }
    kinds
        .into_iter()
        .enumerate()
        .map(|(i, (at, kind))| {
            let id = EventId::parse(&format!("e{}", i + 1)).expect("an event id");
            (i as u64 + 1, Event { id, at, kind })
        })
        .collect()
}

fn pick_open(appointments: &mut [Appointment], pick: u16) -> Option<&mut Appointment> {
    let open = appointments.iter().filter(|a| !a.ended).count();
    if open == 0 {
        return None;
    }
    appointments.iter_mut().filter(|a| !a.ended).nth(usize::from(pick) % open)
}

pub fn office(name: &str) -> OfficeId {
    OfficeId::parse(name).expect("an office id")
}

fn berlin_date(at: &Instant) -> NaiveDate {
    Zone::default().date_of(at)
}

/// The instant of a local Berlin time (the first one after a gap, the earlier one in an overlap), written with
/// the offset `OFFSETS[offset % 4]`.
fn local_instant(date: NaiveDate, (h, m, s): (u32, u32, u32), offset: u8) -> Instant {
    let naive = date.and_time(NaiveTime::from_hms_opt(h, m, s).expect("a time"));
    let berlin = chrono_tz::Europe::Berlin;
    let instant = berlin
        .from_local_datetime(&naive)
        .earliest()
        .or_else(|| berlin.from_local_datetime(&(naive + chrono::Duration::hours(1))).earliest())
        .expect("a gap is at most an hour");
    let offset = FixedOffset::east_opt(OFFSETS[usize::from(offset) % OFFSETS.len()]).expect("an offset");
    instant.with_timezone(&offset)
}

/// What orders events of one log beyond their business time: the rules (follow-ups after their booking, a closure
/// cancelled after its declaration) and the tie-breaking by position among events whose relative order changes a
/// figure (two plans for the same date; an appointment's slots; a closure's declarations and cancellations).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Chain {
    Appointment(OfficeId, AppointmentId),
    Closure(OfficeId, ClosureId),
    Plan(OfficeId, NaiveDate),
}

fn chain(event: &Event) -> Option<Chain> {
    match &event.kind {
        EventKind::AppointmentBooked { office, appointment, .. }
        | EventKind::AppointmentRescheduled { office, appointment, .. }
        | EventKind::AppointmentCancelled { office, appointment }
        | EventKind::AppointmentAttended { office, appointment }
        | EventKind::AppointmentMissed { office, appointment } => {
            Some(Chain::Appointment(office.clone(), appointment.clone()))
        }
        EventKind::ClosureDeclared { office, closure, .. } | EventKind::ClosureCancelled { office, closure } => {
            Some(Chain::Closure(office.clone(), closure.clone()))
        }
        EventKind::CapacityPlanned { office, effective_from, .. } => Some(Chain::Plan(office.clone(), *effective_from)),
        _ => None,
    }
}

/// The log appended in the order `permutation` (indices into `log`), fixed up stably so that the rules still hold:
/// the places of a chain's events in the permuted order are refilled with that chain's events in their original
/// relative order. Positions are renumbered 1..=n.
pub fn reordered(log: &[(u64, Event)], permutation: &[usize]) -> Vec<(u64, Event)> {
    let mut queues: BTreeMap<Chain, VecDeque<usize>> = BTreeMap::new();
    for (i, (_, e)) in log.iter().enumerate() {
        if let Some(c) = chain(e) {
            queues.entry(c).or_default().push_back(i);
        }
    }
    permutation
        .iter()
        .map(|&i| match chain(&log[i].1) {
            Some(c) => queues.get_mut(&c).and_then(VecDeque::pop_front).expect("one place per chain member"),
            None => i,
        })
        .enumerate()
        .map(|(p, i)| (p as u64 + 1, log[i].1.clone()))
        .collect()
}

/// Checks a log against docs/events.md's rules in log order (the ones a generated log could break); the message names
/// the position and the rule.
pub fn check_valid(log: &[(u64, Event)]) -> Result<(), String> {
    let mut ids = BTreeSet::new();
    let mut booked: BTreeMap<(&OfficeId, &AppointmentId), (Instant, bool)> = BTreeMap::new();
    let mut closures: BTreeMap<(&OfficeId, &ClosureId), bool> = BTreeMap::new();
    let mut last_position = 0;
    for (position, e) in log {
        let fail = |rule: &str| Err(format!("position {position}: {rule}: {e:?}"));
        if *position <= last_position {
            return fail("positions must increase");
        }
        last_position = *position;
        if !ids.insert(&e.id) {
            return fail("event_id already used");
        }
        match &e.kind {
            EventKind::AppointmentBooked { office, appointment, slot, .. } => {
                if *slot < e.at {
                    return fail("slot before at");
                }
                if booked.insert((office, appointment), (e.at, false)).is_some() {
                    return fail("appointment booked twice");
                }
            }
            EventKind::AppointmentRescheduled { office, appointment, .. }
            | EventKind::AppointmentCancelled { office, appointment }
            | EventKind::AppointmentAttended { office, appointment }
            | EventKind::AppointmentMissed { office, appointment } => {
                let Some((booked_at, ended)) = booked.get_mut(&(office, appointment)) else {
                    return fail("follow-up of an unknown appointment");
                };
                if *ended {
                    return fail("follow-up of an ended appointment");
                }
                if e.at < *booked_at {
                    return fail("follow-up before its booking's at");
                }
                match &e.kind {
                    EventKind::AppointmentRescheduled { slot, .. } if *slot < e.at => return fail("slot before at"),
                    EventKind::AppointmentRescheduled { .. } => {}
                    _ => *ended = true,
                }
            }
            EventKind::ClosureDeclared { office, closure, first_day, last_day, .. } => {
                let days = (*last_day - *first_day).num_days() + 1;
                if !(1..=366).contains(&days) {
                    return fail("closure range out of bounds");
                }
                closures.insert((office, closure), true);
            }
            EventKind::ClosureCancelled { office, closure } => match closures.get_mut(&(office, closure)) {
                Some(in_force) if *in_force => *in_force = false,
                _ => return fail("closure cancelled that is not declared"),
            },
            _ => {}
        }
    }
    Ok(())
}
