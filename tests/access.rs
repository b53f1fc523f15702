//! Who may read and write (issue #14, "Access"): `serve --require-read-token` closes every route but the probes,
//! browsers may send the token as a Basic password, and an early refusal of a large body still reaches a client
//! that is sending it.

use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wartezeit::log::Log;
use wartezeit::service::Token;

mod support {
    pub mod server;
}

use support::server::{DATA_SET, Server, TOKEN};

const READ_TOKEN: &str = "read-token-9876543210";

async fn closed_server() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::open(dir.path()).unwrap();
    let events: Vec<_> = DATA_SET.lines().take(200).map(|l| wartezeit::domain::wire::parse_event(l).unwrap()).collect();
    let appending = log.clone();
    tokio::task::spawn_blocking(move || appending.append(events).unwrap()).await.unwrap();
    Server::configured(log, Some("2020-03-01"), dir, Default::default(), |config| {
        config.read_token = Token::new(READ_TOKEN);
        config.require_read_token = true;
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_require_read_token_every_route_but_the_probes_needs_a_token() {
    let server = closed_server().await;
    let url = |path: &str| format!("{}{path}", server.base);
    for path in ["/healthz", "/readyz"] {
        assert_eq!(server.get(path).await.status(), StatusCode::OK, "{path} stays open for the supervisor");
    }
    let paths = ["/", "/metrics", "/api/v1/openapi.json", "/api/v1/summary", "/api/v1/offices", "/charts/backlog.svg"];
    for path in paths {
        let refused = server.get(path).await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "{path} without a token");
        let challenges: Vec<_> =
            refused.headers().get_all("www-authenticate").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
        assert!(challenges.iter().any(|c| c.starts_with("Basic realm=")), "{path}: a browser is asked: {challenges:?}");
        assert!(challenges.iter().any(|c| c.starts_with("Bearer realm=")), "{path}: {challenges:?}");
        assert_eq!(refused.headers()["content-type"], "application/problem+json");

        for token in [READ_TOKEN, TOKEN] {
            let bearer = server.client.get(url(path)).bearer_auth(token).send().await.unwrap();
            assert_eq!(bearer.status(), StatusCode::OK, "{path} with a bearer token");
        }
        let basic = server.client.get(url(path)).basic_auth("leitung", Some(READ_TOKEN)).send().await.unwrap();
        assert_eq!(basic.status(), StatusCode::OK, "{path} with the token as a Basic password");

        let wrong_bearer = server.client.get(url(path)).bearer_auth("guess").send().await.unwrap();
        assert_eq!(wrong_bearer.status(), StatusCode::FORBIDDEN, "{path} with a wrong bearer token");
        let wrong_basic = server.client.get(url(path)).basic_auth("leitung", Some("guess")).send().await.unwrap();
        assert_eq!(wrong_basic.status(), StatusCode::UNAUTHORIZED, "{path}: a wrong password is asked again");
    }
    // The read token reads but does not write.
    let write = server.post("[]".into(), "application/json", Some(READ_TOKEN)).await;
    assert_eq!(write.status(), StatusCode::FORBIDDEN);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_require_read_token_reads_stay_open_and_the_event_feed_does_not() {
    let server = Server::start("", Some("2020-03-01")).await;
    assert_eq!(server.get("/api/v1/offices").await.status(), StatusCode::OK);
    assert_eq!(server.get("/api/v1/events").await.status(), StatusCode::UNAUTHORIZED);
    let basic = server.client.get(format!("{}/api/v1/events", server.base)).basic_auth("backup", Some(TOKEN));
    assert_eq!(basic.send().await.unwrap().status(), StatusCode::OK);
    server.stop().await;
}

/// Sends a POST of `body_len` bytes with `authorization`, writing the whole body before reading, and returns the
/// status line of the answer (a reset connection fails the test).
async fn post_whole_body_then_read(base: &str, authorization: Option<&str>, body_len: usize) -> String {
    let address = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let auth = authorization.map_or(String::new(), |a| format!("Authorization: {a}\r\n"));
    let head = format!(
        "POST /api/v1/events HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/x-ndjson\r\n{auth}\
         Content-Length: {body_len}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let line = b"{\"event_id\":\"x\"}\n".repeat(body_len / 17 + 1);
    stream.write_all(&line[..body_len]).await.expect("the whole body is taken, not refused by a reset");
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buffer).await.expect("an answer, not a reset");
        assert!(n > 0, "the connection closed before an answer");
        answer.extend_from_slice(&buffer[..n]);
    }
    String::from_utf8_lossy(&answer).lines().next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_large_body_is_read_to_its_end_so_the_client_sees_the_status() {
    let server = Server::start("", Some("2020-03-01")).await;
    // 6 MB: far more than the socket buffers hold, under the 8 MiB body limit.
    let size = 6_000_000;
    assert_eq!(post_whole_body_then_read(&server.base, None, size).await, "HTTP/1.1 401 Unauthorized");
    let wrong = post_whole_body_then_read(&server.base, Some("Bearer wrong"), size).await;
    assert_eq!(wrong, "HTTP/1.1 403 Forbidden");
    assert_eq!(server.log.head().position, 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_in_the_query_string_is_refused_and_never_reaches_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    let data = dir.path().join("data");
    let args = ["--data-dir", data.to_str().unwrap(), "serve", "--init", "--listen", "127.0.0.1:0"];
    let args = [&args[..], &["--token-file", token_file.to_str().unwrap(), "--as-of", "2020-03-01"]].concat();
    let mut server = Logging::start(&args, Some("trace"));
    let base = server.base(text_base);
    let client = reqwest::Client::new();
    let by_query = client.get(format!("{base}/api/v1/events?token={TOKEN}")).send().await.unwrap();
    assert_eq!(by_query.status(), StatusCode::UNAUTHORIZED, "a token in the query string is not taken");
    let both = client.get(format!("{base}/api/v1/events?token={TOKEN}")).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(both.status(), StatusCode::BAD_REQUEST, "the query string is no place for a token");
    let body = both.text().await.unwrap();
    assert!(body.contains("\"parameter\":\"token\"") && !body.contains(TOKEN), "{body}");
    let with_header = client.get(format!("{base}/api/v1/events")).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(with_header.status(), StatusCode::OK);
    // Everything it logged at trace level, up to its graceful end.
    let logged = server.stop().join("\n");
    assert!(logged.contains("/api/v1/events"), "the requests are logged: {logged}");
    assert!(!logged.contains(TOKEN), "the token reached the log:\n{logged}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_default_each_request_is_one_plain_log_line_with_its_route_status_and_duration() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let args =
        ["--data-dir", data.to_str().unwrap(), "serve", "--init", "--listen", "127.0.0.1:0", "--insecure-no-auth"];
    let mut server = Logging::start(&[&args[..], &["--as-of", "2020-03-01"]].concat(), None);
    let base = server.base(text_base);
    ready(&base).await;
    let client = reqwest::Client::new();
    for path in ["/api/v1/summary?as_of=2020-03-01&secret=x", "/api/v1/no-such-route", "/api/v1/offices"] {
        client.get(format!("{base}{path}")).send().await.unwrap();
    }
    let seen = server.stop();
    let logged = seen.join("\n");
    let access: Vec<&String> =
        seen.iter().filter(|l| l.contains("wartezeit::access") && !l.contains("route=/readyz")).collect();
    assert_eq!(access.len(), 3, "one line per request:\n{logged}");
    assert!(access[0].contains("method=GET") && access[0].contains("route=/api/v1/summary"), "{}", access[0]);
    assert!(access[0].contains("duration_ms=") && access[0].contains("bytes_out="), "{}", access[0]);
    assert!(
        access[2].contains("route=/api/v1/offices status=200") && access[2].contains("bytes_out=2"),
        "{}",
        access[2]
    );
    assert!(access[1].contains("route=unmatched") && access[1].contains("status=404"), "{}", access[1]);
    assert!(!logged.contains("secret") && !logged.contains("as_of=2020"), "no query values in the log:\n{logged}");
    assert!(!logged.contains('\u{1b}'), "no colour codes when stderr is not a terminal:\n{logged}");
    assert!(logged.contains("started") && logged.contains(concat!("version=", env!("CARGO_PKG_VERSION"))), "{logged}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_log_format_json_every_line_is_a_json_object() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let args =
        ["--data-dir", data.to_str().unwrap(), "--log-format", "json", "serve", "--init", "--listen", "127.0.0.1:0"];
    let mut server = Logging::start(&[&args[..], &["--insecure-no-auth", "--as-of", "2020-03-01"]].concat(), None);
    let base = server.base(|line| {
        let object: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        (object["message"] == "started").then(|| object["url"].as_str().unwrap().trim_end_matches('/').to_owned())
    });
    ready(&base).await;
    reqwest::get(format!("{base}/api/v1/offices")).await.unwrap();
    let objects: Vec<serde_json::Value> = server
        .stop()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let access = objects
        .iter()
        .find(|o| o["target"] == "wartezeit::access" && o["route"] == "/api/v1/offices")
        .expect("the request's line");
    assert_eq!(access["status"], 200, "{access}");
    assert_eq!(access["level"], "INFO");
}

/// `wartezeit serve` as a child process whose stderr is read line by line on a thread of its own.
struct Logging {
    child: KillOnDrop,
    lines: std::sync::mpsc::Receiver<String>,
    reader: std::thread::JoinHandle<()>,
    /// Every line read so far.
    seen: Vec<String>,
}

impl Logging {
    /// Starts the binary with `args` (and `RUST_LOG` set to `log`, or unset).
    fn start(args: &[&str], log: Option<&str>) -> Logging {
        use std::io::BufRead as _;
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_wartezeit"));
        command.args(args).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::piped());
        match log {
            Some(level) => command.env("RUST_LOG", level),
            None => command.env_remove("RUST_LOG"),
        };
        let mut child = KillOnDrop(command.spawn().unwrap());
        let (send, lines) = std::sync::mpsc::channel::<String>();
        let stderr = child.0.stderr.take().unwrap();
        let reader = std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = send.send(line);
            }
        });
        Logging { child, lines, reader, seen: Vec::new() }
    }

    /// Reads lines until `base` finds the server's address in one.
    fn base(&mut self, base: impl Fn(&str) -> Option<String>) -> String {
        loop {
            let line = self.lines.recv_timeout(std::time::Duration::from_secs(30)).expect("the server starts");
            self.seen.push(line.clone());
            if let Some(found) = base(&line) {
                return found;
            }
        }
    }

    /// Stops the server with SIGTERM (in-flight requests finish) and returns every line it wrote.
    fn stop(mut self) -> Vec<String> {
        // SAFETY: kill(2) with a pid of our own child and a valid signal has no memory effects.
        unsafe { libc::kill(self.child.0.id() as i32, libc::SIGTERM) };
        assert!(self.child.0.wait().unwrap().success());
        self.reader.join().unwrap();
        self.seen.extend(self.lines.try_iter());
        self.seen
    }
}

/// The address in the line `wartezeit serving http://…/ (…)`.
fn text_base(line: &str) -> Option<String> {
    let at = line.find("http://")?;
    Some(line[at..].split_whitespace().next()?.trim_end_matches('/').to_owned())
}

/// Waits until the server answers `/readyz` with 200.
async fn ready(base: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !reqwest::get(format!("{base}/readyz")).await.is_ok_and(|r| r.status() == StatusCode::OK) {
        assert!(std::time::Instant::now() < deadline, "the server never became ready");
        tokio::task::yield_now().await;
    }
}

/// A child process killed when the test ends, however it ends.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
