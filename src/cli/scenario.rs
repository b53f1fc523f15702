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
    /// Also write what a public observer of the office's online calendar would have recorded (`calendar_observed`,
    /// twice each open day, six weeks ahead) to this file, as NDJSON.
    #[arg(long, value_name = "FILE")]
    pub observations: Option<std::path::PathBuf>,
}

/// Prints the scenario's events, one per line, in business-time order. The scenario is fixed to Europe/Berlin
/// whatever `--tz` says: its opening hours and holidays are German ones.
pub fn run(_global: &GlobalArgs, args: &ScenarioArgs) -> anyhow::Result<ExitCode> {
    let simulation = args.name.generate(args.seed);
    if let Some(path) = &args.observations {
        let office = crate::domain::id::OfficeId::parse("kl-buergercenter").expect("the scenario's office");
        let observed =
            crate::scenario::observer::observe(&simulation.events, &office, crate::domain::time::Zone::default());
        let mut text = String::new();
        for event in &observed {
            text.push_str(&crate::domain::wire::to_json_line(event));
            text.push('\n');
        }
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("{} observations of the online calendar written to {}", observed.len(), path.display());
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    out.write_all(simulation.to_ndjson().as_bytes()).context("writing to stdout")?;
    out.flush().context("writing to stdout")?;
    Ok(ExitCode::SUCCESS)
}
