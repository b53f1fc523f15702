//! Building the projection that a read-side command answers from: open the log, fold it (up to `--known-at`),
//! and settle which office is meant.

use anyhow::{Context, bail};
use chrono::NaiveDate;

use crate::cli::GlobalArgs;
use crate::domain::id::OfficeId;

use crate::press::Provenance;
use crate::projection::{Config, DEFAULT_HORIZON_DAYS, Projection};

/// A projection of the log up to a position, with the provenance of that position.
pub struct Loaded {
    pub projection: Projection,
    pub provenance: Provenance,
}

/// Folds the log in `global.data_dir`, only positions up to `known_at` when given.
pub fn projection(global: &GlobalArgs, known_at: Option<u64>, horizon: Option<u32>) -> anyhow::Result<Loaded> {
    projection_of(global, known_at, horizon, None)
}

/// [`projection`] for a command about one office: where `office` is named, only that office is decoded from the
/// checkpoint and folded (the others' events are passed over), which at ten million events over twenty offices
/// takes a twentieth of the time and memory. Where a checkpoint is due (a large import since the newest, say), the
/// whole projection is folded instead and written as one, once, so that the reads after it are quick. If the office
/// is not in the log, the whole projection is folded after all, so that the error names the offices there are.
pub fn projection_of(
    global: &GlobalArgs,
    known_at: Option<u64>,
    horizon: Option<u32>,
    office: Option<&OfficeId>,
) -> anyhow::Result<Loaded> {
    let log = global.open_log_for_reading().with_context(|| format!("opening {}", global.data_dir.display()))?;
    let head = log.head();
    let until = match known_at {
        Some(p) if p > head.position => bail!("--known-at {p}: the log holds only {} events", head.position),
        Some(p) => p,
        None => head.position,
    };
    let config = Config { zone: global.tz, horizon_days: horizon.unwrap_or(DEFAULT_HORIZON_DAYS) };
    let newest = log.checkpoints().list().ok().and_then(|listed| listed.first().map(|s| s.position)).unwrap_or(0);
    let writes_checkpoint = known_at.is_none() && checkpoint_due(newest, until);
    if let Some(office) = office.filter(|_| !writes_checkpoint) {
        let opened = crate::rebuild::open_scoped(&log, config, until, Some(office)).context("reading the log")?;
        if opened.rebuilt.projection.offices().iter().any(|o| o.office == *office) {
            return Ok(loaded(opened.rebuilt, until));
        }
    }
    let opened = crate::rebuild::open(&log, config, until).context("reading the log")?;
    if known_at.is_none() && checkpoint_due(opened.checkpoint.unwrap_or(0), until) {
        // The next command then starts from here. A checkpoint is a cache: failing to write one changes no answer.
        match crate::rebuild::write_checkpoint(&log, &opened.rebuilt.projection, &opened.rebuilt.digest) {
            Ok(written) => {
                tracing::info!(position = written.stored.position, bytes = written.stored.bytes, "checkpoint written")
            }
            Err(e) => tracing::warn!("cannot write a checkpoint in {}: {e}", log.checkpoints().dir().display()),
        }
    }
    Ok(loaded(opened.rebuilt, until))
}

/// Whether the log at `until` has grown past a checkpoint at `newest` by as much as makes a read command write one.
fn checkpoint_due(newest: u64, until: u64) -> bool {
    crate::rebuild::checkpoint_due(crate::rebuild::CHECKPOINT_EVERY_EVENTS, newest, until)
}

fn loaded(rebuilt: crate::rebuild::Rebuilt, until: u64) -> Loaded {
    let provenance = Provenance {
        position: until,
        digest: hex::encode(rebuilt.digest),
        definitions: crate::press::DEFINITIONS_VERSION,
    };
    Loaded { projection: rebuilt.projection, provenance }
}

/// The office asked for, or the log's only office when none was named (the read side decides).
pub fn office(projection: &Projection, asked: Option<&OfficeId>) -> anyhow::Result<OfficeId> {
    crate::read::office(projection, asked).map_err(|e| match e {
        crate::read::ReadError::OfficeNeeded { .. } => anyhow::anyhow!("{e} with --office"),
        e => e.into(),
    })
}

/// Parses a `YYYY-MM-DD` date for clap.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    crate::domain::wire::date(s)
}

/// Parses an office id for clap.
pub fn parse_office(s: &str) -> Result<OfficeId, String> {
    OfficeId::parse(s).map_err(|e| format!("{s:?} {e}"))
}

/// Parses `de` or `en` for clap.
pub fn parse_lang(s: &str) -> Result<crate::press::words::Lang, String> {
    s.parse().map_err(|e: crate::lang::UnknownLang| e.to_string())
}

/// Checks `--from`..=`--to` as a period the read side answers (the same limits as the API's).
pub fn period(from: NaiveDate, to: NaiveDate) -> anyhow::Result<()> {
    crate::read::period(from, to).map_err(|e| anyhow::anyhow!("--from {from} --to {to}: {e}"))
}
