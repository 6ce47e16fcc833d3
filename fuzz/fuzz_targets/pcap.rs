#![no_main]
//! Capture files (pcap/pcapng), link/network decoding, TCP reassembly and every dissector.
use libfuzzer_sys::fuzz_target;
use mdsec_discovery::{dissect, Analyzer, AnalyzerConfig, LinkType};
use std::sync::OnceLock;

fn config() -> AnalyzerConfig {
    static C: OnceLock<AnalyzerConfig> = OnceLock::new();
    C.get_or_init(AnalyzerConfig::default).clone()
}

fuzz_target!(|data: &[u8]| {
    // As a capture file.
    let _ = mdsec_discovery::analyze_capture("fuzz.pcap", data, config());
    // As frames of every link type, split on a marker so TCP segments follow each other.
    let mut a = Analyzer::new(config());
    for lt in [LinkType::Ethernet, LinkType::Raw, LinkType::Null, LinkType::LinuxSll, LinkType::LinuxSll2] {
        for frame in data.split(|&b| b == 0xA5) {
            a.push_packet(lt, 0, frame);
        }
    }
    let _ = a.finish();
    // As the first bytes of a TCP direction on medical and common ports.
    for (sport, dport) in [(40000, 104), (40000, 2575), (443, 40000), (21, 40000), (23, 40000), (40000, 445)] {
        if let dissect::Detect::Parser(mut p) = dissect::detect_stream(data, sport, dport) {
            let mut out = dissect::Out::default();
            let _ = p.feed(data, false, &mut out);
            let _ = p.feed(data, true, &mut out);
        }
    }
});
