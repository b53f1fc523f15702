//! `wartezeit attribution`: capacity lost to closures and holidays, per cause and per named period.

use std::io::Write;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Args, ValueEnum};

use crate::cli::GlobalArgs;
use crate::cli::load::{self, parse_date, parse_lang, parse_office};
use crate::domain::id::OfficeId;
use crate::press::words::Lang;
use crate::report;

/// How the attribution is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AttributionFormat {
    Json,
    Table,
}

/// Arguments of `wartezeit attribution`.
#[derive(Debug, Args)]
pub struct AttributionArgs {
    /// The office; may be left out when the log has exactly one.
    #[arg(long, value_parser = parse_office)]
    pub office: Option<OfficeId>,
    #[arg(long, value_parser = parse_date)]
    pub from: NaiveDate,
    #[arg(long, value_parser = parse_date)]
    pub to: NaiveDate,
    /// Use only the log's events up to this position.
    #[arg(long)]
    pub known_at: Option<u64>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: AttributionFormat,
    #[arg(long, value_parser = parse_lang, default_value = "de")]
    pub lang: Lang,
}

/// Runs `wartezeit attribution`.
pub fn run(global: &GlobalArgs, args: &AttributionArgs) -> anyhow::Result<ExitCode> {
    load::period(args.from, args.to)?;
    let loaded = load::projection_of(global, args.known_at, None, args.office.as_ref())?;
    let office = load::office(&loaded.projection, args.office.as_ref())?;
    let attribution = loaded.projection.attribution(&office, args.from, args.to);
    let text = match args.format {
        AttributionFormat::Json => serde_json::to_string_pretty(&attribution)? + "\n",
        AttributionFormat::Table => {
            report::attribution_table(&attribution, &loaded.projection.office_name(&office), args.lang)
        }
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
