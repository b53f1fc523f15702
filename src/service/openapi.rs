//! The OpenAPI document (utoipa) and the response bodies the service owns.
//!
//! The figures' types (`DayRow`, `Summary`, `Attribution`, the press `Statement`, …) derive `utoipa::ToSchema` where
//! they are defined, so the document describes exactly what is serialized; there are no mirror copies to keep in
//! step. The derive is a description only: the core still knows nothing of HTTP.

use chrono::{DateTime, Utc};
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
        ("office" = Option<String>, Query, description = "the office shown; default the only (or first) office"),
        ("as_of" = Option<chrono::NaiveDate>, Query, description = "the day the figures are as of; default today"),
        ("lang" = Option<String>, Query, description = "de (default) or en")),
    responses(
        (status = 200, description = "the management page", body = String, content_type = "text/html"),
        (status = 400, description = "bad parameter", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "unknown office", body = ProblemBody, content_type = "application/problem+json")))]
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
        routes::offices, routes::forecast, crate::service::charts::chart,
    ),
    components(schemas(
        AppendBody, HeadBody, EntryBody, EventsPage, DayRow, Summary, OfficeInfo, Attribution, Statement, ProblemBody,
        ViolationBody,
        crate::forecast::Forecast, crate::forecast::ForecastConfig, crate::forecast::inputs::Observed,
        crate::forecast::Reach, crate::forecast::Interval, crate::forecast::WaitAfter, crate::forecast::FanDay,
        crate::forecast::LittlesLaw, crate::forecast::inputs::DroppedDemand,
    )),
    modifiers(&BearerAuth),
)]
struct ApiDoc;

/// The OpenAPI document of the service.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").into();
    doc
}
