//! `GET /api/v1/forecast`: the forecast of one office as of one day, computed on the blocking pool.
//!
//! The projection's read lock is held only to take the calendar snapshot and the rows the forecast needs; the
//! simulation (2,000 runs take about half a second) then runs on tokio's blocking pool without any lock, so
//! neither writers nor other readers wait for it. Parameters are bounded so that one request cannot occupy a
//! core for long: at most [`MAX_RUNS`] runs, a target wait within the wait horizon.

use axum::http::StatusCode;
use chrono::{Days, NaiveDate};

use crate::domain::id::OfficeId;
use crate::forecast::{Forecast, ForecastConfig, ServiceInputs, forecast};
use crate::projection::{CalendarSnapshot, DayRow, Projection};
use crate::service::problem::Problem;

/// The most runs one request may ask for.
pub const MAX_RUNS: u64 = 10_000;

/// The forecast parameters of a request, checked: `None` takes the default.
pub fn config(
    projection: &Projection,
    target_days: Option<u64>,
    runs: Option<u64>,
    seed: Option<u64>,
) -> Result<ForecastConfig, Problem> {
    let defaults = ForecastConfig::default();
    let wait_horizon_days = projection.config().horizon_days;
    let runs = match runs {
        None => defaults.runs,
        Some(r) if (1..=MAX_RUNS).contains(&r) => r as u32,
        Some(r) => return Err(Problem::bad_parameter("runs", format!("runs={r} is out of range 1..={MAX_RUNS}"))),
    };
    let target_wait_days = match target_days {
        None => defaults.target_wait_days,
        Some(t) if t <= wait_horizon_days as u64 => t as u32,
        Some(t) => {
            return Err(Problem::bad_parameter(
                "target_days",
                format!("target_days={t} is out of range 0..={wait_horizon_days} (the wait horizon)"),
            ));
        }
    };
    Ok(ForecastConfig { runs, target_wait_days, seed: seed.unwrap_or(defaults.seed), wait_horizon_days, ..defaults })
}

/// What the forecast needs from the projection, taken under the read lock and then owned.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub snapshot: CalendarSnapshot,
    pub history: Vec<DayRow>,
    pub services: ServiceInputs,
    pub config: ForecastConfig,
}

impl Inputs {
    /// Copies the calendar as known as of `as_of` and the rows up to it out of the projection.
    pub fn take(projection: &Projection, office: &OfficeId, as_of: NaiveDate, config: ForecastConfig) -> Self {
        let from = as_of.checked_sub_days(Days::new(ForecastConfig::HISTORY_DAYS as u64 - 1)).unwrap_or(NaiveDate::MIN);
        Inputs {
            snapshot: projection.snapshot(office, as_of, config.snapshot_days()),
            history: projection.series(office, from, as_of),
            services: ServiceInputs::take(projection, office, from, as_of),
            config,
        }
    }

    /// Runs the forecast; a history without an open day to learn from is 422.
    pub fn run(&self) -> Result<Forecast, Problem> {
        forecast(&self.snapshot, &self.history, &self.services, &self.config).map_err(|e| {
            Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("no forecast for {} as of {}: {e}", self.snapshot.office, self.snapshot.as_of),
            )
        })
    }
}
