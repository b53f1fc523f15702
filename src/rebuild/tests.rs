//! The pipelined rebuild against the plain fold of the same entries: every office's rows, summary and
//! attribution, the position and the digest; with bounds, from a base projection, across many batch boundaries,
//! and with a damaged log.

use proptest::prelude::*;

use super::*;
use crate::log::Head;
use crate::projection::Config;
use crate::sample;

fn stored(seed: u64, n: usize) -> (tempfile::TempDir, Log) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let log = Log::open(dir.path()).expect("opens");
    for piece in sample::events(seed, n).chunks(700) {
        log.append(piece.to_vec()).expect("appends");
    }
    (dir, log)
}

/// The plain fold of positions 1..=until, and the digest stored at `until`.
fn plain(log: &Log, until: u64) -> (Projection, Digest) {
    let entries: Vec<Entry> = log.scan(1).take(until as usize).map(|e| e.expect("reads")).collect();
    let digest = entries.last().map_or([0; 32], |e| e.digest);
    (Projection::from_entries(Config::default(), entries.iter().map(|e| (e.position, &e.event))), digest)
}

fn same_figures(expected: &Projection, actual: &Projection) -> Result<(), TestCaseError> {
    prop_assert_eq!(expected.position(), actual.position());
    let offices = expected.offices();
    prop_assert_eq!(&offices, &actual.offices());
    for info in &offices {
        let (o, first, last) = (&info.office, info.first_event_date, info.last_event_date + chrono::Days::new(30));
        prop_assert_eq!(expected.series(o, first, last), actual.series(o, first, last), "series of {}", o);
        prop_assert_eq!(expected.summary(o, info.last_event_date), actual.summary(o, info.last_event_date));
        prop_assert_eq!(expected.attribution(o, first, last), actual.attribution(o, first, last));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Known at any position, built in one go or from an earlier projection, in batches of any size.
    #[test]
    fn the_pipelined_rebuild_equals_the_plain_fold(
        seed in 0u64..1_000,
        n in 1usize..1_500,
        cut in 0.0f64..=1.0,
        base in 0.0f64..=1.0,
        batch in 1usize..300,
    ) {
        let (_dir, log) = stored(seed, n);
        let until = (n as f64 * cut).round() as u64;
        let (expected, digest) = plain(&log, until);

        let rebuilt = fold_in_batches(&log, Projection::new(Config::default()), [0; 32], until, batch)
            .expect("reads");
        prop_assert_eq!((rebuilt.position, rebuilt.digest), (until, digest));
        same_figures(&expected, &rebuilt.projection)?;

        let base = (until as f64 * base).round() as u64;
        let (start, start_digest) = plain(&log, base);
        let continued = fold_in_batches(&log, start, start_digest, until, batch).expect("reads");
        prop_assert_eq!((continued.position, continued.digest), (until, digest));
        same_figures(&expected, &continued.projection)?;
    }
}

#[test]
fn a_whole_log_past_several_default_batches_folds_to_its_head() {
    let (_dir, log) = stored(7, 2 * BATCH + 123);
    let head = log.head();
    let (expected, _) = plain(&log, head.position);
    let rebuilt = fold(&log, Projection::new(Config::default()), [0; 32], u64::MAX).expect("reads");
    assert_eq!(Head { position: rebuilt.position, digest: rebuilt.digest }, head);
    same_figures(&expected, &rebuilt.projection).expect("the same figures");
}

#[test]
fn a_damaged_entry_is_an_error_naming_its_position() {
    let (_dir, log) = stored(11, 1_000);
    log.damage_chunk_holding(500);
    for batch in [1, 64, BATCH] {
        let error = fold_in_batches(&log, Projection::new(Config::default()), [0; 32], 1_000, batch)
            .expect_err("a damaged log does not fold");
        let ReadError::Corrupt { position, .. } = error else { panic!("not a decoding error: {error}") };
        assert!((437..=500).contains(&position), "the damaged chunk holds 500, the error names {position}");
        // Below the damage, the log still folds.
        let rebuilt = fold_in_batches(&log, Projection::new(Config::default()), [0; 32], 400, batch).expect("reads");
        assert_eq!(rebuilt.position, 400);
    }
}
