//! The graph model: what the diagram shows, built from ledger devices, remote lines and flows.

use crate::text::{cidr_of, natural_cmp, vlan_of};
use mdsec_domain::{Criticality, DeviceFields, DeviceStatus, RemoteLine};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// Most devices one diagram takes (a very large hospital group has a few tens of thousands).
pub const MAX_DEVICES: usize = 200_000;
/// Most remote lines and flows one diagram takes.
pub const MAX_REMOTE_LINES: usize = 20_000;
pub const MAX_FLOWS: usize = 500_000;
/// Longest text kept from any input field (longer values are shortened with "…").
pub const MAX_TEXT_CHARS: usize = 200;
/// Name of the segment that collects devices whose ledger row names no segment.
pub const UNASSIGNED_SEGMENT: &str = "未分類 / unassigned";
/// Custom ledger columns read as a remote line's endpoint (address or host name), in this order.
pub const REMOTE_ENDPOINT_COLUMNS: &[&str] = &[
    "remote_endpoint",
    "リモート接続先",
    "リモート保守接続先",
    "接続先",
    "remote endpoint",
];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DiagramError {
    #[error("{what}: {count} is over the diagram limit of {limit}")]
    TooLarge {
        what: &'static str,
        count: usize,
        limit: usize,
    },
}

/// How urgently a device needs attention (from the matcher's priority score when findings exist).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PriorityBand {
    Low,
    Medium,
    High,
    Critical,
}

impl PriorityBand {
    /// Score thresholds of the bands (the matcher's additive score; see `mdsec_matcher::priority`).
    pub const CRITICAL_FROM: f64 = 100.0;
    pub const HIGH_FROM: f64 = 70.0;
    pub const MEDIUM_FROM: f64 = 40.0;

    pub fn from_score(score: f64) -> PriorityBand {
        if score >= Self::CRITICAL_FROM {
            PriorityBand::Critical
        } else if score >= Self::HIGH_FROM {
            PriorityBand::High
        } else if score >= Self::MEDIUM_FROM {
            PriorityBand::Medium
        } else {
            PriorityBand::Low
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            PriorityBand::Low => "low",
            PriorityBand::Medium => "medium",
            PriorityBand::High => "high",
            PriorityBand::Critical => "critical",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            PriorityBand::Low => "低 / low",
            PriorityBand::Medium => "中 / medium",
            PriorityBand::High => "高 / high",
            PriorityBand::Critical => "緊急 / critical",
        }
    }
    pub const ALL: &'static [PriorityBand] = &[
        PriorityBand::Critical,
        PriorityBand::High,
        PriorityBand::Medium,
        PriorityBand::Low,
    ];
}

/// One device, as the diagram needs it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DeviceInput {
    /// The ledger id; node ids derive from it.
    pub id: i64,
    pub name: String,
    pub management_number: Option<String>,
    pub device_type: Option<String>,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub department: Option<String>,
    pub location: Option<String>,
    pub ip: Option<String>,
    /// ネットワークセグメント / VLAN; `None` puts the device in [`UNASSIGNED_SEGMENT`].
    pub segment: Option<String>,
    pub status: DeviceStatus,
    pub criticality: Option<Criticality>,
    pub remote_line: RemoteLine,
    pub remote_method: Option<String>,
    pub remote_endpoint: Option<String>,
    pub priority: Option<PriorityBand>,
}

impl DeviceInput {
    /// From a ledger row with its id.
    pub fn from_ledger(id: i64, f: &DeviceFields) -> DeviceInput {
        let endpoint = REMOTE_ENDPOINT_COLUMNS
            .iter()
            .find_map(|k| f.custom.get(*k))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        DeviceInput {
            id,
            name: f.name.clone(),
            management_number: f.management_number.clone(),
            device_type: f.device_type.clone(),
            manufacturer: f.manufacturer.clone(),
            model: f.model.clone(),
            department: f.department.clone(),
            location: f.location.clone(),
            ip: f.ip.clone(),
            segment: f.network_segment.clone(),
            status: f.status,
            criticality: f.criticality,
            remote_line: f.remote_line,
            remote_method: f.remote_method.clone(),
            remote_endpoint: endpoint,
            priority: None,
        }
    }

    /// The label: the device's name, else its management number, else its id.
    pub fn label(&self) -> String {
        if !self.name.trim().is_empty() {
            self.name.clone()
        } else if let Some(m) = &self.management_number {
            m.clone()
        } else {
            format!("#{}", self.id)
        }
    }
}

/// A vendor's remote-maintenance line (リモート保守回線), from the registry or inferred from the ledger.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RemoteLineInput {
    /// Stable key (registry id, or `ledger:<endpoint>|<method>`); lines are ordered by it.
    pub key: String,
    /// Vendor (or the manufacturers served, for lines inferred from the ledger).
    pub vendor: String,
    pub method: Option<String>,
    /// Endpoint addresses or host names outside the hospital.
    pub endpoints: Vec<String>,
    /// Ledger ids of the devices the line serves.
    pub device_ids: Vec<i64>,
    /// The line is always on (discouraged; drawn with a warning).
    pub always_on: bool,
    /// Registered in the remote lines registry (false: only named in the ledger).
    pub registered: bool,
}

/// Lines inferred from the ledger: every device with a remote line, grouped by endpoint and method.
/// Devices whose line names no endpoint are grouped by method under "接続先不明 / endpoint unknown".
pub fn remote_lines_from_ledger(devices: &[DeviceInput]) -> Vec<RemoteLineInput> {
    let mut groups: BTreeMap<(String, String), (BTreeSet<String>, Vec<i64>)> = BTreeMap::new();
    for d in devices
        .iter()
        .filter(|d| d.remote_line == RemoteLine::Yes && d.status != DeviceStatus::Disposed)
    {
        let endpoint = d.remote_endpoint.clone().unwrap_or_default();
        let method = d.remote_method.clone().unwrap_or_default();
        let g = groups.entry((endpoint, method)).or_default();
        if let Some(m) = &d.manufacturer {
            g.0.insert(m.clone());
        }
        g.1.push(d.id);
    }
    groups
        .into_iter()
        .map(|((endpoint, method), (makers, mut ids))| {
            ids.sort_unstable();
            ids.dedup();
            RemoteLineInput {
                key: format!("ledger:{endpoint}|{method}"),
                vendor: if makers.is_empty() {
                    "製造販売業者不明 / vendor unknown".into()
                } else {
                    makers.into_iter().collect::<Vec<_>>().join(", ")
                },
                method: (!method.is_empty()).then_some(method),
                endpoints: if endpoint.is_empty() {
                    Vec::new()
                } else {
                    vec![endpoint]
                },
                device_ids: ids,
                always_on: false,
                registered: false,
            }
        })
        .collect()
}

/// One observed flow (from discovery): source and destination addresses.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct FlowInput {
    pub src: String,
    pub dst: String,
    pub protocol: Option<String>,
    pub port: Option<u16>,
}

/// Which devices to draw. Empty filters draw everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Exact department (設置部署).
    pub department: Option<String>,
    /// Exact segment name; `未分類`, `unassigned` or [`UNASSIGNED_SEGMENT`] select devices without one.
    pub segment: Option<String>,
}

impl Filter {
    fn keeps(&self, d: &DeviceInput) -> bool {
        if let Some(dep) = &self.department {
            if d.department.as_deref() != Some(dep.as_str()) {
                return false;
            }
        }
        if let Some(seg) = &self.segment {
            let unassigned = matches!(seg.as_str(), "未分類" | "unassigned" | UNASSIGNED_SEGMENT);
            let ok = match d.segment.as_deref() {
                Some(s) => s == seg,
                None => unassigned,
            };
            if !ok {
                return false;
            }
        }
        true
    }
}

/// Everything the diagram is drawn from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DiagramInput {
    pub title: String,
    pub devices: Vec<DeviceInput>,
    pub remote_lines: Vec<RemoteLineInput>,
    pub flows: Vec<FlowInput>,
}

/// The layers of the diagram, top to bottom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ZoneKind {
    /// Outside the hospital: vendors' remote lines and external hosts.
    External,
    /// Medical-device segments.
    Medical,
    /// Electronic medical record and hospital information systems.
    Clinical,
    /// Any other named segment.
    Other,
    /// Devices the ledger gives no segment.
    Unassigned,
}

impl ZoneKind {
    pub const ALL: &'static [ZoneKind] = &[
        ZoneKind::External,
        ZoneKind::Medical,
        ZoneKind::Clinical,
        ZoneKind::Other,
        ZoneKind::Unassigned,
    ];
    pub fn code(self) -> &'static str {
        match self {
            ZoneKind::External => "external",
            ZoneKind::Medical => "medical",
            ZoneKind::Clinical => "clinical",
            ZoneKind::Other => "other",
            ZoneKind::Unassigned => "unassigned",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            ZoneKind::External => "院外（リモート保守回線・外部接続） / Outside the hospital",
            ZoneKind::Medical => "医療機器ネットワーク / Medical device network",
            ZoneKind::Clinical => "電子カルテ・基幹系 / EHR and hospital information systems",
            ZoneKind::Other => "その他のセグメント / Other segments",
            ZoneKind::Unassigned => "セグメント未登録 / No segment in the ledger",
        }
    }
    pub fn node_id(self) -> String {
        format!("zone-{}", self.code())
    }
}

/// Which zone a segment name belongs to, by the words hospitals use in ledgers.
pub fn classify_segment(name: &str) -> ZoneKind {
    let lower = name.to_lowercase();
    const MEDICAL: &[&str] = &[
        "医療機器",
        "医療用",
        "モダリティ",
        "me機器",
        "medical",
        "modality",
    ];
    const CLINICAL: &[&str] = &["電子カルテ", "電カル", "基幹", "部門システム"];
    const CLINICAL_WORDS: &[&str] = &["ehr", "emr", "his", "hospital information"];
    if MEDICAL.iter().any(|w| lower.contains(w)) {
        return ZoneKind::Medical;
    }
    if CLINICAL.iter().any(|w| lower.contains(w)) {
        return ZoneKind::Clinical;
    }
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    if CLINICAL_WORDS
        .iter()
        .any(|w| words.contains(w) || (w.contains(' ') && lower.contains(w)))
    {
        return ZoneKind::Clinical;
    }
    ZoneKind::Other
}

/// A device node.
#[derive(Debug, Clone, PartialEq)]
pub struct Device {
    /// `d<ledger id>`
    pub node_id: String,
    pub input: DeviceInput,
}

/// A segment / VLAN node with its devices (sorted by management number, then name, then id).
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// `s1`, `s2`, … in drawing order.
    pub node_id: String,
    pub name: String,
    pub zone: ZoneKind,
    pub vlan: Option<u32>,
    pub cidr: Option<String>,
    pub devices: Vec<Device>,
}

impl Segment {
    /// Departments of the segment's devices, sorted, without repeats.
    pub fn departments(&self) -> Vec<&str> {
        let set: BTreeSet<&str> = self
            .devices
            .iter()
            .filter_map(|d| d.input.department.as_deref())
            .collect();
        set.into_iter().collect()
    }
}

/// A zone node and its segments, in natural order of their names.
#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    pub kind: ZoneKind,
    pub segments: Vec<Segment>,
}

/// What an outside node is.
#[derive(Debug, Clone, PartialEq)]
pub enum ExternalKind {
    /// A remote-maintenance line.
    RemoteLine(RemoteLineInput),
    /// An address seen in flows that is neither a ledger device nor a line's endpoint.
    Host {
        address: String,
        /// A private (RFC 1918 / loopback / link-local) address: inside the hospital but not in
        /// the ledger. Otherwise an external address no registered line explains.
        private: bool,
    },
}

/// A node outside the hospital zones (or, for private hosts, outside the ledger).
#[derive(Debug, Clone, PartialEq)]
pub struct ExternalNode {
    /// `l1`, `l2`, … for lines; `h1`, … for hosts.
    pub node_id: String,
    pub kind: ExternalKind,
}

impl ExternalNode {
    pub fn label(&self) -> String {
        match &self.kind {
            ExternalKind::RemoteLine(l) => l.vendor.clone(),
            ExternalKind::Host { address, .. } => address.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EdgeKind {
    /// A device served by a remote line.
    RemoteLine,
    /// Observed traffic.
    Flow,
}

impl EdgeKind {
    pub fn code(self) -> &'static str {
        match self {
            EdgeKind::RemoteLine => "remote_line",
            EdgeKind::Flow => "flow",
        }
    }
}

/// A drawn edge between two nodes (containment is structural and not listed here).
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    /// `e1`, `e2`, …
    pub id: String,
    pub source: String,
    pub target: String,
    pub kind: EdgeKind,
    pub protocol: Option<String>,
    pub port: Option<u16>,
}

/// The whole diagram, ready for layout and writing.
#[derive(Debug, Clone, PartialEq)]
pub struct Graph {
    pub title: String,
    /// Hospital zones that have segments, in [`ZoneKind`] order (never `External`).
    pub zones: Vec<Zone>,
    /// Remote lines (by key), then hosts (by address).
    pub external: Vec<ExternalNode>,
    /// Remote-line edges (line order, then device order), then flows (sorted, without repeats).
    pub edges: Vec<Edge>,
}

impl Graph {
    pub fn segments(&self) -> impl Iterator<Item = &Segment> {
        self.zones.iter().flat_map(|z| z.segments.iter())
    }
    pub fn device_count(&self) -> usize {
        self.segments().map(|s| s.devices.len()).sum()
    }
}

fn clip_opt(v: &mut Option<String>) {
    if let Some(s) = v {
        *s = crate::text::clip(s.trim(), MAX_TEXT_CHARS);
    }
}

fn tidy(mut d: DeviceInput) -> DeviceInput {
    d.name = crate::text::clip(d.name.trim(), MAX_TEXT_CHARS);
    for f in [
        &mut d.management_number,
        &mut d.device_type,
        &mut d.manufacturer,
        &mut d.model,
        &mut d.department,
        &mut d.location,
        &mut d.ip,
        &mut d.segment,
        &mut d.remote_method,
        &mut d.remote_endpoint,
    ] {
        clip_opt(f);
        if f.as_deref().is_some_and(str::is_empty) {
            *f = None;
        }
    }
    d
}

fn device_order(a: &DeviceInput, b: &DeviceInput) -> Ordering {
    let key = |d: &DeviceInput| d.management_number.clone().unwrap_or_default();
    natural_cmp(&key(a), &key(b))
        .then_with(|| natural_cmp(&a.name, &b.name))
        .then_with(|| a.id.cmp(&b.id))
}

fn is_private(addr: &str) -> bool {
    match addr.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(v)) => v.is_private() || v.is_loopback() || v.is_link_local(),
        Ok(std::net::IpAddr::V6(v)) => {
            v.is_loopback()
                || (v.segments()[0] & 0xfe00) == 0xfc00
                || (v.segments()[0] & 0xffc0) == 0xfe80
        }
        // A bare host name is assumed external (vendors' relays are named, hospital hosts are not
        // usually seen by name in flows).
        Err(_) => false,
    }
}

/// Build the graph: filter devices, drop disposed ones (廃棄 devices are off the network), put each
/// into its segment and zone, attach remote lines and flows. Deterministic.
pub fn build(input: &DiagramInput, filter: &Filter) -> Result<Graph, DiagramError> {
    for (what, count, limit) in [
        ("devices", input.devices.len(), MAX_DEVICES),
        ("remote lines", input.remote_lines.len(), MAX_REMOTE_LINES),
        ("flows", input.flows.len(), MAX_FLOWS),
    ] {
        if count > limit {
            return Err(DiagramError::TooLarge { what, count, limit });
        }
    }
    // One node per ledger id: a repeated id keeps its first row.
    let mut seen = BTreeSet::new();
    let mut devices: Vec<DeviceInput> = input
        .devices
        .iter()
        .filter(|d| d.status != DeviceStatus::Disposed && filter.keeps(d))
        .filter(|d| seen.insert(d.id))
        .cloned()
        .map(tidy)
        .collect();
    devices.sort_by(device_order);

    // Segments by name, then zones.
    let mut by_segment: BTreeMap<String, Vec<DeviceInput>> = BTreeMap::new();
    for d in devices {
        let name = d
            .segment
            .clone()
            .unwrap_or_else(|| UNASSIGNED_SEGMENT.to_string());
        by_segment.entry(name).or_default().push(d);
    }
    let mut zones: BTreeMap<ZoneKind, Vec<(String, Vec<DeviceInput>)>> = BTreeMap::new();
    for (name, devs) in by_segment {
        let kind = if name == UNASSIGNED_SEGMENT {
            ZoneKind::Unassigned
        } else {
            classify_segment(&name)
        };
        zones.entry(kind).or_default().push((name, devs));
    }
    let mut seg_no = 0;
    let mut device_node: BTreeMap<i64, String> = BTreeMap::new();
    let mut ip_node: BTreeMap<String, String> = BTreeMap::new();
    let zones: Vec<Zone> = zones
        .into_iter()
        .map(|(kind, mut segs)| {
            segs.sort_by(|a, b| natural_cmp(&a.0, &b.0));
            let segments = segs
                .into_iter()
                .map(|(name, devs)| {
                    seg_no += 1;
                    let devices = devs
                        .into_iter()
                        .map(|d| {
                            let node_id = format!("d{}", d.id);
                            device_node.insert(d.id, node_id.clone());
                            if let Some(ip) = &d.ip {
                                ip_node.entry(ip.clone()).or_insert_with(|| node_id.clone());
                            }
                            Device { node_id, input: d }
                        })
                        .collect();
                    Segment {
                        node_id: format!("s{seg_no}"),
                        vlan: vlan_of(&name),
                        cidr: cidr_of(&name),
                        zone: kind,
                        name,
                        devices,
                    }
                })
                .collect();
            Zone { kind, segments }
        })
        .collect();

    // Remote lines that serve a drawn device (a filtered diagram shows only their lines).
    let mut lines: Vec<RemoteLineInput> = input
        .remote_lines
        .iter()
        .filter_map(|l| {
            let mut l = l.clone();
            l.device_ids.retain(|id| device_node.contains_key(id));
            l.device_ids.sort_unstable();
            l.device_ids.dedup();
            l.endpoints.sort_by(|a, b| natural_cmp(a, b));
            l.endpoints.dedup();
            l.vendor = crate::text::clip(l.vendor.trim(), MAX_TEXT_CHARS);
            clip_opt(&mut l.method);
            let unfiltered = filter.department.is_none() && filter.segment.is_none();
            (unfiltered || !l.device_ids.is_empty()).then_some(l)
        })
        .collect();
    lines.sort_by(|a, b| natural_cmp(&a.key, &b.key));
    lines.dedup_by(|a, b| a.key == b.key);

    let mut external = Vec::new();
    let mut edges = Vec::new();
    let mut endpoint_node: BTreeMap<String, String> = BTreeMap::new();
    for (i, line) in lines.into_iter().enumerate() {
        let node_id = format!("l{}", i + 1);
        for e in &line.endpoints {
            endpoint_node
                .entry(e.clone())
                .or_insert_with(|| node_id.clone());
        }
        for id in &line.device_ids {
            if let Some(dn) = device_node.get(id) {
                edges.push(Edge {
                    id: String::new(),
                    source: dn.clone(),
                    target: node_id.clone(),
                    kind: EdgeKind::RemoteLine,
                    protocol: None,
                    port: None,
                });
            }
        }
        external.push(ExternalNode {
            node_id,
            kind: ExternalKind::RemoteLine(line),
        });
    }

    // Flows: each end is a device (by IP), a line's endpoint, or a host node of its own.
    let mut flows = input.flows.clone();
    flows.sort();
    flows.dedup();
    let mut hosts: BTreeMap<String, String> = BTreeMap::new();
    let mut flow_edges = BTreeSet::new();
    let unfiltered = filter.department.is_none() && filter.segment.is_none();
    for f in &flows {
        let src_dev = ip_node.get(f.src.trim()).cloned();
        let dst_dev = ip_node.get(f.dst.trim()).cloned();
        // A filtered diagram shows only flows that touch a drawn device.
        if !unfiltered && src_dev.is_none() && dst_dev.is_none() {
            continue;
        }
        let mut resolve = |addr: &str, dev: Option<String>| -> Option<String> {
            let addr = addr.trim();
            if addr.is_empty() {
                return None;
            }
            dev.or_else(|| endpoint_node.get(addr).cloned())
                .or_else(|| {
                    let n = hosts.len();
                    Some(
                        hosts
                            .entry(crate::text::clip(addr, MAX_TEXT_CHARS))
                            .or_insert_with(|| format!("h{}", n + 1))
                            .clone(),
                    )
                })
        };
        let (Some(s), Some(t)) = (resolve(&f.src, src_dev), resolve(&f.dst, dst_dev)) else {
            continue;
        };
        flow_edges.insert((s, t, f.protocol.clone(), f.port));
    }
    // Host ids in address order, so they do not depend on flow order.
    let renumber: BTreeMap<String, String> = hosts
        .iter()
        .enumerate()
        .map(|(i, (_, old))| (old.clone(), format!("h{}", i + 1)))
        .collect();
    let fix = |id: String| renumber.get(&id).cloned().unwrap_or(id);
    for (address, old) in &hosts {
        external.push(ExternalNode {
            node_id: fix(old.clone()),
            kind: ExternalKind::Host {
                private: is_private(address),
                address: address.clone(),
            },
        });
    }
    let mut flow_edges: Vec<Edge> = flow_edges
        .into_iter()
        .map(|(s, t, protocol, port)| Edge {
            id: String::new(),
            source: fix(s),
            target: fix(t),
            kind: EdgeKind::Flow,
            protocol,
            port,
        })
        .collect();
    flow_edges.sort_by(|a, b| {
        natural_cmp(&a.source, &b.source)
            .then_with(|| natural_cmp(&a.target, &b.target))
            .then_with(|| a.protocol.cmp(&b.protocol))
            .then_with(|| a.port.cmp(&b.port))
    });
    edges.extend(flow_edges);
    for (i, e) in edges.iter_mut().enumerate() {
        e.id = format!("e{}", i + 1);
    }

    Ok(Graph {
        title: crate::text::clip(input.title.trim(), MAX_TEXT_CHARS),
        zones,
        external,
        edges,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn dev(id: i64, name: &str, seg: Option<&str>, dept: &str) -> DeviceInput {
        DeviceInput {
            id,
            name: name.into(),
            management_number: Some(format!("M-{id:04}")),
            department: Some(dept.into()),
            segment: seg.map(Into::into),
            ip: Some(format!("10.0.0.{id}")),
            ..Default::default()
        }
    }

    #[test]
    fn zones_from_segment_names() {
        assert_eq!(
            classify_segment("VLAN110 医療機器-RAD (10.20.10.0/24)"),
            ZoneKind::Medical
        );
        assert_eq!(
            classify_segment("VLAN310 電子カルテ-RAD (10.30.10.0/24)"),
            ZoneKind::Clinical
        );
        assert_eq!(classify_segment("HIS backbone"), ZoneKind::Clinical);
        assert_eq!(classify_segment("this is office"), ZoneKind::Other);
        assert_eq!(classify_segment("Medical VLAN 20"), ZoneKind::Medical);
    }

    #[test]
    fn devices_without_segment_are_unassigned_and_disposed_are_dropped() {
        let mut gone = dev(3, "廃棄済みポンプ", Some("VLAN10 医療機器"), "ICU");
        gone.status = DeviceStatus::Disposed;
        let input = DiagramInput {
            devices: vec![
                dev(1, "輸液ポンプ", None, "ICU"),
                dev(2, "モニタ", Some("VLAN10 医療機器"), "ICU"),
                gone,
            ],
            ..Default::default()
        };
        let g = build(&input, &Filter::default()).unwrap();
        assert_eq!(g.device_count(), 2);
        let names: Vec<&str> = g.segments().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["VLAN10 医療機器", UNASSIGNED_SEGMENT]);
        assert_eq!(g.zones[1].kind, ZoneKind::Unassigned);
        assert_eq!(g.zones[0].segments[0].vlan, Some(10));
    }

    #[test]
    fn filters_by_department_and_segment() {
        let input = DiagramInput {
            devices: vec![
                dev(1, "a", Some("VLAN10 医療機器"), "ICU"),
                dev(2, "b", Some("VLAN20 医療機器"), "放射線科"),
                dev(3, "c", None, "ICU"),
            ],
            ..Default::default()
        };
        let only_icu = Filter {
            department: Some("ICU".into()),
            segment: None,
        };
        assert_eq!(build(&input, &only_icu).unwrap().device_count(), 2);
        let unassigned = Filter {
            department: None,
            segment: Some("unassigned".into()),
        };
        let g = build(&input, &unassigned).unwrap();
        assert_eq!(g.device_count(), 1);
        assert_eq!(g.segments().next().unwrap().devices[0].input.id, 3);
    }

    #[test]
    fn ledger_remote_lines_group_by_endpoint_and_method() {
        let mut a = dev(1, "CT", Some("VLAN10 医療機器"), "RAD");
        a.remote_line = RemoteLine::Yes;
        a.remote_endpoint = Some("192.0.2.10".into());
        a.remote_method = Some("LTEルータ".into());
        a.manufacturer = Some("Canon".into());
        let mut b = a.clone();
        b.id = 2;
        b.manufacturer = Some("GE".into());
        let mut c = a.clone();
        c.id = 3;
        c.remote_endpoint = None;
        let mut off = a.clone();
        off.id = 4;
        off.remote_line = RemoteLine::Unknown;
        let lines = remote_lines_from_ledger(&[a, b, c, off]);
        assert_eq!(lines.len(), 2);
        let with_endpoint = lines.iter().find(|l| !l.endpoints.is_empty()).unwrap();
        assert_eq!(with_endpoint.device_ids, [1, 2]);
        assert_eq!(with_endpoint.vendor, "Canon, GE");
        assert!(!with_endpoint.registered);
    }

    #[test]
    fn flows_resolve_devices_lines_and_unknown_hosts() {
        let input = DiagramInput {
            devices: vec![dev(1, "CT", Some("VLAN10 医療機器"), "RAD")],
            remote_lines: vec![RemoteLineInput {
                key: "RL-1".into(),
                vendor: "Canon".into(),
                endpoints: vec!["192.0.2.10".into()],
                device_ids: vec![1, 99],
                registered: true,
                ..Default::default()
            }],
            flows: vec![
                FlowInput {
                    src: "10.0.0.1".into(),
                    dst: "203.0.113.5".into(),
                    protocol: Some("tcp".into()),
                    port: Some(443),
                },
                FlowInput {
                    src: "10.0.0.1".into(),
                    dst: "192.0.2.10".into(),
                    protocol: Some("udp".into()),
                    port: Some(500),
                },
                FlowInput {
                    src: "10.0.0.1".into(),
                    dst: "10.9.9.9".into(),
                    protocol: None,
                    port: None,
                },
                FlowInput {
                    src: "10.0.0.1".into(),
                    dst: "203.0.113.5".into(),
                    protocol: Some("tcp".into()),
                    port: Some(443),
                },
            ],
            ..Default::default()
        };
        let g = build(&input, &Filter::default()).unwrap();
        // The unknown device id 99 is dropped from the line.
        let ExternalKind::RemoteLine(l) = &g.external[0].kind else {
            panic!()
        };
        assert_eq!(l.device_ids, [1]);
        let hosts: Vec<(String, bool)> = g
            .external
            .iter()
            .filter_map(|n| match &n.kind {
                ExternalKind::Host { address, private } => Some((address.clone(), *private)),
                _ => None,
            })
            .collect();
        assert_eq!(
            hosts,
            [
                ("10.9.9.9".to_string(), true),
                ("203.0.113.5".to_string(), false)
            ]
        );
        let flows: Vec<(&str, &str)> = g
            .edges
            .iter()
            .filter(|e| e.kind == EdgeKind::Flow)
            .map(|e| (e.source.as_str(), e.target.as_str()))
            .collect();
        assert_eq!(flows, [("d1", "h1"), ("d1", "h2"), ("d1", "l1")]);
        assert_eq!(g.edges.len(), 4);
        let ids: Vec<&str> = g.edges.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["e1", "e2", "e3", "e4"]);
    }

    #[test]
    fn too_many_devices_is_an_error() {
        let input = DiagramInput {
            devices: vec![DeviceInput::default(); MAX_DEVICES + 1],
            ..Default::default()
        };
        assert!(matches!(
            build(&input, &Filter::default()),
            Err(DiagramError::TooLarge { .. })
        ));
    }
}
