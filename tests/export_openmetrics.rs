//! `wartezeit export --format openmetrics` on the committed 2020 data set: the history holds the figures the other
//! commands report for the same days, NDJSON stays the default, and arguments of the other format are refused
//! with a message naming them. (That promtool reads the history is `tests/e2e.rs`'s job.)

mod support {
    pub mod cli;
}

use serde_json::Value;
use support::cli::{ok as wartezeit, run, store};

const OFFICE: &str = "kl-buergercenter";

/// The value of the sample of `series` (`name{labels}`) stamped `timestamp`.
fn sample(text: &str, series: &str, timestamp: i64) -> Option<f64> {
    text.lines().find_map(|line| {
        let rest = line.strip_prefix(series)?.strip_prefix(' ')?;
        let (value, stamp) = rest.split_once(' ')?;
        (stamp.parse::<i64>().ok()? == timestamp).then(|| value.parse().expect("a number"))
    })
}

#[test]
fn the_history_holds_each_days_summary_figures_stamped_at_the_days_last_second() {
    let text = wartezeit(
        store(),
        &["export", "--format", "openmetrics", "--office", OFFICE, "--from", "2020-06-20", "--to", "2020-06-24"],
    );
    assert!(text.ends_with("# EOF\n"));
    assert!(
        text.contains(
            "# TYPE wartezeit_backlog_appointments gauge\n# UNIT wartezeit_backlog_appointments appointments\n"
        )
    );
    // 2020-06-20 23:59:59 +02:00.
    let first = 1_592_690_399;
    for (i, day) in ["2020-06-20", "2020-06-21", "2020-06-22", "2020-06-23", "2020-06-24"].iter().enumerate() {
        let at = first + 86_400 * i as i64;
        let summary: Value =
            serde_json::from_str(&wartezeit(store(), &["summary", "--as-of", day, "--format", "json"])).expect("JSON");
        let labels = format!("{{office=\"{OFFICE}\"}}");
        let get = |name: &str| sample(&text, &format!("{name}{labels}"), at);
        assert_eq!(get("wartezeit_backlog_appointments"), summary["backlog"]["today"].as_f64(), "{day}");
        let seconds = |v: &Value| v.as_f64().map(|d| d * 86_400.0);
        assert_eq!(
            get("wartezeit_next_available_wait_seconds"),
            seconds(&summary["next_available_days"]["today"]),
            "{day}"
        );
        assert_eq!(
            get("wartezeit_realized_wait_7d_p90_seconds"),
            seconds(&summary["realized_wait_p90_days_7d"]["today"]),
            "{day}"
        );
    }
    // The counters count from the first event of the year, not from --from.
    let series: Value =
        serde_json::from_str(&wartezeit(store(), &["series", "--from", "2020-01-01", "--to", "2020-06-24"]))
            .expect("series JSON");
    let bookings: f64 = series.as_array().expect("rows").iter().map(|r| r["bookings"].as_f64().expect("a count")).sum();
    let last = first + 4 * 86_400;
    assert_eq!(sample(&text, &format!("wartezeit_bookings_total{{office=\"{OFFICE}\"}}"), last), Some(bookings));
}

#[test]
fn ndjson_stays_the_default_and_each_format_refuses_the_others_arguments() {
    let first = wartezeit(store(), &["export", "--from", "43157"]);
    let event: Value = serde_json::from_str(first.trim()).expect("an NDJSON event");
    assert!(event["event_id"].is_string());
    for (args, says) in [
        (&["export", "--from", "2020-06-01"][..], "--from 2020-06-01: the ndjson format starts at a log position"),
        (&["export", "--to", "2020-06-01"][..], "--to and --office: only the openmetrics format takes them"),
        (&["export", "--format", "openmetrics", "--from", "7"][..], "--from 7: the openmetrics format starts at a day"),
        (&["export", "--format", "openmetrics", "--with-meta"][..], "--with-meta: only the ndjson format"),
        (
            &["export", "--format", "openmetrics", "--from", "2020-06-02", "--to", "2020-06-01"][..],
            "2020-06-01 lies before 2020-06-02",
        ),
        (&["export", "--format", "openmetrics", "--office", "nowhere"][..], "office nowhere is not in the log"),
        (&["export", "--format", "openmetrics", "--from", "1970-01-01", "--to", "2199-12-31"][..], "at most 36600"),
        (&["export", "--format", "openmetrics", "--from", "0001-01-01", "--to", "9999-12-31"][..], "1970-01-01"),
        (&["export", "--from", "yesterday"][..], "neither a log position nor a date"),
    ] {
        let out = run(store(), args, None);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}
