//! One office's projection: its events in business-time order, its capacity calendar, and a row per day.

use chrono::NaiveDate;

use crate::domain::event::{ClosureCause, Event};
use crate::domain::id::OfficeId;
use crate::projection::row::DayRow;
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

/// One office's events and figures.
#[derive(Debug, Clone)]
pub(crate) struct OfficeProjection {
    id: OfficeId,
    config: Config,
}

impl OfficeProjection {
    pub(crate) fn new(id: OfficeId, config: Config) -> Self {
        OfficeProjection { id, config }
    }

    pub(crate) fn id(&self) -> &OfficeId {
        &self.id
    }

    pub(crate) fn apply(&mut self, _position: u64, _event: &Event) {
        todo!()
    }

    pub(crate) fn info(&self) -> Option<OfficeInfo> {
        todo!()
    }

    pub(crate) fn series(&self, _from: NaiveDate, _to: NaiveDate) -> Vec<DayRow> {
        todo!()
    }

    pub(crate) fn snapshot(&self, _as_of: NaiveDate, _days: u32) -> CalendarSnapshot {
        todo!()
    }

    pub(crate) fn periods(&self, _as_of: NaiveDate) -> Vec<NamedPeriod> {
        todo!()
    }
}
