//! `wartezeit verify`: recompute the digest chain and check every stored entry, then every projection checkpoint.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

use crate::cli::GlobalArgs;
use crate::log::checkpoints::Frame;
use crate::log::verify_directory;
use crate::projection::checkpoint;

/// Arguments of `verify` (none besides the global ones).
#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {}

/// Prints `ok: position P, digest D` and a line per checkpoint, and exits 0; or names the first bad position, or
/// each bad checkpoint, on stderr and exits 1. A bad checkpoint endangers no event (it is ignored when opening and
/// may be removed), but it is damage all the same, and verify is there to find damage.
pub fn run(global: &GlobalArgs, _args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    // A checkpoint's body must be a projection this version reads, whatever zone and horizon it was made with.
    let body =
        |frame: &Frame| checkpoint::decode_any(frame.body(), frame.position).map(drop).map_err(|e| e.to_string());
    let (verdict, ignored) =
        verify_directory(&global.data_dir, body).map_err(|e| global.explain(e)).context("cannot verify")?;
    for (name, bytes) in &ignored.unfinished_snapshots {
        eprintln!(
            "ignored: {name} ({bytes} bytes), the leftover of an interrupted snapshot of the storage engine \
             (not part of the log); removed"
        );
    }
    let head = match verdict {
        Ok(head) => head,
        Err(e) => {
            eprintln!("verify failed at {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    println!("ok: position {}, digest {}", head.position, hex::encode(head.digest));
    let mut damaged = 0;
    let kinds = ignored.checkpoints.iter().map(|c| ("checkpoint", c));
    for (kind, (stored, checked)) in kinds.chain(ignored.rule_checkpoints.iter().map(|c| ("rule-state checkpoint", c)))
    {
        match checked {
            Ok(()) => println!("ok: {kind} at position {} ({} bytes)", stored.position, stored.bytes),
            Err(reason) => {
                damaged += 1;
                eprintln!(
                    "verify failed: {kind} {} {reason}; it is ignored when the store is opened and may be removed",
                    stored.path.display()
                );
            }
        }
    }
    Ok(if damaged == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
