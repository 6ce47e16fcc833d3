//! Advisory parsers: CSAF 2.0 (incl. VEX), OSV (JSON, YAML) and RustSec.
