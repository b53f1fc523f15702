//! The catalogue obeys the formats' naming rules, the history renders what the live figures of each day were, and
//! OpenMetrics comes out in the shape promtool reads (the end-to-end test feeds it to promtool itself).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use proptest::prelude::*;

use crate::domain::event::Event;
use crate::domain::id::OfficeId;
use crate::domain::time::Zone;
use crate::domain::wire::parse_event;
use crate::exposition::{Counts, FAMILIES, Kind, Stamped, history, openmetrics_text, prometheus_text, samples_of_day};
use crate::projection::{Config, Projection};

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn office() -> OfficeId {
    OfficeId::parse("kl").unwrap()
}

/// A small log of office `kl`: two slots a weekday from Monday 2020-06-01, bookings on several days, a closure on
/// Thursday 4 June, a holiday of every office on Monday 8 June, and a late cancellation.
fn projection() -> Projection {
    let lines = [
        r#""type":"capacity_planned","at":"2020-06-01T08:00:00+02:00","office":"kl","effective_from":"2020-06-01","slots_per_weekday":[2,2,2,2,2,0,0]"#,
        r#""type":"appointment_booked","at":"2020-06-01T09:00:00+02:00","office":"kl","appointment_id":"a","service":"pass","channel":"online","slot":"2020-06-02T09:00:00+02:00""#,
        r#""type":"appointment_booked","at":"2020-06-01T10:00:00+02:00","office":"kl","appointment_id":"b","service":"ausweis","channel":"phone","slot":"2020-06-05T09:00:00+02:00""#,
        r#""type":"closure_declared","at":"2020-06-02T08:00:00+02:00","office":"kl","closure_id":"it","first_day":"2020-06-04","last_day":"2020-06-04","cause":"system_migration","reason":"IT""#,
        r#""type":"holiday_declared","at":"2020-05-01T08:00:00+02:00","date":"2020-06-08","name":"Pfingstmontag""#,
        r#""type":"appointment_attended","at":"2020-06-02T09:20:00+02:00","office":"kl","appointment_id":"a""#,
        r#""type":"appointment_booked","at":"2020-06-03T11:00:00+02:00","office":"kl","appointment_id":"c","service":"pass","channel":"online","slot":"2020-06-09T09:00:00+02:00""#,
        r#""type":"walk_in_served","at":"2020-06-03T12:00:00+02:00","office":"kl","service":"pass""#,
        r#""type":"appointment_cancelled","at":"2020-06-05T08:00:00+02:00","office":"kl","appointment_id":"b""#,
    ];
    let events: Vec<Event> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let json = format!(r#"{{"event_id":"e{i}",{l}}}"#);
            parse_event(&json).unwrap_or_else(|e| panic!("{json}: {e:?}"))
        })
        .collect();
    Projection::from_entries(Config::default(), events.iter().enumerate().map(|(i, e)| (i as u64 + 1, e)))
}

/// The sample lines of an OpenMetrics text as (name, labels, timestamp) → value.
type Points = BTreeMap<(String, String, i64), f64>;

fn parse_points(text: &str) -> Points {
    let mut out = Points::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (series, rest) = line.rsplit_once('}').map_or_else(
            || {
                let (name, rest) = line.split_once(' ').unwrap();
                (name.to_owned(), rest)
            },
            |(series, rest)| (format!("{series}}}"), rest.trim_start()),
        );
        let (name, labels) = series
            .split_once('{')
            .map_or((series.clone(), String::new()), |(n, l)| (n.to_owned(), l.trim_end_matches('}').to_owned()));
        let mut parts = rest.split(' ');
        let value: f64 = parts.next().unwrap().parse().unwrap();
        let timestamp: i64 = parts.next().unwrap_or_else(|| panic!("no timestamp: {line}")).parse().unwrap();
        assert!(parts.next().is_none(), "{line}");
        assert!(out.insert((name, labels, timestamp), value).is_none(), "duplicate sample: {line}");
    }
    out
}

/// The samples of one day as the live `/metrics` would compute them, stamped like the history.
fn live_points(p: &Projection, day: NaiveDate) -> Points {
    let row = p.row(&office(), day);
    let counts = Counts::up_to(p, &office(), day);
    let timestamp = Zone::default().end_of_day(day).timestamp() - 1;
    let samples = samples_of_day(p, &office(), &row, &counts);
    parse_points(&openmetrics_text(&[Stamped { timestamp, samples }]))
}

#[test]
fn names_follow_the_openmetrics_and_prometheus_rules() {
    let mut seen = std::collections::HashSet::new();
    for family in FAMILIES {
        assert!(seen.insert(family.name), "{} twice", family.name);
        assert!(family.name.starts_with("wartezeit_"), "{}", family.name);
        assert!(!family.help.contains('\n') && !family.help.is_empty(), "{}", family.name);
        if let Some(unit) = family.unit {
            assert!(family.name.ends_with(&format!("_{unit}")), "{} does not end in its unit {unit}", family.name);
        }
        match family.kind {
            Kind::Counter => assert!(!family.name.ends_with("_total") && family.unit.is_none(), "{}", family.name),
            Kind::Gauge => assert!(!family.name.ends_with("_total"), "{}", family.name),
        }
    }
}

#[test]
fn history_has_every_descriptor_timestamps_at_the_last_second_of_the_day_and_ends_with_eof() {
    let p = projection();
    let text = history(&p, &[office()], date("2020-06-01"), date("2020-06-09"), Zone::default());
    assert!(text.ends_with("\n# EOF\n"), "{}", &text[text.len().saturating_sub(80)..]);
    assert_eq!(text.matches("# EOF").count(), 1);
    assert!(text.contains("# TYPE wartezeit_bookings counter\n# HELP wartezeit_bookings Appointments booked"));
    assert!(
        text.contains(
            "# TYPE wartezeit_backlog_appointments gauge\n# UNIT wartezeit_backlog_appointments appointments\n"
        )
    );
    assert!(text.contains("wartezeit_bookings_total{office=\"kl\"} 2 1591048799\n"), "2020-06-01T23:59:59+02:00");
    let points = parse_points(&text);
    let stamps: std::collections::BTreeSet<i64> = points.keys().map(|k| k.2).collect();
    assert_eq!(stamps.len(), 9);
    assert_eq!(stamps.first(), Some(&1_591_048_799));
    assert_eq!(stamps.last(), Some(&(1_591_048_799 + 8 * 86_400)));
}

#[test]
fn winter_days_are_stamped_at_23_59_59_central_european_time() {
    let p = projection();
    let text = history(&p, &[office()], date("2020-01-15"), date("2020-01-15"), Zone::default());
    // 2020-01-15T23:59:59+01:00 = 22:59:59Z.
    assert!(text.contains("wartezeit_backlog_appointments{office=\"kl\"} 0 1579129199\n"), "{text}");
}

#[test]
fn null_waits_have_no_sample_and_closed_days_say_why() {
    let p = projection();
    let points = parse_points(&history(&p, &[office()], date("2020-05-31"), date("2020-06-09"), Zone::default()));
    let at = |day: &str| Zone::default().end_of_day(date(day)).timestamp() - 1;
    let get = |name: &str, labels: &str, day: &str| points.get(&(name.to_owned(), labels.to_owned(), at(day))).copied();
    // Sunday 31 May: no plan yet, so no free slot within the horizon and no bookings: no wait samples at all.
    assert_eq!(get("wartezeit_next_available_wait_seconds", "office=\"kl\"", "2020-05-31"), None);
    assert_eq!(get("wartezeit_realized_wait_7d_p50_seconds", "office=\"kl\"", "2020-05-31"), None);
    // Monday 1 June: Tuesday has one slot left (a booked), so the next free day is 1 day ahead.
    assert_eq!(get("wartezeit_next_available_wait_seconds", "office=\"kl\"", "2020-06-01"), Some(86_400.0));
    // Thursday 4 June is the closure: lost slots by cause, and closed.
    let lost =
        |cause: &str, day: &str| get("wartezeit_lost_today_slots", &format!("office=\"kl\",cause=\"{cause}\""), day);
    assert_eq!(lost("system_migration", "2020-06-04"), Some(2.0));
    assert_eq!(lost("holiday", "2020-06-04"), Some(0.0));
    assert_eq!(get("wartezeit_office_closed_today", "office=\"kl\"", "2020-06-04"), Some(1.0));
    // Saturday 6 June is closed but nothing is lost: a weekend is no closure.
    assert_eq!(get("wartezeit_office_closed_today", "office=\"kl\"", "2020-06-06"), Some(1.0));
    assert_eq!(lost("system_migration", "2020-06-06"), Some(0.0));
    assert_eq!(lost("holiday", "2020-06-06"), Some(0.0));
    // Whit Monday 8 June: a holiday of every office.
    assert_eq!(lost("holiday", "2020-06-08"), Some(2.0));
    // The backlog by service drops a service with none left.
    let by_service = |service: &str, day: &str| {
        get("wartezeit_backlog_by_service_appointments", &format!("office=\"kl\",service=\"{service}\""), day)
    };
    assert_eq!(by_service("ausweis", "2020-06-04"), Some(1.0));
    assert_eq!(by_service("ausweis", "2020-06-05"), None);
}

#[test]
fn prometheus_text_names_counters_with_total_and_has_no_timestamps() {
    let p = projection();
    let day = date("2020-06-03");
    let samples = samples_of_day(&p, &office(), &p.row(&office(), day), &Counts::up_to(&p, &office(), day));
    let text = prometheus_text(&samples);
    assert!(text.contains("# HELP wartezeit_bookings_total Appointments booked, up to and including today.\n"));
    assert!(text.contains("# TYPE wartezeit_bookings_total counter\nwartezeit_bookings_total{office=\"kl\"} 3\n"));
    assert!(text.contains("wartezeit_walk_ins_served_total{office=\"kl\"} 1\n"));
    assert!(text.contains("wartezeit_backlog_appointments{office=\"kl\"} 2\n"), "{text}");
    assert!(!text.contains("# UNIT") && !text.contains("# EOF"));
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        assert_eq!(line.rsplit_once('}').map_or(line, |(_, v)| v).trim().split(' ').count(), 1, "{line}");
    }
}

proptest! {
    /// Whatever window is exported, each day's figures are the ones the live metrics showed as of that day,
    /// counters included (they count from the office's first event, not from the window's start).
    #[test]
    fn history_agrees_with_the_live_figures_of_each_day(start in 0u64..16, len in 0u64..10) {
        let p = projection();
        let from = date("2020-05-28") + chrono::Days::new(start);
        let to = from + chrono::Days::new(len);
        let history = parse_points(&history(&p, &[office()], from, to, Zone::default()));
        let mut live = Points::new();
        for day in from.iter_days().take_while(|d| *d <= to) {
            live.extend(live_points(&p, day));
        }
        prop_assert_eq!(history, live);
    }
}

#[test]
fn an_empty_window_is_a_valid_empty_history() {
    let p = projection();
    let text = history(&p, &[office()], date("2020-06-09"), date("2020-06-01"), Zone::default());
    assert!(text.ends_with("# EOF\n"));
    assert!(parse_points(&text).is_empty());
}

#[test]
fn observed_calendars_are_samples_per_scope_and_absent_on_a_day_nobody_looked() {
    let mut p = projection();
    let observations = [
        r#"{"event_id":"o1","type":"calendar_observed","at":"2020-06-03T08:00:00+02:00","office":"kl","source":"s","free_slots":["2020-06-05T09:00:00+02:00","2020-06-09T10:00:00+02:00"]}"#,
        r#"{"event_id":"o2","type":"calendar_observed","at":"2020-06-03T09:00:00+02:00","office":"kl","service":"pass","source":"s","free_slots":["2020-06-10T09:00:00+02:00"]}"#,
    ];
    for (i, line) in observations.iter().enumerate() {
        p.apply(100 + i as u64, &parse_event(line).unwrap());
    }
    let text = |day: &str| {
        let row = p.row(&office(), date(day));
        prometheus_text(&samples_of_day(&p, &office(), &row, &Counts::up_to(&p, &office(), date(day))))
    };
    let on_the_3rd = text("2020-06-03");
    for line in [
        "wartezeit_observed_next_available_wait_seconds{office=\"kl\"} 172800\n",
        "wartezeit_observed_next_available_wait_seconds{office=\"kl\",service=\"pass\"} 604800\n",
        "wartezeit_observed_free_next_28d_slots{office=\"kl\"} 2\n",
        "wartezeit_observations_today{office=\"kl\",service=\"pass\"} 1\n",
        "wartezeit_last_observation_timestamp_seconds{office=\"kl\"} 1591164000\n",
    ] {
        assert!(on_the_3rd.contains(line), "{line} missing from\n{on_the_3rd}");
    }
    assert!(!on_the_3rd.contains("wartezeit_observed_third_next_available_wait_seconds{"), "no third free slot");
    // On the 4th nobody looked: no waits, counts 0, the last observation still the 3rd's.
    let on_the_4th = text("2020-06-04");
    assert!(!on_the_4th.contains("wartezeit_observed_next_available_wait_seconds{"), "{on_the_4th}");
    assert!(on_the_4th.contains("wartezeit_observations_today{office=\"kl\"} 0\n"));
    assert!(on_the_4th.contains("wartezeit_last_observation_timestamp_seconds{office=\"kl\"} 1591164000\n"));
    // Before the first observation there is nothing observed to show.
    assert!(!text("2020-06-02").contains("wartezeit_observations_today{"));
}
