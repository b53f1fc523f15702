//! The capacity calendar of one office: plans, closures and holidays, with exact undo.
//!
//! The sweep in [`crate::projection::office`] applies calendar changes in business-time order and, when a late event
//! arrives, undoes them back to its place; every change here is therefore reversible without a snapshot.
//! `capacity(d)` follows docs/events.md: the plan with the greatest `effective_from` ≤ d (ties: latest `at`, then
//! position) gives d's weekday; 0 where there is no plan, on a holiday (own or of every office), or where an
//! uncancelled closure covers d.

use std::collections::HashMap;
use std::sync::Arc;

use crate::domain::event::{ClosureCause, WeeklySlots};
use crate::domain::id::ClosureId;
use crate::projection::counts::DayCounts;

/// Business order of events: the instant (seconds, nanoseconds) and, for ties, the log position.
pub(crate) type Key = (i64, u32, u64);

/// One entry of an office's calendar log: the change's key, the day of its `at`, and the change.
pub(crate) type Logged = (Key, i32, Arc<CalendarChange>);

/// A calendar change carried by an event, shared between the sweep and the as-of views.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum CalendarChange {
    Plan { effective_day: i32, slots: WeeklySlots },
    ClosureDeclared { closure: ClosureId, first_day: i32, last_day: i32, cause: ClosureCause, reason: String },
    ClosureCancelled { closure: ClosureId },
    Holiday { day: i32, name: String, office_specific: bool },
}

/// The state of a closure after one of its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum ClosureState {
    Declared { first_day: i32, last_day: i32, cause: ClosureCause },
    Cancelled,
}

/// Plans, closures and holidays in force after the changes applied so far.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Calendar {
    /// Sorted by (effective day, key): the plan in force on d is the last one with effective day ≤ d.
    plans: Vec<(i32, Key, WeeklySlots)>,
    /// Every closure's states in application order; the last one is in force.
    closures: HashMap<ClosureId, Vec<ClosureState>>,
    /// How many declared, uncancelled closures cover each day.
    closed: DayCounts,
    /// How many holidays fall on each day.
    holidays: DayCounts,
}

impl Calendar {
    /// Applies a change made at `key`.
    pub(crate) fn apply(&mut self, key: Key, change: &Arc<CalendarChange>) {
        match change.as_ref() {
            CalendarChange::Plan { effective_day, slots } => {
                let at = self.plans.partition_point(|(d, k, _)| (*d, *k) < (*effective_day, key));
                self.plans.insert(at, (*effective_day, key, *slots));
            }
            CalendarChange::ClosureDeclared { closure, first_day, last_day, cause, .. } => {
                let state = ClosureState::Declared { first_day: *first_day, last_day: *last_day, cause: *cause };
                self.push_closure_state(closure, state);
            }
            CalendarChange::ClosureCancelled { closure } => self.push_closure_state(closure, ClosureState::Cancelled),
            CalendarChange::Holiday { day, .. } => self.holidays.add(*day, 1),
        }
    }

    /// Reverts [`Calendar::apply`] of the same change; changes are undone in the reverse order of application.
    pub(crate) fn undo(&mut self, key: Key, change: &Arc<CalendarChange>) {
        match change.as_ref() {
            CalendarChange::Plan { effective_day, .. } => {
                if let Some(at) = self.plans.iter().rposition(|(d, k, _)| (*d, *k) == (*effective_day, key)) {
                    self.plans.remove(at);
                }
            }
            CalendarChange::ClosureDeclared { closure, .. } | CalendarChange::ClosureCancelled { closure } => {
                let states = self.closures.entry(closure.clone()).or_default();
                if let Some(ClosureState::Declared { first_day, last_day, .. }) = states.pop() {
                    self.closed.add_range(first_day, last_day, -1);
                }
                if let Some(ClosureState::Declared { first_day, last_day, .. }) = states.last().copied() {
                    self.closed.add_range(first_day, last_day, 1);
                }
            }
            CalendarChange::Holiday { day, .. } => self.holidays.add(*day, -1),
        }
    }

    fn push_closure_state(&mut self, closure: &ClosureId, state: ClosureState) {
        let states = self.closures.entry(closure.clone()).or_default();
        // Redeclaring replaces the earlier range; cancelling removes it.
        if let Some(ClosureState::Declared { first_day, last_day, .. }) = states.last().copied() {
            self.closed.add_range(first_day, last_day, -1);
        }
        if let ClosureState::Declared { first_day, last_day, .. } = state {
            self.closed.add_range(first_day, last_day, 1);
        }
        states.push(state);
    }

    /// The days whose capacity applying or undoing `change` may move (for a closure: every range it has been
    /// declared with, and the new one).
    pub(crate) fn days_touched(&self, change: &CalendarChange) -> std::ops::RangeInclusive<i32> {
        match change {
            CalendarChange::Plan { effective_day, .. } => *effective_day..=i32::MAX,
            CalendarChange::Holiday { day, .. } => *day..=*day,
            CalendarChange::ClosureDeclared { closure, .. } | CalendarChange::ClosureCancelled { closure } => {
                let own = match change {
                    CalendarChange::ClosureDeclared { first_day, last_day, .. } => Some((*first_day, *last_day)),
                    _ => None,
                };
                let declared = self.closures.get(closure).into_iter().flatten().filter_map(|state| match state {
                    ClosureState::Declared { first_day, last_day, .. } => Some((*first_day, *last_day)),
                    ClosureState::Cancelled => None,
                });
                let (first, last) = own
                    .into_iter()
                    .chain(declared)
                    .fold((i32::MAX, i32::MIN), |(f, l), (first, last)| (f.min(first), l.max(last)));
                // No range at all (a cancellation of a closure never declared) is the empty i32::MAX..=i32::MIN.
                first..=last
            }
        }
    }

    /// The slots the plan in force gives day `day`, before closures and holidays.
    pub(crate) fn planned(&self, day: i32) -> u32 {
        let in_force = self.plans.partition_point(|(d, _, _)| *d <= day);
        match in_force.checked_sub(1) {
            Some(i) => u32::from(self.plans[i].2[weekday_index(day)]),
            None => 0,
        }
    }

    /// Whether a holiday falls on `day`.
    pub(crate) fn is_holiday(&self, day: i32) -> bool {
        self.holidays.get(day) > 0
    }

    /// Whether an uncancelled closure covers `day`.
    pub(crate) fn is_closed(&self, day: i32) -> bool {
        self.closed.get(day) > 0
    }

    /// capacity(o, day).
    pub(crate) fn capacity(&self, day: i32) -> u32 {
        if self.is_holiday(day) || self.is_closed(day) { 0 } else { self.planned(day) }
    }

    /// The closures in force, with their id.
    pub(crate) fn closures(&self) -> impl Iterator<Item = (&ClosureId, ClosureState)> {
        self.closures.iter().filter_map(|(id, states)| states.last().map(|s| (id, *s)))
    }
}

/// Monday = 0 … Sunday = 6 for a day number of [`crate::domain::time::day_number`] (day 1 = 0001-01-01, a Monday).
pub(crate) fn weekday_index(day: i32) -> usize {
    (day - 1).rem_euclid(7) as usize
}

/// How an office's section of a checkpoint writes its calendar changes: a holiday of every office by a marker alone,
/// since the header holds those once for all offices. A marker reads back as [`in_section::unresolved`] until
/// [`crate::projection::office::OfficeProjection::share_holidays`] puts the shared change in its place; reading
/// twenty offices' copies of every such holiday only to drop them again left a quarter of a gigabyte of holes in
/// the heap at ten million events.
pub(crate) mod in_section {
    use std::sync::{Arc, LazyLock};

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::{CalendarChange, Key, Logged};

    #[derive(Serialize, Deserialize)]
    enum Stored<C> {
        Own(C),
        OfEveryOffice,
    }

    /// The change a marker reads back as: one allocation for all of them.
    pub(crate) fn unresolved() -> &'static Arc<CalendarChange> {
        static UNRESOLVED: LazyLock<Arc<CalendarChange>> = LazyLock::new(|| {
            Arc::new(CalendarChange::Holiday { day: i32::MIN, name: String::new(), office_specific: false })
        });
        &UNRESOLVED
    }

    fn stored(change: &CalendarChange) -> Stored<&CalendarChange> {
        match change {
            CalendarChange::Holiday { office_specific: false, .. } => Stored::OfEveryOffice,
            own => Stored::Own(own),
        }
    }

    fn read(stored: Stored<CalendarChange>) -> Arc<CalendarChange> {
        match stored {
            Stored::Own(change) => Arc::new(change),
            Stored::OfEveryOffice => Arc::clone(unresolved()),
        }
    }

    /// For a field of type `Arc<CalendarChange>`.
    pub(crate) fn serialize<S: Serializer>(change: &Arc<CalendarChange>, s: S) -> Result<S::Ok, S::Error> {
        stored(change).serialize(s)
    }

    /// For a field of type `Arc<CalendarChange>`.
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<CalendarChange>, D::Error> {
        Stored::deserialize(d).map(read)
    }

    /// For the calendar log, a sequence of (key, day, change).
    pub(crate) mod log {
        use super::*;

        pub(crate) fn serialize<S: Serializer>(
            log: &[(Key, i32, Arc<CalendarChange>)],
            s: S,
        ) -> Result<S::Ok, S::Error> {
            s.collect_seq(log.iter().map(|(key, day, change)| (key, day, stored(change))))
        }

        /// Read entry by entry into the log itself: no second vector of the stored form on the way.
        pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Logged>, D::Error> {
            struct Entries;

            impl<'de> serde::de::Visitor<'de> for Entries {
                type Value = Vec<Logged>;

                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("a sequence of calendar changes")
                }

                fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Logged>, A::Error> {
                    // The length comes from the bytes read: trusted only as far as what a few megabytes hold.
                    let mut log = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
                    while let Some((key, day, change)) = seq.next_element::<(Key, i32, Stored<CalendarChange>)>()? {
                        log.push((key, day, read(change)));
                    }
                    Ok(log)
                }
            }

            d.deserialize_seq(Entries)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::day_number;
    use chrono::{Datelike, NaiveDate};

    fn day(s: &str) -> i32 {
        day_number(s.parse::<NaiveDate>().unwrap())
    }

    fn plan(effective: &str, slots: WeeklySlots) -> Arc<CalendarChange> {
        Arc::new(CalendarChange::Plan { effective_day: day(effective), slots })
    }

    fn closure(id: &str, first: &str, last: &str) -> Arc<CalendarChange> {
        Arc::new(CalendarChange::ClosureDeclared {
            closure: ClosureId::parse(id).unwrap(),
            first_day: day(first),
            last_day: day(last),
            cause: ClosureCause::Lockdown,
            reason: String::new(),
        })
    }

    #[test]
    fn weekday_index_is_monday_first() {
        for s in ["2020-06-22", "2020-06-24", "2020-06-28", "1970-01-01"] {
            let d: NaiveDate = s.parse().unwrap();
            assert_eq!(weekday_index(day_number(d)), d.weekday().num_days_from_monday() as usize, "{s}");
        }
    }

    #[test]
    fn later_plan_wins_and_ties_go_to_the_later_key() {
        let mut cal = Calendar::default();
        cal.apply((1, 0, 1), &plan("2020-06-01", [10, 10, 10, 10, 10, 0, 0]));
        cal.apply((2, 0, 2), &plan("2020-06-08", [20, 20, 20, 20, 20, 0, 0]));
        cal.apply((3, 0, 3), &plan("2020-06-08", [30, 30, 30, 30, 30, 0, 0]));
        assert_eq!(cal.planned(day("2020-05-29")), 0);
        assert_eq!(cal.planned(day("2020-06-01")), 10);
        assert_eq!(cal.planned(day("2020-06-06")), 0);
        assert_eq!(cal.planned(day("2020-06-08")), 30);
        cal.undo((3, 0, 3), &plan("2020-06-08", [30, 30, 30, 30, 30, 0, 0]));
        assert_eq!(cal.planned(day("2020-06-08")), 20);
    }

    #[test]
    fn redeclared_closure_replaces_its_range_and_undo_restores_it() {
        let mut cal = Calendar::default();
        cal.apply((1, 0, 1), &plan("2020-01-01", [10; 7]));
        let first = closure("migration", "2020-05-27", "2020-06-02");
        let second = closure("migration", "2020-05-28", "2020-05-29");
        cal.apply((2, 0, 2), &first);
        assert_eq!(cal.capacity(day("2020-05-27")), 0);
        cal.apply((3, 0, 3), &second);
        assert_eq!(cal.capacity(day("2020-05-27")), 10);
        assert_eq!(cal.capacity(day("2020-05-28")), 0);
        let cancel = Arc::new(CalendarChange::ClosureCancelled { closure: ClosureId::parse("migration").unwrap() });
        cal.apply((4, 0, 4), &cancel);
        assert_eq!(cal.capacity(day("2020-05-28")), 10);
        cal.undo((4, 0, 4), &cancel);
        cal.undo((3, 0, 3), &second);
        assert_eq!(cal.capacity(day("2020-05-27")), 0);
        assert_eq!(cal.capacity(day("2020-06-02")), 0);
        assert_eq!(cal.capacity(day("2020-06-03")), 10);
    }
}
