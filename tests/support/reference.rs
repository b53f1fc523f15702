//! The reference: docs/events.md's "Time" and "Figures" sections computed literally, one day at a time, from scratch.
//!
//! It is slow and obvious on purpose. For office o and day D it filters the events that count as of D
//! (`date(at) ≤ D` in the zone, sorted by `at` then position), and then evaluates each figure straight from its
//! definition over that list, with no state carried from one day to the next. It shares no code with
//! `wartezeit::projection` except the row type and `Zone::date_of`, so that the property tests comparing the two
//! test something.
//!
//! Readings of docs/events.md where it is silent (the projection must make the same choices; see the report of the
//! `reference` branch):
//! - An appointment's current slot is the slot of its latest `appointment_booked`/`appointment_rescheduled` event in
//!   (`at`, position) order, even when that event's `at` lies after its cancellation, attendance or no-show (the
//!   rules only order follow-ups in log order, so a late terminal event can precede a reschedule in business time).
//! - A closure is folded in (`at`, position) order: a declaration sets its range (replacing an earlier one), a
//!   cancellation removes it, and a declaration after a cancellation puts it in force again. A cancellation that
//!   precedes every declaration in business time removes nothing.
//! - The realized wait of day D covers every appointment booked on D, also those cancelled later the same day: it is
//!   the wait the citizen was offered, like `bookings` counts every booking.
//! - `displaced` counts backlog appointments whose slot day has capacity 0, also when that day is already past.
//! - Several holidays on one day, or a holiday inside a closure, make that day's capacity 0 once; nothing is counted
//!   twice because capacity is a property of the day, not a sum of causes.
#![allow(dead_code)] // Shared by several test crates; each uses a part.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use wartezeit::domain::event::{Event, EventKind, Instant};
use wartezeit::domain::id::{AppointmentId, ClosureId, OfficeId, ServiceId};
use wartezeit::domain::time::Zone;
use wartezeit::projection::{Config, DayRow};

/// A log as the store holds it: `(position, event)` pairs.
pub type Log = [(u64, Event)];

/// One row per day from `from` to `to` inclusive, each computed from scratch as of its own day.
pub fn series(log: &Log, config: &Config, office: &OfficeId, from: NaiveDate, to: NaiveDate) -> Vec<DayRow> {
    from.iter_days().take_while(|d| *d <= to).map(|day| row(log, config, office, day)).collect()
}

/// The figures of `office` as of `day`, from the definitions.
pub fn row(log: &Log, config: &Config, office: &OfficeId, day: NaiveDate) -> DayRow {
    let view = AsOf::new(log, config.zone, office, day);
    let appointments = view.appointments();
    let backlog: Vec<&Appointment> = appointments.iter().filter(|a| !a.ended).collect();
    let mut backlog_by_service = BTreeMap::new();
    for a in &backlog {
        *backlog_by_service.entry(a.service.clone()).or_insert(0) += 1;
    }
    let free = |d: NaiveDate| view.capacity(d).saturating_sub(booked(&appointments, config.zone, d));
    let horizon = config.horizon_days;
    let ahead = |k: u32| day.checked_add_days(Days::new(u64::from(k))).expect("dates stay in range");
    let next_available_days = (1..=horizon).find(|k| free(ahead(*k)) > 0);
    let mut running = 0u64;
    let third_next_available_days = (1..=horizon).find(|k| {
        running += u64::from(free(ahead(*k)));
        running >= 3
    });
    let mut waits: Vec<u32> = view
        .on_the_day(|kind| matches!(kind, EventKind::AppointmentBooked { .. }))
        .map(|e| match &e.kind {
            EventKind::AppointmentBooked { slot, .. } => {
                let days = (config.zone.date_of(slot) - day).num_days();
                u32::try_from(days).expect("a valid log books no slot before its at")
            }
            _ => unreachable!("filtered to bookings"),
        })
        .collect();
    waits.sort_unstable();
    DayRow {
        date: day,
        backlog: count(backlog.len()),
        backlog_by_service,
        displaced: count(backlog.iter().filter(|a| view.capacity(config.zone.date_of(&a.slot)) == 0).count()),
        bookings: view.tally(|k| matches!(k, EventKind::AppointmentBooked { .. })),
        served_appointments: view.tally(|k| matches!(k, EventKind::AppointmentAttended { .. })),
        served_walk_in: view.tally(|k| matches!(k, EventKind::WalkInServed { .. })),
        cancellations: view.tally(|k| matches!(k, EventKind::AppointmentCancelled { .. })),
        no_shows: view.tally(|k| matches!(k, EventKind::AppointmentMissed { .. })),
        capacity: view.capacity(day),
        booked: booked(&appointments, config.zone, day),
        next_available_days,
        third_next_available_days,
        realized_wait_p50_days: nearest_rank(&waits, 50),
        realized_wait_p90_days: nearest_rank(&waits, 90),
    }
}

/// Nearest rank, from docs/events.md: sort ascending (the caller did), take the value at index ⌈p·n⌉ − 1, with p given
/// in percent so that ⌈p·n⌉ is computed exactly in integers.
pub fn nearest_rank(sorted: &[u32], percent: usize) -> Option<u32> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (percent * sorted.len()).div_ceil(100);
    Some(sorted[rank - 1])
}

/// booked(o, d): appointments whose current slot lies on d and that are not cancelled.
fn booked(appointments: &[Appointment], zone: Zone, d: NaiveDate) -> u32 {
    count(appointments.iter().filter(|a| !a.cancelled && zone.date_of(&a.slot) == d).count())
}

fn count(n: usize) -> u32 {
    u32::try_from(n).expect("test logs are small")
}

/// One appointment of the office as of D, derived from its events.
struct Appointment {
    service: ServiceId,
    /// The slot of its latest booked or rescheduled event, in (`at`, position) order.
    slot: Instant,
    cancelled: bool,
    /// Cancelled, attended or missed.
    ended: bool,
}

/// The events of office o (and the holidays of every office) that count as of day D, in (`at`, position) order.
struct AsOf<'a> {
    zone: Zone,
    day: NaiveDate,
    events: Vec<&'a Event>,
}

impl<'a> AsOf<'a> {
    fn new(log: &'a Log, zone: Zone, office: &OfficeId, day: NaiveDate) -> Self {
        let mut counted: Vec<&'a (u64, Event)> = log
            .iter()
            .filter(|(_, e)| zone.date_of(&e.at) <= day)
            .filter(|(_, e)| match &e.kind {
                EventKind::HolidayDeclared { office: None, .. } => true,
                kind => kind.office() == Some(office),
            })
            .collect();
        // DateTime's order is the order of instants, whatever offset each was written with.
        counted.sort_by(|(p, a), (q, b)| a.at.cmp(&b.at).then(p.cmp(q)));
        AsOf { zone, day, events: counted.into_iter().map(|(_, e)| e).collect() }
    }

    /// capacity(o, d): the plan with the greatest effective_from ≤ d (ties: latest at, then position — the later
    /// in `events`), 0 without a plan, on a holiday of o or of every office, or inside an uncancelled closure.
    fn capacity(&self, d: NaiveDate) -> u32 {
        if self.is_holiday(d) || self.closures().values().any(|(first, last)| *first <= d && d <= *last) {
            return 0;
        }
        let mut best: Option<(NaiveDate, &[u16; 7])> = None;
        for e in &self.events {
            if let EventKind::CapacityPlanned { effective_from, slots_per_weekday, .. } = &e.kind {
                // `>=`: among equal effective_from the later event in (at, position) order wins.
                if *effective_from <= d && best.is_none_or(|(from, _)| *effective_from >= from) {
                    best = Some((*effective_from, slots_per_weekday));
                }
            }
        }
        use chrono::Datelike;
        best.map_or(0, |(_, slots)| u32::from(slots[d.weekday().num_days_from_monday() as usize]))
    }

    fn is_holiday(&self, d: NaiveDate) -> bool {
        self.events.iter().any(|e| matches!(&e.kind, EventKind::HolidayDeclared { date, .. } if *date == d))
    }

    /// The closures in force: declarations and cancellations folded in (`at`, position) order.
    fn closures(&self) -> BTreeMap<&ClosureId, (NaiveDate, NaiveDate)> {
        let mut in_force = BTreeMap::new();
        for e in &self.events {
            match &e.kind {
                EventKind::ClosureDeclared { closure, first_day, last_day, .. } => {
                    in_force.insert(closure, (*first_day, *last_day));
                }
                EventKind::ClosureCancelled { closure, .. } => {
                    in_force.remove(closure);
                }
                _ => {}
            }
        }
        in_force
    }

    /// Every appointment booked as of D with its current slot and state, from one walk in (`at`, position) order.
    fn appointments(&self) -> Vec<Appointment> {
        let mut by_id: BTreeMap<&AppointmentId, Appointment> = BTreeMap::new();
        for e in &self.events {
            match &e.kind {
                EventKind::AppointmentBooked { appointment, service, slot, .. } => {
                    let fresh = Appointment { service: service.clone(), slot: *slot, cancelled: false, ended: false };
                    by_id.insert(appointment, fresh);
                }
                // The walk is in order, so the last slot seen is the one of the latest booked or rescheduled event.
                EventKind::AppointmentRescheduled { appointment, slot, .. } => {
                    if let Some(a) = by_id.get_mut(appointment) {
                        a.slot = *slot;
                    }
                }
                EventKind::AppointmentCancelled { appointment, .. } => {
                    if let Some(a) = by_id.get_mut(appointment) {
                        a.cancelled = true;
                        a.ended = true;
                    }
                }
                EventKind::AppointmentAttended { appointment, .. }
                | EventKind::AppointmentMissed { appointment, .. } => {
                    if let Some(a) = by_id.get_mut(appointment) {
                        a.ended = true;
                    }
                }
                _ => {}
            }
        }
        by_id.into_values().collect()
    }

    /// Events of office o with date(at) = D that match `kind`.
    fn on_the_day(&self, kind: impl Fn(&EventKind) -> bool) -> impl Iterator<Item = &&'a Event> {
        self.events.iter().filter(move |e| self.zone.date_of(&e.at) == self.day && kind(&e.kind))
    }

    fn tally(&self, kind: impl Fn(&EventKind) -> bool) -> u32 {
        count(self.on_the_day(kind).count())
    }
}
