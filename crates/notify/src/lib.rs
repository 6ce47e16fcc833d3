//! E-mail delivery of notices over SMTP.
//!
//! Owns: the SMTP configuration (`smtp://host:port`, sender address) and sending one message.
//! Must not depend on: the store, web. Secrets (SMTP passwords in the URL) are never logged: the
//! configuration prints as `smtp://host:port` only.

use lettre::message::{header::ContentType, Mailbox};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::fmt;
use std::time::Duration;

/// How long one SMTP exchange may take.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("SMTP configuration: {0}")]
    Config(String),
    #[error("invalid address {address:?}: {reason}")]
    Address { address: String, reason: String },
    #[error("sending to {to} through {server}: {reason}")]
    Send {
        to: String,
        server: String,
        reason: String,
    },
}

/// An SMTP relay and the sender address.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    server: String,
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mailer({}, from {})", self.server, self.from)
    }
}

impl Mailer {
    /// `smtp://[user:password@]host[:port]` (port 25 by default) and the sender address.
    /// Plain SMTP: for the hospital's internal relay.
    pub fn new(url: &str, from: &str) -> Result<Self, MailError> {
        let u =
            url::Url::parse(url).map_err(|e| MailError::Config(format!("{e} in the SMTP URL")))?;
        if u.scheme() != "smtp" {
            return Err(MailError::Config(format!(
                "unsupported scheme {:?}; use smtp://host:port",
                u.scheme()
            )));
        }
        let host = u
            .host_str()
            .ok_or_else(|| MailError::Config("the SMTP URL has no host".into()))?
            .to_string();
        let port = u.port().unwrap_or(25);
        let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.clone())
            .port(port)
            .timeout(Some(SMTP_TIMEOUT));
        if !u.username().is_empty() {
            b = b.credentials(Credentials::new(
                u.username().to_string(),
                u.password().unwrap_or_default().to_string(),
            ));
        }
        let from: Mailbox =
            from.parse()
                .map_err(|e: lettre::address::AddressError| MailError::Address {
                    address: from.to_string(),
                    reason: e.to_string(),
                })?;
        Ok(Mailer {
            transport: b.build(),
            from,
            server: format!("smtp://{host}:{port}"),
        })
    }

    /// From `MDSEC_SMTP_URL` and `MDSEC_MAIL_FROM` (default `mdsec@localhost`); `None` when no
    /// SMTP server is configured (notices then stay in the UI only).
    pub fn from_env() -> Result<Option<Self>, MailError> {
        match std::env::var("MDSEC_SMTP_URL") {
            Ok(url) if !url.trim().is_empty() => {
                let from =
                    std::env::var("MDSEC_MAIL_FROM").unwrap_or_else(|_| "mdsec@localhost".into());
                Mailer::new(url.trim(), &from).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// The server, without credentials.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Send one plain-text UTF-8 message.
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), MailError> {
        let to_box: Mailbox =
            to.parse()
                .map_err(|e: lettre::address::AddressError| MailError::Address {
                    address: to.to_string(),
                    reason: e.to_string(),
                })?;
        let msg = Message::builder()
            .from(self.from.clone())
            .to(to_box)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_string())
            .map_err(|e| MailError::Send {
                to: to.to_string(),
                server: self.server.clone(),
                reason: e.to_string(),
            })?;
        self.transport
            .send(msg)
            .await
            .map_err(|e| MailError::Send {
                to: to.to_string(),
                server: self.server.clone(),
                reason: e.to_string(),
            })?;
        tracing::info!(to, server = %self.server, "notice e-mailed");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_is_checked_and_credentials_are_not_shown() {
        let m = Mailer::new(
            "smtp://user:s3cret@127.0.0.1:2525",
            "mdsec@hospital.example",
        )
        .unwrap();
        assert_eq!(m.server(), "smtp://127.0.0.1:2525");
        assert!(!format!("{m:?}").contains("s3cret"));
        assert!(Mailer::new("smtps://x", "a@b").is_err());
        assert!(Mailer::new("smtp://127.0.0.1", "not an address").is_err());
    }

    /// A minimal SMTP server on loopback records what it receives: the message really goes over
    /// SMTP, with a UTF-8 subject.
    #[tokio::test]
    async fn sends_over_smtp_to_a_loopback_server() {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (sock, _) = listener.accept().await.unwrap();
            let (r, mut w) = sock.into_split();
            let mut r = BufReader::new(r);
            w.write_all(b"220 test ESMTP\r\n").await.unwrap();
            let mut data = String::new();
            let mut in_data = false;
            let mut line = String::new();
            loop {
                line.clear();
                if r.read_line(&mut line).await.unwrap() == 0 {
                    break;
                }
                if in_data {
                    if line == ".\r\n" {
                        in_data = false;
                        w.write_all(b"250 ok\r\n").await.unwrap();
                    } else {
                        data.push_str(&line);
                    }
                    continue;
                }
                let cmd = line.to_ascii_uppercase();
                if cmd.starts_with("EHLO") || cmd.starts_with("HELO") {
                    w.write_all(b"250 test\r\n").await.unwrap();
                } else if cmd.starts_with("DATA") {
                    in_data = true;
                    w.write_all(b"354 go\r\n").await.unwrap();
                } else if cmd.starts_with("QUIT") {
                    w.write_all(b"221 bye\r\n").await.unwrap();
                    break;
                } else {
                    w.write_all(b"250 ok\r\n").await.unwrap();
                }
            }
            data
        });
        let m = Mailer::new(
            &format!("smtp://127.0.0.1:{port}"),
            "mdsec@hospital.example",
        )
        .unwrap();
        m.send("dso@hospital.example", "対応が必要な機器", "本文")
            .await
            .unwrap();
        drop(m);
        let data = tokio::time::timeout(Duration::from_secs(10), server)
            .await
            .unwrap()
            .unwrap();
        assert!(data.contains("To: dso@hospital.example"), "{data}");
        assert!(data.contains("Subject: =?utf-8?"), "{data}");
    }
}
