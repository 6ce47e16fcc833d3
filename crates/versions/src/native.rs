//! Ecosystem range syntaxes → `vers:` ranges: npm (node-semver ranges), Conan, PyPI (PEP 440
//! specifiers), NuGet intervals, RubyGems requirements, nginx advisory notation, OpenSSL lists.
//! Output constraints are sorted by version and not simplified, as vers-spec's from_native tests expect.

use crate::vers::{Comparator, Constraint, VersRange};
use crate::{VersionError, MAX_VERS_CONSTRAINTS, MAX_VERS_LEN};

fn err(input: &str, reason: impl Into<String>) -> VersionError {
    VersionError::Range {
        input: input.chars().take(200).collect(),
        reason: reason.into(),
    }
}

/// Convert `native` written in `scheme`'s own syntax.
pub fn from_native(scheme: &str, native: &str) -> Result<VersRange, VersionError> {
    if native.len() > MAX_VERS_LEN {
        return Err(VersionError::TooLong {
            len: native.len(),
            limit: MAX_VERS_LEN,
        });
    }
    let scheme_l = scheme.to_ascii_lowercase();
    let cs = match scheme_l.as_str() {
        "npm" => npm(native)?,
        "conan" => conan(native)?,
        "pypi" => pypi(native)?,
        "nuget" => nuget(native)?,
        "gem" => gem(native)?,
        "nginx" => nginx(native)?,
        "openssl" => openssl(native)?,
        _ => {
            return Err(err(
                native,
                format!("no native range syntax known for scheme {scheme:?}"),
            ))
        }
    };
    if cs.len() > MAX_VERS_CONSTRAINTS {
        return Err(err(
            native,
            format!("more than {MAX_VERS_CONSTRAINTS} constraints"),
        ));
    }
    VersRange::new(&scheme_l, cs)
}

fn op(s: &str) -> (Comparator, &str) {
    for (p, c) in [
        ("!=", Comparator::Ne),
        ("<=", Comparator::Le),
        (">=", Comparator::Ge),
        ("==", Comparator::Eq),
        ("<", Comparator::Lt),
        (">", Comparator::Gt),
        ("=", Comparator::Eq),
    ] {
        if let Some(r) = s.strip_prefix(p) {
            return (c, r.trim_start());
        }
    }
    (Comparator::Eq, s)
}

/// Join operators separated from their version by spaces (`>= 1.0` → `>=1.0`).
fn tokens(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in s.split_whitespace() {
        match out.last_mut() {
            Some(last) if !last.is_empty() && last.bytes().all(|b| b"<>=!~^".contains(&b)) => {
                last.push_str(t)
            }
            _ => out.push(t.to_string()),
        }
    }
    out
}

// ------------------------------------------------------------------ npm
struct Partial {
    parts: Vec<Option<u64>>, // None = wildcard
    pre: String,             // "-rc.1" including the dash, or ""
}

fn npm_partial(s: &str) -> Option<Partial> {
    let s = s.trim_start_matches(['v', 'V', '=']);
    let s = s.split_once('+').map_or(s, |(v, _)| v);
    let (core, pre) = match s.split_once('-') {
        Some((c, p)) => (c, format!("-{p}")),
        None => (s, String::new()),
    };
    let mut parts = Vec::new();
    for p in core.split('.') {
        if matches!(p, "x" | "X" | "*") {
            parts.push(None);
        } else {
            parts.push(Some(p.parse::<u64>().ok()?));
        }
    }
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    Some(Partial { parts, pre })
}

fn ver3(p: &[Option<u64>], pre: &str) -> String {
    let g = |i: usize| p.get(i).copied().flatten().unwrap_or(0);
    format!("{}.{}.{}{}", g(0), g(1), g(2), pre)
}

fn npm(native: &str) -> Result<Vec<Constraint>, VersionError> {
    let mut out = Vec::new();
    for set in native.split("||") {
        let set = set.trim();
        if set.is_empty() || set == "*" || set.eq_ignore_ascii_case("x") {
            return Ok(vec![Constraint::new(Comparator::Any, "")]);
        }
        // Hyphen range "A - B".
        let toks: Vec<&str> = set.split_whitespace().collect();
        if toks.len() == 3 && toks[1] == "-" {
            let lo =
                npm_partial(toks[0]).ok_or_else(|| err(native, "bad version in hyphen range"))?;
            let hi =
                npm_partial(toks[2]).ok_or_else(|| err(native, "bad version in hyphen range"))?;
            out.push(Constraint::new(Comparator::Ge, ver3(&lo.parts, &lo.pre)));
            let known = hi.parts.iter().take_while(|p| p.is_some()).count();
            if known >= 3 {
                out.push(Constraint::new(Comparator::Le, ver3(&hi.parts, &hi.pre)));
            } else if known > 0 {
                out.push(Constraint::new(Comparator::Lt, bump(&hi.parts, known - 1)));
            }
            continue;
        }
        for t in tokens(set) {
            let (kind, rest) = if let Some(r) = t.strip_prefix('^') {
                ('^', r)
            } else if let Some(r) = t.strip_prefix("~>").or_else(|| t.strip_prefix('~')) {
                ('~', r)
            } else {
                (' ', t.as_str())
            };
            let (cmp, v) = if kind == ' ' {
                op(rest)
            } else {
                (Comparator::Eq, rest)
            };
            let p = npm_partial(v).ok_or_else(|| err(native, format!("bad npm version {v:?}")))?;
            let known = p.parts.iter().take_while(|x| x.is_some()).count();
            let wildcard = known < p.parts.len();
            match kind {
                '^' => {
                    out.push(Constraint::new(Comparator::Ge, ver3(&p.parts, &p.pre)));
                    let first_nonzero = p.parts.iter().take(known).position(|x| *x != Some(0));
                    let idx = match first_nonzero {
                        Some(i) => i,
                        None => known.saturating_sub(1),
                    };
                    if known > 0 {
                        out.push(Constraint::new(
                            Comparator::Lt,
                            bump(&p.parts, idx.min(known - 1)),
                        ));
                    }
                }
                '~' => {
                    out.push(Constraint::new(Comparator::Ge, ver3(&p.parts, &p.pre)));
                    let idx = if known >= 2 { 1 } else { 0 };
                    if known > 0 {
                        out.push(Constraint::new(Comparator::Lt, bump(&p.parts, idx)));
                    }
                }
                _ if wildcard => {
                    if known == 0 {
                        return Ok(vec![Constraint::new(Comparator::Any, "")]);
                    }
                    out.push(Constraint::new(Comparator::Ge, ver3(&p.parts, "")));
                    out.push(Constraint::new(Comparator::Lt, bump(&p.parts, known - 1)));
                }
                _ => out.push(Constraint::new(cmp, ver3(&p.parts, &p.pre))),
            }
        }
    }
    Ok(out)
}

/// Increment component `idx` and zero the rest: `bump([1,2,3], 1)` = `1.3.0`.
fn bump(p: &[Option<u64>], idx: usize) -> String {
    let mut v: Vec<u64> = (0..3)
        .map(|i| p.get(i).copied().flatten().unwrap_or(0))
        .collect();
    if let Some(x) = v.get_mut(idx) {
        *x = x.saturating_add(1);
    }
    for x in v.iter_mut().skip(idx + 1) {
        *x = 0;
    }
    format!("{}.{}.{}", v[0], v[1], v[2])
}

// ------------------------------------------------------------------ Conan
fn conan(native: &str) -> Result<Vec<Constraint>, VersionError> {
    // Options after a comma (`include_prerelease=True`) do not change the set of versions.
    let body = native.split(',').next().unwrap_or("");
    let mut out = Vec::new();
    for set in body.split("||") {
        for t in tokens(set) {
            let t = t.as_str();
            if t == "*" || t == "*-" {
                out.push(Constraint::new(Comparator::Ge, "0.0.0"));
                continue;
            }
            if let Some(v) = t.strip_prefix('~').or_else(|| t.strip_prefix('^')) {
                let v = v.trim_end_matches('-');
                let parts: Vec<&str> = v.split('.').collect();
                let idx = if t.starts_with('~') {
                    usize::from(parts.len() > 1)
                } else {
                    parts
                        .iter()
                        .position(|p| !p.trim_start_matches('0').is_empty())
                        .unwrap_or(parts.len().saturating_sub(1))
                };
                out.push(Constraint::new(Comparator::Ge, v));
                let mut upper: Vec<String> =
                    parts.iter().take(idx + 1).map(|s| s.to_string()).collect();
                if let Some(last) = upper.last_mut() {
                    let n: u64 = last
                        .parse()
                        .map_err(|_| err(native, "non-numeric component in ~ or ^ range"))?;
                    *last = n.saturating_add(1).to_string();
                }
                out.push(Constraint::new(
                    Comparator::Lt,
                    format!("{}-", upper.join(".")),
                ));
                continue;
            }
            let (cmp, v) = op(t);
            let v = if matches!(cmp, Comparator::Gt | Comparator::Ge) {
                v.trim_end_matches('-')
            } else {
                v
            };
            if v.is_empty() {
                return Err(err(native, "operator without a version"));
            }
            out.push(Constraint::new(cmp, v));
        }
    }
    Ok(out)
}

// ------------------------------------------------------------------ PyPI
fn pypi(native: &str) -> Result<Vec<Constraint>, VersionError> {
    let mut out = Vec::new();
    for spec in native.split(',') {
        let spec: String = spec.chars().filter(|c| !c.is_whitespace()).collect();
        if spec.is_empty() {
            continue;
        }
        if let Some(v) = spec.strip_prefix("~=") {
            let parts: Vec<&str> = v.split('.').collect();
            if parts.len() < 2 {
                return Err(err(native, "~= needs at least two release components"));
            }
            out.push(Constraint::new(Comparator::Ge, v));
            let mut up: Vec<String> = parts[..parts.len() - 1]
                .iter()
                .map(|s| s.to_string())
                .collect();
            if let Some(last) = up.last_mut() {
                let n: u64 = last
                    .parse()
                    .map_err(|_| err(native, "non-numeric component after ~="))?;
                *last = n.saturating_add(1).to_string();
            }
            out.push(Constraint::new(Comparator::Lt, up.join(".")));
            continue;
        }
        let spec = spec
            .strip_prefix("===")
            .map(|v| format!("=={v}"))
            .unwrap_or(spec);
        let (cmp, v) = op(&spec);
        if v.is_empty() || v.contains('*') {
            return Err(err(native, format!("unsupported specifier {spec:?}")));
        }
        out.push(Constraint::new(cmp, v));
    }
    Ok(out)
}

// ------------------------------------------------------------------ NuGet
fn nuget(native: &str) -> Result<Vec<Constraint>, VersionError> {
    let s = native.trim();
    let (Some(first), Some(last)) = (s.chars().next(), s.chars().last()) else {
        return Err(err(native, "empty range"));
    };
    if !matches!(first, '[' | '(') {
        // A bare version means "this version or later".
        return Ok(vec![Constraint::new(Comparator::Ge, s)]);
    }
    if !matches!(last, ']' | ')') || s.len() < 2 {
        return Err(err(native, "unclosed interval"));
    }
    // Both ends are ASCII brackets here, so these are char boundaries.
    let inner = s.get(1..s.len() - 1).unwrap_or("");
    let mut out = Vec::new();
    match inner.split_once(',') {
        None => {
            if first != '[' || last != ']' {
                return Err(err(native, "an exact version needs [x]"));
            }
            out.push(Constraint::new(Comparator::Eq, inner.trim()));
        }
        Some((lo, hi)) => {
            let (lo, hi) = (lo.trim(), hi.trim());
            if !lo.is_empty() {
                out.push(Constraint::new(
                    if first == '[' {
                        Comparator::Ge
                    } else {
                        Comparator::Gt
                    },
                    lo,
                ));
            }
            if !hi.is_empty() {
                out.push(Constraint::new(
                    if last == ']' {
                        Comparator::Le
                    } else {
                        Comparator::Lt
                    },
                    hi,
                ));
            }
        }
    }
    Ok(out)
}

// ------------------------------------------------------------------ RubyGems
fn gem(native: &str) -> Result<Vec<Constraint>, VersionError> {
    let mut out = Vec::new();
    for req in native.split(',') {
        let req = req.trim();
        if let Some(v) = req.strip_prefix("~>") {
            let v = v.trim();
            let segs: Vec<&str> = v.split('.').collect();
            out.push(Constraint::new(Comparator::Ge, v));
            let keep = if segs.len() > 1 { segs.len() - 1 } else { 1 };
            let mut up: Vec<String> = segs[..keep].iter().map(|s| s.to_string()).collect();
            if let Some(last) = up.last_mut() {
                let n: u64 = last
                    .parse()
                    .map_err(|_| err(native, "non-numeric segment after ~>"))?;
                *last = n.saturating_add(1).to_string();
            }
            out.push(Constraint::new(Comparator::Lt, up.join(".")));
        } else {
            let (cmp, v) = op(req);
            if v.is_empty() {
                return Err(err(native, "operator without a version"));
            }
            out.push(Constraint::new(cmp, v));
        }
    }
    Ok(out)
}

// ------------------------------------------------------------------ nginx
/// nginx advisories: `0.7.52-0.8.39`, `0.8.40+` (later in that stable branch; odd minors are the
/// mainline branch, where `+` means every later version), plain versions.
fn nginx(native: &str) -> Result<Vec<Constraint>, VersionError> {
    let mut out = Vec::new();
    for item in native.split(',') {
        let item = item.trim();
        if let Some(v) = item.strip_suffix('+') {
            out.push(Constraint::new(Comparator::Ge, v));
            let parts: Vec<u64> = v.split('.').map(|p| p.parse().unwrap_or(0)).collect();
            let minor = parts.get(1).copied().unwrap_or(0);
            if minor % 2 == 0 {
                out.push(Constraint::new(
                    Comparator::Lt,
                    format!("{}.{}.0", parts.first().copied().unwrap_or(0), minor + 1),
                ));
            }
        } else if let Some((lo, hi)) = item.split_once('-') {
            out.push(Constraint::new(Comparator::Ge, lo.trim()));
            out.push(Constraint::new(Comparator::Le, hi.trim()));
        } else if !item.is_empty() {
            out.push(Constraint::new(Comparator::Eq, item));
        }
    }
    Ok(out)
}

// ------------------------------------------------------------------ OpenSSL
fn openssl(native: &str) -> Result<Vec<Constraint>, VersionError> {
    Ok(native
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| Constraint::new(Comparator::Eq, v))
        .collect())
}
