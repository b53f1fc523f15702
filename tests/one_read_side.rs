//! One read side (issue #16): on random valid logs, the same question gets the same answer from the command line,
//! the API, the page and the press statement — series, summary, attribution and the statement as JSON, equal as
//! values, and the page's backlog tile equal to the summary's figure.

mod support {
    pub mod cli;
    pub mod logs;
    pub mod server;
}

use proptest::prelude::*;
use serde_json::Value;
use wartezeit::domain::wire::to_json_line;

use support::logs::{self, Scenario};
use support::server::Server;

/// A scenario and a day inside its window to ask about.
fn question() -> impl Strategy<Value = (Scenario, u64)> {
    logs::scenario().prop_flat_map(|s| {
        let (from, to) = s.window();
        let days = (to - from).num_days().max(0) as u64;
        (Just(s), 0..=days)
    })
}

/// The value of the `data-value` attribute of the page's tile `id`.
fn tile_value(html: &str, id: &str) -> Option<String> {
    let at = html.find(&format!("id=\"tile-{id}\""))?;
    let rest = &html[at..];
    let start = rest.find("data-value=\"")? + "data-value=\"".len();
    Some(rest[start..start + rest[start..].find('"')?].to_owned())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn the_cli_the_api_the_page_and_the_press_statement_give_the_same_figures((scenario, offset) in question()) {
        let ndjson: String = scenario.log.iter().map(|(_, e)| to_json_line(e) + "\n").collect();
        let (from, to) = scenario.window();
        let as_of = from + chrono::Days::new(offset);
        let (from, to, day) = (from.to_string(), to.to_string(), as_of.to_string());

        let store = tempfile::tempdir().unwrap();
        let imported = support::cli::run(store.path(), &["import", "-"], Some(ndjson.as_bytes()));
        prop_assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));
        let cli = |args: &[&str]| -> Value {
            let args = [&["--tz", "Europe/Berlin"][..], args].concat();
            serde_json::from_str(&support::cli::ok(store.path(), &args)).unwrap()
        };

        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(async {
            let server = Server::start(&ndjson, Some(&day)).await;
            let offices: Vec<String> =
                server.get_json("/api/v1/offices").await.as_array().unwrap().iter()
                    .map(|o| o["office"].as_str().unwrap().to_owned()).collect();
            prop_assert_eq!(&offices, &cli(&["offices", "--format", "json"]).as_array().unwrap().iter()
                .map(|o| o["office"].as_str().unwrap().to_owned()).collect::<Vec<_>>());
            for office in &offices {
                let api = |path: String| {
                    let server = &server;
                    async move { server.get_json(&path).await }
                };
                let series = api(format!("/api/v1/series?office={office}&from={from}&to={to}")).await;
                prop_assert_eq!(&series, &cli(&["series", "--office", office, "--from", &from, "--to", &to, "--format", "json"]));
                let summary = api(format!("/api/v1/summary?office={office}&as_of={day}")).await;
                prop_assert_eq!(&summary, &cli(&["summary", "--office", office, "--as-of", &day, "--format", "json"]));
                let attribution = api(format!("/api/v1/attribution?office={office}&from={from}&to={to}")).await;
                prop_assert_eq!(&attribution, &cli(&["attribution", "--office", office, "--from", &from, "--to", &to, "--format", "json"]));
                let statement = api(format!("/api/v1/press-statement?office={office}&as_of={day}&format=json")).await;
                prop_assert_eq!(&statement, &cli(&["press", "--office", office, "--as-of", &day, "--format", "json"]));
                prop_assert_eq!(&statement["backlog"], &summary["backlog"]["today"]);

                let page = server.get(&format!("/?office={office}&as_of={day}")).await.text().await.unwrap();
                let tile = tile_value(&page, "backlog");
                prop_assert_eq!(tile, summary["backlog"]["today"].as_u64().map(|n| n.to_string()), "{}", office);
            }
            server.stop().await;
            Ok(())
        })?;
    }
}
