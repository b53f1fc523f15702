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
