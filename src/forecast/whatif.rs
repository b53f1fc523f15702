//! Decisions weighed before they are taken: plans compared side by side with the baseline, and the capacity needed
//! to be back to normal by a date.
//!
//! Both make forecasts under [`Plan`]s with the seed of the configuration, so that every plan's runs draw the same
//! demand and cancellations day by day (common random numbers, see `sim`): two plans differ by what they decide.
//!
//! **The capacity needed** ([`needed`]) is the smallest number k of extra slots on every open day from a date E
//! (on top of a plan, or of the plans known at D) such that the wait is at or below the target on an open day by a
//! date T in at least a chosen share of runs (85 % by default): the same statement as "the 85 % date is T or
//! earlier". The share of runs is a function of k that rises with it; it is found by bisection between 0 and a
//! stated limit, each candidate simulated up to T only (the runs up to T are the same as over the whole horizon).
//! The answer carries its own uncertainty: the binomial standard error √(p(1 − p)/n) of the share at k and the share
//! at k − 1, which lies below the one asked. Where even the limit does not do it, the answer is "not reachable
//! with at most so many", with the share the limit reaches.

use chrono::{Days, NaiveDate};
use serde::Serialize;

use crate::domain::id::OfficeId;
use crate::forecast::plan::{Plan, PlanError, extra_slots};
use crate::forecast::{
    FanDay, Forecast, ForecastConfig, ForecastError, Prepared, Reach, ServiceInputs, WaitAfter, first_days,
};
use crate::projection::{CalendarSnapshot, DayRow};

/// One plan's forecast, as the comparison shows it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Outcome {
    pub plan: Plan,
    /// Slots the plan adds to the calendar over the horizon (negative: takes away), against the baseline.
    pub slots_added: i64,
    /// When the wait (third next available, on an open day) is at or below the target: p50, p85, p95.
    pub wait_target: Reach,
    /// When the backlog is at or below the backlog level.
    pub backlog_target: Reach,
    /// The wait in 2, 4 and 8 weeks.
    pub wait_after: Vec<WaitAfter>,
    /// Mean bookings per run that found no free slot in the known calendar.
    pub turned_away_per_run: f64,
    /// Per simulated day, for the chart.
    pub fan: Vec<FanDay>,
}

/// Plans side by side with the baseline (the plans known at the as-of day), all with the same seed.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Comparison {
    #[schema(value_type = String)]
    pub office: OfficeId,
    pub as_of: NaiveDate,
    pub config: ForecastConfig,
    pub baseline: Outcome,
    pub plans: Vec<Outcome>,
}

/// Why plans cannot be compared: a plan is wrong (the user's case), or the forecast refuses its inputs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WhatIfError {
    #[error("{0}")]
    Plan(#[from] PlanError),
    #[error("{0}")]
    Forecast(#[from] ForecastError),
}

impl Outcome {
    fn of(plan: &Plan, forecast: Forecast, slots_added: i64) -> Outcome {
        Outcome {
            plan: plan.clone(),
            slots_added,
            wait_target: forecast.wait_target,
            backlog_target: forecast.backlog_target,
            wait_after: forecast.wait_after,
            turned_away_per_run: forecast.turned_away_per_run,
            fan: forecast.fan,
        }
    }
}

/// Checks a list of plans: at most [`crate::forecast::plan::MAX_PLANS`], each well formed, names unique.
pub fn check_plans(plans: &[Plan]) -> Result<(), PlanError> {
    use crate::forecast::plan::MAX_PLANS;
    if plans.len() > MAX_PLANS {
        return Err(PlanError::new(
            "plans",
            format!("{} plans: at most {MAX_PLANS} are compared at once", plans.len()),
        ));
    }
    for (i, plan) in plans.iter().enumerate() {
        plan.check().map_err(|e| e.within(&format!("plans[{i}]")))?;
        if plans[..i].iter().any(|p| p.name == plan.name) {
            return Err(PlanError::new(format!("plans[{i}].name"), format!("{:?} names two plans", plan.name)));
        }
    }
    Ok(())
}

/// The forecast under `plans` and under none (the baseline), each with the runs spread over `threads` threads.
pub fn compare(
    snapshot: &CalendarSnapshot,
    history: &[DayRow],
    services: &ServiceInputs,
    config: &ForecastConfig,
    plans: &[Plan],
    threads: usize,
) -> Result<Comparison, WhatIfError> {
    check_plans(plans)?;
    let baseline_plan = Plan::baseline();
    let base = Prepared::new(snapshot, history, services, config, &baseline_plan)?;
    let horizon = config.horizon_days as usize;
    let slots = |p: &Prepared| p.capacity[..horizon].iter().map(|&c| c as i64).sum::<i64>();
    let base_slots = slots(&base);
    let baseline = Outcome::of(&baseline_plan, base.summarize(&base.simulate(horizon, threads)), 0);
    let mut outcomes = Vec::with_capacity(plans.len());
    for plan in plans {
        let prepared = Prepared::new(snapshot, history, services, config, plan)?;
        let forecast = prepared.summarize(&prepared.simulate(horizon, threads));
        outcomes.push(Outcome::of(plan, forecast, slots(&prepared) - base_slots));
    }
    Ok(Comparison {
        office: snapshot.office.clone(),
        as_of: snapshot.as_of,
        config: *config,
        baseline,
        plans: outcomes,
    })
}

/// The forecast under one plan, in full.
pub fn forecast_under(
    snapshot: &CalendarSnapshot,
    history: &[DayRow],
    services: &ServiceInputs,
    config: &ForecastConfig,
    plan: &Plan,
    threads: usize,
) -> Result<Forecast, WhatIfError> {
    plan.check()?;
    let prepared = Prepared::new(snapshot, history, services, config, plan)?;
    Ok(prepared.summarize(&prepared.simulate(config.horizon_days as usize, threads)))
}

/// The question of [`needed`].
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct NeedQuestion {
    /// E: the first day with the extra slots.
    pub from: NaiveDate,
    /// T: the day by which the wait is to be at or below the target.
    pub by: NaiveDate,
    /// The share of runs that must get there by T (0.85: the 85 % date is T or earlier).
    pub probability: f64,
    /// The most extra slots per open day considered.
    pub limit: u32,
}

/// The default share of runs: the 85 % the press statement announces.
pub const DEFAULT_PROBABILITY: f64 = 0.85;
/// The default limit: 100 extra slots per open day, about as many as the office's whole day.
pub const DEFAULT_LIMIT: u32 = 100;
/// The largest limit asked for.
pub const MAX_LIMIT: u32 = 2_000;

/// One number of extra slots tried, and the share of runs that got there by T with it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Tried {
    pub slots_per_open_day: u32,
    pub share: f64,
    /// √(share (1 − share) / runs): the simulation's own error of the share.
    pub standard_error: f64,
}

/// The answer of [`needed`].
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum Needed {
    /// Without extra slots the wait is at the target by T with the share asked.
    NoneNeeded { at: Tried },
    /// `at.slots_per_open_day` extra slots do it; one fewer (`one_fewer`) does not.
    Slots { at: Tried, one_fewer: Tried },
    /// Not even `at_limit` (the limit) does it.
    NotReachable { at_limit: Tried },
}

/// The capacity needed, with the question and every number tried.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CapacityNeeded {
    #[schema(value_type = String)]
    pub office: OfficeId,
    pub as_of: NaiveDate,
    pub config: ForecastConfig,
    pub question: NeedQuestion,
    /// The plan the extra slots come on top of (the baseline: none).
    pub plan: Plan,
    pub needed: Needed,
    /// Extra open-day slots between E and T with the number found (none when not reachable).
    pub slots_until_by: Option<u64>,
    /// Every number simulated, in the order tried.
    pub tried: Vec<Tried>,
}

impl NeedQuestion {
    /// Checks the question against the forecast's as-of day and horizon.
    pub fn check(&self, as_of: NaiveDate, config: &ForecastConfig) -> Result<(), PlanError> {
        let horizon_end = as_of.checked_add_days(Days::new(config.horizon_days as u64)).unwrap_or(NaiveDate::MAX);
        if self.by <= as_of || self.by > horizon_end {
            let reason =
                format!("{} is not within the forecast's days {} … {horizon_end}", self.by, as_of + Days::new(1));
            return Err(PlanError::new("by", reason));
        }
        if self.from > self.by {
            return Err(PlanError::new("from", format!("{} lies after the target day {}", self.from, self.by)));
        }
        if !(self.probability > 0.0 && self.probability < 1.0) {
            return Err(PlanError::new(
                "probability",
                format!("{} is not a share strictly between 0 and 1", self.probability),
            ));
        }
        if self.limit == 0 || self.limit > MAX_LIMIT {
            return Err(PlanError::new("limit", format!("{} is not in 1 … {MAX_LIMIT}", self.limit)));
        }
        Ok(())
    }
}

/// The smallest number of extra slots per open day from `question.from` (on top of `plan`) that brings the wait to
/// the target by `question.by` in at least `question.probability` of the runs (see the module docs).
pub fn needed(
    snapshot: &CalendarSnapshot,
    history: &[DayRow],
    services: &ServiceInputs,
    config: &ForecastConfig,
    plan: &Plan,
    question: &NeedQuestion,
    threads: usize,
) -> Result<CapacityNeeded, WhatIfError> {
    plan.check()?;
    question.check(snapshot.as_of, config)?;
    let days = (question.by - snapshot.as_of).num_days() as usize;
    let runs = config.runs as f64;
    let mut tried: Vec<Tried> = Vec::new();
    let mut slots_by = None;
    let share_at = |k: u32, tried: &mut Vec<Tried>| -> Result<(Tried, u64), WhatIfError> {
        if let Some(t) = tried.iter().find(|t| t.slots_per_open_day == k) {
            return Ok((*t, 0));
        }
        let mut candidate = plan.clone();
        candidate.changes.push(extra_slots(question.from, k));
        let prepared = Prepared::new(snapshot, history, services, config, &candidate)?;
        let simulated = prepared.simulate(days, threads);
        let first = first_days(&simulated.thirds, &prepared.open(days), config.target_wait_days, prepared.third_now());
        let share = first.iter().filter(|&&d| d as usize <= days).count() as f64 / runs;
        let at = Tried { slots_per_open_day: k, share, standard_error: (share * (1.0 - share) / runs).sqrt() };
        tried.push(at);
        // The extra slots between E and T: k on each open day of that span.
        let from = (question.from - snapshot.as_of).num_days().max(1) as usize - 1;
        let open_days = prepared.capacity[from.min(days)..days].iter().filter(|&&c| c > 0).count() as u64;
        Ok((at, open_days * k as u64))
    };
    let enough = |t: &Tried| t.share >= question.probability;
    let (zero, _) = share_at(0, &mut tried)?;
    let answer = if enough(&zero) {
        slots_by = Some(0);
        Needed::NoneNeeded { at: zero }
    } else {
        let (top, top_slots) = share_at(question.limit, &mut tried)?;
        if !enough(&top) {
            Needed::NotReachable { at_limit: top }
        } else {
            // lo does not do it, hi does; halve until they are neighbours.
            let (mut lo, mut hi, mut hi_slots) = (zero, top, top_slots);
            while hi.slots_per_open_day - lo.slots_per_open_day > 1 {
                let mid = lo.slots_per_open_day + (hi.slots_per_open_day - lo.slots_per_open_day) / 2;
                let (at, slots) = share_at(mid, &mut tried)?;
                if enough(&at) {
                    (hi, hi_slots) = (at, slots);
                } else {
                    lo = at;
                }
            }
            slots_by = Some(hi_slots);
            Needed::Slots { at: hi, one_fewer: lo }
        }
    };
    Ok(CapacityNeeded {
        office: snapshot.office.clone(),
        as_of: snapshot.as_of,
        config: *config,
        question: question.clone(),
        plan: plan.clone(),
        needed: answer,
        slots_until_by: slots_by,
        tried,
    })
}
