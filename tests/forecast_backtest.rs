//! The forecast back-tested on the committed 2020 scenario: forecasts made weekly from 2020-05-15 to 2020-07-31,
//! each as known that day, compared with the day the wait (third next available, on an open day) really fell to a
//! week. The bar: the actual day lies inside the central 95 % interval at least 80 % of the time.
//!
//! THE ISSUE'S 80 % BAR IS NOT MET, and this test does not pretend it is: it asserts that the model does not fall
//! below what it now achieves — 95 % coverage 8 of 12 (67 %), 85 % coverage 7 of 12 (58 %), median |error| of the
//! p50 date 1 day (before the policy-aware demand and the catch-up rule: 6 of 12, 5 of 12, 6 days). The four
//! misses are forecasts made before decisions the scenario takes later: pick-ups without appointment (announced
//! 24 June, with a wave of cancellations 25–28 June) and extra capacity from 13 July (planned 1 July) brought the
//! wait down on 22 July, where the forecasts of 19 and 26 June say early or mid-August; the forecasts of 15 and 22
//! May are early because the pick-up bookings that filled late May and June had not started then. No model
//! fitted on the data known at D can see those; wider intervals would need a model of the office's own future
//! decisions (see `src/forecast.rs`). Issue 7 stays open on this point.
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
fn weekly_forecasts_from_may_to_july_2020_do_not_fall_below_the_measured_coverage_and_error() {
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
    let summary = format!(
        "95 % coverage {:?}, 85 %: {:?}, median error {:?} days:\n{}",
        report.coverage_95,
        report.coverage_85,
        report.median_abs_error_days,
        table.join("\n")
    );
    let coverage_95 = report.coverage_95.expect("every outcome is decided by the end of 2020");
    let coverage_85 = report.coverage_85.expect("every outcome is decided by the end of 2020");
    // Not the 0.8 (see the module docs): the floor the model reaches, so that a change making it worse fails.
    assert!(coverage_95 >= 8.0 / 12.0 - 1e-9, "{summary}");
    assert!(coverage_85 >= 7.0 / 12.0 - 1e-9, "{summary}");
    assert!(report.median_abs_error_days.is_some_and(|e| e <= 1), "{summary}");
}
