//! The state file of a push: what the service has acknowledged, recorded after every acknowledged batch, so that the
//! same command run again continues after it.
//!
//! The file names the endpoint and, for every input, its path, length and SHA-256 with how many of its events are
//! acknowledged. It is trusted only for the same endpoint and inputs of the same content; anything else starts the
//! push over from the first event (what the service already holds comes back as duplicates, which are harmless), so
//! a changed, grown or swapped file is never resumed at a position that meant something else. It is written whole
//! or not at all: a temporary file beside it, synced, renamed over it, and the directory synced.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::cli::push::batches::Progress;

/// What the `format` field of a state file says; another value is not read as progress.
pub const FORMAT: &str = "wartezeit-push-state 1";

/// An input's identity: where it is and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// The absolute path (as the input was found; relative when it cannot be resolved).
    pub path: String,
    /// Its length in bytes.
    pub length: u64,
    /// The hex SHA-256 of its content.
    pub sha256: String,
}

impl Fingerprint {
    /// The fingerprint of the file at `path` whose content is `bytes`.
    pub fn of(path: &Path, bytes: &[u8]) -> Fingerprint {
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        Fingerprint {
            path: path.display().to_string(),
            length: bytes.len() as u64,
            sha256: hex::encode(Sha256::digest(bytes)),
        }
    }
}

/// One input in the state file: its fingerprint, its events, and how far the service acknowledged them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputState {
    #[serde(flatten)]
    pub fingerprint: Fingerprint,
    /// Events the input holds.
    pub events: u64,
    /// Events of it the service acknowledged.
    pub events_acknowledged: u64,
    /// The line of the last acknowledged event (0: none).
    pub through_line: u64,
    /// The byte offset just past the last acknowledged event's line (0: none).
    pub bytes_acknowledged: u64,
}

/// The running SHA-256 of an acknowledged prefix of the push: the NDJSON body of its events, every line the canonical
/// JSON of one event followed by a newline, exactly as sent.
#[derive(Debug, Clone, Default)]
pub struct Prefix(Sha256);

impl Prefix {
    /// The digest of `lines` (each without its newline).
    pub fn of(lines: &[String]) -> Prefix {
        let mut prefix = Prefix::default();
        for line in lines {
            prefix.0.update(line.as_bytes());
            prefix.0.update(b"\n");
        }
        prefix
    }

    /// Takes in a body of whole lines that follows the prefix.
    pub fn extend(&mut self, body: &[u8]) {
        self.0.update(body);
    }

    /// The hex digest so far.
    pub fn hex(&self) -> String {
        hex::encode(self.0.clone().finalize())
    }
}

/// The whole state file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// [`FORMAT`].
    pub format: String,
    /// The endpoint the events go to; progress at one service says nothing about another.
    pub to: String,
    /// Events of the whole input, in order, that the service acknowledged: the push continues after them.
    pub acknowledged: u64,
    /// The hex SHA-256 of the acknowledged events as sent (see [`Prefix`]): a resumed push skips them only if the
    /// input gives the very same events again.
    pub acknowledged_sha256: String,
    /// Events of the whole input.
    pub total: u64,
    /// Every input, in the order given.
    pub inputs: Vec<InputState>,
}

impl State {
    /// The state of a push to `to` of inputs with these fingerprints and event counts, after `acknowledged` events
    /// whose progress per input is `progress` and whose digest is `acknowledged_sha256`.
    pub fn new(
        to: &str,
        inputs: &[Fingerprint],
        counts: &[u64],
        progress: &[Progress],
        acknowledged: u64,
        acknowledged_sha256: String,
    ) -> State {
        let inputs = inputs
            .iter()
            .zip(counts)
            .zip(progress)
            .map(|((fingerprint, events), done)| InputState {
                fingerprint: fingerprint.clone(),
                events: *events,
                events_acknowledged: done.events,
                through_line: done.through_line,
                bytes_acknowledged: done.bytes,
            })
            .collect();
        let total = counts.iter().sum();
        State { format: FORMAT.to_owned(), to: to.to_owned(), acknowledged, acknowledged_sha256, total, inputs }
    }
}

/// Where a push starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resume {
    /// No state file: from the first event.
    Fresh,
    /// After this many events, which the service acknowledged (all of them: nothing left to send).
    After(u64),
    /// From the first event, because the state file is for something else; the reason says what.
    StartOver(String),
}

/// Where a push to `to` of inputs with these fingerprints and event counts starts, given the state file's content
/// (`None`: there is none); `prefix_of(n)` is the digest ([`Prefix`]) of the first `n` events read now. Only a state
/// of the same format, endpoint, inputs (path, length, SHA-256, in order), event counts and acknowledged events is
/// resumed.
pub fn resume(
    saved: Option<&State>,
    to: &str,
    inputs: &[Fingerprint],
    counts: &[u64],
    prefix_of: impl FnOnce(u64) -> String,
) -> Resume {
    let Some(saved) = saved else { return Resume::Fresh };
    if saved.format != FORMAT {
        return Resume::StartOver(format!("it is of format {:?}, not {FORMAT:?}", saved.format));
    }
    if saved.to != to {
        return Resume::StartOver(format!("it records a push to {}", saved.to));
    }
    if saved.inputs.len() != inputs.len() {
        return Resume::StartOver(format!("it records {} input file(s), not {}", saved.inputs.len(), inputs.len()));
    }
    for (was, now) in saved.inputs.iter().zip(inputs) {
        let was_print = &was.fingerprint;
        if was_print.path != now.path {
            return Resume::StartOver(format!("it records {} where {} is given now", was_print.path, now.path));
        }
        if was_print.length != now.length {
            return Resume::StartOver(format!(
                "{} changed since: {} bytes then, {} now",
                now.path, was_print.length, now.length
            ));
        }
        if was_print.sha256 != now.sha256 {
            return Resume::StartOver(format!("{} changed since: its content (SHA-256) differs", now.path));
        }
    }
    let total: u64 = counts.iter().sum();
    let recorded: Vec<u64> = saved.inputs.iter().map(|i| i.events).collect();
    if recorded != counts || saved.total != total {
        return Resume::StartOver(format!("it counts {} events in the input, {total} are read now", saved.total));
    }
    let per_input: u64 = saved.inputs.iter().map(|i| i.events_acknowledged).sum();
    if saved.acknowledged > total || per_input != saved.acknowledged {
        return Resume::StartOver(format!(
            "its counts do not add up ({} acknowledged of {total}, {per_input} over the inputs)",
            saved.acknowledged
        ));
    }
    if prefix_of(saved.acknowledged) != saved.acknowledged_sha256 {
        return Resume::StartOver(format!(
            "the first {} events read now are not the ones acknowledged then",
            saved.acknowledged
        ));
    }
    Resume::After(saved.acknowledged)
}

/// The state file at `path`: `Ok(None)` when there is none, `Err` (naming the file) when it cannot be read as one.
pub fn load(path: &Path) -> Result<Option<State>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            serde_json::from_str(&text).map(Some).map_err(|e| format!("{}: not a state file: {e}", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Writes `state` to `path` whole or not at all, and durably: a temporary file beside it is written and synced,
/// renamed over `path`, and the directory synced, so that after a crash the file holds the old state or the new.
pub fn save(path: &Path, state: &State) -> std::io::Result<()> {
    let mut text = serde_json::to_string_pretty(state).map_err(std::io::Error::other)?;
    text.push('\n');
    let temporary = temporary_beside(path);
    let written = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written?;
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    std::fs::File::open(directory)?.sync_all()
}

/// `path` with `.tmp` and this process's id added: beside it (so the rename stays on one filesystem) and not shared
/// with another process writing the same state.
fn temporary_beside(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".tmp{}", std::process::id()));
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TO: &str = "https://wartezeit.example/api/v1/events";

    fn print(path: &str, content: &[u8]) -> Fingerprint {
        Fingerprint { path: path.into(), length: content.len() as u64, sha256: hex::encode(Sha256::digest(content)) }
    }

    /// The digest of the first `n` events, as a reader that gives the same events every time reports it.
    fn same(n: u64) -> String {
        format!("the first {n} events")
    }

    fn saved(inputs: &[Fingerprint], counts: &[u64], acknowledged: u64) -> State {
        let mut left = acknowledged;
        let progress: Vec<Progress> = counts
            .iter()
            .map(|n| {
                let done = left.min(*n);
                left -= done;
                Progress { events: done, through_line: done, bytes: done * 10 }
            })
            .collect();
        State::new(TO, inputs, counts, &progress, acknowledged, same(acknowledged))
    }

    #[test]
    fn the_same_inputs_at_the_same_service_resume_after_the_acknowledged_events() {
        let inputs = [print("/d/a.ndjson", b"a"), print("/d/b.ndjson", b"b")];
        assert_eq!(resume(None, TO, &inputs, &[5, 7], same), Resume::Fresh);
        for acknowledged in [0, 3, 5, 9, 12] {
            let state = saved(&inputs, &[5, 7], acknowledged);
            assert_eq!(resume(Some(&state), TO, &inputs, &[5, 7], same), Resume::After(acknowledged));
        }
    }

    #[test]
    fn a_changed_input_starts_over_and_says_why() {
        let inputs = [print("/d/a.ndjson", b"first\n")];
        let state = saved(&inputs, &[1], 1);
        let grown = [print("/d/a.ndjson", b"first\nsecond\n")];
        let Resume::StartOver(why) = resume(Some(&state), TO, &grown, &[2], same) else {
            panic!("resumed a grown file")
        };
        assert_eq!(why, "/d/a.ndjson changed since: 6 bytes then, 13 now");
        let edited = [print("/d/a.ndjson", b"FIRST\n")];
        let Resume::StartOver(why) = resume(Some(&state), TO, &edited, &[1], same) else { panic!("resumed an edit") };
        assert_eq!(why, "/d/a.ndjson changed since: its content (SHA-256) differs");
    }

    #[test]
    fn another_service_other_files_or_another_order_start_over() {
        let a = print("/d/a.ndjson", b"a");
        let b = print("/d/b.ndjson", b"b");
        let state = saved(&[a.clone(), b.clone()], &[1, 1], 2);
        let elsewhere =
            resume(Some(&state), "https://other.example/api/v1/events", &[a.clone(), b.clone()], &[1, 1], same);
        assert_eq!(elsewhere, Resume::StartOver(format!("it records a push to {TO}")));
        let swapped = resume(Some(&state), TO, &[b.clone(), a.clone()], &[1, 1], same);
        assert_eq!(swapped, Resume::StartOver("it records /d/a.ndjson where /d/b.ndjson is given now".into()));
        let fewer = resume(Some(&state), TO, std::slice::from_ref(&a), &[1], same);
        assert_eq!(fewer, Resume::StartOver("it records 2 input file(s), not 1".into()));
        let counted_otherwise = resume(Some(&state), TO, &[a, b], &[2, 1], same);
        assert!(matches!(counted_otherwise, Resume::StartOver(_)), "{counted_otherwise:?}");
    }

    #[test]
    fn a_state_that_does_not_add_up_or_of_another_format_is_not_trusted() {
        let inputs = [print("/d/a.ndjson", b"a")];
        let mut state = saved(&inputs, &[4], 2);
        state.acknowledged = 3;
        assert!(matches!(resume(Some(&state), TO, &inputs, &[4], same), Resume::StartOver(_)));
        let mut state = saved(&inputs, &[4], 2);
        state.format = "wartezeit-push-state 0".into();
        assert!(matches!(resume(Some(&state), TO, &inputs, &[4], same), Resume::StartOver(_)));
    }

    #[test]
    fn other_events_than_those_acknowledged_start_over() {
        // The same files, but a reader that now gives other events (another mapping, another version).
        let inputs = [print("/d/list.csv", b"a;b")];
        let state = saved(&inputs, &[4], 2);
        let changed = resume(Some(&state), TO, &inputs, &[4], |n| format!("other {n} events"));
        assert_eq!(changed, Resume::StartOver("the first 2 events read now are not the ones acknowledged then".into()));
    }

    #[test]
    fn the_digest_of_a_prefix_grows_with_the_bodies_sent() {
        let lines: Vec<String> = ["{\"a\":1}", "{\"b\":2}", "{\"c\":3}"].map(String::from).to_vec();
        let mut prefix = Prefix::of(&lines[..1]);
        prefix.extend(b"{\"b\":2}\n{\"c\":3}\n");
        assert_eq!(prefix.hex(), Prefix::of(&lines).hex());
        assert_eq!(Prefix::of(&[]).hex(), hex::encode(Sha256::digest(b"")));
        assert_ne!(Prefix::of(&lines[..2]).hex(), Prefix::of(&lines).hex());
    }

    #[test]
    fn a_saved_state_reads_back_and_replaces_the_old_one_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("input.ndjson.push-state");
        assert_eq!(load(&path), Ok(None));
        let inputs = [print("/d/a.ndjson", b"a")];
        let first = saved(&inputs, &[4], 2);
        save(&path, &first).unwrap();
        assert_eq!(load(&path), Ok(Some(first)));
        let second = saved(&inputs, &[4], 4);
        save(&path, &second).unwrap();
        assert_eq!(load(&path), Ok(Some(second)));
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["input.ndjson.push-state"], "no temporary file is left behind");
        std::fs::write(&path, "{ not json").unwrap();
        assert!(load(&path).unwrap_err().starts_with(&format!("{}: not a state file", path.display())));
    }
}
