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
    let read = mapper.read(rows.clone());
    assert_eq!((read.rows, read.statuses.get("storniert")), (4, Some(&1)));
    let mapped = map_rows(&mapper, rows).unwrap();
    let lines: Vec<String> = mapped.events.iter().map(|(_, e)| crate::domain::wire::to_json_line(e)).collect();
    assert_eq!(lines.len(), 9, "{lines:#?}");
    // The names the list gives for ids come first, stamped at the first instant: any name described later wins.
    assert_eq!(
        lines[0],
        r#"{"event_id":"kl-liste:office-name:kl-buergercenter:69f9b6a0ee11","type":"office_described","at":"1970-01-01T00:00:00Z","office":"kl-buergercenter","name":"Bürgercenter Kaiserslautern"}"#
    );
    assert!(lines[1].contains(
        r#""type":"service_described","at":"1970-01-01T00:00:00Z","service":"personalausweis","name":"Personalausweis""#
    ));
    // Then every event in business-time order.
    assert_eq!(
        lines[2],
        r#"{"event_id":"kl-liste:kl-buergercenter:4711:booked","type":"appointment_booked","at":"2020-06-02T08:01:00+02:00","office":"kl-buergercenter","appointment_id":"4711","service":"personalausweis","channel":"online","slot":"2020-06-24T09:15:00+02:00"}"#
    );
    assert!(lines[6].contains(r#""type":"appointment_cancelled","at":"2020-06-05T17:45:00+02:00""#), "{}", lines[6]);
    assert!(lines[7].contains(r#""event_id":"kl-liste:kl-buergercenter:4711:attended","type":"appointment_attended","at":"2020-06-24T09:31:00+02:00""#));
    // A no-show without a change time is stamped at its slot; status values match regardless of case.
    assert!(lines[8].contains(r#""type":"appointment_missed","at":"2020-06-26T11:20:00+02:00""#), "{}", lines[8]);
}

fn kl(line: u64, id: &str, slot: &str, booked: &str, status: &str, changed: &str) -> Row {
    row(line, [id, "Bürgercenter Kaiserslautern", "Personalausweis", slot, booked, status, changed])
}

#[test]
fn an_audit_list_with_a_row_per_change_gives_booking_reschedule_and_end_in_any_row_order() {
    let mapping = mapping();
    let mapper = Mapper::new(&mapping, &header()).unwrap();
    let rows = vec![
        kl(2, "4711", "30.06.2020 10:00", "02.06.2020 08:01", "erledigt", "30.06.2020 10:20"),
        kl(3, "4711", "24.06.2020 09:15", "02.06.2020 08:01", "gebucht", "02.06.2020 08:01"),
        kl(4, "4711", "30.06.2020 10:00", "02.06.2020 08:01", "gebucht", "20.06.2020 12:00"),
    ];
    let types = |rows: Vec<Row>| -> Vec<String> {
        let mapped = map_rows(&mapper, rows).unwrap();
        mapped.events.iter().map(|(_, e)| crate::domain::wire::to_json_line(e)).collect()
    };
    let forward = types(rows.clone());
    let mut backward = rows.clone();
    backward.reverse();
    assert_eq!(forward, types(backward), "the same events, whatever the rows' order");
    let kinds: Vec<&str> =
        forward.iter().map(|l| l.split("\"type\":\"").nth(1).unwrap().split('"').next().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "office_described",
            "service_described",
            "appointment_booked",
            "appointment_rescheduled",
            "appointment_attended"
        ]
    );
    assert!(forward[2].contains(r#""slot":"2020-06-24T09:15:00+02:00""#), "booked with the first slot");
    assert!(
        forward[3].contains(
            r#":4711:rescheduled-20200620T100000Z","type":"appointment_rescheduled","at":"2020-06-20T12:00:00+02:00""#
        ),
        "{}",
        forward[3]
    );

    // A status after the end, or a move without a change time, is named at its row.
    let contradicting = vec![
        kl(2, "4712", "24.06.2020 09:15", "02.06.2020 08:01", "storniert", "03.06.2020 08:00"),
        kl(3, "4712", "24.06.2020 09:15", "02.06.2020 08:01", "erledigt", "24.06.2020 09:20"),
        kl(4, "4713", "24.06.2020 09:15", "02.06.2020 08:01", "gebucht", ""),
        kl(5, "4713", "25.06.2020 09:15", "02.06.2020 08:01", "gebucht", ""),
    ];
    let said: Vec<String> = map_rows(&mapper, contradicting).unwrap_err().iter().map(ToString::to_string).collect();
    assert_eq!(said.len(), 2, "{said:#?}");
    assert!(said[0].starts_with("line 3: appointment 4712 already ended as cancelled on line 2"), "{}", said[0]);
    assert!(said[1].contains("4713 moved to another slot, but the row gives no change time"), "{}", said[1]);
}

#[test]
fn names_become_ids_through_the_mapping_the_name_itself_or_its_slug() {
    assert_eq!(slug("Bürgercenter Kaiserslautern").as_deref(), Some("buergercenter-kaiserslautern"));
    assert_eq!(slug("  Straße & Co. (Süd) ").as_deref(), Some("strasse-co-sued"));
    assert_eq!(slug("***"), None);
    let table: BTreeMap<String, String> = [("Amt 1".to_owned(), "amt-eins".to_owned())].into();
    assert_eq!(id_of("Amt 1", &table, OfficeId::parse).unwrap().as_str(), "amt-eins");
    assert_eq!(id_of("kl", &table, OfficeId::parse).unwrap().as_str(), "kl");
    assert_eq!(id_of("Führungszeugnis", &table, ServiceId::parse).unwrap().as_str(), "fuehrungszeugnis");
    assert!(id_of("—", &table, OfficeId::parse).unwrap_err().contains("no letter or digit"));
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
    assert_eq!(said.len(), 3, "{said:#?}");
    assert!(said[0].starts_with(r#"line 3, column "Termin", value "31.06.2020 10:00": is not a date and time"#));
    assert!(said[1].starts_with(r#"line 4, column "Status", value "verschoben": is none of the status values"#));
    assert!(said[2].starts_with(r#"line 5, column "geändert am""#) && said[2].contains("needs its time"));
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
