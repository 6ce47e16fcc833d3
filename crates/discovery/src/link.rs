//! Link layers: Ethernet (with 802.1Q/802.1ad VLAN tags), Linux cooked capture v1/v2, raw IP,
//! BSD loopback (NULL and LOOP). Decoding yields the MAC addresses when the link has them (none on
//! loopback or raw IP) and the network-layer payload.

use crate::net::Mac;
use serde::Serialize;

/// A capture's link type (pcap LINKTYPE_* numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkType {
    /// BSD loopback, address family in host byte order (LINKTYPE_NULL, 0).
    Null,
    /// LINKTYPE_ETHERNET (1).
    Ethernet,
    /// Raw IPv4 or IPv6 (LINKTYPE_RAW 101; also 12/14 written by some systems).
    Raw,
    /// OpenBSD loopback, address family in network byte order (LINKTYPE_LOOP, 108).
    Loop,
    /// Linux cooked capture v1 (LINKTYPE_LINUX_SLL, 113).
    LinuxSll,
    /// Linux cooked capture v2 (LINKTYPE_LINUX_SLL2, 276).
    LinuxSll2,
    /// LINKTYPE_IPV4 (228).
    Ipv4,
    /// LINKTYPE_IPV6 (229).
    Ipv6,
    /// Anything else: packets are counted but not decoded.
    Other(u32),
}

impl LinkType {
    pub fn from_linktype(v: u32) -> LinkType {
        match v {
            0 => LinkType::Null,
            1 => LinkType::Ethernet,
            12 | 14 | 101 => LinkType::Raw,
            108 => LinkType::Loop,
            113 => LinkType::LinuxSll,
            276 => LinkType::LinuxSll2,
            228 => LinkType::Ipv4,
            229 => LinkType::Ipv6,
            o => LinkType::Other(o),
        }
    }
    pub fn linktype(&self) -> u32 {
        match self {
            LinkType::Null => 0,
            LinkType::Ethernet => 1,
            LinkType::Raw => 101,
            LinkType::Loop => 108,
            LinkType::LinuxSll => 113,
            LinkType::LinuxSll2 => 276,
            LinkType::Ipv4 => 228,
            LinkType::Ipv6 => 229,
            LinkType::Other(o) => *o,
        }
    }
}

pub const ETHERTYPE_IPV4: u16 = 0x0800;
pub const ETHERTYPE_ARP: u16 = 0x0806;
pub const ETHERTYPE_IPV6: u16 = 0x86DD;
/// Most VLAN tags unwrapped (QinQ is two).
pub const MAX_VLAN_TAGS: usize = 4;

/// What the link layer carried.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    pub src_mac: Option<Mac>,
    pub dst_mac: Option<Mac>,
    pub vlan: Option<u16>,
    pub ethertype: u16,
    pub payload: &'a [u8],
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn ip_by_version(p: &[u8]) -> u16 {
    match p.first().map(|b| b >> 4) {
        Some(4) => ETHERTYPE_IPV4,
        Some(6) => ETHERTYPE_IPV6,
        _ => 0,
    }
}

fn bsd_family(f: u32) -> u16 {
    match f {
        2 => ETHERTYPE_IPV4,
        10 | 24 | 28 | 30 => ETHERTYPE_IPV6,
        _ => 0,
    }
}

/// Decode the link layer. `None` when the frame is too short or the link type is not supported.
pub fn decode(link: LinkType, frame: &[u8]) -> Option<Frame<'_>> {
    match link {
        LinkType::Ethernet => {
            let dst = Mac::from_slice(frame.get(0..6)?)?;
            let src = Mac::from_slice(frame.get(6..12)?)?;
            let mut et = be16(frame, 12)?;
            let mut at = 14;
            let mut vlan = None;
            let mut tags = 0;
            while (et == 0x8100 || et == 0x88A8 || et == 0x9100) && tags < MAX_VLAN_TAGS {
                let tci = be16(frame, at)?;
                vlan.get_or_insert(tci & 0x0FFF);
                et = be16(frame, at + 2)?;
                at += 4;
                tags += 1;
            }
            Some(Frame {
                src_mac: Some(src),
                dst_mac: Some(dst),
                vlan,
                ethertype: et,
                payload: frame.get(at..)?,
            })
        }
        LinkType::LinuxSll => {
            let hatype = be16(frame, 2)?;
            let alen = be16(frame, 4)?;
            let et = be16(frame, 14)?;
            let src = if hatype == 1 && alen == 6 {
                Mac::from_slice(frame.get(6..12)?)
            } else {
                None
            };
            Some(Frame {
                src_mac: src,
                dst_mac: None,
                vlan: None,
                ethertype: et,
                payload: frame.get(16..)?,
            })
        }
        LinkType::LinuxSll2 => {
            let et = be16(frame, 0)?;
            let hatype = be16(frame, 8)?;
            let alen = *frame.get(11)?;
            let src = if hatype == 1 && alen == 6 {
                Mac::from_slice(frame.get(12..18)?)
            } else {
                None
            };
            Some(Frame {
                src_mac: src,
                dst_mac: None,
                vlan: None,
                ethertype: et,
                payload: frame.get(20..)?,
            })
        }
        LinkType::Raw => Some(Frame {
            src_mac: None,
            dst_mac: None,
            vlan: None,
            ethertype: ip_by_version(frame),
            payload: frame,
        }),
        LinkType::Ipv4 | LinkType::Ipv6 => Some(Frame {
            src_mac: None,
            dst_mac: None,
            vlan: None,
            ethertype: if link == LinkType::Ipv4 {
                ETHERTYPE_IPV4
            } else {
                ETHERTYPE_IPV6
            },
            payload: frame,
        }),
        LinkType::Null | LinkType::Loop => {
            let raw: [u8; 4] = frame.get(0..4)?.try_into().ok()?;
            let et = if link == LinkType::Loop {
                bsd_family(u32::from_be_bytes(raw))
            } else {
                // Host byte order of the capturing machine: try both.
                match bsd_family(u32::from_le_bytes(raw)) {
                    0 => bsd_family(u32::from_be_bytes(raw)),
                    e => e,
                }
            };
            let payload = frame.get(4..)?;
            Some(Frame {
                src_mac: None,
                dst_mac: None,
                vlan: None,
                ethertype: if et == 0 { ip_by_version(payload) } else { et },
                payload,
            })
        }
        LinkType::Other(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ethernet_with_two_vlan_tags() {
        let mut f = vec![0xff; 6];
        f.extend([0x00, 0x11, 0x22, 0x33, 0x44, 0x55]);
        f.extend([
            0x88, 0xA8, 0x00, 0x64, 0x81, 0x00, 0x00, 0x0A, 0x08, 0x00, 0x45,
        ]);
        let d = decode(LinkType::Ethernet, &f).unwrap();
        assert_eq!(d.ethertype, ETHERTYPE_IPV4);
        assert_eq!(d.vlan, Some(100));
        assert_eq!(d.payload, &[0x45]);
        assert_eq!(d.src_mac.unwrap().to_string(), "00:11:22:33:44:55");
    }

    #[test]
    fn null_loopback_both_orders_and_sll() {
        let le = [2, 0, 0, 0, 0x45];
        assert_eq!(
            decode(LinkType::Null, &le).unwrap().ethertype,
            ETHERTYPE_IPV4
        );
        let be = [0, 0, 0, 30, 0x60];
        assert_eq!(
            decode(LinkType::Null, &be).unwrap().ethertype,
            ETHERTYPE_IPV6
        );
        let mut sll = vec![0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x06];
        sll.push(0);
        let d = decode(LinkType::LinuxSll, &sll).unwrap();
        assert_eq!(d.ethertype, ETHERTYPE_ARP);
        assert_eq!(d.src_mac.unwrap().0, [1, 2, 3, 4, 5, 6]);
        let mut sll2 = vec![
            0x86, 0xDD, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 9, 8, 7, 6, 5, 4, 0, 0,
        ];
        sll2.push(0x60);
        let d = decode(LinkType::LinuxSll2, &sll2).unwrap();
        assert_eq!(d.ethertype, ETHERTYPE_IPV6);
        assert_eq!(d.src_mac.unwrap().0, [9, 8, 7, 6, 5, 4]);
        assert!(decode(LinkType::Ethernet, &[1, 2, 3]).is_none());
        assert!(decode(LinkType::Other(147), &[1, 2, 3]).is_none());
    }
}
