//! Package URLs (ECMA-427 / package-url/purl-spec): parse, type-specific normalisation, canonical
//! string, comparison.
//!
//! [`Purl::parse`] is the conformant reader: it rejects what the spec says "shall" not occur
//! (e.g. upper-case qualifier keys). [`Purl::parse_lenient`] also accepts those and normalises them,
//! which is what importers of third-party SBOMs want.

use mdsec_format_core::{FormatError, Position};
use std::collections::BTreeMap;
use std::fmt;

/// Longest purl string accepted.
pub const MAX_PURL_LEN: usize = 4096;
/// Most qualifiers one purl may carry.
pub const MAX_QUALIFIERS: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Purl {
    ty: String,
    namespace: Option<String>,
    name: String,
    version: Option<String>,
    qualifiers: BTreeMap<String, String>,
    subpath: Option<String>,
}

fn fail(component: &str, message: impl Into<String>) -> FormatError {
    FormatError::new(message, Position::path(component))
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

fn decode(s: &str, component: &str) -> Result<String, FormatError> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let h = b.get(i + 1).copied().and_then(hex);
            let l = b.get(i + 2).copied().and_then(hex);
            match (h, l) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 3;
                }
                _ => {
                    return Err(fail(
                        component,
                        format!("invalid percent-encoding in {component}"),
                    ))
                }
            }
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| {
        fail(
            component,
            format!("{component} is not UTF-8 after percent-decoding"),
        )
    })
}

/// Canonical encoding: everything but ASCII letters, digits, `-._~` and `:` is `%XX`.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn valid_type(t: &str) -> bool {
    !t.is_empty()
        && !t.as_bytes()[0].is_ascii_digit()
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'+' || b == b'-')
}

fn valid_key(k: &str) -> bool {
    !k.is_empty()
        && !k.as_bytes()[0].is_ascii_digit()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_')
}

fn clean_subpath(s: &str) -> Result<Option<String>, FormatError> {
    let mut segs = Vec::new();
    for seg in s.split('/') {
        if seg.is_empty() || seg == "." || seg == ".." {
            continue;
        }
        let d = decode(seg, "subpath")?;
        if d.contains('/') {
            return Err(fail("subpath", "a subpath segment contains '/'"));
        }
        segs.push(d);
    }
    Ok((!segs.is_empty()).then(|| segs.join("/")))
}

impl Purl {
    pub fn ty(&self) -> &str {
        &self.ty
    }
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }
    pub fn qualifiers(&self) -> &BTreeMap<String, String> {
        &self.qualifiers
    }
    pub fn subpath(&self) -> Option<&str> {
        self.subpath.as_deref()
    }

    /// Conformant parse: input that violates a "shall" of the spec is rejected.
    pub fn parse(s: &str) -> Result<Purl, FormatError> {
        Self::parse_inner(s, true)
    }

    /// Like [`Purl::parse`], but upper-case qualifier keys are lowercased instead of rejected.
    pub fn parse_lenient(s: &str) -> Result<Purl, FormatError> {
        Self::parse_inner(s, false)
    }

    fn parse_inner(s: &str, strict: bool) -> Result<Purl, FormatError> {
        if s.len() > MAX_PURL_LEN {
            return Err(fail(
                "",
                format!(
                    "purl is {} bytes, over the limit of {MAX_PURL_LEN}",
                    s.len()
                ),
            ));
        }
        let (rest, subpath) = match s.rsplit_once('#') {
            Some((r, sp)) => (r, clean_subpath(sp)?),
            None => (s, None),
        };
        let (rest, qualifier_text) = match rest.rsplit_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let (scheme, rest) = rest
            .split_once(':')
            .ok_or_else(|| fail("scheme", "missing \"pkg:\" scheme"))?;
        if !scheme.eq_ignore_ascii_case("pkg") {
            return Err(fail("scheme", format!("scheme is {scheme:?}, not \"pkg\"")));
        }
        let rest = rest.trim_matches('/');
        let (ty, rest) = rest.split_once('/').unwrap_or((rest, ""));
        if !valid_type(ty) {
            return Err(fail("type", format!("invalid type {ty:?}")));
        }
        let ty = ty.to_ascii_lowercase();
        // The version follows the last '@' after the last '/', so an unencoded npm scope
        // (`@babel/core`) is not mistaken for a version.
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (rest, version) = match rest[last_slash..].rfind('@') {
            Some(at) => (
                &rest[..last_slash + at],
                Some(decode(&rest[last_slash + at + 1..], "version")?),
            ),
            None => (rest, None),
        };
        // `git` keeps the repository path as the name: namespace is the host only.
        let (ns_text, name_text) = if ty == "git" {
            match rest.split_once('/') {
                Some((h, p)) => (Some(h), p),
                None => (None, rest),
            }
        } else {
            match rest.rsplit_once('/') {
                Some((n, p)) => (Some(n), p),
                None => (None, rest),
            }
        };
        let name = if ty == "git" {
            let parts: Result<Vec<String>, _> = name_text
                .split('/')
                .filter(|p| !p.is_empty())
                .map(|p| decode(p, "name"))
                .collect();
            parts?.join("/")
        } else {
            decode(name_text, "name")?
        };
        let namespace = match ns_text {
            Some(n) => {
                let segs: Result<Vec<String>, _> = n
                    .split('/')
                    .filter(|p| !p.is_empty())
                    .map(|p| decode(p, "namespace"))
                    .collect();
                let segs = segs?;
                if segs.iter().any(|p| p.contains('/')) {
                    return Err(fail("namespace", "a namespace segment contains '/'"));
                }
                (!segs.is_empty()).then(|| segs.join("/"))
            }
            None => None,
        };
        let mut qualifiers = BTreeMap::new();
        if let Some(q) = qualifier_text {
            for pair in q.split('&').filter(|p| !p.is_empty()) {
                let (k, v) = pair
                    .split_once('=')
                    .ok_or_else(|| fail("qualifiers", format!("qualifier {pair:?} has no '='")))?;
                if strict && k.bytes().any(|b| b.is_ascii_uppercase()) {
                    return Err(fail(
                        "qualifiers",
                        format!("qualifier key {k:?} is not lowercase"),
                    ));
                }
                if qualifiers.len() >= MAX_QUALIFIERS {
                    return Err(fail(
                        "qualifiers",
                        format!("more than {MAX_QUALIFIERS} qualifiers"),
                    ));
                }
                let k = k.to_ascii_lowercase();
                if !valid_key(&k) {
                    return Err(fail("qualifiers", format!("invalid qualifier key {k:?}")));
                }
                let v = decode(v, "qualifiers")?;
                if v.is_empty() {
                    continue;
                }
                if qualifiers.insert(k.clone(), v).is_some() {
                    return Err(fail("qualifiers", format!("duplicate qualifier key {k:?}")));
                }
            }
        }
        Self::finish(ty, namespace, name, version, qualifiers, subpath)
    }

    /// Build from decoded components (the purl-spec "build" operation).
    pub fn new(
        ty: &str,
        namespace: Option<&str>,
        name: &str,
        version: Option<&str>,
        qualifiers: impl IntoIterator<Item = (String, String)>,
        subpath: Option<&str>,
    ) -> Result<Purl, FormatError> {
        if !valid_type(ty) {
            return Err(fail("type", format!("invalid type {ty:?}")));
        }
        let mut q = BTreeMap::new();
        for (k, v) in qualifiers {
            if q.len() >= MAX_QUALIFIERS {
                return Err(fail(
                    "qualifiers",
                    format!("more than {MAX_QUALIFIERS} qualifiers"),
                ));
            }
            let k = k.to_ascii_lowercase();
            if !valid_key(&k) {
                return Err(fail("qualifiers", format!("invalid qualifier key {k:?}")));
            }
            if !v.is_empty() {
                q.insert(k, v);
            }
        }
        let namespace = namespace
            .map(|n| {
                n.split('/')
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .filter(|n| !n.is_empty());
        let subpath = match subpath {
            Some(sp) => {
                let segs: Vec<&str> = sp
                    .split('/')
                    .filter(|s| !s.is_empty() && *s != "." && *s != "..")
                    .collect();
                (!segs.is_empty()).then(|| segs.join("/"))
            }
            None => None,
        };
        let total = ty.len()
            + name.len()
            + namespace.as_ref().map_or(0, String::len)
            + version.map_or(0, str::len);
        if total > MAX_PURL_LEN {
            return Err(fail(
                "",
                format!("purl components exceed {MAX_PURL_LEN} bytes"),
            ));
        }
        Self::finish(
            ty.to_ascii_lowercase(),
            namespace,
            name.to_string(),
            version.map(str::to_string),
            q,
            subpath,
        )
    }

    /// Required components and the type-specific rules of the purl-spec type definitions.
    fn finish(
        ty: String,
        mut namespace: Option<String>,
        mut name: String,
        mut version: Option<String>,
        qualifiers: BTreeMap<String, String>,
        subpath: Option<String>,
    ) -> Result<Purl, FormatError> {
        if name.is_empty() {
            return Err(fail("name", "name is required"));
        }
        let lower = |s: &mut String| *s = s.to_ascii_lowercase();
        match ty.as_str() {
            // Case-insensitive ecosystems: namespace and name are lowercased.
            "alpm" | "apk" | "bitbucket" | "bitnami" | "brew" | "composer" | "deb" | "github"
            | "git" | "hex" | "npm" => {
                if let Some(n) = namespace.as_mut() {
                    lower(n);
                }
                lower(&mut name);
            }
            // rpm and qpkg: the vendor namespace is case-insensitive, the package name is not.
            "rpm" | "qpkg" => {
                if let Some(n) = namespace.as_mut() {
                    lower(n);
                }
            }
            "pypi" => {
                name = name.to_ascii_lowercase().replace('_', "-");
            }
            "huggingface" => {
                if let Some(v) = version.as_mut() {
                    lower(v);
                }
            }
            "mlflow"
                if qualifiers
                    .get("repository_url")
                    .is_some_and(|u| u.contains("databricks")) =>
            {
                lower(&mut name);
            }
            "cpan" if name.contains("::") => {
                return Err(fail(
                    "name",
                    "a cpan purl names a distribution; module names with '::' are not allowed",
                ));
            }
            "chrome-extension" => {
                if name.len() != 32 || !name.bytes().all(|b| (b'a'..=b'p').contains(&b)) {
                    return Err(fail("name", "a Chrome extension id is 32 letters a-p"));
                }
                if let Some(v) = &version {
                    let parts: Vec<&str> = v.split('.').collect();
                    if parts.len() > 4
                        || parts
                            .iter()
                            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
                    {
                        return Err(fail(
                            "version",
                            "a Chrome extension version is 1 to 4 dot-separated integers",
                        ));
                    }
                }
            }
            "julia" if !qualifiers.contains_key("uuid") => {
                return Err(fail(
                    "qualifiers",
                    "a julia purl requires the uuid qualifier",
                ));
            }
            "otp" | "vcpkg" if namespace.is_some() => {
                return Err(fail("namespace", format!("a {ty} purl has no namespace")));
            }
            "swift" | "vscode-extension" if namespace.is_none() => {
                return Err(fail(
                    "namespace",
                    format!("a {ty} purl requires a namespace"),
                ));
            }
            "hackage" if version.is_none() => {
                return Err(fail("version", "a hackage purl requires a version"));
            }
            _ => {}
        }
        Ok(Purl {
            ty,
            namespace,
            name,
            version: version.take(),
            qualifiers,
            subpath,
        })
    }

    /// Same package, any version: type, namespace and name equal.
    pub fn same_package(&self, other: &Purl) -> bool {
        self.ty == other.ty && self.namespace == other.namespace && self.name == other.name
    }

    /// Same package and version; qualifiers and subpath ignored.
    pub fn same_release(&self, other: &Purl) -> bool {
        self.same_package(other) && self.version == other.version
    }
}

impl fmt::Display for Purl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pkg:{}/", self.ty)?;
        if let Some(ns) = &self.namespace {
            let segs: Vec<String> = ns.split('/').map(encode).collect();
            write!(f, "{}/", segs.join("/"))?;
        }
        if self.ty == "git" {
            let segs: Vec<String> = self.name.split('/').map(encode).collect();
            f.write_str(&segs.join("/"))?;
        } else {
            f.write_str(&encode(&self.name))?;
        }
        if let Some(v) = &self.version {
            write!(f, "@{}", encode(v))?;
        }
        if !self.qualifiers.is_empty() {
            let q: Vec<String> = self
                .qualifiers
                .iter()
                .map(|(k, v)| format!("{k}={}", encode(v)))
                .collect();
            write!(f, "?{}", q.join("&"))?;
        }
        if let Some(sp) = &self.subpath {
            let segs: Vec<String> = sp.split('/').map(encode).collect();
            write!(f, "#{}", segs.join("/"))?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Purl {
    type Err = FormatError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Purl::parse(s)
    }
}
