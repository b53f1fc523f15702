//! The Grafana dashboards of `dashboards/grafana/`: every PromQL expression in them, for the static checks and
//! for the end-to-end test that runs each one against a real Prometheus.
#![allow(dead_code)] // Shared by several test crates; each uses a part.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The fixed datasource uid the dashboards and `dashboards/provisioning/datasources.yaml` agree on.
pub const DATASOURCE_UID: &str = "wartezeit-prometheus";

/// Every dashboard file, parsed, with its path.
pub fn dashboards() -> Vec<(PathBuf, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("dashboards/grafana");
    let mut out: Vec<(PathBuf, Value)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: not JSON: {e}", p.display()));
            (p, json)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(!out.is_empty(), "no dashboard in {}", dir.display());
    out
}

/// Every PromQL expression of a dashboard with where it stands: panels' (and rows' nested panels') `targets[].expr`
/// and the annotations' `expr`.
pub fn expressions(dashboard: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    fn walk(panels: &Value, out: &mut Vec<(String, String)>) {
        for panel in panels.as_array().into_iter().flatten() {
            let title = panel["title"].as_str().unwrap_or("?");
            for target in panel["targets"].as_array().into_iter().flatten() {
                if let Some(expr) = target["expr"].as_str() {
                    out.push((format!("panel {title:?} target {}", target["refId"]), expr.to_owned()));
                }
            }
            walk(&panel["panels"], out);
        }
    }
    walk(&dashboard["panels"], &mut out);
    for annotation in dashboard["annotations"]["list"].as_array().into_iter().flatten() {
        if let Some(expr) = annotation["expr"].as_str() {
            out.push((format!("annotation {}", annotation["name"]), expr.to_owned()));
        }
    }
    out
}

/// Every `datasource` object anywhere in the dashboard.
pub fn datasources(value: &Value, out: &mut Vec<Value>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if key == "datasource" {
                    out.push(v.clone());
                }
                datasources(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| datasources(v, out)),
        _ => {}
    }
}
