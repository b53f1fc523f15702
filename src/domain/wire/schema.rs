//! The wire format of one event as a JSON Schema (2020-12, as OpenAPI 3.1 embeds it): one object schema per event
//! type, each closed (no other keys), with the patterns, bounds and enums the parser enforces. The OpenAPI document
//! states it as the request body of `POST /api/v1/events`; a property test holds it and the parser to the same
//! events. Cross-field and cross-event rules (a closure's last day not before its first, a booking's id unused, …)
//! are the rule book's and cannot be stated here.

use serde_json::{Value, json};

use crate::domain::event::{
    ClosureCause, MAX_NAME_CHARS, MAX_OBSERVED_SLOTS, MAX_REASON_CHARS, MAX_SLOTS_PER_DAY, State,
};
use crate::domain::wire::{DATE_PATTERN, EVENT_TYPES, INSTANT_PATTERN};

/// An identifier of an office, service or closure.
const SLUG_PATTERN: &str = "^[a-z0-9][a-z0-9_-]{0,63}$";
/// An event or appointment id: printable ASCII.
const PRINTABLE_PATTERN: &str = "^[ -~]{1,128}$";
/// Free text: no C0, DEL or C1 control character.
const TEXT_PATTERN: &str = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$";

fn slug() -> Value {
    json!({"type": "string", "pattern": SLUG_PATTERN})
}

fn printable() -> Value {
    json!({"type": "string", "pattern": PRINTABLE_PATTERN})
}

fn instant() -> Value {
    json!({"type": "string", "format": "date-time", "pattern": INSTANT_PATTERN})
}

fn date() -> Value {
    json!({"type": "string", "format": "date", "pattern": DATE_PATTERN})
}

fn text(min: usize, max: usize) -> Value {
    json!({"type": "string", "minLength": min, "maxLength": max, "pattern": TEXT_PATTERN})
}

/// The fields of `type_name` beyond `event_id`, `at` and `type`, and which of them are required.
fn fields(type_name: &str) -> (Vec<(&'static str, Value)>, Vec<&'static str>) {
    let appointment = || vec![("office", slug()), ("appointment_id", printable())];
    let all = |fields: Vec<(&'static str, Value)>| {
        let required = fields.iter().map(|(name, _)| *name).collect();
        (fields, required)
    };
    match type_name {
        "appointment_booked" => all(vec![
            ("office", slug()),
            ("appointment_id", printable()),
            ("service", slug()),
            ("channel", json!({"type": "string", "enum": ["online", "phone", "counter"]})),
            ("slot", instant()),
        ]),
        "appointment_rescheduled" => all([appointment(), vec![("slot", instant())]].concat()),
        "appointment_cancelled" | "appointment_attended" | "appointment_missed" => all(appointment()),
        "walk_in_served" => all(vec![("office", slug()), ("service", slug())]),
        "capacity_planned" => all(vec![
            ("office", slug()),
            ("effective_from", date()),
            (
                "slots_per_weekday",
                json!({"type": "array", "minItems": 7, "maxItems": 7,
                       "items": {"type": "integer", "minimum": 0, "maximum": MAX_SLOTS_PER_DAY}}),
            ),
        ]),
        "closure_declared" => all(vec![
            ("office", slug()),
            ("closure_id", slug()),
            ("first_day", date()),
            ("last_day", date()),
            ("cause", json!({"type": "string", "enum": ClosureCause::ALL.map(ClosureCause::as_str)})),
            ("reason", text(0, MAX_REASON_CHARS)),
        ]),
        "closure_cancelled" => all(vec![("office", slug()), ("closure_id", slug())]),
        "holiday_declared" => {
            (vec![("date", date()), ("name", text(1, MAX_NAME_CHARS)), ("office", slug())], vec!["date", "name"])
        }
        "policy_changed" => all(vec![
            ("office", slug()),
            ("service", slug()),
            ("effective_from", date()),
            ("appointment_required", json!({"type": "boolean"})),
        ]),
        "office_described" => (
            vec![
                ("office", slug()),
                ("name", text(1, MAX_NAME_CHARS)),
                ("state", json!({"type": "string", "enum": State::ALL.map(State::code)})),
            ],
            vec!["office", "name"],
        ),
        "service_described" => {
            (vec![("service", slug()), ("name", text(1, MAX_NAME_CHARS)), ("office", slug())], vec!["service", "name"])
        }
        // Strictly increasing slots cannot be said in JSON Schema; `uniqueItems` says the part it can.
        "calendar_observed" => (
            vec![
                ("office", slug()),
                ("service", slug()),
                ("source", slug()),
                (
                    "free_slots",
                    json!({"type": "array", "maxItems": MAX_OBSERVED_SLOTS, "uniqueItems": true, "items": instant()}),
                ),
            ],
            vec!["office", "source", "free_slots"],
        ),
        _ => (Vec::new(), Vec::new()),
    }
}

/// The schema of one event of `type_name`.
pub fn event_of_type(type_name: &str) -> Value {
    let (fields, required) = fields(type_name);
    let mut properties = serde_json::Map::new();
    properties.insert("event_id".into(), printable());
    properties.insert("at".into(), instant());
    properties.insert("type".into(), json!({"type": "string", "const": type_name}));
    for (name, schema) in fields {
        properties.insert(name.into(), schema);
    }
    let required: Vec<&str> = ["event_id", "at", "type"].into_iter().chain(required).collect();
    json!({"type": "object", "title": type_name, "properties": properties, "required": required,
           "additionalProperties": false})
}

/// The schema of one event: exactly one of the event types.
pub fn event() -> Value {
    json!({
        "description": "One event in its wire form (see docs/events.md); `type` selects the fields.",
        "oneOf": EVENT_TYPES.map(event_of_type),
    })
}
