//! The projection: a pure fold over the log that answers every figure of docs/events.md for any office, as of any day.
//!
//! Feed it `(position, &Event)` pairs in log order with [`Projection::apply`]; ask it for daily rows with
//! [`Projection::series`]. Internally each office keeps its events sorted by business time (`at`, then position)
//! and a row per day computed by sweeping that order, so answering a year is a slice copy, an event at "now" touches
//! one row, and a late event recomputes from its own day on. "Known at position P" is a projection fed with
//! positions 1..=P only; the caller builds it.
//!
//! Invariant: nothing here reads the disk, the clock or the network. The one concurrency inside is
//! [`Folding::finish`] settling independent offices on scoped threads; the result does not depend on it.

mod appointments;
mod attribution;
mod calendar;
pub mod checkpoint;
mod counts;
mod days;
mod names;
mod observed;
mod office;
mod row;
mod settled;
mod summary;

pub use attribution::{Attribution, Loss, LossCause, PeriodLoss};
pub use names::{Names, OfficeName};
pub use observed::{ObservedDay, ObservedOffice};
pub use office::{CalendarSnapshot, NamedPeriod, PeriodKind, PolicyChange, ServiceDay};
pub use row::DayRow;
pub use settled::Packing;
pub use summary::{Change, Summary};

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;

use crate::domain::event::{Event, EventKind, State};
use crate::domain::id::{OfficeId, ServiceId};
use crate::domain::time::Zone;

use calendar::CalendarChange;
use office::OfficeProjection;

/// The horizon of the wait figures when none is configured (docs/events.md: H = 365).
pub const DEFAULT_HORIZON_DAYS: u32 = 365;

/// How figures are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Config {
    /// The zone in which `date(x)` is taken.
    pub zone: Zone,
    /// H: how many days ahead `next_available_days` and `third_next_available_days` look.
    pub horizon_days: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config { zone: Zone::default(), horizon_days: DEFAULT_HORIZON_DAYS }
    }
}

/// An office known to the log, with the business dates of its first and last event.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct OfficeInfo {
    pub office: OfficeId,
    /// The display name of its latest `office_described`, if any.
    pub name: Option<String>,
    /// The German state of its latest `office_described`, if given.
    pub state: Option<State>,
    pub first_event_date: NaiveDate,
    pub last_event_date: NaiveDate,
    pub events: u64,
}

/// Every office's figures, folded from the log.
#[derive(Debug, Clone)]
pub struct Projection {
    config: Config,
    /// How much of each office's history stays unpacked; changes no figure.
    packing: Packing,
    /// The one office folded, where the projection is [scoped](Projection::scoped): the others' events are passed
    /// over. `None` folds every office.
    scope: Option<OfficeId>,
    offices: BTreeMap<OfficeId, OfficeProjection>,
    /// Holidays of every office, kept so that an office first seen later still receives them.
    global_holidays: Vec<(u64, Event)>,
    /// Their calendar changes, one each, shared by every office's calendar.
    holiday_changes: Vec<Arc<CalendarChange>>,
    /// Display names, which change no figure.
    names: Names,
    /// What the public online calendars showed, per office: the observed figures, apart from the booked ones.
    observed: BTreeMap<OfficeId, ObservedOffice>,
    /// The position of the last event applied.
    position: u64,
}

impl Projection {
    /// An empty projection.
    pub fn new(config: Config) -> Self {
        Projection {
            config,
            packing: Packing::default(),
            scope: None,
            offices: BTreeMap::new(),
            global_holidays: Vec::new(),
            holiday_changes: Vec::new(),
            names: Names::default(),
            observed: BTreeMap::new(),
            position: 0,
        }
    }

    /// The same projection, with offices first seen from now on packing their history as `packing` says (tests
    /// pack after a handful of events to exercise it; the default suits real logs).
    pub fn with_packing(mut self, packing: Packing) -> Self {
        self.packing = packing;
        self
    }

    /// The same projection folding only `office` from now on: the other offices are dropped and their later events
    /// passed over (the holidays of every office still count). For a read about one office, which then need not
    /// hold or fold the others; such a projection answers for `office` exactly as the whole one does, and is never
    /// written as a checkpoint.
    pub fn scoped(mut self, office: OfficeId) -> Self {
        self.offices.retain(|id, _| *id == office);
        self.observed.retain(|id, _| *id == office);
        self.scope = Some(office);
        self
    }

    /// The one office it folds, if [scoped](Projection::scoped).
    pub fn scope(&self) -> Option<&OfficeId> {
        self.scope.as_ref()
    }

    /// Whether `office`'s events are folded here.
    fn folds(&self, office: &OfficeId) -> bool {
        self.scope.as_ref().is_none_or(|scope| scope == office)
    }

    /// The configuration it computes with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// How many day rows the offices keep, for tests of what the projection costs.
    #[cfg(test)]
    pub(crate) fn stored_rows(&self) -> usize {
        self.offices.values().map(OfficeProjection::stored_rows).sum()
    }

    /// The position of the last event applied (0 when empty).
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Folds one event into the projection. Positions must increase; an event's business time may lie anywhere,
    /// before or after the events already applied.
    pub fn apply(&mut self, position: u64, event: &Event) {
        self.position = self.position.max(position);
        if event.kind.is_description() {
            self.names.apply(position, event);
            return;
        }
        if let EventKind::CalendarObserved { office, .. } = &event.kind {
            self.push_observation(position, event);
            if let Some(observed) = self.observed.get_mut(office) {
                observed.settle(self.config.zone, self.config.horizon_days);
            }
            return;
        }
        match event.kind.office() {
            Some(office) if !self.folds(office) => {}
            Some(office) => {
                let office = self.office_mut(office);
                office.push(position, event);
                office.settle();
            }
            None => {
                self.push_global(position, event);
                self.offices.values_mut().for_each(OfficeProjection::settle);
            }
        }
    }

    /// Folds many events at once, as a rebuild does: each office sorts its new events and sweeps once.
    pub fn apply_all<'a>(&mut self, entries: impl IntoIterator<Item = (u64, &'a Event)>) {
        let mut folding = Folding { projection: std::mem::replace(self, Projection::new(self.config)) };
        folding.push_all(entries);
        *self = folding.finish();
    }

    /// Starts folding a stream of events in pieces: [`Folding::push_all`] takes each piece as it comes, and
    /// [`Folding::finish`] computes the rows once at the end, as [`Projection::apply_all`] of the whole stream
    /// would.
    pub fn folding(self) -> Folding {
        Folding { projection: self }
    }

    /// A projection of `entries`, built in one pass.
    pub fn from_entries<'a>(config: Config, entries: impl IntoIterator<Item = (u64, &'a Event)>) -> Self {
        let mut projection = Projection::new(config);
        projection.apply_all(entries);
        projection
    }

    fn push(&mut self, position: u64, event: &Event) {
        self.position = self.position.max(position);
        if event.kind.is_description() {
            self.names.apply(position, event);
            return;
        }
        if matches!(event.kind, EventKind::CalendarObserved { .. }) {
            self.push_observation(position, event);
            return;
        }
        match event.kind.office() {
            Some(office) if !self.folds(office) => {}
            Some(office) => self.office_mut(office).push(position, event),
            None => self.push_global(position, event),
        }
    }

    fn push_observation(&mut self, position: u64, event: &Event) {
        if let EventKind::CalendarObserved { office, service, free_slots, .. } = &event.kind {
            if !self.folds(office) {
                return;
            }
            let observed = self.observed.entry(office.clone()).or_default();
            observed.push(self.config.zone, position, service.as_ref(), &event.at, free_slots);
        }
    }

    fn push_global(&mut self, position: u64, event: &Event) {
        let Some(change) = office::holiday_change(event) else { return };
        for office in self.offices.values_mut() {
            office.push_holiday(position, event, &change);
        }
        self.global_holidays.push((position, event.clone()));
        self.holiday_changes.push(change);
    }

    fn office_mut(&mut self, office: &OfficeId) -> &mut OfficeProjection {
        if !self.offices.contains_key(office) {
            let mut fresh = OfficeProjection::new(office.clone(), self.config, self.packing);
            for ((position, holiday), change) in self.global_holidays.iter().zip(&self.holiday_changes) {
                fresh.push_holiday(*position, holiday, change);
            }
            self.offices.insert(office.clone(), fresh);
        }
        self.offices.get_mut(office).expect("inserted above")
    }

    /// The log position of the last event that reached `office`: one of its own, or a holiday of every office
    /// (0 when none has). The office's figures, for any day and as known at any day, are the same at every log
    /// position from this one up to [`Projection::position`]: events of other offices do not move them.
    pub fn office_position(&self, office: &OfficeId) -> u64 {
        let global = self.global_holidays.last().map_or(0, |(position, _)| *position);
        let observed = self.observed.get(office).map_or(0, ObservedOffice::last_position);
        self.offices.get(office).map_or(global, |o| o.last_position().max(global)).max(observed)
    }

    /// The offices in the log, in name order: those with events of their own and those only observed. A holiday
    /// of every office does not make an office.
    pub fn offices(&self) -> Vec<OfficeInfo> {
        let mut found: BTreeMap<OfficeId, OfficeInfo> =
            self.offices.values().filter_map(OfficeProjection::info).map(|i| (i.office.clone(), i)).collect();
        for (office, observed) in &self.observed {
            let Some((first, last)) = observed.dates() else { continue };
            let info = found.entry(office.clone()).or_insert_with(|| OfficeInfo {
                office: office.clone(),
                name: None,
                state: None,
                first_event_date: first,
                last_event_date: last,
                events: 0,
            });
            info.first_event_date = info.first_event_date.min(first);
            info.last_event_date = info.last_event_date.max(last);
            info.events += observed.count();
        }
        let named = |mut info: OfficeInfo| {
            if let Some(described) = self.names.office(&info.office) {
                info.name = Some(described.name.clone());
                info.state = described.state;
            }
            info
        };
        found.into_values().map(named).collect()
    }

    /// Whether `office` has events of its own beyond observations of its calendar (bookings, plans, …).
    pub fn has_booked_figures(&self, office: &OfficeId) -> bool {
        self.offices.get(office).is_some_and(|o| o.info().is_some())
    }

    /// What the public online calendar of `office` showed, if anyone observed it.
    pub fn observed(&self, office: &OfficeId) -> Option<&ObservedOffice> {
        self.observed.get(office)
    }

    /// The observed figures of one scope of `office` (`service` `None`: its own calendar), one per day from `from`
    /// to `to` (inclusive); those of no observation where there is none.
    pub fn observed_series(
        &self,
        office: &OfficeId,
        service: Option<&ServiceId>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Vec<ObservedDay> {
        let scope = self.observed.get(office).and_then(|o| o.scope(service));
        let days = from.iter_days().take_while(|d| *d <= to);
        match scope {
            Some(scope) => days.map(|d| scope.day(d)).collect(),
            None => days.map(|_| ObservedDay::default()).collect(),
        }
    }

    /// When the scope of `service` at `office` was last observed up to the end of `as_of` (UTC), if ever.
    pub fn last_observed(
        &self,
        office: &OfficeId,
        service: Option<&ServiceId>,
        as_of: NaiveDate,
    ) -> Option<chrono::DateTime<chrono::Utc>> {
        let scope = self.observed.get(office)?.scope(service)?;
        scope.last_seen(as_of).map(|(at, _)| chrono::DateTime::from_timestamp_nanos(at))
    }

    /// The display names of `services` at `office`, for those that have one.
    pub fn service_names<'a>(
        &self,
        office: &OfficeId,
        services: impl IntoIterator<Item = &'a ServiceId>,
    ) -> BTreeMap<ServiceId, String> {
        services
            .into_iter()
            .filter_map(|s| self.names.service(office, s).map(|name| (s.clone(), name.to_owned())))
            .collect()
    }

    /// The name people read for `office`: its description's name, else its id.
    pub fn office_name(&self, office: &OfficeId) -> String {
        self.names.office(office).map_or_else(|| office.to_string(), |o| o.name.clone())
    }

    /// The display names the log gives.
    pub fn names(&self) -> &Names {
        &self.names
    }

    /// The one office of the log, if it has exactly one.
    pub fn only_office(&self) -> Option<&OfficeId> {
        let own = self.offices.values().filter(|o| o.info().is_some()).map(OfficeProjection::id);
        let mut known: std::collections::BTreeSet<&OfficeId> = own.chain(self.observed.keys()).collect();
        match (known.pop_first(), known.pop_first()) {
            (Some(only), None) => Some(only),
            _ => None,
        }
    }

    /// One row per day from `from` to `to` (inclusive) for `office`, each as of its own day. An office the log does
    /// not know gives rows of zeros and nulls.
    pub fn series(&self, office: &OfficeId, from: NaiveDate, to: NaiveDate) -> Vec<DayRow> {
        match self.offices.get(office) {
            Some(o) => o.series(from, to),
            None => OfficeProjection::new(office.clone(), self.config, Packing::default()).series(from, to),
        }
    }

    /// The row of one day.
    pub fn row(&self, office: &OfficeId, date: NaiveDate) -> DayRow {
        self.series(office, date, date).pop().expect("one day asked, one row given")
    }

    /// The calendar of `office` as known as of `as_of`: capacity and booked slots for the next `days` days.
    pub fn snapshot(&self, office: &OfficeId, as_of: NaiveDate, days: u32) -> CalendarSnapshot {
        match self.offices.get(office) {
            Some(o) => o.snapshot(as_of, days),
            None => OfficeProjection::new(office.clone(), self.config, Packing::default()).snapshot(as_of, days),
        }
    }

    /// The bookings and attended appointments of `office` per service, one [`ServiceDay`] per day from `from` to
    /// `to` (inclusive): the per-service split of [`DayRow::bookings`] and [`DayRow::served_appointments`], for the
    /// forecast.
    pub fn service_days(&self, office: &OfficeId, from: NaiveDate, to: NaiveDate) -> Vec<ServiceDay> {
        let days = from.iter_days().take_while(|d| *d <= to);
        match self.offices.get(office) {
            Some(o) => days.map(|d| o.service_day(d)).collect(),
            None => days.map(|_| ServiceDay::default()).collect(),
        }
    }

    /// The `policy_changed` events of `office` known as of `as_of` (date(at) ≤ `as_of`), in order of (`at`,
    /// position): the later of two for the same service and effective day wins.
    pub fn policies(&self, office: &OfficeId, as_of: NaiveDate) -> Vec<PolicyChange> {
        self.offices.get(office).map_or_else(Vec::new, |o| o.policies(as_of))
    }

    /// The realized wait percentiles (p50, p90, in days) pooled over the bookings of the `days` days ending on
    /// `date` (docs/events.md's 7-day variants pool D−6 … D).
    pub fn pooled_realized_wait(&self, office: &OfficeId, date: NaiveDate, days: u32) -> (Option<u32>, Option<u32>) {
        let Some(o) = self.offices.get(office) else {
            return (None, None);
        };
        let mut waits: Vec<u32> = (0..days)
            .filter_map(|back| date.checked_sub_days(chrono::Days::new(u64::from(back))))
            .flat_map(|d| o.waits(d).iter().copied())
            .collect();
        waits.sort_unstable();
        (row::nearest_rank(&waits, 50), row::nearest_rank(&waits, 90))
    }

    /// The headline figures of `office` as of `as_of`, with the change against seven days earlier.
    pub fn summary(&self, office: &OfficeId, as_of: NaiveDate) -> Summary {
        summary::summarize(self, office, as_of)
    }

    /// Lost capacity of `office` from `from` to `to` (inclusive) by cause and named period, as known at the end of
    /// the period.
    pub fn attribution(&self, office: &OfficeId, from: NaiveDate, to: NaiveDate) -> Attribution {
        let fresh;
        let o = match self.offices.get(office) {
            Some(o) => o,
            None => {
                fresh = OfficeProjection::new(office.clone(), self.config, Packing::default());
                &fresh
            }
        };
        attribution::attribute(o, from, to)
    }

    /// The closures and holidays of `office` that count as of `as_of`, in date order.
    pub fn periods(&self, office: &OfficeId, as_of: NaiveDate) -> Vec<NamedPeriod> {
        match self.offices.get(office) {
            Some(o) => o.periods(as_of),
            None => Vec::new(),
        }
    }
}

/// A projection taking events in without computing rows yet: what a rebuild holds while the log streams in.
///
/// Pushing only files each event with its office (and counts its day's tallies); the sort and sweep that compute
/// the rows run once, in [`Folding::finish`]. Pushing the pieces of a stream one after the other and finishing
/// gives exactly the projection that [`Projection::apply_all`] of the whole stream gives.
#[derive(Debug)]
pub struct Folding {
    projection: Projection,
}

/// Below this many events waiting in all offices together, settling on other threads costs more than it saves
/// (a thread costs tens of microseconds, settling a few thousand events milliseconds).
const PARALLEL_SETTLE_MIN: usize = 8_192;

impl Folding {
    /// Takes `entries` in, in log order (positions increase across all pushes).
    pub fn push_all<'a>(&mut self, entries: impl IntoIterator<Item = (u64, &'a Event)>) {
        for (position, event) in entries {
            self.projection.push(position, event);
        }
    }

    /// Settles the office with the most events waiting, when that is cheap (it undoes no more events than it
    /// merges); whether it did. For a rebuild waiting on its input: the time spent here is taken off
    /// [`Folding::finish`], and the result is the same either way.
    pub fn settle_some(&mut self) -> bool {
        let office =
            self.projection.offices.values_mut().filter(|o| o.pending_events() > 0).max_by_key(|o| o.pending_events());
        match office {
            Some(office) if office.settles_cheaply() => {
                office.settle();
                true
            }
            _ => false,
        }
    }

    /// The position of the last event pushed.
    pub fn position(&self) -> u64 {
        self.projection.position
    }

    /// Sorts and sweeps each office's new events, and returns the settled projection.
    ///
    /// Offices are independent, so when several have many events waiting they are settled on threads of their
    /// own (`std::thread::scope`, no IO). Each office's result is the same on whichever thread it is computed, so
    /// the projection does not depend on it: this is still a pure, deterministic function of the events.
    pub fn finish(self) -> Projection {
        self.finish_settling(PARALLEL_SETTLE_MIN)
    }

    /// [`Folding::finish`], settling on several threads from `parallel_min` waiting events on.
    fn finish_settling(self, parallel_min: usize) -> Projection {
        let mut projection = self.projection;
        let (zone, horizon) = (projection.config.zone, projection.config.horizon_days);
        projection.observed.values_mut().for_each(|o| o.settle(zone, horizon));
        let waiting: Vec<&mut OfficeProjection> =
            projection.offices.values_mut().filter(|o| o.pending_events() > 0).collect();
        let total: usize = waiting.iter().map(|o| o.pending_events()).sum();
        if waiting.len() < 2 || total < parallel_min {
            waiting.into_iter().for_each(OfficeProjection::settle);
        } else {
            std::thread::scope(|scope| {
                let mut waiting = waiting.into_iter();
                let here = waiting.next().expect("at least two offices wait");
                for office in waiting {
                    scope.spawn(move || office.settle());
                }
                here.settle();
            });
        }
        projection
    }
}

#[cfg(test)]
mod tests;
