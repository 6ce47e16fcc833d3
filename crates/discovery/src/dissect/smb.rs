//! SMB over NetBIOS session service / direct TCP: the dialect negotiated (SMB2/3 negotiate response)
//! and any use of SMB version 1 (a finding: SMBv1 is the protocol WannaCry spread over).

use super::{be16, Event, Feed, Out, Proto, Who};

/// Most SMB messages looked at per direction.
pub const MAX_MESSAGES: usize = 8;

#[derive(Debug, Default)]
pub struct Stream {
    messages: usize,
}

impl Stream {
    pub fn feed(&mut self, buf: &[u8], fin: bool, out: &mut Out) -> Feed {
        let mut at = 0;
        while let (Some(&t), Some(len)) = (buf.get(at), be16(buf, at + 2)) {
            let len =
                (usize::from(buf.get(at + 1).copied().unwrap_or(0) & 1) << 16) | usize::from(len);
            let end = at + 4 + len;
            if end > buf.len() && !fin {
                // Headers suffice for what we read; wait only for them.
                if buf.len() < at + 4 + 72 {
                    break;
                }
            }
            if t == 0 {
                let msg = &buf[at + 4..end.min(buf.len())];
                if self.message(msg, out) {
                    return Feed::done();
                }
                self.messages += 1;
                if self.messages >= MAX_MESSAGES {
                    return Feed::done();
                }
            }
            if end > buf.len() {
                return Feed::done();
            }
            at = end;
        }
        if fin {
            return Feed::done();
        }
        Feed::more(at)
    }

    /// True when done with this direction.
    fn message(&mut self, m: &[u8], out: &mut Out) -> bool {
        if m.starts_with(b"\xffSMB") {
            out.speaks(Who::Src, Proto::Smb);
            let cmd = m.get(4).copied().unwrap_or(0);
            let reply = m.get(9).is_some_and(|f| f & 0x80 != 0);
            if cmd == 0x72 && !reply {
                // Negotiate request: SMBv1-only clients offer no "SMB 2." dialect.
                let dialects = m.get(35..).unwrap_or(&[]);
                let offers_smb2 = super::find(dialects, b"SMB 2.").is_some();
                if !offers_smb2 {
                    out.events.push(Event::Smbv1 {
                        who: Who::Src,
                        detail: "client offers only SMB1 dialects".into(),
                    });
                    out.ident(
                        Who::Src,
                        Proto::Smb,
                        "SMB1 negotiate request",
                        "smb_dialect",
                        b"SMB1 (NT LM 0.12)",
                        0.8,
                    );
                }
                return false;
            }
            out.events.push(Event::Smbv1 {
                who: Who::Src,
                detail: if reply && cmd == 0x72 {
                    "server negotiated SMB1".into()
                } else {
                    format!("SMB1 command {cmd:#04x}")
                },
            });
            out.ident(
                Who::Src,
                Proto::Smb,
                "SMB1 header",
                "smb_dialect",
                b"SMB1 (NT LM 0.12)",
                0.9,
            );
            return true;
        }
        if m.starts_with(b"\xfeSMB") {
            out.speaks(Who::Src, Proto::Smb);
            let cmd = m.get(12..14).map(|c| u16::from_le_bytes([c[0], c[1]]));
            let flags = m.get(16).copied().unwrap_or(0);
            if cmd == Some(0) && flags & 1 != 0 {
                if let Some(d) = m.get(68..70).map(|c| u16::from_le_bytes([c[0], c[1]])) {
                    let name = match d {
                        0x0202 => "SMB 2.0.2",
                        0x0210 => "SMB 2.1",
                        0x0300 => "SMB 3.0",
                        0x0302 => "SMB 3.0.2",
                        0x0311 => "SMB 3.1.1",
                        0x02FF => "SMB 2.???",
                        _ => "",
                    };
                    if !name.is_empty() {
                        out.ident(
                            Who::Src,
                            Proto::Smb,
                            "SMB2 NEGOTIATE response DialectRevision",
                            "smb_dialect",
                            name.as_bytes(),
                            0.9,
                        );
                    }
                }
                return true;
            }
            return cmd == Some(0);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nbss(m: &[u8]) -> Vec<u8> {
        let mut v = vec![0, 0];
        v.extend((m.len() as u16).to_be_bytes());
        v.extend(m);
        v
    }

    #[test]
    fn smb1_negotiate_response_is_a_finding() {
        let mut h = b"\xffSMB\x72".to_vec();
        h.extend([0, 0, 0, 0, 0x98]);
        h.resize(40, 0);
        let mut s = Stream::default();
        let mut out = Out::default();
        assert!(s.feed(&nbss(&h), false, &mut out).done);
        assert!(out.events.iter().any(
            |e| matches!(e, Event::Smbv1 { detail, .. } if detail == "server negotiated SMB1")
        ));
    }

    #[test]
    fn smb2_dialect_and_upgrade_request_not_a_finding() {
        let mut req = b"\xffSMB\x72".to_vec();
        req.resize(35, 0);
        req.extend(b"\x02NT LM 0.12\0\x02SMB 2.002\0\x02SMB 2.???\0");
        let mut s = Stream::default();
        let mut out = Out::default();
        s.feed(&nbss(&req), false, &mut out);
        assert!(!out.events.iter().any(|e| matches!(e, Event::Smbv1 { .. })));

        let mut resp = b"\xfeSMB".to_vec();
        resp.resize(64, 0);
        resp[16] = 1;
        resp.extend([65, 0, 1, 0, 0x11, 0x03]);
        resp.resize(130, 0);
        let mut s = Stream::default();
        let mut out = Out::default();
        assert!(s.feed(&nbss(&resp), false, &mut out).done);
        assert!(out
            .events
            .iter()
            .any(|e| matches!(e, Event::Ident { value, .. } if value == "SMB 3.1.1")));
    }
}
