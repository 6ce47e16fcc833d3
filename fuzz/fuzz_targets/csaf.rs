#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = mdsec_advisory::detect(data);
    if let Ok(doc) = mdsec_advisory::parse_csaf("fuzz.json", data) {
        // The derived views must not panic either.
        let _ = doc.products();
        let _ = doc.summary();
    }
});
