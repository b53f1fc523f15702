//! The log on a real full disk: a small tmpfs as the data directory, filled by three writers through the HTTP API,
//! then grown again. Nothing the service acknowledged is lost, nothing it did not store is acknowledged, and it
//! recovers without a restart. Mounting needs root, so these tests sit behind the `mount-tests` feature, which CI
//! enables (`cargo test --features mount-tests --test disk_full`).
#![cfg(feature = "mount-tests")]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;
use wartezeit::domain::event::Event;
use wartezeit::domain::wire::to_json_line;
use wartezeit::log::{Log, OpenError, Options};
use wartezeit::sample;

mod support {
    pub mod server;
}

use support::server::{Server, TOKEN};

const BATCH: usize = 1_000;
const WRITERS: u64 = 3;

/// A tmpfs mounted on a temporary directory for as long as it lives.
struct Tmpfs {
    dir: tempfile::TempDir,
}

fn mount(args: &[&str], target: &Path) {
    let status = Command::new("mount").args(args).arg(target).status().expect("mount runs");
    assert!(status.success(), "mount {args:?} {}", target.display());
}

impl Tmpfs {
    fn new(kib: u64) -> Tmpfs {
        let dir = tempfile::tempdir().expect("a temporary directory");
        mount(&["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs"], dir.path());
        Tmpfs { dir }
    }

    fn resize(&self, kib: u64) {
        mount(&["-o", &format!("remount,size={kib}k")], self.dir.path());
    }

    fn used_kib(&self) -> u64 {
        let total = fs2::total_space(self.dir.path()).expect("statvfs");
        let free = fs2::available_space(self.dir.path()).expect("statvfs");
        (total - free) / 1024
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.dir.path()).status();
    }
}

/// What one writer sent and what it was told.
#[derive(Default)]
struct Sent {
    /// Batches answered 200, by index.
    acked: Vec<usize>,
    /// The batch answered 507 or 503, if any, and the problem documents it got.
    refused: Option<usize>,
    problems: Vec<Value>,
}

fn batches(writer: u64) -> Vec<Vec<Event>> {
    sample::events(500 + writer, 60 * BATCH).chunks(BATCH).map(<[Event]>::to_vec).collect()
}

fn ndjson(batch: &[Event]) -> String {
    batch.iter().map(|e| to_json_line(e) + "\n").collect()
}

/// Sends batches from `from` on until one is refused (then sends it three times more, as a client retrying
/// would) or `until` is reached.
async fn write(server: &Server, batches: &[Vec<Event>], from: usize, until: usize, sent: &mut Sent) {
    for (k, batch) in batches.iter().enumerate().take(until).skip(from) {
        let response = server.post(ndjson(batch), "application/x-ndjson", Some(TOKEN)).await;
        match response.status() {
            StatusCode::OK => sent.acked.push(k),
            StatusCode::INSUFFICIENT_STORAGE | StatusCode::SERVICE_UNAVAILABLE => {
                assert!(response.headers().contains_key("retry-after"));
                sent.problems.push(response.json().await.expect("a problem document"));
                for _ in 0..3 {
                    let again = server.post(ndjson(batch), "application/x-ndjson", Some(TOKEN)).await;
                    let status = again.status();
                    let body: Value = again.json().await.expect("JSON");
                    assert_ne!(status, StatusCode::CONFLICT, "a batch never stored is answered 409: {body}");
                    if status == StatusCode::OK {
                        // Only right if it is stored: checked after the restart.
                        sent.acked.push(k);
                        break;
                    }
                    sent.problems.push(body);
                }
                if sent.acked.last() != Some(&k) {
                    sent.refused = Some(k);
                }
                return;
            }
            other => panic!("batch {k}: {other}: {}", response.text().await.unwrap_or_default()),
        }
    }
}

async fn wait_until_ready(server: &Server) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let response = server.get("/readyz").await;
        if response.status() == StatusCode::OK {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "not writable 30 s after space was freed: {}",
            response.text().await.unwrap()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Fills a 16 MiB disk under three writers, resends, frees space, writes on, restarts, and checks the log. With
/// `stop_while_full`, the service is stopped while the disk is still full instead (an operator restarting it
/// during the incident), space is freed, and the store opened again.
async fn fill_free_and_restart(min_free_bytes: u64, stop_while_full: bool) {
    let _ = tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_default_env()).try_init();
    let disk = Tmpfs::new(16 * 1024);
    let options = Options { min_free_bytes, retry_every: Duration::from_millis(200), ..Options::default() };
    let log = Log::open_with(disk.data(), options.clone()).expect("opens");
    let server = Server::over(log, None, tempfile::tempdir().unwrap()).await;
    let all: Vec<Vec<Vec<Event>>> = (0..WRITERS).map(batches).collect();

    let mut sent: Vec<Sent> = (0..WRITERS).map(|_| Sent::default()).collect();
    let runs = sent.iter_mut().zip(&all).map(|(sent, batches)| write(&server, batches, 0, batches.len(), sent));
    futures_join_all(runs).await;
    assert!(sent.iter().any(|s| s.refused.is_some()), "the disk never filled up");
    for problem in sent.iter().flat_map(|s| &s.problems) {
        assert_eq!(problem["status"], 507, "{problem}");
        assert_eq!(problem["type"], "urn:wartezeit:problem:storage-full", "{problem}");
    }

    // Readers go on and never see past the disk; readiness says why writes stop.
    let seen = server.log.head().position;
    let ready = server.get("/readyz").await;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(ready.text().await.unwrap().contains("full"));
    assert_eq!(server.get("/api/v1/offices").await.status(), StatusCode::OK);
    let metrics = server.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("wartezeit_log_writable 0"), "{metrics}");

    if stop_while_full {
        server.stop().await;
        disk.resize(64 * 1024);
    } else {
        // Space freed: appends resume without a restart; the refused batches go in, then more.
        disk.resize(64 * 1024);
        wait_until_ready(&server).await;
        for (sent, batches) in sent.iter_mut().zip(&all) {
            let from = sent.refused.take().unwrap_or(sent.acked.len());
            let until = (from + 5).min(batches.len());
            write(&server, batches, from, until, sent).await;
            assert!(sent.refused.is_none(), "refused after space was freed: {:?}", sent.problems.last());
        }
        server.stop().await;
    }

    // After a restart: every acknowledged batch exactly once, nothing else, a chain that verifies.
    let log = open_when_free(&disk.data(), options).await;
    assert!(log.head().position >= seen, "readers saw {seen}, the disk holds {}", log.head().position);
    let mut count: HashMap<String, usize> = HashMap::new();
    for entry in log.scan(1) {
        *count.entry(entry.expect("reads").event.id.to_string()).or_default() += 1;
    }
    assert!(count.values().all(|&n| n == 1), "an event is stored twice");
    let mut expected = 0;
    for (sent, batches) in sent.iter().zip(&all) {
        for &k in &sent.acked {
            assert!(batches[k].iter().all(|e| count.contains_key(e.id.as_str())), "acknowledged batch {k} lost");
            expected += batches[k].len();
        }
    }
    assert_eq!(count.len(), expected, "only acknowledged batches are stored");
    assert_eq!(log.verify().expect("verifies"), log.head());
}

/// Opens the store once the stopped server's last handle on it is gone (its blocking tasks end on their own).
async fn open_when_free(data: &Path, options: Options) -> Log {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match Log::open_with(data, options.clone()) {
            Ok(log) => return log,
            Err(OpenError::InUse(_)) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => panic!("the store does not open again: {e}"),
        }
    }
}

/// `join_all` without another dependency: the writers run concurrently on the test's runtime.
async fn futures_join_all<F: std::future::Future<Output = ()>>(runs: impl Iterator<Item = F>) {
    let mut set = Vec::new();
    for run in runs {
        set.push(Box::pin(run));
    }
    let mut pending: Vec<_> = set.iter_mut().collect();
    std::future::poll_fn(move |cx| {
        pending.retain_mut(|f| f.as_mut().poll(cx).is_pending());
        if pending.is_empty() { std::task::Poll::Ready(()) } else { std::task::Poll::Pending }
    })
    .await;
}

/// Each run is bounded: a log that stops answering fails the test instead of holding CI.
const BOUND: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_engine_running_out_of_space_acknowledges_only_what_it_stored() {
    // No reserve: the storage engine itself meets ENOSPC.
    tokio::time::timeout(BOUND, fill_free_and_restart(0, false)).await.expect("done in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_restart_while_the_disk_is_full_finds_only_what_was_acknowledged() {
    tokio::time::timeout(BOUND, fill_free_and_restart(0, true)).await.expect("done in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_reserve_refuses_appends_before_the_disk_is_full() {
    tokio::time::timeout(BOUND, fill_free_and_restart(2 << 20, false)).await.expect("done in time");
}

#[test]
fn a_store_opened_on_a_full_disk_is_not_damaged() {
    let disk = Tmpfs::new(16 * 1024);
    let events = sample::events(9, 20_000);
    let head = {
        let log = Log::open_with(disk.data(), Options { min_free_bytes: 0, ..Options::default() }).expect("opens");
        for batch in events.chunks(BATCH) {
            log.append(batch.to_vec()).expect("appends");
        }
        log.head()
    };
    let wartezeit = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_wartezeit")).arg("--data-dir").arg(disk.data()).args(args).output().unwrap()
    };
    // Full to the brim, with the leftover of an interrupted snapshot: opening fails cleanly or succeeds, and
    // damages nothing.
    disk.resize(disk.used_kib() + 8);
    std::fs::write(disk.data().join("ballast"), vec![0u8; 1 << 20]).ok();
    std::fs::write(disk.data().join("snap.00000000000000FF.generating"), b"").expect("writes");
    for _ in 0..3 {
        let out = wartezeit(&["verify"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() || stderr.contains("nothing was changed"), "{stderr}");
    }
    disk.resize(64 * 1024);
    let _ = std::fs::remove_file(disk.data().join("ballast"));
    let out = wartezeit(&["verify"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.starts_with(&format!("ok: position {}, digest {}", head.position, hex::encode(head.digest))));
    let log = Log::open(disk.data()).expect("opens");
    assert_eq!(log.head(), head);
    assert_eq!(log.scan(1).count(), events.len());
}
