//! PEP 440 versions (PyPI): parsing of the permissive grammar and the ordering of `packaging`.

use super::util::{cmp_digits, cmp_lists, is_digits};
use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pep440 {
    pub epoch: String,
    pub release: Vec<String>,
    /// (0 = a, 1 = b, 2 = rc, number)
    pub pre: Option<(u8, String)>,
    pub post: Option<String>,
    pub dev: Option<String>,
    pub local: Option<Vec<String>>,
}

struct Cur<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cur<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn digits(&mut self) -> Option<String> {
        let start = self.i;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.i += 1;
        }
        (self.i > start).then(|| String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }
    fn sep(&mut self, seps: &[u8]) -> bool {
        if self.peek().is_some_and(|b| seps.contains(&b)) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn word(&mut self, words: &[&str]) -> Option<usize> {
        let rest = &self.s[self.i.min(self.s.len())..];
        for (k, w) in words.iter().enumerate() {
            if rest.len() >= w.len() && rest[..w.len()].eq_ignore_ascii_case(w.as_bytes()) {
                self.i += w.len();
                return Some(k);
            }
        }
        None
    }
}

const SEPS: &[u8] = b"-_.";

pub fn parse(input: &str) -> Result<Pep440, &'static str> {
    let t = input.trim();
    let mut c = Cur {
        s: t.as_bytes(),
        i: 0,
    };
    if matches!(c.peek(), Some(b'v') | Some(b'V')) {
        c.i += 1;
    }
    let first = c.digits().ok_or("expected a release number")?;
    let mut epoch = "0".to_string();
    let mut release = vec![first];
    if c.peek() == Some(b'!') {
        c.i += 1;
        epoch = release.pop().unwrap_or_default();
        release.push(
            c.digits()
                .ok_or("expected a release number after the epoch")?,
        );
    }
    while c.peek() == Some(b'.') && c.s.get(c.i + 1).is_some_and(|b| b.is_ascii_digit()) {
        c.i += 1;
        release.push(c.digits().unwrap_or_default());
    }
    // Pre-release: [-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?N?
    let save = c.i;
    c.sep(SEPS);
    let pre = match c.word(&["alpha", "a", "beta", "b", "preview", "pre", "c", "rc"]) {
        Some(k) => {
            let kind = match k {
                0 | 1 => 0,
                2 | 3 => 1,
                _ => 2,
            };
            let before = c.i;
            c.sep(SEPS);
            let n = match c.digits() {
                Some(n) => n,
                None => {
                    c.i = before;
                    "0".into()
                }
            };
            Some((kind, n))
        }
        None => {
            c.i = save;
            None
        }
    };
    // Post-release: -N | [-_.]?(post|rev|r)[-_.]?N?
    let save = c.i;
    let mut post = None;
    if c.peek() == Some(b'-') && c.s.get(c.i + 1).is_some_and(|b| b.is_ascii_digit()) {
        c.i += 1;
        post = c.digits();
    } else {
        c.sep(SEPS);
        if c.word(&["post", "rev", "r"]).is_some() {
            let before = c.i;
            c.sep(SEPS);
            post = Some(c.digits().unwrap_or_else(|| {
                c.i = before;
                "0".into()
            }));
        } else {
            c.i = save;
        }
    }
    // Dev release: [-_.]?dev[-_.]?N?
    let save = c.i;
    c.sep(SEPS);
    let dev = if c.word(&["dev"]).is_some() {
        let before = c.i;
        c.sep(SEPS);
        Some(c.digits().unwrap_or_else(|| {
            c.i = before;
            "0".into()
        }))
    } else {
        c.i = save;
        None
    };
    let local = if c.peek() == Some(b'+') {
        let rest = t.get(c.i + 1..).unwrap_or("");
        c.i = t.len();
        let parts: Vec<String> = rest
            .split(['-', '_', '.'])
            .map(|p| p.to_ascii_lowercase())
            .collect();
        if parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_alphanumeric()))
        {
            return Err("invalid local version label");
        }
        Some(parts)
    } else {
        None
    };
    if c.i != t.len() {
        return Err("not a PEP 440 version");
    }
    Ok(Pep440 {
        epoch,
        release,
        pre,
        post,
        dev,
        local,
    })
}

impl Pep440 {
    /// The normalised form (`1.0.0-alpha1` → `1.0.0a1`).
    pub fn normalized(&self) -> String {
        let trim = |s: &String| {
            let t = s.trim_start_matches('0');
            if t.is_empty() {
                "0".to_string()
            } else {
                t.to_string()
            }
        };
        let mut out = String::new();
        if trim(&self.epoch) != "0" {
            out.push_str(&trim(&self.epoch));
            out.push('!');
        }
        out.push_str(&self.release.iter().map(trim).collect::<Vec<_>>().join("."));
        if let Some((k, n)) = &self.pre {
            out.push_str(["a", "b", "rc"][usize::from(*k).min(2)]);
            out.push_str(&trim(n));
        }
        if let Some(n) = &self.post {
            out.push_str(".post");
            out.push_str(&trim(n));
        }
        if let Some(n) = &self.dev {
            out.push_str(".dev");
            out.push_str(&trim(n));
        }
        if let Some(l) = &self.local {
            out.push('+');
            out.push_str(
                &l.iter()
                    .map(|p| if is_digits(p) { trim(p) } else { p.clone() })
                    .collect::<Vec<_>>()
                    .join("."),
            );
        }
        out
    }
}

/// A sort key slot that may be "-infinity" or "+infinity" as in `packaging`'s `_cmpkey`.
#[derive(PartialEq, Eq)]
enum Slot<'a> {
    NegInf,
    Val(u8, &'a str),
    PosInf,
}

fn cmp_slot(a: &Slot<'_>, b: &Slot<'_>) -> Ordering {
    use Slot::*;
    match (a, b) {
        (NegInf, NegInf) | (PosInf, PosInf) => Ordering::Equal,
        (NegInf, _) | (_, PosInf) => Ordering::Less,
        (_, NegInf) | (PosInf, _) => Ordering::Greater,
        (Val(k1, n1), Val(k2, n2)) => k1.cmp(k2).then_with(|| cmp_digits(n1, n2)),
    }
}

pub fn cmp_parsed(a: &Pep440, b: &Pep440) -> Ordering {
    fn release(v: &Pep440) -> &[String] {
        let mut r = v.release.as_slice();
        while let Some((last, rest)) = r.split_last() {
            if last.bytes().all(|b| b == b'0') {
                r = rest;
            } else {
                break;
            }
        }
        r
    }
    fn pre(v: &Pep440) -> Slot<'_> {
        match &v.pre {
            None if v.post.is_none() && v.dev.is_some() => Slot::NegInf,
            None => Slot::PosInf,
            Some((k, n)) => Slot::Val(*k, n),
        }
    }
    fn post(v: &Pep440) -> Slot<'_> {
        v.post.as_deref().map_or(Slot::NegInf, |n| Slot::Val(0, n))
    }
    fn dev(v: &Pep440) -> Slot<'_> {
        v.dev.as_deref().map_or(Slot::PosInf, |n| Slot::Val(0, n))
    }
    cmp_digits(&a.epoch, &b.epoch)
        .then_with(|| cmp_lists(release(a), release(b), |x, y| cmp_digits(x, y)))
        .then_with(|| cmp_slot(&pre(a), &pre(b)))
        .then_with(|| cmp_slot(&post(a), &post(b)))
        .then_with(|| cmp_slot(&dev(a), &dev(b)))
        .then_with(|| match (&a.local, &b.local) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => cmp_lists(x, y, |p, q| match (is_digits(p), is_digits(q)) {
                (true, true) => cmp_digits(p, q),
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => p.cmp(q),
            }),
        })
}

pub fn compare(a: &str, b: &str) -> Result<Ordering, &'static str> {
    Ok(cmp_parsed(&parse(a)?, &parse(b)?))
}
