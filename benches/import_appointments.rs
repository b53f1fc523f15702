//! Importing an appointment system's export end to end: a CSV list of 1,000,000 appointments (one row each, German
//! Excel style) mapped by the `generic-de` preset, validated against the rules and appended durably, by the binary
//! as a user runs it. The baseline in the same run: `import` of the same events as NDJSON (what the mapping costs
//! on top). Peak memory of each child is reported from `getrusage`.
//!
//! `cargo bench --bench import_appointments` (rows: `WARTEZEIT_BENCH_ROWS`, default 1,000,000). Target (issue #12):
//! under 10 s on the 2-core machine, memory bounded by the appointments, not the rows.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

const BIN: &str = env!("CARGO_BIN_EXE_wartezeit");

/// A list of `rows` appointments at one office over a year: 30 % open, 50 % attended, 10 % cancelled, 10 % missed.
fn list(rows: usize) -> String {
    let mut out = String::with_capacity(rows * 110);
    out.push_str("Termin-Nr.;Standort;Dienstleistung;Termin;gebucht am;Status;geändert am\n");
    let services = ["personalausweis", "reisepass", "anmeldung", "meldebescheinigung"];
    for i in 0..rows {
        let day = 1 + (i / 4_000) % 28;
        let month = 1 + (i / (4_000 * 28)) % 12;
        let minute = i % 600;
        let (h, m) = (8 + minute / 60, minute % 60);
        let slot = format!("{day:02}.{month:02}.2021 {h:02}:{m:02}");
        let booked = format!("{day:02}.{month:02}.2020 {h:02}:{m:02}");
        let (status, changed) = match i % 10 {
            0..=2 => ("gebucht", String::new()),
            3..=7 => ("erschienen", format!("{day:02}.{month:02}.2021 {:02}:{m:02}", h + 1)),
            8 => ("storniert", format!("{day:02}.{month:02}.2020 {:02}:{m:02}", h + 1)),
            _ => ("nicht erschienen", String::new()),
        };
        let _ = writeln!(out, "{i};kl;{};{slot};{booked};{status};{changed}", services[i % 4]);
    }
    out
}

/// Runs the binary on a fresh data directory, asserting success.
fn run(data: &Path, args: &[&str]) {
    let out = Command::new(BIN).arg("--data-dir").arg(data).args(args).output().expect("the binary runs");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// The largest resident set of any child waited for so far, in MiB.
fn children_peak_mib() -> f64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a complete rusage into the pointer it is given.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr());
        usage.assume_init()
    };
    usage.ru_maxrss as f64 / 1024.0
}

fn import(c: &mut Criterion) {
    let rows: usize = std::env::var("WARTEZEIT_BENCH_ROWS").ok().and_then(|n| n.parse().ok()).unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("termine.csv");
    std::fs::write(&csv, list(rows)).unwrap();
    // The same events as NDJSON, for the baseline.
    let seed = dir.path().join("seed");
    run(&seed, &["import-appointments", "--preset", "generic-de", csv.to_str().unwrap()]);
    let out = Command::new(BIN).arg("--data-dir").arg(&seed).arg("export").output().unwrap();
    let ndjson = dir.path().join("events.ndjson");
    std::fs::write(&ndjson, &out.stdout).unwrap();
    let events = out.stdout.iter().filter(|b| **b == b'\n').count();
    eprintln!(
        "{rows} rows, {events} events; peak memory of one import-appointments run: {:.0} MiB",
        children_peak_mib()
    );

    let mut group = c.benchmark_group("import");
    group.sample_size(10).measurement_time(Duration::from_secs(120)).warm_up_time(Duration::from_secs(1));
    let fresh = || tempfile::tempdir().unwrap();
    group.bench_function(format!("import-appointments, {rows} CSV rows"), |b| {
        b.iter_batched(
            fresh,
            |store| run(store.path(), &["import-appointments", "--preset", "generic-de", csv.to_str().unwrap()]),
            BatchSize::PerIteration,
        )
    });
    group.bench_function(format!("baseline: import, the same {events} events as NDJSON"), |b| {
        b.iter_batched(fresh, |store| run(store.path(), &["import", ndjson.to_str().unwrap()]), BatchSize::PerIteration)
    });
    group.finish();
}

criterion_group!(benches, import);
criterion_main!(benches);
