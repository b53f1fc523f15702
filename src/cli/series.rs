//! `wartezeit series`: one row of figures per day for an office.

use std::io::Write;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Args, ValueEnum};

use crate::cli::GlobalArgs;
use crate::cli::load::{self, parse_date, parse_lang, parse_office};
use crate::domain::id::OfficeId;
use crate::press::words::Lang;
use crate::report;

/// How the rows are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SeriesFormat {
    Json,
    Csv,
    Table,
}

/// Arguments of `wartezeit series`.
#[derive(Debug, Args)]
pub struct SeriesArgs {
    /// The office; may be left out when the log has exactly one.
    #[arg(long, value_parser = parse_office)]
    pub office: Option<OfficeId>,
    /// The first day (YYYY-MM-DD).
    #[arg(long, value_parser = parse_date)]
    pub from: NaiveDate,
    /// The last day, inclusive (YYYY-MM-DD).
    #[arg(long, value_parser = parse_date)]
    pub to: NaiveDate,
    /// Use only the log's events up to this position, to reproduce a published figure.
    #[arg(long)]
    pub known_at: Option<u64>,
    /// How many days ahead the wait figures look (H).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=3660))]
    pub horizon: Option<u32>,
    #[arg(long, value_enum, default_value = "json")]
    pub format: SeriesFormat,
    /// Language of table headings and dates.
    #[arg(long, value_parser = parse_lang, default_value = "de")]
    pub lang: Lang,
}

/// Runs `wartezeit series`.
pub fn run(global: &GlobalArgs, args: &SeriesArgs) -> anyhow::Result<ExitCode> {
    load::period(args.from, args.to)?;
    let loaded = load::projection_of(global, args.known_at, args.horizon, args.office.as_ref())?;
    let office = load::office(&loaded.projection, args.office.as_ref())?;
    let rows = crate::read::series(&loaded.projection, Some(&office), args.from, args.to)?;
    let observed = loaded.projection.observed(&office).is_some();
    let text = match args.format {
        SeriesFormat::Json => serde_json::to_string_pretty(&rows)? + "\n",
        SeriesFormat::Csv => report::series_csv(&rows, observed),
        SeriesFormat::Table => report::series_table(&rows, args.lang, observed),
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
