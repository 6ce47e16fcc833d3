use mdsec_domain::DeviceFields;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Who did something. Every mutating call names an actor so the audit log can say who.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub username: String,
}

impl Actor {
    pub fn user(user: &User) -> Self {
        Actor {
            user_id: Some(user.id),
            username: user.username.clone(),
        }
    }
    /// mdsec itself (first start, demo load, migrations).
    pub fn system() -> Self {
        Actor {
            user_id: None,
            username: "system".into(),
        }
    }
}

/// A device in the ledger, as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Device {
    pub id: i64,
    /// Incremented on every change; used for optimistic concurrency.
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    pub deleted: bool,
    #[serde(flatten)]
    pub fields: DeviceFields,
}

/// Sortable columns of the device list. Only these reach SQL, so sorting cannot inject anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceSort {
    #[default]
    ManagementNumber,
    Name,
    DeviceType,
    Manufacturer,
    Model,
    Department,
    Ip,
    EosDate,
    UpdatedAt,
}

impl DeviceSort {
    pub const ALL: &'static [DeviceSort] = &[
        DeviceSort::ManagementNumber,
        DeviceSort::Name,
        DeviceSort::DeviceType,
        DeviceSort::Manufacturer,
        DeviceSort::Model,
        DeviceSort::Department,
        DeviceSort::Ip,
        DeviceSort::EosDate,
        DeviceSort::UpdatedAt,
    ];
    pub fn column(self) -> &'static str {
        match self {
            DeviceSort::ManagementNumber => "management_number",
            DeviceSort::Name => "name",
            DeviceSort::DeviceType => "device_type",
            DeviceSort::Manufacturer => "manufacturer",
            DeviceSort::Model => "model",
            DeviceSort::Department => "department",
            DeviceSort::Ip => "ip",
            DeviceSort::EosDate => "eos_date",
            DeviceSort::UpdatedAt => "updated_at",
        }
    }
    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.column() == s)
    }
}

/// Which devices a free-text search may find by their IP or MAC address. A user must not be able to
/// find a device by an address it is not allowed to see (least privilege, ARCHITECTURE.md).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum AddressSearch {
    /// Every device (the default).
    #[default]
    All,
    /// Only devices of this department.
    Department(String),
    /// No device: the text is not compared with IP or MAC at all.
    Nowhere,
}

/// A filtered, sorted, paginated request for devices.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeviceQuery {
    /// Free-text search over name, management number, manufacturer, model, serial, IP, MAC, location.
    pub text: Option<String>,
    /// Where `text` is also compared with IP and MAC addresses.
    pub address_search: AddressSearch,
    pub department: Option<String>,
    pub status: Option<String>,
    pub criticality: Option<String>,
    pub remote_line: Option<String>,
    /// Exact manufacturer; also how a manufacturer account is confined to its own products.
    pub manufacturer: Option<String>,
    /// Only devices whose end of support is on or before this ISO date.
    pub eos_before: Option<String>,
    pub sort: DeviceSort,
    pub descending: bool,
    pub limit: i64,
    pub offset: i64,
}

impl DeviceQuery {
    pub const MAX_LIMIT: i64 = 1000;
    pub fn clamped(mut self) -> Self {
        self.limit = self.limit.clamp(1, Self::MAX_LIMIT);
        self.offset = self.offset.max(0);
        self
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
}

/// One entry of a device's history: what changed, field by field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    pub id: i64,
    pub device_id: i64,
    pub at: String,
    pub actor: String,
    /// `create`, `update`, `delete`, `import`
    pub action: String,
    pub changes: Vec<FieldChange>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The field-by-field difference between two versions of a device. Deterministic order.
pub fn diff_fields(before: &DeviceFields, after: &DeviceFields) -> Vec<FieldChange> {
    let b = flatten(before);
    let a = flatten(after);
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|k| {
            let (bv, av) = (b.get(k).cloned(), a.get(k).cloned());
            (bv != av).then(|| FieldChange {
                field: k.clone(),
                before: bv,
                after: av,
            })
        })
        .collect()
}

/// Field name → display value, custom fields as `custom.<name>`.
pub fn flatten(fields: &DeviceFields) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Ok(serde_json::Value::Object(map)) = serde_json::to_value(fields) {
        for (k, v) in map {
            match v {
                serde_json::Value::Null => {}
                serde_json::Value::String(s) => {
                    if !s.is_empty() {
                        out.insert(k, s);
                    }
                }
                serde_json::Value::Object(custom) if k == "custom" => {
                    for (ck, cv) in custom {
                        if let serde_json::Value::String(s) = cv {
                            out.insert(format!("custom.{ck}"), s);
                        }
                    }
                }
                other => {
                    out.insert(k, other.to_string());
                }
            }
        }
    }
    out
}

/// One valid row of an import file.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRow {
    /// 1-based row number in the source file, for the report.
    pub row: u64,
    pub fields: DeviceFields,
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportReport {
    pub source: String,
    pub dry_run: bool,
    pub new: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Rows that matched a device already touched by an earlier row of the same file.
    pub duplicates: Vec<ImportIssue>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportIssue {
    pub row: u64,
    pub reason: String,
}

/// The seven roles of mdsec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// システム管理者
    Admin,
    /// 医療情報システム安全管理責任者
    Isso,
    /// 医療機器安全管理責任者
    DeviceSafety,
    /// 部門担当者 — edits only its department's devices
    DepartmentUser,
    /// 経営層 — read-only dashboards
    Executive,
    /// 監査担当 — read-only plus audit log
    Auditor,
    /// 製造販売業者 — sees only its own products
    Manufacturer,
}

impl Role {
    pub const ALL: &'static [Role] = &[
        Role::Admin,
        Role::Isso,
        Role::DeviceSafety,
        Role::DepartmentUser,
        Role::Executive,
        Role::Auditor,
        Role::Manufacturer,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Isso => "isso",
            Role::DeviceSafety => "device_safety",
            Role::DepartmentUser => "department_user",
            Role::Executive => "executive",
            Role::Auditor => "auditor",
            Role::Manufacturer => "manufacturer",
        }
    }
    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|r| r.code() == s)
    }
    /// Roles that must use a second factor once TOTP is enforced.
    pub fn is_administrative(self) -> bool {
        matches!(self, Role::Admin | Role::Isso | Role::DeviceSafety)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    #[serde(skip)]
    pub password_hash: String,
    pub role: Role,
    /// For department users: the department whose devices they may edit.
    pub department: Option<String>,
    /// For manufacturer accounts: the canonical manufacturer whose products they see.
    pub manufacturer: Option<String>,
    #[serde(skip)]
    pub totp_secret: Option<String>,
    pub disabled: bool,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
    pub department: Option<String>,
    pub manufacturer: Option<String>,
}

/// A server-side login session. Only the SHA-256 of the cookie value is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub id_hash: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub created_at: String,
    pub expires_at: String,
    /// False until the second factor was given (for users with TOTP).
    pub verified: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditQuery {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub limit: i64,
    pub offset: i64,
}
