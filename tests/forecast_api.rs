//! `GET /api/v1/forecast` black box over loopback, on the committed 2020 data set as of 2020-06-24: the same seed
//! gives the same body, parameters are bounded and named when wrong, and the OpenAPI schema matches the body.

use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::Value;

mod support {
    pub mod server;
}

use support::server::{DATA_SET, Server, TOKEN};

impl Server {
    /// Asserts a 400 problem+json whose detail names `parameter`.
    async fn bad(&self, path: &str, parameter: &str) {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "GET {path}");
        assert_eq!(response.headers()["content-type"], "application/problem+json");
        let body: Value = response.json().await.unwrap();
        assert!(body["detail"].as_str().unwrap().contains(parameter), "{path}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_forecast_is_reproducible_bounded_and_described() {
    let server = Server::start(DATA_SET, Some("2020-06-24")).await;
    let path = "/api/v1/forecast?as_of=2020-06-24&runs=300&seed=7";
    let body = server.get_json(path).await;
    assert_eq!(body, server.get_json(path).await, "the same seed gives the same forecast");
    assert_eq!(body["as_of"], "2020-06-24");
    assert_eq!(body["office"], "kl-buergercenter");
    assert_eq!(body["config"]["runs"], 300);
    assert_eq!(body["wait_target"]["level"], 7);
    assert_eq!(body["observed"]["third_next_available_days"], 20, "the wait of the press release");
    assert_eq!(body["fan"].as_array().unwrap().len(), 180);
    let other = server.get_json("/api/v1/forecast?as_of=2020-06-24&runs=300&seed=8").await;
    assert_ne!(body["fan"], other["fan"]);
    let default_as_of = server.get_json("/api/v1/forecast?runs=300&seed=7&target_days=7").await;
    assert_eq!(default_as_of, body, "as_of defaults to the service's today, target_days to 7");
    // Pick-ups are booked from attended applications unless switched off; the pick-up policy known that day
    // stops them from 28 June (the day before they need no appointment).
    assert_eq!(body["config"]["follow_ups"], true);
    let follow_up = &body["observed"]["follow_ups"][0];
    assert_eq!(follow_up["rule"]["service"], "ausweis-abholung");
    assert_eq!(follow_up["appointment_free_from"], "2020-06-28");
    let resampled = server.get_json(&format!("{path}&follow_ups=false")).await;
    assert_eq!(resampled["config"]["follow_ups"], false);
    assert_eq!(resampled["observed"]["follow_ups"], serde_json::json!([]));
    assert_eq!(resampled["observed"]["dropped_demand"][0]["service"], "ausweis-abholung");
    server.bad("/api/v1/forecast?follow_ups=maybe", "follow_ups").await;

    server.bad("/api/v1/forecast?runs=10001", "runs").await;
    server.bad("/api/v1/forecast?runs=0", "runs").await;
    server.bad("/api/v1/forecast?runs=many", "runs").await;
    server.bad("/api/v1/forecast?target_days=366", "target_days").await;
    server.bad("/api/v1/forecast?seed=-1", "seed").await;
    server.bad("/api/v1/forecast?as_of=24.06.2020", "as_of").await;
    server.bad("/api/v1/forecast?horizon=9", "horizon").await;
    assert_eq!(server.get("/api/v1/forecast?office=nowhere").await.status(), StatusCode::NOT_FOUND);
    let closed = server.get("/api/v1/forecast?as_of=2019-06-01&runs=10").await;
    assert_eq!(closed.status(), StatusCode::UNPROCESSABLE_ENTITY, "no open day to learn from before the data");

    let doc = server.get_json("/api/v1/openapi.json").await;
    assert!(doc["paths"]["/api/v1/forecast"]["get"].is_object());
    let schemas = &doc["components"]["schemas"];
    let keys = |schema: &str| -> HashSet<String> {
        schemas[schema]["properties"].as_object().unwrap_or_else(|| panic!("{schema}")).keys().cloned().collect()
    };
    let sent = |v: &Value| -> HashSet<String> { v.as_object().unwrap().keys().cloned().collect() };
    assert_eq!(keys("Forecast"), sent(&body));
    assert_eq!(keys("Reach"), sent(&body["wait_target"]));
    assert_eq!(keys("Observed"), sent(&body["observed"]));
    assert_eq!(keys("FanDay"), sent(&body["fan"][0]));
    assert_eq!(keys("LittlesLaw"), sent(&body["littles_law"]));
    assert_eq!(keys("ForecastConfig"), sent(&body["config"]));
}

/// `wartezeit_forecasts_total{cache="…"}` as `/metrics` shows it now.
async fn forecasts(server: &Server, cache: &str) -> u64 {
    let text = server.get("/metrics").await.text().await.unwrap();
    let name = format!("wartezeit_forecasts_total{{cache=\"{cache}\"}} ");
    text.lines().find_map(|l| l.strip_prefix(&name)).map_or(0, |v| v.parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_page_makes_the_forecast_once_per_state_of_its_office() {
    let server = Server::start(DATA_SET, Some("2020-06-24")).await;
    let page = "/?office=kl-buergercenter";
    let plan = |office: &str, id: &str| {
        format!(
            r#"{{"event_id":"{id}","type":"capacity_planned","at":"2020-06-24T12:00:00+02:00","office":"{office}","effective_from":"2021-01-04","slots_per_weekday":[10,10,10,10,10,0,0]}}"#
        )
    };
    assert_eq!(server.get(page).await.status(), StatusCode::OK);
    assert_eq!((forecasts(&server, "miss").await, forecasts(&server, "hit").await), (1, 0));
    assert_eq!(server.get(&format!("{page}&lang=en")).await.status(), StatusCode::OK);
    assert_eq!((forecasts(&server, "miss").await, forecasts(&server, "hit").await), (1, 1), "the same day and log");
    // An event of another office moves the log but not this office's figures: the forecast still holds.
    let other = server.post(plan("anderes-amt", "other-1"), "application/x-ndjson", Some(TOKEN)).await;
    assert_eq!(other.status(), StatusCode::OK);
    assert_eq!(server.get(page).await.status(), StatusCode::OK);
    assert_eq!((forecasts(&server, "miss").await, forecasts(&server, "hit").await), (1, 2), "another office's event");
    // An event of this office: the view after it does not wait for a forecast. It shows the one made before,
    // saying which log it is from, and the current one is made in the background.
    let own = server.post(plan("kl-buergercenter", "own-1"), "application/x-ndjson", Some(TOKEN)).await;
    assert_eq!(own.status(), StatusCode::OK);
    let after = server.get(page).await.text().await.unwrap();
    assert!(after.contains("Prognose vom Datenstand Logposition 43157"), "the forecast's own log position is named");
    assert_eq!(forecasts(&server, "stale").await, 1, "a view after an append shows the forecast made before");
    assert_eq!(forecasts(&server, "miss").await, 1, "and makes none on its request");
    // The background forecast lands; a later view finds it (bounded: one forecast takes well under a second).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let text = server.get("/metrics").await.text().await.unwrap();
        if text.contains("wartezeit_forecast_duration_seconds_count 2")
            && text.contains("wartezeit_forecasts_running 0")
        {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the background forecast never finished");
        tokio::task::yield_now().await;
    }
    let fresh = server.get(page).await.text().await.unwrap();
    assert!(!fresh.contains("Prognose vom Datenstand"), "the current forecast, made in the background");
    assert_eq!((forecasts(&server, "miss").await, forecasts(&server, "hit").await), (1, 3));
    server.stop().await;
}
