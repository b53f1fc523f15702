//! Folding the stored log into a projection with reading and folding overlapped: the shell's one way to build a
//! projection from the log (the CLI's read commands, the service's initial build, `known_at` projections).
//!
//! One scoped thread scans and decodes the log ([`Log::scan`]) and hands the entries over in batches of
//! [`BATCH`] through a bounded channel; the calling thread pushes each batch into a [`Folding`](crate::projection::Folding) as it arrives and
//! settles the projection once at the end. Scanning and pushing cost about the same per event, so on two cores
//! the rebuild takes about as long as the slower of the two instead of their sum. The result is exactly
//! `Projection::apply_all` of the same entries: the batches arrive in log order and nothing else is shared.
//!
//! While no batch is waiting, the calling thread settles the offices' events that have arrived (when that undoes
//! no more than it merges, see [`Folding::settle_some`](crate::projection::Folding::settle_some)), so that little
//! is left for the end.
//!
//! A read error (a corrupt or missing entry) ends the scan and is returned; when the caller stops early (an
//! error, or the bound reached) the channel closes and the scan thread ends at its next hand-over.

use std::sync::mpsc::{TryRecvError, channel, sync_channel};

use crate::log::codec::Digest;
use crate::log::{Entry, Log, ReadError};
use crate::projection::Projection;

/// Entries per hand-over: large enough that the channel costs nothing per event, small enough that the folding
/// starts at once and the batches in flight stay a few megabytes.
pub const BATCH: usize = 4_096;

/// Batches that may wait in the channel while the folding catches up.
const QUEUE: usize = 8;

/// A projection folded from the log, with where it stands.
#[derive(Debug, Clone)]
pub struct Rebuilt {
    pub projection: Projection,
    /// The position of the last entry folded (the projection's position).
    pub position: u64,
    /// The digest of the entry at `position` (the given one when nothing was folded).
    pub digest: Digest,
}

/// Folds the durable entries after `projection`'s position up to `until` (inclusive) into it. `digest` is the
/// digest of the entry at the projection's position (32 zero bytes for an empty projection); an `until` past the
/// durable head folds up to the head.
pub fn fold(log: &Log, projection: Projection, digest: Digest, until: u64) -> Result<Rebuilt, ReadError> {
    fold_in_batches(log, projection, digest, until, BATCH)
}

/// [`fold`] with `batch` entries per hand-over (tests use small ones to cross many batch boundaries).
fn fold_in_batches(
    log: &Log,
    projection: Projection,
    digest: Digest,
    until: u64,
    batch_len: usize,
) -> Result<Rebuilt, ReadError> {
    let batch_len = batch_len.max(1);
    let from = projection.position() + 1;
    if until < from {
        let position = projection.position();
        return Ok(Rebuilt { projection, position, digest });
    }
    let mut folding = projection.folding();
    let mut digest = digest;
    std::thread::scope(|scope| {
        let (batches, arriving) = sync_channel::<Result<Vec<Entry>, ReadError>>(QUEUE);
        // Folded batches go back to the scan thread, which drops their entries and refills them: dropping a
        // batch is part of reading, and the folding thread is the busier one.
        let (spent, returned) = channel::<Vec<Entry>>();
        std::thread::Builder::new()
            .name("wartezeit-rebuild-scan".into())
            .spawn_scoped(scope, move || {
                let fresh = || match returned.try_recv() {
                    Ok(mut used) => {
                        used.clear();
                        used
                    }
                    Err(_) => Vec::with_capacity(batch_len),
                };
                let mut batch = fresh();
                for entry in log.scan(from) {
                    let entry = match entry {
                        Ok(entry) => entry,
                        Err(e) => {
                            let _ = batches.send(Err(e));
                            return;
                        }
                    };
                    let last = entry.position >= until;
                    batch.push(entry);
                    if last || batch.len() == batch_len {
                        let full = std::mem::replace(&mut batch, fresh());
                        // A closed channel means the folding stopped: so does the scan.
                        if batches.send(Ok(full)).is_err() || last {
                            return;
                        }
                    }
                }
                if !batch.is_empty() {
                    let _ = batches.send(Ok(batch));
                }
            })
            .map_err(|e| ReadError::Storage(sled::Error::Io(e)))?;
        // `arriving` is dropped on every return from this closure, before the scope joins the scan thread, so
        // an early return never leaves the scan blocked on a full channel.
        loop {
            let batch = match arriving.try_recv() {
                Ok(batch) => batch,
                Err(TryRecvError::Disconnected) => break,
                Err(TryRecvError::Empty) => {
                    // Nothing to push yet: settle what has arrived instead of waiting, then look again.
                    if folding.settle_some() {
                        continue;
                    }
                    match arriving.recv() {
                        Ok(batch) => batch,
                        Err(_) => break,
                    }
                }
            };
            let batch = batch?;
            if let Some(last) = batch.last() {
                digest = last.digest;
            }
            folding.push_all(batch.iter().map(|e| (e.position, &e.event)));
            // Once the scan has ended, the batch is simply dropped here.
            let _ = spent.send(batch);
        }
        Ok::<(), ReadError>(())
    })?;
    let projection = folding.finish();
    let position = projection.position();
    Ok(Rebuilt { projection, position, digest })
}

#[cfg(test)]
mod tests;
