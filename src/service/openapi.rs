//! The OpenAPI document (utoipa) and the response bodies the service owns.
//!
//! The projection's types stay free of utoipa (the functional core knows nothing of HTTP); their shapes are
//! described here by mirror schemas (`DayRowSchema`, `SummarySchema`, `OfficeSchema`), and the service tests check
//! that every key the API actually sends is a property of its schema.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

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

/// The figures of one office on one day (the row of `wartezeit series`); waits in days.
#[derive(Debug, serde::Serialize, ToSchema)]
#[schema(as = DayRow)]
pub struct DayRowSchema {
    pub date: NaiveDate,
    pub backlog: u32,
    pub backlog_by_service: BTreeMap<String, u32>,
    pub displaced: u32,
    pub bookings: u32,
    pub served_appointments: u32,
    pub served_walk_in: u32,
    pub cancellations: u32,
    pub no_shows: u32,
    pub capacity: u32,
    pub booked: u32,
    pub next_available_days: Option<u32>,
    pub third_next_available_days: Option<u32>,
    pub realized_wait_p50_days: Option<u32>,
    pub realized_wait_p90_days: Option<u32>,
}

/// A figure today and seven days earlier (null where the figure is null).
#[derive(Debug, serde::Serialize, ToSchema)]
#[schema(as = Change)]
pub struct ChangeSchema {
    pub today: Option<u32>,
    pub seven_days_earlier: Option<u32>,
}

/// The headline figures of one office on one day.
#[derive(Debug, serde::Serialize, ToSchema)]
#[schema(as = Summary)]
pub struct SummarySchema {
    pub office: String,
    pub as_of: NaiveDate,
    pub backlog: ChangeSchema,
    pub displaced: ChangeSchema,
    pub next_available_days: ChangeSchema,
    pub third_next_available_days: ChangeSchema,
    pub realized_wait_p50_days_7d: ChangeSchema,
    pub realized_wait_p90_days_7d: ChangeSchema,
    pub today: DayRowSchema,
}

/// An office known to the log.
#[derive(Debug, serde::Serialize, ToSchema)]
#[schema(as = OfficeInfo)]
pub struct OfficeSchema {
    pub office: String,
    pub first_event_date: NaiveDate,
    pub last_event_date: NaiveDate,
    pub events: u64,
}

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
        routes::healthz, routes::readyz, routes::metrics_text, routes::openapi_json, routes::append_events,
        routes::list_events, routes::series, routes::summary, routes::attribution, routes::press_statement,
        routes::offices, routes::forecast,
    ),
    components(schemas(
        AppendBody, HeadBody, EntryBody, EventsPage, DayRowSchema, ChangeSchema, SummarySchema, OfficeSchema, ProblemBody,
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
