//! Where does the hospital stand? The hospital checklist, its score and history, answers mdsec can
//! pre-fill from what it already knows, the next actions, peer figures, and the manufacturer
//! self-assessment benchmarked against the 441 companies of the FY2024 survey.
//!
//! Owns: the checklist catalogue (`data/hospital_checklist.toml`: MHLW checklist items per fiscal year
//! with their official numbers, the medical-device items of the MHLW 2023 handbook, the optional HHS
//! CPG layer, per-item peer figures from the seed), the manufacturer survey (`data/manufacturer_survey.toml`:
//! the 78 questions and the answer counts by licence class), and all arithmetic on them.
//!
//! Invariants: no I/O (the data files are compiled in; the app passes in saved answers and [`Facts`]);
//! an answer is only ever accepted for an item of its own fiscal year's edition; 対象外 (not applicable)
//! is excluded from every denominator; "unknown" is never turned into "yes".
//!
//! Score arithmetic (documented once, used everywhere): each applicable item is worth its weight
//! (inspection 3, guidance 2, enhanced 1). はい earns the weight, いいえ and unanswered earn 0, 対象外 is left
//! out of both sums. score = 100 × earned / possible, per section and overall; with nothing applicable
//! there is no score (None), never 0 or 100.

mod actions;
mod answers;
mod catalogue;
mod error;
mod manufacturer;
mod peer;
mod prefill;
mod score;

pub use actions::{next_actions, NextAction};
pub use answers::{
    check_evidence_file, Answer, AnswerValue, Evidence, EvidenceFile, Warning,
    MAX_EVIDENCE_FILE_BYTES, MAX_LINK_LEN, MAX_NOTE_CHARS, MAX_OWNER_CHARS,
};
pub use catalogue::{
    fiscal_year_of, Catalogue, ChecklistVersion, Edition, FiscalYear, Item, Layer, Section,
    VersionItem, Weight,
};
pub use error::ChecklistError;
pub use manufacturer::{
    Area, AreaMaturity, LicenceClass, OptionCounts, Question, QuestionKind, SeedLayout, SeedRow,
    SeedTable, SelfAssessment, Survey, SurveyAnswer, SurveyOption, SurveyPosition,
};
pub use peer::{
    BedBand, Cohort, CohortAggregate, HospitalType, HubAggregates, PeerAggregates, PeerFigure,
    PeerGroup, PeerSource, Percentile, Polarity, Qualifier, SeedPeers, SelfScoreFigure,
    MIN_COHORT_HOSPITALS,
};
pub use prefill::{propose, Facts, Proposal};
pub use score::{evaluate, AnswerSource, History, ItemStatus, Score, ScoreCard};
