//! The application layer shared by the web UI, the JSON API and the CLI: a store plus the rules that
//! apply before anything reaches it (manufacturer names canonicalised, text tidied, files parsed).

use crate::i18n::Lang;
use crate::policy::{self, SessionDevicesRefused};
use mdsec_domain::manufacturer::ManufacturerAliases;
use mdsec_domain::DeviceFields;
use mdsec_format_core::FormatError;
use mdsec_store::{
    nftables_snippet, Actor, Device, ImportReport, ImportRow, NewRemoteSession, NewUser,
    RemoteLineRecord, RemoteSessionRecord, Role, SessionDecision, Store, StoreError, User,
    MAX_DEVICES_PER_LINE,
};
use serde::Serialize;
use std::sync::{Arc, RwLock};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Format(#[from] FormatError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Invalid(String),
}

/// Why a remote-session step was not taken.
#[derive(Debug)]
pub enum SessionError {
    /// Refused by mdsec's rules before anything was written; the message is for the user.
    Refused(SessionRefusal),
    /// Refused or failed in the store (window rules, overlaps, a retired line, …).
    Store(StoreError),
}

impl From<StoreError> for SessionError {
    fn from(e: StoreError) -> Self {
        SessionError::Store(e)
    }
}

/// A refusal of the session rules, worded in the reader's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionRefusal {
    Devices(SessionDevicesRefused),
    /// What approval would open (devices, addresses, endpoints) changed after the page showed it.
    PlanChanged,
}

impl SessionRefusal {
    /// The stable code of the JSON error shape.
    pub fn code(&self) -> &'static str {
        match self {
            SessionRefusal::Devices(_) => "session_devices_refused",
            SessionRefusal::PlanChanged => "session_plan_changed",
        }
    }

    pub fn message(&self, l: Lang) -> String {
        match self {
            SessionRefusal::Devices(SessionDevicesRefused::NotNameable(ids)) => {
                let ids: Vec<String> = ids.iter().map(|i| format!("#{i}")).collect();
                l.t("remote.refused_devices")
                    .replace("{ids}", &ids.join(", "))
            }
            SessionRefusal::Devices(SessionDevicesRefused::NoOwnDevice) => {
                l.t("remote.refused_no_own_device").to_string()
            }
            SessionRefusal::PlanChanged => l.t("remote.plan_changed").to_string(),
        }
    }

    /// As an HTTP error (422); an API handler adds `.json()` for the JSON error shape.
    pub fn web_error(&self, l: Lang) -> crate::error::WebError {
        crate::error::WebError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            self.code(),
            self.message(l),
        )
    }
}

/// What approving a session opens: exactly these devices, and (when asked for) this firewall rule.
/// The approval page shows it; the approval applies it only if it is still the same (`digest`).
#[derive(Debug, Clone)]
pub struct SessionPlan {
    pub devices: Vec<Device>,
    pub firewall_rule: Option<String>,
    /// A digest of the devices, their addresses and the line's endpoints (not of the minutes).
    pub digest: String,
}

/// What an import did, with everything the user needs to fix the file.
#[derive(Debug, Clone, Serialize)]
pub struct ImportOutcome {
    pub file: String,
    pub format: String,
    pub sheet: Option<String>,
    pub header_row: u64,
    pub rows_read: u64,
    pub skipped_blank: u64,
    pub unmapped_columns: Vec<String>,
    pub rejected: Vec<RejectedRow>,
    #[serde(flatten)]
    pub report: ImportReport,
}

#[derive(Debug, Clone, Serialize)]
pub struct RejectedRow {
    pub row: u64,
    pub column: Option<String>,
    pub reason: String,
}

pub struct App {
    pub store: Arc<dyn Store>,
    aliases: RwLock<ManufacturerAliases>,
    departments: std::sync::Mutex<Option<(Arc<Vec<String>>, std::time::Instant)>>,
}

/// How long the department list of the filter drop-down is reused. It changes only when a device
/// enters a new department; recomputing it on every page view was a full index scan per request.
pub const DEPARTMENTS_TTL: std::time::Duration = std::time::Duration::from_secs(5);

impl App {
    /// The shipped alias table extended with the hospital's own aliases from the database.
    pub async fn new(store: Arc<dyn Store>) -> Result<Self, AppError> {
        let mut aliases = ManufacturerAliases::builtin();
        for (alias, canonical) in store.manufacturer_aliases().await? {
            aliases.add(&alias, &canonical);
        }
        Ok(App {
            store,
            aliases: RwLock::new(aliases),
            departments: std::sync::Mutex::new(None),
        })
    }

    /// Departments of live devices, for filters (reused for [`DEPARTMENTS_TTL`]).
    pub async fn departments(&self) -> Result<Arc<Vec<String>>, StoreError> {
        if let Some((list, at)) = self
            .departments
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            if at.elapsed() < DEPARTMENTS_TTL {
                return Ok(list.clone());
            }
        }
        let list = Arc::new(self.store.departments().await?);
        *self.departments.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((list.clone(), std::time::Instant::now()));
        Ok(list)
    }

    /// The canonical manufacturer name for `raw`, or `raw` itself when no alias is known.
    pub fn canonical_manufacturer(&self, raw: &str) -> String {
        let aliases = self.aliases.read().unwrap_or_else(|e| e.into_inner());
        aliases
            .canonical(raw)
            .map(str::to_string)
            .unwrap_or_else(|| raw.trim().to_string())
    }

    /// The Japanese display name of a canonical manufacturer, when the table has one.
    pub fn manufacturer_ja(&self, canonical: &str) -> Option<String> {
        let aliases = self.aliases.read().unwrap_or_else(|e| e.into_inner());
        aliases.ja_name(canonical).map(str::to_string)
    }

    /// Apply the ledger's rules to fields from any source.
    pub fn normalise(&self, fields: DeviceFields) -> DeviceFields {
        let mut f = fields.tidy();
        if let Some(m) = &f.manufacturer {
            f.manufacturer = Some(self.canonical_manufacturer(m));
        }
        f
    }

    pub async fn add_alias(
        &self,
        actor: &Actor,
        alias: &str,
        canonical: &str,
    ) -> Result<(), AppError> {
        let (alias, canonical) = (alias.trim(), canonical.trim());
        if alias.is_empty() || canonical.is_empty() {
            return Err(AppError::Invalid(
                "alias and canonical name are both required".into(),
            ));
        }
        self.store
            .add_manufacturer_alias(actor, alias, canonical)
            .await?;
        self.aliases
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .add(alias, canonical);
        Ok(())
    }

    /// Parse a ledger file and apply it in one transaction (or only report, with `dry_run`).
    /// A file that cannot be parsed changes nothing; invalid rows are listed, valid ones applied.
    pub async fn import_file(
        &self,
        actor: &Actor,
        file_name: &str,
        bytes: &[u8],
        dry_run: bool,
    ) -> Result<ImportOutcome, AppError> {
        let parsed =
            mdsec_ledger::parse_ledger(file_name, bytes).map_err(|e| e.in_file(file_name))?;
        let rows: Vec<ImportRow> = parsed
            .rows
            .into_iter()
            .map(|r| ImportRow {
                row: r.row,
                fields: self.normalise(r.fields),
            })
            .collect();
        let rows_read = rows.len() as u64 + parsed.rejected.len() as u64;
        let report = self
            .store
            .import_devices(actor, file_name, rows, dry_run)
            .await?;
        if !dry_run && report.new + report.updated > 0 {
            self.rematch_after_ledger_change(actor, None).await;
        }
        Ok(ImportOutcome {
            file: file_name.to_string(),
            format: format_name(&parsed.format),
            sheet: parsed.sheet,
            header_row: parsed.header_row,
            rows_read,
            skipped_blank: parsed.skipped_blank,
            unmapped_columns: parsed.unmapped_columns,
            rejected: parsed
                .rejected
                .into_iter()
                .map(|r| RejectedRow {
                    row: r.row,
                    column: r.column,
                    reason: r.reason,
                })
                .collect(),
            report,
        })
    }

    /// Bring findings and priorities up to date after the ledger changed: the named devices (a new or
    /// edited device — a new firmware version is matched at once), or every device after an import.
    /// The ledger change is already committed, so a failure here is logged, not returned; the next
    /// feed import or re-match repairs it.
    pub async fn rematch_after_ledger_change(&self, actor: &Actor, devices: Option<Vec<i64>>) {
        let what = match devices {
            Some(ids) => mdsec_intel::Rematch::Devices(ids),
            None => mdsec_intel::Rematch::All,
        };
        match mdsec_intel::rematch(self.store.as_ref(), actor, what).await {
            Ok(run) => {
                if let Err(e) =
                    mdsec_intel::notices::notify_new_findings(self.store.as_ref(), &run.created)
                        .await
                {
                    tracing::warn!(error = %e, "notices after a ledger change");
                }
            }
            Err(e) => tracing::warn!(error = %e, "re-match after a ledger change"),
        }
    }

    /// The live ledger records of `ids` (at most [`MAX_DEVICES_PER_LINE`]; unknown ids are skipped).
    async fn devices_by_id(
        &self,
        ids: impl IntoIterator<Item = i64>,
    ) -> Result<Vec<Device>, StoreError> {
        let mut out = Vec::new();
        for id in ids.into_iter().take(MAX_DEVICES_PER_LINE) {
            if let Some(d) = self.store.get_device(id).await? {
                out.push(d);
            }
        }
        Ok(out)
    }

    /// Request a session on a line (with `emergency_reason`: open it at once, without approval).
    /// It may name only devices the line serves, and a manufacturer only its own products
    /// ([`policy::session_request_devices`]); a refusal changes nothing.
    pub async fn request_remote_session(
        &self,
        user: &User,
        session: NewRemoteSession,
        emergency_reason: Option<&str>,
    ) -> Result<RemoteSessionRecord, SessionError> {
        let line = self
            .store
            .get_remote_line(session.line_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("remote line {}", session.line_id)))?;
        // Only devices of the line need their records: any other id is refused as it is. A
        // manufacturer naming none is given its own devices of the line, so those are read then.
        let wanted: Vec<i64> = if session.device_ids.is_empty() {
            match user.role {
                Role::Manufacturer => line.device_ids.clone(),
                _ => Vec::new(),
            }
        } else {
            let mut ids: Vec<i64> = session
                .device_ids
                .iter()
                .copied()
                .filter(|id| line.device_ids.binary_search(id).is_ok())
                .collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        let devices = self.devices_by_id(wanted).await?;
        let device_ids =
            policy::session_request_devices(user, &line, &session.device_ids, &devices)
                .map_err(|e| SessionError::Refused(SessionRefusal::Devices(e)))?;
        let session = NewRemoteSession {
            device_ids,
            ..session
        };
        let actor = Actor::user(user);
        let created = match emergency_reason {
            Some(reason) => {
                self.store
                    .emergency_remote_session(&actor, session, reason)
                    .await?
            }
            None => self.store.request_remote_session(&actor, session).await?,
        };
        Ok(created)
    }

    /// What approving `session` on `line` opens now ([`policy::session_plan_devices`]), with the
    /// firewall rule for the rest of its window.
    pub async fn session_plan(
        &self,
        session: &RemoteSessionRecord,
        line: &RemoteLineRecord,
    ) -> Result<SessionPlan, StoreError> {
        let requester = self.store.get_user_by_name(&session.requested_by).await?;
        let candidates = if session.device_ids.is_empty() {
            &line.device_ids
        } else {
            &session.device_ids
        };
        let devices = self
            .devices_by_id(
                candidates
                    .iter()
                    .copied()
                    .filter(|id| line.device_ids.binary_search(id).is_ok()),
            )
            .await?;
        let ids =
            policy::session_plan_devices(requester.as_ref(), line, &session.device_ids, &devices);
        let devices: Vec<Device> = devices
            .into_iter()
            .filter(|d| ids.binary_search(&d.id).is_ok())
            .collect();
        let ips: Vec<String> = devices.iter().filter_map(|d| d.fields.ip.clone()).collect();
        let now = chrono::Utc::now();
        let parse = |t: &str| {
            chrono::DateTime::parse_from_rfc3339(t)
                .map(|t| t.with_timezone(&chrono::Utc))
                .unwrap_or(now)
        };
        let start = parse(&session.window_start).max(now);
        let end = parse(&session.window_end);
        let firewall_rule = nftables_snippet(session.id, line, &ips, (end - start).num_minutes());
        let mut basis = format!("session {} line {}\n", session.id, line.id);
        for e in &line.endpoints {
            basis.push_str(&format!("endpoint {e}\n"));
        }
        for d in &devices {
            basis.push_str(&format!(
                "device {} {}\n",
                d.id,
                d.fields.ip.as_deref().unwrap_or("")
            ));
        }
        Ok(SessionPlan {
            devices,
            firewall_rule,
            digest: crate::auth::sha256_hex(&basis),
        })
    }

    /// Approve or reject a requested session. An approval must name the plan the approver was shown
    /// (`shown_plan`, [`SessionPlan::digest`]); if the devices or addresses changed meanwhile it is
    /// refused and nothing changes. With `firewall`, the plan's rule is stored with the approval.
    pub async fn decide_remote_session(
        &self,
        user: &User,
        id: i64,
        approve: bool,
        note: Option<String>,
        firewall: bool,
        shown_plan: Option<&str>,
    ) -> Result<RemoteSessionRecord, SessionError> {
        let session = self
            .store
            .get_remote_session(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("remote session {id}")))?;
        let line = self
            .store
            .get_remote_line(session.line_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("remote line {}", session.line_id)))?;
        let mut firewall_rule = None;
        if approve {
            let plan = self.session_plan(&session, &line).await?;
            if shown_plan != Some(plan.digest.as_str()) {
                return Err(SessionError::Refused(SessionRefusal::PlanChanged));
            }
            if firewall {
                firewall_rule = plan.firewall_rule;
            }
        }
        let decided = self
            .store
            .decide_remote_session(
                &Actor::user(user),
                id,
                SessionDecision {
                    approve,
                    note,
                    firewall_rule,
                },
            )
            .await?;
        Ok(decided)
    }

    /// Create the first administrator if there are no users yet. Returns the password when it was
    /// generated (to be shown once), `None` when it came from the caller or users already exist.
    pub async fn ensure_admin(&self, password: Option<String>) -> Result<Option<String>, AppError> {
        if self.store.count_users().await? > 0 {
            return Ok(None);
        }
        let (password, generated) = match password.filter(|p| !p.is_empty()) {
            Some(p) => (p, false),
            None => (crate::auth::random_password(), true),
        };
        self.create_user(
            "admin",
            "システム管理者",
            &password,
            Role::Admin,
            None,
            None,
        )
        .await?;
        Ok(generated.then_some(password))
    }

    pub async fn create_user(
        &self,
        username: &str,
        display_name: &str,
        password: &str,
        role: Role,
        department: Option<String>,
        manufacturer: Option<String>,
    ) -> Result<User, AppError> {
        let username = username.trim();
        if username.is_empty()
            || !username
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
        {
            return Err(AppError::Invalid(
                "user names use letters, digits and . _ - @ only".into(),
            ));
        }
        if password.chars().count() < crate::auth::MIN_PASSWORD_LEN {
            return Err(AppError::Invalid(format!(
                "passwords must have at least {} characters",
                crate::auth::MIN_PASSWORD_LEN
            )));
        }
        if role == Role::DepartmentUser && department.as_deref().is_none_or(str::is_empty) {
            return Err(AppError::Invalid(
                "a department user needs a department".into(),
            ));
        }
        if role == Role::Manufacturer && manufacturer.as_deref().is_none_or(str::is_empty) {
            return Err(AppError::Invalid(
                "a manufacturer account needs a manufacturer".into(),
            ));
        }
        let hash = crate::auth::hash_password(password).map_err(AppError::Invalid)?;
        let manufacturer = manufacturer.map(|m| self.canonical_manufacturer(&m));
        let user = self
            .store
            .create_user(
                &Actor::system(),
                NewUser {
                    username: username.to_string(),
                    display_name: if display_name.trim().is_empty() {
                        username.to_string()
                    } else {
                        display_name.trim().to_string()
                    },
                    password_hash: hash,
                    role,
                    department,
                    manufacturer,
                },
            )
            .await?;
        Ok(user)
    }

    /// Create an API token for `user`; returns the token (shown once; only its hash is stored).
    pub async fn create_token(
        &self,
        actor: &Actor,
        user: &User,
        name: &str,
    ) -> Result<String, AppError> {
        let token = crate::auth::new_api_token();
        self.store
            .create_token(actor, user.id, name, &crate::auth::sha256_hex(&token))
            .await?;
        Ok(token)
    }
}

/// A short human name of a ledger container, e.g. `CSV (Shift_JIS)`.
pub fn format_name(f: &mdsec_ledger::LedgerFormat) -> String {
    use mdsec_ledger::{CsvEncoding, LedgerFormat};
    match f {
        LedgerFormat::Xlsx => "xlsx".into(),
        LedgerFormat::Xls => "xls".into(),
        LedgerFormat::Csv { encoding } => format!(
            "CSV ({})",
            match encoding {
                CsvEncoding::Utf8 => "UTF-8",
                CsvEncoding::Utf8Bom => "UTF-8 BOM",
                CsvEncoding::ShiftJis => "Shift_JIS",
                CsvEncoding::Utf16Le => "UTF-16LE",
            }
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::response::IntoResponse;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn session_refusals_are_worded_in_both_languages_and_keep_the_json_error_shape() {
        let r = SessionRefusal::Devices(SessionDevicesRefused::NotNameable(vec![1, 3]));
        let ja = r.message(Lang::Ja);
        assert!(
            ja.contains("#1, #3") && ja.contains("含められません"),
            "{ja}"
        );
        assert!(r
            .message(Lang::En)
            .contains("cannot be part of this request"));
        for r in [
            r,
            SessionRefusal::Devices(SessionDevicesRefused::NoOwnDevice),
            SessionRefusal::PlanChanged,
        ] {
            assert!(!r.message(Lang::Ja).contains("[missing]"));
            let res = r.web_error(Lang::Ja).json().into_response();
            assert_eq!(res.status(), axum::http::StatusCode::UNPROCESSABLE_ENTITY);
            let body = res.into_body().collect().await.unwrap().to_bytes();
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(v["error"]["code"], r.code());
            assert_eq!(v["error"]["message"], r.message(Lang::Ja));
        }
    }
}
