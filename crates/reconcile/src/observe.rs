//! Discovery results → observations to store. Only internal devices become observed devices; only
//! flows between an internal device and an outside address become external flows.

use mdsec_discovery::{DiscoveryReport, Guess};
use mdsec_store::{ObservationBatch, ObservedDevice, ObservedFlow};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Identifier keys read as the device's host name, in order of preference.
pub const HOSTNAME_KEYS: &[&str] = &["dhcp_hostname", "netbios_name", "mdns_name"];
/// Identifier keys read as the device's software version, in order of preference.
pub const VERSION_KEYS: &[&str] = &[
    "poct1_software_version",
    "dicom_software_versions",
    "software_version",
];

fn first(ids: &BTreeMap<String, Vec<String>>, keys: &[&str]) -> Option<String> {
    keys.iter()
        .find_map(|k| ids.get(*k).and_then(|v| v.first()).cloned())
        .filter(|v| !v.trim().is_empty())
}

fn guess(g: &Option<Guess>) -> Option<String> {
    g.as_ref().map(|g| g.value.clone())
}

/// The observations in a passive discovery report. `is_internal` says which addresses are the
/// hospital's (the analyzer's configuration).
pub fn batch_from_report(
    report: &DiscoveryReport,
    source: &str,
    is_internal: impl Fn(IpAddr) -> bool,
) -> ObservationBatch {
    let devices = report
        .devices
        .iter()
        .filter(|d| d.internal && (d.ip.is_some() || d.mac.is_some()))
        .map(|d| ObservedDevice {
            ip: d.ip.map(|i| i.to_string()),
            mac: d.mac.map(|m| m.to_string()),
            hostname: first(&d.identifiers, HOSTNAME_KEYS),
            manufacturer: guess(&d.manufacturer),
            model: guess(&d.model),
            software_version: first(&d.identifiers, VERSION_KEYS),
            protocols: d.protocols.clone(),
            identifiers: d.identifiers.clone(),
            first_seen: d.first_seen.clone(),
            last_seen: d.last_seen.clone(),
        })
        .collect();
    let flows = report
        .flows
        .iter()
        .filter(|f| f.external)
        .map(|f| {
            let outbound = is_internal(f.client);
            let (inside, outside) = if outbound {
                (f.client, f.server)
            } else {
                (f.server, f.client)
            };
            ObservedFlow {
                device_ip: inside.to_string(),
                peer: outside.to_string(),
                outbound,
                transport: f.transport.clone(),
                port: i64::from(f.port),
                service: f.service.clone(),
                server_name: f.server_name.clone(),
                packets: i64::try_from(f.packets).unwrap_or(i64::MAX),
                bytes: i64::try_from(f.bytes).unwrap_or(i64::MAX),
                first_seen: f.first_seen.clone(),
                last_seen: f.last_seen.clone(),
            }
        })
        .collect();
    ObservationBatch {
        source: source.to_string(),
        devices,
        flows,
    }
}

/// A host an active scan found (the fields of `mdsec-scan`'s host report that matter here).
#[derive(Debug, Clone, Default)]
pub struct ScannedHost {
    pub ip: String,
    pub mac: Option<String>,
    pub protocols: Vec<String>,
    pub identifiers: BTreeMap<String, Vec<String>>,
}

/// The observations of an active scan, all seen at `at` (RFC 3339).
pub fn batch_from_scan_hosts(hosts: &[ScannedHost], source: &str, at: &str) -> ObservationBatch {
    ObservationBatch {
        source: source.to_string(),
        devices: hosts
            .iter()
            .map(|h| ObservedDevice {
                ip: Some(h.ip.clone()),
                mac: h
                    .mac
                    .as_deref()
                    .and_then(mdsec_domain::normalize::normalize_mac),
                hostname: first(&h.identifiers, HOSTNAME_KEYS),
                manufacturer: None,
                model: None,
                software_version: first(&h.identifiers, VERSION_KEYS),
                protocols: h.protocols.clone(),
                identifiers: h.identifiers.clone(),
                first_seen: at.to_string(),
                last_seen: at.to_string(),
            })
            .collect(),
        flows: Vec::new(),
    }
}
