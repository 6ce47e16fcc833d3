#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = mdsec_vulndb::parse_kev_json("fuzz.json", data);
    let _ = mdsec_vulndb::parse_kev_csv("fuzz.csv", data);
});
