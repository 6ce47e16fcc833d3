//! Applying VEX statements (CycloneDX, CSAF VEX, OpenVEX, or the hospital's own) to a finding.
//! Pure. Conflicting statements are shown, never silently resolved: the finding keeps its
//! matcher status and carries every statement with `conflict: true`.

use mdsec_matcher::{Finding, FindingStatus};
use mdsec_store::VexRecord;

fn norm(s: &str) -> String {
    s.trim().to_lowercase()
}

/// Does the statement speak about this finding's vulnerability and product?
pub fn applies(v: &VexRecord, f: &Finding) -> bool {
    let s = &v.statement;
    let vuln = norm(&s.vulnerability);
    let about = norm(&f.advisory_id) == vuln || f.aliases.iter().any(|a| norm(a) == vuln);
    if !about {
        return false;
    }
    if let Some(purl) = &s.purl {
        // Versionless purl: every version of the package; otherwise the exact package version.
        let ident = f.evidence.matched_identifier.to_lowercase();
        let p = purl.to_lowercase();
        return if p.contains('@') {
            ident == p
        } else {
            ident.split('@').next() == Some(p.as_str())
        };
    }
    let key = &f.device_model;
    let same = |a: &Option<String>, b: &str| a.as_deref().is_some_and(|x| norm(x) == norm(b));
    if !same(&s.model, &key.model) {
        return false;
    }
    if let Some(m) = &s.manufacturer {
        let canon = mdsec_domain::manufacturer::ManufacturerAliases::builtin();
        let mc = canon.canonical(m).unwrap_or(m);
        if norm(mc) != norm(&key.manufacturer) {
            return false;
        }
    }
    match (&s.versions, &key.version) {
        (None, _) => true,
        (Some(vs), Some(v)) => vs.split(',').any(|x| norm(x) == norm(v)),
        (Some(_), None) => false,
    }
}

fn status_str(s: FindingStatus) -> &'static str {
    match s {
        FindingStatus::Affected => "affected",
        FindingStatus::Undetermined => "undetermined",
        FindingStatus::Fixed => "fixed",
        FindingStatus::NotAffected => "not_affected",
    }
}

/// The finding's stored status and the VEX provenance (all applicable statements).
pub fn apply_vex(f: &Finding, statements: &[VexRecord]) -> (String, Option<serde_json::Value>) {
    let base = status_str(f.status).to_string();
    let hits: Vec<&VexRecord> = statements.iter().filter(|v| applies(v, f)).collect();
    if hits.is_empty() {
        return (base, None);
    }
    let mut verdicts: Vec<&str> = hits.iter().map(|v| v.statement.status.as_str()).collect();
    verdicts.sort_unstable();
    verdicts.dedup();
    let conflict = verdicts.len() > 1;
    let json = serde_json::json!({
        "conflict": conflict,
        "statements": hits.iter().map(|v| serde_json::json!({
            "id": v.id,
            "status": v.statement.status,
            "justification": v.statement.justification,
            "detail": v.statement.detail,
            "source": v.statement.source,
            "format": v.statement.format,
            "file_name": v.statement.file_name,
        })).collect::<Vec<_>>(),
    });
    if conflict || !f.status.needs_action() {
        return (base, Some(json));
    }
    let status = match verdicts[0] {
        "not_affected" => "not_affected",
        "fixed" => "fixed",
        "affected" => "affected",
        _ => base.as_str(),
    };
    (status.to_string(), Some(json))
}

/// Product scope of a VEX document whose products are not named in it (CycloneDX VEX without
/// purls, OpenVEX with product names): the device model the operator attaches it to.
#[derive(Debug, Clone, Default)]
pub struct VexScope {
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub versions: Option<String>,
}

/// Largest VEX document read.
pub const MAX_VEX_BYTES: usize = 64 * 1024 * 1024;

fn vex_status(raw: &str) -> Option<&'static str> {
    match raw.trim().to_lowercase().replace('-', "_").as_str() {
        "not_affected" | "known_not_affected" | "false_positive" => Some("not_affected"),
        "affected" | "exploitable" | "known_affected" => Some("affected"),
        "fixed" | "resolved" | "first_fixed" => Some("fixed"),
        "under_investigation" | "in_triage" => Some("under_investigation"),
        _ => None,
    }
}

/// Read VEX statements from a CycloneDX document with `vulnerabilities[].analysis`, an OpenVEX
/// document, or a CSAF VEX profile document. `source` says who made them (`manufacturer:<name>`
/// or `hospital`).
pub fn read_vex(
    file_name: &str,
    bytes: &[u8],
    scope: &VexScope,
    source: &str,
) -> Result<Vec<mdsec_store::VexStatement>, mdsec_format_core::FormatError> {
    use mdsec_format_core::FormatError;
    use mdsec_store::VexStatement;
    mdsec_format_core::check_size(bytes.len(), MAX_VEX_BYTES, "VEX document")
        .map_err(|e| e.in_file(file_name))?;
    let mut out = Vec::new();
    let text = std::str::from_utf8(mdsec_format_core::strip_bom(bytes)).unwrap_or("");
    let is_openvex = text.contains("https://openvex.dev/ns");
    if is_openvex {
        mdsec_format_core::check_json_depth(bytes, 64).map_err(|e| e.in_file(file_name))?;
        let v: serde_json::Value = serde_json::from_slice(mdsec_format_core::strip_bom(bytes))
            .map_err(|e| FormatError::from_json(&e).in_file(file_name))?;
        let Some(stmts) = v["statements"].as_array() else {
            return Err(FormatError::new(
                "OpenVEX document without `statements`",
                Default::default(),
            )
            .in_file(file_name));
        };
        for (i, s) in stmts.iter().enumerate() {
            let vuln = s["vulnerability"]["name"]
                .as_str()
                .or_else(|| s["vulnerability"].as_str())
                .unwrap_or("");
            let Some(status) = s["status"].as_str().and_then(vex_status) else {
                return Err(FormatError::new(
                    format!("statement {i}: unknown status {}", s["status"]),
                    Default::default(),
                )
                .in_file(file_name));
            };
            let products: Vec<String> = s["products"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter_map(|p| {
                            p["@id"].as_str().or_else(|| p.as_str()).map(str::to_string)
                        })
                        .collect()
                })
                .unwrap_or_default();
            let purls: Vec<&String> = products.iter().filter(|p| p.starts_with("pkg:")).collect();
            let base = VexStatement {
                vulnerability: vuln.to_string(),
                manufacturer: scope.manufacturer.clone(),
                model: scope.model.clone(),
                versions: scope.versions.clone(),
                purl: None,
                status: status.into(),
                justification: s["justification"].as_str().map(str::to_string),
                detail: s["impact_statement"]
                    .as_str()
                    .or_else(|| s["action_statement"].as_str())
                    .map(str::to_string),
                format: "openvex".into(),
                source: source.to_string(),
                file_name: Some(file_name.to_string()),
            };
            if purls.is_empty() {
                out.push(base);
            } else {
                for p in purls {
                    out.push(VexStatement {
                        purl: Some(p.clone()),
                        ..base.clone()
                    });
                }
            }
        }
        return Ok(out);
    }
    match mdsec_inspect::detect(file_name, bytes)? {
        mdsec_inspect::Kind::Cyclonedx => {
            let sbom = mdsec_sbom::parse_sbom(file_name, bytes, false)?;
            let purl_of: std::collections::HashMap<&str, &str> = sbom
                .components
                .iter()
                .filter_map(|c| Some((c.bom_ref.as_deref()?, c.purl.as_deref()?)))
                .collect();
            for v in &sbom.vulnerabilities {
                let (Some(id), Some(a)) = (&v.id, &v.analysis) else {
                    continue;
                };
                let Some(status) = a.state.as_deref().and_then(vex_status) else {
                    continue;
                };
                let base = VexStatement {
                    vulnerability: id.clone(),
                    manufacturer: scope.manufacturer.clone(),
                    model: scope.model.clone(),
                    versions: scope.versions.clone(),
                    purl: None,
                    status: status.into(),
                    justification: a.justification.clone(),
                    detail: a.detail.clone(),
                    format: "cyclonedx".into(),
                    source: source.to_string(),
                    file_name: Some(file_name.to_string()),
                };
                let purls: Vec<&str> = v
                    .affects
                    .iter()
                    .filter_map(|af| {
                        purl_of
                            .get(af.reference.as_str())
                            .copied()
                            .or(Some(af.reference.as_str()).filter(|r| r.starts_with("pkg:")))
                    })
                    .collect();
                if purls.is_empty() || scope.model.is_some() && purls.is_empty() {
                    out.push(base);
                } else {
                    for p in purls {
                        out.push(VexStatement {
                            purl: Some(p.to_string()),
                            ..base.clone()
                        });
                    }
                }
            }
        }
        mdsec_inspect::Kind::Csaf => {
            let doc = mdsec_advisory::parse_csaf(file_name, bytes)?;
            let products: std::collections::HashMap<String, (Option<String>, String)> = doc
                .products()
                .into_iter()
                .map(|p| (p.product_id.clone(), (p.vendor.clone(), p.product.clone())))
                .collect();
            for v in &doc.vulnerabilities {
                let Some(id) = v
                    .cve
                    .clone()
                    .or_else(|| v.ids.first().map(|x| x.text.clone()))
                else {
                    continue;
                };
                let Some(ps) = &v.product_status else {
                    continue;
                };
                for (list, ids) in ps.lists() {
                    let Some(status) = vex_status(list) else {
                        continue;
                    };
                    for pid in ids {
                        let (vendor, product) = products
                            .get(pid.as_str())
                            .cloned()
                            .unwrap_or((None, pid.clone()));
                        let justification = v
                            .flags
                            .iter()
                            .find(|f| f.product_ids.iter().any(|x| x == pid))
                            .map(|f| f.label.clone());
                        out.push(VexStatement {
                            vulnerability: id.clone(),
                            manufacturer: scope.manufacturer.clone().or(vendor),
                            model: scope.model.clone().or(Some(product)),
                            versions: scope.versions.clone(),
                            purl: None,
                            status: status.into(),
                            justification,
                            detail: None,
                            format: "csaf".into(),
                            source: source.to_string(),
                            file_name: Some(file_name.to_string()),
                        });
                    }
                }
            }
        }
        k => return Err(FormatError::new(
            format!(
                "a {k} file is not a VEX document (CycloneDX with analysis, OpenVEX or CSAF VEX)"
            ),
            Default::default(),
        )
        .in_file(file_name)),
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openvex_statements_become_scoped_statements() {
        let doc = br#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"Contec PSIRT","timestamp":"2024-01-01T00:00:00Z","version":1,
            "statements":[{"vulnerability":{"name":"CVE-2022-38100"},"products":[{"@id":"CMS8000"}],"status":"not_affected","justification":"vulnerable_code_not_in_execute_path"}]}"#;
        let scope = VexScope {
            manufacturer: Some("Contec".into()),
            model: Some("CMS8000".into()),
            versions: None,
        };
        let s = read_vex("v.json", doc, &scope, "manufacturer:Contec").unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].status, "not_affected");
        assert_eq!(s[0].model.as_deref(), Some("CMS8000"));
        assert_eq!(
            s[0].justification.as_deref(),
            Some("vulnerable_code_not_in_execute_path")
        );
    }

    #[test]
    fn unknown_status_is_an_error_naming_the_file() {
        let doc = br#"{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":"CVE-1"},"status":"maybe"}]}"#;
        let e = read_vex("bad-vex.json", doc, &VexScope::default(), "hospital").unwrap_err();
        assert!(e.to_string().contains("bad-vex.json"), "{e}");
    }
}
