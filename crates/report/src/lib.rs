//! The one-page executive report (経営層向け): where the hospital stands on the checklist, against
//! peers and over the years, which devices to act on now, unmet inspection items, devices past end of
//! support and remote-maintenance lines — as a self-contained HTML page and a one-page A4 PDF.
//!
//! Owns: [`ReportData`] (plain, already-worded data; the caller gathers it from the store), the chart
//! math and drawing ([`chart`], as SVG in [`svg`]), the HTML document ([`html`]) and the PDF
//! ([`pdf`], krilla, with a subset of a Japanese font found on the machine by [`font`]).
//!
//! Invariants: rendering is pure and deterministic (no clock, no network, no file reads; the only
//! I/O is [`find_font`], which the caller runs); nothing unknown is drawn as a number ("no data" is
//! said, a missing score is never 0); the PDF is always exactly one page (lists are capped); every
//! label is a `report.*` key ([`KEYS`]) of the web crate's locale files; no font is shipped.

pub mod chart;
mod error;
pub mod font;
pub mod html;
mod model;
pub mod pdf;
pub mod svg;
#[cfg(test)]
mod testdata;
mod view;

pub use error::ReportError;
pub use font::{find_font, find_font_in, FontFile, FONT_CANDIDATES, FONT_ENV};
pub use model::*;
pub use view::{fill, KEYS};

/// The HTML document (see [`html::render`]).
pub fn render_html(data: &ReportData, text: &dyn Text, tools: &[(String, String)]) -> String {
    html::render(data, text, tools)
}

/// The one-page PDF (see [`pdf::render`]).
pub fn render_pdf(
    data: &ReportData,
    text: &dyn Text,
    font: &FontFile,
) -> Result<Vec<u8>, ReportError> {
    pdf::render(data, text, font)
}
