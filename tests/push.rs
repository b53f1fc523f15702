//! `wartezeit push` against the real `wartezeit serve` binary on loopback (issue #12, "Big histories while the
//! service runs"): the 2020 data set goes in once; a server killed halfway is waited for, a push killed halfway
//! resumes from its state file, and either way every event is in the log exactly once; a bad line sends nothing; a
//! changed input is not resumed blindly; a refused batch names its events by file and line.
//!
//! Every wait polls with a deadline; no sleep stands for synchronisation.

mod support {
    pub mod served;
}

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::served::{KillOnDrop, Served, lines_of, next_line, poll};

use wartezeit::domain::wire::{parse_event, to_json_line};

const TOKEN: &str = "push-test-token-0123456789";
const DATA_SET: &str = include_str!("../data/kaiserslautern-2020.ndjson");
const DATA_SET_EVENTS: usize = 43_157;

/// A working directory: the token file, the data directory and the inputs of one test.
struct Work {
    dir: tempfile::TempDir,
}

impl Work {
    fn new() -> Work {
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::write(dir.path().join("token"), format!("  {TOKEN}\n")).expect("writes the token");
        Work { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn data(&self) -> PathBuf {
        self.path("data")
    }

    /// Writes `text` as the input file `name` and returns its path.
    fn input(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, text).expect("writes the input");
        path
    }

    /// `wartezeit push --to BASE --token-file … ARGS…`, not yet started.
    fn push(&self, base: &str, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_wartezeit"));
        command.args(["push", "--to", base, "--token-file"]).arg(self.path("token")).args(args);
        command
    }

    /// Runs a push to the end.
    fn push_output(&self, base: &str, args: &[&str]) -> Output {
        self.push(base, args).output().expect("push runs")
    }

    /// The log of the data directory as NDJSON lines (the server must be stopped: one process opens it).
    fn export(&self) -> Vec<String> {
        let out = Command::new(env!("CARGO_BIN_EXE_wartezeit"))
            .arg("--data-dir")
            .arg(self.data())
            .arg("export")
            .output()
            .expect("export runs");
        assert!(out.status.success(), "export: {}", text(&out.stderr));
        text(&out.stdout).lines().map(str::to_owned).collect()
    }
}

/// Waits for a child with a deadline, killing it (and failing) past it.
fn wait_with_deadline(mut child: KillOnDrop, limit: Duration) -> std::process::ExitStatus {
    poll(limit, "the push ends", || child.0.try_wait().expect("waits"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The first `n` lines of the data set, each with its newline.
fn data_set_lines(n: usize) -> String {
    DATA_SET.lines().take(n).map(|l| format!("{l}\n")).collect()
}

/// The events of an NDJSON text in their canonical form, in order.
fn canonical(text: &str) -> Vec<String> {
    text.lines().filter(|l| !l.trim().is_empty()).map(|l| to_json_line(&parse_event(l).expect("valid"))).collect()
}

/// The `acknowledged` count of a state file.
fn acknowledged_in(state: &Path) -> u64 {
    let text = std::fs::read_to_string(state).expect("the state file exists");
    let state: serde_json::Value = serde_json::from_str(&text).expect("the state file is JSON");
    state["acknowledged"].as_u64().expect("acknowledged is a count")
}

#[test]
fn the_push_limit_is_the_services_limit() {
    assert_eq!(wartezeit::cli::push::SERVICE_BODY_LIMIT, wartezeit::service::MAX_BODY_BYTES);
}

#[test]
fn the_data_set_goes_in_once_and_pushing_it_again_appends_nothing() {
    let work = Work::new();
    let input = work.input("kaiserslautern-2020.ndjson", DATA_SET);
    let file = input.to_str().unwrap();
    let server = Served::start(&work.data(), &work.path("token"), "127.0.0.1:0");

    // 50,000 events would fit one batch by count; the 8 MB file goes in two by the 4 MiB limit of a request.
    let started = Instant::now();
    let out = work.push_output(&server.base, &["--batch-events", "50000", file]);
    let took = started.elapsed();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary = text(&out.stdout);
    eprintln!("pushed {DATA_SET_EVENTS} events in {:.2} s: {summary}", took.as_secs_f64());
    assert!(
        summary.starts_with(&format!("sent {DATA_SET_EVENTS} of {DATA_SET_EVENTS} events to {}/api/v1/events in 2 batches: appended {DATA_SET_EVENTS}, duplicates 0, retries 0; log position {DATA_SET_EVENTS}", server.base)),
        "{summary}"
    );
    let state = PathBuf::from(format!("{file}.push-state"));
    assert_eq!(acknowledged_in(&state), DATA_SET_EVENTS as u64);
    assert!(!text(&out.stderr).contains(TOKEN) && !summary.contains(TOKEN));

    // The same command again: the state file says everything is acknowledged.
    let again = work.push_output(&server.base, &[file]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert_eq!(
        text(&again.stdout).trim(),
        format!(
            "nothing to send: all {DATA_SET_EVENTS} events were acknowledged by {}/api/v1/events already (state file \
             {})",
            server.base,
            state.display()
        )
    );
    // Without the state file everything is sent again, and the service takes it all as duplicates.
    let fresh_state = work.path("elsewhere.push-state");
    let resend = work.push_output(&server.base, &["--state", fresh_state.to_str().unwrap(), file]);
    assert!(resend.status.success(), "{}", text(&resend.stderr));
    let summary = text(&resend.stdout);
    assert!(summary.contains(&format!("appended 0, duplicates {DATA_SET_EVENTS}")), "{summary}");
    assert_eq!(server.position(), Some(DATA_SET_EVENTS as u64));
    server.stop();

    assert_eq!(work.export(), canonical(DATA_SET), "the log holds the data set once, in its order");
}

#[test]
fn a_server_killed_halfway_is_waited_for_and_every_event_is_stored_once() {
    let work = Work::new();
    let input = work.input("history.ndjson", DATA_SET);
    let server = Served::start(&work.data(), &work.path("token"), "127.0.0.1:0");
    let listen = server.listen();

    let mut push = work.push(&server.base, &["--batch-events", "100", "--retry-for", "90s", input.to_str().unwrap()]);
    let mut child = push.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("push starts");
    let stderr = lines_of(child.stderr.take().expect("stderr"));
    let stdout = child.stdout.take().expect("stdout");
    let child = KillOnDrop(child);
    let position = poll(Duration::from_secs(60), "the push gets going", || server.position().filter(|p| *p > 3_000));
    server.kill();
    assert!(position < DATA_SET_EVENTS as u64, "the push was still going when the server was killed");

    // The push notices (a failed connection) and retries; then the server comes back on the same port.
    let deadline = Instant::now() + Duration::from_secs(60);
    let retrying = loop {
        let line = next_line(&stderr, deadline).expect("the push says it retries");
        if line.contains("; retry 1 in ") {
            break line;
        }
    };
    assert!(retrying.contains("history.ndjson:"), "the batch is named by file and line: {retrying}");
    let server = Served::start(&work.data(), &work.path("token"), &listen);
    let status = wait_with_deadline(child, Duration::from_secs(120));
    let summary = std::io::read_to_string(stdout).expect("stdout");
    assert!(status.success(), "{summary}");
    let retries: u64 = summary.rsplit("retries ").next().and_then(|r| r.split(';').next()).unwrap().parse().unwrap();
    assert!(retries >= 1, "{summary}");
    assert!(summary.starts_with(&format!("sent {DATA_SET_EVENTS} of {DATA_SET_EVENTS} events")), "{summary}");
    server.stop();

    assert_eq!(work.export(), canonical(DATA_SET), "every event once, in the input's order");
}

#[test]
fn a_push_killed_halfway_resumes_after_what_was_acknowledged() {
    let work = Work::new();
    let input = work.input("history.ndjson", DATA_SET);
    let state = work.path("history.ndjson.push-state");
    let server = Served::start(&work.data(), &work.path("token"), "127.0.0.1:0");
    let listen = server.listen();

    let batch = 100;
    let args = ["--batch-events", "100", input.to_str().unwrap()];
    let child = work.push(&server.base, &args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("starts");
    let mut child = KillOnDrop(child);
    poll(Duration::from_secs(60), "the push gets going", || server.position().filter(|p| *p > 3_000));
    // Both go down at once, as in a power cut: the push first, then the server.
    child.0.kill().expect("SIGKILL");
    child.0.wait().expect("reaped");
    let acknowledged = acknowledged_in(&state);
    let stored = server.position().expect("the server still answers");
    server.kill();
    // The state records whole batches the service acknowledged; at most the batch in flight is stored beyond them.
    assert!(
        acknowledged.is_multiple_of(batch) && acknowledged <= stored && stored <= acknowledged + batch,
        "{acknowledged} {stored}"
    );
    assert!(stored < DATA_SET_EVENTS as u64);

    let server = Served::start(&work.data(), &work.path("token"), &listen);
    let out = work.push_output(&server.base, &args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let note = text(&out.stderr);
    assert!(note.contains(&format!("resuming after {acknowledged} of {DATA_SET_EVENTS} events")), "{note}");
    let summary = text(&out.stdout);
    let rest = DATA_SET_EVENTS as u64 - acknowledged;
    let duplicates = stored - acknowledged;
    assert!(
        summary.contains(&format!(
            "sent {rest} of {DATA_SET_EVENTS} events to {}/api/v1/events in {} batches (resumed after {acknowledged} \
             acknowledged before): appended {}, duplicates {duplicates}, retries 0; log position {DATA_SET_EVENTS}",
            server.base,
            rest.div_ceil(batch),
            rest - duplicates
        )),
        "{summary}"
    );
    server.stop();

    assert_eq!(work.export(), canonical(DATA_SET), "every event once, in the input's order");
}

#[test]
fn a_bad_line_is_named_and_nothing_is_sent() {
    let work = Work::new();
    let good = data_set_lines(2_000);
    let broken: String = good
        .lines()
        .enumerate()
        .map(
            |(i, line)| {
                if i + 1 == 1234 { line.replacen("\"at\":\"2020-", "\"at\":\"2020-13-", 1) } else { line.into() }
            },
        )
        .map(|line| line + "\n")
        .collect();
    let input = work.input("broken.ndjson", &format!("\n{broken}"));
    let server = Served::start(&work.data(), &work.path("token"), "127.0.0.1:0");

    let out = work.push_output(&server.base, &[input.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let said = text(&out.stderr);
    // A blank first line: the broken event (line 1234 of the data set) is on line 1235 of the file.
    assert!(said.starts_with(&format!("{}:1235: field \"at\": ", input.display())), "{said}");
    assert!(said.trim_end().ends_with("push refused: 1 problem(s) in the input, nothing sent"), "{said}");
    assert_eq!(server.position(), Some(0), "nothing was sent");
    assert!(!work.path("broken.ndjson.push-state").exists());

    // A wrong token: refused at once (403, not retried), and no token is shown.
    let good_input = work.input("good.ndjson", &good);
    std::fs::write(work.path("token"), "wrong-token-9876543210").unwrap();
    let started = Instant::now();
    let out = work.push_output(&server.base, &[good_input.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(started.elapsed() < Duration::from_secs(30), "a refusal is not retried");
    let said = text(&out.stderr);
    assert!(said.contains("refused with 403: the token is not the write token"), "{said}");
    assert!(said.contains("push stopped: 0 events before this batch are acknowledged"), "{said}");
    assert!(!said.contains("wrong-token-9876543210") && !said.contains(TOKEN), "{said}");
    assert_eq!(server.position(), Some(0));
    server.stop();
}

#[test]
fn a_changed_input_starts_over_and_a_conflict_is_named_by_file_and_line() {
    let work = Work::new();
    let input = work.input("history.ndjson", &data_set_lines(1_000));
    let file = input.to_str().unwrap();
    let server = Served::start(&work.data(), &work.path("token"), "127.0.0.1:0");
    let out = work.push_output(&server.base, &["--batch-events", "300", file]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("in 4 batches: appended 1000, duplicates 0"), "{}", text(&out.stdout));

    // The file grows: its state is not resumed at a count that meant another file; it starts over.
    let grown = data_set_lines(1_500);
    std::fs::write(&input, &grown).unwrap();
    let out = work.push_output(&server.base, &["--batch-events", "300", file]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stderr);
    let expected = format!(
        "state file {file}.push-state is not for this push ({} changed since: {} bytes then, {} now): starting from \
         the first event",
        std::fs::canonicalize(&input).unwrap().display(),
        data_set_lines(1_000).len(),
        grown.len()
    );
    assert!(said.contains(&expected), "{said}");
    let summary = text(&out.stdout);
    assert!(summary.contains("sent 1500 of 1500 events"), "{summary}");
    assert!(summary.contains("appended 500, duplicates 1000"), "{summary}");

    // An event edited under its old id: the service refuses its batch (409), named by file and line.
    let edited: String = grown
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let line = if i + 1 == 1_400 { line.replacen("\"at\":\"2020-", "\"at\":\"2019-", 1) } else { line.into() };
            line + "\n"
        })
        .collect();
    std::fs::write(&input, &edited).unwrap();
    let out = work.push_output(&server.base, &["--batch-events", "300", file]);
    assert_eq!(out.status.code(), Some(1));
    let said = text(&out.stderr);
    assert!(said.contains(&format!("batch 5 of 5 ({file}:1201 … {file}:1500): refused with 409")), "{said}");
    assert!(said.contains(&format!("{file}:1400: field \"event_id\": ")), "{said}");
    assert!(said.contains("with different content (409)"), "{said}");
    assert!(said.contains("push stopped: 1200 events before this batch are acknowledged"), "{said}");
    assert_eq!(acknowledged_in(&work.path("history.ndjson.push-state")), 1_200);
    assert_eq!(server.position(), Some(1_500), "the refused batch appended nothing");
    server.stop();
}
