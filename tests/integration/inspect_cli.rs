//! `mdsec inspect` as a user runs it, on the real files the issue names.

use serde_json::Value;
use std::process::Command;

fn data(path: &str) -> String {
    format!("{}/../shared/data/{path}", env!("CARGO_MANIFEST_DIR"))
}

fn inspect_json(path: &str) -> Value {
    let out = Command::new(crate::mdsec_bin())
        .args(["inspect", "--json", path])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn medical_sbom_lists_every_component_with_purl_and_cpe_as_in_the_file() {
    let dir = data("sbom-medical");
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .expect("the medical SBOM");
    let original: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let v = inspect_json(file.to_str().unwrap());
    assert_eq!(v["kind"], "cyclonedx");
    let ours = v["components"].as_array().unwrap();
    let theirs = original["components"].as_array().unwrap();
    assert_eq!(ours.len(), theirs.len());
    for (o, t) in ours.iter().zip(theirs) {
        assert_eq!(o["name"], t["name"]);
        assert_eq!(o["purl"], t.get("purl").cloned().unwrap_or(Value::Null));
        assert_eq!(o["cpe"], t.get("cpe").cloned().unwrap_or(Value::Null));
    }
}

#[test]
fn contec_advisory_lists_five_cves_and_the_cms8000_range() {
    let path = data("csaf/cisa-icsma/icsma-22-244-01.json");
    let original: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let mut expected: Vec<String> = original["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["cve"].as_str().unwrap().to_string())
        .collect();
    expected.sort();
    let v = inspect_json(&path);
    assert_eq!(v["kind"], "csaf");
    let mut cves: Vec<String> = v["cves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    cves.sort();
    assert_eq!(cves.len(), 5);
    assert_eq!(cves, expected);
    assert!(v["products"]
        .as_array()
        .unwrap()
        .iter()
        .any(
            |p| p["product"] == "CMS8000 CONTEC ICU CCU Vital Signs Patient Monitor"
                && p["version_range"] == "vers:all/*"
        ));
}

#[test]
fn invalid_input_exits_non_zero_naming_file_and_position() {
    let dir = crate::data_dir();
    let bad = dir.path().join("advisory.json");
    std::fs::write(&bad, "{\n  \"document\": {,\n}").unwrap();
    let out = Command::new(crate::mdsec_bin())
        .args(["inspect", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("advisory.json") && err.contains("line 2"),
        "{err}"
    );
}
