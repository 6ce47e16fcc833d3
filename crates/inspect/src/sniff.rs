//! Content-based format detection. The file name's extension only breaks ties the content leaves
//! open (`.md` for a RustSec advisory whose fence is not on the first line, `.yaml` for OSV YAML with
//! unusual key order).

use crate::{Kind, MAX_INPUT_BYTES, MAX_TOP_LEVEL_KEYS};
use mdsec_format_core::{check_size, strip_bom, FormatError, Position};
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use std::fmt;

/// Top-level keys whose string value detection looks at.
const STRING_KEYS: &[&str] = &["$schema", "bomFormat", "format", "spdxVersion"];

/// The top level of a JSON object: its keys (the first [`MAX_TOP_LEVEL_KEYS`]) and the string values
/// of [`STRING_KEYS`]. Reading it checks the whole document's syntax without building a tree, so a
/// malformed file is reported with its line and column before any format parser runs.
#[derive(Debug, Default)]
pub(crate) struct TopLevel {
    keys: Vec<String>,
    strings: Vec<(String, String)>,
}

impl TopLevel {
    fn has(&self, key: &str) -> bool {
        self.keys.iter().any(|k| k == key)
    }
    fn string(&self, key: &str) -> Option<&str> {
        self.strings
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

impl<'de> Deserialize<'de> for TopLevel {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TopLevel;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object at the top level")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TopLevel, A::Error> {
                let mut out = TopLevel::default();
                while let Some(key) = map.next_key::<String>()? {
                    if STRING_KEYS.contains(&key.as_str()) {
                        if let Scalar(Some(s)) = map.next_value()? {
                            out.strings.push((key.clone(), s));
                        }
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                    if out.keys.len() < MAX_TOP_LEVEL_KEYS {
                        out.keys.push(key);
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_any(V)
    }
}

/// A value kept only when it is a string.
struct Scalar(Option<String>);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(Some(v.to_string())))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Scalar, E> {
                Ok(Scalar(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Scalar, E> {
                Ok(Scalar(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Scalar, E> {
                Ok(Scalar(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Scalar, E> {
                Ok(Scalar(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar(None))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// Read the top level of a JSON document (checking its syntax to the end).
/// serde_json's own recursion limit (128) keeps the skipped values stack-safe.
pub(crate) fn json_top_level(bytes: &[u8]) -> Result<TopLevel, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let top = TopLevel::deserialize(&mut de)?;
    de.end()?;
    Ok(top)
}

fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")
}

/// A zip (xlsx) or OLE compound file (xls): the binary ledger containers.
pub(crate) fn is_container(bytes: &[u8]) -> bool {
    is_zip(bytes) || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0])
}

fn extension(file_name: &str) -> String {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    match base.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => ext.to_ascii_lowercase(),
        _ => String::new(),
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Decide what a document is. Errors are about the document as a whole (empty, too large, malformed
/// JSON, JSON or XML of no supported kind) and do not yet carry the file name.
pub(crate) fn detect(file_name: &str, bytes: &[u8]) -> Result<Kind, FormatError> {
    check_size(bytes.len(), MAX_INPUT_BYTES, "input")?;
    // Binary containers first: an xlsx is an MDS2 form only if the form's own markers are there;
    // every other workbook (and any .xls) is a ledger.
    if is_zip(bytes) {
        return Ok(match mdsec_mds2::detect(bytes) {
            Some(mdsec_mds2::Kind::Mds2Xlsx) => Kind::Mds2,
            None => Kind::Ledger,
        });
    }
    if is_container(bytes) {
        return Ok(Kind::Ledger);
    }
    let body = strip_bom(bytes);
    let Some(first) = body.iter().find(|b| !b.is_ascii_whitespace()) else {
        return Err(FormatError::new(
            "the file is empty (or only whitespace)",
            Position::default(),
        ));
    };
    let ext = extension(file_name);
    match first {
        b'{' => detect_json(body),
        // No supported format is a top-level JSON array; a CSV whose first cell starts with `[`
        // (a bracketed title row) is not JSON at all and goes on to the text formats.
        b'[' => match serde_json::from_slice::<IgnoredAny>(body) {
            Err(_) => Ok(detect_text(body, &ext)),
            Ok(_) => Err(FormatError::new(
                "a JSON array at the top level; every supported JSON format is an object",
                Position::line_col(1, 1),
            )),
        },
        b'<' => detect_xml(body),
        _ => Ok(detect_text(body, &ext)),
    }
}

fn detect_json(body: &[u8]) -> Result<Kind, FormatError> {
    let top = match json_top_level(body) {
        Ok(top) => top,
        // Not valid JSON. If a format's markers are there anyway, its parser reports the problem
        // (MyJVN, for one, emits `"retMax": ,` and its parser repairs that with a diagnostic).
        Err(e) => return markers(body).ok_or_else(|| FormatError::from_json(&e)),
    };
    if top
        .string("$schema")
        .is_some_and(|s| s.contains("json-schema.org"))
        && top.has("properties")
    {
        return Err(FormatError::new(
            "a JSON Schema, not a document it describes",
            Position::path("/$schema"),
        ));
    }
    // MyJVN wraps its documents (one of them a CSAF 2.1 variant) in a `$schema` on jvndb.jvn.jp;
    // that must win over the CSAF check below.
    if top
        .string("$schema")
        .is_some_and(|s| s.contains("jvndb.jvn.jp"))
    {
        return Ok(Kind::Jvn);
    }
    if top.has("bomFormat") {
        return Ok(Kind::Cyclonedx);
    }
    if top.has("spdxVersion")
        || (top.has("@context")
            && mdsec_sbom::detect(body) == Some(mdsec_sbom::SbomFormat::Spdx3JsonLd))
    {
        return Ok(Kind::Spdx);
    }
    // `document` at the top level is CSAF's alone.
    if top.has("document") {
        return Ok(Kind::Csaf);
    }
    if top.has("catalogVersion") || (top.has("vulnerabilities") && top.has("dateReleased")) {
        return Ok(Kind::Kev);
    }
    if top.has("resultsPerPage")
        || top.has("totalResults")
        || top.string("format") == Some("NVD_CVE")
        || top.has("cve")
        || (top.has("id") && top.has("sourceIdentifier"))
    {
        return Ok(Kind::Nvd);
    }
    if top.has("id") && (top.has("modified") || top.has("affected") || top.has("schema_version")) {
        return Ok(Kind::Osv);
    }
    markers(body).ok_or_else(|| {
        FormatError::new(
            "JSON of no supported kind (expected CycloneDX, SPDX, CSAF, OSV, NVD, KEV or MyJVN)",
            Position::default(),
        )
    })
}

/// The parsers' own sniffers, which look for marker strings in the first window of a JSON
/// document without parsing it. MyJVN first: its CSAF variant also carries `csaf_version`.
fn markers(body: &[u8]) -> Option<Kind> {
    let vulndb = mdsec_vulndb::detect(body);
    if vulndb == Some(mdsec_vulndb::Kind::JvnJson) {
        return Some(Kind::Jvn);
    }
    if let Some(f) = mdsec_sbom::detect(body) {
        return Some(sbom_kind(f));
    }
    match mdsec_advisory::detect(body) {
        Some(mdsec_advisory::AdvisoryFormat::Csaf) => return Some(Kind::Csaf),
        Some(mdsec_advisory::AdvisoryFormat::OsvJson) => return Some(Kind::Osv),
        _ => {}
    }
    match vulndb {
        Some(mdsec_vulndb::Kind::Nvd) => Some(Kind::Nvd),
        Some(mdsec_vulndb::Kind::KevJson) => Some(Kind::Kev),
        _ => None,
    }
}

fn detect_xml(body: &[u8]) -> Result<Kind, FormatError> {
    if mdsec_sbom::detect(body) == Some(mdsec_sbom::SbomFormat::CycloneDxXml) {
        return Ok(Kind::Cyclonedx);
    }
    if mdsec_vulndb::detect(body) == Some(mdsec_vulndb::Kind::JvnXml) {
        return Ok(Kind::Jvn);
    }
    Err(FormatError::new(
        "XML of no supported kind (expected CycloneDX XML or a MyJVN document)",
        Position::default(),
    ))
}

fn detect_text(body: &[u8], ext: &str) -> Kind {
    let head = body.get(..body.len().min(64 * 1024)).unwrap_or(body);
    match mdsec_advisory::detect(body) {
        Some(mdsec_advisory::AdvisoryFormat::Rustsec) => return Kind::Rustsec,
        Some(mdsec_advisory::AdvisoryFormat::OsvYaml) => return Kind::Osv,
        _ => {}
    }
    if ext == "md" && contains(head, b"```toml") {
        return Kind::Rustsec;
    }
    if mdsec_sbom::detect(body) == Some(mdsec_sbom::SbomFormat::SpdxTagValue) {
        return Kind::Spdx;
    }
    match mdsec_vulndb::detect(body) {
        Some(mdsec_vulndb::Kind::Epss) => return Kind::Epss,
        Some(mdsec_vulndb::Kind::KevCsv) => return Kind::Kev,
        _ => {}
    }
    if (ext == "yaml" || ext == "yml") && (head.starts_with(b"id:") || contains(head, b"\nid:")) {
        return Kind::Osv;
    }
    // CSV/TSV in any encoding (Shift_JIS included) is a ledger; the ledger reader says why not.
    Kind::Ledger
}

pub(crate) fn sbom_kind(f: mdsec_sbom::SbomFormat) -> Kind {
    use mdsec_sbom::SbomFormat::*;
    match f {
        CycloneDxJson | CycloneDxXml => Kind::Cyclonedx,
        SpdxJson | SpdxTagValue | Spdx3JsonLd => Kind::Spdx,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_is_last_dot_of_base_name() {
        assert_eq!(extension("a/b.c/RUSTSEC-1.MD"), "md");
        assert_eq!(extension(".hidden"), "");
        assert_eq!(extension("noext"), "");
    }

    #[test]
    fn top_level_keys_and_strings() {
        let t = json_top_level(br#"{"$schema":"x","a":{"bomFormat":"no"},"format":1}"#).unwrap();
        assert_eq!(t.keys, ["$schema", "a", "format"]);
        assert_eq!(t.string("$schema"), Some("x"));
        assert_eq!(t.string("format"), None);
        assert!(!t.has("bomFormat"));
        let e = json_top_level(b"{\"a\":1}\n x").unwrap_err();
        assert_eq!(e.line(), 2);
        assert!(json_top_level(b"[1,2]").unwrap_err().is_data());
    }

    #[test]
    fn text_kinds() {
        assert_eq!(detect("x", b"cve,epss,percentile\n").unwrap(), Kind::Epss);
        assert_eq!(
            detect("x", b"cveID,vendorProject,product,x\n").unwrap(),
            Kind::Kev
        );
        assert_eq!(
            detect("x", "機器名称\nA\n".as_bytes()).unwrap(),
            Kind::Ledger
        );
        assert_eq!(detect("a.md", b"# t\n```toml\n").unwrap(), Kind::Rustsec);
        assert_eq!(detect("a.txt", b"# t\n```toml\n").unwrap(), Kind::Ledger);
        assert_eq!(
            detect("a.yaml", b"summary: x\nid: PYSEC-1\n").unwrap(),
            Kind::Osv
        );
        assert!(detect("x", b"  \n").is_err());
        // A bracketed title row is a ledger, a real JSON array is refused, a JSON Schema too.
        assert_eq!(
            detect("x.csv", "[台帳] 2026\n機器名称\nA\n".as_bytes()).unwrap(),
            Kind::Ledger
        );
        assert!(detect("x.json", b"[{\"id\": 1}]").is_err());
        let schema = br#"{"$schema":"http://json-schema.org/draft-07/schema#","properties":{"catalogVersion":{},"vulnerabilities":{}}}"#;
        assert!(detect("s.json", schema)
            .unwrap_err()
            .message
            .contains("JSON Schema"));
    }
}
