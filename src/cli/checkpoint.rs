//! `wartezeit checkpoint`: write a checkpoint of the projection, and one of the rule state and the id index, at the
//! log's head now (the service writes them in the background; this is for a store that was just imported, or after
//! removing damaged ones).

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

use crate::cli::GlobalArgs;
use crate::projection::{Config, DEFAULT_HORIZON_DAYS};

/// Arguments of `checkpoint`.
#[derive(Debug, Clone, Args)]
pub struct CheckpointArgs {
    /// H of the wait figures the checkpoint is made with; the service and the read commands use a checkpoint of
    /// their own H only.
    #[arg(long, default_value_t = DEFAULT_HORIZON_DAYS)]
    pub horizon: u32,
}

/// Folds the log from its newest usable checkpoint to the head, writes the result as a checkpoint, and says where
/// it started from and what it wrote.
pub fn run(global: &GlobalArgs, args: &CheckpointArgs) -> anyhow::Result<ExitCode> {
    // Opened as `serve` opens it: the rule state loads beside the fold, to be written as a checkpoint too.
    let log = global.open_log_to_serve(false)?;
    let started = std::time::Instant::now();
    let config = Config { zone: global.tz, horizon_days: args.horizon };
    let head = log.head().position;
    // Checkpoints passed over are named by `rebuild::open`'s log lines.
    let opened = crate::rebuild::open(&log, config, head).context("reading the log")?;
    let rebuilt = &opened.rebuilt;
    let written = crate::rebuild::write_checkpoint(&log, &rebuilt.projection, &rebuilt.digest)
        .with_context(|| format!("cannot write a checkpoint in {}", log.checkpoints().dir().display()))?;
    let from = match opened.checkpoint {
        Some(p) => format!("the checkpoint at position {p}"),
        None => "the start of the log".to_owned(),
    };
    println!(
        "checkpoint at position {} ({} bytes, {}): folded {} events from {from} in {:.1} s; {} older removed",
        written.stored.position,
        written.stored.bytes,
        written.stored.path.display(),
        rebuilt.position - opened.checkpoint.unwrap_or(0),
        started.elapsed().as_secs_f64(),
        written.removed,
    );
    let rules = log
        .write_rules_checkpoint()
        .with_context(|| format!("cannot write a rule-state checkpoint in {}", log.checkpoints().dir().display()))?;
    // Nothing written where the newest is at the head already (the log writes one itself after reading a long
    // stretch of the log for the rule state): name that one.
    let newest = || crate::log::checkpoints::Checkpoints::of_rules(log.path()).list().ok()?.into_iter().next();
    match rules.or_else(newest) {
        Some(stored) => println!(
            "rule-state checkpoint at position {} ({} bytes, {})",
            stored.position,
            stored.bytes,
            stored.path.display()
        ),
        None => println!("no rule-state checkpoint: the log is empty or its rule state could not be read"),
    }
    Ok(ExitCode::SUCCESS)
}
