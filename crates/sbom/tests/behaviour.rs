//! Behaviour on real specification examples and on small hand-written documents.

use mdsec_sbom::{detect, parse_sbom, SbomFormat, MAX_JSON_DEPTH};
use serde_json::Value;
use std::path::PathBuf;

fn spec(rel: &str) -> Vec<u8> {
    let p = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/cyclonedx-spec"
    ))
    .join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn vex_analysis_is_read_from_json_and_xml_alike() {
    let json = spec("1.6/valid-vulnerability-1.6.json");
    let doc: Value = serde_json::from_slice(&json).unwrap();
    let from_json = parse_sbom("v.json", &json, true).unwrap();
    let from_xml = parse_sbom("v.xml", &spec("1.6/valid-vulnerability-1.6.xml"), true).unwrap();
    let want = doc["vulnerabilities"].as_array().unwrap();
    assert_eq!(from_json.vulnerabilities.len(), want.len());
    for (got, want) in from_json.vulnerabilities.iter().zip(want) {
        assert_eq!(got.id.as_deref(), want["id"].as_str());
        assert_eq!(
            got.source.as_ref().and_then(|s| s.name.as_deref()),
            want["source"]["name"].as_str()
        );
        let cwes: Vec<u32> = want["cwes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_u64().unwrap() as u32)
            .collect();
        assert_eq!(got.cwes, cwes);
        assert_eq!(got.ratings[0].score, want["ratings"][0]["score"].as_f64());
        assert_eq!(
            got.ratings[0].severity.as_deref(),
            want["ratings"][0]["severity"].as_str()
        );
        let a = got.analysis.as_ref().unwrap();
        assert_eq!(a.state.as_deref(), want["analysis"]["state"].as_str());
        assert_eq!(
            a.justification.as_deref(),
            want["analysis"]["justification"].as_str()
        );
        let resp: Vec<&str> = want["analysis"]["response"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(a.response, resp);
        assert_eq!(
            got.affects[0].reference,
            want["affects"][0]["ref"].as_str().unwrap()
        );
        assert_eq!(
            got.affects[0].versions.len(),
            want["affects"][0]["versions"].as_array().unwrap().len()
        );
    }
    assert_eq!(from_json.vulnerabilities, from_xml.vulnerabilities);
}

#[test]
fn nested_components_are_flattened_with_parent_index() {
    let doc = br#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[
        {"type":"device","name":"infusion-pump","bom-ref":"p","components":[
            {"type":"firmware","name":"fw","version":"2.1","components":[{"type":"library","name":"openssl","version":"1.1.1k","purl":"pkg:generic/openssl@1.1.1k"}]}]},
        {"type":"library","name":"zlib"}]}"#;
    let s = parse_sbom("n.json", doc, true).unwrap();
    let names: Vec<&str> = s.components.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["infusion-pump", "fw", "openssl", "zlib"]);
    let parents: Vec<Option<usize>> = s.components.iter().map(|c| c.parent).collect();
    assert_eq!(parents, [None, Some(0), Some(1), None]);
}

#[test]
fn lenient_import_keeps_data_and_strict_rejects() {
    let doc = br#"{"bomFormat":"CycloneDX","specVersion":"1.5","serialNumber":"urn:uuid:nope",
        "components":[{"type":"gadget","name":"a","hashes":[{"alg":"MD5","content":"xyz"}],"purl":"pkg:npm/a@1"}]}"#;
    let s = parse_sbom("l.json", doc, false).unwrap();
    assert_eq!(s.components[0].purl.as_deref(), Some("pkg:npm/a@1"));
    let paths: Vec<&str> = s
        .diagnostics
        .iter()
        .filter_map(|d| d.position.path.as_deref())
        .collect();
    assert_eq!(
        paths,
        [
            "/serialNumber",
            "/components/0/type",
            "/components/0/hashes/0/content"
        ]
    );
    let e = parse_sbom("l.json", doc, true).unwrap_err();
    assert!(e.to_string().starts_with("l.json: strict:"), "{e}");
    assert_eq!(e.position.path.as_deref(), Some("/serialNumber"));
}

#[test]
fn errors_name_the_place() {
    let e = parse_sbom(
        "bad.json",
        b"{\"bomFormat\":\"CycloneDX\",\n\"specVersion\": 1.5}",
        false,
    )
    .unwrap_err();
    assert_eq!(
        (e.position.line, e.position.column.is_some()),
        (Some(2), true),
        "{e}"
    );
    let deep = format!(
        "{{\"bomFormat\":\"CycloneDX\",\"x\":{}{}}}",
        "[".repeat(MAX_JSON_DEPTH + 5),
        "]".repeat(MAX_JSON_DEPTH + 5)
    );
    let e = parse_sbom("deep.json", deep.as_bytes(), false).unwrap_err();
    assert!(e.message.contains("deeper"), "{e}");
    let xml = b"<?xml version=\"1.0\"?>\n<bom xmlns=\"http://cyclonedx.org/schema/bom/1.5\">\n<components>\n</bom>";
    let e = parse_sbom("bad.xml", xml, false).unwrap_err();
    assert!(e.message.contains("byte"), "{e}");
    assert_eq!(e.position.line, Some(4), "{e}");
    let xxe = b"<?xml version=\"1.0\"?>\n<!DOCTYPE bom [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n<bom xmlns=\"http://cyclonedx.org/schema/bom/1.5\"><components><component type=\"library\"><name>&xxe;</name></component></components></bom>";
    let e = parse_sbom("xxe.xml", xxe, false).unwrap_err();
    assert!(e.message.contains("DOCTYPE"), "{e}");
}

#[test]
fn xml_diagnostics_carry_lines() {
    let xml = b"<bom xmlns=\"http://cyclonedx.org/schema/bom/1.4\">\n<components>\n<component type=\"library\">\n<name>a</name>\n<colour>red</colour>\n<hashes>\n<hash alg=\"MD5\">abc</hash>\n</hashes>\n</component>\n<component type=\"gadget\">\n<name>b</name>\n</component>\n</components>\n</bom>";
    let s = parse_sbom("l.xml", xml, false).unwrap();
    assert_eq!(s.spec_version, "1.4");
    let found: Vec<(Option<u64>, Option<&str>)> = s
        .diagnostics
        .iter()
        .map(|d| (d.position.line, d.position.path.as_deref()))
        .collect();
    assert_eq!(
        found,
        [
            (Some(5), None),
            (Some(7), Some("/components/0/hashes/0/content")),
            (Some(10), Some("/components/1/type")),
        ]
    );
}

#[test]
fn detection() {
    assert_eq!(
        detect(b"  {\"bomFormat\":\"CycloneDX\"}"),
        Some(SbomFormat::CycloneDxJson)
    );
    assert_eq!(
        detect(b"{\"spdxVersion\":\"SPDX-2.3\"}"),
        Some(SbomFormat::SpdxJson)
    );
    assert_eq!(detect(b"\xEF\xBB\xBF<?xml version=\"1.0\"?><bom xmlns=\"http://cyclonedx.org/schema/bom/1.6\"/>"), Some(SbomFormat::CycloneDxXml));
    assert_eq!(
        detect(b"## doc\nSPDXVersion: SPDX-2.2\n"),
        Some(SbomFormat::SpdxTagValue)
    );
    assert_eq!(detect(b"{\"name\":\"x\"}"), None);
    assert_eq!(detect(b""), None);
    assert!(parse_sbom("x", b"hello", false).is_err());
}

#[test]
fn spdx_tag_value_packages_and_relationships() {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/spdx-examples/software/example6/spdx2.2/example6-bin.spdx"
    );
    let bytes = std::fs::read(p).unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    let s = parse_sbom("example6-bin.spdx", &bytes, false).unwrap();
    assert_eq!(s.format, SbomFormat::SpdxTagValue);
    let want_pkgs: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("PackageName: "))
        .collect();
    let got_pkgs: Vec<&str> = s
        .components
        .iter()
        .filter(|c| c.component_type.as_deref() != Some("file"))
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(got_pkgs, want_pkgs);
    let want_rels = text
        .lines()
        .filter(|l| l.starts_with("Relationship: "))
        .count();
    assert_eq!(s.relationships.len(), want_rels);
    assert_eq!(
        s.name.as_deref(),
        text.lines().find_map(|l| l.strip_prefix("DocumentName: "))
    );
}

#[test]
fn spdx_json_purl_and_cpe() {
    let mut checked_purls = 0;
    for rel in [
        "software/example11/spdx2.3/sbom.spdx.json",
        "software/example9/spdx2.2/appbomination.spdx.json",
        "presentations/SBOMS-SPDX-Now-and-Future/ACME-v2.3.spdx.json",
        "presentations/OSS-NA-2023/SPDXVersion2.3/04-SBOMwSecurity.json",
    ] {
        let p = PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/spdx-examples"
        ))
        .join(rel);
        let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let doc: Value = serde_json::from_slice(&bytes).unwrap();
        let s = parse_sbom(rel, &bytes, false).unwrap();
        assert_eq!(s.format, SbomFormat::SpdxJson);
        let pkgs = doc["packages"].as_array().unwrap();
        assert_eq!(
            s.components
                .iter()
                .filter(|c| c.component_type.as_deref() != Some("file"))
                .count(),
            pkgs.len()
        );
        for (got, want) in s.components.iter().zip(pkgs) {
            assert_eq!(Some(got.name.as_str()), want["name"].as_str());
            assert_eq!(got.bom_ref.as_deref(), want["SPDXID"].as_str());
            assert_eq!(got.version.as_deref(), want["versionInfo"].as_str());
            let refs = want["externalRefs"].as_array().cloned().unwrap_or_default();
            let find = |t: &str| {
                refs.iter()
                    .find(|r| r["referenceType"] == t)
                    .and_then(|r| r["referenceLocator"].as_str())
            };
            assert_eq!(got.purl.as_deref(), find("purl"), "{rel} {}", got.name);
            assert_eq!(
                got.cpe.as_deref(),
                find("cpe23Type").or(find("cpe22Type")),
                "{rel} {}",
                got.name
            );
            checked_purls += usize::from(got.purl.is_some());
        }
    }
    assert!(checked_purls > 10, "only {checked_purls} purls seen");
}

#[test]
fn spdx3_purls_and_licenses_resolve_through_the_graph() {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/spdx-examples/software/example11/spdx3.0/sbom.spdx3.json"
    );
    let bytes = std::fs::read(p).unwrap();
    let doc: Value = serde_json::from_slice(&bytes).unwrap();
    let s = parse_sbom("sbom.spdx3.json", &bytes, true).unwrap();
    assert_eq!(s.format, SbomFormat::Spdx3JsonLd);
    let graph = doc["@graph"].as_array().unwrap();
    let by_id = |id: &str| graph.iter().find(|e| e["spdxId"] == id);
    let mut purls = 0;
    for c in &s.components {
        let e = by_id(c.bom_ref.as_deref().unwrap()).unwrap();
        assert_eq!(Some(c.name.as_str()), e["name"].as_str());
        assert_eq!(c.purl.as_deref(), e["software_packageUrl"].as_str());
        purls += usize::from(c.purl.is_some());
        // Concluded/declared licenses: expressions reached via relationships from this element.
        let mut want: Vec<&str> = graph
            .iter()
            .filter(|r| {
                r["from"] == e["spdxId"]
                    && matches!(
                        r["relationshipType"].as_str(),
                        Some("hasConcludedLicense" | "hasDeclaredLicense")
                    )
            })
            .flat_map(|r| r["to"].as_array().unwrap().iter())
            .filter_map(|to| by_id(to.as_str().unwrap()))
            .filter_map(|l| l["simplelicensing_licenseExpression"].as_str())
            .collect();
        want.dedup();
        let got: Vec<&str> = c
            .licenses
            .iter()
            .filter_map(|l| l.expression.as_deref())
            .collect();
        assert_eq!(got, want, "{}", c.name);
    }
    assert!(purls > 0);
}
