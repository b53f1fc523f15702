//! The event log on sled: append-only, gapless, durable, idempotent, chained. The only module that touches disk.
//!
//! One sled tree, `ledger`, holds the entries in *chunks*: `c` ‖ first position (u64, big-endian) → a chunk of up
//! to [`codec::CHUNK_MAX_ENTRIES`] consecutive entries (see [`codec`] for the layout, stored format 2). Big-endian
//! keys make sled's order the log order; one sled value per run of entries instead of one per entry is what makes
//! appends and scans fast (sled's cost is per item: allocation and copy-on-write of whole leaf nodes). There is no
//! other key. A round that appends rewrites the open (last) chunk and adds new ones, in the same single atomic
//! `apply_batch`, so a chunk on disk is always a whole, durable prefix of its run.
//!
//! Appends go through one writer thread ([`writer`]): callers queue their batch and block until it is durable.
//! Batches that queue while the writer flushes are committed together in the next round (group commit): each is
//! still checked on its own, against the log plus the earlier batches of its round, and accepted or rejected whole;
//! the round's accepted entries go to sled in one atomic `apply_batch` and one `flush`. Only then is any caller
//! answered and the durable head moved, and readers ([`Log::scan`]) never look past the durable head.
//!
//! The rule state ([`RuleBook`]) and the exact `event_id` index ([`index`]; a 64-bit keyed hash of the id → position,
//! about 20–40 bytes of memory an event) live in memory, rebuilt by one scan on open; a hash hit is confirmed by
//! reading the stored event, so the index is exact. There is no update or delete API.
//!
//! Digest chain: digest_n = SHA-256(digest_{n-1} ‖ position_n ‖ event bytes_n), digest_0 = 32 zero bytes.
//! `recorded_at` is store metadata outside the chain, so `export | import` into an empty directory reproduces every
//! digest; a per-entry seal lets [`Log::verify`] notice a damaged `recorded_at` all the same.

pub mod checkpoints;
pub mod codec;
pub mod engine;
#[cfg(test)]
mod faulty;
mod index;
mod writer;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::domain::event::Event;
use crate::domain::id::EventId;
use crate::rules::{KnownEvents, Outcome, RuleBook, Violation};

use codec::{DecodeError, Digest};
use engine::{Engine, Found, SledStorage, Storage};
use index::IdIndex;

/// The stored format this version writes and reads, recorded in the data directory ([`engine::FORMAT_FILE`]).
///
/// | format | layout | read by this version |
/// | --- | --- | --- |
/// | 1 | one sled value per entry under `e` ‖ position, an id index on disk | no: refused, naming the way over (`export` with the version that wrote it, `import` with this one) |
/// | 2 | chunks of entries under `c` ‖ first position ([`codec`]) | yes; a store made before the format was recorded is format 2 and gets its record on first open |
///
/// A store of a later format is refused, never opened: an older version must not append in a layout it does not
/// know.
pub const STORE_FORMAT: u32 = 2;

/// The name of the sled tree that holds the log.
const TREE: &str = "ledger";
const CHUNK_PREFIX: u8 = b'c';

fn chunk_key(first: u64) -> [u8; 9] {
    let mut key = [CHUNK_PREFIX; 9];
    key[1..].copy_from_slice(&first.to_be_bytes());
    key
}

fn position_of_key(key: &[u8]) -> Option<u64> {
    match key {
        [CHUNK_PREFIX, rest @ ..] => Some(u64::from_be_bytes(rest.try_into().ok()?)),
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
    /// The directory holds no store, and the caller did not ask for one to be made ([`Options::create`]).
    #[error("data directory {} holds no store", .0.display())]
    NoStore(PathBuf),
    /// The store is of a format this version does not read.
    #[error("{}", format_refusal(path, *found))]
    Format { path: PathBuf, found: u32 },
    /// The disk cannot take the few writes that opening makes (the storage engine writes a snapshot); nothing of
    /// the store was changed.
    #[error("cannot open data directory {}: {fault}; nothing was changed, open it again once it can be written", path.display())]
    Unwritable { path: PathBuf, fault: Fault },
    #[error("cannot open data directory {}: {source}", path.display())]
    Storage { path: PathBuf, source: sled::Error },
    #[error("data directory {}: {source}", path.display())]
    Unreadable { path: PathBuf, source: ReadError },
    /// A write failed with the log acknowledged up to `head`, and the store does not hold that head any more.
    #[error(
        "data directory {}: a write failed earlier with the log acknowledged up to position {head}, and the store \
         no longer holds that position as acknowledged ({source}); restore it from a backup",
        path.display()
    )]
    AcknowledgedLost { path: PathBuf, head: u64, source: ReadError },
}

/// What an operator reads when a store's format is not this version's, with the way over.
fn format_refusal(path: &Path, found: u32) -> String {
    let version = env!("CARGO_PKG_VERSION");
    let dir = path.display();
    if found > STORE_FORMAT {
        format!(
            "data directory {dir} holds stored format {found}, written by a newer wartezeit; this version ({version}) \
             reads stored format {STORE_FORMAT} and changes nothing in it. Run the newer version, or move the events \
             over: `wartezeit export > events.ndjson` with the newer version, then `wartezeit import events.ndjson` \
             into an empty directory with this one (the digests stay the same)"
        )
    } else {
        format!(
            "data directory {dir} holds stored format {found}, which this version ({version}) no longer reads (it \
             reads stored format {STORE_FORMAT}); nothing was changed. Move the events over: `wartezeit export > \
             events.ndjson` with the version that wrote it, then `wartezeit import events.ndjson` into an empty \
             directory with this one (the digests stay the same)"
        )
    }
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
    /// A key this version does not write: a data directory of another stored format, or damage.
    #[error("stored key {0:?} is not a chunk of stored format 2 (a data directory of an older version?)")]
    ForeignKey(Vec<u8>),
    /// The store is being reopened after a storage fault; reads work again in a moment.
    #[error("the store is being reopened after a storage fault: {0}")]
    Reopening(Fault),
}

/// What kind of storage fault stops appends, as far as an operator can act on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// No space left (or a quota reached), or less free than the configured reserve.
    Full,
    /// The filesystem was made read-only (by the administrator, or by the kernel after errors).
    ReadOnly,
    /// Any other I/O error (EIO and the like).
    Io,
}

impl FaultKind {
    /// A short name, for metric labels and logs: `full`, `read_only`, `io`.
    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::Full => "full",
            FaultKind::ReadOnly => "read_only",
            FaultKind::Io => "io",
        }
    }
}

/// Why the store cannot write now: the kind, and what the operating system said.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct Fault {
    pub kind: FaultKind,
    pub detail: String,
}

impl Fault {
    /// The fault an I/O error stands for.
    pub fn from_io(error: &std::io::Error) -> Fault {
        use std::io::ErrorKind;
        let kind = match error.kind() {
            ErrorKind::StorageFull | ErrorKind::QuotaExceeded => FaultKind::Full,
            ErrorKind::ReadOnlyFilesystem => FaultKind::ReadOnly,
            _ => match error.raw_os_error() {
                Some(28 | 122) => FaultKind::Full,
                Some(30) => FaultKind::ReadOnly,
                _ => FaultKind::Io,
            },
        };
        Fault { kind, detail: error.to_string() }
    }

    /// The fault a storage engine error stands for; an error that is not about I/O counts as [`FaultKind::Io`].
    pub fn from_engine(error: &sled::Error) -> Fault {
        match error {
            sled::Error::Io(e) => Fault::from_io(e),
            other => Fault { kind: FaultKind::Io, detail: other.to_string() },
        }
    }

    fn describe(&self) -> String {
        match self.kind {
            FaultKind::Full => format!("the disk of the data directory is full ({})", self.detail),
            FaultKind::ReadOnly => format!("the data directory's filesystem is read-only ({})", self.detail),
            FaultKind::Io => format!("the data directory cannot be written ({})", self.detail),
        }
    }
}

/// Why a batch was not appended.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// The batch broke rules; nothing of it was appended.
    #[error("batch rejected: {} violation(s)", .0.len())]
    Rejected(Vec<Violation>),
    /// The store cannot write: the batch was not acknowledged. It is not in the log, or (where the failed write
    /// reached the disk after all) in it whole; sending it again appends it once.
    #[error("the batch was not stored: {0}")]
    Storage(Fault),
    /// The writer thread is gone (it only stops when the log is dropped, or after a panic).
    #[error("the log writer has stopped")]
    Closed,
    /// The log was opened for reading only ([`Options::read_only`]).
    #[error("the log was opened for reading only")]
    ReadOnly,
}

/// How the log treats the disk under it.
#[derive(Debug, Clone)]
pub struct Options {
    /// Appends are refused, as on a full disk, while less than this many bytes are free on the data directory's
    /// filesystem: the storage engine never gets to the point of failing a write for want of space.
    pub min_free_bytes: u64,
    /// How often a store that cannot write is probed again while no append comes (an append also probes, at most
    /// this often).
    pub retry_every: Duration,
    /// Whether opening a directory without a store makes one (the directory too). Without it such a directory is
    /// [`OpenError::NoStore`] and nothing is written.
    pub create: bool,
    /// Open for reading only: no rule state, no id index and no writer, so that opening costs the same whatever
    /// the log's length (the read commands). Appends and checks are refused.
    pub read_only: bool,
    /// Read the rule state and the id index on a thread of their own after opening: the log can be scanned at once
    /// (the service builds its projection meanwhile), and appends and checks wait until they are loaded.
    pub rules_in_background: bool,
    /// With [`Options::rules_in_background`]: where more than this many entries had to be read from the log for
    /// the rule state (a store without a rule-state checkpoint, from an older release or after a large import),
    /// write one as soon as they are loaded, so that the next start need not read them again. 0: never.
    pub rules_checkpoint_after: u64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            min_free_bytes: 64 << 20,
            retry_every: Duration::from_secs(2),
            create: true,
            read_only: false,
            rules_in_background: false,
            rules_checkpoint_after: 100_000,
        }
    }
}

/// What `verify` found wrong, and where.
#[derive(Debug, thiserror::Error)]
#[error("position {position}: {problem}")]
pub struct VerifyError {
    /// The first position that does not match.
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
    #[error("event id {id:?} is already stored at position {first}")]
    DuplicateId { id: String, first: u64 },
    #[error("an earlier entry cannot be read back: {0}")]
    Unreadable(String),
    #[error("unexpected key {0:?}")]
    StrayKey(Vec<u8>),
    #[error("storage error: {0}")]
    Storage(sled::Error),
}

/// State shared by the handles and the writer thread.
struct Shared {
    storage: Box<dyn Storage>,
    options: Options,
    /// The open engine; `None` only while the writer reopens it after a fault. Readers clone it for as long as
    /// they read; the writer replaces it only when it holds the last reference.
    engine: RwLock<Option<Arc<dyn Engine>>>,
    /// The rules' state including every committed batch; the writer takes it for writing for one round's checks,
    /// dry runs read it. After a failed write it also holds the failed round until the store is reopened.
    book: RwLock<RuleBook>,
    /// Every durable event id's position; the writer adds a round's ids once they are flushed. Locked after
    /// `book` where both are held.
    index: RwLock<IdIndex>,
    /// The open (last) chunk as stored, which the writer's next round extends; only the writer uses it.
    tail: Mutex<Tail>,
    /// The durable head; moved by the writer after each flush, and after reopening to what the disk holds.
    head: Mutex<Head>,
    health: Mutex<Health>,
    /// Whether `book` and `index` are loaded (only a log opened with [`Options::rules_in_background`] waits).
    rules: Mutex<Rules>,
    rules_loaded: std::sync::Condvar,
    /// Held while a rule-state checkpoint is written: the loader and the service's checkpointer may both want one
    /// at the start, and two writers of the same file would remove each other's partial file.
    rules_checkpoint: Mutex<()>,
}

/// Where the rule state and the id index stand.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Rules {
    Loading,
    Loaded,
    /// Reading the log for them failed (or the log was dropped first): appends and checks are refused.
    Failed(String),
}

/// Whether the store takes writes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Health {
    Writable,
    /// Appends are refused before anything is written (too little free space): the engine and the in-memory
    /// state are untouched, and appends resume as soon as the probe passes.
    Refusing(Fault),
    /// A write failed: the engine is spent and the rule book may hold the failed round. Appends resume once the
    /// probe passes and the store is reopened from what is durable.
    Failed(Fault),
}

impl Shared {
    fn engine(&self) -> Result<Arc<dyn Engine>, ReadError> {
        match &*self.engine.read().unwrap_or_else(|e| e.into_inner()) {
            Some(engine) => Ok(Arc::clone(engine)),
            None => Err(ReadError::Reopening(
                self.fault().unwrap_or(Fault { kind: FaultKind::Io, detail: "reopening".into() }),
            )),
        }
    }

    /// Waits until the rule state and the id index are loaded; the reason when they cannot be.
    fn wait_for_rules(&self) -> Result<(), String> {
        let mut rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            match &*rules {
                Rules::Loaded => return Ok(()),
                Rules::Failed(reason) => return Err(reason.clone()),
                Rules::Loading => rules = self.rules_loaded.wait(rules).unwrap_or_else(|e| e.into_inner()),
            }
        }
    }

    fn set_rules(&self, state: Rules) {
        *self.rules.lock().unwrap_or_else(|e| e.into_inner()) = state;
        self.rules_loaded.notify_all();
    }

    fn health(&self) -> Health {
        self.health.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set_health(&self, health: Health) {
        *self.health.lock().unwrap_or_else(|e| e.into_inner()) = health;
    }

    fn fault(&self) -> Option<Fault> {
        match self.health() {
            Health::Writable => None,
            Health::Refusing(fault) | Health::Failed(fault) => Some(fault),
        }
    }

    fn head(&self) -> Head {
        *self.head.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The last chunk of the log, kept in memory so that a round can extend it without reading it back.
#[derive(Debug, Clone, Default)]
struct Tail {
    /// The position of its first entry (0 while the log is empty).
    first: u64,
    /// Its stored bytes (empty while the log is empty).
    bytes: Vec<u8>,
    /// How many entries it holds.
    entries: usize,
}

struct Inner {
    shared: Arc<Shared>,
    /// `None` only during drop, so that the writer sees its queue close and ends.
    requests: Option<std::sync::mpsc::Sender<writer::Request>>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// The thread that loads the rule state in the background, and its stop signal.
    loader: Option<std::thread::JoinHandle<()>>,
    stop_loading: Arc<std::sync::atomic::AtomicBool>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // A loader still reading stops at its next chunk (and says so, which wakes a writer waiting for it).
        self.stop_loading.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(loader) = self.loader.take() {
            let _ = loader.join();
        }
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
        f.debug_struct("Log").field("path", &self.path()).field("head", &self.head()).finish()
    }
}

impl Log {
    /// Opens (or creates) the log in `dir` with the default [`Options`], rebuilding the rule state and the id
    /// index with one scan.
    pub fn open(dir: impl AsRef<Path>) -> Result<Log, OpenError> {
        Log::open_with(dir, Options::default())
    }

    /// Opens the log in `dir`, or creates it if there is none and [`Options::create`] says so. The stored format
    /// is checked first ([`STORE_FORMAT`]): another one is refused before anything in the directory is touched.
    pub fn open_with(dir: impl AsRef<Path>, options: Options) -> Result<Log, OpenError> {
        let path = dir.as_ref();
        let found = check_format(path, options.create)?;
        let log = Log::open_on(Box::new(SledStorage::new(path)), options).map_err(|error| match error {
            // Stored format 1 kept entries under `e` ‖ position; such a store never had its format recorded.
            OpenError::Unreadable { path, source: ReadError::ForeignKey(key) }
                if found == Found::Unrecorded && key.len() == 9 && key[0] == b'e' =>
            {
                OpenError::Format { path, found: 1 }
            }
            error => error,
        })?;
        if found != Found::Format(STORE_FORMAT) {
            engine::record_format(path, STORE_FORMAT).map_err(|e| storage_error(path, e))?;
        }
        Ok(log)
    }

    /// Opens the log on any storage (the tests' faulty one among them).
    fn open_on(storage: Box<dyn Storage>, options: Options) -> Result<Log, OpenError> {
        let path = storage.path().to_path_buf();
        let engine = open_engine(&*storage)?;
        finish_failed_write(&*storage, &*engine)?;
        let read_only = options.read_only;
        let background = options.rules_in_background && !read_only;
        let loaded = if read_only || background { load_head(&*engine) } else { load(&*engine, &path) };
        let loaded = loaded.map_err(|source| OpenError::Unreadable { path: path.clone(), source })?;
        let end = loaded.head.position;
        let shared = Arc::new(Shared {
            storage,
            options,
            engine: RwLock::new(Some(engine)),
            book: RwLock::new(loaded.book),
            index: RwLock::new(loaded.index),
            tail: Mutex::new(loaded.tail),
            head: Mutex::new(loaded.head),
            health: Mutex::new(Health::Writable),
            rules: Mutex::new(if background { Rules::Loading } else { Rules::Loaded }),
            rules_loaded: std::sync::Condvar::new(),
            rules_checkpoint: Mutex::new(()),
        });
        let stop_loading = Arc::new(std::sync::atomic::AtomicBool::new(false));
        if read_only {
            let inner = Inner { shared, requests: None, thread: None, loader: None, stop_loading };
            return Ok(Log { inner: Arc::new(inner) });
        }
        let loader = if background {
            let (shared, stop) = (Arc::clone(&shared), Arc::clone(&stop_loading));
            let spawned = std::thread::Builder::new()
                .name("wartezeit-log-rules".into())
                .spawn(move || load_rules(&shared, end, &stop))
                .map_err(|e| OpenError::Storage { path: path.clone(), source: sled::Error::Io(e) })?;
            Some(spawned)
        } else {
            None
        };
        let (requests, queue) = std::sync::mpsc::channel();
        let writer_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("wartezeit-log-writer".into())
            .spawn(move || writer::run(&writer_shared, queue))
            .map_err(|e| OpenError::Storage { path: path.clone(), source: sled::Error::Io(e) })?;
        let inner = Inner { shared, requests: Some(requests), thread: Some(thread), loader, stop_loading };
        Ok(Log { inner: Arc::new(inner) })
    }

    /// The data directory.
    pub fn path(&self) -> &Path {
        self.inner.shared.storage.path()
    }

    /// The durable head.
    pub fn head(&self) -> Head {
        self.inner.shared.head()
    }

    /// Whether appends go through now; the fault that stops them if not. After a fault the store is probed again
    /// on every append and every [`Options::retry_every`].
    pub fn writable(&self) -> Result<(), Fault> {
        self.inner.shared.fault().map_or(Ok(()), Err)
    }

    /// Appends a batch, all or nothing, and returns once it is durable. Blocks; call it from a blocking context.
    pub fn append(&self, events: Vec<Event>) -> Result<AppendReceipt, AppendError> {
        if self.inner.shared.options.read_only {
            return Err(AppendError::ReadOnly);
        }
        let (reply, answer) = std::sync::mpsc::sync_channel(1);
        let requests = self.inner.requests.as_ref().ok_or(AppendError::Closed)?;
        requests.send(writer::Request { events, reply }).map_err(|_| AppendError::Closed)?;
        answer.recv().map_err(|_| AppendError::Closed)?
    }

    /// A dry run: what appending `events` now would come to (outcomes with positions, or every violation).
    /// While a failed write is not yet cleared up, the rule state is not to be trusted and this is an error.
    pub fn check(&self, events: &[Event]) -> Result<Result<Vec<Outcome>, Vec<Violation>>, ReadError> {
        self.with_rules(|book, known| Ok(book.check(known, events)?.map(|checked| checked.outcomes)))
    }

    /// Checks a batch against the rules and the stored events as if the batches checked before with the same
    /// `staging` had been appended; appends nothing ([`crate::rules::RuleBook::check_staged`]). Meaningful while
    /// nobody else appends, as when the CLI holds the directory.
    pub fn check_staged(
        &self,
        staging: &mut crate::rules::Staging,
        events: &[Event],
    ) -> Result<Result<Vec<Outcome>, Vec<Violation>>, ReadError> {
        self.with_rules(|book, known| book.check_staged(staging, known, events))
    }

    /// `f` with the rule book and the stored events, for a dry run. While a failed write is not yet cleared up,
    /// the rule state is not to be trusted and this is an error.
    fn with_rules<T>(&self, f: impl FnOnce(&RuleBook, &Stored<'_>) -> Result<T, ReadError>) -> Result<T, ReadError> {
        let shared = &self.inner.shared;
        if shared.options.read_only {
            return Err(ReadError::Storage(sled::Error::Unsupported("the log was opened for reading only".into())));
        }
        shared.wait_for_rules().map_err(|reason| ReadError::Storage(sled::Error::Unsupported(reason)))?;
        if let Health::Failed(fault) = shared.health() {
            return Err(ReadError::Reopening(fault));
        }
        let engine = shared.engine()?;
        let book = shared.book.read().unwrap_or_else(|e| e.into_inner());
        let index = shared.index.read().unwrap_or_else(|e| e.into_inner());
        let known = Stored { engine: &*engine, index: &index, pending: &HashMap::new() };
        f(&book, &known)
    }

    /// The durable entries from `from` (1 for all) to the head, in log order.
    pub fn scan(&self, from: u64) -> Scan {
        let end = self.head().position;
        match self.inner.shared.engine() {
            Ok(engine) => Scan::new(engine, from.max(1), end),
            Err(error) => Scan::failed(error, from.max(1), end),
        }
    }

    /// Whether the rule state and the id index are loaded (false only while a log opened with
    /// [`Options::rules_in_background`] reads them, or after that failed).
    pub fn rules_loaded(&self) -> bool {
        *self.inner.shared.rules.lock().unwrap_or_else(|e| e.into_inner()) == Rules::Loaded
    }

    /// The digest of the durable entry at `position` (32 zero bytes at 0), or `None` past the durable head.
    pub fn digest_at(&self, position: u64) -> Result<Option<Digest>, ReadError> {
        if position == 0 {
            return Ok(Some([0; 32]));
        }
        if position > self.head().position {
            return Ok(None);
        }
        self.scan(position).next().transpose().map(|entry| entry.map(|e| e.digest))
    }

    /// Writes the rule state and the id index as a checkpoint at the durable head, so that the next start reads
    /// only the entries after it for them; waits for the rule state if it is still loading. `Ok(None)` where
    /// there is nothing to write now: the log is empty or read-only, its rule state could not be loaded, a failed
    /// write is not yet cleared up, appends kept the head moving past a few tries, or the newest rule-state
    /// checkpoint is at the head already. One is written at a time. The two are copied under
    /// their read locks (appends wait for that copy, not for the writing).
    pub fn write_rules_checkpoint(&self) -> std::io::Result<Option<checkpoints::Stored>> {
        write_rules_checkpoint(&self.inner.shared)
    }

    /// The projection checkpoints kept in the data directory.
    pub fn checkpoints(&self) -> checkpoints::Checkpoints {
        checkpoints::Checkpoints::in_dir(self.path())
    }

    /// Reads a checkpoint and checks that it belongs to this log: a whole frame made at a durable position whose
    /// digest is the log's there.
    pub fn read_checkpoint(&self, stored: &checkpoints::Stored) -> Result<checkpoints::Frame, checkpoints::Unusable> {
        let engine =
            self.inner.shared.engine().map_err(|e| checkpoints::Unusable::Io(std::io::Error::other(e.to_string())))?;
        checkpoint_in_chain(&*engine, stored, self.head().position)
    }

    /// Overwrites the stored chunk that holds `position` with bytes no decoder accepts: damage, for tests of
    /// readers' error paths.
    #[cfg(test)]
    pub(crate) fn damage_chunk_holding(&self, position: u64) {
        let engine = self.inner.shared.engine().expect("open");
        let (key, _) = engine.floor(&chunk_key(position)).expect("reads").expect("a chunk");
        engine.write(vec![(key.to_vec(), Some(b"\xffdamaged".to_vec()))]).expect("writes");
    }

    /// Recomputes the digest chain and checks every entry, its seal and that no event id is stored twice; the
    /// head, or the first position that does not match.
    pub fn verify(&self) -> Result<Head, VerifyError> {
        let engine = self.inner.shared.engine().map_err(|e| VerifyError {
            position: self.head().position + 1,
            problem: Problem::Unreadable(e.to_string()),
        })?;
        verify(&*engine)
    }
}

/// What [`verify_directory`] found and left aside besides the log.
#[derive(Debug, Default)]
pub struct Ignored {
    /// Leftovers of interrupted snapshots of the storage engine, removed before opening (name, bytes).
    pub unfinished_snapshots: Vec<(String, u64)>,
    /// The projection checkpoints, each with whether it is whole, belongs to the verified chain and has a body the
    /// caller's check accepts.
    pub checkpoints: Vec<(checkpoints::Stored, Result<(), checkpoints::Unusable>)>,
    /// The rule-state checkpoints, each with whether it is whole, belongs to the chain and decodes.
    pub rule_checkpoints: Vec<(checkpoints::Stored, Result<(), checkpoints::Unusable>)>,
}

/// Checks the log in `dir` like [`Log::verify`], without reading it into memory first: damage that would stop
/// [`Log::open`] is still located by position. Also says what it found and ignored in the directory, each
/// checkpoint checked by its frame, its place in the chain and `check_body` (the projection's part).
pub fn verify_directory(
    dir: impl AsRef<Path>,
    check_body: impl Fn(&checkpoints::Frame) -> Result<(), String>,
) -> Result<(Result<Head, VerifyError>, Ignored), OpenError> {
    let path = dir.as_ref();
    check_format(path, false)?;
    let unfinished_snapshots = engine::clear_unfinished_snapshots(path).map_err(|e| storage_error(path, e))?;
    let engine = open_engine(&SledStorage::new(path))?;
    let verdict = verify(&*engine);
    let stored = checkpoints::Checkpoints::in_dir(path).list().map_err(|e| storage_error(path, e))?;
    let head = verdict.as_ref().map_or(0, |head| head.position);
    let checkpoints = stored
        .into_iter()
        .map(|stored| {
            let checked = checkpoint_in_chain(&*engine, &stored, head)
                .and_then(|frame| check_body(&frame).map_err(checkpoints::Unusable::Body));
            (stored, checked)
        })
        .collect();
    let rule_checkpoints = checkpoints::Checkpoints::of_rules(path)
        .list()
        .map_err(|e| storage_error(path, e))?
        .into_iter()
        .map(|stored| {
            let checked = checkpoint_in_chain(&*engine, &stored, head).and_then(|frame| {
                decode_rules(frame.body(), frame.position).map(drop).map_err(checkpoints::Unusable::Body)
            });
            (stored, checked)
        })
        .collect();
    Ok((verdict, Ignored { unfinished_snapshots, checkpoints, rule_checkpoints }))
}

/// The checkpoint `stored`, if it is whole and made at a position up to `head` whose digest is the log's there.
fn checkpoint_in_chain(
    engine: &dyn Engine,
    stored: &checkpoints::Stored,
    head: u64,
) -> Result<checkpoints::Frame, checkpoints::Unusable> {
    let frame = checkpoints::read_at(&stored.path, stored.position)?;
    checkpoints::in_chain(frame, head, |position| {
        read_entry(engine, position).map(|entry| entry.digest).map_err(|e| e.to_string())
    })
}

/// What `dir` holds: refused when it is a store of another format, or no store where none may be made.
fn check_format(path: &Path, create: bool) -> Result<Found, OpenError> {
    match engine::found_in(path).map_err(|e| storage_error(path, e))? {
        Found::Nothing if !create => Err(OpenError::NoStore(path.to_path_buf())),
        Found::Format(found) if found != STORE_FORMAT => Err(OpenError::Format { path: path.to_path_buf(), found }),
        found => Ok(found),
    }
}

fn storage_error(path: &Path, error: std::io::Error) -> OpenError {
    OpenError::Storage { path: path.to_path_buf(), source: sled::Error::Io(error) }
}

/// Cuts the store back to the acknowledged head recorded when a write failed in a process that ended before it
/// could do so itself, and clears the record.
fn finish_failed_write(storage: &dyn Storage, engine: &dyn Engine) -> Result<(), OpenError> {
    let path = storage.path().to_path_buf();
    let storage_error = |e: std::io::Error| OpenError::Storage { path: path.clone(), source: sled::Error::Io(e) };
    let Some((position, digest)) = storage.failed_write().map_err(storage_error)? else { return Ok(()) };
    let head = Head { position, digest };
    let removed = cut_back_to(engine, head, None).map_err(|source| match source {
        ReadError::Storage(sled::Error::Io(e)) => {
            OpenError::Unwritable { path: path.clone(), fault: Fault::from_io(&e) }
        }
        source => OpenError::AcknowledgedLost { path: path.clone(), head: position, source },
    })?;
    tracing::warn!(head = position, removed, "removed the remains of a write that failed before the last stop");
    storage.clear_failed_write().map_err(storage_error)
}

/// Cuts the stored log back to `head`, in one durable write: chunks after the one that holds it go, and that
/// chunk keeps its entries up to `head`. A failed write may have left any part of its round on disk (sled does
/// not keep a failed batch whole when it runs out of space); none of it was acknowledged, so none of it stays.
///
/// `tail`, the chunk that holds `head` as it was acknowledged (the writer keeps it in memory), is written back
/// as it is; without it (after a restart) the stored chunk is cut, and the call fails, changing nothing, when
/// the store does not hold `head` itself (acknowledged entries are missing or differ). Returns how many chunks
/// were removed.
fn cut_back_to(engine: &dyn Engine, head: Head, tail: Option<&Tail>) -> Result<usize, ReadError> {
    let mut writes: engine::Writes = Vec::new();
    let lost = |found: Vec<u8>| ReadError::Gap { expected: head.position, found };
    // The first position of the chunk that holds `head` (0 for an empty log).
    let mut first = 0;
    if let Some(tail) = tail.filter(|t| t.entries > 0) {
        first = tail.first;
        let key = chunk_key(first);
        if engine.floor(&key)?.is_none_or(|(k, v)| k[..] != key || v[..] != tail.bytes[..]) {
            writes.push((key.to_vec(), Some(tail.bytes.clone())));
        }
    } else if head.position > 0 {
        let (key, value) = engine.floor(&chunk_key(head.position))?.ok_or_else(|| lost(Vec::new()))?;
        first = position_of_key(&key).ok_or_else(|| lost(key.to_vec()))?;
        let corrupt = |source| ReadError::Corrupt { position: head.position, source };
        let spans = codec::chunk_spans(&value).map_err(corrupt)?;
        let keep = usize::try_from(head.position - first + 1).unwrap_or(usize::MAX);
        let last = spans.get(keep - 1).ok_or_else(|| lost(key.to_vec()))?;
        let (entry, _) = codec::entry_at(&value, last.start).map_err(corrupt)?;
        if codec::split_entry(&value[entry]).map_err(corrupt)?.digest != head.digest {
            return Err(lost(key.to_vec()));
        }
        if spans.len() > keep {
            writes.push((key.to_vec(), Some(value[..last.end].to_vec())));
        }
    }
    let mut removed = 0;
    for pair in engine.range(&chunk_key(first + 1), &chunk_key(u64::MAX)) {
        writes.push((pair?.0.to_vec(), None));
        removed += 1;
    }
    if !writes.is_empty() {
        engine.write(writes)?;
        engine.flush()?;
    }
    Ok(removed)
}

/// How long opening waits for a directory lock to be released: sled's background threads let go of the lock a
/// moment after the log that held it was dropped (a restart in the same process, a process just exiting).
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// Opens the engine, telling apart a directory in use and a disk that cannot be written from other failures. A
/// directory in use is tried again for up to [`LOCK_WAIT`].
fn open_engine(storage: &dyn Storage) -> Result<Arc<dyn Engine>, OpenError> {
    let deadline = std::time::Instant::now() + LOCK_WAIT;
    loop {
        match open_engine_once(storage) {
            Err(OpenError::InUse(_)) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            opened => return opened,
        }
    }
}

fn open_engine_once(storage: &dyn Storage) -> Result<Arc<dyn Engine>, OpenError> {
    let path = storage.path().to_path_buf();
    storage.open().map_err(|source| match &source {
        // sled locks its database file; another process holding it is the one failure a user can fix by themselves.
        sled::Error::Io(e) if e.to_string().contains("could not acquire lock") => OpenError::InUse(path),
        sled::Error::Io(e) => OpenError::Unwritable { path, fault: Fault::from_io(e) },
        _ => OpenError::Storage { path, source },
    })
}

/// What one scan of the whole log rebuilds.
struct Loaded {
    book: RuleBook,
    index: IdIndex,
    tail: Tail,
    head: Head,
}

/// Reads the open chunk, the head, and the rule state and the id index (from their newest checkpoint and the
/// entries after it) of the store in `data_dir`.
fn load(engine: &dyn Engine, data_dir: &Path) -> Result<Loaded, ReadError> {
    let loaded = load_head(engine)?;
    let never = std::sync::atomic::AtomicBool::new(false);
    let (book, index, _) = read_rules(engine, data_dir, loaded.head.position, &never)?.expect("never stopped");
    Ok(Loaded { book, index, ..loaded })
}

/// `book` and `index` (of the positions up to `book.head()`) with the entries after them up to `end` folded in,
/// and how many entries that read.
fn read_rules_after(
    engine: &dyn Engine,
    mut book: RuleBook,
    mut index: IdIndex,
    end: u64,
    stop: &std::sync::atomic::AtomicBool,
) -> Result<Option<RulesRead>, ReadError> {
    let from = book.head();
    for entry in Scan::over(engine, book.head() + 1, end) {
        let entry = entry?;
        if entry.position % 4_096 == 0 && stop.load(std::sync::atomic::Ordering::Relaxed) {
            return Ok(None);
        }
        book.apply(entry.position, &entry.event);
        index.insert(&entry.event.id, entry.position);
    }
    let read = book.head() - from;
    Ok(Some((book, index, read)))
}

/// The rule book, the id index, and how many entries were read from the log for them (beyond their checkpoint).
type RulesRead = (RuleBook, IdIndex, u64);

/// The body layout of a rule-state checkpoint: format (u32, little-endian), then the rule book and the id index in
/// postcard. Raise it whenever either changes: a checkpoint of another format is passed over.
const RULES_FORMAT: u32 = 2;

/// How many rule-state checkpoints are kept.
const RULES_KEPT: usize = 2;

/// The rule state and the id index of positions 1..=`end`: from the newest usable rule-state checkpoint at or below
/// `end` in `data_dir`, with the entries after it read from the log; from the whole log where there is none (each
/// one passed over gets a log line). `None` when `stop` was set before they were read.
fn read_rules(
    engine: &dyn Engine,
    data_dir: &Path,
    end: u64,
    stop: &std::sync::atomic::AtomicBool,
) -> Result<Option<RulesRead>, ReadError> {
    let checkpoints = checkpoints::Checkpoints::of_rules(data_dir);
    for stored in checkpoints.list().unwrap_or_default().into_iter().filter(|s| s.position <= end) {
        let decoded = checkpoint_in_chain(engine, &stored, end)
            .map_err(|e| e.to_string())
            .and_then(|frame| decode_rules(frame.body(), frame.position));
        let (book, index) = match decoded {
            Ok(decoded) => decoded,
            Err(reason) => {
                tracing::warn!(checkpoint = %stored.path.display(), %reason, "rule-state checkpoint ignored");
                continue;
            }
        };
        return read_rules_after(engine, book, index, end, stop);
    }
    let mut index = IdIndex::default();
    index.reserve(end as usize);
    read_rules_after(engine, RuleBook::new(), index, end, stop)
}

/// The rule book and id index of a rule-state checkpoint body made at `position`.
fn decode_rules(body: &[u8], position: u64) -> Result<(RuleBook, IdIndex), String> {
    let (format, rest) = body.split_first_chunk::<4>().ok_or("too short")?;
    let found = u32::from_le_bytes(*format);
    if found != RULES_FORMAT {
        return Err(format!("is of rule-state format {found}; this version reads format {RULES_FORMAT}"));
    }
    let (book, index): (RuleBook, IdIndex) = postcard::from_bytes(rest).map_err(|e| e.to_string())?;
    if book.head() != position {
        return Err(format!("holds the rule state of position {}, not {position}", book.head()));
    }
    Ok((book, index))
}

/// [`Log::write_rules_checkpoint`].
fn write_rules_checkpoint(shared: &Shared) -> std::io::Result<Option<checkpoints::Stored>> {
    if shared.options.read_only || shared.wait_for_rules().is_err() {
        return Ok(None);
    }
    let _one_writer = shared.rules_checkpoint.lock().unwrap_or_else(|e| e.into_inner());
    let checkpoints = checkpoints::Checkpoints::of_rules(shared.storage.path());
    let newest = checkpoints.list().unwrap_or_default().first().map(|stored| stored.position);
    let started = std::time::Instant::now();
    let mut snapshot = None;
    for _ in 0..50 {
        if shared.health() != Health::Writable {
            return Ok(None);
        }
        let book = shared.book.read().unwrap_or_else(|e| e.into_inner());
        let index = shared.index.read().unwrap_or_else(|e| e.into_inner());
        let head = shared.head();
        if newest == Some(head.position) {
            return Ok(None); // written already, by the other writer say
        }
        // The writer commits a round to the book before it is durable, and moves the head after the index:
        // where the book is at the head, the three agree.
        if book.head() == head.position {
            snapshot = Some((book.clone(), index.clone(), head));
            break;
        }
        drop((book, index));
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let Some((book, index, head)) = snapshot else { return Ok(None) };
    tracing::debug!(copy_ms = started.elapsed().as_millis() as u64, "rule state copied for its checkpoint");
    if head.position == 0 {
        return Ok(None);
    }
    let stored = checkpoints.write(head.position, &head.digest, |out| {
        out.write_all(&RULES_FORMAT.to_le_bytes())?;
        postcard::to_io(&(&book, &index), out).map(drop).map_err(|e| std::io::Error::other(e.to_string()))
    })?;
    checkpoints.prune(RULES_KEPT)?;
    Ok(Some(stored))
}

/// Reads the rule state and the id index of positions 1..=`end` and hands them to the log, unless `stop` is set
/// first (the log being dropped). Runs on a thread of its own for [`Options::rules_in_background`].
fn load_rules(shared: &Shared, end: u64, stop: &std::sync::atomic::AtomicBool) {
    let started = std::time::Instant::now();
    let data_dir = shared.storage.path();
    let read = shared.engine().and_then(|engine| read_rules(&*engine, data_dir, end, stop));
    match read {
        Ok(Some((book, index, read))) => {
            *shared.book.write().unwrap_or_else(|e| e.into_inner()) = book;
            *shared.index.write().unwrap_or_else(|e| e.into_inner()) = index;
            let elapsed_ms = started.elapsed().as_millis() as u64;
            tracing::info!(events = end, read_from_log = read, elapsed_ms, "rule state loaded");
            shared.set_rules(Rules::Loaded);
            let after = shared.options.rules_checkpoint_after;
            // Not given up when the log is closed meanwhile: its closing waits for the writing.
            if after > 0 && read > after {
                match write_rules_checkpoint(shared) {
                    Ok(Some(stored)) => tracing::info!(
                        position = stored.position,
                        bytes = stored.bytes,
                        "rule-state checkpoint written, so that the next start need not read the log for it"
                    ),
                    Ok(None) => {}
                    Err(e) => tracing::warn!("rule-state checkpoint not written: {e}"),
                }
            }
        }
        Ok(None) => shared.set_rules(Rules::Failed("the log was closed before its rule state was loaded".into())),
        Err(e) => {
            let reason = format!("the log could not be read for its rule state: {e}");
            tracing::error!("{reason}: appends are refused; `wartezeit verify` names the damage");
            shared.set_rules(Rules::Failed(reason));
        }
    }
}

/// Reads only the open chunk and the head (rule state and id index left empty): all a log opened for reading
/// only needs, and the first step of every open.
fn load_head(engine: &dyn Engine) -> Result<Loaded, ReadError> {
    // Chunk keys are the only keys; one outside them (an older stored format, say) must not be appended past.
    for key in [engine.first()?, engine.last()?].into_iter().flatten().map(|(key, _)| key) {
        if position_of_key(&key).is_none() {
            return Err(ReadError::ForeignKey(key.to_vec()));
        }
    }
    let mut loaded =
        Loaded { book: RuleBook::new(), index: IdIndex::default(), tail: Tail::default(), head: Head::EMPTY };
    let Some((key, value)) = engine.last()? else { return Ok(loaded) };
    let first = position_of_key(&key).expect("checked above");
    let corrupt = |source| ReadError::Corrupt { position: first, source };
    let mut last = None;
    for (i, entry) in codec::chunk_entries(&value).map_err(corrupt)?.enumerate() {
        last = Some((i, entry.map_err(corrupt)?));
    }
    if let Some((i, entry)) = last {
        let position = first + i as u64;
        let raw = codec::split_entry(entry).map_err(|source| ReadError::Corrupt { position, source })?;
        loaded.head = Head { position, digest: raw.digest };
        loaded.tail = Tail { first, bytes: value.to_vec(), entries: i + 1 };
    }
    Ok(loaded)
}

/// The entries of a range of positions, decoded; stops at the first error.
pub struct Scan {
    /// The engine read, held so that it is not replaced under the scan.
    _engine: Option<Arc<dyn Engine>>,
    /// An error met before the first entry (the store being reopened).
    error: Option<ReadError>,
    /// The chunks from the one that holds the first wanted position.
    chunks: Option<engine::Pairs>,
    /// The chunk being read, and where its next entry starts.
    chunk: sled::IVec,
    offset: usize,
    /// The position of the chunk's next entry.
    chunk_position: u64,
    /// The next position to yield.
    expected: u64,
    end: u64,
    done: bool,
}

impl Scan {
    fn new(engine: Arc<dyn Engine>, from: u64, end: u64) -> Scan {
        let mut scan = Scan::over(&*engine, from, end);
        scan._engine = Some(engine);
        scan
    }

    /// A scan of `engine` that the caller keeps open for as long as the scan runs.
    fn over(engine: &dyn Engine, from: u64, end: u64) -> Scan {
        let done = from > end;
        // The chunk that holds `from` is the last one that starts at or before it.
        let start = match engine.floor(&chunk_key(from)) {
            Ok(Some((key, _))) => position_of_key(&key).unwrap_or(from),
            _ => from,
        };
        let chunks = (!done).then(|| engine.range(&chunk_key(start), &chunk_key(end)));
        Scan {
            _engine: None,
            error: None,
            chunks,
            chunk: sled::IVec::default(),
            offset: 0,
            chunk_position: start,
            expected: from,
            end,
            done,
        }
    }

    /// A scan that yields `error` (unless the range is empty) and ends.
    fn failed(error: ReadError, from: u64, end: u64) -> Scan {
        Scan {
            _engine: None,
            error: Some(error),
            chunks: None,
            chunk: sled::IVec::default(),
            offset: 0,
            chunk_position: from,
            expected: from,
            end,
            done: from > end,
        }
    }

    /// The next entry's bytes and position, moving on to the next chunk where this one ends.
    fn next_raw(&mut self) -> Result<(u64, &[u8]), ReadError> {
        loop {
            if self.offset < self.chunk.len() {
                let position = self.chunk_position;
                let (entry, next) = codec::entry_at(&self.chunk, self.offset)
                    .map_err(|source| ReadError::Corrupt { position, source })?;
                self.offset = next;
                self.chunk_position += 1;
                if position >= self.expected {
                    return Ok((position, &self.chunk[entry]));
                }
                continue;
            }
            let gap = |found: Vec<u8>| ReadError::Gap { expected: self.chunk_position, found };
            let (key, value) = match self.chunks.as_mut().and_then(Iterator::next) {
                None => return Err(gap(Vec::new())),
                Some(item) => item?,
            };
            if position_of_key(&key) != Some(self.chunk_position) {
                return Err(gap(key.to_vec()));
            }
            let corrupt = |source| ReadError::Corrupt { position: self.chunk_position, source };
            codec::chunk_entries(&value).map_err(corrupt)?;
            self.chunk = value;
            self.offset = 1;
        }
    }
}

impl Iterator for Scan {
    type Item = Result<Entry, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if let Some(error) = self.error.take() {
            self.done = true;
            return Some(Err(error));
        }
        let item = self.next_raw().and_then(|(position, bytes)| decode_entry(position, bytes));
        self.done = item.is_err() || self.expected >= self.end;
        self.expected += 1;
        Some(item)
    }
}

fn decode_entry(position: u64, value: &[u8]) -> Result<Entry, ReadError> {
    let corrupt = |source| ReadError::Corrupt { position, source };
    let raw = codec::split_entry(value).map_err(corrupt)?;
    let event = codec::decode_event(raw.event).map_err(corrupt)?;
    Ok(Entry { position, recorded_at: codec::recorded_at(raw.recorded_at_micros), digest: raw.digest, event })
}

/// The stored entry at `position`, read from the chunk that holds it.
fn read_entry(engine: &dyn Engine, position: u64) -> Result<Entry, ReadError> {
    let missing = || ReadError::Gap { expected: position, found: Vec::new() };
    let (key, value) = engine.floor(&chunk_key(position))?.ok_or_else(missing)?;
    let first = position_of_key(&key).ok_or_else(missing)?;
    let corrupt = |source| ReadError::Corrupt { position, source };
    let entry = codec::chunk_entries(&value)
        .map_err(corrupt)?
        .nth(usize::try_from(position - first).map_err(|_| missing())?)
        .ok_or_else(missing)?
        .map_err(corrupt)?;
    decode_entry(position, entry)
}

fn verify(engine: &dyn Engine) -> Result<Head, VerifyError> {
    let fail = |position, problem| VerifyError { position, problem };
    let mut head = Head::EMPTY;
    let mut ids = IdIndex::default();
    for item in engine.all() {
        let position = head.position + 1;
        let (key, value) = item.map_err(|e| fail(position, Problem::Storage(e)))?;
        match position_of_key(&key) {
            Some(p) if p == position => {}
            Some(p) if p > position => return Err(fail(position, Problem::Missing)),
            _ => return Err(fail(position, Problem::StrayKey(key.to_vec()))),
        }
        let entries = codec::chunk_entries(&value).map_err(|e| fail(position, Problem::Undecodable(e)))?;
        for entry in entries {
            let position = head.position + 1;
            let undecodable = |e| fail(position, Problem::Undecodable(e));
            let raw = codec::split_entry(entry.map_err(undecodable)?).map_err(undecodable)?;
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
            let event = codec::decode_event(raw.event).map_err(undecodable)?;
            for earlier in ids.candidates(&event.id) {
                let stored =
                    read_entry(engine, earlier).map_err(|e| fail(earlier, Problem::Unreadable(e.to_string())))?;
                if stored.event.id == event.id {
                    return Err(fail(position, Problem::DuplicateId { id: event.id.to_string(), first: earlier }));
                }
            }
            ids.insert(&event.id, position);
            head = Head { position, digest: computed };
        }
    }
    Ok(head)
}

/// The store's events as the rules see them: the index and the tree, plus the entries of the current round not
/// yet written.
struct Stored<'a> {
    engine: &'a dyn Engine,
    index: &'a IdIndex,
    pending: &'a HashMap<&'a EventId, (u64, &'a Event)>,
}

impl KnownEvents for Stored<'_> {
    type Error = ReadError;

    fn stored(&self, id: &EventId) -> Result<Option<(u64, Event)>, ReadError> {
        if let Some((position, event)) = self.pending.get(id) {
            return Ok(Some((*position, (*event).clone())));
        }
        // A hash hit is only a candidate: the stored event says whether it is this id.
        for position in self.index.candidates(id) {
            let entry = read_entry(self.engine, position)?;
            if entry.event.id == *id {
                return Ok(Some((position, entry.event)));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests;
