//! The read-side commands through the binary: `series`, `summary`, `offices`, `attribution`, on the committed data
//! set; `--known-at P` against a fresh store holding only positions 1..=P.

mod support {
    pub mod cli;
}

use support::cli::{ok, run, store};

#[test]
fn series_json_rows_have_exactly_the_documented_keys() {
    let json = ok(store(), &["series", "--from", "2020-06-22", "--to", "2020-06-24"]);
    let rows: Vec<serde_json::Map<String, serde_json::Value>> = serde_json::from_str(&json).expect("an array");
    assert_eq!(rows.len(), 3);
    let keys: Vec<&str> = rows[0].keys().map(String::as_str).collect();
    let mut expected = vec![
        "date",
        "backlog",
        "backlog_by_service",
        "displaced",
        "bookings",
        "served_appointments",
        "served_walk_in",
        "cancellations",
        "no_shows",
        "capacity",
        "booked",
        "next_available_days",
        "third_next_available_days",
        "realized_wait_p50_days",
        "realized_wait_p90_days",
        "observations",
        "observed_next_available_days",
        "observed_third_next_available_days",
        "observed_free_next_28d",
        "observed_taken",
        "observed_released",
        "observed_by_service",
    ];
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    expected.sort_unstable();
    assert_eq!(sorted, expected);
    assert_eq!(rows[2]["date"], "2020-06-24");
    let by_service: u64 =
        rows[2]["backlog_by_service"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(Some(by_service), rows[2]["backlog"].as_u64());
}

#[test]
fn known_at_gives_the_rows_of_a_store_that_holds_only_those_positions() {
    let position = 20_000;
    let export = ok(store(), &["export"]);
    let prefix: String = export.lines().take(position).map(|l| format!("{l}\n")).collect();
    let fresh = tempfile::tempdir().unwrap();
    let imported = run(fresh.path(), &["import", "-"], Some(prefix.as_bytes()));
    assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));
    let range = ["--from", "2020-04-01", "--to", "2020-07-31"];
    let known_at = ok(store(), &[&["series", "--known-at", &position.to_string()][..], &range].concat());
    let cut = ok(fresh.path(), &[&["series"][..], &range].concat());
    assert_eq!(known_at, cut);
    let everything = ok(store(), &[&["series"][..], &range].concat());
    assert_ne!(known_at, everything, "later events change later figures");
}

#[test]
fn offices_lists_the_office_with_its_first_and_last_event() {
    let table = ok(store(), &["offices"]);
    assert!(table.contains("kl-buergercenter"), "{table}");
    assert!(table.contains("2020-01-01") && table.contains("2020-12-31"), "{table}");
}

#[test]
fn an_unknown_office_is_named_in_the_error() {
    let out = run(store(), &["summary", "--office", "mainz", "--as-of", "2020-06-24"], None);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("office mainz is not in the log") && stderr.contains("kl-buergercenter"), "{stderr}");
}

#[test]
fn table_and_csv_forms_carry_the_same_day() {
    let table =
        ok(store(), &["series", "--from", "2020-06-24", "--to", "2020-06-24", "--format", "table", "--lang", "de"]);
    assert!(table.lines().nth(1).is_some_and(|l| l.starts_with("24.06.2020")), "{table}");
    let csv = ok(store(), &["series", "--from", "2020-06-24", "--to", "2020-06-24", "--format", "csv"]);
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header.len(), row.len());
    let next = header.iter().position(|h| *h == "next_available_days").unwrap();
    let summary: serde_json::Value =
        serde_json::from_str(&ok(store(), &["summary", "--as-of", "2020-06-24", "--format", "json"])).unwrap();
    assert_eq!(row[next], summary["next_available_days"]["today"].to_string());
}

#[test]
fn attribution_parts_add_up_to_the_total() {
    let json = ok(store(), &["attribution", "--from", "2020-03-01", "--to", "2020-06-24", "--format", "json"]);
    let a: serde_json::Value = serde_json::from_str(&json).unwrap();
    let total = a["lost_slots"].as_u64().unwrap();
    let by_period: u64 = a["by_period"].as_array().unwrap().iter().map(|p| p["lost_slots"].as_u64().unwrap()).sum();
    assert_eq!(by_period, total);
    assert!(total > 0);
}

#[test]
fn backtest_names_the_decisions_taken_after_each_forecast_and_the_coverage_where_the_plans_held() {
    let args = ["backtest", "--from", "2020-06-19", "--to", "2020-07-03", "--every", "14", "--runs", "200"];
    let tabelle = ok(store(), &args);
    assert!(tabelle.contains("Rückblick für kl-buergercenter") && tabelle.contains("später entschieden"), "{tabelle}");
    assert!(tabelle.contains("ausweis-abholung ohne Termin ab 29.06.2020"), "German by default:\n{tabelle}");
    let args = [&args[..], &["--lang", "en"]].concat();
    let table = ok(store(), &args);
    let row = |day: &str| table.lines().find(|l| l.starts_with(day)).unwrap_or_else(|| panic!("{day}:\n{table}"));
    assert!(table.contains("decided later"), "{table}");
    // 19 June: before the pick-up policy (24 June) and the extra slots (1 July); 3 July: after both.
    assert!(row("2020-06-19").contains("ausweis-abholung no appointment from 2020-06-29"), "{table}");
    assert!(row("2020-06-19").contains("capacity +") && row("2020-06-19").contains("from 2020-07-13"), "{table}");
    assert!(row("2020-07-03").ends_with('–'), "{table}");
    assert!(
        table.contains("held up to the outcome: 1 of 2; their coverage 85 %: 100 % (1 of 1), 95 %: 100 % (1 of 1)"),
        "{table}"
    );

    let bad = run(store(), &["backtest", "--from", "2020-07-03", "--to", "2020-06-19"], None);
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("--from 2020-07-03 --to 2020-06-19: 2020-06-19 lies before 2020-07-03"), "{stderr}");
}

#[test]
fn every_command_speaks_german_by_default_and_asks_about_today_when_no_day_is_named() {
    // Today is past the data set's last event: the figures of today are those the log leaves (no bookings today).
    let today = ok(store(), &["summary"]);
    assert!(today.contains("Stand") && today.contains("offene Anliegen"), "German by default:\n{today}");
    let english = ok(store(), &["summary", "--lang", "en", "--as-of", "2020-06-24"]);
    assert!(english.contains("as of") && english.contains("open requests"), "{english}");
    let press = ok(store(), &["press"]);
    assert!(press.contains("Stand der Daten") || press.contains("Quelle"), "a statement of today:\n{press}");
    let table = ok(store(), &["series", "--from", "2020-06-22", "--to", "2020-06-24", "--format", "table"]);
    assert!(table.contains("22.06.2020"), "German dates in the table by default:\n{table}");
}
