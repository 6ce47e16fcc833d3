//! Findings of the outside security review (issue 11): each test failed on the code before its fix.

use crate::api::{login, page_csrf, post_login};
use crate::{data_dir, http, mdsec, mdsec_bin, Server, ADMIN_PASSWORD};
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};

/// Targets a browser resolves to another origin once it drops tabs/newlines or reads `\` as `/`.
const FOREIGN: &[&str] = &[
    "/%09/evil.example",
    "/%0A/evil.example",
    "%09//evil.example",
    "/%5Cevil.example",
    "//evil.example",
    "https://evil.example/",
];

fn location(r: &reqwest::blocking::Response) -> String {
    r.headers()["location"].to_str().unwrap().to_string()
}

#[test]
fn language_switch_and_login_redirect_only_to_this_server() {
    let dir = data_dir();
    let server = Server::start(dir.path(), false);
    let c = http();
    for next in FOREIGN {
        let r = c
            .get(format!("{}/lang/en?next={next}", server.base))
            .send()
            .unwrap();
        assert_eq!(r.status(), 303, "{next}");
        assert_eq!(location(&r), "/", "/lang/en?next={next}");
    }
    let r = c
        .get(format!("{}/lang/ja?next=/devices%3Fpage%3D2", server.base))
        .send()
        .unwrap();
    assert_eq!(location(&r), "/devices?page=2", "a local target is kept");

    for next in ["/\t/evil.example", "/\\evil.example", "\t//evil.example"] {
        let r = post_login(&http(), &server.base, "admin", ADMIN_PASSWORD, next);
        assert_eq!(r.status(), 303, "{next:?}");
        assert_eq!(location(&r), "/", "login with next={next:?}");
    }
    // The ordinary login still lands where it was asked to.
    login(&server.base, "admin", ADMIN_PASSWORD);
}

fn mode(p: &std::path::Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn the_data_directory_and_database_files_are_private_and_a_wider_mode_is_corrected_and_audited() {
    let dir = data_dir();
    // Any command opens (and creates) the store.
    let out = mdsec(dir.path(), &["ledger", "export", "--output", "/dev/null"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let db = dir.path().join("mdsec.sqlite3");
    assert!(db.exists(), "the store was not created");
    assert_eq!(mode(dir.path()), 0o700, "data directory");
    for name in ["mdsec.sqlite3", "mdsec.sqlite3-wal", "mdsec.sqlite3-shm"] {
        let p = dir.path().join(name);
        if p.exists() {
            assert_eq!(mode(&p), 0o600, "{name}");
        }
    }

    // An operator (or a restore) leaves the files world-readable: the next start narrows them.
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = mdsec(dir.path(), &["audit", "verify", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(mode(&db), 0o600);
    assert_eq!(mode(dir.path()), 0o700);
    // The directory and the database, and the -wal/-shm files SQLite created with the database's mode.
    let fixed = audited(dir.path(), "entity_id", "files.permissions_corrected");
    assert!(
        fixed.iter().any(|p| p.ends_with("mdsec.sqlite3")),
        "{fixed:?}"
    );
    let dir_name = dir.path().display().to_string();
    assert!(fixed.contains(&dir_name), "{fixed:?}");
}

/// `column` of every audit entry with `action`, read straight from the database file (`audit
/// verify` reports only the chain's state).
fn audited(dir: &std::path::Path, column: &str, action: &str) -> Vec<String> {
    let out = Command::new("python3")
        .args([
            "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); \
             [print(r[0]) for r in c.execute(f'select {sys.argv[2]} from audit_log where action=? order by seq', (sys.argv[3],))]",
        ])
        .arg(dir.join("mdsec.sqlite3"))
        .args([column, action])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn a_report_piped_into_a_reader_that_goes_away_stops_without_a_panic() {
    let dir = data_dir();
    let mut child = Command::new(mdsec_bin())
        .args(["findings", "--data-dir"])
        .arg(dir.path())
        .env_remove("MDSEC_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // `| head -c 0`: the reader is gone before anything is written.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(out.status.code(), Some(101), "{stderr}");
}

#[test]
fn sign_in_forms_refuse_a_large_body_before_reading_it() {
    let dir = data_dir();
    let server = Server::start(dir.path(), false);
    // Four times the limit: small enough to sit in the socket buffers whole, so the client reads the
    // early answer instead of a reset; a fresh connection each time, as the server closes one it stopped
    // reading.
    let padding = "a".repeat(4 * mdsec_web::AUTH_FORM_LIMIT);
    for path in ["/login", "/login/totp", "/logout"] {
        let c = http();
        let csrf = page_csrf(&c, &format!("{}/login", server.base));
        let r = c
            .post(format!("{}{path}", server.base))
            .form(&[
                ("username", "admin"),
                ("password", padding.as_str()),
                ("_csrf", &csrf),
            ])
            .send()
            .unwrap();
        assert_eq!(r.status(), 413, "{path}");
    }
    // A normal sign-in is well inside the limit.
    let c = login(&server.base, "admin", ADMIN_PASSWORD);

    // Any other form is bounded too (64 KiB): a 96 KiB device form is refused in Japanese and
    // creates nothing.
    let csrf = page_csrf(&c, &format!("{}/devices/new", server.base));
    let notes = "x".repeat(96 * 1024);
    let r = c
        .post(format!("{}/devices", server.base))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("name", "大きすぎる機器"),
            ("notes", notes.as_str()),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status(), 413);
    assert!(r.text().unwrap().contains("大きすぎます"));
    let list = c
        .get(format!("{}/devices", server.base))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(!list.contains("大きすぎる機器"), "nothing was created");
}

/// A client whose connections come from `127.0.0.N`.
fn client_from(n: u8) -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .local_address(std::net::IpAddr::from([127, 0, 0, n]))
        .build()
        .unwrap()
}

fn try_login(base: &str, from: u8, user: &str, password: &str) -> reqwest::blocking::Response {
    post_login(&client_from(from), base, user, password, "/devices")
}

#[test]
fn guessing_is_slowed_per_account_from_any_address_and_a_shared_address_locks_nobody_out() {
    let dir = data_dir();
    let server = Server::start(dir.path(), false);
    let base = &server.base;

    // 20 failures from one shared address (NAT, VDI) for other names: admin behind it still signs in.
    for i in 0..20 {
        let r = try_login(base, 2, &format!("guess{i}"), "wrong-password");
        assert_eq!(r.status(), 401, "attempt {i}");
    }
    assert_eq!(try_login(base, 2, "admin", ADMIN_PASSWORD).status(), 303);

    // 50 wrong passwords for admin spread over 127.0.0.2 … 127.0.0.11: only the first few are checked.
    let mut checked = 0;
    let mut refused = 0;
    for i in 0..50u8 {
        let r = try_login(base, 2 + i % 10, "admin", "wrong-password");
        match r.status().as_u16() {
            401 => checked += 1,
            429 => {
                refused += 1;
                assert!(r.headers().contains_key("retry-after"));
            }
            s => panic!("attempt {i}: status {s}"),
        }
    }
    assert!(checked >= 5, "the first five are checked ({checked})");
    assert!(checked <= 9, "{checked} of 50 guesses were checked");
    assert!(refused >= 40, "{refused}");
    // Right after a checked failure the right password is refused too: guessing gains nothing.
    let mut from = 2;
    while try_login(base, from, "admin", "wrong-password").status() != 401 {
        from = if from == 11 { 2 } else { from + 1 };
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert_eq!(try_login(base, 12, "admin", ADMIN_PASSWORD).status(), 429);

    // A second administrator lifts the wait from the users page; the audit log names who did it.
    crate::add_user(dir.path(), "second", "admin", &[], "another-Secret-9");
    let c = login(base, "second", "another-Secret-9");
    let page = c
        .get(format!("{base}/users"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        page.contains(r#"name="username" value="admin""#),
        "the waiting account is listed with a button"
    );
    let csrf = crate::api::hidden_value(&page, "_csrf");
    let r = c
        .post(format!("{base}/users/clear-delay"))
        .form(&[("_csrf", csrf.as_str()), ("username", "admin")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(try_login(base, 12, "admin", ADMIN_PASSWORD).status(), 303);
    let out = mdsec(dir.path(), &["audit", "verify", "--json"]);
    assert!(out.status.success());
    assert_eq!(
        audited(dir.path(), "actor", "user.login_delay_cleared"),
        ["second"]
    );
}

fn totp_now(secret: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    mdsec_web::auth::totp_code(&mdsec_web::auth::base32_decode(secret).unwrap(), now / 30)
}

/// Sign in with the password; the client is then waiting for its second factor.
fn password_step(base: &str) -> (reqwest::blocking::Client, String) {
    let c = http();
    let r = post_login(&c, base, "admin", ADMIN_PASSWORD, "/devices");
    assert!(location(&r).starts_with("/login/totp"), "{}", location(&r));
    let tcsrf = page_csrf(&c, &format!("{base}/login/totp"));
    (c, tcsrf)
}

fn send_code(c: &reqwest::blocking::Client, base: &str, csrf: &str, code: &str) -> u16 {
    c.post(format!("{base}/login/totp"))
        .form(&[("_csrf", csrf), ("code", code), ("next", "/devices")])
        .send()
        .unwrap()
        .status()
        .as_u16()
}

#[test]
fn a_totp_code_signs_in_once_and_five_wrong_codes_discard_the_pending_login() {
    let dir = data_dir();
    let server = Server::start(dir.path(), false);
    let base = &server.base;
    let c = login(base, "admin", ADMIN_PASSWORD);
    let page = c
        .get(format!("{base}/account"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let secret = crate::api::hidden_value(&page, "secret");
    let csrf = crate::api::hidden_value(&page, "_csrf");
    let r = c
        .post(format!("{base}/account/totp"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("secret", secret.as_str()),
            ("code", totp_now(&secret).as_str()),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status(), 303, "TOTP enrolment");

    // Wrong codes: the fifth ends the pending login; the password must be given again.
    let (third, csrf3) = password_step(base);
    let now_code = totp_now(&secret);
    let wrong = if now_code == "000000" {
        "111111"
    } else {
        "000000"
    };
    for i in 1..5 {
        assert_eq!(
            send_code(&third, base, &csrf3, wrong),
            401,
            "wrong code {i}"
        );
    }
    let r = third
        .post(format!("{base}/login/totp"))
        .form(&[
            ("_csrf", csrf3.as_str()),
            ("code", wrong),
            ("next", "/devices"),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/login");
    let r = third.get(format!("{base}/login/totp")).send().unwrap();
    assert_eq!(location(&r), "/login", "the pending login is gone");
    // The account's own wait after five wrong codes ends after a second.
    std::thread::sleep(std::time::Duration::from_millis(1200));

    let code = totp_now(&secret);
    let (first, csrf1) = password_step(base);
    assert_eq!(send_code(&first, base, &csrf1, &code), 303);
    // Someone who saw the code (over a shoulder, in a proxy log) cannot use it again.
    let (second, csrf2) = password_step(base);
    assert_eq!(
        send_code(&second, base, &csrf2, &code),
        401,
        "a reused code"
    );
    let r = second.get(format!("{base}/devices")).send().unwrap();
    assert_eq!(
        location(&r),
        "/login/totp",
        "still waiting for the second factor"
    );
}

/// A fresh schema on the suite's PostgreSQL server; the URL selects it.
fn postgres_schema() -> String {
    let base = std::env::var("MDSEC_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let schema = format!(
        "mdsec_sec_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    let out = Command::new("psql")
        .arg(&base)
        .args(["-qtAc", &format!("CREATE SCHEMA {schema}")])
        .output()
        .expect("psql");
    assert!(
        out.status.success(),
        "PostgreSQL is required: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}options=-c%20search_path%3D{schema}")
}

#[test]
fn a_nul_character_is_refused_with_400_on_both_backends_and_changes_nothing() {
    let pg = postgres_schema();
    for backend in [None, Some(pg.as_str())] {
        let dir = data_dir();
        let server = Server::start_on(dir.path(), false, backend);
        let base = &server.base;
        let name = if backend.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        };
        let c = login(base, "admin", ADMIN_PASSWORD);

        let r = c
            .get(format!("{base}/api/v1/devices?q=%00"))
            .send()
            .unwrap();
        assert_eq!(r.status(), 400, "{name}: API query");
        let v: serde_json::Value = r.json().unwrap();
        assert_eq!(v["error"]["code"], "invalid_text", "{name}: {v}");
        assert!(v["error"]["message"].as_str().unwrap().contains("NUL"));

        let r = c.get(format!("{base}/devices?q=a%00b")).send().unwrap();
        assert_eq!(r.status(), 400, "{name}: page query");
        assert!(
            r.text().unwrap().contains("NUL 文字"),
            "{name}: a Japanese page"
        );

        // A sign-in form with a NUL in the name: refused, not a server error.
        let anon = http();
        let csrf = page_csrf(&anon, &format!("{base}/login"));
        let r = anon
            .post(format!("{base}/login"))
            .form(&[
                ("username", "ad\0min"),
                ("password", "whatever-password"),
                ("_csrf", &csrf),
            ])
            .send()
            .unwrap();
        assert_eq!(r.status(), 400, "{name}: form body");

        // An encoded percent sign followed by "00" is ordinary text.
        let r = c
            .get(format!("{base}/api/v1/devices?q=%2500"))
            .send()
            .unwrap();
        assert_eq!(r.status(), 200, "{name}: %2500");
    }
}

#[test]
fn every_api_failure_has_the_json_error_shape() {
    let dir = data_dir();
    let server = Server::start(dir.path(), false);
    let token = crate::token_for(dir.path(), "admin");
    let c = http();
    let base = format!("{}/api/v1", server.base);
    let cases = [
        c.get(format!("{base}/findings?limit=many")),
        c.patch(format!("{base}/findings/1"))
            .header("content-type", "text/plain")
            .body("status=closed"),
        c.patch(format!("{base}/findings/1"))
            .header("content-type", "application/json")
            .body("{not json"),
        c.get(format!("{base}/no-such-thing")),
        c.delete(format!("{base}/openapi.json")),
    ];
    for (i, req) in cases.into_iter().enumerate() {
        let r = req.bearer_auth(&token).send().unwrap();
        let status = r.status().as_u16();
        assert!((400..500).contains(&status), "case {i}: {status}");
        let text = r.text().unwrap();
        let v: serde_json::Value = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("case {i} ({status}) is not JSON: {text}"));
        assert!(v["error"]["code"].is_string(), "case {i}: {v}");
        assert!(
            !v["error"]["message"].as_str().unwrap().is_empty(),
            "case {i}: {v}"
        );
    }
}
