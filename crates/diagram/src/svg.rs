//! The SVG writer: one self-contained file (no scripts, no external fonts or images, presentation
//! attributes instead of CSS) that browsers, Inkscape and office suites show alike. Japanese text
//! uses a generic font-family list, so the viewer's own Japanese font is used.

use crate::layout::{layout, Content, Layout, Rect, LEGEND_H, MARGIN};
use crate::model::{
    Device, EdgeKind, ExternalKind, ExternalNode, Graph, PriorityBand, Segment, ZoneKind,
};
use crate::text::{fit, width, xml};
use mdsec_domain::{DeviceStatus, RemoteLine};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// Fonts tried in order; the generic `sans-serif` last. Nothing is embedded.
pub const FONT_FAMILY: &str =
    "'Noto Sans CJK JP', 'Noto Sans JP', 'Hiragino Sans', 'Hiragino Kaku Gothic ProN', 'Yu Gothic', 'Meiryo', 'IPAexGothic', 'TakaoPGothic', sans-serif";

/// Fill and stroke of a device by priority.
pub fn priority_colours(p: Option<PriorityBand>) -> (&'static str, &'static str) {
    match p {
        Some(PriorityBand::Critical) => ("#ffc9c9", "#c92a2a"),
        Some(PriorityBand::High) => ("#ffd8a8", "#e8590c"),
        Some(PriorityBand::Medium) => ("#fff3bf", "#f08c00"),
        Some(PriorityBand::Low) => ("#d3f9d8", "#2b8a3e"),
        None => ("#f8f9fa", "#868e96"),
    }
}

fn zone_colours(k: ZoneKind) -> (&'static str, &'static str) {
    match k {
        ZoneKind::External => ("#fff5f5", "#e03131"),
        ZoneKind::Medical => ("#e7f5ff", "#1971c2"),
        ZoneKind::Clinical => ("#f3f0ff", "#6741d9"),
        ZoneKind::Other => ("#f8f9fa", "#495057"),
        ZoneKind::Unassigned => ("#fff9db", "#e67700"),
    }
}

struct Out(String);

impl Out {
    fn rect(&mut self, r: Rect, fill: &str, stroke: &str, extra: &str) {
        let _ = writeln!(
            self.0,
            r#"<rect x="{}" y="{}" width="{}" height="{}" rx="4" fill="{fill}" stroke="{stroke}"{extra}/>"#,
            r.x, r.y, r.w, r.h
        );
    }
    fn text(&mut self, x: i64, y: i64, size: i64, attrs: &str, s: &str) {
        let _ = writeln!(
            self.0,
            r#"<text x="{x}" y="{y}" font-size="{size}"{attrs}>{}</text>"#,
            xml(s)
        );
    }
    /// A text that must stay whole (segment names are searched for): squeezed, never cut.
    fn whole_text(&mut self, x: i64, y: i64, size: i64, max_w: i64, attrs: &str, s: &str) {
        let squeeze = if width(s, size) > max_w {
            format!(r#" textLength="{max_w}" lengthAdjust="spacingAndGlyphs""#)
        } else {
            String::new()
        };
        self.text(x, y, size, &format!("{attrs}{squeeze}"), s);
    }
    fn title(&mut self, s: &str) {
        let _ = writeln!(self.0, "<title>{}</title>", xml(s));
    }
}

fn device_tooltip(d: &Device, seg: &Segment) -> String {
    let i = &d.input;
    let mut lines = vec![i.label()];
    let mut push = |k: &str, v: Option<&str>| {
        if let Some(v) = v {
            lines.push(format!("{k}: {v}"));
        }
    };
    push("管理番号", i.management_number.as_deref());
    push("機器種別", i.device_type.as_deref());
    push("製造販売業者", i.manufacturer.as_deref());
    push("型式", i.model.as_deref());
    push("設置部署", i.department.as_deref());
    push("設置場所", i.location.as_deref());
    push("IP", i.ip.as_deref());
    push("セグメント", Some(&seg.name));
    if i.remote_line == RemoteLine::Yes {
        push(
            "リモート保守回線",
            Some(i.remote_method.as_deref().unwrap_or("有")),
        );
    }
    if let Some(p) = i.priority {
        push("優先度", Some(p.label()));
    }
    if i.status == DeviceStatus::Inactive {
        push("状態", Some("休止 / inactive"));
    }
    lines.join("\n")
}

fn external_lines(n: &ExternalNode) -> (String, Vec<String>, bool) {
    match &n.kind {
        ExternalKind::RemoteLine(l) => {
            let mut lines = vec![l
                .method
                .clone()
                .unwrap_or_else(|| "接続方法不明 / method unknown".into())];
            lines.push(if l.endpoints.is_empty() {
                "接続先不明 / endpoint unknown".into()
            } else {
                l.endpoints.join(", ")
            });
            let mut status = format!("{} 台", l.device_ids.len());
            if l.always_on {
                status.push_str(" · ⚠ 常時接続 / always on");
            }
            if !l.registered {
                status.push_str(" · 台帳のみ（未登録） / not in registry");
            }
            lines.push(status);
            (l.vendor.clone(), lines, l.always_on || !l.registered)
        }
        ExternalKind::Host { address, private } => (
            address.clone(),
            vec![if *private {
                "台帳にない院内ホスト / host not in the ledger".into()
            } else {
                "未登録の外部接続 / unregistered external address".into()
            }],
            true,
        ),
    }
}

/// Render the graph as SVG.
pub fn to_svg(graph: &Graph) -> String {
    let l = layout(graph);
    render(graph, &l)
}

/// "L3" for line node `l3`: the short name rows use to say which line serves them.
fn line_tag(node_id: &str) -> String {
    node_id.to_uppercase()
}

fn render(graph: &Graph, l: &Layout) -> String {
    // Which lines serve each device, and each drawn segment's box.
    let mut device_lines: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for e in graph
        .edges
        .iter()
        .filter(|e| e.kind == EdgeKind::RemoteLine)
    {
        device_lines
            .entry(e.source.as_str())
            .or_default()
            .insert(e.target.as_str());
    }
    let mut segment_box: BTreeMap<&str, Rect> = BTreeMap::new();
    for zb in &l.zones {
        let Some(zone) = zb.zone.and_then(|z| graph.zones.get(z)) else {
            continue;
        };
        for sb in &zb.segments {
            if let Some(seg) = zone.segments.get(sb.segment) {
                for d in &seg.devices {
                    segment_box.insert(d.node_id.as_str(), sb.rect);
                }
            }
        }
    }
    let tags = |dev: &str| -> String {
        device_lines
            .get(dev)
            .map(|set| {
                set.iter()
                    .map(|t| line_tag(t))
                    .collect::<Vec<_>>()
                    .join("・")
            })
            .unwrap_or_default()
    };
    let mut o = Out(String::with_capacity(
        64 * 1024 + graph.device_count() * 200,
    ));
    let _ = writeln!(o.0, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ = writeln!(
        o.0,
        r##"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="{font}" font-size="12" fill="#212529">"##,
        w = l.width,
        h = l.height,
        font = xml(FONT_FAMILY)
    );
    let heading = if graph.title.is_empty() {
        "ネットワーク構成図 / Network diagram".to_string()
    } else {
        format!("ネットワーク構成図 / Network diagram — {}", graph.title)
    };
    o.title(&heading);
    let _ = writeln!(
        o.0,
        r##"<rect x="0" y="0" width="{}" height="{}" fill="#ffffff"/>"##,
        l.width, l.height
    );
    o.text(MARGIN, MARGIN + 20, 20, r#" font-weight="bold""#, &heading);
    let lines = graph
        .external
        .iter()
        .filter(|n| matches!(n.kind, ExternalKind::RemoteLine(_)))
        .count();
    o.text(
        MARGIN,
        MARGIN + 42,
        12,
        r##" fill="#495057""##,
        &format!(
            "機器 {} 台 · セグメント {} · リモート保守回線 {} / {} devices, {} segments, {} remote lines",
            graph.device_count(),
            graph.segments().count(),
            lines,
            graph.device_count(),
            graph.segments().count(),
            lines
        ),
    );

    for zb in &l.zones {
        let (fill, stroke) = zone_colours(zb.kind);
        let dash = if zb.kind == ZoneKind::External {
            r#" stroke-dasharray="8 4" stroke-width="2""#
        } else {
            r#" stroke-width="1.5""#
        };
        let _ = writeln!(
            o.0,
            r#"<g id="{}" data-zone="{}">"#,
            zb.kind.node_id(),
            zb.kind.code()
        );
        o.rect(zb.rect, fill, stroke, dash);
        o.text(
            zb.rect.x + 12,
            zb.rect.y + 22,
            14,
            &format!(r#" font-weight="bold" fill="{stroke}""#),
            zb.kind.label(),
        );
        for eb in &zb.external {
            let Some(n) = graph.external.get(eb.node) else {
                continue;
            };
            let (head, rest, warn) = external_lines(n);
            let r = eb.rect;
            let _ = writeln!(o.0, r#"<g id="{}" class="external">"#, xml(&n.node_id));
            o.title(&format!("{head}\n{}", rest.join("\n")));
            let sw = if warn { "2.5" } else { "1.5" };
            o.rect(r, "#fff0f6", "#c2255c", &format!(r#" stroke-width="{sw}""#));
            let tag = match n.kind {
                ExternalKind::RemoteLine(_) => line_tag(&n.node_id),
                ExternalKind::Host { .. } => String::new(),
            };
            o.text(
                r.x + 8,
                r.y + 18,
                13,
                r#" font-weight="bold""#,
                &fit(&head, r.w - 24 - width(&tag, 12), 13),
            );
            if !tag.is_empty() {
                o.text(
                    r.x + r.w - 8,
                    r.y + 18,
                    12,
                    r##" text-anchor="end" font-weight="bold" fill="#c2255c""##,
                    &tag,
                );
            }
            for (i, line) in rest.iter().enumerate() {
                o.text(
                    r.x + 8,
                    r.y + 36 + i as i64 * 16,
                    11,
                    r##" fill="#495057""##,
                    &fit(line, r.w - 16, 11),
                );
            }
            o.0.push_str("</g>\n");
        }
        let Some(zone) = zb.zone.and_then(|z| graph.zones.get(z)) else {
            o.0.push_str("</g>\n");
            continue;
        };
        for sb in &zb.segments {
            let Some(seg) = zone.segments.get(sb.segment) else {
                continue;
            };
            let r = sb.rect;
            let mut data = format!(r#" data-segment="{}""#, xml(&seg.name));
            if let Some(v) = seg.vlan {
                let _ = write!(data, r#" data-vlan="{v}""#);
            }
            let _ = writeln!(o.0, r#"<g id="{}" class="segment"{data}>"#, seg.node_id);
            o.title(&seg.name);
            o.rect(r, "#ffffff", stroke, "");
            o.whole_text(
                r.x + 8,
                r.y + 18,
                13,
                r.w - 16,
                r#" font-weight="bold" class="segment-name""#,
                &seg.name,
            );
            let depts = seg.departments();
            let meta = if depts.is_empty() {
                format!("{} 台", seg.devices.len())
            } else {
                format!("{} 台 · {}", seg.devices.len(), depts.join("、"))
            };
            o.text(
                r.x + 8,
                r.y + 36,
                11,
                r##" fill="#495057""##,
                &fit(&meta, r.w - 16, 11),
            );
            match &sb.content {
                Content::Devices(cells) => {
                    for c in cells {
                        let Some(d) = seg.devices.get(c.device) else {
                            continue;
                        };
                        let (fill, stroke) = priority_colours(d.input.priority);
                        let mut attrs = String::new();
                        if let Some(dep) = &d.input.department {
                            let _ = write!(attrs, r#" data-department="{}""#, xml(dep));
                        }
                        if let Some(p) = d.input.priority {
                            let _ = write!(attrs, r#" data-priority="{}""#, p.code());
                        }
                        if d.input.status == DeviceStatus::Inactive {
                            attrs.push_str(r#" opacity="0.55""#);
                        }
                        let _ = writeln!(o.0, r#"<g id="{}" class="device"{attrs}>"#, d.node_id);
                        let mut tip = device_tooltip(d, seg);
                        let t = tags(&d.node_id);
                        if !t.is_empty() {
                            let _ = write!(tip, "\n回線: {t}");
                        }
                        o.title(&tip);
                        o.rect(c.rect, fill, stroke, "");
                        let mut label = d.input.label();
                        if let Some(ip) = &d.input.ip {
                            label = format!("{label} {ip}");
                        }
                        let remote = d.input.remote_line == RemoteLine::Yes;
                        let room = c.rect.w - 10 - if remote { 14 } else { 0 };
                        o.text(c.rect.x + 5, c.rect.y + 13, 11, "", &fit(&label, room, 11));
                        if remote {
                            let _ = writeln!(
                                o.0,
                                r##"<circle cx="{}" cy="{}" r="4" fill="#c2255c"/>"##,
                                c.rect.x + c.rect.w - 9,
                                c.rect.y + c.rect.h / 2
                            );
                        }
                        o.0.push_str("</g>\n");
                    }
                }
                Content::Groups(rows) => {
                    for g in rows {
                        let (fill, stroke) = priority_colours(g.priority);
                        let devs: Vec<&Device> = g
                            .devices
                            .iter()
                            .filter_map(|&i| seg.devices.get(i))
                            .collect();
                        let remote = devs
                            .iter()
                            .filter(|d| d.input.remote_line == RemoteLine::Yes)
                            .count();
                        let mut attrs = String::new();
                        if let Some(p) = g.priority {
                            let _ = write!(attrs, r#" data-priority="{}""#, p.code());
                        }
                        let _ = writeln!(o.0, r#"<g class="device-group"{attrs}>"#);
                        let mut tip = format!("{} ×{}", g.label, devs.len());
                        for d in devs.iter().take(30) {
                            let _ = write!(tip, "\n{}", d.input.label());
                            if let Some(ip) = &d.input.ip {
                                let _ = write!(tip, " {ip}");
                            }
                        }
                        if devs.len() > 30 {
                            let _ = write!(tip, "\n… (+{})", devs.len() - 30);
                        }
                        o.title(&tip);
                        o.rect(g.rect, fill, stroke, "");
                        let row_tags: BTreeSet<&str> = devs
                            .iter()
                            .filter_map(|d| device_lines.get(d.node_id.as_str()))
                            .flatten()
                            .copied()
                            .collect();
                        let count = if !row_tags.is_empty() {
                            let t: Vec<String> = row_tags.iter().map(|t| line_tag(t)).collect();
                            format!("×{} (回線 {})", devs.len(), fit(&t.join("・"), 120, 11))
                        } else if remote > 0 {
                            format!("×{} (保守回線 {remote})", devs.len())
                        } else {
                            format!("×{}", devs.len())
                        };
                        let count_w = width(&count, 11);
                        o.text(
                            g.rect.x + 5,
                            g.rect.y + 13,
                            11,
                            "",
                            &fit(&g.label, g.rect.w - 18 - count_w, 11),
                        );
                        o.text(
                            g.rect.x + g.rect.w - 5,
                            g.rect.y + 13,
                            11,
                            r#" text-anchor="end" font-weight="bold""#,
                            &count,
                        );
                        o.0.push_str("</g>\n");
                    }
                }
            }
            o.0.push_str("</g>\n");
        }
        o.0.push_str("</g>\n");
    }

    // Edges on top, faint, one per drawn box and target (many devices in one row share a line).
    o.0.push_str("<g id=\"edges\" fill=\"none\">\n");
    let mut drawn = BTreeSet::new();
    for e in &graph.edges {
        // A remote line is drawn once per segment it serves (rows name the line by its tag);
        // flows start at the device's own cell or row.
        let from = match e.kind {
            EdgeKind::RemoteLine => segment_box.get(e.source.as_str()),
            EdgeKind::Flow => l.anchors.get(&e.source),
        };
        let (Some(a), Some(b)) = (from, l.anchors.get(&e.target)) else {
            continue;
        };
        if !drawn.insert((a.x, a.y, b.x, b.y, e.kind)) {
            continue;
        }
        let (x1, y1) = (a.cx(), a.y);
        let (x2, y2) = if b.y < a.y {
            (b.cx(), b.bottom())
        } else {
            (b.cx(), b.y)
        };
        let bend = ((y1 - y2).abs() / 3).max(30);
        let (c1, c2) = if y2 < y1 {
            (y1 - bend, y2 + bend)
        } else {
            (y1 + bend, y2 - bend)
        };
        let style = match e.kind {
            EdgeKind::RemoteLine => r##"stroke="#c2255c" stroke-dasharray="6 3""##,
            EdgeKind::Flow => r##"stroke="#1971c2""##,
        };
        let _ = writeln!(
            o.0,
            r#"<path class="edge {}" d="M{x1} {y1} C{x1} {c1} {x2} {c2} {x2} {y2}" {style} stroke-width="1.2" stroke-opacity="0.45"/>"#,
            e.kind.code()
        );
    }
    o.0.push_str("</g>\n");

    // Legend.
    let r = l.legend;
    let _ = writeln!(o.0, r#"<g id="legend">"#);
    o.text(r.x, r.y + 16, 12, r#" font-weight="bold""#, "凡例 / Legend");
    let mut x = r.x + 110;
    let items: Vec<(Option<PriorityBand>, &str)> = PriorityBand::ALL
        .iter()
        .map(|p| (Some(*p), p.label()))
        .chain([(None, "優先度なし / no findings")])
        .collect();
    for (p, label) in items {
        let (fill, stroke) = priority_colours(p);
        o.rect(
            Rect {
                x,
                y: r.y + 4,
                w: 16,
                h: 14,
            },
            fill,
            stroke,
            "",
        );
        o.text(x + 22, r.y + 16, 11, "", label);
        x += 30 + width(label, 11);
    }
    let _ = writeln!(
        o.0,
        r##"<circle cx="{}" cy="{}" r="4" fill="#c2255c"/>"##,
        x + 6,
        r.y + 11
    );
    o.text(
        x + 16,
        r.y + 16,
        11,
        "",
        "リモート保守回線あり / remote line",
    );
    o.text(
        r.x,
        r.y + LEGEND_H - 6,
        11,
        r##" fill="#495057""##,
        "破線 = リモート保守回線、実線 = 観測された通信。薄い機器 = 休止。廃棄済みの機器は描かない。 / Dashed: remote line; solid: observed flow; faded: inactive; disposed devices are not drawn.",
    );
    o.0.push_str("</g>\n</svg>\n");
    o.0
}

#[cfg(test)]
mod tests {
    use crate::model::*;
    #[allow(unused_imports)]
    use mdsec_domain::RemoteLine;

    fn sample() -> Graph {
        let mut devices = Vec::new();
        for i in 0..40 {
            devices.push(DeviceInput {
                id: i,
                name: format!("生体情報モニタ{i}"),
                device_type: Some(if i % 2 == 0 { "モニタ" } else { "ポンプ" }.into()),
                department: Some("集中治療室".into()),
                segment: Some("VLAN120 医療機器-ICU (10.20.20.0/24)".into()),
                ip: Some(format!("10.20.20.{}", i + 11)),
                remote_line: if i == 3 {
                    RemoteLine::Yes
                } else {
                    RemoteLine::No
                },
                remote_endpoint: (i == 3).then(|| "192.0.2.7".into()),
                priority: (i == 5).then_some(PriorityBand::Critical),
                ..Default::default()
            });
        }
        devices.push(DeviceInput {
            id: 100,
            name: "<script>alert(1)</script> & \u{1} 危険な名前".into(),
            segment: Some("Office & <guest>".into()),
            ..Default::default()
        });
        let lines = remote_lines_from_ledger(&devices);
        build(
            &DiagramInput {
                title: "（架空）テスト病院".into(),
                devices,
                remote_lines: lines,
                flows: vec![],
            },
            &Filter::default(),
        )
        .unwrap()
    }

    #[test]
    fn svg_is_deterministic_escaped_and_names_every_segment() {
        let g = sample();
        let a = super::to_svg(&g);
        assert_eq!(a, super::to_svg(&g.clone()));
        assert!(a.starts_with("<?xml"));
        assert!(a.contains("VLAN120 医療機器-ICU (10.20.20.0/24)"));
        assert!(a.contains("Office &amp; &lt;guest&gt;"));
        assert!(!a.contains("<script"));
        assert!(!a.contains('\u{1}'));
        // The 40-device segment is grouped; the critical device colours its row.
        assert!(a.contains("×20"));
        assert!(a.contains(r#"data-priority="critical""#));
        assert!(a.contains("192.0.2.7"));
        assert!(a.contains(r#"class="edge remote_line""#));
        // The fonts are only named, never embedded or fetched.
        assert!(!a.contains("@font-face") && !a.contains("href"));
    }
}
