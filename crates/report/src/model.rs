//! What the report shows, already gathered and already in the reader's language.
//!
//! The caller (the web crate's gatherer) turns store records into this plain data; the report crate
//! never sees a store, a checklist catalogue or a locale file. "Unknown" stays visible: every part
//! that may be missing is an `Option` or an empty list, and the renderers say so instead of drawing a
//! zero.

use serde::Serialize;

/// Labels for the fixed parts of the page (`report.*` keys of the web crate's locale files).
pub trait Text {
    fn t<'a>(&'a self, key: &'a str) -> &'a str;
}

/// Language of the document (`<html lang>`, PDF metadata, number and date wording).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    #[default]
    Ja,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportData {
    pub lang: Lang,
    /// None when the hospital profile has no name yet (the page says so).
    pub hospital_name: Option<String>,
    /// 年度, e.g. 2025 for 令和7年度.
    pub fiscal_year: u16,
    /// YYYY-MM-DD.
    pub generated_on: String,
    /// None until a person has saved at least one answer for the year (mdsec's proposals alone give
    /// no score).
    pub checklist: Option<ChecklistSummary>,
    pub peers: PeerSummary,
    pub act_now: ActNowSummary,
    /// Inspection items (立入検査の確認項目) answered いいえ or not answered, in next-action order.
    pub unmet_inspection: Vec<UnmetItem>,
    pub eos: EosSummary,
    pub remote_lines: RemoteLineSummary,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChecklistSummary {
    /// 0–100, None when nothing is applicable.
    pub percent: Option<f64>,
    pub earned: u32,
    pub possible: u32,
    /// Items in this year's checklist.
    pub items: u32,
    /// Items with an answer (saved or proposed).
    pub answered: u32,
    /// Of those, answers mdsec proposed from the ledger that nobody has confirmed yet.
    pub proposed: u32,
    pub sections: Vec<SectionScore>,
    /// Score per fiscal year from confirmed answers, oldest first.
    pub trend: Vec<TrendPoint>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SectionScore {
    pub label: String,
    pub percent: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TrendPoint {
    pub fiscal_year: u16,
    pub percent: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct PeerSummary {
    /// Rank among hospitals of the same type and bed band, once a hub supplies aggregates.
    pub percentile: Option<PercentileFigure>,
    /// Per-item figures (today from the seed's FY2024 survey).
    pub figures: Vec<PeerLine>,
    /// Where the figures come from; shown under them.
    pub citation: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PercentileFigure {
    /// 0–100: share of the cohort scoring at or below this hospital.
    pub percentile: f64,
    pub cohort: String,
    pub cohort_hospitals: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeerLine {
    /// What is measured, short ("devices on the network diagram").
    pub label: String,
    /// Share of surveyed hospitals that do it, 0–100.
    pub peers_percent: f64,
    /// Does this hospital do it? None: not answered.
    pub hospital: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ActNowSummary {
    /// Has any advisory been imported and matched? If not, "no findings" means "not checked yet".
    pub intelligence_loaded: bool,
    /// Devices with open findings.
    pub devices_with_open_findings: u64,
    /// The highest priorities, at most five.
    pub top: Vec<ActNowDevice>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActNowDevice {
    pub management_number: String,
    /// Manufacturer, model, version.
    pub device: String,
    pub department: String,
    pub score: f64,
    /// The largest contributions to the score, already labelled.
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnmetItem {
    /// Official item number, e.g. "1-(1)".
    pub reference: String,
    pub title: String,
    /// True when answered いいえ, false when not answered yet.
    pub answered_no: bool,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct EosSummary {
    pub devices_total: u64,
    /// Devices whose end-of-support date is known.
    pub with_eos_date: u64,
    pub past_eos: u64,
    /// The longest past support first, at most a handful.
    pub list: Vec<EosDevice>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EosDevice {
    pub management_number: String,
    pub device: String,
    pub department: String,
    pub eos_date: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct RemoteLineSummary {
    /// Lines in service (retired ones left out).
    pub lines: u64,
    pub always_on: u64,
    /// Never reviewed or review overdue.
    pub review_due: u64,
    pub no_owner: u64,
    /// Always-on lines first, then others with warnings; at most a handful.
    pub flagged: Vec<FlaggedLine>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlaggedLine {
    pub vendor: String,
    pub method: String,
    pub devices: u64,
    /// Labelled warnings, e.g. "常時接続".
    pub flags: Vec<String>,
    pub always_on: bool,
}

/// How many rows each list shows on the one page; the rest is counted ("ほか N 件").
pub const MAX_ACT_NOW: usize = 5;
pub const MAX_UNMET: usize = 7;
pub const MAX_EOS: usize = 5;
pub const MAX_FLAGGED_LINES: usize = 4;
pub const MAX_PEER_LINES: usize = 6;
