//! Charts as a list of drawing primitives in their own coordinate system (points, y down), so the
//! same chart becomes inline SVG in the HTML report and vector paths in the PDF.
//!
//! All chart math lives here and is unit-tested: a percentage becomes a bar length or an arc angle
//! by clamping to 0–100 first, and a missing value is drawn as "no data", never as 0.

use crate::model::TrendPoint;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }
}

pub const INK: Rgb = Rgb(0x1f, 0x29, 0x37);
pub const MUTED: Rgb = Rgb(0x6b, 0x72, 0x80);
pub const TRACK: Rgb = Rgb(0xe5, 0xe7, 0xeb);
pub const GOOD: Rgb = Rgb(0x15, 0x80, 0x3d);
pub const FAIR: Rgb = Rgb(0xca, 0x8a, 0x04);
pub const POOR: Rgb = Rgb(0xb9, 0x1c, 0x1c);
pub const ACCENT: Rgb = Rgb(0x1d, 0x4e, 0xd8);

/// Colour of a score: green from 80, amber from 50, red below.
pub fn score_colour(percent: f64) -> Rgb {
    if percent >= 80.0 {
        GOOD
    } else if percent >= 50.0 {
        FAIR
    } else {
        POOR
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        fill: Rgb,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        stroke: Rgb,
        width: f32,
        dashed: bool,
    },
    /// An open polyline (trend).
    Polyline {
        points: Vec<(f32, f32)>,
        stroke: Rgb,
        width: f32,
    },
    Circle {
        cx: f32,
        cy: f32,
        r: f32,
        fill: Rgb,
    },
    /// A stroked circular arc, angles in degrees clockwise from 12 o'clock.
    Arc {
        cx: f32,
        cy: f32,
        r: f32,
        start_deg: f32,
        sweep_deg: f32,
        stroke: Rgb,
        width: f32,
    },
    /// Text; `y` is the baseline.
    Text {
        x: f32,
        y: f32,
        size: f32,
        anchor: Anchor,
        fill: Rgb,
        text: String,
    },
}

/// A chart: its size and what to draw, in that order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Scene {
    pub width: f32,
    pub height: f32,
    /// Names the chart in the HTML (`data-chart`) so tests and readers can find it.
    pub name: &'static str,
    pub title: String,
    pub shapes: Vec<Shape>,
}

impl Scene {
    pub fn new(name: &'static str, title: &str, width: f32, height: f32) -> Scene {
        Scene {
            width,
            height,
            name,
            title: title.to_string(),
            shapes: Vec::new(),
        }
    }
    fn text(&mut self, x: f32, y: f32, size: f32, anchor: Anchor, fill: Rgb, text: &str) {
        self.shapes.push(Shape::Text {
            x,
            y,
            size,
            anchor,
            fill,
            text: text.to_string(),
        });
    }
}

/// A percentage as a length along `full`: clamped to 0–100, NaN counts as 0.
pub fn bar_length(percent: f64, full: f32) -> f32 {
    let p = if percent.is_finite() {
        percent.clamp(0.0, 100.0)
    } else {
        0.0
    };
    (p / 100.0) as f32 * full
}

/// Gauge sweep: a half circle (180°) is 100 %.
pub fn gauge_sweep(percent: f64) -> f32 {
    bar_length(percent, 180.0)
}

/// Point on a circle at `deg` clockwise from 12 o'clock (y down).
pub fn polar(cx: f32, cy: f32, r: f32, deg: f32) -> (f32, f32) {
    let rad = deg.to_radians();
    (cx + r * rad.sin(), cy - r * rad.cos())
}

/// Approximate advance of `text` at `size`: full-width characters 1 em, others 0.6 em. Used to keep
/// labels inside charts (both outputs); it errs on the wide side.
pub fn approx_width(text: &str, size: f32) -> f32 {
    text.chars()
        .map(|c| if is_wide(c) { 1.0 } else { 0.6 })
        .sum::<f32>()
        * size
}

pub(crate) fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6)
}

/// `text` cut to fit `max_width` (approximately), with "…" when cut.
pub fn fit(text: &str, size: f32, max_width: f32) -> String {
    if approx_width(text, size) <= max_width {
        return text.to_string();
    }
    let mut out = String::new();
    let budget = max_width - size; // room for the ellipsis
    for c in text.chars() {
        if approx_width(&out, size) + approx_width(c.encode_utf8(&mut [0; 4]), size) > budget {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

pub fn percent_label(p: f64) -> String {
    format!("{p:.0}")
}

/// Half-circle gauge of the overall score; "no data" text when there is none.
pub fn gauge(title: &str, percent: Option<f64>, no_data: &str, unit: &str) -> Scene {
    let (w, h) = (180.0, 110.0);
    let mut s = Scene::new("gauge", title, w, h);
    let (cx, cy, r) = (90.0, 92.0, 72.0);
    s.shapes.push(Shape::Arc {
        cx,
        cy,
        r,
        start_deg: -90.0,
        sweep_deg: 180.0,
        stroke: TRACK,
        width: 18.0,
    });
    match percent {
        Some(p) => {
            let sweep = gauge_sweep(p);
            if sweep > 0.0 {
                s.shapes.push(Shape::Arc {
                    cx,
                    cy,
                    r,
                    start_deg: -90.0,
                    sweep_deg: sweep,
                    stroke: score_colour(p),
                    width: 18.0,
                });
            }
            s.text(cx, cy - 8.0, 30.0, Anchor::Middle, INK, &percent_label(p));
            s.text(cx, cy + 11.0, 10.0, Anchor::Middle, MUTED, unit);
        }
        None => s.text(cx, cy - 10.0, 11.0, Anchor::Middle, MUTED, no_data),
    }
    s.text(cx - r, cy + 14.0, 8.0, Anchor::Middle, MUTED, "0");
    s.text(cx + r, cy + 14.0, 8.0, Anchor::Middle, MUTED, "100");
    s
}

/// Horizontal bars, one per row, 0–100 with a value label; `None` rows say "no data".
pub fn bars(
    name: &'static str,
    title: &str,
    rows: &[(String, Option<f64>)],
    width: f32,
    no_data: &str,
) -> Scene {
    let row_h = 17.0;
    let label_w = (width * 0.45).min(170.0);
    let value_w = 30.0;
    let bar_x = label_w + 4.0;
    let bar_w = (width - bar_x - value_w).max(10.0);
    let height = row_h * rows.len().max(1) as f32 + 4.0;
    let mut s = Scene::new(name, title, width, height);
    if rows.is_empty() {
        s.text(0.0, 14.0, 9.0, Anchor::Start, MUTED, no_data);
        return s;
    }
    for (i, (label, value)) in rows.iter().enumerate() {
        let y = i as f32 * row_h + 2.0;
        s.text(
            0.0,
            y + 11.0,
            8.5,
            Anchor::Start,
            INK,
            &fit(label, 8.5, label_w - 2.0),
        );
        s.shapes.push(Shape::Rect {
            x: bar_x,
            y: y + 3.0,
            w: bar_w,
            h: 10.0,
            fill: TRACK,
        });
        match value {
            Some(p) => {
                let len = bar_length(*p, bar_w);
                if len > 0.0 {
                    s.shapes.push(Shape::Rect {
                        x: bar_x,
                        y: y + 3.0,
                        w: len,
                        h: 10.0,
                        fill: score_colour(*p),
                    });
                }
                s.text(width, y + 11.0, 8.5, Anchor::End, INK, &percent_label(*p));
            }
            None => s.text(width, y + 11.0, 8.0, Anchor::End, MUTED, "—"),
        }
    }
    s
}

/// Peer bars: the share of surveyed hospitals doing each thing, with this hospital's answer as a
/// mark at the end (○ does it, × does not, － not answered; characters every Japanese font has).
pub fn peer_bars(
    title: &str,
    rows: &[(String, f64, Option<bool>)],
    width: f32,
    no_data: &str,
) -> Scene {
    let row_h = 17.0;
    let label_w = (width * 0.5).min(190.0);
    let mark_w = 16.0;
    let value_w = 28.0;
    let bar_x = label_w + 4.0;
    let bar_w = (width - bar_x - value_w - mark_w).max(10.0);
    let height = row_h * rows.len().max(1) as f32 + 4.0;
    let mut s = Scene::new("peers", title, width, height);
    if rows.is_empty() {
        s.text(0.0, 14.0, 9.0, Anchor::Start, MUTED, no_data);
        return s;
    }
    for (i, (label, peers, ours)) in rows.iter().enumerate() {
        let y = i as f32 * row_h + 2.0;
        s.text(
            0.0,
            y + 11.0,
            8.5,
            Anchor::Start,
            INK,
            &fit(label, 8.5, label_w - 2.0),
        );
        s.shapes.push(Shape::Rect {
            x: bar_x,
            y: y + 3.0,
            w: bar_w,
            h: 10.0,
            fill: TRACK,
        });
        let len = bar_length(*peers, bar_w);
        if len > 0.0 {
            s.shapes.push(Shape::Rect {
                x: bar_x,
                y: y + 3.0,
                w: len,
                h: 10.0,
                fill: ACCENT,
            });
        }
        s.text(
            bar_x + bar_w + value_w - 2.0,
            y + 11.0,
            8.5,
            Anchor::End,
            INK,
            &format!("{}%", percent_label(*peers)),
        );
        let (mark, colour) = match ours {
            Some(true) => ("○", GOOD),
            Some(false) => ("×", POOR),
            None => ("－", MUTED),
        };
        s.text(width - 2.0, y + 11.0, 10.0, Anchor::End, colour, mark);
    }
    s
}

/// Trend line of the overall score per fiscal year (0–100 axis). With fewer than two scored years
/// there is no line, only the points and a note.
pub fn trend(title: &str, points: &[TrendPoint], width: f32, no_data: &str) -> Scene {
    let height = 110.0;
    let mut s = Scene::new("trend", title, width, height);
    let (left, right, top, bottom) = (26.0, width - 10.0, 8.0, height - 20.0);
    for v in [0.0, 50.0, 100.0] {
        let y = trend_y(v, top, bottom);
        s.shapes.push(Shape::Line {
            x1: left,
            y1: y,
            x2: right,
            y2: y,
            stroke: TRACK,
            width: 0.8,
            dashed: v == 50.0,
        });
        s.text(
            left - 4.0,
            y + 3.0,
            7.5,
            Anchor::End,
            MUTED,
            &percent_label(v),
        );
    }
    let scored: Vec<(usize, f64)> = points
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.percent.map(|v| (i, v)))
        .collect();
    if points.is_empty() || scored.is_empty() {
        s.text(
            (left + right) / 2.0,
            (top + bottom) / 2.0,
            9.0,
            Anchor::Middle,
            MUTED,
            no_data,
        );
        return s;
    }
    let xs = trend_xs(points.len(), left + 12.0, right - 12.0);
    for (i, p) in points.iter().enumerate() {
        s.text(
            xs[i],
            height - 6.0,
            7.5,
            Anchor::Middle,
            MUTED,
            &p.fiscal_year.to_string(),
        );
    }
    let line: Vec<(f32, f32)> = scored
        .iter()
        .map(|&(i, v)| (xs[i], trend_y(v, top, bottom)))
        .collect();
    if line.len() >= 2 {
        s.shapes.push(Shape::Polyline {
            points: line.clone(),
            stroke: ACCENT,
            width: 2.0,
        });
    }
    for (&(x, y), &(_, v)) in line.iter().zip(&scored) {
        s.shapes.push(Shape::Circle {
            cx: x,
            cy: y,
            r: 3.0,
            fill: ACCENT,
        });
        s.text(x, y - 6.0, 8.0, Anchor::Middle, INK, &percent_label(v));
    }
    s
}

/// y of a score on the trend axis (100 at `top`, 0 at `bottom`).
pub fn trend_y(percent: f64, top: f32, bottom: f32) -> f32 {
    bottom - bar_length(percent, bottom - top)
}

/// Evenly spaced x positions; a single point sits in the middle.
pub fn trend_xs(n: usize, left: f32, right: f32) -> Vec<f32> {
    match n {
        0 => Vec::new(),
        1 => vec![(left + right) / 2.0],
        _ => (0..n)
            .map(|i| left + (right - left) * i as f32 / (n - 1) as f32)
            .collect(),
    }
}

/// A stacked bar of devices: past end of support, known support date, unknown.
pub fn eos_bar(
    title: &str,
    total: u64,
    past: u64,
    with_date: u64,
    width: f32,
    labels: [&str; 3],
) -> Scene {
    let mut s = Scene::new("eos", title, width, 40.0);
    s.shapes.push(Shape::Rect {
        x: 0.0,
        y: 2.0,
        w: width,
        h: 14.0,
        fill: TRACK,
    });
    if total > 0 {
        let past = past.min(total);
        let dated = with_date.clamp(past, total);
        let past_w = share(past, total, width);
        let dated_w = share(dated - past, total, width);
        if dated_w > 0.0 {
            s.shapes.push(Shape::Rect {
                x: past_w,
                y: 2.0,
                w: dated_w,
                h: 14.0,
                fill: GOOD,
            });
        }
        if past_w > 0.0 {
            s.shapes.push(Shape::Rect {
                x: 0.0,
                y: 2.0,
                w: past_w,
                h: 14.0,
                fill: POOR,
            });
        }
    }
    let legend = [(POOR, labels[0]), (GOOD, labels[1]), (TRACK, labels[2])];
    let mut x = 0.0;
    for (colour, label) in legend {
        s.shapes.push(Shape::Rect {
            x,
            y: 24.0,
            w: 8.0,
            h: 8.0,
            fill: colour,
        });
        s.text(x + 11.0, 31.5, 7.5, Anchor::Start, MUTED, label);
        x += 14.0 + approx_width(label, 7.5);
    }
    s
}

/// `part` of `total` as a length along `full` (0 when total is 0).
pub fn share(part: u64, total: u64, full: f32) -> f32 {
    if total == 0 {
        return 0.0;
    }
    bar_length(100.0 * part.min(total) as f64 / total as f64, full)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_become_lengths_clamped() {
        assert_eq!(bar_length(0.0, 200.0), 0.0);
        assert_eq!(bar_length(50.0, 200.0), 100.0);
        assert_eq!(bar_length(100.0, 200.0), 200.0);
        assert_eq!(bar_length(150.0, 200.0), 200.0);
        assert_eq!(bar_length(-5.0, 200.0), 0.0);
        assert_eq!(bar_length(f64::NAN, 200.0), 0.0);
        assert!((bar_length(33.3, 90.0) - 29.97).abs() < 0.01);
        assert_eq!(gauge_sweep(25.0), 45.0);
        assert_eq!(share(1, 4, 80.0), 20.0);
        assert_eq!(share(5, 0, 80.0), 0.0);
        assert_eq!(share(9, 4, 80.0), 80.0);
    }

    #[test]
    fn polar_points_follow_the_clock() {
        let (x, y) = polar(0.0, 0.0, 10.0, 90.0);
        assert!((x - 10.0).abs() < 1e-4 && y.abs() < 1e-4);
        let (x, y) = polar(0.0, 0.0, 10.0, -90.0);
        assert!((x + 10.0).abs() < 1e-4 && y.abs() < 1e-4);
        let (x, y) = polar(0.0, 0.0, 10.0, 0.0);
        assert!(x.abs() < 1e-4 && (y + 10.0).abs() < 1e-4);
    }

    #[test]
    fn gauge_arc_is_proportional_and_absent_without_data() {
        let g = gauge("t", Some(75.0), "no data", "pts");
        let arcs: Vec<f32> = g
            .shapes
            .iter()
            .filter_map(|s| match s {
                Shape::Arc { sweep_deg, .. } => Some(*sweep_deg),
                _ => None,
            })
            .collect();
        assert_eq!(arcs, vec![180.0, 135.0]);
        let none = gauge("t", None, "no data", "pts");
        let arcs = none
            .shapes
            .iter()
            .filter(|s| matches!(s, Shape::Arc { .. }))
            .count();
        assert_eq!(arcs, 1, "only the track, no value arc");
        assert!(none
            .shapes
            .iter()
            .any(|s| matches!(s, Shape::Text { text, .. } if text == "no data")));
        // A zero score is a real score: shown as 0, with no value arc.
        let zero = gauge("t", Some(0.0), "no data", "pts");
        assert!(zero
            .shapes
            .iter()
            .any(|s| matches!(s, Shape::Text { text, .. } if text == "0")));
    }

    #[test]
    fn bars_have_lengths_of_their_percentages() {
        let rows = vec![
            ("a".to_string(), Some(40.0)),
            ("b".to_string(), None),
            ("c".to_string(), Some(100.0)),
        ];
        let s = bars("sections", "t", &rows, 300.0, "none");
        let rects: Vec<f32> = s
            .shapes
            .iter()
            .filter_map(|s| match s {
                Shape::Rect { w, .. } => Some(*w),
                _ => None,
            })
            .collect();
        // track a, value a, track b, track c, value c
        assert_eq!(rects.len(), 5);
        let track = rects[0];
        assert!((rects[1] - 0.4 * track).abs() < 1e-3);
        assert_eq!(rects[2], track);
        assert_eq!(rects[4], track);
        let empty = bars("sections", "t", &[], 300.0, "none");
        assert!(empty
            .shapes
            .iter()
            .any(|s| matches!(s, Shape::Text { text, .. } if text == "none")));
    }

    #[test]
    fn trend_places_points_by_score_and_year() {
        assert_eq!(trend_xs(1, 0.0, 100.0), vec![50.0]);
        assert_eq!(trend_xs(3, 0.0, 100.0), vec![0.0, 50.0, 100.0]);
        assert_eq!(trend_y(100.0, 10.0, 90.0), 10.0);
        assert_eq!(trend_y(0.0, 10.0, 90.0), 90.0);
        assert_eq!(trend_y(50.0, 10.0, 90.0), 50.0);
        let pts = [
            TrendPoint {
                fiscal_year: 2024,
                percent: Some(40.0),
            },
            TrendPoint {
                fiscal_year: 2025,
                percent: Some(60.0),
            },
        ];
        let s = trend("t", &pts, 200.0, "none");
        assert!(s
            .shapes
            .iter()
            .any(|s| matches!(s, Shape::Polyline { points, .. } if points.len() == 2)));
        let single = trend("t", &pts[..1], 200.0, "none");
        assert!(!single
            .shapes
            .iter()
            .any(|s| matches!(s, Shape::Polyline { .. })));
        let none = trend("t", &[], 200.0, "none");
        assert!(none
            .shapes
            .iter()
            .any(|s| matches!(s, Shape::Text { text, .. } if text == "none")));
    }

    #[test]
    fn labels_are_cut_to_fit() {
        assert_eq!(fit("abc", 10.0, 100.0), "abc");
        let cut = fit("医療機器のサイバーセキュリティ対策", 10.0, 60.0);
        assert!(cut.ends_with('…'));
        assert!(approx_width(&cut, 10.0) <= 60.0, "{cut}");
    }

    #[test]
    fn eos_bar_splits_the_fleet() {
        let s = eos_bar("t", 100, 25, 60, 200.0, ["past", "known", "unknown"]);
        let rects: Vec<(f32, f32)> = s
            .shapes
            .iter()
            .filter_map(|s| match s {
                Shape::Rect { x, w, y, .. } if *y < 20.0 => Some((*x, *w)),
                _ => None,
            })
            .collect();
        assert_eq!(rects, vec![(0.0, 200.0), (50.0, 70.0), (0.0, 50.0)]);
        let empty = eos_bar("t", 0, 0, 0, 200.0, ["a", "b", "c"]);
        assert_eq!(
            empty
                .shapes
                .iter()
                .filter(|s| matches!(s, Shape::Rect { y, .. } if *y < 20.0))
                .count(),
            1
        );
    }
}
