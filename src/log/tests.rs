//! Unit tests of the log against a temporary directory; the black-box properties are in `tests/ledger.rs`.

use super::*;
use crate::sample;

fn fresh() -> (tempfile::TempDir, Log) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let log = Log::open(dir.path()).expect("opens");
    (dir, log)
}

#[test]
fn positions_start_at_one_and_the_chain_starts_at_zero() {
    let (_dir, log) = fresh();
    assert_eq!(log.head(), Head::EMPTY);
    let events = sample::events(1, 10);
    let receipt = log.append(events.clone()).expect("appends");
    assert_eq!((receipt.appended, receipt.first_position, receipt.last_position), (10, Some(1), 10));
    let mut digest = [0u8; 32];
    for (i, entry) in log.scan(1).enumerate() {
        let entry = entry.expect("reads");
        assert_eq!(entry.position, i as u64 + 1);
        digest = codec::chain(&digest, entry.position, &codec::event_bytes(&events[i]));
        assert_eq!(entry.digest, digest);
    }
    assert_eq!(log.verify().expect("verifies"), Head { position: 10, digest });
    assert_eq!(receipt.digest, digest);
}

#[test]
fn reopening_rebuilds_the_rules() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let events = sample::events(2, 300);
    {
        let log = Log::open(dir.path()).expect("opens");
        log.append(events[..200].to_vec()).expect("appends");
    }
    let log = Log::open(dir.path()).expect("opens again");
    assert_eq!(log.head().position, 200);
    // The rest only passes if the bookings of the first part are known again.
    let receipt = log.append(events[150..].to_vec()).expect("appends the rest");
    assert_eq!((receipt.duplicates, receipt.appended, receipt.last_position), (50, 100, 300));
}

#[test]
fn scan_from_the_middle_and_past_the_end() {
    let (_dir, log) = fresh();
    log.append(sample::events(3, 20)).expect("appends");
    let positions: Vec<u64> = log.scan(15).map(|e| e.expect("reads").position).collect();
    assert_eq!(positions, [15, 16, 17, 18, 19, 20]);
    assert_eq!(log.scan(21).count(), 0);
    assert_eq!(log.scan(0).count(), 20);
}
