//! SBOM parsing speed: typed CycloneDX JSON parsing (with all schema checks) next to the floor of
//! parsing the same bytes into `serde_json::Value`. Target: typed within 2x of Value.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

/// A CycloneDX 1.6 document with `n` components shaped like real firmware SBOMs.
fn generated(n: usize) -> Vec<u8> {
    let mut s = String::from(
        r#"{"bomFormat":"CycloneDX","specVersion":"1.6","serialNumber":"urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79","version":1,"metadata":{"timestamp":"2025-01-01T00:00:00Z","component":{"type":"device","name":"infusion-pump","version":"4.2"}},"components":["#,
    );
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!(
            r#"{{"type":"library","bom-ref":"c{i}","group":"org.example","name":"lib{i}","version":"1.{i}.0","description":"component number {i} of the generated bill of materials","purl":"pkg:maven/org.example/lib{i}@1.{i}.0","cpe":"cpe:2.3:a:example:lib{i}:1.{i}.0:*:*:*:*:*:*:*","hashes":[{{"alg":"SHA-256","content":"f498a8ff2dd007e29c2074f5e4b01a9a01775c3ff3aeaf6906ea503bc5791b7b"}}],"licenses":[{{"license":{{"id":"Apache-2.0"}}}}],"externalReferences":[{{"type":"website","url":"https://example.org/lib{i}"}}],"properties":[{{"name":"build","value":"{i}"}}]}}"#
        ));
    }
    s.push_str(r#"],"dependencies":["#);
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        let next = (i + 1) % n;
        s.push_str(&format!(r#"{{"ref":"c{i}","dependsOn":["c{next}"]}}"#));
    }
    s.push_str("]}");
    s.into_bytes()
}

fn bench(c: &mut Criterion) {
    let medical = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/sbom-medical/narrow.sbom.json"
    ))
    .expect("shared/data/sbom-medical/narrow.sbom.json");
    for (name, bytes) in [("cyclonedx-5000", generated(5000)), ("medical", medical)] {
        let mut g = c.benchmark_group(format!("sbom/{name}"));
        g.sample_size(10);
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function("serde_json::Value", |b| {
            b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&bytes)).unwrap())
        });
        g.bench_function("mdsec_sbom typed", |b| {
            b.iter(|| mdsec_sbom::parse_cyclonedx_json(black_box(&bytes), false).unwrap())
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
