//! The header alias table: which spreadsheet column heading means which [`DeviceFields`] field.

use mdsec_domain::normalize::to_halfwidth;

/// A ledger field a column can map to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    ManagementNumber,
    Name,
    DeviceType,
    Manufacturer,
    Model,
    Serial,
    SoftwareVersion,
    Department,
    Location,
    Ip,
    Mac,
    Os,
    Protocols,
    Purpose,
    RemoteLine,
    RemoteMethod,
    MaintenanceContract,
    Owner,
    InstallDate,
    EolDate,
    EosDate,
    UdiDi,
    NetworkSegment,
    DeviceClass,
    Status,
    Criticality,
    Notes,
}

/// One row of the alias table. `ja` and `en` are the headings we export; they are aliases too.
#[derive(Debug)]
pub struct FieldSpec {
    pub field: Field,
    pub ja: &'static str,
    pub en: &'static str,
    pub aliases: &'static [&'static str],
}

/// Headings are compared after [`header_key`], so spacing, width, case and brackets do not matter.
/// Order is the export column order.
pub const FIELDS: &[FieldSpec] = &[
    FieldSpec {
        field: Field::ManagementNumber,
        ja: "管理番号",
        en: "Management No",
        aliases: &[
            "資産番号",
            "機器番号",
            "管理No",
            "asset no",
            "asset number",
            "management number",
        ],
    },
    FieldSpec {
        field: Field::Name,
        ja: "機器名称",
        en: "Name",
        aliases: &["名称", "品名", "機器名", "device name"],
    },
    FieldSpec {
        field: Field::DeviceType,
        ja: "機器種別",
        en: "Device type",
        aliases: &["種別", "分類", "category", "type"],
    },
    FieldSpec {
        field: Field::Manufacturer,
        ja: "製造販売業者",
        en: "Manufacturer",
        aliases: &[
            "メーカー",
            "メーカ",
            "製造元",
            "製造業者",
            "vendor",
            "maker",
        ],
    },
    FieldSpec {
        field: Field::Model,
        ja: "型式",
        en: "Model",
        aliases: &["型番", "モデル", "model no"],
    },
    FieldSpec {
        field: Field::Serial,
        ja: "シリアル番号",
        en: "Serial",
        aliases: &[
            "製造番号",
            "シリアル",
            "シリアルNo",
            "serial no",
            "serial number",
        ],
    },
    FieldSpec {
        field: Field::SoftwareVersion,
        ja: "ソフトウェアバージョン",
        en: "Software version",
        aliases: &[
            "バージョン",
            "ファームウェア",
            "ファームウェアバージョン",
            "version",
            "firmware",
            "firmware version",
        ],
    },
    FieldSpec {
        field: Field::Department,
        ja: "設置部署",
        en: "Department",
        aliases: &["部署", "部門", "所属", "管理部署"],
    },
    FieldSpec {
        field: Field::Location,
        ja: "設置場所",
        en: "Location",
        aliases: &["場所"],
    },
    FieldSpec {
        field: Field::Ip,
        ja: "IPアドレス",
        en: "IP address",
        aliases: &["IP"],
    },
    FieldSpec {
        field: Field::Mac,
        ja: "MACアドレス",
        en: "MAC address",
        aliases: &["MAC"],
    },
    FieldSpec {
        field: Field::Os,
        ja: "OS",
        en: "Operating system",
        aliases: &["オペレーティングシステム"],
    },
    FieldSpec {
        field: Field::Protocols,
        ja: "通信プロトコル",
        en: "Protocols",
        aliases: &["プロトコル", "ポート", "protocol", "ports"],
    },
    FieldSpec {
        field: Field::Purpose,
        ja: "用途",
        en: "Purpose",
        aliases: &["目的"],
    },
    FieldSpec {
        field: Field::RemoteLine,
        ja: "リモート保守",
        en: "Remote maintenance",
        aliases: &[
            "リモートメンテナンス回線",
            "リモートメンテナンス",
            "保守回線",
            "リモート保守回線",
            "remote line",
        ],
    },
    FieldSpec {
        field: Field::RemoteMethod,
        ja: "接続方法",
        en: "Remote method",
        aliases: &["回線種別", "リモート接続方法"],
    },
    FieldSpec {
        field: Field::MaintenanceContract,
        ja: "保守契約",
        en: "Maintenance contract",
        aliases: &["保守契約有無"],
    },
    FieldSpec {
        field: Field::Owner,
        ja: "管理責任者",
        en: "Owner",
        aliases: &["担当者", "責任者"],
    },
    FieldSpec {
        field: Field::InstallDate,
        ja: "導入日",
        en: "Install date",
        aliases: &["設置日", "納入日", "導入年月日", "installed"],
    },
    FieldSpec {
        field: Field::EolDate,
        ja: "販売終了日",
        en: "EOL",
        aliases: &["EOL date", "end of life"],
    },
    FieldSpec {
        field: Field::EosDate,
        ja: "サポート終了日",
        en: "EOS",
        aliases: &["保守終了日", "EOS date", "end of support"],
    },
    FieldSpec {
        field: Field::UdiDi,
        ja: "UDI-DI",
        en: "UDI-DI",
        aliases: &["GTIN", "JANコード", "UDI"],
    },
    FieldSpec {
        field: Field::NetworkSegment,
        ja: "ネットワークセグメント",
        en: "Network segment",
        aliases: &["セグメント", "VLAN", "ネットワーク", "segment"],
    },
    FieldSpec {
        field: Field::DeviceClass,
        ja: "クラス分類",
        en: "Class",
        aliases: &["クラス", "device class"],
    },
    FieldSpec {
        field: Field::Status,
        ja: "稼働状況",
        en: "Status",
        aliases: &["状態", "ステータス", "稼動状況"],
    },
    FieldSpec {
        field: Field::Criticality,
        ja: "臨床重要度",
        en: "Criticality",
        aliases: &["重要度"],
    },
    FieldSpec {
        field: Field::Notes,
        ja: "備考",
        en: "Notes",
        aliases: &["メモ", "remarks", "note"],
    },
];

fn is_bracket(c: char) -> bool {
    matches!(
        c,
        '(' | ')'
            | '['
            | ']'
            | '{'
            | '}'
            | '<'
            | '>'
            | '（'
            | '）'
            | '【'
            | '】'
            | '「'
            | '」'
            | '『'
            | '』'
            | '〔'
            | '〕'
            | '＜'
            | '＞'
    )
}

/// The comparison form of a heading: half-width, lower-case, without spaces, brackets,
/// required-field marks and punctuation that people vary (`管理 No.` = `管理no`).
pub fn header_key(s: &str) -> String {
    to_halfwidth(s)
        .to_lowercase()
        .chars()
        .filter(|&c| {
            !c.is_whitespace()
                && !is_bracket(c)
                && !matches!(c, '*' | '※' | '_' | '-' | '.' | '・' | ':')
        })
        .collect()
}

/// The same heading with bracketed parts removed (`導入日（西暦）` → `導入日`).
fn without_brackets(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut depth = 0usize;
    for c in to_halfwidth(s).chars() {
        match c {
            '(' | '[' | '（' | '【' | '「' | '『' | '〔' | '<' | '＜' => depth += 1,
            ')' | ']' | '）' | '】' | '」' | '』' | '〕' | '>' | '＞' => {
                depth = depth.saturating_sub(1)
            }
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// Lookup built once per import from [`FIELDS`].
pub struct HeaderTable {
    map: std::collections::HashMap<String, Field>,
}

impl Default for HeaderTable {
    fn default() -> Self {
        Self::new()
    }
}

impl HeaderTable {
    pub fn new() -> Self {
        let mut map = std::collections::HashMap::new();
        for spec in FIELDS {
            for a in [spec.ja, spec.en].iter().chain(spec.aliases) {
                map.entry(header_key(a)).or_insert(spec.field);
            }
        }
        HeaderTable { map }
    }

    /// The field a heading names, if any.
    pub fn lookup(&self, heading: &str) -> Option<Field> {
        if let Some(f) = self.map.get(&header_key(heading)) {
            return Some(*f);
        }
        let stripped = header_key(&without_brackets(heading));
        if stripped.is_empty() {
            return None;
        }
        self.map.get(&stripped).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_are_unambiguous() {
        let mut seen = std::collections::HashMap::new();
        for spec in FIELDS {
            for a in [spec.ja, spec.en].iter().chain(spec.aliases) {
                if let Some(prev) = seen.insert(header_key(a), spec.field) {
                    assert_eq!(prev, spec.field, "alias {a} maps to two fields");
                }
            }
        }
    }

    #[test]
    fn headings_match_loosely() {
        let t = HeaderTable::new();
        assert_eq!(t.lookup("管理 No."), Some(Field::ManagementNumber));
        assert_eq!(t.lookup("ＩＰアドレス"), Some(Field::Ip));
        assert_eq!(t.lookup("【必須】機器名称"), Some(Field::Name));
        assert_eq!(t.lookup("導入日（西暦）"), Some(Field::InstallDate));
        assert_eq!(t.lookup("Device Name"), Some(Field::Name));
        assert_eq!(t.lookup("UDI-DI"), Some(Field::UdiDi));
        assert_eq!(t.lookup("機器名称*"), Some(Field::Name));
        assert_eq!(t.lookup("点検周期"), None);
    }
}
