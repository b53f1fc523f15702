//! The forecast: when will the wait (and the backlog) be back to normal — a Monte Carlo simulation of the office's
//! calendar, resampling the observed days, reported as percentiles over runs.
//!
//! As of day D the office's calendar is known ([`CalendarSnapshot`]: capacity and booked slots of the days after D,
//! with the plans, closures and holidays known at D) and so are its recent days ([`DayRow`]s). Each run continues the
//! calendar day by day from D + 1 over [`ForecastConfig::horizon_days`]: demand resampled by weekday from the last
//! open days, cancellations at the observed rate, each booking taking the first free slot from the next day on (see
//! [`inputs`] for the fit, `sim` for one run). Over [`ForecastConfig::runs`] runs the forecast reports:
//!
//! - for a target wait, the dates by which the wait is at or below it with 50 %, 85 % and 95 % confidence: the
//!   nearest-rank percentiles, over runs, of the first *open* day (capacity > 0) on which it is. A run that does not
//!   get there within the horizon counts as "not within the horizon", and a percentile landing on such runs is
//!   `None`, never a made-up date;
//! - the same for a backlog level;
//! - the distribution of the wait 2, 4 and 8 weeks on, and a fan (per day, p5 … p95) for the chart;
//! - Little's-law estimate beside it, with a sentence on when it misleads.
//!
//! The method is pure and deterministic for a seed: run r draws from ChaCha8 seeded with the seed on streams 2r and
//! 2r + 1 (see `sim`: the numbers whose count does not depend on the calendar's state on one, the choice of the
//! cancelled appointments, re-positioned every day, on the other), so the same seed gives the same output, whatever
//! the order in which runs are computed, and two [`plan::Plan`]s of the same seed draw the same demand day by day
//! (common random numbers, [`whatif`]).
//!
//! Which wait is forecast — the decision, for the README: the headline ([`Forecast::wait_target`]) is
//! `third_next_available_days`, and `next_available_days` is reported beside it ([`Forecast::next_available_target`]).
//! A single cancelled appointment frees a single slot and makes `next_available_days` drop for a day, in the
//! simulation as in the real calendar (on 28 June 2020 it showed 4 days in the middle of a three-week wait); a date
//! built on it announces "normal again" on the first lucky day. The third next free slot (docs/events.md) is not moved
//! by one cancellation. Both count only on days the office is open (as the press statement's "normal wait"): on a
//! weekend, cancellations free slots that the Monday's bookings take again. The back-test judges the same figure.
//!
//! Modelling choices the contract is silent on, for the README:
//! - Each run first resamples the demand pools (a bootstrap of the window), so that runs differ in their demand
//!   level, not only day by day; without it the intervals are as narrow as if the 28 days had fixed demand exactly.
//! - Policies known at D move the demand: a `policy_changed` event known at D that makes a service
//!   appointment-free from day E means its bookings stop — from E − 1 on, since a booking made that day lands on E
//!   or later. The window's days are resampled without that service's bookings from then on (the split per
//!   service comes from the projection, [`ServiceInputs`]); [`Observed::dropped_demand`](inputs::Observed) names
//!   the services and days. docs/events.md says a policy change "changes no figure"; it changes no *observed* figure,
//!   but a forecast that keeps resampling bookings nobody will make any more is knowingly wrong. A service that
//!   needs an appointment again is not added back: the window holds no bookings of it to resample.
//! - The first week after a closure (more than an ordinary gap of closed days) is catch-up, not everyday demand,
//!   and is left out of the window ([`inputs::CATCH_UP_DAYS`]). On the 2020 scenario the four open days after the
//!   lockdown saw 200–240 bookings each against about 60 on any other day (the ID cards produced during the
//!   lockdown, which from reopening needed an appointment to be picked up); kept in the window, they made every
//!   forecast until mid-June resample a demand a quarter above the office's, and say "not within the horizon".
//! - Follow-up visits are booked, not resampled ([`inputs::FollowUp`]): an identity card or passport applied for
//!   is picked up in person three to five weeks later, and while pick-ups need an appointment each attended
//!   application comes back as one booking. The forecast books the pick-ups of the applications attended up to D
//!   (spread evenly over their lag) and of the appointments it simulates (at the window's share of applications
//!   among the other services' attended appointments), and leaves the pick-up service out of the resampled pools.
//!   Resampled, the pick-ups of the window follow the applications of five weeks before, which after a closure are
//!   nothing like the ones to come: on the 2020 scenario the window of mid-May held the few pick-ups of the
//!   lockdown's missing applications, while the applications of the reopening were about to come back as some 100
//!   pick-ups a week. `ForecastConfig::follow_ups` (`--no-follow-ups`) switches this off.
//! - What the forecast cannot know: capacity planned after D, policy changes announced after D and the waves of
//!   cancellations they cause. On the 2020 scenario the wait fell to a week on 22 July because pick-ups went
//!   appointment-free (announced 24 June; some 130 bookings a week fewer, and about 110 pick-up appointments
//!   cancelled on 25–28 June) and extra staff came from 13 July (planned 1 July). Under the plans of mid-June the
//!   demand, pick-ups included, was at the office's capacity, and the forecasts made then say "not within the
//!   horizon" or very late; the scenario re-run without the later decisions (`kaiserslautern_2020_decided_by`)
//!   agrees: the wait would not have come back to a week in 2020. The back-test therefore names, per forecast,
//!   the decisions taken after it ([`backtest::ChangedAfter`]); against what happened, 5 of the 12 weekly
//!   forecasts from 15 May to 31 July 2020 hold the actual day in their 95 % interval, all 5 whose plans held do,
//!   and against the year under the plans known at each forecast's day 71 of 72 do (six seeds;
//!   `tests/forecast_backtest.rs`).
//! - Rescheduling and walk-ins are not simulated: a reschedule moves a slot without changing the backlog, and a
//!   walk-in uses no slot. Bookings observed on days when the calendar was full understate demand (it is censored);
//!   the forecast then errs on the optimistic side.
//! - Appointments on days with capacity 0 at D (displaced) are moved to the first free slots at the start.
//! - Backlog appointments outside the known calendar (unended ones of past days, or beyond it) are held constant.
//! - A booking that finds no free slot within the known calendar is turned away (the online calendar offers none);
//!   the mean count per run is reported.

pub mod backtest;
pub mod inputs;
pub mod plan;
mod sim;
mod stats;
pub mod whatif;

use chrono::{Datelike, Days, NaiveDate};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::domain::id::OfficeId;
use crate::projection::{CalendarSnapshot, DEFAULT_HORIZON_DAYS, DayRow};

use inputs::Observed;
pub use inputs::{FollowUp, ServiceInputs};
use stats::{NEVER, nearest_rank_per_mille};

/// The days after D at which the wait's distribution is reported: 2, 4 and 8 weeks.
pub const WAIT_REPORT_DAYS: [u32; 3] = [14, 28, 56];

/// The sentence that goes with Little's-law estimate.
pub const LITTLES_LAW_CAVEAT: &str = "Little's law divides today's backlog by the mean daily capacity and so \
     assumes that nobody books any more; it is too optimistic whenever new demand is close to or above capacity \
     (the backlog is refilled as fast as it is worked off), it ignores closures and holidays ahead, and it says \
     nothing about the wait, which is set by the first free slot and can be short while a large backlog sits \
     in the calendar, or long while the backlog is small.";

/// How to forecast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ForecastConfig {
    /// How many days after D each run simulates.
    pub horizon_days: u32,
    /// How many runs.
    pub runs: u32,
    /// The seed; the same seed gives the same forecast.
    pub seed: u64,
    /// The wait, in days, that counts as normal again.
    pub target_wait_days: u32,
    /// The backlog that counts as normal again; `None`: `target_wait_days` × mean daily capacity, the backlog that a
    /// calendar booked out exactly to the target wait holds.
    pub backlog_level: Option<u32>,
    /// How many of the last open days (capacity > 0) demand and rates are taken from.
    pub window_open_days: u32,
    /// H of docs/events.md: how far ahead next_available_days looks.
    pub wait_horizon_days: u32,
    /// Whether follow-up visits (identity document pick-ups) are booked from attended appointments rather than
    /// resampled ([`inputs::FollowUp`]).
    pub follow_ups: bool,
}

impl Default for ForecastConfig {
    fn default() -> Self {
        ForecastConfig {
            horizon_days: 180,
            runs: 2000,
            seed: 20200624,
            target_wait_days: 7,
            backlog_level: None,
            window_open_days: 28,
            wait_horizon_days: DEFAULT_HORIZON_DAYS,
            follow_ups: true,
        }
    }
}

impl ForecastConfig {
    /// How many days the calendar snapshot must cover: the horizon plus H, so that the wait on the last simulated
    /// day can still be looked up.
    pub fn snapshot_days(&self) -> u32 {
        self.horizon_days + self.wait_horizon_days
    }

    /// How many days of history to hand over: enough to find the window's open days behind a long closure.
    pub const HISTORY_DAYS: u32 = 400;
}

/// Why no forecast can be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForecastError {
    #[error("history: no rows, expected the days up to the as-of day {as_of}")]
    EmptyHistory { as_of: NaiveDate },
    #[error("history: the last row is for {last}, expected the as-of day {as_of}")]
    HistoryEndsElsewhere { last: NaiveDate, as_of: NaiveDate },
    #[error("history: the row after {after} is for {found}, expected consecutive days")]
    HistoryGap { after: NaiveDate, found: NaiveDate },
    #[error("history: no open day (capacity > 0) in the {days} days up to {as_of}, no demand to resample")]
    NoOpenDay { as_of: NaiveDate, days: usize },
    #[error("snapshot: covers {days} days, the forecast needs {needed} (horizon + wait horizon)")]
    SnapshotTooShort { days: usize, needed: usize },
    #[error("snapshot: capacity has {capacity} days but booked has {booked}")]
    SnapshotMismatch { capacity: usize, booked: usize },
    #[error("services: {split} per-service booking maps for {rows} history rows, expected one per row")]
    ServiceSplitMismatch { rows: usize, split: usize },
    #[error("config: {field} must be at least 1")]
    Zero { field: &'static str },
}

/// When a level is reached, as dates with confidence. `None` means "not within the horizon".
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Reach {
    /// The level: a wait in days, or a backlog in appointments; reached when the figure is at or below it.
    pub level: u32,
    /// Whether the as-of day itself is already at or below it.
    pub reached_as_of: bool,
    /// Half of the runs are there by this date.
    pub p50: Option<NaiveDate>,
    /// 85 % of the runs are there by this date.
    pub p85: Option<NaiveDate>,
    /// 95 % of the runs are there by this date.
    pub p95: Option<NaiveDate>,
    /// The central 85 % interval (7.5th to 92.5th percentile), for back-tests.
    pub central_85: Interval,
    /// The central 95 % interval (2.5th to 97.5th percentile).
    pub central_95: Interval,
    /// The share of runs that get there within the horizon.
    pub share_within_horizon: f64,
}

/// An interval of dates; an end that is `None` lies beyond the horizon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Interval {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// The headline wait (third_next_available_days) some days on, over the runs. `None`: none within H days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct WaitAfter {
    pub days: u32,
    pub date: NaiveDate,
    pub p5: Option<u32>,
    pub p50: Option<u32>,
    pub p95: Option<u32>,
}

/// One day of the fan chart: percentiles over runs of the waits (`None`: no free slot within H days) and backlog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FanDay {
    pub date: NaiveDate,
    /// Whether the office is open that day (capacity > 0 as planned at the as-of day); only open days count for
    /// the wait targets.
    pub open: bool,
    /// next_available_days at p5, p25, p50, p75, p95.
    #[schema(value_type = Vec<Option<u32>>)]
    pub wait: [Option<u32>; 5],
    /// third_next_available_days at p5, p25, p50, p75, p95: the headline wait.
    #[schema(value_type = Vec<Option<u32>>)]
    pub third: [Option<u32>; 5],
    /// Backlog at p5, p25, p50, p75, p95.
    #[schema(value_type = Vec<u32>)]
    pub backlog: [u32; 5],
}

/// Little's-law estimate: backlog ÷ mean daily capacity = days to work the backlog off, ignoring new demand.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LittlesLaw {
    pub backlog: u32,
    pub mean_daily_capacity: f64,
    /// `None` when no capacity is planned.
    pub days: Option<f64>,
    /// as_of + ⌈days⌉.
    pub date: Option<NaiveDate>,
    #[schema(value_type = String)]
    pub caveat: &'static str,
}

/// A forecast for one office as of one day.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Forecast {
    #[schema(value_type = String)]
    pub office: OfficeId,
    pub as_of: NaiveDate,
    pub config: ForecastConfig,
    /// The last day simulated (as_of + horizon).
    pub horizon_end: NaiveDate,
    pub observed: Observed,
    /// The headline: when third_next_available_days is at or below `config.target_wait_days`, on an open day.
    pub wait_target: Reach,
    /// The same for next_available_days, reported beside it: it falls early whenever a chance cancellation frees
    /// a single slot, so it is not the one to announce.
    pub next_available_target: Reach,
    /// When the backlog is at or below the backlog level.
    pub backlog_target: Reach,
    /// The wait in 2, 4 and 8 weeks (those within the horizon).
    pub wait_after: Vec<WaitAfter>,
    pub littles_law: LittlesLaw,
    /// Mean bookings per run that found no free slot in the known calendar.
    pub turned_away_per_run: f64,
    /// Per simulated day, for the chart.
    pub fan: Vec<FanDay>,
}

/// Forecasts from the calendar as known as of `snapshot.as_of` and the rows of the days up to it (consecutive,
/// ending at the as-of day; [`ForecastConfig::HISTORY_DAYS`] of them are plenty), with the per-service split of
/// those rows' bookings and the policies known at the as-of day ([`ServiceInputs::take`] reads them all).
pub fn forecast(
    snapshot: &CalendarSnapshot,
    history: &[DayRow],
    services: &ServiceInputs,
    config: &ForecastConfig,
) -> Result<Forecast, ForecastError> {
    forecast_on(snapshot, history, services, config, 1)
}

/// [`forecast`] with its runs spread over `threads` threads (0 counts as 1): the same forecast, bit for bit, in
/// less time on more cores.
pub fn forecast_on(
    snapshot: &CalendarSnapshot,
    history: &[DayRow],
    services: &ServiceInputs,
    config: &ForecastConfig,
    threads: usize,
) -> Result<Forecast, ForecastError> {
    let prepared = Prepared::new(snapshot, history, services, config, &plan::Plan::baseline())?;
    let runs = prepared.simulate(config.horizon_days as usize, threads);
    Ok(prepared.summarize(&runs))
}

/// A forecast ready to run: the calendar as known at D with a plan laid over it, and the fitted pools.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub(crate) office: OfficeId,
    pub(crate) as_of: NaiveDate,
    pub(crate) config: ForecastConfig,
    /// The capacity of the days after D under the plan, `config.snapshot_days()` of them.
    pub(crate) capacity: Vec<u32>,
    booked: Vec<u32>,
    pools: inputs::Pools,
    pub(crate) observed: Observed,
    open_today: bool,
}

/// The per-day figures of every run: `waits[r * days + c]` is next_available_days at the end of simulated day c of
/// run r ([`NEVER`] for none within H); likewise the third next and the backlog.
#[derive(Debug, Clone)]
pub(crate) struct Runs {
    pub(crate) days: usize,
    waits: Vec<u32>,
    pub(crate) thirds: Vec<u32>,
    backlogs: Vec<u32>,
    turned_away: u64,
}

impl Prepared {
    /// Checks the inputs, lays `plan` over them and fits the pools.
    pub(crate) fn new(
        snapshot: &CalendarSnapshot,
        history: &[DayRow],
        services: &ServiceInputs,
        config: &ForecastConfig,
        plan: &plan::Plan,
    ) -> Result<Prepared, ForecastError> {
        for (field, value) in [("runs", config.runs), ("horizon_days", config.horizon_days)] {
            if value == 0 {
                return Err(ForecastError::Zero { field });
            }
        }
        let (capacity, booked) = (&snapshot.capacity, &snapshot.booked);
        if capacity.len() != booked.len() {
            return Err(ForecastError::SnapshotMismatch { capacity: capacity.len(), booked: booked.len() });
        }
        let needed = config.snapshot_days() as usize;
        if capacity.len() < needed {
            return Err(ForecastError::SnapshotTooShort { days: capacity.len(), needed });
        }
        let as_of = snapshot.as_of;
        let applied = plan.apply(as_of, &capacity[..needed], config.horizon_days as usize);
        let with_policies;
        let services = if applied.policies.is_empty() {
            services
        } else {
            let mut more = services.clone();
            more.policies.extend(applied.policies.iter().cloned());
            with_policies = more;
            &with_policies
        };
        let (mut pools, observed) = inputs::fit(history, services, as_of, &applied.capacity, config)?;
        pools.demand_factor = applied.demand_factor;
        Ok(Prepared {
            office: snapshot.office.clone(),
            as_of,
            config: *config,
            capacity: applied.capacity,
            booked: booked[..needed].to_vec(),
            pools,
            observed,
            open_today: history.last().is_some_and(|row| row.capacity > 0),
        })
    }

    /// Simulates the first `days` days (at most the horizon) of every run, spread over `threads` threads. Run r
    /// draws its demand and cancellation counts from stream 2r of the seed and picks the cancelled appointments
    /// from stream 2r + 1, re-positioned every day (see `sim`): the same days of two plans draw the same numbers,
    /// and the result does not depend on the number of threads.
    pub(crate) fn simulate(&self, days: usize, threads: usize) -> Runs {
        let horizon = self.config.horizon_days as usize;
        let days = days.clamp(1, horizon);
        let runs = self.config.runs as usize;
        let first_weekday = (self.as_of.weekday().num_days_from_monday() + 1) % 7;
        let model = sim::Model::new(
            &self.capacity,
            &self.booked,
            self.observed.backlog,
            &self.pools,
            first_weekday as u8,
            days,
            self.config.wait_horizon_days as usize,
        );
        let mut waits = vec![0u32; runs * days];
        let mut thirds = vec![0u32; runs * days];
        let mut backlogs = vec![0u32; runs * days];
        // Runs are split into contiguous blocks, one per thread; run r draws from its own streams whichever thread
        // runs it.
        let block = runs.div_ceil(threads.clamp(1, runs)) * days;
        let blocks = waits.chunks_mut(block).zip(thirds.chunks_mut(block)).zip(backlogs.chunks_mut(block));
        let seed = self.config.seed;
        let simulate = |first_run: usize, ((waits, thirds), backlogs): ((&mut [u32], &mut [u32]), &mut [u32])| {
            let mut scratch = model.scratch();
            let per_run =
                waits.chunks_exact_mut(days).zip(thirds.chunks_exact_mut(days)).zip(backlogs.chunks_exact_mut(days));
            let mut turned_away = 0u64;
            for (r, ((wait, third), backlog)) in per_run.enumerate() {
                let run = (first_run + r) as u64;
                let mut draws = ChaCha8Rng::seed_from_u64(seed);
                draws.set_stream(2 * run);
                let mut picks = ChaCha8Rng::seed_from_u64(seed);
                picks.set_stream(2 * run + 1);
                let rngs = sim::Rngs { draws: &mut draws, picks: &mut picks };
                turned_away += model.run(rngs, &mut scratch, sim::RunOut { wait, third, backlog });
            }
            turned_away
        };
        let turned_away: u64 = std::thread::scope(|scope| {
            let simulate = &simulate;
            let mut blocks = blocks.enumerate().map(|(b, chunks)| (b * block / days, chunks));
            let first = blocks.next();
            let others: Vec<_> = blocks.map(|(run, chunks)| scope.spawn(move || simulate(run, chunks))).collect();
            let here = first.map_or(0, |(run, chunks)| simulate(run, chunks));
            here + others.into_iter().map(|t| t.join().expect("a simulation thread does not panic")).sum::<u64>()
        });
        Runs { days, waits, thirds, backlogs, turned_away }
    }

    /// Whether the wait counts on simulated day c: the office is open that day under the plan.
    pub(crate) fn open(&self, days: usize) -> Vec<bool> {
        self.capacity[..days].iter().map(|&c| c > 0).collect()
    }

    /// The headline wait as of D, as [`reach`] takes it: [`NEVER`] on a closed day.
    pub(crate) fn third_now(&self) -> u32 {
        if self.open_today { self.observed.third_next_available_days.unwrap_or(NEVER) } else { NEVER }
    }

    fn date(&self, day: u32) -> NaiveDate {
        self.as_of.checked_add_days(Days::new(day as u64)).unwrap_or(NaiveDate::MAX)
    }

    /// The forecast from the runs of the whole horizon.
    pub(crate) fn summarize(&self, runs: &Runs) -> Forecast {
        let (config, observed) = (&self.config, &self.observed);
        let horizon = runs.days;
        let date = |day: u32| self.date(day);
        // A wait counts as back to normal only on a day the office is open (see the module docs).
        let open = self.open(horizon);
        let every_day = vec![true; horizon];
        let target = config.target_wait_days;
        let wait_target = reach(&runs.thirds, &open, target, self.third_now(), date);
        let next_now = if self.open_today { observed.next_available_days.unwrap_or(NEVER) } else { NEVER };
        let next_available_target = reach(&runs.waits, &open, target, next_now, date);
        let level = config.backlog_level.unwrap_or((target as f64 * observed.mean_daily_capacity) as u32);
        let backlog_target = reach(&runs.backlogs, &every_day, level, observed.backlog, date);

        // One column (one simulated day, every run) at a time, sorted in a reused buffer.
        let mut column = vec![0u32; config.runs as usize];
        let mut fan = Vec::with_capacity(horizon);
        for (c, &open) in open.iter().enumerate() {
            let wait = fan_percentiles(&mut column, &runs.waits, horizon, c);
            let third = fan_percentiles(&mut column, &runs.thirds, horizon, c);
            let backlog = fan_percentiles(&mut column, &runs.backlogs, horizon, c).map(|b| b.unwrap_or(0));
            fan.push(FanDay { date: date(c as u32 + 1), open, wait, third, backlog });
        }
        let wait_after = WAIT_REPORT_DAYS
            .iter()
            .filter(|&&d| d as usize <= horizon)
            .map(|&d| {
                let day = &fan[d as usize - 1];
                WaitAfter { days: d, date: day.date, p5: day.third[0], p50: day.third[2], p95: day.third[4] }
            })
            .collect();

        let littles_law = littles_law(observed.backlog, observed.mean_daily_capacity, self.as_of);
        Forecast {
            office: self.office.clone(),
            as_of: self.as_of,
            config: *config,
            horizon_end: date(config.horizon_days),
            observed: observed.clone(),
            wait_target,
            next_available_target,
            backlog_target,
            wait_after,
            littles_law,
            turned_away_per_run: runs.turned_away as f64 / config.runs as f64,
            fan,
        }
    }
}

/// The first simulated day (1 = D + 1, 0 = D itself) of each run on which `series` is at or below `level` among
/// the days that `counts`, [`NEVER`] for none; all 0 when `now` is already at or below it.
pub(crate) fn first_days(series: &[u32], counts: &[bool], level: u32, now: u32) -> Vec<u32> {
    let horizon = counts.len();
    if now <= level {
        return vec![0; series.len() / horizon];
    }
    series
        .chunks_exact(horizon)
        .map(|run| {
            run.iter().zip(counts).position(|(&v, &counts)| counts && v <= level).map_or(NEVER, |c| c as u32 + 1)
        })
        .collect()
}

/// The percentiles over runs of the first day (0 = the as-of day) on which `series` is at or below `level`, among
/// the days that `counts` (one flag per simulated day).
fn reach(series: &[u32], counts: &[bool], level: u32, now: u32, date: impl Fn(u32) -> NaiveDate) -> Reach {
    let mut first = first_days(series, counts, level, now);
    first.sort_unstable();
    let at = |per_mille| nearest_rank_per_mille(&first, per_mille).map(&date);
    let reached = first.iter().filter(|&&d| d != NEVER).count();
    Reach {
        level,
        reached_as_of: now <= level,
        p50: at(500),
        p85: at(850),
        p95: at(950),
        central_85: Interval { from: at(75), to: at(925) },
        central_95: Interval { from: at(25), to: at(975) },
        share_within_horizon: reached as f64 / first.len() as f64,
    }
}

/// p5, p25, p50, p75 and p95 over runs of day `c` of `data` (runs of `horizon` days each).
fn fan_percentiles(column: &mut [u32], data: &[u32], horizon: usize, c: usize) -> [Option<u32>; 5] {
    for (slot, run) in column.iter_mut().zip(data.chunks_exact(horizon)) {
        *slot = run[c];
    }
    column.sort_unstable();
    [50, 250, 500, 750, 950].map(|p| nearest_rank_per_mille(column, p))
}

/// Little's law: `backlog` ÷ `mean_daily_capacity` days, counted from `as_of`.
pub fn littles_law(backlog: u32, mean_daily_capacity: f64, as_of: NaiveDate) -> LittlesLaw {
    let days = (mean_daily_capacity > 0.0).then(|| backlog as f64 / mean_daily_capacity);
    let date = days.and_then(|d| as_of.checked_add_days(Days::new(d.ceil() as u64)));
    LittlesLaw { backlog, mean_daily_capacity, days, date, caveat: LITTLES_LAW_CAVEAT }
}

#[cfg(test)]
mod tests;
