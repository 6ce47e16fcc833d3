//! Protocol dissectors. Each reads only the fields it names and reports them as [`Event`]s; the
//! analyzer attaches them, with the packet number, to the sending or receiving device.
//!
//! Patient data is never read into an event: HL7 dissection looks only at MSH, OBX-18 and PRT-16;
//! DICOM dataset dissection copies only the equipment tags listed in `dicom::EQUIPMENT_TAGS` and skips
//! every other element by its length without decoding it.

use crate::net::Mac;
use std::net::IpAddr;

pub mod arp;
pub mod banner;
pub mod dhcp;
pub mod dicom;
pub mod dns;
pub mod hl7;
pub mod http;
pub mod intellivue;
pub mod poct;
pub mod smb;
pub mod ssdp;
pub mod tls;
pub mod wsd;

/// Application protocols the analyzer recognises (one bit each in a device's protocol set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Proto {
    Arp,
    Dhcp,
    Dns,
    Mdns,
    Ssdp,
    Netbios,
    Dicom,
    Hl7,
    Poct1a,
    Sdc,
    Intellivue,
    Http,
    Tls,
    Ssh,
    Telnet,
    Ftp,
    Smb,
}

impl Proto {
    pub const ALL: [Proto; 17] = [
        Proto::Arp,
        Proto::Dhcp,
        Proto::Dns,
        Proto::Mdns,
        Proto::Ssdp,
        Proto::Netbios,
        Proto::Dicom,
        Proto::Hl7,
        Proto::Poct1a,
        Proto::Sdc,
        Proto::Intellivue,
        Proto::Http,
        Proto::Tls,
        Proto::Ssh,
        Proto::Telnet,
        Proto::Ftp,
        Proto::Smb,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Proto::Arp => "arp",
            Proto::Dhcp => "dhcp",
            Proto::Dns => "dns",
            Proto::Mdns => "mdns",
            Proto::Ssdp => "ssdp",
            Proto::Netbios => "netbios",
            Proto::Dicom => "dicom",
            Proto::Hl7 => "hl7",
            Proto::Poct1a => "poct1a",
            Proto::Sdc => "sdc",
            Proto::Intellivue => "intellivue",
            Proto::Http => "http",
            Proto::Tls => "tls",
            Proto::Ssh => "ssh",
            Proto::Telnet => "telnet",
            Proto::Ftp => "ftp",
            Proto::Smb => "smb",
        }
    }
    pub fn bit(self) -> u32 {
        1 << (self as u8)
    }
    /// Protocols that carry patient data in clear text.
    pub fn carries_patient_data(self) -> bool {
        matches!(self, Proto::Dicom | Proto::Hl7 | Proto::Poct1a)
    }
}

/// Which end of the packet or stream an observation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Src,
    Dst,
    /// A device named by MAC (DHCP client before it has an address).
    Mac(Mac),
    /// A device named by address inside the payload (DHCP ACK's your-address, ARP sender).
    Ip(IpAddr),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// An identifier value with the protocol field it came from.
    Ident {
        who: Who,
        protocol: Proto,
        field: &'static str,
        ident: &'static str,
        value: String,
        confidence: f32,
    },
    /// `ip` is held by the interface `mac` (ARP, DHCP).
    Bind {
        mac: Mac,
        ip: IpAddr,
        protocol: Proto,
        confidence: f32,
    },
    /// The device speaks this protocol (no identifier).
    Speaks { who: Who, protocol: Proto },
    /// SMB version 1 negotiated or used by this side.
    Smbv1 { who: Who, detail: String },
    /// TLS SNI / HTTP Host: the name the client asked the server for.
    ServerName(String),
    /// A DNS answer: `name` resolves to `ip` (for registered-hostname matching).
    Resolved { name: String, ip: IpAddr },
}

/// Where a dissector puts what it found.
#[derive(Debug, Default)]
pub struct Out {
    pub events: Vec<Event>,
}

/// Longest identifier value kept (characters).
pub const MAX_VALUE_CHARS: usize = 256;

impl Out {
    pub fn ident(
        &mut self,
        who: Who,
        protocol: Proto,
        field: &'static str,
        ident: &'static str,
        raw: &[u8],
        confidence: f32,
    ) {
        if let Some(value) = clean(raw) {
            self.events.push(Event::Ident {
                who,
                protocol,
                field,
                ident,
                value,
                confidence,
            });
        }
    }
    pub fn speaks(&mut self, who: Who, protocol: Proto) {
        self.events.push(Event::Speaks { who, protocol });
    }
}

/// Text for a report: lossy UTF-8, control characters dropped, whitespace trimmed, at most
/// [`MAX_VALUE_CHARS`] characters; `None` when nothing printable is left.
pub fn clean(raw: &[u8]) -> Option<String> {
    let s = String::from_utf8_lossy(raw);
    let mut out = String::new();
    for c in s.chars() {
        if out.chars().count() >= MAX_VALUE_CHARS {
            break;
        }
        if !c.is_control() {
            out.push(c);
        }
    }
    let t = out.trim();
    if t.is_empty() {
        None
    } else {
        Some(t.to_string())
    }
}

/// Result of feeding a TCP stream parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Feed {
    /// Bytes at the start of the buffer fully processed (dropped by the caller).
    pub consumed: usize,
    /// Nothing more of interest in this direction; stop buffering it.
    pub done: bool,
}

impl Feed {
    pub const fn more(consumed: usize) -> Feed {
        Feed {
            consumed,
            done: false,
        }
    }
    pub const fn done() -> Feed {
        Feed {
            consumed: 0,
            done: true,
        }
    }
}

pub(crate) fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}
pub(crate) fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

/// Find `needle` in `hay` (ASCII case-insensitive).
pub(crate) fn find_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// Find `needle` in `hay` (exact).
pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    let first = needle[0];
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        match hay[i..=hay.len() - needle.len()]
            .iter()
            .position(|&b| b == first)
        {
            Some(p) => {
                let at = i + p;
                if &hay[at..at + needle.len()] == needle {
                    return Some(at);
                }
                i = at + 1;
            }
            None => return None,
        }
    }
    None
}

/// A TCP direction's dissector, chosen from its first bytes and ports.
#[derive(Debug)]
pub enum StreamParser {
    Dicom(dicom::Stream),
    Hl7(hl7::Stream),
    Http(http::Stream),
    Tls(tls::Stream),
    Banner(banner::Stream),
    Smb(smb::Stream),
    Poct(poct::Stream),
}

impl StreamParser {
    pub fn feed(&mut self, buf: &[u8], fin: bool, out: &mut Out) -> Feed {
        match self {
            StreamParser::Dicom(s) => s.feed(buf, fin, out),
            StreamParser::Hl7(s) => s.feed(buf, fin, out),
            StreamParser::Http(s) => s.feed(buf, fin, out),
            StreamParser::Tls(s) => s.feed(buf, fin, out),
            StreamParser::Banner(s) => s.feed(buf, fin, out),
            StreamParser::Smb(s) => s.feed(buf, fin, out),
            StreamParser::Poct(s) => s.feed(buf, fin, out),
        }
    }
}

pub enum Detect {
    Parser(StreamParser),
    NeedMore,
    Unknown,
}

/// DICOM's registered ports (IANA 104 and 11112) and the common alternative 4242.
pub const DICOM_PORTS: [u16; 3] = [104, 11112, 4242];

/// Choose a dissector for a TCP direction from its first bytes (and ports where content is ambiguous).
pub fn detect_stream(d: &[u8], sport: u16, dport: u16) -> Detect {
    use StreamParser as P;
    if d.len() < 4 {
        return Detect::NeedMore;
    }
    if d.starts_with(b"SSH-") {
        return Detect::Parser(P::Banner(banner::Stream {
            kind: banner::Kind::Ssh,
        }));
    }
    if sport == 23 || dport == 23 {
        let kind = if sport == 23 {
            banner::Kind::TelnetServer
        } else {
            banner::Kind::TelnetClient
        };
        return Detect::Parser(P::Banner(banner::Stream { kind }));
    }
    if sport == 21 || dport == 21 {
        let kind = if sport == 21 {
            banner::Kind::FtpServer
        } else {
            banner::Kind::FtpClient
        };
        return Detect::Parser(P::Banner(banner::Stream { kind }));
    }
    // DICOM upper-layer PDU header: type 1..7, reserved 0, length; associate PDUs carry version 1.
    if (1..=7).contains(&d[0]) && d[1] == 0 {
        if d.len() < 8 {
            return Detect::NeedMore;
        }
        let len = be32(d, 2).unwrap_or(u32::MAX) as usize;
        let assoc = d[0] <= 2 && be16(d, 6) == Some(1) && len >= 68;
        let dicom_port = DICOM_PORTS.contains(&sport) || DICOM_PORTS.contains(&dport);
        if len <= dicom::MAX_PDU_LEN && (assoc || dicom_port) {
            return Detect::Parser(P::Dicom(dicom::Stream::default()));
        }
    }
    if d[0] == 0x0b && (d[1..4] == *b"MSH" || d[1..4] == *b"FHS" || d[1..4] == *b"BHS")
        || d.starts_with(b"MSH|")
    {
        return Detect::Parser(P::Hl7(hl7::Stream::default()));
    }
    if d[0] == 22 && d[1] == 3 && d[2] <= 4 {
        return Detect::Parser(P::Tls(tls::Stream::default()));
    }
    if http::is_request(d) || d.starts_with(b"HTTP/1.") {
        return Detect::Parser(P::Http(http::Stream::default()));
    }
    if d[0] == 0 && d.len() >= 8 && (d[4..8] == *b"\xffSMB" || d[4..8] == *b"\xfeSMB") {
        return Detect::Parser(P::Smb(smb::Stream::default()));
    }
    if d[0] == 0 && d.len() < 8 && (sport == 445 || dport == 445 || sport == 139 || dport == 139) {
        return Detect::NeedMore;
    }
    let xml = d
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .is_some_and(|i| d[i] == b'<');
    if xml && (find(d, b"<HEL.R01").is_some() || d.starts_with(b"<?xml")) {
        return Detect::Parser(P::Poct(poct::Stream));
    }
    Detect::Unknown
}
