#![no_main]
//! Ledger import of xlsx (zip) and xls (OLE) bytes: must never panic or allocate without bound.
//! Seed the corpus with files from `mdsec_ledger::write_xlsx` for deeper coverage.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.starts_with(b"PK") || data.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        let _ = mdsec_ledger::parse_ledger("fuzz.xlsx", data);
    } else {
        let mut zip = b"PK\x03\x04".to_vec();
        zip.extend_from_slice(data);
        let _ = mdsec_ledger::parse_ledger("fuzz.xlsx", &zip);
    }
});
