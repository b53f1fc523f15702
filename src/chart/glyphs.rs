//! Text on the PNG charts, laid out and rasterised with `ab_glyph` from the embedded font.
//!
//! plotters' own `ab_glyph` text drops each glyph's left side bearing and rounds the pen position per glyph,
//! which spaces letters unevenly ("Fronl eichnam"); a chart for print cannot look like that. So bitmap text is
//! drawn here, glyph by glyph at its exact sub-pixel position, and the same layout measures text for both formats.
//! SVG text is still written by plotters as `<text>` elements: the viewer lays it out.

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, Glyph, PxScale, ScaleFont, point};
use plotters::style::text_anchor::{HPos, VPos};

use crate::chart::ChartError;

/// The two embedded faces.
pub(crate) struct Faces {
    regular: FontRef<'static>,
    bold: FontRef<'static>,
}

/// The faces, parsed once per process.
pub(crate) fn faces() -> Result<&'static Faces, ChartError> {
    static FACES: OnceLock<Result<Faces, &'static str>> = OnceLock::new();
    FACES
        .get_or_init(|| {
            let regular = FontRef::try_from_slice(crate::chart::font::REGULAR)
                .map_err(|_| "embedded font DejaVuSans.ttf is not a valid font")?;
            let bold = FontRef::try_from_slice(crate::chart::font::BOLD)
                .map_err(|_| "embedded font DejaVuSans-Bold.ttf is not a valid font")?;
            Ok(Faces { regular, bold })
        })
        .as_ref()
        .map_err(|e| ChartError::Font(e))
}

/// Where a line of text goes: its anchor point, which point of the text sits there, and its turn.
#[derive(Clone, Copy)]
pub(crate) struct Placement {
    pub at: (i32, i32),
    pub anchor: (HPos, VPos),
    pub turn: Turn,
}

/// How text is turned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Turn {
    None,
    /// A quarter turn left: the text reads from bottom to top.
    Up,
}

impl Faces {
    fn face(&self, bold: bool) -> &FontRef<'static> {
        if bold { &self.bold } else { &self.regular }
    }

    /// The glyphs of `text` at `size` pixels (ascent to descent), on a baseline at y = 0 from x = 0, and the
    /// advance width of the whole line.
    fn layout(&self, text: &str, size: f64, bold: bool) -> (Vec<Glyph>, f32) {
        let font = self.face(bold).as_scaled(PxScale::from(size as f32));
        let mut caret = 0.0f32;
        let mut previous = None;
        let mut glyphs = Vec::with_capacity(text.len());
        for c in text.chars() {
            let id = font.glyph_id(c);
            if let Some(p) = previous {
                caret += font.kern(p, id);
            }
            glyphs.push(id.with_scale_and_position(font.scale(), point(caret, 0.0)));
            caret += font.h_advance(id);
            previous = Some(id);
        }
        (glyphs, caret)
    }

    /// The width of `text` in pixels.
    pub(crate) fn width(&self, text: &str, size: f64, bold: bool) -> i32 {
        self.layout(text, size, bold).1.ceil() as i32
    }

    /// Rasterises `text` as `placement` says, calling `put(x, y, coverage)` for every touched pixel.
    pub(crate) fn draw(
        &self,
        text: &str,
        size: f64,
        bold: bool,
        placement: Placement,
        mut put: impl FnMut(i32, i32, f32),
    ) {
        let Placement { at, anchor, turn } = placement;
        let face = self.face(bold);
        let scaled = face.as_scaled(PxScale::from(size as f32));
        let (glyphs, width) = self.layout(text, size, bold);
        let dx = match anchor.0 {
            HPos::Left => 0.0,
            HPos::Center => -width / 2.0,
            HPos::Right => -width,
        };
        // Baseline offset from the anchor; descent is negative.
        let dy = match anchor.1 {
            VPos::Top => scaled.ascent(),
            VPos::Center => (scaled.ascent() + scaled.descent()) / 2.0,
            VPos::Bottom => scaled.descent(),
        };
        for glyph in glyphs {
            let Some(outline) = face.outline_glyph(glyph) else { continue };
            let bounds = outline.px_bounds();
            outline.draw(|gx, gy, coverage| {
                // (u, v): position along and across the line, relative to the anchor.
                let u = bounds.min.x + gx as f32 + dx;
                let v = bounds.min.y + gy as f32 + dy;
                let (x, y) = match turn {
                    Turn::None => (at.0 as f32 + u, at.1 as f32 + v),
                    Turn::Up => (at.0 as f32 + v, at.1 as f32 - u),
                };
                put(x.floor() as i32, y.floor() as i32, coverage);
            });
        }
    }
}
