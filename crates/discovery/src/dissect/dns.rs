//! DNS-shaped protocols: mDNS (host names, service instances, model TXT keys), unicast DNS answers
//! (remembered to match registered remote-maintenance host names), NetBIOS name service and datagram
//! source names.

use super::{be16, Event, Out, Proto, Who};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Most compression pointers followed while reading one name.
pub const MAX_NAME_POINTERS: usize = 16;
/// Most resource records read from one message.
pub const MAX_RECORDS: usize = 64;
/// Longest name assembled (RFC 1035: 255).
pub const MAX_NAME_LEN: usize = 255;

/// Read a (possibly compressed) name at `at`; returns the labels joined by '.', and the offset after
/// the name in the original position.
pub(crate) fn read_name(msg: &[u8], mut at: usize) -> Option<(Vec<Vec<u8>>, usize)> {
    let mut labels = Vec::new();
    let mut total = 0;
    let mut end = None;
    let mut jumps = 0;
    loop {
        let len = *msg.get(at)?;
        match len & 0xC0 {
            0x00 => {
                if len == 0 {
                    let after = end.unwrap_or(at + 1);
                    return Some((labels, after));
                }
                let l = msg.get(at + 1..at + 1 + usize::from(len))?;
                total += l.len() + 1;
                if total > MAX_NAME_LEN {
                    return None;
                }
                labels.push(l.to_vec());
                at += 1 + usize::from(len);
            }
            0xC0 => {
                let ptr = usize::from(be16(msg, at)? & 0x3FFF);
                if end.is_none() {
                    end = Some(at + 2);
                }
                jumps += 1;
                if jumps > MAX_NAME_POINTERS {
                    return None;
                }
                at = ptr;
            }
            _ => return None,
        }
    }
}

fn join(labels: &[Vec<u8>]) -> Vec<u8> {
    let mut v = Vec::new();
    for (i, l) in labels.iter().enumerate() {
        if i > 0 {
            v.push(b'.');
        }
        v.extend_from_slice(l);
    }
    v
}

pub(crate) struct Record<'a> {
    pub name: Vec<Vec<u8>>,
    pub rtype: u16,
    pub rdata: &'a [u8],
    pub rdata_at: usize,
}

pub(crate) struct Message<'a> {
    pub flags: u16,
    pub questions: Vec<Vec<Vec<u8>>>,
    /// Answer, authority and additional records.
    pub records: Vec<Record<'a>>,
}

pub(crate) fn parse(msg: &[u8]) -> Option<Message<'_>> {
    let flags = be16(msg, 2)?;
    let qd = usize::from(be16(msg, 4)?);
    let rr = usize::from(be16(msg, 6)?) + usize::from(be16(msg, 8)?) + usize::from(be16(msg, 10)?);
    let mut at = 12;
    let mut questions = Vec::new();
    for _ in 0..qd.min(MAX_RECORDS) {
        let (n, after) = read_name(msg, at)?;
        questions.push(n);
        at = after + 4;
    }
    let mut records = Vec::new();
    for _ in 0..rr.min(MAX_RECORDS) {
        let Some((name, after)) = read_name(msg, at) else {
            break;
        };
        let (Some(rtype), Some(rdlen)) = (be16(msg, after), be16(msg, after + 8)) else {
            break;
        };
        let rdata_at = after + 10;
        let Some(rdata) = msg.get(rdata_at..rdata_at + usize::from(rdlen)) else {
            break;
        };
        records.push(Record {
            name,
            rtype,
            rdata,
            rdata_at,
        });
        at = rdata_at + usize::from(rdlen);
    }
    Some(Message {
        flags,
        questions,
        records,
    })
}

fn rdata_ip(r: &Record<'_>) -> Option<IpAddr> {
    match (r.rtype, r.rdata.len()) {
        (1, 4) => Some(IpAddr::V4(Ipv4Addr::from(
            <[u8; 4]>::try_from(r.rdata).ok()?,
        ))),
        (28, 16) => Some(IpAddr::V6(Ipv6Addr::from(
            <[u8; 16]>::try_from(r.rdata).ok()?,
        ))),
        _ => None,
    }
}

/// mDNS: responses name their sender's host (A/AAAA), service instances (PTR) and often the model
/// (TXT `md=`, `model=`, `ty=`, `usb_MDL=`).
pub fn dissect_mdns(data: &[u8], src: IpAddr, out: &mut Out) {
    let Some(m) = parse(data) else { return };
    out.speaks(Who::Src, Proto::Mdns);
    if m.flags & 0x8000 == 0 {
        return;
    }
    for r in &m.records {
        match r.rtype {
            1 | 28 => {
                if let Some(ip) = rdata_ip(r) {
                    let who = if ip == src { Who::Src } else { Who::Ip(ip) };
                    out.ident(
                        who,
                        Proto::Mdns,
                        "A/AAAA record name",
                        "mdns_name",
                        &join(&r.name),
                        0.8,
                    );
                }
            }
            12 => {
                if let Some((inst, _)) = read_name(data, r.rdata_at) {
                    if inst.len() >= 3 {
                        out.ident(
                            Who::Src,
                            Proto::Mdns,
                            "PTR record target",
                            "mdns_service",
                            &join(&inst),
                            0.7,
                        );
                    }
                }
            }
            16 => {
                let mut at = 0;
                while let Some(&l) = r.rdata.get(at) {
                    let Some(s) = r.rdata.get(at + 1..at + 1 + usize::from(l)) else {
                        break;
                    };
                    if let Some(eq) = s.iter().position(|&b| b == b'=') {
                        let key = &s[..eq];
                        if [&b"md"[..], b"model", b"ty", b"usb_MDL"]
                            .iter()
                            .any(|k| key.eq_ignore_ascii_case(k))
                        {
                            out.ident(
                                Who::Src,
                                Proto::Mdns,
                                "TXT record model key",
                                "mdns_model",
                                &s[eq + 1..],
                                0.7,
                            );
                        }
                    }
                    at += 1 + usize::from(l);
                }
            }
            _ => {}
        }
    }
}

/// Unicast DNS responses: remember which names resolved to which addresses.
pub fn dissect_dns_answers(data: &[u8], out: &mut Out) {
    let Some(m) = parse(data) else { return };
    if m.flags & 0x8000 == 0 {
        return;
    }
    let question = m.questions.first().map(|q| join(q));
    for r in &m.records {
        if let Some(ip) = rdata_ip(r) {
            for n in [Some(join(&r.name)), question.clone()]
                .into_iter()
                .flatten()
            {
                if let Some(name) = super::clean(&n) {
                    out.events.push(Event::Resolved { name, ip });
                }
            }
        }
    }
}

/// Decode a NetBIOS first-level encoded name (32 letters 'A'..'P'): name without padding, suffix.
fn netbios_name(label: &[u8]) -> Option<(Vec<u8>, u8)> {
    if label.len() != 32 {
        return None;
    }
    let mut out = Vec::with_capacity(16);
    for pair in label.chunks_exact(2) {
        let hi = pair[0].checked_sub(b'A')?;
        let lo = pair[1].checked_sub(b'A')?;
        if hi > 15 || lo > 15 {
            return None;
        }
        out.push((hi << 4) | lo);
    }
    let suffix = out[15];
    out.truncate(15);
    while out.last() == Some(&b' ') {
        out.pop();
    }
    Some((out, suffix))
}

/// NetBIOS name service: registrations and positive responses name a host (unique names) or its
/// workgroup (group names).
pub fn dissect_nbns(data: &[u8], out: &mut Out) {
    let Some(m) = parse(data) else { return };
    out.speaks(Who::Src, Proto::Netbios);
    let opcode = (m.flags >> 11) & 0xF;
    let response = m.flags & 0x8000 != 0;
    for r in &m.records {
        if r.rtype != 0x20 || r.rdata.len() < 6 {
            continue;
        }
        let Some((name, _suffix)) = r.name.first().and_then(|l| netbios_name(l)) else {
            continue;
        };
        let group = r.rdata[0] & 0x80 != 0;
        let ip = IpAddr::V4(Ipv4Addr::new(
            r.rdata[2], r.rdata[3], r.rdata[4], r.rdata[5],
        ));
        let ident = if group {
            "netbios_workgroup"
        } else {
            "netbios_name"
        };
        // Registration/refresh (5, 8, 9) requests and positive query responses (0).
        if (!response && matches!(opcode, 5 | 8 | 9)) || (response && opcode == 0) {
            out.ident(
                Who::Ip(ip),
                Proto::Netbios,
                "NB record name",
                ident,
                &name,
                0.8,
            );
        }
    }
}

/// NetBIOS datagram service: the source name of direct/broadcast datagrams.
pub fn dissect_nbdgm(data: &[u8], out: &mut Out) {
    let Some(&t) = data.first() else { return };
    if !(0x10..=0x12).contains(&t) {
        return;
    }
    out.speaks(Who::Src, Proto::Netbios);
    if let Some((labels, _)) = read_name(data, 14) {
        if let Some((name, _)) = labels.first().and_then(|l| netbios_name(l)) {
            out.ident(
                Who::Src,
                Proto::Netbios,
                "datagram source name",
                "netbios_name",
                &name,
                0.8,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(n: &str) -> Vec<u8> {
        let mut v = Vec::new();
        for l in n.split('.') {
            v.push(l.len() as u8);
            v.extend_from_slice(l.as_bytes());
        }
        v.push(0);
        v
    }

    #[test]
    fn mdns_response_with_pointer_and_txt() {
        let mut m = vec![0, 0, 0x84, 0, 0, 0, 0, 3, 0, 0, 0, 0];
        let host_at = m.len();
        m.extend(name("us-scanner.local"));
        m.extend([0, 1, 0x80, 1, 0, 0, 0, 120, 0, 4, 10, 0, 0, 7]);
        m.extend(name("_http._tcp.local"));
        m.extend([0, 12, 0, 1, 0, 0, 0, 120, 0, 2, 0xC0, host_at as u8]);
        m.extend([0xC0, host_at as u8, 0, 16, 0, 1, 0, 0, 0, 120, 0, 9, 8]);
        m.extend(b"md=LOGIQ");
        let mut out = Out::default();
        dissect_mdns(&m, "10.0.0.7".parse().unwrap(), &mut out);
        let vals: Vec<(&str, String)> = out
            .events
            .iter()
            .filter_map(|e| match e {
                Event::Ident { ident, value, .. } => Some((*ident, value.clone())),
                _ => None,
            })
            .collect();
        assert!(vals.contains(&("mdns_name", "us-scanner.local".into())));
        // A PTR target with fewer than three labels is not a service instance.
        assert!(vals.iter().all(|v| v.0 != "mdns_service"));
        assert!(vals.contains(&("mdns_model", "LOGIQ".into())));
    }

    #[test]
    fn pointer_loop_is_rejected() {
        let m = [0, 0, 0x84, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12];
        assert!(read_name(&m, 12).is_none());
        let mut out = Out::default();
        dissect_mdns(&m, "10.0.0.1".parse().unwrap(), &mut out);
    }

    #[test]
    fn netbios_registration() {
        let enc: Vec<u8> = b"PACS01         \x20"
            .iter()
            .flat_map(|b| [b'A' + (b >> 4), b'A' + (b & 15)])
            .collect();
        let mut m = vec![0, 1, 0x29, 0x10, 0, 1, 0, 0, 0, 0, 0, 1, 32];
        m.extend(&enc);
        m.extend([0, 0, 0x20, 0, 1]);
        m.extend([
            0xC0, 12, 0, 0x20, 0, 1, 0, 0, 0, 0, 0, 6, 0x00, 0x00, 10, 1, 1, 9,
        ]);
        let mut out = Out::default();
        dissect_nbns(&m, &mut out);
        assert!(out.events.iter().any(|e| matches!(e, Event::Ident { ident: "netbios_name", value, who: Who::Ip(ip), .. } if value == "PACS01" && ip.to_string() == "10.1.1.9")));
    }
}
