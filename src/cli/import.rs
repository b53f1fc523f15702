//! `wartezeit import`: validate NDJSON event files as a whole, then append them in batches.
//!
//! The whole input is parsed (on every core) and checked against the log before anything is appended: one broken
//! line anywhere means exit status 1 and an unchanged log, with every problem on stderr as
//! `FILE:LINE: field "x": reason`. Only then is the input appended, in batches, each acknowledged once durable.
//! The data directory is locked by this process, so nothing can change the log between the check and the appends.

use std::io::{IsTerminal as _, Read as _, Write as _};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

pub(crate) mod spill;
pub(crate) mod text;
mod wide;

use crate::cli::GlobalArgs;
use crate::domain::event::Event;
use crate::domain::wire::{WireError, is_blank_line, parse_event};
use crate::log::{AppendError, Log};
use crate::rules::{Rejection, judge_batch};

/// What `import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Events, one JSON object a line (docs/events.md).
    Ndjson,
    /// Calendar scrapers' wide snapshots: `date,source_id,location_id,` then a column per slot (docs/events.md).
    WideCsv,
}

/// Arguments of `import`.
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// NDJSON files, one event per line (`-` reads stdin; blank lines are skipped), or wide snapshot CSVs.
    #[arg(required = true)]
    pub files: Vec<String>,
    /// The files' format; left out, a file whose first line starts `date,source_id,location_id` is a wide
    /// snapshot CSV and any other NDJSON.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Wide CSV only: a CSV with the header `source_id,location_id,office[,name]` mapping locations to office ids
    /// (and display names, which become `office_described`); unmapped pairs become `<source_id>-<location_id>`.
    #[arg(long, value_name = "FILE")]
    pub office_map: Option<std::path::PathBuf>,
    /// Validate only: report what would be appended, append nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Events per appended batch.
    #[arg(long, default_value_t = 10_000, hide = true, value_parser = clap::value_parser!(u64).range(1..))]
    pub batch_size: u64,
    /// Print `ack POSITION` on stdout after each durable batch (the crash test reads these).
    #[arg(long, hide = true)]
    pub ack: bool,
}

/// Where a line came from.
#[derive(Debug, Clone, Copy)]
struct Origin {
    file: usize,
    line: usize,
}

/// Validates all input, then appends it; exit 1 with every problem when any line is rejected.
pub fn run(global: &GlobalArgs, args: &ImportArgs) -> anyhow::Result<ExitCode> {
    let format = match args.format {
        Some(format) => format,
        None => sniff(&args.files)?,
    };
    if format == Format::WideCsv {
        let offices = match &args.office_map {
            Some(path) => wide::office_map(path)?,
            None => Default::default(),
        };
        let reading = crate::mapping::wide::Reading { zone: global.tz, offices };
        let log = global.open_log().context("cannot import")?;
        return wide::run(&log, &reading, &args.files, args.dry_run);
    }
    if args.office_map.is_some() {
        anyhow::bail!("--office-map: only wide snapshot CSVs (--format wide-csv) take it");
    }
    let log = global.open_log().context("cannot import")?;
    let texts = args.files.iter().map(|name| read_input(name)).collect::<anyhow::Result<Vec<String>>>()?;
    let mut lines = Vec::new();
    for (file, text) in texts.iter().enumerate() {
        for (i, line) in text.lines().enumerate() {
            if !is_blank_line(line) {
                lines.push((Origin { file, line: i + 1 }, line));
            }
        }
    }
    let parsed = parse_all(&lines);

    // The same policy as the HTTP API: every problem of every line, parse errors and rule breaks, in input order.
    let (events, outcomes) =
        match judge_batch(parsed, true, |events| log.check(events)).context("cannot read the log")? {
            Ok((events, outcomes)) => (events, outcomes.unwrap_or_default()),
            Err(rejection) => {
                report(&args.files, &lines, &rejection);
                return Ok(ExitCode::FAILURE);
            }
        };
    let new = outcomes.iter().filter(|o| matches!(o, crate::rules::Outcome::New(_))).count();
    if args.dry_run {
        let head = log.head();
        println!(
            "dry run: {} events valid, would append {new}, duplicates {}, log unchanged at position {}",
            events.len(),
            events.len() - new,
            head.position
        );
        return Ok(ExitCode::SUCCESS);
    }
    append_all(&log, events.len() as u64, events.into_iter().map(Ok), args.batch_size, args.ack)
}

/// The format of the files by their first lines: all wide snapshot CSVs, or all NDJSON.
fn sniff(files: &[String]) -> anyhow::Result<Format> {
    let mut formats = files.iter().filter(|f| *f != "-").map(|name| {
        let mut first = String::new();
        let file = std::fs::File::open(name).with_context(|| format!("cannot read {name}"))?;
        std::io::BufRead::read_line(&mut std::io::BufReader::new(file), &mut first)
            .with_context(|| format!("cannot read {name}"))?;
        let wide = crate::mapping::wide::is_wide_header(first.trim_end());
        anyhow::Ok((name, if wide { Format::WideCsv } else { Format::Ndjson }))
    });
    let Some(first) = formats.next().transpose()? else { return Ok(Format::Ndjson) };
    for other in formats {
        let other = other?;
        if other.1 != first.1 {
            anyhow::bail!("{} and {} are of different formats; import them one format at a time", first.0, other.0);
        }
    }
    Ok(first.1)
}

fn read_input(name: &str) -> anyhow::Result<String> {
    let mut text = String::new();
    if name == "-" {
        std::io::stdin().lock().read_to_string(&mut text).context("cannot read stdin")?;
    } else {
        std::fs::File::open(name)
            .and_then(|mut f| f.read_to_string(&mut text))
            .with_context(|| format!("cannot read {name}"))?;
    }
    Ok(text)
}

/// Parses every line, on as many threads as there are cores; the results are in line order.
fn parse_all(lines: &[(Origin, &str)]) -> Vec<Result<Event, Vec<WireError>>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = lines.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = lines
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(|(_, text)| parse_event(text)).collect::<Vec<_>>()))
            .collect();
        workers.into_iter().flat_map(|w| w.join().expect("a parser thread does not panic")).collect()
    })
}

/// Prints the first problems (as many as the HTTP API lists) as `FILE:LINE: field "x": reason (status)`, in input
/// order, and how many there are in all.
fn report(files: &[String], lines: &[(Origin, &str)], rejection: &Rejection) {
    let stderr = std::io::stderr();
    let mut err = stderr.lock();
    for violation in &rejection.listed {
        let origin = lines[violation.index].0;
        let name = if files[origin.file] == "-" { "<stdin>" } else { &files[origin.file] };
        let _ = writeln!(err, "{name}:{}: {violation} ({})", origin.line, violation.status.code());
    }
    if rejection.total > rejection.listed.len() {
        let _ = writeln!(err, "... and {} more problems", rejection.total - rejection.listed.len());
    }
    let _ = writeln!(err, "import rejected: {} problem(s), nothing appended", rejection.total);
}

/// Appends `events` (already judged) in batches of `batch_size`, with a progress bar on a terminal; `ack` prints
/// each batch's last position as it becomes durable.
pub(crate) fn append_all(
    log: &Log,
    total: u64,
    events: impl Iterator<Item = anyhow::Result<Event>>,
    batch_size: u64,
    ack: bool,
) -> anyhow::Result<ExitCode> {
    let progress = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(total)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let stdout = std::io::stdout();
    let (mut appended, mut duplicates) = (0, 0);
    let mut iter = events;
    loop {
        let batch: Vec<Event> = iter.by_ref().take(batch_size as usize).collect::<anyhow::Result<_>>()?;
        if batch.is_empty() {
            break;
        }
        let size = batch.len() as u64;
        let receipt = match log.append(batch) {
            Ok(receipt) => receipt,
            Err(AppendError::Rejected(violations)) => {
                // Cannot happen while this process holds the directory; say so plainly should it ever.
                anyhow::bail!(
                    "a batch was rejected after validation ({} violations, first: {}); {appended} events were appended",
                    violations.len(),
                    violations.first().map(ToString::to_string).unwrap_or_default()
                );
            }
            Err(e @ AppendError::Storage(_)) => anyhow::bail!(
                "{e}. {appended} events of the input were appended (and {duplicates} were already stored) before \
                 it, in whole batches; run the same import again once the store can be written to append the \
                 rest exactly once"
            ),
            Err(e) => return Err(e).context(format!("append failed after {appended} events were appended")),
        };
        appended += receipt.appended;
        duplicates += receipt.duplicates;
        progress.inc(size);
        if ack {
            let mut out = stdout.lock();
            writeln!(out, "ack {}", receipt.last_position).and_then(|()| out.flush()).context("cannot write ack")?;
        }
    }
    progress.finish_and_clear();
    Ok(appended_line(log, appended, duplicates))
}

/// The summary line of an import once everything is appended: `appended N, duplicates M, last position P, digest D`.
fn appended_line(log: &Log, appended: usize, duplicates: usize) -> ExitCode {
    let head = log.head();
    println!(
        "appended {appended}, duplicates {duplicates}, last position {}, digest {}",
        head.position,
        hex::encode(head.digest)
    );
    ExitCode::SUCCESS
}
