//! The analyzer: packets in, [`DiscoveryReport`] out. Decodes link, network and transport layers,
//! summarises flows, reassembles the first bytes of each TCP direction (bounded), runs the
//! dissectors and attaches what they find, with evidence, to devices.

use crate::config::{AnalyzerConfig, STREAM_IDLE_MICROS};
use crate::dissect::{self, Event, Feed, Out, Proto, Who};
use crate::link::{self, LinkType, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6};
use crate::net::{is_non_device, FxHashMap, Mac};
use crate::report::{
    rfc3339, Alert, AlertKind, AlertSeverity, DeviceReport, DiscoveryReport, Evidence, FlowReport,
    Service, Summary,
};
use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Most IPv6 extension headers walked before giving up on finding the transport header.
pub const MAX_IPV6_EXTENSION_HEADERS: usize = 8;
/// A MAC seen as the source of more than this many internal addresses is taken for a router and
/// not given to any of them (unless ARP or DHCP binds it).
pub const ROUTER_MAC_ADDRESSES: usize = 4;
/// Most MAC addresses remembered per device address.
const MAX_MACS_PER_DEVICE: usize = 4;
/// Most services (listening ports) remembered per device.
const MAX_SERVICES_PER_DEVICE: usize = 64;

const TCP: u8 = 6;
const UDP: u8 = 17;
const FIN: u8 = 0x01;
const SYN: u8 = 0x02;
const RST: u8 = 0x04;
const ACK: u8 = 0x10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum DevKey {
    Ip(IpAddr),
    Mac(Mac),
}

#[derive(Debug, Clone)]
struct MacSeen {
    mac: Mac,
    count: u64,
    bound: f32,
    first_packet: u64,
    /// Index into the capture names of the capture holding `first_packet`.
    capture: u32,
}

/// The MAC an address device is given in the report: the MAC, its first packet, the capture holding
/// that packet, and the confidence of the binding.
type ChosenMac = (Mac, u64, u32, f32);

#[derive(Debug, Clone)]
struct Device {
    key: DevKey,
    first: i64,
    last: i64,
    packets_sent: u64,
    bytes_sent: u64,
    protocols: u32,
    services: Vec<(u8, u16)>,
    identifiers: BTreeMap<&'static str, Vec<String>>,
    evidence: Vec<Evidence>,
    macs: Vec<MacSeen>,
}

impl Device {
    fn new(key: DevKey, ts: i64) -> Device {
        Device {
            key,
            first: ts,
            last: ts,
            packets_sent: 0,
            bytes_sent: 0,
            protocols: 0,
            services: Vec::new(),
            identifiers: BTreeMap::new(),
            evidence: Vec::new(),
            macs: Vec::new(),
        }
    }
    fn touch(&mut self, ts: i64) {
        if ts < self.first {
            self.first = ts;
        }
        if ts > self.last {
            self.last = ts;
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct FlowKey {
    transport: u8,
    port: u16,
    client: IpAddr,
    server: IpAddr,
}

#[derive(Debug, Clone)]
struct Flow {
    capture: u32,
    packets: u64,
    bytes: u64,
    first: i64,
    last: i64,
    first_packet: u64,
    app: Option<Proto>,
    server_name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct StreamKey {
    src: IpAddr,
    dst: IpAddr,
    sport: u16,
    dport: u16,
}

#[derive(Debug)]
enum Parser {
    Undetected,
    Active(dissect::StreamParser),
    Done,
}

#[derive(Debug)]
struct Stream {
    next_seq: u32,
    parser: Parser,
    buf: Vec<u8>,
    /// Bytes appended so far (including consumed ones).
    seen: usize,
    last_ts: i64,
    ooo: Vec<(u32, Vec<u8>)>,
}

/// The layers of one decoded packet that dissectors and flow accounting need.
struct Pkt<'a> {
    number: u64,
    ts: i64,
    src_mac: Option<Mac>,
    src: IpAddr,
    dst: IpAddr,
    transport: u8,
    sport: u16,
    dport: u16,
    tcp_flags: u8,
    seq: u32,
    payload: &'a [u8],
    frame_len: u64,
}

/// Passive discovery over a sequence of packets. Never panics on packet content.
pub struct Analyzer {
    config: AnalyzerConfig,
    packets: u64,
    bytes: u64,
    undecoded: u64,
    first_ts: Option<i64>,
    last_ts: Option<i64>,
    devices: Vec<Device>,
    device_index: FxHashMap<DevKey, usize>,
    /// How many device addresses each MAC was seen as the source of.
    mac_addresses: FxHashMap<Mac, u32>,
    flows: FxHashMap<FlowKey, Flow>,
    streams: FxHashMap<StreamKey, Stream>,
    stream_bytes: usize,
    resolved: FxHashMap<IpAddr, Vec<String>>,
    resolved_count: usize,
    smbv1: Vec<(IpAddr, u64, u32, i64, String)>,
    limits_reached: BTreeSet<&'static str>,
    out: Out,
    /// Capture file names, in the order started; `NO_CAPTURE` when none was named.
    captures: Vec<String>,
    capture: u32,
    capture_base: u64,
}

const NO_CAPTURE: u32 = u32::MAX;

impl Analyzer {
    pub fn new(config: AnalyzerConfig) -> Analyzer {
        Analyzer {
            config,
            packets: 0,
            bytes: 0,
            undecoded: 0,
            first_ts: None,
            last_ts: None,
            devices: Vec::new(),
            device_index: FxHashMap::default(),
            mac_addresses: FxHashMap::default(),
            flows: FxHashMap::default(),
            streams: FxHashMap::default(),
            stream_bytes: 0,
            resolved: FxHashMap::default(),
            resolved_count: 0,
            smbv1: Vec::new(),
            limits_reached: BTreeSet::new(),
            out: Out::default(),
            captures: Vec::new(),
            capture: NO_CAPTURE,
            capture_base: 0,
        }
    }

    /// Packets pushed from now on come from capture `name`; their numbers (in evidence, flows and
    /// alerts) restart at 1 and name that capture. Optional: without it, packets are numbered from
    /// 1 across everything pushed.
    pub fn start_capture(&mut self, name: &str) {
        self.capture_base = self.packets;
        match self.captures.iter().position(|c| c == name) {
            Some(i) => self.capture = i as u32,
            None => {
                self.capture = self.captures.len() as u32;
                self.captures.push(name.to_string());
            }
        }
    }

    fn capture_name(&self, i: u32) -> Option<String> {
        self.captures.get(i as usize).cloned()
    }

    pub fn config(&self) -> &AnalyzerConfig {
        &self.config
    }

    /// Packets pushed so far.
    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// Analyse one frame. Packets are numbered 1, 2, ... in push order (as in the capture file).
    pub fn push_packet(&mut self, link_type: LinkType, ts_micros: i64, frame: &[u8]) {
        self.packets += 1;
        self.bytes += frame.len() as u64;
        if self.first_ts.is_none_or(|f| ts_micros < f) {
            self.first_ts = Some(ts_micros);
        }
        if self.last_ts.is_none_or(|l| ts_micros > l) {
            self.last_ts = Some(ts_micros);
        }
        let Some(f) = link::decode(link_type, frame) else {
            self.undecoded += 1;
            return;
        };
        let number = self.packets - self.capture_base;
        match f.ethertype {
            ETHERTYPE_ARP => {
                dissect::arp::dissect(f.payload, &mut self.out);
                self.apply_events(number, ts_micros, None, None);
            }
            ETHERTYPE_IPV4 | ETHERTYPE_IPV6 => match decode_ip(f.ethertype, f.payload) {
                Some(ip) => {
                    let pkt = Pkt {
                        number,
                        ts: ts_micros,
                        src_mac: f.src_mac.filter(|m| m.is_device()),
                        src: ip.src,
                        dst: ip.dst,
                        transport: ip.transport,
                        sport: ip.sport,
                        dport: ip.dport,
                        tcp_flags: ip.tcp_flags,
                        seq: ip.seq,
                        payload: ip.payload,
                        frame_len: frame.len() as u64,
                    };
                    self.ip_packet(&pkt);
                }
                None => self.undecoded += 1,
            },
            _ => {}
        }
    }

    fn eligible(&self, ip: IpAddr) -> bool {
        !is_non_device(ip) && self.config.is_internal(ip)
    }

    fn device_mut(&mut self, key: DevKey, ts: i64) -> Option<&mut Device> {
        let idx = match self.device_index.get(&key) {
            Some(&i) => i,
            None => {
                if self.devices.len() >= self.config.limits.max_devices {
                    self.limits_reached.insert("max_devices");
                    return None;
                }
                let i = self.devices.len();
                self.devices.push(Device::new(key, ts));
                self.device_index.insert(key, i);
                i
            }
        };
        let d = &mut self.devices[idx];
        d.touch(ts);
        Some(d)
    }

    fn ip_packet(&mut self, p: &Pkt<'_>) {
        // Devices: the sender is seen; its MAC recorded.
        if self.eligible(p.src) {
            let mut new_mac = None;
            let capture = self.capture;
            if let Some(d) = self.device_mut(DevKey::Ip(p.src), p.ts) {
                d.packets_sent += 1;
                d.bytes_sent += p.frame_len;
                if let Some(m) = p.src_mac {
                    let n = d.macs.len();
                    match d.macs.iter_mut().find(|s| s.mac == m) {
                        Some(s) => s.count += 1,
                        None if n < MAX_MACS_PER_DEVICE => {
                            d.macs.push(MacSeen {
                                mac: m,
                                count: 1,
                                bound: 0.0,
                                first_packet: p.number,
                                capture,
                            });
                            new_mac = Some(m);
                        }
                        None => {}
                    }
                }
                if p.transport == TCP
                    && p.tcp_flags & (SYN | ACK) == (SYN | ACK)
                    && d.services.len() < MAX_SERVICES_PER_DEVICE
                    && !d.services.contains(&(TCP, p.sport))
                {
                    d.services.push((TCP, p.sport));
                }
            }
            if let Some(m) = new_mac {
                *self.mac_addresses.entry(m).or_insert(0) += 1;
            }
        }
        self.flow(p);
        match p.transport {
            UDP => self.udp(p),
            TCP => self.tcp(p),
            _ => {}
        }
    }

    fn flow(&mut self, p: &Pkt<'_>) {
        let (client, server, port) = if p.transport == TCP || p.transport == UDP {
            if server_side_first(p.sport, p.dport) {
                (p.dst, p.src, p.sport)
            } else {
                (p.src, p.dst, p.dport)
            }
        } else if addr_lt(p.src, p.dst) {
            (p.src, p.dst, 0)
        } else {
            (p.dst, p.src, 0)
        };
        let key = FlowKey {
            transport: p.transport,
            port,
            client,
            server,
        };
        if let Some(f) = self.flows.get_mut(&key) {
            f.packets += 1;
            f.bytes += p.frame_len;
            if p.ts < f.first {
                f.first = p.ts;
            }
            if p.ts > f.last {
                f.last = p.ts;
            }
            return;
        }
        if self.flows.len() >= self.config.limits.max_flows {
            self.limits_reached.insert("max_flows");
            return;
        }
        self.flows.insert(
            key,
            Flow {
                capture: self.capture,
                packets: 1,
                bytes: p.frame_len,
                first: p.ts,
                last: p.ts,
                first_packet: p.number,
                app: None,
                server_name: None,
            },
        );
    }

    fn flow_key_of(&self, p: &Pkt<'_>) -> FlowKey {
        let (client, server, port) = if server_side_first(p.sport, p.dport) {
            (p.dst, p.src, p.sport)
        } else {
            (p.src, p.dst, p.dport)
        };
        FlowKey {
            transport: p.transport,
            port,
            client,
            server,
        }
    }

    fn udp(&mut self, p: &Pkt<'_>) {
        let (s, d) = (p.sport, p.dport);
        let data = p.payload;
        let port = |x: u16| s == x || d == x;
        if port(67) || port(68) {
            dissect::dhcp::dissect(data, &mut self.out);
        } else if port(5353) {
            dissect::dns::dissect_mdns(data, p.src, &mut self.out);
        } else if s == 53 {
            dissect::dns::dissect_dns_answers(data, &mut self.out);
        } else if port(1900) {
            dissect::ssdp::dissect(data, &mut self.out);
        } else if port(137) {
            dissect::dns::dissect_nbns(data, &mut self.out);
        } else if port(138) {
            dissect::dns::dissect_nbdgm(data, &mut self.out);
        } else if port(3702) {
            dissect::wsd::dissect(data, &mut self.out);
        } else if port(24005) {
            dissect::intellivue::dissect(data, &mut self.out);
        }
        if !self.out.events.is_empty() {
            self.apply_events(p.number, p.ts, Some(p), None);
        }
    }

    fn tcp(&mut self, p: &Pkt<'_>) {
        let key = StreamKey {
            src: p.src,
            dst: p.dst,
            sport: p.sport,
            dport: p.dport,
        };
        let flags = p.tcp_flags;
        if flags & SYN != 0 {
            let st = Stream {
                next_seq: p.seq.wrapping_add(1),
                parser: Parser::Undetected,
                buf: Vec::new(),
                seen: 0,
                last_ts: p.ts,
                ooo: Vec::new(),
            };
            if let Some(old) = self.streams.get_mut(&key) {
                self.stream_bytes -= old.buf.capacity() + ooo_bytes(&old.ooo);
                *old = st;
            } else if self.stream_room(p.ts) {
                self.streams.insert(key, st);
            }
            return;
        }
        if !p.payload.is_empty() {
            self.tcp_data(p, key);
        }
        if flags & (FIN | RST) != 0 {
            self.close_stream(p, key);
            if flags & RST != 0 {
                let rev = StreamKey {
                    src: p.dst,
                    dst: p.src,
                    sport: p.dport,
                    dport: p.sport,
                };
                self.close_stream(p, rev);
            }
        }
    }

    /// Whether another stream may be tracked; when the table is full, idle entries are dropped first.
    fn stream_room(&mut self, now: i64) -> bool {
        if self.streams.len() < self.config.limits.max_streams {
            return true;
        }
        let mut freed = 0;
        self.streams.retain(|_, s| {
            let keep = now.saturating_sub(s.last_ts) < STREAM_IDLE_MICROS;
            if !keep {
                freed += s.buf.capacity() + ooo_bytes(&s.ooo);
            }
            keep
        });
        self.stream_bytes -= freed;
        if self.streams.len() < self.config.limits.max_streams {
            true
        } else {
            self.limits_reached.insert("max_streams");
            false
        }
    }

    fn tcp_data(&mut self, p: &Pkt<'_>, key: StreamKey) {
        let limits = &self.config.limits;
        let cap = limits.stream_bytes_per_direction;
        let max_ooo = limits.max_out_of_order_segments;
        let total_cap = limits.total_stream_bytes;
        if !self.streams.contains_key(&key) {
            if !self.stream_room(p.ts) {
                return;
            }
            self.streams.insert(
                key,
                Stream {
                    next_seq: p.seq,
                    parser: Parser::Undetected,
                    buf: Vec::new(),
                    seen: 0,
                    last_ts: p.ts,
                    ooo: Vec::new(),
                },
            );
        }
        let Some(st) = self.streams.get_mut(&key) else {
            return;
        };
        st.last_ts = p.ts;
        if matches!(st.parser, Parser::Done) {
            return;
        }
        let before = st.buf.capacity() + ooo_bytes(&st.ooo);
        let mut appended = false;
        let diff = p.seq.wrapping_sub(st.next_seq) as i32;
        let len = p.payload.len();
        if diff <= 0 {
            let skip = diff.unsigned_abs() as usize;
            if skip < len {
                let part = &p.payload[skip..];
                let room = cap.saturating_sub(st.seen);
                let take = part.len().min(room);
                if self.stream_bytes + take > total_cap {
                    self.limits_reached.insert("total_stream_bytes");
                    st.parser = Parser::Done;
                } else {
                    st.buf.extend_from_slice(&part[..take]);
                    st.seen += take;
                    st.next_seq = st.next_seq.wrapping_add(part.len() as u32);
                    appended = true;
                    // Segments that arrived early and now fit.
                    while let Some(i) = st.ooo.iter().position(|(s, d)| {
                        let dd = s.wrapping_sub(st.next_seq) as i32;
                        dd <= 0 && (dd.unsigned_abs() as usize) < d.len()
                    }) {
                        let (s, d) = st.ooo.swap_remove(i);
                        let skip = st.next_seq.wrapping_sub(s) as usize;
                        let part = &d[skip..];
                        let take = part.len().min(cap.saturating_sub(st.seen));
                        st.buf.extend_from_slice(&part[..take]);
                        st.seen += take;
                        st.next_seq = st.next_seq.wrapping_add(part.len() as u32);
                    }
                    st.ooo.retain(|(s, d)| {
                        let dd = s.wrapping_sub(st.next_seq) as i32;
                        dd > 0 || (dd.unsigned_abs() as usize) < d.len()
                    });
                }
            }
        } else if (diff as usize) < cap && st.ooo.len() < max_ooo && st.seen < cap {
            if self.stream_bytes + len <= total_cap {
                st.ooo.push((p.seq, p.payload.to_vec()));
            }
        } else {
            // A gap we will not fill: dissect what we have and stop.
            st.parser = match std::mem::replace(&mut st.parser, Parser::Done) {
                Parser::Active(mut sp) => {
                    sp.feed(&st.buf, true, &mut self.out);
                    Parser::Done
                }
                _ => Parser::Done,
            };
        }
        if appended {
            let full = st.seen >= cap;
            if matches!(st.parser, Parser::Undetected) {
                match dissect::detect_stream(&st.buf, p.sport, p.dport) {
                    dissect::Detect::Parser(sp) => st.parser = Parser::Active(sp),
                    dissect::Detect::NeedMore if !full => {}
                    _ => st.parser = Parser::Done,
                }
            }
            if let Parser::Active(sp) = &mut st.parser {
                let Feed { consumed, done } = sp.feed(&st.buf, full, &mut self.out);
                if done || full {
                    st.parser = Parser::Done;
                } else if consumed > 0 {
                    st.buf.drain(..consumed.min(st.buf.len()));
                }
            }
        }
        if matches!(st.parser, Parser::Done) {
            st.buf = Vec::new();
            st.ooo = Vec::new();
        }
        let after = st.buf.capacity() + ooo_bytes(&st.ooo);
        self.stream_bytes = (self.stream_bytes + after).saturating_sub(before);
        if !self.out.events.is_empty() {
            let fk = self.flow_key_of(p);
            self.apply_events(p.number, p.ts, Some(p), Some(fk));
        }
    }

    fn close_stream(&mut self, p: &Pkt<'_>, key: StreamKey) {
        let Some(mut st) = self.streams.remove(&key) else {
            return;
        };
        self.stream_bytes = self
            .stream_bytes
            .saturating_sub(st.buf.capacity() + ooo_bytes(&st.ooo));
        if let Parser::Active(sp) = &mut st.parser {
            sp.feed(&st.buf, true, &mut self.out);
        }
        if !self.out.events.is_empty() {
            // Events are about the closed direction: sender = key.src.
            let q = Pkt {
                number: p.number,
                ts: p.ts,
                src_mac: None,
                src: key.src,
                dst: key.dst,
                transport: TCP,
                sport: key.sport,
                dport: key.dport,
                tcp_flags: 0,
                seq: 0,
                payload: &[],
                frame_len: 0,
            };
            let fk = self.flow_key_of(&q);
            self.apply_events(p.number, p.ts, Some(&q), Some(fk));
        }
    }

    fn apply_events(&mut self, number: u64, ts: i64, p: Option<&Pkt<'_>>, flow: Option<FlowKey>) {
        let events = std::mem::take(&mut self.out.events);
        for ev in &events {
            let resolve = |who: Who| -> Option<DevKey> {
                match who {
                    Who::Src => p.map(|p| DevKey::Ip(p.src)),
                    Who::Dst => p.map(|p| DevKey::Ip(p.dst)),
                    Who::Ip(ip) => Some(DevKey::Ip(ip)),
                    Who::Mac(m) => Some(DevKey::Mac(m)),
                }
            };
            let allowed = |k: &DevKey, this: &Analyzer| match k {
                DevKey::Ip(ip) => this.eligible(*ip),
                DevKey::Mac(m) => m.is_device(),
            };
            match ev {
                Event::Ident {
                    who,
                    protocol,
                    field,
                    ident,
                    value,
                    confidence,
                } => {
                    if let Some(fk) = flow {
                        if let Some(f) = self.flows.get_mut(&fk) {
                            f.app.get_or_insert(*protocol);
                        }
                    }
                    let Some(k) = resolve(*who) else { continue };
                    if !allowed(&k, self) {
                        continue;
                    }
                    let maxv = self.config.limits.max_values_per_identifier;
                    let maxe = self.config.limits.max_evidence_per_device;
                    let mut hit_values = false;
                    let mut hit_evidence = false;
                    let capture = self.capture_name(self.capture);
                    if let Some(d) = self.device_mut(k, ts) {
                        d.protocols |= protocol.bit();
                        let vals = d.identifiers.entry(ident).or_default();
                        if !vals.iter().any(|v| v == value) {
                            if vals.len() < maxv {
                                vals.push(value.clone());
                                if d.evidence.len() < maxe {
                                    d.evidence.push(Evidence {
                                        capture: capture.clone(),
                                        packet: number,
                                        protocol: protocol.name().to_string(),
                                        field: field.to_string(),
                                        identifier: ident.to_string(),
                                        value: value.clone(),
                                        confidence: *confidence,
                                    });
                                } else {
                                    hit_evidence = true;
                                }
                            } else {
                                hit_values = true;
                            }
                        }
                    }
                    if hit_values {
                        self.limits_reached.insert("max_values_per_identifier");
                    }
                    if hit_evidence {
                        self.limits_reached.insert("max_evidence_per_device");
                    }
                }
                Event::Speaks { who, protocol } => {
                    if let Some(fk) = flow {
                        if let Some(f) = self.flows.get_mut(&fk) {
                            f.app.get_or_insert(*protocol);
                        }
                    }
                    let Some(k) = resolve(*who) else { continue };
                    if allowed(&k, self) {
                        if let Some(d) = self.device_mut(k, ts) {
                            d.protocols |= protocol.bit();
                        }
                    }
                }
                Event::Bind {
                    mac,
                    ip,
                    protocol,
                    confidence,
                } => {
                    if !mac.is_device() || is_non_device(*ip) {
                        continue;
                    }
                    let mut new_mac = false;
                    let capture = self.capture;
                    if let Some(d) = self.device_mut(DevKey::Ip(*ip), ts) {
                        d.protocols |= protocol.bit();
                        let n = d.macs.len();
                        match d.macs.iter_mut().find(|s| s.mac == *mac) {
                            Some(s) => s.bound = s.bound.max(*confidence),
                            None if n < MAX_MACS_PER_DEVICE => {
                                d.macs.push(MacSeen {
                                    mac: *mac,
                                    count: 0,
                                    bound: *confidence,
                                    first_packet: number,
                                    capture,
                                });
                                new_mac = true;
                            }
                            None => {}
                        }
                    }
                    if new_mac {
                        *self.mac_addresses.entry(*mac).or_insert(0) += 1;
                    }
                }
                Event::Smbv1 { who, detail } => {
                    if let Some(DevKey::Ip(ip)) = resolve(*who) {
                        if self.eligible(ip)
                            && !self.smbv1.iter().any(|(i, ..)| *i == ip)
                            && self.smbv1.len() < self.config.limits.max_alerts
                        {
                            self.smbv1
                                .push((ip, number, self.capture, ts, detail.clone()));
                        }
                    }
                }
                Event::ServerName(name) => {
                    if let Some(fk) = flow {
                        if let Some(f) = self.flows.get_mut(&fk) {
                            if f.server_name.is_none() {
                                f.server_name = Some(name.clone());
                            }
                        }
                    }
                }
                Event::Resolved { name, ip } => {
                    if self.resolved_count >= self.config.limits.max_resolved_names {
                        self.limits_reached.insert("max_resolved_names");
                        continue;
                    }
                    let names = self.resolved.entry(*ip).or_default();
                    let n = name.trim_end_matches('.').to_ascii_lowercase();
                    if !names.contains(&n) {
                        names.push(n);
                        self.resolved_count += 1;
                    }
                }
            }
        }
        let mut events = events;
        events.clear();
        self.out.events = events;
    }

    /// Flush the TCP streams still open, then build the report.
    pub fn finish(mut self) -> DiscoveryReport {
        let keys: Vec<StreamKey> = self.streams.keys().copied().collect();
        let last = self.last_ts.unwrap_or(0);
        for key in keys {
            let q_number = self.packets - self.capture_base;
            let q = Pkt {
                number: q_number,
                ts: last,
                src_mac: None,
                src: key.src,
                dst: key.dst,
                transport: TCP,
                sport: key.sport,
                dport: key.dport,
                tcp_flags: 0,
                seq: 0,
                payload: &[],
                frame_len: 0,
            };
            self.close_stream(&q, key);
        }
        self.report()
    }

    /// The report as of now (open TCP streams not yet flushed).
    pub fn report(&self) -> DiscoveryReport {
        let cfg = &self.config;
        // Which MAC each address device gets.
        let mut devices: Vec<DeviceReport> = Vec::new();
        let mut mac_devices: FxHashMap<Mac, usize> = FxHashMap::default();
        for d in &self.devices {
            if let DevKey::Mac(m) = d.key {
                mac_devices.insert(m, 0);
            }
        }
        let mut claimed: BTreeSet<Mac> = BTreeSet::new();
        let mut ip_devices: Vec<(usize, Option<ChosenMac>)> = Vec::new();
        for (i, d) in self.devices.iter().enumerate() {
            let DevKey::Ip(_) = d.key else { continue };
            let strong = d
                .macs
                .iter()
                .filter(|s| s.bound > 0.0)
                .max_by(|a, b| a.bound.total_cmp(&b.bound).then(a.count.cmp(&b.count)));
            let chosen = match strong {
                Some(s) => Some((s.mac, s.first_packet, s.capture, s.bound)),
                None => d
                    .macs
                    .iter()
                    .filter(|s| {
                        self.mac_addresses.get(&s.mac).copied().unwrap_or(0) as usize
                            <= ROUTER_MAC_ADDRESSES
                            && !self.bound_elsewhere(s.mac, d.key)
                    })
                    .max_by_key(|s| s.count)
                    .map(|s| (s.mac, s.first_packet, s.capture, 0.6)),
            };
            if let Some((m, ..)) = chosen {
                claimed.insert(m);
            }
            ip_devices.push((i, chosen));
        }
        for (i, chosen) in ip_devices {
            let d = &self.devices[i];
            let DevKey::Ip(ip) = d.key else { continue };
            let mut r = base_report(d, Some(ip), chosen.map(|c| c.0), cfg.is_internal(ip));
            if let Some((m, first_packet, capture, conf)) = chosen {
                if let Some(&mi) = self.device_index.get(&DevKey::Mac(m)) {
                    merge_into(
                        &mut r,
                        &self.devices[mi],
                        cfg.limits.max_evidence_per_device,
                    );
                }
                let at = (self.capture_name(capture), first_packet);
                mac_facts(&mut r, m, at, conf);
            }
            devices.push(r);
        }
        for d in &self.devices {
            let DevKey::Mac(m) = d.key else { continue };
            if claimed.contains(&m) {
                continue;
            }
            let mut r = base_report(d, None, Some(m), true);
            let at = d
                .evidence
                .first()
                .map(|e| (e.capture.clone(), e.packet))
                .unwrap_or((None, 0));
            mac_facts(&mut r, m, at, 0.9);
            devices.push(r);
        }
        for r in &mut devices {
            crate::fingerprint::apply(&cfg.rules, r);
        }
        devices.sort_by_key(|d| (d.ip.is_none(), d.ip, d.mac));

        // Flows and external-connection alerts.
        let mut flows: Vec<FlowReport> = Vec::with_capacity(self.flows.len());
        let mut alerts: Vec<Alert> = Vec::new();
        for (k, f) in &self.flows {
            let ci = cfg.is_internal(k.client);
            let si = cfg.is_internal(k.server);
            let external = ci != si && !is_non_device(k.client) && !is_non_device(k.server);
            let outside = if ci { k.server } else { k.client };
            let inside = if ci { k.client } else { k.server };
            let registered = external && self.is_registered(outside, f.server_name.as_deref());
            let service = f
                .app
                .map(|a| a.name().to_string())
                .or_else(|| port_service(k.transport, k.port).map(str::to_string));
            let transport = transport_name(k.transport, k.client);
            if external && !registered {
                alerts.push(Alert {
                    kind: AlertKind::ExternalConnection,
                    severity: AlertSeverity::Medium,
                    device: inside,
                    peer: Some(outside),
                    transport: Some(transport.clone()),
                    port: Some(k.port),
                    packet: f.first_packet,
                    capture: self.capture_name(f.capture),
                    first_seen: rfc3339(f.first),
                    message: format!(
                        "{} {} {} ({} {}) not a registered remote-maintenance line",
                        inside,
                        if ci {
                            "connected to"
                        } else {
                            "was connected from"
                        },
                        outside,
                        transport,
                        k.port
                    ),
                });
            }
            if external && f.app.is_some_and(|a| a.carries_patient_data()) {
                alerts.push(Alert {
                    kind: AlertKind::CleartextPatientDataExternal,
                    severity: AlertSeverity::High,
                    device: inside,
                    peer: Some(outside),
                    transport: Some(transport.clone()),
                    port: Some(k.port),
                    packet: f.first_packet,
                    capture: self.capture_name(f.capture),
                    first_seen: rfc3339(f.first),
                    message: format!(
                        "{} in clear text between {} and outside address {}",
                        f.app.map(|a| a.name()).unwrap_or(""),
                        inside,
                        outside
                    ),
                });
            }
            if k.transport == TCP && (k.port == 23 || f.app == Some(Proto::Telnet)) {
                let dev = if si || !ci { k.server } else { k.client };
                alerts.push(Alert {
                    kind: AlertKind::Telnet,
                    severity: AlertSeverity::High,
                    device: dev,
                    peer: Some(k.client),
                    transport: Some(transport.clone()),
                    port: Some(k.port),
                    packet: f.first_packet,
                    capture: self.capture_name(f.capture),
                    first_seen: rfc3339(f.first),
                    message: format!(
                        "telnet (clear-text login) from {} to {}",
                        k.client, k.server
                    ),
                });
            }
            flows.push(FlowReport {
                client: k.client,
                server: k.server,
                transport,
                port: k.port,
                service,
                packets: f.packets,
                bytes: f.bytes,
                first_seen: rfc3339(f.first),
                last_seen: rfc3339(f.last),
                first_packet: f.first_packet,
                first_capture: self.capture_name(f.capture),
                external,
                registered,
                server_name: f.server_name.clone(),
            });
        }
        for (ip, number, capture, ts, detail) in &self.smbv1 {
            alerts.push(Alert {
                kind: AlertKind::Smbv1,
                severity: AlertSeverity::High,
                device: *ip,
                peer: None,
                transport: Some("tcp".into()),
                port: None,
                packet: *number,
                capture: self.capture_name(*capture),
                first_seen: rfc3339(*ts),
                message: format!("SMB version 1 in use by {ip}: {detail}"),
            });
        }
        flows.sort_by(|a, b| {
            (a.client, a.server, &a.transport, a.port).cmp(&(
                b.client,
                b.server,
                &b.transport,
                b.port,
            ))
        });
        alerts.sort_by(|a, b| {
            (a.kind, a.packet, a.device, a.peer).cmp(&(b.kind, b.packet, b.device, b.peer))
        });
        let mut limits: Vec<String> = self.limits_reached.iter().map(|s| s.to_string()).collect();
        if alerts.len() > cfg.limits.max_alerts {
            alerts.truncate(cfg.limits.max_alerts);
            limits.push("max_alerts".into());
        }
        DiscoveryReport {
            summary: Summary {
                packets: self.packets,
                bytes: self.bytes,
                undecoded_packets: self.undecoded,
                first_seen: self.first_ts.map(rfc3339),
                last_seen: self.last_ts.map(rfc3339),
                devices: devices.len(),
                flows: flows.len(),
                alerts: alerts.len(),
                limits_reached: limits,
            },
            devices,
            flows,
            alerts,
        }
    }

    fn bound_elsewhere(&self, mac: Mac, key: DevKey) -> bool {
        self.devices
            .iter()
            .any(|d| d.key != key && d.macs.iter().any(|s| s.mac == mac && s.bound > 0.0))
            && self.mac_addresses.get(&mac).copied().unwrap_or(0) > 1
    }

    fn is_registered(&self, ip: IpAddr, server_name: Option<&str>) -> bool {
        let eps = &self.config.registered_endpoints;
        if eps.iter().any(|e| e.matches_ip(ip)) {
            return true;
        }
        if let Some(n) = server_name {
            if eps.iter().any(|e| e.matches_name(n)) {
                return true;
            }
        }
        if let Some(names) = self.resolved.get(&ip) {
            return names.iter().any(|n| eps.iter().any(|e| e.matches_name(n)));
        }
        false
    }
}

fn ooo_bytes(o: &[(u32, Vec<u8>)]) -> usize {
    o.iter().map(|(_, d)| d.capacity()).sum()
}

fn base_report(d: &Device, ip: Option<IpAddr>, mac: Option<Mac>, internal: bool) -> DeviceReport {
    DeviceReport {
        ip,
        mac,
        internal,
        first_seen: rfc3339(d.first),
        last_seen: rfc3339(d.last),
        packets_sent: d.packets_sent,
        bytes_sent: d.bytes_sent,
        protocols: Proto::ALL
            .iter()
            .filter(|p| d.protocols & p.bit() != 0)
            .map(|p| p.name().to_string())
            .collect(),
        services: {
            let mut s: Vec<Service> = d
                .services
                .iter()
                .map(|(t, p)| Service {
                    transport: if *t == TCP { "tcp" } else { "udp" }.to_string(),
                    port: *p,
                })
                .collect();
            s.sort_by_key(|s| s.port);
            s
        },
        identifiers: d
            .identifiers
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
        evidence: d.evidence.clone(),
        manufacturer: None,
        model: None,
        device_type: None,
        software: None,
        randomized_mac: false,
    }
}

fn merge_into(r: &mut DeviceReport, m: &Device, max_evidence: usize) {
    for p in Proto::ALL {
        if m.protocols & p.bit() != 0 && !r.protocols.iter().any(|x| x == p.name()) {
            r.protocols.push(p.name().to_string());
        }
    }
    for (k, vals) in &m.identifiers {
        let e = r.identifiers.entry(k.to_string()).or_default();
        for v in vals {
            if !e.contains(v) {
                e.push(v.clone());
            }
        }
    }
    for ev in &m.evidence {
        if r.evidence.len() < max_evidence {
            r.evidence.push(ev.clone());
        }
    }
    let mf = rfc3339(m.first);
    let ml = rfc3339(m.last);
    if mf < r.first_seen {
        r.first_seen = mf;
    }
    if ml > r.last_seen {
        r.last_seen = ml;
    }
}

/// OUI vendor and the randomised flag for a device's MAC; `at` is the capture and packet where the
/// MAC was first seen for this device.
fn mac_facts(r: &mut DeviceReport, m: Mac, at: (Option<String>, u64), confidence: f32) {
    r.randomized_mac = m.is_locally_administered();
    if r.randomized_mac {
        return;
    }
    if let Some(v) = crate::oui::lookup(m) {
        let e = r.identifiers.entry("oui_vendor".to_string()).or_default();
        if !e.iter().any(|x| x == v.organization) {
            e.push(v.organization.to_string());
            r.evidence.push(Evidence {
                capture: at.0,
                packet: at.1,
                protocol: "ethernet".into(),
                field: format!("source address {} ({})", m, v.registry),
                identifier: "oui_vendor".into(),
                value: v.organization.to_string(),
                confidence,
            });
        }
    }
}

fn addr_lt(a: IpAddr, b: IpAddr) -> bool {
    a < b
}

/// Ports that name a service (the server end of a flow), from IANA's registry and the medical
/// protocols mdsec dissects.
pub fn port_service(transport: u8, port: u16) -> Option<&'static str> {
    let tcp = transport == TCP;
    let udp = transport == UDP;
    Some(match port {
        20 | 21 if tcp => "ftp",
        22 if tcp => "ssh",
        23 if tcp => "telnet",
        25 if tcp => "smtp",
        53 => "dns",
        67 | 68 if udp => "dhcp",
        69 if udp => "tftp",
        80 | 8080 if tcp => "http",
        104 | 11112 if tcp => "dicom",
        110 if tcp => "pop3",
        123 if udp => "ntp",
        135 if tcp => "msrpc",
        137 if udp => "netbios-ns",
        138 if udp => "netbios-dgm",
        139 if tcp => "netbios-ssn",
        143 if tcp => "imap",
        161 | 162 if udp => "snmp",
        389 => "ldap",
        443 | 8443 if tcp => "https",
        445 if tcp => "smb",
        514 if udp => "syslog",
        1433 if tcp => "mssql",
        1521 if tcp => "oracle",
        1900 if udp => "ssdp",
        2575 if tcp => "hl7",
        3306 if tcp => "mysql",
        3389 => "rdp",
        3702 if udp => "ws-discovery",
        5353 if udp => "mdns",
        5432 if tcp => "postgresql",
        5900 if tcp => "vnc",
        24005 if udp => "intellivue",
        _ => return None,
    })
}

/// Decide which end of a TCP/UDP packet is the server: the end whose port names a service, else a
/// port below 1024, else the lower port. Both directions of a connection decide the same way.
fn server_side_first(sport: u16, dport: u16) -> bool {
    fn rank(p: u16) -> u8 {
        if port_service(TCP, p).is_some() || port_service(UDP, p).is_some() || p == 6661 {
            0
        } else if p < 1024 {
            1
        } else if p < 32768 {
            2
        } else {
            3
        }
    }
    let (rs, rd) = (rank(sport), rank(dport));
    rs < rd || (rs == rd && sport < dport)
}

fn transport_name(t: u8, client: IpAddr) -> String {
    match t {
        6 => "tcp".into(),
        17 => "udp".into(),
        1 => "icmp".into(),
        58 => "icmpv6".into(),
        132 => "sctp".into(),
        _ => {
            let _ = client;
            format!("ip-{t}")
        }
    }
}

struct IpLayers<'a> {
    src: IpAddr,
    dst: IpAddr,
    transport: u8,
    sport: u16,
    dport: u16,
    tcp_flags: u8,
    seq: u32,
    payload: &'a [u8],
}

fn decode_ip(ethertype: u16, b: &[u8]) -> Option<IpLayers<'_>> {
    let (src, dst, proto, l4, first_fragment) = if ethertype == ETHERTYPE_IPV4 {
        let v = *b.first()?;
        if v >> 4 != 4 {
            return None;
        }
        let ihl = usize::from(v & 0x0f) * 4;
        let total = usize::from(u16::from_be_bytes(b.get(2..4)?.try_into().ok()?));
        if ihl < 20 || total < ihl {
            return None;
        }
        let end = total.min(b.len());
        let frag = u16::from_be_bytes(b.get(6..8)?.try_into().ok()?) & 0x1fff;
        let src = Ipv4Addr::from(<[u8; 4]>::try_from(b.get(12..16)?).ok()?);
        let dst = Ipv4Addr::from(<[u8; 4]>::try_from(b.get(16..20)?).ok()?);
        (
            IpAddr::V4(src),
            IpAddr::V4(dst),
            *b.get(9)?,
            b.get(ihl..end).unwrap_or(&[]),
            frag == 0,
        )
    } else {
        if b.first()? >> 4 != 6 {
            return None;
        }
        let plen = usize::from(u16::from_be_bytes(b.get(4..6)?.try_into().ok()?));
        let src = Ipv6Addr::from(<[u8; 16]>::try_from(b.get(8..24)?).ok()?);
        let dst = Ipv6Addr::from(<[u8; 16]>::try_from(b.get(24..40)?).ok()?);
        let end = (40 + plen).min(b.len());
        let mut next = *b.get(6)?;
        let mut at = 40;
        let mut first = true;
        for _ in 0..MAX_IPV6_EXTENSION_HEADERS {
            match next {
                0 | 43 | 60 => {
                    let n = *b.get(at)?;
                    let len = (usize::from(*b.get(at + 1)?) + 1) * 8;
                    next = n;
                    at += len;
                }
                44 => {
                    let n = *b.get(at)?;
                    let off = u16::from_be_bytes(b.get(at + 2..at + 4)?.try_into().ok()?) >> 3;
                    first = off == 0;
                    next = n;
                    at += 8;
                }
                _ => break,
            }
        }
        (
            IpAddr::V6(src),
            IpAddr::V6(dst),
            next,
            b.get(at..end).unwrap_or(&[]),
            first,
        )
    };
    let mut l = IpLayers {
        src,
        dst,
        transport: proto,
        sport: 0,
        dport: 0,
        tcp_flags: 0,
        seq: 0,
        payload: &[],
    };
    if !first_fragment {
        return Some(l);
    }
    match proto {
        TCP if l4.len() >= 20 => {
            l.sport = u16::from_be_bytes([l4[0], l4[1]]);
            l.dport = u16::from_be_bytes([l4[2], l4[3]]);
            l.seq = u32::from_be_bytes([l4[4], l4[5], l4[6], l4[7]]);
            let off = usize::from(l4[12] >> 4) * 4;
            l.tcp_flags = l4[13];
            if off >= 20 {
                l.payload = l4.get(off..).unwrap_or(&[]);
            }
        }
        UDP if l4.len() >= 8 => {
            l.sport = u16::from_be_bytes([l4[0], l4[1]]);
            l.dport = u16::from_be_bytes([l4[2], l4[3]]);
            let ulen = usize::from(u16::from_be_bytes([l4[4], l4[5]]));
            let end = if ulen >= 8 {
                ulen.min(l4.len())
            } else {
                l4.len()
            };
            l.payload = l4.get(8..end).unwrap_or(&[]);
        }
        _ => {}
    }
    Some(l)
}
