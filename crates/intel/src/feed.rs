//! Feed files → what the store keeps: advisories (with their document), KEV entries, EPSS scores.
//! Pure: bytes in, records out; the format is detected by content (`mdsec-inspect`).

use mdsec_format_core::FormatError;
use mdsec_inspect::Kind;
use mdsec_matcher::convert::{from_csaf, from_nvd, from_osv};
use mdsec_matcher::MatchableAdvisory;
use mdsec_store::{AdvisoryRecord, EpssRecord, KevRecord};
use sha2::{Digest, Sha256};

/// What one feed file holds.
#[derive(Debug, Clone, Default)]
pub struct FeedContent {
    pub advisories: Vec<AdvisoryRecord>,
    pub kev: Vec<KevRecord>,
    pub epss: Vec<EpssRecord>,
}

#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// The file is a known format but not a feed (an SBOM, an MDS2 form, a ledger).
    #[error("{file}: a {kind} file is not a vulnerability feed ({hint})")]
    NotAFeed {
        file: String,
        kind: Kind,
        hint: &'static str,
    },
    #[error(transparent)]
    Format(#[from] FormatError),
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn text(file_name: &str, bytes: &[u8]) -> Result<String, FormatError> {
    std::str::from_utf8(mdsec_format_core::strip_bom(bytes))
        .map(str::to_string)
        .map_err(|e| {
            FormatError::new(
                format!("not valid UTF-8 at byte {}", e.valid_up_to()),
                Default::default(),
            )
            .in_file(file_name)
        })
}

fn cve_like(s: &str) -> bool {
    mdsec_vulndb::is_cve_id(s)
}

fn max_score(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// Read one feed file. `file_name` names it in errors and in the records.
pub fn read_feed(file_name: &str, bytes: &[u8]) -> Result<FeedContent, FeedError> {
    let kind = mdsec_inspect::detect(file_name, bytes)?;
    let mut out = FeedContent::default();
    match kind {
        Kind::Csaf => {
            let doc = mdsec_advisory::parse_csaf(file_name, bytes)?;
            let mut cvss = None;
            for v in &doc.vulnerabilities {
                for s in &v.scores {
                    cvss = max_score(cvss, s.cvss_v3.as_ref().and_then(|c| c.base_score));
                    cvss = max_score(cvss, s.cvss_v2.as_ref().and_then(|c| c.base_score));
                }
            }
            let t = &doc.document.tracking;
            out.advisories.push(AdvisoryRecord {
                id: t.id.clone(),
                source: "csaf".into(),
                title: doc.document.title.clone(),
                cves: doc.cves(),
                cvss,
                published: Some(t.initial_release_date.clone()).filter(|s| !s.is_empty()),
                modified: Some(t.current_release_date.clone()).filter(|s| !s.is_empty()),
                file_name: file_name.to_string(),
                sha256: sha256(bytes),
                document: text(file_name, bytes)?,
            });
        }
        Kind::Osv => {
            let adv = match mdsec_advisory::parse_advisory(file_name, bytes)? {
                mdsec_advisory::Advisory::Osv(a) => a,
                _ => {
                    return Err(
                        FormatError::new("expected an OSV advisory", Default::default())
                            .in_file(file_name)
                            .into(),
                    )
                }
            };
            let mut cvss = None;
            for s in &adv.severity {
                if s.kind.starts_with("CVSS_V3") || s.kind == "CVSS_V2" {
                    let parsed = if s.kind == "CVSS_V2" {
                        mdsec_advisory::cvss::parse_v2(&s.score)
                    } else {
                        mdsec_advisory::cvss::parse_v3(&s.score)
                    };
                    if let Ok(v) = parsed {
                        cvss = max_score(cvss, Some(v.scores().base));
                    }
                }
            }
            let mut cves: Vec<String> = adv
                .aliases
                .iter()
                .filter(|a| cve_like(a))
                .cloned()
                .collect();
            if cve_like(&adv.id) {
                cves.insert(0, adv.id.clone());
            }
            out.advisories.push(AdvisoryRecord {
                id: adv.id.clone(),
                source: "osv".into(),
                title: adv
                    .summary
                    .clone()
                    .or_else(|| adv.details.as_ref().map(|d| d.chars().take(200).collect()))
                    .unwrap_or_else(|| adv.id.clone()),
                cves,
                cvss,
                published: adv.published.clone(),
                modified: adv.modified.clone(),
                file_name: file_name.to_string(),
                sha256: sha256(bytes),
                document: text(file_name, bytes)?,
            });
        }
        Kind::Rustsec => {
            // The native RustSec format carries the same advisories as advisory-db's OSV export,
            // which is what the matcher reads (`osv/crates/*.json`); importing both would make
            // them overwrite each other.
            return Err(FeedError::NotAFeed {
                file: file_name.to_string(),
                kind,
                hint:
                    "import the OSV form of the RustSec advisory database (advisory-db/osv) instead",
            });
        }
        Kind::Nvd => {
            let doc = mdsec_vulndb::nvd::parse_nvd(file_name, bytes)?;
            for r in doc.vulnerabilities {
                out.advisories.push(nvd_record(file_name, &r));
            }
        }
        Kind::Kev => {
            let cat = if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
                mdsec_vulndb::kev::parse_kev_json(file_name, bytes)?
            } else {
                mdsec_vulndb::kev::parse_kev_csv(file_name, bytes)?
            };
            for e in &cat.vulnerabilities {
                out.kev.push(KevRecord {
                    cve_id: e.cve_id.clone(),
                    vendor: Some(e.vendor_project.clone()).filter(|s| !s.is_empty()),
                    product: Some(e.product.clone()).filter(|s| !s.is_empty()),
                    name: Some(e.vulnerability_name.clone()).filter(|s| !s.is_empty()),
                    date_added: Some(e.date_added.clone()).filter(|s| !s.is_empty()),
                    due_date: Some(e.due_date.clone()).filter(|s| !s.is_empty()),
                    required_action: Some(e.required_action.clone()).filter(|s| !s.is_empty()),
                    known_ransomware: e.known_ransomware_use(),
                });
            }
        }
        Kind::Epss => {
            let f = mdsec_vulndb::epss::parse_epss(file_name, bytes)?;
            for r in f.rows {
                out.epss.push(EpssRecord {
                    cve_id: r.cve,
                    epss: r.epss,
                    percentile: Some(r.percentile),
                    score_date: f.score_date.clone(),
                });
            }
        }
        Kind::Jvn => {
            let doc = mdsec_vulndb::jvn::parse_jvn(file_name, bytes)?;
            for e in doc.entries {
                let document = serde_json::to_string(&e).unwrap_or_default();
                out.advisories.push(AdvisoryRecord {
                    id: e.id.clone(),
                    source: "jvn".into(),
                    title: e.title.clone().unwrap_or_else(|| e.id.clone()),
                    cves: e.cves.clone(),
                    cvss: e
                        .cvss
                        .iter()
                        .filter_map(|c| c.score)
                        .fold(None, |m, s| max_score(m, Some(s))),
                    published: e.published.clone(),
                    modified: e.modified.clone(),
                    file_name: file_name.to_string(),
                    sha256: sha256(document.as_bytes()),
                    document,
                });
            }
        }
        Kind::Cyclonedx | Kind::Spdx => {
            return Err(FeedError::NotAFeed {
                file: file_name.to_string(),
                kind,
                hint: "attach SBOMs to a device model with `mdsec sbom attach`",
            })
        }
        Kind::Mds2 => {
            return Err(FeedError::NotAFeed {
                file: file_name.to_string(),
                kind,
                hint: "attach MDS2 forms to a device model with `mdsec mds2 attach`",
            })
        }
        Kind::Ledger => {
            return Err(FeedError::NotAFeed {
                file: file_name.to_string(),
                kind,
                hint: "import ledgers with `mdsec ledger import`",
            })
        }
    }
    Ok(out)
}

/// One NVD CVE record as an advisory; the document is the record's JSON.
pub fn nvd_record(file_name: &str, r: &mdsec_vulndb::nvd::CveRecord) -> AdvisoryRecord {
    let document = serde_json::to_string(r).unwrap_or_default();
    AdvisoryRecord {
        id: r.id.clone(),
        source: "nvd".into(),
        title: r
            .description("en")
            .map(|d| d.chars().take(200).collect())
            .unwrap_or_else(|| r.id.clone()),
        cves: vec![r.id.clone()],
        cvss: r.best_cvss().and_then(|m| m.cvss_data.base_score),
        published: r.published.clone(),
        modified: r.last_modified.clone(),
        file_name: file_name.to_string(),
        sha256: sha256(document.as_bytes()),
        document,
    }
}

/// The matcher's view of a stored advisory. `None` for sources the matcher does not evaluate
/// (JVN entries: shown and used for aliases only) or a document that no longer parses.
pub fn matchable(rec: &AdvisoryRecord) -> Option<MatchableAdvisory> {
    let bytes = rec.document.as_bytes();
    match rec.source.as_str() {
        "csaf" => mdsec_advisory::parse_csaf(&rec.file_name, bytes)
            .ok()
            .map(|d| from_csaf(&d)),
        "osv" => match mdsec_advisory::parse_advisory(&rec.file_name, bytes).ok()? {
            mdsec_advisory::Advisory::Osv(a) => Some(from_osv(&a)),
            _ => None,
        },
        "nvd" => serde_json::from_str::<mdsec_vulndb::nvd::CveRecord>(&rec.document)
            .ok()
            .map(|r| from_nvd(&r)),
        _ => None,
    }
}
