//! A real SMTP server on loopback for the e-mail tests: Python's `aiosmtpd` (installed by
//! scripts/test) writing every message it accepts into a Maildir. Messages are read back through
//! Python's `email` package, so subjects and bodies are decoded by an independent implementation.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One received message, decoded.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Mail {
    pub to: String,
    pub from: String,
    pub subject: String,
    pub body: String,
}

pub struct SmtpSink {
    child: Child,
    pub port: u16,
    maildir: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmtpSink {
    /// Start `aiosmtpd` on a free 127.0.0.1 port; panics (never skips) when it is not installed.
    pub fn start() -> SmtpSink {
        SmtpSink::start_in(None)
    }

    /// The same inside a network namespace (its own loopback), for a sender running there.
    pub fn start_in(netns: Option<&str>) -> SmtpSink {
        let dir = tempfile::tempdir().unwrap();
        let maildir = dir.path().join("maildir");
        let port = crate::free_port();
        let mut cmd = match netns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns, "python3"]);
                c
            }
            None => Command::new("python3"),
        };
        let child = cmd
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 runs");
        let mut sink = SmtpSink {
            child,
            port,
            maildir,
            _dir: dir,
        };
        let start = Instant::now();
        let listening = || match netns {
            None => TcpStream::connect(("127.0.0.1", port)).is_ok(),
            Some(ns) => Command::new("ip")
                .args(["netns", "exec", ns, "python3", "-c"])
                .arg(format!(
                    "import socket; socket.create_connection(('127.0.0.1', {port}), 1)"
                ))
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success()),
        };
        while !listening() {
            if let Ok(Some(status)) = sink.child.try_wait() {
                let mut err = String::new();
                if let Some(mut e) = sink.child.stderr.take() {
                    use std::io::Read;
                    let _ = e.read_to_string(&mut err);
                }
                panic!(
                    "aiosmtpd exited ({status}); the e-mail tests need it (python3 -m pip install aiosmtpd): {err}"
                );
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "aiosmtpd did not listen on 127.0.0.1:{port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        sink
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, in file-name order.
    pub fn mails(&self) -> Vec<Mail> {
        const READ: &str = r#"
import email, email.policy, json, os, sys
d = os.path.join(sys.argv[1], "new")
out = []
for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
    with open(os.path.join(d, name), "rb") as f:
        m = email.message_from_binary_file(f, policy=email.policy.default)
    body = m.get_body(preferencelist=("plain",))
    out.append({"to": str(m["To"]), "from": str(m["From"]), "subject": str(m["Subject"]),
                "body": body.get_content() if body is not None else ""})
print(json.dumps(out))
"#;
        let out = Command::new("python3")
            .args(["-c", READ])
            .arg(&self.maildir)
            .output()
            .expect("python3 runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// Wait until at least `n` messages arrived (delivery is synchronous in mdsec, but aiosmtpd
    /// writes the file after answering).
    pub fn wait_for(&self, n: usize) -> Vec<Mail> {
        let start = Instant::now();
        loop {
            let m = self.mails();
            if m.len() >= n || start.elapsed() > Duration::from_secs(10) {
                return m;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
