//! Vulnerability intelligence as an operator runs it: `ledger import` → `feed import` →
//! `findings --json`, the seed's Contec CMS8000 case, fixed/undetermined versions, idempotence,
//! all-or-nothing feeds, SBOM attach, and the "act now" page of the demo hospital.

use crate::{data_dir, mdsec, token_for, Server};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn shared(rel: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data")).join(rel)
}

const SEED: &str = "csaf/cisa-icsma/icsma-22-244-01.json";
const GE: &str = "csaf/cisa-icsma/icsma-18-037-02.json";

fn ok(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = mdsec(dir, args);
    assert!(
        out.status.success(),
        "mdsec {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn json(dir: &Path, args: &[&str]) -> Value {
    serde_json::from_slice(&ok(dir, args)).expect("--json prints JSON")
}

/// CVE ids and remediation texts read straight from the advisory's JSON.
fn advisory_facts(rel: &str) -> (BTreeSet<String>, Vec<String>) {
    let v: Value = serde_json::from_slice(&std::fs::read(shared(rel)).unwrap()).unwrap();
    let vulns = v["vulnerabilities"].as_array().unwrap();
    let cves = vulns
        .iter()
        .filter_map(|x| x["cve"].as_str())
        .map(str::to_string)
        .collect();
    let rem = vulns
        .iter()
        .flat_map(|x| x["remediations"].as_array().into_iter().flatten())
        .filter_map(|r| r["details"].as_str())
        .map(str::to_string)
        .collect();
    (cves, rem)
}

fn ledger(dir: &Path) -> PathBuf {
    let csv = "管理番号,機器名称,製造販売業者,型式,ソフトウェアバージョン,設置部署\n\
        ICU-001,生体情報モニタ,コンテック,CMS8000,2.0.8,集中治療室\n\
        ICU-002,生体情報モニタ,Epsimed,MN-120,2.0.8,集中治療室\n\
        ICU-003,生体情報モニタ,フィリップス,IntelliVue MX450,N.00.11,集中治療室\n\
        ICU-004,生体情報モニタ,日本光電,BSM-6701,05-03,集中治療室\n\
        RI-001,核医学診断装置,GE Healthcare,Discovery NM750b,2.002,放射線科\n\
        RI-002,核医学診断装置,GE Healthcare,Discovery NM750b,2.003,放射線科\n\
        RI-003,核医学診断装置,GE Healthcare,Discovery NM750b,R2-build,放射線科\n";
    let file = dir.join("ledger.csv");
    std::fs::write(&file, csv).unwrap();
    file
}

fn items_by_number(findings: &Value) -> std::collections::BTreeMap<String, Value> {
    findings["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (
                i["management_number"].as_str().unwrap_or("").to_string(),
                i.clone(),
            )
        })
        .collect()
}

#[test]
fn seed_case_contec_cms8000_and_relabelled_epsimed_get_findings() {
    let dir = data_dir();
    let file = ledger(dir.path());
    ok(dir.path(), &["ledger", "import", file.to_str().unwrap()]);
    let report = json(
        dir.path(),
        &[
            "feed",
            "import",
            shared(SEED).to_str().unwrap(),
            shared(GE).to_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(report["advisories_new"], 2, "{report}");

    let findings = json(dir.path(), &["findings", "--json"]);
    let by = items_by_number(&findings);
    let (cves, remediations) = advisory_facts(SEED);
    assert_eq!(cves.len(), 5);
    for number in ["ICU-001", "ICU-002"] {
        let item = by
            .get(number)
            .unwrap_or_else(|| panic!("{number} has no finding: {findings:#}"));
        let ids: BTreeSet<String> = item["advisory_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        assert!(ids.contains("ICSMA-22-244-01"), "{item}");
        assert!(cves.is_subset(&ids), "{number}: {ids:?} lacks {cves:?}");
        assert_eq!(item["status"], "affected");
        assert!(item["priority"].as_f64().unwrap() > 0.0);
        assert!(!item["reasons"].as_array().unwrap().is_empty());
        let texts: Vec<&str> = item["findings"][0]["remediations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        for r in &remediations {
            assert!(
                texts.iter().any(|t| t.contains(r.as_str())),
                "{number}: remediation {r:?} missing"
            );
        }
    }
    // A Philips or Nihon Kohden monitor is not in the advisory.
    assert!(!by.contains_key("ICU-003"), "{findings:#}");
    assert!(!by.contains_key("ICU-004"), "{findings:#}");
    // GE Discovery NM750b `< 2.003`: 2.002 is affected, 2.003 (the fixed version) is not flagged,
    // a version the comparator cannot place is undetermined, never clean.
    assert_eq!(by["RI-001"]["status"], "affected", "{findings:#}");
    assert!(
        !by.contains_key("RI-002"),
        "the fixed version was flagged: {findings:#}"
    );
    assert_eq!(by["RI-003"]["status"], "undetermined", "{findings:#}");
    // Highest priority first.
    let scores: Vec<f64> = findings["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["priority"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");

    // Importing the same files again changes nothing and creates no new findings.
    let again = json(
        dir.path(),
        &[
            "feed",
            "import",
            shared(SEED).to_str().unwrap(),
            shared(GE).to_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(again["advisories_new"], 0, "{again}");
    assert_eq!(again["advisories_unchanged"], 2, "{again}");
    assert_eq!(again["findings_created"], 0, "{again}");

    // One device only.
    let id = by["ICU-001"]["device_id"].as_i64().unwrap().to_string();
    let one = json(dir.path(), &["findings", "--json", "--device", &id]);
    assert_eq!(one["items"].as_array().unwrap().len(), 1);

    // The ledger changes, no feed does: RI-002 is rolled back to the affected 2.002 and RI-001 is
    // updated to the fixed 2.003. The import re-matches at once.
    let change = dir.path().join("firmware.csv");
    std::fs::write(
        &change,
        "管理番号,機器名称,製造販売業者,型式,ソフトウェアバージョン\n\
         RI-001,核医学診断装置,GE Healthcare,Discovery NM750b,2.003\n\
         RI-002,核医学診断装置,GE Healthcare,Discovery NM750b,2.002\n",
    )
    .unwrap();
    ok(dir.path(), &["ledger", "import", change.to_str().unwrap()]);
    let after = items_by_number(&json(dir.path(), &["findings", "--json"]));
    assert_eq!(after["RI-002"]["status"], "affected", "{after:#?}");
    assert!(
        !after.contains_key("RI-001"),
        "fixed firmware still listed: {after:#?}"
    );
    let all = items_by_number(&json(dir.path(), &["findings", "--json", "--all"]));
    let ri1 = &all["RI-001"]["findings"][0];
    assert_eq!(ri1["match_status"], "resolved", "{ri1}");
}

#[test]
fn a_feed_that_fails_to_parse_changes_nothing() {
    let dir = data_dir();
    let file = ledger(dir.path());
    ok(dir.path(), &["ledger", "import", file.to_str().unwrap()]);
    let broken = dir.path().join("broken-advisory.json");
    let mut text = std::fs::read_to_string(shared(SEED)).unwrap();
    text.truncate(text.len() / 2);
    std::fs::write(&broken, text).unwrap();
    let out = mdsec(
        dir.path(),
        &[
            "feed",
            "import",
            shared(GE).to_str().unwrap(),
            broken.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken-advisory.json"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    let findings = json(dir.path(), &["findings", "--json"]);
    assert!(
        findings["items"].as_array().unwrap().is_empty(),
        "{findings}"
    );
    let conn = rusqlite::Connection::open(dir.path().join("mdsec.sqlite3")).unwrap();
    let n: i64 = conn
        .query_row("SELECT COUNT(*) FROM advisories", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0);
}

#[test]
fn an_sbom_attached_to_a_model_is_matched_against_osv_advisories() {
    let dir = data_dir();
    let file = ledger(dir.path());
    ok(dir.path(), &["ledger", "import", file.to_str().unwrap()]);
    // A real Go advisory and an SBOM that contains its package at an affected version.
    let osv_dir = shared("osv/go");
    let mut pick = None;
    for e in std::fs::read_dir(&osv_dir).unwrap() {
        let p = e.unwrap().path();
        let v: Value = match serde_json::from_slice(&std::fs::read(&p).unwrap()) {
            Ok(v) => v,
            Err(_) => continue,
        };
        let Some(a) = v["affected"].get(0) else {
            continue;
        };
        let name = a["package"]["name"].as_str().unwrap_or("").to_string();
        let ranges = a["ranges"].as_array().cloned().unwrap_or_default();
        let fixed = ranges
            .iter()
            .filter(|r| r["type"] == "SEMVER")
            .flat_map(|r| r["events"].as_array().cloned().unwrap_or_default())
            .find_map(|e| e["fixed"].as_str().map(str::to_string));
        let introduced_zero = ranges.iter().any(|r| {
            r["type"] == "SEMVER"
                && r["events"]
                    .as_array()
                    .is_some_and(|es| es.iter().any(|e| e["introduced"] == "0"))
        });
        if let (Some(fixed), true) = (
            fixed,
            introduced_zero && name.starts_with("github.com/") && v["withdrawn"].is_null(),
        ) {
            if fixed.starts_with("1.") || fixed.starts_with("0.") {
                pick = Some((p, v["id"].as_str().unwrap().to_string(), name));
                break;
            }
        }
    }
    let (adv_path, adv_id, package) = pick.expect("a Go OSV advisory with a SEMVER fixed version");
    let sbom = serde_json::json!({
        "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
        "components": [
            {"type": "library", "name": package, "version": "0.0.1", "purl": format!("pkg:golang/{package}@v0.0.1")},
            {"type": "library", "name": "unrelated", "version": "1.0.0", "purl": "pkg:golang/example.org/unrelated@v1.0.0"}
        ]
    });
    let sbom_file = dir.path().join("monitor.cdx.json");
    std::fs::write(&sbom_file, sbom.to_string()).unwrap();
    ok(dir.path(), &["feed", "import", adv_path.to_str().unwrap()]);
    let before = json(dir.path(), &["findings", "--json"]);
    assert!(before["items"].as_array().unwrap().is_empty(), "{before}");
    let attach = json(
        dir.path(),
        &[
            "sbom",
            "attach",
            sbom_file.to_str().unwrap(),
            "--manufacturer",
            "日本光電",
            "--model",
            "BSM-6701",
            "--json",
        ],
    );
    assert_eq!(attach["devices"], 1, "{attach}");
    assert_eq!(attach["findings_created"], 1, "{attach}");
    let after = json(dir.path(), &["findings", "--json"]);
    let by = items_by_number(&after);
    let ids: Vec<&str> = by["ICU-004"]["advisory_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(ids.contains(&adv_id.as_str()), "{after:#}");
    // With an SBOM on file the "no SBOM" reason is gone for that device.
    let reasons = by["ICU-004"]["reasons"].to_string();
    assert!(!reasons.contains("no_sbom"), "{reasons}");

    // The same through the API: an officer attaches it to another model; a department user may
    // not; a broken file is refused with its name and changes nothing.
    let server = Server::start(dir.path(), false);
    let token = token_for(dir.path(), "admin");
    crate::add_radiology_user(dir.path());
    let url = |model: &str, name: &str| {
        format!(
            "{}/api/v1/models/attach?kind=sbom&manufacturer={}&model={}&file_name={name}",
            server.base,
            crate::api::urlencode("フィリップス"),
            crate::api::urlencode(model)
        )
    };
    let r = crate::http()
        .post(url("IntelliVue MX450", "mx450.cdx.json"))
        .bearer_auth(&token)
        .body(sbom.to_string())
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().unwrap();
    assert_eq!(v["devices"], 1, "{v}");
    assert_eq!(v["findings_created"], 1, "{v}");
    let models = |t: &str| -> usize {
        let v: Value = crate::http()
            .get(format!("{}/api/v1/models", server.base))
            .bearer_auth(t)
            .send()
            .unwrap()
            .json()
            .unwrap();
        v["items"].as_array().map(Vec::len).unwrap_or(0)
    };
    let before = models(&token);
    let bad = crate::http()
        .post(url("IntelliVue MX800", "broken.cdx.json"))
        .bearer_auth(&token)
        .body(r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [{"#)
        .send()
        .unwrap();
    assert_eq!(bad.status(), 422);
    let msg = bad.text().unwrap();
    assert!(
        msg.contains("broken.cdx.json") && msg.contains("nothing was attached"),
        "{msg}"
    );
    assert_eq!(models(&token), before, "a refused file added a model");
    let rad = token_for(dir.path(), "rad1");
    let denied = crate::http()
        .post(url("IntelliVue MX450", "mx450.cdx.json"))
        .bearer_auth(&rad)
        .body(sbom.to_string())
        .send()
        .unwrap();
    assert_eq!(denied.status(), 403);
}

#[test]
fn demo_hospital_feed_import_fills_the_act_now_page() {
    let dir = data_dir();
    let server = Server::start(dir.path(), true);
    server.wait_healthy(Duration::from_secs(30));
    let token = token_for(dir.path(), "admin");
    server.wait_for_devices(&token, 2_000);
    let report = json(
        dir.path(),
        &[
            "feed",
            "import",
            shared("csaf/cisa-icsma").to_str().unwrap(),
            shared("kev").to_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(report["advisories_new"], 134, "{report}");
    assert!(report["kev_total"].as_u64().unwrap() > 1_000, "{report}");
    let findings = json(dir.path(), &["findings", "--json"]);
    let items = findings["items"].as_array().unwrap();
    let makers: BTreeSet<&str> = items
        .iter()
        .filter_map(|i| i["manufacturer"].as_str())
        .collect();
    assert!(items.len() >= 5, "{findings:#}");
    assert!(makers.len() >= 3, "several vendors: {makers:?}");
    assert!(items.iter().any(|i| i["model"] == "CMS8000"), "{makers:?}");
    // The act-now API lists the same devices first, with reasons.
    let act: Value = crate::http()
        .get(format!("{}/api/v1/act-now", server.base))
        .bearer_auth(&token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let first = &act["items"][0];
    assert_eq!(first["device"]["id"], items[0]["device_id"], "{act:#}");
    assert!(!first["reasons"].as_array().unwrap().is_empty());
    let html = crate::http()
        .get(format!("{}/act-now", server.base))
        .bearer_auth(&token)
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        html.contains("今すぐ対応が必要な機器"),
        "page is Japanese by default"
    );
    let first_number = items[0]["management_number"].as_str().unwrap();
    let pos_first = html.find(first_number).expect("first device on the page");
    let last_number = items.last().unwrap()["management_number"].as_str().unwrap();
    assert!(pos_first <= html.rfind(last_number).unwrap());
    assert!(
        html.contains("該当する脆弱性"),
        "reasons are shown in words"
    );
    // The findings page offers the exports; the xlsx download is a workbook, and the export is
    // audited.
    let xlsx = crate::http()
        .get(format!("{}/findings/export?format=xlsx", server.base))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(xlsx.status(), 200);
    let body = xlsx.bytes().unwrap();
    assert_eq!(&body[..2], b"PK");
    let audit = crate::http()
        .get(format!("{}/api/v1/audit?entity=findings", server.base))
        .bearer_auth(&token)
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(audit.contains("findings.export"), "{audit}");
}

#[test]
fn vex_dismissal_applies_and_a_conflict_is_shown_not_resolved() {
    let dir = data_dir();
    let file = ledger(dir.path());
    ok(dir.path(), &["ledger", "import", file.to_str().unwrap()]);
    ok(
        dir.path(),
        &["feed", "import", shared(SEED).to_str().unwrap()],
    );
    let (cves, _) = advisory_facts(SEED);
    // The manufacturer says the Contec monitor is not affected by every CVE of the advisory.
    let statements: Vec<Value> = cves
        .iter()
        .map(|c| serde_json::json!({"vulnerability": {"name": c}, "products": [{"@id": "CMS8000"}], "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"}))
        .collect();
    let mut doc = serde_json::json!({"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.org/vex/1", "author": "Contec PSIRT", "timestamp": "2024-01-01T00:00:00Z", "version": 1, "statements": statements});
    let vex = dir.path().join("contec.openvex.json");
    std::fs::write(&vex, doc.to_string()).unwrap();
    ok(
        dir.path(),
        &[
            "vex",
            "import",
            vex.to_str().unwrap(),
            "--manufacturer",
            "コンテック",
            "--model",
            "CMS8000",
            "--source",
            "manufacturer:Contec",
        ],
    );
    let by = items_by_number(&json(dir.path(), &["findings", "--json"]));
    assert!(
        !by.contains_key("ICU-001"),
        "the dismissed device still needs action"
    );
    assert!(
        by.contains_key("ICU-002"),
        "the relabelled Epsimed is not covered by Contec's statement"
    );
    // The hospital's findings as CycloneDX VEX: our own strict reader accepts the document, the
    // dismissal is `not_affected` with CycloneDX's justification, the open one is in triage.
    let vex_out = dir.path().join("findings.vex.json");
    ok(
        dir.path(),
        &["findings", "--out", vex_out.to_str().unwrap()],
    );
    let out = mdsec(
        dir.path(),
        &["inspect", "--strict", "--json", vex_out.to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cdx: Value = serde_json::from_slice(&std::fs::read(&vex_out).unwrap()).unwrap();
    assert_eq!(cdx["bomFormat"], "CycloneDX");
    let refs: std::collections::BTreeMap<String, String> = cdx["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let number = c["properties"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == "mdsec:device:management_number")
                .map(|p| p["value"].as_str().unwrap().to_string())
                .unwrap_or_default();
            (c["bom-ref"].as_str().unwrap().to_string(), number)
        })
        .collect();
    let states: Vec<(String, String, Value)> = cdx["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let r = v["affects"][0]["ref"].as_str().unwrap();
            (
                refs[r].clone(),
                v["analysis"]["state"].as_str().unwrap().to_string(),
                v["analysis"]["justification"].clone(),
            )
        })
        .collect();
    assert!(
        states
            .iter()
            .any(|(n, s, j)| n == "ICU-001" && s == "not_affected" && j == "code_not_reachable"),
        "{states:?}"
    );
    assert!(
        states
            .iter()
            .any(|(n, s, _)| n == "ICU-002" && s == "in_triage"),
        "{states:?}"
    );
    assert!(
        !states
            .iter()
            .any(|(n, s, _)| n == "ICU-001" && s != "not_affected"),
        "{states:?}"
    );
    let csv_out = dir.path().join("findings.csv");
    ok(
        dir.path(),
        &["findings", "--out", csv_out.to_str().unwrap()],
    );
    let csv = String::from_utf8(std::fs::read(&csv_out).unwrap()).unwrap();
    assert!(csv.starts_with("\u{feff}機器ID,管理番号"), "{csv}");
    assert_eq!(csv.lines().count(), states.len() + 1, "{csv}");
    assert!(
        csv.lines()
            .any(|l| l.contains("ICU-002") && l.contains("ICSMA-22-244-01")),
        "{csv}"
    );
    let bad = mdsec(
        dir.path(),
        &[
            "findings",
            "--out",
            dir.path().join("f.txt").to_str().unwrap(),
        ],
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains(".csv, .xlsx or .json"));
    // The hospital disagrees for one CVE: both statements are kept and the finding is open again.
    doc["statements"] = serde_json::json!([{"vulnerability": {"name": cves.iter().next().unwrap()}, "products": [{"@id": "CMS8000"}], "status": "affected"}]);
    let vex2 = dir.path().join("hospital.openvex.json");
    std::fs::write(&vex2, doc.to_string()).unwrap();
    ok(
        dir.path(),
        &[
            "vex",
            "import",
            vex2.to_str().unwrap(),
            "--manufacturer",
            "Contec",
            "--model",
            "CMS8000",
        ],
    );
    let all = json(dir.path(), &["findings", "--json"]);
    let by = items_by_number(&all);
    let item = by
        .get("ICU-001")
        .unwrap_or_else(|| panic!("conflict hidden: {all:#}"));
    let vex = &item["findings"][0]["vex"];
    assert_eq!(vex["conflict"], true, "{vex}");
    assert!(vex["statements"].as_array().unwrap().len() >= 2, "{vex}");
}

/// Notices by e-mail through a real SMTP server on loopback: the device safety officer and the
/// device's department user are told once per device and advisory, with the recommended action;
/// a user of another department is not; importing the same feed again sends nothing.
#[test]
fn new_findings_are_emailed_once_to_the_safety_officer_and_the_department() {
    let dir = data_dir();
    let file = ledger(dir.path());
    ok(dir.path(), &["ledger", "import", file.to_str().unwrap()]);
    for (name, role, dept, mail) in [
        ("dso", "device_safety", None, "dso@hospital.test"),
        (
            "icu",
            "department_user",
            Some("集中治療室"),
            "icu@hospital.test",
        ),
        (
            "rad",
            "department_user",
            Some("放射線科"),
            "rad@hospital.test",
        ),
    ] {
        let mut args = vec!["user", "add", name, "--role", role, "--email", mail];
        if let Some(d) = dept {
            args.extend(["--department", d]);
        }
        ok(dir.path(), &args);
    }
    let bad = mdsec(dir.path(), &["user", "email", "rad", "not an address"]);
    assert!(!bad.status.success());
    let sink = crate::smtp_sink::SmtpSink::start();
    let import = |dir: &Path| {
        let out = std::process::Command::new(crate::mdsec_bin())
            .args(["feed", "import", shared(SEED).to_str().unwrap(), "--json"])
            .arg("--data-dir")
            .arg(dir)
            .env("MDSEC_SMTP_URL", sink.url())
            .env("MDSEC_MAIL_FROM", "mdsec@hospital.test")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let report = import(dir.path());
    // Two devices (Contec CMS8000 and the relabelled Epsimed) × two recipients.
    assert_eq!(report["emailed"], 4, "{report}");
    let mails = sink.wait_for(4);
    assert_eq!(mails.len(), 4, "{mails:#?}");
    let (_, remediations) = advisory_facts(SEED);
    for m in &mails {
        assert!(
            m.to == "dso@hospital.test" || m.to == "icu@hospital.test",
            "{m:?}"
        );
        assert_eq!(m.from, "mdsec@hospital.test");
        assert!(m.subject.contains("ICSMA-22-244-01"), "{m:?}");
        assert!(m.subject.contains("対応が必要な機器"), "{m:?}");
        assert!(
            remediations
                .iter()
                .any(|r| m.body.contains(r.lines().next().unwrap().trim())),
            "the recommended action is in the mail: {m:?}"
        );
    }
    for n in ["ICU-001", "ICU-002"] {
        for to in ["dso@hospital.test", "icu@hospital.test"] {
            assert_eq!(
                mails
                    .iter()
                    .filter(|m| m.to == to && m.subject.contains(n))
                    .count(),
                1,
                "{n} to {to}: {mails:#?}"
            );
        }
    }
    let again = import(dir.path());
    assert_eq!(again["emailed"], 0, "{again}");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(sink.mails().len(), 4);
}

/// Issue 11 (9): a manufacturer's act-now list and its `total` count only its own devices.
#[test]
fn a_manufacturer_sees_its_own_act_now_total_not_the_hospitals() {
    let dir = data_dir();
    let file = ledger(dir.path());
    ok(dir.path(), &["ledger", "import", file.to_str().unwrap()]);
    ok(
        dir.path(),
        &[
            "feed",
            "import",
            shared(SEED).to_str().unwrap(),
            shared(GE).to_str().unwrap(),
        ],
    );
    // The first start creates the administrator (only when there is no account yet).
    let server = Server::start(dir.path(), false);
    let admin = token_for(dir.path(), "admin");
    crate::add_user(
        dir.path(),
        "ge-psirt",
        "manufacturer",
        &["--manufacturer", "GE Healthcare"],
        "ge-Psirt-secret-1",
    );
    let vendor = token_for(dir.path(), "ge-psirt");
    let get = |token: &str| -> Value {
        crate::http()
            .get(format!("{}/api/v1/act-now", server.base))
            .bearer_auth(token)
            .send()
            .unwrap()
            .json()
            .unwrap()
    };
    let all = get(&admin);
    let own = get(&vendor);
    let own_items = own["items"].as_array().unwrap();
    assert!(!own_items.is_empty(), "GE's devices have findings: {own}");
    assert!(own_items.iter().all(|i| i["device"]["manufacturer"]
        .as_str()
        .is_some_and(|m| m.eq_ignore_ascii_case("GE Healthcare"))));
    assert_eq!(own["total"], own_items.len(), "{own}");
    assert!(
        all["total"].as_u64().unwrap() > own_items.len() as u64,
        "the hospital has Contec findings too: {all}"
    );
}

/// `mdsec sbom check --vex` (what scripts/lint runs on our own Cargo.lock): a justified
/// `not_affected` statement answers its finding (exit 0, listed under `answered_by_vex`), one about
/// another version does not, one that answers nothing is reported, and an unjustified one is refused.
#[test]
fn sbom_check_applies_vex_statements() {
    let dir = data_dir();
    let osv = shared("rustsec/osv/crates/RUSTSEC-2026-0194.json");
    let osv = osv.to_str().unwrap();
    let sbom = serde_json::json!({
        "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
        "components": [
            {"type": "library", "name": "quick-xml", "version": "0.37.5", "purl": "pkg:cargo/quick-xml@0.37.5"},
            {"type": "library", "name": "serde", "version": "1.0.228", "purl": "pkg:cargo/serde@1.0.228"}
        ]
    });
    let sbom_file = dir.path().join("product.cdx.json");
    std::fs::write(&sbom_file, sbom.to_string()).unwrap();
    let sbom_file = sbom_file.to_str().unwrap();
    let vex = |name: &str, statements: Value| -> String {
        let doc = serde_json::json!({
            "@context": "https://openvex.dev/ns/v0.2.0", "@id": "urn:uuid:1",
            "author": "PSIRT", "timestamp": "2026-12-07T00:00:00Z", "version": 1,
            "statements": statements,
        });
        let file = dir.path().join(name);
        std::fs::write(&file, doc.to_string()).unwrap();
        file.to_str().unwrap().to_string()
    };
    let check = |extra: &[&str]| {
        let mut args = vec!["sbom", "check", sbom_file, "--advisories", osv, "--json"];
        args.extend_from_slice(extra);
        mdsec(dir.path(), &args)
    };
    let statement = |purl: &str, vuln: &str| {
        serde_json::json!({
            "vulnerability": {"name": vuln}, "products": [{"@id": purl}],
            "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path",
            "impact_statement": "Only our own configuration files are parsed."
        })
    };

    // Without VEX: the finding, exit 1.
    let out = check(&[]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["findings"][0]["advisory_id"], "RUSTSEC-2026-0194",
        "{v:#}"
    );
    assert_eq!(v["findings"][0]["status"], "affected", "{v:#}");

    // A justified statement on this exact package version answers it; a statement about another
    // advisory answers nothing and is reported on stderr.
    let good = vex(
        "good.openvex.json",
        serde_json::json!([
            statement("pkg:cargo/quick-xml@0.37.5", "RUSTSEC-2026-0194"),
            statement("pkg:cargo/serde@1.0.228", "RUSTSEC-2099-0001"),
        ]),
    );
    let out = check(&["--vex", &good]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["findings"], serde_json::json!([]), "{v:#}");
    let answered = &v["answered_by_vex"][0];
    assert_eq!(answered["advisory_id"], "RUSTSEC-2026-0194", "{v:#}");
    assert_eq!(answered["status"], "not_affected", "{v:#}");
    assert_eq!(
        answered["vex"]["statements"][0]["justification"], "vulnerable_code_not_in_execute_path",
        "{v:#}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("RUSTSEC-2099-0001") && stderr.contains("answers no finding"),
        "{stderr}"
    );
    assert!(!stderr.contains("RUSTSEC-2026-0194"), "{stderr}");

    // A statement about another version of the package leaves the finding open.
    let other = vex(
        "other-version.openvex.json",
        serde_json::json!([statement("pkg:cargo/quick-xml@0.37.4", "RUSTSEC-2026-0194")]),
    );
    assert_eq!(check(&["--vex", &other]).status.code(), Some(1));

    // `not_affected` without a justification or impact statement is refused, naming the file.
    let bare = vex(
        "bare.openvex.json",
        serde_json::json!([{
            "vulnerability": {"name": "RUSTSEC-2026-0194"},
            "products": [{"@id": "pkg:cargo/quick-xml@0.37.5"}], "status": "not_affected"
        }]),
    );
    let out = check(&["--vex", &bare]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bare.openvex.json") && stderr.contains("no justification"),
        "{stderr}"
    );
    assert!(
        out.stdout.is_empty(),
        "nothing is reported from a refused VEX file"
    );
}
