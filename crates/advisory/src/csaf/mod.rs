//! CSAF 2.0 (<https://docs.oasis-open.org/csaf/csaf/v2.0/csaf-v2.0.html>) including the VEX profile.
//!
//! [`parse_csaf`] reads a document leniently: JSON syntax and type errors reject it, everything the
//! OASIS mandatory tests (section 6.1) find becomes a [`Diagnostic`] with code `csaf-6.1.N`.
//! [`CsafDocument::products`] flattens the product tree into one [`ProductEntry`] per product id.

mod checks;
pub mod model;

pub use model::*;

use crate::{push_diag, MAX_BRANCH_DEPTH, MAX_DOCUMENT_BYTES, MAX_JSON_DEPTH, MAX_PRODUCTS};
use mdsec_format_core::{check_size, strip_bom, Diagnostic, FormatError, Position};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A CSAF 2.0 document and the diagnostics found while reading it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CsafDocument {
    pub document: DocumentMeta,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_tree: Option<ProductTree>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub vulnerabilities: Vec<Vulnerability>,
    /// Spec violations (schema omissions and OASIS mandatory tests); not part of the CSAF data.
    #[serde(skip)]
    pub diagnostics: Vec<Diagnostic>,
}

/// The CSAF profiles (`/document/category` values with a meaning).
pub const PROFILES: &[&str] = &[
    "csaf_base",
    "csaf_security_incident_response",
    "csaf_informational_advisory",
    "csaf_security_advisory",
    "csaf_vex",
];

/// One product id of the product tree, with what its branch path says about it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ProductEntry {
    pub product_id: String,
    /// Name of the nearest enclosing `vendor` branch.
    pub vendor: Option<String>,
    /// Name of the nearest enclosing `product_name` branch, else the full product name.
    pub product: String,
    /// A single version (`product_version` branch that is not a range).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// A `product_version_range` branch, or a `product_version` branch that holds a range
    /// (a CSAF 6.1.31 violation real publishers make, e.g. `vers:all/*`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_range: Option<String>,
    pub full_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpe: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub model_numbers: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skus: Vec<String>,
}

/// The short JSON summary of a CSAF document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CsafSummary {
    pub tracking_id: String,
    pub title: String,
    pub category: String,
    pub cves: Vec<String>,
    pub products: Vec<ProductEntry>,
    pub diagnostics: usize,
}

/// Parse a CSAF 2.0 document. `name` names the document in errors.
pub fn parse_csaf(name: &str, bytes: &[u8]) -> Result<CsafDocument, FormatError> {
    let inner = || -> Result<CsafDocument, FormatError> {
        check_size(bytes.len(), MAX_DOCUMENT_BYTES, "CSAF document")?;
        let bytes = strip_bom(bytes);
        crate::check_json_depth_fast(bytes, MAX_JSON_DEPTH)?;
        let mut doc: CsafDocument =
            serde_json::from_slice(bytes).map_err(|e| FormatError::from_json(&e))?;
        if doc.document.csaf_version.is_empty() && doc.document.category.is_empty() {
            return Err(FormatError::new(
                "not a CSAF document: /document/csaf_version and /document/category are missing",
                Position::path("/document"),
            ));
        }
        let count = doc.product_count();
        if count > MAX_PRODUCTS {
            return Err(FormatError::new(
                format!("{count} product definitions, over the limit of {MAX_PRODUCTS}"),
                Position::path("/product_tree"),
            ));
        }
        let mut diags = Vec::new();
        schema_checks(&doc, &mut diags);
        checks::mandatory(&doc, &mut diags);
        doc.diagnostics = diags;
        Ok(doc)
    };
    inner().map_err(|e| e.in_file(name))
}

/// Required properties the typed model defaults rather than rejects.
fn schema_checks(doc: &CsafDocument, diags: &mut Vec<Diagnostic>) {
    let d = &doc.document;
    let mut missing = |ok: bool, path: &str| {
        if !ok {
            push_diag(
                diags,
                Diagnostic::error(
                    "csaf-schema",
                    format!("required property {path} is missing or empty"),
                    Position::path(path),
                ),
            );
        }
    };
    missing(d.csaf_version == "2.0", "/document/csaf_version");
    missing(!d.category.is_empty(), "/document/category");
    missing(!d.title.is_empty(), "/document/title");
    missing(!d.publisher.name.is_empty(), "/document/publisher/name");
    missing(
        !d.publisher.namespace.is_empty(),
        "/document/publisher/namespace",
    );
    missing(!d.tracking.id.is_empty(), "/document/tracking/id");
    missing(!d.tracking.version.is_empty(), "/document/tracking/version");
    missing(!d.tracking.status.is_empty(), "/document/tracking/status");
    missing(
        !d.tracking.revision_history.is_empty(),
        "/document/tracking/revision_history",
    );
    missing(
        !d.tracking.initial_release_date.is_empty(),
        "/document/tracking/initial_release_date",
    );
    missing(
        !d.tracking.current_release_date.is_empty(),
        "/document/tracking/current_release_date",
    );
}

/// Context inherited down a branch path.
#[derive(Debug, Clone, Default)]
struct BranchCtx<'a> {
    vendor: Option<&'a str>,
    product_name: Option<&'a str>,
    version: Option<&'a str>,
    version_range: Option<&'a str>,
}

/// True when a `product_version` value expresses a range (the words and operators CSAF 6.1.31 lists,
/// or a `vers:` URI).
pub fn is_version_range(value: &str) -> bool {
    let v = value.trim();
    if v.starts_with("vers:") || v.contains('<') || v.contains('>') {
        return true;
    }
    // Whole words only: `after-eight` is a version name, `after 4.2` is a range.
    v.split_whitespace().any(|w| {
        let w = w.to_ascii_lowercase();
        matches!(
            w.as_str(),
            "after" | "all" | "before" | "earlier" | "later" | "prior" | "versions"
        )
    })
}

impl CsafDocument {
    /// Visit every branch with its JSON pointer and depth (0 = top level), breadth-bounded by the
    /// document and depth-bounded by [`MAX_BRANCH_DEPTH`]; deeper branches are reported, not walked.
    fn walk_branches<'a>(
        &'a self,
        mut f: impl FnMut(&'a Branch, &str, &BranchCtx<'a>),
    ) -> Option<String> {
        let tree = self.product_tree.as_ref()?;
        let mut too_deep = None;
        let mut stack: Vec<(&Branch, String, usize, BranchCtx<'a>)> = tree
            .branches
            .iter()
            .enumerate()
            .rev()
            .map(|(i, b)| {
                (
                    b,
                    format!("/product_tree/branches/{i}"),
                    0usize,
                    BranchCtx::default(),
                )
            })
            .collect();
        while let Some((b, path, depth, ctx)) = stack.pop() {
            let mut ctx = ctx;
            match b.category.as_str() {
                "vendor" => ctx.vendor = Some(&b.name),
                "product_name" => ctx.product_name = Some(&b.name),
                "product_version" => ctx.version = Some(&b.name),
                "product_version_range" => ctx.version_range = Some(&b.name),
                _ => {}
            }
            f(b, &path, &ctx);
            if !b.branches.is_empty() {
                if depth + 1 >= MAX_BRANCH_DEPTH {
                    too_deep.get_or_insert(path.clone());
                    continue;
                }
                for (i, child) in b.branches.iter().enumerate().rev() {
                    stack.push((
                        child,
                        format!("{path}/branches/{i}"),
                        depth + 1,
                        ctx.clone(),
                    ));
                }
            }
        }
        too_deep
    }

    fn product_count(&self) -> usize {
        let Some(tree) = &self.product_tree else {
            return 0;
        };
        let mut n = tree.full_product_names.len() + tree.relationships.len();
        self.walk_branches(|b, _, _| n += usize::from(b.product.is_some()));
        n
    }

    /// Every product definition: (full product name, JSON pointer of its object).
    pub fn product_definitions(&self) -> Vec<(&FullProductName, String)> {
        let mut out = Vec::new();
        self.walk_branches(|b, path, _| {
            if let Some(p) = &b.product {
                out.push((p, format!("{path}/product")));
            }
        });
        if let Some(tree) = &self.product_tree {
            for (i, p) in tree.full_product_names.iter().enumerate() {
                out.push((p, format!("/product_tree/full_product_names/{i}")));
            }
            for (i, r) in tree.relationships.iter().enumerate() {
                out.push((
                    &r.full_product_name,
                    format!("/product_tree/relationships/{i}/full_product_name"),
                ));
            }
        }
        out
    }

    /// Flattened product view: one entry per product definition, in document order (branches, then
    /// full product names, then relationships). A relationship's entry takes vendor, product and
    /// version of the component it names (`product_reference`).
    pub fn products(&self) -> Vec<ProductEntry> {
        let mut out: Vec<ProductEntry> = Vec::new();
        self.walk_branches(|b, _, ctx| {
            if let Some(p) = &b.product {
                let (version, version_range) = match (ctx.version, ctx.version_range) {
                    (_, Some(r)) => (None, Some(r.to_string())),
                    (Some(v), None) if is_version_range(v) => (None, Some(v.to_string())),
                    (Some(v), None) => (Some(v.to_string()), None),
                    (None, None) => (None, None),
                };
                out.push(entry(
                    p,
                    ctx.vendor.map(str::to_string),
                    ctx.product_name.unwrap_or(&p.name).to_string(),
                    version,
                    version_range,
                ));
            }
        });
        let Some(tree) = &self.product_tree else {
            return out;
        };
        for p in &tree.full_product_names {
            out.push(entry(p, None, p.name.clone(), None, None));
        }
        let by_id: HashMap<&str, usize> = out
            .iter()
            .enumerate()
            .map(|(i, e)| (e.product_id.as_str(), i))
            .collect();
        let mut rels = Vec::with_capacity(tree.relationships.len());
        for r in &tree.relationships {
            let p = &r.full_product_name;
            let e = match by_id
                .get(r.product_reference.as_str())
                .and_then(|&i| out.get(i))
            {
                Some(c) => entry(
                    p,
                    c.vendor.clone(),
                    c.product.clone(),
                    c.version.clone(),
                    c.version_range.clone(),
                ),
                None => entry(p, None, p.name.clone(), None, None),
            };
            rels.push(e);
        }
        out.extend(rels);
        out
    }

    /// CVE ids of all vulnerabilities, in order.
    pub fn cves(&self) -> Vec<String> {
        self.vulnerabilities
            .iter()
            .filter_map(|v| v.cve.clone())
            .collect()
    }

    /// CSAF 6.1.11: each `cwe.name` must be the catalogue name of its `cwe.id`. We ship no CWE
    /// catalogue, so the caller supplies the lookup (id → name); ids it does not know are reported too.
    pub fn check_cwe<'c>(&self, catalogue: impl Fn(&str) -> Option<&'c str>) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for (i, v) in self.vulnerabilities.iter().enumerate() {
            let Some(cwe) = &v.cwe else { continue };
            let message = match catalogue(&cwe.id) {
                Some(name) if name == cwe.name => continue,
                Some(name) => format!(
                    "{} is named {name:?} in the CWE catalogue, not {:?}",
                    cwe.id, cwe.name
                ),
                None => format!("{} is not in the CWE catalogue", cwe.id),
            };
            push_diag(
                &mut out,
                Diagnostic::error(
                    "csaf-6.1.11",
                    message,
                    Position::path(format!("/vulnerabilities/{i}/cwe")),
                ),
            );
        }
        out
    }

    pub fn is_vex(&self) -> bool {
        self.document.category == "csaf_vex"
    }

    pub fn summary(&self) -> CsafSummary {
        CsafSummary {
            tracking_id: self.document.tracking.id.clone(),
            title: self.document.title.clone(),
            category: self.document.category.clone(),
            cves: self.cves(),
            products: self.products(),
            diagnostics: self.diagnostics.len(),
        }
    }
}

fn entry(
    p: &FullProductName,
    vendor: Option<String>,
    product: String,
    version: Option<String>,
    version_range: Option<String>,
) -> ProductEntry {
    let h = p.product_identification_helper.as_ref();
    ProductEntry {
        product_id: p.product_id.clone(),
        vendor,
        product,
        version,
        version_range,
        full_name: p.name.clone(),
        cpe: h.and_then(|h| h.cpe.clone()),
        purl: h.and_then(|h| h.purl.clone()),
        model_numbers: h.map(|h| h.model_numbers.clone()).unwrap_or_default(),
        skus: h.map(|h| h.skus.clone()).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(tree: &str, vulns: &str) -> String {
        format!(
            r#"{{"document":{{"category":"csaf_base","csaf_version":"2.0","title":"t",
            "publisher":{{"category":"vendor","name":"n","namespace":"https://example.com"}},
            "tracking":{{"id":"X-1","status":"final","version":"1","initial_release_date":"2024-01-01T00:00:00Z",
            "current_release_date":"2024-01-01T00:00:00Z",
            "revision_history":[{{"date":"2024-01-01T00:00:00Z","number":"1","summary":"s"}}]}}}},
            "product_tree":{tree},"vulnerabilities":{vulns}}}"#
        )
    }

    #[test]
    fn flattens_branches_and_relationships() {
        let tree = r#"{"branches":[{"category":"vendor","name":"V","branches":[{"category":"product_name","name":"P",
            "branches":[{"category":"product_version","name":"1.0","product":{"name":"V P 1.0","product_id":"A",
              "product_identification_helper":{"cpe":"cpe:2.3:h:v:p:1.0:*:*:*:*:*:*:*","model_numbers":["M1"],"skus":["S"]}}},
            {"category":"product_version_range","name":"vers:generic/<2","product":{"name":"V P <2","product_id":"B"}}]}]}],
            "full_product_names":[{"name":"Platform","product_id":"C"}],
            "relationships":[{"category":"installed_on","product_reference":"A","relates_to_product_reference":"C",
              "full_product_name":{"name":"V P 1.0 on Platform","product_id":"D"}}]}"#;
        let d = parse_csaf("t.json", doc(tree, "[]").as_bytes()).unwrap();
        assert!(d.diagnostics.is_empty(), "{:?}", d.diagnostics);
        let p = d.products();
        assert_eq!(p.len(), 4);
        assert_eq!(
            (
                p[0].vendor.as_deref(),
                p[0].product.as_str(),
                p[0].version.as_deref()
            ),
            (Some("V"), "P", Some("1.0"))
        );
        assert_eq!(p[0].model_numbers, ["M1"]);
        assert_eq!(p[1].version_range.as_deref(), Some("vers:generic/<2"));
        assert_eq!(
            (p[2].vendor.as_deref(), p[2].product.as_str()),
            (None, "Platform")
        );
        assert_eq!(
            (
                p[3].product_id.as_str(),
                p[3].version.as_deref(),
                p[3].full_name.as_str()
            ),
            ("D", Some("1.0"), "V P 1.0 on Platform")
        );
    }

    #[test]
    fn rejects_with_position() {
        let e = parse_csaf("x.json", b"{\"document\": {\"title\": 5}}").unwrap_err();
        assert_eq!(e.position.line, Some(1));
        assert!(e.to_string().starts_with("x.json: "));
        let e = parse_csaf("x.json", b"{\"a\": 1,\n}").unwrap_err();
        assert_eq!(
            (e.position.line, e.position.column),
            (Some(2), Some(1)),
            "{e}"
        );
        assert!(parse_csaf("x.json", b"{}")
            .unwrap_err()
            .message
            .contains("not a CSAF document"));
    }

    #[test]
    fn deep_branches_are_bounded() {
        // Nest product_name branches just under the JSON depth limit: parse must not blow the stack.
        let mut tree = String::from(
            r#"{"category":"product_version","name":"1","product":{"name":"x","product_id":"P"}}"#,
        );
        for _ in 0..29 {
            tree = format!(r#"{{"category":"product_family","name":"f","branches":[{tree}]}}"#);
        }
        let d = doc(&format!(r#"{{"branches":[{tree}]}}"#), "[]");
        match parse_csaf("t", d.as_bytes()) {
            Ok(doc) => assert!(doc.products().len() <= 1),
            Err(e) => assert!(e.message.contains("nested"), "{e}"),
        }
    }

    #[test]
    fn version_ranges() {
        assert!(is_version_range("vers:all/*"));
        assert!(is_version_range("prior to 4.2"));
        assert!(is_version_range("<=4.1"));
        assert!(is_version_range("All Versions"));
        assert!(!is_version_range("4.2.1"));
        assert!(!is_version_range("R4.1L1"));
        assert!(!is_version_range("after-eight"));
    }
}
