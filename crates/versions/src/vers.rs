//! The `vers:` range syntax (package-url/vers-spec): `vers:<scheme>/<constraint>|<constraint>…`.
//!
//! Two parsers: [`VersRange::parse`] reads what people write (spaces, unsorted constraints, stray
//! pipes) and normalises it; [`VersRange::parse_canonical`] accepts only the canonical form and says
//! precisely why not. Containment follows the spec's algorithm; a version the scheme cannot read,
//! or a scheme we do not know, gives [`Containment::Undetermined`], never "outside".

use crate::{
    compare, Containment, Scheme, VersionError, MAX_VERSION_LEN, MAX_VERS_CONSTRAINTS, MAX_VERS_LEN,
};
use std::cmp::Ordering;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Comparator {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// `*`: every version.
    Any,
}

impl Comparator {
    /// The spec's symbol; `=` is written explicitly here (the canonical string omits it).
    pub fn symbol(self) -> &'static str {
        match self {
            Comparator::Eq => "=",
            Comparator::Ne => "!=",
            Comparator::Lt => "<",
            Comparator::Le => "<=",
            Comparator::Gt => ">",
            Comparator::Ge => ">=",
            Comparator::Any => "*",
        }
    }

    fn split(s: &str) -> (Comparator, &str) {
        for (p, c) in [
            ("!=", Comparator::Ne),
            ("<=", Comparator::Le),
            (">=", Comparator::Ge),
            ("<", Comparator::Lt),
            (">", Comparator::Gt),
            ("=", Comparator::Eq),
        ] {
            if let Some(rest) = s.strip_prefix(p) {
                return (c, rest);
            }
        }
        (Comparator::Eq, s)
    }

    /// Whether `ord` = compare(tested, constraint version) satisfies this comparator.
    pub fn accepts(self, ord: Ordering) -> bool {
        match self {
            Comparator::Eq => ord == Ordering::Equal,
            Comparator::Ne => ord != Ordering::Equal,
            Comparator::Lt => ord == Ordering::Less,
            Comparator::Le => ord != Ordering::Greater,
            Comparator::Gt => ord == Ordering::Greater,
            Comparator::Ge => ord != Ordering::Less,
            Comparator::Any => true,
        }
    }

    fn is_lesser(self) -> bool {
        matches!(self, Comparator::Lt | Comparator::Le)
    }
    fn is_greater(self) -> bool {
        matches!(self, Comparator::Gt | Comparator::Ge)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    pub comparator: Comparator,
    /// Decoded version text (empty for `*`).
    pub version: String,
}

impl Constraint {
    pub fn new(comparator: Comparator, version: impl Into<String>) -> Self {
        Constraint {
            comparator,
            version: version.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersRange {
    scheme_name: String,
    scheme: Option<Scheme>,
    constraints: Vec<Constraint>,
}

fn err(input: &str, reason: impl Into<String>) -> VersionError {
    let shown: String = input.chars().take(200).collect();
    VersionError::Range {
        input: shown,
        reason: reason.into(),
    }
}

const NC: &str = "non-canonical VERS: ";

/// Characters written as `%XX` in a canonical vers version.
fn needs_encoding(c: char) -> bool {
    matches!(c, '%' | '|' | '/') || c.is_whitespace() || c.is_control() || !c.is_ascii()
}

fn encode(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        if needs_encoding(c) {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Decode `%XX`. `strict` rejects what the canonical form would not contain.
fn decode(v: &str, strict: bool, scheme: Option<Scheme>) -> Result<String, String> {
    let b = v.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'%' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        let hex = b
            .get(i + 1..i + 3)
            .filter(|h| h.iter().all(|c| c.is_ascii_hexdigit()));
        let Some(h) = hex else {
            if strict {
                return Err(format!("{NC}invalid percent-encoding in version"));
            }
            out.push(b'%');
            i += 1;
            continue;
        };
        let val = (hex_val(h[0]) << 4) | hex_val(h[1]);
        if strict {
            if h.iter().any(|c| c.is_ascii_lowercase()) {
                return Err(format!("{NC}percent-encoding in version is not canonical"));
            }
            if scheme == Some(Scheme::Datetime) && val == b':' {
                return Err(format!("{NC}datetime time colons must be unencoded"));
            }
            if val.is_ascii() && !needs_encoding(char::from(val)) {
                return Err(format!("{NC}percent-encoding in version is not canonical"));
            }
        }
        out.push(val);
        i += 3;
    }
    String::from_utf8(out).map_err(|_| format!("{NC}percent-encoded version is not UTF-8"))
}

fn hex_val(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    }
}

/// Stable insertion sort by version. Not `slice::sort_by`: a scheme comparator that is not a total
/// order on odd input must not be able to panic the sort. n ≤ MAX_VERS_CONSTRAINTS.
fn sort_constraints(scheme: Option<Scheme>, cs: &mut [Constraint]) {
    let Some(s) = scheme else { return };
    for i in 1..cs.len() {
        let mut j = i;
        while j > 0 && out_of_order(s, &cs[j - 1], &cs[j]) {
            cs.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// Constraints on equal versions order upper bounds before lower bounds (`<1.5|>=1.5`), so that
/// adjacent intervals read left to right.
fn out_of_order(s: Scheme, a: &Constraint, b: &Constraint) -> bool {
    let rank = |c: Comparator| match c {
        Comparator::Lt => 0,
        Comparator::Le => 1,
        Comparator::Eq | Comparator::Ne | Comparator::Any => 2,
        Comparator::Ge => 3,
        Comparator::Gt => 4,
    };
    match compare(s, &a.version, &b.version) {
        Ok(Ordering::Greater) => true,
        Ok(Ordering::Equal) => rank(a.comparator) > rank(b.comparator),
        _ => false,
    }
}

impl VersRange {
    /// Build from parts; constraints are sorted by version (stable). Fails on more than
    /// [`MAX_VERS_CONSTRAINTS`] constraints or an over-long version.
    pub fn new(scheme_name: &str, mut constraints: Vec<Constraint>) -> Result<Self, VersionError> {
        if constraints.len() > MAX_VERS_CONSTRAINTS {
            return Err(err(
                scheme_name,
                format!("more than {MAX_VERS_CONSTRAINTS} constraints"),
            ));
        }
        if let Some(c) = constraints
            .iter()
            .find(|c| c.version.len() > MAX_VERSION_LEN)
        {
            return Err(VersionError::TooLong {
                len: c.version.len(),
                limit: MAX_VERSION_LEN,
            });
        }
        if constraints.iter().any(|c| c.comparator == Comparator::Any) {
            constraints = vec![Constraint::new(Comparator::Any, "")];
        }
        let scheme_name = scheme_name.to_ascii_lowercase();
        let scheme = Scheme::from_vers_name(&scheme_name);
        sort_constraints(scheme, &mut constraints);
        Ok(VersRange {
            scheme_name,
            scheme,
            constraints,
        })
    }

    /// Lenient parse and normalisation: whitespace removed, `vers`/scheme lowercased, empty
    /// constraints dropped, constraints sorted by version.
    pub fn parse(input: &str) -> Result<Self, VersionError> {
        if input.len() > MAX_VERS_LEN {
            return Err(VersionError::TooLong {
                len: input.len(),
                limit: MAX_VERS_LEN,
            });
        }
        let compact: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        let (prefix, rest) = compact
            .split_once(':')
            .ok_or_else(|| err(input, "missing \"vers:\" prefix"))?;
        if !prefix.eq_ignore_ascii_case("vers") {
            return Err(err(input, "missing \"vers:\" prefix"));
        }
        let (scheme_name, body) = rest
            .split_once('/')
            .ok_or_else(|| err(input, "missing \"/\" after the scheme"))?;
        if scheme_name.is_empty() {
            return Err(err(input, "empty scheme"));
        }
        let scheme = Scheme::from_vers_name(scheme_name);
        let mut constraints = Vec::new();
        for part in body.split('|').filter(|p| !p.is_empty()) {
            if constraints.len() >= MAX_VERS_CONSTRAINTS {
                return Err(err(
                    input,
                    format!("more than {MAX_VERS_CONSTRAINTS} constraints"),
                ));
            }
            if part == "*" {
                constraints.push(Constraint::new(Comparator::Any, ""));
                continue;
            }
            let (cmp, v) = Comparator::split(part);
            if v.is_empty() {
                return Err(err(input, format!("constraint {part:?} has no version")));
            }
            let v = decode(v, false, scheme).map_err(|e| err(input, e))?;
            constraints.push(Constraint::new(cmp, v));
        }
        Self::new(scheme_name, constraints)
    }

    /// Strict parse: only the canonical form is accepted; errors say `non-canonical VERS: <why>`.
    pub fn parse_canonical(input: &str) -> Result<Self, VersionError> {
        if input.len() > MAX_VERS_LEN {
            return Err(VersionError::TooLong {
                len: input.len(),
                limit: MAX_VERS_LEN,
            });
        }
        if input.chars().any(char::is_whitespace) {
            return Err(err(input, format!("{NC}whitespace is not permitted")));
        }
        let rest = input
            .strip_prefix("vers:")
            .ok_or_else(|| err(input, format!("{NC}must start with lowercase \"vers:\"")))?;
        let (scheme_name, body) = rest
            .split_once('/')
            .ok_or_else(|| err(input, format!("{NC}missing \"/\" after the scheme")))?;
        if scheme_name.is_empty() || scheme_name.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(err(
                input,
                format!("{NC}scheme must be lowercase and not empty"),
            ));
        }
        if body.is_empty() {
            return Err(err(input, format!("{NC}no constraints")));
        }
        if body.starts_with('|') {
            return Err(err(input, format!("{NC}leading pipe is not permitted")));
        }
        if body.ends_with('|') {
            return Err(err(input, format!("{NC}trailing pipe is not permitted")));
        }
        if body.contains("||") {
            return Err(err(
                input,
                format!("{NC}consecutive pipes are not permitted"),
            ));
        }
        let scheme = Scheme::from_vers_name(scheme_name);
        let mut constraints: Vec<Constraint> = Vec::new();
        for part in body.split('|') {
            if constraints.len() >= MAX_VERS_CONSTRAINTS {
                return Err(err(
                    input,
                    format!("more than {MAX_VERS_CONSTRAINTS} constraints"),
                ));
            }
            if part == "*" {
                if body != "*" {
                    return Err(err(input, format!("{NC}\"*\" must be the only constraint")));
                }
                constraints.push(Constraint::new(Comparator::Any, ""));
                continue;
            }
            let (cmp, raw) = Comparator::split(part);
            if part.starts_with('=') {
                return Err(err(
                    input,
                    format!("{NC}\"=\" is implied and must be omitted"),
                ));
            }
            if raw.is_empty() {
                return Err(err(
                    input,
                    format!("{NC}constraint {part:?} has no version"),
                ));
            }
            let v = decode(raw, true, scheme).map_err(|e| err(input, e))?;
            if scheme == Some(Scheme::Datetime) && v.bytes().any(|b| b == b't' || b == b'z') {
                return Err(err(
                    input,
                    format!("{NC}datetime must use uppercase T and Z"),
                ));
            }
            if v.len() > MAX_VERSION_LEN {
                return Err(VersionError::TooLong {
                    len: v.len(),
                    limit: MAX_VERSION_LEN,
                });
            }
            if let (Some(s), Some(prev)) = (scheme, constraints.last()) {
                if compare(s, &prev.version, &v) == Ok(Ordering::Greater) {
                    return Err(err(
                        input,
                        format!("{NC}constraints are not sorted by version"),
                    ));
                }
            }
            constraints.push(Constraint::new(cmp, v));
        }
        Ok(VersRange {
            scheme_name: scheme_name.to_string(),
            scheme,
            constraints,
        })
    }

    pub fn scheme(&self) -> Option<Scheme> {
        self.scheme
    }
    pub fn scheme_name(&self) -> &str {
        &self.scheme_name
    }
    pub fn constraints(&self) -> &[Constraint] {
        &self.constraints
    }

    /// The spec's containment algorithm. `Undetermined` when the scheme is unknown or a version
    /// (tested or in a constraint) is not valid in the scheme.
    pub fn contains(&self, version: &str) -> Containment {
        match self.try_contains(version) {
            Ok(true) => Containment::Inside,
            Ok(false) => Containment::Outside,
            Err(_) => Containment::Undetermined,
        }
    }

    fn try_contains(&self, version: &str) -> Result<bool, VersionError> {
        let scheme = self
            .scheme
            .ok_or_else(|| VersionError::UnknownScheme(self.scheme_name.clone()))?;
        scheme.validate(version)?;
        if self
            .constraints
            .iter()
            .any(|c| c.comparator == Comparator::Any)
        {
            return Ok(true);
        }
        let cmp = |c: &Constraint| compare(scheme, version, &c.version);
        for c in self
            .constraints
            .iter()
            .filter(|c| matches!(c.comparator, Comparator::Eq | Comparator::Ne))
        {
            if cmp(c)? == Ordering::Equal {
                return Ok(c.comparator == Comparator::Eq);
            }
        }
        let ranges: Vec<&Constraint> = self
            .constraints
            .iter()
            .filter(|c| !matches!(c.comparator, Comparator::Eq | Comparator::Ne))
            .collect();
        match ranges.as_slice() {
            [] => return Ok(false),
            [only] => return Ok(only.comparator.accepts(cmp(only)?)),
            _ => {}
        }
        let last = ranges.len() - 2;
        for (i, pair) in ranges.windows(2).enumerate() {
            let (cur, next) = (pair[0], pair[1]);
            if i == 0 && cur.comparator.is_lesser() && cur.comparator.accepts(cmp(cur)?) {
                return Ok(true);
            }
            if i == last && next.comparator.is_greater() && next.comparator.accepts(cmp(next)?) {
                return Ok(true);
            }
            if cur.comparator.is_greater()
                && next.comparator.is_lesser()
                && cur.comparator.accepts(cmp(cur)?)
                && next.comparator.accepts(cmp(next)?)
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The spec's simplification: duplicates removed, and in each run of consecutive lower bounds
    /// only the first (lowest) kept, in each run of upper bounds only the last (highest), ignoring
    /// `=`/`!=` between them. This reads a list of overlapping intervals as their union.
    pub fn simplified(&self) -> VersRange {
        let mut out: Vec<Constraint> = Vec::new();
        for c in &self.constraints {
            if !out.contains(c) {
                out.push(c.clone());
            }
        }
        let mut keep = vec![true; out.len()];
        let idx: Vec<usize> = (0..out.len())
            .filter(|&i| !matches!(out[i].comparator, Comparator::Eq | Comparator::Ne))
            .collect();
        for w in idx.windows(2) {
            let (a, b) = (w[0], w[1]);
            if out[a].comparator.is_greater() && out[b].comparator.is_greater() {
                keep[b] = false;
            }
            if out[a].comparator.is_lesser() && out[b].comparator.is_lesser() {
                keep[a] = false;
            }
        }
        let constraints = out
            .into_iter()
            .zip(keep)
            .filter(|(_, k)| *k)
            .map(|(c, _)| c)
            .collect();
        VersRange {
            scheme_name: self.scheme_name.clone(),
            scheme: self.scheme,
            constraints,
        }
    }
}

impl fmt::Display for VersRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "vers:{}/", self.scheme_name)?;
        for (i, c) in self.constraints.iter().enumerate() {
            if i > 0 {
                f.write_str("|")?;
            }
            match c.comparator {
                Comparator::Any => f.write_str("*")?,
                Comparator::Eq => f.write_str(&encode(&c.version))?,
                other => write!(f, "{}{}", other.symbol(), encode(&c.version))?,
            }
        }
        Ok(())
    }
}

impl std::str::FromStr for VersRange {
    type Err = VersionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        VersRange::parse(s)
    }
}
