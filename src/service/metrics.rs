//! Prometheus metrics: the service's own (one `Registry` per app, never the global default) and the business
//! figures, computed at scrape time from the committed projection.
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

use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State as AxumState};
use axum::middleware::Next;
use axum::response::Response;
use chrono::NaiveDate;
use prometheus::{Encoder as _, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts};
use prometheus::{IntGaugeVec, Registry, TextEncoder};

use crate::domain::id::OfficeId;
use crate::service::state::State;

const SECONDS_PER_DAY: f64 = 86_400.0;

/// The service's own metrics, in a registry of their own.
pub struct Metrics {
    registry: Registry,
    pub events_appended: IntCounter,
    pub append_seconds: Histogram,
    pub http_requests: IntCounterVec,
    pub http_seconds: HistogramVec,
    log_position: IntGauge,
    projection_position: IntGauge,
    projection_lag: IntGauge,
    totals: Mutex<Option<Totals>>,
}

/// The cumulative counts of every office, as of one projection position and day.
#[derive(Clone)]
struct Totals {
    position: u64,
    today: NaiveDate,
    offices: Vec<(OfficeId, [u64; 5])>,
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
        let http_requests = IntCounterVec::new(
            Opts::new("wartezeit_http_requests_total", "HTTP requests answered, by route template, method and status."),
            &["route", "method", "status"],
        )?;
        let http_seconds = HistogramVec::new(
            HistogramOpts::new("wartezeit_http_request_duration_seconds", "HTTP request latency by route template.")
                .buckets(latency_buckets),
            &["route", "method"],
        )?;
        let log_position = IntGauge::new("wartezeit_log_position", "Position of the last durable entry of the log.")?;
        let projection_position =
            IntGauge::new("wartezeit_projection_position", "Position of the last entry folded into the projection.")?;
        let projection_lag = IntGauge::new(
            "wartezeit_projection_lag_events",
            "Durable entries not yet folded into the projection (log position minus projection position).",
        )?;
        let build_info = IntGaugeVec::new(
            Opts::new("wartezeit_build_info", "Always 1; the labels name the running build."),
            &["version"],
        )?;
        build_info.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
        registry.register(Box::new(events_appended.clone()))?;
        registry.register(Box::new(append_seconds.clone()))?;
        registry.register(Box::new(http_requests.clone()))?;
        registry.register(Box::new(http_seconds.clone()))?;
        registry.register(Box::new(log_position.clone()))?;
        registry.register(Box::new(projection_position.clone()))?;
        registry.register(Box::new(projection_lag.clone()))?;
        registry.register(Box::new(build_info))?;
        #[cfg(target_os = "linux")]
        registry.register(Box::new(prometheus::process_collector::ProcessCollector::for_self()))?;
        Ok(Metrics {
            registry,
            events_appended,
            append_seconds,
            http_requests,
            http_seconds,
            log_position,
            projection_position,
            projection_lag,
            totals: Mutex::new(None),
        })
    }
}

/// The `/metrics` text: the registry's metrics, then the business figures of every office as of today.
pub fn render(state: &State) -> String {
    let metrics = &state.metrics;
    let head = state.log.head().position;
    let today = state.today();
    let mut business = String::new();
    let position = {
        let current = state.read();
        let projection = &current.projection;
        let position = projection.position();
        let totals = totals(metrics, projection, position, today);
        write_business(&mut business, projection, today, &totals);
        position
    };
    metrics.log_position.set(head as i64);
    metrics.projection_position.set(position as i64);
    metrics.projection_lag.set(head.saturating_sub(position) as i64);
    let mut out = Vec::new();
    // Encoding into a Vec cannot fail for well-formed families, which the registry guarantees.
    let _ = TextEncoder::new().encode(&metrics.registry.gather(), &mut out);
    let mut text = String::from_utf8(out).unwrap_or_default();
    text.push_str(&business);
    text
}

/// The cumulative counts, from the cache when the projection and the day are unchanged.
fn totals(metrics: &Metrics, projection: &crate::projection::Projection, position: u64, today: NaiveDate) -> Totals {
    let mut cache = metrics.totals.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(t) = cache.as_ref().filter(|t| t.position == position && t.today == today) {
        return t.clone();
    }
    let offices = projection
        .offices()
        .into_iter()
        .map(|info| {
            let mut sums = [0u64; 5];
            if info.first_event_date <= today {
                for row in projection.series(&info.office, info.first_event_date, today) {
                    let counts =
                        [row.bookings, row.served_appointments, row.served_walk_in, row.cancellations, row.no_shows];
                    for (sum, n) in sums.iter_mut().zip(counts) {
                        *sum += u64::from(n);
                    }
                }
            }
            (info.office, sums)
        })
        .collect();
    let totals = Totals { position, today, offices };
    *cache = Some(totals.clone());
    totals
}

/// One metric family in the text format, written by hand because its values are computed at scrape time.
struct Family {
    name: &'static str,
    help: &'static str,
    kind: &'static str,
    samples: Vec<(Vec<(&'static str, String)>, f64)>,
}

impl Family {
    fn gauge(name: &'static str, help: &'static str) -> Self {
        Family { name, help, kind: "gauge", samples: Vec::new() }
    }

    fn counter(name: &'static str, help: &'static str) -> Self {
        Family { name, help, kind: "counter", samples: Vec::new() }
    }

    fn write(&self, out: &mut String) {
        let _ = writeln!(out, "# HELP {} {}", self.name, self.help);
        let _ = writeln!(out, "# TYPE {} {}", self.name, self.kind);
        for (labels, value) in &self.samples {
            out.push_str(self.name);
            if !labels.is_empty() {
                out.push('{');
                for (i, (k, v)) in labels.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "{k}=\"{}\"", escape(v));
                }
                out.push('}');
            }
            let _ = writeln!(out, " {value}");
        }
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn write_business(out: &mut String, projection: &crate::projection::Projection, today: NaiveDate, totals: &Totals) {
    let mut backlog = Family::gauge(
        "wartezeit_backlog_appointments",
        "Appointments booked and not yet cancelled, attended or missed.",
    );
    let mut by_service = Family::gauge(
        "wartezeit_backlog_by_service_appointments",
        "The backlog per service (services with none left out).",
    );
    let mut displaced = Family::gauge(
        "wartezeit_displaced_appointments",
        "Backlog appointments whose slot lies on a day with capacity 0.",
    );
    let mut next = Family::gauge(
        "wartezeit_next_available_wait_seconds",
        "Days until the first day with a free slot, times 86400; absent when none within the horizon.",
    );
    let mut third = Family::gauge(
        "wartezeit_third_next_available_wait_seconds",
        "Days until three free slots have come up, times 86400; absent when not within the horizon.",
    );
    let mut p50 = Family::gauge(
        "wartezeit_realized_wait_7d_p50_seconds",
        "Nearest-rank median of the waits booked over the last 7 days, times 86400; absent without bookings.",
    );
    let mut p90 = Family::gauge(
        "wartezeit_realized_wait_7d_p90_seconds",
        "Nearest-rank 90th percentile of the waits booked over the last 7 days, times 86400; absent without bookings.",
    );
    let mut capacity =
        Family::gauge("wartezeit_capacity_today_slots", "Slots the plan gives today after closures and holidays.");
    let mut booked = Family::gauge("wartezeit_booked_today_slots", "Slots booked today.");
    let mut free =
        Family::gauge("wartezeit_free_slots_next_28_days", "Free slots over the next 28 days (tomorrow on).");
    let mut closed = Family::gauge("wartezeit_office_closed_today", "1 when the office has capacity 0 today, else 0.");
    let mut counters = [
        Family::counter("wartezeit_bookings_total", "Appointments booked, up to and including today."),
        Family::counter("wartezeit_served_appointments_total", "Appointments attended, up to and including today."),
        Family::counter("wartezeit_walk_ins_served_total", "Walk-ins served, up to and including today."),
        Family::counter("wartezeit_cancellations_total", "Appointments cancelled, up to and including today."),
        Family::counter("wartezeit_no_shows_total", "Appointments missed, up to and including today."),
    ];
    for info in projection.offices() {
        let office = info.office.to_string();
        let l = || vec![("office", office.clone())];
        let row = projection.row(&info.office, today);
        backlog.samples.push((l(), f64::from(row.backlog)));
        for (service, n) in &row.backlog_by_service {
            by_service
                .samples
                .push((vec![("office", office.clone()), ("service", service.to_string())], f64::from(*n)));
        }
        displaced.samples.push((l(), f64::from(row.displaced)));
        let seconds = |days: Option<u32>| days.map(|d| f64::from(d) * SECONDS_PER_DAY);
        if let Some(s) = seconds(row.next_available_days) {
            next.samples.push((l(), s));
        }
        if let Some(s) = seconds(row.third_next_available_days) {
            third.samples.push((l(), s));
        }
        let (q50, q90) = projection.pooled_realized_wait(&info.office, today, 7);
        if let Some(s) = seconds(q50) {
            p50.samples.push((l(), s));
        }
        if let Some(s) = seconds(q90) {
            p90.samples.push((l(), s));
        }
        capacity.samples.push((l(), f64::from(row.capacity)));
        booked.samples.push((l(), f64::from(row.booked)));
        let snapshot = projection.snapshot(&info.office, today, 28);
        let free_slots: u64 =
            snapshot.capacity.iter().zip(&snapshot.booked).map(|(c, b)| u64::from(c.saturating_sub(*b))).sum();
        free.samples.push((l(), free_slots as f64));
        closed.samples.push((l(), if row.capacity == 0 { 1.0 } else { 0.0 }));
        if let Some((_, sums)) = totals.offices.iter().find(|(o, _)| *o == info.office) {
            for (family, sum) in counters.iter_mut().zip(sums) {
                family.samples.push((l(), *sum as f64));
            }
        }
    }
    for family in [backlog, by_service, displaced, next, third, p50, p90, capacity, booked, free, closed] {
        family.write(out);
    }
    for family in &counters {
        family.write(out);
    }
}

/// Axum middleware: counts every request by route template (`unmatched` for 404s) and status, and times it.
pub async fn track(AxumState(state): AxumState<std::sync::Arc<State>>, request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_owned();
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let metrics = &state.metrics;
    metrics.http_seconds.with_label_values(&[&route, &method]).observe(started.elapsed().as_secs_f64());
    metrics.http_requests.with_label_values(&[&route, &method, response.status().as_str()]).inc();
    response
}
