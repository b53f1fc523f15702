//! The OpenAPI document's event schema and the parser accept the same events (issue #14, "an exact document").
//!
//! Checked with a real JSON Schema validator (the `jsonschema` crate, formats on): every event of the 2020 data set
//! and of the generated sample stream fits the schema, and for events changed in one field (a value of another
//! type, out of pattern or bounds, control characters, a field removed or added) the parser accepts exactly those
//! that the schema admits.

use proptest::prelude::*;
use serde_json::{Value, json};
use wartezeit::domain::wire::{parse_event, parse_event_value, schema, to_json_line};

mod support {
    pub mod server;
}

/// Built once: each case of the property test asks it.
static VALIDATOR: std::sync::LazyLock<jsonschema::Validator> = std::sync::LazyLock::new(validator);

fn validator() -> jsonschema::Validator {
    jsonschema::draft202012::options().should_validate_formats(true).build(&schema::event()).expect("a valid schema")
}

#[test]
fn every_event_of_the_data_set_and_of_the_sample_stream_fits_the_schema() {
    let validator = validator();
    let sampled = wartezeit::sample::events(7, 5_000).iter().map(to_json_line).collect::<Vec<_>>();
    let lines = support::server::DATA_SET.lines().map(str::to_owned).chain(sampled);
    let mut checked = 0;
    for line in lines {
        let value: Value = serde_json::from_str(&line).unwrap();
        let errors: Vec<String> = validator.iter_errors(&value).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{line}: {errors:?}");
        checked += 1;
    }
    assert!(checked > 48_000, "{checked}");
}

/// One valid event of every type, each with every optional field.
fn bases() -> Vec<Value> {
    let at = "2020-06-22T10:00:00+02:00";
    let o = "kl-buergercenter";
    vec![
        json!({"event_id": "b", "type": "appointment_booked", "at": at, "office": o, "appointment_id": "A-1",
               "service": "pass", "channel": "online", "slot": "2020-06-30T09:00:00+02:00"}),
        json!({"event_id": "r", "type": "appointment_rescheduled", "at": at, "office": o, "appointment_id": "A-1",
               "slot": "2020-07-01T09:00:00+02:00"}),
        json!({"event_id": "c", "type": "appointment_cancelled", "at": at, "office": o, "appointment_id": "A-1"}),
        json!({"event_id": "a", "type": "appointment_attended", "at": at, "office": o, "appointment_id": "A-1"}),
        json!({"event_id": "m", "type": "appointment_missed", "at": at, "office": o, "appointment_id": "A-1"}),
        json!({"event_id": "w", "type": "walk_in_served", "at": at, "office": o, "service": "pass"}),
        json!({"event_id": "p", "type": "capacity_planned", "at": at, "office": o, "effective_from": "2020-06-29",
               "slots_per_weekday": [120, 120, 120, 140, 60, 0, 0]}),
        json!({"event_id": "d", "type": "closure_declared", "at": at, "office": o, "closure_id": "it-2020",
               "first_day": "2020-06-15", "last_day": "2020-06-18", "cause": "system_migration", "reason": "IT"}),
        json!({"event_id": "x", "type": "closure_cancelled", "at": at, "office": o, "closure_id": "it-2020"}),
        json!({"event_id": "h", "type": "holiday_declared", "at": at, "date": "2020-06-11", "name": "Fronleichnam",
               "office": o}),
        json!({"event_id": "y", "type": "policy_changed", "at": at, "office": o, "service": "abholung",
               "effective_from": "2020-06-29", "appointment_required": false}),
        json!({"event_id": "n", "type": "office_described", "at": at, "office": o, "name": "Bürgercenter Kaiserslautern",
               "state": "rp"}),
        json!({"event_id": "s", "type": "service_described", "at": at, "service": "pass", "name": "Reisepass",
               "office": o}),
        json!({"event_id": "o", "type": "calendar_observed", "at": at, "office": o, "service": "pass",
               "source": "scraper", "free_slots": ["2020-06-30T09:00:00+02:00", "2020-07-01T09:00:00+02:00"]}),
    ]
}

/// Strings near the edges of the patterns: instants, dates, identifiers and text.
fn edgy_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "(19[6-9][0-9]|2[0-2][0-9]{2}|0001|9999)-(0[0-9]|1[0-3])-(0[0-9]|[1-3][0-9])",
        "(19[6-9][0-9]|2[0-2][0-9]{2})-(0[1-9]|1[0-3])-(0[1-9]|[1-3][0-9])[Tt ]([01][0-9]|2[0-5]):[0-6][0-9]:[0-6][0-9](\\.[0-9]{0,11})?(Z|z|[+-]([0-2][0-9]):[0-6][0-9]|)",
        "[a-zA-Z0-9_ -][a-z0-9_-]{0,3}",
        "[a-z0-9][a-z0-9_A-Z -]{0,3}",
        "[a-z0-9][a-z0-9_-]{61,65}",
        "[ -~]{0,4}",
        "[ -~]{126,130}",
        "[ -~\t\x7f\u{e4}]{1,3}",
        "[\\x00-\\x20a-zäöü\\x7f-\\x9f]{0,5}",
        Just("online".to_owned()),
        Just("lockdown".to_owned()),
        Just("rp".to_owned()),
        Just("RP".to_owned()),
        Just(String::new()),
    ]
}

/// A replacement value for one field.
fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        edgy_string().prop_map(Value::String),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
        (-2i64..20_000).prop_map(|n| json!(n)),
        (-1.0f64..20_000.0).prop_map(|f| json!(f)),
        (0u16..10_001).prop_map(|n| json!(f64::from(n))),
        prop::collection::vec(prop_oneof![(-1i64..10_002).prop_map(|n| json!(n)), Just(json!(1.5))], 0..9)
            .prop_map(Value::Array),
        Just(json!({})),
    ]
}

/// A base event with one field replaced, removed, or an unknown field added.
fn changed_event() -> impl Strategy<Value = Value> {
    let fields = [
        "event_id",
        "at",
        "type",
        "office",
        "appointment_id",
        "service",
        "channel",
        "slot",
        "effective_from",
        "slots_per_weekday",
        "closure_id",
        "first_day",
        "last_day",
        "cause",
        "reason",
        "date",
        "name",
        "appointment_required",
        "state",
        "unknown",
    ];
    (0..bases().len(), prop::sample::select(fields.to_vec()), prop::option::weighted(0.9, value())).prop_map(
        |(base, field, replacement)| {
            let mut event = bases()[base].clone();
            let object = event.as_object_mut().unwrap();
            match replacement {
                Some(value) => object.insert(field.to_owned(), value),
                None => object.remove(field),
            };
            event
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3_000))]

    #[test]
    fn the_parser_accepts_exactly_the_events_the_schema_admits(event in changed_event()) {
        let admitted = VALIDATOR.is_valid(&event);
        let parsed = parse_event_value(event.clone());
        prop_assert_eq!(admitted, parsed.is_ok(), "{} — parser: {:?}", event, parsed.err());
        // The text path (fast, then field by field) agrees with the value path.
        prop_assert_eq!(parse_event(&event.to_string()).is_ok(), admitted, "{}", event);
    }
}

#[test]
fn the_example_lines_of_the_documented_format_are_events_the_schema_admits() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/events.md")).unwrap();
    let block = doc.split("```json\n").nth(1).and_then(|rest| rest.split("```").next()).expect("an example block");
    let lines: Vec<&str> = block.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(lines.len() >= 5, "{lines:?}");
    for line in lines {
        let event = parse_event(line).unwrap_or_else(|e| panic!("{line}: {e:?}"));
        assert_eq!(to_json_line(&event), line, "examples are written in canonical form");
        assert!(VALIDATOR.is_valid(&serde_json::from_str::<Value>(line).unwrap()), "{line}");
    }
    // Every event type of the parser is in the document's table.
    for type_name in wartezeit::domain::wire::EVENT_TYPES {
        assert!(doc.contains(&format!("| `{type_name}` |")), "docs/events.md lacks {type_name}");
    }
}
