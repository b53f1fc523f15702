//! The pipelined rebuild against the plain fold of the same entries: every office's rows, summary and
//! attribution, the position and the digest; with bounds, from a base projection, across many batch boundaries,
//! and with a damaged log.

use chrono::NaiveDate;
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

/// Writes the plain fold of 1..=position as a checkpoint of `log`.
fn checkpoint_at(log: &Log, position: u64) -> Written {
    let (projection, digest) = plain(log, position);
    write_checkpoint(log, &projection, &digest).expect("writes a checkpoint")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// Opening at any position starts from the newest checkpoint at or below it (of the three kept) and gives the
    /// figures of the plain fold of 1..=position: `known_at` included.
    #[test]
    fn opening_starts_from_the_newest_checkpoint_at_or_below_and_equals_the_plain_fold(
        seed in 0u64..1_000,
        n in 1usize..1_200,
        marks in proptest::collection::vec(0.0f64..=1.0, 1..5),
        at in 0.0f64..=1.0,
    ) {
        let (_dir, log) = stored(seed, n);
        let mut made: Vec<u64> = marks.iter().map(|m| (n as f64 * m).round() as u64).collect();
        made.sort_unstable();
        made.dedup();
        for &position in &made {
            checkpoint_at(&log, position);
        }
        let kept: Vec<u64> = made.iter().rev().take(CHECKPOINTS_KEPT).copied().collect();
        let listed: Vec<u64> = log.checkpoints().list().expect("lists").iter().map(|s| s.position).collect();
        prop_assert_eq!(&listed, &kept);

        let until = (n as f64 * at).round() as u64;
        let opened = open(&log, Config::default(), until).expect("reads");
        prop_assert_eq!(opened.checkpoint, kept.iter().copied().find(|p| *p <= until));
        prop_assert!(opened.skipped.is_empty());
        let (expected, digest) = plain(&log, until);
        prop_assert_eq!((opened.rebuilt.position, opened.rebuilt.digest), (until, digest));
        same_figures(&expected, &opened.rebuilt.projection)?;
    }
}

#[test]
fn a_checkpoint_with_a_flipped_byte_is_passed_over_for_an_older_one_or_the_log() {
    let (_dir, log) = stored(3, 1_500);
    let (expected, _) = plain(&log, 1_500);
    checkpoint_at(&log, 600);
    let newest = checkpoint_at(&log, 1_200).stored;
    let mut bytes = std::fs::read(&newest.path).expect("reads");
    for at in [0, 30, bytes.len() / 2, bytes.len() - 1] {
        bytes[at] ^= 0x10;
        std::fs::write(&newest.path, &bytes).expect("writes");
        let opened = open(&log, Config::default(), 1_500).expect("reads");
        assert_eq!(opened.checkpoint, Some(600), "byte {at} flipped");
        assert_eq!(opened.skipped.len(), 1);
        assert_eq!(opened.skipped[0].path, newest.path);
        assert!(opened.skipped[0].reason.contains("damaged") || opened.skipped[0].reason.contains("not a checkpoint"));
        same_figures(&expected, &opened.rebuilt.projection).expect("the same figures");
        bytes[at] ^= 0x10;
    }
}

#[test]
fn a_checkpoint_of_another_log_format_or_configuration_is_passed_over_with_its_reason() {
    let (_dir, log) = stored(5, 800);
    let (_other_dir, other) = stored(6, 800);
    let (expected, _) = plain(&log, 800);
    let reason_at = |position: u64| {
        let opened = open(&log, Config::default(), 800).expect("reads");
        assert_eq!(opened.checkpoint, None);
        same_figures(&expected, &opened.rebuilt.projection).expect("the same figures");
        let skipped = opened.skipped.into_iter().find(|s| s.path.ends_with(format!("{position:020}.ckpt")));
        skipped.expect("passed over").reason
    };

    // Another log's checkpoint, copied in: its digest at 700 is not this log's.
    let foreign = checkpoint_at(&other, 700).stored;
    std::fs::create_dir_all(log.checkpoints().dir()).expect("makes the directory");
    std::fs::copy(&foreign.path, log.checkpoints().dir().join(foreign.path.file_name().expect("a name")))
        .expect("copies");
    assert!(reason_at(700).contains("does not belong to this log"));

    // Made with another horizon.
    let (_, digest) = plain(&log, 500);
    let shorter = Projection::from_entries(
        Config { horizon_days: 30, ..Config::default() },
        log.scan(1).take(500).map(|e| e.expect("reads")).collect::<Vec<_>>().iter().map(|e| (e.position, &e.event)),
    );
    write_checkpoint(&log, &shorter, &digest).expect("writes");
    assert!(reason_at(500).contains("horizon 30 days"));

    // A body of another projection format, framed correctly.
    let (projection, digest) = plain(&log, 300);
    log.checkpoints()
        .write(300, &digest, |out| {
            let mut body = Vec::new();
            checkpoint::encode(&projection, &mut body)?;
            body[0] = 99;
            out.write_all(&body)
        })
        .expect("writes");
    assert!(reason_at(300).contains("projection format 99"));
}

#[test]
fn a_checkpoint_is_due_after_so_many_events_and_a_tenth_of_the_log() {
    assert!(!checkpoint_due(100_000, 0, 99_999));
    assert!(checkpoint_due(100_000, 0, 100_000));
    assert!(checkpoint_due(100_000, 900_000, 1_000_000), "a tenth of 900,000 is less than 100,000");
    assert!(!checkpoint_due(100_000, 10_000_000, 10_900_000), "a long log waits for a tenth of its length");
    assert!(checkpoint_due(100_000, 10_000_000, 11_000_000));
    assert!(!checkpoint_due(0, 0, u64::MAX), "0 writes none");
}

#[test]
fn one_office_opened_from_a_checkpoint_answers_as_the_whole_and_is_never_written_as_one() {
    let (_dir, log) = stored(7, 900);
    checkpoint_at(&log, 600);
    let (whole, _) = plain(&log, 900);
    let (from, to) = (NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(), NaiveDate::from_ymd_opt(2020, 12, 31).unwrap());
    for info in whole.offices() {
        let opened = open_scoped(&log, Config::default(), 900, Some(&info.office)).expect("reads");
        assert_eq!(opened.checkpoint, Some(600));
        let one = &opened.rebuilt.projection;
        assert_eq!(one.offices(), vec![info.clone()]);
        assert_eq!(one.series(&info.office, from, to), whole.series(&info.office, from, to));
        assert_eq!(one.summary(&info.office, to), whole.summary(&info.office, to));
        let refused = write_checkpoint(&log, one, &opened.rebuilt.digest).expect_err("a part is no checkpoint");
        assert!(refused.to_string().contains("alone is not a checkpoint"), "{refused}");
    }
    assert_eq!(log.checkpoints().list().expect("lists").len(), 1);
}
