//! The routes and their handlers. Handlers parse at the edge (query values, event bodies) into domain types, ask
//! the log or the projection, and answer JSON or problem details.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State as AxumState};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::domain::event::Event;
use crate::domain::id::OfficeId;
use crate::domain::time::MAX_PERIOD_DAYS;
use crate::domain::wire::{echo, is_blank_line, parse_event, to_json_line};
use crate::log::{AppendError, Log};
use crate::press::words::Lang;
use crate::press::{self, Format, Provenance};
use crate::projection::Projection;
use crate::read;
use crate::rules::{Judged, Rejection, judge_batch};
use crate::service::MAX_BODY_BYTES;
use crate::service::auth::{self, Denied};
use crate::service::metrics;
use crate::service::openapi::{AppendBody, EntryBody, EventsPage, HeadBody};
use crate::service::problem::{Problem, ProblemBody};
use crate::service::state::State;

type Shared = Arc<State>;
type Answer = Result<Response, Problem>;

/// The default and the largest `limit` of `GET /api/v1/events`.
const DEFAULT_EVENTS_LIMIT: usize = 1_000;
const MAX_EVENTS_LIMIT: usize = 10_000;

/// Every route, with the metrics middleware, a request timeout and one trace line per request.
pub fn router(state: Shared) -> Router {
    let timeout = state.config.request_timeout;
    Router::new()
        .route("/", get(crate::service::dashboard::index))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .route("/api/v1/openapi.json", get(openapi_json))
        .route("/api/v1/events", post(append_events).get(list_events))
        .route("/api/v1/series", get(series))
        .route("/api/v1/summary", get(summary))
        .route("/api/v1/attribution", get(attribution))
        .route("/api/v1/press-statement", get(press_statement))
        .route("/api/v1/offices", get(offices))
        .route("/charts/{file}", get(crate::service::charts::chart))
        .route("/api/v1/forecast", get(forecast))
        .route("/api/v1/whatif", get(whatif))
        .route("/api/v1/capacity-needed", get(capacity_needed))
        .fallback(|| async { Problem::new(StatusCode::NOT_FOUND, "no such route; see /api/v1/openapi.json") })
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&state), read_access))
        .layer(axum::middleware::from_fn(security_headers))
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&state), metrics::track))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout))
        // Spans name the path only: a query string may carry what must not reach a log (a token sent by mistake).
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::extract::Request| {
            tracing::debug_span!("request", method = %request.method(), path = %request.uri().path())
        }))
        .with_state(state)
}

/// What the page needs and nothing more: no scripts at all, its own stylesheet inline, images (the charts) and
/// form submissions from this origin only, and no framing by other sites.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Whether the `Authorization` header carries one of `tokens`: 401 when it carries none (or wrong Basic
/// credentials, so that a browser asks again), 403 with `wrong` for a wrong bearer token.
pub(super) fn authorize(tokens: &[Option<&auth::Token>], headers: &HeaderMap, wrong: &str) -> Result<(), Problem> {
    match auth::check_any(tokens, headers) {
        Ok(()) => Ok(()),
        Err(Denied::Missing | Denied::WrongBasic) => Err(Problem::unauthorized()),
        Err(Denied::Wrong) => Err(Problem::new(StatusCode::FORBIDDEN, wrong)),
    }
}

/// With `serve --require-read-token`, every route but `/healthz` and `/readyz` needs the read or the write token
/// (as a bearer token, or as the password of Basic credentials in a browser).
async fn read_access(
    AxumState(state): AxumState<Shared>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = request.uri().path();
    if !state.config.require_read_token || path == "/healthz" || path == "/readyz" {
        return next.run(request).await;
    }
    let tokens = [state.config.token.as_ref(), state.config.read_token.as_ref()];
    match authorize(&tokens, request.headers(), "the token is neither the read nor the write token") {
        Ok(()) => next.run(request).await,
        Err(refused) => {
            let (_, body) = request.into_parts();
            let _ = read_limited(body, false).await;
            refused.into_response()
        }
    }
}

/// Security headers on every answer: a content security policy, no MIME sniffing, no framing, no referrer.
async fn security_headers(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

/// The query parameters of a request, checked against the names a route accepts.
pub(super) struct Params(HashMap<String, String>);

impl Params {
    pub(super) fn new(
        query: Result<Query<Vec<(String, String)>>, QueryRejection>,
        allowed: &[&str],
    ) -> Result<Params, Problem> {
        Ok(Params::with_plans(query, allowed)?.0)
    }

    /// [`Params::new`] where `plan` may also be given, any number of times: the plans in their one-line form, in
    /// order.
    pub(super) fn with_plans(
        query: Result<Query<Vec<(String, String)>>, QueryRejection>,
        allowed: &[&str],
    ) -> Result<(Params, Vec<String>), Problem> {
        let Query(pairs) = query.map_err(|e| Problem::new(StatusCode::BAD_REQUEST, format!("bad query: {e}")))?;
        let mut map = HashMap::new();
        let mut plans = Vec::new();
        for (name, value) in pairs {
            if name == "plan" && allowed.contains(&"plan") {
                plans.push(value);
                continue;
            }
            if !allowed.contains(&name.as_str()) {
                return Err(Problem::bad_parameter(
                    &name,
                    format!("unknown parameter {name:?}; this route takes {}", allowed.join(", ")),
                ));
            }
            if map.insert(name.clone(), value).is_some() {
                return Err(Problem::bad_parameter(&name, format!("parameter {name:?} given twice")));
            }
        }
        Ok((Params(map), plans))
    }

    /// A share strictly between 0 and 1.
    fn share(&self, name: &str) -> Result<Option<f64>, Problem> {
        self.parse(name, "a share strictly between 0 and 1 (0.85)", |v| {
            v.parse().ok().filter(|p: &f64| *p > 0.0 && *p < 1.0)
        })
    }

    pub(super) fn parse<T>(
        &self,
        name: &str,
        what: &str,
        f: impl FnOnce(&str) -> Option<T>,
    ) -> Result<Option<T>, Problem> {
        match self.0.get(name) {
            None => Ok(None),
            Some(v) => {
                f(v).map(Some).ok_or_else(|| Problem::bad_parameter(name, format!("{name}={v:?} is not {what}")))
            }
        }
    }

    pub(super) fn date(&self, name: &str) -> Result<Option<NaiveDate>, Problem> {
        self.parse(name, "a date YYYY-MM-DD in 1970-01-01 … 2199-12-31", |v| crate::domain::wire::date(v).ok())
    }

    fn required_date(&self, name: &str) -> Result<NaiveDate, Problem> {
        self.date(name)?.ok_or_else(|| Problem::bad_parameter(name, format!("{name} is required (YYYY-MM-DD)")))
    }

    /// The period `from..=to`, both given, of at most `max` days.
    fn required_period(&self, max: u32) -> Result<(NaiveDate, NaiveDate), Problem> {
        let (from, to) = (self.required_date("from")?, self.required_date("to")?);
        crate::domain::time::period_days(from, to, max).map_err(|e| Problem::bad_parameter("to", e.to_string()))?;
        Ok((from, to))
    }

    /// A non-negative integer up to 2^63 − 1 (what the document's int64 admits).
    pub(super) fn number(&self, name: &str) -> Result<Option<u64>, Problem> {
        self.parse(name, "an integer in 0..=9223372036854775807", |v| v.parse().ok().filter(|n| *n <= i64::MAX as u64))
    }

    pub(super) fn office(&self) -> Result<Option<OfficeId>, Problem> {
        self.parse("office", "an office id", |v| OfficeId::parse(v).ok())
    }
}

/// The office asked for, or the log's only one (the read side decides; 400 or 404 otherwise).
pub(super) fn resolve_office(projection: &Projection, asked: Option<OfficeId>) -> Result<OfficeId, Problem> {
    Ok(read::office(projection, asked.as_ref())?)
}

/// Runs `f` on the committed projection, or on one rebuilt up to `known_at` (on the blocking pool).
pub(super) async fn with_projection<T: Send + 'static>(
    state: &Shared,
    known_at: Option<u64>,
    f: impl FnOnce(&Projection, Provenance) -> Result<T, Problem> + Send + 'static,
) -> Result<T, Problem> {
    if !state.is_ready() {
        return Err(Problem::new(StatusCode::SERVICE_UNAVAILABLE, "the projection is still being built"));
    }
    let current_position = state.read().projection.position();
    match known_at {
        Some(p) if p != current_position => {
            let head = state.log.head().position;
            if p > head {
                return Err(Problem::bad_parameter(
                    "known_at",
                    format!("known_at={p}: the log holds only {head} events"),
                ));
            }
            let state = Arc::clone(state);
            tokio::task::spawn_blocking(move || {
                let known = state.projection_at(p).map_err(internal)?;
                f(&known.projection, known.provenance())
            })
            .await
            .map_err(internal)?
        }
        _ => {
            let current = state.read();
            f(&current.projection, current.provenance())
        }
    }
}

pub(super) fn internal(e: impl std::fmt::Display) -> Problem {
    tracing::error!("internal error: {e}");
    Problem::new(StatusCode::INTERNAL_SERVER_ERROR, format!("internal error: {e}"))
}

fn json<T: serde::Serialize>(value: &T) -> Response {
    Json(value).into_response()
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "alive", body = String)))]
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// Readiness: 200 once the initial projection is built and the store takes writes; 503 while building, or while
/// the store cannot write (reads go on then; the body names the fault).
#[utoipa::path(get, path = "/readyz", tag = "operations", responses(
    (status = 200, description = "the projection is built and the store takes writes", body = String),
    (status = 503, description = "still building, or the store cannot write", body = String)))]
pub async fn readyz(AxumState(state): AxumState<Shared>) -> (StatusCode, String) {
    if !state.is_ready() {
        return (StatusCode::SERVICE_UNAVAILABLE, "building\n".into());
    }
    match state.log.writable() {
        Ok(()) => (StatusCode::OK, "ready\n".into()),
        Err(fault) => (StatusCode::SERVICE_UNAVAILABLE, format!("not ready for writes: {fault}\n")),
    }
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format 0.0.4", body = String, content_type = "text/plain")))]
pub async fn metrics_text(AxumState(state): AxumState<Shared>) -> Response {
    let text = metrics::render(&state);
    ([(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"))], text)
        .into_response()
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "operations",
    responses((status = 200, description = "the OpenAPI 3.1 document", body = Object)))]
pub async fn openapi_json() -> Response {
    json(&crate::service::openapi::document())
}

/// Appends a batch of events, all or nothing; answers once the batch is durable.
#[utoipa::path(post, path = "/api/v1/events", tag = "events",
    request_body(description = "a JSON array of events, or NDJSON with Content-Type application/x-ndjson", content(
        (Vec<Object> = "application/json"), (String = "application/x-ndjson"))),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "durable", body = AppendBody),
        (status = 400, description = "malformed events", body = ProblemBody, content_type = "application/problem+json"),
        (status = 401, description = "no bearer token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "wrong token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "conflicts with the log", body = ProblemBody, content_type = "application/problem+json"),
        (status = 413, description = "body over 8 MiB", body = ProblemBody, content_type = "application/problem+json"),
        (status = 415, description = "unsupported content type", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "breaks a rule", body = ProblemBody, content_type = "application/problem+json"),
        (status = 503, description = "not stored: the data directory is read-only or fails (Retry-After)", body = ProblemBody, content_type = "application/problem+json"),
        (status = 507, description = "not stored: the disk is full or below the reserve (Retry-After)", body = ProblemBody, content_type = "application/problem+json")))]
pub async fn append_events(AxumState(state): AxumState<Shared>, headers: HeaderMap, body: Body) -> Answer {
    if let Err(refused) = authorize(&[state.config.token.as_ref()], &headers, "the token is not the write token") {
        // Read the body the client is still sending, so that it receives the answer and not a reset connection.
        let _ = read_limited(body, false).await;
        return Err(refused);
    }
    let bytes = read_limited(body, true).await?;
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("application/json");
    let media = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let ndjson = match media.as_str() {
        "application/x-ndjson" | "application/ndjson" => true,
        "application/json" => false,
        other => {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("content type {}: send application/json (an array) or application/x-ndjson", echo(other)),
            ));
        }
    };
    // Parsing a body of up to 8 MiB is work for the blocking pool, not for the threads that serve requests.
    let checker = state.log.clone();
    let (judged, lines) =
        tokio::task::spawn_blocking(move || judge_body(&bytes, ndjson, &checker)).await.map_err(internal)??;
    let line_of = |index: usize| lines.get(index).copied();
    let (events, _) = judged.map_err(|rejection| Problem::rejected(rejection, line_of))?;
    let count = events.len();
    let log = state.log.clone();
    let started = Instant::now();
    // The handler keeps the batch to fold its new events in afterwards without reading them back from the log.
    let sent = events.clone();
    let result = tokio::task::spawn_blocking(move || log.append(sent)).await.map_err(internal)?;
    state.metrics.append_seconds.observe(started.elapsed().as_secs_f64());
    let receipt = match result {
        Ok(receipt) => receipt,
        Err(AppendError::Rejected(violations)) => return Err(Problem::rejected(Rejection::of(violations), line_of)),
        Err(e @ (AppendError::Closed | AppendError::ReadOnly)) => {
            return Err(Problem::new(StatusCode::SERVICE_UNAVAILABLE, e.to_string()));
        }
        Err(AppendError::Storage(fault)) => {
            state.metrics.append_errors.with_label_values(&[fault.kind.as_str()]).inc();
            return Err(Problem::unstored(&fault));
        }
    };
    state.metrics.events_appended.inc_by(receipt.appended as u64);
    // Fold the new entries in before answering, so that a client reads its own writes after the 200.
    let catcher = Arc::clone(&state);
    let folded = receipt.clone();
    tokio::task::spawn_blocking(move || catcher.fold_appended(&folded, &events))
        .await
        .map_err(internal)?
        .map_err(internal)?;
    state.note_appended();
    tracing::debug!(events = count, appended = receipt.appended, "batch appended");
    Ok(json(&AppendBody {
        appended: receipt.appended,
        duplicates: receipt.duplicates,
        first_position: receipt.first_position,
        last_position: receipt.last_position,
        digest: hex::encode(receipt.digest),
    }))
}

/// How much of an oversized body is read and thrown away before answering 413, so that a client still sending
/// receives the answer instead of a reset connection; past this the connection is simply closed.
const DRAIN_BYTES: usize = 4 * MAX_BODY_BYTES;

/// Reads the body up to [`MAX_BODY_BYTES`] (keeping it if `keep`); over that, drains (without keeping) up to
/// [`DRAIN_BYTES`] and answers 413.
async fn read_limited(mut body: Body, keep: bool) -> Result<Vec<u8>, Problem> {
    use axum::body::HttpBody as _;
    let mut kept = Vec::new();
    let mut seen = 0usize;
    loop {
        let frame = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await;
        match frame {
            None => break,
            Some(Err(e)) => return Err(Problem::new(StatusCode::BAD_REQUEST, format!("cannot read the body: {e}"))),
            Some(Ok(frame)) => {
                let Some(data) = frame.data_ref() else { continue };
                seen += data.len();
                if seen <= MAX_BODY_BYTES && keep {
                    kept.extend_from_slice(data);
                } else if seen > DRAIN_BYTES {
                    break;
                }
            }
        }
    }
    if seen > MAX_BODY_BYTES {
        return Err(Problem::new(StatusCode::PAYLOAD_TOO_LARGE, format!("the body is over {MAX_BODY_BYTES} bytes")));
    }
    Ok(kept)
}

/// Parses a body (an NDJSON text, or a JSON array) and judges it by the one batch policy ([`judge_batch`]); also
/// returns the NDJSON line of each event (none for an array). Blocking: a dry run reads the log.
fn judge_body(bytes: &[u8], ndjson: bool, log: &Log) -> Result<(Judged, Vec<usize>), Problem> {
    let dry_run = |events: &[Event]| log.check(events).map_err(internal);
    if bytes.starts_with("\u{feff}".as_bytes()) && !ndjson {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "the body starts with a byte order mark (U+FEFF): send UTF-8 without BOM",
        ));
    }
    if !ndjson {
        let items: Vec<&serde_json::value::RawValue> = serde_json::from_slice(bytes).map_err(|e| {
            Problem::new(StatusCode::BAD_REQUEST, format!("the body is not a JSON array of events: {e}"))
        })?;
        let judged = judge_batch(items.iter().map(|raw| parse_event(raw.get())), false, dry_run)?;
        return Ok((judged, Vec::new()));
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|e| Problem::new(StatusCode::BAD_REQUEST, format!("the body is not UTF-8: {e}")))?;
    // Line numbers count blank lines too, as an editor does; indexes count events only.
    let events = text.lines().enumerate().filter(|(_, line)| !is_blank_line(line));
    let lines: Vec<usize> = events.clone().map(|(i, _)| i + 1).collect();
    let judged = judge_batch(events.map(|(_, line)| parse_event(line)), false, dry_run)?;
    Ok((judged, lines))
}

/// The log in order from a position, with each entry's metadata: a catch-up feed for replicas.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(
    ("from" = Option<u64>, Query, description = "first position, default 1"),
    ("limit" = Option<usize>, Query, minimum = 1, maximum = 10000, description = "at most this many entries, default 1000, at most 10000")),
    security(("bearer" = [])),
    responses((status = 200, description = "entries in log order", body = EventsPage),
              (status = 400, description = "bad parameter", body = ProblemBody, content_type = "application/problem+json"),
              (status = 401, description = "no bearer token", body = ProblemBody, content_type = "application/problem+json"),
              (status = 403, description = "neither the read nor the write token", body = ProblemBody, content_type = "application/problem+json")))]
pub async fn list_events(
    AxumState(state): AxumState<Shared>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Answer {
    // The raw feed holds every appointment id and time: it is for replicas and backups, not for anyone on the port.
    let tokens = [state.config.token.as_ref(), state.config.read_token.as_ref()];
    authorize(&tokens, &headers, "the token is neither the read nor the write token")?;
    let params = Params::new(query, &["from", "limit"])?;
    let from = params.number("from")?.unwrap_or(1).max(1);
    let limit = match params.number("limit")? {
        None => DEFAULT_EVENTS_LIMIT,
        Some(n) if (1..=MAX_EVENTS_LIMIT as u64).contains(&n) => n as usize,
        Some(n) => return Err(Problem::bad_parameter("limit", format!("limit={n} is not in 1..={MAX_EVENTS_LIMIT}"))),
    };
    let log = state.log.clone();
    let page = tokio::task::spawn_blocking(move || -> Result<EventsPage, Problem> {
        let head = log.head();
        let mut entries = Vec::new();
        for entry in log.scan(from).take(limit) {
            let entry = entry.map_err(internal)?;
            let event = serde_json::from_str(&to_json_line(&entry.event)).map_err(internal)?;
            entries.push(EntryBody {
                position: entry.position,
                recorded_at: entry.recorded_at,
                digest: hex::encode(entry.digest),
                event,
            });
        }
        let next_from = entries.last().map_or(from, |e| e.position + 1);
        Ok(EventsPage {
            head: HeadBody { position: head.position, digest: hex::encode(head.digest) },
            next_from,
            entries,
        })
    })
    .await
    .map_err(internal)??;
    Ok(json(&page))
}

/// One row of figures per day, the rows of `wartezeit series` with the same keys.
#[utoipa::path(get, path = "/api/v1/series", tag = "figures", params(
    ("office" = Option<String>, Query, pattern = r"^[a-z0-9][a-z0-9_-]{0,63}$", description = "may be left out when the log has one office"),
    ("from" = NaiveDate, Query, description = "first day"), ("to" = NaiveDate, Query, description = "last day, inclusive; at most 36,600 days from `from`"),
    ("known_at" = Option<u64>, Query, description = "use only the log up to this position")),
    responses((status = 200, description = "one row per day", body = Vec<crate::read::SeriesRow>),
              (status = 400, description = "bad parameter", body = ProblemBody, content_type = "application/problem+json"),
              (status = 404, description = "unknown office", body = ProblemBody, content_type = "application/problem+json")))]
pub async fn series(
    AxumState(state): AxumState<Shared>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Answer {
    let params = Params::new(query, &["office", "from", "to", "known_at"])?;
    let office = params.office()?;
    let (from, to) = params.required_period(MAX_PERIOD_DAYS)?;
    with_projection(&state, params.number("known_at")?, move |p, _| {
        Ok(json(&read::series(p, office.as_ref(), from, to)?))
    })
    .await
}

/// The headline figures of one day, with the change against seven days earlier.
#[utoipa::path(get, path = "/api/v1/summary", tag = "figures", params(
    ("office" = Option<String>, Query, pattern = r"^[a-z0-9][a-z0-9_-]{0,63}$", description = "may be left out when the log has one office"),
    ("as_of" = Option<NaiveDate>, Query, description = "the day; default today"),
    ("known_at" = Option<u64>, Query, description = "use only the log up to this position")),
    responses((status = 200, description = "the summary", body = crate::projection::Summary),
              (status = 400, description = "bad parameter", body = ProblemBody, content_type = "application/problem+json"),
              (status = 404, description = "unknown office, or a log without offices", body = ProblemBody, content_type = "application/problem+json")))]
pub async fn summary(
    AxumState(state): AxumState<Shared>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Answer {
    let params = Params::new(query, &["office", "as_of", "known_at"])?;
    let office = params.office()?;
    let as_of = params.date("as_of")?.unwrap_or_else(|| state.today());
    with_projection(&state, params.number("known_at")?, move |p, _| {
        let office = resolve_office(p, office)?;
        Ok(json(&p.summary(&office, as_of)))
    })
    .await
}

/// Capacity lost to closures and holidays, per cause and per named period.
#[utoipa::path(get, path = "/api/v1/attribution", tag = "figures", params(
    ("office" = Option<String>, Query, pattern = r"^[a-z0-9][a-z0-9_-]{0,63}$", description = "may be left out when the log has one office"),
    ("from" = NaiveDate, Query, description = "first day"), ("to" = NaiveDate, Query, description = "last day, inclusive; at most 36,600 days from `from`"),
    ("known_at" = Option<u64>, Query, description = "use only the log up to this position")),
    responses((status = 200, description = "lost capacity", body = crate::projection::Attribution),
              (status = 400, description = "bad parameter", body = ProblemBody, content_type = "application/problem+json"),
              (status = 404, description = "unknown office, or a log without offices", body = ProblemBody, content_type = "application/problem+json")))]
pub async fn attribution(
    AxumState(state): AxumState<Shared>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Answer {
    let params = Params::new(query, &["office", "from", "to", "known_at"])?;
    let office = params.office()?;
    let (from, to) = params.required_period(MAX_PERIOD_DAYS)?;
    with_projection(&state, params.number("known_at")?, move |p, _| {
        Ok(json(&read::attribution(p, office.as_ref(), from, to)?))
    })
    .await
}

/// The press statement of a day, with its provenance.
#[utoipa::path(get, path = "/api/v1/press-statement", tag = "figures", params(
    ("office" = Option<String>, Query, pattern = r"^[a-z0-9][a-z0-9_-]{0,63}$", description = "may be left out when the log has one office"),
    ("as_of" = Option<NaiveDate>, Query, description = "the day; default today"),
    ("lang" = Option<String>, Query, pattern = "^(de|en)$", description = "de (default) or en"),
    ("format" = Option<String>, Query, pattern = "^(json|text|markdown)$", description = "json (default), text or markdown"),
    ("known_at" = Option<u64>, Query, description = "use only the log up to this position")),
    responses((status = 200, description = "the statement, by format=", content(
        (crate::press::Statement = "application/json"), (String = "text/plain"), (String = "text/markdown"))),
              (status = 400, description = "bad parameter", body = ProblemBody, content_type = "application/problem+json"),
              (status = 404, description = "unknown office, or a log without offices", body = ProblemBody, content_type = "application/problem+json")))]
pub async fn press_statement(
    AxumState(state): AxumState<Shared>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Answer {
    let params = Params::new(query, &["office", "as_of", "lang", "format", "known_at"])?;
    let office = params.office()?;
    let as_of = params.date("as_of")?.unwrap_or_else(|| state.today());
    let lang = params.parse("lang", "a language (de or en)", |s| s.parse::<Lang>().ok())?.unwrap_or(Lang::De);
    let format = params.parse("format", "a format (json, text, markdown)", Format::parse)?.unwrap_or(Format::Json);
    let answer = move |statement: press::Statement| match format {
        Format::Json => json(&statement),
        Format::Text => text("text/plain; charset=utf-8", press::render(&statement, format)),
        Format::Markdown => text("text/markdown; charset=utf-8", press::render(&statement, format)),
    };
    let known_at = params.number("known_at")?;
    if known_at.is_some_and(|p| p != state.read().projection.position()) {
        // An earlier position is built on the blocking pool anyway; its forecast is made there too.
        return with_projection(&state, known_at, move |p, provenance| {
            let office = resolve_office(p, office)?;
            let outlook = press::forecast_outlook(p, &office, as_of, lang);
            Ok(answer(press::compose(p, &office, as_of, lang, provenance, outlook)))
        })
        .await;
    }
    let pick = |p: &Projection| resolve_office(p, office.clone()).map(Some);
    crate::service::forecast::with_forecast(&state, as_of, pick, |p, provenance, forecast| {
        let office = resolve_office(p, office.clone())?;
        let outlook = forecast.and_then(|m| press::words::outlook(&m.forecast, lang));
        Ok(answer(press::compose(p, &office, as_of, lang, provenance, outlook)))
    })
    .await
}

fn text(content_type: &'static str, body: String) -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static(content_type))], body).into_response()
}

/// The offices in the log, with the dates of their first and last event.
#[utoipa::path(get, path = "/api/v1/offices", tag = "figures",
    responses((status = 200, description = "offices in name order", body = Vec<crate::projection::OfficeInfo>)))]
pub async fn offices(AxumState(state): AxumState<Shared>) -> Answer {
    with_projection(&state, None, |p, _| Ok(json(&p.offices()))).await
}

/// When the wait and the backlog will be back to normal: the Monte Carlo forecast of `wartezeit forecast`.
#[utoipa::path(get, path = "/api/v1/forecast", tag = "figures", params(
    ("office" = Option<String>, Query, pattern = r"^[a-z0-9][a-z0-9_-]{0,63}$", description = "may be left out when the log has one office"),
    ("as_of" = Option<NaiveDate>, Query, description = "the day the forecast is made on; default today"),
    ("target_days" = Option<u32>, Query, description = "the wait that counts as normal, default 7"),
    ("runs" = Option<u32>, Query, minimum = 1, maximum = 10000, description = "simulation runs, 1..=10000, default 2000"),
    ("seed" = Option<u64>, Query, description = "the random seed, default 20200624; the same seed gives the same answer"),
    ("follow_ups" = Option<bool>, Query, description = "book identity document pick-ups from attended applications (default true); false resamples them like any other booking")),
    responses((status = 200, description = "the forecast", body = crate::forecast::Forecast),
              (status = 400, description = "bad parameter", body = ProblemBody, content_type = "application/problem+json"),
              (status = 404, description = "unknown office", body = ProblemBody, content_type = "application/problem+json"),
              (status = 422, description = "nothing to forecast from", body = ProblemBody, content_type = "application/problem+json"),
              (status = 503, description = "every forecast slot taken for 5 s, or still building (Retry-After)", body = ProblemBody, content_type = "application/problem+json")))]
pub async fn forecast(
    AxumState(state): AxumState<Shared>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Answer {
    let params = Params::new(query, &["office", "as_of", "target_days", "runs", "seed", "follow_ups"])?;
    let office = params.office()?;
    let as_of = params.date("as_of")?.unwrap_or_else(|| state.today());
    let (target_days, runs, seed) = (params.number("target_days")?, params.number("runs")?, params.number("seed")?);
    let follow_ups = params.parse("follow_ups", "true or false", |v| v.parse::<bool>().ok())?;
    if !state.is_ready() {
        return Err(Problem::new(StatusCode::SERVICE_UNAVAILABLE, "the projection is still being built"));
    }
    let (key, inputs) = {
        let current = state.read();
        let office = resolve_office(&current.projection, office)?;
        let config = read::forecast_config(&current.projection, target_days, runs, seed, follow_ups)?;
        let position = current.projection.office_position(&office);
        let inputs = read::ForecastInputs::take(&current.projection, &office, as_of, config);
        ((office, as_of, position, config), inputs)
    };
    let made = state.forecasts.make(key, inputs).await?;
    Ok(json(&*made))
}

/// The plans of a request (`plan=` in the one-line form, in order), or the service's saved ones when it names none;
/// a bad one is a 400 naming the plan and the field.
pub(super) fn plans_of(state: &Shared, lines: &[String]) -> Result<Vec<crate::forecast::plan::Plan>, Problem> {
    use crate::forecast::plan::file::parse_line;
    if lines.is_empty() {
        return Ok(state.config.plans.clone());
    }
    let mut plans = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let plan = parse_line(line).map_err(|e| Problem::bad_parameter("plan", format!("plan[{i}] {line:?}: {e}")))?;
        plans.push(plan);
    }
    crate::forecast::whatif::check_plans(&plans).map_err(|e| Problem::bad_parameter("plan", format!("plan: {e}")))?;
    Ok(plans)
}

/// Runs `f` on the blocking pool, one forecast slot taken, the runs over every core.
async fn with_turn<T: Send + 'static>(
    state: &Shared,
    f: impl FnOnce(usize) -> Result<T, crate::read::ReadError> + Send + 'static,
) -> Result<T, Problem> {
    let _turn = state.forecasts.turn().await?;
    tokio::task::spawn_blocking(move || {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        f(threads).map_err(Problem::from)
    })
    .await
    .map_err(internal)?
}

/// The forecast inputs of a question: the office, its day and the forecast parameters of the query.
fn forecast_inputs(state: &Shared, params: &Params) -> Result<read::ForecastInputs, Problem> {
    let office = params.office()?;
    let as_of = params.date("as_of")?.unwrap_or_else(|| state.today());
    let (target_days, runs, seed) = (params.number("target_days")?, params.number("runs")?, params.number("seed")?);
    let follow_ups = params.parse("follow_ups", "true or false", |v| v.parse::<bool>().ok())?;
    if !state.is_ready() {
        return Err(Problem::new(StatusCode::SERVICE_UNAVAILABLE, "the projection is still being built"));
    }
    let current = state.read();
    let office = resolve_office(&current.projection, office)?;
    let config = read::forecast_config(&current.projection, target_days, runs, seed, follow_ups)?;
    Ok(read::ForecastInputs::take(&current.projection, &office, as_of, config))
}

/// What-if plans beside the baseline, all with the same seed: the `wartezeit whatif` of the service.
#[utoipa::path(get, path = "/api/v1/whatif", tag = "figures", params(
    ("office" = Option<String>, Query, pattern = r"^[a-z0-9][a-z0-9_-]{0,63}$", description = "may be left out when the log has one office"),
    ("as_of" = Option<NaiveDate>, Query, description = "the day the forecasts are made on; default today"),
    ("plan" = Option<Vec<String>>, Query, explode = true, description = "a plan in one line, `NAME: CHANGE; CHANGE …` (e.g. `Mehr Termine: slots 2 from 2020-07-13`), repeatable, at most 8; none: the plans the service was started with (`serve --plan-file`)"),
    ("target_days" = Option<u32>, Query, description = "the wait that counts as normal, default 7"),
    ("runs" = Option<u32>, Query, minimum = 1, maximum = 10000, description = "simulation runs per plan, 1..=10000, default 2000"),
    ("seed" = Option<u64>, Query, description = "the random seed, default 20200624; every plan runs with it"),
    ("follow_ups" = Option<bool>, Query, description = "book identity document pick-ups from attended applications (default true)")),
    responses((status = 200, description = "the baseline and each plan", body = crate::forecast::whatif::Comparison),
              (status = 400, description = "bad parameter or plan (the detail names the plan, the field and why)", body = ProblemBody, content_type = "application/problem+json"),
              (status = 404, description = "unknown office", body = ProblemBody, content_type = "application/problem+json"),
              (status = 422, description = "nothing to forecast from", body = ProblemBody, content_type = "application/problem+json"),
              (status = 503, description = "every forecast slot taken for 5 s, or still building (Retry-After)", body = ProblemBody, content_type = "application/problem+json")))]
pub async fn whatif(
    AxumState(state): AxumState<Shared>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Answer {
    let allowed = ["office", "as_of", "plan", "target_days", "runs", "seed", "follow_ups"];
    let (params, lines) = Params::with_plans(query, &allowed)?;
    let plans = plans_of(&state, &lines)?;
    if plans.is_empty() {
        return Err(Problem::bad_parameter(
            "plan",
            "no plan to compare: give plan=NAME: CHANGE; … (the service was started without --plan-file)",
        ));
    }
    let inputs = forecast_inputs(&state, &params)?;
    let made = with_turn(&state, move |threads| inputs.compare(&plans, threads)).await?;
    Ok(json(&made))
}

/// The smallest number of extra slots per open day from `from` that brings the wait to the target by `by` with the
/// probability asked: the `wartezeit capacity-needed` of the service.
#[utoipa::path(get, path = "/api/v1/capacity-needed", tag = "figures", params(
    ("office" = Option<String>, Query, pattern = r"^[a-z0-9][a-z0-9_-]{0,63}$", description = "may be left out when the log has one office"),
    ("as_of" = Option<NaiveDate>, Query, description = "the day the forecast is made on; default today"),
    ("by" = NaiveDate, Query, description = "T: the day by which the wait is to be at or below the target"),
    ("from" = Option<NaiveDate>, Query, description = "E: the first day with the extra slots; default the day after as_of"),
    ("probability" = Option<f64>, Query, description = "the share of runs that must get there by T, strictly between 0 and 1; default 0.85"),
    ("limit" = Option<u32>, Query, minimum = 1, maximum = 2000, description = "the most extra slots per open day considered, default 100"),
    ("plan" = Option<String>, Query, description = "a plan in one line the extra slots come on top of; default the plans known at as_of"),
    ("target_days" = Option<u32>, Query, description = "the wait that counts as normal, default 7"),
    ("runs" = Option<u32>, Query, minimum = 1, maximum = 10000, description = "simulation runs per number tried, 1..=10000, default 2000"),
    ("seed" = Option<u64>, Query, description = "the random seed, default 20200624; every number tried runs with it"),
    ("follow_ups" = Option<bool>, Query, description = "book identity document pick-ups from attended applications (default true)")),
    responses((status = 200, description = "the answer with its uncertainty and every number tried", body = crate::forecast::whatif::CapacityNeeded),
              (status = 400, description = "bad parameter or plan (the detail names the field and why)", body = ProblemBody, content_type = "application/problem+json"),
              (status = 404, description = "unknown office", body = ProblemBody, content_type = "application/problem+json"),
              (status = 422, description = "nothing to forecast from", body = ProblemBody, content_type = "application/problem+json"),
              (status = 503, description = "every forecast slot taken for 5 s, or still building (Retry-After)", body = ProblemBody, content_type = "application/problem+json")))]
pub async fn capacity_needed(
    AxumState(state): AxumState<Shared>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Answer {
    use crate::forecast::whatif::{DEFAULT_LIMIT, DEFAULT_PROBABILITY, MAX_LIMIT, NeedQuestion};
    let allowed =
        ["office", "as_of", "by", "from", "probability", "limit", "plan", "target_days", "runs", "seed", "follow_ups"];
    let (params, lines) = Params::with_plans(query, &allowed)?;
    if lines.len() > 1 {
        return Err(Problem::bad_parameter(
            "plan",
            format!("{} plans: the extra slots come on top of one at most", lines.len()),
        ));
    }
    let plan = match lines.first() {
        Some(line) => crate::forecast::plan::file::parse_line(line)
            .map_err(|e| Problem::bad_parameter("plan", format!("plan {line:?}: {e}")))?,
        None => crate::forecast::plan::Plan::baseline(),
    };
    let by = params.required_date("by")?;
    let probability = params.share("probability")?.unwrap_or(DEFAULT_PROBABILITY);
    let limit = match params.number("limit")? {
        None => DEFAULT_LIMIT,
        Some(l) if (1..=u64::from(MAX_LIMIT)).contains(&l) => l as u32,
        Some(l) => return Err(Problem::bad_parameter("limit", format!("limit={l} is out of range 1..={MAX_LIMIT}"))),
    };
    let from = params.date("from")?;
    let inputs = forecast_inputs(&state, &params)?;
    let as_of = inputs.snapshot.as_of;
    let from = from.unwrap_or_else(|| as_of.succ_opt().unwrap_or(as_of));
    let question = NeedQuestion { from, by, probability, limit };
    question.check(as_of, &inputs.config).map_err(|e| Problem::bad_parameter(&e.field, e.to_string()))?;
    let made = with_turn(&state, move |threads| inputs.needed(&plan, &question, threads)).await?;
    Ok(json(&made))
}
