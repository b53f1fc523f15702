//! The one writer: takes queued batches a round at a time and commits each round with one atomic write and one
//! flush (group commit).

use std::collections::HashMap;
use std::sync::mpsc::{Receiver, SyncSender};

use crate::domain::event::Event;
use crate::domain::id::EventId;
use crate::log::codec;
use crate::log::{AppendError, AppendReceipt, Head, Shared, Stored, Tail, chunk_key, load};
use crate::rules::Outcome;

/// One caller's batch and where to send its answer.
pub(super) struct Request {
    pub(super) events: Vec<Event>,
    pub(super) reply: SyncSender<Result<AppendReceipt, AppendError>>,
}

/// Serves the queue until every handle is gone.
pub(super) fn run(shared: &Shared, queue: Receiver<Request>) {
    while let Ok(first) = queue.recv() {
        // Whatever queued up while the previous round was flushing joins this round.
        let mut round = vec![first];
        round.extend(queue.try_iter());
        let answers = commit_round(shared, &round);
        for (request, answer) in round.into_iter().zip(answers) {
            // A caller that went away no longer needs its answer; its batch is durable all the same.
            let _ = request.reply.send(answer);
        }
    }
}

fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

/// Checks every batch of the round in queue order, writes the accepted ones atomically and durably, and returns
/// one answer per batch.
fn commit_round(shared: &Shared, round: &[Request]) -> Vec<Result<AppendReceipt, AppendError>> {
    let recorded_at = now_micros();
    let start = *shared.head.lock().unwrap_or_else(|e| e.into_inner());
    let mut head = start;
    let mut chunks = Chunks::new(shared.tail.lock().unwrap_or_else(|e| e.into_inner()).clone());
    let mut pending: HashMap<&EventId, (u64, &Event)> = HashMap::new();
    let mut answers = Vec::with_capacity(round.len());
    let mut bytes = Vec::with_capacity(256);
    {
        let mut book = shared.book.write().unwrap_or_else(|e| e.into_inner());
        let index = shared.index.read().unwrap_or_else(|e| e.into_inner());
        for request in round {
            let known = Stored { tree: &shared.tree, index: &index, pending: &pending };
            let checked = match book.check(&known, &request.events) {
                Err(e) => {
                    answers.push(Err(AppendError::Storage(e.to_string())));
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
        return answers;
    }
    let (batch, tail) = chunks.finish();
    let written = shared.tree.apply_batch(batch).and_then(|()| {
        // The round is in the tree: its ids may now be looked up there.
        let mut index = shared.index.write().unwrap_or_else(|e| e.into_inner());
        index.reserve(pending.len());
        for (id, (position, _)) in &pending {
            index.insert(id, *position);
        }
        drop(index);
        shared.db.flush().map(drop)
    });
    match written {
        Ok(()) => {
            *shared.tail.lock().unwrap_or_else(|e| e.into_inner()) = tail;
            *shared.head.lock().unwrap_or_else(|e| e.into_inner()) = head;
        }
        Err(e) => {
            tracing::error!(error = %e, "writing a round of batches failed; reloading the rule state from disk");
            // The round may or may not be on disk; the book, index and tail must match whatever is. Reloading
            // reads the truth.
            match load(&shared.tree) {
                Ok(loaded) => {
                    *shared.book.write().unwrap_or_else(|e| e.into_inner()) = loaded.book;
                    *shared.index.write().unwrap_or_else(|e| e.into_inner()) = loaded.index;
                    *shared.tail.lock().unwrap_or_else(|e| e.into_inner()) = loaded.tail;
                    *shared.head.lock().unwrap_or_else(|e| e.into_inner()) = loaded.head;
                }
                Err(reload) => tracing::error!(error = %reload, "reloading the rule state failed"),
            }
            for answer in &mut answers {
                if answer.is_ok() {
                    *answer = Err(AppendError::Storage(format!("writing to the data directory failed: {e}")));
                }
            }
        }
    }
    answers
}

/// The chunks a round writes: the open chunk extended, and any chunks started after it fills up.
struct Chunks {
    tail: Tail,
    /// Whether `tail` got entries this round (and so must be written).
    tail_changed: bool,
    batch: sled::Batch,
}

impl Chunks {
    fn new(tail: Tail) -> Chunks {
        Chunks { tail, tail_changed: false, batch: sled::Batch::default() }
    }

    /// Adds the entry at `position`, the next one after the tail's last, to the tail or to a new chunk.
    fn push(&mut self, position: u64, recorded_at: i64, digest: &codec::Digest, event: &[u8]) {
        let full = self.tail.entries >= codec::CHUNK_MAX_ENTRIES
            || (self.tail.entries > 0
                && self.tail.bytes.len() + 4 + codec::HEADER_LEN + event.len() > codec::CHUNK_MAX_BYTES);
        if full {
            let closed = std::mem::take(&mut self.tail);
            if self.tail_changed {
                self.batch.insert(&chunk_key(closed.first)[..], closed.bytes);
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
    fn finish(mut self) -> (sled::Batch, Tail) {
        if self.tail_changed {
            self.batch.insert(&chunk_key(self.tail.first)[..], self.tail.bytes.clone());
        }
        (self.batch, self.tail)
    }
}
