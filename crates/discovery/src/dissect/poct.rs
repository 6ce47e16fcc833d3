//! POCT1-A (point-of-care testing devices, XML over TCP): the device hello HEL.R01 names the device
//! (DEV.device_id, vendor, model, serial, software version). Only the DEV element's attributes are
//! read; observation messages (OBS.R01, with patient results) are never looked into.

use super::{find, Feed, Out, Proto, Who};

/// The DEV.* attributes read, with identifier keys.
pub const DEV_FIELDS: [(&str, &str); 7] = [
    ("DEV.device_id", "poct1_device_id"),
    ("DEV.vendor_id", "poct1_vendor_id"),
    ("DEV.model_id", "poct1_model_id"),
    ("DEV.serial_id", "poct1_serial_number"),
    ("DEV.manufacturer_name", "poct1_manufacturer"),
    ("DEV.sw_version", "poct1_software_version"),
    ("DEV.device_name", "poct1_device_name"),
];

#[derive(Debug, Default)]
pub struct Stream;

impl Stream {
    pub fn feed(&mut self, buf: &[u8], fin: bool, out: &mut Out) -> Feed {
        let Some(h) = find(buf, b"<HEL.R01") else {
            return if fin { Feed::done() } else { Feed::more(0) };
        };
        let msg = &buf[h..];
        let end = match find(msg, b"</HEL.R01>") {
            Some(e) => e,
            None if fin => msg.len(),
            None => return Feed::more(0),
        };
        hello(&msg[..end], out);
        Feed::done()
    }
}

/// Read the DEV.* `V="..."` attributes of a HEL.R01 message.
pub fn hello(msg: &[u8], out: &mut Out) {
    out.speaks(Who::Src, Proto::Poct1a);
    for (el, ident) in DEV_FIELDS {
        let mut open = b"<".to_vec();
        open.extend(el.as_bytes());
        let Some(p) = find(msg, &open) else { continue };
        let after = &msg[p + open.len()..];
        // exact element name (not a longer one sharing the prefix)
        if !after
            .first()
            .is_some_and(|b| b.is_ascii_whitespace() || *b == b'>' || *b == b'/')
        {
            continue;
        }
        let tag_end = after.iter().position(|&b| b == b'>').unwrap_or(after.len());
        let tag = &after[..tag_end];
        if let Some(v) = find(tag, b"V=\"") {
            let val = &tag[v + 3..];
            let e = val.iter().position(|&b| b == b'"').unwrap_or(val.len());
            out.ident(Who::Src, Proto::Poct1a, el, ident, &val[..e], 0.9);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::Event;
    #[test]
    fn hello_device_fields() {
        let m = br#"<?xml version="1.0" encoding="utf-8"?><HEL.R01><HDR><HDR.control_id V="1"/><HDR.version_id V="POCT1"/></HDR><DEV><DEV.device_id V="BG-0042"/><DEV.vendor_id V="ACMEDX"/><DEV.model_id V="GlucoPro 3"/><DEV.serial_id V="SN-77"/><DEV.sw_version V="4.1.2"/></DEV><DCP><DCP.application_timeout V="30"/></DCP></HEL.R01>"#;
        let mut s = Stream;
        let mut out = Out::default();
        assert!(!s.feed(&m[..60], false, &mut out).done);
        assert!(s.feed(m, false, &mut out).done);
        let got: Vec<String> = out
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
                "poct1_device_id=BG-0042",
                "poct1_vendor_id=ACMEDX",
                "poct1_model_id=GlucoPro 3",
                "poct1_serial_number=SN-77",
                "poct1_software_version=4.1.2"
            ]
        );
    }
}
