//! SemVer 2.0.0 precedence, used by `semver`, `npm`, `golang`, `cargo` and friends.
//!
//! Build metadata is ignored for precedence, as the SemVer spec (item 10) and node-semver's
//! `compare` do. See [`Mode`] for what each ecosystem accepts beyond the spec.

use super::util::{cmp_digits, cmp_lists, is_digits};
use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SemVer<'a> {
    pub major: &'a str,
    pub minor: &'a str,
    pub patch: &'a str,
    pub pre: Vec<&'a str>,
}

/// How much beyond SemVer 2.0.0 to accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Strict,
    /// node-semver's default (non-loose) parse: surrounding spaces and a leading `v` are accepted.
    Npm,
    /// Go modules: leading `v`, and `v1` / `v1.2` shorthands.
    Go,
}

pub fn parse(s: &str, mode: Mode) -> Result<SemVer<'_>, &'static str> {
    let mut s = s;
    let lenient = mode == Mode::Go;
    if mode != Mode::Strict {
        s = s.trim();
        s = s
            .strip_prefix('v')
            .or_else(|| s.strip_prefix('V'))
            .unwrap_or(s);
    }
    let core_pre = s.split_once('+').map_or(s, |(c, _)| c);
    if let Some((_, build)) = s.split_once('+') {
        if build
            .split('.')
            .any(|id| id.is_empty() || !id.bytes().all(ident_byte))
        {
            return Err("invalid build metadata");
        }
    }
    let (core, pre) = match core_pre.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (core_pre, None),
    };
    let mut parts = core.split('.');
    let major = parts.next().unwrap_or("");
    let minor = parts.next();
    let patch = parts.next();
    if parts.next().is_some() {
        return Err("more than three numeric components");
    }
    let (minor, patch) = match (minor, patch) {
        (Some(m), Some(p)) => (m, p),
        (m, None) if lenient => (m.unwrap_or("0"), "0"),
        _ => return Err("expected MAJOR.MINOR.PATCH"),
    };
    for n in [major, minor, patch] {
        if !is_digits(n) {
            return Err("version components must be numeric");
        }
        if n.len() > 1 && n.starts_with('0') {
            return Err("numeric component has a leading zero");
        }
    }
    let pre: Vec<&str> = match pre {
        Some(p) => p.split('.').collect(),
        None => Vec::new(),
    };
    for id in &pre {
        if id.is_empty() || !id.bytes().all(ident_byte) {
            return Err("invalid pre-release identifier");
        }
        if id.len() > 1 && id.starts_with('0') && is_digits(id) {
            return Err("numeric pre-release identifier has a leading zero");
        }
    }
    Ok(SemVer {
        major,
        minor,
        patch,
        pre,
    })
}

fn ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

pub fn cmp_parsed(a: &SemVer<'_>, b: &SemVer<'_>) -> Ordering {
    cmp_digits(a.major, b.major)
        .then_with(|| cmp_digits(a.minor, b.minor))
        .then_with(|| cmp_digits(a.patch, b.patch))
        .then_with(|| match (a.pre.is_empty(), b.pre.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => cmp_lists(&a.pre, &b.pre, |x, y| cmp_ident(x, y)),
        })
}

fn cmp_ident(a: &str, b: &str) -> Ordering {
    match (is_digits(a), is_digits(b)) {
        (true, true) => cmp_digits(a, b),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => a.cmp(b),
    }
}

pub fn compare(a: &str, b: &str, mode: Mode) -> Result<Ordering, &'static str> {
    Ok(cmp_parsed(&parse(a, mode)?, &parse(b, mode)?))
}
