//! A storage that fails on purpose: the fault-injection harness the log's tests run against.
//!
//! [`Disk`] models what the log needs to know of a disk under an engine like sled: writes land in the engine's
//! memory first (and readers of the engine see them at once), a flush makes them durable, and a failed write
//! leaves the engine spent until it is opened again. Faults: no space after N bytes, EIO on the next write or
//! flush, a disk that fails every write until repaired, a filesystem that turns read-only. A crash (or a reopen
//! after a failure) keeps what was flushed and a random prefix of what was written but not flushed, each write
//! whole or not at all: the torn writes of a process killed before its data was synced.
//!
//! The tests below drive the real [`Log`] (writer, rule book, index, recovery) over it with random schedules.

use std::collections::BTreeMap;
use std::io::{Error as IoError, ErrorKind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sled::IVec;

use super::engine::{Engine, Pair, Pairs, Storage, Writes};

/// The disk, shared by every engine opened on it.
pub(super) struct Disk {
    durable: BTreeMap<Vec<u8>, IVec>,
    /// Written into the open engine but not flushed, one entry per write, in order.
    volatile: Vec<Writes>,
    /// How many bytes (keys and values) the durable state may hold.
    pub capacity: u64,
    pub read_only: bool,
    /// Every write, flush and probe fails with EIO while set.
    pub failing: bool,
    /// The next this many writes, or flushes, fail with EIO.
    pub fail_writes: u32,
    pub fail_flushes: u32,
    /// Handles of an older generation are of a closed or crashed engine.
    generation: u64,
    /// The open engine failed (sled's "global error"): it refuses every write until the store is reopened.
    broken: bool,
    /// The engine now open, as the file lock knows it.
    open: Weak<FaultyEngine>,
    /// The failed-write record (written in place: it survives everything).
    marker: Option<(u64, super::codec::Digest)>,
    /// How many of the unflushed writes a failure caught: those may reach the disk torn, any part of their keys
    /// without the rest (as sled's do when it runs out of space); the others land whole or not at all.
    torn: usize,
    rng: ChaCha8Rng,
}

impl Disk {
    pub(super) fn new(seed: u64) -> Arc<Mutex<Disk>> {
        Arc::new(Mutex::new(Disk {
            durable: BTreeMap::new(),
            volatile: Vec::new(),
            capacity: u64::MAX,
            read_only: false,
            failing: false,
            fail_writes: 0,
            fail_flushes: 0,
            generation: 0,
            broken: false,
            open: Weak::new(),
            marker: None,
            torn: 0,
            rng: ChaCha8Rng::seed_from_u64(seed),
        }))
    }

    /// The bytes the durable state holds.
    pub(super) fn used(&self) -> u64 {
        self.durable.iter().map(|(k, v)| (k.len() + v.len()) as u64).sum()
    }

    /// The bytes the durable state would hold with `writes` applied.
    fn used_with(&self, writes: &[Writes]) -> u64 {
        let mut sizes: BTreeMap<&[u8], usize> = self.durable.iter().map(|(k, v)| (&k[..], v.len())).collect();
        for (key, value) in writes.iter().flatten() {
            match value {
                Some(value) => sizes.insert(key, value.len()),
                None => sizes.remove(&key[..]),
            };
        }
        sizes.iter().map(|(k, v)| (k.len() + v) as u64).sum()
    }

    /// The last durable position: what a reader may have been shown at most.
    pub(super) fn durable_head(&self) -> u64 {
        let Some((key, value)) = self.durable.iter().next_back() else { return 0 };
        let first = super::position_of_key(key).expect("a chunk key");
        first + super::codec::chunk_entries(value).expect("a chunk").count() as u64 - 1
    }

    /// A kill: the open engine is gone without flushing, and a random prefix of its unflushed writes reached the
    /// disk, each whole or not at all.
    pub(super) fn crash(&mut self) {
        self.generation += 1;
        self.broken = false;
        self.settle();
    }

    /// What the disk keeps of the unflushed writes: a random prefix of them that fits; a write caught by a
    /// failure may land torn.
    fn settle(&mut self) {
        let volatile = std::mem::take(&mut self.volatile);
        let torn = std::mem::take(&mut self.torn);
        for (i, write) in volatile.into_iter().enumerate() {
            let write: Writes = if i < torn {
                write.into_iter().filter(|_| self.rng.random_bool(0.5)).collect()
            } else if self.rng.random_bool(0.5) {
                write
            } else {
                break;
            };
            if self.used_with(std::slice::from_ref(&write)) > self.capacity {
                break;
            }
            apply(&mut self.durable, write);
        }
    }

    fn io(kind: ErrorKind, what: &str) -> sled::Error {
        sled::Error::Io(IoError::new(kind, what.to_owned()))
    }

    /// The error a write or flush meets now, if any; it leaves the engine broken.
    fn fault(&mut self, flush: bool) -> Option<sled::Error> {
        let error = if self.broken {
            Some(Disk::io(ErrorKind::Other, "an earlier write failed"))
        } else if self.read_only {
            Some(Disk::io(ErrorKind::ReadOnlyFilesystem, "Read-only file system (os error 30)"))
        } else if self.failing {
            Some(Disk::io(ErrorKind::Other, "Input/output error (os error 5)"))
        } else if !flush && self.fail_writes > 0 {
            self.fail_writes -= 1;
            Some(Disk::io(ErrorKind::Other, "Input/output error (os error 5)"))
        } else if flush && self.fail_flushes > 0 {
            self.fail_flushes -= 1;
            Some(Disk::io(ErrorKind::Other, "Input/output error (os error 5)"))
        } else if flush && self.used_with(&self.volatile) > self.capacity {
            Some(Disk::io(ErrorKind::StorageFull, "No space left on device (os error 28)"))
        } else {
            None
        };
        if error.is_some() {
            self.broken = true;
            self.torn = self.volatile.len();
        }
        error
    }
}

fn apply(map: &mut BTreeMap<Vec<u8>, IVec>, writes: Writes) {
    for (key, value) in writes {
        match value {
            Some(value) => map.insert(key, value.into()),
            None => map.remove(&key),
        };
    }
}

/// An engine open on a [`Disk`]: its own view (the disk as opened, plus every write since, flushed or not).
pub(super) struct FaultyEngine {
    disk: Arc<Mutex<Disk>>,
    generation: u64,
    view: Mutex<BTreeMap<Vec<u8>, IVec>>,
}

impl FaultyEngine {
    fn disk(&self) -> Result<std::sync::MutexGuard<'_, Disk>, sled::Error> {
        let disk = self.disk.lock().unwrap_or_else(|e| e.into_inner());
        if disk.generation != self.generation {
            return Err(Disk::io(ErrorKind::Other, "the engine was closed"));
        }
        Ok(disk)
    }

    fn pairs(&self, from: &[u8], to: &[u8]) -> Vec<Pair> {
        let view = self.view.lock().unwrap_or_else(|e| e.into_inner());
        view.range(from.to_vec()..=to.to_vec()).map(|(k, v)| (IVec::from(&k[..]), v.clone())).collect()
    }
}

impl Engine for FaultyEngine {
    fn range(&self, from: &[u8], to: &[u8]) -> Pairs {
        Box::new(self.pairs(from, to).into_iter().map(Ok))
    }

    fn floor(&self, key: &[u8]) -> Result<Option<Pair>, sled::Error> {
        let view = self.view.lock().unwrap_or_else(|e| e.into_inner());
        Ok(view.range(..=key.to_vec()).next_back().map(|(k, v)| (IVec::from(&k[..]), v.clone())))
    }

    fn all(&self) -> Pairs {
        self.range(&[], &[0xff; 16])
    }

    fn first(&self) -> Result<Option<Pair>, sled::Error> {
        self.all().next().transpose()
    }

    fn last(&self) -> Result<Option<Pair>, sled::Error> {
        Ok(self.pairs(&[], &[0xff; 16]).pop())
    }

    fn write(&self, pairs: Writes) -> Result<(), sled::Error> {
        let mut disk = self.disk()?;
        if let Some(error) = disk.fault(false) {
            return Err(error);
        }
        apply(&mut self.view.lock().unwrap_or_else(|e| e.into_inner()), pairs.clone());
        disk.volatile.push(pairs);
        Ok(())
    }

    fn flush(&self) -> Result<(), sled::Error> {
        let mut disk = self.disk()?;
        if let Some(error) = disk.fault(true) {
            return Err(error);
        }
        for write in std::mem::take(&mut disk.volatile) {
            apply(&mut disk.durable, write);
        }
        Ok(())
    }
}

/// The [`Storage`] over a [`Disk`].
pub(super) struct FaultyStorage {
    pub disk: Arc<Mutex<Disk>>,
    path: PathBuf,
}

impl FaultyStorage {
    pub(super) fn new(disk: &Arc<Mutex<Disk>>) -> FaultyStorage {
        FaultyStorage { disk: Arc::clone(disk), path: PathBuf::from("faulty-disk") }
    }
}

impl Storage for FaultyStorage {
    fn path(&self) -> &Path {
        &self.path
    }

    fn open(&self) -> Result<Arc<dyn Engine>, sled::Error> {
        let mut disk = self.disk.lock().unwrap_or_else(|e| e.into_inner());
        if disk.open.upgrade().is_some() {
            return Err(Disk::io(ErrorKind::WouldBlock, "could not acquire lock"));
        }
        if disk.read_only {
            return Err(Disk::io(ErrorKind::ReadOnlyFilesystem, "Read-only file system (os error 30)"));
        }
        if disk.failing {
            return Err(Disk::io(ErrorKind::Other, "Input/output error (os error 5)"));
        }
        disk.settle();
        disk.generation += 1;
        disk.broken = false;
        let engine = Arc::new(FaultyEngine {
            disk: Arc::clone(&self.disk),
            generation: disk.generation,
            view: Mutex::new(disk.durable.clone()),
        });
        disk.open = Arc::downgrade(&engine);
        Ok(engine)
    }

    fn probe(&self) -> Result<(), IoError> {
        let disk = self.disk.lock().unwrap_or_else(|e| e.into_inner());
        if disk.read_only {
            return Err(IoError::new(ErrorKind::ReadOnlyFilesystem, "Read-only file system (os error 30)"));
        }
        if disk.failing {
            return Err(IoError::other("Input/output error (os error 5)"));
        }
        if disk.capacity.saturating_sub(disk.used()) < 4096 {
            return Err(IoError::new(ErrorKind::StorageFull, "No space left on device (os error 28)"));
        }
        Ok(())
    }

    fn free_space(&self) -> Option<u64> {
        let disk = self.disk.lock().unwrap_or_else(|e| e.into_inner());
        Some(disk.capacity.saturating_sub(disk.used()))
    }

    fn abandon(&self, engine: Arc<dyn Engine>) {
        drop(engine);
    }

    fn mark_failed_write(&self, head: (u64, super::codec::Digest)) -> Result<(), IoError> {
        self.disk.lock().unwrap_or_else(|e| e.into_inner()).marker = Some(head);
        Ok(())
    }

    fn failed_write(&self) -> Result<Option<(u64, super::codec::Digest)>, IoError> {
        Ok(self.disk.lock().unwrap_or_else(|e| e.into_inner()).marker)
    }

    fn clear_failed_write(&self) -> Result<(), IoError> {
        self.disk.lock().unwrap_or_else(|e| e.into_inner()).marker = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
