//! The draw.io (diagrams.net) writer: an uncompressed `mxfile` with one `mxGraphModel`. Zones and
//! segments are containers (swimlanes) so the hospital can move and edit them; every device is a
//! cell of its own. A segment with more than [`COLLAPSE_ABOVE`] devices is written folded
//! (`collapsed="1"`, its open size in `alternateBounds`), so a 2,000-device hospital opens readable
//! and each segment can be unfolded in draw.io.

use crate::layout::{content_width, grid, COLLAPSE_ABOVE, EXT_H, EXT_W, GAP, SEG_COLS, SEG_W};
use crate::model::{EdgeKind, ExternalKind, Graph, ZoneKind};
use crate::svg::priority_colours;
use crate::text::{html, xml};
use mdsec_domain::{DeviceStatus, RemoteLine};
use std::fmt::Write;

const ZONE_START: i64 = 34;
const ZONE_PAD: i64 = 16;
const SEG_START: i64 = 40;
const CELL_W: i64 = 186;
const CELL_H: i64 = 26;
const CELL_GAP: i64 = 6;
const SEG_PAD: i64 = 8;

fn zone_style(k: ZoneKind) -> &'static str {
    match k {
        ZoneKind::External => {
            "fillColor=#fff5f5;strokeColor=#e03131;dashed=1;strokeWidth=2;fontColor=#c92a2a;"
        }
        ZoneKind::Medical => "fillColor=#e7f5ff;strokeColor=#1971c2;fontColor=#1864ab;",
        ZoneKind::Clinical => "fillColor=#f3f0ff;strokeColor=#6741d9;fontColor=#5f3dc4;",
        ZoneKind::Other => "fillColor=#f8f9fa;strokeColor=#495057;fontColor=#343a40;",
        ZoneKind::Unassigned => "fillColor=#fff9db;strokeColor=#e67700;fontColor=#d9480f;",
    }
}

struct Cells(String);

impl Cells {
    #[allow(clippy::too_many_arguments)]
    fn vertex(
        &mut self,
        id: &str,
        parent: &str,
        value_html: &str,
        style: &str,
        (x, y, w, h): (i64, i64, i64, i64),
        collapsed_open: Option<(i64, i64)>,
    ) {
        let collapsed = if collapsed_open.is_some() {
            r#" collapsed="1""#
        } else {
            ""
        };
        let _ = write!(
            self.0,
            r#"        <mxCell id="{}" value="{}" style="{}" vertex="1"{collapsed} parent="{}">"#,
            xml(id),
            xml(value_html),
            xml(style),
            xml(parent)
        );
        let _ = write!(
            self.0,
            r#"<mxGeometry x="{x}" y="{y}" width="{w}" height="{h}" as="geometry">"#
        );
        if let Some((ow, oh)) = collapsed_open {
            let _ = write!(
                self.0,
                r#"<mxRectangle x="{x}" y="{y}" width="{ow}" height="{oh}" as="alternateBounds"/>"#
            );
        }
        self.0.push_str("</mxGeometry></mxCell>\n");
    }
}

/// Render the graph as a draw.io file.
pub fn to_drawio(graph: &Graph) -> String {
    let zone_w = content_width() + 2 * ZONE_PAD;
    let mut cells = Cells(String::with_capacity(8192 + graph.device_count() * 400));
    let mut y = 0;

    if !graph.external.is_empty() {
        let cols = ((content_width() + GAP) / (EXT_W + GAP)).max(1) as usize;
        let (rects, h) = grid(
            &vec![(EXT_W, EXT_H); graph.external.len()],
            cols,
            EXT_W,
            ZONE_PAD,
            ZONE_START + ZONE_PAD,
        );
        let zid = ZoneKind::External.node_id();
        cells.vertex(
            &zid,
            "1",
            &html(ZoneKind::External.label()),
            &format!(
                "swimlane;startSize={ZONE_START};html=1;whiteSpace=wrap;fontStyle=1;container=1;collapsible=1;{}",
                zone_style(ZoneKind::External)
            ),
            (0, y, zone_w, ZONE_START + ZONE_PAD + h + ZONE_PAD),
            None,
        );
        for (n, r) in graph.external.iter().zip(rects) {
            let (value, warn) = match &n.kind {
                ExternalKind::RemoteLine(l) => {
                    let mut v = format!("<b>{}</b>", html(&l.vendor));
                    if let Some(m) = &l.method {
                        let _ = write!(v, "<br>{}", html(m));
                    }
                    if !l.endpoints.is_empty() {
                        let _ = write!(v, "<br>{}", html(&l.endpoints.join(", ")));
                    }
                    let _ = write!(v, "<br>{} 台", l.device_ids.len());
                    if l.always_on {
                        v.push_str(" ⚠ 常時接続 / always on");
                    }
                    if !l.registered {
                        v.push_str(" · 未登録 / not in registry");
                    }
                    (v, l.always_on || !l.registered)
                }
                ExternalKind::Host { address, private } => (
                    format!(
                        "<b>{}</b><br>{}",
                        html(address),
                        if *private {
                            "台帳にない院内ホスト / host not in the ledger"
                        } else {
                            "未登録の外部接続 / unregistered external address"
                        }
                    ),
                    true,
                ),
            };
            let sw = if warn { 3 } else { 1 };
            cells.vertex(
                &n.node_id,
                &zid,
                &value,
                &format!("rounded=1;whiteSpace=wrap;html=1;align=left;spacingLeft=6;fontSize=11;fillColor=#fff0f6;strokeColor=#c2255c;strokeWidth={sw};"),
                (r.x, r.y, r.w, r.h),
                None,
            );
        }
        y += ZONE_START + ZONE_PAD + h + ZONE_PAD + 2 * GAP;
    }

    for zone in &graph.zones {
        // Each segment's open size; big ones are written folded to their header.
        let open: Vec<(i64, i64)> = zone
            .segments
            .iter()
            .map(|s| {
                let rows = s.devices.len().div_ceil(2) as i64;
                (SEG_W, SEG_START + rows * (CELL_H + CELL_GAP) + SEG_PAD)
            })
            .collect();
        let shown: Vec<(i64, i64)> = zone
            .segments
            .iter()
            .zip(&open)
            .map(|(s, &(w, h))| {
                if s.devices.len() > COLLAPSE_ABOVE {
                    (w, SEG_START)
                } else {
                    (w, h)
                }
            })
            .collect();
        let (rects, h) = grid(&shown, SEG_COLS, SEG_W, ZONE_PAD, ZONE_START + ZONE_PAD);
        let zid = zone.kind.node_id();
        cells.vertex(
            &zid,
            "1",
            &html(zone.kind.label()),
            &format!(
                "swimlane;startSize={ZONE_START};html=1;whiteSpace=wrap;fontStyle=1;container=1;collapsible=1;{}",
                zone_style(zone.kind)
            ),
            (0, y, zone_w, ZONE_START + ZONE_PAD + h + ZONE_PAD),
            None,
        );
        for ((s, r), &(ow, oh)) in zone.segments.iter().zip(rects).zip(&open) {
            let folded = s.devices.len() > COLLAPSE_ABOVE;
            let depts = s.departments();
            let mut value = format!("<b>{}</b><br>{} 台", html(&s.name), s.devices.len());
            if !depts.is_empty() {
                let _ = write!(value, " · {}", html(&depts.join("、")));
            }
            cells.vertex(
                &s.node_id,
                &zid,
                &value,
                &format!("swimlane;startSize={SEG_START};html=1;whiteSpace=wrap;container=1;collapsible=1;fontSize=11;fillColor=#ffffff;swimlaneFillColor=#ffffff;"),
                (r.x, r.y, r.w, r.h),
                folded.then_some((ow, oh)),
            );
            for (i, d) in s.devices.iter().enumerate() {
                let (fill, stroke) = priority_colours(d.input.priority);
                let mut value = html(&d.input.label());
                if let Some(ip) = &d.input.ip {
                    let _ = write!(value, "<br>{}", html(ip));
                }
                let mut style = format!("rounded=1;whiteSpace=wrap;html=1;fontSize=9;fillColor={fill};strokeColor={stroke};");
                if d.input.remote_line == RemoteLine::Yes {
                    style.push_str("strokeWidth=2;");
                }
                if d.input.status == DeviceStatus::Inactive {
                    style.push_str("opacity=55;");
                }
                let x = SEG_PAD + (i % 2) as i64 * (CELL_W + CELL_GAP);
                let y = SEG_START + (i / 2) as i64 * (CELL_H + CELL_GAP);
                cells.vertex(
                    &d.node_id,
                    &s.node_id,
                    &value,
                    &style,
                    (x, y, CELL_W, CELL_H),
                    None,
                );
            }
        }
        y += ZONE_START + ZONE_PAD + h + ZONE_PAD + GAP;
    }

    for e in &graph.edges {
        let style = match e.kind {
            EdgeKind::RemoteLine => "endArrow=none;html=1;dashed=1;strokeColor=#c2255c;opacity=60;",
            EdgeKind::Flow => "endArrow=classic;html=1;strokeColor=#1971c2;opacity=60;",
        };
        let label = match (&e.protocol, e.port) {
            (Some(p), Some(n)) => format!("{p}/{n}"),
            (Some(p), None) => p.clone(),
            (None, Some(n)) => n.to_string(),
            (None, None) => String::new(),
        };
        let _ = writeln!(
            cells.0,
            r#"        <mxCell id="{}" value="{}" style="{style}" edge="1" parent="1" source="{}" target="{}"><mxGeometry relative="1" as="geometry"/></mxCell>"#,
            xml(&e.id),
            xml(&html(&label)),
            xml(&e.source),
            xml(&e.target)
        );
    }

    let title = if graph.title.is_empty() {
        "ネットワーク構成図".to_string()
    } else {
        format!("ネットワーク構成図 — {}", graph.title)
    };
    let mut out = String::with_capacity(cells.0.len() + 1024);
    let _ = writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ = writeln!(
        out,
        r#"<mxfile host="mdsec" agent="mdsec" version="24.0.0" type="device">"#
    );
    let _ = writeln!(
        out,
        r#"  <diagram id="mdsec-network" name="{}">"#,
        xml(&title)
    );
    let _ = writeln!(
        out,
        r#"    <mxGraphModel dx="1600" dy="900" grid="1" gridSize="10" guides="1" tooltips="1" connect="1" arrows="1" fold="1" page="1" pageScale="1" pageWidth="{}" pageHeight="{}" math="0" shadow="0">"#,
        zone_w,
        y.max(600)
    );
    out.push_str(
        "      <root>\n        <mxCell id=\"0\"/>\n        <mxCell id=\"1\" parent=\"0\"/>\n",
    );
    out.push_str(&cells.0);
    out.push_str("      </root>\n    </mxGraphModel>\n  </diagram>\n</mxfile>\n");
    out
}

#[cfg(test)]
mod tests {
    use crate::model::*;
    #[allow(unused_imports)]
    use mdsec_domain::RemoteLine;

    #[test]
    fn drawio_has_one_cell_per_node_and_edge_and_folds_big_segments() {
        let mut devices: Vec<DeviceInput> = (0..30)
            .map(|i| DeviceInput {
                id: i,
                name: format!("ポンプ{i}"),
                segment: Some("VLAN160 医療機器-W3E".into()),
                ..Default::default()
            })
            .collect();
        devices.push(DeviceInput {
            id: 99,
            name: "PACS".into(),
            segment: Some("VLAN310 電子カルテ".into()),
            remote_line: RemoteLine::Yes,
            remote_endpoint: Some("203.0.113.9".into()),
            ..Default::default()
        });
        let lines = remote_lines_from_ledger(&devices);
        let g = build(
            &DiagramInput {
                devices,
                remote_lines: lines,
                ..Default::default()
            },
            &Filter::default(),
        )
        .unwrap();
        let x = super::to_drawio(&g);
        // 2 roots + 3 zones + 2 segments + 31 devices + 1 line + 1 edge.
        assert_eq!(x.matches("<mxCell ").count(), 2 + 3 + 2 + 31 + 1 + 1);
        assert_eq!(x.matches(r#"collapsed="1""#).count(), 1);
        assert!(x.contains("as=\"alternateBounds\""));
        assert!(x.contains(r#"source="d99" target="l1""#));
        assert_eq!(x, super::to_drawio(&g));
    }
}
