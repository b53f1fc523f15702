//! The command line: the clap [`Cli`] with its global options and subcommands. Each subcommand's arguments and
//! logic live in `cli/<name>.rs`; loading the log and building the projection is the caller's part.

pub mod forecast;

use std::path::PathBuf;

/// `wartezeit`: backlog and wait-time analytics for citizen service centres.
#[derive(Debug, clap::Parser)]
#[command(name = "wartezeit", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand understands.
#[derive(Debug, Clone, clap::Args)]
pub struct GlobalArgs {
    /// Where the event log lives.
    #[arg(long, global = true, env = "WARTEZEIT_DATA_DIR", default_value = "./wartezeit-data")]
    pub data_dir: PathBuf,
    /// The IANA time zone in which local dates are taken.
    #[arg(long, global = true, default_value = "Europe/Berlin")]
    pub tz: String,
}

/// The subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// When will the wait be back to normal: a Monte Carlo forecast from the calendar as known on a day.
    Forecast(forecast::ForecastArgs),
}
