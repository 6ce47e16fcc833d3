//! Behaviour that the vers-spec files do not pin down: limits, undetermined containment,
//! simplification, native-range edge cases, schemes without vers-spec vectors.

use mdsec_versions::vers::{Comparator, VersRange};
use mdsec_versions::{
    compare, native, Containment, Scheme, VersionError, MAX_VERSION_LEN, MAX_VERS_CONSTRAINTS,
};
use std::cmp::Ordering;

#[test]
fn unknown_scheme_or_bad_version_is_undetermined_never_outside() {
    let r = VersRange::parse("vers:acme-firmware/<2.0").expect("syntax is valid");
    assert_eq!(r.scheme(), None);
    assert_eq!(r.contains("1.0"), Containment::Undetermined);
    let r = VersRange::parse("vers:semver/>=1.0.0|<2.0.0").expect("valid");
    assert_eq!(r.contains("not-a-version"), Containment::Undetermined);
    assert_eq!(r.contains("1.5.0"), Containment::Inside);
    assert_eq!(r.contains("2.0.0"), Containment::Outside);
    // A constraint version that the scheme cannot read.
    let r = VersRange::parse("vers:semver/>=1.0.0|<banana").expect("syntax is valid");
    assert_eq!(r.contains("1.5.0"), Containment::Undetermined);
}

#[test]
fn limits_are_enforced() {
    let long = "1".repeat(MAX_VERSION_LEN + 1);
    assert!(matches!(
        compare(Scheme::Semver, &long, "1.0.0"),
        Err(VersionError::TooLong { .. })
    ));
    let many: Vec<String> = (0..=MAX_VERS_CONSTRAINTS)
        .map(|i| format!("1.0.{i}"))
        .collect();
    assert!(VersRange::parse(&format!("vers:npm/{}", many.join("|"))).is_err());
    assert!(VersRange::parse(&"vers:npm/1|".repeat(100_000)).is_err());
}

#[test]
fn canonical_form_sorts_encodes_and_reparses() {
    let r = VersRange::parse(" VERS:NPM / <2.0.0 | >=1.0.0 ").expect("lenient");
    assert_eq!(r.to_string(), "vers:npm/>=1.0.0|<2.0.0");
    assert_eq!(
        VersRange::parse_canonical(&r.to_string()).expect("canonical"),
        r
    );
    let r = VersRange::parse("vers:generic/1.0%7C2").expect("encoded pipe");
    assert_eq!(r.constraints()[0].version, "1.0|2");
    assert_eq!(r.to_string(), "vers:generic/1.0%7C2");
    assert!(VersRange::parse_canonical("vers:npm/*|1.0.0").is_err());
    assert!(VersRange::parse_canonical("vers:npm/=1.0.0").is_err());
}

#[test]
fn simplification_merges_overlapping_bounds() {
    let r = VersRange::parse("vers:npm/>=1.0.0|>=1.2.0|<2.0.0|<3.0.0|1.5.0|1.5.0").expect("valid");
    let s = r.simplified();
    assert_eq!(s.to_string(), "vers:npm/>=1.0.0|1.5.0|<3.0.0");
    assert_eq!(s.contains("2.5.0"), Containment::Inside);
    assert!(s
        .constraints()
        .iter()
        .all(|c| c.comparator != Comparator::Any));
}

#[test]
fn not_equal_and_star() {
    let r = VersRange::parse("vers:pypi/>=1.0|!=1.5|<2").expect("valid");
    assert_eq!(r.contains("1.5"), Containment::Outside);
    assert_eq!(
        r.contains("1.5.0"),
        Containment::Outside,
        "PEP 440: 1.5 == 1.5.0"
    );
    assert_eq!(r.contains("1.6"), Containment::Inside);
    assert_eq!(
        VersRange::parse("vers:deb/*")
            .expect("valid")
            .contains("1:2.3-4"),
        Containment::Inside
    );
}

#[test]
fn native_ranges_do_not_panic_on_odd_input() {
    for (scheme, input) in [
        ("nuget", "[é"),
        ("nuget", "("),
        ("npm", "^x.y"),
        ("gem", "~> a"),
        ("conan", "~"),
        ("pypi", "~=1"),
    ] {
        let _ = native::from_native(scheme, input);
    }
    assert_eq!(
        native::from_native("nuget", "(,1.0]")
            .expect("valid")
            .to_string(),
        "vers:nuget/<=1.0"
    );
    assert_eq!(
        native::from_native("nuget", "[1.0]")
            .expect("valid")
            .to_string(),
        "vers:nuget/1.0"
    );
    assert_eq!(
        native::from_native("pypi", "~=1.4.5")
            .expect("valid")
            .to_string(),
        "vers:pypi/>=1.4.5|<1.5"
    );
    assert!(native::from_native("cobol", "1.0").is_err());
}

#[test]
fn schemes_without_vers_spec_vectors() {
    use Ordering::*;
    let cases: &[(Scheme, &str, &str, Ordering)] = &[
        (Scheme::Semver, "1.0.0-alpha", "1.0.0-alpha.1", Less),
        (Scheme::Semver, "1.0.0-rc.1", "1.0.0", Less),
        (Scheme::Semver, "1.0.0+build.1", "1.0.0+build.2", Equal),
        (Scheme::Golang, "v1.2", "v1.2.0", Equal),
        (
            Scheme::Golang,
            "v0.0.0-20191109021931-daa7c04131f5",
            "v0.0.0",
            Less,
        ),
        (Scheme::Intdot, "1.2", "1.2.0", Equal),
        (Scheme::Intdot, "1.10", "1.9", Greater),
        (Scheme::Nginx, "1.25.3", "1.9.15", Greater),
        (Scheme::Generic, "2.0b", "2.0", Greater),
        (Scheme::Alpm, "1:1.0-1", "2.0-1", Greater),
    ];
    for (s, a, b, want) in cases {
        assert_eq!(compare(*s, a, b).ok(), Some(*want), "{s:?} {a} vs {b}");
    }
    assert!(compare(Scheme::Semver, "1.0", "1.0.0").is_err());
    assert!(compare(Scheme::Semver, "01.0.0", "1.0.0").is_err());
    let e = compare(Scheme::Pypi, "1.0", "bogus!").expect_err("invalid");
    assert!(
        e.to_string().contains("bogus!"),
        "error names the bad version: {e}"
    );
}

#[test]
fn scheme_names_round_trip() {
    for s in Scheme::ALL {
        assert_eq!(Scheme::from_vers_name(s.vers_name()), Some(s));
    }
    assert_eq!(Scheme::from_vers_name("APK"), Some(Scheme::Alpine));
    assert_eq!(Scheme::from_vers_name("nope"), None);
}
