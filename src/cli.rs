//! The command line: the clap definition of every subcommand, the global options, and the dispatch.
//!
//! Each subcommand's arguments and logic live in `cli/<name>.rs` with a `run(global, args)` that returns the exit
//! code; this file only parses and dispatches, so that the binary's `main` stays thin.

pub mod attribution;
pub mod backtest;
pub mod backup;
pub mod chart;
pub mod checkpoint;
pub mod config;
pub mod demo;
pub mod export;
pub mod forecast;
pub mod holidays;
pub mod import;
pub mod import_appointments;
pub mod load;
pub mod offices;
pub mod press;
pub mod push;
pub mod remote;
pub mod sample;
pub mod scenario;
pub mod series;
pub mod serve;
pub mod summary;
pub mod verify;
pub mod whatif;

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

/// Options every subcommand shares.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// A configuration file (TOML) with the global options and every setting of `serve`; the command line and
    /// the environment override it (`serve --print-config` shows the result).
    #[arg(long, global = true, env = "WARTEZEIT_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Where each setting came from (filled by [`config::apply`]).
    #[arg(skip)]
    pub sources: config::Sources,
    /// The data directory of the event log.
    #[arg(long, global = true, env = "WARTEZEIT_DATA_DIR", default_value = "./wartezeit-data")]
    pub data_dir: PathBuf,
    /// The time zone in which local dates are taken (an IANA name).
    #[arg(long, global = true, env = "WARTEZEIT_TZ", default_value = "Europe/Berlin", value_parser = Zone::parse)]
    pub tz: Zone,
    /// Appends are refused (as on a full disk, 507) while less than this many MiB are free on the data
    /// directory's filesystem, so that the store never runs out of space halfway through a write.
    #[arg(long, global = true, env = "WARTEZEIT_MIN_FREE_MB", default_value_t = 64, value_name = "MIB",
          value_parser = clap::value_parser!(u64).range(config::MIN_FREE_MB))]
    pub min_free_mb: u64,
    /// How log lines on stderr are written: `text` for people, `json` (one object a line) for a log collector.
    #[arg(long, global = true, env = "WARTEZEIT_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
}

/// The form of the log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

impl GlobalArgs {
    /// How the log treats the disk, from these options.
    pub fn log_options(&self) -> crate::log::Options {
        crate::log::Options { min_free_bytes: self.min_free_mb << 20, ..crate::log::Options::default() }
    }

    /// Today in `--tz`: the day a question is about when it names none.
    pub fn today(&self) -> chrono::NaiveDate {
        self.tz.date_of(&chrono::Utc::now().fixed_offset())
    }

    /// Opens the log in the data directory with these options, creating the store if there is none: for the
    /// commands that make one (`import`, `import-appointments`, `serve --init`).
    pub fn open_log(&self) -> Result<crate::log::Log, crate::log::OpenError> {
        crate::log::Log::open_with(&self.data_dir, self.log_options())
    }

    /// The store in the data directory for `serve` (made when `create`): its rule state is read in the background
    /// while the service builds its projection, and appends wait for it.
    pub fn open_log_to_serve(&self, create: bool) -> anyhow::Result<crate::log::Log> {
        let options = crate::log::Options { create, rules_in_background: true, ..self.log_options() };
        crate::log::Log::open_with(&self.data_dir, options).map_err(|e| self.explain(e))
    }

    /// The store in the data directory, opened for reading only (the read commands): opening costs the same
    /// whatever the log's length.
    pub fn open_log_for_reading(&self) -> anyhow::Result<crate::log::Log> {
        let options = crate::log::Options { create: false, read_only: true, ..self.log_options() };
        crate::log::Log::open_with(&self.data_dir, options).map_err(|e| self.explain(e))
    }

    /// Opens the log for a command that must find a store (every reader, and `serve` without `--init`): a data
    /// directory without one is an error naming it, and nothing is created (a mistyped `--data-dir` must not
    /// quietly answer from a new, empty store).
    pub fn open_existing_log(&self) -> anyhow::Result<crate::log::Log> {
        let options = crate::log::Options { create: false, ..self.log_options() };
        crate::log::Log::open_with(&self.data_dir, options).map_err(|e| self.explain(e))
    }

    /// An open error in the words of the command line: a missing store says how one is made.
    pub fn explain(&self, error: crate::log::OpenError) -> anyhow::Error {
        match error {
            crate::log::OpenError::NoStore(dir) => {
                let what = if dir.is_dir() { "holds no store" } else { "does not exist" };
                anyhow::anyhow!(
                    "data directory {} {what} (a mistyped --data-dir?); `import` makes a store with events, \
                     `serve --init` an empty one",
                    dir.display()
                )
            }
            error => error.into(),
        }
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate NDJSON event files as a whole, then append them in durable batches of 10,000 events.
    ///
    /// One rejected event anywhere: every problem is printed and nothing is appended. If the append itself is
    /// interrupted (a kill, a full disk), the log holds the events before it plus the first batches of the
    /// input, never part of a batch; running the same import again appends the rest exactly once (what is stored
    /// comes back as duplicates).
    Import(import::ImportArgs),
    /// Import appointment systems' exports (CSV, XLSX, ZMS JSON) through a preset or a mapping (TOML), and opening
    /// hours and closures lists: each appointment's rows become its booking, reschedules and end (or, with
    /// --snapshot, what changed since the log last saw it), with ids derived from the source, so importing the same
    /// rows again appends nothing. The report first; all or nothing, or the rest with --skip-invalid.
    ImportAppointments(Box<import_appointments::ImportAppointmentsArgs>),
    /// Send NDJSON event files to a running service (`POST /api/v1/events`) in batches, resumable and retried.
    ///
    /// Every line is parsed first: a bad one is named and nothing is sent. Progress is recorded after every
    /// acknowledged batch in a state file (default FILE.push-state), so the same command run again continues after
    /// it; a changed input starts over (duplicates are harmless). Failed connections and the answers 408, 429, 500,
    /// 502, 503, 504 and 507 are retried for --retry-for; a refused batch names its events by file and line.
    Push(push::PushArgs),
    /// Write the log as NDJSON to stdout, in log order, or the daily figures as OpenMetrics history.
    Export(export::ExportArgs),
    /// Back up a running service's log from its event feed (`GET /api/v1/events`) into a file identical to `export`.
    ///
    /// The backup is the log up to the head the service reports when it begins (appends made meanwhile are left to
    /// the next one), every entry checked against the digest chain. It is written to FILE.partial, synced after every
    /// page, and renamed to FILE once complete; --resume continues an interrupted one, --from-position P makes an
    /// incremental one. Failed connections and the answers 408, 429, 500, 502, 503, 504 and 507 are retried for
    /// --retry-for. The summary on stderr ends with the last position and its digest, as `verify` of a restore
    /// (`import` of the file into an empty directory) prints them.
    Backup(backup::BackupArgs),
    /// Recompute the digest chain and check every stored entry, and every projection checkpoint.
    Verify(verify::VerifyArgs),
    /// Write a checkpoint of the projection at the log's head now, so that the next start or read command folds
    /// only the events after it (`serve` writes them in the background).
    Checkpoint(checkpoint::CheckpointArgs),
    /// One row of figures per day for an office.
    Series(series::SeriesArgs),
    /// The headline figures of one day, with the change against seven days earlier.
    Summary(summary::SummaryArgs),
    /// The offices in the log, with their first and last event date.
    Offices(offices::OfficesArgs),
    /// Capacity lost to closures and holidays, per cause and per named period.
    Attribution(attribution::AttributionArgs),
    /// Draw a chart (backlog, wait, flow, attribution, forecast) of one office as PNG or SVG.
    Chart(chart::ChartArgs),
    /// When the wait and the backlog will be back to normal: a Monte Carlo forecast as of a day.
    Forecast(forecast::ForecastArgs),
    /// Forecasts made at past days compared with what then happened: interval coverage and median error; with
    /// --decisions also with the decisions the office took laid over the forecasts made before them.
    Backtest(backtest::BacktestArgs),
    /// What-if plans beside the baseline: the 50/85/95 % dates of the target wait and the wait in 2, 4 and 8 weeks
    /// under each (plans from --plan lines and a --plan-file), all with the same seed.
    Whatif(whatif::WhatIfArgs),
    /// The smallest number of extra slots per open day from --from that brings the wait to the target by --by with
    /// the probability asked, with the simulation's own error; "not reachable" beyond --limit.
    CapacityNeeded(whatif::CapacityArgs),
    /// The press statement of a day, with its provenance.
    Press(press::PressArgs),
    /// Print the public holidays of a German state as `holiday_declared` NDJSON.
    Holidays(holidays::HolidaysArgs),
    /// Print a generated event stream, valid under the rules, as NDJSON (load for benchmarks).
    Sample(sample::SampleArgs),
    /// Print the events of a simulated scenario as NDJSON.
    Scenario(scenario::ScenarioArgs),
    /// Serve the HTTP API and /metrics over the log in the data directory.
    Serve(serve::ServeArgs),
    /// Serve the Kaiserslautern 2020 data set from a temporary store, as of 2020-06-24.
    Demo(demo::DemoArgs),
}

/// Parses the command line and fills what it leaves at the defaults from the configuration file, if one is named.
/// `--help`, `--version` and a malformed command line end the process here, as clap does.
pub fn parse() -> anyhow::Result<Cli> {
    use clap::{CommandFactory as _, FromArgMatches as _};
    let matches = Cli::command().get_matches();
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    config::apply(&mut cli, &matches)?;
    Ok(cli)
}

/// Runs the parsed command line; the exit code says whether it succeeded.
pub fn dispatch(cli: &Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::Import(args) => import::run(&cli.global, args),
        Command::ImportAppointments(args) => import_appointments::run(&cli.global, args),
        Command::Push(args) => push::run(&cli.global, args),
        Command::Export(args) => export::run(&cli.global, args),
        Command::Backup(args) => backup::run(&cli.global, args),
        Command::Verify(args) => verify::run(&cli.global, args),
        Command::Checkpoint(args) => checkpoint::run(&cli.global, args),
        Command::Series(args) => series::run(&cli.global, args),
        Command::Summary(args) => summary::run(&cli.global, args),
        Command::Offices(args) => offices::run(&cli.global, args),
        Command::Attribution(args) => attribution::run(&cli.global, args),
        Command::Chart(args) => chart::run(&cli.global, args),
        Command::Forecast(args) => {
            let loaded = load::projection(&cli.global, None, None)?;
            forecast::run(args, &loaded.projection, cli.global.today(), &mut std::io::stdout().lock())
        }
        Command::Backtest(args) => backtest::run(&cli.global, args),
        Command::Whatif(args) => {
            // The plans are read (and refused) before the log is.
            args.plans.plans()?;
            let loaded = load::projection(&cli.global, None, None)?;
            whatif::run_whatif(args, &loaded.projection, cli.global.today(), &mut std::io::stdout().lock())
        }
        Command::CapacityNeeded(args) => {
            args.plans.plans()?;
            let loaded = load::projection(&cli.global, None, None)?;
            whatif::run_capacity(args, &loaded.projection, cli.global.today(), &mut std::io::stdout().lock())
        }
        Command::Press(args) => press::run(&cli.global, args),
        Command::Holidays(args) => holidays::run(&cli.global, args),
        Command::Sample(args) => sample::run(&cli.global, args),
        Command::Scenario(args) => scenario::run(&cli.global, args),
        Command::Serve(args) => serve::run(&cli.global, args),
        Command::Demo(args) => demo::run(&cli.global, args),
    }
}
