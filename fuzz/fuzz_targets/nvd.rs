#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = mdsec_vulndb::parse_nvd("fuzz.json", data);
    // The streaming reader over the same bytes must not panic either.
    for r in mdsec_vulndb::NvdStream::new(data) {
        if r.is_err() {
            break;
        }
    }
    let _ = mdsec_vulndb::detect(data);
});
