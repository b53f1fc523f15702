//! The storage engine under the log, as a narrow interface: sled in production ([`SledStorage`]), a model that
//! fails on purpose in the tests (`faulty`).
//!
//! The log needs little of an engine: ordered keys, an atomic write of several keys, a flush that makes everything
//! written durable, and ranges to read back. What it needs most is an honest account of failure, because sled's is
//! not one: after an I/O error sled keeps the failed write in its in-memory tree (readers of the tree see it) and
//! refuses every later write until it is opened again. So the log treats an engine that failed once as spent: it
//! stops writing, keeps reading through it up to the durable head it knew, and, once [`Storage::probe`] says the
//! disk takes writes again, drops it and opens a new one, which reads only what reached the disk.
//!
//! [`SledStorage::open`] also clears what an interrupted snapshot of sled leaves behind (`snap.*.generating`): sled
//! would read such a file as its newest snapshot and report the whole store as corrupt.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sled::IVec;

use super::codec::Digest;

/// A key and its value, as stored.
pub type Pair = (IVec, IVec);

/// Keys to write together: a value to store, or `None` to remove the key.
pub type Writes = Vec<(Vec<u8>, Option<Vec<u8>>)>;

/// Pairs in key order.
pub type Pairs = Box<dyn Iterator<Item = Result<Pair, sled::Error>> + Send>;

/// An open store of ordered keys.
pub trait Engine: Send + Sync {
    /// The pairs with keys from `from` to `to`, both included, in key order.
    fn range(&self, from: &[u8], to: &[u8]) -> Pairs;
    /// The pair with the greatest key at or below `key`.
    fn floor(&self, key: &[u8]) -> Result<Option<Pair>, sled::Error>;
    /// Every pair, in key order.
    fn all(&self) -> Pairs;
    fn first(&self) -> Result<Option<Pair>, sled::Error>;
    fn last(&self) -> Result<Option<Pair>, sled::Error>;
    /// Writes every pair or none (also after a crash). Not durable before [`Engine::flush`].
    fn write(&self, pairs: Writes) -> Result<(), sled::Error>;
    /// Makes everything written so far durable.
    fn flush(&self) -> Result<(), sled::Error>;
}

/// Where a log's engine comes from, and whether the disk under it takes writes.
pub trait Storage: Send + Sync {
    /// The data directory, for messages.
    fn path(&self) -> &Path;
    /// Opens the engine over what is durable. Fails while another engine of this storage is still open.
    fn open(&self) -> Result<Arc<dyn Engine>, sled::Error>;
    /// Whether a write would go through now: enough free space (see [`Storage::free_space`]) and a disk that takes
    /// and syncs a small file.
    fn probe(&self) -> Result<(), std::io::Error>;
    /// The bytes free for the store, where the platform says; `None` where it cannot.
    fn free_space(&self) -> Option<u64>;
    /// Lets go of a spent engine (one whose write failed) without flushing it, so that [`Storage::open`] can
    /// open the store again. The caller holds the last reference.
    fn abandon(&self, engine: Arc<dyn Engine>);
    /// Records, durably, that a write failed with the log acknowledged up to `head` (position and digest): until
    /// [`Storage::clear_failed_write`], whatever lies past it on disk is the remains of a write nobody was told was
    /// stored. A process killed before it could clean up leaves the record for the next open.
    fn mark_failed_write(&self, head: (u64, Digest)) -> std::io::Result<()>;
    /// The record of [`Storage::mark_failed_write`], if one is pending.
    fn failed_write(&self) -> std::io::Result<Option<(u64, Digest)>>;
    fn clear_failed_write(&self) -> std::io::Result<()>;
}

/// sled's page cache. Its default of 1 GiB filled up with the pages of every start's scan of the log, which are
/// not read again: appends touch only the tree's last pages, and the duplicate check reads an event or two.
const CACHE_BYTES: u64 = 64 * 1024 * 1024;

/// The file that records a failed write: created with the store and always 64 bytes, so that recording one
/// overwrites blocks the file already has and needs no free space.
const MARKER: &str = "failed-write";
const MARKER_MAGIC: &[u8; 16] = b"wartezeit-fail\x00\x01";

fn marker_bytes(pending: Option<(u64, Digest)>) -> [u8; 64] {
    let mut bytes = [0u8; 64];
    bytes[..16].copy_from_slice(MARKER_MAGIC);
    if let Some((position, digest)) = pending {
        bytes[16..24].copy_from_slice(&1u64.to_be_bytes());
        bytes[24..32].copy_from_slice(&position.to_be_bytes());
        bytes[32..].copy_from_slice(&digest);
    }
    bytes
}

/// The file that records the stored format of a data directory: one line, `wartezeit store format N`. Written when
/// the store is made (and, for a store made before it was recorded, on its first open), never changed after.
pub const FORMAT_FILE: &str = "store-format";

/// What a data directory holds, as far as its files tell before the storage engine opens it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// No store: the directory is missing, or holds no database file.
    Nothing,
    /// A database without a recorded format: made by a version from before the format was recorded.
    Unrecorded,
    /// A store of this format.
    Format(u32),
}

/// Reads what `dir` holds. A format file that is not one line `wartezeit store format N` is an error naming it.
pub fn found_in(dir: &Path) -> std::io::Result<Found> {
    match std::fs::read_to_string(dir.join(FORMAT_FILE)) {
        Ok(text) => {
            let number = text.trim().strip_prefix("wartezeit store format ").and_then(|n| n.parse().ok());
            number.map(Found::Format).ok_or_else(|| {
                let shown: String = text.chars().take(60).collect();
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{FORMAT_FILE} holds {shown:?}, not a line `wartezeit store format N`"),
                )
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Ok(if dir.join("db").is_file() { Found::Unrecorded } else { Found::Nothing })
        }
        Err(e) => Err(e),
    }
}

/// Records `format` as the stored format of `dir`, durably: written beside, synced, renamed into place, the
/// directory synced.
pub fn record_format(dir: &Path, format: u32) -> std::io::Result<()> {
    let fresh = dir.join(format!("{FORMAT_FILE}.new"));
    std::fs::write(&fresh, format!("wartezeit store format {format}\n"))?;
    sync_file(&fresh)?;
    std::fs::rename(&fresh, dir.join(FORMAT_FILE))?;
    std::fs::File::open(dir)?.sync_all()
}

/// sled in a data directory.
pub struct SledStorage {
    path: PathBuf,
}

impl SledStorage {
    pub fn new(path: &Path) -> SledStorage {
        SledStorage { path: path.to_path_buf() }
    }
}

/// A file name sled writes a snapshot to before renaming it into place: a leftover is an interrupted snapshot.
fn is_unfinished_snapshot(name: &str) -> bool {
    name.starts_with("snap.") && name.ends_with(".generating")
}

/// Removes the leftovers of interrupted sled snapshots from `dir`, one log line each, and returns what it removed
/// (name and size). sled picks the newest `snap.*` file by name, and `snap.X.generating` sorts after `snap.X`: an
/// empty or torn one would be read as the store's snapshot and make every open fail. A finished snapshot is always
/// renamed, so such a file is never needed; without it sled starts from the previous snapshot and its log.
pub fn clear_unfinished_snapshots(dir: &Path) -> std::io::Result<Vec<(String, u64)>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut removed = Vec::new();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !is_unfinished_snapshot(&name) {
            continue;
        }
        let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
        std::fs::remove_file(entry.path())?;
        tracing::warn!(file = %name, bytes = size, "removed the leftover of an interrupted storage snapshot");
        removed.push((name, size));
    }
    Ok(removed)
}

impl Storage for SledStorage {
    fn path(&self) -> &Path {
        &self.path
    }

    fn open(&self) -> Result<Arc<dyn Engine>, sled::Error> {
        clear_unfinished_snapshots(&self.path)?;
        let marker = self.path.join(MARKER);
        if !marker.exists() {
            std::fs::create_dir_all(&self.path)?;
            write_synced(&marker, &marker_bytes(None))?;
        }
        // No background flusher: every round is flushed by the writer before it is answered, and a flusher
        // thread would keep touching an engine after it failed.
        let db = sled::Config::new().path(&self.path).flush_every_ms(None).cache_capacity(CACHE_BYTES).open()?;
        let tree = db.open_tree(super::TREE)?;
        // What this engine reads was read from the files; sync them, so that it is durable before anything read
        // here is confirmed to a client (a write that failed may have left its bytes written but not synced).
        sync_file(&self.path.join("db"))?;
        Ok(Arc::new(Sled { db, tree }))
    }

    fn probe(&self) -> Result<(), std::io::Error> {
        let probe = self.path.join("write-probe");
        let written = (|| {
            let mut file = std::fs::File::create(&probe)?;
            std::io::Write::write_all(&mut file, &[0u8; 4096])?;
            file.sync_all()
        })();
        let _ = std::fs::remove_file(&probe);
        written
    }

    fn free_space(&self) -> Option<u64> {
        fs2::available_space(&self.path).ok()
    }

    fn mark_failed_write(&self, head: (u64, Digest)) -> std::io::Result<()> {
        write_synced(&self.path.join(MARKER), &marker_bytes(Some(head)))
    }

    fn failed_write(&self) -> std::io::Result<Option<(u64, Digest)>> {
        let bytes = match std::fs::read(self.path.join(MARKER)) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let pending = bytes.len() == 64 && bytes[..16] == MARKER_MAGIC[..] && bytes[16..24] == 1u64.to_be_bytes();
        if !pending {
            return Ok(None);
        }
        let position = u64::from_be_bytes(bytes[24..32].try_into().expect("8 bytes"));
        Ok(Some((position, bytes[32..].try_into().expect("32 bytes"))))
    }

    fn clear_failed_write(&self) -> std::io::Result<()> {
        write_synced(&self.path.join(MARKER), &marker_bytes(None))
    }

    /// sled cannot be closed after a failed write: dropping the last handle flushes, and after some failures
    /// (a node written out as a blob file that did not fit) that flush waits forever for a write that will never
    /// come, holding a lock sled shares between all its databases in the process. So the spent engine is leaked
    /// instead (its memory is not returned until the process ends), and its file descriptor for the database
    /// file is pointed at `/dev/null`, which releases sled's lock on the file without ever letting the
    /// descriptor's number be reused for another file.
    fn abandon(&self, engine: Arc<dyn Engine>) {
        std::mem::forget(engine);
        let db = self.path.join("db");
        let db = std::fs::canonicalize(&db).unwrap_or(db);
        let Ok(null) = std::fs::OpenOptions::new().read(true).write(true).open("/dev/null") else { return };
        for fd in open_descriptors_of(&db) {
            use std::os::fd::AsRawFd as _;
            // SAFETY: `fd` is an open descriptor of this process (listed in /proc/self/fd) that only the leaked
            // engine uses; dup2 atomically replaces what it refers to, so the number stays valid and taken.
            let replaced = unsafe { libc::dup2(null.as_raw_fd(), fd) };
            if replaced < 0 {
                tracing::warn!(fd, error = %std::io::Error::last_os_error(), "cannot release the failed engine's file");
            }
        }
    }
}

/// The file descriptors of this process open on `path` (Linux: read from `/proc/self/fd`).
fn open_descriptors_of(path: &Path) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc/self/fd") else { return Vec::new() };
    entries
        .filter_map(Result::ok)
        .filter(|entry| std::fs::read_link(entry.path()).is_ok_and(|target| target == path))
        .filter_map(|entry| entry.file_name().to_str()?.parse().ok())
        .collect()
}

/// Writes `bytes` over the start of the file at `path` (creating it) and syncs it.
fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(false).open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

fn sync_file(path: &Path) -> std::io::Result<()> {
    match std::fs::File::open(path) {
        Ok(file) => file.sync_all(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// An open sled database and the log's tree in it.
struct Sled {
    db: sled::Db,
    tree: sled::Tree,
}

impl Engine for Sled {
    fn range(&self, from: &[u8], to: &[u8]) -> Pairs {
        Box::new(self.tree.range(from..=to))
    }

    fn floor(&self, key: &[u8]) -> Result<Option<Pair>, sled::Error> {
        self.tree.range(..=key).next_back().transpose()
    }

    fn all(&self) -> Pairs {
        Box::new(self.tree.iter())
    }

    fn first(&self) -> Result<Option<Pair>, sled::Error> {
        self.tree.first()
    }

    fn last(&self) -> Result<Option<Pair>, sled::Error> {
        self.tree.last()
    }

    fn write(&self, pairs: Writes) -> Result<(), sled::Error> {
        let mut batch = sled::Batch::default();
        for (key, value) in pairs {
            match value {
                Some(value) => batch.insert(key, value),
                None => batch.remove(key),
            }
        }
        self.tree.apply_batch(batch)
    }

    fn flush(&self) -> Result<(), sled::Error> {
        self.db.flush().map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unfinished_snapshots_are_cleared() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        for name in ["snap.00000000000A1B2C.generating", "snap.00000000000A1B2C", "db", "conf"] {
            std::fs::write(dir.path().join(name), b"").expect("writes");
        }
        let removed = clear_unfinished_snapshots(dir.path()).expect("clears");
        assert_eq!(removed, [("snap.00000000000A1B2C.generating".to_string(), 0)]);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .expect("lists")
            .map(|e| e.expect("an entry").file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["conf", "db", "snap.00000000000A1B2C"]);
    }
}
