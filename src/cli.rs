//! The command line: the clap definitions of `wartezeit`, its global options and the dispatch to subcommands.
//! Each subcommand's arguments and logic live in `cli/<name>.rs`.

pub mod chart;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::domain::time::Zone;

/// Backlog and wait-time analytics for citizen service centres.
#[derive(Debug, Parser)]
#[command(name = "wartezeit", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand shares.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Where the event log lives.
    #[arg(long, global = true, env = "WARTEZEIT_DATA_DIR", default_value = "./wartezeit-data")]
    pub data_dir: PathBuf,
    /// The time zone of business dates.
    #[arg(long, global = true, default_value = "Europe/Berlin", value_parser = Zone::parse)]
    pub tz: Zone,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Draw a chart (backlog, wait, flow, attribution) of one office over a period as PNG or SVG.
    Chart(chart::ChartArgs),
}
