//! `wartezeit import-appointments --mapping MAPPING.toml [--dry-run] FILE...`: an appointment list exported by an
//! appointment system (CSV, comma or semicolon, UTF-8 or Windows-1252) turned into events by a mapping
//! ([`crate::mapping`]) and appended all or nothing, as `import` appends NDJSON.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

use crate::cli::GlobalArgs;
use crate::domain::event::Event;
use crate::domain::wire::{parse_event, to_json_line};
use crate::mapping::{Mapper, Mapping, Row, map_rows};
use crate::rules::judge_batch;

/// Arguments of `wartezeit import-appointments`.
#[derive(Debug, Clone, Args)]
pub struct ImportAppointmentsArgs {
    /// The mapping (TOML): the source's name and encoding, the columns, the status values, office and service ids.
    #[arg(long)]
    pub mapping: std::path::PathBuf,
    /// The exported lists (CSV).
    #[arg(required = true)]
    pub files: Vec<std::path::PathBuf>,
    /// Map and check everything, print the report, append nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Where an event came from: the file and its line.
struct Origin {
    file: usize,
    line: u64,
}

/// Runs `wartezeit import-appointments`.
pub fn run(global: &GlobalArgs, args: &ImportAppointmentsArgs) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.mapping)
        .with_context(|| format!("cannot read the mapping {}", args.mapping.display()))?;
    let mapping: Mapping =
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("mapping {}: {e}", args.mapping.display()))?;
    let mut events: Vec<Event> = Vec::new();
    let mut origins: Vec<Origin> = Vec::new();
    let mut rows = 0;
    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    let mut problems = 0;
    let mut err = std::io::stderr().lock();
    for (file, path) in args.files.iter().enumerate() {
        let name = path.display();
        let bytes = std::fs::read(path).with_context(|| format!("cannot read {name}"))?;
        let text = decode(&bytes, mapping.source.encoding.as_deref()).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        let delimiter = mapping.source.delimiter.unwrap_or_else(|| sniff(&text));
        let delimiter = u8::try_from(delimiter).map_err(|_| anyhow::anyhow!("mapping: the delimiter must be ASCII"))?;
        let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).from_reader(text.as_bytes());
        let header: Vec<String> =
            reader.headers().with_context(|| format!("{name}: no header line"))?.iter().map(str::to_owned).collect();
        let mapper = Mapper::new(&mapping, &header).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        let mut list = Vec::new();
        for record in reader.records() {
            let record = record.with_context(|| format!("{name}: not CSV"))?;
            let line = line_of(&text, record.position().map_or(0, csv::Position::byte));
            list.push(Row { line, cells: record.iter().map(str::to_owned).collect() });
        }
        match map_rows(&mapper, list) {
            Ok(mapped) => {
                rows += mapped.rows;
                for (status, n) in mapped.statuses {
                    *statuses.entry(status).or_default() += n;
                }
                for (line, event) in mapped.events {
                    origins.push(Origin { file, line });
                    events.push(event);
                }
            }
            Err(found) => {
                for problem in &found {
                    let _ = writeln!(err, "{name}:{}", problem.to_string().trim_start_matches("line "));
                }
                problems += found.len();
            }
        }
    }
    if problems > 0 {
        let _ = writeln!(err, "import rejected: {problems} row(s) cannot be mapped, nothing appended");
        return Ok(ExitCode::FAILURE);
    }
    // Every event goes through the wire parser once, so an export's dates meet the same bounds as any event's.
    let parsed: Vec<_> = events.iter().map(|e| parse_event(&to_json_line(e))).collect();
    let log = global.open_log().context("cannot import")?;
    let judged = judge_batch(parsed, true, |batch| log.check(batch)).context("cannot read the log")?;
    let (events, outcomes) = match judged {
        Ok((events, outcomes)) => (events, outcomes.unwrap_or_default()),
        Err(rejection) => {
            for violation in &rejection.listed {
                let origin = &origins[violation.index];
                let name = args.files[origin.file].display();
                let _ = writeln!(err, "{name}:{}: {violation} ({})", origin.line, violation.status.code());
            }
            let _ = writeln!(err, "import rejected: {} problem(s), nothing appended", rejection.total);
            return Ok(ExitCode::FAILURE);
        }
    };
    drop(err);
    let new = outcomes.iter().filter(|o| matches!(o, crate::rules::Outcome::New(_))).count();
    let mut by_type: BTreeMap<&str, usize> = BTreeMap::new();
    for event in &events {
        *by_type.entry(event.kind.type_name()).or_default() += 1;
    }
    let types: Vec<String> = by_type.iter().map(|(t, n)| format!("{t} {n}")).collect();
    let statuses: Vec<String> = statuses.iter().map(|(s, n)| format!("{s:?} {n}")).collect();
    println!("rows {rows}; status values: {}", statuses.join(", "));
    println!("events {}: {}; new {new}, already stored {}", events.len(), types.join(", "), events.len() - new);
    if args.dry_run {
        println!("dry run: nothing appended, log unchanged at position {}", log.head().position);
        return Ok(ExitCode::SUCCESS);
    }
    crate::cli::import::append_all(&log, events, 10_000, false)
}

/// The line (from 1) of the record starting at byte `at`. csv's own line count lags by one after a CRLF (it reads
/// the LF of the line before as part of the next record), so it is counted here from the byte offset.
fn line_of(text: &str, at: u64) -> u64 {
    let at = usize::try_from(at).unwrap_or(usize::MAX).min(text.len());
    let start = at + text[at..].bytes().take_while(|b| matches!(b, b'\r' | b'\n')).count();
    text.as_bytes()[..start].iter().filter(|b| **b == b'\n').count() as u64 + 1
}

/// The text of an export in `encoding` (UTF-8 by default, with or without a byte order mark).
fn decode(bytes: &[u8], encoding: Option<&str>) -> Result<String, String> {
    match encoding.map(str::to_ascii_lowercase).as_deref() {
        None | Some("utf-8") | Some("utf8") => {
            let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
            String::from_utf8(bytes.to_vec()).map_err(|e| {
                let line = bytes[..e.utf8_error().valid_up_to()].iter().filter(|b| **b == b'\n').count() + 1;
                format!("line {line}: not UTF-8; set [source] encoding = \"windows-1252\" for a German Excel export")
            })
        }
        Some("windows-1252") | Some("cp1252") | Some("latin1") | Some("iso-8859-1") => {
            Ok(encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0.into_owned())
        }
        Some(other) => Err(format!("encoding {other:?} is not known; use utf-8 or windows-1252")),
    }
}

/// The separator of a CSV text: `;` or `,`, whichever its first line holds more of.
fn sniff(text: &str) -> char {
    let first = text.lines().next().unwrap_or_default();
    if first.matches(';').count() > first.matches(',').count() { ';' } else { ',' }
}
