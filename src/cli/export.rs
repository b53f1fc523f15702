//! `wartezeit export`: the log as NDJSON on stdout, in log order.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

use crate::cli::GlobalArgs;
use crate::log::Log;

/// Arguments of `export`.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// The first position to write (positions start at 1).
    #[arg(long, default_value_t = 1)]
    pub from: u64,
    /// Wrap each event with its position, recorded_at and digest (hex); without it, lines are the wire format and
    /// `export | import` into an empty directory reproduces the log.
    #[arg(long)]
    pub with_meta: bool,
}

/// Writes the entries from `--from` to the head.
pub fn run(global: &GlobalArgs, args: &ExportArgs) -> anyhow::Result<ExitCode> {
    let log = Log::open(&global.data_dir).context("cannot export")?;
    let stdout = std::io::stdout().lock();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout);
    for entry in log.scan(args.from) {
        let entry = entry.context("cannot read the log")?;
        let line = if args.with_meta {
            serde_json::json!({
                "position": entry.position,
                "recorded_at": entry.recorded_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                "digest": hex::encode(entry.digest),
                "event": entry.event,
            })
            .to_string()
        } else {
            crate::domain::wire::to_json_line(&entry.event)
        };
        match writeln!(out, "{line}") {
            // A closed pipe (`export | head`) is the reader's choice, not an error.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
            other => other.context("cannot write to stdout")?,
        }
    }
    match out.flush() {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        other => other.context("cannot write to stdout").map(|()| ExitCode::SUCCESS),
    }
}
