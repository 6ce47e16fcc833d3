#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(adv) = mdsec_advisory::parse_rustsec("fuzz.md", text) {
            let _ = adv.summary();
        }
    }
});
