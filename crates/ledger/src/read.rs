//! Containers to a sparse grid of text cells: CSV (with encoding detection), xlsx (streamed, after
//! zip-bomb checks), xls.

use crate::*;
use calamine::{Data, DataRef, ExcelDateTime, Reader, Xls, Xlsx};
use encoding_rs::{Encoding, SHIFT_JIS, UTF_16LE};
use mdsec_format_core::Position;
use std::borrow::Cow;
use std::io::Cursor;

/// Something about a cell that the row builder should warn about.
#[derive(Debug, Clone, PartialEq)]
pub enum CellNote {
    /// A formula; its cached value was used.
    Formula,
    /// A formula with no cached value (file saved by a program that does not calculate).
    FormulaWithoutValue,
    /// An error value such as `#N/A`.
    ErrorValue(String),
}

/// One non-blank row of a sheet.
#[derive(Debug, Default)]
pub struct GridRow {
    /// 1-based row (CSV: line where the record starts).
    pub row: u64,
    /// Rows the record spans (CSV records with line breaks inside quotes span several lines).
    pub span: u64,
    /// 0-based column and text, ascending by column, blank cells left out.
    pub cells: Vec<(u32, String)>,
    pub notes: Vec<(u32, CellNote)>,
}

/// Non-blank rows of a sheet, ascending by row.
#[derive(Debug, Default)]
pub struct Grid {
    pub rows: Vec<GridRow>,
}

/// `0` → `A`, `16383` → `XFD`.
pub fn column_letters(mut col: u32) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

fn cell_pos(sheet: Option<&str>, row0: u32, col0: u32) -> Position {
    Position {
        sheet: sheet.map(str::to_string),
        row: Some(row0 as u64 + 1),
        cell: Some(format!("{}{}", column_letters(col0), row0 as u64 + 1)),
        ..Default::default()
    }
}

fn check_cell_bounds(sheet: &str, row0: u32, col0: u32) -> Result<(), FormatError> {
    if row0 as u64 >= MAX_ROWS || col0 >= MAX_COLUMNS {
        return Err(FormatError::new(
            format!(
                "cell {}{} is outside the ledger limits of {MAX_ROWS} rows and {MAX_COLUMNS} columns",
                column_letters(col0),
                row0 as u64 + 1
            ),
            cell_pos(Some(sheet), row0, col0),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// CSV

/// Decode strictly; on failure return the 1-based line of the first undecodable byte.
fn decode_strict(enc: &'static Encoding, bytes: &[u8]) -> Result<String, u64> {
    let mut dec = enc.new_decoder_without_bom_handling();
    let cap = dec
        .max_utf8_buffer_length_without_replacement(bytes.len())
        .ok_or(1u64)?;
    let mut out = String::with_capacity(cap);
    let (res, _read) = dec.decode_to_string_without_replacement(bytes, &mut out, true);
    match res {
        encoding_rs::DecoderResult::InputEmpty => Ok(out),
        _ => Err(out.matches('\n').count() as u64 + 1),
    }
}

fn utf8_error_line(bytes: &[u8], err: std::str::Utf8Error) -> u64 {
    let upto = bytes.get(..err.valid_up_to()).unwrap_or(bytes);
    upto.iter().filter(|&&b| b == b'\n').count() as u64 + 1
}

fn decode_csv(bytes: &[u8]) -> Result<(CsvEncoding, Cow<'_, str>), FormatError> {
    let undecodable = |what: String, line: u64| {
        FormatError::new(
            format!("undecodable bytes: {what}"),
            Position {
                row: Some(line),
                ..Default::default()
            },
        )
    };
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return match std::str::from_utf8(rest) {
            Ok(s) => Ok((CsvEncoding::Utf8Bom, Cow::Borrowed(s))),
            Err(e) => {
                let line = utf8_error_line(rest, e);
                Err(undecodable(
                    format!(
                        "file starts with a UTF-8 byte-order mark but line {line} is not UTF-8"
                    ),
                    line,
                ))
            }
        };
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return decode_strict(UTF_16LE, rest)
            .map(|s| (CsvEncoding::Utf16Le, Cow::Owned(s)))
            .map_err(|line| undecodable(format!("line {line} is not valid UTF-16"), line));
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok((CsvEncoding::Utf8, Cow::Borrowed(s))),
        Err(e) => {
            let utf8_line = utf8_error_line(bytes, e);
            decode_strict(SHIFT_JIS, bytes).map(|s| (CsvEncoding::ShiftJis, Cow::Owned(s))).map_err(|sjis_line| {
                undecodable(
                    format!(
                        "the file is neither UTF-8 (invalid at line {utf8_line}) nor Shift_JIS/CP932 \
                         (invalid at line {sjis_line}); save it as CSV UTF-8 or CSV (comma delimited)"
                    ),
                    sjis_line.max(utf8_line),
                )
            })
        }
    }
}

/// Tab-separated when the first non-empty line has more tabs than commas (Excel's "Unicode text").
fn sniff_delimiter(text: &str) -> u8 {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let tabs = first.matches('\t').count();
    let commas = first.matches(',').count();
    if tabs > commas {
        b'\t'
    } else {
        b','
    }
}

/// Text a CSV export guarded against formula injection (`'=…`) is read back without the guard.
fn unguard(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => s,
    }
}

pub fn csv(bytes: &[u8]) -> Result<(CsvEncoding, Grid), FormatError> {
    let (encoding, text) = decode_csv(bytes)?;
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(sniff_delimiter(&text))
        .from_reader(text.as_bytes());
    let mut grid = Grid::default();
    let mut cells_total = 0usize;
    let mut record = ::csv::StringRecord::new();
    let text_bytes = text.as_bytes();
    let (mut scanned, mut line) = (0usize, 1u64);
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                return Err(FormatError::new(
                    format!("CSV error: {e}"),
                    Position::row(line),
                ));
            }
        }
        // The csv crate's positions point at the end of the previous record (before its line
        // terminator and any blank lines), so count lines ourselves from there.
        let mut start = record
            .position()
            .map_or(scanned, |p| p.byte() as usize)
            .max(scanned);
        line += text_bytes
            .get(scanned..start)
            .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count() as u64);
        while let Some(&c) = text_bytes.get(start) {
            match c {
                b'\n' => line += 1,
                b'\r' => {}
                _ => break,
            }
            start += 1;
        }
        scanned = start;
        if line > MAX_ROWS {
            return Err(FormatError::new(
                format!("more than {MAX_ROWS} rows"),
                Position::row(line),
            ));
        }
        if record.len() > MAX_COLUMNS as usize {
            return Err(FormatError::new(
                format!("{} columns, over the limit of {MAX_COLUMNS}", record.len()),
                Position::row(line),
            ));
        }
        let mut row = GridRow {
            row: line,
            span: 1,
            ..Default::default()
        };
        for (col, field) in record.iter().enumerate() {
            row.span += field.matches('\n').count() as u64;
            if !field.trim().is_empty() {
                row.cells.push((col as u32, unguard(field).to_string()));
            }
        }
        if !row.cells.is_empty() {
            cells_total += row.cells.len();
            if cells_total > MAX_CELLS {
                return Err(FormatError::new(
                    format!("more than {MAX_CELLS} filled cells"),
                    Position::row(line),
                ));
            }
            grid.rows.push(row);
        }
    }
    Ok((encoding, grid))
}

// ---------------------------------------------------------------------------------------------
// xlsx

fn zip_err(e: impl std::fmt::Display) -> FormatError {
    FormatError::new(
        format!("not a readable xlsx workbook (truncated or corrupt zip archive: {e})"),
        Position::default(),
    )
}

/// Entry count from the end-of-central-directory record, read before the zip crate builds its
/// index (which allocates per entry). `None` when there is no EOCD at all.
fn eocd_entry_count(bytes: &[u8]) -> Option<u64> {
    let tail_start = bytes.len().saturating_sub(22 + 65_535);
    let tail = bytes.get(tail_start..)?;
    let pos = tail.windows(4).rposition(|w| w == b"PK\x05\x06")?;
    let n = tail.get(pos + 10..pos + 12)?;
    Some(u16::from_le_bytes([n[0], n[1]]) as u64)
}

/// Reject zip bombs from the central directory alone: nothing is decompressed here.
fn check_zip(bytes: &[u8]) -> Result<(), FormatError> {
    let Some(declared) = eocd_entry_count(bytes) else {
        return Err(zip_err("end of central directory not found"));
    };
    // 0xFFFF means "see the zip64 record", which is itself over the limit.
    if declared > MAX_ZIP_ENTRIES as u64 {
        return Err(FormatError::new(
            format!("xlsx holds {declared} or more entries, over the limit of {MAX_ZIP_ENTRIES}"),
            Position::default(),
        ));
    }
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(zip_err)?;
    if zip.len() > MAX_ZIP_ENTRIES {
        return Err(FormatError::new(
            format!(
                "xlsx holds {} entries, over the limit of {MAX_ZIP_ENTRIES}",
                zip.len()
            ),
            Position::default(),
        ));
    }
    let mut total = 0u64;
    for i in 0..zip.len() {
        let entry = zip.by_index_raw(i).map_err(zip_err)?;
        let (packed, size) = (entry.compressed_size(), entry.size());
        total = total.saturating_add(size);
        if size >= RATIO_CHECK_MIN_BYTES && size / packed.max(1) > MAX_COMPRESSION_RATIO {
            let name = entry
                .name()
                .map(|n| n.into_owned())
                .unwrap_or_else(|_| format!("#{i}"));
            return Err(FormatError::new(
                format!(
                    "xlsx entry {} expands {}× ({packed} → {size} bytes), over the limit of {MAX_COMPRESSION_RATIO}× \
                     (zip bomb?)",
                    name,
                    size / packed.max(1)
                ),
                Position::path(name),
            ));
        }
    }
    if total > MAX_UNCOMPRESSED_BYTES {
        return Err(FormatError::new(
            format!("xlsx expands to {total} bytes, over the limit of {MAX_UNCOMPRESSED_BYTES} (zip bomb?)"),
            Position::default(),
        ));
    }
    Ok(())
}

fn float_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

fn datetime_text(dt: &ExcelDateTime) -> String {
    if !dt.is_datetime() {
        return float_text(dt.as_f64());
    }
    let (y, m, d, ..) = dt.to_ymd_hms_milli();
    format!("{y:04}-{m:02}-{d:02}")
}

/// `2023-04-01T00:00:00` → `2023-04-01`; other ISO text kept.
fn iso_text(s: &str) -> String {
    match s.split_once('T') {
        Some((date, _)) if date.len() == 10 => date.to_string(),
        _ => s.to_string(),
    }
}

/// Text of a cell value, or a note when the value is an error.
fn dataref_text(v: DataRef<'_>) -> Result<Option<String>, CellNote> {
    Ok(Some(match v {
        DataRef::Empty => return Ok(None),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => float_text(f),
        DataRef::String(s) => s,
        DataRef::SharedString(s) => s.to_string(),
        DataRef::Bool(b) => if b { "TRUE" } else { "FALSE" }.to_string(),
        DataRef::DateTime(dt) => datetime_text(&dt),
        DataRef::DateTimeIso(s) => iso_text(&s),
        DataRef::DurationIso(s) => s,
        DataRef::Error(e) => return Err(CellNote::ErrorValue(e.to_string())),
    }))
}

fn data_text(v: &Data) -> Result<Option<String>, CellNote> {
    Ok(Some(match v {
        Data::Empty => return Ok(None),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => float_text(*f),
        Data::String(s) => s.clone(),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(dt) => datetime_text(dt),
        Data::DateTimeIso(s) => iso_text(s),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => return Err(CellNote::ErrorValue(e.to_string())),
    }))
}

/// Collects cells in any order and turns them into a [`Grid`].
#[derive(Default)]
struct CellSink {
    cells: Vec<(u32, u32, String)>,
    notes: Vec<(u32, u32, CellNote)>,
}

impl CellSink {
    fn push(
        &mut self,
        sheet: &str,
        row0: u32,
        col0: u32,
        text: Option<String>,
        note: Option<CellNote>,
    ) -> Result<(), FormatError> {
        if let Some(t) = text {
            if !t.trim().is_empty() {
                if self.cells.len() >= MAX_CELLS {
                    return Err(FormatError::new(
                        format!("more than {MAX_CELLS} filled cells"),
                        cell_pos(Some(sheet), row0, col0),
                    ));
                }
                self.cells.push((row0, col0, t));
            }
        }
        if let Some(n) = note {
            if self.notes.len() < MAX_WARNINGS {
                self.notes.push((row0, col0, n));
            }
        }
        Ok(())
    }

    fn into_grid(mut self) -> Grid {
        self.cells.sort_by_key(|c| (c.0, c.1));
        let mut grid = Grid::default();
        for (r, c, text) in self.cells {
            let row = r as u64 + 1;
            if grid.rows.last().is_none_or(|last| last.row != row) {
                grid.rows.push(GridRow {
                    row,
                    span: 1,
                    ..Default::default()
                });
            }
            if let Some(last) = grid.rows.last_mut() {
                // Duplicate references (malformed files) keep the first value.
                if last.cells.last().is_none_or(|(lc, _)| *lc != c) {
                    last.cells.push((c, text));
                }
            }
        }
        // A note on a row without text (a lone formula with no cached value) gets a row of its own.
        let mut orphans = Vec::new();
        for (r, c, n) in self.notes {
            let row = r as u64 + 1;
            match grid.rows.binary_search_by_key(&row, |g| g.row) {
                Ok(i) => grid.rows[i].notes.push((c, n)),
                Err(_) => orphans.push(GridRow {
                    row,
                    span: 1,
                    cells: Vec::new(),
                    notes: vec![(c, n)],
                }),
            }
        }
        if !orphans.is_empty() {
            grid.rows.extend(orphans);
            grid.rows.sort_by_key(|g| g.row);
        }
        grid
    }
}

fn calamine_err(e: impl std::fmt::Display, sheet: Option<&str>) -> FormatError {
    FormatError::new(
        format!("unreadable workbook: {e}"),
        Position {
            sheet: sheet.map(str::to_string),
            ..Default::default()
        },
    )
}

/// Stream a worksheet. With `scan_rows`, stop at the first cell at or below that many rows.
fn xlsx_sheet(
    wb: &mut Xlsx<Cursor<&[u8]>>,
    name: &str,
    scan_rows: Option<u64>,
) -> Result<Grid, FormatError> {
    let mut reader = wb
        .worksheet_cells_reader(name)
        .map_err(|e| calamine_err(e, Some(name)))?;
    let dim = reader.dimensions();
    // Declared dimensions are checked before any cell is read: a sheet declaring A1:XFD1048576 is
    // rejected without walking it.
    check_cell_bounds(name, dim.end.0, dim.end.1)?;
    let mut sink = CellSink::default();
    while let Some(cell) = reader
        .next_cell_with_formula_metadata()
        .map_err(|e| calamine_err(e, Some(name)))?
    {
        let (row0, col0) = cell.pos;
        if scan_rows.is_some_and(|limit| row0 as u64 >= limit) {
            break;
        }
        check_cell_bounds(name, row0, col0)?;
        let has_formula = cell.formula.is_some();
        let (text, note) = match dataref_text(cell.value) {
            Ok(None) if has_formula => (None, Some(CellNote::FormulaWithoutValue)),
            Ok(t) => (t, has_formula.then_some(CellNote::Formula)),
            Err(n) => (None, Some(n)),
        };
        sink.push(name, row0, col0, text, note)?;
    }
    Ok(sink.into_grid())
}

/// Pick the sheet whose header row matches best (first sheet on a tie, first non-empty sheet when
/// nothing matches).
fn choose_sheet(names: &[String], mut scan: impl FnMut(&str) -> Option<Grid>) -> Option<String> {
    let table = crate::header::HeaderTable::new();
    let mut best: Option<(usize, &String)> = None;
    for name in names {
        let Some(grid) = scan(name) else { continue };
        if grid.rows.is_empty() {
            continue;
        }
        let score = crate::rows::find_header(&grid, &table)
            .map(|h| h.score)
            .unwrap_or(0);
        if best.is_none_or(|(s, _)| score > s) {
            best = Some((score, name));
        }
    }
    best.map(|(_, n)| n.clone())
}

pub fn xlsx(bytes: &[u8]) -> Result<(String, Grid), FormatError> {
    check_zip(bytes)?;
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| calamine_err(e, None))?;
    let names = wb.sheet_names();
    if names.len() > MAX_SHEETS {
        return Err(FormatError::new(
            format!(
                "workbook has {} sheets, over the limit of {MAX_SHEETS}",
                names.len()
            ),
            Position::default(),
        ));
    }
    let mut first_error = None;
    let chosen = choose_sheet(&names, |name| {
        match xlsx_sheet(&mut wb, name, Some(HEADER_SCAN_ROWS)) {
            Ok(g) => Some(g),
            Err(e) => {
                first_error.get_or_insert(e);
                None
            }
        }
    });
    let Some(sheet) = chosen else {
        return Err(first_error
            .unwrap_or_else(|| FormatError::new("every sheet is empty", Position::default())));
    };
    let grid = xlsx_sheet(&mut wb, &sheet, None)?;
    Ok((sheet, grid))
}

// ---------------------------------------------------------------------------------------------
// xls

fn xls_sheet(
    wb: &mut Xls<Cursor<&[u8]>>,
    name: &str,
    scan_rows: Option<u64>,
) -> Result<Grid, FormatError> {
    let range = wb
        .worksheet_range(name)
        .map_err(|e| calamine_err(e, Some(name)))?;
    let (r0, c0) = range.start().unwrap_or((0, 0));
    if let Some((r1, c1)) = range.end() {
        check_cell_bounds(name, r1, c1)?;
    }
    let mut sink = CellSink::default();
    for (r, c, v) in range.used_cells() {
        let (row0, col0) = (r0.saturating_add(r as u32), c0.saturating_add(c as u32));
        if scan_rows.is_some_and(|limit| row0 as u64 >= limit) {
            break;
        }
        let (text, note) = match data_text(v) {
            Ok(t) => (t, None),
            Err(n) => (None, Some(n)),
        };
        sink.push(name, row0, col0, text, note)?;
    }
    Ok(sink.into_grid())
}

pub fn xls(bytes: &[u8]) -> Result<(String, Grid), FormatError> {
    let mut wb: Xls<_> = Xls::new(Cursor::new(bytes)).map_err(|e| calamine_err(e, None))?;
    let names = wb.sheet_names();
    if names.len() > MAX_SHEETS {
        return Err(FormatError::new(
            format!(
                "workbook has {} sheets, over the limit of {MAX_SHEETS}",
                names.len()
            ),
            Position::default(),
        ));
    }
    let mut first_error = None;
    let chosen = choose_sheet(&names, |name| {
        match xls_sheet(&mut wb, name, Some(HEADER_SCAN_ROWS)) {
            Ok(g) => Some(g),
            Err(e) => {
                first_error.get_or_insert(e);
                None
            }
        }
    });
    let Some(sheet) = chosen else {
        return Err(first_error
            .unwrap_or_else(|| FormatError::new("every sheet is empty", Position::default())));
    };
    let grid = xls_sheet(&mut wb, &sheet, None)?;
    Ok((sheet, grid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(511), "SR");
        assert_eq!(column_letters(16_383), "XFD");
    }

    #[test]
    fn delimiter() {
        assert_eq!(sniff_delimiter("a\tb\tc\n"), b'\t');
        assert_eq!(sniff_delimiter("\n管理番号,機器名称\n"), b',');
    }
}
