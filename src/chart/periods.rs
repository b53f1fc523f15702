//! Closures and holidays on a time chart: shaded days, each named at the top of the plot where the name fits.

use plotters::prelude::DrawingBackend;
use plotters::style::text_anchor::{HPos, VPos};
use plotters::style::{Color, RGBAColor, RGBColor, WHITE};

use crate::chart::ChartError;
use crate::chart::ChartView;
use crate::chart::canvas::{Canvas, INK, LegendItem, Mark};
use crate::chart::frame::{Frame, shade_days};
use crate::chart::text;
use crate::projection::{NamedPeriod, PeriodKind};

const CLOSURE: RGBColor = RGBColor(214, 39, 40);
const HOLIDAY: RGBColor = RGBColor(100, 110, 130);

fn shade(kind: PeriodKind) -> RGBAColor {
    match kind {
        PeriodKind::Holiday => HOLIDAY.mix(0.22),
        PeriodKind::Closure(_) => CLOSURE.mix(0.16),
    }
}

/// The periods of the view that touch its range, in date order.
pub(crate) fn visible(view: &ChartView) -> Vec<&NamedPeriod> {
    let mut out: Vec<&NamedPeriod> =
        view.periods.iter().filter(|p| p.last_day >= view.from && p.first_day <= view.to).collect();
    out.sort_by_key(|p| (p.first_day, p.last_day));
    out
}

/// Legend entries for the kinds of period shown: one for closures, one for holidays.
pub(crate) fn legend(view: &ChartView, lang: text::Lang) -> Vec<LegendItem> {
    let shown = visible(view);
    let mut items = Vec::new();
    if shown.iter().any(|p| matches!(p.kind, PeriodKind::Closure(_))) {
        let mark = Mark::Fill(CLOSURE.mix(0.35));
        items.push(LegendItem { label: text::CLOSURE.pick(lang).to_owned(), mark });
    }
    if shown.iter().any(|p| p.kind == PeriodKind::Holiday) {
        let mark = Mark::Fill(HOLIDAY.mix(0.45));
        items.push(LegendItem { label: text::HOLIDAY.pick(lang).to_owned(), mark });
    }
    items
}

/// A period's name placed at the top of the plot: left edge, row, text and width.
pub(crate) struct Placed {
    x: i32,
    row: usize,
    label: String,
    width: i32,
}

fn label_size<DB: DrawingBackend>(canvas: &Canvas<'_, DB>) -> (f64, i32) {
    let size = canvas.sizes.small * 0.92;
    (size, (size * 1.35) as i32)
}

/// Places the names of the visible periods at the top of `frame`, each in the first of a few rows where it does not
/// overlap another (a name that fits nowhere is left out; its shading stays). Returns the placements and the
/// pixel height of the rows used.
pub(crate) fn place<DB: DrawingBackend>(
    canvas: &Canvas<'_, DB>,
    frame: &Frame,
    view: &ChartView,
) -> Result<(Vec<Placed>, i32), ChartError> {
    let (size, row_h) = label_size(canvas);
    let max_rows = (((frame.bottom - frame.top) / 3) / row_h).clamp(1, 4) as usize;
    let gap = (size * 0.6) as i32;
    let max_w = (frame.right - frame.left) * 2 / 5;
    let mut row_ends: Vec<i32> = Vec::new();
    let mut placed = Vec::new();
    for p in visible(view) {
        let first = (view.index(p.first_day) as f64).max(frame.x.0);
        let label = fit(canvas, &text::period_label(&p.label, p.kind, canvas.lang), size, max_w)?;
        let width = canvas.text_width(&label, size)? + 6;
        let x = frame.px(first).min(frame.right - width).max(frame.left);
        let row = match row_ends.iter().position(|end| *end + gap <= x) {
            Some(r) => r,
            None if row_ends.len() < max_rows => {
                row_ends.push(i32::MIN);
                row_ends.len() - 1
            }
            None => continue,
        };
        row_ends[row] = x + width;
        placed.push(Placed { x, row, label, width });
    }
    Ok((placed, row_ends.len() as i32 * row_h + 4))
}

/// Shades every visible period; with `named`, writes the names [`place`] finds room for.
pub(crate) fn draw<DB: DrawingBackend>(
    canvas: &Canvas<'_, DB>,
    frame: &Frame,
    view: &ChartView,
    named: bool,
) -> Result<(), ChartError> {
    for p in visible(view) {
        shade_days(canvas, frame, view, p.first_day, p.last_day, shade(p.kind))?;
    }
    if !named {
        return Ok(());
    }
    let (size, row_h) = label_size(canvas);
    for Placed { x, row, label, width } in place(canvas, frame, view)?.0 {
        let y = frame.top + 2 + row as i32 * row_h;
        canvas.rect((x, y), (x + width, y + row_h - 2), WHITE.mix(0.8))?;
        canvas.text(&label, (x + 3, y + (row_h - 2) / 2), size, INK, (HPos::Left, VPos::Center), false)?;
    }
    Ok(())
}

/// `label`, cut with "…" so that it is at most `max_w` pixels wide.
pub(crate) fn fit<DB: DrawingBackend>(
    canvas: &Canvas<'_, DB>,
    label: &str,
    size: f64,
    max_w: i32,
) -> Result<String, ChartError> {
    if canvas.text_width(label, size)? <= max_w {
        return Ok(label.to_owned());
    }
    let chars: Vec<char> = label.chars().collect();
    let (mut lo, mut hi) = (0, chars.len());
    // Binary search for the longest prefix that fits with the ellipsis.
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        let candidate: String = chars[..mid].iter().collect::<String>() + "…";
        if canvas.text_width(&candidate, size)? <= max_w { lo = mid } else { hi = mid - 1 }
    }
    Ok(chars[..lo].iter().collect::<String>().trim_end().to_owned() + "…")
}
