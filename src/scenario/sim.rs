//! The simulation engine: a discrete-event loop over the year that turns demand into events.
//!
//! Every action (a booking request, a cancellation, a visit's outcome, a pick-up notice, a walk-in, a decision of the
//! city) waits in one queue ordered by business time, ties by the order in which it was queued. Handling an action
//! changes the office's [`Calendar`] and emits events stamped with the action's time, so the events come out in
//! business-time order and the calendar is, at every moment, what the log says as of that moment.
//!
//! All randomness comes from one ChaCha8 stream seeded by the caller, drawn in a fixed order, and only basic float
//! arithmetic is applied to it (no `exp` or `ln`, whose last bits may differ between platforms), so a seed gives
//! byte-identical output.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use chrono::{DateTime, Datelike, Days, FixedOffset, LocalResult, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::Berlin;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::domain::event::{Channel, Event, EventKind};
use crate::domain::id::{AppointmentId, ClosureId, EventId, OfficeId, ServiceId};
use crate::holidays::{State, holiday_events_declared_at};
use crate::scenario::DayFigures;
use crate::scenario::calendar::Calendar;
use crate::scenario::params::{self, Decided, SERVICES};

/// How many days the figures look ahead (docs/events.md's default horizon H).
const HORIZON: usize = 365;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Action {
    Request { service: usize, channel: Channel },
    Cancel { appointment: usize },
    Outcome { appointment: usize, version: u32, attended: bool },
    PickupDue,
    WalkIn { service: usize },
    Decision(usize),
}

#[derive(Debug, Clone)]
struct Appointment {
    service: usize,
    day: usize,
    slot: usize,
    /// Bumped by every reschedule, so that an outcome queued for an old slot is recognised as stale.
    version: u32,
    open: bool,
}

/// Counts of one day, reset at its start.
#[derive(Debug, Clone, Copy, Default)]
struct Today {
    bookings: u32,
    cancellations: u32,
    attended: u32,
    no_shows: u32,
    walk_ins: u32,
    unserved: u32,
}

/// The state of the simulated office and the world around it.
pub(crate) struct Sim {
    rng: ChaCha8Rng,
    calendar: Calendar,
    timeline: Vec<params::Decision>,
    queue: BinaryHeap<Reverse<(i64, u64, Action)>>,
    queued: u64,
    now: i64,
    today: usize,
    last_day: usize,
    appointments: Vec<Appointment>,
    backlog: u32,
    /// Requests made while the calendar was shut, by service; they book once it opens again.
    pool: Vec<usize>,
    booking_open: bool,
    /// `(service, effective_from, appointment_required)` in the order declared.
    policies: Vec<(usize, NaiveDate, bool)>,
    office: OfficeId,
    services: Vec<ServiceId>,
    counts: Today,
    pub(crate) events: Vec<Event>,
    pub(crate) days: Vec<DayFigures>,
}

/// The instant of a local date and time in Berlin, as Unix seconds. A time in the spring-forward gap is read with
/// the winter offset, i.e. as the summer time one hour later.
fn local_secs(date: NaiveDate, minute: u32, second: u32) -> i64 {
    let naive = date.and_hms_opt(minute / 60, minute % 60, second).expect("minute of day and second are in range");
    match Berlin.from_local_datetime(&naive) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.timestamp(),
        LocalResult::None => naive.and_utc().timestamp() - 3600,
    }
}

/// Unix seconds as an instant with Berlin's offset of that moment (+01:00 or +02:00).
fn instant(secs: i64) -> DateTime<FixedOffset> {
    Utc.timestamp_opt(secs, 0).single().expect("simulated instants are in range").with_timezone(&Berlin).fixed_offset()
}

fn next_day(date: NaiveDate) -> NaiveDate {
    date.checked_add_days(Days::new(1)).expect("simulated dates are in range")
}

impl Sim {
    pub(crate) fn new(seed: u64) -> Self {
        Self::decided_by(seed, NaiveDate::MAX)
    }

    /// The year with only the decisions taken on or before `last_decision_day`.
    pub(crate) fn decided_by(seed: u64, last_decision_day: NaiveDate) -> Self {
        let first = NaiveDate::from_ymd_opt(params::YEAR, 1, 1).expect("valid year");
        let year_end = NaiveDate::from_ymd_opt(params::YEAR, 12, 31).expect("valid year");
        // The calendar reaches a horizon beyond the year so that the wait figures of December see as far as the
        // projection does.
        let calendar = Calendar::new(first, (year_end - first).num_days() as usize + 1 + HORIZON + 1);
        let last_day = calendar.index(year_end).expect("the year is in the calendar");
        let mut sim = Sim {
            rng: ChaCha8Rng::seed_from_u64(seed),
            calendar,
            timeline: params::timeline().into_iter().filter(|d| d.date <= last_decision_day).collect(),
            queue: BinaryHeap::new(),
            queued: 0,
            now: local_secs(first, 0, 0),
            today: 0,
            last_day,
            appointments: Vec::new(),
            backlog: 0,
            pool: Vec::new(),
            booking_open: false,
            policies: Vec::new(),
            office: OfficeId::parse(params::OFFICE).expect("valid office id"),
            services: SERVICES.iter().map(|s| ServiceId::parse(s.id).expect("valid service id")).collect(),
            counts: Today::default(),
            events: Vec::new(),
            days: Vec::new(),
        };
        for i in 0..sim.timeline.len() {
            let decision = &sim.timeline[i];
            let at = local_secs(decision.date, decision.minute, 0);
            sim.push(at, Action::Decision(i));
        }
        sim
    }

    /// Runs the year, day by day, recording each day's figures at its end.
    pub(crate) fn run(mut self) -> Self {
        for day in 0..=self.last_day {
            self.today = day;
            self.counts = Today::default();
            let date = self.calendar.date(day);
            // Decisions taken at midnight come before the day's demand, which depends on them.
            self.run_until(local_secs(date, 0, 0) + 1);
            self.start_day(day);
            self.run_until(local_secs(next_day(date), 0, 0));
            self.record(day);
        }
        self
    }

    fn run_until(&mut self, end: i64) {
        while let Some(Reverse((at, _, _))) = self.queue.peek() {
            if *at >= end {
                break;
            }
            let Reverse((at, _, action)) = self.queue.pop().expect("peeked");
            self.now = at;
            self.handle(action);
        }
    }

    fn push(&mut self, at: i64, action: Action) {
        self.queued += 1;
        self.queue.push(Reverse((at, self.queued, action)));
    }

    fn emit(&mut self, kind: EventKind) {
        let id = EventId::parse(&format!("kl2020-{:06}", self.events.len() + 1)).expect("valid event id");
        self.events.push(Event { id, at: instant(self.now), kind });
    }

    /// Whether `service` needs an appointment on `date`, as the city has said so far.
    fn required(&self, service: usize, date: NaiveDate) -> bool {
        self.policies
            .iter()
            .filter(|(s, from, _)| *s == service && *from <= date)
            .max_by_key(|(_, from, _)| *from)
            .is_none_or(|(_, _, required)| *required)
    }

    /// Whether citizens can be served on `day`: it has opening hours and capacity.
    fn open(&self, day: usize) -> bool {
        self.calendar.capacity(day) > 0
    }

    /// Queues the day's demand and lets part of the waiting requests book.
    fn start_day(&mut self, day: usize) {
        let date = self.calendar.date(day);
        let (month, weekday) = (date.month0() as usize, date.weekday().num_days_from_monday() as usize);
        let open = self.open(day);
        // The phone line is staffed on working days, also while the office is closed to the public.
        let hours = params::OPENING[weekday].filter(|_| !self.calendar.is_holiday(day));
        if self.booking_open {
            let mut waiting = std::mem::take(&mut self.pool);
            waiting.retain(|service| {
                if self.rng.random_bool(params::POOL_RELEASE_RATE) {
                    let minute = self.rng.random_range(params::ONLINE_WINDOW.0..params::ONLINE_WINDOW.1);
                    let at = local_secs(date, minute, self.rng.random_range(0..60));
                    self.push(at, Action::Request { service: *service, channel: Channel::Online });
                    false
                } else {
                    true
                }
            });
            self.pool = waiting;
        }
        for (service, s) in SERVICES.iter().enumerate() {
            let mut per_week = s.per_week * s.season[month] * params::PANDEMIC[month];
            if s.id == "reisepass" {
                per_week *= params::TRAVEL[month];
            }
            if per_week == 0.0 {
                continue;
            }
            if self.required(service, date) {
                self.queue_requests(date, service, per_week * params::REQUEST_WEEKDAYS[weekday], hours, open);
            } else if let Some((from, to)) = params::OPENING[weekday] {
                let per_minute = per_week * params::WALK_IN_WEEKDAYS[weekday] / f64::from(to - from);
                for minute in from..to {
                    if self.rng.random::<f64>() < per_minute {
                        let at = local_secs(date, minute, self.rng.random_range(0..60));
                        self.push(at, Action::WalkIn { service });
                    }
                }
            }
        }
    }

    /// Queues the booking requests of one service on one day: one Bernoulli draw per minute of the online window,
    /// split into channels by time of day.
    fn queue_requests(&mut self, date: NaiveDate, service: usize, per_day: f64, hours: Option<(u32, u32)>, open: bool) {
        let [mut online, mut phone, mut counter] = params::CHANNEL_SHARES;
        if hours.is_none() {
            online += phone;
            phone = 0.0;
        }
        if !open {
            online += counter;
            counter = 0.0;
        }
        let (from, to) = params::ONLINE_WINDOW;
        let (open_from, open_to) = hours.unwrap_or((0, 0));
        let open_minutes = f64::from((open_to - open_from).max(1));
        let p_online = per_day * online / f64::from(to - from);
        let (p_phone, p_counter) = (per_day * phone / open_minutes, per_day * counter / open_minutes);
        for minute in from..to {
            let in_hours = (open_from..open_to).contains(&minute);
            let u = self.rng.random::<f64>();
            let channel = if u < p_online {
                Channel::Online
            } else if in_hours && u < p_online + p_phone {
                Channel::Phone
            } else if in_hours && u < p_online + p_phone + p_counter {
                Channel::Counter
            } else {
                continue;
            };
            let at = local_secs(date, minute, self.rng.random_range(0..60));
            self.push(at, Action::Request { service, channel });
        }
    }

    fn handle(&mut self, action: Action) {
        match action {
            Action::Request { service, channel } => self.request(service, channel),
            Action::Cancel { appointment } => {
                if self.appointments[appointment].open {
                    self.cancel(appointment);
                }
            }
            Action::Outcome { appointment, version, attended } => self.outcome(appointment, version, attended),
            Action::PickupDue => self.pickup_due(),
            Action::WalkIn { service } => self.walk_in(service),
            Action::Decision(i) => self.decide(i),
        }
    }

    /// A citizen asks for an appointment: while the calendar is shut the request waits (or is given up);
    /// otherwise it gets the first free slot from the next day on.
    fn request(&mut self, service: usize, channel: Channel) {
        if !self.booking_open {
            if !self.rng.random_bool(params::POOL_ABANDON_RATE) {
                self.pool.push(service);
            }
            return;
        }
        let Some((day, slot)) = self.calendar.first_free(self.today + 1, self.last_day) else {
            // The calendar of the next year is not open yet (see the module docs).
            self.counts.unserved += 1;
            return;
        };
        self.calendar.take(day, slot);
        let appointment = self.appointments.len();
        self.appointments.push(Appointment { service, day, slot, version: 0, open: true });
        self.backlog += 1;
        self.counts.bookings += 1;
        let slot_at = self.slot_secs(day, slot);
        self.emit(EventKind::AppointmentBooked {
            office: self.office.clone(),
            appointment: self.appointment_id(appointment),
            service: self.services[service].clone(),
            channel,
            slot: instant(slot_at),
        });
        if self.rng.random_bool(params::CANCEL_RATE) {
            let last = day.saturating_sub(1).max(self.today);
            let cancel_day = self.rng.random_range(self.today..=last);
            self.queue_cancel(appointment, cancel_day, slot_at);
        }
        self.queue_outcome(appointment);
    }

    /// Queues a cancellation on `day` (at a time of the cancellation window) that comes before the slot.
    fn queue_cancel(&mut self, appointment: usize, day: usize, slot_at: i64) {
        let minute = self.rng.random_range(params::CANCEL_WINDOW.0..params::CANCEL_WINDOW.1);
        let mut at = local_secs(self.calendar.date(day), minute, self.rng.random_range(0..60));
        if at <= self.now {
            at = self.now + self.rng.random_range(60..3600);
        }
        if at >= slot_at {
            at = self.now + (slot_at - self.now) / 2;
        }
        self.push(at, Action::Cancel { appointment });
    }

    fn queue_outcome(&mut self, appointment: usize) {
        let a = &self.appointments[appointment];
        let (day, slot, version) = (a.day, a.slot, a.version);
        let attended = !self.rng.random_bool(params::NO_SHOW_RATE);
        let minutes = if attended {
            self.rng.random_range(params::SERVICE_MINUTES.0..=params::SERVICE_MINUTES.1)
        } else {
            params::NO_SHOW_MINUTES
        };
        let at = self.slot_secs(day, slot) + i64::from(minutes) * 60;
        self.push(at, Action::Outcome { appointment, version, attended });
    }

    fn appointment_id(&self, appointment: usize) -> AppointmentId {
        AppointmentId::parse(&format!("kl2020-t{:05}", appointment + 1)).expect("valid appointment id")
    }

    /// The instant of slot index `slot` on `day`: the day's slots spread evenly over its opening hours.
    fn slot_secs(&self, day: usize, slot: usize) -> i64 {
        let date = self.calendar.date(day);
        let (open, close) =
            params::OPENING[date.weekday().num_days_from_monday() as usize].expect("slots lie on opening days");
        let capacity = self.calendar.planned(day).max(slot as u32 + 1);
        local_secs(date, open + (close - open) * slot as u32 / capacity, 0)
    }

    fn cancel(&mut self, appointment: usize) {
        let a = &mut self.appointments[appointment];
        a.open = false;
        let (day, slot) = (a.day, a.slot);
        self.calendar.release(day, slot);
        self.backlog -= 1;
        self.counts.cancellations += 1;
        self.emit(EventKind::AppointmentCancelled {
            office: self.office.clone(),
            appointment: self.appointment_id(appointment),
        });
    }

    fn outcome(&mut self, appointment: usize, version: u32, attended: bool) {
        let a = &mut self.appointments[appointment];
        if !a.open || a.version != version {
            return;
        }
        a.open = false;
        let (service, day) = (a.service, a.day);
        self.backlog -= 1;
        let (office, id) = (self.office.clone(), self.appointment_id(appointment));
        if !attended {
            self.counts.no_shows += 1;
            self.emit(EventKind::AppointmentMissed { office, appointment: id });
            return;
        }
        self.counts.attended += 1;
        self.emit(EventKind::AppointmentAttended { office, appointment: id });
        if params::APPLICATIONS.contains(&service) {
            let delay = self.rng.random_range(params::PICKUP_DELAY_DAYS.0..=params::PICKUP_DELAY_DAYS.1);
            let ready = self.calendar.date(day).checked_add_days(Days::new(delay)).expect("in range");
            let at = local_secs(ready, self.rng.random_range(9 * 60..18 * 60), self.rng.random_range(0..60));
            self.push(at, Action::PickupDue);
        }
    }

    /// A document is ready: the citizen books a pick-up appointment, or walks in where none is needed (or soon
    /// will be).
    fn pickup_due(&mut self) {
        let today = self.calendar.date(self.today);
        if !self.required(params::PICKUP, today) {
            return self.queue_pickup_walk_in(today);
        }
        let soon = self.policies.iter().filter(|(s, from, required)| {
            *s == params::PICKUP
                && !*required
                && *from > today
                && (*from - today).num_days() <= params::PICKUP_WAITS_FOR_POLICY_DAYS
        });
        match soon.map(|(_, from, _)| *from).min() {
            Some(from) => self.queue_pickup_walk_in(from),
            None => self.request(params::PICKUP, Channel::Online),
        }
    }

    /// Queues a pick-up walk-in on one of the first open days after `from` (and after today).
    fn queue_pickup_walk_in(&mut self, from: NaiveDate) {
        let Some(first) = self.calendar.index(from) else { return };
        let extra = self.rng.random_range(0..=3);
        let mut seen = 0;
        for day in first.max(self.today + 1)..=self.last_day {
            if self.open(day) {
                if seen == extra {
                    let date = self.calendar.date(day);
                    let (open, close) = params::OPENING[date.weekday().num_days_from_monday() as usize]
                        .expect("open days have opening hours");
                    let at = local_secs(date, self.rng.random_range(open..close), self.rng.random_range(0..60));
                    return self.push(at, Action::WalkIn { service: params::PICKUP });
                }
                seen += 1;
            }
        }
    }

    fn walk_in(&mut self, service: usize) {
        if self.required(service, self.calendar.date(self.today)) {
            // The rules changed since the errand was planned (appointments only): the citizen books instead.
            return self.request(service, Channel::Online);
        }
        if self.open(self.today) {
            self.counts.walk_ins += 1;
            return self.emit(EventKind::WalkInServed {
                office: self.office.clone(),
                service: self.services[service].clone(),
            });
        }
        if !self.booking_open {
            // Shut for the lockdown: the errand waits like a booking request.
            if !self.rng.random_bool(params::POOL_ABANDON_RATE) {
                self.pool.push(service);
            }
        } else if service == params::PICKUP {
            // A document waits at the office; its owner comes back on another open day.
            let tomorrow = next_day(self.calendar.date(self.today));
            self.queue_pickup_walk_in(tomorrow);
        } else {
            self.counts.unserved += 1;
        }
    }

    fn decide(&mut self, i: usize) {
        let what = std::mem::take(&mut self.timeline[i].what);
        for decided in &what {
            self.apply_decision(decided);
        }
    }

    fn apply_decision(&mut self, decided: &Decided) {
        let office = self.office.clone();
        match decided {
            Decided::Names => {
                let name = params::OFFICE_NAME.to_owned();
                self.emit(EventKind::OfficeDescribed { office, name, state: Some(State::RheinlandPfalz) });
                for (service, described) in self.services.clone().into_iter().zip(&params::SERVICES) {
                    let name = described.name.to_owned();
                    self.emit(EventKind::ServiceDescribed { service, name, office: None });
                }
            }
            Decided::Holidays => {
                // Declared on New Year's Day 2020, as the data set has always had them.
                let new_year = chrono_tz::Europe::Berlin
                    .with_ymd_and_hms(params::YEAR, 1, 1, 0, 0, 0)
                    .single()
                    .expect("New Year's midnight exists")
                    .fixed_offset();
                let events = holiday_events_declared_at(State::RheinlandPfalz, params::YEAR, new_year)
                    .expect("2020 is a known year");
                for event in events {
                    if let EventKind::HolidayDeclared { date, .. } = &event.kind {
                        self.calendar.holiday(*date);
                    }
                    self.events.push(event);
                }
            }
            Decided::Plan { effective_from, per_hour } => {
                let slots = params::plan(*per_hour);
                self.calendar.plan(*effective_from, slots);
                self.emit(EventKind::CapacityPlanned {
                    office,
                    effective_from: *effective_from,
                    slots_per_weekday: slots,
                });
            }
            Decided::Policy { services, effective_from, required } => {
                for service in services {
                    self.policies.push((*service, *effective_from, *required));
                    self.emit(EventKind::PolicyChanged {
                        office: office.clone(),
                        service: self.services[*service].clone(),
                        effective_from: *effective_from,
                        appointment_required: *required,
                    });
                    if !*required {
                        self.cancel_unneeded(*service, *effective_from);
                    }
                }
            }
            Decided::Closure { id, first, last, cause, reason } => {
                self.calendar.close(id, *first, *last);
                self.emit(EventKind::ClosureDeclared {
                    office,
                    closure: ClosureId::parse(id).expect("valid closure id"),
                    first_day: *first,
                    last_day: *last,
                    cause: *cause,
                    reason: reason.to_string(),
                });
                self.displace(*first, *last);
            }
            Decided::Booking { open } => self.booking_open = *open,
        }
    }

    /// Once `service` needs no appointment from `from`, part of its booked appointments from then on are cancelled
    /// by their citizens in the days before.
    fn cancel_unneeded(&mut self, service: usize, from: NaiveDate) {
        let Some(from) = self.calendar.index(from) else { return };
        for appointment in 0..self.appointments.len() {
            let a = &self.appointments[appointment];
            if a.open && a.service == service && a.day >= from && self.rng.random_bool(params::PICKUP_CANCEL_RATE) {
                let (first, last) = (self.today + 1, from.min(a.day).saturating_sub(1).max(self.today + 1));
                let day = self.rng.random_range(first..=last);
                let slot_at = self.slot_secs(a.day, a.slot);
                self.queue_cancel(appointment, day, slot_at);
            }
        }
    }

    /// Moves the open appointments on the days of a closure to the first free slots after it; the office cancels
    /// a share of them instead (and all that find no slot in the year).
    fn displace(&mut self, first: NaiveDate, last: NaiveDate) {
        let (Some(first), last) = (self.calendar.index(first), self.calendar.index(last).unwrap_or(self.last_day))
        else {
            return;
        };
        let mut displaced: Vec<usize> = (0..self.appointments.len()).filter(|i| self.appointments[*i].open).collect();
        displaced
            .retain(|i| (first..=last).contains(&self.appointments[*i].day) && self.appointments[*i].day > self.today);
        displaced.sort_by_key(|i| (self.appointments[*i].day, self.appointments[*i].slot));
        for appointment in displaced {
            let target = self.calendar.first_free((last + 1).max(self.today + 1), self.last_day);
            let (Some((day, slot)), false) = (target, self.rng.random_bool(params::DISPLACED_CANCEL_RATE)) else {
                self.cancel(appointment);
                continue;
            };
            let a = &mut self.appointments[appointment];
            let (old_day, old_slot) = (a.day, a.slot);
            a.day = day;
            a.slot = slot;
            a.version += 1;
            self.calendar.release(old_day, old_slot);
            self.calendar.take(day, slot);
            let slot_at = self.slot_secs(day, slot);
            self.emit(EventKind::AppointmentRescheduled {
                office: self.office.clone(),
                appointment: self.appointment_id(appointment),
                slot: instant(slot_at),
            });
            self.queue_outcome(appointment);
        }
    }

    fn record(&mut self, day: usize) {
        let calendar = &self.calendar;
        let displaced =
            (day + 1..calendar.len()).filter(|d| calendar.capacity(*d) == 0).map(|d| calendar.booked(d)).sum();
        self.days.push(DayFigures {
            date: calendar.date(day),
            capacity: calendar.capacity(day),
            booked: calendar.booked(day),
            backlog: self.backlog,
            displaced,
            next_available_days: calendar.next_available(day, HORIZON),
            third_next_available_days: calendar.third_next_available(day, HORIZON),
            bookings: self.counts.bookings,
            cancellations: self.counts.cancellations,
            served_appointments: self.counts.attended,
            no_shows: self.counts.no_shows,
            served_walk_in: self.counts.walk_ins,
            unserved: self.counts.unserved,
            waiting_requests: self.pool.len() as u32,
        });
    }
}
