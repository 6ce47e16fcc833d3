//! `mdsec serve --demo` over HTTP: health, login redirect, sessions, CSRF, tokens, roles.

use crate::{data_dir, http, mdsec, token_for, Server, ADMIN_PASSWORD};
use serde_json::Value;
use std::time::{Duration, Instant};

/// Log in through the form (fetching the login CSRF cookie first), returning the signed-in client.
pub fn login(base: &str, user: &str, password: &str) -> reqwest::blocking::Client {
    let c = http();
    let r = post_login(&c, base, user, password, "/devices");
    assert_eq!(r.status(), 303, "login as {user} failed");
    c
}

/// Fetch the login page's CSRF cookie with `c`, then post the sign-in form; the answer as it is.
pub fn post_login(
    c: &reqwest::blocking::Client,
    base: &str,
    user: &str,
    password: &str,
    next: &str,
) -> reqwest::blocking::Response {
    let csrf = page_csrf(c, &format!("{base}/login"));
    c.post(format!("{base}/login"))
        .form(&[
            ("username", user),
            ("password", password),
            ("_csrf", &csrf),
            ("next", next),
        ])
        .send()
        .unwrap()
}

/// GET `url` with client `c` and return the page's `_csrf` form token.
pub fn page_csrf(c: &reqwest::blocking::Client, url: &str) -> String {
    hidden_value(&c.get(url).send().unwrap().text().unwrap(), "_csrf")
}

pub fn hidden_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in page"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

#[test]
fn demo_serves_health_at_once_requires_login_and_lists_devices_in_japanese() {
    let dir = data_dir();
    let started = Instant::now();
    let server = Server::start(dir.path(), true);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "/healthz took {:?}",
        started.elapsed()
    );

    let c = http();
    let r = c.get(format!("{}/", server.base)).send().unwrap();
    assert_eq!(r.status(), 303);
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login"));
    let r = c.get(format!("{}/devices", server.base)).send().unwrap();
    assert_eq!(r.status(), 303, "every page needs a session");

    let token = token_for(dir.path(), "admin");
    server.wait_for_devices(&token, 1_900);

    let c = login(&server.base, "admin", ADMIN_PASSWORD);
    let r = c.get(format!("{}/devices", server.base)).send().unwrap();
    assert_eq!(r.status(), 200);
    let headers = r.headers().clone();
    let html = r.text().unwrap();
    assert!(html.contains("医療機器台帳"), "Japanese by default");
    assert!(
        html.matches("<tr>").count() > 40,
        "a page of demo devices is listed"
    );
    assert!(
        html.contains("稼働") && html.contains("設置部署"),
        "in Japanese"
    );
    assert!(headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'self'"));
    assert_eq!(headers["x-frame-options"], "DENY");

    // Wrong password: a clear message, no session.
    let bad = http();
    let csrf = page_csrf(&bad, &format!("{}/login", server.base));
    let r = bad
        .post(format!("{}/login", server.base))
        .form(&[
            ("username", "admin"),
            ("password", "wrong-password"),
            ("_csrf", csrf.as_str()),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[test]
fn api_needs_a_token_and_returns_items_and_total() {
    let dir = data_dir();
    let server = Server::start(dir.path(), true);
    let token = token_for(dir.path(), "admin");
    server.wait_for_devices(&token, 1_900);

    let r = http()
        .get(format!("{}/api/v1/devices?limit=5", server.base))
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = http()
        .get(format!("{}/api/v1/devices?limit=5", server.base))
        .bearer_auth("mdsec_forged")
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);

    let r = http()
        .get(format!("{}/api/v1/devices?limit=5", server.base))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().unwrap();
    assert_eq!(v["items"].as_array().unwrap().len(), 5);
    assert!(v["total"].as_u64().unwrap() >= 1_900);
    assert!(v["items"][0]["name"].is_string());

    let r = http()
        .get(format!("{}/api/v1/openapi.json", server.base))
        .bearer_auth(&token)
        .send()
        .unwrap();
    let doc: Value = r.json().unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/devices/{id}"]["put"].is_object());
}

#[test]
fn department_user_edits_only_its_own_department() {
    let dir = data_dir();
    let server = Server::start(dir.path(), true);
    let admin_token = token_for(dir.path(), "admin");
    server.wait_for_devices(&admin_token, 1_900);
    crate::add_radiology_user(dir.path());
    let token = token_for(dir.path(), "rad1");

    let find = |dept: &str| -> Value {
        let url = format!(
            "{}/api/v1/devices?limit=1&department={}",
            server.base,
            urlencode(dept)
        );
        let v: Value = http()
            .get(url)
            .bearer_auth(&admin_token)
            .send()
            .unwrap()
            .json()
            .unwrap();
        v["items"][0].clone()
    };
    let own = find("放射線科");
    // The demo's own department users belong to departments that exist in the demo ledger.
    let users: Value =
        serde_json::from_slice(&mdsec(dir.path(), &["user", "list", "--json"]).stdout).unwrap();
    for u in users["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["role"] == "department_user" && u["username"] != "rad1")
    {
        let dept = u["department"].as_str().unwrap();
        assert!(
            find(dept)["id"].is_i64(),
            "demo user {} has department {dept} with no devices",
            u["username"]
        );
    }
    let other = find("集中治療室");
    assert!(
        own["id"].is_i64() && other["id"].is_i64(),
        "the demo has both departments"
    );

    let mut body = other.clone();
    body["notes"] = Value::String("changed by radiology".into());
    let r = http()
        .put(format!("{}/api/v1/devices/{}", server.base, other["id"]))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .unwrap();
    assert_eq!(r.status(), 403);

    let mut body = own.clone();
    body["notes"] = Value::String("checked by radiology".into());
    let r = http()
        .put(format!("{}/api/v1/devices/{}", server.base, own["id"]))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().unwrap_or_default());

    // Moving a device into another department is refused too.
    let mut body = own.clone();
    body["department"] = Value::String("集中治療室".into());
    let r = http()
        .put(format!("{}/api/v1/devices/{}", server.base, own["id"]))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .unwrap();
    assert_eq!(r.status(), 403);

    // The audit log names who changed what.
    let v: Value = http()
        .get(format!(
            "{}/api/v1/audit?entity=device&entity_id={}",
            server.base, own["id"]
        ))
        .bearer_auth(&admin_token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(v["items"][0]["actor"], "rad1");
    assert!(v["items"][0]["after"]
        .as_str()
        .unwrap()
        .contains("checked by radiology"));
    let out = mdsec(dir.path(), &["audit", "verify"]);
    assert!(out.status.success());
}

#[test]
fn forms_without_the_csrf_token_are_refused() {
    let dir = data_dir();
    let server = Server::start(dir.path(), false);
    let c = crate::api::login(&server.base, "admin", ADMIN_PASSWORD);
    let r = c
        .post(format!("{}/devices", server.base))
        .form(&[
            ("name", "輸液ポンプ"),
            ("status", "active"),
            ("remote_line", "unknown"),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status(), 403);
    let csrf = page_csrf(&c, &format!("{}/devices/new", server.base));
    let r = c
        .post(format!("{}/devices", server.base))
        .form(&[
            ("name", "輸液ポンプ"),
            ("status", "active"),
            ("remote_line", "unknown"),
            ("_csrf", &csrf),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status(), 303);
    // Stored text is escaped on output.
    let r = c
        .post(format!("{}/devices", server.base))
        .form(&[
            ("name", "<script>alert(1)</script>"),
            ("status", "active"),
            ("remote_line", "unknown"),
            ("_csrf", &csrf),
        ])
        .send()
        .unwrap();
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    let html = c
        .get(format!("{}{loc}", server.base))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(!html.contains("<script>alert(1)</script>"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[test]
fn import_through_the_ui_reports_rows_and_totp_guards_the_second_step() {
    let dir = data_dir();
    let server = Server::start(dir.path(), false);
    let c = login(&server.base, "admin", ADMIN_PASSWORD);
    let csrf = page_csrf(&c, &format!("{}/import", server.base));
    let form = reqwest::blocking::multipart::Form::new()
        .text("_csrf", csrf.clone())
        .part(
            "file",
            reqwest::blocking::multipart::Part::bytes(crate::fixtures::shift_jis_csv(12, &[2]))
                .file_name("病棟台帳.csv"),
        );
    let html = c
        .post(format!("{}/import", server.base))
        .multipart(form)
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        html.contains("id=\"import-new\">11<"),
        "11 new rows reported"
    );
    assert!(
        html.contains("<td>4</td>"),
        "the invalid row is listed with its number (line 4)"
    );

    // Enrol TOTP from the account page, then a new login needs the code.
    let page = c
        .get(format!("{}/account", server.base))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let secret = hidden_value(&page, "secret");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let code =
        mdsec_web::auth::totp_code(&mdsec_web::auth::base32_decode(&secret).unwrap(), now / 30);
    let r = c
        .post(format!("{}/account/totp", server.base))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("secret", secret.as_str()),
            ("code", code.as_str()),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status(), 303);

    let c2 = http();
    let lcsrf = page_csrf(&c2, &format!("{}/login", server.base));
    let r = c2
        .post(format!("{}/login", server.base))
        .form(&[
            ("username", "admin"),
            ("password", ADMIN_PASSWORD),
            ("_csrf", lcsrf.as_str()),
            ("next", "/devices"),
        ])
        .send()
        .unwrap();
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login/totp"));
    let r = c2.get(format!("{}/devices", server.base)).send().unwrap();
    assert_eq!(
        r.headers()["location"],
        "/login/totp",
        "no access before the second factor"
    );
    let tcsrf = page_csrf(&c2, &format!("{}/login/totp", server.base));
    let r = c2
        .post(format!("{}/login/totp", server.base))
        .form(&[
            ("_csrf", tcsrf.as_str()),
            ("code", "000000"),
            ("next", "/devices"),
        ])
        .send()
        .unwrap();
    let wrong_code_rejected = r.status() == 401 || code == "000000";
    assert!(wrong_code_rejected);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let code =
        mdsec_web::auth::totp_code(&mdsec_web::auth::base32_decode(&secret).unwrap(), now / 30);
    let r = c2
        .post(format!("{}/login/totp", server.base))
        .form(&[
            ("_csrf", tcsrf.as_str()),
            ("code", code.as_str()),
            ("next", "/devices"),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        c2.get(format!("{}/devices", server.base))
            .send()
            .unwrap()
            .status(),
        200
    );
}

#[test]
fn https_with_a_self_signed_certificate_and_secure_cookies() {
    let dir = data_dir();
    let port = crate::free_port();
    let mut child = std::process::Command::new(crate::mdsec_bin())
        .args([
            "serve",
            "--tls",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(dir.path())
        .env("MDSEC_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("https://127.0.0.1:{port}/login");
    let start = Instant::now();
    let mut out = None;
    while start.elapsed() < Duration::from_secs(20) {
        let o = std::process::Command::new("curl")
            .args(["-sk", "-D", "-", "-o", "/dev/null", &url])
            .output()
            .unwrap();
        if o.status.success() {
            out = Some(String::from_utf8_lossy(&o.stdout).to_string());
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    let headers = out.expect("HTTPS answered");
    assert!(headers.starts_with("HTTP/"), "{headers}");
    assert!(headers.to_lowercase().contains("strict-transport-security"));
    let cookie = headers
        .lines()
        .find(|l| l.to_lowercase().starts_with("set-cookie: mdsec_login_csrf"))
        .expect("cookie");
    assert!(
        cookie.contains("Secure")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert!(
        dir.path().join("tls-cert.pem").exists(),
        "the self-signed certificate is kept for the next start"
    );
}
