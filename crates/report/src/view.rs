//! What both outputs say, worded once: the charts with their sizes, and every sentence built from
//! the data and the `report.*` labels. The HTML and PDF renderers only place these.

use crate::chart::{self, Scene};
use crate::model::*;

/// `template` with each `{name}` replaced.
pub fn fill(template: &str, values: &[(&str, String)]) -> String {
    let mut out = template.to_string();
    for (k, v) in values {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

/// Width of the page's content in points (A4 less 36 pt margins).
pub const CONTENT_WIDTH: f32 = 523.0;
pub const GAUGE_WIDTH: f32 = 180.0;
pub const GAP: f32 = 16.0;
pub const HALF: f32 = (CONTENT_WIDTH - GAP) / 2.0;

pub struct Charts {
    pub gauge: Scene,
    pub sections: Scene,
    pub trend: Scene,
    pub peers: Scene,
    pub eos: Scene,
}

pub fn charts(d: &ReportData, t: &dyn Text) -> Charts {
    let percent = d.checklist.as_ref().and_then(|c| c.percent);
    let gauge = chart::gauge(
        t.t("report.score"),
        percent,
        t.t("report.no_score"),
        t.t("report.points"),
    );
    let rows: Vec<(String, Option<f64>)> = d
        .checklist
        .iter()
        .flat_map(|c| &c.sections)
        .map(|s| (s.label.clone(), s.percent))
        .collect();
    let sections = chart::bars(
        "sections",
        t.t("report.sections"),
        &rows,
        CONTENT_WIDTH - GAUGE_WIDTH - GAP,
        t.t("report.no_score"),
    );
    let trend_points: &[TrendPoint] = d
        .checklist
        .as_ref()
        .map(|c| c.trend.as_slice())
        .unwrap_or(&[]);
    let trend = chart::trend(
        t.t("report.trend"),
        trend_points,
        HALF,
        t.t("report.trend_none"),
    );
    let peer_rows: Vec<(String, f64, Option<bool>)> = d
        .peers
        .figures
        .iter()
        .take(MAX_PEER_LINES)
        .map(|p| (p.label.clone(), p.peers_percent, p.hospital))
        .collect();
    let peers = chart::peer_bars(
        t.t("report.peers"),
        &peer_rows,
        HALF,
        t.t("report.peers_none"),
    );
    let eos = chart::eos_bar(
        t.t("report.eos"),
        d.eos.devices_total,
        d.eos.past_eos,
        d.eos.with_eos_date,
        HALF,
        [
            t.t("report.eos_legend_past"),
            t.t("report.eos_legend_known"),
            t.t("report.eos_legend_unknown"),
        ],
    );
    Charts {
        gauge,
        sections,
        trend,
        peers,
        eos,
    }
}

pub fn title(t: &dyn Text) -> String {
    t.t("report.title").to_string()
}

pub fn hospital(d: &ReportData, t: &dyn Text) -> String {
    d.hospital_name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| t.t("report.hospital_unset").to_string())
}

pub fn meta_line(d: &ReportData, t: &dyn Text) -> String {
    let fy = fill(
        t.t("report.fiscal_year"),
        &[
            ("fy", d.fiscal_year.to_string()),
            ("reiwa", d.fiscal_year.saturating_sub(2018).to_string()),
        ],
    );
    let date = fill(t.t("report.generated"), &[("date", d.generated_on.clone())]);
    format!("{fy}　{date}")
}

/// Sentence under the gauge.
pub fn score_detail(d: &ReportData, t: &dyn Text) -> String {
    match &d.checklist {
        Some(c) => fill(
            t.t("report.score_detail"),
            &[
                ("answered", c.answered.to_string()),
                ("items", c.items.to_string()),
                ("proposed", c.proposed.to_string()),
            ],
        ),
        None => t.t("report.no_checklist").to_string(),
    }
}

pub fn percentile_line(d: &ReportData, t: &dyn Text) -> String {
    match &d.peers.percentile {
        Some(p) => fill(
            t.t("report.percentile"),
            &[
                ("p", format!("{:.0}", p.percentile)),
                ("n", p.cohort_hospitals.to_string()),
                ("cohort", p.cohort.clone()),
            ],
        ),
        None => t.t("report.percentile_none").to_string(),
    }
}

pub fn act_now_line(d: &ReportData, t: &dyn Text) -> String {
    let a = &d.act_now;
    if !a.intelligence_loaded {
        t.t("report.act_now_unknown").to_string()
    } else if a.devices_with_open_findings == 0 {
        t.t("report.act_now_none").to_string()
    } else {
        fill(
            t.t("report.act_now_count"),
            &[("n", a.devices_with_open_findings.to_string())],
        )
    }
}

pub fn unmet_line(d: &ReportData, t: &dyn Text) -> String {
    if d.checklist.is_none() {
        t.t("report.no_checklist").to_string()
    } else if d.unmet_inspection.is_empty() {
        t.t("report.unmet_none").to_string()
    } else {
        fill(
            t.t("report.unmet_count"),
            &[("n", d.unmet_inspection.len().to_string())],
        )
    }
}

pub fn more_line(total: usize, shown: usize, t: &dyn Text) -> Option<String> {
    (total > shown).then(|| fill(t.t("report.more"), &[("n", (total - shown).to_string())]))
}

pub fn eos_line(d: &ReportData, t: &dyn Text) -> String {
    let e = &d.eos;
    if e.with_eos_date == 0 {
        t.t("report.eos_unknown").to_string()
    } else if e.past_eos == 0 {
        t.t("report.eos_none").to_string()
    } else {
        fill(
            t.t("report.eos_count"),
            &[
                ("past", e.past_eos.to_string()),
                ("total", e.devices_total.to_string()),
                ("dated", e.with_eos_date.to_string()),
            ],
        )
    }
}

/// The remote-line tiles: (number, label, is a warning).
pub fn remote_tiles(d: &ReportData, t: &dyn Text) -> Vec<(u64, String, bool)> {
    let r = &d.remote_lines;
    vec![
        (r.lines, t.t("report.remote_lines").to_string(), false),
        (
            r.always_on,
            t.t("report.remote_always_on").to_string(),
            true,
        ),
        (
            r.review_due,
            t.t("report.remote_review_due").to_string(),
            true,
        ),
        (r.no_owner, t.t("report.remote_no_owner").to_string(), true),
    ]
}

pub fn unmet_mark(item: &UnmetItem, t: &dyn Text) -> String {
    if item.answered_no {
        t.t("report.unmet_no").to_string()
    } else {
        t.t("report.unmet_open").to_string()
    }
}

/// Every `report.*` key the renderers ask for; the web crate's catalogue test checks them.
pub const KEYS: &[&str] = &[
    "report.title",
    "report.fiscal_year",
    "report.generated",
    "report.hospital_unset",
    "report.score",
    "report.points",
    "report.no_score",
    "report.score_detail",
    "report.no_checklist",
    "report.sections",
    "report.trend",
    "report.trend_none",
    "report.peers",
    "report.peers_legend",
    "report.peers_none",
    "report.percentile",
    "report.percentile_none",
    "report.act_now",
    "report.act_now_count",
    "report.act_now_none",
    "report.act_now_unknown",
    "report.col.number",
    "report.col.device",
    "report.col.department",
    "report.col.priority",
    "report.col.reasons",
    "report.unmet",
    "report.unmet_count",
    "report.unmet_none",
    "report.unmet_no",
    "report.unmet_open",
    "report.more",
    "report.eos",
    "report.eos_count",
    "report.eos_none",
    "report.eos_unknown",
    "report.eos_legend_past",
    "report.eos_legend_known",
    "report.eos_legend_unknown",
    "report.remote",
    "report.remote_lines",
    "report.remote_always_on",
    "report.remote_review_due",
    "report.remote_no_owner",
    "report.remote_none",
    "report.source",
    "report.footer",
];
