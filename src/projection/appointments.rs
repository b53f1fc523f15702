//! The appointments of one office and the counters the figures read: booked slots per day, open appointments per
//! slot day, the backlog in total and per service.
//!
//! Every change goes through "take the appointment's contribution out, change it, put it back", so applying and
//! undoing an event are the same small, obviously symmetric step.
//!
//! displaced(o) is kept as a count too: an appointment's contribution depends on the capacity of its slot day, so
//! [`Appointments::set`] reads the calendar, and a calendar change recounts the open appointments on the days it
//! touches ([`Appointments::displaced_within`] before and after it). Walking every open slot day instead made each
//! computed row cost what the history holds.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use crate::projection::calendar::Calendar;
use crate::projection::counts::DayCounts;

/// Where an appointment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum Status {
    /// Known to the log but its booking has not been applied (yet) in business time.
    Unbooked,
    Open,
    Cancelled,
    Attended,
    Missed,
}

impl Status {
    /// Cancelled, attended or missed: nothing follows.
    pub(crate) fn has_ended(self) -> bool {
        matches!(self, Status::Cancelled | Status::Attended | Status::Missed)
    }
}

/// One appointment's current state.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub(crate) struct Appointment {
    pub(crate) service: u16,
    pub(crate) slot_day: i32,
    pub(crate) status: Status,
}

/// All appointments of an office, addressed by a dense index, and the counters over them.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Appointments {
    all: Vec<Appointment>,
    /// booked(o, d): appointments not cancelled whose current slot lies on d.
    booked: DayCounts,
    /// Open (backlog) appointments per slot day; sparse because displaced() walks it.
    open: BTreeMap<i32, u32>,
    /// Open appointments per service index.
    backlog_by_service: Vec<u32>,
    backlog: u32,
    /// displaced(o): open appointments whose slot day has capacity 0 in the calendar applied alongside.
    displaced: u32,
}

impl Appointments {
    /// Registers a new appointment (not yet booked in business time) and returns its index.
    pub(crate) fn register(&mut self, service: u16, slot_day: i32) -> u32 {
        self.all.push(Appointment { service, slot_day, status: Status::Unbooked });
        (self.all.len() - 1) as u32
    }

    /// How many appointments are registered.
    pub(crate) fn len(&self) -> usize {
        self.all.len()
    }

    /// The appointment at `index`.
    pub(crate) fn get(&self, index: u32) -> Appointment {
        self.all[index as usize]
    }

    /// Sets the appointment's slot day and status, keeping every counter in step; `calendar` is the calendar as
    /// of the same moment.
    pub(crate) fn set(&mut self, index: u32, slot_day: i32, status: Status, calendar: &Calendar) {
        let old = self.all[index as usize];
        self.count(old, -1, calendar);
        let new = Appointment { slot_day, status, ..old };
        self.count(new, 1, calendar);
        self.all[index as usize] = new;
    }

    fn count(&mut self, a: Appointment, sign: i32, calendar: &Calendar) {
        if a.status == Status::Open && calendar.capacity(a.slot_day) == 0 {
            self.displaced = self.displaced.wrapping_add_signed(sign);
        }
        if matches!(a.status, Status::Open | Status::Attended | Status::Missed) {
            self.booked.add(a.slot_day, sign);
        }
        if a.status == Status::Open {
            let service = a.service as usize;
            if self.backlog_by_service.len() <= service {
                self.backlog_by_service.resize(service + 1, 0);
            }
            let open = self.open.entry(a.slot_day).or_default();
            if sign > 0 {
                *open += 1;
                self.backlog_by_service[service] += 1;
                self.backlog += 1;
            } else {
                *open -= 1;
                if *open == 0 {
                    self.open.remove(&a.slot_day);
                }
                self.backlog_by_service[service] -= 1;
                self.backlog -= 1;
            }
        }
    }

    /// booked(o, day).
    pub(crate) fn booked(&self, day: i32) -> u32 {
        self.booked.get(day).max(0) as u32
    }

    /// backlog(o).
    pub(crate) fn backlog(&self) -> u32 {
        self.backlog
    }

    /// The backlog per service index (zeros included).
    pub(crate) fn backlog_by_service(&self) -> &[u32] {
        &self.backlog_by_service
    }

    /// displaced(o).
    pub(crate) fn displaced(&self) -> u32 {
        self.displaced
    }

    /// The open appointments on the days of `days` whose capacity in `calendar` is 0.
    pub(crate) fn displaced_within(&self, days: RangeInclusive<i32>, calendar: &Calendar) -> u32 {
        if days.is_empty() {
            return 0;
        }
        self.open.range(days).filter(|(d, _)| calendar.capacity(**d) == 0).map(|(_, n)| *n).sum()
    }

    /// Takes in a calendar change: `before` and `after` are [`Appointments::displaced_within`] the days it touched,
    /// counted before and after it.
    pub(crate) fn recount_displaced(&mut self, before: u32, after: u32) {
        self.displaced = self.displaced - before + after;
    }

    /// Open appointments per slot day, in day order.
    #[cfg(test)]
    pub(crate) fn open_by_day(&self) -> impl Iterator<Item = (i32, u32)> + '_ {
        self.open.iter().map(|(d, n)| (*d, *n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attended_and_missed_keep_their_slot_but_leave_the_backlog() {
        let mut a = Appointments::default();
        let x = a.register(0, 100);
        let y = a.register(1, 100);
        a.set(x, 100, Status::Open, &Calendar::default());
        a.set(y, 100, Status::Open, &Calendar::default());
        assert_eq!((a.booked(100), a.backlog()), (2, 2));
        a.set(x, 100, Status::Attended, &Calendar::default());
        a.set(y, 100, Status::Missed, &Calendar::default());
        assert_eq!((a.booked(100), a.backlog()), (2, 0));
        assert_eq!(a.open_by_day().count(), 0);
    }

    #[test]
    fn cancelled_frees_the_slot_and_undo_restores_it() {
        let mut a = Appointments::default();
        let x = a.register(0, 100);
        a.set(x, 100, Status::Open, &Calendar::default());
        a.set(x, 105, Status::Open, &Calendar::default());
        assert_eq!((a.booked(100), a.booked(105)), (0, 1));
        a.set(x, 105, Status::Cancelled, &Calendar::default());
        assert_eq!((a.booked(105), a.backlog()), (0, 0));
        a.set(x, 105, Status::Open, &Calendar::default());
        assert_eq!((a.booked(105), a.backlog(), a.backlog_by_service()[0]), (1, 1, 1));
    }
}
