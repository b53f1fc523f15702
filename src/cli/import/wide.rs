//! `wartezeit import --format wide-csv`: the wide snapshot CSVs of calendar scrapers ([`crate::mapping::wide`]) as
//! `calendar_observed` events, streamed twice with bounded memory: a first pass maps and checks every row (and
//! the log, in batches), a second appends. Between the two only the event ids and a digest of each are kept, to
//! tell a repeated row (a duplicate) from a different one under the same id (a conflict).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::IsTerminal as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use sha2::{Digest as _, Sha256};

use crate::domain::event::Event;
use crate::domain::id::{EventId, OfficeId};
use crate::log::{AppendError, Log};
use crate::mapping::RowError;
use crate::mapping::wide::{Header, MappedOffice, Reading};
use crate::rules::Outcome;

/// Events checked against the log, and appended, at a time, at most; and free slots in a batch at most (16 bytes
/// each in memory): a batch stays within about 8 MB however wide the calendar.
const BATCH: usize = 1_000;
const BATCH_SLOTS: usize = 500_000;

/// Events on their way to the log, with where each came from, and how many free slots they hold together.
#[derive(Debug, Default)]
struct Batch {
    events: Vec<Event>,
    places: Vec<String>,
    slots: usize,
}

impl Batch {
    fn push(&mut self, place: String, event: Event) {
        if let crate::domain::event::EventKind::CalendarObserved { free_slots, .. } = &event.kind {
            self.slots += free_slots.len();
        }
        self.events.push(event);
        self.places.push(place);
    }

    fn is_full(&self) -> bool {
        self.events.len() >= BATCH || self.slots >= BATCH_SLOTS
    }

    /// The events, leaving the batch empty.
    fn take(&mut self) -> Vec<Event> {
        self.places.clear();
        self.slots = 0;
        std::mem::take(&mut self.events)
    }
}
/// Problems listed at most, as the API lists them.
const LISTED: usize = 100;

/// What the import found, for the report.
#[derive(Debug, Default)]
struct Tally {
    rows: u64,
    observations: u64,
    new: u64,
    duplicates: u64,
    slot_columns: usize,
    left_out: u64,
    descriptions: u64,
    offices: HashSet<OfficeId>,
    problems: Vec<String>,
    problems_total: u64,
}

impl Tally {
    fn problem(&mut self, text: String) {
        self.problems_total += 1;
        if self.problems.len() < LISTED {
            self.problems.push(text);
        }
    }
}

/// Reads the office map: a CSV with the header `source_id,location_id,office` and, optionally, `name`.
pub fn office_map(path: &Path) -> anyhow::Result<BTreeMap<(String, String), MappedOffice>> {
    let name = path.display();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .with_context(|| format!("cannot read --office-map {name}"))?;
    let header = reader.headers().with_context(|| format!("{name}: cannot read the header"))?.clone();
    let column = |wanted: &str| header.iter().position(|h| h.trim().trim_start_matches('\u{feff}') == wanted);
    let (Some(source), Some(location), Some(office)) = (column("source_id"), column("location_id"), column("office"))
    else {
        anyhow::bail!("{name}: the header must name source_id, location_id and office (and may name name)");
    };
    let display = column("name");
    let mut map = BTreeMap::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.with_context(|| format!("{name}:{line}: not CSV"))?;
        let cell = |index: usize| record.get(index).unwrap_or("").trim();
        let id = OfficeId::parse(cell(office))
            .map_err(|e| anyhow::anyhow!("{name}:{line}, column \"office\": {:?} {e}", cell(office)))?;
        let shown = display.map(cell).filter(|n| !n.is_empty()).map(str::to_owned);
        if let Some(shown) = &shown {
            let chars = shown.chars().count();
            if chars > crate::domain::event::MAX_NAME_CHARS || shown.chars().any(char::is_control) {
                anyhow::bail!("{name}:{line}, column \"name\": at most 200 characters and no control characters");
            }
        }
        let key = (cell(source).to_owned(), cell(location).to_owned());
        if map.insert(key.clone(), MappedOffice { office: id, name: shown }).is_some() {
            anyhow::bail!("{name}:{line}: the pair {:?}, {:?} is mapped twice", key.0, key.1);
        }
    }
    Ok(map)
}

/// Each file's rows, mapped, in order: `visit` gets every observation (and office description) or the row's problem.
fn each_row(
    reading: &Reading,
    files: &[String],
    mut visit: impl FnMut(Result<(Event, Option<Event>, u32), (String, RowError)>, &Header) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut described = HashSet::new();
    for (index, name) in files.iter().enumerate() {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_path(name)
            .with_context(|| format!("cannot read {name}"))?;
        let mut records = reader.records();
        let first = records.next().transpose().with_context(|| format!("{name}: cannot read the header"))?;
        let Some(first) = first else { anyhow::bail!("{name}: empty, not a wide snapshot CSV") };
        let header = reading.header(index as u32, first.iter()).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        for record in records {
            let record = record.with_context(|| format!("{name}: not CSV"))?;
            let line = record.position().map_or(0, |p| p.line());
            let mapped = reading.row(&header, index as u32, line, record.iter(), &mut described);
            visit(mapped.map(|o| (o.event, o.description, o.left_out)).map_err(|e| (name.clone(), e)), &header)?;
        }
    }
    Ok(())
}

fn digest(event: &Event) -> [u8; 8] {
    let bytes = crate::log::codec::event_bytes(event);
    Sha256::digest(&bytes)[..8].try_into().expect("8 bytes")
}

/// Imports wide snapshot CSVs: every row checked first, nothing appended unless all map; then appended.
pub fn run(log: &Log, reading: &Reading, files: &[String], dry_run: bool) -> anyhow::Result<ExitCode> {
    if files.iter().any(|f| f == "-") {
        anyhow::bail!("a wide snapshot CSV is read twice (checked, then appended): give files, not stdin");
    }
    let mut tally = Tally::default();
    let mut seen: HashMap<EventId, ([u8; 8], String)> = HashMap::new();
    let mut batch = Batch::default();
    each_row(reading, files, |mapped, header| {
        tally.slot_columns = tally.slot_columns.max(header.slot_columns());
        tally.rows += 1;
        match mapped {
            Err((file, e)) => tally.problem(format!("{file}:{e}")),
            Ok((event, description, left_out)) => {
                tally.observations += 1;
                tally.left_out += u64::from(left_out);
                if let crate::domain::event::EventKind::CalendarObserved { office, .. } = &event.kind {
                    tally.offices.insert(office.clone());
                }
                for event in description.into_iter().chain([event]) {
                    let place = format!("{} (row of {})", event.id, crate::domain::wire::format_instant(&event.at));
                    match seen.get(&event.id) {
                        Some((d, _)) if *d == digest(&event) => tally.duplicates += 1,
                        Some((_, first)) => tally.problem(format!(
                            "{place}: another row, {first}, made an observation of the same office at the same time \
                             with other free slots (409)"
                        )),
                        None => {
                            seen.insert(event.id.clone(), (digest(&event), place.clone()));
                            tally.descriptions += u64::from(event.kind.is_description());
                            batch.push(place, event);
                        }
                    }
                }
                if batch.is_full() {
                    check(log, &mut batch, &mut tally)?;
                }
            }
        }
        Ok(())
    })?;
    check(log, &mut batch, &mut tally)?;
    eprintln!(
        "wide snapshot CSV: {} file(s), {} rows, {} slot columns, {} observations of {} office(s), {} \
         slots left out (at or before the observation's time), {} office description(s)",
        files.len(),
        tally.rows,
        tally.slot_columns,
        tally.observations,
        tally.offices.len(),
        tally.left_out,
        tally.descriptions
    );
    if tally.problems_total > 0 {
        for problem in &tally.problems {
            eprintln!("{problem}");
        }
        if tally.problems_total > tally.problems.len() as u64 {
            eprintln!("... and {} more problems", tally.problems_total - tally.problems.len() as u64);
        }
        eprintln!("import rejected: {} problem(s), nothing appended", tally.problems_total);
        return Ok(ExitCode::FAILURE);
    }
    if dry_run {
        println!(
            "dry run: would append {}, duplicates {}, log unchanged at position {}",
            tally.new,
            tally.duplicates,
            log.head().position
        );
        return Ok(ExitCode::SUCCESS);
    }
    append(log, reading, files, tally.new + tally.duplicates)
}

/// Checks a batch against the log (without appending it) and counts what it would add.
fn check(log: &Log, batch: &mut Batch, tally: &mut Tally) -> anyhow::Result<()> {
    match log.check(&batch.events).context("cannot read the log")? {
        Ok(outcomes) => {
            let fresh = outcomes.iter().filter(|o| matches!(o, Outcome::New(_))).count() as u64;
            tally.new += fresh;
            tally.duplicates += outcomes.len() as u64 - fresh;
        }
        Err(violations) => {
            for v in violations {
                tally.problem(format!("{}: {v} ({})", batch.places[v.index], v.status.code()));
            }
        }
    }
    batch.take();
    Ok(())
}

/// The second pass: the same rows mapped again and appended in batches.
fn append(log: &Log, reading: &Reading, files: &[String], total: u64) -> anyhow::Result<ExitCode> {
    let progress = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(total)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let (mut appended, mut duplicates) = (0, 0);
    let mut seen = HashSet::new();
    let mut batch = Batch::default();
    let mut flush = |batch: &mut Batch| -> anyhow::Result<()> {
        if batch.events.is_empty() {
            return Ok(());
        }
        let size = batch.events.len() as u64;
        let receipt = log.append(batch.take()).map_err(|e| match e {
            AppendError::Storage(_) => anyhow::anyhow!(
                "{e}. {appended} events were appended before it, in whole batches; run the same import again once \
                 the store can be written to append the rest exactly once"
            ),
            e => anyhow::anyhow!("append failed after {appended} events: {e}"),
        })?;
        appended += receipt.appended;
        duplicates += receipt.duplicates;
        progress.inc(size);
        Ok(())
    };
    each_row(reading, files, |mapped, _| {
        let (event, description, _) = mapped.map_err(|(file, e)| anyhow::anyhow!("{file}:{e} (the file changed?)"))?;
        for event in description.into_iter().chain([event]) {
            if seen.insert(event.id.clone()) {
                batch.push(String::new(), event);
            }
        }
        if batch.is_full() {
            flush(&mut batch)?;
        }
        Ok(())
    })?;
    flush(&mut batch)?;
    progress.finish_and_clear();
    Ok(super::appended_line(log, appended, duplicates))
}
