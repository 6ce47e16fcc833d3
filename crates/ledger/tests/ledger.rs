//! Black-box tests of ledger import and export. Every fixture is built here, in memory, so the
//! expected values below are the ones written into it.

use mdsec_domain::{Criticality, DeviceClass, DeviceFields, DeviceStatus, RemoteLine};
use mdsec_ledger::*;
use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};
use std::io::{Cursor, Read, Write};

fn sjis(s: &str) -> Vec<u8> {
    let (bytes, _, had_errors) = encoding_rs::SHIFT_JIS.encode(s);
    assert!(!had_errors, "fixture not representable in Shift_JIS");
    bytes.into_owned()
}

fn ok(name: &str, bytes: &[u8]) -> ParsedLedger {
    match parse_ledger(name, bytes) {
        Ok(p) => p,
        Err(e) => panic!("{name} rejected: {e}"),
    }
}

const SJIS_CSV: &str = "医療機器台帳\r\n\
作成日,令和6年4月1日\r\n\
\r\n\
管理番号,機器名称,メーカー,型式,シリアル番号,IPアドレス,MACアドレス,導入日,サポート終了日,リモート保守,クラス分類,状態,重要度,点検周期\r\n\
ＭＥ－００１,生体情報モニタ,日本光電,ＢＳＭ－３０００,ＳＮ１２３,１９２．１６８．０１０．００５,00-1A-2B-3C-4D-5E,令和5年4月1日,2030/3/31,有,クラスⅡ,稼働,生命維持,6ヶ月\r\n\
ME-002,輸液ポンプ,テルモ,TE-171,A-77,10.0.0.7,001a.2b3c.4d5f,H31.4.30,45382,無,III,休止,患者接続,\r\n\
\r\n\
ME-003,,テルモ,TE-171,,,,,,,,,,\r\n\
ME-004,人工呼吸器,,,,,zz:zz,,,,,,,\r\n\
ME-005,超音波診断装置,,,,,,2023/2/30,,,,,,\r\n\
ME-006,電子カルテ端末,,,,,,,,,クラス5,,,\r\n\
ME-007,CT装置,,,,,,,,要確認,,,,\r\n\
ME-008,透析装置,,,,,,,,有（VPN）,,休止（予備機）,,\r\n";

#[test]
fn shift_jis_csv_with_title_rows() {
    let p = ok("台帳.csv", &sjis(SJIS_CSV));
    assert_eq!(
        p.format,
        LedgerFormat::Csv {
            encoding: CsvEncoding::ShiftJis
        }
    );
    assert_eq!(p.sheet, None);
    assert_eq!(p.header_row, 4);
    assert_eq!(p.unmapped_columns, vec!["点検周期".to_string()]);
    assert_eq!(p.rows.len(), 4);
    let a = &p.rows[0];
    assert_eq!(a.row, 5);
    assert_eq!(a.fields.management_number.as_deref(), Some("ME-001"));
    assert_eq!(a.fields.name, "生体情報モニタ");
    assert_eq!(a.fields.manufacturer.as_deref(), Some("日本光電"));
    assert_eq!(a.fields.model.as_deref(), Some("BSM-3000"));
    assert_eq!(a.fields.serial.as_deref(), Some("SN123"));
    assert_eq!(a.fields.ip.as_deref(), Some("192.168.10.5"));
    assert_eq!(a.fields.mac.as_deref(), Some("00:1a:2b:3c:4d:5e"));
    assert_eq!(a.fields.install_date.as_deref(), Some("2023-04-01"));
    assert_eq!(a.fields.eos_date.as_deref(), Some("2030-03-31"));
    assert_eq!(a.fields.remote_line, RemoteLine::Yes);
    assert_eq!(a.fields.device_class, Some(DeviceClass::II));
    assert_eq!(a.fields.status, DeviceStatus::Active);
    assert_eq!(a.fields.criticality, Some(Criticality::LifeSustaining));
    assert_eq!(
        a.fields.custom.get("点検周期").map(String::as_str),
        Some("6ヶ月")
    );
    let b = &p.rows[1];
    assert_eq!(b.row, 6);
    assert_eq!(b.fields.install_date.as_deref(), Some("2019-04-30"));
    // Excel serial 45382 = 2024-03-31.
    assert_eq!(b.fields.eos_date.as_deref(), Some("2024-03-31"));
    assert_eq!(b.fields.remote_line, RemoteLine::No);
    assert_eq!(b.fields.device_class, Some(DeviceClass::III));
    assert_eq!(b.fields.status, DeviceStatus::Inactive);
    assert!(b.fields.custom.is_empty());
    assert_eq!(p.skipped_blank, 1);

    let rejected: Vec<(u64, Option<&str>)> = p
        .rejected
        .iter()
        .map(|r| (r.row, r.column.as_deref()))
        .collect();
    assert_eq!(
        rejected,
        vec![
            (8, Some("機器名称")),
            (9, Some("MACアドレス")),
            (10, Some("導入日")),
            (11, Some("クラス分類"))
        ]
    );
    assert!(
        p.rejected[1].reason.contains("zz:zz"),
        "{}",
        p.rejected[1].reason
    );
}

#[test]
fn utf8_with_and_without_bom() {
    let body = "機器名称,型式\n輸液ポンプ,ＴＥ－１７１\n";
    let p = ok("a.csv", body.as_bytes());
    assert_eq!(
        p.format,
        LedgerFormat::Csv {
            encoding: CsvEncoding::Utf8
        }
    );
    assert_eq!(p.rows[0].fields.model.as_deref(), Some("TE-171"));
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(body.as_bytes());
    let p = ok("a.csv", &bom);
    assert_eq!(
        p.format,
        LedgerFormat::Csv {
            encoding: CsvEncoding::Utf8Bom
        }
    );
    assert_eq!(p.header_row, 1);
    assert_eq!(p.rows[0].row, 2);
}

#[test]
fn csv_rows_are_file_lines() {
    // A quoted cell spanning two lines, then a blank line: B starts on line 5.
    let p = ok(
        "m.csv",
        "機器名称,備考\r\n\"A\",\"x\r\ny\"\r\n\r\nB,z\r\n".as_bytes(),
    );
    let rows: Vec<(u64, &str)> = p
        .rows
        .iter()
        .map(|r| (r.row, r.fields.name.as_str()))
        .collect();
    assert_eq!(rows, vec![(2, "A"), (5, "B")]);
    assert_eq!(p.rows[0].fields.notes.as_deref(), Some("x\ny"));
    assert_eq!(p.skipped_blank, 1);
    let tsv = ok("t.txt", "機器名称\t型式\nモニタ\tX-1\n".as_bytes());
    assert_eq!(tsv.rows[0].fields.model.as_deref(), Some("X-1"));
}

#[test]
fn undecodable_bytes_name_the_row() {
    let mut bytes = sjis("機器名称,型式\r\n輸液ポンプ,A\r\n");
    // 0x82 0xFF is not a Shift_JIS character and not UTF-8.
    bytes.extend_from_slice(b"\x82\xFF,B\r\n");
    let err = parse_ledger("bad.csv", &bytes).unwrap_err();
    assert_eq!(err.file.as_deref(), Some("bad.csv"));
    assert_eq!(err.position.row, Some(3), "{err}");
    assert!(err.to_string().contains("Shift_JIS"), "{err}");
}

#[test]
fn html_is_kept_and_control_characters_removed() {
    let csv = "機器名称,備考\n<b>モニタ</b>,<script>alert(1)</script>\x07x\n";
    let p = ok("h.csv", csv.as_bytes());
    assert_eq!(p.rows[0].fields.name, "<b>モニタ</b>");
    assert_eq!(
        p.rows[0].fields.notes.as_deref(),
        Some("<script>alert(1)</script>x")
    );
}

#[test]
fn overlong_cell_is_rejected_with_column() {
    let csv = format!(
        "機器名称,備考\nモニタ,{}\nポンプ,ok\n",
        "あ".repeat(MAX_CELL_CHARS + 1)
    );
    let p = ok("long.csv", csv.as_bytes());
    assert_eq!(p.rows.len(), 1);
    assert_eq!(p.rows[0].fields.name, "ポンプ");
    assert_eq!(p.rejected[0].row, 2);
    assert_eq!(p.rejected[0].column.as_deref(), Some("備考"));
}

#[test]
fn huge_file_rejected_before_reading() {
    // calloc'd zero pages: no memory is touched unless the parser reads them.
    let big = vec![0u8; 1 << 30];
    let t = std::time::Instant::now();
    let err = parse_ledger("huge.csv", &big).unwrap_err();
    assert!(t.elapsed().as_millis() < 100);
    assert!(
        err.to_string()
            .starts_with("huge.csv: file is 1024 MiB, over the ledger limit of 64 MiB"),
        "{err}"
    );
}

#[test]
fn csv_row_and_column_limits() {
    let mut rows = "機器名称\n".to_string();
    rows.push_str(&"\n".repeat(MAX_ROWS as usize));
    rows.push_str("モニタ\n");
    let err = parse_ledger("rows.csv", rows.as_bytes()).unwrap_err();
    assert!(
        err.message.contains(&format!("more than {MAX_ROWS} rows")),
        "{err}"
    );
    assert_eq!(err.position.row, Some(MAX_ROWS + 2));

    let wide = format!("機器名称{}\nモニタ\n", ",x".repeat(MAX_COLUMNS as usize));
    let err = parse_ledger("wide.csv", wide.as_bytes()).unwrap_err();
    assert!(err.message.contains("columns, over the limit"), "{err}");
    assert_eq!(err.position.row, Some(1));
    // Exactly at the limit is fine.
    let edge = format!(
        "機器名称{}\nモニタ\n",
        ",x".repeat(MAX_COLUMNS as usize - 1)
    );
    assert_eq!(ok("edge.csv", edge.as_bytes()).rows.len(), 1);
}

#[test]
fn no_header_is_an_error() {
    let err = parse_ledger("x.csv", b"a,b,c\n1,2,3\n").unwrap_err();
    assert!(err.message.contains("no header row"), "{err}");
    let err = parse_ledger("x.csv", "管理番号,型式\n1,2\n".as_bytes()).unwrap_err();
    assert!(err.message.contains("device-name column"), "{err}");
}

#[test]
fn garbage_xls_is_an_error_not_a_panic() {
    let mut bytes = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    bytes.extend(std::iter::repeat_n(0xFFu8, 600));
    let err = parse_ledger("old.xls", &bytes).unwrap_err();
    assert_eq!(err.file.as_deref(), Some("old.xls"));
}

/// Workbook like hospitals make them: a merged title, a blank row, the header on row 3 with a merged
/// heading over two columns, an Excel date cell, a formula with a cached value.
fn titled_workbook() -> Vec<u8> {
    let mut wb = Workbook::new();
    let other = wb.add_worksheet();
    other.set_name("説明").unwrap();
    other.write_string(0, 0, "この台帳の使い方").unwrap();
    let ws = wb.add_worksheet();
    ws.set_name("機器一覧").unwrap();
    let title = Format::new().set_bold();
    ws.merge_range(0, 0, 0, 5, "医療機器台帳（2024年度）", &title)
        .unwrap();
    for (c, h) in [
        "管理番号",
        "機器名称",
        "製造販売業者",
        "導入日",
        "ネットワーク情報",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(2, c as u16, *h).unwrap();
    }
    // "IPアドレス" is merged over E3:F3; the value lives only in E3, F3 is blank.
    ws.merge_range(2, 4, 2, 5, "IPアドレス", &Format::new())
        .unwrap();
    ws.write_string(2, 6, "状態").unwrap();
    let date = Format::new().set_num_format("yyyy/mm/dd");
    ws.write_number(3, 0, 1001).unwrap();
    ws.write_string(3, 1, "生体情報モニタ").unwrap();
    ws.write_string(3, 2, "日本光電工業").unwrap();
    ws.write_datetime_with_format(3, 3, ExcelDateTime::from_ymd(2023, 4, 1).unwrap(), &date)
        .unwrap();
    ws.write_string(3, 4, "192.168.1.20").unwrap();
    ws.write_string(3, 5, "VLAN10").unwrap();
    ws.write_string(3, 6, "稼働").unwrap();
    ws.write_string(5, 0, "1002").unwrap();
    ws.write_formula(
        5,
        1,
        Formula::new(r#"="輸液"&"ポンプ""#).set_result("輸液ポンプ"),
    )
    .unwrap();
    ws.write_string(5, 3, "令和元年5月1日").unwrap();
    ws.write_string(5, 6, "廃棄").unwrap();
    wb.save_to_buffer().unwrap()
}

#[test]
fn xlsx_with_title_merged_cells_and_formula() {
    let p = ok("台帳.xlsx", &titled_workbook());
    assert_eq!(p.format, LedgerFormat::Xlsx);
    assert_eq!(p.sheet.as_deref(), Some("機器一覧"));
    assert_eq!(p.header_row, 3);
    assert_eq!(p.rows.len(), 2, "{:?}", p.rejected);
    let a = &p.rows[0].fields;
    assert_eq!(p.rows[0].row, 4);
    assert_eq!(a.management_number.as_deref(), Some("1001"));
    assert_eq!(a.name, "生体情報モニタ");
    assert_eq!(a.manufacturer.as_deref(), Some("日本光電工業"));
    assert_eq!(a.install_date.as_deref(), Some("2023-04-01"));
    assert_eq!(a.ip.as_deref(), Some("192.168.1.20"));
    assert_eq!(a.status, DeviceStatus::Active);
    let b = &p.rows[1].fields;
    assert_eq!(p.rows[1].row, 6);
    assert_eq!(b.name, "輸液ポンプ");
    assert_eq!(b.install_date.as_deref(), Some("2019-05-01"));
    assert_eq!(b.status, DeviceStatus::Disposed);
    assert_eq!(p.skipped_blank, 1);
    let codes: Vec<(&str, Option<&str>)> = p
        .warnings
        .iter()
        .map(|w| (w.code.as_str(), w.position.cell.as_deref()))
        .collect();
    assert!(codes.contains(&("ledger-formula", Some("B6"))), "{codes:?}");
    // F4 sits under the blank half of the merged heading.
    assert!(
        codes.contains(&("ledger-no-heading", Some("F4"))),
        "{codes:?}"
    );
}

/// Rewrite one entry of a zip (to hand-craft sheet XML inside a real workbook).
fn replace_entry(xlsx: &[u8], name: &str, content: &[u8]) -> Vec<u8> {
    let mut src = zip::ZipArchive::new(Cursor::new(xlsx)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    for i in 0..src.len() {
        let mut f = src.by_index(i).unwrap();
        let n = f.name().unwrap().to_string();
        out.start_file(n.as_str(), opts).unwrap();
        if n == name {
            out.write_all(content).unwrap();
        } else {
            let mut buf = Vec::new();
            f.read_to_end(&mut buf).unwrap();
            out.write_all(&buf).unwrap();
        }
    }
    out.finish().unwrap().into_inner()
}

fn one_sheet(cells: &[(u32, u16, &str)]) -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (r, c, v) in cells {
        ws.write_string(*r, *c, *v).unwrap();
    }
    wb.save_to_buffer().unwrap()
}

#[test]
fn far_cell_rejected_by_dimension() {
    let bytes = one_sheet(&[
        (0, 0, "機器名称"),
        (1, 0, "モニタ"),
        (1_048_575, 16_383, "x"),
    ]);
    let t = std::time::Instant::now();
    let err = parse_ledger("far.xlsx", &bytes).unwrap_err();
    assert!(t.elapsed().as_millis() < 500);
    assert_eq!(err.position.cell.as_deref(), Some("XFD1048576"), "{err}");
    assert!(err.to_string().starts_with("far.xlsx: "), "{err}");
}

#[test]
fn far_cell_rejected_even_when_dimension_lies() {
    let base = one_sheet(&[(0, 0, "機器名称")]);
    let xml = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:A2"/><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>機器名称</t></is></c></row>
<row r="2"><c r="A2" t="inlineStr"><is><t>モニタ</t></is></c></row>
<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>
</sheetData></worksheet>"#;
    let bytes = replace_entry(&base, "xl/worksheets/sheet1.xml", xml.as_bytes());
    let err = parse_ledger("lie.xlsx", &bytes).unwrap_err();
    assert_eq!(err.position.cell.as_deref(), Some("XFD1048576"), "{err}");

    // The same sheet without the far cell is fine, so the rejection above is about that cell.
    let ok_xml = xml.replace(
        r#"<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>"#,
        "",
    );
    let p = ok(
        "fine.xlsx",
        &replace_entry(&base, "xl/worksheets/sheet1.xml", ok_xml.as_bytes()),
    );
    assert_eq!(p.rows[0].fields.name, "モニタ");
}

#[test]
fn formula_without_cached_value_warns() {
    let base = one_sheet(&[(0, 0, "機器名称")]);
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>機器名称</t></is></c><c r="B1" t="inlineStr"><is><t>備考</t></is></c></row>
<row r="2"><c r="A2" t="inlineStr"><is><t>モニタ</t></is></c><c r="B2"><f>NOW()</f></c></row>
</sheetData></worksheet>"#;
    let p = ok(
        "f.xlsx",
        &replace_entry(&base, "xl/worksheets/sheet1.xml", xml.as_bytes()),
    );
    assert_eq!(p.rows[0].fields.notes, None);
    assert_eq!(p.warnings[0].code, "ledger-formula-no-value");
    assert_eq!(p.warnings[0].position.cell.as_deref(), Some("B2"));
}

#[test]
fn zip_bomb_rejected_before_decompression() {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    w.start_file("[Content_Types].xml", opts).unwrap();
    w.write_all(b"<Types/>").unwrap();
    w.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
    let zeros = vec![b' '; 1 << 20];
    for _ in 0..64 {
        w.write_all(&zeros).unwrap();
    }
    let bytes = w.finish().unwrap().into_inner();
    assert!(bytes.len() < 1 << 20);
    let err = parse_ledger("bomb.xlsx", &bytes).unwrap_err();
    assert!(err.message.contains("zip bomb"), "{err}");
    assert_eq!(
        err.position.path.as_deref(),
        Some("xl/worksheets/sheet1.xml")
    );
}

#[test]
fn too_many_zip_entries() {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..=MAX_ZIP_ENTRIES {
        w.start_file(format!("f{i}"), opts).unwrap();
    }
    let bytes = w.finish().unwrap().into_inner();
    let err = parse_ledger("many.xlsx", &bytes).unwrap_err();
    assert!(err.message.contains("entries"), "{err}");
}

#[test]
fn truncated_xlsx_names_the_file() {
    let bytes = titled_workbook();
    for cut in [bytes.len() / 2, bytes.len() - 10, 30] {
        let err = parse_ledger("切れた.xlsx", &bytes[..cut]).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("切れた.xlsx: "), "{msg}");
        assert!(msg.contains("truncated or corrupt"), "{msg}");
    }
}

#[test]
fn csv_export_guards_formulas_and_round_trips() {
    let mut devices = sample_ledger_rows(40);
    devices[0].name = "=HYPERLINK(\"http://x\",\"y\")".into();
    devices[1].notes = Some("-1+2".into());
    devices[2].owner = Some("@admin".into());
    devices[3].notes = Some("行1\n行2, \"引用\"".into());
    for lang in [Lang::Ja, Lang::En] {
        let bytes = write_csv(&devices, lang);
        assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]));
        let text = std::str::from_utf8(&bytes[3..]).unwrap();
        assert!(
            text.contains("\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""),
            "injection guard missing"
        );
        assert!(text.contains(",'-1+2,") || text.contains("'-1+2"));
        assert!(!text.contains(",=HYPERLINK"));
        let p = ok("export.csv", &bytes);
        assert!(p.rejected.is_empty(), "{:?}", p.rejected);
        assert!(p.unmapped_columns == vec!["点検周期".to_string()]);
        let back: Vec<DeviceFields> = p.rows.into_iter().map(|r| r.fields).collect();
        assert_eq!(back, devices, "{lang:?}");
    }
    let ja = String::from_utf8(write_csv(&devices[..1], Lang::Ja)).unwrap();
    assert!(ja.contains("機器名称") && ja.contains("クラス") && ja.contains("生命維持"));
    let en = String::from_utf8(write_csv(&devices[..1], Lang::En)).unwrap();
    assert!(en.contains("Management No,Name,") && en.contains("life_sustaining"));
}

#[test]
fn xlsx_export_round_trips() {
    let mut devices = sample_ledger_rows(30);
    devices[5].notes = Some("<img src=x onerror=alert(1)>".into());
    devices[6]
        .custom
        .insert("予算科目".into(), "=SUM(A1)".into());
    for lang in [Lang::Ja, Lang::En] {
        let bytes = write_xlsx(&devices, lang).unwrap();
        let p = ok("export.xlsx", &bytes);
        assert_eq!(p.header_row, 1);
        let back: Vec<DeviceFields> = p.rows.into_iter().map(|r| r.fields).collect();
        assert_eq!(back, devices, "{lang:?}");
    }
}

#[test]
fn ten_thousand_rows() {
    let devices = sample_ledger_rows(10_000);
    let csv = String::from_utf8(write_csv(&devices, Lang::Ja)).unwrap();
    let p = ok("big.csv", &sjis(&csv[3..]));
    assert_eq!(
        p.format,
        LedgerFormat::Csv {
            encoding: CsvEncoding::ShiftJis
        }
    );
    assert_eq!(p.rows.len(), 10_000);
    assert_eq!(p.rows[9_999].row, 10_001);
    assert_eq!(p.rows[9_999].fields, devices[9_999]);

    let xlsx = write_xlsx(&devices, Lang::En).unwrap();
    let p = ok("big.xlsx", &xlsx);
    assert_eq!(p.rows.len(), 10_000);
    assert_eq!(p.rows.last().map(|r| &r.fields), devices.last());
}

#[test]
fn best_matching_sheet_wins_over_first() {
    let mut wb = Workbook::new();
    let a = wb.add_worksheet();
    a.write_string(0, 0, "名称").unwrap();
    a.write_string(1, 0, "表紙").unwrap();
    let b = wb.add_worksheet();
    for (c, h) in ["管理番号", "機器名称", "型式"].iter().enumerate() {
        b.write_string(0, c as u16, *h).unwrap();
    }
    b.write_string(1, 1, "CT装置").unwrap();
    let p = ok("two.xlsx", &wb.save_to_buffer().unwrap());
    assert_eq!(p.sheet.as_deref(), Some("Sheet2"));
    assert_eq!(p.rows[0].fields.name, "CT装置");
}

#[test]
fn arbitrary_bytes_never_panic() {
    let seeds: Vec<Vec<u8>> = vec![
        sjis(SJIS_CSV),
        titled_workbook(),
        b"PK\x03\x04".to_vec(),
        vec![0xD0, 0xCF, 0x11, 0xE0],
        biff8(&[(0, 0, "機器名称"), (1, 0, "モニタ")], (0, 2, 0, 1)),
    ];
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    for seed in &seeds {
        for _ in 0..150 {
            let mut b = seed.clone();
            for _ in 0..4 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                if b.is_empty() {
                    break;
                }
                let i = (state as usize) % b.len();
                b[i] = (state >> 32) as u8;
            }
            let _ = parse_ledger("fuzz", &b);
        }
    }
}

// ---- legacy .xls, hand-built: BIFF8 records in a minimal compound file -------------------------

fn rec(out: &mut Vec<u8>, typ: u16, body: &[u8]) {
    out.extend(typ.to_le_bytes());
    out.extend((body.len() as u16).to_le_bytes());
    out.extend(body);
}

/// A BIFF8 workbook with one sheet "台帳" holding LABEL cells, with the given DIMENSIONS record
/// (first row, last row + 1, first column, last column + 1).
fn biff8(cells: &[(u16, u16, &str)], dims: (u32, u32, u16, u16)) -> Vec<u8> {
    let bof = |dt: u16| {
        let mut b = 0x0600u16.to_le_bytes().to_vec();
        b.extend(dt.to_le_bytes());
        b.extend([0u8; 12]);
        b
    };
    let mut s = Vec::new();
    rec(&mut s, 0x0809, &bof(0x0005));
    let sheet_offset_at = s.len() + 4;
    let name: Vec<u16> = "台帳".encode_utf16().collect();
    let mut bs = vec![0, 0, 0, 0, 0, 0, name.len() as u8, 1];
    for u in &name {
        bs.extend(u.to_le_bytes());
    }
    rec(&mut s, 0x0085, &bs);
    rec(&mut s, 0x000A, &[]);
    let sheet_at = s.len() as u32;
    s[sheet_offset_at..sheet_offset_at + 4].copy_from_slice(&sheet_at.to_le_bytes());
    rec(&mut s, 0x0809, &bof(0x0010));
    let mut d = Vec::new();
    d.extend(dims.0.to_le_bytes());
    d.extend(dims.1.to_le_bytes());
    d.extend(dims.2.to_le_bytes());
    d.extend(dims.3.to_le_bytes());
    d.extend([0, 0]);
    rec(&mut s, 0x0200, &d);
    for (r, c, text) in cells {
        let mut b = Vec::new();
        b.extend(r.to_le_bytes());
        b.extend(c.to_le_bytes());
        b.extend(0u16.to_le_bytes());
        let u: Vec<u16> = text.encode_utf16().collect();
        b.extend((u.len() as u16).to_le_bytes());
        b.push(1);
        for x in u {
            b.extend(x.to_le_bytes());
        }
        rec(&mut s, 0x0204, &b);
    }
    rec(&mut s, 0x000A, &[]);
    compound_file(s, "Workbook")
}

/// Version-3 compound file: header, one FAT sector, one directory sector, then the stream.
fn compound_file(mut stream: Vec<u8>, stream_name: &str) -> Vec<u8> {
    let padded = stream.len().max(4096).div_ceil(512) * 512;
    stream.resize(padded, 0);
    let n = padded / 512;
    assert!(n + 2 <= 128);
    let mut h = vec![0u8; 512];
    h[..8].copy_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    let put16 = |h: &mut Vec<u8>, o: usize, v: u16| h[o..o + 2].copy_from_slice(&v.to_le_bytes());
    let put32 = |h: &mut Vec<u8>, o: usize, v: u32| h[o..o + 4].copy_from_slice(&v.to_le_bytes());
    put16(&mut h, 0x18, 0x3E);
    put16(&mut h, 0x1A, 3);
    put16(&mut h, 0x1C, 0xFFFE);
    put16(&mut h, 0x1E, 9);
    put16(&mut h, 0x20, 6);
    put32(&mut h, 0x2C, 1);
    put32(&mut h, 0x30, 1);
    put32(&mut h, 0x38, 4096);
    put32(&mut h, 0x3C, 0xFFFF_FFFE);
    put32(&mut h, 0x44, 0xFFFF_FFFE);
    for i in 0..109 {
        put32(&mut h, 0x4C + i * 4, if i == 0 { 0 } else { 0xFFFF_FFFF });
    }
    let mut fat = vec![0xFFFF_FFFFu32; 128];
    fat[0] = 0xFFFF_FFFD;
    fat[1] = 0xFFFF_FFFE;
    for i in 0..n {
        fat[2 + i] = if i + 1 == n {
            0xFFFF_FFFE
        } else {
            (3 + i) as u32
        };
    }
    let mut dir = vec![0u8; 512];
    let entry =
        |dir: &mut Vec<u8>, i: usize, name: &str, typ: u8, child: u32, start: u32, size: u32| {
            let e = &mut dir[i * 128..(i + 1) * 128];
            let u: Vec<u16> = name.encode_utf16().collect();
            for (k, x) in u.iter().enumerate() {
                e[k * 2..k * 2 + 2].copy_from_slice(&x.to_le_bytes());
            }
            e[64..66].copy_from_slice(&(((u.len() + 1) * 2) as u16).to_le_bytes());
            e[66] = typ;
            e[67] = 1;
            e[68..72].copy_from_slice(&0xFFFF_FFFFu32.to_le_bytes());
            e[72..76].copy_from_slice(&0xFFFF_FFFFu32.to_le_bytes());
            e[76..80].copy_from_slice(&child.to_le_bytes());
            e[116..120].copy_from_slice(&start.to_le_bytes());
            e[120..124].copy_from_slice(&size.to_le_bytes());
        };
    entry(&mut dir, 0, "Root Entry", 5, 1, 0xFFFF_FFFE, 0);
    entry(&mut dir, 1, stream_name, 2, 0xFFFF_FFFF, 2, padded as u32);
    for i in 2..4 {
        dir[i * 128 + 68..i * 128 + 80].fill(0xFF);
    }
    let mut out = h;
    out.extend(fat.iter().flat_map(|x| x.to_le_bytes()));
    out.extend(dir);
    out.extend(stream);
    out
}

#[test]
fn xls_is_read() {
    let cells = [
        (0, 0, "医療機器台帳"),
        (2, 0, "管理番号"),
        (2, 1, "機器名称"),
        (2, 2, "導入日"),
        (3, 0, "ME-9"),
        (3, 1, "透析装置"),
        (3, 2, "R2.10.1"),
    ];
    let p = ok("old.xls", &biff8(&cells, (0, 4, 0, 3)));
    assert_eq!(p.format, LedgerFormat::Xls);
    assert_eq!(p.sheet.as_deref(), Some("台帳"));
    assert_eq!(p.header_row, 3);
    assert_eq!(p.rows.len(), 1);
    assert_eq!(p.rows[0].row, 4);
    assert_eq!(p.rows[0].fields.management_number.as_deref(), Some("ME-9"));
    assert_eq!(p.rows[0].fields.name, "透析装置");
    assert_eq!(p.rows[0].fields.install_date.as_deref(), Some("2020-10-01"));
}

#[test]
fn xls_dense_range_bombs_are_rejected() {
    // Declared range of 4 billion rows, and an inverted one: calamine would reserve from these.
    for dims in [(0, u32::MAX, 0, 255), (100, 1, 0, 3)] {
        let err = parse_ledger("dims.xls", &biff8(&[(0, 0, "機器名称")], dims)).unwrap_err();
        assert!(err.to_string().starts_with("dims.xls: "), "{err}");
        assert!(err.message.contains("declare"), "{err}");
    }
    // Two real cells at opposite corners of the 65536 × 256 grid.
    let err = parse_ledger(
        "corners.xls",
        &biff8(&[(0, 0, "機器名称"), (65_535, 255, "x")], (0, 4, 0, 3)),
    )
    .unwrap_err();
    assert!(err.message.contains("65536 rows × 256 columns"), "{err}");
    // A password-protected xlsx is a compound file with an EncryptedPackage stream.
    let err = parse_ledger(
        "locked.xlsx",
        &compound_file(vec![1; 5000], "EncryptedPackage"),
    )
    .unwrap_err();
    assert!(err.message.contains("password-protected"), "{err}");
    // Truncated compound file.
    let whole = biff8(&[(0, 0, "機器名称")], (0, 1, 0, 1));
    assert!(parse_ledger("cut.xls", &whole[..1000]).is_err());
}
