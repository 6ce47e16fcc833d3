#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Lenient and strict paths, plus format detection, must never panic.
    let _ = mdsec_sbom::detect(data);
    if let Ok(sbom) = mdsec_sbom::parse_spdx_json(data, false) {
        assert!(sbom.components.len() <= mdsec_sbom::MAX_COMPONENTS);
    }
    let _ = mdsec_sbom::parse_spdx_json(data, true);
    let _ = mdsec_sbom::parse_sbom("fuzz", data, false);
});
