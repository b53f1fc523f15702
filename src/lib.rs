//! wartezeit — backlog and wait-time analytics for citizen service centres, event-sourced.
//!
//! # Codemap
//!
//! - [`domain`] — the vocabulary of DOMAIN.md: validated identifiers, the past-tense [`domain::event::Event`]
//!   enum, the strict JSON wire format, and business time (local dates in the service's zone). Pure.
//! - [`projection`] — the fold over the log that answers every figure of DOMAIN.md per office and day. Pure.
//! - [`forecast`] — when the wait and the backlog will be back to normal: a seeded Monte Carlo simulation of the
//!   calendar from a [`projection::CalendarSnapshot`] and the recent [`projection::DayRow`]s, reported as
//!   percentiles over runs; [`forecast::backtest`] compares past forecasts with what happened. Pure.
//! - [`cli`] — the clap command line; each subcommand's arguments and printing in `cli/<name>.rs`.
//!
//! # Architecture invariants
//!
//! - The forecast reads the projection's outputs only (snapshot and rows), never events; the same seed gives the
//!   same forecast.
//! - The functional core (`domain`, `projection`, `forecast`) knows nothing of sled, axum, prometheus or the clock.
//! - Wire JSON is parsed into domain types once, at the edge, and never leaks inward.
//! - There is no global state: every component is a value that its owner passes on.

pub mod cli;
pub mod domain;
pub mod forecast;
pub mod projection;
