//! Feed sync against a local HTTP server on 127.0.0.1 (port 0) that serves real data from
//! ../shared/data in the publishers' formats: KEV JSON, OSV archives built here from the Go and
//! RustSec OSV records, CISA ICSMA CSAF documents behind provider metadata and a ROLIE feed with
//! .sha512/.sha256 side files, NVD API 2.0 pages built from real records, MyJVN overview pages.
//! No other address is ever contacted.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Response, Uri};
use mdsec_feed_sync::*;
use serde_json::{json, Value};
use sha2::Digest;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data");
const VULNDB_FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../vulndb/tests/fixtures");

const KEV_PATH: &str = "/kev/known_exploited_vulnerabilities.json";
const EPSS_PATH: &str = "/epss/epss_scores-current.csv.gz";
const NVD_PATH: &str = "/nvd/rest/json/cves/2.0";
const JVN_PATH: &str = "/myjvn";
const CSAF_META_PATH: &str = "/csaf/provider-metadata.json";
const CSAF_FEED_PATH: &str = "/csaf/white/csaf-feed-tlp-white.json";
const CSAF_AMBER_PATH: &str = "/csaf/amber/csaf-feed-tlp-amber.json";
const CSAF_ICSA_PATH: &str = "/csaf/white/2023/icsa-23-001-01.json";

// ------------------------------------------------------------------------------------ test server

#[derive(Clone)]
struct Fixture {
    body: Vec<u8>,
    etag: Option<String>,
    last_modified: Option<String>,
}

#[derive(Clone, Debug)]
struct Seen {
    path: String,
    query: String,
    headers: HeaderMap,
    status: u16,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    fn param(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
}

struct NvdApi {
    records: Vec<Value>,
    key: String,
    /// Answer the first request with 403 and a body that echoes the key (as a careless proxy might).
    refuse_first: bool,
}

#[derive(Default)]
struct Inner {
    files: HashMap<String, Fixture>,
    /// One-shot: the next GET of this path stops after this many body bytes.
    cut_after: HashMap<String, usize>,
    ignore_range: bool,
    nvd: Option<NvdApi>,
    jvn_pages: Vec<Vec<u8>>,
    seen: Vec<Seen>,
}

struct TestServer {
    base: String,
    inner: Arc<Mutex<Inner>>,
}

impl TestServer {
    async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        assert!(addr.ip().is_loopback());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        TestServer {
            base: format!("http://{addr}"),
            inner,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn put(&self, path: &str, body: Vec<u8>) {
        let digest = hex::encode(sha2::Sha256::digest(&body));
        let fixture = Fixture {
            etag: Some(format!("\"{}\"", &digest[..16])),
            last_modified: Some(format!(
                "Mon, 0{} Sep 2025 10:00:00 GMT",
                1 + body.len() % 9
            )),
            body,
        };
        self.inner
            .lock()
            .unwrap()
            .files
            .insert(path.to_string(), fixture);
    }

    fn fixture(&self, path: &str) -> Fixture {
        self.inner.lock().unwrap().files[path].clone()
    }

    fn cut(&self, path: &str, after: usize) {
        self.inner
            .lock()
            .unwrap()
            .cut_after
            .insert(path.to_string(), after);
    }

    fn seen(&self) -> Vec<Seen> {
        self.inner.lock().unwrap().seen.clone()
    }

    fn seen_path(&self, path: &str) -> Vec<Seen> {
        self.seen().into_iter().filter(|s| s.path == path).collect()
    }

    fn clear_seen(&self) {
        self.inner.lock().unwrap().seen.clear();
    }
}

async fn handle(
    State(inner): State<Arc<Mutex<Inner>>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response<Body> {
    let path = uri.path().to_string();
    let query = uri.query().unwrap_or("").to_string();
    let mut g = inner.lock().unwrap();
    let (resp, status) = respond(&mut g, &path, &query, &headers);
    g.seen.push(Seen {
        path,
        query,
        headers,
        status,
    });
    resp
}

fn simple(status: u16, body: impl Into<Vec<u8>>) -> (Response<Body>, u16) {
    let resp = Response::builder()
        .status(status)
        .body(Body::from(body.into()))
        .unwrap();
    (resp, status)
}

fn respond(g: &mut Inner, path: &str, query: &str, headers: &HeaderMap) -> (Response<Body>, u16) {
    let h = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if path == NVD_PATH {
        return nvd(g, query, h("apikey"));
    }
    if path == JVN_PATH {
        let seen = Seen {
            path: path.into(),
            query: query.into(),
            headers: HeaderMap::new(),
            status: 0,
        };
        let start: usize = seen
            .param("startItem")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let per: usize = seen
            .param("maxCountItem")
            .and_then(|s| s.parse().ok())
            .unwrap_or(50);
        return match g.jvn_pages.get(start.saturating_sub(1) / per.max(1)) {
            Some(p) => simple(200, p.clone()),
            None => simple(400, "bad startItem"),
        };
    }
    let Some(f) = g.files.get(path).cloned() else {
        return simple(404, "not found");
    };
    let inm = h("if-none-match");
    let ims = h("if-modified-since");
    let not_modified = match inm {
        Some(v) => Some(v) == f.etag.as_deref(),
        None => ims.is_some() && ims == f.last_modified.as_deref(),
    };
    if not_modified {
        let resp = Response::builder()
            .status(304)
            .header("etag", f.etag.clone().unwrap_or_default())
            .body(Body::empty())
            .unwrap();
        return (resp, 304);
    }
    let mut start = 0usize;
    if let (Some(range), false) = (h("range"), g.ignore_range) {
        let if_range_ok = match h("if-range") {
            None => true,
            Some(v) => Some(v) == f.etag.as_deref() || Some(v) == f.last_modified.as_deref(),
        };
        if if_range_ok {
            let from: usize = range
                .strip_prefix("bytes=")
                .and_then(|r| r.strip_suffix('-'))
                .and_then(|n| n.parse().ok())
                .expect("the client sends bytes=N-");
            if from >= f.body.len() {
                return simple(416, "");
            }
            start = from;
        }
    }
    let len = f.body.len();
    let body = f.body[start..].to_vec();
    let status = if start > 0 { 206 } else { 200 };
    let mut b = Response::builder()
        .status(status)
        .header("content-length", body.len())
        .header("accept-ranges", "bytes");
    if let Some(e) = &f.etag {
        b = b.header("etag", e);
    }
    if let Some(lm) = &f.last_modified {
        b = b.header("last-modified", lm);
    }
    if start > 0 {
        b = b.header("content-range", format!("bytes {start}-{}/{len}", len - 1));
    }
    let body = match g.cut_after.remove(path) {
        Some(n) => {
            let first = Bytes::from(body[..n.min(body.len())].to_vec());
            let stream = futures_util::stream::unfold(0u8, move |step| {
                let first = first.clone();
                async move {
                    match step {
                        0 => Some((Ok::<Bytes, std::io::Error>(first), 1)),
                        1 => {
                            tokio::time::sleep(Duration::from_millis(200)).await;
                            Some((Err(std::io::Error::other("cut by the test server")), 2))
                        }
                        _ => None,
                    }
                }
            });
            Body::from_stream(stream)
        }
        None => Body::from(body),
    };
    (b.body(body).unwrap(), status)
}

fn nvd(g: &mut Inner, query: &str, key: Option<&str>) -> (Response<Body>, u16) {
    let api = g.nvd.as_mut().expect("NVD API configured");
    if api.refuse_first {
        api.refuse_first = false;
        return simple(403, format!("Request forbidden for apiKey {}", api.key));
    }
    if key != Some(api.key.as_str()) {
        return simple(404, "invalid apiKey");
    }
    let q = Seen {
        path: String::new(),
        query: query.into(),
        headers: HeaderMap::new(),
        status: 0,
    };
    let start: usize = q.param("startIndex").unwrap().parse().unwrap();
    let per: usize = q.param("resultsPerPage").unwrap().parse().unwrap();
    // An incremental window after the full download: nothing was modified since.
    let records: &[Value] = if q.param("lastModStartDate").is_some() {
        &[]
    } else {
        &api.records
    };
    let page: Vec<Value> = records.iter().skip(start).take(per).cloned().collect();
    let body = json!({
        "resultsPerPage": page.len(),
        "startIndex": start,
        "totalResults": records.len(),
        "format": "NVD_CVE",
        "version": "2.0",
        "timestamp": "2025-09-01T10:00:00.000",
        "vulnerabilities": page,
    });
    simple(200, serde_json::to_vec(&body).unwrap())
}

// ------------------------------------------------------------------------------------ fixtures

fn read(path: impl AsRef<Path>) -> Vec<u8> {
    let p = path.as_ref();
    std::fs::read(p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

fn kev_bytes() -> Vec<u8> {
    read(format!("{DATA}/kev/known_exploited_vulnerabilities.json"))
}

/// The first `n` files of a folder of real OSV JSON records, sorted by name.
fn osv_records(dir: &str, n: usize) -> Vec<(String, Vec<u8>)> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    names.sort();
    names
        .into_iter()
        .take(n)
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                read(&p),
            )
        })
        .collect()
}

fn zip_of(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in members {
        w.start_file(name.as_str(), opts).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn sha512_hex(b: &[u8]) -> String {
    hex::encode(sha2::Sha512::digest(b))
}

fn sha256_hex(b: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(b))
}

struct Csaf {
    /// (file name, bytes, URL path)
    docs: Vec<(String, Vec<u8>, String)>,
}

/// Real CISA ICSMA advisories behind provider metadata and a ROLIE feed. Side files: the feed's hash
/// link (.sha512) for even entries; for odd ones the client must probe: most have a .sha512, one only
/// a .sha256, one none at all. The feed also lists an ICSA advisory (filtered out by `include`), and
/// the metadata an AMBER feed (filtered out by TLP); neither may be requested.
fn serve_csaf(server: &TestServer, n: usize) -> Csaf {
    let mut names: Vec<PathBuf> = std::fs::read_dir(format!("{DATA}/csaf/cisa-icsma"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    names.sort();
    let mut docs = Vec::new();
    for p in names.into_iter().take(n) {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let year = format!("20{}", &name[6..8]);
        docs.push((name.clone(), read(&p), format!("/csaf/white/{year}/{name}")));
    }
    let mut entries = Vec::new();
    for (i, (name, bytes, path)) in docs.iter().enumerate() {
        server.put(path, bytes.clone());
        let mut links = vec![json!({"rel": "self", "href": server.url(path)})];
        if i % 2 == 0 {
            links.push(json!({"rel": "hash", "href": server.url(&format!("{path}.sha512"))}));
            server.put(
                &format!("{path}.sha512"),
                format!("{}  {name}\n", sha512_hex(bytes)).into_bytes(),
            );
        } else if i == 1 {
            server.put(
                &format!("{path}.sha256"),
                format!("{}  {name}\n", sha256_hex(bytes)).into_bytes(),
            );
        } else if i == 3 {
            // no side file at all
        } else {
            server.put(
                &format!("{path}.sha512"),
                format!("{}  {name}\n", sha512_hex(bytes)).into_bytes(),
            );
        }
        entries.push(json!({
            "id": name.trim_end_matches(".json").to_uppercase(),
            "title": name,
            "link": links,
            "published": "2023-01-01T00:00:00Z",
            "updated": "2023-01-01T00:00:00Z",
            "content": {"type": "application/json", "src": server.url(path)},
            "format": {"schema": "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json", "version": "2.0"}
        }));
    }
    entries.push(json!({
        "id": "ICSA-23-001-01",
        "link": [{"rel": "self", "href": server.url(CSAF_ICSA_PATH)}],
        "updated": "2023-01-01T00:00:00Z"
    }));
    put_feed(server, &entries);
    let meta = json!({
        "canonical_url": server.url(CSAF_META_PATH),
        "list_on_CSAF_aggregators": true,
        "metadata_version": "2.0",
        "mirror_on_CSAF_aggregators": true,
        "publisher": {"category": "coordinator", "name": "CISA", "namespace": "https://www.cisa.gov/"},
        "role": "csaf_trusted_provider",
        "distributions": [{"rolie": {"feeds": [
            {"summary": "WHITE advisories", "tlp_label": "WHITE", "url": server.url(CSAF_FEED_PATH)},
            {"summary": "AMBER advisories", "tlp_label": "AMBER", "url": server.url(CSAF_AMBER_PATH)}
        ]}}]
    });
    server.put(CSAF_META_PATH, serde_json::to_vec_pretty(&meta).unwrap());
    Csaf { docs }
}

fn put_feed(server: &TestServer, entries: &[Value]) {
    let feed = json!({"feed": {
        "id": "csaf-feed-tlp-white",
        "title": "CISA CSAF feed (TLP:WHITE)",
        "link": [{"rel": "self", "href": server.url(CSAF_FEED_PATH)}],
        "category": [{"scheme": "urn:ietf:params:rolie:category:information-type", "term": "csaf"}],
        "updated": "2025-09-01T00:00:00Z",
        "entry": entries
    }});
    server.put(CSAF_FEED_PATH, serde_json::to_vec_pretty(&feed).unwrap());
}

/// NVD CVE records: the two real records of the NVD fixture page, then records in the NVD API 2.0
/// shape carrying the real CVE id, description, CWE and CISA fields of the first KEV entries.
fn nvd_records(n: usize) -> Vec<Value> {
    let page: Value =
        serde_json::from_slice(&read(format!("{VULNDB_FIXTURES}/nvd_page.json"))).unwrap();
    let mut out: Vec<Value> = page["vulnerabilities"].as_array().unwrap().clone();
    let kev: Value = serde_json::from_slice(&kev_bytes()).unwrap();
    for k in kev["vulnerabilities"].as_array().unwrap() {
        if out.len() >= n {
            break;
        }
        let id = k["cveID"].as_str().unwrap();
        if out.iter().any(|r| r["cve"]["id"] == id) {
            continue;
        }
        let added = k["dateAdded"].as_str().unwrap();
        let cwes: Vec<Value> = k["cwes"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| json!({"lang": "en", "value": c}))
            .collect();
        out.push(json!({"cve": {
            "id": id,
            "sourceIdentifier": "cve@mitre.org",
            "published": format!("{added}T00:00:00.000"),
            "lastModified": format!("{added}T12:00:00.000"),
            "vulnStatus": "Analyzed",
            "cisaExploitAdd": added,
            "cisaActionDue": k["dueDate"],
            "cisaRequiredAction": k["requiredAction"],
            "cisaVulnerabilityName": k["vulnerabilityName"],
            "descriptions": [{"lang": "en", "value": k["shortDescription"]}],
            "metrics": {},
            "weaknesses": if cwes.is_empty() { json!([]) } else { json!([{"source": "nvd@nist.gov", "type": "Primary", "description": cwes}]) },
            "references": []
        }}));
    }
    out
}

/// The official MyJVN getVulnOverviewList example (totalRes 6, 2 per page) as pages 1, 3 and 5.
fn jvn_pages() -> Vec<Vec<u8>> {
    let text = String::from_utf8(read(format!(
        "{DATA}/jvn/examples/hnd/getVulnOverviewList_hnd.xml"
    )))
    .unwrap();
    assert!(text.contains("firstRes=\"1\""));
    [1, 3, 5]
        .iter()
        .map(|first| {
            text.replace("firstRes=\"1\"", &format!("firstRes=\"{first}\""))
                .into_bytes()
        })
        .collect()
}

fn config(server: &TestServer) -> FeedConfig {
    let mut c = FeedConfig {
        proxy: Some("none".into()),
        retries: 0,
        retry_backoff_ms: 10,
        timeout_secs: 10,
        connect_timeout_secs: 5,
        ..FeedConfig::default()
    };
    c.kev.url = server.url(KEV_PATH);
    c.epss.url = server.url(EPSS_PATH);
    c.osv.url = server.url("/osv");
    c.osv.ecosystems = vec!["Go".into(), "crates.io".into()];
    c.nvd.url = server.url(NVD_PATH);
    c.nvd.min_interval_ms = Some(0);
    c.csaf.url = server.url(CSAF_META_PATH);
    c.jvn.url = server.url(JVN_PATH);
    c.jvn.min_interval_ms = 0;
    c
}

async fn run(c: &FeedConfig, dir: &Path) -> SyncReport {
    sync(c, dir, &SyncOptions::default(), &NoProgress)
        .await
        .unwrap()
}

fn source<'a>(r: &'a SyncReport, name: &str) -> &'a SourceReport {
    r.sources
        .iter()
        .find(|s| s.source == name)
        .unwrap_or_else(|| panic!("no report for {name}: {r:?}"))
}

fn data(dir: &Path, rel: &str) -> PathBuf {
    dir.join(DATA_DIR_NAME).join(rel)
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

// ------------------------------------------------------------------------------------ tests

#[tokio::test]
async fn first_sync_downloads_second_gets_304_and_reports_unchanged() {
    let server = TestServer::start().await;
    let kev = kev_bytes();
    server.put(KEV_PATH, kev.clone());
    let epss_csv = read(format!("{VULNDB_FIXTURES}/epss_sample.csv"));
    server.put(EPSS_PATH, gzip(&epss_csv));
    let go = osv_records(&format!("{DATA}/osv/go"), 60);
    let rust = osv_records(&format!("{DATA}/rustsec/osv/crates"), 40);
    server.put("/osv/Go/all.zip", zip_of(&go));
    server.put("/osv/crates.io/all.zip", zip_of(&rust));
    let csaf = serve_csaf(&server, 12);

    let mut c = config(&server);
    for name in ["kev", "epss", "osv", "csaf"] {
        match name {
            "kev" => c.kev.enabled = true,
            "epss" => c.epss.enabled = true,
            "osv" => c.osv.enabled = true,
            _ => c.csaf.enabled = true,
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let feeds = dir.path();

    // First run: everything is new.
    let r = run(&c, feeds).await;
    for s in &r.sources {
        assert_eq!(s.outcome, Outcome::Downloaded, "{s:?}");
        assert!(s.errors.is_empty(), "{s:?}");
    }
    let kev_file = data(feeds, "kev/known_exploited_vulnerabilities.json");
    assert_eq!(read(&kev_file), kev, "KEV is stored byte for byte");
    let catalog = mdsec_vulndb::parse_kev_json("kev", &read(&kev_file)).unwrap();
    assert_eq!(catalog.vulnerabilities.len(), 1404);
    let epss_file = data(feeds, "epss/epss_scores-current.csv");
    assert_eq!(read(&epss_file), epss_csv, "EPSS is stored decompressed");
    assert_eq!(
        mdsec_vulndb::parse_epss("epss", &read(&epss_file))
            .unwrap()
            .rows
            .len(),
        5
    );
    for (eco, records) in [("Go", &go), ("crates.io", &rust)] {
        let stored = files_under(&data(feeds, &format!("osv/{eco}")));
        assert_eq!(stored.len(), records.len(), "{eco}");
        for (name, bytes) in records.iter() {
            assert_eq!(
                &read(data(feeds, &format!("osv/{eco}/{name}"))),
                bytes,
                "{eco}/{name}"
            );
        }
    }
    let csaf_files = files_under(&data(feeds, "csaf"));
    assert_eq!(csaf_files.len(), csaf.docs.len());
    for (name, bytes, _) in &csaf.docs {
        assert_eq!(&read(data(feeds, &format!("csaf/{name}"))), bytes, "{name}");
    }
    assert_eq!(source(&r, "csaf").downloaded, csaf.docs.len() as u64);
    // Import gets exactly the new files and folders.
    let mut expected: Vec<PathBuf> = vec![
        data(feeds, "osv/Go"),
        data(feeds, "osv/crates.io"),
        kev_file.clone(),
        epss_file.clone(),
    ];
    expected.extend(
        csaf.docs
            .iter()
            .map(|(n, _, _)| data(feeds, &format!("csaf/{n}"))),
    );
    let mut got = r.paths();
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
    // Nothing half-done is left where import reads, and the state was written.
    assert!(files_under(&feeds.join(DATA_DIR_NAME))
        .iter()
        .all(|p| !p.to_string_lossy().ends_with(".part")));
    let state: SyncState = serde_json::from_slice(&read(feeds.join(STATE_FILE_NAME))).unwrap();
    let kev_state = &state.sources["kev"].resources[&server.url(KEV_PATH)];
    assert_eq!(kev_state.etag, server.fixture(KEV_PATH).etag);
    assert_eq!(kev_state.sha256.as_deref(), Some(sha256_hex(&kev).as_str()));
    // Filters: no AMBER feed, no non-medical advisory; side files were checked.
    assert!(server.seen_path(CSAF_AMBER_PATH).is_empty());
    assert!(server.seen_path(CSAF_ICSA_PATH).is_empty());
    let (_, _, second_doc) = &csaf.docs[1];
    assert_eq!(
        server.seen_path(&format!("{second_doc}.sha512"))[0].status,
        404
    );
    assert_eq!(
        server.seen_path(&format!("{second_doc}.sha256"))[0].status,
        200
    );

    // Second run: conditional requests, 304, nothing re-downloaded.
    server.clear_seen();
    let r = run(&c, feeds).await;
    for s in &r.sources {
        assert_eq!(s.outcome, Outcome::Unchanged, "{s:?}");
        assert_eq!(s.downloaded, 0);
        assert!(s.paths.is_empty());
    }
    assert!(r.paths().is_empty());
    for path in [
        KEV_PATH,
        EPSS_PATH,
        "/osv/Go/all.zip",
        "/osv/crates.io/all.zip",
        CSAF_META_PATH,
        CSAF_FEED_PATH,
    ] {
        let f = server.fixture(path);
        let seen = server.seen_path(path);
        assert_eq!(seen.len(), 1, "{path}");
        assert_eq!(seen[0].header("if-none-match"), f.etag.as_deref(), "{path}");
        assert_eq!(
            seen[0].header("if-modified-since"),
            f.last_modified.as_deref(),
            "{path}"
        );
        assert_eq!(seen[0].status, 304, "{path}");
    }
    // The ROLIE feed said the documents did not change, so none was requested.
    for (_, _, path) in &csaf.docs {
        assert!(server.seen_path(path).is_empty(), "{path}");
    }
    assert_eq!(source(&r, "csaf").unchanged, csaf.docs.len() as u64);

    // The KEV catalogue changes upstream: the next run downloads it again.
    let v: Value = serde_json::from_slice(&kev).unwrap();
    let mut smaller = v.clone();
    smaller["vulnerabilities"]
        .as_array_mut()
        .unwrap()
        .truncate(1000);
    let new_kev = serde_json::to_vec(&smaller).unwrap();
    server.put(KEV_PATH, new_kev.clone());
    let r = run(&c, feeds).await;
    assert_eq!(source(&r, "kev").outcome, Outcome::Downloaded);
    assert_eq!(source(&r, "epss").outcome, Outcome::Unchanged);
    assert_eq!(read(&kev_file), new_kev);
}

#[tokio::test]
async fn cut_transfer_resumes_with_range_on_the_next_run() {
    let server = TestServer::start().await;
    let kev = kev_bytes();
    server.put(KEV_PATH, kev.clone());
    server.cut(KEV_PATH, 400_000);
    let mut c = config(&server);
    c.kev.enabled = true;
    let dir = tempfile::tempdir().unwrap();
    let feeds = dir.path();
    let dest = data(feeds, "kev/known_exploited_vulnerabilities.json");

    let r = run(&c, feeds).await;
    let s = source(&r, "kev");
    assert_eq!(s.outcome, Outcome::Failed);
    assert!(
        s.errors[0].contains("interrupted after 400000 bytes"),
        "{s:?}"
    );
    assert!(!dest.exists(), "nothing half-written where import reads");
    let part = feeds
        .join(WORK_DIR_NAME)
        .join("kev/known_exploited_vulnerabilities.json.part");
    assert_eq!(std::fs::metadata(&part).unwrap().len(), 400_000);

    server.clear_seen();
    let r = run(&c, feeds).await;
    let s = source(&r, "kev");
    assert_eq!(s.outcome, Outcome::Downloaded, "{s:?}");
    assert_eq!(s.resumed, vec![400_000]);
    assert_eq!(
        s.bytes,
        (kev.len() - 400_000) as u64,
        "only the rest was transferred"
    );
    let seen = server.seen_path(KEV_PATH);
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].header("range"), Some("bytes=400000-"));
    assert_eq!(
        seen[0].header("if-range"),
        server.fixture(KEV_PATH).etag.as_deref()
    );
    assert_eq!(seen[0].status, 206);
    assert_eq!(read(&dest), kev, "byte-identical after the resume");
    assert!(!part.exists());
}

#[tokio::test]
async fn a_retry_in_the_same_run_resumes_too() {
    let server = TestServer::start().await;
    let go = osv_records(&format!("{DATA}/osv/go"), 200);
    let archive = zip_of(&go);
    server.put("/osv/Go/all.zip", archive.clone());
    server.cut("/osv/Go/all.zip", archive.len() / 3);
    let mut c = config(&server);
    c.osv.enabled = true;
    c.osv.ecosystems = vec!["Go".into()];
    c.retries = 1;
    let dir = tempfile::tempdir().unwrap();
    let r = run(&c, dir.path()).await;
    let s = source(&r, "osv");
    assert_eq!(s.outcome, Outcome::Downloaded, "{s:?}");
    assert_eq!(s.resumed, vec![(archive.len() / 3) as u64]);
    let seen = server.seen_path("/osv/Go/all.zip");
    assert_eq!(
        seen.iter().map(|s| s.status).collect::<Vec<_>>(),
        vec![200, 206]
    );
    assert_eq!(files_under(&data(dir.path(), "osv/Go")).len(), go.len());
}

#[tokio::test]
async fn a_server_that_ignores_range_gets_a_full_download() {
    let server = TestServer::start().await;
    let kev = kev_bytes();
    server.put(KEV_PATH, kev.clone());
    server.cut(KEV_PATH, 300_000);
    server.inner.lock().unwrap().ignore_range = true;
    let mut c = config(&server);
    c.kev.enabled = true;
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        source(&run(&c, dir.path()).await, "kev").outcome,
        Outcome::Failed
    );
    server.clear_seen();
    let r = run(&c, dir.path()).await;
    let s = source(&r, "kev");
    assert_eq!(s.outcome, Outcome::Downloaded);
    assert!(s.resumed.is_empty());
    assert_eq!(s.bytes, kev.len() as u64);
    let seen = server.seen_path(KEV_PATH);
    assert_eq!(seen[0].header("range"), Some("bytes=300000-"));
    assert_eq!(seen[0].status, 200);
    assert_eq!(
        read(data(dir.path(), "kev/known_exploited_vulnerabilities.json")),
        kev
    );
}

#[tokio::test]
async fn checksum_mismatch_is_rejected_and_the_previous_copy_kept() {
    let server = TestServer::start().await;
    let csaf = serve_csaf(&server, 6);
    let mut c = config(&server);
    c.csaf.enabled = true;
    let dir = tempfile::tempdir().unwrap();
    let feeds = dir.path();
    assert_eq!(
        source(&run(&c, feeds).await, "csaf").outcome,
        Outcome::Downloaded
    );

    // Document 0 changes upstream (new bytes, new ETag, new `updated`), but its .sha512 still
    // describes the old bytes.
    let (name, old, path) = csaf.docs[0].clone();
    let mut doc: Value = serde_json::from_slice(&old).unwrap();
    doc["document"]["tracking"]["version"] = json!("99");
    let new = serde_json::to_vec_pretty(&doc).unwrap();
    server.put(&path, new.clone());
    let feed: Value = serde_json::from_slice(&server.fixture(CSAF_FEED_PATH).body).unwrap();
    let mut entries = feed["feed"]["entry"].as_array().unwrap().clone();
    entries[0]["updated"] = json!("2025-09-02T00:00:00Z");
    put_feed(&server, &entries);

    let r = run(&c, feeds).await;
    let s = source(&r, "csaf");
    assert_eq!(s.outcome, Outcome::Failed);
    assert_eq!((s.failed, s.downloaded), (1, 0), "{s:?}");
    assert!(s.errors[0].contains("SHA-512 checksum mismatch"), "{s:?}");
    assert!(s.errors[0].contains(&path), "names the document: {s:?}");
    assert_eq!(
        read(data(feeds, &format!("csaf/{name}"))),
        old,
        "previous good copy kept"
    );
    assert!(s.paths.is_empty(), "nothing to import");

    // The provider fixes its side file: the next run takes the new version.
    server.put(
        &format!("{path}.sha512"),
        format!("{}  {name}\n", sha512_hex(&new)).into_bytes(),
    );
    let r = run(&c, feeds).await;
    let s = source(&r, "csaf");
    assert_eq!(s.outcome, Outcome::Downloaded, "{s:?}");
    assert_eq!(s.downloaded, 1);
    assert_eq!(read(data(feeds, &format!("csaf/{name}"))), new);
}

#[tokio::test]
async fn malformed_or_hostile_downloads_never_replace_a_good_copy() {
    let server = TestServer::start().await;
    let kev = kev_bytes();
    server.put(KEV_PATH, kev.clone());
    let go = osv_records(&format!("{DATA}/osv/go"), 30);
    server.put("/osv/Go/all.zip", zip_of(&go));
    let mut c = config(&server);
    c.kev.enabled = true;
    c.osv.enabled = true;
    c.osv.ecosystems = vec!["Go".into()];
    let dir = tempfile::tempdir().unwrap();
    let feeds = dir.path();
    assert!(!run(&c, feeds).await.any_failed());

    // Truncated JSON (a "200 OK" that is cut at the origin).
    server.put(KEV_PATH, kev[..kev.len() / 2].to_vec());
    // An archive member that climbs out of the folder.
    let mut evil = go.clone();
    evil.push(("../escape.json".into(), br#"{"id":"X"}"#.to_vec()));
    server.put("/osv/Go/all.zip", zip_of(&evil));
    let r = run(&c, feeds).await;
    let s = source(&r, "kev");
    assert_eq!(s.outcome, Outcome::Failed);
    assert!(s.errors[0].contains("not well-formed JSON"), "{s:?}");
    let s = source(&r, "osv");
    assert_eq!(s.outcome, Outcome::Failed);
    assert!(s.errors[0].contains("../escape.json"), "{s:?}");
    assert_eq!(
        read(data(feeds, "kev/known_exploited_vulnerabilities.json")),
        kev
    );
    assert_eq!(files_under(&data(feeds, "osv/Go")).len(), go.len());
    assert!(
        !feeds.join("data/osv/escape.json").exists() && !feeds.join("data/escape.json").exists()
    );

    // A decompression bomb: one small-looking record that inflates far beyond the ratio cap.
    let bomb = format!(
        "{{\"id\":\"GO-BOMB\",\"details\":\"{}\"}}",
        "0".repeat(8 * 1024 * 1024)
    );
    server.put(
        "/osv/Go/all.zip",
        zip_of(&[("GO-BOMB.json".into(), bomb.into_bytes())]),
    );
    let r = run(&c, feeds).await;
    let s = source(&r, "osv");
    assert_eq!(s.outcome, Outcome::Failed);
    assert!(s.errors[0].contains("compression ratio"), "{s:?}");
    assert_eq!(files_under(&data(feeds, "osv/Go")).len(), go.len());
}

/// Collects everything the tracing subscriber writes.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuffer {
    type Writer = LogBuffer;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn nvd_pages_carry_the_api_key_header_and_the_key_is_never_logged() {
    const KEY: &str = "5b1c9e0a-77d2-4c1e-9f1a-test-only-key";
    let logs = LogBuffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(logs.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = TestServer::start().await;
    let records = nvd_records(25);
    assert_eq!(records.len(), 25);
    server.inner.lock().unwrap().nvd = Some(NvdApi {
        records: records.clone(),
        key: KEY.into(),
        refuse_first: true,
    });
    let mut c = config(&server);
    c.nvd.enabled = true;
    c.nvd.api_key = Some(KEY.into());
    c.nvd.results_per_page = 10;
    c.retries = 1;
    let dir = tempfile::tempdir().unwrap();
    let feeds = dir.path();

    let r = run(&c, feeds).await;
    let s = source(&r, "nvd");
    assert_eq!(s.outcome, Outcome::Downloaded, "{s:?}");
    assert_eq!(s.downloaded, 3);
    let seen = server.seen_path(NVD_PATH);
    assert_eq!(
        seen.len(),
        4,
        "one refused request, retried, then three pages"
    );
    assert_eq!(seen[0].status, 403);
    for q in &seen {
        assert_eq!(
            q.header("apikey"),
            Some(KEY),
            "every request carries the apiKey header"
        );
        assert!(!q.query.contains(KEY), "the key never travels in the URL");
        assert_eq!(q.param("resultsPerPage").as_deref(), Some("10"));
        assert!(
            q.param("lastModStartDate").is_none(),
            "first run is a full download"
        );
    }
    let starts: Vec<String> = seen
        .iter()
        .map(|q| q.param("startIndex").unwrap())
        .collect();
    assert_eq!(starts, ["0", "0", "10", "20"]);

    let full = data(feeds, "nvd/full");
    assert_eq!(s.paths, vec![full.clone()]);
    let pages = files_under(&full);
    assert_eq!(pages.len(), 3);
    let mut ids = Vec::new();
    for p in &pages {
        let doc = mdsec_vulndb::parse_nvd(&p.display().to_string(), &read(p)).unwrap();
        ids.extend(doc.vulnerabilities.into_iter().map(|v| v.id));
    }
    let want: Vec<String> = records
        .iter()
        .map(|r| r["cve"]["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, want, "every record of every page, in order");

    // Second run: an incremental window from the cursor; nothing modified since.
    server.clear_seen();
    let r2 = run(&c, feeds).await;
    assert_eq!(source(&r2, "nvd").outcome, Outcome::Unchanged);
    let seen = server.seen_path(NVD_PATH);
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].header("apikey"), Some(KEY));
    let from = seen[0]
        .param("lastModStartDate")
        .expect("incremental window");
    assert!(seen[0].param("lastModEndDate").is_some());
    let state: SyncState = serde_json::from_slice(&read(feeds.join(STATE_FILE_NAME))).unwrap();
    let cursor = state.sources["nvd"].cursor.clone().unwrap();
    assert!(
        cursor.starts_with(&from[..19]) || from.as_str() < cursor.as_str(),
        "{from} / {cursor}"
    );

    // The key appears nowhere: not in logs (even at TRACE), the report, or the state file.
    let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(logged.contains("NVD: GET"), "the log capture works");
    assert!(
        logged.contains("HTTP 403") && logged.contains("[redacted]"),
        "the echoed key was scrubbed: {logged}"
    );
    assert!(!logged.contains(KEY), "API key in the log");
    let report = serde_json::to_string(&r).unwrap() + &serde_json::to_string(&r2).unwrap();
    assert!(!report.contains(KEY));
    assert!(!String::from_utf8_lossy(&read(feeds.join(STATE_FILE_NAME))).contains(KEY));
    assert!(!format!("{c:?}").contains(KEY));
}

#[tokio::test]
async fn myjvn_overview_pages_are_all_fetched() {
    let server = TestServer::start().await;
    server.inner.lock().unwrap().jvn_pages = jvn_pages();
    let mut c = config(&server);
    c.jvn.enabled = true;
    c.jvn.max_count_item = 2;
    let dir = tempfile::tempdir().unwrap();
    let r = run(&c, dir.path()).await;
    let s = source(&r, "jvn");
    assert_eq!(s.outcome, Outcome::Downloaded, "{s:?}");
    assert_eq!(s.downloaded, 3);
    let seen = server.seen_path(JVN_PATH);
    let starts: Vec<String> = seen.iter().map(|q| q.param("startItem").unwrap()).collect();
    assert_eq!(starts, ["1", "3", "5"]);
    for q in &seen {
        assert_eq!(q.param("method").as_deref(), Some("getVulnOverviewList"));
        assert_eq!(q.param("maxCountItem").as_deref(), Some("2"));
        assert!(q.param("datePublishedStartY").is_some());
    }
    let pages = files_under(&s.paths[0]);
    assert_eq!(pages.len(), 3);
    for p in &pages {
        let doc = mdsec_vulndb::parse_jvn("page", &read(p)).unwrap();
        assert_eq!(doc.entries.len(), 2);
        assert_eq!(doc.total_results, Some(6));
    }
}

#[tokio::test]
async fn disabled_sources_are_never_contacted() {
    let server = TestServer::start().await;
    server.put(KEV_PATH, kev_bytes());
    let c = config(&server); // every URL points at the server, nothing enabled
    let dir = tempfile::tempdir().unwrap();
    let r = run(&c, dir.path()).await;
    assert!(r.sources.is_empty());
    let err = sync(
        &c,
        dir.path(),
        &SyncOptions {
            only: vec!["kev".into()],
        },
        &NoProgress,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, FeedSyncError::Disabled(ref n) if n == "kev"),
        "{err}"
    );
    let err = sync(
        &c,
        dir.path(),
        &SyncOptions {
            only: vec!["nvdd".into()],
        },
        &NoProgress,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, FeedSyncError::UnknownSource(_)), "{err}");
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        server.seen().is_empty(),
        "no request while nothing is enabled"
    );
    // Enabling one source contacts only that one.
    let mut one = c.clone();
    one.kev.enabled = true;
    let r = run(&one, dir.path()).await;
    assert_eq!(r.sources.len(), 1);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let paths: Vec<String> = server.seen().into_iter().map(|s| s.path).collect();
    assert_eq!(paths, [KEV_PATH]);
}
