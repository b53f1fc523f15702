//! `wartezeit scenario kaiserslautern-2020 [--seed N]`: the events of a simulated scenario as NDJSON on stdout.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use crate::cli::GlobalArgs;
use crate::scenario::{DEFAULT_SEED, ScenarioName};

/// Arguments of `wartezeit scenario`.
#[derive(Debug, Clone, Args)]
pub struct ScenarioArgs {
    /// The scenario: kaiserslautern-2020.
    #[arg(value_parser = ScenarioName::parse)]
    pub name: ScenarioName,
    /// The seed of the random choices; the same seed gives the same events, byte for byte.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    pub seed: u64,
}

/// Prints the scenario's events, one per line, in business-time order. The scenario is fixed to Europe/Berlin
/// whatever `--tz` says: its opening hours and holidays are German ones.
pub fn run(_global: &GlobalArgs, args: &ScenarioArgs) -> anyhow::Result<ExitCode> {
    let simulation = args.name.generate(args.seed);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    out.write_all(simulation.to_ndjson().as_bytes()).context("writing to stdout")?;
    out.flush().context("writing to stdout")?;
    Ok(ExitCode::SUCCESS)
}
