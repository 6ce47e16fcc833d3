//! Smaller schemes: OpenSSL, NuGet, RubyGems, Conan, intdot, generic, lexicographic, RFC 3339 datetime.

use super::util::{cmp_digits, cmp_lists, is_digits, take_while};
use std::cmp::Ordering;

// ---------------------------------------------------------------- OpenSSL
/// `1.0.2zd`: dotted numbers then a letter suffix; letters order by length then alphabet
/// (`z` < `za`), which is how OpenSSL continued after `z`.
pub fn openssl(a: &str, b: &str) -> Result<Ordering, &'static str> {
    fn parse(s: &str) -> Result<(Vec<&str>, &str), &'static str> {
        let s = s.trim();
        let split = s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len());
        let (nums, letters) = s.split_at(split);
        let parts: Vec<&str> = nums.split('.').collect();
        if parts.iter().any(|p| !is_digits(p)) || !letters.bytes().all(|b| b.is_ascii_alphabetic())
        {
            return Err("not an OpenSSL version");
        }
        Ok((parts, letters))
    }
    let (na, la) = parse(a)?;
    let (nb, lb) = parse(b)?;
    let n = na.len().max(nb.len());
    for i in 0..n {
        let o = cmp_digits(
            na.get(i).copied().unwrap_or("0"),
            nb.get(i).copied().unwrap_or("0"),
        );
        if o != Ordering::Equal {
            return Ok(o);
        }
    }
    let (la, lb) = (la.to_ascii_lowercase(), lb.to_ascii_lowercase());
    Ok(la.len().cmp(&lb.len()).then_with(|| la.cmp(&lb)))
}

// ---------------------------------------------------------------- NuGet
/// NuGet SemVer 2 with up to four numeric parts; labels compare case-insensitively; metadata ignored.
pub fn nuget(a: &str, b: &str) -> Result<Ordering, &'static str> {
    fn parse(s: &str) -> Result<(Vec<&str>, Vec<String>), &'static str> {
        let s = s.trim();
        let s = s.split_once('+').map_or(s, |(v, _)| v);
        let (core, pre) = match s.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (s, None),
        };
        let nums: Vec<&str> = core.split('.').collect();
        if nums.len() > 4 || nums.iter().any(|n| !is_digits(n)) {
            return Err("not a NuGet version");
        }
        let labels: Vec<String> = match pre {
            Some(p) => p.split('.').map(|l| l.to_ascii_lowercase()).collect(),
            None => Vec::new(),
        };
        if labels.iter().any(|l| l.is_empty()) {
            return Err("empty pre-release label");
        }
        Ok((nums, labels))
    }
    let (na, la) = parse(a)?;
    let (nb, lb) = parse(b)?;
    for i in 0..4 {
        let o = cmp_digits(
            na.get(i).copied().unwrap_or("0"),
            nb.get(i).copied().unwrap_or("0"),
        );
        if o != Ordering::Equal {
            return Ok(o);
        }
    }
    Ok(match (la.is_empty(), lb.is_empty()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => cmp_lists(&la, &lb, |x, y| match (is_digits(x), is_digits(y)) {
            (true, true) => cmp_digits(x, y),
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            _ => x.cmp(y),
        }),
    })
}

// ---------------------------------------------------------------- RubyGems
#[derive(Debug, PartialEq, Eq)]
enum Seg<'a> {
    Num(&'a str),
    Str(&'a str),
}

fn gem_segments(v: &str) -> Result<Vec<Seg<'_>>, &'static str> {
    let mut out = Vec::new();
    let mut rest = v;
    while !rest.is_empty() {
        let c = rest.as_bytes()[0];
        if c.is_ascii_digit() {
            let (n, r) = take_while(rest, |b| b.is_ascii_digit());
            out.push(Seg::Num(n));
            rest = r;
        } else if c.is_ascii_alphabetic() {
            let (s, r) = take_while(rest, |b| b.is_ascii_alphabetic());
            out.push(Seg::Str(s));
            rest = r;
        } else {
            rest = &rest[rest.chars().next().map_or(1, char::len_utf8)..];
        }
    }
    Ok(out)
}

/// `Gem::Version#<=>`: `-` means `.pre.`; trailing zeros of the numeric and of the string part are
/// dropped; a string segment sorts before a number.
pub fn gem(a: &str, b: &str) -> Result<Ordering, &'static str> {
    fn valid(s: &str) -> bool {
        // ANCHORED_VERSION_PATTERN: [0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?
        let (main, pre) = match s.split_once('-') {
            Some((m, p)) => (m, Some(p)),
            None => (s, None),
        };
        let mut parts = main.split('.');
        let first_ok = parts.next().is_some_and(is_digits);
        let rest_ok = parts.all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric()));
        let pre_ok = pre.is_none_or(|p| {
            p.split('.')
                .all(|q| !q.is_empty() && q.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        });
        first_ok && rest_ok && pre_ok
    }
    fn canonical(s: &str) -> Result<Vec<Seg<'_>>, &'static str> {
        let segs = gem_segments(s)?;
        let split = segs
            .iter()
            .position(|s| matches!(s, Seg::Str(_)))
            .unwrap_or(segs.len());
        let (mut num, mut strs) = (segs, Vec::new());
        strs.extend(num.drain(split..));
        let is_zero = |s: &Seg<'_>| matches!(s, Seg::Num(n) if n.bytes().all(|b| b == b'0'));
        while num.last().is_some_and(is_zero) {
            num.pop();
        }
        while strs.last().is_some_and(is_zero) {
            strs.pop();
        }
        num.extend(strs);
        Ok(num)
    }
    let (a, b) = (a.trim(), b.trim());
    let a = if a.is_empty() { "0" } else { a };
    let b = if b.is_empty() { "0" } else { b };
    if !valid(a) || !valid(b) {
        return Err("malformed gem version");
    }
    let (ra, rb) = (a.replace('-', ".pre."), b.replace('-', ".pre."));
    let (ca, cb) = (canonical(&ra)?, canonical(&rb)?);
    let n = ca.len().max(cb.len());
    for i in 0..n {
        let l = ca.get(i).unwrap_or(&Seg::Num("0"));
        let r = cb.get(i).unwrap_or(&Seg::Num("0"));
        let o = match (l, r) {
            (Seg::Num(x), Seg::Num(y)) => cmp_digits(x, y),
            (Seg::Str(_), Seg::Num(_)) => Ordering::Less,
            (Seg::Num(_), Seg::Str(_)) => Ordering::Greater,
            (Seg::Str(x), Seg::Str(y)) => x.cmp(y),
        };
        if o != Ordering::Equal {
            return Ok(o);
        }
    }
    Ok(Ordering::Equal)
}

// ---------------------------------------------------------------- Conan
#[derive(Debug, Clone, PartialEq, Eq)]
enum CItem {
    Int(String),
    Str(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Conan {
    items: Vec<CItem>,
    pre: Option<Box<Conan>>,
    build: Option<Box<Conan>>,
}

fn conan_parse(s: &str, depth: usize) -> Conan {
    let mut value = s;
    let mut build = None;
    let mut pre = None;
    if depth < 4 {
        if let Some((v, b)) = value.rsplit_once('+') {
            value = v;
            build = Some(Box::new(conan_parse(b, depth + 1)));
        }
        if let Some((v, p)) = value.rsplit_once('-') {
            value = v;
            pre = Some(Box::new(conan_parse(p, depth + 1)));
        }
    }
    let mut items: Vec<CItem> = value
        .split('.')
        .map(|i| {
            if is_digits(i) {
                CItem::Int(i.trim_start_matches('0').to_string())
            } else {
                CItem::Str(i.to_string())
            }
        })
        .collect();
    while items
        .last()
        .is_some_and(|i| matches!(i, CItem::Int(n) if n.is_empty()))
    {
        items.pop();
    }
    Conan { items, pre, build }
}

fn cmp_citem(a: &CItem, b: &CItem) -> Ordering {
    match (a, b) {
        (CItem::Int(x), CItem::Int(y)) => cmp_digits(x, y),
        // Python falls back to comparing str() of both sides.
        (CItem::Int(x), CItem::Str(y)) => display_int(x).as_str().cmp(y.as_str()),
        (CItem::Str(x), CItem::Int(y)) => x.as_str().cmp(display_int(y).as_str()),
        (CItem::Str(x), CItem::Str(y)) => x.cmp(y),
    }
}

fn display_int(s: &str) -> String {
    if s.is_empty() {
        "0".into()
    } else {
        s.into()
    }
}

fn cmp_opt(a: &Option<Box<Conan>>, b: &Option<Box<Conan>>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => cmp_conan(x, y),
    }
}

fn cmp_conan(a: &Conan, b: &Conan) -> Ordering {
    let items = cmp_lists(&a.items, &b.items, cmp_citem);
    match (&a.pre, &b.pre) {
        (Some(_), Some(_)) => items
            .then_with(|| cmp_opt(&a.pre, &b.pre))
            .then_with(|| cmp_opt(&a.build, &b.build)),
        (Some(_), None) => {
            if items == Ordering::Equal {
                Ordering::Less
            } else {
                items
            }
        }
        (None, Some(_)) => {
            if items == Ordering::Equal {
                Ordering::Greater
            } else {
                items
            }
        }
        (None, None) => items.then_with(|| cmp_opt(&a.build, &b.build)),
    }
}

/// Conan 2 `Version` ordering: dotted items (numbers numerically, otherwise as text), `-pre`
/// sorts before the release, `+build` after; trailing zero items are ignored.
pub fn conan(a: &str, b: &str) -> Result<Ordering, &'static str> {
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() || b.is_empty() {
        return Err("empty version");
    }
    Ok(cmp_conan(&conan_parse(a, 0), &conan_parse(b, 0)))
}

// ---------------------------------------------------------------- intdot, generic, lexicographic
/// Dot-separated non-negative integers; missing components count as zero.
pub fn intdot(a: &str, b: &str) -> Result<Ordering, &'static str> {
    let pa: Vec<&str> = a.trim().split('.').collect();
    let pb: Vec<&str> = b.trim().split('.').collect();
    if pa.iter().chain(pb.iter()).any(|p| !is_digits(p)) {
        return Err("intdot versions are dot-separated integers");
    }
    for i in 0..pa.len().max(pb.len()) {
        let o = cmp_digits(
            pa.get(i).copied().unwrap_or("0"),
            pb.get(i).copied().unwrap_or("0"),
        );
        if o != Ordering::Equal {
            return Ok(o);
        }
    }
    Ok(Ordering::Equal)
}

/// Unicode code point order, which for UTF-8 equals byte order; no normalisation.
pub fn lexicographic(a: &str, b: &str) -> Ordering {
    a.as_bytes().cmp(b.as_bytes())
}

// ---------------------------------------------------------------- datetime
/// RFC 3339 timestamp → (seconds since 1970 in UTC, nanoseconds).
pub fn parse_datetime(s: &str) -> Result<(i64, u32), &'static str> {
    const E: &str = "not an RFC 3339 timestamp";
    let b = s.as_bytes();
    if b.len() < 20 {
        return Err(E);
    }
    let num = |r: std::ops::Range<usize>| -> Result<i64, &'static str> {
        let t = s.get(r).ok_or(E)?;
        if !is_digits(t) {
            return Err(E);
        }
        t.parse::<i64>().map_err(|_| E)
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't')
        || b[13] != b':'
        || b[16] != b':'
    {
        return Err(E);
    }
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return Err(E);
    }
    let mut i = 19;
    let mut nanos: u32 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let (frac, _) = take_while(s.get(i..).unwrap_or(""), |c| c.is_ascii_digit());
        if frac.is_empty() {
            return Err(E);
        }
        for (k, c) in frac.bytes().take(9).enumerate() {
            nanos += u32::from(c - b'0') * 10u32.pow(8 - k as u32);
        }
        i += frac.len();
    }
    let offset = match s.get(i..) {
        Some("Z") | Some("z") => 0,
        Some(tz)
            if tz.len() == 6
                && (tz.starts_with('+') || tz.starts_with('-'))
                && tz.as_bytes()[3] == b':' =>
        {
            let oh = num(i + 1..i + 3)?;
            let om = num(i + 4..i + 6)?;
            let o = oh * 3600 + om * 60;
            if tz.starts_with('-') {
                -o
            } else {
                o
            }
        }
        _ => return Err(E),
    };
    // days from civil (Howard Hinnant's algorithm)
    let yy = if mo <= 2 { y - 1 } else { y };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Ok((days * 86_400 + h * 3600 + mi * 60 + se - offset, nanos))
}

pub fn datetime(a: &str, b: &str) -> Result<Ordering, &'static str> {
    Ok(parse_datetime(a.trim())?.cmp(&parse_datetime(b.trim())?))
}
