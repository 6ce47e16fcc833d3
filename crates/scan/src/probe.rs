//! What the read-only probes send and how their answers are read. Pure: bytes in, facts out.
//! Every reader is bounded and refuses malformed input with an error naming the place.

use serde::Serialize;
use std::net::Ipv4Addr;

/// Most bytes read from a service's greeting or answer.
pub const MAX_ANSWER_BYTES: usize = 16 * 1024;
/// Longest banner text kept (characters).
pub const MAX_BANNER_CHARS: usize = 200;
/// Calling AE title the scanner presents in A-ASSOCIATE-RQ.
pub const CALLING_AE_TITLE: &str = "MDSEC-SCAN";
/// Called AE title used when the operator names none; most SCPs accept any called title or reject
/// the association, which still identifies the service as DICOM.
pub const DEFAULT_CALLED_AE_TITLE: &str = "ANY-SCP";
/// The scanner's own Implementation Class UID, under a UUID-derived root (ISO/IEC 9834-8, `2.25`).
pub const IMPLEMENTATION_CLASS_UID: &str = "2.25.216764107719522738473526349611452618713";
/// The scanner's Implementation Version Name (at most 16 characters).
pub const IMPLEMENTATION_VERSION_NAME: &str = "MDSEC_SCAN_1";
/// Verification SOP Class: the only abstract syntax offered.
pub const VERIFICATION_SOP_CLASS: &str = "1.2.840.10008.1.1";
const APPLICATION_CONTEXT: &str = "1.2.840.10008.3.1.1.1";
const IMPLICIT_VR_LE: &str = "1.2.840.10008.1.2";
/// Largest PDU the scanner says it accepts.
pub const MAX_PDU_LENGTH: u32 = 16_384;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    #[error("DICOM answer at byte {offset}: {reason}")]
    Dicom { offset: usize, reason: &'static str },
    #[error("HTTP answer: {0}")]
    Http(&'static str),
    #[error("AE title {0:?} must be 1-16 printable ASCII characters without backslash")]
    AeTitle(String),
}

fn ae_field(title: &str) -> Result<[u8; 16], ProbeError> {
    let t = title.trim();
    if t.is_empty() || t.len() > 16 || !t.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b'\\') {
        return Err(ProbeError::AeTitle(title.chars().take(32).collect()));
    }
    let mut f = [b' '; 16];
    f[..t.len()].copy_from_slice(t.as_bytes());
    Ok(f)
}

fn item(out: &mut Vec<u8>, kind: u8, body: &[u8]) {
    out.push(kind);
    out.push(0);
    out.extend_from_slice(&(body.len() as u16).to_be_bytes());
    out.extend_from_slice(body);
}

/// A-ASSOCIATE-RQ proposing Verification with Implicit VR Little Endian (PS3.8 §9.3.2).
pub fn dicom_associate_rq(called: &str) -> Result<Vec<u8>, ProbeError> {
    let mut body = Vec::with_capacity(256);
    body.extend_from_slice(&1u16.to_be_bytes()); // protocol version
    body.extend_from_slice(&[0, 0]);
    body.extend_from_slice(&ae_field(called)?);
    body.extend_from_slice(&ae_field(CALLING_AE_TITLE)?);
    body.extend_from_slice(&[0; 32]);
    item(&mut body, 0x10, APPLICATION_CONTEXT.as_bytes());
    let mut pc = vec![1, 0, 0, 0]; // presentation context id 1
    item(&mut pc, 0x30, VERIFICATION_SOP_CLASS.as_bytes());
    item(&mut pc, 0x40, IMPLICIT_VR_LE.as_bytes());
    item(&mut body, 0x20, &pc);
    let mut ui = Vec::new();
    item(&mut ui, 0x51, &MAX_PDU_LENGTH.to_be_bytes());
    item(&mut ui, 0x52, IMPLEMENTATION_CLASS_UID.as_bytes());
    item(&mut ui, 0x55, IMPLEMENTATION_VERSION_NAME.as_bytes());
    item(&mut body, 0x50, &ui);
    let mut pdu = vec![0x01, 0];
    pdu.extend_from_slice(&(body.len() as u32).to_be_bytes());
    pdu.extend_from_slice(&body);
    Ok(pdu)
}

/// A-RELEASE-RQ.
pub fn dicom_release_rq() -> [u8; 10] {
    [0x05, 0, 0, 0, 0, 4, 0, 0, 0, 0]
}

/// What an SCP answered to A-ASSOCIATE-RQ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum DicomAnswer {
    Accepted {
        called_ae_title: String,
        calling_ae_title: String,
        verification_accepted: bool,
        implementation_class_uid: Option<String>,
        implementation_version_name: Option<String>,
        max_pdu_length: Option<u32>,
    },
    Rejected {
        result: u8,
        source: u8,
        reason: u8,
    },
    Aborted {
        source: u8,
        reason: u8,
    },
}

/// The length of the first PDU in `buf` (header included) once its header has arrived, so a reader
/// knows when to stop. Refuses PDUs larger than [`MAX_ANSWER_BYTES`].
pub fn dicom_pdu_len(buf: &[u8]) -> Result<Option<usize>, ProbeError> {
    if buf.len() < 6 {
        return Ok(None);
    }
    let len = u32::from_be_bytes([buf[2], buf[3], buf[4], buf[5]]) as usize;
    if !(1..=7).contains(&buf[0]) {
        return Err(ProbeError::Dicom {
            offset: 0,
            reason: "not a DICOM PDU type",
        });
    }
    if len + 6 > MAX_ANSWER_BYTES {
        return Err(ProbeError::Dicom {
            offset: 2,
            reason: "PDU longer than the answer limit",
        });
    }
    Ok(Some(len + 6))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b)
        .trim_matches(|c: char| c == ' ' || c == '\0')
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_BANNER_CHARS)
        .collect()
}

/// Read the answer to A-ASSOCIATE-RQ: A-ASSOCIATE-AC, -RJ or A-ABORT (PS3.8 §9.3).
pub fn parse_dicom_answer(buf: &[u8]) -> Result<DicomAnswer, ProbeError> {
    let err = |offset, reason| ProbeError::Dicom { offset, reason };
    let total = dicom_pdu_len(buf)?.ok_or(err(0, "shorter than a PDU header"))?;
    let pdu = buf.get(..total).ok_or(err(buf.len(), "PDU cut short"))?;
    match pdu[0] {
        0x03 => {
            let b = pdu.get(6..10).ok_or(err(6, "A-ASSOCIATE-RJ too short"))?;
            Ok(DicomAnswer::Rejected {
                result: b[1],
                source: b[2],
                reason: b[3],
            })
        }
        0x07 => {
            let b = pdu.get(6..10).ok_or(err(6, "A-ABORT too short"))?;
            Ok(DicomAnswer::Aborted {
                source: b[2],
                reason: b[3],
            })
        }
        0x02 => {
            let fixed = pdu.get(6..74).ok_or(err(6, "A-ASSOCIATE-AC too short"))?;
            let called = text(&fixed[4..20]);
            let calling = text(&fixed[20..36]);
            let mut verification_accepted = false;
            let mut uid = None;
            let mut version = None;
            let mut max_pdu = None;
            let mut at = 74;
            while at < pdu.len() {
                let hdr = pdu
                    .get(at..at + 4)
                    .ok_or(err(at, "item header cut short"))?;
                let len = usize::from(u16::from_be_bytes([hdr[2], hdr[3]]));
                let body = pdu
                    .get(at + 4..at + 4 + len)
                    .ok_or(err(at, "item longer than the PDU"))?;
                match hdr[0] {
                    // Presentation context (AC): id, reserved, result, reserved.
                    0x21 if body.len() >= 4 && body[0] == 1 && body[2] == 0 => {
                        verification_accepted = true;
                    }
                    0x50 => {
                        let mut u = 0;
                        while u < body.len() {
                            let sh = body
                                .get(u..u + 4)
                                .ok_or(err(at + 4 + u, "user item cut short"))?;
                            let sl = usize::from(u16::from_be_bytes([sh[2], sh[3]]));
                            let sb = body
                                .get(u + 4..u + 4 + sl)
                                .ok_or(err(at + 4 + u, "user item longer than its parent"))?;
                            match sh[0] {
                                0x51 if sb.len() == 4 => {
                                    max_pdu = Some(u32::from_be_bytes([sb[0], sb[1], sb[2], sb[3]]))
                                }
                                0x52 => uid = Some(text(sb)).filter(|s| !s.is_empty()),
                                0x55 => version = Some(text(sb)).filter(|s| !s.is_empty()),
                                _ => {}
                            }
                            u += 4 + sl;
                        }
                    }
                    _ => {}
                }
                at += 4 + len;
            }
            Ok(DicomAnswer::Accepted {
                called_ae_title: called,
                calling_ae_title: calling,
                verification_accepted,
                implementation_class_uid: uid,
                implementation_version_name: version,
                max_pdu_length: max_pdu,
            })
        }
        _ => Err(err(0, "not an answer to A-ASSOCIATE-RQ")),
    }
}

/// `HEAD / HTTP/1.0` with a Host header and `Connection: close`.
pub fn http_head_request(host: Ipv4Addr, port: u16) -> Vec<u8> {
    format!(
        "HEAD / HTTP/1.0\r\nHost: {host}:{port}\r\nUser-Agent: mdsec-scan\r\nConnection: close\r\n\r\n"
    )
    .into_bytes()
}

/// The parts of an HTTP answer kept as evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HttpAnswer {
    pub status: u16,
    pub server: Option<String>,
    pub www_authenticate: Option<String>,
}

/// True once the header block of an HTTP answer has arrived.
pub fn http_headers_complete(buf: &[u8]) -> bool {
    buf.windows(4).any(|w| w == b"\r\n\r\n") || buf.windows(2).any(|w| w == b"\n\n")
}

/// Read the status line and the `Server` / `WWW-Authenticate` headers.
pub fn parse_http_answer(buf: &[u8]) -> Result<HttpAnswer, ProbeError> {
    let buf = &buf[..buf.len().min(MAX_ANSWER_BYTES)];
    let head = String::from_utf8_lossy(buf);
    let mut lines = head.split('\n').map(|l| l.trim_end_matches('\r'));
    let status_line = lines.next().ok_or(ProbeError::Http("empty answer"))?;
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    if !version.starts_with("HTTP/") {
        return Err(ProbeError::Http("no HTTP status line"));
    }
    let status = parts
        .next()
        .filter(|s| s.len() == 3)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or(ProbeError::Http("status code is not three digits"))?;
    let mut answer = HttpAnswer {
        status,
        server: None,
        www_authenticate: None,
    };
    for line in lines {
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            let value = text(value.trim().as_bytes());
            if name.eq_ignore_ascii_case("server") {
                answer.server = Some(value);
            } else if name.eq_ignore_ascii_case("www-authenticate") {
                answer.www_authenticate = Some(value);
            }
        }
    }
    Ok(answer)
}

/// A greeting as text: Telnet option negotiation (IAC sequences) removed, control characters dropped,
/// the first non-empty line kept, at most [`MAX_BANNER_CHARS`] characters.
pub fn clean_banner(buf: &[u8]) -> String {
    let buf = &buf[..buf.len().min(MAX_ANSWER_BYTES)];
    let mut plain = Vec::with_capacity(buf.len());
    let mut i = 0;
    while i < buf.len() {
        if buf[i] == 0xff {
            match buf.get(i + 1) {
                Some(0xff) => {
                    plain.push(0xff);
                    i += 2;
                }
                Some(251..=254) => i += 3,
                Some(250) => {
                    // Subnegotiation: skip to IAC SE.
                    let mut j = i + 2;
                    while j + 1 < buf.len() && !(buf[j] == 0xff && buf[j + 1] == 240) {
                        j += 1;
                    }
                    i = j + 2;
                }
                Some(_) => i += 2,
                None => i += 1,
            }
        } else {
            plain.push(buf[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&plain)
        .split(['\n', '\r'])
        .map(|l| l.chars().filter(|c| !c.is_control()).collect::<String>())
        .map(|l| l.trim().to_string())
        .find(|l| !l.is_empty())
        .map(|l| l.chars().take(MAX_BANNER_CHARS).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn associate_rq_is_well_formed() {
        let rq = dicom_associate_rq("STORESCP").unwrap();
        assert_eq!(rq[0], 1);
        assert_eq!(dicom_pdu_len(&rq).unwrap(), Some(rq.len()));
        assert_eq!(&rq[10..18], b"STORESCP");
        assert_eq!(&rq[26..36], b"MDSEC-SCAN");
        assert!(dicom_associate_rq("").is_err());
        assert!(dicom_associate_rq("WAY-TOO-LONG-AE-TITLE").is_err());
        assert!(IMPLEMENTATION_VERSION_NAME.len() <= 16);
        assert!(IMPLEMENTATION_CLASS_UID.len() <= 64);
    }

    fn ac(uid: &str, version: &str, pc_result: u8) -> Vec<u8> {
        let mut body = vec![0, 1, 0, 0];
        body.extend_from_slice(b"ANY-SCP         MDSEC-SCAN      ");
        body.extend_from_slice(&[0; 32]);
        item(&mut body, 0x10, APPLICATION_CONTEXT.as_bytes());
        let mut pc = vec![1, 0, pc_result, 0];
        item(&mut pc, 0x40, IMPLICIT_VR_LE.as_bytes());
        item(&mut body, 0x21, &pc);
        let mut ui = vec![];
        item(&mut ui, 0x51, &16384u32.to_be_bytes());
        item(&mut ui, 0x52, uid.as_bytes());
        item(&mut ui, 0x55, version.as_bytes());
        item(&mut body, 0x50, &ui);
        let mut pdu = vec![2, 0];
        pdu.extend_from_slice(&(body.len() as u32).to_be_bytes());
        pdu.extend_from_slice(&body);
        pdu
    }

    #[test]
    fn reads_associate_ac() {
        let a =
            parse_dicom_answer(&ac("1.2.276.0.7230010.3.0.3.6.7", "OFFIS_DCMTK_367", 0)).unwrap();
        assert_eq!(
            a,
            DicomAnswer::Accepted {
                called_ae_title: "ANY-SCP".into(),
                calling_ae_title: "MDSEC-SCAN".into(),
                verification_accepted: true,
                implementation_class_uid: Some("1.2.276.0.7230010.3.0.3.6.7".into()),
                implementation_version_name: Some("OFFIS_DCMTK_367".into()),
                max_pdu_length: Some(16384),
            }
        );
        match parse_dicom_answer(&ac("1.2", "V", 3)).unwrap() {
            DicomAnswer::Accepted {
                verification_accepted,
                ..
            } => assert!(!verification_accepted),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reads_reject_and_abort_and_refuses_garbage() {
        assert_eq!(
            parse_dicom_answer(&[3, 0, 0, 0, 0, 4, 0, 1, 1, 7]).unwrap(),
            DicomAnswer::Rejected {
                result: 1,
                source: 1,
                reason: 7
            }
        );
        assert_eq!(
            parse_dicom_answer(&[7, 0, 0, 0, 0, 4, 0, 0, 2, 0]).unwrap(),
            DicomAnswer::Aborted {
                source: 2,
                reason: 0
            }
        );
        assert!(parse_dicom_answer(b"SSH-2.0-x\r\n").is_err());
        assert!(parse_dicom_answer(&[2, 0, 0xff, 0xff, 0xff, 0xff]).is_err());
        let mut cut = ac("1.2", "V", 0);
        cut.truncate(cut.len() - 3);
        assert!(parse_dicom_answer(&cut).is_err());
        // An item that claims to run past the PDU.
        let mut bad = ac("1.2", "V", 0);
        let n = bad.len();
        bad[n - 4] = 0x55;
        bad[n - 2] = 0xff;
        assert!(parse_dicom_answer(&bad).is_err());
    }

    #[test]
    fn reads_http_answers() {
        let a = parse_http_answer(
            b"HTTP/1.0 401 Unauthorized\r\nServer: GoAhead-Webs\r\nWWW-Authenticate: Basic realm=\"Infusion Pump\"\r\n\r\n",
        )
        .unwrap();
        assert_eq!(a.status, 401);
        assert_eq!(a.server.as_deref(), Some("GoAhead-Webs"));
        assert_eq!(
            a.www_authenticate.as_deref(),
            Some("Basic realm=\"Infusion Pump\"")
        );
        assert!(parse_http_answer(b"SSH-2.0-OpenSSH\r\n").is_err());
        assert!(parse_http_answer(b"HTTP/1.1 20 OK\r\n").is_err());
        assert!(http_headers_complete(b"HTTP/1.0 200 OK\r\n\r\n"));
        assert!(!http_headers_complete(b"HTTP/1.0 200 OK\r\n"));
        let rq = String::from_utf8(http_head_request(Ipv4Addr::new(10, 99, 0, 9), 80)).unwrap();
        assert!(rq.starts_with("HEAD / HTTP/1.0\r\nHost: 10.99.0.9:80\r\n"));
    }

    #[test]
    fn cleans_banners() {
        assert_eq!(
            clean_banner(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"),
            "SSH-2.0-OpenSSH_9.2p1 Debian-2"
        );
        assert_eq!(
            clean_banner(b"\xff\xfd\x18\xff\xfb\x01\xff\xfa\x18\x01\xff\xf0\r\nVxWorks login: "),
            "VxWorks login:"
        );
        assert_eq!(clean_banner(b"\x1b[2J\x00"), "[2J");
        assert_eq!(clean_banner(&[b'a'; 1000]).len(), MAX_BANNER_CHARS);
        assert_eq!(clean_banner(b"\xff"), "");
    }
}
