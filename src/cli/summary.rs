//! `wartezeit summary`: the headline figures of one day, for people.

use std::io::Write;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Args, ValueEnum};

use crate::cli::GlobalArgs;
use crate::cli::load::{self, parse_date, parse_lang, parse_office};
use crate::domain::id::OfficeId;
use crate::press::words::Lang;
use crate::report;

/// How the summary is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SummaryFormat {
    Text,
    Json,
}

/// Arguments of `wartezeit summary`.
#[derive(Debug, Args)]
pub struct SummaryArgs {
    /// The office; may be left out when the log has exactly one.
    #[arg(long, value_parser = parse_office)]
    pub office: Option<OfficeId>,
    /// The day (YYYY-MM-DD); default today in --tz.
    #[arg(long, value_parser = parse_date)]
    pub as_of: Option<NaiveDate>,
    /// Use only the log's events up to this position.
    #[arg(long)]
    pub known_at: Option<u64>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: SummaryFormat,
    /// The language: de (default) or en.
    #[arg(long, value_parser = parse_lang, default_value = "de")]
    pub lang: Lang,
}

/// Runs `wartezeit summary`.
pub fn run(global: &GlobalArgs, args: &SummaryArgs) -> anyhow::Result<ExitCode> {
    let loaded = load::projection_of(global, args.known_at, None, args.office.as_ref())?;
    let office = load::office(&loaded.projection, args.office.as_ref())?;
    let summary = loaded.projection.summary(&office, args.as_of.unwrap_or_else(|| global.today()));
    let text = match args.format {
        SummaryFormat::Text => report::summary_text(&summary, args.lang),
        SummaryFormat::Json => serde_json::to_string_pretty(&summary)? + "\n",
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
