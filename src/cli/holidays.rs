//! `wartezeit holidays --state rp --year 2020`: the public holidays of a German state as NDJSON.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use crate::cli::GlobalArgs;
use crate::domain::wire::to_json_line;
use crate::holidays::{State, holiday_events};

/// Arguments of `wartezeit holidays`.
#[derive(Debug, Clone, Args)]
pub struct HolidaysArgs {
    /// The state's two-letter code: bw by be bb hb hh he mv ni nw rp sl sn st sh th (any case).
    #[arg(long, value_parser = parse_state)]
    pub state: State,
    /// The year.
    #[arg(long)]
    pub year: i32,
}

fn parse_state(code: &str) -> Result<State, String> {
    crate::holidays::parse_state(code).map_err(|e| e.to_string())
}

/// Prints one `holiday_declared` event per line, in date order.
pub fn run(_global: &GlobalArgs, args: &HolidaysArgs) -> anyhow::Result<ExitCode> {
    let events = holiday_events(args.state, args.year)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for event in &events {
        writeln!(out, "{}", to_json_line(event)).context("writing to stdout")?;
    }
    out.flush().context("writing to stdout")?;
    Ok(ExitCode::SUCCESS)
}
