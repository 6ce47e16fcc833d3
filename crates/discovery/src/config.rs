//! Analyzer configuration: what is internal, which remote-maintenance endpoints are registered, the
//! limits and the fingerprint rules.

use crate::fingerprint::RuleSet;
use crate::net::{default_internal_networks, Cidr};
use std::net::IpAddr;
use std::str::FromStr;

/// Default most devices tracked.
pub const DEFAULT_MAX_DEVICES: usize = 65_536;
/// Default most flows (device pair + transport + server port) tracked.
pub const DEFAULT_MAX_FLOWS: usize = 500_000;
/// Default most TCP stream directions tracked at once (reassembly state, mostly without buffers).
pub const DEFAULT_MAX_STREAMS: usize = 262_144;
/// Only the first this-many bytes of each TCP direction are reassembled and dissected.
pub const DEFAULT_STREAM_BYTES_PER_DIRECTION: usize = 64 * 1024;
/// Default cap on bytes held in reassembly buffers across all streams.
pub const DEFAULT_TOTAL_STREAM_BYTES: usize = 64 * 1024 * 1024;
/// Default most pieces of evidence kept per device.
pub const DEFAULT_MAX_EVIDENCE_PER_DEVICE: usize = 64;
/// Default most distinct values kept per identifier per device.
pub const DEFAULT_MAX_VALUES_PER_IDENTIFIER: usize = 16;
/// Default most out-of-order segments held per stream direction.
pub const DEFAULT_MAX_OUT_OF_ORDER_SEGMENTS: usize = 16;
/// Default most DNS name→address answers remembered (for registered hostnames).
pub const DEFAULT_MAX_RESOLVED_NAMES: usize = 100_000;
/// Default most alerts kept.
pub const DEFAULT_MAX_ALERTS: usize = 100_000;
/// Stream state idle this long (capture time) may be dropped when the stream table is full.
pub const STREAM_IDLE_MICROS: i64 = 120 * 1_000_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub max_devices: usize,
    pub max_flows: usize,
    pub max_streams: usize,
    pub stream_bytes_per_direction: usize,
    pub total_stream_bytes: usize,
    pub max_evidence_per_device: usize,
    pub max_values_per_identifier: usize,
    pub max_out_of_order_segments: usize,
    pub max_resolved_names: usize,
    pub max_alerts: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_devices: DEFAULT_MAX_DEVICES,
            max_flows: DEFAULT_MAX_FLOWS,
            max_streams: DEFAULT_MAX_STREAMS,
            stream_bytes_per_direction: DEFAULT_STREAM_BYTES_PER_DIRECTION,
            total_stream_bytes: DEFAULT_TOTAL_STREAM_BYTES,
            max_evidence_per_device: DEFAULT_MAX_EVIDENCE_PER_DEVICE,
            max_values_per_identifier: DEFAULT_MAX_VALUES_PER_IDENTIFIER,
            max_out_of_order_segments: DEFAULT_MAX_OUT_OF_ORDER_SEGMENTS,
            max_resolved_names: DEFAULT_MAX_RESOLVED_NAMES,
            max_alerts: DEFAULT_MAX_ALERTS,
        }
    }
}

/// A registered remote-maintenance endpoint: flows to it are recorded but do not alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegisteredEndpoint {
    Network(Cidr),
    /// A host name (lower case, no trailing dot); matched against DNS answers seen in the capture,
    /// TLS SNI and HTTP Host of the flow. `*.example.com` matches subdomains.
    Host(String),
}

impl FromStr for RegisteredEndpoint {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        if t.is_empty() {
            return Err("empty endpoint".into());
        }
        if let Ok(c) = t.parse::<Cidr>() {
            return Ok(RegisteredEndpoint::Network(c));
        }
        let h = t.trim_end_matches('.').to_ascii_lowercase();
        let ok = h.len() <= 253
            && h.split('.').enumerate().all(|(i, l)| {
                (!l.is_empty()
                    && l.len() <= 63
                    && l.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                    || (i == 0 && l == "*")
            });
        if !ok || t.contains('/') {
            return Err(format!("not an IP address, network or host name: {s:?}"));
        }
        Ok(RegisteredEndpoint::Host(h))
    }
}

impl RegisteredEndpoint {
    pub fn matches_ip(&self, ip: IpAddr) -> bool {
        matches!(self, RegisteredEndpoint::Network(c) if c.contains(ip))
    }
    pub fn matches_name(&self, name: &str) -> bool {
        let RegisteredEndpoint::Host(h) = self else {
            return false;
        };
        let n = name.trim_end_matches('.').to_ascii_lowercase();
        match h.strip_prefix("*.") {
            Some(suffix) => {
                n.len() > suffix.len()
                    && n.ends_with(suffix)
                    && n[..n.len() - suffix.len()].ends_with('.')
            }
            None => n == *h,
        }
    }
}

#[derive(Debug, Clone)]
pub struct AnalyzerConfig {
    /// Networks whose addresses are the hospital's own devices. Default: RFC 1918, link-local,
    /// loopback, IPv6 ULA and link-local.
    pub internal_networks: Vec<Cidr>,
    pub registered_endpoints: Vec<RegisteredEndpoint>,
    pub limits: Limits,
    pub rules: RuleSet,
}

impl Default for AnalyzerConfig {
    fn default() -> Self {
        AnalyzerConfig {
            internal_networks: default_internal_networks(),
            registered_endpoints: Vec::new(),
            limits: Limits::default(),
            rules: RuleSet::builtin(),
        }
    }
}

impl AnalyzerConfig {
    pub fn is_internal(&self, ip: IpAddr) -> bool {
        self.internal_networks.iter().any(|n| n.contains(ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn endpoints_parse_and_match() {
        let n: RegisteredEndpoint = "198.51.100.0/24".parse().unwrap();
        assert!(n.matches_ip("198.51.100.9".parse().unwrap()));
        let h: RegisteredEndpoint = "Remote.Vendor.example.".parse().unwrap();
        assert!(h.matches_name("remote.vendor.example"));
        assert!(!h.matches_name("evil-remote.vendor.example"));
        let w: RegisteredEndpoint = "*.vendor.example".parse().unwrap();
        assert!(w.matches_name("a.b.vendor.example"));
        assert!(!w.matches_name("xvendor.example"));
        assert!(!w.matches_name("vendor.example"));
        assert!("bad host!".parse::<RegisteredEndpoint>().is_err());
        assert!("10.0.0.0/40".parse::<RegisteredEndpoint>().is_err());
    }
}
