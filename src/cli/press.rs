//! `wartezeit press`: the statement the press office can publish, with its provenance.

use std::io::Write;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Args, ValueEnum};

use crate::cli::GlobalArgs;
use crate::cli::load::{self, parse_date, parse_lang, parse_office};
use crate::domain::id::OfficeId;
use crate::press::{self, Format, words::Lang};

/// How the statement is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PressFormat {
    Text,
    Markdown,
    Json,
}

/// Arguments of `wartezeit press`.
#[derive(Debug, Args)]
pub struct PressArgs {
    /// The office; may be left out when the log has exactly one.
    #[arg(long, value_parser = parse_office)]
    pub office: Option<OfficeId>,
    /// The day (YYYY-MM-DD); default today in --tz.
    #[arg(long, value_parser = parse_date)]
    pub as_of: Option<NaiveDate>,
    /// Use only the log's events up to this position (the provenance line names the position used).
    #[arg(long)]
    pub known_at: Option<u64>,
    #[arg(long, value_parser = parse_lang, default_value = "de")]
    pub lang: Lang,
    #[arg(long, value_enum, default_value = "text")]
    pub format: PressFormat,
}

/// Runs `wartezeit press`.
pub fn run(global: &GlobalArgs, args: &PressArgs) -> anyhow::Result<ExitCode> {
    let loaded = load::projection_of(global, args.known_at, None, args.office.as_ref())?;
    let office = load::office(&loaded.projection, args.office.as_ref())?;
    let as_of = args.as_of.unwrap_or_else(|| global.today());
    let outlook = press::forecast_outlook(&loaded.projection, &office, as_of, args.lang);
    let statement = press::compose(&loaded.projection, &office, as_of, args.lang, loaded.provenance, outlook);
    let format = match args.format {
        PressFormat::Text => Format::Text,
        PressFormat::Markdown => Format::Markdown,
        PressFormat::Json => Format::Json,
    };
    std::io::stdout().lock().write_all(press::render(&statement, format).as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
