//! OASIS CSAF 2.0 mandatory tests (section 6.1) as diagnostics with code `csaf-6.1.N`.
//!
//! 6.1.11 (CWE id/name consistency) needs the CWE catalogue, which we do not ship: it is
//! [`CsafDocument::check_cwe`](super::CsafDocument::check_cwe) with a caller-supplied lookup.

use super::{is_version_range, CsafDocument, PROFILES};
use crate::cvss;
use crate::push_diag;
use mdsec_format_core::{Diagnostic, Position};
use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap, HashSet};

struct Ctx<'a> {
    diags: &'a mut Vec<Diagnostic>,
}

impl Ctx<'_> {
    fn fail(&mut self, test: &str, message: impl Into<String>, path: impl Into<String>) {
        push_diag(
            self.diags,
            Diagnostic::error(format!("csaf-{test}"), message, Position::path(path)),
        );
    }
}

pub(super) fn mandatory(doc: &CsafDocument, diags: &mut Vec<Diagnostic>) {
    let mut c = Ctx { diags };
    if let Some(path) = doc.walk_branches(|_, _, _| {}) {
        push_diag(
            c.diags,
            Diagnostic::error(
                "csaf-branch-depth",
                format!(
                    "branches nested deeper than {} levels were not read",
                    crate::MAX_BRANCH_DEPTH
                ),
                Position::path(path),
            ),
        );
    }
    product_ids(doc, &mut c);
    groups(doc, &mut c);
    product_status(doc, &mut c);
    scores(doc, &mut c);
    language(doc, &mut c);
    purls_and_hashes(doc, &mut c);
    revisions(doc, &mut c);
    vulnerabilities(doc, &mut c);
    category(doc, &mut c);
    profiles(doc, &mut c);
    version_ranges(doc, &mut c);
}

/// Visit every place a product id is referenced. The JSON pointer is built only if asked for, so a
/// large valid document allocates no paths.
fn for_each_product_ref<'a>(
    doc: &'a CsafDocument,
    mut f: impl FnMut(&'a str, &dyn Fn() -> String),
) {
    if let Some(tree) = &doc.product_tree {
        for (i, g) in tree.product_groups.iter().enumerate() {
            for (j, id) in g.product_ids.iter().enumerate() {
                f(id, &|| {
                    format!("/product_tree/product_groups/{i}/product_ids/{j}")
                });
            }
        }
        for (i, r) in tree.relationships.iter().enumerate() {
            f(&r.product_reference, &|| {
                format!("/product_tree/relationships/{i}/product_reference")
            });
            f(&r.relates_to_product_reference, &|| {
                format!("/product_tree/relationships/{i}/relates_to_product_reference")
            });
        }
    }
    for (i, v) in doc.vulnerabilities.iter().enumerate() {
        if let Some(ps) = &v.product_status {
            for (name, list) in ps.lists() {
                for (j, id) in list.iter().enumerate() {
                    f(id, &|| {
                        format!("/vulnerabilities/{i}/product_status/{name}/{j}")
                    });
                }
            }
        }
        let lists = v
            .remediations
            .iter()
            .enumerate()
            .map(|(j, r)| ("remediations", j, "product_ids", &r.product_ids))
            .chain(
                v.scores
                    .iter()
                    .enumerate()
                    .map(|(j, s)| ("scores", j, "products", &s.products)),
            )
            .chain(
                v.threats
                    .iter()
                    .enumerate()
                    .map(|(j, t)| ("threats", j, "product_ids", &t.product_ids)),
            )
            .chain(
                v.flags
                    .iter()
                    .enumerate()
                    .map(|(j, fl)| ("flags", j, "product_ids", &fl.product_ids)),
            );
        for (place, j, key, ids) in lists {
            for (k, id) in ids.iter().enumerate() {
                f(id, &|| {
                    format!("/vulnerabilities/{i}/{place}/{j}/{key}/{k}")
                });
            }
        }
    }
}

/// 6.1.1 missing definition, 6.1.2 multiple definition, 6.1.3 circular definition of product ids.
fn product_ids(doc: &CsafDocument, c: &mut Ctx) {
    let defs = doc.product_definitions();
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for (p, path) in &defs {
        if let Some(first) = seen.get(p.product_id.as_str()) {
            c.fail(
                "6.1.2",
                format!(
                    "product id {:?} is already defined at {first}",
                    p.product_id
                ),
                format!("{path}/product_id"),
            );
        } else {
            seen.insert(&p.product_id, path);
        }
    }
    for_each_product_ref(doc, |id, path| {
        if !seen.contains_key(id) {
            c.fail(
                "6.1.1",
                format!("product id {id:?} is not defined in the product tree"),
                path(),
            );
        }
    });
    // 6.1.3: a relationship's product id must not be reachable from its own references.
    let Some(tree) = &doc.product_tree else {
        return;
    };
    let mut edges: HashMap<&str, Vec<&str>> = HashMap::new();
    for r in &tree.relationships {
        edges
            .entry(r.full_product_name.product_id.as_str())
            .or_default()
            .extend([
                r.product_reference.as_str(),
                r.relates_to_product_reference.as_str(),
            ]);
    }
    // Iterative three-colour DFS: 1 = on the stack, 2 = done.
    let mut colour: HashMap<&str, u8> = HashMap::new();
    let mut reported: HashSet<&str> = HashSet::new();
    for (i, r) in tree.relationships.iter().enumerate() {
        let start = r.full_product_name.product_id.as_str();
        if colour.contains_key(start) {
            continue;
        }
        let mut stack: Vec<(&str, usize)> = vec![(start, 0)];
        colour.insert(start, 1);
        while let Some((node, next)) = stack.pop() {
            let succ = edges.get(node).and_then(|e| e.get(next)).copied();
            match succ {
                Some(s) => {
                    stack.push((node, next + 1));
                    match colour.get(s) {
                        Some(1) => {
                            if reported.insert(s) {
                                c.fail(
                                    "6.1.3",
                                    format!("product id {s:?} is defined through a circular chain of relationships"),
                                    format!("/product_tree/relationships/{i}"),
                                );
                            }
                        }
                        Some(_) => {}
                        None => {
                            colour.insert(s, 1);
                            stack.push((s, 0));
                        }
                    }
                }
                None => {
                    colour.insert(node, 2);
                }
            }
        }
    }
}

/// Every place a group id is referenced.
fn group_refs(doc: &CsafDocument) -> Vec<(&str, String)> {
    let mut out = Vec::new();
    for (i, v) in doc.vulnerabilities.iter().enumerate() {
        let lists = v
            .remediations
            .iter()
            .enumerate()
            .map(|(j, r)| (format!("remediations/{j}"), &r.group_ids))
            .chain(
                v.threats
                    .iter()
                    .enumerate()
                    .map(|(j, t)| (format!("threats/{j}"), &t.group_ids)),
            )
            .chain(
                v.flags
                    .iter()
                    .enumerate()
                    .map(|(j, f)| (format!("flags/{j}"), &f.group_ids)),
            );
        for (place, ids) in lists {
            for (k, id) in ids.iter().enumerate() {
                out.push((
                    id.as_str(),
                    format!("/vulnerabilities/{i}/{place}/group_ids/{k}"),
                ));
            }
        }
    }
    out
}

/// 6.1.4 missing and 6.1.5 multiple definition of product group ids.
fn groups(doc: &CsafDocument, c: &mut Ctx) {
    let mut defined: HashSet<&str> = HashSet::new();
    if let Some(tree) = &doc.product_tree {
        for (i, g) in tree.product_groups.iter().enumerate() {
            if !defined.insert(&g.group_id) {
                c.fail(
                    "6.1.5",
                    format!("group id {:?} is defined more than once", g.group_id),
                    format!("/product_tree/product_groups/{i}/group_id"),
                );
            }
        }
    }
    for (id, path) in group_refs(doc) {
        if !defined.contains(id) {
            c.fail(
                "6.1.4",
                format!("group id {id:?} is not defined in the product tree"),
                path,
            );
        }
    }
}

fn group_map(doc: &CsafDocument) -> HashMap<&str, &[String]> {
    doc.product_tree
        .iter()
        .flat_map(|t| t.product_groups.iter())
        .map(|g| (g.group_id.as_str(), g.product_ids.as_slice()))
        .collect()
}

/// Product ids named directly or through groups.
fn expand<'a>(
    ids: &'a [String],
    group_ids: &'a [String],
    groups: &HashMap<&str, &'a [String]>,
) -> BTreeSet<&'a str> {
    let mut out: BTreeSet<&str> = ids.iter().map(String::as_str).collect();
    for g in group_ids {
        if let Some(members) = groups.get(g.as_str()) {
            out.extend(members.iter().map(String::as_str));
        }
    }
    out
}

/// 6.1.6 contradicting product status.
fn product_status(doc: &CsafDocument, c: &mut Ctx) {
    for (i, v) in doc.vulnerabilities.iter().enumerate() {
        let Some(ps) = &v.product_status else {
            continue;
        };
        let mut group_of: HashMap<&str, &str> = HashMap::new();
        for (name, list) in ps.lists() {
            let group = match name {
                "first_affected" | "known_affected" | "last_affected" => "affected",
                "known_not_affected" => "not affected",
                "first_fixed" | "fixed" => "fixed",
                "under_investigation" => "under investigation",
                _ => continue,
            };
            for (j, id) in list.iter().enumerate() {
                match group_of.get(id.as_str()) {
                    Some(g) if *g != group => c.fail(
                        "6.1.6",
                        format!("product {id:?} is both {g} and {group}"),
                        format!("/vulnerabilities/{i}/product_status/{name}/{j}"),
                    ),
                    Some(_) => {}
                    None => {
                        group_of.insert(id, group);
                    }
                }
            }
        }
    }
}

fn json_str(v: &serde_json::Value) -> Option<&str> {
    v.as_str()
}

/// 6.1.7 multiple scores per product and CVSS version, 6.1.8 invalid CVSS, 6.1.9 wrong computation,
/// 6.1.10 properties inconsistent with the vector.
fn scores(doc: &CsafDocument, c: &mut Ctx) {
    for (i, v) in doc.vulnerabilities.iter().enumerate() {
        let mut seen: HashSet<(&str, String)> = HashSet::new();
        for (j, s) in v.scores.iter().enumerate() {
            let path = format!("/vulnerabilities/{i}/scores/{j}");
            let mut versions = Vec::new();
            if let Some(v3) = &s.cvss_v3 {
                let ver = v3
                    .version
                    .clone()
                    .or_else(|| {
                        v3.vector_string
                            .as_deref()
                            .and_then(|vs| vs.get(5..8))
                            .map(str::to_string)
                    })
                    .unwrap_or_default();
                versions.push(ver);
                check_v3(v3, &format!("{path}/cvss_v3"), c);
            }
            if let Some(v2) = &s.cvss_v2 {
                versions.push("2.0".to_string());
                check_v2(v2, &format!("{path}/cvss_v2"), c);
            }
            for p in &s.products {
                for ver in &versions {
                    if !seen.insert((p.as_str(), ver.clone())) {
                        c.fail(
                            "6.1.7",
                            format!("product {p:?} has more than one CVSS {ver} score"),
                            path.clone(),
                        );
                    }
                }
            }
        }
    }
}

fn score_differs(given: f64, computed: f64) -> bool {
    (given - computed).abs() > 0.049
}

fn check_v3(s: &super::CvssV3, path: &str, c: &mut Ctx) {
    let mut missing = Vec::new();
    if s.version.is_none() {
        missing.push("version");
    }
    if s.vector_string.is_none() {
        missing.push("vectorString");
    }
    if s.base_score.is_none() {
        missing.push("baseScore");
    }
    if s.base_severity.is_none() {
        missing.push("baseSeverity");
    }
    if !missing.is_empty() {
        c.fail(
            "6.1.8",
            format!("CVSS v3 object lacks required {}", missing.join(", ")),
            path,
        );
    }
    if let Some(ver) = &s.version {
        if ver != "3.0" && ver != "3.1" {
            c.fail(
                "6.1.8",
                format!("CVSS v3 version {ver:?} is not 3.0 or 3.1"),
                format!("{path}/version"),
            );
        }
    }
    if let Some(b) = s.base_score {
        if !(0.0..=10.0).contains(&b) {
            c.fail(
                "6.1.8",
                format!("baseScore {b} is outside 0–10"),
                format!("{path}/baseScore"),
            );
        }
    }
    for (k, val) in &s.metrics {
        if let Some(val) = json_str(val) {
            if cvss::v3_property_known(k) && !cvss::v3_property_valid(k, val) {
                c.fail(
                    "6.1.8",
                    format!("{k} has invalid value {val:?}"),
                    format!("{path}/{k}"),
                );
            }
        }
    }
    let Some(vs) = &s.vector_string else { return };
    let vector = match cvss::parse_v3(vs) {
        Ok(v) => v,
        Err(e) => {
            c.fail(
                "6.1.8",
                format!("invalid CVSS v3 vector: {e}"),
                format!("{path}/vectorString"),
            );
            return;
        }
    };
    if let Some(ver) = &s.version {
        if *ver != vector.version {
            c.fail(
                "6.1.10",
                format!(
                    "version {ver} differs from the vector's CVSS:{}",
                    vector.version
                ),
                format!("{path}/version"),
            );
        }
    }
    for (m, val) in &vector.metrics {
        if let Some((prop, expected)) = cvss::v3_property(m, val) {
            if let Some(given) = s.metrics.get(prop).and_then(json_str) {
                if given != expected {
                    c.fail(
                        "6.1.10",
                        format!("{prop} is {given} but the vector says {expected}"),
                        format!("{path}/{prop}"),
                    );
                }
            }
        }
    }
    let computed = vector.scores();
    if let Some(b) = s.base_score {
        if score_differs(b, computed.base) {
            c.fail(
                "6.1.9",
                format!("baseScore {b} but the vector computes to {}", computed.base),
                format!("{path}/baseScore"),
            );
        }
    }
    if let Some(sev) = &s.base_severity {
        if sev != cvss::severity_v3(computed.base) {
            c.fail(
                "6.1.9",
                format!(
                    "baseSeverity {sev} but the computed base score {} is {}",
                    computed.base,
                    cvss::severity_v3(computed.base)
                ),
                format!("{path}/baseSeverity"),
            );
        }
    }
    let pairs = [
        (
            "temporal",
            s.temporal_score,
            &s.temporal_severity,
            computed.temporal,
        ),
        (
            "environmental",
            s.environmental_score,
            &s.environmental_severity,
            computed.environmental,
        ),
    ];
    for (name, given, sev, computed) in pairs {
        // Without the metrics in the vector, the score equals the base (temporal) score.
        let computed = computed.unwrap_or(if name == "temporal" {
            vector.scores().base
        } else {
            vector.scores().temporal.unwrap_or(vector.scores().base)
        });
        if let Some(g) = given {
            if score_differs(g, computed) {
                c.fail(
                    "6.1.9",
                    format!("{name}Score {g} but the vector computes to {computed}"),
                    format!("{path}/{name}Score"),
                );
            }
        }
        if let Some(sev) = sev {
            if sev != cvss::severity_v3(computed) {
                c.fail(
                    "6.1.9",
                    format!("{name}Severity {sev} does not match score {computed}"),
                    format!("{path}/{name}Severity"),
                );
            }
        }
    }
}

fn check_v2(s: &super::CvssV2, path: &str, c: &mut Ctx) {
    let mut missing = Vec::new();
    if s.version.is_none() {
        missing.push("version");
    }
    if s.vector_string.is_none() {
        missing.push("vectorString");
    }
    if s.base_score.is_none() {
        missing.push("baseScore");
    }
    if !missing.is_empty() {
        c.fail(
            "6.1.8",
            format!("CVSS v2 object lacks required {}", missing.join(", ")),
            path,
        );
    }
    if let Some(ver) = &s.version {
        if ver != "2.0" {
            c.fail(
                "6.1.8",
                format!("CVSS v2 version {ver:?} is not 2.0"),
                format!("{path}/version"),
            );
        }
    }
    for (k, val) in &s.metrics {
        if let Some(val) = json_str(val) {
            if cvss::v2_property_known(k) && !cvss::v2_property_valid(k, val) {
                c.fail(
                    "6.1.8",
                    format!("{k} has invalid value {val:?}"),
                    format!("{path}/{k}"),
                );
            }
        }
    }
    let Some(vs) = &s.vector_string else { return };
    let vector = match cvss::parse_v2(vs) {
        Ok(v) => v,
        Err(e) => {
            c.fail(
                "6.1.8",
                format!("invalid CVSS v2 vector: {e}"),
                format!("{path}/vectorString"),
            );
            return;
        }
    };
    for (m, val) in &vector.metrics {
        if let Some((prop, expected)) = cvss::v2_property(m, val) {
            if let Some(given) = s.metrics.get(prop).and_then(json_str) {
                if given != expected {
                    c.fail(
                        "6.1.10",
                        format!("{prop} is {given} but the vector says {expected}"),
                        format!("{path}/{prop}"),
                    );
                }
            }
        }
    }
    let computed = vector.scores();
    let checks = [
        ("baseScore", s.base_score, Some(computed.base)),
        (
            "temporalScore",
            s.temporal_score,
            computed.temporal.or(Some(computed.base)),
        ),
        (
            "environmentalScore",
            s.environmental_score,
            computed.environmental,
        ),
    ];
    for (name, given, computed) in checks {
        if let (Some(g), Some(cmp)) = (given, computed) {
            if score_differs(g, cmp) {
                c.fail(
                    "6.1.9",
                    format!("{name} {g} but the vector computes to {cmp}"),
                    format!("{path}/{name}"),
                );
            }
        }
    }
}

/// ISO 639-1 two-letter language codes (the registered primary subtags of that length).
const ISO_639_1: &str = "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy \
    da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik \
    in io is it iu iw ja ji jv jw ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml \
    mn mo mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg sh \
    si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo \
    za zh zu";

/// BCP 47 well-formedness plus a registered primary language subtag for two-letter codes.
pub(crate) fn valid_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let Some(primary) = parts.next() else {
        return false;
    };
    let rest: Vec<&str> = parts.collect();
    if !rest
        .iter()
        .all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
    {
        return false;
    }
    let lower = primary.to_ascii_lowercase();
    match lower.len() {
        1 => matches!(lower.as_str(), "x" | "i") && !rest.is_empty(),
        2 => {
            lower.chars().all(|c| c.is_ascii_lowercase())
                && ISO_639_1.split(' ').any(|c| c == lower)
        }
        3 => lower.chars().all(|c| c.is_ascii_lowercase()),
        5..=8 => lower.chars().all(|c| c.is_ascii_lowercase()),
        _ => false,
    }
}

/// 6.1.12 language, 6.1.15 translator, 6.1.28 translation.
fn language(doc: &CsafDocument, c: &mut Ctx) {
    let d = &doc.document;
    for (name, value) in [("lang", &d.lang), ("source_lang", &d.source_lang)] {
        if let Some(v) = value {
            if !valid_language_tag(v) {
                c.fail(
                    "6.1.12",
                    format!("{v:?} is not a valid language tag"),
                    format!("/document/{name}"),
                );
            }
        }
    }
    if d.publisher.category == "translator" && d.source_lang.is_none() {
        c.fail(
            "6.1.15",
            "publisher is a translator but /document/source_lang is missing",
            "/document/source_lang",
        );
    }
    if let (Some(l), Some(s)) = (&d.lang, &d.source_lang) {
        if l.eq_ignore_ascii_case(s) {
            c.fail(
                "6.1.28",
                format!("lang and source_lang are both {l:?}"),
                "/document/lang",
            );
        }
    }
}

/// Package URL syntax: `pkg:type/[namespace/]name[@version][?qualifiers][#subpath]`.
pub(crate) fn valid_purl(purl: &str) -> bool {
    let Some(rest) = purl.strip_prefix("pkg:") else {
        return false;
    };
    let rest = rest.trim_start_matches('/');
    let rest = rest.split('#').next().unwrap_or_default();
    let (rest, qualifiers) = match rest.split_once('?') {
        Some((r, q)) => (r, Some(q)),
        None => (rest, None),
    };
    if let Some(q) = qualifiers {
        if !q.split('&').all(|kv| {
            kv.split_once('=')
                .is_some_and(|(k, v)| !k.is_empty() && !v.is_empty())
        }) {
            return false;
        }
    }
    let Some((ty, path)) = rest.split_once('/') else {
        return false;
    };
    let ty_ok = ty.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && ty
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-'));
    // The version starts at the last '@' of the path (namespaces may not contain a raw '@').
    let name_part = match path.rsplit_once('@') {
        Some((n, v)) => {
            if v.is_empty() {
                return false;
            }
            n
        }
        None => path,
    };
    let name = name_part
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default();
    ty_ok && !name.is_empty()
}

/// 6.1.13 purl, 6.1.25 multiple use of the same hash algorithm.
fn purls_and_hashes(doc: &CsafDocument, c: &mut Ctx) {
    for (p, path) in doc.product_definitions() {
        let Some(h) = &p.product_identification_helper else {
            continue;
        };
        if let Some(purl) = &h.purl {
            if !valid_purl(purl) {
                c.fail(
                    "6.1.13",
                    format!("{purl:?} is not a valid package URL"),
                    format!("{path}/product_identification_helper/purl"),
                );
            }
        }
        for (i, hs) in h.hashes.iter().enumerate() {
            let mut algs = HashSet::new();
            for (j, fh) in hs.file_hashes.iter().enumerate() {
                if !algs.insert(fh.algorithm.to_ascii_lowercase()) {
                    c.fail(
                        "6.1.25",
                        format!(
                            "hash algorithm {:?} is used more than once for {:?}",
                            fh.algorithm, hs.filename
                        ),
                        format!("{path}/product_identification_helper/hashes/{i}/file_hashes/{j}"),
                    );
                }
            }
        }
    }
}

/// A document version: integer versioning or semantic versioning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DocVersion {
    Int(u64),
    Semver {
        major: u64,
        minor: u64,
        patch: u64,
        pre: Vec<String>,
    },
}

fn parse_num(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

pub(crate) fn parse_doc_version(s: &str) -> Option<DocVersion> {
    if let Some(n) = parse_num(s) {
        return Some(DocVersion::Int(n));
    }
    let core_pre = s.split('+').next().unwrap_or_default();
    let (core, pre) = match core_pre.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (core_pre, None),
    };
    let mut nums = core.split('.');
    let major = parse_num(nums.next()?)?;
    let minor = parse_num(nums.next()?)?;
    let patch = parse_num(nums.next()?)?;
    if nums.next().is_some() {
        return None;
    }
    let pre: Vec<String> = match pre {
        Some(p) => {
            let ids: Vec<String> = p.split('.').map(str::to_string).collect();
            if ids
                .iter()
                .any(|i| i.is_empty() || !i.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
            {
                return None;
            }
            ids
        }
        None => Vec::new(),
    };
    Some(DocVersion::Semver {
        major,
        minor,
        patch,
        pre,
    })
}

impl DocVersion {
    fn major(&self) -> u64 {
        match self {
            DocVersion::Int(n) => *n,
            DocVersion::Semver { major, .. } => *major,
        }
    }
    fn has_pre(&self) -> bool {
        matches!(self, DocVersion::Semver { pre, .. } if !pre.is_empty())
    }
    fn is_int(&self) -> bool {
        matches!(self, DocVersion::Int(_))
    }
    fn without_pre(&self) -> DocVersion {
        match self {
            DocVersion::Semver {
                major,
                minor,
                patch,
                ..
            } => DocVersion::Semver {
                major: *major,
                minor: *minor,
                patch: *patch,
                pre: vec![],
            },
            other => other.clone(),
        }
    }
}

fn cmp_pre(a: &[String], b: &[String]) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    for (x, y) in a.iter().zip(b) {
        let o = match (parse_num(x), parse_num(y)) {
            (Some(m), Some(n)) => m.cmp(&n),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => x.cmp(y),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

fn cmp_version(a: &DocVersion, b: &DocVersion) -> Ordering {
    match (a, b) {
        (DocVersion::Int(x), DocVersion::Int(y)) => x.cmp(y),
        (
            DocVersion::Semver {
                major: a1,
                minor: a2,
                patch: a3,
                pre: ap,
            },
            DocVersion::Semver {
                major: b1,
                minor: b2,
                patch: b3,
                pre: bp,
            },
        ) => (a1, a2, a3)
            .cmp(&(b1, b2, b3))
            .then_with(|| cmp_pre(ap, bp)),
        _ => a.major().cmp(&b.major()),
    }
}

/// RFC 3339 date-time → nanoseconds since the Unix epoch (UTC), for ordering.
pub(crate) fn parse_datetime(s: &str) -> Option<i128> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    if b.len() < 19
        || b.get(4) != Some(&b'-')
        || b.get(7) != Some(&b'-')
        || !matches!(b.get(10), Some(b'T' | b't' | b' '))
    {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    let mut nanos: i128 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let frac = s.get(start..i)?;
        if frac.is_empty() {
            return None;
        }
        let digits: String = frac.chars().chain(std::iter::repeat('0')).take(9).collect();
        nanos = digits.parse().ok()?;
    }
    let offset_secs: i64 = match b.get(i) {
        Some(b'Z' | b'z') if b.len() == i + 1 => 0,
        Some(sign @ (b'+' | b'-')) if b.len() == i + 6 && b.get(i + 3) == Some(&b':') => {
            let oh = num(i + 1..i + 3)?;
            let om = num(i + 4..i + 6)?;
            let off = oh * 3600 + om * 60;
            if *sign == b'+' {
                off
            } else {
                -off
            }
        }
        _ => return None,
    };
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec - offset_secs;
    Some(secs as i128 * 1_000_000_000 + nanos)
}

/// 6.1.14, 6.1.16–6.1.22, 6.1.30: tracking version and revision history.
fn revisions(doc: &CsafDocument, c: &mut Ctx) {
    let t = &doc.document.tracking;
    let status = t.status.as_str();
    let released = status == "final" || status == "interim";
    let version = parse_doc_version(&t.version);
    let items: Vec<(usize, Option<DocVersion>, Option<i128>)> = t
        .revision_history
        .iter()
        .enumerate()
        .map(|(i, r)| (i, parse_doc_version(&r.number), parse_datetime(&r.date)))
        .collect();
    let rh = "/document/tracking/revision_history";

    // 6.1.30 mixed integer and semantic versioning.
    let mut kinds = items
        .iter()
        .filter_map(|(_, v, _)| v.as_ref().map(DocVersion::is_int))
        .chain(version.as_ref().map(DocVersion::is_int));
    if let Some(first) = kinds.next() {
        if kinds.any(|k| k != first) {
            c.fail(
                "6.1.30",
                "the document version and revision history mix integer and semantic versioning",
                "/document/tracking/version",
            );
            // The ordering tests below make no sense across schemes.
            return;
        }
    }

    // 6.1.14 sorted revision history: ordered by date, numbers must ascend.
    if items.iter().all(|(_, v, d)| v.is_some() && d.is_some()) {
        let mut by_date: Vec<&(usize, Option<DocVersion>, Option<i128>)> = items.iter().collect();
        // Items with the same timestamp may come in any order: tie-break by number.
        by_date.sort_by(|a, b| {
            a.2.cmp(&b.2).then_with(|| match (&a.1, &b.1) {
                (Some(x), Some(y)) => cmp_version(x, y),
                _ => Ordering::Equal,
            })
        });
        for w in by_date.windows(2) {
            if let [(_, Some(a), _), (i, Some(b), _)] = w {
                if cmp_version(b, a) == Ordering::Less {
                    c.fail(
                        "6.1.14",
                        "revision history numbers do not ascend with their dates",
                        format!("{rh}/{i}/number"),
                    );
                    break;
                }
            }
        }
    }

    let mut sorted: Vec<(usize, &DocVersion)> = items
        .iter()
        .filter_map(|(i, v, _)| v.as_ref().map(|v| (*i, v)))
        .collect();
    sorted.sort_by(|a, b| cmp_version(a.1, b.1));

    // 6.1.16 latest document version.
    if let (Some(v), Some((_, last))) = (&version, sorted.last()) {
        let (v, last) = if status == "draft" {
            (v.without_pre(), last.without_pre())
        } else {
            (v.clone(), (*last).clone())
        };
        if v != last {
            c.fail(
                "6.1.16",
                format!(
                    "document version {:?} is not the latest revision number",
                    t.version
                ),
                "/document/tracking/version",
            );
        }
    }
    if let Some(v) = &version {
        // 6.1.17 document status draft.
        if (v.major() == 0 || v.has_pre()) && status != "draft" {
            c.fail(
                "6.1.17",
                format!(
                    "version {:?} requires status draft, found {status:?}",
                    t.version
                ),
                "/document/tracking/status",
            );
        }
        // 6.1.20 non-draft document version.
        if released && v.has_pre() {
            c.fail(
                "6.1.20",
                format!(
                    "a {status} document must not have the pre-release version {:?}",
                    t.version
                ),
                "/document/tracking/version",
            );
        }
    }
    for (i, v) in &sorted {
        // 6.1.18 released revision history.
        if released && v.major() == 0 {
            c.fail(
                "6.1.18",
                format!("a {status} document has a revision with version 0 / 0.y.z"),
                format!("{rh}/{i}/number"),
            );
        }
        // 6.1.19 revision history entries for pre-release versions.
        if v.has_pre() {
            c.fail(
                "6.1.19",
                "revision history contains a pre-release version",
                format!("{rh}/{i}/number"),
            );
        }
    }
    // 6.1.21 missing item: majors start at 0 or 1 and never skip.
    if let Some((i, first)) = sorted.first() {
        if first.major() > 1 {
            c.fail(
                "6.1.21",
                "the first revision is not version 0 or 1",
                format!("{rh}/{i}/number"),
            );
        }
    }
    for w in sorted.windows(2) {
        if let [(_, a), (i, b)] = w {
            if b.major() > a.major().saturating_add(1) {
                c.fail(
                    "6.1.21",
                    format!(
                        "revision history skips from major version {} to {}",
                        a.major(),
                        b.major()
                    ),
                    format!("{rh}/{i}/number"),
                );
            }
        }
    }
    // 6.1.22 multiple definition in revision history.
    let mut numbers = HashSet::new();
    for (i, r) in t.revision_history.iter().enumerate() {
        if !numbers.insert(r.number.as_str()) {
            c.fail(
                "6.1.22",
                format!("revision number {:?} appears more than once", r.number),
                format!("{rh}/{i}/number"),
            );
        }
    }
}

/// 6.1.23 CVE used twice, 6.1.24 involvements, 6.1.29 remediation and 6.1.32 flag without product,
/// 6.1.33 several VEX justifications for one product.
fn vulnerabilities(doc: &CsafDocument, c: &mut Ctx) {
    let groups = group_map(doc);
    let mut cves: HashMap<&str, usize> = HashMap::new();
    for (i, v) in doc.vulnerabilities.iter().enumerate() {
        let base = format!("/vulnerabilities/{i}");
        if let Some(cve) = &v.cve {
            if let Some(first) = cves.get(cve.as_str()) {
                c.fail(
                    "6.1.23",
                    format!("{cve} is already used by /vulnerabilities/{first}"),
                    format!("{base}/cve"),
                );
            } else {
                cves.insert(cve, i);
            }
        }
        let mut inv = HashSet::new();
        for (j, x) in v.involvements.iter().enumerate() {
            let date = x.date.as_deref().map(|d| {
                parse_datetime(d)
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| d.to_string())
            });
            if !inv.insert((x.party.as_str(), date)) {
                c.fail(
                    "6.1.24",
                    format!(
                        "involvement of {:?} at the same date is given twice",
                        x.party
                    ),
                    format!("{base}/involvements/{j}"),
                );
            }
        }
        for (j, r) in v.remediations.iter().enumerate() {
            if r.product_ids.is_empty() && r.group_ids.is_empty() {
                c.fail(
                    "6.1.29",
                    "remediation names neither product_ids nor group_ids",
                    format!("{base}/remediations/{j}"),
                );
            }
        }
        let mut flagged: HashMap<&str, usize> = HashMap::new();
        for (j, f) in v.flags.iter().enumerate() {
            if f.product_ids.is_empty() && f.group_ids.is_empty() {
                c.fail(
                    "6.1.32",
                    "flag names neither product_ids nor group_ids",
                    format!("{base}/flags/{j}"),
                );
            }
            for p in expand(&f.product_ids, &f.group_ids, &groups) {
                if let Some(first) = flagged.get(p) {
                    c.fail(
                        "6.1.33",
                        format!("product {p:?} already has a flag at {base}/flags/{first}"),
                        format!("{base}/flags/{j}"),
                    );
                } else {
                    flagged.insert(p, j);
                }
            }
        }
    }
}

/// 6.1.26 prohibited document category name.
fn category(doc: &CsafDocument, c: &mut Ctx) {
    let cat = doc.document.category.as_str();
    if cat.is_empty() || PROFILES.contains(&cat) {
        return;
    }
    if cat.to_ascii_lowercase().starts_with("csaf_") {
        c.fail(
            "6.1.26",
            format!("category {cat:?} uses the reserved prefix csaf_"),
            "/document/category",
        );
        return;
    }
    let norm: String = cat
        .chars()
        .filter(|ch| !matches!(ch, '-' | '_') && !ch.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    let names = [
        "securityincidentresponse",
        "informationaladvisory",
        "securityadvisory",
        "vex",
    ];
    let bare = norm.strip_prefix("csaf").unwrap_or(&norm);
    if names.contains(&bare) {
        c.fail(
            "6.1.26",
            format!("category {cat:?} is the name of a CSAF profile"),
            "/document/category",
        );
    }
}

/// 6.1.27.x profile tests.
fn profiles(doc: &CsafDocument, c: &mut Ctx) {
    let cat = doc.document.category.as_str();
    let d = &doc.document;
    let sir_or_info = matches!(
        cat,
        "csaf_security_incident_response" | "csaf_informational_advisory"
    );
    let adv_or_vex = matches!(cat, "csaf_security_advisory" | "csaf_vex");
    let vex = cat == "csaf_vex";
    if sir_or_info {
        if !d.notes.iter().any(|n| {
            matches!(
                n.category.as_str(),
                "description" | "details" | "general" | "summary"
            )
        }) {
            c.fail("6.1.27.1", "the profile needs a document note of category description, details, general or summary", "/document/notes");
        }
        if !d
            .references
            .iter()
            .any(|r| r.category.as_deref() == Some("external"))
        {
            c.fail(
                "6.1.27.2",
                "the profile needs an external document reference",
                "/document/references",
            );
        }
    }
    if cat == "csaf_informational_advisory" && !doc.vulnerabilities.is_empty() {
        c.fail(
            "6.1.27.3",
            "an informational advisory must not have vulnerabilities",
            "/vulnerabilities",
        );
    }
    if !adv_or_vex {
        return;
    }
    if doc.product_tree.is_none() {
        c.fail(
            "6.1.27.4",
            "the profile needs a product tree",
            "/product_tree",
        );
    }
    if doc.vulnerabilities.is_empty() {
        c.fail(
            "6.1.27.11",
            "the profile needs vulnerabilities",
            "/vulnerabilities",
        );
    }
    let groups = group_map(doc);
    for (i, v) in doc.vulnerabilities.iter().enumerate() {
        let base = format!("/vulnerabilities/{i}");
        if v.notes.is_empty() {
            c.fail(
                "6.1.27.5",
                "the vulnerability needs notes",
                format!("{base}/notes"),
            );
        }
        if cat == "csaf_security_advisory" && v.product_status.is_none() {
            c.fail(
                "6.1.27.6",
                "the vulnerability needs a product status",
                format!("{base}/product_status"),
            );
        }
        if !vex {
            continue;
        }
        let empty = super::ProductStatus::default();
        let ps = v.product_status.as_ref().unwrap_or(&empty);
        if ps.fixed.is_empty()
            && ps.known_affected.is_empty()
            && ps.known_not_affected.is_empty()
            && ps.under_investigation.is_empty()
        {
            c.fail("6.1.27.7", "a VEX product status needs fixed, known_affected, known_not_affected or under_investigation", format!("{base}/product_status"));
        }
        if v.cve.is_none() && v.ids.is_empty() {
            c.fail(
                "6.1.27.8",
                "a VEX vulnerability needs a cve or ids",
                base.clone(),
            );
        }
        let mut impact: HashSet<&str> = HashSet::new();
        for f in &v.flags {
            impact.extend(expand(&f.product_ids, &f.group_ids, &groups));
        }
        for t in v.threats.iter().filter(|t| t.category == "impact") {
            impact.extend(expand(&t.product_ids, &t.group_ids, &groups));
        }
        for (j, p) in ps.known_not_affected.iter().enumerate() {
            if !impact.contains(p.as_str()) {
                c.fail(
                    "6.1.27.9",
                    format!("known_not_affected product {p:?} has no impact statement"),
                    format!("{base}/product_status/known_not_affected/{j}"),
                );
            }
        }
        let mut action: HashSet<&str> = HashSet::new();
        for r in &v.remediations {
            action.extend(expand(&r.product_ids, &r.group_ids, &groups));
        }
        for (j, p) in ps.known_affected.iter().enumerate() {
            if !action.contains(p.as_str()) {
                c.fail(
                    "6.1.27.10",
                    format!("known_affected product {p:?} has no action statement"),
                    format!("{base}/product_status/known_affected/{j}"),
                );
            }
        }
    }
}

/// 6.1.31 version range in product version.
fn version_ranges(doc: &CsafDocument, c: &mut Ctx) {
    let mut hits = Vec::new();
    doc.walk_branches(|b, path, _| {
        if b.category == "product_version" && is_version_range(&b.name) {
            hits.push((b.name.clone(), path.to_string()));
        }
    });
    for (name, path) in hits {
        c.fail(
            "6.1.31",
            format!(
                "product_version {name:?} is a version range; it should be a product_version_range"
            ),
            format!("{path}/name"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_compare_across_offsets() {
        let a = parse_datetime("2021-07-21T10:00:00.000Z").unwrap();
        let b = parse_datetime("2021-07-21T11:00:00+01:00").unwrap();
        assert_eq!(a, b);
        assert!(parse_datetime("2021-07-21T10:00:00.5Z").unwrap() > a);
        assert_eq!(parse_datetime("1970-01-01T00:00:00Z"), Some(0));
        assert!(parse_datetime("2021-13-01T00:00:00Z").is_none());
        assert!(parse_datetime("garbage").is_none());
    }

    #[test]
    fn doc_versions() {
        assert_eq!(parse_doc_version("2"), Some(DocVersion::Int(2)));
        assert!(parse_doc_version("01").is_none());
        let v = parse_doc_version("1.0.0-rc.1+b5").unwrap();
        assert!(v.has_pre());
        assert_eq!(
            cmp_version(&v, &parse_doc_version("1.0.0").unwrap()),
            Ordering::Less
        );
        assert_eq!(
            cmp_version(&parse_doc_version("1.0.0-alpha").unwrap(), &v),
            Ordering::Less
        );
    }

    #[test]
    fn language_tags_and_purls() {
        assert!(valid_language_tag("en-US"));
        assert!(valid_language_tag("ja"));
        assert!(valid_language_tag("de-CH-1996"));
        assert!(!valid_language_tag("EZ"));
        assert!(!valid_language_tag("en_US"));
        assert!(valid_purl("pkg:maven/org.apache/log4j@2.17.1?type=jar"));
        assert!(valid_purl("pkg:npm/%40angular/core@1.0"));
        assert!(!valid_purl("pkg:maven/@1.3.4"));
        assert!(!valid_purl("maven/x"));
    }
}
