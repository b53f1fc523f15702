//! Settled history, packed: the swept events of an office that lie far enough behind its newest ones, kept as
//! compact blocks instead of one [`Ev`] each.
//!
//! The sweep keeps every event because a late one (business time in the past) undoes the events after its place
//! and applies them again. Late events are rare and mostly recent, so the oldest events are packed: each block holds
//! up to [`Packing::block_events`] consecutive events as postcard varints, every number written as its difference
//! to the event before (about 10 to 15 bytes an event, against some 50 to 100 for an `Ev` in a growing `Vec`). A
//! late event that reaches back into the packed part unpacks the blocks from its place on; reads that rewind the
//! sweep state (a day in a long quiet stretch, a calendar snapshot of an old day) decode the blocks they need.
//! Nothing is lost: packing and unpacking are exact, and the figures never depend on where the line lies.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::projection::appointments::Status;
use crate::projection::calendar::{CalendarChange, Key};
use crate::projection::office::{Change, Ev};

/// How much of an office's history stays unpacked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Packing {
    /// The newest events (in business order) that always stay unpacked, so that a late event among them costs
    /// nothing extra.
    pub keep_events: usize,
    /// Events per packed block: the unit that is unpacked again.
    pub block_events: usize,
}

impl Default for Packing {
    /// 32,768 events an office unpacked (about two months of a large Berlin office), blocks of 4,096.
    fn default() -> Self {
        Packing { keep_events: 32_768, block_events: 4_096 }
    }
}

impl Packing {
    /// Whether `unpacked` events are enough to pack some: at least twice the kept ones and a block, so that packing
    /// runs once per `keep_events` new events, not with each.
    pub(crate) fn due(&self, unpacked: usize) -> bool {
        let block = self.block_events.max(1);
        unpacked >= self.keep_events.saturating_mul(2).saturating_add(block)
    }

    /// How many of `unpacked` events to pack now: whole blocks, leaving at least `keep_events`.
    pub(crate) fn how_many(&self, unpacked: usize) -> usize {
        let block = self.block_events.max(1);
        unpacked.saturating_sub(self.keep_events) / block * block
    }
}

/// One event as packed: every number as the difference to the event before it in the block.
#[derive(Serialize, Deserialize)]
struct Packed {
    seconds: u64,
    nanos: u32,
    position: i64,
    day: i32,
    change: PackedChange,
}

/// A [`Change`] as packed: slot days relative to the event's day; a calendar change by its key alone (the office's
/// calendar log holds it under the same key).
#[derive(Serialize, Deserialize)]
enum PackedChange {
    Booked { appointment: u32, slot: i32 },
    Rescheduled { appointment: u32, slot: i32, previous: i32 },
    Ended { appointment: u32, status: Status, previous: Status },
    Calendar,
    None,
}

/// Consecutive packed events.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Block {
    /// The key of its last event.
    last_key: Key,
    /// The day of its last event.
    last_day: i32,
    events: u32,
    /// Written as one byte string, not a sequence of numbers: a checkpoint reads it in one copy.
    #[serde(with = "serde_bytes")]
    bytes: Vec<u8>,
}

/// The packed events of an office, oldest first; all of them lie before the office's unpacked events.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Settled {
    blocks: Vec<Block>,
}

impl Settled {
    /// Packs `events` (key-sorted, all after the events packed so far) in blocks of `block` events.
    pub(crate) fn pack(&mut self, events: &[Ev], block: usize) {
        for chunk in events.chunks(block.max(1)) {
            let mut bytes = Vec::with_capacity(chunk.len() * 12);
            let mut previous = (0i64, 0u64, 0i32);
            for ev in chunk {
                let (seconds, nanos, position) = ev.key;
                let change = match &ev.change {
                    Change::Booked { appointment, slot_day } => {
                        PackedChange::Booked { appointment: *appointment, slot: slot_day - ev.day }
                    }
                    Change::Rescheduled { appointment, slot_day, previous_slot_day } => PackedChange::Rescheduled {
                        appointment: *appointment,
                        slot: slot_day - ev.day,
                        previous: previous_slot_day - ev.day,
                    },
                    Change::Ended { appointment, status, previous } => {
                        PackedChange::Ended { appointment: *appointment, status: *status, previous: *previous }
                    }
                    Change::Calendar(_) => PackedChange::Calendar,
                    Change::None => PackedChange::None,
                };
                let packed = Packed {
                    seconds: seconds.wrapping_sub(previous.0) as u64,
                    nanos,
                    position: position.wrapping_sub(previous.1) as i64,
                    day: ev.day.wrapping_sub(previous.2),
                    change,
                };
                bytes = postcard::to_extend(&packed, bytes).expect("writing to a Vec cannot fail");
                previous = (seconds, position, ev.day);
            }
            bytes.shrink_to_fit();
            let last = chunk.last().expect("chunks are never empty");
            self.blocks.push(Block { last_key: last.key, last_day: last.day, events: chunk.len() as u32, bytes });
        }
    }

    /// Whether nothing is packed.
    pub(crate) fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// How many events are packed.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.blocks.iter().map(|b| b.events as usize).sum()
    }

    /// The day of the newest packed event.
    pub(crate) fn last_day(&self) -> Option<i32> {
        self.blocks.last().map(|b| b.last_day)
    }

    /// How many packed events a late event at `key` would undo, counted in whole blocks (an upper bound).
    pub(crate) fn at_or_after(&self, key: Key) -> usize {
        self.blocks[self.first_block_from_key(key)..].iter().map(|b| b.events as usize).sum()
    }

    /// Takes out the blocks that hold events at or after `key` and returns their events, in order.
    pub(crate) fn unpack_from(&mut self, key: Key, calendar_log: &[(Key, i32, Arc<CalendarChange>)]) -> Vec<Ev> {
        let first = self.first_block_from_key(key);
        let blocks = self.blocks.split_off(first);
        decode(&blocks, calendar_log)
    }

    /// The packed events whose day is after `day`, in order, decoded (the stored blocks stay as they are).
    pub(crate) fn after_day(&self, day: i32, calendar_log: &[(Key, i32, Arc<CalendarChange>)]) -> Vec<Ev> {
        let first = self.blocks.partition_point(|b| b.last_day <= day);
        let mut events = decode(&self.blocks[first..], calendar_log);
        let from = events.partition_point(|e| e.day <= day);
        events.drain(..from);
        events
    }

    /// The day of the first packed event after `day`, decoding one block.
    pub(crate) fn next_day_after(&self, day: i32, calendar_log: &[(Key, i32, Arc<CalendarChange>)]) -> Option<i32> {
        let first = self.blocks.partition_point(|b| b.last_day <= day);
        let block = self.blocks.get(first..=first)?;
        decode(block, calendar_log).iter().map(|e| e.day).find(|d| *d > day)
    }

    fn first_block_from_key(&self, key: Key) -> usize {
        self.blocks.partition_point(|b| b.last_key < key)
    }
}

/// The events of `blocks`, in order.
fn decode(blocks: &[Block], calendar_log: &[(Key, i32, Arc<CalendarChange>)]) -> Vec<Ev> {
    let mut events = Vec::with_capacity(blocks.iter().map(|b| b.events as usize).sum());
    for block in blocks {
        decode_block(block, calendar_log, &mut events).expect("blocks are checked when read from a checkpoint");
    }
    events
}

/// Appends the events of `block` to `events`, or says why the block is not one this module wrote.
fn decode_block(
    block: &Block,
    calendar_log: &[(Key, i32, Arc<CalendarChange>)],
    events: &mut Vec<Ev>,
) -> Result<(), String> {
    let mut rest = block.bytes.as_slice();
    let mut previous = (0i64, 0u64, 0i32);
    for _ in 0..block.events {
        let (packed, tail) = postcard::take_from_bytes::<Packed>(rest).map_err(|e| e.to_string())?;
        rest = tail;
        let seconds = previous.0.wrapping_add(packed.seconds as i64);
        let position = previous.1.wrapping_add(packed.position as u64);
        let day = previous.2.wrapping_add(packed.day);
        let key = (seconds, packed.nanos, position);
        let slot = |offset: i32| day.checked_add(offset).ok_or("a slot day out of range");
        let change = match packed.change {
            PackedChange::Booked { appointment, slot: s } => Change::Booked { appointment, slot_day: slot(s)? },
            PackedChange::Rescheduled { appointment, slot: s, previous: p } => {
                Change::Rescheduled { appointment, slot_day: slot(s)?, previous_slot_day: slot(p)? }
            }
            PackedChange::Ended { appointment, status, previous } => Change::Ended { appointment, status, previous },
            PackedChange::Calendar => {
                let at = calendar_log.partition_point(|(k, _, _)| *k < key);
                match calendar_log.get(at) {
                    Some((k, _, change)) if *k == key => Change::Calendar(change.clone()),
                    _ => return Err(format!("no calendar change at {key:?}")),
                }
            }
            PackedChange::None => Change::None,
        };
        events.push(Ev { key, day, change });
        previous = (seconds, position, day);
    }
    if !rest.is_empty() {
        return Err("bytes after the block's events".into());
    }
    Ok(())
}

impl Settled {
    /// Checks packed history read from a checkpoint: every block decodes to its stated events, in key order, each
    /// calendar change is in `calendar_log`, and every appointment index is below `appointments`.
    pub(crate) fn check(
        &self,
        calendar_log: &[(Key, i32, Arc<CalendarChange>)],
        appointments: usize,
    ) -> Result<(), String> {
        let mut last: Option<Key> = None;
        let mut events = Vec::new();
        for block in &self.blocks {
            events.clear();
            decode_block(block, calendar_log, &mut events)?;
            for ev in &events {
                if last.is_some_and(|k| ev.key <= k) {
                    return Err("packed events out of order".into());
                }
                last = Some(ev.key);
                let appointment = match ev.change {
                    Change::Booked { appointment, .. }
                    | Change::Rescheduled { appointment, .. }
                    | Change::Ended { appointment, .. } => appointment as usize,
                    _ => 0,
                };
                if appointment >= appointments.max(1) {
                    return Err(format!("appointment index {appointment} of {appointments}"));
                }
            }
            if events.last().map(|e| (e.key, e.day)) != Some((block.last_key, block.last_day)) {
                return Err("a block's last event is not the one it names".into());
            }
        }
        Ok(())
    }
}
