//! The "act now" score (今すぐ対応が必要な機器): deterministic, additive and explained.
//!
//! Every factor adds non-negative points and names itself in a [`Reason`] (a stable `code` the UI
//! translates, the points, and the value that caused them). Additive points make the score
//! monotone by construction: more exploitation evidence, more exposure, higher CVSS or less
//! information never lower it. Unknown is never scored as safe: an unknown exposure or impact
//! scores like a middle value, and a missing SBOM or MDS2 adds points of its own.

use mdsec_domain::{Criticality, DeviceClass, RemoteLine};
use serde::Serialize;

/// Yes / no / not known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tri {
    Yes,
    No,
    #[default]
    Unknown,
}

/// Where the device sits on the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Segment {
    /// Not connected to anything else / physically isolated.
    Isolated,
    /// A dedicated medical-device segment (VLAN).
    Medical,
    /// Shared with office PCs or the EHR network.
    Shared,
    #[default]
    Unknown,
}

/// What is known about one device, aggregated over its findings.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct PriorityInput {
    /// Findings with status affected.
    pub affected_findings: u32,
    /// Findings with status undetermined.
    pub undetermined_findings: u32,
    /// Any of the device's affected/undetermined vulnerabilities is in CISA KEV.
    pub kev_listed: bool,
    /// Highest EPSS probability (0–1) among them.
    pub epss: Option<f64>,
    /// Highest CVSS base score (0–10) among them.
    pub cvss: Option<f64>,
    pub network_connected: Tri,
    pub remote_line: RemoteLine,
    pub internet_reachable: Tri,
    pub segment: Segment,
    pub criticality: Option<Criticality>,
    pub device_class: Option<DeviceClass>,
    pub past_end_of_support: Tri,
    /// An advisory says no fix is or will be available.
    pub no_patch_available: bool,
    pub has_sbom: bool,
    pub has_mds2: bool,
}

/// One contribution to the score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    /// Stable code for i18n (`kev_listed`, `cvss`, `no_sbom`, …).
    pub code: &'static str,
    pub points: f64,
    /// The value behind it (`9.8`, `unknown`, `life_sustaining`), not translated.
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Priority {
    pub score: f64,
    /// Largest contribution first; ties by code.
    pub reasons: Vec<Reason>,
}

/// Points. Exploitation dominates, then exposure and patient impact; see each use.
pub mod weights {
    pub const AFFECTED: f64 = 20.0;
    pub const UNDETERMINED: f64 = 10.0;
    pub const KEV: f64 = 40.0;
    /// Multiplied by the EPSS probability.
    pub const EPSS: f64 = 20.0;
    /// Multiplied by the CVSS base score (0–10).
    pub const CVSS_PER_POINT: f64 = 3.0;
    /// CVSS assumed when a finding has none: unknown severity is treated as high.
    pub const CVSS_UNKNOWN_AS: f64 = 7.0;
    pub const NETWORK: f64 = 10.0;
    pub const REMOTE_YES: f64 = 10.0;
    pub const REMOTE_UNKNOWN: f64 = 5.0;
    pub const INTERNET_YES: f64 = 15.0;
    pub const INTERNET_UNKNOWN: f64 = 5.0;
    pub const SEGMENT_SHARED: f64 = 8.0;
    pub const SEGMENT_MEDICAL: f64 = 3.0;
    pub const LIFE_SUSTAINING: f64 = 20.0;
    pub const PATIENT_CONNECTED: f64 = 12.0;
    pub const DIAGNOSTIC: f64 = 6.0;
    pub const CLASS_IV: f64 = 8.0;
    pub const CLASS_III: f64 = 6.0;
    pub const CLASS_II: f64 = 3.0;
    pub const CLASS_UNKNOWN: f64 = 4.0;
    pub const PAST_EOS: f64 = 10.0;
    pub const EOS_UNKNOWN: f64 = 5.0;
    pub const NO_PATCH: f64 = 10.0;
    pub const NO_SBOM: f64 = 8.0;
    pub const NO_MDS2: f64 = 6.0;
}

fn clamp(x: f64, lo: f64, hi: f64) -> f64 {
    if x.is_nan() {
        lo
    } else {
        x.clamp(lo, hi)
    }
}

/// Score one device. Deterministic: the same input gives the same score and reasons.
pub fn score(input: &PriorityInput) -> Priority {
    use weights::*;
    let mut reasons: Vec<Reason> = Vec::new();
    let mut add = |code: &'static str, points: f64, detail: String| {
        if points > 0.0 {
            reasons.push(Reason {
                code,
                points,
                detail,
            });
        }
    };
    let vulnerable = input.affected_findings > 0 || input.undetermined_findings > 0;
    // Exploitation: only meaningful when something applies to the device.
    if input.affected_findings > 0 {
        add("affected", AFFECTED, input.affected_findings.to_string());
    } else if input.undetermined_findings > 0 {
        add(
            "undetermined",
            UNDETERMINED,
            input.undetermined_findings.to_string(),
        );
    }
    if input.kev_listed {
        add("kev_listed", KEV, String::new());
    }
    if let Some(e) = input.epss {
        let e = clamp(e, 0.0, 1.0);
        add("epss", EPSS * e, format!("{e:.3}"));
    }
    if vulnerable {
        match input.cvss {
            Some(c) => {
                let c = clamp(c, 0.0, 10.0);
                add("cvss", CVSS_PER_POINT * c, format!("{c:.1}"));
            }
            None => add(
                "cvss_unknown",
                CVSS_PER_POINT * CVSS_UNKNOWN_AS,
                "unknown".into(),
            ),
        }
    }
    // Exposure.
    match input.network_connected {
        Tri::Yes => add("network_connected", NETWORK, "yes".into()),
        Tri::Unknown => add("network_connected", NETWORK, "unknown".into()),
        Tri::No => {}
    }
    match input.remote_line {
        RemoteLine::Yes => add("remote_line", REMOTE_YES, "yes".into()),
        RemoteLine::Unknown => add("remote_line", REMOTE_UNKNOWN, "unknown".into()),
        RemoteLine::No => {}
    }
    match input.internet_reachable {
        Tri::Yes => add("internet_reachable", INTERNET_YES, "yes".into()),
        Tri::Unknown => add("internet_reachable", INTERNET_UNKNOWN, "unknown".into()),
        Tri::No => {}
    }
    match input.segment {
        Segment::Shared => add("segment", SEGMENT_SHARED, "shared".into()),
        Segment::Unknown => add("segment", SEGMENT_SHARED, "unknown".into()),
        Segment::Medical => add("segment", SEGMENT_MEDICAL, "medical".into()),
        Segment::Isolated => {}
    }
    // Patient-safety impact.
    match input.criticality {
        Some(Criticality::LifeSustaining) => {
            add("criticality", LIFE_SUSTAINING, "life_sustaining".into())
        }
        Some(Criticality::PatientConnected) | None => add(
            "criticality",
            PATIENT_CONNECTED,
            if input.criticality.is_some() {
                "patient_connected".into()
            } else {
                "unknown".into()
            },
        ),
        Some(Criticality::Diagnostic) => add("criticality", DIAGNOSTIC, "diagnostic".into()),
        Some(Criticality::NonClinical) => {}
    }
    match input.device_class {
        Some(DeviceClass::IV) => add("device_class", CLASS_IV, "IV".into()),
        Some(DeviceClass::III) => add("device_class", CLASS_III, "III".into()),
        Some(DeviceClass::II) => add("device_class", CLASS_II, "II".into()),
        Some(DeviceClass::I) => {}
        None => add("device_class", CLASS_UNKNOWN, "unknown".into()),
    }
    // Support status.
    match input.past_end_of_support {
        Tri::Yes => add("past_end_of_support", PAST_EOS, "yes".into()),
        Tri::Unknown => add("past_end_of_support", EOS_UNKNOWN, "unknown".into()),
        Tri::No => {}
    }
    if input.no_patch_available {
        add("no_patch_available", NO_PATCH, String::new());
    }
    // Missing information is a risk of its own.
    if !input.has_sbom {
        add("no_sbom", NO_SBOM, String::new());
    }
    if !input.has_mds2 {
        add("no_mds2", NO_MDS2, String::new());
    }
    reasons.sort_by(|a, b| {
        b.points
            .total_cmp(&a.points)
            .then_with(|| a.code.cmp(b.code))
    });
    // Sum in a fixed order so the result is bit-for-bit reproducible.
    let score = reasons.iter().map(|r| r.points).sum::<f64>();
    Priority {
        score: (score * 100.0).round() / 100.0,
        reasons,
    }
}
