//! Port lists (`22,80,104,2575,11112`, ranges `8000-8010`) and what each well-known port is probed
//! with once it is found open.

use serde::Serialize;

/// Longest port list accepted, in bytes.
pub const MAX_PORT_LIST_LEN: usize = 16 * 1024;

/// Ports scanned when none are given: the services medical devices and their workstations expose.
/// 21 FTP, 22 SSH, 23 Telnet, 80 HTTP, 104 DICOM, 139/445 SMB, 443 HTTPS, 2575 HL7 MLLP,
/// 3389 RDP, 4242 DICOM (Orthanc), 5900 VNC, 8080/8443 HTTP alternates, 11112 DICOM.
pub const DEFAULT_PORTS: &[u16] = &[
    21, 22, 23, 80, 104, 139, 443, 445, 2575, 3389, 4242, 5900, 8080, 8443, 11112,
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortListError {
    #[error("port list is longer than {MAX_PORT_LIST_LEN} bytes")]
    TooLong,
    #[error("port list entry {index} ({entry:?}): {reason}")]
    BadEntry {
        index: usize,
        entry: String,
        reason: &'static str,
    },
    #[error("port list is empty")]
    Empty,
}

/// Parse `22,80,8000-8010`: sorted, without duplicates. Ports are 1–65535.
pub fn parse_ports(s: &str) -> Result<Vec<u16>, PortListError> {
    if s.len() > MAX_PORT_LIST_LEN {
        return Err(PortListError::TooLong);
    }
    let mut seen = vec![false; 65536];
    for (i, entry) in s.split(',').map(str::trim).enumerate() {
        let bad = |reason| PortListError::BadEntry {
            index: i + 1,
            entry: entry.chars().take(32).collect(),
            reason,
        };
        if entry.is_empty() {
            return Err(bad("empty entry"));
        }
        let (lo, hi) = match entry.split_once('-') {
            Some((a, b)) => (port(a.trim()).ok_or(bad("not a port 1-65535"))?, {
                port(b.trim()).ok_or(bad("not a port 1-65535"))?
            }),
            None => {
                let p = port(entry).ok_or(bad("not a port 1-65535"))?;
                (p, p)
            }
        };
        if lo > hi {
            return Err(bad("range runs backwards"));
        }
        for p in lo..=hi {
            seen[usize::from(p)] = true;
        }
    }
    let ports: Vec<u16> = (1..=u16::MAX).filter(|p| seen[usize::from(*p)]).collect();
    if ports.is_empty() {
        return Err(PortListError::Empty);
    }
    Ok(ports)
}

fn port(s: &str) -> Option<u16> {
    if s.is_empty() || s.len() > 5 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<u16>().ok().filter(|p| *p != 0)
}

/// The read-only probe used on an open port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProbeKind {
    /// Connect and close; nothing is sent (HL7 MLLP, unknown services).
    ConnectOnly,
    /// The server speaks first: read its greeting (SSH, FTP, Telnet), send nothing.
    ServerBanner,
    /// `HEAD / HTTP/1.0`.
    HttpHead,
    /// A-ASSOCIATE-RQ for Verification, then A-RELEASE-RQ (nothing else).
    DicomAssociate,
}

/// The service name and probe for a port.
pub fn service_for_port(port: u16) -> (&'static str, ProbeKind) {
    match port {
        21 => ("ftp", ProbeKind::ServerBanner),
        22 => ("ssh", ProbeKind::ServerBanner),
        23 => ("telnet", ProbeKind::ServerBanner),
        80 | 8000 | 8080 | 8081 => ("http", ProbeKind::HttpHead),
        104 | 4242 | 11112 => ("dicom", ProbeKind::DicomAssociate),
        2575 => ("hl7-mllp", ProbeKind::ConnectOnly),
        139 | 445 => ("smb", ProbeKind::ConnectOnly),
        443 | 8443 => ("https", ProbeKind::ConnectOnly),
        3389 => ("rdp", ProbeKind::ConnectOnly),
        5900 => ("vnc", ProbeKind::ConnectOnly),
        _ => ("unknown", ProbeKind::ConnectOnly),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_ranges() {
        assert_eq!(
            parse_ports("80, 22,104,2575,11112,22").unwrap(),
            vec![22, 80, 104, 2575, 11112]
        );
        assert_eq!(
            parse_ports("8000-8003,1").unwrap(),
            vec![1, 8000, 8001, 8002, 8003]
        );
        assert_eq!(parse_ports("1-65535").unwrap().len(), 65535);
    }

    #[test]
    fn rejects_bad_lists() {
        for bad in [
            "", "0", "65536", "80,", "9-3", "a", "1--2", "-5", "+80", "80 81",
        ] {
            assert!(parse_ports(bad).is_err(), "{bad:?}");
        }
        match parse_ports("22,x") {
            Err(PortListError::BadEntry { index: 2, .. }) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn default_list_is_sorted_and_probed_gently() {
        assert!(DEFAULT_PORTS.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(service_for_port(2575).1, ProbeKind::ConnectOnly);
        assert_eq!(service_for_port(104).1, ProbeKind::DicomAssociate);
    }
}
