#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(adv) = mdsec_advisory::parse_osv_yaml(data) {
        let _ = adv.summary();
    }
});
