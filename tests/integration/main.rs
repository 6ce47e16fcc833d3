//! End-to-end tests of the `mdsec` binary: one test binary (keeps link time down), one module per area.
//! Every test starts its own server on a free loopback port with its own data directory.

mod alerts_cli;
mod api;
mod browser;
mod checklist_cli;
mod diagram_browser;
mod diagram_cli;
mod discover_cli;
mod feed_sync;
mod fixtures;
mod inspect_cli;
mod intel_cli;
mod least_privilege;
mod ledger_cli;
mod netns;
mod remote_lines_browser;
mod remote_sessions_http;
mod report_cli;
mod security;
mod smtp_sink;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const ADMIN_PASSWORD: &str = "s3cret-Pass";

pub fn mdsec_bin() -> &'static str {
    env!("CARGO_BIN_EXE_mdsec")
}

/// A fresh data directory, removed at the end of the test.
pub fn data_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("mdsec-it-")
        .tempdir()
        .expect("temp dir")
}

/// Run `mdsec ARGS` with `--data-dir DIR`; returns the output (never panics on failure exit codes).
pub fn mdsec(dir: &Path, args: &[&str]) -> Output {
    Command::new(mdsec_bin())
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env("MDSEC_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env_remove("MDSEC_DATABASE_URL")
        .output()
        .expect("run mdsec")
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `mdsec serve`, killed on drop.
pub struct Server {
    pub child: Child,
    pub base: String,
    pub dir: PathBuf,
}

impl Server {
    pub fn start(dir: &Path, demo: bool) -> Server {
        Server::start_on(dir, demo, None)
    }

    /// Start on PostgreSQL (`Some(url)`) or the embedded SQLite in `dir` (`None`).
    pub fn start_on(dir: &Path, demo: bool, database_url: Option<&str>) -> Server {
        let port = free_port();
        let mut cmd = Command::new(mdsec_bin());
        cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .arg("--data-dir")
            .arg(dir)
            .env("MDSEC_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env_remove("MDSEC_DATABASE_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(url) = database_url {
            cmd.env("MDSEC_DATABASE_URL", url);
        }
        if demo {
            cmd.arg("--demo");
        }
        let child = cmd.spawn().expect("start mdsec serve");
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            dir: dir.to_path_buf(),
        };
        server.wait_healthy(Duration::from_secs(20));
        server
    }

    pub fn wait_healthy(&self, limit: Duration) {
        let start = Instant::now();
        let client = http();
        while start.elapsed() < limit {
            if let Ok(r) = client.get(format!("{}/healthz", self.base)).send() {
                if r.status() == 200 {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("mdsec serve did not become healthy within {limit:?}");
    }

    /// Wait until the demo hospital is loaded (it loads while the server already answers).
    pub fn wait_for_devices(&self, token: &str, at_least: u64) {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(60) {
            let r = http()
                .get(format!("{}/api/v1/devices?limit=1", self.base))
                .bearer_auth(token)
                .send()
                .unwrap();
            let v: serde_json::Value = r.json().unwrap();
            if v["total"].as_u64().unwrap_or(0) >= at_least {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("the demo hospital did not load");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A blocking HTTP client that keeps cookies and does not follow redirects (tests look at them).
pub fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Create a token for `user` through the CLI.
pub fn token_for(dir: &Path, user: &str) -> String {
    let out = mdsec(dir, &["token", "create", "--user", user]);
    assert!(
        out.status.success(),
        "token create failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(token.starts_with("mdsec_"), "{token}");
    token
}

/// The department user the role tests sign in as: `rad1` of 放射線科, password [`RAD_PASSWORD`].
pub const RAD_PASSWORD: &str = "radiology-pass-1";

pub fn add_radiology_user(dir: &Path) {
    add_user(
        dir,
        "rad1",
        "department_user",
        &["--department", "放射線科"],
        RAD_PASSWORD,
    );
}

/// `mdsec user add NAME --role ROLE EXTRA…` with `password`, on the SQLite store in `dir`.
pub fn add_user(dir: &Path, name: &str, role: &str, extra: &[&str], password: &str) {
    let out = Command::new(mdsec_bin())
        .args(["user", "add", name, "--role", role])
        .args(extra)
        .arg("--data-dir")
        .arg(dir)
        .env("MDSEC_NEW_PASSWORD", password)
        .env_remove("MDSEC_DATABASE_URL")
        .output()
        .expect("run mdsec user add");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
