//! wartezeit — backlog and wait-time analytics for citizen service centres, event-sourced.
//!
//! # Codemap
//!
//! - [`domain`] — the vocabulary of DOMAIN.md: validated identifiers, the past-tense [`domain::event::Event`]
//!   enum, the strict JSON wire format, and business time (local dates in the service's zone). Pure.
//!
//! # Architecture invariants
//!
//! - The functional core (`domain`) knows nothing of sled, axum, prometheus or the clock.
//! - Wire JSON is parsed into domain types once, at the edge, and never leaks inward.
//! - There is no global state: every component is a value that its owner passes on.

pub mod chart;
pub mod cli;
pub mod domain;
pub mod projection;
