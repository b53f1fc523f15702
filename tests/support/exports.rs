//! The committed data set rendered as appointment systems export it: a German audit list (one row per change,
//! CSV or XLSX), a Qmatic report and ZMS process entities (one row per appointment, its current state). Written
//! from the data set's events with our own code, as a city's system would write them.

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// One appointment's history in the data set.
#[derive(Debug, Default, Clone)]
pub struct Appointment {
    pub id: String,
    pub office: String,
    pub service: String,
    pub channel: String,
    pub booked_at: String,
    pub slot: String,
    /// (at, new slot), in time order.
    pub moves: Vec<(String, String)>,
    /// (event type, at).
    pub end: Option<(String, String)>,
}

/// A served walk-in: (at, office, service, event id).
pub type WalkIn = (String, String, String, String);

/// The data set split: appointments by id, walk-ins, and every other event's line (plans, closures, holidays,
/// policies, names).
pub struct Split {
    pub appointments: BTreeMap<String, Appointment>,
    pub walk_ins: Vec<WalkIn>,
    pub calendar: Vec<String>,
}

pub fn split(ndjson: &str) -> Split {
    let mut appointments: BTreeMap<String, Appointment> = BTreeMap::new();
    let mut walk_ins = Vec::new();
    let mut calendar = Vec::new();
    for line in ndjson.lines().filter(|l| !l.trim().is_empty()) {
        let e: Value = serde_json::from_str(line).expect("the data set is JSON");
        let s = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
        let kind = s("type");
        match kind.as_str() {
            "appointment_booked" => {
                appointments.insert(
                    s("appointment_id"),
                    Appointment {
                        id: s("appointment_id"),
                        office: s("office"),
                        service: s("service"),
                        channel: s("channel"),
                        booked_at: s("at"),
                        slot: s("slot"),
                        ..Appointment::default()
                    },
                );
            }
            "appointment_rescheduled" => {
                appointments.get_mut(&s("appointment_id")).expect("booked before").moves.push((s("at"), s("slot")))
            }
            "appointment_cancelled" | "appointment_attended" | "appointment_missed" => {
                appointments.get_mut(&s("appointment_id")).expect("booked before").end = Some((kind, s("at")))
            }
            "walk_in_served" => walk_ins.push((s("at"), s("office"), s("service"), s("event_id"))),
            _ => calendar.push(line.to_owned()),
        }
    }
    Split { appointments, walk_ins, calendar }
}

/// The NDJSON of appointments that were never moved, with the calendar and walk-ins: what an export of current
/// states can carry whole.
pub fn without_moves(ndjson: &str, split: &Split) -> String {
    let moved: std::collections::BTreeSet<&str> =
        split.appointments.values().filter(|a| !a.moves.is_empty()).map(|a| a.id.as_str()).collect();
    ndjson
        .lines()
        .filter(|l| {
            let e: Value = serde_json::from_str(l).expect("JSON");
            !e["appointment_id"].as_str().is_some_and(|a| moved.contains(a))
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

/// `2020-06-24T09:15:00+02:00` as local `24.06.2020 09:15:00` (the data set writes Berlin's offsets).
pub fn german(at: &str) -> String {
    format!("{}.{}.{} {}", &at[8..10], &at[5..7], &at[0..4], &at[11..19])
}

/// `2020-06-24T09:15:00+02:00` as local `2020-06-24 09:15:00`.
pub fn iso_local(at: &str) -> String {
    format!("{} {}", &at[0..10], &at[11..19])
}

fn unix(at: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(at).expect("an instant").timestamp()
}

pub const OFFICE_NAME: &str = "Bürgercenter Kaiserslautern";

/// The German audit list: one row per booking, move and end, with the office's name in `Standort`.
pub fn generic_de_rows(split: &Split) -> Vec<[String; 8]> {
    let mut rows = Vec::new();
    let channel = |c: &str| match c {
        "phone" => "Telefon",
        "counter" => "Schalter",
        _ => "Internet",
    };
    for a in split.appointments.values() {
        let row = |slot: &str, status: &str, changed: &str| {
            [
                a.id.clone(),
                OFFICE_NAME.to_owned(),
                a.service.clone(),
                german(slot),
                german(&a.booked_at),
                status.to_owned(),
                german(changed),
                channel(&a.channel).to_owned(),
            ]
        };
        rows.push(row(&a.slot, "gebucht", &a.booked_at));
        let mut slot = a.slot.clone();
        for (at, to) in &a.moves {
            rows.push(row(to, "verschoben", at));
            slot = to.clone();
        }
        if let Some((kind, at)) = &a.end {
            let status = match kind.as_str() {
                "appointment_cancelled" => "storniert",
                "appointment_attended" => "erschienen",
                _ => "nicht erschienen",
            };
            rows.push(row(&slot, status, at));
        }
    }
    rows
}

pub const GENERIC_DE_HEADER: [&str; 8] =
    ["Termin-Nr.", "Standort", "Dienstleistung", "Termin", "gebucht am", "Status", "geändert am", "Kanal"];

/// CSV as German Excel saves it: semicolons, CRLF, Windows-1252.
pub fn generic_de_csv(split: &Split) -> Vec<u8> {
    let mut text = GENERIC_DE_HEADER.join(";") + "\r\n";
    for row in generic_de_rows(split) {
        text.push_str(&row.join(";"));
        text.push_str("\r\n");
    }
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&text);
    assert!(!unmappable);
    bytes.into_owned()
}

/// The same list as an XLSX workbook, its times as Excel dates, on a sheet named "Termine" after a cover sheet.
pub fn generic_de_xlsx(split: &Split, path: &std::path::Path) {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut workbook = Workbook::new();
    workbook.add_worksheet().set_name("Hinweise").unwrap().write_string(0, 0, "Export des Terminsystems").unwrap();
    let sheet = workbook.add_worksheet().set_name("Termine").unwrap();
    let format = Format::new().set_num_format("dd.mm.yyyy hh:mm:ss");
    for (col, title) in GENERIC_DE_HEADER.iter().enumerate() {
        sheet.write_string(0, col as u16, *title).unwrap();
    }
    let date = |german: &str| {
        let n = |a: usize, b: usize| german[a..b].parse::<u16>().unwrap();
        ExcelDateTime::from_ymd(n(6, 10), n(3, 5) as u8, n(0, 2) as u8)
            .unwrap()
            .and_hms(n(11, 13), n(14, 16) as u8, n(17, 19))
            .unwrap()
    };
    for (i, row) in generic_de_rows(split).iter().enumerate() {
        let r = i as u32 + 1;
        for (col, cell) in row.iter().enumerate() {
            if matches!(col, 3 | 4 | 6) {
                sheet.write_datetime_with_format(r, col as u16, date(cell), &format).unwrap();
            } else if col == 0 {
                sheet.write_string(r, 0, cell).unwrap();
            } else {
                sheet.write_string(r, col as u16, cell).unwrap();
            }
        }
    }
    workbook.save(path).unwrap();
}

/// A Qmatic appointment report (comma-separated, UTF-8, ISO local times): one row per appointment never moved.
pub fn qmatic_csv(split: &Split) -> String {
    let mut out = String::from("Appointment Id,Branch,Service,Start Time,Created,Status,Cancelled Date\n");
    for a in split.appointments.values().filter(|a| a.moves.is_empty()) {
        let (status, cancelled) = match &a.end {
            None => ("Created", String::new()),
            Some((kind, at)) if kind == "appointment_cancelled" => ("Cancelled", iso_local(at)),
            Some((kind, _)) if kind == "appointment_attended" => ("Complete", String::new()),
            Some(_) => ("No Show", String::new()),
        };
        out.push_str(&format!(
            "{},{},{},{},{},{status},{cancelled}\n",
            a.id,
            a.office,
            a.service,
            iso_local(&a.slot),
            iso_local(&a.booked_at)
        ));
    }
    out
}

/// ZMS process entities: one per appointment never moved and one per walk-in, numbers now and then as strings,
/// a cancelled process with its booking time only in the amendment note, as ZMS keeps it.
pub fn zms_json(split: &Split) -> String {
    let scope = json!({"id": 141, "shortName": "", "contact": {"name": OFFICE_NAME}});
    let mut processes = Vec::new();
    for (n, a) in split.appointments.values().filter(|a| a.moves.is_empty()).enumerate() {
        let mut process = json!({
            "id": a.id,
            "createTimestamp": unix(&a.booked_at).to_string(),
            "appointments": [{"date": unix(&a.slot), "slotCount": 1, "scope": {"id": 141}}],
            "requests": [{"id": a.service, "name": a.service, "source": "dldb"}],
            "scope": scope,
            "queue": {"withAppointment": if n % 2 == 0 { json!("1") } else { json!(1) }},
            "amendment": "",
            "status": "confirmed",
        });
        match &a.end {
            None => {}
            Some((kind, at)) if kind == "appointment_cancelled" => {
                process["status"] = json!("deleted");
                process["createTimestamp"] = json!(unix(at) + 15 * 60);
                process["lastChange"] = json!(unix(at));
                process["amendment"] = json!(format!(
                    "Abgesagter Termin gebucht am: {}, {} Uhr | ",
                    &german(&a.booked_at)[..10],
                    &a.booked_at[11..16]
                ));
            }
            Some((kind, at)) if kind == "appointment_attended" => {
                process["status"] = json!("finished");
                process["finishTime"] = json!(iso_local(at));
                process["lastChange"] = json!(unix(at));
            }
            Some((_, at)) => {
                process["status"] = json!("missed");
                process["lastChange"] = json!(unix(at));
            }
        }
        processes.push(process);
    }
    for (at, _office, service, id) in &split.walk_ins {
        processes.push(json!({
            "id": id, "status": "finished", "createTimestamp": unix(at), "finishTime": iso_local(at),
            "appointments": [{"date": unix(at), "slotCount": 1, "scope": {"id": 141}}],
            "requests": [{"id": service, "name": service, "source": "dldb"}],
            "scope": scope, "queue": {"withAppointment": "0"},
        }));
    }
    serde_json::to_string(&json!({"meta": {"error": false}, "data": processes})).unwrap()
}

/// One event of the data set, as the snapshot renderings need it.
struct Logged {
    line: String,
    kind: String,
    at: String,
    appointment: Option<String>,
    slot: Option<String>,
}

fn logged(ndjson: &str) -> Vec<Logged> {
    ndjson
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let e: Value = serde_json::from_str(line).expect("JSON");
            let s = |k: &str| e[k].as_str().map(str::to_owned);
            Logged {
                line: line.to_owned(),
                kind: s("type").unwrap(),
                at: s("at").unwrap(),
                appointment: s("appointment_id"),
                slot: s("slot"),
            }
        })
        .collect()
}

/// The local date of an instant of the data set.
fn day(at: &str) -> &str {
    &at[..10]
}

/// Nightly snapshots of the German list from `from` to `to` (dates `YYYY-MM-DD`): each night's file lists the
/// appointments open at its end and those that ended that day, each with its slot, status and latest change time.
/// Named `termine-<date>.csv`, so that the name holds the export time (the end of the day).
pub fn nightly_snapshots(ndjson: &str, from: &str, to: &str) -> Vec<(String, String)> {
    let split = split(ndjson);
    let events = logged(ndjson);
    let mut files = Vec::new();
    let mut date = chrono::NaiveDate::parse_from_str(from, "%Y-%m-%d").unwrap();
    let last = chrono::NaiveDate::parse_from_str(to, "%Y-%m-%d").unwrap();
    while date <= last {
        let d = date.to_string();
        // Each appointment's state at the end of `d`: slot, status, latest change.
        let mut state: BTreeMap<&str, (String, &str, String, Option<String>)> = BTreeMap::new();
        for e in events.iter().filter(|e| day(&e.at) <= d.as_str()) {
            let Some(id) = e.appointment.as_deref() else { continue };
            let entry = state.entry(id).or_insert((String::new(), "gebucht", e.at.clone(), None));
            match e.kind.as_str() {
                "appointment_booked" | "appointment_rescheduled" => entry.0 = e.slot.clone().unwrap(),
                "appointment_cancelled" => (entry.1, entry.3) = ("storniert", Some(day(&e.at).to_owned())),
                "appointment_attended" => (entry.1, entry.3) = ("erschienen", Some(day(&e.at).to_owned())),
                _ => (entry.1, entry.3) = ("nicht erschienen", Some(day(&e.at).to_owned())),
            }
            entry.2 = e.at.clone();
        }
        let mut text = GENERIC_DE_HEADER.join(";") + "\n";
        for (id, (slot, status, changed, ended)) in &state {
            if ended.as_deref().is_some_and(|e| e != d) {
                continue;
            }
            let a = &split.appointments[*id];
            let row = [
                a.id.as_str(),
                OFFICE_NAME,
                &a.service,
                &german(slot),
                &german(&a.booked_at),
                status,
                &german(changed),
                match a.channel.as_str() {
                    "phone" => "Telefon",
                    "counter" => "Schalter",
                    _ => "Internet",
                },
            ];
            text.push_str(&row.join(";"));
            text.push('\n');
        }
        files.push((format!("termine-{d}.csv"), text));
        date = date.succ_opt().unwrap();
    }
    files
}

/// What nightly snapshots from `from` on can see of the data set, as events: everything before `from` and every
/// event that is no appointment's as they are; of each appointment's day from `from` on, its booking with the slot
/// it has at the end of that day, one move to the slot it has at the end of the day (if another), stamped at its
/// latest change that day, and its end.
pub fn snapshot_reference(ndjson: &str, from: &str) -> String {
    let events = logged(ndjson);
    let mut out: Vec<String> = Vec::new();
    let mut by_day: BTreeMap<(&str, &str), Vec<&Logged>> = BTreeMap::new();
    let mut first_day: BTreeMap<&str, &str> = BTreeMap::new();
    for e in &events {
        match e.appointment.as_deref() {
            Some(id) if day(&e.at) >= from => {
                if e.kind == "appointment_booked" {
                    first_day.insert(id, day(&e.at));
                }
                by_day.entry((id, day(&e.at))).or_default().push(e);
            }
            _ => out.push(e.line.clone()),
        }
    }
    let mut slot_before: BTreeMap<&str, String> = BTreeMap::new();
    for e in events.iter().filter(|e| day(&e.at) < from) {
        if let (Some(id), Some(slot)) = (e.appointment.as_deref(), &e.slot) {
            slot_before.insert(id, slot.clone());
        }
    }
    for ((id, d), day_events) in &by_day {
        let end_slot = day_events.iter().rev().find_map(|e| e.slot.clone());
        let latest = day_events.iter().map(|e| &e.at).max().unwrap().clone();
        let booked_today = first_day.get(id) == Some(d);
        for e in day_events.iter().filter(|e| e.kind == "appointment_booked") {
            let mut v: Value = serde_json::from_str(&e.line).unwrap();
            v["slot"] = json!(end_slot.clone().unwrap());
            out.push(v.to_string());
        }
        if let (false, Some(slot)) = (booked_today, &end_slot)
            && slot_before.get(id) != Some(slot)
        {
            out.push(
                json!({"event_id": format!("move-{id}-{d}"), "type": "appointment_rescheduled", "at": latest,
                       "office": "kl-buergercenter", "appointment_id": id, "slot": slot})
                .to_string(),
            );
        }
        for e in day_events.iter().filter(|e| e.kind != "appointment_booked" && e.kind != "appointment_rescheduled") {
            out.push(e.line.clone());
        }
        if let Some(slot) = end_slot {
            slot_before.insert(id, slot);
        }
    }
    // The store orders by business time; so does the importer.
    let mut lines: Vec<(String, String)> = out
        .into_iter()
        .map(|l| {
            let at = serde_json::from_str::<Value>(&l).unwrap()["at"].as_str().unwrap().to_owned();
            (at, l)
        })
        .collect();
    lines.sort_by(|a, b| {
        let key = |(at, _): &(String, String)| chrono::DateTime::parse_from_rfc3339(at).unwrap();
        key(a).cmp(&key(b))
    });
    lines.into_iter().map(|(_, l)| l + "\n").collect()
}
