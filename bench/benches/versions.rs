//! Version comparison and vers containment: the inner loop of matching a ledger against advisories.
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use mdsec_versions::{compare, firmware, vers::VersRange, Scheme};

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("versions");
    g.sample_size(20);
    let pairs: [(Scheme, &str, &str); 6] = [
        (Scheme::Npm, "1.2.3-beta.4", "1.2.3-beta.10"),
        (Scheme::Pypi, "1.0.post1.dev3+local.7", "1.0rc2"),
        (Scheme::Maven, "1.0-alpha-2-SNAPSHOT", "1.0.0-rc1"),
        (Scheme::Deb, "1:2.30-1ubuntu1~bpo1", "1:2.30-1ubuntu1"),
        (Scheme::Rpm, "2:1.0.1-3.el8_4", "2:1.0.1^git5-3.el8"),
        (Scheme::Alpine, "1.2.3_rc1-r2", "1.2.3-r1"),
    ];
    g.bench_function("compare", |b| {
        b.iter(|| {
            for (s, x, y) in &pairs {
                let _ = black_box(compare(*s, black_box(x), black_box(y)));
            }
        })
    });
    let range =
        VersRange::parse("vers:npm/>=1.0.0|<1.4.0|>=2.0.0|<2.3.5|!=2.1.0|>=3.0.0-rc.1|<3.0.2")
            .expect("valid vers");
    g.bench_function("contains", |b| {
        b.iter(|| black_box(range.contains(black_box("2.3.1"))))
    });
    g.bench_function("parse_vers", |b| {
        b.iter(|| VersRange::parse(black_box("vers:pypi/<=1.3.0|3.0.0|>=4.0|<4.2.1|!=4.1")))
    });
    let fw = firmware::parse_range(">= 1.0.0 | <= 1.3.1");
    g.bench_function("firmware_in_range", |b| {
        b.iter(|| black_box(firmware::in_range(black_box("V1.2.0 build 77"), &fw)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
