//! The matcher's input and output types: device models with their SBOM components, advisories in
//! one format-neutral shape ([`MatchableAdvisory`]), and [`Finding`]s with their evidence.

use mdsec_versions::Scheme;
use serde::Serialize;
use std::sync::Arc;

/// A device model version as the ledger knows it. `manufacturer` is the canonical name (the index
/// canonicalises again, so any known spelling works).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct DeviceModelKey {
    pub manufacturer: String,
    pub model: String,
    /// Firmware/software version; `None` when the ledger does not know it.
    pub version: Option<String>,
}

impl DeviceModelKey {
    pub fn new(manufacturer: &str, model: &str, version: Option<&str>) -> Self {
        DeviceModelKey {
            manufacturer: manufacturer.to_string(),
            model: model.to_string(),
            version: version.map(str::to_string),
        }
    }
}

/// One SBOM component of a device model.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Component {
    pub name: String,
    pub version: Option<String>,
    pub purl: Option<String>,
    pub cpe: Option<String>,
}

/// An advisory reduced to what matching needs. Built by the converters in [`crate::convert`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchableAdvisory {
    /// `ICSMA-22-244-01`, `GO-2020-0001`, `RUSTSEC-2023-0090`, `CVE-2024-1234`.
    pub id: String,
    /// CVE (and GHSA) ids of the advisory as a whole.
    pub aliases: Vec<String>,
    pub title: String,
    /// RustSec's informational kinds (`unmaintained`, `unsound`, `notice`): advice rather than a
    /// vulnerability; cargo-audit reports them as warnings. `None` for vulnerabilities.
    pub informational: Option<String>,
    pub affected: Vec<Affected>,
}

/// What an advisory says is affected.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Affected {
    /// A package (OSV `affected[]`, a CSAF product with a purl), matched against component purls.
    Package(PackageAffected),
    /// An NVD configuration, matched against component CPEs.
    Cpe(CpeConfiguration),
    /// A CSAF product (vendor, free-text product name, version or range) with its status per
    /// vulnerability, matched against device models.
    Product(ProductAffected),
}

/// A package and the versions of it that are affected.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PackageAffected {
    /// purl type (`golang`, `pypi`, `cargo`, `npm`, `maven`, …).
    pub purl_type: String,
    pub namespace: Option<String>,
    pub name: String,
    pub ranges: Vec<PackageRange>,
    /// Explicitly listed affected versions (OSV `versions`).
    pub versions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PackageRange {
    /// OSV SEMVER / ECOSYSTEM events, evaluated with the OSV algorithm under `scheme`.
    Events {
        #[serde(serialize_with = "ser_scheme")]
        scheme: Scheme,
        events: Vec<RangeEvent>,
    },
    /// A `vers:` range.
    Vers { vers: String },
    /// A range we cannot evaluate (OSV GIT ranges, unknown ecosystems): it only makes the
    /// containment undetermined when nothing else decides it.
    Unevaluable { reason: String },
}

fn ser_scheme<S: serde::Serializer>(s: &Scheme, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(s.vers_name())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RangeEvent {
    Introduced(String),
    Fixed(String),
    LastAffected(String),
    Limit(String),
}

/// An NVD configuration: nodes joined by AND or OR (firmware on hardware is an AND of a
/// vulnerable firmware node and a non-vulnerable hardware node).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CpeConfiguration {
    pub and: bool,
    pub negate: bool,
    pub nodes: Vec<CpeNode>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CpeNode {
    pub and: bool,
    pub negate: bool,
    pub matches: Vec<CpeCriterion>,
}

/// One NVD `cpeMatch`. `vendor`/`product`/`part` are the criterion's literal values (lower-case).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CpeCriterion {
    pub vulnerable: bool,
    pub criteria: String,
    pub part: String,
    pub vendor: String,
    pub product: String,
    /// The criterion's own version when it is a literal (not `*` or `-`).
    pub version: Option<String>,
    pub start_including: Option<String>,
    pub start_excluding: Option<String>,
    pub end_including: Option<String>,
    pub end_excluding: Option<String>,
}

/// A CSAF product: what the product tree says about it and, per vulnerability, its status.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductAffected {
    pub product_id: String,
    pub vendor: Option<String>,
    /// The `product_name` branch (free text, e.g. "CMS8000 CONTEC ICU CCU Vital Signs Patient Monitor").
    pub product: String,
    pub full_name: String,
    pub model_numbers: Vec<String>,
    /// A single version (`product_version` that is not a range).
    pub version: Option<String>,
    /// A range statement (`vers:all/*`, `< 8.2.2`, `>= 1.0 | <= 1.3.2`, prose).
    pub version_range: Option<String>,
    pub statements: Vec<ProductStatement>,
}

/// The status of one product for one vulnerability of the document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductStatement {
    /// CVE id, else the first vulnerability id, else `vulnerabilities[i]`.
    pub vulnerability: String,
    pub status: CsafStatus,
    /// Remediation texts of this vulnerability that name the product (or one of its groups).
    pub remediations: Vec<String>,
}

/// The CSAF `product_status` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CsafStatus {
    KnownAffected,
    FirstAffected,
    LastAffected,
    Fixed,
    FirstFixed,
    KnownNotAffected,
    UnderInvestigation,
    Recommended,
}

impl CsafStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CsafStatus::KnownAffected => "known_affected",
            CsafStatus::FirstAffected => "first_affected",
            CsafStatus::LastAffected => "last_affected",
            CsafStatus::Fixed => "fixed",
            CsafStatus::FirstFixed => "first_fixed",
            CsafStatus::KnownNotAffected => "known_not_affected",
            CsafStatus::UnderInvestigation => "under_investigation",
            CsafStatus::Recommended => "recommended",
        }
    }
}

/// How sure the matcher is that the advisory speaks about this device model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// The same identifier: purl package, CPE vendor:product, or the CSAF product name / model
    /// number equal to the model.
    Exact,
    /// The model name appears as a whole token sequence in the CSAF product name, or through a
    /// declared relabel.
    Strong,
    /// Every token of the model name occurs in the CSAF product name, not contiguously.
    Weak,
}

/// The matcher's verdict for a device model and an advisory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingStatus {
    Affected,
    /// The advisory names the product but the version cannot be placed (or is under
    /// investigation): shown as a risk, never as clean.
    Undetermined,
    /// The advisory states that this version is fixed.
    Fixed,
    /// The advisory states that this version is not affected.
    NotAffected,
}

impl FindingStatus {
    /// Affected or undetermined: something a person has to look at.
    pub fn needs_action(self) -> bool {
        matches!(self, FindingStatus::Affected | FindingStatus::Undetermined)
    }
}

/// Why a finding exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// The component purl/CPE, or `vendor / product` of the CSAF product that matched.
    pub matched_identifier: Arc<str>,
    /// The range or the CSAF status that decided (`SEMVER introduced 0, fixed 1.6.0`,
    /// `known_affected: vers:all/*`).
    pub range_or_status: Arc<str>,
    pub tier: Confidence,
    /// Plain-words detail (relabel, why undetermined).
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
///
/// Strings shared by many findings (model, advisory, identifiers) are reference-counted: a full
/// fleet match yields millions of findings and must not copy them each time.
pub struct Finding {
    pub device_model: Arc<DeviceModelKey>,
    pub advisory_id: Arc<str>,
    /// CVE/GHSA ids this finding stands for (for CSAF: the vulnerabilities that gave the status).
    pub aliases: Arc<[String]>,
    pub evidence: Evidence,
    pub status: FindingStatus,
    /// The advisory's recommended actions for this product, in document order, without duplicates.
    pub remediations: Vec<String>,
}
