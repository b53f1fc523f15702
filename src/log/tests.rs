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

/// A data directory holding a log of `events`, closed again.
fn closed_log_of(events: &[crate::domain::event::Event]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    Log::open(dir.path()).expect("opens").append(events.to_vec()).expect("appends");
    dir
}

#[test]
fn reopening_rebuilds_the_rules() {
    let events = sample::events(2, 300);
    let dir = closed_log_of(&events[..200]);
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

fn open_with_rules_in_background(dir: &std::path::Path) -> Log {
    Log::open_with(dir, Options { rules_in_background: true, ..Options::default() }).expect("opens")
}

#[test]
fn rules_loaded_in_the_background_judge_the_first_append_as_if_loaded_on_open() {
    let events = sample::events(4, 30_000);
    let dir = closed_log_of(&events[..20_000]);
    let log = open_with_rules_in_background(dir.path());
    // The head and the entries are there at once, whether or not the rule state is yet.
    assert_eq!(log.head().position, 20_000);
    assert_eq!(log.scan(19_999).count(), 2);
    // The first append waits for the rule state: resends are duplicates, and the rest needs the bookings of the
    // first part.
    let receipt = log.append(events[19_000..].to_vec()).expect("appends the rest");
    assert_eq!((receipt.duplicates, receipt.appended, receipt.last_position), (1_000, 10_000, 30_000));
    let unknown = sample::events(5, 40)
        .into_iter()
        .find(|e| matches!(e.kind, crate::domain::event::EventKind::AppointmentCancelled { .. }));
    let refused = log.append(unknown.into_iter().collect());
    assert!(matches!(refused, Err(AppendError::Rejected(_))), "{refused:?}");
    assert_eq!(log.verify().expect("verifies").position, 30_000);
}

#[test]
fn a_log_dropped_while_its_rules_load_lets_the_directory_be_opened_again_at_once() {
    let dir = closed_log_of(&sample::events(6, 50_000));
    for _ in 0..3 {
        drop(open_with_rules_in_background(dir.path()));
    }
    let log = open_with_rules_in_background(dir.path());
    assert_eq!(log.check(&sample::events(6, 10)).expect("checks").map(|o| o.len()).ok(), Some(10));
}

#[test]
fn a_rule_state_checkpoint_gives_the_rule_state_and_id_index_of_the_whole_log_and_a_damaged_one_is_passed_over() {
    let events = sample::events(8, 12_000);
    for damaged in [false, true] {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let whole_book = {
            let log = Log::open(dir.path()).expect("opens");
            log.append(events[..6_000].to_vec()).expect("appends");
            let stored = log.write_rules_checkpoint().expect("writes").expect("a checkpoint at the head");
            assert_eq!(stored.position, 6_000);
            log.append(events[6_000..9_000].to_vec()).expect("appends past the checkpoint");
            log.inner.shared.book.read().unwrap().clone()
        };
        if damaged {
            let stored = &checkpoints::Checkpoints::of_rules(dir.path()).list().expect("lists")[0];
            let mut bytes = std::fs::read(&stored.path).expect("reads");
            let middle = bytes.len() / 2;
            bytes[middle] ^= 0x20;
            std::fs::write(&stored.path, bytes).expect("writes");
        }
        // Opened in the foreground (as `import` does) and in the background (as `serve` does), the same book as
        // the whole log's (every appointment's stage and booking time, every closure) ...
        let log = Log::open(dir.path()).expect("opens");
        assert_eq!(*log.inner.shared.book.read().unwrap(), whole_book, "damaged: {damaged}");
        drop(log);
        let log = open_with_rules_in_background(dir.path());
        log.inner.shared.wait_for_rules().expect("loads");
        assert_eq!(*log.inner.shared.book.read().unwrap(), whole_book, "damaged: {damaged}");
        // ... and an index that finds every stored id: the log sent again is all duplicates, and the rest needs
        // the bookings from before and after the checkpoint.
        let outcomes = log.check(&events[..9_000]).expect("checks").expect("accepted");
        assert!(outcomes.iter().all(|o| matches!(o, Outcome::Duplicate(_))), "damaged: {damaged}");
        let receipt = log.append(events[8_000..].to_vec()).expect("appends the rest");
        assert_eq!((receipt.duplicates, receipt.appended), (1_000, 3_000), "damaged: {damaged}");
    }
}

#[test]
fn a_rule_state_read_from_a_long_stretch_of_the_log_is_written_as_a_checkpoint_at_once() {
    let events = sample::events(9, 3_000);
    let rules_checkpoints = |dir: &std::path::Path| {
        checkpoints::Checkpoints::of_rules(dir).list().expect("lists").iter().map(|s| s.position).collect::<Vec<_>>()
    };
    let dir = closed_log_of(&events[..2_000]);
    let open = |after: u64| {
        let options = Options { rules_in_background: true, rules_checkpoint_after: after, ..Options::default() };
        Log::open_with(dir.path(), options).expect("opens")
    };
    // Fewer entries read than the bound, or the bound 0: nothing is written.
    for after in [5_000, 0] {
        let log = open(after);
        log.inner.shared.wait_for_rules().expect("loads");
        drop(log); // closing waits for the loader, and so for a write it started
        assert_eq!(rules_checkpoints(dir.path()), Vec::<u64>::new(), "bound {after}");
    }
    // More: one at the head as soon as the rule state is in, which the next start reads instead of the log.
    let log = open(1_000);
    log.inner.shared.wait_for_rules().expect("loads");
    drop(log);
    assert_eq!(rules_checkpoints(dir.path()), [2_000]);
    let log = open(1_000);
    let receipt = log.append(events[1_500..].to_vec()).expect("appends the rest");
    assert_eq!((receipt.duplicates, receipt.appended), (500, 1_000));
    drop(log);
    assert_eq!(rules_checkpoints(dir.path()), [2_000], "nothing read from the log, nothing new written");
}
