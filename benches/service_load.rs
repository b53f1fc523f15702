//! Load figures of the HTTP service (issue 5, "Speed"), reproducible with one command:
//!
//! ```text
//! cargo bench --bench service_load
//! ```
//!
//! It fills a temporary data directory (under `WARTEZEIT_LOAD_DIR`, default the system's) with `WARTEZEIT_LOAD_EVENTS`
//! (default 1,000,000) sample events over `WARTEZEIT_LOAD_OFFICES` offices (default 3) through `wartezeit import`, in
//! parts of at most ten million events (its time, peak memory and the store's size on disk), times a CLI `series` of
//! a year (which folds the whole log and writes a checkpoint), `wartezeit checkpoint` (which also writes the rule
//! state's) and the same `series` again (from the checkpoint), starts the real `wartezeit serve` binary on a free
//! loopback port (the time until `/readyz` answers, and its memory), and measures:
//!
//! 1. `/metrics` and `/api/v1/summary` with `wrk` (Debian package `wrk`; 2 threads, 4 connections, 10 s): wrk has no
//!    fixed rate, so this is the latency distribution at wrk's maximum throughput;
//! 2. the same two routes at a fixed 1,000 requests/s from a built-in open-loop client (wrk2-style: latency is taken
//!    from the moment a request was due, so a stall is not hidden by the client waiting for it);
//! 3. `POST /api/v1/events` with 1,000-event NDJSON batches from three concurrent writers (one office each; every
//!    batch durable before its 200), as events acknowledged per second;
//! 4. single-event appends one after another, p50 and p99;
//! 5. `known_at` in the middle of the log: the first request (built) and the second (cached).
//!
//! The posted events continue the imported sample stream, so they are valid and lie at "now" in business time, as
//! an appointment system's events do. The machine's load average is printed with the figures.

use std::io::Write as _;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use wartezeit::domain::event::Event;
use wartezeit::domain::wire::to_json_line;

#[path = "support/peak.rs"]
mod peak;

const TOKEN: &str = "load-token-0123456789abcdef";
const WRITERS: usize = 3;
const BATCH: usize = 1_000;
const SINGLE_APPENDS: usize = 2_000;
const FIXED_RATE: u64 = 1_000;
const FIXED_SECONDS: u64 = 10;
/// The most events one `wartezeit import` of the bench takes.
const IMPORT_PART: usize = 10_000_000;

fn env_number(name: &str, default: usize) -> anyhow::Result<usize> {
    match std::env::var(name) {
        Ok(v) => v.parse().with_context(|| format!("{name}={v:?} is not a number")),
        Err(_) => Ok(default),
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map(|s| s.trim().to_owned()).unwrap_or_else(|_| "unknown".into())
}

fn percentile(sorted: &[Duration], percent: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() * percent).div_ceil(100)).max(1) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// The server process, stopped with SIGTERM (a graceful shutdown) when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }
}

fn main() -> anyhow::Result<()> {
    // `cargo bench` passes `--bench`; this binary takes no arguments of its own.
    let loaded = env_number("WARTEZEIT_LOAD_EVENTS", 1_000_000)?;
    let appended = env_number("WARTEZEIT_LOAD_APPEND", 300_000)?;
    let offices = env_number("WARTEZEIT_LOAD_OFFICES", 3)?;
    let exe = env!("CARGO_BIN_EXE_wartezeit");
    let dir = match std::env::var_os("WARTEZEIT_LOAD_DIR") {
        Some(parent) => tempfile::tempdir_in(parent)?,
        None => tempfile::tempdir()?,
    };
    println!("load average at start: {}", load_average());

    let started = Instant::now();
    let mut stream = wartezeit::sample::events_over(1, loaded + appended + SINGLE_APPENDS, offices);
    println!("generated {} events in {:.1} s", stream.len(), started.elapsed().as_secs_f64());

    // Imported in parts of at most IMPORT_PART events, as an operator backfills a large history: one import holds
    // its whole file's events at once.
    let data_dir = dir.path().join("data");
    let file = dir.path().join("events.ndjson");
    let (mut took, mut import_peak) = (Duration::ZERO, 0f64);
    for part in stream[..loaded].chunks(IMPORT_PART) {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&file)?);
        for event in part {
            writeln!(out, "{}", to_json_line(event))?;
        }
        out.flush()?;
        drop(out);
        let mut import = Command::new(exe);
        import.arg("--data-dir").arg(&data_dir).arg("import").arg(&file).stdout(Stdio::null());
        let (part_took, part_peak) = peak::run(&mut import)?;
        took += part_took;
        import_peak = import_peak.max(part_peak);
    }
    println!(
        "imported {loaded} events over {offices} offices in {:.1} s ({:.0} events/s; in parts of at most {IMPORT_PART}), \
         peak {import_peak:.0} MiB; the store takes {:.0} MiB on disk",
        took.as_secs_f64(),
        loaded as f64 / took.as_secs_f64(),
        bytes_under(&data_dir) as f64 / (1 << 20) as f64
    );
    std::fs::remove_file(&file)?;
    // Only the events still to be posted are kept: at 50M the whole stream is some 8 GB the service may need.
    let as_of = stream[loaded.saturating_sub(1)].at.date_naive();
    let rest = stream.split_off(loaded);
    drop(stream);

    // A CLI question, which folds the whole log first: a year of one office.
    let from = (as_of - chrono::Days::new(364)).to_string();
    let mut series = Command::new(exe);
    series
        .arg("--data-dir")
        .arg(&data_dir)
        .args(["series", "--office", "kl-buergercenter", "--from", &from, "--to", &as_of.to_string()])
        .stdout(Stdio::null());
    let (took, series_peak) = peak::run(&mut series)?;
    println!(
        "CLI series, 365 days of one office, folding the whole log (and writing a checkpoint): {:.2} s, peak \
         {series_peak:.0} MiB",
        took.as_secs_f64()
    );
    let projection_bytes = bytes_under(&data_dir.join("checkpoints"));
    println!(
        "checkpoint: {:.0} MiB ({:.0} bytes an event)",
        projection_bytes as f64 / (1 << 20) as f64,
        projection_bytes as f64 / loaded as f64
    );
    // What an operator runs after a large import: the rule state and the id index written as a checkpoint too, so
    // that the service's start need not read the whole log for them.
    let mut checkpoint = Command::new(exe);
    checkpoint.arg("--data-dir").arg(&data_dir).arg("checkpoint").stdout(Stdio::null()).stderr(Stdio::null());
    let (took, checkpoint_peak) = peak::run(&mut checkpoint)?;
    let rules_bytes = bytes_under(&data_dir.join("checkpoints").join("rules"));
    println!(
        "wartezeit checkpoint (the projection from its checkpoint, the rule state from the log): {:.2} s, peak \
         {checkpoint_peak:.0} MiB; rule-state checkpoint {:.0} MiB ({:.0} bytes an event)",
        took.as_secs_f64(),
        rules_bytes as f64 / (1 << 20) as f64,
        rules_bytes as f64 / loaded as f64
    );
    let (took, series_peak) = peak::run(&mut series)?;
    println!("CLI series again, from the checkpoint: {:.2} s, peak {series_peak:.0} MiB", took.as_secs_f64());

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let server = start(exe, &data_dir, &as_of.to_string())?;
    runtime.block_on(run(&server, &rest, loaded))?;
    println!("server resident memory after the run: {}", resident(&server));
    drop(server);
    println!("load average at end: {}", load_average());
    Ok(())
}

/// The server's resident memory now, as /proc tells it.
fn resident(server: &Server) -> String {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.child.id())).unwrap_or_default();
    let kb = status.lines().find(|l| l.starts_with("VmRSS")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok());
    kb.map_or_else(|| "unknown".into(), |kb: f64| format!("{:.0} MiB", kb / 1024.0))
}

/// The bytes of the files under `dir`.
fn bytes_under(dir: &Path) -> u64 {
    std::fs::read_dir(dir).into_iter().flatten().flatten().fold(0, |sum, entry| match entry.metadata() {
        Ok(meta) if meta.is_dir() => sum + bytes_under(&entry.path()),
        Ok(meta) => sum + meta.len(),
        Err(_) => sum,
    })
}

fn start(exe: &str, data_dir: &Path, as_of: &str) -> anyhow::Result<Server> {
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let child = Command::new(exe)
        .arg("--data-dir")
        .arg(data_dir)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--as-of", as_of])
        .env("WARTEZEIT_TOKEN", TOKEN)
        // The 503s of /readyz while the projection builds would fill the screen.
        .env("RUST_LOG", "warn,tower_http=off")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting wartezeit serve")?;
    Ok(Server { child, base: format!("http://127.0.0.1:{port}") })
}

/// Asks `probe` every 50 ms until it says yes; an error naming what was awaited after `limit`.
async fn until<F: std::future::Future<Output = bool>>(
    what: &str,
    limit: Duration,
    mut probe: impl FnMut() -> F,
) -> anyhow::Result<()> {
    let started = Instant::now();
    while !probe().await {
        if started.elapsed() > limit {
            bail!("waited {} s for {what}", limit.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

async fn run(server: &Server, rest: &[Event], loaded: usize) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let started = Instant::now();
    let readyz = format!("{}/readyz", server.base);
    until("the server to be ready", Duration::from_secs(300), || async {
        client.get(&readyz).send().await.is_ok_and(|r| r.status().is_success())
    })
    .await?;
    println!(
        "server ready (the projection of {loaded} events built) {:.1} s after start; resident memory {}",
        started.elapsed().as_secs_f64(),
        resident(server)
    );

    // Appends wait for the rule state, which the service reads in the background after it is ready.
    let metrics = format!("{}/metrics", server.base);
    until("the rule state to be loaded", Duration::from_secs(600), || async {
        let text = match client.get(&metrics).send().await {
            Ok(answer) => answer.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        text.lines().any(|l| l == "wartezeit_log_rules_loaded 1")
    })
    .await?;
    println!(
        "rule state loaded {:.1} s after the start (appends wait until then); resident memory {}",
        started.elapsed().as_secs_f64(),
        resident(server)
    );

    let summary = format!("{}/api/v1/summary?office=kl-buergercenter", server.base);
    for url in [&metrics, &summary] {
        let size = client.get(url).send().await?.error_for_status()?.bytes().await?.len();
        println!("\n== wrk -t2 -c4 -d10s --latency {url}  ({size} bytes per answer)");
        let wrk = Command::new("wrk").args(["-t2", "-c4", "-d10s", "--latency", url]).output();
        match wrk {
            Ok(o) => print!("{}", String::from_utf8_lossy(&o.stdout)),
            Err(e) => println!("wrk not available ({e}); install it with apt-get install wrk"),
        }
        println!("load average: {}", load_average());
    }
    for url in [&metrics, &summary] {
        fixed_rate(&client, url).await?;
    }

    let (batches, singles) = rest.split_at(rest.len() - SINGLE_APPENDS);
    let before = append_split(&client, &server.base).await?;
    appends_in_batches(&client, &server.base, batches).await?;
    let after = append_split(&client, &server.base).await?;
    let (log_s, request_s, n) = (after.0 - before.0, after.1 - before.1, after.2 - before.2);
    println!(
        "   of which in the log (rules + durable write): {} per batch, the rest of the request (parse, fold, answer): \
         {} per batch (means over {n:.0} batches, from /metrics)",
        ms(Duration::from_secs_f64(log_s / n)),
        ms(Duration::from_secs_f64((request_s - log_s) / n))
    );
    single_appends(&client, &server.base, singles).await?;

    let middle = loaded / 2;
    let url = format!("{summary}&known_at={middle}");
    for attempt in ["first (built)", "second (cached)"] {
        let t = Instant::now();
        // A build longer than the request deadline is answered 408 and goes on; the projection lands in the cache,
        // and asking again gets it.
        let mut timed_out = 0;
        let status = loop {
            let status = client.get(&url).send().await?.status();
            if status != reqwest::StatusCode::REQUEST_TIMEOUT {
                break status;
            }
            timed_out += 1;
            ensure!(timed_out < 20, "known_at={middle} still not answered after {timed_out} deadlines");
        };
        ensure!(status.is_success(), "known_at={middle} answered {status}");
        let deadlines = if timed_out > 0 { format!(" (answered 408 {timed_out} times first)") } else { String::new() };
        println!("summary known_at={middle}, {attempt}: {}{deadlines}", ms(t.elapsed()));
    }
    Ok(())
}

/// Requests `url` at a fixed rate for a fixed time, each latency measured from the moment it was due.
async fn fixed_rate(client: &reqwest::Client, url: &str) -> anyhow::Result<()> {
    let total = FIXED_RATE * FIXED_SECONDS;
    let period = Duration::from_secs(1) / FIXED_RATE as u32;
    let origin = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(total as usize);
    for i in 0..total {
        let due = origin + period * i as u32;
        tokio::time::sleep_until(due).await;
        let (client, url) = (client.clone(), url.to_owned());
        tasks.push(tokio::spawn(async move {
            let ok = client.get(&url).send().await.and_then(|r| r.error_for_status()).is_ok();
            (ok, due.elapsed())
        }));
    }
    let mut latencies = Vec::with_capacity(tasks.len());
    let mut failed = 0;
    for task in tasks {
        let (ok, latency) = task.await?;
        failed += usize::from(!ok);
        latencies.push(latency);
    }
    latencies.sort();
    println!(
        "\n== fixed rate {FIXED_RATE}/s for {FIXED_SECONDS} s, {url}: p50 {}, p90 {}, p99 {}, p99.9 {}, max {}, {failed} failed \
         (load average {})",
        ms(percentile(&latencies, 50)),
        ms(percentile(&latencies, 90)),
        ms(percentile(&latencies, 99)),
        ms(latencies[(latencies.len() * 999 / 1000).min(latencies.len() - 1)]),
        ms(*latencies.last().unwrap_or(&Duration::ZERO)),
        load_average()
    );
    Ok(())
}

async fn post(client: &reqwest::Client, base: &str, events: &[&Event]) -> anyhow::Result<()> {
    let body: String = events.iter().map(|e| to_json_line(e) + "\n").collect();
    let answer = client
        .post(format!("{base}/api/v1/events"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await?;
    let status = answer.status();
    ensure!(status.is_success(), "append answered {status}: {}", answer.text().await.unwrap_or_default());
    Ok(())
}

/// Three writers, one office each (events of every office, and holidays, go to the first), post their part of
/// `events` in batches of 1,000; an office's events keep their order, so every batch is valid.
async fn appends_in_batches(client: &reqwest::Client, base: &str, events: &[Event]) -> anyhow::Result<()> {
    let mut parts: Vec<Vec<Event>> = vec![Vec::new(); WRITERS];
    let mut offices: Vec<String> = Vec::new();
    for event in events {
        let writer = match event.kind.office() {
            Some(office) => {
                let name = office.to_string();
                let i = offices.iter().position(|o| *o == name).unwrap_or_else(|| {
                    offices.push(name);
                    offices.len() - 1
                });
                i % WRITERS
            }
            None => 0,
        };
        parts[writer].push(event.clone());
    }
    let started = Instant::now();
    let mut writers = Vec::new();
    for part in parts {
        let (client, base) = (client.clone(), base.to_owned());
        writers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            for batch in part.chunks(BATCH) {
                let t = Instant::now();
                post(&client, &base, &batch.iter().collect::<Vec<_>>()).await?;
                latencies.push(t.elapsed());
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for writer in writers {
        latencies.extend(writer.await??);
    }
    let elapsed = started.elapsed();
    latencies.sort();
    println!(
        "\n== POST /api/v1/events, {} events in {} batches of up to {BATCH} from {WRITERS} writers: {:.1} s, {:.0} \
         events/s acknowledged durably; batch latency p50 {}, p99 {} (load average {})",
        events.len(),
        latencies.len(),
        elapsed.as_secs_f64(),
        events.len() as f64 / elapsed.as_secs_f64(),
        ms(percentile(&latencies, 50)),
        ms(percentile(&latencies, 99)),
        load_average()
    );
    Ok(())
}

/// The service's own account of appends: seconds in the log, seconds of POST requests, and their count.
async fn append_split(client: &reqwest::Client, base: &str) -> anyhow::Result<(f64, f64, f64)> {
    let text = client.get(format!("{base}/metrics")).send().await?.text().await?;
    let sample = |prefix: &str| -> f64 {
        text.lines()
            .filter(|l| l.starts_with(prefix) && (!l.contains('{') || l.contains("method=\"POST\"")))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    };
    Ok((
        sample("wartezeit_append_duration_seconds_sum"),
        sample("wartezeit_http_request_duration_seconds_sum"),
        sample("wartezeit_append_duration_seconds_count"),
    ))
}

/// One event per request, one request after the other.
async fn single_appends(client: &reqwest::Client, base: &str, events: &[Event]) -> anyhow::Result<()> {
    let mut latencies = Vec::with_capacity(events.len());
    for event in events {
        let t = Instant::now();
        post(client, base, &[event]).await?;
        latencies.push(t.elapsed());
    }
    latencies.sort();
    println!(
        "\n== POST /api/v1/events, {} single events one after another: p50 {}, p99 {}, max {} (load average {})",
        events.len(),
        ms(percentile(&latencies, 50)),
        ms(percentile(&latencies, 99)),
        ms(*latencies.last().unwrap_or(&Duration::ZERO)),
        load_average()
    );
    Ok(())
}
