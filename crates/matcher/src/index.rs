//! The incremental index: advisories keyed by what they can touch, device models keyed by what
//! can touch them.
//!
//! Keys: a package key `type:namespace/name` (lower-case; PyPI names PEP 503-normalised) for purl
//! matching; CPE `vendor:product`; and the canonical manufacturer key for CSAF products. Adding an
//! advisory looks up only the models that share one of its keys; adding a model looks up only the
//! advisories that share one of its keys.
//!
//! CSAF product rule (product names are free text): a device model matches a CSAF product when
//! 1. the product's vendor resolves to the model's canonical manufacturer (through the manufacturer
//!    alias table; joint vendor strings such as "Silex Technology and GE Healthcare" are split on
//!    `,`, `and`, `&`, `/` and each part tried), and
//! 2. the model's key (width-folded, lower-case, letters and digits only) equals the concatenation
//!    of a run of consecutive tokens of the product name, the full product name, or the product name
//!    followed by its version text — [`Confidence::Exact`] when the run is the whole name or a
//!    model number, [`Confidence::Strong`] otherwise; or, for a model name of two or more tokens of
//!    which one has a digit, every token occurs somewhere in those names ([`Confidence::Weak`]).
//!    Model keys shorter than [`MIN_MODEL_KEY_CHARS`] only match exactly.
//!
//! A product without a vendor branch is never matched by name: the maker cannot be checked.
//! A relabelled model (ModelAliases) is also tried under the original maker's name and model.
//! When the match needed the version text (e.g. "Point of Care handheld medical devices" with
//! version "Accu-Chek Inform II"), the version text named the model, so all versions are meant.

use crate::eval::{self, PreparedRange, ProductVersion};
use crate::model::*;
use mdsec_domain::manufacturer::{fold, manufacturer_key, model_key, ModelAliases};
use mdsec_ids::{Cpe, Purl};
use mdsec_versions::firmware::FirmwareRange;
use mdsec_versions::vers::Comparator;
use mdsec_versions::Containment;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// Model keys shorter than this match a CSAF product only when equal to its whole name or a
/// model number ("X3" must not match every product with an "x3" token).
pub const MIN_MODEL_KEY_CHARS: usize = 3;
/// Most components kept per device model; more are ignored (a 5,000-component SBOM is large).
pub const MAX_COMPONENTS_PER_MODEL: usize = 100_000;

type AdvId = usize;
type ModelId = usize;

/// The package key of a purl type, namespace and name.
pub fn package_key(ty: &str, namespace: Option<&str>, name: &str) -> String {
    let ty = ty.to_ascii_lowercase();
    let mut full = match namespace.filter(|n| !n.is_empty()) {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_string(),
    }
    .to_lowercase();
    if ty == "pypi" {
        // PEP 503: runs of -, _ and . are one '-'.
        let mut out = String::with_capacity(full.len());
        let mut sep = false;
        for c in full.chars() {
            if matches!(c, '-' | '_' | '.') {
                sep = true;
            } else {
                if sep && !out.is_empty() {
                    out.push('-');
                }
                sep = false;
                out.push(c);
            }
        }
        full = out;
    }
    format!("{ty}:{full}")
}

struct PreparedComponent {
    component: Component,
    /// The purl, else `name@version`: what a finding names as matched.
    ident: Arc<str>,
    pkg_key: Option<String>,
    version: Option<String>,
    /// (part, vendor, product, version) from the component's CPE.
    cpe: Option<(String, String, String, Option<String>)>,
}

fn prepare_component(c: Component) -> PreparedComponent {
    let purl = c.purl.as_deref().and_then(|p| Purl::parse_lenient(p).ok());
    let pkg_key = purl
        .as_ref()
        .map(|p| package_key(p.ty(), p.namespace(), p.name()));
    let version = purl
        .as_ref()
        .and_then(|p| p.version().map(str::to_string))
        .or_else(|| c.version.clone());
    let cpe = c
        .cpe
        .as_deref()
        .and_then(|s| Cpe::parse_lenient(s).ok())
        .and_then(|cpe| {
            Some((
                cpe.part().map(String::from).unwrap_or_default(),
                cpe.vendor().as_literal()?.to_ascii_lowercase(),
                cpe.product().as_literal()?.to_ascii_lowercase(),
                cpe.version().as_literal().or_else(|| c.version.clone()),
            ))
        });
    let ident: Arc<str> = match &c.purl {
        Some(p) => Arc::from(p.as_str()),
        None => Arc::from(format!("{}@{}", c.name, version.as_deref().unwrap_or("?"))),
    };
    PreparedComponent {
        ident,
        component: c,
        pkg_key,
        version,
        cpe,
    }
}

/// One name under which a model is matched: its own, or the original of a relabel.
struct Identity {
    mfr_key: String,
    model_key: String,
    tokens: Vec<String>,
    /// "relabel of Contec CMS8000" when this is the original's identity.
    via: Option<String>,
}

struct ModelSlot {
    key: Arc<DeviceModelKey>,
    identities: Vec<Identity>,
    components: Vec<PreparedComponent>,
}

struct PreparedProduct {
    mfr_keys: Vec<String>,
    /// Token lists: product name, full name, product name + version text.
    names: [Vec<String>; 3],
    model_numbers: Vec<String>,
    version: ProductVersion,
    identifier: Arc<str>,
}

enum Prepared {
    Package {
        key: String,
        ranges: Vec<PreparedRange>,
        versions: Vec<String>,
        described: Arc<str>,
    },
    Cpe {
        keys: Vec<(String, String)>,
    },
    Product(Box<PreparedProduct>),
}

struct AdvSlot {
    id: Arc<str>,
    aliases: Arc<[String]>,
    adv: MatchableAdvisory,
    prepared: Vec<Prepared>,
}

/// Advisories and device models, indexed both ways.
pub struct Index {
    aliases: ModelAliases,
    advisories: Vec<Option<AdvSlot>>,
    adv_by_id: HashMap<String, AdvId>,
    pkg_index: HashMap<String, Vec<(AdvId, usize)>>,
    cpe_index: HashMap<(String, String), Vec<AdvId>>,
    product_index: HashMap<String, Vec<AdvId>>,
    models: Vec<Option<ModelSlot>>,
    model_by_key: HashMap<DeviceModelKey, ModelId>,
    comp_pkg: HashMap<String, Vec<(ModelId, usize)>>,
    comp_cpe: HashMap<(String, String), Vec<ModelId>>,
    models_by_mfr: HashMap<String, Vec<ModelId>>,
}

impl Default for Index {
    fn default() -> Self {
        Index::new(ModelAliases::builtin())
    }
}

/// Lower-case letter/digit runs of a name after width folding.
pub fn tokens(s: &str) -> Vec<String> {
    fold(s)
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

fn name_match(ident: &Identity, p: &PreparedProduct) -> Option<(Confidence, bool)> {
    let key = ident.model_key.as_str();
    if key.is_empty() {
        return None;
    }
    if p.model_numbers.iter().any(|m| m == key) {
        return Some((Confidence::Exact, false));
    }
    // The product name first; then the product name followed by its version text (the version
    // field then names the model); then the full product name (which often repeats the version).
    let [product, full, with_version] = &p.names;
    for (toks, via_version) in [(product, false), (with_version, true), (full, false)] {
        if let Some(tier) = tier_in(ident, toks) {
            return Some((tier, via_version));
        }
    }
    None
}

fn tier_in(ident: &Identity, toks: &[String]) -> Option<Confidence> {
    let key = ident.model_key.as_str();
    if toks.concat() == key {
        return Some(Confidence::Exact);
    }
    if key.len() < MIN_MODEL_KEY_CHARS {
        return None;
    }
    if contiguous(toks, key) {
        return Some(Confidence::Strong);
    }
    let weak = ident.tokens.len() >= 2
        && ident
            .tokens
            .iter()
            .any(|t| t.chars().any(|c| c.is_ascii_digit()))
        && ident.tokens.iter().all(|t| toks.contains(t));
    weak.then_some(Confidence::Weak)
}

/// Whether `key` is the concatenation of consecutive tokens.
fn contiguous(toks: &[String], key: &str) -> bool {
    for start in 0..toks.len() {
        let mut rest = key;
        for t in &toks[start..] {
            match rest.strip_prefix(t.as_str()) {
                Some("") => return true,
                Some(r) => rest = r,
                None => break,
            }
        }
    }
    false
}

/// Combined verdict for one vulnerability of a CSAF document on one model.
#[derive(Clone)]
struct VulnVerdict {
    status: FindingStatus,
    rank: u8,
    evidence: Evidence,
    remediations: Vec<String>,
}

/// Per-vulnerability precedence: an affected statement wins, then an explicit fixed / not
/// affected statement for this version, then undetermined.
fn vuln_rank(s: FindingStatus) -> u8 {
    match s {
        FindingStatus::Affected => 4,
        FindingStatus::Fixed | FindingStatus::NotAffected => 3,
        FindingStatus::Undetermined => 2,
    }
}

/// Per-advisory precedence (the finding's status is the worst over its vulnerabilities).
fn finding_rank(s: FindingStatus) -> u8 {
    match s {
        FindingStatus::Affected => 4,
        FindingStatus::Undetermined => 3,
        FindingStatus::Fixed => 2,
        FindingStatus::NotAffected => 1,
    }
}

impl Index {
    pub fn new(aliases: ModelAliases) -> Self {
        Index {
            aliases,
            advisories: Vec::new(),
            adv_by_id: HashMap::new(),
            pkg_index: HashMap::new(),
            cpe_index: HashMap::new(),
            product_index: HashMap::new(),
            models: Vec::new(),
            model_by_key: HashMap::new(),
            comp_pkg: HashMap::new(),
            comp_cpe: HashMap::new(),
            models_by_mfr: HashMap::new(),
        }
    }

    pub fn advisory_count(&self) -> usize {
        self.adv_by_id.len()
    }

    pub fn model_count(&self) -> usize {
        self.model_by_key.len()
    }

    /// The canonical manufacturer key of any spelling.
    fn mfr_key(&self, raw: &str) -> String {
        let m = self.aliases.manufacturers();
        manufacturer_key(m.canonical(raw).unwrap_or(raw))
    }

    /// Manufacturer keys a CSAF vendor string stands for.
    fn vendor_keys(&self, vendor: &str) -> Vec<String> {
        let m = self.aliases.manufacturers();
        if let Some(c) = m.canonical(vendor) {
            return vec![manufacturer_key(c)];
        }
        let mut out = Vec::new();
        let normalised = vendor.replace(" and ", ",").replace(['&', '/'], ",");
        for part in normalised
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let k = self.mfr_key(part);
            if !k.is_empty() && !out.contains(&k) {
                out.push(k);
            }
        }
        let whole = manufacturer_key(vendor);
        if !whole.is_empty() && !out.contains(&whole) {
            out.push(whole);
        }
        out
    }

    /// The key as the index stores it: canonical manufacturer (alias table), trimmed model.
    pub fn normalise_key(&self, key: &DeviceModelKey) -> DeviceModelKey {
        let m = self.aliases.manufacturers();
        DeviceModelKey {
            manufacturer: m
                .canonical(&key.manufacturer)
                .unwrap_or(key.manufacturer.trim())
                .to_string(),
            model: key.model.trim().to_string(),
            version: key
                .version
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string),
        }
    }

    // ------------------------------------------------------------------ advisories

    fn prepare_advisory(&self, adv: &MatchableAdvisory) -> Vec<Prepared> {
        adv.affected
            .iter()
            .map(|a| match a {
                Affected::Package(p) => Prepared::Package {
                    key: package_key(&p.purl_type, p.namespace.as_deref(), &p.name),
                    ranges: p.ranges.iter().map(eval::prepare_range).collect(),
                    versions: p.versions.clone(),
                    described: Arc::from(eval::describe_ranges(&p.ranges, &p.versions)),
                },
                Affected::Cpe(c) => {
                    let mut keys: Vec<(String, String)> = c
                        .nodes
                        .iter()
                        .flat_map(|n| n.matches.iter())
                        .filter(|m| m.vulnerable)
                        .map(|m| (m.vendor.clone(), m.product.clone()))
                        .collect();
                    keys.sort();
                    keys.dedup();
                    Prepared::Cpe { keys }
                }
                Affected::Product(p) => {
                    let product_tokens = tokens(&p.product);
                    let version_text = p.version_range.as_deref().or(p.version.as_deref());
                    let mut with_version = product_tokens.clone();
                    if let Some(v) = version_text {
                        with_version.extend(tokens(v));
                    }
                    Prepared::Product(Box::new(PreparedProduct {
                        mfr_keys: p
                            .vendor
                            .as_deref()
                            .map(|v| self.vendor_keys(v))
                            .unwrap_or_default(),
                        names: [product_tokens, tokens(&p.full_name), with_version],
                        model_numbers: p
                            .model_numbers
                            .iter()
                            .map(|m| model_key(m))
                            .filter(|k| !k.is_empty())
                            .collect(),
                        version: eval::product_version(
                            p.version.as_deref(),
                            p.version_range.as_deref(),
                        ),
                        identifier: Arc::from(match &p.vendor {
                            Some(v) => format!("{v} / {}", p.product),
                            None => p.product.clone(),
                        }),
                    }))
                }
            })
            .collect()
    }

    fn unindex_advisory(&mut self, aid: AdvId) {
        let Some(Some(slot)) = self.advisories.get(aid) else {
            return;
        };
        let mut pkg_keys = Vec::new();
        let mut cpe_keys = Vec::new();
        let mut mfr_keys = Vec::new();
        for p in &slot.prepared {
            match p {
                Prepared::Package { key, .. } => pkg_keys.push(key.clone()),
                Prepared::Cpe { keys } => cpe_keys.extend(keys.iter().cloned()),
                Prepared::Product(p) => mfr_keys.extend(p.mfr_keys.iter().cloned()),
            }
        }
        for k in pkg_keys {
            if let Some(v) = self.pkg_index.get_mut(&k) {
                v.retain(|(a, _)| *a != aid);
            }
        }
        for k in cpe_keys {
            if let Some(v) = self.cpe_index.get_mut(&k) {
                v.retain(|a| *a != aid);
            }
        }
        for k in mfr_keys {
            if let Some(v) = self.product_index.get_mut(&k) {
                v.retain(|a| *a != aid);
            }
        }
    }

    /// Add or replace (same id) an advisory; returns its findings on the registered models. Only
    /// models that share a package key, CPE vendor:product or manufacturer with it are examined.
    pub fn add_advisory(&mut self, adv: MatchableAdvisory) -> Vec<Finding> {
        let aid = self.insert_advisory(adv);
        let Some(Some(slot)) = self.advisories.get(aid) else {
            return Vec::new();
        };
        let mut by_model: BTreeMap<ModelId, Vec<(usize, usize)>> = BTreeMap::new();
        let mut cpe_models: HashSet<ModelId> = HashSet::new();
        let mut product_models: HashSet<ModelId> = HashSet::new();
        for (j, p) in slot.prepared.iter().enumerate() {
            match p {
                Prepared::Package { key, .. } => {
                    for &(mid, ci) in self.comp_pkg.get(key).into_iter().flatten() {
                        by_model.entry(mid).or_default().push((ci, j));
                    }
                }
                Prepared::Cpe { keys } => {
                    for k in keys {
                        cpe_models.extend(self.comp_cpe.get(k).into_iter().flatten());
                    }
                }
                Prepared::Product(pp) => {
                    for k in &pp.mfr_keys {
                        product_models.extend(self.models_by_mfr.get(k).into_iter().flatten());
                    }
                }
            }
        }
        let mut out = Vec::new();
        for (mid, pairs) in by_model {
            if let Some(Some(m)) = self.models.get(mid) {
                let hits: Vec<(usize, usize, Containment)> = pairs
                    .into_iter()
                    .map(|(ci, j)| (ci, j, self.package_eval(slot, j, m, ci)))
                    .collect();
                self.package_findings(m, slot, hits, &mut out);
            }
        }
        let mut cpe_models: Vec<ModelId> = cpe_models.into_iter().collect();
        cpe_models.sort_unstable();
        for mid in cpe_models {
            if let Some(Some(m)) = self.models.get(mid) {
                self.cpe_findings(m, slot, &mut out);
            }
        }
        let mut product_models: Vec<ModelId> = product_models.into_iter().collect();
        product_models.sort_unstable();
        for mid in product_models {
            if let Some(Some(m)) = self.models.get(mid) {
                if let Some(f) = self.product_finding(m, slot) {
                    out.push(f);
                }
            }
        }
        out
    }

    /// Add or replace an advisory without matching (bulk loading before [`Index::match_all`]).
    pub fn insert_advisory(&mut self, adv: MatchableAdvisory) -> usize {
        let prepared = self.prepare_advisory(&adv);
        let aid = match self.adv_by_id.get(&adv.id).copied() {
            Some(aid) => {
                self.unindex_advisory(aid);
                aid
            }
            None => {
                self.advisories.push(None);
                let aid = self.advisories.len() - 1;
                self.adv_by_id.insert(adv.id.clone(), aid);
                aid
            }
        };
        for (j, p) in prepared.iter().enumerate() {
            match p {
                Prepared::Package { key, .. } => {
                    self.pkg_index
                        .entry(key.clone())
                        .or_default()
                        .push((aid, j));
                }
                Prepared::Cpe { keys } => {
                    for k in keys {
                        let v = self.cpe_index.entry(k.clone()).or_default();
                        if !v.contains(&aid) {
                            v.push(aid);
                        }
                    }
                }
                Prepared::Product(pp) => {
                    for k in &pp.mfr_keys {
                        let v = self.product_index.entry(k.clone()).or_default();
                        if !v.contains(&aid) {
                            v.push(aid);
                        }
                    }
                }
            }
        }
        if let Some(s) = self.advisories.get_mut(aid) {
            *s = Some(AdvSlot {
                id: Arc::from(adv.id.as_str()),
                aliases: Arc::from(adv.aliases.clone()),
                adv,
                prepared,
            });
        }
        aid
    }

    /// Remove an advisory (e.g. withdrawn). Returns whether it was present.
    pub fn remove_advisory(&mut self, id: &str) -> bool {
        let Some(aid) = self.adv_by_id.remove(id) else {
            return false;
        };
        self.unindex_advisory(aid);
        if let Some(s) = self.advisories.get_mut(aid) {
            *s = None;
        }
        true
    }

    // ------------------------------------------------------------------ models

    fn identities(&self, key: &DeviceModelKey) -> Vec<Identity> {
        let mut ids = vec![Identity {
            mfr_key: self.mfr_key(&key.manufacturer),
            model_key: model_key(&key.model),
            tokens: tokens(&key.model),
            via: None,
        }];
        if let Some((cm, cmodel)) = self.aliases.resolve(&key.manufacturer, &key.model) {
            ids.push(Identity {
                mfr_key: self.mfr_key(cm),
                model_key: model_key(cmodel),
                tokens: tokens(cmodel),
                via: Some(format!(
                    "{} {} is a relabel of {cm} {cmodel}",
                    key.manufacturer, key.model
                )),
            });
        }
        ids
    }

    fn unindex_model(&mut self, mid: ModelId) {
        let Some(Some(slot)) = self.models.get(mid) else {
            return;
        };
        let pkg: Vec<String> = slot
            .components
            .iter()
            .filter_map(|c| c.pkg_key.clone())
            .collect();
        let cpe: Vec<(String, String)> = slot
            .components
            .iter()
            .filter_map(|c| c.cpe.as_ref().map(|x| (x.1.clone(), x.2.clone())))
            .collect();
        let mfr: Vec<String> = slot.identities.iter().map(|i| i.mfr_key.clone()).collect();
        for k in pkg {
            if let Some(v) = self.comp_pkg.get_mut(&k) {
                v.retain(|(m, _)| *m != mid);
            }
        }
        for k in cpe {
            if let Some(v) = self.comp_cpe.get_mut(&k) {
                v.retain(|m| *m != mid);
            }
        }
        for k in mfr {
            if let Some(v) = self.models_by_mfr.get_mut(&k) {
                v.retain(|m| *m != mid);
            }
        }
    }

    /// Register (or replace, same key) a model with its components without matching.
    pub fn insert_model(&mut self, key: DeviceModelKey, components: Vec<Component>) -> usize {
        let key = self.normalise_key(&key);
        let identities = self.identities(&key);
        let components: Vec<PreparedComponent> = components
            .into_iter()
            .take(MAX_COMPONENTS_PER_MODEL)
            .map(prepare_component)
            .collect();
        let mid = match self.model_by_key.get(&key).copied() {
            Some(mid) => {
                self.unindex_model(mid);
                mid
            }
            None => {
                self.models.push(None);
                let mid = self.models.len() - 1;
                self.model_by_key.insert(key.clone(), mid);
                mid
            }
        };
        for (ci, c) in components.iter().enumerate() {
            if let Some(k) = &c.pkg_key {
                self.comp_pkg.entry(k.clone()).or_default().push((mid, ci));
            }
            if let Some((_, v, p, _)) = &c.cpe {
                let e = self.comp_cpe.entry((v.clone(), p.clone())).or_default();
                if e.last() != Some(&mid) {
                    e.push(mid);
                }
            }
        }
        for i in &identities {
            let e = self.models_by_mfr.entry(i.mfr_key.clone()).or_default();
            if !e.contains(&mid) {
                e.push(mid);
            }
        }
        if let Some(s) = self.models.get_mut(mid) {
            *s = Some(ModelSlot {
                key: Arc::new(key),
                identities,
                components,
            });
        }
        mid
    }

    /// Remove a model. Returns whether it was present.
    pub fn remove_model(&mut self, key: &DeviceModelKey) -> bool {
        let key = self.normalise_key(key);
        let Some(mid) = self.model_by_key.remove(&key) else {
            return false;
        };
        self.unindex_model(mid);
        if let Some(s) = self.models.get_mut(mid) {
            *s = None;
        }
        true
    }

    /// Add or replace a model and match it (only it) against every advisory.
    pub fn add_model(&mut self, key: DeviceModelKey, components: Vec<Component>) -> Vec<Finding> {
        let mid = self.insert_model(key, components);
        let mut out = Vec::new();
        if let Some(Some(m)) = self.models.get(mid) {
            self.match_model(m, &mut HashMap::new(), &mut out);
        }
        out
    }

    /// Every finding for every registered model. Package containment is computed once per
    /// distinct (package, version) across the fleet.
    pub fn match_all(&self) -> Vec<Finding> {
        let mut memo = HashMap::new();
        let mut out = Vec::new();
        for m in self.models.iter().flatten() {
            self.match_model(m, &mut memo, &mut out);
        }
        out
    }

    fn match_model<'a>(
        &'a self,
        m: &'a ModelSlot,
        memo: &mut PackageMemo<'a>,
        out: &mut Vec<Finding>,
    ) {
        // Packages: per advisory, the (component, entry, containment) triples.
        let mut per_adv: BTreeMap<AdvId, Vec<(usize, usize, Containment)>> = BTreeMap::new();
        let mut cpe_advs: HashSet<AdvId> = HashSet::new();
        for (ci, c) in m.components.iter().enumerate() {
            if let Some(k) = &c.pkg_key {
                let hits = memo
                    .entry((k.as_str(), c.version.as_deref()))
                    .or_insert_with(|| self.package_hits(k, c.version.as_deref()));
                for &(aid, j, cont) in hits.iter() {
                    per_adv.entry(aid).or_default().push((ci, j, cont));
                }
            }
            if let Some((_, v, p, _)) = &c.cpe {
                if let Some(advs) = self.cpe_index.get(&(v.clone(), p.clone())) {
                    cpe_advs.extend(advs.iter().copied());
                }
            }
        }
        for (aid, hits) in per_adv {
            if let Some(Some(slot)) = self.advisories.get(aid) {
                self.package_findings(m, slot, hits, out);
            }
        }
        let mut cpe_advs: Vec<AdvId> = cpe_advs.into_iter().collect();
        cpe_advs.sort_unstable();
        for aid in cpe_advs {
            if let Some(Some(slot)) = self.advisories.get(aid) {
                self.cpe_findings(m, slot, out);
            }
        }
        let mut product_advs: Vec<AdvId> = m
            .identities
            .iter()
            .flat_map(|i| self.product_index.get(&i.mfr_key).into_iter().flatten())
            .copied()
            .collect();
        product_advs.sort_unstable();
        product_advs.dedup();
        for aid in product_advs {
            if let Some(Some(slot)) = self.advisories.get(aid) {
                if let Some(f) = self.product_finding(m, slot) {
                    out.push(f);
                }
            }
        }
    }

    fn package_hits(&self, key: &str, version: Option<&str>) -> Vec<(AdvId, usize, Containment)> {
        let mut out = Vec::new();
        for &(aid, j) in self.pkg_index.get(key).into_iter().flatten() {
            if let Some(Some(slot)) = self.advisories.get(aid) {
                if let Some(Prepared::Package {
                    ranges, versions, ..
                }) = slot.prepared.get(j)
                {
                    let c = eval::package_containment(ranges, versions, version);
                    if c != Containment::Outside {
                        out.push((aid, j, c));
                    }
                }
            }
        }
        out
    }

    fn package_eval(&self, slot: &AdvSlot, j: usize, m: &ModelSlot, ci: usize) -> Containment {
        let version = m.components.get(ci).and_then(|c| c.version.as_deref());
        match slot.prepared.get(j) {
            Some(Prepared::Package {
                ranges, versions, ..
            }) => eval::package_containment(ranges, versions, version),
            _ => Containment::Outside,
        }
    }

    /// One finding per (component, advisory): affected when any entry contains the version,
    /// undetermined when none does but one cannot tell.
    fn package_findings(
        &self,
        m: &ModelSlot,
        slot: &AdvSlot,
        hits: Vec<(usize, usize, Containment)>,
        out: &mut Vec<Finding>,
    ) {
        let mut per_comp: BTreeMap<usize, (Containment, usize)> = BTreeMap::new();
        for (ci, j, c) in hits {
            let e = per_comp.entry(ci).or_insert((c, j));
            if e.0 != Containment::Inside && c == Containment::Inside {
                *e = (c, j);
            }
        }
        for (ci, (c, j)) in per_comp {
            let status = match c {
                Containment::Inside => FindingStatus::Affected,
                Containment::Undetermined => FindingStatus::Undetermined,
                Containment::Outside => continue,
            };
            let Some(comp) = m.components.get(ci) else {
                continue;
            };
            let described = match slot.prepared.get(j) {
                Some(Prepared::Package { described, .. }) => described.clone(),
                _ => Arc::from(""),
            };
            let ident = comp.ident.clone();
            let note = match (status, comp.version.as_deref()) {
                (FindingStatus::Undetermined, None) => {
                    "the component has no version; it cannot be placed in the range".to_string()
                }
                (FindingStatus::Undetermined, Some(v)) => {
                    format!("version {v} cannot be placed in the advisory's range")
                }
                _ => String::new(),
            };
            out.push(Finding {
                device_model: m.key.clone(),
                advisory_id: slot.id.clone(),
                aliases: slot.aliases.clone(),
                evidence: Evidence {
                    matched_identifier: ident,
                    range_or_status: described,
                    tier: Confidence::Exact,
                    note,
                },
                status,
                remediations: Vec::new(),
            });
        }
    }

    /// NVD configurations against the model's component CPEs (Kleene logic: unknown stays unknown).
    fn cpe_findings(&self, m: &ModelSlot, slot: &AdvSlot, out: &mut Vec<Finding>) {
        let mut best: Option<(Option<bool>, String, String)> = None;
        for a in &slot.adv.affected {
            let Affected::Cpe(conf) = a else { continue };
            let mut matched: Vec<String> = Vec::new();
            let mut node_vals: Vec<Option<bool>> = Vec::with_capacity(conf.nodes.len());
            for n in &conf.nodes {
                let mut vals: Vec<Option<bool>> = Vec::with_capacity(n.matches.len());
                for crit in &n.matches {
                    let mut val = Some(false);
                    for c in &m.components {
                        let Some((part, v, p, ver)) = &c.cpe else {
                            continue;
                        };
                        if *v != crit.vendor
                            || *p != crit.product
                            || (!crit.part.is_empty() && crit.part != "*" && *part != crit.part)
                        {
                            continue;
                        }
                        match eval::cpe_version_ok(crit, ver.as_deref()) {
                            Some(true) => {
                                if crit.vulnerable {
                                    matched.push(c.component.cpe.clone().unwrap_or_default());
                                }
                                val = Some(true);
                                break;
                            }
                            None => val = None,
                            Some(false) => {}
                        }
                    }
                    vals.push(val);
                }
                let v = if n.and {
                    kleene_all(vals.into_iter())
                } else {
                    kleene_any(vals.into_iter())
                };
                node_vals.push(if n.negate { v.map(|b| !b) } else { v });
            }
            let v = if conf.and {
                kleene_all(node_vals.into_iter())
            } else {
                kleene_any(node_vals.into_iter())
            };
            let v = if conf.negate { v.map(|b| !b) } else { v };
            if v == Some(false) {
                continue;
            }
            let criteria: Vec<&str> = conf
                .nodes
                .iter()
                .flat_map(|n| n.matches.iter())
                .filter(|c| c.vulnerable)
                .map(|c| c.criteria.as_str())
                .collect();
            let desc = criteria.join(" | ");
            let ident = matched.join(", ");
            let better = match &best {
                None => true,
                Some((bv, _, _)) => *bv != Some(true) && v == Some(true),
            };
            if better {
                best = Some((v, ident, desc));
            }
        }
        let Some((v, ident, desc)) = best else { return };
        let status = if v == Some(true) {
            FindingStatus::Affected
        } else {
            FindingStatus::Undetermined
        };
        out.push(Finding {
            device_model: m.key.clone(),
            advisory_id: slot.id.clone(),
            aliases: slot.aliases.clone(),
            evidence: Evidence {
                matched_identifier: Arc::from(ident),
                range_or_status: Arc::from(desc),
                tier: Confidence::Exact,
                note: if status == FindingStatus::Undetermined {
                    "a component version cannot be placed in the configuration's range".into()
                } else {
                    String::new()
                },
            },
            status,
            remediations: Vec::new(),
        });
    }

    /// The CSAF verdict for one model: per vulnerability the strongest statement over the
    /// matching products, per advisory the worst vulnerability.
    fn product_finding(&self, m: &ModelSlot, slot: &AdvSlot) -> Option<Finding> {
        let version = m.key.version.as_deref();
        let mut per_vuln: BTreeMap<&str, VulnVerdict> = BTreeMap::new();
        let mut order: Vec<&str> = Vec::new();
        for (a, p) in slot.adv.affected.iter().zip(slot.prepared.iter()) {
            let (Affected::Product(pa), Prepared::Product(pp)) = (a, p) else {
                continue;
            };
            for ident in &m.identities {
                if !pp.mfr_keys.contains(&ident.mfr_key) {
                    continue;
                }
                let Some((tier, via_version)) = name_match(ident, pp) else {
                    continue;
                };
                let base_version = if via_version {
                    ProductVersion::Range(FirmwareRange::All)
                } else {
                    pp.version.clone()
                };
                for st in &pa.statements {
                    let pv = match (&base_version, st.status) {
                        (ProductVersion::Single(v), CsafStatus::FirstAffected)
                        | (ProductVersion::Single(v), CsafStatus::FirstFixed) => {
                            ProductVersion::Range(eval::open_interval(v, Comparator::Ge))
                        }
                        (ProductVersion::Single(v), CsafStatus::LastAffected) => {
                            ProductVersion::Range(eval::open_interval(v, Comparator::Le))
                        }
                        (pv, _) => pv.clone(),
                    };
                    let c = eval::product_containment(&pv, version);
                    let status = match (st.status, c) {
                        (_, Containment::Outside) => continue,
                        (
                            CsafStatus::KnownAffected
                            | CsafStatus::FirstAffected
                            | CsafStatus::LastAffected,
                            Containment::Inside,
                        ) => FindingStatus::Affected,
                        (
                            CsafStatus::Fixed | CsafStatus::FirstFixed | CsafStatus::Recommended,
                            Containment::Inside,
                        ) => FindingStatus::Fixed,
                        (CsafStatus::KnownNotAffected, Containment::Inside) => {
                            FindingStatus::NotAffected
                        }
                        (CsafStatus::KnownNotAffected, Containment::Undetermined) => continue,
                        _ => FindingStatus::Undetermined,
                    };
                    let range_text = match (&pa.version, &pa.version_range) {
                        (_, Some(r)) => r.clone(),
                        (Some(v), None) => v.clone(),
                        (None, None) => "all versions".into(),
                    };
                    let mut notes: Vec<String> = Vec::new();
                    if let Some(v) = &ident.via {
                        notes.push(v.clone());
                    }
                    if via_version {
                        notes.push(
                            "the advisory's version field names the model; all versions".into(),
                        );
                    }
                    if st.status == CsafStatus::UnderInvestigation {
                        notes.push("the vendor is still investigating".into());
                    } else if status == FindingStatus::Undetermined {
                        notes.push(match version {
                            None => "the ledger has no version for this model".into(),
                            Some(v) => format!("version {v} cannot be placed in {range_text:?}"),
                        });
                    }
                    let verdict = VulnVerdict {
                        status,
                        rank: vuln_rank(status),
                        evidence: Evidence {
                            matched_identifier: pp.identifier.clone(),
                            range_or_status: Arc::from(format!(
                                "{}: {range_text}",
                                st.status.as_str()
                            )),
                            tier,
                            note: notes.join("; "),
                        },
                        remediations: st.remediations.clone(),
                    };
                    let key = st.vulnerability.as_str();
                    match per_vuln.get_mut(key) {
                        Some(cur) => {
                            if verdict.rank > cur.rank
                                || (verdict.rank == cur.rank
                                    && verdict.evidence.tier < cur.evidence.tier)
                            {
                                *cur = verdict;
                            } else if verdict.rank == cur.rank {
                                for r in verdict.remediations {
                                    if !cur.remediations.contains(&r) {
                                        cur.remediations.push(r);
                                    }
                                }
                            }
                        }
                        None => {
                            order.push(key);
                            per_vuln.insert(key, verdict);
                        }
                    }
                }
            }
        }
        let worst = order
            .iter()
            .filter_map(|k| per_vuln.get(k))
            .max_by_key(|v| (finding_rank(v.status), std::cmp::Reverse(v.evidence.tier)))?
            .clone();
        let mut aliases = Vec::new();
        let mut remediations: Vec<String> = Vec::new();
        for k in &order {
            let Some(v) = per_vuln.get(k) else { continue };
            if v.status != worst.status {
                continue;
            }
            if !aliases.iter().any(|a| a == k) {
                aliases.push(k.to_string());
            }
            for r in &v.remediations {
                if !remediations.contains(r) {
                    remediations.push(r.clone());
                }
            }
        }
        Some(Finding {
            device_model: m.key.clone(),
            advisory_id: slot.id.clone(),
            aliases: Arc::from(aliases),
            evidence: worst.evidence,
            status: worst.status,
            remediations,
        })
    }
}

type PackageMemo<'a> = HashMap<(&'a str, Option<&'a str>), Vec<(AdvId, usize, Containment)>>;

fn kleene_all(vals: impl Iterator<Item = Option<bool>>) -> Option<bool> {
    let mut r = Some(true);
    for v in vals {
        match v {
            Some(false) => return Some(false),
            None => r = None,
            Some(true) => {}
        }
    }
    r
}

fn kleene_any(vals: impl Iterator<Item = Option<bool>>) -> Option<bool> {
    let mut r = Some(false);
    for v in vals {
        match v {
            Some(true) => return Some(true),
            None => r = None,
            Some(false) => {}
        }
    }
    r
}
