//! `GET /`: the management page. The handler parses the query, gathers the page's data under the projection's read
//! lock (summary, closures and holidays, press statement, and the forecast made without the lock and cached, see
//! [`crate::service::forecast::with_forecast`]) and lets [`crate::page`] write the HTML after the lock is released.
//!
//! Decisions where the issue is silent (also in the README):
//! - Without `office=`, the page shows the log's only office, or with several the first in name order (the form
//!   switches); an office the log does not know is a 404. Bad values are a 400 problem naming the parameter, as in
//!   the API. An empty log renders the page with a note that there are no data yet.
//! - The charts on the page show the year up to the as-of day (the defaults of `/charts`, named in their heading),
//!   as 1200 × 600 PNGs scaled to the width of the screen; a phone gets them drawn 360 × 300.
//! - The table lists the closures and holidays that are not over on the as-of day and begin within a year.
//! - `Cache-Control: no-cache`: the page changes with every append.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State as AxumState};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::NaiveDate;

use crate::domain::id::OfficeId;
use crate::lang::Lang;
use crate::page::{self, Dashboard, Form, Page};
use crate::press::{self, Provenance};
use crate::projection::Projection;
use crate::service::problem::Problem;
use crate::service::routes::Params;
use crate::service::state::State;

/// The management page; a browser (one that accepts `text/html`) is answered an error as a page in its language,
/// other clients as problem+json.
pub async fn index(
    AxumState(state): AxumState<Arc<State>>,
    headers: axum::http::HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    // The language of an error page: the one asked for if it is one, else German as the page.
    let lang = query
        .as_ref()
        .ok()
        .and_then(|Query(pairs)| pairs.iter().find(|(k, _)| k == "lang").and_then(|(_, v)| v.parse::<Lang>().ok()))
        .unwrap_or_default();
    let browser = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.split(',').any(|t| t.trim().starts_with("text/html")));
    match page(state, query).await {
        Ok(response) => response,
        Err(problem) if browser => {
            let body = problem.body();
            let status = StatusCode::from_u16(body.status).unwrap_or(StatusCode::BAD_REQUEST);
            (status, Html(page::render_error(lang, body.status, &body.detail))).into_response()
        }
        Err(problem) => problem.into_response(),
    }
}

async fn page(
    state: Arc<State>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, Problem> {
    let (params, lines) = Params::with_plans(query, &["office", "as_of", "lang", "plan"])?;
    let saved = lines.is_empty();
    let plans = crate::service::routes::plans_of(&state, &lines)?;
    let office = params.office()?;
    let as_of = params.date("as_of")?.unwrap_or_else(|| state.today());
    let lang = params.parse("lang", "a language (de or en)", |s| s.parse::<Lang>().ok())?.unwrap_or_default();
    if !state.is_ready() {
        return Err(Problem::new(StatusCode::SERVICE_UNAVAILABLE, "the projection is still being built"));
    }
    let pick = |p: &Projection| pick_office(p, office.clone());
    let mut page = crate::service::forecast::with_forecast(&state, as_of, pick, |projection, provenance, forecast| {
        gather(projection, provenance, office.clone(), as_of, lang, forecast)
    })
    .await?;
    if let Some(dashboard) = page.dashboard.as_mut()
        && !plans.is_empty()
    {
        let office = OfficeId::parse(&dashboard.office).map_err(crate::service::routes::internal)?;
        let comparison = crate::service::forecast::comparison(&state, &office, as_of, plans).await?;
        dashboard.measures = comparison.map(|comparison| page::Measures { comparison: (*comparison).clone(), saved });
    }
    let mut response = Html(page::render(&page)).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// The office the page shows: the one asked for (404 if the log does not know it), else the first in name order.
fn pick_office(projection: &Projection, asked: Option<OfficeId>) -> Result<Option<OfficeId>, Problem> {
    Ok(crate::read::page_office(projection, asked.as_ref())?)
}

/// The page's data from the projection and the office's forecast: what the lock is held for.
pub fn gather(
    projection: &Projection,
    provenance: Provenance,
    asked: Option<OfficeId>,
    as_of: NaiveDate,
    lang: Lang,
    made: Option<&crate::service::forecast::Made>,
) -> Result<Page, Problem> {
    let forecast = made.map(|m| &*m.forecast);
    let offices = projection.offices().into_iter().map(|o| {
        let label = o.name.unwrap_or_else(|| o.office.to_string());
        (o.office.to_string(), label)
    });
    let office = pick_office(projection, asked)?;
    let form = Form { offices: offices.collect(), office: office.as_ref().map(|o| o.to_string()), as_of };
    let Some(office) = office else {
        return Ok(Page { lang, form, dashboard: None });
    };
    let summary = projection.summary(&office, as_of);
    let position = provenance.position;
    let outlook = forecast.and_then(|f| press::words::outlook(f, lang));
    let statement = press::compose(projection, &office, as_of, lang, provenance, outlook);
    let observed = crate::read::observed_headline(projection, &office, as_of);
    let mut tiles = match &observed {
        // An office known only from its public calendar: its observed figures stand alone.
        Some(seen) if !seen.booked => Vec::new(),
        _ => page::tiles::from_summary(&summary),
    };
    tiles.extend(made.map(|m| {
        let mut tile = page::tiles::from_forecast(&m.forecast);
        // Shown while the forecast of the current log is made in the background: say which log it is from.
        if let Some(page::tiles::Note::Text { de, en }) = &mut tile.note
            && m.position < projection.office_position(&office)
        {
            de.push_str(&format!(" · Prognose vom Datenstand Logposition {}", m.position));
            en.push_str(&format!(" · forecast from log position {}", m.position));
        }
        tile
    }));
    tiles.extend(observed.iter().flat_map(page::tiles::from_observed));
    let dashboard = Dashboard {
        office: office.to_string(),
        name: projection.names().office(&office).map(|o| o.name.clone()),
        as_of,
        position,
        tiles,
        charts: page::charts(),
        periods: page::upcoming(crate::read::upcoming_periods(projection, &office, as_of), as_of),
        chart_period: crate::read::default_chart_period(projection, &office, as_of),
        statement: page::Statement::from_press(&statement),
        measures: None,
    };
    Ok(Page { lang, form, dashboard: Some(dashboard) })
}
