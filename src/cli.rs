//! The command line: the clap `Cli`, its global options, and the dispatch to one module per subcommand.
//!
//! Each subcommand's arguments and logic live in `cli/<name>.rs` with a `run(global, args)` function; this file
//! only names them. Everything here is the imperative shell: the work itself is done by the library modules.

pub mod holidays;
pub mod scenario;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::domain::time::Zone;

/// wartezeit — backlog and wait-time analytics for citizen service centres, event-sourced.
#[derive(Debug, Parser)]
#[command(name = "wartezeit", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand understands.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// The directory that holds the event log.
    #[arg(long, global = true, env = "WARTEZEIT_DATA_DIR", default_value = "./wartezeit-data")]
    pub data_dir: PathBuf,
    /// The time zone in which local dates are taken (an IANA name).
    #[arg(long, global = true, default_value = "Europe/Berlin", value_parser = parse_zone)]
    pub tz: Zone,
}

fn parse_zone(name: &str) -> Result<Zone, String> {
    Zone::parse(name)
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the public holidays of a German state as `holiday_declared` NDJSON.
    Holidays(holidays::HolidaysArgs),
    /// Print the events of a simulated scenario as NDJSON.
    Scenario(scenario::ScenarioArgs),
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::Holidays(args) => holidays::run(&cli.global, args),
        Command::Scenario(args) => scenario::run(&cli.global, args),
    }
}
