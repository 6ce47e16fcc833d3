//! SSDP (UPnP discovery, UDP 1900): SERVER, LOCATION and USN headers of announcements and answers.

use super::{Out, Proto, Who};

/// Read `Name: value` header lines of an HTTP-shaped message (bounded to the head).
pub(crate) fn headers(data: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    let head_end = super::find(data, b"\r\n\r\n").unwrap_or(data.len());
    data[..head_end]
        .split(|&b| b == b'\n')
        .skip(1)
        .take(super::http::MAX_HEADERS)
        .filter_map(|line| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let c = line.iter().position(|&b| b == b':')?;
            Some((trim(&line[..c]), trim(&line[c + 1..])))
        })
}

pub(crate) fn trim(b: &[u8]) -> &[u8] {
    let s = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let e = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(s, |e| e + 1);
    &b[s..e.max(s)]
}

pub fn dissect(data: &[u8], out: &mut Out) {
    let notify = data.starts_with(b"NOTIFY ");
    let answer = data.starts_with(b"HTTP/1.");
    if !(notify || answer || data.starts_with(b"M-SEARCH ")) {
        return;
    }
    out.speaks(Who::Src, Proto::Ssdp);
    if !(notify || answer) {
        return;
    }
    for (k, v) in headers(data) {
        let (field, ident) = if k.eq_ignore_ascii_case(b"server") {
            ("SERVER", "ssdp_server")
        } else if k.eq_ignore_ascii_case(b"location") {
            ("LOCATION", "ssdp_location")
        } else if k.eq_ignore_ascii_case(b"usn") {
            ("USN", "ssdp_usn")
        } else {
            continue;
        };
        out.ident(Who::Src, Proto::Ssdp, field, ident, v, 0.8);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::Event;
    #[test]
    fn notify_headers() {
        let m = b"NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nServer: Linux/4.9 UPnP/1.0 InfusionHub/2.1\r\nLOCATION: http://10.2.0.4:8080/desc.xml\r\nUSN: uuid:1234::upnp:rootdevice\r\n\r\n";
        let mut out = Out::default();
        dissect(m, &mut out);
        let got: Vec<_> = out
            .events
            .iter()
            .filter_map(|e| match e {
                Event::Ident { ident, value, .. } => Some(format!("{ident}={value}")),
                _ => None,
            })
            .collect();
        assert_eq!(
            got,
            vec![
                "ssdp_server=Linux/4.9 UPnP/1.0 InfusionHub/2.1",
                "ssdp_location=http://10.2.0.4:8080/desc.xml",
                "ssdp_usn=uuid:1234::upnp:rootdevice"
            ]
        );
    }
}
