//! The active scan: ICMP echo, the kernel's ARP answer when on-link, TCP connect and the read-only
//! probes. Every packet-sending call sits behind a scope check and a rate-limiter [`Grant`] for
//! that very address (see [`Gate::guard`]); nothing else in this crate sends.
//!
//! Packet accounting per step (the declared costs the limiter works with):
//! - ICMP echo: 1 (the request). ARP, when the host is on-link, is the kernel's broadcast
//!   resolution and not an IP packet to the host; the scanner never adds ARP of its own.
//! - TCP connect: SYN + ACK, plus the RST of the close when nothing is read (3), or plus the ACK of a
//!   greeting when one is read (3). The connect timeout stays under the kernel's first SYN
//!   retransmission (1 s) and `TCP_SYNCNT` is 1, so an unanswered SYN is not repeated by the
//!   kernel; if it ever were, `TCP_INFO` counts it. A timed-out connect is charged one more packet
//!   for [`LATE_REPLY_GRACE`]: a SYN-ACK arriving after the socket is gone draws a RST.
//! - A request (HTTP HEAD, A-ASSOCIATE-RQ, A-RELEASE-RQ): the data segment plus the ACKs of the
//!   answer and of the server's FIN (3).
//! - Close: one RST (`SO_LINGER` 0), nothing if the server already reset the connection.
//!
//! After each step the real count is read from `TCP_INFO` (`tcpi_segs_out`, which includes
//! retransmissions), waiting [`ACK_SETTLE`] first when data arrived so a delayed ACK is counted;
//! segments the kernel sent between steps are charged to the limiter before the next step.

use crate::ports::{service_for_port, ProbeKind};
use crate::probe::{self, DicomAnswer};
use crate::rate::{Backoff, BackoffPolicy, Grant, Micros, RateLimiter, RateLimits, Wait};
use crate::scope::{Scope, ScopeError};
use serde::Serialize;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::collections::{BTreeMap, VecDeque};
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// Longest connect timeout: it must stay below the kernel's initial retransmission timeout (1 s) so
/// the kernel never repeats a SYN behind the limiter's back.
pub const MAX_CONNECT_TIMEOUT: Duration = Duration::from_millis(950);
/// Longest wait for a greeting or an answer.
pub const MAX_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Linux sends a delayed ACK within 200 ms (TCP_DELACK_MAX); a step that received data waits this
/// long before counting its packets.
pub const ACK_SETTLE: Duration = Duration::from_millis(210);
/// After a connect times out, a late SYN-ACK would draw one RST from the kernel: the step is charged
/// that packet for this long.
pub const LATE_REPLY_GRACE: Duration = Duration::from_millis(500);
/// Most worker threads (hosts probed at once).
pub const MAX_WORKERS: usize = 256;
/// Most ICMP echo attempts per host.
pub const MAX_PING_ATTEMPTS: u32 = 5;

const ICMP_PAYLOAD: &[u8] = b"mdsec-scan echo.";

/// Everything a scan needs.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    pub scope: Scope,
    pub ports: Vec<u16>,
    pub limits: RateLimits,
    pub backoff: BackoffPolicy,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    /// ICMP echo attempts before a host counts as not answering (0: no ping).
    pub ping_attempts: u32,
    /// Probe ports of hosts that answered neither ICMP nor ARP (like `nmap -Pn`).
    pub assume_alive: bool,
    /// Run the read-only probes on open ports (else connect and close only).
    pub banners: bool,
    pub workers: usize,
    /// Called AE title for A-ASSOCIATE-RQ.
    pub dicom_called_ae: String,
    /// Services on other ports than their well-known ones (e.g. DICOM on 5678): port → (service
    /// name, probe). Ports not listed use [`service_for_port`].
    pub services: BTreeMap<u16, (&'static str, ProbeKind)>,
}

impl ScanConfig {
    pub fn new(scope: Scope, mut ports: Vec<u16>) -> ScanConfig {
        ports.sort_unstable();
        ports.dedup();
        ScanConfig {
            scope,
            ports,
            limits: RateLimits::default(),
            backoff: BackoffPolicy::default(),
            connect_timeout: Duration::from_millis(500),
            read_timeout: Duration::from_millis(1500),
            ping_attempts: 2,
            assume_alive: false,
            banners: true,
            workers: 64,
            dicom_called_ae: probe::DEFAULT_CALLED_AE_TITLE.to_string(),
            services: BTreeMap::new(),
        }
    }

    /// Service name and probe for `port`.
    pub fn service(&self, port: u16) -> (&'static str, ProbeKind) {
        self.services
            .get(&port)
            .copied()
            .unwrap_or_else(|| service_for_port(port))
    }

    fn validate(&self) -> Result<(), ScanError> {
        if self.ports.windows(2).any(|w| w[0] >= w[1]) || self.ports.contains(&0) {
            return Err(ScanError::Config(
                "ports must be 1-65535, ascending, once each".into(),
            ));
        }
        if self.connect_timeout.is_zero() || self.connect_timeout > MAX_CONNECT_TIMEOUT {
            return Err(ScanError::Config(format!(
                "connect timeout must be 1 to {} ms",
                MAX_CONNECT_TIMEOUT.as_millis()
            )));
        }
        if self.read_timeout.is_zero() || self.read_timeout > MAX_READ_TIMEOUT {
            return Err(ScanError::Config(format!(
                "read timeout must be up to {} s",
                MAX_READ_TIMEOUT.as_secs()
            )));
        }
        if self.ping_attempts > MAX_PING_ATTEMPTS {
            return Err(ScanError::Config(format!(
                "at most {MAX_PING_ATTEMPTS} ping attempts"
            )));
        }
        if self.workers == 0 || self.workers > MAX_WORKERS {
            return Err(ScanError::Config(format!(
                "workers must be 1 to {MAX_WORKERS}"
            )));
        }
        if !self.ports.is_empty() && self.limits.per_host < 2 {
            return Err(ScanError::Config(
                "a TCP connect needs 2 packets (SYN, ACK) at once: per-host rate must be at least 2"
                    .into(),
            ));
        }
        probe::dicom_associate_rq(&self.dicom_called_ae)
            .map_err(|e| ScanError::Config(e.to_string()))?;
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("scan configuration: {0}")]
    Config(String),
    #[error("cannot open an ICMP socket (needs CAP_NET_RAW or net.ipv4.ping_group_range): {0}")]
    IcmpSocket(io::Error),
}

/// Why one step did not run.
#[derive(Debug, thiserror::Error)]
enum StepError {
    #[error(transparent)]
    Scope(#[from] ScopeError),
    #[error("a step of {0} packets exceeds the rate caps")]
    TooCostly(u32),
    #[error("stopped")]
    Stopped,
    #[error("grant for {granted} used for {dst}")]
    WrongHost { granted: Ipv4Addr, dst: Ipv4Addr },
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// How a port answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PortState {
    /// SYN-ACK: connection accepted.
    Open,
    /// RST: nothing listens.
    Closed,
    /// No answer before the connect timeout.
    Filtered,
    /// ICMP unreachable, or the kernel could not resolve the host.
    Unreachable,
    /// Not probed: the host stopped answering, or the scan was stopped.
    NotProbed,
}

#[derive(Debug, Clone, Serialize)]
pub struct PortReport {
    pub port: u16,
    pub state: PortState,
    pub service: &'static str,
}

/// What a probe saw, and which identifier it fed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ScanEvidence {
    /// e.g. `tcp/104 A-ASSOCIATE-AC`.
    pub probe: String,
    pub identifier: String,
    pub value: String,
    pub confidence: f32,
}

/// One host that answered.
#[derive(Debug, Clone, Serialize)]
pub struct HostReport {
    pub ip: Ipv4Addr,
    /// From the kernel's neighbour table when the host is on-link.
    pub mac: Option<String>,
    /// What showed the host is there: `icmp`, `arp`, `tcp`.
    pub alive_by: Vec<&'static str>,
    pub open_ports: Vec<u16>,
    /// Services of the open ports, by port number.
    pub protocols: Vec<String>,
    pub ports: Vec<PortReport>,
    pub identifiers: BTreeMap<String, Vec<String>>,
    pub evidence: Vec<ScanEvidence>,
    /// The host stopped answering and was left alone from this port on.
    pub gave_up_at_port: Option<u16>,
    /// Packets sent to this host (the limiter's actual counts).
    pub packets_sent: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub ip: Ipv4Addr,
    pub reason: String,
}

/// The result of a scan.
#[derive(Debug, Clone, Serialize)]
pub struct ScanReport {
    pub targets: Vec<String>,
    pub do_not_scan: Vec<String>,
    pub ports: Vec<u16>,
    pub limits: RateLimits,
    pub started_unix_ms: u64,
    pub duration_ms: u64,
    pub hosts_probed: usize,
    /// Hosts that answered, by address.
    pub devices: Vec<HostReport>,
    /// Probed and silent (no ICMP, no ARP, no TCP answer).
    pub not_answering: Vec<Ipv4Addr>,
    /// In scope but not probed (the scanner's own addresses, loopback excepted).
    pub skipped: Vec<Skipped>,
    pub packets_sent: u64,
    /// Packets beyond what their steps declared (measured, charged to later steps).
    pub over_budget_packets: u64,
    pub interrupted: bool,
}

/// The one way to a packet: scope check, then a limiter grant.
struct Gate<'a> {
    scope: &'a Scope,
    limiter: Mutex<RateLimiter>,
    changed: Condvar,
    epoch: Instant,
    stop: &'a AtomicBool,
}

impl Gate<'_> {
    fn now(&self) -> Micros {
        self.epoch.elapsed().as_micros() as Micros
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, RateLimiter> {
        self.limiter.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Wait for permission to send up to `declared` packets to `ip`.
    fn begin(&self, ip: Ipv4Addr, declared: u32) -> Result<Grant, StepError> {
        self.scope.check(IpAddr::V4(ip))?;
        let mut l = self.lock();
        loop {
            if self.stop.load(Ordering::Relaxed) {
                return Err(StepError::Stopped);
            }
            let now = self.now();
            let wait = match l.try_acquire(ip, now, declared) {
                Ok(g) => return Ok(g),
                Err(Wait::Never) => return Err(StepError::TooCostly(declared)),
                Err(Wait::Until(t)) => {
                    Duration::from_micros(t - now).min(Duration::from_millis(200))
                }
                Err(Wait::Completion) => Duration::from_millis(100),
            };
            l = self
                .changed
                .wait_timeout(l, wait)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Called right before every system call that can put a packet on the wire.
    fn guard(&self, g: &Grant, dst: Ipv4Addr) -> Result<(), StepError> {
        if g.host() != dst {
            return Err(StepError::WrongHost {
                granted: g.host(),
                dst,
            });
        }
        self.scope.check(IpAddr::V4(dst))?;
        Ok(())
    }

    fn end(&self, g: Grant, actual: u32, later: Duration) {
        let host = g.host();
        let declared = g.declared();
        let end = self.now() + later.as_micros() as Micros;
        if !self.lock().complete(g, end, actual) {
            tracing::warn!(%host, declared, actual, "a step sent more packets than it declared");
        }
        self.changed.notify_all();
    }

    fn charge(&self, ip: Ipv4Addr, packets: u32) {
        if packets > 0 {
            tracing::warn!(%ip, packets, "the kernel sent packets between steps (charged)");
            let now = self.now();
            self.lock().charge(ip, now, packets);
            self.changed.notify_all();
        }
    }

    fn sleep(&self, d: Duration) {
        let until = Instant::now() + d;
        while !self.stop.load(Ordering::Relaxed) {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            std::thread::sleep(left.min(Duration::from_millis(100)));
        }
    }
}

/// Run a scan. `stop` ends it early (between steps); the report then says `interrupted`.
pub fn scan(cfg: &ScanConfig, stop: &AtomicBool) -> Result<ScanReport, ScanError> {
    cfg.validate()?;
    if cfg.ping_attempts > 0 {
        // Fail early and clearly when ICMP is not available at all.
        IcmpSocket::open().map_err(ScanError::IcmpSocket)?;
    }
    let started_unix_ms = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let gate = Gate {
        scope: &cfg.scope,
        limiter: Mutex::new(RateLimiter::new(cfg.limits)),
        changed: Condvar::new(),
        epoch: Instant::now(),
        stop,
    };
    let mut skipped = Vec::new();
    let mut queue = VecDeque::new();
    for ip in cfg.scope.hosts() {
        if is_local_address(ip) && !ip.is_loopback() {
            skipped.push(Skipped {
                ip,
                reason: "one of this machine's own addresses".into(),
            });
        } else {
            queue.push_back(ip);
        }
    }
    let hosts_probed = queue.len();
    let queue = Mutex::new(queue);
    let results: Mutex<Vec<(Ipv4Addr, Option<HostReport>)>> = Mutex::new(Vec::new());
    let workers = cfg.workers.min(hosts_probed.max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let next = queue.lock().unwrap_or_else(|p| p.into_inner()).pop_front();
                let Some(ip) = next else { break };
                let r = scan_host(&gate, cfg, ip);
                results
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push((ip, r));
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|p| p.into_inner());
    results.sort_by_key(|r| r.0);
    let limiter = gate.limiter.into_inner().unwrap_or_else(|p| p.into_inner());
    let mut devices = Vec::new();
    let mut not_answering = Vec::new();
    for (ip, r) in results {
        match r {
            Some(mut h) => {
                h.packets_sent = limiter.sent_to(ip);
                devices.push(h);
            }
            None => not_answering.push(ip),
        }
    }
    Ok(ScanReport {
        targets: cfg.scope.targets().iter().map(|n| n.to_string()).collect(),
        do_not_scan: cfg
            .scope
            .do_not_scan()
            .iter()
            .map(|n| n.to_string())
            .collect(),
        ports: cfg.ports.clone(),
        limits: cfg.limits,
        started_unix_ms,
        duration_ms: gate.epoch.elapsed().as_millis() as u64,
        hosts_probed,
        devices,
        not_answering,
        skipped,
        packets_sent: limiter.sent(),
        over_budget_packets: limiter.over_budget(),
        interrupted: stop.load(Ordering::Relaxed),
    })
}

/// True when `ip` is assigned to this machine (binding to it works). Sends nothing.
fn is_local_address(ip: Ipv4Addr) -> bool {
    std::net::UdpSocket::bind(SocketAddrV4::new(ip, 0)).is_ok()
}

struct HostState {
    report: HostReport,
    backoff: Backoff,
}

impl HostState {
    fn ident(&mut self, probe: String, identifier: &str, value: String, confidence: f32) {
        if value.is_empty() {
            return;
        }
        let vals = self
            .report
            .identifiers
            .entry(identifier.to_string())
            .or_default();
        if !vals.contains(&value) {
            vals.push(value.clone());
        }
        self.report.evidence.push(ScanEvidence {
            probe,
            identifier: identifier.to_string(),
            value,
            confidence,
        });
    }

    fn alive(&mut self, by: &'static str) {
        if !self.report.alive_by.contains(&by) {
            self.report.alive_by.push(by);
        }
    }
}

/// Probe one host: ping, ARP answer, then its ports one at a time. `None` when it never answered.
fn scan_host(gate: &Gate<'_>, cfg: &ScanConfig, ip: Ipv4Addr) -> Option<HostReport> {
    let mut st = HostState {
        report: HostReport {
            ip,
            mac: None,
            alive_by: Vec::new(),
            open_ports: Vec::new(),
            protocols: Vec::new(),
            ports: Vec::new(),
            identifiers: BTreeMap::new(),
            evidence: Vec::new(),
            gave_up_at_port: None,
            packets_sent: 0,
        },
        backoff: Backoff::default(),
    };
    for seq in 0..cfg.ping_attempts {
        match icmp_echo(
            gate,
            ip,
            seq as u16 + 1,
            cfg.read_timeout.min(Duration::from_secs(1)),
        ) {
            Ok(true) => {
                st.alive("icmp");
                break;
            }
            Ok(false) => {}
            Err(StepError::Stopped) => break,
            Err(e) => {
                tracing::warn!(%ip, "ICMP echo not sent: {e}");
                break;
            }
        }
    }
    if let Some(mac) = neighbour_mac(ip) {
        st.alive("arp");
        st.report.mac = Some(mac);
    }
    if st.report.alive_by.is_empty() && !cfg.assume_alive {
        return None;
    }
    for (i, &port) in cfg.ports.iter().enumerate() {
        let (service, kind) = cfg.service(port);
        if gate.stop.load(Ordering::Relaxed) || st.backoff.gave_up(&cfg.backoff) {
            if st.backoff.gave_up(&cfg.backoff) && st.report.gave_up_at_port.is_none() {
                st.report.gave_up_at_port = Some(port);
                tracing::info!(%ip, port, "host stopped answering: leaving it alone");
            }
            for &p in &cfg.ports[i..] {
                st.report.ports.push(PortReport {
                    port: p,
                    state: PortState::NotProbed,
                    service: cfg.service(p).0,
                });
            }
            break;
        }
        gate.sleep(Duration::from_micros(st.backoff.delay(&cfg.backoff)));
        let kind = if cfg.banners {
            kind
        } else {
            ProbeKind::ConnectOnly
        };
        let state = match probe_port(gate, cfg, &mut st, port, service, kind) {
            Ok(s) => s,
            Err(StepError::Stopped) => PortState::NotProbed,
            Err(e) => {
                tracing::warn!(%ip, port, "probe not run: {e}");
                PortState::NotProbed
            }
        };
        match state {
            PortState::Open | PortState::Closed => {
                st.backoff.answered();
                st.alive("tcp");
            }
            PortState::Filtered | PortState::Unreachable => st.backoff.silent(),
            PortState::NotProbed => {}
        }
        if state == PortState::Open {
            st.report.open_ports.push(port);
            if !st.report.protocols.iter().any(|p| p == service) {
                st.report.protocols.push(service.to_string());
            }
        }
        st.report.ports.push(PortReport {
            port,
            state,
            service,
        });
    }
    if st.report.mac.is_none() {
        st.report.mac = neighbour_mac(ip);
    }
    if st.report.alive_by.is_empty() {
        return None;
    }
    Some(st.report)
}

// ---------------------------------------------------------------- ICMP

struct IcmpSocket {
    sock: Socket,
    /// Datagram ("ping") sockets get no IP header and have their identifier set by the kernel.
    raw: bool,
}

impl IcmpSocket {
    fn open() -> io::Result<IcmpSocket> {
        match Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::ICMPV4)) {
            Ok(sock) => Ok(IcmpSocket { sock, raw: false }),
            Err(_) => Ok(IcmpSocket {
                sock: Socket::new(
                    Domain::IPV4,
                    Type::from(libc::SOCK_RAW),
                    Some(Protocol::ICMPV4),
                )?,
                raw: true,
            }),
        }
    }
}

/// An ICMP echo request (type 8) with identifier, sequence and a fixed payload.
pub fn icmp_echo_request(id: u16, seq: u16) -> Vec<u8> {
    let mut p = vec![8, 0, 0, 0];
    p.extend_from_slice(&id.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(ICMP_PAYLOAD);
    let sum = inet_checksum(&p);
    p[2..4].copy_from_slice(&sum.to_be_bytes());
    p
}

/// The Internet checksum (RFC 1071).
pub fn inet_checksum(b: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for c in b.chunks(2) {
        let w = if c.len() == 2 {
            u16::from_be_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], 0])
        };
        sum += u32::from(w);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Is `pkt` (with an IPv4 header when `raw`) an echo reply to (`id`, `seq`)? Ping sockets rewrite
/// the identifier, so it is checked on raw sockets only.
pub fn is_echo_reply(pkt: &[u8], raw: bool, id: u16, seq: u16) -> bool {
    let icmp = if raw {
        let Some(&vihl) = pkt.first() else {
            return false;
        };
        let ihl = usize::from(vihl & 0x0f) * 4;
        if vihl >> 4 != 4 || ihl < 20 {
            return false;
        }
        match pkt.get(ihl..) {
            Some(b) => b,
            None => return false,
        }
    } else {
        pkt
    };
    icmp.len() >= 8
        && icmp[0] == 0
        && icmp[1] == 0
        && u16::from_be_bytes([icmp[6], icmp[7]]) == seq
        && (!raw || u16::from_be_bytes([icmp[4], icmp[5]]) == id)
}

/// One echo request; true when the reply came back within `timeout`.
fn icmp_echo(
    gate: &Gate<'_>,
    ip: Ipv4Addr,
    seq: u16,
    timeout: Duration,
) -> Result<bool, StepError> {
    let s = IcmpSocket::open()?;
    // Connecting a datagram/raw socket sends nothing; it makes the kernel deliver only packets from
    // `ip` to this socket.
    s.sock.connect(&SockAddr::from(SocketAddrV4::new(ip, 0)))?;
    let id = (std::process::id() as u16) ^ (s.sock.as_raw_fd() as u16).rotate_left(8);
    let grant = gate.begin(ip, 1)?;
    if let Err(e) = gate.guard(&grant, ip) {
        gate.end(grant, 0, Duration::ZERO);
        return Err(e);
    }
    let sent = s.sock.send(&icmp_echo_request(id, seq));
    let started = Instant::now();
    let sent_ok = sent.is_ok();
    let mut answered = false;
    if sent_ok {
        let mut buf = [0u8; 1500];
        loop {
            let left = timeout.saturating_sub(started.elapsed());
            if left.is_zero() {
                break;
            }
            if s.sock.set_read_timeout(Some(left)).is_err() {
                break;
            }
            match (&s.sock).read(&mut buf) {
                Ok(n) => {
                    if is_echo_reply(&buf[..n], s.raw, id, seq) {
                        answered = true;
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
    }
    gate.end(grant, u32::from(sent_ok), Duration::ZERO);
    sent?;
    Ok(answered)
}

/// The MAC of `ip` from the kernel's neighbour table (`/proc/net/arp`) when resolution completed.
pub fn neighbour_mac(ip: Ipv4Addr) -> Option<String> {
    let table = std::fs::read_to_string("/proc/net/arp").ok()?;
    parse_proc_net_arp(&table, ip)
}

/// Find a complete entry for `ip` in the text of `/proc/net/arp`.
pub fn parse_proc_net_arp(table: &str, ip: Ipv4Addr) -> Option<String> {
    const ATF_COM: u32 = 0x2;
    table.lines().skip(1).find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 4 || f[0].parse::<Ipv4Addr>().ok()? != ip {
            return None;
        }
        let flags = u32::from_str_radix(f[2].trim_start_matches("0x"), 16).ok()?;
        let mac = f[3].to_ascii_lowercase();
        (flags & ATF_COM != 0 && mac != "00:00:00:00:00:00" && mac.len() == 17).then_some(mac)
    })
}

// ---------------------------------------------------------------- TCP

fn tcp_info(sock: &Socket) -> Option<libc::tcp_info> {
    // SAFETY: getsockopt writes at most `len` bytes into a zeroed tcp_info it owns.
    unsafe {
        let mut info: libc::tcp_info = std::mem::zeroed();
        let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
        let r = libc::getsockopt(
            sock.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            (&mut info as *mut libc::tcp_info).cast(),
            &mut len,
        );
        (r == 0).then_some(info)
    }
}

/// Segments this socket has sent so far, retransmissions included.
fn segs_out(sock: &Socket) -> Option<u32> {
    tcp_info(sock).map(|i| i.tcpi_segs_out)
}

fn set_int(sock: &Socket, level: libc::c_int, opt: libc::c_int, v: libc::c_int) -> io::Result<()> {
    // SAFETY: passes a pointer to a live c_int and its size.
    let r = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            level,
            opt,
            (&v as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

struct Conn {
    sock: Socket,
    ip: Ipv4Addr,
    /// `tcpi_segs_out` at the end of the last step.
    counted: u32,
}

enum Connected {
    /// Accepted; the connection when it is still open, and the greeting read.
    Open(Option<Conn>, Vec<u8>),
    Done(PortState),
}

/// Read until `done(buf)`, end of stream, the byte limit or `timeout`.
fn read_answer(sock: &Socket, timeout: Duration, done: &dyn Fn(&[u8]) -> bool) -> Vec<u8> {
    let started = Instant::now();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 2048];
    while buf.len() < probe::MAX_ANSWER_BYTES && !done(&buf) {
        let left = timeout.saturating_sub(started.elapsed());
        if left.is_zero() || sock.set_read_timeout(Some(left)).is_err() {
            break;
        }
        match (&*sock).read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                let take = n.min(probe::MAX_ANSWER_BYTES - buf.len());
                buf.extend_from_slice(&chunk[..take]);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    buf
}

/// The connect step. With `greeting` the server's first words are read within the same step
/// (declared SYN + ACK + the greeting's ACK); with `close_now` the socket is closed at once (SYN +
/// ACK + RST); otherwise the open connection is handed back for request steps (SYN + ACK).
fn connect_step(
    gate: &Gate<'_>,
    cfg: &ScanConfig,
    ip: Ipv4Addr,
    port: u16,
    greeting: bool,
    close_now: bool,
) -> Result<Connected, StepError> {
    let declared = 2 + u32::from(greeting || close_now);
    let sock = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
    sock.set_linger(Some(Duration::ZERO))?;
    set_int(&sock, libc::IPPROTO_TCP, libc::TCP_SYNCNT, 1)?;
    set_int(&sock, libc::IPPROTO_TCP, libc::TCP_QUICKACK, 1)?;
    sock.set_tcp_nodelay(true)?;
    let addr = SockAddr::from(SocketAddr::V4(SocketAddrV4::new(ip, port)));
    let grant = gate.begin(ip, declared)?;
    if let Err(e) = gate.guard(&grant, ip) {
        gate.end(grant, 0, Duration::ZERO);
        return Err(e);
    }
    let result = sock.connect_timeout(&addr, cfg.connect_timeout);
    let sent = segs_out(&sock);
    match result {
        Ok(()) => {
            let mut data = Vec::new();
            if greeting {
                data = read_answer(&sock, cfg.read_timeout, &|b: &[u8]| {
                    b.contains(&b'\n') || b.len() >= 512
                });
                if !data.is_empty() {
                    std::thread::sleep(ACK_SETTLE);
                }
            }
            let counted = segs_out(&sock).unwrap_or(declared);
            if close_now {
                let rst = close_rst(&sock);
                drop(sock);
                gate.end(grant, counted + rst, Duration::ZERO);
                return Ok(Connected::Open(None, data));
            }
            gate.end(grant, counted, Duration::ZERO);
            Ok(Connected::Open(Some(Conn { sock, ip, counted }), data))
        }
        Err(e) => {
            let n = sent.unwrap_or(1);
            let refused = e.kind() == io::ErrorKind::ConnectionRefused;
            let timed_out =
                e.kind() == io::ErrorKind::TimedOut || e.kind() == io::ErrorKind::WouldBlock;
            drop(sock);
            if timed_out {
                // A late SYN-ACK would draw one RST from the kernel.
                gate.end(grant, n + 1, LATE_REPLY_GRACE);
                Ok(Connected::Done(PortState::Filtered))
            } else if refused {
                gate.end(grant, n, Duration::ZERO);
                Ok(Connected::Done(PortState::Closed))
            } else {
                gate.end(grant, n, Duration::ZERO);
                match e.raw_os_error() {
                    Some(libc::EHOSTUNREACH | libc::ENETUNREACH | libc::EHOSTDOWN) => {
                        Ok(Connected::Done(PortState::Unreachable))
                    }
                    _ => Err(StepError::Io(e)),
                }
            }
        }
    }
}

/// Close with RST (linger 0): 1 packet, or 0 when the peer already reset the connection.
fn close_rst(sock: &Socket) -> u32 {
    const TCP_CLOSE: u8 = 7;
    match tcp_info(sock) {
        Some(i) if i.tcpi_state == TCP_CLOSE => 0,
        _ => 1,
    }
}

/// Charge what the kernel sent on `conn` since the last step (e.g. the ACK of data the server pushed
/// unasked), then return the current count.
fn settle_between_steps(gate: &Gate<'_>, conn: &mut Conn) -> u32 {
    let now = segs_out(&conn.sock).unwrap_or(conn.counted);
    gate.charge(conn.ip, now.saturating_sub(conn.counted));
    conn.counted = now;
    now
}

/// Send `request` and read the answer until `done`. Declared: the data segment and the ACKs of the
/// answer and of the server's FIN.
fn request_step(
    gate: &Gate<'_>,
    cfg: &ScanConfig,
    conn: &mut Conn,
    request: &[u8],
    done: &dyn Fn(&[u8]) -> bool,
) -> Result<Vec<u8>, StepError> {
    let grant = gate.begin(conn.ip, 3)?;
    let before = settle_between_steps(gate, conn);
    if let Err(e) = gate.guard(&grant, conn.ip) {
        gate.end(grant, 0, Duration::ZERO);
        return Err(e);
    }
    let written = (&conn.sock).write_all(request);
    let answer = if written.is_ok() {
        read_answer(&conn.sock, cfg.read_timeout, done)
    } else {
        Vec::new()
    };
    if !answer.is_empty() {
        std::thread::sleep(ACK_SETTLE);
    }
    let after = segs_out(&conn.sock).unwrap_or(before + 3);
    conn.counted = after;
    gate.end(grant, after.saturating_sub(before), Duration::ZERO);
    written?;
    Ok(answer)
}

/// Close with RST as its own step (1 packet).
fn close_step(gate: &Gate<'_>, mut conn: Conn) -> Result<(), StepError> {
    let grant = gate.begin(conn.ip, 1)?;
    settle_between_steps(gate, &mut conn);
    let rst = close_rst(&conn.sock);
    if let Err(e) = gate.guard(&grant, conn.ip) {
        // Out of scope now (cannot happen: scope is fixed): leave the socket to the kernel's
        // normal close rather than send.
        gate.end(grant, 0, Duration::ZERO);
        return Err(e);
    }
    drop(conn);
    gate.end(grant, rst, Duration::ZERO);
    Ok(())
}

fn probe_port(
    gate: &Gate<'_>,
    cfg: &ScanConfig,
    st: &mut HostState,
    port: u16,
    service: &'static str,
    kind: ProbeKind,
) -> Result<PortState, StepError> {
    let ip = st.report.ip;
    let greeting = kind == ProbeKind::ServerBanner;
    let close_now = kind == ProbeKind::ConnectOnly;
    let (conn, greeting_bytes) = match connect_step(gate, cfg, ip, port, greeting, close_now)? {
        Connected::Done(state) => return Ok(state),
        Connected::Open(conn, data) => (conn, data),
    };
    let tag = format!("tcp/{port}");
    st.report.evidence.push(ScanEvidence {
        probe: format!("{tag} connect"),
        identifier: "open_port".into(),
        value: format!("{port}/{service}"),
        confidence: 1.0,
    });
    let Some(mut conn) = conn else {
        return Ok(PortState::Open);
    };
    let result = (|| -> Result<(), StepError> {
        match kind {
            ProbeKind::ServerBanner => {
                let text = probe::clean_banner(&greeting_bytes);
                let key = match port {
                    22 => "ssh_banner",
                    21 => "ftp_banner",
                    23 => "telnet_banner",
                    _ if text.starts_with("SSH-") => "ssh_banner",
                    _ => "banner",
                };
                st.ident(format!("{tag} greeting"), key, text, 0.9);
            }
            ProbeKind::HttpHead => {
                let answer = request_step(
                    gate,
                    cfg,
                    &mut conn,
                    &probe::http_head_request(ip, port),
                    &probe::http_headers_complete,
                )?;
                match probe::parse_http_answer(&answer) {
                    Ok(a) => {
                        st.ident(
                            format!("{tag} HEAD status"),
                            "http_status",
                            a.status.to_string(),
                            1.0,
                        );
                        if let Some(s) = a.server {
                            st.ident(format!("{tag} HEAD Server"), "http_server", s, 0.9);
                        }
                        if let Some(r) = a.www_authenticate {
                            st.ident(
                                format!("{tag} HEAD WWW-Authenticate"),
                                "http_auth_realm",
                                r,
                                0.7,
                            );
                        }
                    }
                    Err(e) if !answer.is_empty() => tracing::debug!(%ip, port, "{e}"),
                    Err(_) => {}
                }
            }
            ProbeKind::DicomAssociate => {
                let rq = probe::dicom_associate_rq(&cfg.dicom_called_ae)
                    .map_err(|e| io::Error::other(e.to_string()))?;
                let pdu_done = |b: &[u8]| {
                    matches!(probe::dicom_pdu_len(b), Ok(Some(n)) if b.len() >= n)
                        || probe::dicom_pdu_len(b).is_err()
                };
                let answer = request_step(gate, cfg, &mut conn, &rq, &pdu_done)?;
                match probe::parse_dicom_answer(&answer) {
                    Ok(DicomAnswer::Accepted {
                        implementation_class_uid,
                        implementation_version_name,
                        verification_accepted,
                        ..
                    }) => {
                        st.ident(
                            format!("{tag} A-ASSOCIATE-AC"),
                            "dicom_association",
                            if verification_accepted {
                                "accepted (Verification)".to_string()
                            } else {
                                "accepted (Verification not offered)".to_string()
                            },
                            1.0,
                        );
                        if let Some(u) = implementation_class_uid {
                            st.ident(
                                format!("{tag} A-ASSOCIATE-AC Implementation Class UID"),
                                "dicom_implementation_class_uid",
                                u,
                                0.9,
                            );
                        }
                        if let Some(v) = implementation_version_name {
                            st.ident(
                                format!("{tag} A-ASSOCIATE-AC Implementation Version Name"),
                                "dicom_implementation_version_name",
                                v,
                                0.9,
                            );
                        }
                        // Release the association: A-RELEASE-RQ, read A-RELEASE-RP.
                        request_step(gate, cfg, &mut conn, &probe::dicom_release_rq(), &pdu_done)?;
                    }
                    Ok(DicomAnswer::Rejected {
                        result,
                        source,
                        reason,
                    }) => {
                        st.ident(
                            format!("{tag} A-ASSOCIATE-RJ"),
                            "dicom_association",
                            format!("rejected (result {result}, source {source}, reason {reason})"),
                            1.0,
                        );
                    }
                    Ok(DicomAnswer::Aborted { source, reason }) => {
                        st.ident(
                            format!("{tag} A-ABORT"),
                            "dicom_association",
                            format!("aborted (source {source}, reason {reason})"),
                            1.0,
                        );
                    }
                    Err(e) if !answer.is_empty() => tracing::debug!(%ip, port, "{e}"),
                    Err(_) => {}
                }
            }
            ProbeKind::ConnectOnly => {}
        }
        Ok(())
    })();
    // Always close, even when a request step failed or the scan was stopped.
    let closed = match close_step(gate, conn) {
        Err(StepError::Stopped) => Ok(()),
        other => other,
    };
    match result {
        Err(StepError::Stopped) | Ok(()) => {}
        Err(e) => tracing::warn!(%ip, port, "probe cut short: {e}"),
    }
    closed?;
    Ok(PortState::Open)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_request_checksums_to_zero() {
        let p = icmp_echo_request(0x1234, 7);
        assert_eq!(inet_checksum(&p), 0);
        assert_eq!(&p[4..8], &[0x12, 0x34, 0, 7]);
    }

    #[test]
    fn recognises_echo_replies() {
        let mut reply = icmp_echo_request(9, 3);
        reply[0] = 0;
        assert!(
            is_echo_reply(&reply, false, 1, 3),
            "ping sockets rewrite the id"
        );
        assert!(!is_echo_reply(&reply, false, 1, 4));
        let mut ip = vec![
            0x45, 0, 0, 0, 0, 0, 0, 0, 64, 1, 0, 0, 10, 99, 0, 2, 10, 99, 0, 1,
        ];
        ip.extend_from_slice(&reply);
        assert!(is_echo_reply(&ip, true, 9, 3));
        assert!(!is_echo_reply(&ip, true, 8, 3));
        assert!(!is_echo_reply(&ip[..22], true, 9, 3));
        assert!(!is_echo_reply(&[0x4f], true, 9, 3));
        assert!(
            !is_echo_reply(&icmp_echo_request(9, 3), false, 9, 3),
            "a request is no reply"
        );
    }

    #[test]
    fn reads_the_neighbour_table() {
        let t = "IP address       HW type     Flags       HW address            Mask     Device\n\
                 10.99.0.2        0x1         0x2         AA:bb:cc:dd:ee:01     *        eth0\n\
                 10.99.0.3        0x1         0x0         00:00:00:00:00:00     *        eth0\n";
        assert_eq!(
            parse_proc_net_arp(t, Ipv4Addr::new(10, 99, 0, 2)).as_deref(),
            Some("aa:bb:cc:dd:ee:01")
        );
        assert_eq!(parse_proc_net_arp(t, Ipv4Addr::new(10, 99, 0, 3)), None);
        assert_eq!(parse_proc_net_arp(t, Ipv4Addr::new(10, 99, 0, 4)), None);
    }

    #[test]
    fn config_is_checked() {
        let scope = Scope::new(
            crate::scope::parse_net_list("t", "127.0.0.1").unwrap(),
            vec![],
        )
        .unwrap();
        let mut c = ScanConfig::new(scope, vec![80]);
        assert!(c.validate().is_ok());
        c.connect_timeout = Duration::from_secs(1);
        assert!(
            c.validate().is_err(),
            "a kernel SYN retransmission would escape the limiter"
        );
        c.connect_timeout = Duration::from_millis(500);
        c.limits = RateLimits::new(1, 50).unwrap();
        assert!(c.validate().is_err());
    }
}
