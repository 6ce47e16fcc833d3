//! The checklist in SQL: answers per fiscal year, evidence files, the hospital profile, manufacturer
//! self-assessments, and the ledger counts that pre-fill answers. Every change takes the write lock
//! and is audited in the same transaction.

use crate::{db_err, now, SqlStore};
use async_trait::async_trait;
use mdsec_store::*;
use sqlx::any::AnyRow;
use sqlx::Row;

const ANSWER_COLUMNS: &str =
    "fiscal_year, item_id, answer, target_date, owner, note, link, version, updated_by, updated_at";
const EVIDENCE_COLUMNS: &str =
    "id, fiscal_year, item_id, name, media_type, size_bytes, sha256, uploaded_by, uploaded_at";

fn answer_from_row(r: &AnyRow) -> Result<ChecklistAnswerRecord, sqlx::Error> {
    Ok(ChecklistAnswerRecord {
        fiscal_year: r.try_get("fiscal_year")?,
        item_id: r.try_get("item_id")?,
        answer: r.try_get("answer")?,
        target_date: r.try_get("target_date")?,
        owner: r.try_get("owner")?,
        note: r.try_get("note")?,
        link: r.try_get("link")?,
        version: r.try_get("version")?,
        updated_by: r.try_get("updated_by")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn evidence_from_row(r: &AnyRow) -> Result<EvidenceFileRecord, sqlx::Error> {
    Ok(EvidenceFileRecord {
        id: r.try_get("id")?,
        fiscal_year: r.try_get("fiscal_year")?,
        item_id: r.try_get("item_id")?,
        name: r.try_get("name")?,
        media_type: r.try_get("media_type")?,
        size: r.try_get("size_bytes")?,
        sha256: r.try_get("sha256")?,
        uploaded_by: r.try_get("uploaded_by")?,
        uploaded_at: r.try_get("uploaded_at")?,
    })
}

fn entity_id(fy: i64, item: &str) -> String {
    format!("{fy}/{item}")
}

#[async_trait]
impl ChecklistStore for SqlStore {
    async fn checklist_answers(
        &self,
        fiscal_year: Option<i64>,
    ) -> StoreResult<Vec<ChecklistAnswerRecord>> {
        let rows = match fiscal_year {
            Some(fy) => sqlx::query(&format!(
                "SELECT {ANSWER_COLUMNS} FROM checklist_answers WHERE fiscal_year = $1 ORDER BY item_id"
            ))
            .bind(fy)
            .fetch_all(self.pool())
            .await,
            None => sqlx::query(&format!(
                "SELECT {ANSWER_COLUMNS} FROM checklist_answers ORDER BY fiscal_year, item_id"
            ))
            .fetch_all(self.pool())
            .await,
        }
        .map_err(db_err)?;
        rows.iter()
            .map(answer_from_row)
            .collect::<Result<_, _>>()
            .map_err(db_err)
    }

    async fn save_checklist_answer(
        &self,
        actor: &Actor,
        a: NewChecklistAnswer,
        expected_version: Option<i64>,
    ) -> StoreResult<ChecklistAnswerRecord> {
        let (mut tx, mut audit) = self.begin_write().await?;
        let before = sqlx::query(&format!(
            "SELECT {ANSWER_COLUMNS} FROM checklist_answers WHERE fiscal_year = $1 AND item_id = $2"
        ))
        .bind(a.fiscal_year)
        .bind(a.item_id.clone())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(answer_from_row)
        .transpose()
        .map_err(db_err)?;
        let current = before.as_ref().map(|b| b.version).unwrap_or(0);
        if let Some(expected) = expected_version {
            if expected != current {
                return Err(StoreError::Conflict(format!(
                    "checklist answer {} changed meanwhile (version {current}, expected {expected})",
                    entity_id(a.fiscal_year, &a.item_id)
                )));
            }
        }
        let rec = ChecklistAnswerRecord {
            fiscal_year: a.fiscal_year,
            item_id: a.item_id,
            answer: a.answer,
            target_date: a.target_date,
            owner: a.owner,
            note: a.note,
            link: a.link,
            version: current + 1,
            updated_by: actor.username.clone(),
            updated_at: now(),
        };
        let sql = if before.is_some() {
            "UPDATE checklist_answers SET answer = $3, target_date = $4, owner = $5, note = $6, link = $7, version = $8, updated_by = $9, updated_at = $10 WHERE fiscal_year = $1 AND item_id = $2"
        } else {
            "INSERT INTO checklist_answers (fiscal_year, item_id, answer, target_date, owner, note, link, version, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        };
        sqlx::query(sql)
            .bind(rec.fiscal_year)
            .bind(rec.item_id.clone())
            .bind(rec.answer.clone())
            .bind(rec.target_date.clone())
            .bind(rec.owner.clone())
            .bind(rec.note.clone())
            .bind(rec.link.clone())
            .bind(rec.version)
            .bind(rec.updated_by.clone())
            .bind(rec.updated_at.clone())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        audit.push(NewAuditEntry {
            actor: actor.username.clone(),
            action: if before.is_some() {
                "checklist.answer_update"
            } else {
                "checklist.answer_create"
            }
            .into(),
            entity: "checklist_answer".into(),
            entity_id: Some(entity_id(rec.fiscal_year, &rec.item_id)),
            before: before.as_ref().and_then(|b| serde_json::to_string(b).ok()),
            after: serde_json::to_string(&rec).ok(),
        });
        self.commit(tx, audit).await?;
        Ok(rec)
    }

    async fn delete_checklist_answer(
        &self,
        actor: &Actor,
        fiscal_year: i64,
        item_id: &str,
    ) -> StoreResult<()> {
        let (mut tx, mut audit) = self.begin_write().await?;
        let before = sqlx::query(&format!(
            "SELECT {ANSWER_COLUMNS} FROM checklist_answers WHERE fiscal_year = $1 AND item_id = $2"
        ))
        .bind(fiscal_year)
        .bind(item_id.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(answer_from_row)
        .transpose()
        .map_err(db_err)?
        .ok_or_else(|| {
            StoreError::NotFound(format!(
                "checklist answer {}",
                entity_id(fiscal_year, item_id)
            ))
        })?;
        sqlx::query("DELETE FROM checklist_answers WHERE fiscal_year = $1 AND item_id = $2")
            .bind(fiscal_year)
            .bind(item_id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        audit.push(NewAuditEntry {
            actor: actor.username.clone(),
            action: "checklist.answer_delete".into(),
            entity: "checklist_answer".into(),
            entity_id: Some(entity_id(fiscal_year, item_id)),
            before: serde_json::to_string(&before).ok(),
            after: None,
        });
        self.commit(tx, audit).await
    }

    async fn add_checklist_evidence(
        &self,
        actor: &Actor,
        f: NewEvidenceFile,
    ) -> StoreResult<EvidenceFileRecord> {
        let (mut tx, mut audit) = self.begin_write().await?;
        let id: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 FROM checklist_evidence_files")
            .fetch_one(&mut *tx)
            .await
            .and_then(|r| r.try_get(0))
            .map_err(db_err)?;
        let rec = EvidenceFileRecord {
            id,
            fiscal_year: f.fiscal_year,
            item_id: f.item_id,
            name: f.name,
            media_type: f.media_type,
            size: f.content.len() as i64,
            sha256: f.sha256,
            uploaded_by: actor.username.clone(),
            uploaded_at: now(),
        };
        sqlx::query(&format!(
            "INSERT INTO checklist_evidence_files ({EVIDENCE_COLUMNS}, content) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ))
        .bind(rec.id)
        .bind(rec.fiscal_year)
        .bind(rec.item_id.clone())
        .bind(rec.name.clone())
        .bind(rec.media_type.clone())
        .bind(rec.size)
        .bind(rec.sha256.clone())
        .bind(rec.uploaded_by.clone())
        .bind(rec.uploaded_at.clone())
        .bind(f.content)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        audit.push(NewAuditEntry {
            actor: actor.username.clone(),
            action: "checklist.evidence_add".into(),
            entity: "checklist_evidence".into(),
            entity_id: Some(id.to_string()),
            before: None,
            after: serde_json::to_string(&rec).ok(),
        });
        self.commit(tx, audit).await?;
        Ok(rec)
    }

    async fn checklist_evidence(
        &self,
        fiscal_year: i64,
        item_id: Option<&str>,
    ) -> StoreResult<Vec<EvidenceFileRecord>> {
        let rows = match item_id {
            Some(item) => sqlx::query(&format!(
                "SELECT {EVIDENCE_COLUMNS} FROM checklist_evidence_files WHERE fiscal_year = $1 AND item_id = $2 ORDER BY id"
            ))
            .bind(fiscal_year)
            .bind(item.to_string())
            .fetch_all(self.pool())
            .await,
            None => sqlx::query(&format!(
                "SELECT {EVIDENCE_COLUMNS} FROM checklist_evidence_files WHERE fiscal_year = $1 ORDER BY id"
            ))
            .bind(fiscal_year)
            .fetch_all(self.pool())
            .await,
        }
        .map_err(db_err)?;
        rows.iter()
            .map(evidence_from_row)
            .collect::<Result<_, _>>()
            .map_err(db_err)
    }

    async fn checklist_evidence_content(
        &self,
        id: i64,
    ) -> StoreResult<Option<(EvidenceFileRecord, Vec<u8>)>> {
        let r = sqlx::query(&format!(
            "SELECT {EVIDENCE_COLUMNS}, content FROM checklist_evidence_files WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await
        .map_err(db_err)?;
        let Some(r) = r else { return Ok(None) };
        let rec = evidence_from_row(&r).map_err(db_err)?;
        let content: Vec<u8> = r.try_get("content").map_err(db_err)?;
        Ok(Some((rec, content)))
    }

    async fn checklist_profile(&self) -> StoreResult<ChecklistProfile> {
        let r = sqlx::query("SELECT hospital_name, hospital_type, beds, include_hhs FROM checklist_profile WHERE id = 1")
            .fetch_optional(self.pool())
            .await
            .map_err(db_err)?;
        let Some(r) = r else {
            return Ok(ChecklistProfile::default());
        };
        Ok(ChecklistProfile {
            hospital_name: r.try_get(0).map_err(db_err)?,
            hospital_type: r.try_get(1).map_err(db_err)?,
            beds: r.try_get(2).map_err(db_err)?,
            include_hhs: r.try_get::<i64, _>(3).map_err(db_err)? != 0,
        })
    }

    async fn set_checklist_profile(&self, actor: &Actor, p: ChecklistProfile) -> StoreResult<()> {
        let before = self.checklist_profile().await?;
        let (mut tx, mut audit) = self.begin_write().await?;
        sqlx::query("DELETE FROM checklist_profile WHERE id = 1")
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::query(
            "INSERT INTO checklist_profile (id, hospital_name, hospital_type, beds, include_hhs, updated_by, updated_at) VALUES (1, $1, $2, $3, $4, $5, $6)",
        )
        .bind(p.hospital_name.clone())
        .bind(p.hospital_type.clone())
        .bind(p.beds)
        .bind(p.include_hhs as i64)
        .bind(actor.username.clone())
        .bind(now())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        audit.push(NewAuditEntry {
            actor: actor.username.clone(),
            action: "checklist.profile".into(),
            entity: "checklist_profile".into(),
            entity_id: Some("1".into()),
            before: serde_json::to_string(&before).ok(),
            after: serde_json::to_string(&p).ok(),
        });
        self.commit(tx, audit).await
    }

    async fn manufacturer_assessment(
        &self,
        manufacturer: &str,
    ) -> StoreResult<Option<ManufacturerAssessmentRecord>> {
        let r = sqlx::query(
            "SELECT manufacturer, answers, version, updated_by, updated_at FROM manufacturer_assessments WHERE manufacturer = $1",
        )
        .bind(manufacturer.to_string())
        .fetch_optional(self.pool())
        .await
        .map_err(db_err)?;
        let Some(r) = r else { return Ok(None) };
        Ok(Some(ManufacturerAssessmentRecord {
            manufacturer: r.try_get(0).map_err(db_err)?,
            answers_json: r.try_get(1).map_err(db_err)?,
            version: r.try_get(2).map_err(db_err)?,
            updated_by: r.try_get(3).map_err(db_err)?,
            updated_at: r.try_get(4).map_err(db_err)?,
        }))
    }

    async fn save_manufacturer_assessment(
        &self,
        actor: &Actor,
        manufacturer: &str,
        answers_json: &str,
    ) -> StoreResult<ManufacturerAssessmentRecord> {
        let before = self.manufacturer_assessment(manufacturer).await?;
        let (mut tx, mut audit) = self.begin_write().await?;
        let version = before.as_ref().map(|b| b.version).unwrap_or(0) + 1;
        let rec = ManufacturerAssessmentRecord {
            manufacturer: manufacturer.to_string(),
            answers_json: answers_json.to_string(),
            version,
            updated_by: actor.username.clone(),
            updated_at: now(),
        };
        sqlx::query("DELETE FROM manufacturer_assessments WHERE manufacturer = $1")
            .bind(manufacturer.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::query(
            "INSERT INTO manufacturer_assessments (manufacturer, answers, version, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(rec.manufacturer.clone())
        .bind(rec.answers_json.clone())
        .bind(rec.version)
        .bind(rec.updated_by.clone())
        .bind(rec.updated_at.clone())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        audit.push(NewAuditEntry {
            actor: actor.username.clone(),
            action: "manufacturer_assessment.save".into(),
            entity: "manufacturer_assessment".into(),
            entity_id: Some(manufacturer.to_string()),
            before: before.as_ref().map(|b| b.answers_json.clone()),
            after: Some(rec.answers_json.clone()),
        });
        self.commit(tx, audit).await?;
        Ok(rec)
    }

    async fn checklist_counts(&self, today: &str) -> StoreResult<ChecklistCounts> {
        let live = "deleted_at IS NULL AND status <> 'disposed'";
        let filled = |c: &str| format!("({c} IS NOT NULL AND {c} <> '')");
        let sql = format!(
            "SELECT COUNT(*), \
             SUM(CASE WHEN {ip} OR {mac} OR {seg} THEN 1 ELSE 0 END), \
             SUM(CASE WHEN {seg} THEN 1 ELSE 0 END), \
             SUM(CASE WHEN remote_line <> 'unknown' THEN 1 ELSE 0 END), \
             SUM(CASE WHEN remote_line = 'yes' THEN 1 ELSE 0 END), \
             SUM(CASE WHEN {os} THEN 1 ELSE 0 END), \
             SUM(CASE WHEN {eos} THEN 1 ELSE 0 END), \
             SUM(CASE WHEN {eos} AND eos_date < $1 THEN 1 ELSE 0 END), \
             COUNT(DISTINCT CASE WHEN {model} THEN COALESCE(manufacturer, '') || '/' || model END), \
             COUNT(DISTINCT department), \
             MAX(updated_at) \
             FROM devices WHERE {live}",
            ip = filled("ip"),
            mac = filled("mac"),
            seg = filled("network_segment"),
            os = filled("os"),
            eos = filled("eos_date"),
            model = filled("model"),
        );
        let r = sqlx::query(&sql)
            .bind(today.to_string())
            .fetch_one(self.pool())
            .await
            .map_err(db_err)?;
        let int = |i: usize| -> StoreResult<i64> {
            Ok(r.try_get::<Option<i64>, _>(i).map_err(db_err)?.unwrap_or(0))
        };
        let roles = sqlx::query(
            "SELECT SUM(CASE WHEN role = 'isso' THEN 1 ELSE 0 END), SUM(CASE WHEN role = 'device_safety' THEN 1 ELSE 0 END) FROM users WHERE disabled = 0",
        )
        .fetch_one(self.pool())
        .await
        .map_err(db_err)?;
        let role = |i: usize| -> StoreResult<i64> {
            Ok(roles
                .try_get::<Option<i64>, _>(i)
                .map_err(db_err)?
                .unwrap_or(0))
        };
        let with_contact: i64 = sqlx::query(
            "SELECT COUNT(DISTINCT d.department) FROM devices d JOIN users u ON u.department = d.department AND u.role = 'department_user' AND u.disabled = 0 WHERE d.deleted_at IS NULL AND d.status <> 'disposed'",
        )
        .fetch_one(self.pool())
        .await
        .and_then(|r| r.try_get(0))
        .map_err(db_err)?;
        Ok(ChecklistCounts {
            devices_total: int(0)?,
            devices_with_network_info: int(1)?,
            devices_with_segment: int(2)?,
            devices_remote_known: int(3)?,
            devices_with_remote_line: int(4)?,
            devices_with_os: int(5)?,
            devices_with_eos_date: int(6)?,
            devices_past_eos: int(7)?,
            models_total: int(8)?,
            departments_total: int(9)?,
            departments_with_contact: with_contact,
            isso_accounts: role(0)?,
            device_safety_accounts: role(1)?,
            ledger_last_change: r.try_get::<Option<String>, _>(10).map_err(db_err)?,
        })
    }
}
