//! `wartezeit import-appointments (--preset NAME | --mapping MAPPING.toml) [--dry-run] [--skip-invalid] FILE...`:
//! appointment exports (CSV, XLSX, ZMS JSON) turned into events ([`crate::mapping`]) and appended all or nothing,
//! as `import` appends NDJSON. The report comes first: rows read, status values, events by type, what was skipped
//! and why.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

use crate::cli::GlobalArgs;
use crate::cli::import::spill::{Placed, Sorted, Sorter};
use crate::cli::import::text;
use crate::domain::event::{Event, Instant};
use crate::domain::id::{AppointmentId, OfficeId};
use crate::domain::wire::{parse_event, to_json_line};
use crate::mapping::{self, Mapper, Mapping, Read, Row, RowError, Version, presets, snapshot, zms};

/// Arguments of `wartezeit import-appointments`.
#[derive(Debug, Clone, Args)]
pub struct ImportAppointmentsArgs {
    /// A mapping (TOML): the source's name and encoding, the columns, the status values, office and service ids.
    /// With `--preset zms`, only `[source]`, `[offices]` (scope id → office id) and `[services]`.
    #[arg(long)]
    pub mapping: Option<PathBuf>,
    /// A mapping that ships with wartezeit: zms (ZMS/eappointment JSON), qmatic, generic-de.
    #[arg(long)]
    pub preset: Option<String>,
    /// Print a list preset's mapping (to start a mapping of your own from it) and exit.
    #[arg(long, exclusive = true)]
    pub print_preset: Option<String>,
    /// The exports: CSV (`,` or `;`), XLSX, or JSON (ZMS).
    #[arg(required_unless_present_any = ["print_preset", "opening_hours", "closures"])]
    pub files: Vec<PathBuf>,
    /// Opening hours that become `capacity_planned`: a list (CSV or XLSX: office, valid_from, weekday, start, end,
    /// slot_minutes, desks; or Standort, gültig ab, Wochentag, von, bis, Taktung, Plätze) or ZMS availability
    /// entities (JSON).
    #[arg(long)]
    pub opening_hours: Vec<PathBuf>,
    /// Closures that become `closure_declared`: a list (CSV or XLSX: office, closure_id, first_day, last_day, cause,
    /// reason; or Standort, Kennung, von, bis, Grund, Bemerkung).
    #[arg(long)]
    pub closures: Vec<PathBuf>,
    /// When the plans and closures were decided (local time, e.g. `2020-05-20T12:00`); default: the start of the
    /// first day each applies to.
    #[arg(long)]
    pub planned_at: Option<String>,
    /// The sheet of XLSX files (default: the mapping's `[source] sheet`, else the first).
    #[arg(long)]
    pub sheet: Option<String>,
    /// Read the files as snapshots of the current list (e.g. nightly exports), compared with what the log holds,
    /// instead of as histories whose rows carry their own times.
    #[arg(long)]
    pub snapshot: bool,
    /// When the snapshot was exported (local time, e.g. `2020-06-24T22:00`); without it, each file's name must
    /// hold its export time (`termine-2020-06-24T2200.csv`; a date alone means the end of that day).
    #[arg(long, requires = "snapshot")]
    pub exported_at: Option<String>,
    /// Map and check everything, print the report, append nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Send the events to a running service (its address, e.g. `https://wartezeit.stadt.example`) as `push`
    /// does — in batches, resumable, retried — instead of appending to `--data-dir`. The service judges the rules.
    #[arg(long, value_name = "URL", requires = "token_file", conflicts_with_all = ["snapshot", "dry_run"])]
    pub to: Option<String>,
    /// The write token for `--to`, read from this file.
    #[arg(long, value_name = "FILE", requires = "to")]
    pub token_file: Option<PathBuf>,
    /// Append what can be appended: rows that cannot be, and the other rows of their appointments, are set aside
    /// in the `--rejected` file with their reasons.
    #[arg(long)]
    pub skip_invalid: bool,
    /// Where `--skip-invalid` writes the rows it set aside (CSV: file, line, column, value, reason; default
    /// `rejected.csv` next to the first export).
    #[arg(long, requires = "skip_invalid")]
    pub rejected: Option<PathBuf>,
    /// How many rows (and events) are sorted in memory at a time; more go to sorted runs in temporary files, so
    /// that memory does not grow with the export.
    #[arg(long, value_name = "N", default_value_t = 250_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub sort_rows: u64,
    /// Where the sorted runs of a long export are written (default: the system's temporary directory, `TMPDIR`).
    #[arg(long, value_name = "DIR")]
    pub temp_dir: Option<PathBuf>,
}

/// How the exports are read.
enum Reader {
    List(Box<Mapping>),
    Zms(zms::Options),
    /// Only opening hours and closures, without a mapping.
    Calendar,
}

impl Reader {
    fn source(&self) -> &str {
        match self {
            Reader::List(mapping) => &mapping.source.name,
            Reader::Zms(options) => &options.source,
            Reader::Calendar => "calendar",
        }
    }

    fn zone(&self) -> anyhow::Result<crate::domain::time::Zone> {
        match self {
            Reader::List(mapping) => {
                crate::domain::time::Zone::parse(mapping.source.timezone.as_deref().unwrap_or("Europe/Berlin"))
                    .map_err(anyhow::Error::msg)
            }
            Reader::Zms(options) => Ok(options.zone),
            Reader::Calendar => Ok(crate::domain::time::Zone::default()),
        }
    }

    fn offices(&self) -> BTreeMap<String, String> {
        match self {
            Reader::List(mapping) => mapping.offices.clone(),
            Reader::Zms(options) => options.offices.clone(),
            Reader::Calendar => BTreeMap::new(),
        }
    }
}

/// How rows become events: each row carries its own times, or each file is a snapshot compared with the log.
enum Mode {
    History,
    Snapshot {
        /// The appointments the log holds before the import.
        book: snapshot::Book,
        /// Each file's export time, by file index.
        exported: Vec<Instant>,
    },
}

impl Mode {
    /// Snapshot mode: each file compared with the log's appointments and the snapshots before it, in the order of
    /// their export times; the appointments whose rows contradict the log, and those that vanished.
    fn snapshot(
        &self,
        source: &str,
        read: &Read,
        calendar: &[(mapping::Origin, Event)],
        skip: bool,
        sorting: &Sorting<'_>,
    ) -> anyhow::Result<Made> {
        let Mode::Snapshot { book, exported } = self else { anyhow::bail!("not in snapshot mode") };
        let mut book = book.clone();
        let mut order: Vec<usize> = (0..exported.len()).collect();
        order.sort_by_key(|file| exported[*file]);
        let mut out = Spiller::new(sorting);
        let (mut vanished, mut set_aside) = (BTreeSet::new(), Vec::new());
        for file in order {
            let versions: Vec<_> = read.versions.iter().filter(|v| v.file as usize == file).cloned().collect();
            let difference = snapshot::compare(source, &mut book, &versions, exported[file]);
            for (origin, event) in difference.events {
                out.push(origin, event)?;
            }
            // A row that contradicts the log makes no event; with --skip-invalid it is set aside, the rest stays.
            match skip {
                true => set_aside.extend(difference.problems),
                false => out.problems.extend(difference.problems.into_iter().map(|p| (None, p))),
            }
            // What a later snapshot lists again has not vanished after all.
            for v in &versions {
                vanished.remove(&(v.office.clone(), v.appointment.clone()));
            }
            vanished.extend(difference.vanished);
        }
        let extras = mapping::extras(source, read).into_iter().chain(calendar.iter().cloned()).collect();
        for (origin, event) in distinct(extras, &mut out.problems) {
            out.push(origin, event)?;
        }
        let (events, problems) = out.finish()?;
        Ok(Made { events, problems, set_aside, vanished: vanished.into_iter().collect() })
    }
}

/// Snapshot mode: the log's appointments, and each file's export time.
fn snapshots(args: &ImportAppointmentsArgs, reader: &Reader, log: &crate::log::Log) -> anyhow::Result<Mode> {
    let zone = reader.zone()?;
    if args.exported_at.is_some() && args.files.len() > 1 {
        anyhow::bail!("--exported-at names the time of one snapshot; with several, each file's name holds its time");
    }
    let mut exported = Vec::new();
    for path in &args.files {
        let local = match &args.exported_at {
            Some(text) => mapping::table::parse_local(text, None).ok_or_else(|| {
                anyhow::anyhow!("--exported-at {text:?} is not a date and time like 2020-06-24T22:00")
            })?,
            None => {
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                mapping::snapshot::exported_at_in_name(name).ok_or_else(|| {
                    anyhow::anyhow!(
                        "{}: its name holds no export time (like termine-2020-06-24T2200.csv); give --exported-at",
                        path.display()
                    )
                })?
            }
        };
        let at = mapping::table::local_instant(zone, local)
            .ok_or_else(|| anyhow::anyhow!("{}: the export time {local} does not exist in the zone", path.display()))?;
        exported.push(at);
    }
    let mut book = snapshot::Book::new();
    for entry in log.scan(1) {
        snapshot::note(&mut book, &entry.context("cannot read the log")?.event);
    }
    Ok(Mode::Snapshot { book, exported })
}

/// Runs `wartezeit import-appointments`.
///
/// The rows are read file by file and, in history mode, sorted by appointment on disk as they come; each
/// appointment's history is made from its rows and its events sorted by time on disk; the events are checked
/// against the log batch by batch as if the earlier batches had been appended; only then is anything appended,
/// read back from the sorted runs. What is held in memory besides the log's own state is one sort buffer
/// (`--sort-rows`) and what the rules remember of each appointment checked.
pub fn run(global: &GlobalArgs, args: &ImportAppointmentsArgs) -> anyhow::Result<ExitCode> {
    if let Some(name) = &args.print_preset {
        let preset = presets::find(name).map_err(anyhow::Error::msg)?;
        let text = preset.mapping.ok_or_else(|| {
            anyhow::anyhow!("the {name} preset reads JSON with fixed field names; it has no mapping to print")
        })?;
        print!("{text}");
        return Ok(ExitCode::SUCCESS);
    }
    let reader = reader(args)?;
    let inputs: Vec<Input> =
        args.files.iter().map(|path| Input { name: path.display().to_string(), path: path.as_path() }).collect();
    let sorting =
        Sorting { rows: usize::try_from(args.sort_rows).unwrap_or(usize::MAX), dir: args.temp_dir.as_deref() };
    let progress = bar(inputs.len() as u64, "reading {pos}/{len} {msg}");
    let mut read = Read::default();
    // History mode sorts the rows by appointment as they are read; snapshot mode compares each file whole.
    let mut rows = (!args.snapshot).then(|| Sorter::<Version>::new(sorting.rows, sorting.dir));
    for (file, input) in inputs.iter().enumerate() {
        progress.set_message(input.name.clone());
        read_file(&reader, input, args.sheet.as_deref(), &mut |mut one: Read| {
            number(&mut one, file as u32);
            merge(&mut read, one);
            if let Some(rows) = &mut rows {
                for version in read.versions.drain(..) {
                    rows.push(version)?;
                }
            }
            Ok(())
        })?;
        progress.inc(1);
    }
    progress.finish_and_clear();
    let rows = rows.map(Sorter::finish).transpose()?;
    let calendar_files: Vec<String> =
        args.opening_hours.iter().chain(&args.closures).map(|p| p.display().to_string()).collect();
    let names: Vec<&str> =
        inputs.iter().map(|i| i.name.as_str()).chain(calendar_files.iter().map(String::as_str)).collect();
    let calendar = calendar_events(args, &reader, inputs.len(), &mut read)?;

    // With --to the service judges and stores; there is no local log (and no snapshot mode, which needs one).
    let log = match &args.to {
        Some(_) => None,
        None => Some(global.open_log().context("cannot import")?),
    };
    let mode = match &log {
        Some(log) if args.snapshot => snapshots(args, &reader, log)?,
        _ => Mode::History,
    };
    let source = reader.source();

    // Every round makes the events of the rows not set aside and checks them; with --skip-invalid, a round that
    // finds an appointment that cannot be imported sets it aside and starts again (each round removes at least
    // one appointment). Rows set aside for good (with their reason) are `fixed`; `rejected` names their
    // appointments.
    let mut rejected: BTreeSet<String> = BTreeSet::new();
    let mut fixed: Vec<RowError> = Vec::new();
    if args.skip_invalid {
        for (appointment, problem) in &read.problems {
            rejected.extend(appointment.clone());
            fixed.push(problem.clone());
        }
    }
    let (made, summary) = loop {
        let made = match &mode {
            Mode::History => {
                let rows = rows.as_ref().context("history mode sorts the rows")?;
                let extras = mapping::extras(source, &read).into_iter().chain(calendar.iter().cloned()).collect();
                grouped(source, rows, extras, &Skipping::new(args.skip_invalid, &rejected, &fixed), &sorting)?
            }
            Mode::Snapshot { .. } => {
                fixed.extend(without(&mut read, &rejected));
                mode.snapshot(source, &read, &calendar, args.skip_invalid, &sorting)?
            }
        };
        let mut problems = if args.skip_invalid { Vec::new() } else { read.problems.clone() };
        problems.extend(made.problems.iter().cloned());
        if !problems.is_empty() {
            if !args.skip_invalid {
                return refuse(&names, &problems, &read);
            }
            let before = rejected.len();
            rejected.extend(problems.iter().filter_map(|(a, _)| a.clone()));
            anyhow::ensure!(
                rejected.len() > before,
                "{}: the export's names, walk-ins or plans cannot be imported ({}); nothing appended",
                names[problems[0].1.file as usize],
                problems[0].1
            );
            fixed.extend(problems.into_iter().map(|(_, p)| p));
            continue;
        }
        let Some(log) = &log else { break (made, None) };
        match check(log, &made.events)? {
            Verdict::Passed(summary) => break (made, Some(summary)),
            Verdict::Broken(broken) if args.skip_invalid => {
                let before = rejected.len();
                for (origin, appointment, violation) in broken {
                    rejected.extend(appointment);
                    fixed.push(RowError {
                        file: origin.0,
                        line: origin.1,
                        column: violation.field.clone(),
                        value: None,
                        reason: format!("{} ({})", violation.reason, violation.status.code()),
                    });
                }
                anyhow::ensure!(
                    rejected.len() > before,
                    "the log rejects events that belong to no appointment; nothing appended"
                );
            }
            Verdict::Broken(broken) => {
                let mut err = std::io::stderr().lock();
                for ((file, line), _, violation) in &broken {
                    let _ =
                        writeln!(err, "{}:{line}: {violation} ({})", names[*file as usize], violation.status.code());
                }
                let _ = writeln!(
                    err,
                    "import rejected: {} problem(s) among the first events that break a rule, nothing appended",
                    broken.len()
                );
                return Ok(ExitCode::FAILURE);
            }
        }
    };
    let mut set_aside = fixed;
    set_aside.extend(made.set_aside);
    let (Some(log), Some(summary)) = (log, summary) else {
        let to = args.to.as_deref().unwrap_or_default();
        return send(args, to, &read, &names, &made.events, &set_aside);
    };
    tell(args, &names, &read, &summary, &set_aside)?;
    let vanished = made.vanished;
    if !vanished.is_empty() {
        let shown: Vec<String> = vanished.iter().take(10).map(|(o, a)| format!("{o}/{a}")).collect();
        println!(
            "vanished: {} appointment(s) open in the log are no longer listed, without a final status; nothing is \
             assumed about them: {}{}",
            vanished.len(),
            shown.join(", "),
            if vanished.len() > 10 { ", …" } else { "" }
        );
    }
    if args.dry_run {
        println!("dry run: nothing appended, log unchanged at position {}", log.head().position);
        return Ok(ExitCode::SUCCESS);
    }
    let events = made.events.iter()?.map(|placed| placed.map(|p| p.event));
    crate::cli::import::append_all(&log, made.events.len(), events, 10_000, false)
}

/// Where and how much `import-appointments` sorts.
struct Sorting<'a> {
    /// How many records a sort holds in memory before it writes a run.
    rows: usize,
    /// Where runs are written (default: the system's temporary directory).
    dir: Option<&'a Path>,
}

/// The events of one round, sorted as the log takes them, with what the round found.
struct Made {
    events: Sorted<Placed>,
    /// Rows that cannot be imported, with their appointment where they name one (without --skip-invalid; with it,
    /// only those a round cannot set aside itself).
    problems: Vec<(Option<String>, RowError)>,
    /// The rows this round set aside: those of appointments rejected before, and of appointments whose rows
    /// contradict each other.
    set_aside: Vec<RowError>,
    /// Appointments open in the log that a snapshot no longer lists.
    vanished: Vec<(OfficeId, AppointmentId)>,
}

/// What a round leaves out: with --skip-invalid, the appointments rejected so far (and the rows already set aside
/// with a reason, not to be listed twice).
struct Skipping<'a> {
    on: bool,
    rejected: &'a BTreeSet<String>,
    listed: HashSet<(u32, u64)>,
}

impl<'a> Skipping<'a> {
    fn new(on: bool, rejected: &'a BTreeSet<String>, fixed: &[RowError]) -> Self {
        Skipping { on, rejected, listed: fixed.iter().map(|r| (r.file, r.line)).collect() }
    }

    /// The rows of an appointment set aside because of another of its rows, not those listed already.
    fn set_aside(&self, versions: &[Version], but: Option<(u32, u64)>) -> impl Iterator<Item = RowError> {
        versions
            .iter()
            .filter(move |v| !self.listed.contains(&(v.file, v.line)) && Some((v.file, v.line)) != but)
            .map(set_aside_with_its_appointment)
            .collect::<Vec<_>>()
            .into_iter()
    }
}

/// History mode: the sorted rows, appointment by appointment, into their histories, and with the export's other
/// events into one sorted stream.
fn grouped(
    source: &str,
    rows: &Sorted<Version>,
    extras: Vec<(mapping::Origin, Event)>,
    skipping: &Skipping<'_>,
    sorting: &Sorting<'_>,
) -> anyhow::Result<Made> {
    let ids = mapping::Ids { source };
    let mut out = Spiller::new(sorting);
    let mut set_aside = Vec::new();
    let mut one = |group: &mut Vec<Version>, out: &mut Spiller| -> anyhow::Result<()> {
        let Some(first) = group.first() else { return Ok(()) };
        let appointment = first.appointment.to_string();
        if skipping.on && skipping.rejected.contains(&appointment) {
            set_aside.extend(skipping.set_aside(group, None));
        } else {
            let mut versions: Vec<&Version> = group.iter().collect();
            match mapping::appointment_history(&ids, &mut versions) {
                Ok(events) => {
                    for (origin, event) in events {
                        out.push(origin, event)?;
                    }
                }
                Err(problem) if skipping.on => {
                    set_aside.extend(skipping.set_aside(group, Some((problem.file, problem.line))));
                    set_aside.push(problem);
                }
                Err(problem) => out.problems.push((Some(appointment), problem)),
            }
        }
        group.clear();
        Ok(())
    };
    let mut group: Vec<Version> = Vec::new();
    for version in rows.iter()? {
        let version = version?;
        if group.first().is_some_and(|g| g.office != version.office || g.appointment != version.appointment) {
            one(&mut group, &mut out)?;
        }
        group.push(version);
    }
    one(&mut group, &mut out)?;
    for (origin, event) in distinct(extras, &mut out.problems) {
        out.push(origin, event)?;
    }
    let (events, problems) = out.finish()?;
    Ok(Made { events, problems, set_aside, vanished: Vec::new() })
}

/// Events that are not appointments' (names, walk-ins, plans), each id once: a repeated identical event is kept
/// once, two different events under one id are a problem.
fn distinct(
    mut events: Vec<(mapping::Origin, Event)>,
    problems: &mut Vec<(Option<String>, RowError)>,
) -> Vec<(mapping::Origin, Event)> {
    events.sort_by(|(a, x), (b, y)| (&x.id, a).cmp(&(&y.id, b)));
    let mut kept: Vec<(mapping::Origin, Event)> = Vec::with_capacity(events.len());
    for (origin, event) in events {
        match kept.last() {
            Some((_, last)) if last.id == event.id && crate::rules::identical(last, &event) => {}
            Some((first, last)) if last.id == event.id => problems.push((
                None,
                RowError {
                    file: origin.0,
                    line: origin.1,
                    column: None,
                    value: None,
                    reason: format!("event {} is made here and on line {} with other content", event.id, first.1),
                },
            )),
            _ => kept.push((origin, event)),
        }
    }
    kept
}

/// Events on their way into a sort: written and parsed again in chunks, on as many threads as there are cores
/// ([`round_trip`]), so that an export's dates meet the same bounds as any event's.
struct Spiller {
    sorter: Sorter<Placed>,
    pending: Vec<(mapping::Origin, Event)>,
    problems: Vec<(Option<String>, RowError)>,
}

/// A row that cannot be imported, with its appointment where it names one.
type Problem = (Option<String>, RowError);

/// How many events are parsed again at a time.
const ROUND_TRIP_CHUNK: usize = 20_000;

impl Spiller {
    fn new(sorting: &Sorting<'_>) -> Self {
        Spiller { sorter: Sorter::new(sorting.rows, sorting.dir), pending: Vec::new(), problems: Vec::new() }
    }

    fn push(&mut self, origin: mapping::Origin, event: Event) -> anyhow::Result<()> {
        self.pending.push((origin, event));
        if self.pending.len() >= ROUND_TRIP_CHUNK { self.flush() } else { Ok(()) }
    }

    fn flush(&mut self) -> anyhow::Result<()> {
        let parsed = round_trip(&self.pending);
        for ((origin, event), parsed) in self.pending.drain(..).zip(parsed) {
            match parsed {
                Ok(event) => self.sorter.push(Placed { origin, event })?,
                Err(errors) => {
                    let appointment = appointment_of(&event);
                    self.problems.extend(errors.into_iter().map(|e| {
                        let row =
                            RowError { file: origin.0, line: origin.1, column: e.field, value: None, reason: e.reason };
                        (appointment.clone(), row)
                    }));
                }
            }
        }
        Ok(())
    }

    fn finish(mut self) -> anyhow::Result<(Sorted<Placed>, Vec<Problem>)> {
        self.flush()?;
        Ok((self.sorter.finish()?, self.problems))
    }
}

/// What the log says to the events of an import.
enum Verdict {
    /// Every event may be appended; how many are new, by type.
    Passed(Summary),
    /// The violations of the first batch that breaks a rule: each with its row and appointment.
    Broken(Vec<(mapping::Origin, Option<String>, crate::rules::Violation)>),
}

/// The events of an import, counted.
struct Summary {
    total: u64,
    new: u64,
    by_type: BTreeMap<&'static str, u64>,
}

/// How many events are checked at a time.
const CHECK_BATCH: usize = 10_000;

/// Checks the sorted events against the log batch by batch, each as if the ones before had been appended.
fn check(log: &crate::log::Log, events: &Sorted<Placed>) -> anyhow::Result<Verdict> {
    let mut staging = crate::rules::Staging::default();
    let mut summary = Summary { total: 0, new: 0, by_type: BTreeMap::new() };
    let bar = bar(events.len(), "checking {pos}/{len} events");
    let mut records = events.iter()?;
    let (mut origins, mut batch) = (Vec::with_capacity(CHECK_BATCH), Vec::with_capacity(CHECK_BATCH));
    loop {
        origins.clear();
        batch.clear();
        for record in records.by_ref().take(CHECK_BATCH) {
            let Placed { origin, event } = record?;
            origins.push(origin);
            batch.push(event);
        }
        if batch.is_empty() {
            break;
        }
        match log.check_staged(&mut staging, &batch).context("cannot read the log")? {
            Ok(outcomes) => {
                summary.total += batch.len() as u64;
                summary.new += outcomes.iter().filter(|o| matches!(o, crate::rules::Outcome::New(_))).count() as u64;
                for event in &batch {
                    *summary.by_type.entry(event.kind.type_name()).or_default() += 1;
                }
                bar.inc(batch.len() as u64);
            }
            Err(violations) => {
                bar.finish_and_clear();
                let broken =
                    violations.into_iter().map(|v| (origins[v.index], appointment_of(&batch[v.index]), v)).collect();
                return Ok(Verdict::Broken(broken));
            }
        }
    }
    bar.finish_and_clear();
    Ok(Verdict::Passed(summary))
}

/// A file's place among the inputs and its read rows.
struct Input<'a> {
    name: String,
    path: &'a Path,
}

/// Marks one file's reading with the file's index among the exports.
fn number(one: &mut Read, file: u32) {
    for version in &mut one.versions {
        version.file = file;
    }
    for walk_in in &mut one.walk_ins {
        walk_in.file = file;
    }
    for (_, problem) in &mut one.problems {
        problem.file = file;
    }
    for skipped in &mut one.skipped {
        skipped.file = file;
    }
}

fn reader(args: &ImportAppointmentsArgs) -> anyhow::Result<Reader> {
    let text = match &args.mapping {
        Some(path) => Some((
            path.display(),
            std::fs::read_to_string(path).with_context(|| format!("cannot read the mapping {}", path.display()))?,
        )),
        None => None,
    };
    let preset = args.preset.as_deref().map(presets::find).transpose().map_err(anyhow::Error::msg)?;
    match (preset, text) {
        (Some(preset), None) => Ok(match presets::mapping(&preset) {
            Some(mapping) => Reader::List(Box::new(mapping)),
            None => Reader::Zms(zms::Options::default()),
        }),
        (Some(preset), Some((path, text))) if preset.mapping.is_none() => {
            Ok(Reader::Zms(zms::Options::from_mapping(&text).map_err(|e| anyhow::anyhow!("mapping {path}: {e}"))?))
        }
        (Some(preset), Some(_)) => anyhow::bail!(
            "--preset {} is a mapping itself: give it or --mapping, not both (--print-preset {} prints it to start              your own)",
            preset.name,
            preset.name
        ),
        (None, Some((path, text))) => {
            let mapping: Mapping = toml::from_str(&text).map_err(|e| anyhow::anyhow!("mapping {path}: {e}"))?;
            Ok(Reader::List(Box::new(mapping)))
        }
        (None, None) if args.files.is_empty() => Ok(Reader::Calendar),
        (None, None) => anyhow::bail!("give --preset or --mapping to say how the exports read"),
    }
}

/// A progress bar on a terminal, hidden elsewhere.
fn bar(len: u64, template: &str) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}

/// Every event written and parsed again, as the wire gives it to any reader (the same bounds on dates as any event
/// meets), on as many threads as there are cores; in order.
fn round_trip(events: &[(mapping::Origin, Event)]) -> Vec<Result<Event, Vec<crate::domain::wire::WireError>>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = events.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = events
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || part.iter().map(|(_, e)| parse_event(&to_json_line(e))).collect::<Vec<_>>())
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().expect("a parser thread does not panic")).collect()
    })
}

/// Prints the report, and writes the rows set aside (if any) to the `--rejected` file.
fn tell(
    args: &ImportAppointmentsArgs,
    names: &[&str],
    read: &Read,
    summary: &Summary,
    set_aside: &[RowError],
) -> anyhow::Result<()> {
    print!("{}", report(read, summary, set_aside));
    if !set_aside.is_empty() {
        let first = args.files.iter().chain(&args.opening_hours).chain(&args.closures).next();
        let path = args
            .rejected
            .clone()
            .unwrap_or_else(|| first.and_then(|f| f.parent()).unwrap_or(Path::new(".")).join("rejected.csv"));
        write_rejected(&path, names, set_aside)?;
        println!("set aside {} row(s) with their reasons in {}", set_aside.len(), path.display());
    }
    Ok(())
}

/// `--to`: the events of every row (all of them, or the rest with `--skip-invalid`) sent through the service's API
/// by `push`'s sender. Its state file (beside the first input, `.push-state` added) records the progress, and the
/// mapping is one of its inputs, so that a changed mapping starts the sending over rather than resuming it.
fn send(
    args: &ImportAppointmentsArgs,
    to: &str,
    read: &Read,
    names: &[&str],
    sorted: &Sorted<Placed>,
    set_aside: &[RowError],
) -> anyhow::Result<ExitCode> {
    use crate::cli::push;
    // push keeps what it sends in memory (it resumes by the digest of what was acknowledged).
    let mut summary = Summary { total: 0, new: 0, by_type: BTreeMap::new() };
    let mut events = Vec::new();
    for placed in sorted.iter()? {
        let Placed { origin: (file, line), event } = placed?;
        summary.total += 1;
        *summary.by_type.entry(event.kind.type_name()).or_default() += 1;
        events.push((push::Origin { source: file as usize, line, end: 0 }, event));
    }
    summary.new = summary.total;
    tell(args, names, read, &summary, set_aside)?;
    let target = crate::cli::remote::Target::parse("--to", to).map_err(anyhow::Error::msg)?;
    let token_file = args.token_file.as_deref().context("--to needs --token-file")?;
    let token = crate::cli::remote::Token::read(token_file).map_err(anyhow::Error::msg)?;
    let mut paths: Vec<&Path> = args.files.iter().map(PathBuf::as_path).collect();
    paths.extend(args.opening_hours.iter().chain(&args.closures).map(PathBuf::as_path));
    paths.extend(args.mapping.as_deref());
    let mut sources = Vec::new();
    for path in &paths {
        let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        sources.push(push::Source {
            name: path.display().to_string(),
            fingerprint: push::state::Fingerprint::of(path, &bytes),
        });
    }
    let mut state_path = paths[0].as_os_str().to_os_string();
    state_path.push(".push-state");
    let settings = push::Settings {
        target,
        token,
        limits: push::batches::Limits { events: 5_000, bytes: push::BATCH_BYTES },
        retry_for: std::time::Duration::from_secs(120),
        state_path: PathBuf::from(state_path),
    };
    push::send(&settings, &sources, events)
}

/// The plans and closures of `--opening-hours` and `--closures`; their problems go to `read.problems`. Their
/// files are numbered after the exports' (`first_file` on).
fn calendar_events(
    args: &ImportAppointmentsArgs,
    reader: &Reader,
    first_file: usize,
    read: &mut Read,
) -> anyhow::Result<Vec<(mapping::Origin, Event)>> {
    use mapping::calendar;
    let zone = reader.zone()?;
    let planned_at = match &args.planned_at {
        None => None,
        Some(text) => {
            let local = mapping::table::parse_local(text, None)
                .ok_or_else(|| anyhow::anyhow!("--planned-at {text:?} is not a date and time like 2020-05-20T12:00"))?;
            Some(mapping::table::local_instant(zone, local).ok_or_else(|| {
                anyhow::anyhow!("--planned-at {text:?} does not exist in the zone (a daylight-saving gap)")
            })?)
        }
    };
    let options = calendar::Options { source: reader.source().to_owned(), zone, offices: reader.offices(), planned_at };
    let mut events = Vec::new();
    let files = args.opening_hours.iter().map(|p| (p, true)).chain(args.closures.iter().map(|p| (p, false)));
    for (index, (path, hours)) in files.enumerate() {
        let file = (first_file + index) as u32;
        let name = path.display();
        let extension = path.extension().and_then(|e| e.to_str()).unwrap_or_default().to_ascii_lowercase();
        let found = if extension == "json" {
            anyhow::ensure!(hours, "{name}: closures are read from a list (CSV or XLSX), not JSON");
            let bytes = std::fs::read(path).with_context(|| format!("cannot read {name}"))?;
            let document: serde_json::Value =
                serde_json::from_slice(&bytes).map_err(|e| anyhow::anyhow!("{name}:{}: not JSON: {e}", e.line()))?;
            calendar::plans_from_zms(document, &options)
        } else {
            let (header, rows) = if matches!(extension.as_str(), "xlsx" | "xlsm") {
                xlsx_rows(path, None)
            } else {
                csv_rows(path).map_err(|e| e.to_string())
            }
            .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
            if hours {
                calendar::plans_from_hours(&header, &rows, &options)
            } else {
                calendar::closures(&header, &rows, &options)
            }
        };
        let (found, problems) = found.map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        events.extend(found.into_iter().map(|((_, line), event)| ((file, line), event)));
        read.problems.extend(problems.into_iter().map(|p| (None, RowError { file, ..p })));
    }
    Ok(events)
}

/// Reads one export by its kind, JSON (ZMS), XLSX, else CSV, and hands what its rows become to `deliver`, a list
/// in chunks of [`text::CHUNK_ROWS`] rows.
fn read_file(
    reader: &Reader,
    input: &Input<'_>,
    sheet: Option<&str>,
    deliver: &mut dyn FnMut(Read) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let name = &input.name;
    let extension = input.path.extension().and_then(|e| e.to_str()).unwrap_or_default().to_ascii_lowercase();
    match (reader, extension.as_str()) {
        (Reader::Calendar, _) => anyhow::bail!("{name}: give --preset or --mapping to say how the exports read"),
        (Reader::Zms(options), _) => {
            let bytes = std::fs::read(input.path).with_context(|| format!("cannot read {name}"))?;
            let document: serde_json::Value =
                serde_json::from_slice(&bytes).map_err(|e| anyhow::anyhow!("{name}:{}: not JSON: {e}", e.line()))?;
            drop(bytes);
            let processes = zms::processes(document).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
            deliver(zms::read(&processes, options))
        }
        (Reader::List(_), "json") => {
            anyhow::bail!("{name}: a JSON export is read with --preset zms; a mapping reads CSV and XLSX lists")
        }
        (Reader::List(mapping), "xlsx" | "xlsm") => {
            let (header, mut rows) = xlsx_rows(input.path, sheet.or(mapping.source.sheet.as_deref()))
                .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
            let mapper = Mapper::new(mapping, &header).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
            while !rows.is_empty() {
                let rest = rows.split_off(rows.len().min(text::CHUNK_ROWS));
                deliver(mapper.read(std::mem::replace(&mut rows, rest)))?;
            }
            Ok(())
        }
        (Reader::List(mapping), _) => {
            let text = text::open(input.path, mapping.source.encoding.as_deref())
                .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
            let mut mapper = None;
            text::csv_chunks(text, mapping.source.delimiter, &mut |header, rows| {
                let mapper = match &mut mapper {
                    Some(mapper) => mapper,
                    empty => empty.insert(Mapper::new(mapping, header).map_err(anyhow::Error::msg)?),
                };
                deliver(mapper.read(rows))
            })
            .map_err(|e| anyhow::anyhow!("{name}: {e}"))
        }
    }
}

/// The header and rows of a (short) CSV file.
fn csv_rows(path: &Path) -> anyhow::Result<(Vec<String>, Vec<Row>)> {
    let (mut header, mut all) = (Vec::new(), Vec::new());
    text::csv_chunks(text::open(path, None)?, None, &mut |h, rows| {
        header = h.to_vec();
        all.extend(rows);
        Ok(())
    })?;
    Ok((header, all))
}

/// The header and rows of a sheet of an XLSX workbook, every cell as text (dates as `YYYY-MM-DD HH:MM:SS`, whole
/// numbers without a fraction), with the sheet's row numbers as lines.
fn xlsx_rows(path: &Path, sheet: Option<&str>) -> Result<(Vec<String>, Vec<Row>), String> {
    use calamine::{Data, Reader as _};
    let mut workbook: calamine::Xlsx<_> =
        calamine::open_workbook(path).map_err(|e| format!("not an XLSX file: {e}"))?;
    let names = workbook.sheet_names();
    let chosen = match sheet {
        Some(wanted) => names
            .iter()
            .find(|n| n.as_str() == wanted)
            .ok_or_else(|| format!("has no sheet {wanted:?}; it has {}", names.join(", ")))?
            .clone(),
        None => names.first().ok_or("has no sheet")?.clone(),
    };
    let range = workbook.worksheet_range(&chosen).map_err(|e| format!("sheet {chosen:?}: {e}"))?;
    let first_row = range.start().map_or(0, |(row, _)| row);
    let text = |cell: &Data| -> String {
        match cell {
            Data::Empty => String::new(),
            Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
            Data::Int(i) => i.to_string(),
            Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
            Data::Float(f) => f.to_string(),
            Data::Bool(b) => b.to_string(),
            Data::DateTime(d) => {
                d.as_datetime().map_or_else(|| d.to_string(), |t| t.format("%Y-%m-%d %H:%M:%S").to_string())
            }
            Data::Error(e) => format!("#{e:?}"),
        }
    };
    let mut rows = range.rows().enumerate();
    let header = rows.next().map(|(_, cells)| cells.iter().map(text).collect()).ok_or("the sheet is empty")?;
    let rows = rows
        .filter(|(_, cells)| cells.iter().any(|c| *c != Data::Empty))
        .map(|(i, cells)| Row { line: u64::from(first_row) + i as u64 + 1, cells: cells.iter().map(text).collect() })
        .collect();
    Ok((header, rows))
}

/// Adds one file's reading to all of them.
fn merge(all: &mut Read, one: Read) {
    all.versions.extend(one.versions);
    all.walk_ins.extend(one.walk_ins);
    for (office, name) in one.names.offices {
        mapping::Names::note(&mut all.names.offices, &office, &name);
    }
    for (service, name) in one.names.services {
        mapping::Names::note(&mut all.names.services, &service, &name);
    }
    all.rows += one.rows;
    for (status, n) in one.statuses {
        *all.statuses.entry(status).or_default() += n;
    }
    all.unknown_statuses.extend(one.unknown_statuses);
    all.skipped.extend(one.skipped);
    all.problems.extend(one.problems);
}

/// Removes the rows of `appointments` from `read`, returning them as set aside.
fn without(read: &mut Read, appointments: &BTreeSet<String>) -> Vec<RowError> {
    let (gone, kept): (Vec<_>, Vec<_>) =
        std::mem::take(&mut read.versions).into_iter().partition(|v| appointments.contains(v.appointment.as_str()));
    read.versions = kept;
    gone.iter().map(set_aside_with_its_appointment).collect()
}

/// A row set aside because another row of its appointment was.
fn set_aside_with_its_appointment(v: &Version) -> RowError {
    RowError {
        file: v.file,
        line: v.line,
        column: None,
        value: None,
        reason: format!("another row of appointment {} was set aside", v.appointment),
    }
}

fn appointment_of(event: &Event) -> Option<String> {
    use crate::domain::event::EventKind::*;
    match &event.kind {
        AppointmentBooked { appointment, .. }
        | AppointmentRescheduled { appointment, .. }
        | AppointmentCancelled { appointment, .. }
        | AppointmentAttended { appointment, .. }
        | AppointmentMissed { appointment, .. } => Some(appointment.to_string()),
        _ => None,
    }
}

/// Names every problem, then the unknown status values with their counts; nothing is appended.
fn refuse(names: &[&str], problems: &[(Option<String>, RowError)], read: &Read) -> anyhow::Result<ExitCode> {
    let mut err = std::io::stderr().lock();
    let mut sorted: Vec<&RowError> = problems.iter().map(|(_, p)| p).collect();
    sorted.sort_by_key(|p| (p.file, p.line));
    for problem in sorted.iter().take(100) {
        let _ = writeln!(err, "{}:{}", names[problem.file as usize], problem.to_string().trim_start_matches("line "));
    }
    if sorted.len() > 100 {
        let _ = writeln!(err, "... and {} more", sorted.len() - 100);
    }
    let unknown = &read.unknown_statuses;
    if !unknown.is_empty() {
        let listed: Vec<String> = unknown
            .iter()
            .map(|value| format!("{value:?} ({} rows)", read.statuses.get(value).unwrap_or(&0)))
            .collect();
        let _ = writeln!(err, "unknown status values: {}; add them to [status] in the mapping", listed.join(", "));
    }
    let _ = writeln!(
        err,
        "import rejected: {} row(s) cannot be imported, nothing appended (--skip-invalid appends the rest)",
        problems.len()
    );
    Ok(ExitCode::FAILURE)
}

/// The report: rows, status values, what was skipped, events by type, and how many are new.
fn report(read: &Read, summary: &Summary, set_aside: &[RowError]) -> String {
    let statuses: Vec<String> = read.statuses.iter().map(|(s, n)| format!("{s:?} {n}")).collect();
    let mut out = format!("rows {}; status values: {}\n", read.rows, statuses.join(", "));
    if !read.skipped.is_empty() {
        let mut reasons: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        for s in &read.skipped {
            *reasons.entry((s.value.as_deref().unwrap_or_default(), s.reason.as_str())).or_default() += 1;
        }
        let listed: Vec<String> = reasons.iter().map(|((v, r), n)| format!("{v:?} {n} ({r})")).collect();
        out.push_str(&format!(
            "skipped {} row(s) that hold no appointment: {}\n",
            read.skipped.len(),
            listed.join(", ")
        ));
    }
    if !set_aside.is_empty() {
        out.push_str(&format!("set aside {} row(s) that cannot be imported\n", set_aside.len()));
    }
    let types: Vec<String> = summary.by_type.iter().map(|(t, n)| format!("{t} {n}")).collect();
    out.push_str(&format!(
        "events {}: {}; new {}, already stored {}\n",
        summary.total,
        types.join(", "),
        summary.new,
        summary.total - summary.new
    ));
    out
}

/// Writes the rows set aside as CSV: file, line, column, value, reason.
fn write_rejected(path: &Path, names: &[&str], rows: &[RowError]) -> anyhow::Result<()> {
    let mut writer = csv::Writer::from_path(path).with_context(|| format!("cannot write {}", path.display()))?;
    writer.write_record(["file", "line", "column", "value", "reason"])?;
    let mut sorted: Vec<&RowError> = rows.iter().collect();
    sorted.sort_by_key(|r| (r.file, r.line));
    for row in sorted {
        writer.write_record([
            names[row.file as usize],
            &row.line.to_string(),
            row.column.as_deref().unwrap_or_default(),
            row.value.as_deref().unwrap_or_default(),
            &row.reason,
        ])?;
    }
    writer.flush().with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, FixedOffset, TimeZone};
    use proptest::prelude::*;

    use super::*;
    use crate::domain::event::Channel;
    use crate::domain::id::ServiceId;
    use crate::mapping::Stage;

    /// Rows of a few appointments: each row a stage, a slot, a booking and maybe a change time, in hours from a
    /// start; many contradict each other, as real exports sometimes do.
    fn versions() -> impl Strategy<Value = Vec<Version>> {
        let row = (0u8..6, 0usize..4, 0i64..48, 0i64..24, proptest::option::of(0i64..72));
        proptest::collection::vec(row, 0..40).prop_map(|rows| {
            let start = FixedOffset::east_opt(7200).unwrap().with_ymd_and_hms(2020, 6, 1, 8, 0, 0).unwrap();
            rows.into_iter()
                .enumerate()
                .map(|(i, (appointment, stage, slot, booked, changed))| Version {
                    file: 0,
                    line: i as u64 + 2,
                    appointment: AppointmentId::parse(&format!("T{appointment}")).unwrap(),
                    office: OfficeId::parse(if appointment % 2 == 0 { "kl" } else { "mz" }).unwrap(),
                    service: ServiceId::parse("pass").unwrap(),
                    slot: start + Duration::hours(24 + slot),
                    booked_at: start + Duration::hours(booked),
                    stage: [Stage::Open, Stage::Cancelled, Stage::Attended, Stage::Missed][stage],
                    changed_at: changed.map(|h| start + Duration::hours(h)),
                    channel: Channel::Online,
                })
                .collect()
        })
    }

    proptest! {
        /// The import's histories, made from rows sorted on disk in runs of a few records, are those made in
        /// memory (`mapping::histories`): the same events in the same order, the same rows named.
        #[test]
        fn histories_sorted_on_disk_are_those_made_in_memory(rows in versions(), capacity in 1usize..8) {
            let read = Read { versions: rows.clone(), ..Read::default() };
            let (in_memory, contradictions) = mapping::histories("liste", &read);
            let mut sorter = Sorter::new(capacity, None);
            for version in rows.into_iter().rev() {
                sorter.push(version).unwrap();
            }
            let sorted = sorter.finish().unwrap();
            let (rejected, sorting) = (BTreeSet::new(), Sorting { rows: capacity, dir: None });
            let made = grouped("liste", &sorted, Vec::new(), &Skipping::new(false, &rejected, &[]), &sorting).unwrap();
            let streamed: Vec<(mapping::Origin, Event)> =
                made.events.iter().unwrap().map(|p| p.map(|p| (p.origin, p.event)).unwrap()).collect();
            prop_assert_eq!(streamed, in_memory.events);
            let named = |problems: Vec<(String, RowError)>| -> BTreeSet<(String, u64)> {
                problems.into_iter().map(|(a, p)| (a, p.line)).collect()
            };
            let streamed_problems =
                made.problems.into_iter().map(|(a, p)| (a.unwrap_or_default(), p)).collect();
            prop_assert_eq!(named(streamed_problems), named(contradictions));
        }
    }
}
