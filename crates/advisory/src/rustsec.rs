//! RustSec advisory-db native format: a ```` ```toml ```` fenced front matter (`[advisory]`,
//! `[affected]`, `[versions]`) followed by Markdown whose first `# ` heading is the title.

use crate::{line_col, AdvisorySummary, AffectedSummary, MAX_NESTING_DEPTH, MAX_RUSTSEC_BYTES};
use mdsec_format_core::{check_size, Diagnostic, FormatError, Position};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RustsecAdvisory {
    pub advisory: RustsecMeta,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affected: Option<RustsecAffected>,
    #[serde(default)]
    pub versions: RustsecVersions,
    /// First `# ` heading of the Markdown body.
    #[serde(skip_deserializing)]
    pub title: String,
    /// Markdown after the title.
    #[serde(skip_deserializing)]
    pub description: String,
    #[serde(skip)]
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RustsecMeta {
    pub id: String,
    pub package: String,
    pub date: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub related: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss: Option<String>,
    /// `unmaintained`, `unsound`, `notice`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub informational: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// Where the advisory was sourced from (`crates.io` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RustsecAffected {
    #[serde(default)]
    pub arch: Vec<String>,
    #[serde(default)]
    pub os: Vec<String>,
    /// Fully qualified path → semver requirements of the affected versions of that function.
    #[serde(default)]
    pub functions: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RustsecVersions {
    #[serde(default)]
    pub patched: Vec<String>,
    #[serde(default)]
    pub unaffected: Vec<String>,
}

const FENCE_OPEN: &str = "```toml";
const FENCE_CLOSE: &str = "```";

/// Parse a RustSec advisory (`crates/<name>/RUSTSEC-YYYY-NNNN.md`). `name` is used in errors.
pub fn parse_rustsec(name: &str, text: &str) -> Result<RustsecAdvisory, FormatError> {
    check_size(text.len(), MAX_RUSTSEC_BYTES, "RustSec advisory").map_err(|e| e.in_file(name))?;
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lead = body.len() - body.trim_start().len();
    let rest = body.trim_start();
    let Some(after_open) = rest.strip_prefix(FENCE_OPEN) else {
        let (l, c) = line_col(text, text.len() - rest.len());
        return Err(
            FormatError::at_line("expected a ```toml front matter block", l, c).in_file(name),
        );
    };
    // The TOML starts after the opening fence's line end.
    let Some(nl) = after_open.find('\n') else {
        return Err(FormatError::at_line("front matter block is not closed", 1, 1).in_file(name));
    };
    let toml_start = (text.len() - body.len()) + lead + FENCE_OPEN.len() + nl + 1;
    let toml_and_rest = text.get(toml_start..).unwrap_or_default();
    // Closing fence: a line that is exactly ``` (optionally with trailing whitespace / CR).
    let mut close = None;
    let mut off = 0usize;
    for line in toml_and_rest.split_inclusive('\n') {
        if line.trim_end() == FENCE_CLOSE {
            close = Some((off, off + line.len()));
            break;
        }
        off += line.len();
    }
    let Some((toml_end, md_start)) = close else {
        let (l, c) = line_col(text, toml_start);
        return Err(
            FormatError::at_line("front matter block is not closed with ```", l, c).in_file(name),
        );
    };
    let toml_text = toml_and_rest.get(..toml_end).unwrap_or_default();
    check_toml_depth(toml_text).map_err(|(o, m)| {
        let (l, c) = line_col(text, toml_start + o);
        FormatError::at_line(m, l, c).in_file(name)
    })?;
    let mut adv: RustsecAdvisory = toml::from_str(toml_text).map_err(|e| {
        let (l, c) = line_col(text, toml_start + e.span().map(|s| s.start).unwrap_or(0));
        FormatError::at_line(format!("invalid TOML front matter: {}", e.message()), l, c)
            .in_file(name)
    })?;
    let markdown = toml_and_rest.get(md_start..).unwrap_or_default();
    let (title, description) = split_title(markdown);
    adv.title = title;
    adv.description = description;
    let mut diags = Vec::new();
    if adv.title.is_empty() {
        diags.push(Diagnostic::warning(
            "rustsec-title",
            "no `# ` title after the front matter",
            Position::default(),
        ));
    }
    if !adv.advisory.id.starts_with("RUSTSEC-") && !adv.advisory.id.starts_with("CVE-") {
        diags.push(Diagnostic::warning(
            "rustsec-id",
            format!("unexpected advisory id {:?}", adv.advisory.id),
            Position::path("advisory.id"),
        ));
    }
    adv.diagnostics = diags;
    Ok(adv)
}

/// TOML arrays and inline tables can nest; bound them before the recursive parser sees them.
fn check_toml_depth(text: &str) -> Result<(), (usize, String)> {
    let mut depth = 0usize;
    let mut in_str: Option<u8> = None;
    let mut prev = 0u8;
    let mut in_comment = false;
    for (i, b) in text.bytes().enumerate() {
        if b == b'\n' {
            in_comment = false;
            // Single-line strings end at the line end; a multi-line string only risks a miscount.
            in_str = None;
        }
        if in_comment {
            continue;
        }
        match in_str {
            Some(q) => {
                if b == q && !(q == b'"' && prev == b'\\') {
                    in_str = None;
                }
            }
            None => match b {
                b'"' | b'\'' => in_str = Some(b),
                b'#' => in_comment = true,
                b'[' | b'{' => {
                    depth += 1;
                    if depth > MAX_NESTING_DEPTH {
                        return Err((
                            i,
                            format!("TOML nested deeper than {MAX_NESTING_DEPTH} levels"),
                        ));
                    }
                }
                b']' | b'}' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
        prev = if prev == b'\\' && b == b'\\' { 0 } else { b };
    }
    Ok(())
}

fn split_title(markdown: &str) -> (String, String) {
    let md = markdown.trim_start();
    for (i, line) in md.split_inclusive('\n').enumerate() {
        if let Some(t) = line.strip_prefix("# ") {
            let consumed: usize = md.split_inclusive('\n').take(i + 1).map(str::len).sum();
            let rest = md.get(consumed..).unwrap_or_default();
            return (t.trim().to_string(), rest.trim().to_string());
        }
    }
    (String::new(), md.trim().to_string())
}

impl RustsecAdvisory {
    pub fn summary(&self) -> AdvisorySummary {
        AdvisorySummary {
            id: self.advisory.id.clone(),
            aliases: self.advisory.aliases.clone(),
            summary: (!self.title.is_empty()).then(|| self.title.clone()),
            withdrawn: self.advisory.withdrawn.clone(),
            affected: vec![AffectedSummary {
                ecosystem: Some("crates.io".to_string()),
                package: Some(self.advisory.package.clone()),
                purl: Some(format!("pkg:cargo/{}", self.advisory.package)),
                patched: self.versions.patched.clone(),
                unaffected: self.versions.unaffected.clone(),
                ..Default::default()
            }],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "```toml\n[advisory]\nid = \"RUSTSEC-2099-0001\"\npackage = \"x-y\"\ndate = \"2099-01-02\"\n\
        aliases = [\"CVE-2099-1\"]\n\n[affected.functions]\n\"x_y::f\" = [\"< 1.2\"]\n\n[versions]\npatched = [\">= 1.2\"]\n```\n\n\
        # Title here\n\nBody *text*.\n";

    #[test]
    fn parses_front_matter_and_markdown() {
        let a = parse_rustsec("t.md", DOC).unwrap();
        assert_eq!(a.advisory.id, "RUSTSEC-2099-0001");
        assert_eq!(a.advisory.aliases, ["CVE-2099-1"]);
        assert_eq!(a.affected.as_ref().unwrap().functions["x_y::f"], ["< 1.2"]);
        assert_eq!(a.versions.patched, [">= 1.2"]);
        assert_eq!(a.title, "Title here");
        assert_eq!(a.description, "Body *text*.");
        let s = a.summary();
        assert_eq!(s.affected[0].package.as_deref(), Some("x-y"));
    }

    #[test]
    fn errors_name_the_line() {
        let bad = DOC.replace("package = \"x-y\"", "package = x-y");
        let e = parse_rustsec("t.md", &bad).unwrap_err();
        assert_eq!(e.position.line, Some(4), "{e}");
        assert!(e.to_string().starts_with("t.md: "));
        let e = parse_rustsec("t.md", "# no front matter").unwrap_err();
        assert!(e.message.contains("front matter"));
        let e = parse_rustsec("t.md", "```toml\n[advisory]\n").unwrap_err();
        assert!(e.message.contains("not closed"));
        let deep = format!("```toml\na = {}\n```\n", "[".repeat(500));
        assert!(parse_rustsec("t.md", &deep)
            .unwrap_err()
            .message
            .contains("nested"));
    }
}

#[cfg(test)]
mod deep_keys {
    #[test]
    fn deep_dotted_keys_do_not_overflow() {
        let keys = vec!["a"; 100_000].join(".");
        let head = "```toml\n[advisory]\nid = \"RUSTSEC-2099-0001\"\npackage = \"p\"\ndate = \"2099-01-01\"\n";
        for doc in [
            format!("{head}{keys} = 1\n```\n"),
            format!("{head}[{keys}]\n```\n"),
        ] {
            // Unknown deep tables are either ignored or rejected by the nesting bound; no stack overflow.
            match super::parse_rustsec("deep.md", &doc) {
                Ok(a) => assert_eq!(a.advisory.package, "p"),
                Err(e) => assert!(
                    e.message.contains("nested") || e.message.contains("recursion"),
                    "{e}"
                ),
            }
        }
    }
}
