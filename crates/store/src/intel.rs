//! Vulnerability intelligence records: advisories, KEV and EPSS, device models with their SBOMs
//! and MDS2 forms, VEX statements, findings with their lifecycle, the per-device priority and the
//! notices sent about findings.
//!
//! The matching itself is pure (`mdsec-matcher`); this trait only keeps what it needs and what it
//! produced. Invariants as for [`crate::Store`]: every mutation is audited in its own transaction,
//! and a feed import is one transaction (a failed import changes nothing).

use crate::{Actor, Page, StoreResult};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// An advisory as imported: the document itself (so it can be re-matched when the matcher
/// improves) plus what lists and pages show without parsing it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdvisoryRecord {
    /// `ICSMA-22-244-01`, `GHSA-…`, `RUSTSEC-…`, `CVE-…`, `JVNDB-…`.
    pub id: String,
    /// `csaf`, `osv`, `rustsec`, `nvd`, `jvn`.
    pub source: String,
    pub title: String,
    /// CVE ids the advisory covers.
    pub cves: Vec<String>,
    /// Highest CVSS base score it states (0–10).
    pub cvss: Option<f64>,
    pub published: Option<String>,
    pub modified: Option<String>,
    pub file_name: String,
    /// SHA-256 of `document`: the same digest means unchanged.
    pub sha256: String,
    /// The document text (JSON, YAML, TOML+Markdown or XML) as imported.
    pub document: String,
}

/// A row of the advisory list (no document).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AdvisorySummary {
    pub id: String,
    pub source: String,
    pub title: String,
    pub cves: Vec<String>,
    pub cvss: Option<f64>,
    pub published: Option<String>,
    pub modified: Option<String>,
    pub imported_at: String,
}

/// A CISA KEV catalogue entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KevRecord {
    pub cve_id: String,
    pub vendor: Option<String>,
    pub product: Option<String>,
    pub name: Option<String>,
    pub date_added: Option<String>,
    pub due_date: Option<String>,
    pub required_action: Option<String>,
    pub known_ransomware: bool,
}

/// A FIRST EPSS score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpssRecord {
    pub cve_id: String,
    pub epss: f64,
    pub percentile: Option<f64>,
    pub score_date: Option<String>,
}

/// One import of feed files: applied whole or not at all.
#[derive(Debug, Clone, Default)]
pub struct FeedBatch {
    pub advisories: Vec<AdvisoryRecord>,
    pub kev: Vec<KevRecord>,
    pub epss: Vec<EpssRecord>,
    /// Where it came from, for the audit log (file names).
    pub sources: Vec<String>,
}

/// What a feed import changed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FeedImportReport {
    pub new: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: usize,
    pub kev_new: usize,
    pub kev_total: usize,
    pub epss_written: usize,
}

/// A device model: manufacturer (canonical name) + model + firmware/software version (empty
/// string when unknown). Ledger devices point to it by these three values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceModelRecord {
    pub id: i64,
    pub manufacturer: String,
    pub model: String,
    pub version: String,
    pub created_at: String,
    pub sbom_count: i64,
    pub mds2_count: i64,
    /// Live ledger devices of this model.
    pub device_count: i64,
}

/// One SBOM component as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComponentRecord {
    pub name: String,
    pub version: Option<String>,
    pub purl: Option<String>,
    pub cpe: Option<String>,
}

/// An SBOM to attach to a device model.
#[derive(Debug, Clone)]
pub struct NewSbom {
    pub file_name: String,
    /// `cyclonedx` or `spdx`, with the spec version when known (`cyclonedx 1.5`).
    pub format: String,
    pub sha256: String,
    pub components: Vec<ComponentRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SbomRecord {
    pub id: i64,
    pub device_model_id: i64,
    pub file_name: String,
    pub format: String,
    pub sha256: String,
    pub component_count: i64,
    pub attached_at: String,
    pub attached_by: String,
}

/// An MDS2 form to attach: the security profile as JSON (answers normalised, raw text kept).
#[derive(Debug, Clone)]
pub struct NewMds2 {
    pub file_name: String,
    pub sha256: String,
    pub profile: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mds2Record {
    pub id: i64,
    pub device_model_id: i64,
    pub file_name: String,
    pub sha256: String,
    pub profile: serde_json::Value,
    pub attached_at: String,
    pub attached_by: String,
}

/// A VEX statement from a manufacturer or the hospital about one vulnerability and a product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VexStatement {
    /// CVE / advisory id the statement is about.
    pub vulnerability: String,
    /// Product scope: manufacturer + model, and optionally the versions it covers (exact version
    /// or a `vers:` range); `None` = every version of the model.
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub versions: Option<String>,
    /// Or a package scope (SBOM component purl, versionless = every version).
    pub purl: Option<String>,
    /// `not_affected`, `affected`, `fixed`, `under_investigation`.
    pub status: String,
    pub justification: Option<String>,
    pub detail: Option<String>,
    /// `cyclonedx`, `csaf`, `openvex`, `manual`.
    pub format: String,
    /// Who made it: `manufacturer:<name>` or `hospital`.
    pub source: String,
    pub file_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VexRecord {
    pub id: i64,
    #[serde(flatten)]
    pub statement: VexStatement,
    pub created_at: String,
    pub created_by: String,
}

/// A finding as the matcher produced it for one device and one advisory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FindingMatch {
    pub device_id: i64,
    pub advisory_id: String,
    /// `affected` or `undetermined` (what needs a person); `fixed`/`not_affected` are not stored.
    pub match_status: String,
    pub confidence: String,
    pub evidence: serde_json::Value,
    pub aliases: Vec<String>,
    pub remediations: Vec<String>,
    /// The VEX statement that applies, if any (`not_affected: component_not_present`, source).
    pub vex: Option<serde_json::Value>,
}

/// Which findings a [`FindingsSync`] replaces: everything, or only those of some advisories or of
/// some devices (incremental matching touches only what changed).
#[derive(Debug, Clone, PartialEq)]
pub enum FindingScope {
    All,
    Advisories(Vec<String>),
    Devices(Vec<i64>),
}

/// Replace the matcher's view of findings within `scope`. Existing findings keep their lifecycle
/// (status, owner, due date, comment); those the matcher no longer produces get match status
/// `resolved` and are closed if nobody worked on them.
#[derive(Debug, Clone)]
pub struct FindingsSync {
    pub scope: FindingScope,
    pub matches: Vec<FindingMatch>,
    /// Per-device priority for every live device: when non-empty it replaces the whole table;
    /// when empty the stored priorities are left as they are.
    pub priorities: Vec<DevicePriorityRecord>,
}

/// What a sync changed; `created` feeds the notifications.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FindingsSyncReport {
    /// (device id, advisory id) of findings that did not exist before.
    pub created: Vec<(i64, String)>,
    pub updated: usize,
    pub resolved: usize,
}

/// Lifecycle of a finding.
pub const FINDING_STATES: &[&str] = &[
    "new",
    "triaged",
    "mitigated",
    "accepted",
    "false_positive",
    "closed",
];

/// A stored finding with its lifecycle.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FindingRecord {
    pub id: i64,
    pub device_id: i64,
    pub advisory_id: String,
    pub advisory_title: Option<String>,
    /// The advisory's highest CVSS base score.
    pub advisory_cvss: Option<f64>,
    pub match_status: String,
    pub confidence: String,
    pub evidence: serde_json::Value,
    pub aliases: Vec<String>,
    pub remediations: Vec<String>,
    pub vex: Option<serde_json::Value>,
    pub status: String,
    pub owner: Option<String>,
    pub due_date: Option<String>,
    pub comment: Option<String>,
    pub compensating_controls: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// A change to a finding's lifecycle.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FindingUpdate {
    pub status: Option<String>,
    pub owner: Option<String>,
    pub due_date: Option<String>,
    pub comment: Option<String>,
    pub compensating_controls: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct FindingQuery {
    pub device_id: Option<i64>,
    pub advisory_id: Option<String>,
    /// Lifecycle status.
    pub status: Option<String>,
    /// Only findings that still need a person (match affected/undetermined, not closed/accepted/
    /// false positive).
    pub open_only: bool,
    pub department: Option<String>,
    pub manufacturer: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// The explained "act now" score of one device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DevicePriorityRecord {
    pub device_id: i64,
    pub score: f64,
    /// `[{code, points, detail}]`, largest first.
    pub reasons: serde_json::Value,
    /// Open findings (affected or undetermined) on the device.
    pub open_findings: i64,
}

/// A notice about a finding, for one recipient.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoticeRecord {
    pub id: i64,
    pub device_id: i64,
    pub advisory_id: String,
    /// User name or e-mail address.
    pub recipient: String,
    pub subject: String,
    pub body: String,
    /// `open`, `acknowledged`, `muted`.
    pub state: String,
    pub assigned_to: Option<String>,
    pub emailed_at: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone)]
pub struct NewNotice {
    pub device_id: i64,
    pub advisory_id: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
}

#[async_trait]
pub trait IntelStore: Send + Sync + 'static {
    /// Every live ledger device, by id (matching covers the whole fleet).
    async fn live_devices(&self) -> StoreResult<Vec<crate::Device>>;

    // ---- feeds ----
    /// Apply one import: advisories (new/updated/unchanged by digest), KEV, EPSS. One transaction.
    async fn import_feed(&self, actor: &Actor, batch: FeedBatch) -> StoreResult<FeedImportReport>;
    async fn list_advisories(&self, limit: i64, offset: i64) -> StoreResult<Page<AdvisorySummary>>;
    async fn get_advisory(&self, id: &str) -> StoreResult<Option<AdvisoryRecord>>;
    /// Every advisory with its document, for (re)matching. `ids` limits it.
    async fn advisory_documents(&self, ids: Option<&[String]>) -> StoreResult<Vec<AdvisoryRecord>>;
    async fn kev_entries(&self) -> StoreResult<Vec<KevRecord>>;
    /// EPSS for the given CVEs.
    async fn epss_for(&self, cves: &[String]) -> StoreResult<Vec<EpssRecord>>;

    // ---- device models ----
    /// The id of the model, creating it when new.
    async fn ensure_device_model(
        &self,
        actor: &Actor,
        manufacturer: &str,
        model: &str,
        version: &str,
    ) -> StoreResult<i64>;
    async fn list_device_models(&self) -> StoreResult<Vec<DeviceModelRecord>>;
    async fn get_device_model(&self, id: i64) -> StoreResult<Option<DeviceModelRecord>>;
    async fn attach_sbom(
        &self,
        actor: &Actor,
        model_id: i64,
        sbom: NewSbom,
    ) -> StoreResult<SbomRecord>;
    async fn attach_mds2(
        &self,
        actor: &Actor,
        model_id: i64,
        form: NewMds2,
    ) -> StoreResult<Mds2Record>;
    async fn model_sboms(&self, model_id: i64) -> StoreResult<Vec<SbomRecord>>;
    async fn model_mds2(&self, model_id: i64) -> StoreResult<Vec<Mds2Record>>;
    /// Components of every SBOM of the model (all SBOMs attached, in attach order).
    async fn model_components(&self, model_id: i64) -> StoreResult<Vec<ComponentRecord>>;
    /// (model id, component) for every model: the whole fleet's SBOM content.
    async fn all_components(&self) -> StoreResult<Vec<(i64, ComponentRecord)>>;

    // ---- VEX ----
    async fn add_vex(
        &self,
        actor: &Actor,
        statements: Vec<VexStatement>,
    ) -> StoreResult<Vec<VexRecord>>;
    async fn list_vex(&self) -> StoreResult<Vec<VexRecord>>;

    // ---- findings ----
    async fn sync_findings(
        &self,
        actor: &Actor,
        sync: FindingsSync,
    ) -> StoreResult<FindingsSyncReport>;
    async fn list_findings(&self, query: &FindingQuery) -> StoreResult<Page<FindingRecord>>;
    async fn get_finding(&self, id: i64) -> StoreResult<Option<FindingRecord>>;
    async fn update_finding(
        &self,
        actor: &Actor,
        id: i64,
        update: FindingUpdate,
    ) -> StoreResult<FindingRecord>;
    /// Devices by priority, highest first; `open_only` keeps devices with open findings.
    async fn device_priorities(
        &self,
        open_only: bool,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Page<DevicePriorityRecord>>;
    async fn device_priority(&self, device_id: i64) -> StoreResult<Option<DevicePriorityRecord>>;

    // ---- notices ----
    /// Set (or clear) the e-mail address notices to this account are sent to.
    async fn set_user_email(
        &self,
        actor: &Actor,
        user_id: i64,
        email: Option<&str>,
    ) -> StoreResult<()>;
    /// (user id, address) of every account with an address.
    async fn user_emails(&self) -> StoreResult<Vec<(i64, String)>>;
    /// Create notices; one per (device, advisory, recipient) ever — duplicates are skipped.
    /// Returns the ones created.
    async fn create_notices(
        &self,
        actor: &Actor,
        notices: Vec<NewNotice>,
    ) -> StoreResult<Vec<NoticeRecord>>;
    async fn mark_notice_emailed(&self, id: i64) -> StoreResult<()>;
    async fn list_notices(
        &self,
        recipient: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<NoticeRecord>>;
    /// `acknowledged`, `muted` or `open`, and optionally an assignee.
    async fn update_notice(
        &self,
        actor: &Actor,
        id: i64,
        state: &str,
        assigned_to: Option<&str>,
    ) -> StoreResult<NoticeRecord>;
}
