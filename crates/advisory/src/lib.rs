//! Advisory parsers: CSAF 2.0 (incl. the VEX profile), OSV 1.x (JSON and YAML) and RustSec's native
//! Markdown-with-TOML format.
//!
//! Owns: the typed document models, the OASIS CSAF mandatory tests (6.1.x) as [`Diagnostic`]s, a flat
//! per-product view of a CSAF product tree, and small serializable summaries. Invariant: no I/O, no
//! panics; every input is bounded by a named limit below before it is trusted.

// FormatError is the workspace-wide error type (format-core); its size is not ours to change.
#![allow(clippy::result_large_err)]

pub mod csaf;
pub mod cvss;
pub mod osv;
pub mod rustsec;

pub use csaf::{parse_csaf, CsafDocument, CsafSummary, ProductEntry};
pub use mdsec_format_core::{Diagnostic, FormatError, Position};
pub use osv::{parse_osv_json, parse_osv_yaml, OsvAdvisory};
pub use rustsec::{parse_rustsec, RustsecAdvisory};

use serde::Serialize;
/// Re-exported: vendor extension points (`database_specific`, CVSS metrics) are `serde_json::Value`.
pub use serde_json;

/// Largest advisory document accepted (CSAF documents of big vendors reach a few MB).
pub const MAX_DOCUMENT_BYTES: usize = 32 * 1024 * 1024;
/// Largest OSV YAML document accepted. YAML is only used for small per-advisory files.
pub const MAX_YAML_BYTES: usize = 4 * 1024 * 1024;
/// Largest RustSec advisory (Markdown with TOML front matter) accepted.
pub const MAX_RUSTSEC_BYTES: usize = 1024 * 1024;
/// Deepest JSON nesting accepted (CSAF branches recurse; 64 leaves room for ~30 branch levels).
pub const MAX_JSON_DEPTH: usize = mdsec_format_core::MAX_JSON_DEPTH;
/// Deepest YAML / TOML nesting accepted (checked on the parsed value).
pub const MAX_NESTING_DEPTH: usize = 64;
/// Deepest CSAF product-tree branch nesting walked.
pub const MAX_BRANCH_DEPTH: usize = 30;
/// Most product entries (branch products, full product names, relationships) in one CSAF document.
pub const MAX_PRODUCTS: usize = 200_000;
/// Most diagnostics kept per document; past that one summary diagnostic says how many were dropped.
pub const MAX_DIAGNOSTICS: usize = 1_000;
/// Most YAML alias (`*name`) uses accepted in one OSV YAML document. OSV never needs them; a small
/// allowance keeps hand-written files working while alias-expansion bombs are rejected outright.
pub const MAX_YAML_ALIASES: usize = 16;

/// Which advisory format a byte string looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AdvisoryFormat {
    Csaf,
    OsvJson,
    OsvYaml,
    Rustsec,
}

/// How far into a document [`detect`] looks.
pub const DETECT_WINDOW: usize = 64 * 1024;

/// Guess the advisory format from the first bytes, without parsing. `None` when it looks like none.
pub fn detect(bytes: &[u8]) -> Option<AdvisoryFormat> {
    let bytes = mdsec_format_core::strip_bom(bytes);
    let head = &bytes[..bytes.len().min(DETECT_WINDOW)];
    let text = String::from_utf8_lossy(head);
    let trimmed = text.trim_start();
    if trimmed.starts_with("```toml") {
        return Some(AdvisoryFormat::Rustsec);
    }
    if trimmed.starts_with('{') {
        if text.contains("\"csaf_version\"") {
            return Some(AdvisoryFormat::Csaf);
        }
        if text.contains("\"id\"")
            && (text.contains("\"modified\"") || text.contains("\"affected\""))
        {
            return Some(AdvisoryFormat::OsvJson);
        }
        return None;
    }
    let has_key = |k: &str| {
        trimmed
            .lines()
            .any(|l| l.strip_prefix(k).is_some_and(|rest| rest.starts_with(':')))
    };
    if has_key("id") && (has_key("modified") || has_key("affected")) {
        return Some(AdvisoryFormat::OsvYaml);
    }
    None
}

/// Any advisory this crate reads.
#[derive(Debug, Clone, PartialEq)]
pub enum Advisory {
    Csaf(Box<CsafDocument>),
    Osv(Box<OsvAdvisory>),
    Rustsec(Box<RustsecAdvisory>),
}

impl Advisory {
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            Advisory::Csaf(d) => &d.diagnostics,
            Advisory::Osv(a) => &a.diagnostics,
            Advisory::Rustsec(a) => &a.diagnostics,
        }
    }
    /// The format's summary as JSON (CSAF: tracking_id, title, cves, products; OSV and RustSec: id,
    /// aliases, affected).
    pub fn summary_json(&self) -> serde_json::Value {
        let v = match self {
            Advisory::Csaf(d) => serde_json::to_value(d.summary()),
            Advisory::Osv(a) => serde_json::to_value(a.summary()),
            Advisory::Rustsec(a) => serde_json::to_value(a.summary()),
        };
        v.unwrap_or(serde_json::Value::Null)
    }
}

/// Detect the format and parse. `name` names the document in errors.
pub fn parse_advisory(name: &str, bytes: &[u8]) -> Result<Advisory, FormatError> {
    let in_file = |e: FormatError| if e.file.is_some() { e } else { e.in_file(name) };
    match detect(bytes) {
        Some(AdvisoryFormat::Csaf) => parse_csaf(name, bytes).map(|d| Advisory::Csaf(Box::new(d))),
        Some(AdvisoryFormat::OsvJson) => parse_osv_json(bytes)
            .map(|a| Advisory::Osv(Box::new(a)))
            .map_err(in_file),
        Some(AdvisoryFormat::OsvYaml) => parse_osv_yaml(bytes)
            .map(|a| Advisory::Osv(Box::new(a)))
            .map_err(in_file),
        Some(AdvisoryFormat::Rustsec) => {
            let text = std::str::from_utf8(mdsec_format_core::strip_bom(bytes)).map_err(|e| {
                let (l, c) = line_col_bytes(bytes, e.valid_up_to());
                in_file(FormatError::at_line(
                    "RustSec advisory is not valid UTF-8",
                    l,
                    c,
                ))
            })?;
            parse_rustsec(name, text).map(|a| Advisory::Rustsec(Box::new(a)))
        }
        None => Err(in_file(FormatError::new(
            "not a recognised advisory (CSAF 2.0, OSV JSON/YAML or RustSec)",
            Position::default(),
        ))),
    }
}

/// One affected package in an OSV or RustSec summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AffectedSummary {
    pub ecosystem: Option<String>,
    pub package: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// OSV ranges: `SEMVER introduced=0 fixed=1.2.3`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
    /// RustSec: semver requirements of patched versions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub patched: Vec<String>,
    /// RustSec: semver requirements of versions never affected.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unaffected: Vec<String>,
}

/// The summary shared by OSV and RustSec advisories.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AdvisorySummary {
    pub id: String,
    pub aliases: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    pub affected: Vec<AffectedSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<String>,
}

/// Push a diagnostic unless the list is full; the overflow is reported once, at the end.
pub(crate) fn push_diag(diags: &mut Vec<Diagnostic>, d: Diagnostic) {
    if diags.len() < MAX_DIAGNOSTICS {
        diags.push(d);
    } else if diags.len() == MAX_DIAGNOSTICS {
        diags.push(Diagnostic::warning(
            "diagnostics-truncated",
            format!("more than {MAX_DIAGNOSTICS} diagnostics; the rest were dropped"),
            Position::default(),
        ));
    }
}

/// Line and column (1-based) of a byte offset in `text`.
pub(crate) fn line_col(text: &str, offset: usize) -> (u64, u64) {
    line_col_bytes(text.as_bytes(), offset)
}

pub(crate) fn line_col_bytes(bytes: &[u8], offset: usize) -> (u64, u64) {
    let offset = offset.min(bytes.len());
    let before = bytes.get(..offset).unwrap_or_default();
    let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let col = before.iter().rev().take_while(|&&b| b != b'\n').count() as u64 + 1;
    (line, col)
}

/// Reject JSON nested deeper than `max_depth`, like `mdsec_format_core::check_json_depth`, but about
/// three times faster: the hot loop tracks only depth and strings, and line/column are computed from
/// the offset only when the limit is hit. (OSV corpora are thousands of files; this pass matters.)
pub(crate) fn check_json_depth_fast(bytes: &[u8], max_depth: usize) -> Result<(), FormatError> {
    let mut depth = 0usize;
    let mut it = bytes.iter().enumerate();
    while let Some((i, &b)) = it.next() {
        match b {
            b'"' => loop {
                match it.next() {
                    Some((_, b'\\')) => {
                        it.next();
                    }
                    Some((_, b'"')) | None => break,
                    _ => {}
                }
            },
            b'[' | b'{' => {
                depth += 1;
                if depth > max_depth {
                    let (line, col) = line_col_bytes(bytes, i);
                    return Err(FormatError::at_line(
                        format!("JSON nested deeper than {max_depth} levels"),
                        line,
                        col,
                    ));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detect_formats() {
        assert_eq!(
            detect(br#"{"document":{"csaf_version":"2.0"}}"#),
            Some(AdvisoryFormat::Csaf)
        );
        assert_eq!(
            detect(br#"{"id":"GO-1","modified":"x"}"#),
            Some(AdvisoryFormat::OsvJson)
        );
        assert_eq!(
            detect(b"id: PYSEC-1\nmodified: x\n"),
            Some(AdvisoryFormat::OsvYaml)
        );
        assert_eq!(
            detect(b"```toml\n[advisory]\n"),
            Some(AdvisoryFormat::Rustsec)
        );
        assert_eq!(detect(b"hello"), None);
        assert_eq!(detect(b""), None);
        assert_eq!(detect(br#"{"a":1}"#), None);
    }

    #[test]
    fn fast_depth_check_agrees_with_format_core() {
        let cases: [&[u8]; 6] = [
            b"[[[[",
            br#"{"a":"[[[[[[[[[["}"#,
            br#"{"a":"\\"}[[[["#,
            br#"["\"[[[[", [[[]]]"#,
            b"",
            b"\n\n  [[[[",
        ];
        for c in cases {
            let a = check_json_depth_fast(c, 3).map_err(|e| e.position);
            let b = mdsec_format_core::check_json_depth(c, 3).map_err(|e| e.position);
            assert_eq!(a, b, "{}", String::from_utf8_lossy(c));
        }
    }

    #[test]
    fn parse_advisory_dispatches() {
        let a = parse_advisory(
            "a.json",
            br#"{"id":"GO-1","modified":"2024-01-01T00:00:00Z","aliases":["CVE-1"]}"#,
        )
        .unwrap();
        assert!(matches!(a, Advisory::Osv(_)));
        assert_eq!(a.summary_json()["aliases"][0], "CVE-1");
        let e = parse_advisory("b.txt", b"hello").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("b.txt: not a recognised advisory"),
            "{e}"
        );
        let e = parse_advisory("c.json", b"{\"id\": 1, \"modified\": 2}").unwrap_err();
        assert!(e.to_string().starts_with("c.json: "), "{e}");
    }

    #[test]
    fn line_col_counts_from_one() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("ab", 99), (1, 3));
    }
}
