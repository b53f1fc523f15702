//! Charts for reports: a [`ChartView`] (figures already computed by the projection) in, PNG or SVG bytes out.
//!
//! Four charts, each with a title, a subtitle naming office and period, axis labels with units and a legend:
//! - [`ChartKind::Backlog`] — open requests per day, stacked by service, closures and holidays shaded and named;
//! - [`ChartKind::Wait`] — next-available, third-next-available, realized p50/p90 wait in days, a dashed target
//!   line and the as-of day marked;
//! - [`ChartKind::Flow`] — bookings against served requests (with and without appointment) per ISO week;
//! - [`ChartKind::Attribution`] — lost slots per named closure or holiday, coloured by cause;
//! - [`ChartKind::Forecast`] — the observed wait (third next available) up to the as-of day, continued by the
//!   forecast's fan (p5–p95, p25–p75, p50), the target line and the as-of day; the view carries the forecast
//!   ([`ChartView::forecast`], or [`render_forecast`]).
//!
//! Invariants: rendering is pure (no IO, no clock, no system fonts: the font is embedded, see `font`); a view with
//! nothing to show renders a chart that says so ("Keine Daten im Zeitraum") instead of failing; sizes outside
//! [`MIN_SIZE`]..=[`MAX_SIZE`] are refused before anything is drawn.

mod attribution;
mod backlog;
mod canvas;
mod flow;
mod font;
mod forecast;
mod frame;
mod glyphs;
mod periods;
pub mod sample;
mod text;
mod wait;
mod whatif;

#[cfg(test)]
mod tests;

pub use text::{Lang, UnknownLang};

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use plotters::prelude::{BitMapBackend, DrawingBackend, IntoDrawingArea, SVGBackend};

use crate::chart::canvas::Canvas;

use crate::domain::id::{OfficeId, ServiceId};
use crate::projection::{DayRow, NamedPeriod, PeriodKind, Projection};

/// The smallest chart, width × height in pixels: below it labels no longer fit.
pub const MIN_SIZE: (u32, u32) = (300, 150);
/// The largest chart, width × height in pixels: bounds the memory and time one request may take.
pub const MAX_SIZE: (u32, u32) = (3000, 2000);
/// The wait target drawn when none is configured, in days.
pub const DEFAULT_TARGET_WAIT_DAYS: u32 = 7;

/// Which chart to draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChartKind {
    Backlog,
    Wait,
    Flow,
    Attribution,
    Forecast,
}

impl ChartKind {
    /// Every chart, in the order a report shows them.
    pub const ALL: [ChartKind; 5] =
        [ChartKind::Backlog, ChartKind::Wait, ChartKind::Flow, ChartKind::Attribution, ChartKind::Forecast];

    /// The name in URLs and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            ChartKind::Backlog => "backlog",
            ChartKind::Wait => "wait",
            ChartKind::Flow => "flow",
            ChartKind::Attribution => "attribution",
            ChartKind::Forecast => "forecast",
        }
    }
}

impl fmt::Display for ChartKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ChartKind {
    type Err = ChartError;
    fn from_str(s: &str) -> Result<Self, ChartError> {
        ChartKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| ChartError::UnknownChart(s.to_owned()))
    }
}

/// The file format of a chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Format {
    #[default]
    Png,
    Svg,
}

impl Format {
    /// Both formats.
    pub const ALL: [Format; 2] = [Format::Png, Format::Svg];

    /// The file extension and URL suffix: `png` or `svg`.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Svg => "svg",
        }
    }

    /// The HTTP content type.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Png => "image/png",
            Format::Svg => "image/svg+xml",
        }
    }
}

impl FromStr for Format {
    type Err = ChartError;
    fn from_str(s: &str) -> Result<Self, ChartError> {
        match s {
            "png" => Ok(Format::Png),
            "svg" => Ok(Format::Svg),
            other => Err(ChartError::UnknownFormat(other.to_owned())),
        }
    }
}

/// How to draw: format, size and language. The size is checked on construction, so a value is always drawable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChartOptions {
    format: Format,
    width: u32,
    height: u32,
    lang: Lang,
}

impl ChartOptions {
    /// Options for a `width` × `height` chart; fails outside [`MIN_SIZE`]..=[`MAX_SIZE`].
    pub fn new(format: Format, width: u32, height: u32, lang: Lang) -> Result<Self, ChartError> {
        let fits = |v: u32, lo: u32, hi: u32| (lo..=hi).contains(&v);
        if !fits(width, MIN_SIZE.0, MAX_SIZE.0) || !fits(height, MIN_SIZE.1, MAX_SIZE.1) {
            return Err(ChartError::SizeOutOfBounds { width, height });
        }
        Ok(ChartOptions { format, width, height, lang })
    }

    pub fn format(&self) -> Format {
        self.format
    }
    pub fn width(&self) -> u32 {
        self.width
    }
    pub fn height(&self) -> u32 {
        self.height
    }
    pub fn lang(&self) -> Lang {
        self.lang
    }
}

impl Default for ChartOptions {
    /// A 1200 × 600 German PNG, the size of a report page's width.
    fn default() -> Self {
        ChartOptions { format: Format::Png, width: 1200, height: 600, lang: Lang::De }
    }
}

/// The slots one named closure or holiday took away over the chart's period (docs/events.md `lost_slots`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LostSlots {
    /// The name a reader knows it by: the closure's reason or the holiday's name.
    pub label: String,
    /// Its cause; holidays are [`PeriodKind::Holiday`].
    pub cause: PeriodKind,
    /// Slots the plan in force would have given on its days inside the period.
    pub slots: u64,
}

/// Everything a chart shows: one office's daily rows over a period, its closures and holidays, and the figures of
/// the attribution. Built by the caller from the projection; [`render`] checks that the pieces fit together.
#[derive(Debug, Clone)]
pub struct ChartView {
    /// The office as the subtitle names it.
    pub office: String,
    /// Display names of services (the backlog chart's bands); a service without one is shown by its id.
    pub service_names: BTreeMap<ServiceId, String>,
    /// First day of the period.
    pub from: NaiveDate,
    /// Last day of the period (inclusive).
    pub to: NaiveDate,
    /// The day the figures are as of; the wait chart marks it.
    pub as_of: NaiveDate,
    /// One row per day, in date order, each inside `from..=to`. Days may be missing (they are drawn as gaps).
    pub rows: Vec<DayRow>,
    /// Closures and holidays; those outside the period are ignored.
    pub periods: Vec<NamedPeriod>,
    /// The wait target in days, drawn as a dashed line.
    pub target_wait_days: u32,
    /// Lost slots per named closure or holiday, for the attribution chart.
    pub attribution: Vec<LostSlots>,
    /// The forecast made as of `as_of`, for the forecast chart; `None` draws "no data".
    pub forecast: Option<Box<crate::forecast::Forecast>>,
    /// What the public online calendar showed, per day: `observed_next_available_days` of the office's own
    /// calendar; the wait chart draws it beside the booked waits. Empty when the office is not observed.
    pub observed_next_available: Vec<(NaiveDate, Option<u32>)>,
}

impl ChartView {
    /// The observed headline wait (third next free slot) on the days the office was open, and on the as-of day:
    /// the line the forecast and what-if charts continue.
    pub(crate) fn observed_waits(&self) -> Vec<(NaiveDate, u32)> {
        self.rows
            .iter()
            .filter(|r| r.capacity > 0 || r.date == self.as_of)
            .filter_map(|r| Some((r.date, r.third_next_available_days?)))
            .collect()
    }

    /// A view of `rows` from `from` to `to`, as of `to`, with no periods, no attribution and the default target.
    pub fn new(office: impl Into<String>, from: NaiveDate, to: NaiveDate, rows: Vec<DayRow>) -> Self {
        ChartView {
            office: office.into(),
            service_names: BTreeMap::new(),
            from,
            to,
            as_of: to,
            rows,
            periods: Vec::new(),
            target_wait_days: DEFAULT_TARGET_WAIT_DAYS,
            attribution: Vec::new(),
            forecast: None,
            observed_next_available: Vec::new(),
        }
    }

    /// The view of `office` from `from` to `to` as the projection knows it as of `as_of`: its daily rows and the
    /// closures and holidays in force. The attribution is left empty for the caller to fill.
    pub fn from_projection(
        projection: &Projection,
        office: &OfficeId,
        from: NaiveDate,
        to: NaiveDate,
        as_of: NaiveDate,
    ) -> Self {
        let mut view = ChartView::new(projection.office_name(office), from, to, projection.series(office, from, to));
        view.as_of = as_of;
        view.periods = projection.periods(office, as_of);
        view.service_names =
            projection.service_names(office, view.rows.iter().flat_map(|r| r.backlog_by_service.keys()));
        if projection.observed(office).is_some() {
            let observed = projection.observed_series(office, None, from, to);
            let days = from.iter_days().zip(observed);
            view.observed_next_available = days.map(|(d, o)| (d, o.observed_next_available_days)).collect();
        }
        view
    }

    /// The view of a forecast chart: the observed rows of the [`FORECAST_LOOKBACK_DAYS`] before the forecast's
    /// as-of day and [`FORECAST_AHEAD_DAYS`] of its fan after it (less when the horizon is shorter), its target.
    pub fn for_forecast(projection: &Projection, forecast: crate::forecast::Forecast) -> Self {
        let as_of = forecast.as_of;
        let from = as_of.checked_sub_days(chrono::Days::new(FORECAST_LOOKBACK_DAYS)).unwrap_or(as_of);
        let ahead = FORECAST_AHEAD_DAYS.min(forecast.config.horizon_days as u64);
        let to = as_of.checked_add_days(chrono::Days::new(ahead)).unwrap_or(as_of);
        let name = projection.office_name(&forecast.office);
        let mut view = ChartView::new(name, from, to, projection.series(&forecast.office, from, as_of));
        view.as_of = as_of;
        view.periods = projection.periods(&forecast.office, as_of);
        view.target_wait_days = forecast.config.target_wait_days;
        let services = view.rows.iter().flat_map(|r| r.backlog_by_service.keys());
        view.service_names = projection.service_names(&forecast.office, services);
        view.forecast = Some(Box::new(forecast));
        view
    }

    /// The view of a what-if chart: as [`ChartView::for_forecast`], for the comparison's office, day and target.
    pub fn for_comparison(projection: &Projection, comparison: &crate::forecast::whatif::Comparison) -> Self {
        let (as_of, office) = (comparison.as_of, &comparison.office);
        let from = as_of.checked_sub_days(chrono::Days::new(FORECAST_LOOKBACK_DAYS)).unwrap_or(as_of);
        let ahead = FORECAST_AHEAD_DAYS.min(comparison.config.horizon_days as u64);
        let to = as_of.checked_add_days(chrono::Days::new(ahead)).unwrap_or(as_of);
        let mut view = ChartView::new(projection.office_name(office), from, to, projection.series(office, from, as_of));
        view.as_of = as_of;
        view.periods = projection.periods(office, as_of);
        view.target_wait_days = comparison.config.target_wait_days;
        view
    }

    /// The number of days in the period.
    fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// The index of `date` in the period (0 for `from`).
    fn index(&self, date: NaiveDate) -> i64 {
        (date - self.from).num_days()
    }

    fn check(&self) -> Result<(), ChartError> {
        if self.to < self.from {
            return Err(ChartError::BadView(format!("period: to {} is before from {}", self.to, self.from)));
        }
        if self.days() > 366 * 10 {
            return Err(ChartError::BadView(format!("period: {} days, at most ten years are drawn", self.days())));
        }
        let mut previous: Option<NaiveDate> = None;
        for (i, row) in self.rows.iter().enumerate() {
            if row.date < self.from || row.date > self.to {
                return Err(ChartError::BadView(format!(
                    "rows[{i}]: date {} is outside the period {} to {}",
                    row.date, self.from, self.to
                )));
            }
            if previous.is_some_and(|p| p >= row.date) {
                return Err(ChartError::BadView(format!("rows[{i}]: date {} is not after the row before", row.date)));
            }
            previous = Some(row.date);
        }
        Ok(())
    }
}

/// How many observed days the forecast chart shows before the as-of day.
pub const FORECAST_LOOKBACK_DAYS: u64 = 56;
/// How many forecast days the forecast chart shows after the as-of day.
pub const FORECAST_AHEAD_DAYS: u64 = 112;

/// Draws the forecast chart of `forecast` over `view` (whose rows are the observed days): `view` with its
/// forecast set, rendered as [`ChartKind::Forecast`].
pub fn render_forecast(
    view: &ChartView,
    forecast: &crate::forecast::Forecast,
    opts: &ChartOptions,
) -> Result<Vec<u8>, ChartError> {
    let view = ChartView { forecast: Some(Box::new(forecast.clone())), ..view.clone() };
    render(ChartKind::Forecast, &view, opts)
}

/// Draws the what-if chart of `comparison` over `view` (whose rows are the observed days, as
/// [`ChartView::for_forecast`] takes them): the median wait under the baseline and under each plan.
pub fn render_whatif(
    view: &ChartView,
    comparison: &crate::forecast::whatif::Comparison,
    opts: &ChartOptions,
) -> Result<Vec<u8>, ChartError> {
    paint(Figure::WhatIf(comparison), view, opts)
}

/// Why a chart could not be drawn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChartError {
    #[error("chart {0:?} is unknown, use backlog, wait, flow, attribution or forecast")]
    UnknownChart(String),
    #[error("format {0:?} is unknown, use png or svg")]
    UnknownFormat(String),
    #[error(
        "size {width}x{height} is out of bounds: width must be in {}..={} and height in {}..={}",
        MIN_SIZE.0, MAX_SIZE.0, MIN_SIZE.1, MAX_SIZE.1
    )]
    SizeOutOfBounds { width: u32, height: u32 },
    #[error("view {0}")]
    BadView(String),
    #[error("font: {0}")]
    Font(&'static str),
    #[error("drawing failed: {0}")]
    Draw(String),
    #[error("png encoding failed: {0}")]
    Encode(String),
}

/// The smallest text a chart of `width` × `height` pixels is drawn with (tick labels), in pixels: what a page
/// that shows the chart at another width scales.
pub fn smallest_text_px(width: u32, height: u32) -> f64 {
    canvas::Sizes::for_size(width, height).small
}

/// Draws `kind` from `view` and returns the file's bytes (PNG or SVG, as `opts` asks).
pub fn render(kind: ChartKind, view: &ChartView, opts: &ChartOptions) -> Result<Vec<u8>, ChartError> {
    paint(Figure::Kind(kind), view, opts)
}

/// What a chart shows: one of the report charts, or a what-if comparison.
#[derive(Clone, Copy)]
enum Figure<'a> {
    Kind(ChartKind),
    WhatIf(&'a crate::forecast::whatif::Comparison),
}

/// Draws `figure` on the backend `opts` asks for and returns the file's bytes.
fn paint(figure: Figure<'_>, view: &ChartView, opts: &ChartOptions) -> Result<Vec<u8>, ChartError> {
    view.check()?;
    font::ensure_registered().map_err(ChartError::Font)?;
    let size = (opts.width, opts.height);
    match opts.format {
        Format::Svg => {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
                draw(figure, &Canvas::new(&root, opts.lang, false)?, view)?;
                root.present().map_err(draw_error)?;
            }
            Ok(svg.into_bytes())
        }
        Format::Png => {
            let mut rgb = vec![0u8; opts.width as usize * opts.height as usize * 3];
            {
                let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
                draw(figure, &Canvas::new(&root, opts.lang, true)?, view)?;
                root.present().map_err(draw_error)?;
            }
            encode_png(&rgb, opts.width, opts.height)
        }
    }
}

fn draw<DB: DrawingBackend>(figure: Figure<'_>, canvas: &Canvas<'_, DB>, view: &ChartView) -> Result<(), ChartError> {
    match figure {
        Figure::Kind(ChartKind::Backlog) => backlog::draw(canvas, view),
        Figure::Kind(ChartKind::Wait) => wait::draw(canvas, view),
        Figure::Kind(ChartKind::Flow) => flow::draw(canvas, view),
        Figure::Kind(ChartKind::Attribution) => attribution::draw(canvas, view),
        Figure::Kind(ChartKind::Forecast) => forecast::draw(canvas, view),
        Figure::WhatIf(comparison) => whatif::draw(canvas, view, comparison),
    }
}

/// Turns any plotters error into ours; plotters' errors carry only a description.
fn draw_error<E: fmt::Debug>(e: E) -> ChartError {
    ChartError::Draw(format!("{e:?}"))
}

fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, ChartError> {
    let mut out = Vec::with_capacity(rgb.len() / 8);
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        // Charts are large flat areas: fast compression is within a few percent of the best here, at a
        // fraction of the time.
        encoder.set_compression(png::Compression::Fast);
        let mut writer = encoder.write_header().map_err(|e| ChartError::Encode(e.to_string()))?;
        writer.write_image_data(rgb).map_err(|e| ChartError::Encode(e.to_string()))?;
    }
    Ok(out)
}
