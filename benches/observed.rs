//! A week of a large public calendar observed every quarter of an hour (issue #13): 672 observations of a calendar
//! of 2,000 slots (six weeks of 8 hours × 6 slots, a few taken and given back between observations) as a wide
//! snapshot CSV, imported by the binary as a user runs it; the store's size on disk; and `series` of that week
//! (the API's rows, booked and observed) from the projection. Baseline in the same run: `series` of the same week
//! for an office without observations.
//!
//! `cargo bench --bench observed`. Targets: import under 2 s, under 5 MB on disk, `series` of the week under 10 ms.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use chrono::{Duration as Span, NaiveDate};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use wartezeit::domain::id::OfficeId;
use wartezeit::log::Log;
use wartezeit::projection::{Config, Projection};

const BIN: &str = env!("CARGO_BIN_EXE_wartezeit");
const OBSERVATIONS: usize = 672;

/// The wide CSV: slot columns from Tue 2021-07-13 on, 48 a working day; observation `i` at 2021-07-12 00:00 + 15 min
/// × i; a slot is free unless it is among the first that "got taken" by then, and a few flicker (given back).
fn wide_csv() -> String {
    let start = NaiveDate::from_ymd_opt(2021, 7, 13).unwrap().and_hms_opt(8, 0, 0).unwrap();
    let mut slots = Vec::new();
    let mut day = 0;
    while slots.len() < 2_000 {
        let date = start + Span::days(day);
        day += 1;
        if matches!(chrono::Datelike::weekday(&date), chrono::Weekday::Sat | chrono::Weekday::Sun) {
            continue;
        }
        slots.extend((0..48).map(|i| date + Span::minutes(10 * i)));
    }
    slots.truncate(2_000);
    let mut out = String::from("date,source_id,location_id");
    for slot in &slots {
        let _ = write!(out, ",{}", slot.format("%Y-%m-%d %H:%M:%S"));
    }
    out.push('\n');
    let first = NaiveDate::from_ymd_opt(2021, 7, 12).unwrap().and_hms_opt(0, 0, 0).unwrap();
    for i in 0..OBSERVATIONS {
        let at = first + Span::minutes(15 * i as i64);
        let _ = write!(out, "{},scraper,amt-1", at.format("%Y-%m-%d %H:%M:%S"));
        for (j, _) in slots.iter().enumerate() {
            let taken = j < i / 2 || (j * 7 + i) % 97 == 0;
            out.push_str(if taken { ",0" } else { ",1" });
        }
        out.push('\n');
    }
    out
}

fn run(data: &Path, args: &[&str]) {
    let out = Command::new(BIN).arg("--data-dir").arg(data).args(args).output().expect("the binary runs");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn bytes_under(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| if e.path().is_dir() { bytes_under(&e.path()) } else { e.metadata().unwrap().len() })
        .sum()
}

fn observed(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("week.csv");
    std::fs::write(&csv, wide_csv()).unwrap();
    let store = dir.path().join("store");
    run(&store, &["import", csv.to_str().unwrap()]);
    let size = bytes_under(&store);
    eprintln!(
        "{OBSERVATIONS} observations of 2,000 slot columns ({:.1} MB of CSV): {:.2} MB on disk, {:.0} bytes an observation",
        std::fs::metadata(&csv).unwrap().len() as f64 / 1e6,
        size as f64 / 1e6,
        size as f64 / OBSERVATIONS as f64
    );

    let mut group = c.benchmark_group("observed");
    group.sample_size(10).measurement_time(Duration::from_secs(30)).warm_up_time(Duration::from_secs(1));
    group.bench_function("import, a week of 672 observations of 2,000 slots (wide CSV)", |b| {
        b.iter_batched(
            || tempfile::tempdir().unwrap(),
            |fresh| run(fresh.path(), &["import", csv.to_str().unwrap()]),
            BatchSize::PerIteration,
        )
    });
    group.finish();

    let log = Log::open(&store).unwrap();
    let entries: Vec<_> = log.scan(1).map(|e| e.unwrap()).collect();
    drop(log);
    let mut projection = Projection::new(Config::default());
    projection.apply_all(entries.iter().map(|e| (e.position, &e.event)));
    let observed_office = OfficeId::parse("scraper-amt-1").unwrap();
    let (from, to) = (NaiveDate::from_ymd_opt(2021, 7, 12).unwrap(), NaiveDate::from_ymd_opt(2021, 7, 18).unwrap());
    let data_set = include_str!("../data/kaiserslautern-2020.ndjson");
    let events: Vec<_> = data_set.lines().map(|l| wartezeit::domain::wire::parse_event(l).unwrap()).collect();
    let booked = Projection::from_entries(Config::default(), events.iter().enumerate().map(|(i, e)| (i as u64 + 1, e)));
    let kl = OfficeId::parse("kl-buergercenter").unwrap();
    let (kl_from, kl_to) =
        (NaiveDate::from_ymd_opt(2020, 6, 18).unwrap(), NaiveDate::from_ymd_opt(2020, 6, 24).unwrap());

    let mut group = c.benchmark_group("series of a week");
    group.bench_function("observed office, 672 observations", |b| {
        b.iter(|| wartezeit::read::series(&projection, Some(&observed_office), from, to).unwrap())
    });
    group.bench_function("baseline: booked office of the 2020 data set", |b| {
        b.iter(|| wartezeit::read::series(&booked, Some(&kl), kl_from, kl_to).unwrap())
    });
    group.finish();
}

criterion_group!(benches, observed);
criterion_main!(benches);
