//! `GET /api/v1/forecast`: the forecast of one office as of one day, computed on the blocking pool.
//!
//! The projection's read lock is held only to take the calendar snapshot and the rows the forecast needs; the
//! simulation (2,000 runs, spread over the cores, take about 0.2 s) then runs on tokio's blocking pool without any lock, so
//! neither writers nor other readers wait for it. Parameters are bounded so that one request cannot occupy a
//! core for long: at most [`crate::read::MAX_RUNS`] runs, a target wait within the wait horizon.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use chrono::NaiveDate;

use crate::domain::id::OfficeId;
use crate::forecast::plan::Plan;
use crate::forecast::whatif::Comparison;
use crate::forecast::{Forecast, ForecastConfig};
use crate::press::Provenance;
use crate::projection::Projection;
use crate::read::{self, ForecastInputs};
use crate::service::problem::Problem;
use crate::service::routes::internal;
use crate::service::state::State;

/// How many forecasts the service keeps.
const CACHE_ENTRIES: usize = 32;

/// How many forecasts are made at once (each spreads its runs over every core already).
pub const CONCURRENT: usize = 2;
/// How long a request waits for its turn to make a forecast before it is answered 503.
pub const QUEUE_DEADLINE: std::time::Duration = std::time::Duration::from_secs(5);

/// Forecasts already made, and the making of them. A forecast is a pure function of the office, the as-of day,
/// the office's events (named by [`Projection::office_position`]: events of other offices do not change it) and
/// its configuration, so a hit is exact; the oldest go first beyond [`CACHE_ENTRIES`].
///
/// Making one is bounded: at most [`CONCURRENT`] at a time, a request waits at most [`QUEUE_DEADLINE`] for its
/// turn (then 503 with `Retry-After`), and requests for the same forecast while it is being made share the one
/// computation. A client that goes away does not stop a computation that has started (it ends within a second at
/// the most runs allowed), but one that has not started yet is never begun for it.
#[derive(Debug)]
pub struct Cache {
    made: Mutex<VecDeque<(Key, Made)>>,
    /// The forecasts being made in the background, by key without position: one per office, day and
    /// configuration at a time.
    refreshing: Mutex<Vec<Key>>,
    turns: Arc<tokio::sync::Semaphore>,
    in_flight: Mutex<Vec<(Key, Flight)>>,
    /// The what-if comparisons the page showed, by office, day, office position, configuration and plans (their
    /// JSON): a view of the page with saved plans makes them once per state of its office.
    comparisons: Mutex<VecDeque<(String, Arc<Comparison>)>>,
    /// How many forecasts are being computed now.
    running: Arc<std::sync::atomic::AtomicUsize>,
}

pub type Key = (OfficeId, NaiveDate, u64, ForecastConfig);

/// A forecast as a view shows it: the office's log position it was made at, and when.
#[derive(Debug, Clone)]
pub struct Made {
    pub forecast: Arc<Forecast>,
    pub position: u64,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// Whether two keys name the same forecast but for the position.
fn same_but_position(a: &Key, b: &Key) -> bool {
    a.0 == b.0 && a.1 == b.1 && a.3 == b.3
}
type Flight = Arc<tokio::sync::OnceCell<Result<Arc<Forecast>, Problem>>>;

impl Default for Cache {
    fn default() -> Cache {
        Cache {
            made: Mutex::default(),
            refreshing: Mutex::default(),
            turns: Arc::new(tokio::sync::Semaphore::new(CONCURRENT)),
            in_flight: Mutex::default(),
            comparisons: Mutex::default(),
            running: Arc::default(),
        }
    }
}

impl Cache {
    /// How many forecasts are being computed now.
    pub fn running(&self) -> usize {
        self.running.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A turn to make forecasts (what-if plans, the capacity needed) outside the cache: bounded like the cached
    /// ones, 503 when none comes within [`QUEUE_DEADLINE`].
    pub async fn turn(&self) -> Result<tokio::sync::OwnedSemaphorePermit, Problem> {
        match tokio::time::timeout(QUEUE_DEADLINE, Arc::clone(&self.turns).acquire_owned()).await {
            Ok(Ok(turn)) => Ok(turn),
            _ => Err(Problem::busy("every forecast slot is taken; try again in a moment")),
        }
    }

    /// The forecast of `inputs` under `key`: shared with a request making the same one now, else made in turn.
    pub async fn make(&self, key: Key, inputs: ForecastInputs) -> Result<Arc<Forecast>, Problem> {
        let flight: Flight = {
            let mut flights = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
            match flights.iter().find(|(k, _)| *k == key) {
                Some((_, flight)) => Arc::clone(flight),
                None => {
                    let flight = Flight::default();
                    flights.push((key.clone(), Arc::clone(&flight)));
                    flight
                }
            }
        };
        let result = flight
            .get_or_init(|| async {
                let turn = tokio::time::timeout(QUEUE_DEADLINE, Arc::clone(&self.turns).acquire_owned()).await;
                let Ok(Ok(turn)) = turn else {
                    return Err(Problem::busy("every forecast slot is taken; try again in a moment"));
                };
                let running = Running::start(&self.running);
                let made = tokio::task::spawn_blocking(move || {
                    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
                    let made = inputs.run(threads).map_err(Problem::from);
                    drop((running, turn));
                    made
                })
                .await
                .map_err(internal)?;
                made.map(Arc::new)
            })
            .await
            .clone();
        let mut flights = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        flights.retain(|(_, f)| !Arc::ptr_eq(f, &flight));
        result
    }

    fn get(&self, key: &Key) -> Option<Made> {
        let made = self.made.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        made.iter().find(|(k, _)| k == key).map(|(_, m)| m.clone())
    }

    /// The newest forecast of the same office, day and configuration made at an earlier position.
    fn latest(&self, key: &Key) -> Option<Made> {
        let made = self.made.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let older = made.iter().filter(|(k, _)| same_but_position(k, key) && k.2 < key.2);
        older.max_by_key(|(k, _)| k.2).map(|(_, m)| m.clone())
    }

    fn put(&self, key: Key, forecast: Arc<Forecast>) -> Made {
        let mut made = self.made.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry = Made { forecast, position: key.2, at: chrono::Utc::now() };
        if !made.iter().any(|(k, _)| *k == key) {
            // Older forecasts of the same office, day and configuration are superseded.
            made.retain(|(k, _)| !(same_but_position(k, &key) && k.2 < key.2));
            made.push_back((key, entry.clone()));
        }
        while made.len() > CACHE_ENTRIES {
            made.pop_front();
        }
        entry
    }

    /// Makes the forecast of `key` in the background unless one of the same office, day and configuration is being
    /// made already (then its inputs are not even taken); stores it when done. A busy service (no turn within the
    /// deadline) just leaves it for a later view.
    fn refresh(self: &Arc<Self>, key: Key, inputs: impl FnOnce() -> ForecastInputs, seconds: prometheus::Histogram) {
        {
            let mut refreshing = self.refreshing.lock().unwrap_or_else(|e| e.into_inner());
            if refreshing.iter().any(|k| same_but_position(k, &key)) {
                return;
            }
            refreshing.push(key.clone());
        }
        let inputs = inputs();
        let cache = Arc::clone(self);
        tokio::spawn(async move {
            let timer = seconds.start_timer();
            if let Ok(forecast) = cache.make(key.clone(), inputs).await {
                timer.observe_duration();
                cache.put(key.clone(), forecast);
            }
            cache.refreshing.lock().unwrap_or_else(|e| e.into_inner()).retain(|k| *k != key);
        });
    }
}

/// One forecast being computed, counted in [`Cache::running`] for as long as it lives (a panic included).
struct Running(Arc<std::sync::atomic::AtomicUsize>);

impl Running {
    fn start(count: &Arc<std::sync::atomic::AtomicUsize>) -> Running {
        count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Running(Arc::clone(count))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// How often [`with_forecast`] takes its inputs again when appends moved the projection on meanwhile.
const ATTEMPTS: usize = 3;

/// Runs `f` on the current projection with the default forecast of the office `resolve` picks, as of `as_of`.
///
/// Always ready: a view never waits for a forecast that an earlier one can stand in for. When the cache holds the
/// forecast of the office's current log position, `f` gets it (`hit`). When it holds one made at an earlier
/// position (appends came since), `f` gets that one at once, with the position and time it was made at, and the
/// current one is made in the background, one per office at a time (`stale`); the next view finds it. Only the
/// very first view of an office, day and configuration makes its forecast on the request (`miss`): the read lock
/// is held only to copy the inputs, the simulation runs on the blocking pool without it, and should appends move
/// the projection on meanwhile the inputs are taken again (a few times; then the newest forecast is used as it
/// is). The forecast is `None` when `resolve` picks no office or the history has no open day to learn from.
pub async fn with_forecast<T>(
    state: &Arc<State>,
    as_of: NaiveDate,
    resolve: impl Fn(&Projection) -> Result<Option<OfficeId>, Problem>,
    f: impl FnOnce(&Projection, Provenance, Option<&Made>) -> Result<T, Problem>,
) -> Result<T, Problem> {
    if !state.is_ready() {
        return Err(Problem::new(StatusCode::SERVICE_UNAVAILABLE, "the projection is still being built"));
    }
    let mut made: Option<Made> = None;
    for _ in 0..ATTEMPTS {
        let (key, inputs) = {
            let current = state.read();
            let projection = &current.projection;
            let Some(office) = resolve(projection)? else {
                return f(projection, current.provenance(), None);
            };
            let position = projection.office_position(&office);
            let key = (office.clone(), as_of, position, read::forecast_config(projection, None, None, None, None)?);
            if let Some(hit) = state.forecasts.get(&key) {
                // A request that made its forecast just now finds it here too; it counted as a miss.
                if made.is_none() {
                    state.metrics.forecasts.with_label_values(&["hit"]).inc();
                }
                return f(projection, current.provenance(), Some(&hit));
            }
            let inputs = || ForecastInputs::take(projection, &office, as_of, key.3);
            if made.is_none()
                && let Some(stale) = state.forecasts.latest(&key)
            {
                state.metrics.forecasts.with_label_values(&["stale"]).inc();
                state.forecasts.refresh(key.clone(), inputs, state.metrics.forecast_seconds.clone());
                return f(projection, current.provenance(), Some(&stale));
            }
            state.metrics.forecasts.with_label_values(&["miss"]).inc();
            (key.clone(), inputs())
        };
        let timer = state.metrics.forecast_seconds.start_timer();
        let made_now = state.forecasts.make(key.clone(), inputs).await;
        timer.observe_duration();
        match made_now {
            Ok(forecast) => made = Some(state.forecasts.put(key, forecast)),
            Err(busy) if busy.body().status == 503 => return Err(busy),
            // No open day to learn from: there is no forecast to show, and the figures still are.
            Err(_) => {
                let current = state.read();
                return f(&current.projection, current.provenance(), None);
            }
        }
    }
    let current = state.read();
    f(&current.projection, current.provenance(), made.as_ref())
}

/// The comparison of `plans` for the page's office and day with the default configuration: from the cache when the
/// office's log has not moved since it was made, else made in a forecast turn (503 when none comes) and kept.
/// `None` when there is nothing to forecast from.
pub async fn comparison(
    state: &Arc<State>,
    office: &OfficeId,
    as_of: NaiveDate,
    plans: Vec<Plan>,
) -> Result<Option<Arc<Comparison>>, Problem> {
    let (key, inputs) = {
        let current = state.read();
        let projection = &current.projection;
        let config = read::forecast_config(projection, None, None, None, None)?;
        let plans_json = serde_json::to_string(&plans).map_err(internal)?;
        let key = format!("{office}|{as_of}|{}|{config:?}|{plans_json}", projection.office_position(office));
        let cache = state.forecasts.comparisons.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, hit)) = cache.iter().find(|(k, _)| *k == key) {
            return Ok(Some(Arc::clone(hit)));
        }
        (key, ForecastInputs::take(projection, office, as_of, config))
    };
    let _turn = state.forecasts.turn().await?;
    let made = tokio::task::spawn_blocking(move || {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        inputs.compare(&plans, threads)
    })
    .await
    .map_err(internal)?;
    let made = match made {
        Ok(made) => Arc::new(made),
        Err(crate::read::ReadError::NoForecast { .. }) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let mut cache = state.forecasts.comparisons.lock().unwrap_or_else(|e| e.into_inner());
    cache.push_back((key, Arc::clone(&made)));
    while cache.len() > 8 {
        cache.pop_front();
    }
    Ok(Some(made))
}
