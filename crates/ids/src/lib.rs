//! Package URLs (purl) and CPE 2.3 names: parse, normalise, compare, match.
//!
//! Owns: [`purl::Purl`] (ECMA-427 purl with the purl-spec type rules) and [`cpe::Cpe`] (CPE 2.3
//! formatted strings, NISTIR 7695 binding and NISTIR 7696 name matching). Invariant: pure, no I/O,
//! no panics on any input, input lengths bounded by named constants.

// FormatError is the workspace-wide parser error (mdsec-format-core); its size is a deliberate
// trade for carrying the position.
#![allow(clippy::result_large_err)]

pub mod cpe;
pub mod purl;

pub use cpe::{cpe_matches, Cpe};

pub use purl::Purl;
