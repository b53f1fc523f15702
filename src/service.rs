//! The HTTP service: the JSON API, Prometheus `/metrics` and authenticated writes, on axum and tokio.
//!
//! [`build`] turns a [`Config`] and an open [`Log`] into an [`App`] (its axum `Router` plus a handle to wait for
//! readiness); [`run`] serves it on a listener until a shutdown signal. `wartezeit serve`, `wartezeit demo` and the
//! black-box tests all go through these two functions.
//!
//! Concurrency: the projection sits behind a `std::sync::RwLock` ([`state`]). An append runs `Log::append` on the
//! blocking pool and waits for the durable receipt *without* any projection lock; only then are the new entries
//! scanned (still without the lock) and folded in under the write lock, which is held for the fold alone. Readers
//! therefore never wait for a flush; they see the last committed projection, which may trail the durable head by
//! the batches being folded in (`wartezeit_projection_lag_events`).
//!
//! Decisions where the issue is silent (also in the README):
//! - A rejected batch answers with the most severe status class present, by precedence 400 > 409 > 422: a
//!   malformed event makes the batch unreadable, a conflict means the client's view of the log is out of date, and
//!   only a well-formed, non-conflicting batch is worth judging by the domain rules. Every violation is listed with
//!   its own status. One batch policy for the API and `import` ([`crate::rules::judge_batch`]): parse errors and
//!   rule breaks of every event together, in batch order, the first 100 listed with the total.
//! - Unknown query parameters are a 400 naming the parameter, so that a typo (`ofice=`) is not silently ignored.
//! - `GET /api/v1/press-statement` defaults to `format=json` (the CLI defaults to text) and `lang=de`.
//! - Reads before the initial projection is built answer 503 (`/readyz` says when); writes are accepted at once.

pub mod auth;
pub mod charts;
pub mod connections;
pub mod dashboard;
pub mod forecast;
pub mod known_at;
pub mod metrics;
pub mod openapi;
pub mod problem;
pub mod routes;
pub mod state;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use chrono::NaiveDate;

use crate::domain::time::Zone;
use crate::log::Log;
use crate::projection::DEFAULT_HORIZON_DAYS;

pub use auth::Token;

/// The largest request body accepted by `POST /api/v1/events`.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// How the service runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// The zone in which "today" and the business dates are taken.
    pub zone: Zone,
    /// The evaluation day; `None` means the wall-clock date in `zone`.
    pub as_of: Option<NaiveDate>,
    /// The write token; `None` lets anyone write (only with `--insecure-no-auth`).
    pub token: Option<Token>,
    /// A token that reads the raw event feed (`GET /api/v1/events`) but cannot write; the write token reads it too.
    pub read_token: Option<Token>,
    /// Whether every route but `/healthz` and `/readyz` needs the read or the write token.
    pub require_read_token: bool,
    /// The longest a request may take before it is answered 408. A timed-out append may still be committed; the
    /// client resends it, which is idempotent.
    pub request_timeout: Duration,
    /// H of the wait figures.
    pub horizon_days: u32,
    /// How many connections are kept, and how long a request head may take.
    pub connections: connections::Limits,
    /// The what-if plans an operator saved (`serve --plan-file`): `GET /api/v1/whatif` and the page's
    /// "Maßnahmen" compare them when the request names none.
    pub plans: Vec<crate::forecast::plan::Plan>,
    /// When the projection is written as a checkpoint in the background.
    pub checkpoints: Checkpointing,
}

/// When the service writes a projection checkpoint: once the log has grown since the newest by `every_events` and by
/// a tenth of its length (so that a long log is not written out every few minutes, and a restart folds at most
/// about a tenth of it), or `every` has passed with anything new; `every_events` 0 writes none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpointing {
    pub every_events: u64,
    pub every: Duration,
}

impl Checkpointing {
    /// Whether a log at `head` whose newest checkpoint is at `newest` has grown enough for the next one.
    pub fn due(&self, newest: u64, head: u64) -> bool {
        crate::rebuild::checkpoint_due(self.every_events, newest, head)
    }
}

impl Default for Checkpointing {
    fn default() -> Self {
        Checkpointing { every_events: crate::rebuild::CHECKPOINT_EVERY_EVENTS, every: Duration::from_secs(60 * 60) }
    }
}

impl Config {
    /// A configuration with the defaults: no fixed day, 30 s timeout, H = 365.
    pub fn new(zone: Zone, token: Option<Token>) -> Self {
        Config {
            zone,
            as_of: None,
            token,
            read_token: None,
            require_read_token: false,
            request_timeout: Duration::from_secs(30),
            horizon_days: DEFAULT_HORIZON_DAYS,
            connections: connections::Limits::default(),
            plans: Vec::new(),
            checkpoints: Checkpointing::default(),
        }
    }
}

/// A built service: the router to serve, and a handle on its state.
pub struct App {
    pub router: Router,
    state: Arc<state::State>,
}

impl App {
    /// Waits until the initial projection is built (what `/readyz` reports).
    pub async fn ready(&self) {
        self.state.wait_ready().await;
    }
}

/// Builds the service over `log`. Must be called inside a tokio runtime: the initial projection is built on the
/// blocking pool in the background, and `/readyz` answers 200 once it is.
pub fn build(config: Config, log: Log) -> anyhow::Result<App> {
    let state = Arc::new(state::State::new(config, log)?);
    let background = Arc::clone(&state);
    let checkpointer = Arc::downgrade(&state);
    tokio::spawn(async move {
        if tokio::task::spawn_blocking(move || background.initial_build()).await.is_ok() {
            state::checkpoints(checkpointer).await;
        }
    });
    let router = routes::router(Arc::clone(&state));
    Ok(App { router, state })
}

/// Serves `app` on `listener` until `shutdown` completes; then stops accepting, lets in-flight requests (appends
/// included) finish, and returns. Every acknowledged append is already durable, so nothing is left to flush.
pub async fn run(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    run_with(listener, app, shutdown, connections::Limits::default()).await
}

/// [`run`] under the given connection limits.
pub async fn run_with(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: connections::Limits,
) -> std::io::Result<()> {
    connections::serve(listener, app, shutdown, limits).await
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
