//! The observed figures of docs/events.md: what the public online calendar showed, per scope (an office's whole
//! calendar, or one service of it) and day, folded from `calendar_observed` events.
//!
//! Each scope keeps its observations in (`at`, position) order and the figures of every day one of them falls on.
//! A new observation, late or not, changes the figures of two days only: its own (its count, possibly the day's
//! last observation, the pair it ends) and that of the observation after it (whose predecessor it becomes). So
//! observations are filed as they come and those days are computed again when the scope settles; a day without an
//! observation has the figures of no observation (counts 0, waits null) and is not stored.
//!
//! An observation's slots are kept as UTC nanoseconds; one that lists exactly the slots of the observation before
//! it shares its slots with that one (a calendar observed every few minutes often shows no change).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::NaiveDate;

use crate::domain::event::Instant;
use crate::domain::id::ServiceId;
use crate::domain::time::{Zone, date_of_day_number, day_number};

/// The observed figures of one scope on one day (docs/events.md, "Observed figures"). Waits are in days.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ObservedDay {
    /// The observations dated this day.
    pub observations: u32,
    /// The smallest k in 1..=H such that the day's last observation has a free slot dated day+k; null without one.
    pub observed_next_available_days: Option<u32>,
    /// The smallest k in 1..=H such that it has at least 3 free slots dated day+1 … day+k; null without.
    pub observed_third_next_available_days: Option<u32>,
    /// Its free slots dated day+1 … day+28; null on a day without observation.
    pub observed_free_next_28d: Option<u32>,
    /// Slots free in one observation and not in the next (dated this day), later than the next's `at` and within
    /// the window the next shows: booked or withdrawn.
    pub observed_taken: u32,
    /// Slots free in an observation (dated this day) and not in the one before, within the window that one showed:
    /// given back.
    pub observed_released: u32,
}

/// One observation as a scope keeps it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Observation {
    /// `at` in UTC nanoseconds, and its local day number.
    at: i64,
    day: i32,
    position: u64,
    /// The free slots in UTC nanoseconds, strictly increasing.
    slots: Arc<[i64]>,
}

fn nanos(instant: &Instant) -> i64 {
    instant.timestamp_nanos_opt().unwrap_or(i64::MAX)
}

/// The observations of one scope and the figures of the days they fall on.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(super) struct Scope {
    /// In (`at`, position) order.
    observations: Vec<Observation>,
    /// Filed but not yet in `observations`.
    pending: Vec<Observation>,
    days: BTreeMap<i32, ObservedDay>,
}

impl Scope {
    /// Files an observation; its figures count once the scope has [settled](Scope::settle).
    pub(super) fn push(&mut self, zone: Zone, position: u64, at: &Instant, free_slots: &[Instant]) {
        let slots: Arc<[i64]> = free_slots.iter().map(nanos).collect();
        self.pending.push(Observation { at: nanos(at), day: day_number(zone.date_of(at)), position, slots });
    }

    /// Whether observations wait to be settled.
    pub(super) fn is_settled(&self) -> bool {
        self.pending.is_empty()
    }

    /// Takes the filed observations in and computes the figures of the days they change.
    pub(super) fn settle(&mut self, zone: Zone, horizon_days: u32) {
        if self.pending.is_empty() {
            return;
        }
        let mut pending = std::mem::take(&mut self.pending);
        pending.sort_by_key(|o| (o.at, o.position));
        let mut changed = BTreeSet::new();
        let appending =
            self.observations.last().is_none_or(|last| (last.at, last.position) < (pending[0].at, pending[0].position));
        let mut inserted = Vec::with_capacity(pending.len());
        if appending {
            let first = self.observations.len();
            self.observations.extend(pending);
            inserted.extend(first..self.observations.len());
        } else {
            // Late observations: a merge of two sorted runs, then the new ones' places.
            let old = std::mem::take(&mut self.observations);
            let mut merged = Vec::with_capacity(old.len() + pending.len());
            let (mut a, mut b) = (old.into_iter().peekable(), pending.into_iter().peekable());
            loop {
                let take_new = match (a.peek(), b.peek()) {
                    (Some(x), Some(y)) => (y.at, y.position) < (x.at, x.position),
                    (None, Some(_)) => true,
                    (_, None) => false,
                };
                if take_new {
                    inserted.push(merged.len());
                    merged.push(b.next().expect("peeked"));
                } else if let Some(x) = a.next() {
                    merged.push(x);
                } else {
                    break;
                }
            }
            self.observations = merged;
        }
        for &i in &inserted {
            // Share the slots of an unchanged calendar with the observation before.
            if i > 0 && self.observations[i - 1].slots == self.observations[i].slots {
                self.observations[i].slots = Arc::clone(&self.observations[i - 1].slots);
            }
            changed.insert(self.observations[i].day);
            if let Some(next) = self.observations.get(i + 1) {
                changed.insert(next.day);
            }
        }
        for day in changed {
            let figures = self.compute(zone, horizon_days, day);
            self.days.insert(day, figures);
        }
    }

    /// The figures of `day`, from the observations as they stand.
    fn compute(&self, zone: Zone, horizon_days: u32, day: i32) -> ObservedDay {
        let first = self.observations.partition_point(|o| o.day < day);
        let end = self.observations.partition_point(|o| o.day <= day);
        let Some(last) = self.observations[first..end].last() else { return ObservedDay::default() };
        let day_of = |n: i64| day_number(zone.date_of(&chrono::DateTime::from_timestamp_nanos(n).fixed_offset()));
        // The slots dated day+1 on: the first index whose date is after `day` (dates rise with the instants).
        let tomorrow = last.slots.partition_point(|&s| day_of(s) <= day);
        let within = |k: usize| {
            let slot = *last.slots.get(tomorrow + k)?;
            let days = u32::try_from(day_of(slot) - day).ok()?;
            (days <= horizon_days).then_some(days)
        };
        let after_28 = last.slots.partition_point(|&s| day_of(s) <= day + 28);
        let mut figures = ObservedDay {
            observations: (end - first) as u32,
            observed_next_available_days: within(0),
            observed_third_next_available_days: within(2),
            observed_free_next_28d: Some((after_28 - tomorrow) as u32),
            observed_taken: 0,
            observed_released: 0,
        };
        for i in first.max(1)..end {
            let (p, q) = (&self.observations[i - 1], &self.observations[i]);
            if Arc::ptr_eq(&p.slots, &q.slots) {
                continue;
            }
            if let Some(&latest) = q.slots.last() {
                let limit = day_of(latest);
                figures.observed_taken +=
                    only_in(&p.slots, &q.slots).filter(|&s| s > q.at && day_of(s) <= limit).count() as u32;
            }
            if let Some(&latest) = p.slots.last() {
                let limit = day_of(latest);
                figures.observed_released += only_in(&q.slots, &p.slots).filter(|&s| day_of(s) <= limit).count() as u32;
            }
        }
        figures
    }

    /// The figures of `date` (those of no observation on a day nobody looked).
    pub(super) fn day(&self, date: NaiveDate) -> ObservedDay {
        self.days.get(&day_number(date)).cloned().unwrap_or_default()
    }

    /// The last observation's `at` up to the end of `date`, in UTC nanoseconds, and its position.
    pub(super) fn last_seen(&self, date: NaiveDate) -> Option<(i64, u64)> {
        let end = self.observations.partition_point(|o| o.day <= day_number(date));
        end.checked_sub(1).map(|i| (self.observations[i].at, self.observations[i].position))
    }
}

/// The elements of sorted `a` that sorted `b` lacks.
fn only_in<'a>(a: &'a [i64], b: &'a [i64]) -> impl Iterator<Item = i64> + 'a {
    let mut j = 0;
    a.iter().copied().filter(move |&x| {
        while j < b.len() && b[j] < x {
            j += 1;
        }
        !(j < b.len() && b[j] == x)
    })
}

/// The observed calendars of one office: its own (no service) and each observed service's.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ObservedOffice {
    scopes: BTreeMap<Option<ServiceId>, Scope>,
    /// The log position of its last observation.
    last_position: u64,
    /// How many observations it has, and the first and last day they are dated.
    count: u64,
    days: Option<(i32, i32)>,
}

impl ObservedOffice {
    pub(super) fn push(
        &mut self,
        zone: Zone,
        position: u64,
        service: Option<&ServiceId>,
        at: &Instant,
        slots: &[Instant],
    ) {
        self.last_position = self.last_position.max(position);
        self.count += 1;
        let day = day_number(zone.date_of(at));
        self.days = Some(self.days.map_or((day, day), |(first, last)| (first.min(day), last.max(day))));
        self.scopes.entry(service.cloned()).or_default().push(zone, position, at, slots);
    }

    pub(super) fn settle(&mut self, zone: Zone, horizon_days: u32) {
        for scope in self.scopes.values_mut().filter(|s| !s.is_settled()) {
            scope.settle(zone, horizon_days);
        }
    }

    /// The log position of the last observation of the office.
    pub fn last_position(&self) -> u64 {
        self.last_position
    }

    /// The scope of `service` (`None`: the office's own calendar), if observed.
    pub(super) fn scope(&self, service: Option<&ServiceId>) -> Option<&Scope> {
        self.scopes.get(&service.cloned())
    }

    /// The services observed on their own, in name order.
    pub fn services(&self) -> impl Iterator<Item = &ServiceId> {
        self.scopes.keys().flatten()
    }

    /// How many observations it has.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The first and last day its observations are dated.
    pub fn dates(&self) -> Option<(NaiveDate, NaiveDate)> {
        self.days.map(|(first, last)| (date_of_day_number(first), date_of_day_number(last)))
    }
}

#[cfg(test)]
mod tests {
    use super::only_in;

    #[test]
    fn only_in_is_the_sorted_difference() {
        let a = [1, 3, 5, 7, 9];
        let b = [2, 3, 4, 9, 10];
        assert_eq!(only_in(&a, &b).collect::<Vec<_>>(), vec![1, 5, 7]);
        assert_eq!(only_in(&b, &a).collect::<Vec<_>>(), vec![2, 4, 10]);
        assert_eq!(only_in(&a, &[]).count(), 5);
        assert_eq!(only_in(&[], &a).count(), 0);
    }
}
