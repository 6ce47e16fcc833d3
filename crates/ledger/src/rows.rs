//! Grid to ledger: find the header row, map columns, validate and normalise each row.

use crate::header::{Field, HeaderTable};
use crate::read::{column_letters, CellNote, Grid};
use crate::*;
use mdsec_domain::normalize::{
    normalize_date, normalize_ip, normalize_mac, parse_criticality, parse_device_class,
    parse_remote_line, parse_status, to_halfwidth,
};
use mdsec_format_core::Position;
use std::collections::BTreeMap;

/// The header row found in a grid.
pub struct Header {
    /// Index into `Grid::rows`.
    pub index: usize,
    /// Cells whose text is a known heading.
    pub score: usize,
}

/// The row among the first [`HEADER_SCAN_ROWS`] with the most known headings (the first on a tie).
pub fn find_header(grid: &Grid, table: &HeaderTable) -> Option<Header> {
    let mut best: Option<Header> = None;
    for (index, row) in grid.rows.iter().enumerate() {
        if row.row > HEADER_SCAN_ROWS {
            break;
        }
        let score = row
            .cells
            .iter()
            .filter(|(_, t)| table.lookup(t).is_some())
            .count();
        if score > 0 && best.as_ref().is_none_or(|b| score > b.score) {
            best = Some(Header { index, score });
        }
    }
    best
}

/// What a column is for.
#[derive(Debug, Clone)]
enum Target {
    Field(Field),
    Custom(String),
}

#[derive(Debug, Clone)]
struct Column {
    heading: String,
    target: Target,
}

/// Remove ASCII control characters except tab and newline (a CR of a CRLF becomes nothing).
fn strip_controls(s: String) -> String {
    if s.bytes()
        .any(|c| c.is_ascii_control() && c != b'\t' && c != b'\n')
    {
        s.chars()
            .filter(|&c| !c.is_ascii_control() || c == '\t' || c == '\n')
            .collect()
    } else {
        s
    }
}

/// Trim without reallocating when there is nothing to trim.
fn trimmed(s: String) -> String {
    let t = s.trim();
    if t.len() == s.len() {
        s
    } else {
        t.to_string()
    }
}

/// Identifiers (asset numbers, models, serials, versions) are stored half-width.
fn ident(s: String) -> String {
    if s.is_ascii() {
        trimmed(s)
    } else {
        to_halfwidth(&s).trim().to_string()
    }
}

struct Reject {
    column: Option<String>,
    reason: String,
}

/// Store one cell. `Ok(Some(message))` means stored with a warning.
fn set_field(
    d: &mut DeviceFields,
    field: Field,
    value: String,
    heading: &str,
) -> Result<Option<String>, Reject> {
    let bad = |what: &str| Reject {
        column: Some(heading.to_string()),
        reason: format!("{what} not understood: {:?}", truncate(&value, 60)),
    };
    let date = |v: &str| normalize_date(v).ok_or_else(|| bad("date"));
    match field {
        Field::Ip => d.ip = Some(normalize_ip(&value).ok_or_else(|| bad("IP address"))?),
        Field::Mac => d.mac = Some(normalize_mac(&value).ok_or_else(|| bad("MAC address"))?),
        Field::InstallDate => d.install_date = Some(date(&value)?),
        Field::EolDate => d.eol_date = Some(date(&value)?),
        Field::EosDate => d.eos_date = Some(date(&value)?),
        // Not a reason to reject the device: an unreadable flag is "unknown", with a warning.
        Field::RemoteLine => match parse_remote_line(&value) {
            Some(v) => d.remote_line = v,
            None => {
                d.remote_line = mdsec_domain::RemoteLine::Unknown;
                return Ok(Some(format!(
                    "remote line {:?} not understood (expected 有/無/不明); imported as unknown",
                    truncate(&value, 60)
                )));
            }
        },
        Field::Status => {
            d.status = parse_status(&value).ok_or_else(|| bad("status (稼働/休止/廃棄)"))?
        }
        Field::DeviceClass => {
            d.device_class =
                Some(parse_device_class(&value).ok_or_else(|| bad("device class (クラスI–IV)"))?)
        }
        Field::Criticality => {
            d.criticality = Some(parse_criticality(&value).ok_or_else(|| bad("criticality"))?)
        }
        Field::Name => d.name = trimmed(value),
        Field::ManagementNumber => d.management_number = Some(ident(value)),
        Field::Model => d.model = Some(ident(value)),
        Field::Serial => d.serial = Some(ident(value)),
        Field::SoftwareVersion => d.software_version = Some(ident(value)),
        Field::UdiDi => d.udi_di = Some(ident(value)),
        Field::NetworkSegment => d.network_segment = Some(ident(value)),
        Field::DeviceType => d.device_type = Some(trimmed(value)),
        Field::Manufacturer => d.manufacturer = Some(trimmed(value)),
        Field::Department => d.department = Some(trimmed(value)),
        Field::Location => d.location = Some(trimmed(value)),
        Field::Os => d.os = Some(trimmed(value)),
        Field::Protocols => d.protocols = Some(trimmed(value)),
        Field::Purpose => d.purpose = Some(trimmed(value)),
        Field::RemoteMethod => d.remote_method = Some(trimmed(value)),
        Field::MaintenanceContract => d.maintenance_contract = Some(trimmed(value)),
        Field::Owner => d.owner = Some(trimmed(value)),
        Field::Notes => d.notes = Some(trimmed(value)),
    }
    Ok(None)
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

fn build_row(
    cells: Vec<(u32, String)>,
    columns: &[Option<Column>],
    name_heading: Option<&str>,
) -> Result<(DeviceFields, Vec<(u32, String)>), Reject> {
    let mut d = DeviceFields::default();
    let mut warnings = Vec::new();
    for (col, raw) in cells {
        let Some(Some(column)) = columns.get(col as usize) else {
            continue;
        };
        // Bytes bound characters from above, so only long cells need counting.
        if raw.len() > MAX_CELL_CHARS && raw.chars().count() > MAX_CELL_CHARS {
            return Err(Reject {
                column: Some(column.heading.clone()),
                reason: format!("cell longer than {MAX_CELL_CHARS} characters"),
            });
        }
        let value = strip_controls(raw);
        if value.trim().is_empty() {
            continue;
        }
        match &column.target {
            Target::Field(f) => {
                if let Some(w) = set_field(&mut d, *f, value, &column.heading)? {
                    warnings.push((col, w));
                }
            }
            Target::Custom(key) => {
                d.custom.insert(key.clone(), trimmed(value));
            }
        }
    }
    let d = d.tidy();
    if d.name.is_empty() {
        return Err(Reject {
            column: name_heading.map(str::to_string),
            reason: "device name (機器名称) is missing".into(),
        });
    }
    Ok((d, warnings))
}

fn note_warning(
    sheet: Option<&str>,
    row: u64,
    col: u32,
    heading: Option<&str>,
    note: &CellNote,
) -> Diagnostic {
    let cell = format!("{}{row}", column_letters(col));
    let place = match heading {
        Some(h) => format!("cell {cell} ({h})"),
        None => format!("cell {cell}"),
    };
    let (code, message) = match note {
        CellNote::Formula => ("ledger-formula", format!("{place} holds a formula; its last calculated value was imported")),
        CellNote::FormulaWithoutValue => (
            "ledger-formula-no-value",
            format!("{place} holds a formula with no calculated value; open and save the file in Excel to import it"),
        ),
        CellNote::ErrorValue(e) => ("ledger-error-value", format!("{place} holds the error value {e}; left empty")),
    };
    Diagnostic::warning(
        code,
        message,
        Position {
            sheet: sheet.map(str::to_string),
            row: Some(row),
            cell: Some(cell),
            ..Default::default()
        },
    )
}

pub fn build(
    format: LedgerFormat,
    sheet: Option<String>,
    grid: Grid,
) -> Result<ParsedLedger, FormatError> {
    let table = HeaderTable::new();
    let sheet_pos = || Position {
        sheet: sheet.clone(),
        ..Default::default()
    };
    let header = find_header(&grid, &table).ok_or_else(|| {
        FormatError::new(
            format!(
                "no header row found in the first {HEADER_SCAN_ROWS} rows (expected headings such as 管理番号, 機器名称, 型式)"
            ),
            sheet_pos(),
        )
    })?;
    let mut all_rows = grid.rows;
    let data_rows = all_rows.split_off((header.index + 1).min(all_rows.len()));
    let header_row = all_rows
        .get(header.index)
        .ok_or_else(|| FormatError::new("header row vanished", sheet_pos()))?;

    let mut columns: BTreeMap<u32, Column> = BTreeMap::new();
    let mut unmapped_columns = Vec::new();
    let mut taken = std::collections::HashSet::new();
    let mut custom_keys = std::collections::HashSet::new();
    for (col, text) in &header_row.cells {
        let heading = strip_controls(text.clone()).trim().to_string();
        if heading.chars().count() > MAX_CELL_CHARS {
            return Err(FormatError::new(
                format!("heading longer than {MAX_CELL_CHARS} characters"),
                Position {
                    sheet: sheet.clone(),
                    row: Some(header_row.row),
                    cell: Some(column_letters(*col)),
                    ..Default::default()
                },
            ));
        }
        let target = match table.lookup(&heading) {
            Some(f) if taken.insert(f) => Target::Field(f),
            _ => {
                // Unknown heading, or a second column for the same field: keep it verbatim.
                let mut key = heading.clone();
                let mut n = 2;
                while !custom_keys.insert(key.clone()) {
                    key = format!("{heading} ({n})");
                    n += 1;
                }
                unmapped_columns.push(heading.clone());
                Target::Custom(key)
            }
        };
        columns.insert(*col, Column { heading, target });
    }
    let name_heading = columns
        .values()
        .find(|c| matches!(c.target, Target::Field(Field::Name)))
        .map(|c| c.heading.clone());
    if name_heading.is_none() {
        return Err(FormatError::new(
            format!(
                "header row {} has no device-name column (機器名称 / 名称 / device name)",
                header_row.row
            ),
            Position {
                sheet: sheet.clone(),
                row: Some(header_row.row),
                ..Default::default()
            },
        ));
    }

    let mut out = ParsedLedger {
        format,
        sheet: sheet.clone(),
        header_row: header_row.row,
        rows: Vec::new(),
        rejected: Vec::new(),
        skipped_blank: 0,
        unmapped_columns,
        warnings: Vec::new(),
    };
    let mut warned_blank_heading = std::collections::HashSet::new();
    let mut dropped_warnings = 0usize;
    let mut warn = |out: &mut ParsedLedger, d: Diagnostic| {
        if out.warnings.len() < MAX_WARNINGS {
            out.warnings.push(d);
        } else {
            dropped_warnings += 1;
        }
    };
    let mut next_row = header_row.row + header_row.span;
    // Dense by column index: headers sit below MAX_COLUMNS, so this is at most 512 entries.
    let width = columns.keys().next_back().map_or(0, |c| *c as usize + 1);
    let mut by_index: Vec<Option<Column>> = vec![None; width];
    for (col, c) in &columns {
        if let Some(slot) = by_index.get_mut(*col as usize) {
            *slot = Some(c.clone());
        }
    }
    for row in data_rows {
        let has_text = !row.cells.is_empty();
        for (col, note) in &row.notes {
            let heading = columns.get(col).map(|c| c.heading.as_str());
            warn(
                &mut out,
                note_warning(sheet.as_deref(), row.row, *col, heading, note),
            );
        }
        if !has_text {
            continue;
        }
        out.skipped_blank += row.row.saturating_sub(next_row);
        next_row = row.row + row.span;
        for (col, _) in &row.cells {
            if !columns.contains_key(col) && warned_blank_heading.insert(*col) {
                let cell = format!("{}{}", column_letters(*col), row.row);
                warn(
                    &mut out,
                    Diagnostic::warning(
                        "ledger-no-heading",
                        format!(
                            "column {} has values but no heading; they were not imported",
                            column_letters(*col)
                        ),
                        Position {
                            sheet: sheet.clone(),
                            row: Some(row.row),
                            cell: Some(cell),
                            ..Default::default()
                        },
                    ),
                );
            }
        }
        match build_row(row.cells, &by_index, name_heading.as_deref()) {
            Ok((fields, row_warnings)) => {
                for (col, message) in row_warnings {
                    let cell = format!("{}{}", column_letters(col), row.row);
                    warn(
                        &mut out,
                        Diagnostic::warning(
                            "ledger-value",
                            message,
                            Position {
                                sheet: sheet.clone(),
                                row: Some(row.row),
                                cell: Some(cell),
                                ..Default::default()
                            },
                        ),
                    );
                }
                out.rows.push(LedgerRow {
                    row: row.row,
                    fields,
                })
            }
            Err(r) => out.rejected.push(RejectedRow {
                row: row.row,
                column: r.column,
                reason: r.reason,
            }),
        }
    }
    if dropped_warnings > 0 {
        out.warnings.push(Diagnostic::warning(
            "ledger-warnings-truncated",
            format!("{dropped_warnings} more warnings not shown"),
            sheet_pos(),
        ));
    }
    Ok(out)
}
