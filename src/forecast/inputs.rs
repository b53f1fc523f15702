//! What the forecast learns from the observed days: the demand pools by weekday, the cancellation and no-show
//! rates, and the starting point (backlog, wait) of the as-of day.
//!
//! The window is the last [`ForecastConfig::window_open_days`] *open* days (capacity > 0) up to and including the
//! as-of day, so that a lockdown does not teach the model that nobody books. Each weekday's pool holds the bookings
//! of the window's open days of that weekday. A weekday with no open day in the window (Saturday, Sunday at most
//! offices) takes the days of that weekday inside the window's span instead, closed as they are: their bookings are
//! the online bookings that really happen on such days, and resampling weekday demand for them would invent a
//! sixth and seventh day of weekday demand. Only the closed days of an ordinary gap count there — a run of at most
//! [`ORDINARY_GAP_DAYS`] closed days, a weekend or a long holiday weekend — not the weekends inside a closure: the
//! weekends of a lockdown, when nobody could book, would otherwise teach the model weekends without bookings, and
//! the cancellations of those weekends would then leave single slots free that nobody rebooks. Only when the span
//! has no such day of that weekday (a span shorter than a week) does the pool fall back to every open day.
//!
//! The cancellation rate of a weekday is pooled over the same days: Σ cancellations ÷ Σ backlog at the end of the
//! day before, i.e. the daily hazard that one booked appointment is cancelled. The no-show rate is
//! Σ no_shows ÷ (Σ no_shows + Σ served_appointments) over the window's open days.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::forecast::{ForecastConfig, ForecastError};
use crate::projection::DayRow;

/// The longest run of closed days that still counts as an ordinary weekend or holiday gap (Good Friday to Easter
/// Monday is four); longer runs are closures.
pub const ORDINARY_GAP_DAYS: usize = 4;

/// The figures the forecast was fitted on, shown alongside it so a reader can check them.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Observed {
    /// The first of the open days whose demand is resampled.
    pub window_first_day: NaiveDate,
    /// The last of them (the as-of day when it was open).
    pub window_last_day: NaiveDate,
    /// How many open days the window holds (fewer than asked when the history has fewer).
    pub open_days: u32,
    /// Mean bookings per day, by weekday (Monday first), as resampled.
    #[schema(value_type = Vec<f64>)]
    pub bookings_by_weekday: [f64; 7],
    /// Daily probability that a booked appointment is cancelled, by weekday (Monday first).
    #[schema(value_type = Vec<f64>)]
    pub cancellation_rate_by_weekday: [f64; 7],
    /// Share of ended appointments that were no-shows. It moves no figure of the forecast: a missed appointment
    /// uses its slot up just as an attended one does (DOMAIN.md), and the re-bookings of those who missed are
    /// already inside the observed bookings.
    pub no_show_rate: f64,
    /// backlog(o, as_of).
    pub backlog: u32,
    /// next_available_days(o, as_of); `None` when no slot is free within H days.
    pub next_available_days: Option<u32>,
    /// third_next_available_days(o, as_of); `None` when there are not three free slots within H days.
    pub third_next_available_days: Option<u32>,
    /// Mean capacity per calendar day over the 28 days after the as-of day, as planned then.
    pub mean_daily_capacity: f64,
}

/// The demand pools, flattened: `values[ranges[w].0..ranges[w].1]` are the bookings to draw from on weekday `w`.
#[derive(Debug, Clone)]
pub(crate) struct Pools {
    pub(crate) values: Vec<u32>,
    pub(crate) ranges: [(u32, u32); 7],
    pub(crate) cancellation_rate: [f64; 7],
}

/// Checks the history and fits the pools and rates. `history` must be consecutive days ending at `as_of`.
pub(crate) fn fit(
    history: &[DayRow],
    as_of: NaiveDate,
    capacity_ahead: &[u32],
    config: &ForecastConfig,
) -> Result<(Pools, Observed), ForecastError> {
    let today = match history.last() {
        Some(row) if row.date == as_of => row,
        Some(row) => return Err(ForecastError::HistoryEndsElsewhere { last: row.date, as_of }),
        None => return Err(ForecastError::EmptyHistory { as_of }),
    };
    for pair in history.windows(2) {
        if pair[0].date.succ_opt() != Some(pair[1].date) {
            return Err(ForecastError::HistoryGap { after: pair[0].date, found: pair[1].date });
        }
    }

    // Indices into `history` of the window's open days, oldest first.
    let mut open: Vec<usize> =
        (0..history.len()).rev().filter(|&i| history[i].capacity > 0).take(config.window_open_days as usize).collect();
    open.reverse();
    let (Some(&first), Some(&last)) = (open.first(), open.last()) else {
        return Err(ForecastError::NoOpenDay { as_of, days: history.len() });
    };

    let weekday = |i: usize| history[i].date.weekday().num_days_from_monday() as usize;
    // gap[i]: the length of the run of closed days that day i belongs to (0 for an open day).
    let mut gap = vec![0usize; history.len()];
    let mut i = 0;
    while i < history.len() {
        let run = history[i..].iter().take_while(|row| row.capacity == 0).count();
        gap[i..i + run].fill(run);
        i += run.max(1);
    }
    // The backlog at the end of the day before row i: the appointments at risk of cancellation on day i.
    let at_risk = |i: usize| if i == 0 { history[0].backlog } else { history[i - 1].backlog };

    let mut values = Vec::new();
    let mut ranges = [(0, 0); 7];
    let mut cancellation_rate = [0.0; 7];
    let mut bookings_by_weekday = [0.0; 7];
    for (w, range) in ranges.iter_mut().enumerate() {
        let open_days: Vec<usize> = open.iter().copied().filter(|&i| weekday(i) == w).collect();
        let days = if !open_days.is_empty() {
            open_days
        } else {
            let span: Vec<usize> =
                (first..history.len()).filter(|&i| weekday(i) == w && gap[i] <= ORDINARY_GAP_DAYS).collect();
            if span.is_empty() { open.clone() } else { span }
        };
        let start = values.len() as u32;
        values.extend(days.iter().map(|&i| history[i].bookings));
        *range = (start, values.len() as u32);
        let bookings: u64 = days.iter().map(|&i| history[i].bookings as u64).sum();
        bookings_by_weekday[w] = bookings as f64 / days.len() as f64;
        let cancelled: u64 = days.iter().map(|&i| history[i].cancellations as u64).sum();
        let exposed: u64 = days.iter().map(|&i| at_risk(i) as u64).sum();
        cancellation_rate[w] = if exposed == 0 { 0.0 } else { (cancelled as f64 / exposed as f64).min(1.0) };
    }

    let no_shows: u64 = open.iter().map(|&i| history[i].no_shows as u64).sum();
    let served: u64 = open.iter().map(|&i| history[i].served_appointments as u64).sum();
    let no_show_rate = if no_shows + served == 0 { 0.0 } else { no_shows as f64 / (no_shows + served) as f64 };

    let ahead = &capacity_ahead[..capacity_ahead.len().min(28)];
    let mean_daily_capacity =
        if ahead.is_empty() { 0.0 } else { ahead.iter().map(|&c| c as f64).sum::<f64>() / ahead.len() as f64 };

    let observed = Observed {
        window_first_day: history[first].date,
        window_last_day: history[last].date,
        open_days: open.len() as u32,
        bookings_by_weekday,
        cancellation_rate_by_weekday: cancellation_rate,
        no_show_rate,
        backlog: today.backlog,
        next_available_days: today.next_available_days,
        third_next_available_days: today.third_next_available_days,
        mean_daily_capacity,
    };
    Ok((Pools { values, ranges, cancellation_rate }, observed))
}
