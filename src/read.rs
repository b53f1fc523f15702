//! The read side: every question asked of the figures, resolved and checked once and answered from one place.
//!
//! A question names an office (or leaves it to the log's only one), a day or a period, and a language; this module
//! settles which office is meant, whether the period may be answered, and computes the answer from a projection.
//! The CLI, the HTTP routes, the page, the press statement and the charts are renderings of these answers: the
//! same question gives the same numbers everywhere. Errors are one typed [`ReadError`]; each edge words the
//! parameter its own way (`office=` or `--office`). Pure: no clock, no disk, no HTTP.

use chrono::{Days, NaiveDate};

use crate::chart::{ChartView, LostSlots};
use crate::domain::event::ClosureCause;
use crate::domain::id::OfficeId;
use crate::domain::time::{MAX_CHART_DAYS, MAX_PERIOD_DAYS, PeriodError, period_days};
use crate::forecast::plan::{Plan, PlanError};
use crate::forecast::whatif::{self, CapacityNeeded, Comparison, NeedQuestion, WhatIfError};
use crate::forecast::{Forecast, ForecastConfig, ServiceInputs, forecast_on};
use crate::projection::{Attribution, CalendarSnapshot, DayRow, LossCause, ObservedDay, PeriodKind, Projection};

/// Why a question cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// The office named is not in the log.
    #[error("office {office} is not in the log; it holds {}", names(known))]
    UnknownOffice { office: OfficeId, known: Vec<OfficeId> },
    /// No office was named and the log holds none.
    #[error("the log holds no office yet; import events first")]
    NoOffice,
    /// No office was named and the log holds several.
    #[error("the log holds {} offices ({}); name one", known.len(), names(known))]
    OfficeNeeded { known: Vec<OfficeId> },
    /// A period that is reversed or too long.
    #[error("{0}")]
    Period(#[from] PeriodError),
    /// A forecast parameter out of its range.
    #[error("{parameter}={value} is out of range {range}")]
    OutOfRange { parameter: &'static str, value: u64, range: String },
    /// Nothing to forecast from.
    #[error("no forecast for {office} as of {as_of}: {reason}")]
    NoForecast { office: OfficeId, as_of: NaiveDate, reason: String },
    /// A what-if plan or a capacity question that cannot be used: the field and why.
    #[error("plan: {0}")]
    BadPlan(PlanError),
}

impl ReadError {
    /// What kind of refusal it is, for the edges' statuses and exit codes.
    pub fn kind(&self) -> ErrorKind {
        match self {
            ReadError::UnknownOffice { .. } | ReadError::NoOffice => ErrorKind::NotFound,
            ReadError::OfficeNeeded { .. } => ErrorKind::BadParameter("office"),
            ReadError::Period(PeriodError::Reversed { .. }) => ErrorKind::BadParameter("to"),
            ReadError::Period(PeriodError::TooLong { .. }) => ErrorKind::BadParameter("to"),
            ReadError::OutOfRange { parameter, .. } => ErrorKind::BadParameter(parameter),
            ReadError::NoForecast { .. } => ErrorKind::Unprocessable,
            ReadError::BadPlan(_) => ErrorKind::BadParameter("plan"),
        }
    }
}

/// The class of a [`ReadError`]: HTTP 400 (naming the parameter), 404 or 422.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    BadParameter(&'static str),
    NotFound,
    Unprocessable,
}

fn names(offices: &[OfficeId]) -> String {
    if offices.is_empty() {
        "none".to_owned()
    } else {
        offices.iter().map(OfficeId::as_str).collect::<Vec<_>>().join(", ")
    }
}

fn known_offices(projection: &Projection) -> Vec<OfficeId> {
    projection.offices().into_iter().map(|o| o.office).collect()
}

/// The office a question is about: the one named, or the log's only office.
pub fn office(projection: &Projection, asked: Option<&OfficeId>) -> Result<OfficeId, ReadError> {
    let known = known_offices(projection);
    match asked {
        Some(office) if known.contains(office) => Ok(office.clone()),
        Some(office) => Err(ReadError::UnknownOffice { office: office.clone(), known }),
        None => match known.as_slice() {
            [] => Err(ReadError::NoOffice),
            [only] => Ok(only.clone()),
            _ => Err(ReadError::OfficeNeeded { known }),
        },
    }
}

/// The office the page shows: the one named, or else the first in name order (the page lets one switch); `None`
/// for an empty log, which the page shows as "no data yet".
pub fn page_office(projection: &Projection, asked: Option<&OfficeId>) -> Result<Option<OfficeId>, ReadError> {
    let known = known_offices(projection);
    match asked {
        Some(office) if known.contains(office) => Ok(Some(office.clone())),
        Some(office) => Err(ReadError::UnknownOffice { office: office.clone(), known }),
        None => Ok(known.first().cloned()),
    }
}

/// Checks a period of a series, an attribution, a back-test or an export.
pub fn period(from: NaiveDate, to: NaiveDate) -> Result<(), ReadError> {
    period_days(from, to, MAX_PERIOD_DAYS)?;
    Ok(())
}

/// Checks the period of a chart.
pub fn chart_period(from: NaiveDate, to: NaiveDate) -> Result<(), ReadError> {
    period_days(from, to, MAX_CHART_DAYS)?;
    Ok(())
}

/// How many days a chart shows when no period is asked for: the year up to the as-of day.
pub const DEFAULT_CHART_DAYS: u64 = 365;

/// The period a chart of `office` shows when none is asked for: [`DEFAULT_CHART_DAYS`] up to `to`, but not into
/// the months before the office's first event (an empty half of a chart tells the reader nothing). The page names
/// this period above its charts.
pub fn default_chart_period(projection: &Projection, office: &OfficeId, to: NaiveDate) -> (NaiveDate, NaiveDate) {
    let year_back = to.checked_sub_days(Days::new(DEFAULT_CHART_DAYS - 1)).unwrap_or(to);
    let first = projection.offices().into_iter().find(|o| &o.office == office).map(|o| o.first_event_date);
    (first.map_or(year_back, |first| year_back.max(first).min(to)), to)
}

/// The closures and holidays the page lists from `as_of` on: every closure, and the holidays that cost slots (a
/// holiday on a day the office is shut anyway, a Saturday say, is no news to anyone planning a visit).
pub fn upcoming_periods(
    projection: &Projection,
    office: &OfficeId,
    as_of: NaiveDate,
) -> Vec<crate::projection::NamedPeriod> {
    projection
        .periods(office, as_of)
        .into_iter()
        .filter(|p| {
            p.kind != PeriodKind::Holiday || projection.attribution(office, p.first_day, p.last_day).lost_slots > 0
        })
        .collect()
}

/// One row of `series`: the day's booked figures and what the public online calendar showed that day.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct SeriesRow {
    #[serde(flatten)]
    pub day: DayRow,
    /// The observed figures of the office's own calendar (observations without a service).
    #[serde(flatten)]
    pub observed: ObservedDay,
    /// The observed figures of each service observed on its own; empty when none is.
    pub observed_by_service: std::collections::BTreeMap<crate::domain::id::ServiceId, ObservedDay>,
}

/// What the public online calendar of an office showed in its last observation up to a day: the one answer the
/// page's tiles and the press statement give, so that both name the same figures and the same time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedHeadline {
    /// The last observation up to the end of the day, in the service's zone, and the figures of its day (whose
    /// last observation it is).
    pub seen: SeenCalendar,
    /// The same seven days earlier, for the change; `None` when the calendar was not observed by then.
    pub seven_days_earlier: Option<SeenCalendar>,
    /// Whether the office also has booked figures (events of its own beyond observations).
    pub booked: bool,
}

/// One observation of an office's own calendar and the observed figures of its day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenCalendar {
    pub at: chrono::DateTime<chrono::FixedOffset>,
    pub figures: ObservedDay,
}

/// The observed headline of `office` as of `as_of`; `None` when its own calendar was not observed by then.
pub fn observed_headline(projection: &Projection, office: &OfficeId, as_of: NaiveDate) -> Option<ObservedHeadline> {
    let seen = |day: NaiveDate| {
        let at = projection.last_observed(office, None, day)?;
        let at = at.with_timezone(&projection.config().zone.tz()).fixed_offset();
        let on = at.date_naive();
        let figures = projection.observed_series(office, None, on, on).pop().unwrap_or_default();
        Some(SeenCalendar { at, figures })
    };
    Some(ObservedHeadline {
        seen: seen(as_of)?,
        seven_days_earlier: as_of.checked_sub_days(Days::new(7)).and_then(seen),
        booked: projection.has_booked_figures(office),
    })
}

/// The daily rows of `office` over `from..=to`.
pub fn series(
    projection: &Projection,
    office: Option<&OfficeId>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<SeriesRow>, ReadError> {
    period(from, to)?;
    let office = self::office(projection, office)?;
    let days = projection.series(&office, from, to);
    let own = projection.observed_series(&office, None, from, to);
    let services: Vec<_> = projection.observed(&office).map(|o| o.services().cloned().collect()).unwrap_or_default();
    let mut by_service: Vec<_> = services
        .into_iter()
        .map(|s| {
            let days = projection.observed_series(&office, Some(&s), from, to);
            (s, days.into_iter())
        })
        .collect();
    Ok(days
        .into_iter()
        .zip(own)
        .map(|(day, observed)| SeriesRow {
            day,
            observed,
            observed_by_service: by_service
                .iter_mut()
                .map(|(s, days)| (s.clone(), days.next().unwrap_or_default()))
                .collect(),
        })
        .collect())
}

/// The capacity lost in `from..=to`, per cause and named period.
pub fn attribution(
    projection: &Projection,
    office: Option<&OfficeId>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Attribution, ReadError> {
    period(from, to)?;
    let office = self::office(projection, office)?;
    Ok(projection.attribution(&office, from, to))
}

/// The attribution chart's bars: one per named closure or holiday of the attribution's period.
pub fn lost_slots(attribution: &Attribution) -> Vec<LostSlots> {
    attribution
        .by_period
        .iter()
        .map(|p| {
            let cause = match p.cause {
                LossCause::Holiday => PeriodKind::Holiday,
                LossCause::Lockdown => PeriodKind::Closure(ClosureCause::Lockdown),
                LossCause::SystemMigration => PeriodKind::Closure(ClosureCause::SystemMigration),
                LossCause::StaffShortage => PeriodKind::Closure(ClosureCause::StaffShortage),
                LossCause::Other => PeriodKind::Closure(ClosureCause::Other),
            };
            // Reasons are free text and often long; a bar label wants the closure's id then.
            let label = if p.label.is_empty() || p.label.chars().count() > 40 { p.id.clone() } else { p.label.clone() };
            LostSlots { label, cause, slots: p.loss.lost_slots }
        })
        .collect()
}

/// What a chart of `office` over `from..=to` shows (the attribution chart's bars for the same period); with a
/// forecast, the forecast chart's weeks around its as-of day instead.
pub fn chart_view(
    projection: &Projection,
    office: &OfficeId,
    from: NaiveDate,
    to: NaiveDate,
    as_of: NaiveDate,
    forecast: Option<&Forecast>,
) -> ChartView {
    if let Some(forecast) = forecast {
        return ChartView::for_forecast(projection, forecast.clone());
    }
    let mut view = ChartView::from_projection(projection, office, from, to, as_of);
    view.attribution = lost_slots(&projection.attribution(office, from, to));
    view
}

/// The most runs one forecast may ask for.
pub const MAX_RUNS: u64 = 10_000;

/// The forecast parameters of a question, checked: `None` takes the default.
pub fn forecast_config(
    projection: &Projection,
    target_days: Option<u64>,
    runs: Option<u64>,
    seed: Option<u64>,
    follow_ups: Option<bool>,
) -> Result<ForecastConfig, ReadError> {
    let defaults = ForecastConfig::default();
    let wait_horizon_days = projection.config().horizon_days;
    let runs = match runs {
        None => defaults.runs,
        Some(r) if (1..=MAX_RUNS).contains(&r) => r as u32,
        Some(r) => return Err(ReadError::OutOfRange { parameter: "runs", value: r, range: format!("1..={MAX_RUNS}") }),
    };
    let target_wait_days = match target_days {
        None => defaults.target_wait_days,
        Some(t) if t <= u64::from(wait_horizon_days) => t as u32,
        Some(t) => {
            let range = format!("0..={wait_horizon_days} (the wait horizon)");
            return Err(ReadError::OutOfRange { parameter: "target_days", value: t, range });
        }
    };
    Ok(ForecastConfig {
        runs,
        target_wait_days,
        seed: seed.unwrap_or(defaults.seed),
        wait_horizon_days,
        follow_ups: follow_ups.unwrap_or(defaults.follow_ups),
        ..defaults
    })
}

/// What a forecast needs from the projection, copied out (under a lock, in the service) and then owned.
#[derive(Debug, Clone)]
pub struct ForecastInputs {
    pub snapshot: CalendarSnapshot,
    pub history: Vec<DayRow>,
    pub services: ServiceInputs,
    pub config: ForecastConfig,
}

impl ForecastInputs {
    /// Copies the calendar as known as of `as_of` and the rows up to it out of the projection.
    pub fn take(projection: &Projection, office: &OfficeId, as_of: NaiveDate, config: ForecastConfig) -> Self {
        let (snapshot, history, services) = crate::forecast::backtest::inputs_of(
            projection,
            office,
            as_of,
            config.snapshot_days(),
            ForecastConfig::HISTORY_DAYS,
        );
        ForecastInputs { snapshot, history, services, config }
    }

    /// Runs the forecast with its runs spread over `threads` threads (the result does not depend on them).
    ///
    /// The one case of the user's is an office without an open day to learn demand from: [`ReadError::NoForecast`].
    /// Every other refusal of the forecast (a gap in the history, a snapshot of the wrong length, a split that does
    /// not match) would be a mistake of [`ForecastInputs::take`], which builds them consistent: a bug, not an
    /// answer.
    pub fn run(&self, threads: usize) -> Result<Forecast, ReadError> {
        use crate::forecast::ForecastError;
        forecast_on(&self.snapshot, &self.history, &self.services, &self.config, threads).map_err(|e| match e {
            ForecastError::NoOpenDay { .. } | ForecastError::EmptyHistory { .. } => ReadError::NoForecast {
                office: self.snapshot.office.clone(),
                as_of: self.snapshot.as_of,
                reason: e.to_string(),
            },
            bug => unreachable!("ForecastInputs::take builds consistent inputs, yet the forecast refused them: {bug}"),
        })
    }
}

impl ForecastInputs {
    /// The forecast under each of `plans` beside the baseline, all with this configuration's seed
    /// ([`crate::forecast::whatif::compare`]). A bad plan is the user's case ([`ReadError::BadPlan`]).
    pub fn compare(&self, plans: &[Plan], threads: usize) -> Result<Comparison, ReadError> {
        let made = whatif::compare(&self.snapshot, &self.history, &self.services, &self.config, plans, threads);
        made.map_err(|e| self.refused(e))
    }

    /// The forecast under one plan, in full ([`crate::forecast::whatif::forecast_under`]).
    pub fn run_under(&self, plan: &Plan, threads: usize) -> Result<Forecast, ReadError> {
        let made = whatif::forecast_under(&self.snapshot, &self.history, &self.services, &self.config, plan, threads);
        made.map_err(|e| self.refused(e))
    }

    /// The extra slots per open day needed to answer `question` on top of `plan`
    /// ([`crate::forecast::whatif::needed`]).
    pub fn needed(&self, plan: &Plan, question: &NeedQuestion, threads: usize) -> Result<CapacityNeeded, ReadError> {
        let made = whatif::needed(&self.snapshot, &self.history, &self.services, &self.config, plan, question, threads);
        made.map_err(|e| self.refused(e))
    }

    fn refused(&self, e: WhatIfError) -> ReadError {
        use crate::forecast::ForecastError;
        match e {
            WhatIfError::Plan(e) => ReadError::BadPlan(e),
            WhatIfError::Forecast(e @ (ForecastError::NoOpenDay { .. } | ForecastError::EmptyHistory { .. })) => {
                ReadError::NoForecast {
                    office: self.snapshot.office.clone(),
                    as_of: self.snapshot.as_of,
                    reason: e.to_string(),
                }
            }
            WhatIfError::Forecast(bug) => {
                unreachable!("ForecastInputs::take builds consistent inputs, yet the forecast refused them: {bug}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::wire::parse_event;
    use crate::projection::Config;

    fn projection(offices: &[&str]) -> Projection {
        let events: Vec<_> = offices
            .iter()
            .enumerate()
            .map(|(i, o)| {
                parse_event(&format!(
                    r#"{{"event_id":"w{i}","type":"walk_in_served","at":"2020-06-22T10:00:00+02:00","office":"{o}","service":"s"}}"#
                ))
                .unwrap()
            })
            .collect();
        Projection::from_entries(Config::default(), events.iter().enumerate().map(|(i, e)| (i as u64 + 1, e)))
    }

    fn id(s: &str) -> OfficeId {
        OfficeId::parse(s).unwrap()
    }

    #[test]
    fn the_office_is_the_one_named_or_the_only_one() {
        let one = projection(&["kl"]);
        assert_eq!(office(&one, None), Ok(id("kl")));
        assert_eq!(office(&one, Some(&id("kl"))), Ok(id("kl")));
        let unknown = office(&one, Some(&id("mz"))).unwrap_err();
        assert_eq!(unknown.to_string(), "office mz is not in the log; it holds kl");
        assert_eq!(unknown.kind(), ErrorKind::NotFound);

        let two = projection(&["kl", "mz"]);
        let needed = office(&two, None).unwrap_err();
        assert_eq!(needed.to_string(), "the log holds 2 offices (kl, mz); name one");
        assert_eq!(needed.kind(), ErrorKind::BadParameter("office"));
        assert_eq!(page_office(&two, None), Ok(Some(id("kl"))), "the page shows the first and lets one switch");

        let none = projection(&[]);
        assert_eq!(office(&none, None), Err(ReadError::NoOffice));
        assert_eq!(page_office(&none, None), Ok(None));
    }

    #[test]
    fn periods_are_checked_before_anything_is_computed() {
        let one = projection(&["kl"]);
        let day = |s: &str| s.parse::<NaiveDate>().unwrap();
        let reversed = series(&one, None, day("2020-06-02"), day("2020-06-01")).unwrap_err();
        assert_eq!(reversed.kind(), ErrorKind::BadParameter("to"));
        let long = attribution(&one, None, day("1970-01-01"), day("2199-12-31")).unwrap_err();
        assert!(long.to_string().contains("at most 36600"), "{long}");
        assert!(chart_period(day("2000-01-01"), day("2020-01-01")).is_err());
        assert_eq!(series(&one, None, day("2020-06-22"), day("2020-06-22")).unwrap()[0].day.served_walk_in, 1);
    }
}
