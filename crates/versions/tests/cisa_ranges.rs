//! Every `product_version_range` in the CISA ICS medical advisories (shared/data/csaf/cisa-icsma)
//! must parse into a range or an explicit "undetermined", never an error or a panic.

use mdsec_versions::firmware::{in_range, parse_range, FirmwareRange};
use mdsec_versions::Containment;
use serde_json::Value;

fn collect(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if m.get("category").and_then(Value::as_str) == Some("product_version_range") {
                if let Some(n) = m.get("name").and_then(Value::as_str) {
                    out.push(n.to_string());
                }
            }
            m.values().for_each(|x| collect(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| collect(x, out)),
        _ => {}
    }
}

#[test]
fn every_cisa_version_statement_parses() {
    let dir = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/csaf/cisa-icsma"
    ));
    let mut ranges = Vec::new();
    let mut files = 0;
    for e in std::fs::read_dir(dir).expect("CISA CSAF data present") {
        let p = e.expect("entry").path();
        if p.extension().is_some_and(|x| x == "json") {
            files += 1;
            let v: Value = serde_json::from_str(&std::fs::read_to_string(&p).expect("readable"))
                .expect("JSON");
            collect(&v, &mut ranges);
        }
    }
    assert!(
        files >= 100,
        "expected the CISA advisories, found {files} files"
    );
    assert!(
        ranges.len() >= 200,
        "expected hundreds of version ranges, found {}",
        ranges.len()
    );
    let (mut all, mut structured, mut unparsed) = (0, 0, 0);
    for r in &ranges {
        match parse_range(r) {
            FirmwareRange::All => all += 1,
            FirmwareRange::Vers(_) | FirmwareRange::Alternatives(_) => structured += 1,
            FirmwareRange::Unparsed(_) => unparsed += 1,
        }
        // Containment of any version must be answerable without panicking.
        let _ = in_range("1.0", &parse_range(r));
    }
    println!("cisa ranges: {} total, {all} all-versions, {structured} structured, {unparsed} undetermined", ranges.len());
    // Most statements are plain bounds; dates and prose are the minority.
    assert!(
        structured > unparsed * 3,
        "too few statements understood: {structured} vs {unparsed}"
    );
}

#[test]
fn cisa_forms_mean_what_they_say() {
    let inside = |v: &str, r: &str| in_range(v, &parse_range(r));
    assert_eq!(inside("2.3.6", "<= 2.3.6"), Containment::Inside);
    assert_eq!(inside("2.3.7", "<= 2.3.6"), Containment::Outside);
    assert_eq!(inside("1.4", ">= 1.3.4 | < 1.5.3"), Containment::Inside);
    assert_eq!(inside("1.5.3", ">= 1.3.4 | < 1.5.3"), Containment::Outside);
    assert_eq!(inside("2.4", "<= 2.4A"), Containment::Undetermined);
    assert_eq!(inside("C.00.03", "<= C.00.04"), Containment::Inside);
    assert_eq!(inside("L80", "<= U61 |<= L81"), Containment::Inside);
    assert_eq!(
        inside("3.0", "distributed  < april 1, 2018"),
        Containment::Undetermined
    );
    assert_eq!(
        inside("9.1", "<=11.2 on Windows 8.1 with IIS 7.5"),
        Containment::Undetermined
    );
    assert_eq!(inside("5.0", "<=N"), Containment::Undetermined);
    assert_eq!(inside("x", "vers:all/*"), Containment::Inside);
}
