//! The press statement through the command line, on the committed 2020 data set: golden files in both languages
//! for the day of the press release and for a quiet day, byte-identical repeats, and reproduction by `--known-at`.
//!
//! To accept a deliberate change of wording, run `UPDATE_GOLDEN=1 cargo test --test press` and review the diff.

mod support {
    pub mod cli;
}

use std::path::{Path, PathBuf};

use support::cli::{ok as wartezeit, store};

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name)
}

fn check_golden(name: &str, args: &[&str]) {
    let actual = wartezeit(store(), args);
    let path = golden(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &actual).expect("golden file written");
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(actual, expected, "{name} differs from its golden file");
}

#[test]
fn statement_of_the_press_release_day_in_german() {
    check_golden("press-2020-06-24-de.txt", &["press", "--as-of", "2020-06-24", "--lang", "de"]);
}

#[test]
fn statement_of_the_press_release_day_in_english_markdown() {
    check_golden("press-2020-06-24-en.md", &["press", "--as-of", "2020-06-24", "--lang", "en", "--format", "markdown"]);
}

#[test]
fn statement_of_a_quiet_day_in_german() {
    check_golden("press-2020-09-15-de.txt", &["press", "--as-of", "2020-09-15", "--lang", "de"]);
}

#[test]
fn statement_of_a_quiet_day_in_english() {
    check_golden("press-2020-09-15-en.txt", &["press", "--as-of", "2020-09-15", "--lang", "en"]);
}

#[test]
fn the_words_match_the_figures_and_the_statement_repeats_byte_for_byte() {
    let args = ["press", "--as-of", "2020-06-24", "--format", "json"];
    let first = wartezeit(store(), &args);
    assert_eq!(first, wartezeit(store(), &args));
    let json: serde_json::Value = serde_json::from_str(&first).expect("JSON");
    let days = json["next_available"]["days"].as_u64().expect("a wait");
    assert!((18..=24).contains(&days), "{days}");
    assert!(json["next_available"]["words"]["words"].as_str().unwrap().contains("Wochen"));
    let backlog = json["backlog"].as_u64().unwrap();
    assert!(backlog > 1000);
    assert!(json["backlog_words"].as_str().unwrap().starts_with("mehr als 1."));
    let summary: serde_json::Value =
        serde_json::from_str(&wartezeit(store(), &["summary", "--as-of", "2020-06-24", "--format", "json"])).unwrap();
    assert_eq!(summary["backlog"]["today"].as_u64(), Some(backlog));
}

#[test]
fn the_provenance_line_reproduces_the_statement() {
    let now = wartezeit(store(), &["press", "--as-of", "2020-06-24"]);
    let position = wartezeit(store(), &["verify"]);
    let head: u64 = position.split("position ").nth(1).and_then(|s| s.split(',').next()).unwrap().parse().unwrap();
    let again = wartezeit(store(), &["press", "--as-of", "2020-06-24", "--known-at", &head.to_string()]);
    assert_eq!(now, again);
    // An earlier position gives an earlier state of knowledge, and says so.
    let earlier = wartezeit(store(), &["press", "--as-of", "2020-06-24", "--known-at", "20000"]);
    assert!(earlier.contains("Logposition 20.000"), "{earlier}");
    assert_ne!(earlier, now);
}

#[test]
fn before_the_first_event_the_statement_says_there_are_no_data_yet() {
    check_golden("press-2019-06-01-de.txt", &["press", "--as-of", "2019-06-01", "--lang", "de"]);
    check_golden("press-2019-06-01-en.txt", &["press", "--as-of", "2019-06-01", "--lang", "en"]);
}

/// A store holding one plan and one booking: one open request.
fn one_request() -> &'static Path {
    static STORE: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    STORE
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let events = concat!(
                r#"{"event_id":"p","type":"capacity_planned","at":"2021-03-01T08:00:00+01:00","office":"mz","effective_from":"2021-03-01","slots_per_weekday":[10,10,10,10,10,0,0]}"#,
                "\n",
                r#"{"event_id":"b","type":"appointment_booked","at":"2021-03-01T09:00:00+01:00","office":"mz","appointment_id":"A-1","service":"pass","channel":"online","slot":"2021-03-03T10:00:00+01:00"}"#,
                "\n"
            );
            let out = support::cli::run(dir.path(), &["import", "-"], Some(events.as_bytes()));
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            dir
        })
        .path()
}

#[test]
fn one_open_request_is_one_request_in_both_languages() {
    for (lang, name) in [("de", "press-one-request-de.txt"), ("en", "press-one-request-en.txt")] {
        let actual = wartezeit(one_request(), &["press", "--as-of", "2021-03-01", "--lang", lang]);
        let path = golden(name);
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&path, &actual).unwrap();
        }
        assert_eq!(actual, std::fs::read_to_string(&path).unwrap(), "{name} differs from its golden file");
    }
}

#[test]
fn every_number_of_the_statement_is_the_apis_for_the_same_question_and_period() {
    let json = |args: &[&str]| -> serde_json::Value { serde_json::from_str(&wartezeit(store(), args)).unwrap() };
    for as_of in ["2020-06-24", "2020-04-20", "2020-09-15"] {
        let statement = json(&["press", "--as-of", as_of, "--format", "json"]);
        let summary = json(&["summary", "--as-of", as_of, "--format", "json"]);
        assert_eq!(statement["backlog"], summary["backlog"]["today"], "{as_of}");
        assert_eq!(statement["backlog_7_days_earlier"], summary["backlog"]["seven_days_earlier"], "{as_of}");
        assert_eq!(statement["next_available"]["days"], summary["next_available_days"]["today"], "{as_of}");
        assert_eq!(statement["third_next_available"]["days"], summary["third_next_available_days"]["today"]);
        assert_eq!(statement["realized_wait_p50_days_7d"], summary["realized_wait_p50_days_7d"]["today"]);
        let causes = &statement["causes"];
        if causes.is_null() {
            continue;
        }
        // The causes cover the period from the last normal day that the text names to the as-of day.
        let from = causes["last_normal_day"].as_str().unwrap();
        let attribution = json(&["attribution", "--from", from, "--to", as_of, "--format", "json"]);
        assert_eq!(
            causes["attribution"], attribution,
            "{as_of}: the statement's causes are `attribution --from {from}`"
        );
        let share = attribution["share_of_planned"].as_f64().unwrap() * 100.0;
        let text = statement["paragraphs"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect::<String>();
        assert!(text.contains(&format!("{share:.1} %").replace('.', ",")), "{as_of}: {share:.1} % in {text}");
    }
}

#[test]
fn the_forecast_chart_marks_the_dates_the_statement_names() {
    let statement: serde_json::Value = serde_json::from_str(&wartezeit(
        store(),
        &["press", "--as-of", "2020-06-24", "--lang", "en", "--format", "json"],
    ))
    .unwrap();
    let outlook = statement["outlook"].as_str().unwrap();
    assert!(outlook.contains("with 85 % probability by 4 August 2020"), "{outlook}");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("forecast.svg");
    let args =
        ["chart", "forecast", "--from", "2020-04-29", "--to", "2020-10-14", "--as-of", "2020-06-24", "--lang", "en"];
    wartezeit(store(), &[&args[..], &["--out", out.to_str().unwrap()]].concat());
    let svg = std::fs::read_to_string(&out).unwrap();
    assert!(svg.contains("Target reached 85 %: 2020-08-04"), "the chart marks the statement's 85 % date");
    assert!(svg.contains("Target reached 50 %: 2020-07-30"));
}
