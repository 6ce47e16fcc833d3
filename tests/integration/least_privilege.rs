//! One rule of least privilege, checked on every surface that shows network detail: a department
//! user sees IP/MAC, diagram devices and alerts only for its department's devices (no unknown-device
//! alerts); an executive sees counts and the report, no IP/MAC and no diagram detail. Pages, the
//! JSON API and the exports (ledger, diagram) agree. The addresses are ledger data only.

use crate::{add_radiology_user, data_dir, http, token_for, Server, ADMIN_PASSWORD};
use mdsec_store::*;
use serde_json::{json, Value};

const RAD_IP: &str = "10.66.0.21";
const RAD_MAC: &str = "02:66:00:00:00:21";
const ICU_IP: &str = "10.66.0.22";
const ICU_MAC: &str = "02:66:00:00:00:22";
const UNKNOWN_IP: &str = "10.66.0.99";
const RAD_NAME: &str = "放射線科の検査装置";
const ICU_NAME: &str = "集中治療室の人工呼吸器";

fn get(base: &str, token: &str, path: &str) -> reqwest::blocking::Response {
    http()
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .unwrap()
}

fn text(base: &str, token: &str, path: &str) -> String {
    let r = get(base, token, path);
    assert_eq!(r.status(), 200, "{path}");
    r.text().unwrap()
}

fn json_of(base: &str, token: &str, path: &str) -> Value {
    let r = get(base, token, path);
    assert_eq!(r.status(), 200, "{path}");
    r.json().unwrap()
}

fn create(base: &str, token: &str, name: &str, dept: &str, ip: &str, mac: &str) -> i64 {
    let r = http()
        .post(format!("{base}/api/v1/devices"))
        .bearer_auth(token)
        .json(
            &json!({"name": name, "department": dept, "ip": ip, "mac": mac,
                      "remote_line": "yes", "network_segment": "VLAN 20 医療機器"}),
        )
        .send()
        .unwrap();
    assert_eq!(r.status(), 201);
    r.json::<Value>().unwrap()["id"].as_i64().unwrap()
}

/// Telnet alerts for both devices and one unknown device, straight into the store.
fn raise_alerts(dir: &std::path::Path, rad: i64, icu: i64) -> Vec<AlertRecord> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let s = rt.block_on(mdsec_store_sqlite::open(dir)).unwrap();
    let alert = |kind: AlertKind, device: Option<i64>, address: &str| NewAlert {
        kind,
        subject: match device {
            Some(d) => format!("device:{d}"),
            None => format!("ip:{address}"),
        },
        device_id: device,
        address: address.into(),
        message: format!("{address}: seen"),
        details: json!({}),
        first_seen: "2026-04-01T00:00:00Z".into(),
        last_seen: "2026-04-01T00:00:00Z".into(),
    };
    let raised = rt
        .block_on(s.raise_alerts(
            &Actor::system(),
            vec![
                alert(AlertKind::Telnet, Some(rad), RAD_IP),
                alert(AlertKind::Telnet, Some(icu), ICU_IP),
                alert(AlertKind::UnknownDevice, None, UNKNOWN_IP),
            ],
        ))
        .unwrap();
    rt.block_on(s.pool().close());
    raised
}

#[test]
fn department_users_and_executives_see_network_detail_by_one_rule() {
    let dir = data_dir();
    let server = Server::start(dir.path(), false);
    let base = server.base.clone();
    let admin = token_for(dir.path(), "admin");
    let rad_dev = create(&base, &admin, RAD_NAME, "放射線科", RAD_IP, RAD_MAC);
    let icu_dev = create(&base, &admin, ICU_NAME, "集中治療室", ICU_IP, ICU_MAC);
    let alerts = raise_alerts(dir.path(), rad_dev, icu_dev);
    let alert_of = |addr: &str| alerts.iter().find(|a| a.address == addr).unwrap().id;
    add_radiology_user(dir.path());
    let rad = token_for(dir.path(), "rad1");
    crate::add_user(dir.path(), "exec1", "executive", &[], ADMIN_PASSWORD);
    let exec = token_for(dir.path(), "exec1");

    // The officers see everything (so the checks below are not vacuous).
    let all = json_of(&base, &admin, "/api/v1/devices?limit=100").to_string();
    assert!(all.contains(RAD_IP) && all.contains(ICU_IP) && all.contains(ICU_MAC));
    let diagram = text(&base, &admin, "/diagram");
    assert!(diagram.contains(RAD_NAME) && diagram.contains(ICU_NAME));
    assert_eq!(json_of(&base, &admin, "/api/v1/alerts")["total"], 3);

    // A department user: its own department's addresses, the others' blanked everywhere.
    let v = json_of(&base, &rad, "/api/v1/devices?limit=100");
    let by_id = |id: i64| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(by_id(rad_dev)["ip"], RAD_IP);
    assert_eq!(by_id(rad_dev)["mac"], RAD_MAC);
    assert_eq!(
        by_id(icu_dev)["name"],
        ICU_NAME,
        "the device itself stays listed"
    );
    assert!(by_id(icu_dev)["ip"].is_null() && by_id(icu_dev)["mac"].is_null());
    let one = json_of(&base, &rad, &format!("/api/v1/devices/{icu_dev}"));
    assert!(one["ip"].is_null() && one["mac"].is_null(), "{one}");
    for (path, surface) in [
        (format!("/api/v1/devices/{icu_dev}/history"), "history API"),
        ("/devices".to_string(), "device list"),
        (format!("/devices/{icu_dev}"), "device page"),
        ("/export?format=csv".to_string(), "CSV export"),
        ("/export?format=json".to_string(), "JSON export"),
        ("/diagram".to_string(), "diagram"),
        (
            "/diagram/export?format=graphml&department=%E9%9B%86%E4%B8%AD%E6%B2%BB%E7%99%82%E5%AE%A4"
                .to_string(),
            "diagram export asking for 集中治療室",
        ),
    ] {
        let body = text(&base, &rad, &path);
        assert!(
            !body.contains(ICU_IP) && !body.contains(ICU_MAC),
            "{surface} shows the ICU device's address to a radiology user"
        );
    }
    assert!(text(&base, &rad, "/devices").contains(RAD_IP));
    assert!(text(&base, &rad, "/export?format=csv").contains(RAD_IP));
    let drawn = text(&base, &rad, "/diagram");
    assert!(drawn.contains(RAD_NAME) && !drawn.contains(ICU_NAME));
    // Nor can the ICU device be found by its address.
    let found = json_of(&base, &rad, &format!("/api/v1/devices?q={ICU_IP}"));
    assert_eq!(found["total"], 0, "found by an address it may not see");
    let found = json_of(&base, &rad, &format!("/api/v1/devices?q={RAD_IP}"));
    assert_eq!(found["total"], 1);

    // Its alerts: the ones about its department's devices, not the ICU's or the unknown device's.
    let v = json_of(&base, &rad, "/api/v1/alerts");
    assert_eq!(v["total"], 1, "{v}");
    assert_eq!(v["items"][0]["device_id"], rad_dev);
    let page = text(&base, &rad, "/alerts");
    assert!(page.contains(RAD_IP) && !page.contains(ICU_IP) && !page.contains(UNKNOWN_IP));
    assert_eq!(
        get(&base, &rad, &format!("/api/v1/alerts/{}", alert_of(ICU_IP))).status(),
        404
    );
    assert_eq!(
        get(
            &base,
            &rad,
            &format!("/api/v1/alerts/{}", alert_of(UNKNOWN_IP))
        )
        .status(),
        404
    );
    assert_eq!(
        get(&base, &rad, &format!("/api/v1/alerts/{}", alert_of(RAD_IP))).status(),
        200
    );
    let r = http()
        .post(format!(
            "{base}/api/v1/alerts/{}/acknowledge",
            alert_of(RAD_IP)
        ))
        .bearer_auth(&rad)
        .send()
        .unwrap();
    assert_eq!(r.status(), 403, "department users still do not acknowledge");

    // An executive: counts and the report; no address, no diagram detail, no alert rows.
    let v = json_of(&base, &exec, "/api/v1/devices?limit=100");
    assert_eq!(v["total"], 2);
    for d in v["items"].as_array().unwrap() {
        assert!(d["ip"].is_null() && d["mac"].is_null(), "{d}");
    }
    for path in [
        "/devices",
        "/export?format=csv",
        "/diagram",
        "/alerts",
        "/reconcile",
    ] {
        let body = text(&base, &exec, path);
        for addr in [RAD_IP, ICU_IP, RAD_MAC, ICU_MAC, UNKNOWN_IP] {
            assert!(!body.contains(addr), "{path} shows {addr} to an executive");
        }
    }
    let diagram = text(&base, &exec, "/diagram");
    assert!(diagram.contains("id=\"diagram-counts\"") && !diagram.contains(RAD_NAME));
    assert_eq!(
        get(&base, &exec, "/diagram/export?format=svg").status(),
        403
    );
    let v = json_of(&base, &exec, "/api/v1/alerts");
    assert_eq!(
        (v["total"].as_i64(), v["items"].as_array().map(Vec::len)),
        (Some(3), Some(0))
    );
    assert_eq!(
        get(
            &base,
            &exec,
            &format!("/api/v1/alerts/{}", alert_of(RAD_IP))
        )
        .status(),
        403
    );
    assert_eq!(get(&base, &exec, "/report").status(), 200);
}
