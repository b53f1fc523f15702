//! The log through the library: round trips, idempotency, all-or-nothing batches, concurrent appenders.

use std::collections::HashSet;

use proptest::prelude::*;
use wartezeit::domain::event::Event;
use wartezeit::domain::wire::{parse_event, to_json_line};
use wartezeit::log::{AppendError, Log};
use wartezeit::rules::Outcome;
use wartezeit::sample;

fn fresh() -> (tempfile::TempDir, Log) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let log = Log::open(dir.path()).expect("opens");
    (dir, log)
}

/// Appends `events` in batches of the given sizes (the last batch takes the rest).
fn append_in_batches(log: &Log, events: &[Event], sizes: &[usize]) {
    let mut rest = events;
    for size in sizes.iter().copied().chain(std::iter::once(usize::MAX)) {
        let take = size.min(rest.len());
        if take > 0 {
            log.append(rest[..take].to_vec()).expect("a valid batch is appended");
        }
        rest = &rest[take..];
    }
}

/// Every entry as `export --with-meta` would show it: position, recorded_at, digest, event line.
fn everything(log: &Log) -> Vec<(u64, String, String, String)> {
    log.scan(1)
        .map(|e| {
            let e = e.expect("reads");
            (e.position, e.recorded_at.to_rfc3339(), hex::encode(e.digest), to_json_line(&e.event))
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// `export | import` into an empty directory reproduces every digest, however the original was batched.
    #[test]
    fn export_then_import_reproduces_the_digests(seed in 0u64..1000, n in 1usize..400, sizes in prop::collection::vec(1usize..80, 0..8)) {
        let events = sample::events(seed, n);
        let (_a, original) = fresh();
        append_in_batches(&original, &events, &sizes);
        let exported: Vec<String> = original.scan(1).map(|e| to_json_line(&e.expect("reads").event)).collect();

        let (_b, copy) = fresh();
        let reparsed: Vec<Event> = exported.iter().map(|l| parse_event(l).expect("export is valid wire JSON")).collect();
        copy.append(reparsed).expect("the export is a valid batch");

        prop_assert_eq!(copy.head(), original.head());
        let digests = |log: &Log| log.scan(1).map(|e| e.expect("reads").digest).collect::<Vec<_>>();
        prop_assert_eq!(digests(&copy), digests(&original));
        prop_assert_eq!(copy.verify().expect("verifies"), original.head());
    }

    /// Sending everything again, batched differently, appends nothing and reports every event as a duplicate of
    /// its position.
    #[test]
    fn reimport_is_all_duplicates(seed in 0u64..1000, n in 1usize..300, sizes in prop::collection::vec(1usize..80, 0..6)) {
        let events = sample::events(seed, n);
        let (_dir, log) = fresh();
        log.append(events.clone()).expect("appends");
        let before = everything(&log);
        let mut rest = &events[..];
        let mut position = 1;
        for size in sizes.iter().copied().chain(std::iter::once(usize::MAX)) {
            let take = size.min(rest.len());
            if take == 0 { continue; }
            let receipt = log.append(rest[..take].to_vec()).expect("duplicates are a success");
            prop_assert_eq!(receipt.appended, 0);
            prop_assert_eq!(receipt.first_position, None);
            let want: Vec<Outcome> = (position..position + take as u64).map(Outcome::Duplicate).collect();
            prop_assert_eq!(receipt.outcomes, want);
            position += take as u64;
            rest = &rest[take..];
        }
        prop_assert_eq!(everything(&log), before);
    }

    /// A batch with one bad event among good ones is rejected whole and leaves every stored byte as it was.
    #[test]
    fn a_rejected_batch_changes_nothing(seed in 0u64..1000, n in 2usize..300, cut in any::<prop::sample::Index>(), bad in any::<prop::sample::Index>(), kind in 0u8..3) {
        let events = sample::events(seed, n);
        let cut = 1 + cut.index(n - 1);
        let (_dir, log) = fresh();
        log.append(events[..cut].to_vec()).expect("appends");
        let before = everything(&log);
        let head = log.head();

        let mut batch = events[cut..].to_vec();
        let bad_event = match kind {
            // An id already stored with other content: 409.
            0 => { let mut e = events[0].clone(); e.at += chrono::Duration::seconds(1); e }
            // A follow-up of an appointment nobody booked: 422.
            1 => parse_event(r#"{"event_id":"x-bad","type":"appointment_attended","at":"2020-06-01T10:00:00Z","office":"kl","appointment_id":"nobody"}"#).unwrap(),
            // A closure that ends before it starts: 422.
            _ => parse_event(r#"{"event_id":"x-bad","type":"closure_declared","at":"2020-06-01T10:00:00Z","office":"kl","closure_id":"c","first_day":"2020-06-10","last_day":"2020-06-09","cause":"other","reason":""}"#).unwrap(),
        };
        let at = bad.index(batch.len() + 1);
        batch.insert(at, bad_event);
        match log.append(batch) {
            Err(AppendError::Rejected(violations)) => {
                prop_assert_eq!(violations.len(), 1);
                prop_assert_eq!(violations[0].index, at);
            }
            other => prop_assert!(false, "expected a rejection, got {:?}", other),
        }
        prop_assert_eq!(log.head(), head);
        prop_assert_eq!(everything(&log), before);
        // The good events alone still go in afterwards, at the next positions.
        let receipt = log.append(events[cut..].to_vec()).expect("appends");
        prop_assert_eq!(receipt.first_position, Some(cut as u64 + 1));
    }
}

#[test]
fn eight_concurrent_appenders_lose_nothing_and_leave_no_gap() {
    let (_dir, log) = fresh();
    let streams: Vec<Vec<Event>> = (0..8).map(|seed| sample::events(100 + seed, 600)).collect();
    std::thread::scope(|scope| {
        for (i, stream) in streams.iter().enumerate() {
            let log = log.clone();
            scope.spawn(move || {
                // Different batch sizes per thread, so rounds mix small and large batches.
                for batch in stream.chunks(1 + i * 7) {
                    log.append(batch.to_vec()).expect("a valid batch is appended");
                }
            });
        }
    });
    let entries: Vec<_> = log.scan(1).map(|e| e.expect("reads")).collect();
    let total: usize = streams.iter().map(Vec::len).sum();
    assert_eq!(entries.len(), total);
    assert!(entries.iter().enumerate().all(|(i, e)| e.position == i as u64 + 1), "positions are gapless");
    let stored: HashSet<&str> = entries.iter().map(|e| e.event.id.as_str()).collect();
    assert_eq!(stored.len(), total);
    for stream in &streams {
        // Each appender's events are all there, in the order it sent them.
        let mine: HashSet<&str> = stream.iter().map(|e| e.id.as_str()).collect();
        let order: Vec<&str> = entries.iter().map(|e| e.event.id.as_str()).filter(|id| mine.contains(id)).collect();
        let sent: Vec<&str> = stream.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(order, sent);
    }
    assert_eq!(log.verify().expect("verifies").position, total as u64);
}

#[test]
fn a_dry_run_check_changes_nothing() {
    let (_dir, log) = fresh();
    let events = sample::events(5, 50);
    let outcomes = log.check(&events).expect("reads").expect("valid");
    assert_eq!(outcomes, (1..=50).map(Outcome::New).collect::<Vec<_>>());
    assert_eq!(log.head().position, 0);
    assert_eq!(log.scan(1).count(), 0);
}
