//! HL7 v2 over MLLP (or bare): from MSH the sending application and facility (MSH-3/4), message type
//! (MSH-9), version (MSH-12), message profile (MSH-21) and an EUI-64 in MSH-3; OBX-18 equipment
//! instance identifiers; PRT-16 UDIs. Every other segment (PID, NK1, PV1, OBX values...) is skipped
//! by its three-letter name; its content is never read.

use super::{Feed, Out, Proto, Who};

/// Most messages dissected per stream direction.
pub const MAX_MESSAGES: usize = 64;
/// Most segments looked at per message.
pub const MAX_SEGMENTS: usize = 1000;
const START: u8 = 0x0b;
const END: u8 = 0x1c;

#[derive(Debug, Default)]
pub struct Stream {
    messages: usize,
}

impl Stream {
    pub fn feed(&mut self, buf: &[u8], fin: bool, out: &mut Out) -> Feed {
        let mut at = 0;
        loop {
            if self.messages >= MAX_MESSAGES {
                return Feed::done();
            }
            let Some(s) = buf[at..].iter().position(|&b| b == START || b == b'M') else {
                return Feed::more(buf.len());
            };
            let s = at + s;
            if buf[s] == b'M' && !buf[s..].starts_with(b"MSH") {
                if buf.len() - s < 3 && !fin {
                    return Feed::more(s);
                }
                at = s + 1;
                continue;
            }
            let body_start = if buf[s] == START { s + 1 } else { s };
            match buf[body_start..].iter().position(|&b| b == END) {
                Some(e) => {
                    message(&buf[body_start..body_start + e], out);
                    self.messages += 1;
                    at = body_start + e + 1;
                }
                None if fin => {
                    message(&buf[body_start..], out);
                    self.messages += 1;
                    return Feed::done();
                }
                None => return Feed::more(s),
            }
        }
    }
}

/// Dissect one HL7 v2 message (the bytes between MLLP start and end markers).
pub fn message(m: &[u8], out: &mut Out) {
    if !m.starts_with(b"MSH") || m.len() < 8 {
        return;
    }
    let fs = m[3];
    let cs = m[4];
    if fs.is_ascii_alphanumeric() || cs.is_ascii_alphanumeric() {
        return;
    }
    out.speaks(Who::Src, Proto::Hl7);
    for seg in m
        .split(|&b| b == b'\r' || b == b'\n')
        .filter(|s| !s.is_empty())
        .take(MAX_SEGMENTS)
    {
        let name = seg.get(..3).unwrap_or(&[]);
        match name {
            b"MSH" => msh(seg, fs, cs, out),
            b"OBX" => {
                if let Some(f) = seg.split(|&b| b == fs).nth(18) {
                    for rep in f.split(|&b| b == b'~') {
                        out.ident(
                            Who::Src,
                            Proto::Hl7,
                            "OBX-18 equipment instance identifier",
                            "hl7_equipment_id",
                            rep,
                            0.8,
                        );
                        eui64(rep, cs, "OBX-18", out);
                    }
                }
            }
            b"PRT" => {
                if let Some(f) = seg.split(|&b| b == fs).nth(16) {
                    for rep in f.split(|&b| b == b'~') {
                        out.ident(Who::Src, Proto::Hl7, "PRT-16 UDI", "udi", rep, 0.8);
                    }
                }
            }
            // PID, NK1, PV1, ORC, OBR, NTE, ... are never read.
            _ => {}
        }
    }
}

fn msh(seg: &[u8], fs: u8, cs: u8, out: &mut Out) {
    // MSH-1 is the separator itself, so MSH-n is split index n-1.
    let fields: Vec<&[u8]> = seg.split(|&b| b == fs).take(22).collect();
    let f = |n: usize| fields.get(n - 1).copied().unwrap_or(&[]);
    out.ident(
        Who::Src,
        Proto::Hl7,
        "MSH-3 sending application",
        "hl7_sending_application",
        f(3),
        0.9,
    );
    eui64(f(3), cs, "MSH-3", out);
    out.ident(
        Who::Src,
        Proto::Hl7,
        "MSH-4 sending facility",
        "hl7_sending_facility",
        f(4),
        0.8,
    );
    out.ident(
        Who::Src,
        Proto::Hl7,
        "MSH-9 message type",
        "hl7_message_type",
        f(9),
        0.9,
    );
    out.ident(
        Who::Src,
        Proto::Hl7,
        "MSH-12 version",
        "hl7_version",
        f(12),
        0.9,
    );
    out.ident(
        Who::Src,
        Proto::Hl7,
        "MSH-21 message profile",
        "hl7_message_profile",
        f(21),
        0.8,
    );
}

/// An HD/EI value whose type component says EUI-64: the universal id (HD) or entity id (EI).
fn eui64(v: &[u8], cs: u8, field: &'static str, out: &mut Out) {
    let comps: Vec<&[u8]> = v.split(|&b| b == cs).collect();
    for (i, c) in comps.iter().enumerate() {
        if c.eq_ignore_ascii_case(b"EUI-64") && i > 0 {
            let id = if field == "MSH-3" {
                comps[i - 1]
            } else {
                comps[0]
            };
            let hex: Vec<u8> = id
                .iter()
                .copied()
                .filter(|b| b.is_ascii_hexdigit())
                .collect();
            if hex.len() == 16 {
                let f = if field == "MSH-3" {
                    "MSH-3 universal id (EUI-64)"
                } else {
                    "OBX-18 entity id (EUI-64)"
                };
                out.ident(Who::Src, Proto::Hl7, f, "eui64", &hex, 0.9);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::Event;

    use crate::synth::mllp;

    pub const ORU: &str = "MSH|^~\\&|PUMP^0012A3FFFE456789^EUI-64|ICU|EMR|HOSP|20240101120000||ORU^R01^ORU_R01|123|P|2.6|||||||||IHE_PCD_001^IHE PCD^1.3.6.1.4.1.19376.1.6.1.1.1^ISO\rPID|1||7777^^^HOSP^MR||CANARY^TARO||19700101|M\rOBR|1|||69837^MDC_DEV_PUMP^MDC\rOBX|1|NM|0^MDC_ATTR_VOL^MDC||5|ml|||||R|||20240101||||0012A3FFFE456789^EUI-64~PUMP01^ACME\rPRT|1|||||||||||||||(01)00812345678901(21)SN123\r";

    fn idents(out: &Out) -> Vec<String> {
        out.events
            .iter()
            .filter_map(|e| match e {
                Event::Ident { ident, value, .. } => Some(format!("{ident}={value}")),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn msh_obx18_prt16() {
        let mut s = Stream::default();
        let mut out = Out::default();
        let data = mllp(ORU);
        assert_eq!(s.feed(&data[..50], false, &mut out), Feed::more(0));
        let f = s.feed(&data, false, &mut out);
        assert_eq!(f.consumed, data.len());
        let got = idents(&out);
        for want in [
            "hl7_sending_application=PUMP^0012A3FFFE456789^EUI-64",
            "eui64=0012A3FFFE456789",
            "hl7_sending_facility=ICU",
            "hl7_message_type=ORU^R01^ORU_R01",
            "hl7_version=2.6",
            "hl7_message_profile=IHE_PCD_001^IHE PCD^1.3.6.1.4.1.19376.1.6.1.1.1^ISO",
            "hl7_equipment_id=0012A3FFFE456789^EUI-64",
            "hl7_equipment_id=PUMP01^ACME",
            "udi=(01)00812345678901(21)SN123",
        ] {
            assert!(got.contains(&want.to_string()), "missing {want} in {got:?}");
        }
        let all = format!("{:?}", out.events);
        assert!(!all.contains("CANARY") && !all.contains("7777") && !all.contains("19700101"));
    }

    #[test]
    fn not_hl7() {
        let mut out = Out::default();
        message(b"MSHA|x", &mut out);
        message(b"MS", &mut out);
        assert!(out.events.is_empty());
    }
}
