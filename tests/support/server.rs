//! The service in black-box tests: a fresh data directory holding the given events, served through the same
//! `service::build` and `service::run` as `wartezeit serve`, on a loopback port chosen by the OS.
#![allow(dead_code)] // each test file uses the part it needs

use reqwest::StatusCode;
use serde_json::Value;
use wartezeit::domain::time::Zone;
use wartezeit::log::Log;
use wartezeit::service::{self, Config, Token};

/// The write token every test server accepts.
pub const TOKEN: &str = "test-token-0123456789";
/// The committed 2020 data set.
pub const DATA_SET: &str = include_str!("../../data/kaiserslautern-2020.ndjson");

/// A running server and the means to talk to it.
pub struct Server {
    pub base: String,
    pub client: reqwest::Client,
    pub log: Log,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    served: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _dir: tempfile::TempDir,
}

impl Server {
    /// A server over `events` (NDJSON, appended before it starts), with [`TOKEN`] and the given evaluation day
    /// (`None`: the wall clock's), ready when this returns.
    pub async fn start(events: &str, as_of: Option<&str>) -> Server {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let log = Log::open(dir.path()).expect("opens");
        let parsed: Vec<_> = events
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| wartezeit::domain::wire::parse_event(l).expect("a valid event"))
            .collect();
        if !parsed.is_empty() {
            let log = log.clone();
            tokio::task::spawn_blocking(move || log.append(parsed).expect("appended")).await.unwrap();
        }
        Server::over(log, as_of, dir).await
    }

    /// A server over an open `log`, which keeps `dir` (the directory it lies in) while it runs.
    pub async fn over(log: Log, as_of: Option<&str>, dir: tempfile::TempDir) -> Server {
        Server::limited(log, as_of, dir, service::connections::Limits::default()).await
    }

    /// [`Server::over`] under the given connection limits.
    pub async fn limited(
        log: Log,
        as_of: Option<&str>,
        dir: tempfile::TempDir,
        limits: service::connections::Limits,
    ) -> Server {
        Server::configured(log, as_of, dir, limits, |_| {}).await
    }

    /// [`Server::limited`] with its configuration changed by `adjust` (tokens, access).
    pub async fn configured(
        log: Log,
        as_of: Option<&str>,
        dir: tempfile::TempDir,
        limits: service::connections::Limits,
        adjust: impl FnOnce(&mut Config),
    ) -> Server {
        let mut config = Config::new(Zone::parse("Europe/Berlin").unwrap(), Token::new(TOKEN));
        config.as_of = as_of.map(|d| d.parse().unwrap());
        adjust(&mut config);
        let app = service::build(config, log.clone()).expect("builds");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binds");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        app.ready().await;
        let served = tokio::spawn(service::run_with(
            listener,
            app.router,
            async {
                let _ = stopped.await;
            },
            limits,
        ));
        Server { base, client: reqwest::Client::new(), log, stop: Some(stop), served: Some(served), _dir: dir }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.base)).send().await.expect("a response")
    }

    /// `GET path` with the write token (which the event feed needs), which must answer 200 with JSON.
    pub async fn get_json(&self, path: &str) -> Value {
        let url = format!("{}{path}", self.base);
        let response = self.client.get(url).bearer_auth(TOKEN).send().await.expect("a response");
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.json().await.expect("JSON")
    }

    /// `POST /api/v1/events` with `body`, its content type and, when given, a bearer token.
    pub async fn post(&self, body: String, content_type: &str, token: Option<&str>) -> reqwest::Response {
        let mut request =
            self.client.post(format!("{}/api/v1/events", self.base)).header("content-type", content_type).body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("a response")
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.served.take().unwrap().await.unwrap().expect("served cleanly");
    }
}

/// The response's content type, or empty.
pub fn content_type(response: &reqwest::Response) -> String {
    response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}
