#![no_main]
//! What the active scanner reads from devices: DICOM A-ASSOCIATE answers, HTTP answers, greetings
//! (Telnet option negotiation included), echo replies and the neighbour table. Must never panic.
use libfuzzer_sys::fuzz_target;
use mdsec_scan::{net, probe};

fuzz_target!(|data: &[u8]| {
    let _ = probe::dicom_pdu_len(data);
    let _ = probe::parse_dicom_answer(data);
    let _ = probe::http_headers_complete(data);
    let _ = probe::parse_http_answer(data);
    let b = probe::clean_banner(data);
    assert!(b.chars().count() <= probe::MAX_BANNER_CHARS);
    let _ = net::is_echo_reply(data, true, 1, 1);
    let _ = net::is_echo_reply(data, false, 1, 1);
    let _ = net::parse_proc_net_arp(&String::from_utf8_lossy(data), std::net::Ipv4Addr::new(10, 99, 0, 2));
});
