//! Schema rules of CycloneDX 1.2-1.7 written out in Rust (enumerations, required properties,
//! formats, uniqueness) and conversion of the checked document into the model.
//! Each rule is a diagnostic with a JSON pointer; none stops reading.

use super::raw;
use crate::{
    Affect, AffectedVersion, Analysis, Component, Dependency, Diags, ExternalReference,
    FormatError, Hash, License, Metadata, Position, Property, Rating, Sbom, SbomFormat, VulnSource,
    Vulnerability, MAX_COMPONENTS, MAX_STRING,
};
use std::collections::HashSet;

const CODE: &str = "cyclonedx-schema";

/// A JSON pointer built lazily: checks pass these down by value and only a diagnostic renders
/// one, so the happy path allocates no path strings.
#[derive(Clone, Copy)]
enum P<'a> {
    Root,
    Key(&'a P<'a>, &'a str),
    Idx(&'a P<'a>, usize),
}

impl<'a> P<'a> {
    fn k(&'a self, key: &'a str) -> P<'a> {
        P::Key(self, key)
    }
    fn i(&'a self, index: usize) -> P<'a> {
        P::Idx(self, index)
    }
}

impl std::fmt::Display for P<'_> {
    // Depth is bounded by the document depth limits, so recursion is bounded.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            P::Root => Ok(()),
            P::Key(parent, key) => write!(f, "{parent}/{key}"),
            P::Idx(parent, index) => write!(f, "{parent}/{index}"),
        }
    }
}

const ROOT: P<'static> = P::Root;
static ROOT_REF: P<'static> = P::Root;
const META: P<'static> = P::Key(&ROOT_REF, "metadata");
const DEPS: P<'static> = P::Key(&ROOT_REF, "dependencies");

const COMPONENT_TYPES_12: &[&str] = &[
    "application",
    "framework",
    "library",
    "container",
    "operating-system",
    "device",
    "firmware",
    "file",
];
const COMPONENT_TYPES_15: &[&str] = &[
    "platform",
    "device-driver",
    "machine-learning-model",
    "data",
];
const COMPONENT_TYPES_16: &[&str] = &["cryptographic-asset"];

const HASH_ALGS: &[&str] = &[
    "MD5",
    "SHA-1",
    "SHA-256",
    "SHA-384",
    "SHA-512",
    "SHA3-256",
    "SHA3-384",
    "SHA3-512",
    "BLAKE2b-256",
    "BLAKE2b-384",
    "BLAKE2b-512",
    "BLAKE3",
    "Streebog-256",
    "Streebog-512",
];
const SCOPES: &[&str] = &["required", "optional", "excluded"];
const PATCH_TYPES: &[&str] = &["unofficial", "monkey", "backport", "cherry-pick"];
const ISSUE_TYPES: &[&str] = &["defect", "enhancement", "security"];
const DATA_FLOWS: &[&str] = &["inbound", "outbound", "bi-directional", "unknown"];
const ACKNOWLEDGEMENTS: &[&str] = &["declared", "concluded"];
/// External reference types of all versions (later versions only add values).
const EXTERNAL_REFERENCE_TYPES: &[&str] = &[
    "vcs",
    "issue-tracker",
    "website",
    "advisories",
    "bom",
    "mailing-list",
    "social",
    "chat",
    "documentation",
    "support",
    "source-distribution",
    "distribution",
    "distribution-intake",
    "license",
    "build-meta",
    "build-system",
    "release-notes",
    "security-contact",
    "model-card",
    "log",
    "configuration",
    "evidence",
    "formulation",
    "attestation",
    "threat-model",
    "adversary-model",
    "risk-assessment",
    "vulnerability-assertion",
    "exploitability-statement",
    "pentest-report",
    "static-analysis-report",
    "dynamic-analysis-report",
    "runtime-analysis-report",
    "component-analysis-report",
    "maturity-report",
    "certification-report",
    "codified-infrastructure",
    "quality-metrics",
    "poam",
    "electronic-signature",
    "digital-signature",
    "rfc-9116",
    "patent",
    "patent-family",
    "patent-assertion",
    "citation",
    "other",
];
const ANALYSIS_STATES: &[&str] = &[
    "resolved",
    "resolved_with_pedigree",
    "exploitable",
    "in_triage",
    "false_positive",
    "not_affected",
];
const ANALYSIS_JUSTIFICATIONS: &[&str] = &[
    "code_not_present",
    "code_not_reachable",
    "requires_configuration",
    "requires_dependency",
    "requires_environment",
    "protected_by_compiler",
    "protected_at_runtime",
    "protected_at_perimeter",
    "protected_by_mitigating_control",
];
const ANALYSIS_RESPONSES: &[&str] = &[
    "can_not_fix",
    "will_not_fix",
    "update",
    "rollback",
    "workaround_available",
];
const SEVERITIES: &[&str] = &[
    "critical", "high", "medium", "low", "info", "none", "unknown",
];
const RATING_METHODS: &[&str] = &[
    "CVSSv2", "CVSSv3", "CVSSv31", "CVSSv4", "OWASP", "SSVC", "other",
];
const AFFECTED_STATUS: &[&str] = &["affected", "unaffected", "unknown"];

struct Checker {
    /// Minor version (2..=7); unknown versions are checked as the newest.
    v: u8,
    diags: Diags,
    bom_refs: HashSet<String>,
    components: Vec<Component>,
    too_many: bool,
    /// Component types of this version.
    component_types: Vec<&'static str>,
    /// Line of the XML element being checked; diagnostics carry it next to the path.
    line: Option<u64>,
}

pub(super) fn build(
    bom: raw::Bom,
    spec: String,
    format: SbomFormat,
    mut diags: Diags,
) -> Result<Sbom, FormatError> {
    let v = match super::minor(&spec) {
        Some(v) => v,
        None => {
            if !spec.is_empty() {
                diags.at(
                    CODE,
                    format!("unsupported specVersion `{spec}` (expected 1.2 to 1.7)"),
                    "/specVersion",
                );
            }
            super::MAX_MINOR
        }
    };
    let mut c = Checker {
        v,
        diags,
        bom_refs: HashSet::new(),
        components: Vec::new(),
        too_many: false,
        component_types: COMPONENT_TYPES_12
            .iter()
            .chain(if v >= 5 { COMPONENT_TYPES_15 } else { &[] })
            .chain(if v >= 6 { COMPONENT_TYPES_16 } else { &[] })
            .copied()
            .collect(),
        line: None,
    };
    let mut sbom = Sbom::empty(format);
    sbom.spec_version = spec;

    if let Some(sn) = &bom.serial_number {
        if !is_urn_uuid(sn) {
            c.bad(
                "serialNumber is not a `urn:uuid:` UUID",
                ROOT.k("serialNumber"),
            );
        }
    }
    if let Some(version) = bom.version {
        if version < 1 {
            c.bad("version must be 1 or more", ROOT.k("version"));
        }
    }
    sbom.serial_number = bom.serial_number;

    if let Some(m) = bom.metadata {
        sbom.metadata = c.metadata(m);
        sbom.name = sbom.metadata.component.as_ref().map(|c| c.name.clone());
    }
    for (i, comp) in bom.components.unwrap_or_default().into_iter().enumerate() {
        c.component(comp, ROOT.k("components").i(i), None, true);
    }
    for (i, s) in bom.services.unwrap_or_default().iter().enumerate() {
        c.service(s, ROOT.k("services").i(i));
    }
    c.external_refs(
        bom.external_references.as_deref(),
        ROOT.k("externalReferences"),
    );
    c.properties(bom.properties.as_deref(), ROOT.k("properties"));
    sbom.dependencies = c.dependencies(bom.dependencies.unwrap_or_default());
    sbom.vulnerabilities = bom
        .vulnerabilities
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, vu)| c.vulnerability(vu, ROOT.k("vulnerabilities").i(i)))
        .collect();
    for (i, cit) in bom.citations.unwrap_or_default().iter().enumerate() {
        c.citation(cit, ROOT.k("citations").i(i));
    }
    if c.too_many {
        return Err(FormatError::new(
            format!("more than {MAX_COMPONENTS} components"),
            Position::path("/components"),
        ));
    }
    sbom.components = c.components;
    sbom.diagnostics = c.diags.into_vec();
    Ok(sbom)
}

impl Checker {
    fn at(&mut self, msg: String, path: P<'_>) {
        let pos = Position {
            line: self.line,
            path: Some(path.to_string()),
            ..Default::default()
        };
        self.diags.push(CODE, msg, pos);
    }

    fn bad(&mut self, msg: &str, path: P<'_>) {
        self.at(msg.to_string(), path);
    }

    /// Run `f` with diagnostics placed at `line` (when known), then restore the outer line.
    fn with_line<R>(&mut self, line: Option<u64>, f: impl FnOnce(&mut Self) -> R) -> R {
        let saved = self.line;
        self.line = line.or(saved);
        let r = f(self);
        self.line = saved;
        r
    }

    fn enumerated(&mut self, value: Option<&str>, allowed: &[&str], what: &str, path: P<'_>) {
        if let Some(v) = value {
            if !allowed.contains(&v) {
                self.at(format!("`{}` is not a valid {what}", clip(v)), path);
            }
        }
    }

    fn required<T>(&mut self, value: &Option<T>, name: &str, path: P<'_>) {
        if value.is_none() {
            self.at(format!("required property `{name}` is missing"), path);
        }
    }

    fn long(&mut self, s: Option<&str>, path: P<'_>) {
        if s.is_some_and(|s| s.len() > MAX_STRING) {
            self.at(format!("string longer than {MAX_STRING} bytes"), path);
        }
    }

    fn bom_ref(&mut self, r: Option<&str>, path: P<'_>) {
        let Some(r) = r else { return };
        let p = path.k("bom-ref");
        if r.is_empty() {
            self.bad("bom-ref must not be empty", p);
        } else if !self.bom_refs.insert(r.to_string()) {
            self.at(format!("bom-ref `{}` is not unique", clip(r)), p);
        }
    }

    fn timestamp(&mut self, t: Option<&str>, path: P<'_>) {
        if let Some(t) = t {
            if !is_date_time(t) {
                self.at(format!("`{}` is not an RFC 3339 date-time", clip(t)), path);
            }
        }
    }

    fn metadata(&mut self, m: raw::Metadata) -> Metadata {
        self.with_line(m.line, |me| me.metadata_at(m))
    }

    fn metadata_at(&mut self, m: raw::Metadata) -> Metadata {
        let mut out = Metadata::default();
        self.timestamp(m.timestamp.as_deref(), ROOT.k("metadata").k("timestamp"));
        out.timestamp = m.timestamp;
        match m.tools {
            Some(raw::Tools::Legacy(tools)) => {
                for (i, t) in tools.iter().enumerate() {
                    let tools = META.k("tools");
                    let p = tools.i(i);
                    self.hashes(t.hashes.as_deref(), p);
                    self.external_refs(t.external_references.as_deref(), p);
                    if let Some(n) = &t.name {
                        out.tools.push(n.clone());
                    }
                }
            }
            Some(raw::Tools::Modern(t)) => {
                for (i, comp) in t.components.unwrap_or_default().into_iter().enumerate() {
                    if let Some(n) = &comp.name {
                        out.tools.push(n.clone());
                    }
                    self.component(comp, META.k("tools").k("components").i(i), None, false);
                }
                for (i, s) in t.services.unwrap_or_default().iter().enumerate() {
                    if let Some(n) = &s.name {
                        out.tools.push(n.clone());
                    }
                    self.service(s, META.k("tools").k("services").i(i));
                }
            }
            None => {}
        }
        for (i, a) in m.authors.unwrap_or_default().iter().enumerate() {
            self.contact(a, META.k("authors").i(i));
            if let Some(n) = a.name.as_ref().or(a.email.as_ref()) {
                out.authors.push(n.clone());
            }
        }
        if let Some(e) = &m.manufacture {
            self.entity(e, ROOT.k("metadata").k("manufacture"));
        }
        if let Some(e) = &m.manufacturer {
            self.entity(e, ROOT.k("metadata").k("manufacturer"));
        }
        if let Some(e) = &m.supplier {
            self.entity(e, ROOT.k("metadata").k("supplier"));
        }
        out.manufacturer = m.manufacturer.or(m.manufacture).and_then(|e| e.name);
        out.supplier = m.supplier.and_then(|e| e.name);
        self.licenses(m.licenses.as_deref(), ROOT.k("metadata").k("licenses"));
        self.properties(m.properties.as_deref(), ROOT.k("metadata").k("properties"));
        if let Some(comp) = m.component {
            out.component = self
                .component(*comp, META.k("component"), None, false)
                .map(Box::new);
        }
        out
    }

    fn entity(&mut self, e: &raw::Entity, path: P<'_>) {
        self.bom_ref(e.bom_ref.as_deref(), path);
        for (i, c) in e.contact.as_deref().unwrap_or_default().iter().enumerate() {
            self.contact(c, path.k("contact").i(i));
        }
    }

    fn contact(&mut self, c: &raw::Contact, path: P<'_>) {
        self.bom_ref(c.bom_ref.as_deref(), path);
        if let Some(e) = &c.email {
            if !is_email(e) {
                self.at(
                    format!("`{}` is not an email address", clip(e)),
                    path.k("email"),
                );
            }
        }
    }

    /// Check one component and, when `collect`, append it (and its children) to the flat list.
    /// Returns the converted component. Recursion depth is bounded by the document depth limit.
    fn component(
        &mut self,
        c: raw::Component,
        path: P<'_>,
        parent: Option<usize>,
        collect: bool,
    ) -> Option<Component> {
        self.with_line(c.line, |me| me.component_at(c, path, parent, collect))
    }

    fn component_at(
        &mut self,
        c: raw::Component,
        path: P<'_>,
        parent: Option<usize>,
        collect: bool,
    ) -> Option<Component> {
        self.required(&c.component_type, "type", path);
        let types = std::mem::take(&mut self.component_types);
        self.enumerated(
            c.component_type.as_deref(),
            &types,
            "component type",
            path.k("type"),
        );
        self.component_types = types;
        self.required(&c.name, "name", path);
        self.long(c.name.as_deref(), path.k("name"));
        self.long(c.description.as_deref(), path.k("description"));
        self.bom_ref(c.bom_ref.as_deref(), path);
        self.enumerated(c.scope.as_deref(), SCOPES, "scope", path.k("scope"));
        if c.version.is_some() && c.version_range.is_some() {
            self.bad(
                "a component may have `version` or `versionRange`, not both",
                path,
            );
        }
        if c.version_range.is_some() && c.is_external != Some(true) {
            self.bad(
                "`versionRange` is only allowed on components with `isExternal: true`",
                path,
            );
        }
        if let Some(e) = &c.supplier {
            self.entity(e, path.k("supplier"));
        }
        if let Some(e) = &c.manufacturer {
            self.entity(e, path.k("manufacturer"));
        }
        for (i, a) in c.authors.as_deref().unwrap_or_default().iter().enumerate() {
            self.contact(a, path.k("authors").i(i));
        }
        self.hashes(c.hashes.as_deref(), path);
        self.licenses(c.licenses.as_deref(), path.k("licenses"));
        if let Some(s) = &c.swid {
            let p = path.k("swid");
            self.required(&s.tag_id, "tagId", p);
            self.required(&s.name, "name", p);
            if let Some(t) = &s.text {
                self.attachment(t, p.k("text"));
            }
        }
        if let Some(ped) = c.pedigree {
            let p = path.k("pedigree");
            for (key, list) in [
                ("ancestors", ped.ancestors),
                ("descendants", ped.descendants),
                ("variants", ped.variants),
            ] {
                for (i, a) in list.unwrap_or_default().into_iter().enumerate() {
                    self.component(a, p.k(key).i(i), None, false);
                }
            }
            for (i, patch) in ped.patches.unwrap_or_default().iter().enumerate() {
                let pp_list = p.k("patches");
                let pp = pp_list.i(i);
                self.required(&patch.patch_type, "type", pp);
                self.enumerated(
                    patch.patch_type.as_deref(),
                    PATCH_TYPES,
                    "patch type",
                    pp.k("type"),
                );
                for (j, issue) in patch
                    .resolves
                    .as_deref()
                    .unwrap_or_default()
                    .iter()
                    .enumerate()
                {
                    let ip_list = pp.k("resolves");
                    let ip = ip_list.i(j);
                    self.required(&issue.issue_type, "type", ip);
                    self.enumerated(
                        issue.issue_type.as_deref(),
                        ISSUE_TYPES,
                        "issue type",
                        ip.k("type"),
                    );
                }
            }
        }
        self.external_refs(
            c.external_references.as_deref(),
            path.k("externalReferences"),
        );
        self.properties(c.properties.as_deref(), path.k("properties"));

        let out = Component {
            bom_ref: c.bom_ref,
            name: c.name.unwrap_or_default(),
            version: c.version.or(c.version_range),
            group: c.group,
            purl: c.purl,
            cpe: c.cpe,
            component_type: c.component_type,
            supplier: c.supplier.and_then(|e| e.name),
            manufacturer: c.manufacturer.and_then(|e| e.name),
            publisher: c.publisher,
            author: c.author.or_else(|| {
                let names: Vec<String> = c
                    .authors
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|a| a.name)
                    .collect();
                (!names.is_empty()).then(|| names.join(", "))
            }),
            description: c.description,
            scope: c.scope,
            hashes: c
                .hashes
                .unwrap_or_default()
                .into_iter()
                .filter_map(|h| {
                    Some(Hash {
                        alg: h.alg?,
                        content: h.content?,
                    })
                })
                .collect(),
            licenses: c.licenses.map(convert_licenses).unwrap_or_default(),
            external_references: c
                .external_references
                .unwrap_or_default()
                .into_iter()
                .filter_map(|r| {
                    Some(ExternalReference {
                        ref_type: r.ref_type?,
                        url: r.url?,
                    })
                })
                .collect(),
            properties: c
                .properties
                .unwrap_or_default()
                .into_iter()
                .filter_map(|p| {
                    Some(Property {
                        name: p.name?,
                        value: p.value,
                    })
                })
                .collect(),
            parent,
        };
        let children = c.components.unwrap_or_default();
        if !collect {
            for (i, child) in children.into_iter().enumerate() {
                self.component(child, path.k("components").i(i), None, false);
            }
            return Some(out);
        }
        if self.components.len() >= MAX_COMPONENTS {
            self.too_many = true;
            return None;
        }
        let index = self.components.len();
        self.components.push(out);
        for (i, child) in children.into_iter().enumerate() {
            self.component(child, path.k("components").i(i), Some(index), true);
        }
        None
    }

    fn hashes(&mut self, hashes: Option<&[raw::Hash]>, path: P<'_>) {
        let outer = self.line;
        for (i, h) in hashes.unwrap_or_default().iter().enumerate() {
            self.line = h.line.or(outer);
            let list = path.k("hashes");
            let p = list.i(i);
            self.required(&h.alg, "alg", p);
            self.required(&h.content, "content", p);
            self.enumerated(h.alg.as_deref(), HASH_ALGS, "hash algorithm", p.k("alg"));
            if let Some(content) = &h.content {
                if !is_hash_content(content) {
                    self.at(
                        format!(
                            "hash content `{}` is not 32, 40, 64, 96 or 128 hex digits",
                            clip(content)
                        ),
                        p.k("content"),
                    );
                }
            }
        }
        self.line = outer;
    }

    fn licenses(&mut self, list: Option<&[raw::LicenseChoice]>, path: P<'_>) {
        let Some(list) = list else { return };
        let expressions = list.iter().filter(|l| l.expression.is_some()).count();
        // Before 1.7 a `licenses` array is either licenses or exactly one expression.
        if self.v < 7 && expressions > 0 && list.len() > 1 {
            self.bad(
                "`licenses` must hold either licenses or a single expression",
                path,
            );
        }
        let outer = self.line;
        for (i, item) in list.iter().enumerate() {
            self.line = item.line.or(outer);
            let p = path.i(i);
            self.bom_ref(item.bom_ref.as_deref(), p);
            self.enumerated(
                item.acknowledgement.as_deref(),
                ACKNOWLEDGEMENTS,
                "acknowledgement",
                p.k("acknowledgement"),
            );
            self.properties(item.properties.as_deref(), p.k("properties"));
            match (&item.license, &item.expression) {
                (Some(_), Some(_)) => {
                    self.bad("a licenses item has `license` or `expression`, not both", p)
                }
                (None, None) => self.bad("a licenses item needs `license` or `expression`", p),
                (None, Some(e)) => self.long(Some(e), p.k("expression")),
                (Some(l), None) => {
                    let lp = p.k("license");
                    self.bom_ref(l.bom_ref.as_deref(), lp);
                    match (&l.id, &l.name) {
                        (Some(_), Some(_)) => {
                            self.bad("a license has `id` or `name`, not both", lp)
                        }
                        (None, None) => self.bad("a license needs `id` or `name`", lp),
                        (Some(id), None) => {
                            if spdx::license_id(id).is_none() {
                                self.at(
                                    format!("`{}` is not an SPDX license id", clip(id)),
                                    lp.k("id"),
                                );
                            }
                        }
                        (None, Some(_)) => {}
                    }
                    self.enumerated(
                        l.acknowledgement.as_deref(),
                        ACKNOWLEDGEMENTS,
                        "acknowledgement",
                        lp.k("acknowledgement"),
                    );
                    if let Some(t) = &l.text {
                        self.attachment(t, lp.k("text"));
                    }
                    self.properties(l.properties.as_deref(), lp.k("properties"));
                }
            }
        }
        self.line = outer;
    }

    fn attachment(&mut self, a: &raw::Attachment, path: P<'_>) {
        self.required(&a.content, "content", path);
        self.enumerated(
            a.encoding.as_deref(),
            &["base64"],
            "encoding",
            path.k("encoding"),
        );
    }

    fn external_refs(&mut self, refs: Option<&[raw::ExternalReference]>, path: P<'_>) {
        let outer = self.line;
        for (i, r) in refs.unwrap_or_default().iter().enumerate() {
            self.line = r.line.or(outer);
            let p = path.i(i);
            self.required(&r.url, "url", p);
            self.required(&r.ref_type, "type", p);
            self.enumerated(
                r.ref_type.as_deref(),
                EXTERNAL_REFERENCE_TYPES,
                "external reference type",
                p.k("type"),
            );
            self.hashes(r.hashes.as_deref(), p);
            self.properties(r.properties.as_deref(), p.k("properties"));
        }
        self.line = outer;
    }

    fn properties(&mut self, props: Option<&[raw::Property]>, path: P<'_>) {
        let outer = self.line;
        for (i, prop) in props.unwrap_or_default().iter().enumerate() {
            self.line = prop.line.or(outer);
            self.required(&prop.name, "name", path.i(i));
        }
        self.line = outer;
    }

    fn service(&mut self, s: &raw::Service, path: P<'_>) {
        self.with_line(s.line, |me| me.service_at(s, path))
    }

    fn service_at(&mut self, s: &raw::Service, path: P<'_>) {
        self.bom_ref(s.bom_ref.as_deref(), path);
        self.required(&s.name, "name", path);
        if let Some(e) = &s.provider {
            self.entity(e, path.k("provider"));
        }
        for (i, d) in s.data.as_deref().unwrap_or_default().iter().enumerate() {
            let list = path.k("data");
            let p = list.i(i);
            self.required(&d.flow, "flow", p);
            self.enumerated(d.flow.as_deref(), DATA_FLOWS, "data flow", p.k("flow"));
        }
        self.licenses(s.licenses.as_deref(), path.k("licenses"));
        self.external_refs(
            s.external_references.as_deref(),
            path.k("externalReferences"),
        );
        self.properties(s.properties.as_deref(), path.k("properties"));
        for (i, child) in s.services.as_deref().unwrap_or_default().iter().enumerate() {
            self.service(child, path.k("services").i(i));
        }
    }

    fn dependencies(&mut self, deps: Vec<raw::Dependency>) -> Vec<Dependency> {
        let mut seen = HashSet::new();
        let mut out = Vec::with_capacity(deps.len());
        let outer = self.line;
        for (i, d) in deps.into_iter().enumerate() {
            self.line = d.line.or(outer);
            let p = DEPS.i(i);
            let Some(r) = d.reference else {
                self.bad("required property `ref` is missing", p);
                continue;
            };
            if r.is_empty() {
                self.bad("dependency `ref` must not be empty", p.k("ref"));
            } else if !seen.insert(r.clone()) {
                self.at(
                    format!("dependency `{}` is listed twice", clip(&r)),
                    p.k("ref"),
                );
            }
            let depends_on = d.depends_on.unwrap_or_default();
            for (j, t) in depends_on.iter().enumerate() {
                if t.is_empty() {
                    self.bad("dependency target must not be empty", p.k("dependsOn").i(j));
                }
            }
            out.push(Dependency {
                reference: r,
                depends_on,
            });
        }
        self.line = outer;
        out
    }

    fn vulnerability(&mut self, v: raw::Vulnerability, path: P<'_>) -> Vulnerability {
        self.with_line(v.line, |me| me.vulnerability_at(v, path))
    }

    fn vulnerability_at(&mut self, v: raw::Vulnerability, path: P<'_>) -> Vulnerability {
        self.bom_ref(v.bom_ref.as_deref(), path);
        for t in [
            ("created", &v.created),
            ("published", &v.published),
            ("updated", &v.updated),
            ("rejected", &v.rejected),
        ] {
            self.timestamp(t.1.as_deref(), path.k(t.0));
        }
        let ratings = v.ratings.unwrap_or_default();
        for (i, r) in ratings.iter().enumerate() {
            let p_list = path.k("ratings");
            let p = p_list.i(i);
            self.enumerated(
                r.severity.as_deref(),
                SEVERITIES,
                "severity",
                p.k("severity"),
            );
            self.enumerated(
                r.method.as_deref(),
                RATING_METHODS,
                "rating method",
                p.k("method"),
            );
        }
        if let Some(a) = &v.analysis {
            let p = path.k("analysis");
            self.enumerated(
                a.state.as_deref(),
                ANALYSIS_STATES,
                "analysis state",
                p.k("state"),
            );
            self.enumerated(
                a.justification.as_deref(),
                ANALYSIS_JUSTIFICATIONS,
                "analysis justification",
                p.k("justification"),
            );
            for (i, r) in a.response.as_deref().unwrap_or_default().iter().enumerate() {
                self.enumerated(
                    Some(r),
                    ANALYSIS_RESPONSES,
                    "analysis response",
                    p.k("response").i(i),
                );
            }
            self.timestamp(a.first_issued.as_deref(), p.k("firstIssued"));
            self.timestamp(a.last_updated.as_deref(), p.k("lastUpdated"));
        }
        let affects = v.affects.unwrap_or_default();
        for (i, a) in affects.iter().enumerate() {
            let p_list = path.k("affects");
            let p = p_list.i(i);
            self.required(&a.reference, "ref", p);
            for (j, ver) in a.versions.as_deref().unwrap_or_default().iter().enumerate() {
                let vp_list = p.k("versions");
                let vp = vp_list.i(j);
                if ver.version.is_some() == ver.range.is_some() {
                    self.bad(
                        "an affected version has exactly one of `version` and `range`",
                        vp,
                    );
                }
                self.enumerated(
                    ver.status.as_deref(),
                    AFFECTED_STATUS,
                    "affected status",
                    vp.k("status"),
                );
            }
        }
        self.properties(v.properties.as_deref(), path.k("properties"));
        let source = |s: raw::VulnSource| VulnSource {
            name: s.name,
            url: s.url,
        };
        Vulnerability {
            bom_ref: v.bom_ref,
            id: v.id,
            source: v.source.map(source),
            ratings: ratings
                .into_iter()
                .map(|r| Rating {
                    source: r.source.map(source),
                    score: r.score,
                    severity: r.severity,
                    method: r.method,
                    vector: r.vector,
                })
                .collect(),
            cwes: v.cwes.unwrap_or_default(),
            description: v.description,
            affects: affects
                .into_iter()
                .map(|a| Affect {
                    reference: a.reference.unwrap_or_default(),
                    versions: a
                        .versions
                        .unwrap_or_default()
                        .into_iter()
                        .map(|x| AffectedVersion {
                            version: x.version,
                            range: x.range,
                            status: x.status,
                        })
                        .collect(),
                })
                .collect(),
            analysis: v.analysis.map(|a| Analysis {
                state: a.state,
                justification: a.justification,
                response: a.response.unwrap_or_default(),
                detail: a.detail,
            }),
        }
    }

    fn citation(&mut self, c: &raw::Citation, path: P<'_>) {
        self.with_line(c.line, |me| me.citation_at(c, path))
    }

    fn citation_at(&mut self, c: &raw::Citation, path: P<'_>) {
        self.bom_ref(c.bom_ref.as_deref(), path);
        self.required(&c.timestamp, "timestamp", path);
        self.timestamp(c.timestamp.as_deref(), path.k("timestamp"));
        if c.attributed_to.is_none() && c.process.is_none() {
            self.bad("a citation needs `attributedTo` or `process`", path);
        }
        match (&c.pointers, &c.expressions) {
            (Some(_), Some(_)) => {
                self.bad("a citation has `pointers` or `expressions`, not both", path)
            }
            (None, None) => self.bad("a citation needs `pointers` or `expressions`", path),
            _ => {}
        }
    }
}

fn convert_licenses(list: Vec<raw::LicenseChoice>) -> Vec<License> {
    list.into_iter()
        .map(|item| match (item.license, item.expression) {
            (Some(l), _) => License {
                id: l.id,
                name: l.name,
                expression: None,
            },
            (None, e) => License {
                id: None,
                name: None,
                expression: e,
            },
        })
        .collect()
}

/// Shorten a value quoted in a message.
fn clip(s: &str) -> &str {
    match s.char_indices().nth(80) {
        Some((i, _)) => s.get(..i).unwrap_or(s),
        None => s,
    }
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_hash_content(s: &str) -> bool {
    matches!(s.len(), 32 | 40 | 64 | 96 | 128) && is_hex(s)
}

pub(crate) fn is_urn_uuid(s: &str) -> bool {
    let Some(u) = s.strip_prefix("urn:uuid:") else {
        return false;
    };
    let parts: Vec<&str> = u.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && is_hex(p))
}

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// RFC 3339 `date-time`: `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`.
pub(crate) fn is_date_time(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 20 || !s.is_ascii() {
        return false;
    }
    let (date, rest) = s.split_at(10);
    let d: Vec<&str> = date.split('-').collect();
    if d.len() != 3 || !digits(d[0], 4) || !digits(d[1], 2) || !digits(d[2], 2) {
        return false;
    }
    let Some(rest) = rest.strip_prefix(['T', 't', ' ']) else {
        return false;
    };
    if rest.len() < 9 {
        return false;
    }
    let (time, mut zone) = rest.split_at(8);
    let t: Vec<&str> = time.split(':').collect();
    if t.len() != 3 || !t.iter().all(|p| digits(p, 2)) {
        return false;
    }
    if let Some(frac) = zone.strip_prefix('.') {
        let n = frac.bytes().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 {
            return false;
        }
        zone = &frac[n..];
    }
    match zone {
        "Z" | "z" => true,
        z if z.len() == 6 && (z.starts_with('+') || z.starts_with('-')) => {
            digits(&z[1..3], 2) && &z[3..4] == ":" && digits(&z[4..6], 2)
        }
        _ => false,
    }
}

fn is_email(s: &str) -> bool {
    match s.rsplit_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && !domain.is_empty() && !s.contains(char::is_whitespace)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert!(is_date_time("2020-04-13T20:20:39+00:00"));
        assert!(is_date_time("2025-07-23T20:52:41.344402+00:00"));
        assert!(is_date_time("2021-01-01T00:00:00Z"));
        assert!(!is_date_time("2020-04-13"));
        assert!(!is_date_time("2020-04-13T20:20:39"));
        assert!(is_urn_uuid("urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"));
        assert!(!is_urn_uuid("urn:uuid:3e671687-395b-41f5-a30f"));
        assert!(is_hash_content("3942447fac867ae5cdb3229b658f4d48"));
        assert!(!is_hash_content("foo"));
    }
}
