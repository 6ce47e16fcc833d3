//! Capture files: classic pcap (either byte order, micro- or nanosecond timestamps) and pcapng
//! (section header, interface description, enhanced/simple/obsolete packet blocks, several interfaces
//! with their own link type and timestamp resolution), chosen by the magic bytes.
//!
//! Reading streams: one packet in memory at a time, in a buffer reused from packet to packet, so a
//! 1 GB capture costs no more memory than a small one. Every length read from the file is checked
//! against a named limit before anything is allocated; errors name the file, the byte offset and the
//! packet number.

use crate::link::LinkType;
use std::io::{self, BufReader, Read};

/// Largest captured length accepted for one packet (libpcap's maximum snapshot length).
pub const MAX_PACKET_LEN: usize = 262_144;
/// Largest pcapng block read into memory (section header, interface description, packet blocks).
pub const MAX_BLOCK_LEN: usize = MAX_PACKET_LEN + 64 * 1024;
/// Largest pcapng block of another type (name resolution, statistics, secrets...) that is skipped
/// over. Skipping streams, so this bounds time spent on garbage, not memory.
pub const MAX_SKIPPED_BLOCK_LEN: u64 = 256 * 1024 * 1024;
/// Most interfaces one pcapng section may describe.
pub const MAX_INTERFACES: usize = 4096;
/// Read buffer size.
const READ_BUFFER: usize = 1 << 20;

const PCAPNG_SHB: u32 = 0x0A0D_0D0A;
const PCAPNG_BOM: u32 = 0x1A2B_3C4D;

#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The file is not a capture, or is damaged at `offset`.
    #[error("{file}: {}byte {offset}: {message}", packet.map(|p| format!("packet {p}, ")).unwrap_or_default())]
    Format {
        file: String,
        offset: u64,
        packet: Option<u64>,
        message: String,
    },
    #[error("{file}: byte {offset}: cannot read: {source}")]
    Io {
        file: String,
        offset: u64,
        #[source]
        source: io::Error,
    },
}

impl CaptureError {
    pub fn offset(&self) -> u64 {
        match self {
            CaptureError::Format { offset, .. } | CaptureError::Io { offset, .. } => *offset,
        }
    }
}

/// Which container the file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureFormat {
    Pcap { nanos: bool, big_endian: bool },
    PcapNg,
}

/// One packet, owned (what the iterator yields).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// 1-based, in file order (Wireshark's frame number).
    pub number: u64,
    /// Microseconds since the Unix epoch.
    pub ts_micros: i64,
    pub link_type: LinkType,
    pub data: Vec<u8>,
}

/// One packet borrowed from the reader's buffer (no copy); valid until the next read.
#[derive(Debug, Clone, Copy)]
pub struct PacketRef<'a> {
    pub number: u64,
    pub ts_micros: i64,
    pub link_type: LinkType,
    pub data: &'a [u8],
}

impl PacketRef<'_> {
    pub fn to_owned(&self) -> Packet {
        Packet {
            number: self.number,
            ts_micros: self.ts_micros,
            link_type: self.link_type,
            data: self.data.to_vec(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Interface {
    link_type: LinkType,
    snaplen: u32,
    /// Timestamp units: 10^-n when `binary` is false, 2^-n otherwise.
    resolution: u8,
    binary: bool,
    offset_secs: i64,
}

/// Streaming reader over a pcap or pcapng file.
pub struct CaptureReader<R: Read> {
    file: String,
    r: BufReader<R>,
    offset: u64,
    format: CaptureFormat,
    number: u64,
    buf: Vec<u8>,
    // classic pcap
    pcap_link: LinkType,
    // pcapng: byte order of the current section and its interfaces
    big_endian: bool,
    interfaces: Vec<Interface>,
    last_ts: i64,
    done: bool,
}

/// Open a capture: reads the magic bytes (and the pcap header or first pcapng section header).
pub fn read_capture<R: Read>(file_name: &str, r: R) -> Result<CaptureReader<R>, CaptureError> {
    let mut cr = CaptureReader {
        file: file_name.to_string(),
        r: BufReader::with_capacity(READ_BUFFER, r),
        offset: 0,
        format: CaptureFormat::PcapNg,
        number: 0,
        buf: Vec::new(),
        pcap_link: LinkType::Ethernet,
        big_endian: false,
        interfaces: Vec::new(),
        last_ts: 0,
        done: false,
    };
    let mut magic = [0u8; 4];
    match cr.fill(&mut magic)? {
        4 => {}
        0 => return Err(cr.err_at(0, "empty file: not a pcap or pcapng capture")),
        _ => return Err(cr.err_at(0, "file too short for a capture header")),
    }
    match magic {
        [0xd4, 0xc3, 0xb2, 0xa1] => cr.pcap_header(false, false)?,
        [0xa1, 0xb2, 0xc3, 0xd4] => cr.pcap_header(true, false)?,
        [0x4d, 0x3c, 0xb2, 0xa1] => cr.pcap_header(false, true)?,
        [0xa1, 0xb2, 0x3c, 0x4d] => cr.pcap_header(true, true)?,
        [0x0a, 0x0d, 0x0d, 0x0a] => {
            cr.format = CaptureFormat::PcapNg;
            cr.section_header()?;
        }
        [0x34, 0xcd, 0xb2, 0xa1] | [0xa1, 0xb2, 0xcd, 0x34] => {
            return Err(cr.err_at(
                0,
                "modified (Kuznetzov) pcap is not supported; convert it with editcap",
            ))
        }
        m => {
            return Err(cr.err_at(
                0,
                &format!(
                    "not a pcap or pcapng capture (magic bytes {:02x} {:02x} {:02x} {:02x})",
                    m[0], m[1], m[2], m[3]
                ),
            ))
        }
    }
    Ok(cr)
}

fn u16_at(b: &[u8], at: usize, be: bool) -> u16 {
    let mut a = [0u8; 2];
    if let Some(s) = b.get(at..at + 2) {
        a.copy_from_slice(s);
    }
    if be {
        u16::from_be_bytes(a)
    } else {
        u16::from_le_bytes(a)
    }
}

fn u32_at(b: &[u8], at: usize, be: bool) -> u32 {
    let mut a = [0u8; 4];
    if let Some(s) = b.get(at..at + 4) {
        a.copy_from_slice(s);
    }
    if be {
        u32::from_be_bytes(a)
    } else {
        u32::from_le_bytes(a)
    }
}

impl<R: Read> CaptureReader<R> {
    pub fn format(&self) -> CaptureFormat {
        self.format
    }
    pub fn file_name(&self) -> &str {
        &self.file
    }
    /// Bytes consumed so far (for progress bars).
    pub fn bytes_read(&self) -> u64 {
        self.offset
    }
    /// Packets returned so far.
    pub fn packets_read(&self) -> u64 {
        self.number
    }

    fn err_at(&self, offset: u64, message: &str) -> CaptureError {
        CaptureError::Format {
            file: self.file.clone(),
            offset,
            packet: None,
            message: message.to_string(),
        }
    }

    fn packet_err(&self, offset: u64, message: &str) -> CaptureError {
        CaptureError::Format {
            file: self.file.clone(),
            offset,
            packet: Some(self.number + 1),
            message: message.to_string(),
        }
    }

    /// Read as many bytes as available up to `out.len()`; returns the count (short only at EOF).
    fn fill(&mut self, out: &mut [u8]) -> Result<usize, CaptureError> {
        let mut n = 0;
        while n < out.len() {
            match self.r.read(&mut out[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(CaptureError::Io {
                        file: self.file.clone(),
                        offset: self.offset + n as u64,
                        source: e,
                    })
                }
            }
        }
        self.offset += n as u64;
        Ok(n)
    }

    /// Read exactly `out.len()` bytes or fail with "truncated" naming what was being read.
    fn exact(&mut self, out: &mut [u8], what: &str, start: u64) -> Result<(), CaptureError> {
        let n = self.fill(out)?;
        if n < out.len() {
            return Err(self.packet_err(
                start,
                &format!(
                    "file ends inside {what} ({} of {} bytes present)",
                    n,
                    out.len()
                ),
            ));
        }
        Ok(())
    }

    /// Read `len` bytes into the reusable buffer.
    fn read_into_buf(&mut self, len: usize, what: &str, start: u64) -> Result<(), CaptureError> {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        buf.resize(len, 0);
        let r = self.exact(&mut buf, what, start);
        self.buf = buf;
        r
    }

    fn skip(&mut self, mut len: u64, start: u64) -> Result<(), CaptureError> {
        let mut scratch = [0u8; 8192];
        while len > 0 {
            let k = len.min(scratch.len() as u64) as usize;
            self.exact(&mut scratch[..k], "a skipped block", start)?;
            len -= k as u64;
        }
        Ok(())
    }

    fn pcap_header(&mut self, be: bool, nanos: bool) -> Result<(), CaptureError> {
        self.format = CaptureFormat::Pcap {
            nanos,
            big_endian: be,
        };
        let mut h = [0u8; 20];
        self.exact(&mut h, "the pcap file header", 0)?;
        let major = u16_at(&h, 0, be);
        if major != 2 {
            return Err(self.err_at(4, &format!("unsupported pcap version {major}")));
        }
        let network = u32_at(&h, 16, be);
        // Bits 16..31 carry FCS information, not the link type.
        self.pcap_link = LinkType::from_linktype(network & 0xFFFF);
        Ok(())
    }

    /// Called with the 4-byte block type already read.
    fn section_header(&mut self) -> Result<(), CaptureError> {
        let start = self.offset - 4;
        let mut h = [0u8; 8];
        self.exact(&mut h, "a section header block", start)?;
        let bom_le = u32_at(&h, 4, false);
        let be = match bom_le {
            PCAPNG_BOM => false,
            0x4D3C_2B1A => true,
            _ => {
                return Err(self.err_at(
                    start + 8,
                    "pcapng section header has no valid byte-order magic",
                ))
            }
        };
        self.big_endian = be;
        let total = u32_at(&h, 0, be) as usize;
        if total < 28 || !total.is_multiple_of(4) || total > MAX_BLOCK_LEN {
            return Err(self.err_at(
                start + 4,
                &format!("pcapng section header length {total} is invalid (28..{MAX_BLOCK_LEN}, multiple of 4)"),
            ));
        }
        // version (4) + section length (8) + options + trailing length (4)
        self.read_into_buf(total - 12, "a section header block", start)?;
        let major = u16_at(&self.buf, 0, be);
        if major != 1 {
            return Err(self.err_at(start + 12, &format!("unsupported pcapng version {major}")));
        }
        let trailer = u32_at(&self.buf, total - 16, be) as usize;
        if trailer != total {
            return Err(self.err_at(start, "pcapng block lengths at start and end differ"));
        }
        self.interfaces.clear();
        Ok(())
    }

    /// The next packet, borrowed from the reader's buffer; `Ok(None)` at the end of the file.
    pub fn next_packet(&mut self) -> Result<Option<PacketRef<'_>>, CaptureError> {
        if self.done {
            return Ok(None);
        }
        let r = match self.format {
            CaptureFormat::Pcap { nanos, big_endian } => self.next_pcap(nanos, big_endian),
            CaptureFormat::PcapNg => self.next_pcapng(),
        };
        match r {
            Ok(Some((ts, lt, range))) => {
                self.number += 1;
                Ok(Some(PacketRef {
                    number: self.number,
                    ts_micros: ts,
                    link_type: lt,
                    data: self.buf.get(range).unwrap_or(&[]),
                }))
            }
            Ok(None) => {
                self.done = true;
                Ok(None)
            }
            Err(e) => {
                self.done = true;
                Err(e)
            }
        }
    }

    #[allow(clippy::type_complexity)]
    fn next_pcap(
        &mut self,
        nanos: bool,
        be: bool,
    ) -> Result<Option<(i64, LinkType, std::ops::Range<usize>)>, CaptureError> {
        let start = self.offset;
        let mut h = [0u8; 16];
        let n = self.fill(&mut h)?;
        if n == 0 {
            return Ok(None);
        }
        if n < 16 {
            return Err(self.packet_err(
                start,
                &format!("file ends inside a packet record header ({n} of 16 bytes present)"),
            ));
        }
        let secs = i64::from(u32_at(&h, 0, be));
        let frac = i64::from(u32_at(&h, 4, be));
        let incl = u32_at(&h, 8, be) as usize;
        if incl > MAX_PACKET_LEN {
            return Err(self.packet_err(
                start + 8,
                &format!("captured length {incl} is over the limit of {MAX_PACKET_LEN} bytes"),
            ));
        }
        let micros = if nanos { frac / 1000 } else { frac };
        self.read_into_buf(incl, "packet data", start)?;
        Ok(Some((
            secs.saturating_mul(1_000_000).saturating_add(micros),
            self.pcap_link,
            0..incl,
        )))
    }

    #[allow(clippy::type_complexity)]
    fn next_pcapng(
        &mut self,
    ) -> Result<Option<(i64, LinkType, std::ops::Range<usize>)>, CaptureError> {
        loop {
            let start = self.offset;
            let mut h = [0u8; 8];
            let n = self.fill(&mut h[..4])?;
            if n == 0 {
                return Ok(None);
            }
            if n < 4 {
                return Err(self.packet_err(start, "file ends inside a pcapng block header"));
            }
            let be = self.big_endian;
            let btype = u32_at(&h, 0, be);
            if btype == PCAPNG_SHB {
                self.section_header()?;
                continue;
            }
            self.exact(&mut h[4..8], "a pcapng block header", start)?;
            let total = u32_at(&h, 4, be) as u64;
            if total < 12 || !total.is_multiple_of(4) {
                return Err(self.packet_err(
                    start + 4,
                    &format!("pcapng block length {total} is invalid (at least 12, multiple of 4)"),
                ));
            }
            let body = (total - 12) as usize;
            match btype {
                1 | 2 | 3 | 6 => {
                    if total as usize > MAX_BLOCK_LEN {
                        return Err(self.packet_err(
                            start + 4,
                            &format!("pcapng block of {total} bytes is over the limit of {MAX_BLOCK_LEN}"),
                        ));
                    }
                    self.read_into_buf(body + 4, "a pcapng block", start)?;
                    let trailer = u32_at(&self.buf, body, be) as u64;
                    if trailer != total {
                        return Err(
                            self.packet_err(start, "pcapng block lengths at start and end differ")
                        );
                    }
                    match btype {
                        1 => self.interface_block(body, start)?,
                        2 | 6 => {
                            // EPB: iface(4) ts_hi(4) ts_lo(4) caplen(4) len(4)
                            // obsolete PB: iface(2) drops(2) ts_hi(4) ts_lo(4) caplen(4) len(4)
                            if body < 20 {
                                return Err(self.packet_err(start, "pcapng packet block too short"));
                            }
                            let iface = if btype == 6 {
                                u32_at(&self.buf, 0, be) as usize
                            } else {
                                usize::from(u16_at(&self.buf, 0, be))
                            };
                            let Some(ifc) = self.interfaces.get(iface).copied() else {
                                return Err(self.packet_err(
                                    start + 8,
                                    &format!("packet names interface {iface}, but the section describes {}", self.interfaces.len()),
                                ));
                            };
                            let hi = u64::from(u32_at(&self.buf, 4, be));
                            let lo = u64::from(u32_at(&self.buf, 8, be));
                            let caplen = u32_at(&self.buf, 12, be) as usize;
                            if caplen > MAX_PACKET_LEN || caplen > body - 20 {
                                return Err(self.packet_err(
                                    start + 20,
                                    &format!("captured length {caplen} does not fit the block ({} bytes) or the limit {MAX_PACKET_LEN}", body - 20),
                                ));
                            }
                            let ts = timestamp(&ifc, (hi << 32) | lo);
                            self.last_ts = ts;
                            return Ok(Some((ts, ifc.link_type, 20..20 + caplen)));
                        }
                        _ => {
                            // SPB: original length, then data up to the interface's snaplen.
                            if body < 4 {
                                return Err(
                                    self.packet_err(start, "pcapng simple packet block too short")
                                );
                            }
                            let Some(ifc) = self.interfaces.first().copied() else {
                                return Err(self.packet_err(
                                    start,
                                    "simple packet block before any interface description",
                                ));
                            };
                            let orig = u32_at(&self.buf, 0, be) as usize;
                            let mut caplen = orig.min(body - 4);
                            if ifc.snaplen > 0 {
                                caplen = caplen.min(ifc.snaplen as usize);
                            }
                            let caplen = caplen.min(MAX_PACKET_LEN);
                            return Ok(Some((self.last_ts, ifc.link_type, 4..4 + caplen)));
                        }
                    }
                }
                _ => {
                    if total > MAX_SKIPPED_BLOCK_LEN {
                        return Err(self.packet_err(
                            start + 4,
                            &format!("pcapng block of {total} bytes (type {btype:#x}) is over the limit of {MAX_SKIPPED_BLOCK_LEN}"),
                        ));
                    }
                    self.skip(total - 8, start)?;
                }
            }
        }
    }

    fn interface_block(&mut self, body: usize, start: u64) -> Result<(), CaptureError> {
        let be = self.big_endian;
        if body < 8 {
            return Err(self.packet_err(start, "pcapng interface description block too short"));
        }
        if self.interfaces.len() >= MAX_INTERFACES {
            return Err(self.packet_err(
                start,
                &format!("more than {MAX_INTERFACES} interfaces in one section"),
            ));
        }
        let mut ifc = Interface {
            link_type: LinkType::from_linktype(u32::from(u16_at(&self.buf, 0, be))),
            snaplen: u32_at(&self.buf, 4, be),
            resolution: 6,
            binary: false,
            offset_secs: 0,
        };
        let mut at = 8;
        while at + 4 <= body {
            let code = u16_at(&self.buf, at, be);
            let len = usize::from(u16_at(&self.buf, at + 2, be));
            let v = at + 4;
            if code == 0 || v + len > body {
                break;
            }
            match (code, len) {
                (9, 1) => {
                    let r = self.buf[v];
                    ifc.binary = r & 0x80 != 0;
                    ifc.resolution = r & 0x7f;
                }
                (14, 8) => {
                    let raw = if be {
                        i64::from_be_bytes(self.buf[v..v + 8].try_into().unwrap_or([0; 8]))
                    } else {
                        i64::from_le_bytes(self.buf[v..v + 8].try_into().unwrap_or([0; 8]))
                    };
                    ifc.offset_secs = raw;
                }
                _ => {}
            }
            at = v + len.div_ceil(4) * 4;
        }
        self.interfaces.push(ifc);
        Ok(())
    }
}

/// Convert a pcapng timestamp in interface units to microseconds since the epoch.
fn timestamp(ifc: &Interface, units: u64) -> i64 {
    let micros: u128 = if ifc.binary {
        let shift = u32::from(ifc.resolution.min(127));
        if shift >= 64 {
            0
        } else {
            (u128::from(units) * 1_000_000) >> shift
        }
    } else {
        let r = u32::from(ifc.resolution);
        if r <= 6 {
            u128::from(units) * 10u128.pow(6 - r)
        } else if r <= 38 {
            u128::from(units) / 10u128.pow(r - 6)
        } else {
            0
        }
    };
    let m = i64::try_from(micros).unwrap_or(i64::MAX);
    m.saturating_add(ifc.offset_secs.saturating_mul(1_000_000))
}

impl<R: Read> Iterator for CaptureReader<R> {
    type Item = Result<Packet, CaptureError>;
    fn next(&mut self) -> Option<Self::Item> {
        match self.next_packet() {
            Ok(Some(p)) => Some(Ok(p.to_owned())),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }
}
