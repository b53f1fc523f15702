//! `wartezeit whatif` and `wartezeit capacity-needed`: decisions weighed before they are taken — plans beside the
//! baseline, and the extra slots per open day needed to be back to normal by a date.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;

use crate::cli::forecast::{ForecastOptions, Format};
use crate::cli::load;
use crate::domain::id::OfficeId;
use crate::forecast::plan::Plan;
use crate::forecast::plan::file::{parse_file, parse_line};
use crate::forecast::whatif::{DEFAULT_LIMIT, DEFAULT_PROBABILITY, NeedQuestion};
use crate::forecast::{ForecastConfig, whatif};
use crate::projection::Projection;

/// Where the plans come from: lines on the command line and a plan file.
#[derive(Debug, Clone, clap::Args)]
pub struct PlanArgs {
    /// A plan in one line, `NAME: CHANGE; CHANGE …` (e.g. "Mehr Termine: slots 2 from 2020-07-13"); repeatable.
    /// The kinds: slots N|a,b,c,d,e,f,g, saturdays N, closure, without-appointment SERVICE, demand +10%, each with
    /// from YYYY-MM-DD [until YYYY-MM-DD].
    #[arg(long = "plan", value_name = "PLAN")]
    pub plans: Vec<String>,
    /// A plan file (TOML, `[[plan]]` tables; see the README).
    #[arg(long, value_name = "FILE")]
    pub plan_file: Option<PathBuf>,
}

impl PlanArgs {
    /// The plans of the file, then those of the command line, checked.
    pub fn plans(&self) -> anyhow::Result<Vec<Plan>> {
        let mut plans = match &self.plan_file {
            Some(path) => read_plan_file(path)?,
            None => Vec::new(),
        };
        for (i, line) in self.plans.iter().enumerate() {
            let plan = parse_line(line).map_err(|e| anyhow::anyhow!("--plan #{} {line:?}: {e}", i + 1))?;
            plans.push(plan);
        }
        whatif::check_plans(&plans).map_err(|e| anyhow::anyhow!("plans: {e}"))?;
        Ok(plans)
    }
}

/// Reads and parses a plan file; a mistake names the file, the line, the key and the reason.
pub fn read_plan_file(path: &Path) -> anyhow::Result<Vec<Plan>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read plan file {}", path.display()))?;
    parse_file(&text).map_err(|e| anyhow::anyhow!("plan file {}, {e}", path.display()))
}

/// `wartezeit whatif --office O --as-of D --plan "…" --plan-file FILE [forecast options]`.
#[derive(Debug, Clone, clap::Args)]
pub struct WhatIfArgs {
    /// The office; may be left out when the log holds exactly one.
    #[arg(long, value_parser = load::parse_office)]
    pub office: Option<OfficeId>,
    /// The day the forecasts are made on: the plans known by its end, with the plans laid over them.
    #[arg(long, value_parser = load::parse_date)]
    pub as_of: Option<NaiveDate>,
    #[command(flatten)]
    pub plans: PlanArgs,
    /// Print the press statement's sentence about this plan (by name) after the table.
    #[arg(long, value_name = "NAME")]
    pub press: Option<String>,
    /// Also draw the chart of the comparison (the median wait under each plan) into this file (.png or .svg).
    #[arg(long, value_name = "FILE")]
    pub chart: Option<PathBuf>,
    #[command(flatten)]
    pub options: ForecastOptions,
}

/// `wartezeit capacity-needed --by T [--from E] [--probability 0.85] [--limit 100] [--plan …]`.
#[derive(Debug, Clone, clap::Args)]
pub struct CapacityArgs {
    /// The office; may be left out when the log holds exactly one.
    #[arg(long, value_parser = load::parse_office)]
    pub office: Option<OfficeId>,
    /// The day the forecast is made on.
    #[arg(long, value_parser = load::parse_date)]
    pub as_of: Option<NaiveDate>,
    /// T: the day by which the wait is to be at or below --target-days.
    #[arg(long, value_parser = load::parse_date)]
    pub by: NaiveDate,
    /// E: the first day with the extra slots [default: the day after --as-of].
    #[arg(long, value_parser = load::parse_date)]
    pub from: Option<NaiveDate>,
    /// The share of runs that must get there by T.
    #[arg(long, default_value_t = DEFAULT_PROBABILITY)]
    pub probability: f64,
    /// The most extra slots per open day to consider.
    #[arg(long, default_value_t = DEFAULT_LIMIT)]
    pub limit: u32,
    /// One plan the extra slots come on top of (one line, as `whatif --plan`), or a plan file with exactly one
    /// plan; default the plans known at --as-of.
    #[command(flatten)]
    pub plans: PlanArgs,
    #[command(flatten)]
    pub options: ForecastOptions,
}

fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn inputs(
    projection: &Projection,
    office: Option<&OfficeId>,
    as_of: NaiveDate,
    config: ForecastConfig,
) -> anyhow::Result<crate::read::ForecastInputs> {
    let office = load::office(projection, office)?;
    Ok(crate::read::ForecastInputs::take(projection, &office, as_of, config))
}

/// Compares the plans with the baseline and prints the comparison to `out`.
pub fn run_whatif(
    args: &WhatIfArgs,
    projection: &Projection,
    today: NaiveDate,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let plans = args.plans.plans()?;
    if plans.is_empty() {
        anyhow::bail!("no plan to compare: give --plan \"NAME: CHANGE; …\" or --plan-file FILE");
    }
    if let Some(name) = &args.press
        && !plans.iter().any(|p| p.name == *name)
    {
        let names: Vec<&str> = plans.iter().map(|p| p.name.as_str()).collect();
        anyhow::bail!("--press {name:?}: no plan of that name; the plans are {}", names.join(", "));
    }
    let config = args.options.config(projection);
    let inputs = inputs(projection, args.office.as_ref(), args.as_of.unwrap_or(today), config)?;
    let chart_format = match &args.chart {
        Some(path) => Some(
            crate::cli::chart::format_of(path)
                .map_err(|_| anyhow::anyhow!("--chart {}: the file name must end in .png or .svg", path.display()))?,
        ),
        None => None,
    };
    let made = inputs.compare(&plans, threads())?;
    if let (Some(path), Some(format)) = (&args.chart, chart_format) {
        let view = crate::chart::ChartView::for_comparison(projection, &made);
        let opts = crate::chart::ChartOptions::new(format, 1200, 600, args.options.lang)?;
        let bytes = crate::chart::render_whatif(&view, &made, &opts).context("drawing the chart")?;
        std::fs::write(path, bytes).with_context(|| format!("cannot write the chart to {}", path.display()))?;
    }
    match args.options.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &made).context("writing the comparison")?;
            writeln!(out).context("writing the comparison")?;
        }
        Format::Table => {
            let mut text = crate::report::whatif_table(&made, args.options.lang);
            if let Some(sentence) =
                args.press.as_deref().and_then(|name| crate::press::words::plan_outlook(&made, name, args.options.lang))
            {
                text += &format!("\n{sentence}\n");
            }
            out.write_all(text.as_bytes()).context("writing the comparison")?
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Searches the capacity needed and prints the answer to `out`.
pub fn run_capacity(
    args: &CapacityArgs,
    projection: &Projection,
    today: NaiveDate,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let mut plans = args.plans.plans()?;
    if plans.len() > 1 {
        anyhow::bail!("{} plans given: the extra slots come on top of one plan at most", plans.len());
    }
    let plan = plans.pop().unwrap_or_else(Plan::baseline);
    let as_of = args.as_of.unwrap_or(today);
    let from = args.from.unwrap_or_else(|| as_of.succ_opt().unwrap_or(as_of));
    let question = NeedQuestion { from, by: args.by, probability: args.probability, limit: args.limit };
    let config = args.options.config(projection);
    let made = inputs(projection, args.office.as_ref(), as_of, config)?.needed(&plan, &question, threads())?;
    match args.options.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &made).context("writing the answer")?;
            writeln!(out).context("writing the answer")?;
        }
        Format::Table => out
            .write_all(crate::report::capacity_table(&made, args.options.lang).as_bytes())
            .context("writing the answer")?,
    }
    Ok(ExitCode::SUCCESS)
}
