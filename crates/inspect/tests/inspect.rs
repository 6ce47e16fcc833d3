//! `inspect` on one real file of each kind: the kind is detected from content and the named fields
//! of the normalised JSON match what the test reads from the same file on its own (serde_json,
//! serde_norway or plain line reading), never what the parsers produced.

use mdsec_inspect::{detect, inspect, Kind};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn data() -> PathBuf {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"));
    assert!(p.is_dir(), "shared test data missing at {}", p.display());
    p
}

fn read(rel: &str) -> Vec<u8> {
    let p = data().join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn json_file(rel: &str) -> Value {
    serde_json::from_slice(&read(rel)).unwrap()
}

/// Inspect leniently, check the kind, and return `to_json()`.
fn inspect_ok(name: &str, bytes: &[u8], kind: Kind) -> Value {
    let i = inspect(name, bytes, false).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(i.kind, kind, "{name}");
    let j = i.to_json();
    assert_eq!(j["kind"], kind.as_str(), "{name}");
    assert!(j["diagnostics"].is_array(), "{name}");
    assert!(!i.human_summary().is_empty());
    j
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn str_or_null(v: &Value) -> Value {
    match v.as_str() {
        Some(s) => Value::String(s.to_string()),
        None => Value::Null,
    }
}

/// Every component of a CycloneDX JSON document, nested ones after their parent (depth first).
fn cyclonedx_components(list: &Value, out: &mut Vec<Value>) {
    for c in list.as_array().into_iter().flatten() {
        out.push(c.clone());
        cyclonedx_components(&c["components"], out);
    }
}

#[test]
fn medical_sbom_components_keep_purl_and_cpe() {
    let rel = "sbom-medical/narrow.sbom.json";
    let file = json_file(rel);
    let j = inspect_ok("narrow.sbom.json", &read(rel), Kind::Cyclonedx);
    assert_eq!(j["spec_version"], file["specVersion"]);
    let mut want = Vec::new();
    cyclonedx_components(&file["components"], &mut want);
    let got = j["components"].as_array().unwrap();
    assert!(want.len() > 20, "expected a real SBOM, got {}", want.len());
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g["name"], w["name"]);
        assert_eq!(g["purl"], str_or_null(&w["purl"]), "purl of {}", w["name"]);
        assert_eq!(g["cpe"], str_or_null(&w["cpe"]), "cpe of {}", w["name"]);
        // Every item carries the four keys, null when absent.
        for k in ["name", "version", "purl", "cpe"] {
            assert!(g.get(k).is_some(), "{k} missing in {g}");
        }
        match w["version"].as_str() {
            Some(v) if !v.is_empty() => assert_eq!(g["version"], v),
            _ => assert!(g["version"].as_str().is_none_or(str::is_empty)),
        }
    }
}

#[test]
fn contec_csaf_advisory() {
    let rel = "csaf/cisa-icsma/icsma-22-244-01.json";
    let file = json_file(rel);
    let j = inspect_ok("icsma-22-244-01.json", &read(rel), Kind::Csaf);
    let want: BTreeSet<String> = file["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["cve"].as_str().map(str::to_string))
        .collect();
    assert_eq!(want.len(), 5);
    let got: BTreeSet<String> = strings(&j["cves"]).into_iter().collect();
    assert_eq!(got, want);
    assert_eq!(j["tracking_id"], file["document"]["tracking"]["id"]);
    assert_eq!(j["title"], file["document"]["title"]);
    let products = j["products"].as_array().unwrap();
    let p = products
        .iter()
        .find(|p| p["product"] == "CMS8000 CONTEC ICU CCU Vital Signs Patient Monitor")
        .unwrap_or_else(|| panic!("product missing: {products:?}"));
    assert_eq!(p["version_range"], "vers:all/*");
    assert_eq!(p["vendor"], "Contec Health");
    assert!(p["product_id"].is_string());
    // The range sits in a `product_version` branch (CSAF 6.1.31): imported leniently, listed as a
    // diagnostic, refused with --strict at the branch's JSON pointer.
    let diags = j["diagnostics"].as_array().unwrap();
    assert!(
        diags.iter().any(|d| d["code"] == "csaf-6.1.31"),
        "{diags:?}"
    );
    let e = inspect("icsma-22-244-01.json", &read(rel), true).unwrap_err();
    assert_eq!(e.file.as_deref(), Some("icsma-22-244-01.json"));
    let at = e.position.path.clone().unwrap_or_default();
    assert!(at.starts_with("/product_tree/branches/0/"), "{e}");
}

#[test]
fn osv_go_json() {
    let rel = "osv/go/GO-2020-0001.json";
    let file = json_file(rel);
    let j = inspect_ok("GO-2020-0001.json", &read(rel), Kind::Osv);
    assert_eq!(j["id"], file["id"]);
    assert_eq!(j["aliases"], file["aliases"]);
    let want: Vec<&Value> = file["affected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["package"]["name"])
        .collect();
    let got: Vec<&Value> = j["affected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["package"])
        .collect();
    assert_eq!(got, want);
}

#[test]
fn pypa_osv_yaml() {
    let rel = "osv/pypi/apache-skywalking/PYSEC-2020-342.yaml";
    let file: Value = serde_norway::from_slice(&read(rel)).unwrap();
    let j = inspect_ok("PYSEC-2020-342.yaml", &read(rel), Kind::Osv);
    assert_eq!(j["syntax"], "yaml");
    assert_eq!(j["id"], file["id"]);
    assert_eq!(strings(&j["aliases"]), strings(&file["aliases"]));
    let (got, want) = (&j["affected"][0], &file["affected"][0]);
    assert_eq!(got["package"], want["package"]["name"]);
    assert_eq!(got["ecosystem"], want["package"]["ecosystem"]);
    assert_eq!(got["purl"], want["package"]["purl"]);
    assert_eq!(strings(&got["versions"]), strings(&want["versions"]));
}

/// `key = "value"` or `key = ["a", "b"]` lines of the TOML front matter, read by hand.
fn toml_line(text: &str, key: &str) -> Vec<String> {
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix(key)?.trim_start().strip_prefix('='))
        .unwrap_or_else(|| panic!("{key} missing"));
    line.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

#[test]
fn rustsec_markdown() {
    let rel = "rustsec/advisory-db/crates/tokio-rustls/RUSTSEC-2020-0019.md";
    let text = String::from_utf8(read(rel)).unwrap();
    let j = inspect_ok("RUSTSEC-2020-0019.md", text.as_bytes(), Kind::Rustsec);
    assert_eq!(j["id"], toml_line(&text, "id")[0]);
    assert_eq!(strings(&j["aliases"]), toml_line(&text, "aliases"));
    assert_eq!(j["affected"][0]["package"], toml_line(&text, "package")[0]);
    assert_eq!(
        strings(&j["affected"][0]["patched"]),
        toml_line(&text, "patched")
    );
}

#[test]
fn kev_json_and_csv() {
    let rel = "kev/known_exploited_vulnerabilities.json";
    let file = json_file(rel);
    let j = inspect_ok("kev.json", &read(rel), Kind::Kev);
    let n = file["vulnerabilities"].as_array().unwrap().len();
    assert_eq!(j["count"], n);
    assert_eq!(j["declared_count"], file["count"]);
    assert_eq!(j["catalog_version"], file["catalogVersion"]);
    assert_eq!(
        j["vulnerabilities"][0]["cveID"],
        file["vulnerabilities"][0]["cveID"]
    );

    let rel = "kev/known_exploited_vulnerabilities.csv";
    let text = String::from_utf8(read(rel)).unwrap();
    let want: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("CVE-"))
        .filter_map(|l| l.split(',').next())
        .collect();
    let j = inspect_ok("kev.csv", text.as_bytes(), Kind::Kev);
    assert_eq!(j["syntax"], "csv");
    assert_eq!(j["count"], want.len());
    let got: Vec<&str> = j["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["cveID"].as_str())
        .collect();
    assert_eq!(got, want);
}

#[test]
fn jvn_xml_detail() {
    let rel = "jvn/examples/hnd/getVulnDetailInfo_hnd_JVNDB-2021-002774.xml";
    let text = String::from_utf8(read(rel)).unwrap();
    let id = text
        .split("<VulinfoID>")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap();
    let cves: BTreeSet<&str> = text
        .split(['>', '<', '"', ' '])
        .filter(|s| s.starts_with("CVE-") && s.len() > 9)
        .collect();
    assert!(!cves.is_empty());
    let j = inspect_ok("detail.xml", text.as_bytes(), Kind::Jvn);
    let entries = j["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["id"], id);
    let got: BTreeSet<String> = strings(&entries[0]["cves"]).into_iter().collect();
    assert_eq!(
        got,
        cves.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>()
    );
}

/// MyJVN's feed writes `"retMax": ,` (invalid JSON); detection must not stop at the syntax error,
/// the JVN parser reads past it with a diagnostic.
#[test]
fn myjvn_invalid_json_still_reaches_the_jvn_parser() {
    let rel = "jvn/examples/oka/dataFeed_myjvn_product_oka.json";
    let bytes = read(rel);
    assert!(
        serde_json::from_slice::<Value>(&bytes).is_err(),
        "expected the upstream quirk"
    );
    let i = inspect("product.json", &bytes, false).unwrap();
    assert_eq!(i.kind, Kind::Jvn);
    assert!(!i.diagnostics.is_empty());
    assert!(inspect("product.json", &bytes, true).is_err());
}

#[test]
fn jvn_csaf_variant_is_jvn_not_csaf() {
    let rel = "jvn/examples/oka/getVulnDetailInfo_oka_JVNDB-2021-002774.json";
    let j = inspect_ok("detail.json", &read(rel), Kind::Jvn);
    assert_eq!(j["entries"][0]["id"], "JVNDB-2021-002774");
}

#[test]
fn nvd_page_fixture() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/nvd_page.json");
    let bytes = std::fs::read(path).unwrap();
    let file: Value = serde_json::from_slice(&bytes).unwrap();
    let j = inspect_ok("nvd_page.json", &bytes, Kind::Nvd);
    assert_eq!(j["results_per_page"], file["resultsPerPage"]);
    assert_eq!(j["total_results"], file["totalResults"]);
    assert_eq!(j["format"], file["format"]);
    let want = file["vulnerabilities"].as_array().unwrap();
    let got = j["vulnerabilities"].as_array().unwrap();
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        let cve = &w["cve"];
        assert_eq!(g["id"], cve["id"]);
        let v31 = &cve["metrics"]["cvssMetricV31"][0]["cvssData"];
        assert_eq!(g["cvss"]["score"], v31["baseScore"]);
        assert_eq!(g["cvss"]["vector"], v31["vectorString"]);
        let mut cwes: Vec<String> = Vec::new();
        for d in cve["weaknesses"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|w| w["description"].as_array().unwrap())
        {
            let s = d["value"].as_str().unwrap().to_string();
            if s.starts_with("CWE-") && !cwes.contains(&s) {
                cwes.push(s);
            }
        }
        assert_eq!(strings(&g["cwes"]), cwes);
        let mut criteria: Vec<String> = Vec::new();
        for c in cve["configurations"].as_array().unwrap() {
            for n in c["nodes"].as_array().unwrap() {
                for m in n["cpeMatch"].as_array().unwrap() {
                    let s = m["criteria"].as_str().unwrap().to_string();
                    if !criteria.contains(&s) {
                        criteria.push(s);
                    }
                }
            }
        }
        assert_eq!(strings(&g["cpe_criteria"]), criteria);
        assert_eq!(
            g["configurations"].as_array().unwrap().len(),
            cve["configurations"].as_array().unwrap().len()
        );
        assert_eq!(g["in_kev"], cve.get("cisaExploitAdd").is_some());
    }
}

#[test]
fn epss_csv() {
    let text = "#model_version:v2025.03.14,score_date:2025-03-20T00:00:00+0000\n\
                cve,epss,percentile\n\
                CVE-2022-38100,0.00043,0.09890\n\
                CVE-2021-44228,0.94358,0.99957\n";
    let j = inspect_ok("epss.csv", text.as_bytes(), Kind::Epss);
    let meta = text.lines().next().unwrap().trim_start_matches('#');
    let field = |k: &str| {
        meta.split(',')
            .find_map(|p| p.strip_prefix(k)?.strip_prefix(':'))
            .unwrap()
    };
    assert_eq!(j["model_version"], field("model_version"));
    assert_eq!(j["score_date"], field("score_date"));
    let rows: Vec<Vec<&str>> = text
        .lines()
        .skip(2)
        .map(|l| l.split(',').collect())
        .collect();
    let got = j["rows"].as_array().unwrap();
    assert_eq!(got.len(), rows.len());
    for (g, w) in got.iter().zip(&rows) {
        assert_eq!(g["cve"], w[0]);
        assert_eq!(g["epss"].as_f64().unwrap(), w[1].parse::<f64>().unwrap());
        assert_eq!(
            g["percentile"].as_f64().unwrap(),
            w[2].parse::<f64>().unwrap()
        );
    }
    // The same header without the comment line is EPSS too; anything else with CVEs is not.
    assert_eq!(
        detect("x.csv", b"cve,epss,percentile\nCVE-2021-44228,0.9,0.9\n").unwrap(),
        Kind::Epss
    );
}

/// (id, question, answer) rows of an MDS2 form written here in the HN 1-2019 layout.
const MDS2_ROWS: &[(&str, &str, &str)] = &[
    ("DOC-1", "Manufacturer Name", "Example Medical"),
    ("DOC-3", "Device Model", "EM-100"),
    (
        "MPII-1",
        "Can this device display, transmit, store, or modify personally identifiable information?",
        "Yes",
    ),
    (
        "ALOF-1",
        "Can the device be configured to force reauthorization of logged-in user(s)?",
        "No",
    ),
    (
        "AUTH-1",
        "Does the device prevent access to unauthorized users through user login requirements?",
        "Yes",
    ),
    (
        "CSUP-1",
        "Does the device contain any software or firmware which may require security updates?",
        "Yes",
    ),
    (
        "EMRG-1",
        "Does the device incorporate an emergency access feature?",
        "N/A",
    ),
];

fn mds2_workbook() -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("MDS2").unwrap();
    ws.write_string(
        0,
        0,
        "Manufacturer Disclosure Statement for Medical Device Security -- MDS2",
    )
    .unwrap();
    ws.write_string(2, 1, "Question").unwrap();
    for (i, (id, q, a)) in MDS2_ROWS.iter().enumerate() {
        let r = 3 + i as u32;
        ws.write_string(r, 0, *id).unwrap();
        ws.write_string(r, 1, *q).unwrap();
        ws.write_string(r, 2, *a).unwrap();
    }
    wb.save_to_buffer().unwrap()
}

#[test]
fn mds2_workbook_is_mds2() {
    let bytes = mds2_workbook();
    let j = inspect_ok("form.xlsx", &bytes, Kind::Mds2);
    let answers = j["answers"].as_array().unwrap();
    for (id, _, raw) in MDS2_ROWS {
        let a = answers
            .iter()
            .find(|a| a["question_id"] == *id)
            .unwrap_or_else(|| panic!("{id} missing: {answers:?}"));
        assert_eq!(a["raw"], *raw, "{id}");
        let want = match *raw {
            "Yes" => "Yes",
            "No" => "No",
            "N/A" => "N_A",
            _ => "Other",
        };
        assert_eq!(a["answer"], want, "{id}");
    }
    assert!(j["profile"].is_object());
}

fn ledger_workbook() -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("機器台帳").unwrap();
    for (c, h) in ["管理番号", "機器名称", "型式", "IPアドレス"]
        .iter()
        .enumerate()
    {
        ws.write_string(1, c as u16, *h).unwrap();
    }
    ws.write_string(0, 0, "医療機器台帳 2026年度").unwrap();
    for (r, row) in [
        ["ME-0001", "輸液ポンプ", "TE-171", "10.0.0.5"],
        ["ME-0002", "生体情報モニタ", "BSM-3000", "10.0.0.6"],
    ]
    .iter()
    .enumerate()
    {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(2 + r as u32, c as u16, *v).unwrap();
        }
    }
    wb.save_to_buffer().unwrap()
}

#[test]
fn ledger_workbook_is_not_mds2() {
    let j = inspect_ok("台帳.xlsx", &ledger_workbook(), Kind::Ledger);
    assert_eq!(j["header_row"], 2);
    let rows = j["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["row"], 3);
    assert_eq!(rows[0]["fields"]["management_number"], "ME-0001");
    assert_eq!(rows[1]["fields"]["name"], "生体情報モニタ");
    assert_eq!(rows[1]["fields"]["ip"], "10.0.0.6");
    assert_eq!(j["rejected"], Value::Array(vec![]));
}

fn sjis(s: &str) -> Vec<u8> {
    let (bytes, _, had_errors) = encoding_rs::SHIFT_JIS.encode(s);
    assert!(!had_errors);
    bytes.into_owned()
}

#[test]
fn shift_jis_ledger_csv_with_a_rejected_row() {
    let csv = "管理番号,機器名称,型式,IPアドレス\r\n\
               ME-0001,輸液ポンプ,TE-171,10.0.0.5\r\n\
               ME-0002,生体情報モニタ,BSM-3000,999.1.1.1\r\n";
    let bytes = sjis(csv);
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "must really be Shift_JIS"
    );
    let j = inspect_ok("ledger.csv", &bytes, Kind::Ledger);
    assert_eq!(j["header_row"], 1);
    assert_eq!(j["format"]["encoding"], "shift_jis");
    let rows = j["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["fields"]["name"], "輸液ポンプ");
    assert_eq!(rows[0]["fields"]["model"], "TE-171");
    let rejected = j["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0]["row"], 3);
    assert_eq!(rejected[0]["column"], "IPアドレス");
    // The rejection is an error diagnostic, so --strict refuses the file and says where.
    let e = inspect("ledger.csv", &bytes, true).unwrap_err();
    let msg = e.to_string();
    assert!(msg.starts_with("ledger.csv: strict: error"), "{msg}");
    assert!(msg.contains("row 3") && msg.contains("IPアドレス"), "{msg}");
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    out.sort();
    out
}

/// The CycloneDX suite's `invalid-*` documents (JSON and XML; the protobuf text files are no format
/// mdsec reads) must all be refused in strict mode.
#[test]
fn conformance_inspect_strict() {
    let root = data().join("cyclonedx-spec");
    let (mut rejected, mut total) = (0, 0);
    let mut accepted = Vec::new();
    for version in files(&root) {
        if !version.is_dir() {
            continue;
        }
        for path in files(&version) {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let ext = path.extension().unwrap_or_default();
            if !name.starts_with("invalid-") || !(ext == "json" || ext == "xml") {
                continue;
            }
            total += 1;
            match inspect(&name, &std::fs::read(&path).unwrap(), true) {
                Err(e) => {
                    assert!(e.to_string().starts_with(&format!("{name}: ")), "{e}");
                    rejected += 1;
                }
                Ok(_) => accepted.push(format!("{}/{name}", version.display())),
            }
        }
    }
    println!("inspect-cyclonedx-invalid-strict: {rejected}/{total}");
    assert!(total > 250, "only {total} invalid documents found");
    assert!(accepted.is_empty(), "accepted in strict mode: {accepted:?}");
}

/// Strict mode must not refuse everything: the suite's valid documents (1.2 and later, the versions
/// the SBOM parser supports) pass it as CycloneDX.
#[test]
fn valid_cyclonedx_passes_strict() {
    let root = data().join("cyclonedx-spec");
    let mut n = 0;
    for v in ["1.2", "1.3", "1.4", "1.5", "1.6", "1.7"] {
        for path in files(&root.join(v)) {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let ext = path.extension().unwrap_or_default();
            if !name.starts_with("valid-") || !(ext == "json" || ext == "xml") {
                continue;
            }
            let i = inspect(&name, &std::fs::read(&path).unwrap(), true)
                .unwrap_or_else(|e| panic!("{v}/{name}: {e}"));
            assert_eq!(i.kind, Kind::Cyclonedx, "{v}/{name}");
            n += 1;
        }
    }
    assert!(n > 400, "only {n} valid documents found");
}

#[test]
fn malformed_json_names_file_line_and_column() {
    let bytes =
        b"{\n  \"bomFormat\": \"CycloneDX\",\n  \"components\": [ {\"name\": \"a\",, } ]\n}\n";
    let e = inspect("bad.json", bytes, false).unwrap_err();
    assert_eq!(e.file.as_deref(), Some("bad.json"));
    assert_eq!(e.position.line, Some(3));
    assert!(e.position.column.is_some());
    let msg = e.to_string();
    assert!(msg.starts_with("bad.json: invalid JSON"), "{msg}");
    assert!(msg.contains("line 3, column"), "{msg}");
}

#[test]
fn truncated_files_name_the_file() {
    let sbom = read("sbom-medical/narrow.sbom.json");
    let csaf = read("csaf/cisa-icsma/icsma-22-244-01.json");
    let xlsx = mds2_workbook();
    for (name, bytes) in [
        ("narrow.sbom.json", &sbom),
        ("icsma-22-244-01.json", &csaf),
        ("form.xlsx", &xlsx),
    ] {
        let cut = &bytes[..bytes.len() / 2];
        let e = inspect(name, cut, false).unwrap_err();
        assert!(e.to_string().starts_with(&format!("{name}: ")), "{e}");
        assert_eq!(e.file.as_deref(), Some(name));
    }
    // Text of no supported kind falls through to the ledger reader, and the error says both.
    let e = inspect("notes.md", b"# Notes\n\nNothing tabular here.\n", false).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.starts_with("notes.md: not a recognised format"),
        "{msg}"
    );
    assert!(msg.contains("device-ledger CSV"), "{msg}");
    let e = inspect("empty.json", b" \n", false).unwrap_err();
    assert!(e.to_string().starts_with("empty.json: "), "{e}");
}

#[test]
fn strict_names_file_and_position() {
    // KEV says `count` 2 but lists one entry: a warning, read past leniently, refused with --strict.
    let kev =
        br#"{"title":"t","catalogVersion":"1","dateReleased":"2025-01-01T00:00:00Z","count":2,
"vulnerabilities":[{"cveID":"CVE-2021-44228","vendorProject":"Apache","product":"Log4j",
"vulnerabilityName":"Log4j2 RCE","dateAdded":"2021-12-10","shortDescription":"s",
"requiredAction":"a","dueDate":"2021-12-24","knownRansomwareCampaignUse":"Known","notes":"",
"cwes":["CWE-20"]}]}"#;
    let lenient = inspect("kev.json", kev, false).unwrap();
    assert!(!lenient.diagnostics.is_empty());
    assert!(lenient.human_summary().contains("diagnostics"));
    let e = inspect("kev.json", kev, true).unwrap_err();
    assert_eq!(e.file.as_deref(), Some("kev.json"));
    assert!(!e.position.is_empty(), "{e}");
    assert_eq!(e.position.path.as_deref(), Some("/count"), "{e}");
    assert!(
        e.to_string().starts_with("kev.json: strict: warning"),
        "{e}"
    );
}

/// Truncated and bit-flipped versions of real files of every kind: `inspect` never panics, strict
/// mode is never more permissive than lenient mode, and a strict pass means no warning or error.
#[test]
fn mutated_inputs_never_panic_and_strict_is_stricter() {
    let nvd = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/nvd_page.json"
    ))
    .unwrap();
    let kev_csv: Vec<u8> = String::from_utf8(read("kev/known_exploited_vulnerabilities.csv"))
        .unwrap()
        .lines()
        .take(20)
        .flat_map(|l| format!("{l}\n").into_bytes())
        .collect();
    let seeds: Vec<(&str, Vec<u8>)> = vec![
        ("a.json", read("sbom-medical/narrow.sbom.json")),
        ("b.json", read("csaf/cisa-icsma/icsma-22-244-01.json")),
        ("c.json", read("osv/go/GO-2020-0001.json")),
        (
            "d.yaml",
            read("osv/pypi/apache-skywalking/PYSEC-2020-342.yaml"),
        ),
        (
            "e.md",
            read("rustsec/advisory-db/crates/tokio-rustls/RUSTSEC-2020-0019.md"),
        ),
        (
            "f.xml",
            read("jvn/examples/hnd/getVulnDetailInfo_hnd_JVNDB-2021-002774.xml"),
        ),
        ("g.json", nvd),
        ("h.csv", kev_csv),
        ("i.xlsx", mds2_workbook()),
        ("j.xlsx", ledger_workbook()),
        (
            "k.csv",
            sjis("管理番号,機器名称,IPアドレス\r\nME-1,輸液ポンプ,10.0.0.1\r\n"),
        ),
    ];
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut checked = 0;
    for (name, seed) in &seeds {
        let mut variants: Vec<Vec<u8>> = (1..=20)
            .map(|k| seed[..seed.len() * k / 21].to_vec())
            .collect();
        for _ in 0..20 {
            let mut v = seed.clone();
            let at = (next() % v.len() as u64) as usize;
            v[at] ^= 1 << (next() % 8);
            variants.push(v);
        }
        for v in variants {
            let lenient = inspect(name, &v, false);
            let strict = inspect(name, &v, true);
            match (&lenient, &strict) {
                (Err(_), Ok(_)) => panic!("{name}: strict accepted what lenient refused"),
                (Ok(l), Ok(s)) => {
                    assert_eq!(l.kind, s.kind);
                    assert!(s
                        .diagnostics
                        .iter()
                        .all(|d| d.severity < mdsec_inspect::Severity::Warning));
                }
                (Err(e), _) | (_, Err(e)) => {
                    assert_eq!(e.file.as_deref(), Some(*name), "{e}")
                }
            }
            if let Ok(i) = lenient {
                assert!(i.to_json().is_object());
                let _ = i.human_summary();
            }
            checked += 1;
        }
    }
    assert_eq!(checked, seeds.len() * 40);
}

#[test]
fn spdx_json_and_tag_value() {
    let rel = "spdx-examples/software/example8/spdx2.3/examplemaven-0.0.1.spdx.json";
    let file = json_file(rel);
    let j = inspect_ok("maven.spdx.json", &read(rel), Kind::Spdx);
    assert_eq!(j["spec_version"], file["spdxVersion"]);
    let mut want: Vec<String> = file["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .chain(
            file["files"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| f["fileName"].as_str().unwrap().to_string()),
        )
        .collect();
    let mut got: Vec<String> = j["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    want.sort();
    got.sort();
    assert_eq!(got, want);

    let rel = "spdx-examples/software/example6/spdx2.2/example6-bin.spdx";
    let text = String::from_utf8(read(rel)).unwrap();
    let j = inspect_ok("example6-bin.spdx", text.as_bytes(), Kind::Spdx);
    let mut want: Vec<&str> = text
        .lines()
        .filter_map(|l| {
            l.strip_prefix("PackageName:")
                .or(l.strip_prefix("FileName:"))
        })
        .map(str::trim)
        .collect();
    let mut got: Vec<&str> = j["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    want.sort();
    got.sort();
    assert_eq!(got, want);
}
