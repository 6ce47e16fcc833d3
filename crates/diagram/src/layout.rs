//! Our own deterministic layered layout: zones are horizontal layers (outside the hospital on top,
//! then medical devices, EHR, other, unassigned), each zone a grid of segment boxes in natural name
//! order, each segment box a grid of device cells — or, above [`COLLAPSE_ABOVE`] devices, grouped
//! rows "device type × count". Integer coordinates only, so output is byte-stable.

use crate::model::{Graph, PriorityBand, ZoneKind};
use crate::text::natural_cmp;
use std::collections::BTreeMap;

pub const MARGIN: i64 = 24;
pub const TITLE_H: i64 = 56;
pub const LEGEND_H: i64 = 44;
pub const ZONE_HEADER: i64 = 34;
pub const ZONE_PAD: i64 = 16;
pub const GAP: i64 = 16;
/// Segment boxes per row of a zone.
pub const SEG_COLS: usize = 4;
pub const SEG_W: i64 = 400;
/// Segment header: name, then count and departments.
pub const SEG_HEADER: i64 = 48;
pub const SEG_PAD: i64 = 8;
pub const ROW_H: i64 = 22;
pub const DEVICE_COLS: usize = 2;
/// Segments with more devices than this are drawn as grouped rows.
pub const COLLAPSE_ABOVE: usize = 16;
/// Most grouped rows in one segment; the rest are summed up in a last row.
pub const MAX_GROUP_ROWS: usize = 12;
pub const EXT_W: i64 = 300;
pub const EXT_H: i64 = 76;

/// Width of the grid inside a zone.
pub const fn content_width() -> i64 {
    SEG_COLS as i64 * SEG_W + (SEG_COLS as i64 - 1) * GAP
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rect {
    pub x: i64,
    pub y: i64,
    pub w: i64,
    pub h: i64,
}

impl Rect {
    pub fn cx(&self) -> i64 {
        self.x + self.w / 2
    }
    pub fn bottom(&self) -> i64 {
        self.y + self.h
    }
}

/// One drawn device.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceCell {
    /// Index into the segment's devices.
    pub device: usize,
    pub rect: Rect,
}

/// One row standing for several devices of a collapsed segment.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupRow {
    /// Device type (or name); for the summary row, "その他 N 種類".
    pub label: String,
    /// Indices into the segment's devices.
    pub devices: Vec<usize>,
    /// Highest priority among them.
    pub priority: Option<PriorityBand>,
    pub rect: Rect,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    Devices(Vec<DeviceCell>),
    Groups(Vec<GroupRow>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct SegmentBox {
    /// Index into the zone's segments.
    pub segment: usize,
    pub rect: Rect,
    pub content: Content,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExternalBox {
    /// Index into `graph.external`.
    pub node: usize,
    pub rect: Rect,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ZoneBox {
    pub kind: ZoneKind,
    /// Index into `graph.zones` (None for the outside zone).
    pub zone: Option<usize>,
    pub rect: Rect,
    pub segments: Vec<SegmentBox>,
    pub external: Vec<ExternalBox>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub width: i64,
    pub height: i64,
    pub zones: Vec<ZoneBox>,
    pub legend: Rect,
    /// Where each node is drawn: device node id → its cell or group row; line/host id → its box.
    pub anchors: BTreeMap<String, Rect>,
}

/// Place boxes of the given sizes in a grid of `cols` columns of `col_w`, row-major, starting at
/// (`x`, `y`). Returns the positions and the total height.
pub fn grid(sizes: &[(i64, i64)], cols: usize, col_w: i64, x: i64, y: i64) -> (Vec<Rect>, i64) {
    let cols = cols.max(1);
    let mut out = Vec::with_capacity(sizes.len());
    let mut top = y;
    for row in sizes.chunks(cols) {
        let row_h = row.iter().map(|s| s.1).max().unwrap_or(0);
        for (c, &(w, h)) in row.iter().enumerate() {
            out.push(Rect {
                x: x + c as i64 * (col_w + GAP),
                y: top,
                w,
                h,
            });
        }
        top += row_h + GAP;
    }
    let height = if sizes.is_empty() { 0 } else { top - GAP - y };
    (out, height)
}

/// Group a segment's devices for a collapsed box: by device type (else name), most numerous first.
fn group_rows(devices: &[crate::model::Device]) -> Vec<(String, Vec<usize>)> {
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, d) in devices.iter().enumerate() {
        let key = d
            .input
            .device_type
            .clone()
            .unwrap_or_else(|| d.input.label());
        groups.entry(key).or_default().push(i);
    }
    let mut rows: Vec<(String, Vec<usize>)> = groups.into_iter().collect();
    rows.sort_by(|a, b| {
        b.1.len()
            .cmp(&a.1.len())
            .then_with(|| natural_cmp(&a.0, &b.0))
    });
    if rows.len() > MAX_GROUP_ROWS {
        let rest: Vec<(String, Vec<usize>)> = rows.split_off(MAX_GROUP_ROWS - 1);
        let kinds = rest.len();
        let mut ids: Vec<usize> = rest.into_iter().flat_map(|r| r.1).collect();
        ids.sort_unstable();
        rows.push((format!("その他 {kinds} 種類 / {kinds} other types"), ids));
    }
    rows
}

/// The size of a segment box and its content, relative to the box's top-left corner.
fn segment_content(seg: &crate::model::Segment) -> (i64, Content) {
    let inner_w = SEG_W - 2 * SEG_PAD;
    if seg.devices.len() > COLLAPSE_ABOVE {
        let rows: Vec<GroupRow> = group_rows(&seg.devices)
            .into_iter()
            .enumerate()
            .map(|(i, (label, devices))| GroupRow {
                priority: devices
                    .iter()
                    .filter_map(|&d| seg.devices.get(d).and_then(|d| d.input.priority))
                    .max(),
                label,
                devices,
                rect: Rect {
                    x: SEG_PAD,
                    y: SEG_HEADER + i as i64 * ROW_H,
                    w: inner_w,
                    h: ROW_H - 4,
                },
            })
            .collect();
        let h = SEG_HEADER + rows.len() as i64 * ROW_H + SEG_PAD;
        (h, Content::Groups(rows))
    } else {
        let cell_w = (inner_w - (DEVICE_COLS as i64 - 1) * 6) / DEVICE_COLS as i64;
        let cells: Vec<DeviceCell> = (0..seg.devices.len())
            .map(|i| DeviceCell {
                device: i,
                rect: Rect {
                    x: SEG_PAD + (i % DEVICE_COLS) as i64 * (cell_w + 6),
                    y: SEG_HEADER + (i / DEVICE_COLS) as i64 * ROW_H,
                    w: cell_w,
                    h: ROW_H - 4,
                },
            })
            .collect();
        let rows = seg.devices.len().div_ceil(DEVICE_COLS) as i64;
        (SEG_HEADER + rows * ROW_H + SEG_PAD, Content::Devices(cells))
    }
}

fn offset(r: Rect, dx: i64, dy: i64) -> Rect {
    Rect {
        x: r.x + dx,
        y: r.y + dy,
        ..r
    }
}

/// Lay out `graph`. Deterministic; linear in the number of devices.
pub fn layout(graph: &Graph) -> Layout {
    let zone_w = content_width() + 2 * ZONE_PAD;
    let inner_x = MARGIN + ZONE_PAD;
    let mut y = MARGIN + TITLE_H;
    let mut zones = Vec::new();
    let mut anchors = BTreeMap::new();

    if !graph.external.is_empty() {
        let cols = ((content_width() + GAP) / (EXT_W + GAP)).max(1) as usize;
        let sizes = vec![(EXT_W, EXT_H); graph.external.len()];
        let (rects, h) = grid(&sizes, cols, EXT_W, inner_x, y + ZONE_HEADER);
        let external = rects
            .into_iter()
            .enumerate()
            .map(|(i, rect)| {
                if let Some(n) = graph.external.get(i) {
                    anchors.insert(n.node_id.clone(), rect);
                }
                ExternalBox { node: i, rect }
            })
            .collect();
        let rect = Rect {
            x: MARGIN,
            y,
            w: zone_w,
            h: ZONE_HEADER + h + ZONE_PAD,
        };
        y += rect.h + GAP * 2;
        zones.push(ZoneBox {
            kind: ZoneKind::External,
            zone: None,
            rect,
            segments: Vec::new(),
            external,
        });
    }

    for (zi, zone) in graph.zones.iter().enumerate() {
        let contents: Vec<(i64, Content)> = zone.segments.iter().map(segment_content).collect();
        let sizes: Vec<(i64, i64)> = contents.iter().map(|(h, _)| (SEG_W, *h)).collect();
        let (rects, h) = grid(&sizes, SEG_COLS, SEG_W, inner_x, y + ZONE_HEADER);
        let mut segments = Vec::with_capacity(rects.len());
        for (si, (rect, (_, content))) in rects.into_iter().zip(contents).enumerate() {
            let seg = &zone.segments[si];
            let content = match content {
                Content::Devices(cells) => Content::Devices(
                    cells
                        .into_iter()
                        .map(|c| {
                            let r = offset(c.rect, rect.x, rect.y);
                            if let Some(d) = seg.devices.get(c.device) {
                                anchors.insert(d.node_id.clone(), r);
                            }
                            DeviceCell { rect: r, ..c }
                        })
                        .collect(),
                ),
                Content::Groups(rows) => Content::Groups(
                    rows.into_iter()
                        .map(|g| {
                            let r = offset(g.rect, rect.x, rect.y);
                            for &d in &g.devices {
                                if let Some(d) = seg.devices.get(d) {
                                    anchors.insert(d.node_id.clone(), r);
                                }
                            }
                            GroupRow { rect: r, ..g }
                        })
                        .collect(),
                ),
            };
            segments.push(SegmentBox {
                segment: si,
                rect,
                content,
            });
        }
        let rect = Rect {
            x: MARGIN,
            y,
            w: zone_w,
            h: ZONE_HEADER + h + ZONE_PAD,
        };
        y += rect.h + GAP;
        zones.push(ZoneBox {
            kind: zone.kind,
            zone: Some(zi),
            rect,
            segments,
            external: Vec::new(),
        });
    }
    let legend = Rect {
        x: MARGIN,
        y: y + GAP,
        w: zone_w,
        h: LEGEND_H,
    };
    Layout {
        width: zone_w + 2 * MARGIN,
        height: legend.bottom() + MARGIN,
        zones,
        legend,
        anchors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;

    fn devs(n: usize, seg: &str, first_id: i64) -> Vec<DeviceInput> {
        (0..n)
            .map(|i| DeviceInput {
                id: first_id + i as i64,
                name: format!("機器{i}"),
                device_type: Some(format!("種別{}", i % 20)),
                segment: Some(seg.into()),
                ..Default::default()
            })
            .collect()
    }

    #[test]
    fn grid_places_row_major() {
        let (r, h) = grid(&[(10, 5), (10, 9), (10, 3)], 2, 10, 0, 0);
        assert_eq!(r[1].x, 10 + GAP);
        assert_eq!(r[2].y, 9 + GAP);
        assert_eq!(h, 9 + GAP + 3);
        assert_eq!(grid(&[], 2, 10, 0, 0).1, 0);
    }

    #[test]
    fn big_segments_collapse_into_rows_with_every_device_anchored() {
        let mut devices = devs(5, "VLAN10 医療機器-A", 1);
        devices.extend(devs(300, "VLAN20 医療機器-B", 100));
        let g = build(
            &DiagramInput {
                devices,
                ..Default::default()
            },
            &Filter::default(),
        )
        .unwrap();
        let l = layout(&g);
        let zone = &l.zones[0];
        assert!(matches!(zone.segments[0].content, Content::Devices(ref c) if c.len() == 5));
        let Content::Groups(rows) = &zone.segments[1].content else {
            panic!("300 devices must collapse")
        };
        assert_eq!(rows.len(), MAX_GROUP_ROWS);
        let total: usize = rows.iter().map(|r| r.devices.len()).sum();
        assert_eq!(total, 300);
        assert!(rows.last().unwrap().label.contains("その他 9 種類"));
        assert_eq!(l.anchors.len(), 305);
        // Every box inside its zone, zones inside the canvas.
        for s in &zone.segments {
            assert!(s.rect.x >= zone.rect.x && s.rect.bottom() <= zone.rect.bottom());
        }
        assert!(l.height >= l.legend.bottom());
    }

    #[test]
    fn eight_thousand_devices_lay_out_fast_and_stay_compact() {
        let mut devices = Vec::new();
        for s in 0..80 {
            devices.extend(devs(100, &format!("VLAN{s} 医療機器"), s * 1000));
        }
        let g = build(
            &DiagramInput {
                devices,
                ..Default::default()
            },
            &Filter::default(),
        )
        .unwrap();
        let l = layout(&g);
        // 80 segments in rows of 4, each at most header + 12 rows: the drawing stays a few pages.
        assert!(l.height < 20 * (SEG_HEADER + (MAX_GROUP_ROWS as i64 + 1) * ROW_H + GAP) + 400);
        assert_eq!(l.anchors.len(), 8_000);
    }
}
