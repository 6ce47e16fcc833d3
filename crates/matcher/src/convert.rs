//! Converters from the parsers' outputs (mdsec-advisory, mdsec-vulndb) to [`MatchableAdvisory`].

use crate::model::*;
use mdsec_advisory::csaf::CsafDocument;
use mdsec_advisory::osv::{OsvAdvisory, OsvEvent};
use mdsec_ids::{cpe::Value, Cpe, Purl};
use mdsec_versions::Scheme;
use mdsec_vulndb::nvd::{CveRecord, Operator};
use std::collections::{HashMap, HashSet};

/// Longest title kept (NVD descriptions can be long; the title is for display only).
pub const MAX_TITLE_CHARS: usize = 300;

fn short(s: &str) -> String {
    s.chars().take(MAX_TITLE_CHARS).collect()
}

/// A CSAF document: one [`Affected::Product`] per product id that some vulnerability gives a status.
pub fn from_csaf(doc: &CsafDocument) -> MatchableAdvisory {
    let groups: HashMap<&str, &Vec<String>> = doc
        .product_tree
        .as_ref()
        .map(|t| {
            t.product_groups
                .iter()
                .map(|g| (g.group_id.as_str(), &g.product_ids))
                .collect()
        })
        .unwrap_or_default();
    // product id -> statements
    let mut by_product: HashMap<&str, Vec<ProductStatement>> = HashMap::new();
    for (i, v) in doc.vulnerabilities.iter().enumerate() {
        let label = v
            .cve
            .clone()
            .or_else(|| v.ids.first().map(|x| x.text.clone()))
            .unwrap_or_else(|| format!("vulnerabilities[{i}]"));
        let Some(ps) = &v.product_status else {
            continue;
        };
        for (name, ids) in ps.lists() {
            let Some(status) = status_of(name) else {
                continue;
            };
            for pid in ids {
                let remediations = remediations_for(v, pid, &groups);
                let list = by_product.entry(pid.as_str()).or_default();
                list.push(ProductStatement {
                    vulnerability: label.clone(),
                    status,
                    remediations,
                });
            }
        }
    }
    let mut affected = Vec::new();
    let mut seen = HashSet::new();
    for p in doc.products() {
        let Some(statements) = by_product.get(p.product_id.as_str()) else {
            continue;
        };
        if !seen.insert(p.product_id.clone()) {
            continue;
        }
        affected.push(Affected::Product(ProductAffected {
            product_id: p.product_id.clone(),
            vendor: p.vendor.clone(),
            product: p.product.clone(),
            full_name: p.full_name.clone(),
            model_numbers: p.model_numbers.clone(),
            version: p.version.clone(),
            version_range: p.version_range.clone(),
            statements: statements.clone(),
        }));
        if let Some(purl) = p.purl.as_deref().and_then(|s| Purl::parse_lenient(s).ok()) {
            // A CSAF product with a purl is also a package: its version (if any) is the one named.
            let versions: Vec<String> = purl
                .version()
                .map(str::to_string)
                .or_else(|| p.version.clone())
                .into_iter()
                .collect();
            let affected_status = statements.iter().any(|s| {
                matches!(
                    s.status,
                    CsafStatus::KnownAffected
                        | CsafStatus::FirstAffected
                        | CsafStatus::LastAffected
                )
            });
            if affected_status && !versions.is_empty() {
                affected.push(Affected::Package(PackageAffected {
                    purl_type: purl.ty().to_string(),
                    namespace: purl.namespace().map(str::to_string),
                    name: purl.name().to_string(),
                    ranges: Vec::new(),
                    versions,
                }));
            }
        }
    }
    MatchableAdvisory {
        id: doc.document.tracking.id.clone(),
        aliases: dedup(doc.cves()),
        title: short(&doc.document.title),
        informational: None,
        affected,
    }
}

fn status_of(list: &str) -> Option<CsafStatus> {
    Some(match list {
        "known_affected" => CsafStatus::KnownAffected,
        "first_affected" => CsafStatus::FirstAffected,
        "last_affected" => CsafStatus::LastAffected,
        "fixed" => CsafStatus::Fixed,
        "first_fixed" => CsafStatus::FirstFixed,
        "known_not_affected" => CsafStatus::KnownNotAffected,
        "under_investigation" => CsafStatus::UnderInvestigation,
        "recommended" => CsafStatus::Recommended,
        _ => return None,
    })
}

fn remediations_for(
    v: &mdsec_advisory::csaf::Vulnerability,
    pid: &str,
    groups: &HashMap<&str, &Vec<String>>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in &v.remediations {
        let named = r.product_ids.iter().any(|p| p == pid)
            || r.group_ids.iter().any(|g| {
                groups
                    .get(g.as_str())
                    .is_some_and(|ids| ids.iter().any(|p| p == pid))
            });
        if !named {
            continue;
        }
        let mut text = r.details.trim().to_string();
        if let Some(url) = &r.url {
            if !text.contains(url.as_str()) {
                text = format!("{text} ({url})");
            }
        }
        if !text.is_empty() && !out.contains(&text) {
            out.push(text);
        }
    }
    out
}

fn dedup(v: Vec<String>) -> Vec<String> {
    let mut seen = HashSet::new();
    v.into_iter().filter(|x| seen.insert(x.clone())).collect()
}

/// OSV ecosystem (as written in `affected[].package.ecosystem`, `Debian:11` style suffixes
/// allowed) to purl type.
pub fn ecosystem_purl_type(ecosystem: &str) -> Option<&'static str> {
    let base = ecosystem.split(':').next().unwrap_or("").trim();
    Some(match base {
        "Go" => "golang",
        "PyPI" => "pypi",
        "crates.io" => "cargo",
        "npm" => "npm",
        "Maven" => "maven",
        "RubyGems" => "gem",
        "NuGet" => "nuget",
        "Packagist" => "composer",
        "Hex" => "hex",
        "Pub" => "pub",
        "Debian" | "Ubuntu" => "deb",
        "Alpine" => "apk",
        "Rocky Linux" | "AlmaLinux" | "Red Hat" | "openSUSE" | "SUSE" => "rpm",
        "SwiftURL" => "swift",
        "GitHub Actions" => "github",
        "Hackage" => "hackage",
        "CRAN" => "cran",
        "ConanCenter" => "conan",
        _ => return None,
    })
}

/// Split an OSV package name into purl namespace and name for the given purl type.
fn split_name(ty: &str, name: &str) -> (Option<String>, String) {
    let split_at = match ty {
        "golang" | "npm" | "composer" | "github" | "swift" => name.rfind('/'),
        "maven" => name.rfind(':'),
        _ => None,
    };
    match split_at {
        Some(i) => {
            let (ns, rest) = name.split_at(i);
            (
                Some(ns.to_string()),
                rest.get(1..).unwrap_or("").to_string(),
            )
        }
        None => (None, name.to_string()),
    }
}

/// An OSV advisory. A withdrawn advisory keeps its id but affects nothing.
pub fn from_osv(a: &OsvAdvisory) -> MatchableAdvisory {
    let mut affected = Vec::new();
    if a.withdrawn.is_none() {
        for af in &a.affected {
            let Some(pkg) = &af.package else { continue };
            let from_purl = pkg
                .purl
                .as_deref()
                .and_then(|s| Purl::parse_lenient(s).ok());
            let (ty, namespace, name) = match (&from_purl, ecosystem_purl_type(&pkg.ecosystem)) {
                (Some(p), _) => (
                    p.ty().to_string(),
                    p.namespace().map(str::to_string),
                    p.name().to_string(),
                ),
                (None, Some(ty)) => {
                    let (ns, n) = split_name(ty, &pkg.name);
                    (ty.to_string(), ns, n)
                }
                (None, None) => continue,
            };
            let eco_scheme = Scheme::from_vers_name(&ty);
            let ranges = af
                .ranges
                .iter()
                .map(|r| {
                    let scheme = match r.kind.as_str() {
                        "SEMVER" if ty == "golang" => Some(Scheme::Golang),
                        "SEMVER" => Some(Scheme::Semver),
                        "ECOSYSTEM" => eco_scheme,
                        _ => None,
                    };
                    match scheme {
                        Some(scheme) => PackageRange::Events {
                            scheme,
                            events: r
                                .events
                                .iter()
                                .map(|e| match e {
                                    OsvEvent::Introduced(v) => RangeEvent::Introduced(v.clone()),
                                    OsvEvent::Fixed(v) => RangeEvent::Fixed(v.clone()),
                                    OsvEvent::LastAffected(v) => {
                                        RangeEvent::LastAffected(v.clone())
                                    }
                                    OsvEvent::Limit(v) => RangeEvent::Limit(v.clone()),
                                })
                                .collect(),
                        },
                        None => PackageRange::Unevaluable {
                            reason: format!("{} range of {}", r.kind, pkg.ecosystem),
                        },
                    }
                })
                .collect();
            affected.push(Affected::Package(PackageAffected {
                purl_type: ty,
                namespace,
                name,
                ranges,
                versions: af.versions.clone(),
            }));
        }
    }
    MatchableAdvisory {
        id: a.id.clone(),
        aliases: a.aliases.clone(),
        title: short(
            a.summary
                .as_deref()
                .or(a.details.as_deref())
                .unwrap_or(a.id.as_str()),
        ),
        informational: a
            .affected
            .iter()
            .filter_map(|af| {
                af.database_specific
                    .as_ref()?
                    .get("informational")?
                    .as_str()
            })
            .next()
            .map(str::to_string),
        affected,
    }
}

fn literal(v: &Value) -> Option<String> {
    v.as_literal().map(|s| s.to_ascii_lowercase())
}

/// An NVD CVE record: one [`Affected::Cpe`] per configuration. Criteria that are not valid CPE 2.3
/// names are dropped (they could never match a component).
pub fn from_nvd(r: &CveRecord) -> MatchableAdvisory {
    let affected = r
        .configurations
        .iter()
        .map(|c| {
            Affected::Cpe(CpeConfiguration {
                and: c.operator == Some(Operator::And),
                negate: c.negate,
                nodes: c
                    .nodes
                    .iter()
                    .map(|n| CpeNode {
                        and: n.operator == Operator::And,
                        negate: n.negate,
                        matches: n
                            .cpe_match
                            .iter()
                            .filter_map(|m| {
                                let cpe = Cpe::parse_lenient(&m.criteria).ok()?;
                                Some(CpeCriterion {
                                    vulnerable: m.vulnerable,
                                    criteria: m.criteria.clone(),
                                    part: cpe.part().map(String::from).unwrap_or_default(),
                                    vendor: literal(cpe.vendor())?,
                                    product: literal(cpe.product())?,
                                    version: literal(cpe.version()),
                                    start_including: m.version_start_including.clone(),
                                    start_excluding: m.version_start_excluding.clone(),
                                    end_including: m.version_end_including.clone(),
                                    end_excluding: m.version_end_excluding.clone(),
                                })
                            })
                            .collect(),
                    })
                    .collect(),
            })
        })
        .collect();
    MatchableAdvisory {
        id: r.id.clone(),
        aliases: vec![r.id.clone()],
        title: short(r.description("en").unwrap_or("")),
        informational: None,
        affected,
    }
}

/// The components of a parsed SBOM (CycloneDX or SPDX), as the matcher needs them.
pub fn components_from_sbom(sbom: &mdsec_sbom::Sbom) -> Vec<Component> {
    sbom.components
        .iter()
        .map(|c| Component {
            name: c.name.clone(),
            version: c.version.clone(),
            purl: c.purl.clone(),
            cpe: c.cpe.clone(),
        })
        .collect()
}
