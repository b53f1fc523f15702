//! Opening hours and closures to events: an opening-hours list (per office, valid from, weekday: hours, slot
//! length, desks) or ZMS availability entities become `capacity_planned`; a closures list (date ranges with cause)
//! becomes `closure_declared`. Pure: header and rows in, events or every problem out.
//!
//! Choices (also in the README):
//! - A plan's slots of a weekday are, over that weekday's rows, ⌊open minutes ÷ slot minutes⌋ × desks, summed
//!   (a day with a lunch break is two rows). Each (office, valid from) is one plan.
//! - ZMS availabilities (type `appointment`; `openinghours` and `break` are not bookable) are summed per day over
//!   those in force; a plan is declared on every day the sum changes (a rule's first day, and the day after its
//!   last). A rule that repeats every other week or in one week of the month has no weekly plan: it is a problem.
//! - Plans and closures are stamped with their row's `declared_at` (when they were decided, which is when the
//!   figures "as known" learn of them), else the run's `planned_at`, else the start of their first day. An edited
//!   row is a new event (its id holds a digest of its content), which wins by coming later.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Days, NaiveDate, NaiveTime};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::domain::event::{ClosureCause, Event, EventKind, Instant, MAX_REASON_CHARS, MAX_SLOTS_PER_DAY, WeeklySlots};
use crate::domain::id::{ClosureId, EventId, OfficeId};
use crate::domain::time::Zone;
use crate::mapping::table::{Row, local_instant};
use crate::mapping::{Origin, RowError, id_of, slug};

/// The events of a list, each with its row, and the rows that could not be read; or why the list as a whole
/// cannot be read.
pub type Found = (Vec<(Origin, Event)>, Vec<RowError>);

/// How calendar rows become events.
#[derive(Debug, Clone)]
pub struct Options {
    /// Part of every event id.
    pub source: String,
    pub zone: Zone,
    /// Office names or ZMS scope ids → office ids.
    pub offices: BTreeMap<String, String>,
    /// When the plans and closures were decided; `None`: at the start of their first day.
    pub planned_at: Option<Instant>,
}

/// The columns of an opening-hours list, each with the headers it may have (English or German).
const HOURS: [(&str, &[&str]); 8] = [
    ("office", &["office", "Standort"]),
    ("valid_from", &["valid_from", "gültig ab"]),
    ("weekday", &["weekday", "Wochentag"]),
    ("start", &["start", "von"]),
    ("end", &["end", "bis"]),
    ("slot_minutes", &["slot_minutes", "Taktung (Minuten)", "Taktung"]),
    ("desks", &["desks", "Plätze", "Arbeitsplätze"]),
    ("declared_at", &["declared_at", "beschlossen am"]),
];

/// The columns of a closures list; `closure_id`, `reason` and `declared_at` may be left out.
const CLOSURES: [(&str, &[&str]); 7] = [
    ("office", &["office", "Standort"]),
    ("closure_id", &["closure_id", "Kennung"]),
    ("first_day", &["first_day", "von"]),
    ("last_day", &["last_day", "bis"]),
    ("cause", &["cause", "Grund"]),
    ("reason", &["reason", "Bemerkung"]),
    ("declared_at", &["declared_at", "beschlossen am"]),
];

/// A header checked against the columns a list must have.
struct Columns {
    index: BTreeMap<&'static str, (usize, String)>,
}

impl Columns {
    fn new(header: &[String], wanted: &[(&'static str, &[&str])], optional: &[&str]) -> Result<Columns, String> {
        let mut index = BTreeMap::new();
        for (role, names) in wanted {
            let found = header.iter().position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)));
            match found {
                Some(at) => {
                    index.insert(*role, (at, header[at].trim().to_owned()));
                }
                None if optional.contains(role) => {}
                None => {
                    return Err(format!(
                        "has no column {} ({}); it has {}",
                        names[0],
                        names[1..].join(", "),
                        header.join(", ")
                    ));
                }
            }
        }
        Ok(Columns { index })
    }

    fn cell<'r>(&self, row: &'r Row, role: &str) -> &'r str {
        self.index.get(role).and_then(|(i, _)| row.cells.get(*i)).map_or("", |s| s.trim())
    }

    fn problem(&self, row: &Row, role: &str, reason: impl Into<String>) -> RowError {
        let column = self.index.get(role).map_or(role.to_owned(), |(_, name)| name.clone());
        RowError {
            file: 0,
            line: row.line,
            column: Some(column),
            value: Some(self.cell(row, role).to_owned()),
            reason: reason.into(),
        }
    }
}

fn date(text: &str) -> Option<NaiveDate> {
    ["%d.%m.%Y", "%Y-%m-%d"].iter().find_map(|f| NaiveDate::parse_from_str(text, f).ok())
}

fn time(text: &str) -> Option<NaiveTime> {
    ["%H:%M", "%H:%M:%S"].iter().find_map(|f| NaiveTime::parse_from_str(text, f).ok())
}

/// Monday = 0 … Sunday = 6, from a German or English name or abbreviation, or 1–7 (Monday first).
fn weekday(text: &str) -> Option<usize> {
    let t = text.trim().to_lowercase();
    const NAMES: [[&str; 4]; 7] = [
        ["mo", "montag", "mon", "monday"],
        ["di", "dienstag", "tue", "tuesday"],
        ["mi", "mittwoch", "wed", "wednesday"],
        ["do", "donnerstag", "thu", "thursday"],
        ["fr", "freitag", "fri", "friday"],
        ["sa", "samstag", "sat", "saturday"],
        ["so", "sonntag", "sun", "sunday"],
    ];
    NAMES
        .iter()
        .position(|names| names.contains(&t.trim_end_matches('.')))
        .or_else(|| t.parse::<usize>().ok().filter(|n| (1..=7).contains(n)).map(|n| n - 1))
}

fn number(text: &str) -> Option<u32> {
    text.trim().parse().ok()
}

fn digest(text: &str) -> String {
    hex::encode(&Sha256::digest(text.as_bytes())[..6])
}

fn event_id(options: &Options, office: &OfficeId, what: &str, content: &str) -> EventId {
    let id = format!("{}:{office}:{what}:{}", options.source, digest(content));
    EventId::parse(&id).unwrap_or_else(|_| {
        EventId::parse(&format!("{}:{office}:{}", options.source, digest(&id))).expect("hex makes an event id")
    })
}

/// When a row's plan or closure was decided: its `declared_at` cell, else the run's `planned_at`, else the start
/// of its first day.
fn stamp(columns: &Columns, row: &Row, options: &Options, first_day: NaiveDate) -> Result<Instant, RowError> {
    let declared = columns.cell(row, "declared_at");
    if !declared.is_empty() {
        let local = crate::mapping::table::parse_local(declared, None)
            .ok_or_else(|| columns.problem(row, "declared_at", "is not a date and time like 20.05.2020 12:00"))?;
        return local_instant(options.zone, local)
            .ok_or_else(|| columns.problem(row, "declared_at", "does not exist in the zone (a daylight-saving gap)"));
    }
    Ok(decided(options, first_day))
}

/// When a plan or closure without a `declared_at` of its own was decided: the run's `planned_at`, else the start
/// of its first day.
fn decided(options: &Options, first_day: NaiveDate) -> Instant {
    options
        .planned_at
        .or_else(|| local_instant(options.zone, first_day.and_time(NaiveTime::MIN)))
        .unwrap_or_else(crate::mapping::first_instant)
}

/// Plans from an opening-hours list: one per (office, valid from).
pub fn plans_from_hours(header: &[String], rows: &[Row], options: &Options) -> Result<Found, String> {
    let columns = Columns::new(header, &HOURS, &["declared_at"])?;
    let mut plans: BTreeMap<(OfficeId, NaiveDate), (WeeklySlots, u64, Instant)> = BTreeMap::new();
    let mut problems = Vec::new();
    for row in rows {
        let read = || -> Result<(OfficeId, NaiveDate, usize, u32, Instant), RowError> {
            let office_text = columns.cell(row, "office");
            let office =
                id_of(office_text, &options.offices, OfficeId::parse).map_err(|e| columns.problem(row, "office", e))?;
            let from = date(columns.cell(row, "valid_from"))
                .ok_or_else(|| columns.problem(row, "valid_from", "is not a date like 06.01.2020"))?;
            let day = weekday(columns.cell(row, "weekday"))
                .ok_or_else(|| columns.problem(row, "weekday", "is not a weekday (Mo … So, Monday … Sunday, 1–7)"))?;
            let start = time(columns.cell(row, "start"))
                .ok_or_else(|| columns.problem(row, "start", "is not a time like 08:00"))?;
            let end = time(columns.cell(row, "end"))
                .ok_or_else(|| columns.problem(row, "end", "is not a time like 12:30"))?;
            if end <= start {
                return Err(columns.problem(row, "end", "is not after the start"));
            }
            let minutes = number(columns.cell(row, "slot_minutes"))
                .filter(|m| *m > 0)
                .ok_or_else(|| columns.problem(row, "slot_minutes", "is not a whole number of minutes above 0"))?;
            let desks = number(columns.cell(row, "desks"))
                .ok_or_else(|| columns.problem(row, "desks", "is not a whole number"))?;
            let open = (end - start).num_minutes() as u32;
            let at = stamp(&columns, row, options, from)?;
            Ok((office, from, day, open / minutes * desks, at))
        };
        match read() {
            Ok((office, from, day, slots, at)) => {
                let (plan, line, decided) = plans.entry((office, from)).or_insert(([0; 7], row.line, at));
                *decided = (*decided).max(at);
                let sum = u32::from(plan[day]) + slots;
                match u16::try_from(sum).ok().filter(|s| *s <= MAX_SLOTS_PER_DAY) {
                    Some(sum) => plan[day] = sum,
                    None => problems.push(columns.problem(
                        row,
                        "desks",
                        format!("makes {sum} slots on one day, more than {MAX_SLOTS_PER_DAY}"),
                    )),
                }
                *line = (*line).min(row.line);
            }
            Err(problem) => problems.push(problem),
        }
    }
    let mut events = Vec::new();
    for ((office, from), (slots, line, at)) in plans {
        events.push(((0, line), plan_event(options, office, from, slots, at)));
    }
    Ok((events, problems))
}

fn plan_event(options: &Options, office: OfficeId, from: NaiveDate, slots: WeeklySlots, at: Instant) -> Event {
    let id = event_id(options, &office, &format!("plan-{from}"), &format!("{from}{slots:?}{at}"));
    Event { id, at, kind: EventKind::CapacityPlanned { office, effective_from: from, slots_per_weekday: slots } }
}

/// Closures from a closures list.
pub fn closures(header: &[String], rows: &[Row], options: &Options) -> Result<Found, String> {
    let columns = Columns::new(header, &CLOSURES, &["closure_id", "reason", "declared_at"])?;
    let mut events = Vec::new();
    let mut problems = Vec::new();
    for row in rows {
        let read = || -> Result<Event, RowError> {
            let office_text = columns.cell(row, "office");
            let office =
                id_of(office_text, &options.offices, OfficeId::parse).map_err(|e| columns.problem(row, "office", e))?;
            let first = date(columns.cell(row, "first_day"))
                .ok_or_else(|| columns.problem(row, "first_day", "is not a date like 27.05.2020"))?;
            let last = date(columns.cell(row, "last_day"))
                .ok_or_else(|| columns.problem(row, "last_day", "is not a date like 02.06.2020"))?;
            let cause = cause(columns.cell(row, "cause")).ok_or_else(|| {
                columns.problem(
                    row,
                    "cause",
                    "is not a cause: lockdown, system_migration, staff_shortage, other (or Lockdown, \
                     Systemumstellung, Personalmangel, Sonstiges)",
                )
            })?;
            let reason: String = columns.cell(row, "reason").chars().take(MAX_REASON_CHARS).collect();
            let id_text = match columns.cell(row, "closure_id") {
                "" => format!("{first}-{}", cause.as_str()),
                given => given.to_owned(),
            };
            let closure = ClosureId::parse(&id_text)
                .or_else(|_| ClosureId::parse(&slug(&id_text).unwrap_or_default()))
                .map_err(|e| columns.problem(row, "closure_id", e.to_string()))?;
            let at = stamp(&columns, row, options, first)?;
            let content = format!("{closure}{first}{last}{}{reason}{at}", cause.as_str());
            let id = event_id(options, &office, &format!("closure-{closure}"), &content);
            Ok(Event {
                id,
                at,
                kind: EventKind::ClosureDeclared { office, closure, first_day: first, last_day: last, cause, reason },
            })
        };
        match read() {
            Ok(event) => events.push(((0, row.line), event)),
            Err(problem) => problems.push(problem),
        }
    }
    Ok((events, problems))
}

fn cause(text: &str) -> Option<ClosureCause> {
    let t = text.trim().to_lowercase();
    ClosureCause::parse(&t).or(match t.as_str() {
        "pandemie" | "corona" => Some(ClosureCause::Lockdown),
        "systemumstellung" | "it-umstellung" | "migration" => Some(ClosureCause::SystemMigration),
        "personalmangel" | "krankheit" => Some(ClosureCause::StaffShortage),
        "sonstiges" | "sonstige" | "andere" => Some(ClosureCause::Other),
        _ => None,
    })
}

/// One bookable ZMS rule: its office, days of validity, weekdays, and slots per day.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    line: u64,
    office: OfficeId,
    from: NaiveDate,
    to: NaiveDate,
    weekdays: [bool; 7],
    slots: u32,
}

/// Plans from ZMS availability entities (a JSON list, or the API's `{"data": [...]}`).
pub fn plans_from_zms(document: Value, options: &Options) -> Result<Found, String> {
    let list = crate::mapping::zms::processes(document)
        .map_err(|_| "expected a JSON list of availability entities, or an object with one in \"data\"".to_owned())?;
    let mut rules = Vec::new();
    let mut problems = Vec::new();
    for (index, entity) in list.iter().enumerate() {
        match rule(entity, index as u64 + 1, options) {
            Ok(Some(rule)) => rules.push(rule),
            Ok(None) => {}
            Err(problem) => problems.push(problem),
        }
    }
    let offices: BTreeSet<&OfficeId> = rules.iter().map(|r| &r.office).collect();
    let mut events = Vec::new();
    for office in offices {
        let mine: Vec<&Rule> = rules.iter().filter(|r| &r.office == office).collect();
        let mut days: BTreeSet<NaiveDate> = BTreeSet::new();
        for r in &mine {
            days.insert(r.from);
            if let Some(after) = r.to.checked_add_days(Days::new(1)) {
                days.insert(after);
            }
        }
        let mut previous: Option<WeeklySlots> = None;
        for day in days {
            let mut slots = [0u32; 7];
            let in_force: Vec<&&Rule> = mine.iter().filter(|r| r.from <= day && day <= r.to).collect();
            for r in &in_force {
                for (weekday, open) in r.weekdays.iter().enumerate() {
                    if *open {
                        slots[weekday] += r.slots;
                    }
                }
            }
            let line = in_force.iter().map(|r| r.line).min().unwrap_or(0);
            let Some(plan) = weekly(slots) else {
                problems.push(RowError {
                    file: 0,
                    line,
                    column: Some("workstationCount.intern".into()),
                    value: None,
                    reason: format!("the rules in force on {day} give more than {MAX_SLOTS_PER_DAY} slots on a day"),
                });
                continue;
            };
            if previous != Some(plan) {
                let at = decided(options, day);
                events.push(((0, line), plan_event(options, office.clone(), day, plan, at)));
                previous = Some(plan);
            }
        }
    }
    Ok((events, problems))
}

fn weekly(slots: [u32; 7]) -> Option<WeeklySlots> {
    let mut out = [0u16; 7];
    for (o, s) in out.iter_mut().zip(slots) {
        *o = u16::try_from(s).ok().filter(|s| *s <= MAX_SLOTS_PER_DAY)?;
    }
    Some(out)
}

/// One availability entity as a rule; `None` for one that gives no bookable slots (`openinghours`, `break`).
fn rule(entity: &Value, line: u64, options: &Options) -> Result<Option<Rule>, RowError> {
    let problem = |field: &str, reason: &str| RowError {
        file: 0,
        line,
        column: Some(field.to_owned()),
        value: Some(match pointer(entity, field) {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        }),
        reason: reason.to_owned(),
    };
    match entity["type"].as_str() {
        Some("appointment") => {}
        Some("openinghours" | "break") => return Ok(None),
        _ => return Err(problem("type", "is not appointment, openinghours or break")),
    }
    let whole = |field: &str| -> Option<i64> {
        match pointer(entity, field) {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    };
    for (field, what) in [("repeat.afterWeeks", "every"), ("repeat.weekOfMonth", "in week")] {
        if let Some(n) = whole(field).filter(|n| *n > 1 || (what == "in week" && *n > 0)) {
            return Err(problem(field, &format!("the rule repeats {what} {n} weeks; a weekly plan cannot say that")));
        }
    }
    let scope = match pointer(entity, "scope.id") {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => return Err(problem("scope.id", "is missing")),
    };
    let office_id = options.offices.get(&scope).cloned().unwrap_or_else(|| format!("zms-{scope}"));
    let office = OfficeId::parse(&office_id).map_err(|e| problem("scope.id", &e.to_string()))?;
    let day_of = |field: &str| -> Result<NaiveDate, RowError> {
        let seconds = whole(field).ok_or_else(|| problem(field, "is not a Unix time"))?;
        let at = chrono::DateTime::from_timestamp(seconds, 0).ok_or_else(|| problem(field, "is out of range"))?;
        Ok(options.zone.date_of(&at.fixed_offset()))
    };
    let (from, to) = (day_of("startDate")?, day_of("endDate")?);
    let clock = |field: &str, default: &str| -> Result<NaiveTime, RowError> {
        let text = pointer(entity, field).as_str().unwrap_or(default).to_owned();
        time(&text).or_else(|| time(&format!("0{text}"))).ok_or_else(|| problem(field, "is not a time like 8:00"))
    };
    let (start, end) = (clock("startTime", "0:00")?, clock("endTime", "23:59")?);
    let minutes = whole("slotTimeInMinutes").unwrap_or(10);
    if minutes <= 0 {
        return Err(problem("slotTimeInMinutes", "is not above 0"));
    }
    let desks = whole("workstationCount.intern").unwrap_or(0).max(0);
    let open = (end - start).num_minutes().max(0);
    let slots =
        u32::try_from(open / minutes * desks).map_err(|_| problem("workstationCount.intern", "is too large"))?;
    const DAYS: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
    let mut weekdays = [false; 7];
    for (open, name) in weekdays.iter_mut().zip(DAYS) {
        *open = match &entity["weekday"][name] {
            Value::Bool(b) => *b,
            Value::Number(n) => n.as_i64().is_some_and(|n| n != 0),
            Value::String(s) => !matches!(s.trim(), "" | "0" | "false"),
            _ => false,
        };
    }
    Ok(Some(Rule { line, office, from, to, weekdays, slots }))
}

/// The value at a dotted path (`workstationCount.intern`).
fn pointer<'v>(value: &'v Value, path: &str) -> &'v Value {
    path.split('.').fold(value, |v, key| &v[key])
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::wire::to_json_line;

    fn options() -> Options {
        Options {
            source: "kl".into(),
            zone: Zone::default(),
            offices: [("Bürgercenter Kaiserslautern".to_owned(), "kl-buergercenter".to_owned())].into(),
            planned_at: None,
        }
    }

    fn rows(lines: &[&str]) -> (Vec<String>, Vec<Row>) {
        let split = |l: &str| l.split(';').map(str::to_owned).collect::<Vec<_>>();
        let rows = lines[1..].iter().enumerate().map(|(i, l)| Row { line: i as u64 + 2, cells: split(l) }).collect();
        (split(lines[0]), rows)
    }

    #[test]
    fn opening_hours_become_one_plan_per_office_and_valid_from() {
        let (header, rows) = rows(&[
            "Standort;gültig ab;Wochentag;von;bis;Taktung (Minuten);Plätze",
            "Bürgercenter Kaiserslautern;06.01.2020;Mo;08:00;12:00;10;5",
            "Bürgercenter Kaiserslautern;06.01.2020;Mo;13:00;15:30;10;4",
            "Bürgercenter Kaiserslautern;06.01.2020;Do;08:00;18:00;15;3",
            "Bürgercenter Kaiserslautern;27.04.2020;Montag;08:00;12:00;20;2",
        ]);
        let (events, problems) = plans_from_hours(&header, &rows, &options()).unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        let lines: Vec<String> = events.iter().map(|(_, e)| to_json_line(e)).collect();
        assert_eq!(lines.len(), 2);
        // Monday: 24 × 5 + 15 × 4 = 180; Thursday: 40 × 3 = 120.
        assert!(lines[0].contains(r#""at":"2020-01-06T00:00:00+01:00","office":"kl-buergercenter","effective_from":"2020-01-06","slots_per_weekday":[180,0,0,120,0,0,0]"#), "{}", lines[0]);
        assert!(lines[1].contains(r#""slots_per_weekday":[24,0,0,0,0,0,0]"#), "{}", lines[1]);
        let (_, bad) = self::rows(&[
            "office;valid_from;weekday;start;end;slot_minutes;desks",
            "kl;2020-01-06;Funday;08:00;12:00;10;5",
            "kl;2020-01-06;Mo;12:00;08:00;10;5",
        ]);
        let (_, problems) = plans_from_hours(&header_en(), &bad, &options()).unwrap();
        let said: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(said[0].starts_with(r#"line 2, column "weekday", value "Funday": is not a weekday"#), "{said:?}");
        assert!(said[1].starts_with(r#"line 3, column "end", value "08:00": is not after the start"#), "{said:?}");
    }

    fn header_en() -> Vec<String> {
        ["office", "valid_from", "weekday", "start", "end", "slot_minutes", "desks"].map(str::to_owned).to_vec()
    }

    #[test]
    fn closures_name_their_cause_and_an_unknown_cause_is_refused() {
        let (header, rows) = rows(&[
            "Standort;von;bis;Grund;Bemerkung",
            "Bürgercenter Kaiserslautern;27.05.2020;02.06.2020;Systemumstellung;Landesweite Umstellung",
            "kl;17.03.2020;26.04.2020;lockdown;",
            "kl;01.07.2020;01.07.2020;Betriebsausflug;",
        ]);
        let (events, problems) = closures(&header, &rows, &options()).unwrap();
        let lines: Vec<String> = events.iter().map(|(_, e)| to_json_line(e)).collect();
        assert!(lines[0].contains(r#""office":"kl-buergercenter","closure_id":"2020-05-27-system_migration","first_day":"2020-05-27","last_day":"2020-06-02","cause":"system_migration","reason":"Landesweite Umstellung""#), "{}", lines[0]);
        assert!(lines[1].contains(r#""cause":"lockdown","reason":"""#));
        assert_eq!(problems.len(), 1);
        assert!(problems[0].to_string().contains(r#"column "Grund", value "Betriebsausflug": is not a cause"#));
        assert!(closures(&header_en(), &[], &options()).unwrap_err().contains("has no column first_day"));
    }

    #[test]
    fn zms_availabilities_in_force_are_summed_into_a_plan_on_each_day_the_sum_changes() {
        // 2025-01-01 … 2025-06-30 and 2025-03-01 … 2025-03-31, local midnights as ZMS gives them.
        let morning = json!({"id": 1, "scope": {"id": 141}, "type": "appointment", "startDate": 1735686000,
            "endDate": 1751234400, "startTime": "8:00", "endTime": "12:00", "slotTimeInMinutes": "10",
            "workstationCount": {"intern": 6, "public": 4}, "repeat": {"afterWeeks": 1, "weekOfMonth": 0},
            "weekday": {"monday": "2", "tuesday": "4", "wednesday": "0", "thursday": "16", "friday": "0",
                        "saturday": "0", "sunday": "0"}});
        let march = json!({"id": 2, "scope": {"id": 141}, "type": "appointment", "startDate": 1740783600,
            "endDate": 1743372000, "startTime": "13:00:00", "endTime": "15:00:00", "slotTimeInMinutes": 20,
            "workstationCount": {"intern": "2"}, "weekday": {"monday": true, "friday": true}});
        let hours = json!({"id": 3, "scope": {"id": 141}, "type": "openinghours", "startDate": 1735686000,
            "endDate": 1751234400});
        let fortnightly = json!({"id": 4, "scope": {"id": 141}, "type": "appointment", "startDate": 1735686000,
            "endDate": 1751234400, "repeat": {"afterWeeks": 2}, "weekday": {"monday": "2"}});
        let (events, problems) =
            plans_from_zms(json!({"data": [morning, march, hours, fortnightly]}), &options()).unwrap();
        let lines: Vec<String> = events.iter().map(|(_, e)| to_json_line(e)).collect();
        assert_eq!(lines.len(), 4, "{lines:#?}");
        let plan = |i: usize| lines[i].split("\"effective_from\":").nth(1).unwrap().to_owned();
        assert_eq!(plan(0), r#""2025-01-01","slots_per_weekday":[144,144,0,144,0,0,0]}"#);
        assert_eq!(plan(1), r#""2025-03-01","slots_per_weekday":[156,144,0,144,12,0,0]}"#);
        assert_eq!(plan(2), r#""2025-04-01","slots_per_weekday":[144,144,0,144,0,0,0]}"#);
        assert_eq!(plan(3), r#""2025-07-01","slots_per_weekday":[0,0,0,0,0,0,0]}"#, "after the last rule, no slots");
        assert!(lines[0].contains(r#""office":"zms-141""#));
        assert_eq!(problems.len(), 1);
        assert!(problems[0].to_string().contains("repeats every 2 weeks"), "{:?}", problems[0]);
    }
}
