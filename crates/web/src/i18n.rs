//! Every user-visible string, in Japanese (default) and English.
//!
//! The catalogues are `locales/ja.txt` and `locales/en.txt` (`key = text` per line). A test checks that
//! both have exactly the same keys, no empty text, and every key the source code asks for.

use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Ja,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }
    pub fn from_code(s: &str) -> Option<Lang> {
        match s {
            "ja" => Some(Lang::Ja),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
    pub fn other(self) -> Lang {
        match self {
            Lang::Ja => Lang::En,
            Lang::En => Lang::Ja,
        }
    }
    /// The text for `key`. A missing key shows as `[missing]` (and fails the catalogue tests).
    pub fn t(self, key: &str) -> &'static str {
        let cat = match self {
            Lang::Ja => catalogue_ja(),
            Lang::En => catalogue_en(),
        };
        cat.get(key).copied().unwrap_or("[missing]")
    }
    /// The label of a ledger field (`field.<name>`).
    pub fn field(self, name: &str) -> &'static str {
        self.t(&format!("field.{name}"))
    }
    pub fn ledger_lang(self) -> mdsec_ledger::Lang {
        match self {
            Lang::Ja => mdsec_ledger::Lang::Ja,
            Lang::En => mdsec_ledger::Lang::En,
        }
    }
}

pub const JA: &str = include_str!("../locales/ja.txt");
pub const EN: &str = include_str!("../locales/en.txt");

pub fn parse_catalogue(text: &'static str) -> HashMap<&'static str, &'static str> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(" = ").map(|(k, v)| (k.trim(), v.trim())))
        .collect()
}

fn catalogue_ja() -> &'static HashMap<&'static str, &'static str> {
    static C: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    C.get_or_init(|| parse_catalogue(JA))
}

fn catalogue_en() -> &'static HashMap<&'static str, &'static str> {
    static C: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    C.get_or_init(|| parse_catalogue(EN))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn both_languages_have_every_key() {
        let ja: BTreeSet<_> = parse_catalogue(JA).into_keys().collect();
        let en: BTreeSet<_> = parse_catalogue(EN).into_keys().collect();
        let only_ja: Vec<_> = ja.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&ja).collect();
        assert!(
            only_ja.is_empty() && only_en.is_empty(),
            "only in ja: {only_ja:?}; only in en: {only_en:?}"
        );
        for (k, v) in parse_catalogue(JA).into_iter().chain(parse_catalogue(EN)) {
            assert!(!v.is_empty(), "empty text for {k}");
        }
    }

    /// Every label the report crate asks for exists in both catalogues.
    #[test]
    fn every_report_key_exists() {
        let ja = parse_catalogue(JA);
        let en = parse_catalogue(EN);
        let missing: Vec<_> = mdsec_report::KEYS
            .iter()
            .filter(|k| !ja.contains_key(*k) || !en.contains_key(*k))
            .collect();
        assert!(missing.is_empty(), "report keys missing: {missing:?}");
    }

    /// Every `t("key")` in the source exists in the catalogues.
    #[test]
    fn every_key_used_in_source_exists() {
        let ja = parse_catalogue(JA);
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut missing = Vec::new();
        let mut used = 0;
        let mut stack = vec![std::path::PathBuf::from(dir)];
        while let Some(p) = stack.pop() {
            for e in std::fs::read_dir(&p).unwrap() {
                let path = e.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let src = std::fs::read_to_string(&path).unwrap();
                for part in src.split(".t(\"").skip(1) {
                    if let Some(key) = part.split('"').next() {
                        used += 1;
                        if !ja.contains_key(key) {
                            missing.push(format!("{}: {key}", path.display()));
                        }
                    }
                }
            }
        }
        assert!(
            used > 50,
            "the scan found only {used} uses; is it still looking at the right files?"
        );
        assert!(
            missing.is_empty(),
            "keys missing from the catalogues: {missing:?}"
        );
    }
}
