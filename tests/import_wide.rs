//! `wartezeit import` of the wide snapshot CSV that calendar scrapers write: a small file whose figures are computed
//! by hand, recognised by its header, imported twice without a second append, mapped to named offices, and refused
//! whole when one cell is wrong.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn run(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wartezeit")).arg("--data-dir").arg(data).args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Three observations of one location on two days; the columns are slots of 12 and 13 July 2021.
const WEEK: &str = "\
date,source_id,location_id,2021-07-12 08:00:00,2021-07-12 09:00:00,2021-07-13 08:00:00,2021-07-13 08:20:00,2021-07-14 10:00:00
2021-07-12 08:30:00,Terminscraper,Bürgeramt 7,1,1,1,1,0
2021-07-12 16:00:00,Terminscraper,Bürgeramt 7,0,0,0,1,1
2021-07-13 08:10:00,Terminscraper,Bürgeramt 7,0,0,0,1,0
";

#[test]
fn a_hand_made_file_gives_the_figures_computed_by_hand_and_imports_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("week-28.csv");
    std::fs::write(&file, WEEK).unwrap();
    let data = dir.path().join("data");
    let out = run(&data, &["import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Row 1 leaves out 08:00 (before 08:30); row 2 leaves out nothing free before 16:00 (08:00 and 09:00 are not
    // free); row 3 leaves out nothing (13th 08:00 is not free).
    let report = text(&out.stderr);
    assert!(
        report.contains("1 file(s), 3 rows, 5 slot columns, 3 observations of 1 office(s), 1 slots left out"),
        "{report}"
    );
    assert!(text(&out.stdout).starts_with("appended 3, duplicates 0, last position 3"), "{}", text(&out.stdout));

    let series = run(
        &data,
        &[
            "series",
            "--office",
            "terminscraper-b-rgeramt-7",
            "--from",
            "2021-07-12",
            "--to",
            "2021-07-14",
            "--format",
            "json",
        ],
    );
    assert!(series.status.success(), "{}", text(&series.stderr));
    let rows: Vec<Value> = serde_json::from_slice(&series.stdout).unwrap();
    let figures = |row: &Value| {
        [
            "observations",
            "observed_next_available_days",
            "observed_third_next_available_days",
            "observed_free_next_28d",
            "observed_taken",
            "observed_released",
        ]
        .map(|key| row[key].clone())
    };
    // 12th: the 16:00 observation is the day's last: 13th 08:20 and 14th 10:00 free: next 1, no third, 2 within 28
    // days. The pair (08:30, 16:00): 13th 08:00 taken (12th 09:00 lies before 16:00); 14th 10:00 is new but beyond
    // the first observation's window (up to the 13th), so not released.
    assert_eq!(figures(&rows[0]), [2.into(), 1.into(), Value::Null, 2.into(), 1.into(), 0.into()]);
    // 13th: one observation at 08:10 showing 08:20 of the same day only: no slot from tomorrow on. Pair (16:00,
    // 08:10): 14th 10:00 lies beyond the window (the 13th), so it is not taken.
    assert_eq!(figures(&rows[1]), [1.into(), Value::Null, Value::Null, 0.into(), 0.into(), 0.into()]);
    // 14th: nobody looked.
    assert_eq!(figures(&rows[2]), [0.into(), Value::Null, Value::Null, Value::Null, 0.into(), 0.into()]);

    let again = run(&data, &["import", "--format", "wide-csv", file.to_str().unwrap()]);
    assert!(text(&again.stdout).starts_with("appended 0, duplicates 3, last position 3"), "{}", text(&again.stdout));
}

#[test]
fn an_office_map_names_the_office_and_a_bad_cell_refuses_the_whole_import() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("week-28.csv");
    std::fs::write(&good, WEEK).unwrap();
    let map = dir.path().join("offices.csv");
    std::fs::write(
        &map,
        "source_id,location_id,office,name\nTerminscraper,Bürgeramt 7,berlin-ba-7,Bürgeramt Mitte 7\n",
    )
    .unwrap();
    let bad = dir.path().join("week-29.csv");
    let broken = WEEK.replace("2021-07-13 08:10:00,", "2021-07-13 8:10,");
    std::fs::write(&bad, broken).unwrap();
    let data = dir.path().join("data");
    let refused =
        run(&data, &["import", "--office-map", map.to_str().unwrap(), good.to_str().unwrap(), bad.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(1));
    let message = text(&refused.stderr);
    assert!(
        message.contains("week-29.csv:line 4, column \"date\", value \"2021-07-13 8:10\": not a local time"),
        "{message}"
    );
    assert!(message.contains("nothing appended"), "{message}");
    assert!(text(&run(&data, &["verify"]).stdout).starts_with("ok: position 0,"), "nothing was appended");

    let out = run(&data, &["import", "--office-map", map.to_str().unwrap(), good.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("1 office description(s)"), "{}", text(&out.stderr));
    let offices = text(&run(&data, &["offices"]).stdout);
    assert!(offices.contains("berlin-ba-7") && offices.contains("Bürgeramt Mitte 7"), "{offices}");
}
