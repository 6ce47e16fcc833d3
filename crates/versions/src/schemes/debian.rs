//! Debian version ordering, as `dpkg --compare-versions` (epoch:upstream-revision, `verrevcmp`).

use super::util::cmp_digits;
use std::cmp::Ordering;

pub struct Deb<'a> {
    pub epoch: &'a str,
    pub upstream: &'a str,
    pub revision: &'a str,
}

pub fn parse(s: &str) -> Result<Deb<'_>, &'static str> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty version");
    }
    let (epoch, rest) = match s.split_once(':') {
        Some((e, r)) => {
            if e.is_empty() || !e.bytes().all(|b| b.is_ascii_digit()) {
                return Err("epoch is not a number");
            }
            (e, r)
        }
        None => ("0", s),
    };
    let (upstream, revision) = match rest.rsplit_once('-') {
        Some((u, r)) => (u, r),
        None => (rest, ""),
    };
    if upstream.is_empty() {
        return Err("empty upstream version");
    }
    let ok = |b: u8| b.is_ascii_alphanumeric() || b".+~-:".contains(&b);
    if !upstream.bytes().all(ok) || !revision.bytes().all(|b| ok(b) && b != b'-' && b != b':') {
        return Err("invalid character in version");
    }
    Ok(Deb {
        epoch,
        upstream,
        revision,
    })
}

fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp`.
pub fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0usize, 0usize);
    while i < a.len() || j < b.len() {
        let mut first_diff = 0i32;
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let ac = order(a.get(i).copied());
            let bc = order(b.get(j).copied());
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        let si = i;
        while i < a.len() && a[i].is_ascii_digit() {
            i += 1;
        }
        let sj = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        let da = std::str::from_utf8(&a[si.min(a.len())..i.min(a.len())]).unwrap_or("");
        let db = std::str::from_utf8(&b[sj.min(b.len())..j.min(b.len())]).unwrap_or("");
        let o = cmp_digits(da, db);
        if o != Ordering::Equal {
            first_diff = if o == Ordering::Less { -1 } else { 1 };
        }
        if first_diff != 0 {
            return first_diff.cmp(&0);
        }
    }
    Ordering::Equal
}

pub fn compare(a: &str, b: &str) -> Result<Ordering, &'static str> {
    let (x, y) = (parse(a)?, parse(b)?);
    Ok(cmp_digits(x.epoch, y.epoch)
        .then_with(|| verrevcmp(x.upstream, y.upstream))
        .then_with(|| verrevcmp(x.revision, y.revision)))
}
