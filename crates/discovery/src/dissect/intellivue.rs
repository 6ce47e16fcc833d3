//! Philips IntelliVue Data Export connect indications (UDP 24005). A monitor broadcasts one to
//! announce it accepts data export connections; we record the device's presence with the packet
//! as evidence and, when the attribute list carries the system model attribute (0x0928: two
//! length-prefixed labels, manufacturer and model), those strings.

use super::{be16, Out, Proto, Who};

/// System model attribute id in the Data Export attribute lists.
const ATTR_ID_MODEL: u16 = 0x0928;
/// Longest label accepted in the model attribute.
const MAX_LABEL: usize = 64;

pub fn dissect(data: &[u8], out: &mut Out) {
    if data.len() < 16 {
        return;
    }
    out.ident(
        Who::Src,
        Proto::Intellivue,
        "UDP 24005 datagram",
        "intellivue_data_export",
        b"connect indication",
        0.6,
    );
    // Look for the system model attribute: id, length, then two labels that fill it exactly.
    let mut at = 0;
    while at + 8 <= data.len() {
        if be16(data, at) == Some(ATTR_ID_MODEL) {
            if let Some(alen) = be16(data, at + 2).map(usize::from) {
                let v = at + 4;
                if let (Some(l1), true) = (be16(data, v).map(usize::from), alen >= 4) {
                    let l2_at = v + 2 + l1;
                    if let Some(l2) = be16(data, l2_at).map(usize::from) {
                        let fits = 2 + l1 + 2 + l2 == alen && l1 <= MAX_LABEL && l2 <= MAX_LABEL;
                        let m = data.get(v + 2..v + 2 + l1);
                        let n = data.get(l2_at + 2..l2_at + 2 + l2);
                        if let (true, Some(m), Some(n)) = (fits, m, n) {
                            let printable =
                                |s: &[u8]| s.iter().all(|&b| b == 0 || (0x20..0x7f).contains(&b));
                            if printable(m) && printable(n) {
                                let z =
                                    |s: &[u8]| s.split(|&b| b == 0).next().unwrap_or(&[]).to_vec();
                                out.ident(
                                    Who::Src,
                                    Proto::Intellivue,
                                    "system model (0x0928) manufacturer",
                                    "intellivue_manufacturer",
                                    &z(m),
                                    0.8,
                                );
                                out.ident(
                                    Who::Src,
                                    Proto::Intellivue,
                                    "system model (0x0928) model",
                                    "intellivue_model",
                                    &z(n),
                                    0.8,
                                );
                                return;
                            }
                        }
                    }
                }
            }
        }
        at += 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::Event;
    #[test]
    fn presence_and_model_attribute() {
        let mut d = vec![
            0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x40, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        d.extend([0x09, 0x28, 0x00, 0x10, 0x00, 0x06]);
        d.extend(b"Philip");
        d.extend([0x00, 0x06]);
        d.extend(b"MX800\0");
        let mut out = Out::default();
        dissect(&d, &mut out);
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
                "intellivue_data_export=connect indication",
                "intellivue_manufacturer=Philip",
                "intellivue_model=MX800"
            ]
        );
        let mut out = Out::default();
        dissect(&d[..10], &mut out);
        assert!(out.events.is_empty());
    }
}
