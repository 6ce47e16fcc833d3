//! Device-ledger import: a 10,000-row xlsx and the same ledger as a Shift_JIS CSV, both generated in
//! memory from `sample_ledger_rows` (28 fields and a custom column per row). Targets: xlsx well under
//! 1.5 s, Shift_JIS CSV under 0.2 s. Run: `cargo bench -p mdsec-bench --bench ledger`.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use mdsec_ledger::{parse_ledger, sample_ledger_rows, write_csv, write_xlsx, Lang};

fn ledger(c: &mut Criterion) {
    let devices = sample_ledger_rows(10_000);
    let xlsx = write_xlsx(&devices, Lang::Ja).expect("xlsx export");
    let utf8 = write_csv(&devices, Lang::Ja);
    let text = std::str::from_utf8(&utf8[3..]).expect("export is UTF-8");
    let (sjis, _, lossy) = encoding_rs::SHIFT_JIS.encode(text);
    assert!(!lossy);
    let sjis = sjis.into_owned();

    let mut g = c.benchmark_group("ledger_10000_rows");
    g.sample_size(10);
    g.throughput(Throughput::Elements(devices.len() as u64));
    g.bench_function("parse_xlsx", |b| {
        b.iter(|| {
            parse_ledger("bench.xlsx", black_box(&xlsx))
                .expect("parses")
                .rows
                .len()
        })
    });
    g.bench_function("parse_csv_shift_jis", |b| {
        b.iter(|| {
            parse_ledger("bench.csv", black_box(&sjis))
                .expect("parses")
                .rows
                .len()
        })
    });
    g.bench_function("parse_csv_utf8_bom", |b| {
        b.iter(|| {
            parse_ledger("bench.csv", black_box(&utf8))
                .expect("parses")
                .rows
                .len()
        })
    });
    g.bench_function("write_xlsx", |b| {
        b.iter(|| {
            write_xlsx(black_box(&devices), Lang::Ja)
                .expect("writes")
                .len()
        })
    });
    g.bench_function("write_csv", |b| {
        b.iter(|| write_csv(black_box(&devices), Lang::Ja).len())
    });
    g.finish();
}

criterion_group!(benches, ledger);
criterion_main!(benches);
