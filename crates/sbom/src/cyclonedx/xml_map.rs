//! CycloneDX XML element tree → the JSON-shaped [`raw`] structs. XML-only rules live here:
//! the namespace names the version, unknown elements in the CycloneDX namespace and repeated
//! single-valued elements are diagnostics. Elements of other namespaces are extensions and skipped.

use super::raw::{self, Opaque};
use crate::xml::Element;
use crate::{Diags, FormatError};

const NS_PREFIX: &str = "http://cyclonedx.org/schema/bom/";
const CODE: &str = "cyclonedx-schema";

struct Mapper<'a> {
    diags: &'a mut Diags,
    /// The document's CycloneDX namespace, to tell extensions apart.
    ns: String,
}

pub(super) fn map(root: &Element, diags: &mut Diags) -> Result<(raw::Bom, String), FormatError> {
    if root.local_name() != "bom" {
        return Err(FormatError::new(
            format!("root element is <{}>, expected <bom>", root.name),
            root.pos(),
        ));
    }
    let ns_attr = match root.prefix() {
        Some(p) => format!("xmlns:{p}"),
        None => "xmlns".to_string(),
    };
    let ns = root.attr(&ns_attr).unwrap_or_default().to_string();
    let spec = match ns.strip_prefix(NS_PREFIX).and_then(super::minor_str) {
        Some(v) => v,
        None => {
            diags.push(
                CODE,
                format!("`{ns}` is not a CycloneDX 1.2-1.7 namespace"),
                root.pos(),
            );
            String::new()
        }
    };
    let mut m = Mapper { diags, ns };
    let bom = m.bom(root);
    Ok((bom, spec))
}

fn text(el: &Element) -> String {
    el.text.trim().to_string()
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

impl Mapper<'_> {
    fn foreign(&self, el: &Element) -> bool {
        el.prefix().is_some() || el.attr("xmlns").is_some_and(|ns| ns != self.ns)
    }

    /// Report children that the schema does not define and repeated single-valued children.
    fn check(&mut self, el: &Element, known: &[&str], single: &[&str]) {
        let mut seen: Vec<&str> = Vec::new();
        for c in &el.children {
            if self.foreign(c) {
                continue;
            }
            let name = c.local_name();
            if !known.contains(&name) {
                self.diags.push(
                    CODE,
                    format!("unknown element <{name}> in <{}>", el.local_name()),
                    c.pos(),
                );
            } else if single.contains(&name) {
                if seen.contains(&name) {
                    self.diags.push(
                        CODE,
                        format!("<{name}> may appear only once in <{}>", el.local_name()),
                        c.pos(),
                    );
                } else {
                    seen.push(name);
                }
            }
        }
    }

    fn child<'e>(&self, el: &'e Element, name: &str) -> Option<&'e Element> {
        el.children
            .iter()
            .find(|c| c.local_name() == name && !self.foreign(c))
    }

    fn all<'e>(&self, el: &'e Element, name: &'e str) -> impl Iterator<Item = &'e Element> + 'e {
        let ns = self.ns.clone();
        el.children.iter().filter(move |c| {
            c.local_name() == name
                && c.prefix().is_none()
                && c.attr("xmlns").is_none_or(|n| n == ns)
        })
    }

    fn s(&self, el: &Element, name: &str) -> Option<String> {
        self.child(el, name).map(text)
    }

    fn b(&mut self, el: &Element, name: &str) -> Option<bool> {
        let c = self.child(el, name)?;
        let v = parse_bool(&c.text);
        if v.is_none() {
            self.diags
                .push(CODE, format!("<{name}> must be true or false"), c.pos());
        }
        v
    }

    fn opaque(&self, el: &Element, name: &str) -> Option<Opaque> {
        self.child(el, name).map(|_| Opaque)
    }

    fn list<T>(
        &mut self,
        el: &Element,
        wrapper: &str,
        item: &str,
        f: impl Fn(&mut Self, &Element) -> T,
    ) -> Option<Vec<T>> {
        let w = self.child(el, wrapper)?;
        self.check(w, &[item], &[]);
        Some(self.all(w, item).map(|c| f(self, c)).collect())
    }

    fn bom(&mut self, el: &Element) -> raw::Bom {
        self.check(
            el,
            &[
                "metadata",
                "components",
                "services",
                "externalReferences",
                "dependencies",
                "compositions",
                "properties",
                "vulnerabilities",
                "annotations",
                "formulation",
                "declarations",
                "definitions",
                "citations",
            ],
            &[
                "metadata",
                "components",
                "services",
                "externalReferences",
                "dependencies",
                "compositions",
                "properties",
                "vulnerabilities",
                "annotations",
                "formulation",
                "declarations",
                "definitions",
                "citations",
            ],
        );
        let version = el.attr("version").map(|v| match v.trim().parse::<i64>() {
            Ok(n) => n,
            Err(_) => {
                self.diags
                    .push(CODE, format!("version `{v}` is not an integer"), el.pos());
                1
            }
        });
        raw::Bom {
            serial_number: el.attr("serialNumber").map(str::to_string),
            version,
            metadata: self.child(el, "metadata").map(|m| self.metadata(m)),
            components: self.list(el, "components", "component", Self::component),
            services: self.list(el, "services", "service", Self::service),
            external_references: self.list(
                el,
                "externalReferences",
                "reference",
                Self::external_ref,
            ),
            dependencies: self.dependencies(el),
            properties: self.list(el, "properties", "property", Self::property),
            vulnerabilities: self.list(el, "vulnerabilities", "vulnerability", Self::vulnerability),
            citations: self.list(el, "citations", "citation", Self::citation),
            ..Default::default()
        }
    }

    fn metadata(&mut self, el: &Element) -> raw::Metadata {
        let known = [
            "timestamp",
            "lifecycles",
            "tools",
            "authors",
            "component",
            "manufacture",
            "manufacturer",
            "supplier",
            "licenses",
            "properties",
            "distributionConstraints",
        ];
        self.check(el, &known, &known);
        raw::Metadata {
            line: Some(el.line),
            timestamp: self.s(el, "timestamp"),
            lifecycles: self.opaque(el, "lifecycles"),
            tools: self.child(el, "tools").map(|t| self.tools(t)),
            authors: self.list(el, "authors", "author", Self::contact),
            component: self
                .child(el, "component")
                .map(|c| Box::new(self.component(c))),
            manufacture: self.child(el, "manufacture").map(|e| self.entity(e)),
            manufacturer: self.child(el, "manufacturer").map(|e| self.entity(e)),
            supplier: self.child(el, "supplier").map(|e| self.entity(e)),
            licenses: self.child(el, "licenses").map(|l| self.licenses(l)),
            properties: self.list(el, "properties", "property", Self::property),
            distribution_constraints: self.opaque(el, "distributionConstraints"),
        }
    }

    fn tools(&mut self, el: &Element) -> raw::Tools {
        if self.child(el, "tool").is_some() {
            self.check(el, &["tool"], &[]);
            let tools = self
                .all(el, "tool")
                .map(|t| {
                    let known = ["vendor", "name", "version", "hashes", "externalReferences"];
                    self.check(t, &known, &known);
                    raw::Tool {
                        vendor: self.s(t, "vendor"),
                        name: self.s(t, "name"),
                        version: self.s(t, "version"),
                        hashes: self.list(t, "hashes", "hash", Self::hash),
                        external_references: self.list(
                            t,
                            "externalReferences",
                            "reference",
                            Self::external_ref,
                        ),
                    }
                })
                .collect();
            raw::Tools::Legacy(tools)
        } else {
            self.check(el, &["components", "services"], &["components", "services"]);
            raw::Tools::Modern(raw::ModernTools {
                components: self.list(el, "components", "component", Self::component),
                services: self.list(el, "services", "service", Self::service),
            })
        }
    }

    fn entity(&mut self, el: &Element) -> raw::Entity {
        self.check(
            el,
            &["name", "address", "url", "contact"],
            &["name", "address"],
        );
        let urls: Vec<String> = self.all(el, "url").map(text).collect();
        let contacts: Vec<raw::Contact> =
            self.all(el, "contact").map(|c| self.contact(c)).collect();
        raw::Entity {
            bom_ref: el.attr("bom-ref").map(str::to_string),
            name: self.s(el, "name"),
            address: self.opaque(el, "address"),
            url: (!urls.is_empty()).then_some(urls),
            contact: (!contacts.is_empty()).then_some(contacts),
        }
    }

    fn contact(&mut self, el: &Element) -> raw::Contact {
        self.check(el, &["name", "email", "phone"], &["name", "email", "phone"]);
        raw::Contact {
            bom_ref: el.attr("bom-ref").map(str::to_string),
            name: self.s(el, "name"),
            email: self.s(el, "email"),
            phone: self.s(el, "phone"),
        }
    }

    fn component(&mut self, el: &Element) -> raw::Component {
        let single = [
            "supplier",
            "manufacturer",
            "authors",
            "author",
            "publisher",
            "group",
            "name",
            "version",
            "versionRange",
            "description",
            "scope",
            "hashes",
            "licenses",
            "copyright",
            "cpe",
            "purl",
            "swid",
            "modified",
            "pedigree",
            "externalReferences",
            "properties",
            "components",
            "evidence",
            "releaseNotes",
            "modelCard",
            "cryptoProperties",
            "tags",
            "patentAssertions",
        ];
        let mut known = single.to_vec();
        known.extend_from_slice(&["omniborId", "swhid", "data"]);
        self.check(el, &known, &single);
        let is_external = el.attr("isExternal").and_then(|v| {
            let b = parse_bool(v);
            if b.is_none() {
                self.diags
                    .push(CODE, "isExternal must be true or false".into(), el.pos());
            }
            b
        });
        raw::Component {
            line: Some(el.line),
            component_type: el.attr("type").map(str::to_string),
            mime_type: el.attr("mime-type").map(str::to_string),
            bom_ref: el.attr("bom-ref").map(str::to_string),
            supplier: self.child(el, "supplier").map(|e| self.entity(e)),
            manufacturer: self.child(el, "manufacturer").map(|e| self.entity(e)),
            authors: self.list(el, "authors", "author", Self::contact),
            author: self.s(el, "author"),
            publisher: self.s(el, "publisher"),
            group: self.s(el, "group"),
            name: self.s(el, "name"),
            version: self.s(el, "version"),
            version_range: self.s(el, "versionRange"),
            is_external,
            description: self.s(el, "description"),
            scope: self.s(el, "scope"),
            hashes: self.list(el, "hashes", "hash", Self::hash),
            licenses: self.child(el, "licenses").map(|l| self.licenses(l)),
            copyright: self.s(el, "copyright"),
            cpe: self.s(el, "cpe"),
            purl: self.s(el, "purl"),
            omnibor_id: self.opaque(el, "omniborId"),
            swhid: self.opaque(el, "swhid"),
            swid: self.child(el, "swid").map(|s| self.swid(s)),
            modified: self.b(el, "modified"),
            pedigree: self.child(el, "pedigree").map(|p| self.pedigree(p)),
            external_references: self.list(
                el,
                "externalReferences",
                "reference",
                Self::external_ref,
            ),
            properties: self.list(el, "properties", "property", Self::property),
            components: self.list(el, "components", "component", Self::component),
            evidence: self.opaque(el, "evidence"),
            release_notes: self.opaque(el, "releaseNotes"),
            model_card: self.opaque(el, "modelCard"),
            data: self.opaque(el, "data"),
            crypto_properties: self.opaque(el, "cryptoProperties"),
            tags: self.list(el, "tags", "tag", |_, t| text(t)),
            signature: None,
            patent_assertions: self.opaque(el, "patentAssertions"),
        }
    }

    fn hash(&mut self, el: &Element) -> raw::Hash {
        self.check(el, &[], &[]);
        raw::Hash {
            line: Some(el.line),
            alg: el.attr("alg").map(str::to_string),
            content: Some(text(el)),
        }
    }

    fn licenses(&mut self, el: &Element) -> Vec<raw::LicenseChoice> {
        self.check(el, &["license", "expression", "expression-detailed"], &[]);
        let mut out = Vec::new();
        for c in &el.children {
            if self.foreign(c) {
                continue;
            }
            let common = |c: &Element| raw::LicenseChoice {
                line: Some(c.line),
                acknowledgement: c.attr("acknowledgement").map(str::to_string),
                bom_ref: c.attr("bom-ref").map(str::to_string),
                ..Default::default()
            };
            match c.local_name() {
                "license" => {
                    let known = ["id", "name", "text", "url", "licensing", "properties"];
                    self.check(c, &known, &known);
                    let license = raw::License {
                        bom_ref: c.attr("bom-ref").map(str::to_string),
                        id: self.s(c, "id"),
                        name: self.s(c, "name"),
                        acknowledgement: c.attr("acknowledgement").map(str::to_string),
                        text: self.child(c, "text").map(attachment),
                        url: self.s(c, "url"),
                        licensing: self.opaque(c, "licensing"),
                        properties: self.list(c, "properties", "property", Self::property),
                    };
                    out.push(raw::LicenseChoice {
                        license: Some(license),
                        ..Default::default()
                    });
                }
                "expression" => {
                    self.check(c, &[], &[]);
                    out.push(raw::LicenseChoice {
                        expression: Some(text(c)),
                        ..common(c)
                    });
                }
                "expression-detailed" => {
                    self.check(
                        c,
                        &["details", "licensing", "properties"],
                        &["licensing", "properties"],
                    );
                    out.push(raw::LicenseChoice {
                        expression: c.attr("expression").map(str::to_string),
                        expression_details: Some(Opaque),
                        ..common(c)
                    });
                }
                _ => {}
            }
        }
        out
    }

    fn swid(&mut self, el: &Element) -> raw::Swid {
        self.check(el, &["text", "url"], &["text", "url"]);
        raw::Swid {
            tag_id: el.attr("tagId").map(str::to_string),
            name: el.attr("name").map(str::to_string),
            version: el.attr("version").map(str::to_string),
            tag_version: el.attr("tagVersion").and_then(|v| v.trim().parse().ok()),
            patch: el.attr("patch").and_then(parse_bool),
            text: self.child(el, "text").map(attachment),
            url: self.s(el, "url"),
        }
    }

    fn pedigree(&mut self, el: &Element) -> raw::Pedigree {
        let known = [
            "ancestors",
            "descendants",
            "variants",
            "commits",
            "patches",
            "notes",
        ];
        self.check(el, &known, &known);
        raw::Pedigree {
            ancestors: self.list(el, "ancestors", "component", Self::component),
            descendants: self.list(el, "descendants", "component", Self::component),
            variants: self.list(el, "variants", "component", Self::component),
            commits: self.opaque(el, "commits"),
            patches: self.list(el, "patches", "patch", |m, p| {
                m.check(p, &["diff", "resolves"], &["diff", "resolves"]);
                raw::Patch {
                    patch_type: p.attr("type").map(str::to_string),
                    diff: m.opaque(p, "diff"),
                    resolves: m.list(p, "resolves", "issue", |m, i| {
                        let known = ["id", "name", "description", "source", "references"];
                        m.check(
                            i,
                            &known,
                            &["id", "name", "description", "source", "references"],
                        );
                        raw::Issue {
                            issue_type: i.attr("type").map(str::to_string),
                            id: m.s(i, "id"),
                            name: m.s(i, "name"),
                            description: m.s(i, "description"),
                            source: m.opaque(i, "source"),
                            references: m.opaque(i, "references"),
                        }
                    }),
                }
            }),
            notes: self.s(el, "notes"),
        }
    }

    fn external_ref(&mut self, el: &Element) -> raw::ExternalReference {
        let known = ["url", "comment", "hashes", "properties"];
        self.check(el, &known, &known);
        raw::ExternalReference {
            line: Some(el.line),
            properties: self.list(el, "properties", "property", Self::property),
            url: self.s(el, "url"),
            comment: self.s(el, "comment"),
            ref_type: el.attr("type").map(str::to_string),
            hashes: self.list(el, "hashes", "hash", Self::hash),
        }
    }

    fn property(&mut self, el: &Element) -> raw::Property {
        self.check(el, &[], &[]);
        raw::Property {
            line: Some(el.line),
            name: el.attr("name").map(str::to_string),
            value: Some(text(el)),
        }
    }

    fn dependencies(&mut self, el: &Element) -> Option<Vec<raw::Dependency>> {
        let w = self.child(el, "dependencies")?;
        self.check(w, &["dependency"], &[]);
        let mut out = Vec::new();
        for d in self.all(w, "dependency") {
            self.check(d, &["dependency", "provides"], &[]);
            let mut depends_on = Vec::new();
            for c in self.all(d, "dependency") {
                match c.attr("ref") {
                    Some(r) => depends_on.push(r.to_string()),
                    None => self.diags.push(
                        CODE,
                        "<dependency> needs a `ref` attribute".into(),
                        c.pos(),
                    ),
                }
            }
            let provides: Vec<String> = self
                .all(d, "provides")
                .filter_map(|p| p.attr("ref"))
                .map(str::to_string)
                .collect();
            out.push(raw::Dependency {
                line: Some(d.line),
                reference: d.attr("ref").map(str::to_string),
                depends_on: (!depends_on.is_empty()).then_some(depends_on),
                provides: (!provides.is_empty()).then_some(provides),
            });
        }
        Some(out)
    }

    fn service(&mut self, el: &Element) -> raw::Service {
        let known = [
            "provider",
            "group",
            "name",
            "version",
            "description",
            "endpoints",
            "authenticated",
            "x-trust-boundary",
            "trustZone",
            "data",
            "licenses",
            "externalReferences",
            "properties",
            "services",
            "releaseNotes",
            "tags",
            "patentAssertions",
        ];
        self.check(el, &known, &known);
        let data = self.child(el, "data").map(|d| {
            self.check(d, &["classification", "dataflow"], &[]);
            d.children
                .iter()
                .filter(|c| !self.foreign(c))
                .map(|c| {
                    // 1.2-1.4: <classification flow="…">; 1.5+: <dataflow><classification flow="…">.
                    let class = if c.local_name() == "dataflow" {
                        self.child(c, "classification")
                    } else {
                        Some(c)
                    };
                    raw::ServiceData {
                        flow: class.and_then(|k| k.attr("flow")).map(str::to_string),
                        classification: class.map(text),
                        name: c.attr("name").map(str::to_string),
                        ..Default::default()
                    }
                })
                .collect()
        });
        raw::Service {
            line: Some(el.line),
            bom_ref: el.attr("bom-ref").map(str::to_string),
            provider: self.child(el, "provider").map(|e| self.entity(e)),
            group: self.s(el, "group"),
            name: self.s(el, "name"),
            version: self.s(el, "version"),
            description: self.s(el, "description"),
            endpoints: self.list(el, "endpoints", "endpoint", |_, e| text(e)),
            authenticated: self.b(el, "authenticated"),
            trust_boundary: self.b(el, "x-trust-boundary"),
            trust_zone: self.s(el, "trustZone"),
            data,
            licenses: self.child(el, "licenses").map(|l| self.licenses(l)),
            external_references: self.list(
                el,
                "externalReferences",
                "reference",
                Self::external_ref,
            ),
            properties: self.list(el, "properties", "property", Self::property),
            services: self.list(el, "services", "service", Self::service),
            release_notes: self.opaque(el, "releaseNotes"),
            tags: self.list(el, "tags", "tag", |_, t| text(t)),
            signature: None,
            patent_assertions: self.opaque(el, "patentAssertions"),
        }
    }

    fn source(&mut self, el: &Element) -> raw::VulnSource {
        self.check(el, &["name", "url"], &["name", "url"]);
        raw::VulnSource {
            name: self.s(el, "name"),
            url: self.s(el, "url"),
        }
    }

    fn vulnerability(&mut self, el: &Element) -> raw::Vulnerability {
        let known = [
            "id",
            "source",
            "references",
            "ratings",
            "cwes",
            "description",
            "detail",
            "recommendation",
            "workaround",
            "proofOfConcept",
            "advisories",
            "created",
            "published",
            "updated",
            "rejected",
            "credits",
            "tools",
            "analysis",
            "affects",
            "properties",
        ];
        self.check(el, &known, &known);
        let cwes = self.list(el, "cwes", "cwe", |m, c| {
            let v = c.text.trim().parse::<u32>().ok();
            if v.is_none() {
                m.diags.push(CODE, "<cwe> must be a number".into(), c.pos());
            }
            v
        });
        raw::Vulnerability {
            line: Some(el.line),
            bom_ref: el.attr("bom-ref").map(str::to_string),
            id: self.s(el, "id"),
            source: self.child(el, "source").map(|s| self.source(s)),
            references: self.opaque(el, "references"),
            ratings: self.list(el, "ratings", "rating", |m, r| {
                let known = [
                    "source",
                    "score",
                    "severity",
                    "method",
                    "vector",
                    "justification",
                ];
                m.check(r, &known, &known);
                let score = m.child(r, "score").and_then(|s| {
                    let v = s.text.trim().parse::<f64>().ok();
                    if v.is_none() {
                        m.diags
                            .push(CODE, "<score> must be a number".into(), s.pos());
                    }
                    v
                });
                raw::Rating {
                    source: m.child(r, "source").map(|s| m.source(s)),
                    score,
                    severity: m.s(r, "severity"),
                    method: m.s(r, "method"),
                    vector: m.s(r, "vector"),
                    justification: m.s(r, "justification"),
                }
            }),
            cwes: cwes.map(|v| v.into_iter().flatten().collect()),
            description: self.s(el, "description"),
            detail: self.s(el, "detail"),
            recommendation: self.s(el, "recommendation"),
            workaround: self.s(el, "workaround"),
            proof_of_concept: self.opaque(el, "proofOfConcept"),
            advisories: self.opaque(el, "advisories"),
            created: self.s(el, "created"),
            published: self.s(el, "published"),
            updated: self.s(el, "updated"),
            rejected: self.s(el, "rejected"),
            credits: self.opaque(el, "credits"),
            tools: self.opaque(el, "tools"),
            analysis: self.child(el, "analysis").map(|a| {
                let known = [
                    "state",
                    "justification",
                    "responses",
                    "detail",
                    "firstIssued",
                    "lastUpdated",
                ];
                self.check(a, &known, &known);
                raw::Analysis {
                    state: self.s(a, "state"),
                    justification: self.s(a, "justification"),
                    response: self.list(a, "responses", "response", |_, r| text(r)),
                    detail: self.s(a, "detail"),
                    first_issued: self.s(a, "firstIssued"),
                    last_updated: self.s(a, "lastUpdated"),
                }
            }),
            affects: self.list(el, "affects", "target", |m, t| {
                m.check(t, &["ref", "versions"], &["ref", "versions"]);
                raw::Affect {
                    reference: m.s(t, "ref"),
                    versions: m.list(t, "versions", "version", |m, v| {
                        m.check(
                            v,
                            &["version", "range", "status"],
                            &["version", "range", "status"],
                        );
                        raw::AffectedVersion {
                            version: m.s(v, "version"),
                            range: m.s(v, "range"),
                            status: m.s(v, "status"),
                        }
                    }),
                }
            }),
            properties: self.list(el, "properties", "property", Self::property),
        }
    }

    fn citation(&mut self, el: &Element) -> raw::Citation {
        let known = [
            "pointers",
            "expressions",
            "timestamp",
            "attributedTo",
            "process",
            "note",
        ];
        self.check(el, &known, &known);
        raw::Citation {
            line: Some(el.line),
            bom_ref: el.attr("bom-ref").map(str::to_string),
            pointers: self.list(el, "pointers", "pointer", |_, p| text(p)),
            expressions: self.list(el, "expressions", "expression", |_, p| text(p)),
            timestamp: self.s(el, "timestamp"),
            attributed_to: self.s(el, "attributedTo"),
            process: self.s(el, "process"),
            note: self.s(el, "note"),
            signature: None,
        }
    }
}

fn attachment(el: &Element) -> raw::Attachment {
    raw::Attachment {
        content_type: el.attr("content-type").map(str::to_string),
        encoding: el.attr("encoding").map(str::to_string),
        content: Some(text(el)),
    }
}
