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
//! The open days of the first [`CATCH_UP_DAYS`] after a closure (a run of more than [`ORDINARY_GAP_DAYS`] closed
//! days) are left out of the window, and so are the closed days among them in the weekend fallback: the demand
//! piled up during a closure is booked then, and it is not the demand of an ordinary day (see the module docs of
//! [`crate::forecast`] for the 2020 scenario). Only when the history holds no other open day are they used.
//!
//! A known policy that makes a service appointment-free removes that service's bookings from each pooled day from
//! the day before it takes effect on (see [`ServiceInputs`] and `demand_variants`).
//!
//! The cancellation rate of a weekday is pooled over the same days: Σ cancellations ÷ Σ backlog at the end of the
//! day before, i.e. the daily hazard that one booked appointment is cancelled. The no-show rate is
//! Σ no_shows ÷ (Σ no_shows + Σ served_appointments) over the window's open days.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use std::collections::BTreeMap;

use crate::domain::id::ServiceId;
use crate::forecast::{ForecastConfig, ForecastError};
use crate::projection::{DayRow, PolicyChange};

/// The longest run of closed days that still counts as an ordinary weekend or holiday gap (Good Friday to Easter
/// Monday is four); longer runs are closures.
pub const ORDINARY_GAP_DAYS: usize = 4;

/// How many days after the end of a closure (a run of more than [`ORDINARY_GAP_DAYS`] closed days) the open days
/// count as catch-up and are left out of the window: a week.
pub const CATCH_UP_DAYS: usize = 7;

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
    /// Open days passed over as catch-up after a closure (the first week after reopening), newest first.
    pub catch_up_days_skipped: Vec<NaiveDate>,
    /// Services whose bookings the forecast leaves out from a day on, because a policy known at the as-of day makes
    /// them appointment-free.
    pub dropped_demand: Vec<DroppedDemand>,
}

/// What the forecast knows per service besides the daily rows: the bookings split by service and the policies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceInputs {
    /// The bookings of each history day per service, one map per row of the history (same days, same order).
    /// Empty: no split known, and policies cannot move the demand.
    pub bookings: Vec<BTreeMap<ServiceId, u32>>,
    /// The `policy_changed` events known at the as-of day, in order of (`at`, position).
    pub policies: Vec<PolicyChange>,
}

impl ServiceInputs {
    /// Reads the split of the bookings from `from` to `as_of` and the policies known as of `as_of` of `office`.
    pub fn take(
        projection: &crate::projection::Projection,
        office: &crate::domain::id::OfficeId,
        from: NaiveDate,
        as_of: NaiveDate,
    ) -> Self {
        ServiceInputs {
            bookings: projection.bookings_by_service(office, from, as_of),
            policies: projection.policies(office, as_of),
        }
    }

    /// Whether `service` needs an appointment on `day` under the known policies: the policy with the greatest
    /// `effective_from` ≤ `day` (ties: the later event); a service without one needs an appointment.
    pub fn appointment_required(&self, service: &ServiceId, day: NaiveDate) -> bool {
        let mut best: Option<&PolicyChange> = None;
        for p in self.policies.iter().filter(|p| p.service == *service && p.effective_from <= day) {
            if best.is_none_or(|b| b.effective_from <= p.effective_from) {
                best = Some(p);
            }
        }
        best.is_none_or(|p| p.appointment_required)
    }
}

/// A service whose demand the forecast leaves out from a day on: a known policy makes it appointment-free.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DroppedDemand {
    #[schema(value_type = String)]
    pub service: ServiceId,
    /// The first simulated day without its bookings: the day before the policy's `effective_from` (a booking made
    /// that day lands on it or later), or the day after the as-of day.
    pub from: NaiveDate,
    /// Its mean bookings per open day of the window, which the forecast no longer resamples from then on.
    pub mean_bookings_per_open_day: f64,
}

/// The demand pools, flattened: `values[v * n + ranges[w].0 .. v * n + ranges[w].1]` are the bookings to draw
/// from on weekday `w` in variant `v` (n = the length of one variant). Variant 0 is every service's bookings; the
/// others leave out the services that a known policy makes appointment-free; `variant_of_day[c]` says which one
/// simulated day c uses.
#[derive(Debug, Clone)]
pub(crate) struct Pools {
    pub(crate) values: Vec<u32>,
    pub(crate) ranges: [(u32, u32); 7],
    pub(crate) cancellation_rate: [f64; 7],
    /// The length of one variant.
    pub(crate) len: u32,
    /// Per simulated day, the offset (v * len) of its variant.
    pub(crate) offset_of_day: Vec<u32>,
}

/// Checks the history and fits the pools and rates. `history` must be consecutive days ending at `as_of`.
pub(crate) fn fit(
    history: &[DayRow],
    services: &ServiceInputs,
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

    if !services.bookings.is_empty() && services.bookings.len() != history.len() {
        return Err(ForecastError::ServiceSplitMismatch { rows: history.len(), split: services.bookings.len() });
    }

    let weekday = |i: usize| history[i].date.weekday().num_days_from_monday() as usize;
    // gap[i]: the length of the run of closed days that day i belongs to (0 for an open day).
    let mut gap = vec![0usize; history.len()];
    let mut i = 0;
    while i < history.len() {
        let run = history[i..].iter().take_while(|row| row.capacity == 0).count();
        gap[i..i + run].fill(run);
        i += run.max(1);
    }
    // catch_up[i]: day i lies within CATCH_UP_DAYS after the last day of a closure.
    let mut catch_up = vec![false; history.len()];
    let mut since_closure = usize::MAX;
    for i in 0..history.len() {
        if gap[i] > ORDINARY_GAP_DAYS {
            since_closure = 0;
        } else if since_closure != usize::MAX {
            since_closure += 1;
            catch_up[i] = since_closure <= CATCH_UP_DAYS;
        }
    }

    // Indices into `history` of the window's open days, oldest first: ordinary ones, unless the history holds
    // none but catch-up days.
    let window = config.window_open_days as usize;
    let ordinary = (0..history.len()).rev().filter(|&i| history[i].capacity > 0 && !catch_up[i]);
    let mut open: Vec<usize> = ordinary.take(window).collect();
    if open.is_empty() {
        open = (0..history.len()).rev().filter(|&i| history[i].capacity > 0).take(window).collect();
    }
    open.reverse();
    // The catch-up days inside the window's span, passed over.
    let span_start = open.first().copied().unwrap_or(history.len());
    let skipped: Vec<NaiveDate> = (span_start..history.len())
        .rev()
        .filter(|&i| catch_up[i] && history[i].capacity > 0 && !open.contains(&i))
        .map(|i| history[i].date)
        .collect();
    let (Some(&first), Some(&last)) = (open.first(), open.last()) else {
        return Err(ForecastError::NoOpenDay { as_of, days: history.len() });
    };

    // The backlog at the end of the day before row i: the appointments at risk of cancellation on day i.
    let at_risk = |i: usize| if i == 0 { history[0].backlog } else { history[i - 1].backlog };

    let mut days_of_weekday: [Vec<usize>; 7] = Default::default();
    let mut ranges = [(0, 0); 7];
    let mut cancellation_rate = [0.0; 7];
    let mut bookings_by_weekday = [0.0; 7];
    for (w, range) in ranges.iter_mut().enumerate() {
        let open_days: Vec<usize> = open.iter().copied().filter(|&i| weekday(i) == w).collect();
        let days = if !open_days.is_empty() {
            open_days
        } else {
            let span: Vec<usize> = (first..history.len())
                .filter(|&i| weekday(i) == w && gap[i] <= ORDINARY_GAP_DAYS && !catch_up[i])
                .collect();
            if span.is_empty() { open.clone() } else { span }
        };
        let start = days_of_weekday[..w].iter().map(Vec::len).sum::<usize>() as u32;
        *range = (start, start + days.len() as u32);
        let bookings: u64 = days.iter().map(|&i| history[i].bookings as u64).sum();
        bookings_by_weekday[w] = bookings as f64 / days.len() as f64;
        let cancelled: u64 = days.iter().map(|&i| history[i].cancellations as u64).sum();
        let exposed: u64 = days.iter().map(|&i| at_risk(i) as u64).sum();
        cancellation_rate[w] = if exposed == 0 { 0.0 } else { (cancelled as f64 / exposed as f64).min(1.0) };
        days_of_weekday[w] = days;
    }
    let pool_days: Vec<usize> = days_of_weekday.concat();
    let (values, offset_of_day, dropped_demand) = demand_variants(history, services, &pool_days, &open, as_of, config);

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
        catch_up_days_skipped: skipped,
        dropped_demand,
    };
    let len = pool_days.len() as u32;
    Ok((Pools { values, ranges, cancellation_rate, len, offset_of_day }, observed))
}

/// The pool values of every variant (see [`Pools`]) and the variant offset of each simulated day, with the
/// services left out. A booking made on simulated day t lands on t + 1 at the earliest, so a service is left out
/// on day t when it needs no appointment on t + 1 under the policies known at the as-of day. Its bookings in the
/// window are subtracted day by day, so a day's pool value stays a day that really happened, less that service.
fn demand_variants(
    history: &[DayRow],
    services: &ServiceInputs,
    pool_days: &[usize],
    open: &[usize],
    as_of: NaiveDate,
    config: &ForecastConfig,
) -> (Vec<u32>, Vec<u32>, Vec<DroppedDemand>) {
    let mut values: Vec<u32> = pool_days.iter().map(|&i| history[i].bookings).collect();
    let horizon = config.horizon_days as usize;
    let mut offset_of_day = vec![0u32; horizon];
    let mut dropped = Vec::new();
    if services.bookings.is_empty() {
        return (values, offset_of_day, dropped);
    }
    let seen: std::collections::BTreeSet<&ServiceId> =
        pool_days.iter().flat_map(|&i| services.bookings[i].keys()).collect();
    // The set of services left out on each simulated day; consecutive equal sets share a variant.
    let mut variants: Vec<Vec<&ServiceId>> = vec![Vec::new()];
    for (c, offset) in offset_of_day.iter_mut().enumerate() {
        let landing = as_of.checked_add_days(chrono::Days::new(c as u64 + 2)).unwrap_or(NaiveDate::MAX);
        let out: Vec<&ServiceId> =
            seen.iter().copied().filter(|s| !services.appointment_required(s, landing)).collect();
        let v = match variants.iter().position(|v| *v == out) {
            Some(v) => v,
            None => {
                variants.push(out);
                variants.len() - 1
            }
        };
        *offset = (v * pool_days.len()) as u32;
    }
    for out in &variants[1..] {
        values.extend(pool_days.iter().map(|&i| {
            let left_out: u32 = out.iter().map(|s| services.bookings[i].get(*s).copied().unwrap_or(0)).sum();
            history[i].bookings.saturating_sub(left_out)
        }));
    }
    for &service in variants.iter().flatten().collect::<std::collections::BTreeSet<_>>() {
        let c = offset_of_day
            .iter()
            .position(|&o| variants[o as usize / pool_days.len().max(1)].contains(&service))
            .unwrap_or(0);
        let total: u32 = open.iter().map(|&i| services.bookings[i].get(service).copied().unwrap_or(0)).sum();
        dropped.push(DroppedDemand {
            service: service.clone(),
            from: as_of.checked_add_days(chrono::Days::new(c as u64 + 1)).unwrap_or(NaiveDate::MAX),
            mean_bookings_per_open_day: total as f64 / open.len().max(1) as f64,
        });
    }
    (values, offset_of_day, dropped)
}
