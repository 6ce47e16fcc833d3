//! TLS: the ClientHello's server name (SNI) and, from a TLS 1.2 (or older) Certificate message, the
//! server certificate's subject and issuer. TLS 1.3 encrypts certificates; then only SNI is seen.

use super::{be16, Event, Feed, Out, Proto, Who};

/// Most handshake bytes collected from one direction.
pub const MAX_HANDSHAKE: usize = 64 * 1024;
/// Deepest DER nesting walked.
const MAX_DER_DEPTH: usize = 8;

#[derive(Debug, Default)]
pub struct Stream {
    hs: Vec<u8>,
    spoken: bool,
}

fn be24(b: &[u8], at: usize) -> Option<usize> {
    let s = b.get(at..at + 3)?;
    Some((usize::from(s[0]) << 16) | (usize::from(s[1]) << 8) | usize::from(s[2]))
}

impl Stream {
    pub fn feed(&mut self, buf: &[u8], fin: bool, out: &mut Out) -> Feed {
        let mut at = 0;
        while let (Some(&ct), Some(len)) = (buf.get(at), be16(buf, at + 3)) {
            if buf.get(at + 1) != Some(&3) {
                return Feed::done();
            }
            let end = at + 5 + usize::from(len);
            if end > buf.len() {
                break;
            }
            if !self.spoken {
                out.speaks(Who::Src, Proto::Tls);
                self.spoken = true;
            }
            match ct {
                22 => {
                    let room = MAX_HANDSHAKE.saturating_sub(self.hs.len());
                    let rec = &buf[at + 5..end];
                    self.hs.extend_from_slice(&rec[..rec.len().min(room)]);
                    if self.handshake(out) {
                        return Feed::done();
                    }
                }
                // ChangeCipherSpec, alert or application data: the readable part is over.
                _ => return Feed::done(),
            }
            at = end;
        }
        if fin {
            return Feed::done();
        }
        Feed::more(at)
    }

    /// Walk complete handshake messages; true when nothing more is to be learnt.
    fn handshake(&mut self, out: &mut Out) -> bool {
        let mut at = 0;
        while let (Some(&t), Some(len)) = (self.hs.get(at), be24(&self.hs, at + 1)) {
            let Some(body) = self.hs.get(at + 4..at + 4 + len) else {
                break;
            };
            match t {
                1 => {
                    if let Some(sni) = client_hello_sni(body) {
                        if let Some(n) = super::clean(sni) {
                            out.events.push(Event::ServerName(n));
                        }
                        out.ident(
                            Who::Src,
                            Proto::Tls,
                            "ClientHello server_name",
                            "tls_sni",
                            sni,
                            0.9,
                        );
                    }
                    return true;
                }
                11 => {
                    if let Some(cert) = be24(body, 0)
                        .and_then(|_| be24(body, 3))
                        .and_then(|l| body.get(6..6 + l))
                    {
                        if let Some((subject, issuer)) = subject_and_issuer(cert) {
                            out.ident(
                                Who::Src,
                                Proto::Tls,
                                "Certificate subject",
                                "tls_certificate_subject",
                                subject.as_bytes(),
                                0.8,
                            );
                            out.ident(
                                Who::Src,
                                Proto::Tls,
                                "Certificate issuer",
                                "tls_certificate_issuer",
                                issuer.as_bytes(),
                                0.6,
                            );
                        }
                    }
                    return true;
                }
                // ServerHello: TLS 1.3 (supported_versions) encrypts the rest.
                2 => {}
                _ => return true,
            }
            at += 4 + len;
        }
        if at > 0 {
            self.hs.drain(..at);
        }
        false
    }
}

fn client_hello_sni(b: &[u8]) -> Option<&[u8]> {
    let mut at = 2 + 32;
    at += 1 + usize::from(*b.get(at)?);
    at += 2 + usize::from(be16(b, at)?);
    at += 1 + usize::from(*b.get(at)?);
    let ext_len = usize::from(be16(b, at)?);
    let exts = b.get(at + 2..(at + 2 + ext_len).min(b.len()))?;
    let mut e = 0;
    while let (Some(ty), Some(l)) = (be16(exts, e), be16(exts, e + 2)) {
        let data = exts.get(e + 4..e + 4 + usize::from(l))?;
        if ty == 0 {
            // server_name_list: length(2), then type(1) length(2) name
            if data.get(2) == Some(&0) {
                let nl = usize::from(be16(data, 3)?);
                return data.get(5..5 + nl);
            }
            return None;
        }
        e += 4 + usize::from(l);
    }
    None
}

/// One DER TLV: (tag, content, offset after it).
fn tlv(b: &[u8], at: usize) -> Option<(u8, &[u8], usize)> {
    let tag = *b.get(at)?;
    let l0 = *b.get(at + 1)?;
    let (len, hdr) = if l0 < 0x80 {
        (usize::from(l0), 2)
    } else {
        let n = usize::from(l0 & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | usize::from(*b.get(at + 2 + i)?);
        }
        (len, 2 + n)
    };
    let start = at + hdr;
    let content = b.get(start..start.checked_add(len)?)?;
    Some((tag, content, start + len))
}

/// Subject and issuer of an X.509 certificate, as `CN=..., O=..., ...`.
pub fn subject_and_issuer(der: &[u8]) -> Option<(String, String)> {
    let (0x30, cert, _) = tlv(der, 0)? else {
        return None;
    };
    let (0x30, tbs, _) = tlv(cert, 0)? else {
        return None;
    };
    let mut at = 0;
    let mut fields = Vec::new();
    while fields.len() < 6 {
        let (tag, content, next) = tlv(tbs, at)?;
        if tag != 0xA0 {
            fields.push(content);
        }
        at = next;
    }
    // serial, signature, issuer, validity, subject
    let issuer = name(fields.get(2)?, 0)?;
    let subject = name(fields.get(4)?, 0)?;
    Some((subject, issuer))
}

fn name(n: &[u8], depth: usize) -> Option<String> {
    if depth > MAX_DER_DEPTH {
        return None;
    }
    let mut parts = Vec::new();
    let mut at = 0;
    while at < n.len() && parts.len() < 32 {
        let (_, set, next) = tlv(n, at)?;
        let mut s = 0;
        while s < set.len() {
            let (_, atv, snext) = tlv(set, s)?;
            let (oid_tag, oid, vat) = tlv(atv, 0)?;
            let (vtag, val, _) = tlv(atv, vat)?;
            if oid_tag == 6 {
                let key = match oid {
                    [0x55, 4, 3] => "CN",
                    [0x55, 4, 5] => "serialNumber",
                    [0x55, 4, 6] => "C",
                    [0x55, 4, 7] => "L",
                    [0x55, 4, 8] => "ST",
                    [0x55, 4, 10] => "O",
                    [0x55, 4, 11] => "OU",
                    _ => "",
                };
                if !key.is_empty() {
                    let text = if vtag == 0x1E {
                        let u: Vec<u16> = val
                            .chunks_exact(2)
                            .map(|c| u16::from_be_bytes([c[0], c[1]]))
                            .collect();
                        String::from_utf16_lossy(&u)
                    } else {
                        String::from_utf8_lossy(val).into_owned()
                    };
                    parts.push(format!("{key}={text}"));
                }
            }
            s = snext;
        }
        at = next;
    }
    Some(parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::synth::{
        certificate, tls_client_hello as client_hello, tls_server_flight as server_flight,
    };

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
    fn sni_and_certificate_subject() {
        let mut s = Stream::default();
        let mut out = Out::default();
        assert!(
            s.feed(&client_hello("pacs.hospital.example"), false, &mut out)
                .done
        );
        assert_eq!(idents(&out), vec!["tls_sni=pacs.hospital.example"]);
        assert!(out
            .events
            .contains(&Event::ServerName("pacs.hospital.example".into())));

        let flight = server_flight(&certificate("monitor-12.icu", "ACME Medical"));
        let mut s = Stream::default();
        let mut out = Out::default();
        assert!(!s.feed(&flight[..40], false, &mut out).done);
        assert!(s.feed(&flight, false, &mut out).done);
        assert_eq!(
            idents(&out),
            vec![
                "tls_certificate_subject=CN=monitor-12.icu, O=ACME Medical",
                "tls_certificate_issuer=CN=Vendor Device CA"
            ]
        );
    }

    #[test]
    fn hostile_der() {
        assert!(subject_and_issuer(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_none());
        assert!(subject_and_issuer(&[]).is_none());
        assert!(client_hello_sni(&[1, 2, 3]).is_none());
    }
}
