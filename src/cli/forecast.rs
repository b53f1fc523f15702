//! `wartezeit forecast`: the forecast of one office as of one day, as JSON or as a table for people.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;

use crate::domain::id::OfficeId;
use crate::forecast::ForecastConfig;
use crate::projection::Projection;

/// How the forecast is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The full forecast, fan included, as one JSON document.
    Json,
    /// A summary for people.
    Table,
}

/// The options `forecast` and `backtest` share: what counts as normal, how many runs, which seed, the follow-ups,
/// and the output format.
#[derive(Debug, Clone, clap::Args)]
pub struct ForecastOptions {
    /// The wait, in days, that counts as normal again.
    #[arg(long, default_value_t = ForecastConfig::default().target_wait_days)]
    pub target_days: u32,
    /// How many simulation runs (per forecast).
    #[arg(long, default_value_t = ForecastConfig::default().runs)]
    pub runs: u32,
    /// The random seed; the same seed gives the same forecast.
    #[arg(long, default_value_t = ForecastConfig::default().seed)]
    pub seed: u64,
    /// Resample identity document pick-ups like any other booking instead of booking them from the attended
    /// applications of the last five weeks (see the README's forecast section).
    #[arg(long)]
    pub no_follow_ups: bool,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// The language of the table: de (default) or en.
    #[arg(long, value_parser = crate::cli::load::parse_lang, default_value = "de")]
    pub lang: crate::lang::Lang,
}

impl ForecastOptions {
    /// The forecast configuration these options ask for, the rest default; H is the projection's.
    pub fn config(&self, projection: &Projection) -> ForecastConfig {
        ForecastConfig {
            runs: self.runs,
            seed: self.seed,
            target_wait_days: self.target_days,
            wait_horizon_days: projection.config().horizon_days,
            follow_ups: !self.no_follow_ups,
            ..ForecastConfig::default()
        }
    }
}

/// `wartezeit forecast --office O --as-of D [--target-days N] [--backlog-level N] [--runs N] [--horizon-days N]
/// [--seed N] [--no-follow-ups] [--format json|table]`.
#[derive(Debug, Clone, clap::Args)]
pub struct ForecastArgs {
    /// The office; may be left out when the log holds exactly one.
    #[arg(long)]
    pub office: Option<OfficeId>,
    /// The day the forecast is made on: only what was known by its end is used; default today in --tz.
    #[arg(long)]
    pub as_of: Option<NaiveDate>,
    /// The backlog that counts as normal again [default: target days × mean daily capacity].
    #[arg(long)]
    pub backlog_level: Option<u32>,
    /// How many days each run looks ahead.
    #[arg(long, default_value_t = ForecastConfig::default().horizon_days)]
    pub horizon_days: u32,
    #[command(flatten)]
    pub options: ForecastOptions,
}

impl ForecastArgs {
    /// The forecast configuration these arguments ask for; H is the projection's.
    pub fn config(&self, projection: &Projection) -> ForecastConfig {
        ForecastConfig {
            horizon_days: self.horizon_days,
            backlog_level: self.backlog_level,
            ..self.options.config(projection)
        }
    }
}

/// Forecasts from a built projection and prints the result to `out`.
pub fn run(
    args: &ForecastArgs,
    projection: &Projection,
    today: NaiveDate,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let as_of = args.as_of.unwrap_or(today);
    let office = crate::cli::load::office(projection, args.office.as_ref())?;
    let config = args.config(projection);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let made = crate::read::ForecastInputs::take(projection, &office, as_of, config).run(threads)?;
    match args.options.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &made).context("writing the forecast")?;
            writeln!(out).context("writing the forecast")?;
        }
        Format::Table => {
            let text = crate::report::forecast_table(&made, args.options.lang);
            out.write_all(text.as_bytes()).context("writing the forecast")?
        }
    }
    Ok(ExitCode::SUCCESS)
}
