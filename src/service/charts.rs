//! `GET /charts/{name}.{png|svg}`: one chart of one office as an image, for the management page, the press office
//! and anyone who links it.
//!
//! The handler parses the query at the edge into a [`ChartRequest`], takes the [`ChartView`] (rows, periods,
//! attribution) under the projection's read lock, releases the lock, and renders on the blocking pool: drawing a
//! year at 1200 × 600 takes tens of milliseconds, which must neither stall an async worker nor keep a writer from
//! folding in new events.
//!
//! Decisions where the issue is silent (also in the README):
//! - Defaults: `as_of` today (the service's evaluation day), `to` = `as_of`, `from` = `to` − 364 days (a year of
//!   days, the as-of day included) or the office's first event day, whichever is later; 1200 × 600, `lang=de`;
//!   the office as for `/api/v1/summary` (may be left out when the log has one). Sizes are bounded by [`chart::MIN_SIZE`] and [`chart::MAX_SIZE`], the bounds of
//!   `wartezeit chart`; outside them the answer is a 400 naming `width` or `height`.
//! - Caching: `Cache-Control: no-cache` with a strong `ETag` made of the log position and a digest of the resolved
//!   request (office, period, as-of day, language, size, format). Every append changes the figures, so a cache
//!   must ask each time; but asking is cheap, since a matching `If-None-Match` answers 304 before anything is
//!   drawn.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State as AxumState};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Days, NaiveDate};
use sha2::{Digest as _, Sha256};

use crate::chart::{self, ChartKind, ChartOptions, Format, Lang};
use crate::domain::id::OfficeId;
use crate::domain::time::{MAX_CHART_DAYS, PeriodError, period_days};
use crate::projection::Projection;
use crate::read;
use crate::service::forecast::with_forecast;
use crate::service::problem::Problem;
use crate::service::routes::{Params, internal, resolve_office};
use crate::service::state::State;

/// The default chart size: a report page's width.
pub const DEFAULT_SIZE: (u32, u32) = (1200, 600);

/// The query parameters the route takes.
const PARAMETERS: [&str; 7] = ["office", "from", "to", "as_of", "lang", "width", "height"];

/// A chart request parsed at the edge: what to draw, for which office and period, and how.
#[derive(Debug, Clone)]
pub struct ChartRequest {
    pub kind: ChartKind,
    /// `None`: the log's only office.
    pub office: Option<OfficeId>,
    pub from: NaiveDate,
    /// Whether `from` was asked for; a default one does not reach back before the office's first event.
    pub from_given: bool,
    pub to: NaiveDate,
    pub as_of: NaiveDate,
    pub options: ChartOptions,
}

/// Splits `backlog.png` into its chart and format; 404 for an unknown name or extension.
fn parse_file(file: &str) -> Result<(ChartKind, Format), Problem> {
    let not_found = |what: String| Problem::new(StatusCode::NOT_FOUND, what);
    let Some((name, extension)) = file.rsplit_once('.') else {
        return Err(not_found(format!("chart {file:?} has no extension; use NAME.png or NAME.svg")));
    };
    let kind = name.parse::<ChartKind>().map_err(|e| not_found(e.to_string()))?;
    let format = extension.parse::<Format>().map_err(|e| not_found(e.to_string()))?;
    Ok((kind, format))
}

/// A size parameter in `lo..=hi`, or its default.
fn size(params: &Params, name: &str, default: u32, (lo, hi): (u32, u32)) -> Result<u32, Problem> {
    match params.number(name)? {
        None => Ok(default),
        Some(v) if (u64::from(lo)..=u64::from(hi)).contains(&v) => Ok(v as u32),
        Some(v) => Err(Problem::bad_parameter(name, format!("{name}={v} is not in {lo}..={hi} (pixels)"))),
    }
}

impl ChartRequest {
    /// Parses the file name and the query; `today` is the service's evaluation day, the default `as_of`.
    pub fn parse(
        file: &str,
        query: Result<Query<Vec<(String, String)>>, QueryRejection>,
        today: NaiveDate,
    ) -> Result<ChartRequest, Problem> {
        let (kind, format) = parse_file(file)?;
        let params = Params::new(query, &PARAMETERS)?;
        let office = params.office()?;
        let as_of = params.date("as_of")?.unwrap_or(today);
        let to = params.date("to")?.unwrap_or(as_of);
        let from_given = params.date("from")?;
        let from =
            from_given.unwrap_or_else(|| to.checked_sub_days(Days::new(read::DEFAULT_CHART_DAYS - 1)).unwrap_or(to));
        period_days(from, to, MAX_CHART_DAYS).map_err(|e| match e {
            PeriodError::Reversed { .. } => Problem::bad_parameter("to", e.to_string()),
            PeriodError::TooLong { .. } => Problem::bad_parameter("from", e.to_string()),
        })?;
        let lang = params.parse("lang", "a language (de or en)", |s| s.parse::<Lang>().ok())?.unwrap_or_default();
        let width = size(&params, "width", DEFAULT_SIZE.0, (chart::MIN_SIZE.0, chart::MAX_SIZE.0))?;
        let height = size(&params, "height", DEFAULT_SIZE.1, (chart::MIN_SIZE.1, chart::MAX_SIZE.1))?;
        let options = ChartOptions::new(format, width, height, lang).map_err(internal)?;
        Ok(ChartRequest { kind, office, from, from_given: from_given.is_some(), to, as_of, options })
    }

    /// The entity tag of this chart drawn at log `position`: the same tag means the same bytes.
    fn etag(&self, office: &OfficeId, position: u64) -> String {
        let o = &self.options;
        let resolved = format!(
            "{}|{office}|{}|{}|{}|{}|{}x{}|{}|{}",
            self.kind,
            self.from,
            self.to,
            self.as_of,
            o.lang(),
            o.width(),
            o.height(),
            o.format().extension(),
            env!("CARGO_PKG_VERSION"),
        );
        let digest = Sha256::digest(resolved.as_bytes());
        format!("\"{position}-{}\"", hex::encode(&digest[..8]))
    }
}

/// Whether `If-None-Match` names `etag` (or is `*`).
fn matches(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*")
}

/// One chart as PNG or SVG.
#[utoipa::path(get, path = "/charts/{file}", tag = "charts", params(
    ("file" = String, Path, description = "backlog, wait, flow, attribution or forecast, then .png or .svg"),
    ("office" = Option<String>, Query, pattern = r"^[a-z0-9][a-z0-9_-]{0,63}$", description = "may be left out when the log has one office"),
    ("from" = Option<NaiveDate>, Query, description = "first day; default to − 364 days, but not before the office's first event"),
    ("to" = Option<NaiveDate>, Query, description = "last day, inclusive; default as_of"),
    ("as_of" = Option<NaiveDate>, Query, description = "the day marked on the wait chart; default today"),
    ("lang" = Option<String>, Query, pattern = "^(de|en)$", description = "de (default) or en"),
    ("width" = Option<u32>, Query, minimum = 300, maximum = 3000, description = "pixels, 300..=3000, default 1200"),
    ("height" = Option<u32>, Query, minimum = 150, maximum = 2000, description = "pixels, 150..=2000, default 600")),
    responses(
        (status = 200, description = "the chart", content((Vec<u8> = "image/png"), (String = "image/svg+xml"))),
        (status = 304, description = "unchanged since the ETag given in If-None-Match"),
        (status = 400, description = "bad parameter", body = crate::service::problem::ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "unknown chart, format or office", body = crate::service::problem::ProblemBody, content_type = "application/problem+json")))]
pub async fn chart(
    AxumState(state): AxumState<Arc<State>>,
    Path(file): Path<String>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, Problem> {
    let mut request = ChartRequest::parse(&file, query, state.today())?;
    if !state.is_ready() {
        return Err(Problem::new(StatusCode::SERVICE_UNAVAILABLE, "the projection is still being built"));
    }
    // The read lock is held only while the figures are copied out; drawing happens after it is released.
    let (view, etag) = if request.kind == ChartKind::Forecast {
        // The forecast is made without the lock (and cached) by `with_forecast`; its chart shows the weeks around
        // the as-of day whatever the period asked for.
        let asked = request.office.clone();
        let pick = |p: &Projection| resolve_office(p, asked.clone()).map(Some);
        let request = &request;
        let resolved = with_forecast(&state, request.as_of, pick, |projection, _, made| {
            let office = resolve_office(projection, request.office.clone())?;
            // A forecast made at an earlier position (shown while the current one is made) is another chart.
            let made_at = made.map_or(0, |m| m.position);
            let etag = request.etag(&office, projection.position()).replacen('"', &format!("\"{made_at}-"), 1);
            let forecast = made.map(|m| &*m.forecast);
            let view = read::chart_view(projection, &office, request.from, request.to, request.as_of, forecast);
            Ok((view, etag))
        })
        .await?;
        if matches(&headers, &resolved.1) {
            return Ok(not_modified(&resolved.1));
        }
        resolved
    } else {
        let current = state.read();
        let projection = &current.projection;
        let office = resolve_office(projection, request.office.clone())?;
        if !request.from_given {
            request.from = read::default_chart_period(projection, &office, request.to).0;
        }
        let etag = request.etag(&office, projection.position());
        if matches(&headers, &etag) {
            return Ok(not_modified(&etag));
        }
        (read::chart_view(projection, &office, request.from, request.to, request.as_of, None), etag)
    };
    let (kind, options) = (request.kind, request.options);
    let bytes = tokio::task::spawn_blocking(move || chart::render(kind, &view, &options))
        .await
        .map_err(internal)?
        .map_err(internal)?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(options.format().content_type()));
    cache_headers(headers, &etag);
    Ok(response)
}

fn not_modified(etag: &str) -> Response {
    let mut response = StatusCode::NOT_MODIFIED.into_response();
    cache_headers(response.headers_mut(), etag);
    response
}

fn cache_headers(headers: &mut HeaderMap, etag: &str) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(value) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(file: &str, query: &[(&str, &str)]) -> Result<ChartRequest, Problem> {
        let pairs = query.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        ChartRequest::parse(file, Ok(Query(pairs)), "2020-06-24".parse().unwrap())
    }

    fn parameter(result: Result<ChartRequest, Problem>) -> (u16, Option<String>) {
        let problem = result.unwrap_err();
        (problem.body().status, problem.body().parameter.clone())
    }

    #[test]
    fn defaults_are_a_year_up_to_today_in_german_at_report_size() {
        let r = parse("wait.svg", &[]).unwrap();
        assert_eq!((r.kind, r.options.format()), (ChartKind::Wait, Format::Svg));
        assert_eq!(
            (r.from.to_string(), r.to.to_string(), r.as_of.to_string()),
            ("2019-06-26".into(), "2020-06-24".into(), "2020-06-24".into())
        );
        assert_eq!((r.options.width(), r.options.height(), r.options.lang()), (1200, 600, Lang::De));
        let r =
            parse("flow.png", &[("as_of", "2020-03-01"), ("lang", "en"), ("width", "300"), ("height", "150")]).unwrap();
        assert_eq!((r.from.to_string(), r.to.to_string()), ("2019-03-03".into(), "2020-03-01".into()));
        assert_eq!((r.options.width(), r.options.height(), r.options.lang()), (300, 150, Lang::En));
    }

    #[test]
    fn unknown_names_and_extensions_are_not_found_and_bad_values_name_their_parameter() {
        for file in ["pie.png", "wait.gif", "wait", "wait.png.svg"] {
            assert_eq!(parameter(parse(file, &[])), (404, None), "{file}");
        }
        let bad = [
            ("width", "299", "width"),
            ("width", "3001", "width"),
            ("height", "149", "height"),
            ("height", "2001", "height"),
            ("height", "-5", "height"),
            ("lang", "fr", "lang"),
            ("from", "2020-13-01", "from"),
            ("office", "Kein Amt", "office"),
            ("colour", "red", "colour"),
        ];
        for (name, value, at_fault) in bad {
            assert_eq!(parameter(parse("wait.png", &[(name, value)])), (400, Some(at_fault.into())), "{name}={value}");
        }
        assert_eq!(parameter(parse("wait.png", &[("from", "1990-01-01")])), (400, Some("from".into())));
        let backwards = parse("wait.png", &[("from", "2020-01-01"), ("to", "2019-12-31")]);
        assert_eq!(parameter(backwards), (400, Some("to".into())));
    }

    #[test]
    fn the_etag_changes_with_the_position_and_every_resolved_parameter() {
        let office = OfficeId::parse("kl-buergercenter").unwrap();
        let a = parse("wait.png", &[]).unwrap();
        let tags = [
            a.etag(&office, 10),
            a.etag(&office, 11),
            a.etag(&OfficeId::parse("other").unwrap(), 10),
            parse("wait.svg", &[]).unwrap().etag(&office, 10),
            parse("wait.png", &[("lang", "en")]).unwrap().etag(&office, 10),
            parse("wait.png", &[("width", "600")]).unwrap().etag(&office, 10),
            parse("wait.png", &[("as_of", "2020-06-23")]).unwrap().etag(&office, 10),
            parse("backlog.png", &[]).unwrap().etag(&office, 10),
        ];
        let distinct: std::collections::HashSet<_> = tags.iter().collect();
        assert_eq!(distinct.len(), tags.len(), "{tags:?}");
        assert_eq!(a.etag(&office, 10), parse("wait.png", &[("to", "2020-06-24")]).unwrap().etag(&office, 10));
        let mut headers = HeaderMap::new();
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_str(&format!("\"x\", {}", tags[0])).unwrap());
        assert!(matches(&headers, &tags[0]) && !matches(&headers, &tags[1]));
    }
}
