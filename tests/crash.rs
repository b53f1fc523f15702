//! Crash safety: a child `wartezeit import` killed with SIGKILL at random moments leaves a log that opens,
//! verifies, is a prefix of the input, and holds every batch the child acknowledged.

use std::io::{BufRead as _, BufReader, Read as _};
use std::path::Path;
use std::process::{Command, Stdio};

use rand::{Rng, SeedableRng};
use wartezeit::domain::wire::to_json_line;
use wartezeit::sample;

const EVENTS: usize = 30_000;
const BATCH: usize = 300;

fn wartezeit(data: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wartezeit"));
    command.arg("--data-dir").arg(data);
    command
}

fn ack_position(line: &str) -> u64 {
    line.strip_prefix("ack ").and_then(|p| p.trim().parse().ok()).unwrap_or_else(|| panic!("not an ack: {line:?}"))
}

#[test]
fn sigkill_during_import_loses_no_acknowledged_batch() {
    let work = tempfile::tempdir().unwrap();
    let lines: Vec<String> = sample::events(77, EVENTS).iter().map(to_json_line).collect();
    let file = work.path().join("input.ndjson");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2020);
    let data = work.path().join("data");

    for round in 0..6 {
        // Every round continues the same directory: the re-import skips what is there (duplicates) and goes on.
        let mut child = wartezeit(&data)
            .args(["import", "--ack", "--batch-size", &BATCH.to_string()])
            .arg(&file)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the child starts");
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        let wait_for = rng.random_range(1..=(EVENTS / BATCH) / 8);
        let mut acked = 0;
        let mut line = String::new();
        for _ in 0..wait_for {
            line.clear();
            if out.read_line(&mut line).expect("reads the pipe") == 0 {
                break;
            }
            if line.starts_with("ack ") {
                acked = acked.max(ack_position(&line));
            }
        }
        child.kill().expect("SIGKILL");
        child.wait().expect("the child is reaped");
        // Acks the child wrote before it died are acknowledged too.
        let mut rest = String::new();
        out.read_to_string(&mut rest).expect("reads the rest");
        for line in rest.lines().filter(|l| l.starts_with("ack ")) {
            acked = acked.max(ack_position(line));
        }

        let verify = wartezeit(&data).arg("verify").output().unwrap();
        let stdout = String::from_utf8_lossy(&verify.stdout);
        assert!(verify.status.success(), "round {round}: {}", String::from_utf8_lossy(&verify.stderr));
        let export = wartezeit(&data).arg("export").output().unwrap();
        let exported: Vec<&str> = std::str::from_utf8(&export.stdout).unwrap().lines().collect();
        assert!(exported.len() as u64 >= acked, "round {round}: acknowledged {acked}, stored {}", exported.len());
        assert_eq!(exported[..], lines[..exported.len()], "round {round}: the log is a prefix of the input");
        assert!(stdout.starts_with(&format!("ok: position {},", exported.len())), "{stdout}");
    }

    // Finally an import that is left alone completes the log.
    let done = wartezeit(&data).arg("import").arg(&file).output().unwrap();
    assert!(done.status.success());
    let export = wartezeit(&data).arg("export").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&export.stdout), lines.join("\n") + "\n");
}
