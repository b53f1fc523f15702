//! The one writer: takes queued batches a round at a time and commits each round with one atomic write and one
//! flush (group commit).

use std::collections::HashMap;
use std::sync::mpsc::{Receiver, SyncSender};

use crate::domain::event::Event;
use crate::domain::id::EventId;
use crate::log::codec;
use crate::log::{AppendError, AppendReceipt, Head, Shared, Stored, entry_key, id_key, load};
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
    let mut batch = sled::Batch::default();
    let mut pending: HashMap<&EventId, (u64, &Event)> = HashMap::new();
    let mut answers = Vec::with_capacity(round.len());
    let mut value = Vec::with_capacity(256);
    let mut bytes = Vec::with_capacity(256);
    {
        let mut book = shared.book.write().unwrap_or_else(|e| e.into_inner());
        for request in round {
            let known = Stored { tree: &shared.tree, pending: &pending };
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
                value.clear();
                codec::encode_entry(position, recorded_at, &digest, &bytes, &mut value);
                batch.insert(&entry_key(position)[..], &value[..]);
                batch.insert(id_key(&event.id), &position.to_be_bytes()[..]);
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
    let written = shared.tree.apply_batch(batch).and_then(|()| shared.db.flush().map(drop));
    match written {
        Ok(()) => *shared.head.lock().unwrap_or_else(|e| e.into_inner()) = head,
        Err(e) => {
            tracing::error!(error = %e, "writing a round of batches failed; reloading the rule state from disk");
            // The round may or may not be on disk; the book must match whatever is. Reloading reads the truth.
            match load(&shared.tree) {
                Ok((book, head)) => {
                    *shared.book.write().unwrap_or_else(|e| e.into_inner()) = book;
                    *shared.head.lock().unwrap_or_else(|e| e.into_inner()) = head;
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
