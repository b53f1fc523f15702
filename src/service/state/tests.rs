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

fn checkpointing_state(log: &Log, every_events: u64) -> State {
    let mut config = Config::new(Zone::default(), Token::new("t"));
    config.checkpoints = crate::service::Checkpointing { every_events, every: std::time::Duration::from_secs(3600) };
    State::new(config, log.clone()).expect("a state")
}

fn append_and_fold(state: &State, events: Vec<crate::domain::event::Event>) {
    let receipt = state.log.append(events.clone()).expect("a valid batch");
    state.fold_appended(&receipt, &events).expect("reads");
    state.note_appended();
}

#[test]
fn a_checkpoint_is_written_when_due_and_the_next_start_folds_only_what_came_after() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let log = Log::open(dir.path()).expect("opens");
    let stream = crate::sample::events(9, 3_000);
    log.append(stream[..2_500].to_vec()).expect("appends");
    let state = checkpointing_state(&log, 1_000);
    state.initial_build();
    assert_eq!(*state.checkpoint_position().borrow(), 0, "no checkpoint yet");
    assert_eq!(state.checkpoint_if_due(false), Some(2_500));
    // The rule state and the id index were written beside it.
    let rules = crate::log::checkpoints::Checkpoints::of_rules(dir.path()).list().expect("lists");
    assert_eq!(rules.iter().map(|s| s.position).collect::<Vec<_>>(), [2_500]);
    append_and_fold(&state, stream[2_500..].to_vec());
    assert_eq!(state.checkpoint_if_due(false), None, "500 events since the last one are fewer than 1,000");
    assert_eq!(state.checkpoint_if_due(true), Some(3_000), "the interval passed: whatever is new");
    assert_eq!(state.checkpoint_if_due(true), None, "nothing new");
    drop(state);

    let restarted = checkpointing_state(&log, 1_000);
    restarted.initial_build();
    assert!(restarted.is_ready());
    assert_eq!(*restarted.checkpoint_position().borrow(), 3_000);
    assert_eq!(answers(&restarted.read().projection), from_scratch(&log));
    // `known_at` below the checkpoints is still the fold of exactly those positions.
    let known = restarted.projection_at(2_700).expect("reads");
    let entries: Vec<_> = log.scan(1).take(2_700).map(|e| e.expect("reads")).collect();
    let expected =
        Projection::from_entries(ProjectionConfig::default(), entries.iter().map(|e| (e.position, &e.event)));
    assert_eq!(answers(&known.projection), answers(&expected));
    drop(restarted);

    // Damaged checkpoints are passed over on the next start (it folds the log), and a new one is made.
    for damaged in log.checkpoints().list().expect("lists") {
        let mut bytes = std::fs::read(&damaged.path).expect("reads");
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x01;
        std::fs::write(&damaged.path, &bytes).expect("writes");
    }
    let after_damage = checkpointing_state(&log, 1_000);
    after_damage.initial_build();
    assert_eq!(*after_damage.checkpoint_position().borrow(), 0, "none was usable");
    assert_eq!(answers(&after_damage.read().projection), from_scratch(&log));
    assert_eq!(after_damage.checkpoint_if_due(true), Some(3_000));
    assert!(log.read_checkpoint(&log.checkpoints().list().expect("lists")[0]).is_ok(), "the new one is whole");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_checkpointer_writes_in_the_background_after_appends() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let log = Log::open(dir.path()).expect("opens");
    let state = std::sync::Arc::new(checkpointing_state(&log, 1_000));
    state.initial_build();
    tokio::spawn(crate::service::state::checkpoints(std::sync::Arc::downgrade(&state)));
    let mut written = state.checkpoint_position();
    let stream = crate::sample::events(12, 1_500);
    for batch in stream.chunks(300) {
        let (state, batch) = (std::sync::Arc::clone(&state), batch.to_vec());
        tokio::task::spawn_blocking(move || append_and_fold(&state, batch)).await.expect("folds");
    }
    let reached = tokio::time::timeout(std::time::Duration::from_secs(60), written.wait_for(|p| *p >= 1_200)).await;
    assert!(reached.is_ok(), "no checkpoint within a minute");
    let newest = log.checkpoints().list().expect("lists");
    assert!(newest[0].position >= 1_200, "{newest:?}");
}

#[test]
fn a_checkpoint_that_cannot_be_written_is_not_tried_again_at_every_append() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let log = Log::open(dir.path()).expect("opens");
    log.append(crate::sample::events(14, 1_500)).expect("appends");
    // A file where the checkpoints' directory belongs: every write fails.
    std::fs::write(dir.path().join(crate::log::checkpoints::DIR), b"in the way").expect("writes");
    let state = checkpointing_state(&log, 1_000);
    state.initial_build();
    assert_eq!(state.checkpoint_if_due(false), None);
    assert_eq!(state.metrics.checkpoint_failures.get(), 1);
    std::fs::remove_file(dir.path().join(crate::log::checkpoints::DIR)).expect("removes");
    assert_eq!(state.checkpoint_if_due(true), None, "not before the wait is over");
    assert_eq!(state.metrics.checkpoint_failures.get(), 1, "and not tried");
    assert!(state.is_ready(), "the service serves on");
}
