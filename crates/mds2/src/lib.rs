//! MDS2 (HN 1-2019) manufacturer disclosure forms to a device-model security profile.
//!
//! Owns: reading the MDS2 xlsx form (HN 1-2019, and HN 1-2013 where its questions map), normalising
//! answers, and deriving a [`DeviceModelSecurityProfile`] in which every field keeps the question id it
//! came from. Invariant: pure (bytes in), no panics, the zip container is checked against named limits
//! before calamine sees it, and a question that is absent or blank stays unknown (`None`).

// FormatError carries a Position by value on purpose (errors are rare and must name the place).
#![allow(clippy::result_large_err)]

mod guard;
mod profile;

pub use guard::{
    check_xlsx_container, MAX_COMPRESSION_RATIO, MAX_ENTRY_UNCOMPRESSED_BYTES, MAX_SHEET_CELLS,
    MAX_TOTAL_UNCOMPRESSED_BYTES, MAX_XLSX_BYTES, MAX_ZIP_ENTRIES,
};
pub use mdsec_format_core::{Diagnostic, FormatError};
pub use profile::{DeviceModelSecurityProfile, ProfileAnswer};

use calamine::{Data, Reader};
use mdsec_format_core::Position;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Cursor;

/// Fewest cells that must look like question ids before a column is taken as the id column.
pub const MIN_ID_CELLS: usize = 5;
/// Longest cell text kept (longer text is cut, with a diagnostic).
pub const MAX_CELL_CHARS: usize = 32 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Mds2Edition {
    #[serde(rename = "HN 1-2019")]
    Hn1_2019,
    #[serde(rename = "HN 1-2013")]
    Hn1_2013,
}

/// A normalised answer. The raw cell text is always kept next to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Answer {
    Yes,
    No,
    #[serde(rename = "N_A")]
    NotApplicable,
    SeeNote,
    Blank,
    /// Free text (manufacturer names, dates, lists of ports…).
    Other,
}

impl Answer {
    /// `Yes`, `Yes, optional`, `No - …`, `N/A: no default accounts`, `See Note 3`, blank.
    pub fn normalise(raw: &str) -> Answer {
        let t = raw.trim().to_ascii_lowercase();
        let word_end = |rest: &str| {
            rest.chars()
                .next()
                .is_none_or(|c| !c.is_ascii_alphanumeric())
        };
        if t.is_empty() {
            Answer::Blank
        } else if t.starts_with("see note") {
            Answer::SeeNote
        } else if t == "na"
            || t.starts_with("n/a")
            || t.starts_with("n.a.")
            || t.starts_with("not applicable")
            || (t.starts_with("na") && word_end(&t[2..]))
        {
            Answer::NotApplicable
        } else if t.starts_with("yes") && word_end(&t[3..]) {
            Answer::Yes
        } else if t.starts_with("no") && word_end(&t[2..]) {
            Answer::No
        } else {
            Answer::Other
        }
    }
}

/// One answered question of the form.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mds2Answer {
    /// Canonical id (`SAHD-15` for the official `SHAD-15` typo; `EMRG 8-1` for HN 1-2013 rows).
    pub question_id: String,
    /// Id exactly as written, when it differs from `question_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw_id: Option<String>,
    pub question: String,
    pub answer: Answer,
    pub raw: String,
    /// The note the answer refers to (resolved to the note's text when the form has it).
    pub note: Option<String>,
    /// 1-based spreadsheet row.
    pub row: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mds2Form {
    pub edition: Mds2Edition,
    pub sheet: String,
    /// SHA-256 of the file, hex: the evidence a profile was derived from.
    pub sha256: String,
    pub answers: Vec<Mds2Answer>,
    pub profile: DeviceModelSecurityProfile,
    pub diagnostics: Vec<Diagnostic>,
}

impl Mds2Form {
    pub fn answer(&self, question_id: &str) -> Option<&Mds2Answer> {
        self.answers.iter().find(|a| a.question_id == question_id)
    }
}

/// What [`detect`] recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Kind {
    Mds2Xlsx,
}

/// True for an xlsx whose workbook has a sheet named like `MDS2` or whose shared strings mention the
/// form's title. Reads at most two small zip entries, after the container guard.
pub fn detect(bytes: &[u8]) -> Option<Kind> {
    if !bytes.starts_with(b"PK\x03\x04") || check_xlsx_container(bytes).is_err() {
        return None;
    }
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    for (entry, needles) in [
        ("xl/workbook.xml", &["MDS2", "mds2"][..]),
        (
            "xl/sharedStrings.xml",
            &["Manufacturer Disclosure Statement", "MDS2"][..],
        ),
    ] {
        if let Some(text) = guard::read_entry(&mut zip, entry) {
            if needles.iter().any(|n| text.contains(n)) {
                return Some(Kind::Mds2Xlsx);
            }
        }
    }
    None
}

/// `^[A-Z]{3,4}-\d+(\.\d+){0,2}$`: four letters for capability sections, three for `DOC-`.
pub fn is_question_id(s: &str) -> bool {
    let Some((prefix, rest)) = s.split_once('-') else {
        return false;
    };
    if !(3..=4).contains(&prefix.len()) || !prefix.bytes().all(|c| c.is_ascii_uppercase()) {
        return false;
    }
    let parts: Vec<&str> = rest.split('.').collect();
    parts.len() <= 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()))
}

/// HN 1-2013 row numbers: `8-1`, `10-2`.
fn is_2013_row_id(s: &str) -> bool {
    match s.split_once('-') {
        Some((a, b)) => {
            !a.is_empty()
                && !b.is_empty()
                && a.len() <= 2
                && b.len() <= 2
                && a.bytes().all(|c| c.is_ascii_digit())
                && b.bytes().all(|c| c.is_ascii_digit())
        }
        None => false,
    }
}

fn canonical_id(id: &str) -> String {
    // The official HN 1-2019 form misspells one System and Application Hardening id as `SHAD-15`.
    match id.strip_prefix("SHAD-") {
        Some(rest) => format!("SAHD-{rest}"),
        None => id.to_string(),
    }
}

/// Four upper-case letters in parentheses in a section title row: `AUTOMATIC LOGOFF (ALOF)`.
fn section_code(text: &str) -> Option<String> {
    let open = text.find('(')?;
    let code = text.get(open + 1..open + 5)?;
    (code.bytes().all(|c| c.is_ascii_uppercase()) && text.get(open + 5..open + 6) == Some(")"))
        .then(|| code.to_string())
}

fn col_name(mut c: usize) -> String {
    let mut s = String::new();
    loop {
        s.insert(0, (b'A' + (c % 26) as u8) as char);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    s
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::DateTime(dt) => excel_date(dt.as_f64()).unwrap_or_else(|| dt.to_string()),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        other => other.to_string().trim().to_string(),
    }
}

/// Parse an MDS2 form (xlsx) into its answers and a device-model security profile.
pub fn parse_mds2(file_name: &str, bytes: &[u8]) -> Result<Mds2Form, FormatError> {
    let run = || -> Result<Mds2Form, FormatError> {
        check_xlsx_container(bytes)?;
        // calamine is not panic-free on corrupt workbooks (e.g. a deflate stream whose CRC is checked
        // only after parsing). The container guard rules out the cases we know; this is the backstop.
        let read = std::panic::catch_unwind(|| read_sheet(bytes));
        let (sheet, row0, col0, rows) = read.map_err(|_| {
            FormatError::new(
                "the workbook is corrupt (the xlsx reader failed)",
                Position::default(),
            )
        })??;
        let mut diagnostics = Vec::new();
        let mut form = read_form(&rows, &sheet, row0 as u64, col0 as usize, &mut diagnostics)?;
        form.sha256 = hex(&Sha256::digest(bytes));
        form.diagnostics = diagnostics;
        Ok(form)
    };
    run().map_err(|e| e.in_file(file_name))
}

type SheetCells = (String, u32, u32, Vec<Vec<String>>);

/// The form's sheet (named like `MDS2`, else the first) as text cells, with its offset in the sheet.
fn read_sheet(bytes: &[u8]) -> Result<SheetCells, FormatError> {
    {
        let mut wb = calamine::Xlsx::new(Cursor::new(bytes)).map_err(|e| {
            FormatError::new(
                format!("not a readable xlsx workbook: {e}"),
                Position::default(),
            )
        })?;
        let names = wb.sheet_names();
        let sheet = names
            .iter()
            .find(|n| n.to_ascii_uppercase().contains("MDS2"))
            .or_else(|| names.first())
            .cloned()
            .ok_or_else(|| FormatError::new("the workbook has no sheets", Position::default()))?;
        let range = wb.worksheet_range(&sheet).map_err(|e| {
            FormatError::new(
                format!("cannot read sheet: {e}"),
                Position {
                    sheet: Some(sheet.clone()),
                    ..Default::default()
                },
            )
        })?;
        let (row0, col0) = range.start().unwrap_or((0, 0));
        let rows: Vec<Vec<String>> = range
            .rows()
            .map(|r| {
                r.iter()
                    .map(|c| {
                        let mut t = cell_text(c);
                        if t.chars().count() > MAX_CELL_CHARS {
                            t = t.chars().take(MAX_CELL_CHARS).collect();
                        }
                        t
                    })
                    .collect()
            })
            .collect();
        Ok((sheet, row0, col0, rows))
    }
}

/// Excel serial date (1900 system) as `YYYY-MM-DD`, with `THH:MM` when it has a time of day.
fn excel_date(serial: f64) -> Option<String> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let days = serial.floor() as i64;
    let minutes = ((serial - serial.floor()) * 1440.0).round() as i64;
    // Days from 1899-12-30 to 1970-01-01 is 25569; then civil-from-days (H. Hinnant).
    let z = days - 25_569 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    Some(if minutes == 0 || minutes == 1440 {
        format!("{year:04}-{month:02}-{day:02}")
    } else {
        format!(
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}",
            minutes / 60,
            minutes % 60
        )
    })
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Locate columns by content and read the questions. `rows` is the sheet's used range; `row0`/`col0`
/// its offset in the sheet (for positions).
fn read_form(
    rows: &[Vec<String>],
    sheet: &str,
    row0: u64,
    col0: usize,
    diags: &mut Vec<Diagnostic>,
) -> Result<Mds2Form, FormatError> {
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    let count_in =
        |c: usize, f: &dyn Fn(&str) -> bool| rows.iter().filter(|r| f(cell(r, c))).count();
    let best = |f: &dyn Fn(&str) -> bool| {
        (0..width)
            .map(|c| (count_in(c, f), c))
            .max_by_key(|&(n, c)| (n, std::cmp::Reverse(c)))
    };
    let (edition, id_col) = match best(&is_question_id) {
        Some((n, c)) if n >= MIN_ID_CELLS => (Mds2Edition::Hn1_2019, c),
        _ => match best(&is_2013_row_id) {
            Some((n, c)) if n >= MIN_ID_CELLS => (Mds2Edition::Hn1_2013, c),
            _ => {
                return Err(FormatError::new(
                    format!("no column of MDS2 question ids (like `AUDT-2.8.1`) with at least {MIN_ID_CELLS} cells"),
                    Position { sheet: Some(sheet.to_string()), ..Default::default() },
                ))
            }
        },
    };
    let is_id = |s: &str| match edition {
        Mds2Edition::Hn1_2019 => is_question_id(s),
        Mds2Edition::Hn1_2013 => is_2013_row_id(s),
    };
    let question_rows: Vec<&Vec<String>> = rows.iter().filter(|r| is_id(cell(r, id_col))).collect();
    // The answer column is the one right of the id column where most cells read as Yes/No/N/A/See Note.
    let answerish = |s: &str| !matches!(Answer::normalise(s), Answer::Other | Answer::Blank);
    let answer_col = (id_col + 1..width.min(id_col + 6))
        .map(|c| {
            (
                question_rows
                    .iter()
                    .filter(|r| answerish(cell(r, c)))
                    .count(),
                c,
            )
        })
        .max_by_key(|&(n, c)| (n, std::cmp::Reverse(c)))
        .map(|(_, c)| c)
        .unwrap_or(id_col + 2);
    let question_col = (id_col + 1..answer_col)
        .max_by_key(|&c| {
            question_rows
                .iter()
                .map(|r| cell(r, c).len())
                .sum::<usize>()
        })
        .unwrap_or(id_col + 1);
    let note_col = answer_col + 1;

    // Notes: rows whose first non-empty cell is `Note N` (or `N`) followed by text.
    let mut notes: HashMap<String, String> = HashMap::new();
    for r in rows {
        let mut cells = r.iter().filter(|c| !c.is_empty());
        if let (Some(k), Some(v)) = (cells.next(), cells.next()) {
            let key = note_key(k);
            if key.is_some() && !is_id(k) && v.chars().count() > 2 {
                if let Some(key) = key {
                    notes.entry(key).or_insert_with(|| v.clone());
                }
            }
        }
    }

    let mut answers = Vec::new();
    let mut section: Option<String> = None;
    for (i, r) in rows.iter().enumerate() {
        let row_no = row0 + i as u64 + 1;
        let raw_id = cell(r, id_col);
        if !is_id(raw_id) {
            if let Some(code) = r.iter().find_map(|c| section_code(c)) {
                section = Some(code);
            }
            continue;
        }
        let question_id = match edition {
            Mds2Edition::Hn1_2019 => canonical_id(raw_id),
            Mds2Edition::Hn1_2013 => match &section {
                Some(code) => format!("{code} {raw_id}"),
                None => raw_id.to_string(),
            },
        };
        let raw = cell(r, answer_col).to_string();
        let note_ref = cell(r, note_col);
        let note = if note_ref.is_empty() {
            None
        } else {
            Some(
                note_key(note_ref)
                    .and_then(|k| notes.get(&k).cloned())
                    .unwrap_or_else(|| note_ref.to_string()),
            )
        };
        let answer = Answer::normalise(&raw);
        if answer == Answer::SeeNote && note.is_none() {
            diags.push(Diagnostic::warning(
                "mds2-note-missing",
                format!("{question_id} says `See Note` but gives no note reference"),
                Position {
                    sheet: Some(sheet.to_string()),
                    row: Some(row_no),
                    cell: Some(col_name(col0 + note_col)),
                    ..Default::default()
                },
            ));
        }
        if answers
            .iter()
            .any(|a: &Mds2Answer| a.question_id == question_id)
        {
            diags.push(Diagnostic::warning(
                "mds2-duplicate-id",
                format!("{question_id} appears more than once; the first answer is used"),
                Position {
                    sheet: Some(sheet.to_string()),
                    row: Some(row_no),
                    ..Default::default()
                },
            ));
            continue;
        }
        answers.push(Mds2Answer {
            raw_id: (question_id != raw_id).then(|| raw_id.to_string()),
            question_id,
            question: cell(r, question_col).to_string(),
            answer,
            raw,
            note,
            row: row_no,
        });
    }
    let profile = profile::derive(edition, &answers);
    Ok(Mds2Form {
        edition,
        sheet: sheet.to_string(),
        sha256: String::new(),
        answers,
        profile,
        diagnostics: Vec::new(),
    })
}

fn cell(r: &[String], c: usize) -> &str {
    r.get(c).map(String::as_str).unwrap_or("")
}

/// `Note 3`, `Note #3`, `Note3`, `See Note 3` → `3`.
fn note_key(s: &str) -> Option<String> {
    let t = s.trim().to_ascii_lowercase();
    let t = t.strip_prefix("see ").unwrap_or(&t);
    let rest = t.strip_prefix("notes").or_else(|| t.strip_prefix("note"))?;
    let digits: String = rest
        .trim_start_matches([' ', '#', '.', ':'])
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    (!digits.is_empty()).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_answers() {
        for (raw, want) in [
            ("Yes", Answer::Yes),
            ("yes, optional", Answer::Yes),
            ("YES - via service tool", Answer::Yes),
            ("No", Answer::No),
            ("No: not supported", Answer::No),
            ("None", Answer::Other),
            ("N/A", Answer::NotApplicable),
            ("N/A: no default accounts", Answer::NotApplicable),
            ("NA", Answer::NotApplicable),
            ("Not applicable", Answer::NotApplicable),
            ("See Note", Answer::SeeNote),
            ("See Note 4", Answer::SeeNote),
            ("", Answer::Blank),
            ("  ", Answer::Blank),
            ("Acme Medical", Answer::Other),
            ("Nostalgia", Answer::Other),
            ("Yesterday", Answer::Other),
        ] {
            assert_eq!(Answer::normalise(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn excel_dates() {
        assert_eq!(excel_date(45413.0).as_deref(), Some("2024-05-01"));
        assert_eq!(excel_date(25569.0).as_deref(), Some("1970-01-01"));
        assert_eq!(excel_date(36526.5).as_deref(), Some("2000-01-01T12:00"));
        assert_eq!(excel_date(-1.0), None);
        assert_eq!(excel_date(f64::NAN), None);
    }

    #[test]
    fn question_ids() {
        for ok in [
            "AUDT-2.8.1",
            "MLDP-2",
            "SHAD-15",
            "DOC-1",
            "DOC-11.4",
            "CSUP-11.2",
        ] {
            assert!(is_question_id(ok), "{ok}");
        }
        for bad in [
            "DO-1",
            "AUDTX-1",
            "AUDT-2.8.1.1",
            "audt-1",
            "AUDT-",
            "AUDT-1.",
            "AUDT 1",
            "Note 1",
        ] {
            assert!(!is_question_id(bad), "{bad}");
        }
        assert_eq!(canonical_id("SHAD-15"), "SAHD-15");
        assert_eq!(
            section_code("AUTOMATIC LOGOFF (ALOF) The device's ability"),
            Some("ALOF".into())
        );
        assert_eq!(note_key("Note 12"), Some("12".into()));
        assert_eq!(note_key("See Note #3"), Some("3".into()));
        assert_eq!(note_key("Notes"), None);
        assert_eq!(col_name(0), "A");
        assert_eq!(col_name(27), "AB");
    }
}
