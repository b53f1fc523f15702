//! The real `wartezeit serve` binary on loopback for black-box tests of the clients (`push`, `backup`): started
//! over a data directory with a token file, waited for until ready, stopped gracefully or killed; and the helpers
//! to wait on child processes without sleeping for synchronisation.
#![allow(dead_code)] // each test file uses the part it needs

use std::io::BufRead as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// A child process killed when the test ends, however it ends.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A running `wartezeit serve` (`--init`, as of 2020-06-24) whose write token is in a file.
pub struct Served {
    child: KillOnDrop,
    pub base: String,
    token: String,
    _stderr: Receiver<String>,
}

impl Served {
    /// Starts the server over `data` on `listen` (`127.0.0.1:0` for a free port) with the token in `token_file`,
    /// and waits until it answers `/readyz` with 200.
    pub fn start(data: &Path, token_file: &Path, listen: &str) -> Served {
        let mut child = Command::new(env!("CARGO_BIN_EXE_wartezeit"))
            .arg("--data-dir")
            .arg(data)
            .args(["serve", "--init", "--listen", listen, "--as-of", "2020-06-24", "--token-file"])
            .arg(token_file)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the server starts");
        let stderr = lines_of(child.stderr.take().expect("stderr"));
        let child = KillOnDrop(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        let base = loop {
            let line = next_line(&stderr, deadline).expect("the server says where it listens");
            if let Some(at) = line.find("http://") {
                break line[at..].split_whitespace().next().unwrap().trim_end_matches('/').to_owned();
            }
        };
        let token = std::fs::read_to_string(token_file).expect("the token file").trim().to_owned();
        let server = Served { child, base, token, _stderr: stderr };
        poll(Duration::from_secs(60), "the server is ready", || {
            let ready = reqwest::blocking::get(format!("{}/readyz", server.base));
            ready.is_ok_and(|r| r.status() == reqwest::StatusCode::OK).then_some(())
        });
        server
    }

    /// The log's durable head, from the event feed.
    pub fn position(&self) -> Option<u64> {
        let client = reqwest::blocking::Client::new();
        let answer = client.get(format!("{}/api/v1/events?limit=1", self.base)).bearer_auth(&self.token).send().ok()?;
        let page: serde_json::Value = answer.json().ok()?;
        page["head"]["position"].as_u64()
    }

    /// SIGKILL: no shutdown, the process is gone at once.
    pub fn kill(mut self) {
        self.child.0.kill().expect("SIGKILL");
        self.child.0.wait().expect("reaped");
    }

    /// SIGTERM: a graceful shutdown, waited for, so that the store can be opened by another process.
    pub fn stop(mut self) {
        let pid = i32::try_from(self.child.0.id()).expect("a pid");
        // SAFETY: kill(2) with a pid of our own child and a valid signal has no memory effects.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
        assert!(self.child.0.wait().expect("the server ends").success(), "the server stopped cleanly");
    }

    /// The address without the scheme, to start a new server on the same port.
    pub fn listen(&self) -> String {
        self.base.trim_start_matches("http://").to_owned()
    }
}

/// The lines a child writes to `pipe`, read on a thread of their own (so that the child never blocks on a full
/// pipe) and handed over through a channel.
pub fn lines_of(pipe: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(pipe).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                break;
            }
        }
    });
    receive
}

/// The next line from `lines` before `deadline`; `None` when the writer closed its end.
pub fn next_line(lines: &Receiver<String>, deadline: Instant) -> Option<String> {
    match lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        Ok(line) => Some(line),
        Err(RecvTimeoutError::Disconnected) => None,
        Err(RecvTimeoutError::Timeout) => panic!("no line before the deadline"),
    }
}

/// Calls `check` every few milliseconds until it gives a value; panics naming `what` after `limit`.
pub fn poll<T>(limit: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        std::thread::yield_now();
        std::thread::park_timeout(Duration::from_millis(5));
    }
}
