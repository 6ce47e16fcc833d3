//! OSV schema 1.x (<https://ossf.github.io/osv-schema/>) in JSON and YAML.
//!
//! Vendor extension points (`database_specific`, `ecosystem_specific`) are kept intact as
//! `serde_json::Value`; everything else is typed. Unknown fields are ignored, as the schema allows.

use crate::{
    line_col, push_diag, AdvisorySummary, AffectedSummary, MAX_DOCUMENT_BYTES, MAX_JSON_DEPTH,
    MAX_NESTING_DEPTH, MAX_YAML_ALIASES, MAX_YAML_BYTES,
};
use mdsec_format_core::{check_size, strip_bom, Diagnostic, FormatError, Position};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OsvAdvisory {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_version: Option<String>,
    pub id: String,
    #[serde(default)]
    pub modified: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub aliases: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub related: Vec<String>,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub upstream: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub severity: Vec<OsvSeverity>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub affected: Vec<OsvAffected>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub references: Vec<OsvReference>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub credits: Vec<OsvCredit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<Value>,
    /// Spec violations found while reading (not part of the OSV data).
    #[serde(skip)]
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OsvSeverity {
    #[serde(rename = "type")]
    pub kind: String,
    pub score: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OsvAffected {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<OsvPackage>,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub severity: Vec<OsvSeverity>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub ranges: Vec<OsvRange>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub versions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem_specific: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OsvPackage {
    #[serde(default)]
    pub ecosystem: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OsvRange {
    /// `SEMVER`, `ECOSYSTEM` or `GIT`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub events: Vec<OsvEvent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<Value>,
}

/// One range event; OSV writes each as a single-key object (`{"introduced": "0"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "EventRepr")]
pub enum OsvEvent {
    Introduced(String),
    Fixed(String),
    LastAffected(String),
    Limit(String),
}

/// The wire shape of an event. Decoding through a plain struct (not serde's externally tagged enum)
/// works the same in JSON and YAML, where serde_norway would otherwise expect `!tag` syntax.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventRepr {
    introduced: Option<String>,
    fixed: Option<String>,
    last_affected: Option<String>,
    limit: Option<String>,
}

impl TryFrom<EventRepr> for OsvEvent {
    type Error = String;
    fn try_from(r: EventRepr) -> Result<Self, String> {
        match (r.introduced, r.fixed, r.last_affected, r.limit) {
            (Some(v), None, None, None) => Ok(OsvEvent::Introduced(v)),
            (None, Some(v), None, None) => Ok(OsvEvent::Fixed(v)),
            (None, None, Some(v), None) => Ok(OsvEvent::LastAffected(v)),
            (None, None, None, Some(v)) => Ok(OsvEvent::Limit(v)),
            _ => Err(
                "an event must have exactly one of introduced, fixed, last_affected, limit"
                    .to_string(),
            ),
        }
    }
}

impl OsvEvent {
    pub fn kind(&self) -> &'static str {
        match self {
            OsvEvent::Introduced(_) => "introduced",
            OsvEvent::Fixed(_) => "fixed",
            OsvEvent::LastAffected(_) => "last_affected",
            OsvEvent::Limit(_) => "limit",
        }
    }
    pub fn version(&self) -> &str {
        match self {
            OsvEvent::Introduced(v)
            | OsvEvent::Fixed(v)
            | OsvEvent::LastAffected(v)
            | OsvEvent::Limit(v) => v,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OsvReference {
    #[serde(rename = "type")]
    pub kind: String,
    pub url: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OsvCredit {
    pub name: String,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub contact: Vec<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// Some producers write `"aliases": null`; treat it like an absent list.
fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Parse one OSV advisory in JSON.
pub fn parse_osv_json(bytes: &[u8]) -> Result<OsvAdvisory, FormatError> {
    check_size(bytes.len(), MAX_DOCUMENT_BYTES, "OSV document")?;
    let bytes = strip_bom(bytes);
    crate::check_json_depth_fast(bytes, MAX_JSON_DEPTH)?;
    let mut adv: OsvAdvisory =
        serde_json::from_slice(bytes).map_err(|e| FormatError::from_json(&e))?;
    validate(&mut adv);
    Ok(adv)
}

/// Parse one OSV advisory in YAML (the PyPA advisory database's format).
///
/// YAML is bounded three ways: a size cap ([`MAX_YAML_BYTES`]), a cap on alias uses
/// ([`MAX_YAML_ALIASES`], counted on the token stream before any expansion) and a nesting cap.
pub fn parse_osv_yaml(bytes: &[u8]) -> Result<OsvAdvisory, FormatError> {
    check_size(bytes.len(), MAX_YAML_BYTES, "OSV YAML document")?;
    let bytes = strip_bom(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let (line, col) = line_col(&String::from_utf8_lossy(bytes), e.valid_up_to());
        FormatError::at_line("YAML is not valid UTF-8", line, col)
    })?;
    check_yaml_bounds(text)?;
    let mut adv: OsvAdvisory = serde_norway::from_str(text).map_err(|e| yaml_error(&e))?;
    validate(&mut adv);
    Ok(adv)
}

fn yaml_error(e: &serde_norway::Error) -> FormatError {
    let msg = e.to_string();
    let message = msg.split(" at line ").next().unwrap_or(&msg).to_string();
    match e.location() {
        Some(loc) => FormatError::at_line(
            format!("invalid YAML: {message}"),
            loc.line() as u64,
            loc.column() as u64,
        ),
        None => FormatError::new(format!("invalid YAML: {message}"), Position::default()),
    }
}

/// One pass over the YAML text, outside quoted scalars, comments and block-scalar bodies:
/// - counts alias uses (`*name` where a token may start) and rejects more than [`MAX_YAML_ALIASES`],
///   so an alias-expansion bomb is refused before any expansion happens;
/// - rejects flow collections (`[`, `{`) nested deeper than [`MAX_NESTING_DEPTH`].
///
/// Block nesting is bounded by the deserializer's own recursion limit. The scan errs on the safe side:
/// a mistaken count only matters past the caps, which real OSV files are far below.
fn check_yaml_bounds(text: &str) -> Result<(), FormatError> {
    let mut aliases = 0usize;
    let mut flow_depth = 0usize;
    let mut block_indent: Option<usize> = None;
    for (i, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start_matches(' ').len();
        if let Some(bi) = block_indent {
            if line.trim().is_empty() || indent > bi {
                continue;
            }
            block_indent = None;
        }
        let mut in_single = false;
        let mut in_double = false;
        let mut prev = b' ';
        let bytes = line.as_bytes();
        let at = |j: usize| (i as u64 + 1, j as u64 + 1);
        let mut j = 0;
        while let Some(&b) = bytes.get(j) {
            let quoted = in_single || in_double;
            match b {
                b'\'' if !in_double => in_single = !in_single,
                b'"' if !in_single && prev != b'\\' => in_double = !in_double,
                b'#' if !quoted && prev == b' ' => break,
                b'[' | b'{' if !quoted => {
                    flow_depth += 1;
                    if flow_depth > MAX_NESTING_DEPTH {
                        let (l, c) = at(j);
                        return Err(FormatError::at_line(
                            format!("YAML nested deeper than {MAX_NESTING_DEPTH} levels"),
                            l,
                            c,
                        ));
                    }
                }
                b']' | b'}' if !quoted => flow_depth = flow_depth.saturating_sub(1),
                b'*' if !quoted
                    && matches!(prev, b' ' | b'[' | b'{' | b',' | b'-' | b':')
                    && bytes.get(j + 1).is_some_and(|n| !n.is_ascii_whitespace()) =>
                {
                    aliases += 1;
                    if aliases > MAX_YAML_ALIASES {
                        let (l, c) = at(j);
                        return Err(FormatError::at_line(
                            format!("YAML uses more than {MAX_YAML_ALIASES} aliases; refusing to expand them"),
                            l,
                            c,
                        ));
                    }
                }
                _ => {}
            }
            prev = b;
            j += 1;
        }
        // A plain multi-line flow collection keeps its depth across lines; a block scalar header
        // (`|`, `>`, with chomping indicator) starts a body we skip.
        let t = line.trim_end();
        let header = ["|", ">", "|-", ">-", "|+", ">+"]
            .iter()
            .any(|h| t.ends_with(&format!(" {h}")) || t.ends_with(&format!(":{h}")));
        if !in_single && !in_double && flow_depth == 0 && header {
            block_indent = Some(indent);
        }
    }
    Ok(())
}

/// Schema checks that typed parsing does not already make: required-but-defaulted fields.
fn validate(adv: &mut OsvAdvisory) {
    let mut diags = Vec::new();
    if adv.id.trim().is_empty() {
        push_diag(
            &mut diags,
            Diagnostic::error("osv-schema", "id is empty", Position::path("/id")),
        );
    }
    if adv.modified.is_none() {
        push_diag(
            &mut diags,
            Diagnostic::warning(
                "osv-schema",
                "modified is missing",
                Position::path("/modified"),
            ),
        );
    }
    for (i, a) in adv.affected.iter().enumerate() {
        for (j, r) in a.ranges.iter().enumerate() {
            let path = format!("/affected/{i}/ranges/{j}");
            if !matches!(r.kind.as_str(), "SEMVER" | "ECOSYSTEM" | "GIT") {
                push_diag(
                    &mut diags,
                    Diagnostic::warning(
                        "osv-schema",
                        format!("unknown range type {:?}", r.kind),
                        Position::path(format!("{path}/type")),
                    ),
                );
            }
            if r.kind == "GIT" && r.repo.is_none() {
                push_diag(
                    &mut diags,
                    Diagnostic::warning(
                        "osv-schema",
                        "GIT range without repo",
                        Position::path(path.clone()),
                    ),
                );
            }
            if !r
                .events
                .iter()
                .any(|e| matches!(e, OsvEvent::Introduced(_)))
            {
                push_diag(
                    &mut diags,
                    Diagnostic::warning(
                        "osv-schema",
                        "range has no introduced event",
                        Position::path(format!("{path}/events")),
                    ),
                );
            }
        }
    }
    adv.diagnostics = diags;
}

impl OsvAdvisory {
    pub fn summary(&self) -> AdvisorySummary {
        AdvisorySummary {
            id: self.id.clone(),
            aliases: self.aliases.clone(),
            summary: self.summary.clone(),
            withdrawn: self.withdrawn.clone(),
            affected: self
                .affected
                .iter()
                .map(|a| AffectedSummary {
                    ecosystem: a.package.as_ref().map(|p| p.ecosystem.clone()),
                    package: a.package.as_ref().map(|p| p.name.clone()),
                    purl: a.package.as_ref().and_then(|p| p.purl.clone()),
                    ranges: a
                        .ranges
                        .iter()
                        .map(|r| {
                            let mut s = r.kind.clone();
                            for e in &r.events {
                                s.push(' ');
                                s.push_str(e.kind());
                                s.push('=');
                                s.push_str(e.version());
                            }
                            s
                        })
                        .collect(),
                    versions: a.versions.clone(),
                    ..Default::default()
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_minimal_and_events() {
        let a = parse_osv_json(
            br#"{"id":"X-1","modified":"2024-01-01T00:00:00Z","aliases":null,
            "affected":[{"package":{"ecosystem":"Go","name":"m"},"ranges":[{"type":"SEMVER",
            "events":[{"introduced":"0"},{"fixed":"1.2.3"}]}],"database_specific":{"k":[1,2]}}]}"#,
        )
        .unwrap();
        assert_eq!(a.id, "X-1");
        assert!(a.aliases.is_empty());
        assert_eq!(
            a.affected[0].ranges[0].events[1],
            OsvEvent::Fixed("1.2.3".into())
        );
        assert_eq!(a.affected[0].database_specific.as_ref().unwrap()["k"][1], 2);
        assert_eq!(
            a.summary().affected[0].ranges[0],
            "SEMVER introduced=0 fixed=1.2.3"
        );
        assert!(a.diagnostics.is_empty());
    }

    #[test]
    fn json_errors_name_the_line() {
        let e = parse_osv_json(b"{\n\"id\": 5}").unwrap_err();
        assert_eq!(e.position.line, Some(2));
        let e = parse_osv_json(b"{\"modified\":\"x\"}").unwrap_err();
        assert!(e.message.contains("id"), "{e}");
        let e = parse_osv_json(&[b'['; 200]).unwrap_err();
        assert!(e.message.contains("nested"));
    }

    #[test]
    fn yaml_alias_bomb_is_rejected_quickly() {
        let mut bomb = String::from("id: X\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
        for w in names.windows(2) {
            bomb.push_str(&format!(
                "{}: &{} [*{},*{},*{},*{},*{},*{},*{},*{},*{}]\n",
                w[1], w[1], w[0], w[0], w[0], w[0], w[0], w[0], w[0], w[0], w[0]
            ));
        }
        let t = std::time::Instant::now();
        let e = parse_osv_yaml(bomb.as_bytes()).unwrap_err();
        assert!(e.message.contains("aliases"), "{e}");
        assert!(t.elapsed().as_secs() < 2);
    }

    #[test]
    fn yaml_deep_block_nesting_is_bounded() {
        let mut mapping = String::from("id: X\n");
        for d in 0..2_000 {
            mapping.push_str(&" ".repeat(d));
            mapping.push_str("k:\n");
        }
        let seq = format!("id: X\nv: {}x\n", "- ".repeat(50_000));
        for doc in [mapping, seq] {
            // Either rejected by a recursion bound or read; never a stack overflow.
            if let Err(e) = parse_osv_yaml(doc.as_bytes()) {
                assert!(
                    e.position.line.is_some() || e.message.contains("recursion"),
                    "{e}"
                );
            }
        }
    }

    #[test]
    fn yaml_block_scalar_stars_are_not_aliases() {
        let doc = "id: X\nmodified: '2024'\ndetails: |\n  *bold* *a *b *c *d *e *f *g *h *i *j *k *l *m *n *o *p *q *r *s\n  more *x\n";
        let a = parse_osv_yaml(doc.as_bytes()).unwrap();
        assert!(a.details.unwrap().starts_with("*bold*"));
    }

    #[test]
    fn yaml_errors_and_depth() {
        let e = parse_osv_yaml(b"id: X\naffected: [\n").unwrap_err();
        assert!(e.position.line.is_some(), "{e}");
        let deep = format!("id: X\na: {}", "[".repeat(200));
        // Brackets inside quotes and block scalars are text, not nesting.
        let text = format!(
            "id: X\nmodified: '{}'\ndetails: |\n  {}\n",
            "[".repeat(200),
            "{".repeat(200)
        );
        assert_eq!(
            parse_osv_yaml(text.as_bytes())
                .unwrap()
                .details
                .unwrap()
                .len(),
            201
        );
        assert!(parse_osv_yaml(deep.as_bytes())
            .unwrap_err()
            .message
            .contains("nested"));
        let big = vec![b' '; MAX_YAML_BYTES + 1];
        assert!(parse_osv_yaml(&big)
            .unwrap_err()
            .message
            .contains("over the limit"));
    }
}
