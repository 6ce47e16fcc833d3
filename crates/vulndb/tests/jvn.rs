//! Every official MyJVN API example (XML `hnd` and JSON `oka`) parses; named fields are checked against
//! the raw text and across the two formats of the same JVNDB entry.

use mdsec_vulndb::*;
use std::collections::BTreeSet;

const JVN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/jvn/examples"
);

fn files() -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for sub in ["hnd", "oka"] {
        let dir = format!("{JVN}/{sub}");
        for e in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{dir}: {e}")) {
            out.push(e.unwrap().path());
        }
    }
    out.sort();
    assert!(
        out.len() >= 30,
        "expected the 34 MyJVN examples, found {}",
        out.len()
    );
    out
}

/// Values of `attr="…"` in `text` (a plain string search, independent of the XML parser).
fn attr_values(text: &str, attr: &str) -> Vec<String> {
    let pat = format!("{attr}=\"");
    text.match_indices(&pat)
        .filter_map(|(i, _)| {
            let rest = &text[i + pat.len()..];
            rest.find('"').map(|j| rest[..j].to_string())
        })
        .collect()
}

/// Text of every `<tag …>…</tag>` in `text`.
fn element_texts(text: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}");
    let close = format!("</{tag}>");
    text.match_indices(&open)
        .filter_map(|(i, _)| {
            let rest = &text[i + open.len()..];
            if !rest.starts_with('>') && !rest.starts_with(' ') {
                return None;
            }
            let rest = &rest[rest.find('>')? + 1..];
            rest.find(&close).map(|j| rest[..j].trim().to_string())
        })
        .collect()
}

fn check_xml(text: &str, doc: &JvnDocument) {
    assert_eq!(doc.syntax, JvnSyntax::Xml);
    let method = attr_values(text, "method");
    assert_eq!(doc.method.as_deref(), method.first().map(String::as_str));
    match doc.method.as_deref() {
        Some("getVulnOverviewList") => {
            let ids = element_texts(text, "sec:identifier");
            assert_eq!(
                doc.entries.iter().map(|e| e.id.clone()).collect::<Vec<_>>(),
                ids
            );
            assert_eq!(doc.entries.len(), text.matches("<item ").count());
            // Every CVE reference id in the raw text is an alias of some entry.
            let cves: BTreeSet<String> = text
                .split("source=\"CVE\" id=\"")
                .skip(1)
                .filter_map(|s| s.split('"').next().map(str::to_string))
                .collect();
            let got: BTreeSet<String> = doc
                .entries
                .iter()
                .flat_map(|e| e.cves.iter().cloned())
                .collect();
            assert!(cves.is_subset(&got), "{cves:?} vs {got:?}");
            let scores: BTreeSet<String> = attr_values(text, "score").into_iter().collect();
            for c in doc.entries.iter().flat_map(|e| &e.cvss) {
                assert!(scores.contains(&c.score.unwrap().to_string()), "{c:?}");
                assert!(text.contains(&format!("vector=\"{}\"", c.vector.as_deref().unwrap())));
            }
            let issued = element_texts(text, "dcterms:issued");
            for e in &doc.entries {
                assert!(issued.contains(e.published.as_ref().unwrap()), "{}", e.id);
                assert!(!e.affected.is_empty(), "{} has sec:cpe", e.id);
            }
        }
        Some("getVulnDetailInfo") => {
            assert_eq!(doc.entries.len(), text.matches("<Vulinfo>").count());
            let bases = element_texts(text, "Base");
            let published = element_texts(text, "DateFirstPublished");
            let cpes = element_texts(text, "Cpe");
            for (i, e) in doc.entries.iter().enumerate() {
                assert!(e.id.starts_with("JVNDB-"));
                assert!(
                    text.contains(&format!("<Vulinfo>\n    <VulinfoID>{}</VulinfoID>", e.id)),
                    "{}",
                    e.id
                );
                assert_eq!(e.published.as_ref(), published.get(i));
                assert!(text.contains(&format!("<Title>{}</Title>", e.title.as_deref().unwrap())));
                for c in &e.cvss {
                    assert!(bases.contains(&c.score.unwrap().to_string()), "{c:?}");
                }
                for a in &e.affected {
                    assert!(cpes.contains(a.cpe.as_ref().unwrap()), "{a:?}");
                }
                for cve in &e.cves {
                    assert!(text.contains(&format!("<VulinfoID>{cve}</VulinfoID>")));
                }
            }
        }
        _ => assert!(doc.entries.is_empty()),
    }
}

fn json_value(text: &str) -> serde_json::Value {
    // The official examples contain `"retMax": ,`; patch that defect independently of the parser.
    serde_json::from_str(&text.replace(": ,", ": null,")).unwrap()
}

fn check_json(text: &str, doc: &JvnDocument) {
    assert_eq!(doc.syntax, JvnSyntax::Json);
    let v = json_value(text);
    // CSAF-style documents, bare or embedded in a STIX bundle.
    let mut csaf: Vec<&serde_json::Value> = Vec::new();
    if v.get("document").is_some() {
        csaf.push(&v);
    }
    for o in v["objects"].as_array().into_iter().flatten() {
        csaf.extend(o["VULDEF-Document"].as_array().into_iter().flatten());
    }
    if !csaf.is_empty() {
        assert_eq!(doc.entries.len(), csaf.len());
        for (e, d) in doc.entries.iter().zip(csaf) {
            assert_eq!(e.id, d["document"]["tracking"]["id"].as_str().unwrap());
            assert_eq!(e.title.as_deref(), d["document"]["title"].as_str());
            assert_eq!(
                e.published.as_deref(),
                d["document"]["tracking"]["initial_release_date"].as_str()
            );
            let cves: BTreeSet<&str> = d["vulnerabilities"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|x| x["cve"].as_str())
                .filter(|c| !c.is_empty())
                .collect();
            assert_eq!(
                e.cves.iter().map(String::as_str).collect::<BTreeSet<_>>(),
                cves
            );
        }
        return;
    }
    let method = v["status"]["method"].as_str();
    match (method, v["feed"]["entry"].as_array()) {
        (Some(m), Some(list)) if m != "getAlertList" => {
            assert_eq!(doc.entries.len(), list.len());
            for (e, raw) in doc.entries.iter().zip(list) {
                assert_eq!(e.id, raw["id"].as_str().unwrap());
                assert_eq!(e.modified.as_deref(), raw["modified"].as_str());
                for c in &e.cvss {
                    assert!(text.contains(&format!(
                        "\"vectorString\": \"{}\"",
                        c.vector.as_deref().unwrap()
                    )));
                }
                for cve in &e.cves {
                    assert!(text.contains(&format!("\"summary\": \"{cve}\"")));
                }
            }
        }
        _ => assert!(doc.entries.is_empty()),
    }
}

#[test]
fn conformance_jvn_examples() {
    let files = files();
    let mut passed = 0;
    let mut failures = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(path).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        let result = std::panic::catch_unwind(|| {
            let doc = parse_jvn(&name, &bytes).unwrap_or_else(|e| panic!("{e}"));
            if name.ends_with(".xml") {
                assert_eq!(detect(&bytes), Some(Kind::JvnXml));
                check_xml(&text, &doc);
            } else {
                assert_eq!(detect(&bytes), Some(Kind::JvnJson));
                check_json(&text, &doc);
            }
        });
        match result {
            Ok(()) => passed += 1,
            Err(_) => failures.push(name),
        }
    }
    println!("jvn-examples: {passed}/{}", files.len());
    assert!(failures.is_empty(), "failed: {failures:?}");
}

#[test]
fn xml_and_json_forms_of_the_same_entry_agree() {
    for id in [
        "JVNDB-2017-009608",
        "JVNDB-2018-009328",
        "JVNDB-2021-002774",
        "JVNDB-2022-000097",
    ] {
        let x = std::fs::read(format!("{JVN}/hnd/getVulnDetailInfo_hnd_{id}.xml")).unwrap();
        let j = std::fs::read(format!("{JVN}/oka/getVulnDetailInfo_oka_{id}.json")).unwrap();
        let x = parse_jvn("x", &x).unwrap();
        let j = parse_jvn("j", &j).unwrap();
        let (x, j) = (&x.entries[0], &j.entries[0]);
        assert_eq!(x.id, id);
        assert_eq!(j.id, id);
        assert_eq!(x.title, j.title, "{id}");
        assert_eq!(x.published, j.published, "{id}");
        assert_eq!(x.modified, j.modified, "{id}");
        assert_eq!(x.public_date, j.public_date, "{id}");
        let xs: BTreeSet<_> = x.cves.iter().collect();
        let js: BTreeSet<_> = j.cves.iter().collect();
        assert_eq!(xs, js, "{id}");
        assert!(!x.affected.is_empty() && !j.affected.is_empty(), "{id}");
    }
}

#[test]
fn detail_fields_from_the_xml_example() {
    let bytes = std::fs::read(format!(
        "{JVN}/hnd/getVulnDetailInfo_hnd_JVNDB-2018-009328.xml"
    ))
    .unwrap();
    let doc = parse_jvn("d.xml", &bytes).unwrap();
    let e = &doc.entries[0];
    // Two vendors × three <VersionNumber> each.
    assert_eq!(e.affected.len(), 6);
    assert_eq!(
        e.affected[0].cpe.as_deref(),
        Some("cpe:/a:veritas:netbackup")
    );
    assert_eq!(e.affected[2].version.as_deref(), Some("8.1"));
    let v3 = e
        .cvss
        .iter()
        .find(|c| c.version.as_deref() == Some("3.0"))
        .unwrap();
    assert_eq!(v3.score, Some(9.8));
    assert_eq!(v3.severity.as_deref(), Some("Critical"));
    assert_eq!(
        v3.vector.as_deref(),
        Some("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
    );
    let v2 = e
        .cvss
        .iter()
        .find(|c| c.version.as_deref() == Some("2.0"))
        .unwrap();
    assert_eq!(v2.score, Some(10.0));
}

#[test]
fn hostile_xml_is_rejected() {
    let doctype = br#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><VULDEF-Document><Vulinfo><VulinfoID>&a;</VulinfoID></Vulinfo></VULDEF-Document>"#;
    let err = parse_jvn("e.xml", doctype).unwrap_err();
    assert!(err.message.contains("DOCTYPE"), "{err}");
    let entity =
        br#"<VULDEF-Document><Vulinfo><VulinfoID>&xxe;</VulinfoID></Vulinfo></VULDEF-Document>"#;
    assert!(parse_jvn("e.xml", entity).is_err());
    let deep = format!("{}{}", "<a>".repeat(100), "</a>".repeat(100));
    assert!(parse_jvn("d.xml", deep.as_bytes())
        .unwrap_err()
        .message
        .contains("deeper"));
    let unclosed = b"<VULDEF-Document><Vulinfo>";
    assert!(parse_jvn("u.xml", unclosed).is_err());
    let api_error = br#"<rdf:RDF xmlns:rdf="r" xmlns:status="s"><status:Status retCd="1" errCd="9" errMsg="bad query"/></rdf:RDF>"#;
    assert!(parse_jvn("a.xml", api_error)
        .unwrap_err()
        .message
        .contains("bad query"));
}

/// RUSTSEC-2026-0194 / -0195 (quick-xml before 0.41): a flood of repeated attributes is refused at
/// its start tag, and thousands of namespace declarations are read like any other attributes.
#[test]
fn attribute_and_namespace_floods_end_quickly() {
    let dup = format!(
        "<rdf:RDF xmlns:rdf=\"r\">\n<item{}><identifier>JVNDB-2024-000001</identifier></item>\n</rdf:RDF>",
        " rdf:about=\"x\"".repeat(50_000)
    );
    let err = parse_jvn("dup.xml", dup.as_bytes()).unwrap_err();
    assert!(err.message.contains("duplicated attribute"), "{err}");
    assert_eq!((err.position.line, err.position.column), (Some(2), Some(1)));

    let ns: String = (0..5_000)
        .map(|i| format!(" xmlns:p{i}=\"urn:example:{i}\""))
        .collect();
    let flood = format!(
        "<rdf:RDF xmlns:rdf=\"r\"{ns}>\n<item><identifier>JVNDB-2024-000001</identifier></item>\n</rdf:RDF>"
    );
    let doc = parse_jvn("ns.xml", flood.as_bytes()).unwrap();
    assert_eq!(doc.entries.len(), 1);
    assert_eq!(doc.entries[0].id, "JVNDB-2024-000001");
}
