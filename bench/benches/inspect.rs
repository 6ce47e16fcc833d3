//! Cost of `mdsec inspect`'s front end next to calling the owning parser directly. Detection (a
//! syntax pass over the whole JSON that keeps only top-level keys) is ~6% of the parse; building the
//! normalised `serde_json::Value` tree costs more than the parse itself for a 5000-component SBOM
//! (measured ~2.5-3x in total). Fine for a one-file CLI; import paths call the parsers directly.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

/// A CycloneDX 1.6 document with `n` library components.
fn generated_sbom(n: usize) -> Vec<u8> {
    let comps: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"type":"library","bom-ref":"c{i}","name":"lib{i}","version":"1.{i}.0","purl":"pkg:generic/lib{i}@1.{i}.0","cpe":"cpe:2.3:a:example:lib{i}:1.{i}.0:*:*:*:*:*:*:*"}}"#
            )
        })
        .collect();
    format!(
        r#"{{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[{}]}}"#,
        comps.join(",")
    )
    .into_bytes()
}

fn bench(c: &mut Criterion) {
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data");
    let csaf = std::fs::read(format!("{data}/csaf/cisa-icsma/icsma-22-244-01.json"))
        .expect("shared/data/csaf/cisa-icsma/icsma-22-244-01.json");
    let sbom = generated_sbom(5000);

    let mut g = c.benchmark_group("inspect/cyclonedx-5000");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(sbom.len() as u64));
    g.bench_function("inspect", |b| {
        b.iter(|| mdsec_inspect::inspect("s.json", black_box(&sbom), false).unwrap())
    });
    g.bench_function("parse_sbom", |b| {
        b.iter(|| mdsec_sbom::parse_sbom("s.json", black_box(&sbom), false).unwrap())
    });
    g.finish();

    let mut g = c.benchmark_group("inspect/csaf-icsma-22-244-01");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(csaf.len() as u64));
    g.bench_function("inspect", |b| {
        b.iter(|| mdsec_inspect::inspect("c.json", black_box(&csaf), false).unwrap())
    });
    g.bench_function("parse_csaf", |b| {
        b.iter(|| mdsec_advisory::parse_csaf("c.json", black_box(&csaf)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
