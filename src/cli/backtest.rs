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
use crate::forecast::backtest::ProjectionHistory;

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
        Format::Table => {
            let text = crate::report::backtest_table(&report, &config, args.options.lang);
            out.write_all(text.as_bytes()).context("writing the back-test")?
        }
    }
    Ok(ExitCode::SUCCESS)
}
