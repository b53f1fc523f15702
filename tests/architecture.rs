//! The codemap's invariants that a reading of the sources can check (src/lib.rs, "Architecture invariants").

use std::path::Path;

/// Every `.rs` file under `dir`, with its text.
fn sources(dir: &Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push((path.display().to_string(), std::fs::read_to_string(&path).unwrap()));
        }
    }
    found
}

fn src(part: &str) -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let dir = root.join(part);
    let mut files = if dir.is_dir() { sources(&dir) } else { Vec::new() };
    let module = root.join(format!("{part}.rs"));
    if module.exists() {
        files.push((module.display().to_string(), std::fs::read_to_string(&module).unwrap()));
    }
    files
}

#[test]
fn the_edges_do_not_import_each_other() {
    for (path, text) in src("service") {
        assert!(!text.contains("crate::cli"), "{path} names the command line");
    }
    for (path, text) in src("cli") {
        let starts_the_service = path.ends_with("cli/serve.rs") || path.ends_with("cli/demo.rs");
        assert!(starts_the_service || !text.contains("crate::service"), "{path} names the HTTP service");
    }
}

#[test]
fn the_functional_core_knows_nothing_of_disk_http_or_clock() {
    let core = [
        "domain",
        "rules",
        "projection",
        "forecast",
        "press",
        "report",
        "chart",
        "page",
        "holidays",
        "scenario",
        "exposition",
        "read",
        "lang",
        "mapping",
    ];
    for part in core {
        // Tests of the core may read files; the core itself may not.
        for (path, text) in src(part).into_iter().filter(|(path, _)| !path.ends_with("tests.rs")) {
            let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or_default();
            for outside in [
                "sled::",
                "axum::",
                "prometheus::",
                "Utc::now",
                "Local::now",
                "std::fs::",
                "crate::log::",
                "crate::service",
                "crate::cli",
            ] {
                assert!(!text.contains(outside), "{path} (functional core) uses {outside}");
            }
        }
    }
}
