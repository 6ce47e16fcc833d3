//! Line banners: SSH identification strings (either side), the FTP server greeting and the text a
//! telnet server prints before login (with option negotiation stripped).

use super::{Feed, Out, Proto, Who};

/// Longest banner text collected.
pub const MAX_BANNER: usize = 512;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Ssh,
    FtpServer,
    FtpClient,
    TelnetServer,
    TelnetClient,
}

#[derive(Debug)]
pub struct Stream {
    pub kind: Kind,
}

fn first_line(b: &[u8]) -> Option<&[u8]> {
    let e = b.iter().position(|&c| c == b'\n')?;
    Some(b[..e].strip_suffix(b"\r").unwrap_or(&b[..e]))
}

/// Telnet data with IAC commands and subnegotiations removed.
pub fn strip_telnet(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() && out.len() < MAX_BANNER {
        match b[i] {
            0xFF => match b.get(i + 1) {
                Some(0xFF) => {
                    out.push(0xFF);
                    i += 2;
                }
                Some(0xFA) => {
                    // SB ... IAC SE
                    let mut j = i + 2;
                    while j + 1 < b.len() && !(b[j] == 0xFF && b[j + 1] == 0xF0) {
                        j += 1;
                    }
                    i = j + 2;
                }
                Some(0xFB..=0xFE) => i += 3,
                Some(_) => i += 2,
                None => i += 1,
            },
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

impl Stream {
    pub fn feed(&mut self, buf: &[u8], fin: bool, out: &mut Out) -> Feed {
        let line = first_line(buf).or(if fin || buf.len() >= MAX_BANNER {
            Some(&buf[..buf.len().min(MAX_BANNER)])
        } else {
            None
        });
        match self.kind {
            Kind::Ssh => {
                let Some(l) = line else { return Feed::more(0) };
                if l.starts_with(b"SSH-") {
                    out.speaks(Who::Src, Proto::Ssh);
                    out.ident(
                        Who::Src,
                        Proto::Ssh,
                        "identification string",
                        "ssh_banner",
                        l,
                        0.9,
                    );
                }
                Feed::done()
            }
            Kind::FtpServer => {
                let Some(l) = line else { return Feed::more(0) };
                if let Some(text) = l.strip_prefix(b"220") {
                    out.speaks(Who::Src, Proto::Ftp);
                    let text = text
                        .strip_prefix(b"-")
                        .or(text.strip_prefix(b" "))
                        .unwrap_or(text);
                    out.ident(
                        Who::Src,
                        Proto::Ftp,
                        "220 greeting",
                        "ftp_banner",
                        text,
                        0.8,
                    );
                }
                Feed::done()
            }
            Kind::FtpClient => {
                out.speaks(Who::Src, Proto::Ftp);
                Feed::done()
            }
            Kind::TelnetClient => {
                out.speaks(Who::Src, Proto::Telnet);
                Feed::done()
            }
            Kind::TelnetServer => {
                out.speaks(Who::Src, Proto::Telnet);
                let text = strip_telnet(buf);
                let printable: Vec<&[u8]> = text
                    .split(|&c| c == b'\n' || c == b'\r')
                    .filter(|l| l.iter().any(|c| c.is_ascii_graphic()))
                    .collect();
                let complete =
                    text.contains(&b'\n') || text.ends_with(b": ") || text.ends_with(b":");
                if let Some(first) = printable.first() {
                    if complete || fin || buf.len() >= MAX_BANNER {
                        out.ident(
                            Who::Src,
                            Proto::Telnet,
                            "server text before login",
                            "telnet_banner",
                            first,
                            0.7,
                        );
                        return Feed::done();
                    }
                }
                if fin || buf.len() >= MAX_BANNER {
                    return Feed::done();
                }
                Feed::more(0)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::Event;
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
    fn ssh_ftp_telnet() {
        let mut out = Out::default();
        let mut s = Stream { kind: Kind::Ssh };
        assert!(!s.feed(b"SSH-2.0-Open", false, &mut out).done);
        assert!(s.feed(b"SSH-2.0-OpenSSH_7.4\r\n", false, &mut out).done);
        let mut f = Stream {
            kind: Kind::FtpServer,
        };
        assert!(f.feed(b"220 Modality FTP ready\r\n", false, &mut out).done);
        let mut t = Stream {
            kind: Kind::TelnetServer,
        };
        let data = [
            &[0xFF, 0xFB, 0x01, 0xFF, 0xFA, 0x18, 0x01, 0xFF, 0xF0][..],
            b"\r\nVxWorks login: ",
        ]
        .concat();
        assert!(t.feed(&data, false, &mut out).done);
        assert_eq!(
            idents(&out),
            vec![
                "ssh_banner=SSH-2.0-OpenSSH_7.4",
                "ftp_banner=Modality FTP ready",
                "telnet_banner=VxWorks login:"
            ]
        );
    }
}
