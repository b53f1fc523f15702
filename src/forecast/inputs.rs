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
//! Days before a service came to need an appointment (a `policy_changed` known at D that made it need one again)
//! do not hold its bookings, so the window starts on the last such day when at least [`MIN_REGIME_DAYS`] ordinary
//! open days lie after it. On the 2020 scenario every service needs an appointment from the reopening of 27 April;
//! a window of mid-May reaching back to February resampled days on which half the services were walk-ins, and
//! the forecasts of May came out a week too early even with the decisions of June and July laid over them.
//!
//! A known policy that makes a service appointment-free removes that service's bookings from each pooled day from
//! the day before it takes effect on (see [`ServiceInputs`] and `demand_variants`).
//!
//! The cancellation rate of a weekday is pooled over the same days: Σ cancellations ÷ Σ backlog at the end of the
//! day before, i.e. the daily hazard that one booked appointment is cancelled. The no-show rate is
//! Σ no_shows ÷ (Σ no_shows + Σ served_appointments) over the window's open days.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::domain::id::ServiceId;
use crate::forecast::{ForecastConfig, ForecastError};
use crate::projection::{DayRow, PolicyChange, ServiceDay};

/// The longest run of closed days that still counts as an ordinary weekend or holiday gap (Good Friday to Easter
/// Monday is four); longer runs are closures.
pub const ORDINARY_GAP_DAYS: usize = 4;

/// The fewest ordinary open days after the last day a service came to need an appointment for the window to start
/// there (see `fit`); with fewer, the window reaches back before it.
pub const MIN_REGIME_DAYS: usize = 10;

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
    /// Mean bookings per day, by weekday (Monday first), as resampled: without the follow-up services, which are
    /// booked from attended appointments instead ([`Observed::follow_ups`]).
    #[schema(value_type = Vec<f64>)]
    pub bookings_by_weekday: [f64; 7],
    /// Daily probability that a booked appointment is cancelled, by weekday (Monday first).
    #[schema(value_type = Vec<f64>)]
    pub cancellation_rate_by_weekday: [f64; 7],
    /// Share of ended appointments that were no-shows. It moves no figure of the forecast: a missed appointment
    /// uses its slot up just as an attended one does (docs/events.md), and the re-bookings of those who missed are
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
    /// The follow-up visits the forecast books from attended appointments instead of resampling them.
    pub follow_ups: Vec<FollowUpObserved>,
}

/// A service whose visits follow the attended appointments of other services some days later. An identity card or
/// passport is produced by the Bundesdruckerei after the application and must then be picked up in person: each
/// attended application comes back as one pick-up, three to five weeks on ([`FollowUp::id_documents`]).
///
/// The forecast books these visits from the appointments attended up to the as-of day and from the ones it
/// simulates, instead of resampling the follow-up service's past bookings: those follow the applications of five
/// weeks before, and after a closure they are nothing like the ones to come (see [`crate::forecast`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FollowUp {
    /// The services whose attended appointments each lead to one follow-up visit.
    #[schema(value_type = Vec<String>)]
    pub after: Vec<ServiceId>,
    /// The service of the follow-up visit.
    #[schema(value_type = String)]
    pub service: ServiceId,
    /// The follow-up is booked this many days after the attended appointment: uniformly from the first to the last
    /// (inclusive).
    pub lag_days: [u32; 2],
}

impl FollowUp {
    /// German identity documents: `personalausweis` and `reisepass` applications are picked up as
    /// `ausweis-abholung` 21 to 35 days later, the Bundesdruckerei's production and delivery time.
    pub fn id_documents() -> Self {
        let id = |s| ServiceId::parse(s).expect("a valid service id");
        FollowUp {
            after: vec![id("personalausweis"), id("reisepass")],
            service: id("ausweis-abholung"),
            lag_days: [21, 35],
        }
    }

    fn width(&self) -> usize {
        (self.lag_days[1].saturating_sub(self.lag_days[0]) + 1) as usize
    }
}

/// What the forecast took for one follow-up service, shown so a reader can check it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FollowUpObserved {
    pub rule: FollowUp,
    /// Its mean bookings per open day of the window, left out of the resampled demand.
    pub mean_bookings_per_open_day: f64,
    /// Follow-up bookings per ended appointment (attended or missed) of the other services, over the window's open
    /// days: the `after` services' share of those attended there, times the share attended (1 − no-show rate).
    /// The simulated days' appointments come back at this rate, less the follow-up appointments among them.
    pub per_ended_appointment: f64,
    /// The follow-up bookings still to come within the horizon from appointments attended up to the as-of day,
    /// on days it needs an appointment (expected).
    pub expected_from_attended: f64,
    /// The first simulated day on which it needs no appointment under the policies known at the as-of day (its
    /// visits walk in from then on, and are not booked).
    pub appointment_free_from: Option<NaiveDate>,
}

/// What the forecast knows per service besides the daily rows: the bookings and attended appointments split by
/// service, the policies, and which services follow others.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceInputs {
    /// The bookings and attended appointments of each history day per service, one per row of the history (same
    /// days, same order). Empty: no split known, and neither policies nor follow-ups move the demand.
    pub days: Vec<ServiceDay>,
    /// The `policy_changed` events known at the as-of day, in order of (`at`, position).
    pub policies: Vec<PolicyChange>,
    /// The follow-up services the forecast books from attended appointments ([`ForecastConfig::follow_ups`]
    /// switches them off).
    pub follow_ups: Vec<FollowUp>,
}

impl ServiceInputs {
    /// Reads the split per service from `from` to `as_of` and the policies known as of `as_of` of `office`, with
    /// the German identity documents' pick-ups as the follow-up ([`FollowUp::id_documents`]; a log without those
    /// services is not affected).
    pub fn take(
        projection: &crate::projection::Projection,
        office: &crate::domain::id::OfficeId,
        from: NaiveDate,
        as_of: NaiveDate,
    ) -> Self {
        ServiceInputs {
            days: projection.service_days(office, from, as_of),
            policies: projection.policies(office, as_of),
            follow_ups: vec![FollowUp::id_documents()],
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
    /// The follow-up visits, booked on top of the resampled demand.
    pub(crate) follow_up: FollowUpDemand,
    /// Per simulated day, the factor a what-if plan puts on the resampled demand; empty: none
    /// ([`crate::forecast::plan::Change::Demand`]).
    pub(crate) demand_factor: Vec<f64>,
}

/// The follow-up visits of a forecast (see [`FollowUp`]); no rules: none.
#[derive(Debug, Clone, Default)]
pub(crate) struct FollowUpDemand {
    /// Expected follow-up bookings on each simulated day from the appointments attended up to the as-of day.
    pub(crate) expected: Vec<f64>,
    /// The share of the backlog at the as-of day that is follow-up appointments: taken as the share of each
    /// booked day's appointments that lead to no further follow-up.
    pub(crate) share_of_backlog: f64,
    pub(crate) rules: Vec<FollowUpRule>,
}

/// One follow-up service as the simulation uses it.
#[derive(Debug, Clone)]
pub(crate) struct FollowUpRule {
    /// Expected follow-up bookings per ended appointment of the other services on each day of the lag range.
    pub(crate) per_ended_per_day: f64,
    /// The lag range in days, inclusive.
    pub(crate) lag: (usize, usize),
    /// Per simulated day: whether the follow-up is booked that day (its service needs an appointment then).
    pub(crate) booked_on: Vec<bool>,
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

    if !services.days.is_empty() && services.days.len() != history.len() {
        return Err(ForecastError::ServiceSplitMismatch { rows: history.len(), split: services.days.len() });
    }
    let follow_ups: &[FollowUp] =
        if config.follow_ups && !services.days.is_empty() { &services.follow_ups } else { &[] };

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
    // Days before a service came to need an appointment do not hold its bookings: the window starts on the last
    // such day, if at least MIN_REGIME_DAYS ordinary open days lie after it.
    let regime_start = services
        .policies
        .iter()
        .filter(|p| p.appointment_required && p.effective_from <= as_of && p.effective_from > history[0].date)
        .filter(|p| p.effective_from.pred_opt().is_some_and(|d| !services.appointment_required(&p.service, d)))
        .map(|p| p.effective_from)
        .max();
    let catch_up = &catch_up;
    let ordinary_days = |since: Option<NaiveDate>| {
        (0..history.len())
            .rev()
            .filter(move |&i| history[i].capacity > 0 && !catch_up[i] && since.is_none_or(|d| history[i].date >= d))
    };
    let since = regime_start.filter(|&d| ordinary_days(Some(d)).take(MIN_REGIME_DAYS).count() >= MIN_REGIME_DAYS);
    let mut open: Vec<usize> = ordinary_days(since).take(window).collect();
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
        let cancelled: u64 = days.iter().map(|&i| history[i].cancellations as u64).sum();
        let exposed: u64 = days.iter().map(|&i| at_risk(i) as u64).sum();
        cancellation_rate[w] = if exposed == 0 { 0.0 } else { (cancelled as f64 / exposed as f64).min(1.0) };
        days_of_weekday[w] = days;
    }
    let pool_days: Vec<usize> = days_of_weekday.concat();
    let modelled: Vec<&ServiceId> = follow_ups.iter().map(|f| &f.service).collect();
    let (values, offset_of_day, dropped_demand) =
        demand_variants(history, services, &modelled, &pool_days, &open, as_of, config);
    let (follow_up, follow_ups_observed) = follow_up_demand(history, services, follow_ups, &open, as_of, config);
    for (mean, &(lo, hi)) in bookings_by_weekday.iter_mut().zip(&ranges) {
        let pool = &values[lo as usize..hi as usize];
        *mean = pool.iter().map(|&b| b as f64).sum::<f64>() / pool.len().max(1) as f64;
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
        catch_up_days_skipped: skipped,
        dropped_demand,
        follow_ups: follow_ups_observed,
    };
    let len = pool_days.len() as u32;
    Ok((
        Pools { values, ranges, cancellation_rate, len, offset_of_day, follow_up, demand_factor: Vec::new() },
        observed,
    ))
}

/// The follow-up visits to book (see [`FollowUp`]): those of the appointments attended in `history`, spread over
/// their lag range, and the rate at which the simulated days' appointments add more, taken over the window's
/// `open` days. A follow-up is booked only on days its service needs an appointment (booked on day t, it lands on
/// t + 1 or later, as in `demand_variants`).
fn follow_up_demand(
    history: &[DayRow],
    services: &ServiceInputs,
    follow_ups: &[FollowUp],
    open: &[usize],
    as_of: NaiveDate,
    config: &ForecastConfig,
) -> (FollowUpDemand, Vec<FollowUpObserved>) {
    let horizon = config.horizon_days as usize;
    let today = &history[history.len() - 1];
    let backlog_of = |s: &ServiceId| today.backlog_by_service.get(s).copied().unwrap_or(0);
    let follow_backlog: u32 = follow_ups.iter().map(|f| backlog_of(&f.service)).sum();
    let share_of_backlog = if today.backlog == 0 { 0.0 } else { follow_backlog as f64 / today.backlog as f64 };
    let mut demand = FollowUpDemand { expected: vec![0.0; horizon], share_of_backlog, rules: Vec::new() };
    let mut observed = Vec::new();
    // Attended appointments of the window, in all and of the follow-up services.
    let attended: u64 = open.iter().map(|&i| history[i].served_appointments as u64).sum();
    let follow_attended: u64 = open
        .iter()
        .map(|&i| follow_ups.iter().filter_map(|f| services.days[i].attended.get(&f.service)).sum::<u32>() as u64)
        .sum();
    let no_shows: u64 = open.iter().map(|&i| history[i].no_shows as u64).sum();
    let shown = if attended + no_shows == 0 { 0.0 } else { attended as f64 / (attended + no_shows) as f64 };
    let other_attended = attended.saturating_sub(follow_attended);
    let day = |c: usize| as_of.checked_add_days(chrono::Days::new(c as u64 + 1)).unwrap_or(NaiveDate::MAX);
    for rule in follow_ups {
        let booked_on: Vec<bool> =
            (0..horizon).map(|c| services.appointment_required(&rule.service, day(c + 1))).collect();
        let sources = |i: usize| -> u32 { rule.after.iter().filter_map(|s| services.days[i].attended.get(s)).sum() };
        let (lo, hi) = (rule.lag_days[0] as usize, rule.lag_days[0].max(rule.lag_days[1]) as usize);
        let share = 1.0 / rule.width() as f64;
        let mut from_attended = 0.0;
        for (i, row) in history.iter().enumerate() {
            let attended = sources(i);
            // Row i is as_of − (len − 1 − i); its follow-ups are booked on simulated day lag − (len − i).
            let back = history.len() - i;
            if attended == 0 || hi < back {
                continue;
            }
            debug_assert_eq!(Some(day(0)), row.date.checked_add_days(chrono::Days::new(back as u64)));
            for lag in lo.max(back)..=hi {
                let c = lag - back;
                if c < horizon && booked_on[c] {
                    demand.expected[c] += attended as f64 * share;
                    from_attended += attended as f64 * share;
                }
            }
        }
        let follow: u64 = open.iter().map(|&i| sources(i) as u64).sum();
        let per_ended = if other_attended == 0 { 0.0 } else { follow as f64 / other_attended as f64 * shown };
        let booked: u64 =
            open.iter().map(|&i| services.days[i].bookings.get(&rule.service).copied().unwrap_or(0) as u64).sum();
        observed.push(FollowUpObserved {
            rule: rule.clone(),
            mean_bookings_per_open_day: booked as f64 / open.len().max(1) as f64,
            per_ended_appointment: per_ended,
            expected_from_attended: from_attended,
            appointment_free_from: booked_on.iter().position(|&b| !b).map(day),
        });
        demand.rules.push(FollowUpRule { per_ended_per_day: per_ended * share, lag: (lo, hi), booked_on });
    }
    (demand, observed)
}

/// The pool values of every variant (see [`Pools`]) and the variant offset of each simulated day, with the
/// services left out. A booking made on simulated day t lands on t + 1 at the earliest, so a service is left out
/// on day t when it needs no appointment on t + 1 under the policies known at the as-of day. Its bookings in the
/// window are subtracted day by day, so a day's pool value stays a day that really happened, less that service.
fn demand_variants(
    history: &[DayRow],
    services: &ServiceInputs,
    modelled: &[&ServiceId],
    pool_days: &[usize],
    open: &[usize],
    as_of: NaiveDate,
    config: &ForecastConfig,
) -> (Vec<u32>, Vec<u32>, Vec<DroppedDemand>) {
    let horizon = config.horizon_days as usize;
    let mut offset_of_day = vec![0u32; horizon];
    let mut dropped = Vec::new();
    if services.days.is_empty() {
        return (pool_days.iter().map(|&i| history[i].bookings).collect(), offset_of_day, dropped);
    }
    let bookings_of = |i: usize, s: &ServiceId| services.days[i].bookings.get(s).copied().unwrap_or(0);
    // The follow-up services' bookings are left out of every variant: the forecast books them itself.
    let base = |i: usize| -> u32 {
        history[i].bookings.saturating_sub(modelled.iter().map(|s| bookings_of(i, s)).sum::<u32>())
    };
    let seen: std::collections::BTreeSet<&ServiceId> =
        pool_days.iter().flat_map(|&i| services.days[i].bookings.keys()).filter(|s| !modelled.contains(s)).collect();
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
    let mut values = Vec::with_capacity(variants.len() * pool_days.len());
    for out in &variants {
        values.extend(pool_days.iter().map(|&i| {
            let left_out: u32 = out.iter().map(|s| bookings_of(i, s)).sum();
            base(i).saturating_sub(left_out)
        }));
    }
    for &service in variants.iter().flatten().collect::<std::collections::BTreeSet<_>>() {
        let c = offset_of_day
            .iter()
            .position(|&o| variants[o as usize / pool_days.len().max(1)].contains(&service))
            .unwrap_or(0);
        let total: u32 = open.iter().map(|&i| bookings_of(i, service)).sum();
        dropped.push(DroppedDemand {
            service: service.clone(),
            from: as_of.checked_add_days(chrono::Days::new(c as u64 + 1)).unwrap_or(NaiveDate::MAX),
            mean_bookings_per_open_day: total as f64 / open.len().max(1) as f64,
        });
    }
    (values, offset_of_day, dropped)
}
