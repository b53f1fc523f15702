//! wartezeit — backlog and wait-time analytics for citizen service centres, event-sourced.
//!
//! # Codemap
//!
//! - [`domain`] — the vocabulary of DOMAIN.md: validated identifiers, the past-tense [`domain::event::Event`]
//!   enum, the strict JSON wire format, and business time (local dates in the service's zone). Pure.
//! - [`holidays`] — the public holidays of the 16 German states as `holiday_declared` events (from `holiday_de`),
//!   with deterministic ids. Pure.
//! - [`scenario`] — simulated, seeded event logs that tell a known story; `kaiserslautern-2020` is the data set in
//!   `data/`. Its calendar answers DOMAIN.md's capacity, booked and free for the events emitted so far, so its own
//!   daily figures are the projection's. Pure (randomness from a seeded ChaCha stream, no clock).
//! - [`cli`] — the command line: one module per subcommand under `cli/`, the imperative shell.
//!
//! # Architecture invariants
//!
//! - The functional core (`domain`) knows nothing of sled, axum, prometheus or the clock.
//! - Wire JSON is parsed into domain types once, at the edge, and never leaks inward.
//! - There is no global state: every component is a value that its owner passes on.

pub mod cli;
pub mod domain;
pub mod holidays;
pub mod press;
pub mod projection;
pub mod report;
pub mod scenario;
