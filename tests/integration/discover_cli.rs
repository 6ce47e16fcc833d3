//! `mdsec discover pcap` as a user runs it: the issue's acceptance shape on the shared medical
//! captures, patient-data canaries absent from output and logs, and invalid captures.

use mdsec_discovery::synth::{self, Host};
use mdsec_discovery::Mac;
use serde_json::Value;
use std::collections::BTreeSet;
use std::process::Command;

fn medical_captures() -> Vec<String> {
    let dir = format!("{}/../shared/data/pcap-medical", env!("CARGO_MANIFEST_DIR"));
    let mut v: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .map(|p| p.display().to_string())
        .collect();
    v.sort();
    v
}

fn discover(args: &[&str]) -> std::process::Output {
    Command::new(crate::mdsec_bin())
        .args(["discover", "pcap"])
        .args(args)
        .env("MDSEC_LOG", "trace")
        .output()
        .unwrap()
}

/// Values of `key` across all devices.
fn values(v: &Value, key: &str) -> BTreeSet<String> {
    v["devices"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["identifiers"][key].as_array())
        .flatten()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn medical_captures_json_lists_devices_with_identifiers_and_evidence() {
    let files = medical_captures();
    assert!(files.len() >= 9);
    let args: Vec<&str> = files.iter().map(String::as_str).chain(["--json"]).collect();
    let out = discover(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let devices = v["devices"].as_array().unwrap();
    assert!(devices.len() >= 3);
    for d in devices {
        let obj = d.as_object().unwrap();
        for key in [
            "ip",
            "mac",
            "protocols",
            "identifiers",
            "evidence",
            "first_seen",
            "last_seen",
        ] {
            assert!(obj.contains_key(key), "device without {key}: {d}");
        }
        assert!(
            d["protocols"].is_array() && d["identifiers"].is_object() && d["evidence"].is_array()
        );
        assert!(d["mac"].is_null() || d["mac"].as_str().unwrap().len() == 17);
        for e in d["evidence"].as_array().unwrap() {
            assert!(e["packet"].as_u64().unwrap() >= 1);
            assert!(e["capture"].as_str().unwrap().ends_with(".pcap"));
            assert!(e["protocol"].is_string() && e["field"].is_string() && e["value"].is_string());
        }
    }
    // Every AE title and HL7 sender present in the captures (found by a plain byte search).
    let mut want_ae = BTreeSet::new();
    let mut want_hl7 = BTreeSet::new();
    for f in &files {
        let b = std::fs::read(f).unwrap();
        for i in 0..b.len().saturating_sub(42) {
            let w = &b[i..];
            if (w[0] == 1 || w[0] == 2)
                && w[1] == 0
                && w[6..10] == [0, 1, 0, 0]
                && w[10..42].iter().all(|c| (0x20..0x7f).contains(c))
            {
                for t in [&w[10..26], &w[26..42]] {
                    want_ae.insert(String::from_utf8_lossy(t).trim().to_string());
                }
            }
            if w.starts_with(b"MSH|") {
                let end = w.iter().position(|&c| c == b'\r').unwrap_or(w.len());
                let f3 = w[..end].split(|&c| c == b'|').nth(2).unwrap();
                want_hl7.insert(String::from_utf8_lossy(f3).to_string());
            }
        }
    }
    assert!(
        want_ae.len() >= 4 && want_hl7.len() >= 4,
        "{want_ae:?} {want_hl7:?}"
    );
    let ae = values(&v, "dicom_ae_title");
    let hl7 = values(&v, "hl7_sending_application");
    assert!(
        want_ae.is_subset(&ae),
        "AE titles {want_ae:?} not all in {ae:?}"
    );
    assert!(
        want_hl7.is_subset(&hl7),
        "HL7 senders {want_hl7:?} not all in {hl7:?}"
    );
    assert!(!values(&v, "dicom_implementation_class_uid").is_empty());
    assert!(!values(&v, "udi").is_empty());
    // Loopback DICOM device: no MAC.
    let lo = devices.iter().find(|d| d["ip"] == "127.0.0.1").unwrap();
    assert!(lo["mac"].is_null());
    assert!(v["flows"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["port"] == 104 && f["service"] == "dicom"));

    // Human summary names the same things.
    let out = discover(&files.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("testclient") && text.contains("SENDING_APPLICATION"),
        "{text}"
    );
}

#[test]
fn patient_canaries_never_printed_or_logged() {
    let dir = tempfile::tempdir().unwrap();
    let host = |i: u8| Host {
        mac: Mac([0x00, 0x1b, 0x21, 0, 0, i]),
        ip: std::net::Ipv4Addr::new(10, 9, 0, i),
    };
    let ds =
        synth::dicom_store_dataset("ACME Imaging", "Scanner 9000", "CANARY^TARO", "CANARYID77");
    let rq = synth::dicom_associate(
        1,
        "CT1",
        "PACS",
        "1.2.276.0.7230010.3.0.3.6.7",
        "OFFIS_DCMTK_367",
    );
    let mut frames = synth::tcp_conversation(
        host(1),
        host(2),
        40000,
        104,
        &[(true, &rq), (true, &synth::dicom_c_store(&ds, 300))],
        512,
        1_700_000_000_000_000,
        100,
    );
    let hl7 = synth::mllp("MSH|^~\\&|LAB^ACME|HOSP|EMR|HOSP|2024||ORU^R01|7|P|2.5\rPID|1||CANARYID77||CANARY^TARO||19800101|F\rOBX|1|ST|X||CANARY^TARO\r");
    frames.extend(synth::tcp_conversation(
        host(3),
        host(2),
        40001,
        2575,
        &[(true, &hl7)],
        64,
        1_700_000_001_000_000,
        100,
    ));
    let path = dir.path().join("canary.pcap");
    std::fs::write(&path, synth::pcap_file(&frames)).unwrap();
    let p = path.to_str().unwrap();
    for args in [vec![p, "--json"], vec![p]] {
        let out = discover(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let all = [out.stdout.as_slice(), out.stderr.as_slice()].concat();
        let text = String::from_utf8_lossy(&all);
        assert!(
            text.contains("ACME Imaging") && text.contains("LAB^ACME"),
            "dissectors did not run: {text}"
        );
        for canary in ["CANARY", "19800101"] {
            assert!(!text.contains(canary), "{canary} printed or logged: {text}");
        }
    }
    // Stored as observations: the dissected equipment facts reach the database, the canaries never.
    let data = dir.path().join("data");
    let out = Command::new(crate::mdsec_bin())
        .args(["discover", "pcap", p, "--apply", "--data-dir"])
        .arg(&data)
        .env("MDSEC_LOG", "trace")
        .env_remove("MDSEC_DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let logged = String::from_utf8_lossy(&out.stderr);
    let mut stored = Vec::new();
    for e in std::fs::read_dir(&data).unwrap() {
        let path = e.unwrap().path();
        if path.is_file() {
            stored.extend(std::fs::read(&path).unwrap());
        }
    }
    let contains =
        |hay: &[u8], needle: &str| hay.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(
        contains(&stored, "ACME Imaging") && contains(&stored, "LAB^ACME"),
        "observations were not stored in {}",
        data.display()
    );
    for canary in ["CANARY", "19800101"] {
        assert!(
            !contains(&stored, canary),
            "{canary} stored in the database"
        );
        assert!(!logged.contains(canary), "{canary} logged: {logged}");
    }
}

#[test]
fn invalid_capture_fails_naming_file_and_position() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.pcap");
    let mut f = synth::pcap_header(1);
    synth::pcap_record(&mut f, 0, &[0u8; 60]);
    f.extend([1, 0, 0, 0, 0, 0]);
    std::fs::write(&path, &f).unwrap();
    let out = discover(&[path.to_str().unwrap(), "--json"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cut.pcap: packet 2, byte 100:"), "{err}");
    let out = discover(&["/nonexistent/x.pcap"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/x.pcap"));
}
