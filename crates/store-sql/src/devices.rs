//! The device ledger in SQL: columns, queries, history and the all-or-nothing import.

use crate::{bind_all, db_err, insert_batch, now, AuditWriter, SqlStore, Val};
use mdsec_domain::{Criticality, DeviceClass, DeviceFields, DeviceStatus, RemoteLine};
use mdsec_store::*;
use sqlx::any::AnyRow;
use sqlx::AnyPool;
use sqlx::{Any, Row, Transaction};
use std::collections::HashMap;

/// The ledger columns of `devices`, in the order of [`values`].
pub const FIELD_COLUMNS: &[&str] = &[
    "management_number",
    "name",
    "device_type",
    "manufacturer",
    "model",
    "serial",
    "software_version",
    "department",
    "location",
    "ip",
    "mac",
    "os",
    "protocols",
    "purpose",
    "remote_line",
    "remote_method",
    "maintenance_contract",
    "owner",
    "install_date",
    "eol_date",
    "eos_date",
    "udi_di",
    "network_segment",
    "device_class",
    "status",
    "criticality",
    "notes",
    "custom",
];

fn values(f: &DeviceFields) -> Vec<Val> {
    let custom = if f.custom.is_empty() {
        None
    } else {
        serde_json::to_string(&f.custom).ok()
    };
    [
        f.management_number.clone(),
        Some(f.name.clone()),
        f.device_type.clone(),
        f.manufacturer.clone(),
        f.model.clone(),
        f.serial.clone(),
        f.software_version.clone(),
        f.department.clone(),
        f.location.clone(),
        f.ip.clone(),
        f.mac.clone(),
        f.os.clone(),
        f.protocols.clone(),
        f.purpose.clone(),
        Some(f.remote_line.code().to_string()),
        f.remote_method.clone(),
        f.maintenance_contract.clone(),
        f.owner.clone(),
        f.install_date.clone(),
        f.eol_date.clone(),
        f.eos_date.clone(),
        f.udi_di.clone(),
        f.network_segment.clone(),
        f.device_class.map(|c| c.code().to_string()),
        Some(f.status.code().to_string()),
        f.criticality.map(|c| c.code().to_string()),
        f.notes.clone(),
        custom,
    ]
    .into_iter()
    .map(Val::Text)
    .collect()
}

fn fields_from_row(r: &AnyRow) -> Result<DeviceFields, sqlx::Error> {
    let s = |c: &str| r.try_get::<Option<String>, _>(c);
    Ok(DeviceFields {
        management_number: s("management_number")?,
        name: s("name")?.unwrap_or_default(),
        device_type: s("device_type")?,
        manufacturer: s("manufacturer")?,
        model: s("model")?,
        serial: s("serial")?,
        software_version: s("software_version")?,
        department: s("department")?,
        location: s("location")?,
        ip: s("ip")?,
        mac: s("mac")?,
        os: s("os")?,
        protocols: s("protocols")?,
        purpose: s("purpose")?,
        remote_line: s("remote_line")?
            .and_then(|c| RemoteLine::from_code(&c))
            .unwrap_or_default(),
        remote_method: s("remote_method")?,
        maintenance_contract: s("maintenance_contract")?,
        owner: s("owner")?,
        install_date: s("install_date")?,
        eol_date: s("eol_date")?,
        eos_date: s("eos_date")?,
        udi_di: s("udi_di")?,
        network_segment: s("network_segment")?,
        device_class: s("device_class")?.and_then(|c| DeviceClass::from_code(&c)),
        status: s("status")?
            .and_then(|c| DeviceStatus::from_code(&c))
            .unwrap_or_default(),
        criticality: s("criticality")?.and_then(|c| Criticality::from_code(&c)),
        notes: s("notes")?,
        custom: s("custom")?
            .and_then(|j| serde_json::from_str(&j).ok())
            .unwrap_or_default(),
    })
}

fn device_from_row(r: &AnyRow) -> Result<Device, sqlx::Error> {
    Ok(Device {
        id: r.try_get("id")?,
        version: r.try_get("version")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        deleted: r.try_get::<Option<String>, _>("deleted_at")?.is_some(),
        fields: fields_from_row(r)?,
    })
}

fn select_columns() -> String {
    format!(
        "id, version, created_at, updated_at, deleted_at, {}",
        FIELD_COLUMNS.join(", ")
    )
}

fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('%');
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

pub(crate) async fn list(store: &SqlStore, q: &DeviceQuery) -> StoreResult<Page<Device>> {
    let q = q.clone().clamped();
    let mut wh = vec!["deleted_at IS NULL".to_string()];
    let mut vals: Vec<Val> = Vec::new();
    if let Some(t) = q.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        vals.push(escape_like(t).into());
        let n = vals.len();
        let like = store.like();
        let matches = |c: &str| format!("{c} {like} ${n} ESCAPE '\\'");
        let mut ors: Vec<String> = [
            "name",
            "management_number",
            "manufacturer",
            "model",
            "serial",
            "location",
            "device_type",
        ]
        .iter()
        .map(|c| matches(c))
        .collect();
        // Addresses only where the user may see them (a device must not be findable by its IP).
        let addresses = format!("{} OR {}", matches("ip"), matches("mac"));
        match &q.address_search {
            AddressSearch::All => ors.push(addresses),
            AddressSearch::Department(d) => {
                vals.push(d.clone().into());
                ors.push(format!("(({addresses}) AND department = ${})", vals.len()));
            }
            AddressSearch::Nowhere => {}
        }
        wh.push(format!("({})", ors.join(" OR ")));
    }
    for (col, v) in [
        ("department", &q.department),
        ("status", &q.status),
        ("criticality", &q.criticality),
        ("remote_line", &q.remote_line),
        ("manufacturer", &q.manufacturer),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            vals.push(v.into());
            wh.push(format!("{col} = ${}", vals.len()));
        }
    }
    if let Some(d) = q.eos_before.as_deref().filter(|v| !v.is_empty()) {
        vals.push(d.into());
        wh.push(format!("eos_date <= ${}", vals.len()));
    }
    let wh = wh.join(" AND ");
    let total: i64 = bind_all(
        sqlx::query(&format!("SELECT COUNT(*) FROM devices WHERE {wh}")),
        vals.clone(),
    )
    .fetch_one(store.pool())
    .await
    .and_then(|r| r.try_get(0))
    .map_err(db_err)?;
    let dir = if q.descending { "DESC" } else { "ASC" };
    // SQLite's native order (NULLs sort lowest), spelled out so PostgreSQL agrees and SQLite can
    // read rows straight from an index.
    let nulls = if q.descending {
        "NULLS LAST"
    } else {
        "NULLS FIRST"
    };
    let sql = format!(
        "SELECT {} FROM devices WHERE {wh} ORDER BY {} {dir} {nulls}, id {dir} LIMIT {} OFFSET {}",
        select_columns(),
        q.sort.column(),
        q.limit,
        q.offset
    );
    let rows = bind_all(sqlx::query(&sql), vals)
        .fetch_all(store.pool())
        .await
        .map_err(db_err)?;
    let items = rows
        .iter()
        .map(device_from_row)
        .collect::<Result<_, _>>()
        .map_err(db_err)?;
    Ok(Page { items, total })
}

pub(crate) async fn get(pool: &AnyPool, id: i64) -> StoreResult<Option<Device>> {
    let r = sqlx::query(&format!(
        "SELECT {} FROM devices WHERE id = $1",
        select_columns()
    ))
    .bind(id)
    .fetch_optional(pool)
    .await
    .map_err(db_err)?;
    r.as_ref().map(device_from_row).transpose().map_err(db_err)
}

pub(crate) async fn get_in(tx: &mut Transaction<'_, Any>, id: i64) -> StoreResult<Option<Device>> {
    let r = sqlx::query(&format!(
        "SELECT {} FROM devices WHERE id = $1",
        select_columns()
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db_err)?;
    r.as_ref().map(device_from_row).transpose().map_err(db_err)
}

pub(crate) async fn next_id(tx: &mut Transaction<'_, Any>, table: &str) -> StoreResult<i64> {
    sqlx::query(&format!("SELECT COALESCE(MAX(id), 0) + 1 FROM {table}"))
        .fetch_one(&mut **tx)
        .await
        .and_then(|r| r.try_get(0))
        .map_err(db_err)
}

const HISTORY_COLUMNS: &[&str] = &["id", "device_id", "at", "actor", "action", "changes"];

/// Accumulates history rows and audit entries for device changes within one transaction.
pub(crate) struct ChangeLog {
    dialect: crate::Dialect,
    next_history_id: i64,
    history: Vec<Vec<Val>>,
}

impl ChangeLog {
    pub(crate) async fn start(
        tx: &mut Transaction<'_, Any>,
        dialect: crate::Dialect,
    ) -> StoreResult<Self> {
        Ok(ChangeLog {
            dialect,
            next_history_id: next_id(tx, "device_history").await?,
            history: Vec::new(),
        })
    }

    pub(crate) fn record(
        &mut self,
        audit: &mut AuditWriter,
        actor: &Actor,
        action: &str,
        device_id: i64,
        before: Option<&DeviceFields>,
        after: Option<&DeviceFields>,
    ) {
        // A new device's history entry says only that it was created: its first values are on the
        // device itself and in the audit log's after-state, and repeating them here would double
        // what a 10,000-row import writes.
        let changes = match (before, after) {
            (Some(b), Some(a)) => diff_fields(b, a),
            (Some(b), None) => diff_fields(b, &DeviceFields::default()),
            (None, _) => Vec::new(),
        };
        let at = now();
        self.history.push(vec![
            self.next_history_id.into(),
            device_id.into(),
            at.into(),
            actor.username.clone().into(),
            action.into(),
            serde_json::to_string(&changes).unwrap_or_default().into(),
        ]);
        self.next_history_id += 1;
        audit.push(NewAuditEntry {
            actor: actor.username.clone(),
            action: format!("device.{action}"),
            entity: "device".into(),
            entity_id: Some(device_id.to_string()),
            before: before.and_then(|b| serde_json::to_string(b).ok()),
            after: after.and_then(|a| serde_json::to_string(a).ok()),
        });
    }

    pub(crate) async fn flush(self, tx: &mut Transaction<'_, Any>) -> StoreResult<()> {
        insert_batch(
            tx,
            self.dialect,
            "device_history",
            HISTORY_COLUMNS,
            self.history,
        )
        .await
    }
}

fn device_row(id: i64, at: &str, f: &DeviceFields) -> Vec<Val> {
    let mut row: Vec<Val> = vec![id.into(), 1i64.into(), at.into(), at.into()];
    row.extend(values(f));
    row
}

fn device_insert_columns() -> Vec<&'static str> {
    let mut cols = vec!["id", "version", "created_at", "updated_at"];
    cols.extend_from_slice(FIELD_COLUMNS);
    cols
}

pub(crate) async fn create(
    store: &SqlStore,
    actor: &Actor,
    fields: DeviceFields,
) -> StoreResult<Device> {
    let fields = fields.tidy();
    let (mut tx, mut audit) = store.begin_write().await?;
    let id = next_id(&mut tx, "devices").await?;
    insert_batch(
        &mut tx,
        store.dialect(),
        "devices",
        &device_insert_columns(),
        vec![device_row(id, &now(), &fields)],
    )
    .await?;
    let mut log = ChangeLog::start(&mut tx, store.dialect()).await?;
    log.record(&mut audit, actor, "create", id, None, Some(&fields));
    log.flush(&mut tx).await?;
    let device = get_in(&mut tx, id)
        .await?
        .ok_or_else(|| StoreError::Backend("created device vanished".into()))?;
    store.commit(tx, audit).await?;
    Ok(device)
}

pub(crate) async fn write_update(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    fields: &DeviceFields,
) -> StoreResult<()> {
    let sets: Vec<String> = FIELD_COLUMNS
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} = ${}", i + 1))
        .collect();
    let n = FIELD_COLUMNS.len();
    let sql = format!(
        "UPDATE devices SET {}, version = version + 1, updated_at = ${} WHERE id = ${}",
        sets.join(", "),
        n + 1,
        n + 2
    );
    let mut vals = values(fields);
    vals.push(now().into());
    vals.push(id.into());
    bind_all(sqlx::query(&sql), vals)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn update(
    store: &SqlStore,
    actor: &Actor,
    id: i64,
    fields: DeviceFields,
    expected_version: Option<i64>,
) -> StoreResult<Device> {
    let fields = fields.tidy();
    let (mut tx, mut audit) = store.begin_write().await?;
    let current = get_in(&mut tx, id)
        .await?
        .filter(|d| !d.deleted)
        .ok_or_else(|| StoreError::NotFound(format!("device {id}")))?;
    if let Some(v) = expected_version {
        if v != current.version {
            return Err(StoreError::Conflict(format!(
                "device {id} was changed by someone else (version {} now, {v} expected)",
                current.version
            )));
        }
    }
    if current.fields == fields {
        return Ok(current);
    }
    write_update(&mut tx, id, &fields).await?;
    let mut log = ChangeLog::start(&mut tx, store.dialect()).await?;
    log.record(
        &mut audit,
        actor,
        "update",
        id,
        Some(&current.fields),
        Some(&fields),
    );
    log.flush(&mut tx).await?;
    let device = get_in(&mut tx, id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("device {id}")))?;
    store.commit(tx, audit).await?;
    Ok(device)
}

pub(crate) async fn delete(store: &SqlStore, actor: &Actor, id: i64) -> StoreResult<()> {
    let (mut tx, mut audit) = store.begin_write().await?;
    let current = get_in(&mut tx, id)
        .await?
        .filter(|d| !d.deleted)
        .ok_or_else(|| StoreError::NotFound(format!("device {id}")))?;
    let at = now();
    sqlx::query(
        "UPDATE devices SET deleted_at = $1, updated_at = $1, version = version + 1 WHERE id = $2",
    )
    .bind(at)
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(db_err)?;
    let mut log = ChangeLog::start(&mut tx, store.dialect()).await?;
    log.record(&mut audit, actor, "delete", id, Some(&current.fields), None);
    log.flush(&mut tx).await?;
    store.commit(tx, audit).await
}

pub(crate) async fn history(pool: &AnyPool, id: i64) -> StoreResult<Vec<HistoryEntry>> {
    let rows = sqlx::query(&format!(
        "SELECT {} FROM device_history WHERE device_id = $1 ORDER BY id DESC",
        HISTORY_COLUMNS.join(", ")
    ))
    .bind(id)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            let changes: String = r.try_get("changes")?;
            Ok(HistoryEntry {
                id: r.try_get("id")?,
                device_id: r.try_get("device_id")?,
                at: r.try_get("at")?,
                actor: r.try_get("actor")?,
                action: r.try_get("action")?,
                changes: serde_json::from_str(&changes).unwrap_or_default(),
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(db_err)
}

/// Imported values win where the file has them; what the file leaves blank keeps the ledger's value,
/// so a file with fewer columns never erases what the hospital already knew.
fn merge(existing: &DeviceFields, incoming: &DeviceFields) -> DeviceFields {
    let json_existing = serde_json::to_value(existing).unwrap_or_default();
    let json_incoming = serde_json::to_value(incoming).unwrap_or_default();
    let (serde_json::Value::Object(mut out), serde_json::Value::Object(inc)) =
        (json_existing, json_incoming)
    else {
        return incoming.clone();
    };
    for (k, v) in inc {
        match (k.as_str(), v) {
            (_, serde_json::Value::Null) => {}
            ("name", serde_json::Value::String(s)) if s.is_empty() => {}
            // An import cannot tell "unknown" from "not in the file" for the remote line; keep a known value.
            ("remote_line", serde_json::Value::String(s)) if s == "unknown" => {}
            ("custom", serde_json::Value::Object(c)) => {
                if let Some(serde_json::Value::Object(existing_custom)) = out.get_mut("custom") {
                    existing_custom.extend(c);
                }
            }
            (_, v) => {
                out.insert(k, v);
            }
        }
    }
    serde_json::from_value(serde_json::Value::Object(out)).unwrap_or_else(|_| incoming.clone())
}

pub(crate) async fn import(
    store: &SqlStore,
    actor: &Actor,
    source: &str,
    rows: Vec<ImportRow>,
    dry_run: bool,
) -> StoreResult<ImportReport> {
    let (mut tx, mut audit) = store.begin_write().await?;
    let existing_rows = sqlx::query(&format!(
        "SELECT {} FROM devices WHERE deleted_at IS NULL",
        select_columns()
    ))
    .fetch_all(&mut *tx)
    .await
    .map_err(db_err)?;
    let mut existing: Vec<Device> = existing_rows
        .iter()
        .map(device_from_row)
        .collect::<Result<_, _>>()
        .map_err(db_err)?;
    let mut by_number = HashMap::new();
    let mut by_mac = HashMap::new();
    let mut by_serial = HashMap::new();
    for (i, d) in existing.iter().enumerate() {
        if let Some(v) = &d.fields.management_number {
            by_number.insert(v.clone(), i);
        }
        if let Some(v) = &d.fields.mac {
            by_mac.insert(v.clone(), i);
        }
        if let Some(v) = &d.fields.serial {
            by_serial.insert(v.clone(), i);
        }
    }

    let mut report = ImportReport {
        source: source.to_string(),
        dry_run,
        ..Default::default()
    };
    let mut touched = vec![false; existing.len()];
    let mut seen_new_numbers: HashMap<String, u64> = HashMap::new();
    let mut next_device_id = next_id(&mut tx, "devices").await?;
    let mut log = ChangeLog::start(&mut tx, store.dialect()).await?;
    let mut inserts = Vec::new();
    let at = now();

    for row in rows {
        let fields = row.fields.tidy();
        let matched = fields
            .management_number
            .as_ref()
            .and_then(|v| by_number.get(v))
            .or_else(|| fields.mac.as_ref().and_then(|v| by_mac.get(v)))
            .or_else(|| fields.serial.as_ref().and_then(|v| by_serial.get(v)))
            .copied();
        match matched {
            Some(i) if touched[i] => report.duplicates.push(ImportIssue {
                row: row.row,
                reason: format!(
                    "matches the same device as an earlier row (device {})",
                    existing[i].id
                ),
            }),
            Some(i) => {
                touched[i] = true;
                let merged = merge(&existing[i].fields, &fields);
                if merged == existing[i].fields {
                    report.unchanged += 1;
                } else {
                    write_update(&mut tx, existing[i].id, &merged).await?;
                    log.record(
                        &mut audit,
                        actor,
                        "import",
                        existing[i].id,
                        Some(&existing[i].fields),
                        Some(&merged),
                    );
                    existing[i].fields = merged;
                    report.updated += 1;
                }
            }
            None => {
                if let Some(n) = &fields.management_number {
                    if let Some(first) = seen_new_numbers.get(n) {
                        report.duplicates.push(ImportIssue {
                            row: row.row,
                            reason: format!("management number {n} already appears in row {first}"),
                        });
                        continue;
                    }
                    seen_new_numbers.insert(n.clone(), row.row);
                }
                let id = next_device_id;
                next_device_id += 1;
                log.record(&mut audit, actor, "import", id, None, Some(&fields));
                inserts.push(device_row(id, &at, &fields));
                report.new += 1;
            }
        }
    }
    insert_batch(
        &mut tx,
        store.dialect(),
        "devices",
        &device_insert_columns(),
        inserts,
    )
    .await?;
    log.flush(&mut tx).await?;
    audit.push(NewAuditEntry {
        actor: actor.username.clone(),
        action: "ledger.import".into(),
        entity: "ledger".into(),
        entity_id: None,
        before: None,
        after: serde_json::to_string(&report).ok(),
    });
    if dry_run {
        tx.rollback().await.map_err(db_err)?;
        return Ok(report);
    }
    store.commit(tx, audit).await?;
    Ok(report)
}

/// Every live device, by id (for matching the whole fleet).
pub(crate) async fn live(pool: &AnyPool) -> StoreResult<Vec<Device>> {
    let rows = sqlx::query(&format!(
        "SELECT {} FROM devices WHERE deleted_at IS NULL ORDER BY id",
        select_columns()
    ))
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(device_from_row)
        .collect::<Result<_, _>>()
        .map_err(db_err)
}
