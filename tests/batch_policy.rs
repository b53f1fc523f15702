//! One batch policy: the same batch sent over HTTP and given to `wartezeit import` is rejected with the same
//! violations (line, field, reason, status), parse errors and rule breaks together, the first 100 in batch order,
//! with values echoed at most 200 characters; and nothing is appended by either.

use reqwest::StatusCode;
use serde_json::Value;

mod support {
    pub mod server;
}

use support::server::{Server, TOKEN};

/// A batch with a valid booking, a line of `{}`, a blank line, the cancellation of an unknown appointment, an
/// object with a duplicate key, a control character in a holiday's name and a one-megabyte office id.
fn batch() -> String {
    let long = "x".repeat(1 << 20);
    [
        r#"{"event_id":"b","type":"appointment_booked","at":"2020-06-02T09:15:00+02:00","office":"kl","appointment_id":"A-1","service":"s","channel":"online","slot":"2020-06-24T08:00:00+02:00"}"#.to_string(),
        "{}".into(),
        " \t".into(),
        r#"{"event_id":"c","type":"appointment_cancelled","at":"2020-06-03T09:15:00+02:00","office":"kl","appointment_id":"A-2"}"#.into(),
        r#"{"event_id":"w","type":"walk_in_served","at":"not-a-date","office":"kl","service":"s","at":"2020-06-22T10:00:00+02:00"}"#.into(),
        r#"{"event_id":"h","type":"holiday_declared","at":"2020-01-01T00:00:00Z","date":"2020-05-21","name":"Neu\u001bjahr"}"#.into(),
        format!(r#"{{"event_id":"l","type":"walk_in_served","at":"2020-06-22T10:00:00Z","office":"{long}","service":"s"}}"#),
    ]
    .join("\n")
        + "\n"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_and_import_reject_a_batch_with_the_same_violations() {
    let server = Server::start("", None).await;
    let response = server.post(batch(), "application/x-ndjson", Some(TOKEN)).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let bytes = response.bytes().await.expect("a body");
    assert!(bytes.len() < 64 * 1024, "the answer is {} bytes", bytes.len());
    let problem: Value = serde_json::from_slice(&bytes).expect("problem JSON");
    let from_http: Vec<String> = problem["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .map(|v| {
            let field = v["field"].as_str().map(|f| format!("field {f:?}: ")).unwrap_or_default();
            format!("batch.ndjson:{}: {field}{} ({})", v["line"], v["reason"].as_str().unwrap(), v["status"])
        })
        .collect();
    assert_eq!(problem["violations_total"], from_http.len());
    let lines: Vec<u64> =
        problem["violations"].as_array().unwrap().iter().map(|v| v["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [2, 2, 2, 4, 5, 6, 7], "{from_http:#?}");
    assert_eq!(server.log.head().position, 0, "nothing appended");
    server.stop().await;

    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("batch.ndjson"), batch()).unwrap();
    let data = work.path().join("data");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wartezeit"))
        .current_dir(work.path())
        .arg("--data-dir")
        .arg(&data)
        .args(["import", "batch.ndjson"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let from_cli: Vec<&str> = stderr.lines().filter(|l| l.starts_with("batch.ndjson:")).collect();
    assert_eq!(from_cli, from_http);
    assert!(stderr.contains("import rejected: 7 problem(s), nothing appended"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_mebibytes_of_empty_objects_get_a_small_answer() {
    let server = Server::start("", None).await;
    let body = "{}\n".repeat((8 << 20) / 3);
    let response = server.post(body, "application/x-ndjson", Some(TOKEN)).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let bytes = response.bytes().await.expect("a body");
    assert!(bytes.len() < 64 * 1024, "the answer is {} bytes", bytes.len());
    let problem: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(problem["violations"].as_array().unwrap().len(), 100);
    assert_eq!(problem["violations_total"], 3 * ((8 << 20) / 3));
    // As a JSON array, the same.
    let array = format!("[{}]", vec!["{}"; (8 << 20) / 3].join(","));
    let response = server.post(array, "application/json", Some(TOKEN)).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.bytes().await.unwrap().len() < 64 * 1024);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheme_is_case_insensitive_and_every_answer_carries_security_headers() {
    let server = Server::start("", None).await;
    let event =
        r#"{"event_id":"w","type":"walk_in_served","at":"2020-06-22T10:00:00+02:00","office":"kl","service":"s"}"#;
    let response = server
        .client
        .post(format!("{}/api/v1/events", server.base))
        .header("content-type", "application/x-ndjson")
        .header("authorization", format!("BEARER {TOKEN}"))
        .body(event)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    for path in ["/", "/charts/backlog.png", "/api/v1/offices", "/no-such-route"] {
        let response = server.get(path).await;
        let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
        let csp = header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"), "{path}");
        assert_eq!(header("x-frame-options").as_deref(), Some("DENY"), "{path}");
    }
    server.stop().await;
}

#[test]
fn an_absurd_sample_size_is_refused_with_a_message() {
    for n in ["18446744073709551615", "100000000000"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_wartezeit"))
            .args(["sample", "--events", n])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{n}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("--events") && stderr.contains("50000000"), "{stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dates_of_questions_keep_to_the_contract_bounds_in_the_api_and_the_command_line() {
    let server = Server::start(support::server::DATA_SET, Some("2020-06-24")).await;
    for query in ["/api/v1/attribution?from=0001-01-01&to=9999-12-31", "/api/v1/summary?as_of=2200-01-01"] {
        let response = server.get(query).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        let problem: Value = response.json().await.unwrap();
        assert!(problem["detail"].as_str().unwrap().contains("1970-01-01 … 2199-12-31"), "{problem}");
    }
    server.stop().await;
    let work = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wartezeit"))
        .arg("--data-dir")
        .arg(work.path())
        .args(["attribution", "--from", "0001-01-01", "--to", "9999-12-31"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("lies outside 1970-01-01 … 2199-12-31"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_raw_event_feed_needs_the_read_or_the_write_token() {
    let dir = tempfile::tempdir().unwrap();
    let log = wartezeit::log::Log::open(dir.path()).unwrap();
    let server = Server::over(log, None, dir).await;
    let feed = format!("{}/api/v1/events", server.base);
    assert_eq!(server.client.get(&feed).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let wrong = server.client.get(&feed).bearer_auth("not-the-token").send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    let right = server.client.get(&feed).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(right.status(), StatusCode::OK);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_states_the_limits_the_server_enforces() {
    let server = Server::start(support::server::DATA_SET, Some("2020-06-24")).await;
    let doc = server.get_json("/api/v1/openapi.json").await;
    let parameter = |path: &str, name: &str| -> Value {
        doc["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap_or_else(|| panic!("{path} has parameters"))
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{path} has {name}"))["schema"]
            .clone()
    };
    let runs = parameter("/api/v1/forecast", "runs");
    assert_eq!((runs["minimum"].as_f64(), runs["maximum"].as_f64()), (Some(1.0), Some(10_000.0)), "{runs}");
    let limit = parameter("/api/v1/events", "limit");
    assert_eq!(limit["maximum"].as_f64(), Some(10_000.0), "{limit}");
    assert_eq!(parameter("/api/v1/summary", "office")["pattern"], "^[a-z0-9][a-z0-9_-]{0,63}$");
    assert_eq!(parameter("/api/v1/press-statement", "lang")["pattern"], "^(de|en)$");
    let width = parameter("/charts/{file}", "width");
    assert_eq!((width["minimum"].as_f64(), width["maximum"].as_f64()), (Some(300.0), Some(3000.0)), "{width}");
    // And the server holds to them.
    for (query, name) in [("/api/v1/forecast?runs=0", "runs"), ("/api/v1/events?limit=10001", "limit")] {
        let response = server.client.get(format!("{}{query}", server.base)).bearer_auth(TOKEN).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["parameter"], name);
    }
    server.stop().await;
}
