//! CycloneDX 1.2-1.7: JSON via serde into [`raw`] structs, XML via our element tree into the same
//! structs, then one pass that checks the schema rules (as diagnostics) and builds the model.

mod checks;
mod raw;
mod xml_map;

use crate::{Diags, FormatError, Sbom, SbomFormat, MAX_JSON_DEPTH};

/// Supported minor versions of CycloneDX 1.x.
pub const MIN_MINOR: u8 = 2;
pub const MAX_MINOR: u8 = 7;

pub(crate) fn parse_json(bytes: &[u8]) -> Result<Sbom, FormatError> {
    mdsec_format_core::check_json_depth(bytes, MAX_JSON_DEPTH)?;
    let mut unknown: Vec<String> = Vec::new();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let bom: raw::Bom = serde_ignored::deserialize(&mut de, |path| {
        if unknown.len() < crate::MAX_DIAGNOSTICS {
            unknown.push(pointer(&path));
        }
    })
    .map_err(|e| FormatError::from_json(&e))?;
    de.end().map_err(|e| FormatError::from_json(&e))?;

    let mut diags = Diags::default();
    for p in unknown {
        diags.at(
            "cyclonedx-schema",
            format!("unknown property `{}`", last_segment(&p)),
            &p,
        );
    }
    match bom.bom_format.as_deref() {
        Some("CycloneDX") => {}
        Some(other) => diags.at(
            "cyclonedx-schema",
            format!("bomFormat must be `CycloneDX`, not `{other}`"),
            "/bomFormat",
        ),
        None => diags.at(
            "cyclonedx-schema",
            "required property `bomFormat` is missing".into(),
            "",
        ),
    }
    let spec = match bom.spec_version.as_deref() {
        Some(s) => s.to_string(),
        None => {
            diags.at(
                "cyclonedx-schema",
                "required property `specVersion` is missing".into(),
                "",
            );
            String::new()
        }
    };
    checks::build(bom, spec, SbomFormat::CycloneDxJson, diags)
}

pub(crate) fn parse_xml(bytes: &[u8]) -> Result<Sbom, FormatError> {
    let doc = crate::xml::parse(bytes)?;
    let mut diags = Diags::default();
    let (bom, spec) = xml_map::map(&doc, &mut diags)?;
    checks::build(bom, spec, SbomFormat::CycloneDxXml, diags)
}

/// Minor version from `1.N`, if it is one we know.
pub(crate) fn minor(spec: &str) -> Option<u8> {
    let rest = spec.strip_prefix("1.")?;
    let n: u8 = rest.parse().ok()?;
    (MIN_MINOR..=MAX_MINOR).contains(&n).then_some(n)
}

fn pointer(path: &serde_ignored::Path) -> String {
    use serde_ignored::Path;
    // Paths are at most MAX_JSON_DEPTH deep (checked before parsing), so recursion is bounded.
    match path {
        Path::Root => String::new(),
        Path::Seq { parent, index } => format!("{}/{index}", pointer(parent)),
        Path::Map { parent, key } => {
            format!(
                "{}/{}",
                pointer(parent),
                key.replace('~', "~0").replace('/', "~1")
            )
        }
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => pointer(parent),
    }
}

fn last_segment(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

/// `1.N` as a string when it is a supported version.
pub(crate) fn minor_str(s: &str) -> Option<String> {
    minor(s).map(|_| s.to_string())
}
