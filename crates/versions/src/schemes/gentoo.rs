//! Gentoo ebuild version ordering (Package Manager Specification, section 3.3).

use super::util::{cmp_digits, take_while};
use std::cmp::Ordering;

struct Gentoo<'a> {
    numbers: Vec<&'a str>,
    letter: Option<u8>,
    suffixes: Vec<(u8, &'a str)>,
    revision: &'a str,
}

const SUFFIXES: [&str; 5] = ["alpha", "beta", "pre", "rc", "p"];

fn parse(s: &str) -> Result<Gentoo<'_>, &'static str> {
    let s = s.trim();
    let (first, mut rest) = take_while(s, |b| b.is_ascii_digit());
    if first.is_empty() {
        return Err("version must start with a number");
    }
    let mut numbers = vec![first];
    while let Some(r) = rest.strip_prefix('.') {
        let (n, r2) = take_while(r, |b| b.is_ascii_digit());
        if n.is_empty() {
            return Err("empty numeric component");
        }
        numbers.push(n);
        rest = r2;
    }
    let mut letter = None;
    if let Some(c) = rest.bytes().next().filter(|c| c.is_ascii_lowercase()) {
        letter = Some(c);
        rest = &rest[1..];
    }
    let mut suffixes = Vec::new();
    while let Some(r) = rest.strip_prefix('_') {
        // Longest match first: "pre" and "p" share a prefix.
        let (word, r2) = take_while(r, |b| b.is_ascii_lowercase());
        let k = SUFFIXES
            .iter()
            .position(|x| *x == word)
            .ok_or("unknown suffix")?;
        let (n, r3) = take_while(r2, |b| b.is_ascii_digit());
        suffixes.push((k as u8, n));
        rest = r3;
    }
    let mut revision = "0";
    if let Some(r) = rest.strip_prefix("-r") {
        let (n, r2) = take_while(r, |b| b.is_ascii_digit());
        if n.is_empty() {
            return Err("empty revision");
        }
        revision = n;
        rest = r2;
    }
    if !rest.is_empty() {
        return Err("trailing characters in version");
    }
    Ok(Gentoo {
        numbers,
        letter,
        suffixes,
        revision,
    })
}

fn cmp_component(a: &str, b: &str) -> Ordering {
    if a.starts_with('0') || b.starts_with('0') {
        a.trim_end_matches('0').cmp(b.trim_end_matches('0'))
    } else {
        cmp_digits(a, b)
    }
}

pub fn compare(a: &str, b: &str) -> Result<Ordering, &'static str> {
    let (x, y) = (parse(a)?, parse(b)?);
    let mut o = cmp_digits(x.numbers[0], y.numbers[0]);
    let n = x.numbers.len().max(y.numbers.len());
    for i in 1..n {
        if o != Ordering::Equal {
            break;
        }
        o = match (x.numbers.get(i), y.numbers.get(i)) {
            (Some(p), Some(q)) => cmp_component(p, q),
            (Some(_), None) => Ordering::Greater,
            (None, Some(_)) => Ordering::Less,
            (None, None) => Ordering::Equal,
        };
    }
    if o != Ordering::Equal {
        return Ok(o);
    }
    o = x.letter.cmp(&y.letter);
    if o != Ordering::Equal {
        return Ok(o);
    }
    let n = x.suffixes.len().max(y.suffixes.len());
    for i in 0..n {
        o = match (x.suffixes.get(i), y.suffixes.get(i)) {
            (Some((k1, n1)), Some((k2, n2))) => k1.cmp(k2).then_with(|| cmp_digits(n1, n2)),
            // An extra suffix makes a version newer only if it is _p.
            (Some((k, _)), None) => {
                if *k == 4 {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
            (None, Some((k, _))) => {
                if *k == 4 {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            }
            (None, None) => Ordering::Equal,
        };
        if o != Ordering::Equal {
            return Ok(o);
        }
    }
    Ok(cmp_digits(x.revision, y.revision))
}
