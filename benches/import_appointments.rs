//! Importing an appointment system's export end to end: a CSV list of 1,000,000 appointments (one row each, German
//! Excel style) mapped by the `generic-de` preset, validated against the rules and appended durably, by the binary
//! as a user runs it. The baseline in the same run: `import` of the same events as NDJSON (what the mapping costs
//! on top). Memory, from `wait4`: the peak of an import at half and at all the rows, beside the peak of merely
//! opening the store it made (what the log itself holds), so that the import's own share can be read off.
//!
//! `cargo bench --bench import_appointments` (rows: `WARTEZEIT_BENCH_ROWS`, default 1,000,000). Target (issue #12):
//! under 10 s on the 2-core machine; the import's own memory flat, whatever the rows.

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

#[path = "support/peak.rs"]
mod peak;

/// Runs the binary on `data` and returns the largest resident set it had, in MiB.
fn peak_mib(data: &Path, args: &[&str]) -> f64 {
    let mut command = Command::new(BIN);
    command.arg("--data-dir").arg(data).args(args).stdout(std::process::Stdio::null());
    peak::run(&mut command).expect("the binary runs").1
}

/// What memory the import holds of its own, at `rows` rows: its peak, the peak of opening the store it made (the
/// log's own state: the rule book, the id index, sled's pages), and the difference.
fn memory(dir: &Path, rows: usize) {
    let csv = dir.join(format!("termine-{rows}.csv"));
    std::fs::write(&csv, list(rows)).unwrap();
    let store = dir.join(format!("store-{rows}"));
    let import = peak_mib(&store, &["import-appointments", "--preset", "generic-de", csv.to_str().unwrap()]);
    let empty = dir.join("empty.ndjson");
    std::fs::write(&empty, "").unwrap();
    let open = peak_mib(&store, &["import", empty.to_str().unwrap()]);
    eprintln!(
        "{rows} rows: import-appointments peak {import:.0} MiB; opening the store it made {open:.0} MiB; the import's \
         own {:.0} MiB",
        import - open
    );
    std::fs::remove_dir_all(&store).unwrap();
    std::fs::remove_file(&csv).unwrap();
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
    // Memory at half and at all the rows: the import's own share stays flat, the log's grows with it.
    memory(dir.path(), rows / 2);
    memory(dir.path(), rows);

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
