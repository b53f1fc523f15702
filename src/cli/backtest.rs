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
    /// The decisions the office took, as a plan file whose plans each name the day they were decided
    /// (`decided = YYYY-MM-DD`): the back-test is run twice, under the plans known each day and with these laid
    /// over the forecasts made before their day.
    #[arg(long, value_name = "FILE")]
    pub decisions: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub options: ForecastOptions,
}

/// Loads the projection, runs the back-test and prints it to stdout.
pub fn run(global: &GlobalArgs, args: &BacktestArgs) -> anyhow::Result<ExitCode> {
    load::period(args.from, args.to)?;
    let decisions = match &args.decisions {
        Some(path) => {
            let plans = crate::cli::whatif::read_plan_file(path)?;
            if let Some(plan) = plans.iter().find(|p| p.decided.is_none()) {
                anyhow::bail!("plan file {}: plan {:?} needs decided = YYYY-MM-DD", path.display(), plan.name);
            }
            Some(plans)
        }
        None => None,
    };
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
    let rounds = if decisions.is_some() { 2 } else { 1 };
    let bar = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(total * rounds)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut run = |decisions: &[crate::forecast::plan::Plan]| {
        crate::forecast::backtest::backtest_with_progress(
            &history,
            args.from,
            args.to,
            args.every,
            &config,
            decisions,
            threads,
            &mut |_| bar.inc(1),
        )
        .with_context(|| format!("back-test for {office}"))
    };
    let known = run(&[]);
    let supplied = decisions.as_deref().map(&mut run).transpose();
    bar.finish_and_clear();
    let (known, supplied) = (known?, supplied?);
    let mut out = std::io::stdout().lock();
    match (args.options.format, &supplied) {
        (Format::Json, None) => {
            serde_json::to_writer_pretty(&mut out, &known).context("writing the back-test")?;
            writeln!(out).context("writing the back-test")?;
        }
        (Format::Json, Some(supplied)) => {
            let both = serde_json::json!({
                "plans_known": known,
                "decisions_supplied": { "decisions": decisions, "report": supplied },
            });
            serde_json::to_writer_pretty(&mut out, &both).context("writing the back-test")?;
            writeln!(out).context("writing the back-test")?;
        }
        (Format::Table, _) => {
            let lang = args.options.lang;
            let mut text = String::new();
            if supplied.is_some() {
                text += match lang {
                    crate::lang::Lang::De => "Unter den am jeweiligen Tag bekannten Plänen:\n",
                    crate::lang::Lang::En => "Under the plans known each day:\n",
                };
            }
            text += &crate::report::backtest_table(&known, &config, lang);
            if let (Some(supplied), Some(decisions)) = (&supplied, &decisions) {
                let names: Vec<String> = decisions
                    .iter()
                    .map(|p| format!("{} ({})", p.name, p.decided.map(|d| d.to_string()).unwrap_or_default()))
                    .collect();
                text += &match lang {
                    crate::lang::Lang::De => format!("\nMit den getroffenen Entscheidungen: {}\n", names.join("; ")),
                    crate::lang::Lang::En => format!("\nWith the decisions taken: {}\n", names.join("; ")),
                };
                text += &crate::report::backtest_table(supplied, &config, lang);
            }
            out.write_all(text.as_bytes()).context("writing the back-test")?
        }
    }
    Ok(ExitCode::SUCCESS)
}
