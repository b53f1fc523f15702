//! The what-if chart: the observed wait (third next available) up to the as-of day, then the median of the runs
//! under the baseline and under each plan, one line each, with the target dashed and the as-of day marked. Lines
//! rather than fans: with four plans four fans would cover one another; each plan's 50/85/95 % dates stand in the
//! table beside the chart. Open days only, as in the forecast chart.

use plotters::prelude::DrawingBackend;
use plotters::style::RGBColor;

use crate::chart::canvas::{Canvas, LegendItem, Mark, PALETTE};
use crate::chart::frame::{self, Axes};
use crate::chart::{ChartError, ChartView, periods, text, wait};
use crate::forecast::whatif::{Comparison, Outcome};

const TARGET: RGBColor = RGBColor(200, 30, 45);
const OBSERVED: RGBColor = RGBColor(40, 44, 52);

pub(crate) fn draw<DB: DrawingBackend>(
    canvas: &Canvas<'_, DB>,
    view: &ChartView,
    comparison: &Comparison,
) -> Result<(), ChartError> {
    let lang = canvas.lang;
    let top = canvas.header(text::WHATIF_TITLE.pick(lang), view)?;
    let observed = view.observed_waits();
    let outcomes: Vec<&Outcome> = std::iter::once(&comparison.baseline).chain(&comparison.plans).collect();
    let median = |o: &Outcome| -> Vec<(chrono::NaiveDate, u32)> {
        o.fan
            .iter()
            .filter(|d| d.open && d.date > view.from && d.date <= view.to)
            .filter_map(|d| Some((d.date, d.third[2]?)))
            .collect()
    };
    let lines: Vec<Vec<(chrono::NaiveDate, u32)>> = outcomes.iter().map(|o| median(o)).collect();
    if observed.is_empty() && lines.iter().all(Vec::is_empty) {
        return canvas.no_data(top);
    }
    let color = |i: usize| PALETTE[i % PALETTE.len()];
    let mut legend =
        vec![LegendItem { label: text::OBSERVED.pick(lang).to_owned(), mark: Mark::Line(OBSERVED, false) }];
    for (i, o) in outcomes.iter().enumerate() {
        let label = if i == 0 { text::BASELINE.pick(lang).to_owned() } else { o.plan.name.clone() };
        legend.push(LegendItem {
            label: format!("{label} ({})", text::FORECAST_MEDIAN.pick(lang)),
            mark: Mark::Line(color(i), false),
        });
    }
    let target_label = format!("{} ({} {})", text::TARGET.pick(lang), view.target_wait_days, text::DAYS.pick(lang));
    legend.push(LegendItem { label: target_label, mark: Mark::Line(TARGET, true) });
    legend.extend(periods::legend(view, lang));
    let (rows, legend_h) = canvas.legend_rows(&legend)?;
    let legend_top = canvas.height - canvas.sizes.pad / 2 - legend_h;

    let max = lines.iter().flatten().chain(&observed).map(|&(_, v)| v).max().unwrap_or(0);
    let axes = Axes {
        y_title: text::WAIT_AXIS.pick(lang),
        x_title: text::DATE_AXIS.pick(lang),
        x: (0.0, view.days() as f64),
        y_max: f64::from(max.max(view.target_wait_days)) * 1.1,
    };
    let frame = frame::layout(canvas, &axes, top, legend_top)?;
    periods::draw(canvas, &frame, view, false)?;
    let target_y = frame.py(f64::from(view.target_wait_days));
    canvas.dashed(
        (frame.left, target_y),
        (frame.right, target_y),
        (canvas.sizes.body * 0.6) as i32,
        TARGET,
        canvas.sizes.line,
    )?;
    let x = |date: chrono::NaiveDate| frame.px(view.index(date) as f64 + 0.5);
    let point = |&(d, v): &(chrono::NaiveDate, u32)| (x(d), frame.py(f64::from(v)));
    let observed_line: Vec<(i32, i32)> = observed.iter().map(point).collect();
    if observed_line.len() > 1 {
        canvas.line(observed_line, OBSERVED, canvas.sizes.line + 1)?;
    }
    let start = observed.iter().find(|(d, _)| *d == view.as_of).map(point);
    // The plans last, so that the baseline lies beneath them.
    for (i, line) in lines.iter().enumerate() {
        let points: Vec<(i32, i32)> = start.into_iter().chain(line.iter().map(point)).collect();
        if points.len() > 1 {
            canvas.line(points, color(i), canvas.sizes.line + 1)?;
        }
    }
    wait::mark_as_of(canvas, &frame, view)?;
    frame::x_ticks(canvas, &frame, frame::date_candidates(view, lang))?;
    canvas.legend(&legend, &rows, legend_top)
}
