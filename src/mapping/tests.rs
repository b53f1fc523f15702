//! Rows of a German appointment list to events.

use super::*;

fn mapping() -> Mapping {
    toml::from_str(
        r#"
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
"#,
    )
    .unwrap()
}

fn header() -> Vec<String> {
    ["Termin-Nr.", "Standort", "Dienstleistung", "Termin", "gebucht am", "Status", "geändert am"]
        .map(str::to_owned)
        .to_vec()
}

fn row(line: u64, cells: [&str; 7]) -> Row {
    Row { line, cells: cells.map(str::to_owned).to_vec() }
}

#[test]
fn each_row_becomes_its_appointments_history_with_ids_from_the_source() {
    let mapping = mapping();
    let mapper = Mapper::new(&mapping, &header()).unwrap();
    let rows = [
        row(
            2,
            [
                "4711",
                "Bürgercenter Kaiserslautern",
                "Personalausweis",
                "24.06.2020 09:15",
                "02.06.2020 08:01",
                "erledigt",
                "24.06.2020 09:31",
            ],
        ),
        row(
            3,
            [
                "4712",
                "Bürgercenter Kaiserslautern",
                "Personalausweis",
                "25.06.2020 10:00",
                "03.06.2020 12:00",
                "storniert",
                "05.06.2020 17:45",
            ],
        ),
        row(
            4,
            [
                "4713",
                "Bürgercenter Kaiserslautern",
                "Personalausweis",
                "26.06.2020 11:00",
                "04.06.2020 12:00",
                "gebucht",
                "",
            ],
        ),
        row(
            5,
            [
                "4714",
                "Bürgercenter Kaiserslautern",
                "Personalausweis",
                "26.06.2020 11:20",
                "04.06.2020 12:05",
                "Nicht erschienen",
                "",
            ],
        ),
    ];
    let mapped = map_rows(&mapper, rows).unwrap();
    let lines: Vec<String> = mapped.events.iter().map(|(_, e)| crate::domain::wire::to_json_line(e)).collect();
    assert_eq!(lines.len(), 7, "{lines:#?}");
    assert_eq!(
        lines[0],
        r#"{"event_id":"kl-liste:kl-buergercenter:4711:booked","type":"appointment_booked","at":"2020-06-02T08:01:00+02:00","office":"kl-buergercenter","appointment_id":"4711","service":"personalausweis","channel":"online","slot":"2020-06-24T09:15:00+02:00"}"#
    );
    assert!(lines[1].contains(r#""event_id":"kl-liste:kl-buergercenter:4711:attended","type":"appointment_attended","at":"2020-06-24T09:31:00+02:00""#));
    assert!(lines[3].contains(r#""type":"appointment_cancelled","at":"2020-06-05T17:45:00+02:00""#));
    // A no-show without a change time is stamped at its slot; status values match regardless of case.
    assert!(lines[6].contains(r#""type":"appointment_missed","at":"2020-06-26T11:20:00+02:00""#), "{}", lines[6]);
    assert_eq!(mapped.rows, 4);
    assert_eq!(mapped.statuses.get("storniert"), Some(&1));
}

#[test]
fn every_bad_cell_is_named_with_line_column_value_and_reason() {
    let mapping = mapping();
    let mapper = Mapper::new(&mapping, &header()).unwrap();
    let rows = [
        row(
            2,
            ["4711", "Bürgercenter Mainz", "Personalausweis", "24.06.2020 09:15", "02.06.2020 08:01", "erledigt", ""],
        ),
        row(
            3,
            [
                "4712",
                "Bürgercenter Kaiserslautern",
                "Personalausweis",
                "31.06.2020 10:00",
                "03.06.2020 12:00",
                "gebucht",
                "",
            ],
        ),
        row(
            4,
            [
                "4713",
                "Bürgercenter Kaiserslautern",
                "Personalausweis",
                "26.06.2020 11:00",
                "04.06.2020 12:00",
                "verschoben",
                "",
            ],
        ),
        row(
            5,
            [
                "4714",
                "Bürgercenter Kaiserslautern",
                "Personalausweis",
                "26.06.2020 11:20",
                "04.06.2020 12:05",
                "storniert",
                "",
            ],
        ),
    ];
    let problems = map_rows(&mapper, rows).unwrap_err();
    let said: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(said.len(), 4, "{said:#?}");
    assert!(said[0].starts_with(r#"line 2, column "Standort", value "Bürgercenter Mainz": "#), "{}", said[0]);
    assert!(said[0].contains("[offices]"), "{}", said[0]);
    assert!(said[1].starts_with(r#"line 3, column "Termin", value "31.06.2020 10:00": is not a date and time"#));
    assert!(said[2].starts_with(r#"line 4, column "Status", value "verschoben": is none of the status values"#));
    assert!(said[3].starts_with(r#"line 5, column "geändert am""#) && said[3].contains("needs its time"));
}

#[test]
fn a_mapping_that_names_a_missing_column_is_refused_with_the_columns_there_are() {
    let mapping = mapping();
    let mut header = header();
    header[3] = "Datum".into();
    let refused = Mapper::new(&mapping, &header).err().unwrap();
    assert!(
        refused.contains(r#"slot = "Termin" is not a column of the file"#) && refused.contains("Datum"),
        "{refused}"
    );
}
