//! Text normalisation shared by forms, imports and discovery.
//!
//! Owns the rules that turn what people type into Japanese spreadsheets (全角 digits, 和暦 dates,
//! ○/× flags, クラスⅡ) into the canonical forms stored in [`crate::DeviceFields`].
//! Invariant: pure functions; `None` means "not understood", never a guess.

use crate::{Criticality, DeviceClass, DeviceStatus, RemoteLine};
use std::net::{IpAddr, Ipv4Addr};

/// Full-width ASCII (`ＡＢＣ１２３－：`) and the ideographic space to their half-width forms.
/// Kana, kanji and everything else are kept as they are.
pub fn to_halfwidth(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect()
}

/// Half-width, trimmed, lower-case: the form the keyword tables below are written in.
fn key(s: &str) -> String {
    to_halfwidth(s).trim().to_lowercase()
}

/// A MAC address in any common spelling (`AA-BB-..`, `aabb.ccdd.eeff`, `aabbccddeeff`, full-width)
/// as lower-case `aa:bb:cc:dd:ee:ff`.
pub fn normalize_mac(s: &str) -> Option<String> {
    let s = key(s);
    let octets: Vec<u8> = if s.contains([':', '-']) {
        let parts: Vec<&str> = s.split([':', '-']).collect();
        if parts.len() != 6 || parts.iter().any(|p| p.is_empty() || p.len() > 2) {
            return None;
        }
        parts
            .iter()
            .map(|p| u8::from_str_radix(p, 16).ok())
            .collect::<Option<_>>()?
    } else {
        let hex: String = if s.contains('.') {
            let parts: Vec<&str> = s.split('.').collect();
            if parts.len() != 3 || parts.iter().any(|p| p.len() != 4) {
                return None;
            }
            parts.concat()
        } else {
            s
        };
        if hex.len() != 12 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        (0..6)
            .map(|i| {
                hex.get(i * 2..i * 2 + 2)
                    .and_then(|p| u8::from_str_radix(p, 16).ok())
            })
            .collect::<Option<_>>()?
    };
    Some(
        octets
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":"),
    )
}

/// An IPv4 or IPv6 address in canonical text form. IPv4 octets written with leading zeros
/// (`192.168.001.010`, common in ledgers) are accepted as decimal.
pub fn normalize_ip(s: &str) -> Option<String> {
    let s = to_halfwidth(s);
    let s = s.trim();
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip.to_string());
    }
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
    {
        let o: Vec<u8> = parts
            .iter()
            .map(|p| p.parse::<u8>().ok())
            .collect::<Option<_>>()?;
        if let [a, b, c, d] = o[..] {
            return Some(Ipv4Addr::new(a, b, c, d).to_string());
        }
    }
    None
}

/// Excel serial numbers accepted as dates: 1950-01-01 ..= 2099-12-31. Outside that a bare number
/// is far more likely to be something else (a count, an asset number) than a device date.
pub const EXCEL_SERIAL_MIN: u32 = 18_264;
pub const EXCEL_SERIAL_MAX: u32 = 73_050;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn valid_ymd(y: i64, m: u32, d: u32) -> bool {
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => return false,
    };
    (1900..=2199).contains(&y) && (1..=days).contains(&d)
}

/// The calendar date of an Excel (1900 date system) serial day number. Excel believes 1900 was a
/// leap year, so serial 60 is the non-existent 1900-02-29 and later serials are one day ahead.
pub fn excel_serial_to_date(serial: u32) -> Option<String> {
    let days = match serial {
        0 | 60 => return None,
        1..=59 => days_from_civil(1899, 12, 31) + serial as i64,
        _ => days_from_civil(1899, 12, 30) + serial as i64,
    };
    let (y, m, d) = civil_from_days(days);
    valid_ymd(y, m, d).then(|| format!("{y:04}-{m:02}-{d:02}"))
}

/// A Japanese era: names, first year, and the first/last day it was in force.
struct Era {
    names: &'static [&'static str],
    start: (i64, u32, u32),
    end: (i64, u32, u32),
}

const ERAS: &[Era] = &[
    Era {
        names: &["令和", "㋿", "r"],
        start: (2019, 5, 1),
        end: (2199, 12, 31),
    },
    Era {
        names: &["平成", "㍻", "h"],
        start: (1989, 1, 8),
        end: (2019, 4, 30),
    },
    Era {
        names: &["昭和", "㍼", "s"],
        start: (1926, 12, 25),
        end: (1989, 1, 7),
    },
    Era {
        names: &["大正", "㍽", "t"],
        start: (1912, 7, 30),
        end: (1926, 12, 24),
    },
];

/// A date in any spelling found in Japanese ledgers, as ISO `YYYY-MM-DD`.
///
/// Accepts `2023/4/1`, `2023-04-01`, `2023.4.1`, `20230401`, `2023年4月1日`, era dates
/// (`令和5年4月1日`, `令和元年5月1日`, `R5.4.1`, `R05/04/01`, `H31.4.30`, 平成/昭和/大正),
/// full-width digits, a trailing time (`2023/04/01 0:00:00`) and Excel serial numbers (`45017`).
/// Dates that do not exist, or era dates outside their era, are `None`.
pub fn normalize_date(s: &str) -> Option<String> {
    let s = key(s);
    // A trailing time, as Excel writes date cells into CSV, carries no date information.
    let s = s.split(' ').next().unwrap_or("").trim();
    let s = match s.as_bytes() {
        [b'0'..=b'9', _, _, _, b'-', _, _, b'-', _, _, b't', ..] => s.get(..10).unwrap_or(s),
        _ => s,
    };
    if s.is_empty() {
        return None;
    }
    if s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && s.bytes().filter(|&b| b == b'.').count() <= 1
    {
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        if int.len() == 8 && frac.is_empty() {
            let y = int.get(0..4)?.parse().ok()?;
            let m = int.get(4..6)?.parse().ok()?;
            let d = int.get(6..8)?.parse().ok()?;
            return valid_ymd(y, m, d).then(|| format!("{y:04}-{m:02}-{d:02}"));
        }
        if !int.is_empty() && int.len() <= 5 && frac.bytes().all(|b| b == b'0') {
            let serial: u32 = int.parse().ok()?;
            if (EXCEL_SERIAL_MIN..=EXCEL_SERIAL_MAX).contains(&serial) {
                return excel_serial_to_date(serial);
            }
            if !s.contains('.') {
                return None;
            }
        }
    }
    let (era, rest) = match ERAS.iter().find_map(|e| {
        e.names
            .iter()
            .find_map(|n| s.strip_prefix(n))
            .map(|r| (e, r))
    }) {
        Some((e, r)) => (Some(e), r),
        None => (None, s),
    };
    let rest = rest.trim_start();
    // 元年 is the first year of an era.
    let rest_owned;
    let rest = match rest.strip_prefix('元') {
        Some(r) if era.is_some() => {
            rest_owned = format!("1{r}");
            rest_owned.as_str()
        }
        _ => rest,
    };
    let mut nums = Vec::with_capacity(3);
    let mut cur = String::new();
    let mut last_sep = None;
    for c in rest.chars() {
        if c.is_ascii_digit() {
            if cur.len() >= 4 {
                return None;
            }
            cur.push(c);
            continue;
        }
        let sep = match c {
            '/' | '-' | '.' | '年' | '月' | '日' | '・' => c,
            _ => return None,
        };
        if cur.is_empty() {
            return None;
        }
        nums.push(cur.parse::<u32>().ok()?);
        cur.clear();
        last_sep = Some(sep);
    }
    if !cur.is_empty() {
        nums.push(cur.parse::<u32>().ok()?);
    } else if !matches!(last_sep, Some('日')) {
        return None;
    }
    let [y, m, d] = nums[..] else { return None };
    let y = match era {
        Some(e) => {
            if y == 0 || y > 99 {
                return None;
            }
            e.start.0 + y as i64 - 1
        }
        None if (1000..=9999).contains(&y) => y as i64,
        None => return None,
    };
    if !valid_ymd(y, m, d) {
        return None;
    }
    if let Some(e) = era {
        if (y, m, d) < e.start || (y, m, d) > e.end {
            return None;
        }
    }
    Some(format!("{y:04}-{m:02}-{d:02}"))
}

/// The keyword before a bracketed remark: `有（VPN）` → `有`.
fn head(s: &str) -> String {
    let k = key(s);
    match k.split_once('(') {
        Some((h, _)) if !h.trim().is_empty() => h.trim().to_string(),
        _ => k,
    }
}

/// リモート保守回線の有無: 有/あり/○/yes → Yes, 無/なし/×/no → No, 不明/unknown → Unknown.
/// A bracketed remark after the keyword (`有（VPN）`) is ignored.
pub fn parse_remote_line(s: &str) -> Option<RemoteLine> {
    match head(s).as_str() {
        "有" | "有り" | "あり" | "○" | "〇" | "◯" | "yes" | "y" | "true" | "1" => {
            Some(RemoteLine::Yes)
        }
        "無" | "無し" | "なし" | "×" | "x" | "no" | "n" | "false" | "0" => {
            Some(RemoteLine::No)
        }
        "不明" | "unknown" | "?" | "-" => Some(RemoteLine::Unknown),
        _ => None,
    }
}

/// 稼働状況: 稼働/稼動/使用中 → Active, 休止/停止 → Inactive, 廃棄/廃止 → Disposed, or the English codes.
/// A bracketed remark after the keyword (`休止（予備機）`) is ignored.
pub fn parse_status(s: &str) -> Option<DeviceStatus> {
    let k = head(s).replace([' ', '-'], "_");
    match k.as_str() {
        "稼働" | "稼動" | "稼働中" | "稼動中" | "使用中" | "運用中" | "in_use" | "active" => {
            Some(DeviceStatus::Active)
        }
        "休止" | "休止中" | "停止" | "停止中" | "予備" | "inactive" | "standby" => {
            Some(DeviceStatus::Inactive)
        }
        "廃棄" | "廃棄済" | "廃棄済み" | "廃止" | "disposed" | "retired" => {
            Some(DeviceStatus::Disposed)
        }
        _ => None,
    }
}

/// 薬機法のクラス分類: `クラスII`, `クラスⅡ`, `Class 2`, `II`, `2`, `一般医療機器` (= I), `管理医療機器` (= II).
pub fn parse_device_class(s: &str) -> Option<DeviceClass> {
    let k: String = key(s).chars().filter(|c| !c.is_whitespace()).collect();
    let k = k
        .strip_prefix("クラス")
        .or_else(|| k.strip_prefix("class"))
        .unwrap_or(&k);
    match k {
        "1" | "i" | "ⅰ" | "一般医療機器" => Some(DeviceClass::I),
        "2" | "ii" | "ⅱ" | "管理医療機器" => Some(DeviceClass::II),
        "3" | "iii" | "ⅲ" => Some(DeviceClass::III),
        "4" | "iv" | "ⅳ" => Some(DeviceClass::IV),
        _ => None,
    }
}

/// 臨床重要度: 生命維持 / 患者接続 / 診断 / 非臨床, or the English words and codes.
pub fn parse_criticality(s: &str) -> Option<Criticality> {
    let k = key(s).replace([' ', '-'], "_");
    match k.as_str() {
        "生命維持" | "生命維持装置" => Some(Criticality::LifeSustaining),
        "患者接続" => Some(Criticality::PatientConnected),
        "診断" | "診断用" => Some(Criticality::Diagnostic),
        "非臨床" => Some(Criticality::NonClinical),
        "nonclinical" => Some(Criticality::NonClinical),
        other => Criticality::from_code(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halfwidth() {
        assert_eq!(to_halfwidth("ＡＢＣ１２３－：　ｘ"), "ABC123-: x");
        assert_eq!(to_halfwidth("輸液ポンプＴＥ－１７１"), "輸液ポンプTE-171");
        assert_eq!(to_halfwidth("ｶﾅかなカナ"), "ｶﾅかなカナ");
    }

    #[test]
    fn mac_spellings() {
        let want = Some("00:1a:2b:3c:4d:5e".to_string());
        for s in [
            "00:1A:2B:3C:4D:5E",
            "00-1a-2b-3c-4d-5e",
            "001a.2b3c.4d5e",
            "001A2B3C4D5E",
            "００：１Ａ：２Ｂ：３Ｃ：４Ｄ：５Ｅ",
            " 001a2b3c4d5e ",
        ] {
            assert_eq!(normalize_mac(s), want, "{s}");
        }
        assert_eq!(
            normalize_mac("0:1a:2b:3c:4d:5e").as_deref(),
            Some("00:1a:2b:3c:4d:5e")
        );
        for s in [
            "",
            "00:1a:2b:3c:4d",
            "00:1a:2b:3c:4d:5e:6f",
            "001a2b3c4d5g",
            "001a2b3c4d5",
            "00:1a:2b:3c:4d:5e5",
            "001.a2b3c.4d5e",
        ] {
            assert_eq!(normalize_mac(s), None, "{s}");
        }
    }

    #[test]
    fn ip_addresses() {
        assert_eq!(
            normalize_ip("192.168.1.10").as_deref(),
            Some("192.168.1.10")
        );
        assert_eq!(
            normalize_ip("１９２．１６８．１．１０").as_deref(),
            Some("192.168.1.10")
        );
        assert_eq!(
            normalize_ip("192.168.001.010").as_deref(),
            Some("192.168.1.10")
        );
        assert_eq!(
            normalize_ip("2001:DB8::0:1").as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(normalize_ip("192.168.1.256"), None);
        assert_eq!(normalize_ip("192.168.1.0/24"), None);
        assert_eq!(normalize_ip("host"), None);
    }

    #[test]
    fn western_dates() {
        for s in [
            "2023/4/1",
            "2023-04-01",
            "2023.4.1",
            "2023年4月1日",
            "２０２３年４月１日",
            "20230401",
            "2023/04/01 0:00:00",
            "2023-04-01T00:00:00",
        ] {
            assert_eq!(normalize_date(s).as_deref(), Some("2023-04-01"), "{s}");
        }
        assert_eq!(normalize_date("2024/2/29").as_deref(), Some("2024-02-29"));
        for s in [
            "2023/2/29",
            "2023/13/1",
            "2023/4/31",
            "23/4/1",
            "2023/4",
            "2023年4月1日x",
            "",
            "April 1",
        ] {
            assert_eq!(normalize_date(s), None, "{s}");
        }
    }

    #[test]
    fn era_dates() {
        let cases = [
            ("令和5年4月1日", "2023-04-01"),
            ("令和元年5月1日", "2019-05-01"),
            ("R5.4.1", "2023-04-01"),
            ("R05/04/01", "2023-04-01"),
            ("r5.4.1", "2023-04-01"),
            ("Ｒ５．４．１", "2023-04-01"),
            ("H31.4.30", "2019-04-30"),
            ("平成元年1月8日", "1989-01-08"),
            ("昭和64年1月7日", "1989-01-07"),
            ("S60.10.1", "1985-10-01"),
            ("大正15年12月24日", "1926-12-24"),
            ("T15.12.24", "1926-12-24"),
        ];
        for (s, want) in cases {
            assert_eq!(normalize_date(s).as_deref(), Some(want), "{s}");
        }
        // Outside their era: Reiwa began on 2019-05-01, Heisei ended 2019-04-30, Showa ended 1989-01-07.
        for s in [
            "令和元年4月30日",
            "H31.5.1",
            "平成元年1月7日",
            "昭和64年1月8日",
            "R0.5.1",
            "昭和元年12月24日",
        ] {
            assert_eq!(normalize_date(s), None, "{s}");
        }
    }

    #[test]
    fn excel_serials() {
        assert_eq!(normalize_date("45017").as_deref(), Some("2023-04-01"));
        assert_eq!(normalize_date("45017.0").as_deref(), Some("2023-04-01"));
        assert_eq!(normalize_date("18264").as_deref(), Some("1950-01-01"));
        assert_eq!(excel_serial_to_date(1).as_deref(), Some("1900-01-01"));
        assert_eq!(excel_serial_to_date(59).as_deref(), Some("1900-02-28"));
        assert_eq!(excel_serial_to_date(60), None);
        assert_eq!(excel_serial_to_date(61).as_deref(), Some("1900-03-01"));
        assert_eq!(normalize_date("123"), None);
        assert_eq!(normalize_date("99999"), None);
        assert_eq!(normalize_date("45017.5"), None);
    }

    #[test]
    fn keywords() {
        for s in ["有", "あり", "○", "yes", "TRUE", "1", "ｙｅｓ"] {
            assert_eq!(parse_remote_line(s), Some(RemoteLine::Yes), "{s}");
        }
        for s in ["無", "なし", "×", "no"] {
            assert_eq!(parse_remote_line(s), Some(RemoteLine::No), "{s}");
        }
        assert_eq!(parse_remote_line("不明"), Some(RemoteLine::Unknown));
        assert_eq!(parse_remote_line("有（VPN）"), Some(RemoteLine::Yes));
        assert_eq!(parse_remote_line("（VPN）"), None);
        assert_eq!(parse_status("休止(予備機)"), Some(DeviceStatus::Inactive));
        assert_eq!(parse_remote_line("たぶん"), None);

        assert_eq!(parse_status("稼働"), Some(DeviceStatus::Active));
        assert_eq!(parse_status("稼動"), Some(DeviceStatus::Active));
        assert_eq!(parse_status("使用中"), Some(DeviceStatus::Active));
        assert_eq!(parse_status("Active"), Some(DeviceStatus::Active));
        assert_eq!(parse_status("休止"), Some(DeviceStatus::Inactive));
        assert_eq!(parse_status("停止"), Some(DeviceStatus::Inactive));
        assert_eq!(parse_status("廃棄"), Some(DeviceStatus::Disposed));
        assert_eq!(parse_status("廃止"), Some(DeviceStatus::Disposed));
        assert_eq!(parse_status("修理中"), None);

        for (s, want) in [
            ("クラスI", DeviceClass::I),
            ("クラスⅠ", DeviceClass::I),
            ("1", DeviceClass::I),
            ("クラス２", DeviceClass::II),
            ("Class II", DeviceClass::II),
            ("Ⅲ", DeviceClass::III),
            ("クラスⅣ", DeviceClass::IV),
            ("IV", DeviceClass::IV),
            ("ｉｖ", DeviceClass::IV),
            ("管理医療機器", DeviceClass::II),
        ] {
            assert_eq!(parse_device_class(s), Some(want), "{s}");
        }
        assert_eq!(parse_device_class("V"), None);
        assert_eq!(parse_device_class("クラス5"), None);

        assert_eq!(
            parse_criticality("生命維持"),
            Some(Criticality::LifeSustaining)
        );
        assert_eq!(
            parse_criticality("life-sustaining"),
            Some(Criticality::LifeSustaining)
        );
        assert_eq!(
            parse_criticality("患者接続"),
            Some(Criticality::PatientConnected)
        );
        assert_eq!(
            parse_criticality("patient_connected"),
            Some(Criticality::PatientConnected)
        );
        assert_eq!(parse_criticality("診断"), Some(Criticality::Diagnostic));
        assert_eq!(
            parse_criticality("Diagnostic"),
            Some(Criticality::Diagnostic)
        );
        assert_eq!(parse_criticality("非臨床"), Some(Criticality::NonClinical));
        assert_eq!(
            parse_criticality("non-clinical"),
            Some(Criticality::NonClinical)
        );
        assert_eq!(parse_criticality("高"), None);
    }
}
