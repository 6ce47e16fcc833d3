//! Conformance against the CycloneDX specification's own test documents and the SPDX examples.

use mdsec_sbom::{parse_sbom, SbomFormat};
use std::path::{Path, PathBuf};

fn data() -> PathBuf {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"));
    assert!(p.is_dir(), "shared test data missing at {}", p.display());
    p
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    out.sort();
    out
}

#[test]
fn conformance_cyclonedx() {
    let root = data().join("cyclonedx-spec");
    let (mut valid_ok, mut valid_total, mut invalid_ok, mut invalid_total) = (0, 0, 0, 0);
    let (mut informal_ok, mut informal_total) = (0, 0);
    let mut failures = Vec::new();
    for v in ["1.2", "1.3", "1.4", "1.5", "1.6", "1.7"] {
        let (mut vo, mut vt, mut io, mut it) = (0, 0, 0, 0);
        for path in files(&root.join(v)) {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let ext = path
                .extension()
                .map(|e| e.to_string_lossy().to_string())
                .unwrap_or_default();
            if ext != "json" && ext != "xml" {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            let result = parse_sbom(&name, &bytes, true);
            if name.starts_with("valid-") {
                vt += 1;
                match result {
                    Ok(sbom) => {
                        assert_eq!(sbom.spec_version, v, "{name}");
                        let want = if ext == "json" {
                            SbomFormat::CycloneDxJson
                        } else {
                            SbomFormat::CycloneDxXml
                        };
                        assert_eq!(sbom.format, want, "{name}");
                        vo += 1;
                    }
                    Err(e) => failures.push(format!("valid rejected: {v}/{name}: {e}")),
                }
            } else if name.starts_with("informal-invalid-") {
                // Rules the upstream schemas cannot express; we check them anyway.
                informal_total += 1;
                match result {
                    Err(_) => informal_ok += 1,
                    Ok(_) => failures.push(format!("informal invalid accepted: {v}/{name}")),
                }
            } else if name.starts_with("invalid-") {
                it += 1;
                match result {
                    Err(_) => io += 1,
                    Ok(_) => failures.push(format!("invalid accepted: {v}/{name}")),
                }
            }
        }
        println!("cyclonedx {v}: valid {vo}/{vt}, invalid rejected {io}/{it}");
        valid_ok += vo;
        valid_total += vt;
        invalid_ok += io;
        invalid_total += it;
    }
    for f in &failures {
        eprintln!("{f}");
    }
    println!("cyclonedx-valid: {valid_ok}/{valid_total}");
    println!("cyclonedx-invalid-rejected: {invalid_ok}/{invalid_total}");
    eprintln!("cyclonedx informal-invalid rejected: {informal_ok}/{informal_total}");
    assert!(
        valid_total > 400 && invalid_total > 250,
        "test corpus looks incomplete"
    );
    assert_eq!(valid_ok, valid_total, "valid documents rejected");
    assert_eq!(invalid_ok, invalid_total, "invalid documents accepted");
    assert_eq!(
        informal_ok, informal_total,
        "informally invalid documents accepted"
    );
}

/// SPDX 2.x documents (JSON or tag-value) anywhere under spdx-examples; SPDX 3 files are skipped.
fn spdx2_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for path in files(dir) {
        if path.is_dir() {
            spdx2_files(&path, out);
            continue;
        }
        let name = path.to_string_lossy();
        if !(name.ends_with(".json") || name.ends_with(".spdx")) {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let is_spdx2 = if name.ends_with(".json") {
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            v["spdxVersion"]
                .as_str()
                .is_some_and(|s| s.starts_with("SPDX-2"))
        } else {
            String::from_utf8_lossy(&bytes)
                .lines()
                .any(|l| l.trim().starts_with("SPDXVersion: SPDX-2"))
        };
        if is_spdx2 {
            out.push(path);
        }
    }
}

#[test]
fn conformance_spdx() {
    let mut paths = Vec::new();
    spdx2_files(&data().join("spdx-examples"), &mut paths);
    let total = paths.len();
    let mut passed = 0;
    for path in &paths {
        let bytes = std::fs::read(path).unwrap();
        match parse_sbom(&path.to_string_lossy(), &bytes, false) {
            Ok(sbom) if !sbom.components.is_empty() => passed += 1,
            Ok(_) => eprintln!("{}: no packages or files", path.display()),
            Err(e) => eprintln!("{e}"),
        }
    }
    println!("spdx: {passed}/{total}");
    assert!(
        total >= 25,
        "expected about 30 SPDX 2.x examples, found {total}"
    );
    assert_eq!(passed, total);
}

fn spdx3_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for path in files(dir) {
        if path.is_dir() {
            spdx3_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            let v: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap_or_default();
            if v["@context"]
                .as_str()
                .is_some_and(|c| c.contains("spdx.org/rdf/3"))
            {
                out.push(path);
            }
        }
    }
}

/// SPDX 3.0 JSON-LD examples: each must parse without diagnostics, and every package and file in
/// the graph must come out as a component with its name.
#[test]
fn conformance_spdx3() {
    let mut paths = Vec::new();
    spdx3_files(&data().join("spdx-examples"), &mut paths);
    let total = paths.len();
    let mut passed = 0;
    for path in &paths {
        let bytes = std::fs::read(path).unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let want: Vec<&str> = doc["@graph"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| {
                let t = e["type"].as_str().unwrap_or_default();
                t == "software_Package" || t == "software_File" || t.ends_with("Package")
            })
            .filter_map(|e| e["name"].as_str())
            .collect();
        match parse_sbom(&path.to_string_lossy(), &bytes, true) {
            Ok(sbom) => {
                let got: Vec<&str> = sbom.components.iter().map(|c| c.name.as_str()).collect();
                if sbom.format == SbomFormat::Spdx3JsonLd
                    && got == want
                    && sbom.spec_version.starts_with("SPDX-3")
                {
                    passed += 1;
                } else {
                    eprintln!("{}: components {got:?}, expected {want:?}", path.display());
                }
            }
            Err(e) => eprintln!("{e}"),
        }
    }
    println!("spdx3: {passed}/{total}");
    assert!(
        total >= 20,
        "expected about 26 SPDX 3 examples, found {total}"
    );
    assert_eq!(passed, total);
}
