//! The headline figures of one office on one day, with the change against seven days earlier: what `wartezeit
//! summary`, the API's `/summary` and the management page's tiles show.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};

use crate::domain::id::{OfficeId, ServiceId};
use crate::projection::{DayRow, Projection};

/// A figure today and seven days earlier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Change<T> {
    pub today: T,
    pub seven_days_earlier: T,
}

/// The headline figures of `office` as of `as_of`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Summary {
    pub office: OfficeId,
    /// The office's display name (`office_described`), if it has one.
    pub office_name: Option<String>,
    pub as_of: NaiveDate,
    pub backlog: Change<u32>,
    pub displaced: Change<u32>,
    pub next_available_days: Change<Option<u32>>,
    pub third_next_available_days: Change<Option<u32>>,
    /// Nearest-rank p50 of the realized waits of bookings made on as_of − 6 … as_of.
    pub realized_wait_p50_days_7d: Change<Option<u32>>,
    /// Nearest-rank p90 of the same.
    pub realized_wait_p90_days_7d: Change<Option<u32>>,
    /// The full row of `as_of`.
    pub today: DayRow,
    /// The display names of the services in `today.backlog_by_service` that have one.
    pub service_names: BTreeMap<ServiceId, String>,
}

pub(crate) fn summarize(projection: &Projection, office: &OfficeId, as_of: NaiveDate) -> Summary {
    let earlier = as_of.checked_sub_days(Days::new(7)).unwrap_or(as_of);
    let today = projection.row(office, as_of);
    let before = projection.row(office, earlier);
    let (p50, p90) = projection.pooled_realized_wait(office, as_of, 7);
    let (p50_before, p90_before) = projection.pooled_realized_wait(office, earlier, 7);
    let change = |f: fn(&DayRow) -> u32| Change { today: f(&today), seven_days_earlier: f(&before) };
    let change_opt = |f: fn(&DayRow) -> Option<u32>| Change { today: f(&today), seven_days_earlier: f(&before) };
    Summary {
        office: office.clone(),
        office_name: projection.names().office(office).map(|o| o.name.clone()),
        as_of,
        backlog: change(|r| r.backlog),
        displaced: change(|r| r.displaced),
        next_available_days: change_opt(|r| r.next_available_days),
        third_next_available_days: change_opt(|r| r.third_next_available_days),
        realized_wait_p50_days_7d: Change { today: p50, seven_days_earlier: p50_before },
        realized_wait_p90_days_7d: Change { today: p90, seven_days_earlier: p90_before },
        service_names: projection.service_names(office, today.backlog_by_service.keys()),
        today,
    }
}
