//! The network diagram for a large hospital (issue 7: 8,000 devices under 2 s): build the graph from
//! ledger rows (`mdsec_ledger::sample_ledger_rows`, with segments, departments and remote lines),
//! lay it out and write SVG, GraphML and draw.io.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use mdsec_diagram::{DeviceInput, DiagramInput, Filter, Format, PriorityBand};
use std::time::Duration;

fn input(n: usize) -> DiagramInput {
    let rows = mdsec_ledger::sample_ledger_rows(n);
    let devices: Vec<DeviceInput> = rows
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let mut d = DeviceInput::from_ledger(i as i64 + 1, f);
            if i % 7 == 0 {
                d.priority = Some(PriorityBand::from_score((i % 130) as f64));
            }
            d
        })
        .collect();
    let remote_lines = mdsec_diagram::remote_lines_from_ledger(&devices);
    DiagramInput {
        title: "ベンチマーク病院".into(),
        devices,
        remote_lines,
        flows: Vec::new(),
    }
}

fn bench(c: &mut Criterion) {
    // sample rows include retired and disposed devices, which the diagram leaves out: 12,000 rows
    // give about 8,000 drawn devices.
    let input = input(12_000);
    let g = mdsec_diagram::build(&input, &Filter::default()).unwrap();
    eprintln!(
        "diagram: {} devices in {} segments, SVG {} KB",
        g.device_count(),
        g.segments().count(),
        mdsec_diagram::render(&g, Format::Svg).len() / 1024
    );
    let mut grp = c.benchmark_group("diagram_8000");
    grp.sample_size(10)
        .measurement_time(Duration::from_secs(10));
    for (name, format) in [
        ("build_and_svg", Format::Svg),
        ("build_and_graphml", Format::GraphMl),
        ("build_and_drawio", Format::DrawIo),
    ] {
        grp.bench_function(name, |b| {
            b.iter(|| {
                let g = mdsec_diagram::build(black_box(&input), &Filter::default()).unwrap();
                black_box(mdsec_diagram::render(&g, format).len())
            })
        });
    }
    grp.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
