//! The back-test: forecasts made at past days, compared with what then happened.
//!
//! For every `every`-th day from `from` to `to`, the history source gives the calendar and the rows as they were
//! known that day; the forecast of the day the wait reaches the target is compared with the first day on which the
//! calendar then really showed a wait at or below the target — the same figure as the forecast's headline,
//! third_next_available_days, on a day the office was open. Reported: how often the actual day fell inside the
//! central 85 % and 95 % intervals, how often it came by the 85 % date, and the median error of the p50 date.
//!
//! A forecast is made under the plans, closures and policies known at its day. When the office decides otherwise
//! later (more slots, a closure, a service without appointment), the outcome is no longer the one forecast: each
//! forecast notes what changed between its day and its outcome ([`ChangedAfter`]), and the coverage is reported
//! over all forecasts and over those whose plans held.
//!
//! An actual that had not happened by the last known day is *censored*: such a forecast counts only where the
//! outcome is already decided (its interval ended before the data did, so it missed), and is otherwise left out
//! rather than guessed.

use chrono::{Days, NaiveDate};
use serde::Serialize;

use crate::domain::id::OfficeId;
use crate::forecast::plan::{Change, Plan};
use crate::forecast::stats::nearest_rank_per_mille;
use crate::forecast::{Forecast, ForecastConfig, ForecastError, Interval, Prepared, ServiceInputs};
use crate::projection::{CalendarSnapshot, DayRow, PolicyChange, Projection};

/// Where a back-test reads the past from.
pub trait History {
    /// The calendar as known as of `day` (`snapshot_days` days after it), the rows of the `history_days` days up
    /// to and including `day`, and their per-service split with the policies known that day.
    fn as_of(&self, day: NaiveDate, snapshot_days: u32, history_days: u32) -> AsOf;
    /// The figures of `day` as known as of that day.
    fn row(&self, day: NaiveDate) -> DayRow;
    /// The `policy_changed` events known as of `day`.
    fn policies(&self, day: NaiveDate) -> Vec<PolicyChange>;
    /// The last day whose figures are known; later days are not looked at.
    fn last_day(&self) -> NaiveDate;
}

/// What a forecast as of a day is made from.
pub type AsOf = (CalendarSnapshot, Vec<DayRow>, ServiceInputs);

/// The one way a forecast's inputs are taken from a projection: the calendar of `office` as known as of `as_of`
/// for `snapshot_days` days ahead, the rows of the `history_days` days up to it, and their split per service.
/// Every caller (the API, the page, the press statement, the charts, `forecast`, `backtest`) builds its inputs
/// here, through [`crate::read::ForecastInputs::take`] or [`ProjectionHistory`].
pub fn inputs_of(
    projection: &Projection,
    office: &OfficeId,
    as_of: NaiveDate,
    snapshot_days: u32,
    history_days: u32,
) -> AsOf {
    let from = as_of.checked_sub_days(Days::new(history_days.saturating_sub(1) as u64)).unwrap_or(as_of);
    (
        projection.snapshot(office, as_of, snapshot_days),
        projection.series(office, from, as_of),
        ServiceInputs::take(projection, office, from, as_of),
    )
}

/// One office of a [`Projection`] as a [`History`].
#[derive(Debug, Clone, Copy)]
pub struct ProjectionHistory<'a> {
    pub projection: &'a Projection,
    pub office: &'a OfficeId,
    /// Usually the date of the office's last event.
    pub last_day: NaiveDate,
}

impl History for ProjectionHistory<'_> {
    fn as_of(&self, day: NaiveDate, snapshot_days: u32, history_days: u32) -> AsOf {
        inputs_of(self.projection, self.office, day, snapshot_days, history_days)
    }

    fn row(&self, day: NaiveDate) -> DayRow {
        self.projection.row(self.office, day)
    }

    fn policies(&self, day: NaiveDate) -> Vec<PolicyChange> {
        self.projection.policies(self.office, day)
    }

    fn last_day(&self) -> NaiveDate {
        self.last_day
    }
}

/// What happened after a forecast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Actual {
    /// The wait was at or below the target on this day, for the first time since the forecast.
    Reached { date: NaiveDate },
    /// It was not, up to the end of the forecast's horizon.
    NotWithinHorizon,
    /// It was not up to the last known day, which lies before the end of the horizon.
    Censored { known_until: NaiveDate },
}

/// One forecast of the back-test and its outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BacktestPoint {
    pub as_of: NaiveDate,
    pub p50: Option<NaiveDate>,
    pub p85: Option<NaiveDate>,
    pub p95: Option<NaiveDate>,
    pub central_85: Interval,
    pub central_95: Interval,
    pub actual: Actual,
    /// `None` where the outcome is not decided yet.
    pub in_central_85: Option<bool>,
    pub in_central_95: Option<bool>,
    /// Whether the actual day came by the 85 % date (the one-sided statement the forecast makes).
    pub by_p85: Option<bool>,
    /// actual − p50 in days, where both are dates.
    pub error_days: Option<i64>,
    /// What the office decided after the forecast, up to its outcome.
    pub changed_after: ChangedAfter,
}

/// The decisions taken after a forecast's day that change its days up to the outcome (the actual day, or the end
/// of the horizon or of the data): the forecast could not know them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ChangedAfter {
    /// The first day whose capacity, as known that day, differs from the one planned at the forecast's day.
    pub capacity_from: Option<NaiveDate>,
    /// Σ (capacity as known on the day − capacity as planned at the forecast's day) over those days, in slots.
    pub capacity_slots: i64,
    /// Policies decided after the forecast's day that take effect by the outcome.
    pub policies: Vec<PolicyChange>,
}

impl ChangedAfter {
    /// Whether the plans and policies known at the forecast's day held up to its outcome.
    pub fn held(&self) -> bool {
        self.capacity_from.is_none() && self.policies.is_empty()
    }
}

/// The back-test's summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BacktestReport {
    pub office: OfficeId,
    pub target_wait_days: u32,
    pub points: Vec<BacktestPoint>,
    /// Share of decided forecasts whose actual day lay in the central 85 % interval; `None` when none is decided.
    pub coverage_85: Option<f64>,
    pub coverage_95: Option<f64>,
    pub by_p85_share: Option<f64>,
    /// Nearest-rank median of |actual − p50| in days.
    pub median_abs_error_days: Option<u32>,
    /// How many forecasts saw their plans and policies hold up to the outcome ([`ChangedAfter::held`]).
    pub plans_held: usize,
    /// The coverages over those forecasts only; `None` when none of them is decided.
    pub coverage_85_plans_held: Option<f64>,
    pub coverage_95_plans_held: Option<f64>,
}

/// Why a back-test stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BacktestError {
    #[error("forecast as of {day}: {source}")]
    Forecast { day: NaiveDate, source: ForecastError },
    #[error("every: the step between forecasts must be at least 1 day")]
    ZeroStep,
    #[error("from: {from} lies after to: {to}, no forecast to test")]
    EmptyRange { from: NaiveDate, to: NaiveDate },
    #[error("decisions: plan {name:?} has no day it was decided (decided = YYYY-MM-DD)")]
    Undecided { name: String },
    #[error("decisions: plan {name:?}: {reason}")]
    BadDecision { name: String, reason: String },
}

/// Forecasts as of `from`, `from + every`, … up to `to` and compares each with what happened.
pub fn backtest(
    history: &impl History,
    from: NaiveDate,
    to: NaiveDate,
    every: u32,
    config: &ForecastConfig,
) -> Result<BacktestReport, BacktestError> {
    backtest_with_progress(history, from, to, every, config, &[], 1, &mut |_| {})
}

/// [`backtest`] with `decisions` (what-if plans with the day each was decided) laid over the forecasts made before
/// their day (see the module docs).
pub fn backtest_with_decisions(
    history: &impl History,
    from: NaiveDate,
    to: NaiveDate,
    every: u32,
    config: &ForecastConfig,
    decisions: &[Plan],
) -> Result<BacktestReport, BacktestError> {
    backtest_with_progress(history, from, to, every, config, decisions, 1, &mut |_| {})
}

/// The decisions not yet known on `day`, as one plan: the changes of those decided after it.
fn not_yet_known(decisions: &[Plan], day: NaiveDate) -> Plan {
    let changes: Vec<Change> = decisions
        .iter()
        .filter(|p| p.decided.is_some_and(|d| d > day))
        .flat_map(|p| p.changes.iter().cloned())
        .collect();
    Plan { name: "decisions".into(), decided: None, changes }
}

/// How many forecasts a back-test from `from` to `to` every `every` days makes (0 for an empty range or step).
pub fn forecast_count(from: NaiveDate, to: NaiveDate, every: u32) -> u64 {
    if every == 0 || from > to { 0 } else { (to - from).num_days() as u64 / every as u64 + 1 }
}

/// [`backtest`] (with `decisions`, as [`backtest_with_decisions`]; none: the plans known that day) with each
/// forecast's runs spread over `threads` threads ([`crate::forecast::forecast_on`]; the same report), calling
/// `progress` with each forecast day once its forecast is judged (for a progress bar).
#[allow(clippy::too_many_arguments)]
pub fn backtest_with_progress(
    history: &impl History,
    from: NaiveDate,
    to: NaiveDate,
    every: u32,
    config: &ForecastConfig,
    decisions: &[Plan],
    threads: usize,
    progress: &mut dyn FnMut(NaiveDate),
) -> Result<BacktestReport, BacktestError> {
    if every == 0 {
        return Err(BacktestError::ZeroStep);
    }
    if from > to {
        return Err(BacktestError::EmptyRange { from, to });
    }
    for plan in decisions {
        if plan.decided.is_none() {
            return Err(BacktestError::Undecided { name: plan.name.clone() });
        }
        plan.check().map_err(|e| BacktestError::BadDecision { name: plan.name.clone(), reason: e.to_string() })?;
    }
    let mut points = Vec::new();
    let mut office = None;
    let mut day = from;
    while day <= to {
        let (snapshot, rows, services) = history.as_of(day, config.snapshot_days(), ForecastConfig::HISTORY_DAYS);
        let supplied = not_yet_known(decisions, day);
        let prepared = Prepared::new(&snapshot, &rows, &services, config, &supplied)
            .map_err(|source| BacktestError::Forecast { day, source })?;
        let made = prepared.summarize(&prepared.simulate(config.horizon_days as usize, threads));
        let actual = actual(history, day, config);
        // What the forecast assumed: the calendar and the policies known that day, with the decisions supplied.
        let planned = CalendarSnapshot { capacity: prepared.capacity.clone(), ..snapshot };
        let mut assumed = services.policies;
        assumed.extend(supplied.changes.iter().filter_map(|c| match c {
            Change::WithoutAppointment { service, from } => {
                Some(PolicyChange { service: service.clone(), effective_from: *from, appointment_required: false })
            }
            _ => None,
        }));
        let changed = changed_after(history, &planned, &assumed, actual, config);
        points.push(judge(&made, actual, changed));
        office.get_or_insert(made.office);
        progress(day);
        match day.checked_add_days(Days::new(every as u64)) {
            Some(next) => day = next,
            None => break,
        }
    }
    let share_of = |held_only: bool, pick: fn(&BacktestPoint) -> Option<bool>| {
        let counted = points.iter().filter(|p| !held_only || p.changed_after.held());
        let decided: Vec<bool> = counted.filter_map(pick).collect();
        (!decided.is_empty()).then(|| decided.iter().filter(|&&hit| hit).count() as f64 / decided.len() as f64)
    };
    let share = |pick| share_of(false, pick);
    let mut errors: Vec<u32> = points.iter().filter_map(|p| p.error_days).map(|e| e.unsigned_abs() as u32).collect();
    errors.sort_unstable();
    Ok(BacktestReport {
        office: office.expect("from ≤ to, so at least one forecast was made"),
        target_wait_days: config.target_wait_days,
        coverage_85: share(|p| p.in_central_85),
        coverage_95: share(|p| p.in_central_95),
        by_p85_share: share(|p| p.by_p85),
        median_abs_error_days: nearest_rank_per_mille(&errors, 500),
        plans_held: points.iter().filter(|p| p.changed_after.held()).count(),
        coverage_85_plans_held: share_of(true, |p| p.in_central_85),
        coverage_95_plans_held: share_of(true, |p| p.in_central_95),
        points,
    })
}

/// The first day from `as_of` on (the as-of day included, as in the forecast) on which the office was open and
/// third_next_available_days was at or below the target.
fn actual(history: &impl History, as_of: NaiveDate, config: &ForecastConfig) -> Actual {
    let horizon_end = as_of.checked_add_days(Days::new(config.horizon_days as u64)).unwrap_or(NaiveDate::MAX);
    let last = history.last_day().min(horizon_end);
    let mut day = as_of;
    while day <= last {
        let row = history.row(day);
        if row.capacity > 0 && row.third_next_available_days.is_some_and(|w| w <= config.target_wait_days) {
            return Actual::Reached { date: day };
        }
        day = match day.succ_opt() {
            Some(next) => next,
            None => break,
        };
    }
    if last >= horizon_end { Actual::NotWithinHorizon } else { Actual::Censored { known_until: last } }
}

/// What was decided after the forecast's day about its days up to the outcome: capacity that differs on the day
/// from the plan in `snapshot`, and policies known by the outcome that were not known at the forecast's day.
fn changed_after(
    history: &impl History,
    snapshot: &CalendarSnapshot,
    known: &[PolicyChange],
    actual: Actual,
    config: &ForecastConfig,
) -> ChangedAfter {
    let as_of = snapshot.as_of;
    let until = match actual {
        Actual::Reached { date } => date,
        Actual::NotWithinHorizon => as_of.checked_add_days(Days::new(config.horizon_days as u64)).unwrap_or(as_of),
        Actual::Censored { known_until } => known_until,
    };
    let mut changed = ChangedAfter::default();
    for (planned, day) in snapshot.capacity.iter().zip(as_of.iter_days().skip(1)).take_while(|(_, d)| *d <= until) {
        let on_the_day = history.row(day).capacity;
        if on_the_day != *planned {
            changed.capacity_from.get_or_insert(day);
            changed.capacity_slots += on_the_day as i64 - *planned as i64;
        }
    }
    changed.policies =
        history.policies(until).into_iter().filter(|p| p.effective_from <= until && !known.contains(p)).collect();
    changed
}

/// Whether `actual` lies inside `interval`; `None` while it cannot be decided. An end that is `None` lies beyond the
/// horizon.
fn inside(interval: Interval, actual: Actual) -> Option<bool> {
    match actual {
        Actual::Reached { date } => {
            Some(interval.from.is_some_and(|f| f <= date) && interval.to.is_none_or(|t| date <= t))
        }
        Actual::NotWithinHorizon => Some(interval.to.is_none()),
        Actual::Censored { known_until } => match interval.to {
            Some(t) if t <= known_until => Some(false),
            _ => None,
        },
    }
}

fn judge(made: &Forecast, actual: Actual, changed_after: ChangedAfter) -> BacktestPoint {
    let reach = &made.wait_target;
    let error_days = match (actual, reach.p50) {
        (Actual::Reached { date }, Some(p50)) => Some((date - p50).num_days()),
        _ => None,
    };
    BacktestPoint {
        as_of: made.as_of,
        p50: reach.p50,
        p85: reach.p85,
        p95: reach.p95,
        central_85: reach.central_85,
        central_95: reach.central_95,
        actual,
        in_central_85: inside(reach.central_85, actual),
        in_central_95: inside(reach.central_95, actual),
        by_p85: inside(Interval { from: Some(NaiveDate::MIN), to: reach.p85 }, actual),
        error_days,
        changed_after,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn plus(d: NaiveDate, days: u64) -> NaiveDate {
        d.checked_add_days(Days::new(days)).unwrap()
    }

    /// An office open every day with ten slots, booked out for the next fourteen days on whichever day one asks,
    /// where nobody books or cancels: every forecast as of D says the wait is down to 7 days on D + 8 (the first
    /// free day, D + 15, is then 7 days on). What really happened is `reached`: the days with a wait of 7.
    struct Fake {
        reached: Vec<NaiveDate>,
        last_day: NaiveDate,
        /// From this day on the office has 12 slots instead of the 10 every forecast plans with (decided later).
        more_slots_from: Option<NaiveDate>,
        /// Policies, each known from the day given.
        policies: Vec<(NaiveDate, PolicyChange)>,
    }

    impl Fake {
        fn new(reached: Vec<NaiveDate>, last_day: NaiveDate) -> Self {
            Fake { reached, last_day, more_slots_from: None, policies: Vec::new() }
        }
    }

    fn row(date: NaiveDate, next_available_days: Option<u32>) -> DayRow {
        DayRow {
            date,
            backlog: 140,
            backlog_by_service: BTreeMap::new(),
            displaced: 0,
            bookings: 0,
            served_appointments: 10,
            served_walk_in: 0,
            cancellations: 0,
            no_shows: 0,
            capacity: 10,
            booked: 10,
            next_available_days,
            third_next_available_days: next_available_days,
            realized_wait_p50_days: None,
            realized_wait_p90_days: None,
        }
    }

    impl History for Fake {
        fn as_of(&self, day: NaiveDate, snapshot_days: u32, history_days: u32) -> AsOf {
            let rows: Vec<DayRow> =
                (0..history_days as u64).rev().map(|back| row(day - Days::new(back), Some(15))).collect();
            let booked = (0..snapshot_days).map(|i| if i < 14 { 10 } else { 0 }).collect();
            let snapshot = CalendarSnapshot {
                office: OfficeId::parse("kl-buergercenter").unwrap(),
                as_of: day,
                capacity: vec![10; snapshot_days as usize],
                booked,
                today: rows.last().unwrap().clone(),
            };
            (snapshot, rows, ServiceInputs { policies: self.policies(day), ..ServiceInputs::default() })
        }

        fn row(&self, day: NaiveDate) -> DayRow {
            let mut row = row(day, Some(if self.reached.contains(&day) { 7 } else { 20 }));
            if self.more_slots_from.is_some_and(|from| from <= day) {
                row.capacity = 12;
            }
            row
        }

        fn policies(&self, day: NaiveDate) -> Vec<PolicyChange> {
            self.policies.iter().filter(|(known, _)| *known <= day).map(|(_, p)| p.clone()).collect()
        }

        fn last_day(&self) -> NaiveDate {
            self.last_day
        }
    }

    fn config() -> ForecastConfig {
        ForecastConfig { runs: 50, ..ForecastConfig::default() }
    }

    #[test]
    fn forecasts_are_judged_against_the_first_day_that_reached_the_target() {
        let d0 = date("2020-05-15");
        let check = |last_day: NaiveDate, coverage: f64, decided: usize| {
            let fake = Fake::new(vec![plus(d0, 8)], last_day);
            let report = backtest(&fake, d0, plus(d0, 14), 7, &config()).unwrap();
            let p50: Vec<Option<NaiveDate>> = report.points.iter().map(|p| p.p50).collect();
            assert_eq!(p50, [Some(plus(d0, 8)), Some(plus(d0, 15)), Some(plus(d0, 22))]);
            let actual: Vec<Actual> = report.points.iter().map(|p| p.actual).collect();
            assert_eq!(
                actual,
                [
                    Actual::Reached { date: plus(d0, 8) },
                    Actual::Reached { date: plus(d0, 8) },
                    Actual::Censored { known_until: last_day }
                ]
            );
            let errors: Vec<Option<i64>> = report.points.iter().map(|p| p.error_days).collect();
            assert_eq!(errors, [Some(0), Some(-7), None]);
            assert_eq!(report.coverage_85, Some(coverage));
            assert_eq!(report.points.iter().filter(|p| p.in_central_95.is_some()).count(), decided);
            assert_eq!(report.median_abs_error_days, Some(0));
        };
        // Data up to D0 + 20: the third forecast (D0 + 22) cannot be judged yet and is left out.
        check(plus(d0, 20), 0.5, 2);
        // Data up to D0 + 30: by then its date has passed without the target, a decided miss.
        check(plus(d0, 30), 1.0 / 3.0, 3);
    }

    #[test]
    fn a_target_never_reached_within_the_horizon_is_outside_an_interval_of_dates() {
        let d0 = date("2020-05-15");
        let fake = Fake::new(vec![], plus(d0, 400));
        let report = backtest(&fake, d0, d0, 7, &config()).unwrap();
        assert_eq!(report.points[0].actual, Actual::NotWithinHorizon);
        assert_eq!(report.coverage_95, Some(0.0));
        assert_eq!(report.median_abs_error_days, None);
    }

    #[test]
    fn decisions_taken_after_a_forecast_and_before_its_outcome_are_named() {
        // Forecasts as of D0 and D0 + 7 reach the target on D0 + 8 (the first) and D0 + 15 (the second; the
        // actual is D0 + 8 for the first, D0 + 15 for the second). From D0 + 5 the office has 12 slots instead of
        // 10 (decided after D0, known by D0 + 7); a policy decided on D0 + 3 takes effect on D0 + 6.
        let d0 = date("2020-05-15");
        let pick_up = PolicyChange {
            service: crate::domain::id::ServiceId::parse("ausweis-abholung").unwrap(),
            effective_from: plus(d0, 6),
            appointment_required: false,
        };
        let mut fake = Fake::new(vec![plus(d0, 8), plus(d0, 15)], plus(d0, 60));
        fake.more_slots_from = Some(plus(d0, 5));
        fake.policies = vec![(plus(d0, 3), pick_up.clone())];
        let report = backtest(&fake, d0, plus(d0, 7), 7, &config()).unwrap();
        let [first, second] = &report.points[..] else { panic!("two forecasts") };
        // The first planned 10 slots on D0 + 5 … D0 + 8 and got 12: 4 days × 2 slots; the policy too.
        assert_eq!(first.actual, Actual::Reached { date: plus(d0, 8) });
        assert_eq!(
            first.changed_after,
            ChangedAfter { capacity_from: Some(plus(d0, 5)), capacity_slots: 8, policies: vec![pick_up] }
        );
        // The second's calendar (the Fake plans 10 slots whatever the day) still differs from D0 + 8 to D0 + 15,
        // but it already knew the policy.
        assert_eq!(second.changed_after.capacity_from, Some(plus(d0, 8)));
        assert!(second.changed_after.policies.is_empty());
        assert_eq!(report.plans_held, 0);
        assert_eq!(report.coverage_95_plans_held, None);
    }

    #[test]
    fn interval_ends_beyond_the_horizon_are_open() {
        let day = date("2020-06-10");
        let open_end = Interval { from: Some(date("2020-06-01")), to: None };
        assert_eq!(inside(open_end, Actual::Reached { date: day }), Some(true));
        assert_eq!(inside(open_end, Actual::NotWithinHorizon), Some(true));
        assert_eq!(inside(open_end, Actual::Censored { known_until: day }), None);
        let beyond = Interval { from: None, to: None };
        assert_eq!(inside(beyond, Actual::Reached { date: day }), Some(false));
    }

    #[test]
    fn bad_ranges_are_named() {
        let fake = Fake::new(vec![], date("2020-08-01"));
        let err = backtest(&fake, date("2020-07-01"), date("2020-06-01"), 7, &config()).unwrap_err();
        assert_eq!(err.to_string(), "from: 2020-07-01 lies after to: 2020-06-01, no forecast to test");
        let err = backtest(&fake, date("2020-06-01"), date("2020-07-01"), 0, &config()).unwrap_err();
        assert_eq!(err.to_string(), "every: the step between forecasts must be at least 1 day");
    }
}
