//! The demo hospital's diagram: every segment named, every device and line present, stable output.

use mdsec_diagram::*;
use std::collections::BTreeSet;

fn demo_input() -> DiagramInput {
    let h = mdsec_demo::demo_hospital();
    let devices: Vec<DeviceInput> = h
        .devices
        .iter()
        .enumerate()
        .map(|(i, f)| DeviceInput::from_ledger(i as i64 + 1, f))
        .collect();
    let remote_lines = remote_lines_from_ledger(&devices);
    DiagramInput {
        title: h.name,
        devices,
        remote_lines,
        flows: Vec::new(),
    }
}

#[test]
fn demo_hospital_diagram_names_every_segment_and_counts_every_device() {
    let h = mdsec_demo::demo_hospital();
    let input = demo_input();
    let g = build(&input, &Filter::default()).unwrap();
    let live: Vec<_> = h
        .devices
        .iter()
        .filter(|d| d.status != mdsec_domain::DeviceStatus::Disposed)
        .collect();
    assert_eq!(g.device_count(), live.len());
    let mut segments: BTreeSet<String> = live
        .iter()
        .filter_map(|d| d.network_segment.clone())
        .collect();
    if live.iter().any(|d| d.network_segment.is_none()) {
        segments.insert(UNASSIGNED_SEGMENT.to_string());
    }
    let drawn: BTreeSet<String> = g.segments().map(|s| s.name.clone()).collect();
    assert_eq!(drawn, segments);

    let svg = to_svg(&g);
    for s in &segments {
        assert!(
            svg.contains(&format!(">{s}</text>")),
            "segment {s} not written whole"
        );
    }
    // Every remote endpoint of the ledger is on the drawing.
    for d in &live {
        if d.remote_line == mdsec_domain::RemoteLine::Yes {
            let e = d.custom.get("remote_endpoint").unwrap();
            assert!(svg.contains(e.as_str()), "{e}");
        }
    }
    // Byte-identical when built again from the same ledger, even with rows in another order.
    let mut shuffled = input.clone();
    shuffled.devices.reverse();
    shuffled.remote_lines.reverse();
    let again = build(&shuffled, &Filter::default()).unwrap();
    assert_eq!(to_svg(&again), svg);
    assert_eq!(to_graphml(&again), to_graphml(&g));
    assert_eq!(to_drawio(&again), to_drawio(&g));
}

#[test]
fn department_filter_keeps_only_that_department_and_its_lines() {
    let input = demo_input();
    let filter = Filter {
        department: Some("放射線科".into()),
        segment: None,
    };
    let g = build(&input, &filter).unwrap();
    assert!(g.device_count() > 0);
    for s in g.segments() {
        for d in &s.devices {
            assert_eq!(d.input.department.as_deref(), Some("放射線科"));
        }
    }
    for n in &g.external {
        if let ExternalKind::RemoteLine(l) = &n.kind {
            assert!(!l.device_ids.is_empty());
        }
    }
    let all = build(&input, &Filter::default()).unwrap();
    assert!(g.external.len() < all.external.len());
}
