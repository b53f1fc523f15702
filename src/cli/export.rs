//! `wartezeit export`: the log as NDJSON on stdout, in log order; or, with `--format openmetrics`, the daily
//! business figures as OpenMetrics history for `promtool tsdb create-blocks-from openmetrics`.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, ValueEnum};

use crate::cli::GlobalArgs;
use crate::cli::load::{self, parse_date, parse_office};
use crate::domain::event::Event;
use crate::domain::id::OfficeId;
use crate::log::codec::Digest;

/// What `export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The events, one JSON object a line (the wire format `import` reads).
    Ndjson,
    /// The daily business figures as OpenMetrics, one sample per figure and day, stamped at 23:59:59 local time.
    Openmetrics,
}

/// Where an export starts: a log position (NDJSON) or a business day (OpenMetrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    Position(u64),
    Day(NaiveDate),
}

fn parse_start(s: &str) -> Result<Start, String> {
    match s.parse::<u64>() {
        Ok(position) => Ok(Start::Position(position)),
        Err(_) if s.contains('-') => parse_date(s).map(Start::Day),
        Err(_) => Err(format!("{s:?} is neither a log position nor a date")),
    }
}

/// Arguments of `export`.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// `ndjson`: the events; `openmetrics`: the daily figures of `/metrics` as history.
    #[arg(long, value_enum, default_value_t = Format::Ndjson)]
    pub format: Format,
    /// NDJSON: the first position to write (positions start at 1; default 1). OpenMetrics: the first day
    /// (YYYY-MM-DD; default the office's first event's date).
    #[arg(long, value_parser = parse_start)]
    pub from: Option<Start>,
    /// OpenMetrics only: the last day (YYYY-MM-DD; default the office's last event's date).
    #[arg(long, value_parser = parse_date)]
    pub to: Option<NaiveDate>,
    /// OpenMetrics only: the office; every office of the log when omitted.
    #[arg(long, value_parser = parse_office)]
    pub office: Option<OfficeId>,
    /// Wrap each event with its position, recorded_at and digest (hex); without it, lines are the wire format and
    /// `export | import` into an empty directory reproduces the log.
    #[arg(long)]
    pub with_meta: bool,
}

/// Writes the export that `--format` asks for to stdout.
pub fn run(global: &GlobalArgs, args: &ExportArgs) -> anyhow::Result<ExitCode> {
    match args.format {
        Format::Ndjson => ndjson(global, args),
        Format::Openmetrics => openmetrics(global, args),
    }
}

/// The daily figures of the chosen offices from `--from` to `--to` as OpenMetrics.
fn openmetrics(global: &GlobalArgs, args: &ExportArgs) -> anyhow::Result<ExitCode> {
    if args.with_meta {
        anyhow::bail!("--with-meta: only the ndjson format has meta data");
    }
    let from = match args.from {
        Some(Start::Position(p)) => anyhow::bail!("--from {p}: the openmetrics format starts at a day YYYY-MM-DD"),
        Some(Start::Day(day)) => Some(day),
        None => None,
    };
    let loaded = load::projection(global, None, None)?;
    let projection = &loaded.projection;
    let offices: Vec<OfficeId> = match &args.office {
        Some(asked) => vec![load::office(projection, Some(asked))?],
        None => projection.offices().into_iter().map(|o| o.office).collect(),
    };
    let known = projection.offices().into_iter().filter(|o| offices.contains(&o.office));
    let (first, last) = known.fold((None::<NaiveDate>, None::<NaiveDate>), |(f, l), o| {
        (
            Some(f.map_or(o.first_event_date, |f| f.min(o.first_event_date))),
            Some(l.map_or(o.last_event_date, |l| l.max(o.last_event_date))),
        )
    });
    let (Some(from), Some(to)) = (from.or(first), args.to.or(last)) else {
        anyhow::bail!("the log holds no office yet; import events first")
    };
    load::period(from, to)?;
    let text = crate::exposition::history(projection, &offices, from, to, global.tz);
    write_all(text.as_bytes())
}

/// Writes `bytes` to stdout; a closed pipe is the reader's choice, not an error.
fn write_all(bytes: &[u8]) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        other => other.context("cannot write to stdout").map(|()| ExitCode::SUCCESS),
    }
}

/// Writes the entries from `--from` (a position) to the head.
fn ndjson(global: &GlobalArgs, args: &ExportArgs) -> anyhow::Result<ExitCode> {
    let from = match args.from {
        None => 1,
        Some(Start::Position(p)) => p,
        Some(Start::Day(day)) => anyhow::bail!("--from {day}: the ndjson format starts at a log position (1, 2, …)"),
    };
    if args.to.is_some() || args.office.is_some() {
        anyhow::bail!("--to and --office: only the openmetrics format takes them");
    }
    let log = global.open_existing_log().context("cannot export")?;
    let stdout = std::io::stdout().lock();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout);
    for entry in log.scan(from) {
        let entry = entry.context("cannot read the log")?;
        let line = entry_line(entry.position, entry.recorded_at, &entry.digest, &entry.event, args.with_meta);
        match writeln!(out, "{line}") {
            // A closed pipe (`export | head`) is the reader's choice, not an error.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
            other => other.context("cannot write to stdout")?,
        }
    }
    match out.flush() {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        other => other.context("cannot write to stdout").map(|()| ExitCode::SUCCESS),
    }
}

/// The line (without its newline) that `export` writes for the entry at `position`: the event's canonical wire form
/// ([`to_json_line`](crate::domain::wire::to_json_line)), or with `with_meta` the entry as one JSON object with its
/// `position`, `recorded_at` (UTC, microseconds), `digest` (hex) and `event`, keys sorted (serde_json's map without
/// its `preserve_order` feature).
///
/// `backup` writes its lines with this very function from what the event feed says, so that a backup is byte for byte
/// the `export` (`--with-meta`) of the same positions.
pub fn entry_line(
    position: u64,
    recorded_at: DateTime<Utc>,
    digest: &Digest,
    event: &Event,
    with_meta: bool,
) -> String {
    if with_meta {
        serde_json::json!({
            "position": position,
            "recorded_at": recorded_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            "digest": hex::encode(digest),
            "event": event,
        })
        .to_string()
    } else {
        crate::domain::wire::to_json_line(event)
    }
}
