//! Vulnerability intelligence in SQL: advisories, KEV, EPSS, device models with SBOMs and MDS2
//! forms, VEX statements, findings, priorities and notices (see `mdsec_store::intel`).

use crate::devices::next_id;
use crate::{bind_all, db_err, now, Dialect, SqlStore, Val};
use mdsec_store::*;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use std::collections::{HashMap, HashSet};

fn json<T: ::serde::Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

fn parse_json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or(serde_json::Value::Null)
}

fn parse_list(s: &str) -> Vec<String> {
    serde_json::from_str(s).unwrap_or_default()
}

fn tenths(x: Option<f64>) -> Option<i64> {
    x.filter(|v| v.is_finite())
        .map(|v| (v * 10.0).round() as i64)
}

fn micro(x: f64) -> i64 {
    if x.is_finite() {
        (x * 1_000_000.0).round() as i64
    } else {
        0
    }
}

/// `INSERT … VALUES (…), (…) ON CONFLICT …` in chunks under both engines' parameter limits.
async fn upsert_batch(
    tx: &mut Transaction<'_, Any>,
    dialect: Dialect,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Val>>,
    on_conflict: &str,
) -> StoreResult<()> {
    crate::insert_batch_then(tx, dialect, table, columns, rows, on_conflict).await
}

fn audit(
    actor: &Actor,
    action: &str,
    entity: &str,
    id: Option<String>,
    before: Option<String>,
    after: Option<String>,
) -> NewAuditEntry {
    NewAuditEntry {
        actor: actor.username.clone(),
        action: action.into(),
        entity: entity.into(),
        entity_id: id,
        before,
        after,
    }
}

// ---------------------------------------------------------------------------------------------
// feeds

pub(crate) async fn import_feed(
    store: &SqlStore,
    actor: &Actor,
    batch: FeedBatch,
) -> StoreResult<FeedImportReport> {
    let (mut tx, mut log) = store.begin_write().await?;
    let mut report = FeedImportReport::default();
    let at = now();
    for a in &batch.advisories {
        let existing: Option<String> = sqlx::query("SELECT sha256 FROM advisories WHERE id = $1")
            .bind(a.id.clone())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
            .map(|r| r.try_get(0))
            .transpose()
            .map_err(db_err)?;
        match existing {
            Some(sha) if sha == a.sha256 => report.unchanged += 1,
            Some(_) => {
                sqlx::query(
                    "UPDATE advisories SET source = $2, title = $3, cves = $4, cvss_tenths = $5, published = $6, modified = $7, file_name = $8, sha256 = $9, document = $10, updated_at = $11 WHERE id = $1",
                )
                .bind(a.id.clone())
                .bind(a.source.clone())
                .bind(a.title.clone())
                .bind(json(&a.cves))
                .bind(tenths(a.cvss))
                .bind(a.published.clone())
                .bind(a.modified.clone())
                .bind(a.file_name.clone())
                .bind(a.sha256.clone())
                .bind(a.document.clone())
                .bind(at.clone())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                report.updated.push(a.id.clone());
            }
            None => {
                sqlx::query(
                    "INSERT INTO advisories (id, source, title, cves, cvss_tenths, published, modified, file_name, sha256, document, imported_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
                )
                .bind(a.id.clone())
                .bind(a.source.clone())
                .bind(a.title.clone())
                .bind(json(&a.cves))
                .bind(tenths(a.cvss))
                .bind(a.published.clone())
                .bind(a.modified.clone())
                .bind(a.file_name.clone())
                .bind(a.sha256.clone())
                .bind(a.document.clone())
                .bind(at.clone())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                report.new.push(a.id.clone());
            }
        }
    }
    if !batch.kev.is_empty() {
        let known: HashSet<String> = sqlx::query("SELECT cve_id FROM kev_entries")
            .fetch_all(&mut *tx)
            .await
            .map_err(db_err)?
            .iter()
            .map(|r| r.try_get::<String, _>(0))
            .collect::<Result<_, _>>()
            .map_err(db_err)?;
        let mut seen = HashSet::new();
        let mut rows = Vec::new();
        for k in &batch.kev {
            if !seen.insert(k.cve_id.clone()) {
                continue;
            }
            if !known.contains(&k.cve_id) {
                report.kev_new += 1;
            }
            rows.push(vec![
                k.cve_id.clone().into(),
                k.vendor.clone().into(),
                k.product.clone().into(),
                k.name.clone().into(),
                k.date_added.clone().into(),
                k.due_date.clone().into(),
                k.required_action.clone().into(),
                (k.known_ransomware as i64).into(),
            ]);
        }
        report.kev_total = known.len() + report.kev_new;
        upsert_batch(
            &mut tx,
            store.dialect(),
            "kev_entries",
            &["cve_id", "vendor", "product", "name", "date_added", "due_date", "required_action", "known_ransomware"],
            rows,
            "ON CONFLICT (cve_id) DO UPDATE SET vendor = excluded.vendor, product = excluded.product, name = excluded.name, date_added = excluded.date_added, due_date = excluded.due_date, required_action = excluded.required_action, known_ransomware = excluded.known_ransomware",
        )
        .await?;
    }
    if !batch.epss.is_empty() {
        let mut seen = HashSet::new();
        let rows: Vec<Vec<Val>> = batch
            .epss
            .iter()
            .filter(|e| seen.insert(e.cve_id.clone()))
            .map(|e| {
                vec![
                    e.cve_id.clone().into(),
                    micro(e.epss).into(),
                    e.percentile.map(micro).into(),
                    e.score_date.clone().into(),
                ]
            })
            .collect();
        report.epss_written = rows.len();
        upsert_batch(
            &mut tx,
            store.dialect(),
            "epss_scores",
            &["cve_id", "epss_micro", "percentile_micro", "score_date"],
            rows,
            "ON CONFLICT (cve_id) DO UPDATE SET epss_micro = excluded.epss_micro, percentile_micro = excluded.percentile_micro, score_date = excluded.score_date",
        )
        .await?;
    }
    const LISTED: usize = 200;
    log.push(audit(
        actor,
        "feed.import",
        "feed",
        None,
        None,
        Some(
            serde_json::json!({
                "sources": batch.sources.iter().take(LISTED).collect::<Vec<_>>(),
                "new": report.new.iter().take(LISTED).collect::<Vec<_>>(),
                "new_count": report.new.len(),
                "updated": report.updated.iter().take(LISTED).collect::<Vec<_>>(),
                "updated_count": report.updated.len(),
                "unchanged": report.unchanged,
                "kev_new": report.kev_new,
                "epss_written": report.epss_written,
            })
            .to_string(),
        ),
    ));
    store.commit(tx, log).await?;
    Ok(report)
}

const ADVISORY_COLUMNS: &str =
    "id, source, title, cves, cvss_tenths, published, modified, file_name, sha256, imported_at";

fn advisory_summary(r: &AnyRow) -> Result<AdvisorySummary, sqlx::Error> {
    Ok(AdvisorySummary {
        id: r.try_get("id")?,
        source: r.try_get("source")?,
        title: r.try_get("title")?,
        cves: parse_list(&r.try_get::<String, _>("cves")?),
        cvss: r
            .try_get::<Option<i64>, _>("cvss_tenths")?
            .map(|t| t as f64 / 10.0),
        published: r.try_get("published")?,
        modified: r.try_get("modified")?,
        imported_at: r.try_get("imported_at")?,
    })
}

fn advisory_record(r: &AnyRow) -> Result<AdvisoryRecord, sqlx::Error> {
    Ok(AdvisoryRecord {
        id: r.try_get("id")?,
        source: r.try_get("source")?,
        title: r.try_get("title")?,
        cves: parse_list(&r.try_get::<String, _>("cves")?),
        cvss: r
            .try_get::<Option<i64>, _>("cvss_tenths")?
            .map(|t| t as f64 / 10.0),
        published: r.try_get("published")?,
        modified: r.try_get("modified")?,
        file_name: r.try_get("file_name")?,
        sha256: r.try_get("sha256")?,
        document: r.try_get("document")?,
    })
}

pub(crate) async fn list_advisories(
    store: &SqlStore,
    limit: i64,
    offset: i64,
) -> StoreResult<Page<AdvisorySummary>> {
    page_of(
        store,
        "SELECT COUNT(*) FROM advisories",
        &format!(
            "SELECT {ADVISORY_COLUMNS} FROM advisories ORDER BY COALESCE(modified, published, imported_at) DESC, id LIMIT {} OFFSET {}",
            limit.clamp(1, 10_000),
            offset.max(0)
        ),
        advisory_summary,
    )
    .await
}

/// One page of a list: the total from `count_sql`, the rows of `select_sql` through `map`.
async fn page_of<T>(
    store: &SqlStore,
    count_sql: &str,
    select_sql: &str,
    map: fn(&AnyRow) -> Result<T, sqlx::Error>,
) -> StoreResult<Page<T>> {
    let total: i64 = sqlx::query(count_sql)
        .fetch_one(store.pool())
        .await
        .and_then(|r| r.try_get(0))
        .map_err(db_err)?;
    let rows = sqlx::query(select_sql)
        .fetch_all(store.pool())
        .await
        .map_err(db_err)?;
    let items = rows
        .iter()
        .map(map)
        .collect::<Result<_, _>>()
        .map_err(db_err)?;
    Ok(Page { items, total })
}

pub(crate) async fn get_advisory(
    store: &SqlStore,
    id: &str,
) -> StoreResult<Option<AdvisoryRecord>> {
    let r = sqlx::query(&format!(
        "SELECT {ADVISORY_COLUMNS}, document FROM advisories WHERE id = $1"
    ))
    .bind(id.to_string())
    .fetch_optional(store.pool())
    .await
    .map_err(db_err)?;
    r.as_ref().map(advisory_record).transpose().map_err(db_err)
}

pub(crate) async fn advisory_documents(
    store: &SqlStore,
    ids: Option<&[String]>,
) -> StoreResult<Vec<AdvisoryRecord>> {
    let mut out = Vec::new();
    match ids {
        None => {
            let rows = sqlx::query(&format!(
                "SELECT {ADVISORY_COLUMNS}, document FROM advisories ORDER BY id"
            ))
            .fetch_all(store.pool())
            .await
            .map_err(db_err)?;
            for r in &rows {
                out.push(advisory_record(r).map_err(db_err)?);
            }
        }
        Some(ids) => {
            for id in ids {
                if let Some(a) = get_advisory(store, id).await? {
                    out.push(a);
                }
            }
        }
    }
    Ok(out)
}

pub(crate) async fn kev_entries(store: &SqlStore) -> StoreResult<Vec<KevRecord>> {
    let rows = sqlx::query(
        "SELECT cve_id, vendor, product, name, date_added, due_date, required_action, known_ransomware FROM kev_entries ORDER BY cve_id",
    )
    .fetch_all(store.pool())
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            Ok(KevRecord {
                cve_id: r.try_get("cve_id")?,
                vendor: r.try_get("vendor")?,
                product: r.try_get("product")?,
                name: r.try_get("name")?,
                date_added: r.try_get("date_added")?,
                due_date: r.try_get("due_date")?,
                required_action: r.try_get("required_action")?,
                known_ransomware: r.try_get::<i64, _>("known_ransomware")? != 0,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(db_err)
}

pub(crate) async fn epss_for(store: &SqlStore, cves: &[String]) -> StoreResult<Vec<EpssRecord>> {
    let mut out = Vec::new();
    // In chunks: both engines limit the number of bound parameters.
    for chunk in cves.chunks(500) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT cve_id, epss_micro, percentile_micro, score_date FROM epss_scores WHERE cve_id IN ({})",
            marks.join(", ")
        );
        let q = bind_all(
            sqlx::query(&sql),
            chunk.iter().map(|c| Val::from(c.as_str())).collect(),
        );
        for r in q.fetch_all(store.pool()).await.map_err(db_err)? {
            out.push(EpssRecord {
                cve_id: r.try_get("cve_id").map_err(db_err)?,
                epss: r.try_get::<i64, _>("epss_micro").map_err(db_err)? as f64 / 1e6,
                percentile: r
                    .try_get::<Option<i64>, _>("percentile_micro")
                    .map_err(db_err)?
                    .map(|p| p as f64 / 1e6),
                score_date: r.try_get("score_date").map_err(db_err)?,
            });
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// device models, SBOMs, MDS2

pub(crate) async fn ensure_device_model(
    store: &SqlStore,
    actor: &Actor,
    manufacturer: &str,
    model: &str,
    version: &str,
) -> StoreResult<i64> {
    let find =
        "SELECT id FROM device_models WHERE manufacturer = $1 AND model = $2 AND version = $3";
    if let Some(r) = sqlx::query(find)
        .bind(manufacturer.to_string())
        .bind(model.to_string())
        .bind(version.to_string())
        .fetch_optional(store.pool())
        .await
        .map_err(db_err)?
    {
        return r.try_get(0).map_err(db_err);
    }
    let (mut tx, mut log) = store.begin_write().await?;
    // Someone may have created it while we waited for the lock.
    if let Some(r) = sqlx::query(find)
        .bind(manufacturer.to_string())
        .bind(model.to_string())
        .bind(version.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?
    {
        return r.try_get(0).map_err(db_err);
    }
    let id = next_id(&mut tx, "device_models").await?;
    sqlx::query("INSERT INTO device_models (id, manufacturer, model, version, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(id)
        .bind(manufacturer.to_string())
        .bind(model.to_string())
        .bind(version.to_string())
        .bind(now())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    log.push(audit(
        actor,
        "device_model.create",
        "device_model",
        Some(id.to_string()),
        None,
        Some(
            serde_json::json!({"manufacturer": manufacturer, "model": model, "version": version})
                .to_string(),
        ),
    ));
    store.commit(tx, log).await?;
    Ok(id)
}

const MODEL_SELECT: &str = "SELECT m.id, m.manufacturer, m.model, m.version, m.created_at, \
    (SELECT COUNT(*) FROM sboms s WHERE s.device_model_id = m.id) AS sbom_count, \
    (SELECT COUNT(*) FROM mds2_forms f WHERE f.device_model_id = m.id) AS mds2_count, \
    (SELECT COUNT(*) FROM devices d WHERE d.deleted_at IS NULL AND d.manufacturer = m.manufacturer AND d.model = m.model \
       AND (m.version = '' OR COALESCE(d.software_version, '') = m.version)) AS device_count \
    FROM device_models m";

fn model_from_row(r: &AnyRow) -> Result<DeviceModelRecord, sqlx::Error> {
    Ok(DeviceModelRecord {
        id: r.try_get("id")?,
        manufacturer: r.try_get("manufacturer")?,
        model: r.try_get("model")?,
        version: r.try_get("version")?,
        created_at: r.try_get("created_at")?,
        sbom_count: r.try_get("sbom_count")?,
        mds2_count: r.try_get("mds2_count")?,
        device_count: r.try_get("device_count")?,
    })
}

pub(crate) async fn list_device_models(store: &SqlStore) -> StoreResult<Vec<DeviceModelRecord>> {
    let rows = sqlx::query(&format!(
        "{MODEL_SELECT} ORDER BY m.manufacturer, m.model, m.version"
    ))
    .fetch_all(store.pool())
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(model_from_row)
        .collect::<Result<_, _>>()
        .map_err(db_err)
}

pub(crate) async fn get_device_model(
    store: &SqlStore,
    id: i64,
) -> StoreResult<Option<DeviceModelRecord>> {
    let r = sqlx::query(&format!("{MODEL_SELECT} WHERE m.id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await
        .map_err(db_err)?;
    r.as_ref().map(model_from_row).transpose().map_err(db_err)
}

async fn model_exists(tx: &mut Transaction<'_, Any>, id: i64) -> StoreResult<()> {
    let found = sqlx::query("SELECT 1 FROM device_models WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db_err)?;
    match found {
        Some(_) => Ok(()),
        None => Err(StoreError::NotFound(format!("device model {id}"))),
    }
}

pub(crate) async fn attach_sbom(
    store: &SqlStore,
    actor: &Actor,
    model_id: i64,
    sbom: NewSbom,
) -> StoreResult<SbomRecord> {
    let (mut tx, mut log) = store.begin_write().await?;
    model_exists(&mut tx, model_id).await?;
    let id = next_id(&mut tx, "sboms").await?;
    let rec = SbomRecord {
        id,
        device_model_id: model_id,
        file_name: sbom.file_name,
        format: sbom.format,
        sha256: sbom.sha256,
        component_count: sbom.components.len() as i64,
        attached_at: now(),
        attached_by: actor.username.clone(),
    };
    sqlx::query("INSERT INTO sboms (id, device_model_id, file_name, format, sha256, component_count, attached_at, attached_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(id)
        .bind(model_id)
        .bind(rec.file_name.clone())
        .bind(rec.format.clone())
        .bind(rec.sha256.clone())
        .bind(rec.component_count)
        .bind(rec.attached_at.clone())
        .bind(rec.attached_by.clone())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    let rows: Vec<Vec<Val>> = sbom
        .components
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            vec![
                id.into(),
                (i as i64).into(),
                c.name.into(),
                c.version.into(),
                c.purl.into(),
                c.cpe.into(),
            ]
        })
        .collect();
    crate::insert_batch(
        &mut tx,
        store.dialect(),
        "sbom_components",
        &["sbom_id", "position", "name", "version", "purl", "cpe"],
        rows,
    )
    .await?;
    log.push(audit(
        actor,
        "sbom.attach",
        "device_model",
        Some(model_id.to_string()),
        None,
        Some(json(&rec)),
    ));
    store.commit(tx, log).await?;
    Ok(rec)
}

pub(crate) async fn attach_mds2(
    store: &SqlStore,
    actor: &Actor,
    model_id: i64,
    form: NewMds2,
) -> StoreResult<Mds2Record> {
    let (mut tx, mut log) = store.begin_write().await?;
    model_exists(&mut tx, model_id).await?;
    let id = next_id(&mut tx, "mds2_forms").await?;
    let rec = Mds2Record {
        id,
        device_model_id: model_id,
        file_name: form.file_name,
        sha256: form.sha256,
        profile: form.profile,
        attached_at: now(),
        attached_by: actor.username.clone(),
    };
    sqlx::query("INSERT INTO mds2_forms (id, device_model_id, file_name, sha256, profile, attached_at, attached_by) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(id)
        .bind(model_id)
        .bind(rec.file_name.clone())
        .bind(rec.sha256.clone())
        .bind(json(&rec.profile))
        .bind(rec.attached_at.clone())
        .bind(rec.attached_by.clone())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    log.push(audit(
        actor,
        "mds2.attach",
        "device_model",
        Some(model_id.to_string()),
        None,
        Some(
            serde_json::json!({"id": id, "file_name": rec.file_name, "sha256": rec.sha256})
                .to_string(),
        ),
    ));
    store.commit(tx, log).await?;
    Ok(rec)
}

pub(crate) async fn model_sboms(store: &SqlStore, model_id: i64) -> StoreResult<Vec<SbomRecord>> {
    let rows = sqlx::query("SELECT id, device_model_id, file_name, format, sha256, component_count, attached_at, attached_by FROM sboms WHERE device_model_id = $1 ORDER BY id")
        .bind(model_id)
        .fetch_all(store.pool())
        .await
        .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            Ok(SbomRecord {
                id: r.try_get("id")?,
                device_model_id: r.try_get("device_model_id")?,
                file_name: r.try_get("file_name")?,
                format: r.try_get("format")?,
                sha256: r.try_get("sha256")?,
                component_count: r.try_get("component_count")?,
                attached_at: r.try_get("attached_at")?,
                attached_by: r.try_get("attached_by")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(db_err)
}

pub(crate) async fn model_mds2(store: &SqlStore, model_id: i64) -> StoreResult<Vec<Mds2Record>> {
    let rows = sqlx::query("SELECT id, device_model_id, file_name, sha256, profile, attached_at, attached_by FROM mds2_forms WHERE device_model_id = $1 ORDER BY id")
        .bind(model_id)
        .fetch_all(store.pool())
        .await
        .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            Ok(Mds2Record {
                id: r.try_get("id")?,
                device_model_id: r.try_get("device_model_id")?,
                file_name: r.try_get("file_name")?,
                sha256: r.try_get("sha256")?,
                profile: parse_json(&r.try_get::<String, _>("profile")?),
                attached_at: r.try_get("attached_at")?,
                attached_by: r.try_get("attached_by")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(db_err)
}

fn component_from_row(r: &AnyRow) -> Result<ComponentRecord, sqlx::Error> {
    Ok(ComponentRecord {
        name: r.try_get("name")?,
        version: r.try_get("version")?,
        purl: r.try_get("purl")?,
        cpe: r.try_get("cpe")?,
    })
}

pub(crate) async fn model_components(
    store: &SqlStore,
    model_id: i64,
) -> StoreResult<Vec<ComponentRecord>> {
    let rows = sqlx::query("SELECT c.name, c.version, c.purl, c.cpe FROM sbom_components c JOIN sboms s ON s.id = c.sbom_id WHERE s.device_model_id = $1 ORDER BY s.id, c.position")
        .bind(model_id)
        .fetch_all(store.pool())
        .await
        .map_err(db_err)?;
    rows.iter()
        .map(component_from_row)
        .collect::<Result<_, _>>()
        .map_err(db_err)
}

pub(crate) async fn all_components(store: &SqlStore) -> StoreResult<Vec<(i64, ComponentRecord)>> {
    let rows = sqlx::query("SELECT s.device_model_id, c.name, c.version, c.purl, c.cpe FROM sbom_components c JOIN sboms s ON s.id = c.sbom_id ORDER BY s.device_model_id, s.id, c.position")
        .fetch_all(store.pool())
        .await
        .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get::<i64, _>("device_model_id")?,
                component_from_row(r)?,
            ))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(db_err)
}

// ---------------------------------------------------------------------------------------------
// VEX

const VEX_COLUMNS: &str = "id, vulnerability, manufacturer, model, versions, purl, status, justification, detail, format, source, file_name, created_at, created_by";

pub(crate) async fn add_vex(
    store: &SqlStore,
    actor: &Actor,
    statements: Vec<VexStatement>,
) -> StoreResult<Vec<VexRecord>> {
    let (mut tx, mut log) = store.begin_write().await?;
    let mut id = next_id(&mut tx, "vex_statements").await?;
    let at = now();
    let mut out = Vec::new();
    for s in statements {
        sqlx::query(&format!("INSERT INTO vex_statements ({VEX_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"))
            .bind(id)
            .bind(s.vulnerability.clone())
            .bind(s.manufacturer.clone())
            .bind(s.model.clone())
            .bind(s.versions.clone())
            .bind(s.purl.clone())
            .bind(s.status.clone())
            .bind(s.justification.clone())
            .bind(s.detail.clone())
            .bind(s.format.clone())
            .bind(s.source.clone())
            .bind(s.file_name.clone())
            .bind(at.clone())
            .bind(actor.username.clone())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let rec = VexRecord {
            id,
            statement: s,
            created_at: at.clone(),
            created_by: actor.username.clone(),
        };
        log.push(audit(
            actor,
            "vex.add",
            "vex_statement",
            Some(id.to_string()),
            None,
            Some(json(&rec)),
        ));
        out.push(rec);
        id += 1;
    }
    store.commit(tx, log).await?;
    Ok(out)
}

pub(crate) async fn list_vex(store: &SqlStore) -> StoreResult<Vec<VexRecord>> {
    let rows = sqlx::query(&format!(
        "SELECT {VEX_COLUMNS} FROM vex_statements ORDER BY id"
    ))
    .fetch_all(store.pool())
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            Ok(VexRecord {
                id: r.try_get("id")?,
                statement: VexStatement {
                    vulnerability: r.try_get("vulnerability")?,
                    manufacturer: r.try_get("manufacturer")?,
                    model: r.try_get("model")?,
                    versions: r.try_get("versions")?,
                    purl: r.try_get("purl")?,
                    status: r.try_get("status")?,
                    justification: r.try_get("justification")?,
                    detail: r.try_get("detail")?,
                    format: r.try_get("format")?,
                    source: r.try_get("source")?,
                    file_name: r.try_get("file_name")?,
                },
                created_at: r.try_get("created_at")?,
                created_by: r.try_get("created_by")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(db_err)
}

// ---------------------------------------------------------------------------------------------
// findings

const FINDING_COLUMNS: &str = "f.id, f.device_id, f.advisory_id, a.title AS advisory_title, a.cvss_tenths AS advisory_cvss, f.match_status, f.confidence, f.evidence, f.aliases, f.remediations, f.vex, f.status, f.owner, f.due_date, f.comment, f.compensating_controls, f.created_at, f.updated_at";

/// Lifecycle states that still need a person.
const OPEN_STATES: &str = "('new', 'triaged')";

fn finding_from_row(r: &AnyRow) -> Result<FindingRecord, sqlx::Error> {
    Ok(FindingRecord {
        id: r.try_get("id")?,
        device_id: r.try_get("device_id")?,
        advisory_id: r.try_get("advisory_id")?,
        advisory_title: r.try_get("advisory_title")?,
        advisory_cvss: r
            .try_get::<Option<i64>, _>("advisory_cvss")?
            .map(|t| t as f64 / 10.0),
        match_status: r.try_get("match_status")?,
        confidence: r.try_get("confidence")?,
        evidence: parse_json(&r.try_get::<String, _>("evidence")?),
        aliases: parse_list(&r.try_get::<String, _>("aliases")?),
        remediations: parse_list(&r.try_get::<String, _>("remediations")?),
        vex: r
            .try_get::<Option<String>, _>("vex")?
            .map(|v| parse_json(&v)),
        status: r.try_get("status")?,
        owner: r.try_get("owner")?,
        due_date: r.try_get("due_date")?,
        comment: r.try_get("comment")?,
        compensating_controls: r.try_get("compensating_controls")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

struct Existing {
    id: i64,
    match_status: String,
    status: String,
    confidence: String,
    evidence: String,
    aliases: String,
    remediations: String,
    vex: Option<String>,
}

pub(crate) async fn sync_findings(
    store: &SqlStore,
    actor: &Actor,
    sync: FindingsSync,
) -> StoreResult<FindingsSyncReport> {
    let (mut tx, mut log) = store.begin_write().await?;
    let at = now();
    // What exists in scope.
    let (wh, vals): (String, Vec<Val>) = match &sync.scope {
        FindingScope::All => ("1 = 1".into(), vec![]),
        FindingScope::Advisories(ids) => (
            if ids.is_empty() {
                "1 = 0".into()
            } else {
                format!(
                    "advisory_id IN ({})",
                    (1..=ids.len())
                        .map(|i| format!("${i}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
            ids.iter().map(|s| Val::from(s.as_str())).collect(),
        ),
        FindingScope::Devices(ids) => (
            if ids.is_empty() {
                "1 = 0".into()
            } else {
                format!(
                    "device_id IN ({})",
                    ids.iter()
                        .map(|i| i.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
            vec![],
        ),
    };
    let rows = bind_all(
        sqlx::query(&format!(
            "SELECT id, device_id, advisory_id, match_status, status, confidence, evidence, aliases, remediations, vex FROM findings WHERE {wh}"
        )),
        vals,
    )
    .fetch_all(&mut *tx)
    .await
    .map_err(db_err)?;
    let mut existing: HashMap<(i64, String), Existing> = HashMap::with_capacity(rows.len());
    for r in &rows {
        let key = (
            r.try_get::<i64, _>("device_id").map_err(db_err)?,
            r.try_get::<String, _>("advisory_id").map_err(db_err)?,
        );
        existing.insert(
            key,
            Existing {
                id: r.try_get("id").map_err(db_err)?,
                match_status: r.try_get("match_status").map_err(db_err)?,
                status: r.try_get("status").map_err(db_err)?,
                confidence: r.try_get("confidence").map_err(db_err)?,
                evidence: r.try_get("evidence").map_err(db_err)?,
                aliases: r.try_get("aliases").map_err(db_err)?,
                remediations: r.try_get("remediations").map_err(db_err)?,
                vex: r.try_get("vex").map_err(db_err)?,
            },
        );
    }
    let mut report = FindingsSyncReport::default();
    let mut next = next_id(&mut tx, "findings").await?;
    let mut inserts: Vec<Vec<Val>> = Vec::new();
    let mut seen: HashSet<(i64, String)> = HashSet::new();
    for m in sync.matches {
        let key = (m.device_id, m.advisory_id.clone());
        if !seen.insert(key.clone()) {
            continue;
        }
        let evidence = json(&m.evidence);
        let aliases = json(&m.aliases);
        let remediations = json(&m.remediations);
        let vex = m.vex.as_ref().map(json);
        match existing.remove(&key) {
            Some(e) => {
                let reopened = e.match_status == "resolved" && e.status == "closed";
                let changed = e.match_status != m.match_status
                    || e.confidence != m.confidence
                    || e.evidence != evidence
                    || e.aliases != aliases
                    || e.remediations != remediations
                    || e.vex != vex;
                if !changed && !reopened {
                    continue;
                }
                let status = if reopened {
                    "new".to_string()
                } else {
                    e.status.clone()
                };
                sqlx::query("UPDATE findings SET match_status = $2, confidence = $3, evidence = $4, aliases = $5, remediations = $6, vex = $7, status = $8, updated_at = $9 WHERE id = $1")
                    .bind(e.id)
                    .bind(m.match_status.clone())
                    .bind(m.confidence.clone())
                    .bind(evidence)
                    .bind(aliases)
                    .bind(remediations)
                    .bind(vex)
                    .bind(status)
                    .bind(at.clone())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                if reopened {
                    report.created.push(key);
                } else {
                    report.updated += 1;
                }
            }
            None => {
                inserts.push(vec![
                    next.into(),
                    m.device_id.into(),
                    m.advisory_id.clone().into(),
                    m.match_status.clone().into(),
                    m.confidence.clone().into(),
                    evidence.into(),
                    aliases.into(),
                    remediations.into(),
                    vex.into(),
                    "new".into(),
                    at.clone().into(),
                    at.clone().into(),
                ]);
                next += 1;
                report.created.push(key);
            }
        }
    }
    crate::insert_batch(
        &mut tx,
        store.dialect(),
        "findings",
        &[
            "id",
            "device_id",
            "advisory_id",
            "match_status",
            "confidence",
            "evidence",
            "aliases",
            "remediations",
            "vex",
            "status",
            "created_at",
            "updated_at",
        ],
        inserts,
    )
    .await?;
    // What the matcher no longer produces in scope.
    for e in existing.values() {
        if e.match_status == "resolved" {
            continue;
        }
        let status = if e.status == "new" {
            "closed"
        } else {
            e.status.as_str()
        };
        sqlx::query("UPDATE findings SET match_status = 'resolved', status = $2, updated_at = $3 WHERE id = $1")
            .bind(e.id)
            .bind(status.to_string())
            .bind(at.clone())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        report.resolved += 1;
    }
    if !sync.priorities.is_empty() {
        sqlx::query("DELETE FROM device_priorities")
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let rows: Vec<Vec<Val>> = sync
            .priorities
            .iter()
            .map(|p| {
                vec![
                    p.device_id.into(),
                    ((p.score * 100.0).round() as i64).into(),
                    json(&p.reasons).into(),
                    p.open_findings.into(),
                    at.clone().into(),
                ]
            })
            .collect();
        crate::insert_batch(
            &mut tx,
            store.dialect(),
            "device_priorities",
            &[
                "device_id",
                "score_centi",
                "reasons",
                "open_findings",
                "computed_at",
            ],
            rows,
        )
        .await?;
    }
    if !report.created.is_empty() || report.updated > 0 || report.resolved > 0 {
        const LISTED: usize = 200;
        log.push(audit(
            actor,
            "findings.sync",
            "finding",
            None,
            None,
            Some(
                serde_json::json!({
                    "scope": match &sync.scope {
                        FindingScope::All => "all".to_string(),
                        FindingScope::Advisories(a) => format!("advisories: {}", a.len()),
                        FindingScope::Devices(d) => format!("devices: {}", d.len()),
                    },
                    "created": report.created.iter().take(LISTED).collect::<Vec<_>>(),
                    "created_count": report.created.len(),
                    "updated": report.updated,
                    "resolved": report.resolved,
                })
                .to_string(),
            ),
        ));
    }
    store.commit(tx, log).await?;
    Ok(report)
}

pub(crate) async fn list_findings(
    store: &SqlStore,
    q: &FindingQuery,
) -> StoreResult<Page<FindingRecord>> {
    let mut wh = vec!["d.deleted_at IS NULL".to_string()];
    let mut vals: Vec<Val> = Vec::new();
    if let Some(id) = q.device_id {
        vals.push(id.into());
        wh.push(format!("f.device_id = ${}", vals.len()));
    }
    for (col, v) in [
        ("f.advisory_id", &q.advisory_id),
        ("f.status", &q.status),
        ("d.department", &q.department),
        ("d.manufacturer", &q.manufacturer),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            vals.push(v.into());
            wh.push(format!("{col} = ${}", vals.len()));
        }
    }
    if q.open_only {
        wh.push(format!(
            "f.match_status IN ('affected', 'undetermined') AND f.status IN {OPEN_STATES}"
        ));
    }
    let wh = wh.join(" AND ");
    let from = "findings f JOIN devices d ON d.id = f.device_id LEFT JOIN advisories a ON a.id = f.advisory_id";
    let total: i64 = bind_all(
        sqlx::query(&format!("SELECT COUNT(*) FROM {from} WHERE {wh}")),
        vals.clone(),
    )
    .fetch_one(store.pool())
    .await
    .and_then(|r| r.try_get(0))
    .map_err(db_err)?;
    let limit = if q.limit <= 0 {
        100
    } else {
        q.limit.min(10_000_000)
    };
    let rows = bind_all(
        sqlx::query(&format!(
            "SELECT {FINDING_COLUMNS} FROM {from} WHERE {wh} ORDER BY f.device_id, f.advisory_id LIMIT {limit} OFFSET {}",
            q.offset.max(0)
        )),
        vals,
    )
    .fetch_all(store.pool())
    .await
    .map_err(db_err)?;
    let items = rows
        .iter()
        .map(finding_from_row)
        .collect::<Result<_, _>>()
        .map_err(db_err)?;
    Ok(Page { items, total })
}

pub(crate) async fn get_finding(store: &SqlStore, id: i64) -> StoreResult<Option<FindingRecord>> {
    let r = sqlx::query(&format!(
        "SELECT {FINDING_COLUMNS} FROM findings f LEFT JOIN advisories a ON a.id = f.advisory_id WHERE f.id = $1"
    ))
    .bind(id)
    .fetch_optional(store.pool())
    .await
    .map_err(db_err)?;
    r.as_ref().map(finding_from_row).transpose().map_err(db_err)
}

pub(crate) async fn update_finding(
    store: &SqlStore,
    actor: &Actor,
    id: i64,
    u: FindingUpdate,
) -> StoreResult<FindingRecord> {
    if let Some(s) = &u.status {
        if !FINDING_STATES.contains(&s.as_str()) {
            return Err(StoreError::Refused(format!(
                "unknown finding status {s:?}; expected one of {}",
                FINDING_STATES.join(", ")
            )));
        }
    }
    let (mut tx, mut log) = store.begin_write().await?;
    let before = sqlx::query(&format!(
        "SELECT {FINDING_COLUMNS} FROM findings f LEFT JOIN advisories a ON a.id = f.advisory_id WHERE f.id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db_err)?
    .as_ref()
    .map(finding_from_row)
    .transpose()
    .map_err(db_err)?
    .ok_or_else(|| StoreError::NotFound(format!("finding {id}")))?;
    let blank = |v: Option<String>, old: &Option<String>| match v {
        Some(s) if s.trim().is_empty() => None,
        Some(s) => Some(s.trim().to_string()),
        None => old.clone(),
    };
    let mut after = before.clone();
    if let Some(s) = u.status {
        after.status = s;
    }
    after.owner = blank(u.owner, &before.owner);
    after.due_date = blank(u.due_date, &before.due_date);
    after.comment = blank(u.comment, &before.comment);
    after.compensating_controls = blank(u.compensating_controls, &before.compensating_controls);
    after.updated_at = now();
    sqlx::query("UPDATE findings SET status = $2, owner = $3, due_date = $4, comment = $5, compensating_controls = $6, updated_at = $7 WHERE id = $1")
        .bind(id)
        .bind(after.status.clone())
        .bind(after.owner.clone())
        .bind(after.due_date.clone())
        .bind(after.comment.clone())
        .bind(after.compensating_controls.clone())
        .bind(after.updated_at.clone())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    let lifecycle = |f: &FindingRecord| {
        serde_json::json!({
            "device_id": f.device_id, "advisory_id": f.advisory_id, "status": f.status, "owner": f.owner,
            "due_date": f.due_date, "comment": f.comment, "compensating_controls": f.compensating_controls,
        })
        .to_string()
    };
    log.push(audit(
        actor,
        "finding.update",
        "finding",
        Some(id.to_string()),
        Some(lifecycle(&before)),
        Some(lifecycle(&after)),
    ));
    store.commit(tx, log).await?;
    Ok(after)
}

fn priority_from_row(r: &AnyRow) -> Result<DevicePriorityRecord, sqlx::Error> {
    Ok(DevicePriorityRecord {
        device_id: r.try_get("device_id")?,
        score: r.try_get::<i64, _>("score_centi")? as f64 / 100.0,
        reasons: parse_json(&r.try_get::<String, _>("reasons")?),
        open_findings: r.try_get("open_findings")?,
    })
}

pub(crate) async fn device_priorities(
    store: &SqlStore,
    open_only: bool,
    limit: i64,
    offset: i64,
) -> StoreResult<Page<DevicePriorityRecord>> {
    let wh = if open_only {
        "d.deleted_at IS NULL AND p.open_findings > 0"
    } else {
        "d.deleted_at IS NULL"
    };
    let from = "device_priorities p JOIN devices d ON d.id = p.device_id";
    page_of(
        store,
        &format!("SELECT COUNT(*) FROM {from} WHERE {wh}"),
        &format!(
            "SELECT p.device_id, p.score_centi, p.reasons, p.open_findings FROM {from} WHERE {wh} ORDER BY p.score_centi DESC, p.device_id LIMIT {} OFFSET {}",
            limit.clamp(1, 100_000),
            offset.max(0)
        ),
        priority_from_row,
    )
    .await
}

pub(crate) async fn device_priority(
    store: &SqlStore,
    device_id: i64,
) -> StoreResult<Option<DevicePriorityRecord>> {
    let r = sqlx::query("SELECT device_id, score_centi, reasons, open_findings FROM device_priorities WHERE device_id = $1")
        .bind(device_id)
        .fetch_optional(store.pool())
        .await
        .map_err(db_err)?;
    r.as_ref()
        .map(priority_from_row)
        .transpose()
        .map_err(db_err)
}

// ---------------------------------------------------------------------------------------------
// notices

const NOTICE_COLUMNS: &str =
    "id, device_id, advisory_id, recipient, subject, body, state, assigned_to, emailed_at, created_at";

fn notice_from_row(r: &AnyRow) -> Result<NoticeRecord, sqlx::Error> {
    Ok(NoticeRecord {
        id: r.try_get("id")?,
        device_id: r.try_get("device_id")?,
        advisory_id: r.try_get("advisory_id")?,
        recipient: r.try_get("recipient")?,
        subject: r.try_get("subject")?,
        body: r.try_get("body")?,
        state: r.try_get("state")?,
        assigned_to: r.try_get("assigned_to")?,
        emailed_at: r.try_get("emailed_at")?,
        created_at: r.try_get("created_at")?,
    })
}

pub(crate) async fn create_notices(
    store: &SqlStore,
    actor: &Actor,
    notices: Vec<NewNotice>,
) -> StoreResult<Vec<NoticeRecord>> {
    if notices.is_empty() {
        return Ok(vec![]);
    }
    let (mut tx, mut log) = store.begin_write().await?;
    let mut id = next_id(&mut tx, "notices").await?;
    let at = now();
    let mut out = Vec::new();
    for n in notices {
        let dup = sqlx::query(
            "SELECT 1 FROM notices WHERE device_id = $1 AND advisory_id = $2 AND recipient = $3",
        )
        .bind(n.device_id)
        .bind(n.advisory_id.clone())
        .bind(n.recipient.clone())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        if dup.is_some() {
            continue;
        }
        sqlx::query(&format!("INSERT INTO notices ({NOTICE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, 'open', NULL, NULL, $7)"))
            .bind(id)
            .bind(n.device_id)
            .bind(n.advisory_id.clone())
            .bind(n.recipient.clone())
            .bind(n.subject.clone())
            .bind(n.body.clone())
            .bind(at.clone())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let rec = NoticeRecord {
            id,
            device_id: n.device_id,
            advisory_id: n.advisory_id,
            recipient: n.recipient,
            subject: n.subject,
            body: n.body,
            state: "open".into(),
            assigned_to: None,
            emailed_at: None,
            created_at: at.clone(),
        };
        log.push(audit(
            actor,
            "notice.create",
            "notice",
            Some(id.to_string()),
            None,
            Some(serde_json::json!({"device_id": rec.device_id, "advisory_id": rec.advisory_id, "recipient": rec.recipient}).to_string()),
        ));
        out.push(rec);
        id += 1;
    }
    store.commit(tx, log).await?;
    Ok(out)
}

pub(crate) async fn mark_notice_emailed(store: &SqlStore, id: i64) -> StoreResult<()> {
    let (mut tx, mut log) = store.begin_write().await?;
    sqlx::query("UPDATE notices SET emailed_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    log.push(NewAuditEntry {
        actor: "system".into(),
        action: "notice.email".into(),
        entity: "notice".into(),
        entity_id: Some(id.to_string()),
        before: None,
        after: None,
    });
    store.commit(tx, log).await
}

pub(crate) async fn list_notices(
    store: &SqlStore,
    recipient: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<NoticeRecord>> {
    let limit = limit.clamp(1, 10_000);
    let rows = match recipient {
        Some(r) => sqlx::query(&format!("SELECT {NOTICE_COLUMNS} FROM notices WHERE recipient = $1 ORDER BY id DESC LIMIT {limit}"))
            .bind(r.to_string())
            .fetch_all(store.pool())
            .await,
        None => sqlx::query(&format!("SELECT {NOTICE_COLUMNS} FROM notices ORDER BY id DESC LIMIT {limit}"))
            .fetch_all(store.pool())
            .await,
    }
    .map_err(db_err)?;
    rows.iter()
        .map(notice_from_row)
        .collect::<Result<_, _>>()
        .map_err(db_err)
}

pub(crate) async fn update_notice(
    store: &SqlStore,
    actor: &Actor,
    id: i64,
    state: &str,
    assigned_to: Option<&str>,
) -> StoreResult<NoticeRecord> {
    if !["open", "acknowledged", "muted"].contains(&state) {
        return Err(StoreError::Refused(format!(
            "unknown notice state {state:?}; expected open, acknowledged or muted"
        )));
    }
    let (mut tx, mut log) = store.begin_write().await?;
    let before = sqlx::query(&format!(
        "SELECT {NOTICE_COLUMNS} FROM notices WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db_err)?
    .as_ref()
    .map(notice_from_row)
    .transpose()
    .map_err(db_err)?
    .ok_or_else(|| StoreError::NotFound(format!("notice {id}")))?;
    let mut after = before.clone();
    after.state = state.to_string();
    if let Some(a) = assigned_to {
        after.assigned_to = Some(a.to_string()).filter(|s| !s.trim().is_empty());
    }
    sqlx::query("UPDATE notices SET state = $2, assigned_to = $3 WHERE id = $1")
        .bind(id)
        .bind(after.state.clone())
        .bind(after.assigned_to.clone())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    let brief = |n: &NoticeRecord| {
        serde_json::json!({"state": n.state, "assigned_to": n.assigned_to}).to_string()
    };
    log.push(audit(
        actor,
        "notice.update",
        "notice",
        Some(id.to_string()),
        Some(brief(&before)),
        Some(brief(&after)),
    ));
    store.commit(tx, log).await?;
    Ok(after)
}

pub(crate) async fn set_user_email(
    store: &SqlStore,
    actor: &Actor,
    user_id: i64,
    email: Option<&str>,
) -> StoreResult<()> {
    let (mut tx, mut log) = store.begin_write().await?;
    let n = sqlx::query("UPDATE users SET email = $2 WHERE id = $1")
        .bind(user_id)
        .bind(email.map(str::to_string))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
    if n == 0 {
        return Err(StoreError::NotFound(format!("user {user_id}")));
    }
    log.push(audit(
        actor,
        "user.email",
        "user",
        Some(user_id.to_string()),
        None,
        Some(serde_json::json!({ "email": email }).to_string()),
    ));
    store.commit(tx, log).await
}

pub(crate) async fn user_emails(store: &SqlStore) -> StoreResult<Vec<(i64, String)>> {
    let rows = sqlx::query(
        "SELECT id, email FROM users WHERE email IS NOT NULL AND disabled = 0 ORDER BY id",
    )
    .fetch_all(store.pool())
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(db_err)
}
