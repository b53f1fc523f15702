//! The domain vocabulary of docs/events.md: validated identifiers, the past-tense event enum, the strict JSON wire
//! format, and business time (local dates in the service's zone).
//!
//! Everything here is pure: no disk, no clock, no network. Wire JSON is parsed into these types once, at the edge
//! ([`wire::parse_event`]), and nothing inward ever sees a raw string where an identifier is meant.

pub mod event;
pub mod id;
pub mod time;
pub mod wire;
