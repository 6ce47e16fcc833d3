//! Truncated and corrupted real files: every parser must return (Ok or a placed error), never panic.

use mdsec_advisory::{parse_csaf, parse_osv_json, parse_osv_yaml, parse_rustsec};
use std::path::{Path, PathBuf};

fn data(rel: &str) -> PathBuf {
    let p = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).join(rel);
    assert!(p.exists(), "test data missing: {}", p.display());
    p
}

/// Deterministic variants of `bytes`: truncations at evenly spaced offsets and single-byte
/// corruptions chosen by a fixed linear congruential generator.
fn variants(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let n = bytes.len().max(1);
    for k in 0..48 {
        out.push(bytes[..n * k / 48].to_vec());
    }
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..96 {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let pos = (state >> 33) as usize % n;
        let mut v = bytes.to_vec();
        if let Some(b) = v.get_mut(pos) {
            *b = [
                b'{', b'}', b'[', b'"', b'\\', b':', b',', 0xff, b'\n', b'*', b'&',
            ][(state >> 20) as usize % 11];
        }
        out.push(v);
    }
    out
}

#[test]
fn csaf_survives_truncation_and_corruption() {
    for f in [
        "csaf/cisa-icsma/icsma-22-244-01.json",
        "oasis-csaf/examples/csaf/csaf_vex/2022-evd-uc-01-a-001.json",
    ] {
        let bytes = std::fs::read(data(f)).unwrap();
        let mut errors = 0;
        for v in variants(&bytes) {
            if let Err(e) = parse_csaf("v.json", &v) {
                errors += 1;
                assert!(e.to_string().starts_with("v.json: "), "{e}");
            }
        }
        // Most truncations are invalid JSON; the point is that none panicked.
        assert!(errors >= 47, "{f}: {errors}");
    }
}

#[test]
fn osv_json_survives_truncation_and_corruption() {
    let bytes = std::fs::read(data("osv/go/GO-2024-2687.json")).unwrap();
    for (k, v) in variants(&bytes).into_iter().enumerate() {
        let r = parse_osv_json(&v);
        // Every strict truncation is incomplete JSON, rejected with its line.
        if k < 48 {
            let e = r.expect_err("a truncated document must be rejected");
            assert!(e.position.line.is_some(), "{e}");
        }
    }
}

#[test]
fn osv_yaml_survives_truncation_and_corruption() {
    let bytes = std::fs::read(data("osv/pypi/apache-skywalking/PYSEC-2020-342.yaml")).unwrap();
    for v in variants(&bytes) {
        let _ = parse_osv_yaml(&v);
    }
}

#[test]
fn rustsec_survives_truncation_and_corruption() {
    let bytes = std::fs::read(data(
        "rustsec/advisory-db/crates/badge/RUSTSEC-2022-0057.md",
    ))
    .unwrap();
    for v in variants(&bytes) {
        let text = String::from_utf8_lossy(&v);
        if let Err(e) = parse_rustsec("r.md", &text) {
            assert!(e.to_string().starts_with("r.md: "), "{e}");
        }
    }
}
