//! wartezeit — backlog and wait-time analytics for citizen service centres, event-sourced.
//!
//! # Codemap
//!
//! - [`domain`] — the vocabulary of DOMAIN.md: validated identifiers, the past-tense [`domain::event::Event`]
//!   enum, the strict JSON wire format, and business time (local dates in the service's zone). Pure.
//! - [`chart`] — report charts (backlog, wait, flow, attribution) drawn with plotters from a
//!   [`chart::ChartView`] into PNG or SVG bytes, German by default. Pure: no IO, no clock, no system fonts (DejaVu
//!   Sans is compiled in).
//! - [`cli`] — the clap command line; each subcommand's arguments and logic in `cli/<name>.rs`.
//!
//! # Architecture invariants
//!
//! - The functional core (`domain`, `projection`, `chart`) knows nothing of sled, axum, prometheus or the clock.
//! - Wire JSON is parsed into domain types once, at the edge, and never leaks inward.
//! - There is no global state: every component is a value that its owner passes on. (The one exception is
//!   immutable: the embedded font, parsed once per process and registered with plotters' font table.)

pub mod chart;
pub mod cli;
pub mod domain;
pub mod projection;
