//! Vulnerability-database feeds: NVD CVE API 2.0 (streamed), CISA KEV, FIRST EPSS, JVN iPedia.
//!
//! Owns: typed models of those feeds and bounded parsers from bytes (or, for the multi-GB NVD and EPSS
//! feeds, from any reader, one record at a time). Invariant: no I/O of its own, no panics on any
//! input, every limit a named `pub const`. CPE strings are kept as text; mdsec-ids parses them.

// FormatError carries a Position by value on purpose (errors are rare and must name the place).
#![allow(clippy::result_large_err)]

pub mod epss;
pub mod jvn;
pub mod kev;
pub mod nvd;

pub use epss::{parse_epss, EpssFile, EpssRow, EpssStream};
pub use jvn::{parse_jvn, JvnAffected, JvnCvss, JvnDocument, JvnEntry, JvnReference, JvnSyntax};
pub use kev::{parse_kev_csv, parse_kev_json, KevCatalog, KevEntry};
pub use mdsec_format_core::{Diagnostic, FormatError};
pub use nvd::{parse_nvd, CveRecord, NvdDocument, NvdEnvelope, NvdStream};

use serde::Serialize;

/// Which feed a document is, as told by [`detect`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// NVD CVE API 2.0 page or record.
    Nvd,
    KevJson,
    KevCsv,
    Epss,
    JvnXml,
    JvnJson,
}

/// How many leading bytes [`detect`] looks at.
pub const DETECT_WINDOW_BYTES: usize = 8192;

/// Guess the feed from the first bytes of a document. Cheap; does not validate.
pub fn detect(bytes: &[u8]) -> Option<Kind> {
    let body = mdsec_format_core::strip_bom(bytes);
    let head = body
        .get(..body.len().min(DETECT_WINDOW_BYTES))
        .unwrap_or(body);
    let text = String::from_utf8_lossy(head);
    let t = text.trim_start();
    let has = |s: &str| t.contains(s);
    if t.starts_with('<') {
        let jvn = has("jvn.jp/") || has("VULDEF-Document") || has("jvndb");
        return jvn.then_some(Kind::JvnXml);
    }
    if t.starts_with('{') {
        if has("\"catalogVersion\"") && has("\"vulnerabilities\"") || has("\"cveID\"") {
            return Some(Kind::KevJson);
        }
        if has("jvndb.jvn.jp") || has("MyJVN") {
            return Some(Kind::JvnJson);
        }
        if has("\"NVD_CVE\"")
            || has("\"resultsPerPage\"")
            || (has("\"cve\"") && has("\"sourceIdentifier\""))
            || (has("\"id\"") && has("\"sourceIdentifier\"") && has("\"CVE-"))
        {
            return Some(Kind::Nvd);
        }
        return None;
    }
    let first_line = t.lines().next().unwrap_or("");
    if first_line.starts_with("#model_version") || first_line.trim() == "cve,epss,percentile" {
        return Some(Kind::Epss);
    }
    if first_line.starts_with("cveID,vendorProject,product") {
        return Some(Kind::KevCsv);
    }
    None
}

/// `CVE-YYYY-NNNN…` (four-digit year, at least four digits of sequence number).
pub fn is_cve_id(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("CVE-") else {
        return false;
    };
    let Some((year, num)) = rest.split_once('-') else {
        return false;
    };
    year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && (4..=19).contains(&num.len())
        && num.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cve_ids() {
        assert!(is_cve_id("CVE-2021-44228"));
        assert!(is_cve_id("CVE-2024-1234567"));
        assert!(!is_cve_id("CVE-21-44228"));
        assert!(!is_cve_id("CVE-2021-123"));
        assert!(!is_cve_id("cve-2021-44228"));
        assert!(!is_cve_id("JVNDB-2021-000001"));
    }

    #[test]
    fn detect_kinds() {
        assert_eq!(detect(b"#model_version:v2025.03.14,score_date:2025-03-20T00:00:00+0000\ncve,epss,percentile\n"), Some(Kind::Epss));
        assert_eq!(
            detect(b"cveID,vendorProject,product,vulnerabilityName\n"),
            Some(Kind::KevCsv)
        );
        assert_eq!(
            detect(br#"{"resultsPerPage":1,"vulnerabilities":[]}"#),
            Some(Kind::Nvd)
        );
        assert_eq!(
            detect(br#"{"title":"x","catalogVersion":"1","vulnerabilities":[]}"#),
            Some(Kind::KevJson)
        );
        assert_eq!(detect(b"<html></html>"), None);
        assert_eq!(detect(b""), None);
    }
}
