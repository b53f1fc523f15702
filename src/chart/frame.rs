//! The plot frame of the time charts: where the plot area lies, how values map to pixels, and the axes with ticks
//! that never overlap (the finest tick set whose labels fit is chosen).

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use plotters::prelude::DrawingBackend;
use plotters::style::Color;
use plotters::style::text_anchor::{HPos, VPos};

use crate::chart::canvas::{AXIS, Canvas, GRID, INK, MUTED};
use crate::chart::text::{self, MonthStyle};
use crate::chart::{ChartError, ChartView};

/// A tick: its position in data units and its label.
pub(crate) type Tick = (f64, String);

/// The plot area in pixels and the data ranges it shows.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame {
    pub left: i32,
    pub top: i32,
    pub right: i32,
    pub bottom: i32,
    pub x: (f64, f64),
    pub y: (f64, f64),
}

impl Frame {
    /// The pixel column of data value `x`.
    pub(crate) fn px(&self, x: f64) -> i32 {
        let t = (x - self.x.0) / (self.x.1 - self.x.0);
        self.left + (t * (self.right - self.left) as f64).round() as i32
    }

    /// The pixel row of data value `y`.
    pub(crate) fn py(&self, y: f64) -> i32 {
        let t = (y - self.y.0) / (self.y.1 - self.y.0);
        self.bottom - (t * (self.bottom - self.top) as f64).round() as i32
    }
}

/// What the axes of a time chart say.
pub(crate) struct Axes<'t> {
    pub y_title: &'t str,
    pub x_title: &'t str,
    /// The data range along x.
    pub x: (f64, f64),
    /// The largest value to show along y (the axis starts at 0 and ends at a round value above it).
    pub y_max: f64,
}

/// A round step (1, 2 or 5 times a power of ten, at least 1) giving about `count` steps up to `max`.
pub(crate) fn nice_step(max: f64, count: usize) -> f64 {
    let raw = (max / count.max(1) as f64).max(1.0);
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * magnitude).find(|s| *s >= raw).unwrap_or(10.0 * magnitude)
}

/// A planned time chart: the frame and the y ticks with their labels.
pub(crate) struct Plan {
    pub frame: Frame,
    y_ticks: Vec<(f64, String)>,
}

/// Plans a time chart between `top` and `bottom` (where the legend begins): measures the tick labels and places
/// the plot area so that `axes.y_max` stays at least `headroom` pixels below the plot's top (room for labels).
pub(crate) fn plan<DB: DrawingBackend>(
    canvas: &Canvas<'_, DB>,
    axes: &Axes<'_>,
    top: i32,
    bottom: i32,
    headroom: i32,
) -> Result<Plan, ChartError> {
    let s = canvas.sizes;
    let tick_h = (s.small * 1.2) as i32;
    let title_h = (s.body * 1.2) as i32;
    let plot_top = top + s.pad / 2;
    let plot_bottom = bottom - s.pad / 2 - title_h - tick_h - s.pad / 2;
    let plot_h = (plot_bottom - plot_top).max(10);
    // Headroom above half the plot would squash the data; labels then overlap it instead.
    let headroom = headroom.clamp(0, plot_h / 2);
    let y_max = axes.y_max.max(1.0) * f64::from(plot_h) / f64::from(plot_h - headroom);

    let wanted = ((plot_h as f64 / (s.small * 3.0)) as usize).clamp(2, 8);
    let step = nice_step(y_max, wanted);
    let y_top = ((y_max / step).ceil().max(1.0)) * step;
    let y_ticks: Vec<(f64, String)> = (0..=((y_top / step).round() as usize))
        .map(|i| i as f64 * step)
        .map(|v| (v, text::int(v as u64, canvas.lang)))
        .collect();
    let mut label_w = 0;
    for (_, l) in &y_ticks {
        label_w = label_w.max(canvas.text_width(l, s.small)?);
    }
    let left = s.pad + title_h + s.pad / 2 + label_w + s.pad / 2;
    let right = canvas.width - s.pad * 2;
    let frame = Frame { left, top: plot_top, right, bottom: plot_bottom, x: axes.x, y: (0.0, y_top) };
    Ok(Plan { frame, y_ticks })
}

/// Draws the gridlines, y tick labels and both axis titles of a plan. The x ticks are drawn by [`x_ticks`] once
/// the chart knows them.
pub(crate) fn draw_axes<DB: DrawingBackend>(
    canvas: &Canvas<'_, DB>,
    plan: &Plan,
    axes: &Axes<'_>,
) -> Result<(), ChartError> {
    let s = canvas.sizes;
    let frame = plan.frame;
    let tick_h = (s.small * 1.2) as i32;
    let title_h = (s.body * 1.2) as i32;
    for (v, label) in &plan.y_ticks {
        let y = frame.py(*v);
        canvas.line(vec![(frame.left, y), (frame.right, y)], GRID, 1)?;
        let at = (frame.left - s.pad / 2, y);
        canvas.text(label, at, s.small, MUTED, (HPos::Right, VPos::Center), false)?;
    }
    let y_title_at = (s.pad + title_h / 2, (frame.top + frame.bottom) / 2);
    canvas.text_upwards(axes.y_title, y_title_at, s.body, INK)?;
    let x_title_at = ((frame.left + frame.right) / 2, frame.bottom + s.pad / 2 + tick_h + s.pad / 3);
    canvas.text(axes.x_title, x_title_at, s.body, INK, (HPos::Center, VPos::Top), false)
}

/// [`plan`] without headroom, then [`draw_axes`].
pub(crate) fn layout<DB: DrawingBackend>(
    canvas: &Canvas<'_, DB>,
    axes: &Axes<'_>,
    top: i32,
    bottom: i32,
) -> Result<Frame, ChartError> {
    let plan = plan(canvas, axes, top, bottom, 0)?;
    draw_axes(canvas, &plan, axes)?;
    Ok(plan.frame)
}

/// Draws the x axis line and the first tick set of `candidates` (finest first) whose labels do not overlap.
pub(crate) fn x_ticks<DB: DrawingBackend>(
    canvas: &Canvas<'_, DB>,
    frame: &Frame,
    candidates: Vec<Vec<Tick>>,
) -> Result<(), ChartError> {
    let s = canvas.sizes;
    let gap = (s.small * 1.2) as i32;
    let plot_w = frame.right - frame.left;
    let mut chosen: Option<Vec<Tick>> = None;
    for ticks in candidates {
        // A cheap bound before measuring: a label is at least two characters wide.
        if ticks.is_empty() || ticks.len() as i32 * (s.small as i32 * 2 + gap) > plot_w {
            continue;
        }
        let mut widest = 0;
        for (_, label) in &ticks {
            widest = widest.max(canvas.text_width(label, s.small)?);
        }
        let spacing = ticks.windows(2).map(|w| frame.px(w[1].0) - frame.px(w[0].0)).min().unwrap_or(plot_w);
        let fits = spacing >= widest + gap;
        if fits {
            chosen = Some(ticks);
            break;
        }
        chosen.get_or_insert(ticks);
    }
    canvas.line(vec![(frame.left, frame.bottom), (frame.right, frame.bottom)], AXIS, 1)?;
    let tick_len = (s.small * 0.4) as i32;
    for (x, label) in chosen.unwrap_or_default() {
        let px = frame.px(x);
        canvas.line(vec![(px, frame.bottom), (px, frame.bottom + tick_len)], AXIS, 1)?;
        let at = (px, frame.bottom + tick_len + 2);
        canvas.text(&label, at, s.small, MUTED, (HPos::Center, VPos::Top), false)?;
    }
    Ok(())
}

/// Tick sets for a daily x axis (day i of the view spans i..i+1), finest first: every day, Mondays, the 1st and
/// 16th, month starts (long, short, bare names), quarter starts, year starts.
pub(crate) fn date_candidates(view: &ChartView, lang: text::Lang) -> Vec<Vec<Tick>> {
    let days: Vec<NaiveDate> = (0..view.days()).map(|i| view.from + Duration::days(i)).collect();
    let mid = |d: NaiveDate| view.index(d) as f64 + 0.5;
    let start = |d: NaiveDate| view.index(d) as f64;
    let dated = |pick: &dyn Fn(&NaiveDate) -> bool| -> Vec<Tick> {
        days.iter().filter(|d| pick(d)).map(|d| (mid(*d), text::date(*d, lang))).collect()
    };
    let months = |every: u32, style: MonthStyle| -> Vec<Tick> {
        days.iter()
            .filter(|d| d.day() == 1 && d.month0() % every == 0)
            .enumerate()
            .map(|(i, d)| (start(*d), text::month(*d, style, i == 0 || d.month() == 1, lang)))
            .collect()
    };
    let mut out = Vec::new();
    if days.len() <= 62 {
        out.push(dated(&|_| true));
        out.push(dated(&|d| d.weekday() == Weekday::Mon));
        out.push(dated(&|d| d.day() == 1 || d.day() == 16));
    }
    for every in [1, 3] {
        for style in [MonthStyle::Long, MonthStyle::Short, MonthStyle::Bare] {
            out.push(months(every, style));
        }
    }
    out.push(days.iter().filter(|d| d.ordinal() == 1).map(|d| (start(*d), d.year().to_string())).collect());
    // A short period without a month start or Monday still gets its first day named.
    out.push(vec![(0.5, text::date(view.from, lang))]);
    out
}

/// Shades days `first..=last` of the plot (clipped to it) in `color`.
pub(crate) fn shade_days<DB: DrawingBackend>(
    canvas: &Canvas<'_, DB>,
    frame: &Frame,
    view: &ChartView,
    first: NaiveDate,
    last: NaiveDate,
    color: plotters::style::RGBAColor,
) -> Result<Option<(i32, i32)>, ChartError> {
    let a = (view.index(first) as f64).max(frame.x.0);
    let b = (view.index(last) as f64 + 1.0).min(frame.x.1);
    if a >= b {
        return Ok(None);
    }
    let (x0, x1) = (frame.px(a), frame.px(b).max(frame.px(a) + 2));
    canvas.rect((x0, frame.top), (x1, frame.bottom), color.to_rgba())?;
    Ok(Some((x0, x1)))
}

#[cfg(test)]
mod tests {
    use super::nice_step;

    #[test]
    fn steps_are_round_and_at_least_one() {
        assert_eq!(nice_step(0.0, 5), 1.0);
        assert_eq!(nice_step(3.0, 5), 1.0);
        assert_eq!(nice_step(1000.0, 5), 200.0);
        assert_eq!(nice_step(1200.0, 6), 200.0);
        assert_eq!(nice_step(70.0, 6), 20.0);
        assert_eq!(nice_step(45.0, 8), 10.0);
    }
}
