//! Remote-maintenance sessions in a real headless Chromium: the vendor requests a session, a
//! department user cannot approve it, the information-systems officer approves it, the vendor logs
//! start and end, and the audit log shows every step with who did it.

use crate::browser::{browser, login, start_chromedriver, text};
use crate::{data_dir, token_for, Server, ADMIN_PASSWORD};
use fantoccini::{Client, Locator};
use std::time::{Duration, Instant};

async fn logout(c: &Client) {
    c.find(Locator::Css("form[action='/logout'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("#login-form"))
        .await
        .unwrap();
}

async fn click(c: &Client, css: &str) {
    c.wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
}

/// The session page's status code (`data-status`), waiting for the page to show it.
async fn status(c: &Client) -> String {
    // The page may be replaced between finding the element and reading it (a form submit still
    // navigating): a stale element is read again, not a failure.
    let start = Instant::now();
    loop {
        let found = c.wait().for_element(Locator::Css("#session-status")).await;
        if let Ok(e) = found {
            if let Ok(v) = e.attr("data-status").await {
                return v.unwrap_or_default();
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no readable #session-status"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn wait_status(c: &Client, want: &str) {
    let start = Instant::now();
    loop {
        let s = status(c).await;
        if s == want {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "session status {s}, expected {want}: {}",
            text(c, "main").await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[test]
fn browser_vendor_requests_isso_approves_department_user_cannot_and_audit_shows_it() {
    let dir = data_dir();
    let server = Server::start(dir.path(), true);
    let token = token_for(dir.path(), "admin");
    server.wait_for_devices(&token, 1_900);
    let (_driver, port) = start_chromedriver();
    let base = server.base.clone();

    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async move {
            let c = browser(port).await;

            // The administrator fills the registry from the ledger's remote-line column.
            login(&c, &base, "admin", ADMIN_PASSWORD).await;
            c.goto(&format!("{base}/remote-lines")).await.unwrap();
            click(&c, "#import-lines").await;
            let msg = c
                .wait()
                .for_element(Locator::Css("#remote-message"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(msg.contains("取り込みました"), "{msg}");
            let lines: u64 = text(&c, "#line-total").await.parse().unwrap();
            assert!(lines >= 5, "{lines} lines from the demo ledger");
            logout(&c).await;

            // The vendor sees only its own lines and requests a session on one.
            login(&c, &base, "philips.service", ADMIN_PASSWORD).await;
            c.goto(&format!("{base}/remote-lines")).await.unwrap();
            let vendors = c
                .find_all(Locator::Css("#line-table td.vendor"))
                .await
                .unwrap();
            assert!(!vendors.is_empty(), "the vendor sees no line");
            let mut own = None;
            for v in &vendors {
                let t = v.text().await.unwrap();
                assert!(t.contains("Philips"), "a foreign line is visible: {t}");
                if t.trim() == "Philips" && own.is_none() {
                    own = Some(v.find(Locator::Css("a")).await.unwrap());
                }
            }
            own.expect("a line of Philips alone").click().await.unwrap();
            let purpose = "生体情報モニタのソフトウェア更新（ブラウザ試験）";
            c.wait()
                .for_element(Locator::Css("#request-purpose"))
                .await
                .unwrap()
                .send_keys(purpose)
                .await
                .unwrap();
            click(&c, "#request-form input[name=device]").await;
            click(&c, "#request-session").await;
            wait_status(&c, "requested").await;
            let session_url = c.current_url().await.unwrap().to_string();
            assert!(
                c.find(Locator::Css("#approve-session")).await.is_err(),
                "the requester is offered approval"
            );
            assert!(text(&c, "#decide-hint").await.contains("ご自身の申請"));
            let devices = text(&c, "#session-devices").await;
            assert!(!devices.trim().is_empty());
            logout(&c).await;

            // A department user sees the request but cannot approve it, not even by posting.
            login(&c, &base, "suzuki.rad", ADMIN_PASSWORD).await;
            c.goto(&session_url).await.unwrap();
            assert_eq!(status(&c).await, "requested");
            assert!(c.find(Locator::Css("#approve-session")).await.is_err());
            let code = c
                .execute_async(
                    r#"const done = arguments[arguments.length - 1];
                       const csrf = document.querySelector("form[action='/logout'] input[name=_csrf]").value;
                       fetch(location.pathname + "/decide", {method: "POST", redirect: "manual",
                         headers: {"Content-Type": "application/x-www-form-urlencoded"},
                         body: "_csrf=" + encodeURIComponent(csrf) + "&decision=approve"})
                       .then(r => done(r.status), e => done(String(e)));"#,
                    vec![],
                )
                .await
                .unwrap();
            assert_eq!(code, serde_json::json!(403), "department user's approval");
            c.refresh().await.unwrap();
            assert_eq!(status(&c).await, "requested");
            logout(&c).await;

            // The information-systems officer approves, with a firewall snippet.
            login(&c, &base, "sato.isso", ADMIN_PASSWORD).await;
            c.goto(&format!("{base}/remote-sessions?status=requested"))
                .await
                .unwrap();
            let listed = text(&c, "#session-table").await;
            assert!(listed.contains(purpose), "{listed}");
            c.goto(&session_url).await.unwrap();
            click(&c, "#decide-form input[name=firewall]").await;
            click(&c, "#approve-session").await;
            wait_status(&c, "approved").await;
            assert!(text(&c, "#session-decider").await.contains("sato.isso"));
            let rule = text(&c, "#firewall-rule").await;
            assert!(rule.contains("table inet mdsec_remote"), "{rule}");
            logout(&c).await;

            // The vendor logs the start and the end of the work.
            login(&c, &base, "philips.service", ADMIN_PASSWORD).await;
            c.goto(&session_url).await.unwrap();
            click(&c, "#start-session").await;
            wait_status(&c, "active").await;
            c.wait()
                .for_element(Locator::Css("#end-form textarea[name=work_summary]"))
                .await
                .unwrap()
                .send_keys("ファームウェア更新済み、動作確認済み")
                .await
                .unwrap();
            click(&c, "#end-session").await;
            wait_status(&c, "ended").await;
            assert!(text(&c, "#session-started").await.contains("philips.service"));
            assert!(text(&c, "#session-ended").await.contains("philips.service"));
            logout(&c).await;

            // The audit log shows every step and who took it.
            login(&c, &base, "sato.isso", ADMIN_PASSWORD).await;
            c.goto(&session_url).await.unwrap();
            click(&c, "#session-audit").await;
            let audit = c
                .wait()
                .for_element(Locator::Css("#audit-table"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            for (action, actor) in [
                ("remote_session.request", "philips.service"),
                ("remote_session.approve", "sato.isso"),
                ("remote_session.start", "philips.service"),
                ("remote_session.end", "philips.service"),
            ] {
                let row = audit
                    .lines()
                    .find(|l| l.contains(action))
                    .unwrap_or_else(|| panic!("{action} missing from the audit log: {audit}"));
                assert!(row.contains(actor), "{action} by {actor}: {row}");
            }
            assert!(!audit.contains("suzuki.rad"), "{audit}");
            c.close().await.unwrap();
        });
}
