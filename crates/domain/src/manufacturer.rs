//! Manufacturer and model alias tables (製造販売業者名・型式の表記ゆれ).
//!
//! A ledger says `日本光電工業（株）`, an MDS2 form `Nihon Kohden Corporation`, an advisory `NIHON KOHDEN`:
//! [`ManufacturerAliases`] maps all of them to one canonical name so devices, SBOMs and advisories meet.
//! [`ModelAliases`] does the same for relabelled products (the same device sold under two names).
//! Both ship a built-in table (`data/*.tsv`, embedded at compile time) that users extend at run time.
//! Invariant: pure, no I/O; lookups never panic and ignore names longer than [`MAX_NAME_BYTES`].

use serde::Serialize;
use std::collections::HashMap;

/// The built-in manufacturer table (see the header of the file for sources and grouping decisions).
pub const BUILTIN_MANUFACTURER_ALIASES: &str = include_str!("../data/manufacturer_aliases.tsv");
/// The built-in relabelled-model table.
pub const BUILTIN_MODEL_ALIASES: &str = include_str!("../data/model_aliases.tsv");
/// Largest alias table text accepted by the `from_tsv` loaders.
pub const MAX_ALIAS_TABLE_BYTES: usize = 1 << 20;
/// Names longer than this (in bytes) are never looked up or added; no real maker name comes close.
pub const MAX_NAME_BYTES: usize = 512;
/// Most columns read from one alias table row; further columns are ignored.
pub const MAX_ALIAS_COLUMNS: usize = 64;

/// A loader error, naming the line (1-based) and column (1-based) of the table text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AliasTableError {
    #[error("alias table is {size} bytes, more than the limit of {limit}")]
    TooLarge { size: usize, limit: usize },
    #[error("line {line}: expected at least {expected} tab-separated columns, found {found}")]
    MissingColumns {
        line: usize,
        expected: usize,
        found: usize,
    },
    #[error("line {line}, column {column}: {text:?} has no letters or digits to match on")]
    EmptyKey {
        line: usize,
        column: usize,
        text: String,
    },
    #[error(
        "line {line}, column {column}: {alias:?} already maps to {existing:?}, cannot also map to {canonical:?}"
    )]
    Conflict {
        line: usize,
        column: usize,
        alias: String,
        existing: String,
        canonical: String,
    },
}

/// One manufacturer: its display names and every alias that maps to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManufacturerEntry {
    /// English display name, the value stored in [`crate::DeviceFields::manufacturer`].
    pub canonical: String,
    /// Japanese display name, when the maker has an established one.
    pub ja_name: Option<String>,
    /// Other spellings, as written in the table or added by users (canonical and ja_name excluded).
    pub aliases: Vec<String>,
}

/// Maps any spelling of a manufacturer to its canonical name.
///
/// Matching is on [`manufacturer_key`]; when the full key is unknown, a lookup retries without a
/// ジャパン/Japan word (Japanese subsidiaries) and then without parenthesised parts (`Natus Medical,
/// Inc. (Natus)`).
#[derive(Debug, Clone, Default)]
pub struct ManufacturerAliases {
    entries: Vec<ManufacturerEntry>,
    by_key: HashMap<String, usize>,
}

impl ManufacturerAliases {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// The built-in table. Rows that would conflict are skipped (a unit test keeps the file clean).
    pub fn builtin() -> Self {
        let mut t = Self::new();
        // Cannot fail in lenient mode except for size, and the embedded file is far below the limit.
        let _ = t.load(BUILTIN_MANUFACTURER_ALIASES, false);
        t
    }

    /// Parse a table in the built-in format, rejecting an alias that maps to two canonicals.
    pub fn from_tsv(text: &str) -> Result<Self, AliasTableError> {
        let mut t = Self::new();
        t.load(text, true)?;
        Ok(t)
    }

    /// Add the rows of `text` to this table (later rows and tables override nothing in strict mode).
    fn load(&mut self, text: &str, strict: bool) -> Result<(), AliasTableError> {
        if text.len() > MAX_ALIAS_TABLE_BYTES {
            return Err(AliasTableError::TooLarge {
                size: text.len(),
                limit: MAX_ALIAS_TABLE_BYTES,
            });
        }
        for (i, line) in text.lines().enumerate() {
            let line_no = i + 1;
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let cols: Vec<&str> = line
                .split('\t')
                .take(MAX_ALIAS_COLUMNS)
                .map(str::trim)
                .collect();
            let canonical = cols.first().copied().unwrap_or("");
            if cols.len() < 2 {
                if strict {
                    return Err(AliasTableError::MissingColumns {
                        line: line_no,
                        expected: 2,
                        found: cols.len(),
                    });
                }
                continue;
            }
            let canonical_key = manufacturer_key(canonical);
            if canonical_key.is_empty() {
                if strict {
                    return Err(AliasTableError::EmptyKey {
                        line: line_no,
                        column: 1,
                        text: canonical.to_string(),
                    });
                }
                continue;
            }
            let idx = match self.by_key.get(&canonical_key) {
                Some(&idx)
                    if self
                        .entries
                        .get(idx)
                        .is_some_and(|e| e.canonical == canonical) =>
                {
                    idx
                }
                Some(&idx) => {
                    if strict {
                        return Err(AliasTableError::Conflict {
                            line: line_no,
                            column: 1,
                            alias: canonical.to_string(),
                            existing: self.canonical_at(idx).to_string(),
                            canonical: canonical.to_string(),
                        });
                    }
                    continue;
                }
                None => {
                    self.entries.push(ManufacturerEntry {
                        canonical: canonical.to_string(),
                        ja_name: None,
                        aliases: Vec::new(),
                    });
                    let idx = self.entries.len() - 1;
                    self.by_key.insert(canonical_key, idx);
                    idx
                }
            };
            for (c, alias) in cols.iter().enumerate().skip(1) {
                let column = c + 1;
                if alias.is_empty() {
                    continue; // an empty ja_name column
                }
                let key = manufacturer_key(alias);
                if key.is_empty() {
                    if strict {
                        return Err(AliasTableError::EmptyKey {
                            line: line_no,
                            column,
                            text: alias.to_string(),
                        });
                    }
                    continue;
                }
                match self.by_key.get(&key) {
                    Some(&other) if other != idx => {
                        if strict {
                            return Err(AliasTableError::Conflict {
                                line: line_no,
                                column,
                                alias: alias.to_string(),
                                existing: self.canonical_at(other).to_string(),
                                canonical: canonical.to_string(),
                            });
                        }
                        continue;
                    }
                    Some(_) => {}
                    None => {
                        self.by_key.insert(key, idx);
                    }
                }
                if let Some(entry) = self.entries.get_mut(idx) {
                    if column == 2 {
                        entry.ja_name = Some(alias.to_string());
                    } else if !entry.aliases.iter().any(|a| a == alias) {
                        entry.aliases.push(alias.to_string());
                    }
                }
            }
        }
        Ok(())
    }

    fn canonical_at(&self, idx: usize) -> &str {
        self.entries.get(idx).map_or("", |e| e.canonical.as_str())
    }

    /// Map `alias` to `canonical` (users extend or correct the table). When `canonical` is itself a
    /// known spelling (same key), the alias joins that manufacturer; otherwise a new manufacturer is created.
    /// An existing mapping of `alias` is replaced. Returns false, changing nothing, when either name
    /// has no letters or digits or is longer than [`MAX_NAME_BYTES`].
    pub fn add(&mut self, alias: &str, canonical: &str) -> bool {
        let (alias, canonical) = (alias.trim(), canonical.trim());
        let (alias_key, canonical_key) = (manufacturer_key(alias), manufacturer_key(canonical));
        if alias_key.is_empty() || canonical_key.is_empty() {
            return false;
        }
        // Exact key only: the fallbacks of `canonical()` would turn "CONTEC Co., Ltd. (Osaka)" into
        // the existing "Contec" and silently merge two different companies.
        let idx = match self.by_key.get(&canonical_key).copied() {
            Some(idx) => idx,
            None => {
                self.entries.push(ManufacturerEntry {
                    canonical: canonical.to_string(),
                    ja_name: None,
                    aliases: Vec::new(),
                });
                let idx = self.entries.len() - 1;
                self.by_key.insert(canonical_key, idx);
                idx
            }
        };
        if let Some(old) = self.by_key.insert(alias_key.clone(), idx) {
            if old != idx {
                if let Some(e) = self.entries.get_mut(old) {
                    e.aliases.retain(|a| manufacturer_key(a) != alias_key);
                }
            }
        }
        if let Some(e) = self.entries.get_mut(idx) {
            if e.canonical != alias && !e.aliases.iter().any(|a| a == alias) {
                e.aliases.push(alias.to_string());
            }
        }
        true
    }

    fn lookup(&self, raw: &str) -> Option<usize> {
        if raw.len() > MAX_NAME_BYTES {
            return None;
        }
        let find = |k: String| {
            (!k.is_empty())
                .then(|| self.by_key.get(&k).copied())
                .flatten()
        };
        find(key_of(raw, false))
            .or_else(|| find(key_of(raw, true)))
            .or_else(|| {
                let bare = strip_parenthesised(&fold(raw));
                find(key_of(&bare, false)).or_else(|| find(key_of(&bare, true)))
            })
    }

    /// The canonical name for any known spelling, or `None` when the maker is unknown.
    pub fn canonical(&self, raw: &str) -> Option<&str> {
        self.lookup(raw).map(|i| self.canonical_at(i))
    }

    /// The Japanese display name of a manufacturer (given by its canonical name or any alias).
    pub fn ja_name(&self, canonical: &str) -> Option<&str> {
        self.lookup(canonical)
            .and_then(|i| self.entries.get(i))
            .and_then(|e| e.ja_name.as_deref())
    }

    /// The entry of a manufacturer given by any known spelling.
    pub fn entry(&self, raw: &str) -> Option<&ManufacturerEntry> {
        self.lookup(raw).and_then(|i| self.entries.get(i))
    }

    /// Every manufacturer, in table order (built-in rows first, then additions).
    pub fn entries(&self) -> impl Iterator<Item = &ManufacturerEntry> + '_ {
        self.entries.iter()
    }

    /// Number of manufacturers.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Japanese company-form marks, removed wherever they occur (after width folding and lower-casing).
const JA_ENTITY_MARKS: &[&str] = &[
    "株式会社",
    "有限会社",
    "合同会社",
    "合資会社",
    "合名会社",
    "(株)",
    "(有)",
    "(合)",
    "(同)",
];

/// Legal-form words (after punctuation removal) stripped from the end of a name, repeatedly.
/// "and" goes too so that "Becton, Dickinson and Company" loses its whole tail.
const LEGAL_SUFFIX_TOKENS: &[&str] = &[
    "co",
    "coltd",
    "ltd",
    "inc",
    "incorporated",
    "corporation",
    "corp",
    "company",
    "limited",
    "gmbh",
    "mbh",
    "nv",
    "bv",
    "ag",
    "sa",
    "spa",
    "srl",
    "sas",
    "se",
    "kg",
    "kgaa",
    "llc",
    "llp",
    "lp",
    "plc",
    "kk",
    "oy",
    "oyj",
    "ab",
    "aps",
    "as",
    "uab",
    "pty",
    "ev",
    "and",
];

/// The matching key of a manufacturer name: width-folded (full-width ASCII and half-width kana to
/// their usual forms), lower-case, Latin diacritics removed, company-form words (株式会社, (株), Co.,
/// Ltd., Inc., GmbH, N.V., AG, …) stripped, and every character that is not a letter or digit
/// (spaces, punctuation, middle dots) removed. Returns an empty string when nothing is left.
pub fn manufacturer_key(raw: &str) -> String {
    if raw.len() > MAX_NAME_BYTES {
        return String::new();
    }
    key_of(raw, false)
}

fn key_of(raw: &str, strip_japan: bool) -> String {
    let mut s = fold(raw).to_lowercase();
    for mark in JA_ENTITY_MARKS {
        if s.contains(mark) {
            s = s.replace(mark, " ");
        }
    }
    if strip_japan {
        s = s.replace("ジャパン", " ");
    }
    let mut tokens: Vec<String> = s
        .split(|c: char| c.is_whitespace() || c == ',' || c == '、')
        .map(clean_token)
        .filter(|t| !t.is_empty())
        .collect();
    if strip_japan {
        tokens.retain(|t| t != "japan");
    }
    while tokens.len() > 1
        && tokens
            .last()
            .is_some_and(|t| LEGAL_SUFFIX_TOKENS.contains(&t.as_str()))
    {
        tokens.pop();
    }
    tokens.concat()
}

/// Letters and digits only, Latin-1 diacritics folded (ä → a, æ → ae, ß → ss).
fn clean_token(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    for c in t.chars() {
        match c {
            'à'..='å' => out.push('a'),
            'æ' => out.push_str("ae"),
            'ç' => out.push('c'),
            'è'..='ë' => out.push('e'),
            'ì'..='ï' => out.push('i'),
            'ñ' => out.push('n'),
            'ò'..='ö' | 'ø' => out.push('o'),
            'ù'..='ü' => out.push('u'),
            'ý' | 'ÿ' => out.push('y'),
            'ß' => out.push_str("ss"),
            c if c.is_alphanumeric() => out.push(c),
            _ => {}
        }
    }
    out
}

/// Half-width katakana (U+FF66–U+FF9D) to full-width, indexed from U+FF66.
const HALFWIDTH_KATAKANA: &[char] = &[
    'ヲ', 'ァ', 'ィ', 'ゥ', 'ェ', 'ォ', 'ャ', 'ュ', 'ョ', 'ッ', 'ー', 'ア', 'イ', 'ウ', 'エ', 'オ',
    'カ', 'キ', 'ク', 'ケ', 'コ', 'サ', 'シ', 'ス', 'セ', 'ソ', 'タ', 'チ', 'ツ', 'テ', 'ト', 'ナ',
    'ニ', 'ヌ', 'ネ', 'ノ', 'ハ', 'ヒ', 'フ', 'ヘ', 'ホ', 'マ', 'ミ', 'ム', 'メ', 'モ', 'ヤ', 'ユ',
    'ヨ', 'ラ', 'リ', 'ル', 'レ', 'ロ', 'ワ', 'ン',
];

/// The NFKC-like folding we need for names: full-width ASCII → ASCII, ideographic space → space,
/// half-width katakana → full-width (composing ﾞ/ﾟ and the separate ゛/゜ marks), ㈱/㈲/㍿ expanded.
/// Everything else is kept.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\u{FF01}'..='\u{FF5E}' => out.push(char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)),
            '\u{3000}' => out.push(' '),
            '\u{FF61}' => out.push('。'),
            '\u{FF62}' => out.push('「'),
            '\u{FF63}' => out.push('」'),
            '\u{FF64}' => out.push('、'),
            '\u{FF65}' => out.push('・'),
            '\u{FF66}'..='\u{FF9D}' => {
                let i = (c as u32 - 0xFF66) as usize;
                out.push(HALFWIDTH_KATAKANA.get(i).copied().unwrap_or(c));
            }
            '\u{FF9E}' | '\u{309B}' | '\u{3099}' => voice(&mut out, false, c),
            '\u{FF9F}' | '\u{309C}' | '\u{309A}' => voice(&mut out, true, c),
            '㈱' => out.push_str("(株)"),
            '㈲' => out.push_str("(有)"),
            '㍿' => out.push_str("株式会社"),
            _ => out.push(c),
        }
    }
    out
}

/// Compose a (semi-)voiced sound mark with the kana before it when a composed form exists.
fn voice(out: &mut String, semi: bool, mark: char) {
    let composed = out.chars().next_back().and_then(|prev| {
        let p = prev as u32;
        // カ…ヂ and か…ぢ sit on odd code points, ツテト and つてと on even ones; +1 is the voiced form.
        let voiced_rows = (0x30AB..=0x30C2).contains(&p) && p & 1 == 1
            || (0x30C4..=0x30C9).contains(&p) && p & 1 == 0
            || (0x304B..=0x3062).contains(&p) && p & 1 == 1
            || (0x3064..=0x3069).contains(&p) && p & 1 == 0;
        // ハ行: +1 voiced (バ), +2 semi-voiced (パ).
        let ha_row = matches!(
            prev,
            'ハ' | 'ヒ' | 'フ' | 'ヘ' | 'ホ' | 'は' | 'ひ' | 'ふ' | 'へ' | 'ほ'
        );
        match (semi, prev) {
            (false, 'ウ') => Some('ヴ'),
            (false, _) if voiced_rows || ha_row => char::from_u32(p + 1),
            (true, _) if ha_row => char::from_u32(p + 2),
            _ => None,
        }
    });
    match composed {
        Some(c) => {
            out.pop();
            out.push(c);
        }
        None => out.push(match mark {
            '\u{FF9E}' => '゛',
            '\u{FF9F}' => '゜',
            m => m,
        }),
    }
}

/// Remove every `(…)` part (after width folding), e.g. `Natus Medical, Inc. (Natus)`.
fn strip_parenthesised(s: &str) -> String {
    let mut depth = 0usize;
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The matching key of a model name: width-folded, lower-case, letters and digits only
/// (`ＭＮ－１２０`, `MN 120` and `mn-120` are the same model).
pub fn model_key(raw: &str) -> String {
    if raw.len() > MAX_NAME_BYTES {
        return String::new();
    }
    fold(raw)
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// One relabelled product: `manufacturer model` is sold as / is the same device as
/// `canonical_manufacturer canonical_model`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelAlias {
    pub manufacturer: String,
    pub model: String,
    pub canonical_manufacturer: String,
    pub canonical_model: String,
}

/// Relabelled products (OEM / white label): resolves a (manufacturer, model) pair to the original
/// maker's pair, so an advisory for the original matches the relabelled device in a ledger.
#[derive(Debug, Clone, Default)]
pub struct ModelAliases {
    manufacturers: ManufacturerAliases,
    rows: Vec<ModelAlias>,
    by_key: HashMap<(String, String), usize>,
}

impl ModelAliases {
    /// The built-in table, with manufacturers matched through [`ManufacturerAliases::builtin`].
    pub fn builtin() -> Self {
        let mut t = Self {
            manufacturers: ManufacturerAliases::builtin(),
            ..Self::default()
        };
        let _ = t.load(BUILTIN_MODEL_ALIASES, false);
        t
    }

    /// Parse a table in the built-in format; manufacturers are matched through `manufacturers`.
    pub fn from_tsv(
        text: &str,
        manufacturers: ManufacturerAliases,
    ) -> Result<Self, AliasTableError> {
        let mut t = Self {
            manufacturers,
            ..Self::default()
        };
        t.load(text, true)?;
        Ok(t)
    }

    fn load(&mut self, text: &str, strict: bool) -> Result<(), AliasTableError> {
        if text.len() > MAX_ALIAS_TABLE_BYTES {
            return Err(AliasTableError::TooLarge {
                size: text.len(),
                limit: MAX_ALIAS_TABLE_BYTES,
            });
        }
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').take(4).map(str::trim).collect();
            let &[m, model, cm, cmodel] = cols.as_slice() else {
                if strict {
                    return Err(AliasTableError::MissingColumns {
                        line: i + 1,
                        expected: 4,
                        found: cols.len(),
                    });
                }
                continue;
            };
            if !self.add(m, model, cm, cmodel) && strict {
                let column = [m, model, cm, cmodel]
                    .iter()
                    .position(|s| model_key(s).is_empty())
                    .map_or(1, |p| p + 1);
                return Err(AliasTableError::EmptyKey {
                    line: i + 1,
                    column,
                    text: line.to_string(),
                });
            }
        }
        Ok(())
    }

    fn manufacturer_match_key(&self, manufacturer: &str) -> String {
        manufacturer_key(
            self.manufacturers
                .canonical(manufacturer)
                .unwrap_or(manufacturer),
        )
    }

    /// Declare `manufacturer model` a relabel of `canonical_manufacturer canonical_model`; replaces
    /// an earlier row for the same pair. Returns false when a name has no letters or digits.
    pub fn add(
        &mut self,
        manufacturer: &str,
        model: &str,
        canonical_manufacturer: &str,
        canonical_model: &str,
    ) -> bool {
        let key = (self.manufacturer_match_key(manufacturer), model_key(model));
        if key.0.is_empty()
            || key.1.is_empty()
            || manufacturer_key(canonical_manufacturer).is_empty()
            || model_key(canonical_model).is_empty()
        {
            return false;
        }
        let canonical_manufacturer = self
            .manufacturers
            .canonical(canonical_manufacturer)
            .unwrap_or(canonical_manufacturer)
            .to_string();
        let row = ModelAlias {
            manufacturer: manufacturer.to_string(),
            model: model.to_string(),
            canonical_manufacturer,
            canonical_model: canonical_model.to_string(),
        };
        match self.by_key.get(&key) {
            Some(&i) => {
                if let Some(r) = self.rows.get_mut(i) {
                    *r = row;
                }
            }
            None => {
                self.rows.push(row);
                self.by_key.insert(key, self.rows.len() - 1);
            }
        }
        true
    }

    /// The original (manufacturer, model) of a relabelled product, or `None` when the pair is not a
    /// known relabel (including when it already is the original).
    pub fn resolve(&self, manufacturer: &str, model: &str) -> Option<(&str, &str)> {
        let key = (self.manufacturer_match_key(manufacturer), model_key(model));
        let row = self.rows.get(*self.by_key.get(&key)?)?;
        Some((&row.canonical_manufacturer, &row.canonical_model))
    }

    /// Every row, in table order.
    pub fn entries(&self) -> impl Iterator<Item = &ModelAlias> + '_ {
        self.rows.iter()
    }

    /// The manufacturer table used to match manufacturers.
    pub fn manufacturers(&self) -> &ManufacturerAliases {
        &self.manufacturers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_same(t: &ManufacturerAliases, expected: &str, names: &[&str]) {
        for n in names {
            assert_eq!(
                t.canonical(n),
                Some(expected),
                "{n:?} should map to {expected}"
            );
        }
    }

    #[test]
    fn brief_examples_map_to_one_canonical_each() {
        let t = ManufacturerAliases::builtin();
        all_same(
            &t,
            "Contec",
            &[
                "コンテック",
                "Contec",
                "CONTEC MEDICAL SYSTEMS CO.,LTD",
                "Contec Health",
            ],
        );
        all_same(
            &t,
            "Philips",
            &[
                "フィリップス・ジャパン",
                "Philips",
                "Koninklijke Philips N.V.",
                "株式会社フィリップス・ジャパン",
                "Philips Respironics",
                "Phillips",
            ],
        );
        all_same(
            &t,
            "Canon Medical Systems",
            &[
                "キヤノンメディカルシステムズ",
                "Canon Medical Systems",
                "キヤノンメディカルシステムズ株式会社",
            ],
        );
        all_same(
            &t,
            "Nihon Kohden",
            &[
                "日本光電",
                "日本光電工業株式会社",
                "Nihon Kohden",
                "ＮＩＨＯＮ　ＫＯＨＤＥＮ",
                "日本光電工業（株）",
            ],
        );
        all_same(
            &t,
            "GE HealthCare",
            &[
                "GEヘルスケア・ジャパン",
                "GE HealthCare",
                "GE Healthcare",
                "General Electric (GE)",
            ],
        );
        all_same(
            &t,
            "Siemens Healthineers",
            &["シーメンスヘルスケア", "Siemens Healthineers", "Siemens"],
        );
        all_same(&t, "Terumo", &["テルモ", "Terumo", "テルモ株式会社"]);
        all_same(&t, "Olympus", &["オリンパス", "Olympus"]);
        all_same(
            &t,
            "FUJIFILM",
            &[
                "富士フイルム",
                "FUJIFILM",
                "Fujifilm",
                "富士フイルム株式会社",
            ],
        );
        all_same(
            &t,
            "Shimadzu",
            &["島津製作所", "Shimadzu", "株式会社島津製作所"],
        );
        all_same(
            &t,
            "Fukuda Denshi",
            &["フクダ電子", "Fukuda Denshi", "ﾌｸﾀﾞ電子"],
        );
        all_same(
            &t,
            "FUJIFILM Healthcare",
            &[
                "日立",
                "Hitachi",
                "Hitachi Healthcare",
                "富士フイルムヘルスケア",
                "㈱日立製作所",
            ],
        );
        all_same(&t, "Konica Minolta", &["コニカミノルタ", "Konica Minolta"]);
        all_same(&t, "Sysmex", &["シスメックス", "Sysmex"]);
        all_same(&t, "Nipro", &["ニプロ", "Nipro"]);
        all_same(&t, "Nikkiso", &["日機装", "Nikkiso"]);
        all_same(
            &t,
            "Toray Medical",
            &["東レ・メディカル", "東レメディカル株式会社"],
        );
        all_same(&t, "JMS", &["JMS", "株式会社ジェイ・エム・エス"]);
        all_same(
            &t,
            "Omron Healthcare",
            &["オムロン", "オムロン ヘルスケア株式会社"],
        );
        all_same(&t, "Asahi Intecc", &["朝日インテック"]);
        all_same(
            &t,
            "Baxter",
            &["バクスター", "Baxter", "Baxter International Inc."],
        );
        all_same(
            &t,
            "BD",
            &[
                "BD",
                "Becton Dickinson",
                "Becton, Dickinson and Company (BD)",
                "CareFusion",
                "Alaris",
            ],
        );
        all_same(
            &t,
            "Medtronic",
            &[
                "メドトロニック",
                "Medtronic",
                "Medtronic ",
                "日本メドトロニック",
            ],
        );
        all_same(
            &t,
            "Boston Scientific",
            &["ボストン・サイエンティフィック", "Boston Scientific"],
        );
        all_same(
            &t,
            "Abbott",
            &[
                "アボット",
                "Abbott",
                "Abbott Laboratories",
                "St. Jude Medical",
            ],
        );
        all_same(
            &t,
            "B. Braun",
            &[
                "B. Braun",
                "ビー・ブラウン",
                "B. Braun Melsungen AG",
                "B. Braun Medical",
            ],
        );
        all_same(
            &t,
            "Dräger",
            &[
                "Dräger",
                "ドレーゲル",
                "Draeger",
                "Drägerwerk AG & Co. KGaA",
            ],
        );
        all_same(&t, "ICU Medical", &["ICU Medical", "Smiths Medical"]);
        all_same(
            &t,
            "Hillrom",
            &[
                "Hillrom",
                "Hill-Rom",
                "Welch Allyn",
                "Hillrom and ELI, Baxter International Inc.",
            ],
        );
        all_same(&t, "Mindray", &["Mindray", "マインドレイ"]);
        all_same(&t, "Epsimed", &["Epsimed", "EPSIMED LLC"]);
        all_same(
            &t,
            "Natus",
            &[
                "Natus",
                "Natus Medical, Inc. (Natus)",
                "Natus Medical Incorporated",
            ],
        );
        all_same(&t, "Carestream", &["Carestream", "Carestream Health, Inc."]);
        all_same(&t, "Fresenius Kabi", &["Fresenius", "Fresenius Kabi"]);
        all_same(&t, "ZOLL", &["Zoll", "ZOLL Medical Corporation"]);
        all_same(&t, "Stryker", &["Stryker", "日本ストライカー"]);
        all_same(&t, "Agfa", &["Agfa", "Agfa HealthCare N.V."]);
        all_same(&t, "Roche Diagnostics", &["Roche", "Roche Diagnostics"]);
        all_same(
            &t,
            "Beckman Coulter",
            &["Beckman Coulter", "ベックマン・コールター株式会社"],
        );
        all_same(
            &t,
            "Hamilton Medical",
            &["Hamilton Medical", "Hamilton Medical AG"],
        );
    }

    #[test]
    fn unrelated_names_are_unknown() {
        let t = ManufacturerAliases::builtin();
        for n in [
            "Acme Widgets",
            "トヨタ自動車",
            "",
            "  ",
            "株式会社",
            "Co., Ltd.",
            "ジャパン",
            "(株)",
        ] {
            assert_eq!(t.canonical(n), None, "{n:?}");
        }
        // The Japan fallback must not turn a different company into a known one.
        assert_eq!(t.canonical("日本電産"), None);
        assert_eq!(t.canonical(&"a".repeat(MAX_NAME_BYTES + 1)), None);
    }

    #[test]
    fn builtin_file_is_clean_and_large_enough() {
        // Strict parse: fails on any alias mapping to two canonicals (line and column in the error).
        let t = ManufacturerAliases::from_tsv(BUILTIN_MANUFACTURER_ALIASES).unwrap();
        assert!(t.len() >= 60, "only {} manufacturers", t.len());
        // And independently of the loader: walk the rows and collect keys per canonical.
        let mut seen: HashMap<String, String> = HashMap::new();
        for line in BUILTIN_MANUFACTURER_ALIASES.lines() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
            assert!(cols.len() >= 2, "row without ja_name column: {line:?}");
            for a in cols.iter().filter(|a| !a.trim().is_empty()) {
                let k = manufacturer_key(a);
                assert!(!k.is_empty(), "{a:?} has an empty key");
                if let Some(prev) = seen.insert(k.clone(), cols[0].to_string()) {
                    assert_eq!(prev, cols[0], "{a:?} ({k}) maps to {prev} and {}", cols[0]);
                }
            }
        }
        assert_eq!(t.len(), ManufacturerAliases::builtin().len());
    }

    #[test]
    fn ja_names() {
        let t = ManufacturerAliases::builtin();
        assert_eq!(t.ja_name("Nihon Kohden"), Some("日本光電"));
        assert_eq!(t.ja_name("Philips"), Some("フィリップス"));
        assert_eq!(t.ja_name("日本光電工業株式会社"), Some("日本光電"));
        assert_eq!(t.ja_name("Epsimed"), None);
        assert_eq!(t.ja_name("Acme"), None);
        let contec = t.entries().find(|e| e.canonical == "Contec").unwrap();
        assert!(contec.aliases.iter().any(|a| a == "Contec Health"));
    }

    #[test]
    fn key_normalisation() {
        assert_eq!(
            manufacturer_key("CONTEC MEDICAL SYSTEMS CO.,LTD"),
            "contecmedicalsystems"
        );
        assert_eq!(
            manufacturer_key("Contec Medical Systems Co., Ltd."),
            "contecmedicalsystems"
        );
        assert_eq!(manufacturer_key("ｺﾝﾃｯｸ"), "コンテック");
        assert_eq!(manufacturer_key("ﾌｸﾀﾞ電子"), "フクダ電子");
        assert_eq!(manufacturer_key("ﾊﾟﾗﾏｳﾝﾄﾍﾞｯﾄﾞ"), "パラマウントベッド");
        assert_eq!(manufacturer_key("ｳﾞｧ"), "ヴァ");
        assert_eq!(manufacturer_key("㈱日立製作所"), "日立製作所");
        assert_eq!(
            manufacturer_key("東レ・メディカル株式会社"),
            "東レメディカル"
        );
        assert_eq!(
            manufacturer_key("Koninklijke Philips N.V."),
            "koninklijkephilips"
        );
        assert_eq!(manufacturer_key("Innokas YhtymÃ¤ Oy"), "innokasyhtyma");
        assert_eq!(manufacturer_key("Innokas Yhtymä Oy"), "innokasyhtyma");
        // A lone legal word is kept: it is the whole name.
        assert_eq!(manufacturer_key("Inc."), "inc");
        assert_eq!(manufacturer_key("株式会社"), "");
    }

    #[test]
    fn users_extend_and_override() {
        let mut t = ManufacturerAliases::builtin();
        assert_eq!(t.canonical("NKC"), None);
        assert!(t.add("NKC", "日本光電"));
        assert_eq!(t.canonical("ｎｋｃ"), Some("Nihon Kohden"));
        assert!(t.add("ACME病院設備", "Acme Medical"));
        assert_eq!(t.canonical("ACME病院設備株式会社"), Some("Acme Medical"));
        assert_eq!(t.canonical("Acme Medical Inc."), Some("Acme Medical"));
        // Re-point コンテック at the Osaka industrial-PC maker.
        assert!(t.add("コンテック", "CONTEC Co., Ltd. (Osaka)"));
        assert_eq!(t.canonical("コンテック"), Some("CONTEC Co., Ltd. (Osaka)"));
        assert_eq!(t.canonical("Contec Health"), Some("Contec"));
        let contec = t.entries().find(|e| e.canonical == "Contec").unwrap();
        assert!(!contec.aliases.iter().any(|a| a == "コンテック"));
        assert!(!t.add("・", "Acme"));
        assert!(!t.add("Acme", ""));
    }

    #[test]
    fn loader_errors_name_the_place() {
        let err = ManufacturerAliases::from_tsv("# c\nA Corp\tエー\tAlpha\nB Corp\t\tAlpha Inc.\n")
            .unwrap_err();
        assert_eq!(
            err,
            AliasTableError::Conflict {
                line: 3,
                column: 3,
                alias: "Alpha Inc.".into(),
                existing: "A Corp".into(),
                canonical: "B Corp".into(),
            }
        );
        assert!(matches!(
            ManufacturerAliases::from_tsv("\nOnly one column\n"),
            Err(AliasTableError::MissingColumns { line: 2, .. })
        ));
        assert!(matches!(
            ManufacturerAliases::from_tsv("A\t\t・・\n"),
            Err(AliasTableError::EmptyKey {
                line: 1,
                column: 3,
                ..
            })
        ));
        let big = "x".repeat(MAX_ALIAS_TABLE_BYTES + 1);
        assert!(matches!(
            ManufacturerAliases::from_tsv(&big),
            Err(AliasTableError::TooLarge { .. })
        ));
    }

    /// Every vendor named in the CISA ICS medical advisories (real CSAF files) resolves, except
    /// the two joint vendor strings documented in the table header.
    #[test]
    fn cisa_icsma_vendors_resolve() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/csaf/cisa-icsma"
        );
        let t = ManufacturerAliases::builtin();
        let mut vendors = std::collections::BTreeSet::new();
        let mut files = 0;
        for entry in std::fs::read_dir(dir).expect("shared CISA ICSMA data missing") {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            files += 1;
            let doc: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            let mut stack = vec![&doc["product_tree"]["branches"]];
            while let Some(v) = stack.pop() {
                for b in v.as_array().into_iter().flatten() {
                    if b["category"] == "vendor" {
                        vendors.insert(b["name"].as_str().unwrap_or("").to_string());
                    }
                    stack.push(&b["branches"]);
                }
            }
        }
        assert!(
            files >= 100 && vendors.len() >= 50,
            "{files} files, {} vendors",
            vendors.len()
        );
        let not_mapped = [
            "ENEA, Green Hills Software, ITRON, IP Infusion, and Wind River",
            "Silex Technology and GE Healthcare",
        ];
        let unknown: Vec<_> = vendors
            .iter()
            .filter(|v| !not_mapped.contains(&v.as_str()) && t.canonical(v).is_none())
            .collect();
        assert!(unknown.is_empty(), "unmapped advisory vendors: {unknown:?}");
        for (vendor, expected) in [
            ("Phillips", "Philips"),
            ("Contec Health", "Contec"),
            ("Becton, Dickinson and Company (BD)", "BD"),
            ("St. Jude Medical", "Abbott"),
            ("General Electric (GE)", "GE HealthCare"),
            ("Innokas YhtymÃ¤ Oy", "Innokas Yhtymä"),
            ("Hillrom and ELI, Baxter International Inc.", "Hillrom"),
            ("Medtronic ", "Medtronic"),
        ] {
            assert!(vendors.contains(vendor), "{vendor:?} not in the advisories");
            assert_eq!(t.canonical(vendor), Some(expected), "{vendor:?}");
        }
    }

    #[test]
    fn relabelled_models() {
        let m = ModelAliases::builtin();
        assert_eq!(m.resolve("Epsimed", "MN-120"), Some(("Contec", "CMS8000")));
        assert_eq!(
            m.resolve("ＥＰＳＩＭＥＤ　ＬＬＣ", "ＭＮ－１２０"),
            Some(("Contec", "CMS8000"))
        );
        assert_eq!(m.resolve("epsimed", "mn 120"), Some(("Contec", "CMS8000")));
        assert_eq!(m.resolve("Contec", "CMS8000"), None);
        assert_eq!(m.resolve("Philips", "MN-120"), None);
        assert_eq!(m.resolve("Epsimed", "MN-121"), None);
        assert_eq!(m.entries().count(), 1);
        ModelAliases::from_tsv(BUILTIN_MODEL_ALIASES, ManufacturerAliases::builtin()).unwrap();
    }

    #[test]
    fn model_table_errors_and_additions() {
        let err = ModelAliases::from_tsv("X\tY\tZ\n", ManufacturerAliases::builtin()).unwrap_err();
        assert_eq!(
            err,
            AliasTableError::MissingColumns {
                line: 1,
                expected: 4,
                found: 3
            }
        );
        let mut m = ModelAliases::builtin();
        assert!(m.add("フクダ電子", "DS-1", "Nihon Kohden", "BSM-1"));
        assert_eq!(
            m.resolve("Fukuda Denshi Co., Ltd.", "ds1"),
            Some(("Nihon Kohden", "BSM-1"))
        );
        assert!(!m.add("Acme", "--", "Contec", "CMS8000"));
    }
}
