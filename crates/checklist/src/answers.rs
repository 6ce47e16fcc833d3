//! Answers: はい/いいえ/対象外, target date, owner, evidence; their checks and the evidence-upload check.

use crate::catalogue::{fiscal_year_of, ChecklistVersion, FiscalYear};
use crate::error::ChecklistError;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Largest evidence file accepted (10 MiB).
pub const MAX_EVIDENCE_FILE_BYTES: usize = 10 * 1024 * 1024;
/// Longest evidence note, in characters.
pub const MAX_NOTE_CHARS: usize = 4_000;
/// Longest evidence link, in bytes.
pub const MAX_LINK_LEN: usize = 2_048;
/// Longest owner name, in characters.
pub const MAX_OWNER_CHARS: usize = 200;
/// Longest evidence file name, in characters.
pub const MAX_FILE_NAME_CHARS: usize = 255;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerValue {
    /// はい
    Yes,
    /// いいえ
    No,
    /// 対象外 — excluded from the score's denominator.
    #[serde(rename = "na")]
    NotApplicable,
}

impl AnswerValue {
    pub const ALL: [AnswerValue; 3] = [
        AnswerValue::Yes,
        AnswerValue::No,
        AnswerValue::NotApplicable,
    ];
    pub fn code(self) -> &'static str {
        match self {
            AnswerValue::Yes => "yes",
            AnswerValue::No => "no",
            AnswerValue::NotApplicable => "na",
        }
    }
    pub fn ja(self) -> &'static str {
        match self {
            AnswerValue::Yes => "はい",
            AnswerValue::No => "いいえ",
            AnswerValue::NotApplicable => "対象外",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            AnswerValue::Yes => "yes",
            AnswerValue::No => "no",
            AnswerValue::NotApplicable => "not applicable",
        }
    }
    /// Accepts the code (`yes`/`no`/`na`) or the Japanese label.
    pub fn parse(s: &str) -> Result<Self, ChecklistError> {
        match s.trim() {
            "yes" | "はい" => Ok(AnswerValue::Yes),
            "no" | "いいえ" => Ok(AnswerValue::No),
            "na" | "n/a" | "対象外" => Ok(AnswerValue::NotApplicable),
            other => Err(ChecklistError::BadAnswer {
                value: other.chars().take(40).collect(),
            }),
        }
    }
}

/// A file kept as evidence: its name, type, size and digest (the bytes live in the store).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceFile {
    pub name: String,
    pub media_type: String,
    pub size: usize,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Evidence {
    File(EvidenceFile),
    Link { url: String },
    Note { text: String },
}

/// One answer to one item of one fiscal year's checklist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    pub item_id: String,
    pub fiscal_year: FiscalYear,
    pub value: AnswerValue,
    /// For いいえ: when it will be done (YYYY-MM-DD).
    pub target_date: Option<String>,
    pub owner: Option<String>,
    pub note: Option<String>,
    pub link: Option<String>,
    #[serde(default)]
    pub files: Vec<EvidenceFile>,
}

impl Answer {
    pub fn new(item_id: &str, fiscal_year: FiscalYear, value: AnswerValue) -> Self {
        Answer {
            item_id: item_id.to_string(),
            fiscal_year,
            value,
            target_date: None,
            owner: None,
            note: None,
            link: None,
            files: Vec::new(),
        }
    }

    /// All evidence in one list (files, link, note).
    pub fn evidence(&self) -> Vec<Evidence> {
        let mut out: Vec<Evidence> = self.files.iter().cloned().map(Evidence::File).collect();
        if let Some(url) = &self.link {
            out.push(Evidence::Link { url: url.clone() });
        }
        if let Some(text) = &self.note {
            out.push(Evidence::Note { text: text.clone() });
        }
        out
    }
}

/// Something worth telling the user that does not make the answer invalid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub code: &'static str,
    pub ja: String,
    pub en: String,
}

impl<'a> ChecklistVersion<'a> {
    /// Check an answer against this fiscal year's checklist. Refuses an item of another fiscal year's
    /// edition, a wrong fiscal year, malformed dates and links, and over-long text.
    pub fn check(&self, a: &Answer) -> Result<Vec<Warning>, ChecklistError> {
        if a.fiscal_year != self.fiscal_year {
            return Err(ChecklistError::FiscalYearMismatch {
                answer_year: a.fiscal_year,
                version_year: self.fiscal_year,
            });
        }
        let v = self.require(&a.item_id)?;
        let mut warnings = Vec::new();
        if let Some(owner) = &a.owner {
            if owner.chars().count() > MAX_OWNER_CHARS {
                return Err(ChecklistError::TooLong {
                    field: "owner",
                    max: MAX_OWNER_CHARS,
                });
            }
        }
        if let Some(note) = &a.note {
            if note.chars().count() > MAX_NOTE_CHARS {
                return Err(ChecklistError::TooLong {
                    field: "note",
                    max: MAX_NOTE_CHARS,
                });
            }
        }
        if let Some(link) = &a.link {
            check_link(link)?;
        }
        if let Some(d) = &a.target_date {
            let fy = fiscal_year_of(d).ok_or_else(|| ChecklistError::BadDate {
                field: "target_date",
                value: d.chars().take(40).collect(),
            })?;
            let last = v
                .item
                .deadline_fiscal_year
                .unwrap_or(self.fiscal_year)
                .max(self.fiscal_year);
            if a.value == AnswerValue::No && !(self.fiscal_year..=last).contains(&fy) {
                warnings.push(Warning {
                    code: "target_outside_fiscal_year",
                    ja: format!(
                        "目標日 {d} は {}〜{} 年度の範囲外です（いいえの場合は年度内の目標日を記入します）",
                        self.fiscal_year, last
                    ),
                    en: format!("target date {d} is outside FY{}–FY{last}", self.fiscal_year),
                });
            }
        } else if a.value == AnswerValue::No {
            warnings.push(Warning {
                code: "no_target_date",
                ja: "いいえの項目には対策の目標日を記入してください".into(),
                en: "a 'no' answer should have a target date".into(),
            });
        }
        Ok(warnings)
    }
}

fn check_link(link: &str) -> Result<(), ChecklistError> {
    let bad = || ChecklistError::BadLink {
        value: link.chars().take(80).collect(),
    };
    if link.len() > MAX_LINK_LEN {
        return Err(ChecklistError::TooLong {
            field: "link",
            max: MAX_LINK_LEN,
        });
    }
    if link.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(bad());
    }
    let lower = link.to_ascii_lowercase();
    let ok = (lower.starts_with("https://") || lower.starts_with("http://"))
        && link.len() > lower.find("://").map(|i| i + 3).unwrap_or(0)
        || (link.starts_with('/') && !link.starts_with("//") && !link.starts_with("/\\"));
    if ok {
        Ok(())
    } else {
        Err(bad())
    }
}

/// Parse YYYY-MM-DD into (year, month, day), checking the calendar.
pub(crate) fn parse_date(s: &str) -> Option<(u16, u8, u8)> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1900..=2200).contains(&y) || !(1..=12).contains(&m) {
        return None;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if !(1..=days).contains(&d) {
        return None;
    }
    Some((y as u16, m as u8, d as u8))
}

/// Check an uploaded evidence file: size limit, a safe name, and a type recognised by its content
/// (PDF, PNG, JPEG, UTF-8 text, or Office Open XML by zip signature and extension). Returns what is
/// kept about it.
pub fn check_evidence_file(name: &str, bytes: &[u8]) -> Result<EvidenceFile, ChecklistError> {
    let shown: String = name.chars().take(80).collect();
    let refuse = |reason: &str| ChecklistError::EvidenceType {
        name: shown.clone(),
        reason: reason.to_string(),
    };
    if bytes.len() > MAX_EVIDENCE_FILE_BYTES {
        return Err(ChecklistError::EvidenceTooLarge {
            name: shown,
            size: bytes.len(),
            max: MAX_EVIDENCE_FILE_BYTES,
        });
    }
    if bytes.is_empty() {
        return Err(refuse("the file is empty"));
    }
    let trimmed = name.trim();
    if trimmed.is_empty()
        || trimmed.chars().count() > MAX_FILE_NAME_CHARS
        || trimmed
            .chars()
            .any(|c| c.is_control() || c == '/' || c == '\\')
        || trimmed.starts_with('.')
    {
        return Err(refuse(
            "the file name is empty, too long, hidden or contains a path",
        ));
    }
    let ext = trimmed
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let media_type = if bytes.starts_with(b"%PDF-") {
        "application/pdf"
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else if bytes.starts_with(b"PK\x03\x04") {
        match ext.as_str() {
            "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            _ => {
                return Err(refuse(
                    "zip archives are accepted only as .xlsx, .docx or .pptx",
                ))
            }
        }
    } else if matches!(ext.as_str(), "txt" | "csv" | "md")
        && std::str::from_utf8(bytes).is_ok()
        && !bytes.contains(&0)
    {
        "text/plain; charset=utf-8"
    } else {
        return Err(refuse(
            "only PDF, PNG, JPEG, UTF-8 text (.txt, .csv, .md) and .xlsx/.docx/.pptx are accepted",
        ));
    };
    let expected: &[&str] = match media_type {
        "application/pdf" => &["pdf"],
        "image/png" => &["png"],
        "image/jpeg" => &["jpg", "jpeg"],
        _ => &[],
    };
    if !expected.is_empty() && !expected.contains(&ext.as_str()) {
        return Err(refuse(&format!(
            "the content is {media_type} but the name does not end in .{}",
            expected.join(" or .")
        )));
    }
    Ok(EvidenceFile {
        name: trimmed.to_string(),
        media_type: media_type.to_string(),
        size: bytes.len(),
        sha256: hex::encode(Sha256::digest(bytes)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(parse_date("2025-03-31"), Some((2025, 3, 31)));
        assert_eq!(parse_date("2024-02-29"), Some((2024, 2, 29)));
        assert_eq!(parse_date("2025-02-29"), None);
        assert_eq!(parse_date("2025-13-01"), None);
        assert_eq!(parse_date("2025-1-01"), None);
        assert_eq!(parse_date("２０２５-01-01"), None);
        assert_eq!(fiscal_year_of("2025-03-31"), Some(2024));
        assert_eq!(fiscal_year_of("2025-04-01"), Some(2025));
    }

    #[test]
    fn links() {
        assert!(check_link("https://example.org/x").is_ok());
        assert!(check_link("/devices?eos_before=2025-01-01").is_ok());
        assert!(check_link("//evil.example").is_err());
        assert!(check_link("javascript:alert(1)").is_err());
        assert!(check_link("https://").is_err());
        assert!(check_link("/a b").is_err());
    }

    #[test]
    fn evidence_files() {
        let pdf = check_evidence_file("規程.pdf", b"%PDF-1.7\n...").unwrap();
        assert_eq!(pdf.media_type, "application/pdf");
        assert_eq!(pdf.size, 12);
        assert_eq!(pdf.sha256.len(), 64);
        assert!(check_evidence_file("x.txt", "連絡体制図".as_bytes()).is_ok());
        // Content decides, not the name.
        assert!(matches!(
            check_evidence_file("evil.pdf", b"MZ\x90\x00"),
            Err(ChecklistError::EvidenceType { .. })
        ));
        assert!(check_evidence_file("a.png", b"%PDF-1.7").is_err());
        assert!(check_evidence_file("a.zip", b"PK\x03\x04rest").is_err());
        assert!(check_evidence_file("a.xlsx", b"PK\x03\x04rest").is_ok());
        assert!(check_evidence_file("../../etc/passwd.txt", b"x").is_err());
        assert!(check_evidence_file("a.txt", b"\0\0").is_err());
        assert!(check_evidence_file("a.txt", b"").is_err());
        let big = vec![b'a'; MAX_EVIDENCE_FILE_BYTES + 1];
        assert!(matches!(
            check_evidence_file("a.txt", &big),
            Err(ChecklistError::EvidenceTooLarge { .. })
        ));
    }
}
