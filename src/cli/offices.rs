//! `wartezeit offices`: the offices in the log, with the dates of their first and last event.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;

use crate::cli::GlobalArgs;
use crate::cli::load;
use crate::report;

/// How the offices are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OfficesFormat {
    Table,
    Json,
}

/// Arguments of `wartezeit offices`.
#[derive(Debug, Args)]
pub struct OfficesArgs {
    /// A table for people, or JSON (as every command: `--format`).
    #[arg(long, value_enum, default_value = "table")]
    pub format: OfficesFormat,
}

/// Runs `wartezeit offices`.
pub fn run(global: &GlobalArgs, args: &OfficesArgs) -> anyhow::Result<ExitCode> {
    let loaded = load::projection(global, None, None)?;
    let offices = loaded.projection.offices();
    let text = match args.format {
        OfficesFormat::Json => serde_json::to_string_pretty(&offices)? + "\n",
        OfficesFormat::Table => report::offices_table(&offices),
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
