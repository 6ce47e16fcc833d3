//! Conformance checks for observations, observed fields and alerts.

use crate::{admin, device};
use mdsec_store::*;
use mdsec_store_sql::SqlStore;
use serde_json::json;

fn seen(ip: &str, mac: Option<&str>, at: &str) -> ObservedDevice {
    ObservedDevice {
        ip: Some(ip.into()),
        mac: mac.map(Into::into),
        protocols: vec!["arp".into()],
        first_seen: at.into(),
        last_seen: at.into(),
        ..Default::default()
    }
}

/// Batches merge by MAC (else IP): earliest first seen, latest last seen and values, a device first
/// seen by IP only is re-keyed by its MAC; flows add up; each batch is one audit entry.
pub async fn check_observations_merge(s: &SqlStore) {
    let audit_before = s.audit_chain().await.unwrap().len();
    let mut d1 = seen("10.9.0.1", None, "2026-04-01T10:00:00Z");
    d1.identifiers
        .insert("dhcp_hostname".into(), vec!["ct-01".into()]);
    let flow = ObservedFlow {
        device_ip: "10.9.0.1".into(),
        peer: "203.0.113.7".into(),
        outbound: true,
        transport: "tcp".into(),
        port: 443,
        service: None,
        server_name: None,
        packets: 3,
        bytes: 300,
        first_seen: "2026-04-01T10:00:00Z".into(),
        last_seen: "2026-04-01T10:00:05Z".into(),
    };
    let r = s
        .record_observations(
            &admin(),
            ObservationBatch {
                source: "pcap:a.pcap".into(),
                devices: vec![
                    d1,
                    seen(
                        "10.9.0.2",
                        Some("02:00:00:00:00:02"),
                        "2026-04-01T10:00:00Z",
                    ),
                ],
                flows: vec![flow.clone()],
            },
        )
        .await
        .unwrap();
    assert_eq!((r.new_devices, r.new_flows), (2, 1));
    let mut later = seen(
        "10.9.0.1",
        Some("02:00:00:00:00:01"),
        "2026-04-02T10:00:00Z",
    );
    later.hostname = Some("ct-01".into());
    let earlier = seen(
        "10.9.0.22",
        Some("02:00:00:00:00:02"),
        "2026-03-30T10:00:00Z",
    );
    let r = s
        .record_observations(
            &admin(),
            ObservationBatch {
                source: "pcap:b.pcap".into(),
                devices: vec![later, earlier],
                flows: vec![ObservedFlow {
                    last_seen: "2026-04-02T00:00:00Z".into(),
                    ..flow
                }],
            },
        )
        .await
        .unwrap();
    assert_eq!((r.new_devices, r.updated_devices), (0, 2));
    assert_eq!((r.new_flows, r.updated_flows), (0, 1));
    let obs = s.list_observations().await.unwrap();
    assert_eq!(obs.len(), 2, "{obs:?}");
    let o1 = obs
        .iter()
        .find(|o| o.key == "mac:02:00:00:00:00:01")
        .unwrap();
    assert_eq!(o1.device.first_seen, "2026-04-01T10:00:00Z");
    assert_eq!(o1.device.last_seen, "2026-04-02T10:00:00Z");
    assert_eq!(o1.device.hostname.as_deref(), Some("ct-01"));
    assert_eq!(o1.device.identifiers["dhcp_hostname"], ["ct-01"]);
    let o2 = obs
        .iter()
        .find(|o| o.key == "mac:02:00:00:00:00:02")
        .unwrap();
    // The older sighting does not replace the newer address.
    assert_eq!(o2.device.ip.as_deref(), Some("10.9.0.2"));
    assert_eq!(o2.device.first_seen, "2026-03-30T10:00:00Z");
    let flows = s.list_external_flows().await.unwrap();
    assert_eq!(flows.len(), 1);
    assert_eq!(flows[0].flow.packets, 6);
    assert_eq!(flows[0].flow.last_seen, "2026-04-02T00:00:00Z");
    let audit = s.audit_chain().await.unwrap();
    assert_eq!(audit.len(), audit_before + 2);
    assert!(audit
        .iter()
        .rev()
        .take(2)
        .all(|e| e.action == "observation.record"));
    assert!(verify_chain(&audit).is_ok());
}

/// Observed values fill empty ledger fields and follow values discovery itself filled in, but never
/// overwrite what a person entered; everything is audited.
pub async fn check_observed_fields_never_overwrite_people(s: &SqlStore) {
    let mut f = device(1, "ICU");
    f.software_version = Some("2.0".into());
    f.mac = None;
    let d = s.create_device(&admin(), f).await.unwrap();
    let up = |ip: &str, mac: &str, v: &str| ObservedFieldsUpdate {
        device_id: d.id,
        fields: [
            ("ip".to_string(), ip.to_string()),
            ("mac".to_string(), mac.to_string()),
            ("software_version".to_string(), v.to_string()),
            ("custom.hostname".to_string(), "icu-01".to_string()),
            ("serial".to_string(), "not observable".to_string()),
        ]
        .into_iter()
        .collect(),
        observed_at: "2026-04-01T00:00:00Z".into(),
    };
    let r = s
        .apply_observed_fields(&admin(), vec![up("10.9.9.9", "02:00:00:00:00:aa", "2.1")])
        .await
        .unwrap();
    assert_eq!(r.len(), 1);
    let changed: Vec<&str> = r[0].changed.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(changed, ["custom.hostname", "mac"]);
    let kept: Vec<&str> = r[0].kept.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(kept, ["ip", "software_version"]);
    let now = s.get_device(d.id).await.unwrap().unwrap();
    assert_eq!(now.fields.ip, d.fields.ip, "a person's IP stays");
    assert_eq!(now.fields.software_version.as_deref(), Some("2.0"));
    assert_eq!(now.fields.mac.as_deref(), Some("02:00:00:00:00:aa"));
    assert_eq!(now.fields.serial, d.fields.serial);
    assert_eq!(now.fields.custom["hostname"], "icu-01");
    assert_eq!(now.version, d.version + 1);
    let obs = s.observed_fields(Some(d.id)).await.unwrap();
    let ip = obs.iter().find(|o| o.field == "ip").unwrap();
    assert_eq!((ip.observed_value.as_str(), ip.filled), ("10.9.9.9", false));
    assert!(obs.iter().find(|o| o.field == "mac").unwrap().filled);

    // The MAC discovery filled in follows the next observation; a person's edit then stops that.
    let r = s
        .apply_observed_fields(&admin(), vec![up("10.9.9.9", "02:00:00:00:00:bb", "2.1")])
        .await
        .unwrap();
    assert_eq!(r[0].changed.len(), 1);
    let now = s.get_device(d.id).await.unwrap().unwrap();
    assert_eq!(now.fields.mac.as_deref(), Some("02:00:00:00:00:bb"));
    let mut edited = now.fields.clone();
    edited.mac = Some("02:00:00:00:00:cc".into());
    s.update_device(&admin(), d.id, edited, None).await.unwrap();
    let r = s
        .apply_observed_fields(&admin(), vec![up("10.9.9.9", "02:00:00:00:00:dd", "2.1")])
        .await
        .unwrap();
    assert!(r[0].changed.is_empty());
    let now = s.get_device(d.id).await.unwrap().unwrap();
    assert_eq!(now.fields.mac.as_deref(), Some("02:00:00:00:00:cc"));

    let history = s.device_history(d.id).await.unwrap();
    assert!(history.iter().any(|h| h.action == "observe"));
    let audit = s.audit_chain().await.unwrap();
    assert!(audit.iter().any(|e| e.action == "device.observed"));
    assert!(audit.iter().any(|e| e.action == "device.observe"));
    assert!(verify_chain(&audit).is_ok());
}

/// An alert is raised once per (kind, subject, address); repeats move last seen and count;
/// acknowledging is audited; filters work.
pub async fn check_alerts_once_and_acknowledged(s: &SqlStore) {
    let d = s.create_device(&admin(), device(2, "ICU")).await.unwrap();
    let alert = |kind: AlertKind, address: &str, at: &str| NewAlert {
        kind,
        subject: format!("device:{}", d.id),
        device_id: Some(d.id),
        address: address.into(),
        message: "ME-00002: to 203.0.113.7".into(),
        details: json!({"port": 443}),
        first_seen: at.into(),
        last_seen: at.into(),
    };
    let new = s
        .raise_alerts(
            &admin(),
            vec![
                alert(
                    AlertKind::UnregisteredExternalEndpoint,
                    "203.0.113.7",
                    "2026-04-01T00:00:00Z",
                ),
                alert(AlertKind::Telnet, "10.1.0.3", "2026-04-01T00:00:00Z"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(new.len(), 2);
    assert_eq!(new[0].severity, "medium");
    assert_eq!(new[1].severity, "high");
    assert_eq!(new[0].details["port"], 443);
    let again = s
        .raise_alerts(
            &admin(),
            vec![
                alert(
                    AlertKind::UnregisteredExternalEndpoint,
                    "203.0.113.7",
                    "2026-04-02T00:00:00Z",
                ),
                alert(
                    AlertKind::UnregisteredExternalEndpoint,
                    "203.0.113.8",
                    "2026-04-02T00:00:00Z",
                ),
            ],
        )
        .await
        .unwrap();
    assert_eq!(again.len(), 1, "only the new address is new");
    let a = s.get_alert(new[0].id).await.unwrap().unwrap();
    assert_eq!((a.count, a.last_seen.as_str()), (2, "2026-04-02T00:00:00Z"));
    assert_eq!(a.status, "open");

    let acked = s
        .acknowledge_alert(&admin(), a.id, Some(" 業者に確認済み "))
        .await
        .unwrap();
    assert_eq!(acked.status, "acknowledged");
    assert_eq!(acked.acknowledged_by.as_deref(), Some("admin"));
    assert_eq!(acked.note.as_deref(), Some("業者に確認済み"));
    assert!(matches!(
        s.acknowledge_alert(&admin(), 9_999, None).await,
        Err(StoreError::NotFound(_))
    ));
    let open = s
        .list_alerts(&AlertQuery {
            status: Some("open".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(open.total, 2);
    let telnet = s
        .list_alerts(&AlertQuery {
            kind: Some(AlertKind::Telnet),
            device_id: Some(d.id),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(telnet.total, 1);
    let all = s
        .list_alerts(&AlertQuery {
            limit: 2,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!((all.total, all.items.len()), (3, 2));
    assert!(all.items[0].id > all.items[1].id, "newest first");
    s.mark_alert_emailed(a.id).await.unwrap();
    assert!(s
        .get_alert(a.id)
        .await
        .unwrap()
        .unwrap()
        .emailed_at
        .is_some());
    let audit = s.audit_chain().await.unwrap();
    assert_eq!(
        audit.iter().filter(|e| e.action == "alert.raise").count(),
        3
    );
    assert!(audit.iter().any(|e| e.action == "alert.acknowledge"));
    assert!(verify_chain(&audit).is_ok());

    // By department: alerts about that department's devices, never one that names no device.
    s.raise_alerts(
        &admin(),
        vec![NewAlert {
            kind: AlertKind::UnknownDevice,
            subject: "ip:10.1.0.99".into(),
            device_id: None,
            ..alert(
                AlertKind::UnknownDevice,
                "10.1.0.99",
                "2026-04-03T00:00:00Z",
            )
        }],
    )
    .await
    .unwrap();
    let of = |dep: &str| AlertQuery {
        department: Some(dep.into()),
        limit: 100,
        ..Default::default()
    };
    let icu = s.list_alerts(&of("ICU")).await.unwrap();
    assert_eq!(
        icu.total, 3,
        "the ICU device's alerts, not the unknown device's"
    );
    assert!(icu.items.iter().all(|a| a.device_id == Some(d.id)));
    assert_eq!(s.list_alerts(&of("放射線科")).await.unwrap().total, 0);
}
