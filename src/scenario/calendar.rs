//! The simulated office's booking calendar: what it knows of plans, closures and holidays, and which slots of each
//! day are taken.
//!
//! It answers capacity, booked and free exactly as docs/events.md defines them for the events the simulation has emitted
//! so far, so "the first free slot from the next day on" here is the same day the projection would call free, and
//! the figures recorded at the end of a day are the projection's figures as of that day.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Days, NaiveDate};

use crate::domain::event::WeeklySlots;

/// Slots of one day: which slot indices are taken, and how many.
#[derive(Debug, Clone, Default)]
struct DaySlots {
    taken: Vec<bool>,
    count: u32,
}

/// The calendar of one office, from `first` for a fixed number of days.
#[derive(Debug, Clone)]
pub(crate) struct Calendar {
    first: NaiveDate,
    /// Plans in the order they were declared; the latest of equal `effective_from` wins, as docs/events.md says.
    plans: Vec<(NaiveDate, WeeklySlots)>,
    closures: BTreeMap<String, (NaiveDate, NaiveDate)>,
    holidays: BTreeSet<NaiveDate>,
    days: Vec<DaySlots>,
}

impl Calendar {
    /// An empty calendar of `len` days from `first`.
    pub(crate) fn new(first: NaiveDate, len: usize) -> Self {
        Calendar {
            first,
            plans: Vec::new(),
            closures: BTreeMap::new(),
            holidays: BTreeSet::new(),
            days: vec![DaySlots::default(); len],
        }
    }

    /// How many days it covers.
    pub(crate) fn len(&self) -> usize {
        self.days.len()
    }

    /// The date of day index `day`.
    pub(crate) fn date(&self, day: usize) -> NaiveDate {
        self.first.checked_add_days(Days::new(day as u64)).expect("calendar dates are in range")
    }

    /// The index of `date`, if the calendar covers it.
    pub(crate) fn index(&self, date: NaiveDate) -> Option<usize> {
        let i = usize::try_from((date - self.first).num_days()).ok()?;
        (i < self.days.len()).then_some(i)
    }

    pub(crate) fn plan(&mut self, effective_from: NaiveDate, slots: WeeklySlots) {
        self.plans.push((effective_from, slots));
    }

    /// Declares a closure, replacing an earlier range of the same id.
    pub(crate) fn close(&mut self, id: &str, first_day: NaiveDate, last_day: NaiveDate) {
        self.closures.insert(id.to_string(), (first_day, last_day));
    }

    pub(crate) fn holiday(&mut self, date: NaiveDate) {
        self.holidays.insert(date);
    }

    /// The slots the plan in force gives `day`, before closures and holidays.
    pub(crate) fn planned(&self, day: usize) -> u32 {
        let date = self.date(day);
        let weekday = date.weekday().num_days_from_monday() as usize;
        // `max_by_key` returns the last of equal keys, i.e. the latest declared.
        self.plans.iter().filter(|(from, _)| *from <= date).max_by_key(|(from, _)| *from).map_or(0, |(_, s)| s[weekday])
            as u32
    }

    /// Whether a public holiday falls on `day`.
    pub(crate) fn is_holiday(&self, day: usize) -> bool {
        self.holidays.contains(&self.date(day))
    }

    /// Whether a holiday or a closure shuts the office on `day`.
    pub(crate) fn shut(&self, day: usize) -> bool {
        let date = self.date(day);
        self.holidays.contains(&date) || self.closures.values().any(|(a, b)| *a <= date && date <= *b)
    }

    /// capacity(o, d) of docs/events.md.
    pub(crate) fn capacity(&self, day: usize) -> u32 {
        if self.shut(day) { 0 } else { self.planned(day) }
    }

    /// booked(o, d): appointments whose slot lies on `day` and that are not cancelled.
    pub(crate) fn booked(&self, day: usize) -> u32 {
        self.days[day].count
    }

    /// free(o, d) = max(0, capacity − booked).
    pub(crate) fn free(&self, day: usize) -> u32 {
        self.capacity(day).saturating_sub(self.booked(day))
    }

    /// The first free slot on a day in `from..=last`: its day and the lowest slot index not taken.
    pub(crate) fn first_free(&self, from: usize, last: usize) -> Option<(usize, usize)> {
        let last = last.min(self.days.len().saturating_sub(1));
        (from..=last).find(|d| self.free(*d) > 0).map(|day| {
            let capacity = self.capacity(day) as usize;
            let taken = &self.days[day].taken;
            // Fewer than `capacity` slots are taken, so one index below it is free.
            let slot =
                (0..capacity).find(|i| !taken.get(*i).copied().unwrap_or(false)).expect("a free day has a free index");
            (day, slot)
        })
    }

    pub(crate) fn take(&mut self, day: usize, slot: usize) {
        let d = &mut self.days[day];
        if d.taken.len() <= slot {
            d.taken.resize(slot + 1, false);
        }
        debug_assert!(!d.taken[slot], "slot {slot} of day {day} taken twice");
        d.taken[slot] = true;
        d.count += 1;
    }

    pub(crate) fn release(&mut self, day: usize, slot: usize) {
        let d = &mut self.days[day];
        debug_assert!(d.taken[slot], "slot {slot} of day {day} released but not taken");
        d.taken[slot] = false;
        d.count -= 1;
    }

    /// next_available_days as of day `today`: the smallest k in 1..=horizon with free(today + k) > 0.
    pub(crate) fn next_available(&self, today: usize, horizon: usize) -> Option<u32> {
        (1..=horizon).take_while(|k| today + k < self.days.len()).find(|k| self.free(today + k) > 0).map(|k| k as u32)
    }

    /// third_next_available_days as of day `today`: the smallest k with free(today+1) + … + free(today+k) ≥ 3.
    pub(crate) fn third_next_available(&self, today: usize, horizon: usize) -> Option<u32> {
        let mut sum = 0;
        for k in (1..=horizon).take_while(|k| today + k < self.days.len()) {
            sum += self.free(today + k);
            if sum >= 3 {
                return Some(k as u32);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn closures_and_holidays_shut_and_bookings_fill_from_the_front() {
        // 2020-06-01 is a Monday.
        let mut c = Calendar::new(date("2020-06-01"), 14);
        c.plan(date("2020-06-01"), [2, 2, 2, 2, 1, 0, 0]);
        c.holiday(date("2020-06-11"));
        c.close("m", date("2020-06-02"), date("2020-06-02"));
        assert_eq!(c.capacity(0), 2);
        assert_eq!(c.capacity(1), 0);
        assert_eq!(c.capacity(10), 0);
        assert_eq!(c.first_free(1, 13), Some((2, 0)));
        c.take(2, 0);
        c.take(2, 1);
        assert_eq!(c.first_free(1, 13), Some((3, 0)));
        c.release(2, 0);
        assert_eq!(c.first_free(1, 13), Some((2, 0)));
        // As of Monday: Tuesday shut, Wednesday has one free slot.
        assert_eq!(c.next_available(0, 365), Some(2));
        assert_eq!(c.third_next_available(0, 365), Some(3));
        // Replacing the closure's range reopens Tuesday.
        c.close("m", date("2020-06-05"), date("2020-06-05"));
        assert_eq!(c.next_available(0, 365), Some(1));
        assert_eq!(c.capacity(4), 0);
    }

    #[test]
    fn a_later_plan_of_the_same_day_wins() {
        let mut c = Calendar::new(date("2020-06-01"), 7);
        c.plan(date("2020-06-01"), [5; 7]);
        c.plan(date("2020-06-03"), [3; 7]);
        c.plan(date("2020-06-03"), [4; 7]);
        assert_eq!(c.capacity(1), 5);
        assert_eq!(c.capacity(2), 4);
    }
}
