//! Ledger files as hospitals keep them, written by the tests themselves.

use rust_xlsxwriter::{Format, Workbook};

/// The Japanese header of a typical hand-kept ledger, with one column mdsec has no field for (資産区分).
pub const JA_HEADER: &[&str] = &[
    "管理番号",
    "機器名称",
    "製造販売業者",
    "型式",
    "シリアル番号",
    "設置部署",
    "IPアドレス",
    "MACアドレス",
    "導入日",
    "資産区分",
];

/// Row `i` of a synthetic ledger (valid), as the cells a person would type.
pub fn ja_row(i: usize) -> Vec<String> {
    let dept = ["ICU", "放射線科", "臨床検査科", "透析センター"][i % 4];
    vec![
        format!("ＭＥ－{i:05}"), // full-width, as typed with an IME
        format!("生体情報モニタ {i}"),
        if i.is_multiple_of(2) {
            "日本光電工業株式会社".into()
        } else {
            "フィリップス・ジャパン".into()
        },
        format!("BSM-{}", 3000 + i % 7),
        format!("SN{i:07}"),
        dept.into(),
        format!("10.{}.{}.{}", 20 + i % 4, (i / 250) % 250, i % 250 + 1),
        format!(
            "00-1A-2B-{:02X}-{:02X}-{:02X}",
            (i >> 16) & 0xff,
            (i >> 8) & 0xff,
            i & 0xff
        ),
        if i.is_multiple_of(3) {
            "令和5年4月1日".into()
        } else {
            "2023/4/1".into()
        },
        "リース".into(),
    ]
}

/// A Shift_JIS CSV: `n` valid rows, plus invalid rows at the given 0-based positions (bad MAC).
pub fn shift_jis_csv(n: usize, invalid_at: &[usize]) -> Vec<u8> {
    let mut text = JA_HEADER.join(",") + "\r\n";
    for i in 0..n {
        let mut row = ja_row(i);
        if invalid_at.contains(&i) {
            row[7] = "ZZ-not-a-mac".into();
        }
        text += &row.join(",");
        text += "\r\n";
    }
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&text);
    assert!(!unmappable);
    bytes.into_owned()
}

/// An xlsx with a merged title row and an empty row above the Japanese header row (header at row 3).
pub fn titled_xlsx(n: usize, invalid_at: &[usize]) -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("医療機器台帳").unwrap();
    let title = Format::new().set_bold();
    ws.merge_range(
        0,
        0,
        0,
        5,
        "（架空）テスト病院 医療機器台帳 2024年度",
        &title,
    )
    .unwrap();
    for (c, h) in JA_HEADER.iter().enumerate() {
        ws.write_string(2, c as u16, *h).unwrap();
    }
    for i in 0..n {
        let mut row = ja_row(i);
        if invalid_at.contains(&i) {
            row[6] = "999.1.1.1".into();
        }
        for (c, v) in row.iter().enumerate() {
            ws.write_string(3 + i as u32, c as u16, v).unwrap();
        }
    }
    wb.save_to_buffer().unwrap()
}
