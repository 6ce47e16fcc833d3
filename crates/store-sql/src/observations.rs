//! Observations, observed fields of ledger devices and alerts in SQL. Every change takes the write
//! lock and is audited in the same transaction.

use crate::devices::{get_in, next_id, write_update, ChangeLog};
use crate::{db_err, now, SqlStore};
use async_trait::async_trait;
use mdsec_domain::DeviceFields;
use mdsec_store::*;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use std::collections::{BTreeMap, BTreeSet};

const OBS_COLUMNS: &str = "id, obs_key, ip, mac, hostname, manufacturer, model, software_version, protocols, identifiers, first_seen, last_seen, source, updated_at";
const FLOW_COLUMNS: &str = "id, device_ip, peer, outbound, transport, port, service, server_name, packets, bytes, first_seen, last_seen, source";
const ALERT_COLUMNS: &str = "id, kind, severity, subject, device_id, address, message, details, first_seen, last_seen, count, status, acknowledged_by, acknowledged_at, note, emailed_at, created_at";

/// Most identifier values kept per key of a merged observation.
const MAX_VALUES_PER_IDENTIFIER: usize = 16;
/// Most identifier keys kept per observation.
const MAX_IDENTIFIER_KEYS: usize = 64;

fn obs_from_row(r: &AnyRow) -> Result<ObservationRecord, sqlx::Error> {
    let protocols: String = r.try_get("protocols")?;
    let identifiers: String = r.try_get("identifiers")?;
    Ok(ObservationRecord {
        id: r.try_get("id")?,
        key: r.try_get("obs_key")?,
        device: ObservedDevice {
            ip: r.try_get("ip")?,
            mac: r.try_get("mac")?,
            hostname: r.try_get("hostname")?,
            manufacturer: r.try_get("manufacturer")?,
            model: r.try_get("model")?,
            software_version: r.try_get("software_version")?,
            protocols: serde_json::from_str(&protocols).unwrap_or_default(),
            identifiers: serde_json::from_str(&identifiers).unwrap_or_default(),
            first_seen: r.try_get("first_seen")?,
            last_seen: r.try_get("last_seen")?,
        },
        source: r.try_get("source")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn flow_from_row(r: &AnyRow) -> Result<ExternalFlowRecord, sqlx::Error> {
    Ok(ExternalFlowRecord {
        id: r.try_get("id")?,
        flow: ObservedFlow {
            device_ip: r.try_get("device_ip")?,
            peer: r.try_get("peer")?,
            outbound: r.try_get::<i64, _>("outbound")? != 0,
            transport: r.try_get("transport")?,
            port: r.try_get("port")?,
            service: r.try_get("service")?,
            server_name: r.try_get("server_name")?,
            packets: r.try_get("packets")?,
            bytes: r.try_get("bytes")?,
            first_seen: r.try_get("first_seen")?,
            last_seen: r.try_get("last_seen")?,
        },
        source: r.try_get("source")?,
    })
}

fn alert_from_row(r: &AnyRow) -> Result<AlertRecord, sqlx::Error> {
    let kind: String = r.try_get("kind")?;
    let details: String = r.try_get("details")?;
    Ok(AlertRecord {
        id: r.try_get("id")?,
        // The database CHECK admits only known kinds; an unreadable one is shown as unknown device.
        kind: AlertKind::from_code(&kind).unwrap_or(AlertKind::UnknownDevice),
        severity: r.try_get("severity")?,
        subject: r.try_get("subject")?,
        device_id: r.try_get("device_id")?,
        address: r.try_get("address")?,
        message: r.try_get("message")?,
        details: serde_json::from_str(&details).unwrap_or(serde_json::Value::Null),
        first_seen: r.try_get("first_seen")?,
        last_seen: r.try_get("last_seen")?,
        count: r.try_get("count")?,
        status: r.try_get("status")?,
        acknowledged_by: r.try_get("acknowledged_by")?,
        acknowledged_at: r.try_get("acknowledged_at")?,
        note: r.try_get("note")?,
        emailed_at: r.try_get("emailed_at")?,
        created_at: r.try_get("created_at")?,
    })
}

/// The earlier / later of two RFC 3339 times (by instant; text order when either does not parse).
fn earlier(a: &str, b: &str) -> String {
    if instant(a) <= instant(b) { a } else { b }.to_string()
}
fn later(a: &str, b: &str) -> String {
    if instant(a) >= instant(b) { a } else { b }.to_string()
}
fn instant(s: &str) -> (i64, String) {
    match chrono::DateTime::parse_from_rfc3339(s) {
        Ok(t) => (t.timestamp_micros(), String::new()),
        Err(_) => (i64::MAX, s.to_string()),
    }
}

fn opt(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(bounded)
}

/// Merge `new` into `old`: the later sighting's values win, the other fills what it lacks.
fn merge(old: &ObservedDevice, new: &ObservedDevice) -> ObservedDevice {
    let newer = instant(&new.last_seen) >= instant(&old.last_seen);
    let (a, b) = if newer { (new, old) } else { (old, new) };
    let pick = |x: &Option<String>, y: &Option<String>| opt(x).or_else(|| opt(y));
    let mut protocols: BTreeSet<String> = old.protocols.iter().cloned().collect();
    protocols.extend(new.protocols.iter().map(|p| bounded(p)));
    let mut identifiers = old.identifiers.clone();
    for (k, vs) in &new.identifiers {
        if !identifiers.contains_key(k) && identifiers.len() >= MAX_IDENTIFIER_KEYS {
            continue;
        }
        let e = identifiers.entry(bounded(k)).or_default();
        for v in vs {
            let v = bounded(v);
            if !e.contains(&v) && e.len() < MAX_VALUES_PER_IDENTIFIER {
                e.push(v);
            }
        }
    }
    ObservedDevice {
        ip: pick(&a.ip, &b.ip),
        mac: pick(&a.mac, &b.mac).map(|m| m.to_ascii_lowercase()),
        hostname: pick(&a.hostname, &b.hostname),
        manufacturer: pick(&a.manufacturer, &b.manufacturer),
        model: pick(&a.model, &b.model),
        software_version: pick(&a.software_version, &b.software_version),
        protocols: protocols.into_iter().take(MAX_IDENTIFIER_KEYS).collect(),
        identifiers,
        first_seen: earlier(&old.first_seen, &new.first_seen),
        last_seen: later(&old.last_seen, &new.last_seen),
    }
}

async fn find_obs(
    tx: &mut Transaction<'_, Any>,
    key: &str,
) -> StoreResult<Option<ObservationRecord>> {
    let r = sqlx::query(&format!(
        "SELECT {OBS_COLUMNS} FROM observed_devices WHERE obs_key = $1"
    ))
    .bind(key.to_string())
    .fetch_optional(&mut **tx)
    .await
    .map_err(db_err)?;
    r.as_ref().map(obs_from_row).transpose().map_err(db_err)
}

async fn write_obs(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    key: &str,
    d: &ObservedDevice,
    source: &str,
    insert: bool,
) -> StoreResult<()> {
    let sql = if insert {
        format!("INSERT INTO observed_devices ({OBS_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)")
    } else {
        "UPDATE observed_devices SET obs_key = $2, ip = $3, mac = $4, hostname = $5, manufacturer = $6, model = $7, software_version = $8, protocols = $9, identifiers = $10, first_seen = $11, last_seen = $12, source = $13, updated_at = $14 WHERE id = $1".to_string()
    };
    sqlx::query(&sql)
        .bind(id)
        .bind(key.to_string())
        .bind(d.ip.clone())
        .bind(d.mac.clone())
        .bind(d.hostname.clone())
        .bind(d.manufacturer.clone())
        .bind(d.model.clone())
        .bind(d.software_version.clone())
        .bind(serde_json::to_string(&d.protocols).unwrap_or_else(|_| "[]".into()))
        .bind(serde_json::to_string(&d.identifiers).unwrap_or_else(|_| "{}".into()))
        .bind(d.first_seen.clone())
        .bind(d.last_seen.clone())
        .bind(source.to_string())
        .bind(now())
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn record(
    store: &SqlStore,
    actor: &Actor,
    batch: ObservationBatch,
) -> StoreResult<ObservationSummary> {
    if batch.devices.len() > MAX_OBSERVATIONS_PER_BATCH
        || batch.flows.len() > MAX_OBSERVATIONS_PER_BATCH
    {
        return Err(StoreError::Refused(format!(
            "more than {MAX_OBSERVATIONS_PER_BATCH} devices or flows in one batch"
        )));
    }
    let source = bounded(&batch.source);
    let (mut tx, mut audit) = store.begin_write().await?;
    let mut summary = ObservationSummary {
        source: source.clone(),
        ..Default::default()
    };
    let mut next = next_id(&mut tx, "observed_devices").await?;
    for d in &batch.devices {
        let empty = ObservedDevice {
            first_seen: d.first_seen.clone(),
            last_seen: d.last_seen.clone(),
            ..Default::default()
        };
        let d = merge(&empty, d);
        let Some(key) = d.key() else { continue };
        let mut existing = find_obs(&mut tx, &key).await?;
        // A device first seen without its MAC (by IP) and now with it: one device, keyed by MAC.
        if let (true, Some(ip)) = (key.starts_with("mac:"), &d.ip) {
            if let Some(by_ip) = find_obs(&mut tx, &format!("ip:{ip}")).await? {
                existing = Some(match existing {
                    Some(mut e) => {
                        sqlx::query("DELETE FROM observed_devices WHERE id = $1")
                            .bind(by_ip.id)
                            .execute(&mut *tx)
                            .await
                            .map_err(db_err)?;
                        e.device = merge(&by_ip.device, &e.device);
                        e
                    }
                    // Re-keyed by the update below.
                    None => by_ip,
                });
            }
        }
        match existing {
            Some(e) => {
                let merged = merge(&e.device, &d);
                write_obs(&mut tx, e.id, &key, &merged, &source, false).await?;
                summary.updated_devices += 1;
            }
            None => {
                write_obs(&mut tx, next, &key, &d, &source, true).await?;
                next += 1;
                summary.new_devices += 1;
            }
        }
    }
    let mut next = next_id(&mut tx, "external_flows").await?;
    for f in &batch.flows {
        let r = sqlx::query(&format!(
            "SELECT {FLOW_COLUMNS} FROM external_flows WHERE device_ip = $1 AND peer = $2 AND transport = $3 AND port = $4"
        ))
        .bind(f.device_ip.clone())
        .bind(f.peer.clone())
        .bind(f.transport.clone())
        .bind(f.port)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        match r.as_ref().map(flow_from_row).transpose().map_err(db_err)? {
            Some(e) => {
                sqlx::query("UPDATE external_flows SET service = COALESCE($2, service), server_name = COALESCE($3, server_name), packets = $4, bytes = $5, first_seen = $6, last_seen = $7, source = $8 WHERE id = $1")
                    .bind(e.id)
                    .bind(opt(&f.service))
                    .bind(opt(&f.server_name))
                    .bind(e.flow.packets.saturating_add(f.packets))
                    .bind(e.flow.bytes.saturating_add(f.bytes))
                    .bind(earlier(&e.flow.first_seen, &f.first_seen))
                    .bind(later(&e.flow.last_seen, &f.last_seen))
                    .bind(source.clone())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                summary.updated_flows += 1;
            }
            None => {
                sqlx::query(&format!("INSERT INTO external_flows ({FLOW_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"))
                    .bind(next)
                    .bind(bounded(&f.device_ip))
                    .bind(bounded(&f.peer))
                    .bind(i64::from(f.outbound))
                    .bind(bounded(&f.transport))
                    .bind(f.port)
                    .bind(opt(&f.service))
                    .bind(opt(&f.server_name))
                    .bind(f.packets)
                    .bind(f.bytes)
                    .bind(f.first_seen.clone())
                    .bind(f.last_seen.clone())
                    .bind(source.clone())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                next += 1;
                summary.new_flows += 1;
            }
        }
    }
    audit.push(NewAuditEntry {
        actor: actor.username.clone(),
        action: "observation.record".into(),
        entity: "observation".into(),
        entity_id: Some(source),
        before: None,
        after: serde_json::to_string(&summary).ok(),
    });
    store.commit(tx, audit).await?;
    Ok(summary)
}

pub(crate) async fn list(store: &SqlStore) -> StoreResult<Vec<ObservationRecord>> {
    let rows = sqlx::query(&format!(
        "SELECT {OBS_COLUMNS} FROM observed_devices ORDER BY obs_key"
    ))
    .fetch_all(store.pool())
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(obs_from_row)
        .collect::<Result<_, _>>()
        .map_err(db_err)
}

pub(crate) async fn flows(store: &SqlStore) -> StoreResult<Vec<ExternalFlowRecord>> {
    let rows = sqlx::query(&format!(
        "SELECT {FLOW_COLUMNS} FROM external_flows ORDER BY device_ip, peer, transport, port"
    ))
    .fetch_all(store.pool())
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(flow_from_row)
        .collect::<Result<_, _>>()
        .map_err(db_err)
}

/// The ledger value of an observable field.
pub fn field_value(f: &DeviceFields, field: &str) -> Option<String> {
    match field {
        "ip" => f.ip.clone(),
        "mac" => f.mac.clone(),
        "manufacturer" => f.manufacturer.clone(),
        "model" => f.model.clone(),
        "software_version" => f.software_version.clone(),
        "custom.hostname" => f.custom.get("hostname").cloned(),
        _ => None,
    }
    .filter(|v| !v.trim().is_empty())
}

fn set_field(f: &mut DeviceFields, field: &str, v: String) {
    match field {
        "ip" => f.ip = Some(v),
        "mac" => f.mac = Some(v),
        "manufacturer" => f.manufacturer = Some(v),
        "model" => f.model = Some(v),
        "software_version" => f.software_version = Some(v),
        "custom.hostname" => {
            f.custom.insert("hostname".into(), v);
        }
        _ => {}
    }
}

pub(crate) async fn apply(
    store: &SqlStore,
    actor: &Actor,
    updates: Vec<ObservedFieldsUpdate>,
) -> StoreResult<Vec<AppliedObservation>> {
    let (mut tx, mut audit) = store.begin_write().await?;
    let mut log = ChangeLog::start(&mut tx, store.dialect()).await?;
    let mut out = Vec::new();
    for u in updates {
        let Some(device) = get_in(&mut tx, u.device_id).await?.filter(|d| !d.deleted) else {
            continue;
        };
        let rows = sqlx::query(
            "SELECT field, observed_value, filled FROM device_observed_fields WHERE device_id = $1",
        )
        .bind(u.device_id)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
        let mut before_obs: BTreeMap<String, (String, bool)> = BTreeMap::new();
        for r in &rows {
            before_obs.insert(
                r.try_get(0).map_err(db_err)?,
                (
                    r.try_get(1).map_err(db_err)?,
                    r.try_get::<i64, _>(2).map_err(db_err)? != 0,
                ),
            );
        }
        let mut fields = device.fields.clone();
        let mut applied = AppliedObservation {
            device_id: u.device_id,
            changed: Vec::new(),
            kept: Vec::new(),
        };
        let mut recorded = BTreeMap::new();
        for (field, value) in &u.fields {
            if !OBSERVABLE_FIELDS.contains(&field.as_str()) {
                continue;
            }
            let value = bounded(value.trim());
            if value.is_empty() {
                continue;
            }
            let current = field_value(&fields, field);
            let prev = before_obs.get(field);
            let filled = match &current {
                None => {
                    set_field(&mut fields, field, value.clone());
                    applied.changed.push(FieldChange {
                        field: field.clone(),
                        before: None,
                        after: Some(value.clone()),
                    });
                    true
                }
                Some(c) if *c == value => prev.is_some_and(|p| p.1),
                // Discovery filled this value before and nobody has changed it since: follow it.
                Some(c) if prev.is_some_and(|(v, filled)| *filled && v == c) => {
                    set_field(&mut fields, field, value.clone());
                    applied.changed.push(FieldChange {
                        field: field.clone(),
                        before: Some(c.clone()),
                        after: Some(value.clone()),
                    });
                    true
                }
                Some(c) => {
                    applied.kept.push(FieldChange {
                        field: field.clone(),
                        before: Some(c.clone()),
                        after: Some(value.clone()),
                    });
                    false
                }
            };
            if prev.map(|(v, f)| (v.as_str(), *f)) != Some((value.as_str(), filled)) {
                sqlx::query(
                    "DELETE FROM device_observed_fields WHERE device_id = $1 AND field = $2",
                )
                .bind(u.device_id)
                .bind(field.clone())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                sqlx::query("INSERT INTO device_observed_fields (device_id, field, observed_value, filled, observed_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(u.device_id)
                    .bind(field.clone())
                    .bind(value.clone())
                    .bind(i64::from(filled))
                    .bind(u.observed_at.clone())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                recorded.insert(field.clone(), value.clone());
            }
        }
        if !recorded.is_empty() {
            audit.push(NewAuditEntry {
                actor: actor.username.clone(),
                action: "device.observed".into(),
                entity: "device".into(),
                entity_id: Some(u.device_id.to_string()),
                before: serde_json::to_string(&before_obs).ok(),
                after: serde_json::to_string(
                    &serde_json::json!({"observed": recorded, "kept": applied.kept}),
                )
                .ok(),
            });
        }
        if !applied.changed.is_empty() {
            let fields = fields.tidy();
            write_update(&mut tx, u.device_id, &fields).await?;
            log.record(
                &mut audit,
                actor,
                "observe",
                u.device_id,
                Some(&device.fields),
                Some(&fields),
            );
        }
        if !applied.changed.is_empty() || !applied.kept.is_empty() {
            out.push(applied);
        }
    }
    log.flush(&mut tx).await?;
    store.commit(tx, audit).await?;
    Ok(out)
}

pub(crate) async fn observed_fields(
    store: &SqlStore,
    device_id: Option<i64>,
) -> StoreResult<Vec<ObservedFieldRecord>> {
    let base =
        "SELECT device_id, field, observed_value, filled, observed_at FROM device_observed_fields";
    let rows = match device_id {
        Some(id) => {
            sqlx::query(&format!(
                "{base} WHERE device_id = $1 ORDER BY device_id, field"
            ))
            .bind(id)
            .fetch_all(store.pool())
            .await
        }
        None => {
            sqlx::query(&format!("{base} ORDER BY device_id, field"))
                .fetch_all(store.pool())
                .await
        }
    }
    .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            Ok(ObservedFieldRecord {
                device_id: r.try_get(0)?,
                field: r.try_get(1)?,
                observed_value: r.try_get(2)?,
                filled: r.try_get::<i64, _>(3)? != 0,
                observed_at: r.try_get(4)?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(db_err)
}

async fn get_alert_in(tx: &mut Transaction<'_, Any>, id: i64) -> StoreResult<Option<AlertRecord>> {
    let r = sqlx::query(&format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db_err)?;
    r.as_ref().map(alert_from_row).transpose().map_err(db_err)
}

pub(crate) async fn raise(
    store: &SqlStore,
    actor: &Actor,
    alerts: Vec<NewAlert>,
) -> StoreResult<Vec<AlertRecord>> {
    if alerts.is_empty() {
        return Ok(vec![]);
    }
    if alerts.len() > MAX_OBSERVATIONS_PER_BATCH {
        return Err(StoreError::Refused(format!(
            "more than {MAX_OBSERVATIONS_PER_BATCH} alerts in one batch"
        )));
    }
    let (mut tx, mut audit) = store.begin_write().await?;
    let mut next = next_id(&mut tx, "alerts").await?;
    let mut created = Vec::new();
    let mut repeated = 0u64;
    for a in alerts {
        let subject = bounded(&a.subject);
        let address = bounded(&a.address);
        let r = sqlx::query(&format!(
            "SELECT {ALERT_COLUMNS} FROM alerts WHERE kind = $1 AND subject = $2 AND address = $3"
        ))
        .bind(a.kind.code())
        .bind(subject.clone())
        .bind(address.clone())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        if let Some(e) = r.as_ref().map(alert_from_row).transpose().map_err(db_err)? {
            sqlx::query("UPDATE alerts SET last_seen = $2, count = count + 1 WHERE id = $1")
                .bind(e.id)
                .bind(later(&e.last_seen, &a.last_seen))
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            repeated += 1;
            continue;
        }
        let at = now();
        sqlx::query(&format!("INSERT INTO alerts ({ALERT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, 'open', NULL, NULL, NULL, NULL, $11)"))
            .bind(next)
            .bind(a.kind.code())
            .bind(a.kind.severity())
            .bind(subject)
            .bind(a.device_id)
            .bind(address)
            .bind(bounded(&a.message))
            .bind(a.details.to_string())
            .bind(a.first_seen.clone())
            .bind(a.last_seen.clone())
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let rec = get_alert_in(&mut tx, next)
            .await?
            .ok_or_else(|| StoreError::Backend("alert vanished".into()))?;
        audit.push(NewAuditEntry {
            actor: actor.username.clone(),
            action: "alert.raise".into(),
            entity: "alert".into(),
            entity_id: Some(next.to_string()),
            before: None,
            after: serde_json::to_string(&rec).ok(),
        });
        created.push(rec);
        next += 1;
    }
    if repeated > 0 {
        audit.push(NewAuditEntry {
            actor: actor.username.clone(),
            action: "alert.repeat".into(),
            entity: "alert".into(),
            entity_id: None,
            before: None,
            after: Some(serde_json::json!({ "repeated": repeated }).to_string()),
        });
    }
    store.commit(tx, audit).await?;
    Ok(created)
}

pub(crate) async fn list_alerts(
    store: &SqlStore,
    q: &AlertQuery,
) -> StoreResult<Page<AlertRecord>> {
    let mut wh = Vec::new();
    let mut vals: Vec<crate::Val> = Vec::new();
    if let Some(k) = q.kind {
        vals.push(k.code().into());
        wh.push(format!("kind = ${}", vals.len()));
    }
    if let Some(s) = &q.status {
        vals.push(s.clone().into());
        wh.push(format!("status = ${}", vals.len()));
    }
    if let Some(d) = q.device_id {
        vals.push(d.into());
        wh.push(format!("device_id = ${}", vals.len()));
    }
    if let Some(dep) = &q.department {
        vals.push(dep.clone().into());
        wh.push(format!(
            "device_id IN (SELECT id FROM devices WHERE department = ${})",
            vals.len()
        ));
    }
    let wh = if wh.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", wh.join(" AND "))
    };
    let total: i64 = crate::bind_all(
        sqlx::query(&format!("SELECT COUNT(*) FROM alerts{wh}")),
        vals.clone(),
    )
    .fetch_one(store.pool())
    .await
    .and_then(|r| r.try_get(0))
    .map_err(db_err)?;
    let limit = q.limit.clamp(1, 10_000);
    let sql = format!(
        "SELECT {ALERT_COLUMNS} FROM alerts{wh} ORDER BY id DESC LIMIT {limit} OFFSET {}",
        q.offset.max(0)
    );
    let rows = crate::bind_all(sqlx::query(&sql), vals)
        .fetch_all(store.pool())
        .await
        .map_err(db_err)?;
    let items = rows
        .iter()
        .map(alert_from_row)
        .collect::<Result<_, _>>()
        .map_err(db_err)?;
    Ok(Page { items, total })
}

pub(crate) async fn acknowledge(
    store: &SqlStore,
    actor: &Actor,
    id: i64,
    note: Option<&str>,
) -> StoreResult<AlertRecord> {
    let (mut tx, mut audit) = store.begin_write().await?;
    let before = get_alert_in(&mut tx, id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("alert {id}")))?;
    let note = note.map(str::trim).filter(|n| !n.is_empty()).map(bounded);
    sqlx::query("UPDATE alerts SET status = 'acknowledged', acknowledged_by = $2, acknowledged_at = $3, note = COALESCE($4, note) WHERE id = $1")
        .bind(id)
        .bind(actor.username.clone())
        .bind(now())
        .bind(note)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    let after = get_alert_in(&mut tx, id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("alert {id}")))?;
    audit.push(NewAuditEntry {
        actor: actor.username.clone(),
        action: "alert.acknowledge".into(),
        entity: "alert".into(),
        entity_id: Some(id.to_string()),
        before: serde_json::to_string(&before).ok(),
        after: serde_json::to_string(&after).ok(),
    });
    store.commit(tx, audit).await?;
    Ok(after)
}

#[async_trait]
impl ObservationStore for SqlStore {
    async fn record_observations(
        &self,
        actor: &Actor,
        batch: ObservationBatch,
    ) -> StoreResult<ObservationSummary> {
        record(self, actor, batch).await
    }
    async fn list_observations(&self) -> StoreResult<Vec<ObservationRecord>> {
        list(self).await
    }
    async fn list_external_flows(&self) -> StoreResult<Vec<ExternalFlowRecord>> {
        flows(self).await
    }
    async fn apply_observed_fields(
        &self,
        actor: &Actor,
        updates: Vec<ObservedFieldsUpdate>,
    ) -> StoreResult<Vec<AppliedObservation>> {
        apply(self, actor, updates).await
    }
    async fn observed_fields(
        &self,
        device_id: Option<i64>,
    ) -> StoreResult<Vec<ObservedFieldRecord>> {
        observed_fields(self, device_id).await
    }
    async fn raise_alerts(
        &self,
        actor: &Actor,
        alerts: Vec<NewAlert>,
    ) -> StoreResult<Vec<AlertRecord>> {
        raise(self, actor, alerts).await
    }
    async fn list_alerts(&self, query: &AlertQuery) -> StoreResult<Page<AlertRecord>> {
        list_alerts(self, query).await
    }
    async fn get_alert(&self, id: i64) -> StoreResult<Option<AlertRecord>> {
        let r = sqlx::query(&format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .map_err(db_err)?;
        r.as_ref().map(alert_from_row).transpose().map_err(db_err)
    }
    async fn acknowledge_alert(
        &self,
        actor: &Actor,
        id: i64,
        note: Option<&str>,
    ) -> StoreResult<AlertRecord> {
        acknowledge(self, actor, id, note).await
    }
    async fn mark_alert_emailed(&self, id: i64) -> StoreResult<()> {
        // Delivery bookkeeping, like notices: not a change of what the alert says.
        sqlx::query("UPDATE alerts SET emailed_at = $2 WHERE id = $1")
            .bind(id)
            .bind(now())
            .execute(self.pool())
            .await
            .map_err(db_err)?;
        Ok(())
    }
}
