//! CPE 2.3 names: formatted-string binding (NISTIR 7695 §6.2), the well-formed name (WFN), and
//! name matching (NISTIR 7696).
//!
//! Values are case-insensitive and kept lowercase. Inside a value, a backslash quotes the next
//! character; an unquoted `*` (at the start or end) and unquoted `?` runs (at the start or end) are
//! wildcards; a whole value of `*` is ANY and of `-` is NA. ANY matches everything; NA matches only
//! NA (and is matched by a source ANY).

use mdsec_format_core::{FormatError, Position};
use std::fmt;

/// Longest CPE string accepted.
pub const MAX_CPE_LEN: usize = 2048;

/// The eleven attributes, in formatted-string order.
pub const ATTRIBUTES: [&str; 11] = [
    "part",
    "vendor",
    "product",
    "version",
    "update",
    "edition",
    "language",
    "sw_edition",
    "target_sw",
    "target_hw",
    "other",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tok {
    /// A literal character (quoted or plain), lowercase.
    Char(char),
    /// Unquoted `*`: any number of characters.
    Star,
    /// Unquoted `?`: one character (NISTIR 7696 lets a run of them match up to that many).
    Question,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Value {
    #[default]
    Any,
    Na,
    Text(Vec<Tok>),
}

impl Value {
    /// The literal text of a value without wildcards (`None` for ANY/NA or a pattern).
    pub fn as_literal(&self) -> Option<String> {
        match self {
            Value::Text(t) => t
                .iter()
                .map(|k| if let Tok::Char(c) = k { Some(*c) } else { None })
                .collect(),
            _ => None,
        }
    }

    fn has_wildcards(&self) -> bool {
        matches!(self, Value::Text(t) if t.iter().any(|k| !matches!(k, Tok::Char(_))))
    }

    /// Formatted-string form of one value.
    fn bind_fs(&self) -> String {
        match self {
            Value::Any => "*".into(),
            Value::Na => "-".into(),
            Value::Text(t) => {
                let lone_hyphen = t.len() == 1 && t[0] == Tok::Char('-');
                let mut s = String::new();
                for k in t {
                    match k {
                        Tok::Star => s.push('*'),
                        Tok::Question => s.push('?'),
                        Tok::Char(c)
                            if c.is_ascii_alphanumeric()
                                || *c == '_'
                                || ((*c == '.' || *c == '-') && !lone_hyphen) =>
                        {
                            s.push(*c)
                        }
                        Tok::Char(c) => {
                            s.push('\\');
                            s.push(*c);
                        }
                    }
                }
                s
            }
        }
    }

    /// WFN form of one value (`"foo\.bar"`, ANY, NA).
    fn bind_wfn(&self) -> String {
        match self {
            Value::Any => "ANY".into(),
            Value::Na => "NA".into(),
            Value::Text(t) => {
                let mut s = String::from("\"");
                for k in t {
                    match k {
                        Tok::Star => s.push('*'),
                        Tok::Question => s.push('?'),
                        Tok::Char(c) if c.is_ascii_alphanumeric() || *c == '_' => s.push(*c),
                        Tok::Char(c) => {
                            s.push('\\');
                            s.push(*c);
                        }
                    }
                }
                s.push('"');
                s
            }
        }
    }
}

/// A CPE 2.3 name (a WFN).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cpe {
    values: [Value; 11],
}

fn fail(attr: usize, message: impl Into<String>) -> FormatError {
    let name = ATTRIBUTES.get(attr).copied().unwrap_or("cpe");
    FormatError::new(message, Position::path(name))
}

/// Unbind one formatted-string value (NISTIR 7695 `unbind_value_fs` + `add_quoting`).
fn unbind_value(s: &str, attr: usize) -> Result<Value, FormatError> {
    match s {
        "" => {
            return Err(fail(
                attr,
                format!("{} is empty; use * (ANY) or - (NA)", ATTRIBUTES[attr]),
            ))
        }
        "*" => return Ok(Value::Any),
        "-" => return Ok(Value::Na),
        _ => {}
    }
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    let mut out = Vec::with_capacity(n);
    let mut i = 0;
    let mut embedded = false;
    while i < n {
        let c = chars[i];
        match c {
            '\\' => {
                let q = *chars
                    .get(i + 1)
                    .ok_or_else(|| fail(attr, "value ends with a lone backslash"))?;
                out.extend(q.to_lowercase().map(Tok::Char));
                i += 2;
                embedded = true;
            }
            '*' => {
                if i != 0 && i != n - 1 {
                    return Err(fail(
                        attr,
                        format!(
                            "unquoted '*' inside {:?}: a wildcard may only start or end a value",
                            s
                        ),
                    ));
                }
                out.push(Tok::Star);
                i += 1;
                embedded = true;
            }
            '?' => {
                let ok = i == 0
                    || i == n - 1
                    || (!embedded && chars[i - 1] == '?')
                    || (embedded && chars.get(i + 1) == Some(&'?'));
                if !ok {
                    return Err(fail(
                        attr,
                        format!(
                            "unquoted '?' inside {:?}: wildcards may only start or end a value",
                            s
                        ),
                    ));
                }
                out.push(Tok::Question);
                i += 1;
                embedded = false;
            }
            c if c.is_control() || c.is_whitespace() => {
                return Err(fail(attr, "whitespace or control character in value"))
            }
            c => {
                out.extend(c.to_lowercase().map(Tok::Char));
                i += 1;
                embedded = true;
            }
        }
    }
    if out.len() >= 2 && out.first() == Some(&Tok::Star) && out.get(1) == Some(&Tok::Star) {
        return Err(fail(attr, "\"**\" is not a valid value"));
    }
    Ok(Value::Text(out))
}

/// Split on unquoted ':'.
fn split_fs(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == ':' {
            parts.push(&s[start..i]);
            start = i + 1;
        }
    }
    parts.push(&s[start..]);
    parts
}

fn check_part(v: &Value) -> Result<(), FormatError> {
    match v {
        Value::Any => Ok(()),
        Value::Text(_)
            if matches!(v.as_literal().as_deref(), Some("a") | Some("o") | Some("h")) =>
        {
            Ok(())
        }
        _ => Err(fail(0, "part must be a, o, h or *")),
    }
}

impl Cpe {
    /// Parse a CPE 2.3 formatted string (`cpe:2.3:part:vendor:product:…`, 13 colon-separated fields).
    pub fn parse(s: &str) -> Result<Cpe, FormatError> {
        if s.len() > MAX_CPE_LEN {
            return Err(FormatError::new(
                format!("CPE is {} bytes, over the limit of {MAX_CPE_LEN}", s.len()),
                Position::default(),
            ));
        }
        let rest = s
            .strip_prefix("cpe:2.3:")
            .or_else(|| {
                s.get(..8)
                    .filter(|p| p.eq_ignore_ascii_case("cpe:2.3:"))
                    .and_then(|_| s.get(8..))
            })
            .ok_or_else(|| {
                FormatError::new(
                    "not a CPE 2.3 formatted string (must start with \"cpe:2.3:\")",
                    Position::default(),
                )
            })?;
        let parts = split_fs(rest);
        if parts.len() != 11 {
            return Err(FormatError::new(
                format!(
                    "a CPE 2.3 formatted string has 11 attributes, found {}",
                    parts.len()
                ),
                Position::default(),
            ));
        }
        let mut values: [Value; 11] = Default::default();
        for (i, p) in parts.iter().enumerate() {
            values[i] = unbind_value(p, i)?;
        }
        check_part(&values[0])?;
        Ok(Cpe { values })
    }

    /// Read what advisory feeds actually contain: CPE 2.3 strings with missing trailing fields or
    /// an empty part (JVN writes `cpe:2.3::vendor`), `%XX` escapes, and CPE 2.2 URIs
    /// (`cpe:/a:vendor:product:version`). Missing or empty fields are ANY.
    pub fn parse_lenient(s: &str) -> Result<Cpe, FormatError> {
        if s.len() > MAX_CPE_LEN {
            return Err(FormatError::new(
                format!("CPE is {} bytes, over the limit of {MAX_CPE_LEN}", s.len()),
                Position::default(),
            ));
        }
        let s = s.trim();
        let (rest, uri) = if let Some(r) = s
            .get(..8)
            .filter(|p| p.eq_ignore_ascii_case("cpe:2.3:"))
            .and_then(|_| s.get(8..))
        {
            (r, false)
        } else if let Some(r) = s
            .get(..5)
            .filter(|p| p.eq_ignore_ascii_case("cpe:/"))
            .and_then(|_| s.get(5..))
        {
            (r, true)
        } else {
            return Err(FormatError::new(
                "not a CPE (must start with \"cpe:2.3:\" or \"cpe:/\")",
                Position::default(),
            ));
        };
        let parts = split_fs(rest);
        if parts.len() > 11 {
            return Err(FormatError::new(
                format!("too many CPE attributes ({})", parts.len()),
                Position::default(),
            ));
        }
        let mut values: [Value; 11] = Default::default();
        for (i, p) in parts.iter().enumerate() {
            let decoded = percent_decode(p);
            values[i] = if decoded.is_empty() {
                Value::Any
            } else if uri {
                // CPE 2.2 URI: no wildcards; every character is literal.
                match decoded.as_str() {
                    "-" => Value::Na,
                    _ => Value::Text(
                        decoded
                            .chars()
                            .flat_map(char::to_lowercase)
                            .map(Tok::Char)
                            .collect(),
                    ),
                }
            } else {
                unbind_value(&decoded, i)?
            };
        }
        check_part(&values[0])?;
        Ok(Cpe { values })
    }

    pub fn value(&self, attribute: usize) -> Option<&Value> {
        self.values.get(attribute)
    }
    pub fn values(&self) -> &[Value; 11] {
        &self.values
    }
    /// `a`, `o`, `h`, or `None` for ANY.
    pub fn part(&self) -> Option<char> {
        self.values[0].as_literal().and_then(|s| s.chars().next())
    }
    pub fn vendor(&self) -> &Value {
        &self.values[1]
    }
    pub fn product(&self) -> &Value {
        &self.values[2]
    }
    pub fn version(&self) -> &Value {
        &self.values[3]
    }
    pub fn update(&self) -> &Value {
        &self.values[4]
    }

    /// The well-formed name as NISTIR 7695 prints it: `wfn:[part="a",vendor="microsoft",…,other=ANY]`.
    pub fn to_wfn(&self) -> String {
        let attrs: Vec<String> = self
            .values
            .iter()
            .zip(ATTRIBUTES)
            .map(|(v, a)| format!("{a}={}", v.bind_wfn()))
            .collect();
        format!("wfn:[{}]", attrs.join(","))
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hexv = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
        if b[i] == b'%' {
            if let (Some(h), Some(l)) = (
                b.get(i + 1).copied().and_then(hexv),
                b.get(i + 2).copied().and_then(hexv),
            ) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    let decoded = String::from_utf8_lossy(&out).into_owned();
    // A decoded ':' must stay inside its value.
    decoded.replace(':', "\\:")
}

impl fmt::Display for Cpe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("cpe:2.3")?;
        for v in &self.values {
            write!(f, ":{}", v.bind_fs())?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Cpe {
    type Err = FormatError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Cpe::parse(s)
    }
}

/// NISTIR 7696 attribute comparison result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    Superset,
    Subset,
    Equal,
    Disjoint,
    /// The target holds a wildcard: matching is not defined.
    Undefined,
}

/// Compare one source attribute value with one target value (NISTIR 7696 §6.1).
pub fn compare_values(source: &Value, target: &Value) -> Relation {
    if target.has_wildcards() {
        return Relation::Undefined;
    }
    if source == target {
        return Relation::Equal;
    }
    match (source, target) {
        (Value::Any, _) => Relation::Superset,
        (_, Value::Any) => Relation::Subset,
        (Value::Na, _) | (_, Value::Na) => Relation::Disjoint,
        (Value::Text(s), Value::Text(t)) => compare_strings(s, t),
    }
}

/// `source` may have leading/trailing wildcards; `target` is literal.
fn compare_strings(source: &[Tok], target: &[Tok]) -> Relation {
    let mut core = source;
    let mut begins: isize = 0; // -1 = '*'
    let mut ends: isize = 0;
    if core.first() == Some(&Tok::Star) {
        begins = -1;
        core = &core[1..];
    } else {
        while core.first() == Some(&Tok::Question) {
            begins += 1;
            core = &core[1..];
        }
    }
    if core.last() == Some(&Tok::Star) {
        ends = -1;
        core = &core[..core.len() - 1];
    } else {
        while core.last() == Some(&Tok::Question) {
            ends += 1;
            core = &core[..core.len() - 1];
        }
    }
    if core.iter().any(|k| !matches!(k, Tok::Char(_))) {
        return Relation::Disjoint;
    }
    if core.len() > target.len() {
        return Relation::Disjoint;
    }
    for index in 0..=target.len() - core.len() {
        if target[index..index + core.len()] != *core {
            continue;
        }
        if begins != -1 && (index as isize) > begins {
            break;
        }
        let leftover = (target.len() - index - core.len()) as isize;
        if leftover > 0 && ends != -1 && leftover > ends {
            continue;
        }
        return Relation::Superset;
    }
    Relation::Disjoint
}

/// All eleven attribute relations of `source` against `target`.
pub fn compare_names(source: &Cpe, target: &Cpe) -> [Relation; 11] {
    let mut out = [Relation::Equal; 11];
    for (i, r) in out.iter_mut().enumerate() {
        *r = compare_values(&source.values[i], &target.values[i]);
    }
    out
}

/// NISTIR 7696 `CPE_SUPERSET`: does the applicability pattern `source` cover `target`?
pub fn cpe_matches(source: &Cpe, target: &Cpe) -> bool {
    compare_names(source, target)
        .iter()
        .all(|r| matches!(r, Relation::Superset | Relation::Equal))
}

/// NISTIR 7696 `CPE_EQUAL`.
pub fn cpe_equal(source: &Cpe, target: &Cpe) -> bool {
    compare_names(source, target)
        .iter()
        .all(|r| *r == Relation::Equal)
}

/// NISTIR 7696 `CPE_DISJOINT`: some attribute can never match.
pub fn cpe_disjoint(source: &Cpe, target: &Cpe) -> bool {
    compare_names(source, target).contains(&Relation::Disjoint)
}

/// NISTIR 7696 `CPE_SUBSET`.
pub fn cpe_subset(source: &Cpe, target: &Cpe) -> bool {
    compare_names(source, target)
        .iter()
        .all(|r| matches!(r, Relation::Subset | Relation::Equal))
}
