//! The discovery report: devices with identifiers and evidence, flows, alerts. Serialises to the
//! JSON printed by `mdsec discover pcap --json`.

use crate::net::Mac;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::IpAddr;

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct DiscoveryReport {
    pub summary: Summary,
    pub devices: Vec<DeviceReport>,
    pub flows: Vec<FlowReport>,
    pub alerts: Vec<Alert>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct Summary {
    pub packets: u64,
    pub bytes: u64,
    /// Packets whose link or network layer could not be decoded (counted, otherwise ignored).
    pub undecoded_packets: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub devices: usize,
    pub flows: usize,
    pub alerts: usize,
    /// Named limits that were reached (what was dropped past them is counted, not analysed).
    pub limits_reached: Vec<String>,
}

/// One piece of evidence: which packet and field said what.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Evidence {
    /// The capture file the packet is in (when the analyzer was told, see `Analyzer::start_capture`).
    pub capture: Option<String>,
    /// Packet number in that capture (1-based, as in Wireshark).
    pub packet: u64,
    pub protocol: String,
    /// The protocol's own name of the field, e.g. `MSH-3`, `option 12`, `(0008,0070)`.
    pub field: String,
    /// The identifier key it fed, e.g. `hl7_sending_application`.
    pub identifier: String,
    pub value: String,
    pub confidence: f32,
}

/// A guess (manufacturer, model, device type) with its confidence and what supports it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Guess {
    pub value: String,
    pub confidence: f32,
    /// Rule ids or identifier keys that produced it.
    pub sources: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Service {
    pub transport: String,
    pub port: u16,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DeviceReport {
    pub ip: Option<IpAddr>,
    /// Null when the capture carries no link-layer addresses (loopback, raw IP) or the address seen
    /// belongs to a router.
    pub mac: Option<Mac>,
    /// Inside the configured internal networks.
    pub internal: bool,
    pub first_seen: String,
    pub last_seen: String,
    pub packets_sent: u64,
    pub bytes_sent: u64,
    pub protocols: Vec<String>,
    /// Ports this device was seen accepting connections on (SYN-ACK) or answering from.
    pub services: Vec<Service>,
    pub identifiers: BTreeMap<String, Vec<String>>,
    pub evidence: Vec<Evidence>,
    pub manufacturer: Option<Guess>,
    pub model: Option<Guess>,
    pub device_type: Option<Guess>,
    /// Software the device runs (toolkit, OS, server), from fingerprint rules.
    pub software: Option<Guess>,
    /// Locally administered MAC (randomised or software-assigned): the OUI says nothing.
    pub randomized_mac: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FlowReport {
    pub client: IpAddr,
    pub server: IpAddr,
    /// `tcp`, `udp`, `icmp`, `icmpv6` or `ip-N`.
    pub transport: String,
    /// Server port (0 for transports without ports).
    pub port: u16,
    /// Application protocol, from a dissector or else the port.
    pub service: Option<String>,
    pub packets: u64,
    pub bytes: u64,
    pub first_seen: String,
    pub last_seen: String,
    pub first_packet: u64,
    pub first_capture: Option<String>,
    /// One side internal, the other not.
    pub external: bool,
    /// The external side matches a registered remote-maintenance endpoint.
    pub registered: bool,
    /// TLS SNI or HTTP Host seen on the flow.
    pub server_name: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// A flow between an internal device and an outside address that is not a registered line.
    ExternalConnection,
    /// HL7 or DICOM in clear text to or from outside (patient data leaves the hospital unencrypted).
    CleartextPatientDataExternal,
    /// SMB version 1 negotiated or used.
    Smbv1,
    /// Telnet in use.
    Telnet,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum AlertSeverity {
    Low,
    Medium,
    High,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Alert {
    pub kind: AlertKind,
    pub severity: AlertSeverity,
    /// The internal device concerned.
    pub device: IpAddr,
    pub peer: Option<IpAddr>,
    pub transport: Option<String>,
    pub port: Option<u16>,
    /// First packet that shows it, and its capture file.
    pub packet: u64,
    pub capture: Option<String>,
    pub first_seen: String,
    /// English description; the UI translates by `kind`.
    pub message: String,
}

/// RFC 3339 UTC with microseconds, from microseconds since the epoch.
pub fn rfc3339(micros: i64) -> String {
    let secs = micros.div_euclid(1_000_000);
    let us = micros.rem_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        y,
        m,
        d,
        sod / 3600,
        sod % 3600 / 60,
        sod % 60,
        us
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(
            rfc3339(1_517_253_822_245_000),
            "2018-01-29T19:23:42.245000Z"
        );
        assert_eq!(rfc3339(951_782_400_000_001), "2000-02-29T00:00:00.000001Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59.999999Z");
    }
}
