//! The manufacturer self-assessment: the FY2024 survey's 78 questions, a maturity score per area, and
//! for each question how the 441 responding companies answered, by licence class.

use crate::error::ChecklistError;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::sync::OnceLock;

const SURVEY_FILE: &str = "data/manufacturer_survey.toml";
const SURVEY_TOML: &str = include_str!("../data/manufacturer_survey.toml");
/// Longest free-text answer, in characters.
pub const MAX_TEXT_ANSWER_CHARS: usize = 4_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    /// Company profile; not scored.
    Profile,
    /// 体制
    Governance,
    /// SBOM
    Sbom,
    /// 脆弱性対応
    Vulnerability,
    /// 情報提供
    Disclosure,
    /// EOL/EOS
    Eol,
    /// 連携
    Cooperation,
}

impl Area {
    /// The scored areas, in display order.
    pub const SCORED: [Area; 6] = [
        Area::Governance,
        Area::Sbom,
        Area::Vulnerability,
        Area::Disclosure,
        Area::Eol,
        Area::Cooperation,
    ];
    pub fn ja(self) -> &'static str {
        match self {
            Area::Profile => "会社概要",
            Area::Governance => "体制",
            Area::Sbom => "SBOM",
            Area::Vulnerability => "脆弱性対応",
            Area::Disclosure => "情報提供",
            Area::Eol => "EOL/EOS",
            Area::Cooperation => "連携",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            Area::Profile => "Profile",
            Area::Governance => "Organisation",
            Area::Sbom => "SBOM",
            Area::Vulnerability => "Vulnerability handling",
            Area::Disclosure => "Information to users",
            Area::Eol => "EOL/EOS",
            Area::Cooperation => "Cooperation",
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            Area::Profile => "profile",
            Area::Governance => "governance",
            Area::Sbom => "sbom",
            Area::Vulnerability => "vulnerability",
            Area::Disclosure => "disclosure",
            Area::Eol => "eol",
            Area::Cooperation => "cooperation",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    Single,
    Multi,
    Text,
    /// Counts (設問7–10: products on sale / supported).
    Numbers,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurveyOption {
    pub code: String,
    pub ja: String,
    pub en: String,
    /// 2 done, 1 partly, 0 not started; None: not scored.
    pub maturity: Option<u8>,
    /// "We are a manufacturer; the MAH handles it": excluded from the score.
    #[serde(default)]
    pub not_applicable: bool,
    /// False for categories the study coded from その他; not offered as a choice.
    #[serde(default = "yes")]
    pub questionnaire: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeedLayout {
    /// Rows are licence classes (and 全体), columns are answer options.
    ClassRows,
    /// Rows are answer options, columns are licence classes (and 全体).
    OptionRows,
    /// One count per option (設問1, 3).
    Single,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedRow {
    pub label: String,
    pub option: Option<String>,
    pub counts: Vec<u32>,
}

/// A count table of 資料④, as printed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedTable {
    #[serde(rename = "ref")]
    pub reference: String,
    pub layout: SeedLayout,
    pub header: Vec<String>,
    /// ClassRows: the option code of each column ("" for a total column).
    #[serde(default)]
    pub column_options: Vec<String>,
    pub rows: Vec<SeedRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub number: u32,
    pub area: Area,
    pub kind: QuestionKind,
    pub ja: String,
    pub en: String,
    pub condition_ja: Option<String>,
    #[serde(default)]
    pub options: Vec<SurveyOption>,
    pub seed: Option<SeedTable>,
}

/// 第一種 / 第二種 / 第三種 医療機器製造販売業.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LicenceClass {
    First,
    Second,
    Third,
}

impl LicenceClass {
    pub const ALL: [LicenceClass; 3] = [
        LicenceClass::First,
        LicenceClass::Second,
        LicenceClass::Third,
    ];
    pub fn ja(self) -> &'static str {
        match self {
            LicenceClass::First => "第一種",
            LicenceClass::Second => "第二種",
            LicenceClass::Third => "第三種",
        }
    }
    /// The row/column label in the seed's tables.
    pub fn seed_label(self) -> &'static str {
        match self {
            LicenceClass::First => "第一種製販",
            LicenceClass::Second => "第二種製販",
            LicenceClass::Third => "第三種製販",
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            LicenceClass::First => "first",
            LicenceClass::Second => "second",
            LicenceClass::Third => "third",
        }
    }
    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == s)
    }
    fn index(self) -> usize {
        match self {
            LicenceClass::First => 0,
            LicenceClass::Second => 1,
            LicenceClass::Third => 2,
        }
    }
}

/// How many companies gave one answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OptionCounts {
    pub option: String,
    pub ja: String,
    /// 第一種, 第二種, 第三種 (None where the seed does not break the count down by class).
    pub by_class: Option<[u32; 3]>,
    /// Other respondents the seed lists separately (外製・選任製販, なし).
    pub others: u32,
    /// The seed's 全体 where printed, else the sum.
    pub total: u32,
}

impl OptionCounts {
    pub fn for_class(&self, class: Option<LicenceClass>) -> Option<u32> {
        match class {
            None => Some(self.total),
            Some(c) => self.by_class.map(|b| b[c.index()]),
        }
    }
}

impl Question {
    pub fn option(&self, code: &str) -> Option<&SurveyOption> {
        self.options.iter().find(|o| o.code == code)
    }

    /// The seed's answer counts per option, by licence class. Empty when the seed has no table.
    pub fn distribution(&self) -> Vec<OptionCounts> {
        let Some(t) = &self.seed else {
            return Vec::new();
        };
        let label = |code: &str| {
            self.option(code)
                .map(|o| o.ja.clone())
                .unwrap_or_else(|| code.to_string())
        };
        let class_idx = |l: &str| LicenceClass::ALL.iter().position(|c| c.seed_label() == l);
        match t.layout {
            SeedLayout::ClassRows => t
                .column_options
                .iter()
                .enumerate()
                .filter(|(_, c)| !c.is_empty())
                .map(|(col, code)| {
                    let mut by = [0u32; 3];
                    let mut others = 0;
                    let mut printed_total = None;
                    for r in &t.rows {
                        let v = r.counts.get(col).copied().unwrap_or(0);
                        match class_idx(&r.label) {
                            Some(i) => by[i] = v,
                            None if r.label == "全体" => printed_total = Some(v),
                            None => others += v,
                        }
                    }
                    OptionCounts {
                        option: code.clone(),
                        ja: label(code),
                        by_class: Some(by),
                        others,
                        total: printed_total.unwrap_or(by.iter().sum::<u32>() + others),
                    }
                })
                .collect(),
            SeedLayout::OptionRows => t
                .rows
                .iter()
                .filter_map(|r| {
                    let code = r.option.as_ref()?;
                    let mut by = [0u32; 3];
                    let mut others = 0;
                    let mut printed_total = None;
                    for (h, v) in t.header.iter().zip(&r.counts) {
                        match class_idx(h) {
                            Some(i) => by[i] = *v,
                            None if h == "全体" => printed_total = Some(*v),
                            None => others += v,
                        }
                    }
                    Some(OptionCounts {
                        option: code.clone(),
                        ja: label(code),
                        by_class: Some(by),
                        others,
                        total: printed_total.unwrap_or(by.iter().sum::<u32>() + others),
                    })
                })
                .collect(),
            SeedLayout::Single => t
                .rows
                .iter()
                .filter_map(|r| {
                    let code = r.option.as_ref()?;
                    Some(OptionCounts {
                        option: code.clone(),
                        ja: label(code),
                        by_class: None,
                        others: 0,
                        total: r.counts.first().copied().unwrap_or(0),
                    })
                })
                .collect(),
        }
    }

    /// Companies that answered a single-choice question (in a class, or all).
    pub fn respondents(&self, class: Option<LicenceClass>) -> Option<u32> {
        if self.kind != QuestionKind::Single {
            return None;
        }
        let d = self.distribution();
        if d.is_empty() {
            return None;
        }
        d.iter().map(|o| o.for_class(class)).sum()
    }

    fn max_maturity(&self) -> Option<u8> {
        self.options.iter().filter_map(|o| o.maturity).max()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSurvey {
    question: Vec<Question>,
}

/// The survey: 設問1–78.
#[derive(Debug, Clone, PartialEq)]
pub struct Survey {
    pub questions: Vec<Question>,
}

impl Survey {
    pub fn builtin() -> &'static Survey {
        static S: OnceLock<Survey> = OnceLock::new();
        S.get_or_init(|| Survey::parse(SURVEY_TOML).expect("built-in manufacturer survey is valid"))
    }

    pub fn parse(text: &str) -> Result<Survey, ChecklistError> {
        let err = |reason: String| ChecklistError::Data {
            file: SURVEY_FILE,
            reason,
        };
        let raw: RawSurvey = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        for (i, q) in raw.question.iter().enumerate() {
            if q.number as usize != i + 1 {
                return Err(err(format!("question {} is out of order", q.number)));
            }
            let mut codes = HashSet::new();
            for o in &q.options {
                if !codes.insert(o.code.as_str()) {
                    return Err(err(format!(
                        "question {}: option {} twice",
                        q.number, o.code
                    )));
                }
            }
            if let Some(t) = &q.seed {
                let width = t.header.len();
                if t.rows.iter().any(|r| r.counts.len() != width) {
                    return Err(err(format!(
                        "question {}: a row does not match the header",
                        q.number
                    )));
                }
                let refs = t
                    .column_options
                    .iter()
                    .filter(|c| !c.is_empty())
                    .chain(t.rows.iter().filter_map(|r| r.option.as_ref()));
                for c in refs {
                    if !codes.contains(c.as_str()) {
                        return Err(err(format!(
                            "question {}: seed names unknown option {c}",
                            q.number
                        )));
                    }
                }
                if t.layout == SeedLayout::ClassRows && t.column_options.len() != width {
                    return Err(err(format!(
                        "question {}: column_options do not match the header",
                        q.number
                    )));
                }
            }
        }
        if raw.question.len() != 78 {
            return Err(err(format!(
                "{} questions, expected 78",
                raw.question.len()
            )));
        }
        Ok(Survey {
            questions: raw.question,
        })
    }

    pub fn question(&self, number: u32) -> Result<&Question, ChecklistError> {
        self.questions
            .iter()
            .find(|q| q.number == number)
            .ok_or(ChecklistError::UnknownQuestion { number })
    }

    /// The average maturity of the surveyed companies per area (in a licence class, or all),
    /// computed from the seed's counts the same way as a company's own score.
    pub fn peer_maturity(&self, class: Option<LicenceClass>) -> Vec<AreaMaturity> {
        Area::SCORED
            .into_iter()
            .map(|area| {
                let mut earned = 0.0;
                let mut possible = 0.0;
                let mut questions = 0;
                for q in self
                    .questions
                    .iter()
                    .filter(|q| q.area == area && q.kind == QuestionKind::Single)
                {
                    let Some(max) = q.max_maturity() else {
                        continue;
                    };
                    let d = q.distribution();
                    let mut e = 0.0;
                    let mut n = 0.0;
                    for oc in &d {
                        let Some(opt) = q.option(&oc.option) else {
                            continue;
                        };
                        let (Some(m), false) = (opt.maturity, opt.not_applicable) else {
                            continue;
                        };
                        let c = oc.for_class(class).unwrap_or(0) as f64;
                        e += c * m as f64;
                        n += c;
                    }
                    if n > 0.0 {
                        earned += e / n;
                        possible += max as f64;
                        questions += 1;
                    }
                }
                AreaMaturity {
                    area,
                    earned,
                    possible,
                    questions,
                }
            })
            .collect()
    }
}

/// One answer of a company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum SurveyAnswer {
    Single(String),
    Multi(Vec<String>),
    Text(String),
    Numbers(Vec<u32>),
}

/// A company's self-assessment: answers by question number.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SelfAssessment {
    pub licence_class: Option<LicenceClass>,
    pub answers: BTreeMap<u32, SurveyAnswer>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AreaMaturity {
    pub area: Area,
    pub earned: f64,
    pub possible: f64,
    /// Scored questions that counted.
    pub questions: u32,
}

impl AreaMaturity {
    /// 100 × earned / possible, one decimal; None when no scored question was answered.
    pub fn percent(&self) -> Option<f64> {
        (self.possible > 0.0).then(|| (1000.0 * self.earned / self.possible).round() / 10.0)
    }
}

/// Where one answer stands among the surveyed companies.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SurveyPosition {
    /// Companies (in the class, or all) whose answer is as mature as this one or more, in percent.
    pub same_or_better_percent: f64,
    /// Companies whose answer is less mature, in percent.
    pub behind_percent: f64,
    pub respondents: u32,
}

impl SelfAssessment {
    /// Record one answer after checking it against the question.
    pub fn answer(
        &mut self,
        survey: &Survey,
        number: u32,
        a: SurveyAnswer,
    ) -> Result<(), ChecklistError> {
        let q = survey.question(number)?;
        let bad = |reason: String| ChecklistError::BadSurveyAnswer { number, reason };
        let choosable = |c: &str| q.option(c).is_some_and(|o| o.questionnaire);
        match (&a, q.kind) {
            (SurveyAnswer::Single(c), QuestionKind::Single) => {
                if !choosable(c) {
                    return Err(bad(format!("選択肢 {c} はありません / no option {c}")));
                }
            }
            (SurveyAnswer::Multi(cs), QuestionKind::Multi) => {
                let mut seen = HashSet::new();
                for c in cs {
                    if !choosable(c) || !seen.insert(c) {
                        return Err(bad(format!(
                            "選択肢 {c} が不正です / bad or repeated option {c}"
                        )));
                    }
                }
            }
            (SurveyAnswer::Text(t), QuestionKind::Text) => {
                if t.chars().count() > MAX_TEXT_ANSWER_CHARS {
                    return Err(ChecklistError::TooLong {
                        field: "answer",
                        max: MAX_TEXT_ANSWER_CHARS,
                    });
                }
            }
            (SurveyAnswer::Numbers(ns), QuestionKind::Numbers) => {
                if ns.len() != q.options.len() || ns.iter().any(|&n| n > 1_000_000) {
                    return Err(bad("件数の数が合いません / wrong number of counts".into()));
                }
            }
            _ => {
                return Err(bad(
                    "回答の形式が設問と合いません / answer kind does not fit the question".into(),
                ))
            }
        }
        if number == 1 {
            if let SurveyAnswer::Single(c) = &a {
                self.licence_class = match c.as_str() {
                    "class1" => Some(LicenceClass::First),
                    "class2" => Some(LicenceClass::Second),
                    "class3" => Some(LicenceClass::Third),
                    _ => None,
                };
            }
        }
        self.answers.insert(number, a);
        Ok(())
    }

    /// Maturity per scored area: Σ maturity of the chosen option / Σ best maturity, over answered
    /// single-choice questions with scored options; not-applicable choices are left out.
    pub fn maturity(&self, survey: &Survey) -> Vec<AreaMaturity> {
        Area::SCORED
            .into_iter()
            .map(|area| {
                let mut m = AreaMaturity {
                    area,
                    earned: 0.0,
                    possible: 0.0,
                    questions: 0,
                };
                for q in survey.questions.iter().filter(|q| q.area == area) {
                    let (Some(SurveyAnswer::Single(code)), Some(max)) =
                        (self.answers.get(&q.number), q.max_maturity())
                    else {
                        continue;
                    };
                    let Some(opt) = q.option(code) else { continue };
                    if let (Some(v), false) = (opt.maturity, opt.not_applicable) {
                        m.earned += v as f64;
                        m.possible += max as f64;
                        m.questions += 1;
                    }
                }
                m
            })
            .collect()
    }

    /// Where this company's answer to a single-choice question stands among the surveyed companies
    /// of its licence class (or all of them).
    pub fn position(&self, survey: &Survey, number: u32) -> Option<SurveyPosition> {
        let q = survey.question(number).ok()?;
        let SurveyAnswer::Single(code) = self.answers.get(&number)? else {
            return None;
        };
        let mine = q.option(code)?.maturity?;
        let mut better = 0u32;
        let mut behind = 0u32;
        for oc in q.distribution() {
            let Some(opt) = q.option(&oc.option) else {
                continue;
            };
            let (Some(m), false) = (opt.maturity, opt.not_applicable) else {
                continue;
            };
            let c = oc.for_class(self.licence_class)?;
            if m >= mine {
                better += c;
            } else {
                behind += c;
            }
        }
        let n = better + behind;
        (n > 0).then(|| SurveyPosition {
            same_or_better_percent: (1000.0 * better as f64 / n as f64).round() / 10.0,
            behind_percent: (1000.0 * behind as f64 / n as f64).round() / 10.0,
            respondents: n,
        })
    }
}
