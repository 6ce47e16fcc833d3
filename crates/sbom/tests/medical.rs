//! A real (anonymised) medical-device SBOM from an FDA premarket case study: every component must
//! come out with its name, version, purl and CPE exactly as written in the file.

use mdsec_sbom::{detect, parse_sbom, SbomFormat};
use serde_json::Value;

fn medical() -> Vec<u8> {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/sbom-medical/narrow.sbom.json"
    );
    std::fs::read(p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

#[test]
fn medical_sbom_components_match_the_file() {
    let bytes = medical();
    assert_eq!(detect(&bytes), Some(SbomFormat::CycloneDxJson));
    let sbom = parse_sbom("narrow.sbom.json", &bytes, false).unwrap();

    let doc: Value = serde_json::from_slice(&bytes).unwrap();
    let want = doc["components"].as_array().unwrap();
    assert!(
        want.iter().all(|c| c.get("components").is_none()),
        "file has nested components; extend this test"
    );
    assert_eq!(sbom.components.len(), want.len());
    assert_eq!(sbom.spec_version, doc["specVersion"].as_str().unwrap());
    for (got, want) in sbom.components.iter().zip(want) {
        assert_eq!(Some(got.name.as_str()), want["name"].as_str());
        assert_eq!(
            got.version.as_deref(),
            want["version"].as_str(),
            "{}",
            got.name
        );
        assert_eq!(got.purl.as_deref(), want["purl"].as_str(), "{}", got.name);
        assert_eq!(got.cpe.as_deref(), want["cpe"].as_str(), "{}", got.name);
        assert_eq!(
            got.bom_ref.as_deref(),
            want["bom-ref"].as_str(),
            "{}",
            got.name
        );
        assert_eq!(
            got.component_type.as_deref(),
            want["type"].as_str(),
            "{}",
            got.name
        );
        assert_eq!(got.parent, None);
    }
    let deps = doc["dependencies"].as_array().unwrap();
    assert_eq!(sbom.dependencies.len(), deps.len());
    for (got, want) in sbom.dependencies.iter().zip(deps) {
        assert_eq!(Some(got.reference.as_str()), want["ref"].as_str());
        let on: Vec<&str> = want["dependsOn"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        assert_eq!(got.depends_on, on);
    }
    let meta = &doc["metadata"];
    assert_eq!(
        sbom.metadata.timestamp.as_deref(),
        meta["timestamp"].as_str()
    );
    assert_eq!(sbom.name.as_deref(), meta["component"]["name"].as_str());
}

#[test]
fn medical_sbom_json_form_has_the_promised_keys() {
    let sbom = parse_sbom("narrow.sbom.json", &medical(), false).unwrap();
    let json = serde_json::to_value(&sbom).unwrap();
    assert_eq!(json["format"], "cyclonedx-json");
    let comps = json["components"].as_array().unwrap();
    assert!(!comps.is_empty());
    for c in comps {
        for key in ["name", "version", "purl", "cpe"] {
            assert!(
                c.as_object().unwrap().contains_key(key),
                "component JSON lacks `{key}`: {c}"
            );
        }
    }
    // A component without purl or CPE still carries the keys, as null.
    let bare = br#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"type":"library","name":"x"}]}"#;
    let json = serde_json::to_value(parse_sbom("bare.json", bare, true).unwrap()).unwrap();
    let c = &json["components"][0];
    assert!(c["purl"].is_null() && c["cpe"].is_null() && c["version"].is_null());
    assert_eq!(c["name"], "x");
}
