//! `wartezeit import-appointments`: an appointment list as German Excel writes it (semicolons, Windows-1252,
//! `dd.mm.yyyy hh:mm`) becomes events through a mapping, all or nothing, and importing it again appends nothing.

mod support {
    pub mod cli;
}

use support::cli::{ok, run};

const MAPPING: &str = r#"
[source]
name = "kl-liste"
encoding = "windows-1252"

[columns]
appointment_id = "Termin-Nr."
office = "Standort"
service = "Dienstleistung"
slot = "Termin"
booked_at = "gebucht am"
status = "Status"
changed_at = "geändert am"

[status]
booked = ["gebucht"]
cancelled = ["storniert"]
attended = ["erledigt"]
missed = ["nicht erschienen"]

[offices]
"Bürgercenter Kaiserslautern" = "kl-buergercenter"

[services]
"Personalausweis" = "personalausweis"
"Führungszeugnis" = "fuehrungszeugnis"
"#;

const LIST: &str = "Termin-Nr.;Standort;Dienstleistung;Termin;gebucht am;Status;geändert am\r\n\
4711;Bürgercenter Kaiserslautern;Personalausweis;24.06.2020 09:15;02.06.2020 08:01;erledigt;24.06.2020 09:31\r\n\
4712;Bürgercenter Kaiserslautern;Führungszeugnis;25.06.2020 10:00;03.06.2020 12:00;storniert;05.06.2020 17:45\r\n\
4713;Bürgercenter Kaiserslautern;Personalausweis;26.06.2020 11:00;04.06.2020 12:00;gebucht;\r\n";

/// A directory with the mapping and the list, encoded as German Excel saves CSV.
fn files(list: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("mapping.toml"), MAPPING).unwrap();
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(list);
    assert!(!unmappable);
    std::fs::write(dir.path().join("termine.csv"), bytes).unwrap();
    dir
}

fn args(dir: &tempfile::TempDir) -> Vec<String> {
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    vec!["import-appointments".into(), "--mapping".into(), path("mapping.toml"), path("termine.csv")]
}

#[test]
fn a_german_excel_list_becomes_events_once() {
    let store = tempfile::tempdir().unwrap();
    let input = files(LIST);
    let args = args(&input);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();

    let dry = ok(store.path(), &[&args[..], &["--dry-run"]].concat());
    assert!(dry.contains("rows 3") && dry.contains("events 5"), "{dry}");
    assert!(dry.contains("dry run: nothing appended, log unchanged at position 0"), "{dry}");

    let first = ok(store.path(), &args);
    assert!(first.contains("appended 5, duplicates 0"), "{first}");
    let again = ok(store.path(), &args);
    assert!(again.contains("appended 0, duplicates 5"), "importing the same list again appends nothing: {again}");

    // 4711 attended, 4712 cancelled, 4713 open: one request open on 24 June.
    let summary: serde_json::Value =
        serde_json::from_str(&ok(store.path(), &["summary", "--as-of", "2020-06-24", "--format", "json"])).unwrap();
    assert_eq!(summary["backlog"]["today"], 1, "{summary}");
}

#[test]
fn a_row_that_cannot_be_mapped_is_named_and_nothing_is_appended() {
    let store = tempfile::tempdir().unwrap();
    let bad = LIST.replace(
        "4713;Bürgercenter Kaiserslautern;Personalausweis;26.06.2020 11:00;04.06.2020 12:00;gebucht;",
        "4713;Bürgercenter Kaiserslautern;Personalausweis;26.06.2020 11:00;04.06.2020 12:00;verschoben;",
    );
    let input = files(&bad);
    let args = args(&input);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(store.path(), &args, None);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(r#"termine.csv:4, column "Status", value "verschoben": is none of the status values"#),
        "{stderr}"
    );
    assert!(stderr.contains("nothing appended"), "{stderr}");
    let offices = ok(store.path(), &["offices", "--format", "json"]);
    assert_eq!(offices.trim(), "[]", "the log stays empty");
}
