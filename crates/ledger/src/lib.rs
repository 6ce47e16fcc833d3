//! Device-ledger spreadsheets (医療機器台帳: xlsx, xls, CSV in UTF-8 or Shift_JIS) to and from ledger rows.
//!
//! Owns: format detection, header-row discovery through the alias table ([`header::FIELDS`]), row
//! validation and normalisation into [`DeviceFields`], and CSV/xlsx export.
//! Invariant: pure (bytes in, data out), never panics, and every allocation driven by the input is
//! bounded by a `MAX_*` constant checked before the work (zip bombs and `XFD1048576` cells included).

// FormatError is the workspace's shared error type; its size is not this crate's to change.
#![allow(clippy::result_large_err)]

mod export;
pub mod header;
mod read;
mod rows;
mod xls_guard;

pub use xls_guard::MAX_XLS_DENSE_CELLS;

pub use export::{guard_cell, write_csv, write_xlsx, ExportError, Lang};
pub use header::{Field, FieldSpec, FIELDS};

use mdsec_domain::DeviceFields;
use mdsec_format_core::{Diagnostic, FormatError};
use serde::Serialize;

/// Largest ledger file accepted, whatever its format. Checked before anything else is read.
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;
/// Rows a sheet may reach (1-based row number); a cell below this is a rejection, not a truncation.
pub const MAX_ROWS: u64 = 200_000;
/// Columns a sheet may reach (512 = column `SR`).
pub const MAX_COLUMNS: u32 = 512;
/// Characters a single cell may hold (Excel's own limit is 32,767).
pub const MAX_CELL_CHARS: usize = 4_000;
/// Non-empty cells a sheet may hold in total.
pub const MAX_CELLS: usize = 4_000_000;
/// Sheets a workbook may hold.
pub const MAX_SHEETS: usize = 256;
/// Rows scanned from the top of a sheet to find the header row (title rows may sit above it).
pub const HEADER_SCAN_ROWS: u64 = 30;
/// Entries an xlsx (zip) may hold.
pub const MAX_ZIP_ENTRIES: usize = 10_000;
/// Sum of the declared uncompressed sizes of an xlsx's entries.
pub const MAX_UNCOMPRESSED_BYTES: u64 = 256 * 1024 * 1024;
/// Uncompressed/compressed ratio above which an xlsx entry is treated as a zip bomb. Real sheets
/// compress 5–50×; deflate bombs reach ~1000×.
pub const MAX_COMPRESSION_RATIO: u64 = 200;
/// Entries smaller than this are not ratio-checked: they cannot exhaust anything.
pub const RATIO_CHECK_MIN_BYTES: u64 = 1024 * 1024;
/// Warnings kept per import; more are summarised in one last warning.
pub const MAX_WARNINGS: usize = 1_000;

/// Text encoding a CSV ledger was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CsvEncoding {
    Utf8,
    Utf8Bom,
    /// Shift_JIS as Windows writes it (CP932 / Windows-31J).
    ShiftJis,
    Utf16Le,
}

/// The container a ledger came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum LedgerFormat {
    Csv { encoding: CsvEncoding },
    Xlsx,
    Xls,
}

/// One accepted ledger row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerRow {
    /// 1-based row in the sheet (for CSV: the line where the record starts).
    pub row: u64,
    pub fields: DeviceFields,
}

/// One row that could not be imported, with the reason a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedRow {
    pub row: u64,
    /// The column's heading as written in the file.
    pub column: Option<String>,
    pub reason: String,
}

/// Everything read from one ledger file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParsedLedger {
    pub format: LedgerFormat,
    /// Sheet the rows came from (workbooks only).
    pub sheet: Option<String>,
    /// 1-based row of the header.
    pub header_row: u64,
    pub rows: Vec<LedgerRow>,
    pub rejected: Vec<RejectedRow>,
    /// Blank rows between the header and the last data row.
    pub skipped_blank: u64,
    /// Headings that matched no ledger field; their values are kept in `DeviceFields::custom`.
    pub unmapped_columns: Vec<String>,
    /// Things worth telling the user that did not reject a row (formula cells, cells under a blank
    /// heading, error values).
    pub warnings: Vec<Diagnostic>,
}

/// Read a ledger file. The format is detected from the bytes (zip → xlsx, OLE → xls, else CSV);
/// `file_name` is only used in messages.
pub fn parse_ledger(file_name: &str, bytes: &[u8]) -> Result<ParsedLedger, FormatError> {
    parse_inner(bytes).map_err(|e| e.in_file(file_name))
}

fn parse_inner(bytes: &[u8]) -> Result<ParsedLedger, FormatError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(FormatError::new(
            format!(
                "file is {} MiB, over the ledger limit of {} MiB; split the ledger or remove embedded images",
                bytes.len() / (1024 * 1024),
                MAX_FILE_BYTES / (1024 * 1024)
            ),
            Default::default(),
        ));
    }
    let (format, sheet, grid) =
        if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
            let (sheet, grid) = contain_panics(|| read::xlsx(bytes))?;
            (LedgerFormat::Xlsx, Some(sheet), grid)
        } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
            xls_guard::check(bytes)?;
            let (sheet, grid) = contain_panics(|| read::xls(bytes))?;
            (LedgerFormat::Xls, Some(sheet), grid)
        } else {
            let (encoding, grid) = read::csv(bytes)?;
            (LedgerFormat::Csv { encoding }, None, grid)
        };
    rows::build(format, sheet, grid)
}

/// Defence in depth around the third-party workbook readers: a panic on malformed data becomes a
/// rejection of that file instead of taking the caller down.
fn contain_panics<T>(f: impl FnOnce() -> Result<T, FormatError>) -> Result<T, FormatError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(FormatError::new(
            "the workbook reader failed on malformed data",
            Default::default(),
        ))
    })
}

/// Deterministic synthetic ledger rows for tests and benchmarks: every field filled, realistic
/// Japanese values, unique management numbers, serials, IPs and MACs.
pub fn sample_ledger_rows(n: usize) -> Vec<DeviceFields> {
    use mdsec_domain::{Criticality, DeviceClass, DeviceStatus, RemoteLine};
    const NAMES: &[(&str, &str, &str, &str)] = &[
        ("生体情報モニタ", "モニタ", "日本光電工業", "BSM-3000"),
        ("輸液ポンプ", "輸液", "テルモ", "TE-171"),
        ("人工呼吸器", "呼吸", "フクダ電子", "VR-5000"),
        (
            "超音波診断装置",
            "画像",
            "キヤノンメディカルシステムズ",
            "Aplio i800",
        ),
        ("CT装置", "画像", "富士フイルム", "FCT Speedia"),
        ("電子カルテ端末", "端末", "NEC", "Mate MK32"),
    ];
    (0..n)
        .map(|i| {
            let (name, ty, mfr, model) = NAMES[i % NAMES.len()];
            let mut custom = std::collections::BTreeMap::new();
            custom.insert("点検周期".to_string(), format!("{}ヶ月", 6 + i % 7));
            DeviceFields {
                management_number: Some(format!("ME-{i:06}")),
                name: format!("{name} {}", i % 50 + 1),
                device_type: Some(ty.into()),
                manufacturer: Some(mfr.into()),
                model: Some(model.into()),
                serial: Some(format!(
                    "SN{:08X}",
                    i.wrapping_mul(2_654_435_761) & 0xFFFF_FFFF
                )),
                software_version: Some(format!("{}.{}.{}", 1 + i % 4, i % 10, i % 3)),
                department: Some(["ICU", "手術部", "放射線科", "臨床工学部"][i % 4].into()),
                location: Some(format!("本館{}階 {}号室", 1 + i % 9, 100 + i % 40)),
                ip: Some(format!(
                    "10.{}.{}.{}",
                    1 + i / 65_536 % 250,
                    i / 256 % 256,
                    i % 256
                )),
                mac: Some(format!(
                    "00:1a:2b:{:02x}:{:02x}:{:02x}",
                    i >> 16 & 0xff,
                    i >> 8 & 0xff,
                    i & 0xff
                )),
                os: Some(["Windows 10 IoT", "Linux", "VxWorks", "不明"][i % 4].into()),
                protocols: Some("DICOM 104/tcp, HL7 2575/tcp".into()),
                purpose: Some("患者モニタリング".into()),
                remote_line: [RemoteLine::Yes, RemoteLine::No, RemoteLine::Unknown][i % 3],
                remote_method: (i % 3 == 0).then(|| "VPN".to_string()),
                maintenance_contract: Some(["フルメンテナンス", "スポット", "なし"][i % 3].into()),
                owner: Some("臨床工学技士 山田".into()),
                install_date: Some(format!(
                    "20{:02}-{:02}-{:02}",
                    10 + i % 14,
                    1 + i % 12,
                    1 + i % 28
                )),
                eol_date: (i % 2 == 0).then(|| format!("20{:02}-03-31", 20 + i % 10)),
                eos_date: Some(format!("20{:02}-03-31", 24 + i % 10)),
                udi_di: Some(format!("0{:013}", 4_987_000_000_000u64 + i as u64)),
                network_segment: Some(format!("VLAN{}", 10 + i % 5)),
                device_class: Some(
                    [
                        DeviceClass::I,
                        DeviceClass::II,
                        DeviceClass::III,
                        DeviceClass::IV,
                    ][i % 4],
                ),
                status: [
                    DeviceStatus::Active,
                    DeviceStatus::Inactive,
                    DeviceStatus::Disposed,
                ][i % 3],
                criticality: Some(
                    [
                        Criticality::LifeSustaining,
                        Criticality::PatientConnected,
                        Criticality::Diagnostic,
                        Criticality::NonClinical,
                    ][i % 4],
                ),
                notes: (i % 5 == 0).then(|| "年次点検済み".to_string()),
                custom,
            }
        })
        .collect()
}
