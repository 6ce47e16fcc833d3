//! RPM (`rpmvercmp` with `~` and `^`, epoch:version-release) and Arch Linux ALPM (pacman's older
//! `rpmvercmp`: separator length matters, no `~`/`^`, a trailing letter run sorts before the end).

use super::util::cmp_digits;
use std::cmp::Ordering;

/// rpm's `rpmvercmp`.
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0usize, 0usize);
    let sep = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    loop {
        while i < a.len() && sep(a[i]) {
            i += 1;
        }
        while j < b.len() && sep(b[j]) {
            j += 1;
        }
        let (ca, cb) = (a.get(i).copied(), b.get(j).copied());
        if ca.is_none() && cb.is_none() {
            return Ordering::Equal;
        }
        if ca == Some(b'~') || cb == Some(b'~') {
            if ca != Some(b'~') {
                return Ordering::Greater;
            }
            if cb != Some(b'~') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if ca == Some(b'^') || cb == Some(b'^') {
            if ca.is_none() {
                return Ordering::Less;
            }
            if cb.is_none() {
                return Ordering::Greater;
            }
            if ca != Some(b'^') {
                return Ordering::Greater;
            }
            if cb != Some(b'^') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        let (Some(ca), Some(_)) = (ca, cb) else { break };
        let isnum = ca.is_ascii_digit();
        let class = |c: u8| {
            if isnum {
                c.is_ascii_digit()
            } else {
                c.is_ascii_alphabetic()
            }
        };
        let si = i;
        while i < a.len() && class(a[i]) {
            i += 1;
        }
        let sj = j;
        while j < b.len() && class(b[j]) {
            j += 1;
        }
        if sj == j {
            return if isnum {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let sa = std::str::from_utf8(&a[si..i]).unwrap_or("");
        let sb = std::str::from_utf8(&b[sj..j]).unwrap_or("");
        let o = if isnum {
            cmp_digits(sa, sb)
        } else {
            sa.cmp(sb)
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    match (i < a.len(), j < b.len()) {
        (false, false) => Ordering::Equal,
        (true, _) => Ordering::Greater,
        _ => Ordering::Less,
    }
}

/// pacman's `rpmvercmp` (lib/libalpm/version.c).
pub fn alpm_vercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0usize, 0usize);
    while i < a.len() && j < b.len() {
        let (pi, pj) = (i, j);
        while i < a.len() && !a[i].is_ascii_alphanumeric() {
            i += 1;
        }
        while j < b.len() && !b[j].is_ascii_alphanumeric() {
            j += 1;
        }
        if i >= a.len() || j >= b.len() {
            break;
        }
        if i - pi != j - pj {
            return (i - pi).cmp(&(j - pj));
        }
        let isnum = a[i].is_ascii_digit();
        let class = |c: u8| {
            if isnum {
                c.is_ascii_digit()
            } else {
                c.is_ascii_alphabetic()
            }
        };
        let si = i;
        while i < a.len() && class(a[i]) {
            i += 1;
        }
        let sj = j;
        while j < b.len() && class(b[j]) {
            j += 1;
        }
        if sj == j {
            return if isnum {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let sa = std::str::from_utf8(&a[si..i]).unwrap_or("");
        let sb = std::str::from_utf8(&b[sj..j]).unwrap_or("");
        let o = if isnum {
            cmp_digits(sa, sb)
        } else {
            sa.cmp(sb)
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    let (ra, rb) = (a.get(i).copied(), b.get(j).copied());
    match (ra, rb) {
        (None, None) => Ordering::Equal,
        _ if (ra.is_none() && !rb.is_some_and(|c| c.is_ascii_alphabetic()))
            || ra.is_some_and(|c| c.is_ascii_alphabetic()) =>
        {
            Ordering::Less
        }
        _ => Ordering::Greater,
    }
}

/// epoch:version-release; the release is `None` when absent.
pub fn split_evr(s: &str) -> (&str, &str, Option<&str>) {
    let s = s.trim();
    let (epoch, rest) = match s.split_once(':') {
        Some((e, r)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => (e, r),
        _ => ("0", s),
    };
    match rest.rsplit_once('-') {
        Some((v, r)) => (epoch, v, Some(r)),
        None => (epoch, rest, None),
    }
}

fn evr_compare(
    a: &str,
    b: &str,
    cmp: fn(&str, &str) -> Ordering,
    release_if_both: bool,
) -> Result<Ordering, &'static str> {
    if a.trim().is_empty() || b.trim().is_empty() {
        return Err("empty version");
    }
    let (ea, va, ra) = split_evr(a);
    let (eb, vb, rb) = split_evr(b);
    let mut o = cmp_digits(ea, eb).then_with(|| cmp(va, vb));
    if o == Ordering::Equal {
        match (ra, rb) {
            (Some(ra), Some(rb)) => o = cmp(ra, rb),
            _ if release_if_both => {}
            _ => o = cmp(ra.unwrap_or(""), rb.unwrap_or("")),
        }
    }
    Ok(o)
}

pub fn compare_rpm(a: &str, b: &str) -> Result<Ordering, &'static str> {
    evr_compare(a, b, rpmvercmp, false)
}

pub fn compare_alpm(a: &str, b: &str) -> Result<Ordering, &'static str> {
    evr_compare(a, b, alpm_vercmp, true)
}
