//! The remote-maintenance lines registry in SQL: lines, their devices, sessions and their devices.
//! Every change takes the write lock, checks its invariants inside the transaction (so two requests
//! cannot race past the overlap check) and is audited in the same transaction.

use crate::{bind_all, db_err, now, AuditWriter, SqlStore, Val};
use async_trait::async_trait;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use mdsec_store::*;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use std::collections::{BTreeMap, BTreeSet};

/// Custom ledger columns read as a line's endpoint, in this order (the diagram reads the same ones).
pub const LEDGER_ENDPOINT_COLUMNS: &[&str] = &[
    "remote_endpoint",
    "リモート接続先",
    "リモート保守接続先",
    "接続先",
    "remote endpoint",
];

const LINE_COLUMNS: &str = "id, version, vendor, method, endpoints, vendor_contact, hospital_owner, contract_ref, approval_policy, last_review, notes, source, import_key, retired_at, created_at, updated_at";
const SESSION_COLUMNS: &str = "id, line_id, status, requested_by, requested_by_id, requested_at, window_start, window_end, purpose, decided_by, decided_at, decision_note, emergency, emergency_reason, started_at, started_by, ended_at, ended_by, work_summary, firewall_rule";

fn refused(msg: impl Into<String>) -> StoreError {
    StoreError::Refused(msg.into())
}

fn line_from_row(r: &AnyRow, device_ids: Vec<i64>) -> Result<RemoteLineRecord, sqlx::Error> {
    let method: String = r.try_get("method")?;
    let policy: String = r.try_get("approval_policy")?;
    let endpoints: String = r.try_get("endpoints")?;
    Ok(RemoteLineRecord {
        id: r.try_get("id")?,
        version: r.try_get("version")?,
        vendor: r.try_get("vendor")?,
        method: RemoteMethod::from_code(&method).unwrap_or(RemoteMethod::Other),
        endpoints: serde_json::from_str(&endpoints).unwrap_or_default(),
        device_ids,
        vendor_contact: r.try_get("vendor_contact")?,
        hospital_owner: r.try_get("hospital_owner")?,
        contract_ref: r.try_get("contract_ref")?,
        // An unreadable policy is shown as the discouraged one, never as the safe one.
        approval_policy: ApprovalPolicy::from_code(&policy).unwrap_or(ApprovalPolicy::AlwaysOn),
        last_review: r.try_get("last_review")?,
        notes: r.try_get("notes")?,
        source: r.try_get("source")?,
        retired: r.try_get::<Option<String>, _>("retired_at")?.is_some(),
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn session_from_row(r: &AnyRow, device_ids: Vec<i64>) -> Result<RemoteSessionRecord, sqlx::Error> {
    let status: String = r.try_get("status")?;
    Ok(RemoteSessionRecord {
        id: r.try_get("id")?,
        line_id: r.try_get("line_id")?,
        status: SessionStatus::from_code(&status).unwrap_or(SessionStatus::Requested),
        requested_by: r.try_get("requested_by")?,
        requested_at: r.try_get("requested_at")?,
        window_start: r.try_get("window_start")?,
        window_end: r.try_get("window_end")?,
        purpose: r.try_get("purpose")?,
        device_ids,
        decided_by: r.try_get("decided_by")?,
        decided_at: r.try_get("decided_at")?,
        decision_note: r.try_get("decision_note")?,
        emergency: r.try_get::<i64, _>("emergency")? != 0,
        emergency_reason: r.try_get("emergency_reason")?,
        started_at: r.try_get("started_at")?,
        started_by: r.try_get("started_by")?,
        ended_at: r.try_get("ended_at")?,
        ended_by: r.try_get("ended_by")?,
        work_summary: r.try_get("work_summary")?,
        firewall_rule: r.try_get("firewall_rule")?,
    })
}

/// Device ids per owner id from a link table (`remote_line_devices` or `remote_session_devices`).
async fn links<'e, E>(
    exec: E,
    table: &str,
    owner: &str,
    ids: Option<&[i64]>,
) -> StoreResult<BTreeMap<i64, Vec<i64>>>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    let mut sql = format!("SELECT {owner}, device_id FROM {table}");
    if let Some(ids) = ids {
        if ids.is_empty() {
            return Ok(BTreeMap::new());
        }
        let list: Vec<String> = ids.iter().map(i64::to_string).collect();
        sql.push_str(&format!(" WHERE {owner} IN ({})", list.join(", ")));
    }
    sql.push_str(&format!(" ORDER BY {owner}, device_id"));
    let rows = sqlx::query(&sql).fetch_all(exec).await.map_err(db_err)?;
    let mut out: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for r in rows {
        let o: i64 = r.try_get(0).map_err(db_err)?;
        let d: i64 = r.try_get(1).map_err(db_err)?;
        out.entry(o).or_default().push(d);
    }
    Ok(out)
}

async fn get_line_in(
    tx: &mut Transaction<'_, Any>,
    id: i64,
) -> StoreResult<Option<RemoteLineRecord>> {
    let r = sqlx::query(&format!(
        "SELECT {LINE_COLUMNS} FROM remote_lines WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db_err)?;
    let Some(r) = r else { return Ok(None) };
    let devices = links(&mut **tx, "remote_line_devices", "line_id", Some(&[id]))
        .await?
        .remove(&id)
        .unwrap_or_default();
    line_from_row(&r, devices).map(Some).map_err(db_err)
}

async fn get_session_in(
    tx: &mut Transaction<'_, Any>,
    id: i64,
) -> StoreResult<Option<RemoteSessionRecord>> {
    let r = sqlx::query(&format!(
        "SELECT {SESSION_COLUMNS} FROM remote_sessions WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db_err)?;
    let Some(r) = r else { return Ok(None) };
    let devices = links(
        &mut **tx,
        "remote_session_devices",
        "session_id",
        Some(&[id]),
    )
    .await?
    .remove(&id)
    .unwrap_or_default();
    session_from_row(&r, devices).map(Some).map_err(db_err)
}

/// Refuse device ids that are not live devices of the ledger, naming them.
async fn check_devices(tx: &mut Transaction<'_, Any>, ids: &[i64]) -> StoreResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut known = BTreeSet::new();
    for chunk in ids.chunks(500) {
        let list: Vec<String> = chunk.iter().map(i64::to_string).collect();
        let rows = sqlx::query(&format!(
            "SELECT id FROM devices WHERE deleted_at IS NULL AND id IN ({})",
            list.join(", ")
        ))
        .fetch_all(&mut **tx)
        .await
        .map_err(db_err)?;
        for r in rows {
            known.insert(r.try_get::<i64, _>(0).map_err(db_err)?);
        }
    }
    let unknown: Vec<String> = ids
        .iter()
        .filter(|i| !known.contains(i))
        .map(i64::to_string)
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(refused(format!(
            "unknown device id(s) {}: not in the ledger",
            unknown.join(", ")
        )))
    }
}

async fn set_links(
    tx: &mut Transaction<'_, Any>,
    store: &SqlStore,
    table: &str,
    owner: &str,
    id: i64,
    device_ids: &[i64],
) -> StoreResult<()> {
    sqlx::query(&format!("DELETE FROM {table} WHERE {owner} = $1"))
        .bind(id)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    let rows: Vec<Vec<Val>> = device_ids
        .iter()
        .map(|d| vec![id.into(), (*d).into()])
        .collect();
    crate::insert_batch(tx, store.dialect(), table, &[owner, "device_id"], rows).await
}

fn line_values(l: &NewRemoteLine) -> Vec<Val> {
    vec![
        l.vendor.clone().into(),
        l.method.unwrap_or(RemoteMethod::Other).code().into(),
        serde_json::to_string(&l.endpoints)
            .unwrap_or_else(|_| "[]".into())
            .into(),
        l.vendor_contact.clone().into(),
        l.hospital_owner.clone().into(),
        l.contract_ref.clone().into(),
        l.approval_policy
            .unwrap_or(ApprovalPolicy::PerSession)
            .code()
            .into(),
        l.last_review.clone().into(),
        l.notes.clone().into(),
    ]
}

fn line_json(v: &RemoteLineRecord) -> Option<String> {
    serde_json::to_string(v).ok()
}

fn session_json(v: &RemoteSessionRecord) -> Option<String> {
    serde_json::to_string(v).ok()
}

/// The next id of `table`, under the write lock.
async fn next_id(tx: &mut Transaction<'_, Any>, table: &str) -> StoreResult<i64> {
    sqlx::query(&format!("SELECT COALESCE(MAX(id), 0) + 1 FROM {table}"))
        .fetch_one(&mut **tx)
        .await
        .and_then(|r| r.try_get(0))
        .map_err(db_err)
}

fn audit_line(
    audit: &mut AuditWriter,
    actor: &Actor,
    action: &str,
    before: Option<&RemoteLineRecord>,
    after: &RemoteLineRecord,
) {
    audit.push(NewAuditEntry {
        actor: actor.username.clone(),
        action: format!("remote_line.{action}"),
        entity: "remote_line".into(),
        entity_id: Some(after.id.to_string()),
        before: before.and_then(line_json),
        after: line_json(after),
    });
}

impl SqlStore {
    /// The end of every change to an existing session: read it back, audit before/after, commit.
    async fn commit_session_change(
        &self,
        mut tx: Transaction<'_, Any>,
        mut audit: AuditWriter,
        actor: &Actor,
        action: &str,
        before: &RemoteSessionRecord,
        id: i64,
    ) -> StoreResult<RemoteSessionRecord> {
        let updated = get_session_in(&mut tx, id)
            .await?
            .ok_or_else(|| StoreError::Backend("session vanished".into()))?;
        audit_session(&mut audit, actor, action, Some(before), &updated);
        self.commit(tx, audit).await?;
        Ok(updated)
    }
}

fn audit_session(
    audit: &mut AuditWriter,
    actor: &Actor,
    action: &str,
    before: Option<&RemoteSessionRecord>,
    after: &RemoteSessionRecord,
) {
    audit.push(NewAuditEntry {
        actor: actor.username.clone(),
        action: format!("remote_session.{action}"),
        entity: "remote_session".into(),
        entity_id: Some(after.id.to_string()),
        before: before.and_then(session_json),
        after: session_json(after),
    });
}

async fn insert_line(
    store: &SqlStore,
    tx: &mut Transaction<'_, Any>,
    line: &NewRemoteLine,
    source: &str,
    import_key: Option<String>,
) -> StoreResult<i64> {
    check_devices(tx, &line.device_ids).await?;
    let id = next_id(tx, "remote_lines").await?;
    let at = now();
    let mut vals: Vec<Val> = vec![id.into(), 1i64.into()];
    vals.extend(line_values(line));
    vals.extend([
        source.into(),
        import_key.into(),
        at.clone().into(),
        at.into(),
    ]);
    bind_all(
        sqlx::query(
            "INSERT INTO remote_lines (id, version, vendor, method, endpoints, vendor_contact, hospital_owner, contract_ref, approval_policy, last_review, notes, source, import_key, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        ),
        vals,
    )
    .execute(&mut **tx)
    .await
    .map_err(db_err)?;
    set_links(
        tx,
        store,
        "remote_line_devices",
        "line_id",
        id,
        &line.device_ids,
    )
    .await?;
    Ok(id)
}

fn parse_time(field: &str, s: &str) -> StoreResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            refused(format!(
                "{field} {s:?} is not a date and time (RFC 3339, e.g. 2026-04-01T09:00:00+09:00)"
            ))
        })
}

fn utc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Check a requested window against the rules; returns it normalised to UTC text.
fn check_window(
    start: &str,
    end: &str,
    now: DateTime<Utc>,
) -> StoreResult<(DateTime<Utc>, DateTime<Utc>)> {
    let s = parse_time("window start", start)?;
    let e = parse_time("window end", end)?;
    if e <= s {
        return Err(refused(format!(
            "the window ends ({}) before it starts ({})",
            utc(e),
            utc(s)
        )));
    }
    if e - s > Duration::hours(MAX_WINDOW_HOURS) {
        return Err(refused(format!(
            "the window lasts over {MAX_WINDOW_HOURS} hours; register the line as always on instead of requesting one long session"
        )));
    }
    if e <= now {
        return Err(refused(format!("the window ended already ({})", utc(e))));
    }
    if s > now + Duration::days(MAX_DAYS_AHEAD) {
        return Err(refused(format!(
            "the window starts over {MAX_DAYS_AHEAD} days ahead"
        )));
    }
    Ok((s, e))
}

fn check_text(field: &str, v: &str, required: bool) -> StoreResult<()> {
    if required && v.trim().is_empty() {
        return Err(refused(format!("{field} is required")));
    }
    if v.chars().count() > MAX_FIELD_CHARS {
        return Err(refused(format!(
            "{field} is longer than {MAX_FIELD_CHARS} characters"
        )));
    }
    Ok(())
}

/// The open sessions of a line whose windows overlap [s, e).
async fn overlapping(
    tx: &mut Transaction<'_, Any>,
    line_id: i64,
    s: DateTime<Utc>,
    e: DateTime<Utc>,
) -> StoreResult<Vec<i64>> {
    let rows = sqlx::query(
        "SELECT id, window_start, window_end FROM remote_sessions WHERE line_id = $1 AND status IN ('requested', 'approved', 'active') ORDER BY id",
    )
    .bind(line_id)
    .fetch_all(&mut **tx)
    .await
    .map_err(db_err)?;
    let mut out = Vec::new();
    for r in rows {
        let id: i64 = r.try_get(0).map_err(db_err)?;
        let (a, b): (String, String) =
            (r.try_get(1).map_err(db_err)?, r.try_get(2).map_err(db_err)?);
        let (Ok(a), Ok(b)) = (
            DateTime::parse_from_rfc3339(&a),
            DateTime::parse_from_rfc3339(&b),
        ) else {
            continue;
        };
        if a < e && s < b {
            out.push(id);
        }
    }
    Ok(out)
}

/// Validate a session request against its line; returns the normalised window.
async fn check_request(
    tx: &mut Transaction<'_, Any>,
    session: &NewRemoteSession,
    now_t: DateTime<Utc>,
) -> StoreResult<(RemoteLineRecord, DateTime<Utc>, DateTime<Utc>, Vec<i64>)> {
    let line = get_line_in(tx, session.line_id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("remote line {}", session.line_id)))?;
    if line.retired {
        return Err(refused(format!(
            "remote line {} is retired; no new sessions",
            line.id
        )));
    }
    check_text("purpose", &session.purpose, true)?;
    let (s, e) = check_window(&session.window_start, &session.window_end, now_t)?;
    let mut devices = session.device_ids.clone();
    devices.sort_unstable();
    devices.dedup();
    if devices.len() > MAX_DEVICES_PER_LINE {
        return Err(refused(format!("more than {MAX_DEVICES_PER_LINE} devices")));
    }
    check_devices(tx, &devices).await?;
    if !line.device_ids.is_empty() {
        let foreign: Vec<String> = devices
            .iter()
            .filter(|d| line.device_ids.binary_search(d).is_err())
            .map(i64::to_string)
            .collect();
        if !foreign.is_empty() {
            return Err(refused(format!(
                "device id(s) {} are not served by remote line {}",
                foreign.join(", "),
                line.id
            )));
        }
    }
    Ok((line, s, e, devices))
}

#[allow(clippy::too_many_arguments)]
async fn insert_session(
    store: &SqlStore,
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    line_id: i64,
    status: SessionStatus,
    window: (DateTime<Utc>, DateTime<Utc>),
    purpose: &str,
    devices: &[i64],
    emergency_reason: Option<&str>,
) -> StoreResult<i64> {
    let id = next_id(tx, "remote_sessions").await?;
    let at = now();
    let started = (status == SessionStatus::Active).then(|| at.clone());
    bind_all(
        sqlx::query(
            "INSERT INTO remote_sessions (id, line_id, status, requested_by, requested_by_id, requested_at, window_start, window_end, purpose, emergency, emergency_reason, started_at, started_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        ),
        vec![
            id.into(),
            line_id.into(),
            status.code().into(),
            actor.username.clone().into(),
            actor.user_id.into(),
            at.into(),
            utc(window.0).into(),
            utc(window.1).into(),
            purpose.trim().into(),
            i64::from(emergency_reason.is_some()).into(),
            emergency_reason.map(|r| r.trim().to_string()).into(),
            started.clone().into(),
            started.map(|_| actor.username.clone()).into(),
        ],
    )
    .execute(&mut **tx)
    .await
    .map_err(db_err)?;
    set_links(
        tx,
        store,
        "remote_session_devices",
        "session_id",
        id,
        devices,
    )
    .await?;
    Ok(id)
}

/// Is `actor` the one who requested `s`?
fn is_requester(actor: &Actor, s: &RemoteSessionRecord, requested_by_id: Option<i64>) -> bool {
    match (actor.user_id, requested_by_id) {
        (Some(a), Some(b)) => a == b,
        _ => actor.username == s.requested_by,
    }
}

async fn session_for_change(
    tx: &mut Transaction<'_, Any>,
    id: i64,
) -> StoreResult<(RemoteSessionRecord, Option<i64>)> {
    let s = get_session_in(tx, id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("remote session {id}")))?;
    let requested_by_id: Option<i64> =
        sqlx::query("SELECT requested_by_id FROM remote_sessions WHERE id = $1")
            .bind(id)
            .fetch_one(&mut **tx)
            .await
            .and_then(|r| r.try_get(0))
            .map_err(db_err)?;
    Ok((s, requested_by_id))
}

#[async_trait]
impl RemoteLineStore for SqlStore {
    async fn list_remote_lines(&self) -> StoreResult<Vec<RemoteLineRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {LINE_COLUMNS} FROM remote_lines ORDER BY CASE WHEN retired_at IS NULL THEN 0 ELSE 1 END, vendor, id"
        ))
        .fetch_all(self.pool())
        .await
        .map_err(db_err)?;
        let mut devices = links(self.pool(), "remote_line_devices", "line_id", None).await?;
        rows.iter()
            .map(|r| {
                let id: i64 = r.try_get("id")?;
                line_from_row(r, devices.remove(&id).unwrap_or_default())
            })
            .collect::<Result<_, _>>()
            .map_err(db_err)
    }

    async fn get_remote_line(&self, id: i64) -> StoreResult<Option<RemoteLineRecord>> {
        let mut tx = self.pool().begin().await.map_err(db_err)?;
        let l = get_line_in(&mut tx, id).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(l)
    }

    async fn create_remote_line(
        &self,
        actor: &Actor,
        line: NewRemoteLine,
    ) -> StoreResult<RemoteLineRecord> {
        let line = line.checked().map_err(refused)?;
        let (mut tx, mut audit) = self.begin_write().await?;
        let id = insert_line(self, &mut tx, &line, "manual", None).await?;
        let created = get_line_in(&mut tx, id)
            .await?
            .ok_or_else(|| StoreError::Backend("created line vanished".into()))?;
        audit_line(&mut audit, actor, "create", None, &created);
        self.commit(tx, audit).await?;
        Ok(created)
    }

    async fn update_remote_line(
        &self,
        actor: &Actor,
        id: i64,
        line: NewRemoteLine,
        expected_version: Option<i64>,
    ) -> StoreResult<RemoteLineRecord> {
        let line = line.checked().map_err(refused)?;
        let (mut tx, mut audit) = self.begin_write().await?;
        let current = get_line_in(&mut tx, id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("remote line {id}")))?;
        if let Some(v) = expected_version {
            if v != current.version {
                return Err(StoreError::Conflict(format!(
                    "remote line {id} was changed by someone else (version {} now, {v} expected)",
                    current.version
                )));
            }
        }
        check_devices(&mut tx, &line.device_ids).await?;
        let mut vals = line_values(&line);
        vals.push(now().into());
        vals.push(id.into());
        bind_all(
            sqlx::query(
                "UPDATE remote_lines SET vendor = $1, method = $2, endpoints = $3, vendor_contact = $4, hospital_owner = $5, contract_ref = $6, approval_policy = $7, last_review = $8, notes = $9, updated_at = $10, version = version + 1 WHERE id = $11",
            ),
            vals,
        )
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        set_links(
            &mut tx,
            self,
            "remote_line_devices",
            "line_id",
            id,
            &line.device_ids,
        )
        .await?;
        let updated = get_line_in(&mut tx, id)
            .await?
            .ok_or_else(|| StoreError::Backend("updated line vanished".into()))?;
        audit_line(&mut audit, actor, "update", Some(&current), &updated);
        self.commit(tx, audit).await?;
        Ok(updated)
    }

    async fn retire_remote_line(&self, actor: &Actor, id: i64) -> StoreResult<RemoteLineRecord> {
        let (mut tx, mut audit) = self.begin_write().await?;
        let current = get_line_in(&mut tx, id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("remote line {id}")))?;
        if current.retired {
            return Ok(current);
        }
        let open = sqlx::query(
            "SELECT COUNT(*) FROM remote_sessions WHERE line_id = $1 AND status = 'active'",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .and_then(|r| r.try_get::<i64, _>(0))
        .map_err(db_err)?;
        if open > 0 {
            return Err(refused(format!(
                "remote line {id} has an active session; end it before retiring the line"
            )));
        }
        let at = now();
        sqlx::query(
            "UPDATE remote_lines SET retired_at = $1, updated_at = $1, version = version + 1 WHERE id = $2",
        )
        .bind(at)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        // Pending sessions of a retired line are withdrawn with it.
        sqlx::query(
            "UPDATE remote_sessions SET status = 'cancelled' WHERE line_id = $1 AND status IN ('requested', 'approved')",
        )
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let updated = get_line_in(&mut tx, id)
            .await?
            .ok_or_else(|| StoreError::Backend("retired line vanished".into()))?;
        audit_line(&mut audit, actor, "retire", Some(&current), &updated);
        self.commit(tx, audit).await?;
        Ok(updated)
    }

    async fn import_remote_lines_from_ledger(
        &self,
        actor: &Actor,
    ) -> StoreResult<RemoteLineImportReport> {
        let (mut tx, mut audit) = self.begin_write().await?;
        let rows = sqlx::query(
            "SELECT id, manufacturer, remote_method, custom FROM devices WHERE deleted_at IS NULL AND remote_line = 'yes' AND status <> 'disposed' ORDER BY id",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
        // (endpoint, method text) → (manufacturers, device ids)
        let mut groups: BTreeMap<(String, String), (BTreeSet<String>, Vec<i64>)> = BTreeMap::new();
        for r in &rows {
            let id: i64 = r.try_get(0).map_err(db_err)?;
            let maker: Option<String> = r.try_get(1).map_err(db_err)?;
            let method: Option<String> = r.try_get(2).map_err(db_err)?;
            let custom: Option<String> = r.try_get(3).map_err(db_err)?;
            let custom: BTreeMap<String, String> = custom
                .and_then(|c| serde_json::from_str(&c).ok())
                .unwrap_or_default();
            let endpoint = LEDGER_ENDPOINT_COLUMNS
                .iter()
                .find_map(|k| custom.get(*k))
                .map(|e| e.trim().to_string())
                .filter(|e| valid_endpoint(e))
                .unwrap_or_default();
            let g = groups
                .entry((endpoint, method.unwrap_or_default().trim().to_string()))
                .or_default();
            if let Some(m) = maker {
                g.0.insert(m);
            }
            g.1.push(id);
        }
        let mut report = RemoteLineImportReport::default();
        for ((endpoint, method), (makers, devices)) in groups {
            report.devices += devices.len() as u64;
            let key = format!("ledger:{endpoint}|{method}");
            let existing: Option<i64> =
                sqlx::query("SELECT id FROM remote_lines WHERE import_key = $1")
                    .bind(key.clone())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db_err)?
                    .map(|r| r.try_get(0))
                    .transpose()
                    .map_err(db_err)?;
            match existing {
                Some(id) => {
                    let before = get_line_in(&mut tx, id)
                        .await?
                        .ok_or_else(|| StoreError::Backend("line vanished".into()))?;
                    let mut all: Vec<i64> = before.device_ids.clone();
                    all.extend(&devices);
                    all.sort_unstable();
                    all.dedup();
                    if all == before.device_ids {
                        report.unchanged += 1;
                        continue;
                    }
                    set_links(&mut tx, self, "remote_line_devices", "line_id", id, &all).await?;
                    sqlx::query(
                        "UPDATE remote_lines SET version = version + 1, updated_at = $1 WHERE id = $2",
                    )
                    .bind(now())
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    let after = get_line_in(&mut tx, id)
                        .await?
                        .ok_or_else(|| StoreError::Backend("line vanished".into()))?;
                    audit_line(&mut audit, actor, "import", Some(&before), &after);
                    report.updated += 1;
                }
                None => {
                    let vendor = if makers.is_empty() {
                        "製造販売業者不明 / vendor unknown".to_string()
                    } else {
                        makers.into_iter().collect::<Vec<_>>().join(", ")
                    };
                    let line = NewRemoteLine {
                        vendor,
                        method: Some(RemoteMethod::from_ledger_text(&method)),
                        endpoints: if endpoint.is_empty() {
                            Vec::new()
                        } else {
                            vec![endpoint]
                        },
                        device_ids: devices,
                        approval_policy: Some(ApprovalPolicy::PerSession),
                        notes: (!method.is_empty()).then(|| {
                            format!("台帳のリモート保守回線欄から取り込み（接続方法: {method}）")
                        }),
                        ..Default::default()
                    }
                    .checked()
                    .map_err(refused)?;
                    let id = insert_line(self, &mut tx, &line, "ledger", Some(key)).await?;
                    let created = get_line_in(&mut tx, id)
                        .await?
                        .ok_or_else(|| StoreError::Backend("line vanished".into()))?;
                    audit_line(&mut audit, actor, "import", None, &created);
                    report.created += 1;
                }
            }
        }
        self.commit(tx, audit).await?;
        Ok(report)
    }

    async fn request_remote_session(
        &self,
        actor: &Actor,
        session: NewRemoteSession,
    ) -> StoreResult<RemoteSessionRecord> {
        let (mut tx, mut audit) = self.begin_write().await?;
        let now_t = Utc::now();
        let (line, s, e, devices) = check_request(&mut tx, &session, now_t).await?;
        let clash = overlapping(&mut tx, line.id, s, e).await?;
        if !clash.is_empty() {
            let ids: Vec<String> = clash.iter().map(|i| format!("#{i}")).collect();
            return Err(StoreError::Conflict(format!(
                "the window overlaps session {} on remote line {}",
                ids.join(", "),
                line.id
            )));
        }
        let id = insert_session(
            self,
            &mut tx,
            actor,
            line.id,
            SessionStatus::Requested,
            (s, e),
            &session.purpose,
            &devices,
            None,
        )
        .await?;
        let created = get_session_in(&mut tx, id)
            .await?
            .ok_or_else(|| StoreError::Backend("created session vanished".into()))?;
        audit_session(&mut audit, actor, "request", None, &created);
        self.commit(tx, audit).await?;
        Ok(created)
    }

    async fn decide_remote_session(
        &self,
        actor: &Actor,
        id: i64,
        decision: SessionDecision,
    ) -> StoreResult<RemoteSessionRecord> {
        let (mut tx, audit) = self.begin_write().await?;
        let (current, requested_by_id) = session_for_change(&mut tx, id).await?;
        if current.status != SessionStatus::Requested {
            return Err(refused(format!(
                "remote session {id} is {}, not waiting for a decision",
                current.status.code()
            )));
        }
        if is_requester(actor, &current, requested_by_id) {
            return Err(refused(format!(
                "{} requested remote session {id} and cannot approve or reject it; another person must decide",
                actor.username
            )));
        }
        if let Some(n) = &decision.note {
            check_text("note", n, false)?;
        }
        if decision.approve {
            let end = parse_time("window end", &current.window_end)?;
            if end <= Utc::now() {
                return Err(refused(format!(
                    "the window of remote session {id} has ended; it can only be rejected"
                )));
            }
        }
        let status = if decision.approve {
            SessionStatus::Approved
        } else {
            SessionStatus::Rejected
        };
        let rule = if decision.approve {
            decision.firewall_rule.clone()
        } else {
            None
        };
        sqlx::query(
            "UPDATE remote_sessions SET status = $1, decided_by = $2, decided_at = $3, decision_note = $4, firewall_rule = $5 WHERE id = $6",
        )
        .bind(status.code().to_string())
        .bind(actor.username.clone())
        .bind(now())
        .bind(decision.note.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(String::from))
        .bind(rule)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let action = if decision.approve {
            "approve"
        } else {
            "reject"
        };
        self.commit_session_change(tx, audit, actor, action, &current, id)
            .await
    }

    async fn emergency_remote_session(
        &self,
        actor: &Actor,
        session: NewRemoteSession,
        reason: &str,
    ) -> StoreResult<RemoteSessionRecord> {
        if reason.trim().is_empty() {
            return Err(refused(
                "an emergency override needs a reason (who asked, what is failing)",
            ));
        }
        check_text("reason", reason, true)?;
        let (mut tx, mut audit) = self.begin_write().await?;
        let now_t = Utc::now();
        // The window starts now, whatever was asked.
        let session = NewRemoteSession {
            window_start: utc(now_t),
            ..session
        };
        let (line, s, e, devices) = check_request(&mut tx, &session, now_t).await?;
        let id = insert_session(
            self,
            &mut tx,
            actor,
            line.id,
            SessionStatus::Active,
            (s, e),
            &session.purpose,
            &devices,
            Some(reason),
        )
        .await?;
        let created = get_session_in(&mut tx, id)
            .await?
            .ok_or_else(|| StoreError::Backend("created session vanished".into()))?;
        audit_session(&mut audit, actor, "emergency", None, &created);
        self.commit(tx, audit).await?;
        Ok(created)
    }

    async fn start_remote_session(
        &self,
        actor: &Actor,
        id: i64,
    ) -> StoreResult<RemoteSessionRecord> {
        let (mut tx, audit) = self.begin_write().await?;
        let (current, _) = session_for_change(&mut tx, id).await?;
        if current.status != SessionStatus::Approved {
            return Err(refused(format!(
                "remote session {id} is {}; only an approved session can start",
                current.status.code()
            )));
        }
        let now_t = Utc::now();
        let s = parse_time("window start", &current.window_start)?;
        let e = parse_time("window end", &current.window_end)?;
        if now_t < s || now_t >= e {
            return Err(refused(format!(
                "remote session {id} may start only inside its window {} – {}",
                current.window_start, current.window_end
            )));
        }
        sqlx::query(
            "UPDATE remote_sessions SET status = 'active', started_at = $1, started_by = $2 WHERE id = $3",
        )
        .bind(now())
        .bind(actor.username.clone())
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        self.commit_session_change(tx, audit, actor, "start", &current, id)
            .await
    }

    async fn end_remote_session(
        &self,
        actor: &Actor,
        id: i64,
        work_summary: Option<&str>,
    ) -> StoreResult<RemoteSessionRecord> {
        if let Some(w) = work_summary {
            check_text("work summary", w, false)?;
        }
        let (mut tx, audit) = self.begin_write().await?;
        let (current, _) = session_for_change(&mut tx, id).await?;
        if current.status != SessionStatus::Active {
            return Err(refused(format!(
                "remote session {id} is {}; only an active session can end",
                current.status.code()
            )));
        }
        sqlx::query(
            "UPDATE remote_sessions SET status = 'ended', ended_at = $1, ended_by = $2, work_summary = $3 WHERE id = $4",
        )
        .bind(now())
        .bind(actor.username.clone())
        .bind(work_summary.map(str::trim).filter(|w| !w.is_empty()).map(String::from))
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        self.commit_session_change(tx, audit, actor, "end", &current, id)
            .await
    }

    async fn cancel_remote_session(
        &self,
        actor: &Actor,
        id: i64,
    ) -> StoreResult<RemoteSessionRecord> {
        let (mut tx, audit) = self.begin_write().await?;
        let (current, _) = session_for_change(&mut tx, id).await?;
        if !matches!(
            current.status,
            SessionStatus::Requested | SessionStatus::Approved
        ) {
            return Err(refused(format!(
                "remote session {id} is {}; only a requested or approved session can be cancelled",
                current.status.code()
            )));
        }
        sqlx::query("UPDATE remote_sessions SET status = 'cancelled' WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        self.commit_session_change(tx, audit, actor, "cancel", &current, id)
            .await
    }

    async fn get_remote_session(&self, id: i64) -> StoreResult<Option<RemoteSessionRecord>> {
        let mut tx = self.pool().begin().await.map_err(db_err)?;
        let s = get_session_in(&mut tx, id).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(s)
    }

    async fn list_remote_sessions(
        &self,
        q: &RemoteSessionQuery,
    ) -> StoreResult<Page<RemoteSessionRecord>> {
        let mut wh = vec!["1 = 1".to_string()];
        let mut vals: Vec<Val> = Vec::new();
        if let Some(l) = q.line_id {
            vals.push(l.into());
            wh.push(format!("line_id = ${}", vals.len()));
        }
        if let Some(s) = q.status {
            vals.push(s.code().into());
            wh.push(format!("status = ${}", vals.len()));
        }
        let wh = wh.join(" AND ");
        let total: i64 = bind_all(
            sqlx::query(&format!("SELECT COUNT(*) FROM remote_sessions WHERE {wh}")),
            vals.clone(),
        )
        .fetch_one(self.pool())
        .await
        .and_then(|r| r.try_get(0))
        .map_err(db_err)?;
        let limit = q.limit.clamp(1, 1000);
        let rows = bind_all(
            sqlx::query(&format!(
                "SELECT {SESSION_COLUMNS} FROM remote_sessions WHERE {wh} ORDER BY window_start DESC, id DESC LIMIT {limit} OFFSET {}",
                q.offset.max(0)
            )),
            vals,
        )
        .fetch_all(self.pool())
        .await
        .map_err(db_err)?;
        let ids: Vec<i64> = rows
            .iter()
            .map(|r| r.try_get::<i64, _>("id"))
            .collect::<Result<_, _>>()
            .map_err(db_err)?;
        let mut devices = links(
            self.pool(),
            "remote_session_devices",
            "session_id",
            Some(&ids),
        )
        .await?;
        let items = rows
            .iter()
            .zip(&ids)
            .map(|(r, id)| session_from_row(r, devices.remove(id).unwrap_or_default()))
            .collect::<Result<_, _>>()
            .map_err(db_err)?;
        Ok(Page { items, total })
    }
}
