//! Running the `wartezeit` binary in black-box tests, and a data directory holding the committed 2020 data set.
#![allow(dead_code)] // each test file uses the part it needs

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, OnceLock};

/// One process at a time may open a data directory (sled locks it), and the tests of a file share one.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Runs the binary on `data_dir` with `args`, feeding `stdin` when given.
pub fn run(data_dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut command = Command::new(env!("CARGO_BIN_EXE_wartezeit"));
    command.arg("--data-dir").arg(data_dir).args(args);
    match stdin {
        None => command.output().expect("the binary runs"),
        Some(input) => {
            use std::io::Write;
            let mut child =
                command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("starts");
            child.stdin.take().expect("stdin").write_all(input).expect("input written");
            child.wait_with_output().expect("the binary ends")
        }
    }
}

/// Runs the binary, asserts success, and returns its standard output.
pub fn ok(data_dir: &Path, args: &[&str]) -> String {
    let out = run(data_dir, args, None);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// A data directory holding the committed scenario, imported once per test binary.
pub fn store() -> &'static Path {
    static STORE: OnceLock<tempfile::TempDir> = OnceLock::new();
    STORE
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("a temporary directory");
            let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/kaiserslautern-2020.ndjson");
            ok(dir.path(), &["import", data.to_str().expect("a UTF-8 path")]);
            dir
        })
        .path()
}
