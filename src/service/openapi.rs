//! The OpenAPI document (utoipa) and the response bodies the service owns.
//!
//! The figures' types (`DayRow`, `Summary`, `Attribution`, the press `Statement`, …) derive `utoipa::ToSchema` where
//! they are defined, so the document describes exactly what is serialized; there are no mirror copies to keep in
//! step. The derive is a description only: the core still knows nothing of HTTP.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::press::Statement;
use crate::projection::{Attribution, DayRow, OfficeInfo, Summary};
use crate::service::problem::{ProblemBody, ViolationBody};
use crate::service::routes;

/// The answer to an accepted batch, sent once it is durable.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct AppendBody {
    /// Events appended.
    pub appended: usize,
    /// Events already stored with identical content, not appended again.
    pub duplicates: usize,
    /// Position of the first appended event; null when nothing was appended.
    pub first_position: Option<u64>,
    /// The durable head after the batch.
    pub last_position: u64,
    /// Hex SHA-256 digest of the chain at `last_position`.
    pub digest: String,
}

/// The durable head of the log.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct HeadBody {
    pub position: u64,
    pub digest: String,
}

/// One stored entry with its envelope.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct EntryBody {
    pub position: u64,
    /// When the store took it in (not business time, not in the digest).
    pub recorded_at: DateTime<Utc>,
    pub digest: String,
    /// The event, canonical wire form.
    #[schema(value_type = Object)]
    pub event: serde_json::Value,
}

/// A page of the log.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct EventsPage {
    pub head: HeadBody,
    /// The `from` of the next page (the head + 1 once caught up).
    pub next_from: u64,
    pub entries: Vec<EntryBody>,
}

/// The management page. Its handler lives with the page; this entry documents the route, so that the document
/// lists every route of the router.
#[utoipa::path(get, path = "/", tag = "pages",
    params(
        ("office" = Option<String>, Query, pattern = r"^[a-z0-9][a-z0-9_-]{0,63}$", description = "the office shown; default the only (or first) office"),
        ("as_of" = Option<chrono::NaiveDate>, Query, description = "the day the figures are as of; default today"),
        ("lang" = Option<String>, Query, pattern = "^(de|en)$", description = "de (default) or en"),
        ("plan" = Option<Vec<String>>, Query, explode = true, description = "what-if plans for the \"Maßnahmen\" section, one line each (`NAME: CHANGE; CHANGE …`, as in `/api/v1/whatif`); none: the plans the service was started with, if any")),
    responses(
        (status = 200, description = "the management page", body = String, content_type = "text/html"),
        (status = 400, description = "bad parameter: a page in the chosen language for a browser (Accept: text/html), problem+json otherwise",
            content((ProblemBody = "application/problem+json"), (String = "text/html"))),
        (status = 404, description = "unknown office: a page for a browser, problem+json otherwise",
            content((ProblemBody = "application/problem+json"), (String = "text/html")))))]
#[allow(dead_code)]
fn index_page() {}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "wartezeit", description = "Backlog and wait-time analytics for citizen service centres."),
    paths(
        index_page, routes::healthz, routes::readyz, routes::metrics_text, routes::openapi_json, routes::append_events,
        routes::list_events, routes::series, routes::summary, routes::attribution, routes::press_statement,
        routes::offices, routes::forecast, routes::whatif, routes::capacity_needed, crate::service::charts::chart,
    ),
    components(schemas(
        AppendBody, HeadBody, EntryBody, EventsPage, DayRow, Summary, OfficeInfo, Attribution, Statement, ProblemBody,
        ViolationBody, crate::read::SeriesRow, crate::projection::ObservedDay,
        crate::forecast::Forecast, crate::forecast::ForecastConfig, crate::forecast::inputs::Observed,
        crate::forecast::Reach, crate::forecast::Interval, crate::forecast::WaitAfter, crate::forecast::FanDay,
        crate::forecast::LittlesLaw, crate::forecast::inputs::DroppedDemand,
        crate::forecast::whatif::Comparison, crate::forecast::whatif::Outcome, crate::forecast::whatif::CapacityNeeded,
        crate::forecast::whatif::NeedQuestion, crate::forecast::whatif::Needed, crate::forecast::whatif::Tried,
        crate::forecast::plan::Plan, crate::forecast::plan::Change,
    )),
    modifiers(&BearerAuth),
)]
struct ApiDoc;

/// The OpenAPI document of the service, as served at `/api/v1/openapi.json`.
pub fn document() -> Value {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").into();
    let mut doc = serde_json::to_value(doc).unwrap_or_default();
    state_what_the_derive_cannot(&mut doc);
    doc
}

/// The statuses any route but the probes may answer besides its own, with when.
const COMMON_ANSWERS: [(&str, &str); 4] = [
    ("401", "no token, where one is needed (every route with `serve --require-read-token`)"),
    ("403", "a bearer token that is not one of the service's"),
    ("408", "not answered within the request timeout (30 s)"),
    (
        "503",
        "the projection is still being built, or the service is at its limit of connections or forecasts (Retry-After)",
    ),
];

/// What the derive macros cannot say: the event schema as the parser enforces it, the date pattern on every date
/// parameter, the answers every route may give, and that reads may carry a token (Bearer, or Basic in a browser).
fn state_what_the_derive_cannot(doc: &mut Value) {
    doc["components"]["schemas"]["Event"] = crate::domain::wire::schema::event();
    doc["components"]["securitySchemes"]["basic"] = json!({"type": "http", "scheme": "basic",
        "description": "the token as the password, any user name (for browsers)"});
    let problem = json!({"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}});
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for (path, item) in paths.iter_mut() {
        let probe = path == "/healthz" || path == "/readyz";
        let Some(operations) = item.as_object_mut() else { continue };
        for (method, operation) in operations.iter_mut() {
            for parameter in operation.get_mut("parameters").and_then(Value::as_array_mut).into_iter().flatten() {
                if parameter["schema"]["format"] == "date" {
                    parameter["schema"]["pattern"] = json!(crate::domain::wire::DATE_PATTERN);
                }
            }
            if probe {
                continue;
            }
            let Some(responses) = operation.get_mut("responses").and_then(Value::as_object_mut) else { continue };
            for (status, description) in COMMON_ANSWERS {
                responses.entry(status).or_insert_with(|| {
                    let content = if status == "408" { json!({}) } else { problem.clone() };
                    json!({"description": description, "content": content})
                });
            }
            let writes = method == "post" || path == "/api/v1/events";
            operation["security"] = if writes {
                json!([{"bearer": []}, {"basic": []}])
            } else {
                json!([{}, {"bearer": []}, {"basic": []}])
            };
        }
    }
    let files: Vec<String> = crate::chart::ChartKind::ALL
        .into_iter()
        .flat_map(|kind| crate::chart::Format::ALL.map(|format| format!("{}.{}", kind.as_str(), format.extension())))
        .collect();
    for parameter in doc["paths"]["/charts/{file}"]["get"]["parameters"].as_array_mut().into_iter().flatten() {
        if parameter["name"] == "file" {
            parameter["schema"] = json!({"type": "string", "enum": files});
        }
    }
    let events = &mut doc["paths"]["/api/v1/events"]["post"]["requestBody"]["content"]["application/json"]["schema"];
    *events = json!({"type": "array", "items": {"$ref": "#/components/schemas/Event"}});
}
