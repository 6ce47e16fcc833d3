#![no_main]
//! Ledger import of CSV bytes (UTF-8, Shift_JIS, UTF-16): must never panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Keep this target on the CSV path; the container formats have their own targets.
    if data.starts_with(b"PK") || data.starts_with(&[0xD0, 0xCF]) {
        return;
    }
    let _ = mdsec_ledger::parse_ledger("fuzz.csv", data);
});
