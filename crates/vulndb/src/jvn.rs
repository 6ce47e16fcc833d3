//! JVN iPedia via the MyJVN API: XML (`hnd`: RSS 1.0 overview lists with the `sec:` module and
//! VULDEF-Document details) and JSON (`oka`: feed lists, CSAF-style details, STIX bundles).
//!
//! Vulnerability documents become [`JvnEntry`] values; the API's other methods (vendor and product
//! lists, statistics, alerts) are recognised and returned with no entries so callers can skip them.

use mdsec_format_core::{
    check_json_depth, check_size, strip_bom, Diagnostic, FormatError, Position, MAX_JSON_DEPTH,
};
use quick_xml::events::{BytesRef, BytesStart, Event};
use serde::Serialize;
use serde_json::Value;

/// Largest JVN document accepted (a 50-item detail feed is well under 1 MB).
pub const MAX_JVN_BYTES: usize = 32 * 1024 * 1024;
/// Deepest XML element nesting accepted.
pub const MAX_XML_DEPTH: usize = 64;
/// Most XML elements accepted in one document.
pub const MAX_XML_ELEMENTS: usize = 500_000;
/// Deepest CSAF `product_tree` branch nesting followed.
pub const MAX_BRANCH_DEPTH: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JvnSyntax {
    Xml,
    Json,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JvnDocument {
    pub syntax: JvnSyntax,
    /// MyJVN API method that produced the document (`getVulnOverviewList`, `getVulnDetailInfo`, …).
    pub method: Option<String>,
    /// `totalRes`: matching results on the server (may exceed `entries.len()` when paginated).
    pub total_results: Option<u64>,
    /// Vulnerability entries; empty for non-vulnerability methods.
    pub entries: Vec<JvnEntry>,
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct JvnEntry {
    /// `JVNDB-YYYY-NNNNNN`.
    pub id: String,
    pub title: Option<String>,
    pub overview: Option<String>,
    /// CVE aliases.
    pub cves: Vec<String>,
    pub cwes: Vec<String>,
    pub cvss: Vec<JvnCvss>,
    pub affected: Vec<JvnAffected>,
    pub references: Vec<JvnReference>,
    /// First published on JVN iPedia.
    pub published: Option<String>,
    pub modified: Option<String>,
    /// Date the vulnerability became public.
    pub public_date: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct JvnCvss {
    /// `2.0`, `3.0`, `3.1`, `4.0`.
    pub version: Option<String>,
    pub score: Option<f64>,
    pub vector: Option<String>,
    pub severity: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct JvnAffected {
    pub vendor: Option<String>,
    pub product: Option<String>,
    /// CPE 2.2 (XML) or CPE 2.3 (JSON) name, kept as text.
    pub cpe: Option<String>,
    /// Free-text affected version (often Japanese, e.g. `1.05およびそれ以前`).
    pub version: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct JvnReference {
    pub source: Option<String>,
    pub id: Option<String>,
    pub url: Option<String>,
}

/// Parse a MyJVN API response, XML or JSON (decided by the first non-blank byte).
pub fn parse_jvn(file_name: &str, bytes: &[u8]) -> Result<JvnDocument, FormatError> {
    let body = strip_bom(bytes);
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'<') => parse_jvn_xml(file_name, body),
        _ => parse_jvn_json(file_name, body),
    }
}

fn push_unique<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

// ---------------------------------------------------------------------------------------------
// XML

/// A small element tree; names are local names (namespace prefixes dropped).
#[derive(Debug, Default)]
struct El {
    name: String,
    attrs: Vec<(String, String)>,
    text: String,
    children: Vec<El>,
}

impl El {
    fn child(&self, name: &str) -> Option<&El> {
        self.children.iter().find(|c| c.name == name)
    }
    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a El> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    fn text_of(&self, name: &str) -> Option<String> {
        self.child(name).and_then(|c| non_empty(&c.text))
    }
}

fn line_col(bytes: &[u8], pos: usize) -> (u64, u64) {
    let upto = bytes.get(..pos.min(bytes.len())).unwrap_or(&[]);
    let line = upto.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let col = upto.iter().rev().take_while(|&&b| b != b'\n').count() as u64 + 1;
    (line, col)
}

fn local(name: &str) -> String {
    name.rsplit(':').next().unwrap_or(name).to_string()
}

/// The text of a character reference or one of XML's five predefined entities (`&amp;` …); any
/// other entity is refused, as a DOCTYPE that could declare one is.
fn general_ref(r: &BytesRef) -> Result<String, String> {
    if let Some(c) = r.resolve_char_ref().map_err(|e| e.to_string())? {
        return Ok(c.to_string());
    }
    quick_xml::escape::resolve_predefined_entity(r)
        .map(str::to_string)
        .ok_or_else(|| format!("unknown entity `&{};`", &**r))
}

/// Read an element's attributes. MyJVN's own examples contain unquoted values (`retCd= 0`); those are
/// read leniently and reported as a diagnostic.
fn element(
    e: &BytesStart,
    at: impl Fn(String) -> FormatError,
    diags: &mut Vec<Diagnostic>,
) -> Result<El, FormatError> {
    let mut el = El {
        name: local(e.name().as_ref()),
        ..Default::default()
    };
    let strict_ok = e.attributes().all(|a| a.is_ok());
    if !strict_ok {
        let pos = at(String::new()).position;
        diags.push(Diagnostic::warning(
            "jvn-xml-attribute",
            "attribute value not enclosed in quotes",
            pos,
        ));
    }
    let attrs = if strict_ok {
        e.attributes()
    } else {
        e.html_attributes()
    };
    for a in attrs {
        let a = a.map_err(|err| at(format!("bad attribute: {err}")))?;
        // Entities and character references only, no whitespace normalisation (as before 0.42).
        let v = quick_xml::escape::unescape(&a.value)
            .map_err(|err| at(format!("bad attribute value: {err}")))?;
        el.attrs.push((local(a.key.as_ref()), v.trim().to_string()));
    }
    Ok(el)
}

fn read_tree(bytes: &[u8], diags: &mut Vec<Diagnostic>) -> Result<El, FormatError> {
    let mut reader = quick_xml::Reader::from_reader(bytes);
    reader.config_mut().expand_empty_elements = false;
    let mut stack: Vec<El> = Vec::new();
    let mut root: Option<El> = None;
    let mut count = 0usize;
    loop {
        let pos = reader.buffer_position() as usize;
        let at = |msg: String| {
            let (l, c) = line_col(bytes, pos);
            FormatError::at_line(msg, l, c)
        };
        let ev = reader
            .read_event()
            .map_err(|e| at(format!("invalid XML: {e}")))?;
        let is_empty = matches!(ev, Event::Empty(_));
        match ev {
            Event::DocType(_) => return Err(at("DOCTYPE declarations are not accepted".into())),
            Event::Start(e) | Event::Empty(e) => {
                count += 1;
                if count > MAX_XML_ELEMENTS {
                    return Err(at(format!("more than {MAX_XML_ELEMENTS} elements")));
                }
                if stack.len() >= MAX_XML_DEPTH {
                    return Err(at(format!("XML nested deeper than {MAX_XML_DEPTH} levels")));
                }
                let el = element(&e, at, diags)?;
                if is_empty {
                    match stack.last_mut() {
                        Some(p) => p.children.push(el),
                        None if root.is_none() => root = Some(el),
                        None => return Err(at("more than one root element".into())),
                    }
                } else {
                    if stack.is_empty() && root.is_some() {
                        return Err(at("more than one root element".into()));
                    }
                    stack.push(el);
                }
            }
            Event::End(_) => {
                let el = stack.pop().ok_or_else(|| at("unexpected end tag".into()))?;
                match stack.last_mut() {
                    Some(p) => p.children.push(el),
                    None => root = Some(el),
                }
            }
            // Text comes without its references (each `&...;` is a GeneralRef event).
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t);
                }
            }
            Event::GeneralRef(r) => {
                let s = general_ref(&r).map_err(|e| at(format!("bad text: {e}")))?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&s);
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        let (l, c) = line_col(bytes, bytes.len());
        return Err(FormatError::at_line(
            "unexpected end of document: unclosed elements",
            l,
            c,
        ));
    }
    root.ok_or_else(|| FormatError::at_line("no root element", 1, 1))
}

fn parse_jvn_xml(file_name: &str, bytes: &[u8]) -> Result<JvnDocument, FormatError> {
    let run = || -> Result<JvnDocument, FormatError> {
        check_size(bytes.len(), MAX_JVN_BYTES, "JVN document")?;
        let mut diagnostics = Vec::new();
        let root = read_tree(bytes, &mut diagnostics)?;
        let status = root.child("Status");
        let method = status.and_then(|s| s.attr("method")).map(str::to_string);
        check_status(
            status.and_then(|s| s.attr("retCd")),
            status.and_then(|s| s.attr("errMsg")),
        )?;
        let total_results = status
            .and_then(|s| s.attr("totalRes"))
            .and_then(|v| v.trim().parse().ok());
        let entries = match root.name.as_str() {
            "RDF"
                if root.child("item").is_some()
                    || method.as_deref() == Some("getVulnOverviewList") =>
            {
                root.all("item")
                    .enumerate()
                    .map(|(i, it)| rss_item(it, i, &mut diagnostics))
                    .collect()
            }
            "VULDEF-Document" => root
                .all("Vulinfo")
                .enumerate()
                .map(|(i, v)| vulinfo(v, i, &mut diagnostics))
                .collect(),
            _ => Vec::new(),
        };
        Ok(JvnDocument {
            syntax: JvnSyntax::Xml,
            method,
            total_results,
            entries,
            diagnostics,
        })
    };
    run().map_err(|e| e.in_file(file_name))
}

fn check_status(ret_cd: Option<&str>, err_msg: Option<&str>) -> Result<(), FormatError> {
    match ret_cd.map(str::trim) {
        Some(cd) if !cd.is_empty() && cd != "0" => Err(FormatError::new(
            format!("MyJVN API returned error {cd}: {}", err_msg.unwrap_or("")),
            Position::path("Status/@retCd"),
        )),
        _ => Ok(()),
    }
}

fn check_id(id: &str, at: String, diags: &mut Vec<Diagnostic>) {
    if !id.starts_with("JVNDB-") {
        diags.push(Diagnostic::warning(
            "jvn-id",
            format!("`{id}` is not a JVNDB id"),
            Position::path(at),
        ));
    }
}

fn rss_item(it: &El, i: usize, diags: &mut Vec<Diagnostic>) -> JvnEntry {
    let mut e = JvnEntry {
        id: it.text_of("identifier").unwrap_or_default(),
        title: it.text_of("title"),
        overview: it.text_of("description"),
        published: it.text_of("issued").or_else(|| it.text_of("date")),
        modified: it.text_of("modified"),
        ..Default::default()
    };
    check_id(&e.id, format!("/RDF/item[{}]", i + 1), diags);
    for r in it.all("references") {
        let id = r.attr("id").and_then(non_empty);
        if let Some(id) = &id {
            if crate::is_cve_id(id) {
                push_unique(&mut e.cves, id.clone());
            } else if id.starts_with("CWE-") {
                push_unique(&mut e.cwes, id.clone());
            }
        }
        e.references.push(JvnReference {
            source: r.attr("source").and_then(non_empty),
            id,
            url: non_empty(&r.text),
        });
    }
    for c in it.all("cpe") {
        e.affected.push(JvnAffected {
            vendor: c.attr("vendor").and_then(non_empty),
            product: c.attr("product").and_then(non_empty),
            cpe: non_empty(&c.text),
            version: None,
        });
    }
    for c in it.all("cvss") {
        push_unique(
            &mut e.cvss,
            JvnCvss {
                version: c.attr("version").and_then(non_empty),
                score: c.attr("score").and_then(|s| s.trim().parse().ok()),
                vector: c.attr("vector").and_then(non_empty),
                severity: c.attr("severity").and_then(non_empty),
            },
        );
    }
    e
}

fn vulinfo(v: &El, i: usize, diags: &mut Vec<Diagnostic>) -> JvnEntry {
    let id = v.text_of("VulinfoID").unwrap_or_default();
    check_id(
        &id,
        format!("/VULDEF-Document/Vulinfo[{}]/VulinfoID", i + 1),
        diags,
    );
    let empty = El::default();
    let d = v.child("VulinfoData").unwrap_or(&empty);
    let mut e = JvnEntry {
        id,
        title: d.text_of("Title"),
        overview: d
            .child("VulinfoDescription")
            .and_then(|x| x.text_of("Overview")),
        published: d.text_of("DateFirstPublished"),
        modified: d.text_of("DateLastUpdated"),
        public_date: d.text_of("DatePublic"),
        ..Default::default()
    };
    for item in d
        .child("Affected")
        .into_iter()
        .flat_map(|a| a.all("AffectedItem"))
    {
        let base = JvnAffected {
            vendor: item.text_of("Name"),
            product: item.text_of("ProductName"),
            cpe: item.text_of("Cpe"),
            version: None,
        };
        let versions: Vec<String> = item
            .all("VersionNumber")
            .filter_map(|x| non_empty(&x.text))
            .collect();
        if versions.is_empty() {
            e.affected.push(base);
        } else {
            for ver in versions {
                e.affected.push(JvnAffected {
                    version: Some(ver),
                    ..base.clone()
                });
            }
        }
    }
    for c in d.child("Impact").into_iter().flat_map(|x| x.all("Cvss")) {
        push_unique(
            &mut e.cvss,
            JvnCvss {
                version: c.attr("version").and_then(non_empty),
                score: c.text_of("Base").and_then(|s| s.parse().ok()),
                vector: c.text_of("Vector"),
                severity: c.text_of("Severity"),
            },
        );
    }
    for r in d
        .child("Related")
        .into_iter()
        .flat_map(|x| x.all("RelatedItem"))
    {
        let rid = r.text_of("VulinfoID");
        if let Some(rid) = &rid {
            if r.attr("type") == Some("cwe") || rid.starts_with("CWE-") {
                push_unique(&mut e.cwes, rid.clone());
            } else if crate::is_cve_id(rid) {
                push_unique(&mut e.cves, rid.clone());
            }
        }
        e.references.push(JvnReference {
            source: r.text_of("Name"),
            id: rid,
            url: r.text_of("URL"),
        });
    }
    e
}

// ---------------------------------------------------------------------------------------------
// JSON

/// MyJVN's JSON examples contain `"retMax": ,` (an empty value). Read it as `null` and say so.
fn repair_empty_values(bytes: &[u8], diags: &mut Vec<Diagnostic>) -> Option<Vec<u8>> {
    let mut out: Option<Vec<u8>> = None;
    let mut in_string = false;
    let mut escaped = false;
    let mut line = 1u64;
    let mut col = 0u64;
    let mut after_colon = false;
    for (i, &b) in bytes.iter().enumerate() {
        col += 1;
        if b == b'\n' {
            line += 1;
            col = 0;
        }
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if b == b'"' {
            in_string = true;
            after_colon = false;
        } else if b == b':' {
            after_colon = true;
        } else if after_colon && (b == b',' || b == b'}') {
            let o = out.get_or_insert_with(|| bytes.get(..i).unwrap_or(&[]).to_vec());
            o.extend_from_slice(b"null");
            diags.push(Diagnostic::warning(
                "jvn-empty-value",
                "empty JSON value read as null",
                Position::line_col(line, col),
            ));
            after_colon = false;
        } else if !b.is_ascii_whitespace() {
            after_colon = false;
        }
        if let Some(o) = out.as_mut() {
            o.push(b);
        }
    }
    out
}

fn parse_jvn_json(file_name: &str, bytes: &[u8]) -> Result<JvnDocument, FormatError> {
    let run = || -> Result<JvnDocument, FormatError> {
        check_size(bytes.len(), MAX_JVN_BYTES, "JVN document")?;
        check_json_depth(bytes, MAX_JSON_DEPTH)?;
        let mut diagnostics = Vec::new();
        let repaired = repair_empty_values(bytes, &mut diagnostics);
        let v: Value = serde_json::from_slice(repaired.as_deref().unwrap_or(bytes))
            .map_err(|e| FormatError::from_json(&e))?;
        if !v.is_object() {
            return Err(FormatError::new(
                "a MyJVN JSON response must be an object",
                Position::path(""),
            ));
        }
        let status = v.get("status").or_else(|| v.pointer("/feed/status/Status"));
        let s = |k: &str| status.and_then(|st| st.get(k));
        let method = s("method").and_then(Value::as_str).map(str::to_string);
        let ret_cd = s("retCd").map(|x| match x {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        check_status(ret_cd.as_deref(), s("errMsg").and_then(Value::as_str))?;
        let total_results =
            s("totalRes").and_then(|x| x.as_u64().or_else(|| x.as_str()?.trim().parse().ok()));
        let mut entries = Vec::new();
        // IPA alert lists (`getAlertList`, schema `getalert1.json`) are not vulnerability entries.
        let is_alerts = method.as_deref() == Some("getAlertList")
            || v.get("$schema")
                .and_then(Value::as_str)
                .is_some_and(|s| s.contains("getalert"));
        if v.get("document").is_some() && v.get("vulnerabilities").is_some() {
            entries.push(csaf_entry(&v, "", &mut diagnostics));
        } else if let Some(objects) = v.get("objects").and_then(Value::as_array) {
            for (i, o) in objects.iter().enumerate() {
                for (j, d) in o
                    .get("VULDEF-Document")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    entries.push(csaf_entry(
                        d,
                        &format!("/objects/{i}/VULDEF-Document/{j}"),
                        &mut diagnostics,
                    ));
                }
            }
        } else if let (Some(list), false) = (
            v.pointer("/feed/entry").and_then(Value::as_array),
            is_alerts,
        ) {
            for (i, it) in list.iter().enumerate() {
                entries.push(feed_entry(it, i, &mut diagnostics));
            }
        }
        Ok(JvnDocument {
            syntax: JvnSyntax::Json,
            method,
            total_results,
            entries,
            diagnostics,
        })
    };
    run().map_err(|e| e.in_file(file_name))
}

fn str_at(v: &Value, ptr: &str) -> Option<String> {
    v.pointer(ptr).and_then(Value::as_str).and_then(non_empty)
}

fn cvss_from_content(content: &Value, out: &mut Vec<JvnCvss>) {
    for key in ["cvss_v2", "cvss_v3", "cvss_v4"] {
        if let Some(c) = content.get(key) {
            push_unique(
                out,
                JvnCvss {
                    version: str_at(c, "/version"),
                    score: c.get("baseScore").and_then(Value::as_f64),
                    vector: str_at(c, "/vectorString"),
                    severity: str_at(c, "/baseSeverity"),
                },
            );
        }
    }
}

fn csaf_entry(d: &Value, at: &str, diags: &mut Vec<Diagnostic>) -> JvnEntry {
    let id = str_at(d, "/document/tracking/id").unwrap_or_default();
    check_id(&id, format!("{at}/document/tracking/id"), diags);
    let mut e = JvnEntry {
        id,
        title: str_at(d, "/document/title"),
        overview: d
            .pointer("/document/notes")
            .and_then(Value::as_array)
            .and_then(|n| {
                n.iter()
                    .find(|x| x.get("category").and_then(Value::as_str) == Some("description"))
            })
            .and_then(|x| str_at(x, "/text")),
        published: str_at(d, "/document/tracking/initial_release_date"),
        modified: str_at(d, "/document/tracking/current_release_date"),
        public_date: str_at(d, "/document/tracking/public_date"),
        ..Default::default()
    };
    for r in d
        .pointer("/document/references")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        e.references.push(JvnReference {
            source: str_at(r, "/source"),
            id: str_at(r, "/summary"),
            url: str_at(r, "/url"),
        });
    }
    for vuln in d
        .get("vulnerabilities")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(cve) = str_at(vuln, "/cve") {
            push_unique(&mut e.cves, cve);
        }
        for c in vuln
            .get("cwes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(id) = str_at(c, "/id") {
                push_unique(&mut e.cwes, id);
            }
        }
        for m in vuln
            .get("metrics")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(content) = m.get("content") {
                cvss_from_content(content, &mut e.cvss);
            }
        }
    }
    // product_tree: vendor → product_name → (product_version) branches; walk with an explicit stack.
    let mut stack: Vec<(&Value, Option<String>, Option<String>, usize)> = Vec::new();
    if let Some(tree) = d.get("product_tree") {
        stack.push((tree, None, None, 0));
    }
    let mut found = Vec::new();
    while let Some((node, vendor, product, depth)) = stack.pop() {
        let category = node.get("category").and_then(Value::as_str);
        let name = str_at(node, "/name");
        let (vendor, product, version) = match category {
            Some("vendor") => (name, product, None),
            Some("product_name") => (vendor, name, None),
            Some("product_version") | Some("product_version_range") => (vendor, product, name),
            _ => (vendor, product, None),
        };
        if let Some(p) = node.get("product") {
            found.push(JvnAffected {
                vendor: vendor.clone(),
                product: product.clone().or_else(|| str_at(p, "/name")),
                cpe: str_at(p, "/product_identification_helper/cpe"),
                version,
            });
        }
        if depth < MAX_BRANCH_DEPTH {
            for b in node
                .get("branches")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .rev()
            {
                stack.push((b, vendor.clone(), product.clone(), depth + 1));
            }
        }
    }
    e.affected = found;
    e
}

fn feed_entry(it: &Value, i: usize, diags: &mut Vec<Diagnostic>) -> JvnEntry {
    let id = str_at(it, "/id").unwrap_or_default();
    check_id(&id, format!("/feed/entry/{i}/id"), diags);
    let mut e = JvnEntry {
        id,
        title: str_at(it, "/title"),
        overview: str_at(it, "/summary"),
        published: str_at(it, "/created"),
        modified: str_at(it, "/modified"),
        public_date: str_at(it, "/public"),
        ..Default::default()
    };
    for r in it
        .get("references")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let summary = str_at(r, "/summary");
        if let Some(s) = &summary {
            if crate::is_cve_id(s) {
                push_unique(&mut e.cves, s.clone());
            }
        }
        e.references.push(JvnReference {
            source: str_at(r, "/source"),
            id: summary,
            url: str_at(r, "/url"),
        });
    }
    for p in it
        .get("products")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        e.affected.push(JvnAffected {
            vendor: str_at(p, "/vname"),
            product: str_at(p, "/pname"),
            cpe: str_at(p, "/product_ids/cpe"),
            version: str_at(p, "/version"),
        });
    }
    for m in it
        .get("metrics")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(content) = m.get("content") {
            cvss_from_content(content, &mut e.cvss);
        }
    }
    for c in it
        .get("cwes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(id) = str_at(c, "/id") {
            push_unique(&mut e.cwes, id);
        }
    }
    e
}
