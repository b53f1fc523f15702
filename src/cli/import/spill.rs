//! Records sorted beyond memory, for `import-appointments`. An export's rows come in any order, yet each
//! appointment's rows must come together (to make its history) and its events in time order (to be checked and
//! appended as the log takes them). A [`Sorter`] holds up to `capacity` records; when full it sorts them and
//! writes them as a run to a temporary file. [`Sorted`] merges the runs, as often as it is read. What is held in
//! memory is one run being filled, or one record per run being merged, whatever the length of the export.
//!
//! The run files live in a temporary directory (the system's, or `--temp-dir`) that is removed with the
//! [`Sorted`]; each record is its length (4 bytes, little-endian) and its bytes.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read as _, Write as _};
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::domain::event::{Channel, Event, Instant};
use crate::domain::id::{AppointmentId, EventId, OfficeId, ServiceId};
use crate::domain::time::instant_parts;
use crate::mapping::{self, Origin, Stage, Version};

/// A record a [`Sorter`] can write to a run and read back.
pub(crate) trait Record: Sized + Clone {
    type Key: Ord;
    /// The order of the sort; records with equal keys come in no particular order.
    fn key(&self) -> Self::Key;
    fn encode(&self, out: &mut Vec<u8>);
    fn decode(bytes: &[u8]) -> anyhow::Result<Self>;
}

/// Records going in, sorted runs going to disk.
pub(crate) struct Sorter<T> {
    buffer: Vec<T>,
    capacity: usize,
    parent: Option<PathBuf>,
    dir: Option<tempfile::TempDir>,
    runs: Vec<PathBuf>,
    len: u64,
}

impl<T: Record> Sorter<T> {
    /// A sorter that holds at most `capacity` records (at least one) and writes its runs under `parent` (default:
    /// the system's temporary directory).
    pub(crate) fn new(capacity: usize, parent: Option<&Path>) -> Self {
        Sorter {
            buffer: Vec::new(),
            capacity: capacity.max(1),
            parent: parent.map(Path::to_path_buf),
            dir: None,
            runs: Vec::new(),
            len: 0,
        }
    }

    pub(crate) fn push(&mut self, record: T) -> anyhow::Result<()> {
        self.buffer.push(record);
        self.len += 1;
        if self.buffer.len() >= self.capacity { self.spill() } else { Ok(()) }
    }

    /// Sorts what is held and writes it as a run.
    fn spill(&mut self) -> anyhow::Result<()> {
        let dir = match &mut self.dir {
            Some(dir) => dir,
            empty => {
                let builder = tempfile::Builder::new().prefix("wartezeit-import-").to_owned();
                let made = match &self.parent {
                    Some(parent) => builder.tempdir_in(parent),
                    None => builder.tempdir(),
                };
                let shown = self
                    .parent
                    .as_ref()
                    .map_or_else(|| std::env::temp_dir().display().to_string(), |parent| parent.display().to_string());
                empty.insert(made.with_context(|| {
                    format!("cannot make a directory for sorting in {shown}; give --temp-dir DIR with room to write")
                })?)
            }
        };
        self.buffer.sort_by_cached_key(Record::key);
        let path = dir.path().join(format!("run-{}", self.runs.len()));
        let failed = || format!("cannot write {} (sorting the export; --temp-dir names another place)", path.display());
        let mut out = BufWriter::new(File::create(&path).with_context(failed)?);
        let mut bytes = Vec::new();
        for record in self.buffer.drain(..) {
            bytes.clear();
            record.encode(&mut bytes);
            let length = u32::try_from(bytes.len()).context("a record of more than 4 GiB")?;
            out.write_all(&length.to_le_bytes()).and_then(|()| out.write_all(&bytes)).with_context(failed)?;
        }
        // A run lives as long as the import; it needs no durability, only to be read back.
        out.into_inner().map_err(|e| e.into_error()).with_context(failed)?;
        self.runs.push(path);
        Ok(())
    }

    /// Everything pushed, ready to be read in order.
    pub(crate) fn finish(mut self) -> anyhow::Result<Sorted<T>> {
        if self.runs.is_empty() {
            self.buffer.sort_by_cached_key(Record::key);
            return Ok(Sorted { memory: self.buffer, runs: Vec::new(), _dir: None, len: self.len });
        }
        if !self.buffer.is_empty() {
            self.spill()?;
        }
        Ok(Sorted { memory: Vec::new(), runs: self.runs, _dir: self.dir, len: self.len })
    }
}

/// Records in order: held in memory where they fitted into one run, else merged from the runs on every reading.
pub(crate) struct Sorted<T> {
    memory: Vec<T>,
    runs: Vec<PathBuf>,
    /// Removed (with the runs) when the records are.
    _dir: Option<tempfile::TempDir>,
    len: u64,
}

impl<T: Record> Sorted<T> {
    /// How many records.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// How many runs went to disk (0: all were held in memory).
    #[cfg(test)]
    pub(crate) fn runs(&self) -> usize {
        self.runs.len()
    }

    /// The records in order; an error ends the iteration.
    pub(crate) fn iter(&self) -> anyhow::Result<Box<dyn Iterator<Item = anyhow::Result<T>> + '_>> {
        if self.runs.is_empty() {
            return Ok(Box::new(self.memory.iter().cloned().map(Ok)));
        }
        let mut merge = Merge { runs: Vec::new(), heads: Vec::new(), heap: BinaryHeap::new(), failed: false };
        for path in &self.runs {
            let file = File::open(path).with_context(|| format!("cannot read back {}", path.display()))?;
            merge.runs.push(Run { reader: BufReader::with_capacity(1 << 16, file), path, bytes: Vec::new() });
            merge.heads.push(None);
        }
        for run in 0..merge.runs.len() {
            merge.advance(run)?;
        }
        Ok(Box::new(merge))
    }
}

/// One run being read.
struct Run<'a> {
    reader: BufReader<File>,
    path: &'a Path,
    bytes: Vec<u8>,
}

impl Run<'_> {
    /// The next record, or `None` at the run's end.
    fn next<T: Record>(&mut self) -> anyhow::Result<Option<T>> {
        let mut length = [0u8; 4];
        match self.reader.read_exact(&mut length) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot read back {}", self.path.display())),
        }
        self.bytes.resize(u32::from_le_bytes(length) as usize, 0);
        self.reader.read_exact(&mut self.bytes).with_context(|| format!("cannot read back {}", self.path.display()))?;
        T::decode(&self.bytes).map(Some).with_context(|| format!("{} holds a damaged record", self.path.display()))
    }
}

/// The runs merged: the smallest head comes next.
struct Merge<'a, T: Record> {
    runs: Vec<Run<'a>>,
    heads: Vec<Option<T>>,
    heap: BinaryHeap<Reverse<(T::Key, usize)>>,
    failed: bool,
}

impl<T: Record> Merge<'_, T> {
    /// Reads run `run`'s next record into its head.
    fn advance(&mut self, run: usize) -> anyhow::Result<()> {
        if let Some(record) = self.runs[run].next::<T>()? {
            self.heap.push(Reverse((record.key(), run)));
            self.heads[run] = Some(record);
        }
        Ok(())
    }
}

impl<T: Record> Iterator for Merge<'_, T> {
    type Item = anyhow::Result<T>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let Reverse((_, run)) = self.heap.pop()?;
        let record = self.heads[run].take()?;
        if let Err(e) = self.advance(run) {
            self.failed = true;
            return Some(Err(e));
        }
        Some(Ok(record))
    }
}

/// An appointment as one row shows it, sorted so that each appointment's rows come together, in their order.
impl Record for Version {
    type Key = (OfficeId, AppointmentId, mapping::RowOrder);

    fn key(&self) -> Self::Key {
        mapping::grouping_key(self)
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let stored = StoredVersion {
            file: self.file,
            line: self.line,
            appointment: self.appointment.as_str(),
            office: self.office.as_str(),
            service: self.service.as_str(),
            slot: instant_parts(&self.slot),
            booked_at: instant_parts(&self.booked_at),
            stage: self.stage as u8,
            changed_at: self.changed_at.as_ref().map(instant_parts),
            channel: self.channel as u8,
        };
        // Serializing borrowed strings and integers into a Vec cannot fail.
        if let Ok(bytes) = postcard::to_extend(&stored, std::mem::take(out)) {
            *out = bytes;
        }
    }

    fn decode(bytes: &[u8]) -> anyhow::Result<Self> {
        let stored: StoredVersion<'_> = postcard::from_bytes(bytes)?;
        let stage = [Stage::Open, Stage::Cancelled, Stage::Attended, Stage::Missed]
            .get(usize::from(stored.stage))
            .copied()
            .context("an unknown stage")?;
        let channel = [Channel::Online, Channel::Phone, Channel::Counter]
            .get(usize::from(stored.channel))
            .copied()
            .context("an unknown channel")?;
        Ok(Version {
            file: stored.file,
            line: stored.line,
            appointment: AppointmentId::parse(stored.appointment)?,
            office: OfficeId::parse(stored.office)?,
            service: ServiceId::parse(stored.service)?,
            slot: from_instant(stored.slot)?,
            booked_at: from_instant(stored.booked_at)?,
            stage,
            changed_at: stored.changed_at.map(from_instant).transpose()?,
            channel,
        })
    }
}

/// A [`Version`] as a run holds it.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredVersion<'a> {
    file: u32,
    line: u64,
    appointment: &'a str,
    office: &'a str,
    service: &'a str,
    slot: (i64, u32, i32),
    booked_at: (i64, u32, i32),
    stage: u8,
    changed_at: Option<(i64, u32, i32)>,
    channel: u8,
}

/// The instant of stored [`instant_parts`].
fn from_instant(parts: (i64, u32, i32)) -> anyhow::Result<Instant> {
    crate::domain::time::instant_of_parts(parts).context("an instant or offset out of range")
}

/// An event and the row it came from, sorted as the log takes them ([`mapping::event_key`]).
#[derive(Debug, Clone)]
pub(crate) struct Placed {
    pub(crate) origin: Origin,
    pub(crate) event: Event,
}

impl Record for Placed {
    type Key = (Instant, u8, EventId);

    fn key(&self) -> Self::Key {
        mapping::event_key(&self.event)
    }

    /// The origin, then the event as the log stores it.
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.origin.0.to_le_bytes());
        out.extend_from_slice(&self.origin.1.to_le_bytes());
        crate::log::codec::encode_event(&self.event, out);
    }

    fn decode(bytes: &[u8]) -> anyhow::Result<Self> {
        anyhow::ensure!(bytes.len() >= 12, "a record shorter than its origin");
        let (file, rest) = bytes.split_at(4);
        let (line, event) = rest.split_at(8);
        let file = u32::from_le_bytes(file.try_into()?);
        let line = u64::from_le_bytes(line.try_into()?);
        Ok(Placed { origin: (file, line), event: crate::log::codec::decode_event(event)? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    impl Record for (u16, u32) {
        type Key = u16;
        fn key(&self) -> u16 {
            self.0
        }
        fn encode(&self, out: &mut Vec<u8>) {
            out.extend_from_slice(&self.0.to_le_bytes());
            out.extend_from_slice(&self.1.to_le_bytes());
        }
        fn decode(bytes: &[u8]) -> anyhow::Result<Self> {
            anyhow::ensure!(bytes.len() == 6, "6 bytes expected");
            Ok((u16::from_le_bytes([bytes[0], bytes[1]]), u32::from_le_bytes([bytes[2], bytes[3], bytes[4], bytes[5]])))
        }
    }

    proptest! {
        /// Whatever the capacity (all in memory, or many runs), the records come out sorted, each once, and a
        /// second reading gives the same.
        #[test]
        fn merged_runs_are_the_sorted_records(records in proptest::collection::vec((0u16..50, any::<u32>()), 0..300), capacity in 1usize..400) {
            let mut sorter = Sorter::new(capacity, None);
            for record in &records {
                sorter.push(*record).unwrap();
            }
            let sorted = sorter.finish().unwrap();
            prop_assert_eq!(sorted.runs() > 0, records.len() >= capacity);
            let first: Vec<(u16, u32)> = sorted.iter().unwrap().map(Result::unwrap).collect();
            let second: Vec<(u16, u32)> = sorted.iter().unwrap().map(Result::unwrap).collect();
            prop_assert_eq!(&first, &second);
            prop_assert_eq!(sorted.len(), records.len() as u64);
            prop_assert!(first.windows(2).all(|w| w[0].0 <= w[1].0));
            let (mut expected, mut got) = (records.clone(), first);
            expected.sort_unstable();
            got.sort_unstable();
            prop_assert_eq!(expected, got);
        }
    }

    #[test]
    fn a_damaged_run_is_an_error_not_a_panic() {
        let mut sorter = Sorter::new(2, None);
        for record in [(3u16, 1u32), (1, 2), (2, 3)] {
            sorter.push(record).unwrap();
        }
        let sorted = sorter.finish().unwrap();
        std::fs::write(&sorted.runs[0], [9u8, 0, 0, 0, 1]).unwrap();
        let read: Vec<anyhow::Result<(u16, u32)>> = match sorted.iter() {
            Ok(records) => records.collect(),
            Err(e) => vec![Err(e)],
        };
        assert!(read.iter().any(Result::is_err), "the damage is reported");
    }
}
