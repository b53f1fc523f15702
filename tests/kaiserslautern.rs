//! The 2020 Kaiserslautern scenario told with the service's own figures: the press release's calibration facts and
//! the attribution of lost capacity, computed by the projection from the committed data set.

mod support {
    pub mod data_set;
}

use chrono::NaiveDate;
use wartezeit::domain::id::OfficeId;
use wartezeit::projection::LossCause;

use support::data_set::projection;

fn office() -> OfficeId {
    OfficeId::parse("kl-buergercenter").unwrap()
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[test]
fn on_the_day_of_the_press_release_the_wait_is_three_weeks_and_more_than_1000_requests_are_open() {
    let row = projection().row(&office(), date("2020-06-24"));
    let next = row.next_available_days.expect("a free slot within the horizon");
    assert!((18..=24).contains(&next), "next available in {next} days");
    assert!(row.backlog > 1000, "backlog {}", row.backlog);
}

#[test]
fn in_january_the_wait_is_normal() {
    for row in projection().series(&office(), date("2020-01-02"), date("2020-01-31")) {
        let next = row.next_available_days.expect("a free slot");
        assert!(next <= 7, "{}: next available in {next} days", row.date);
    }
}

#[test]
fn the_data_set_has_one_office() {
    assert_eq!(projection().only_office(), Some(&office()));
}

#[test]
fn lost_capacity_names_the_lockdown_the_migration_and_both_holidays_and_adds_up() {
    let a = projection().attribution(&office(), date("2020-03-01"), date("2020-06-24"));
    let by_cause: u64 = a.by_cause.iter().map(|(_, l)| l.lost_slots).sum();
    let by_period: u64 = a.by_period.iter().map(|p| p.loss.lost_slots).sum();
    assert_eq!(by_cause, a.lost_slots);
    assert_eq!(by_period, a.lost_slots);
    let cause = |c: LossCause| a.by_cause.iter().find(|(x, _)| *x == c).map(|(_, l)| l.lost_slots).unwrap_or(0);
    assert!(cause(LossCause::Lockdown) > cause(LossCause::SystemMigration));
    assert!(cause(LossCause::SystemMigration) > 0);
    let named = |name: &str| a.by_period.iter().find(|p| p.id == name || p.label == name).map(|p| p.loss.days);
    assert_eq!(named("Christi Himmelfahrt"), Some(1));
    assert_eq!(named("Fronleichnam"), Some(1));
    assert_eq!(named("systemumstellung-2020"), Some(4), "four closed working days");
    assert!(named("lockdown-2020").is_some_and(|d| d > 20));
    let share: f64 = a.by_cause.iter().map(|(_, l)| l.share_of_planned).sum();
    assert!((share - a.share_of_planned).abs() < 1e-9);
}
