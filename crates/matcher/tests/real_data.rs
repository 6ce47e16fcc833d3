//! Matching on real advisories (CISA ICSMA CSAF, Go OSV) and the demo hospital.

use mdsec_matcher::convert::{from_csaf, from_osv};
use mdsec_matcher::*;
use std::collections::{BTreeSet, HashSet};
use std::path::PathBuf;

fn data() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
}

fn read(rel: &str) -> Vec<u8> {
    let p = data().join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("shared data missing: {}: {e}", p.display()))
}

fn csaf(rel: &str) -> MatchableAdvisory {
    let bytes = read(rel);
    let doc = mdsec_advisory::parse_csaf(rel, &bytes).expect("real CSAF parses");
    from_csaf(&doc)
}

fn key(m: &str, model: &str, v: Option<&str>) -> DeviceModelKey {
    DeviceModelKey::new(m, model, v)
}

const SEED: &str = "csaf/cisa-icsma/icsma-22-244-01.json";

/// CVE ids and remediation texts read straight from the JSON, not through the parser.
fn seed_facts() -> (BTreeSet<String>, Vec<String>) {
    let v: serde_json::Value = serde_json::from_slice(&read(SEED)).unwrap();
    let vulns = v["vulnerabilities"].as_array().unwrap();
    let cves = vulns
        .iter()
        .map(|x| x["cve"].as_str().unwrap().to_string())
        .collect();
    let rem = vulns
        .iter()
        .flat_map(|x| x["remediations"].as_array().unwrap().iter())
        .map(|r| r["details"].as_str().unwrap().to_string())
        .collect();
    (cves, rem)
}

#[test]
fn seed_case_contec_and_relabelled_epsimed() {
    let (cves, remediations) = seed_facts();
    assert_eq!(cves.len(), 5, "the seed advisory lists five CVEs");
    let mut index = Index::default();
    let models = [
        key("コンテック", "CMS8000", Some("2.0.8")),
        key("Epsimed", "MN-120", Some("2.0.8")),
        key("フィリップス", "IntelliVue MX450", Some("N.00.11")),
        key("日本光電", "BSM-6701", Some("05-03")),
    ];
    for m in &models {
        assert!(index.add_model(m.clone(), Vec::new()).is_empty());
    }
    let findings = index.add_advisory(csaf(SEED));
    let hit: BTreeSet<&str> = findings
        .iter()
        .map(|f| f.device_model.model.as_str())
        .collect();
    assert_eq!(hit, BTreeSet::from(["CMS8000", "MN-120"]), "{findings:#?}");
    for f in &findings {
        assert_eq!(&*f.advisory_id, "ICSMA-22-244-01");
        assert_eq!(f.status, FindingStatus::Affected);
        assert_eq!(f.aliases.iter().cloned().collect::<BTreeSet<_>>(), cves);
        for r in &remediations {
            assert!(
                f.remediations.iter().any(|x| x.contains(r.as_str())),
                "{f:#?}"
            );
        }
        assert_eq!(
            f.device_model.manufacturer,
            if f.device_model.model == "CMS8000" {
                "Contec"
            } else {
                "Epsimed"
            }
        );
        assert!(f.evidence.matched_identifier.contains("Contec Health"));
        assert!(f.evidence.range_or_status.contains("known_affected"));
    }
    let epsimed = findings
        .iter()
        .find(|f| f.device_model.model == "MN-120")
        .unwrap();
    assert!(epsimed.evidence.note.contains("relabel"), "{epsimed:#?}");
    assert_eq!(epsimed.evidence.tier, Confidence::Strong);

    // The other direction: a model attached after the advisory matches only itself.
    let late = index.add_model(
        key("Contec Medical Systems Co., Ltd.", "ＣＭＳ８０００", None),
        Vec::new(),
    );
    assert_eq!(late.len(), 1);
    assert_eq!(
        late[0].status,
        FindingStatus::Affected,
        "all versions are affected"
    );
    assert_eq!(index.match_all().len(), 3);
}

#[test]
fn alaris_versions_inside_outside_and_undetermined() {
    // ICSMA-17-017-02: "Alaris 8015 PC unit" 9.7, <= 9.33, <= 9.5 (read from the file here).
    let rel = "csaf/cisa-icsma/icsma-17-017-02.json";
    let v: serde_json::Value = serde_json::from_slice(&read(rel)).unwrap();
    fn names<'a>(b: &'a serde_json::Value, out: &mut Vec<&'a str>) {
        for c in b["branches"].as_array().into_iter().flatten() {
            out.push(c["name"].as_str().unwrap());
            names(c, out);
        }
    }
    let mut versions = Vec::new();
    names(&v["product_tree"], &mut versions);
    assert!(versions.contains(&"<= 9.33"), "{versions:?}");
    let mut index = Index::default();
    index.insert_advisory(csaf(rel));
    let check = |index: &mut Index, version: Option<&str>| {
        index
            .add_model(key("BD", "Alaris 8015 PC unit", version), Vec::new())
            .into_iter()
            .map(|f| f.status)
            .collect::<Vec<_>>()
    };
    assert_eq!(check(&mut index, Some("9.19.2")), [FindingStatus::Affected]);
    assert_eq!(
        check(&mut index, Some("12.1.2")),
        [],
        "beyond every range: no finding"
    );
    assert_eq!(
        check(&mut index, Some("build A")),
        [FindingStatus::Undetermined],
        "a version that cannot be placed is undetermined"
    );
    assert_eq!(check(&mut index, None), [FindingStatus::Undetermined]);
}

/// A small CSAF document of our own: product 1.0 affected, 1.1 fixed, with remediation.
const FIXED_DOC: &str = r#"{
  "document": {"category": "csaf_security_advisory", "csaf_version": "2.0",
    "publisher": {"category": "vendor", "name": "Example", "namespace": "https://example.com"},
    "title": "Test pump", "tracking": {"id": "TEST-1", "current_release_date": "2024-01-01T00:00:00Z",
    "initial_release_date": "2024-01-01T00:00:00Z", "revision_history": [{"date": "2024-01-01T00:00:00Z", "number": "1", "summary": "x"}],
    "status": "final", "version": "1"}},
  "product_tree": {"branches": [{"category": "vendor", "name": "Terumo Corporation", "branches": [
    {"category": "product_name", "name": "TE-SS700 syringe pump", "branches": [
      {"category": "product_version", "name": "1.0", "product": {"name": "TE-SS700 1.0", "product_id": "P1"}},
      {"category": "product_version", "name": "1.1", "product": {"name": "TE-SS700 1.1", "product_id": "P2"}}
    ]}]}]},
  "vulnerabilities": [{"cve": "CVE-2099-0001",
    "product_status": {"known_affected": ["P1"], "fixed": ["P2"]},
    "remediations": [{"category": "vendor_fix", "details": "Update to 1.1.", "product_ids": ["P1"]}]}]
}"#;

#[test]
fn fixed_version_is_not_flagged() {
    let doc = mdsec_advisory::parse_csaf("fixed.json", FIXED_DOC.as_bytes()).unwrap();
    let adv = from_csaf(&doc);
    let mut index = Index::default();
    index.insert_advisory(adv);
    let f = index.add_model(key("テルモ", "TE-SS700", Some("1.0")), Vec::new());
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].status, FindingStatus::Affected);
    assert_eq!(f[0].remediations, ["Update to 1.1."]);
    let f = index.add_model(key("テルモ", "TE-SS700", Some("1.1")), Vec::new());
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].status, FindingStatus::Fixed);
    assert!(!f[0].status.needs_action());
    let f = index.add_model(key("テルモ", "TE-SS700", Some("ver-x")), Vec::new());
    assert_eq!(f[0].status, FindingStatus::Undetermined);
    // Same model name, other maker: nothing.
    assert!(index
        .add_model(key("日本光電", "TE-SS700", Some("1.0")), Vec::new())
        .is_empty());
}

#[test]
fn osv_go_advisory_on_sbom_components() {
    let rel = "osv/go/GO-2020-0001.json";
    let raw: serde_json::Value = serde_json::from_slice(&read(rel)).unwrap();
    let fixed = raw["affected"][0]["ranges"][0]["events"][1]["fixed"]
        .as_str()
        .unwrap();
    let pkg = raw["affected"][0]["package"]["name"].as_str().unwrap();
    let adv = from_osv(&mdsec_advisory::parse_osv_json(&read(rel)).unwrap());
    let mut index = Index::default();
    let comp = |v: &str| Component {
        name: pkg.to_string(),
        version: None,
        purl: Some(format!("pkg:golang/{pkg}@{v}")),
        cpe: None,
    };
    index.insert_model(
        key("GE Healthcare", "CARESCAPE B650", Some("3.2.1")),
        vec![comp("v1.5.0")],
    );
    index.insert_model(
        key("GE Healthcare", "CARESCAPE B650", Some("3.3.0")),
        vec![comp(&format!("v{fixed}"))],
    );
    index.insert_model(
        key("GE Healthcare", "CARESCAPE B650", Some("9")),
        vec![comp("latest")],
    );
    let findings = index.add_advisory(adv);
    let by_version: Vec<(Option<&str>, FindingStatus)> = findings
        .iter()
        .map(|f| (f.device_model.version.as_deref(), f.status))
        .collect();
    assert_eq!(
        by_version,
        [
            (Some("3.2.1"), FindingStatus::Affected),
            (Some("9"), FindingStatus::Undetermined)
        ]
    );
    assert!(findings[0].aliases.iter().any(|a| a.starts_with("CVE-")));
    assert!(findings[0].evidence.range_or_status.contains(fixed));
    assert_eq!(index.match_all(), findings);
}

#[test]
fn all_cisa_advisories_against_the_demo_hospital() {
    let dir = data().join("csaf/cisa-icsma");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("CISA ICSMA data present")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 134);
    let mut index = Index::default();
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let doc = mdsec_advisory::parse_csaf(&f.display().to_string(), &bytes).unwrap();
        index.insert_advisory(from_csaf(&doc));
    }
    let hospital = mdsec_demo::demo_hospital();
    let mut keys = HashSet::new();
    for d in &hospital.devices {
        if let (Some(m), Some(model)) = (&d.manufacturer, &d.model) {
            keys.insert(key(m, model, d.software_version.as_deref()));
        }
    }
    let mut incremental = Vec::new();
    for k in &keys {
        incremental.extend(index.add_model(k.clone(), Vec::new()));
    }
    let all = index.match_all();
    // Several ledger spellings are one model: compare the distinct (model, advisory) pairs.
    let pairs = |fs: &[Finding]| -> BTreeSet<(DeviceModelKey, String)> {
        fs.iter()
            .map(|f| ((*f.device_model).clone(), f.advisory_id.to_string()))
            .collect()
    };
    assert_eq!(pairs(&all), pairs(&incremental));
    assert_eq!(all.len(), pairs(&all).len());
    let hit: BTreeSet<(String, String)> = all
        .iter()
        .filter(|f| f.status.needs_action())
        .map(|f| {
            (
                f.device_model.manufacturer.clone(),
                f.device_model.model.clone(),
            )
        })
        .collect();
    println!("demo-models-with-findings: {}", hit.len());
    for f in all.iter().filter(|f| f.status.needs_action()) {
        eprintln!(
            "{} {} {:?} <- {} [{:?} {:?}] {}",
            f.device_model.manufacturer,
            f.device_model.model,
            f.device_model.version,
            f.advisory_id,
            f.status,
            f.evidence.tier,
            f.evidence.range_or_status
        );
    }
    assert!(hit.len() >= 5, "{hit:?}");
    assert!(hit.contains(&("Contec".into(), "CMS8000".into())));
    assert!(hit.contains(&("Epsimed".into(), "MN-120".into())));
    // Nihon Kohden is in no CISA advisory of this set.
    assert!(
        !hit.iter().any(|(m, _)| m.contains("Nihon Kohden")),
        "{hit:?}"
    );
}

/// NVD API 2.0 shape, written for this test (the CVE id is fictitious): wolfSSL before 5.0.0.
const WOLFSSL_NVD: &str = r#"{"resultsPerPage": 1, "startIndex": 0, "totalResults": 1, "format": "NVD_CVE",
 "version": "2.0", "timestamp": "2024-01-01T00:00:00.000", "vulnerabilities": [{"cve": {"id": "CVE-2099-0100",
  "descriptions": [{"lang": "en", "value": "Test flaw in wolfSSL."}],
  "configurations": [{"nodes": [{"operator": "OR", "negate": false, "cpeMatch": [{"vulnerable": true,
    "criteria": "cpe:2.3:a:wolfssl:wolfssl:*:*:*:*:*:*:*:*", "versionEndExcluding": "5.0.0"}]}]}]}}]}"#;

#[test]
fn real_medical_sbom_components_match_a_cpe_configuration() {
    let rel = "sbom-medical/narrow.sbom.json";
    let raw: serde_json::Value = serde_json::from_slice(&read(rel)).unwrap();
    let wolf = raw["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["cpe"]
                .as_str()
                .is_some_and(|s| s.contains(":wolfssl:wolfssl:"))
        })
        .expect("the SBOM lists wolfSSL with a CPE");
    let wolf_version = wolf["version"].as_str().unwrap();
    let sbom = mdsec_sbom::parse_sbom(rel, &read(rel), false).unwrap();
    let comps = mdsec_matcher::convert::components_from_sbom(&sbom);
    assert_eq!(comps.len(), raw["components"].as_array().unwrap().len());
    let doc = mdsec_vulndb::nvd::parse_nvd("t.json", WOLFSSL_NVD.as_bytes()).unwrap();
    let mut index = Index::default();
    index.insert_advisory(mdsec_matcher::convert::from_nvd(&doc.vulnerabilities[0]));
    let f = index.add_model(key("Example", "Narrow device", Some("1")), comps);
    let expect = if wolf_version
        .split('.')
        .next()
        .unwrap()
        .parse::<u32>()
        .unwrap()
        < 5
    {
        vec![FindingStatus::Affected]
    } else {
        vec![]
    };
    assert_eq!(f.iter().map(|f| f.status).collect::<Vec<_>>(), expect);
    assert!(f
        .iter()
        .all(|f| f.evidence.matched_identifier.contains("wolfssl")));
}

#[test]
fn incremental_and_full_match_agree_on_rustsec() {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(data().join("rustsec/osv/crates"))
        .expect("RustSec OSV data present")
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    let advs: Vec<MatchableAdvisory> = paths
        .iter()
        .map(|p| from_osv(&mdsec_advisory::parse_osv_json(&std::fs::read(p).unwrap()).unwrap()))
        .collect();
    assert!(advs.len() > 1000);
    // A fleet of 40 models whose components are the advisories' packages at a few versions.
    let mut names: Vec<String> = advs
        .iter()
        .flat_map(|a| a.affected.iter())
        .filter_map(|a| match a {
            Affected::Package(p) => Some(p.name.clone()),
            _ => None,
        })
        .collect();
    names.sort();
    names.dedup();
    let versions = ["0.1.0", "0.3.2", "1.0.0", "2.5.1", "not.a.version"];
    let models: Vec<(DeviceModelKey, Vec<Component>)> = (0..40)
        .map(|i| {
            let comps = names
                .iter()
                .enumerate()
                .filter(|(j, _)| j % 40 == i || j % 7 == i % 7)
                .map(|(j, n)| Component {
                    name: n.clone(),
                    version: None,
                    purl: Some(format!(
                        "pkg:cargo/{n}@{}",
                        versions[(i + j) % versions.len()]
                    )),
                    cpe: None,
                })
                .collect();
            (key("Example", &format!("M{i}"), Some("1")), comps)
        })
        .collect();
    // Models first, then advisories one by one…
    let mut a = Index::default();
    for (k, c) in &models {
        assert!(a.add_model(k.clone(), c.clone()).is_empty());
    }
    let mut by_advisory = Vec::new();
    for adv in &advs {
        by_advisory.extend(a.add_advisory(adv.clone()));
    }
    // …advisories first, then models one by one, and a full match: the same findings.
    let mut b = Index::default();
    for adv in &advs {
        assert!(b.add_advisory(adv.clone()).is_empty());
    }
    let mut by_model = Vec::new();
    for (k, c) in &models {
        by_model.extend(b.add_model(k.clone(), c.clone()));
    }
    let set = |v: &[Finding]| {
        v.iter()
            .map(|f| {
                (
                    f.device_model.model.clone(),
                    f.advisory_id.to_string(),
                    f.evidence.matched_identifier.to_string(),
                    f.status,
                )
            })
            .collect::<BTreeSet<_>>()
    };
    assert!(by_model.len() > 100, "{}", by_model.len());
    assert!(by_model
        .iter()
        .any(|f| f.status == FindingStatus::Undetermined));
    assert_eq!(set(&by_advisory), set(&by_model));
    assert_eq!(set(&b.match_all()), set(&by_model));
    assert_eq!(by_model.len(), set(&by_model).len());
}
