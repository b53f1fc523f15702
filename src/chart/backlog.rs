//! The backlog chart: open requests per day as areas stacked by service, the total as a line on top, closures
//! and holidays shaded and named.
//!
//! The largest services (by open requests summed over the period) get their own band, at most [`MAX_SERVICES`];
//! the rest share one band "Sonstige", so the legend stays readable at 600 × 300.

use std::collections::BTreeMap;

use plotters::prelude::DrawingBackend;
use plotters::style::{Color, RGBColor};

use crate::chart::canvas::{Canvas, LegendItem, Mark, PALETTE};
use crate::chart::frame::{self, Axes};
use crate::chart::text::{self, Lang};
use crate::chart::{ChartError, ChartView, periods};
use crate::domain::id::ServiceId;
use crate::projection::DayRow;

/// The most services drawn as bands of their own.
pub(crate) const MAX_SERVICES: usize = 6;

const TOTAL_LINE: RGBColor = RGBColor(40, 44, 52);

/// The period shows nothing: no open request on any day and no booking, service or cancellation.
pub(crate) fn is_empty(view: &ChartView) -> bool {
    view.rows.iter().all(|r| {
        r.backlog == 0 && r.bookings == 0 && r.served_appointments == 0 && r.served_walk_in == 0 && r.cancellations == 0
    })
}

/// The bands, bottom first: each a label and the value per row.
fn bands(view: &ChartView, lang: Lang) -> Vec<(String, Vec<u32>)> {
    let mut totals: BTreeMap<&ServiceId, u64> = BTreeMap::new();
    for row in &view.rows {
        for (service, n) in &row.backlog_by_service {
            *totals.entry(service).or_default() += u64::from(*n);
        }
    }
    let mut ranked: Vec<(&ServiceId, u64)> = totals.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    // Six services and "other" would need seven bands; with exactly seven, the seventh gets its own.
    let own = if ranked.len() <= MAX_SERVICES + 1 { ranked.len() } else { MAX_SERVICES };
    let mut bands: Vec<(String, Vec<u32>)> = ranked[..own]
        .iter()
        .map(|(service, _)| {
            let values = view.rows.iter().map(|r| r.backlog_by_service.get(*service).copied().unwrap_or(0)).collect();
            let label = view.service_names.get(*service).cloned().unwrap_or_else(|| service.to_string());
            (label, values)
        })
        .collect();
    // Whatever the named bands do not hold (other services, or a backlog without a breakdown) goes to "other",
    // so the stack always adds up to the total.
    let rest: Vec<u32> = view
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| r.backlog.saturating_sub(bands.iter().map(|(_, v)| v[i]).sum()))
        .collect();
    if rest.iter().any(|v| *v > 0) {
        bands.push((text::OTHER_SERVICES.pick(lang).to_owned(), rest));
    }
    bands
}

/// Runs of consecutive days among the rows, as index ranges into `rows`: a missing day breaks the area.
pub(crate) fn runs(rows: &[DayRow]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=rows.len() {
        if i == rows.len() || (rows[i].date - rows[i - 1].date).num_days() != 1 {
            if i > start {
                out.push(start..i);
            }
            start = i;
        }
    }
    out
}

pub(crate) fn draw<DB: DrawingBackend>(canvas: &Canvas<'_, DB>, view: &ChartView) -> Result<(), ChartError> {
    let lang = canvas.lang;
    let top = canvas.header(text::BACKLOG_TITLE.pick(lang), view)?;
    if is_empty(view) {
        return canvas.no_data(top);
    }
    let bands = bands(view, lang);
    let color = |i: usize| if i == MAX_SERVICES { PALETTE[9] } else { PALETTE[i % PALETTE.len()] };

    let mut legend: Vec<LegendItem> = bands
        .iter()
        .enumerate()
        .map(|(i, (label, _))| LegendItem { label: label.clone(), mark: Mark::Fill(color(i).to_rgba()) })
        .collect();
    legend.push(LegendItem { label: text::TOTAL.pick(lang).to_owned(), mark: Mark::Line(TOTAL_LINE, false) });
    legend.extend(periods::legend(view, lang));
    let (rows, legend_h) = canvas.legend_rows(&legend)?;
    let legend_top = canvas.height - canvas.sizes.pad / 2 - legend_h;

    let y_max = view.rows.iter().map(|r| r.backlog).max().unwrap_or(0) as f64;
    let axes = Axes {
        y_title: text::BACKLOG_AXIS.pick(lang),
        x_title: text::DATE_AXIS.pick(lang),
        x: (0.0, view.days() as f64),
        y_max: y_max * 1.08,
    };
    // Plan once to learn how many rows the period names need, then again with that much room above the data.
    let provisional = frame::plan(canvas, &axes, top, legend_top, 0)?;
    let (_, headroom) = periods::place(canvas, &provisional.frame, view)?;
    let plan = frame::plan(canvas, &axes, top, legend_top, headroom)?;
    frame::draw_axes(canvas, &plan, &axes)?;
    let frame = plan.frame;

    for run in runs(&view.rows) {
        // x of the points: the first day from its start, every day at its middle, the last day to its end, so the
        // area covers exactly the days it has rows for.
        let first = view.index(view.rows[run.start].date) as f64;
        let last = view.index(view.rows[run.end - 1].date) as f64 + 1.0;
        let mut xs: Vec<f64> = vec![first];
        xs.extend(run.clone().map(|i| view.index(view.rows[i].date) as f64 + 0.5));
        xs.push(last);
        let pick = |k: usize| {
            if k == 0 {
                run.start
            } else if k == xs.len() - 1 {
                run.end - 1
            } else {
                run.start + k - 1
            }
        };
        let mut below: Vec<u32> = vec![0; xs.len()];
        for (b, (_, values)) in bands.iter().enumerate() {
            let above: Vec<u32> = (0..xs.len()).map(|k| below[k] + values[pick(k)]).collect();
            let mut polygon: Vec<(i32, i32)> =
                xs.iter().zip(&above).map(|(x, y)| (frame.px(*x), frame.py(*y as f64))).collect();
            polygon.extend(xs.iter().zip(&below).rev().map(|(x, y)| (frame.px(*x), frame.py(*y as f64))));
            canvas.polygon(polygon, color(b).mix(0.85))?;
            below = above;
        }
        let total: Vec<(i32, i32)> =
            xs.iter().enumerate().map(|(k, x)| (frame.px(*x), frame.py(view.rows[pick(k)].backlog as f64))).collect();
        canvas.line(total, TOTAL_LINE, canvas.sizes.line)?;
    }
    periods::draw(canvas, &frame, view, true)?;
    frame::x_ticks(canvas, &frame, frame::date_candidates(view, lang))?;
    canvas.legend(&legend, &rows, legend_top)
}
