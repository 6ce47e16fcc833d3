//! CVSS v2 and v3.x vector parsing and score computation (base, temporal, environmental), as the
//! FIRST specifications define them. Used by the CSAF tests 6.1.8–6.1.10.

use std::collections::BTreeMap;

/// A parsed vector: metric abbreviation → value abbreviation, in order of appearance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vector {
    /// `"2.0"`, `"3.0"` or `"3.1"`.
    pub version: String,
    pub metrics: BTreeMap<String, String>,
}

/// Scores computed from a vector. Temporal / environmental are `None` when the vector has none of
/// their metrics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scores {
    pub base: f64,
    pub temporal: Option<f64>,
    pub environmental: Option<f64>,
}

const V3_ALLOWED: &[(&str, &[&str])] = &[
    ("AV", &["N", "A", "L", "P"]),
    ("AC", &["L", "H"]),
    ("PR", &["N", "L", "H"]),
    ("UI", &["N", "R"]),
    ("S", &["U", "C"]),
    ("C", &["H", "L", "N"]),
    ("I", &["H", "L", "N"]),
    ("A", &["H", "L", "N"]),
    ("E", &["X", "H", "F", "P", "U"]),
    ("RL", &["X", "U", "W", "T", "O"]),
    ("RC", &["X", "C", "R", "U"]),
    ("CR", &["X", "H", "M", "L"]),
    ("IR", &["X", "H", "M", "L"]),
    ("AR", &["X", "H", "M", "L"]),
    ("MAV", &["X", "N", "A", "L", "P"]),
    ("MAC", &["X", "L", "H"]),
    ("MPR", &["X", "N", "L", "H"]),
    ("MUI", &["X", "N", "R"]),
    ("MS", &["X", "U", "C"]),
    ("MC", &["X", "H", "L", "N"]),
    ("MI", &["X", "H", "L", "N"]),
    ("MA", &["X", "H", "L", "N"]),
];
const V3_REQUIRED: &[&str] = &["AV", "AC", "PR", "UI", "S", "C", "I", "A"];

const V2_ALLOWED: &[(&str, &[&str])] = &[
    ("AV", &["L", "A", "N"]),
    ("AC", &["H", "M", "L"]),
    ("Au", &["M", "S", "N"]),
    ("C", &["N", "P", "C"]),
    ("I", &["N", "P", "C"]),
    ("A", &["N", "P", "C"]),
    ("E", &["U", "POC", "F", "H", "ND"]),
    ("RL", &["OF", "TF", "W", "U", "ND"]),
    ("RC", &["UC", "UR", "C", "ND"]),
    ("CDP", &["N", "L", "LM", "MH", "H", "ND"]),
    ("TD", &["N", "L", "M", "H", "ND"]),
    ("CR", &["L", "M", "H", "ND"]),
    ("IR", &["L", "M", "H", "ND"]),
    ("AR", &["L", "M", "H", "ND"]),
];
const V2_REQUIRED: &[&str] = &["AV", "AC", "Au", "C", "I", "A"];

/// Parse a CVSS v3.0/v3.1 vector (`CVSS:3.1/AV:N/...`).
pub fn parse_v3(vector: &str) -> Result<Vector, String> {
    let mut parts = vector.split('/');
    let version = match parts.next() {
        Some("CVSS:3.0") => "3.0",
        Some("CVSS:3.1") => "3.1",
        other => {
            return Err(format!(
                "vector must start with CVSS:3.0 or CVSS:3.1, found {:?}",
                other.unwrap_or("")
            ))
        }
    };
    let metrics = parse_metrics(parts, V3_ALLOWED, V3_REQUIRED)?;
    Ok(Vector {
        version: version.to_string(),
        metrics,
    })
}

/// Parse a CVSS v2 vector (`AV:N/AC:L/Au:N/C:P/I:P/A:P`, optionally in parentheses).
pub fn parse_v2(vector: &str) -> Result<Vector, String> {
    let v = vector.trim_start_matches('(').trim_end_matches(')');
    let metrics = parse_metrics(v.split('/'), V2_ALLOWED, V2_REQUIRED)?;
    Ok(Vector {
        version: "2.0".to_string(),
        metrics,
    })
}

fn parse_metrics<'a>(
    parts: impl Iterator<Item = &'a str>,
    allowed: &[(&str, &[&str])],
    required: &[&str],
) -> Result<BTreeMap<String, String>, String> {
    let mut metrics = BTreeMap::new();
    for part in parts {
        let Some((k, v)) = part.split_once(':') else {
            return Err(format!("malformed metric {part:?}"));
        };
        let Some((_, values)) = allowed.iter().find(|(name, _)| *name == k) else {
            return Err(format!("unknown metric {k:?}"));
        };
        if !values.contains(&v) {
            return Err(format!("invalid value {v:?} for metric {k}"));
        }
        if metrics.insert(k.to_string(), v.to_string()).is_some() {
            return Err(format!("metric {k} given twice"));
        }
    }
    for r in required {
        if !metrics.contains_key(*r) {
            return Err(format!("base metric {r} missing"));
        }
    }
    Ok(metrics)
}

impl Vector {
    fn get(&self, k: &str) -> &str {
        self.metrics.get(k).map(String::as_str).unwrap_or("X")
    }
    /// Modified metric if defined (not `X`), else the base metric.
    fn modified(&self, k: &str) -> &str {
        match self.metrics.get(&format!("M{k}")).map(String::as_str) {
            Some(v) if v != "X" => v,
            _ => self.get(k),
        }
    }
    fn has_any_key(&self, keys: &[&str]) -> bool {
        keys.iter().any(|k| self.metrics.contains_key(*k))
    }

    /// Compute scores for this vector.
    pub fn scores(&self) -> Scores {
        if self.version == "2.0" {
            v2_scores(self)
        } else {
            v3_scores(self)
        }
    }
}

fn roundup(x: f64, version: &str) -> f64 {
    if version == "3.0" {
        (x * 10.0).ceil() / 10.0
    } else {
        let int_input = (x * 100_000.0).round() as i64;
        if int_input % 10_000 == 0 {
            int_input as f64 / 100_000.0
        } else {
            ((int_input / 10_000) as f64 + 1.0) / 10.0
        }
    }
}

fn av3(v: &str) -> f64 {
    match v {
        "N" => 0.85,
        "A" => 0.62,
        "L" => 0.55,
        _ => 0.2,
    }
}
fn ac3(v: &str) -> f64 {
    if v == "L" {
        0.77
    } else {
        0.44
    }
}
fn pr3(v: &str, changed: bool) -> f64 {
    match (v, changed) {
        ("N", _) => 0.85,
        ("L", false) => 0.62,
        ("L", true) => 0.68,
        (_, false) => 0.27,
        (_, true) => 0.5,
    }
}
fn ui3(v: &str) -> f64 {
    if v == "N" {
        0.85
    } else {
        0.62
    }
}
fn cia3(v: &str) -> f64 {
    match v {
        "H" => 0.56,
        "L" => 0.22,
        _ => 0.0,
    }
}
fn req3(v: &str) -> f64 {
    match v {
        "H" => 1.5,
        "L" => 0.5,
        _ => 1.0,
    }
}

fn v3_scores(v: &Vector) -> Scores {
    let ver = v.version.as_str();
    let changed = v.get("S") == "C";
    let iss = 1.0 - (1.0 - cia3(v.get("C"))) * (1.0 - cia3(v.get("I"))) * (1.0 - cia3(v.get("A")));
    let impact = if changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02).powi(15)
    } else {
        6.42 * iss
    };
    let expl =
        8.22 * av3(v.get("AV")) * ac3(v.get("AC")) * pr3(v.get("PR"), changed) * ui3(v.get("UI"));
    let base = if impact <= 0.0 {
        0.0
    } else if changed {
        roundup((1.08 * (impact + expl)).min(10.0), ver)
    } else {
        roundup((impact + expl).min(10.0), ver)
    };
    let e = match v.get("E") {
        "F" => 0.97,
        "P" => 0.94,
        "U" => 0.91,
        _ => 1.0,
    };
    let rl = match v.get("RL") {
        "W" => 0.97,
        "T" => 0.96,
        "O" => 0.95,
        _ => 1.0,
    };
    let rc = match v.get("RC") {
        "R" => 0.96,
        "U" => 0.92,
        _ => 1.0,
    };
    let temporal = v
        .has_any_key(&["E", "RL", "RC"])
        .then(|| roundup(base * e * rl * rc, ver));
    let env_keys = [
        "CR", "IR", "AR", "MAV", "MAC", "MPR", "MUI", "MS", "MC", "MI", "MA",
    ];
    let environmental = v.has_any_key(&env_keys).then(|| {
        let m_changed = v.modified("S") == "C";
        let miss = (1.0
            - (1.0 - req3(v.get("CR")) * cia3(v.modified("C")))
                * (1.0 - req3(v.get("IR")) * cia3(v.modified("I")))
                * (1.0 - req3(v.get("AR")) * cia3(v.modified("A"))))
        .min(0.915);
        let m_impact = if m_changed {
            if ver == "3.0" {
                7.52 * (miss - 0.029) - 3.25 * (miss - 0.02).powi(15)
            } else {
                7.52 * (miss - 0.029) - 3.25 * (miss * 0.9731 - 0.02).powi(13)
            }
        } else {
            6.42 * miss
        };
        let m_expl = 8.22
            * av3(v.modified("AV"))
            * ac3(v.modified("AC"))
            * pr3(v.modified("PR"), m_changed)
            * ui3(v.modified("UI"));
        if m_impact <= 0.0 {
            0.0
        } else if m_changed {
            roundup(
                roundup((1.08 * (m_impact + m_expl)).min(10.0), ver) * e * rl * rc,
                ver,
            )
        } else {
            roundup(
                roundup((m_impact + m_expl).min(10.0), ver) * e * rl * rc,
                ver,
            )
        }
    });
    Scores {
        base,
        temporal,
        environmental,
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn v2_scores(v: &Vector) -> Scores {
    let cia = |x: &str| match x {
        "P" => 0.275,
        "C" => 0.660,
        _ => 0.0,
    };
    let av = match v.get("AV") {
        "L" => 0.395,
        "A" => 0.646,
        _ => 1.0,
    };
    let ac = match v.get("AC") {
        "H" => 0.35,
        "M" => 0.61,
        _ => 0.71,
    };
    let au = match v.get("Au") {
        "M" => 0.45,
        "S" => 0.56,
        _ => 0.704,
    };
    let expl = 20.0 * av * ac * au;
    let base_with = |impact: f64| {
        let f = if impact == 0.0 { 0.0 } else { 1.176 };
        round1(((0.6 * impact) + (0.4 * expl) - 1.5) * f)
    };
    let (c, i, a) = (cia(v.get("C")), cia(v.get("I")), cia(v.get("A")));
    let impact = 10.41 * (1.0 - (1.0 - c) * (1.0 - i) * (1.0 - a));
    let base = base_with(impact);
    let e = match v.get("E") {
        "U" => 0.85,
        "POC" => 0.9,
        "F" => 0.95,
        _ => 1.0,
    };
    let rl = match v.get("RL") {
        "OF" => 0.87,
        "TF" => 0.90,
        "W" => 0.95,
        _ => 1.0,
    };
    let rc = match v.get("RC") {
        "UC" => 0.90,
        "UR" => 0.95,
        _ => 1.0,
    };
    let temporal = v
        .has_any_key(&["E", "RL", "RC"])
        .then(|| round1(base * e * rl * rc));
    let environmental = v.has_any_key(&["CDP", "TD", "CR", "IR", "AR"]).then(|| {
        let req = |x: &str| match x {
            "L" => 0.5,
            "H" => 1.51,
            _ => 1.0,
        };
        let adj_impact = (10.41
            * (1.0
                - (1.0 - c * req(v.get("CR")))
                    * (1.0 - i * req(v.get("IR")))
                    * (1.0 - a * req(v.get("AR")))))
        .min(10.0);
        let adj_temporal = round1(base_with(adj_impact) * e * rl * rc);
        let cdp = match v.get("CDP") {
            "L" => 0.1,
            "LM" => 0.3,
            "MH" => 0.4,
            "H" => 0.5,
            _ => 0.0,
        };
        let td = match v.get("TD") {
            "N" => 0.0,
            "L" => 0.25,
            "M" => 0.75,
            _ => 1.0,
        };
        round1((adj_temporal + (10.0 - adj_temporal) * cdp) * td)
    });
    Scores {
        base,
        temporal,
        environmental,
    }
}

/// CVSS v3 qualitative severity of a score.
pub fn severity_v3(score: f64) -> &'static str {
    if score == 0.0 {
        "NONE"
    } else if score < 4.0 {
        "LOW"
    } else if score < 7.0 {
        "MEDIUM"
    } else if score < 9.0 {
        "HIGH"
    } else {
        "CRITICAL"
    }
}

/// The JSON property name (CVSS JSON schema) of a v3 metric abbreviation and its value names.
pub fn v3_property(metric: &str, value: &str) -> Option<(&'static str, &'static str)> {
    let name = match metric {
        "AV" => "attackVector",
        "AC" => "attackComplexity",
        "PR" => "privilegesRequired",
        "UI" => "userInteraction",
        "S" => "scope",
        "C" => "confidentialityImpact",
        "I" => "integrityImpact",
        "A" => "availabilityImpact",
        "E" => "exploitCodeMaturity",
        "RL" => "remediationLevel",
        "RC" => "reportConfidence",
        "CR" => "confidentialityRequirement",
        "IR" => "integrityRequirement",
        "AR" => "availabilityRequirement",
        "MAV" => "modifiedAttackVector",
        "MAC" => "modifiedAttackComplexity",
        "MPR" => "modifiedPrivilegesRequired",
        "MUI" => "modifiedUserInteraction",
        "MS" => "modifiedScope",
        "MC" => "modifiedConfidentialityImpact",
        "MI" => "modifiedIntegrityImpact",
        "MA" => "modifiedAvailabilityImpact",
        _ => return None,
    };
    let av = matches!(metric, "AV" | "MAV");
    let val = match (metric, value) {
        (_, "X") => "NOT_DEFINED",
        (_, "N") if av => "NETWORK",
        (_, "A") if av => "ADJACENT_NETWORK",
        (_, "L") if av => "LOCAL",
        (_, "P") if av => "PHYSICAL",
        ("UI" | "MUI", "N") => "NONE",
        ("UI" | "MUI", "R") => "REQUIRED",
        ("S" | "MS", "U") => "UNCHANGED",
        ("S" | "MS", "C") => "CHANGED",
        ("E", "H") => "HIGH",
        ("E", "F") => "FUNCTIONAL",
        ("E", "P") => "PROOF_OF_CONCEPT",
        ("E", "U") => "UNPROVEN",
        ("RL", "U") => "UNAVAILABLE",
        ("RL", "W") => "WORKAROUND",
        ("RL", "T") => "TEMPORARY_FIX",
        ("RL", "O") => "OFFICIAL_FIX",
        ("RC", "C") => "CONFIRMED",
        ("RC", "R") => "REASONABLE",
        ("RC", "U") => "UNKNOWN",
        ("CR" | "IR" | "AR", "M") => "MEDIUM",
        (_, "H") => "HIGH",
        (_, "L") => "LOW",
        (_, "N") => "NONE",
        _ => return None,
    };
    Some((name, val))
}

/// The JSON property name (CVSS v2 JSON schema) of a v2 metric abbreviation and its value names.
pub fn v2_property(metric: &str, value: &str) -> Option<(&'static str, &'static str)> {
    let name = match metric {
        "AV" => "accessVector",
        "AC" => "accessComplexity",
        "Au" => "authentication",
        "C" => "confidentialityImpact",
        "I" => "integrityImpact",
        "A" => "availabilityImpact",
        "E" => "exploitability",
        "RL" => "remediationLevel",
        "RC" => "reportConfidence",
        "CDP" => "collateralDamagePotential",
        "TD" => "targetDistribution",
        "CR" => "confidentialityRequirement",
        "IR" => "integrityRequirement",
        "AR" => "availabilityRequirement",
        _ => return None,
    };
    let val = match (metric, value) {
        (_, "ND") => "NOT_DEFINED",
        ("AV", "L") => "LOCAL",
        ("AV", "A") => "ADJACENT_NETWORK",
        ("AV", "N") => "NETWORK",
        ("AC", "H") | ("TD" | "CR" | "IR" | "AR" | "CDP", "H") => "HIGH",
        ("AC", "M") | ("TD" | "CR" | "IR" | "AR", "M") => "MEDIUM",
        ("AC", "L") | ("TD" | "CR" | "IR" | "AR" | "CDP", "L") => "LOW",
        ("Au", "M") => "MULTIPLE",
        ("Au", "S") => "SINGLE",
        ("Au", "N") => "NONE",
        ("C" | "I" | "A", "N") | ("TD" | "CDP", "N") => "NONE",
        ("C" | "I" | "A", "P") => "PARTIAL",
        ("C" | "I" | "A", "C") => "COMPLETE",
        ("E", "U") => "UNPROVEN",
        ("E", "POC") => "PROOF_OF_CONCEPT",
        ("E", "F") => "FUNCTIONAL",
        ("E", "H") => "HIGH",
        ("RL", "OF") => "OFFICIAL_FIX",
        ("RL", "TF") => "TEMPORARY_FIX",
        ("RL", "W") => "WORKAROUND",
        ("RL", "U") => "UNAVAILABLE",
        ("RC", "UC") => "UNCONFIRMED",
        ("RC", "UR") => "UNCORROBORATED",
        ("RC", "C") => "CONFIRMED",
        ("CDP", "LM") => "LOW_MEDIUM",
        ("CDP", "MH") => "MEDIUM_HIGH",
        _ => return None,
    };
    Some((name, val))
}

/// Whether `name` is a CVSS v3 JSON metric property (`attackVector`, …).
pub fn v3_property_known(name: &str) -> bool {
    V3_ALLOWED
        .iter()
        .any(|(m, _)| v3_property(m, "X").is_some_and(|(n, _)| n == name))
}

/// Whether `value` is an allowed value of the CVSS v3 JSON property `name`.
pub fn v3_property_valid(name: &str, value: &str) -> bool {
    V3_ALLOWED.iter().any(|(m, vals)| {
        vals.iter()
            .any(|v| v3_property(m, v) == Some((prop_name_v3(m), value)) && prop_name_v3(m) == name)
    })
}

fn prop_name_v3(metric: &str) -> &'static str {
    v3_property(metric, "X").map(|(n, _)| n).unwrap_or("")
}

/// Whether `name` is a CVSS v2 JSON metric property (`accessVector`, …).
pub fn v2_property_known(name: &str) -> bool {
    V2_ALLOWED.iter().any(|(m, vals)| {
        vals.iter()
            .any(|v| v2_property(m, v).is_some_and(|(n, _)| n == name))
    })
}

/// Whether `value` is an allowed value of the CVSS v2 JSON property `name`.
pub fn v2_property_valid(name: &str, value: &str) -> bool {
    V2_ALLOWED.iter().any(|(m, vals)| {
        vals.iter()
            .any(|v| v2_property(m, v) == Some((name, value)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values computed by hand from the FIRST formulas / published NVD scores.
    #[test]
    fn v3_base_scores() {
        let s = parse_v3("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
            .unwrap()
            .scores();
        assert_eq!(s.base, 9.8);
        let s = parse_v3("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N")
            .unwrap()
            .scores();
        assert_eq!(s.base, 6.1);
        let s = parse_v3("CVSS:3.0/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
            .unwrap()
            .scores();
        assert_eq!(s.base, 6.8);
        let s = parse_v3("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N")
            .unwrap()
            .scores();
        assert_eq!(s.base, 0.0);
        assert_eq!(severity_v3(6.8), "MEDIUM");
    }

    #[test]
    fn v3_temporal_environmental() {
        let s = parse_v3("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C")
            .unwrap()
            .scores();
        assert_eq!(s.temporal, Some(8.8));
        let s = parse_v3("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/CR:L/IR:L/AR:L")
            .unwrap()
            .scores();
        assert_eq!(s.environmental, Some(8.0));
    }

    #[test]
    fn v2_scores_match_nvd() {
        assert_eq!(
            parse_v2("AV:N/AC:L/Au:N/C:C/I:C/A:C")
                .unwrap()
                .scores()
                .base,
            10.0
        );
        assert_eq!(
            parse_v2("AV:N/AC:L/Au:N/C:P/I:P/A:P")
                .unwrap()
                .scores()
                .base,
            7.5
        );
        assert_eq!(
            parse_v2("AV:N/AC:M/Au:N/C:N/I:P/A:N")
                .unwrap()
                .scores()
                .base,
            4.3
        );
    }

    #[test]
    fn invalid_vectors() {
        assert!(parse_v3("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").is_err());
        assert!(parse_v3("CVSS:3.1/AV:N").is_err());
        assert!(parse_v3("CVSS:2.0/AV:N").is_err());
        assert!(parse_v2("AV:N/AC:L/Au:N/C:C/I:C").is_err());
        assert!(parse_v2("AV:N/AC:L/Au:N/C:C/I:C/A:C/A:C").is_err());
    }

    #[test]
    fn json_property_names() {
        assert!(v3_property_known("attackVector"));
        assert!(v3_property_valid("attackVector", "ADJACENT_NETWORK"));
        assert!(!v3_property_valid("attackVector", "ADJACENT"));
        assert!(v3_property_valid("exploitCodeMaturity", "NOT_DEFINED"));
        assert!(v2_property_known("authentication"));
        assert!(v2_property_valid("collateralDamagePotential", "LOW_MEDIUM"));
        assert!(!v2_property_valid("accessVector", "PHYSICAL"));
    }
}
