//! Passive discovery of network-connected devices from captured traffic.
//!
//! Owns: capture files ([`read_capture`]: pcap and pcapng, streamed), link/network/transport
//! decoding, bounded TCP reassembly, protocol dissectors that record *evidence* (packet, protocol,
//! field, value, confidence) for each device (ARP, DHCP, mDNS, SSDP, NetBIOS, DICOM, HL7 v2/MLLP,
//! POCT1-A, IEEE 11073 SDC discovery, Philips IntelliVue, HTTP, TLS, SSH/Telnet/FTP, SMB), the IEEE
//! OUI table, fingerprint rules, flows and alerts ([`Analyzer`] → [`DiscoveryReport`]).
//!
//! Invariants: no I/O beyond reading the bytes handed in; every limit is a named `pub const`; no
//! panic on any input; patient data is never read into the report (only MSH/OBX-18/PRT-16 of HL7 and
//! the DICOM equipment tags are looked at).

pub mod analyzer;
pub mod capture;
pub mod config;
pub mod dissect;
pub mod fingerprint;
pub mod link;
pub mod net;
pub mod oui;
pub mod report;
pub mod synth;

pub use analyzer::Analyzer;
pub use capture::{
    read_capture, CaptureError, CaptureFormat, CaptureReader, Packet, PacketRef, MAX_BLOCK_LEN,
    MAX_INTERFACES, MAX_PACKET_LEN,
};
pub use config::{AnalyzerConfig, Limits, RegisteredEndpoint};
pub use fingerprint::RuleSet;
pub use link::LinkType;
pub use net::{Cidr, Mac};
pub use report::{
    Alert, AlertKind, AlertSeverity, DeviceReport, DiscoveryReport, Evidence, FlowReport, Guess,
    Service, Summary,
};

/// Read a whole capture into a new analyzer with `config` (convenience for tests and tools).
pub fn analyze_capture<R: std::io::Read>(
    file_name: &str,
    r: R,
    config: AnalyzerConfig,
) -> Result<DiscoveryReport, CaptureError> {
    let mut reader = read_capture(file_name, r)?;
    let mut a = Analyzer::new(config);
    while let Some(p) = reader.next_packet()? {
        a.push_packet(p.link_type, p.ts_micros, p.data);
    }
    Ok(a.finish())
}
