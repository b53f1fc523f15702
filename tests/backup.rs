//! `wartezeit backup` against the real `wartezeit serve` binary on loopback (issue #15, "Online backup"): a backup
//! taken while appends run is the `export` (and `export --with-meta`) of the log up to the head it began at, byte
//! for byte, and `import` of it into an empty directory verifies to that head's position and digest; an interrupted
//! backup resumes to the same bytes; an incremental one is `export --from P`; a wrong token writes nothing.
//!
//! Every wait polls with a deadline; no sleep stands for synchronisation.

mod support {
    pub mod served;
}

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use support::served::{Served, poll};

const TOKEN: &str = "backup-test-token-0123456789";
const DATA_SET: &str = include_str!("../data/kaiserslautern-2020.ndjson");

/// A working directory: the token file, the live store, the backups and the restore of one test.
struct Work {
    dir: tempfile::TempDir,
}

impl Work {
    /// A work directory whose live store holds the first `events` lines of the data set (imported).
    fn with_store(events: usize) -> Work {
        let work = Work { dir: tempfile::tempdir().expect("a temporary directory") };
        std::fs::write(work.path("token"), format!("{TOKEN}\n")).expect("writes the token");
        let lines: String = DATA_SET.lines().take(events).map(|l| format!("{l}\n")).collect();
        std::fs::write(work.path("history.ndjson"), lines).expect("writes the history");
        let history = work.path("history.ndjson");
        work.ok("data", &["import", history.to_str().unwrap()]);
        work
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `wartezeit --data-dir DIR ARGS…` run to its end (DIR in the work directory).
    fn run(&self, data: &str, args: &[&str]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_wartezeit"));
        command.arg("--data-dir").arg(self.path(data)).args(args).output().expect("the binary runs")
    }

    /// [`Work::run`], which must succeed; its stdout.
    fn ok(&self, data: &str, args: &[&str]) -> Vec<u8> {
        let out = self.run(data, args);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        out.stdout
    }

    /// `wartezeit backup --from BASE --token-file TOKEN --out OUT ARGS…` run to its end.
    fn backup(&self, base: &str, out: &str, args: &[&str]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_wartezeit"));
        command.args(["backup", "--from", base, "--token-file"]).arg(self.path("token"));
        command.arg("--out").arg(self.path(out)).args(args);
        command.output().expect("backup runs")
    }

    /// A backup that must succeed: its summary's position and digest.
    fn backup_ok(&self, base: &str, out: &str, args: &[&str]) -> (u64, String) {
        let done = self.backup(base, out, args);
        assert!(done.status.success(), "backup {args:?}: {}", text(&done.stderr));
        assert!(!self.path(&format!("{out}.partial")).exists(), "the partial file became the backup");
        head_of(&text(&done.stderr))
    }

    fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).expect("the file exists")
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The position and digest that a backup's summary (`…; position P, digest D`) or `verify` (`ok: position P, digest
/// D`) names.
fn head_of(said: &str) -> (u64, String) {
    let line = said.lines().rev().find(|l| l.contains("position ") && l.contains(", digest ")).expect("a summary");
    let tail = line.rsplit("position ").next().unwrap();
    let (position, digest) = tail.split_once(", digest ").unwrap();
    (position.parse().expect("a position"), digest.trim().to_owned())
}

/// The first `n` lines of an NDJSON text, each with its newline.
fn first_lines(bytes: &[u8], n: u64) -> &[u8] {
    let end = if n == 0 {
        0
    } else {
        bytes.iter().enumerate().filter(|(_, b)| **b == b'\n').nth(n as usize - 1).expect("enough lines").0 + 1
    };
    &bytes[..end]
}

/// Keeps appending walk-ins (valid whatever the log holds) in small batches until `stop` is set; counts them.
fn appender(base: String, stop: Arc<AtomicBool>, appended: Arc<AtomicU64>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let client = reqwest::blocking::Client::new();
        let mut n = 0u64;
        while !stop.load(Ordering::Relaxed) {
            let body: String = (0..10)
                .map(|i| {
                    format!(
                        "{{\"event_id\":\"walk-in-during-backup-{}\",\"type\":\"walk_in_served\",\"at\":\
                         \"2020-06-24T10:00:00+02:00\",\"office\":\"kl-buergercenter\",\"service\":\"meldebescheinigung\"}}\n",
                        n + i
                    )
                })
                .collect();
            let answer = client
                .post(format!("{base}/api/v1/events"))
                .bearer_auth(TOKEN)
                .header("content-type", "application/x-ndjson")
                .body(body)
                .send()
                .expect("the service answers");
            assert_eq!(answer.status(), reqwest::StatusCode::OK, "{}", answer.text().unwrap_or_default());
            n += 10;
            appended.store(n, Ordering::Relaxed);
        }
    })
}

#[test]
fn a_backup_taken_while_appends_run_is_the_export_of_its_prefix_and_restores_to_its_head() {
    let imported = 15_000;
    let work = Work::with_store(imported);
    let server = Served::start(&work.path("data"), &work.path("token"), "127.0.0.1:0");
    let stop = Arc::new(AtomicBool::new(false));
    let appended = Arc::new(AtomicU64::new(0));
    let appending = appender(server.base.clone(), Arc::clone(&stop), Arc::clone(&appended));
    poll(Duration::from_secs(60), "the appends get going", || (appended.load(Ordering::Relaxed) >= 100).then_some(()));

    // Two backups while the appends go on: each ends at the head the service reported when it began.
    let (plain_head, plain_digest) = work.backup_ok(&server.base, "backup.ndjson", &[]);
    let (meta_head, meta_digest) = work.backup_ok(&server.base, "backup-meta.ndjson", &["--with-meta"]);
    assert!(plain_head > imported as u64 + 100, "the backup holds appends made before it: {plain_head}");
    assert!(meta_head >= plain_head);
    // The live store moves on past both before the appends stop.
    poll(Duration::from_secs(60), "the log grows past the backups", || {
        server.position().filter(|p| *p > meta_head + 10)
    });
    stop.store(true, Ordering::Relaxed);
    appending.join().expect("the appender ends");
    let live_head = server.position().expect("the server answers");
    server.stop();
    eprintln!("imported {imported}; backups at positions {plain_head} and {meta_head}; the live log at {live_head}");

    // Byte for byte what `export` and `export --with-meta` of the live store write for those positions.
    let export = work.ok("data", &["export"]);
    let export_meta = work.ok("data", &["export", "--with-meta"]);
    assert_eq!(export_meta.iter().filter(|b| **b == b'\n').count() as u64, live_head);
    assert!(live_head > meta_head, "{live_head} {meta_head}");
    assert!(work.read("backup.ndjson") == first_lines(&export, plain_head), "the backup is the export's prefix");
    assert!(
        work.read("backup-meta.ndjson") == first_lines(&export_meta, meta_head),
        "the backup with meta is the prefix of export --with-meta"
    );
    // The digest a backup reports is the live store's at that position.
    for (position, digest) in [(plain_head, &plain_digest), (meta_head, &meta_digest)] {
        let line = text(first_lines(&export_meta, position)).lines().last().unwrap().to_owned();
        let entry: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!((entry["position"].as_u64(), entry["digest"].as_str()), (Some(position), Some(digest.as_str())));
    }

    // Restored into an empty directory, the backup verifies to the same head.
    let backup = work.path("backup.ndjson");
    work.ok("restore", &["import", backup.to_str().unwrap()]);
    let verified = text(&work.ok("restore", &["verify"]));
    assert_eq!(head_of(&verified), (plain_head, plain_digest), "{verified}");
}

#[test]
fn an_interrupted_backup_resumes_to_the_same_bytes_and_a_wrong_token_writes_nothing() {
    let work = Work::with_store(12_000);
    let server = Served::start(&work.path("data"), &work.path("token"), "127.0.0.1:0");
    let full_head = work.backup_ok(&server.base, "full.ndjson", &[]);
    assert_eq!(full_head.0, 12_000);
    assert_eq!(work.backup_ok(&server.base, "full-meta.ndjson", &["--with-meta"]), full_head);

    // Killed in the middle of line 10,500 (on the second page): the partial file ends in part of a line.
    for (name, args) in [("full.ndjson", &[][..]), ("full-meta.ndjson", &["--with-meta"][..])] {
        let full = work.read(name);
        let cut = first_lines(&full, 10_499).len() + 20;
        let out = format!("resumed-{name}");
        std::fs::write(work.path(&format!("{out}.partial")), &full[..cut]).unwrap();
        let resumed = work.backup(&server.base, &out, &[args, &["--resume"]].concat());
        let said = text(&resumed.stderr);
        assert!(resumed.status.success(), "{said}");
        assert!(
            said.contains("after position 10499: 10499 entries kept (an unfinished last line of 20 bytes cut off)"),
            "{said}"
        );
        assert_eq!(head_of(&said), full_head);
        assert!(work.read(&out) == full, "{name}: the resumed backup is the same bytes");
        assert!(!work.path(&format!("{out}.partial")).exists());
    }

    // An incremental backup from a later position is the tail of the full one (`export --from P`).
    let incremental = work.backup_ok(&server.base, "incremental.ndjson", &["--from-position", "11001"]);
    assert_eq!(incremental, full_head);
    let full = work.read("full.ndjson");
    assert!(work.read("incremental.ndjson") == full[first_lines(&full, 11_000).len()..]);

    // A wrong token: refused (403, not retried), nothing written, the token not shown.
    std::fs::write(work.path("token"), "wrong-token-9876543210\n").unwrap();
    let started = Instant::now();
    let refused = work.backup(&server.base, "refused.ndjson", &[]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(started.elapsed() < Duration::from_secs(30), "a refusal is not retried");
    let said = text(&refused.stderr);
    assert!(said.contains("refused with 403: the token is neither the read nor the write token"), "{said}");
    assert!(said.contains("must hold the service's read token or its write token"), "{said}");
    assert!(!said.contains("wrong-token-9876543210") && !said.contains(TOKEN), "{said}");
    assert!(!work.path("refused.ndjson").exists() && !work.path("refused.ndjson.partial").exists());
    server.stop();
}
