//! Version schemes, `vers:` ranges and the vendor-firmware comparator.
//!
//! Owns: [`Scheme`] (one ordering per ecosystem, named as in the vers spec) and [`compare`];
//! [`vers::VersRange`] (parse, canonical form, containment); [`native`] (ecosystem range syntax →
//! vers); [`firmware`] (vendor strings that follow no scheme). Invariant: pure, no I/O, no panics on
//! any input, every input length bounded by a named constant.

pub mod firmware;
pub mod native;
pub mod schemes;
pub mod vers;

use serde::Serialize;
use std::cmp::Ordering;

/// Longest version string any comparator accepts.
pub const MAX_VERSION_LEN: usize = 256;
/// Longest `vers:` string accepted.
pub const MAX_VERS_LEN: usize = 16 * 1024;
/// Most constraints one `vers:` range may hold.
pub const MAX_VERS_CONSTRAINTS: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    #[error("version is {len} bytes, over the limit of {limit}")]
    TooLong { len: usize, limit: usize },
    #[error("invalid {scheme} version {version:?}: {reason}")]
    Invalid {
        scheme: &'static str,
        version: String,
        reason: &'static str,
    },
    #[error("unknown version scheme {0:?}")]
    UnknownScheme(String),
    #[error("invalid vers range {input:?}: {reason}")]
    Range { input: String, reason: String },
}

/// Whether a version lies in a range. `Undetermined` means "we cannot tell" and must never be read
/// as "not affected".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Containment {
    Inside,
    Outside,
    Undetermined,
}

impl Containment {
    /// Alias: a version inside a vulnerable range is affected.
    pub const AFFECTED: Containment = Containment::Inside;
}

/// A version ordering. Names follow the vers spec's scheme names (see [`Scheme::vers_name`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// SemVer 2.0.0, strict `MAJOR.MINOR.PATCH`.
    Semver,
    /// node-semver (SemVer plus a leading `v`).
    Npm,
    /// PEP 440.
    Pypi,
    Maven,
    /// Debian / dpkg.
    Deb,
    Rpm,
    /// Alpine apk.
    Alpine,
    /// Arch Linux pacman.
    Alpm,
    Gem,
    Nuget,
    /// Go modules (`v1.2.3`, SemVer with `v`).
    Golang,
    Conan,
    Gentoo,
    Openssl,
    /// nginx `x.y.z`.
    Nginx,
    /// Unknown structure: digit and letter runs, as `rpmvercmp` orders them.
    Generic,
    /// Dot-separated integers.
    Intdot,
    /// Byte order.
    Lexicographic,
    /// RFC 3339 instants.
    Datetime,
}

impl Scheme {
    pub const ALL: [Scheme; 19] = [
        Scheme::Semver,
        Scheme::Npm,
        Scheme::Pypi,
        Scheme::Maven,
        Scheme::Deb,
        Scheme::Rpm,
        Scheme::Alpine,
        Scheme::Alpm,
        Scheme::Gem,
        Scheme::Nuget,
        Scheme::Golang,
        Scheme::Conan,
        Scheme::Gentoo,
        Scheme::Openssl,
        Scheme::Nginx,
        Scheme::Generic,
        Scheme::Intdot,
        Scheme::Lexicographic,
        Scheme::Datetime,
    ];

    /// The scheme named by a `vers:<name>/` prefix or purl type (case-insensitive), with the
    /// aliases used in the wild (`apk` = `alpine`, `debian` = `deb`, `pip` = `pypi`, `ebuild` = `gentoo`,
    /// `cargo`/`hex`/`pub`… = `semver`).
    pub fn from_vers_name(name: &str) -> Option<Scheme> {
        let n = name.trim().to_ascii_lowercase();
        Some(match n.as_str() {
            "semver" | "cargo" | "hex" | "pub" | "swift" | "composer" | "cocoapods" => {
                Scheme::Semver
            }
            "npm" => Scheme::Npm,
            "pypi" | "pip" | "pep440" => Scheme::Pypi,
            "maven" => Scheme::Maven,
            "deb" | "debian" | "ubuntu" => Scheme::Deb,
            "rpm" => Scheme::Rpm,
            "apk" | "alpine" => Scheme::Alpine,
            "alpm" | "arch" => Scheme::Alpm,
            "gem" | "rubygems" => Scheme::Gem,
            "nuget" => Scheme::Nuget,
            "golang" | "go" => Scheme::Golang,
            "conan" => Scheme::Conan,
            "gentoo" | "ebuild" => Scheme::Gentoo,
            "openssl" => Scheme::Openssl,
            "nginx" => Scheme::Nginx,
            "generic" | "all" => Scheme::Generic,
            "intdot" => Scheme::Intdot,
            "lexicographic" => Scheme::Lexicographic,
            "datetime" => Scheme::Datetime,
            _ => return None,
        })
    }

    /// The canonical vers scheme name.
    pub fn vers_name(self) -> &'static str {
        match self {
            Scheme::Semver => "semver",
            Scheme::Npm => "npm",
            Scheme::Pypi => "pypi",
            Scheme::Maven => "maven",
            Scheme::Deb => "deb",
            Scheme::Rpm => "rpm",
            Scheme::Alpine => "apk",
            Scheme::Alpm => "alpm",
            Scheme::Gem => "gem",
            Scheme::Nuget => "nuget",
            Scheme::Golang => "golang",
            Scheme::Conan => "conan",
            Scheme::Gentoo => "gentoo",
            Scheme::Openssl => "openssl",
            Scheme::Nginx => "nginx",
            Scheme::Generic => "generic",
            Scheme::Intdot => "intdot",
            Scheme::Lexicographic => "lexicographic",
            Scheme::Datetime => "datetime",
        }
    }

    /// Whether `v` is a well-formed version of this scheme.
    pub fn validate(self, v: &str) -> Result<(), VersionError> {
        compare(self, v, v).map(|_| ())
    }
}

fn check_len(v: &str) -> Result<(), VersionError> {
    if v.len() > MAX_VERSION_LEN {
        return Err(VersionError::TooLong {
            len: v.len(),
            limit: MAX_VERSION_LEN,
        });
    }
    Ok(())
}

/// Order two versions under `scheme`. Errors name the version that does not fit the scheme.
pub fn compare(scheme: Scheme, a: &str, b: &str) -> Result<Ordering, VersionError> {
    use schemes::*;
    check_len(a)?;
    check_len(b)?;
    let r: Result<Ordering, &'static str> = match scheme {
        Scheme::Semver => semver::compare(a, b, semver::Mode::Strict),
        Scheme::Npm => semver::compare(a, b, semver::Mode::Npm),
        Scheme::Golang => semver::compare(a, b, semver::Mode::Go),
        Scheme::Pypi => pep440::compare(a, b),
        Scheme::Maven => {
            if a.trim().is_empty() || b.trim().is_empty() {
                Err("empty version")
            } else {
                Ok(maven::compare(a, b))
            }
        }
        Scheme::Deb => debian::compare(a, b),
        Scheme::Rpm => rpm::compare_rpm(a, b),
        Scheme::Alpm => rpm::compare_alpm(a, b),
        Scheme::Alpine => alpine::compare(a, b),
        Scheme::Gem => other::gem(a, b),
        Scheme::Nuget => other::nuget(a, b),
        Scheme::Conan => other::conan(a, b),
        Scheme::Gentoo => gentoo::compare(a, b),
        Scheme::Openssl => other::openssl(a, b),
        Scheme::Nginx | Scheme::Intdot => other::intdot(a, b),
        Scheme::Generic => {
            if a.trim().is_empty() || b.trim().is_empty() {
                Err("empty version")
            } else {
                Ok(rpm::rpmvercmp(a.trim(), b.trim()))
            }
        }
        Scheme::Lexicographic => Ok(other::lexicographic(a, b)),
        Scheme::Datetime => other::datetime(a, b),
    };
    r.map_err(|reason| {
        // Name the offending side: re-check each alone.
        let bad = if compare_one_ok(scheme, a) { b } else { a };
        VersionError::Invalid {
            scheme: scheme.vers_name(),
            version: bad.to_string(),
            reason,
        }
    })
}

fn compare_one_ok(scheme: Scheme, v: &str) -> bool {
    use schemes::*;
    match scheme {
        Scheme::Semver => semver::parse(v, semver::Mode::Strict).is_ok(),
        Scheme::Npm => semver::parse(v, semver::Mode::Npm).is_ok(),
        Scheme::Golang => semver::parse(v, semver::Mode::Go).is_ok(),
        Scheme::Pypi => pep440::parse(v).is_ok(),
        Scheme::Deb => debian::parse(v).is_ok(),
        Scheme::Gem => other::gem(v, v).is_ok(),
        Scheme::Nuget => other::nuget(v, v).is_ok(),
        Scheme::Gentoo => gentoo::compare(v, v).is_ok(),
        Scheme::Openssl => other::openssl(v, v).is_ok(),
        Scheme::Nginx | Scheme::Intdot => other::intdot(v, v).is_ok(),
        Scheme::Datetime => other::datetime(v, v).is_ok(),
        Scheme::Alpine => alpine::compare(v, v).is_ok(),
        _ => !v.trim().is_empty(),
    }
}
