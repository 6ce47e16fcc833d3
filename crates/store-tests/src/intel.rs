//! Conformance checks of the vulnerability-intelligence records ([`IntelStore`]): feeds, device
//! models with SBOMs/MDS2/VEX, findings and their lifecycle, priorities, notices.

use crate::{admin, device};
use mdsec_store::*;
use mdsec_store_sql::SqlStore;
use serde_json::json;

fn advisory(id: &str, title: &str, cvss: Option<f64>) -> AdvisoryRecord {
    AdvisoryRecord {
        id: id.into(),
        source: "csaf".into(),
        title: title.into(),
        cves: vec![format!("CVE-2099-{}", id.len())],
        cvss,
        published: Some("2026-01-01T00:00:00Z".into()),
        modified: Some("2026-01-02T00:00:00Z".into()),
        file_name: format!("{id}.json"),
        sha256: format!("{:064}", title.len()),
        document: json!({"id": id, "title": title}).to_string(),
    }
}

fn kev(cve: &str) -> KevRecord {
    KevRecord {
        cve_id: cve.into(),
        vendor: Some("Contec".into()),
        product: Some("CMS8000".into()),
        name: Some("test".into()),
        date_added: Some("2026-01-01".into()),
        due_date: None,
        required_action: Some("apply updates".into()),
        known_ransomware: true,
    }
}

async fn audit_total(s: &SqlStore) -> i64 {
    s.list_audit(&AuditQuery {
        limit: 1,
        ..Default::default()
    })
    .await
    .unwrap()
    .total
}

/// A feed import reports new / updated / unchanged, keeps documents and scores exactly, and is
/// idempotent.
pub async fn check_feed_import_is_idempotent(s: &SqlStore) {
    let batch = || FeedBatch {
        advisories: vec![
            advisory("ICSMA-1", "Monitor", Some(9.8)),
            advisory("GHSA-x", "Library", None),
        ],
        kev: vec![kev("CVE-2099-7"), kev("CVE-2099-6")],
        epss: vec![EpssRecord {
            cve_id: "CVE-2099-7".into(),
            epss: 0.123456,
            percentile: Some(0.9),
            score_date: Some("2026-11-01".into()),
        }],
        sources: vec!["fixture".into()],
    };
    let audit_before = audit_total(s).await;
    let r = s.import_feed(&admin(), batch()).await.unwrap();
    let mut new = r.new.clone();
    new.sort();
    assert_eq!(new, vec!["GHSA-x".to_string(), "ICSMA-1".to_string()]);
    assert_eq!((r.unchanged, r.kev_new, r.kev_total), (0, 2, 2));
    assert!(audit_total(s).await > audit_before, "the import is audited");
    let again = s.import_feed(&admin(), batch()).await.unwrap();
    assert!(
        again.new.is_empty() && again.updated.is_empty(),
        "{again:?}"
    );
    assert_eq!((again.unchanged, again.kev_new, again.kev_total), (2, 0, 2));
    let mut changed = batch();
    changed.advisories[0] = advisory("ICSMA-1", "Monitor (update A)", Some(7.5));
    let upd = s.import_feed(&admin(), changed).await.unwrap();
    assert_eq!(upd.updated, vec!["ICSMA-1".to_string()]);
    let a = s.get_advisory("ICSMA-1").await.unwrap().unwrap();
    assert_eq!(a.title, "Monitor (update A)");
    assert_eq!(a.cvss, Some(7.5));
    assert_eq!(
        a.document,
        json!({"id": "ICSMA-1", "title": "Monitor (update A)"}).to_string()
    );
    assert_eq!(s.list_advisories(10, 0).await.unwrap().total, 2);
    assert_eq!(s.kev_entries().await.unwrap().len(), 2);
    let e = s.epss_for(&["CVE-2099-7".into()]).await.unwrap();
    assert_eq!(e.len(), 1);
    assert!((e[0].epss - 0.123456).abs() < 1e-9, "{e:?}");
    assert!(s.get_advisory("nope").await.unwrap().is_none());
}

/// Device models are unique per (manufacturer, model, version); SBOM components, MDS2 profiles and
/// VEX statements come back as stored.
pub async fn check_models_sboms_mds2_vex(s: &SqlStore) {
    let m1 = s
        .ensure_device_model(&admin(), "Contec", "CMS8000", "2.0.8")
        .await
        .unwrap();
    let m2 = s
        .ensure_device_model(&admin(), "Contec", "CMS8000", "2.0.8")
        .await
        .unwrap();
    assert_eq!(m1, m2);
    let all = s
        .ensure_device_model(&admin(), "Contec", "CMS8000", "")
        .await
        .unwrap();
    assert_ne!(m1, all);
    let comps = vec![
        ComponentRecord {
            name: "openssl".into(),
            version: Some("1.0.2k".into()),
            purl: Some("pkg:generic/openssl@1.0.2k".into()),
            cpe: Some("cpe:2.3:a:openssl:openssl:1.0.2k:*:*:*:*:*:*:*".into()),
        },
        ComponentRecord {
            name: "busybox".into(),
            version: None,
            purl: None,
            cpe: None,
        },
    ];
    let sb = s
        .attach_sbom(
            &admin(),
            m1,
            NewSbom {
                file_name: "cms8000.cdx.json".into(),
                format: "cyclonedx 1.5".into(),
                sha256: "ab".repeat(32),
                components: comps.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(sb.component_count, 2);
    let mut got = s.model_components(m1).await.unwrap();
    got.sort_by(|a, b| b.name.cmp(&a.name));
    assert_eq!(got, comps);
    assert_eq!(s.all_components().await.unwrap().len(), 2);
    let md = s
        .attach_mds2(
            &admin(),
            m1,
            NewMds2 {
                file_name: "mds2.xlsx".into(),
                sha256: "cd".repeat(32),
                profile: json!({"edition": "HN 1-2019", "answers": 3}),
            },
        )
        .await
        .unwrap();
    assert_eq!(s.model_mds2(m1).await.unwrap(), vec![md]);
    let m = s.get_device_model(m1).await.unwrap().unwrap();
    assert_eq!((m.sbom_count, m.mds2_count), (1, 1));
    assert_eq!(s.model_sboms(all).await.unwrap().len(), 0);
    let st = VexStatement {
        vulnerability: "CVE-2022-38100".into(),
        manufacturer: Some("Contec".into()),
        model: Some("CMS8000".into()),
        versions: Some("2.0.8".into()),
        purl: None,
        status: "not_affected".into(),
        justification: Some("vulnerable_code_not_in_execute_path".into()),
        detail: Some("日本語の説明".into()),
        format: "openvex".into(),
        source: "manufacturer:Contec".into(),
        file_name: Some("contec.openvex.json".into()),
    };
    let added = s.add_vex(&admin(), vec![st.clone()]).await.unwrap();
    assert_eq!(added.len(), 1);
    let listed = s.list_vex().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].statement, st);
}

fn matched(device_id: i64, advisory_id: &str, status: &str, evidence: &str) -> FindingMatch {
    FindingMatch {
        device_id,
        advisory_id: advisory_id.into(),
        match_status: status.into(),
        confidence: "high".into(),
        evidence: json!({"matched": evidence}),
        aliases: vec!["CVE-2099-7".into()],
        remediations: vec!["ファームウェアを更新する".into()],
        vex: None,
    }
}

fn priority(device_id: i64, score: f64, open: i64) -> DevicePriorityRecord {
    DevicePriorityRecord {
        device_id,
        score,
        reasons: json!([{"code": "affected", "points": score, "detail": "x"}]),
        open_findings: open,
    }
}

/// A re-match replaces only the matcher's view: lifecycle fields survive, findings no longer
/// produced become `resolved` (and `closed` only when nobody touched them), priorities order the
/// act-now list.
pub async fn check_findings_keep_their_lifecycle(s: &SqlStore) {
    s.import_feed(
        &admin(),
        FeedBatch {
            advisories: vec![advisory("ICSMA-1", "Monitor", Some(9.8))],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let d1 = s
        .create_device(&admin(), device(1, "ICU"))
        .await
        .unwrap()
        .id;
    let d2 = s
        .create_device(&admin(), device(2, "ICU"))
        .await
        .unwrap()
        .id;
    let sync = |matches: Vec<FindingMatch>, prios: Vec<DevicePriorityRecord>| FindingsSync {
        scope: FindingScope::All,
        matches,
        priorities: prios,
    };
    let r = s
        .sync_findings(
            &admin(),
            sync(
                vec![
                    matched(d1, "ICSMA-1", "affected", "cpe"),
                    matched(d2, "ICSMA-1", "undetermined", "name"),
                ],
                vec![priority(d1, 80.0, 1), priority(d2, 40.0, 1)],
            ),
        )
        .await
        .unwrap();
    assert_eq!(r.created.len(), 2);
    let page = s.device_priorities(true, 10, 0).await.unwrap();
    assert_eq!(
        page.items.iter().map(|p| p.device_id).collect::<Vec<_>>(),
        vec![d1, d2]
    );
    let f1 = s
        .list_findings(&FindingQuery {
            device_id: Some(d1),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap()
        .items
        .remove(0);
    assert_eq!(
        (f1.status.as_str(), f1.advisory_title.as_deref()),
        ("new", Some("Monitor"))
    );
    assert_eq!(f1.advisory_cvss, Some(9.8));
    let bad = s
        .update_finding(
            &admin(),
            f1.id,
            FindingUpdate {
                status: Some("done".into()),
                ..Default::default()
            },
        )
        .await;
    assert!(matches!(bad, Err(StoreError::Refused(_))), "{bad:?}");
    let audit_before = audit_total(s).await;
    let u = s
        .update_finding(
            &admin(),
            f1.id,
            FindingUpdate {
                status: Some("mitigated".into()),
                owner: Some("臨床工学 山田".into()),
                due_date: Some("2026-12-31".into()),
                comment: Some("VLAN分離済み".into()),
                compensating_controls: Some("isolated VLAN".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(u.status, "mitigated");
    assert_eq!(
        audit_total(s).await,
        audit_before + 1,
        "the update is audited"
    );
    // Same matches, new evidence: the matcher's view changes, the lifecycle stays.
    let r = s
        .sync_findings(
            &admin(),
            sync(
                vec![
                    matched(d1, "ICSMA-1", "affected", "cpe+purl"),
                    matched(d2, "ICSMA-1", "undetermined", "name"),
                ],
                vec![priority(d1, 70.0, 1), priority(d2, 40.0, 1)],
            ),
        )
        .await
        .unwrap();
    assert!(r.created.is_empty());
    assert_eq!(r.updated, 1);
    let f1 = s.get_finding(f1.id).await.unwrap().unwrap();
    assert_eq!(f1.evidence, json!({"matched": "cpe+purl"}));
    assert_eq!(
        (
            f1.status.as_str(),
            f1.owner.as_deref(),
            f1.compensating_controls.as_deref()
        ),
        ("mitigated", Some("臨床工学 山田"), Some("isolated VLAN"))
    );
    // Nothing matches any more: the touched finding is resolved but keeps its status; the
    // untouched one is closed.
    let r = s
        .sync_findings(
            &admin(),
            sync(vec![], vec![priority(d1, 5.0, 0), priority(d2, 5.0, 0)]),
        )
        .await
        .unwrap();
    assert_eq!(r.resolved, 2);
    let all = s
        .list_findings(&FindingQuery {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap()
        .items;
    for f in &all {
        assert_eq!(f.match_status, "resolved", "{f:?}");
        let want = if f.device_id == d1 {
            "mitigated"
        } else {
            "closed"
        };
        assert_eq!(f.status, want, "{f:?}");
    }
    assert_eq!(s.device_priorities(true, 10, 0).await.unwrap().total, 0);
    assert_eq!(s.device_priorities(false, 10, 0).await.unwrap().total, 2);
    // Empty priorities leave the stored ones alone.
    s.sync_findings(&admin(), sync(vec![], vec![]))
        .await
        .unwrap();
    assert_eq!(s.device_priorities(false, 10, 0).await.unwrap().total, 2);
    // Scoped re-match of one device does not touch the other's findings.
    s.sync_findings(
        &admin(),
        FindingsSync {
            scope: FindingScope::Devices(vec![d2]),
            matches: vec![matched(d2, "ICSMA-1", "affected", "again")],
            priorities: vec![priority(d1, 5.0, 0), priority(d2, 90.0, 1)],
        },
    )
    .await
    .unwrap();
    let f_d1 = s.get_finding(f1.id).await.unwrap().unwrap();
    assert_eq!(f_d1.match_status, "resolved");
    let top = s.device_priorities(true, 10, 0).await.unwrap();
    assert_eq!(top.items[0].device_id, d2);
    assert_eq!(s.device_priority(d2).await.unwrap().unwrap().score, 90.0);
}

/// Notices are created once per (device, advisory, recipient); state changes are audited.
pub async fn check_notices_once_and_audited(s: &SqlStore) {
    let d = s
        .create_device(&admin(), device(3, "ICU"))
        .await
        .unwrap()
        .id;
    let u = s
        .create_user(
            &admin(),
            NewUser {
                username: "dso".into(),
                display_name: "安全管理責任者".into(),
                password_hash: "x".into(),
                role: Role::DeviceSafety,
                department: None,
                manufacturer: None,
            },
        )
        .await
        .unwrap();
    s.set_user_email(&admin(), u.id, Some("dso@hospital.test"))
        .await
        .unwrap();
    assert!(s
        .user_emails()
        .await
        .unwrap()
        .contains(&(u.id, "dso@hospital.test".to_string())));
    let notice = || NewNotice {
        device_id: d,
        advisory_id: "ICSMA-1".into(),
        recipient: "dso".into(),
        subject: "対応が必要な機器".into(),
        body: "本文".into(),
    };
    let made = s
        .create_notices(&admin(), vec![notice(), notice()])
        .await
        .unwrap();
    assert_eq!(made.len(), 1, "duplicates in one call are skipped");
    assert!(s
        .create_notices(&admin(), vec![notice()])
        .await
        .unwrap()
        .is_empty());
    s.mark_notice_emailed(made[0].id).await.unwrap();
    let before = audit_total(s).await;
    let n = s
        .update_notice(&admin(), made[0].id, "acknowledged", Some("臨床工学 山田"))
        .await
        .unwrap();
    assert_eq!(n.state, "acknowledged");
    assert_eq!(n.assigned_to.as_deref(), Some("臨床工学 山田"));
    assert!(n.emailed_at.is_some());
    assert_eq!(audit_total(s).await, before + 1);
    let listed = s.list_notices(Some("dso"), 10).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(s.list_notices(Some("other"), 10).await.unwrap().is_empty());
    s.set_user_email(&admin(), u.id, None).await.unwrap();
    assert!(s.user_emails().await.unwrap().is_empty());
}
