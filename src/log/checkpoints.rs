//! Checkpoints of the projection, kept in the data directory under `checkpoints/`: a body the log does not read
//! (the projection's, see [`crate::projection::checkpoint`]) framed with the log position and digest it was made at
//! and a checksum, so that a reader trusts a checkpoint only where it is whole and belongs to this log.
//!
//! One file per checkpoint, `checkpoints/<position, 20 digits>.ckpt` (integers little-endian):
//!
//! | bytes | field |
//! | --- | --- |
//! | 8 | magic `WZCKPT\r\n` |
//! | 4 | frame format, [`FRAME_FORMAT`] |
//! | 8 | log position the body was made at |
//! | 32 | digest of the entry at that position (32 zero bytes at position 0) |
//! | n | body |
//! | 32 | SHA-256 of everything before |
//!
//! A checkpoint is written to `.<name>.partial`, synced, renamed into place and the directory synced: a process
//! killed while writing leaves the older checkpoints as they were and at most a partial file, which no reader
//! looks at and the next write removes. A checkpoint is a cache of the log: removing any or all of them loses
//! nothing; the projection is then folded from the log.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use crate::log::codec::Digest;

/// The frame layout this version writes and reads; another is ignored (and the projection folded from the log).
pub const FRAME_FORMAT: u32 = 1;

/// The subdirectory of the data directory that holds the checkpoints.
pub const DIR: &str = "checkpoints";
/// The subdirectory of [`DIR`] that holds the rule state's checkpoints.
pub const RULES_DIR: &str = "rules";

const MAGIC: &[u8; 8] = b"WZCKPT\r\n";
const HEADER: usize = 8 + 4 + 8 + 32;
const TRAILER: usize = 32;
const SUFFIX: &str = ".ckpt";
const PARTIAL: &str = ".partial";

/// A checkpoint file, by the position its name gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub position: u64,
    pub path: PathBuf,
    pub bytes: u64,
}

/// A checkpoint's frame, checked: whole, of this format, named for the position it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub position: u64,
    pub digest: Digest,
    /// The whole file; the body is `bytes[HEADER..len - TRAILER]` (kept in place: a body is tens of megabytes).
    bytes: Vec<u8>,
}

impl Frame {
    /// The body the checkpoint carries.
    pub fn body(&self) -> &[u8] {
        &self.bytes[HEADER..self.bytes.len() - TRAILER]
    }
}

/// Why a checkpoint cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum Unusable {
    #[error("cannot be read: {0}")]
    Io(#[from] io::Error),
    #[error("is not a checkpoint (no checkpoint header)")]
    NotACheckpoint,
    #[error("is of checkpoint format {found}; this version reads format {FRAME_FORMAT}")]
    Format { found: u32 },
    #[error("is damaged: its checksum does not match its bytes")]
    Checksum,
    #[error("is named for position {named} but was made at position {found}")]
    Misnamed { named: u64, found: u64 },
    #[error("was made at position {position}, past the log's head {head}")]
    PastHead { position: u64, head: u64 },
    #[error("does not belong to this log: its digest at position {position} is not the log's")]
    NotInChain { position: u64 },
    /// The body, as its reader found it (phrased like the others: "is …", "cannot be …").
    #[error("{0}")]
    Body(String),
}

/// The checkpoints of one data directory.
#[derive(Debug, Clone)]
pub struct Checkpoints {
    dir: PathBuf,
}

impl Checkpoints {
    /// The checkpoints of the data directory `data_dir` (none while its `checkpoints/` does not exist).
    pub fn in_dir(data_dir: &Path) -> Checkpoints {
        Checkpoints { dir: data_dir.join(DIR) }
    }

    /// The rule-state checkpoints of the data directory `data_dir`, kept apart in `checkpoints/rules/`.
    pub fn of_rules(data_dir: &Path) -> Checkpoints {
        Checkpoints { dir: data_dir.join(DIR).join(RULES_DIR) }
    }

    /// The directory they are kept in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The checkpoint files, newest (highest position) first. Partial files and other names are not listed.
    pub fn list(&self) -> io::Result<Vec<Stored>> {
        let mut found = Vec::new();
        for entry in self.entries()? {
            let name = entry.file_name();
            let Some(position) = name.to_str().and_then(position_of_name) else { continue };
            let bytes = entry.metadata().map(|m| m.len()).unwrap_or(0);
            found.push(Stored { position, path: entry.path(), bytes });
        }
        found.sort_by_key(|s| std::cmp::Reverse(s.position));
        Ok(found)
    }

    /// Reads a checkpoint and checks its frame: magic, format, checksum, and the position its name gives.
    pub fn read(&self, stored: &Stored) -> Result<Frame, Unusable> {
        read_at(&stored.path, stored.position)
    }

    /// Writes the checkpoint made at `position` (whose entry has `digest`), its body written by `body`, and
    /// returns it once it is durable under its name. A checkpoint at the same position is replaced. On an error
    /// the partial file is removed and the checkpoints are as they were.
    pub fn write(
        &self,
        position: u64,
        digest: &Digest,
        body: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> io::Result<Stored> {
        std::fs::create_dir_all(&self.dir)?;
        self.remove_partial()?;
        let name = name_of(position);
        let path = self.dir.join(&name);
        let partial = self.dir.join(format!(".{name}{PARTIAL}"));
        let written = write_frame(&partial, position, digest, body);
        let bytes = match written {
            Ok(bytes) => bytes,
            Err(e) => {
                let _ = std::fs::remove_file(&partial);
                return Err(e);
            }
        };
        std::fs::rename(&partial, &path)?;
        std::fs::File::open(&self.dir)?.sync_all()?;
        Ok(Stored { position, path, bytes })
    }

    /// Removes all but the `keep` newest checkpoints; returns those removed.
    pub fn prune(&self, keep: usize) -> io::Result<Vec<Stored>> {
        let old: Vec<Stored> = self.list()?.into_iter().skip(keep).collect();
        for stored in &old {
            std::fs::remove_file(&stored.path)?;
        }
        Ok(old)
    }

    /// Removes what an interrupted write left (partial files); returns their names and sizes.
    pub fn remove_partial(&self) -> io::Result<Vec<(String, u64)>> {
        let mut removed = Vec::new();
        for entry in self.entries()? {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') && name.ends_with(PARTIAL) {
                let bytes = entry.metadata().map(|m| m.len()).unwrap_or(0);
                std::fs::remove_file(entry.path())?;
                removed.push((name, bytes));
            }
        }
        Ok(removed)
    }
}

/// Reads the checkpoint file at `path`, named for `position`, and checks its frame.
pub(crate) fn read_at(path: &Path, position: u64) -> Result<Frame, Unusable> {
    let mut file = std::fs::File::open(path)?;
    let mut bytes = Vec::with_capacity(file.metadata().map_or(0, |m| m.len() as usize));
    file.read_to_end(&mut bytes)?;
    let frame = parse(bytes)?;
    if frame.position != position {
        return Err(Unusable::Misnamed { named: position, found: frame.position });
    }
    Ok(frame)
}

impl Checkpoints {
    /// What the directory holds (nothing while it does not exist).
    fn entries(&self) -> io::Result<Vec<std::fs::DirEntry>> {
        match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries.collect(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }
}

/// `frame` if it was made at a position up to `head` whose digest in the log, as `digest_at` reads it, is the
/// frame's.
pub(crate) fn in_chain(
    frame: Frame,
    head: u64,
    digest_at: impl FnOnce(u64) -> Result<Digest, String>,
) -> Result<Frame, Unusable> {
    if frame.position > head {
        return Err(Unusable::PastHead { position: frame.position, head });
    }
    let digest = match frame.position {
        0 => [0; 32],
        position => digest_at(position).map_err(|e| Unusable::Io(io::Error::other(e)))?,
    };
    if digest == frame.digest { Ok(frame) } else { Err(Unusable::NotInChain { position: frame.position }) }
}

/// The file name of the checkpoint at `position`.
fn name_of(position: u64) -> String {
    format!("{position:020}{SUFFIX}")
}

fn position_of_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(SUFFIX)?;
    (digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit())).then(|| digits.parse().ok())?
}

/// Checks and splits a checkpoint's bytes.
pub fn parse(bytes: Vec<u8>) -> Result<Frame, Unusable> {
    if bytes.len() < 12 || &bytes[..8] != MAGIC {
        return Err(Unusable::NotACheckpoint);
    }
    let format = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    if format != FRAME_FORMAT {
        return Err(Unusable::Format { found: format });
    }
    if bytes.len() < HEADER + TRAILER {
        return Err(Unusable::Checksum);
    }
    let (covered, checksum) = bytes.split_at(bytes.len() - TRAILER);
    if Sha256::digest(covered).as_slice() != checksum {
        return Err(Unusable::Checksum);
    }
    let position = u64::from_le_bytes(covered[12..20].try_into().expect("8 bytes"));
    let digest: Digest = covered[20..52].try_into().expect("32 bytes");
    Ok(Frame { position, digest, bytes })
}

/// Writes header, body and checksum to a new file at `path` and syncs it; returns its length.
fn write_frame(
    path: &Path,
    position: u64,
    digest: &Digest,
    body: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<u64> {
    let file = std::fs::OpenOptions::new().write(true).create_new(true).open(path)?;
    let mut out = Hashing { inner: io::BufWriter::with_capacity(1 << 20, file), hasher: Sha256::new(), bytes: 0 };
    out.write_all(MAGIC)?;
    out.write_all(&FRAME_FORMAT.to_le_bytes())?;
    out.write_all(&position.to_le_bytes())?;
    out.write_all(digest)?;
    body(&mut out)?;
    let checksum = out.hasher.finalize();
    let mut inner = out.inner;
    inner.write_all(&checksum)?;
    let file = inner.into_inner().map_err(io::IntoInnerError::into_error)?;
    file.sync_all()?;
    Ok(out.bytes + TRAILER as u64)
}

/// A writer that hashes what passes through it.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(dir: &Path, position: u64, body: &[u8]) -> Stored {
        let checkpoints = Checkpoints::in_dir(dir);
        checkpoints.write(position, &[7; 32], |out| out.write_all(body)).expect("writes")
    }

    #[test]
    fn a_checkpoint_reads_back_as_written_and_lists_newest_first() {
        let dir = tempfile::tempdir().expect("temp dir");
        written(dir.path(), 5, b"five");
        let stored = written(dir.path(), 12, b"twelve");
        let checkpoints = Checkpoints::in_dir(dir.path());
        let listed = checkpoints.list().expect("lists");
        assert_eq!(listed.iter().map(|s| s.position).collect::<Vec<_>>(), [12, 5]);
        assert_eq!(listed[0], stored);
        let frame = checkpoints.read(&listed[0]).expect("reads");
        assert_eq!((frame.position, frame.digest, frame.body()), (12, [7; 32], &b"twelve"[..]));
        assert_eq!(checkpoints.prune(1).expect("prunes").len(), 1);
        assert_eq!(checkpoints.list().expect("lists").len(), 1);
    }

    #[test]
    fn every_flipped_bit_and_every_cut_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let stored = written(dir.path(), 3, b"some body");
        let bytes = std::fs::read(&stored.path).expect("reads");
        for at in 0..bytes.len() {
            for bit in 0..8 {
                let mut flipped = bytes.clone();
                flipped[at] ^= 1 << bit;
                assert!(parse(flipped).is_err(), "bit {bit} of byte {at} flipped went unnoticed");
            }
            assert!(parse(bytes[..at].to_vec()).is_err(), "cut at {at} went unnoticed");
        }
    }

    #[test]
    fn a_failed_write_leaves_nothing_and_a_leftover_partial_file_is_not_listed() {
        let dir = tempfile::tempdir().expect("temp dir");
        written(dir.path(), 3, b"kept");
        let checkpoints = Checkpoints::in_dir(dir.path());
        let failed = checkpoints.write(9, &[0; 32], |out| {
            out.write_all(b"half")?;
            Err(io::Error::other("disk full"))
        });
        assert!(failed.is_err());
        assert_eq!(checkpoints.list().expect("lists").iter().map(|s| s.position).collect::<Vec<_>>(), [3]);
        assert_eq!(std::fs::read_dir(checkpoints.dir()).expect("reads").count(), 1, "the partial file was removed");
        std::fs::write(checkpoints.dir().join(".00000000000000000010.ckpt.partial"), b"WZCKPT").expect("writes");
        assert_eq!(checkpoints.list().expect("lists").len(), 1);
        assert_eq!(checkpoints.remove_partial().expect("removes").len(), 1);
    }

    #[test]
    fn a_checkpoint_renamed_to_another_position_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let stored = written(dir.path(), 3, b"body");
        let moved = stored.path.with_file_name(name_of(4));
        std::fs::rename(&stored.path, &moved).expect("renames");
        let checkpoints = Checkpoints::in_dir(dir.path());
        let listed = checkpoints.list().expect("lists");
        assert!(matches!(checkpoints.read(&listed[0]), Err(Unusable::Misnamed { named: 4, found: 3 })));
    }
}
