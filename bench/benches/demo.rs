//! Demo hospital generation (budget: 50 ms) and manufacturer alias lookups over a whole ledger.
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use mdsec_domain::manufacturer::{ManufacturerAliases, ModelAliases};

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("demo");
    g.sample_size(10);
    g.bench_function("demo_hospital", |b| {
        b.iter(|| black_box(mdsec_demo::demo_hospital()))
    });
    g.bench_function("alias_table_builtin", |b| {
        b.iter(|| black_box(ManufacturerAliases::builtin()))
    });
    let aliases = ManufacturerAliases::builtin();
    let models = ModelAliases::builtin();
    let hospital = mdsec_demo::demo_hospital();
    g.bench_function("canonicalise_ledger_2000", |b| {
        b.iter(|| {
            let mut known = 0usize;
            for d in &hospital.devices {
                let m = d.manufacturer.as_deref().unwrap_or("");
                if aliases.canonical(black_box(m)).is_some() {
                    known += 1;
                }
                let _ = models.resolve(m, d.model.as_deref().unwrap_or(""));
            }
            known
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
