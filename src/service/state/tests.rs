//! Folding appended batches straight from the handler's events: concurrent appenders, idempotent resends and
//! appenders that never come round to folding still leave a projection that is exactly the fold of the log.

use crate::domain::time::Zone;
use crate::log::{Head, Log};
use crate::projection::{Config as ProjectionConfig, Projection};
use crate::service::state::State;
use crate::service::{Config, Token};

fn answers(projection: &Projection) -> String {
    let mut out = serde_json::to_string(&projection.offices()).unwrap();
    for office in projection.offices() {
        let (from, to) = (office.first_event_date, office.last_event_date);
        out += &serde_json::to_string(&projection.series(&office.office, from, to)).unwrap();
        out += &serde_json::to_string(&projection.attribution(&office.office, from, to)).unwrap();
    }
    out
}

fn from_scratch(log: &Log) -> String {
    let entries: Vec<_> = log.scan(1).map(|e| e.expect("reads")).collect();
    answers(&Projection::from_entries(ProjectionConfig::default(), entries.iter().map(|e| (e.position, &e.event))))
}

#[test]
fn concurrent_appends_with_resends_fold_to_the_log_in_log_order() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let log = Log::open(dir.path()).expect("opens");
    let state = State::new(Config::new(Zone::default(), Token::new("t")), log.clone()).expect("a state");
    state.catch_up().expect("reads");
    std::thread::scope(|scope| {
        for writer in 0..4u64 {
            let state = &state;
            scope.spawn(move || {
                let stream = crate::sample::events(100 + writer, 600);
                for (round, batch) in stream.chunks(30).enumerate() {
                    // Every other batch resends the tail of the one before: duplicates amid new events.
                    let start = if round % 2 == 1 { round * 30 - 10 } else { round * 30 };
                    let sent = stream[start..round * 30 + batch.len()].to_vec();
                    let receipt = state.log.append(sent.clone()).expect("a valid batch");
                    // The fourth writer's every third batch is never folded by its own appender (a handler that
                    // went away after the append): a later appender reads it from the log.
                    if writer == 3 && round % 3 == 0 {
                        continue;
                    }
                    state.fold_appended(&receipt, &sent).expect("reads");
                    let current = state.read();
                    assert!(current.projection.position() >= receipt.last_position, "reads its own writes");
                }
            });
        }
    });
    state.catch_up().expect("reads");
    let head = log.head();
    let current = state.read();
    assert_eq!(head.position, 4 * 600);
    assert_eq!(Head { position: current.projection.position(), digest: current.digest }, head);
    assert_eq!(answers(&current.projection), from_scratch(&log));
}

#[test]
fn a_batch_of_duplicates_only_folds_nothing_twice() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let log = Log::open(dir.path()).expect("opens");
    let state = State::new(Config::new(Zone::default(), Token::new("t")), log.clone()).expect("a state");
    state.catch_up().expect("reads");
    let events = crate::sample::events(9, 200);
    let receipt = log.append(events.clone()).expect("appends");
    state.fold_appended(&receipt, &events).expect("reads");
    let again = log.append(events.clone()).expect("a resend is accepted");
    assert_eq!((again.appended, again.duplicates), (0, 200));
    state.fold_appended(&again, &events).expect("reads");
    let current = state.read();
    assert_eq!((current.projection.position(), current.digest), (200, log.head().digest));
    assert_eq!(answers(&current.projection), from_scratch(&log));
}
