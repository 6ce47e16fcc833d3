//! IEEE 11073 SDC discovery (WS-Discovery over UDP 3702): Hello, ProbeMatches and ResolveMatches
//! name the endpoint (EPR address), its types (`MedicalDevice` marks an SDC medical device), its
//! scopes (location context `sdc.ctxt.loc:`, MDS/component types) and transport addresses.

use super::{find, Out, Proto, Who};

/// Most elements of one local name read from one message.
pub const MAX_ELEMENTS: usize = 16;

/// Text content of elements with local name `local` (any namespace prefix), without nested markup.
pub(crate) fn elements<'a>(data: &'a [u8], local: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut at = 0;
    while out.len() < MAX_ELEMENTS {
        let Some(lt) = data
            .get(at..)
            .and_then(|d| d.iter().position(|&b| b == b'<'))
        else {
            break;
        };
        let start = at + lt + 1;
        let name_end = data[start..]
            .iter()
            .position(|&b| b == b'>' || b == b'/' || b.is_ascii_whitespace())
            .map(|p| start + p);
        let Some(name_end) = name_end else { break };
        let name = &data[start..name_end];
        let local_part = name.rsplit(|&b| b == b':').next().unwrap_or(name);
        at = name_end;
        if local_part != local {
            continue;
        }
        let Some(gt) = data[name_end..].iter().position(|&b| b == b'>') else {
            break;
        };
        let open_end = name_end + gt;
        if data.get(open_end.wrapping_sub(1)) == Some(&b'/') {
            continue; // empty element
        }
        let content_start = open_end + 1;
        let Some(close) = data.get(content_start..).and_then(|d| find(d, b"</")) else {
            break;
        };
        out.push(&data[content_start..content_start + close]);
        at = content_start + close;
    }
    out
}

pub fn dissect(data: &[u8], out: &mut Out) {
    let is = |n: &[u8]| find(data, n).is_some();
    if !is(b"Envelope") {
        return;
    }
    out.speaks(Who::Src, Proto::Sdc);
    if !(is(b"Hello") || is(b"ProbeMatch") || is(b"ResolveMatch")) {
        return;
    }
    for a in elements(data, b"Address").into_iter().take(1) {
        out.ident(
            Who::Src,
            Proto::Sdc,
            "EndpointReference/Address",
            "sdc_endpoint",
            a,
            0.9,
        );
    }
    for t in elements(data, b"Types") {
        for ty in t
            .split(|b| b.is_ascii_whitespace())
            .filter(|s| !s.is_empty())
        {
            out.ident(Who::Src, Proto::Sdc, "Types", "sdc_types", ty, 0.9);
        }
    }
    for s in elements(data, b"Scopes") {
        for scope in s
            .split(|b| b.is_ascii_whitespace())
            .filter(|s| !s.is_empty())
        {
            let ident = if scope.starts_with(b"sdc.ctxt.loc:") {
                "sdc_location"
            } else {
                "sdc_scope"
            };
            out.ident(Who::Src, Proto::Sdc, "Scopes", ident, scope, 0.8);
        }
    }
    for x in elements(data, b"XAddrs") {
        for a in x
            .split(|b| b.is_ascii_whitespace())
            .filter(|s| !s.is_empty())
        {
            out.ident(Who::Src, Proto::Sdc, "XAddrs", "sdc_xaddrs", a, 0.8);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::Event;
    #[test]
    fn hello_with_medical_device_type_and_location() {
        let m = br#"<?xml version="1.0"?><s12:Envelope xmlns:s12="http://www.w3.org/2003/05/soap-envelope" xmlns:wsd="http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01" xmlns:mdpws="http://standards.ieee.org/downloads/11073/11073-20702-2016"><s12:Header><wsa:Action>http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01/Hello</wsa:Action></s12:Header><s12:Body><wsd:Hello><wsa:EndpointReference><wsa:Address>urn:uuid:0a1b2c3d-0000-4000-8000-000000000001</wsa:Address></wsa:EndpointReference><wsd:Types>dpws:Device mdpws:MedicalDevice</wsd:Types><wsd:Scopes>sdc.ctxt.loc:/sdc.ctxt.loc.detail/HOSP1%2F%2F%2FICU%2F%2FBed3?fac=HOSP1&amp;poc=ICU&amp;bed=Bed3 sdc.mds.pkp:1.2.840.10004.20701.1.1</wsd:Scopes><wsd:XAddrs>https://10.3.0.21:6464/sdc</wsd:XAddrs><wsd:MetadataVersion>1</wsd:MetadataVersion></wsd:Hello></s12:Body></s12:Envelope>"#;
        let mut out = Out::default();
        dissect(m, &mut out);
        let got: Vec<String> = out
            .events
            .iter()
            .filter_map(|e| match e {
                Event::Ident { ident, value, .. } => Some(format!("{ident}={value}")),
                _ => None,
            })
            .collect();
        assert!(
            got.contains(&"sdc_types=mdpws:MedicalDevice".to_string()),
            "{got:?}"
        );
        assert!(
            got.contains(&"sdc_endpoint=urn:uuid:0a1b2c3d-0000-4000-8000-000000000001".to_string())
        );
        assert!(got
            .iter()
            .any(|g| g.starts_with("sdc_location=sdc.ctxt.loc:/")));
        assert!(got.contains(&"sdc_scope=sdc.mds.pkp:1.2.840.10004.20701.1.1".to_string()));
        assert!(got.contains(&"sdc_xaddrs=https://10.3.0.21:6464/sdc".to_string()));
    }
}
