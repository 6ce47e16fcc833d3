//! ARP: the sender's (and a reply's target's) MAC/IPv4 binding.

use super::{Event, Out, Proto, Who};
use crate::net::Mac;
use std::net::{IpAddr, Ipv4Addr};

pub fn dissect(data: &[u8], out: &mut Out) {
    // htype 1 (Ethernet), ptype 0x0800, hlen 6, plen 4
    if data.len() < 28 || data[0..6] != [0, 1, 8, 0, 6, 4] {
        return;
    }
    let op = u16::from_be_bytes([data[6], data[7]]);
    let bind = |mac: &[u8], ip: &[u8], out: &mut Out, field: &'static str| {
        let (Some(m), Ok(a)) = (Mac::from_slice(mac), <[u8; 4]>::try_from(ip)) else {
            return;
        };
        let ip = IpAddr::V4(Ipv4Addr::from(a));
        if !m.is_device() || ip.is_unspecified() {
            return;
        }
        out.events.push(Event::Bind {
            mac: m,
            ip,
            protocol: Proto::Arp,
            confidence: 0.95,
        });
        out.ident(
            Who::Ip(ip),
            Proto::Arp,
            field,
            "mac",
            m.to_string().as_bytes(),
            0.95,
        );
    };
    bind(&data[8..14], &data[14..18], out, "sender hardware address");
    if op == 2 {
        bind(&data[18..24], &data[24..28], out, "target hardware address");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn arp_reply_binds_sender_and_target() {
        let mut p = vec![0, 1, 8, 0, 6, 4, 0, 2];
        p.extend([0x00, 0x09, 0xfb, 1, 2, 3, 10, 0, 0, 5]);
        p.extend([0x00, 0x1b, 0x21, 4, 5, 6, 10, 0, 0, 9]);
        let mut out = Out::default();
        dissect(&p, &mut out);
        let binds: Vec<_> = out
            .events
            .iter()
            .filter_map(|e| match e {
                Event::Bind { mac, ip, .. } => Some((mac.to_string(), ip.to_string())),
                _ => None,
            })
            .collect();
        assert_eq!(
            binds,
            vec![
                ("00:09:fb:01:02:03".to_string(), "10.0.0.5".to_string()),
                ("00:1b:21:04:05:06".to_string(), "10.0.0.9".to_string())
            ]
        );
        // ARP probe (sender 0.0.0.0) binds nothing; truncated input is ignored.
        let mut probe = p.clone();
        probe[6..8].copy_from_slice(&[0, 1]);
        probe[14..18].copy_from_slice(&[0, 0, 0, 0]);
        let mut out = Out::default();
        dissect(&probe, &mut out);
        assert!(out.events.is_empty());
        dissect(&p[..20], &mut out);
        assert!(out.events.is_empty());
    }
}
