//! CISA Known Exploited Vulnerabilities catalog, JSON and CSV forms.

use mdsec_format_core::{
    check_json_depth, check_size, strip_bom, Diagnostic, FormatError, Position, MAX_JSON_DEPTH,
};
use serde::{Deserialize, Serialize};

/// Largest KEV file accepted (the 2025 catalog is about 1.3 MB as JSON).
pub const MAX_KEV_BYTES: usize = 64 * 1024 * 1024;
/// Most entries accepted in one catalog.
pub const MAX_KEV_ENTRIES: usize = 200_000;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct KevCatalog {
    pub title: Option<String>,
    /// Absent for the CSV form, which has no header metadata.
    pub catalog_version: Option<String>,
    pub date_released: Option<String>,
    /// The catalog's own `count` field (JSON only).
    pub count: Option<u64>,
    pub vulnerabilities: Vec<KevEntry>,
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KevEntry {
    #[serde(rename = "cveID")]
    pub cve_id: String,
    #[serde(default)]
    pub vendor_project: String,
    #[serde(default)]
    pub product: String,
    #[serde(default)]
    pub vulnerability_name: String,
    #[serde(default)]
    pub date_added: String,
    #[serde(default)]
    pub short_description: String,
    #[serde(default)]
    pub required_action: String,
    #[serde(default)]
    pub due_date: String,
    /// `Known` or `Unknown`.
    #[serde(default)]
    pub known_ransomware_campaign_use: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub cwes: Vec<String>,
}

impl KevEntry {
    pub fn known_ransomware_use(&self) -> bool {
        self.known_ransomware_campaign_use
            .eq_ignore_ascii_case("known")
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KevJson {
    #[serde(default)]
    title: Option<String>,
    catalog_version: String,
    date_released: String,
    count: u64,
    vulnerabilities: Vec<KevEntry>,
}

fn check_entry(e: &KevEntry, at: Position, diags: &mut Vec<Diagnostic>) {
    if !crate::is_cve_id(&e.cve_id) {
        diags.push(Diagnostic::warning(
            "kev-cve-id",
            format!("`{}` is not a CVE id", e.cve_id),
            at.clone(),
        ));
    }
    if !is_date(&e.date_added) {
        diags.push(Diagnostic::warning(
            "kev-date",
            format!("dateAdded `{}` is not YYYY-MM-DD", e.date_added),
            at,
        ));
    }
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
}

/// Parse `known_exploited_vulnerabilities.json`.
pub fn parse_kev_json(file_name: &str, bytes: &[u8]) -> Result<KevCatalog, FormatError> {
    let run = || -> Result<KevCatalog, FormatError> {
        check_size(bytes.len(), MAX_KEV_BYTES, "KEV catalog")?;
        let body = strip_bom(bytes);
        check_json_depth(body, MAX_JSON_DEPTH)?;
        let doc: KevJson = serde_json::from_slice(body).map_err(|e| FormatError::from_json(&e))?;
        if doc.vulnerabilities.len() > MAX_KEV_ENTRIES {
            return Err(FormatError::new(
                format!(
                    "{} entries, over the limit of {MAX_KEV_ENTRIES}",
                    doc.vulnerabilities.len()
                ),
                Position::path("/vulnerabilities"),
            ));
        }
        let mut diagnostics = Vec::new();
        let vulnerabilities = doc.vulnerabilities;
        for (i, e) in vulnerabilities.iter().enumerate() {
            check_entry(
                e,
                Position::path(format!("/vulnerabilities/{i}")),
                &mut diagnostics,
            );
        }
        if doc.count != vulnerabilities.len() as u64 {
            diagnostics.push(Diagnostic::warning(
                "kev-count",
                format!(
                    "`count` says {} but the catalog lists {}",
                    doc.count,
                    vulnerabilities.len()
                ),
                Position::path("/count"),
            ));
        }
        Ok(KevCatalog {
            title: doc.title,
            catalog_version: Some(doc.catalog_version),
            date_released: Some(doc.date_released),
            count: Some(doc.count),
            vulnerabilities,
            diagnostics,
        })
    };
    run().map_err(|e| e.in_file(file_name))
}

const KEV_CSV_COLUMNS: [&str; 11] = [
    "cveID",
    "vendorProject",
    "product",
    "vulnerabilityName",
    "dateAdded",
    "shortDescription",
    "requiredAction",
    "dueDate",
    "knownRansomwareCampaignUse",
    "notes",
    "cwes",
];

/// Parse `known_exploited_vulnerabilities.csv` (RFC 4180, header row, `cwes` comma-separated in one cell).
pub fn parse_kev_csv(file_name: &str, bytes: &[u8]) -> Result<KevCatalog, FormatError> {
    let run = || -> Result<KevCatalog, FormatError> {
        check_size(bytes.len(), MAX_KEV_BYTES, "KEV catalog")?;
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(strip_bom(bytes));
        let headers = rdr.headers().map_err(|e| csv_error(&e))?.clone();
        let mut idx = [0usize; 11];
        for (slot, name) in idx.iter_mut().zip(KEV_CSV_COLUMNS) {
            *slot = headers
                .iter()
                .position(|h| h.trim() == name)
                .ok_or_else(|| {
                    FormatError::new(
                        format!("KEV CSV header lacks column `{name}`"),
                        Position::row(1),
                    )
                })?;
        }
        let mut vulnerabilities = Vec::new();
        let mut diagnostics = Vec::new();
        let mut rec = csv::StringRecord::new();
        let mut row = 1u64;
        while rdr.read_record(&mut rec).map_err(|e| csv_error(&e))? {
            row += 1;
            if vulnerabilities.len() >= MAX_KEV_ENTRIES {
                return Err(FormatError::new(
                    format!("over the limit of {MAX_KEV_ENTRIES} entries"),
                    Position::row(row),
                ));
            }
            let get = |k: usize| {
                rec.get(idx.get(k).copied().unwrap_or(usize::MAX))
                    .unwrap_or("")
                    .to_string()
            };
            let e = KevEntry {
                cve_id: get(0),
                vendor_project: get(1),
                product: get(2),
                vulnerability_name: get(3),
                date_added: get(4),
                short_description: get(5),
                required_action: get(6),
                due_date: get(7),
                known_ransomware_campaign_use: get(8),
                notes: get(9),
                cwes: get(10)
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
            };
            check_entry(&e, Position::row(row), &mut diagnostics);
            vulnerabilities.push(e);
        }
        Ok(KevCatalog {
            vulnerabilities,
            diagnostics,
            ..Default::default()
        })
    };
    run().map_err(|e| e.in_file(file_name))
}

pub(crate) fn csv_error(e: &csv::Error) -> FormatError {
    let mut pos = Position::default();
    if let Some(p) = e.position() {
        pos.row = Some(p.record() + 1);
        pos.line = Some(p.line());
    }
    let msg = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("row has {len} fields, the header has {expected_len}")
        }
        csv::ErrorKind::Utf8 { .. } => "invalid UTF-8".to_string(),
        _ => format!("invalid CSV: {e}"),
    };
    FormatError::new(msg, pos)
}
