#![no_main]
//! purl: parse, lenient parse, canonical round trip. Must never panic.
use libfuzzer_sys::fuzz_target;
use mdsec_ids::purl::Purl;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    if let Ok(p) = Purl::parse(&s) {
        // The canonical form must re-parse to the same purl.
        let again = Purl::parse(&p.to_string());
        assert_eq!(again.as_ref().ok(), Some(&p), "canonical form of {s:?} does not round-trip");
    }
    let _ = Purl::parse_lenient(&s);
});
