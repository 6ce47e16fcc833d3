//! Next actions: the unmet items, weightiest and cheapest first, each with how to do it.

use crate::answers::AnswerValue;
use crate::catalogue::{FiscalYear, Weight};
use crate::score::ItemStatus;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NextAction {
    pub item_id: String,
    pub fiscal_year: FiscalYear,
    pub reference: String,
    pub section: String,
    pub weight: Weight,
    pub effort: u8,
    pub title_ja: String,
    pub title_en: String,
    pub how_ja: String,
    pub how_en: String,
    /// The mdsec page that helps.
    pub link: Option<String>,
    /// いいえ (answered no) or None (not answered yet).
    pub answer: Option<AnswerValue>,
    pub target_date: Option<String>,
    pub owner: Option<String>,
}

/// Items answered いいえ or not answered (対象外 and はい are done), ordered by weight (inspection
/// items first), then effort (quick wins first), then the checklist's own order.
pub fn next_actions(statuses: &[ItemStatus<'_>], fiscal_year: FiscalYear) -> Vec<NextAction> {
    let mut out: Vec<(usize, NextAction)> = statuses
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s.effective, None | Some(AnswerValue::No)))
        .map(|(i, s)| {
            let it = s.item.item;
            (
                i,
                NextAction {
                    item_id: it.id.clone(),
                    fiscal_year,
                    reference: s.item.reference().to_string(),
                    section: it.section.clone(),
                    weight: it.weight,
                    effort: it.effort,
                    title_ja: s.item.ja().to_string(),
                    title_en: s.item.en().to_string(),
                    how_ja: it.how_ja.clone(),
                    how_en: it.how_en.clone(),
                    link: it.link.clone(),
                    answer: s.effective,
                    target_date: s.saved.as_ref().and_then(|a| a.target_date.clone()),
                    owner: s.saved.as_ref().and_then(|a| a.owner.clone()),
                },
            )
        })
        .collect();
    out.sort_by_key(|(i, a)| (a.weight, a.effort, *i));
    out.into_iter().map(|(_, a)| a).collect()
}
