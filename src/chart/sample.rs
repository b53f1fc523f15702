//! A synthetic year of one office, shaped like the 2020 story of docs/events.md (lockdown, reopening, a four-day IT
//! migration, holidays), for the chart tests, the benchmark and sample pictures. Deterministic: no randomness,
//! no clock. It is not the projection: the figures only look plausible, they are not folded from events.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use crate::chart::{ChartView, LostSlots};
use crate::domain::event::ClosureCause;
use crate::domain::id::ServiceId;
use crate::projection::{DayRow, NamedPeriod, PeriodKind};

/// Slots per working day in the synthetic office.
const SLOTS: u32 = 120;

/// Services and their share of requests in percent; eight, so the backlog chart pools the smallest two.
const SERVICES: [(&str, u32); 8] = [
    ("personalausweis", 30),
    ("reisepass", 18),
    ("ausweis-abholung", 17),
    ("meldebescheinigung", 13),
    ("wohnsitz-anmeldung", 10),
    ("fuehrerschein", 6),
    ("kfz-zulassung", 4),
    ("fuehrungszeugnis", 2),
];

const HOLIDAYS: [(&str, &str); 11] = [
    ("2020-01-01", "Neujahr"),
    ("2020-04-10", "Karfreitag"),
    ("2020-04-13", "Ostermontag"),
    ("2020-05-01", "Tag der Arbeit"),
    ("2020-05-21", "Christi Himmelfahrt"),
    ("2020-06-01", "Pfingstmontag"),
    ("2020-06-11", "Fronleichnam"),
    ("2020-10-03", "Tag der Deutschen Einheit"),
    ("2020-11-01", "Allerheiligen"),
    ("2020-12-25", "1. Weihnachtstag"),
    ("2020-12-26", "2. Weihnachtstag"),
];

fn date(s: &str) -> NaiveDate {
    s.parse().expect("sample dates are valid")
}

/// The closures and holidays of the synthetic year.
pub fn periods() -> Vec<NamedPeriod> {
    let closure = |id: &str, label: &str, first: &str, last: &str, cause| NamedPeriod {
        kind: PeriodKind::Closure(cause),
        id: id.to_owned(),
        label: label.to_owned(),
        first_day: date(first),
        last_day: date(last),
        office_specific: true,
    };
    let mut out = vec![
        closure("lockdown-2020", "Corona-Lockdown", "2020-03-16", "2020-05-08", ClosureCause::Lockdown),
        closure("it-2020-06", "IT-Umstellung (landesweit)", "2020-06-15", "2020-06-18", ClosureCause::SystemMigration),
    ];
    out.extend(HOLIDAYS.iter().map(|(d, name)| NamedPeriod {
        kind: PeriodKind::Holiday,
        id: (*name).to_owned(),
        label: (*name).to_owned(),
        first_day: date(d),
        last_day: date(d),
        office_specific: false,
    }));
    out.sort_by_key(|p| p.first_day);
    out
}

/// A small deterministic wobble in `0..k`.
fn wobble(i: i64, k: u32) -> u32 {
    ((i as u64).wrapping_mul(2_654_435_761) >> 7) as u32 % k.max(1)
}

/// Daily rows from `from` to `to` (inclusive).
pub fn rows(from: NaiveDate, to: NaiveDate) -> Vec<DayRow> {
    let periods = periods();
    let shut = |d: NaiveDate| periods.iter().any(|p| p.first_day <= d && d <= p.last_day);
    let lockdown = |d: NaiveDate| d >= date("2020-03-16") && d <= date("2020-05-08");
    let services: Vec<ServiceId> = SERVICES.iter().map(|(s, _)| ServiceId::parse(s).expect("valid id")).collect();
    let start = from.min(date("2020-01-01"));
    let mut backlog: u32 = 420;
    let mut out = Vec::new();
    let mut day = start;
    while day <= to {
        let i = (day - start).num_days();
        let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        let capacity = if weekend || shut(day) { 0 } else { SLOTS };
        // Before the lockdown bookings match capacity; during it only the phone line books; after it demand stays
        // a little below capacity, so the pile shrinks slowly.
        let bookings = match () {
            _ if weekend => 3 + wobble(i, 5),
            _ if day < date("2020-03-16") => 108 + wobble(i, 20),
            _ if lockdown(day) => 22 + wobble(i, 12),
            _ => 98 + wobble(i, 20),
        };
        let served_appointments = if capacity == 0 { 0 } else { (capacity - 6 + wobble(i + 3, 6)).min(backlog) };
        let served_walk_in = if capacity == 0 || day < date("2020-06-29") { 0 } else { 10 + wobble(i + 5, 15) };
        let ended_otherwise = wobble(i + 7, 4);
        backlog = (backlog + bookings).saturating_sub(served_appointments + ended_otherwise);
        let mut by_service = BTreeMap::new();
        let mut left = backlog;
        for (k, (service, (_, share))) in services.iter().zip(SERVICES).enumerate() {
            let n = if k + 1 == services.len() { left } else { (backlog * share / 100).min(left) };
            left -= n;
            if n > 0 {
                by_service.insert(service.clone(), n);
            }
        }
        // Working days of the pile ahead, in calendar days; during the lockdown the wait runs to the reopening.
        let reopening = if lockdown(day) { (date("2020-05-11") - day).num_days() as u32 } else { 0 };
        let next = 1 + backlog * 7 / (5 * SLOTS) + reopening;
        let has_bookings = !weekend;
        if day >= from {
            out.push(DayRow {
                date: day,
                backlog,
                backlog_by_service: by_service,
                displaced: if lockdown(day) { backlog / 3 } else { 0 },
                bookings,
                served_appointments,
                served_walk_in,
                cancellations: wobble(i + 11, 9),
                no_shows: wobble(i + 13, 5),
                capacity,
                booked: capacity.min(backlog),
                next_available_days: Some(next),
                third_next_available_days: Some(next + 1 + wobble(i, 2)),
                realized_wait_p50_days: has_bookings.then_some(next + 1 + wobble(i + 1, 3)),
                realized_wait_p90_days: has_bookings.then_some(next * 3 / 2 + 3 + wobble(i + 2, 5)),
            });
        }
        day += Duration::days(1);
    }
    out
}

/// Lost slots per period inside `from..=to`: working days the plan would have had slots on.
/// A day both holiday and closure counts for the holiday (docs/events.md).
pub fn attribution(from: NaiveDate, to: NaiveDate) -> Vec<LostSlots> {
    let all = periods();
    let holiday =
        |d: NaiveDate| all.iter().any(|p| p.kind == PeriodKind::Holiday && p.first_day <= d && d <= p.last_day);
    all.iter()
        .cloned()
        .map(|p| {
            let mut slots = 0;
            let mut d = p.first_day.max(from);
            while d <= p.last_day.min(to) {
                let counted_elsewhere = p.kind != PeriodKind::Holiday && holiday(d);
                if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !counted_elsewhere {
                    slots += u64::from(SLOTS);
                }
                d += Duration::days(1);
            }
            LostSlots { label: p.label, cause: p.kind, slots }
        })
        .filter(|l| l.slots > 0)
        .collect()
}

/// The whole view of `kl-buergercenter` from `from` to `to`, as of `as_of`.
pub fn view(from: NaiveDate, to: NaiveDate, as_of: NaiveDate) -> ChartView {
    let mut view = ChartView::new("kl-buergercenter", from, to, rows(from, to));
    view.as_of = as_of;
    view.periods = periods();
    view.attribution = attribution(from, to);
    view
}

/// The year 2020, as of 24 June 2020 (the day of the press release).
pub fn year_2020() -> ChartView {
    view(date("2020-01-01"), date("2020-12-31"), date("2020-06-24"))
}

/// The forecast chart's view of the synthetic office as of 24 June 2020: the 8 weeks observed before and a
/// forecast (200 runs, default seed) from a calendar booked out with the day's backlog at the sample's slots, with
/// demand resampled from the sample's rows.
pub fn forecast_2020() -> ChartView {
    use crate::forecast::{ForecastConfig, ServiceInputs, forecast};
    use crate::projection::CalendarSnapshot;

    let as_of = date("2020-06-24");
    let config = ForecastConfig { runs: 200, ..ForecastConfig::default() };
    let history = rows(date("2020-01-01"), as_of);
    let today = history.last().expect("the sample has rows").clone();
    let shut = |d: NaiveDate| periods().iter().any(|p| p.first_day <= d && d <= p.last_day);
    let ahead = (1..=u64::from(config.snapshot_days())).map(|i| as_of + Duration::days(i as i64));
    let capacity: Vec<u32> =
        ahead.map(|d| if matches!(d.weekday(), Weekday::Sat | Weekday::Sun) || shut(d) { 0 } else { SLOTS }).collect();
    let mut left = today.backlog;
    let booked = capacity
        .iter()
        .map(|&c| {
            let b = c.min(left);
            left -= b;
            b
        })
        .collect();
    let snapshot =
        CalendarSnapshot { office: "kl-buergercenter".parse().expect("valid id"), as_of, capacity, booked, today };
    let made = forecast(&snapshot, &history, &ServiceInputs::default(), &config).expect("the sample has open days");
    let from = as_of - Duration::days(crate::chart::FORECAST_LOOKBACK_DAYS as i64);
    let to = as_of + Duration::days(crate::chart::FORECAST_AHEAD_DAYS as i64);
    let mut view = ChartView::new("kl-buergercenter", from, to, rows(from, as_of));
    view.as_of = as_of;
    view.periods = periods();
    view.forecast = Some(Box::new(made));
    view
}
