//! The management page under appends (issue #17, "Always ready"): the 2020 data set served by the real binary as of
//! 2020-06-24; one walk-in appended to the office shown, then the first view of `/` after it timed, 200 times;
//! baseline in the same run: `/` with no append before it. A view after an append shows the forecast made before
//! and leaves the current one to the background, so it should cost what a view without an append costs.
//!
//! `cargo bench --bench page_after_append`. Target: the first view after an append within 50 ms at p99.

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_wartezeit");
const TOKEN: &str = "bench-token-0123456789";
const ROUNDS: usize = 200;

struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p * sorted.len() as f64).ceil() as usize).max(1);
    sorted[rank - 1]
}

fn report(what: &str, mut times: Vec<Duration>) {
    times.sort();
    println!(
        "{what}: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} views)",
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
        times.last().unwrap().as_secs_f64() * 1e3,
        times.len()
    );
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let set = concat!(env!("CARGO_MANIFEST_DIR"), "/data/kaiserslautern-2020.ndjson");
    let imported = Command::new(BIN).arg("--data-dir").arg(&data).args(["import", set]).output().unwrap();
    assert!(imported.status.success());
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let _server = Killed(
        Command::new(BIN)
            .arg("--data-dir")
            .arg(&data)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--as-of", "2020-06-24"])
            .env("WARTEZEIT_TOKEN", TOKEN)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !client.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
        assert!(Instant::now() < deadline, "the server was not ready in 120 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let page = format!("{base}/?office=kl-buergercenter");
    let view = || async {
        let started = Instant::now();
        let response = client.get(&page).send().await.unwrap();
        assert!(response.status().is_success());
        response.bytes().await.unwrap();
        started.elapsed()
    };
    // The first view of the day makes its forecast on the request; every later one finds one.
    let first = view().await;
    println!("first view of the office and day (makes the forecast): {:.0} ms", first.as_secs_f64() * 1e3);
    let mut quiet = Vec::new();
    for _ in 0..ROUNDS {
        quiet.push(view().await);
    }
    let mut after_append = Vec::new();
    for i in 0..ROUNDS {
        let event = format!(
            r#"{{"event_id":"bench-walk-in-{i}","type":"walk_in_served","at":"2020-06-24T12:00:00+02:00","office":"kl-buergercenter","service":"meldebescheinigung"}}"#
        );
        let posted = client
            .post(format!("{base}/api/v1/events"))
            .bearer_auth(TOKEN)
            .header("content-type", "application/x-ndjson")
            .body(event)
            .send()
            .await
            .unwrap();
        assert!(posted.status().is_success());
        after_append.push(view().await);
        // An event about once a second would let the background forecast land between appends; this bench
        // appends as fast as it views, the harder case.
    }
    report("baseline: / with no append before it", quiet);
    report("the first view of / after an append", after_append);
    let metrics = client.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
    for line in metrics.lines().filter(|l| l.starts_with("wartezeit_forecasts_total")) {
        println!("{line}");
    }
}
