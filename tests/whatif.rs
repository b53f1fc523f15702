//! What-if plans and the capacity needed, black box: `wartezeit whatif`, `capacity-needed` and `backtest
//! --decisions` on the committed 2020 data set, and `GET /api/v1/whatif` and `/api/v1/capacity-needed` over
//! loopback as of 2020-06-24 (the day of the press release).

use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::Value;

mod support {
    pub mod cli;
    pub mod server;
}

use support::cli::{ok, run, store};
use support::server::{DATA_SET, Server};

/// A plan file in a temporary directory.
fn plan_file(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plans.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path.to_str().unwrap().to_owned())
}

const PLANS: &str = r#"
[[plan]]
name = "Zwei Termine mehr pro Stunde ab 13. Juli"

[[plan.change]]
kind = "slots"
from = 2020-07-13
per_weekday = [16, 16, 16, 18, 8, 0, 0]

[[plan]]
name = "Samstags offen"

[[plan.change]]
kind = "saturdays"
from = 2020-07-04
slots = 40
"#;

#[test]
fn whatif_compares_plans_with_the_baseline_under_one_seed() {
    let (_dir, path) = plan_file(PLANS);
    let common = ["--as-of", "2020-06-24", "--runs", "300"];
    let args = [
        &["whatif", "--plan-file", &path, "--plan", "Weniger Nachfrage: demand -20% from 2020-06-25"],
        &common[..],
        &["--format", "json"],
    ]
    .concat();
    let json: Value = serde_json::from_str(&ok(store(), &args)).unwrap();
    let plans = json["plans"].as_array().unwrap();
    let names: Vec<&str> = plans.iter().map(|p| p["plan"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Zwei Termine mehr pro Stunde ab 13. Juli", "Samstags offen", "Weniger Nachfrage"]);
    assert_eq!(json["baseline"]["slots_added"], 0);
    assert!(plans[0]["slots_added"].as_i64().unwrap() > 0);
    // Every plan that adds capacity or takes demand away is back to a week no later than the baseline.
    let p50 = |o: &Value| o["wait_target"]["p50"].as_str().unwrap_or("9999-12-31").to_owned();
    for plan in plans {
        assert!(p50(plan) <= p50(&json["baseline"]), "{} vs {}", plan["wait_target"], json["baseline"]["wait_target"]);
        assert_eq!(plan["wait_after"].as_array().unwrap().len(), 3);
    }
    // The baseline is the forecast of the day, bit for bit.
    let forecast: Value =
        serde_json::from_str(&ok(store(), &[&["forecast"], &common[..], &["--format", "json"]].concat())).unwrap();
    assert_eq!(json["baseline"]["wait_target"], forecast["wait_target"]);
    assert_eq!(json["baseline"]["fan"], forecast["fan"]);
    // For people: one line per plan, German by default.
    let table = ok(store(), &[&["whatif", "--plan-file", &path], &common[..]].concat());
    assert!(table.starts_with("Maßnahmen für kl-buergercenter zum 24.06.2020"), "{table}");
    assert!(table.lines().any(|l| l.starts_with("Basis")), "{table}");
    assert!(table.lines().any(|l| l.starts_with("Samstags offen")), "{table}");
    // The press sentence for a chosen plan, and the chart of the comparison.
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("whatif.svg");
    let chart_arg = chart.to_str().unwrap();
    let args =
        [&["whatif", "--plan-file", &path, "--press", "Samstags offen", "--chart", chart_arg], &common[..]].concat();
    let table = ok(store(), &args);
    let sentence = table.lines().find(|l| l.starts_with("Mit der Maßnahme „Samstags offen“")).expect(&table);
    assert!(sentence.contains("mit 85 % Wahrscheinlichkeit") && sentence.contains("ohne sie"), "{sentence}");
    let svg = std::fs::read_to_string(&chart).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("Samstags offen"), "the legend names the plans");
    let out = run(store(), &["whatif", "--plan-file", &path, "--press", "Sonntags"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--press \"Sonntags\": no plan of that name"));
}

#[test]
fn a_bad_plan_file_is_named_with_line_key_and_reason_and_nothing_runs() {
    let (_dir, path) = plan_file(
        "[[plan]]\nname = \"Mehr Nachfrage\"\n\n[[plan.change]]\nkind = \"demand\"\nfrom = 2020-07-01\nshare = -2\n",
    );
    let out = run(store(), &["whatif", "--plan-file", &path, "--as-of", "2020-06-24"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let expect = format!(
        "error: plan file {path}, line 7, plan[0].change[0].share: -2 is not a share in -1 … 10 (0.1: a tenth more)"
    );
    assert_eq!(stderr.trim(), expect);

    let (_dir, unknown) = plan_file("[[plan]]\nname = \"x\"\n[[plan.change]]\nkind = \"slots\"\nfrm = 2020-07-01\n");
    let out = run(store(), &["whatif", "--plan-file", &unknown], None);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("plan file {unknown}, line 5")) && stderr.contains("frm"), "{stderr}");

    let out = run(store(), &["whatif", "--plan", "x: slots many from 2020-07-01"], None);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--plan #1") && stderr.contains("changes[0].per_weekday: \"many\" is not a number"),
        "{stderr}"
    );
    let out = run(store(), &["backtest", "--from", "2020-06-19", "--to", "2020-06-19", "--decisions", &path], None);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn capacity_needed_answers_with_its_uncertainty() {
    let args =
        ["capacity-needed", "--as-of", "2020-06-24", "--from", "2020-06-29", "--by", "2020-07-17", "--runs", "300"];
    let json: Value = serde_json::from_str(&ok(store(), &[&args[..], &["--format", "json"]].concat())).unwrap();
    let needed = &json["needed"];
    assert_eq!(json["question"]["probability"], 0.85);
    match needed["answer"].as_str().unwrap() {
        "slots" => {
            let (at, fewer) = (&needed["at"], &needed["one_fewer"]);
            assert_eq!(at["slots_per_open_day"].as_u64().unwrap(), fewer["slots_per_open_day"].as_u64().unwrap() + 1);
            assert!(at["share"].as_f64().unwrap() >= 0.85 && fewer["share"].as_f64().unwrap() < 0.85, "{json}");
            assert!(at["standard_error"].as_f64().unwrap() < 0.03);
        }
        other => panic!("{other}: {json}"),
    }
    let table = ok(store(), &[&args[..], &["--lang", "en"]].concat());
    assert!(table.contains("Needed:") && table.contains("extra slots per open day") && table.contains("±"), "{table}");
    let refused = run(store(), &["capacity-needed", "--as-of", "2020-06-24", "--by", "2020-06-20"], None);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("by: 2020-06-20 is not within the forecast's days"));
}

#[test]
fn backtest_with_the_decisions_shows_both_back_tests() {
    let decisions = concat!(env!("CARGO_MANIFEST_DIR"), "/data/kaiserslautern-2020-decisions.toml");
    let args =
        ["backtest", "--from", "2020-06-19", "--to", "2020-07-03", "--every", "14", "--runs", "200", "--lang", "en"];
    let table = ok(store(), &[&args[..], &["--decisions", decisions]].concat());
    assert!(table.starts_with("Under the plans known each day:"), "{table}");
    assert!(
        table.contains("With the decisions taken: Ausweisabholung ohne Termin ab 29. Juni (2020-06-24)"),
        "{table}"
    );
    assert_eq!(table.matches("Back-test for kl-buergercenter").count(), 2, "{table}");
}

impl Server {
    async fn bad(&self, path: &str, parameter: &str, detail: &str) {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "GET {path}");
        assert_eq!(response.headers()["content-type"], "application/problem+json");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["parameter"], parameter, "{path}: {body}");
        assert!(body["detail"].as_str().unwrap().contains(detail), "{path}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_api_compares_plans_and_finds_the_capacity_needed() {
    let server = Server::start(DATA_SET, Some("2020-06-24")).await;
    let path = "/api/v1/whatif?as_of=2020-06-24&runs=200&plan=Mehr%20Termine%3A%20slots%202%20from%202020-07-13\
                &plan=Samstags%3A%20saturdays%2040%20from%202020-07-04";
    let body = server.get_json(path).await;
    assert_eq!(body, server.get_json(path).await, "the same seed gives the same comparison");
    assert_eq!(body["plans"][0]["plan"]["changes"][0]["kind"], "slots");
    assert_eq!(body["plans"][1]["plan"]["name"], "Samstags");
    let forecast = server.get_json("/api/v1/forecast?as_of=2020-06-24&runs=200").await;
    assert_eq!(body["baseline"]["wait_target"], forecast["wait_target"], "the baseline is the forecast");

    server
        .bad(
            "/api/v1/whatif?plan=x%3A%20demand%20-300%25%20from%202020-07-01",
            "plan",
            "plan[0] \"x: demand -300% from 2020-07-01\": changes[0].share: -3 is not a share",
        )
        .await;
    server.bad("/api/v1/whatif?plan=x%3A%20slots%202", "plan", "changes[0].from").await;
    server.bad("/api/v1/whatif", "plan", "no plan to compare").await;
    server.bad("/api/v1/whatif?plan=x%3A%20slots%202%20from%202020-07-01&runs=0", "runs", "runs").await;

    let needed =
        server.get_json("/api/v1/capacity-needed?as_of=2020-06-24&from=2020-06-29&by=2020-07-17&runs=200").await;
    assert_eq!(needed["needed"]["answer"], "slots", "{needed}");
    server.bad("/api/v1/capacity-needed?as_of=2020-06-24", "by", "by is required").await;
    server.bad("/api/v1/capacity-needed?by=2020-08-14&probability=1.5", "probability", "probability").await;
    server.bad("/api/v1/capacity-needed?by=2020-08-14&limit=0", "limit", "limit=0").await;
    server.bad("/api/v1/capacity-needed?by=2020-06-01", "by", "is not within the forecast's days").await;

    // The page's "Maßnahmen": the plans of the URL beside the baseline, with a sentence for the press.
    let page = server.get("/?as_of=2020-06-24&plan=Mehr%20Termine%3A%20slots%202%20from%202020-07-13").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("<h2>Maßnahmen</h2>") && html.contains("<td>Mehr Termine</td>"), "{html}");
    assert!(html.contains("Mit der Maßnahme „Mehr Termine“"), "{html}");
    let plain = server.get("/?as_of=2020-06-24").await.text().await.unwrap();
    assert!(!plain.contains("Maßnahmen"), "no plans saved, none asked: no section");
    assert_eq!(server.get("/?plan=x%3A%20slots%20many%20from%202020-07-13").await.status(), StatusCode::BAD_REQUEST);

    let doc = server.get_json("/api/v1/openapi.json").await;
    let schemas = &doc["components"]["schemas"];
    let keys = |schema: &str| -> HashSet<String> {
        schemas[schema]["properties"].as_object().unwrap_or_else(|| panic!("{schema}")).keys().cloned().collect()
    };
    let sent = |v: &Value| -> HashSet<String> { v.as_object().unwrap().keys().cloned().collect() };
    assert_eq!(keys("Comparison"), sent(&body));
    assert_eq!(keys("Outcome"), sent(&body["plans"][0]));
    assert_eq!(keys("Plan"), sent(&body["plans"][0]["plan"]));
    assert_eq!(keys("CapacityNeeded"), sent(&needed));
    assert_eq!(keys("NeedQuestion"), sent(&needed["question"]));
    assert_eq!(keys("Tried"), sent(&needed["tried"][0]));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_plans_an_operator_saved_are_compared_on_the_page_and_by_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let log = wartezeit::log::Log::open(dir.path()).unwrap();
    let events: Vec<_> = DATA_SET.lines().map(|l| wartezeit::domain::wire::parse_event(l).unwrap()).collect();
    let appended = log.clone();
    tokio::task::spawn_blocking(move || appended.append(events).unwrap()).await.unwrap();
    let saved = wartezeit::forecast::plan::file::parse_file(PLANS).unwrap();
    let limits = wartezeit::service::connections::Limits::default();
    let server = Server::configured(log, Some("2020-06-24"), dir, limits, |config| config.plans = saved).await;
    let html = server.get("/").await.text().await.unwrap();
    assert!(html.contains("Gespeicherte Pläne") && html.contains("<td>Samstags offen</td>"), "{html}");
    let body = server.get_json("/api/v1/whatif?runs=100").await;
    let names: Vec<&str> =
        body["plans"].as_array().unwrap().iter().map(|p| p["plan"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Zwei Termine mehr pro Stunde ab 13. Juli", "Samstags offen"]);
    // Plans in the URL stand in for the saved ones.
    let asked = server.get_json("/api/v1/whatif?runs=100&plan=Nur%20einer%3A%20slots%201%20from%202020-07-01").await;
    assert_eq!(asked["plans"].as_array().unwrap().len(), 1);
    server.stop().await;
}
