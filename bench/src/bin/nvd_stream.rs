//! Streams a generated NVD CVE API 2.0 feed of about SIZE_MB megabytes through `NvdStream` and reports
//! records, throughput and the process's peak RSS. The feed is generated on the fly (never stored), so
//! the only memory in play is the parser's.
//!
//! Usage: `nvd_stream [SIZE_MB=1024]`. Prints one `RESULT key=value …` line.

use mdsec_vulndb::nvd::testgen::{generate_feed, record_json};
use mdsec_vulndb::NvdStream;
use std::process::ExitCode;
use std::time::Instant;

fn peak_rss_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.to_string())
        })
        .and_then(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| kb / 1024)
        .unwrap_or(0)
}

fn main() -> ExitCode {
    let size_mb: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1024);
    let per_record = record_json(123_456).len() as u64 + 1;
    let records = size_mb * 1024 * 1024 / per_record;
    let start = Instant::now();
    let mut seen = 0u64;
    let mut cvss_sum = 0.0f64;
    for record in NvdStream::new(generate_feed(records)) {
        match record {
            Ok(r) => {
                seen += 1;
                cvss_sum += r
                    .best_cvss()
                    .and_then(|m| m.cvss_data.base_score)
                    .unwrap_or(0.0);
            }
            Err(e) => {
                eprintln!("error after {seen} records: {e}");
                return ExitCode::from(1);
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let mb = (records * per_record) as f64 / (1024.0 * 1024.0);
    println!(
        "RESULT records={seen} feed_mb={mb:.0} seconds={secs:.2} mb_per_s={:.1} peak_rss_mb={} mean_cvss={:.2}",
        mb / secs,
        peak_rss_mb(),
        cvss_sum / seen.max(1) as f64
    );
    if seen != records {
        eprintln!("expected {records} records, read {seen}");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
