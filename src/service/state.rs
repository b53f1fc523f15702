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
    /// Woken after each fold of appended entries: the checkpointer looks whether one is due.
    appended: Arc<tokio::sync::Notify>,
    /// The log position of the newest checkpoint, known or written (0 for none).
    checkpoint: tokio::sync::watch::Sender<u64>,
    /// Until when no checkpoint is tried after one failed (a full disk, say), so that every append does not
    /// make a projection for nothing.
    checkpoint_retry_after: Mutex<Option<std::time::Instant>>,
}

/// How long the checkpointer waits after a checkpoint could not be written.
pub const CHECKPOINT_RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(5 * 60);

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
            appended: Arc::new(tokio::sync::Notify::new()),
            checkpoint: tokio::sync::watch::Sender::new(0),
            checkpoint_retry_after: Mutex::new(None),
        })
    }

    /// Builds the projection from the newest usable checkpoint and the entries after it, and marks the service
    /// ready. Runs on the blocking pool.
    pub fn initial_build(&self) {
        let started = std::time::Instant::now();
        let config = *self.read().projection.config();
        let opened = {
            let _one_at_a_time = self.catching_up.lock().unwrap_or_else(|e| e.into_inner());
            crate::rebuild::open(&self.log, config, u64::MAX).map(|opened| {
                let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
                *current = Current { projection: opened.rebuilt.projection, digest: opened.rebuilt.digest };
                (opened.checkpoint, opened.skipped.len())
            })
        };
        match opened.and_then(|opened| self.catch_up().map(|()| opened)) {
            Ok((checkpoint, skipped)) => {
                let position = self.read().projection.position();
                // Checkpoints passed over count as none: the next one is due from the start of the log.
                self.noted_checkpoint(checkpoint.unwrap_or(0));
                // Reading a checkpoint frees much of what it took (its bytes above all): hand that back rather than
                // keep the peak.
                release_free_memory();
                tracing::info!(
                    position,
                    checkpoint = checkpoint.unwrap_or(0),
                    folded = position - checkpoint.unwrap_or(0),
                    checkpoints_ignored = skipped,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "projection built"
                );
                self.ready.send_replace(true);
            }
            Err(e) => tracing::error!("cannot build the projection: {e}"),
        }
    }

    fn noted_checkpoint(&self, position: u64) {
        self.checkpoint.send_replace(position);
        self.metrics.checkpoint_position.set(position as i64);
    }

    /// The log position of the newest checkpoint, as it changes (0 for none).
    pub fn checkpoint_position(&self) -> tokio::sync::watch::Receiver<u64> {
        self.checkpoint.subscribe()
    }

    /// Writes a checkpoint of the log up to its head if one is due (`force`: whenever the head is past the newest):
    /// a projection of its own, from the newest checkpoint and the entries after it, so that nothing waits for it.
    /// Blocking; returns the position written, if any.
    pub fn checkpoint_if_due(&self, force: bool) -> Option<u64> {
        let (newest, head) = (*self.checkpoint.borrow(), self.log.head().position);
        if head <= newest || !(force || self.config.checkpoints.due(newest, head)) {
            return None;
        }
        let mut retry_after = self.checkpoint_retry_after.lock().unwrap_or_else(|e| e.into_inner());
        if retry_after.is_some_and(|at| std::time::Instant::now() < at) {
            return None;
        }
        let started = std::time::Instant::now();
        let config = *self.read().projection.config();
        let written = crate::rebuild::open(&self.log, config, head).map_err(|e| e.to_string()).and_then(|opened| {
            let rebuilt = opened.rebuilt;
            crate::rebuild::write_checkpoint(&self.log, &rebuilt.projection, &rebuilt.digest)
                .map_err(|e| format!("cannot write it in {}: {e}", self.log.checkpoints().dir().display()))
        });
        let made = match written {
            Ok(written) => {
                let elapsed = started.elapsed();
                self.metrics.checkpoint_seconds.observe(elapsed.as_secs_f64());
                self.noted_checkpoint(written.stored.position);
                tracing::info!(
                    position = written.stored.position,
                    bytes = written.stored.bytes,
                    removed = written.removed,
                    elapsed_ms = elapsed.as_millis() as u64,
                    "checkpoint written"
                );
                Some(written.stored.position)
            }
            Err(e) => {
                self.metrics.checkpoint_failures.inc();
                *retry_after = Some(std::time::Instant::now() + CHECKPOINT_RETRY_AFTER);
                tracing::warn!(
                    "checkpoint not written: {e}; tried again in {} minutes",
                    CHECKPOINT_RETRY_AFTER.as_secs() / 60
                );
                None
            }
        };
        // The projection made for it is gone: hand its memory back to the system rather than keep the peak.
        release_free_memory();
        if made.is_some() {
            // The rule state and the id index too, so that the next start need not read the whole log for them.
            match self.log.write_rules_checkpoint() {
                Ok(Some(stored)) => {
                    tracing::info!(position = stored.position, bytes = stored.bytes, "rule-state checkpoint written")
                }
                Ok(None) => tracing::debug!("no rule-state checkpoint now"),
                Err(e) => {
                    self.metrics.checkpoint_failures.inc();
                    tracing::warn!("rule-state checkpoint not written: {e}");
                }
            }
            release_free_memory();
        }
        made
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

    /// Tells the checkpointer that entries were folded.
    pub fn note_appended(&self) {
        self.appended.notify_one();
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
        let config = *self.read().projection.config();
        let cached = self.known_at.nearest_below(position);
        let cached_at = cached.as_ref().map_or(0, |c| c.projection.position());
        // A checkpoint between the nearest cached projection and `position` is the nearer start, if it can be used.
        let listed = self.log.checkpoints().list().unwrap_or_default();
        let nearer = listed.iter().any(|s| s.position > cached_at && s.position <= position);
        let from_checkpoint = nearer
            .then(|| crate::rebuild::newest_checkpoint(&self.log, config, position).0)
            .flatten()
            .filter(|(projection, _)| projection.position() > cached_at);
        let base = match (from_checkpoint, cached) {
            (Some((projection, digest)), _) => Current { projection, digest },
            (None, Some(base)) => Current::clone(&base),
            (None, None) => Current { projection: Projection::new(config), digest: [0; 32] },
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

/// The checkpointer: after each append (and every configured interval) writes a checkpoint when one is due, on the
/// blocking pool, one at a time. Holds the state only while it works, and ends once the service is gone.
pub async fn checkpoints(state: std::sync::Weak<State>) {
    if state.upgrade().is_none_or(|state| state.config.checkpoints.every_events == 0) {
        return;
    }
    let mut last = tokio::time::Instant::now();
    loop {
        let (every, appended) = {
            let Some(state) = state.upgrade() else { return };
            let every = state.config.checkpoints.every;
            let appended = Arc::clone(&state.appended);
            (every, async move { appended.notified().await })
        };
        let timed_out = tokio::time::timeout(every, appended).await.is_err();
        let Some(strong) = state.upgrade() else { return };
        let force = timed_out || last.elapsed() >= every;
        let made = tokio::task::spawn_blocking(move || strong.checkpoint_if_due(force)).await;
        if matches!(made, Ok(Some(_))) || force {
            last = tokio::time::Instant::now();
        }
    }
}

/// Hands the free memory of glibc's heap back to the system, after work whose peak the process need not keep.
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of glibc's heap; it touches no live allocation.
    unsafe {
        libc::malloc_trim(0);
    }
}
