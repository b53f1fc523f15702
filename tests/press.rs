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
