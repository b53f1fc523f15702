//! `wartezeit offices`: the offices in the log, with the dates of their first and last event.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;

use crate::cli::GlobalArgs;
use crate::cli::load;
use crate::report;

/// Arguments of `wartezeit offices`.
#[derive(Debug, Args)]
pub struct OfficesArgs {
    /// Write JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Runs `wartezeit offices`.
pub fn run(global: &GlobalArgs, args: &OfficesArgs) -> anyhow::Result<ExitCode> {
    let loaded = load::projection(global, None, None)?;
    let offices = loaded.projection.offices();
    let text = if args.json { serde_json::to_string_pretty(&offices)? + "\n" } else { report::offices_table(&offices) };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
