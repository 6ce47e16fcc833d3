//! The network diagram page in headless Chromium on the demo hospital: the SVG is drawn with every
//! segment, search and the priority filter dim nodes, zoom changes the view box, the exports
//! download, and a manufacturer account is refused.

use crate::browser::{browser, login, start_chromedriver, text};
use crate::{token_for, Server, ADMIN_PASSWORD};
use fantoccini::Locator;
use std::time::{Duration, Instant};

#[test]
fn browser_diagram_page_draws_filters_and_zooms() {
    let dir = crate::data_dir();
    let server = Server::start(dir.path(), true);
    let token = token_for(dir.path(), "admin");
    server.wait_for_devices(&token, 1_900);
    // The segments the page must show, from the API (the ledger's network_segment values).
    let mut segments = std::collections::BTreeSet::new();
    let mut offset = 0;
    loop {
        let v: serde_json::Value = crate::http()
            .get(format!(
                "{}/api/v1/devices?limit=500&offset={offset}",
                server.base
            ))
            .bearer_auth(&token)
            .send()
            .unwrap()
            .json()
            .unwrap();
        let items = v["items"].as_array().unwrap();
        for d in items {
            if let Some(s) = d["network_segment"].as_str() {
                segments.insert(s.to_string());
            }
        }
        offset += items.len();
        if items.is_empty() || offset as u64 >= v["total"].as_u64().unwrap() {
            break;
        }
    }
    assert!(segments.len() >= 3, "{segments:?}");
    let svg_export = crate::http()
        .get(format!("{}/diagram/export?format=graphml", server.base))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(svg_export.status(), 200);
    assert!(svg_export.text().unwrap().contains("<graphml"));
    let out = crate::mdsec(
        dir.path(),
        &[
            "user",
            "add",
            "vendor1",
            "--role",
            "manufacturer",
            "--manufacturer",
            "Philips",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let vendor = token_for(dir.path(), "vendor1");
    let refused = crate::http()
        .get(format!("{}/diagram", server.base))
        .bearer_auth(&vendor)
        .send()
        .unwrap();
    assert_eq!(refused.status(), 403);

    let (_driver, port) = start_chromedriver();
    let base = server.base.clone();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async move {
            let c = browser(port).await;
            login(&c, &base, "admin", ADMIN_PASSWORD).await;
            c.goto(&format!("{base}/diagram")).await.unwrap();
            let svg = c
                .wait()
                .for_element(Locator::Css("#diagram svg"))
                .await
                .unwrap();
            let (_, _, w, h) = svg.rectangle().await.unwrap();
            assert!(w > 100.0 && h > 100.0, "the SVG has a size: {w}x{h}");
            let drawn = text(&c, "#diagram").await;
            for s in &segments {
                assert!(drawn.contains(s.as_str()), "segment {s} missing");
            }
            let nodes = c
                .find_all(Locator::Css("#diagram g.device, #diagram g.device-group"))
                .await
                .unwrap()
                .len();
            assert!(nodes > 10, "{nodes} device nodes");

            // Search dims every node that does not match.
            c.find(Locator::Css("#diagram-search"))
                .await
                .unwrap()
                .send_keys("集中治療室")
                .await
                .unwrap();
            let start = Instant::now();
            let mut count = String::new();
            while count.is_empty() && start.elapsed() < Duration::from_secs(5) {
                count = text(&c, "#diagram-count").await;
            }
            let (shown, all) = count.split_once(" / ").expect("count shown");
            let (shown, all): (usize, usize) =
                (shown.trim().parse().unwrap(), all.trim().parse().unwrap());
            assert!(shown > 0 && shown < all, "{count}");
            let dimmed = c
                .find_all(Locator::Css("#diagram g.dimmed"))
                .await
                .unwrap()
                .len();
            assert_eq!(dimmed, all - shown);

            // Zoom in shrinks the view box; reset restores it.
            let vb = |c: fantoccini::Client| async move {
                c.find(Locator::Css("#diagram svg"))
                    .await
                    .unwrap()
                    .attr("viewBox")
                    .await
                    .unwrap()
                    .unwrap()
            };
            let before = vb(c.clone()).await;
            c.find(Locator::Css("#diagram-zoom-in"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            let zoomed = vb(c.clone()).await;
            let width = |v: &str| v.split_whitespace().nth(2).unwrap().parse::<f64>().unwrap();
            assert!(width(&zoomed) < width(&before), "{before} -> {zoomed}");
            c.find(Locator::Css("#diagram-zoom-reset"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            assert_eq!(vb(c.clone()).await, before);

            // A server-side department filter redraws with fewer devices.
            let total: usize = text(&c, "#diagram-devices").await.parse().unwrap();
            c.goto(&format!(
                "{base}/diagram?department={}",
                crate::api::urlencode("集中治療室")
            ))
            .await
            .unwrap();
            let filtered: usize = text(&c, "#diagram-devices").await.parse().unwrap();
            assert!(filtered > 0 && filtered < total, "{filtered} of {total}");
            c.close().await.unwrap();
        });
}
