//! Report data for the tests: a full report (every list over its cap, long names) and an empty one.

use crate::model::*;

/// Labels for tests: Japanese for the keys whose wording matters, else the key itself.
pub struct Keys;

impl Text for Keys {
    fn t<'a>(&'a self, key: &'a str) -> &'a str {
        match key {
            "report.no_score" => "回答なし",
            "report.title" => "経営層向け報告",
            "report.more" => "ほか {n} 件",
            "report.act_now_count" => "未対応の機器 {n} 台",
            _ => key,
        }
    }
}

pub fn full() -> ReportData {
    let long =
        "とても長い名前の医療機器サイバーセキュリティ対策項目の説明文がここに入ります".repeat(2);
    ReportData {
        lang: Lang::Ja,
        hospital_name: Some("（架空）みなと中央総合病院".into()),
        fiscal_year: 2025,
        generated_on: "2026-04-01".into(),
        checklist: Some(ChecklistSummary {
            percent: Some(62.5),
            earned: 50,
            possible: 80,
            items: 40,
            answered: 30,
            proposed: 6,
            sections: (0..5)
                .map(|i| SectionScore {
                    label: format!("{} 分野 {long}", i + 1),
                    percent: if i == 3 { None } else { Some(20.0 * i as f64) },
                })
                .collect(),
            trend: vec![
                TrendPoint {
                    fiscal_year: 2024,
                    percent: Some(41.0),
                },
                TrendPoint {
                    fiscal_year: 2025,
                    percent: Some(62.5),
                },
            ],
        }),
        peers: PeerSummary {
            percentile: Some(PercentileFigure {
                percentile: 73.0,
                cohort: "一般病院・400〜599床".into(),
                cohort_hospitals: 31,
            }),
            figures: (0..9)
                .map(|i| PeerLine {
                    label: format!("項目 {i} {long}"),
                    peers_percent: 10.0 * i as f64,
                    hospital: [Some(true), Some(false), None][i % 3],
                })
                .collect(),
            citation: Some(format!("出典: 令和6年度 厚生労働行政推進調査事業 {long}")),
        },
        act_now: ActNowSummary {
            intelligence_loaded: true,
            devices_with_open_findings: 123,
            top: (0..MAX_ACT_NOW)
                .map(|i| ActNowDevice {
                    management_number: format!("ICU-{i:05}-LONG-NUMBER"),
                    device: format!("コンテック CMS8000 2.0.8 {long}"),
                    department: "集中治療室・救命救急センター".into(),
                    score: 98.5 - i as f64,
                    reasons: vec!["KEV 掲載".into(), "リモート回線".into(), long.clone()],
                })
                .collect(),
        },
        unmet_inspection: (0..12)
            .map(|i| UnmetItem {
                reference: format!("{}-({})", i / 3 + 1, i % 3 + 1),
                title: long.clone(),
                answered_no: i % 2 == 0,
            })
            .collect(),
        eos: EosSummary {
            devices_total: 10_000,
            with_eos_date: 6_000,
            past_eos: 1_234,
            list: (0..MAX_EOS)
                .map(|i| EosDevice {
                    management_number: format!("RAD-{i:04}"),
                    device: format!("GE Discovery NM750b {long}"),
                    department: "放射線科".into(),
                    eos_date: "2019-03-31".into(),
                })
                .collect(),
        },
        remote_lines: RemoteLineSummary {
            lines: 42,
            always_on: 7,
            review_due: 12,
            no_owner: 3,
            flagged: (0..MAX_FLAGGED_LINES + 3)
                .map(|i| FlaggedLine {
                    vendor: format!("ベンダー {i} {long}"),
                    method: "VPN（拠点間）".into(),
                    devices: 10 + i as u64,
                    flags: vec!["常時接続".into(), "点検期限切れ".into()],
                    always_on: true,
                })
                .collect(),
        },
    }
}

/// A hospital with nothing yet: no name, no answers, no feeds, no dates, no lines.
pub fn empty() -> ReportData {
    ReportData {
        lang: Lang::Ja,
        hospital_name: None,
        fiscal_year: 2025,
        generated_on: "2026-04-01".into(),
        checklist: None,
        peers: PeerSummary::default(),
        act_now: ActNowSummary::default(),
        unmet_inspection: Vec::new(),
        eos: EosSummary::default(),
        remote_lines: RemoteLineSummary::default(),
    }
}
