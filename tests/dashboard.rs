//! The Grafana dashboard and its provisioning, checked without Grafana: one fixed datasource uid everywhere (so that
//! dropping the folder into Grafana just works), no `__inputs`, templating by office, and a panel for every
//! business metric `/metrics` exposes. That each expression returns data is the end-to-end test's job
//! (`tests/e2e.rs`, feature `e2e`).

mod support {
    pub mod dashboard;
}

use support::dashboard::{DATASOURCE_UID, dashboards, datasources, expressions};
use wartezeit::exposition::FAMILIES;

#[test]
fn every_business_metric_has_a_panel() {
    for (path, dashboard) in dashboards() {
        let exprs: Vec<String> = expressions(&dashboard).into_iter().map(|(_, e)| e).collect();
        for family in FAMILIES {
            let name = family.sample_name();
            let used = exprs.iter().any(|e| {
                e.match_indices(&name).any(|(i, _)| {
                    let after = e[i + name.len()..].chars().next();
                    !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                })
            });
            assert!(used, "{}: no panel shows {name}", path.display());
        }
    }
}

#[test]
fn every_expression_is_filtered_by_the_office_variable() {
    for (path, dashboard) in dashboards() {
        for (place, expr) in expressions(&dashboard) {
            assert!(expr.contains("office=\"$office\""), "{}: {place}: {expr}", path.display());
        }
        let variables = dashboard["templating"]["list"].as_array().expect("templating.list");
        let office = variables.iter().find(|v| v["name"] == "office").expect("an office variable");
        let query = office["query"].as_str().expect("a string query");
        assert!(query.starts_with("label_values(wartezeit_") && query.ends_with(", office)"), "{query}");
    }
}

#[test]
fn one_fixed_datasource_and_no_inputs() {
    let provisioning = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("dashboards/provisioning/datasources.yaml"),
    )
    .expect("datasources.yaml");
    assert!(provisioning.contains(&format!("uid: {DATASOURCE_UID}\n")), "{provisioning}");
    for (path, dashboard) in dashboards() {
        assert!(dashboard.get("__inputs").is_none(), "{}: __inputs", path.display());
        assert!(!dashboard.to_string().contains("${DS_"), "{}: an input placeholder", path.display());
        let mut found = Vec::new();
        datasources(&dashboard, &mut found);
        assert!(!found.is_empty());
        for ds in found {
            let grafana_builtin = ds["uid"] == "-- Grafana --";
            assert!(grafana_builtin || ds["uid"] == DATASOURCE_UID, "{}: datasource {ds}", path.display());
        }
    }
}

/// The dashboard model as Grafana's published dashboard schema states it (grafana-foundation-sdk's
/// `dashboard.jsonschema.json`: which keys an object may have and which it must), checked here in this project's
/// words; the schema file itself cannot be vendored into this repository. Grafana rejects or silently drops what
/// breaks these (a variable whose `current` lacks `text` or `value` is what issue #15 found).
mod model {
    use serde_json::Value;

    pub const DASHBOARD: &[&str] = &[
        "id",
        "uid",
        "title",
        "description",
        "revision",
        "gnetId",
        "tags",
        "timezone",
        "editable",
        "graphTooltip",
        "time",
        "timepicker",
        "fiscalYearStartMonth",
        "liveNow",
        "weekStart",
        "refresh",
        "schemaVersion",
        "version",
        "panels",
        "templating",
        "annotations",
        "links",
        "snapshot",
    ];
    pub const DASHBOARD_REQUIRED: &[&str] = &["schemaVersion", "templating", "annotations"];
    pub const VARIABLE: &[&str] = &[
        "type",
        "name",
        "label",
        "hide",
        "skipUrlSync",
        "description",
        "query",
        "datasource",
        "current",
        "multi",
        "options",
        "refresh",
        "sort",
        "includeAll",
        "allValue",
        "regex",
    ];
    pub const ANNOTATION_REQUIRED: &[&str] = &["name", "datasource", "enable", "iconColor"];
    pub const PANEL: &[&str] = &[
        "type",
        "id",
        "pluginVersion",
        "tags",
        "targets",
        "title",
        "description",
        "transparent",
        "datasource",
        "gridPos",
        "links",
        "repeat",
        "repeatDirection",
        "maxPerRow",
        "maxDataPoints",
        "transformations",
        "interval",
        "timeFrom",
        "timeShift",
        "hideTimeOverride",
        "libraryPanel",
        "options",
        "fieldConfig",
    ];

    /// The keys of `object` outside `allowed`, and the keys of `required` it lacks, as messages.
    pub fn keys(object: &Value, allowed: &[&str], required: &[&str], what: &str) -> Vec<String> {
        let Some(map) = object.as_object() else { return vec![format!("{what}: not an object")] };
        let unknown = map.keys().filter(|k| !allowed.contains(&k.as_str())).map(|k| format!("{what}: unknown key {k}"));
        let missing = required.iter().filter(|k| !map.contains_key(**k)).map(|k| format!("{what}: no {k}"));
        unknown.chain(missing).collect()
    }

    /// A variable option's `text` and `value`: a string or a list of strings.
    pub fn text_or_list(v: &Value) -> bool {
        v.is_string() || v.as_array().is_some_and(|a| a.iter().all(Value::is_string))
    }
}

#[test]
fn the_dashboard_keeps_to_grafanas_dashboard_model() {
    for (path, d) in dashboards() {
        let mut problems = model::keys(&d, model::DASHBOARD, model::DASHBOARD_REQUIRED, "dashboard");
        if !d["schemaVersion"].is_u64() {
            problems.push("schemaVersion: not an integer".into());
        }
        problems.extend(model::keys(&d["time"], &["from", "to"], &["from", "to"], "time"));
        problems.extend(model::keys(&d["templating"], &["list"], &[], "templating"));
        for (i, v) in d["templating"]["list"].as_array().into_iter().flatten().enumerate() {
            let what = format!("templating.list[{i}]");
            problems.extend(model::keys(v, model::VARIABLE, &["type", "name"], &what));
            if let Some(current) = v.get("current") {
                problems.extend(model::keys(
                    current,
                    &["selected", "text", "value"],
                    &["text", "value"],
                    &format!("{what}.current"),
                ));
                if !(model::text_or_list(&current["text"]) && model::text_or_list(&current["value"])) {
                    problems.push(format!("{what}.current: text and value must be strings or lists of strings"));
                }
            }
        }
        problems.extend(model::keys(&d["annotations"], &["list"], &[], "annotations"));
        for (i, a) in d["annotations"]["list"].as_array().into_iter().flatten().enumerate() {
            let map = a.as_object().map(|m| m.keys().map(String::as_str).collect::<Vec<_>>()).unwrap_or_default();
            problems.extend(model::keys(a, &map, model::ANNOTATION_REQUIRED, &format!("annotations.list[{i}]")));
        }
        for panel in d["panels"].as_array().into_iter().flatten() {
            let what = format!("panel {}", panel["title"]);
            problems.extend(model::keys(panel, model::PANEL, &["type"], &what));
            if panel["type"].as_str().is_none_or(str::is_empty) {
                problems.push(format!("{what}: type must be a non-empty string"));
            }
            problems.extend(model::keys(
                &panel["gridPos"],
                &["x", "y", "w", "h", "static"],
                &["x", "y", "w", "h"],
                &format!("{what}.gridPos"),
            ));
            if let Some(ds) = panel.get("datasource") {
                problems.extend(model::keys(ds, &["type", "uid"], &[], &format!("{what}.datasource")));
            }
            if let Some(fc) = panel.get("fieldConfig") {
                problems.extend(model::keys(
                    fc,
                    &["defaults", "overrides"],
                    &["defaults", "overrides"],
                    &format!("{what}.fieldConfig"),
                ));
            }
        }
        assert!(problems.is_empty(), "{}:\n{}", path.display(), problems.join("\n"));
    }
}

#[test]
fn the_model_check_finds_what_grafana_would_refuse() {
    let (_, mut d) = dashboards().remove(0);
    d["templating"]["list"][0]["current"] = serde_json::json!({"selected": false});
    d["panels"][0]["gridPos"] = serde_json::json!({"x": 0, "y": 0});
    d["colour"] = serde_json::json!("red");
    let current = &d["templating"]["list"][0]["current"];
    assert!(!model::keys(current, &["selected", "text", "value"], &["text", "value"], "current").is_empty());
    assert_eq!(model::keys(&d["panels"][0]["gridPos"], &["x", "y", "w", "h"], &["x", "y", "w", "h"], "g").len(), 2);
    assert_eq!(model::keys(&d, model::DASHBOARD, model::DASHBOARD_REQUIRED, "d"), vec!["d: unknown key colour"]);
}
