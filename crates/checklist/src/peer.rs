//! Where the hospital stands against others.
//!
//! Today: per-item figures from the seed's FY2024 hospital survey (210 hospitals, two groups), cited.
//! Later: anonymised aggregates from a hub, by hospital type and bed band. [`PeerAggregates`] is the
//! interface for both; [`SeedPeers`] implements it over the seed (which has no per-cohort
//! distribution, so it gives no percentile) and [`HubAggregates`] over hub-supplied cohort aggregates.

use crate::catalogue::{Catalogue, FiscalYear};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A hub reports no cohort with fewer hospitals than this (so no single hospital can be singled out).
pub const MIN_COHORT_HOSPITALS: u32 = 5;

/// The two groups the seed's hospital survey reports separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeerGroup {
    /// 四病協関連 (hospitals recommended by the four hospital associations), 170 answers.
    Shibyokyo,
    /// 国立大学病院等, 40 answers.
    NationalUniversity,
}

impl PeerGroup {
    pub fn respondents(self) -> u32 {
        match self {
            PeerGroup::Shibyokyo => 170,
            PeerGroup::NationalUniversity => 40,
        }
    }
    pub fn ja(self) -> &'static str {
        match self {
            PeerGroup::Shibyokyo => "四病協関連の病院",
            PeerGroup::NationalUniversity => "国立大学病院等",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            PeerGroup::Shibyokyo => "hospitals of the four hospital associations (四病協)",
            PeerGroup::NationalUniversity => "national university hospitals",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Qualifier {
    Exact,
    /// 以上
    AtLeast,
    /// 程度
    About,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Polarity {
    /// The percentage is the share of hospitals that do what the item asks.
    Meets,
    /// The percentage is the share that do not.
    NotMeets,
}

/// One figure from the seed's hospital survey, tied to checklist items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerFigure {
    pub id: String,
    pub group: PeerGroup,
    pub percent: f64,
    pub qualifier: Qualifier,
    pub polarity: Polarity,
    /// The survey question(s) of the seed's 別紙7.
    pub question: String,
    pub ja: String,
    pub en: String,
    /// The seed's own sentence (whitespace-insensitive), for the citation and the test.
    pub seed_quote: String,
}

impl PeerFigure {
    /// The share that meets the item, whatever way the seed phrased it.
    pub fn meets_percent(&self) -> f64 {
        match self.polarity {
            Polarity::Meets => self.percent,
            Polarity::NotMeets => 100.0 - self.percent,
        }
    }
    /// Where the figure comes from, for display.
    pub fn citation_ja(&self) -> String {
        format!(
            "出典: 令和6年度 厚生労働行政推進調査事業「医療機関における医療機器のサイバーセキュリティの確保等のために必要な取組の研究」医療機関アンケート（{}、n={}、設問 {}）",
            self.group.ja(),
            self.group.respondents(),
            self.question
        )
    }
    pub fn citation_en(&self) -> String {
        format!(
            "Source: MHLW-funded study 24CA2013 (FY2024), hospital survey ({}, n={}, question {})",
            self.group.en(),
            self.group.respondents(),
            self.question
        )
    }
}

/// The most frequent self-assessed score in the seed's survey (25-0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelfScoreFigure {
    pub group: PeerGroup,
    pub mode_points: u32,
    pub mode_share_percent: f64,
    pub ja: String,
    pub en: String,
    pub seed_quote: String,
}

/// 特定機能病院 / 一般病院 / 精神科病院 (the seed survey's 1-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HospitalType {
    SpecialFunctioning,
    General,
    Psychiatric,
}

impl HospitalType {
    pub const ALL: [HospitalType; 3] = [
        HospitalType::SpecialFunctioning,
        HospitalType::General,
        HospitalType::Psychiatric,
    ];
    pub fn code(self) -> &'static str {
        match self {
            HospitalType::SpecialFunctioning => "special_functioning",
            HospitalType::General => "general",
            HospitalType::Psychiatric => "psychiatric",
        }
    }
    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.code() == s)
    }
    pub fn ja(self) -> &'static str {
        match self {
            HospitalType::SpecialFunctioning => "特定機能病院",
            HospitalType::General => "一般病院",
            HospitalType::Psychiatric => "精神科病院",
        }
    }
}

/// Bed bands for cohorts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BedBand {
    Under100,
    From100To199,
    From200To399,
    From400To599,
    From600,
}

impl BedBand {
    pub fn of(beds: u32) -> Self {
        match beds {
            0..=99 => BedBand::Under100,
            100..=199 => BedBand::From100To199,
            200..=399 => BedBand::From200To399,
            400..=599 => BedBand::From400To599,
            _ => BedBand::From600,
        }
    }
    pub fn ja(self) -> &'static str {
        match self {
            BedBand::Under100 => "100床未満",
            BedBand::From100To199 => "100〜199床",
            BedBand::From200To399 => "200〜399床",
            BedBand::From400To599 => "400〜599床",
            BedBand::From600 => "600床以上",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Cohort {
    pub hospital_type: HospitalType,
    pub bed_band: BedBand,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PeerSource {
    /// The seed's FY2024 survey (cited per figure).
    Seed,
    /// Anonymised aggregates from a hub.
    Hub,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Percentile {
    /// Share of hospitals in the cohort scoring at or below this score, 0–100.
    pub percentile: f64,
    pub cohort_hospitals: u32,
    pub source: PeerSource,
}

/// Anonymised aggregate of one cohort in one fiscal year, as a hub supplies it. No hospital's own
/// answers, only the score distribution (as percentiles) and per-item share of はい.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CohortAggregate {
    pub cohort: Cohort,
    pub fiscal_year: FiscalYear,
    pub hospitals: u32,
    /// Score at the 0th, 10th, …, 100th percentile (11 values, non-decreasing).
    pub score_deciles: Vec<f64>,
    /// Item id → percentage of the cohort's hospitals answering はい.
    pub item_yes_percent: BTreeMap<String, f64>,
}

/// The interface for peer comparison, whatever supplies the figures.
pub trait PeerAggregates {
    fn source(&self) -> PeerSource;
    /// Figures for one item (seed figures today).
    fn item_figures(&self, item_id: &str) -> Vec<PeerFigure>;
    /// The hospital's percentile among its cohort, if the source has that cohort.
    fn score_percentile(
        &self,
        cohort: Cohort,
        fiscal_year: FiscalYear,
        score: f64,
    ) -> Option<Percentile>;
    /// Share of the cohort answering はい to an item, if known.
    fn item_yes_percent(
        &self,
        cohort: Cohort,
        fiscal_year: FiscalYear,
        item_id: &str,
    ) -> Option<f64>;
}

/// Peer figures from the seed. The seed has no distribution by hospital type × bed band, so it gives
/// per-item figures and no percentile.
pub struct SeedPeers<'a> {
    pub catalogue: &'a Catalogue,
}

impl PeerAggregates for SeedPeers<'_> {
    fn source(&self) -> PeerSource {
        PeerSource::Seed
    }
    fn item_figures(&self, item_id: &str) -> Vec<PeerFigure> {
        let Some(item) = self.catalogue.item(item_id) else {
            return Vec::new();
        };
        item.peers
            .iter()
            .filter_map(|p| self.catalogue.peer(p).cloned())
            .collect()
    }
    fn score_percentile(&self, _: Cohort, _: FiscalYear, _: f64) -> Option<Percentile> {
        None
    }
    fn item_yes_percent(&self, _: Cohort, _: FiscalYear, _: &str) -> Option<f64> {
        None
    }
}

/// Hub-supplied cohort aggregates; item figures fall back to the seed's.
pub struct HubAggregates<'a> {
    pub seed: SeedPeers<'a>,
    pub cohorts: Vec<CohortAggregate>,
}

impl HubAggregates<'_> {
    fn cohort(&self, cohort: Cohort, fy: FiscalYear) -> Option<&CohortAggregate> {
        self.cohorts.iter().find(|c| {
            c.cohort == cohort
                && c.fiscal_year == fy
                && c.hospitals >= MIN_COHORT_HOSPITALS
                && c.score_deciles.len() == 11
                && c.score_deciles.windows(2).all(|w| w[0] <= w[1])
        })
    }
}

impl PeerAggregates for HubAggregates<'_> {
    fn source(&self) -> PeerSource {
        PeerSource::Hub
    }
    fn item_figures(&self, item_id: &str) -> Vec<PeerFigure> {
        self.seed.item_figures(item_id)
    }
    fn score_percentile(&self, cohort: Cohort, fy: FiscalYear, score: f64) -> Option<Percentile> {
        let c = self.cohort(cohort, fy)?;
        let d = &c.score_deciles;
        let pct = if score < d[0] {
            0.0
        } else if score >= d[10] {
            100.0
        } else {
            // Highest decile at or below the score, interpolated towards the next.
            let i = d.iter().rposition(|&x| x <= score).unwrap_or(0).min(9);
            let (lo, hi) = (d[i], d[i + 1]);
            let frac = if hi > lo {
                (score - lo) / (hi - lo)
            } else {
                1.0
            };
            10.0 * (i as f64 + frac)
        };
        Some(Percentile {
            percentile: (pct * 10.0).round() / 10.0,
            cohort_hospitals: c.hospitals,
            source: PeerSource::Hub,
        })
    }
    fn item_yes_percent(&self, cohort: Cohort, fy: FiscalYear, item_id: &str) -> Option<f64> {
        self.cohort(cohort, fy)?
            .item_yes_percent
            .get(item_id)
            .copied()
    }
}
