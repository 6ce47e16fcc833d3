//! The storage contract of mdsec.
//!
//! Owns: the [`Store`] trait every backend implements, the records it stores and returns, and the
//! audit hash chain ([`audit`]). Invariants: no SQL here and no backend types in the API; every
//! mutating method writes its audit entries in the same transaction as the change, so a change without
//! an audit entry (or the reverse) cannot exist.

pub mod audit;
mod checklist;
pub mod intel;
pub mod observations;
mod records;
pub mod remote_lines;

pub use audit::{verify_chain, AuditEntry, BrokenLink, NewAuditEntry};
pub use checklist::*;
pub use intel::*;
pub use observations::*;
pub use records::*;
pub use remote_lines::*;

use async_trait::async_trait;
use mdsec_domain::DeviceFields;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("the change was refused by the database: {0}")]
    Refused(String),
    #[error("database error: {0}")]
    Backend(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Everything mdsec persists. Implemented by `mdsec-store-sqlite` and `mdsec-store-postgres` and
/// checked by one conformance suite (`mdsec-store-tests`) against both.
#[async_trait]
pub trait Store:
    ChecklistStore + IntelStore + ObservationStore + RemoteLineStore + Send + Sync + 'static
{
    /// Which backend this is ("sqlite" or "postgres"), for `/healthz` and logs.
    fn backend(&self) -> &'static str;
    /// Cheap liveness check.
    async fn ping(&self) -> StoreResult<()>;

    // ---- device ledger ----
    async fn list_devices(&self, query: &DeviceQuery) -> StoreResult<Page<Device>>;
    async fn get_device(&self, id: i64) -> StoreResult<Option<Device>>;
    async fn create_device(&self, actor: &Actor, fields: DeviceFields) -> StoreResult<Device>;
    /// Update a device. With `expected_version`, refuse (Conflict) if someone changed it meanwhile.
    async fn update_device(
        &self,
        actor: &Actor,
        id: i64,
        fields: DeviceFields,
        expected_version: Option<i64>,
    ) -> StoreResult<Device>;
    /// Soft delete: the device disappears from lists but keeps its history.
    async fn delete_device(&self, actor: &Actor, id: i64) -> StoreResult<()>;
    async fn device_history(&self, id: i64) -> StoreResult<Vec<HistoryEntry>>;
    /// Distinct departments of live devices, sorted, for filters and forms.
    async fn departments(&self) -> StoreResult<Vec<String>>;
    /// Apply an import in ONE transaction: either every row is applied or nothing is.
    /// With `dry_run` the transaction is rolled back after computing the report.
    async fn import_devices(
        &self,
        actor: &Actor,
        source: &str,
        rows: Vec<ImportRow>,
        dry_run: bool,
    ) -> StoreResult<ImportReport>;

    // ---- manufacturers ----
    async fn manufacturer_aliases(&self) -> StoreResult<Vec<(String, String)>>;
    async fn add_manufacturer_alias(
        &self,
        actor: &Actor,
        alias: &str,
        canonical: &str,
    ) -> StoreResult<()>;

    // ---- accounts ----
    async fn count_users(&self) -> StoreResult<i64>;
    async fn create_user(&self, actor: &Actor, user: NewUser) -> StoreResult<User>;
    async fn get_user(&self, id: i64) -> StoreResult<Option<User>>;
    async fn get_user_by_name(&self, username: &str) -> StoreResult<Option<User>>;
    async fn list_users(&self) -> StoreResult<Vec<User>>;
    async fn set_password(
        &self,
        actor: &Actor,
        user_id: i64,
        password_hash: &str,
    ) -> StoreResult<()>;
    async fn set_totp(&self, actor: &Actor, user_id: i64, secret: Option<&str>) -> StoreResult<()>;

    async fn create_session(&self, session: &Session) -> StoreResult<()>;
    async fn get_session(&self, id_hash: &str) -> StoreResult<Option<Session>>;
    async fn mark_session_verified(&self, id_hash: &str) -> StoreResult<()>;
    async fn delete_session(&self, id_hash: &str) -> StoreResult<()>;
    async fn delete_expired_sessions(&self, now: &str) -> StoreResult<u64>;

    async fn create_token(
        &self,
        actor: &Actor,
        user_id: i64,
        name: &str,
        token_hash: &str,
    ) -> StoreResult<i64>;
    /// The live user a token (by its hash) belongs to.
    async fn user_for_token(&self, token_hash: &str) -> StoreResult<Option<User>>;

    // ---- audit ----
    /// Record an event that changes nothing else (login, logout, export, token use).
    async fn append_audit(&self, entry: NewAuditEntry) -> StoreResult<()>;
    async fn list_audit(&self, query: &AuditQuery) -> StoreResult<Page<AuditEntry>>;
    /// Every entry in chain order, for verification.
    async fn audit_chain(&self) -> StoreResult<Vec<AuditEntry>>;
}
