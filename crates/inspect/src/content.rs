//! Parse a detected kind with the crate that owns it and shape the result as one JSON object.

use crate::Kind;
use mdsec_format_core::{strip_bom, Diagnostic, FormatError, Position};
use serde::Serialize;
use serde_json::{json, Map, Value};

type Parsed = (Value, Vec<Diagnostic>);

pub(crate) fn parse(kind: Kind, file_name: &str, bytes: &[u8]) -> Result<Parsed, FormatError> {
    match kind {
        Kind::Cyclonedx | Kind::Spdx => sbom(file_name, bytes),
        Kind::Csaf => csaf(file_name, bytes),
        Kind::Osv => osv(bytes),
        Kind::Rustsec => rustsec(file_name, bytes),
        Kind::Nvd => nvd(file_name, bytes),
        Kind::Kev => kev(file_name, bytes),
        Kind::Epss => {
            let f = mdsec_vulndb::parse_epss(file_name, bytes)?;
            let mut v = object(&f);
            v.insert("count".into(), json!(f.rows.len()));
            Ok((Value::Object(v), Vec::new()))
        }
        Kind::Jvn => {
            let doc = mdsec_vulndb::parse_jvn(file_name, bytes)?;
            let mut v = object(&doc);
            v.remove("diagnostics");
            Ok((Value::Object(v), doc.diagnostics))
        }
        Kind::Mds2 => {
            let form = mdsec_mds2::parse_mds2(file_name, bytes)?;
            let v = json!({
                "edition": form.edition,
                "sheet": form.sheet,
                "sha256": form.sha256,
                "answers": form.answers,
                "profile": form.profile,
                "known_fields": form.profile.known_fields(),
            });
            Ok((v, form.diagnostics))
        }
        Kind::Ledger => ledger(file_name, bytes),
    }
}

/// A serialisable value as a JSON object (empty if it does not serialise to one).
fn object<T: Serialize>(t: &T) -> Map<String, Value> {
    match serde_json::to_value(t) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

fn sbom(file_name: &str, bytes: &[u8]) -> Result<Parsed, FormatError> {
    let s = mdsec_sbom::parse_sbom(file_name, bytes, false)?;
    let component = |c: &mdsec_sbom::Component| {
        let licenses: Vec<&str> = c
            .licenses
            .iter()
            .filter_map(|l| {
                l.expression
                    .as_deref()
                    .or(l.id.as_deref())
                    .or(l.name.as_deref())
            })
            .collect();
        json!({
            "bom_ref": c.bom_ref,
            "name": c.name,
            "version": c.version,
            "group": c.group,
            "purl": c.purl,
            "cpe": c.cpe,
            "type": c.component_type,
            "supplier": c.supplier,
            "manufacturer": c.manufacturer,
            "licenses": licenses,
            "parent": c.parent,
        })
    };
    let v = json!({
        "format": s.format,
        "spec_version": s.spec_version,
        "name": s.name,
        "serial_number": s.serial_number,
        "timestamp": s.metadata.timestamp,
        "subject": s.metadata.component.as_deref().map(component),
        "components": s.components.iter().map(component).collect::<Vec<_>>(),
        "dependency_count": s.dependencies.len(),
        "relationship_count": s.relationships.len(),
        "vulnerabilities": s.vulnerabilities,
    });
    Ok((v, s.diagnostics))
}

fn csaf(file_name: &str, bytes: &[u8]) -> Result<Parsed, FormatError> {
    let d = mdsec_advisory::parse_csaf(file_name, bytes)?;
    let mut v = object(&d.summary());
    // The summary's diagnostic count would shadow the diagnostics list of the inspection.
    v.remove("diagnostics");
    v.insert("csaf_version".into(), json!(d.document.csaf_version));
    v.insert("is_vex".into(), json!(d.is_vex()));
    Ok((Value::Object(v), d.diagnostics))
}

fn osv(bytes: &[u8]) -> Result<Parsed, FormatError> {
    let body = strip_bom(bytes);
    let json = body
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{');
    let a = if json {
        mdsec_advisory::parse_osv_json(body)?
    } else {
        mdsec_advisory::parse_osv_yaml(body)?
    };
    let mut v = object(&a.summary());
    v.insert("syntax".into(), json!(if json { "json" } else { "yaml" }));
    v.insert("modified".into(), json!(a.modified));
    v.insert("published".into(), json!(a.published));
    Ok((Value::Object(v), a.diagnostics))
}

fn rustsec(file_name: &str, bytes: &[u8]) -> Result<Parsed, FormatError> {
    let body = strip_bom(bytes);
    let text = std::str::from_utf8(body).map_err(|e| {
        let before = body.get(..e.valid_up_to()).unwrap_or_default();
        let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        let col = before.iter().rev().take_while(|&&b| b != b'\n').count() as u64 + 1;
        FormatError::at_line("RustSec advisory is not valid UTF-8", line, col)
    })?;
    let a = mdsec_advisory::parse_rustsec(file_name, text)?;
    Ok((Value::Object(object(&a.summary())), a.diagnostics))
}

fn nvd(file_name: &str, bytes: &[u8]) -> Result<Parsed, FormatError> {
    let doc = mdsec_vulndb::parse_nvd(file_name, bytes)?;
    let records: Vec<Value> = doc
        .vulnerabilities
        .iter()
        .map(|r| {
            let cvss = r.best_cvss().map(|m| {
                json!({
                    "version": m.cvss_data.version,
                    "vector": m.cvss_data.vector_string,
                    "score": m.cvss_data.base_score,
                    "severity": m.severity(),
                    "source": m.source,
                    "type": m.metric_type,
                })
            });
            let mut criteria: Vec<&str> = Vec::new();
            for m in r.cpe_matches() {
                if !criteria.contains(&m.criteria.as_str()) {
                    criteria.push(&m.criteria);
                }
            }
            json!({
                "id": r.id,
                "published": r.published,
                "last_modified": r.last_modified,
                "vuln_status": r.vuln_status,
                "description": r.description("en"),
                "cvss": cvss,
                "cwes": r.cwe_ids(),
                "configurations": r.configurations,
                "cpe_criteria": criteria,
                "in_kev": r.in_cisa_kev(),
            })
        })
        .collect();
    let e = &doc.envelope;
    let v = json!({
        "results_per_page": e.results_per_page,
        "start_index": e.start_index,
        "total_results": e.total_results,
        "format": e.format,
        "version": e.version,
        "timestamp": e.timestamp,
        "count": records.len(),
        "vulnerabilities": records,
    });
    Ok((v, Vec::new()))
}

fn kev(file_name: &str, bytes: &[u8]) -> Result<Parsed, FormatError> {
    let body = strip_bom(bytes);
    let json = body
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{');
    let c = if json {
        mdsec_vulndb::parse_kev_json(file_name, bytes)?
    } else {
        mdsec_vulndb::parse_kev_csv(file_name, bytes)?
    };
    let v = json!({
        "syntax": if json { "json" } else { "csv" },
        "title": c.title,
        "catalog_version": c.catalog_version,
        "date_released": c.date_released,
        "count": c.vulnerabilities.len(),
        "declared_count": c.count,
        "vulnerabilities": c.vulnerabilities,
    });
    Ok((v, c.diagnostics))
}

fn ledger(file_name: &str, bytes: &[u8]) -> Result<Parsed, FormatError> {
    let l = mdsec_ledger::parse_ledger(file_name, bytes)?;
    let mut diags = l.warnings.clone();
    // A rejected row is data the import would lose: an error, so `--strict` refuses the file.
    diags.extend(l.rejected.iter().take(crate::MAX_DIAGNOSTICS).map(|r| {
        Diagnostic::error(
            "ledger-row-rejected",
            r.reason.clone(),
            Position {
                row: Some(r.row),
                cell: r.column.clone(),
                ..Default::default()
            },
        )
    }));
    let mut v = object(&l);
    v.remove("warnings");
    Ok((Value::Object(v), diags))
}
