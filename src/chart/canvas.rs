//! Drawing in pixels on either backend: text in the embedded font, shapes, the header, the legend, the
//! "no data" notice. The charts lay themselves out with these so that all four look alike.

use plotters::coord::Shift;
use plotters::element::{PathElement, Polygon, Rectangle};
use plotters::prelude::{DrawingArea, DrawingBackend};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{Color, FontDesc, FontFamily, FontStyle, FontTransform, RGBAColor, RGBColor};

use crate::chart::font::FAMILY;
use crate::chart::glyphs::{self, Faces, Placement, Turn};
use crate::chart::text::{self, Lang};
use crate::chart::{ChartError, ChartView, draw_error};

/// Text colour of titles and labels.
pub(crate) const INK: RGBColor = RGBColor(33, 37, 41);
/// Text colour of subtitles and tick labels.
pub(crate) const MUTED: RGBColor = RGBColor(95, 99, 104);
/// Gridlines.
pub(crate) const GRID: RGBColor = RGBColor(226, 228, 231);
/// The axis lines.
pub(crate) const AXIS: RGBColor = RGBColor(150, 154, 160);

/// A colour-blind-friendly qualitative palette (Tableau 10), for series and services.
pub(crate) const PALETTE: [RGBColor; 10] = [
    RGBColor(78, 121, 167),
    RGBColor(242, 142, 43),
    RGBColor(89, 161, 79),
    RGBColor(225, 87, 89),
    RGBColor(118, 183, 178),
    RGBColor(237, 201, 72),
    RGBColor(176, 122, 161),
    RGBColor(255, 157, 167),
    RGBColor(156, 117, 95),
    RGBColor(186, 176, 172),
];

/// How a legend entry shows its series.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Mark {
    /// A filled square: areas and bars.
    Fill(RGBAColor),
    /// A short line, solid or dashed.
    Line(RGBColor, bool),
}

/// Legend rows: per row, the item indices with their widths in pixels.
/// How much wider than the embedded face measures it a label is assumed in SVG, where the viewer lays the text out
/// with the first face of the `font-family` list it has: Verdana and Arial fallbacks run a few percent wider or
/// narrower than DejaVu Sans, and a legend must not run off the picture in any of them.
pub(crate) const SVG_TEXT_SLACK: f64 = 1.08;

pub(crate) type LegendRows = Vec<Vec<(usize, i32)>>;

/// One legend entry.
pub(crate) struct LegendItem {
    pub label: String,
    pub mark: Mark,
}

/// Sizes derived from the chart's pixel size, so 600 × 300 and 1200 × 600 are both readable.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sizes {
    /// Body text: legend, axis titles.
    pub body: f64,
    /// Tick labels.
    pub small: f64,
    /// The title.
    pub title: f64,
    /// Outer margin and gaps, in pixels.
    pub pad: i32,
    /// Series line width.
    pub line: u32,
}

impl Sizes {
    pub(crate) fn for_size(w: u32, h: u32) -> Self {
        let s = (w as f64 / 1200.0).min(h as f64 / 600.0);
        // Below report size, text shrinks more slowly than the chart, and not below 12.5 px (its small text 11 px):
        // a phone shows a chart drawn for its width at about that size, and 10 px is the least that stays legible.
        let body = if s < 1.0 { (12.5 + (s - 0.5) * 7.0).max(12.5) } else { 16.0 * s };
        Sizes {
            body,
            small: body * 0.88,
            title: body * 1.3,
            pad: (body * 0.8).round() as i32,
            line: if s >= 1.5 {
                3
            } else if s >= 0.75 {
                2
            } else {
                1
            },
        }
    }
}

/// The whole picture: a backend's drawing area in pixels, with the language and sizes of this chart.
pub(crate) struct Canvas<'a, DB: DrawingBackend> {
    root: &'a DrawingArea<DB, Shift>,
    /// Text is rasterised by `glyphs` (PNG) rather than handed to the backend as text (SVG).
    raster: bool,
    faces: &'static Faces,
    pub lang: Lang,
    pub sizes: Sizes,
    pub width: i32,
    pub height: i32,
}

impl<'a, DB: DrawingBackend> Canvas<'a, DB> {
    /// A white canvas; `raster` for a bitmap backend.
    pub(crate) fn new(root: &'a DrawingArea<DB, Shift>, lang: Lang, raster: bool) -> Result<Self, ChartError> {
        root.fill(&plotters::style::WHITE).map_err(draw_error)?;
        let (w, h) = root.dim_in_pixel();
        let faces = glyphs::faces()?;
        Ok(Canvas { root, raster, faces, lang, sizes: Sizes::for_size(w, h), width: w as i32, height: h as i32 })
    }

    fn style(&self, size: f64, bold: bool) -> FontDesc<'static> {
        let style = if bold { FontStyle::Bold } else { FontStyle::Normal };
        FontDesc::new(FontFamily::Name(FAMILY), size, style)
    }

    /// The width of `s` in pixels at `size`.
    pub(crate) fn text_width(&self, s: &str, size: f64) -> Result<i32, ChartError> {
        Ok(self.faces.width(s, size, false))
    }

    /// The width of `s` in pixels at `size` in bold.
    pub(crate) fn bold_width(&self, s: &str, size: f64) -> i32 {
        self.faces.width(s, size, true)
    }

    fn raster_text(
        &self,
        s: &str,
        size: f64,
        bold: bool,
        color: RGBColor,
        placement: Placement,
    ) -> Result<(), ChartError> {
        let mut failed = None;
        self.faces.draw(s, size, bold, placement, |x, y, coverage| {
            if failed.is_none()
                && let Err(e) = self.root.draw_pixel((x, y), &color.mix(f64::from(coverage.min(1.0))))
            {
                failed = Some(draw_error(e));
            }
        });
        failed.map_or(Ok(()), Err)
    }

    /// Writes `s` with its anchor (`h`, `v`) at `at`.
    pub(crate) fn text(
        &self,
        s: &str,
        at: (i32, i32),
        size: f64,
        color: RGBColor,
        anchor: (HPos, VPos),
        bold: bool,
    ) -> Result<(), ChartError> {
        if self.raster {
            return self.raster_text(s, size, bold, color, Placement { at, anchor, turn: Turn::None });
        }
        let style = self.style(size, bold).color(&color).pos(Pos::new(anchor.0, anchor.1));
        self.root.draw_text(s, &style, at).map_err(draw_error)
    }

    /// Writes `s` turned a quarter left (reading upwards), centred on `at`: a y-axis title.
    pub(crate) fn text_upwards(&self, s: &str, at: (i32, i32), size: f64, color: RGBColor) -> Result<(), ChartError> {
        if self.raster {
            let anchor = (HPos::Center, VPos::Center);
            return self.raster_text(s, size, false, color, Placement { at, anchor, turn: Turn::Up });
        }
        let style = self
            .style(size, false)
            .transform(FontTransform::Rotate270)
            .color(&color)
            .pos(Pos::new(HPos::Center, VPos::Center));
        self.root.draw_text(s, &style, at).map_err(draw_error)
    }

    /// A filled rectangle from corner to corner.
    pub(crate) fn rect(&self, a: (i32, i32), b: (i32, i32), color: RGBAColor) -> Result<(), ChartError> {
        self.root.draw(&Rectangle::new([a, b], color.filled())).map_err(draw_error)
    }

    /// A filled polygon.
    pub(crate) fn polygon(&self, points: Vec<(i32, i32)>, color: RGBAColor) -> Result<(), ChartError> {
        self.root.draw(&Polygon::new(points, color.filled())).map_err(draw_error)
    }

    /// A polyline.
    pub(crate) fn line(&self, points: Vec<(i32, i32)>, color: RGBColor, width: u32) -> Result<(), ChartError> {
        self.root.draw(&PathElement::new(points, color.stroke_width(width))).map_err(draw_error)
    }

    /// A dashed straight line from `a` to `b` (horizontal or vertical), dashes `dash` long.
    pub(crate) fn dashed(
        &self,
        a: (i32, i32),
        b: (i32, i32),
        dash: i32,
        color: RGBColor,
        width: u32,
    ) -> Result<(), ChartError> {
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len = dx.abs().max(dy.abs()).max(1);
        let mut t = 0;
        while t < len {
            let end = (t + dash).min(len);
            let at = |t: i32| (a.0 + dx * t / len, a.1 + dy * t / len);
            self.line(vec![at(t), at(end)], color, width)?;
            t += dash * 2;
        }
        Ok(())
    }

    /// Writes the title and the subtitle (office and period) at the top; returns the first free y below them.
    pub(crate) fn header(&self, title: &str, view: &ChartView) -> Result<i32, ChartError> {
        let s = self.sizes;
        let subtitle =
            format!("{} · {} – {}", view.office, text::date(view.from, self.lang), text::date(view.to, self.lang));
        let x = s.pad;
        let y = s.pad / 2 + 2;
        // A long title on a narrow chart is set smaller, down to body size, rather than cut at the edge.
        let room = (self.width - 2 * s.pad).max(1);
        let fit = s.title * f64::from(room) / f64::from(self.bold_width(title, s.title).max(1));
        let size = s.title.min(fit).max(s.body);
        self.text(title, (x, y), size, INK, (HPos::Left, VPos::Top), true)?;
        let y = y + (s.title * 1.25) as i32;
        self.text(&subtitle, (x, y), s.small, MUTED, (HPos::Left, VPos::Top), false)?;
        Ok(y + (s.small * 1.3) as i32 + s.pad / 2)
    }

    /// The notice of an empty period, centred in the space below the header.
    pub(crate) fn no_data(&self, top: i32) -> Result<(), ChartError> {
        let s = self.sizes;
        let (x0, y0, x1, y1) = (s.pad, top, self.width - s.pad, self.height - s.pad);
        self.rect((x0, y0), (x1, y1), RGBColor(246, 247, 248).to_rgba())?;
        let msg = text::NO_DATA.pick(self.lang);
        self.text(msg, ((x0 + x1) / 2, (y0 + y1) / 2), s.body * 1.2, MUTED, (HPos::Center, VPos::Center), false)
    }

    /// Lays the legend out in centred rows that fit the width; returns the rows (item indices) and their height.
    ///
    /// Two things keep the last entry readable. The rows are balanced: once the number of rows is known, the
    /// narrowest line length that still gives that many rows is used, so that a seven-entry legend becomes two rows
    /// of four and three rather than six entries edge to edge and one alone. And the room is measured with slack: a
    /// margin of a pad more than the plot's on the right, and in SVG, where the viewer lays the text out with
    /// whatever face it has, each label is taken [`SVG_TEXT_SLACK`] wider than the embedded face measures it.
    pub(crate) fn legend_rows(&self, items: &[LegendItem]) -> Result<(LegendRows, i32), ChartError> {
        let s = self.sizes;
        let swatch = (s.body * 1.4) as i32;
        let gap = (s.body * 1.4) as i32;
        let slack = if self.raster { 1.0 } else { SVG_TEXT_SLACK };
        let widths: Vec<i32> = items
            .iter()
            .map(|item| {
                let text = f64::from(self.text_width(&item.label, s.body)?) * slack;
                Ok(swatch + (s.body * 0.4) as i32 + text.ceil() as i32)
            })
            .collect::<Result<_, ChartError>>()?;
        let avail = self.width - 3 * s.pad;
        let greedy = |limit: i32| {
            let mut rows: Vec<Vec<(usize, i32)>> = Vec::new();
            let mut used = 0;
            for (i, &w) in widths.iter().enumerate() {
                match rows.last_mut() {
                    Some(row) if used + gap + w <= limit => {
                        row.push((i, w));
                        used += gap + w;
                    }
                    _ => {
                        rows.push(vec![(i, w)]);
                        used = w;
                    }
                }
            }
            rows
        };
        let mut rows = greedy(avail);
        if rows.len() > 1 {
            let widest = widths.iter().copied().max().unwrap_or(0);
            let step = (s.body / 2.0).max(1.0) as i32;
            let mut limit = widest;
            while limit < avail {
                let candidate = greedy(limit);
                if candidate.len() <= rows.len() {
                    rows = candidate;
                    break;
                }
                limit += step;
            }
        }
        let height = rows.len() as i32 * self.legend_row_height();
        Ok((rows, height))
    }

    fn legend_row_height(&self) -> i32 {
        (self.sizes.body * 1.5) as i32
    }

    /// Draws the legend rows of [`Canvas::legend_rows`] from `top` down.
    pub(crate) fn legend(&self, items: &[LegendItem], rows: &[Vec<(usize, i32)>], top: i32) -> Result<(), ChartError> {
        let s = self.sizes;
        let swatch = (s.body * 1.4) as i32;
        let gap = (s.body * 1.4) as i32;
        for (r, row) in rows.iter().enumerate() {
            let total: i32 = row.iter().map(|(_, w)| w).sum::<i32>() + gap * (row.len() as i32 - 1);
            let mut x = (self.width - total) / 2;
            let cy = top + r as i32 * self.legend_row_height() + self.legend_row_height() / 2;
            for &(i, w) in row {
                let item = &items[i];
                let half = (s.body * 0.35) as i32;
                match item.mark {
                    Mark::Fill(color) => self.rect((x, cy - half), (x + swatch, cy + half), color)?,
                    Mark::Line(color, false) => self.line(vec![(x, cy), (x + swatch, cy)], color, s.line + 1)?,
                    Mark::Line(color, true) => self.dashed((x, cy), (x + swatch, cy), swatch / 4, color, s.line + 1)?,
                }
                let tx = x + swatch + (s.body * 0.4) as i32;
                self.text(&item.label, (tx, cy), s.body, INK, (HPos::Left, VPos::Center), false)?;
                x += w + gap;
            }
        }
        Ok(())
    }
}
