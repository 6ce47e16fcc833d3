//! The checklist tables (migration 6) against SQLite and PostgreSQL: answers per fiscal year with
//! optimistic concurrency and audit entries in the same transaction, evidence files, the hospital
//! profile, manufacturer self-assessments, and the counts that pre-fill answers.

use mdsec_domain::{DeviceStatus, RemoteLine};
use mdsec_store::*;
use mdsec_store_sql::SqlStore;
use mdsec_store_tests::*;

macro_rules! both_backends {
    ($($check:ident),* $(,)?) => {
        mod sqlite {
            use super::*;
            $(
                #[tokio::test]
                async fn $check() {
                    let f = sqlite_fixture().await;
                    super::$check(&f.store).await;
                }
            )*
        }
        mod postgres {
            use super::*;
            $(
                #[tokio::test]
                async fn $check() {
                    let f = postgres_fixture().await;
                    super::$check(&f.store).await;
                    let schema = f.schema.clone().unwrap();
                    f.store.pool().close().await;
                    drop_schema(&schema).await;
                }
            )*
        }
    };
}

both_backends!(
    checklist_answers_per_fiscal_year,
    checklist_evidence_files,
    checklist_profile_and_manufacturer_assessment,
    checklist_counts_from_ledger_and_accounts,
);

fn answer(fy: i64, item: &str, value: &str) -> NewChecklistAnswer {
    NewChecklistAnswer {
        fiscal_year: fy,
        item_id: item.into(),
        answer: value.into(),
        target_date: None,
        owner: None,
        note: None,
        link: None,
    }
}

async fn audit_of(s: &SqlStore, entity: &str) -> Vec<AuditEntry> {
    s.list_audit(&AuditQuery {
        entity: Some(entity.into()),
        limit: 100,
        ..Default::default()
    })
    .await
    .unwrap()
    .items
}

async fn checklist_answers_per_fiscal_year(s: &SqlStore) {
    let a = s
        .save_checklist_answer(&admin(), answer(2024, "mhlw.isso", "yes"), Some(0))
        .await
        .unwrap();
    assert_eq!((a.version, a.updated_by.as_str()), (1, "admin"));
    let mut no = answer(2024, "mhlw.backup", "no");
    no.target_date = Some("2025-01-31".into());
    no.owner = Some("情報システム課".into());
    no.note = Some("復元訓練は未実施".into());
    no.link = Some("/devices".into());
    s.save_checklist_answer(&admin(), no, None).await.unwrap();
    s.save_checklist_answer(&admin(), answer(2025, "mhlw.isso", "yes"), None)
        .await
        .unwrap();
    s.save_checklist_answer(&admin(), answer(2025, "mhlw.passwords", "na"), None)
        .await
        .unwrap();

    // Each fiscal year keeps its own answers.
    let y24 = s.checklist_answers(Some(2024)).await.unwrap();
    assert_eq!(y24.len(), 2);
    let backup = y24.iter().find(|a| a.item_id == "mhlw.backup").unwrap();
    assert_eq!(backup.target_date.as_deref(), Some("2025-01-31"));
    assert_eq!(backup.owner.as_deref(), Some("情報システム課"));
    assert_eq!(backup.note.as_deref(), Some("復元訓練は未実施"));
    assert_eq!(s.checklist_answers(Some(2025)).await.unwrap().len(), 2);
    let all = s.checklist_answers(None).await.unwrap();
    assert_eq!(
        all.iter()
            .map(|a| (a.fiscal_year, a.item_id.as_str()))
            .collect::<Vec<_>>(),
        vec![
            (2024, "mhlw.backup"),
            (2024, "mhlw.isso"),
            (2025, "mhlw.isso"),
            (2025, "mhlw.passwords")
        ]
    );

    // Update with the right version; a stale version and "must not exist" are refused.
    let u = s
        .save_checklist_answer(&admin(), answer(2024, "mhlw.isso", "no"), Some(1))
        .await
        .unwrap();
    assert_eq!((u.version, u.answer.as_str()), (2, "no"));
    let stale = s
        .save_checklist_answer(&admin(), answer(2024, "mhlw.isso", "yes"), Some(1))
        .await
        .unwrap_err();
    assert!(matches!(stale, StoreError::Conflict(_)), "{stale:?}");
    assert!(matches!(
        s.save_checklist_answer(&admin(), answer(2024, "mhlw.isso", "yes"), Some(0))
            .await,
        Err(StoreError::Conflict(_))
    ));
    // The database refuses an answer that is not yes/no/na.
    let bad = s
        .save_checklist_answer(&admin(), answer(2024, "mhlw.usb", "maybe"), None)
        .await
        .unwrap_err();
    assert!(matches!(bad, StoreError::Refused(_)), "{bad:?}");

    s.delete_checklist_answer(&admin(), 2025, "mhlw.passwords")
        .await
        .unwrap();
    assert!(matches!(
        s.delete_checklist_answer(&admin(), 2025, "mhlw.passwords")
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(s.checklist_answers(Some(2025)).await.unwrap().len(), 1);

    // Every change is in the audit log, with before and after.
    let audit = audit_of(s, "checklist_answer").await;
    assert_eq!(audit.len(), 6, "{audit:#?}");
    let update = audit
        .iter()
        .find(|e| e.action == "checklist.answer_update")
        .unwrap();
    assert_eq!(update.entity_id.as_deref(), Some("2024/mhlw.isso"));
    assert!(update.before.as_deref().unwrap().contains("\"yes\""));
    assert!(update.after.as_deref().unwrap().contains("\"no\""));
    assert!(audit.iter().any(|e| e.action == "checklist.answer_delete"
        && e.entity_id.as_deref() == Some("2025/mhlw.passwords")));
    verify_chain(&s.audit_chain().await.unwrap()).unwrap();
}

async fn checklist_evidence_files(s: &SqlStore) {
    let pdf = b"%PDF-1.7\n% evidence".to_vec();
    let rec = s
        .add_checklist_evidence(
            &admin(),
            NewEvidenceFile {
                fiscal_year: 2025,
                item_id: "mhlw.contact_chart".into(),
                name: "連絡体制図.pdf".into(),
                media_type: "application/pdf".into(),
                sha256: "ab".repeat(32),
                content: pdf.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!((rec.id, rec.size), (1, pdf.len() as i64));
    let listed = s
        .checklist_evidence(2025, Some("mhlw.contact_chart"))
        .await
        .unwrap();
    assert_eq!(listed, vec![rec.clone()]);
    assert!(s.checklist_evidence(2024, None).await.unwrap().is_empty());
    let (meta, bytes) = s.checklist_evidence_content(rec.id).await.unwrap().unwrap();
    assert_eq!((meta, bytes), (rec, pdf));
    assert!(s.checklist_evidence_content(99).await.unwrap().is_none());
    // An empty file is refused by the database.
    let empty = s
        .add_checklist_evidence(
            &admin(),
            NewEvidenceFile {
                fiscal_year: 2025,
                item_id: "mhlw.backup".into(),
                name: "x.txt".into(),
                media_type: "text/plain".into(),
                sha256: "00".repeat(32),
                content: Vec::new(),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(empty, StoreError::Refused(_)), "{empty:?}");
    let audit = audit_of(s, "checklist_evidence").await;
    assert_eq!(audit.len(), 1);
    // The audit entry names the file, never its bytes.
    assert!(audit[0]
        .after
        .as_deref()
        .unwrap()
        .contains("連絡体制図.pdf"));
    assert!(!audit[0].after.as_deref().unwrap().contains("% evidence"));
}

async fn checklist_profile_and_manufacturer_assessment(s: &SqlStore) {
    assert_eq!(
        s.checklist_profile().await.unwrap(),
        ChecklistProfile::default()
    );
    let p = ChecklistProfile {
        hospital_name: Some("（架空）みなと中央総合病院".into()),
        hospital_type: Some("general".into()),
        beds: Some(400),
        include_hhs: true,
    };
    s.set_checklist_profile(&admin(), p.clone()).await.unwrap();
    assert_eq!(s.checklist_profile().await.unwrap(), p);
    let p2 = ChecklistProfile {
        include_hhs: false,
        ..p.clone()
    };
    s.set_checklist_profile(&admin(), p2.clone()).await.unwrap();
    assert_eq!(s.checklist_profile().await.unwrap(), p2);
    assert_eq!(audit_of(s, "checklist_profile").await.len(), 2);

    assert!(s.manufacturer_assessment("Contec").await.unwrap().is_none());
    let json = r#"{"13":{"kind":"single","value":"done"}}"#;
    let r = s
        .save_manufacturer_assessment(&admin(), "Contec", json)
        .await
        .unwrap();
    assert_eq!(r.version, 1);
    let r = s
        .save_manufacturer_assessment(
            &admin(),
            "Contec",
            r#"{"13":{"kind":"single","value":"preparing"}}"#,
        )
        .await
        .unwrap();
    assert_eq!(r.version, 2);
    let got = s.manufacturer_assessment("Contec").await.unwrap().unwrap();
    assert!(got.answers_json.contains("preparing"));
    let audit = audit_of(s, "manufacturer_assessment").await;
    assert_eq!(audit.len(), 2);
    assert_eq!(audit[0].before.as_deref(), Some(json));
}

async fn checklist_counts_from_ledger_and_accounts(s: &SqlStore) {
    let empty = s.checklist_counts("2025-06-01").await.unwrap();
    assert_eq!(empty.devices_total, 0);
    assert_eq!(empty.ledger_last_change, None);

    // 6 devices in two departments; `device()` records IP, MAC and model.
    for n in 1..=6 {
        let mut d = device(n, if n <= 4 { "ICU" } else { "放射線科" });
        if n == 1 {
            d.os = Some("Windows 10".into());
            d.eos_date = Some("2024-12-31".into());
            d.network_segment = Some("VLAN10".into());
            d.remote_line = RemoteLine::Yes;
        }
        if n == 2 {
            d.eos_date = Some("2030-03-31".into());
            d.remote_line = RemoteLine::No;
        }
        if n == 3 {
            d.ip = None;
            d.mac = None;
        }
        s.create_device(&admin(), d).await.unwrap();
    }
    // A disposed device and a deleted one do not count.
    let mut disposed = device(7, "ICU");
    disposed.status = DeviceStatus::Disposed;
    s.create_device(&admin(), disposed).await.unwrap();
    let gone = s.create_device(&admin(), device(8, "ICU")).await.unwrap();
    s.delete_device(&admin(), gone.id).await.unwrap();

    for (name, role, dept) in [
        ("isso1", Role::Isso, None),
        ("ce1", Role::DeviceSafety, None),
        ("icu1", Role::DepartmentUser, Some("ICU")),
    ] {
        s.create_user(
            &admin(),
            NewUser {
                username: name.into(),
                display_name: name.into(),
                password_hash: "x".into(),
                role,
                department: dept.map(str::to_string),
                manufacturer: None,
            },
        )
        .await
        .unwrap();
    }

    let c = s.checklist_counts("2025-06-01").await.unwrap();
    assert_eq!(c.devices_total, 6);
    assert_eq!(c.devices_with_network_info, 5);
    assert_eq!(c.devices_with_segment, 1);
    assert_eq!(c.devices_remote_known, 2);
    assert_eq!(c.devices_with_remote_line, 1);
    assert_eq!(c.devices_with_os, 1);
    assert_eq!(c.devices_with_eos_date, 2);
    assert_eq!(c.devices_past_eos, 1);
    // device(): model M{n % 7}, manufacturer alternating → 6 distinct pairs.
    assert_eq!(c.models_total, 6);
    assert_eq!((c.isso_accounts, c.device_safety_accounts), (1, 1));
    assert_eq!((c.departments_total, c.departments_with_contact), (2, 1));
    assert!(c.ledger_last_change.is_some());
}
