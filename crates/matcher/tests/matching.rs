//! Matching rules on small fixtures written for these tests (real-data cases are in real_data.rs).

use mdsec_matcher::convert::{from_nvd, from_osv};
use mdsec_matcher::*;

fn key(m: &str, model: &str, v: Option<&str>) -> DeviceModelKey {
    DeviceModelKey::new(m, model, v)
}

fn purl(p: &str) -> Component {
    Component {
        name: p.to_string(),
        purl: Some(p.to_string()),
        ..Component::default()
    }
}

fn osv(json: &str) -> MatchableAdvisory {
    from_osv(&mdsec_advisory::parse_osv_json(json.as_bytes()).unwrap())
}

const PYPI: &str = r#"{"id": "PYSEC-TEST-1", "modified": "2024-01-01T00:00:00Z", "aliases": ["CVE-2099-1"],
  "affected": [{"package": {"ecosystem": "PyPI", "name": "Foo_Bar.baz"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "1.0"}, {"fixed": "1.4.2"}, {"introduced": "2.0rc1"}, {"last_affected": "2.1"}]},
               {"type": "GIT", "repo": "https://example.com/x", "events": [{"introduced": "abc"}]}],
    "versions": ["0.9-legacy"]}]}"#;

#[test]
fn osv_ecosystem_ranges_pep440_and_name_normalisation() {
    let mut index = Index::default();
    index.insert_advisory(osv(PYPI));
    let status = |index: &mut Index, v: &str| {
        index
            .add_model(
                key("X", "Y", Some(v)),
                vec![purl(&format!("pkg:pypi/foo-bar-baz@{v}"))],
            )
            .into_iter()
            .map(|f| f.status)
            .collect::<Vec<_>>()
    };
    use FindingStatus::*;
    assert_eq!(status(&mut index, "0.5"), []);
    assert_eq!(status(&mut index, "1.0"), [Affected]);
    assert_eq!(status(&mut index, "1.4.1"), [Affected]);
    assert_eq!(status(&mut index, "1.4.2"), []);
    assert_eq!(status(&mut index, "2.0rc1"), [Affected]);
    assert_eq!(
        status(&mut index, "2.1"),
        [Affected],
        "last_affected is inclusive"
    );
    assert_eq!(status(&mut index, "2.1.1"), []);
    assert_eq!(
        status(&mut index, "0.9-legacy"),
        [Affected],
        "listed versions count"
    );
    assert_eq!(status(&mut index, "not a version!"), [Undetermined]);
    // Components without a version cannot be placed.
    let f = index.add_model(key("X", "Z", None), vec![purl("pkg:pypi/FOO.bar-baz")]);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].status, Undetermined);
    assert!(f[0].evidence.note.contains("no version"));
}

#[test]
fn withdrawn_replaced_and_removed_advisories() {
    let mut index = Index::default();
    index.insert_model(
        key("X", "Y", Some("1")),
        vec![purl("pkg:pypi/foo-bar-baz@1.2")],
    );
    assert_eq!(index.add_advisory(osv(PYPI)).len(), 1);
    // Same id, now withdrawn: replaced, and it affects nothing.
    let withdrawn = PYPI.replace(
        r#""modified": "2024-01-01T00:00:00Z","#,
        r#""modified": "2024-02-01T00:00:00Z", "withdrawn": "2024-02-01T00:00:00Z","#,
    );
    assert!(index.add_advisory(osv(&withdrawn)).is_empty());
    assert_eq!(index.advisory_count(), 1);
    assert!(index.match_all().is_empty());
    assert_eq!(index.add_advisory(osv(PYPI)).len(), 1);
    assert!(index.remove_advisory("PYSEC-TEST-1"));
    assert!(index.match_all().is_empty());
    // Replacing a model's SBOM drops the old components.
    index.add_advisory(osv(PYPI));
    let f = index.add_model(key("X", "Y", Some("1")), vec![purl("pkg:pypi/other@1.2")]);
    assert!(f.is_empty());
    assert!(index.match_all().is_empty());
    assert!(index.remove_model(&key("X", "Y", Some("1"))));
    assert_eq!(index.model_count(), 0);
}

#[test]
fn cargo_and_go_semver_ranges() {
    let rust = r#"{"id": "RUSTSEC-TEST", "modified": "2024-01-01T00:00:00Z",
      "affected": [{"package": {"ecosystem": "crates.io", "name": "smallvec", "purl": "pkg:cargo/smallvec"},
        "ranges": [{"type": "SEMVER", "events": [{"introduced": "0.0.0-0"}, {"fixed": "0.6.14"}, {"introduced": "1.0.0"}, {"fixed": "1.6.1"}]}]}]}"#;
    let go = r#"{"id": "GO-TEST", "modified": "2024-01-01T00:00:00Z",
      "affected": [{"package": {"ecosystem": "Go", "name": "golang.org/x/net"},
        "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "0.7.0"}]}]}]}"#;
    let mut index = Index::default();
    index.insert_advisory(osv(rust));
    index.insert_advisory(osv(go));
    let f = index.add_model(
        key("X", "Y", None),
        vec![
            purl("pkg:cargo/smallvec@0.6.13"),
            purl("pkg:cargo/smallvec@0.6.14"),
            purl("pkg:cargo/smallvec@1.6.0"),
            purl("pkg:golang/golang.org/x/net@v0.6.0"),
            purl("pkg:golang/golang.org/x/net@v0.7.0"),
        ],
    );
    let hits: Vec<&str> = f.iter().map(|f| &*f.evidence.matched_identifier).collect();
    assert_eq!(
        hits,
        [
            "pkg:cargo/smallvec@0.6.13",
            "pkg:cargo/smallvec@1.6.0",
            "pkg:golang/golang.org/x/net@v0.6.0"
        ]
    );
    assert!(f
        .iter()
        .all(|f| f.status == FindingStatus::Affected && f.evidence.tier == Confidence::Exact));
}

/// NVD API 2.0 shape: vulnerable firmware only on the named hardware.
const NVD: &str = r#"{"resultsPerPage": 1, "startIndex": 0, "totalResults": 1, "format": "NVD_CVE", "version": "2.0",
 "timestamp": "2024-01-01T00:00:00.000", "vulnerabilities": [{"cve": {"id": "CVE-2099-0002",
  "descriptions": [{"lang": "en", "value": "Test firmware flaw."}],
  "configurations": [{"operator": "AND", "nodes": [
    {"operator": "OR", "negate": false, "cpeMatch": [{"vulnerable": true,
      "criteria": "cpe:2.3:o:contec:cms8000_firmware:*:*:*:*:*:*:*:*", "versionEndExcluding": "2.1.0"}]},
    {"operator": "OR", "negate": false, "cpeMatch": [{"vulnerable": false,
      "criteria": "cpe:2.3:h:contec:cms8000:-:*:*:*:*:*:*:*"}]}]}]}}]}"#;

#[test]
fn nvd_firmware_on_hardware() {
    let doc = mdsec_vulndb::nvd::parse_nvd("test.json", NVD.as_bytes()).unwrap();
    let adv = from_nvd(&doc.vulnerabilities[0]);
    let mut index = Index::default();
    index.insert_advisory(adv);
    let cpe = |c: &str| Component {
        name: c.to_string(),
        cpe: Some(c.to_string()),
        ..Component::default()
    };
    let hw = cpe("cpe:2.3:h:contec:cms8000:-:*:*:*:*:*:*:*");
    let fw = |v: &str| {
        cpe(&format!(
            "cpe:2.3:o:contec:cms8000_firmware:{v}:*:*:*:*:*:*:*"
        ))
    };
    let run = |index: &mut Index, comps: Vec<Component>| {
        index
            .add_model(key("Contec", "CMS8000", None), comps)
            .into_iter()
            .map(|f| f.status)
            .collect::<Vec<_>>()
    };
    use FindingStatus::*;
    assert_eq!(run(&mut index, vec![fw("2.0.8"), hw.clone()]), [Affected]);
    assert_eq!(run(&mut index, vec![fw("2.1.3"), hw.clone()]), []);
    assert_eq!(
        run(&mut index, vec![fw("2.0.8")]),
        [],
        "firmware without the hardware"
    );
    assert_eq!(
        run(&mut index, vec![fw("smart-build"), hw.clone()]),
        [Undetermined]
    );
    let f = index.add_model(key("Contec", "CMS8000", None), vec![fw("2.0.8"), hw]);
    assert_eq!(&*f[0].advisory_id, "CVE-2099-0002");
    assert!(f[0]
        .evidence
        .matched_identifier
        .contains("cms8000_firmware:2.0.8"));
}

#[test]
fn csaf_product_name_rules() {
    fn product(vendor: &str, name: &str, range: &str) -> MatchableAdvisory {
        MatchableAdvisory {
            id: format!("T-{name}"),
            aliases: vec![],
            title: String::new(),
            informational: None,
            affected: vec![Affected::Product(ProductAffected {
                product_id: "P".into(),
                vendor: Some(vendor.into()),
                product: name.into(),
                full_name: name.into(),
                model_numbers: vec![],
                version: None,
                version_range: Some(range.into()),
                statements: vec![ProductStatement {
                    vulnerability: "CVE-2099-3".into(),
                    status: CsafStatus::KnownAffected,
                    remediations: vec![],
                }],
            })],
        }
    }
    let mut index = Index::default();
    index.insert_model(
        key("日本ベクトン・ディッキンソン", "Alaris 8015", Some("9.1")),
        vec![],
    );
    index.insert_model(key("BD", "Alaris 8000", Some("9.1")), vec![]);
    index.insert_model(key("BD", "X3", Some("1")), vec![]);
    let hits = |index: &mut Index, a| -> Vec<(String, Confidence)> {
        index
            .add_advisory(a)
            .into_iter()
            .map(|f| (f.device_model.model.clone(), f.evidence.tier))
            .collect()
    };
    // Token run: "Alaris 8015" inside the product name; "Alaris 8000" is not.
    assert_eq!(
        hits(
            &mut index,
            product(
                "Becton, Dickinson and Company (BD)",
                "Alaris 8015 PC unit",
                "<= 9.33"
            )
        ),
        [("Alaris 8015".to_string(), Confidence::Strong)]
    );
    // Whole name equal: exact.
    assert_eq!(
        hits(&mut index, product("BD", "ALARIS-8000", "vers:all/*")),
        [("Alaris 8000".to_string(), Confidence::Exact)]
    );
    // Another vendor with the same product name: nothing.
    assert!(hits(
        &mut index,
        product("Philips", "Alaris 8015 PC unit", "vers:all/*")
    )
    .is_empty());
    // Short model keys only match exactly.
    assert!(hits(&mut index, product("BD", "Monitor X3 series", "vers:all/*")).is_empty());
    // Tokens present but not adjacent: weak.
    assert_eq!(
        hits(
            &mut index,
            product("BD", "Alaris PC unit for 8015 pumps", "vers:all/*")
        ),
        [("Alaris 8015".to_string(), Confidence::Weak)]
    );
    // A joint vendor string: each part tried.
    assert_eq!(
        hits(
            &mut index,
            product("Silex Technology and BD", "Alaris 8015", "vers:all/*")
        )
        .len(),
        1
    );
}
