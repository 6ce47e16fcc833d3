//! The report as one self-contained HTML document: our own CSS in one `<style>` block, charts as
//! inline SVG, no script, no external font, stylesheet or image. Prints on one A4 page.

use crate::model::*;
use crate::svg;
use crate::view::{self, charts};
use maud::{html, Markup, PreEscaped, DOCTYPE};

/// The page's only stylesheet. Served under a CSP that allows exactly this block (by its hash).
pub const CSS: &str = "\
@page{size:A4;margin:10mm}\
*{box-sizing:border-box}\
body{margin:0;background:#f3f4f6;color:#1f2937;font-family:'IPAexGothic','IPAPGothic','Noto Sans CJK JP','Noto Sans JP',sans-serif;font-size:12px;line-height:1.45}\
.report{max-width:780px;margin:0 auto;background:#fff;padding:24px 28px}\
.tools{max-width:780px;margin:8px auto;text-align:right}\
.tools a{margin-left:12px}\
h1{font-size:20px;margin:0}\
h2{font-size:13px;margin:0 0 6px;border-left:4px solid #1d4ed8;padding-left:6px}\
.hospital{font-size:16px;font-weight:bold;margin:2px 0}\
.meta,.muted,.note{color:#6b7280}\
.note{font-size:10.5px}\
.row{display:flex;gap:16px;margin-top:14px}\
.row>div{flex:1;min-width:0}\
.row>.narrow{flex:0 0 190px}\
section{margin-top:14px}\
.chart{max-width:100%;height:auto}\
table{border-collapse:collapse;width:100%;font-size:11px}\
th,td{border-bottom:1px solid #e5e7eb;padding:3px 4px;text-align:left;vertical-align:top}\
th{color:#6b7280;font-weight:normal}\
td.num{text-align:right;font-variant-numeric:tabular-nums}\
ul{margin:0;padding-left:18px}\
.tiles{display:flex;gap:8px}\
.tile{flex:1;border:1px solid #e5e7eb;border-radius:4px;padding:4px 8px}\
.tile b{font-size:20px;display:block}\
.tile.warn b{color:#b91c1c}\
.tag{display:inline-block;font-size:10px;border-radius:3px;padding:0 4px;margin-right:4px;background:#e5e7eb}\
.tag.no{background:#fee2e2;color:#b91c1c}\
footer{margin-top:14px;border-top:1px solid #e5e7eb;padding-top:6px;color:#6b7280;font-size:10px}\
@media print{body{background:#fff}.tools{display:none}.report{padding:0;max-width:none}}";

fn chart(scene: &crate::chart::Scene) -> Markup {
    PreEscaped(svg::render(scene))
}

/// The document. `tools` are links shown above the report on screen (not printed), e.g. the PDF
/// download and the language switch of the web page; relative URLs only.
pub fn render(d: &ReportData, t: &dyn Text, tools: &[(String, String)]) -> String {
    let c = charts(d, t);
    let hospital = view::hospital(d, t);
    let title = view::title(t);
    html! {
        (DOCTYPE)
        html lang=(d.lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — " (hospital) }
                style { (PreEscaped(CSS)) }
            }
            body {
                @if !tools.is_empty() {
                    nav.tools {
                        @for (href, label) in tools { a href=(href) { (label) } }
                    }
                }
                main.report #report {
                    header {
                        h1 { (title) }
                        p.hospital #hospital-name { (hospital) }
                        p.meta { (view::meta_line(d, t)) }
                    }
                    div.row {
                        div.narrow #score {
                            h2 { (t.t("report.score")) }
                            (chart(&c.gauge))
                            p.note { (view::score_detail(d, t)) }
                        }
                        div #sections {
                            h2 { (t.t("report.sections")) }
                            (chart(&c.sections))
                        }
                    }
                    div.row {
                        div #trend {
                            h2 { (t.t("report.trend")) }
                            (chart(&c.trend))
                        }
                        div #peers {
                            h2 { (t.t("report.peers")) }
                            p.note #percentile { (view::percentile_line(d, t)) }
                            (chart(&c.peers))
                            @if !d.peers.figures.is_empty() { p.note { (t.t("report.peers_legend")) } }
                        }
                    }
                    section #act-now {
                        h2 { (t.t("report.act_now")) }
                        p.note { (view::act_now_line(d, t)) }
                        @if !d.act_now.top.is_empty() {
                            table {
                                thead { tr {
                                    th { (t.t("report.col.number")) }
                                    th { (t.t("report.col.device")) }
                                    th { (t.t("report.col.department")) }
                                    th { (t.t("report.col.priority")) }
                                    th { (t.t("report.col.reasons")) }
                                } }
                                tbody {
                                    @for a in d.act_now.top.iter().take(MAX_ACT_NOW) {
                                        tr {
                                            td { (a.management_number) }
                                            td { (a.device) }
                                            td { (a.department) }
                                            td.num { (format!("{:.0}", a.score)) }
                                            td { (a.reasons.join("、")) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    div.row {
                        div #unmet {
                            h2 { (t.t("report.unmet")) }
                            p.note { (view::unmet_line(d, t)) }
                            @if !d.unmet_inspection.is_empty() {
                                ul {
                                    @for u in d.unmet_inspection.iter().take(MAX_UNMET) {
                                        li {
                                            span.tag.no[u.answered_no] { (view::unmet_mark(u, t)) }
                                            (u.reference) " " (u.title)
                                        }
                                    }
                                }
                                @if let Some(m) = view::more_line(d.unmet_inspection.len(), MAX_UNMET, t) { p.note { (m) } }
                            }
                        }
                        div #eos {
                            h2 { (t.t("report.eos")) }
                            p.note { (view::eos_line(d, t)) }
                            (chart(&c.eos))
                            @if !d.eos.list.is_empty() {
                                table {
                                    tbody {
                                        @for e in d.eos.list.iter().take(MAX_EOS) {
                                            tr { td { (e.management_number) } td { (e.device) } td { (e.department) } td { (e.eos_date) } }
                                        }
                                    }
                                }
                                @if let Some(m) = view::more_line(d.eos.past_eos as usize, d.eos.list.len().min(MAX_EOS), t) { p.note { (m) } }
                            }
                        }
                    }
                    section #remote-lines {
                        h2 { (t.t("report.remote")) }
                        @if d.remote_lines.lines == 0 {
                            p.note { (t.t("report.remote_none")) }
                        } @else {
                            div.tiles {
                                @for (n, label, warn) in view::remote_tiles(d, t) {
                                    div.tile.warn[warn && n > 0] { b { (n) } (label) }
                                }
                            }
                            @if !d.remote_lines.flagged.is_empty() {
                                table {
                                    tbody {
                                        @for l in d.remote_lines.flagged.iter().take(MAX_FLAGGED_LINES) {
                                            tr {
                                                td { (l.vendor) }
                                                td { (l.method) }
                                                td.num { (l.devices) }
                                                td { @for f in &l.flags { span.tag.no { (f) } } }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    footer {
                        @if let Some(c) = &d.peers.citation { p { (t.t("report.source")) ": " (c) } }
                        p { (t.t("report.footer")) }
                    }
                }
            }
        }
    }
    .into_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::{empty, full, Keys};

    #[test]
    fn html_is_self_contained_with_five_charts() {
        let d = full();
        let out = render(&d, &Keys, &[("/report.pdf".into(), "PDF".into())]);
        assert!(out.contains("（架空）みなと中央総合病院"));
        assert_eq!(out.matches("<svg ").count(), 5);
        for name in ["gauge", "sections", "trend", "peers", "eos"] {
            assert!(out.contains(&format!(r#"data-chart="{name}""#)), "{name}");
        }
        assert!(!out.contains("<script"));
        assert!(
            !out.contains("style="),
            "inline style attributes break the CSP"
        );
        assert!(!out.contains("<link"));
        let without_ns = out.replace("http://www.w3.org/2000/svg", "");
        assert!(!without_ns.contains("http://") && !without_ns.contains("https://"));
        // Capped lists say how many more there are.
        assert!(out.contains(&format!("ほか {} 件", d.unmet_inspection.len() - MAX_UNMET)));
        assert!(out.contains("未対応の機器 123 台"));
        assert_eq!(
            out,
            render(&d, &Keys, &[("/report.pdf".into(), "PDF".into())]),
            "deterministic"
        );
    }

    #[test]
    fn no_data_is_said_never_scored() {
        let out = render(&empty(), &Keys, &[]);
        assert!(out.contains("report.hospital_unset"));
        assert!(out.contains("report.no_checklist"));
        assert!(out.contains("回答なし"), "the gauge says there is no score");
        assert!(
            out.contains("report.act_now_unknown"),
            "no feeds = not checked, not clean"
        );
        assert!(out.contains("report.eos_unknown"));
        assert!(out.contains("report.remote_none"));
        // The gauge has only its grey track: no coloured value arc, no number.
        let gauge = out.split(r#"data-chart="gauge""#).nth(1).unwrap();
        let gauge = &gauge[..gauge.find("</svg>").unwrap()];
        assert_eq!(gauge.matches("<path").count(), 1, "{gauge}");
        assert!(
            !gauge.contains(r#"font-size="30""#),
            "no score number: {gauge}"
        );
        assert!(!out.contains("<table"), "no empty tables");
    }

    #[test]
    fn english_sets_the_document_language() {
        let mut d = full();
        d.lang = Lang::En;
        assert!(render(&d, &Keys, &[]).contains(r#"<html lang="en">"#));
    }
}
