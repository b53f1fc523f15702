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

use crate::domain::id::OfficeId;
use crate::log::checkpoints::Stored;
use crate::log::codec::Digest;
use crate::log::{Entry, Log, ReadError};
use crate::projection::{Config, Projection, checkpoint};

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

/// How many events folded from the log make a new checkpoint worth writing, unless configured otherwise.
pub const CHECKPOINT_EVERY_EVENTS: u64 = 100_000;

/// Whether a log at `head` whose newest checkpoint lies at `newest` has grown enough for another: by `every`
/// events and by a tenth of its length (`every` 0: never). A long log is then not written out every few minutes,
/// and opening it folds at most about a tenth of it.
pub fn checkpoint_due(every: u64, newest: u64, head: u64) -> bool {
    every > 0 && head.saturating_sub(newest) >= every.max(newest / 10)
}

/// How many checkpoints are kept: the newest, and two before it for `known_at` and in case the newest cannot
/// be read.
pub const CHECKPOINTS_KEPT: usize = 3;

/// A projection opened from the log: folded from the newest usable checkpoint at or below the position asked
/// for, or from the start.
#[derive(Debug, Clone)]
pub struct Opened {
    pub rebuilt: Rebuilt,
    /// The position of the checkpoint it started from, if any.
    pub checkpoint: Option<u64>,
    /// Checkpoints passed over, newest first, each with why: a log line each has been written.
    pub skipped: Vec<Skipped>,
}

/// A checkpoint that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub path: std::path::PathBuf,
    pub reason: String,
}

/// The projection of the log up to `until` (inclusive; past the durable head: up to the head): the newest usable
/// checkpoint at or below `until`, or an empty projection, with the entries after it folded in. A checkpoint that
/// is damaged, of another format, made with another configuration or not of this log's digest chain is passed
/// over with a log line.
pub fn open(log: &Log, config: Config, until: u64) -> Result<Opened, ReadError> {
    open_scoped(log, config, until, None)
}

/// [`open`], with the projection [scoped](Projection::scoped) to one office when `scope` names one: only that
/// office's section of the checkpoint is decoded and only its events (and the holidays of every office) folded.
pub fn open_scoped(log: &Log, config: Config, until: u64, scope: Option<&OfficeId>) -> Result<Opened, ReadError> {
    let started = std::time::Instant::now();
    let (base, skipped) = newest_checkpoint_of(log, config, until, scope);
    let checkpoint = base.as_ref().map(|(projection, _)| projection.position());
    let loaded = started.elapsed();
    let (projection, digest) = base.unwrap_or_else(|| {
        let empty = Projection::new(config);
        (if let Some(office) = scope { empty.scoped(office.clone()) } else { empty }, [0; 32])
    });
    let rebuilt = fold(log, projection, digest, until)?;
    tracing::debug!(
        checkpoint = checkpoint.unwrap_or(0),
        checkpoint_ms = loaded.as_millis() as u64,
        folded = rebuilt.position - checkpoint.unwrap_or(0),
        fold_ms = (started.elapsed() - loaded).as_millis() as u64,
        "projection opened"
    );
    Ok(Opened { rebuilt, checkpoint, skipped })
}

/// The newest usable checkpoint at or below `until`, decoded, with its digest; and those passed over.
pub fn newest_checkpoint(log: &Log, config: Config, until: u64) -> (Option<(Projection, Digest)>, Vec<Skipped>) {
    newest_checkpoint_of(log, config, until, None)
}

/// [`newest_checkpoint`], decoding only `scope`'s office where it names one.
fn newest_checkpoint_of(
    log: &Log,
    config: Config,
    until: u64,
    scope: Option<&OfficeId>,
) -> (Option<(Projection, Digest)>, Vec<Skipped>) {
    let mut skipped = Vec::new();
    let mut skip = |path: &std::path::Path, reason: String| {
        tracing::warn!(checkpoint = %path.display(), %reason, "checkpoint ignored; folding from the log instead");
        skipped.push(Skipped { path: path.to_path_buf(), reason });
    };
    let listed = match log.checkpoints().list() {
        Ok(listed) => listed,
        Err(e) => {
            skip(log.checkpoints().dir(), format!("cannot be listed: {e}"));
            return (None, skipped);
        }
    };
    for stored in listed.into_iter().filter(|s| s.position <= until) {
        let frame = match log.read_checkpoint(&stored) {
            Ok(frame) => frame,
            Err(e) => {
                skip(&stored.path, e.to_string());
                continue;
            }
        };
        match checkpoint::decode_scoped(frame.body(), frame.position, &config, scope) {
            Ok(projection) => return (Some((projection, frame.digest)), skipped),
            Err(e) => skip(&stored.path, e.to_string()),
        }
    }
    (None, skipped)
}

/// A checkpoint written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub stored: Stored,
    /// Older checkpoints removed, beyond the [`CHECKPOINTS_KEPT`] newest.
    pub removed: usize,
}

/// Writes `projection`, whose last entry has `digest`, as a checkpoint, and keeps the [`CHECKPOINTS_KEPT`] newest.
pub fn write_checkpoint(log: &Log, projection: &Projection, digest: &Digest) -> std::io::Result<Written> {
    if let Some(office) = projection.scope() {
        return Err(std::io::Error::other(format!("a projection of office {office} alone is not a checkpoint")));
    }
    let checkpoints = log.checkpoints();
    let stored = checkpoints.write(projection.position(), digest, |out| checkpoint::encode(projection, out))?;
    let removed = checkpoints.prune(CHECKPOINTS_KEPT)?.len();
    Ok(Written { stored, removed })
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
