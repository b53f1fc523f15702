//! The forecast back-tested on the committed 2020 scenario: forecasts made weekly from 2020-05-15 to 2020-07-31,
//! each as known that day, compared with the day the wait (third next available, on an open day) really fell to a
//! week. The bar: the actual day lies inside the central 95 % interval at least 80 % of the time.
//!
//! 500 runs per forecast instead of the default 2,000 keep the test short; percentiles over 500 runs move by a day
//! at most against 2,000 (`wartezeit backtest` runs the default).

use std::sync::OnceLock;

use chrono::NaiveDate;
use wartezeit::domain::event::Event;
use wartezeit::domain::id::OfficeId;
use wartezeit::domain::wire::parse_event;
use wartezeit::forecast::ForecastConfig;
use wartezeit::forecast::backtest::{ProjectionHistory, backtest};
use wartezeit::projection::{Config, Projection};

const DATA: &str = include_str!("../data/kaiserslautern-2020.ndjson");

fn projection() -> &'static Projection {
    static PROJECTION: OnceLock<Projection> = OnceLock::new();
    PROJECTION.get_or_init(|| {
        let events: Vec<Event> = DATA.lines().map(|l| parse_event(l).expect("the data set parses")).collect();
        Projection::from_entries(Config::default(), events.iter().enumerate().map(|(i, e)| (i as u64 + 1, e)))
    })
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[test]
fn weekly_forecasts_from_may_to_july_2020_put_the_actual_day_inside_their_95_percent_interval() {
    let office = OfficeId::parse("kl-buergercenter").unwrap();
    let history = ProjectionHistory { projection: projection(), office: &office, last_day: date("2020-12-31") };
    let config = ForecastConfig { runs: 500, ..ForecastConfig::default() };
    let report = backtest(&history, date("2020-05-15"), date("2020-07-31"), 7, &config).unwrap();
    assert_eq!(report.points.len(), 12);
    let table: Vec<String> = report
        .points
        .iter()
        .map(|p| format!("{} p50 {:?} 95 % {:?} actual {:?}", p.as_of, p.p50, p.central_95, p.actual))
        .collect();
    let coverage = report.coverage_95.expect("every outcome is decided by the end of 2020");
    assert!(
        coverage >= 0.8,
        "95 % coverage {coverage:.2} (85 %: {:?}, median error {:?} days):\n{}",
        report.coverage_85,
        report.median_abs_error_days,
        table.join("\n")
    );
}
