//! The hospital's findings out of mdsec: CycloneDX 1.6 VEX (JSON) for tools and manufacturers,
//! CSV and xlsx for people. Pure: records in, bytes out.
//!
//! One CycloneDX `vulnerability` is written per finding (advisory × device), so each device keeps
//! its own analysis; the device is a `device` component the vulnerability `affects`.
//!
//! [`collect_rows`] reads the rows through the `Store` trait; the writers are pure.
//!
//! Lifecycle → CycloneDX `analysis`:
//! | mdsec | `analysis.state` | `response` |
//! |---|---|---|
//! | match `not_affected` (VEX) | `not_affected` (+ the statement's justification) | — |
//! | match `fixed` / `resolved`, or status `closed` | `resolved` | — |
//! | status `false_positive` | `false_positive` | — |
//! | status `new`, or match `undetermined` | `in_triage` | — |
//! | status `triaged` | `exploitable` | — |
//! | status `mitigated` | `exploitable` | `workaround_available` |
//! | status `accepted` | `exploitable` | `will_not_fix` |

use mdsec_ledger::Lang;
use mdsec_store::{FindingQuery, FindingRecord, Store, StoreResult};
use serde_json::{json, Value};

/// The device a finding is on, as the export shows it.
#[derive(Debug, Clone, Default)]
pub struct ExportDevice {
    pub id: i64,
    pub management_number: Option<String>,
    pub name: String,
    pub department: Option<String>,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub version: Option<String>,
    pub priority: Option<f64>,
}

/// One row of the export: a finding and its device.
#[derive(Debug, Clone)]
pub struct ExportRow {
    pub device: ExportDevice,
    pub finding: FindingRecord,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("writing the xlsx workbook failed: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}

/// Every finding (optionally of one device) with its device, highest priority first.
pub async fn collect_rows(store: &dyn Store, device: Option<i64>) -> StoreResult<Vec<ExportRow>> {
    let mut findings = Vec::new();
    loop {
        let page = store
            .list_findings(&FindingQuery {
                device_id: device,
                limit: 5_000,
                offset: findings.len() as i64,
                ..Default::default()
            })
            .await?;
        let n = page.items.len();
        findings.extend(page.items);
        if n < 5_000 {
            break;
        }
    }
    let mut devices: std::collections::HashMap<i64, ExportDevice> = Default::default();
    let mut rows = Vec::with_capacity(findings.len());
    for f in findings {
        if !devices.contains_key(&f.device_id) {
            let Some(d) = store.get_device(f.device_id).await? else {
                continue;
            };
            let prio = store.device_priority(d.id).await?;
            let x = d.fields;
            devices.insert(
                d.id,
                ExportDevice {
                    id: d.id,
                    management_number: x.management_number,
                    name: x.name,
                    department: x.department,
                    manufacturer: x.manufacturer,
                    model: x.model,
                    version: x.software_version,
                    priority: prio.map(|p| p.score),
                },
            );
        }
        rows.push(ExportRow {
            device: devices[&f.device_id].clone(),
            finding: f,
        });
    }
    rows.sort_by(|a, b| {
        b.device
            .priority
            .unwrap_or(0.0)
            .total_cmp(&a.device.priority.unwrap_or(0.0))
            .then(a.device.id.cmp(&b.device.id))
            .then(a.finding.id.cmp(&b.finding.id))
    });
    Ok(rows)
}

/// A version-4 UUID from 16 random bytes, for a document's serial number.
pub fn uuid_v4(mut b: [u8; 16]) -> String {
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// CycloneDX `analysis` for a finding: (state, justification, responses).
pub fn analysis_of(f: &FindingRecord) -> (&'static str, Option<String>, Vec<&'static str>) {
    let justification = || {
        f.vex
            .as_ref()
            .and_then(|v| v["statements"].as_array())
            .and_then(|s| {
                s.iter()
                    .find(|s| s["status"] == "not_affected")
                    .and_then(|s| s["justification"].as_str())
            })
            .and_then(cyclonedx_justification)
            .map(str::to_string)
    };
    match (f.match_status.as_str(), f.status.as_str()) {
        ("not_affected", _) => ("not_affected", justification(), vec![]),
        ("fixed" | "resolved", _) | (_, "closed") => ("resolved", None, vec![]),
        (_, "false_positive") => ("false_positive", None, vec![]),
        (_, "mitigated") => ("exploitable", None, vec!["workaround_available"]),
        (_, "accepted") => ("exploitable", None, vec!["will_not_fix"]),
        ("undetermined", _) | (_, "new") => ("in_triage", None, vec![]),
        _ => ("exploitable", None, vec![]),
    }
}

/// A VEX justification from CSAF/OpenVEX/CycloneDX wording → CycloneDX's enumeration.
fn cyclonedx_justification(raw: &str) -> Option<&'static str> {
    Some(match raw.trim().to_lowercase().replace('-', "_").as_str() {
        "code_not_present" | "component_not_present" | "vulnerable_code_not_present" => {
            "code_not_present"
        }
        "code_not_reachable" | "vulnerable_code_not_in_execute_path" => "code_not_reachable",
        "requires_configuration" => "requires_configuration",
        "requires_dependency" => "requires_dependency",
        "requires_environment" => "requires_environment",
        "protected_by_compiler" => "protected_by_compiler",
        "protected_at_runtime" => "protected_at_runtime",
        "protected_at_perimeter" => "protected_at_perimeter",
        "protected_by_mitigating_control" | "inline_mitigations_already_exist" => {
            "protected_by_mitigating_control"
        }
        "vulnerable_code_cannot_be_controlled_by_adversary" => "requires_environment",
        _ => return None,
    })
}

/// The advisory's source by its identifier's shape.
fn source_of(id: &str) -> (&'static str, Option<String>) {
    let up = id.to_ascii_uppercase();
    if up.starts_with("CVE-") {
        (
            "NVD",
            Some(format!("https://nvd.nist.gov/vuln/detail/{id}")),
        )
    } else if up.starts_with("GHSA-") {
        (
            "GitHub",
            Some(format!("https://github.com/advisories/{id}")),
        )
    } else if up.starts_with("ICSMA-") || up.starts_with("ICSA-") {
        ("CISA", None)
    } else if up.starts_with("JVNDB-") || up.starts_with("JVN") {
        ("JVN", None)
    } else if up.starts_with("RUSTSEC-") {
        (
            "RustSec",
            Some(format!("https://rustsec.org/advisories/{id}")),
        )
    } else {
        ("mdsec", None)
    }
}

fn device_ref(id: i64) -> String {
    format!("mdsec-device-{id}")
}

/// The findings as one CycloneDX 1.6 VEX document. `serial` is a UUID (`urn:uuid:` is added) and
/// `timestamp` RFC 3339; both are parameters so the output is reproducible in tests.
pub fn cyclonedx_vex(rows: &[ExportRow], hospital: &str, serial: &str, timestamp: &str) -> Value {
    let mut components: Vec<Value> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for r in rows {
        if !seen.insert(r.device.id) {
            continue;
        }
        let d = &r.device;
        let mut c = json!({
            "type": "device",
            "bom-ref": device_ref(d.id),
            "name": d.model.clone().unwrap_or_else(|| d.name.clone()),
        });
        if let Some(m) = &d.manufacturer {
            c["manufacturer"] = json!({ "name": m });
        }
        if let Some(v) = &d.version {
            c["version"] = json!(v);
        }
        let mut props = vec![
            json!({"name": "mdsec:device:id", "value": d.id.to_string()}),
            json!({"name": "mdsec:device:name", "value": d.name}),
        ];
        if let Some(n) = &d.management_number {
            props.push(json!({"name": "mdsec:device:management_number", "value": n}));
        }
        if let Some(n) = &d.department {
            props.push(json!({"name": "mdsec:device:department", "value": n}));
        }
        c["properties"] = json!(props);
        components.push(c);
    }
    let vulnerabilities: Vec<Value> = rows
        .iter()
        .map(|r| {
            let f = &r.finding;
            let (state, justification, responses) = analysis_of(f);
            let (source, url) = source_of(&f.advisory_id);
            let mut v = json!({
                "bom-ref": format!("mdsec-finding-{}", f.id),
                "id": f.advisory_id,
                "source": {"name": source},
                "affects": [{"ref": device_ref(r.device.id)}],
            });
            if let Some(u) = url {
                v["source"]["url"] = json!(u);
            }
            let refs: Vec<Value> = f
                .aliases
                .iter()
                .filter(|a| **a != f.advisory_id)
                .map(|a| json!({"id": a, "source": {"name": source_of(a).0}}))
                .collect();
            if !refs.is_empty() {
                v["references"] = json!(refs);
            }
            if let Some(t) = &f.advisory_title {
                v["description"] = json!(t);
            }
            if let Some(s) = f.advisory_cvss {
                v["ratings"] = json!([{"score": s, "method": "CVSSv31", "severity": severity(s)}]);
            }
            if !f.remediations.is_empty() {
                v["recommendation"] = json!(f.remediations.join("\n"));
            }
            let mut analysis = json!({ "state": state });
            if let Some(j) = justification {
                analysis["justification"] = json!(j);
            }
            if !responses.is_empty() {
                analysis["response"] = json!(responses);
            }
            let mut detail = Vec::new();
            if let Some(c) = &f.compensating_controls {
                detail.push(format!("compensating controls: {c}"));
            }
            if let Some(c) = &f.comment {
                detail.push(c.clone());
            }
            if !detail.is_empty() {
                analysis["detail"] = json!(detail.join("\n"));
            }
            analysis["firstIssued"] = json!(f.created_at);
            analysis["lastUpdated"] = json!(f.updated_at);
            v["analysis"] = analysis;
            v["properties"] = json!([
                {"name": "mdsec:finding:status", "value": f.status},
                {"name": "mdsec:finding:match", "value": f.match_status},
                {"name": "mdsec:finding:confidence", "value": f.confidence},
            ]);
            v
        })
        .collect();
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": format!("urn:uuid:{serial}"),
        "version": 1,
        "metadata": {
            "timestamp": timestamp,
            "tools": {"components": [{"type": "application", "name": "mdsec", "version": env!("CARGO_PKG_VERSION")}]},
            "component": {"type": "application", "bom-ref": "mdsec-hospital", "name": hospital},
        },
        "components": components,
        "vulnerabilities": vulnerabilities,
    })
}

fn severity(cvss: f64) -> &'static str {
    match cvss {
        s if s >= 9.0 => "critical",
        s if s >= 7.0 => "high",
        s if s >= 4.0 => "medium",
        s if s > 0.0 => "low",
        _ => "none",
    }
}

fn headings(lang: Lang) -> [&'static str; 19] {
    match lang {
        Lang::Ja => [
            "機器ID",
            "管理番号",
            "機器名",
            "部署",
            "メーカー",
            "型式",
            "バージョン",
            "優先度",
            "アドバイザリ",
            "タイトル",
            "別名(CVE等)",
            "CVSS",
            "照合結果",
            "確度",
            "対応状況",
            "担当者",
            "期限",
            "代替措置",
            "推奨対応",
        ],
        Lang::En => [
            "Device ID",
            "Management number",
            "Device name",
            "Department",
            "Manufacturer",
            "Model",
            "Version",
            "Priority",
            "Advisory",
            "Title",
            "Aliases (CVE etc.)",
            "CVSS",
            "Match",
            "Confidence",
            "Status",
            "Owner",
            "Due date",
            "Compensating controls",
            "Recommended action",
        ],
    }
}

fn cells(r: &ExportRow) -> [String; 19] {
    let d = &r.device;
    let f = &r.finding;
    let o = |s: &Option<String>| s.clone().unwrap_or_default();
    [
        d.id.to_string(),
        o(&d.management_number),
        d.name.clone(),
        o(&d.department),
        o(&d.manufacturer),
        o(&d.model),
        o(&d.version),
        d.priority.map(|p| format!("{p:.1}")).unwrap_or_default(),
        f.advisory_id.clone(),
        o(&f.advisory_title),
        f.aliases.join(" "),
        f.advisory_cvss
            .map(|c| format!("{c:.1}"))
            .unwrap_or_default(),
        f.match_status.clone(),
        f.confidence.clone(),
        f.status.clone(),
        o(&f.owner),
        o(&f.due_date),
        o(&f.compensating_controls),
        f.remediations.join(" / "),
    ]
}

/// CSV in UTF-8 with a byte-order mark and CRLF line ends (Excel), formula-looking cells guarded.
pub fn findings_csv(rows: &[ExportRow], lang: Lang) -> Vec<u8> {
    let mut out = vec![0xEF, 0xBB, 0xBF];
    {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        // Writing into a Vec cannot fail.
        let _ = w.write_record(headings(lang));
        for r in rows {
            let _ = w.write_record(
                cells(r)
                    .iter()
                    .map(|c| mdsec_ledger::guard_cell(c).into_owned()),
            );
        }
        let _ = w.flush();
    }
    out
}

/// An xlsx workbook with one sheet (所見 / Findings), bold frozen headings, text cells.
pub fn findings_xlsx(rows: &[ExportRow], lang: Lang) -> Result<Vec<u8>, ExportError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(if lang == Lang::Ja {
        "所見"
    } else {
        "Findings"
    })?;
    let bold = Format::new().set_bold();
    for (c, h) in headings(lang).iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (i, r) in rows.iter().enumerate() {
        for (c, v) in cells(r).iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(i as u32 + 1, c as u16, v)?;
            }
        }
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(wb.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(match_status: &str, status: &str) -> FindingRecord {
        FindingRecord {
            id: 7,
            device_id: 1,
            advisory_id: "ICSMA-22-244-01".into(),
            advisory_title: Some("Contec Health CMS8000".into()),
            advisory_cvss: Some(9.8),
            match_status: match_status.into(),
            confidence: "high".into(),
            evidence: json!({}),
            aliases: vec!["CVE-2022-38100".into(), "CVE-2022-3027".into()],
            remediations: vec!["=update firmware".into()],
            vex: None,
            status: status.into(),
            owner: None,
            due_date: None,
            comment: None,
            compensating_controls: Some("isolated VLAN".into()),
            created_at: "2026-01-01T00:00:00Z".into(),
            updated_at: "2026-01-02T00:00:00Z".into(),
        }
    }

    fn row(f: FindingRecord) -> ExportRow {
        ExportRow {
            device: ExportDevice {
                id: 1,
                name: "生体情報モニタ".into(),
                manufacturer: Some("Contec".into()),
                model: Some("CMS8000".into()),
                ..Default::default()
            },
            finding: f,
        }
    }

    #[test]
    fn lifecycle_maps_to_cyclonedx_analysis() {
        let cases = [
            ("affected", "new", "in_triage", None),
            ("undetermined", "triaged", "in_triage", None),
            ("affected", "triaged", "exploitable", None),
            (
                "affected",
                "mitigated",
                "exploitable",
                Some("workaround_available"),
            ),
            ("affected", "accepted", "exploitable", Some("will_not_fix")),
            ("affected", "false_positive", "false_positive", None),
            ("affected", "closed", "resolved", None),
            ("resolved", "new", "resolved", None),
        ];
        for (m, s, state, resp) in cases {
            let (st, _, r) = analysis_of(&finding(m, s));
            assert_eq!(st, state, "{m}/{s}");
            assert_eq!(r.first().copied(), resp, "{m}/{s}");
        }
        let mut f = finding("not_affected", "closed");
        f.vex = Some(
            json!({"statements": [{"status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"}]}),
        );
        assert_eq!(
            analysis_of(&f),
            ("not_affected", Some("code_not_reachable".into()), vec![])
        );
    }

    #[test]
    fn vex_document_has_one_device_component_and_a_vulnerability_per_finding() {
        let mut a = finding("affected", "mitigated");
        let mut b = finding("affected", "new");
        b.id = 8;
        b.advisory_id = "CVE-2022-38100".into();
        a.comment = Some("vendor contacted".into());
        let doc = cyclonedx_vex(
            &[row(a), row(b)],
            "テスト病院",
            "00000000-0000-4000-8000-000000000000",
            "2026-11-24T00:00:00Z",
        );
        assert_eq!(doc["components"].as_array().unwrap().len(), 1);
        let v = doc["vulnerabilities"].as_array().unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0]["affects"][0]["ref"], "mdsec-device-1");
        assert_eq!(v[0]["analysis"]["response"][0], "workaround_available");
        assert!(v[0]["analysis"]["detail"]
            .as_str()
            .unwrap()
            .contains("isolated VLAN"));
        assert_eq!(v[1]["source"]["name"], "NVD");
        assert_eq!(v[0]["ratings"][0]["severity"], "critical");
    }

    #[test]
    fn csv_guards_formulas_and_has_japanese_headings() {
        let csv = findings_csv(&[row(finding("affected", "new"))], Lang::Ja);
        let text = String::from_utf8(csv[3..].to_vec()).unwrap();
        assert!(text.starts_with("機器ID,管理番号"));
        assert!(text.contains("'=update firmware"), "{text}");
        assert_eq!(text.lines().count(), 2);
        let x = findings_xlsx(&[row(finding("affected", "new"))], Lang::En).unwrap();
        assert_eq!(&x[..2], b"PK");
    }
}
