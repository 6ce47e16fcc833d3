#![no_main]
//! Manufacturer / model alias tables: user-supplied TSV and name lookups. Must never panic.
use libfuzzer_sys::fuzz_target;
use mdsec_domain::manufacturer::{
    fold, manufacturer_key, model_key, ManufacturerAliases, ModelAliases,
};
use std::sync::OnceLock;

static BUILTIN: OnceLock<ManufacturerAliases> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let builtin = BUILTIN.get_or_init(ManufacturerAliases::builtin);
    // Lookups of arbitrary text.
    let _ = fold(&s);
    let key = manufacturer_key(&s);
    if let Some(c) = builtin.canonical(&s) {
        // A canonical name always resolves to itself.
        assert_eq!(builtin.canonical(c), Some(c));
    }
    let _ = builtin.ja_name(&s);
    let _ = model_key(&s);
    // Tables from arbitrary text; whatever loads must answer lookups of its own lines.
    if let Ok(t) = ManufacturerAliases::from_tsv(&s) {
        for line in s.lines().take(32) {
            for col in line.split('\t').take(8) {
                let _ = t.canonical(col);
            }
        }
        let mut t = t;
        let _ = t.add(&s, "Fuzz Maker");
        if !key.is_empty() {
            // The alias joins "Fuzz Maker" (or the maker that name already belongs to).
            assert_eq!(t.canonical(&s), t.canonical("Fuzz Maker"));
        }
    }
    if let Ok(m) = ModelAliases::from_tsv(&s, builtin.clone()) {
        for line in s.lines().take(32) {
            let mut cols = line.split('\t');
            let _ = m.resolve(cols.next().unwrap_or(""), cols.next().unwrap_or(""));
        }
    }
});
