//! `wartezeit verify`: recompute the digest chain and check every stored entry.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

use crate::cli::GlobalArgs;
use crate::log::verify_directory;

/// Arguments of `verify` (none besides the global ones).
#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {}

/// Prints `ok: position P, digest D` and exits 0, or names the first bad position on stderr and exits 1.
pub fn run(global: &GlobalArgs, _args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let (verdict, ignored) =
        verify_directory(&global.data_dir).map_err(|e| global.explain(e)).context("cannot verify")?;
    for (name, bytes) in &ignored.unfinished_snapshots {
        eprintln!(
            "ignored: {name} ({bytes} bytes), the leftover of an interrupted snapshot of the storage engine \
             (not part of the log); removed"
        );
    }
    match verdict {
        Ok(head) => {
            println!("ok: position {}, digest {}", head.position, hex::encode(head.digest));
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("verify failed at {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}
