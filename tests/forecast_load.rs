//! Forecasts under load: many expensive requests at once are bounded (at most two computed at a time, the rest
//! wait at most five seconds and then hear 503 with Retry-After), the same forecast asked for twice at once is
//! made once, and nothing is left running after the clients have gone.

use std::time::{Duration, Instant};

use reqwest::StatusCode;

mod support {
    pub mod server;
}

use support::server::{DATA_SET, Server};

/// The `wartezeit_forecasts_running` gauge.
async fn running(server: &Server) -> u64 {
    let text = server.get("/metrics").await.text().await.unwrap();
    let line = text.lines().find(|l| l.starts_with("wartezeit_forecasts_running ")).expect("the gauge");
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_expensive_forecasts_at_once_are_bounded() {
    let server = Server::start(DATA_SET, Some("2020-06-24")).await;
    let started = Instant::now();
    let requests = (0..32).map(|seed| {
        let url = format!("{}/api/v1/forecast?runs=10000&seed={seed}", server.base);
        let client = server.client.clone();
        tokio::spawn(async move { client.get(url).send().await.unwrap() })
    });
    let mut statuses = Vec::new();
    let mut peak = 0;
    let handles: Vec<_> = requests.collect();
    while handles.iter().any(|h| !h.is_finished()) {
        peak = peak.max(running(&server).await);
        assert!(started.elapsed() < Duration::from_secs(60), "the requests did not end");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for handle in handles {
        let response = handle.await.unwrap();
        if response.status() == StatusCode::SERVICE_UNAVAILABLE {
            assert!(response.headers().contains_key("retry-after"));
        }
        statuses.push(response.status());
    }
    assert!(peak <= 2, "{peak} forecasts ran at once");
    assert!(statuses.contains(&StatusCode::OK));
    assert!(statuses.iter().all(|s| *s == StatusCode::OK || *s == StatusCode::SERVICE_UNAVAILABLE), "{statuses:?}");
    assert_eq!(running(&server).await, 0, "nothing left running");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn abandoned_forecasts_leave_nothing_running_and_others_are_served() {
    let server = Server::start(DATA_SET, Some("2020-06-24")).await;
    let impatient = reqwest::Client::builder().timeout(Duration::from_millis(100)).build().unwrap();
    for seed in 0..24 {
        let url = format!("{}/api/v1/forecast?runs=10000&seed={seed}", server.base);
        let _ = impatient.get(url).send().await;
    }
    // At most the two that had started go on; the summary is answered meanwhile.
    assert!(running(&server).await <= 2);
    let summary = server.get("/api/v1/summary").await;
    assert_eq!(summary.status(), StatusCode::OK);
    let deadline = Instant::now() + Duration::from_secs(20);
    while running(&server).await > 0 {
        assert!(Instant::now() < deadline, "abandoned forecasts still running");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.stop().await;
}
