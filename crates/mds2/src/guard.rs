//! Checks on the xlsx (zip) container before calamine decompresses it: entry count, declared
//! uncompressed sizes, compression ratio, and the cell area each worksheet would span.

use mdsec_format_core::{check_size, FormatError, Position};
use std::io::{Cursor, Read};

/// Largest xlsx file accepted (a filled MDS2 form is well under 1 MB).
pub const MAX_XLSX_BYTES: usize = 32 * 1024 * 1024;
/// Most zip entries accepted (a normal xlsx has 10–30).
pub const MAX_ZIP_ENTRIES: usize = 2_000;
/// Largest declared uncompressed size of one entry.
pub const MAX_ENTRY_UNCOMPRESSED_BYTES: u64 = 128 * 1024 * 1024;
/// Largest declared uncompressed size of all entries together.
pub const MAX_TOTAL_UNCOMPRESSED_BYTES: u64 = 256 * 1024 * 1024;
/// Highest uncompressed/compressed ratio accepted for entries above [`RATIO_CHECK_MIN_BYTES`].
/// Spreadsheet XML compresses 5–30×; zip bombs reach 1000× and more.
pub const MAX_COMPRESSION_RATIO: u64 = 200;
/// Entries smaller than this are not ratio-checked (tiny files compress oddly and cannot hurt).
pub const RATIO_CHECK_MIN_BYTES: u64 = 1024 * 1024;
/// Most cells a worksheet's bounding box may span (calamine allocates rows × columns cells).
pub const MAX_SHEET_CELLS: u64 = 4_000_000;

fn err(msg: String) -> FormatError {
    FormatError::new(msg, Position::default())
}

/// Reject xlsx containers that would be expensive to open. Declared sizes are checked first; worksheet
/// entries are then read (bounded by the declared size) to find the largest cell reference.
pub fn check_xlsx_container(bytes: &[u8]) -> Result<(), FormatError> {
    check_size(bytes.len(), MAX_XLSX_BYTES, "xlsx file")?;
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| err(format!("not an xlsx (zip) file: {e}")))?;
    if zip.len() > MAX_ZIP_ENTRIES {
        return Err(err(format!(
            "{} zip entries, over the limit of {MAX_ZIP_ENTRIES}",
            zip.len()
        )));
    }
    let mut total = 0u64;
    let mut sheets = Vec::new();
    for i in 0..zip.len() {
        let f = zip
            .by_index_raw(i)
            .map_err(|e| err(format!("bad zip entry {i}: {e}")))?;
        let name = f
            .name()
            .map_err(|e| err(format!("bad zip entry {i}: bad name: {e}")))?
            .into_owned();
        let (size, packed) = (f.size(), f.compressed_size());
        if size > MAX_ENTRY_UNCOMPRESSED_BYTES {
            return Err(err(format!("zip entry `{name}` unpacks to {size} bytes, over the limit of {MAX_ENTRY_UNCOMPRESSED_BYTES}")));
        }
        total = total.saturating_add(size);
        if total > MAX_TOTAL_UNCOMPRESSED_BYTES {
            return Err(err(format!(
                "zip entries unpack to more than {MAX_TOTAL_UNCOMPRESSED_BYTES} bytes"
            )));
        }
        if size >= RATIO_CHECK_MIN_BYTES && size / packed.max(1) > MAX_COMPRESSION_RATIO {
            return Err(err(format!(
                "zip entry `{name}` has compression ratio {}:1, over the limit of {MAX_COMPRESSION_RATIO}:1",
                size / packed.max(1)
            )));
        }
        if name.starts_with("xl/worksheets/") && name.ends_with(".xml") {
            sheets.push(i);
        }
    }
    // calamine indexes shared strings without a bounds check: count them so bad indices are caught here.
    let shared_strings = match zip.by_name("xl/sharedStrings.xml") {
        Ok(f) => {
            let declared = f.size();
            let mut xml = Vec::new();
            f.take(declared.min(MAX_ENTRY_UNCOMPRESSED_BYTES))
                .read_to_end(&mut xml)
                .map_err(|e| err(format!("cannot unpack `xl/sharedStrings.xml`: {e}")))?;
            count(&xml, b"<si>") + count(&xml, b"<si ")
        }
        Err(_) => 0,
    };
    for i in sheets {
        let mut f = zip
            .by_index(i)
            .map_err(|e| err(format!("bad zip entry {i}: {e}")))?;
        let name = f
            .name()
            .map_err(|e| err(format!("bad zip entry {i}: bad name: {e}")))?
            .into_owned();
        let declared = f.size();
        let mut xml = Vec::new();
        // Never read past the declared size, even if the entry lies about it.
        (&mut f)
            .take(declared.min(MAX_ENTRY_UNCOMPRESSED_BYTES))
            .read_to_end(&mut xml)
            .map_err(|e| err(format!("cannot unpack `{name}`: {e}")))?;
        if let Some(idx) = max_shared_string_index(&xml) {
            if idx >= shared_strings {
                return Err(FormatError::new(
                    format!(
                        "cell refers to shared string {idx}, but the workbook has {shared_strings}"
                    ),
                    Position {
                        sheet: Some(name),
                        ..Default::default()
                    },
                ));
            }
        }
        let (rows, cols) = max_cell_ref(&xml);
        let area = rows.saturating_mul(cols);
        if area > MAX_SHEET_CELLS {
            return Err(FormatError::new(
                format!("worksheet spans {rows} rows × {cols} columns, over the limit of {MAX_SHEET_CELLS} cells"),
                Position { sheet: Some(name), ..Default::default() },
            ));
        }
    }
    Ok(())
}

/// Largest row and column named by a cell reference (`<c r="AB12"`) in worksheet XML.
fn max_cell_ref(xml: &[u8]) -> (u64, u64) {
    let (mut max_row, mut max_col) = (0u64, 0u64);
    let pat = b"<c r=\"";
    let mut i = 0usize;
    while let Some(off) = xml
        .get(i..)
        .and_then(|s| s.windows(pat.len()).position(|w| w == pat))
    {
        let start = i + off + pat.len();
        let (mut col, mut row, mut j) = (0u64, 0u64, start);
        while let Some(&b) = xml.get(j) {
            if b.is_ascii_uppercase() {
                col = col.saturating_mul(26).saturating_add((b - b'A' + 1) as u64);
            } else if b.is_ascii_digit() {
                row = row.saturating_mul(10).saturating_add((b - b'0') as u64);
            } else {
                break;
            }
            j += 1;
        }
        max_row = max_row.max(row);
        max_col = max_col.max(col);
        i = j.max(start);
    }
    (max_row, max_col)
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn count(hay: &[u8], needle: &[u8]) -> usize {
    let (mut n, mut i) = (0, 0);
    while let Some(p) = find(hay, needle, i) {
        n += 1;
        i = p + needle.len();
    }
    n
}

/// Largest `<v>` index of a shared-string cell (`<c … t="s"…><v>N</v>`) in worksheet XML.
fn max_shared_string_index(xml: &[u8]) -> Option<usize> {
    let mut max = None;
    let mut i = 0;
    while let Some(start) = find(xml, b"<c ", i) {
        let Some(tag_end) = find(xml, b">", start) else {
            break;
        };
        i = tag_end + 1;
        let tag = xml.get(start..tag_end).unwrap_or(&[]);
        if find(tag, b" t=\"s\"", 0).is_none() || tag.ends_with(b"/") {
            continue;
        }
        let close = find(xml, b"</c>", tag_end).unwrap_or(xml.len());
        let Some(v) = find(xml, b"<v>", tag_end).filter(|&v| v < close) else {
            continue;
        };
        let digits = xml
            .get(v + 3..)
            .unwrap_or(&[])
            .iter()
            .take_while(|b| b.is_ascii_digit());
        let n = digits.fold(0usize, |acc, b| {
            acc.saturating_mul(10).saturating_add((b - b'0') as usize)
        });
        max = max.max(Some(n));
    }
    max
}

/// Read one small entry as text (for [`crate::detect`]); `None` if absent or over 1 MiB.
pub(crate) fn read_entry(zip: &mut zip::ZipArchive<Cursor<&[u8]>>, name: &str) -> Option<String> {
    let f = zip.by_name(name).ok()?;
    if f.size() > 1024 * 1024 {
        return None;
    }
    let mut s = String::new();
    f.take(1024 * 1024).read_to_string(&mut s).ok()?;
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_string_indices() {
        assert_eq!(
            max_shared_string_index(
                br#"<c r="A1" t="s"><v>3</v></c><c r="B1" t="n"><v>99</v></c>"#
            ),
            Some(3)
        );
        assert_eq!(
            max_shared_string_index(br#"<c r="A1" s="2" t="s"><v>12</v></c><c r="A2" t="s"/>"#),
            Some(12)
        );
        assert_eq!(max_shared_string_index(br#"<c r="A1"><v>5</v></c>"#), None);
        assert_eq!(count(b"<si><t>a</t></si><si><t>b</t></si>", b"<si>"), 2);
    }

    #[test]
    fn cell_refs() {
        assert_eq!(
            max_cell_ref(br#"<c r="A1"/><c r="AB12" t="s"><c r="C3">"#),
            (12, 28)
        );
        assert_eq!(max_cell_ref(br#"<c r="XFD1048576"/>"#), (1048576, 16384));
        assert_eq!(max_cell_ref(b"<c r=\""), (0, 0));
    }
}
