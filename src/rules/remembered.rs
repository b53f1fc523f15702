//! What the rules remember of an office's appointments, kept compact: the largest part of the rule book.
//!
//! A map keyed by the id strings holds each appointment in a bucket of its own, and a hash table is between 44 % and
//! 87 % full: some 100 bytes an appointment in practice. Here the (id, appointment) records lie in one vector in
//! the order they were booked, and the hash table holds only their 4-byte indices: about 48 bytes a record plus 5
//! to 11 bytes of table, for exactly the same answers. Nothing is ever removed: an appointment id is booked once for
//! good, so an ended appointment stays to refuse what comes after it.

use std::fmt;
use std::hash::BuildHasher as _;

use hashbrown::HashTable;
use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Appointment;
use crate::domain::id::AppointmentId;

/// Appointment id → what the rules remember of it.
#[derive(Clone, Default)]
pub(super) struct Remembered {
    /// Keys the table's hashes; SipHash with random keys, because ids come from outside.
    hasher: std::hash::RandomState,
    /// Every appointment, in the order it was first inserted.
    records: Vec<(AppointmentId, Appointment)>,
    /// Indices into `records`, hashed by their id.
    table: HashTable<u32>,
}

impl Remembered {
    fn hash(&self, id: &AppointmentId) -> u64 {
        self.hasher.hash_one(id.as_str())
    }

    fn find(&self, hash: u64, id: &AppointmentId) -> Option<usize> {
        let records = &self.records;
        let found = self.table.find(hash, |&i| records[i as usize].0 == *id)?;
        Some(*found as usize)
    }

    /// What is remembered of `id`.
    pub(super) fn get(&self, id: &AppointmentId) -> Option<Appointment> {
        self.find(self.hash(id), id).map(|i| self.records[i].1)
    }

    /// Remembers `appointment` for `id`, replacing what was remembered before; whether `id` was new.
    pub(super) fn insert(&mut self, id: AppointmentId, appointment: Appointment) -> bool {
        let hash = self.hash(&id);
        if let Some(i) = self.find(hash, &id) {
            self.records[i].1 = appointment;
            return false;
        }
        let index = u32::try_from(self.records.len()).expect("fewer than 2^32 appointments in one office");
        self.records.push((id, appointment));
        let (hasher, records) = (&self.hasher, &self.records);
        self.table.insert_unique(hash, index, |&i| hasher.hash_one(records[i as usize].0.as_str()));
        true
    }

    /// Takes in every record of `other`, its versions winning.
    pub(super) fn extend(&mut self, other: Remembered) {
        let (hasher, records) = (&self.hasher, &self.records);
        self.table.reserve(other.records.len(), |&i| hasher.hash_one(records[i as usize].0.as_str()));
        for (id, appointment) in other.records {
            self.insert(id, appointment);
        }
    }

    /// How many appointments are remembered.
    pub(super) fn len(&self) -> usize {
        self.records.len()
    }
}

impl PartialEq for Remembered {
    /// The same ids with the same appointments, in whatever order they came.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.records.iter().all(|(id, a)| other.get(id) == Some(*a))
    }
}

impl Eq for Remembered {}

impl fmt::Debug for Remembered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.records.iter().map(|(id, a)| (id, a))).finish()
    }
}

/// Written as a map from id to appointment, in the order of booking: the same bytes for the same book.
impl Serialize for Remembered {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.records.len()))?;
        for (id, appointment) in &self.records {
            map.serialize_entry(id, appointment)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Remembered {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Records;

        impl<'de> Visitor<'de> for Records {
            type Value = Remembered;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of appointment ids to appointments")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Remembered, A::Error> {
                // The length comes from the bytes read: trusted only as far as what a few megabytes hold.
                let expected = map.size_hint().unwrap_or(0).min(1 << 16);
                let mut remembered = Remembered::default();
                remembered.records.reserve(expected);
                while let Some((id, appointment)) = map.next_entry::<AppointmentId, Appointment>()? {
                    if !remembered.insert(id, appointment) {
                        return Err(serde::de::Error::custom("an appointment id is written twice"));
                    }
                }
                remembered.records.shrink_to_fit();
                Ok(remembered)
            }
        }

        d.deserialize_map(Records)
    }
}

#[cfg(test)]
mod tests {
    use super::super::Stage;
    use super::*;

    fn id(s: &str) -> AppointmentId {
        AppointmentId::parse(s).expect("a valid id")
    }

    fn booked(second: i64) -> Appointment {
        use chrono::TimeZone as _;
        let at = chrono::FixedOffset::east_opt(3600).expect("+01:00").timestamp_opt(second, 7).single();
        Appointment { stage: Stage::Booked, booked_at: at.expect("a valid instant") }
    }

    #[test]
    fn answers_like_a_map_through_growth_and_a_round_trip() {
        let mut remembered = Remembered::default();
        let mut map = std::collections::HashMap::new();
        for i in 0..5_000i64 {
            let key = id(&format!("A-{}", i % 3_000));
            let mut value = booked(i);
            if i >= 3_000 {
                value.stage = Stage::Attended;
            }
            remembered.insert(key.clone(), value);
            map.insert(key, value);
        }
        assert_eq!(remembered.len(), map.len());
        for (key, value) in &map {
            assert_eq!(remembered.get(key), Some(*value));
        }
        assert_eq!(remembered.get(&id("A-3000")), None);

        let bytes = postcard::to_allocvec(&remembered).expect("encodes");
        let back: Remembered = postcard::from_bytes(&bytes).expect("decodes");
        assert_eq!(back, remembered);
        assert_eq!(postcard::to_allocvec(&back).expect("encodes"), bytes, "the same bytes for the same book");
        // As a map it reads back as one: the format did not change with the representation.
        let as_map: std::collections::HashMap<AppointmentId, Appointment> =
            postcard::from_bytes(&bytes).expect("decodes as a map");
        assert_eq!(as_map, map);
    }

    #[test]
    fn extend_lets_the_newer_version_win() {
        let mut base = Remembered::default();
        base.insert(id("a"), booked(1));
        base.insert(id("b"), booked(2));
        let mut delta = Remembered::default();
        delta.insert(id("b"), Appointment { stage: Stage::Cancelled, ..booked(2) });
        delta.insert(id("c"), booked(3));
        base.extend(delta);
        assert_eq!(base.len(), 3);
        assert_eq!(base.get(&id("b")).map(|a| a.stage), Some(Stage::Cancelled));
        assert_eq!(base.get(&id("c")), Some(booked(3)));
    }

    #[test]
    fn an_id_written_twice_is_refused() {
        let twice = [("a", booked(1)), ("a", booked(2))];
        let pairs: Vec<(AppointmentId, Appointment)> = twice.iter().map(|(k, v)| (id(k), *v)).collect();
        // postcard writes a map as its length and the pairs in turn, as it writes a sequence of pairs.
        let bytes = postcard::to_allocvec(&pairs).expect("encodes");
        assert!(postcard::from_bytes::<Remembered>(&bytes).is_err(), "a duplicate id is an error");
        assert!(postcard::from_bytes::<Remembered>(&bytes[..bytes.len() - 1]).is_err(), "so is a cut record");
    }
}
