//! `mdsec diagram` on the demo hospital: an SVG that Chromium renders (non-blank screenshot) naming
//! every segment, byte-identical across runs; GraphML that networkx reads with the node and edge
//! counts the ledger implies; a draw.io file with the right cells.

use crate::{data_dir, mdsec, token_for, Server};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

/// Load the demo hospital into `dir` (through `serve --demo`), then stop the server.
fn demo_data_dir(dir: &Path) {
    let server = Server::start(dir, true);
    let token = token_for(dir, "admin");
    server.wait_for_devices(&token, 1_900);
    drop(server);
}

fn run_ok(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = mdsec(dir, args);
    assert!(
        out.status.success(),
        "mdsec {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn python(script: &str, args: &[&str]) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python3 is required for the diagram tests");
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// What the ledger says the diagram must hold, computed from `ledger export --format json`.
struct Expected {
    devices: usize,
    segments: BTreeSet<String>,
    /// Distinct (endpoint, method) of devices with a remote line.
    lines: usize,
    /// Devices with a remote line (one edge each).
    remote_edges: usize,
}

fn expected(dir: &Path) -> Expected {
    let v: Value = serde_json::from_slice(&run_ok(dir, &["ledger", "export", "--format", "json"]))
        .expect("export JSON");
    let live: Vec<&Value> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["status"] != "disposed")
        .collect();
    let mut segments = BTreeSet::new();
    let mut lines = BTreeSet::new();
    let mut remote_edges = 0;
    for d in &live {
        segments.insert(
            d["network_segment"]
                .as_str()
                .unwrap_or("未分類 / unassigned")
                .to_string(),
        );
        if d["remote_line"] == "yes" {
            remote_edges += 1;
            lines.insert((
                d["custom"]["remote_endpoint"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                d["remote_method"].as_str().unwrap_or("").to_string(),
            ));
        }
    }
    Expected {
        devices: live.len(),
        segments,
        lines: lines.len(),
        remote_edges,
    }
}

/// Decode a PNG with the standard library only and return (width, height, distinct colours, share
/// of pixels that are not white).
const PNG_STATS: &str = r#"
import sys, zlib, struct
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
pos, idat, w, h, ctype = 8, b'', 0, 0, 0
while pos < len(data):
    n, kind = struct.unpack('>I4s', data[pos:pos+8]); body = data[pos+8:pos+8+n]; pos += 12 + n
    if kind == b'IHDR':
        w, h, depth, ctype = struct.unpack('>IIBB', body[:10]); assert depth == 8, depth
    elif kind == b'IDAT': idat += body
bpp = {2: 3, 6: 4, 0: 1, 4: 2}[ctype]
raw = zlib.decompress(idat); stride = w * bpp; prev = bytearray(stride); rows = []
for y in range(h):
    f = raw[y*(stride+1)]; line = bytearray(raw[y*(stride+1)+1:(y+1)*(stride+1)])
    for i in range(stride):
        a = line[i-bpp] if i >= bpp else 0; b = prev[i]; c = prev[i-bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p-a), abs(p-b), abs(p-c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(bytes(line)); prev = line
colours, ink = set(), 0
for line in rows[::2]:
    for x in range(0, w, 2):
        px = line[x*bpp:x*bpp+min(bpp, 3)]; colours.add(px)
        if px != b'\xff' * len(px): ink += 1
print(w, h, len(colours), ink / ((h + 1) // 2 * ((w + 1) // 2)))
"#;

const SVG_TEXTS: &str = r#"
import sys, json, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ns = '{http://www.w3.org/2000/svg}'
assert root.tag == ns + 'svg', root.tag
print(json.dumps(sorted({''.join(t.itertext()) for t in root.iter(ns + 'text')})))
"#;

const GRAPHML_COUNTS: &str = r#"
import sys, json, collections, networkx as nx
g = nx.read_graphml(sys.argv[1])
print(json.dumps({
  'nodes': g.number_of_nodes(), 'edges': g.number_of_edges(),
  'node_kinds': collections.Counter(d['kind'] for _, d in g.nodes(data=True)),
  'edge_kinds': collections.Counter(d['kind'] for _, _, d in g.edges(data=True)),
  'segments': sorted(d['label'] for _, d in g.nodes(data=True) if d['kind'] == 'segment'),
  'devices_without_segment': sum(1 for n, d in g.nodes(data=True) if d['kind'] == 'device'
      and not any(g.nodes[t]['kind'] == 'segment' for t in g.successors(n))),
}))
"#;

const DRAWIO_COUNTS: &str = r#"
import sys, json, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == 'mxfile', root.tag
model = root.find('diagram/mxGraphModel')
cells = model.findall('root/mxCell')
ids = [c.get('id') for c in cells]
assert len(ids) == len(set(ids)), 'duplicate cell ids'
known = set(ids)
for c in cells:
    for a in ('parent', 'source', 'target'):
        assert c.get(a) is None or c.get(a) in known, (c.get('id'), a)
print(json.dumps({
  'cells': len(cells),
  'zones': sum(1 for c in cells if c.get('parent') == '1' and c.get('vertex') == '1'),
  'edges': sum(1 for c in cells if c.get('edge') == '1'),
  'devices': sum(1 for c in cells if c.get('id', '').startswith('d')),
  'segments': sum(1 for c in cells if c.get('id', '').startswith('s')),
  'lines': sum(1 for c in cells if c.get('id', '').startswith('l')),
}))
"#;

fn screenshot(svg: &Path, png: &Path) {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new("chromium")
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            // The whole width of the diagram, at half scale (keeps the PNG check quick).
            "--window-size=1728,1400",
            "--force-device-scale-factor=0.5",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", svg.display()))
        .output()
        .expect("chromium is required for the diagram screenshot test (Debian package chromium)");
    assert!(
        png.exists(),
        "chromium wrote no screenshot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn diagram_of_the_demo_hospital_renders_is_deterministic_and_counts_match_the_ledger() {
    let dir = data_dir();
    demo_data_dir(dir.path());
    let want = expected(dir.path());
    assert!(want.devices > 1_800 && want.segments.len() > 40 && want.lines > 5);
    let out = tempfile::tempdir().unwrap();
    let p = |n: &str| out.path().join(n);

    // SVG, twice: byte-identical.
    for name in ["d.svg", "again.svg"] {
        run_ok(dir.path(), &["diagram", "--out", p(name).to_str().unwrap()]);
    }
    let svg = std::fs::read(p("d.svg")).unwrap();
    assert_eq!(
        svg,
        std::fs::read(p("again.svg")).unwrap(),
        "two runs differ"
    );

    // Every segment name is one whole <text> of the SVG (which an XML parser accepts).
    let texts: BTreeSet<String> =
        serde_json::from_str(&python(SVG_TEXTS, &[p("d.svg").to_str().unwrap()])).unwrap();
    for s in &want.segments {
        assert!(texts.contains(s), "segment {s:?} is not named in the SVG");
    }

    // Chromium renders it: a screenshot that is not blank.
    screenshot(&p("d.svg"), &p("d.png"));
    let stats = python(PNG_STATS, &[p("d.png").to_str().unwrap()]);
    let f: Vec<f64> = stats
        .split_whitespace()
        .map(|x| x.parse().unwrap())
        .collect();
    assert_eq!((f[0], f[1]), (864.0, 700.0), "{stats}");
    assert!(f[2] > 20.0, "too few colours for a diagram: {stats}");
    assert!(
        f[3] > 0.2 && f[3] < 0.995,
        "share of non-white pixels: {stats}"
    );

    // GraphML through networkx.
    run_ok(
        dir.path(),
        &["diagram", "--out", p("d.graphml").to_str().unwrap()],
    );
    let g: Value =
        serde_json::from_str(&python(GRAPHML_COUNTS, &[p("d.graphml").to_str().unwrap()])).unwrap();
    let kinds: BTreeMap<String, u64> = serde_json::from_value(g["node_kinds"].clone()).unwrap();
    assert_eq!(kinds["device"], want.devices as u64);
    assert_eq!(kinds["segment"], want.segments.len() as u64);
    assert_eq!(kinds["remote_line"], want.lines as u64);
    let zones = kinds["zone"];
    assert!((2..=5).contains(&zones), "{kinds:?}");
    let nodes = want.devices + want.segments.len() + want.lines + zones as usize;
    assert_eq!(g["nodes"], nodes as u64);
    // Every non-zone node is a member of exactly one parent, plus one edge per remote-lined device.
    let member = nodes - zones as usize;
    assert_eq!(g["edge_kinds"]["member_of"], member as u64);
    assert_eq!(g["edge_kinds"]["remote_line"], want.remote_edges as u64);
    assert_eq!(g["edges"], (member + want.remote_edges) as u64);
    assert_eq!(g["devices_without_segment"], 0);
    let names: BTreeSet<String> = serde_json::from_value(g["segments"].clone()).unwrap();
    assert_eq!(names, want.segments);

    // draw.io: well-formed, every reference resolves, one cell per node and edge.
    run_ok(
        dir.path(),
        &["diagram", "--out", p("d.drawio").to_str().unwrap()],
    );
    let d: Value =
        serde_json::from_str(&python(DRAWIO_COUNTS, &[p("d.drawio").to_str().unwrap()])).unwrap();
    assert_eq!(d["devices"], want.devices as u64);
    assert_eq!(d["segments"], want.segments.len() as u64);
    assert_eq!(d["lines"], want.lines as u64);
    assert_eq!(d["zones"], zones);
    assert_eq!(d["edges"], want.remote_edges as u64);
    assert_eq!(
        d["cells"],
        (2 + zones as usize + want.segments.len() + want.devices + want.lines + want.remote_edges)
            as u64
    );

    // A department filter draws only that department.
    run_ok(
        dir.path(),
        &[
            "diagram",
            "--out",
            p("rad.graphml").to_str().unwrap(),
            "--department",
            "放射線科",
        ],
    );
    let rad: Value = serde_json::from_str(&python(
        GRAPHML_COUNTS,
        &[p("rad.graphml").to_str().unwrap()],
    ))
    .unwrap();
    let rad_devices = rad["node_kinds"]["device"].as_u64().unwrap();
    assert!(rad_devices > 0 && rad_devices < want.devices as u64);

    // An unknown extension is a usage error that names the accepted ones.
    let bad = mdsec(
        dir.path(),
        &["diagram", "--out", p("d.png").to_str().unwrap()],
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains(".graphml"));
}
