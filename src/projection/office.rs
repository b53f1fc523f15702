//! One office's projection: its events in business-time order, the sweep state after them, and a row per day.
//!
//! The sweep applies events in order of (`at`, position). After the last event of day d the state is exactly "as of
//! d", and the row of d is computed from it. A batch of new events is merged in at its place: the events after that
//! place are undone (every change is reversible, see [`Calendar`] and [`Appointments`]), the merged tail is applied
//! again, and the rows from the earliest new day on are recomputed. An event at "now" therefore touches one row; a
//! late one recomputes from its own day; a rebuild is one sort and one sweep.
//!
//! Daily tallies (bookings, served, …) and realized waits depend only on the events of their own day, so they are
//! counted when an event arrives and never swept.
//!
//! The undo needs every swept event, but late events are rare and mostly recent: the oldest are kept packed
//! ([`Settled`]) and unpacked only where a late event reaches back or a read rewinds that far.

use std::collections::{BTreeMap, HashMap};

use rustc_hash::FxHashMap;
use std::sync::Arc;

use chrono::NaiveDate;

use crate::domain::event::{ClosureCause, Event, EventKind};
use crate::domain::id::{AppointmentId, OfficeId, ServiceId};
use crate::domain::time::{date_of_day_number, day_number};
use crate::projection::appointments::{Appointments, Status};
use crate::projection::calendar::{Calendar, CalendarChange, ClosureState, Key, in_section};
use crate::projection::days::Days;
use crate::projection::row::{DayRow, nearest_rank};
use crate::projection::settled::{Packing, Settled};
use crate::projection::{Config, OfficeInfo};

/// What shut an office on some days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    Closure(ClosureCause),
    Holiday,
}

/// A closure or holiday in force, as known as of some day.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NamedPeriod {
    pub kind: PeriodKind,
    /// The `closure_id`, or for a holiday its name.
    pub id: String,
    /// The closure's `reason`, or the holiday's name.
    pub label: String,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    /// `false` for a holiday of every office.
    pub office_specific: bool,
}

/// One `policy_changed` event of an office: whether `service` needs an appointment from `effective_from` on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PolicyChange {
    pub service: ServiceId,
    pub effective_from: NaiveDate,
    pub appointment_required: bool,
}

/// What happened on one day per service: bookings made and appointments attended (services with none left out).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceDay {
    /// The bookings made that day per service: the split of [`DayRow::bookings`](crate::projection::DayRow).
    pub bookings: BTreeMap<ServiceId, u32>,
    /// The appointments attended that day per service: the split of `served_appointments`.
    pub attended: BTreeMap<ServiceId, u32>,
}

/// The calendar of one office as known as of one day, for simulations that continue from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarSnapshot {
    pub office: OfficeId,
    pub as_of: NaiveDate,
    /// `capacity[i]` = capacity(o, as_of + 1 + i) as known as of `as_of`.
    pub capacity: Vec<u32>,
    /// `booked[i]` = booked(o, as_of + 1 + i) as of `as_of`.
    pub booked: Vec<u32>,
    /// The figures of `as_of` itself.
    pub today: DayRow,
}

/// One event as the sweep needs it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Ev {
    pub(crate) key: Key,
    /// date(at) as a day number.
    pub(crate) day: i32,
    pub(crate) change: Change,
}

/// The part of an event that changes sweep state, with what undoing it needs.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) enum Change {
    Booked {
        appointment: u32,
        slot_day: i32,
    },
    Rescheduled {
        appointment: u32,
        slot_day: i32,
        previous_slot_day: i32,
    },
    Ended {
        appointment: u32,
        status: Status,
        previous: Status,
    },
    Calendar(#[serde(with = "crate::projection::calendar::in_section")] Arc<CalendarChange>),
    /// Walk-ins, policy changes, and events that refer to nothing known: counted, not swept.
    None,
}

/// Per-day tallies, counted on arrival.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Tallies {
    bookings: u32,
    served_appointments: u32,
    served_walk_in: u32,
    cancellations: u32,
    no_shows: u32,
    /// date(slot at booking) − date(at) of the day's bookings, ascending.
    waits: Vec<u32>,
    /// The day's bookings per service (interned index), for the forecast's policy-aware demand.
    bookings_by_service: Vec<(u16, u32)>,
    /// The day's attended appointments per service (interned index), for the forecast's follow-up visits.
    attended_by_service: Vec<(u16, u32)>,
}

/// Adds one to `service`'s count in a sparse per-service tally.
fn tally_service(tally: &mut Vec<(u16, u32)>, service: u16) {
    match tally.iter_mut().find(|(s, _)| *s == service) {
        Some((_, n)) => *n += 1,
        None => tally.push((service, 1)),
    }
}

/// The figures that depend on the sweep state at the end of a day.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct StateFigures {
    backlog: u32,
    backlog_by_service: Vec<(u16, u32)>,
    displaced: u32,
    capacity: u32,
    booked: u32,
    next_available_days: Option<u32>,
    third_next_available_days: Option<u32>,
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct Row {
    tallies: Tallies,
    /// The figures as of the day, or `None` where they are not kept: on a day more than [`WARM_DAYS`] after the
    /// latest event day before it, they are computed when asked for.
    state: Option<StateFigures>,
}

/// How many days after each day with events have their figures kept. Beyond, until the next day with events, nothing
/// changes the sweep state, and the figures are computed from it on demand: so an event dated far from the office's
/// others costs what any event costs, not a row for every day in between.
const WARM_DAYS: i32 = 92;

/// The office's own events (not holidays of every office): how many, and their first and last day.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
struct Own {
    events: u64,
    first_day: i32,
    last_day: i32,
}

/// One office's events and figures.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct OfficeProjection {
    id: OfficeId,
    config: Config,
    services: Vec<ServiceId>,
    /// Fx-hashed: ids come from the validated log, and SipHash's flood resistance costs a third of a rebuild.
    service_index: FxHashMap<ServiceId, u16>,
    appointment_index: FxHashMap<AppointmentId, u32>,
    /// The oldest swept events, packed; all of them come before `events`.
    settled: Settled,
    /// How many swept events stay unpacked.
    packing: Packing,
    /// The newer swept events, sorted by key.
    events: Vec<Ev>,
    /// Arrived but not yet merged into `events`.
    pending: Vec<Ev>,
    /// The calendar changes in key order, with their day, for as-of views.
    #[serde(with = "crate::projection::calendar::in_section::log")]
    calendar_log: Vec<(Key, i32, Arc<CalendarChange>)>,
    /// The `policy_changed` events in key order, with the day of their `at`, for as-of views.
    policy_log: Vec<(Key, i32, PolicyChange)>,
    appointments: Appointments,
    calendar: Calendar,
    /// The first and last day with events (own or holidays of every office).
    span: Option<(i32, i32)>,
    rows: Days<Row>,
    /// The last day whose row is computed; rows after it were created by events not yet settled.
    swept_until: i32,
    own: Option<Own>,
    /// The log position of the last event folded into this office: its own, or a holiday of every office.
    last_position: u64,
}

impl OfficeProjection {
    pub(crate) fn new(id: OfficeId, config: Config, packing: Packing) -> Self {
        OfficeProjection {
            id,
            config,
            services: Vec::new(),
            service_index: FxHashMap::default(),
            appointment_index: FxHashMap::default(),
            settled: Settled::default(),
            packing,
            events: Vec::new(),
            pending: Vec::new(),
            calendar_log: Vec::new(),
            policy_log: Vec::new(),
            appointments: Appointments::default(),
            calendar: Calendar::default(),
            span: None,
            rows: Days::default(),
            swept_until: i32::MIN,
            own: None,
            last_position: 0,
        }
    }

    #[cfg(test)]
    pub(crate) fn stored_rows(&self) -> usize {
        self.rows.stored_rows()
    }

    /// How many events are packed, and how many appointment ids are still looked up.
    #[cfg(test)]
    pub(crate) fn packed_and_ids(&self) -> (usize, usize) {
        (self.settled.len(), self.appointment_index.len())
    }

    pub(crate) fn id(&self) -> &OfficeId {
        &self.id
    }

    /// Takes one event in; it counts once [`OfficeProjection::settle`] has run.
    pub(crate) fn push(&mut self, position: u64, event: &Event) {
        let change = self.change_of(event);
        self.push_change(position, event, change);
    }

    /// Takes in a holiday of every office, its calendar change shared with the other offices (one allocation for
    /// all of them, not one each).
    pub(crate) fn push_holiday(&mut self, position: u64, event: &Event, change: &Arc<CalendarChange>) {
        self.push_change(position, event, Change::Calendar(change.clone()));
    }

    /// Puts the calendar changes of the holidays of every office (`shared`, by log position) where an office read
    /// from a checkpoint holds only their markers ([`in_section`]); an error names a marker that `shared` lacks.
    pub(crate) fn share_holidays(&mut self, shared: &HashMap<u64, Arc<CalendarChange>>) -> Result<(), String> {
        let unresolved = in_section::unresolved();
        let share = |key: &Key, change: &mut Arc<CalendarChange>| {
            if Arc::ptr_eq(change, unresolved) {
                let common = shared.get(&key.2).ok_or_else(|| {
                    format!("the holiday of every office at position {} is not among the header's", key.2)
                })?;
                *change = Arc::clone(common);
            }
            Ok::<(), String>(())
        };
        for (key, _, change) in &mut self.calendar_log {
            share(key, change)?;
        }
        for ev in self.events.iter_mut().chain(&mut self.pending) {
            if let Change::Calendar(change) = &mut ev.change {
                share(&ev.key, change)?;
            }
        }
        Ok(())
    }

    fn push_change(&mut self, position: u64, event: &Event, change: Change) {
        let zone = self.config.zone;
        let day = day_number(zone.date_of(&event.at));
        let key = (event.at.timestamp(), event.at.timestamp_subsec_nanos(), position);
        self.last_position = self.last_position.max(position);
        if event.kind.office().is_some() {
            self.own = Some(match self.own {
                None => Own { events: 1, first_day: day, last_day: day },
                Some(o) => Own { events: o.events + 1, first_day: o.first_day.min(day), last_day: o.last_day.max(day) },
            });
        }
        self.ensure_row(day);
        self.count(&event.kind, &change, day);
        if let Change::Calendar(change) = &change {
            let at = self.calendar_log.partition_point(|(k, _, _)| *k < key);
            self.calendar_log.insert(at, (key, day, change.clone()));
        }
        if let EventKind::PolicyChanged { service, effective_from, appointment_required, .. } = &event.kind {
            let at = self.policy_log.partition_point(|(k, _, _)| *k < key);
            let policy = PolicyChange {
                service: service.clone(),
                effective_from: *effective_from,
                appointment_required: *appointment_required,
            };
            self.policy_log.insert(at, (key, day, policy));
        }
        self.pending.push(Ev { key, day, change });
    }

    /// How many events wait for [`OfficeProjection::settle`].
    pub(crate) fn pending_events(&self) -> usize {
        self.pending.len()
    }

    /// Whether settling now would undo no more swept events than wait to be merged (so that settling in pieces
    /// costs at most twice the work of settling once: true of a log appended roughly in business-time order).
    pub(crate) fn settles_cheaply(&self) -> bool {
        let Some(earliest) = self.pending.iter().map(|e| e.key).min() else { return false };
        let mut undone = self.events.len() - self.events.partition_point(|e| e.key < earliest);
        if self.reaches_settled(earliest) {
            undone += self.settled.at_or_after(earliest);
        }
        undone <= self.pending.len()
    }

    /// Merges the pending events into the sweep and recomputes the rows they change.
    pub(crate) fn settle(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let mut fresh = std::mem::take(&mut self.pending);
        fresh.sort_by_key(|e| e.key);
        if self.reaches_settled(fresh[0].key) {
            let mut unpacked = self.settled.unpack_from(fresh[0].key, &self.calendar_log);
            unpacked.append(&mut self.events);
            self.events = unpacked;
        }
        let start = self.events.partition_point(|e| e.key < fresh[0].key);
        let old_tail = self.events.split_off(start);
        self.events.reserve(old_tail.len() + fresh.len());
        for ev in old_tail.iter().rev() {
            self.undo(ev);
        }
        // Rows from the earliest new day on change, and so do rows created since the last sweep: those before the old
        // first day lie after the earliest new day, those after the old last day start right after `swept_until`.
        let Some((first_day, last_day)) = self.span else { return };
        let mut day = fresh[0].day.min(self.swept_until.saturating_add(1)).max(first_day);
        let mut previous_event_day = self.events.last().map(|e| e.day).or(self.settled.last_day());
        let merged = if old_tail.is_empty() { fresh } else { merge_sorted(old_tail, fresh) };
        for mut ev in merged {
            self.compute_rows(day, ev.day - 1, previous_event_day);
            day = day.max(ev.day);
            self.redo(&mut ev);
            previous_event_day = Some(ev.day);
            self.events.push(ev);
        }
        self.compute_rows(day, last_day, previous_event_day);
        self.swept_until = last_day;
        self.pack_if_due();
    }

    /// Whether an event at `key` lies before the unpacked events, among packed ones.
    fn reaches_settled(&self, key: Key) -> bool {
        !self.settled.is_empty() && self.events.first().is_none_or(|e| key < e.key)
    }

    /// Packs the oldest swept events once enough have gathered, and forgets the ids of appointments that ended.
    ///
    /// An ended appointment (cancelled, attended or missed) gets no further event: the rules refuse every follow-up
    /// of it and a second booking under its id. Its id is therefore never looked up again; the events that name it
    /// carry its index, not its id.
    fn pack_if_due(&mut self) {
        if !self.packing.due(self.events.len()) {
            return;
        }
        let packed = self.packing.how_many(self.events.len());
        self.settled.pack(&self.events[..packed], self.packing.block_events);
        self.events.drain(..packed);
        self.events.shrink_to(self.packing.keep_events.saturating_mul(2).saturating_add(self.packing.block_events));
        let appointments = &self.appointments;
        self.appointment_index.retain(|_, index| !appointments.get(*index).status.has_ended());
        if self.appointment_index.capacity() > 4 * self.appointment_index.len() {
            self.appointment_index.shrink_to_fit();
        }
    }

    fn change_of(&mut self, event: &Event) -> Change {
        let zone = self.config.zone;
        match &event.kind {
            EventKind::AppointmentBooked { appointment, service, slot, .. } => {
                let slot_day = day_number(zone.date_of(slot));
                let service = self.intern_service(service);
                match self.appointment_index.entry(appointment.clone()) {
                    std::collections::hash_map::Entry::Occupied(_) => Change::None,
                    std::collections::hash_map::Entry::Vacant(entry) => {
                        let index = self.appointments.register(service, slot_day);
                        entry.insert(index);
                        Change::Booked { appointment: index, slot_day }
                    }
                }
            }
            EventKind::AppointmentRescheduled { appointment, slot, .. } => {
                match self.appointment_index.get(appointment) {
                    Some(&index) => Change::Rescheduled {
                        appointment: index,
                        slot_day: day_number(zone.date_of(slot)),
                        previous_slot_day: 0,
                    },
                    None => Change::None,
                }
            }
            EventKind::AppointmentCancelled { appointment, .. }
            | EventKind::AppointmentAttended { appointment, .. }
            | EventKind::AppointmentMissed { appointment, .. } => {
                let status = match event.kind {
                    EventKind::AppointmentCancelled { .. } => Status::Cancelled,
                    EventKind::AppointmentAttended { .. } => Status::Attended,
                    _ => Status::Missed,
                };
                match self.appointment_index.get(appointment) {
                    Some(&index) => Change::Ended { appointment: index, status, previous: Status::Open },
                    None => Change::None,
                }
            }
            EventKind::CapacityPlanned { effective_from, slots_per_weekday, .. } => {
                Change::Calendar(Arc::new(CalendarChange::Plan {
                    effective_day: day_number(*effective_from),
                    slots: *slots_per_weekday,
                }))
            }
            EventKind::ClosureDeclared { closure, first_day, last_day, cause, reason, .. } => {
                Change::Calendar(Arc::new(CalendarChange::ClosureDeclared {
                    closure: closure.clone(),
                    first_day: day_number(*first_day),
                    last_day: day_number(*last_day),
                    cause: *cause,
                    reason: reason.clone(),
                }))
            }
            EventKind::ClosureCancelled { closure, .. } => {
                Change::Calendar(Arc::new(CalendarChange::ClosureCancelled { closure: closure.clone() }))
            }
            EventKind::HolidayDeclared { .. } => holiday_change(event).map_or(Change::None, Change::Calendar),
            // Descriptions are the projection's name table's and observations its observed calendars'; they never
            // reach an office's booked figures.
            EventKind::WalkInServed { .. }
            | EventKind::PolicyChanged { .. }
            | EventKind::OfficeDescribed { .. }
            | EventKind::ServiceDescribed { .. }
            | EventKind::CalendarObserved { .. } => Change::None,
        }
    }

    fn intern_service(&mut self, service: &ServiceId) -> u16 {
        if let Some(&index) = self.service_index.get(service) {
            return index;
        }
        let index = self.services.len() as u16;
        self.services.push(service.clone());
        self.service_index.insert(service.clone(), index);
        index
    }

    /// Counts an event in its day's tallies.
    fn count(&mut self, kind: &EventKind, change: &Change, day: i32) {
        let zone = self.config.zone;
        let tallies = &mut self.rows.get_mut(day).tallies;
        match kind {
            EventKind::AppointmentBooked { slot, service, .. } => {
                tallies.bookings += 1;
                tally_service(&mut tallies.bookings_by_service, self.service_index[service]);
                let slot_day = match change {
                    Change::Booked { slot_day, .. } => *slot_day,
                    _ => day_number(zone.date_of(slot)),
                };
                let wait = (slot_day - day).max(0) as u32;
                let at = tallies.waits.partition_point(|w| *w <= wait);
                tallies.waits.insert(at, wait);
            }
            EventKind::AppointmentAttended { .. } => {
                tallies.served_appointments += 1;
                if let Change::Ended { appointment, .. } = change {
                    tally_service(&mut tallies.attended_by_service, self.appointments.get(*appointment).service);
                }
            }
            EventKind::WalkInServed { .. } => tallies.served_walk_in += 1,
            EventKind::AppointmentCancelled { .. } => tallies.cancellations += 1,
            EventKind::AppointmentMissed { .. } => tallies.no_shows += 1,
            _ => {}
        }
    }

    /// Applies an event's change to the sweep state, noting what undoing it needs.
    fn redo(&mut self, ev: &mut Ev) {
        let key = ev.key;
        match &mut ev.change {
            Change::Booked { appointment, slot_day } => {
                self.appointments.set(*appointment, *slot_day, Status::Open, &self.calendar)
            }
            Change::Rescheduled { appointment, slot_day, previous_slot_day } => {
                let current = self.appointments.get(*appointment);
                *previous_slot_day = current.slot_day;
                self.appointments.set(*appointment, *slot_day, current.status, &self.calendar);
            }
            Change::Ended { appointment, status, previous } => {
                let current = self.appointments.get(*appointment);
                *previous = current.status;
                self.appointments.set(*appointment, current.slot_day, *status, &self.calendar);
            }
            Change::Calendar(change) => self.change_calendar(change, |calendar| calendar.apply(key, change)),
            Change::None => {}
        }
    }

    /// Reverts [`OfficeProjection::redo`]; events are undone in reverse key order.
    fn undo(&mut self, ev: &Ev) {
        match &ev.change {
            Change::Booked { appointment, slot_day } => {
                self.appointments.set(*appointment, *slot_day, Status::Unbooked, &self.calendar)
            }
            Change::Rescheduled { appointment, previous_slot_day, .. } => {
                let current = self.appointments.get(*appointment);
                self.appointments.set(*appointment, *previous_slot_day, current.status, &self.calendar);
            }
            Change::Ended { appointment, previous, .. } => {
                let current = self.appointments.get(*appointment);
                self.appointments.set(*appointment, current.slot_day, *previous, &self.calendar);
            }
            Change::Calendar(change) => self.change_calendar(change, |calendar| calendar.undo(ev.key, change)),
            Change::None => {}
        }
    }

    /// Applies or undoes a calendar change, recounting the displaced appointments on the days it touches.
    fn change_calendar(&mut self, change: &CalendarChange, step: impl FnOnce(&mut Calendar)) {
        let days = self.calendar.days_touched(change);
        let before = self.appointments.displaced_within(days.clone(), &self.calendar);
        step(&mut self.calendar);
        let after = self.appointments.displaced_within(days, &self.calendar);
        self.appointments.recount_displaced(before, after);
    }

    /// Makes sure a row exists for `day` and that the span covers it.
    fn ensure_row(&mut self, day: i32) {
        self.span = Some(self.span.map_or((day, day), |(first, last)| (first.min(day), last.max(day))));
        self.rows.get_mut(day);
    }

    /// Computes the kept rows of `from..=to`, days on which no event happens after `previous_event_day`.
    fn compute_rows(&mut self, from: i32, to: i32, previous_event_day: Option<i32>) {
        let Some(previous) = previous_event_day else { return };
        for day in from..=to.min(previous.saturating_add(WARM_DAYS)) {
            let figures = state_figures(&self.appointments, &self.calendar, day, self.config.horizon_days);
            self.rows.get_mut(day).state = Some(figures);
        }
    }

    /// Checks the packed history of an office read from a checkpoint (see [`Settled::check`]).
    pub(crate) fn check_settled(&self) -> Result<(), String> {
        self.settled.check(&self.calendar_log, self.appointments.len())
    }

    /// The log position of the last event folded into this office (0 for none): every figure of the office, at any
    /// day, is the same at any later log position until this one moves.
    pub(crate) fn last_position(&self) -> u64 {
        self.last_position
    }

    pub(crate) fn info(&self) -> Option<OfficeInfo> {
        self.own.map(|own| OfficeInfo {
            office: self.id.clone(),
            name: None,
            state: None,
            first_event_date: date_of_day_number(own.first_day),
            last_event_date: date_of_day_number(own.last_day),
            events: own.events,
        })
    }

    pub(crate) fn series(&self, from: NaiveDate, to: NaiveDate) -> Vec<DayRow> {
        let (from, to) = (day_number(from), day_number(to));
        let mut rows = Vec::with_capacity((to - from + 1).max(0) as usize);
        let mut day = from;
        while day <= to {
            if let Some(row) = self.kept_row(day) {
                rows.push(row);
                day += 1;
                continue;
            }
            // A run of days without events or kept figures: one sweep state answers them all.
            let run_end = self.next_event_day(day).map_or(to, |next| (next - 1).min(to));
            let (appointments, calendar) = self.state_as_of(day);
            for d in day..=run_end {
                let figures = state_figures(&appointments, &calendar, d, self.config.horizon_days);
                rows.push(self.to_day_row(d, &Tallies::default(), &figures));
            }
            day = run_end + 1;
        }
        rows
    }

    fn day_row(&self, day: i32) -> DayRow {
        self.kept_row(day).unwrap_or_else(|| {
            let (appointments, calendar) = self.state_as_of(day);
            let figures = state_figures(&appointments, &calendar, day, self.config.horizon_days);
            self.to_day_row(day, &Tallies::default(), &figures)
        })
    }

    /// The row of `day` where its figures are kept, or need no state (before the first event).
    fn kept_row(&self, day: i32) -> Option<DayRow> {
        if self.span.is_none_or(|(first, _)| day < first) {
            return Some(self.to_day_row(day, &Tallies::default(), &StateFigures::default()));
        }
        let row = self.rows.get(day)?;
        Some(self.to_day_row(day, &row.tallies, row.state.as_ref()?))
    }

    fn to_day_row(&self, day: i32, tallies: &Tallies, state: &StateFigures) -> DayRow {
        DayRow {
            date: date_of_day_number(day),
            backlog: state.backlog,
            backlog_by_service: state
                .backlog_by_service
                .iter()
                .map(|(service, n)| (self.services[*service as usize].clone(), *n))
                .collect(),
            displaced: state.displaced,
            bookings: tallies.bookings,
            served_appointments: tallies.served_appointments,
            served_walk_in: tallies.served_walk_in,
            cancellations: tallies.cancellations,
            no_shows: tallies.no_shows,
            capacity: state.capacity,
            booked: state.booked,
            next_available_days: state.next_available_days,
            third_next_available_days: state.third_next_available_days,
            realized_wait_p50_days: nearest_rank(&tallies.waits, 50),
            realized_wait_p90_days: nearest_rank(&tallies.waits, 90),
        }
    }

    /// The bookings made and the appointments attended on `date`, per service (services with none left out).
    pub(crate) fn service_day(&self, date: NaiveDate) -> ServiceDay {
        let Some(Row { tallies, .. }) = self.rows.get(day_number(date)) else { return ServiceDay::default() };
        let named =
            |tally: &[(u16, u32)]| tally.iter().map(|(s, n)| (self.services[*s as usize].clone(), *n)).collect();
        ServiceDay { bookings: named(&tallies.bookings_by_service), attended: named(&tallies.attended_by_service) }
    }

    /// The `policy_changed` events of the office with date(at) ≤ `as_of`, in order of (`at`, position).
    pub(crate) fn policies(&self, as_of: NaiveDate) -> Vec<PolicyChange> {
        let day = day_number(as_of);
        self.policy_log.iter().filter(|(_, d, _)| *d <= day).map(|(_, _, p)| p.clone()).collect()
    }

    /// The realized waits of the bookings made on `date`, ascending.
    pub(crate) fn waits(&self, date: NaiveDate) -> &[u32] {
        self.rows.get(day_number(date)).map_or(&[], |row| &row.tallies.waits)
    }

    /// The day of the first swept event after `day`.
    fn next_event_day(&self, day: i32) -> Option<i32> {
        // Packed events all come before the unpacked ones.
        self.settled
            .next_day_after(day, &self.calendar_log)
            .or_else(|| self.events.get(self.events.partition_point(|e| e.day <= day)).map(|e| e.day))
    }

    /// The sweep state (appointments and calendar) as of `day`: the live one, or a copy rewound to that day.
    fn state_as_of(&self, day: i32) -> (std::borrow::Cow<'_, Appointments>, std::borrow::Cow<'_, Calendar>) {
        use std::borrow::Cow;
        let after = self.events.partition_point(|e| e.day <= day);
        let packed = self.settled.after_day(day, &self.calendar_log);
        if after == self.events.len() && packed.is_empty() {
            return (Cow::Borrowed(&self.appointments), Cow::Borrowed(&self.calendar));
        }
        let mut rewound = self.clone_sweep_state();
        for ev in self.events[after..].iter().rev().chain(packed.iter().rev()) {
            rewound.undo(ev);
        }
        (Cow::Owned(rewound.appointments), Cow::Owned(rewound.calendar))
    }

    fn clone_sweep_state(&self) -> OfficeProjection {
        OfficeProjection {
            appointments: self.appointments.clone(),
            calendar: self.calendar.clone(),
            ..OfficeProjection::new(self.id.clone(), self.config, self.packing)
        }
    }

    pub(crate) fn snapshot(&self, as_of: NaiveDate, days: u32) -> CalendarSnapshot {
        let day = day_number(as_of);
        let (appointments, calendar) = self.state_as_of(day);
        let ahead = (1..=days as i32).map(|k| day + k);
        CalendarSnapshot {
            office: self.id.clone(),
            as_of,
            capacity: ahead.clone().map(|d| calendar.capacity(d)).collect(),
            booked: ahead.map(|d| appointments.booked(d)).collect(),
            today: self.day_row(day),
        }
    }

    /// The calendar as known as of `day`, rebuilt from the calendar changes alone (they are few).
    pub(crate) fn calendar_as_of(&self, day: i32) -> Calendar {
        let mut calendar = Calendar::default();
        for (key, _, change) in self.calendar_log.iter().filter(|(_, d, _)| *d <= day) {
            calendar.apply(*key, change);
        }
        calendar
    }

    /// The calendar changes with day ≤ `day`, in key order.
    pub(crate) fn calendar_changes_as_of(&self, day: i32) -> impl Iterator<Item = (Key, i32, &CalendarChange)> {
        self.calendar_log.iter().filter(move |(_, d, _)| *d <= day).map(|(k, d, c)| (*k, *d, c.as_ref()))
    }

    pub(crate) fn periods(&self, as_of: NaiveDate) -> Vec<NamedPeriod> {
        let day = day_number(as_of);
        let calendar = self.calendar_as_of(day);
        let mut reasons: HashMap<&crate::domain::id::ClosureId, &str> = HashMap::new();
        let mut periods = Vec::new();
        for (_, _, change) in self.calendar_log.iter().filter(|(_, d, _)| *d <= day) {
            match change.as_ref() {
                CalendarChange::ClosureDeclared { closure, reason, .. } => {
                    reasons.insert(closure, reason);
                }
                CalendarChange::Holiday { day, name, office_specific } => {
                    let date = date_of_day_number(*day);
                    let period = NamedPeriod {
                        kind: PeriodKind::Holiday,
                        id: name.clone(),
                        label: name.clone(),
                        first_day: date,
                        last_day: date,
                        office_specific: *office_specific,
                    };
                    if !periods.iter().any(|p: &NamedPeriod| p.first_day == date && p.label == *name) {
                        periods.push(period);
                    }
                }
                _ => {}
            }
        }
        for (closure, state) in calendar.closures() {
            if let ClosureState::Declared { first_day, last_day, cause } = state {
                periods.push(NamedPeriod {
                    kind: PeriodKind::Closure(cause),
                    id: closure.to_string(),
                    label: reasons.get(closure).map_or_else(String::new, |r| (*r).to_owned()),
                    first_day: date_of_day_number(first_day),
                    last_day: date_of_day_number(last_day),
                    office_specific: true,
                });
            }
        }
        periods.sort_by(|a, b| (a.first_day, a.last_day, &a.id).cmp(&(b.first_day, b.last_day, &b.id)));
        periods
    }
}

/// The calendar change of a `holiday_declared` event.
pub(crate) fn holiday_change(event: &Event) -> Option<Arc<CalendarChange>> {
    match &event.kind {
        EventKind::HolidayDeclared { date, name, office } => Some(Arc::new(CalendarChange::Holiday {
            day: day_number(*date),
            name: name.clone(),
            office_specific: office.is_some(),
        })),
        _ => None,
    }
}

/// The state-dependent figures of `day`, from the state as of `day`.
fn state_figures(appointments: &Appointments, calendar: &Calendar, day: i32, horizon: u32) -> StateFigures {
    let free = |d: i32| calendar.capacity(d).saturating_sub(appointments.booked(d));
    let mut next = None;
    let mut third = None;
    let mut cumulative = 0u32;
    for k in 1..=horizon {
        let f = free(day + k as i32);
        if f > 0 && next.is_none() {
            next = Some(k);
        }
        cumulative = cumulative.saturating_add(f);
        if cumulative >= 3 {
            third = Some(k);
            break;
        }
    }
    StateFigures {
        backlog: appointments.backlog(),
        backlog_by_service: appointments
            .backlog_by_service()
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(s, n)| (s as u16, *n))
            .collect(),
        displaced: appointments.displaced(),
        capacity: calendar.capacity(day),
        booked: appointments.booked(day),
        next_available_days: next,
        third_next_available_days: third,
    }
}

/// Merges two key-sorted runs into one.
fn merge_sorted(a: Vec<Ev>, b: Vec<Ev>) -> Vec<Ev> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    loop {
        let take_a = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => x.key <= y.key,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        out.extend(if take_a { a.next() } else { b.next() });
    }
    out
}
