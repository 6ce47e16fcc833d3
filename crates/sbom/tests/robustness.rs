//! Never panic: deterministic mutations of real documents (a cheap stand-in for the fuzz targets
//! in CI) and adversarial nesting at the limits.

use mdsec_sbom::{parse_sbom, MAX_JSON_DEPTH, MAX_XML_ATTRIBUTES, MAX_XML_DEPTH};
use std::path::PathBuf;

fn samples() -> Vec<(String, Vec<u8>)> {
    let data = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"));
    let mut out = Vec::new();
    for v in ["1.2", "1.5", "1.7"] {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(data.join("cyclonedx-spec").join(v))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json" || e == "xml"))
            .collect();
        paths.sort();
        out.extend(
            paths
                .iter()
                .step_by(9)
                .map(|p| (p.display().to_string(), std::fs::read(p).unwrap())),
        );
    }
    for rel in [
        "sbom-medical/narrow.sbom.json",
        "spdx-examples/software/example6/spdx2.2/example6-bin.spdx",
        "spdx-examples/software/example9/spdx2.2/appbomination.spdx.json",
        "spdx-examples/software/example11/spdx3.0/sbom.spdx3.json",
    ] {
        out.push((rel.to_string(), std::fs::read(data.join(rel)).unwrap()));
    }
    assert!(out.len() > 30);
    out
}

#[test]
fn mutated_documents_do_not_panic() {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    const BYTES: &[u8] = b"{}[]<>\"':,/\\&;!-=\n \0\xff\xc3tT1";
    let mut runs = 0;
    for (name, doc) in samples() {
        if doc.is_empty() {
            continue;
        }
        for _ in 0..40 {
            let mut m = doc.clone();
            match next() % 4 {
                0 => m.truncate((next() as usize) % doc.len()),
                1 => {
                    let i = (next() as usize) % m.len();
                    m[i] = BYTES[(next() as usize) % BYTES.len()];
                }
                2 => {
                    let i = (next() as usize) % m.len();
                    m.insert(i, BYTES[(next() as usize) % BYTES.len()]);
                }
                _ => {
                    let i = (next() as usize) % m.len();
                    let j = (i + (next() as usize) % 64).min(m.len());
                    m.drain(i..j);
                }
            }
            let _ = parse_sbom(&name, &m, false);
            let _ = parse_sbom(&name, &m, true);
            runs += 1;
        }
    }
    assert!(runs > 1000);
}

#[test]
fn deep_nesting_is_refused_or_handled() {
    // Nested components right up to the JSON depth limit parse; one more level is refused.
    let nest = |levels: usize| {
        let mut s = String::from(r#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":["#);
        for i in 0..levels {
            s.push_str(&format!(
                r#"{{"type":"library","name":"c{i}","components":["#
            ));
        }
        for _ in 0..levels {
            s.push_str("]}");
        }
        s.push_str("]}");
        s
    };
    // Each component level costs two JSON levels (object + array) on top of the root's two.
    let fits = (MAX_JSON_DEPTH - 2) / 2;
    let s = parse_sbom("deep.json", nest(fits).as_bytes(), true).unwrap();
    assert_eq!(s.components.len(), fits);
    assert_eq!(s.components.last().unwrap().parent, Some(fits - 2));
    assert!(parse_sbom("deeper.json", nest(fits + 1).as_bytes(), false).is_err());

    let xml_nest = |levels: usize| {
        let mut s =
            String::from(r#"<bom xmlns="http://cyclonedx.org/schema/bom/1.6"><components>"#);
        for i in 0..levels {
            s.push_str(&format!(
                r#"<component type="library"><name>c{i}</name><components>"#
            ));
        }
        for _ in 0..levels {
            s.push_str("</components></component>");
        }
        s.push_str("</components></bom>");
        s
    };
    let fits = (MAX_XML_DEPTH - 2) / 2;
    let s = parse_sbom("deep.xml", xml_nest(fits).as_bytes(), true).unwrap();
    assert_eq!(s.components.len(), fits);
    let e = parse_sbom("deeper.xml", xml_nest(fits + 1).as_bytes(), false).unwrap_err();
    assert!(e.message.contains("deeper"), "{e}");
}

/// RUSTSEC-2026-0194 / -0195: quick-xml before 0.41 took quadratic time over the attributes of one
/// tag and allocated without bound for namespace declarations. Both floods end in a located error
/// (the start tag's line) after reading at most [`MAX_XML_ATTRIBUTES`] attributes.
#[test]
fn attribute_and_namespace_floods_are_refused_where_they_are() {
    let head = "<?xml version=\"1.0\"?>\n<bom xmlns=\"http://cyclonedx.org/schema/bom/1.6\">\n<components>\n";
    let tail = "<name>a</name></component>\n</components>\n</bom>\n";
    let component = |attrs: &str| format!("{head}<component type=\"library\"{attrs}>{tail}");

    // The same attribute 50,000 times on one element.
    let dup = component(&" bom-ref=\"x\"".repeat(50_000));
    let e = parse_sbom("dup.xml", dup.as_bytes(), false).unwrap_err();
    assert!(e.message.contains("duplicated attribute"), "{e}");
    assert_eq!(e.position.line, Some(4), "{e}");
    assert_eq!(e.file.as_deref(), Some("dup.xml"));

    // A repeat that comes after hundreds of distinct names (quick-xml's hashed check).
    let distinct: String = (0..MAX_XML_ATTRIBUTES - 2)
        .map(|i| format!(" a{i}=\"{i}\""))
        .collect();
    let late = component(&format!("{distinct} a7=\"again\""));
    let e = parse_sbom("late.xml", late.as_bytes(), false).unwrap_err();
    assert!(e.message.contains("duplicated attribute"), "{e}");
    assert_eq!(e.position.line, Some(4), "{e}");
    // Without the repeat the same element is read, every attribute kept.
    let ok = parse_sbom("ok.xml", component(&distinct).as_bytes(), false).unwrap();
    assert_eq!(ok.components.len(), 1);
    assert_eq!(ok.components[0].name, "a");

    // Thousands of namespace declarations on the root element.
    let ns: String = (0..5_000)
        .map(|i| format!(" xmlns:p{i}=\"urn:example:{i}\""))
        .collect();
    let flood = format!(
        "<?xml version=\"1.0\"?>\n<bom xmlns=\"http://cyclonedx.org/schema/bom/1.6\"{ns}>\n<components/>\n</bom>\n"
    );
    let e = parse_sbom("ns.xml", flood.as_bytes(), false).unwrap_err();
    assert!(
        e.message.contains(&format!(
            "more than {MAX_XML_ATTRIBUTES} attributes on one element"
        )),
        "{e}"
    );
    assert_eq!(e.position.line, Some(2), "{e}");
    // As many as the limit allows are fine.
    let ns: String = (0..MAX_XML_ATTRIBUTES - 1)
        .map(|i| format!(" xmlns:p{i}=\"urn:example:{i}\""))
        .collect();
    let fits = format!(
        "<?xml version=\"1.0\"?>\n<bom xmlns=\"http://cyclonedx.org/schema/bom/1.6\"{ns}>\n<components/>\n</bom>\n"
    );
    let s = parse_sbom("ns-fits.xml", fits.as_bytes(), false).unwrap();
    assert!(s.components.is_empty());
}
