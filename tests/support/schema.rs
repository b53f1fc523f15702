//! A structural check of a JSON value against a schema of an OpenAPI 3.1 document: types, required properties,
//! enums, array items and tuple prefixes, `$ref`, `allOf`/`oneOf`/`anyOf`, and no keys the schema does not name.
//! Formats, patterns and bounds are not checked; a validator crate would, but this is what the tests need: that the
//! document describes the bodies the service sends.

use serde_json::Value;

/// Every way `value` does not fit `schema`, each naming its JSON path; empty when it fits.
pub fn mismatches(doc: &Value, schema: &Value, value: &Value) -> Vec<String> {
    let mut found = Vec::new();
    check(doc, schema, value, "$", true, &mut found);
    found
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference.strip_prefix("#/components/schemas/").expect("a reference to a component schema");
            let target = &doc["components"]["schemas"][name];
            assert!(!target.is_null(), "{reference} is not in the document");
            resolve(doc, target)
        }
        None => schema,
    }
}

fn type_fits(name: &str, value: &Value) -> bool {
    match name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        other => panic!("unknown schema type {other:?}"),
    }
}

/// The property names an object schema declares, through `allOf` parts and references.
fn declared(doc: &Value, schema: &Value, names: &mut Vec<String>) {
    let schema = resolve(doc, schema);
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        names.extend(properties.keys().cloned());
    }
    for part in schema.get("allOf").and_then(Value::as_array).into_iter().flatten() {
        declared(doc, part, names);
    }
}

fn check(doc: &Value, schema: &Value, value: &Value, at: &str, strict_keys: bool, found: &mut Vec<String>) {
    let schema = resolve(doc, schema);
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        for part in parts {
            check(doc, part, value, at, false, found);
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(alternatives) = schema.get(key).and_then(Value::as_array) {
            let fits = alternatives.iter().any(|alternative| mismatches_at(doc, alternative, value, at).is_empty());
            if !fits {
                found.push(format!("{at}: {value} fits none of the {key} alternatives"));
            }
        }
    }
    match schema.get("type") {
        Some(Value::String(name)) if !type_fits(name, value) => {
            found.push(format!("{at}: {value} is not of type {name}"));
            return;
        }
        Some(Value::Array(names)) if !names.iter().any(|n| type_fits(n.as_str().unwrap(), value)) => {
            found.push(format!("{at}: {value} is none of the types {names:?}"));
            return;
        }
        _ => {}
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        found.push(format!("{at}: {value} is not one of {allowed:?}"));
    }
    match value {
        Value::Object(object) => {
            for name in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
                let name = name.as_str().unwrap();
                if !object.contains_key(name) {
                    found.push(format!("{at}: required property {name:?} is missing"));
                }
            }
            let properties = schema.get("properties").and_then(Value::as_object);
            let additional = schema.get("additionalProperties").filter(|a| a.is_object());
            let mut names = Vec::new();
            declared(doc, schema, &mut names);
            for (name, inner) in object {
                let inner_at = format!("{at}.{name}");
                match (properties.and_then(|p| p.get(name)), additional) {
                    (Some(property), _) => check(doc, property, inner, &inner_at, true, found),
                    (None, Some(additional)) => check(doc, additional, inner, &inner_at, true, found),
                    (None, None) => {
                        if strict_keys && !names.is_empty() && !names.contains(name) {
                            found.push(format!("{at}: property {name:?} is sent but not in the schema"));
                        }
                    }
                }
            }
        }
        Value::Array(items) => {
            let prefix = schema.get("prefixItems").and_then(Value::as_array);
            for (i, item) in items.iter().enumerate() {
                let item_at = format!("{at}[{i}]");
                match (prefix.and_then(|p| p.get(i)), schema.get("items")) {
                    (Some(position), _) => check(doc, position, item, &item_at, true, found),
                    (None, Some(Value::Bool(false))) => found.push(format!("{item_at}: past the tuple's items")),
                    (None, Some(items @ Value::Object(_))) => check(doc, items, item, &item_at, true, found),
                    (None, _) => {}
                }
            }
        }
        _ => {}
    }
}

fn mismatches_at(doc: &Value, schema: &Value, value: &Value, at: &str) -> Vec<String> {
    let mut found = Vec::new();
    check(doc, schema, value, at, true, &mut found);
    found
}

#[test]
fn the_check_finds_a_missing_property_a_wrong_type_and_an_extra_key() {
    let doc = serde_json::json!({"components": {"schemas": {"Row": {
        "type": "object", "required": ["a", "b"],
        "properties": {"a": {"type": "integer"}, "b": {"type": ["string", "null"]}, "c": {"type": "array",
            "items": {"$ref": "#/components/schemas/Leaf"}}}},
        "Leaf": {"type": "string", "enum": ["x", "y"]}}}});
    let schema = serde_json::json!({"$ref": "#/components/schemas/Row"});
    assert!(mismatches(&doc, &schema, &serde_json::json!({"a": 1, "b": null, "c": ["x"]})).is_empty());
    let wrong = mismatches(&doc, &schema, &serde_json::json!({"a": "1", "c": ["z"], "d": 0}));
    assert_eq!(wrong.len(), 4, "{wrong:?}");
}
