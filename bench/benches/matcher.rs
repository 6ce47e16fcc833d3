//! Matcher: a synthetic fleet of 2,000 model versions × 300 components (600,000 component rows,
//! package names drawn from the real OSV databases, versions around the real range bounds) against
//! every advisory in ../shared/data (OSV Go + PyPA + RustSec, CISA CSAF).
//! Reports: full match, one new advisory matched incrementally, a new 5,000-component SBOM.
//! Run: `cargo bench -p mdsec-bench --bench matcher`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use mdsec_matcher::convert::{from_csaf, from_osv};
use mdsec_matcher::RangeEvent;
use mdsec_matcher::{Affected, Component, DeviceModelKey, Index, MatchableAdvisory, PackageRange};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const MODELS: usize = 2_000;
const COMPONENTS: usize = 300;

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

fn advisories() -> Vec<MatchableAdvisory> {
    let mut out = Vec::new();
    for (dir, ext, yaml) in [
        ("osv/go", ".json", false),
        ("osv/pypi", ".yaml", true),
        ("rustsec/osv", ".json", false),
    ] {
        let mut paths = Vec::new();
        files(&data(dir), ext, &mut paths);
        paths.sort();
        for p in paths {
            let bytes = std::fs::read(&p).unwrap();
            let parsed = if yaml {
                mdsec_advisory::parse_osv_yaml(&bytes)
            } else {
                mdsec_advisory::parse_osv_json(&bytes)
            };
            if let Ok(a) = parsed {
                out.push(from_osv(&a));
            }
        }
    }
    let mut paths = Vec::new();
    files(&data("csaf/cisa-icsma"), ".json", &mut paths);
    paths.sort();
    for p in paths {
        let bytes = std::fs::read(&p).unwrap();
        out.push(from_csaf(&mdsec_advisory::parse_csaf("x", &bytes).unwrap()));
    }
    out
}

/// Deterministic xorshift; no rand dependency needed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// (purl without version, candidate versions) per package named by an OSV advisory.
fn package_pool(advs: &[MatchableAdvisory]) -> Vec<(String, Vec<String>)> {
    let mut map: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for a in advs {
        for af in &a.affected {
            let Affected::Package(p) = af else { continue };
            let base = match &p.namespace {
                Some(ns) => format!("pkg:{}/{}/{}", p.purl_type, ns, p.name),
                None => format!("pkg:{}/{}", p.purl_type, p.name),
            };
            let v = map.entry(base).or_default();
            for r in &p.ranges {
                if let PackageRange::Events { events, .. } = r {
                    for e in events {
                        let (RangeEvent::Introduced(x)
                        | RangeEvent::Fixed(x)
                        | RangeEvent::LastAffected(x)
                        | RangeEvent::Limit(x)) = e;
                        if x != "0" && !v.contains(x) && v.len() < 8 {
                            v.push(x.clone());
                        }
                    }
                }
            }
        }
    }
    map.into_iter()
        .map(|(k, mut v)| {
            v.push("0.0.1".into());
            (k, v)
        })
        .collect()
}

fn component(pool: &[(String, Vec<String>)], rng: &mut Rng) -> Component {
    let (base, versions) = &pool[rng.below(pool.len())];
    let mut v = versions[rng.below(versions.len())].clone();
    if base.starts_with("pkg:golang/") && !v.starts_with('v') {
        v.insert(0, 'v');
    }
    Component {
        name: base.rsplit('/').next().unwrap_or("").to_string(),
        version: None,
        purl: Some(format!("{base}@{v}")),
        cpe: None,
    }
}

fn fleet(pool: &[(String, Vec<String>)]) -> Vec<(DeviceModelKey, Vec<Component>)> {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    (0..MODELS)
        .map(|i| {
            let key = DeviceModelKey::new(
                ["Philips", "GE Healthcare", "Contec", "BD", "Baxter"][i % 5],
                &format!("Model {}", i / 4),
                Some(&format!("{}.{}", i % 4, i % 7)),
            );
            let comps = (0..COMPONENTS).map(|_| component(pool, &mut rng)).collect();
            (key, comps)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let t = Instant::now();
    let advs = advisories();
    let pool = package_pool(&advs);
    eprintln!(
        "matcher: {} advisories, {} distinct packages, loaded in {:.1?}",
        advs.len(),
        pool.len(),
        t.elapsed()
    );
    let mut index = Index::default();
    for a in &advs {
        index.insert_advisory(a.clone());
    }
    let t = Instant::now();
    for (k, comps) in fleet(&pool) {
        index.insert_model(k, comps);
    }
    eprintln!(
        "matcher: fleet of {} models × {} components indexed in {:.1?}",
        MODELS,
        COMPONENTS,
        t.elapsed()
    );
    let t = Instant::now();
    let findings = index.match_all();
    eprintln!(
        "matcher: full match {:.1?}, {} findings ({} affected)",
        t.elapsed(),
        findings.len(),
        findings
            .iter()
            .filter(|f| f.status == mdsec_matcher::FindingStatus::Affected)
            .count()
    );
    drop(findings);

    let mut g = c.benchmark_group("matcher");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("full_match_600k_rows", |b| {
        b.iter(|| black_box(index.match_all().len()))
    });
    // The advisory touching the most packages of the pool: re-adding it replaces itself.
    let busiest = advs
        .iter()
        .filter(|a| a.id.starts_with("GO-"))
        .max_by_key(|a| a.affected.len())
        .cloned()
        .unwrap();
    g.sample_size(20).measurement_time(Duration::from_secs(5));
    g.bench_function("single_advisory_incremental", |b| {
        b.iter(|| black_box(index.add_advisory(busiest.clone()).len()))
    });
    let mut rng = Rng(42);
    let big: Vec<Component> = (0..5_000).map(|_| component(&pool, &mut rng)).collect();
    let big_key = DeviceModelKey::new("Siemens", "Big SBOM device", Some("1.0"));
    g.bench_function("new_sbom_5000_components", |b| {
        b.iter(|| black_box(index.add_model(big_key.clone(), big.clone()).len()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
