//! The cache answers exactly what a projection folded from scratch over the same prefix of the log answers, in
//! whatever order positions are asked for; and it stays within its bounds.

use std::sync::Arc;

use chrono::NaiveDate;
use proptest::prelude::*;

use crate::domain::time::Zone;
use crate::log::Log;
use crate::projection::{Config as ProjectionConfig, Projection};
use crate::service::known_at::{CAPACITY, KnownAtCache, LOG_MULTIPLE};
use crate::service::state::{Current, State};
use crate::service::{Config, Token};

const EVENTS: usize = 1_500;

/// One log of sample events shared by every case (sled allows one opener per directory; cases only read).
fn log() -> &'static (Log, tempfile::TempDir) {
    static LOG: std::sync::OnceLock<(Log, tempfile::TempDir)> = std::sync::OnceLock::new();
    LOG.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let log = Log::open(dir.path()).expect("opens");
        log.append(crate::sample::events(7, EVENTS)).expect("a valid sample");
        (log, dir)
    })
}

fn fresh_state() -> State {
    let (log, _) = log();
    let state = State::new(Config::new(Zone::default(), Token::new("t")), log.clone()).expect("a state");
    state.catch_up().expect("the log reads");
    state
}

/// Everything the API can ask of a projection for its offices, as one comparable value.
fn answers(projection: &Projection) -> String {
    let (from, to) = (NaiveDate::from_ymd_opt(2019, 12, 30).unwrap(), NaiveDate::from_ymd_opt(2020, 3, 31).unwrap());
    let offices = projection.offices();
    let mut out = serde_json::to_string(&offices).unwrap();
    for office in &offices {
        out += &serde_json::to_string(&projection.series(&office.office, from, to)).unwrap();
        out += &serde_json::to_string(&projection.attribution(&office.office, from, to)).unwrap();
    }
    out
}

fn from_scratch(position: u64) -> (String, String) {
    let (log, _) = log();
    let entries: Vec<_> = log.scan(1).take(position as usize).map(|e| e.expect("reads")).collect();
    let digest = entries.last().map_or([0; 32], |e| e.digest);
    let projection =
        Projection::from_entries(ProjectionConfig::default(), entries.iter().map(|e| (e.position, &e.event)));
    (answers(&projection), hex::encode(digest))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Asked in any order, with repeats, the cache's projection at P equals the one folded from positions 1..=P.
    #[test]
    fn known_at_equals_a_projection_folded_from_scratch(positions in prop::collection::vec(0..=EVENTS as u64, 1..8)) {
        let state = fresh_state();
        for position in positions {
            let known = state.projection_at(position).expect("reads");
            let (expected, digest) = from_scratch(position);
            prop_assert_eq!(known.projection.position(), position);
            prop_assert_eq!(&known.provenance().digest, &digest);
            prop_assert!(answers(&known.projection) == expected, "known_at={} differs from scratch", position);
            prop_assert!(state.known_at_positions().len() <= CAPACITY);
        }
    }
}

#[test]
fn the_same_position_twice_is_the_same_projection_and_the_head_equals_the_live_one() {
    let state = fresh_state();
    let first = state.projection_at(600).unwrap();
    let second = state.projection_at(600).unwrap();
    assert!(Arc::ptr_eq(&first, &second), "the second request is answered from the cache");
    let head = state.log.head().position;
    let at_head = state.projection_at(head).unwrap();
    assert_eq!(answers(&at_head.projection), answers(&state.read().projection));
    assert_eq!(at_head.provenance(), state.read().provenance());
}

fn known(position: u64) -> Arc<Current> {
    let (log, _) = log();
    let entries: Vec<_> = log.scan(1).take(position as usize).map(|e| e.unwrap()).collect();
    let projection =
        Projection::from_entries(ProjectionConfig::default(), entries.iter().map(|e| (e.position, &e.event)));
    Arc::new(Current { projection, digest: [0; 32] })
}

#[test]
fn the_least_recently_used_goes_first_and_the_events_held_stay_bounded() {
    let cache = KnownAtCache::new();
    for p in [10, 20, 30, 40] {
        cache.insert(known(p), 1_000);
    }
    assert!(cache.get(10).is_some());
    cache.insert(known(50), 1_000);
    assert_eq!(cache.positions(), vec![30, 40, 10, 50], "20 was used least recently");
    assert_eq!(cache.nearest_below(35).map(|c| c.projection.position()), Some(30));
    assert!(cache.nearest_below(10).is_none());

    // A log of 60 events allows 120 held: with 60 added, 30 and 40 go (190 → 120) and 10 + 50 + 60 stay.
    cache.insert(known(60), 60);
    assert_eq!(cache.positions(), vec![10, 50, 60]);
    assert_eq!(cache.positions().iter().sum::<u64>(), LOG_MULTIPLE * 60);
    // A projection larger than the budget on its own is not kept.
    cache.insert(known(200), 60);
    assert!(!cache.positions().contains(&200));
}
