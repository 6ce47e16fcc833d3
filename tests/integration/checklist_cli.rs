//! `mdsec checklist` on the demo hospital: pre-filled answers whose evidence matches the ledger, the
//! score arithmetic recomputed from the items, per-item seed figures, answers in two fiscal years
//! with the trend, an answer for another fiscal year's item refused, evidence upload checks.

use crate::{data_dir, mdsec, token_for, Server};
use serde_json::Value;
use std::path::Path;

fn demo_data_dir(dir: &Path) {
    let server = Server::start(dir, true);
    let token = token_for(dir, "admin");
    server.wait_for_devices(&token, 1_900);
    drop(server);
}

fn run_json(dir: &Path, args: &[&str]) -> Value {
    let out = mdsec(dir, args);
    assert!(
        out.status.success(),
        "mdsec {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn item<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("no item {id}"))
}

/// earned/possible recomputed from the items: はい earns its points, 対象外 is left out.
fn recompute(v: &Value, section: Option<&str>) -> (u64, u64) {
    let mut earned = 0;
    let mut possible = 0;
    for i in v["items"].as_array().unwrap() {
        if section.is_some_and(|s| i["section"] != s) {
            continue;
        }
        let pts = i["points"].as_u64().unwrap();
        match i["answer"].as_str() {
            Some("na") => {}
            Some("yes") => {
                earned += pts;
                possible += pts;
            }
            _ => possible += pts,
        }
    }
    (earned, possible)
}

#[test]
fn checklist_on_the_demo_hospital() {
    let dir = data_dir();
    let dir = dir.path();
    demo_data_dir(dir);

    // What the ledger holds, independently of the checklist.
    let export = run_json(dir, &["ledger", "export", "--format", "json"]);
    let live: Vec<&Value> = export["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["deleted"] == false && d["status"] != "disposed")
        .collect();
    let filled = |d: &Value, k: &str| d[k].as_str().is_some_and(|s| !s.is_empty());
    let total = live.len() as u64;
    let with_net = live
        .iter()
        .filter(|d| filled(d, "ip") || filled(d, "mac") || filled(d, "network_segment"))
        .count() as u64;
    let today = {
        let out = std::process::Command::new("date")
            .args(["-u", "+%Y-%m-%d"])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let past_eos = live
        .iter()
        .filter(|d| {
            d["eos_date"]
                .as_str()
                .is_some_and(|e| !e.is_empty() && e < today.as_str())
        })
        .count() as u64;
    assert!(
        total > 1_900 && past_eos > 0,
        "demo: {total} devices, {past_eos} past EOS"
    );

    let v = run_json(dir, &["checklist", "--json", "--fiscal-year", "2025"]);
    assert_eq!(v["fiscal_year"], 2025);
    assert_eq!(v["facts"]["devices_total"], total);
    assert_eq!(v["facts"]["devices_with_network_info"], with_net);
    assert_eq!(v["facts"]["devices_past_eos"], past_eos);

    // Pre-filled items show the evidence mdsec has.
    let ledger = item(&v, "dev.ledger");
    assert_eq!(ledger["source"], "proposed");
    assert_eq!(ledger["answer"], "yes");
    let ev = ledger["proposal"]["evidence_ja"].as_str().unwrap();
    assert!(
        ev.contains(&format!("台帳に {} 台", thousands(total))),
        "{ev}"
    );
    assert!(
        ev.contains(&format!("{}/{}", thousands(with_net), thousands(total))),
        "{ev}"
    );
    let eos = item(&v, "dev.eos");
    assert_eq!(eos["answer"], "no");
    assert!(eos["proposal"]["evidence_ja"]
        .as_str()
        .unwrap()
        .contains(&format!("{} 台", thousands(past_eos))));
    // mdsec knows nothing about backups: no proposal, unanswered.
    assert_eq!(item(&v, "mhlw.backup")["source"], "none");

    // Per-item seed figures, cited.
    let diagram = item(&v, "dev.diagram");
    let peers = diagram["peers"].as_array().unwrap();
    assert!(peers.iter().any(|p| p["percent"] == 23.0
        && p["ja"].as_str().unwrap().contains("23%")
        && p["citation_ja"].as_str().unwrap().contains("n=170")));

    // Score arithmetic, overall and per section.
    let (earned, possible) = recompute(&v, None);
    assert_eq!(v["score"]["overall"]["earned"], earned);
    assert_eq!(v["score"]["overall"]["possible"], possible);
    let pct = (1000.0 * earned as f64 / possible as f64).round() / 10.0;
    assert_eq!(v["score"]["overall"]["percent"].as_f64().unwrap(), pct);
    for s in v["score"]["sections"].as_array().unwrap() {
        let (e, p) = recompute(&v, s["id"].as_str());
        assert_eq!(
            (
                s["earned"].as_u64().unwrap(),
                s["possible"].as_u64().unwrap()
            ),
            (e, p),
            "{s}"
        );
    }
    // Next actions: every unmet item, inspection items first, each with a how.
    let actions = v["next_actions"].as_array().unwrap();
    let unmet = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["answer"].is_null() || i["answer"] == "no")
        .count();
    assert_eq!(actions.len(), unmet);
    assert_eq!(actions[0]["weight"], "inspection");
    assert!(actions
        .iter()
        .all(|a| !a["how_ja"].as_str().unwrap().is_empty()));

    // Answers in two fiscal years.
    let ok = |args: &[&str]| {
        let out = mdsec(dir, args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    ok(&[
        "checklist",
        "answer",
        "mhlw.isso",
        "yes",
        "--fiscal-year",
        "2024",
    ]);
    ok(&[
        "checklist",
        "answer",
        "mhlw.backup",
        "いいえ",
        "--fiscal-year",
        "2024",
        "--target-date",
        "2025-01-31",
        "--owner",
        "情報システム課",
    ]);
    ok(&[
        "checklist",
        "answer",
        "mhlw.passwords",
        "yes",
        "--fiscal-year",
        "2025",
        "--note",
        "13文字以上を設定で強制",
    ]);
    ok(&[
        "checklist",
        "answer",
        "mhlw.backup",
        "na",
        "--fiscal-year",
        "2025",
    ]);
    // An FY2025-only item answered for FY2024 is refused, in English and Japanese.
    let out = mdsec(
        dir,
        &[
            "checklist",
            "answer",
            "mhlw.passwords",
            "yes",
            "--fiscal-year",
            "2024",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not in the FY2024 checklist"), "{err}");
    assert!(err.contains("2025 年度版の項目です"), "{err}");

    let v24 = run_json(dir, &["checklist", "--json", "--fiscal-year", "2024"]);
    assert!(v24["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["id"] != "mhlw.passwords"));
    let backup24 = item(&v24, "mhlw.backup");
    assert_eq!(
        (backup24["answer"].as_str(), backup24["source"].as_str()),
        (Some("no"), Some("saved"))
    );
    assert_eq!(backup24["saved"]["owner"], "情報システム課");

    let v25 = run_json(dir, &["checklist", "--json", "--fiscal-year", "2025"]);
    assert_eq!(item(&v25, "mhlw.passwords")["source"], "saved");
    assert_eq!(item(&v25, "mhlw.backup")["answer"], "na");
    let trend = v25["trend"].as_array().unwrap();
    assert_eq!(trend.len(), 2);
    assert_eq!(trend[0]["fiscal_year"], 2024);
    // FY2024 saved: 1-① はい (3), 3-② いいえ; every other item unanswered.
    assert_eq!(trend[0]["overall"]["earned"], 3);
    // FY2025 saved: 2 passwords はい (3), 3-② 対象外.
    assert_eq!(trend[1]["overall"]["earned"], 3);
    assert_eq!(trend[1]["overall"]["not_applicable"], 1);
    // The 対象外 answer left the denominator.
    assert_eq!(
        v25["score"]["overall"]["possible"].as_u64().unwrap() + 3,
        v["score"]["overall"]["possible"].as_u64().unwrap()
    );

    // Evidence: a PDF is accepted; an executable named .pdf is not.
    let pdf = dir.join("連絡体制図.pdf");
    std::fs::write(&pdf, b"%PDF-1.4\n%evidence\n").unwrap();
    ok(&[
        "checklist",
        "evidence",
        "mhlw.contact_chart",
        pdf.to_str().unwrap(),
        "--fiscal-year",
        "2025",
    ]);
    let fake = dir.join("fake.pdf");
    std::fs::write(&fake, b"MZ\x90\x00\x03").unwrap();
    let out = mdsec(
        dir,
        &[
            "checklist",
            "evidence",
            "mhlw.contact_chart",
            fake.to_str().unwrap(),
            "--fiscal-year",
            "2025",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let v25 = run_json(dir, &["checklist", "--json", "--fiscal-year", "2025"]);
    let files = item(&v25, "mhlw.contact_chart")["evidence_files"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0]["name"], "連絡体制図.pdf");

    // Text output in Japanese names the score and the next actions.
    let out = mdsec(dir, &["checklist", "--fiscal-year", "2025"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("総合スコア") && text.contains("次にやること"),
        "{text}"
    );
    // Everything above is in the audit log, and the chain is intact.
    let out = mdsec(dir, &["audit", "verify"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
