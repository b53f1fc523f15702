//! End-to-end checks against the real tools a user runs next to wartezeit (feature `e2e`; `.ci/run` installs
//! Debian's `prometheus` and `chromium`/`chromium-driver` and runs `cargo test --features e2e`):
//!
//! - a real Prometheus scrapes `wartezeit demo`; every PromQL expression of `dashboards/grafana/*.json` returns
//!   data, and `promtool check metrics` has nothing to say about `/metrics`;
//! - the OpenMetrics history of 2020 becomes TSDB blocks through `promtool`, and a Prometheus started on them
//!   answers a range query over June 2020 with the backlog the CLI (the API's figures) reports;
//! - the alert rules of `dashboards/prometheus/alerts.yml` pass `promtool check rules`, every alert fires and
//!   resolves in `promtool test rules alerts_test.yml`, and every metric they name is one `/metrics` serves;
//! - `deploy/wartezeit.service` passes `systemd-analyze verify` without a word (its ExecStart pointed at the built
//!   binary);
//! - headless Chromium loads the management page `/`: the screenshot has the window's size and is not blank, and
//!   every chart image on the page loaded.
//!
//! Every external process is killed when its guard drops, every wait has a deadline, every port is on loopback.
//! A missing tool fails the test: these checks are the reason the feature exists.
#![cfg(feature = "e2e")]

mod support {
    pub mod cli;
    pub mod dashboard;
}

use std::io::{BufRead as _, BufReader};
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long any one thing may take to come up or to settle; generous, as CI machines are shared.
const DEADLINE: Duration = Duration::from_secs(180);
/// How often a poll asks again.
const POLL: Duration = Duration::from_millis(250);
/// The office of the demo data set.
const OFFICE: &str = "kl-buergercenter";

/// A child process, in a process group of its own, that is killed with its whole group (chromedriver's Chromium,
/// say) and reaped when the guard drops, whatever the test's outcome.
struct Guard {
    name: &'static str,
    child: Child,
}

impl Drop for Guard {
    fn drop(&mut self) {
        // The group id is the child's pid (process_group(0) below); `kill -KILL -- -PGID` ends every member.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `program`; a missing tool is a failure that says what to install.
fn spawn(name: &'static str, command: &mut Command) -> Guard {
    use std::os::unix::process::CommandExt as _;
    let child = command.stdin(Stdio::null()).process_group(0).spawn().unwrap_or_else(|e| {
        panic!("cannot start {name} ({e}); install it (apt-get install prometheus chromium chromium-driver)")
    });
    Guard { name, child }
}

impl Guard {
    /// Fails when the process has already exited: waiting for it would only run into the deadline.
    fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("{} exited early: {status}", self.name);
        }
    }
}

/// A loopback port that was free a moment ago, for tools that cannot report the port they bound.
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a loopback port").local_addr().expect("its address").port()
}

/// Polls `check` until it gives a value, failing with `what` at the deadline.
async fn until<T, F, Fut>(what: &str, guards: &mut [&mut Guard], mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        for guard in guards.iter_mut() {
            guard.assert_running();
        }
        assert!(started.elapsed() < DEADLINE, "timed out after {DEADLINE:?} waiting for {what}");
        tokio::time::sleep(POLL).await;
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(60)).build().expect("an HTTP client")
}

/// `wartezeit demo` on a port the OS picks; its base URL is read from the line it prints once listening.
fn start_demo() -> (Guard, String) {
    let mut guard = spawn(
        "wartezeit demo",
        Command::new(env!("CARGO_BIN_EXE_wartezeit")).args(["demo", "--listen", "127.0.0.1:0"]).stdout(Stdio::piped()),
    );
    let stdout = guard.child.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    // The reader thread ends when the demo is killed and its stdout closes.
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.trim().strip_prefix("http://") {
                let addr = rest.split('/').next().unwrap_or_default().to_owned();
                let _ = tx.send(format!("http://{addr}"));
            }
        }
    });
    let base = rx.recv_timeout(DEADLINE).expect("wartezeit demo prints its address");
    (guard, base)
}

/// A Prometheus on a free loopback port with `config`, storing in `storage`, keeping data of any age.
fn start_prometheus(config: &Path, storage: &Path) -> (Guard, String) {
    let port = free_port();
    let guard = spawn(
        "prometheus",
        Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", storage.display()))
            // Retention counts back from the newest block; history of 2020 must not be dropped as too old.
            .arg("--storage.tsdb.retention.time=100y")
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--log.level=warn")
            .stderr(Stdio::null()),
    );
    (guard, format!("http://127.0.0.1:{port}"))
}

/// The result array of a Prometheus API answer, or `None` while it is not (yet) a success.
async fn prometheus_api(client: &reqwest::Client, url: &str, params: &[(&str, &str)]) -> Option<Value> {
    let response = client.get(url).query(params).send().await.ok()?;
    let body: Value = response.json().await.ok()?;
    (body["status"] == "success").then(|| body["data"].clone())
}

async fn wait_ready(client: &reqwest::Client, base: &str, guards: &mut [&mut Guard]) {
    until("prometheus to be ready", guards, || async {
        let r = client.get(format!("{base}/-/ready")).send().await.ok()?;
        r.status().is_success().then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_scrapes_the_demo_and_every_dashboard_expression_has_data() {
    let client = client();
    let (mut demo, base) = start_demo();
    let target = base.trim_start_matches("http://").to_owned();

    // promtool lints /metrics: nothing to report, exit 0.
    let metrics = until("the demo's /metrics with business figures", &mut [&mut demo], || async {
        let text = client.get(format!("{base}/metrics")).send().await.ok()?.text().await.ok()?;
        text.contains("wartezeit_backlog_appointments{").then_some(text)
    })
    .await;
    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start promtool ({e}); install it (apt-get install prometheus)"));
    {
        use std::io::Write as _;
        promtool.stdin.take().expect("stdin").write_all(metrics.as_bytes()).expect("metrics written");
    }
    let output = promtool.wait_with_output().expect("promtool ends");
    let said = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success() && said.trim().is_empty(), "promtool check metrics: {:?} {said}", output.status);

    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: wartezeit\n    static_configs:\n      - targets: ['{target}']\n"
        ),
    )
    .expect("config written");
    let (mut prometheus, prom) = start_prometheus(&config, &dir.path().join("tsdb"));
    wait_ready(&client, &prom, &mut [&mut prometheus, &mut demo]).await;
    let query = format!("{prom}/api/v1/query");
    until("the demo target to be up", &mut [&mut prometheus, &mut demo], || async {
        let data = prometheus_api(&client, &query, &[("query", "up{job=\"wartezeit\"} == 1")]).await?;
        (!data["result"].as_array()?.is_empty()).then_some(())
    })
    .await;

    // The dashboard's office variable: label_values(metric, office) is the series API's label values.
    for (path, dashboard) in support::dashboard::dashboards() {
        let variable = dashboard["templating"]["list"]
            .as_array()
            .and_then(|l| l.iter().find(|v| v["name"] == "office"))
            .and_then(|v| v["query"].as_str())
            .unwrap_or_else(|| panic!("{}: no office variable", path.display()))
            .to_owned();
        let metric =
            variable.trim_start_matches("label_values(").split(',').next().expect("a metric").trim().to_owned();
        let url = format!("{prom}/api/v1/label/office/values");
        let values = prometheus_api(&client, &url, &[("match[]", metric.as_str())]).await.expect("label values");
        assert_eq!(values, json!([OFFICE]), "{}: {variable}", path.display());

        // Counters' increase() needs two scrapes, so each expression is polled until it has data.
        for (place, expr) in support::dashboard::expressions(&dashboard) {
            let expr = expr.replace("$office", OFFICE);
            assert!(!expr.contains('$'), "{}: {place}: a variable the test does not know: {expr}", path.display());
            let what = format!("{}: {place}: {expr} to return data", path.display());
            until(&what, &mut [&mut prometheus, &mut demo], || async {
                let data = prometheus_api(&client, &query, &[("query", expr.as_str())]).await?;
                (!data["result"].as_array()?.is_empty()).then_some(())
            })
            .await;
        }
    }
}

/// Runs the binary on `data_dir`, asserting success, and returns its standard output.
fn wartezeit(data_dir: &Path, args: &[&str]) -> String {
    support::cli::ok(data_dir, args)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openmetrics_history_of_2020_becomes_blocks_prometheus_answers_with_the_apis_backlog() {
    let client = client();
    let store = support::cli::store();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let history = dir.path().join("wartezeit-2020.om");
    let text = wartezeit(store, &["export", "--format", "openmetrics", "--from", "2020-01-01", "--to", "2020-12-31"]);
    assert!(text.ends_with("# EOF\n"));
    std::fs::write(&history, &text).expect("history written");

    // One block per year rather than promtool's default of one per two hours (here: one per day).
    let blocks = dir.path().join("tsdb");
    let output = Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics", "--quiet", "--max-block-duration=8760h"])
        .arg(&history)
        .arg(&blocks)
        .output()
        .unwrap_or_else(|e| panic!("cannot start promtool ({e}); install it (apt-get install prometheus)"));
    assert!(output.status.success(), "promtool: {}", String::from_utf8_lossy(&output.stderr));

    let config = dir.path().join("prometheus.yml");
    std::fs::write(&config, "global:\n  scrape_interval: 1m\nscrape_configs: []\n").expect("config written");
    let (mut prometheus, prom) = start_prometheus(&config, &blocks);
    wait_ready(&client, &prom, &mut [&mut prometheus]).await;

    // June 2020, one step a day, each step at a sample's stamp (23:59:59 in Berlin, CEST = UTC+2).
    let expr = format!("wartezeit_backlog_appointments{{office=\"{OFFICE}\"}}");
    let params = [
        ("query", expr.as_str()),
        ("start", "2020-06-01T21:59:59Z"),
        ("end", "2020-06-30T21:59:59Z"),
        ("step", "86400"),
    ];
    let url = format!("{prom}/api/v1/query_range");
    let data = until("the range query over June 2020", &mut [&mut prometheus], || async {
        let data = prometheus_api(&client, &url, &params).await?;
        (!data["result"].as_array()?.is_empty()).then_some(data)
    })
    .await;
    let result = data["result"].as_array().expect("a result");
    assert_eq!(result.len(), 1, "{result:?}");
    let answered: Vec<(i64, f64)> = result[0]["values"]
        .as_array()
        .expect("values")
        .iter()
        .map(|v| (v[0].as_f64().expect("a time") as i64, v[1].as_str().expect("a value").parse().expect("a number")))
        .collect();

    let series: Value = serde_json::from_str(&wartezeit(
        store,
        &["series", "--office", OFFICE, "--from", "2020-06-01", "--to", "2020-06-30", "--format", "json"],
    ))
    .expect("series JSON");
    let rows = series.as_array().expect("rows");
    assert_eq!(answered.len(), 30);
    assert_eq!(rows.len(), 30);
    for (i, ((t, backlog), row)) in answered.iter().zip(rows).enumerate() {
        assert_eq!(*t, 1_591_048_799 + 86_400 * i as i64, "the stamp of day {i}");
        assert_eq!(Some(*backlog), row["backlog"].as_f64(), "{}", row["date"]);
    }
    // The dashboard's 7-day flow panels over the backfilled history: each day's value is exactly the sum that
    // `series` gives for that day and the six before it (`increase()` over the counters extrapolated: 341.83
    // bookings for the week to 24 June where `series` says 355).
    let weeks: Value = serde_json::from_str(&wartezeit(
        store,
        &["series", "--office", OFFICE, "--from", "2020-05-26", "--to", "2020-06-30", "--format", "json"],
    ))
    .expect("series JSON");
    let weeks = weeks.as_array().expect("rows");
    let field_of = |metric: &str| match metric {
        "wartezeit_bookings_7d" => "bookings",
        "wartezeit_served_appointments_7d" => "served_appointments",
        "wartezeit_walk_ins_served_7d" => "served_walk_in",
        "wartezeit_cancellations_7d" => "cancellations",
        "wartezeit_no_shows_7d" => "no_shows",
        other => panic!("a 7-day panel over {other}"),
    };
    let (_, dashboard) = &support::dashboard::dashboards()[0];
    let flows: Vec<String> = support::dashboard::expressions(dashboard)
        .into_iter()
        .map(|(_, expr)| expr)
        .filter(|expr| expr.contains("_7d{") && !expr.contains("realized"))
        .collect();
    assert_eq!(flows.len(), 5, "the five 7-day flows: {flows:?}");
    for flow in flows {
        let metric = flow.split_once("last_over_time(").unwrap().1.split_once('{').unwrap().0.to_owned();
        let field = field_of(&metric);
        let expr = flow.replace("$office", OFFICE);
        let params = [
            ("query", expr.as_str()),
            ("start", "2020-06-01T21:59:59Z"),
            ("end", "2020-06-30T21:59:59Z"),
            ("step", "86400"),
        ];
        let data = prometheus_api(&client, &url, &params).await.expect("an answer");
        let values = data["result"][0]["values"].as_array().unwrap_or_else(|| panic!("{expr}: {data}"));
        assert_eq!(values.len(), 30, "{expr}");
        for (i, v) in values.iter().enumerate() {
            let answered: f64 = v[1].as_str().unwrap().parse().unwrap();
            let week: u64 = weeks[i..=i + 6].iter().map(|r| r[field].as_u64().unwrap()).sum();
            assert_eq!(answered, week as f64, "{metric} on {}", weeks[i + 6]["date"]);
        }
    }

    // The headline figure of the press release's day and two others, as `summary --as-of` reports it.
    for (day, index) in [("2020-06-02", 1), ("2020-06-16", 15), ("2020-06-24", 23)] {
        let summary: Value =
            serde_json::from_str(&wartezeit(store, &["summary", "--as-of", day, "--format", "json"])).expect("JSON");
        assert_eq!(Some(answered[index].1), summary["backlog"]["today"].as_f64(), "{day}");
    }
}

async fn webdriver(client: &reqwest::Client, method: reqwest::Method, url: String, body: Option<Value>) -> Value {
    let mut request = client.request(method, &url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap_or_else(|e| panic!("{url}: {e}"));
    let status = response.status();
    let body: Value = response.json().await.unwrap_or_else(|e| panic!("{url}: not JSON: {e}"));
    assert!(status.is_success(), "{url}: {status}: {body}");
    body["value"].clone()
}

/// Decodes standard base64 (with padding), as WebDriver sends screenshots.
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("{c:?} is not base64"),
        }
    };
    let bytes: Vec<u8> = text.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    for chunk in bytes.chunks(4) {
        let data: Vec<u8> = chunk.iter().copied().filter(|c| *c != b'=').collect();
        let n = data.iter().enumerate().fold(0u32, |n, (i, c)| n | (value(*c) << (18 - 6 * i)));
        out.extend(n.to_be_bytes()[1..data.len()].iter());
    }
    out
}

/// A headless Chromium session through chromedriver at `wd`, with a window of `width` × `height` CSS pixels at
/// device scale 1.
async fn chromium_session(client: &reqwest::Client, wd: &str, width: u32, height: u32) -> String {
    let chromium = ["chromium", "/usr/bin/chromium"].iter().map(PathBuf::from).find(|p| p.is_absolute() && p.exists());
    let mut options = json!({
        "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 format!("--window-size={width},{height}"), "--hide-scrollbars", "--force-device-scale-factor=1"],
    });
    if let Some(binary) = chromium {
        options["binary"] = json!(binary);
    }
    if width < 500 {
        // A window is at least 500 pixels wide; a phone's screen is emulated instead.
        options["mobileEmulation"] =
            json!({"deviceMetrics": {"width": width, "height": height, "pixelRatio": 1.0, "mobile": true}});
    }
    let capabilities =
        json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": options}}});
    let created = webdriver(client, reqwest::Method::POST, format!("{wd}/session"), Some(capabilities)).await;
    created["sessionId"].as_str().expect("a session id").to_owned()
}

/// Starts chromedriver on a free port and waits until it is ready; its URL.
async fn start_chromedriver(client: &reqwest::Client, demo: &mut Guard) -> (Guard, String) {
    let port = free_port();
    let mut driver = spawn(
        "chromedriver",
        Command::new("chromedriver").arg(format!("--port={port}")).stdout(Stdio::null()).stderr(Stdio::null()),
    );
    let wd = format!("http://127.0.0.1:{port}");
    until("chromedriver to be ready", &mut [&mut driver, demo], || async {
        let status: Value = client.get(format!("{wd}/status")).send().await.ok()?.json().await.ok()?;
        (status["value"]["ready"] == true).then_some(())
    })
    .await;
    (driver, wd)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_every_charts_text_is_shown_at_ten_pixels_or_more() {
    let client = client();
    let (mut demo, base) = start_demo();
    let (_driver, wd) = start_chromedriver(&client, &mut demo).await;
    let session = chromium_session(&client, &wd, 390, 844).await;
    let at = |path: &str| format!("{wd}/session/{session}/{path}");
    webdriver(&client, reqwest::Method::POST, at("url"), Some(json!({"url": format!("{base}/")}))).await;
    // Each chart as the phone shows it: the picture it chose and the width it is laid out at.
    let measure = "const done = arguments[arguments.length - 1];
        const charts = Array.from(document.images).filter(i => new URL(i.src).pathname.startsWith('/charts/'));
        Promise.all(charts.map(i => { i.scrollIntoView(); return i.decode().then(() => true, () => false); }))
            .then(ok => done(charts.map((i, k) =>
                [i.currentSrc, i.getBoundingClientRect().width, ok[k], window.innerWidth])));";
    let charts =
        webdriver(&client, reqwest::Method::POST, at("execute/async"), Some(json!({"script": measure, "args": []})))
            .await;
    let charts = charts.as_array().expect("charts");
    assert!(charts.len() >= 4, "{charts:?}");
    for chart in charts {
        let (src, shown) = (chart[0].as_str().expect("a source"), chart[1].as_f64().expect("a width"));
        assert_eq!(chart[2], true, "{src} did not load");
        assert_eq!(chart[3], 390, "the window is a phone's");
        let url = reqwest::Url::parse(src).expect("a URL");
        let param = |name: &str, default: u32| {
            url.query_pairs().find(|(k, _)| k == name).map_or(default, |(_, v)| v.parse().expect("a number"))
        };
        let (width, height) = (param("width", 1200), param("height", 600));
        let smallest = wartezeit::chart::smallest_text_px(width, height) * shown / f64::from(width);
        assert!(
            smallest >= 10.0,
            "{src}: drawn {width} px wide, shown {shown:.0} px: its smallest text is {smallest:.1} px"
        );
    }
    webdriver(&client, reqwest::Method::DELETE, format!("{wd}/session/{session}"), None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headless_chromium_shows_the_management_page_with_every_chart() {
    const WIDTH: u32 = 1280;
    const HEIGHT: u32 = 900;
    let client = client();
    let (mut demo, base) = start_demo();
    let (_driver, wd) = start_chromedriver(&client, &mut demo).await;
    let session = chromium_session(&client, &wd, WIDTH, HEIGHT).await;
    let at = |path: &str| format!("{wd}/session/{session}/{path}");

    // Navigation returns once the page has loaded, images included (page load strategy "normal").
    webdriver(&client, reqwest::Method::POST, at("url"), Some(json!({"url": format!("{base}/")}))).await;
    let script = "return {
        ready: document.readyState,
        width: window.innerWidth, height: window.innerHeight, ratio: window.devicePixelRatio
    };";
    let page =
        webdriver(&client, reqwest::Method::POST, at("execute/sync"), Some(json!({"script": script, "args": []})))
            .await;
    assert_eq!(page["ready"], "complete", "{page}");
    assert_eq!((page["width"].as_u64(), page["ratio"].as_f64()), (Some(u64::from(WIDTH)), Some(1.0)), "{page}");

    let shot = webdriver(&client, reqwest::Method::GET, at("screenshot"), None).await;
    let png = base64_decode(shot.as_str().expect("base64 PNG"));
    let mut reader = png::Decoder::new(std::io::Cursor::new(&png)).read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut pixels).expect("PNG pixels");
    let viewport = (page["width"].as_u64().expect("width") as u32, page["height"].as_u64().expect("height") as u32);
    assert_eq!((frame.width, frame.height), viewport, "the screenshot is the viewport");
    assert!(
        frame.height <= HEIGHT && frame.height >= HEIGHT / 2,
        "viewport height {} of a {HEIGHT} window",
        frame.height
    );
    let pixel = frame.color_type.samples() * (frame.bit_depth as usize).div_ceil(8);
    let pixels = &pixels[..frame.buffer_size()];
    let first = &pixels[..pixel];
    let differing = pixels.chunks(pixel).filter(|p| *p != first).count();
    let total = pixels.len() / pixel;
    assert!(
        differing * 1000 > total,
        "the screenshot is (almost) one flat colour: {differing} of {total} pixels differ"
    );

    // The charts load lazily, as a reader scrolls to them: scroll to each, then wait for it to decode (or fail).
    let scroll_and_wait = "const done = arguments[arguments.length - 1];
        const images = Array.from(document.images);
        Promise.all(images.map(i => { i.scrollIntoView(); return i.decode().then(() => true, () => false); }))
            .then(decoded => done(images.map((i, k) =>
                [new URL(i.src).pathname, decoded[k] && i.complete && i.naturalWidth > 0])));";
    let images = webdriver(
        &client,
        reqwest::Method::POST,
        at("execute/async"),
        Some(json!({"script": scroll_and_wait, "args": []})),
    )
    .await;
    let images = images.as_array().expect("images");
    for image in images {
        assert_eq!(image[1], true, "image {} did not load", image[0]);
    }
    let charts = images.iter().filter(|i| i[0].as_str().is_some_and(|p| p.starts_with("/charts/"))).count();
    assert!(charts >= 4, "{charts} chart images on the page, expected the four charts: {images:?}");
    webdriver(&client, reqwest::Method::DELETE, format!("{wd}/session/{session}"), None).await;
}

/// The alert rules: valid, each alert tested firing and resolving by promtool, and naming only metrics that exist.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_alert_rules_pass_promtool_and_name_only_metrics_the_service_serves() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("dashboards/prometheus");
    for args in [&["check", "rules", "alerts.yml"][..], &["test", "rules", "alerts_test.yml"][..]] {
        let output = Command::new("promtool")
            .args(args)
            .current_dir(&dir)
            .output()
            .unwrap_or_else(|e| panic!("cannot start promtool ({e}); install it (apt-get install prometheus)"));
        assert!(
            output.status.success(),
            "promtool {args:?}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    // Every wartezeit_ name in the rules (recorded ones, with a colon, aside) is a family of /metrics.
    let rules = std::fs::read_to_string(dir.join("alerts.yml")).expect("alerts.yml");
    let (mut demo, base) = start_demo();
    let client = client();
    let metrics = until("the demo's /metrics", &mut [&mut demo], || async {
        client.get(format!("{base}/metrics")).send().await.ok()?.text().await.ok()
    })
    .await;
    let names: std::collections::BTreeSet<&str> = rules
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .filter(|w| w.starts_with("wartezeit_") && !w.contains(':'))
        .map(|w| w.trim_end_matches("_total"))
        .collect();
    assert!(names.len() >= 7, "{names:?}");
    for name in names {
        assert!(metrics.contains(&format!("# TYPE {name}")), "alerts.yml names {name}, which /metrics does not serve");
    }
}

/// The systemd unit: `systemd-analyze verify` accepts it and has nothing to say (an unknown key would be a
/// warning), with its ExecStart pointed at the binary under test.
#[test]
fn the_systemd_unit_verifies_without_a_word() {
    let unit = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/wartezeit.service"))
        .expect("deploy/wartezeit.service");
    assert!(unit.contains("ExecStart=/usr/bin/wartezeit "), "the unit runs the packaged binary");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("wartezeit.service");
    std::fs::write(&path, unit.replace("/usr/bin/wartezeit", env!("CARGO_BIN_EXE_wartezeit"))).expect("written");
    let output = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("cannot start systemd-analyze ({e}); install it (apt-get install systemd)"));
    let said = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success() && said.trim().is_empty(), "systemd-analyze verify: {:?} {said}", output.status);
}
