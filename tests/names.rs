//! Display names (`office_described`, `service_described`): wherever a person reads, the office is "Bürgercenter
//! Kaiserslautern", not `kl-buergercenter`, and a renamed office shows its latest name everywhere at once.

mod support {
    pub mod cli;
    pub mod server;
}

use serde_json::Value;
use support::server::{DATA_SET, Server, TOKEN};

const NAME: &str = "Bürgercenter Kaiserslautern";

#[test]
fn the_command_line_names_the_office_in_offices_summary_attribution_and_press() {
    let store = support::cli::store();
    let offices = support::cli::ok(store, &["offices"]);
    assert!(offices.contains(NAME) && offices.contains(" rp "), "{offices}");
    let json: Value = serde_json::from_str(&support::cli::ok(store, &["offices", "--format", "json"])).unwrap();
    assert_eq!(json[0]["name"], NAME);
    assert_eq!(json[0]["state"], "rp");

    let summary = support::cli::ok(store, &["summary", "--as-of", "2020-06-24"]);
    assert!(summary.starts_with(&format!("{NAME} (kl-buergercenter), Stand 24.06.2020")), "{summary}");
    assert!(summary.contains("Personalausweis beantragen "), "services by their names: {summary}");

    let attribution = support::cli::ok(store, &["attribution", "--from", "2020-03-13", "--to", "2020-06-24"]);
    assert!(attribution.starts_with(&format!("{NAME}: verlorene Kapazität")), "{attribution}");

    let press = support::cli::ok(store, &["press", "--as-of", "2020-06-24"]);
    assert!(press.starts_with(&format!("{NAME} – Wartezeit auf einen Termin")), "{press}");
}

#[test]
fn without_a_description_the_id_stands_in() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.ndjson");
    let unnamed: String = DATA_SET.lines().filter(|l| !l.contains("_described\"")).map(|l| format!("{l}\n")).collect();
    std::fs::write(&file, unnamed).unwrap();
    support::cli::ok(dir.path(), &["import", file.to_str().unwrap()]);
    let press = support::cli::ok(dir.path(), &["press", "--as-of", "2020-06-24", "--lang", "en"]);
    assert!(press.starts_with("Citizen centre kl-buergercenter – wait for an appointment"), "{press}");
    let summary = support::cli::ok(dir.path(), &["summary", "--as-of", "2020-06-24"]);
    assert!(summary.starts_with("kl-buergercenter, Stand") && summary.contains("personalausweis "), "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renamed_office_shows_its_latest_name_on_page_api_metrics_and_statement() {
    let server = Server::start(DATA_SET, Some("2020-06-24")).await;
    // A later rename, and an older one sent afterwards: the latest by business time wins, not the last sent.
    let renames = [
        r#"{"event_id":"rename-1","type":"office_described","at":"2020-06-20T08:00:00+02:00","office":"kl-buergercenter","name":"Bürgerbüro Kaiserslautern \"Rathaus\"","state":"rp"}"#,
        r#"{"event_id":"rename-0","type":"office_described","at":"2020-02-01T08:00:00+01:00","office":"kl-buergercenter","name":"Altes Bürgerbüro"}"#,
    ];
    for rename in renames {
        let response = server.post(rename.to_owned(), "application/x-ndjson", Some(TOKEN)).await;
        assert!(response.status().is_success(), "{}", response.text().await.unwrap());
    }
    let latest = "Bürgerbüro Kaiserslautern \"Rathaus\"";

    let offices = server.get_json("/api/v1/offices").await;
    assert_eq!(offices[0]["name"], latest, "{offices}");

    let press = server.get_json("/api/v1/press-statement?as_of=2020-06-24").await;
    assert!(press["headline"].as_str().unwrap().starts_with(latest), "{press}");
    assert_eq!(press["office_name"], latest);

    let summary = server.get_json("/api/v1/summary?as_of=2020-06-24").await;
    assert_eq!(summary["office_name"], latest);
    assert_eq!(summary["service_names"]["reisepass"], "Reisepass beantragen");

    let html = server.get("/").await.text().await.unwrap();
    assert!(html.contains("<h1>Bürgerbüro Kaiserslautern &quot;Rathaus&quot;</h1>"), "the page's heading");
    assert!(html.contains(">Bürgerbüro Kaiserslautern &quot;Rathaus&quot;</option>"), "the office menu");

    let metrics = server.get("/metrics").await.text().await.unwrap();
    let info =
        r#"wartezeit_office_info{office="kl-buergercenter",name="Bürgerbüro Kaiserslautern \"Rathaus\"",state="rp"} 1"#;
    assert!(metrics.contains(info), "{}", metrics.lines().filter(|l| l.contains("office_info")).collect::<String>());

    // Names change no figure.
    assert_eq!(summary["backlog"]["today"], 1226);
    server.stop().await;
}
