//! Fingerprint rules: identifiers → manufacturer, model, device type and software guesses with a
//! confidence and the ids of the rules that support them. The built-in rules are
//! `data/fingerprints.toml` (written by this project); users extend them with their own file.

use crate::report::{DeviceReport, Guess};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The built-in rule file.
pub const BUILTIN_RULES: &str = include_str!("../data/fingerprints.toml");
/// Largest rule file accepted.
pub const MAX_RULE_FILE_BYTES: usize = 4 * 1024 * 1024;
/// Most rules in one rule set.
pub const MAX_RULES: usize = 20_000;

#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Match {
    Any,
    Equals(String),
    Prefix(String),
    Contains(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: String,
    pub identifier: String,
    pub matcher: Match,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub device_type: Option<String>,
    pub software: Option<String>,
    pub confidence: f32,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleSet {
    rules: Vec<Rule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    rule: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    identifier: String,
    any: Option<bool>,
    equals: Option<String>,
    prefix: Option<String>,
    contains: Option<String>,
    manufacturer: Option<String>,
    model: Option<String>,
    device_type: Option<String>,
    software: Option<String>,
    confidence: f32,
}

impl RuleSet {
    /// The project's rules.
    pub fn builtin() -> RuleSet {
        // The built-in file is tested to parse; an empty set is the (untested) fallback.
        RuleSet::from_toml("fingerprints.toml", BUILTIN_RULES).unwrap_or_default()
    }

    pub fn empty() -> RuleSet {
        RuleSet::default()
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Add rules (a user's file after the built-in ones).
    pub fn extend(&mut self, other: RuleSet) {
        self.rules.extend(other.rules);
        self.rules.truncate(MAX_RULES);
    }

    /// Parse a rule file; errors name the file and the rule.
    pub fn from_toml(file: &str, text: &str) -> Result<RuleSet, RuleError> {
        let err = |message: String| RuleError::Invalid {
            file: file.to_string(),
            message,
        };
        if text.len() > MAX_RULE_FILE_BYTES {
            return Err(err(format!(
                "rule file is {} bytes, over the limit of {MAX_RULE_FILE_BYTES}",
                text.len()
            )));
        }
        let raw: RawFile = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        if raw.rule.len() > MAX_RULES {
            return Err(err(format!("more than {MAX_RULES} rules")));
        }
        let mut rules = Vec::with_capacity(raw.rule.len());
        for (i, r) in raw.rule.into_iter().enumerate() {
            let at = format!("rule {} ({})", i + 1, r.id);
            let matchers = [
                r.any.filter(|a| *a).map(|_| Match::Any),
                r.equals.map(Match::Equals),
                r.prefix.map(Match::Prefix),
                r.contains.map(Match::Contains),
            ];
            let mut ms: Vec<Match> = matchers.into_iter().flatten().collect();
            if ms.len() != 1 {
                return Err(err(format!(
                    "{at}: needs exactly one of any = true, equals, prefix, contains"
                )));
            }
            if !(0.0..=1.0).contains(&r.confidence) {
                return Err(err(format!("{at}: confidence must be between 0 and 1")));
            }
            if r.manufacturer.is_none()
                && r.model.is_none()
                && r.device_type.is_none()
                && r.software.is_none()
            {
                return Err(err(format!(
                    "{at}: sets none of manufacturer, model, device_type, software"
                )));
            }
            rules.push(Rule {
                id: r.id,
                identifier: r.identifier,
                matcher: ms.remove(0),
                manufacturer: r.manufacturer,
                model: r.model,
                device_type: r.device_type,
                software: r.software,
                confidence: r.confidence,
            });
        }
        Ok(RuleSet { rules })
    }
}

impl Match {
    fn matches(&self, v: &str) -> bool {
        let lv = v.to_lowercase();
        match self {
            Match::Any => true,
            Match::Equals(s) => lv == s.to_lowercase(),
            Match::Prefix(s) => lv.starts_with(&s.to_lowercase()),
            Match::Contains(s) => lv.contains(&s.to_lowercase()),
        }
    }
}

#[derive(Default)]
struct Tally {
    // value (as written) -> (1 - combined confidence, sources)
    by_value: BTreeMap<String, (f32, Vec<String>)>,
}

impl Tally {
    fn add(&mut self, value: &str, confidence: f32, source: &str) {
        let e = self
            .by_value
            .entry(value.to_string())
            .or_insert((1.0, Vec::new()));
        if !e.1.iter().any(|s| s == source) {
            e.0 *= 1.0 - confidence;
            e.1.push(source.to_string());
        }
    }
    fn best(self) -> Option<Guess> {
        self.by_value
            .into_iter()
            .map(|(v, (miss, sources))| Guess {
                value: v,
                confidence: ((1.0 - miss).min(0.99) * 100.0).round() / 100.0,
                sources,
            })
            .max_by(|a, b| a.confidence.total_cmp(&b.confidence))
    }
}

/// Set a device's manufacturer, model, device type and software guesses from its identifiers.
pub fn apply(rules: &RuleSet, d: &mut DeviceReport) {
    let mut tallies: [Tally; 4] = Default::default();
    for r in &rules.rules {
        let Some(values) = d.identifiers.get(&r.identifier) else {
            continue;
        };
        for v in values {
            if !r.matcher.matches(v) {
                continue;
            }
            for (i, out) in [&r.manufacturer, &r.model, &r.device_type, &r.software]
                .into_iter()
                .enumerate()
            {
                if let Some(o) = out {
                    let val = if o == "$value" {
                        v.as_str()
                    } else {
                        o.as_str()
                    };
                    tallies[i].add(val, r.confidence, &r.id);
                }
            }
        }
    }
    let [m, mo, t, s] = tallies;
    d.manufacturer = m.best();
    d.model = mo.best();
    d.device_type = t.best();
    d.software = s.best();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(ids: &[(&str, &str)]) -> DeviceReport {
        let mut identifiers: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in ids {
            identifiers
                .entry(k.to_string())
                .or_default()
                .push(v.to_string());
        }
        DeviceReport {
            ip: None,
            mac: None,
            internal: true,
            first_seen: String::new(),
            last_seen: String::new(),
            packets_sent: 0,
            bytes_sent: 0,
            protocols: vec![],
            services: vec![],
            identifiers,
            evidence: vec![],
            manufacturer: None,
            model: None,
            device_type: None,
            software: None,
            randomized_mac: false,
        }
    }

    #[test]
    fn builtin_rules_parse_and_have_unique_ids() {
        let r = RuleSet::from_toml("fingerprints.toml", BUILTIN_RULES).unwrap();
        assert!(r.len() > 50);
        let mut ids: Vec<&str> = r.rules().iter().map(|x| x.id.as_str()).collect();
        ids.sort();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate rule ids");
    }

    #[test]
    fn builtin_oui_rules_name_real_registry_entries() {
        // Every OUI rule must match at least one organisation in the generated IEEE table.
        let orgs: Vec<&str> = crate::oui::OUI_TABLE
            .lines()
            .filter_map(|l| l.split('\t').nth(2))
            .collect();
        for r in RuleSet::builtin()
            .rules()
            .iter()
            .filter(|r| r.identifier == "oui_vendor")
        {
            assert!(
                orgs.iter().any(|o| r.matcher.matches(o)),
                "rule {} matches no IEEE entry",
                r.id
            );
        }
    }

    #[test]
    fn agreeing_rules_reinforce_and_value_is_copied() {
        let mut d = device(&[
            ("dicom_manufacturer", "GE MEDICAL SYSTEMS"),
            ("dicom_model", "Revolution CT"),
            ("dicom_modality", "CT"),
            ("dicom_implementation_class_uid", "1.2.840.113619.6.374"),
            ("oui_vendor", "GE Healthcare"),
        ]);
        apply(&RuleSet::builtin(), &mut d);
        let m = d.manufacturer.unwrap();
        // The device's own tag (0.85) beats the UID root + OUI agreement on "GE HealthCare" (0.88)?
        // 1-(0.3*0.4)=0.88 > 0.85: two independent facts outweigh one.
        assert_eq!(m.value, "GE HealthCare");
        assert_eq!(m.confidence, 0.88);
        assert_eq!(m.sources, vec!["uid-root-ge", "oui-ge-healthcare"]);
        assert_eq!(d.model.unwrap().value, "Revolution CT");
        assert_eq!(d.device_type.unwrap().value, "CT scanner");
    }

    #[test]
    fn user_rules_extend_and_bad_files_are_named() {
        let mut rs = RuleSet::builtin();
        let user = RuleSet::from_toml(
            "mine.toml",
            "[[rule]]\nid='pump'\nidentifier='hl7_sending_application'\nprefix='PUMP'\ndevice_type='infusion pump'\nconfidence=0.9\n",
        )
        .unwrap();
        rs.extend(user);
        let mut d = device(&[("hl7_sending_application", "PUMP^0012^EUI-64")]);
        apply(&rs, &mut d);
        assert_eq!(d.device_type.unwrap().value, "infusion pump");
        let e = RuleSet::from_toml(
            "bad.toml",
            "[[rule]]\nid='x'\nidentifier='a'\nconfidence=0.5\nmodel='m'\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("bad.toml: rule 1 (x)"), "{e}");
        let e = RuleSet::from_toml("bad.toml", "[[rule]]\nid='x'\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("bad.toml:"));
    }
}
