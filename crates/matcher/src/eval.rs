//! Version evaluation: OSV events, `vers:` ranges, CSAF product versions, NVD CPE ranges. Every
//! comparison that cannot be made yields [`Containment::Undetermined`], never "outside".

use crate::model::{PackageRange, RangeEvent};
use mdsec_versions::firmware::{self, FirmwareConstraint, FirmwareRange};
use mdsec_versions::vers::{Comparator, VersRange};
use mdsec_versions::{compare, Containment, Scheme};
use std::cmp::Ordering;

/// A package range made ready for repeated evaluation (events sorted, `vers:` parsed).
#[derive(Debug, Clone)]
pub(crate) enum PreparedRange {
    Events {
        scheme: Scheme,
        events: Vec<RangeEvent>,
    },
    Vers(VersRange),
    Unevaluable,
}

/// Ranges with more events than this are evaluated in document order, unsorted.
pub const MAX_SORTED_EVENTS: usize = 256;

/// `introduced: 0` (and cargo's `0.0.0-0`) mean "from the very first version".
fn is_zero(v: &str) -> bool {
    v == "0" || v == "0.0.0-0"
}

fn event_version(e: &RangeEvent) -> &str {
    match e {
        RangeEvent::Introduced(v)
        | RangeEvent::Fixed(v)
        | RangeEvent::LastAffected(v)
        | RangeEvent::Limit(v) => v,
    }
}

pub(crate) fn prepare_range(r: &PackageRange) -> PreparedRange {
    match r {
        PackageRange::Events { scheme, events } => {
            // The OSV algorithm walks events in version order. Sort (insertion sort: never panics
            // on an inconsistent order) when every comparison succeeds; otherwise keep document
            // order, which OSV publishers write in version order anyway.
            let mut sorted = events.clone();
            let mut ok = sorted.len() <= MAX_SORTED_EVENTS;
            let less = |a: &RangeEvent, b: &RangeEvent| -> Option<bool> {
                let (va, vb) = (event_version(a), event_version(b));
                match (is_zero(va), is_zero(vb)) {
                    (true, zero_b) => Some(!zero_b),
                    (false, true) => Some(false),
                    _ => compare(*scheme, va, vb).ok().map(|o| o == Ordering::Less),
                }
            };
            let mut i = 1;
            while ok && i < sorted.len() {
                let mut j = i;
                while j > 0 {
                    match less(&sorted[j], &sorted[j - 1]) {
                        Some(true) => {
                            sorted.swap(j, j - 1);
                            j -= 1;
                        }
                        Some(false) => break,
                        None => {
                            ok = false;
                            break;
                        }
                    }
                }
                i += 1;
            }
            let events = if ok { sorted } else { events.clone() };
            PreparedRange::Events {
                scheme: *scheme,
                events,
            }
        }
        PackageRange::Vers { vers } => match VersRange::parse(vers) {
            Ok(v) => PreparedRange::Vers(v),
            Err(_) => PreparedRange::Unevaluable,
        },
        PackageRange::Unevaluable { .. } => PreparedRange::Unevaluable,
    }
}

/// The OSV evaluation algorithm over sorted events.
fn in_events(scheme: Scheme, events: &[RangeEvent], version: &str) -> Containment {
    if scheme.validate(version).is_err() {
        return Containment::Undetermined;
    }
    let mut affected = false;
    for e in events {
        let cmp = |x: &str| compare(scheme, version, x);
        match e {
            RangeEvent::Introduced(x) => {
                if is_zero(x) {
                    affected = true;
                } else {
                    match cmp(x) {
                        Ok(o) if o != Ordering::Less => affected = true,
                        Ok(_) => {}
                        Err(_) => return Containment::Undetermined,
                    }
                }
            }
            RangeEvent::Fixed(x) | RangeEvent::Limit(x) => match cmp(x) {
                Ok(o) if o != Ordering::Less => affected = false,
                Ok(_) => {}
                Err(_) => return Containment::Undetermined,
            },
            RangeEvent::LastAffected(x) => match cmp(x) {
                Ok(Ordering::Greater) => affected = false,
                Ok(_) => {}
                Err(_) => return Containment::Undetermined,
            },
        }
    }
    if affected {
        Containment::Inside
    } else {
        Containment::Outside
    }
}

/// Whether `version` of a package is affected by an entry with these ranges and listed versions.
/// No version at all, or an entry that says nothing evaluable, is undetermined.
pub(crate) fn package_containment(
    ranges: &[PreparedRange],
    versions: &[String],
    version: Option<&str>,
) -> Containment {
    let Some(version) = version.map(str::trim).filter(|v| !v.is_empty()) else {
        return Containment::Undetermined;
    };
    if versions.iter().any(|v| v == version) {
        return Containment::Inside;
    }
    let mut undetermined = ranges.is_empty() && versions.is_empty();
    for r in ranges {
        let c = match r {
            PreparedRange::Events { scheme, events } => in_events(*scheme, events, version),
            PreparedRange::Vers(v) => v.contains(version),
            PreparedRange::Unevaluable => {
                // A GIT range beside an ecosystem range adds nothing; alone it leaves us unsure.
                if ranges
                    .iter()
                    .all(|x| matches!(x, PreparedRange::Unevaluable))
                    && versions.is_empty()
                {
                    Containment::Undetermined
                } else {
                    Containment::Outside
                }
            }
        };
        match c {
            Containment::Inside => return Containment::Inside,
            Containment::Undetermined => undetermined = true,
            Containment::Outside => {}
        }
    }
    if undetermined {
        Containment::Undetermined
    } else {
        Containment::Outside
    }
}

/// Human-readable form of a package entry's ranges for the evidence.
pub(crate) fn describe_ranges(ranges: &[PackageRange], versions: &[String]) -> String {
    let mut parts: Vec<String> = ranges
        .iter()
        .map(|r| match r {
            PackageRange::Events { scheme, events } => {
                let ev: Vec<String> = events
                    .iter()
                    .map(|e| match e {
                        RangeEvent::Introduced(v) => format!("introduced {v}"),
                        RangeEvent::Fixed(v) => format!("fixed {v}"),
                        RangeEvent::LastAffected(v) => format!("last_affected {v}"),
                        RangeEvent::Limit(v) => format!("limit {v}"),
                    })
                    .collect();
                format!("{} {}", scheme.vers_name(), ev.join(", "))
            }
            PackageRange::Vers { vers } => vers.clone(),
            PackageRange::Unevaluable { reason } => reason.clone(),
        })
        .collect();
    if !versions.is_empty() {
        let shown: Vec<&str> = versions.iter().take(8).map(String::as_str).collect();
        let more = versions.len().saturating_sub(shown.len());
        let mut s = format!("versions {}", shown.join(", "));
        if more > 0 {
            s.push_str(&format!(" (+{more})"));
        }
        parts.push(s);
    }
    parts.join("; ")
}

/// The version statement of a CSAF product, prepared.
#[derive(Debug, Clone)]
pub(crate) enum ProductVersion {
    /// No version information: the statement is about the product as a whole.
    Any,
    Single(String),
    Range(FirmwareRange),
}

pub(crate) fn product_version(version: Option<&str>, range: Option<&str>) -> ProductVersion {
    match (version, range) {
        (_, Some(r)) => ProductVersion::Range(firmware::parse_range(r)),
        // `B.02 | C.02 | C.03` in a product_version: alternatives, not one version.
        (Some(v), None) if v.contains('|') => ProductVersion::Range(firmware::parse_range(v)),
        (Some(v), None) => ProductVersion::Single(v.to_string()),
        (None, None) => ProductVersion::Any,
    }
}

/// `first_affected: 2.0` means 2.0 and later; `last_affected: 2.0` 2.0 and earlier; `first_fixed`
/// like `first_affected`. A single version under one of these lists becomes that open interval.
pub(crate) fn open_interval(v: &str, comparator: Comparator) -> FirmwareRange {
    FirmwareRange::Alternatives(vec![vec![FirmwareConstraint {
        comparator,
        version: v.to_string(),
    }]])
}

pub(crate) fn product_containment(pv: &ProductVersion, version: Option<&str>) -> Containment {
    match pv {
        ProductVersion::Any | ProductVersion::Range(FirmwareRange::All) => Containment::Inside,
        _ => {
            let Some(v) = version.map(str::trim).filter(|v| !v.is_empty()) else {
                return Containment::Undetermined;
            };
            match pv {
                ProductVersion::Single(s) => match firmware::compare(v, s) {
                    Some(Ordering::Equal) => Containment::Inside,
                    Some(_) => Containment::Outside,
                    None => Containment::Undetermined,
                },
                ProductVersion::Range(r) => firmware::in_range(v, r),
                ProductVersion::Any => Containment::Inside,
            }
        }
    }
}

/// NVD `versionStart*/versionEnd*` bounds (and a literal criterion version) against a component
/// version, compared with the cautious firmware comparator.
pub(crate) fn cpe_version_ok(
    c: &crate::model::CpeCriterion,
    version: Option<&str>,
) -> Option<bool> {
    let has_bounds = c.start_including.is_some()
        || c.start_excluding.is_some()
        || c.end_including.is_some()
        || c.end_excluding.is_some();
    if c.version.is_none() && !has_bounds {
        return Some(true);
    }
    let v = version?;
    if let Some(lit) = &c.version {
        return firmware::compare(v, lit).map(|o| o == Ordering::Equal);
    }
    type Check<'a> = (&'a Option<String>, fn(Ordering) -> bool);
    let checks: [Check; 4] = [
        (&c.start_including, |o| o != Ordering::Less),
        (&c.start_excluding, |o| o == Ordering::Greater),
        (&c.end_including, |o| o != Ordering::Greater),
        (&c.end_excluding, |o| o == Ordering::Less),
    ];
    let mut unknown = false;
    for (bound, ok) in checks {
        if let Some(b) = bound {
            match firmware::compare(v, b) {
                Some(o) if !ok(o) => return Some(false),
                Some(_) => {}
                None => unknown = true,
            }
        }
    }
    if unknown {
        None
    } else {
        Some(true)
    }
}
