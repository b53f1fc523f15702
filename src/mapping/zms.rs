//! ZMS / eappointment (the appointment system of Berlin, Munich and others): a JSON list of process entities, as
//! its API returns them (`zmsentities/schema/process.json`), to [`Version`]s and walk-ins.
//!
//! What a process says, and what it becomes (facts from the public schema and database mapping; the choices ours,
//! also in the README):
//! - `id` is the appointment id; `appointments[0].date` the slot and `createTimestamp` the booking time (Unix
//!   seconds, as number or numeric string); `appointments[0].scope.id` (else `scope.id`) the office, `zms-<id>`
//!   unless the options map it; `scope.contact.name` (else `scope.provider.name`) its display name;
//!   `requests[0].id` the service and `requests[0].name` its display name (a process with several requests counts
//!   for its first).
//! - `status`: confirmed, preconfirmed, queued, called, processing, parked, pending and pickup are open
//!   appointments; `finished` attended (at `finishTime`, a local time string, else `lastChange`); `missed` a
//!   no-show (at `lastChange`); `deleted` cancelled (at `lastChange`). ZMS overwrites a cancelled process's
//!   `createTimestamp` with the time its slot is freed, so its booking time is read from the note ZMS prefixes to
//!   `amendment` ("Abgesagter Termin gebucht am: 24.02.2025, 18:03 Uhr"); without it the process is a problem.
//! - A process with `queue.withAppointment` 0 is a walk-in: `walk_in_served` when finished, else skipped.
//! - `free`, `reserved`, `blocked`, `conflict` and `fake` hold no appointment; `archived` and `anonymized` have
//!   lost their booking time: all skipped, with the reason in the report.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime};
use serde_json::Value;

use crate::domain::event::{Channel, Instant};
use crate::domain::id::{AppointmentId, OfficeId, ServiceId};
use crate::domain::time::Zone;
use crate::mapping::table::local_instant;
use crate::mapping::{Names, Read, RowError, Stage, Version, WalkIn};

/// How processes become events.
#[derive(Debug, Clone)]
pub struct Options {
    /// The source's name, which every event id starts with (default `zms`).
    pub source: String,
    /// The zone of ZMS's local time strings (`finishTime`).
    pub zone: Zone,
    /// The channel of bookings (ZMS does not say).
    pub channel: Channel,
    /// Scope ids → office ids (default `zms-<scope id>`).
    pub offices: BTreeMap<String, String>,
    /// Request ids → service ids (default the request id).
    pub services: BTreeMap<String, String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            source: "zms".into(),
            zone: Zone::default(),
            channel: Channel::Online,
            offices: BTreeMap::new(),
            services: BTreeMap::new(),
        }
    }
}

/// The mapping file that `--preset zms` may take: the source's name, zone and channel, and scope and request ids
/// mapped to office and service ids (ZMS's field names are fixed, so there are no columns or status values).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ZmsMapping {
    #[serde(default)]
    source: Option<ZmsSource>,
    #[serde(default)]
    offices: BTreeMap<String, String>,
    #[serde(default)]
    services: BTreeMap<String, String>,
}

#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ZmsSource {
    name: Option<String>,
    timezone: Option<String>,
    default_channel: Option<String>,
}

impl Options {
    /// Options from a mapping file's text: `[source]` (name, timezone, default_channel), `[offices]` (scope id →
    /// office id) and `[services]` (request id → service id).
    pub fn from_mapping(text: &str) -> Result<Options, String> {
        let mapping: ZmsMapping = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut options = Options { offices: mapping.offices, services: mapping.services, ..Options::default() };
        if let Some(source) = mapping.source {
            if let Some(name) = source.name {
                OfficeId::parse(&name).map_err(|_| format!("[source] name {name:?} is not an id like zms-berlin"))?;
                options.source = name;
            }
            if let Some(zone) = source.timezone {
                options.zone = Zone::parse(&zone)?;
            }
            if let Some(channel) = source.default_channel {
                options.channel = Channel::parse(&channel)
                    .ok_or_else(|| format!("[source] default_channel {channel:?}: online, phone or counter"))?;
            }
        }
        Ok(options)
    }
}

/// The processes of a JSON document: a list, or the API's envelope `{"data": [...]}`.
pub fn processes(document: Value) -> Result<Vec<Value>, String> {
    match document {
        Value::Array(list) => Ok(list),
        Value::Object(mut map) => match map.remove("data") {
            Some(Value::Array(list)) => Ok(list),
            _ => Err("expected a JSON list of process entities, or an object with such a list in \"data\"".into()),
        },
        _ => Err("expected a JSON list of process entities".into()),
    }
}

/// Reads every process (`line` is its place in the list, from 1).
pub fn read(processes: &[Value], options: &Options) -> Read {
    let mut read = Read::default();
    for (index, process) in processes.iter().enumerate() {
        let line = index as u64 + 1;
        read.rows += 1;
        let status = text(&process["status"]).unwrap_or_default();
        *read.statuses.entry(status.clone()).or_default() += 1;
        match one(process, line, &status, options, &mut read) {
            Ok(()) => {}
            Err(problem) => read.problems.push((text(&process["id"]), problem)),
        }
    }
    read
}

fn problem(line: u64, field: &str, value: &Value, reason: impl Into<String>) -> RowError {
    let value = match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    RowError { file: 0, line, column: Some(field.to_owned()), value: Some(value), reason: reason.into() }
}

fn one(process: &Value, line: u64, status: &str, options: &Options, read: &mut Read) -> Result<(), RowError> {
    let skip = |reason: &str| RowError {
        file: 0,
        line,
        column: Some("status".into()),
        value: Some(status.to_owned()),
        reason: reason.to_owned(),
    };
    let stage = match status {
        "confirmed" | "preconfirmed" | "queued" | "called" | "processing" | "parked" | "pending" | "pickup" => {
            Stage::Open
        }
        "finished" => Stage::Attended,
        "missed" => Stage::Missed,
        "deleted" => Stage::Cancelled,
        "free" | "reserved" | "blocked" | "conflict" | "fake" => {
            read.skipped.push(skip("holds no appointment"));
            return Ok(());
        }
        "archived" | "anonymized" => {
            read.skipped.push(skip("an archived process has lost its booking time"));
            return Ok(());
        }
        _ => {
            read.unknown_statuses.insert(status.to_owned());
            return Err(problem(line, "status", &process["status"], "is not a ZMS process status"));
        }
    };
    let id = text(&process["id"]).ok_or_else(|| problem(line, "id", &process["id"], "is missing"))?;
    let appointment = AppointmentId::parse(&id).map_err(|e| problem(line, "id", &process["id"], e.to_string()))?;
    let first = &process["appointments"][0];
    let scope_field = if first["scope"]["id"].is_null() { "scope.id" } else { "appointments[0].scope.id" };
    let scope_value = if first["scope"]["id"].is_null() { &process["scope"]["id"] } else { &first["scope"]["id"] };
    let scope = text(scope_value).ok_or_else(|| problem(line, scope_field, scope_value, "is missing"))?;
    let office_id = options.offices.get(&scope).cloned().unwrap_or_else(|| format!("zms-{scope}"));
    let office = OfficeId::parse(&office_id).map_err(|e| {
        problem(line, scope_field, scope_value, format!("makes the office id {office_id:?}, which {e}"))
    })?;
    let full_scope = if process["scope"]["id"].is_null() { &first["scope"] } else { &process["scope"] };
    if let Some(name) = text(&full_scope["contact"]["name"]).or_else(|| text(&full_scope["provider"]["name"])) {
        Names::note(&mut read.names.offices, &office, &name);
    }
    let request = &process["requests"][0];
    let request_id =
        text(&request["id"]).ok_or_else(|| problem(line, "requests[0].id", &request["id"], "is missing"))?;
    let service_id = options.services.get(&request_id).cloned().unwrap_or_else(|| request_id.clone());
    let service = ServiceId::parse(&service_id).map_err(|e| {
        problem(line, "requests[0].id", &request["id"], format!("makes the service id {service_id:?}, which {e}"))
    })?;
    if let Some(name) = text(&request["name"]) {
        Names::note(&mut read.names.services, &service, &name);
    }
    let last_change = || {
        unix(&process["lastChange"]).ok_or_else(|| {
            problem(line, "lastChange", &process["lastChange"], "is not a Unix time, and the change needs its time")
        })
    };
    let finished_at = || match text(&process["finishTime"]).filter(|t| !t.is_empty()) {
        Some(t) => local(&t, options.zone)
            .ok_or_else(|| problem(line, "finishTime", &process["finishTime"], "is not YYYY-MM-DD HH:MM:SS")),
        None => last_change(),
    };
    if !truthy(&process["queue"]["withAppointment"], true) {
        if stage == Stage::Attended {
            read.walk_ins.push(WalkIn { file: 0, line, visit: id, office, service, at: finished_at()? });
        } else {
            read.skipped.push(skip("a walk-in not (yet) served"));
        }
        return Ok(());
    }
    let slot = unix(&first["date"])
        .ok_or_else(|| problem(line, "appointments[0].date", &first["date"], "is not a Unix time"))?;
    let booked_at = if stage == Stage::Cancelled {
        booked_at_of_cancelled(&process["amendment"], options.zone).ok_or_else(|| {
            problem(
                line,
                "amendment",
                &process["amendment"],
                "a cancelled process keeps its booking time only in the note \"Abgesagter Termin gebucht am: …\"",
            )
        })?
    } else {
        unix(&process["createTimestamp"])
            .ok_or_else(|| problem(line, "createTimestamp", &process["createTimestamp"], "is not a Unix time"))?
    };
    let changed_at = match stage {
        Stage::Open => None,
        Stage::Attended => Some(finished_at()?),
        Stage::Cancelled | Stage::Missed => Some(last_change()?),
    };
    read.versions.push(Version {
        file: 0,
        line,
        appointment,
        office,
        service,
        slot,
        booked_at,
        stage,
        changed_at,
        channel: options.channel,
    });
    Ok(())
}

/// A string, or a number written as one (ZMS sends ids and times as either).
fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Unix seconds, from a number or a numeric string; 0 is "not set".
fn unix(value: &Value) -> Option<Instant> {
    let seconds = match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }?;
    (seconds > 0).then(|| DateTime::from_timestamp(seconds, 0)).flatten().map(|t| t.fixed_offset())
}

/// ZMS's booleans: `true`/`false`, `0`/`1` or `"0"`/`"1"`; `default` when absent.
fn truthy(value: &Value, default: bool) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_i64() != Some(0),
        Value::String(s) => !matches!(s.trim(), "0" | "" | "false"),
        _ => default,
    }
}

fn local(text: &str, zone: Zone) -> Option<Instant> {
    let at = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").ok()?;
    local_instant(zone, at)
}

/// The booking time ZMS notes in a cancelled process's amendment: "Abgesagter Termin gebucht am: 24.02.2025,
/// 18:03 Uhr", in local time.
fn booked_at_of_cancelled(amendment: &Value, zone: Zone) -> Option<Instant> {
    let note = amendment.as_str()?;
    let rest = &note[note.find("gebucht am:")? + "gebucht am:".len()..];
    let stamp: String = rest.trim_start().chars().take("24.02.2025, 18:03".len()).collect();
    let at = NaiveDateTime::parse_from_str(&stamp, "%d.%m.%Y, %H:%M").ok()?;
    local_instant(zone, at)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::wire::to_json_line;
    use crate::mapping::histories;

    /// Processes in the shape `zmsentities/schema/process.json` gives them, numbers sometimes as strings.
    fn processes() -> Vec<Value> {
        let scope = json!({"id": 141, "shortName": "Mitte", "contact": {"name": "Bürgeramt Musterstadt-Mitte"},
                           "provider": {"id": 122280, "source": "dldb", "name": "Bürgeramt Mitte"}});
        let request = json!([{"id": "120703", "name": "Personalausweis beantragen", "source": "dldb"}]);
        let process = |id: serde_json::Value, status: &str, extra: serde_json::Value| {
            let mut p = json!({
                "id": id, "status": status, "createTimestamp": "1740416591", "lastChange": 1741768912,
                "appointments": [{"date": 1741767600, "slotCount": "2", "scope": {"id": 141}}],
                "requests": request, "scope": scope, "queue": {"withAppointment": "1", "arrivalTime": 1741767160},
                "amendment": ""
            });
            for (k, v) in extra.as_object().unwrap() {
                p[k] = v.clone();
            }
            p
        };
        vec![
            process(json!(184523), "finished", json!({"finishTime": "2025-03-12 09:41:52"})),
            process(
                json!("184524"),
                "deleted",
                json!({"createTimestamp": 1740500000, "amendment": "Abgesagter Termin gebucht am: 24.02.2025, 18:03 Uhr | bitte"}),
            ),
            process(json!(184525), "missed", json!({})),
            process(json!(184526), "confirmed", json!({})),
            process(json!(184527), "reserved", json!({})),
            process(
                json!(184528),
                "finished",
                json!({"queue": {"withAppointment": "0"}, "finishTime": "2025-03-12 10:05:00"}),
            ),
            process(json!(184529), "deleted", json!({})),
            process(json!(184530), "exploded", json!({})),
        ]
    }

    #[test]
    fn processes_become_histories_walk_ins_and_names_and_what_is_not_an_appointment_is_skipped() {
        let read = read(&processes(), &Options::default());
        assert_eq!((read.rows, read.versions.len(), read.walk_ins.len(), read.skipped.len()), (8, 4, 1, 1));
        let problems: Vec<String> = read.problems.iter().map(|(_, p)| p.to_string()).collect();
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert!(problems[0].starts_with(r#"line 7, column "amendment""#), "{}", problems[0]);
        assert!(problems[1].starts_with(r#"line 8, column "status", value "exploded""#), "{}", problems[1]);
        assert_eq!(read.names.offices.values().next().map(String::as_str), Some("Bürgeramt Musterstadt-Mitte"));

        let (mapped, contradictions) = histories("zms", &read);
        assert!(contradictions.is_empty());
        let lines: Vec<String> = mapped.events.iter().map(|(_, e)| to_json_line(e)).collect();
        let has = |needle: &str| lines.iter().any(|l| l.contains(needle));
        assert!(
            has(
                r#""event_id":"zms:zms-141:184523:booked","type":"appointment_booked","at":"2025-02-24T17:03:11Z","office":"zms-141","appointment_id":"184523","service":"120703","channel":"online","slot":"2025-03-12T08:20:00Z""#
            ),
            "{lines:#?}"
        );
        assert!(has(r#""type":"appointment_attended","at":"2025-03-12T09:41:52+01:00""#), "finishTime is local time");
        // A cancelled process's booking time comes from ZMS's note, its cancellation from lastChange.
        assert!(has(
            r#""event_id":"zms:zms-141:184524:booked","type":"appointment_booked","at":"2025-02-24T18:03:00+01:00""#
        ));
        assert!(has(
            r#""event_id":"zms:zms-141:184524:cancelled","type":"appointment_cancelled","at":"2025-03-12T08:41:52Z""#
        ));
        assert!(has(r#""type":"appointment_missed","at":"2025-03-12T08:41:52Z""#));
        assert!(has(
            r#""event_id":"zms:zms-141:184528:walk-in","type":"walk_in_served","at":"2025-03-12T10:05:00+01:00""#
        ));
        assert!(has(
            r#""type":"service_described","at":"1970-01-01T00:00:00Z","service":"120703","name":"Personalausweis beantragen""#
        ));
        assert_eq!(lines.iter().filter(|l| l.contains("appointment_booked")).count(), 4);
    }

    #[test]
    fn the_apis_envelope_is_read_and_anything_else_is_refused() {
        assert_eq!(super::processes(json!({"meta": {}, "data": [{"id": 1}]})).unwrap().len(), 1);
        assert!(super::processes(json!({"id": 1})).unwrap_err().contains("list of process entities"));
    }
}
