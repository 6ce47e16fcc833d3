//! The executive report of the demo hospital: `mdsec report` writes a one-page PDF whose page renders
//! (pdftoppm) with visible content and whose text (pdftotext) has the hospital's Japanese name and
//! the top "act now" device; the HTML has the charts; `/report` works in headless Chromium for the
//! executive (charts laid out with a size, the page's own style allowed by its CSP) and is refused
//! to a department user; `/report.pdf` downloads.

use crate::browser::{browser, login, start_chromedriver, text};
use crate::{data_dir, mdsec, mdsec_bin, token_for, Server, ADMIN_PASSWORD};
use fantoccini::Locator;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const NAME_JA: &str = "みなと中央総合病院";

fn shared(rel: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data")).join(rel)
}

fn ok(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = mdsec(dir, args);
    assert!(
        out.status.success(),
        "mdsec {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Demo hospital with advisories imported (so the act-now list has devices) and a checklist answer
/// in two fiscal years (so the trend has two points). Returns the top act-now device's number.
fn demo_with_findings(dir: &Path) -> String {
    let server = Server::start(dir, true);
    let token = token_for(dir, "admin");
    server.wait_for_devices(&token, 1_900);
    // The demo names the hospital in the checklist profile right after the ledger.
    let start = std::time::Instant::now();
    loop {
        let v: Value = serde_json::from_slice(&ok(dir, &["checklist", "--json"])).unwrap();
        if v["profile"]["hospital_name"].is_string() {
            break;
        }
        assert!(
            start.elapsed().as_secs() < 30,
            "the demo profile was not set"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    drop(server);
    ok(
        dir,
        &[
            "feed",
            "import",
            shared("csaf/cisa-icsma").to_str().unwrap(),
            shared("kev").to_str().unwrap(),
            "--json",
        ],
    );
    for fy in ["2024", "2025"] {
        ok(
            dir,
            &[
                "checklist",
                "answer",
                "mhlw.isso",
                "yes",
                "--fiscal-year",
                fy,
            ],
        );
    }
    let findings: Value = serde_json::from_slice(&ok(dir, &["findings", "--json"])).unwrap();
    let first = &findings["items"][0];
    let number = first["management_number"].as_str().unwrap_or_default();
    assert!(
        !number.is_empty(),
        "the demo has act-now devices: {findings:#}"
    );
    number.to_string()
}

fn tool(name: &str, args: &[&str]) -> std::process::Output {
    let out = Command::new(name)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{name} is required (Debian poppler-utils): {e}"));
    assert!(
        out.status.success(),
        "{name} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Luminance of every pixel of a PNG written by pdftoppm.
fn luminance(png_path: &Path) -> (u32, u32, Vec<f64>) {
    let decoder = png::Decoder::new(std::fs::File::open(png_path).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let bytes = &buf[..info.buffer_size()];
    let channels = info.color_type.samples();
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    let lum = bytes
        .chunks(channels)
        .map(|p| {
            if channels >= 3 {
                0.299 * p[0] as f64 + 0.587 * p[1] as f64 + 0.114 * p[2] as f64
            } else {
                p[0] as f64
            }
        })
        .collect();
    (info.width, info.height, lum)
}

#[test]
fn report_of_the_demo_hospital_as_pdf_and_html() {
    let dir = data_dir();
    let dir = dir.path();
    let top = demo_with_findings(dir);
    let pdf = dir.join("r.pdf");
    ok(dir, &["report", "--out", pdf.to_str().unwrap()]);
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");

    let info = String::from_utf8(tool("pdfinfo", &[pdf.to_str().unwrap()]).stdout).unwrap();
    let pages: u32 = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .map(|v| v.trim().parse().unwrap())
        .unwrap_or_else(|| panic!("pdfinfo: {info}"));
    assert_eq!(pages, 1, "{info}");

    let text = String::from_utf8(tool("pdftotext", &[pdf.to_str().unwrap(), "-"]).stdout).unwrap();
    assert!(text.contains(NAME_JA), "hospital name in the text: {text}");
    assert!(text.contains("経営層向け報告"), "{text}");
    assert!(text.contains(&top), "top act-now device {top}: {text}");
    assert!(
        text.contains("2024") && text.contains("2025"),
        "trend years: {text}"
    );

    // The page renders: not blank, with dark text and coloured charts.
    let prefix = dir.join("page");
    tool(
        "pdftoppm",
        &[
            "-r",
            "50",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            pdf.to_str().unwrap(),
            prefix.to_str().unwrap(),
        ],
    );
    let png_path = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name().unwrap().to_string_lossy().starts_with("page")
                && p.extension().is_some_and(|e| e == "png")
        })
        .expect("pdftoppm wrote a PNG");
    let (w, h, lum) = luminance(&png_path);
    assert!(w > 350 && h > 500, "A4 at 50 dpi: {w}x{h}");
    let n = lum.len() as f64;
    let mean = lum.iter().sum::<f64>() / n;
    let variance = lum.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    let dark = lum.iter().filter(|v| **v < 128.0).count() as f64 / n;
    assert!(variance > 200.0, "page looks blank: variance {variance}");
    assert!(dark > 0.01, "too little dark ink: {dark}");

    // English switch.
    let en = dir.join("r-en.pdf");
    ok(
        dir,
        &["report", "--out", en.to_str().unwrap(), "--lang", "en"],
    );
    let text = String::from_utf8(tool("pdftotext", &[en.to_str().unwrap(), "-"]).stdout).unwrap();
    assert!(
        text.contains("Cybersecurity report for the board"),
        "{text}"
    );
    assert!(text.contains(NAME_JA), "{text}");

    // HTML: self-contained, with the charts.
    let html_path = dir.join("r.html");
    ok(dir, &["report", "--out", html_path.to_str().unwrap()]);
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(html.contains(NAME_JA));
    assert!(html.contains(&top));
    assert_eq!(html.matches("<svg ").count(), 5);
    assert!(!html.contains("<script") && !html.contains("<link"));

    // Bad input: an unknown extension is a usage error; a font override that is not a font fails
    // with its path named.
    let out = mdsec(dir, &["report", "--out", "/tmp/x.docx"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains(".pdf or .html"));
    let out = Command::new(mdsec_bin())
        .args(["report", "--out"])
        .arg(dir.join("y.pdf"))
        .arg("--data-dir")
        .arg(dir)
        .env("MDSEC_REPORT_FONT", "/nonexistent/font.ttf")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/font.ttf"), "{err}");
    assert!(!dir.join("y.pdf").exists());
}

#[test]
fn a_hospital_with_nothing_yet_gets_an_honest_report() {
    let dir = data_dir();
    let dir = dir.path();
    let pdf = dir.join("empty.pdf");
    ok(dir, &["report", "--out", pdf.to_str().unwrap()]);
    let text = String::from_utf8(tool("pdftotext", &[pdf.to_str().unwrap(), "-"]).stdout).unwrap();
    assert!(text.contains("病院名が未設定"), "{text}");
    assert!(
        text.contains("回答なし"),
        "no score without answers: {text}"
    );
    assert!(text.contains("未確認"), "no feeds is 'not checked': {text}");
    let html_path = dir.join("empty.html");
    ok(
        dir,
        &[
            "report",
            "--out",
            html_path.to_str().unwrap(),
            "--lang",
            "en",
        ],
    );
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(
        html.contains("No answers") && html.contains("not checked"),
        "{html}"
    );
}

#[test]
fn browser_report_page_for_the_executive() {
    let dir = data_dir();
    let server = Server::start(dir.path(), true);
    let token = token_for(dir.path(), "admin");
    server.wait_for_devices(&token, 1_900);
    crate::add_radiology_user(dir.path());

    // The PDF download and the department user's refusal, over plain HTTP.
    let r = crate::http()
        .get(format!("{}/report.pdf", server.base))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert!(r.bytes().unwrap().starts_with(b"%PDF-"));
    let rad = token_for(dir.path(), "rad1");
    let r = crate::http()
        .get(format!("{}/report", server.base))
        .bearer_auth(&rad)
        .send()
        .unwrap();
    assert_eq!(r.status(), 403);

    let (_driver, port) = start_chromedriver();
    let base = server.base.clone();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async move {
            let c = browser(port).await;
            login(&c, &base, "kato.director", ADMIN_PASSWORD).await;
            c.goto(&format!("{base}/report")).await.unwrap();
            c.wait()
                .for_element(Locator::Css("#hospital-name"))
                .await
                .unwrap();
            let name = text(&c, "#hospital-name").await;
            assert!(name.contains(NAME_JA), "{name}");
            let charts = c
                .execute(
                    "return Array.from(document.querySelectorAll('svg.chart')).map(s => { \
                     const r = s.getBoundingClientRect(); return [s.dataset.chart, r.width, r.height]; })",
                    vec![],
                )
                .await
                .unwrap();
            let charts = charts.as_array().unwrap();
            assert_eq!(charts.len(), 5, "{charts:?}");
            for ch in charts {
                let (w, h) = (ch[1].as_f64().unwrap(), ch[2].as_f64().unwrap());
                assert!(w > 50.0 && h > 20.0, "chart {ch:?} has no size");
            }
            // The page's own style block is allowed by its CSP (else the layout is unstyled).
            let max_width = c
                .execute(
                    "return getComputedStyle(document.querySelector('main.report')).maxWidth",
                    vec![],
                )
                .await
                .unwrap();
            assert_eq!(max_width, Value::from("780px"));
            // The PDF link and the language switch.
            let pdf = c
                .find(Locator::Css("nav.tools a[href^='/report.pdf']"))
                .await
                .unwrap();
            assert!(pdf.text().await.unwrap().contains("PDF"));
            c.find(Locator::Css("nav.tools a[href^='/lang/en']"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            c.wait()
                .for_element(Locator::Css("html[lang=en] #hospital-name"))
                .await
                .unwrap();
            let h1 = text(&c, "h1").await;
            assert_eq!(h1, "Cybersecurity report for the board");
            c.close().await.unwrap();
        });
}
