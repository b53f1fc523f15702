//! One day's figures for one office, as docs/events.md defines them; the row of `wartezeit series` and the API.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::domain::id::ServiceId;

/// The figures of office o as of day `date`. Counts are of appointments (or events) and waits are in days.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct DayRow {
    pub date: NaiveDate,
    /// Appointments booked and not yet cancelled, attended or missed.
    pub backlog: u32,
    /// The backlog per service; services with none are left out.
    pub backlog_by_service: BTreeMap<ServiceId, u32>,
    /// Backlog appointments whose current slot lies on a day with capacity 0.
    pub displaced: u32,
    /// `appointment_booked` events with date(at) = date.
    pub bookings: u32,
    /// `appointment_attended` events with date(at) = date.
    pub served_appointments: u32,
    /// `walk_in_served` events with date(at) = date.
    pub served_walk_in: u32,
    /// `appointment_cancelled` events with date(at) = date.
    pub cancellations: u32,
    /// `appointment_missed` events with date(at) = date.
    pub no_shows: u32,
    /// capacity(o, date).
    pub capacity: u32,
    /// booked(o, date).
    pub booked: u32,
    /// The smallest k in 1..=H with free(o, date+k) > 0.
    pub next_available_days: Option<u32>,
    /// The smallest k in 1..=H with free(o, date+1) + … + free(o, date+k) ≥ 3.
    pub third_next_available_days: Option<u32>,
    /// Nearest-rank median of date(slot at booking) − date over the bookings of the day.
    pub realized_wait_p50_days: Option<u32>,
    /// Nearest-rank 90th percentile of the same.
    pub realized_wait_p90_days: Option<u32>,
}

/// The nearest-rank percentile of docs/events.md: sort ascending, take the value at index ⌈p·n⌉ − 1; `None` when empty.
/// `sorted` must be sorted ascending; `percent` is p·100 (50 or 90), an integer so that ⌈p·n⌉ is exact.
pub fn nearest_rank(sorted: &[u32], percent: u32) -> Option<u32> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let rank = (percent as usize * n).div_ceil(100).max(1);
    Some(sorted[rank - 1])
}

#[cfg(test)]
mod tests {
    use super::nearest_rank;

    #[test]
    fn nearest_rank_with_one_two_and_ten_values() {
        assert_eq!(nearest_rank(&[], 50), None);
        assert_eq!(nearest_rank(&[4], 50), Some(4));
        assert_eq!(nearest_rank(&[4], 90), Some(4));
        // n = 2: ⌈1.0⌉ − 1 = 0 for p50, ⌈1.8⌉ − 1 = 1 for p90.
        assert_eq!(nearest_rank(&[3, 9], 50), Some(3));
        assert_eq!(nearest_rank(&[3, 9], 90), Some(9));
        // n = 10: ⌈5⌉ − 1 = 4 for p50, ⌈9⌉ − 1 = 8 for p90.
        let ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        assert_eq!(nearest_rank(&ten, 50), Some(5));
        assert_eq!(nearest_rank(&ten, 90), Some(9));
    }
}
