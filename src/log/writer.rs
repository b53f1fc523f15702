//! The one writer: takes queued batches a round at a time and commits each round with one atomic write and one
//! flush (group commit); after a storage fault, refuses appends until the disk takes writes again and the store is
//! reopened from what is durable.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::time::{Duration, Instant};

use crate::domain::event::Event;
use crate::domain::id::EventId;
use crate::log::codec;
use crate::log::engine::{Engine, Writes};
use crate::log::{
    AppendError, AppendReceipt, Fault, FaultKind, Head, Health, ReadError, Shared, Stored, Tail, chunk_key,
    cut_back_to, load,
};
use crate::rules::Outcome;

/// One caller's batch and where to send its answer.
pub(super) struct Request {
    pub(super) events: Vec<Event>,
    pub(super) reply: SyncSender<Result<AppendReceipt, AppendError>>,
}

/// Serves the queue until every handle is gone; a spent engine is then let go of without flushing.
pub(super) fn run(shared: &Shared, queue: Receiver<Request>) {
    // Nothing is checked or written before the rule state is in (a log opened with its rules in the background).
    if let Err(reason) = shared.wait_for_rules() {
        let fault = Fault { kind: FaultKind::Io, detail: reason };
        for request in queue {
            let _ = request.reply.send(Err(AppendError::Storage(fault.clone())));
        }
        return;
    }
    serve(shared, queue);
    if let Health::Failed(_) = shared.health() {
        let mut slot = shared.engine.write().unwrap_or_else(|e| e.into_inner());
        if let Some(engine) = slot.take() {
            shared.storage.abandon(engine);
        }
    }
}

fn serve(shared: &Shared, queue: Receiver<Request>) {
    let mut last_probe: Option<Instant> = None;
    // Reopening leaks the spent engine (see `Storage::abandon`): reopens that keep failing are spaced out.
    let mut failed_reopens = 0u32;
    loop {
        let first = if shared.health() == Health::Writable {
            match queue.recv() {
                Ok(request) => Some(request),
                Err(_) => return,
            }
        } else {
            // Not writable: wake up now and then to probe, so that the store recovers without an append.
            match queue.recv_timeout(shared.options.retry_every.max(Duration::from_millis(100))) {
                Ok(request) => Some(request),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        };
        let wait = shared.options.retry_every * 2u32.pow(failed_reopens.min(6));
        if shared.health() != Health::Writable && last_probe.is_none_or(|at| at.elapsed() >= wait) {
            last_probe = Some(Instant::now());
            match recover(shared) {
                Recovery::ReopenFailed => failed_reopens += 1,
                Recovery::Writable => failed_reopens = 0,
                Recovery::NotYet => {}
            }
        }
        let Some(first) = first else { continue };
        // Whatever queued up while the previous round was flushing joins this round.
        let mut round = vec![first];
        round.extend(queue.try_iter());
        let answers = match shared.fault() {
            Some(fault) => round.iter().map(|_| Err(AppendError::Storage(fault.clone()))).collect(),
            None => commit_round(shared, &round),
        };
        for (request, answer) in round.into_iter().zip(answers) {
            // A caller that went away no longer needs its answer; its batch is durable all the same.
            let _ = request.reply.send(answer);
        }
    }
}

fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

/// Whether the disk has the reserve free, as far as the platform says.
fn check_reserve(shared: &Shared) -> Result<(), Fault> {
    match shared.storage.free_space() {
        Some(free) if free < shared.options.min_free_bytes => Err(Fault {
            kind: FaultKind::Full,
            detail: format!(
                "{free} bytes free, less than the reserve of {} bytes kept for the store",
                shared.options.min_free_bytes
            ),
        }),
        _ => Ok(()),
    }
}

/// What an attempt to recover came to.
enum Recovery {
    Writable,
    /// The disk does not take writes yet.
    NotYet,
    ReopenFailed,
}

/// Tries to make a store that cannot write writable again: the reserve free and the probe passing, and after a
/// failed write, the engine reopened and the rule book, index, open chunk and head read back from what is durable.
fn recover(shared: &Shared) -> Recovery {
    let health = shared.health();
    let still = |fault: Fault| match &health {
        Health::Refusing(_) => Health::Refusing(fault),
        _ => Health::Failed(fault),
    };
    if let Err(fault) = check_reserve(shared).and_then(|()| shared.storage.probe().map_err(|e| Fault::from_io(&e))) {
        shared.set_health(still(fault));
        return Recovery::NotYet;
    }
    if matches!(health, Health::Failed(_))
        && let Err((recovery, fault)) = reopen(shared)
    {
        tracing::warn!(error = %fault, "the store cannot be reopened yet");
        shared.set_health(still(fault));
        return recovery;
    }
    tracing::info!(head = shared.head().position, "the store takes writes again");
    shared.set_health(Health::Writable);
    Recovery::Writable
}

/// Drops the spent engine and opens a new one over what is durable. Waits for no reader: while one still reads
/// through the old engine, this answers [`Recovery::NotYet`] (nothing was let go of) and is tried again later.
fn reopen(shared: &Shared) -> Result<(), (Recovery, Fault)> {
    let io = |detail: String| Fault { kind: FaultKind::Io, detail };
    let mut slot = shared.engine.write().unwrap_or_else(|e| e.into_inner());
    if let Some(engine) = slot.take() {
        if Arc::strong_count(&engine) > 1 {
            *slot = Some(engine);
            return Err((Recovery::NotYet, io("a reader still reads through the failed engine".into())));
        }
        shared.storage.abandon(engine);
    }
    reopen_released(shared, slot).map_err(|fault| (Recovery::ReopenFailed, fault))
}

/// The rest of [`reopen`], once the spent engine is let go of.
fn reopen_released(
    shared: &Shared,
    mut slot: std::sync::RwLockWriteGuard<'_, Option<Arc<dyn Engine>>>,
) -> Result<(), Fault> {
    let io = |detail: String| Fault { kind: FaultKind::Io, detail };
    let engine = shared.storage.open().map_err(|e| Fault::from_engine(&e))?;
    // From here on readers read through the new engine, whatever comes of the rest: up to the head, it holds
    // what the old one did.
    *slot = Some(Arc::clone(&engine));
    drop(slot);
    let known = shared.head();
    let tail = shared.tail.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let removed = cut_back_to(&*engine, known, Some(&tail)).map_err(|e| match e {
        ReadError::Storage(e) => Fault::from_engine(&e),
        other => io(format!("cutting back to the acknowledged head failed: {other}")),
    })?;
    if removed > 0 {
        tracing::warn!(head = known.position, removed, "removed what the failed write left past the acknowledged head");
    }
    let loaded = load(&*engine, shared.storage.path()).map_err(|e| io(format!("reading the log back failed: {e}")))?;
    if loaded.head != known {
        // What was acknowledged is not what the disk gives back: nothing to repair here. Appends stay refused,
        // reads go on from memory; the operator restores from a backup.
        tracing::error!(
            acknowledged = known.position,
            stored = loaded.head.position,
            "the store reopened after a fault does not end at the acknowledged head"
        );
        return Err(io(format!(
            "the store reopened after the fault ends at position {}, not at the acknowledged {}; restore from a backup",
            loaded.head.position, known.position
        )));
    }
    *shared.book.write().unwrap_or_else(|e| e.into_inner()) = loaded.book;
    *shared.index.write().unwrap_or_else(|e| e.into_inner()) = loaded.index;
    *shared.tail.lock().unwrap_or_else(|e| e.into_inner()) = loaded.tail;
    *shared.head.lock().unwrap_or_else(|e| e.into_inner()) = loaded.head;
    if let Err(e) = shared.storage.clear_failed_write() {
        tracing::warn!(error = %e, "cannot clear the record of the failed write (the next open cuts back again)");
    }
    Ok(())
}

/// Checks every batch of the round in queue order, writes the accepted ones atomically and durably, and returns
/// one answer per batch. A failed write fails every accepted batch of the round and leaves the store [`Failed`].
///
/// [`Failed`]: Health::Failed
fn commit_round(shared: &Shared, round: &[Request]) -> Vec<Result<AppendReceipt, AppendError>> {
    if let Err(fault) = check_reserve(shared) {
        tracing::error!(error = %fault, "appends refused");
        shared.set_health(Health::Refusing(fault.clone()));
        return round.iter().map(|_| Err(AppendError::Storage(fault.clone()))).collect();
    }
    let engine = match shared.engine() {
        Ok(engine) => engine,
        Err(e) => return round.iter().map(|_| Err(read_fault(&e))).collect(),
    };
    let recorded_at = now_micros();
    let start = shared.head();
    let mut head = start;
    let mut chunks = Chunks::new(shared.tail.lock().unwrap_or_else(|e| e.into_inner()).clone());
    let mut pending: HashMap<&EventId, (u64, &Event)> = HashMap::new();
    let mut answers = Vec::with_capacity(round.len());
    let mut bytes = Vec::with_capacity(256);
    {
        let mut book = shared.book.write().unwrap_or_else(|e| e.into_inner());
        let index = shared.index.read().unwrap_or_else(|e| e.into_inner());
        for request in round {
            let known = Stored { engine: &*engine, index: &index, pending: &pending };
            let checked = match book.check(&known, &request.events) {
                Err(e) => {
                    answers.push(Err(read_fault(&e)));
                    continue;
                }
                Ok(Err(violations)) => {
                    answers.push(Err(AppendError::Rejected(violations)));
                    continue;
                }
                Ok(Ok(checked)) => checked,
            };
            let mut first_position = None;
            for (event, outcome) in request.events.iter().zip(&checked.outcomes) {
                let Outcome::New(position) = *outcome else { continue };
                debug_assert_eq!(position, head.position + 1);
                bytes.clear();
                codec::encode_event(event, &mut bytes);
                let digest = codec::chain(&head.digest, position, &bytes);
                chunks.push(position, recorded_at, &digest, &bytes);
                pending.insert(&event.id, (position, event));
                first_position.get_or_insert(position);
                head = Head { position, digest };
            }
            answers.push(Ok(AppendReceipt {
                appended: checked.appended(),
                duplicates: checked.duplicates(),
                outcomes: checked.outcomes.clone(),
                first_position,
                last_position: head.position,
                digest: head.digest,
            }));
            book.commit(checked);
        }
    }
    if head == start {
        // Nothing new: every accepted batch was all duplicates of entries the head already covers, durable.
        return answers;
    }
    let (writes, tail) = chunks.finish();
    match engine.write(writes).and_then(|()| engine.flush()) {
        Ok(()) => {
            let mut index = shared.index.write().unwrap_or_else(|e| e.into_inner());
            index.reserve(pending.len());
            for (id, (position, _)) in &pending {
                index.insert(id, *position);
            }
            drop(index);
            *shared.tail.lock().unwrap_or_else(|e| e.into_inner()) = tail;
            *shared.head.lock().unwrap_or_else(|e| e.into_inner()) = head;
        }
        Err(e) => {
            let fault = Fault::from_engine(&e);
            tracing::error!(error = %fault, "writing a round of batches failed; appends are refused until the store is reopened");
            // Should the process end before the store is reopened, the next open must still cut back to here.
            if let Err(e) = shared.storage.mark_failed_write((start.position, start.digest)) {
                tracing::error!(error = %e, "cannot record the failed write; a restart may find its remains");
            }
            // The engine still shows the round to whoever reads it, and the rule book holds it: neither is the
            // truth any more. The head stays where the disk is known to be; nothing is answered as stored.
            shared.set_health(Health::Failed(fault.clone()));
            for answer in &mut answers {
                if answer.is_ok() {
                    *answer = Err(AppendError::Storage(fault.clone()));
                }
            }
        }
    }
    answers
}

/// A read that failed during a round's checks, as an append error.
fn read_fault(error: &ReadError) -> AppendError {
    match error {
        ReadError::Storage(e) => AppendError::Storage(Fault::from_engine(e)),
        ReadError::Reopening(fault) => AppendError::Storage(fault.clone()),
        other => AppendError::Storage(Fault { kind: FaultKind::Io, detail: other.to_string() }),
    }
}

/// The chunks a round writes: the open chunk extended, and any chunks started after it fills up.
struct Chunks {
    tail: Tail,
    /// Whether `tail` got entries this round (and so must be written).
    tail_changed: bool,
    writes: Writes,
}

impl Chunks {
    fn new(tail: Tail) -> Chunks {
        Chunks { tail, tail_changed: false, writes: Vec::new() }
    }

    /// Adds the entry at `position`, the next one after the tail's last, to the tail or to a new chunk.
    fn push(&mut self, position: u64, recorded_at: i64, digest: &codec::Digest, event: &[u8]) {
        let full = self.tail.entries >= codec::CHUNK_MAX_ENTRIES
            || (self.tail.entries > 0
                && self.tail.bytes.len() + 4 + codec::HEADER_LEN + event.len() > codec::CHUNK_MAX_BYTES);
        if full {
            let closed = std::mem::take(&mut self.tail);
            if self.tail_changed {
                self.writes.push((chunk_key(closed.first).to_vec(), Some(closed.bytes)));
            }
        }
        if self.tail.entries == 0 {
            self.tail = Tail { first: position, bytes: Vec::with_capacity(codec::CHUNK_MAX_BYTES), entries: 0 };
            codec::start_chunk(&mut self.tail.bytes);
        }
        debug_assert_eq!(self.tail.first + self.tail.entries as u64, position);
        codec::push_entry(&mut self.tail.bytes, position, recorded_at, digest, event);
        self.tail.entries += 1;
        self.tail_changed = true;
    }

    /// The round's writes, and the tail as it will be stored once they are.
    fn finish(mut self) -> (Writes, Tail) {
        if self.tail_changed {
            self.writes.push((chunk_key(self.tail.first).to_vec(), Some(self.tail.bytes.clone())));
        }
        (self.writes, self.tail)
    }
}
