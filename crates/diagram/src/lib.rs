//! The network configuration diagram (ネットワーク構成図) that the MHLW guidance asks hospitals to keep,
//! drawn from the device ledger, the remote-maintenance lines and observed flows.
//!
//! Owns: the graph model ([`Graph`]: zones → segments/VLANs → devices, remote lines and hosts outside
//! the hospital, edges for remote lines and flows), the deterministic layered layout ([`layout`]) and
//! three writers: [`to_svg`] (self-contained, for browsers and printing), [`to_graphml`] (for yEd,
//! Gephi, networkx) and [`to_drawio`] (an `mxGraphModel` that draw.io/diagrams.net opens and edits).
//!
//! Invariants: no I/O; the same input gives byte-identical output (everything is sorted by name or id,
//! nothing iterates a hash map, coordinates are integers); every text is escaped for XML, and
//! characters XML 1.0 forbids are dropped, so any ledger content yields well-formed files.
//! Large hospitals stay readable: in the SVG a segment with more than [`layout::COLLAPSE_ABOVE`]
//! devices is drawn as grouped rows (device type × count); in draw.io such a segment is a folded
//! container that the user can open.

mod drawio;
mod graphml;
pub mod layout;
mod model;
mod svg;
mod text;

pub use drawio::to_drawio;
pub use graphml::to_graphml;
pub use model::*;
pub use svg::to_svg;
pub use text::natural_cmp;

/// Output formats, chosen by file extension in the CLI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Svg,
    GraphMl,
    DrawIo,
}

impl Format {
    /// `.svg`, `.graphml`, `.drawio` (also `.xml` for draw.io, as draw.io itself saves).
    pub fn from_extension(ext: &str) -> Option<Format> {
        match ext.to_ascii_lowercase().as_str() {
            "svg" => Some(Format::Svg),
            "graphml" => Some(Format::GraphMl),
            "drawio" | "xml" => Some(Format::DrawIo),
            _ => None,
        }
    }
}

/// Render `graph` in `format`.
pub fn render(graph: &Graph, format: Format) -> String {
    match format {
        Format::Svg => to_svg(graph),
        Format::GraphMl => to_graphml(graph),
        Format::DrawIo => to_drawio(graph),
    }
}
