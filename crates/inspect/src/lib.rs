//! The front end of `mdsec inspect`: tell what a file is from its content, parse it with the crate
//! that owns the format, and give back one normalised JSON object plus the diagnostics.
//!
//! Owns: detection order (which format wins when markers overlap), the per-kind JSON shape, and the
//! `--strict` rule (a warning or error diagnostic rejects the file). Invariant: no I/O, no panics;
//! every parser keeps its own limits and this crate adds only [`MAX_INPUT_BYTES`] in front of them.

// FormatError is the workspace's shared error type; its size is not this crate's to change.
#![allow(clippy::result_large_err)]

mod content;
mod sniff;

pub use mdsec_format_core::{Diagnostic, FormatError, Position, Severity};
use serde::Serialize;
use serde_json::{Map, Value};
use std::fmt;

/// Largest input inspected: the largest limit of any parser behind it (NVD pages, SBOMs, EPSS).
/// Each parser then applies its own, possibly lower, limit.
pub const MAX_INPUT_BYTES: usize = 256 * 1024 * 1024;
/// Top-level JSON keys remembered for detection; more keys are read but not remembered.
pub const MAX_TOP_LEVEL_KEYS: usize = 1_024;
/// Most diagnostics kept in an [`Inspection`]; past that one warning says how many were dropped.
pub const MAX_DIAGNOSTICS: usize = 1_000;
/// Diagnostics listed in [`Inspection::human_summary`].
pub const SUMMARY_DIAGNOSTICS: usize = 5;

/// What a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Cyclonedx,
    Spdx,
    Csaf,
    Osv,
    Rustsec,
    Nvd,
    Kev,
    Epss,
    Jvn,
    Mds2,
    Ledger,
}

impl Kind {
    pub const ALL: [Kind; 11] = [
        Kind::Cyclonedx,
        Kind::Spdx,
        Kind::Csaf,
        Kind::Osv,
        Kind::Rustsec,
        Kind::Nvd,
        Kind::Kev,
        Kind::Epss,
        Kind::Jvn,
        Kind::Mds2,
        Kind::Ledger,
    ];

    /// The serialised name (`cyclonedx`, `csaf`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Cyclonedx => "cyclonedx",
            Kind::Spdx => "spdx",
            Kind::Csaf => "csaf",
            Kind::Osv => "osv",
            Kind::Rustsec => "rustsec",
            Kind::Nvd => "nvd",
            Kind::Kev => "kev",
            Kind::Epss => "epss",
            Kind::Jvn => "jvn",
            Kind::Mds2 => "mds2",
            Kind::Ledger => "ledger",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed file: its kind, the normalised content (always a JSON object) and what was wrong with it.
#[derive(Debug, Clone, PartialEq)]
pub struct Inspection {
    pub kind: Kind,
    pub content: Value,
    pub diagnostics: Vec<Diagnostic>,
}

/// Tell what `bytes` are without parsing them fully. JSON is syntax-checked to the end (so a
/// malformed document fails here with its line and column); the extension of `file_name` only
/// breaks ties. Errors name `file_name`.
pub fn detect(file_name: &str, bytes: &[u8]) -> Result<Kind, FormatError> {
    sniff::detect(file_name, bytes).map_err(|e| named(e, file_name))
}

/// Detect the kind of `bytes` by content, parse them and normalise the result.
/// `file_name` names the file in errors and breaks detection ties by extension. With `strict`, any
/// diagnostic of severity warning or error rejects the file; the error names the file and the place.
pub fn inspect(file_name: &str, bytes: &[u8], strict: bool) -> Result<Inspection, FormatError> {
    let kind = detect(file_name, bytes)?;
    let (content, mut diagnostics) = content::parse(kind, file_name, bytes).map_err(|mut e| {
        // Text that matched no other format is tried as a ledger CSV; if that fails too, say so,
        // or a stray Markdown file would be reported as a ledger without a header row.
        if kind == Kind::Ledger && !sniff::is_container(bytes) {
            e.message = format!(
                "not a recognised format (SBOM, advisory, feed, MDS2 form); read as a device-ledger CSV: {}",
                e.message
            );
        }
        named(e, file_name)
    })?;
    cap(&mut diagnostics);
    if strict {
        let mut serious = diagnostics
            .iter()
            .filter(|d| d.severity >= Severity::Warning);
        if let Some(d) = serious.next() {
            let more = serious.count();
            let suffix = if more > 0 {
                format!(" (and {more} more)")
            } else {
                String::new()
            };
            return Err(FormatError::new(
                format!(
                    "strict: {} [{}] {}{suffix}",
                    severity_word(d.severity),
                    d.code,
                    d.message
                ),
                d.position.clone(),
            )
            .in_file(file_name));
        }
    }
    Ok(Inspection {
        kind,
        content,
        diagnostics,
    })
}

fn named(e: FormatError, file_name: &str) -> FormatError {
    if e.file.is_some() {
        e
    } else {
        e.in_file(file_name)
    }
}

fn cap(diags: &mut Vec<Diagnostic>) {
    if diags.len() > MAX_DIAGNOSTICS {
        let dropped = diags.len() - MAX_DIAGNOSTICS;
        diags.truncate(MAX_DIAGNOSTICS);
        diags.push(Diagnostic::warning(
            "diagnostics-truncated",
            format!("{dropped} more diagnostics not shown"),
            Position::default(),
        ));
    }
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Info => "info",
        Severity::Warning => "warning",
        Severity::Error => "error",
    }
}

impl Inspection {
    /// One object: `"kind"`, the normalised content's fields, then `"diagnostics"`.
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("kind".into(), Value::String(self.kind.as_str().into()));
        if let Value::Object(fields) = &self.content {
            for (k, v) in fields {
                if k != "kind" && k != "diagnostics" {
                    out.insert(k.clone(), v.clone());
                }
            }
        }
        out.insert(
            "diagnostics".into(),
            serde_json::to_value(&self.diagnostics).unwrap_or(Value::Array(Vec::new())),
        );
        Value::Object(out)
    }

    /// A few lines for people: what the file is, how much is in it, and the first diagnostics.
    pub fn human_summary(&self) -> String {
        let c = &self.content;
        let s = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or("?").to_string();
        let n = |k: &str| c.get(k).and_then(Value::as_array).map_or(0, Vec::len);
        let mut lines = vec![match self.kind {
            Kind::Cyclonedx | Kind::Spdx => format!(
                "{} SBOM ({} {}){}: {} components, {} vulnerabilities",
                self.kind,
                s("format"),
                s("spec_version"),
                c.get("name")
                    .and_then(Value::as_str)
                    .map(|n| format!(" \"{n}\""))
                    .unwrap_or_default(),
                n("components"),
                n("vulnerabilities")
            ),
            Kind::Csaf => format!(
                "CSAF {} ({}) \"{}\": {} CVEs, {} products",
                s("tracking_id"),
                s("category"),
                s("title"),
                n("cves"),
                n("products")
            ),
            Kind::Osv | Kind::Rustsec => {
                let aliases: Vec<&str> = c
                    .get("aliases")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                format!(
                    "{} advisory {}{}: {} affected packages",
                    if self.kind == Kind::Osv {
                        "OSV"
                    } else {
                        "RustSec"
                    },
                    s("id"),
                    if aliases.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", aliases.join(", "))
                    },
                    n("affected")
                )
            }
            Kind::Nvd => format!("NVD CVE records: {}", n("vulnerabilities")),
            Kind::Kev => format!(
                "CISA KEV catalog {}: {} vulnerabilities",
                c.get("catalog_version")
                    .and_then(Value::as_str)
                    .unwrap_or("(CSV)"),
                n("vulnerabilities")
            ),
            Kind::Epss => format!(
                "EPSS scores (model {}, {}): {} rows",
                s("model_version"),
                s("score_date"),
                n("rows")
            ),
            Kind::Jvn => format!(
                "JVN iPedia ({}): {} entries",
                c.get("method").and_then(Value::as_str).unwrap_or("?"),
                n("entries")
            ),
            Kind::Mds2 => format!(
                "MDS2 form ({}, sheet \"{}\"): {} answers, {} profile fields known",
                s("edition"),
                s("sheet"),
                n("answers"),
                c.get("known_fields").and_then(Value::as_u64).unwrap_or(0)
            ),
            Kind::Ledger => format!(
                "device ledger (header at row {}): {} rows, {} rejected",
                c.get("header_row").and_then(Value::as_u64).unwrap_or(0),
                n("rows"),
                n("rejected")
            ),
        }];
        let count = |sev: Severity| {
            self.diagnostics
                .iter()
                .filter(|d| d.severity == sev)
                .count()
        };
        if self.diagnostics.is_empty() {
            lines.push("no diagnostics".into());
        } else {
            lines.push(format!(
                "{} diagnostics ({} errors, {} warnings, {} info)",
                self.diagnostics.len(),
                count(Severity::Error),
                count(Severity::Warning),
                count(Severity::Info)
            ));
            for d in self.diagnostics.iter().take(SUMMARY_DIAGNOSTICS) {
                lines.push(format!("  {d}"));
            }
            if self.diagnostics.len() > SUMMARY_DIAGNOSTICS {
                lines.push(format!(
                    "  … {} more",
                    self.diagnostics.len() - SUMMARY_DIAGNOSTICS
                ));
            }
        }
        lines.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_serialise_lowercase() {
        for k in Kind::ALL {
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
    }

    #[test]
    fn to_json_flattens_content() {
        let i = Inspection {
            kind: Kind::Epss,
            content: serde_json::json!({"rows": [], "kind": "x", "diagnostics": 3}),
            diagnostics: vec![Diagnostic::warning("w", "m", Position::row(2))],
        };
        let j = i.to_json();
        assert_eq!(j["kind"], "epss");
        assert_eq!(j["rows"], serde_json::json!([]));
        assert_eq!(j["diagnostics"][0]["position"]["row"], 2);
        assert!(i
            .human_summary()
            .contains("1 diagnostics (0 errors, 1 warnings"));
    }

    #[test]
    fn diagnostics_are_capped() {
        let mut d = vec![Diagnostic::error("e", "m", Position::default()); MAX_DIAGNOSTICS + 5];
        cap(&mut d);
        assert_eq!(d.len(), MAX_DIAGNOSTICS + 1);
        assert!(d[MAX_DIAGNOSTICS].message.starts_with("5 more"));
    }
}
