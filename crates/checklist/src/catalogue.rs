//! The hospital checklist catalogue: sections, items, per-fiscal-year editions, peer figures.

use crate::error::ChecklistError;
use crate::peer::{PeerFigure, SelfScoreFigure};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashSet};
use std::sync::OnceLock;

/// A Japanese fiscal year (年度), named by the calendar year it starts in: FY2025 = 2025-04-01 to
/// 2026-03-31 (令和7年度).
pub type FiscalYear = u16;

/// The fiscal year an ISO date (YYYY-MM-DD) falls in, or None if it is not such a date.
pub fn fiscal_year_of(date: &str) -> Option<FiscalYear> {
    let (y, m, _) = crate::answers::parse_date(date)?;
    Some(if m >= 4 { y } else { y - 1 })
}

const HOSPITAL_FILE: &str = "data/hospital_checklist.toml";
const HOSPITAL_TOML: &str = include_str!("../data/hospital_checklist.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// The MHLW hospital checklist (inspection items).
    Mhlw,
    /// Medical-device items of the MHLW 2023 handbook (手引書).
    Tebiki,
    /// HHS Cybersecurity Performance Goals: optional international layer.
    Hhs,
}

/// How much an item counts: inspection item (立入検査) > guidance > enhanced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Weight {
    Inspection,
    Guidance,
    Enhanced,
}

impl Weight {
    pub fn points(self) -> u32 {
        match self {
            Weight::Inspection => 3,
            Weight::Guidance => 2,
            Weight::Enhanced => 1,
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            Weight::Inspection => "inspection",
            Weight::Guidance => "guidance",
            Weight::Enhanced => "enhanced",
        }
    }
    pub fn ja(self) -> &'static str {
        match self {
            Weight::Inspection => "立入検査項目",
            Weight::Guidance => "手引書・推奨",
            Weight::Enhanced => "発展",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            Weight::Inspection => "inspection item",
            Weight::Guidance => "guidance",
            Weight::Enhanced => "enhanced",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub id: String,
    pub order: u32,
    pub ja: String,
    pub en: String,
}

/// How an item appears in one fiscal year's checklist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Edition {
    pub fiscal_year: FiscalYear,
    /// The official item number (e.g. "2-④") or, for handbook and HHS items, the source's name.
    #[serde(rename = "ref")]
    pub reference: String,
    /// False where the official number of that year's sheet is not confirmed in our sources.
    #[serde(default = "yes")]
    pub ref_confirmed: bool,
    /// Wording of this year, when it differs from the item's.
    pub ja: Option<String>,
    pub en: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// Stable id across fiscal years (answers are keyed by fiscal year and this id).
    pub id: String,
    pub layer: Layer,
    pub section: String,
    pub weight: Weight,
    /// 1 = paperwork or settings, 2 = a project of weeks, 3 = budget or procurement.
    pub effort: u8,
    /// The mdsec page that helps with this item.
    pub link: Option<String>,
    /// Which [`crate::Facts`] rule can pre-fill it.
    pub prefill: Option<String>,
    #[serde(default)]
    pub peers: Vec<String>,
    /// A target date may run to the end of this fiscal year (e.g. two-factor authentication: FY2027).
    pub deadline_fiscal_year: Option<FiscalYear>,
    pub ja: String,
    pub en: String,
    pub how_ja: String,
    pub how_en: String,
    pub editions: Vec<Edition>,
}

impl Item {
    pub fn edition(&self, fy: FiscalYear) -> Option<&Edition> {
        self.editions.iter().find(|e| e.fiscal_year == fy)
    }
    pub fn fiscal_years(&self) -> Vec<FiscalYear> {
        self.editions.iter().map(|e| e.fiscal_year).collect()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalogue {
    section: Vec<Section>,
    item: Vec<Item>,
    peer: Vec<PeerFigure>,
    self_score: Vec<SelfScoreFigure>,
}

/// All sections, items and peer figures of every fiscal year.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalogue {
    pub sections: Vec<Section>,
    pub items: Vec<Item>,
    pub peers: Vec<PeerFigure>,
    pub self_scores: Vec<SelfScoreFigure>,
}

impl Catalogue {
    /// The catalogue compiled into mdsec.
    pub fn builtin() -> &'static Catalogue {
        static CAT: OnceLock<Catalogue> = OnceLock::new();
        CAT.get_or_init(|| {
            // The file is part of the source tree and checked by the crate's tests.
            Catalogue::parse(HOSPITAL_TOML).expect("built-in hospital checklist is valid")
        })
    }

    /// Parse and check a catalogue (unique ids, known sections and peers, editions per year).
    pub fn parse(text: &str) -> Result<Catalogue, ChecklistError> {
        let err = |reason: String| ChecklistError::Data {
            file: HOSPITAL_FILE,
            reason,
        };
        let raw: RawCatalogue = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        let sections: HashSet<&str> = raw.section.iter().map(|s| s.id.as_str()).collect();
        let peers: HashSet<&str> = raw.peer.iter().map(|p| p.id.as_str()).collect();
        let mut ids = HashSet::new();
        for it in &raw.item {
            if !ids.insert(it.id.as_str()) {
                return Err(err(format!("item id {} appears twice", it.id)));
            }
            if !sections.contains(it.section.as_str()) {
                return Err(err(format!(
                    "item {}: unknown section {}",
                    it.id, it.section
                )));
            }
            if it.editions.is_empty() {
                return Err(err(format!("item {} has no edition", it.id)));
            }
            let years: BTreeSet<_> = it.editions.iter().map(|e| e.fiscal_year).collect();
            if years.len() != it.editions.len() {
                return Err(err(format!(
                    "item {}: two editions for one fiscal year",
                    it.id
                )));
            }
            if !(1..=3).contains(&it.effort) {
                return Err(err(format!("item {}: effort must be 1–3", it.id)));
            }
            for p in &it.peers {
                if !peers.contains(p.as_str()) {
                    return Err(err(format!("item {}: unknown peer figure {p}", it.id)));
                }
            }
            if let Some(p) = &it.prefill {
                if !crate::prefill::RULES.contains(&p.as_str()) {
                    return Err(err(format!("item {}: unknown prefill rule {p}", it.id)));
                }
            }
        }
        let mut pids = HashSet::new();
        for p in &raw.peer {
            if !pids.insert(p.id.as_str()) {
                return Err(err(format!("peer id {} appears twice", p.id)));
            }
            if !(0.0..=100.0).contains(&p.percent) {
                return Err(err(format!("peer {}: percent out of range", p.id)));
            }
        }
        let mut sections = raw.section;
        sections.sort_by_key(|s| s.order);
        Ok(Catalogue {
            sections,
            items: raw.item,
            peers: raw.peer,
            self_scores: raw.self_score,
        })
    }

    /// Fiscal years that have a checklist, ascending.
    pub fn fiscal_years(&self) -> Vec<FiscalYear> {
        let set: BTreeSet<FiscalYear> = self
            .items
            .iter()
            .filter(|i| i.layer == Layer::Mhlw)
            .flat_map(|i| i.fiscal_years())
            .collect();
        set.into_iter().collect()
    }

    /// The latest fiscal year with a checklist.
    pub fn latest_fiscal_year(&self) -> FiscalYear {
        self.fiscal_years().last().copied().unwrap_or(2024)
    }

    pub fn item(&self, id: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.id == id)
    }

    pub fn section(&self, id: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.id == id)
    }

    pub fn peer(&self, id: &str) -> Option<&PeerFigure> {
        self.peers.iter().find(|p| p.id == id)
    }

    /// The checklist of one fiscal year. `include_hhs` adds the optional HHS layer.
    pub fn version(
        &self,
        fiscal_year: FiscalYear,
        include_hhs: bool,
    ) -> Result<ChecklistVersion<'_>, ChecklistError> {
        let known = self.fiscal_years();
        if !known.contains(&fiscal_year) {
            return Err(ChecklistError::UnknownFiscalYear { fiscal_year, known });
        }
        let mut items: Vec<VersionItem> = self
            .items
            .iter()
            .filter(|i| include_hhs || i.layer != Layer::Hhs)
            .filter_map(|i| {
                i.edition(fiscal_year).map(|e| VersionItem {
                    item: i,
                    edition: e,
                })
            })
            .collect();
        let order = |s: &str| self.section(s).map(|s| s.order).unwrap_or(u32::MAX);
        // Stable: within a section, the file's order.
        items.sort_by_key(|v| order(&v.item.section));
        Ok(ChecklistVersion {
            catalogue: self,
            fiscal_year,
            include_hhs,
            items,
        })
    }
}

/// One item as it stands in one fiscal year's checklist.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VersionItem<'a> {
    pub item: &'a Item,
    pub edition: &'a Edition,
}

impl<'a> VersionItem<'a> {
    pub fn id(&self) -> &'a str {
        &self.item.id
    }
    pub fn reference(&self) -> &'a str {
        &self.edition.reference
    }
    pub fn ja(&self) -> &'a str {
        self.edition.ja.as_deref().unwrap_or(&self.item.ja)
    }
    pub fn en(&self) -> &'a str {
        self.edition.en.as_deref().unwrap_or(&self.item.en)
    }
}

/// The checklist of one fiscal year.
#[derive(Debug, Clone)]
pub struct ChecklistVersion<'a> {
    pub catalogue: &'a Catalogue,
    pub fiscal_year: FiscalYear,
    pub include_hhs: bool,
    pub items: Vec<VersionItem<'a>>,
}

impl<'a> ChecklistVersion<'a> {
    pub fn get(&self, item_id: &str) -> Option<&VersionItem<'a>> {
        self.items.iter().find(|v| v.item.id == item_id)
    }

    /// The item of this version an answer may be given to, or why not.
    pub fn require(&self, item_id: &str) -> Result<&VersionItem<'a>, ChecklistError> {
        if let Some(v) = self.get(item_id) {
            return Ok(v);
        }
        match self.catalogue.item(item_id) {
            None => Err(ChecklistError::UnknownItem {
                item_id: item_id.to_string(),
            }),
            Some(i) if i.edition(self.fiscal_year).is_some() => Err(ChecklistError::LayerOff {
                item_id: item_id.to_string(),
            }),
            Some(i) => Err(ChecklistError::ItemNotInFiscalYear {
                item_id: item_id.to_string(),
                fiscal_year: self.fiscal_year,
                available: i.fiscal_years(),
            }),
        }
    }

    /// Sections that have items in this version, in order.
    pub fn sections(&self) -> Vec<&'a Section> {
        self.catalogue
            .sections
            .iter()
            .filter(|s| self.items.iter().any(|v| v.item.section == s.id))
            .collect()
    }
}
