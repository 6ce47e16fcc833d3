//! Text helpers: XML escaping, width estimates for Japanese and Latin text, natural ordering, and
//! reading a VLAN number or CIDR out of a segment name.

use std::cmp::Ordering;

/// Is `c` allowed in an XML 1.0 document?
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Escape for XML text and attribute values; characters XML 1.0 forbids are dropped.
pub(crate) fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Keep attribute values on one line: a raw newline in an attribute is normalised to a
            // space by XML parsers anyway, so write it as a character reference.
            '\n' => out.push_str("&#10;"),
            '\r' => {}
            '\t' => out.push_str("&#9;"),
            c if xml_char(c) => out.push(c),
            _ => {}
        }
    }
    out
}

/// Escape for HTML (draw.io labels with `html=1`), before the XML escape.
pub(crate) fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Full-width (East Asian wide) characters take about twice the width of Latin ones.
fn is_wide(c: char) -> bool {
    let u = c as u32;
    (0x1100..=0x115F).contains(&u)
        || (0x2E80..=0xA4CF).contains(&u)
        || (0xAC00..=0xD7A3).contains(&u)
        || (0xF900..=0xFAFF).contains(&u)
        || (0xFE30..=0xFE4F).contains(&u)
        || (0xFF00..=0xFF60).contains(&u)
        || (0xFFE0..=0xFFE6).contains(&u)
        || (0x1F300..=0x1FAFF).contains(&u)
        || (0x20000..=0x3FFFD).contains(&u)
}

/// Estimated width in pixels of `s` at `font_size` in a generic sans-serif font.
pub(crate) fn width(s: &str, font_size: i64) -> i64 {
    let tenths: i64 = s
        .chars()
        .map(|c| if is_wide(c) { 10 } else { 6 })
        .sum::<i64>();
    (tenths * font_size + 9) / 10
}

/// `s` shortened with "…" so that it fits in `max_px`.
pub(crate) fn fit(s: &str, max_px: i64, font_size: i64) -> String {
    if width(s, font_size) <= max_px {
        return s.to_string();
    }
    let budget = max_px - width("…", font_size);
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = width(c.encode_utf8(&mut [0; 4]), font_size);
        if used + w > budget {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// At most `max` characters of `s`, for attribute values that must stay bounded.
pub(crate) fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Compare strings so that embedded numbers sort by value: "VLAN9" < "VLAN10" < "VLAN110".
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.chars().peekable(), b.chars().peekable());
    loop {
        match (x.peek().copied(), y.peek().copied()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let take = |it: &mut std::iter::Peekable<std::str::Chars>| {
                    let mut s = String::new();
                    while let Some(c) = it.peek().copied().filter(char::is_ascii_digit) {
                        s.push(c);
                        it.next();
                    }
                    s
                };
                let (m, n) = (take(&mut x), take(&mut y));
                let (mt, nt) = (m.trim_start_matches('0'), n.trim_start_matches('0'));
                let ord = mt.len().cmp(&nt.len()).then_with(|| mt.cmp(nt));
                if ord != Ordering::Equal {
                    return ord;
                }
            }
            (Some(c), Some(d)) => {
                if c != d {
                    return c.cmp(&d);
                }
                x.next();
                y.next();
            }
        }
    }
}

/// The VLAN number written in a segment name ("VLAN110 …", "vlan 20", "VLAN-30").
pub(crate) fn vlan_of(name: &str) -> Option<u32> {
    let upper = name.to_ascii_uppercase();
    let at = upper.find("VLAN")?;
    let rest = upper.get(at + 4..)?;
    let rest = rest.trim_start_matches([' ', '-', '_', ':', '#']);
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() || digits.len() > 4 {
        return None;
    }
    digits.parse().ok().filter(|v| (1..=4094).contains(v))
}

/// The first IPv4 CIDR (`a.b.c.d/n`) written in a segment name.
pub(crate) fn cidr_of(name: &str) -> Option<String> {
    let bytes = name.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_digit()) {
            let tail = name.get(i..)?;
            let candidate: String = tail
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == '/')
                .collect();
            if let Some((addr, prefix)) = candidate.split_once('/') {
                let ok_addr = addr.parse::<std::net::Ipv4Addr>().is_ok();
                let ok_prefix = prefix.parse::<u8>().is_ok_and(|p| p <= 32);
                if ok_addr && ok_prefix {
                    return Some(candidate);
                }
            }
            i += candidate.len().max(1);
        } else {
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_drops_forbidden_characters() {
        assert_eq!(xml("a<b>&\"'\u{0}\u{1b}c"), "a&lt;b&gt;&amp;&quot;&apos;c");
        assert_eq!(xml("放射線科\n2行目"), "放射線科&#10;2行目");
        assert_eq!(html("<b>"), "&lt;b&gt;");
    }

    #[test]
    fn japanese_is_wider_than_latin() {
        assert!(width("医療機器", 12) > width("abcd", 12));
        assert_eq!(width("", 12), 0);
        let f = fit("生体情報モニタ セントラルモニタ", 80, 12);
        assert!(f.ends_with('…') && width(&f, 12) <= 80, "{f}");
        assert_eq!(fit("CT", 80, 12), "CT");
        assert_eq!(clip("あいうえお", 3), "あいう…");
        assert_eq!(clip("あい", 3), "あい");
    }

    #[test]
    fn natural_order() {
        let mut v = vec!["VLAN110", "VLAN9", "VLAN10", "vlan", "VLAN010"];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(v, ["VLAN9", "VLAN010", "VLAN10", "VLAN110", "vlan"]);
        assert_eq!(natural_cmp("a", "a"), Ordering::Equal);
    }

    #[test]
    fn reads_vlan_and_cidr() {
        let n = "VLAN110 医療機器-RAD (10.20.10.0/24)";
        assert_eq!(vlan_of(n), Some(110));
        assert_eq!(cidr_of(n).as_deref(), Some("10.20.10.0/24"));
        assert_eq!(vlan_of("vlan-20 x"), Some(20));
        assert_eq!(vlan_of("VLAN99999"), None);
        assert_eq!(vlan_of("no vlan here"), None);
        assert_eq!(cidr_of("10.0.0.999/24 or 192.168.1.0/33 or 1.2.3.4"), None);
        assert_eq!(
            cidr_of("x192.168.1.0/24").as_deref(),
            Some("192.168.1.0/24")
        );
    }
}
