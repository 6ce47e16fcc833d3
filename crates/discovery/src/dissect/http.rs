//! HTTP/1.x: from requests the Host (the name the client asked for) and User-Agent; from responses
//! the Server header, the WWW-Authenticate realm and the page <title>.

use super::ssdp::headers;
use super::{find, find_ci, Event, Feed, Out, Proto, Who};

/// Most header lines read from one HTTP message head.
pub const MAX_HEADERS: usize = 100;
/// Longest message head waited for.
pub const MAX_HEAD: usize = 16 * 1024;

#[derive(Debug, Default)]
pub struct Stream {
    head_done: bool,
    html: bool,
    body_start: usize,
}

const METHODS: [&[u8]; 9] = [
    b"GET ",
    b"POST ",
    b"HEAD ",
    b"PUT ",
    b"DELETE ",
    b"OPTIONS ",
    b"PATCH ",
    b"CONNECT ",
    b"TRACE ",
];

pub fn is_request(d: &[u8]) -> bool {
    METHODS.iter().any(|m| d.starts_with(m))
}

impl Stream {
    pub fn feed(&mut self, buf: &[u8], fin: bool, out: &mut Out) -> Feed {
        if !self.head_done {
            let Some(end) = find(buf, b"\r\n\r\n") else {
                if fin || buf.len() > MAX_HEAD {
                    self.head(buf, out);
                    return Feed::done();
                }
                return Feed::more(0);
            };
            self.head(&buf[..end + 4], out);
            self.head_done = true;
            self.body_start = end + 4;
            if !self.html {
                return Feed::done();
            }
        }
        let body = buf.get(self.body_start..).unwrap_or(&[]);
        if let Some(t) = find_ci(body, b"<title") {
            let rest = &body[t..];
            if let Some(gt) = rest.iter().position(|&b| b == b'>') {
                if let Some(close) = find_ci(&rest[gt..], b"</title") {
                    out.ident(
                        Who::Src,
                        Proto::Http,
                        "<title>",
                        "http_title",
                        &rest[gt + 1..gt + close],
                        0.6,
                    );
                    return Feed::done();
                }
            }
        }
        if fin {
            return Feed::done();
        }
        Feed::more(0)
    }

    fn head(&mut self, head: &[u8], out: &mut Out) {
        out.speaks(Who::Src, Proto::Http);
        let request = is_request(head);
        for (k, v) in headers(head) {
            if request {
                if k.eq_ignore_ascii_case(b"host") {
                    let host = match v.iter().rposition(|&b| b == b':') {
                        Some(c) if !v.contains(&b']') || v[..c].ends_with(b"]") => &v[..c],
                        _ => v,
                    };
                    if let Some(h) = super::clean(host) {
                        out.events.push(Event::ServerName(h));
                    }
                    out.ident(
                        Who::Dst,
                        Proto::Http,
                        "Host request header",
                        "http_host",
                        host,
                        0.5,
                    );
                } else if k.eq_ignore_ascii_case(b"user-agent") {
                    out.ident(
                        Who::Src,
                        Proto::Http,
                        "User-Agent request header",
                        "http_user_agent",
                        v,
                        0.8,
                    );
                }
            } else if k.eq_ignore_ascii_case(b"server") {
                out.ident(
                    Who::Src,
                    Proto::Http,
                    "Server response header",
                    "http_server",
                    v,
                    0.9,
                );
            } else if k.eq_ignore_ascii_case(b"www-authenticate") {
                if let Some(r) = find_ci(v, b"realm=\"") {
                    let rest = &v[r + 7..];
                    let end = rest.iter().position(|&b| b == b'"').unwrap_or(rest.len());
                    out.ident(
                        Who::Src,
                        Proto::Http,
                        "WWW-Authenticate realm",
                        "http_auth_realm",
                        &rest[..end],
                        0.7,
                    );
                }
            } else if k.eq_ignore_ascii_case(b"content-type") && find_ci(v, b"html").is_some() {
                self.html = true;
            } else if k.eq_ignore_ascii_case(b"content-encoding")
                && !v.eq_ignore_ascii_case(b"identity")
            {
                self.html = false;
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    fn idents(out: &Out) -> Vec<String> {
        out.events
            .iter()
            .filter_map(|e| match e {
                Event::Ident {
                    ident, value, who, ..
                } => Some(format!("{who:?} {ident}={value}")),
                Event::ServerName(n) => Some(format!("server_name={n}")),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn response_server_and_title() {
        let r = b"HTTP/1.1 200 OK\r\nServer: GoAhead-Webs\r\nContent-Type: text/html\r\n\r\n<html><head><TITLE>Infusion Pump Config</TITLE></head>";
        let mut s = Stream::default();
        let mut out = Out::default();
        assert!(!s.feed(&r[..70], false, &mut out).done);
        assert!(s.feed(r, false, &mut out).done);
        assert_eq!(
            idents(&out),
            vec![
                "Src http_server=GoAhead-Webs",
                "Src http_title=Infusion Pump Config"
            ]
        );
    }

    #[test]
    fn request_host_and_agent() {
        let r = b"GET / HTTP/1.1\r\nHost: update.vendor.example:8443\r\nUser-Agent: PumpAgent/3.2\r\n\r\n";
        let mut s = Stream::default();
        let mut out = Out::default();
        assert!(s.feed(r, false, &mut out).done);
        assert_eq!(
            idents(&out),
            vec![
                "server_name=update.vendor.example",
                "Dst http_host=update.vendor.example",
                "Src http_user_agent=PumpAgent/3.2"
            ]
        );
    }
}
