//! `wartezeit import-appointments`: an appointment list as German Excel writes it (semicolons, Windows-1252,
//! `dd.mm.yyyy hh:mm`) becomes events through a mapping, all or nothing, and importing it again appends nothing.

mod support {
    pub mod cli;
    pub mod exports;
}

use std::path::Path;

use support::cli::{ok, run};
use support::exports;

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
    // Three bookings, an attendance, a cancellation, and the names of the office and the two services.
    assert!(dry.contains("rows 3") && dry.contains("events 8"), "{dry}");
    assert!(dry.contains("dry run: nothing appended, log unchanged at position 0"), "{dry}");

    let first = ok(store.path(), &args);
    assert!(first.contains("appended 8, duplicates 0"), "{first}");
    let again = ok(store.path(), &args);
    assert!(again.contains("appended 0, duplicates 8"), "importing the same list again appends nothing: {again}");

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

const DATA_SET: &str = include_str!("../data/kaiserslautern-2020.ndjson");

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A store holding `ndjson`.
fn store_of(ndjson: &str) -> tempfile::TempDir {
    let store = tempfile::tempdir().unwrap();
    let file = store.path().join("events.ndjson");
    std::fs::write(&file, ndjson).unwrap();
    ok(store.path(), &["import", path(&file)]);
    store
}

/// Every day's figures of 2020 (and the first half of 2021, when the last appointments end).
fn year(store: &Path) -> serde_json::Value {
    let series = ok(store, &["series", "--from", "2020-01-01", "--to", "2021-06-30", "--format", "json"]);
    serde_json::from_str(&series).unwrap()
}

fn assert_same_figures(reference: &Path, imported: &Path) {
    let (want, got) = (year(reference), year(imported));
    let (want, got) = (want.as_array().unwrap(), got.as_array().unwrap());
    assert_eq!(want.len(), got.len());
    for (w, g) in want.iter().zip(got) {
        assert_eq!(w, g, "the figures of {} differ", w["date"]);
    }
}

#[test]
fn the_2020_data_set_as_a_german_audit_list_gives_the_same_figures_on_every_day_once() {
    let split = exports::split(DATA_SET);
    let reference = store_of(DATA_SET);
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("termine-2020.csv");
    std::fs::write(&csv, exports::generic_de_csv(&split)).unwrap();
    // The preset, printed and told which office the name in "Standort" is.
    let preset = ok(dir.path(), &["import-appointments", "--print-preset", "generic-de"]);
    let mapping = dir.path().join("mapping.toml");
    std::fs::write(&mapping, format!("{preset}\n[offices]\n\"{}\" = \"kl-buergercenter\"\n", exports::OFFICE_NAME))
        .unwrap();

    let mut calendar: String = split.calendar.iter().map(|l| format!("{l}\n")).collect();
    let walk_ins = DATA_SET.lines().filter(|l| l.contains("\"walk_in_served\"")).map(|l| format!("{l}\n"));
    calendar.extend(walk_ins);
    let imported = store_of(&calendar);
    let args = ["import-appointments", "--mapping", path(&mapping), path(&csv)];
    let first = ok(imported.path(), &args);
    assert!(first.contains("appointment_rescheduled 296"), "every move becomes a reschedule: {first}");
    assert_same_figures(reference.path(), imported.path());
    let again = ok(imported.path(), &args);
    assert!(again.contains("appended 0,"), "{again}");

    // The same list as a workbook, on its second sheet, imported into the same store: nothing new.
    let xlsx = dir.path().join("termine-2020.xlsx");
    exports::generic_de_xlsx(&split, &xlsx);
    let from_xlsx =
        ok(imported.path(), &["import-appointments", "--mapping", path(&mapping), "--sheet", "Termine", path(&xlsx)]);
    assert!(from_xlsx.contains("appended 0,") && from_xlsx.contains("new 0"), "{from_xlsx}");

    // The rows in another order give the same log: a fresh store fed the reversed list holds the same export.
    let mut reversed = exports::generic_de_rows(&split);
    reversed.reverse();
    let text: String = std::iter::once(exports::GENERIC_DE_HEADER.join(";"))
        .chain(reversed.iter().map(|r| r.join(";")))
        .map(|l| l + "\n")
        .collect();
    let reversed_csv = dir.path().join("rueckwaerts.csv");
    std::fs::write(&reversed_csv, text).unwrap();
    // Sorted on disk in runs of 500 rows and events, as a long export is, in a directory of the user's choice
    // that is left as it was found.
    let other = store_of(&calendar);
    let temp = tempfile::tempdir().unwrap();
    let reversed_args = ["import-appointments", "--mapping", path(&mapping), path(&reversed_csv)];
    ok(other.path(), &[&reversed_args[..], &["--sort-rows", "500", "--temp-dir", path(temp.path())]].concat());
    assert_eq!(ok(other.path(), &["export"]), ok(imported.path(), &["export"]), "the same log, event for event");
    assert_eq!(std::fs::read_dir(temp.path()).unwrap().count(), 0, "the sorted runs are removed");
}

#[test]
fn the_2020_data_set_as_a_qmatic_report_gives_the_same_figures_for_what_it_holds() {
    let split = exports::split(DATA_SET);
    let unmoved = exports::without_moves(DATA_SET, &split);
    let reference = store_of(&unmoved);
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("appointments.csv");
    std::fs::write(&report, exports::qmatic_csv(&split)).unwrap();
    let rest: String = unmoved.lines().filter(|l| !l.contains("\"appointment_")).map(|l| format!("{l}\n")).collect();
    let imported = store_of(&rest);
    let out = ok(imported.path(), &["import-appointments", "--preset", "qmatic", path(&report)]);
    assert!(out.contains("\"Complete\""), "{out}");
    assert_same_figures(reference.path(), imported.path());
}

#[test]
fn the_2020_data_set_as_zms_processes_gives_the_same_figures_for_what_they_hold() {
    let split = exports::split(DATA_SET);
    let unmoved = exports::without_moves(DATA_SET, &split);
    let reference = store_of(&unmoved);
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("processes.json");
    std::fs::write(&json, exports::zms_json(&split)).unwrap();
    let mapping = dir.path().join("zms.toml");
    std::fs::write(&mapping, "[source]\nname = \"zms-kl\"\n\n[offices]\n\"141\" = \"kl-buergercenter\"\n").unwrap();
    // Walk-ins come from ZMS too; the calendar from the data set.
    let rest: String = unmoved
        .lines()
        .filter(|l| !l.contains("\"appointment_") && !l.contains("\"walk_in_served\""))
        .map(|l| format!("{l}\n"))
        .collect();
    let imported = store_of(&rest);
    let args = ["import-appointments", "--preset", "zms", "--mapping", path(&mapping), path(&json)];
    let out = ok(imported.path(), &args);
    assert!(out.contains("walk_in_served 5537"), "{out}");
    assert_same_figures(reference.path(), imported.path());
    assert!(ok(imported.path(), &args).contains("appended 0,"), "importing again appends nothing");
    let offices = ok(imported.path(), &["offices"]);
    assert!(offices.contains(exports::OFFICE_NAME), "the scope's contact name names the office: {offices}");
}

#[test]
fn skip_invalid_appends_the_rest_and_sets_aside_the_bad_rows_with_their_appointments_other_rows() {
    let store = tempfile::tempdir().unwrap();
    let list = "Termin-Nr.;Standort;Dienstleistung;Termin;gebucht am;Status;geändert am\n\
        1;kl;pass;24.06.2020 09:15;02.06.2020 08:01;gebucht;02.06.2020 08:01\n\
        1;kl;pass;25.06.2020 09:15;02.06.2020 08:01;gebucht;kaputt\n\
        2;kl;pass;24.06.2020 09:30;02.06.2020 08:05;verloren;\n\
        3;kl;pass;24.06.2020 09:45;02.06.2020 08:10;erledigt;24.06.2020 10:00\n\
        4;kl;pass;01.06.2020 09:45;02.06.2020 08:10;gebucht;\n";
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("liste.csv");
    std::fs::write(&file, list).unwrap();
    let args = ["import-appointments", "--preset", "generic-de", path(&file)];

    let refused = run(store.path(), &args, None);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains(r#"liste.csv:3, column "geändert am", value "kaputt": is not a date and time"#),
        "{stderr}"
    );
    assert!(stderr.contains(r#"unknown status values: "verloren" (1 rows)"#), "{stderr}");
    assert!(stderr.contains("nothing appended"), "{stderr}");

    let rejected = dir.path().join("beiseite.csv");
    let out = ok(store.path(), &[&args[..], &["--skip-invalid", "--rejected", path(&rejected)]].concat());
    // Appointment 3 is appended; 1 (a bad row and the row that depends on it), 2 (unknown status) and 4 (a slot
    // before its booking, which the rules refuse) are set aside.
    assert!(out.contains("appended 2,"), "appointment 3's booking and attendance: {out}");
    let aside = std::fs::read_to_string(&rejected).unwrap();
    assert!(aside.starts_with("file,line,column,value,reason\n"), "{aside}");
    for line in ["liste.csv,2,", "liste.csv,3,", "liste.csv,4,", "liste.csv,6,"] {
        assert!(aside.contains(line), "row {line} set aside: {aside}");
    }
    assert!(aside.contains("another row of appointment 1 was set aside"), "{aside}");
    assert!(aside.contains("slot"), "the rule's reason: {aside}");
    assert_eq!(aside.lines().count(), 5, "each row set aside once: {aside}");

    // Sorted on disk one row at a time, the import comes to the same.
    let other = tempfile::tempdir().unwrap();
    let spilled = dir.path().join("beiseite-2.csv");
    let sorted_on_disk =
        ok(other.path(), &[&args[..], &["--skip-invalid", "--rejected", path(&spilled), "--sort-rows", "1"]].concat());
    assert_eq!(sorted_on_disk, out.replace("beiseite.csv", "beiseite-2.csv"));
    assert_eq!(std::fs::read_to_string(&spilled).unwrap(), aside);
    assert_eq!(ok(other.path(), &["export"]), ok(store.path(), &["export"]));
}

#[test]
fn nightly_snapshots_give_the_figures_of_what_they_can_see_and_a_later_one_appends_only_the_difference() {
    // The data set up to the end of June: the log holds May; June comes as 30 nightly exports of the list.
    let upto: String = DATA_SET
        .lines()
        .filter(|l| !l.contains("\"appointment_id\"") || l.split("\"at\":\"").nth(1).unwrap()[..10] <= *"2020-06-30")
        .map(|l| format!("{l}\n"))
        .collect();
    let reference = store_of(&exports::snapshot_reference(&upto, "2020-06-01"));
    let before: String = upto
        .lines()
        .filter(|l| !l.contains("\"appointment_id\"") || l.split("\"at\":\"").nth(1).unwrap()[..10] < *"2020-06-01")
        .map(|l| format!("{l}\n"))
        .collect();
    let imported = store_of(&before);

    let dir = tempfile::tempdir().unwrap();
    let preset = ok(dir.path(), &["import-appointments", "--print-preset", "generic-de"]);
    let mapping = dir.path().join("mapping.toml");
    std::fs::write(&mapping, format!("{preset}\n[offices]\n\"{}\" = \"kl-buergercenter\"\n", exports::OFFICE_NAME))
        .unwrap();
    let mut files = Vec::new();
    for (name, text) in exports::nightly_snapshots(&upto, "2020-06-01", "2020-06-30") {
        let file = dir.path().join(name);
        std::fs::write(&file, text).unwrap();
        files.push(path(&file).to_owned());
    }
    let import = |files: &[String]| {
        let mut args = vec!["import-appointments", "--mapping", path(&mapping), "--snapshot"];
        args.extend(files.iter().map(String::as_str));
        ok(imported.path(), &args)
    };
    let first = import(&files[..20]);
    assert!(!first.contains("vanished"), "every open appointment is listed every night: {first}");
    let later = import(&files[20..]);
    let (new_first, new_later) = (appended(&first), appended(&later));
    assert!(new_first > 0 && new_later > 0, "{first}\n{later}");
    assert_same_figures(reference.path(), imported.path());
    assert_eq!(appended(&import(&files)), 0, "the same snapshots again append nothing");
}

/// The number a run of the importer appended.
fn appended(out: &str) -> u64 {
    let at = out.find("appended ").unwrap_or_else(|| panic!("{out}")) + "appended ".len();
    out[at..].split(',').next().unwrap().parse().unwrap()
}

#[test]
fn the_2020_plans_and_closures_as_opening_hours_and_closures_lists_give_the_same_figures() {
    let reference = store_of(DATA_SET);
    let (mut hours, mut closures) = (
        String::from("Standort;gültig ab;Wochentag;von;bis;Taktung (Minuten);Plätze;beschlossen am\n"),
        String::from("Standort;Kennung;von;bis;Grund;Bemerkung;beschlossen am\n"),
    );
    let mut rest = String::new();
    let german_day = |d: &str| format!("{}.{}.{}", &d[8..10], &d[5..7], &d[0..4]);
    for line in DATA_SET.lines() {
        let e: serde_json::Value = serde_json::from_str(line).unwrap();
        let s = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
        match e["type"].as_str().unwrap() {
            "capacity_planned" => {
                for (day, slots) in
                    ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"].iter().zip(e["slots_per_weekday"].as_array().unwrap())
                {
                    if slots.as_u64().unwrap() > 0 {
                        // One ten-minute slot with as many desks as the plan has slots.
                        hours.push_str(&format!(
                            "{};{};{day};08:00;08:10;10;{slots};{}\n",
                            s("office"),
                            german_day(&s("effective_from")),
                            exports::german(&s("at"))
                        ));
                    }
                }
            }
            "closure_declared" => closures.push_str(&format!(
                "{};{};{};{};{};\"{}\";{}\n",
                s("office"),
                s("closure_id"),
                german_day(&s("first_day")),
                german_day(&s("last_day")),
                if s("cause") == "lockdown" { "Lockdown" } else { "Systemumstellung" },
                s("reason").replace('"', "\"\""),
                exports::german(&s("at"))
            )),
            _ => rest.push_str(&format!("{line}\n")),
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let (hours_file, closures_file) = (dir.path().join("oeffnungszeiten.csv"), dir.path().join("schliessungen.csv"));
    std::fs::write(&hours_file, hours).unwrap();
    std::fs::write(&closures_file, closures).unwrap();
    let imported = store_of(&rest);
    let args = ["import-appointments", "--opening-hours", path(&hours_file), "--closures", path(&closures_file)];
    let out = ok(imported.path(), &args);
    assert!(out.contains("capacity_planned 3") && out.contains("closure_declared 3"), "{out}");
    assert_same_figures(reference.path(), imported.path());
    assert_eq!(appended(&ok(imported.path(), &args)), 0, "the same lists again append nothing");
}
