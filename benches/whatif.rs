//! The speed of decisions weighed (issue 17) on the committed 2020 data set as of 24 June 2020, on every core:
//!
//! - three what-if plans and the baseline, 2,000 runs each over 180 days (target: under 1 s);
//! - the capacity needed to be back to a week by 17 July with extra slots from 29 June, 85 %, 2,000 runs per number
//!   tried, limit 100 (target: under 3 s).

use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};

use wartezeit::domain::event::Event;
use wartezeit::domain::id::OfficeId;
use wartezeit::domain::wire::parse_event;
use wartezeit::forecast::plan::Plan;
use wartezeit::forecast::plan::file::parse_line;
use wartezeit::forecast::whatif::{DEFAULT_LIMIT, DEFAULT_PROBABILITY, NeedQuestion};
use wartezeit::projection::{Config, Projection};
use wartezeit::read::{ForecastInputs, forecast_config};

const DATA: &str = include_str!("../data/kaiserslautern-2020.ndjson");

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn bench(c: &mut Criterion) {
    let events: Vec<Event> = DATA.lines().map(|l| parse_event(l).unwrap()).collect();
    let projection =
        Projection::from_entries(Config::default(), events.iter().enumerate().map(|(i, e)| (i as u64 + 1, e)));
    let office = OfficeId::parse("kl-buergercenter").unwrap();
    let config = forecast_config(&projection, None, None, None, None).unwrap();
    assert_eq!((config.runs, config.horizon_days), (2000, 180));
    let inputs = ForecastInputs::take(&projection, &office, date("2020-06-24"), config);
    let plans: Vec<Plan> = [
        "Mehr Termine: slots 16,16,16,18,8,0,0 from 2020-07-13",
        "Samstags: saturdays 40 from 2020-07-04",
        "Weniger Nachfrage: demand -10% from 2020-06-25",
    ]
    .iter()
    .map(|l| parse_line(l).unwrap())
    .collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut group = c.benchmark_group("whatif");
    group.sample_size(10);
    group.bench_function(format!("baseline and 3 plans, 2000 runs x 180 days, {threads} threads"), |b| {
        b.iter(|| inputs.compare(black_box(&plans), threads).unwrap())
    });
    let question = NeedQuestion {
        from: date("2020-06-29"),
        by: date("2020-07-17"),
        probability: DEFAULT_PROBABILITY,
        limit: DEFAULT_LIMIT,
    };
    let answer = inputs.needed(&Plan::baseline(), &question, threads).unwrap();
    eprintln!("capacity needed: {:?} after {} numbers tried", answer.needed, answer.tried.len());
    group.bench_function(format!("capacity needed, 2000 runs per number, {threads} threads"), |b| {
        b.iter(|| inputs.needed(&Plan::baseline(), black_box(&question), threads).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
