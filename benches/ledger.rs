//! The log's speed: durable batch appends, single-event durable append latency, full scan and decode.
//!
//! `cargo bench --bench ledger`. Targets (issue 2): ≥ 200,000 events/s appending 10,000-event batches,
//! ≥ 2,000,000 events/s scanning; single-event latency is reported as p50/p99 from a plain loop.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use wartezeit::log::Log;
use wartezeit::sample;

/// Streams of different seeds never share event, appointment or closure ids, so each one is a fresh valid batch.
static SEED: AtomicU64 = AtomicU64::new(1);

fn next_stream(n: usize) -> Vec<wartezeit::domain::event::Event> {
    sample::events(SEED.fetch_add(1, Ordering::Relaxed), n)
}

fn batch_append(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::open(dir.path()).unwrap();
    let mut group = c.benchmark_group("append");
    group.sample_size(20).measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(10_000));
    group.bench_function("durable batch of 10,000", |b| {
        b.iter_batched(|| next_stream(10_000), |events| log.append(events).unwrap(), BatchSize::PerIteration)
    });
    group.finish();
}

fn single_append_latency(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::open(dir.path()).unwrap();
    // A plain loop for the percentiles; criterion reports the mean below.
    let events = next_stream(2_000);
    let mut latencies: Vec<Duration> = events
        .into_iter()
        .map(|event| {
            let start = Instant::now();
            log.append(vec![event]).unwrap();
            start.elapsed()
        })
        .collect();
    latencies.sort();
    let pct = |p: f64| latencies[((p * latencies.len() as f64).ceil() as usize).saturating_sub(1)];
    println!(
        "single durable append over {} events: p50 {:?}, p99 {:?}, max {:?}",
        latencies.len(),
        pct(0.5),
        pct(0.99),
        latencies.last().unwrap()
    );
    let mut stream = next_stream(200_000).into_iter();
    let mut group = c.benchmark_group("append");
    group.sample_size(20);
    group.bench_function("durable single event", |b| {
        b.iter_batched(|| vec![stream.next().unwrap()], |batch| log.append(batch).unwrap(), BatchSize::PerIteration)
    });
    group.finish();
}

fn scan(c: &mut Criterion) {
    const N: usize = 200_000;
    let dir = tempfile::tempdir().unwrap();
    let log = Log::open(dir.path()).unwrap();
    for chunk in next_stream(N).chunks(10_000) {
        log.append(chunk.to_vec()).unwrap();
    }
    let mut group = c.benchmark_group("scan");
    group.sample_size(20).measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(N as u64));
    group.bench_function("full scan and decode of 200,000", |b| {
        b.iter(|| assert_eq!(log.scan(1).filter(|e| e.as_ref().is_ok()).count(), N))
    });
    group.finish();
}

criterion_group!(benches, batch_append, single_append_latency, scan);
criterion_main!(benches);
