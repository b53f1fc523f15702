//! The `wartezeit` binary, black box: import, export, verify, and the data directory's lock.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use wartezeit::domain::wire::to_json_line;
use wartezeit::sample;

fn wartezeit(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wartezeit"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs")
}

fn with_stdin(data: &Path, args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wartezeit"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("writes stdin");
    child.wait_with_output().expect("finishes")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn ndjson(seed: u64, n: usize) -> String {
    sample::events(seed, n).iter().map(|e| to_json_line(e) + "\n").collect()
}

/// Imports `input` from a file in `work`; returns the output.
fn import_file(work: &Path, data: &Path, input: &str, extra: &[&str]) -> Output {
    let file = work.join("input.ndjson");
    std::fs::write(&file, input).expect("writes the input");
    let mut args = vec!["import"];
    args.extend_from_slice(extra);
    args.push(file.to_str().expect("a UTF-8 path"));
    wartezeit(data, &args)
}

fn summary_digest(out: &Output) -> String {
    let stdout = text(&out.stdout);
    stdout.rsplit("digest ").next().expect("a digest").trim().to_owned()
}

#[test]
fn import_verify_export_and_import_again_reproduce_the_digest() {
    let work = tempfile::tempdir().unwrap();
    let (a, b) = (work.path().join("a"), work.path().join("b"));
    let input = ndjson(11, 500);
    let first = import_file(work.path(), &a, &input, &[]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(text(&first.stdout).starts_with("appended 500, duplicates 0, last position 500, digest "));

    let verify = wartezeit(&a, &["verify"]);
    assert!(verify.status.success());
    assert_eq!(text(&verify.stdout).trim(), format!("ok: position 500, digest {}", summary_digest(&first)));

    let export = wartezeit(&a, &["export"]);
    assert!(export.status.success());
    assert_eq!(text(&export.stdout), input, "the export of a canonical input is the input");

    let second = with_stdin(&b, &["import", "-"], &text(&export.stdout));
    assert!(second.status.success(), "{}", text(&second.stderr));
    assert_eq!(summary_digest(&second), summary_digest(&first));

    let again = import_file(work.path(), &a, &input, &[]);
    assert!(again.status.success());
    assert!(
        text(&again.stdout).starts_with("appended 0, duplicates 500, last position 500"),
        "{}",
        text(&again.stdout)
    );
}

#[test]
fn a_bad_input_names_every_line_and_appends_nothing() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let mut lines: Vec<String> = ndjson(12, 20).lines().map(str::to_owned).collect();
    lines[3] = "{not json".into();
    lines[7] = lines[7].replace("\"at\"", "\"at\":\"x\",\"extra\"");
    lines.push(
        r#"{"event_id":"late","type":"appointment_cancelled","at":"2020-06-01T10:00:00Z","office":"kl","appointment_id":"nobody"}"#
            .into(),
    );
    let input = lines.join("\n") + "\n\n";
    let out = import_file(work.path(), &data, &input, &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    let file = work.path().join("input.ndjson");
    let name = file.display();
    assert!(stderr.contains(&format!("{name}:4: not JSON")), "{stderr}");
    assert!(stderr.contains(&format!("{name}:8: field \"extra\": unknown field (400)")), "{stderr}");
    assert!(stderr.contains(&format!("{name}:21: field \"appointment_id\": appointment \"nobody\"")), "{stderr}");
    assert!(stderr.contains("nothing appended"), "{stderr}");
    let export = wartezeit(&data, &["export"]);
    assert_eq!(text(&export.stdout), "", "nothing was appended");
}

#[test]
fn a_dry_run_appends_nothing() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let out = import_file(work.path(), &data, &ndjson(13, 30), &["--dry-run"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("would append 30"), "{}", text(&out.stdout));
    assert_eq!(
        text(&wartezeit(&data, &["verify"]).stdout).trim(),
        format!("ok: position 0, digest {}", "0".repeat(64))
    );
}

#[test]
fn export_with_meta_and_from() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    assert!(import_file(work.path(), &data, &ndjson(14, 10), &[]).status.success());
    let out = wartezeit(&data, &["export", "--from", "9", "--with-meta"]);
    let lines: Vec<serde_json::Value> =
        text(&out.stdout).lines().map(|l| serde_json::from_str(l).expect("JSON")).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["position"], 9);
    assert_eq!(lines[1]["event"]["event_id"], "ev-14-9");
    assert_eq!(lines[1]["digest"].as_str().map(str::len), Some(64));
    let verify = text(&wartezeit(&data, &["verify"]).stdout);
    assert!(verify.contains(lines[1]["digest"].as_str().unwrap()), "the last digest is the head's");
}

#[test]
fn verify_names_the_position_of_a_flipped_byte() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
    let work = tempfile::tempdir().unwrap();
    // 200 entries fill several chunks, so the damaged entry is sometimes in the middle of the log.
    let input = ndjson(15, 200);
    for round in 0..8 {
        let data = work.path().join(format!("data-{round}"));
        assert!(import_file(work.path(), &data, &input, &[]).status.success());
        let position: u64 = rng.random_range(1..=200);
        {
            let db = sled::open(&data).expect("opens sled directly");
            let tree = db.open_tree("ledger").expect("the ledger tree");
            // Entries are stored in chunks keyed by their first position: the chunk that holds `position` is the
            // last one that starts at or before it.
            let mut key = vec![b'c'];
            key.extend_from_slice(&position.to_be_bytes());
            let (key, value) = tree.range(&b"c"[..]..=&key[..]).next_back().expect("a chunk").unwrap();
            let first = u64::from_be_bytes(key[1..].try_into().unwrap());
            let spans = wartezeit::log::codec::chunk_spans(&value).expect("a stored chunk");
            let span = spans[(position - first) as usize].clone();
            let mut value = value.to_vec();
            // Any byte of the entry, its length in front included.
            let at = rng.random_range(span);
            value[at] ^= 1 << rng.random_range(0..8);
            tree.insert(key, value).unwrap();
            db.flush().unwrap();
        }
        let out = wartezeit(&data, &["verify"]);
        assert_eq!(out.status.code(), Some(1), "round {round}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains(&format!("position {position}:")), "round {round}: {stderr}");
    }
}

#[test]
fn a_second_process_gets_a_clear_error() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let log = wartezeit::log::Log::open(&data).expect("opens");
    let out = wartezeit(&data, &["verify"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains(&format!("data directory {} is in use by another process", data.display())), "{stderr}");
    drop(log);
    assert!(wartezeit(&data, &["verify"]).status.success(), "free again once the holder is gone");
}

#[test]
fn a_reader_that_stops_early_ends_the_output_quietly() {
    // `wartezeit scenario kaiserslautern-2020 | head -1`: 43,157 lines, the reader takes one and goes away.
    use std::io::{BufRead, BufReader};
    let data = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_wartezeit"))
        .arg("--data-dir")
        .arg(data.path())
        .args(["scenario", "kaiserslautern-2020"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(first.contains("\"type\":\"office_described\""), "{first}");
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{:?}: {}", out.status, text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn a_read_command_on_a_missing_data_directory_names_it_and_creates_nothing() {
    let parent = tempfile::tempdir().unwrap();
    let typo = parent.path().join("wartezeit-dta");
    for args in [
        &["summary"][..],
        &["offices"],
        &["export"],
        &["verify"],
        &["series", "--from", "2020-06-01", "--to", "2020-06-02"],
    ] {
        let out = wartezeit(&typo, args);
        assert!(!out.status.success(), "{args:?}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains(&format!("data directory {} does not exist", typo.display())), "{args:?}: {stderr}");
        assert!(!typo.exists(), "{args:?} created the directory");
    }
}
