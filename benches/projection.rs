//! Projection speed: rebuild from the stored log (issue 3's figure: the log in sled, scanned, decoded and folded
//! by `rebuild::fold`), with the fold of already decoded entries in memory and the scan-then-fold one after the
//! other as baselines; a year of rows, one event at "now", and memory per event.
//!
//! Run with `cargo bench --bench projection` (writing the log into a temporary sled store first takes a few
//! seconds). The synthetic log has about 1,000,000 events over two years and
//! three offices (see `support/synthetic.rs`).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::Duration;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use wartezeit::domain::event::{Event, EventKind};
use wartezeit::domain::id::{AppointmentId, EventId, OfficeId, ServiceId};
use wartezeit::log::Log;
use wartezeit::projection::{Config, Projection};
use wartezeit::rebuild;

#[path = "support/synthetic.rs"]
mod synthetic;

/// Counts live heap bytes, to report the projection's resident size.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn projection_benches(c: &mut Criterion) {
    let events = synthetic::log(3, 730, 1_000_000, 7);
    let entries = || events.iter().enumerate().map(|(i, e)| (i as u64 + 1, e));

    let before = LIVE.load(Ordering::Relaxed);
    let projection = Projection::from_entries(Config::default(), entries());
    let bytes = LIVE.load(Ordering::Relaxed) - before;
    let office = OfficeId::parse("office-0").unwrap();
    let last = projection.offices()[0].last_event_date;
    let open: u32 = projection.offices().iter().map(|o| projection.row(&o.office, last).backlog).sum();
    println!(
        "projection of {} events: {:.1} MB resident, {:.0} bytes per event, {} open appointments at the end",
        events.len(),
        bytes as f64 / 1e6,
        bytes as f64 / events.len() as f64,
        open
    );

    let mut group = c.benchmark_group("projection");
    group.sample_size(10);
    group.throughput(Throughput::Elements(events.len() as u64));
    group.bench_function("rebuild_1m_events", |b| b.iter(|| Projection::from_entries(Config::default(), entries())));

    let dir = tempfile::tempdir().unwrap();
    let log = Log::open(dir.path()).unwrap();
    for piece in events.chunks(10_000) {
        log.append(piece.to_vec()).unwrap();
    }
    assert_eq!(log.head().position, events.len() as u64);
    group.bench_function("rebuild_1m_events_from_the_stored_log", |b| {
        b.iter(|| rebuild::fold(&log, Projection::new(Config::default()), [0; 32], u64::MAX).unwrap())
    });
    group.bench_function("rebuild_1m_events_from_the_stored_log_scan_then_fold", |b| {
        b.iter(|| {
            let stored: Vec<_> = log.scan(1).map(Result::unwrap).collect();
            Projection::from_entries(Config::default(), stored.iter().map(|e| (e.position, &e.event)))
        })
    });
    group.finish();
    drop(log);

    let mut group = c.benchmark_group("projection");
    let from = last - Duration::days(364);
    group.bench_function("series_365_days", |b| b.iter(|| projection.series(&office, from, last)));

    let mut live = projection.clone();
    let mut n = 0u64;
    let mut position = events.len() as u64;
    let now = last_instant(&events);
    group.bench_function("apply_one_event_at_now", |b| {
        b.iter(|| {
            n += 1;
            position += 1;
            live.apply(position, &booking_at(now + Duration::seconds(n as i64), n));
        })
    });

    // Issue #14: one walk-in dated 2199 costs what any event costs, in memory and in later appends.
    let far = Event {
        id: EventId::parse("far-dated").unwrap(),
        at: "2199-12-31T12:00:00+01:00".parse().unwrap(),
        kind: EventKind::WalkInServed {
            office: OfficeId::parse("office-0").unwrap(),
            service: ServiceId::parse("personalausweis").unwrap(),
        },
    };
    let mut with_far = projection.clone();
    let before = LIVE.load(Ordering::Relaxed);
    with_far.apply(events.len() as u64 + 1, &far);
    println!(
        "a walk-in dated 2199-12-31 added {:.1} KB to the projection",
        (LIVE.load(Ordering::Relaxed) as f64 - before as f64) / 1e3
    );
    let mut position = events.len() as u64 + 1;
    group.bench_function("apply_one_event_at_now_with_a_far_dated_event_in_the_log", |b| {
        b.iter(|| {
            n += 1;
            position += 1;
            with_far.apply(position, &booking_at(now + Duration::seconds(n as i64), n));
        })
    });
    group.finish();
    drop((live, with_far, projection));

    // Issue #18: an appended batch of 1,000 events folded into a projection of the sample stream over 20 offices,
    // as the service folds each `POST` (the stream leaves about a quarter of its bookings open for good). What one
    // batch costs must not grow with the log.
    let mut group = c.benchmark_group("projection");
    group.sample_size(10);
    for size in [100_000usize, 1_000_000] {
        let stream = wartezeit::sample::events_over(18, size + 10_000, 20);
        let (held, tail) = stream.split_at(size);
        let base = Projection::from_entries(Config::default(), held.iter().enumerate().map(|(i, e)| (i as u64 + 1, e)));
        let batches: Vec<Vec<(u64, &Event)>> = tail
            .chunks(1_000)
            .enumerate()
            .map(|(k, chunk)| chunk.iter().enumerate().map(|(i, e)| ((size + k * 1_000 + i) as u64 + 1, e)).collect())
            .collect();
        group.throughput(Throughput::Elements(9_000));
        // Timed: batches 2 to 10. The first is folded untimed, because a clone's vectors are allocated to their
        // length and the first batch after it pays for growing each of them whole, which the service never does.
        group.bench_function(format!("fold_a_1000_event_batch_into_{}k_events_over_20_offices", size / 1_000), |b| {
            b.iter_custom(|iterations| {
                let mut total = std::time::Duration::ZERO;
                for _ in 0..iterations {
                    let mut projection = base.clone();
                    projection.apply_all(batches[0].iter().copied());
                    let started = std::time::Instant::now();
                    for batch in &batches[1..] {
                        projection.apply_all(batch.iter().copied());
                    }
                    total += started.elapsed();
                }
                total
            })
        });
    }
    group.finish();
}

fn last_instant(events: &[Event]) -> chrono::DateTime<chrono::FixedOffset> {
    events.iter().map(|e| e.at).max().unwrap()
}

fn booking_at(at: chrono::DateTime<chrono::FixedOffset>, n: u64) -> Event {
    Event {
        id: EventId::parse(&format!("now-{n}")).unwrap(),
        at,
        kind: EventKind::AppointmentBooked {
            office: OfficeId::parse("office-0").unwrap(),
            appointment: AppointmentId::parse(&format!("now-{n}")).unwrap(),
            service: ServiceId::parse("personalausweis").unwrap(),
            channel: wartezeit::domain::event::Channel::Online,
            slot: at + Duration::days(1 + (n % 20) as i64),
        },
    }
}

criterion_group!(benches, projection_benches);
criterion_main!(benches);
