//! The one SQL implementation of [`mdsec_store::Store`].
//!
//! Owns: every SQL statement mdsec runs. The statements are written once, in the common subset of
//! SQLite and PostgreSQL (`$N` placeholders, which sqlx accepts for both; TEXT timestamps in RFC 3339
//! UTC; BIGINT ids assigned under the write lock), and run through sqlx's `Any` driver. What differs
//! between the engines — DDL, triggers that make the audit log append-only, pragmas — lives in the
//! backend crates' migrations. Invariant: every mutating method takes the write lock (the
//! `write_lock` row), appends its audit entries and commits in one transaction.

mod checklist;
mod devices;
mod intel;
mod migrate;
mod observations;
mod remote_lines;

pub use migrate::{migrate, Migration};

use async_trait::async_trait;
use mdsec_domain::DeviceFields;
use mdsec_store::audit::{entry_hash, GENESIS};
use mdsec_store::*;
use sqlx::any::AnyRow;
use sqlx::AnyPool;
use sqlx::{Any, Row, Transaction};

/// The few spots where SQLite and PostgreSQL spell things differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A [`Store`] over a sqlx `Any` pool.
pub struct SqlStore {
    pool: AnyPool,
    dialect: Dialect,
}

pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub(crate) fn db_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) => {
            let msg = d.message().to_string();
            if msg.contains("UNIQUE") || msg.contains("unique") || msg.contains("duplicate key") {
                StoreError::Conflict(msg)
            } else if msg.contains("append-only")
                || msg.contains("CHECK")
                || msg.contains("check constraint")
                || msg.contains("NOT NULL")
                || msg.contains("not-null")
            {
                StoreError::Refused(msg)
            } else {
                StoreError::Backend(msg)
            }
        }
        _ => StoreError::Backend(e.to_string()),
    }
}

/// A value bound into a statement. `Any` supports only a few types; these are the ones we use.
#[derive(Debug, Clone)]
pub(crate) enum Val {
    Text(Option<String>),
    Int(Option<i64>),
}

impl From<Option<String>> for Val {
    fn from(v: Option<String>) -> Self {
        Val::Text(v)
    }
}
impl From<String> for Val {
    fn from(v: String) -> Self {
        Val::Text(Some(v))
    }
}
impl From<&str> for Val {
    fn from(v: &str) -> Self {
        Val::Text(Some(v.to_string()))
    }
}
impl From<i64> for Val {
    fn from(v: i64) -> Self {
        Val::Int(Some(v))
    }
}
impl From<Option<i64>> for Val {
    fn from(v: Option<i64>) -> Self {
        Val::Int(v)
    }
}

pub(crate) fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    vals: Vec<Val>,
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
    for v in vals {
        q = match v {
            Val::Text(t) => q.bind(t),
            Val::Int(i) => q.bind(i),
        };
    }
    q
}

/// Insert many rows with few statements. Chunks stay under both engines' parameter limits.
pub(crate) async fn insert_batch(
    tx: &mut Transaction<'_, Any>,
    dialect: Dialect,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Val>>,
) -> StoreResult<()> {
    insert_batch_then(tx, dialect, table, columns, rows, "").await
}

/// [`insert_batch`] with `suffix` after the values, e.g. an `ON CONFLICT …` clause for upserts.
pub(crate) async fn insert_batch_then(
    tx: &mut Transaction<'_, Any>,
    dialect: Dialect,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Val>>,
    suffix: &str,
) -> StoreResult<()> {
    // Large enough to amortise statement overhead, small enough that SQLite plans it quickly.
    const MAX_PARAMS: usize = 4_000;
    let per_chunk = (MAX_PARAMS / columns.len().max(1)).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Val>> = rows.by_ref().take(per_chunk).collect();
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        let mut n = 0;
        for (i, _) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for c in 0..columns.len() {
                if c > 0 {
                    sql.push_str(", ");
                }
                n += 1;
                // SQLite resolves every `$N` by name, which is quadratic in the number of
                // parameters; anonymous `?` in order is the same binding without that cost.
                match dialect {
                    Dialect::Sqlite => sql.push('?'),
                    Dialect::Postgres => sql.push_str(&format!("${n}")),
                }
            }
            sql.push(')');
        }
        if !suffix.is_empty() {
            sql.push(' ');
            sql.push_str(suffix);
        }
        let q = bind_all(sqlx::query(&sql), chunk.into_iter().flatten().collect());
        q.execute(&mut **tx).await.map_err(db_err)?;
    }
    Ok(())
}

/// Appends audit entries inside a write transaction, continuing the hash chain.
pub(crate) struct AuditWriter {
    dialect: Dialect,
    seq: i64,
    prev: String,
    pending: Vec<Vec<Val>>,
}

const AUDIT_COLUMNS: &[&str] = &[
    "seq",
    "at",
    "actor",
    "action",
    "entity",
    "entity_id",
    "before_state",
    "after_state",
    "prev_hash",
    "hash",
];

impl AuditWriter {
    pub(crate) fn push(&mut self, e: NewAuditEntry) {
        let at = now();
        self.seq += 1;
        let hash = entry_hash(
            &self.prev,
            self.seq,
            &at,
            &e.actor,
            &e.action,
            &e.entity,
            e.entity_id.as_deref(),
            e.before.as_deref(),
            e.after.as_deref(),
        );
        self.pending.push(vec![
            self.seq.into(),
            at.into(),
            e.actor.into(),
            e.action.into(),
            e.entity.into(),
            e.entity_id.into(),
            e.before.into(),
            e.after.into(),
            self.prev.clone().into(),
            hash.clone().into(),
        ]);
        self.prev = hash;
    }
    pub(crate) async fn flush(&mut self, tx: &mut Transaction<'_, Any>) -> StoreResult<()> {
        let rows = std::mem::take(&mut self.pending);
        insert_batch(tx, self.dialect, "audit_log", AUDIT_COLUMNS, rows).await
    }
}

impl SqlStore {
    pub fn new(pool: AnyPool, dialect: Dialect) -> Self {
        SqlStore { pool, dialect }
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Begin a write transaction: take the write lock first, so writers (also in other processes)
    /// queue up instead of failing, and the audit chain head cannot move under us.
    pub(crate) async fn begin_write(&self) -> StoreResult<(Transaction<'_, Any>, AuditWriter)> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        sqlx::query("UPDATE write_lock SET taken_at = $1 WHERE id = 1")
            .bind(now())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let head = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        let (seq, prev) = match head {
            Some(r) => (
                r.try_get::<i64, _>(0).map_err(db_err)?,
                r.try_get::<String, _>(1).map_err(db_err)?,
            ),
            None => (0, GENESIS.to_string()),
        };
        Ok((
            tx,
            AuditWriter {
                dialect: self.dialect,
                seq,
                prev,
                pending: Vec::new(),
            },
        ))
    }

    pub(crate) async fn commit(
        &self,
        mut tx: Transaction<'_, Any>,
        mut audit: AuditWriter,
    ) -> StoreResult<()> {
        audit.flush(&mut tx).await?;
        tx.commit().await.map_err(db_err)
    }

    pub(crate) fn dialect(&self) -> Dialect {
        self.dialect
    }

    pub(crate) fn like(&self) -> &'static str {
        match self.dialect {
            Dialect::Sqlite => "LIKE",
            Dialect::Postgres => "ILIKE",
        }
    }
}

fn user_from_row(r: &AnyRow) -> Result<User, sqlx::Error> {
    let role: String = r.try_get("role")?;
    Ok(User {
        id: r.try_get("id")?,
        username: r.try_get("username")?,
        display_name: r.try_get("display_name")?,
        password_hash: r.try_get("password_hash")?,
        role: Role::from_code(&role).unwrap_or(Role::Executive),
        department: r.try_get("department")?,
        manufacturer: r.try_get("manufacturer")?,
        totp_secret: r.try_get("totp_secret")?,
        disabled: r.try_get::<i64, _>("disabled")? != 0,
        created_at: r.try_get("created_at")?,
    })
}

fn audit_from_row(r: &AnyRow) -> Result<AuditEntry, sqlx::Error> {
    Ok(AuditEntry {
        seq: r.try_get("seq")?,
        at: r.try_get("at")?,
        actor: r.try_get("actor")?,
        action: r.try_get("action")?,
        entity: r.try_get("entity")?,
        entity_id: r.try_get("entity_id")?,
        before: r.try_get("before_state")?,
        after: r.try_get("after_state")?,
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

const USER_COLUMNS: &str =
    "id, username, display_name, password_hash, role, department, manufacturer, totp_secret, disabled, created_at";

fn user_json(u: &User) -> String {
    serde_json::to_string(u).unwrap_or_default()
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> &'static str {
        match self.dialect {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
        }
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn list_devices(&self, query: &DeviceQuery) -> StoreResult<Page<Device>> {
        devices::list(self, query).await
    }
    async fn get_device(&self, id: i64) -> StoreResult<Option<Device>> {
        devices::get(&self.pool, id).await
    }
    async fn create_device(&self, actor: &Actor, fields: DeviceFields) -> StoreResult<Device> {
        devices::create(self, actor, fields).await
    }
    async fn update_device(
        &self,
        actor: &Actor,
        id: i64,
        fields: DeviceFields,
        expected_version: Option<i64>,
    ) -> StoreResult<Device> {
        devices::update(self, actor, id, fields, expected_version).await
    }
    async fn delete_device(&self, actor: &Actor, id: i64) -> StoreResult<()> {
        devices::delete(self, actor, id).await
    }
    async fn device_history(&self, id: i64) -> StoreResult<Vec<HistoryEntry>> {
        devices::history(&self.pool, id).await
    }
    async fn departments(&self) -> StoreResult<Vec<String>> {
        let rows = sqlx::query(
            "SELECT DISTINCT department FROM devices WHERE deleted_at IS NULL AND department IS NOT NULL ORDER BY department",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| r.try_get::<String, _>(0).map_err(db_err))
            .collect()
    }
    async fn import_devices(
        &self,
        actor: &Actor,
        source: &str,
        rows: Vec<ImportRow>,
        dry_run: bool,
    ) -> StoreResult<ImportReport> {
        devices::import(self, actor, source, rows, dry_run).await
    }

    async fn manufacturer_aliases(&self) -> StoreResult<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT alias, canonical FROM manufacturer_aliases ORDER BY alias")
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter()
            .map(|r| Ok((r.try_get(0).map_err(db_err)?, r.try_get(1).map_err(db_err)?)))
            .collect()
    }

    async fn add_manufacturer_alias(
        &self,
        actor: &Actor,
        alias: &str,
        canonical: &str,
    ) -> StoreResult<()> {
        let (mut tx, mut audit) = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO manufacturer_aliases (alias, canonical, created_at) VALUES ($1, $2, $3)",
        )
        .bind(alias.to_string())
        .bind(canonical.to_string())
        .bind(now())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        audit.push(NewAuditEntry {
            actor: actor.username.clone(),
            action: "manufacturer_alias.create".into(),
            entity: "manufacturer_alias".into(),
            entity_id: Some(alias.to_string()),
            before: None,
            after: Some(serde_json::json!({"alias": alias, "canonical": canonical}).to_string()),
        });
        self.commit(tx, audit).await
    }

    async fn count_users(&self) -> StoreResult<i64> {
        let r = sqlx::query("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
        r.try_get(0).map_err(db_err)
    }

    async fn create_user(&self, actor: &Actor, user: NewUser) -> StoreResult<User> {
        let (mut tx, mut audit) = self.begin_write().await?;
        let id: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 FROM users")
            .fetch_one(&mut *tx)
            .await
            .and_then(|r| r.try_get(0))
            .map_err(db_err)?;
        let created_at = now();
        sqlx::query(&format!(
            "INSERT INTO users ({USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, 0, $8)"
        ))
        .bind(id)
        .bind(user.username.clone())
        .bind(user.display_name.clone())
        .bind(user.password_hash.clone())
        .bind(user.role.code().to_string())
        .bind(user.department.clone())
        .bind(user.manufacturer.clone())
        .bind(created_at.clone())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let created = User {
            id,
            username: user.username,
            display_name: user.display_name,
            password_hash: user.password_hash,
            role: user.role,
            department: user.department,
            manufacturer: user.manufacturer,
            totp_secret: None,
            disabled: false,
            created_at,
        };
        audit.push(NewAuditEntry {
            actor: actor.username.clone(),
            action: "user.create".into(),
            entity: "user".into(),
            entity_id: Some(id.to_string()),
            before: None,
            after: Some(user_json(&created)),
        });
        self.commit(tx, audit).await?;
        Ok(created)
    }

    async fn get_user(&self, id: i64) -> StoreResult<Option<User>> {
        let r = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        r.as_ref().map(user_from_row).transpose().map_err(db_err)
    }

    async fn get_user_by_name(&self, username: &str) -> StoreResult<Option<User>> {
        let r = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE username = $1"
        ))
        .bind(username.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        r.as_ref().map(user_from_row).transpose().map_err(db_err)
    }

    async fn list_users(&self) -> StoreResult<Vec<User>> {
        let rows = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY id"))
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter()
            .map(user_from_row)
            .collect::<Result<_, _>>()
            .map_err(db_err)
    }

    async fn set_password(
        &self,
        actor: &Actor,
        user_id: i64,
        password_hash: &str,
    ) -> StoreResult<()> {
        let (mut tx, mut audit) = self.begin_write().await?;
        let n = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash.to_string())
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound(format!("user {user_id}")));
        }
        // Changing a password ends every session of that user.
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        audit.push(NewAuditEntry {
            actor: actor.username.clone(),
            action: "user.password".into(),
            entity: "user".into(),
            entity_id: Some(user_id.to_string()),
            before: None,
            after: None,
        });
        self.commit(tx, audit).await
    }

    async fn set_totp(&self, actor: &Actor, user_id: i64, secret: Option<&str>) -> StoreResult<()> {
        let (mut tx, mut audit) = self.begin_write().await?;
        sqlx::query("UPDATE users SET totp_secret = $1 WHERE id = $2")
            .bind(secret.map(str::to_string))
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        audit.push(NewAuditEntry {
            actor: actor.username.clone(),
            action: if secret.is_some() {
                "user.totp_enable"
            } else {
                "user.totp_disable"
            }
            .into(),
            entity: "user".into(),
            entity_id: Some(user_id.to_string()),
            before: None,
            after: None,
        });
        self.commit(tx, audit).await
    }

    async fn create_session(&self, s: &Session) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at, verified) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(s.id_hash.clone())
        .bind(s.user_id)
        .bind(s.csrf_token.clone())
        .bind(s.created_at.clone())
        .bind(s.expires_at.clone())
        .bind(s.verified as i64)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn get_session(&self, id_hash: &str) -> StoreResult<Option<Session>> {
        let r = sqlx::query(
            "SELECT id_hash, user_id, csrf_token, created_at, expires_at, verified FROM sessions WHERE id_hash = $1",
        )
        .bind(id_hash.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        let Some(r) = r else { return Ok(None) };
        Ok(Some(Session {
            id_hash: r.try_get(0).map_err(db_err)?,
            user_id: r.try_get(1).map_err(db_err)?,
            csrf_token: r.try_get(2).map_err(db_err)?,
            created_at: r.try_get(3).map_err(db_err)?,
            expires_at: r.try_get(4).map_err(db_err)?,
            verified: r.try_get::<i64, _>(5).map_err(db_err)? != 0,
        }))
    }

    async fn mark_session_verified(&self, id_hash: &str) -> StoreResult<()> {
        sqlx::query("UPDATE sessions SET verified = 1 WHERE id_hash = $1")
            .bind(id_hash.to_string())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash.to_string())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn delete_expired_sessions(&self, now: &str) -> StoreResult<u64> {
        let r = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now.to_string())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(r.rows_affected())
    }

    async fn create_token(
        &self,
        actor: &Actor,
        user_id: i64,
        name: &str,
        token_hash: &str,
    ) -> StoreResult<i64> {
        let (mut tx, mut audit) = self.begin_write().await?;
        let id: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 FROM api_tokens")
            .fetch_one(&mut *tx)
            .await
            .and_then(|r| r.try_get(0))
            .map_err(db_err)?;
        sqlx::query(
            "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, revoked) VALUES ($1, $2, $3, $4, $5, 0)",
        )
        .bind(id)
        .bind(user_id)
        .bind(name.to_string())
        .bind(token_hash.to_string())
        .bind(now())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        audit.push(NewAuditEntry {
            actor: actor.username.clone(),
            action: "token.create".into(),
            entity: "api_token".into(),
            entity_id: Some(id.to_string()),
            before: None,
            // Never the token or its hash: only what it is for.
            after: Some(serde_json::json!({"user_id": user_id, "name": name}).to_string()),
        });
        self.commit(tx, audit).await?;
        Ok(id)
    }

    async fn user_for_token(&self, token_hash: &str) -> StoreResult<Option<User>> {
        let cols = USER_COLUMNS
            .split(", ")
            .map(|c| format!("u.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let r = sqlx::query(&format!(
            "SELECT {cols} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND t.revoked = 0 AND u.disabled = 0"
        ))
        .bind(token_hash.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        r.as_ref().map(user_from_row).transpose().map_err(db_err)
    }

    async fn append_audit(&self, entry: NewAuditEntry) -> StoreResult<()> {
        let (tx, mut audit) = self.begin_write().await?;
        audit.push(entry);
        self.commit(tx, audit).await
    }

    async fn list_audit(&self, q: &AuditQuery) -> StoreResult<Page<AuditEntry>> {
        let mut wh = vec!["1 = 1".to_string()];
        let mut vals: Vec<Val> = Vec::new();
        if let Some(e) = &q.entity {
            vals.push(e.clone().into());
            wh.push(format!("entity = ${}", vals.len()));
        }
        if let Some(e) = &q.entity_id {
            vals.push(e.clone().into());
            wh.push(format!("entity_id = ${}", vals.len()));
        }
        let wh = wh.join(" AND ");
        let total: i64 = bind_all(
            sqlx::query(&format!("SELECT COUNT(*) FROM audit_log WHERE {wh}")),
            vals.clone(),
        )
        .fetch_one(&self.pool)
        .await
        .and_then(|r| r.try_get(0))
        .map_err(db_err)?;
        let limit = q.limit.clamp(1, 1000);
        let sql = format!(
            "SELECT {} FROM audit_log WHERE {wh} ORDER BY seq DESC LIMIT {limit} OFFSET {}",
            AUDIT_COLUMNS.join(", "),
            q.offset.max(0)
        );
        let rows = bind_all(sqlx::query(&sql), vals)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        let items = rows
            .iter()
            .map(audit_from_row)
            .collect::<Result<_, _>>()
            .map_err(db_err)?;
        Ok(Page { items, total })
    }

    async fn audit_chain(&self) -> StoreResult<Vec<AuditEntry>> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM audit_log ORDER BY seq",
            AUDIT_COLUMNS.join(", ")
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(audit_from_row)
            .collect::<Result<_, _>>()
            .map_err(db_err)
    }
}

#[async_trait]
impl IntelStore for SqlStore {
    async fn live_devices(&self) -> StoreResult<Vec<Device>> {
        devices::live(&self.pool).await
    }
    async fn import_feed(&self, actor: &Actor, batch: FeedBatch) -> StoreResult<FeedImportReport> {
        intel::import_feed(self, actor, batch).await
    }
    async fn list_advisories(&self, limit: i64, offset: i64) -> StoreResult<Page<AdvisorySummary>> {
        intel::list_advisories(self, limit, offset).await
    }
    async fn get_advisory(&self, id: &str) -> StoreResult<Option<AdvisoryRecord>> {
        intel::get_advisory(self, id).await
    }
    async fn advisory_documents(&self, ids: Option<&[String]>) -> StoreResult<Vec<AdvisoryRecord>> {
        intel::advisory_documents(self, ids).await
    }
    async fn kev_entries(&self) -> StoreResult<Vec<KevRecord>> {
        intel::kev_entries(self).await
    }
    async fn epss_for(&self, cves: &[String]) -> StoreResult<Vec<EpssRecord>> {
        intel::epss_for(self, cves).await
    }
    async fn ensure_device_model(
        &self,
        actor: &Actor,
        manufacturer: &str,
        model: &str,
        version: &str,
    ) -> StoreResult<i64> {
        intel::ensure_device_model(self, actor, manufacturer, model, version).await
    }
    async fn list_device_models(&self) -> StoreResult<Vec<DeviceModelRecord>> {
        intel::list_device_models(self).await
    }
    async fn get_device_model(&self, id: i64) -> StoreResult<Option<DeviceModelRecord>> {
        intel::get_device_model(self, id).await
    }
    async fn attach_sbom(
        &self,
        actor: &Actor,
        model_id: i64,
        sbom: NewSbom,
    ) -> StoreResult<SbomRecord> {
        intel::attach_sbom(self, actor, model_id, sbom).await
    }
    async fn attach_mds2(
        &self,
        actor: &Actor,
        model_id: i64,
        form: NewMds2,
    ) -> StoreResult<Mds2Record> {
        intel::attach_mds2(self, actor, model_id, form).await
    }
    async fn model_sboms(&self, model_id: i64) -> StoreResult<Vec<SbomRecord>> {
        intel::model_sboms(self, model_id).await
    }
    async fn model_mds2(&self, model_id: i64) -> StoreResult<Vec<Mds2Record>> {
        intel::model_mds2(self, model_id).await
    }
    async fn model_components(&self, model_id: i64) -> StoreResult<Vec<ComponentRecord>> {
        intel::model_components(self, model_id).await
    }
    async fn all_components(&self) -> StoreResult<Vec<(i64, ComponentRecord)>> {
        intel::all_components(self).await
    }
    async fn add_vex(
        &self,
        actor: &Actor,
        statements: Vec<VexStatement>,
    ) -> StoreResult<Vec<VexRecord>> {
        intel::add_vex(self, actor, statements).await
    }
    async fn list_vex(&self) -> StoreResult<Vec<VexRecord>> {
        intel::list_vex(self).await
    }
    async fn sync_findings(
        &self,
        actor: &Actor,
        sync: FindingsSync,
    ) -> StoreResult<FindingsSyncReport> {
        intel::sync_findings(self, actor, sync).await
    }
    async fn list_findings(&self, query: &FindingQuery) -> StoreResult<Page<FindingRecord>> {
        intel::list_findings(self, query).await
    }
    async fn get_finding(&self, id: i64) -> StoreResult<Option<FindingRecord>> {
        intel::get_finding(self, id).await
    }
    async fn update_finding(
        &self,
        actor: &Actor,
        id: i64,
        update: FindingUpdate,
    ) -> StoreResult<FindingRecord> {
        intel::update_finding(self, actor, id, update).await
    }
    async fn device_priorities(
        &self,
        open_only: bool,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Page<DevicePriorityRecord>> {
        intel::device_priorities(self, open_only, limit, offset).await
    }
    async fn device_priority(&self, device_id: i64) -> StoreResult<Option<DevicePriorityRecord>> {
        intel::device_priority(self, device_id).await
    }
    async fn create_notices(
        &self,
        actor: &Actor,
        notices: Vec<NewNotice>,
    ) -> StoreResult<Vec<NoticeRecord>> {
        intel::create_notices(self, actor, notices).await
    }
    async fn set_user_email(
        &self,
        actor: &Actor,
        user_id: i64,
        email: Option<&str>,
    ) -> StoreResult<()> {
        intel::set_user_email(self, actor, user_id, email).await
    }
    async fn user_emails(&self) -> StoreResult<Vec<(i64, String)>> {
        intel::user_emails(self).await
    }
    async fn mark_notice_emailed(&self, id: i64) -> StoreResult<()> {
        intel::mark_notice_emailed(self, id).await
    }
    async fn list_notices(
        &self,
        recipient: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<NoticeRecord>> {
        intel::list_notices(self, recipient, limit).await
    }
    async fn update_notice(
        &self,
        actor: &Actor,
        id: i64,
        state: &str,
        assigned_to: Option<&str>,
    ) -> StoreResult<NoticeRecord> {
        intel::update_notice(self, actor, id, state, assigned_to).await
    }
}
