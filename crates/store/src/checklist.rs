//! Storage for the checklist: a hospital's answers per fiscal year, evidence files, the hospital
//! profile used for peer comparison, manufacturers' self-assessments, and the ledger counts that
//! pre-fill answers. Records hold codes and text; what the codes mean (items, fiscal-year editions,
//! scores) is `mdsec-checklist`'s business, and the app checks an answer there before saving it.

use crate::{Actor, StoreResult};
use async_trait::async_trait;
use serde::Serialize;

/// A saved answer to one checklist item of one fiscal year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChecklistAnswerRecord {
    pub fiscal_year: i64,
    pub item_id: String,
    /// `yes`, `no` or `na`.
    pub answer: String,
    pub target_date: Option<String>,
    pub owner: Option<String>,
    pub note: Option<String>,
    pub link: Option<String>,
    /// Incremented on every change; for optimistic concurrency.
    pub version: i64,
    pub updated_by: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewChecklistAnswer {
    pub fiscal_year: i64,
    pub item_id: String,
    pub answer: String,
    pub target_date: Option<String>,
    pub owner: Option<String>,
    pub note: Option<String>,
    pub link: Option<String>,
}

/// An evidence file's description (its bytes are fetched separately).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceFileRecord {
    pub id: i64,
    pub fiscal_year: i64,
    pub item_id: String,
    pub name: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

/// An evidence file to store. The app has checked size and type (`mdsec_checklist::check_evidence_file`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvidenceFile {
    pub fiscal_year: i64,
    pub item_id: String,
    pub name: String,
    pub media_type: String,
    pub sha256: String,
    pub content: Vec<u8>,
}

/// What the hospital says about itself for peer comparison.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ChecklistProfile {
    pub hospital_name: Option<String>,
    /// `special_functioning`, `general` or `psychiatric`.
    pub hospital_type: Option<String>,
    pub beds: Option<i64>,
    /// Include the optional HHS CPG layer in the checklist.
    pub include_hhs: bool,
}

/// A manufacturer's saved self-assessment (answers as JSON, by question number).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManufacturerAssessmentRecord {
    pub manufacturer: String,
    pub answers_json: String,
    pub version: i64,
    pub updated_by: String,
    pub updated_at: String,
}

/// Counts from the ledger and accounts that pre-fill checklist answers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ChecklistCounts {
    /// Live devices that are not disposed.
    pub devices_total: i64,
    pub devices_with_network_info: i64,
    pub devices_with_segment: i64,
    pub devices_remote_known: i64,
    pub devices_with_remote_line: i64,
    pub devices_with_os: i64,
    pub devices_with_eos_date: i64,
    pub devices_past_eos: i64,
    /// Distinct manufacturer + model pairs among those devices.
    pub models_total: i64,
    pub isso_accounts: i64,
    pub device_safety_accounts: i64,
    pub departments_total: i64,
    pub departments_with_contact: i64,
    /// RFC 3339 time of the last ledger change, if any.
    pub ledger_last_change: Option<String>,
}

#[async_trait]
pub trait ChecklistStore: Send + Sync + 'static {
    /// Answers of one fiscal year, or of all years (None), ordered by year and item.
    async fn checklist_answers(
        &self,
        fiscal_year: Option<i64>,
    ) -> StoreResult<Vec<ChecklistAnswerRecord>>;
    /// Create or replace an answer. With `expected_version`, refuse (Conflict) if it changed meanwhile
    /// (0 = "must not exist yet"). Audited in the same transaction.
    async fn save_checklist_answer(
        &self,
        actor: &Actor,
        answer: NewChecklistAnswer,
        expected_version: Option<i64>,
    ) -> StoreResult<ChecklistAnswerRecord>;
    /// Remove an answer (the item becomes unanswered again). Audited.
    async fn delete_checklist_answer(
        &self,
        actor: &Actor,
        fiscal_year: i64,
        item_id: &str,
    ) -> StoreResult<()>;

    async fn add_checklist_evidence(
        &self,
        actor: &Actor,
        file: NewEvidenceFile,
    ) -> StoreResult<EvidenceFileRecord>;
    /// Evidence files of one year (and item, if given), without their bytes.
    async fn checklist_evidence(
        &self,
        fiscal_year: i64,
        item_id: Option<&str>,
    ) -> StoreResult<Vec<EvidenceFileRecord>>;
    async fn checklist_evidence_content(
        &self,
        id: i64,
    ) -> StoreResult<Option<(EvidenceFileRecord, Vec<u8>)>>;

    async fn checklist_profile(&self) -> StoreResult<ChecklistProfile>;
    async fn set_checklist_profile(
        &self,
        actor: &Actor,
        profile: ChecklistProfile,
    ) -> StoreResult<()>;

    async fn manufacturer_assessment(
        &self,
        manufacturer: &str,
    ) -> StoreResult<Option<ManufacturerAssessmentRecord>>;
    async fn save_manufacturer_assessment(
        &self,
        actor: &Actor,
        manufacturer: &str,
        answers_json: &str,
    ) -> StoreResult<ManufacturerAssessmentRecord>;

    /// Ledger and account counts for pre-filling; `today` (YYYY-MM-DD) decides "past EOS".
    async fn checklist_counts(&self, today: &str) -> StoreResult<ChecklistCounts>;
}
