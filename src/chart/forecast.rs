//! The forecast chart: the observed wait (third next available, the forecast's headline figure) up to the as-of
//! day, continued by the forecast's fan — the band of 90 % of runs (p5–p95), the band of 50 % (p25–p75) and the
//! median — with the target as a dashed line and the as-of day marked. The days by which the wait is back at the
//! target in 50 % and in 85 % of runs are marked as well: the dates the tile and the press statement name.
//!
//! Only open days are drawn for the fan: on a Saturday the wait is counted from a day nobody can be served on, and
//! the saw-tooth of weekends would hide the trend. A percentile with no value (no three free slots within the wait
//! horizon) breaks the band there rather than inventing a height.

use plotters::prelude::DrawingBackend;
use plotters::style::{Color, RGBColor};

use crate::chart::canvas::{Canvas, LegendItem, Mark, PALETTE};
use crate::chart::frame::{self, Axes, Frame};
use crate::chart::{ChartError, ChartView, periods, text, wait};
use crate::forecast::FanDay;

const TARGET: RGBColor = RGBColor(200, 30, 45);
const OBSERVED: RGBColor = RGBColor(40, 44, 52);

pub(crate) fn draw<DB: DrawingBackend>(canvas: &Canvas<'_, DB>, view: &ChartView) -> Result<(), ChartError> {
    let lang = canvas.lang;
    let top = canvas.header(text::FORECAST_TITLE.pick(lang), view)?;
    let Some(forecast) = view.forecast.as_deref() else { return canvas.no_data(top) };
    let fan: Vec<&FanDay> = forecast.fan.iter().filter(|d| d.open && d.date > view.from && d.date <= view.to).collect();
    let observed = view.observed_waits();
    if fan.is_empty() && observed.is_empty() {
        return canvas.no_data(top);
    }
    let fan_color = PALETTE[1];
    let target_label = format!("{} ({} {})", text::TARGET.pick(lang), view.target_wait_days, text::DAYS.pick(lang));
    let mut legend = vec![
        LegendItem { label: text::OBSERVED.pick(lang).to_owned(), mark: Mark::Line(OBSERVED, false) },
        LegendItem { label: text::FORECAST_MEDIAN.pick(lang).to_owned(), mark: Mark::Line(fan_color, false) },
        LegendItem { label: text::FORECAST_50.pick(lang).to_owned(), mark: Mark::Fill(fan_color.mix(0.45)) },
        LegendItem { label: text::FORECAST_90.pick(lang).to_owned(), mark: Mark::Fill(fan_color.mix(0.18)) },
        LegendItem { label: target_label, mark: Mark::Line(TARGET, true) },
    ];
    legend.extend(periods::legend(view, lang));
    let (rows, legend_h) = canvas.legend_rows(&legend)?;
    let legend_top = canvas.height - canvas.sizes.pad / 2 - legend_h;

    let fan_max = fan.iter().filter_map(|d| d.third[4].or(d.third[2])).max().unwrap_or(0);
    let observed_max = observed.iter().map(|&(_, v)| v).max().unwrap_or(0);
    let axes = Axes {
        y_title: text::WAIT_AXIS.pick(lang),
        x_title: text::DATE_AXIS.pick(lang),
        x: (0.0, view.days() as f64),
        y_max: f64::from(fan_max.max(observed_max).max(view.target_wait_days)) * 1.1,
    };
    let frame = frame::layout(canvas, &axes, top, legend_top)?;
    periods::draw(canvas, &frame, view, false)?;

    for (lo, hi, alpha) in [(0, 4, 0.18), (1, 3, 0.45)] {
        for band in bands(view, &frame, &fan, lo, hi) {
            canvas.polygon(band, fan_color.mix(alpha))?;
        }
    }
    let target_y = frame.py(f64::from(view.target_wait_days));
    let dash = (canvas.sizes.body * 0.6) as i32;
    canvas.dashed((frame.left, target_y), (frame.right, target_y), dash, TARGET, canvas.sizes.line)?;

    let x = |date: chrono::NaiveDate| frame.px(view.index(date) as f64 + 0.5);
    let observed_line: Vec<(i32, i32)> = observed.iter().map(|&(d, v)| (x(d), frame.py(f64::from(v)))).collect();
    let median: Vec<(i32, i32)> = observed
        .iter()
        .filter(|(d, _)| *d == view.as_of)
        .map(|&(d, v)| (x(d), frame.py(f64::from(v))))
        .chain(fan.iter().filter_map(|d| Some((x(d.date), frame.py(f64::from(d.third[2]?))))))
        .collect();
    if observed_line.len() > 1 {
        canvas.line(observed_line, OBSERVED, canvas.sizes.line + 1)?;
    }
    if median.len() > 1 {
        canvas.line(median, fan_color, canvas.sizes.line + 1)?;
    }
    wait::mark_as_of(canvas, &frame, view)?;
    // The dates the tile and the statement name: the target reached in half of the runs, and in 85 % of them.
    let reached = [("50 %", forecast.wait_target.p50), ("85 %", forecast.wait_target.p85)];
    for (row, (share, date)) in reached.into_iter().enumerate() {
        let Some(date) = date.filter(|d| *d > view.from && *d <= view.to) else { continue };
        let label = format!("{} {share}: {}", text::REACHED_BY.pick(lang), text::date(date, lang));
        mark_day(canvas, &frame, x(date), &label, row as i32 + 1)?;
    }
    frame::x_ticks(canvas, &frame, frame::date_candidates(view, lang))?;
    canvas.legend(&legend, &rows, legend_top)
}

/// The polygons of the band between percentiles `lo` and `hi`, split where a percentile has no value.
fn bands(view: &ChartView, frame: &Frame, fan: &[&FanDay], lo: usize, hi: usize) -> Vec<Vec<(i32, i32)>> {
    let mut out = Vec::new();
    let mut upper: Vec<(i32, i32)> = Vec::new();
    let mut lower: Vec<(i32, i32)> = Vec::new();
    let mut flush = |upper: &mut Vec<(i32, i32)>, lower: &mut Vec<(i32, i32)>| {
        if upper.len() > 1 {
            let mut polygon = std::mem::take(upper);
            polygon.extend(lower.drain(..).rev());
            out.push(polygon);
        }
        upper.clear();
        lower.clear();
    };
    for day in fan {
        let x = frame.px(view.index(day.date) as f64 + 0.5);
        match (day.third[lo], day.third[hi]) {
            (Some(l), Some(h)) => {
                upper.push((x, frame.py(f64::from(h))));
                lower.push((x, frame.py(f64::from(l))));
            }
            _ => flush(&mut upper, &mut lower),
        }
    }
    flush(&mut upper, &mut lower);
    out
}

/// A dashed vertical line at `x` with `label` in a box, in label row `row` (0 is the as-of day's row), so that
/// the labels of days close together do not cover one another.
fn mark_day<DB: DrawingBackend>(
    canvas: &Canvas<'_, DB>,
    frame: &Frame,
    x: i32,
    label: &str,
    row: i32,
) -> Result<(), ChartError> {
    use plotters::style::WHITE;
    use plotters::style::text_anchor::{HPos, VPos};
    let s = canvas.sizes;
    canvas.dashed((x, frame.top), (x, frame.bottom), (s.body * 0.4) as i32, TARGET, s.line)?;
    let w = canvas.bold_width(label, s.small) + 8;
    let (x0, x1) = if x + 4 + w <= frame.right { (x + 4, x + 4 + w) } else { (x - 4 - w, x - 4) };
    let h = (s.small * 1.4) as i32;
    let y0 = frame.top + 2 + row * (h + 3);
    canvas.rect((x0, y0), (x1, y0 + h), WHITE.mix(0.85))?;
    canvas.text(label, ((x0 + x1) / 2, y0 + h / 2), s.small, TARGET, (HPos::Center, VPos::Center), true)
}
