//! Vendor firmware and software version strings that follow no published scheme
//! (`CMS7.820.075.08/0.74(0.75)`, `V2.1.0 build 1234`, `Ver.3.20`, `1.5 SP2`), and the free-text
//! version statements of ICS/medical advisories (`<= 2.3.6`, `>= 1.0 | <= 1.3.2`, `vers:all/*`).
//!
//! Rule: equality after normalisation is always decided; order only when both strings share a
//! recognisable structure (same alphabetic prefix, dotted numbers, the same kind of tail such as
//! `build N` or `SP N`). Everything else is `None` / [`Containment::Undetermined`] — never
//! "not affected".

use crate::vers::{Comparator, VersRange};
use crate::{Containment, MAX_VERSION_LEN, MAX_VERS_CONSTRAINTS};
use std::cmp::Ordering;

/// Normalise for comparison: full-width forms to ASCII, lowercase, whitespace collapsed, a leading
/// `v`, `ver`, `ver.`, `version` or `rev` word removed.
pub fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last_space = true;
    for c in s.chars().take(MAX_VERSION_LEN) {
        let c = match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        };
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
        } else {
            out.extend(c.to_lowercase());
            last_space = false;
        }
    }
    let t = out.trim_end();
    for p in ["version", "ver.", "ver", "rev.", "v"] {
        if let Some(rest) = t.strip_prefix(p) {
            let rest = rest.trim_start_matches([' ', '.', ':']);
            if rest.starts_with(|c: char| c.is_ascii_digit()) {
                return rest.to_string();
            }
        }
    }
    t.to_string()
}

#[derive(Debug, PartialEq, Eq)]
struct Shape<'a> {
    prefix: &'a str,
    numbers: Vec<&'a str>,
    tail: &'a str,
}

fn shape(n: &str) -> Option<Shape<'_>> {
    let start = n.find(|c: char| c.is_ascii_digit())?;
    let prefix = n[..start].trim_end_matches([' ', '-', '_', '.']);
    if !prefix.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let rest = &n[start..];
    let mut numbers = Vec::new();
    let mut i = 0;
    let b = rest.as_bytes();
    loop {
        let s = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        numbers.push(&rest[s..i]);
        if i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
            i += 1;
        } else {
            break;
        }
    }
    Some(Shape {
        prefix,
        numbers,
        tail: rest[i..].trim(),
    })
}

/// A tail like `build 1234`, `b1234`, `sp2`, `-r3`, `(5)`: (word, number).
fn tail_kind(t: &str) -> Option<(&str, &str)> {
    let t = t
        .trim_start_matches([' ', '-', '_', '.', '('])
        .trim_end_matches(')');
    let w_end = t
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(t.len());
    let (word, rest) = t.split_at(w_end);
    let num = rest.trim_start_matches([' ', '.', '-']);
    (!num.is_empty() && num.bytes().all(|b| b.is_ascii_digit())).then_some((word, num))
}

fn cmp_num(a: &str, b: &str) -> Ordering {
    crate::schemes::util::cmp_digits(a, b)
}

/// Order two vendor version strings, or `None` when no shared structure makes an order certain.
pub fn compare(a: &str, b: &str) -> Option<Ordering> {
    let (na, nb) = (normalize(a), normalize(b));
    if na == nb {
        return Some(Ordering::Equal);
    }
    let (sa, sb) = (shape(&na)?, shape(&nb)?);
    if sa.prefix != sb.prefix {
        return None;
    }
    let mut textual_difference = false;
    for (x, y) in sa.numbers.iter().zip(sb.numbers.iter()) {
        match cmp_num(x, y) {
            Ordering::Equal => textual_difference |= x != y,
            o => return Some(o),
        }
    }
    if textual_difference {
        // `3.02` vs `3.2`: numerically equal, but a vendor may mean different things.
        return None;
    }
    let (la, lb) = (sa.numbers.len(), sb.numbers.len());
    if la != lb {
        let longer = if la > lb { &sa } else { &sb };
        let extra = &longer.numbers[la.min(lb)..];
        if extra.iter().all(|n| n.bytes().all(|b| b == b'0'))
            || !sa.tail.is_empty()
            || !sb.tail.is_empty()
        {
            return None;
        }
        return Some(la.cmp(&lb));
    }
    match (sa.tail.is_empty(), sb.tail.is_empty()) {
        (true, true) => Some(Ordering::Equal),
        _ => {
            let (ka, kb) = (tail_kind(sa.tail)?, tail_kind(sb.tail)?);
            (ka.0 == kb.0).then(|| cmp_num(ka.1, kb.1))
        }
    }
}

/// One bound of an advisory's version statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirmwareConstraint {
    pub comparator: Comparator,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FirmwareRange {
    /// Every version (`vers:all/*`, `*`, `all versions`).
    All,
    /// A `vers:` range with a scheme we can order.
    Vers(VersRange),
    /// Alternatives, each an interval (one or two bounds) or a single `=`/`!=` version.
    Alternatives(Vec<Vec<FirmwareConstraint>>),
    /// Text we cannot read as versions (dates, prose). Containment is always undetermined.
    Unparsed(String),
}

/// Parse `<= 2.3.6`, `<4.1.2`, `= 1.0`, `1.0` (equality).
pub fn parse_constraint(s: &str) -> Option<FirmwareConstraint> {
    let s = s.trim();
    let (comparator, v) = [
        ("<=", Comparator::Le),
        (">=", Comparator::Ge),
        ("!=", Comparator::Ne),
        ("=<", Comparator::Le),
        ("=>", Comparator::Ge),
        ("<", Comparator::Lt),
        (">", Comparator::Gt),
        ("=", Comparator::Eq),
    ]
    .iter()
    .find_map(|(p, c)| s.strip_prefix(p).map(|r| (*c, r.trim())))
    .unwrap_or((Comparator::Eq, s));
    let ok = !v.is_empty()
        && v.len() <= MAX_VERSION_LEN
        && v.chars().any(|c| c.is_ascii_digit() || c.is_alphabetic())
        && !v.contains(['<', '>', '=', '(', ')', ','])
        && v.split_whitespace().count() <= 2;
    ok.then(|| FirmwareConstraint {
        comparator,
        version: v.to_string(),
    })
}

/// Read an advisory's version statement. Never fails: what is not understood becomes
/// [`FirmwareRange::Unparsed`].
pub fn parse_range(s: &str) -> FirmwareRange {
    let t = s.trim();
    if t.len() > MAX_VERSION_LEN * 4 {
        return FirmwareRange::Unparsed(t.chars().take(MAX_VERSION_LEN).collect());
    }
    let lower = t.to_ascii_lowercase();
    if lower == "*" || lower == "vers:all/*" || lower == "all" || lower == "all versions" {
        return FirmwareRange::All;
    }
    if lower.starts_with("vers:") {
        return match VersRange::parse(t) {
            Ok(r)
                if r.constraints()
                    .iter()
                    .any(|c| c.comparator == Comparator::Any) =>
            {
                FirmwareRange::All
            }
            Ok(r) if r.scheme().is_some() => FirmwareRange::Vers(r),
            Ok(r) => parse_parts(
                t,
                r.to_string().split_once('/').map(|(_, b)| b).unwrap_or(""),
            ),
            Err(_) => FirmwareRange::Unparsed(t.to_string()),
        };
    }
    parse_parts(t, t)
}

fn parse_parts(original: &str, body: &str) -> FirmwareRange {
    let mut cs = Vec::new();
    for part in body.split('|') {
        if cs.len() >= MAX_VERS_CONSTRAINTS {
            return FirmwareRange::Unparsed(original.to_string());
        }
        match parse_constraint(part) {
            Some(c) => cs.push(c),
            None => return FirmwareRange::Unparsed(original.to_string()),
        }
    }
    // A lower bound followed by an upper bound is one interval (advisories write `>= 1.0 | <= 2.0`
    // for "from 1.0 to 2.0"); every other constraint stands alone.
    let mut alts: Vec<Vec<FirmwareConstraint>> = Vec::new();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i].clone();
        let is_lower = matches!(c.comparator, Comparator::Ge | Comparator::Gt);
        match cs.get(i + 1) {
            Some(n) if is_lower && matches!(n.comparator, Comparator::Le | Comparator::Lt) => {
                alts.push(vec![c, n.clone()]);
                i += 2;
            }
            _ => {
                alts.push(vec![c]);
                i += 1;
            }
        }
    }
    FirmwareRange::Alternatives(alts)
}

fn satisfies(version: &str, c: &FirmwareConstraint) -> Option<bool> {
    // `12.2.x.x`: compare only the known prefix.
    let (v, cv) = match c.version.find(".x") {
        Some(pos)
            if c.version[pos..]
                .chars()
                .all(|ch| ch == '.' || ch == 'x' || ch == 'X') =>
        {
            let keep = c.version[..pos].split('.').count();
            let nv = normalize(version);
            let vt: Vec<&str> = nv.split('.').take(keep).collect();
            (vt.join("."), c.version[..pos].to_string())
        }
        _ => (version.to_string(), c.version.clone()),
    };
    compare(&v, &cv).map(|o| c.comparator.accepts(o))
}

/// Whether `version` is in `range`. `Undetermined` whenever any needed comparison is.
pub fn in_range(version: &str, range: &FirmwareRange) -> Containment {
    match range {
        FirmwareRange::All => Containment::Inside,
        FirmwareRange::Unparsed(_) => Containment::Undetermined,
        FirmwareRange::Vers(r) => r.contains(version),
        FirmwareRange::Alternatives(alts) => {
            let mut undetermined = false;
            for alt in alts {
                let mut all = Some(true);
                for c in alt {
                    all = match (all, satisfies(version, c)) {
                        (Some(false), _) | (_, Some(false)) => Some(false),
                        (Some(true), Some(true)) => Some(true),
                        _ => None,
                    };
                }
                match all {
                    Some(true) => return Containment::Inside,
                    None => undetermined = true,
                    Some(false) => {}
                }
            }
            if undetermined {
                Containment::Undetermined
            } else {
                Containment::Outside
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equality_after_normalisation() {
        assert_eq!(compare("Ver.3.20", "3.20"), Some(Ordering::Equal));
        assert_eq!(
            compare("V2.1.0 build 1234", "v2.1.0  BUILD 1234"),
            Some(Ordering::Equal)
        );
        assert_eq!(
            compare("ＣＭＳ７.８２０", "cms7.820"),
            Some(Ordering::Equal)
        );
        assert_eq!(
            compare("CMS7.820.075.08/0.74(0.75)", "cms7.820.075.08/0.74(0.75)"),
            Some(Ordering::Equal)
        );
    }

    #[test]
    fn ordering_only_with_shared_structure() {
        assert_eq!(
            compare("CMS7.820.075.08/0.74(0.75)", "CMS7.820.075.09/0.74(0.75)"),
            Some(Ordering::Less)
        );
        assert_eq!(
            compare("V2.1.0 build 1234", "V2.1.0 build 1300"),
            Some(Ordering::Less)
        );
        assert_eq!(compare("1.5 SP2", "1.5 SP1"), Some(Ordering::Greater));
        assert_eq!(compare("Ver.3.20", "3.3"), Some(Ordering::Greater));
        assert_eq!(compare("4.1.1", "4.1.2"), Some(Ordering::Less));
        assert_eq!(compare("3.2", "3.2.1"), Some(Ordering::Less));
        // No shared structure: undetermined.
        assert_eq!(compare("CMS7.8", "7.9"), None);
        assert_eq!(compare("1.5 SP2", "1.5 build 3"), None);
        assert_eq!(compare("3.02", "3.2"), None);
        assert_eq!(compare("3.2", "3.2.0"), None);
        assert_eq!(compare("latest", "1.0"), None);
    }

    #[test]
    fn ranges_never_say_outside_without_evidence() {
        let r = parse_range("< 4.1.2");
        assert_eq!(in_range("4.1.1", &r), Containment::Inside);
        assert_eq!(in_range("4.1.2", &r), Containment::Outside);
        assert_eq!(in_range("Ver.4.0", &r), Containment::Inside);
        assert_eq!(in_range("CMS4.0", &r), Containment::Undetermined);
        let r = parse_range(">= 1.0.0 | <= 1.3.1");
        assert_eq!(in_range("1.2", &r), Containment::Inside);
        assert_eq!(in_range("1.4", &r), Containment::Outside);
        assert_eq!(in_range("0.9", &r), Containment::Outside);
        assert_eq!(
            in_range("anything", &parse_range("vers:all/*")),
            Containment::Inside
        );
        assert_eq!(
            in_range("1.0", &parse_range("< august 28")),
            Containment::Undetermined
        );
        assert_eq!(
            in_range("12.2.7.1", &parse_range("<= 12.2.x.x")),
            Containment::Inside
        );
        assert_eq!(
            in_range("12.3.0.0", &parse_range("<= 12.2.x.x")),
            Containment::Outside
        );
        let r = parse_range("vers:generic/<4.2");
        assert!(matches!(r, FirmwareRange::Vers(_)));
        assert_eq!(in_range("4.1", &r), Containment::Inside);
    }
}
