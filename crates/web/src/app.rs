//! The application layer shared by the web UI, the JSON API and the CLI: a store plus the rules that
//! apply before anything reaches it (manufacturer names canonicalised, text tidied, files parsed).

use mdsec_domain::manufacturer::ManufacturerAliases;
use mdsec_domain::DeviceFields;
use mdsec_format_core::FormatError;
use mdsec_store::{Actor, ImportReport, ImportRow, NewUser, Role, Store, StoreError, User};
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
