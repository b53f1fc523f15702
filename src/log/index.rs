//! The exact `event_id` index, in memory: which position holds an event id.
//!
//! It is derived from the durable log (read from the rule-state checkpoint and the entries after it, or from the
//! whole log) and grows with every durable round; nothing is ever evicted, so it is an index, not a cache. It keys
//! a tag of the id (the upper half of its 64-bit hash), not the id itself: a tag names only *candidate* positions,
//! and the caller reads the stored event to see whether it really carries the id. Ids with the same tag all stay
//! findable, side by side in the table; no one can choose ids that collide, because the hash is SipHash keyed with
//! two random 64-bit keys drawn when the index is made. A rule-state checkpoint stores the keys with the entries,
//! so that an index read back hashes alike.
//!
//! Memory: a `hashbrown` table of 8-byte entries, the hash's upper 32 bits beside the position, plus one control
//! byte a bucket, with between 8/7 and 16/7 buckets an id: 10 to 21 bytes an event (about 150 MB for ten million
//! events), against 19 to 39 for (hash, position) pairs and some 80 for a map keyed by the id strings. The 32 bits
//! kept name a false candidate for about one lookup in 400 at ten million events: one more stored event read.
//! Positions from 2^32 on, which a log reaches after four billion events, go to a map of their own.

use std::collections::HashMap;
use std::hash::Hasher;

use hashbrown::HashTable;
use serde::{Deserialize, Serialize};
use siphasher::sip::SipHasher13;

use crate::domain::id::EventId;

/// Event id → position, for every durable entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(from = "Stored")]
pub(super) struct IdIndex {
    /// Keys the hashes; random so that nobody can choose ids that collide.
    keys: (u64, u64),
    /// `tag << 32 | position` for positions below 2^32, where `tag` is the upper half of the id's hash.
    near: HashTable<u64>,
    /// The positions from 2^32 on, by tag, in log order.
    far: HashMap<u32, Vec<u64>>,
}

/// How the index is read back: its keys, its table's entries and the far positions, the table rebuilt.
#[derive(Deserialize)]
struct Stored {
    keys: (u64, u64),
    near: Vec<u64>,
    far: Vec<(u32, Vec<u64>)>,
}

/// Written as [`Stored`] reads it, straight from the table (no copy of the index on the way).
impl Serialize for IdIndex {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;

        struct Near<'a>(&'a HashTable<u64>);
        impl Serialize for Near<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.iter())
            }
        }
        struct Far<'a>(&'a HashMap<u32, Vec<u64>>);
        impl Serialize for Far<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.iter())
            }
        }

        let mut stored = s.serialize_struct("Stored", 3)?;
        stored.serialize_field("keys", &self.keys)?;
        stored.serialize_field("near", &Near(&self.near))?;
        stored.serialize_field("far", &Far(&self.far))?;
        stored.end()
    }
}

impl From<Stored> for IdIndex {
    fn from(stored: Stored) -> Self {
        let mut near = HashTable::with_capacity(stored.near.len());
        for entry in stored.near {
            near.insert_unique(spread(tag_of(entry)), entry, |&e| spread(tag_of(e)));
        }
        IdIndex { keys: stored.keys, near, far: stored.far.into_iter().collect() }
    }
}

/// A table entry's tag.
fn tag_of(entry: u64) -> u32 {
    (entry >> 32) as u32
}

/// A tag spread over 64 bits for the table, whose buckets come from the low bits and whose control bytes from the
/// top seven: multiplying by an odd constant keeps the low bits as random as the tag's and fills the high ones.
fn spread(tag: u32) -> u64 {
    u64::from(tag).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

impl Default for IdIndex {
    /// An empty index with fresh random keys.
    fn default() -> Self {
        // std's per-process random hash keys, drawn from the operating system, give two random 64-bit keys.
        use std::hash::BuildHasher as _;
        let random = std::collections::hash_map::RandomState::new();
        let keys = (random.hash_one(0u64), random.hash_one(1u64));
        IdIndex { keys, near: HashTable::new(), far: HashMap::new() }
    }
}

impl PartialEq for IdIndex {
    fn eq(&self, other: &Self) -> bool {
        let sorted = |index: &IdIndex| {
            let mut near: Vec<u64> = index.near.iter().copied().collect();
            near.sort_unstable();
            near
        };
        self.keys == other.keys && self.far == other.far && sorted(self) == sorted(other)
    }
}

impl Eq for IdIndex {}

impl IdIndex {
    fn tag(&self, id: &EventId) -> u32 {
        let mut hasher = SipHasher13::new_with_keys(self.keys.0, self.keys.1);
        hasher.write(id.as_str().as_bytes());
        (hasher.finish() >> 32) as u32
    }

    /// Remembers that `id` is stored at `position`.
    pub(super) fn insert(&mut self, id: &EventId, position: u64) {
        let tag = self.tag(id);
        match u32::try_from(position) {
            Ok(near) => {
                let entry = u64::from(tag) << 32 | u64::from(near);
                self.near.insert_unique(spread(tag), entry, |&e| spread(tag_of(e)));
            }
            Err(_) => self.far.entry(tag).or_default().push(position),
        }
    }

    /// The positions that may hold `id`, in log order; the caller checks each one's event id.
    pub(super) fn candidates(&self, id: &EventId) -> impl Iterator<Item = u64> + '_ {
        let tag = self.tag(id);
        let mut near: Vec<u64> =
            self.near.iter_hash(spread(tag)).filter(|&&e| tag_of(e) == tag).map(|&e| e & u64::from(u32::MAX)).collect();
        near.sort_unstable();
        let far = self.far.get(&tag).map_or(&[][..], Vec::as_slice);
        near.into_iter().chain(far.iter().copied())
    }

    /// Makes room for `additional` more ids at once, so a large round does not rehash several times.
    pub(super) fn reserve(&mut self, additional: usize) {
        self.near.reserve(additional, |&e| spread(tag_of(e)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> EventId {
        EventId::parse(s).expect("a valid id")
    }

    #[test]
    fn finds_what_was_inserted_and_nothing_else() {
        let mut index = IdIndex::default();
        for i in 1..=1_000u64 {
            index.insert(&id(&format!("ev-{i}")), i);
        }
        for i in 1..=1_000u64 {
            assert!(index.candidates(&id(&format!("ev-{i}"))).any(|p| p == i));
        }
        // A candidate for an unknown id can only come from a 64-bit collision; with 1,000 ids there is none.
        assert_eq!(index.candidates(&id("ev-unknown")).count(), 0);
    }

    #[test]
    fn colliding_hashes_keep_every_position() {
        // Force a collision by inserting the same id twice: both positions stay candidates, in order.
        let mut index = IdIndex::default();
        index.insert(&id("same"), 9);
        index.insert(&id("same"), 3);
        assert_eq!(index.candidates(&id("same")).collect::<Vec<_>>(), [3, 9]);
    }

    #[test]
    fn positions_past_four_billion_are_found_after_the_near_ones() {
        let mut index = IdIndex::default();
        let far = u64::from(u32::MAX) + 7;
        index.insert(&id("x"), far);
        index.insert(&id("x"), 12);
        index.insert(&id("y"), u64::from(u32::MAX));
        assert_eq!(index.candidates(&id("x")).collect::<Vec<_>>(), [12, far]);
        assert_eq!(index.candidates(&id("y")).collect::<Vec<_>>(), [u64::from(u32::MAX)]);
    }

    #[test]
    fn reads_back_as_written() {
        let mut index = IdIndex::default();
        for i in 1..=20_000u64 {
            index.insert(&id(&format!("ev-{i}")), i);
        }
        index.insert(&id("ev-1"), u64::from(u32::MAX) + 1);
        let back: IdIndex = postcard::from_bytes(&postcard::to_allocvec(&index).expect("encodes")).expect("decodes");
        assert_eq!(back, index);
        for i in 1..=20_000u64 {
            assert!(back.candidates(&id(&format!("ev-{i}"))).any(|p| p == i));
        }
        assert_eq!(back.candidates(&id("ev-1")).collect::<Vec<_>>(), [1, u64::from(u32::MAX) + 1]);
    }
}
