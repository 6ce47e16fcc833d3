//! The report as a one-page A4 PDF (krilla): the same charts as the HTML drawn as vector paths, text
//! set in the Japanese font found on the machine, embedded as a subset with a ToUnicode map (so the
//! text can be searched and copied). Every list is capped so the page never overflows; a test
//! checks the fullest possible report still ends above the bottom margin.

use crate::chart::{self, polar, Anchor, Rgb, Scene, Shape, INK, MUTED, POOR, TRACK};
use crate::error::ReportError;
use crate::font::FontFile;
use crate::model::*;
use crate::view::{self, charts, CONTENT_WIDTH, GAP, GAUGE_WIDTH, HALF};
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Transform};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use krilla::Document;
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::{charmap::Charmap, FontRef, MetadataProvider};

pub const PAGE_WIDTH: f32 = 595.0;
pub const PAGE_HEIGHT: f32 = 842.0;
pub const MARGIN: f32 = 36.0;

/// Advance widths from the font itself, for right-aligned numbers, centring and cutting text.
struct Measure<'a> {
    charmap: Charmap<'a>,
    metrics: GlyphMetrics<'a>,
    upem: f32,
}

impl<'a> Measure<'a> {
    fn new(font: &FontRef<'a>) -> Measure<'a> {
        let upem = font
            .metrics(Size::unscaled(), LocationRef::default())
            .units_per_em as f32;
        Measure {
            charmap: font.charmap(),
            metrics: font.glyph_metrics(Size::unscaled(), LocationRef::default()),
            upem: if upem > 0.0 { upem } else { 1000.0 },
        }
    }
    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars()
            .map(|c| {
                self.charmap
                    .map(c)
                    .and_then(|g| self.metrics.advance_width(g))
                    .unwrap_or(self.upem * 0.6)
            })
            .sum::<f32>()
            / self.upem
            * size
    }
    /// `text` cut to `max` with "…".
    fn fit(&self, text: &str, size: f32, max: f32) -> String {
        if self.width(text, size) <= max {
            return text.to_string();
        }
        let budget = max - self.width("…", size);
        let mut out = String::new();
        let mut w = 0.0;
        for c in text.chars() {
            let cw = self.width(c.encode_utf8(&mut [0; 4]), size);
            if w + cw > budget {
                break;
            }
            w += cw;
            out.push(c);
        }
        out.push('…');
        out
    }
    /// Greedy line breaking: anywhere between full-width characters, at spaces in Latin text.
    fn wrap(&self, text: &str, size: f32, max: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        for c in text.chars() {
            let mut candidate = line.clone();
            candidate.push(c);
            if self.width(&candidate, size) <= max || line.is_empty() {
                line = candidate;
                continue;
            }
            // Inside a Latin word, break at the space before it (if the word is short enough to
            // move); Japanese text breaks between any two characters.
            let word_start = line.rfind(' ').filter(|&i| {
                c != ' '
                    && c.is_ascii()
                    && line[i + 1..].chars().count() < 24
                    && !line[i + 1..].chars().any(chart::is_wide)
            });
            match word_start {
                Some(i) if i > 0 => {
                    let rest = line[i + 1..].to_string();
                    line.truncate(i);
                    lines.push(std::mem::take(&mut line));
                    line = rest;
                    line.push(c);
                }
                _ => {
                    lines.push(std::mem::take(&mut line));
                    if c != ' ' {
                        line.push(c);
                    }
                }
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
    }
}

fn colour(c: Rgb) -> krilla::paint::Paint {
    rgb::Color::new(c.0, c.1, c.2).into()
}

fn fill(c: Rgb) -> Fill {
    Fill {
        paint: colour(c),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

/// Append a clockwise arc (degrees from 12 o'clock) as cubic Béziers of at most 90° each.
fn arc_to(
    pb: &mut PathBuilder,
    cx: f32,
    cy: f32,
    r: f32,
    start: f32,
    sweep: f32,
    move_first: bool,
) {
    let segments = (sweep.abs() / 90.0).ceil().max(1.0) as usize;
    let step = sweep / segments as f32;
    let k = 4.0 / 3.0 * (step.to_radians() / 4.0).tan() * r;
    let (x0, y0) = polar(cx, cy, r, start);
    if move_first {
        pb.move_to(x0, y0);
    }
    for i in 0..segments {
        let a0 = (start + step * i as f32).to_radians();
        let a1 = (start + step * (i + 1) as f32).to_radians();
        let (sx, sy) = (cx + r * a0.sin(), cy - r * a0.cos());
        let (ex, ey) = (cx + r * a1.sin(), cy - r * a1.cos());
        // Tangent of a clockwise (y down) circle at angle a: (cos a, sin a).
        pb.cubic_to(
            sx + k * a0.cos(),
            sy + k * a0.sin(),
            ex - k * a1.cos(),
            ey - k * a1.sin(),
            ex,
            ey,
        );
    }
}

/// Draws on the page and remembers how far down it went.
struct Canvas<'s, 'm> {
    surface: Surface<'s>,
    font: Font,
    measure: Measure<'m>,
    lowest: f32,
}

impl Canvas<'_, '_> {
    fn text(&mut self, x: f32, y: f32, size: f32, anchor: Anchor, c: Rgb, s: &str) {
        if s.is_empty() {
            return;
        }
        let w = self.measure.width(s, size);
        let x = match anchor {
            Anchor::Start => x,
            Anchor::Middle => x - w / 2.0,
            Anchor::End => x - w,
        };
        self.surface.set_fill(Some(fill(c)));
        self.surface.set_stroke(None);
        self.surface.draw_text(
            Point::from_xy(x, y),
            self.font.clone(),
            size,
            s,
            false,
            TextDirection::Auto,
        );
        self.lowest = self.lowest.max(y + size * 0.25);
    }
    /// Text cut to `max` width.
    fn text_fit(&mut self, x: f32, y: f32, size: f32, c: Rgb, s: &str, max: f32) {
        let s = self.measure.fit(s, size, max);
        self.text(x, y, size, Anchor::Start, c, &s);
    }
    /// Wrapped text from `y` (first baseline); returns the y below the last line.
    #[allow(clippy::too_many_arguments)]
    fn paragraph(
        &mut self,
        x: f32,
        y: f32,
        size: f32,
        c: Rgb,
        s: &str,
        max: f32,
        max_lines: usize,
    ) -> f32 {
        let lines = self.measure.wrap(s, size, max);
        let mut y = y;
        let n = lines.len();
        for (i, line) in lines.into_iter().take(max_lines).enumerate() {
            let line = if i + 1 == max_lines && n > max_lines {
                self.measure.fit(&format!("{line}…"), size, max)
            } else {
                line
            };
            self.text(x, y, size, Anchor::Start, c, &line);
            y += size * 1.35;
        }
        y
    }
    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, c: Rgb) {
        let mut pb = PathBuilder::new();
        if let Some(r) = krilla::geom::Rect::from_xywh(x, y, w, h) {
            pb.push_rect(r);
        }
        if let Some(path) = pb.finish() {
            self.surface.set_stroke(None);
            self.surface.set_fill(Some(fill(c)));
            self.surface.draw_path(&path);
        }
        self.lowest = self.lowest.max(y + h);
    }
    fn stroke_path(&mut self, pb: PathBuilder, c: Rgb, width: f32, dashed: bool) {
        if let Some(path) = pb.finish() {
            self.surface.set_fill(None);
            self.surface.set_stroke(Some(Stroke {
                paint: colour(c),
                width,
                dash: dashed.then(|| krilla::paint::StrokeDash {
                    array: vec![3.0, 3.0],
                    offset: 0.0,
                }),
                ..Default::default()
            }));
            self.surface.draw_path(&path);
            self.surface.set_stroke(None);
        }
    }
    fn hline(&mut self, x: f32, y: f32, w: f32) {
        let mut pb = PathBuilder::new();
        pb.move_to(x, y);
        pb.line_to(x + w, y);
        self.stroke_path(pb, TRACK, 0.6, false);
    }
    fn heading(&mut self, x: f32, y: f32, s: &str, max: f32) -> f32 {
        self.rect(x, y, 3.0, 11.0, chart::ACCENT);
        self.text_fit(x + 7.0, y + 9.5, 10.5, INK, s, max - 7.0);
        y + 17.0
    }
    /// A chart scene with its top-left corner at (x, y); returns the y below it.
    fn scene(&mut self, s: &Scene, x: f32, y: f32) -> f32 {
        self.surface
            .push_transform(&Transform::from_translate(x, y));
        for shape in &s.shapes {
            match shape {
                Shape::Rect { x, y, w, h, fill } => self.rect(*x, *y, *w, *h, *fill),
                Shape::Line {
                    x1,
                    y1,
                    x2,
                    y2,
                    stroke,
                    width,
                    dashed,
                } => {
                    let mut pb = PathBuilder::new();
                    pb.move_to(*x1, *y1);
                    pb.line_to(*x2, *y2);
                    self.stroke_path(pb, *stroke, *width, *dashed);
                }
                Shape::Polyline {
                    points,
                    stroke,
                    width,
                } => {
                    let mut pb = PathBuilder::new();
                    for (i, (px, py)) in points.iter().enumerate() {
                        if i == 0 {
                            pb.move_to(*px, *py);
                        } else {
                            pb.line_to(*px, *py);
                        }
                    }
                    self.stroke_path(pb, *stroke, *width, false);
                }
                Shape::Circle { cx, cy, r, fill: c } => {
                    let mut pb = PathBuilder::new();
                    arc_to(&mut pb, *cx, *cy, *r, 0.0, 360.0, true);
                    pb.close();
                    if let Some(path) = pb.finish() {
                        self.surface.set_stroke(None);
                        self.surface.set_fill(Some(fill(*c)));
                        self.surface.draw_path(&path);
                    }
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
                    let mut pb = PathBuilder::new();
                    arc_to(&mut pb, *cx, *cy, *r, *start_deg, *sweep_deg, true);
                    self.stroke_path(pb, *stroke, *width, false);
                }
                Shape::Text {
                    x,
                    y,
                    size,
                    anchor,
                    fill,
                    text,
                } => {
                    self.text(*x, *y, *size, *anchor, *fill, text);
                }
            }
        }
        self.surface.pop();
        self.lowest = self.lowest.max(y + s.height);
        y + s.height
    }
}

/// A table row: cells at x offsets, each cut to its width.
fn row(
    c: &mut Canvas<'_, '_>,
    x: f32,
    y: f32,
    cols: &[(f32, f32)],
    cells: &[String],
    size: f32,
    colour: Rgb,
) {
    for ((off, w), text) in cols.iter().zip(cells) {
        c.text_fit(x + off, y, size, colour, text, w - 4.0);
    }
}

/// Draw the whole page; returns the lowest y used (must stay above `PAGE_HEIGHT - MARGIN`).
fn draw_page(c: &mut Canvas<'_, '_>, d: &ReportData, t: &dyn Text) -> f32 {
    let x0 = MARGIN;
    let w = CONTENT_WIDTH;
    let ch = charts(d, t);

    // Header.
    c.text_fit(x0, MARGIN + 16.0, 17.0, INK, &view::title(t), w);
    c.text_fit(x0, MARGIN + 36.0, 13.0, INK, &view::hospital(d, t), w);
    c.text_fit(x0, MARGIN + 50.0, 8.5, MUTED, &view::meta_line(d, t), w);
    let mut y = MARGIN + 60.0;
    c.hline(x0, y, w);
    y += 8.0;

    // Score gauge and sections.
    let top = y;
    let yl = c.heading(x0, top, t.t("report.score"), GAUGE_WIDTH);
    let yl = c.scene(&ch.gauge, x0, yl);
    let yl = c.paragraph(
        x0,
        yl + 4.0,
        7.5,
        MUTED,
        &view::score_detail(d, t),
        GAUGE_WIDTH,
        3,
    );
    let xr = x0 + GAUGE_WIDTH + GAP;
    let yr = c.heading(xr, top, t.t("report.sections"), w - GAUGE_WIDTH - GAP);
    let yr = c.scene(&ch.sections, xr, yr);
    y = yl.max(yr) + 4.0;

    // Trend and peers.
    let top = y;
    let yl = c.heading(x0, top, t.t("report.trend"), HALF);
    let yl = c.scene(&ch.trend, x0, yl);
    let xr = x0 + HALF + GAP;
    let yr = c.heading(xr, top, t.t("report.peers"), HALF);
    let yr = c.paragraph(
        xr,
        yr + 6.0,
        7.5,
        MUTED,
        &view::percentile_line(d, t),
        HALF,
        2,
    );
    let mut yr = c.scene(&ch.peers, xr, yr);
    if !d.peers.figures.is_empty() {
        yr = c.paragraph(
            xr,
            yr + 7.0,
            7.0,
            MUTED,
            t.t("report.peers_legend"),
            HALF,
            2,
        );
    }
    y = yl.max(yr) + 4.0;

    // Act now.
    y = c.heading(x0, y, t.t("report.act_now"), w);
    y = c.paragraph(x0, y + 6.0, 8.0, MUTED, &view::act_now_line(d, t), w, 2);
    if !d.act_now.top.is_empty() {
        let cols = [
            (0.0, 84.0),
            (84.0, 140.0),
            (224.0, 70.0),
            (294.0, 34.0),
            (328.0, w - 328.0),
        ];
        let header = [
            t.t("report.col.number"),
            t.t("report.col.device"),
            t.t("report.col.department"),
            t.t("report.col.priority"),
            t.t("report.col.reasons"),
        ]
        .map(str::to_string);
        y += 3.0;
        row(c, x0, y + 7.0, &cols, &header, 7.5, MUTED);
        y += 10.0;
        c.hline(x0, y, w);
        for a in d.act_now.top.iter().take(MAX_ACT_NOW) {
            let cells = [
                a.management_number.clone(),
                a.device.clone(),
                a.department.clone(),
                format!("{:.0}", a.score),
                a.reasons.join("、"),
            ];
            row(c, x0, y + 9.0, &cols, &cells, 7.5, INK);
            y += 12.0;
        }
    }
    y += 5.0;

    // Unmet inspection items and devices past end of support.
    let top = y;
    let mut yl = c.heading(x0, top, t.t("report.unmet"), HALF);
    yl = c.paragraph(x0, yl + 6.0, 8.0, MUTED, &view::unmet_line(d, t), HALF, 2);
    for u in d.unmet_inspection.iter().take(MAX_UNMET) {
        let mark = view::unmet_mark(u, t);
        let tag_w = c.measure.width(&mark, 7.0) + 6.0;
        c.rect(
            x0,
            yl - 1.0,
            tag_w,
            10.0,
            if u.answered_no {
                Rgb(0xfe, 0xe2, 0xe2)
            } else {
                TRACK
            },
        );
        c.text(
            x0 + 3.0,
            yl + 6.5,
            7.0,
            Anchor::Start,
            if u.answered_no { POOR } else { INK },
            &mark,
        );
        c.text_fit(
            x0 + tag_w + 4.0,
            yl + 7.0,
            8.0,
            INK,
            &format!("{} {}", u.reference, u.title),
            HALF - tag_w - 4.0,
        );
        yl += 12.0;
    }
    if let Some(m) = view::more_line(d.unmet_inspection.len(), MAX_UNMET, t) {
        yl = c.paragraph(x0, yl + 7.0, 7.5, MUTED, &m, HALF, 1);
    }
    let xr = x0 + HALF + GAP;
    let mut yr = c.heading(xr, top, t.t("report.eos"), HALF);
    yr = c.paragraph(xr, yr + 6.0, 8.0, MUTED, &view::eos_line(d, t), HALF, 2);
    yr = c.scene(&ch.eos, xr, yr);
    let cols = [
        (0.0, 76.0),
        (76.0, 78.0),
        (154.0, 50.0),
        (204.0, HALF - 204.0),
    ];
    for e in d.eos.list.iter().take(MAX_EOS) {
        let cells = [
            e.management_number.clone(),
            e.device.clone(),
            e.department.clone(),
            e.eos_date.clone(),
        ];
        row(c, xr, yr + 8.0, &cols, &cells, 7.0, INK);
        yr += 11.0;
    }
    if let Some(m) = view::more_line(d.eos.past_eos as usize, d.eos.list.len().min(MAX_EOS), t) {
        yr = c.paragraph(xr, yr + 8.0, 7.5, MUTED, &m, HALF, 1);
    }
    y = yl.max(yr) + 8.0;

    // Remote lines.
    y = c.heading(x0, y, t.t("report.remote"), w);
    if d.remote_lines.lines == 0 {
        y = c.paragraph(x0, y + 6.0, 8.0, MUTED, t.t("report.remote_none"), w, 2);
    } else {
        let tiles = view::remote_tiles(d, t);
        let tw = (w - 3.0 * 8.0) / 4.0;
        for (i, (n, label, warn)) in tiles.iter().enumerate() {
            let tx = x0 + i as f32 * (tw + 8.0);
            c.rect(tx, y, tw, 24.0, Rgb(0xf3, 0xf4, 0xf6));
            c.text(
                tx + 6.0,
                y + 16.5,
                14.0,
                Anchor::Start,
                if *warn && *n > 0 { POOR } else { INK },
                &n.to_string(),
            );
            let nw = c.measure.width(&n.to_string(), 14.0);
            c.text_fit(tx + 10.0 + nw, y + 15.5, 8.0, MUTED, label, tw - nw - 14.0);
        }
        y += 29.0;
        let cols = [
            (0.0, 150.0),
            (150.0, 110.0),
            (260.0, 30.0),
            (290.0, w - 290.0),
        ];
        for l in d.remote_lines.flagged.iter().take(MAX_FLAGGED_LINES) {
            let cells = [
                l.vendor.clone(),
                l.method.clone(),
                l.devices.to_string(),
                l.flags.join("・"),
            ];
            row(c, x0, y + 8.0, &cols, &cells, 7.5, INK);
            y += 11.0;
        }
    }
    y += 6.0;

    // Footer.
    c.hline(x0, y, w);
    y += 9.0;
    if let Some(cit) = &d.peers.citation {
        y = c.paragraph(
            x0,
            y,
            6.5,
            MUTED,
            &format!("{}: {cit}", t.t("report.source")),
            w,
            2,
        );
    }
    c.paragraph(x0, y, 6.5, MUTED, t.t("report.footer"), w, 1);
    c.lowest
}

/// The PDF bytes. One A4 page.
pub fn render(d: &ReportData, t: &dyn Text, font: &FontFile) -> Result<Vec<u8>, ReportError> {
    render_measured(d, t, font).map(|(bytes, _)| bytes)
}

/// The PDF and the lowest y drawn (for the overflow test).
pub(crate) fn render_measured(
    d: &ReportData,
    t: &dyn Text,
    font: &FontFile,
) -> Result<(Vec<u8>, f32), ReportError> {
    let bad = |reason: &str| ReportError::BadFont {
        path: font.path.clone(),
        reason: reason.to_string(),
    };
    let face = FontRef::from_index(&font.data, font.index).map_err(|e| bad(&e.to_string()))?;
    let kfont = Font::new(font.data.clone().into(), font.index)
        .ok_or_else(|| bad("krilla cannot load it"))?;
    let mut doc = Document::new();
    doc.set_metadata(
        Metadata::new()
            .title(format!("{} — {}", view::title(t), view::hospital(d, t)))
            .language(d.lang.code().to_string())
            .creator("mdsec".to_string()),
    );
    let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
        .ok_or_else(|| ReportError::Pdf("bad page size".into()))?;
    let lowest;
    {
        let mut page = doc.start_page_with(settings);
        {
            let mut canvas = Canvas {
                surface: page.surface(),
                font: kfont,
                measure: Measure::new(&face),
                lowest: 0.0,
            };
            lowest = draw_page(&mut canvas, d, t);
            let Canvas { surface, .. } = canvas;
            surface.finish();
        }
        page.finish();
    }
    let bytes = doc
        .finish()
        .map_err(|e| ReportError::Pdf(format!("{e:?}")))?;
    Ok((bytes, lowest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::{empty, full, Keys};

    fn font() -> FontFile {
        crate::find_font().expect("a Japanese font (Debian fonts-ipaexfont) for the PDF tests")
    }

    fn pages(pdf: &[u8]) -> usize {
        let s = String::from_utf8_lossy(pdf);
        s.matches("/Type /Page").count() - s.matches("/Type /Pages").count()
    }

    #[test]
    fn the_fullest_report_fits_on_one_page() {
        let (pdf, lowest) = render_measured(&full(), &Keys, &font()).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        assert_eq!(pages(&pdf), 1);
        assert!(
            lowest <= PAGE_HEIGHT - MARGIN,
            "the page overflows: lowest y {lowest} > {}",
            PAGE_HEIGHT - MARGIN
        );
        assert!(
            lowest > PAGE_HEIGHT / 2.0,
            "suspiciously little drawn: {lowest}"
        );
    }

    #[test]
    fn an_empty_hospital_gets_a_one_page_report_too() {
        let (pdf, lowest) = render_measured(&empty(), &Keys, &font()).unwrap();
        assert_eq!(pages(&pdf), 1);
        assert!(lowest <= PAGE_HEIGHT - MARGIN);
    }

    #[test]
    fn the_font_is_embedded_as_a_subset_with_a_unicode_map() {
        let f = font();
        let pdf = render(&full(), &Keys, &f).unwrap();
        let s = String::from_utf8_lossy(&pdf);
        assert!(s.contains("/ToUnicode"), "no ToUnicode map");
        assert!(s.contains("/FontFile"), "font not embedded");
        assert!(
            pdf.len() < f.data.len() / 4,
            "PDF of {} bytes for a font of {}: not a subset?",
            pdf.len(),
            f.data.len()
        );
    }

    #[test]
    fn text_is_wrapped_and_cut_by_real_widths() {
        let f = font();
        let face = FontRef::from_index(&f.data, f.index).unwrap();
        let m = Measure::new(&face);
        // IPAex and Noto: full-width characters are one em.
        assert!((m.width("病院", 10.0) - 20.0).abs() < 0.5);
        let lines = m.wrap("医療機器のサイバーセキュリティ対策を進める", 10.0, 55.0);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| m.width(l, 10.0) <= 55.0), "{lines:?}");
        assert_eq!(lines.concat(), "医療機器のサイバーセキュリティ対策を進める");
        let mixed = m.wrap(
            "出典: 令和6年度 厚生労働行政推進調査事業の研究 n=170、設問 4-0",
            10.0,
            200.0,
        );
        assert!(
            m.width(&mixed[0], 10.0) > 150.0,
            "Japanese lines are filled: {mixed:?}"
        );
        let en = m.wrap("devices past end of support", 10.0, 80.0);
        assert!(
            en.iter().all(|l| !l.starts_with(' ') && !l.ends_with(' ')),
            "{en:?}"
        );
        let cut = m.fit("とても長い病院名とても長い病院名", 10.0, 60.0);
        assert!(cut.ends_with('…') && m.width(&cut, 10.0) <= 60.0, "{cut}");
    }
}
