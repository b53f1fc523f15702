//! `wartezeit import-appointments (--preset NAME | --mapping MAPPING.toml) [--dry-run] [--skip-invalid] FILE...`:
//! appointment exports (CSV, XLSX, ZMS JSON) turned into events ([`crate::mapping`]) and appended all or nothing,
//! as `import` appends NDJSON. The report comes first: rows read, status values, events by type, what was skipped
//! and why.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

use crate::cli::GlobalArgs;
use crate::domain::event::{Event, Instant};
use crate::domain::id::{AppointmentId, OfficeId};
use crate::domain::wire::{parse_event, to_json_line};
use crate::mapping::{self, Mapper, Mapping, Read, Row, RowError, presets, snapshot, zms};
use crate::rules::judge_batch;

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

type Events = (mapping::Mapped, Vec<(String, RowError)>, Vec<(OfficeId, AppointmentId)>);

impl Mode {
    /// The events of `read`, the appointments whose rows contradict each other (or the log), and those that
    /// vanished from a snapshot.
    fn events(&self, source: &str, read: &Read) -> Events {
        match self {
            Mode::History => {
                let (mapped, problems) = mapping::histories(source, read);
                (mapped, problems, Vec::new())
            }
            Mode::Snapshot { book, exported } => {
                let mut book = book.clone();
                let mut order: Vec<usize> = (0..exported.len()).collect();
                order.sort_by_key(|file| exported[*file]);
                let (mut events, mut problems, mut vanished) = (Vec::new(), Vec::new(), BTreeSet::new());
                for file in order {
                    let versions: Vec<_> = read.versions.iter().filter(|v| v.file as usize == file).cloned().collect();
                    let difference = snapshot::compare(source, &mut book, &versions, exported[file]);
                    events.extend(difference.events);
                    problems.extend(difference.problems.into_iter().map(|p| (String::new(), p)));
                    // What a later snapshot lists again has not vanished after all.
                    for v in &versions {
                        vanished.remove(&(v.office.clone(), v.appointment.clone()));
                    }
                    vanished.extend(difference.vanished);
                }
                events.extend(mapping::extras(source, read));
                mapping::sort(&mut events);
                (mapping::Mapped { events }, problems, vanished.into_iter().collect())
            }
        }
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

/// A file's place among the inputs and its read rows.
struct Input<'a> {
    name: String,
    path: &'a Path,
}

/// Runs `wartezeit import-appointments`.
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
    let progress = progress(inputs.len() as u64);
    let mut read = Read::default();
    for (file, input) in inputs.iter().enumerate() {
        progress.set_message(input.name.clone());
        let mut one = read_file(&reader, input, args.sheet.as_deref())?;
        for version in &mut one.versions {
            version.file = file as u32;
        }
        for walk_in in &mut one.walk_ins {
            walk_in.file = file as u32;
        }
        for (_, problem) in &mut one.problems {
            problem.file = file as u32;
        }
        for skipped in &mut one.skipped {
            skipped.file = file as u32;
        }
        merge(&mut read, one);
        progress.inc(1);
    }
    progress.finish_and_clear();
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
    let events_of = |read: &Read| {
        let (mut mapped, contradictions, vanished) = mode.events(reader.source(), read);
        // The appointments' events come sorted; only plans and closures need merging in.
        if !calendar.is_empty() {
            mapped.events.extend(calendar.iter().cloned());
            mapping::sort(&mut mapped.events);
        }
        (mapped, contradictions, vanished)
    };
    let mut set_aside: Vec<RowError> = Vec::new();
    let (mut mapped, contradictions, mut vanished) = events_of(&read);
    let mut problems: Vec<(Option<String>, RowError)> = read.problems.clone();
    problems.extend(contradictions.into_iter().map(|(a, p)| (Some(a), p)));
    if !problems.is_empty() {
        if !args.skip_invalid {
            return refuse(&names, &problems, &read);
        }
        let rejected: BTreeSet<String> = problems.iter().filter_map(|(a, _)| a.clone()).collect();
        set_aside.extend(problems.into_iter().map(|(_, p)| p));
        set_aside.extend(without(&mut read, &rejected));
        (mapped, _, vanished) = events_of(&read);
    }
    let Some(log) = log else {
        let to = args.to.as_deref().unwrap_or_default();
        return send(args, to, &read, &names, mapped, &set_aside);
    };

    // Every event goes through the wire parser once, so an export's dates meet the same bounds as any event's; then
    // the rules judge the batch against the log. With --skip-invalid, an appointment whose events break a rule is
    // set aside whole and the rest judged again (each round removes at least one appointment).
    let (events, outcomes) = loop {
        let parsed = round_trip(&mapped.events);
        let judged = judge_batch(parsed, true, |batch| log.check(batch)).context("cannot read the log")?;
        match judged {
            Ok((events, outcomes)) => break (events, outcomes.unwrap_or_default()),
            Err(rejection) if args.skip_invalid && !rejection.listed.is_empty() => {
                let mut rejected = BTreeSet::new();
                for violation in &rejection.listed {
                    let (origin, event) = &mapped.events[violation.index];
                    if let Some(appointment) = appointment_of(event) {
                        rejected.insert(appointment);
                    }
                    set_aside.push(RowError {
                        file: origin.0,
                        line: origin.1,
                        column: violation.field.clone(),
                        value: None,
                        reason: format!("{} ({})", violation.reason, violation.status.code()),
                    });
                }
                if rejected.is_empty() {
                    anyhow::bail!("the log rejects events that belong to no appointment; nothing appended");
                }
                set_aside.extend(without(&mut read, &rejected));
                (mapped, _, vanished) = events_of(&read);
            }
            Err(rejection) => {
                let mut err = std::io::stderr().lock();
                for violation in &rejection.listed {
                    let ((file, line), _) = &mapped.events[violation.index];
                    let _ =
                        writeln!(err, "{}:{line}: {violation} ({})", names[*file as usize], violation.status.code());
                }
                let _ = writeln!(err, "import rejected: {} problem(s), nothing appended", rejection.total);
                return Ok(ExitCode::FAILURE);
            }
        }
    };
    let new = outcomes.iter().filter(|o| matches!(o, crate::rules::Outcome::New(_))).count();
    tell(args, &names, &read, &events, new, &set_aside)?;
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
    crate::cli::import::append_all(&log, events, 10_000, false)
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

fn progress(files: u64) -> indicatif::ProgressBar {
    if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(files);
        if let Ok(style) = indicatif::ProgressStyle::with_template("reading {pos}/{len} {msg}") {
            bar.set_style(style);
        }
        bar
    } else {
        indicatif::ProgressBar::hidden()
    }
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
    events: &[Event],
    new: usize,
    set_aside: &[RowError],
) -> anyhow::Result<()> {
    print!("{}", report(read, events, new, set_aside));
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
    mapped: mapping::Mapped,
    set_aside: &[RowError],
) -> anyhow::Result<ExitCode> {
    use crate::cli::push;
    let events: Vec<Event> = mapped.events.iter().map(|(_, e)| e.clone()).collect();
    tell(args, names, read, &events, events.len(), set_aside)?;
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
    let events = mapped
        .events
        .into_iter()
        .map(|((file, line), event)| (push::Origin { source: file as usize, line, end: 0 }, event))
        .collect();
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
                let bytes = std::fs::read(path).with_context(|| format!("cannot read {name}"))?;
                csv_rows(&decode(&bytes, None).map_err(|e| anyhow::anyhow!("{name}: {e}"))?, None)
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

/// Reads one export by its kind: JSON (ZMS), XLSX, else CSV.
fn read_file(reader: &Reader, input: &Input<'_>, sheet: Option<&str>) -> anyhow::Result<Read> {
    let name = &input.name;
    let extension = input.path.extension().and_then(|e| e.to_str()).unwrap_or_default().to_ascii_lowercase();
    match (reader, extension.as_str()) {
        (Reader::Calendar, _) => anyhow::bail!("{name}: give --preset or --mapping to say how the exports read"),
        (Reader::Zms(options), _) => {
            let bytes = std::fs::read(input.path).with_context(|| format!("cannot read {name}"))?;
            let document: serde_json::Value =
                serde_json::from_slice(&bytes).map_err(|e| anyhow::anyhow!("{name}:{}: not JSON: {e}", e.line()))?;
            let processes = zms::processes(document).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
            Ok(zms::read(&processes, options))
        }
        (Reader::List(_), "json") => {
            anyhow::bail!("{name}: a JSON export is read with --preset zms; a mapping reads CSV and XLSX lists")
        }
        (Reader::List(mapping), "xlsx" | "xlsm") => {
            let (header, rows) = xlsx_rows(input.path, sheet.or(mapping.source.sheet.as_deref()))
                .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
            let mapper = Mapper::new(mapping, &header).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
            Ok(mapper.read(rows))
        }
        (Reader::List(mapping), _) => {
            let bytes = std::fs::read(input.path).with_context(|| format!("cannot read {name}"))?;
            let text =
                decode(&bytes, mapping.source.encoding.as_deref()).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
            let (header, rows) =
                csv_rows(&text, mapping.source.delimiter).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
            let mapper = Mapper::new(mapping, &header).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
            Ok(mapper.read(rows))
        }
    }
}

/// The header and rows of a CSV text.
fn csv_rows(text: &str, delimiter: Option<char>) -> Result<(Vec<String>, Vec<Row>), String> {
    let delimiter = delimiter.unwrap_or_else(|| sniff(text));
    let delimiter = u8::try_from(delimiter).map_err(|_| "the mapping's delimiter must be one ASCII character")?;
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).from_reader(text.as_bytes());
    let header: Vec<String> =
        reader.headers().map_err(|e| format!("no header line: {e}"))?.iter().map(str::to_owned).collect();
    let mut rows = Vec::new();
    let mut lines = Lines::default();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| Lines::default().at(text, p.byte()));
            format!("{line}: not CSV: {e}")
        })?;
        let line = lines.at(text, record.position().map_or(0, csv::Position::byte));
        rows.push(Row { line, cells: record.iter().map(str::to_owned).collect() });
    }
    Ok((header, rows))
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
    gone.into_iter()
        .map(|v| RowError {
            file: v.file,
            line: v.line,
            column: None,
            value: None,
            reason: format!("another row of appointment {} was set aside", v.appointment),
        })
        .collect()
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
fn report(read: &Read, events: &[Event], new: usize, set_aside: &[RowError]) -> String {
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
    let mut by_type: BTreeMap<&str, usize> = BTreeMap::new();
    for event in events {
        *by_type.entry(event.kind.type_name()).or_default() += 1;
    }
    let types: Vec<String> = by_type.iter().map(|(t, n)| format!("{t} {n}")).collect();
    out.push_str(&format!(
        "events {}: {}; new {new}, already stored {}\n",
        events.len(),
        types.join(", "),
        events.len() - new
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

/// Line numbers from byte offsets, counted on from the last offset asked (records come in order, so a whole file
/// is counted once). csv's own line count lags by one after a CRLF (it reads the LF of the line before as part of
/// the next record), so lines are counted here.
#[derive(Default)]
struct Lines {
    /// The offset counted up to, and the newlines before it.
    counted: usize,
    newlines: u64,
}

impl Lines {
    /// The line (from 1) of the record starting at byte `at` (line breaks before it skipped).
    fn at(&mut self, text: &str, at: u64) -> u64 {
        let at = usize::try_from(at).unwrap_or(usize::MAX).min(text.len());
        let start = at + text[at..].bytes().take_while(|b| matches!(b, b'\r' | b'\n')).count();
        if start < self.counted {
            *self = Lines::default();
        }
        self.newlines += text.as_bytes()[self.counted..start].iter().filter(|b| **b == b'\n').count() as u64;
        self.counted = start;
        self.newlines + 1
    }
}

/// The text of an export in `encoding`: `auto` (the default) is UTF-8 where the bytes are UTF-8 (with or without a
/// byte order mark), else Windows-1252, as German Excel saves "CSV (Trennzeichen-getrennt)".
fn decode(bytes: &[u8], encoding: Option<&str>) -> Result<String, String> {
    let utf8 = |bytes: &[u8]| {
        let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
        String::from_utf8(bytes.to_vec())
    };
    match encoding.map(str::to_ascii_lowercase).as_deref() {
        None | Some("auto") => {
            Ok(utf8(bytes)
                .unwrap_or_else(|_| encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0.into_owned()))
        }
        Some("utf-8") | Some("utf8") => utf8(bytes).map_err(|e| {
            let line = bytes[..e.utf8_error().valid_up_to()].iter().filter(|b| **b == b'\n').count() + 1;
            format!("line {line}: not UTF-8; set [source] encoding = \"windows-1252\" for a German Excel export")
        }),
        Some("windows-1252") | Some("cp1252") | Some("latin1") | Some("iso-8859-1") => {
            Ok(encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0.into_owned())
        }
        Some(other) => Err(format!("encoding {other:?} is not known; use auto, utf-8 or windows-1252")),
    }
}

/// The separator of a CSV text: `;` or `,`, whichever its first line holds more of.
fn sniff(text: &str) -> char {
    let first = text.lines().next().unwrap_or_default();
    if first.matches(';').count() > first.matches(',').count() { ';' } else { ',' }
}
