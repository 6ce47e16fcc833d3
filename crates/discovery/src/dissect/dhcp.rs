//! DHCP (BOOTP): client hostname (option 12), vendor class (60), parameter request list (55) as a
//! fingerprint, requested/assigned address bindings.

use super::{Event, Out, Proto, Who};
use crate::net::Mac;
use std::net::{IpAddr, Ipv4Addr};

const COOKIE: [u8; 4] = [99, 130, 83, 99];

fn v4(b: &[u8]) -> Option<Ipv4Addr> {
    Some(Ipv4Addr::from(<[u8; 4]>::try_from(b.get(..4)?).ok()?))
}

pub fn dissect(data: &[u8], out: &mut Out) {
    if data.len() < 240 || data[236..240] != COOKIE || data[1] != 1 || data[2] != 6 {
        return;
    }
    let op = data[0];
    let Some(mac) = Mac::from_slice(&data[28..34]).filter(|m| m.is_device()) else {
        return;
    };
    let ciaddr = v4(&data[12..16]).filter(|a| !a.is_unspecified());
    let yiaddr = v4(&data[16..20]).filter(|a| !a.is_unspecified());
    let mut msg_type = 0u8;
    let mut requested = None;
    let client = Who::Mac(mac);
    let mut at = 240;
    let mut idents: Vec<(&'static str, &'static str, Vec<u8>)> = Vec::new();
    while at < data.len() {
        let code = data[at];
        if code == 0 {
            at += 1;
            continue;
        }
        if code == 255 {
            break;
        }
        let Some(&len) = data.get(at + 1) else { break };
        let Some(v) = data.get(at + 2..at + 2 + usize::from(len)) else {
            break;
        };
        match code {
            53 if len == 1 => msg_type = v[0],
            50 if len == 4 => requested = v4(v),
            12 => idents.push(("option 12 (host name)", "dhcp_hostname", v.to_vec())),
            60 => idents.push((
                "option 60 (vendor class identifier)",
                "dhcp_vendor_class",
                v.to_vec(),
            )),
            55 => {
                let list = v
                    .iter()
                    .map(|b| b.to_string())
                    .collect::<Vec<_>>()
                    .join(",");
                idents.push((
                    "option 55 (parameter request list)",
                    "dhcp_parameter_request_list",
                    list.into_bytes(),
                ));
            }
            81 if len > 3 => idents.push((
                "option 81 (client FQDN)",
                "dhcp_client_fqdn",
                v[3..].to_vec(),
            )),
            _ => {}
        }
        at += 2 + usize::from(len);
    }
    if op == 1 {
        out.speaks(client, Proto::Dhcp);
        for (field, ident, v) in idents {
            out.ident(client, Proto::Dhcp, field, ident, &v, 0.9);
        }
        if let Some(c) = ciaddr {
            out.events.push(Event::Bind {
                mac,
                ip: IpAddr::V4(c),
                protocol: Proto::Dhcp,
                confidence: 0.9,
            });
        } else if let (Some(r), 3) = (requested, msg_type) {
            out.events.push(Event::Bind {
                mac,
                ip: IpAddr::V4(r),
                protocol: Proto::Dhcp,
                confidence: 0.5,
            });
        }
    } else if op == 2 {
        out.speaks(Who::Src, Proto::Dhcp);
        // DHCPACK (5): the server confirms the client's address.
        if let (Some(y), 5) = (yiaddr, msg_type) {
            out.events.push(Event::Bind {
                mac,
                ip: IpAddr::V4(y),
                protocol: Proto::Dhcp,
                confidence: 0.95,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::synth::dhcp_request;

    #[test]
    fn hostname_vendor_class_and_prl() {
        let p = dhcp_request(
            Mac([0, 0x1b, 0x21, 1, 2, 3]),
            &[
                (12, b"ICU-MON-07"),
                (60, b"MSFT 5.0"),
                (55, &[1, 3, 6, 15]),
                (50, &[10, 1, 2, 3]),
            ],
        );
        let mut out = Out::default();
        dissect(&p, &mut out);
        let got: Vec<(String, String)> = out
            .events
            .iter()
            .filter_map(|e| match e {
                Event::Ident {
                    ident,
                    value,
                    who: Who::Mac(_),
                    ..
                } => Some((ident.to_string(), value.clone())),
                _ => None,
            })
            .collect();
        assert!(got.contains(&("dhcp_hostname".into(), "ICU-MON-07".into())));
        assert!(got.contains(&("dhcp_vendor_class".into(), "MSFT 5.0".into())));
        assert!(got.contains(&("dhcp_parameter_request_list".into(), "1,3,6,15".into())));
        assert!(out.events.iter().any(|e| matches!(e, Event::Bind { ip, confidence, .. } if ip.to_string() == "10.1.2.3" && *confidence < 0.6)));
        // Option running past the end stops parsing without panicking.
        let mut bad = p.clone();
        bad.truncate(245);
        let mut out = Out::default();
        dissect(&bad, &mut out);
    }
}
