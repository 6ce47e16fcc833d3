//! SBOM parsers: CycloneDX 1.2-1.7 (JSON, XML), SPDX 2.2/2.3 (JSON, tag-value), SPDX 3.0 (JSON-LD).
//!
//! Owns: the format-neutral [`Sbom`] model (components flattened with a parent index, dependency
//! graph, VDR/VEX vulnerabilities), format detection ([`detect`]) and the bounded parsers behind
//! [`parse_sbom`]. Invariants: no I/O, never panics, every limit is a named constant below; spec
//! violations we can read past become [`Diagnostic`]s, and `strict` turns them into rejection.

// FormatError (mdsec-format-core) is large by design; boxing it here alone would not help callers.
#![allow(clippy::result_large_err)]

mod cyclonedx;
mod spdx3;
mod spdx_json;
mod spdx_tv;
mod xml;

pub use mdsec_format_core::{Diagnostic, FormatError, Position, Severity};
use serde::Serialize;

/// Largest document accepted (bytes).
pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024 * 1024;
/// Most components (including nested ones, SPDX packages and files) in one document.
pub const MAX_COMPONENTS: usize = 1_000_000;
/// Deepest JSON nesting accepted; checked before serde sees the bytes.
pub const MAX_JSON_DEPTH: usize = 64;
/// Deepest XML element nesting accepted.
pub const MAX_XML_DEPTH: usize = 64;
/// Most XML elements in one document (the XML reader builds a tree).
pub const MAX_XML_ELEMENTS: usize = 10_000_000;
/// Most attributes on one XML element, namespace declarations included.
pub const MAX_XML_ATTRIBUTES: usize = 1_000;
/// Longest string accepted, in bytes: XML text and attributes beyond it are rejected, SPDX
/// tag-value `<text>` blocks too; over-long CycloneDX JSON names, descriptions and expressions are
/// diagnostics (every other JSON string is bounded by [`MAX_DOCUMENT_BYTES`]).
pub const MAX_STRING: usize = 16 * 1024 * 1024;
/// Most diagnostics kept per document; the rest are counted in one final diagnostic.
pub const MAX_DIAGNOSTICS: usize = 1_000;
/// Most lines in an SPDX tag-value document.
pub const MAX_TV_LINES: usize = 50_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SbomFormat {
    #[serde(rename = "cyclonedx-json")]
    CycloneDxJson,
    #[serde(rename = "cyclonedx-xml")]
    CycloneDxXml,
    #[serde(rename = "spdx-json")]
    SpdxJson,
    #[serde(rename = "spdx-tag-value")]
    SpdxTagValue,
    /// SPDX 3.0 JSON-LD.
    #[serde(rename = "spdx3-json-ld")]
    Spdx3JsonLd,
}

/// A parsed SBOM, whatever the source format.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sbom {
    pub format: SbomFormat,
    /// `1.6` for CycloneDX, `SPDX-2.3` / `SPDX-3.0.1` for SPDX.
    pub spec_version: String,
    /// Document name: CycloneDX `metadata.component.name`, SPDX `name`.
    pub name: Option<String>,
    /// CycloneDX `serialNumber`, SPDX `documentNamespace`.
    pub serial_number: Option<String>,
    pub metadata: Metadata,
    /// All components, nested ones flattened; `parent` indexes into this list.
    pub components: Vec<Component>,
    pub dependencies: Vec<Dependency>,
    /// SPDX relationships as read (CycloneDX has none; its graph is `dependencies`).
    pub relationships: Vec<Relationship>,
    pub vulnerabilities: Vec<Vulnerability>,
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Metadata {
    pub timestamp: Option<String>,
    /// The thing the SBOM describes (CycloneDX `metadata.component`).
    pub component: Option<Box<Component>>,
    pub supplier: Option<String>,
    pub manufacturer: Option<String>,
    pub authors: Vec<String>,
    /// SPDX creators, CycloneDX tool names.
    pub tools: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Component {
    /// CycloneDX `bom-ref`, SPDX `SPDXID`.
    pub bom_ref: Option<String>,
    pub name: String,
    pub version: Option<String>,
    pub group: Option<String>,
    pub purl: Option<String>,
    pub cpe: Option<String>,
    /// CycloneDX `type` (`library`, `device`, …); SPDX `package` or `file`.
    pub component_type: Option<String>,
    pub supplier: Option<String>,
    pub manufacturer: Option<String>,
    pub publisher: Option<String>,
    pub author: Option<String>,
    pub description: Option<String>,
    pub scope: Option<String>,
    pub hashes: Vec<Hash>,
    pub licenses: Vec<License>,
    pub external_references: Vec<ExternalReference>,
    pub properties: Vec<Property>,
    /// Index of the enclosing component in [`Sbom::components`].
    pub parent: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hash {
    pub alg: String,
    pub content: String,
}

/// One license entry: an SPDX id, a free-text name, or an SPDX expression.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct License {
    pub id: Option<String>,
    pub name: Option<String>,
    pub expression: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExternalReference {
    #[serde(rename = "type")]
    pub ref_type: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Property {
    pub name: String,
    pub value: Option<String>,
}

/// `reference` depends on each of `depends_on` (all are bom-refs / SPDXIDs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dependency {
    pub reference: String,
    pub depends_on: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Relationship {
    pub from: String,
    pub kind: String,
    pub to: String,
}

/// A CycloneDX vulnerability (VDR) with its VEX analysis.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Vulnerability {
    pub bom_ref: Option<String>,
    pub id: Option<String>,
    pub source: Option<VulnSource>,
    pub ratings: Vec<Rating>,
    pub cwes: Vec<u32>,
    pub description: Option<String>,
    pub affects: Vec<Affect>,
    pub analysis: Option<Analysis>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VulnSource {
    pub name: Option<String>,
    pub url: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Rating {
    pub source: Option<VulnSource>,
    pub score: Option<f64>,
    pub severity: Option<String>,
    pub method: Option<String>,
    pub vector: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Affect {
    /// bom-ref of the affected component or service.
    pub reference: String,
    pub versions: Vec<AffectedVersion>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AffectedVersion {
    pub version: Option<String>,
    pub range: Option<String>,
    pub status: Option<String>,
}

/// VEX analysis: `state` is e.g. `not_affected`, `justification` e.g. `code_not_reachable`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Analysis {
    pub state: Option<String>,
    pub justification: Option<String>,
    pub response: Vec<String>,
    pub detail: Option<String>,
}

impl Sbom {
    pub(crate) fn empty(format: SbomFormat) -> Self {
        Sbom {
            format,
            spec_version: String::new(),
            name: None,
            serial_number: None,
            metadata: Metadata::default(),
            components: Vec::new(),
            dependencies: Vec::new(),
            relationships: Vec::new(),
            vulnerabilities: Vec::new(),
            diagnostics: Vec::new(),
        }
    }
}

/// Guess the format: JSON with `bomFormat` → CycloneDX JSON, JSON with `spdxVersion` → SPDX 2 JSON,
/// JSON-LD with the SPDX 3 `@context` → SPDX 3, XML in the CycloneDX namespace → CycloneDX XML,
/// a `SPDXVersion:` line → SPDX tag-value. Looks at the first 64 KiB first, then the whole input.
pub fn detect(bytes: &[u8]) -> Option<SbomFormat> {
    let bytes = mdsec_format_core::strip_bom(bytes);
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace())?;
    let body = bytes.get(start..)?;
    // Only look at a prefix: detection must stay cheap on large documents.
    let head = body.get(..body.len().min(64 * 1024)).unwrap_or(body);
    match body.first()? {
        b'{' => {
            // CycloneDX JSON must carry `bomFormat`; SPDX 2 carries `spdxVersion`; SPDX 3 is
            // JSON-LD with an `@context` (it also has a `specVersion`, so look for it first).
            let spdx2 = |b: &[u8]| contains(b, b"\"spdxVersion\"");
            let spdx3 = |b: &[u8]| contains(b, b"\"@context\"") && contains(b, b"spdx.org/rdf/3");
            let cdx = |b: &[u8]| contains(b, b"\"bomFormat\"");
            if spdx2(head) {
                Some(SbomFormat::SpdxJson)
            } else if spdx3(head) {
                Some(SbomFormat::Spdx3JsonLd)
            } else if cdx(head) {
                Some(SbomFormat::CycloneDxJson)
            } else if spdx2(body) {
                Some(SbomFormat::SpdxJson)
            } else if spdx3(body) {
                Some(SbomFormat::Spdx3JsonLd)
            } else if cdx(body) || contains(head, b"\"specVersion\"") {
                Some(SbomFormat::CycloneDxJson)
            } else {
                None
            }
        }
        b'<' => contains(head, b"cyclonedx.org/schema/bom").then_some(SbomFormat::CycloneDxXml),
        _ => {
            let tv = head
                .split(|&b| b == b'\n')
                .map(|l| l.trim_ascii())
                .any(|l| l.starts_with(b"SPDXVersion:"));
            tv.then_some(SbomFormat::SpdxTagValue)
        }
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Parse any supported SBOM. `file_name` is only used to name the file in errors.
/// With `strict`, any diagnostic rejects the document (the first one becomes the error).
pub fn parse_sbom(file_name: &str, bytes: &[u8], strict: bool) -> Result<Sbom, FormatError> {
    parse_inner(bytes, strict).map_err(|e| e.in_file(file_name))
}

fn parse_inner(bytes: &[u8], strict: bool) -> Result<Sbom, FormatError> {
    mdsec_format_core::check_size(bytes.len(), MAX_DOCUMENT_BYTES, "SBOM")?;
    let bytes = mdsec_format_core::strip_bom(bytes);
    let format = detect(bytes).ok_or_else(|| {
        FormatError::new(
            "not a recognised SBOM (expected CycloneDX JSON/XML, SPDX 2 JSON/tag-value or SPDX 3 JSON-LD)",
            Position::default(),
        )
    })?;
    let sbom = match format {
        SbomFormat::CycloneDxJson => cyclonedx::parse_json(bytes)?,
        SbomFormat::CycloneDxXml => cyclonedx::parse_xml(bytes)?,
        SbomFormat::SpdxJson => spdx_json::parse(bytes)?,
        SbomFormat::SpdxTagValue => spdx_tv::parse(bytes)?,
        SbomFormat::Spdx3JsonLd => spdx3::parse(bytes)?,
    };
    finish(sbom, strict)
}

/// Parse CycloneDX JSON only.
pub fn parse_cyclonedx_json(bytes: &[u8], strict: bool) -> Result<Sbom, FormatError> {
    mdsec_format_core::check_size(bytes.len(), MAX_DOCUMENT_BYTES, "SBOM")?;
    finish(
        cyclonedx::parse_json(mdsec_format_core::strip_bom(bytes))?,
        strict,
    )
}

/// Parse CycloneDX XML only.
pub fn parse_cyclonedx_xml(bytes: &[u8], strict: bool) -> Result<Sbom, FormatError> {
    mdsec_format_core::check_size(bytes.len(), MAX_DOCUMENT_BYTES, "SBOM")?;
    finish(
        cyclonedx::parse_xml(mdsec_format_core::strip_bom(bytes))?,
        strict,
    )
}

/// Parse SPDX 2.x JSON only.
pub fn parse_spdx_json(bytes: &[u8], strict: bool) -> Result<Sbom, FormatError> {
    mdsec_format_core::check_size(bytes.len(), MAX_DOCUMENT_BYTES, "SBOM")?;
    finish(
        spdx_json::parse(mdsec_format_core::strip_bom(bytes))?,
        strict,
    )
}

/// Parse SPDX 3.0 JSON-LD only.
pub fn parse_spdx3_json(bytes: &[u8], strict: bool) -> Result<Sbom, FormatError> {
    mdsec_format_core::check_size(bytes.len(), MAX_DOCUMENT_BYTES, "SBOM")?;
    finish(spdx3::parse(mdsec_format_core::strip_bom(bytes))?, strict)
}

/// Parse SPDX 2.x tag-value only.
pub fn parse_spdx_tag_value(bytes: &[u8], strict: bool) -> Result<Sbom, FormatError> {
    mdsec_format_core::check_size(bytes.len(), MAX_DOCUMENT_BYTES, "SBOM")?;
    finish(spdx_tv::parse(mdsec_format_core::strip_bom(bytes))?, strict)
}

fn finish(sbom: Sbom, strict: bool) -> Result<Sbom, FormatError> {
    if strict {
        if let Some(d) = sbom.diagnostics.first() {
            let more = sbom.diagnostics.len() - 1;
            let suffix = if more > 0 {
                format!(" (and {more} more)")
            } else {
                String::new()
            };
            return Err(FormatError::new(
                format!("strict: [{}] {}{suffix}", d.code, d.message),
                d.position.clone(),
            ));
        }
    }
    Ok(sbom)
}

/// Collects diagnostics up to [`MAX_DIAGNOSTICS`].
#[derive(Debug, Default)]
pub(crate) struct Diags {
    list: Vec<Diagnostic>,
    dropped: usize,
}

impl Diags {
    pub(crate) fn push(&mut self, code: &str, message: String, position: Position) {
        if self.list.len() < MAX_DIAGNOSTICS {
            self.list.push(Diagnostic::error(code, message, position));
        } else {
            self.dropped += 1;
        }
    }
    pub(crate) fn at(&mut self, code: &str, message: String, path: &str) {
        self.push(code, message, Position::path(path));
    }
    pub(crate) fn into_vec(mut self) -> Vec<Diagnostic> {
        if self.dropped > 0 {
            self.list.push(Diagnostic::warning(
                "diagnostics-truncated",
                format!("{} more diagnostics not shown", self.dropped),
                Position::default(),
            ));
        }
        self.list
    }
}
