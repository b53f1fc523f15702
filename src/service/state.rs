//! The service's shared state: the log, the projection behind a read-write lock, readiness, metrics.

use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};

use chrono::{NaiveDate, Utc};

use crate::domain::event::Event;
use crate::log::codec::Digest;
use crate::log::{AppendReceipt, Log, ReadError};
use crate::press::Provenance;
use crate::projection::{Config as ProjectionConfig, Projection};
use crate::rules::Outcome;
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
    pub forecasts: Arc<crate::service::forecast::Cache>,
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
            forecasts: Arc::default(),
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

    /// Folds the durable entries past the projection's position into it. Blocking: reads the log first, without
    /// the projection lock, then takes the write lock for the fold alone. An empty projection (the initial build)
    /// is built by [`crate::rebuild::fold`], reading and folding at once, and swapped in whole.
    pub fn catch_up(&self) -> Result<(), ReadError> {
        let _one_at_a_time = self.catching_up.lock().unwrap_or_else(|e| e.into_inner());
        let (position, config) = {
            let current = self.read();
            (current.projection.position(), *current.projection.config())
        };
        if position == 0 {
            let rebuilt = crate::rebuild::fold(&self.log, Projection::new(config), [0; 32], u64::MAX)?;
            if rebuilt.position > 0 {
                let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
                *current = Current { projection: rebuilt.projection, digest: rebuilt.digest };
            }
            return Ok(());
        }
        self.fold_stored(self.log.head().position)
    }

    /// Folds the entries of a batch this service just appended durably, straight from `events` (the batch as
    /// sent, whose `receipt` says which events were new and where they lie), so that the caller reads its own
    /// writes; whatever else lies between the projection and `receipt.last_position` is read from the log.
    ///
    /// The projection only ever grows in log order, one position after the other: appenders fold one at a time,
    /// and an appender whose batch lies past entries not yet folded (a concurrent batch whose appender has not
    /// come round yet) reads those from the log first. Events already folded (by such a read, or by another
    /// appender) and duplicates (idempotent resends, already in the log at earlier positions) are not folded
    /// again. Blocking.
    pub fn fold_appended(&self, receipt: &AppendReceipt, events: &[Event]) -> Result<(), ReadError> {
        let _one_at_a_time = self.catching_up.lock().unwrap_or_else(|e| e.into_inner());
        let new: Vec<(u64, &Event)> = receipt
            .outcomes
            .iter()
            .zip(events)
            .filter_map(|(outcome, event)| match outcome {
                Outcome::New(position) => Some((*position, event)),
                Outcome::Duplicate(_) => None,
            })
            .collect();
        let position = self.read().projection.position();
        let fresh = new.partition_point(|(p, _)| *p <= position);
        // The positions of a batch's new events are consecutive and end at `last_position`; anything else means
        // the receipt and the events do not belong together, and the log is asked instead.
        let consecutive =
            new.windows(2).all(|w| w[1].0 == w[0].0 + 1) && new.last().is_none_or(|(p, _)| *p == receipt.last_position);
        if let (true, Some(&(first, _))) = (consecutive, new.get(fresh)) {
            if first > position + 1 {
                self.fold_stored(first - 1)?;
            }
            let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
            if current.projection.position() + 1 == first {
                current.projection.apply_all(new[fresh..].iter().copied());
                current.digest = receipt.digest;
            }
        }
        self.fold_stored(receipt.last_position)
    }

    /// Folds the durable entries after the projection's position up to `until`, read from the log. The caller
    /// holds `catching_up`.
    fn fold_stored(&self, until: u64) -> Result<(), ReadError> {
        let from = self.read().projection.position() + 1;
        if until < from {
            return Ok(());
        }
        let wanted = (until - from + 1) as usize;
        let entries = self.log.scan(from).take(wanted).collect::<Result<Vec<_>, _>>()?;
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
        let base = match self.known_at.nearest_below(position) {
            Some(base) => Current::clone(&base),
            None => {
                let config = *self.read().projection.config();
                Current { projection: Projection::new(config), digest: [0; 32] }
            }
        };
        let rebuilt = crate::rebuild::fold(&self.log, base.projection, base.digest, position)?;
        let known = Current { projection: rebuilt.projection, digest: rebuilt.digest };
        let known = Arc::new(known);
        self.known_at.insert(Arc::clone(&known), self.log.head().position);
        Ok(known)
    }

    /// The positions of the `known_at` projections held, least recently used first.
    pub fn known_at_positions(&self) -> Vec<u64> {
        self.known_at.positions()
    }
}

#[cfg(test)]
mod tests;
