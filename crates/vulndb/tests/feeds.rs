//! NVD, KEV and EPSS parsers on real data (KEV) and hand-written fixtures in the upstream formats.

use mdsec_vulndb::nvd::{MetricType, Operator, MAX_RECORD_BYTES};
use mdsec_vulndb::*;
use std::io::Read;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data");
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn read(path: &str) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

// ---------------------------------------------------------------------------------------------- NVD

#[test]
fn nvd_page_parses_every_field() {
    let bytes = read(&format!("{FIXTURES}/nvd_page.json"));
    assert_eq!(detect(&bytes), Some(Kind::Nvd));
    let doc = parse_nvd("nvd_page.json", &bytes).unwrap();
    assert_eq!(doc.envelope.results_per_page, Some(2));
    assert_eq!(doc.envelope.total_results, Some(2));
    assert_eq!(doc.envelope.format.as_deref(), Some("NVD_CVE"));
    assert_eq!(doc.envelope.version.as_deref(), Some("2.0"));
    assert_eq!(
        doc.envelope.timestamp.as_deref(),
        Some("2025-03-20T09:15:42.123")
    );
    assert_eq!(doc.vulnerabilities.len(), 2);

    let log4j = &doc.vulnerabilities[0];
    assert_eq!(log4j.id, "CVE-2021-44228");
    assert_eq!(
        log4j.source_identifier.as_deref(),
        Some("security@apache.org")
    );
    assert_eq!(log4j.vuln_status.as_deref(), Some("Analyzed"));
    assert_eq!(log4j.published.as_deref(), Some("2021-12-10T10:15:09.143"));
    assert!(log4j
        .description("en")
        .unwrap()
        .starts_with("Apache Log4j2 2.0-beta9"));
    assert!(log4j
        .description("es")
        .unwrap()
        .starts_with("Las funciones"));
    assert_eq!(log4j.cisa_exploit_add.as_deref(), Some("2021-12-10"));
    assert!(log4j.in_cisa_kev());
    assert_eq!(
        log4j.cwe_ids(),
        vec!["CWE-20", "CWE-400", "CWE-502", "CWE-917"]
    );
    let best = log4j.best_cvss().unwrap();
    assert_eq!(best.source.as_deref(), Some("nvd@nist.gov"));
    assert_eq!(best.metric_type, MetricType::Primary);
    assert_eq!(best.cvss_data.base_score, Some(10.0));
    assert_eq!(best.severity(), Some("CRITICAL"));
    let v2 = &log4j.metrics.cvss_metric_v2[0];
    assert_eq!(
        v2.cvss_data.vector_string.as_deref(),
        Some("AV:N/AC:M/Au:N/C:C/I:C/A:C")
    );
    assert_eq!(
        v2.severity(),
        Some("HIGH"),
        "v2 severity sits beside cvssData"
    );
    assert_eq!(
        log4j.metrics.cvss_metric_v31[1].metric_type,
        MetricType::Secondary
    );
    assert_eq!(log4j.configurations.len(), 2);
    assert_eq!(log4j.configurations[0].operator, None);
    assert_eq!(log4j.configurations[1].operator, Some(Operator::And));
    let m: Vec<_> = log4j.cpe_matches().collect();
    assert_eq!(m.len(), 5);
    assert_eq!(m[0].version_start_including.as_deref(), Some("2.0.1"));
    assert_eq!(m[0].version_end_excluding.as_deref(), Some("2.3.1"));
    assert_eq!(
        m[0].match_criteria_id.as_deref(),
        Some("03FA5E81-F9C0-403E-8A4B-E4284E4E7B72")
    );
    assert_eq!(m[3].version_end_including.as_deref(), Some("4.2"));
    assert!(!m[4].vulnerable);
    assert_eq!(
        log4j.references[1].tags,
        vec!["Third Party Advisory", "US Government Resource"]
    );

    let pump = &doc.vulnerabilities[1];
    assert_eq!(pump.vuln_status.as_deref(), Some("Awaiting Analysis"));
    assert_eq!(pump.cve_tags[0].tags, vec!["unsupported-when-assigned"]);
    let best = pump.best_cvss().unwrap();
    assert_eq!(
        best.cvss_data.version.as_deref(),
        Some("4.0"),
        "v4.0 preferred over v3.0"
    );
    assert_eq!(best.cvss_data.base_score, Some(8.7));
    assert_eq!(
        pump.metrics.cvss_metric_v30[0].cvss_data.base_score,
        Some(8.8)
    );
    assert!(pump.configurations.is_empty());
    assert!(!pump.in_cisa_kev());
}

#[test]
fn nvd_single_record_and_bare_cve() {
    let bytes = read(&format!("{FIXTURES}/nvd_single.json"));
    let doc = parse_nvd("nvd_single.json", &bytes).unwrap();
    assert_eq!(doc.vulnerabilities.len(), 1);
    assert_eq!(doc.vulnerabilities[0].id, "CVE-2019-10964");
    assert_eq!(doc.vulnerabilities[0].cwe_ids(), vec!["CWE-284"]);
    assert_eq!(
        doc.vulnerabilities[0].vendor_comments[0]
            .organization
            .as_deref(),
        Some("Medtronic")
    );
    assert!(doc.vulnerabilities[0].evaluator_solution.is_some());
    // The bare `cve` object is accepted too.
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let bare = serde_json::to_vec(&v["cve"]).unwrap();
    let doc2 = parse_nvd("bare.json", &bare).unwrap();
    assert_eq!(doc2.vulnerabilities, doc.vulnerabilities);
}

#[test]
fn nvd_stream_matches_in_memory_parse_and_serde_value() {
    let bytes = read(&format!("{FIXTURES}/nvd_page.json"));
    let streamed: Vec<CveRecord> = NvdStream::new(&bytes[..]).map(|r| r.unwrap()).collect();
    // Independent reading with serde_json::Value.
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let arr = v["vulnerabilities"].as_array().unwrap();
    assert_eq!(streamed.len(), arr.len());
    for (rec, val) in streamed.iter().zip(arr) {
        assert_eq!(rec.id, val["cve"]["id"].as_str().unwrap());
        assert_eq!(
            rec.references.len(),
            val["cve"]["references"].as_array().unwrap().len()
        );
        assert_eq!(
            rec.last_modified.as_deref(),
            val["cve"]["lastModified"].as_str()
        );
    }
    // Envelope fields after the array are picked up too.
    let reordered = br#"{"vulnerabilities":[],"totalResults":7,"format":"NVD_CVE"}"#;
    let mut s = NvdStream::new(&reordered[..]);
    assert!(s.next().is_none());
    assert_eq!(s.envelope().total_results, Some(7));
}

#[test]
fn nvd_errors_name_the_place() {
    // Wrong type deep inside the second record: the error names its line and JSON pointer.
    let text = String::from_utf8(read(&format!("{FIXTURES}/nvd_page.json"))).unwrap();
    let bad = text.replacen("\"baseScore\": 8.7", "\"baseScore\": \"high\"", 1);
    let want_line = bad
        .lines()
        .position(|l| l.contains("\"baseScore\": \"high\""))
        .unwrap() as u64
        + 1;
    let mut s = NvdStream::new(bad.as_bytes());
    assert!(s.next().unwrap().is_ok());
    let err = s.next().unwrap().unwrap_err();
    assert_eq!(err.position.path.as_deref(), Some("/vulnerabilities/1"));
    assert_eq!(err.position.line, Some(want_line), "{err}");
    assert!(s.next().is_none(), "a failed stream stops");

    let not_cve = br#"{"vulnerabilities":[{"cve":{"id":"GHSA-xxxx"}}]}"#;
    let err = parse_nvd("x.json", not_cve).unwrap_err();
    assert_eq!(
        err.position.path.as_deref(),
        Some("/vulnerabilities/0/cve/id")
    );
    assert_eq!(err.file.as_deref(), Some("x.json"));

    for bad in [
        &b""[..],
        b"[]",
        b"{\"vulnerabilities\":{}}",
        b"{\"vulnerabilities\":[1]}",
        b"{\"vulnerabilities\":[{\"cve\":{\"id\":\"CVE-2020-1234\"}}",
        b"{\"a\":1}",
        b"{\"vulnerabilities\":[] } x",
        b"{\"vulnerabilities\":[{\"cve\":{\"id\":\"CVE-2020-1234\"}} {}]}",
    ] {
        assert!(
            NvdStream::new(bad).any(|r| r.is_err()) || parse_nvd("b", bad).is_err(),
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn nvd_record_cap_is_enforced() {
    // A single element bigger than MAX_RECORD_BYTES is rejected without being held in memory.
    struct Huge(usize, usize);
    impl Read for Huge {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let head = b"{\"vulnerabilities\":[{\"cve\":{\"id\":\"CVE-2020-1234\",\"x\":\"";
            let mut n = 0;
            for b in out.iter_mut() {
                if self.0 >= self.1 {
                    break;
                }
                *b = head.get(self.0).copied().unwrap_or(b'a');
                self.0 += 1;
                n += 1;
            }
            Ok(n)
        }
    }
    let mut s = NvdStream::new(Huge(0, MAX_RECORD_BYTES + 1024 * 1024));
    let err = s.next().unwrap().unwrap_err();
    assert!(err.message.contains("over the limit"), "{err}");
    let cap = s.buffered_capacity();
    assert!(
        cap <= MAX_RECORD_BYTES + nvd::READ_BUFFER_BYTES + 1024,
        "{cap}"
    );
}

#[test]
fn nvd_generated_feed_round_trips() {
    let mut text = String::new();
    nvd::testgen::generate_feed(50)
        .read_to_string(&mut text)
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).expect("generator emits valid JSON");
    assert_eq!(v["vulnerabilities"].as_array().unwrap().len(), 50);
    let doc = parse_nvd("gen.json", text.as_bytes()).unwrap();
    assert_eq!(doc.vulnerabilities.len(), 50);
    assert_eq!(doc.envelope.total_results, Some(50));
    assert_eq!(
        doc.vulnerabilities[7].id,
        v["vulnerabilities"][7]["cve"]["id"].as_str().unwrap()
    );
    assert!(doc.vulnerabilities[7]
        .description("en")
        .unwrap()
        .contains("\"quoted\" and \\ escaped"));
}

// ---------------------------------------------------------------------------------------------- KEV

#[test]
fn kev_json_count_matches_file_and_csv() {
    let json = read(&format!("{DATA}/kev/known_exploited_vulnerabilities.json"));
    let csv = read(&format!("{DATA}/kev/known_exploited_vulnerabilities.csv"));
    assert_eq!(detect(&json), Some(Kind::KevJson));
    assert_eq!(detect(&csv), Some(Kind::KevCsv));
    let cat = parse_kev_json("kev.json", &json).unwrap();
    let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let file_count = value["count"].as_u64().unwrap();
    assert_eq!(cat.count, Some(file_count));
    assert_eq!(cat.vulnerabilities.len() as u64, file_count);
    assert_eq!(
        cat.catalog_version.as_deref(),
        value["catalogVersion"].as_str()
    );
    assert_eq!(cat.date_released.as_deref(), value["dateReleased"].as_str());
    assert!(cat.diagnostics.is_empty(), "{:?}", cat.diagnostics.first());

    let from_csv = parse_kev_csv("kev.csv", &csv).unwrap();
    assert_eq!(from_csv.vulnerabilities.len() as u64, file_count);
    // Same CVEs, same order, same fields in both forms (the CSV joins `cwes` with ", ").
    for (j, c) in cat.vulnerabilities.iter().zip(&from_csv.vulnerabilities) {
        assert_eq!(j.cve_id, c.cve_id);
        assert_eq!(j.vendor_project, c.vendor_project, "{}", j.cve_id);
        assert_eq!(j.date_added, c.date_added, "{}", j.cve_id);
        assert_eq!(j.due_date, c.due_date, "{}", j.cve_id);
        assert_eq!(
            j.known_ransomware_campaign_use, c.known_ransomware_campaign_use,
            "{}",
            j.cve_id
        );
        assert_eq!(j.cwes, c.cwes, "{}", j.cve_id);
    }
    // An entry checked against the raw JSON text.
    let git = cat
        .vulnerabilities
        .iter()
        .find(|e| e.cve_id == "CVE-2025-48384")
        .unwrap();
    let raw = value["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["cveID"] == "CVE-2025-48384")
        .unwrap();
    assert_eq!(git.vendor_project, raw["vendorProject"].as_str().unwrap());
    assert_eq!(git.cwes, vec!["CWE-59", "CWE-436"]);
    assert!(cat
        .vulnerabilities
        .iter()
        .any(KevEntry::known_ransomware_use));
}

#[test]
fn kev_rejects_and_diagnoses() {
    let bad_count = br#"{"catalogVersion":"1","dateReleased":"2025-01-01T00:00:00Z","count":3,"vulnerabilities":[{"cveID":"CVE-2020-1234","dateAdded":"2025-01-01"}]}"#;
    let cat = parse_kev_json("k.json", bad_count).unwrap();
    assert_eq!(cat.diagnostics.len(), 1);
    assert_eq!(cat.diagnostics[0].code, "kev-count");
    let missing = br#"{"catalogVersion":"1","count":0,"vulnerabilities":[]}"#;
    let err = parse_kev_json("k.json", missing).unwrap_err();
    assert!(err.message.contains("dateReleased"), "{err}");
    let csv = b"cveID,vendorProject\nCVE-2020-1234,x\n";
    assert!(parse_kev_csv("k.csv", csv)
        .unwrap_err()
        .message
        .contains("product"));
}

// --------------------------------------------------------------------------------------------- EPSS

#[test]
fn epss_reads_model_and_rows() {
    let bytes = read(&format!("{FIXTURES}/epss_sample.csv"));
    assert_eq!(detect(&bytes), Some(Kind::Epss));
    let f = parse_epss("epss.csv", &bytes).unwrap();
    assert_eq!(f.model_version.as_deref(), Some("v2025.03.14"));
    assert_eq!(f.score_date.as_deref(), Some("2025-03-20T00:00:00+0000"));
    let text = String::from_utf8(bytes.clone()).unwrap();
    let data_lines: Vec<&str> = text.lines().skip(2).collect();
    assert_eq!(f.rows.len(), data_lines.len());
    for (row, line) in f.rows.iter().zip(data_lines) {
        let parts: Vec<&str> = line.split(',').collect();
        assert_eq!(row.cve, parts[0]);
        assert_eq!(row.epss, parts[1].parse::<f64>().unwrap());
        assert_eq!(row.percentile, parts[2].parse::<f64>().unwrap());
    }
    // Streaming over a reader gives the same rows; no comment line is fine too.
    let s = EpssStream::new(&bytes[..]).unwrap();
    assert_eq!(s.model_version.as_deref(), Some("v2025.03.14"));
    assert_eq!(s.map(|r| r.unwrap()).collect::<Vec<_>>(), f.rows);
    let plain = parse_epss("p.csv", b"cve,epss,percentile\r\nCVE-2020-1234,0.5,0.9\r\n").unwrap();
    assert_eq!(plain.model_version, None);
    assert_eq!(plain.rows[0].epss, 0.5);
}

#[test]
fn epss_errors_name_the_line() {
    let err = parse_epss(
        "e.csv",
        b"#model_version:v1\ncve,epss,percentile\nCVE-2020-1234,0.5,0.9\nCVE-2020-1235,abc,0.1\n",
    )
    .unwrap_err();
    assert_eq!(err.position.line, Some(4), "{err}");
    let err = parse_epss("e.csv", b"cve,epss,percentile\nCVE-2020-1234,1.5,0.9\n").unwrap_err();
    assert!(err.message.contains("0..1"), "{err}");
    assert!(parse_epss("e.csv", b"cve,score\n").is_err());
    assert!(parse_epss("e.csv", b"").is_err());
    let long = format!(
        "cve,epss,percentile\nCVE-2020-1234,{},0.1\n",
        "1".repeat(epss::MAX_EPSS_LINE_BYTES)
    );
    assert!(parse_epss("e.csv", long.as_bytes())
        .unwrap_err()
        .message
        .contains("longer than"));
}

// ------------------------------------------------------------------------------------- robustness

#[test]
fn truncated_and_corrupted_inputs_never_panic() {
    let page = read(&format!("{FIXTURES}/nvd_page.json"));
    let jvn_xml = read(&format!(
        "{DATA}/jvn/examples/hnd/getVulnDetailInfo_hnd_JVNDB-2018-009328.xml"
    ));
    let jvn_json = read(&format!(
        "{DATA}/jvn/examples/oka/getVulnDetailInfo_oka_JVNDB-2018-009328.json"
    ));
    let epss = read(&format!("{FIXTURES}/epss_sample.csv"));
    let kev: Vec<u8> = read(&format!("{DATA}/kev/known_exploited_vulnerabilities.csv"))
        .into_iter()
        .take(4000)
        .collect();
    for (i, cut) in (0..page.len()).step_by(13).enumerate() {
        let mut bytes = page[..cut].to_vec();
        let _ = parse_nvd("t.json", &bytes);
        let _ = NvdStream::new(&bytes[..]).take_while(|r| r.is_ok()).count();
        // Flip one byte further in as well.
        if let Some(b) = bytes.get_mut(cut / 2) {
            *b = [b'{', b'"', b']', b'\\', 0xFF][i % 5];
        }
        let _ = NvdStream::new(&bytes[..]).take_while(|r| r.is_ok()).count();
        assert!(parse_nvd("t.json", &bytes).is_err() || cut == page.len() || i % 5 == 4);
    }
    for doc in [&jvn_xml, &jvn_json] {
        for cut in (0..doc.len()).step_by(11) {
            let _ = parse_jvn("t", &doc[..cut]);
        }
    }
    for cut in 0..epss.len() {
        let _ = parse_epss("t.csv", &epss[..cut]);
    }
    for cut in (0..kev.len()).step_by(7) {
        let _ = parse_kev_csv("t.csv", &kev[..cut]);
        let _ = detect(&kev[..cut]);
    }
}
