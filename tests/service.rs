//! The HTTP service, black box over loopback: started through the same `service::build` as `wartezeit serve`, on
//! port 0, with a fresh temporary data directory.

use std::collections::{BTreeMap, HashSet};

use reqwest::StatusCode;
use serde_json::{Value, json};
use wartezeit::service;

mod support {
    pub mod schema;
    pub mod server;
}

use support::server::{DATA_SET, Server, TOKEN};

impl Server {
    async fn post_events(&self, events: &[Value]) -> reqwest::Response {
        self.post(serde_json::to_string(events).unwrap(), "application/json", Some(TOKEN)).await
    }
}

fn plan(id: &str) -> Value {
    json!({"event_id": id, "type": "capacity_planned", "at": "2021-01-01T08:00:00+01:00", "office": "office-a",
           "effective_from": "2021-01-04", "slots_per_weekday": [10, 10, 10, 10, 10, 0, 0]})
}

fn booking(id: &str, appointment: &str, slot: &str) -> Value {
    json!({"event_id": id, "type": "appointment_booked", "at": "2021-01-04T08:00:00+01:00", "office": "office-a",
           "appointment_id": appointment, "service": "reisepass", "channel": "online", "slot": slot})
}

fn walk_in(id: &str) -> Value {
    json!({"event_id": id, "type": "walk_in_served", "at": "2021-01-04T09:00:00+01:00", "office": "office-a",
           "service": "meldebescheinigung"})
}

async fn assert_problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert!(body["title"].is_string() && body["detail"].is_string() && body["type"].is_string(), "{body}");
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writes_need_the_token_and_a_small_body() {
    let server = Server::start("", Some("2021-01-04")).await;
    let body = serde_json::to_string(&[plan("p1")]).unwrap();
    let missing = assert_problem(server.post(body.clone(), "application/json", None).await, 401).await;
    assert!(missing["detail"].as_str().unwrap().contains("Bearer"));
    assert_problem(server.post(body.clone(), "application/json", Some("wrong")).await, 403).await;
    let huge = format!("[{}]", " ".repeat(service::MAX_BODY_BYTES));
    assert_problem(server.post(huge, "application/json", Some(TOKEN)).await, 413).await;
    assert_problem(server.post(body.clone(), "text/csv", Some(TOKEN)).await, 415).await;
    assert_eq!(server.log.head().position, 0, "nothing refused was appended");
    let ok = server.post(body, "application/json", Some(TOKEN)).await;
    assert_eq!(ok.status(), StatusCode::OK);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn appends_answer_with_positions_and_digest_and_duplicates_are_counted() {
    let server = Server::start("", Some("2021-01-04")).await;
    let first: Value = server.post_events(&[plan("p1"), walk_in("w1")]).await.json().await.unwrap();
    assert_eq!(first["appended"], 2);
    assert_eq!(first["duplicates"], 0);
    assert_eq!(first["first_position"], 1);
    assert_eq!(first["last_position"], 2);
    assert_eq!(first["digest"].as_str().unwrap(), hex::encode(server.log.head().digest));
    let ndjson = format!("{}\n\n{}\n", walk_in("w1"), walk_in("w2"));
    let second = server.post(ndjson, "application/x-ndjson", Some(TOKEN)).await;
    assert_eq!(second.status(), StatusCode::OK);
    let second: Value = second.json().await.unwrap();
    assert_eq!((second["appended"].clone(), second["duplicates"].clone()), (json!(1), json!(1)));
    assert_eq!((second["first_position"].clone(), second["last_position"].clone()), (json!(3), json!(3)));
    // The writer reads its own write at once: the projection is caught up before the 200.
    let summary = server.get_json("/api/v1/summary").await;
    assert_eq!(summary["today"]["served_walk_in"], 2);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rejected_batches_name_every_violation_and_change_nothing() {
    let server = Server::start("", Some("2021-01-04")).await;
    server.post_events(&[plan("p1"), booking("b1", "A1", "2021-01-05T09:00:00+01:00")]).await;
    let head = server.log.head();

    // 400: malformed, in an array and in NDJSON (line numbers count blank lines).
    let mut bad = walk_in("w1");
    bad["service"] = json!("Not A Service!");
    let mut unknown = walk_in("w2");
    unknown["colour"] = json!("blue");
    let body = assert_problem(server.post_events(&[walk_in("ok"), bad.clone(), unknown]).await, 400).await;
    let violations = body["violations"].as_array().unwrap();
    assert!(violations.iter().any(|v| v["index"] == 1 && v["field"] == "service" && v["status"] == 400), "{body}");
    assert!(violations.iter().any(|v| v["index"] == 2 && v["status"] == 400), "{body}");
    let ndjson = format!("{}\n\n{}\n", walk_in("ok"), bad);
    let body = assert_problem(server.post(ndjson, "application/x-ndjson", Some(TOKEN)).await, 400).await;
    assert_eq!(body["violations"][0]["index"], 1);
    assert_eq!(body["violations"][0]["line"], 3);
    assert_problem(server.post("{\"not\": \"an array\"}".into(), "application/json", Some(TOKEN)).await, 400).await;

    // 409: the same event id with other content, and an appointment booked twice.
    let mut changed = plan("p1");
    changed["slots_per_weekday"] = json!([1, 1, 1, 1, 1, 0, 0]);
    let body = assert_problem(server.post_events(&[changed]).await, 409).await;
    assert_eq!(body["violations"][0]["index"], 0);
    assert_eq!(body["violations"][0]["field"], "event_id");
    assert_problem(server.post_events(&[booking("b2", "A1", "2021-01-06T09:00:00+01:00")]).await, 409).await;

    // 422: a slot before the booking, and a cancellation of an unknown appointment; both listed.
    let early = booking("b3", "A3", "2021-01-01T09:00:00+01:00");
    let cancel = json!({"event_id": "c1", "type": "appointment_cancelled", "at": "2021-01-04T10:00:00+01:00",
                        "office": "office-a", "appointment_id": "nope"});
    let body = assert_problem(server.post_events(&[walk_in("fine"), early, cancel]).await, 422).await;
    let violations = body["violations"].as_array().unwrap();
    assert_eq!(violations.len(), 2, "{body}");
    assert!(violations.iter().any(|v| v["index"] == 1 && v["field"] == "slot" && v["status"] == 422), "{body}");
    assert!(violations.iter().any(|v| v["index"] == 2 && v["status"] == 422), "{body}");

    // 409 and 422 together: the response takes the more severe class, 409; each keeps its own.
    let mixed = [booking("b4", "A1", "2021-01-06T09:00:00+01:00"), booking("b5", "A5", "2021-01-01T09:00:00+01:00")];
    let body = assert_problem(server.post_events(&mixed).await, 409).await;
    let statuses: HashSet<u64> =
        body["violations"].as_array().unwrap().iter().map(|v| v["status"].as_u64().unwrap()).collect();
    assert_eq!(statuses, HashSet::from([409, 422]));

    assert_eq!(server.log.head(), head, "no rejected batch appended anything");
    let page = server.get_json("/api/v1/events").await;
    assert_eq!(page["entries"].as_array().unwrap().len(), 2);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn concurrent_writers_lose_nothing_and_leave_no_gap() {
    let server = Server::start("", Some("2021-01-04")).await;
    let (writers, batches) = (8, 500);
    let mut tasks = Vec::new();
    for w in 0..writers {
        let client = server.client.clone();
        let url = format!("{}/api/v1/events", server.base);
        tasks.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for b in 0..batches {
                let ids = [format!("w{w}-b{b}-0"), format!("w{w}-b{b}-1")];
                let events: Vec<Value> = ids.iter().map(|id| walk_in(id)).collect();
                let response = client.post(&url).bearer_auth(TOKEN).json(&events).send().await.unwrap();
                assert_eq!(response.status(), StatusCode::OK);
                let receipt: Value = response.json().await.unwrap();
                assert_eq!(receipt["appended"], 2);
                let first = receipt["first_position"].as_u64().unwrap();
                assert_eq!(receipt["last_position"].as_u64().unwrap(), first + 1);
                acknowledged.push((first, ids[0].clone()));
                acknowledged.push((first + 1, ids[1].clone()));
            }
            acknowledged
        }));
    }
    let mut acknowledged = BTreeMap::new();
    for task in tasks {
        for (position, id) in task.await.unwrap() {
            assert!(acknowledged.insert(position, id).is_none(), "position {position} acknowledged twice");
        }
    }
    let total = (writers * batches * 2) as u64;
    assert_eq!(acknowledged.len() as u64, total);
    assert_eq!(acknowledged.keys().copied().collect::<Vec<_>>(), (1..=total).collect::<Vec<_>>(), "gapless");
    // Every acknowledged event is readable at its position through the feed, page by page.
    let mut from = 1;
    let mut seen = 0;
    while from <= total {
        let page = server.get_json(&format!("/api/v1/events?from={from}&limit=10000")).await;
        for entry in page["entries"].as_array().unwrap() {
            let position = entry["position"].as_u64().unwrap();
            assert_eq!(entry["event"]["event_id"].as_str().unwrap(), acknowledged[&position]);
            seen += 1;
        }
        from = page["next_from"].as_u64().unwrap();
    }
    assert_eq!(seen, total);
    let summary = server.get_json("/api/v1/summary").await;
    assert_eq!(summary["today"]["served_walk_in"].as_u64().unwrap(), total);
    server.stop().await;
}

/// A Prometheus text-format reader: metric name → (type, help, samples of (labels, value)). Panics on a line that
/// is not valid exposition format, so a malformed `/metrics` fails the test.
#[derive(Debug, Default)]
struct Family {
    kind: String,
    help: String,
    samples: Vec<(BTreeMap<String, String>, f64)>,
}

fn parse_metrics(text: &str) -> BTreeMap<String, Family> {
    let mut families: BTreeMap<String, Family> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').expect("HELP name text");
            families.entry(name.into()).or_default().help = help.into();
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE name kind");
            assert!(["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind), "{line}");
            families.entry(name.into()).or_default().kind = kind.into();
        } else {
            assert!(!line.starts_with('#'), "unexpected comment {line}");
            let (series, value) = line.rsplit_once(' ').expect("sample value");
            let value: f64 = value.parse().unwrap_or_else(|_| panic!("bad value in {line}"));
            let (name, labels) = match series.split_once('{') {
                None => (series, BTreeMap::new()),
                Some((name, rest)) => {
                    let rest = rest.strip_suffix('}').expect("closing brace");
                    let mut labels = BTreeMap::new();
                    for pair in rest.split("\",").filter(|p| !p.is_empty()) {
                        let (k, v) = pair.split_once("=\"").expect("label=\"value\"");
                        labels.insert(k.to_owned(), v.trim_end_matches('"').to_owned());
                    }
                    (name, labels)
                }
            };
            assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'), "{name}");
            let family_name = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|s| {
                    name.strip_suffix(s).filter(|base| families.get(*base).is_some_and(|f| f.kind == "histogram"))
                })
                .unwrap_or(name);
            families
                .get_mut(family_name)
                .unwrap_or_else(|| panic!("sample before TYPE: {line}"))
                .samples
                .push((labels, value));
        }
    }
    for (name, family) in &families {
        assert!(!family.help.is_empty(), "{name} has no HELP");
        assert!(!family.kind.is_empty(), "{name} has no TYPE");
    }
    families
}

fn value(families: &BTreeMap<String, Family>, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let family = families.get(name).unwrap_or_else(|| panic!("{name} missing"));
    family
        .samples
        .iter()
        .find(|(l, _)| labels.iter().all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v)))
        .map(|(_, v)| *v)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_data_set_through_every_read_route_and_metrics_agree_with_the_api() {
    let server = Server::start(DATA_SET, Some("2020-06-24")).await;
    assert_eq!(server.get("/healthz").await.status(), StatusCode::OK);
    assert_eq!(server.get("/readyz").await.status(), StatusCode::OK);
    assert_eq!(server.get("/").await.status(), StatusCode::OK);
    let offices = server.get_json("/api/v1/offices").await;
    assert_eq!(offices[0]["office"], "kl-buergercenter");

    let summary = server.get_json("/api/v1/summary").await;
    assert_eq!(summary["as_of"], "2020-06-24", "as_of defaults to the configured day");
    let same = server.get_json("/api/v1/summary?office=kl-buergercenter&as_of=2020-06-24").await;
    assert_eq!(summary, same);

    let series = server.get_json("/api/v1/series?from=2020-06-01&to=2020-06-24").await;
    let rows = series.as_array().unwrap();
    assert_eq!(rows.len(), 24);
    // The series row carries the booked figures of the summary's row and, beside them, the observed ones.
    let booked: serde_json::Map<String, Value> = rows[23]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(key, _)| !key.starts_with("observ"))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    assert_eq!(Value::Object(booked), summary["today"], "the series row of a day is the summary's row of that day");
    assert_eq!(rows[23]["observations"], 0, "the data set has no observations of its calendar");
    let head = server.log.head().position;
    let earlier = server.get_json(&format!("/api/v1/series?from=2020-06-01&to=2020-06-24&known_at={}", head / 4)).await;
    // A quarter of the log ends in spring, before these bookings were made.
    assert!(earlier[23]["bookings"].as_u64() < rows[23]["bookings"].as_u64(), "known_at folds only the log up to it");
    let at_head = server.get_json(&format!("/api/v1/series?from=2020-06-01&to=2020-06-24&known_at={head}")).await;
    assert_eq!(at_head, series);
    // The same known_at twice gives the same answer (the second comes from the cache); a later position is built
    // on from the cached earlier one and is asked twice too.
    let once = server.get_json(&format!("/api/v1/press-statement?known_at={}", head / 2)).await;
    let twice = server.get_json(&format!("/api/v1/press-statement?known_at={}", head / 2)).await;
    assert_eq!(once, twice);
    assert_eq!(once["provenance"]["position"], head / 2);
    let later = server.get_json(&format!("/api/v1/summary?known_at={}", head - 1)).await;
    let earlier_summary = server.get_json(&format!("/api/v1/summary?known_at={}", head / 4)).await;
    assert_eq!(later, server.get_json(&format!("/api/v1/summary?known_at={}", head - 1)).await);
    assert_ne!(later, earlier_summary, "a quarter of the log and all but one event give different figures");

    let attribution = server.get_json("/api/v1/attribution?from=2020-03-01&to=2020-06-24").await;
    assert!(attribution.is_object());
    let statement = server.get_json("/api/v1/press-statement?lang=en").await;
    assert_eq!(statement["provenance"]["position"].as_u64().unwrap(), head);
    assert_eq!(statement["provenance"]["digest"].as_str().unwrap(), hex::encode(server.log.head().digest));
    for (format, media) in [("text", "text/plain"), ("markdown", "text/markdown")] {
        let response = server.get(&format!("/api/v1/press-statement?format={format}")).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with(media));
        assert!(!response.text().await.unwrap().is_empty());
    }

    // Bad query values: 400 naming the parameter.
    for (path, parameter) in [
        ("/api/v1/series?from=2020-13-01&to=2020-06-24", "from"),
        ("/api/v1/series?to=2020-06-24", "from"),
        ("/api/v1/series?from=2020-06-24&to=2020-06-01", "to"),
        // Periods have a maximum (36,600 days; a chart 3,660), and dates lie in 1970–2199.
        ("/api/v1/series?from=1970-01-01&to=2199-12-31", "to"),
        ("/api/v1/attribution?from=1970-01-01&to=2199-12-31", "to"),
        ("/api/v1/attribution?from=0001-01-01&to=2020-06-01", "from"),
        ("/charts/backlog.png?from=2000-01-01&to=2020-06-01", "from"),
        ("/api/v1/summary?as_of=yesterday", "as_of"),
        ("/api/v1/summary?ofice=kl-buergercenter", "ofice"),
        ("/api/v1/press-statement?lang=fr", "lang"),
        ("/api/v1/press-statement?format=pdf", "format"),
        ("/api/v1/events?limit=0", "limit"),
        ("/api/v1/series?from=2020-06-01&to=2020-06-02&known_at=99999999", "known_at"),
    ] {
        // With the token, which the event feed needs (the other routes ignore it).
        let response = server.client.get(format!("{}{path}", server.base)).bearer_auth(TOKEN).send().await.unwrap();
        let body = assert_problem(response, 400).await;
        assert_eq!(body["parameter"], parameter, "{path}: {body}");
    }
    assert_problem(server.get("/api/v1/summary?office=nowhere").await, 404).await;
    assert_problem(server.get("/api/v1/nothing").await, 404).await;

    // /metrics parses, every metric has HELP, and the figures equal the API's.
    let text = server.get("/metrics").await.text().await.unwrap();
    let families = parse_metrics(&text);
    let office = [("office", "kl-buergercenter")];
    let today = &summary["today"];
    let f = |v: &Value| v.as_f64().unwrap();
    assert_eq!(value(&families, "wartezeit_backlog_appointments", &office), Some(f(&today["backlog"])));
    assert_eq!(value(&families, "wartezeit_displaced_appointments", &office), Some(f(&today["displaced"])));
    let seconds = |v: &Value| v.as_f64().map(|d| d * 86_400.0);
    assert_eq!(
        value(&families, "wartezeit_next_available_wait_seconds", &office),
        seconds(&today["next_available_days"])
    );
    assert_eq!(
        value(&families, "wartezeit_third_next_available_wait_seconds", &office),
        seconds(&today["third_next_available_days"])
    );
    assert_eq!(
        value(&families, "wartezeit_realized_wait_7d_p50_seconds", &office),
        seconds(&summary["realized_wait_p50_days_7d"]["today"])
    );
    assert_eq!(
        value(&families, "wartezeit_realized_wait_7d_p90_seconds", &office),
        seconds(&summary["realized_wait_p90_days_7d"]["today"])
    );
    assert_eq!(value(&families, "wartezeit_capacity_today_slots", &office), Some(f(&today["capacity"])));
    assert_eq!(value(&families, "wartezeit_booked_today_slots", &office), Some(f(&today["booked"])));
    let closed = if today["capacity"] == 0 { 1.0 } else { 0.0 };
    assert_eq!(value(&families, "wartezeit_office_closed_today", &office), Some(closed));
    for (service, n) in today["backlog_by_service"].as_object().unwrap() {
        let labels = [("office", "kl-buergercenter"), ("service", service.as_str())];
        assert_eq!(value(&families, "wartezeit_backlog_by_service_appointments", &labels), Some(f(n)));
    }
    // Free slots over the next 28 days, from the series of those days.
    let ahead = server.get_json("/api/v1/series?from=2020-06-25&to=2020-07-22").await;
    let _ = ahead; // Rows of later days are as of their own day; the snapshot is as of today, so only bounds hold.
    let free = value(&families, "wartezeit_free_next_28d_slots", &office).unwrap();
    assert!(free >= 0.0);
    // The counters are the sums of the daily rows up to today.
    let all = server.get_json("/api/v1/series?from=2020-01-01&to=2020-06-24").await;
    let sum = |key: &str| all.as_array().unwrap().iter().map(|r| r[key].as_f64().unwrap()).sum::<f64>();
    for (metric, key) in [
        ("wartezeit_bookings_total", "bookings"),
        ("wartezeit_served_appointments_total", "served_appointments"),
        ("wartezeit_walk_ins_served_total", "served_walk_in"),
        ("wartezeit_cancellations_total", "cancellations"),
        ("wartezeit_no_shows_total", "no_shows"),
    ] {
        assert_eq!(families[metric].kind, "counter");
        assert_eq!(value(&families, metric, &office), Some(sum(key)), "{metric}");
    }
    assert_eq!(value(&families, "wartezeit_log_position", &[]), Some(head as f64));
    assert_eq!(value(&families, "wartezeit_projection_lag_events", &[]), Some(0.0));
    assert_eq!(value(&families, "wartezeit_log_rules_loaded", &[]), Some(1.0));
    assert_eq!(value(&families, "wartezeit_checkpoint_position", &[]), Some(0.0), "43,157 events make no checkpoint");
    assert_eq!(families["wartezeit_checkpoint_duration_seconds"].kind, "histogram");
    assert_eq!(value(&families, "wartezeit_build_info", &[("version", env!("CARGO_PKG_VERSION"))]), Some(1.0));
    assert_eq!(families["wartezeit_append_duration_seconds"].kind, "histogram");
    assert_eq!(families["wartezeit_http_request_duration_seconds"].kind, "histogram");
    assert!(
        value(&families, "wartezeit_http_requests_total", &[("route", "/api/v1/summary"), ("status", "200")]).unwrap()
            >= 2.0
    );
    assert!(value(&families, "wartezeit_http_requests_total", &[("route", "unmatched"), ("status", "404")]).is_some());
    assert!(families.contains_key("wartezeit_events_appended_total"));
    assert!(families.contains_key("process_resident_memory_bytes"));
    server.stop().await;
}

/// The routes the router serves, as (path, method), read from the `.route(…)` calls of `routes.rs`: the router
/// itself cannot be asked for its routes.
fn routes_of_the_router() -> Vec<(String, String)> {
    let source = include_str!("../src/service/routes.rs");
    let mut routes = Vec::new();
    for call in source.split(".route(\"").skip(1) {
        let (path, rest) = call.split_once('"').expect("a quoted path");
        // The method router runs to the parenthesis that closes `.route(`.
        let mut depth = 1;
        let end = rest
            .char_indices()
            .find(|&(_, c)| {
                depth += match c {
                    '(' => 1,
                    ')' => -1,
                    _ => 0,
                };
                depth == 0
            })
            .map(|(i, _)| i)
            .expect("a closed .route( call");
        let methods = &rest[..end];
        for method in ["get", "post", "put", "patch", "delete"] {
            let called = format!("{method}(");
            if methods.match_indices(&called).any(|(i, _)| {
                i == 0 || !methods.as_bytes()[i - 1].is_ascii_alphanumeric() && methods.as_bytes()[i - 1] != b'_'
            }) {
                routes.push((path.to_owned(), method.to_owned()));
            }
        }
    }
    routes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn openapi_lists_every_route_of_the_router_and_the_answers_fit_their_schemas() {
    let server = Server::start(DATA_SET, Some("2020-06-24")).await;
    let doc = server.get_json("/api/v1/openapi.json").await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{}", doc["openapi"]);
    let paths = doc["paths"].as_object().unwrap();
    let routes = routes_of_the_router();
    assert!(routes.len() >= 12, "the .route( calls were not found: {routes:?}");
    for (path, method) in &routes {
        assert!(paths.get(path).and_then(|p| p.get(method)).is_some(), "{method} {path} is not in the document");
    }
    // And the other way round: every documented route answers something other than 404/405.
    for (path, operations) in paths {
        if operations.get("get").is_some() {
            // Path parameters get an example value of their kind.
            let path = path.replace("{file}", "backlog.png");
            let status = server.get(&path).await.status();
            assert!(![404, 405].contains(&status.as_u16()), "GET {path}: {status}");
        }
    }

    // Real 200 answers against the schema of their route's 200 application/json answer.
    let schema_of = |path: &str, method: &str| -> Value {
        let schema = &doc["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"];
        assert!(!schema.is_null(), "{method} {path} documents no JSON 200 answer");
        schema.clone()
    };
    let check = |path: &str, method: &str, body: &Value| {
        let wrong = support::schema::mismatches(&doc, &schema_of(path, method), body);
        assert!(wrong.is_empty(), "{method} {path}: {wrong:#?}");
    };
    for query in [
        "/api/v1/series?from=2020-03-01&to=2020-06-24",
        "/api/v1/summary",
        "/api/v1/attribution?from=2020-03-01&to=2020-06-24",
        "/api/v1/press-statement?lang=en",
        "/api/v1/press-statement?as_of=2020-03-02",
        "/api/v1/offices",
        "/api/v1/events?from=40000&limit=50",
        "/api/v1/openapi.json",
    ] {
        let path = query.split('?').next().unwrap();
        let body = server.get_json(query).await;
        check(path, "get", &body);
    }
    let attribution = server.get_json("/api/v1/attribution?from=2020-03-01&to=2020-06-24").await;
    assert!(!attribution["by_cause"].as_array().unwrap().is_empty(), "the spring of 2020 lost capacity");
    let walk_in = json!({"event_id": "schema-w1", "type": "walk_in_served", "at": "2020-06-24T09:00:00+02:00",
                         "office": "kl-buergercenter", "service": "meldebescheinigung"});
    let receipt = server.post_events(&[walk_in]).await;
    assert_eq!(receipt.status(), StatusCode::OK);
    check("/api/v1/events", "post", &receipt.json().await.unwrap());
    server.stop().await;
}
