//! Prometheus metrics: the service's own (one `Registry` per app, never the global default) and the business
//! figures, computed at scrape time from the committed projection. The business families (names, help, units,
//! samples) are defined once in [`crate::exposition`], which the OpenMetrics history export shares.
//!
//! Scrape cost does not grow with the log: the per-office gauges read a few rows of the projection, and the
//! `_total` counters are sums of daily rows (one per day since the office's first event), cached per projection
//! position and day, so a scrape with an unchanged log only formats numbers.
//!
//! Decisions where the issue is silent (also in the README):
//! - A wait that is null in the API (no free slot within H days, or no bookings in the last seven days) has no
//!   sample in `/metrics`, rather than NaN: absent series make `absent()` alerts work and keep NaN out of
//!   `max`/`avg` aggregations.
//! - "Closed today" means capacity 0 today (a weekend, a holiday or a closure).
//! - The `_total` counters count events with business date ≤ today, by office; they are counters because appends
//!   only ever add to them and "today" only moves forward.
//! - Channel is not a label: the daily rows do not split figures by channel.

use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State as AxumState};
use axum::middleware::Next;
use axum::response::Response;
use chrono::NaiveDate;
use prometheus::{Encoder as _, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts};
use prometheus::{IntGaugeVec, Registry, TextEncoder};

use crate::exposition::{self, Counts};
use crate::service::state::State;

/// The service's own metrics, in a registry of their own.
pub struct Metrics {
    registry: Registry,
    pub events_appended: IntCounter,
    pub append_seconds: Histogram,
    /// Batches the store could not write, by fault `kind` (`full`, `read_only`, `io`).
    pub append_errors: IntCounterVec,
    /// 1 while the store takes writes, 0 while a storage fault stops appends.
    log_writable: IntGauge,
    /// 1 once the rule state and the id index are loaded (appends wait until then after a start).
    log_rules_loaded: IntGauge,
    pub http_requests: IntCounterVec,
    pub http_seconds: HistogramVec,
    /// Forecasts the page, the press statement and the forecast chart asked for, by `cache` = `hit` or `miss`.
    pub forecasts: IntCounterVec,
    /// Time to make one forecast (a cache miss), outside the projection lock.
    pub forecast_seconds: Histogram,
    log_position: IntGauge,
    /// Forecasts being computed now (at most `service::forecast::CONCURRENT`).
    forecasts_running: IntGauge,
    projection_position: IntGauge,
    projection_lag: IntGauge,
    /// The log position of the newest projection checkpoint (0 for none).
    pub checkpoint_position: IntGauge,
    /// Checkpoints that could not be written (the service goes on; a restart folds more of the log).
    pub checkpoint_failures: IntCounter,
    /// Time to make one checkpoint: open the newest, fold the events after it, write.
    pub checkpoint_seconds: Histogram,
    /// The business figures' text as of one projection position and day: they change with neither between appends,
    /// and computing them can be dear (the free slots ahead need the calendar as known today, which means rewinding
    /// the events dated after today), so a scrape between two appends costs a copy.
    business: Mutex<Option<Business>>,
}

/// The business figures of every office as of one projection position and day, as Prometheus text.
struct Business {
    position: u64,
    today: NaiveDate,
    text: String,
}

impl Metrics {
    /// Registers every service metric, the build info and the process collector in a fresh registry.
    pub fn new() -> prometheus::Result<Metrics> {
        let registry = Registry::new();
        let events_appended =
            IntCounter::new("wartezeit_events_appended_total", "Events appended to the log by this process.")?;
        let latency_buckets =
            vec![0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
        let append_seconds = Histogram::with_opts(
            HistogramOpts::new(
                "wartezeit_append_duration_seconds",
                "Time from handing a batch to the log until it is durable, per batch.",
            )
            .buckets(latency_buckets.clone()),
        )?;
        let append_errors = IntCounterVec::new(
            Opts::new(
                "wartezeit_log_append_errors_total",
                "Batches not stored because the store could not write, by fault kind (full, read_only, io).",
            ),
            &["kind"],
        )?;
        for kind in ["full", "read_only", "io"] {
            append_errors.with_label_values(&[kind]);
        }
        let log_writable = IntGauge::new(
            "wartezeit_log_writable",
            "1 while the store takes writes; 0 while a storage fault (full disk, read-only or failing filesystem) stops \
             appends.",
        )?;
        let log_rules_loaded = IntGauge::new(
            "wartezeit_log_rules_loaded",
            "1 once the rule state and the id index are read from the log after a start; appends wait until then.",
        )?;
        let http_requests = IntCounterVec::new(
            Opts::new("wartezeit_http_requests_total", "HTTP requests answered, by route template, method and status."),
            &["route", "method", "status"],
        )?;
        let http_seconds = HistogramVec::new(
            HistogramOpts::new("wartezeit_http_request_duration_seconds", "HTTP request latency by route template.")
                .buckets(latency_buckets),
            &["route", "method"],
        )?;
        let forecasts = IntCounterVec::new(
            Opts::new(
                "wartezeit_forecasts_total",
                "Default forecasts asked for by the page, the press statement and the forecast chart, by whether the \
                 cache held them (hit) or they were made (miss).",
            ),
            &["cache"],
        )?;
        let forecast_seconds = Histogram::with_opts(
            HistogramOpts::new("wartezeit_forecast_duration_seconds", "Time to make one forecast on a cache miss.")
                .buckets(vec![0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0]),
        )?;
        let forecasts_running = IntGauge::new(
            "wartezeit_forecasts_running",
            "Forecasts being computed now; at most two at a time, further requests wait up to 5 s, then 503.",
        )?;
        let log_position = IntGauge::new("wartezeit_log_position", "Position of the last durable entry of the log.")?;
        let projection_position =
            IntGauge::new("wartezeit_projection_position", "Position of the last entry folded into the projection.")?;
        let projection_lag = IntGauge::new(
            "wartezeit_projection_lag_events",
            "Durable entries not yet folded into the projection (log position minus projection position).",
        )?;
        let checkpoint_position = IntGauge::new(
            "wartezeit_checkpoint_position",
            "Log position of the newest projection checkpoint; a restart folds only the entries after it.",
        )?;
        let checkpoint_failures = IntCounter::new(
            "wartezeit_checkpoint_failures_total",
            "Projection checkpoints that could not be written (the log is not affected).",
        )?;
        let checkpoint_seconds = Histogram::with_opts(
            HistogramOpts::new(
                "wartezeit_checkpoint_duration_seconds",
                "Time to make one projection checkpoint in the background.",
            )
            .buckets(vec![0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0]),
        )?;
        let build_info = IntGaugeVec::new(
            Opts::new("wartezeit_build_info", "Always 1; the labels name the running build."),
            &["version"],
        )?;
        build_info.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
        registry.register(Box::new(events_appended.clone()))?;
        registry.register(Box::new(append_seconds.clone()))?;
        registry.register(Box::new(append_errors.clone()))?;
        registry.register(Box::new(log_writable.clone()))?;
        registry.register(Box::new(log_rules_loaded.clone()))?;
        registry.register(Box::new(http_requests.clone()))?;
        registry.register(Box::new(http_seconds.clone()))?;
        registry.register(Box::new(forecasts.clone()))?;
        registry.register(Box::new(forecast_seconds.clone()))?;
        registry.register(Box::new(log_position.clone()))?;
        registry.register(Box::new(forecasts_running.clone()))?;
        registry.register(Box::new(projection_position.clone()))?;
        registry.register(Box::new(projection_lag.clone()))?;
        registry.register(Box::new(checkpoint_position.clone()))?;
        registry.register(Box::new(checkpoint_failures.clone()))?;
        registry.register(Box::new(checkpoint_seconds.clone()))?;
        registry.register(Box::new(build_info))?;
        #[cfg(target_os = "linux")]
        registry.register(Box::new(prometheus::process_collector::ProcessCollector::for_self()))?;
        Ok(Metrics {
            registry,
            events_appended,
            append_seconds,
            append_errors,
            log_writable,
            log_rules_loaded,
            http_requests,
            http_seconds,
            forecasts,
            forecast_seconds,
            log_position,
            forecasts_running,
            projection_position,
            projection_lag,
            checkpoint_position,
            checkpoint_failures,
            checkpoint_seconds,
            business: Mutex::new(None),
        })
    }
}

/// The `/metrics` text: the registry's metrics, then the business figures of every office as of today.
pub fn render(state: &State) -> String {
    let metrics = &state.metrics;
    let head = state.log.head().position;
    let today = state.today();
    let (position, business) = {
        let current = state.read();
        let projection = &current.projection;
        let position = projection.position();
        let mut cache = metrics.business.lock().unwrap_or_else(|e| e.into_inner());
        match cache.as_ref().filter(|b| b.position == position && b.today == today) {
            Some(b) => (position, b.text.clone()),
            None => {
                let text = business_text(projection, today);
                *cache = Some(Business { position, today, text: text.clone() });
                (position, text)
            }
        }
    };
    metrics.log_position.set(head as i64);
    metrics.forecasts_running.set(state.forecasts.running() as i64);
    metrics.log_writable.set(i64::from(state.log.writable().is_ok()));
    metrics.log_rules_loaded.set(i64::from(state.log.rules_loaded()));
    metrics.projection_position.set(position as i64);
    metrics.projection_lag.set(head.saturating_sub(position) as i64);
    let mut out = Vec::new();
    // Encoding into a Vec cannot fail for well-formed families, which the registry guarantees.
    let _ = TextEncoder::new().encode(&metrics.registry.gather(), &mut out);
    let mut text = String::from_utf8(out).unwrap_or_default();
    text.push_str(&business);
    text
}

/// The business samples of every office as of `today`; names and help texts come from [`crate::exposition`],
/// which the OpenMetrics history export shares.
fn business_text(projection: &crate::projection::Projection, today: NaiveDate) -> String {
    let mut samples = Vec::new();
    for info in projection.offices() {
        let row = projection.row(&info.office, today);
        let counts = Counts::up_to(projection, &info.office, today);
        samples.extend(exposition::samples_of_day(projection, &info.office, &row, &counts));
    }
    exposition::prometheus_text(&samples)
}

/// Axum middleware: counts every request by route template (`unmatched` for 404s) and status, and times it.
pub async fn track(AxumState(state): AxumState<std::sync::Arc<State>>, request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_owned();
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let metrics = &state.metrics;
    let elapsed = started.elapsed();
    metrics.http_seconds.with_label_values(&[&route, &method]).observe(elapsed.as_secs_f64());
    metrics.http_requests.with_label_values(&[&route, &method, response.status().as_str()]).inc();
    // One line per request: the route's pattern, never the path's values or the query (which may carry a token
    // sent by mistake); bytes out where the body's length is known.
    let bytes = axum::body::HttpBody::size_hint(response.body()).exact();
    tracing::info!(
        target: "wartezeit::access",
        method = %method,
        route = %route,
        status = response.status().as_u16(),
        duration_ms = format_args!("{:.1}", elapsed.as_secs_f64() * 1000.0),
        bytes_out = %bytes.map_or_else(|| "-".to_owned(), |n| n.to_string()),
        "request"
    );
    response
}
