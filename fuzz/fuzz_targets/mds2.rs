#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = mdsec_mds2::detect(data);
    let _ = mdsec_mds2::parse_mds2("fuzz.xlsx", data);
});
