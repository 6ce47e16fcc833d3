//! SPDX 3.0 JSON-LD (the `@graph` serialisation). Packages and files become components; suppliers,
//! licenses and dependencies are resolved through the graph's `spdxId` references. We read the
//! compact JSON-LD form the SPDX tools write; we do not expand arbitrary JSON-LD contexts.

use crate::{
    Component, Dependency, Diags, ExternalReference, FormatError, Hash, License, Position,
    Relationship, Sbom, SbomFormat, MAX_COMPONENTS, MAX_JSON_DEPTH,
};
use serde::Deserialize;
use std::collections::HashMap;

const CODE: &str = "spdx3-schema";

/// Element types that describe software we track as components.
const COMPONENT_TYPES: &[&str] = &[
    "software_Package",
    "software_File",
    "ai_AIPackage",
    "dataset_DatasetPackage",
];

#[derive(Debug, Deserialize)]
struct Doc {
    #[serde(rename = "@context")]
    context: Option<serde_json::Value>,
    #[serde(rename = "@graph", default)]
    graph: Vec<Element>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Element {
    #[serde(rename = "type")]
    element_type: Option<String>,
    spdx_id: Option<String>,
    name: Option<String>,
    description: Option<String>,
    spec_version: Option<String>,
    created: Option<String>,
    #[serde(rename = "software_packageVersion")]
    package_version: Option<String>,
    #[serde(rename = "software_packageUrl")]
    package_url: Option<String>,
    #[serde(rename = "software_primaryPurpose")]
    primary_purpose: Option<String>,
    #[serde(rename = "simplelicensing_licenseExpression")]
    license_expression: Option<String>,
    supplied_by: Option<String>,
    #[serde(default)]
    originated_by: Vec<String>,
    #[serde(default)]
    external_identifier: Vec<ExternalIdentifier>,
    #[serde(default)]
    verified_using: Vec<IntegrityMethod>,
    from: Option<String>,
    #[serde(default)]
    to: Vec<String>,
    relationship_type: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExternalIdentifier {
    external_identifier_type: Option<String>,
    identifier: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct IntegrityMethod {
    algorithm: Option<String>,
    hash_value: Option<String>,
}

pub(crate) fn parse(bytes: &[u8]) -> Result<Sbom, FormatError> {
    mdsec_format_core::check_json_depth(bytes, MAX_JSON_DEPTH)?;
    let doc: Doc = serde_json::from_slice(bytes).map_err(|e| FormatError::from_json(&e))?;
    let mut diags = Diags::default();
    let context_ok = match &doc.context {
        Some(serde_json::Value::String(s)) => s.contains("spdx.org/rdf/3"),
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .any(|v| v.as_str().is_some_and(|s| s.contains("spdx.org/rdf/3"))),
        _ => false,
    };
    if !context_ok {
        diags.at(
            CODE,
            "`@context` is not the SPDX 3 context".into(),
            "/@context",
        );
    }
    let component_count = doc
        .graph
        .iter()
        .filter(|e| {
            e.element_type
                .as_deref()
                .is_some_and(|t| COMPONENT_TYPES.contains(&t))
        })
        .count();
    if component_count > MAX_COMPONENTS {
        return Err(FormatError::new(
            format!("more than {MAX_COMPONENTS} packages and files"),
            Position::path("/@graph"),
        ));
    }

    let mut sbom = Sbom::empty(SbomFormat::Spdx3JsonLd);
    // Names of agents and license expressions, by spdxId, to resolve references.
    let mut names: HashMap<&str, &str> = HashMap::new();
    let mut expressions: HashMap<&str, &str> = HashMap::new();
    for e in &doc.graph {
        let (Some(id), Some(t)) = (e.spdx_id.as_deref(), e.element_type.as_deref()) else {
            continue;
        };
        match t {
            "Organization" | "Person" | "Tool" | "SoftwareAgent" | "Agent" => {
                if let Some(n) = e.name.as_deref() {
                    names.insert(id, n);
                }
            }
            _ if t.ends_with("LicenseExpression") => {
                if let Some(x) = e.license_expression.as_deref() {
                    expressions.insert(id, x);
                }
            }
            _ => {}
        }
    }
    // Licenses attached to elements through relationships.
    let mut licenses: HashMap<&str, Vec<&str>> = HashMap::new();
    for e in &doc.graph {
        let kind = e.relationship_type.as_deref();
        if matches!(kind, Some("hasConcludedLicense" | "hasDeclaredLicense")) {
            if let Some(from) = e.from.as_deref() {
                for to in &e.to {
                    if let Some(x) = expressions.get(to.as_str()) {
                        let list = licenses.entry(from).or_default();
                        if !list.contains(x) {
                            list.push(x);
                        }
                    }
                }
            }
        }
    }

    let mut deps: Vec<Dependency> = Vec::new();
    let mut dep_index: HashMap<String, usize> = HashMap::new();
    for (i, e) in doc.graph.iter().enumerate() {
        let t = e.element_type.as_deref().unwrap_or_default();
        match t {
            "CreationInfo" if sbom.spec_version.is_empty() => {
                if let Some(v) = &e.spec_version {
                    sbom.spec_version = format!("SPDX-{v}");
                }
                sbom.metadata.timestamp.clone_from(&e.created);
            }
            "SpdxDocument" if sbom.name.is_none() => {
                sbom.name.clone_from(&e.name);
                sbom.serial_number.clone_from(&e.spdx_id);
            }
            "Relationship" | "LifecycleScopedRelationship" => {
                let (Some(from), Some(kind)) = (e.from.as_deref(), e.relationship_type.as_deref())
                else {
                    diags.at(
                        CODE,
                        "relationship needs `from` and `relationshipType`".into(),
                        &format!("/@graph/{i}"),
                    );
                    continue;
                };
                for to in &e.to {
                    sbom.relationships.push(Relationship {
                        from: from.to_string(),
                        kind: kind.to_string(),
                        to: to.clone(),
                    });
                }
                if kind == "dependsOn" {
                    let at = *dep_index.entry(from.to_string()).or_insert_with(|| {
                        deps.push(Dependency {
                            reference: from.to_string(),
                            depends_on: Vec::new(),
                        });
                        deps.len() - 1
                    });
                    if let Some(d) = deps.get_mut(at) {
                        d.depends_on.extend(e.to.iter().cloned());
                    }
                }
            }
            _ if COMPONENT_TYPES.contains(&t) => {
                if e.name.is_none() {
                    diags.at(
                        CODE,
                        "software element has no name".into(),
                        &format!("/@graph/{i}"),
                    );
                }
                let ident = |kinds: &[&str]| {
                    e.external_identifier
                        .iter()
                        .find(|x| {
                            x.external_identifier_type
                                .as_deref()
                                .is_some_and(|k| kinds.contains(&k))
                        })
                        .and_then(|x| x.identifier.clone())
                };
                let id = e.spdx_id.as_deref().unwrap_or_default();
                sbom.components.push(Component {
                    bom_ref: e.spdx_id.clone(),
                    name: e.name.clone().unwrap_or_default(),
                    version: e.package_version.clone(),
                    purl: e.package_url.clone().or_else(|| ident(&["packageUrl"])),
                    cpe: ident(&["cpe23"]).or_else(|| ident(&["cpe22"])),
                    component_type: Some(
                        e.primary_purpose.clone().unwrap_or_else(|| {
                            t.trim_start_matches("software_").to_ascii_lowercase()
                        }),
                    ),
                    supplier: e
                        .supplied_by
                        .as_deref()
                        .and_then(|s| names.get(s))
                        .map(|s| s.to_string()),
                    author: e
                        .originated_by
                        .first()
                        .and_then(|s| names.get(s.as_str()))
                        .map(|s| s.to_string()),
                    description: e.description.clone(),
                    hashes: e
                        .verified_using
                        .iter()
                        .filter_map(|h| {
                            Some(Hash {
                                alg: h.algorithm.clone()?,
                                content: h.hash_value.clone()?,
                            })
                        })
                        .collect(),
                    licenses: licenses
                        .get(id)
                        .map(|l| {
                            l.iter()
                                .map(|x| License {
                                    expression: Some(x.to_string()),
                                    ..Default::default()
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                    external_references: e
                        .external_identifier
                        .iter()
                        .filter_map(|x| {
                            Some(ExternalReference {
                                ref_type: x.external_identifier_type.clone()?,
                                url: x.identifier.clone()?,
                            })
                        })
                        .collect(),
                    ..Default::default()
                });
            }
            _ => {}
        }
    }
    if sbom.spec_version.is_empty() {
        diags.at(CODE, "no CreationInfo with a specVersion".into(), "/@graph");
    }
    sbom.dependencies = deps;
    sbom.diagnostics = diags.into_vec();
    Ok(sbom)
}
