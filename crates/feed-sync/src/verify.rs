//! Checks a download must pass before it replaces the previous copy: checksum side files, the shape
//! of each format (well-formed JSON with the publisher's top-level fields, MyJVN status, EPSS header),
//! and bounded decompression of gzip and zip (size, member count and ratio caps).

use crate::FeedSyncError;
use serde::de::IgnoredAny;
use serde::Deserialize;
use sha2::Digest;
use std::io::{Read, Write};
use std::path::Path;

/// Largest decompressed EPSS CSV.
pub const MAX_EPSS_CSV_BYTES: u64 = 1024 * 1024 * 1024;
/// Largest ratio of decompressed to compressed size accepted from gzip or zip.
pub const MAX_COMPRESSION_RATIO: u64 = 200;
/// Most members in an OSV archive.
pub const MAX_ZIP_MEMBERS: usize = 2_000_000;
/// Largest single OSV record.
pub const MAX_ZIP_MEMBER_BYTES: u64 = 32 * 1024 * 1024;
/// Largest total of an extracted OSV archive.
pub const MAX_ZIP_TOTAL_BYTES: u64 = 16 * 1024 * 1024 * 1024;
/// Deepest XML nesting accepted from MyJVN.
pub const MAX_XML_DEPTH: usize = 64;
/// Largest checksum side file.
pub const MAX_CHECKSUM_FILE_BYTES: u64 = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlgorithm {
    Sha256,
    Sha512,
}

impl HashAlgorithm {
    pub fn name(self) -> &'static str {
        match self {
            HashAlgorithm::Sha256 => "SHA-256",
            HashAlgorithm::Sha512 => "SHA-512",
        }
    }

    /// Hex digest of a file, read in blocks.
    pub fn file_digest(self, path: &Path) -> Result<String, FeedSyncError> {
        let mut f = std::fs::File::open(path).map_err(|e| FeedSyncError::io(path, e))?;
        let mut buf = vec![0u8; 64 * 1024];
        let mut h256 = sha2::Sha256::new();
        let mut h512 = sha2::Sha512::new();
        loop {
            let n = f.read(&mut buf).map_err(|e| FeedSyncError::io(path, e))?;
            if n == 0 {
                break;
            }
            let chunk = buf.get(..n).unwrap_or(&[]);
            match self {
                HashAlgorithm::Sha256 => h256.update(chunk),
                HashAlgorithm::Sha512 => h512.update(chunk),
            }
        }
        Ok(match self {
            HashAlgorithm::Sha256 => hex::encode(h256.finalize()),
            HashAlgorithm::Sha512 => hex::encode(h512.finalize()),
        })
    }
}

/// Read a `.sha256`/`.sha512` side file: `HEX` or `HEX  file-name` (sha256sum/sha512sum output).
/// The algorithm follows from the digest length.
pub fn parse_checksum_file(text: &str) -> Result<(HashAlgorithm, String), String> {
    let first = text
        .split_whitespace()
        .next()
        .ok_or("empty checksum file")?;
    let hex_digest = first.trim_start_matches('\\').to_ascii_lowercase();
    if !hex_digest.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err("the checksum is not hexadecimal".into());
    }
    match hex_digest.len() {
        64 => Ok((HashAlgorithm::Sha256, hex_digest)),
        128 => Ok((HashAlgorithm::Sha512, hex_digest)),
        n => Err(format!(
            "a {n}-digit checksum is neither SHA-256 nor SHA-512"
        )),
    }
}

fn json_error(what: &str, e: serde_json::Error) -> FeedSyncError {
    FeedSyncError::invalid(
        what,
        format!(
            "not well-formed JSON of the expected shape at line {}, column {}: {e}",
            e.line(),
            e.column()
        ),
    )
}

/// CISA KEV: an object with a `vulnerabilities` array. Returns the entry count.
pub fn check_kev_json(what: &str, bytes: &[u8]) -> Result<usize, FeedSyncError> {
    #[derive(Deserialize)]
    struct Kev {
        vulnerabilities: Vec<IgnoredAny>,
    }
    let k: Kev = serde_json::from_slice(bytes).map_err(|e| json_error(what, e))?;
    Ok(k.vulnerabilities.len())
}

/// The paging fields of one NVD API 2.0 response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NvdPage {
    pub start_index: u64,
    pub total_results: u64,
    /// Records actually on this page.
    pub returned: u64,
}

/// NVD CVE API 2.0 page: `resultsPerPage`, `startIndex`, `totalResults` and a `vulnerabilities` array.
pub fn check_nvd_page(what: &str, bytes: &[u8]) -> Result<NvdPage, FeedSyncError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Page {
        #[allow(dead_code)]
        results_per_page: u64,
        start_index: u64,
        total_results: u64,
        vulnerabilities: Vec<IgnoredAny>,
    }
    let p: Page = serde_json::from_slice(bytes).map_err(|e| json_error(what, e))?;
    Ok(NvdPage {
        start_index: p.start_index,
        total_results: p.total_results,
        returned: p.vulnerabilities.len() as u64,
    })
}

/// CSAF 2.0 document: an object with a `document` object.
pub fn check_csaf_json(what: &str, bytes: &[u8]) -> Result<(), FeedSyncError> {
    #[derive(Deserialize)]
    struct Csaf {
        #[allow(dead_code)]
        document: serde_json::Map<String, serde_json::Value>,
    }
    serde_json::from_slice::<Csaf>(bytes)
        .map(|_| ())
        .map_err(|e| json_error(what, e))
}

/// OSV record: an object with a string `id`.
pub fn check_osv_json(what: &str, bytes: &[u8]) -> Result<(), FeedSyncError> {
    #[derive(Deserialize)]
    struct Osv {
        #[allow(dead_code)]
        id: String,
    }
    serde_json::from_slice::<Osv>(bytes)
        .map(|_| ())
        .map_err(|e| json_error(what, e))
}

/// The start of an EPSS CSV: an optional `#model_version…` comment, then the `cve,epss,percentile`
/// header.
pub fn check_epss_head(what: &str, head: &[u8]) -> Result<(), FeedSyncError> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.lines().map(str::trim);
    let mut line = lines.next().unwrap_or("");
    if line.starts_with('#') {
        line = lines.next().unwrap_or("");
    }
    if line.trim_start_matches('\u{feff}').starts_with("cve,epss") {
        Ok(())
    } else {
        Err(FeedSyncError::invalid(
            what,
            "not an EPSS CSV (no `cve,epss,percentile` header)",
        ))
    }
}

/// The `<status:Status>` element of a MyJVN response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MyJvnStatus {
    pub ret_cd: Option<String>,
    pub err_cd: Option<String>,
    pub err_msg: Option<String>,
    pub total_res: Option<u64>,
    pub total_res_ret: Option<u64>,
    pub first_res: Option<u64>,
}

/// Well-formed XML (bounded depth, one root, no DOCTYPE) with a MyJVN status element.
pub fn check_myjvn_xml(what: &str, bytes: &[u8]) -> Result<MyJvnStatus, FeedSyncError> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(bytes);
    let mut depth = 0usize;
    let mut roots = 0usize;
    let mut status: Option<MyJvnStatus> = None;
    loop {
        let pos = reader.buffer_position();
        let at = |m: String| FeedSyncError::invalid(what, format!("byte {pos}: {m}"));
        match reader
            .read_event()
            .map_err(|e| at(format!("invalid XML: {e}")))?
        {
            Event::DocType(_) => return Err(at("DOCTYPE declarations are not accepted".into())),
            Event::Start(e) | Event::Empty(e) if depth == 0 && roots > 0 => {
                let _ = e;
                return Err(at("more than one root element".into()));
            }
            ev @ (Event::Start(_) | Event::Empty(_)) => {
                let (e, empty) = match ev {
                    Event::Start(e) => (e, false),
                    Event::Empty(e) => (e, true),
                    _ => continue,
                };
                if depth == 0 {
                    roots += 1;
                }
                if e.local_name().as_ref() == "Status" {
                    status = Some(read_status(&e));
                }
                if !empty {
                    depth += 1;
                    if depth > MAX_XML_DEPTH {
                        return Err(at(format!("nested deeper than {MAX_XML_DEPTH} levels")));
                    }
                }
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Eof => break,
            _ => {}
        }
    }
    if depth != 0 || roots == 0 {
        return Err(FeedSyncError::invalid(
            what,
            "XML ends before its root element is closed",
        ));
    }
    status.ok_or_else(|| FeedSyncError::invalid(what, "no MyJVN <status:Status> element"))
}

fn read_status(e: &quick_xml::events::BytesStart) -> MyJvnStatus {
    let mut s = MyJvnStatus::default();
    // MyJVN has been seen to send unquoted attribute values; read them leniently.
    for a in e.html_attributes().flatten() {
        let value = a.value.trim().to_string();
        let num = || value.parse::<u64>().ok();
        match a.key.local_name().as_ref() {
            "retCd" => s.ret_cd = Some(value.clone()),
            "errCd" => s.err_cd = Some(value.clone()).filter(|v| !v.is_empty()),
            "errMsg" => s.err_msg = Some(value.clone()).filter(|v| !v.is_empty()),
            "totalRes" => s.total_res = num(),
            "totalResRet" => s.total_res_ret = num(),
            "firstRes" => s.first_res = num(),
            _ => {}
        }
    }
    s
}

/// Gunzip `src` into `dst` (created), refusing more than `max_out` bytes or a ratio over
/// [`MAX_COMPRESSION_RATIO`]. Returns the decompressed size.
pub fn gunzip_capped(
    src: &Path,
    dst: &Path,
    max_out: u64,
    what: &str,
) -> Result<u64, FeedSyncError> {
    let compressed = std::fs::metadata(src)
        .map_err(|e| FeedSyncError::io(src, e))?
        .len();
    let ratio_limit = compressed.max(1).saturating_mul(MAX_COMPRESSION_RATIO);
    let limit = max_out.min(ratio_limit);
    let input = std::fs::File::open(src).map_err(|e| FeedSyncError::io(src, e))?;
    let mut decoder = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(input));
    let mut out = std::fs::File::create(dst).map_err(|e| FeedSyncError::io(dst, e))?;
    let n = match copy_capped(&mut decoder, &mut out, limit, what, dst) {
        Err(FeedSyncError::TooLarge { .. }) if ratio_limit < max_out => {
            return Err(FeedSyncError::Ratio {
                what: what.to_string(),
                limit: MAX_COMPRESSION_RATIO,
            })
        }
        other => other?,
    };
    out.sync_all().map_err(|e| FeedSyncError::io(dst, e))?;
    Ok(n)
}

/// Copy at most `limit` bytes; exceeding it is an error ([`FeedSyncError::TooLarge`] naming `limit`).
fn copy_capped(
    r: &mut impl Read,
    w: &mut impl Write,
    limit: u64,
    what: &str,
    dst: &Path,
) -> Result<u64, FeedSyncError> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut total: u64 = 0;
    loop {
        let n = r
            .read(&mut buf)
            .map_err(|e| FeedSyncError::invalid(what, format!("cannot decompress: {e}")))?;
        if n == 0 {
            return Ok(total);
        }
        total += n as u64;
        if total > limit {
            return Err(FeedSyncError::TooLarge {
                what: what.to_string(),
                limit,
            });
        }
        w.write_all(buf.get(..n).unwrap_or(&[]))
            .map_err(|e| FeedSyncError::io(dst, e))?;
    }
}

/// Is `name` a plain file name we are willing to create (no path, no hidden file, no odd bytes)?
pub fn is_safe_file_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+'))
}

/// Extract an OSV `all.zip` (flat `ID.json` members) into the empty folder `dst`, checking every
/// member's name, size, ratio and JSON before writing it. Returns the number of records.
pub fn extract_osv_zip(src: &Path, dst: &Path, what: &str) -> Result<usize, FeedSyncError> {
    let f = std::fs::File::open(src).map_err(|e| FeedSyncError::io(src, e))?;
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(f))
        .map_err(|e| FeedSyncError::invalid(what, format!("not a zip archive: {e}")))?;
    if zip.len() > MAX_ZIP_MEMBERS {
        return Err(FeedSyncError::invalid(
            what,
            format!("more than {MAX_ZIP_MEMBERS} members"),
        ));
    }
    let mut total: u64 = 0;
    let mut records = 0usize;
    let mut buf = Vec::new();
    for i in 0..zip.len() {
        let mut member = zip
            .by_index(i)
            .map_err(|e| FeedSyncError::invalid(what, format!("member {i}: {e}")))?;
        let name = member
            .name()
            .map_err(|e| FeedSyncError::invalid(what, format!("member {i}: bad name: {e}")))?
            .to_string();
        let at = format!("{what}: {name}");
        if member.is_dir() {
            continue;
        }
        if !is_safe_file_name(&name) || !name.ends_with(".json") {
            return Err(FeedSyncError::invalid(
                &at,
                "unexpected member name (expected a flat ID.json)",
            ));
        }
        let declared = member.size();
        let compressed = member.compressed_size().max(1);
        if declared > MAX_ZIP_MEMBER_BYTES {
            return Err(FeedSyncError::TooLarge {
                what: at,
                limit: MAX_ZIP_MEMBER_BYTES,
            });
        }
        let ratio_cap = compressed.saturating_mul(MAX_COMPRESSION_RATIO);
        let cap = MAX_ZIP_MEMBER_BYTES.min(ratio_cap.max(4096));
        buf.clear();
        (&mut member)
            .take(cap + 1)
            .read_to_end(&mut buf)
            .map_err(|e| FeedSyncError::invalid(&at, format!("cannot decompress: {e}")))?;
        let n = buf.len() as u64;
        if n > cap {
            return Err(if cap < MAX_ZIP_MEMBER_BYTES {
                FeedSyncError::Ratio {
                    what: at,
                    limit: MAX_COMPRESSION_RATIO,
                }
            } else {
                FeedSyncError::TooLarge {
                    what: at,
                    limit: MAX_ZIP_MEMBER_BYTES,
                }
            });
        }
        total += n;
        if total > MAX_ZIP_TOTAL_BYTES {
            return Err(FeedSyncError::TooLarge {
                what: what.to_string(),
                limit: MAX_ZIP_TOTAL_BYTES,
            });
        }
        check_osv_json(&at, &buf)?;
        let out = dst.join(&name);
        std::fs::write(&out, &buf).map_err(|e| FeedSyncError::io(&out, e))?;
        records += 1;
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_files() {
        let d256 = "a".repeat(64);
        let d512 = "B".repeat(128);
        assert_eq!(
            parse_checksum_file(&format!("{d256}  file.json\n")),
            Ok((HashAlgorithm::Sha256, d256.clone()))
        );
        assert_eq!(
            parse_checksum_file(&d512),
            Ok((HashAlgorithm::Sha512, d512.to_lowercase()))
        );
        assert!(parse_checksum_file("").is_err());
        assert!(parse_checksum_file("xyz file").is_err());
        assert!(parse_checksum_file(&"a".repeat(40)).is_err());
    }

    #[test]
    fn json_shapes() {
        assert_eq!(
            check_kev_json("k", br#"{"vulnerabilities":[{},{}]}"#).unwrap(),
            2
        );
        assert!(check_kev_json("k", br#"{"vulnerabilities":[{},{}]"#).is_err());
        assert!(check_kev_json("k", b"<html>").is_err());
        let e = check_kev_json("kev.json", br#"{"vulnerabilities": 3}"#).unwrap_err();
        assert!(e.to_string().starts_with("kev.json: "), "{e}");
        assert!(check_csaf_json("c", br#"{"document":{}}"#).is_ok());
        assert!(check_csaf_json("c", br#"{"documents":{}}"#).is_err());
        assert!(check_osv_json("o", br#"{"id":"GO-1"}"#).is_ok());
        assert!(check_osv_json("o", br#"{"id":1}"#).is_err());
        let page = check_nvd_page(
            "n",
            br#"{"resultsPerPage":2,"startIndex":4,"totalResults":5,"vulnerabilities":[{}]}"#,
        )
        .unwrap();
        assert_eq!(
            page,
            NvdPage {
                start_index: 4,
                total_results: 5,
                returned: 1
            }
        );
        // Skipped content is walked without recursion: absurd nesting neither overflows the stack
        // nor is mistaken for malformed JSON (import's parsers apply their own depth limits).
        let deep = format!(
            "{{\"vulnerabilities\":[{}{}]}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert_eq!(check_kev_json("k", deep.as_bytes()).unwrap(), 1);
        let unbalanced = format!("{{\"vulnerabilities\":[{}]}}", "[".repeat(1000));
        assert!(check_kev_json("k", unbalanced.as_bytes()).is_err());
    }

    #[test]
    fn epss_head() {
        assert!(check_epss_head("e", b"#model_version:v2025.03.14,score_date:2025-03-20T00:00:00+0000\ncve,epss,percentile\n").is_ok());
        assert!(check_epss_head("e", b"cve,epss,percentile\nCVE-1,0.1,0.2\n").is_ok());
        assert!(check_epss_head("e", b"<html><body>maintenance</body></html>").is_err());
    }

    #[test]
    fn myjvn_xml() {
        let ok = br#"<?xml version="1.0"?><rdf:RDF xmlns:rdf="r" xmlns:status="s"><item/><status:Status retCd="0" totalRes="6" totalResRet="2" firstRes="1"/></rdf:RDF>"#;
        let s = check_myjvn_xml("j", ok).unwrap();
        assert_eq!(s.ret_cd.as_deref(), Some("0"));
        assert_eq!(
            (s.total_res, s.total_res_ret, s.first_res),
            (Some(6), Some(2), Some(1))
        );
        assert!(check_myjvn_xml("j", b"<a><b></a>").is_err());
        assert!(check_myjvn_xml("j", b"<a><b>").is_err());
        assert!(check_myjvn_xml("j", b"<a/><b/>").is_err());
        assert!(check_myjvn_xml("j", b"<a/>").is_err(), "no status element");
        assert!(check_myjvn_xml("j", b"<!DOCTYPE a [<!ENTITY x \"y\">]><a/>").is_err());
        let deep = format!("{}{}", "<a>".repeat(100), "</a>".repeat(100));
        assert!(check_myjvn_xml("j", deep.as_bytes()).is_err());
        let err = br#"<r><status:Status retCd="1" errCd="E" errMsg="bad parameter"/></r>"#;
        let s = check_myjvn_xml("j", err).unwrap();
        assert_eq!(s.err_msg.as_deref(), Some("bad parameter"));
    }

    #[test]
    fn file_names() {
        assert!(is_safe_file_name("GO-2020-0001.json"));
        assert!(is_safe_file_name("icsma-22-244-01.json"));
        assert!(!is_safe_file_name("../x.json"));
        assert!(!is_safe_file_name("a/b.json"));
        assert!(!is_safe_file_name(".hidden"));
        assert!(!is_safe_file_name(""));
    }

    #[test]
    fn gzip_bomb_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("bomb.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1024 * 1024];
        for _ in 0..20 {
            enc.write_all(&zeros).unwrap();
        }
        std::fs::write(&src, enc.finish().unwrap()).unwrap();
        let err = gunzip_capped(&src, &dir.path().join("out"), MAX_EPSS_CSV_BYTES, "bomb.gz")
            .unwrap_err();
        assert!(matches!(err, FeedSyncError::Ratio { .. }), "{err}");
        let err = gunzip_capped(&src, &dir.path().join("out"), 1000, "bomb.gz").unwrap_err();
        assert!(
            matches!(err, FeedSyncError::TooLarge { limit: 1000, .. }),
            "{err}"
        );
    }
}
