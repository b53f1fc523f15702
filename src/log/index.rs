//! The exact `event_id` index, in memory: which position holds an event id.
//!
//! It is derived from the whole durable log (rebuilt by the scan [`crate::log::Log::open`] does anyway for the rule
//! book) and grows with every durable round; nothing is ever evicted, so it is an index, not a cache. It keys a
//! 64-bit hash of the id, not the id itself: a hash hit only names *candidate* positions, and the caller reads the
//! stored event to see whether it really carries the id. Two ids with the same hash (about one chance in 10^7 for a
//! log of a million events, and not steerable from outside: the hash is SipHash with a per-process random key) both
//! stay findable, the second one in a small overflow map. The hash is keyed with two random 64-bit keys drawn when
//! the index is made; a rule-state checkpoint stores them with the pairs, so that an index read back hashes alike.
//!
//! Memory: a `hashbrown` table of (hash, position) pairs, 16 bytes plus one control byte a bucket, with between 8/7
//! and 16/7 buckets an id: 19 to 39 bytes an event (about 20–40 MB for a million events), against some 80 bytes for a
//! map keyed by the id strings.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use serde::{Deserialize, Serialize};
use siphasher::sip::SipHasher13;

use crate::domain::id::EventId;

/// A hasher for keys that are already uniformly distributed hashes: it passes the `u64` through.
#[derive(Default)]
pub(super) struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used by the maps below; anything else still hashes, just more slowly.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type PrehashedMap<V> = HashMap<u64, V, BuildHasherDefault<Prehashed>>;

/// Event id → position, for every durable entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct IdIndex {
    /// Keys the hashes; random so that nobody can choose ids that collide.
    keys: (u64, u64),
    /// The first id seen with each hash.
    first: PrehashedMap<u64>,
    /// Further ids with a hash already in `first`, in log order.
    overflow: PrehashedMap<Vec<u64>>,
}

impl Default for IdIndex {
    /// An empty index with fresh random keys.
    fn default() -> Self {
        // std's per-process random hash keys, drawn from the operating system, give two random 64-bit keys.
        use std::hash::BuildHasher as _;
        let random = std::collections::hash_map::RandomState::new();
        let keys = (random.hash_one(0u64), random.hash_one(1u64));
        IdIndex { keys, first: PrehashedMap::default(), overflow: PrehashedMap::default() }
    }
}

impl IdIndex {
    fn hash(&self, id: &EventId) -> u64 {
        let mut hasher = SipHasher13::new_with_keys(self.keys.0, self.keys.1);
        hasher.write(id.as_str().as_bytes());
        hasher.finish()
    }

    /// Remembers that `id` is stored at `position`.
    pub(super) fn insert(&mut self, id: &EventId, position: u64) {
        let hash = self.hash(id);
        match self.first.entry(hash) {
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(position);
            }
            std::collections::hash_map::Entry::Occupied(_) => self.overflow.entry(hash).or_default().push(position),
        }
    }

    /// The positions that may hold `id`, in log order; the caller checks each one's event id.
    pub(super) fn candidates(&self, id: &EventId) -> impl Iterator<Item = u64> + '_ {
        let hash = self.hash(id);
        let more = self.overflow.get(&hash).map_or(&[][..], Vec::as_slice);
        self.first.get(&hash).copied().into_iter().chain(more.iter().copied())
    }

    /// Makes room for `additional` more ids at once, so a large round does not rehash several times.
    pub(super) fn reserve(&mut self, additional: usize) {
        self.first.reserve(additional);
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
        index.insert(&id("same"), 3);
        index.insert(&id("same"), 9);
        assert_eq!(index.candidates(&id("same")).collect::<Vec<_>>(), [3, 9]);
    }
}
