#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // parse_jvn picks XML or JSON by the first byte; both paths are exercised.
    let _ = mdsec_vulndb::parse_jvn("fuzz.xml", data);
});
