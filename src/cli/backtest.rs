//! `wartezeit backtest`: forecasts made at past days, compared with what then happened — per forecast day the
//! predicted dates and the actual one, and the coverage of the 85 % and 95 % intervals over all of them.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;

use crate::cli::GlobalArgs;
use crate::cli::forecast::{ForecastOptions, Format};
use crate::cli::load;
use crate::domain::id::OfficeId;
use crate::forecast::ForecastConfig;
use crate::forecast::backtest::{Actual, BacktestPoint, BacktestReport, ChangedAfter, ProjectionHistory};

/// `wartezeit backtest --office O --from D1 --to D2 --every 7 [--target-days N] [--runs N] [--seed N]
/// [--no-follow-ups] [--format json|table]`.
#[derive(Debug, Clone, clap::Args)]
pub struct BacktestArgs {
    /// The office; may be left out when the log holds exactly one.
    #[arg(long, value_parser = load::parse_office)]
    pub office: Option<OfficeId>,
    /// The first forecast day.
    #[arg(long, value_parser = load::parse_date)]
    pub from: NaiveDate,
    /// The last forecast day (inclusive).
    #[arg(long, value_parser = load::parse_date)]
    pub to: NaiveDate,
    /// Days between forecasts.
    #[arg(long, default_value_t = 7)]
    pub every: u32,
    #[command(flatten)]
    pub options: ForecastOptions,
}

/// Loads the projection, runs the back-test and prints it to stdout.
pub fn run(global: &GlobalArgs, args: &BacktestArgs) -> anyhow::Result<ExitCode> {
    load::period(args.from, args.to)?;
    let loaded = load::projection(global, None, None)?;
    let projection = &loaded.projection;
    let office = load::office(projection, args.office.as_ref())?;
    let last_day = projection
        .offices()
        .into_iter()
        .find(|o| o.office == office)
        .map(|o| o.last_event_date)
        .context("--office: no events for it")?;
    let config = args.options.config(projection);
    let history = ProjectionHistory { projection, office: &office, last_day };
    let total = crate::forecast::backtest::forecast_count(args.from, args.to, args.every);
    let bar = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(total)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let report = crate::forecast::backtest::backtest_with_progress(
        &history,
        args.from,
        args.to,
        args.every,
        &config,
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        &mut |_| bar.inc(1),
    );
    bar.finish_and_clear();
    let report = report.with_context(|| format!("back-test for {office}"))?;
    let mut out = std::io::stdout().lock();
    match args.options.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &report).context("writing the back-test")?;
            writeln!(out).context("writing the back-test")?;
        }
        Format::Table => out.write_all(table(&report, &config).as_bytes()).context("writing the back-test")?,
    }
    Ok(ExitCode::SUCCESS)
}

fn when(date: Option<NaiveDate>) -> String {
    date.map_or_else(|| "beyond".to_string(), |d| d.to_string())
}

fn actual(actual: Actual) -> String {
    match actual {
        Actual::Reached { date } => date.to_string(),
        Actual::NotWithinHorizon => "not within horizon".to_string(),
        Actual::Censored { known_until } => format!("not yet ({known_until})"),
    }
}

/// The decisions taken after a forecast, in a few words: "capacity +370 from 2020-07-13; policy
/// ausweis-abholung 2020-06-29"; "–" when its plans held.
fn changed(changed: &ChangedAfter) -> String {
    let mut parts = Vec::new();
    if let Some(from) = changed.capacity_from {
        parts.push(format!("capacity {:+} from {from}", changed.capacity_slots));
    }
    for p in &changed.policies {
        let what = if p.appointment_required { "appointment" } else { "no appointment" };
        parts.push(format!("{} {what} from {}", p.service, p.effective_from));
    }
    if parts.is_empty() { "–".to_string() } else { parts.join("; ") }
}

fn yes_no(hit: Option<bool>) -> &'static str {
    match hit {
        Some(true) => "yes",
        Some(false) => "no",
        None => "open",
    }
}

fn share(share: Option<f64>, points: &[BacktestPoint], pick: fn(&BacktestPoint) -> Option<bool>) -> String {
    let decided: Vec<bool> = points.iter().filter_map(pick).collect();
    let hits = decided.iter().filter(|&&h| h).count();
    match share {
        Some(s) => format!("{:.0} % ({hits} of {})", s * 100.0, decided.len()),
        None => "none decided".to_string(),
    }
}

/// The back-test as a table for people.
pub fn table(report: &BacktestReport, config: &ForecastConfig) -> String {
    let mut s = format!(
        "Back-test for {}: when is the wait (third next available, on an open day) ≤ {} days? \
         {} runs per forecast, seed {}\n\n",
        report.office, report.target_wait_days, config.runs, config.seed
    );
    s += &format!(
        "{:<10}  {:<10}  {:<10}  {:<10}  {:<22}  {:<5}  {:<5}  {:<9}  {}\n",
        "as of", "p50", "p85", "p95", "actual", "in 85", "in 95", "error", "decided later"
    );
    for p in &report.points {
        s += &format!(
            "{:<10}  {:<10}  {:<10}  {:<10}  {:<22}  {:<5}  {:<5}  {:<9}  {}\n",
            p.as_of,
            when(p.p50),
            when(p.p85),
            when(p.p95),
            actual(p.actual),
            yes_no(p.in_central_85),
            yes_no(p.in_central_95),
            p.error_days
                .map_or_else(|| "–".to_string(), |e| format!("{e:+} {}", if e.abs() == 1 { "day" } else { "days" })),
            changed(&p.changed_after),
        );
    }
    s += &format!(
        "\nCoverage of the central 85 % interval: {}\nCoverage of the central 95 % interval: {}\n",
        share(report.coverage_85, &report.points, |p| p.in_central_85),
        share(report.coverage_95, &report.points, |p| p.in_central_95),
    );
    let held: Vec<BacktestPoint> = report.points.iter().filter(|p| p.changed_after.held()).cloned().collect();
    s += &format!(
        "Forecasts whose plans and policies held up to the outcome: {} of {}; their coverage 85 %: {}, 95 %: {}\n",
        report.plans_held,
        report.points.len(),
        share(report.coverage_85_plans_held, &held, |p| p.in_central_85),
        share(report.coverage_95_plans_held, &held, |p| p.in_central_95),
    );
    s += &match report.median_abs_error_days {
        Some(e) => format!("Median absolute error of the p50 date: {e} {}\n", if e == 1 { "day" } else { "days" }),
        None => "Median absolute error of the p50 date: no forecast with both dates\n".to_string(),
    };
    s
}
