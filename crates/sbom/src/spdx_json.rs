//! SPDX 2.2/2.3 JSON. The tag-value reader fills the same [`Doc`], so conversion to the model and
//! the required-field checks exist once ([`convert`]).

use crate::{
    Component, Dependency, Diags, ExternalReference, FormatError, Hash, License, Position,
    Relationship, Sbom, SbomFormat, MAX_COMPONENTS, MAX_JSON_DEPTH,
};
use serde::Deserialize;

const CODE: &str = "spdx-schema";

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Doc {
    pub spdx_version: Option<String>,
    #[serde(rename = "SPDXID")]
    pub spdx_id: Option<String>,
    pub name: Option<String>,
    pub document_namespace: Option<String>,
    pub data_license: Option<String>,
    pub creation_info: Option<CreationInfo>,
    #[serde(default)]
    pub packages: Vec<Package>,
    #[serde(default)]
    pub files: Vec<File>,
    #[serde(default)]
    pub relationships: Vec<Rel>,
    #[serde(default)]
    pub document_describes: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct CreationInfo {
    pub created: Option<String>,
    #[serde(default)]
    pub creators: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Package {
    #[serde(rename = "SPDXID")]
    pub spdx_id: Option<String>,
    pub name: Option<String>,
    pub version_info: Option<String>,
    pub supplier: Option<String>,
    pub originator: Option<String>,
    pub download_location: Option<String>,
    pub description: Option<String>,
    pub license_concluded: Option<String>,
    pub license_declared: Option<String>,
    pub primary_package_purpose: Option<String>,
    #[serde(default)]
    pub checksums: Vec<Checksum>,
    #[serde(default)]
    pub external_refs: Vec<ExternalRef>,
    /// Line (tag-value) of the package, for diagnostics.
    #[serde(skip)]
    pub line: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct File {
    #[serde(rename = "SPDXID")]
    pub spdx_id: Option<String>,
    pub file_name: Option<String>,
    #[serde(default)]
    pub checksums: Vec<Checksum>,
    pub license_concluded: Option<String>,
    #[serde(skip)]
    pub line: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Checksum {
    pub algorithm: Option<String>,
    pub checksum_value: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ExternalRef {
    pub reference_type: Option<String>,
    pub reference_locator: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Rel {
    pub spdx_element_id: Option<String>,
    pub relationship_type: Option<String>,
    pub related_spdx_element: Option<String>,
    #[serde(skip)]
    pub line: Option<u64>,
}

pub(crate) fn parse(bytes: &[u8]) -> Result<Sbom, FormatError> {
    mdsec_format_core::check_json_depth(bytes, MAX_JSON_DEPTH)?;
    let doc: Doc = serde_json::from_slice(bytes).map_err(|e| FormatError::from_json(&e))?;
    convert(doc, SbomFormat::SpdxJson, Diags::default())
}

fn place(line: Option<u64>, path: String) -> Position {
    match line {
        Some(l) => Position {
            line: Some(l),
            ..Default::default()
        },
        None => Position::path(path),
    }
}

/// Strip the `Organization: ` / `Person: ` / `Tool: ` prefix of an SPDX actor; NOASSERTION is none.
fn actor(s: Option<String>) -> Option<String> {
    let s = s?;
    let t = s.trim();
    if t.is_empty() || t == "NOASSERTION" {
        return None;
    }
    let name = ["Organization:", "Person:", "Tool:"]
        .iter()
        .find_map(|p| t.strip_prefix(p))
        .unwrap_or(t)
        .trim();
    Some(name.to_string())
}

fn license(expr: Option<&str>) -> Option<License> {
    let e = expr?.trim();
    if e.is_empty() || e == "NOASSERTION" || e == "NONE" {
        return None;
    }
    if spdx::license_id(e).is_some() {
        Some(License {
            id: Some(e.to_string()),
            ..Default::default()
        })
    } else {
        Some(License {
            expression: Some(e.to_string()),
            ..Default::default()
        })
    }
}

pub(crate) fn convert(doc: Doc, format: SbomFormat, mut diags: Diags) -> Result<Sbom, FormatError> {
    let mut sbom = Sbom::empty(format);
    match doc.spdx_version.as_deref() {
        Some(v @ ("SPDX-2.2" | "SPDX-2.3")) => sbom.spec_version = v.to_string(),
        Some(v) => {
            diags.at(
                CODE,
                format!("unsupported spdxVersion `{v}` (expected SPDX-2.2 or SPDX-2.3)"),
                "/spdxVersion",
            );
            sbom.spec_version = v.to_string();
        }
        None => diags.at(CODE, "required field `spdxVersion` is missing".into(), ""),
    }
    for (v, name) in [
        (&doc.spdx_id, "SPDXID"),
        (&doc.name, "name"),
        (&doc.document_namespace, "documentNamespace"),
        (&doc.data_license, "dataLicense"),
    ] {
        if v.is_none() {
            diags.at(
                CODE,
                format!("required document field `{name}` is missing"),
                "",
            );
        }
    }
    if doc.creation_info.is_none() {
        diags.at(
            CODE,
            "required document field `creationInfo` is missing".into(),
            "",
        );
    }
    if doc.packages.len().saturating_add(doc.files.len()) > MAX_COMPONENTS {
        return Err(FormatError::new(
            format!("more than {MAX_COMPONENTS} packages and files"),
            Position::default(),
        ));
    }
    sbom.name = doc.name;
    sbom.serial_number = doc.document_namespace;
    if let Some(ci) = doc.creation_info {
        sbom.metadata.timestamp = ci.created;
        for c in ci.creators {
            match c.split_once(':') {
                Some(("Tool", t)) => sbom.metadata.tools.push(t.trim().to_string()),
                Some((_, who)) => sbom.metadata.authors.push(who.trim().to_string()),
                None => sbom.metadata.authors.push(c),
            }
        }
    }
    for (i, p) in doc.packages.into_iter().enumerate() {
        let at = |field: &str| place(p.line, format!("/packages/{i}{field}"));
        if p.name.is_none() {
            diags.push(CODE, "package has no name".into(), at(""));
        }
        if p.spdx_id.is_none() {
            diags.push(CODE, "package has no SPDXID".into(), at(""));
        }
        let mut purl = None;
        let mut cpe = None;
        let mut refs = Vec::new();
        for r in p.external_refs {
            let (Some(t), Some(loc)) = (r.reference_type, r.reference_locator) else {
                diags.push(
                    CODE,
                    "external reference needs a type and a locator".into(),
                    at("/externalRefs"),
                );
                continue;
            };
            match t.as_str() {
                "purl" if purl.is_none() => purl = Some(loc),
                "cpe23Type"
                    if cpe
                        .as_ref()
                        .is_none_or(|c: &String| !c.starts_with("cpe:2.3:")) =>
                {
                    cpe = Some(loc)
                }
                "cpe22Type" if cpe.is_none() => cpe = Some(loc),
                _ => refs.push(ExternalReference {
                    ref_type: t,
                    url: loc,
                }),
            }
        }
        let mut licenses: Vec<License> = Vec::new();
        licenses.extend(license(p.license_concluded.as_deref()));
        if p.license_declared != p.license_concluded {
            licenses.extend(license(p.license_declared.as_deref()));
        }
        sbom.components.push(Component {
            bom_ref: p.spdx_id,
            name: p.name.unwrap_or_default(),
            version: p.version_info,
            purl,
            cpe,
            component_type: Some(
                p.primary_package_purpose
                    .map(|s| s.to_ascii_lowercase())
                    .unwrap_or_else(|| "package".into()),
            ),
            supplier: actor(p.supplier),
            author: actor(p.originator),
            description: p.description,
            hashes: p
                .checksums
                .into_iter()
                .filter_map(|c| {
                    Some(Hash {
                        alg: c.algorithm?,
                        content: c.checksum_value?,
                    })
                })
                .collect(),
            licenses,
            external_references: refs,
            ..Default::default()
        });
    }
    for (i, f) in doc.files.into_iter().enumerate() {
        if f.file_name.is_none() {
            diags.push(
                CODE,
                "file has no fileName".into(),
                place(f.line, format!("/files/{i}")),
            );
        }
        sbom.components.push(Component {
            bom_ref: f.spdx_id,
            name: f.file_name.unwrap_or_default(),
            component_type: Some("file".into()),
            hashes: f
                .checksums
                .into_iter()
                .filter_map(|c| {
                    Some(Hash {
                        alg: c.algorithm?,
                        content: c.checksum_value?,
                    })
                })
                .collect(),
            licenses: license(f.license_concluded.as_deref())
                .into_iter()
                .collect(),
            ..Default::default()
        });
    }
    for d in doc.document_describes {
        sbom.relationships.push(Relationship {
            from: doc
                .spdx_id
                .clone()
                .unwrap_or_else(|| "SPDXRef-DOCUMENT".into()),
            kind: "DESCRIBES".into(),
            to: d,
        });
    }
    for (i, r) in doc.relationships.into_iter().enumerate() {
        let (Some(from), Some(kind), Some(to)) = (
            r.spdx_element_id,
            r.relationship_type,
            r.related_spdx_element,
        ) else {
            diags.push(
                CODE,
                "relationship needs an element, a type and a related element".into(),
                place(r.line, format!("/relationships/{i}")),
            );
            continue;
        };
        sbom.relationships.push(Relationship { from, kind, to });
    }
    sbom.dependencies = dependencies(&sbom.relationships);
    sbom.diagnostics = diags.into_vec();
    Ok(sbom)
}

/// The dependency graph implied by SPDX relationships (`A DEPENDS_ON B`, `B DEPENDENCY_OF A` and
/// the typed `*_DEPENDENCY_OF` forms), grouped by dependent in first-seen order.
fn dependencies(rels: &[Relationship]) -> Vec<Dependency> {
    let mut out: Vec<Dependency> = Vec::new();
    let mut index = std::collections::HashMap::new();
    for r in rels {
        let (from, to) = match r.kind.as_str() {
            "DEPENDS_ON" => (&r.from, &r.to),
            k if k.ends_with("DEPENDENCY_OF") => (&r.to, &r.from),
            _ => continue,
        };
        let i = *index.entry(from.clone()).or_insert_with(|| {
            out.push(Dependency {
                reference: from.clone(),
                depends_on: Vec::new(),
            });
            out.len() - 1
        });
        if let Some(d) = out.get_mut(i) {
            d.depends_on.push(to.clone());
        }
    }
    out
}
