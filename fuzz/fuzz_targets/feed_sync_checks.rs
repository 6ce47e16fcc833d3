#![no_main]
//! The checks `mdsec feed sync` applies to downloads before they replace a previous copy: checksum
//! side files, MyJVN XML status, NVD page envelope, KEV/CSAF/OSV JSON shape, EPSS header.
use libfuzzer_sys::fuzz_target;
use mdsec_feed_sync::verify;

fuzz_target!(|data: &[u8]| {
    let _ = verify::parse_checksum_file(&String::from_utf8_lossy(data));
    let _ = verify::check_myjvn_xml("fuzz.xml", data);
    let _ = verify::check_nvd_page("fuzz.json", data);
    let _ = verify::check_kev_json("fuzz.json", data);
    let _ = verify::check_csaf_json("fuzz.json", data);
    let _ = verify::check_osv_json("fuzz.json", data);
    let _ = verify::check_epss_head("fuzz.csv", data);
});
