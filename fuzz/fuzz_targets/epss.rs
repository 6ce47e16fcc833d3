#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = mdsec_vulndb::parse_epss("fuzz.csv", data);
});
