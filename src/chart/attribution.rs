//! The attribution chart: one horizontal bar per named closure or holiday, longest first, coloured by cause,
//! its value written at its end; the legend sums the slots per cause.
//!
//! When more periods exist than bars fit the height, the smallest are pooled into one grey bar "Sonstige (n)",
//! so the total of the chart stays the total of the period.

use std::collections::BTreeMap;

use plotters::prelude::DrawingBackend;
use plotters::style::text_anchor::{HPos, VPos};
use plotters::style::{Color, RGBColor};

use crate::chart::canvas::{AXIS, Canvas, GRID, INK, LegendItem, MUTED, Mark};
use crate::chart::frame::nice_step;
use crate::chart::text::{self, Lang};
use crate::chart::{ChartError, ChartView, periods};
use crate::domain::event::ClosureCause;
use crate::projection::PeriodKind;

const POOLED: RGBColor = RGBColor(170, 170, 170);

/// The colour of a cause, the same in every chart of the report.
fn cause_color(kind: PeriodKind) -> RGBColor {
    match kind {
        PeriodKind::Closure(ClosureCause::Lockdown) => RGBColor(225, 87, 89),
        PeriodKind::Closure(ClosureCause::SystemMigration) => RGBColor(242, 142, 43),
        PeriodKind::Closure(ClosureCause::StaffShortage) => RGBColor(176, 122, 161),
        PeriodKind::Closure(ClosureCause::Other) => RGBColor(156, 117, 95),
        PeriodKind::Holiday => RGBColor(78, 121, 167),
    }
}

/// The period shows nothing: no slot was lost.
pub(crate) fn is_empty(view: &ChartView) -> bool {
    view.attribution.iter().all(|a| a.slots == 0)
}

pub(crate) fn draw<DB: DrawingBackend>(canvas: &Canvas<'_, DB>, view: &ChartView) -> Result<(), ChartError> {
    let lang = canvas.lang;
    let top = canvas.header(text::ATTRIBUTION_TITLE.pick(lang), view)?;
    if is_empty(view) {
        return canvas.no_data(top);
    }
    let s = canvas.sizes;
    let mut totals: BTreeMap<PeriodKind, u64> = BTreeMap::new();
    for a in view.attribution.iter().filter(|a| a.slots > 0) {
        *totals.entry(a.cause).or_default() += a.slots;
    }
    let legend: Vec<LegendItem> = totals
        .iter()
        .map(|(kind, n)| LegendItem {
            label: format!("{}: {}", text::period_kind_name(*kind, lang), text::int(*n, lang)),
            mark: Mark::Fill(cause_color(*kind).to_rgba()),
        })
        .collect();
    let (legend_rows, legend_h) = canvas.legend_rows(&legend)?;
    let legend_top = canvas.height - s.pad / 2 - legend_h;

    let tick_h = (s.small * 1.2) as i32;
    let title_h = (s.body * 1.2) as i32;
    let plot_top = top + s.pad / 2;
    let plot_bottom = legend_top - s.pad / 2 - title_h - tick_h - s.pad / 2;
    let bar_pitch = (s.small * 1.9).max(((plot_bottom - plot_top) as f64 / 12.0).min(s.small * 3.0));
    let fit = (((plot_bottom - plot_top) as f64 / bar_pitch) as usize).max(1);
    let bars = pool(view, fit, lang);

    let max_label = (canvas.width - 2 * s.pad) * 35 / 100;
    let mut labels = Vec::with_capacity(bars.len());
    let mut label_w = 0;
    for (label, _, _) in &bars {
        let l = periods::fit(canvas, label, s.small, max_label)?;
        label_w = label_w.max(canvas.text_width(&l, s.small)?);
        labels.push(l);
    }
    let max = bars.iter().map(|(_, _, n)| *n).max().unwrap_or(1) as f64;
    let value_w = canvas.bold_width(&text::int(max as u64, lang), s.small) + s.pad;
    let left = s.pad + label_w + s.pad / 2;
    let right = canvas.width - s.pad - value_w;
    let step = nice_step(max, (((right - left) as f64 / (s.small * 6.0)) as usize).clamp(2, 8));
    let x_top = (max / step).ceil().max(1.0) * step;
    let px = |v: f64| left + ((v / x_top) * f64::from(right - left)).round() as i32;

    let mut v = 0.0;
    while v <= x_top + 1e-9 {
        let x = px(v);
        canvas.line(vec![(x, plot_top), (x, plot_bottom)], GRID, 1)?;
        let label = text::int(v as u64, lang);
        canvas.text(&label, (x, plot_bottom + 4), s.small, MUTED, (HPos::Center, VPos::Top), false)?;
        v += step;
    }
    canvas.line(vec![(left, plot_top), (left, plot_bottom)], AXIS, 1)?;
    let title_at = ((left + right) / 2, plot_bottom + 4 + tick_h + s.pad / 3);
    canvas.text(text::ATTRIBUTION_AXIS.pick(lang), title_at, s.body, INK, (HPos::Center, VPos::Top), false)?;

    let pitch = bar_pitch.min(f64::from(plot_bottom - plot_top) / bars.len() as f64);
    for (i, ((_, color, n), label)) in bars.iter().zip(&labels).enumerate() {
        let y0 = plot_top + (i as f64 * pitch + pitch * 0.15) as i32;
        let y1 = plot_top + ((i + 1) as f64 * pitch - pitch * 0.15) as i32;
        let cy = (y0 + y1) / 2;
        canvas.text(label, (left - s.pad / 2, cy), s.small, INK, (HPos::Right, VPos::Center), false)?;
        let x1 = px(*n as f64).max(left + 1);
        canvas.rect((left, y0), (x1, y1), color.to_rgba())?;
        canvas.text(&text::int(*n, lang), (x1 + 4, cy), s.small, INK, (HPos::Left, VPos::Center), true)?;
    }
    canvas.legend(&legend, &legend_rows, legend_top)
}

/// The bars, longest first: `(label, colour, slots)`; beyond `fit` bars the smallest are pooled into one.
fn pool(view: &ChartView, fit: usize, lang: Lang) -> Vec<(String, RGBColor, u64)> {
    let mut items: Vec<(String, RGBColor, u64)> = view
        .attribution
        .iter()
        .filter(|a| a.slots > 0)
        .map(|a| (text::period_label(&a.label, a.cause, lang), cause_color(a.cause), a.slots))
        .collect();
    items.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    if items.len() > fit {
        let rest = items.split_off(fit.saturating_sub(1));
        let label = format!("{} ({})", text::OTHER_SERVICES.pick(lang), rest.len());
        items.push((label, POOLED, rest.iter().map(|r| r.2).sum()));
    }
    items
}
