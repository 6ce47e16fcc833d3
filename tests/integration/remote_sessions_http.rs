//! Remote-maintenance sessions over HTTP on a line shared by two vendors: a vendor may name only
//! its own devices of the line (a refusal is a Japanese page, English with the language switch, and
//! changes nothing), naming none means its own devices and never the other vendor's, and the
//! approval page shows exactly the devices and the firewall rule that approving stores. The device
//! and endpoint addresses are ledger data only; nothing is sent to them.

use crate::{data_dir, http, token_for, Server, ADMIN_PASSWORD};
use reqwest::blocking::{RequestBuilder, Response};
use serde_json::{json, Value};
use std::path::Path;

const GE_IP: &str = "10.77.0.11";
const PHILIPS_IP: &str = "10.77.0.12";
const OFF_LINE_IP: &str = "10.77.0.13";
const ENDPOINT: &str = "192.0.2.50";

fn add_user(dir: &Path, name: &str, role: &str, extra: &[&str]) {
    crate::add_user(dir, name, role, extra, ADMIN_PASSWORD);
}

fn device(base: &str, token: &str, name: &str, maker: &str, ip: &str) -> i64 {
    let r = http()
        .post(format!("{base}/api/v1/devices"))
        .bearer_auth(token)
        .json(&json!({"name": name, "manufacturer": maker, "department": "放射線科", "ip": ip}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 201);
    r.json::<Value>().unwrap()["id"].as_i64().unwrap()
}

/// A `datetime-local` value `minutes` from now, in Japan Standard Time.
fn local(minutes: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::minutes(minutes))
        .with_timezone(&chrono::FixedOffset::east_opt(9 * 3600).unwrap())
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

fn as_user(r: RequestBuilder, token: &str, lang: &str) -> Response {
    r.bearer_auth(token)
        .header("Cookie", format!("mdsec_lang={lang}"))
        .send()
        .unwrap()
}

/// Request a session on `line` from `start` to `start + 60` minutes naming `devices`.
fn request(
    base: &str,
    token: &str,
    lang: &str,
    line: i64,
    start: i64,
    devices: &[i64],
) -> Response {
    let mut form: Vec<(String, String)> = vec![
        ("window_start".into(), local(start)),
        ("window_end".into(), local(start + 60)),
        ("purpose".into(), "ソフトウェア更新".into()),
    ];
    for d in devices {
        form.push(("device".into(), d.to_string()));
    }
    as_user(
        http()
            .post(format!("{base}/remote-lines/{line}/sessions"))
            .form(&form),
        token,
        lang,
    )
}

fn session_id(r: &Response) -> i64 {
    let to = r.headers()["location"].to_str().unwrap();
    to.strip_prefix("/remote-sessions/")
        .unwrap()
        .parse()
        .unwrap()
}

fn page(base: &str, token: &str, path: &str) -> String {
    let r = as_user(http().get(format!("{base}{path}")), token, "ja");
    assert_eq!(r.status(), 200, "{path}");
    r.text().unwrap()
}

/// The text of the element with `id` (to its closing tag), or "" when the page has none.
fn element(html: &str, tag: &str, id: &str) -> String {
    let open = format!("id=\"{id}\"");
    match html.find(&open) {
        Some(i) => {
            let rest = &html[i..];
            let end = rest.find(&format!("</{tag}>")).unwrap_or(rest.len());
            rest[..end].to_string()
        }
        None => String::new(),
    }
}

fn audit_total(base: &str, admin: &str) -> u64 {
    let v: Value = http()
        .get(format!("{base}/api/v1/audit?entity=remote_session"))
        .bearer_auth(admin)
        .send()
        .unwrap()
        .json()
        .unwrap();
    v["total"].as_u64().unwrap()
}

#[test]
fn a_vendor_names_only_its_own_devices_on_a_shared_line_and_approval_shows_what_it_opens() {
    let dir = data_dir();
    let server = Server::start(dir.path(), false);
    let base = server.base.clone();
    let admin = token_for(dir.path(), "admin");
    add_user(
        dir.path(),
        "philips.vendor",
        "manufacturer",
        &["--manufacturer", "Philips"],
    );
    let vendor = token_for(dir.path(), "philips.vendor");

    let ge = device(&base, &admin, "GE 血管撮影装置", "GE HealthCare", GE_IP);
    let philips = device(
        &base,
        &admin,
        "Philips 生体情報モニタ",
        "Philips",
        PHILIPS_IP,
    );
    let off_line = device(
        &base,
        &admin,
        "Philips 超音波診断装置",
        "Philips",
        OFF_LINE_IP,
    );
    let r = as_user(
        http().post(format!("{base}/remote-lines")).form(&[
            ("vendor", "GE HealthCare, Philips"),
            ("method", "client_vpn"),
            ("endpoints", ENDPOINT),
            ("device_ids", &format!("{ge} {philips}")),
            ("approval_policy", "per_session"),
        ]),
        &admin,
        "ja",
    );
    assert_eq!(r.status(), 303, "line created");
    let line: i64 = r.headers()["location"]
        .to_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();

    // The vendor's line page hides the other vendor's device.
    let html = page(&base, &vendor, &format!("/remote-lines/{line}"));
    assert!(html.contains("Philips 生体情報モニタ"));
    assert!(!html.contains("GE 血管撮影装置") && !html.contains(GE_IP));

    // Naming the hidden GE device (or a Philips device the line does not serve) is refused, in
    // Japanese, and nothing is written.
    for (devices, refused) in [(vec![ge], ge), (vec![philips, off_line], off_line)] {
        let r = request(&base, &vendor, "ja", line, 10, &devices);
        assert_eq!(r.status(), 422, "devices {devices:?} accepted");
        let html = r.text().unwrap();
        let msg = element(&html, "div", "remote-message");
        assert!(
            msg.contains("この申請に含められません") && msg.contains(&format!("#{refused}")),
            "{msg}"
        );
    }
    let r = request(&base, &vendor, "en", line, 10, &[ge]);
    assert_eq!(r.status(), 422);
    assert!(r.text().unwrap().contains("cannot be part of this request"));
    assert_eq!(audit_total(&base, &admin), 0, "a refusal changed something");
    let r = as_user(
        http().get(format!("{base}/remote-sessions/1")),
        &admin,
        "ja",
    );
    assert_eq!(r.status(), 404, "a refused request was stored");

    // Naming none means its own devices of the line, not the GE device.
    let r = request(&base, &vendor, "ja", line, 10, &[]);
    assert_eq!(r.status(), 303);
    let id = session_id(&r);
    let own = page(&base, &vendor, &format!("/remote-sessions/{id}"));
    let named = element(&own, "dd", "session-devices");
    assert!(named.contains("Philips 生体情報モニタ"), "{named}");

    // The approval page shows exactly what approving opens: the Philips device and a rule for it.
    let approval = page(&base, &admin, &format!("/remote-sessions/{id}"));
    let devices = element(&approval, "ul", "plan-devices");
    assert!(devices.contains(PHILIPS_IP), "{devices}");
    assert!(!devices.contains(GE_IP) && !devices.contains("GE 血管撮影装置"));
    let preview = element(&approval, "pre", "firewall-preview");
    assert!(
        preview.contains(&format!("{ENDPOINT} . {PHILIPS_IP}")),
        "{preview}"
    );
    assert!(!preview.contains(GE_IP), "{preview}");
    let plan = crate::api::hidden_value(&approval, "plan");

    // An approval of something other than what was shown is refused and changes nothing.
    let decide = |plan: &str| {
        as_user(
            http()
                .post(format!("{base}/remote-sessions/{id}/decide"))
                .form(&[("decision", "approve"), ("firewall", "1"), ("plan", plan)]),
            &admin,
            "ja",
        )
    };
    let r = decide("0000");
    assert_eq!(r.status(), 422);
    assert!(element(&r.text().unwrap(), "div", "remote-message").contains("もう一度承認"));
    let still = page(&base, &admin, &format!("/remote-sessions/{id}"));
    assert!(still.contains("data-status=\"requested\""));

    assert_eq!(decide(&plan).status(), 303);
    let approved = page(&base, &vendor, &format!("/remote-sessions/{id}"));
    let rule = element(&approved, "pre", "firewall-rule");
    assert!(
        rule.contains(&format!("{ENDPOINT} . {PHILIPS_IP}")),
        "{rule}"
    );
    assert!(
        !approved.contains(GE_IP),
        "the vendor sees the GE device's address"
    );
    assert_eq!(
        rule.lines().find(|l| l.contains("elements")),
        preview.lines().find(|l| l.contains("elements")),
        "the stored rule allows what the preview showed"
    );

    // Hospital staff requesting on a vendor's behalf may name any device of the line.
    let r = request(&base, &admin, "ja", line, 240, &[ge]);
    assert_eq!(r.status(), 303, "staff request for the GE device");
}
