//! The stored form of an entry: a hand-written, versioned, compact binary layout.
//!
//! The layout is written down here rather than derived, so that the digest chain, which hashes the event bytes,
//! never depends on a derive's field order or a codec crate's version. All integers are big-endian.
//!
//! # Chunk, stored format 2
//!
//! The log is stored as chunks, one sled value each, under the key `c` ‖ the chunk's first position (u64):
//!
//! | bytes | content |
//! | --- | --- |
//! | 0 | format byte of the chunk, `2` ([`CHUNK_FORMAT`]) |
//! | then, per entry | its length u32, then the entry (below), for consecutive positions from the key's |
//!
//! A chunk holds at least one entry, at most [`CHUNK_MAX_ENTRIES`], and is closed before an entry would take it
//! past [`CHUNK_MAX_BYTES`]; the writer rewrites the last chunk as it fills. Where the boundaries fall depends on
//! how the log was batched, so nothing hashed depends on them. (Stored format 1 kept one entry per sled value under
//! `e` ‖ position, with an `i` ‖ event_id index on disk; this version refuses such a directory rather than append
//! past it.)
//!
//! # Entry, format 1
//!
//! | bytes | content |
//! | --- | --- |
//! | 0 | format byte, `1` |
//! | 1..9 | `recorded_at`: microseconds since 1970-01-01T00:00:00Z, i64 |
//! | 9..17 | seal: the first 8 bytes of SHA-256("wartezeit seal" ‖ position u64 ‖ recorded_at i64) |
//! | 17..49 | digest: SHA-256(previous digest ‖ position u64 ‖ event bytes); 32 zero bytes before position 1 |
//! | 49.. | the event bytes (below), to the end of the value |
//!
//! `recorded_at` is the store's metadata: it is *not* in the digest, so that `export | import` into an empty
//! directory reproduces every digest. The seal still lets `verify` notice a damaged `recorded_at`.
//!
//! # Event bytes (the canonical form)
//!
//! `tag u8` (1–11, in docs/events.md's order of types), `event_id`, `at`, then the variant's fields in docs/events.md's order:
//! - short text (identifiers): length u8, then UTF-8 bytes;
//! - long text (`reason`, `name`): length u16, then UTF-8 bytes;
//! - instant: seconds since the epoch i64, nanoseconds u32, offset east of UTC in seconds i32;
//! - date: days since 0001-01-01 (day 1) i32;
//! - channel, cause: u8, the index in wire order; bool: u8 0 or 1;
//! - `slots_per_weekday`: 7 × u16; holiday `office`: a short text, length 0 for "every office".
//!
//! Decoding validates every identifier and value again, so a damaged entry is an error that names its field,
//! never an invalid value and never a panic.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use sha2::{Digest as _, Sha256};

use crate::domain::event::{
    Channel, ClosureCause, Event, EventKind, Instant, MAX_OBSERVED_SLOTS, MAX_SLOTS_PER_DAY, State, WeeklySlots,
};
use crate::domain::id::{AppointmentId, ClosureId, EventId, IdError, OfficeId, ServiceId, SourceId};

/// The format byte written by this version.
pub const FORMAT_V1: u8 = 1;

/// Length of the header in front of the event bytes.
pub const HEADER_LEN: usize = 49;

/// A SHA-256 digest.
pub type Digest = [u8; 32];

/// Why stored bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("unknown format byte {0}")]
    UnknownFormat(u8),
    #[error("entry is {0} bytes long, shorter than its header")]
    TooShort(usize),
    #[error("event bytes end early in {0}")]
    Truncated(&'static str),
    #[error("{0} bytes left over after the event")]
    TrailingBytes(usize),
    #[error("the chunk holds no entry")]
    EmptyChunk,
    #[error("an entry's length runs past the end of its chunk ({0} bytes left)")]
    ChunkOverrun(usize),
    #[error("unknown event tag {0}")]
    UnknownTag(u8),
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
}

/// An entry's header and its event bytes, not yet decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawEntry<'a> {
    /// Microseconds since the Unix epoch.
    pub recorded_at_micros: i64,
    pub seal: [u8; 8],
    pub digest: Digest,
    pub event: &'a [u8],
}

/// The digest of the entry at `position`, chained onto `previous`.
pub fn chain(previous: &Digest, position: u64, event_bytes: &[u8]) -> Digest {
    let mut h = Sha256::new();
    h.update(previous);
    h.update(position.to_be_bytes());
    h.update(event_bytes);
    h.finalize().into()
}

/// The seal over an entry's position and `recorded_at`.
pub fn seal(position: u64, recorded_at_micros: i64) -> [u8; 8] {
    let mut h = Sha256::new();
    h.update(b"wartezeit seal");
    h.update(position.to_be_bytes());
    h.update(recorded_at_micros.to_be_bytes());
    let full: [u8; 32] = h.finalize().into();
    full[..8].try_into().expect("8 of 32 bytes")
}

/// Writes a whole entry (format 1) for already encoded event bytes.
pub fn encode_entry(position: u64, recorded_at_micros: i64, digest: &Digest, event: &[u8], out: &mut Vec<u8>) {
    out.reserve(HEADER_LEN + event.len());
    out.push(FORMAT_V1);
    out.extend_from_slice(&recorded_at_micros.to_be_bytes());
    out.extend_from_slice(&seal(position, recorded_at_micros));
    out.extend_from_slice(digest);
    out.extend_from_slice(event);
}

/// Splits a stored entry into header and event bytes; checks the format byte and the length only.
pub fn split_entry(bytes: &[u8]) -> Result<RawEntry<'_>, DecodeError> {
    let Some(&format) = bytes.first() else {
        return Err(DecodeError::TooShort(0));
    };
    if format != FORMAT_V1 {
        return Err(DecodeError::UnknownFormat(format));
    }
    if bytes.len() < HEADER_LEN {
        return Err(DecodeError::TooShort(bytes.len()));
    }
    Ok(RawEntry {
        recorded_at_micros: i64::from_be_bytes(bytes[1..9].try_into().expect("8 bytes")),
        seal: bytes[9..17].try_into().expect("8 bytes"),
        digest: bytes[17..49].try_into().expect("32 bytes"),
        event: &bytes[HEADER_LEN..],
    })
}

/// The format byte of a chunk, the container of stored format 2 (format 1 stored one entry per sled value).
pub const CHUNK_FORMAT: u8 = 2;

/// A chunk is closed once it holds this many entries.
pub const CHUNK_MAX_ENTRIES: usize = 64;

/// A chunk is closed before an entry would take it past this many bytes (a lone larger entry still fits).
pub const CHUNK_MAX_BYTES: usize = 8 * 1024;

/// Bytes of the length in front of each entry of a chunk.
const LEN_PREFIX: usize = 4;

/// Starts an empty chunk in `out`.
pub fn start_chunk(out: &mut Vec<u8>) {
    out.push(CHUNK_FORMAT);
}

/// Appends a whole entry, with its length in front, to a chunk started with [`start_chunk`].
pub fn push_entry(chunk: &mut Vec<u8>, position: u64, recorded_at_micros: i64, digest: &Digest, event: &[u8]) {
    let len = u32::try_from(HEADER_LEN + event.len()).expect("an entry is far below 4 GiB");
    chunk.extend_from_slice(&len.to_be_bytes());
    encode_entry(position, recorded_at_micros, digest, event, chunk);
}

/// The entries of a chunk, in order, each still undecoded; checks the chunk's format byte.
pub fn chunk_entries(chunk: &[u8]) -> Result<ChunkEntries<'_>, DecodeError> {
    match chunk.first() {
        None => Err(DecodeError::TooShort(0)),
        Some(&CHUNK_FORMAT) if chunk.len() == 1 => Err(DecodeError::EmptyChunk),
        Some(&CHUNK_FORMAT) => Ok(ChunkEntries { chunk, offset: 1 }),
        Some(&other) => Err(DecodeError::UnknownFormat(other)),
    }
}

/// Where the entry that starts (with its length) at `offset` of a chunk lies, and where the next one starts.
pub fn entry_at(chunk: &[u8], offset: usize) -> Result<(std::ops::Range<usize>, usize), DecodeError> {
    let rest = chunk.get(offset..).unwrap_or_default();
    let len = rest.first_chunk::<LEN_PREFIX>().map(|len| u32::from_be_bytes(*len) as usize);
    match len {
        Some(len) if len <= rest.len() - LEN_PREFIX => {
            let start = offset + LEN_PREFIX;
            Ok((start..start + len, start + len))
        }
        _ => Err(DecodeError::ChunkOverrun(rest.len())),
    }
}

/// The byte range of each entry of a chunk, its length prefix included: where the bytes of the n-th entry are.
pub fn chunk_spans(chunk: &[u8]) -> Result<Vec<std::ops::Range<usize>>, DecodeError> {
    chunk_entries(chunk)?;
    let mut spans = Vec::new();
    let mut offset = 1;
    while offset < chunk.len() {
        let (_, next) = entry_at(chunk, offset)?;
        spans.push(offset..next);
        offset = next;
    }
    Ok(spans)
}

/// An iterator over the entries of a chunk; stops after the first error.
#[derive(Debug, Clone)]
pub struct ChunkEntries<'a> {
    chunk: &'a [u8],
    /// Where the next entry's length starts.
    offset: usize,
}

impl<'a> Iterator for ChunkEntries<'a> {
    type Item = Result<&'a [u8], DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.offset >= self.chunk.len() {
            return None;
        }
        match entry_at(self.chunk, self.offset) {
            Ok((entry, next)) => {
                self.offset = next;
                Some(Ok(&self.chunk[entry]))
            }
            Err(e) => {
                self.offset = self.chunk.len();
                Some(Err(e))
            }
        }
    }
}

/// `recorded_at` as an instant (the epoch itself should the stored number be out of range).
pub fn recorded_at(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or_default()
}

/// Appends the canonical bytes of `event` to `out`.
pub fn encode_event(event: &Event, out: &mut Vec<u8>) {
    let mut w = Writer(out);
    w.u8(tag(&event.kind));
    w.short(event.id.as_str());
    w.instant(&event.at);
    match &event.kind {
        EventKind::AppointmentBooked { office, appointment, service, channel, slot } => {
            w.short(office.as_str());
            w.short(appointment.as_str());
            w.short(service.as_str());
            w.u8(Channel::ALL.iter().position(|c| c == channel).expect("a channel") as u8);
            w.instant(slot);
        }
        EventKind::AppointmentRescheduled { office, appointment, slot } => {
            w.short(office.as_str());
            w.short(appointment.as_str());
            w.instant(slot);
        }
        EventKind::AppointmentCancelled { office, appointment }
        | EventKind::AppointmentAttended { office, appointment }
        | EventKind::AppointmentMissed { office, appointment } => {
            w.short(office.as_str());
            w.short(appointment.as_str());
        }
        EventKind::WalkInServed { office, service } => {
            w.short(office.as_str());
            w.short(service.as_str());
        }
        EventKind::CapacityPlanned { office, effective_from, slots_per_weekday } => {
            w.short(office.as_str());
            w.date(*effective_from);
            for slots in slots_per_weekday {
                w.0.extend_from_slice(&slots.to_be_bytes());
            }
        }
        EventKind::ClosureDeclared { office, closure, first_day, last_day, cause, reason } => {
            w.short(office.as_str());
            w.short(closure.as_str());
            w.date(*first_day);
            w.date(*last_day);
            w.u8(ClosureCause::ALL.iter().position(|c| c == cause).expect("a cause") as u8);
            w.long(reason);
        }
        EventKind::ClosureCancelled { office, closure } => {
            w.short(office.as_str());
            w.short(closure.as_str());
        }
        EventKind::HolidayDeclared { date, name, office } => {
            w.date(*date);
            w.long(name);
            w.short(office.as_ref().map_or("", |o| o.as_str()));
        }
        EventKind::PolicyChanged { office, service, effective_from, appointment_required } => {
            w.short(office.as_str());
            w.short(service.as_str());
            w.date(*effective_from);
            w.u8(u8::from(*appointment_required));
        }
        EventKind::OfficeDescribed { office, name, state } => {
            w.short(office.as_str());
            w.long(name);
            w.short(state.map_or("", State::code));
        }
        EventKind::ServiceDescribed { service, name, office } => {
            w.short(service.as_str());
            w.long(name);
            w.short(office.as_ref().map_or("", |o| o.as_str()));
        }
        EventKind::CalendarObserved { office, service, source, free_slots } => {
            w.short(office.as_str());
            w.short(service.as_ref().map_or("", |s| s.as_str()));
            w.short(source.as_str());
            w.slots(&event.at, free_slots);
        }
    }
}

/// The canonical bytes of `event`.
pub fn event_bytes(event: &Event) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    encode_event(event, &mut out);
    out
}

fn tag(kind: &EventKind) -> u8 {
    match kind {
        EventKind::AppointmentBooked { .. } => 1,
        EventKind::AppointmentRescheduled { .. } => 2,
        EventKind::AppointmentCancelled { .. } => 3,
        EventKind::AppointmentAttended { .. } => 4,
        EventKind::AppointmentMissed { .. } => 5,
        EventKind::WalkInServed { .. } => 6,
        EventKind::CapacityPlanned { .. } => 7,
        EventKind::ClosureDeclared { .. } => 8,
        EventKind::ClosureCancelled { .. } => 9,
        EventKind::HolidayDeclared { .. } => 10,
        EventKind::PolicyChanged { .. } => 11,
        EventKind::OfficeDescribed { .. } => 12,
        EventKind::ServiceDescribed { .. } => 13,
        EventKind::CalendarObserved { .. } => 14,
    }
}

/// Decodes canonical event bytes; every byte must be used.
pub fn decode_event(bytes: &[u8]) -> Result<Event, DecodeError> {
    let mut r = Reader(bytes);
    let tag = r.u8("type")?;
    let id = r.id("event_id", EventId::parse)?;
    let at = r.instant("at")?;
    let kind = match tag {
        1 => EventKind::AppointmentBooked {
            office: r.id("office", OfficeId::parse)?,
            appointment: r.id("appointment_id", AppointmentId::parse)?,
            service: r.id("service", ServiceId::parse)?,
            channel: *Channel::ALL
                .get(usize::from(r.u8("channel")?))
                .ok_or_else(|| invalid("channel", "out of range"))?,
            slot: r.instant("slot")?,
        },
        2 => EventKind::AppointmentRescheduled {
            office: r.id("office", OfficeId::parse)?,
            appointment: r.id("appointment_id", AppointmentId::parse)?,
            slot: r.instant("slot")?,
        },
        3..=5 => {
            let office = r.id("office", OfficeId::parse)?;
            let appointment = r.id("appointment_id", AppointmentId::parse)?;
            match tag {
                3 => EventKind::AppointmentCancelled { office, appointment },
                4 => EventKind::AppointmentAttended { office, appointment },
                _ => EventKind::AppointmentMissed { office, appointment },
            }
        }
        6 => EventKind::WalkInServed {
            office: r.id("office", OfficeId::parse)?,
            service: r.id("service", ServiceId::parse)?,
        },
        7 => {
            let office = r.id("office", OfficeId::parse)?;
            let effective_from = r.date("effective_from")?;
            let mut slots: WeeklySlots = [0; 7];
            for s in &mut slots {
                *s = u16::from_be_bytes(r.take::<2>("slots_per_weekday")?);
                if *s > MAX_SLOTS_PER_DAY {
                    return Err(invalid("slots_per_weekday", format!("{s} is above {MAX_SLOTS_PER_DAY}")));
                }
            }
            EventKind::CapacityPlanned { office, effective_from, slots_per_weekday: slots }
        }
        8 => EventKind::ClosureDeclared {
            office: r.id("office", OfficeId::parse)?,
            closure: r.id("closure_id", ClosureId::parse)?,
            first_day: r.date("first_day")?,
            last_day: r.date("last_day")?,
            cause: *ClosureCause::ALL
                .get(usize::from(r.u8("cause")?))
                .ok_or_else(|| invalid("cause", "out of range"))?,
            reason: r.long("reason")?.to_owned(),
        },
        9 => EventKind::ClosureCancelled {
            office: r.id("office", OfficeId::parse)?,
            closure: r.id("closure_id", ClosureId::parse)?,
        },
        10 => {
            let date = r.date("date")?;
            let name = r.long("name")?.to_owned();
            let office = r.short("office")?;
            let office = if office.is_empty() {
                None
            } else {
                Some(OfficeId::parse(office).map_err(|e| id_error("office", e))?)
            };
            EventKind::HolidayDeclared { date, name, office }
        }
        11 => EventKind::PolicyChanged {
            office: r.id("office", OfficeId::parse)?,
            service: r.id("service", ServiceId::parse)?,
            effective_from: r.date("effective_from")?,
            appointment_required: match r.u8("appointment_required")? {
                0 => false,
                1 => true,
                other => return Err(invalid("appointment_required", format!("{other} is not 0 or 1"))),
            },
        },
        12 => {
            let office = r.id("office", OfficeId::parse)?;
            let name = r.long("name")?.to_owned();
            let state = match r.short("state")? {
                "" => None,
                code => Some(State::parse(code).ok_or_else(|| invalid("state", format!("{code:?} is no state")))?),
            };
            EventKind::OfficeDescribed { office, name, state }
        }
        13 => {
            let service = r.id("service", ServiceId::parse)?;
            let name = r.long("name")?.to_owned();
            let office = match r.short("office")? {
                "" => None,
                office => Some(OfficeId::parse(office).map_err(|e| id_error("office", e))?),
            };
            EventKind::ServiceDescribed { service, name, office }
        }
        14 => {
            let office = r.id("office", OfficeId::parse)?;
            let service = match r.short("service")? {
                "" => None,
                service => Some(ServiceId::parse(service).map_err(|e| id_error("service", e))?),
            };
            let source = r.id("source", SourceId::parse)?;
            let free_slots = r.slots(&at)?;
            EventKind::CalendarObserved { office, service, source, free_slots }
        }
        other => return Err(DecodeError::UnknownTag(other)),
    };
    if !r.0.is_empty() {
        return Err(DecodeError::TrailingBytes(r.0.len()));
    }
    Ok(Event { id, at, kind })
}

fn invalid(field: &'static str, reason: impl Into<String>) -> DecodeError {
    DecodeError::Invalid { field, reason: reason.into() }
}

fn id_error(field: &'static str, e: IdError) -> DecodeError {
    invalid(field, e.to_string())
}

struct Writer<'a>(&'a mut Vec<u8>);

impl Writer<'_> {
    fn u8(&mut self, b: u8) {
        self.0.push(b);
    }

    /// Identifiers are at most 128 bytes, so one length byte suffices.
    fn short(&mut self, s: &str) {
        self.0.push(s.len() as u8);
        self.0.extend_from_slice(s.as_bytes());
    }

    /// Texts are at most 500 characters, i.e. at most 2000 bytes of UTF-8.
    fn long(&mut self, s: &str) {
        self.0.extend_from_slice(&(s.len() as u16).to_be_bytes());
        self.0.extend_from_slice(s.as_bytes());
    }

    fn instant(&mut self, at: &Instant) {
        self.0.extend_from_slice(&at.timestamp().to_be_bytes());
        self.0.extend_from_slice(&at.timestamp_subsec_nanos().to_be_bytes());
        self.0.extend_from_slice(&at.offset().local_minus_utc().to_be_bytes());
    }

    fn date(&mut self, d: NaiveDate) {
        self.0.extend_from_slice(&crate::domain::time::day_number(d).to_be_bytes());
    }

    /// LEB128: seven bits a byte, low first, the high bit set on every byte but the last.
    fn varint(&mut self, mut n: u64) {
        while n >= 0x80 {
            self.0.push((n as u8) | 0x80);
            n >>= 7;
        }
        self.0.push(n as u8);
    }

    /// The free slots of an observation, compactly: their count (u16), then *steps*. A step is the seconds since
    /// the slot before (the first: since `at`), zig-zag signed, shifted left by one, the low bit set when the
    /// nanoseconds and offset differ from the slot before (the first: 0 and `at`'s offset), in which case they
    /// follow (u32, i32); otherwise a count follows of the further slots at the same distance each (a calendar's
    /// free slots come in runs: ten minutes apart through a morning), as long a run as there is. A day of free
    /// slots at one interval takes a few bytes instead of sixteen a slot.
    fn slots(&mut self, at: &Instant, slots: &[Instant]) {
        self.0.extend_from_slice(&(slots.len() as u16).to_be_bytes());
        let (mut secs, mut nanos, mut offset) = (at.timestamp(), 0, at.offset().local_minus_utc());
        let mut i = 0;
        while i < slots.len() {
            let slot = &slots[i];
            let (s, n, o) = (slot.timestamp(), slot.timestamp_subsec_nanos(), slot.offset().local_minus_utc());
            let delta = s.wrapping_sub(secs);
            let zigzag = ((delta << 1) ^ (delta >> 63)) as u64;
            let changed = (n, o) != (nanos, offset);
            self.varint((zigzag << 1) | u64::from(changed));
            (secs, nanos, offset) = (s, n, o);
            i += 1;
            if changed {
                self.0.extend_from_slice(&n.to_be_bytes());
                self.0.extend_from_slice(&o.to_be_bytes());
                continue;
            }
            let same = |slot: &Instant, secs: i64| {
                slot.timestamp().wrapping_sub(secs) == delta
                    && (slot.timestamp_subsec_nanos(), slot.offset().local_minus_utc()) == (nanos, offset)
            };
            let mut run = 0u64;
            while i < slots.len() && same(&slots[i], secs) {
                secs = slots[i].timestamp();
                run += 1;
                i += 1;
            }
            self.varint(run);
        }
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], DecodeError> {
        let (head, rest) = self.0.split_first_chunk::<N>().ok_or(DecodeError::Truncated(field))?;
        self.0 = rest;
        Ok(*head)
    }

    fn bytes(&mut self, field: &'static str, len: usize) -> Result<&'a [u8], DecodeError> {
        if self.0.len() < len {
            return Err(DecodeError::Truncated(field));
        }
        let (head, rest) = self.0.split_at(len);
        self.0 = rest;
        Ok(head)
    }

    fn u8(&mut self, field: &'static str) -> Result<u8, DecodeError> {
        Ok(self.take::<1>(field)?[0])
    }

    fn text(&mut self, field: &'static str, len: usize) -> Result<&'a str, DecodeError> {
        std::str::from_utf8(self.bytes(field, len)?).map_err(|_| invalid(field, "not UTF-8"))
    }

    fn short(&mut self, field: &'static str) -> Result<&'a str, DecodeError> {
        let len = usize::from(self.u8(field)?);
        self.text(field, len)
    }

    fn long(&mut self, field: &'static str) -> Result<&'a str, DecodeError> {
        let len = usize::from(u16::from_be_bytes(self.take::<2>(field)?));
        self.text(field, len)
    }

    fn id<T>(&mut self, field: &'static str, parse: impl FnOnce(&str) -> Result<T, IdError>) -> Result<T, DecodeError> {
        parse(self.short(field)?).map_err(|e| id_error(field, e))
    }

    fn instant(&mut self, field: &'static str) -> Result<Instant, DecodeError> {
        let secs = i64::from_be_bytes(self.take::<8>(field)?);
        let nanos = u32::from_be_bytes(self.take::<4>(field)?);
        let offset = i32::from_be_bytes(self.take::<4>(field)?);
        let offset = FixedOffset::east_opt(offset).ok_or_else(|| invalid(field, format!("offset {offset} s")))?;
        let utc = DateTime::from_timestamp(secs, nanos).ok_or_else(|| invalid(field, "out of range"))?;
        Ok(utc.with_timezone(&offset))
    }

    fn date(&mut self, field: &'static str) -> Result<NaiveDate, DecodeError> {
        let day = i32::from_be_bytes(self.take::<4>(field)?);
        NaiveDate::from_num_days_from_ce_opt(day).ok_or_else(|| invalid(field, format!("day {day} out of range")))
    }

    fn varint(&mut self, field: &'static str) -> Result<u64, DecodeError> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.u8(field)?;
            n |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err(invalid(field, "a number longer than 64 bits"))
    }

    /// The slots [`Writer::slots`] wrote, each checked as the wire checks it: strictly increasing, in range, and
    /// written canonically (nanoseconds and offset only where they change, every run as long as it is).
    fn slots(&mut self, at: &Instant) -> Result<Vec<Instant>, DecodeError> {
        const FIELD: &str = "free_slots";
        let count = usize::from(u16::from_be_bytes(self.take::<2>(FIELD)?));
        if count > MAX_OBSERVED_SLOTS {
            return Err(invalid(FIELD, format!("{count} slots, at most {MAX_OBSERVED_SLOTS}")));
        }
        let mut slots: Vec<Instant> = Vec::with_capacity(count);
        let (mut secs, mut nanos, mut offset) = (at.timestamp(), 0, at.offset().local_minus_utc());
        // The last step that ended a run: the next one may not continue it (the run would have been longer).
        let mut ended: Option<i64> = None;
        while slots.len() < count {
            let word = self.varint(FIELD)?;
            let zigzag = word >> 1;
            let delta = ((zigzag >> 1) as i64) ^ -((zigzag & 1) as i64);
            let run = if word & 1 == 1 {
                let (n, o) = (u32::from_be_bytes(self.take::<4>(FIELD)?), i32::from_be_bytes(self.take::<4>(FIELD)?));
                if (n, o) == (nanos, offset) {
                    return Err(invalid(FIELD, "nanoseconds and offset repeated: not the canonical form"));
                }
                (nanos, offset) = (n, o);
                ended = None;
                0
            } else {
                if ended == Some(delta) {
                    return Err(invalid(FIELD, "a run cut in two: not the canonical form"));
                }
                ended = Some(delta);
                self.varint(FIELD)?
            };
            if run >= (count - slots.len()) as u64 {
                return Err(invalid(FIELD, "more slots than counted"));
            }
            let zone = FixedOffset::east_opt(offset).ok_or_else(|| invalid(FIELD, format!("offset {offset} s")))?;
            for _ in 0..=run {
                secs = secs.checked_add(delta).ok_or_else(|| invalid(FIELD, "out of range"))?;
                let utc = DateTime::from_timestamp(secs, nanos).ok_or_else(|| invalid(FIELD, "out of range"))?;
                let slot = utc.with_timezone(&zone);
                if slots.last().is_some_and(|previous| *previous >= slot) {
                    return Err(invalid(FIELD, "not strictly increasing"));
                }
                slots.push(slot);
            }
        }
        Ok(slots)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::identical;
    use proptest::prelude::*;

    #[test]
    fn every_sample_event_round_trips() {
        for event in crate::sample::events(7, 2_000) {
            let bytes = event_bytes(&event);
            let back = decode_event(&bytes).expect("decodes");
            assert!(identical(&event, &back), "{event:?} came back as {back:?}");
        }
    }

    #[test]
    fn an_observation_stores_its_runs_of_slots_in_a_few_bytes_and_round_trips_exactly() {
        let at = chrono::DateTime::parse_from_rfc3339("2021-10-30T08:00:00+02:00").unwrap();
        // 2,000 slots a quarter of an hour apart, across the end of summer time (+02:00 to +01:00), one with
        // nanoseconds.
        let mut free_slots: Vec<Instant> = (1..=2000)
            .map(|i| (at + chrono::Duration::minutes(15 * i)).with_timezone(&chrono_tz::Europe::Berlin).fixed_offset())
            .collect();
        free_slots[7] += chrono::Duration::nanoseconds(5);
        let event = Event {
            id: EventId::parse("o").unwrap(),
            at,
            kind: EventKind::CalendarObserved {
                office: OfficeId::parse("kl").unwrap(),
                service: None,
                source: SourceId::parse("scraper").unwrap(),
                free_slots,
            },
        };
        let bytes = event_bytes(&event);
        assert!(bytes.len() < 120, "runs of equal steps take a few bytes: {} bytes", bytes.len());
        let back = decode_event(&bytes).expect("decodes");
        assert!(identical(&event, &back), "{back:?}");
    }

    #[test]
    fn a_known_layout_stays_the_same() {
        // Pins the canonical bytes (one second after the epoch at +01:00 is -3599 s): changing them would break every stored digest chain.
        let event = crate::domain::wire::parse_event(
            r#"{"event_id":"e","type":"appointment_cancelled","at":"1970-01-01T00:00:01+01:00","office":"k","appointment_id":"a"}"#,
        )
        .unwrap();
        assert_eq!(hex::encode(event_bytes(&event)), "030165fffffffffffff1f10000000000000e10016b0161",);
    }

    #[test]
    fn entries_split_into_header_and_event() {
        let mut out = Vec::new();
        encode_entry(5, 123, &[7; 32], b"xyz", &mut out);
        let raw = split_entry(&out).unwrap();
        assert_eq!(
            (raw.recorded_at_micros, raw.digest, raw.event, raw.seal),
            (123, [7; 32], &b"xyz"[..], seal(5, 123))
        );
        out[0] = 9;
        assert_eq!(split_entry(&out), Err(DecodeError::UnknownFormat(9)));
        assert_eq!(split_entry(&[1, 2]), Err(DecodeError::TooShort(2)));
    }

    #[test]
    fn a_known_chunk_layout_stays_the_same() {
        // Pins stored format 2: the format byte, then each entry with its length (u32) in front.
        let mut chunk = Vec::new();
        start_chunk(&mut chunk);
        push_entry(&mut chunk, 1, 2, &[3; 32], b"ab");
        push_entry(&mut chunk, 2, 4, &[5; 32], b"c");
        let mut first = Vec::new();
        encode_entry(1, 2, &[3; 32], b"ab", &mut first);
        let mut second = Vec::new();
        encode_entry(2, 4, &[5; 32], b"c", &mut second);
        let want = [&[2u8, 0, 0, 0, 51][..], &first, &[0, 0, 0, 50], &second].concat();
        assert_eq!(chunk, want);
        assert_eq!(hex::encode(&chunk[..14]), "0200000033010000000000000002");
        let entries: Vec<&[u8]> = chunk_entries(&chunk).unwrap().map(Result::unwrap).collect();
        assert_eq!(entries, [&first[..], &second[..]]);
        assert_eq!(chunk_spans(&chunk).unwrap(), [1..56, 56..110]);
    }

    #[test]
    fn damaged_chunks_are_errors() {
        let mut chunk = Vec::new();
        start_chunk(&mut chunk);
        assert_eq!(chunk_entries(&chunk).err(), Some(DecodeError::EmptyChunk));
        push_entry(&mut chunk, 1, 2, &[3; 32], b"ab");
        chunk[4] += 1;
        assert_eq!(chunk_entries(&chunk).unwrap().next(), Some(Err(DecodeError::ChunkOverrun(55))));
        chunk[0] = 1;
        assert_eq!(chunk_entries(&chunk).err(), Some(DecodeError::UnknownFormat(1)));
    }

    proptest! {
        /// Damaged event bytes never panic: they decode to an error or to some valid event.
        #[test]
        fn damaged_bytes_never_panic(index in 0usize..2_000, at in any::<prop::sample::Index>(), byte in any::<u8>(), cut in any::<bool>()) {
            let events = crate::sample::events(3, 2_000);
            let mut bytes = event_bytes(&events[index]);
            let i = at.index(bytes.len());
            if cut { bytes.truncate(i) } else { bytes[i] = byte }
            let _ = decode_event(&bytes);
        }
    }
}
