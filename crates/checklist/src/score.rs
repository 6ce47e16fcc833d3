//! Scores per section and overall, and the history of answers across fiscal years.
//!
//! Arithmetic: an applicable item is worth `Weight::points()` (3/2/1). はい earns it, いいえ and
//! unanswered earn nothing, 対象外 is excluded from both earned and possible.
//! percent = 100 × earned / possible, rounded to one decimal; None when nothing is applicable.

use crate::answers::{Answer, AnswerValue, Warning};
use crate::catalogue::{Catalogue, ChecklistVersion, FiscalYear, VersionItem};
use crate::error::ChecklistError;
use crate::prefill::Proposal;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerSource {
    /// Saved by a person.
    Saved,
    /// Proposed by mdsec from what it knows, not yet confirmed.
    Proposed,
    /// No answer yet.
    None,
}

/// One item of a version with its saved answer, mdsec's proposal and the answer that counts.
#[derive(Debug, Clone)]
pub struct ItemStatus<'a> {
    pub item: VersionItem<'a>,
    pub saved: Option<Answer>,
    pub proposal: Option<Proposal>,
    /// The saved answer, else the proposed one, else None.
    pub effective: Option<AnswerValue>,
    pub source: AnswerSource,
}

/// Pair every item of `version` with its saved answer and proposal. A saved answer always wins over
/// a proposal. Answers for other fiscal years or items not in the version are ignored here (the store
/// refuses them on the way in; see [`ChecklistVersion::check`]).
pub fn evaluate<'a>(
    version: &ChecklistVersion<'a>,
    saved: &[Answer],
    proposals: &[Proposal],
) -> Vec<ItemStatus<'a>> {
    version
        .items
        .iter()
        .map(|v| {
            let saved = saved
                .iter()
                .find(|a| a.item_id == v.item.id && a.fiscal_year == version.fiscal_year)
                .cloned();
            let proposal = proposals.iter().find(|p| p.item_id == v.item.id).cloned();
            let (effective, source) = match (&saved, &proposal) {
                (Some(a), _) => (Some(a.value), AnswerSource::Saved),
                (None, Some(p)) if p.answer.is_some() => (p.answer, AnswerSource::Proposed),
                _ => (None, AnswerSource::None),
            };
            ItemStatus {
                item: *v,
                saved,
                proposal,
                effective,
                source,
            }
        })
        .collect()
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Score {
    pub earned: u32,
    pub possible: u32,
    pub yes: u32,
    pub no: u32,
    pub not_applicable: u32,
    pub unanswered: u32,
}

impl Score {
    fn add(&mut self, weight: u32, answer: Option<AnswerValue>) {
        match answer {
            Some(AnswerValue::Yes) => {
                self.yes += 1;
                self.earned += weight;
                self.possible += weight;
            }
            Some(AnswerValue::No) => {
                self.no += 1;
                self.possible += weight;
            }
            Some(AnswerValue::NotApplicable) => self.not_applicable += 1,
            None => {
                self.unanswered += 1;
                self.possible += weight;
            }
        }
    }
    /// 100 × earned / possible, one decimal; None when nothing is applicable.
    pub fn percent(&self) -> Option<f64> {
        (self.possible > 0)
            .then(|| (1000.0 * self.earned as f64 / self.possible as f64).round() / 10.0)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreCard {
    pub fiscal_year: FiscalYear,
    pub overall: Score,
    /// Per section id, in section order.
    pub sections: Vec<(String, Score)>,
}

impl ScoreCard {
    pub fn of(version: &ChecklistVersion<'_>, statuses: &[ItemStatus<'_>]) -> ScoreCard {
        let mut overall = Score::default();
        let mut sections: Vec<(String, Score)> = version
            .sections()
            .iter()
            .map(|s| (s.id.clone(), Score::default()))
            .collect();
        for st in statuses {
            let w = st.item.item.weight.points();
            overall.add(w, st.effective);
            if let Some((_, s)) = sections
                .iter_mut()
                .find(|(id, _)| *id == st.item.item.section)
            {
                s.add(w, st.effective);
            }
        }
        ScoreCard {
            fiscal_year: version.fiscal_year,
            overall,
            sections,
        }
    }
    pub fn section(&self, id: &str) -> Option<&Score> {
        self.sections.iter().find(|(s, _)| s == id).map(|(_, s)| s)
    }
}

/// A hospital's answers across fiscal years. Each answer is checked against its own fiscal year's
/// checklist on the way in, so history survives changes to the checklist.
#[derive(Debug, Clone, Default)]
pub struct History {
    by_year: BTreeMap<FiscalYear, BTreeMap<String, Answer>>,
}

impl History {
    pub fn new() -> Self {
        Self::default()
    }

    /// Record (or replace) an answer. Refused if its item is not in that fiscal year's checklist.
    pub fn record(
        &mut self,
        catalogue: &Catalogue,
        include_hhs: bool,
        answer: Answer,
    ) -> Result<Vec<Warning>, ChecklistError> {
        let version = catalogue.version(answer.fiscal_year, include_hhs)?;
        let warnings = version.check(&answer)?;
        self.by_year
            .entry(answer.fiscal_year)
            .or_default()
            .insert(answer.item_id.clone(), answer);
        Ok(warnings)
    }

    pub fn answers(&self, fy: FiscalYear) -> Vec<Answer> {
        self.by_year
            .get(&fy)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    pub fn fiscal_years(&self) -> Vec<FiscalYear> {
        self.by_year.keys().copied().collect()
    }

    /// Score per fiscal year with saved answers only (the trend).
    pub fn trend(
        &self,
        catalogue: &Catalogue,
        include_hhs: bool,
    ) -> Result<Vec<ScoreCard>, ChecklistError> {
        self.by_year
            .keys()
            .map(|&fy| {
                let v = catalogue.version(fy, include_hhs)?;
                let st = evaluate(&v, &self.answers(fy), &[]);
                Ok(ScoreCard::of(&v, &st))
            })
            .collect()
    }

    /// Last year's answers as proposals for a new fiscal year: items present in both years carry
    /// over; when the wording changed between the editions the proposal leaves the answer open and
    /// says so.
    pub fn carry_forward(
        &self,
        catalogue: &Catalogue,
        from: FiscalYear,
        to: FiscalYear,
        include_hhs: bool,
    ) -> Result<Vec<Proposal>, ChecklistError> {
        let old = catalogue.version(from, include_hhs)?;
        let new = catalogue.version(to, include_hhs)?;
        let mut out = Vec::new();
        for a in self.answers(from) {
            let (Some(o), Some(n)) = (old.get(&a.item_id), new.get(&a.item_id)) else {
                continue;
            };
            let changed = o.ja() != n.ja();
            out.push(Proposal {
                item_id: a.item_id.clone(),
                answer: if changed { None } else { Some(a.value) },
                evidence_ja: if changed {
                    format!(
                        "{from} 年度は「{}」。今年度は項目の文言が変わったため、改めて確認してください。",
                        a.value.ja()
                    )
                } else {
                    format!("{from} 年度の回答「{}」を引き継いでいます。", a.value.ja())
                },
                evidence_en: if changed {
                    format!("FY{from}: {}. The wording changed this year; please review.", a.value.en())
                } else {
                    format!("Carried over from FY{from}: {}.", a.value.en())
                },
                link: n.item.link.clone(),
            });
        }
        Ok(out)
    }
}
