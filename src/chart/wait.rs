//! The wait chart: next-available and third-next-available appointment, realized wait (median and 90th
//! percentile) in days, the target as a dashed line, the as-of day marked, closures and holidays shaded.
//!
//! Days without a value (no free slot within the horizon, or no booking for the realized figures) are bridged
//! when at most [`MAX_BRIDGED_DAYS`] of them lie between two values, a weekend with a holiday: otherwise the
//! realized figures, which have no value on any Saturday or Sunday, would fall apart into weekly dashes. A longer
//! stretch (a closure) breaks the line: drawing across it would invent a wait nobody had.

use plotters::prelude::DrawingBackend;
use plotters::style::text_anchor::{HPos, VPos};
use plotters::style::{Color, RGBColor, WHITE};

use crate::chart::canvas::{Canvas, INK, LegendItem, Mark, PALETTE};
use crate::chart::frame::{self, Axes, Frame};
use crate::chart::text::{self, Lang};
use crate::chart::{ChartError, ChartView, periods};
use crate::projection::DayRow;

const TARGET: RGBColor = RGBColor(200, 30, 45);
const AS_OF: RGBColor = RGBColor(60, 64, 72);

type Pick = fn(&DayRow) -> Option<u32>;

/// The most consecutive days without a value that a line is drawn across.
pub(crate) const MAX_BRIDGED_DAYS: i64 = 3;

/// The four series: label, colour, dashed or not, and the figure.
fn series(lang: Lang) -> [(&'static str, RGBColor, Pick); 4] {
    [
        (text::NEXT_AVAILABLE.pick(lang), PALETTE[0], |r| r.next_available_days),
        (text::THIRD_NEXT.pick(lang), PALETTE[1], |r| r.third_next_available_days),
        (text::REALIZED_P50.pick(lang), PALETTE[2], |r| r.realized_wait_p50_days),
        (text::REALIZED_P90.pick(lang), PALETTE[6], |r| r.realized_wait_p90_days),
    ]
}

/// The colour of the online calendar's observed wait.
const OBSERVED: RGBColor = RGBColor(0, 150, 136);

/// The period shows nothing: no day has any of the four figures, nor an observed wait.
pub(crate) fn is_empty(view: &ChartView) -> bool {
    view.rows.iter().all(|r| {
        r.next_available_days.is_none()
            && r.third_next_available_days.is_none()
            && r.realized_wait_p50_days.is_none()
            && r.realized_wait_p90_days.is_none()
    }) && view.observed_next_available.iter().all(|(_, v)| v.is_none())
}

pub(crate) fn draw<DB: DrawingBackend>(canvas: &Canvas<'_, DB>, view: &ChartView) -> Result<(), ChartError> {
    let lang = canvas.lang;
    let top = canvas.header(text::WAIT_TITLE.pick(lang), view)?;
    if is_empty(view) {
        return canvas.no_data(top);
    }
    let series = series(lang);
    let target_label = format!("{} ({} {})", text::TARGET.pick(lang), view.target_wait_days, text::DAYS.pick(lang));
    let mut legend: Vec<LegendItem> = series
        .iter()
        .map(|(label, color, _)| LegendItem { label: (*label).to_owned(), mark: Mark::Line(*color, false) })
        .collect();
    let observed = !view.observed_next_available.is_empty();
    if observed {
        legend.push(LegendItem { label: text::OBSERVED_NEXT.pick(lang).to_owned(), mark: Mark::Line(OBSERVED, false) });
    }
    legend.push(LegendItem { label: target_label, mark: Mark::Line(TARGET, true) });
    legend.extend(periods::legend(view, lang));
    let (rows, legend_h) = canvas.legend_rows(&legend)?;
    let legend_top = canvas.height - canvas.sizes.pad / 2 - legend_h;

    let booked_max = view.rows.iter().flat_map(|r| series.iter().filter_map(|(_, _, pick)| pick(r))).max();
    let observed_max = view.observed_next_available.iter().filter_map(|(_, v)| *v).max();
    let data_max = booked_max.max(observed_max).unwrap_or(0);
    let axes = Axes {
        y_title: text::WAIT_AXIS.pick(lang),
        x_title: text::DATE_AXIS.pick(lang),
        x: (0.0, view.days() as f64),
        y_max: f64::from(data_max.max(view.target_wait_days)) * 1.1,
    };
    let frame = frame::layout(canvas, &axes, top, legend_top)?;
    periods::draw(canvas, &frame, view, false)?;

    let target_y = frame.py(f64::from(view.target_wait_days));
    let dash = (canvas.sizes.body * 0.6) as i32;
    canvas.dashed((frame.left, target_y), (frame.right, target_y), dash, TARGET, canvas.sizes.line)?;

    // The next available appointment last, on top, and the third next wider beneath it: where the two are equal
    // (as in June 2020) both stay visible, a thin line inside a broad one.
    for (i, (_, color, pick)) in series.iter().enumerate().rev() {
        let width = if i == 1 { canvas.sizes.line + 4 } else { canvas.sizes.line };
        let values = view.rows.iter().map(|r| (r.date, pick(r)));
        for segment in segments(view, &frame, values) {
            canvas.line(segment, *color, width)?;
        }
    }
    if observed {
        for segment in segments(view, &frame, view.observed_next_available.iter().copied()) {
            canvas.line(segment, OBSERVED, canvas.sizes.line)?;
        }
    }
    mark_as_of(canvas, &frame, view)?;
    frame::x_ticks(canvas, &frame, frame::date_candidates(view, lang))?;
    canvas.legend(&legend, &rows, legend_top)
}

/// The pixel polylines of one series: days with a value, split where more than [`MAX_BRIDGED_DAYS`] lie
/// between two of them; a lone day becomes a short flat stroke
/// across its own width so that it is still seen.
fn segments(
    view: &ChartView,
    frame: &Frame,
    values: impl Iterator<Item = (chrono::NaiveDate, Option<u32>)>,
) -> Vec<Vec<(i32, i32)>> {
    let mut out: Vec<Vec<(i32, i32)>> = Vec::new();
    let mut current: Vec<(f64, u32)> = Vec::new();
    let mut flush = |current: &mut Vec<(f64, u32)>| {
        let points: Vec<(i32, i32)> = match current.as_slice() {
            [] => return,
            [(x, v)] => vec![(frame.px(x - 0.5), frame.py(*v as f64)), (frame.px(x + 0.5), frame.py(*v as f64))],
            many => many.iter().map(|(x, v)| (frame.px(*x), frame.py(*v as f64))).collect(),
        };
        out.push(points);
        current.clear();
    };
    let mut previous: Option<chrono::NaiveDate> = None;
    for (date, value) in values {
        let Some(v) = value else { continue };
        if previous.is_some_and(|p| (date - p).num_days() > MAX_BRIDGED_DAYS + 1) {
            flush(&mut current);
        }
        current.push((view.index(date) as f64 + 0.5, v));
        previous = Some(date);
    }
    flush(&mut current);
    out
}

/// A vertical line through the as-of day with "Stand 24.06.2020" beside it, when that day is in the period.
pub(crate) fn mark_as_of<DB: DrawingBackend>(
    canvas: &Canvas<'_, DB>,
    frame: &Frame,
    view: &ChartView,
) -> Result<(), ChartError> {
    if view.as_of < view.from || view.as_of > view.to {
        return Ok(());
    }
    let s = canvas.sizes;
    let x = frame.px(view.index(view.as_of) as f64 + 0.5);
    canvas.line(vec![(x, frame.top), (x, frame.bottom)], AS_OF, s.line)?;
    let label = format!("{} {}", text::AS_OF.pick(canvas.lang), text::date(view.as_of, canvas.lang));
    let w = canvas.bold_width(&label, s.small) + 8;
    // The label sits right of the line unless that would leave the plot; then left of it.
    let (x0, x1) = if x + 4 + w <= frame.right { (x + 4, x + 4 + w) } else { (x - 4 - w, x - 4) };
    let h = (s.small * 1.4) as i32;
    canvas.rect((x0, frame.top + 2), (x1, frame.top + 2 + h), WHITE.mix(0.85))?;
    canvas.text(&label, ((x0 + x1) / 2, frame.top + 2 + h / 2), s.small, INK, (HPos::Center, VPos::Center), true)
}
