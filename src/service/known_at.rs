//! Projections of the log as known at earlier positions (`known_at=`), kept for reuse.
//!
//! The log is append-only, so the projection of positions 1..=P never changes once built: a cached one is never
//! stale and needs no invalidation. A request for P is answered from the cache when P is there; otherwise the
//! projection is built from the cached one with the largest position below P (a clone, then only the entries
//! after it folded in), or from nothing. Dashboards that step `known_at` forward through history therefore fold
//! each stretch of the log once.
//!
//! Memory is bounded twice: at most [`CAPACITY`] projections, and together they hold at most [`LOG_MULTIPLE`]
//! times the log's length in events (so the cache costs at most about twice the live projection). The least
//! recently used goes first.

use std::sync::{Arc, Mutex};

use crate::service::state::Current;

/// The most projections kept.
pub const CAPACITY: usize = 4;

/// The cached projections together hold at most this many times the log's length in events.
pub const LOG_MULTIPLE: u64 = 2;

/// Projections known at earlier positions, least recently used first.
#[derive(Default)]
pub struct KnownAtCache {
    /// A std mutex: it is held for a lookup or an insert only, never while a projection is built.
    slots: Mutex<Vec<Arc<Current>>>,
}

impl KnownAtCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, Vec<Arc<Current>>> {
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The projection known at exactly `position`, marked as just used.
    pub fn get(&self, position: u64) -> Option<Arc<Current>> {
        let mut slots = self.slots();
        let i = slots.iter().position(|c| c.projection.position() == position)?;
        let hit = slots.remove(i);
        slots.push(Arc::clone(&hit));
        Some(hit)
    }

    /// The cached projection with the largest position below `position`: the best start for building it.
    pub fn nearest_below(&self, position: u64) -> Option<Arc<Current>> {
        self.slots()
            .iter()
            .filter(|c| c.projection.position() < position)
            .max_by_key(|c| c.projection.position())
            .cloned()
    }

    /// Keeps `known`, evicting the least recently used until the bounds hold for a log of `log_length` events.
    /// A projection too large for the bounds on its own is not kept.
    pub fn insert(&self, known: Arc<Current>, log_length: u64) {
        let budget = LOG_MULTIPLE.saturating_mul(log_length);
        if known.projection.position() > budget {
            return;
        }
        let mut slots = self.slots();
        if slots.iter().any(|c| c.projection.position() == known.projection.position()) {
            return;
        }
        slots.push(known);
        let held = |slots: &[Arc<Current>]| slots.iter().map(|c| c.projection.position()).sum::<u64>();
        while slots.len() > CAPACITY || held(&slots) > budget {
            slots.remove(0);
        }
    }

    /// The positions held, least recently used first.
    pub fn positions(&self) -> Vec<u64> {
        self.slots().iter().map(|c| c.projection.position()).collect()
    }
}

#[cfg(test)]
mod tests;
