//! `wartezeit sample`: a generated event stream, valid under the rules, as NDJSON on stdout — load for benchmarks
//! and test imports of any size.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;

use crate::cli::GlobalArgs;
use crate::domain::wire::to_json_line;

/// Arguments of `wartezeit sample`.
#[derive(Debug, Args)]
pub struct SampleArgs {
    /// How many events (at most 50,000,000: the stream is generated in memory first).
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(0..=50_000_000))]
    pub events: u64,
    /// The seed; the same seed gives the same stream.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Over how many offices (kl-buergercenter, mainz-mitte, trier, then office-04, office-05, …).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=1_000))]
    pub offices: u64,
}

/// Runs `wartezeit sample`.
pub fn run(_global: &GlobalArgs, args: &SampleArgs) -> anyhow::Result<ExitCode> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let events = usize::try_from(args.events).unwrap_or(usize::MAX);
    for event in crate::sample::events_over(args.seed, events, args.offices as usize) {
        writeln!(out, "{}", to_json_line(&event))?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
