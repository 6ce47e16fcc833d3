//! Advisory parsing: typed model vs untyped `serde_json::Value` on representative OSV and CSAF files,
//! and loading the whole OSV corpus (Go + PyPA + RustSec) from memory.
//! Run: `cargo bench -p mdsec-bench --bench advisory`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
// serde_json as mdsec-advisory re-exports it (its models expose serde_json::Value).
use mdsec_advisory::serde_json;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn data(rel: &str) -> PathBuf {
    let p = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data")).join(rel);
    assert!(p.exists(), "bench data missing: {}", p.display());
    p
}

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, ext, out);
        } else if p.to_string_lossy().ends_with(ext) {
            out.push(p);
        }
    }
}

/// Every OSV advisory of the three databases, read into memory: (is YAML, bytes).
fn osv_corpus() -> Vec<(bool, Vec<u8>)> {
    let mut out = Vec::new();
    for (dir, ext, yaml) in [
        ("osv/go", ".json", false),
        ("osv/pypi", ".yaml", true),
        ("rustsec/osv", ".json", false),
    ] {
        let mut paths = Vec::new();
        files(&data(dir), ext, &mut paths);
        out.extend(paths.into_iter().map(|p| (yaml, std::fs::read(p).unwrap())));
    }
    out
}

/// Parse the whole corpus; returns how many advisories parsed.
fn load_osv_corpus(corpus: &[(bool, Vec<u8>)]) -> usize {
    corpus
        .iter()
        .filter(|(yaml, bytes)| {
            if *yaml {
                mdsec_advisory::parse_osv_yaml(bytes).is_ok()
            } else {
                mdsec_advisory::parse_osv_json(bytes).is_ok()
            }
        })
        .count()
}

/// The largest file of a directory: the most representative of worst-case typed-parsing cost.
fn largest(dir: &str, ext: &str) -> Vec<u8> {
    let mut paths = Vec::new();
    files(&data(dir), ext, &mut paths);
    let p = paths
        .into_iter()
        .max_by_key(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .unwrap();
    std::fs::read(p).unwrap()
}

fn bench(c: &mut Criterion) {
    let osv = largest("osv/go", ".json");
    let mut g = c.benchmark_group("osv_json_largest_go");
    g.sample_size(20);
    g.bench_function("typed", |b| {
        b.iter(|| mdsec_advisory::parse_osv_json(black_box(&osv)).unwrap())
    });
    g.bench_function("value", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&osv)).unwrap())
    });
    g.finish();

    let csaf = std::fs::read(data("oasis-csaf/examples/csaf/rhsa-2021_5186.json")).unwrap();
    let mut g = c.benchmark_group("csaf_rhsa_2021_5186");
    g.sample_size(20);
    g.bench_function("typed_with_mandatory_tests", |b| {
        b.iter(|| mdsec_advisory::parse_csaf("rhsa", black_box(&csaf)).unwrap())
    });
    g.bench_function("value", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&csaf)).unwrap())
    });
    g.finish();

    let corpus = osv_corpus();
    let start = Instant::now();
    let n = load_osv_corpus(&corpus);
    eprintln!(
        "osv corpus: {n}/{} advisories parsed in {:?}",
        corpus.len(),
        start.elapsed()
    );
    let mut g = c.benchmark_group("osv_corpus");
    g.sample_size(10);
    g.bench_function("go_pypa_rustsec_all", |b| {
        b.iter(|| load_osv_corpus(black_box(&corpus)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
