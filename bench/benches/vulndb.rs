//! NVD CVE API 2.0 parsing: the typed streaming parser vs untyped `serde_json::Value` on the same bytes
//! (a generated 2,000-record page, about 5 MB), plus KEV and JVN on the real files in shared/data.
//! Run: `cargo bench -p mdsec-bench --bench vulndb`.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use mdsec_vulndb::nvd::testgen::generate_feed;
use std::io::Read;

fn data(rel: &str) -> Vec<u8> {
    let p = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/").to_string() + rel;
    std::fs::read(&p).unwrap_or_else(|e| panic!("bench data missing: {p}: {e}"))
}

fn nvd(c: &mut Criterion) {
    let mut page = Vec::new();
    generate_feed(2_000).read_to_end(&mut page).unwrap();
    let mut g = c.benchmark_group("nvd_page_2000");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(page.len() as u64));
    g.bench_function("typed_parse_nvd", |b| {
        b.iter(|| {
            mdsec_vulndb::parse_nvd("page.json", black_box(&page))
                .unwrap()
                .vulnerabilities
                .len()
        })
    });
    g.bench_function("typed_stream_from_reader", |b| {
        b.iter(|| {
            mdsec_vulndb::NvdStream::new(black_box(&page[..]))
                .filter(|r| r.is_ok())
                .count()
        })
    });
    g.bench_function("serde_json_value", |b| {
        b.iter(|| {
            let v: serde_json::Value = serde_json::from_slice(black_box(&page)).unwrap();
            v["vulnerabilities"].as_array().map(Vec::len)
        })
    });
    g.finish();
}

fn kev_jvn(c: &mut Criterion) {
    let kev = data("kev/known_exploited_vulnerabilities.json");
    let jvn = data("jvn/examples/hnd/dataFeed_jvndb_detail_hnd.xml");
    let mut g = c.benchmark_group("feeds");
    g.sample_size(10);
    g.bench_function("kev_json", |b| {
        b.iter(|| mdsec_vulndb::parse_kev_json("kev.json", black_box(&kev)).unwrap())
    });
    g.bench_function("jvn_detail_xml", |b| {
        b.iter(|| mdsec_vulndb::parse_jvn("d.xml", black_box(&jvn)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, nvd, kev_jvn);
criterion_main!(benches);
