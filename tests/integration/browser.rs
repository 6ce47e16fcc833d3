//! The UI in a real headless Chromium (Debian `chromium` + `chromium-driver`, driven over WebDriver).

use crate::{data_dir, free_port, token_for, Server, ADMIN_PASSWORD};
use fantoccini::{Client, ClientBuilder, Locator};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn start_chromedriver() -> (Driver, u16) {
    let port = free_port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver is required for the browser tests (Debian package chromium-driver; scripts/test installs it)");
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "chromedriver did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (Driver(child), port)
}

pub(crate) async fn browser(port: u16) -> Client {
    let profile = tempfile::tempdir().unwrap().keep();
    let caps = serde_json::json!({
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                     "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     format!("--user-data-dir={}", profile.display()), "--window-size=1400,1000"]
        }
    });
    let caps = match caps {
        serde_json::Value::Object(m) => m,
        _ => unreachable!(),
    };
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("connect to chromedriver")
}

pub(crate) async fn login(c: &Client, base: &str, user: &str, password: &str) {
    c.goto(&format!("{base}/login")).await.unwrap();
    c.find(Locator::Css("input[name=username]"))
        .await
        .unwrap()
        .send_keys(user)
        .await
        .unwrap();
    c.find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys(password)
        .await
        .unwrap();
    c.find(Locator::Css("#login-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("#device-table"))
        .await
        .unwrap();
}

pub(crate) async fn text(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[test]
fn browser_login_filter_edit_history_audit_and_department_limits() {
    let dir = data_dir();
    let server = Server::start(dir.path(), true);
    let token = token_for(dir.path(), "admin");
    server.wait_for_devices(&token, 1_900);
    crate::add_radiology_user(dir.path());
    let (_driver, port) = start_chromedriver();
    let base = server.base.clone();

    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async move {
            let c = browser(port).await;
            login(&c, &base, "admin", ADMIN_PASSWORD).await;
            let all: u64 = text(&c, "#device-total").await.parse().unwrap();
            assert!(all >= 1_900);

            // Filter by department (the drop-down submits the form through our own script).
            c.find(Locator::Css("select[name=department]"))
                .await
                .unwrap()
                .select_by_value("集中治療室")
                .await
                .unwrap();
            let start = Instant::now();
            let mut filtered: u64 = text(&c, "#device-total").await.parse().unwrap();
            while filtered == all && start.elapsed() < Duration::from_secs(10) {
                tokio::time::sleep(Duration::from_millis(100)).await;
                filtered = text(&c, "#device-total").await.parse().unwrap_or(all);
            }
            assert!(
                filtered > 0 && filtered < all,
                "department filter: {filtered} of {all}"
            );
            let rows = c
                .find_all(Locator::Css("#device-table tbody tr"))
                .await
                .unwrap();
            for row in rows.iter().take(10) {
                assert!(row.text().await.unwrap().contains("集中治療室"));
            }

            // Open the first device and edit its location.
            c.find(Locator::Css("#device-table tbody tr td.name a"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            c.wait()
                .for_element(Locator::Css("#edit-device"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            let loc = c
                .wait()
                .for_element(Locator::Css("#device-form input[name=location]"))
                .await
                .unwrap();
            loc.clear().await.unwrap();
            loc.send_keys("ICU 7番ベッド (ブラウザ試験)").await.unwrap();
            c.find(Locator::Css("#save-device"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            c.wait()
                .for_element(Locator::Css("#history"))
                .await
                .unwrap();
            let device_url = c.current_url().await.unwrap();
            let fields = text(&c, "#device-fields").await;
            assert!(fields.contains("ICU 7番ベッド (ブラウザ試験)"), "{fields}");
            let history = text(&c, "#history").await;
            assert!(
                history.contains("ICU 7番ベッド (ブラウザ試験)") && history.contains("admin"),
                "{history}"
            );

            // The audit log shows the change.
            c.goto(&format!("{base}/audit")).await.unwrap();
            let audit = text(&c, "#audit-table").await;
            assert!(audit.contains("device.update"), "{audit}");

            // A department user cannot edit another department's device.
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
            login(&c, &base, "rad1", crate::RAD_PASSWORD).await;
            c.goto(device_url.as_str()).await.unwrap();
            c.wait()
                .for_element(Locator::Css("#history"))
                .await
                .unwrap();
            assert!(
                c.find(Locator::Css("#edit-device")).await.is_err(),
                "no edit button on an ICU device"
            );
            c.goto(&format!("{}/edit", device_url.as_str()))
                .await
                .unwrap();
            let body = text(&c, "body").await;
            assert!(body.contains("403"), "{body}");
            c.close().await.unwrap();
        });
}
