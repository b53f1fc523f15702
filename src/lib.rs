//! wartezeit — backlog and wait-time analytics for citizen service centres, event-sourced.
//!
//! # Codemap
//!
//! - [`domain`] — the vocabulary of docs/events.md: validated identifiers, the past-tense [`domain::event::Event`]
//!   enum, the strict JSON wire format and its JSON Schema ([`domain::wire::schema`], the OpenAPI request body),
//!   business time (local dates in the service's zone) and the one maximum period of every question. Pure.
//! - [`rules`] — the rules that guard the log: a [`rules::RuleBook`] folded from accepted events (every appointment
//!   ever booked, kept as records behind a table of indices in `rules::remembered`), and a check of a
//!   batch that returns every event's outcome or every violation (with its HTTP status class). Pure; it asks the
//!   store for stored events only through the [`rules::KnownEvents`] trait. [`rules::judge_batch`] is the one
//!   batch policy of the API and `import`: parse errors and rule breaks together, the first 100 listed. A
//!   [`rules::Staging`] checks a long stream batch by batch as if each earlier batch had been committed.
//! - [`log`] — the append-only event log on sled: gapless positions, atomic and durable batches stored in
//!   chunks of entries, the exact `event_id` index (in memory, rebuilt on open), the digest chain, group commit
//!   through one writer thread, and what happens on a storage fault (refuse, probe, reopen from what is durable).
//!   The only module that touches disk; sled sits behind the narrow [`log::engine`] interface (a model that fails
//!   on purpose stands in for it in the fault tests); the stored layout is hand-written in [`log::codec`], and the
//!   data directory records its stored format ([`log::STORE_FORMAT`]), checked before anything is opened.
//!   [`log::checkpoints`] keeps the projection's checkpoints as files beside the store: a body the log does not
//!   read, framed with the position and digest it was made at and a checksum, written whole or not at all. A log
//!   opened read-only ([`log::Options::read_only`]) skips the rule state and the id index, for the read commands;
//!   `serve` reads them on a thread of its own ([`log::Options::rules_in_background`]), appends waiting for them,
//!   from their own checkpoint in `checkpoints/rules/` ([`log::Log::write_rules_checkpoint`]) and the entries after.
//! - [`mapping`] — appointment systems' exports turned into events: list rows through a mapping of columns, status
//!   values and ids ([`mapping::table`], with the [`mapping::presets`]), ZMS process entities ([`mapping::zms`]),
//!   each appointment's rows into its history ([`mapping::histories`]) or snapshots compared with the log's book
//!   ([`mapping::snapshot`]), opening hours, ZMS availabilities and closures ([`mapping::calendar`]); ids derived
//!   from the source so that importing twice appends nothing; every bad cell named. Pure: `import-appointments`
//!   reads the files (CSV, XLSX, JSON) and their encodings.
//! - [`projection`] — the figures of docs/events.md as a pure fold over the log: per office, events in business-time
//!   order, a capacity calendar and appointment table with exact undo, and one row per day (stored sparsely in
//!   chunks; long stretches without events answered on demand); summary, attribution of lost capacity, calendar
//!   snapshots; the display names of `office_described` and `service_described`, kept apart from the figures.
//!   Each office keeps its newest events for the undo as they are and packs the older ones into delta-encoded
//!   blocks (`projection::settled`, [`projection::Packing`]), unpacked where a late event reaches back.
//!   [`projection::checkpoint`] is the whole projection as bytes (versioned, postcard) for checkpoints. Pure.
//! - [`read`] — the read side: a question (office, day or period, forecast parameters) resolved and checked once,
//!   with one typed error, and answered from one place; the CLI, the routes, the page, the press statement and the
//!   charts render its answers. [`read::ForecastInputs`] is the one way to build a forecast's inputs, and runs the
//!   forecast, the what-if comparison and the capacity needed on them. Pure.
//! - [`rebuild`] — a projection folded from the stored log, with the scan on a thread of its own overlapping the
//!   fold: the one way the CLI, the service's initial build and `known_at` build from the log. [`rebuild::open`]
//!   starts from the newest usable checkpoint at or below the position asked for (passing over, with a log line,
//!   one that is damaged, of another format or configuration, or not of this log's chain) and folds the rest;
//!   [`rebuild::write_checkpoint`] writes one and keeps the three newest.
//! - [`forecast`] — when the wait and the backlog will be back to normal: a seeded Monte Carlo simulation of the
//!   calendar from a projection snapshot, demand resampled from recent open days and ID pick-ups booked from
//!   attended applications, percentiles over runs; [`forecast::backtest`] compares past forecasts with what
//!   happened and names the decisions taken after each, or lays the decisions taken over the forecasts made before
//!   them. [`forecast::plan`] is a what-if plan (slots, Saturdays, closures, a service without appointment, demand
//!   by a share) laid over the plans known at D, read from a TOML plan file or one line ([`forecast::plan::file`]);
//!   [`forecast::whatif`] compares plans with the baseline under common random numbers and finds the capacity
//!   needed by a date. Pure; it reads the projection's outputs only (snapshot, rows and their split per service),
//!   never events; the same seed gives the same forecast, and a plan without changes the baseline bit for bit.
//! - [`press`] — the press statement (German/English, text/Markdown/JSON) with its provenance line; the words for
//!   waits, counts and dates in [`press::words`]. Pure.
//! - [`lang`] — German and English, with their number and date formats, for everything written for people. Pure.
//! - [`report`] — tables and CSV of projection views for people and spreadsheets (the forecast, the back-test, the
//!   what-if comparison and the capacity needed among them). Pure.
//! - [`holidays`] — the public holidays of the 16 German states as `holiday_declared` events (from `holiday_de`),
//!   with deterministic ids. Pure.
//! - [`scenario`] — simulated, seeded event logs that tell a known story; `kaiserslautern-2020` is the data set in
//!   `data/`, and the same year without the decisions after a given day is what a forecast of that day is judged
//!   against. Pure (randomness from a seeded ChaCha stream, no clock).
//! - [`sample`] — generated event streams valid under the rules, for tests and benches.
//! - [`chart`] — report charts (backlog, wait, flow, attribution) drawn with plotters from a
//!   [`chart::ChartView`] into PNG or SVG bytes, German by default. Pure: no IO, no clock, no system fonts (DejaVu
//!   Sans is compiled in).
//! - [`exposition`] — the business figures as metric families: the one catalogue of names, help texts and units
//!   that `/metrics` and the OpenMetrics history export share, the samples of an office on a day, the Prometheus
//!   text and OpenMetrics (timestamped, `# EOF`) renderings. Pure.
//! - [`page`] — the management page at `GET /` as server-rendered HTML (tiles, charts, closures, press statement)
//!   from plain data; German by default, no JavaScript. Pure: the service gathers the data, `page` writes the HTML.
//! - [`service`] — the HTTP service (axum): routes, problem details, bearer auth, `/metrics`, the OpenAPI document
//!   (schemas derived from the core's own output types), and a cache of `known_at` projections in
//!   [`service::known_at`]; a checkpointer in [`service::state`] writes a checkpoint in the background from a
//!   projection of its own, so appends and reads never wait for it; [`service::connections`] is the accept loop (a connection limit and a deadline for
//!   every request head), [`service::forecast`] bounds and shares the making of forecasts.
//! - [`cli`] — the command line, one module per subcommand under `cli/`; `main.rs` only parses and dispatches.
//!   `cli::import::spill` sorts the rows and events of `import-appointments` on disk in runs, and `cli::import::text`
//!   reads a CSV list as a stream in its encoding, so that an export of any length is never held whole.
//!   [`cli::whatif`] is `whatif` and `capacity-needed`, and reads plan files for them, `backtest --decisions` and
//!   `serve --plan-file`.
//!   [`cli::config`] is the configuration file (TOML) below flags and environment, and `serve --print-config`.
//!   [`cli::remote`] is the crate's one HTTP client (a service's events endpoint, the token file, the policy of
//!   retries); it speaks the API's JSON with types of its own, not the service's. [`cli::push`] sends validated
//!   events through it in batches, resumed from a state file; [`cli::backup`] reads the event feed through it into
//!   the file `export` writes, every digest checked, resumable from its partial file.
//!
//! # Architecture invariants
//!
//! - The functional core (`domain`, `rules`, `projection`, `forecast`, `press`, `report`, `chart`, `page`,
//!   `holidays`, `scenario`, `exposition`) knows nothing of sled, axum, prometheus or the clock. Its output types
//!   and identifiers derive (or implement) `utoipa::ToSchema`: a description of their JSON for the OpenAPI
//!   document, no HTTP code, so that the document and the bodies cannot drift apart.
//! - Only `log` reads or writes the data directory; nothing updates or deletes a stored entry.
//! - A write is acknowledged only once durable; the log on disk is always a gapless prefix of what was appended,
//!   and readers never see past the durable head. After a storage fault nothing is appended until the store has
//!   been reopened and cut back to the acknowledged head: a batch not acknowledged is absent, never in part.
//! - The digest chain covers positions and canonical event bytes, never `recorded_at`: export and re-import
//!   reproduce it.
//! - Wire JSON is parsed into domain types once, at the edge, and never leaks inward.
//! - The edges do not import each other: `service` never names `cli`, and `cli` names `service` only in `serve` and
//!   `demo`, which start it. What both need lives in the core, most of it in [`read`] (`tests/architecture.rs`).
//! - There is no global state: every component is a value that its owner passes on. (The one exception is
//!   immutable: the embedded font, parsed once per process and registered with plotters' font table.)

pub mod chart;
pub mod cli;
pub mod domain;
pub mod exposition;
pub mod forecast;
pub mod holidays;
pub mod lang;
pub mod log;
pub mod mapping;
pub mod page;
pub mod press;
pub mod projection;
pub mod read;
pub mod rebuild;
pub mod report;
pub mod rules;
pub mod sample;
pub mod scenario;
pub mod service;
