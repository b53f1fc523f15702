//! The event log on sled: append-only, gapless, durable, idempotent, chained. The only module that touches disk.
//!
//! One sled tree, `ledger`, holds two kinds of keys:
//! - `e` ‖ position (u64, big-endian) → the entry (format byte, `recorded_at`, seal, digest, event bytes; see
//!   [`codec`]). Big-endian keys make sled's order the log order.
//! - `i` ‖ event_id → position (u64, big-endian): the exact idempotency index.
//!
//! Appends go through one writer thread ([`writer`]): callers queue their batch and block until it is durable.
//! Batches that queue while the writer flushes are committed together in the next round (group commit): each is
//! still checked on its own, against the log plus the earlier batches of its round, and accepted or rejected whole;
//! the round's accepted entries go to sled in one atomic `apply_batch` and one `flush`. Only then is any caller
//! answered and the durable head moved, and readers ([`Log::scan`]) never look past the durable head.
//!
//! The rule state ([`RuleBook`]) lives in memory, rebuilt by one scan on open. There is no update or delete API.
//!
//! Digest chain: digest_n = SHA-256(digest_{n-1} ‖ position_n ‖ event bytes_n), digest_0 = 32 zero bytes.
//! `recorded_at` is store metadata outside the chain, so `export | import` into an empty directory reproduces every
//! digest; a per-entry seal lets [`Log::verify`] notice a damaged `recorded_at` all the same.

pub mod codec;
mod writer;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Utc};

use crate::domain::event::Event;
use crate::domain::id::EventId;
use crate::rules::{KnownEvents, Outcome, RuleBook, Violation};

use codec::{DecodeError, Digest};

/// The name of the sled tree that holds the log.
const TREE: &str = "ledger";
const ENTRY_PREFIX: u8 = b'e';
const ID_PREFIX: u8 = b'i';

fn entry_key(position: u64) -> [u8; 9] {
    let mut key = [ENTRY_PREFIX; 9];
    key[1..].copy_from_slice(&position.to_be_bytes());
    key
}

fn id_key(id: &EventId) -> Vec<u8> {
    let mut key = Vec::with_capacity(1 + id.as_str().len());
    key.push(ID_PREFIX);
    key.extend_from_slice(id.as_str().as_bytes());
    key
}

fn position_of_key(key: &[u8]) -> Option<u64> {
    match key {
        [ENTRY_PREFIX, rest @ ..] => Some(u64::from_be_bytes(rest.try_into().ok()?)),
        _ => None,
    }
}

/// The last durable entry: its position (0 for an empty log) and digest (32 zero bytes for an empty log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub position: u64,
    pub digest: Digest,
}

impl Head {
    /// The head of an empty log.
    pub const EMPTY: Head = Head { position: 0, digest: [0; 32] };
}

/// One stored event with its envelope.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Its place in the log, from 1, gapless.
    pub position: u64,
    /// When the store took it in (store metadata, not business time, not in the digest).
    pub recorded_at: DateTime<Utc>,
    /// The digest chain up to and including this entry.
    pub digest: Digest,
    pub event: Event,
}

/// What an accepted batch came to. Returned only once the batch is durable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendReceipt {
    /// One outcome per event of the batch, in batch order.
    pub outcomes: Vec<Outcome>,
    /// How many events were appended.
    pub appended: usize,
    /// How many were already stored with identical content.
    pub duplicates: usize,
    /// The position of the first appended event; `None` when nothing was appended.
    pub first_position: Option<u64>,
    /// The durable head after this batch (the last appended position, or the head it was checked against).
    pub last_position: u64,
    /// The digest at `last_position`.
    pub digest: Digest,
}

/// Why a data directory could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("data directory {} is in use by another process", .0.display())]
    InUse(PathBuf),
    #[error("cannot open data directory {}: {source}", path.display())]
    Storage { path: PathBuf, source: sled::Error },
    #[error("data directory {}: {source}", path.display())]
    Unreadable { path: PathBuf, source: ReadError },
}

/// Why stored entries could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("storage error: {0}")]
    Storage(#[from] sled::Error),
    #[error("entry at position {position} cannot be decoded: {source}")]
    Corrupt { position: u64, source: DecodeError },
    #[error("entry at position {expected} is missing (the next stored key is {found:?})")]
    Gap { expected: u64, found: Vec<u8> },
}

/// Why a batch was not appended.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// The batch broke rules; nothing of it was appended.
    #[error("batch rejected: {} violation(s)", .0.len())]
    Rejected(Vec<Violation>),
    /// The store failed; nothing of the batch was acknowledged (the log is still a prefix of what was appended).
    #[error("storage failed: {0}")]
    Storage(String),
    /// The writer thread is gone (it only stops when the log is dropped, or after a panic).
    #[error("the log writer has stopped")]
    Closed,
}

/// What `verify` found wrong, and where.
#[derive(Debug, thiserror::Error)]
#[error("position {position}: {problem}")]
pub struct VerifyError {
    /// The first position that does not match (for an index problem, the position the index names).
    pub position: u64,
    pub problem: Problem,
}

/// The kinds of damage `verify` finds.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    #[error("entry is missing")]
    Missing,
    #[error("entry cannot be decoded: {0}")]
    Undecodable(DecodeError),
    #[error("digest does not match: stored {stored}, computed {computed}")]
    DigestMismatch { stored: String, computed: String },
    #[error("recorded_at does not match its seal")]
    SealMismatch,
    #[error("event id {0:?} is not indexed at this position")]
    IndexMismatch(String),
    #[error("the event id index holds {indexed} ids for {entries} entries")]
    IndexSize { indexed: u64, entries: u64 },
    #[error("unexpected key {0:?}")]
    StrayKey(Vec<u8>),
    #[error("storage error: {0}")]
    Storage(sled::Error),
}

/// State shared by the handles and the writer thread.
struct Shared {
    path: PathBuf,
    db: sled::Db,
    tree: sled::Tree,
    /// The rules' state including every committed batch; the writer takes it for writing for one round's checks,
    /// dry runs read it.
    book: RwLock<RuleBook>,
    /// The durable head; moved by the writer after each flush.
    head: Mutex<Head>,
}

struct Inner {
    shared: Arc<Shared>,
    /// `None` only during drop, so that the writer sees its queue close and ends.
    requests: Option<std::sync::mpsc::Sender<writer::Request>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing the queue ends the writer; joining it before sled's handles drop releases the directory lock
        // by the time `drop` returns, so the same directory can be opened again at once.
        self.requests.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A handle on an open log; cheap to clone and shareable between threads.
#[derive(Clone)]
pub struct Log {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Log {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Log").field("path", &self.inner.shared.path).field("head", &self.head()).finish()
    }
}

impl Log {
    /// Opens (or creates) the log in `dir`, rebuilding the rule state with one scan.
    pub fn open(dir: impl AsRef<Path>) -> Result<Log, OpenError> {
        let path = dir.as_ref().to_path_buf();
        let (db, tree) = open_tree(&path)?;
        let (book, head) = load(&tree).map_err(|source| OpenError::Unreadable { path: path.clone(), source })?;
        let shared = Arc::new(Shared { path, db, tree, book: RwLock::new(book), head: Mutex::new(head) });
        let (requests, queue) = std::sync::mpsc::channel();
        let writer_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("wartezeit-log-writer".into())
            .spawn(move || writer::run(&writer_shared, queue))
            .map_err(|e| OpenError::Storage { path: shared.path.clone(), source: sled::Error::Io(e) })?;
        Ok(Log { inner: Arc::new(Inner { shared, requests: Some(requests), thread: Some(thread) }) })
    }

    /// The data directory.
    pub fn path(&self) -> &Path {
        &self.inner.shared.path
    }

    /// The durable head.
    pub fn head(&self) -> Head {
        *self.inner.shared.head.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends a batch, all or nothing, and returns once it is durable. Blocks; call it from a blocking context.
    pub fn append(&self, events: Vec<Event>) -> Result<AppendReceipt, AppendError> {
        let (reply, answer) = std::sync::mpsc::sync_channel(1);
        let requests = self.inner.requests.as_ref().ok_or(AppendError::Closed)?;
        requests.send(writer::Request { events, reply }).map_err(|_| AppendError::Closed)?;
        answer.recv().map_err(|_| AppendError::Closed)?
    }

    /// A dry run: what appending `events` now would come to (outcomes with positions, or every violation).
    pub fn check(&self, events: &[Event]) -> Result<Result<Vec<Outcome>, Vec<Violation>>, ReadError> {
        let shared = &self.inner.shared;
        let book = shared.book.read().unwrap_or_else(|e| e.into_inner());
        let known = Stored { tree: &shared.tree, pending: &HashMap::new() };
        Ok(book.check(&known, events)?.map(|checked| checked.outcomes))
    }

    /// The durable entries from `from` (1 for all) to the head, in log order.
    pub fn scan(&self, from: u64) -> Scan {
        let end = self.head().position;
        let from = from.max(1);
        let iter = self.inner.shared.tree.range(entry_key(from)..=entry_key(end.max(from)));
        Scan { iter, expected: from, end, done: from > end }
    }

    /// Recomputes the digest chain and checks every entry, its seal and the id index; the head, or the first
    /// position that does not match.
    pub fn verify(&self) -> Result<Head, VerifyError> {
        verify(&self.inner.shared.tree)
    }
}

/// Checks the log in `dir` like [`Log::verify`], without reading it into memory first: damage that would stop
/// [`Log::open`] is still located by position.
pub fn verify_directory(dir: impl AsRef<Path>) -> Result<Result<Head, VerifyError>, OpenError> {
    let (_db, tree) = open_tree(dir.as_ref())?;
    Ok(verify(&tree))
}

fn open_tree(path: &Path) -> Result<(sled::Db, sled::Tree), OpenError> {
    let storage = |source| OpenError::Storage { path: path.to_path_buf(), source };
    // sled locks its database file; another process holding it is the one failure a user can fix by themselves.
    let db = sled::Config::new().path(path).open().map_err(|source| match &source {
        sled::Error::Io(e) if e.to_string().contains("could not acquire lock") => OpenError::InUse(path.to_path_buf()),
        _ => storage(source),
    })?;
    let tree = db.open_tree(TREE).map_err(storage)?;
    Ok((db, tree))
}

/// Reads the whole log once: the rule state and the head.
fn load(tree: &sled::Tree) -> Result<(RuleBook, Head), ReadError> {
    let mut book = RuleBook::new();
    let mut head = Head::EMPTY;
    let end = match tree.range(entry_key(0)..=entry_key(u64::MAX)).next_back() {
        Some(last) => position_of_key(&last?.0).unwrap_or(0),
        None => 0,
    };
    let scan = Scan { iter: tree.range(entry_key(1)..=entry_key(end.max(1))), expected: 1, end, done: end == 0 };
    for entry in scan {
        let entry = entry?;
        book.apply(entry.position, &entry.event);
        head = Head { position: entry.position, digest: entry.digest };
    }
    Ok((book, head))
}

/// The entries of a range of positions, decoded; stops at the first error.
pub struct Scan {
    iter: sled::Iter,
    expected: u64,
    end: u64,
    done: bool,
}

impl Iterator for Scan {
    type Item = Result<Entry, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let position = self.expected;
        let item = match self.iter.next() {
            None => Err(ReadError::Gap { expected: position, found: Vec::new() }),
            Some(Err(e)) => Err(ReadError::Storage(e)),
            Some(Ok((key, value))) if position_of_key(&key) == Some(position) => decode_entry(position, &value),
            Some(Ok((key, _))) => Err(ReadError::Gap { expected: position, found: key.to_vec() }),
        };
        self.expected += 1;
        self.done = item.is_err() || position >= self.end;
        Some(item)
    }
}

fn decode_entry(position: u64, value: &[u8]) -> Result<Entry, ReadError> {
    let corrupt = |source| ReadError::Corrupt { position, source };
    let raw = codec::split_entry(value).map_err(corrupt)?;
    let event = codec::decode_event(raw.event).map_err(corrupt)?;
    Ok(Entry { position, recorded_at: codec::recorded_at(raw.recorded_at_micros), digest: raw.digest, event })
}

fn verify(tree: &sled::Tree) -> Result<Head, VerifyError> {
    let fail = |position, problem| VerifyError { position, problem };
    let mut head = Head::EMPTY;
    for item in tree.range(entry_key(0)..=entry_key(u64::MAX)) {
        let position = head.position + 1;
        let (key, value) = item.map_err(|e| fail(position, Problem::Storage(e)))?;
        match position_of_key(&key) {
            Some(p) if p == position => {}
            Some(p) if p > position => return Err(fail(position, Problem::Missing)),
            _ => return Err(fail(position, Problem::StrayKey(key.to_vec()))),
        }
        let raw = codec::split_entry(&value).map_err(|e| fail(position, Problem::Undecodable(e)))?;
        let computed = codec::chain(&head.digest, position, raw.event);
        if computed != raw.digest {
            return Err(fail(
                position,
                Problem::DigestMismatch { stored: hex::encode(raw.digest), computed: hex::encode(computed) },
            ));
        }
        if raw.seal != codec::seal(position, raw.recorded_at_micros) {
            return Err(fail(position, Problem::SealMismatch));
        }
        let event = codec::decode_event(raw.event).map_err(|e| fail(position, Problem::Undecodable(e)))?;
        let indexed = tree.get(id_key(&event.id)).map_err(|e| fail(position, Problem::Storage(e)))?;
        if indexed.as_deref() != Some(&position.to_be_bytes()[..]) {
            return Err(fail(position, Problem::IndexMismatch(event.id.to_string())));
        }
        head = Head { position, digest: computed };
    }
    // Every id in the index points at an entry checked above; equal counts mean no stray ids either.
    let mut indexed = 0u64;
    for item in tree.scan_prefix([ID_PREFIX]) {
        item.map_err(|e| fail(head.position, Problem::Storage(e)))?;
        indexed += 1;
    }
    if indexed != head.position {
        return Err(fail(head.position, Problem::IndexSize { indexed, entries: head.position }));
    }
    Ok(head)
}

/// The store's events as the rules see them: the tree, plus the entries of the current round not yet written.
struct Stored<'a> {
    tree: &'a sled::Tree,
    pending: &'a HashMap<&'a EventId, (u64, &'a Event)>,
}

impl KnownEvents for Stored<'_> {
    type Error = ReadError;

    fn stored(&self, id: &EventId) -> Result<Option<(u64, Event)>, ReadError> {
        if let Some((position, event)) = self.pending.get(id) {
            return Ok(Some((*position, (*event).clone())));
        }
        let Some(position) = self.tree.get(id_key(id))? else {
            return Ok(None);
        };
        let position = u64::from_be_bytes(position.as_ref().try_into().map_err(|_| ReadError::Corrupt {
            position: 0,
            source: DecodeError::Invalid { field: "event_id index", reason: format!("for {id:?} is not 8 bytes") },
        })?);
        let value =
            self.tree.get(entry_key(position))?.ok_or(ReadError::Gap { expected: position, found: Vec::new() })?;
        Ok(Some((position, decode_entry(position, &value)?.event)))
    }
}

#[cfg(test)]
mod tests;
