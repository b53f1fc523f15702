//! The JSON wire format of events: a strict parser that names every broken field, and the canonical writer.
//!
//! Parsing goes through a `serde_json::Map` field by field rather than a derived struct so that one pass reports
//! *every* problem of an event (unknown, missing and malformed fields alike), each with its field name. The writer
//! emits fields in a fixed order (`event_id`, `type`, `at`, then the variant's fields as docs/events.md lists them), so
//! that `export` followed by `import` reproduces a log exactly.

use chrono::{DateTime, NaiveDate, SecondsFormat};
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Map, Value};

use crate::domain::event::{
    Channel, ClosureCause, Event, EventKind, Instant, MAX_NAME_CHARS, MAX_OBSERVED_SLOTS, MAX_REASON_CHARS,
    MAX_SLOTS_PER_DAY, State, WeeklySlots,
};
use crate::domain::id::{AppointmentId, ClosureId, EventId, IdError, OfficeId, ServiceId, SourceId};

/// One problem with one field of an event on the wire (`field` is `None` when the event as a whole is wrong, e.g.
/// not JSON at all). All of these map to HTTP 400.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError {
    /// The field at fault, as named on the wire.
    pub field: Option<String>,
    /// What is wrong, lower-case, without a trailing period.
    pub reason: String,
}

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "field {field:?}: {}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

/// All event types, in docs/events.md's order.
pub const EVENT_TYPES: [&str; 14] = [
    "appointment_booked",
    "appointment_rescheduled",
    "appointment_cancelled",
    "appointment_attended",
    "appointment_missed",
    "walk_in_served",
    "capacity_planned",
    "closure_declared",
    "closure_cancelled",
    "holiday_declared",
    "policy_changed",
    "office_described",
    "service_described",
    "calendar_observed",
];

mod fast;
pub mod schema;

/// Parses one event from a line of JSON text.
///
/// A well-formed event takes the typed, borrowing [`fast`] path; anything it does not accept (a broken field, an
/// escaped string, a `null`) is parsed again field by field, which names every problem. Both paths accept exactly
/// the same events (a property test holds them to it).
pub fn parse_event(text: &str) -> Result<Event, Vec<WireError>> {
    match fast::parse(text) {
        Some(event) => Ok(event),
        None => parse_event_by_fields(text),
    }
}

/// The earliest date the contract admits (version 2), for dates and the local dates of instants.
pub const FIRST_DATE: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a date");
/// The latest date the contract admits.
pub const LAST_DATE: NaiveDate = NaiveDate::from_ymd_opt(2199, 12, 31).expect("a date");
/// How much of an offending value a message shows at most, in characters.
pub const MAX_ECHOED_CHARS: usize = 200;

/// The field-by-field parser, the one that reports problems.
fn parse_event_by_fields(text: &str) -> Result<Event, Vec<WireError>> {
    if text.starts_with('\u{feff}') {
        return Err(vec![WireError {
            field: None,
            reason: "starts with a byte order mark (U+FEFF): save the file as UTF-8 without BOM".into(),
        }]);
    }
    let value = match serde_json::from_str::<Value>(text) {
        Ok(value) => value,
        Err(e) => {
            let start: String = text.trim_start_matches([' ', '\t', '\r', '\n']).chars().take(20).collect();
            return Err(vec![WireError { field: None, reason: format!("not JSON ({e}); it starts with {start:?}") }]);
        }
    };
    let duplicates = serde_json::from_str::<DuplicateKeys>(text).map(|d| d.0).unwrap_or_default();
    match parse_event_value(value) {
        Ok(_) if !duplicates.is_empty() => Err(duplicate_errors(duplicates)),
        Ok(event) => Ok(event),
        Err(mut errors) => {
            errors.extend(duplicate_errors(duplicates));
            Err(errors)
        }
    }
}

fn duplicate_errors(keys: Vec<String>) -> Vec<WireError> {
    keys.into_iter()
        .map(|key| {
            let field = if key.chars().count() > MAX_ECHOED_CHARS {
                key.chars().take(MAX_ECHOED_CHARS).chain(['…']).collect()
            } else {
                key
            };
            WireError { field: Some(field), reason: "appears more than once in the object".into() }
        })
        .collect()
}

/// The keys that a JSON object holds more than once (none for anything but an object). JSON parsers disagree on
/// which of two values wins, so the contract rejects such an object instead of choosing.
struct DuplicateKeys(Vec<String>);

impl<'de> serde::Deserialize<'de> for DuplicateKeys {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = DuplicateKeys;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<DuplicateKeys, A::Error> {
                let mut seen = std::collections::HashSet::new();
                let mut duplicates = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    map.next_value::<serde::de::IgnoredAny>()?;
                    if !seen.insert(key.clone()) && !duplicates.contains(&key) {
                        duplicates.push(key);
                    }
                }
                Ok(DuplicateKeys(duplicates))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<DuplicateKeys, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(DuplicateKeys(Vec::new()))
            }
            fn visit_bool<E>(self, _: bool) -> Result<DuplicateKeys, E> {
                Ok(DuplicateKeys(Vec::new()))
            }
            fn visit_i64<E>(self, _: i64) -> Result<DuplicateKeys, E> {
                Ok(DuplicateKeys(Vec::new()))
            }
            fn visit_u64<E>(self, _: u64) -> Result<DuplicateKeys, E> {
                Ok(DuplicateKeys(Vec::new()))
            }
            fn visit_f64<E>(self, _: f64) -> Result<DuplicateKeys, E> {
                Ok(DuplicateKeys(Vec::new()))
            }
            fn visit_str<E>(self, _: &str) -> Result<DuplicateKeys, E> {
                Ok(DuplicateKeys(Vec::new()))
            }
            fn visit_unit<E>(self) -> Result<DuplicateKeys, E> {
                Ok(DuplicateKeys(Vec::new()))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// A value as a message shows it: quoted, and cut to [`MAX_ECHOED_CHARS`] characters with its length named.
pub fn echo(s: &str) -> String {
    let chars = s.chars().count();
    if chars <= MAX_ECHOED_CHARS {
        return format!("{s:?}");
    }
    let shown: String = s.chars().take(MAX_ECHOED_CHARS).collect();
    format!("{shown:?}… ({chars} characters)")
}

/// Parses one event from a JSON value (an element of a JSON array body, say).
pub fn parse_event_value(value: Value) -> Result<Event, Vec<WireError>> {
    let Value::Object(map) = value else {
        return Err(vec![WireError {
            field: None,
            reason: format!("expected a JSON object, found {}", kind_of(&value)),
        }]);
    };
    let mut fields = Fields { map, errors: Vec::new() };
    let id = fields.take("event_id", |v| parse_id(v, EventId::parse));
    let at = fields.take("at", parse_instant);
    let kind = match fields.take("type", |v| v.as_str().map(str::to_owned).ok_or_else(|| expected("a string", v))) {
        Some(type_name) => parse_kind(&type_name, &mut fields),
        None => None,
    };
    let unknown: Vec<String> = fields.map.keys().cloned().collect();
    for key in unknown {
        fields.errors.push(WireError { field: Some(key), reason: "unknown field".into() });
    }
    match (id, at, kind) {
        (Some(id), Some(at), Some(kind)) if fields.errors.is_empty() => Ok(Event { id, at, kind }),
        _ => Err(fields.errors),
    }
}

fn parse_kind(type_name: &str, f: &mut Fields) -> Option<EventKind> {
    let kind = match type_name {
        "appointment_booked" => {
            let office = f.office();
            let appointment = f.appointment();
            let service = f.service();
            let channel = f.take("channel", |v| parse_enum(v, Channel::parse, "online, phone or counter"));
            let slot = f.take("slot", parse_instant);
            EventKind::AppointmentBooked {
                office: office?,
                appointment: appointment?,
                service: service?,
                channel: channel?,
                slot: slot?,
            }
        }
        "appointment_rescheduled" => {
            let office = f.office();
            let appointment = f.appointment();
            let slot = f.take("slot", parse_instant);
            EventKind::AppointmentRescheduled { office: office?, appointment: appointment?, slot: slot? }
        }
        "appointment_cancelled" | "appointment_attended" | "appointment_missed" => {
            let office = f.office();
            let appointment = f.appointment();
            let (office, appointment) = (office?, appointment?);
            match type_name {
                "appointment_cancelled" => EventKind::AppointmentCancelled { office, appointment },
                "appointment_attended" => EventKind::AppointmentAttended { office, appointment },
                _ => EventKind::AppointmentMissed { office, appointment },
            }
        }
        "walk_in_served" => {
            let office = f.office();
            let service = f.service();
            EventKind::WalkInServed { office: office?, service: service? }
        }
        "capacity_planned" => {
            let office = f.office();
            let effective_from = f.take("effective_from", parse_date);
            let slots = f.take("slots_per_weekday", parse_weekly_slots);
            EventKind::CapacityPlanned { office: office?, effective_from: effective_from?, slots_per_weekday: slots? }
        }
        "closure_declared" => {
            let office = f.office();
            let closure = f.closure();
            let first_day = f.take("first_day", parse_date);
            let last_day = f.take("last_day", parse_date);
            let cause = f.take("cause", |v| {
                parse_enum(v, ClosureCause::parse, "lockdown, system_migration, staff_shortage or other")
            });
            let reason = f.take("reason", |v| parse_text(v, 0, MAX_REASON_CHARS));
            EventKind::ClosureDeclared {
                office: office?,
                closure: closure?,
                first_day: first_day?,
                last_day: last_day?,
                cause: cause?,
                reason: reason?,
            }
        }
        "closure_cancelled" => {
            let office = f.office();
            let closure = f.closure();
            EventKind::ClosureCancelled { office: office?, closure: closure? }
        }
        "holiday_declared" => {
            let date = f.take("date", parse_date);
            let name = f.take("name", |v| parse_text(v, 1, MAX_NAME_CHARS));
            let office = f.take_optional("office", |v| parse_id(v, OfficeId::parse));
            EventKind::HolidayDeclared { date: date?, name: name?, office: office? }
        }
        "policy_changed" => {
            let office = f.office();
            let service = f.service();
            let effective_from = f.take("effective_from", parse_date);
            let required = f.take("appointment_required", |v| v.as_bool().ok_or_else(|| expected("true or false", v)));
            EventKind::PolicyChanged {
                office: office?,
                service: service?,
                effective_from: effective_from?,
                appointment_required: required?,
            }
        }
        "office_described" => {
            let office = f.office();
            let name = f.take("name", |v| parse_text(v, 1, MAX_NAME_CHARS));
            let state = f.take_optional("state", |v| parse_enum(v, State::parse, STATE_CODES));
            EventKind::OfficeDescribed { office: office?, name: name?, state: state? }
        }
        "service_described" => {
            let service = f.service();
            let name = f.take("name", |v| parse_text(v, 1, MAX_NAME_CHARS));
            let office = f.take_optional("office", |v| parse_id(v, OfficeId::parse));
            EventKind::ServiceDescribed { service: service?, name: name?, office: office? }
        }
        "calendar_observed" => {
            let office = f.office();
            let service = f.take_optional("service", |v| parse_id(v, ServiceId::parse));
            let source = f.take("source", |v| parse_id(v, SourceId::parse));
            let free_slots = f.take("free_slots", parse_free_slots);
            EventKind::CalendarObserved { office: office?, service: service?, source: source?, free_slots: free_slots? }
        }
        other => {
            f.errors.push(WireError {
                field: Some("type".into()),
                reason: format!("unknown event type {other:?}, expected one of {}", EVENT_TYPES.join(", ")),
            });
            return None;
        }
    };
    Some(kind)
}

/// The German states' codes, as a message lists them.
const STATE_CODES: &str = "bw, by, be, bb, hb, hh, he, mv, ni, nw, rp, sl, sn, st, sh or th";

/// The fields of one object being taken apart; whatever is left at the end is unknown.
struct Fields {
    map: Map<String, Value>,
    errors: Vec<WireError>,
}

impl Fields {
    fn take<T>(&mut self, name: &str, parse: impl FnOnce(&Value) -> Result<T, String>) -> Option<T> {
        match self.map.remove(name) {
            None => {
                self.errors.push(WireError { field: Some(name.into()), reason: "missing field".into() });
                None
            }
            Some(value) => self.check(name, parse(&value)),
        }
    }

    /// An optional field: absent gives `Some(None)`; malformed (`null` included) gives `None` and an error.
    fn take_optional<T>(&mut self, name: &str, parse: impl FnOnce(&Value) -> Result<T, String>) -> Option<Option<T>> {
        match self.map.remove(name) {
            None => Some(None),
            Some(Value::Null) => {
                self.check::<T>(name, Err("is null: leave an optional field out instead".into()));
                None
            }
            Some(value) => self.check(name, parse(&value)).map(Some),
        }
    }

    fn check<T>(&mut self, name: &str, parsed: Result<T, String>) -> Option<T> {
        parsed.map_err(|reason| self.errors.push(WireError { field: Some(name.into()), reason })).ok()
    }

    fn office(&mut self) -> Option<OfficeId> {
        self.take("office", |v| parse_id(v, OfficeId::parse))
    }

    fn service(&mut self) -> Option<ServiceId> {
        self.take("service", |v| parse_id(v, ServiceId::parse))
    }

    fn appointment(&mut self) -> Option<AppointmentId> {
        self.take("appointment_id", |v| parse_id(v, AppointmentId::parse))
    }

    fn closure(&mut self) -> Option<ClosureId> {
        self.take("closure_id", |v| parse_id(v, ClosureId::parse))
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn expected(what: &str, found: &Value) -> String {
    format!("expected {what}, found {}", kind_of(found))
}

fn parse_id<T>(v: &Value, parse: impl FnOnce(&str) -> Result<T, IdError>) -> Result<T, String> {
    let s = v.as_str().ok_or_else(|| expected("a string", v))?;
    parse(s).map_err(|e| format!("{} {e}", echo(s)))
}

fn parse_instant(v: &Value) -> Result<Instant, String> {
    instant(v.as_str().ok_or_else(|| expected("an RFC 3339 instant string", v))?)
}

/// An RFC 3339 instant with offset, within the contract's bounds: seconds 00–59 (chrono reads a leap second as a
/// nanosecond count of a billion or more), at most nine fractional digits (chrono would drop the rest silently),
/// and its date as written (in its own offset: the local date wherever the offset is the service zone's, which the
/// parser does not know) in [`FIRST_DATE`]..=[`LAST_DATE`].
fn instant(s: &str) -> Result<Instant, String> {
    let at = DateTime::parse_from_rfc3339(s)
        .map_err(|e| format!("{} is not an RFC 3339 instant with offset: {e}", echo(s)))?;
    if !written_as_the_contract_writes(s) {
        return Err(format!("{} is not written YYYY-MM-DDTHH:MM:SS[.fraction] and Z or ±HH:MM", echo(s)));
    }
    if chrono::Timelike::nanosecond(&at) >= 1_000_000_000 {
        return Err(format!("{} is a leap second: seconds must be 00 to 59", echo(s)));
    }
    let fraction = s.find('.').map_or(0, |dot| s[dot + 1..].bytes().take_while(u8::is_ascii_digit).count());
    if fraction > 9 {
        return Err(format!("{} has {fraction} fractional digits, at most 9 are allowed", echo(s)));
    }
    if !(FIRST_DATE..=LAST_DATE).contains(&at.naive_local().date()) {
        return Err(format!("{} lies outside {FIRST_DATE} … {LAST_DATE}", echo(s)));
    }
    Ok(at)
}

/// Whether an instant that chrono read is written in the one form the contract (and [`INSTANT_PATTERN`]) names: a
/// capital `T`, a capital `Z` or a numeric offset; not the lower-case letters or the space RFC 3339 also allows.
fn written_as_the_contract_writes(s: &str) -> bool {
    let b = s.as_bytes();
    let offset_ok = match b.last() {
        Some(b'Z') => true,
        _ => b.len() > 6 && matches!(b[b.len() - 6], b'+' | b'-'),
    };
    b.len() >= 20 && b[10] == b'T' && offset_ok
}

/// The form of every instant, as the OpenAPI document states it: the date as written in 1970–2199, a capital `T`,
/// seconds 00–59, at most nine fractional digits, and `Z` or a numeric offset.
pub const INSTANT_PATTERN: &str = r"^(19[7-9][0-9]|2[01][0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$";

/// The form of every date: `YYYY-MM-DD` in 1970–2199.
pub const DATE_PATTERN: &str = r"^(19[7-9][0-9]|2[01][0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$";

fn parse_date(v: &Value) -> Result<NaiveDate, String> {
    date(v.as_str().ok_or_else(|| expected("a date string YYYY-MM-DD", v))?)
}

/// A date `YYYY-MM-DD` within the contract's bounds: the one date syntax of events, query parameters and the
/// command line, so that no question can name a range of thousands of years.
pub fn date(s: &str) -> Result<NaiveDate, String> {
    let well_formed = s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-';
    match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        Ok(date) if well_formed && (FIRST_DATE..=LAST_DATE).contains(&date) => Ok(date),
        Ok(_) if well_formed => Err(format!("{} lies outside {FIRST_DATE} … {LAST_DATE}", echo(s))),
        _ => Err(format!("{} is not a date YYYY-MM-DD", echo(s))),
    }
}

fn parse_enum<T>(v: &Value, parse: impl FnOnce(&str) -> Option<T>, allowed: &str) -> Result<T, String> {
    let s = v.as_str().ok_or_else(|| expected("a string", v))?;
    parse(s).ok_or_else(|| format!("{} is not one of {allowed}", echo(s)))
}

fn parse_text(v: &Value, min_chars: usize, max_chars: usize) -> Result<String, String> {
    text(v.as_str().ok_or_else(|| expected("a string", v))?, min_chars, max_chars)
}

fn text(s: &str, min_chars: usize, max_chars: usize) -> Result<String, String> {
    let chars = s.chars().count();
    if chars < min_chars {
        return Err("must not be empty".into());
    }
    if chars > max_chars {
        return Err(format!("is {chars} characters long, at most {max_chars} are allowed"));
    }
    if let Some((at, c)) = s.chars().enumerate().find(|(_, c)| is_control(*c)) {
        return Err(format!(
            "contains the control character U+{:04X} at character {}; free text may hold none \
             (U+0000–U+001F, U+007F–U+009F)",
            u32::from(c),
            at + 1
        ));
    }
    Ok(s.to_owned())
}

/// The control characters the contract keeps out of free text: C0, DEL and C1.
fn is_control(c: char) -> bool {
    matches!(u32::from(c), 0x00..=0x1F | 0x7F..=0x9F)
}

/// Whether an NDJSON line is blank: JSON's whitespace only (space, tab, CR, LF), not form feeds or other Unicode
/// space.
pub fn is_blank_line(line: &str) -> bool {
    line.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

fn parse_weekly_slots(v: &Value) -> Result<WeeklySlots, String> {
    let items = v.as_array().ok_or_else(|| expected("an array of 7 integers", v))?;
    if items.len() != 7 {
        return Err(format!("expected exactly 7 integers (Monday first), found {}", items.len()));
    }
    let mut slots = [0u16; 7];
    for (i, (item, slot)) in items.iter().zip(slots.iter_mut()).enumerate() {
        // An integer as JSON Schema reads one: `120`, and also `120.0` or `1.2e2` (a number without a fraction).
        let whole = item.as_u64().or_else(|| item.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0).map(|f| f as u64));
        *slot = whole
            .and_then(slots_of_day)
            .ok_or_else(|| format!("entry {i} is {item}, expected an integer in 0..={MAX_SLOTS_PER_DAY}"))?;
    }
    Ok(slots)
}

/// One weekday's slot count, `0..=MAX_SLOTS_PER_DAY`.
/// The free slots of an observation: instants, strictly increasing, at most [`MAX_OBSERVED_SLOTS`].
fn parse_free_slots(v: &Value) -> Result<Vec<Instant>, String> {
    let items = v.as_array().ok_or_else(|| expected("an array of RFC 3339 instants", v))?;
    if items.len() > MAX_OBSERVED_SLOTS {
        return Err(format!("lists {} slots, at most {MAX_OBSERVED_SLOTS} are allowed", items.len()));
    }
    let mut slots: Vec<Instant> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let slot = parse_instant(item).map_err(|reason| format!("entry {i}: {reason}"))?;
        if let Some(previous) = slots.last().filter(|p| **p >= slot) {
            return Err(format!(
                "entry {i} ({}) is not after entry {} ({}): free slots must be strictly increasing",
                format_instant(&slot),
                i - 1,
                format_instant(previous)
            ));
        }
        slots.push(slot);
    }
    Ok(slots)
}

fn slots_of_day(n: u64) -> Option<u16> {
    u16::try_from(n).ok().filter(|n| *n <= MAX_SLOTS_PER_DAY)
}

/// Writes an instant as RFC 3339 with the offset it was given (`Z` for UTC).
pub fn format_instant(at: &Instant) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// The canonical wire JSON of an event, on one line.
pub fn to_json_line(event: &Event) -> String {
    serde_json::to_string(event).unwrap_or_default()
}

impl serde::Serialize for Event {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(None)?;
        m.serialize_entry("event_id", self.id.as_str())?;
        m.serialize_entry("type", self.kind.type_name())?;
        m.serialize_entry("at", &format_instant(&self.at))?;
        match &self.kind {
            EventKind::AppointmentBooked { office, appointment, service, channel, slot } => {
                m.serialize_entry("office", office)?;
                m.serialize_entry("appointment_id", appointment)?;
                m.serialize_entry("service", service)?;
                m.serialize_entry("channel", channel.as_str())?;
                m.serialize_entry("slot", &format_instant(slot))?;
            }
            EventKind::AppointmentRescheduled { office, appointment, slot } => {
                m.serialize_entry("office", office)?;
                m.serialize_entry("appointment_id", appointment)?;
                m.serialize_entry("slot", &format_instant(slot))?;
            }
            EventKind::AppointmentCancelled { office, appointment }
            | EventKind::AppointmentAttended { office, appointment }
            | EventKind::AppointmentMissed { office, appointment } => {
                m.serialize_entry("office", office)?;
                m.serialize_entry("appointment_id", appointment)?;
            }
            EventKind::WalkInServed { office, service } => {
                m.serialize_entry("office", office)?;
                m.serialize_entry("service", service)?;
            }
            EventKind::CapacityPlanned { office, effective_from, slots_per_weekday } => {
                m.serialize_entry("office", office)?;
                m.serialize_entry("effective_from", &effective_from.to_string())?;
                m.serialize_entry("slots_per_weekday", slots_per_weekday)?;
            }
            EventKind::ClosureDeclared { office, closure, first_day, last_day, cause, reason } => {
                m.serialize_entry("office", office)?;
                m.serialize_entry("closure_id", closure)?;
                m.serialize_entry("first_day", &first_day.to_string())?;
                m.serialize_entry("last_day", &last_day.to_string())?;
                m.serialize_entry("cause", cause.as_str())?;
                m.serialize_entry("reason", reason)?;
            }
            EventKind::ClosureCancelled { office, closure } => {
                m.serialize_entry("office", office)?;
                m.serialize_entry("closure_id", closure)?;
            }
            EventKind::HolidayDeclared { date, name, office } => {
                m.serialize_entry("date", &date.to_string())?;
                m.serialize_entry("name", name)?;
                if let Some(office) = office {
                    m.serialize_entry("office", office)?;
                }
            }
            EventKind::PolicyChanged { office, service, effective_from, appointment_required } => {
                m.serialize_entry("office", office)?;
                m.serialize_entry("service", service)?;
                m.serialize_entry("effective_from", &effective_from.to_string())?;
                m.serialize_entry("appointment_required", appointment_required)?;
            }
            EventKind::OfficeDescribed { office, name, state } => {
                m.serialize_entry("office", office)?;
                m.serialize_entry("name", name)?;
                if let Some(state) = state {
                    m.serialize_entry("state", state.code())?;
                }
            }
            EventKind::ServiceDescribed { service, name, office } => {
                m.serialize_entry("service", service)?;
                m.serialize_entry("name", name)?;
                if let Some(office) = office {
                    m.serialize_entry("office", office)?;
                }
            }
            EventKind::CalendarObserved { office, service, source, free_slots } => {
                m.serialize_entry("office", office)?;
                if let Some(service) = service {
                    m.serialize_entry("service", service)?;
                }
                m.serialize_entry("source", source)?;
                let slots: Vec<String> = free_slots.iter().map(format_instant).collect();
                m.serialize_entry("free_slots", &slots)?;
            }
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses `input` and compares the outcome with `expect`: the canonical JSON on success, or the list of
    /// `field: reason` problems.
    fn check(input: &str, expect: Result<&str, &[&str]>) {
        let got = parse_event(input).map(|e| to_json_line(&e)).map_err(|errors| {
            errors.iter().map(|e| format!("{}: {}", e.field.as_deref().unwrap_or("-"), e.reason)).collect::<Vec<_>>()
        });
        match (got, expect) {
            (Ok(json), Ok(want)) => assert_eq!(json, want),
            (Err(errs), Err(want)) => {
                assert_eq!(errs.len(), want.len(), "{errs:#?}");
                for (e, w) in errs.iter().zip(want) {
                    assert!(e.starts_with(w), "{e:?} does not start with {w:?}");
                }
            }
            (got, _) => panic!("unexpected outcome {got:?} for {input}"),
        }
    }

    #[test]
    fn an_observation_round_trips_and_its_slots_must_rise_strictly() {
        let line = r#"{"event_id":"o1","type":"calendar_observed","at":"2021-07-12T08:00:00+02:00","office":"kl","service":"personalausweis","source":"terminscraper","free_slots":["2021-07-12T08:20:00+02:00","2021-07-13T09:00:00+02:00"]}"#;
        check(line, Ok(line));
        let whole = r#"{"event_id":"o2","type":"calendar_observed","at":"2021-07-12T08:00:00+02:00","office":"kl","source":"s","free_slots":[]}"#;
        check(whole, Ok(whole));
        let with = |slots: &str| {
            format!(
                r#"{{"event_id":"o","type":"calendar_observed","at":"2021-07-12T08:00:00+02:00","office":"kl","source":"s","free_slots":{slots}}}"#
            )
        };
        check(
            &with(r#"["2021-07-13T09:00:00+02:00","2021-07-13T07:00:00Z"]"#),
            Err(&["free_slots: entry 1 (2021-07-13T07:00:00Z) is not after entry 0 (2021-07-13T09:00:00+02:00)"]),
        );
        check(&with(r#"["2021-07-13T09:00:00+02:00","x"]"#), Err(&["free_slots: entry 1: \"x\" is not an RFC 3339"]));
        check(&with(r#""2021-07-13T09:00:00+02:00""#), Err(&["free_slots: expected an array of RFC 3339 instants"]));
        let many = vec!["\"2030-01-01T00:00:00Z\""; 20_001].join(",");
        check(&with(&format!("[{many}]")), Err(&["free_slots: lists 20001 slots, at most 20000"]));
        check(
            r#"{"event_id":"o","type":"calendar_observed","at":"2021-07-12T08:00:00+02:00","office":"kl","service":null,"source":"S","free_slots":[]}"#,
            Err(&["service: is null", "source: \"S\" must start with"]),
        );
    }

    #[test]
    fn a_booking_round_trips_in_canonical_order() {
        let line = r#"{"event_id":"e1","type":"appointment_booked","at":"2020-06-02T09:15:00+02:00","office":"kl-buergercenter","appointment_id":"A-1","service":"personalausweis","channel":"online","slot":"2020-06-24T08:00:00+02:00"}"#;
        check(line, Ok(line));
        // Field order on input does not matter; the output is canonical.
        check(
            r#"{"type":"walk_in_served","office":"kl","at":"2020-06-29T08:00:00Z","service":"ausweis-abholung","event_id":"w"}"#,
            Ok(
                r#"{"event_id":"w","type":"walk_in_served","at":"2020-06-29T08:00:00Z","office":"kl","service":"ausweis-abholung"}"#,
            ),
        );
    }

    #[test]
    fn every_type_round_trips() {
        let lines = [
            r#"{"event_id":"1","type":"appointment_rescheduled","at":"2020-05-01T10:00:00+02:00","office":"kl","appointment_id":"a","slot":"2020-05-04T10:00:00+02:00"}"#,
            r#"{"event_id":"2","type":"appointment_cancelled","at":"2020-05-01T10:00:00+02:00","office":"kl","appointment_id":"a"}"#,
            r#"{"event_id":"3","type":"appointment_attended","at":"2020-05-01T10:00:00+02:00","office":"kl","appointment_id":"a"}"#,
            r#"{"event_id":"4","type":"appointment_missed","at":"2020-05-01T10:00:00+02:00","office":"kl","appointment_id":"a"}"#,
            r#"{"event_id":"5","type":"capacity_planned","at":"2020-01-01T00:00:00+01:00","office":"kl","effective_from":"2020-01-06","slots_per_weekday":[120,120,120,140,60,0,0]}"#,
            r#"{"event_id":"6","type":"closure_declared","at":"2020-03-16T07:00:00+01:00","office":"kl","closure_id":"lockdown-2020","first_day":"2020-03-17","last_day":"2020-04-26","cause":"lockdown","reason":"Corona-Lockdown"}"#,
            r#"{"event_id":"7","type":"closure_cancelled","at":"2020-03-16T07:00:00+01:00","office":"kl","closure_id":"lockdown-2020"}"#,
            r#"{"event_id":"8","type":"holiday_declared","at":"2020-01-01T00:00:00+01:00","date":"2020-05-21","name":"Christi Himmelfahrt"}"#,
            r#"{"event_id":"9","type":"holiday_declared","at":"2020-01-01T00:00:00+01:00","date":"2020-05-21","name":"x","office":"kl"}"#,
            r#"{"event_id":"10","type":"policy_changed","at":"2020-06-24T12:00:00+02:00","office":"kl","service":"ausweis-abholung","effective_from":"2020-06-29","appointment_required":false}"#,
            r#"{"event_id":"11","type":"office_described","at":"2020-01-01T00:00:00+01:00","office":"kl","name":"Bürgercenter Kaiserslautern","state":"rp"}"#,
            r#"{"event_id":"12","type":"office_described","at":"2020-01-01T00:00:00+01:00","office":"kl","name":"Bürgercenter"}"#,
            r#"{"event_id":"13","type":"service_described","at":"2020-01-01T00:00:00+01:00","service":"personalausweis","name":"Personalausweis beantragen"}"#,
            r#"{"event_id":"14","type":"service_described","at":"2020-01-01T00:00:00+01:00","service":"personalausweis","name":"Ausweis","office":"kl"}"#,
        ];
        for line in lines {
            check(line, Ok(line));
        }
    }

    #[test]
    fn every_broken_field_is_named() {
        check(
            r#"{"event_id":"","type":"appointment_booked","at":"2020-06-02","office":"KL","appointment_id":"a","service":"s","channel":"fax","extra":1}"#,
            Err(&[
                "event_id: \"\" must not be empty",
                "at: \"2020-06-02\" is not an RFC 3339 instant",
                "office: \"KL\" must start with",
                "channel: \"fax\" is not one of",
                "slot: missing field",
                "extra: unknown field",
            ]),
        );
    }

    #[test]
    fn malformed_documents_and_types_are_rejected() {
        check("{", Err(&["-: not JSON"]));
        check("[1]", Err(&["-: expected a JSON object, found an array"]));
        check(
            r#"{"event_id":"x","type":"appointment_exploded","at":"2020-06-02T09:15:00Z"}"#,
            Err(&["type: unknown event type"]),
        );
        check(
            r#"{"event_id":"x","type":7,"at":"2020-06-02T09:15:00Z"}"#,
            Err(&["type: expected a string, found a number"]),
        );
    }

    #[test]
    fn weekly_slots_need_seven_integers_in_range() {
        let with = |slots: &str| {
            format!(
                r#"{{"event_id":"p","type":"capacity_planned","at":"2020-01-01T00:00:00Z","office":"kl","effective_from":"2020-01-06","slots_per_weekday":{slots}}}"#
            )
        };
        check(&with("[1,2,3,4,5,6]"), Err(&["slots_per_weekday: expected exactly 7 integers"]));
        check(&with("[1,2,3,4,5,6,10001]"), Err(&["slots_per_weekday: entry 6 is 10001"]));
        check(&with("[1,2,3,4,5,6,-1]"), Err(&["slots_per_weekday: entry 6 is -1"]));
        check(&with("[1,2,3,4,5,6,1.5]"), Err(&["slots_per_weekday: entry 6 is 1.5"]));
        assert!(parse_event(&with("[0,0,0,0,0,0,10000]")).is_ok());
    }

    #[test]
    fn dates_must_be_iso_and_real() {
        let with = |d: &str| {
            format!(
                r#"{{"event_id":"h","type":"holiday_declared","at":"2020-01-01T00:00:00Z","date":"{d}","name":"x"}}"#
            )
        };
        check(&with("2020-13-01"), Err(&["date: \"2020-13-01\" is not a date"]));
        check(&with("2020-02-30"), Err(&["date: \"2020-02-30\" is not a date"]));
        check(&with("2020-6-1"), Err(&["date: \"2020-6-1\" is not a date"]));
        assert!(parse_event(&with("2020-02-29")).is_ok());
    }

    #[test]
    fn texts_are_bounded() {
        let reason = "x".repeat(501);
        let line = format!(
            r#"{{"event_id":"c","type":"closure_declared","at":"2020-01-01T00:00:00Z","office":"kl","closure_id":"c","first_day":"2020-01-02","last_day":"2020-01-03","cause":"other","reason":"{reason}"}}"#
        );
        check(&line, Err(&["reason: is 501 characters long"]));
    }

    /// A walk-in at `at`, for the instant tests of contract version 2.
    fn walk_in(at: &str) -> String {
        format!(r#"{{"event_id":"w","type":"walk_in_served","at":"{at}","office":"kl","service":"s"}}"#)
    }

    #[test]
    fn instants_and_dates_keep_to_the_bounds_of_version_2() {
        check(&walk_in("1970-01-01T00:00:00Z"), Ok(&walk_in("1970-01-01T00:00:00Z")));
        check(&walk_in("2199-12-31T23:59:59Z"), Ok(&walk_in("2199-12-31T23:59:59Z")));
        check(
            &walk_in("9999-12-31T10:00:00Z"),
            Err(&["at: \"9999-12-31T10:00:00Z\" lies outside 1970-01-01 … 2199-12-31"]),
        );
        check(&walk_in("0001-01-01T10:00:00Z"), Err(&["at: \"0001-01-01T10:00:00Z\" lies outside"]));
        // The date as written counts (in UTC this is still 1969).
        check(&walk_in("1970-01-01T00:30:00+01:00"), Ok(&walk_in("1970-01-01T00:30:00+01:00")));
        check(&walk_in("1969-12-31T23:30:00-01:00"), Err(&["at: \"1969-12-31T23:30:00-01:00\" lies outside"]));
        check(&walk_in("2020-06-30T23:59:60+02:00"), Err(&["at: \"2020-06-30T23:59:60+02:00\" is a leap second"]));
        check(
            &walk_in("2020-06-22T10:00:00.123456789012+02:00"),
            Err(&["at: \"2020-06-22T10:00:00.123456789012+02:00\" has 12 fractional digits"]),
        );
        check(&walk_in("2020-06-22T10:00:00.123456789+02:00"), Ok(&walk_in("2020-06-22T10:00:00.123456789+02:00")));
        // One written form, as the OpenAPI document's pattern states it: capital T and Z, no space.
        for other in ["2020-06-22t10:00:00Z", "2020-06-22T10:00:00z", "2020-06-22 10:00:00Z"] {
            check(&walk_in(other), Err(&[&format!("at: \"{other}\" is not written YYYY-MM-DDTHH:MM:SS")]));
        }
        // A slot count is an integer as JSON Schema reads one: 120.0 and 1.2e2 are 120; 120.5 is not.
        let plan = |slots: &str| {
            format!(
                r#"{{"event_id":"p","type":"capacity_planned","at":"2020-01-01T00:00:00Z","office":"kl","effective_from":"2020-01-06","slots_per_weekday":[{slots},0,0,0,0,0,0]}}"#
            )
        };
        check(&plan("120.0"), Ok(&plan("120")));
        check(&plan("1.2e2"), Ok(&plan("120")));
        check(&plan("120.5"), Err(&["slots_per_weekday: entry 0 is 120.5"]));
        let holiday = |date: &str| {
            format!(
                r#"{{"event_id":"h","type":"holiday_declared","at":"2020-01-01T00:00:00Z","date":"{date}","name":"N"}}"#
            )
        };
        check(&holiday("2200-01-01"), Err(&["date: \"2200-01-01\" lies outside 1970-01-01 … 2199-12-31"]));
        check(&holiday("1969-12-31"), Err(&["date: \"1969-12-31\" lies outside"]));
    }

    #[test]
    fn duplicate_keys_and_null_are_named() {
        check(
            r#"{"event_id":"w","type":"walk_in_served","at":"not-a-date","office":"kl","service":"s","at":"2020-06-22T10:00:00+02:00"}"#,
            Err(&["at: appears more than once"]),
        );
        check(
            r#"{"event_id":"w","type":"walk_in_served","at":"2020-06-22T10:00:00+02:00","office":"kl","service":"s","office":"kl"}"#,
            Err(&["office: appears more than once"]),
        );
        check(
            r#"{"event_id":"h","type":"holiday_declared","at":"2020-01-01T00:00:00Z","date":"2020-05-21","name":"N","office":null}"#,
            Err(&["office: is null"]),
        );
    }

    #[test]
    fn control_characters_stay_out_of_free_text() {
        for c in ["\\u0000", "\\u001b", "\\r", "\\u007f", "\\u0085"] {
            let line = format!(
                r#"{{"event_id":"h","type":"holiday_declared","at":"2020-01-01T00:00:00Z","date":"2020-05-21","name":"Neu{c}jahr"}}"#
            );
            check(&line, Err(&["name: contains the control character U+"]));
        }
        let line = r#"{"event_id":"c","type":"closure_declared","at":"2020-01-01T00:00:00Z","office":"kl","closure_id":"c","first_day":"2020-01-02","last_day":"2020-01-03","cause":"other","reason":"a\tb"}"#;
        check(line, Err(&["reason: contains the control character U+0009 at character 2"]));
        // Letters beyond ASCII are text, not control characters.
        let line = r#"{"event_id":"h","type":"holiday_declared","at":"2020-01-01T00:00:00Z","date":"2020-05-21","name":"Fronleichnam – Ä"}"#;
        check(line, Ok(line));
    }

    #[test]
    fn a_byte_order_mark_and_other_non_json_are_named() {
        check(
            &format!("\u{feff}{}", walk_in("2020-06-22T10:00:00Z")),
            Err(&["-: starts with a byte order mark (U+FEFF)"]),
        );
        check("hello world", Err(&["-: not JSON (expected value at line 1 column 1); it starts with \"hello world\""]));
        assert!(is_blank_line(" \t\r"));
        assert!(!is_blank_line("\u{c}"), "a form feed is not JSON whitespace");
        assert!(!is_blank_line("\u{b}"));
    }

    #[test]
    fn long_values_are_echoed_cut_to_200_characters() {
        let id = "x".repeat(1_000_000);
        let line = format!(
            r#"{{"event_id":"e","type":"walk_in_served","at":"2020-06-22T10:00:00Z","office":"{id}","service":"s"}}"#
        );
        let errors = parse_event(&line).expect_err("too long");
        assert_eq!(errors.len(), 1);
        assert!(errors[0].reason.len() < 400, "{}", errors[0].reason.len());
        assert!(errors[0].reason.contains("(1000000 characters)"), "{}", errors[0].reason);
    }
}
