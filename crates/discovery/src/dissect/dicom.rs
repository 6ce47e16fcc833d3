//! DICOM upper layer (PS3.8): A-ASSOCIATE-RQ/AC (called/calling AE titles, Implementation Class UID,
//! Implementation Version Name) and, from P-DATA carrying a C-STORE request, the equipment tags of
//! the dataset — and nothing else. Every other element (patient, study, pixel data...) is skipped by
//! its length without its value being read.

use super::{be16, be32, Feed, Out, Proto, Who};

/// Largest PDU length believed (bigger is not DICOM, or hostile).
pub const MAX_PDU_LEN: usize = 64 * 1024 * 1024;
/// Most dataset bytes collected from a C-STORE's data fragments (the equipment tags come early).
pub const MAX_DATASET_PREFIX: usize = 48 * 1024;
/// Most command-set bytes collected.
pub const MAX_COMMAND_LEN: usize = 4096;
/// Deepest sequence nesting walked while skipping.
pub const MAX_SEQUENCE_DEPTH: usize = 8;
/// Most elements visited in one dataset.
pub const MAX_ELEMENTS: usize = 10_000;

/// The only dataset elements ever read: (tag, identifier key, field name).
pub const EQUIPMENT_TAGS: [(u32, &str, &str); 6] = [
    (0x0008_0060, "dicom_modality", "(0008,0060) Modality"),
    (
        0x0008_0070,
        "dicom_manufacturer",
        "(0008,0070) Manufacturer",
    ),
    (
        0x0008_1010,
        "dicom_station_name",
        "(0008,1010) Station Name",
    ),
    (
        0x0008_1090,
        "dicom_model",
        "(0008,1090) Manufacturer's Model Name",
    ),
    (
        0x0018_1000,
        "dicom_serial_number",
        "(0018,1000) Device Serial Number",
    ),
    (
        0x0018_1020,
        "dicom_software_versions",
        "(0018,1020) Software Versions",
    ),
];
const LAST_EQUIPMENT_TAG: u32 = 0x0018_1020;

#[derive(Debug, Default)]
pub struct Stream {
    command: Vec<u8>,
    dataset: Vec<u8>,
    /// The current message is a C-STORE request: its data fragments are the dataset.
    in_store: bool,
    dataset_done: bool,
    association_seen: bool,
}

fn ae(b: &[u8]) -> &[u8] {
    let s = b
        .iter()
        .position(|&c| c != b' ' && c != 0)
        .unwrap_or(b.len());
    let e = b
        .iter()
        .rposition(|&c| c != b' ' && c != 0)
        .map_or(s, |e| e + 1);
    &b[s..e.max(s)]
}

impl Stream {
    pub fn feed(&mut self, buf: &[u8], fin: bool, out: &mut Out) -> Feed {
        let mut at = 0;
        while let Some(&ty) = buf.get(at) {
            let Some(len) = be32(buf, at + 2).map(|l| l as usize) else {
                break;
            };
            if buf.get(at + 1) != Some(&0) || !(1..=7).contains(&ty) || len > MAX_PDU_LEN {
                return Feed::done();
            }
            let end = at + 6 + len;
            let complete = end <= buf.len();
            if !(complete || (fin && ty == 4)) {
                break;
            }
            let body = &buf[at + 6..end.min(buf.len())];
            match ty {
                1 | 2 => self.associate(ty, body, out),
                4 => self.p_data(body, out),
                _ => out.speaks(Who::Src, Proto::Dicom),
            }
            if !complete {
                at = buf.len();
                break;
            }
            at = end;
            if self.dataset_done {
                return Feed::done();
            }
        }
        if fin && self.in_store && !self.dataset_done && !self.dataset.is_empty() {
            self.finish_dataset(out);
        }
        Feed::more(at)
    }

    fn associate(&mut self, ty: u8, body: &[u8], out: &mut Out) {
        if body.len() < 68 || be16(body, 0) != Some(1) {
            return;
        }
        self.association_seen = true;
        let called = ae(&body[4..20]);
        let calling = ae(&body[20..36]);
        if ty == 1 {
            out.ident(
                Who::Src,
                Proto::Dicom,
                "A-ASSOCIATE-RQ calling AE title",
                "dicom_ae_title",
                calling,
                0.9,
            );
            out.ident(
                Who::Dst,
                Proto::Dicom,
                "A-ASSOCIATE-RQ called AE title",
                "dicom_ae_title",
                called,
                0.6,
            );
        } else {
            out.ident(
                Who::Src,
                Proto::Dicom,
                "A-ASSOCIATE-AC called AE title",
                "dicom_ae_title",
                called,
                0.8,
            );
            out.ident(
                Who::Dst,
                Proto::Dicom,
                "A-ASSOCIATE-AC calling AE title",
                "dicom_ae_title",
                calling,
                0.6,
            );
        }
        let pdu = if ty == 1 {
            "A-ASSOCIATE-RQ"
        } else {
            "A-ASSOCIATE-AC"
        };
        // Variable items: type(1) reserved(1) length(2).
        let mut at = 68;
        while let (Some(&it), Some(il)) = (body.get(at), be16(body, at + 2)) {
            let Some(item) = body.get(at + 4..at + 4 + usize::from(il)) else {
                break;
            };
            if it == 0x50 {
                let mut s = 0;
                while let (Some(&st), Some(sl)) = (item.get(s), be16(item, s + 2)) {
                    let Some(v) = item.get(s + 4..s + 4 + usize::from(sl)) else {
                        break;
                    };
                    let v = ae(v);
                    match st {
                        0x52 => out.ident(
                            Who::Src,
                            Proto::Dicom,
                            if ty == 1 {
                                "A-ASSOCIATE-RQ Implementation Class UID"
                            } else {
                                "A-ASSOCIATE-AC Implementation Class UID"
                            },
                            "dicom_implementation_class_uid",
                            v,
                            0.9,
                        ),
                        0x55 => out.ident(
                            Who::Src,
                            Proto::Dicom,
                            if ty == 1 {
                                "A-ASSOCIATE-RQ Implementation Version Name"
                            } else {
                                "A-ASSOCIATE-AC Implementation Version Name"
                            },
                            "dicom_implementation_version_name",
                            v,
                            0.9,
                        ),
                        _ => {}
                    }
                    s += 4 + usize::from(sl);
                }
            }
            at += 4 + usize::from(il);
        }
        let _ = pdu;
    }

    fn p_data(&mut self, body: &[u8], out: &mut Out) {
        out.speaks(Who::Src, Proto::Dicom);
        // PDV items: length(4) presentation context id(1) control header(1) fragment.
        let mut at = 0;
        while let Some(il) = be32(body, at).map(|l| l as usize) {
            if il < 2 {
                break;
            }
            let Some(&mch) = body.get(at + 5) else { break };
            let end = (at + 4).saturating_add(il).min(body.len());
            let frag = body.get(at + 6..end).unwrap_or(&[]);
            let is_command = mch & 1 != 0;
            let last = mch & 2 != 0;
            if is_command {
                if self.command.len() + frag.len() <= MAX_COMMAND_LEN {
                    self.command.extend_from_slice(frag);
                }
                if last {
                    self.in_store = command_field(&self.command) == Some(0x0001);
                    self.command.clear();
                    self.dataset.clear();
                }
            } else if self.in_store && !self.dataset_done {
                let room = MAX_DATASET_PREFIX.saturating_sub(self.dataset.len());
                self.dataset
                    .extend_from_slice(&frag[..frag.len().min(room)]);
                if last || self.dataset.len() >= MAX_DATASET_PREFIX {
                    self.finish_dataset(out);
                }
            }
            if end >= body.len() {
                break;
            }
            at = end;
        }
    }

    fn finish_dataset(&mut self, out: &mut Out) {
        for (tag, value) in equipment_tags(&self.dataset) {
            if let Some((_, ident, field)) = EQUIPMENT_TAGS.iter().find(|t| t.0 == tag) {
                out.ident(Who::Src, Proto::Dicom, field, ident, &value, 0.7);
            }
        }
        self.dataset = Vec::new();
        self.dataset_done = true;
        self.in_store = false;
    }
}

/// (0000,0100) Command Field of an implicit-VR little-endian command set.
fn command_field(cmd: &[u8]) -> Option<u16> {
    let mut at = 0;
    while at + 8 <= cmd.len() {
        let g = u16::from_le_bytes([cmd[at], cmd[at + 1]]);
        let e = u16::from_le_bytes([cmd[at + 2], cmd[at + 3]]);
        let len = u32::from_le_bytes([cmd[at + 4], cmd[at + 5], cmd[at + 6], cmd[at + 7]]) as usize;
        if g != 0 {
            return None;
        }
        if e == 0x0100 && len == 2 {
            let v = cmd.get(at + 8..at + 10)?;
            return Some(u16::from_le_bytes([v[0], v[1]]));
        }
        at = at.checked_add(8 + len)?;
    }
    None
}

const LONG_VRS: [&[u8; 2]; 11] = [
    b"OB", b"OW", b"OF", b"SQ", b"UT", b"UN", b"UC", b"UR", b"OD", b"OL", b"OV",
];

fn is_vr(v: &[u8]) -> bool {
    v.len() == 2 && v[0].is_ascii_uppercase() && v[1].is_ascii_uppercase()
}

struct Walker<'a> {
    d: &'a [u8],
    explicit: bool,
    visited: usize,
}

enum Step {
    /// An element: tag, value offset and length (None = undefined length).
    Element(u32, usize, Option<usize>),
    End,
}

impl Walker<'_> {
    fn header(&mut self, at: usize) -> Option<Step> {
        self.visited += 1;
        if self.visited > MAX_ELEMENTS || at + 8 > self.d.len() {
            return Some(Step::End);
        }
        let d = self.d;
        let g = u16::from_le_bytes([d[at], d[at + 1]]);
        let e = u16::from_le_bytes([d[at + 2], d[at + 3]]);
        let tag = (u32::from(g) << 16) | u32::from(e);
        if g == 0xFFFE {
            let len = u32::from_le_bytes(d.get(at + 4..at + 8)?.try_into().ok()?);
            let l = (len != u32::MAX).then_some(len as usize);
            return Some(Step::Element(tag, at + 8, l));
        }
        if self.explicit {
            let vr = &d[at + 4..at + 6];
            if !is_vr(vr) {
                return None;
            }
            if LONG_VRS.iter().any(|v| &v[..] == vr) {
                let len = u32::from_le_bytes(d.get(at + 8..at + 12)?.try_into().ok()?);
                let l = (len != u32::MAX).then_some(len as usize);
                Some(Step::Element(tag, at + 12, l))
            } else {
                let len = u16::from_le_bytes([d[at + 6], d[at + 7]]) as usize;
                Some(Step::Element(tag, at + 8, Some(len)))
            }
        } else {
            let len = u32::from_le_bytes(d.get(at + 4..at + 8)?.try_into().ok()?);
            let l = (len != u32::MAX).then_some(len as usize);
            Some(Step::Element(tag, at + 8, l))
        }
    }

    /// Skip an undefined-length sequence starting at `at` (after its header); returns the offset
    /// after its delimiter.
    fn skip_sequence(&mut self, mut at: usize, depth: usize) -> Option<usize> {
        if depth > MAX_SEQUENCE_DEPTH {
            return None;
        }
        loop {
            match self.header(at)? {
                Step::End => return None,
                Step::Element(0xFFFE_E0DD, v, ..) => return Some(v),
                Step::Element(0xFFFE_E000, v, Some(l)) => at = v.checked_add(l)?,
                Step::Element(0xFFFE_E000, v, None) => at = self.skip_item(v, depth + 1)?,
                _ => return None,
            }
        }
    }

    /// Skip an undefined-length item's elements up to its delimiter.
    fn skip_item(&mut self, mut at: usize, depth: usize) -> Option<usize> {
        loop {
            match self.header(at)? {
                Step::End => return None,
                Step::Element(0xFFFE_E00D, v, ..) => return Some(v),
                Step::Element(_, v, Some(l)) => at = v.checked_add(l)?,
                Step::Element(_, v, None) => at = self.skip_sequence(v, depth + 1)?,
            }
        }
    }
}

/// The equipment tags of a dataset (explicit or implicit VR little endian, detected from the first
/// element). Stops at the first element after (0018,1020) or at anything it cannot walk.
pub fn equipment_tags(ds: &[u8]) -> Vec<(u32, Vec<u8>)> {
    let explicit = ds.get(4..6).is_some_and(is_vr);
    let mut w = Walker {
        d: ds,
        explicit,
        visited: 0,
    };
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(Step::Element(tag, v, len)) = w.header(at) {
        if tag > LAST_EQUIPMENT_TAG {
            break;
        }
        match len {
            Some(l) => {
                if EQUIPMENT_TAGS.iter().any(|t| t.0 == tag) {
                    if let Some(val) = ds.get(v..v + l) {
                        let val: Vec<u8> = val.iter().copied().filter(|&b| b != 0).collect();
                        found.push((tag, val));
                    }
                }
                let Some(next) = v.checked_add(l) else { break };
                at = next;
            }
            None => match w.skip_sequence(v, 0) {
                Some(n) => at = n,
                None => break,
            },
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::Event;

    use crate::synth::{dicom_associate, dicom_c_store, dicom_store_dataset};

    fn idents(out: &Out) -> Vec<String> {
        out.events
            .iter()
            .filter_map(|e| match e {
                Event::Ident {
                    ident, value, who, ..
                } => Some(format!("{who:?} {ident}={value}")),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn associate_request_titles_and_implementation() {
        let pdu = dicom_associate(
            1,
            "MODALITY1",
            "PACS",
            "1.2.276.0.7230010.3.0.3.6.7",
            "OFFIS_DCMTK_367",
        );
        let mut s = Stream::default();
        let mut out = Out::default();
        // Arrives in two pieces.
        let f = s.feed(&pdu[..30], false, &mut out);
        assert_eq!(f, Feed::more(0));
        let f = s.feed(&pdu, false, &mut out);
        assert_eq!(f.consumed, pdu.len());
        let got = idents(&out);
        assert_eq!(
            got,
            vec![
                "Src dicom_ae_title=MODALITY1",
                "Dst dicom_ae_title=PACS",
                "Src dicom_implementation_class_uid=1.2.276.0.7230010.3.0.3.6.7",
                "Src dicom_implementation_version_name=OFFIS_DCMTK_367"
            ]
        );
    }

    #[test]
    fn c_store_yields_equipment_tags_only() {
        let ds = dicom_store_dataset(
            "ACME Imaging",
            "Scanner 9000 ",
            "CANARY^TARO",
            "ID-CANARY-1",
        );
        let stream = dicom_c_store(&ds, 37);
        let mut s = Stream::default();
        let mut out = Out::default();
        let f = s.feed(&stream, false, &mut out);
        assert!(f.done);
        let got = idents(&out);
        assert_eq!(
            got,
            vec![
                "Src dicom_modality=CT",
                "Src dicom_manufacturer=ACME Imaging",
                "Src dicom_station_name=CT01",
                "Src dicom_model=Scanner 9000",
                "Src dicom_serial_number=SN12345",
                "Src dicom_software_versions=VA40\\SP1"
            ]
        );
        assert!(!format!("{:?}", out.events).contains("CANARY"));
    }

    #[test]
    fn implicit_vr_dataset() {
        let mut ds = Vec::new();
        for (tag, v) in [
            (0x0008_0060u32, &b"MR"[..]),
            (0x0008_0070, b"ACME"),
            (0x0010_0010, b"CANARY^TARO"),
        ] {
            ds.extend(((tag >> 16) as u16).to_le_bytes());
            ds.extend((tag as u16).to_le_bytes());
            ds.extend((v.len() as u32).to_le_bytes());
            ds.extend(v);
        }
        let got = equipment_tags(&ds);
        assert_eq!(
            got,
            vec![
                (0x0008_0060, b"MR".to_vec()),
                (0x0008_0070, b"ACME".to_vec())
            ]
        );
    }

    #[test]
    fn garbage_is_not_dicom() {
        let mut s = Stream::default();
        let mut out = Out::default();
        assert!(s.feed(&[1, 5, 0, 0, 0, 1, 0], false, &mut out).done);
        assert!(equipment_tags(&[0xFF; 40]).is_empty());
    }
}
