//! Conformance checks of the remote-maintenance lines registry ([`RemoteLineStore`]).

use crate::{admin, device, snapshot};
use mdsec_domain::RemoteLine;
use mdsec_store::*;
use mdsec_store_sql::SqlStore;

fn user(id: i64, name: &str) -> Actor {
    Actor {
        user_id: Some(id),
        username: name.into(),
    }
}

/// RFC 3339 UTC text for now + `minutes` (std only: days-from-civil in reverse).
pub fn utc_in(minutes: i64) -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
        + minutes * 60;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

async fn two_devices_and_a_line(s: &SqlStore) -> (i64, i64, RemoteLineRecord) {
    let a = s
        .create_device(&admin(), device(1, "放射線科"))
        .await
        .unwrap();
    let b = s
        .create_device(&admin(), device(2, "放射線科"))
        .await
        .unwrap();
    let line = s
        .create_remote_line(
            &admin(),
            NewRemoteLine {
                vendor: "Philips".into(),
                method: Some(RemoteMethod::SiteToSiteVpn),
                endpoints: vec!["192.0.2.10".into()],
                device_ids: vec![a.id, b.id],
                vendor_contact: Some("サービス窓口 03-0000-0000".into()),
                hospital_owner: Some("医療情報部".into()),
                contract_ref: Some("保守契約 2026-001".into()),
                approval_policy: Some(ApprovalPolicy::PerSession),
                last_review: Some("2026-01-15".into()),
                notes: None,
            },
        )
        .await
        .unwrap();
    (a.id, b.id, line)
}

pub async fn check_remote_line_registry(s: &SqlStore) {
    let (a, b, line) = two_devices_and_a_line(s).await;
    assert_eq!(line.version, 1);
    assert_eq!(line.device_ids, [a, b]);
    assert_eq!(line.method, RemoteMethod::SiteToSiteVpn);
    assert_eq!(line.source, "manual");
    assert!(
        line.flags("2026-04-01").is_empty(),
        "{:?}",
        line.flags("2026-04-01")
    );
    assert_eq!(s.get_remote_line(line.id).await.unwrap().unwrap(), line);

    // Unknown devices and bad fields are refused by name, and change nothing.
    let before = snapshot(s).await;
    let err = s
        .create_remote_line(
            &admin(),
            NewRemoteLine {
                vendor: "GE".into(),
                device_ids: vec![a, 999_999],
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Refused(m) if m.contains("999999")),
        "{err:?}"
    );
    let err = s
        .create_remote_line(&admin(), NewRemoteLine::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Refused(m) if m.contains("vendor")),
        "{err:?}"
    );
    assert_eq!(snapshot(s).await, before);
    assert_eq!(s.list_remote_lines().await.unwrap().len(), 1);

    // An always-on line is kept but flagged; a stale version is refused.
    let mut change = NewRemoteLine {
        vendor: "Philips".into(),
        method: Some(RemoteMethod::LteRouter),
        endpoints: vec!["192.0.2.10".into(), "relay.example.com".into()],
        device_ids: vec![a],
        approval_policy: Some(ApprovalPolicy::AlwaysOn),
        ..Default::default()
    };
    let updated = s
        .update_remote_line(&admin(), line.id, change.clone(), Some(1))
        .await
        .unwrap();
    assert_eq!(updated.version, 2);
    assert_eq!(updated.device_ids, [a]);
    assert_eq!(updated.endpoints, ["192.0.2.10", "relay.example.com"]);
    assert!(updated.flags("2026-04-01").contains(&"always_on"));
    change.vendor = "Philips Japan".into();
    let err = s
        .update_remote_line(&admin(), line.id, change, Some(1))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");

    let retired = s.retire_remote_line(&admin(), line.id).await.unwrap();
    assert!(retired.retired);

    let audit = s
        .list_audit(&AuditQuery {
            entity: Some("remote_line".into()),
            entity_id: Some(line.id.to_string()),
            limit: 10,
            offset: 0,
        })
        .await
        .unwrap();
    let actions: Vec<&str> = audit
        .items
        .iter()
        .rev()
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "remote_line.create",
            "remote_line.update",
            "remote_line.retire"
        ]
    );
    assert!(audit.items[1]
        .after
        .as_deref()
        .unwrap()
        .contains("always_on"));
    verify_chain(&s.audit_chain().await.unwrap()).unwrap();
}

pub async fn check_remote_session_workflow(s: &SqlStore) {
    let (a, _b, line) = two_devices_and_a_line(s).await;
    let vendor = user(7, "philips.service");
    let isso = user(2, "sato.isso");
    let request = |start: i64, end: i64, devices: Vec<i64>| NewRemoteSession {
        line_id: line.id,
        window_start: utc_in(start),
        window_end: utc_in(end),
        purpose: "ソフトウェア更新 (CT)".into(),
        device_ids: devices,
    };

    let r = s
        .request_remote_session(&vendor, request(-5, 120, vec![a]))
        .await
        .unwrap();
    assert_eq!(r.status, SessionStatus::Requested);
    assert_eq!(r.requested_by, "philips.service");
    assert_eq!(r.device_ids, [a]);
    assert!(r.window_start.ends_with('Z') && r.window_end > r.window_start);

    // The requester cannot decide their own request.
    let err = s
        .decide_remote_session(
            &vendor,
            r.id,
            SessionDecision {
                approve: true,
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Refused(m) if m.contains("cannot approve")),
        "{err:?}"
    );
    // A session cannot start before approval.
    assert!(s.start_remote_session(&vendor, r.id).await.is_err());

    // An overlapping window on the same line is refused while the first is open.
    let err = s
        .request_remote_session(&isso, request(60, 180, vec![a]))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict(m) if m.contains(&format!("#{}", r.id))),
        "{err:?}"
    );

    let approved = s
        .decide_remote_session(
            &isso,
            r.id,
            SessionDecision {
                approve: true,
                note: Some("作業後に報告のこと".into()),
                firewall_rule: Some("table inet mdsec_remote {}".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(approved.status, SessionStatus::Approved);
    assert_eq!(approved.decided_by.as_deref(), Some("sato.isso"));
    assert!(approved.firewall_rule.is_some());
    // Decided once only.
    assert!(s
        .decide_remote_session(&isso, r.id, SessionDecision::default())
        .await
        .is_err());

    let started = s.start_remote_session(&vendor, r.id).await.unwrap();
    assert_eq!(started.status, SessionStatus::Active);
    assert!(started.started_at.is_some());
    let ended = s
        .end_remote_session(&vendor, r.id, Some("ファームウェア 2.1 適用"))
        .await
        .unwrap();
    assert_eq!(ended.status, SessionStatus::Ended);
    assert_eq!(
        ended.work_summary.as_deref(),
        Some("ファームウェア 2.1 適用")
    );
    assert!(s.end_remote_session(&vendor, r.id, None).await.is_err());

    // Once ended, the window is free again; a rejected request frees it too.
    let second = s
        .request_remote_session(&vendor, request(60, 180, vec![]))
        .await
        .unwrap();
    let rejected = s
        .decide_remote_session(
            &isso,
            second.id,
            SessionDecision {
                approve: false,
                note: Some("日程再調整".into()),
                firewall_rule: Some("ignored".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(rejected.status, SessionStatus::Rejected);
    assert_eq!(rejected.firewall_rule, None);
    let third = s
        .request_remote_session(&vendor, request(60, 180, vec![]))
        .await
        .unwrap();
    let cancelled = s.cancel_remote_session(&vendor, third.id).await.unwrap();
    assert_eq!(cancelled.status, SessionStatus::Cancelled);

    // Emergency override: needs a reason, opens at once, is marked.
    let err = s
        .emergency_remote_session(&isso, request(0, 60, vec![a]), "  ")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Refused(m) if m.contains("reason")),
        "{err:?}"
    );
    let e = s
        .emergency_remote_session(
            &isso,
            request(0, 60, vec![a]),
            "CT 停止、救急患者待ち。メーカー当番の依頼",
        )
        .await
        .unwrap();
    assert_eq!(e.status, SessionStatus::Active);
    assert!(e.emergency && e.emergency_reason.is_some() && e.started_at.is_some());

    let page = s
        .list_remote_sessions(&RemoteSessionQuery {
            line_id: Some(line.id),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.total, 4);
    assert_eq!(
        s.list_remote_sessions(&RemoteSessionQuery {
            status: Some(SessionStatus::Active),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap()
        .total,
        1
    );

    // Every step is in the audit log, in order, by the person who did it.
    let audit = s
        .list_audit(&AuditQuery {
            entity: Some("remote_session".into()),
            entity_id: Some(r.id.to_string()),
            limit: 20,
            offset: 0,
        })
        .await
        .unwrap();
    let steps: Vec<(&str, &str)> = audit
        .items
        .iter()
        .rev()
        .map(|e| (e.action.as_str(), e.actor.as_str()))
        .collect();
    assert_eq!(
        steps,
        [
            ("remote_session.request", "philips.service"),
            ("remote_session.approve", "sato.isso"),
            ("remote_session.start", "philips.service"),
            ("remote_session.end", "philips.service"),
        ]
    );
    verify_chain(&s.audit_chain().await.unwrap()).unwrap();
}

pub async fn check_remote_session_bad_requests(s: &SqlStore) {
    let (a, _b, line) = two_devices_and_a_line(s).await;
    let other = s.create_device(&admin(), device(3, "ICU")).await.unwrap();
    let vendor = user(7, "philips.service");
    let at = |start: &str, end: &str, devices: Vec<i64>, purpose: &str| NewRemoteSession {
        line_id: line.id,
        window_start: start.into(),
        window_end: end.into(),
        purpose: purpose.into(),
        device_ids: devices,
    };
    let before = snapshot(s).await;
    let cases: Vec<(NewRemoteSession, &str)> = vec![
        (
            at(&utc_in(60), &utc_in(30), vec![], "x"),
            "before it starts",
        ),
        (
            at(&utc_in(60), &utc_in(60), vec![], "x"),
            "before it starts",
        ),
        (at(&utc_in(0), &utc_in(73 * 60), vec![], "x"), "72 hours"),
        (
            at(&utc_in(-120), &utc_in(-60), vec![], "x"),
            "ended already",
        ),
        (
            at(
                &utc_in(200 * 24 * 60),
                &utc_in(200 * 24 * 60 + 60),
                vec![],
                "x",
            ),
            "days ahead",
        ),
        (at("tomorrow", &utc_in(60), vec![], "x"), "not a date"),
        (at(&utc_in(0), &utc_in(60), vec![], "  "), "purpose"),
        (at(&utc_in(0), &utc_in(60), vec![a, 424_242], "x"), "424242"),
        (
            at(&utc_in(0), &utc_in(60), vec![other.id], "x"),
            "not served",
        ),
    ];
    let total = cases.len();
    let mut ok = 0;
    for (req, why) in cases {
        let err = s
            .request_remote_session(&vendor, req.clone())
            .await
            .unwrap_err();
        let msg = err.to_string();
        assert!(
            matches!(err, StoreError::Refused(_)) && msg.contains(why),
            "{req:?}: expected a refusal mentioning {why:?}, got {msg}"
        );
        ok += 1;
    }
    println!("remote session bad requests: {ok}/{total}");
    let err = s
        .request_remote_session(
            &vendor,
            NewRemoteSession {
                line_id: 9_999,
                ..at(&utc_in(0), &utc_in(60), vec![], "x")
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    // A window given with an offset is stored in UTC.
    let r = s
        .request_remote_session(&vendor, at(&utc_in(10), &utc_in(70), vec![a], "点検"))
        .await
        .unwrap();
    assert!(r.window_start.ends_with('Z'));
    // Nothing the refusals touched changed: only the one accepted request was added.
    let after = snapshot(s).await;
    assert_eq!(after.devices, before.devices);
    assert_eq!(after.audit.len(), before.audit.len() + 1);
    // Retired lines take no requests.
    s.cancel_remote_session(&vendor, r.id).await.unwrap();
    s.retire_remote_line(&admin(), line.id).await.unwrap();
    let err = s
        .request_remote_session(&vendor, at(&utc_in(0), &utc_in(60), vec![], "x"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Refused(m) if m.contains("retired")),
        "{err:?}"
    );
}

pub async fn check_remote_lines_import_from_ledger(s: &SqlStore) {
    let mk = |n: u32, maker: &str, endpoint: Option<&str>, method: &str, remote: RemoteLine| {
        let mut d = device(n, "放射線科");
        d.manufacturer = Some(maker.into());
        d.remote_line = remote;
        d.remote_method = Some(method.into());
        if let Some(e) = endpoint {
            d.custom.insert("remote_endpoint".into(), e.into());
        }
        d
    };
    let rows = vec![
        mk(
            1,
            "Canon",
            Some("198.51.100.5"),
            "LTEルータ",
            RemoteLine::Yes,
        ),
        mk(
            2,
            "Canon",
            Some("198.51.100.5"),
            "LTEルータ",
            RemoteLine::Yes,
        ),
        mk(
            3,
            "GE",
            Some("203.0.113.9"),
            "拠点間VPN (IPsec)",
            RemoteLine::Yes,
        ),
        mk(4, "GE", None, "SSL-VPN", RemoteLine::Yes),
        mk(
            5,
            "GE",
            Some("203.0.113.9"),
            "拠点間VPN (IPsec)",
            RemoteLine::No,
        ),
        mk(
            6,
            "GE",
            Some("203.0.113.9"),
            "拠点間VPN (IPsec)",
            RemoteLine::Unknown,
        ),
    ];
    let import: Vec<ImportRow> = rows
        .into_iter()
        .enumerate()
        .map(|(i, fields)| ImportRow {
            row: i as u64 + 1,
            fields,
        })
        .collect();
    s.import_devices(&admin(), "ledger.csv", import, false)
        .await
        .unwrap();
    let r = s.import_remote_lines_from_ledger(&admin()).await.unwrap();
    assert_eq!((r.created, r.updated, r.unchanged, r.devices), (3, 0, 0, 4));
    let lines = s.list_remote_lines().await.unwrap();
    let canon = lines.iter().find(|l| l.vendor == "Canon").unwrap();
    assert_eq!(canon.method, RemoteMethod::LteRouter);
    assert_eq!(canon.endpoints, ["198.51.100.5"]);
    assert_eq!(canon.device_ids.len(), 2);
    assert_eq!(canon.source, "ledger");
    let ge_vpn = lines
        .iter()
        .find(|l| l.method == RemoteMethod::SiteToSiteVpn)
        .unwrap();
    assert_eq!(ge_vpn.device_ids.len(), 1, "only the device marked 有");
    let no_endpoint = lines.iter().find(|l| l.endpoints.is_empty()).unwrap();
    assert!(no_endpoint.flags("2026-04-01").contains(&"no_endpoint"));

    // Idempotent; a newly marked device joins its line.
    let again = s.import_remote_lines_from_ledger(&admin()).await.unwrap();
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 3));
    let page = s
        .list_devices(&DeviceQuery {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    let five = page
        .items
        .iter()
        .find(|d| d.fields.management_number.as_deref() == Some("ME-00005"))
        .unwrap();
    let mut f = five.fields.clone();
    f.remote_line = RemoteLine::Yes;
    s.update_device(&admin(), five.id, f, None).await.unwrap();
    let third = s.import_remote_lines_from_ledger(&admin()).await.unwrap();
    assert_eq!((third.created, third.updated, third.unchanged), (0, 1, 2));
    let ge_vpn = s.get_remote_line(ge_vpn.id).await.unwrap().unwrap();
    assert_eq!(ge_vpn.device_ids.len(), 2);
    assert_eq!(s.list_remote_lines().await.unwrap().len(), 3);
}
