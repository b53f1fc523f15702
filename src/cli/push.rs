//! `wartezeit push --to URL --token-file FILE [--batch-events N] [--state FILE] FILE...`: a long history sent to a
//! running service through `POST /api/v1/events`, in batches, resumable and retried.
//!
//! Every line of every file is parsed first; one bad line anywhere is named (`FILE:LINE: field "x": reason`) and
//! nothing is sent. Then the events go in input order, in batches of at most `--batch-events` events and 4 MiB of
//! NDJSON (the service takes 8 MiB), each sent until the service acknowledges it (a failed connection and 408, 429,
//! 500, 502, 503, 504, 507 are retried with backoff for up to `--retry-for`; ids make a resend idempotent) or
//! refuses it (the violations it lists by index are named by file and line). After every acknowledged batch the
//! progress is written to a state file, so that the same command run again continues after it.
//!
//! The parts: [`batches`] (the arithmetic, pure), [`state`] (the state file); HTTP and the retry policy are the
//! crate's one client, [`crate::cli::remote`], which `backup` shares.
//! [`send`] takes events already validated, each with its [`Origin`], so that another reader (an appointment list's
//! importer) can push what it produces the same way.

pub mod batches;
pub mod state;

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;

use crate::cli::GlobalArgs;
use crate::cli::remote::{self, Failure, Remote, Target, Token};
use crate::domain::event::Event;
use crate::domain::wire::{WireError, is_blank_line, parse_event, to_json_line};
use batches::{Limits, Progress};
use state::{Fingerprint, Prefix, Resume, State};

/// The service's largest request body (`service::MAX_BODY_BYTES`, which `tests/push.rs` holds equal to this).
pub const SERVICE_BODY_LIMIT: usize = 8 * 1024 * 1024;
/// Bytes of NDJSON per request: half the service's limit, a margin for a proxy in front of it that counts
/// differently and for a service configured lower.
pub const BATCH_BYTES: usize = SERVICE_BODY_LIMIT / 2;

/// How many problems of the input are printed before the count of the rest (as many as the API lists).
const LISTED_PROBLEMS: usize = 100;

/// Arguments of `wartezeit push`.
#[derive(Debug, Clone, Args)]
pub struct PushArgs {
    /// The service's address, e.g. `https://wartezeit.stadt.example`; the events go to its `/api/v1/events`.
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// A file holding the write token (surrounding whitespace is ignored). The token is never taken from the
    /// command line, where other users could read it.
    #[arg(long, value_name = "FILE")]
    pub token_file: PathBuf,
    /// Events per request at most; a request also stays within 4 MiB of NDJSON.
    #[arg(long, default_value_t = 5_000, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub batch_events: u64,
    /// The state file that records what the service acknowledged; default: the first FILE with `.push-state`
    /// added to its name.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// How long a batch is retried after its first failure before the push gives up (`90`, `90s`, `10m`, `1h`).
    #[arg(long, default_value = "120s", value_name = "DURATION", value_parser = parse_duration)]
    pub retry_for: Duration,
    /// NDJSON files, one event per line, sent in the order given. Blank lines are skipped.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// Where an event came from, for messages (`FILE:LINE`) and the state file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    /// The input: an index into the push's [`Source`]s.
    pub source: usize,
    /// The line of the input, from 1 (blank lines counted, as an editor counts them).
    pub line: u64,
    /// The byte offset just past the event's line (or record) in the input, which the state file records for the
    /// person reading it; 0 when a reader does not know it. Resuming goes by the count of events, not by this.
    pub end: u64,
}

/// An input of a push. One that holds no events of its own (an importer's mapping, say) belongs here too, so that a
/// change of it is a change of the push.
#[derive(Debug, Clone)]
pub struct Source {
    /// Its name in messages: the path as the person gave it.
    pub name: String,
    /// Its identity in the state file.
    pub fingerprint: Fingerprint,
}

/// How a push is sent, besides what.
#[derive(Debug)]
pub struct Settings {
    /// The service's events endpoint.
    pub target: Target,
    /// The write token.
    pub token: Token,
    /// The size of a request.
    pub limits: Limits,
    /// How long a failing batch is retried.
    pub retry_for: Duration,
    /// Where progress is recorded.
    pub state_path: PathBuf,
}

/// Runs `wartezeit push`: reads and parses every file, then sends (exit 1 naming every bad line, with nothing sent).
pub fn run(_global: &GlobalArgs, args: &PushArgs) -> anyhow::Result<ExitCode> {
    let target = Target::parse("--to", &args.to).map_err(anyhow::Error::msg)?;
    let token = Token::read(&args.token_file).map_err(anyhow::Error::msg)?;
    let mut sources = Vec::new();
    let mut texts = Vec::new();
    for path in &args.files {
        let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        sources.push(Source { name: path.display().to_string(), fingerprint: Fingerprint::of(path, &bytes) });
        texts.push(bytes);
    }
    let names: Vec<String> = sources.iter().map(|s| s.name.clone()).collect();
    let (events, problems) = read_all(&texts);
    drop(texts);
    if !problems.is_empty() {
        let mut err = std::io::stderr().lock();
        for (origin, problem) in problems.iter().take(LISTED_PROBLEMS) {
            let _ = writeln!(err, "{}: {problem}", batches::place(&names, *origin));
        }
        if problems.len() > LISTED_PROBLEMS {
            let _ = writeln!(err, "... and {} more problems", problems.len() - LISTED_PROBLEMS);
        }
        let _ = writeln!(err, "push refused: {} problem(s) in the input, nothing sent", problems.len());
        return Ok(ExitCode::FAILURE);
    }
    let state_path = args.state.clone().unwrap_or_else(|| default_state_path(&args.files[0]));
    let limits = Limits { events: usize::try_from(args.batch_events).unwrap_or(usize::MAX), bytes: BATCH_BYTES };
    send(&Settings { target, token, limits, retry_for: args.retry_for, state_path }, &sources, events)
}

/// `FILE.push-state` beside `first`.
fn default_state_path(first: &Path) -> PathBuf {
    let mut name = first.as_os_str().to_os_string();
    name.push(".push-state");
    PathBuf::from(name)
}

/// Things each with the place in the input it comes from.
type Located<T> = Vec<(Origin, T)>;

/// Every event of the NDJSON `texts` (blank lines skipped) with its origin, or every problem of every line: a line
/// that is not UTF-8 or does not parse, named by its file (the index into `texts`), its line and the field at fault.
fn read_all(texts: &[Vec<u8>]) -> (Located<Event>, Located<String>) {
    let mut lines: Vec<(Origin, Result<&str, String>)> = Vec::new();
    for (source, text) in texts.iter().enumerate() {
        let mut end = 0u64;
        for (i, raw) in text.split_inclusive(|b| *b == b'\n').enumerate() {
            end += raw.len() as u64;
            let origin = Origin { source, line: i as u64 + 1, end };
            let line =
                std::str::from_utf8(raw).map_err(|e| format!("not UTF-8 (byte {} of the line)", e.valid_up_to() + 1));
            match line {
                Ok(line) if is_blank_line(line) => {}
                Ok(line) => lines.push((origin, Ok(line.trim_end_matches(['\n', '\r'])))),
                Err(e) => lines.push((origin, Err(e))),
            }
        }
    }
    let parsed = parse_all(&lines);
    let mut events = Vec::with_capacity(parsed.len());
    let mut problems = Vec::new();
    for ((origin, _), result) in lines.iter().zip(parsed) {
        match result {
            Ok(event) => events.push((*origin, event)),
            Err(errors) => problems.extend(errors.into_iter().map(|e| (*origin, e))),
        }
    }
    (events, problems)
}

/// Parses every line, on as many threads as there are cores; the results are in line order, each an event or every
/// problem of its line.
fn parse_all(lines: &[(Origin, Result<&str, String>)]) -> Vec<Result<Event, Vec<String>>> {
    let parse = |line: &Result<&str, String>| match line {
        Ok(text) => parse_event(text).map_err(|errors| errors.iter().map(WireError::to_string).collect()),
        Err(not_utf8) => Err(vec![not_utf8.clone()]),
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = lines.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = lines
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(|(_, line)| parse(line)).collect::<Vec<_>>()))
            .collect();
        workers.into_iter().flat_map(|w| w.join().expect("a parser thread does not panic")).collect()
    })
}

/// What a push did, for its summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Totals {
    sent: u64,
    appended: u64,
    duplicates: u64,
    batches: u64,
    retries: u64,
    last_position: Option<u64>,
}

impl Totals {
    /// Counts an acknowledged batch of `events` events.
    fn count(&mut self, events: usize, sent: &remote::Sent) {
        self.sent += events as u64;
        self.appended += sent.receipt.appended;
        self.duplicates += sent.receipt.duplicates;
        self.batches += 1;
        self.retries += u64::from(sent.retries);
        self.last_position = Some(sent.receipt.last_position);
    }
}

/// Sends `events` (already parsed, in the order to send, each with its origin among `sources`) to the service in
/// batches, continuing after what the state file at `settings.state_path` records as acknowledged when it is for
/// the same service and inputs, and recording progress there after every acknowledged batch.
///
/// A reader that feeds this must be deterministic: the same inputs (every file it reads belongs in `sources`, the
/// ones without events of their own too) must give the same events in the same order, since a resumed push skips
/// the events the state file counts as acknowledged. The state file also holds a digest of those events, so a
/// reader that changed anyway starts over instead of skipping the wrong ones.
///
/// Exit 1 (with the reason on stderr) when a batch is refused or not acknowledged within `retry_for`; what was
/// acknowledged before it stays recorded, so the same push run again continues there.
pub fn send(settings: &Settings, sources: &[Source], events: Vec<(Origin, Event)>) -> anyhow::Result<ExitCode> {
    let names: Vec<String> = sources.iter().map(|s| s.name.clone()).collect();
    let fingerprints: Vec<Fingerprint> = sources.iter().map(|s| s.fingerprint.clone()).collect();
    let (origins, lines): (Vec<Origin>, Vec<String>) =
        events.into_iter().map(|(origin, event)| (origin, to_json_line(&event))).unzip();
    let mut counts = vec![0u64; sources.len()];
    for origin in &origins {
        if let Some(count) = counts.get_mut(origin.source) {
            *count += 1;
        }
    }
    let total = lines.len();
    let to = settings.target.as_str();
    let shown = settings.state_path.display().to_string();

    let from = starting_point(&settings.state_path, to, &fingerprints, &counts, &lines);
    let mut progress = batches::progress(&origins, sources.len(), from);
    let mut prefix = Prefix::of(&lines[..from]);
    let record = |acknowledged: usize, progress: &[Progress], prefix: &Prefix| {
        let state = State::new(to, &fingerprints, &counts, progress, acknowledged as u64, prefix.hex());
        state::save(&settings.state_path, &state)
    };
    // Written before the first request, so that a state file that cannot be written stops the push before anything
    // is sent rather than after the first batch.
    record(from, &progress, &prefix).with_context(|| {
        format!("cannot write the state file {shown}; give --state FILE in a directory that can be written to")
    })?;
    if total == 0 {
        println!("nothing to send: the input holds no events");
        return Ok(ExitCode::SUCCESS);
    }
    if from == total {
        println!("nothing to send: all {total} events were acknowledged by {to} already (state file {shown})");
        return Ok(ExitCode::SUCCESS);
    }
    if settings.target.is_plain_beyond_loopback() {
        eprintln!("warning: {to} is plain http: the token and the events cross the network unencrypted");
    }

    let remote = Remote::new(settings.target.clone(), settings.token.clone()).map_err(anyhow::Error::msg)?;
    let lengths: Vec<usize> = lines.iter().map(String::len).collect();
    let plan = batches::plan(&lengths, from, settings.limits);
    let bar = progress_bar(total as u64, from as u64);
    let mut totals = Totals::default();
    for (number, batch) in plan.iter().enumerate() {
        let body = body_of(&lines[batch.clone()]);
        let label = format!("batch {} of {} ({})", number + 1, plan.len(), batches::span(&names, &origins, batch));
        let sent = remote.send(&body, settings.retry_for, |retrying| {
            let (reason, retry, wait) = (retrying.reason, retrying.retry, retrying.wait.as_secs_f64());
            bar.suspend(|| eprintln!("{label}: {reason}; retry {retry} in {wait:.1} s"));
        });
        let sent = match sent {
            Ok(sent) => sent,
            Err(failure) => {
                bar.abandon();
                report_failure(&failure, &label, &names, &origins, batch, &shown);
                println!("{}", summary(&totals, from, total, to));
                return Ok(ExitCode::FAILURE);
            }
        };
        if sent.retries > 0 {
            bar.suspend(|| eprintln!("{label}: acknowledged after {} retries", sent.retries));
        }
        batches::advance(&mut progress, &origins[batch.clone()]);
        prefix.extend(&body);
        record(batch.end, &progress, &prefix).with_context(|| {
            format!(
                "{label} was acknowledged, but the state file {shown} cannot be written; running the push again \
                 resends from before it (duplicates, harmless)"
            )
        })?;
        totals.count(batch.len(), &sent);
        bar.set_position(batch.end as u64);
    }
    bar.finish_and_clear();
    println!("{}", summary(&totals, from, total, to));
    Ok(ExitCode::SUCCESS)
}

/// How many events of `lines` (the canonical lines of the push to `to`) to skip: those the state file at `path`
/// records as acknowledged, when it is for this push; it says on stderr when it resumes and when it starts over.
fn starting_point(path: &Path, to: &str, fingerprints: &[Fingerprint], counts: &[u64], lines: &[String]) -> usize {
    let shown = path.display();
    let saved = state::load(path).unwrap_or_else(|e| {
        eprintln!("{e}; it is not used");
        None
    });
    let prefix_of = |n: u64| Prefix::of(&lines[..usize::try_from(n).unwrap_or(usize::MAX).min(lines.len())]).hex();
    match state::resume(saved.as_ref(), to, fingerprints, counts, prefix_of) {
        Resume::Fresh => 0,
        Resume::After(acknowledged) => {
            let acknowledged = usize::try_from(acknowledged).unwrap_or(lines.len()).min(lines.len());
            if acknowledged > 0 && acknowledged < lines.len() {
                eprintln!(
                    "resuming after {acknowledged} of {} events, acknowledged by {to} (state file {shown})",
                    lines.len()
                );
            }
            acknowledged
        }
        Resume::StartOver(why) => {
            eprintln!(
                "state file {shown} is not for this push ({why}): starting from the first event; what the service \
                 holds already comes back as duplicates"
            );
            0
        }
    }
}

/// The NDJSON body of `lines`: each line and a newline.
fn body_of(lines: &[String]) -> Vec<u8> {
    let mut body = Vec::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
    for line in lines {
        body.extend_from_slice(line.as_bytes());
        body.push(b'\n');
    }
    body
}

/// The summary line of a finished push.
fn summary(totals: &Totals, from: usize, total: usize, to: &str) -> String {
    let resumed = if from > 0 { format!(" (resumed after {from} acknowledged before)") } else { String::new() };
    let position = totals.last_position.map_or(String::new(), |p| format!("; log position {p}"));
    format!(
        "sent {} of {total} events to {to} in {} batches{resumed}: appended {}, duplicates {}, retries {}{position}",
        totals.sent, totals.batches, totals.appended, totals.duplicates, totals.retries
    )
}

/// Tells why a batch was not acknowledged: the service's detail and its violations by file and line, and what was
/// acknowledged before.
fn report_failure(
    failure: &Failure,
    label: &str,
    names: &[String],
    origins: &[Origin],
    batch: &std::ops::Range<usize>,
    state_path: &str,
) {
    let mut err = std::io::stderr().lock();
    match failure {
        Failure::Refused { status, problem } => {
            let hint = if *status == 413 {
                "; a proxy in front of the service may take less than it: try a smaller --batch-events"
            } else {
                ""
            };
            let _ = writeln!(err, "{label}: refused with {status}: {}{hint}", problem.detail);
            for violation in &problem.violations {
                let at = batches::origin_in_batch(origins, batch, violation.index)
                    .map_or_else(|| format!("event {} of the batch", violation.index), |o| batches::place(names, o));
                let field = violation.field.as_ref().map_or(String::new(), |f| format!("field {f:?}: "));
                let _ = writeln!(err, "{at}: {field}{} ({})", violation.reason, violation.status);
            }
            let total = problem.violations_total.unwrap_or(problem.violations.len());
            if total > problem.violations.len() {
                let _ = writeln!(err, "... and {} more problems in this batch", total - problem.violations.len());
            }
        }
        Failure::GaveUp { attempts, failing_for, last } => {
            let _ = writeln!(
                err,
                "{label}: not acknowledged after {attempts} attempts in {:.0} s (--retry-for); the last: {last}",
                failing_for.as_secs_f64()
            );
        }
    }
    let then = match failure {
        Failure::Refused { .. } => "correct what was refused and run the same command again",
        Failure::GaveUp { .. } => "run the same command again to continue after them",
    };
    let _ = writeln!(
        err,
        "push stopped: {} events before this batch are acknowledged (recorded in {state_path}); {then}",
        batch.start
    );
}

/// A progress bar at `done` of `total` events on a terminal; hidden when stderr is not one.
fn progress_bar(total: u64, done: u64) -> indicatif::ProgressBar {
    let bar = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(total)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_position(done);
    bar
}

/// A duration as `--retry-for` takes it: whole seconds, or a number followed by `s`, `m` or `h`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let seconds_per = match unit.trim() {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        other => return Err(format!("{text:?}: the unit must be s, m or h, not {other:?}")),
    };
    let n: u64 = number.parse().map_err(|_| format!("{text:?} is not a duration such as 90s, 10m or 1h"))?;
    n.checked_mul(seconds_per)
        .filter(|s| *s <= 7 * 24 * 3600)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{text:?}: at most a week"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_seconds_minutes_or_hours() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("120s"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        for bad in ["", "s", "1.5m", "10 days", "-1", "9999999h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_state_file_lies_beside_the_first_input() {
        assert_eq!(default_state_path(Path::new("a/history.ndjson")), PathBuf::from("a/history.ndjson.push-state"));
    }

    #[test]
    fn every_line_is_read_with_its_file_line_and_end() {
        let good = r#"{"event_id":"h1","type":"holiday_declared","at":"2020-01-01T00:00:00+01:00","date":"2020-05-21","name":"Christi Himmelfahrt"}"#;
        let first = format!("{good}\n\n{}\r\n", good.replace("h1", "h2")).into_bytes();
        let second = good.replace("h1", "h3").into_bytes();
        let (events, problems) = read_all(&[first.clone(), second.clone()]);
        assert!(problems.is_empty(), "{problems:?}");
        let origins: Vec<Origin> = events.iter().map(|(o, _)| *o).collect();
        let one = good.len() as u64 + 1;
        assert_eq!(
            origins,
            [
                Origin { source: 0, line: 1, end: one },
                Origin { source: 0, line: 3, end: first.len() as u64 },
                Origin { source: 1, line: 1, end: second.len() as u64 },
            ]
        );
        let ids: Vec<&str> = events.iter().map(|(_, e)| e.id.as_str()).collect();
        assert_eq!(ids, ["h1", "h2", "h3"]);
    }

    #[test]
    fn a_bad_line_is_named_with_its_field_and_reason() {
        let text = b"{\"event_id\":\"h1\",\"type\":\"holiday_declared\",\"at\":\"2020-01-01T00:00:00+01:00\",\"date\":\"2020-13-01\",\"name\":\"x\"}\n\xff\n".to_vec();
        let (_, problems) = read_all(&[text]);
        let named: Vec<String> =
            problems.iter().map(|(o, p)| format!("{}: {p}", batches::place(&["f.ndjson".into()], *o))).collect();
        assert_eq!(named.len(), 2, "{named:?}");
        assert!(named[0].starts_with("f.ndjson:1: field \"date\": "), "{named:?}");
        assert_eq!(named[1], "f.ndjson:2: not UTF-8 (byte 1 of the line)");
    }

    #[test]
    fn the_summary_says_what_was_sent_and_what_became_of_it() {
        let totals = Totals { sent: 10, appended: 7, duplicates: 3, batches: 2, retries: 1, last_position: Some(107) };
        assert_eq!(
            summary(&totals, 5, 15, "http://h/api/v1/events"),
            "sent 10 of 15 events to http://h/api/v1/events in 2 batches (resumed after 5 acknowledged before): \
             appended 7, duplicates 3, retries 1; log position 107"
        );
    }
}
