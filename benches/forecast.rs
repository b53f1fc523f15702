//! The speed of the forecast: 2,000 runs over a 180-day horizon (the default), on one core. Target: under 1 s.
//!
//! The office is the seed's after its closures: 1,000 appointments in a calendar booked out for three and a half
//! weeks at 60 slots a weekday, demand resampled from weekdays of 45 to 75 bookings and about 1 % of the backlog
//! cancelled a day, so the inner loop sees both the booking and the cancellation path on every simulated day.

use std::collections::BTreeMap;
use std::hint::black_box;

use chrono::{Datelike, Days, NaiveDate};
use criterion::{Criterion, criterion_group, criterion_main};

use wartezeit::domain::id::{OfficeId, ServiceId};
use wartezeit::forecast::{FollowUp, ForecastConfig, ServiceInputs, forecast, forecast_on};
use wartezeit::projection::{CalendarSnapshot, DayRow, ServiceDay};

fn weekday_capacity(d: NaiveDate) -> u32 {
    if d.weekday().num_days_from_monday() < 5 { 60 } else { 0 }
}

fn row(date: NaiveDate, i: u64) -> DayRow {
    let capacity = weekday_capacity(date);
    let open = capacity > 0;
    DayRow {
        date,
        backlog: 1000,
        backlog_by_service: BTreeMap::new(),
        displaced: 0,
        bookings: if open { 45 + (i * 37 % 31) as u32 } else { (i % 7) as u32 },
        served_appointments: if open { 55 } else { 0 },
        served_walk_in: 0,
        cancellations: if open { 10 + (i % 5) as u32 } else { 2 },
        no_shows: if open { 12 } else { 0 },
        capacity,
        booked: capacity,
        next_available_days: Some(24),
        third_next_available_days: Some(24),
        realized_wait_p50_days: None,
        realized_wait_p90_days: None,
    }
}

/// The office's split per service: 25 ID applications attended an open day, 10 of its bookings pick-ups.
fn follow_up_services(history: &[DayRow]) -> ServiceInputs {
    let id = |s| ServiceId::parse(s).unwrap();
    let days = history
        .iter()
        .map(|r| {
            let open = r.capacity > 0;
            ServiceDay {
                bookings: BTreeMap::from([(id("ausweis-abholung"), if open { 10 } else { 0 })]),
                attended: BTreeMap::from([(id("personalausweis"), if open { 25 } else { 0 })]),
            }
        })
        .collect();
    ServiceInputs { days, policies: Vec::new(), follow_ups: vec![FollowUp::id_documents()] }
}

fn bench(c: &mut Criterion) {
    let as_of = NaiveDate::from_ymd_opt(2020, 6, 5).unwrap();
    let config = ForecastConfig::default();
    let days = config.snapshot_days() as u64;
    let capacity: Vec<u32> = (1..=days).map(|i| weekday_capacity(as_of + Days::new(i))).collect();
    let mut booked = vec![0; capacity.len()];
    let mut left = 1000;
    for (b, &cap) in booked.iter_mut().zip(&capacity) {
        *b = cap.min(left);
        left -= *b;
    }
    let history: Vec<DayRow> =
        (0..ForecastConfig::HISTORY_DAYS as u64).rev().map(|back| row(as_of - Days::new(back), back)).collect();
    let snapshot = CalendarSnapshot {
        office: OfficeId::parse("kl-buergercenter").unwrap(),
        as_of,
        capacity,
        booked,
        today: history.last().unwrap().clone(),
    };
    let mut group = c.benchmark_group("forecast");
    group.sample_size(20);
    group.bench_function("2000 runs x 180 days", |b| {
        let services = ServiceInputs::default();
        b.iter(|| {
            forecast(black_box(&snapshot), black_box(&history), black_box(&services), black_box(&config)).unwrap()
        })
    });
    // The same office with its split per service: 25 ID applications attended an open day, 10 of its bookings
    // pick-ups, which the forecast books as follow-ups instead of resampling (the default for real logs).
    group.bench_function("2000 runs x 180 days, pick-ups as follow-ups", |b| {
        let services = follow_up_services(&history);
        b.iter(|| {
            forecast(black_box(&snapshot), black_box(&history), black_box(&services), black_box(&config)).unwrap()
        })
    });
    // The same on every core, as the service and the CLI run it.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    group.bench_function(format!("2000 runs x 180 days, pick-ups as follow-ups, {threads} threads"), |b| {
        let services = follow_up_services(&history);
        b.iter(|| {
            forecast_on(black_box(&snapshot), black_box(&history), black_box(&services), black_box(&config), threads)
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
