//! Checkpoints as an operator meets them: `wartezeit checkpoint` killed with SIGKILL while it writes leaves a store
//! that opens with the right figures; a read command writes one after a long fold and the next starts from it;
//! `verify` checks them, and a checkpoint with a byte flipped is named by `verify` and ignored when reading.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use wartezeit::domain::wire::to_json_line;
use wartezeit::sample;

fn wartezeit(data: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wartezeit"));
    command.arg("--data-dir").arg(data);
    command
}

fn run(data: &Path, args: &[&str]) -> Output {
    wartezeit(data).args(args).output().expect("wartezeit runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A store of `n` sample events over five offices.
fn store(work: &Path, n: usize) -> PathBuf {
    let lines: Vec<String> = sample::events_over(31, n, 5).iter().map(to_json_line).collect();
    let file = work.join("input.ndjson");
    std::fs::write(&file, lines.join("\n") + "\n").expect("writes");
    let data = work.join("data");
    let import = wartezeit(&data).arg("import").arg(&file).output().expect("runs");
    assert!(import.status.success(), "{}", text(&import.stderr));
    data
}

/// What a user reads: a year of one office, and the list of offices.
fn figures(data: &Path) -> (String, String) {
    let series = run(data, &["series", "--office", "trier", "--from", "2020-01-01", "--to", "2021-03-31"]);
    assert!(series.status.success(), "{}", text(&series.stderr));
    let offices = run(data, &["offices"]);
    assert!(offices.status.success(), "{}", text(&offices.stderr));
    (text(&series.stdout), text(&offices.stdout))
}

/// The files in `dir` under the data directory, by name.
fn files_in(data: &Path, dir: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(data.join(dir)) else { return Vec::new() };
    let mut names: Vec<String> = entries
        .map(|e| e.expect("an entry"))
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The projection's checkpoint files.
fn checkpoint_files(data: &Path) -> Vec<String> {
    files_in(data, "checkpoints")
}

#[test]
fn sigkill_while_writing_a_checkpoint_leaves_a_store_that_opens_with_the_right_figures() {
    let work = tempfile::tempdir().expect("temp dir");
    let data = store(work.path(), 60_000);
    let expected = figures(&data);
    assert!(checkpoint_files(&data).is_empty(), "60,000 events are too few for a read command to write one");

    let mut caught = 0;
    for round in 0..12 {
        let mut child = wartezeit(&data)
            .arg("checkpoint")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the child starts");
        // Kill it as soon as its partial file appears (or once it has finished, if it was quicker than that).
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if checkpoint_files(&data).iter().any(|n| n.ends_with(".partial")) {
                child.kill().expect("SIGKILL");
                caught += 1;
                break;
            }
            if child.try_wait().expect("polls the child").is_some() || Instant::now() > deadline {
                break;
            }
            std::thread::yield_now();
        }
        let _ = child.kill();
        child.wait().expect("the child is reaped");

        assert_eq!(figures(&data), expected, "round {round}: files {:?}", checkpoint_files(&data));
        let verify = run(&data, &["verify"]);
        assert!(verify.status.success(), "round {round}: {}", text(&verify.stderr));
    }
    assert!(caught > 0, "no round killed the child while it wrote");

    // A checkpoint written whole afterwards removes the partial file and is then used.
    let made = run(&data, &["checkpoint"]);
    assert!(made.status.success(), "{}", text(&made.stderr));
    assert_eq!(checkpoint_files(&data), ["00000000000000060000.ckpt"]);
    assert_eq!(files_in(&data, "checkpoints/rules"), ["00000000000000060000.ckpt"], "and one of the rule state");
    assert!(text(&made.stdout).contains("rule-state checkpoint at position 60000"), "{}", text(&made.stdout));
    assert_eq!(figures(&data), expected);
    let verify = run(&data, &["verify"]);
    assert!(text(&verify.stdout).contains("ok: rule-state checkpoint at position 60000 ("), "{}", text(&verify.stdout));
    // Run again at the same head, it writes no second rule-state checkpoint and names the one there is.
    let again = run(&data, &["checkpoint"]);
    assert!(text(&again.stdout).contains("rule-state checkpoint at position 60000"), "{}", text(&again.stdout));
    assert_eq!(files_in(&data, "checkpoints/rules"), ["00000000000000060000.ckpt"]);
}

#[test]
fn a_read_command_writes_a_checkpoint_after_a_long_fold_and_verify_names_a_damaged_one() {
    let work = tempfile::tempdir().expect("temp dir");
    let data = store(work.path(), 120_000);
    let first = run(&data, &["series", "--office", "trier", "--from", "2020-01-01", "--to", "2021-03-31"]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    // A read about one office would fold only that office, but with a checkpoint due it folds the whole log once
    // and writes it, so that the reads after it are quick.
    assert_eq!(checkpoint_files(&data), ["00000000000000120000.ckpt"], "the first read folded 120,000 events");
    let (series, offices) = figures(&data);
    assert_eq!(text(&first.stdout), series);

    let verify = run(&data, &["verify"]);
    assert!(verify.status.success(), "{}", text(&verify.stderr));
    let printed = text(&verify.stdout);
    assert!(printed.contains("ok: position 120000,"), "{printed}");
    assert!(printed.contains("ok: checkpoint at position 120000 ("), "{printed}");

    // A byte flipped in the middle: verify names the file and fails; reads ignore it, with a log line, and give
    // the same figures.
    let path = data.join("checkpoints").join("00000000000000120000.ckpt");
    let mut bytes = std::fs::read(&path).expect("reads");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&path, &bytes).expect("writes");
    let verify = run(&data, &["verify"]);
    assert_eq!(verify.status.code(), Some(1));
    let complaint = text(&verify.stderr);
    assert!(complaint.contains("00000000000000120000.ckpt is damaged: its checksum does not match"), "{complaint}");

    let read = run(&data, &["series", "--office", "trier", "--from", "2020-01-01", "--to", "2021-03-31"]);
    assert!(read.status.success());
    assert_eq!(text(&read.stdout), series);
    assert!(text(&read.stderr).contains("checkpoint ignored"), "{}", text(&read.stderr));
    assert_eq!(figures(&data), (series, offices));
    // The read that folded the whole log again replaced the damaged checkpoint with a good one.
    let verify = run(&data, &["verify"]);
    assert!(verify.status.success(), "{}", text(&verify.stderr));
}
