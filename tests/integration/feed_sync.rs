//! `mdsec feed sync` and `serve --feed-sync-every` end to end, against an upstream on 127.0.0.1 that
//! serves the real KEV catalogue and CISA ICSMA CSAF advisories (changes.csv distribution with
//! .sha512 side files). The download paths themselves are tested in crates/feed-sync/tests.

use crate::{data_dir, free_port, mdsec, mdsec_bin, Server, ADMIN_PASSWORD};
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Response, Uri};
use serde_json::Value;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data");
const KEV_PATH: &str = "/kev/known_exploited_vulnerabilities.json";
const CSAF_DOCS: [&str; 3] = [
    "icsma-22-244-01.json",
    "icsma-20-049-01.json",
    "icsma-23-047-01.json",
];

type Seen = Arc<Mutex<Vec<(String, Option<String>)>>>;
/// The upstream's state: the files it serves by path, and the request log.
type UpstreamState = (Arc<HashMap<String, Vec<u8>>>, Seen);

/// A static upstream with ETags and If-None-Match; logs (path, If-None-Match) per request.
struct Upstream {
    base: String,
    seen: Seen,
    _runtime: tokio::runtime::Runtime,
}

impl Upstream {
    fn start(files: HashMap<String, Vec<u8>>) -> Upstream {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let seen: Seen = Arc::default();
        let state = (Arc::new(files), seen.clone());
        let app = axum::Router::new().fallback(serve_file).with_state(state);
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        runtime.spawn(async move { axum::serve(listener, app).await });
        Upstream {
            base,
            seen,
            _runtime: runtime,
        }
    }

    fn requests(&self, path: &str) -> Vec<Option<String>> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, inm)| inm.clone())
            .collect()
    }

    fn total_requests(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

async fn serve_file(
    State((files, seen)): State<UpstreamState>,
    uri: Uri,
    headers: HeaderMap,
) -> Response<Body> {
    let inm = headers
        .get("if-none-match")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    seen.lock()
        .unwrap()
        .push((uri.path().to_string(), inm.clone()));
    let Some(body) = files.get(uri.path()) else {
        return Response::builder().status(404).body(Body::empty()).unwrap();
    };
    let mut h = std::collections::hash_map::DefaultHasher::new();
    body.hash(&mut h);
    let etag = format!("\"{:x}-{}\"", h.finish(), body.len());
    if inm.as_deref() == Some(etag.as_str()) {
        return Response::builder()
            .status(304)
            .header("etag", etag)
            .body(Body::empty())
            .unwrap();
    }
    Response::builder()
        .header("etag", etag)
        .body(Body::from(body.clone()))
        .unwrap()
}

fn sha512_side_file(bytes: &[u8], name: &str) -> Vec<u8> {
    // Computed with the system's sha512sum to stay independent of the code under test.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join(name);
    std::fs::write(&f, bytes).unwrap();
    let out = Command::new("sha512sum")
        .arg(&f)
        .output()
        .expect("sha512sum");
    assert!(out.status.success());
    let line = String::from_utf8(out.stdout).unwrap();
    let digest = line.split_whitespace().next().unwrap().to_string();
    format!("{digest}  {name}\n").into_bytes()
}

/// KEV and three real ICSMA advisories (Contec CMS8000 among them) behind a changes.csv.
fn upstream() -> Upstream {
    let mut files = HashMap::new();
    files.insert(
        KEV_PATH.to_string(),
        std::fs::read(format!("{DATA}/kev/known_exploited_vulnerabilities.json")).unwrap(),
    );
    let mut changes = String::new();
    for name in CSAF_DOCS {
        let bytes = std::fs::read(format!("{DATA}/csaf/cisa-icsma/{name}")).unwrap();
        let year = format!("20{}", &name[6..8]);
        let path = format!("/csaf/white/{year}/{name}");
        files.insert(format!("{path}.sha512"), sha512_side_file(&bytes, name));
        files.insert(path, bytes);
        changes.push_str(&format!("\"{year}/{name}\",\"{year}-06-01T00:00:00Z\"\n"));
    }
    files.insert("/csaf/white/changes.csv".into(), changes.into_bytes());
    Upstream::start(files)
}

fn write_config(dir: &Path, up: &Upstream, kev_path: &str, extra: &str) {
    let toml = format!(
        "proxy = \"none\"\nretries = 0\n{extra}\n[kev]\nenabled = true\nurl = \"{base}{kev_path}\"\n\n[csaf]\nenabled = true\nurl = \"{base}/csaf/white/changes.csv\"\n",
        base = up.base
    );
    std::fs::write(dir.join("feeds.toml"), toml).unwrap();
}

fn sync_json(dir: &Path) -> (Option<i32>, Value, String) {
    let out = mdsec(dir, &["feed", "sync", "--json"]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{stderr}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (out.status.code(), v, stderr)
}

fn outcome<'a>(report: &'a Value, source: &str) -> &'a str {
    report["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["source"] == source)
        .and_then(|s| s["outcome"].as_str())
        .unwrap_or_else(|| panic!("no {source} in {report}"))
}

#[test]
fn feed_sync_downloads_imports_then_reports_unchanged() {
    let up = upstream();
    let dir = data_dir();
    write_config(dir.path(), &up, KEV_PATH, "");

    let (code, report, stderr) = sync_json(dir.path());
    assert_eq!(code, Some(0), "{report}\n{stderr}");
    assert_eq!(outcome(&report, "kev"), "downloaded");
    assert_eq!(outcome(&report, "csaf"), "downloaded");
    let import = &report["import"];
    assert!(import.is_object(), "the downloads were imported: {report}");
    assert_eq!(import["kev_total"], 1404, "{import}");
    assert_eq!(import["advisories_new"], CSAF_DOCS.len(), "{import}");
    let feeds = dir.path().join("feeds/data");
    assert_eq!(
        std::fs::read(feeds.join("kev/known_exploited_vulnerabilities.json")).unwrap(),
        std::fs::read(format!("{DATA}/kev/known_exploited_vulnerabilities.json")).unwrap()
    );
    for name in CSAF_DOCS {
        assert!(feeds.join("csaf").join(name).is_file(), "{name}");
    }

    // Second run: conditional GETs, nothing new, nothing to import.
    let (code, report, stderr) = sync_json(dir.path());
    assert_eq!(code, Some(0), "{report}\n{stderr}");
    assert_eq!(outcome(&report, "kev"), "unchanged");
    assert_eq!(outcome(&report, "csaf"), "unchanged");
    assert!(report["import"].is_null(), "{report}");
    let kev_requests = up.requests(KEV_PATH);
    assert_eq!(kev_requests.len(), 2);
    assert!(
        kev_requests[0].is_none() && kev_requests[1].is_some(),
        "{kev_requests:?}"
    );

    // Text output: one line per source.
    let out = mdsec(dir.path(), &["feed", "sync"]);
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("kev: unchanged") && text.contains("csaf: unchanged"),
        "{text}"
    );
}

#[test]
fn feed_sync_exits_nonzero_when_an_enabled_source_fails() {
    let up = upstream();
    let dir = data_dir();
    write_config(dir.path(), &up, "/kev/moved.json", "");
    let out = mdsec(dir.path(), &["feed", "sync"]);
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("kev: failed") && text.contains("HTTP 404"),
        "{text}"
    );
    assert!(
        text.contains("csaf: downloaded 3"),
        "the other source still worked: {text}"
    );
    let out = mdsec(dir.path(), &["feed", "sync", "--source", "csaf"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = mdsec(dir.path(), &["feed", "sync", "--source", "osv"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("osv is disabled"));
}

#[test]
fn feed_sync_with_nothing_enabled_writes_the_template_and_contacts_nobody() {
    let dir = data_dir();
    let out = mdsec(dir.path(), &["feed", "sync"]);
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("no feed source is enabled"), "{text}");
    let template = std::fs::read_to_string(dir.path().join("feeds.toml")).unwrap();
    assert!(template.contains("[nvd]") && template.contains("enabled = false"));
    assert!(!dir.path().join("feeds").exists(), "nothing downloaded");
}

fn serve(dir: &Path, extra: &[&str]) -> Server {
    let port = free_port();
    let child = Command::new(mdsec_bin())
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(extra)
        .arg("--data-dir")
        .arg(dir)
        .env("MDSEC_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env_remove("MDSEC_DATABASE_URL")
        .env_remove("MDSEC_FEED_SYNC_EVERY")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start mdsec serve");
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
        dir: dir.to_path_buf(),
    };
    server.wait_healthy(Duration::from_secs(20));
    server
}

#[test]
fn serve_syncs_on_its_schedule_and_never_without_one() {
    let up = upstream();
    // No schedule: sources are enabled, yet serve contacts nobody.
    let quiet = data_dir();
    write_config(quiet.path(), &up, KEV_PATH, "");
    let server = serve(quiet.path(), &[]);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        up.total_requests(),
        0,
        "serve without a schedule contacted a source"
    );
    drop(server);

    // With a schedule: the first run is due at once (no earlier run recorded), then imported.
    let dir = data_dir();
    write_config(dir.path(), &up, KEV_PATH, "");
    let _server = serve(dir.path(), &["--feed-sync-every", "6h"]);
    let state_file = dir.path().join("feeds/state.json");
    let start = Instant::now();
    loop {
        let done = std::fs::read(&state_file)
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .is_some_and(|s| {
                s["sources"]["kev"]["last_success"].is_string()
                    && s["sources"]["csaf"]["last_success"].is_string()
            });
        if done {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the scheduled sync did not run"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(up.requests(KEV_PATH).len(), 1);
    assert!(dir
        .path()
        .join("feeds/data/kev/known_exploited_vulnerabilities.json")
        .is_file());

    // feeds.toml's sync_every is the fallback for the flag; a too-short one is refused at start.
    let bad = data_dir();
    write_config(bad.path(), &up, KEV_PATH, "sync_every = \"1m\"");
    let out = Command::new(mdsec_bin())
        .args(["serve", "--listen", &format!("127.0.0.1:{}", free_port())])
        .arg("--data-dir")
        .arg(bad.path())
        .env("MDSEC_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env_remove("MDSEC_DATABASE_URL")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sync_every"));
}
