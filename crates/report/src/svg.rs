//! A chart [`Scene`] as an inline `<svg>` element: presentation attributes only (no `style`
//! attributes, so the page works under a strict Content-Security-Policy), text escaped, numbers with
//! at most two decimals so the output is deterministic.

use crate::chart::{polar, Anchor, Scene, Shape};
use std::fmt::Write;

fn n(v: f32) -> String {
    let r = (v * 100.0).round() / 100.0;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r}")
    }
}

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The SVG path of an arc (clockwise from 12 o'clock, degrees).
pub fn arc_path(cx: f32, cy: f32, r: f32, start_deg: f32, sweep_deg: f32) -> String {
    let (x0, y0) = polar(cx, cy, r, start_deg);
    let (x1, y1) = polar(cx, cy, r, start_deg + sweep_deg);
    let large = if sweep_deg > 180.0 { 1 } else { 0 };
    format!(
        "M{} {} A{} {} 0 {} 1 {} {}",
        n(x0),
        n(y0),
        n(r),
        n(r),
        large,
        n(x1),
        n(y1)
    )
}

pub fn render(scene: &Scene) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="{}" width="{}" height="{}" viewBox="0 0 {} {}" role="img" aria-label="{}">"#,
        scene.name,
        n(scene.width),
        n(scene.height),
        n(scene.width),
        n(scene.height),
        escape(&scene.title)
    );
    let _ = write!(o, "<title>{}</title>", escape(&scene.title));
    for s in &scene.shapes {
        match s {
            Shape::Rect { x, y, w, h, fill } => {
                let _ = write!(
                    o,
                    r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>"#,
                    n(*x),
                    n(*y),
                    n(*w),
                    n(*h),
                    fill.hex()
                );
            }
            Shape::Line {
                x1,
                y1,
                x2,
                y2,
                stroke,
                width,
                dashed,
            } => {
                let _ = write!(
                    o,
                    r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="{}"{}/>"#,
                    n(*x1),
                    n(*y1),
                    n(*x2),
                    n(*y2),
                    stroke.hex(),
                    n(*width),
                    if *dashed {
                        r#" stroke-dasharray="3 3""#
                    } else {
                        ""
                    }
                );
            }
            Shape::Polyline {
                points,
                stroke,
                width,
            } => {
                let pts: Vec<String> = points
                    .iter()
                    .map(|(x, y)| format!("{},{}", n(*x), n(*y)))
                    .collect();
                let _ = write!(
                    o,
                    r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="{}" stroke-linejoin="round"/>"#,
                    pts.join(" "),
                    stroke.hex(),
                    n(*width)
                );
            }
            Shape::Circle { cx, cy, r, fill } => {
                let _ = write!(
                    o,
                    r#"<circle cx="{}" cy="{}" r="{}" fill="{}"/>"#,
                    n(*cx),
                    n(*cy),
                    n(*r),
                    fill.hex()
                );
            }
            Shape::Arc {
                cx,
                cy,
                r,
                start_deg,
                sweep_deg,
                stroke,
                width,
            } => {
                let _ = write!(
                    o,
                    r#"<path d="{}" fill="none" stroke="{}" stroke-width="{}"/>"#,
                    arc_path(*cx, *cy, *r, *start_deg, *sweep_deg),
                    stroke.hex(),
                    n(*width)
                );
            }
            Shape::Text {
                x,
                y,
                size,
                anchor,
                fill,
                text,
            } => {
                let anchor = match anchor {
                    Anchor::Start => "start",
                    Anchor::Middle => "middle",
                    Anchor::End => "end",
                };
                let _ = write!(
                    o,
                    r#"<text x="{}" y="{}" font-size="{}" text-anchor="{}" fill="{}">{}</text>"#,
                    n(*x),
                    n(*y),
                    n(*size),
                    anchor,
                    fill.hex(),
                    escape(text)
                );
            }
        }
    }
    o.push_str("</svg>");
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::{gauge, INK};

    #[test]
    fn text_is_escaped_and_numbers_are_short() {
        let mut s = Scene::new("x", "a<b", 10.0, 10.0);
        s.shapes.push(Shape::Text {
            x: 1.0 / 3.0,
            y: 2.0,
            size: 8.0,
            anchor: Anchor::Start,
            fill: INK,
            text: "<script>&".into(),
        });
        let out = render(&s);
        assert!(out.contains("&lt;script&gt;&amp;"), "{out}");
        assert!(out.contains(r#"x="0.33""#), "{out}");
        assert!(out.contains("<title>a&lt;b</title>"));
        assert!(!out.contains("style="));
    }

    #[test]
    fn half_gauge_arc_ends_on_the_right() {
        assert_eq!(
            arc_path(90.0, 92.0, 72.0, -90.0, 180.0),
            "M18 92 A72 72 0 0 1 162 92"
        );
        let g = render(&gauge("score", Some(50.0), "-", "pts"));
        // 50 % ends at the top of the circle.
        assert!(g.contains("M18 92 A72 72 0 0 1 90 20"), "{g}");
    }
}
