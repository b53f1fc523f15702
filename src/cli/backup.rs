//! `wartezeit backup --from URL --token-file FILE --out FILE [--with-meta] [--resume] [--from-position P]`: an online
//! backup of a running service's log, read from its event feed (`GET /api/v1/events`, with the read or the write
//! token) and written as the very bytes that `wartezeit export` (`--with-meta`) writes for the same positions.
//!
//! **A consistent prefix.** The backup ends at the head the service reports in its first answer. Entries appended
//! while it runs are left to the next backup, so a busy service does not keep it going for ever, and the file holds
//! the log as it was at one moment: every position from the first to that head, as `export` would have written them
//! then.
//!
//! **Verified while it is written.** Each entry must be the position after the one before (no gap), and its digest
//! must be the chain of the one before, its position and the canonical bytes of its event ([`codec::chain`], as the
//! log computes it); the last one's must be the head digest the service reported. Anything else stops the backup,
//! naming the position. Before position 1 the chain starts from 32 zero bytes; a backup from a later position
//! (`--from-position P`) takes the service's digest of position P − 1 as its start, the one digest it trusts unseen.
//!
//! **The same bytes as `export`.** The feed carries each event as a JSON object that the service parsed from the
//! canonical line into a `serde_json::Value`, whose keys serde_json keeps sorted (its `preserve_order` feature is not
//! enabled), not in the wire order; the feed's `recorded_at` is chrono's own rendering, not export's fixed
//! microseconds. So the backup does not copy the feed's text: it parses each event with the crate's wire parser and
//! writes the line with [`entry_line`], the function `export` writes with. Nothing can be lost on the way
//! unnoticed: the canonical bytes of the event as parsed must chain to the digest the log stored.
//!
//! **Written whole, resumable.** The lines go to `OUT.partial` beside `OUT`, flushed and synced after every page of
//! at most 10,000 entries; once complete, the file is synced, renamed over `OUT` (an older backup there is replaced
//! only then) and the directory synced. `--resume` continues `OUT.partial`: a last line that a kill cut off is
//! removed, the chain is computed again over the lines kept (which shows them to be whole, in this command's form,
//! and, with `--with-meta`, each with the digest it states), and the feed is read on from the position after them.
//! The first new entry must chain onto the kept lines: the partial file of another log is refused, not extended.
//!
//! Requests go through the crate's one client, [`crate::cli::remote`], with the retries of `push`.

use std::io::{BufRead, BufReader, BufWriter, IsTerminal as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use chrono::{DateTime, Utc};
use clap::Args;
use fs2::FileExt as _;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::cli::GlobalArgs;
use crate::cli::export::entry_line;
use crate::cli::remote::{Failure, Remote, Target, Token};
use crate::domain::event::Event;
use crate::domain::wire::parse_event;
use crate::log::codec::{self, Digest};

/// Entries asked for in one request: the feed's largest page.
pub const PAGE_ENTRIES: u64 = 10_000;

/// Arguments of `wartezeit backup`.
#[derive(Debug, Clone, Args)]
pub struct BackupArgs {
    /// The service's address, e.g. `https://wartezeit.stadt.example`; the entries come from its `GET /api/v1/events`.
    #[arg(long, value_name = "URL")]
    pub from: String,
    /// A file holding the service's read token (`serve --read-token-file`) or its write token (surrounding whitespace
    /// is ignored). The token is never taken from the command line, where other users could read it.
    #[arg(long, value_name = "FILE")]
    pub token_file: PathBuf,
    /// The backup file. It is written as FILE.partial beside it and renamed to FILE once complete, so an older FILE
    /// is replaced only by a complete backup.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Each entry with its position, recorded_at and digest, byte for byte as `export --with-meta` writes it (an
    /// audit copy that keeps recorded_at; `import` restores from the plain form).
    #[arg(long)]
    pub with_meta: bool,
    /// Continue FILE.partial, which an interrupted backup with the same options left; a cut-off last line is
    /// removed. Without a FILE.partial the backup starts from the beginning, so a scheduled job can always pass it.
    #[arg(long)]
    pub resume: bool,
    /// The first position to write (default 1): for an incremental backup, the position after the last one of the
    /// previous backup's summary. The file is then byte for byte `export --from P`.
    #[arg(long, value_name = "P", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    pub from_position: u64,
    /// How long a request is retried after its first failure before the backup gives up (`90`, `90s`, `10m`, `1h`).
    #[arg(long, default_value = "120s", value_name = "DURATION", value_parser = crate::cli::push::parse_duration)]
    pub retry_for: Duration,
}

/// A place in the digest chain: a position and the digest of the log up to and including it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    pub position: u64,
    pub digest: Digest,
}

impl Link {
    /// Before the first entry: position 0, 32 zero bytes.
    pub const ORIGIN: Link = Link { position: 0, digest: [0; 32] };

    /// The link after this one for an entry holding `event`.
    fn next(&self, event: &Event) -> Link {
        let position = self.position + 1;
        Link { position, digest: codec::chain(&self.digest, position, &codec::event_bytes(event)) }
    }
}

/// A page of the event feed, as far as a backup reads it (`next_from` is implied by the entries).
#[derive(Debug, Deserialize)]
struct Page {
    head: FeedHead,
    entries: Vec<FeedEntry>,
}

/// The service's durable head when it answered.
#[derive(Debug, Clone, Deserialize)]
struct FeedHead {
    position: u64,
    digest: String,
}

/// One entry of the feed; the event is kept as its JSON text for the wire parser.
#[derive(Debug, Deserialize)]
struct FeedEntry {
    position: u64,
    recorded_at: DateTime<Utc>,
    digest: String,
    event: Box<RawValue>,
}

/// A line of a `--with-meta` backup, read back when it is resumed.
#[derive(Debug, Deserialize)]
struct MetaLine {
    position: u64,
    recorded_at: DateTime<Utc>,
    digest: String,
    event: Box<RawValue>,
}

/// Runs `wartezeit backup`; exit 1 with the reason on stderr when the backup cannot be completed (what was written
/// stays in FILE.partial for `--resume`).
pub fn run(_global: &GlobalArgs, args: &BackupArgs) -> anyhow::Result<ExitCode> {
    let target = Target::parse("--from", &args.from).map_err(anyhow::Error::msg)?;
    let token = Token::read(&args.token_file).map_err(anyhow::Error::msg)?;
    if args.out.is_dir() {
        bail!("--out {} is a directory; give the path of the backup file", args.out.display());
    }
    let directory = directory_of(&args.out);
    if !directory.is_dir() {
        bail!("--out {}: the directory {} does not exist", args.out.display(), directory.display());
    }
    if target.is_plain_beyond_loopback() {
        eprintln!("warning: {} is plain http: the token and the log cross the network unencrypted", target.as_str());
    }
    let remote = Remote::new(target, token).map_err(anyhow::Error::msg)?;
    let mut backup = Backup {
        args,
        remote,
        partial: partial_path(&args.out),
        bar: indicatif::ProgressBar::hidden(),
        at: Link::ORIGIN,
        kept: 0,
        written: 0,
        out: None,
        resumed: false,
    };
    match backup.take_all() {
        Ok(head) => {
            backup.bar.finish_and_clear();
            backup.finish()?;
            eprintln!("{}", backup.summary(&head));
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            backup.bar.abandon();
            eprintln!("error: {e:#}");
            eprintln!("{}", backup.stopped(e.downcast_ref::<Mismatch>().is_some()));
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `out` with `.partial` added to its name: where the backup is written until it is complete.
pub fn partial_path(out: &Path) -> PathBuf {
    let mut name = out.as_os_str().to_os_string();
    name.push(".partial");
    PathBuf::from(name)
}

/// The directory a file lies in (`.` for a bare name).
fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// A backup under way.
struct Backup<'a> {
    args: &'a BackupArgs,
    remote: Remote,
    /// FILE.partial.
    partial: PathBuf,
    bar: indicatif::ProgressBar,
    /// The last entry in the partial file, or the link before the first position to write.
    at: Link,
    /// Entries kept from an interrupted backup's partial file.
    kept: u64,
    /// Entries this run wrote.
    written: u64,
    /// The partial file, open (and locked) once the backup writes to it.
    out: Option<BufWriter<std::fs::File>>,
    /// Whether the partial file of an interrupted backup is being continued.
    resumed: bool,
}

impl Backup<'_> {
    /// Reads the feed up to the head its first answer reports, verifying and writing every entry to the partial
    /// file; the head, whose digest the last entry's matches.
    fn take_all(&mut self) -> anyhow::Result<Link> {
        let start = self.args.from_position;
        let mut head = None;
        if start > 1 {
            // The one digest taken on trust: the service's for the position before the first one to write.
            let page = self.page(start - 1, 1)?;
            let anchor = page.entries.first().filter(|e| e.position == start - 1).ok_or_else(|| {
                anyhow!(
                    "--from-position {start}: the service's log ends at position {}, so a backup of it starts at {} at \
                     most",
                    page.head.position,
                    page.head.position + 1
                )
            })?;
            self.at = Link { position: start - 1, digest: digest_of(&anchor.digest, start - 1)? };
            head = Some(self.head_of(&page)?);
        }
        if self.args.resume {
            self.reopen()?;
        }
        let mut first = None;
        let head = match head {
            Some(head) => head,
            None => {
                let page = self.page(self.at.position + 1, PAGE_ENTRIES)?;
                let head = self.head_of(&page)?;
                first = Some(page);
                head
            }
        };
        if self.at.position > head.position {
            return Err(mismatch(format!(
                "the service's log ends at position {}, before position {} that {} holds already: is it a backup of \
                 another service? run without --resume to start over",
                head.position,
                self.at.position,
                self.partial.display()
            )));
        }
        if self.out.is_none() {
            self.create()?;
        }
        if std::io::stderr().is_terminal() {
            self.bar = indicatif::ProgressBar::new(head.position + 1 - start);
            self.bar.set_position(self.at.position + 1 - start);
        }
        while self.at.position < head.position {
            let from = self.at.position + 1;
            let page = match first.take() {
                Some(page) => page,
                None => self.page(from, (head.position - self.at.position).min(PAGE_ENTRIES))?,
            };
            let mut taken = 0;
            for entry in page.entries.into_iter().take_while(|e| e.position <= head.position) {
                self.take(entry)?;
                taken += 1;
            }
            self.sync()?;
            self.bar.set_position(self.at.position + 1 - start);
            if taken == 0 {
                return Err(mismatch(format!(
                    "the feed holds no entry from position {from} on, though the service reported its head at position \
                     {}",
                    head.position
                )));
            }
        }
        if head.digest != self.at.digest {
            return Err(mismatch(format!(
                "position {}: the digest the entries chain to, {}, is not the head's digest that the service reported, \
                 {}",
                head.position,
                hex::encode(self.at.digest),
                hex::encode(head.digest)
            )));
        }
        Ok(head)
    }

    /// The page of the feed from `from`, of at most `limit` entries, asked for until it comes or `--retry-for` has
    /// passed; each retry is a line on stderr.
    fn page(&self, from: u64, limit: u64) -> anyhow::Result<Page> {
        let query = [("from", from.to_string()), ("limit", limit.to_string())];
        let read = |body: &[u8]| {
            serde_json::from_slice::<Page>(body).map_err(|e| {
                format!("the answer is not a page of wartezeit's event feed ({e}); is --from the service's address?")
            })
        };
        let bar = &self.bar;
        let told = |retrying: &crate::cli::remote::Retrying| {
            let (reason, retry, wait) = (retrying.reason, retrying.retry, retrying.wait.as_secs_f64());
            bar.suspend(|| eprintln!("entries from position {from}: {reason}; retry {retry} in {wait:.1} s"));
        };
        match self.remote.get(&query, self.args.retry_for, told, read) {
            Ok((page, _retries)) => Ok(page),
            Err(failure) => Err(anyhow!(self.failed(&failure, from))),
        }
    }

    /// Why the request for the entries from `from` failed, in words for the person running the backup.
    fn failed(&self, failure: &Failure, from: u64) -> String {
        let url = self.remote.target().as_str();
        match failure {
            Failure::Refused { status, problem } => {
                let said = if problem.detail.is_empty() { &problem.title } else { &problem.detail };
                let hint = match status {
                    200..=299 => return format!("{url}?from={from}: {said}"),
                    401 | 403 => format!(
                        " (--token-file {} must hold the service's read token or its write token)",
                        self.args.token_file.display()
                    ),
                    404 => " (is --from the service's address?)".to_owned(),
                    _ => String::new(),
                };
                format!("{url}?from={from}: refused with {status}: {said}{hint}")
            }
            Failure::GaveUp { attempts, failing_for, last } => format!(
                "{url}?from={from}: not answered after {attempts} attempts in {:.0} s (--retry-for); the last: {last}",
                failing_for.as_secs_f64()
            ),
        }
    }

    /// The head a page reports.
    fn head_of(&self, page: &Page) -> anyhow::Result<Link> {
        Ok(Link { position: page.head.position, digest: digest_of(&page.head.digest, page.head.position)? })
    }

    /// Opens the partial file of an interrupted backup, checks what it holds and cuts off an unfinished last line;
    /// the backup goes on after its last entry. Without one, says so: the backup starts from the beginning.
    fn reopen(&mut self) -> anyhow::Result<()> {
        let shown = self.partial.display();
        let file = match std::fs::OpenOptions::new().read(true).write(true).open(&self.partial) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                eprintln!("--resume: there is no {shown} to continue; the backup starts from the beginning");
                return Ok(());
            }
            Err(e) => return Err(e).with_context(|| format!("cannot open {shown} to resume it")),
        };
        lock(&file, &self.partial)?;
        let kept = read_partial(BufReader::new(&file), self.args.with_meta, self.at)
            .map_err(|e| mismatch(format!("{shown}:{e} (it cannot be resumed: run without --resume to start over)")))?;
        file.set_len(kept.bytes).with_context(|| format!("cannot cut {shown} back to its whole lines"))?;
        let mut file = file;
        file.seek(std::io::SeekFrom::End(0)).with_context(|| format!("cannot write {shown}"))?;
        let cut = if kept.cut > 0 {
            format!(" (an unfinished last line of {} bytes cut off)", kept.cut)
        } else {
            String::new()
        };
        eprintln!("resuming {shown} after position {}: {} entries kept{cut}", kept.at.position, kept.lines);
        self.at = kept.at;
        self.kept = kept.lines;
        self.resumed = true;
        self.out = Some(BufWriter::with_capacity(1 << 16, file));
        Ok(())
    }

    /// Creates the partial file afresh (replacing one an earlier backup left).
    fn create(&mut self) -> anyhow::Result<()> {
        let shown = self.partial.display();
        // Not truncated on opening: another backup that holds the lock keeps its file.
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&self.partial)
            .with_context(|| format!("cannot write {shown} (beside --out)"))?;
        lock(&file, &self.partial)?;
        if file.metadata().is_ok_and(|m| m.len() > 0) {
            eprintln!("{shown}, left by an earlier backup, is replaced (--resume continues it instead)");
        }
        file.set_len(0).with_context(|| format!("cannot write {shown}"))?;
        self.out = Some(BufWriter::with_capacity(1 << 16, file));
        Ok(())
    }

    /// Verifies an entry of the feed against the chain and writes its line.
    fn take(&mut self, entry: FeedEntry) -> anyhow::Result<()> {
        let position = self.at.position + 1;
        if entry.position != position {
            return Err(mismatch(format!(
                "position {position}: the feed gives position {} in its place",
                entry.position
            )));
        }
        let event = parse_event(entry.event.get()).map_err(|errors| {
            let said: Vec<String> = errors.iter().map(ToString::to_string).collect();
            mismatch(format!("position {position}: the feed's event does not parse: {}", said.join("; ")))
        })?;
        let next = self.at.next(&event);
        if hex::encode(next.digest) != entry.digest {
            let resumed = if self.resumed && self.written == 0 {
                format!(
                    "; {} is not a backup of this log (or was made with another --from-position): run without \
                     --resume to start over",
                    self.partial.display()
                )
            } else {
                String::new()
            };
            return Err(mismatch(format!(
                "position {position}: the digest does not chain onto position {}: the service states {}, the chain \
                 gives {}{resumed}",
                self.at.position,
                entry.digest,
                hex::encode(next.digest)
            )));
        }
        let mut line = entry_line(position, entry.recorded_at, &next.digest, &event, self.args.with_meta);
        line.push('\n');
        let out = self.out.as_mut().expect("the partial file is open before entries are taken");
        out.write_all(line.as_bytes()).with_context(|| format!("cannot write {}", self.partial.display()))?;
        self.at = next;
        self.written += 1;
        Ok(())
    }

    /// Flushes the partial file and syncs it to disk, so that a resume finds every page written so far.
    fn sync(&mut self) -> anyhow::Result<()> {
        let out = self.out.as_mut().expect("the partial file is open");
        out.flush()
            .and_then(|()| out.get_ref().sync_data())
            .with_context(|| format!("cannot write {}", self.partial.display()))
    }

    /// Syncs the complete partial file, renames it over `--out` and syncs the directory.
    fn finish(&mut self) -> anyhow::Result<()> {
        self.sync()?;
        drop(self.out.take());
        let out = &self.args.out;
        std::fs::rename(&self.partial, out)
            .with_context(|| format!("cannot rename {} to {}", self.partial.display(), out.display()))?;
        std::fs::File::open(directory_of(out))
            .and_then(|directory| directory.sync_all())
            .with_context(|| format!("cannot sync the directory of {}", out.display()))
    }

    /// The summary of a complete backup: what it holds, and the last position with its digest, to compare with
    /// `wartezeit verify` of a restore.
    fn summary(&self, head: &Link) -> String {
        let start = self.args.from_position;
        let kept =
            if self.kept > 0 { format!(", {} of them kept from the partial file", self.kept) } else { String::new() };
        let holds = if head.position < start {
            if start == 1 {
                "no entries: the log is empty".to_owned()
            } else {
                format!("no entries: none follows position {}", start - 1)
            }
        } else {
            format!("positions {start} to {} ({} entries{kept})", head.position, head.position - start + 1)
        };
        format!(
            "backup of {} complete: {} holds {holds}; position {}, digest {}",
            self.remote.target().as_str(),
            self.args.out.display(),
            head.position,
            hex::encode(head.digest)
        )
    }

    /// What became of the partial file when the backup stopped, because what it read did not verify (`mismatch`)
    /// or for another reason (the service not answering, a full disk), after which it can be resumed.
    fn stopped(&self, mismatch: bool) -> String {
        let shown = self.partial.display();
        if self.out.is_none() {
            return if self.args.resume && self.partial.exists() {
                format!("backup stopped: {shown} is left as it was")
            } else {
                "backup stopped: nothing was written".to_owned()
            };
        }
        let start = self.args.from_position;
        let holds = if self.at.position < start {
            format!("{shown} holds no entry yet")
        } else {
            format!("{shown} holds positions {start} to {}", self.at.position)
        };
        if mismatch {
            format!("backup stopped: {holds}")
        } else {
            format!("backup stopped: {holds}; run the same command with --resume to continue")
        }
    }
}

/// What the backup read does not verify: running it again would meet the same, so `--resume` is not suggested.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Mismatch(String);

fn mismatch(text: String) -> anyhow::Error {
    Mismatch(text).into()
}

/// Takes the partial file's lock, so that two backups do not write it at once.
fn lock(file: &std::fs::File, path: &Path) -> anyhow::Result<()> {
    file.try_lock_exclusive()
        .map_err(|e| anyhow!("cannot lock {} (is another backup writing it?): {e}", path.display()))
}

/// A digest in hex, as the feed states it.
fn digest_of(hex_digest: &str, position: u64) -> anyhow::Result<Digest> {
    let mut digest = [0; 32];
    hex::decode_to_slice(hex_digest, &mut digest).map_err(|e| {
        mismatch(format!("position {position}: the feed's digest {hex_digest:?} is not 32 bytes of hex: {e}"))
    })?;
    Ok(digest)
}

/// What an interrupted backup left in its partial file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partial {
    /// The last entry of its whole lines (the starting link when it holds none).
    pub at: Link,
    /// How many whole lines it holds.
    pub lines: u64,
    /// The bytes of its whole lines: the length it is cut back to.
    pub bytes: u64,
    /// The bytes of an unfinished last line (no newline), to be cut off.
    pub cut: u64,
}

/// Reads the partial file of a backup that started after `before` (written `--with-meta` or not): every whole
/// line must be the entry at the next position, its event's digest chained onto the one before (and equal to the
/// digest a `--with-meta` line states), written exactly as [`entry_line`] writes it. An unfinished last line is left
/// out. The error names the line (`LINE: reason`).
pub fn read_partial(mut reader: impl BufRead, with_meta: bool, before: Link) -> Result<Partial, String> {
    let mut partial = Partial { at: before, lines: 0, bytes: 0, cut: 0 };
    let mut buffer = Vec::new();
    loop {
        buffer.clear();
        let read = reader.read_until(b'\n', &mut buffer).map_err(|e| format!(" cannot be read: {e}"))?;
        if read == 0 {
            return Ok(partial);
        }
        let Some(line) = buffer.strip_suffix(b"\n") else {
            partial.cut = read as u64;
            return Ok(partial);
        };
        let number = partial.lines + 1;
        let position = partial.at.position + 1;
        let line = std::str::from_utf8(line).map_err(|_| format!("{number}: not UTF-8"))?;
        let (event, meta) = if with_meta {
            let meta: MetaLine = serde_json::from_str(line).map_err(|e| {
                format!("{number}: not an entry with its meta data ({e}); was it written without --with-meta?")
            })?;
            if meta.position != position {
                return Err(format!("{number}: holds position {} where position {position} belongs", meta.position));
            }
            (event_of(meta.event.get(), number)?, Some((meta.recorded_at, meta.digest)))
        } else {
            (event_of(line, number).map_err(|e| format!("{e}; was it written with --with-meta?"))?, None)
        };
        let next = partial.at.next(&event);
        let recorded_at = match &meta {
            Some((recorded_at, stated)) if *stated != hex::encode(next.digest) => {
                return Err(format!(
                    "{number}: position {position} states the digest {stated}, the chain gives {}",
                    hex::encode(next.digest)
                ));
            }
            Some((recorded_at, _)) => *recorded_at,
            None => DateTime::<Utc>::default(),
        };
        if entry_line(position, recorded_at, &next.digest, &event, with_meta) != line {
            return Err(format!("{number}: position {position} is not written as a backup writes it"));
        }
        partial.at = next;
        partial.lines += 1;
        partial.bytes += read as u64;
    }
}

/// The event of a line of a partial file.
fn event_of(text: &str, number: u64) -> Result<Event, String> {
    parse_event(text).map_err(|errors| {
        let said: Vec<String> = errors.iter().take(3).map(ToString::to_string).collect();
        format!("{number}: not an event: {}", said.join("; "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lines a backup of `events` from position 1 writes, with the link after each.
    fn lines(events: &[Event], with_meta: bool) -> (String, Vec<Link>) {
        let mut at = Link::ORIGIN;
        let mut text = String::new();
        let mut links = Vec::new();
        for (i, event) in events.iter().enumerate() {
            at = at.next(event);
            let recorded_at = DateTime::from_timestamp_micros(1_600_000_000_000_000 + i as i64 * 1_001).unwrap();
            text.push_str(&entry_line(at.position, recorded_at, &at.digest, event, with_meta));
            text.push('\n');
            links.push(at);
        }
        (text, links)
    }

    #[test]
    fn a_partial_file_is_read_back_to_its_last_whole_line() {
        let events = crate::sample::events(5, 40);
        for with_meta in [false, true] {
            let (text, links) = lines(&events, with_meta);
            let whole = read_partial(text.as_bytes(), with_meta, Link::ORIGIN).unwrap();
            assert_eq!(whole, Partial { at: links[39], lines: 40, bytes: text.len() as u64, cut: 0 });
            // Killed in the middle of line 31: thirty lines are kept, the rest cut off.
            let line_31 = text.match_indices('\n').nth(29).unwrap().0 + 1;
            let cut = &text[..line_31 + 17];
            let kept = read_partial(cut.as_bytes(), with_meta, Link::ORIGIN).unwrap();
            assert_eq!(kept, Partial { at: links[29], lines: 30, bytes: line_31 as u64, cut: 17 });
            assert_eq!(read_partial(&b""[..], with_meta, Link::ORIGIN).unwrap().at, Link::ORIGIN);
        }
    }

    #[test]
    fn a_partial_file_that_is_not_this_backups_own_is_refused_naming_the_line() {
        let events = crate::sample::events(5, 10);
        let (plain, _) = lines(&events, false);
        let (meta, _) = lines(&events, true);
        let err = read_partial(plain.as_bytes(), true, Link::ORIGIN).unwrap_err();
        assert!(
            err.starts_with("1: not an entry with its meta data") && err.ends_with("without --with-meta?"),
            "{err}"
        );
        let err = read_partial(meta.as_bytes(), false, Link::ORIGIN).unwrap_err();
        assert!(err.starts_with("1: not an event: ") && err.ends_with("with --with-meta?"), "{err}");
        // A line left out: the next one holds the wrong position (with meta), or chains wrongly (stated digest).
        let skipped: String =
            meta.lines().enumerate().filter(|(i, _)| *i != 4).map(|(_, l)| format!("{l}\n")).collect();
        assert_eq!(
            read_partial(skipped.as_bytes(), true, Link::ORIGIN).unwrap_err(),
            "5: holds position 6 where position 5 belongs"
        );
        // The same events re-ordered by hand, or another starting point: the chain does not hold.
        let other_start = Link { position: 0, digest: [1; 32] };
        assert!(
            read_partial(meta.as_bytes(), true, other_start)
                .unwrap_err()
                .starts_with("1: position 1 states the digest")
        );
        // An event in another key order is an event, but not the form a backup writes.
        let first = plain.lines().next().unwrap();
        let value: serde_json::Value = serde_json::from_str(first).unwrap();
        let sorted = format!("{value}\n");
        assert_ne!(sorted.trim_end(), first);
        assert_eq!(
            read_partial(sorted.as_bytes(), false, Link::ORIGIN).unwrap_err(),
            "1: position 1 is not written as a backup writes it"
        );
    }

    #[test]
    fn the_partial_file_lies_beside_the_backup() {
        assert_eq!(partial_path(Path::new("/b/log.ndjson")), PathBuf::from("/b/log.ndjson.partial"));
        assert_eq!(directory_of(Path::new("log.ndjson")), Path::new("."));
        assert_eq!(directory_of(Path::new("/b/log.ndjson")), Path::new("/b"));
    }
}
