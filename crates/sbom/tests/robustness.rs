//! Never panic: deterministic mutations of real documents (a cheap stand-in for the fuzz targets
//! in CI) and adversarial nesting at the limits.

use mdsec_sbom::{parse_sbom, MAX_JSON_DEPTH, MAX_XML_DEPTH};
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
