//! What an operator meets when installing, configuring and upgrading: the stored format and what each version does
//! with another's store, data directories without a store, and the configuration file below flags and environment.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The head of the store in `tests/fixtures/store-0.1.0`: the data set's first 300 events, imported by the release
/// before the stored format was recorded (0.1.0 of 2026-11-30).
const FIXTURE_HEAD: &str = "ok: position 300, digest d76e97a0cdcc9c8c3a90e1a240c3390fa42b5c968a810f506df0238c6c280bec";

/// Runs the binary in `cwd` with no `WARTEZEIT_*` variables but `env`.
fn run_in(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wartezeit"));
    command.current_dir(cwd).args(args);
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("WARTEZEIT_")) {
        command.env_remove(key);
    }
    command.envs(env.iter().copied()).output().expect("the binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every file under `dir` with its bytes, to see that a refusal changed nothing.
fn contents(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut found = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(contents(&path));
        } else {
            found.insert(path.clone(), std::fs::read(&path).unwrap());
        }
    }
    found
}

fn copy_fixture(to: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store-0.1.0");
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

#[test]
fn a_store_of_the_previous_release_opens_keeps_its_digests_and_gets_its_format_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    copy_fixture(&data);
    assert!(!data.join("store-format").exists());

    let verified = run_in(dir.path(), &["--data-dir", "data", "verify"], &[]);
    assert!(verified.status.success(), "{}", stderr(&verified));
    assert_eq!(stdout(&verified).trim(), FIXTURE_HEAD);

    let exported = run_in(dir.path(), &["--data-dir", "data", "export"], &[]);
    let data_set = include_str!("../data/kaiserslautern-2020.ndjson");
    let first: String = data_set.lines().take(300).map(|l| format!("{l}\n")).collect();
    assert_eq!(stdout(&exported), first, "the old store exports the events it was made from");
    assert_eq!(std::fs::read_to_string(data.join("store-format")).unwrap(), "wartezeit store format 2\n");

    // And it takes appends as any store of this version.
    let rest = dir.path().join("rest.ndjson");
    std::fs::write(&rest, data_set.lines().skip(300).take(100).map(|l| format!("{l}\n")).collect::<String>()).unwrap();
    let imported = run_in(dir.path(), &["--data-dir", "data", "import", "rest.ndjson"], &[]);
    assert!(stdout(&imported).contains("appended 100,"), "{}{}", stdout(&imported), stderr(&imported));
}

#[test]
fn a_store_of_a_newer_format_is_refused_by_every_command_with_the_way_over_and_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    copy_fixture(&data);
    std::fs::write(data.join("store-format"), "wartezeit store format 3\n").unwrap();
    let before = contents(&data);
    let events = dir.path().join("none.ndjson");
    std::fs::write(&events, "").unwrap();
    for args in [
        &["summary"][..],
        &["verify"],
        &["export"],
        &["import", "none.ndjson"],
        &["serve", "--insecure-no-auth", "--listen", "127.0.0.1:0"],
    ] {
        let out = run_in(dir.path(), &[&["--data-dir", "data"], args].concat(), &[]);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let message = stderr(&out);
        for words in [
            "holds stored format 3, written by a newer wartezeit",
            "reads stored format 2 and changes nothing in it",
            "`wartezeit export > events.ndjson` with the newer version, then `wartezeit import events.ndjson`",
        ] {
            assert!(message.contains(words), "{args:?}: {message}");
        }
    }
    assert_eq!(contents(&data), before, "a refused store is not touched");
}

#[test]
fn a_store_of_stored_format_1_is_refused_naming_export_and_import() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    {
        // Stored format 1 kept one entry per key under `e` ‖ position (and never recorded its format).
        let db = sled::open(&data).unwrap();
        let tree = db.open_tree("ledger").unwrap();
        let mut key = vec![b'e'];
        key.extend_from_slice(&1u64.to_be_bytes());
        tree.insert(key, b"\x01an old entry".to_vec()).unwrap();
        db.flush().unwrap();
    }
    let out = run_in(dir.path(), &["--data-dir", "data", "summary"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let message = stderr(&out);
    assert!(message.contains("holds stored format 1, which this version"), "{message}");
    assert!(message.contains("`wartezeit export > events.ndjson` with the version that wrote it"), "{message}");
    assert!(!data.join("store-format").exists(), "an unreadable store gets no format record");
}

#[test]
fn only_import_and_serve_init_make_a_store_and_readers_name_the_directory_they_did_not_find() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    for (data_dir, what) in [("typo", "does not exist"), ("empty", "holds no store")] {
        for args in [&["summary"][..], &["offices"], &["export"], &["verify"], &["serve", "--insecure-no-auth"]] {
            let out = run_in(dir.path(), &[&["--data-dir", data_dir], args].concat(), &[]);
            assert_eq!(out.status.code(), Some(1), "{args:?}");
            let message = stderr(&out);
            assert!(message.contains(&format!("data directory {data_dir} {what}")), "{args:?}: {message}");
            assert!(message.contains("`serve --init` an empty one"), "{args:?}: {message}");
        }
    }
    assert!(!dir.path().join("typo").exists(), "nothing was created");
    assert_eq!(std::fs::read_dir(dir.path().join("empty")).unwrap().count(), 0);
}

/// `serve --print-config` in `cwd` with `args` and `env`, as the text it prints.
fn print_config(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let out = run_in(cwd, &[&["serve", "--print-config"], args].concat(), env);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

/// The line of `key` in a printed configuration, without its padding.
fn setting<'a>(printed: &'a str, key: &str) -> (&'a str, &'a str) {
    let line = printed.lines().find(|l| l.starts_with(&format!("{key} = "))).unwrap_or_else(|| panic!("{printed}"));
    let (value, origin) = line.split_once(" # ").unwrap();
    (value.trim_end(), origin)
}

#[test]
fn the_config_file_sets_what_flags_and_environment_leave_open_and_print_config_says_where_each_came_from() {
    let dir = tempfile::tempdir().unwrap();
    let etc = dir.path().join("etc");
    std::fs::create_dir(&etc).unwrap();
    let config = "# the office's service\n\
                  data_dir = \"store\"\n\
                  listen = \"127.0.0.1:9091\"\n\
                  token_file = \"token\"\n\
                  max_connections = 64\n\
                  log_format = \"json\"\n\
                  init = true\n";
    std::fs::write(etc.join("wartezeit.toml"), config).unwrap();

    let printed = print_config(dir.path(), &["--config", "etc/wartezeit.toml"], &[]);
    // Paths in the file are taken from the file's directory.
    assert_eq!(setting(&printed, "data_dir"), ("data_dir = \"etc/store\"", "config file"));
    assert_eq!(setting(&printed, "token_file"), ("token_file = \"etc/token\"", "config file"));
    assert_eq!(setting(&printed, "listen"), ("listen = \"127.0.0.1:9091\"", "config file"));
    assert_eq!(setting(&printed, "log_format"), ("log_format = \"json\"", "config file"));
    assert_eq!(setting(&printed, "header_timeout_secs"), ("header_timeout_secs = 10", "default"));

    // The environment over the file, the command line over both.
    let env = [("WARTEZEIT_CONFIG", "etc/wartezeit.toml"), ("WARTEZEIT_LISTEN", "127.0.0.1:9092")];
    let printed = print_config(dir.path(), &["--max-connections", "8"], &env);
    assert_eq!(setting(&printed, "listen"), ("listen = \"127.0.0.1:9092\"", "environment"));
    assert_eq!(setting(&printed, "max_connections"), ("max_connections = 8", "command line"));
    assert_eq!(setting(&printed, "init"), ("init = true", "config file"));

    // A token from the environment is never printed.
    let printed = print_config(dir.path(), &[], &[("WARTEZEIT_TOKEN", "s3cret-token")]);
    assert!(!printed.contains("s3cret-token") && printed.contains("from WARTEZEIT_TOKEN, \"********\""), "{printed}");

    // What it prints is a config file that gives the same settings.
    let printed = print_config(dir.path(), &["--config", "etc/wartezeit.toml"], &[]);
    std::fs::write(dir.path().join("printed.toml"), &printed).unwrap();
    let again = print_config(dir.path(), &["--config", "printed.toml"], &[]);
    let values = |text: &str| {
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| l.split(" # ").next().unwrap().trim_end().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(values(&again), values(&printed));
}

#[test]
fn the_configured_service_makes_its_store_and_readers_find_it_through_the_same_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = "data_dir = \"store\"\ninit = true\ntz = \"Europe/Berlin\"\n";
    std::fs::write(dir.path().join("wartezeit.toml"), config).unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/kaiserslautern-2020.ndjson");
    let imported = run_in(dir.path(), &["--config", "wartezeit.toml", "import", data.to_str().unwrap()], &[]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    assert!(dir.path().join("store/store-format").exists());
    let offices = run_in(dir.path(), &["--config", "wartezeit.toml", "offices"], &[]);
    assert!(stdout(&offices).contains("kl-buergercenter"), "{}", stderr(&offices));
}

#[test]
fn a_bad_config_file_names_file_line_and_key_and_nothing_starts() {
    let dir = tempfile::tempdir().unwrap();
    for (text, expected) in [
        ("listen = \"127.0.0.1:8080\"\nlisen = \"x\"\n", "line 2: unknown field `lisen`"),
        ("\n\nmax_connections = 0\n", "line 3, max_connections: 0 is not in 1..=1000000"),
        ("tz = \"Mars/Olympus\"\n", "line 1, tz: \"Mars/Olympus\" is not an IANA time zone name"),
        ("listen = 8080\n", "line 1"),
        ("log_format = \"xml\"\n", "line 1, log_format: \"xml\" is neither \"text\" nor \"json\""),
        ("token_file = \"t\"\ninsecure_no_auth = true\n", "token_file and insecure_no_auth exclude each other"),
    ] {
        std::fs::write(dir.path().join("bad.toml"), text).unwrap();
        let out = run_in(dir.path(), &["--config", "bad.toml", "serve", "--init"], &[]);
        assert_eq!(out.status.code(), Some(1), "{text}");
        let message = stderr(&out);
        assert!(message.contains("config file bad.toml") && message.contains(expected), "{text}: {message}");
    }
    let missing = run_in(dir.path(), &["--config", "nowhere.toml", "summary"], &[]);
    assert!(stderr(&missing).contains("cannot read config file nowhere.toml"), "{}", stderr(&missing));
    assert!(!dir.path().join("wartezeit-data").exists(), "nothing was created");
}
