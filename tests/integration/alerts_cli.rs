//! Observations → reconcile → alerts as a user runs them: `discover pcap --apply` against a demo
//! ledger and the remote-line registry, `mdsec reconcile [--apply]`, alert e-mail through a real
//! SMTP server on loopback (Python aiosmtpd), and the /alerts and /reconcile pages by role.
//! Outside addresses (RFC 5737) appear only inside the capture files written here; nothing is sent.

use crate::api::{hidden_value, login};
use crate::{add_radiology_user, data_dir, http, mdsec, token_for, Server, ADMIN_PASSWORD};
use mdsec_discovery::synth::{self, Host};
use mdsec_discovery::Mac;
use mdsec_domain::{DeviceFields, DeviceStatus};
use mdsec_store::*;
use mdsec_store_sql::SqlStore;
use serde_json::Value;
use std::net::Ipv4Addr;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn open(rt: &tokio::runtime::Runtime, dir: &Path) -> SqlStore {
    rt.block_on(mdsec_store_sqlite::open(dir)).unwrap()
}

fn close(rt: &tokio::runtime::Runtime, s: SqlStore) {
    rt.block_on(s.pool().close());
}

fn mac(s: &str) -> Mac {
    let b: Vec<u8> = s
        .split(':')
        .map(|p| u8::from_str_radix(p, 16).unwrap())
        .collect();
    Mac(b.try_into().unwrap())
}

/// The hospital's router: every outside address is behind its MAC.
const ROUTER: Mac = Mac([0x00, 0x00, 0x5e, 0x00, 0x01, 0x01]);

fn micros(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_micros()
}

/// One TLS-port conversation from `dev` to an outside address at `t`.
fn outbound(dev: Host, peer: Ipv4Addr, port: u16, t: i64) -> Vec<(i64, Vec<u8>)> {
    let outside = Host {
        mac: ROUTER,
        ip: peer,
    };
    synth::tcp_conversation(
        dev,
        outside,
        40_000 + port,
        port,
        &[(true, b"hello")],
        512,
        t,
        1000,
    )
}

fn write_pcap(dir: &Path, name: &str, frames: &[(i64, Vec<u8>)]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, synth::pcap_file(frames)).unwrap();
    p.display().to_string()
}

fn discover_apply(dir: &Path, pcap: &str, env: &[(&str, &str)]) {
    let out = Command::new(crate::mdsec_bin())
        .args(["discover", "pcap", pcap, "--apply", "--data-dir"])
        .arg(dir)
        .env_remove("MDSEC_DATABASE_URL")
        .env_remove("MDSEC_SMTP_URL")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "discover --apply failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn alerts(rt: &tokio::runtime::Runtime, dir: &Path) -> Vec<AlertRecord> {
    let s = open(rt, dir);
    let a = rt
        .block_on(s.list_alerts(&AlertQuery {
            limit: 10_000,
            ..Default::default()
        }))
        .unwrap()
        .items;
    close(rt, s);
    a
}

fn new_user(rt: &tokio::runtime::Runtime, s: &SqlStore, name: &str, role: Role) -> User {
    rt.block_on(s.create_user(
        &Actor::system(),
        NewUser {
            username: name.into(),
            display_name: name.into(),
            password_hash: "unused".into(),
            role,
            department: (role == Role::DepartmentUser).then(|| "放射線科".into()),
            manufacturer: None,
        },
    ))
    .unwrap()
}

#[test]
fn external_flows_are_judged_against_the_registry_and_session_windows() {
    let dir = data_dir();
    let rt = rt();
    let s = open(&rt, dir.path());
    // The demo hospital's ledger, its remote lines imported from the ledger's remote-line column.
    let rows: Vec<ImportRow> = mdsec_demo::demo_hospital()
        .devices
        .into_iter()
        .enumerate()
        .map(|(i, fields)| ImportRow {
            row: i as u64 + 1,
            fields,
        })
        .collect();
    rt.block_on(s.import_devices(&Actor::system(), "demo", rows, false))
        .unwrap();
    rt.block_on(s.import_remote_lines_from_ledger(&Actor::system()))
        .unwrap();
    let lines = rt.block_on(s.list_remote_lines()).unwrap();
    let devices = rt.block_on(s.live_devices()).unwrap();
    let unregistered: Ipv4Addr = "203.0.113.7".parse().unwrap();
    for l in &lines {
        assert!(
            !l.endpoints
                .iter()
                .any(|e| e == "203.0.113.7" || e.starts_with("203.0.113.0/")),
            "the demo registers 203.0.113.7; pick another unregistered address"
        );
    }
    let (device, line, endpoint) = devices
        .iter()
        .filter(|d| d.fields.ip.is_some() && d.fields.mac.is_some())
        .find_map(|d| {
            let line = lines.iter().find(|l| {
                l.device_ids.contains(&d.id) && l.approval_policy == ApprovalPolicy::PerSession
            })?;
            let ep: Ipv4Addr = line.endpoints.iter().find_map(|e| e.parse().ok())?;
            Some((d.clone(), line.clone(), ep))
        })
        .expect("a demo device served by a per-session line with an IPv4 endpoint");
    let vendor = new_user(&rt, &s, "vendor1", Role::DeviceSafety);
    let isso = new_user(&rt, &s, "isso1", Role::Isso);
    let now = chrono::Utc::now();
    let session = rt
        .block_on(s.request_remote_session(
            &Actor::user(&vendor),
            NewRemoteSession {
                line_id: line.id,
                window_start: (now - chrono::Duration::minutes(30)).to_rfc3339(),
                window_end: (now + chrono::Duration::minutes(60)).to_rfc3339(),
                purpose: "ソフトウェア更新".into(),
                device_ids: vec![device.id],
            },
        ))
        .unwrap();
    rt.block_on(s.decide_remote_session(
        &Actor::user(&isso),
        session.id,
        SessionDecision {
            approve: true,
            ..Default::default()
        },
    ))
    .unwrap();
    close(&rt, s);

    let dev = Host {
        mac: mac(device.fields.mac.as_deref().unwrap()),
        ip: device.fields.ip.as_deref().unwrap().parse().unwrap(),
    };
    let label = device.fields.management_number.clone().unwrap();

    // Inside the approved window to the registered endpoint, and to an unregistered address.
    let mut frames = outbound(dev, endpoint, 443, micros(now));
    frames.extend(outbound(dev, unregistered, 443, micros(now) + 50_000));
    let pcap = write_pcap(dir.path(), "inside.pcap", &frames);
    discover_apply(dir.path(), &pcap, &[]);
    let a = alerts(&rt, dir.path());
    let unreg: Vec<&AlertRecord> = a
        .iter()
        .filter(|x| x.kind == AlertKind::UnregisteredExternalEndpoint)
        .collect();
    assert_eq!(unreg.len(), 1, "{a:#?}");
    assert_eq!(unreg[0].address, "203.0.113.7");
    assert_eq!(unreg[0].device_id, Some(device.id));
    assert!(
        unreg[0].message.contains(&label) && unreg[0].message.contains("203.0.113.7"),
        "the alert names the device and the address: {}",
        unreg[0].message
    );
    assert!(
        !a.iter().any(|x| x.address == endpoint.to_string()),
        "a flow to a registered endpoint inside an approved window raises nothing: {a:#?}"
    );
    assert!(
        !a.iter()
            .any(|x| x.kind == AlertKind::UnknownDevice && x.address == dev.ip.to_string()),
        "a ledger device is not unknown"
    );

    // Three hours earlier the same line had no approved window.
    let frames = outbound(dev, endpoint, 22, micros(now - chrono::Duration::hours(3)));
    let pcap = write_pcap(dir.path(), "outside.pcap", &frames);
    discover_apply(dir.path(), &pcap, &[]);
    let a = alerts(&rt, dir.path());
    let outside: Vec<&AlertRecord> = a
        .iter()
        .filter(|x| x.kind == AlertKind::RemoteLineOutsideWindow)
        .collect();
    assert_eq!(outside.len(), 1, "{a:#?}");
    assert_eq!(outside[0].address, endpoint.to_string());
    assert_eq!(outside[0].device_id, Some(device.id));
    assert_eq!(outside[0].details["flow"]["port"], 22);
    assert_eq!(outside[0].details["lines"][0], line.id);
    assert!(outside[0].message.contains(&label));

    // The same capture again raises nothing new.
    discover_apply(dir.path(), &pcap, &[]);
    assert_eq!(alerts(&rt, dir.path()).len(), a.len());
    let out = mdsec(dir.path(), &["audit", "verify"]);
    assert!(out.status.success());
}

fn ledger_device(n: u32, ip: Option<&str>, mac: &str) -> DeviceFields {
    DeviceFields {
        management_number: Some(format!("RC-{n:03}")),
        name: format!("照合テスト機器 {n}"),
        department: Some("放射線科".into()),
        ip: ip.map(Into::into),
        mac: Some(mac.into()),
        software_version: Some("1.0".into()),
        status: DeviceStatus::Active,
        ..Default::default()
    }
}

#[test]
fn reconcile_three_ways_and_apply_keeps_what_people_entered() {
    let dir = data_dir();
    let rt = rt();
    let s = open(&rt, dir.path());
    let a = rt
        .block_on(s.create_device(
            &Actor::system(),
            ledger_device(1, Some("10.9.1.10"), "02:00:00:00:01:0a"),
        ))
        .unwrap();
    let b = rt
        .block_on(s.create_device(
            &Actor::system(),
            ledger_device(2, Some("10.9.1.11"), "02:00:00:00:01:0b"),
        ))
        .unwrap();
    let c = rt
        .block_on(s.create_device(
            &Actor::system(),
            ledger_device(3, None, "02:00:00:00:01:0c"),
        ))
        .unwrap();
    close(&rt, s);

    // A (moved to .20), C (no IP in the ledger) and U (unknown) on the wire; B silent.
    let host = |last: u8, ip: u8| Host {
        mac: Mac([2, 0, 0, 0, 1, last]),
        ip: Ipv4Addr::new(10, 9, 1, ip),
    };
    let t = micros(chrono::Utc::now());
    let mut frames = synth::tcp_conversation(
        host(0x0a, 20),
        host(0x0c, 12),
        40_001,
        104,
        &[(true, b"x"), (false, b"y")],
        512,
        t,
        1000,
    );
    frames.push((
        t + 90_000,
        synth::arp_request(host(0x50, 50), Ipv4Addr::new(10, 9, 1, 1)),
    ));
    let pcap = write_pcap(dir.path(), "ward.pcap", &frames);
    discover_apply(dir.path(), &pcap, &[]);

    let out = mdsec(
        dir.path(),
        &["reconcile", "--json", "--not-seen-days", "30"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let matched: Vec<(i64, String)> = v["matched"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["device_id"].as_i64().unwrap(),
                m["matched_by"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(matched, [(a.id, "mac".into()), (c.id, "mac".into())], "{v}");
    let conflict = &v["matched"][0]["conflicts"][0];
    assert_eq!(
        (
            conflict["field"].as_str(),
            conflict["ledger"].as_str(),
            conflict["observed"].as_str()
        ),
        (Some("ip"), Some("10.9.1.10"), Some("10.9.1.20"))
    );
    let unknown: Vec<&str> = v["unknown"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["ip"].as_str().unwrap())
        .collect();
    assert_eq!(unknown, ["10.9.1.50"]);
    let not_seen: Vec<i64> = v["not_seen"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["device_id"].as_i64().unwrap())
        .collect();
    assert_eq!(not_seen, [b.id]);
    assert!(v.get("applied").is_none());

    // Without --apply nothing changed in the ledger.
    let s = open(&rt, dir.path());
    assert_eq!(
        rt.block_on(s.get_device(c.id)).unwrap().unwrap().fields.ip,
        None
    );
    close(&rt, s);

    let out = mdsec(
        dir.path(),
        &["reconcile", "--apply", "--json", "--as", "admin"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["applied"]["devices"].is_array(), "{v}");

    let s = open(&rt, dir.path());
    let a_now = rt.block_on(s.get_device(a.id)).unwrap().unwrap();
    assert_eq!(
        a_now.fields.ip.as_deref(),
        Some("10.9.1.10"),
        "an IP a person entered is never overwritten"
    );
    assert_eq!(a_now.fields.software_version.as_deref(), Some("1.0"));
    let c_now = rt.block_on(s.get_device(c.id)).unwrap().unwrap();
    assert_eq!(
        c_now.fields.ip.as_deref(),
        Some("10.9.1.12"),
        "an empty field is filled"
    );
    let b_now = rt.block_on(s.get_device(b.id)).unwrap().unwrap();
    assert_eq!(b_now, b, "a device not seen is left alone");
    let observed = rt.block_on(s.observed_fields(Some(a.id))).unwrap();
    let ip = observed.iter().find(|o| o.field == "ip").unwrap();
    assert_eq!(
        (ip.observed_value.as_str(), ip.filled),
        ("10.9.1.20", false)
    );
    let audit = rt.block_on(s.audit_chain()).unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "device.observe"
                && e.entity_id.as_deref() == Some(&c.id.to_string()))
    );
    assert!(audit.iter().any(|e| e.action == "device.observed"
        && e.entity_id.as_deref() == Some(&a.id.to_string())
        && e.after.as_deref().is_some_and(|x| x.contains("10.9.1.20"))));
    assert!(verify_chain(&audit).is_ok());
    let unknown_alerts = rt
        .block_on(s.list_alerts(&AlertQuery {
            kind: Some(AlertKind::UnknownDevice),
            limit: 100,
            ..Default::default()
        }))
        .unwrap();
    assert_eq!(unknown_alerts.total, 1);
    assert_eq!(unknown_alerts.items[0].address, "10.9.1.50");
    close(&rt, s);
}

#[test]
fn unknown_device_alert_is_emailed_once_through_a_real_smtp_server() {
    let smtp = crate::smtp_sink::SmtpSink::start();
    let dir = data_dir();
    let rt = rt();
    let s = open(&rt, dir.path());
    rt.block_on(s.create_device(
        &Actor::system(),
        ledger_device(1, Some("10.9.2.10"), "02:00:00:00:02:0a"),
    ))
    .unwrap();
    for (name, role, email) in [
        ("isso1", Role::Isso, "isso@hospital.example"),
        ("dso1", Role::DeviceSafety, "dso@hospital.example"),
        ("rad1", Role::DepartmentUser, "rad@hospital.example"),
    ] {
        let u = new_user(&rt, &s, name, role);
        rt.block_on(s.set_user_email(&Actor::system(), u.id, Some(email)))
            .unwrap();
    }
    close(&rt, s);

    let known = Host {
        mac: Mac([2, 0, 0, 0, 2, 0x0a]),
        ip: Ipv4Addr::new(10, 9, 2, 10),
    };
    let stranger = Host {
        mac: Mac([2, 0, 0, 0, 2, 0x77]),
        ip: Ipv4Addr::new(10, 9, 2, 77),
    };
    let t = micros(chrono::Utc::now());
    let frames = vec![
        (t, synth::arp_request(known, Ipv4Addr::new(10, 9, 2, 1))),
        (
            t + 1000,
            synth::arp_request(stranger, Ipv4Addr::new(10, 9, 2, 1)),
        ),
    ];
    let pcap = write_pcap(dir.path(), "stranger.pcap", &frames);
    let url = smtp.url();
    let env = [
        ("MDSEC_SMTP_URL", url.as_str()),
        ("MDSEC_MAIL_FROM", "mdsec@hospital.example"),
    ];
    discover_apply(dir.path(), &pcap, &env);
    let mut msgs = smtp.wait_for(2);
    msgs.sort_by(|a, b| a.to.cmp(&b.to));
    let to: Vec<&str> = msgs.iter().map(|m| m.to.as_str()).collect();
    assert_eq!(
        to,
        ["dso@hospital.example", "isso@hospital.example"],
        "officers only: {msgs:#?}"
    );
    for crate::smtp_sink::Mail { subject, body, .. } in &msgs {
        assert!(
            subject.contains("台帳にない機器") && subject.contains("10.9.2.77"),
            "{subject}"
        );
        assert!(
            body.contains("unknown_device") && body.contains("02:00:00:00:02:77"),
            "{body}"
        );
    }
    // Once per (kind, device, address): the same capture again sends nothing.
    discover_apply(dir.path(), &pcap, &env);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(smtp.mails().len(), 2);
    let a = alerts(&rt, dir.path());
    assert_eq!(a.len(), 1, "{a:#?}");
    assert_eq!(a[0].kind, AlertKind::UnknownDevice);
    assert_eq!(a[0].count, 2);
    assert!(a[0].emailed_at.is_some());
}

#[test]
fn alerts_and_reconcile_pages_render_for_officers_and_are_scoped_for_department_users() {
    let dir = data_dir();
    let server = Server::start(dir.path(), true);
    let token = token_for(dir.path(), "admin");
    server.wait_for_devices(&token, 1_900);
    // The demo's observations (four devices the ledger does not know) load right after the ledger.
    let start = Instant::now();
    let alerts = loop {
        let v: Value = http()
            .get(format!("{}/api/v1/alerts?kind=unknown_device", server.base))
            .bearer_auth(&token)
            .send()
            .unwrap()
            .json()
            .unwrap();
        if v["total"].as_u64().unwrap_or(0) >= 4 {
            break v;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no demo alerts: {v}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let id = alerts["items"][0]["id"].as_i64().unwrap();

    let admin = login(&server.base, "admin", ADMIN_PASSWORD);
    let r = admin
        .get(format!("{}/reconcile", server.base))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().unwrap();
    for want in [
        "台帳と実機の照合",
        "台帳にない機器",
        "属性の食い違い",
        "台帳にあるが検出されていない機器",
        "10.20.1.241",
        "reconcile-not-seen",
    ] {
        assert!(html.contains(want), "/reconcile lacks {want}");
    }
    let r = admin.get(format!("{}/alerts", server.base)).send().unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().unwrap();
    assert!(html.contains("10.20.1.241") && html.contains(&format!("alert-{id}")));
    let csrf = hidden_value(&html, "_csrf");
    let r = admin
        .post(format!("{}/alerts/{id}/acknowledge", server.base))
        .form(&[("_csrf", csrf.as_str()), ("note", "情報システム課で確認")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 303);
    let a: Value = http()
        .get(format!("{}/api/v1/alerts/{id}", server.base))
        .bearer_auth(&token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(a["status"], "acknowledged");
    assert_eq!(a["acknowledged_by"], "admin");
    // Without the CSRF token nothing happens.
    let r = admin
        .post(format!(
            "{}/alerts/{}/acknowledge",
            server.base, alerts["items"][1]["id"]
        ))
        .form(&[("note", "x")])
        .send()
        .unwrap();
    assert_ne!(r.status(), 303);
    let v: Value = http()
        .get(format!("{}/api/v1/reconcile?days=30", server.base))
        .bearer_auth(&token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(v["summary"]["unknown"], 4);
    assert!(v["summary"]["conflicts"].as_u64().unwrap() > 0);
    assert!(v["summary"]["not_seen"].as_u64().unwrap() > 0);

    // A department user sees both pages for its own department's devices only: none of the unknown
    // devices (they name no device of theirs), and no acknowledging.
    add_radiology_user(dir.path());
    let rad = login(&server.base, "rad1", crate::RAD_PASSWORD);
    for page in ["/reconcile", "/alerts"] {
        let r = rad.get(format!("{}{page}", server.base)).send().unwrap();
        assert_eq!(r.status(), 200, "{page} for a department user");
        let html = r.text().unwrap();
        assert!(
            !html.contains("10.20.1.241"),
            "{page} shows an unknown device to a department user"
        );
    }
    let rad_token = token_for(dir.path(), "rad1");
    let v: Value = http()
        .get(format!("{}/api/v1/alerts?status=all", server.base))
        .bearer_auth(&rad_token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["kind"] != "unknown_device" && a["device_id"].is_i64()),
        "{v}"
    );
    let v: Value = http()
        .get(format!("{}/api/v1/reconcile", server.base))
        .bearer_auth(&rad_token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(v["summary"]["unknown"], 0);
    assert!(v["not_seen"]
        .as_array()
        .unwrap()
        .iter()
        .all(|n| n["department"] == "放射線科"));
    let r = http()
        .post(format!("{}/api/v1/alerts/{id}/acknowledge", server.base))
        .bearer_auth(&rad_token)
        .send()
        .unwrap();
    assert_eq!(r.status(), 403);
}
