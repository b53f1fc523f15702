//! The service's shared state: the log, the projection behind a read-write lock, readiness, metrics.

use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};

use chrono::{NaiveDate, Utc};

use crate::log::codec::Digest;
use crate::log::{Log, ReadError};
use crate::press::Provenance;
use crate::projection::{Config as ProjectionConfig, Projection};
use crate::service::Config;
use crate::service::known_at::KnownAtCache;
use crate::service::metrics::Metrics;

/// The projection as committed so far (or as known at an earlier position), with the digest of its last entry
/// (for provenance).
#[derive(Clone)]
pub struct Current {
    pub projection: Projection,
    pub digest: Digest,
}

impl Current {
    /// Where the figures come from.
    pub fn provenance(&self) -> Provenance {
        Provenance {
            position: self.projection.position(),
            digest: hex::encode(self.digest),
            definitions: crate::press::DEFINITIONS_VERSION,
        }
    }
}

/// Everything the handlers share.
pub struct State {
    pub config: Config,
    pub log: Log,
    /// Held for writing only while new entries are folded in (never during a flush or a scan).
    current: RwLock<Current>,
    /// Serializes catch-ups, so that two appenders do not scan and fold the same entries.
    catching_up: Mutex<()>,
    ready: tokio::sync::watch::Sender<bool>,
    pub metrics: Metrics,
    /// Projections known at earlier positions, for `known_at=`.
    known_at: KnownAtCache,
    /// Serializes the building of `known_at` projections: a second request for the same position then finds it
    /// cached, and a burst of requests for different positions holds one projection under construction, not many.
    building: Mutex<()>,
    /// Forecasts made for the page, the press statement and the forecast chart.
    pub forecasts: crate::service::forecast::Cache,
}

impl State {
    /// State over `log`, with an empty projection; [`State::initial_build`] fills it.
    pub fn new(config: Config, log: Log) -> anyhow::Result<State> {
        let projection = Projection::new(ProjectionConfig { zone: config.zone, horizon_days: config.horizon_days });
        let metrics = Metrics::new()?;
        Ok(State {
            config,
            log,
            current: RwLock::new(Current { projection, digest: [0; 32] }),
            catching_up: Mutex::new(()),
            ready: tokio::sync::watch::Sender::new(false),
            metrics,
            known_at: KnownAtCache::new(),
            building: Mutex::new(()),
            forecasts: crate::service::forecast::Cache::default(),
        })
    }

    /// Folds the whole log and marks the service ready. Runs on the blocking pool.
    pub fn initial_build(&self) {
        let started = std::time::Instant::now();
        match self.catch_up() {
            Ok(()) => {
                let position = self.read().projection.position();
                tracing::info!(position, elapsed_ms = started.elapsed().as_millis() as u64, "projection built");
                self.ready.send_replace(true);
            }
            Err(e) => tracing::error!("cannot build the projection: {e}"),
        }
    }

    /// Whether the initial projection is built.
    pub fn is_ready(&self) -> bool {
        *self.ready.borrow()
    }

    /// Waits until the initial projection is built.
    pub async fn wait_ready(&self) {
        let mut rx = self.ready.subscribe();
        let _ = rx.wait_for(|ready| *ready).await;
    }

    /// The committed projection, for reading.
    pub fn read(&self) -> RwLockReadGuard<'_, Current> {
        self.current.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Folds the durable entries past the projection's position into it. Blocking: scans the log first, without
    /// the projection lock, then takes the write lock for the fold alone.
    pub fn catch_up(&self) -> Result<(), ReadError> {
        let _one_at_a_time = self.catching_up.lock().unwrap_or_else(|e| e.into_inner());
        let from = self.read().projection.position() + 1;
        let entries = self.log.scan(from).collect::<Result<Vec<_>, _>>()?;
        let Some(last) = entries.last() else { return Ok(()) };
        let digest = last.digest;
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        current.projection.apply_all(entries.iter().map(|e| (e.position, &e.event)));
        current.digest = digest;
        Ok(())
    }

    /// "Today": the fixed evaluation day, or the wall-clock date in the service's zone.
    pub fn today(&self) -> NaiveDate {
        self.config.as_of.unwrap_or_else(|| self.config.zone.date_of(&Utc::now().fixed_offset()))
    }

    /// The projection of the log up to `position` only (for `known_at`), from the cache or built from the nearest
    /// cached one below it. `position` must not lie past the durable head. Blocking.
    pub fn projection_at(&self, position: u64) -> Result<Arc<Current>, ReadError> {
        if let Some(hit) = self.known_at.get(position) {
            return Ok(hit);
        }
        let _one_at_a_time = self.building.lock().unwrap_or_else(|e| e.into_inner());
        // Another request may have built it while this one waited.
        if let Some(hit) = self.known_at.get(position) {
            return Ok(hit);
        }
        let mut known = match self.known_at.nearest_below(position) {
            Some(base) => Current::clone(&base),
            None => {
                let config = *self.read().projection.config();
                Current { projection: Projection::new(config), digest: [0; 32] }
            }
        };
        let from = known.projection.position() + 1;
        if position >= from {
            let wanted = (position - from + 1) as usize;
            let entries = self.log.scan(from).take(wanted).collect::<Result<Vec<_>, _>>()?;
            if let Some(last) = entries.last() {
                known.digest = last.digest;
            }
            known.projection.apply_all(entries.iter().map(|e| (e.position, &e.event)));
        }
        let known = Arc::new(known);
        self.known_at.insert(Arc::clone(&known), self.log.head().position);
        Ok(known)
    }

    /// The positions of the `known_at` projections held, least recently used first.
    pub fn known_at_positions(&self) -> Vec<u64> {
        self.known_at.positions()
    }
}
