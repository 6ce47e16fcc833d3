//! Conformance on real public data in `shared/data` (the repository's sibling). Missing data fails.

use mdsec_advisory::{
    detect, parse_csaf, parse_osv_json, parse_osv_yaml, parse_rustsec, AdvisoryFormat,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn data(rel: &str) -> PathBuf {
    let p = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).join(rel);
    assert!(p.exists(), "test data missing: {}", p.display());
    p
}

/// All files under `dir` (recursively) whose name ends with `ext`, sorted.
fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().ends_with(ext) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn conformance_csaf_oasis_examples() {
    let all = files(&data("oasis-csaf/examples/csaf"), ".json");
    assert!(
        all.len() >= 15,
        "expected the OASIS CSAF examples, found {}",
        all.len()
    );
    let mut ok = 0;
    for f in &all {
        match parse_csaf(&name(f), &std::fs::read(f).unwrap()) {
            Ok(doc) => {
                ok += 1;
                assert_eq!(
                    detect(&std::fs::read(f).unwrap()),
                    Some(AdvisoryFormat::Csaf),
                    "{}",
                    f.display()
                );
                assert!(!doc.document.tracking.id.is_empty());
                // Official examples are valid: no mandatory-test failures.
                let mandatory: Vec<_> = doc
                    .diagnostics
                    .iter()
                    .filter(|d| d.code.starts_with("csaf-6.1."))
                    .collect();
                assert!(mandatory.is_empty(), "{}: {mandatory:?}", f.display());
            }
            Err(e) => eprintln!("{e}"),
        }
    }
    println!("csaf-oasis-examples: {ok}/{}", all.len());
    assert_eq!(ok, all.len());
}

/// The OASIS test-case index: (test id, group, file, should be valid).
fn oasis_testcases() -> Vec<(String, String, PathBuf, bool)> {
    let dir = data("oasis-csaf/validator-data");
    let index: Value =
        serde_json::from_slice(&std::fs::read(dir.join("testcases.json")).unwrap()).unwrap();
    let mut out = Vec::new();
    for t in index["tests"].as_array().unwrap() {
        let id = t["id"].as_str().unwrap().to_string();
        let group = t["group"].as_str().unwrap().to_string();
        for (key, valid) in [("failures", false), ("valid", true)] {
            for f in t[key].as_array().into_iter().flatten() {
                out.push((
                    id.clone(),
                    group.clone(),
                    dir.join(f["name"].as_str().unwrap()),
                    valid,
                ));
            }
        }
    }
    out
}

#[test]
fn conformance_csaf_mandatory_detected() {
    let cases: Vec<_> = oasis_testcases()
        .into_iter()
        .filter(|(_, g, _, valid)| g == "mandatory" && !valid)
        .collect();
    assert!(
        cases.len() >= 80,
        "expected the OASIS mandatory failing cases, found {}",
        cases.len()
    );
    let mut detected = 0;
    let mut missed: BTreeMap<String, usize> = BTreeMap::new();
    for (id, _, f, _) in &cases {
        let doc =
            parse_csaf(&name(f), &std::fs::read(f).unwrap()).unwrap_or_else(|e| panic!("{e}"));
        let code = format!("csaf-{id}");
        if doc.diagnostics.iter().any(|d| d.code == code) {
            detected += 1;
        } else {
            *missed.entry(id.clone()).or_default() += 1;
        }
    }
    println!("csaf-mandatory-detected: {detected}/{}", cases.len());
    // Only 6.1.11 (CWE names need the CWE catalogue) is not implemented.
    assert!(missed.keys().all(|k| k == "6.1.11"), "missed {missed:?}");
}

#[test]
fn conformance_csaf_mandatory_valid() {
    let cases: Vec<_> = oasis_testcases()
        .into_iter()
        .filter(|(_, g, _, valid)| g == "mandatory" && *valid)
        .collect();
    assert!(cases.len() >= 40);
    let mut clean = 0;
    for (id, _, f, _) in &cases {
        let doc =
            parse_csaf(&name(f), &std::fs::read(f).unwrap()).unwrap_or_else(|e| panic!("{e}"));
        let code = format!("csaf-{id}");
        let bad: Vec<_> = doc.diagnostics.iter().filter(|d| d.code == code).collect();
        if bad.is_empty() {
            clean += 1;
        } else {
            eprintln!("{}: {bad:?}", f.display());
        }
    }
    println!("csaf-mandatory-valid-clean: {clean}/{}", cases.len());
    assert_eq!(clean, cases.len());
}

#[test]
fn conformance_csaf_validator_data_parses() {
    // Every test document (mandatory, optional, informative) must import: the tests are diagnostics.
    let cases = oasis_testcases();
    let mut ok = 0;
    for (_, _, f, _) in &cases {
        match parse_csaf(&name(f), &std::fs::read(f).unwrap()) {
            Ok(_) => ok += 1,
            Err(e) => eprintln!("{e}"),
        }
    }
    println!("csaf-validator-data-parse: {ok}/{}", cases.len());
    assert_eq!(ok, cases.len());
}

#[test]
fn conformance_csaf_cisa_icsma() {
    let all = files(&data("csaf/cisa-icsma"), ".json");
    assert_eq!(all.len(), 134);
    let mut ok = 0;
    for f in &all {
        match parse_csaf(&name(f), &std::fs::read(f).unwrap()) {
            Ok(doc) => {
                ok += 1;
                assert!(
                    !doc.products().is_empty(),
                    "{} has no products",
                    f.display()
                );
            }
            Err(e) => eprintln!("{e}"),
        }
    }
    println!("csaf-cisa-icsma: {ok}/{}", all.len());
    assert_eq!(ok, all.len());
}

#[test]
fn icsma_22_244_01_contec_cms8000() {
    let path = data("csaf/cisa-icsma/icsma-22-244-01.json");
    let bytes = std::fs::read(&path).unwrap();
    // Read the file independently, as plain JSON.
    let raw: Value = serde_json::from_slice(&bytes).unwrap();
    let raw_cves: Vec<&str> = raw["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["cve"].as_str().unwrap())
        .collect();
    assert_eq!(raw_cves.len(), 5);
    let vendor = &raw["product_tree"]["branches"][0];
    let product = &vendor["branches"][0];
    let version = &product["branches"][0];
    assert_eq!(
        product["name"],
        "CMS8000 CONTEC ICU CCU Vital Signs Patient Monitor"
    );
    assert_eq!(version["name"], "vers:all/*");

    let doc = parse_csaf("icsma-22-244-01.json", &bytes).unwrap();
    assert_eq!(doc.cves(), raw_cves);
    let products = doc.products();
    assert_eq!(products.len(), 1);
    let p = &products[0];
    assert_eq!(
        p.product_id,
        version["product"]["product_id"].as_str().unwrap()
    );
    assert_eq!(p.vendor.as_deref(), vendor["name"].as_str());
    assert_eq!(
        p.product,
        "CMS8000 CONTEC ICU CCU Vital Signs Patient Monitor"
    );
    assert_eq!(p.version_range.as_deref(), Some("vers:all/*"));
    assert_eq!(p.version, None);
    // The range sits in a product_version branch: CSAF 6.1.31 flags it, the document still imports.
    assert!(
        doc.diagnostics.iter().any(|d| d.code == "csaf-6.1.31"),
        "{:?}",
        doc.diagnostics
    );

    let summary = serde_json::to_value(doc.summary()).unwrap();
    assert_eq!(summary["tracking_id"], raw["document"]["tracking"]["id"]);
    assert_eq!(summary["title"], raw["document"]["title"]);
    assert_eq!(summary["cves"].as_array().unwrap().len(), 5);
    assert_eq!(summary["products"][0]["version_range"], "vers:all/*");
    assert_eq!(summary["products"][0]["vendor"], vendor["name"]);
}

#[test]
fn csaf_vex_examples_keep_product_status() {
    let f = data("oasis-csaf/examples/csaf/csaf_vex/2022-evd-uc-01-na-001.json");
    let bytes = std::fs::read(&f).unwrap();
    let raw: Value = serde_json::from_slice(&bytes).unwrap();
    let doc = parse_csaf("vex", &bytes).unwrap();
    assert!(doc.is_vex());
    let raw_kna = &raw["vulnerabilities"][0]["product_status"]["known_not_affected"];
    let kna = &doc.vulnerabilities[0]
        .product_status
        .as_ref()
        .unwrap()
        .known_not_affected;
    assert_eq!(serde_json::to_value(kna).unwrap(), *raw_kna);
}

fn osv_conformance(suite: &str, dir: &str, ext: &str, yaml: bool, min: usize) {
    let all = files(&data(dir), ext);
    assert!(
        all.len() >= min,
        "{suite}: expected at least {min} files, found {}",
        all.len()
    );
    let mut ok = 0;
    for f in &all {
        let bytes = std::fs::read(f).unwrap();
        let expected = if yaml {
            AdvisoryFormat::OsvYaml
        } else {
            AdvisoryFormat::OsvJson
        };
        assert_eq!(detect(&bytes), Some(expected), "{}", f.display());
        let r = if yaml {
            parse_osv_yaml(&bytes)
        } else {
            parse_osv_json(&bytes)
        };
        match r {
            Ok(a) => {
                // Cross-check id and alias count against an independent untyped read.
                let raw: Value = if yaml {
                    serde_norway::from_slice(&bytes).unwrap()
                } else {
                    serde_json::from_slice(&bytes).unwrap()
                };
                assert_eq!(raw["id"].as_str(), Some(a.id.as_str()), "{}", f.display());
                assert_eq!(
                    raw["aliases"].as_array().map_or(0, Vec::len),
                    a.aliases.len(),
                    "{}",
                    f.display()
                );
                assert_eq!(
                    raw["affected"].as_array().map_or(0, Vec::len),
                    a.affected.len(),
                    "{}",
                    f.display()
                );
                ok += 1;
            }
            Err(e) => eprintln!("{}: {e}", f.display()),
        }
    }
    println!("{suite}: {ok}/{}", all.len());
    assert_eq!(ok, all.len());
}

#[test]
fn conformance_osv_go() {
    osv_conformance("osv-go", "osv/go", ".json", false, 4000);
}

#[test]
fn conformance_osv_pypi() {
    osv_conformance("osv-pypi", "osv/pypi", ".yaml", true, 2500);
}

#[test]
fn conformance_osv_rustsec() {
    osv_conformance("osv-rustsec", "rustsec/osv", ".json", false, 1000);
}

#[test]
fn conformance_rustsec_native() {
    let all: Vec<_> = files(&data("rustsec/advisory-db/crates"), ".md")
        .into_iter()
        .filter(|p| name(p).starts_with("RUSTSEC-"))
        .collect();
    assert!(all.len() >= 1000);
    let mut ok = 0;
    for f in &all {
        let text = std::fs::read_to_string(f).unwrap();
        assert_eq!(
            detect(text.as_bytes()),
            Some(AdvisoryFormat::Rustsec),
            "{}",
            f.display()
        );
        match parse_rustsec(&name(f), &text) {
            Ok(a) => {
                // The file name is the advisory id; the folder is the crate.
                assert_eq!(format!("{}.md", a.advisory.id), name(f));
                assert_eq!(
                    a.advisory.package,
                    f.parent().unwrap().file_name().unwrap().to_string_lossy()
                );
                assert!(!a.title.is_empty(), "{}", f.display());
                ok += 1;
            }
            Err(e) => eprintln!("{e}"),
        }
    }
    println!("rustsec-native: {ok}/{}", all.len());
    assert_eq!(ok, all.len());
}

#[test]
fn rustsec_native_matches_its_osv_export() {
    // The same advisory in both formats must agree on id, aliases and package.
    let md = data("rustsec/advisory-db/crates/badge/RUSTSEC-2022-0057.md");
    let native = parse_rustsec(
        "RUSTSEC-2022-0057.md",
        &std::fs::read_to_string(md).unwrap(),
    )
    .unwrap();
    let osv_files = files(&data("rustsec/osv"), "RUSTSEC-2022-0057.json");
    assert_eq!(osv_files.len(), 1);
    let osv = parse_osv_json(&std::fs::read(&osv_files[0]).unwrap()).unwrap();
    assert_eq!(native.advisory.id, osv.id);
    assert_eq!(native.advisory.aliases, osv.aliases);
    assert_eq!(
        Some(native.advisory.package.as_str()),
        osv.affected[0].package.as_ref().map(|p| p.name.as_str())
    );
    let s = serde_json::to_value(native.summary()).unwrap();
    assert_eq!(s["id"], "RUSTSEC-2022-0057");
    assert!(s["affected"].is_array() && s["aliases"].is_array());
}

/// (vendor, product_name, product_version, product_version_range) inherited down a branch path.
type RawCtx = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Independent walk of a raw CSAF product tree: product_id → its branch context.
fn raw_products(branches: &Value, ctx: RawCtx, out: &mut BTreeMap<String, RawCtx>) {
    for b in branches.as_array().into_iter().flatten() {
        let mut c = ctx.clone();
        let name = b["name"].as_str().map(str::to_string);
        match b["category"].as_str() {
            Some("vendor") => c.0 = name,
            Some("product_name") => c.1 = name,
            Some("product_version") => c.2 = name,
            Some("product_version_range") => c.3 = name,
            _ => {}
        }
        if let Some(id) = b["product"]["product_id"].as_str() {
            out.insert(id.to_string(), c.clone());
        }
        raw_products(&b["branches"], c, out);
    }
}

#[test]
fn cisa_product_view_matches_raw_branches() {
    let mut ranges = 0;
    let mut versions = 0;
    for f in files(&data("csaf/cisa-icsma"), ".json") {
        let bytes = std::fs::read(&f).unwrap();
        let raw: Value = serde_json::from_slice(&bytes).unwrap();
        let mut expected = BTreeMap::new();
        raw_products(
            &raw["product_tree"]["branches"],
            (None, None, None, None),
            &mut expected,
        );
        let doc = parse_csaf(&name(&f), &bytes).unwrap();
        for p in doc.products() {
            let Some((vendor, product, version, range)) = expected.get(&p.product_id) else {
                continue;
            };
            assert_eq!(p.vendor, *vendor, "{}", f.display());
            if let Some(product) = product {
                assert_eq!(&p.product, product, "{}", f.display());
            }
            match (version, range) {
                (_, Some(r)) => assert_eq!(p.version_range.as_ref(), Some(r)),
                (Some(v), None) if v.starts_with("vers:") => {
                    assert_eq!(p.version_range.as_ref(), Some(v))
                }
                (Some(v), None) => {
                    // A product_version is a version unless it is worded as a range (6.1.31).
                    assert!(p.version.as_ref() == Some(v) || p.version_range.as_ref() == Some(v));
                }
                (None, None) => assert!(p.version.is_none() && p.version_range.is_none()),
            }
            ranges += usize::from(p.version_range.is_some());
            versions += usize::from(p.version.is_some());
        }
    }
    // Both shapes occur in the CISA set (counted independently with a script while writing the test:
    // 370 product_version and 226 product_version_range branches, 209 of the former `vers:all/*`).
    assert!(ranges >= 226 + 209, "ranges {ranges}");
    assert!(versions >= 100, "versions {versions}");
}

#[test]
fn csaf_6_1_11_with_a_caller_catalogue() {
    // The OASIS failing case names CWE-79 "Improper Input Validation" (the name of CWE-20).
    let f = data("oasis-csaf/validator-data/mandatory/oasis_csaf_tc-csaf_2_0-2021-6-1-11-01.json");
    let doc = parse_csaf("6-1-11-01", &std::fs::read(f).unwrap()).unwrap();
    let catalogue = |id: &str| match id {
        "CWE-79" => Some(
            "Improper Neutralization of Input During Web Page Generation ('Cross-site Scripting')",
        ),
        "CWE-20" => Some("Improper Input Validation"),
        _ => None,
    };
    let d = doc.check_cwe(catalogue);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].code, "csaf-6.1.11");
    // A real CISA file: its CWE-20 entries carry the right name, other ids are unknown to this
    // two-entry catalogue, so exactly the non-CWE-20 entries are reported (counted from the raw JSON).
    let f = data("csaf/cisa-icsma/icsma-18-058-02.json");
    let raw: Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
    let others = raw["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["cwe"]["id"] != "CWE-20")
        .count();
    let doc = parse_csaf("cisa", &std::fs::read(&f).unwrap()).unwrap();
    let d = doc.check_cwe(catalogue);
    assert_eq!(d.len(), others);
    assert!(d
        .iter()
        .all(|x| x.message.contains("not in the CWE catalogue")));
}
