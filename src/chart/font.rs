//! The embedded font: DejaVu Sans (regular and bold), compiled into the binary.
//!
//! Charts must render on a bare server, so nothing here asks the system for fonts: plotters' `ab_glyph` font
//! backend reads only what [`plotters::style::register_font`] gave it, and PNG text is drawn by `glyphs` from the
//! same bytes. The TTFs and their licence (Bitstream Vera
//! terms, redistribution permitted) live next to this file in `fonts/`.

use std::sync::OnceLock;

use plotters::style::FontStyle;

/// The family name charts ask for. plotters passes it verbatim into SVG's `font-family`, so it is written as a CSS
/// font list: a viewer without DejaVu Sans falls back to a similar sans-serif face instead of a serif default.
pub(crate) const FAMILY: &str = "DejaVu Sans, Verdana, Arial, sans-serif";

/// DejaVu Sans.
pub(crate) static REGULAR: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");
/// DejaVu Sans Bold.
pub(crate) static BOLD: &[u8] = include_bytes!("fonts/DejaVuSans-Bold.ttf");

/// Registers the embedded faces once per process; later calls return the first outcome.
pub(crate) fn ensure_registered() -> Result<(), &'static str> {
    static DONE: OnceLock<Result<(), &'static str>> = OnceLock::new();
    *DONE.get_or_init(|| {
        plotters::style::register_font(FAMILY, FontStyle::Normal, REGULAR)
            .map_err(|_| "embedded font DejaVuSans.ttf is not a valid font")?;
        plotters::style::register_font(FAMILY, FontStyle::Bold, BOLD)
            .map_err(|_| "embedded font DejaVuSans-Bold.ttf is not a valid font")?;
        Ok(())
    })
}
