//! NVD CVE API 2.0 JSON: the paginated envelope and single CVE records.
//!
//! [`NvdStream`] reads an envelope from any [`Read`] and yields one [`CveRecord`] at a time: a small
//! byte scanner finds the top-level `vulnerabilities` array and cuts out one element at a time into a
//! reused buffer capped at [`MAX_RECORD_BYTES`], which serde_json then deserializes. Memory therefore
//! stays bounded by the largest record, never by the feed (the full NVD feed is several GB).

use mdsec_format_core::{
    check_json_depth, check_size, strip_bom, FormatError, Position, MAX_JSON_DEPTH,
};
use serde::{Deserialize, Serialize};
use std::io::Read;

/// Largest single `vulnerabilities[]` element accepted. The biggest real NVD records (thousands of
/// `cpeMatch` entries) are a few MB.
pub const MAX_RECORD_BYTES: usize = 16 * 1024 * 1024;
/// Largest in-memory document [`parse_nvd`] accepts. Larger feeds must go through [`NvdStream`].
pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024 * 1024;
/// Largest envelope value other than `vulnerabilities` we keep (e.g. `timestamp`); bigger ones are skipped.
pub const MAX_ENVELOPE_VALUE_BYTES: usize = 64 * 1024;
/// Largest object key in the envelope.
pub const MAX_KEY_BYTES: usize = 256;
/// Size of the read buffer of [`NvdStream`].
pub const READ_BUFFER_BYTES: usize = 64 * 1024;

/// Envelope fields of a CVE API 2.0 response page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NvdEnvelope {
    pub results_per_page: Option<u64>,
    pub start_index: Option<u64>,
    pub total_results: Option<u64>,
    pub format: Option<String>,
    pub version: Option<String>,
    pub timestamp: Option<String>,
}

/// An in-memory NVD document: an envelope page or one record.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NvdDocument {
    pub envelope: NvdEnvelope,
    pub vulnerabilities: Vec<CveRecord>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CveRecord {
    pub id: String,
    #[serde(default)]
    pub source_identifier: Option<String>,
    #[serde(default)]
    pub published: Option<String>,
    #[serde(default)]
    pub last_modified: Option<String>,
    #[serde(default)]
    pub vuln_status: Option<String>,
    #[serde(default)]
    pub evaluator_comment: Option<String>,
    #[serde(default)]
    pub evaluator_solution: Option<String>,
    #[serde(default)]
    pub evaluator_impact: Option<String>,
    #[serde(default)]
    pub vendor_comments: Vec<VendorComment>,
    #[serde(default)]
    pub cve_tags: Vec<CveTag>,
    #[serde(default)]
    pub descriptions: Vec<LangString>,
    #[serde(default)]
    pub metrics: Metrics,
    #[serde(default)]
    pub weaknesses: Vec<Weakness>,
    #[serde(default)]
    pub configurations: Vec<Configuration>,
    #[serde(default)]
    pub references: Vec<Reference>,
    #[serde(default)]
    pub cisa_exploit_add: Option<String>,
    #[serde(default)]
    pub cisa_action_due: Option<String>,
    #[serde(default)]
    pub cisa_required_action: Option<String>,
    #[serde(default)]
    pub cisa_vulnerability_name: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VendorComment {
    #[serde(default)]
    pub organization: Option<String>,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub last_modified: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CveTag {
    #[serde(default)]
    pub source_identifier: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LangString {
    pub lang: String,
    pub value: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metrics {
    #[serde(default)]
    pub cvss_metric_v2: Vec<CvssMetric>,
    #[serde(default)]
    pub cvss_metric_v30: Vec<CvssMetric>,
    #[serde(default)]
    pub cvss_metric_v31: Vec<CvssMetric>,
    #[serde(default)]
    pub cvss_metric_v40: Vec<CvssMetric>,
}

/// `Primary` is the NVD's own assessment; `Secondary` comes from a CNA or other source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum MetricType {
    Primary,
    Secondary,
    #[default]
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CvssMetric {
    #[serde(default)]
    pub source: Option<String>,
    #[serde(rename = "type", default)]
    pub metric_type: MetricType,
    pub cvss_data: CvssData,
    /// CVSS v2 carries the severity next to `cvssData` rather than inside it.
    #[serde(default)]
    pub base_severity: Option<String>,
    #[serde(default)]
    pub exploitability_score: Option<f64>,
    #[serde(default)]
    pub impact_score: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CvssData {
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub vector_string: Option<String>,
    #[serde(default)]
    pub base_score: Option<f64>,
    #[serde(default)]
    pub base_severity: Option<String>,
}

impl CvssMetric {
    /// Severity wherever this CVSS version keeps it.
    pub fn severity(&self) -> Option<&str> {
        self.cvss_data
            .base_severity
            .as_deref()
            .or(self.base_severity.as_deref())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Weakness {
    #[serde(default)]
    pub source: Option<String>,
    #[serde(rename = "type", default)]
    pub weakness_type: Option<String>,
    #[serde(default)]
    pub description: Vec<LangString>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Operator {
    #[serde(rename = "AND")]
    And,
    #[serde(rename = "OR")]
    Or,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Configuration {
    /// Joins the nodes; absent means a single node (or OR).
    #[serde(default)]
    pub operator: Option<Operator>,
    #[serde(default)]
    pub negate: bool,
    #[serde(default)]
    pub nodes: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Node {
    pub operator: Operator,
    #[serde(default)]
    pub negate: bool,
    #[serde(default)]
    pub cpe_match: Vec<CpeMatch>,
}

/// One CPE match criterion. `criteria` is kept as the CPE 2.3 string; parsing it is mdsec-ids' job.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CpeMatch {
    pub vulnerable: bool,
    pub criteria: String,
    #[serde(default)]
    pub match_criteria_id: Option<String>,
    #[serde(default)]
    pub version_start_including: Option<String>,
    #[serde(default)]
    pub version_start_excluding: Option<String>,
    #[serde(default)]
    pub version_end_including: Option<String>,
    #[serde(default)]
    pub version_end_excluding: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    pub url: String,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
}

impl CveRecord {
    /// Description in `lang` (e.g. `en`), else the first one.
    pub fn description(&self, lang: &str) -> Option<&str> {
        self.descriptions
            .iter()
            .find(|d| d.lang == lang)
            .or_else(|| self.descriptions.first())
            .map(|d| d.value.as_str())
    }

    /// CWE ids named in `weaknesses` (`CWE-79`), deduplicated, in order. `NVD-CWE-Other` and
    /// `NVD-CWE-noinfo` are not CWE ids and are left out.
    pub fn cwe_ids(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for d in self.weaknesses.iter().flat_map(|w| w.description.iter()) {
            if d.value.starts_with("CWE-") && !out.contains(&d.value.as_str()) {
                out.push(&d.value);
            }
        }
        out
    }

    /// The most recent CVSS version present, preferring the `Primary` metric within a version.
    pub fn best_cvss(&self) -> Option<&CvssMetric> {
        let m = &self.metrics;
        [
            &m.cvss_metric_v40,
            &m.cvss_metric_v31,
            &m.cvss_metric_v30,
            &m.cvss_metric_v2,
        ]
        .into_iter()
        .find(|v| !v.is_empty())
        .and_then(|v| {
            v.iter()
                .find(|x| x.metric_type == MetricType::Primary)
                .or_else(|| v.first())
        })
    }

    /// Every CPE match criterion in every configuration.
    pub fn cpe_matches(&self) -> impl Iterator<Item = &CpeMatch> {
        self.configurations
            .iter()
            .flat_map(|c| c.nodes.iter())
            .flat_map(|n| n.cpe_match.iter())
    }

    /// Whether CISA lists this CVE as known exploited (the NVD copies the KEV date here).
    pub fn in_cisa_kev(&self) -> bool {
        self.cisa_exploit_add.is_some()
    }
}

#[derive(Deserialize)]
struct Wrapper {
    cve: CveRecord,
}

fn validate(rec: &CveRecord, at: &str) -> Result<(), FormatError> {
    if !crate::is_cve_id(&rec.id) {
        return Err(FormatError::new(
            format!(
                "`{}` is not a CVE id (CVE-YYYY-NNNN)",
                truncate(&rec.id, 64)
            ),
            Position::path(format!("{at}/id")),
        ));
    }
    Ok(())
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// Parse an NVD document held in memory: a CVE API 2.0 page (`{resultsPerPage, …, vulnerabilities}`),
/// one element of it (`{"cve": {…}}`), or a bare CVE object (`{"id": "CVE-…", …}`).
pub fn parse_nvd(file_name: &str, bytes: &[u8]) -> Result<NvdDocument, FormatError> {
    let run = || -> Result<NvdDocument, FormatError> {
        check_size(bytes.len(), MAX_DOCUMENT_BYTES, "NVD document")?;
        let body = strip_bom(bytes);
        if has_top_level_key(body, b"vulnerabilities") {
            let mut stream = NvdStream::new(body);
            let mut vulnerabilities = Vec::new();
            for rec in &mut stream {
                vulnerabilities.push(rec?);
            }
            return Ok(NvdDocument {
                envelope: stream.envelope().clone(),
                vulnerabilities,
            });
        }
        check_json_depth(body, MAX_JSON_DEPTH)?;
        let value: serde_json::Value =
            serde_json::from_slice(body).map_err(|e| FormatError::from_json(&e))?;
        let (cve, at) = match value.get("cve") {
            Some(c) => (c.clone(), "/cve"),
            None => (value, ""),
        };
        let rec: CveRecord = serde_json::from_value(cve).map_err(|e| {
            FormatError::new(format!("not an NVD CVE record: {e}"), Position::path(at))
        })?;
        validate(&rec, at)?;
        Ok(NvdDocument {
            envelope: NvdEnvelope::default(),
            vulnerabilities: vec![rec],
        })
    };
    run().map_err(|e| e.in_file(file_name))
}

/// Cheap check for a top-level object key without parsing: scans at depth 1 only.
fn has_top_level_key(body: &[u8], key: &[u8]) -> bool {
    let mut depth = 0usize;
    let mut i = 0usize;
    while let Some(&b) = body.get(i) {
        match b {
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while let Some(&c) = body.get(j) {
                    if c == b'\\' {
                        j += 2;
                        continue;
                    }
                    if c == b'"' {
                        break;
                    }
                    j += 1;
                }
                if depth == 1 && body.get(start..j) == Some(key) {
                    return true;
                }
                i = j + 1;
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    false
}

/// Scanner states of [`NvdStream`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the top-level `{`.
    Start,
    /// Inside the top-level object, expecting a key, `,` or `}`.
    TopKey,
    /// After a key, expecting `:`.
    TopColon,
    /// Expecting a top-level value.
    TopValue,
    /// Inside `vulnerabilities`, expecting an element or `]`.
    ArrayElem,
    /// After an element, expecting `,` or `]`.
    ArraySep,
    /// After the top-level `}`.
    Done,
    /// An error was returned; the stream yields nothing more.
    Failed,
}

/// Streams the `vulnerabilities` of a CVE API 2.0 response from a reader in constant memory.
///
/// Envelope fields that come before the array are available from [`NvdStream::envelope`] once the
/// first record has been read; fields after it once the iterator has ended.
pub struct NvdStream<R: Read> {
    reader: R,
    buf: Box<[u8]>,
    pos: usize,
    len: usize,
    eof: bool,
    line: u64,
    col: u64,
    state: State,
    key: Vec<u8>,
    record: Vec<u8>,
    envelope: NvdEnvelope,
    seen_array: bool,
    index: u64,
}

impl<R: Read> NvdStream<R> {
    pub fn new(reader: R) -> Self {
        NvdStream {
            reader,
            buf: vec![0u8; READ_BUFFER_BYTES].into_boxed_slice(),
            pos: 0,
            len: 0,
            eof: false,
            line: 1,
            col: 0,
            state: State::Start,
            key: Vec::new(),
            record: Vec::new(),
            envelope: NvdEnvelope::default(),
            seen_array: false,
            index: 0,
        }
    }

    pub fn envelope(&self) -> &NvdEnvelope {
        &self.envelope
    }

    /// Bytes currently held by the stream's buffers (read buffer plus record buffer capacity).
    /// Bounded by [`READ_BUFFER_BYTES`] + [`MAX_RECORD_BYTES`] whatever the feed's size.
    pub fn buffered_capacity(&self) -> usize {
        self.buf.len() + self.record.capacity() + self.key.capacity()
    }

    /// Records yielded so far.
    pub fn records_read(&self) -> u64 {
        self.index
    }

    fn err(&self, msg: impl Into<String>) -> FormatError {
        FormatError::at_line(msg, self.line, self.col)
    }

    fn fill(&mut self) -> Result<bool, FormatError> {
        if self.pos < self.len {
            return Ok(true);
        }
        if self.eof {
            return Ok(false);
        }
        loop {
            match self.reader.read(&mut self.buf) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.pos = 0;
                    self.len = n;
                    return Ok(true);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.err(format!("read error: {e}"))),
            }
        }
    }

    fn advance(&mut self, b: u8) {
        self.pos += 1;
        if b == b'\n' {
            self.line += 1;
            self.col = 0;
        } else {
            self.col += 1;
        }
    }

    /// Next byte that is not JSON whitespace, consumed.
    fn next_token_byte(&mut self) -> Result<Option<u8>, FormatError> {
        loop {
            if !self.fill()? {
                return Ok(None);
            }
            let b = self.buf.get(self.pos).copied().unwrap_or(b' ');
            self.advance(b);
            if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                return Ok(Some(b));
            }
        }
    }

    /// Read the rest of a string whose opening quote was consumed, keeping at most `cap` bytes in `out`.
    /// Returns false if the string was longer than `cap` (it is still consumed).
    fn read_string(&mut self, out: &mut Vec<u8>, cap: usize) -> Result<bool, FormatError> {
        let mut escaped = false;
        let mut fits = true;
        loop {
            if !self.fill()? {
                return Err(self.err("unterminated string"));
            }
            let b = self.buf.get(self.pos).copied().unwrap_or(0);
            self.advance(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                return Ok(fits);
            }
            if out.len() < cap {
                out.push(b);
            } else {
                fits = false;
            }
        }
    }

    /// Capture one JSON value whose first byte `first` was consumed into `self.record`, up to `cap`
    /// bytes. Returns false when it was longer than `cap`: then it is skipped to its end if `skip`,
    /// else abandoned at once.
    fn capture_value(&mut self, first: u8, cap: usize, skip: bool) -> Result<bool, FormatError> {
        self.record.clear();
        self.record.push(first);
        let mut fits = true;
        let (mut depth, mut in_string) = match first {
            b'{' | b'[' => (1usize, false),
            b'"' => (0, true),
            _ => (0, false),
        };
        let mut escaped = false;
        if depth == 0 && !in_string {
            // A scalar: read until a delimiter, without consuming it.
            loop {
                if !self.fill()? {
                    return Ok(fits);
                }
                let b = self.buf.get(self.pos).copied().unwrap_or(b' ');
                if matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                    return Ok(fits);
                }
                self.advance(b);
                if self.record.len() < cap {
                    self.record.push(b);
                } else {
                    fits = false;
                }
            }
        }
        loop {
            if !self.fill()? {
                return Err(self.err("unexpected end of input inside a value"));
            }
            // Scan the buffered slice in a tight loop, then copy the consumed part at once.
            let start = self.pos;
            let mut end_at = None;
            let slice = self.buf.get(start..self.len).unwrap_or(&[]);
            let mut newlines = 0u64;
            let mut last_nl = None;
            for (i, &b) in slice.iter().enumerate() {
                if b == b'\n' {
                    newlines += 1;
                    last_nl = Some(i);
                }
                if in_string {
                    if escaped {
                        escaped = false;
                    } else if b == b'\\' {
                        escaped = true;
                    } else if b == b'"' {
                        in_string = false;
                        if depth == 0 {
                            end_at = Some(i);
                            break;
                        }
                    }
                    continue;
                }
                match b {
                    b'"' => in_string = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            end_at = Some(i);
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let consumed = end_at.map(|i| i + 1).unwrap_or(slice.len());
            let part = slice.get(..consumed).unwrap_or(&[]);
            let need = self.record.len() + part.len();
            if fits && need <= cap {
                if need > self.record.capacity() {
                    // Grow geometrically but never past `cap`, so the buffer stays within the limit.
                    let target = need.max(self.record.capacity().saturating_mul(2)).min(cap);
                    self.record.reserve_exact(target - self.record.len());
                }
                self.record.extend_from_slice(part);
            } else {
                fits = false;
                self.record.clear();
                self.record.shrink_to(READ_BUFFER_BYTES);
                if !skip {
                    return Ok(false);
                }
            }
            self.pos = start + consumed;
            self.line += newlines;
            match last_nl {
                Some(nl) if nl < consumed => self.col = (consumed - nl - 1) as u64,
                _ => self.col += consumed as u64,
            }
            if end_at.is_some() {
                return Ok(fits);
            }
        }
    }

    fn set_envelope_field(&mut self) {
        let v: serde_json::Value = match serde_json::from_slice(&self.record) {
            Ok(v) => v,
            Err(_) => return,
        };
        let e = &mut self.envelope;
        match self.key.as_slice() {
            b"resultsPerPage" => e.results_per_page = v.as_u64(),
            b"startIndex" => e.start_index = v.as_u64(),
            b"totalResults" => e.total_results = v.as_u64(),
            b"format" => e.format = v.as_str().map(str::to_string),
            b"version" => e.version = v.as_str().map(str::to_string),
            b"timestamp" => e.timestamp = v.as_str().map(str::to_string),
            _ => {}
        }
    }

    fn step(&mut self) -> Result<Option<CveRecord>, FormatError> {
        loop {
            match self.state {
                State::Done | State::Failed => return Ok(None),
                State::Start => {
                    // Skip a UTF-8 BOM if present.
                    if self.fill()?
                        && self.buf.get(self.pos..self.pos + 3) == Some(&[0xEF, 0xBB, 0xBF][..])
                    {
                        self.pos += 3;
                    }
                    match self.next_token_byte()? {
                        Some(b'{') => self.state = State::TopKey,
                        Some(_) => {
                            return Err(self.err("an NVD API response must be a JSON object"))
                        }
                        None => return Err(self.err("empty document")),
                    }
                }
                State::TopKey => match self.next_token_byte()? {
                    Some(b',') => {}
                    Some(b'}') => {
                        self.state = State::Done;
                        if !self.seen_array {
                            return Err(self.err("no `vulnerabilities` array in this NVD response"));
                        }
                        if let Some(b) = self.next_token_byte()? {
                            return Err(self.err(format!(
                                "trailing data after the document: `{}`",
                                b as char
                            )));
                        }
                        return Ok(None);
                    }
                    Some(b'"') => {
                        let mut key = std::mem::take(&mut self.key);
                        key.clear();
                        let fits = self.read_string(&mut key, MAX_KEY_BYTES)?;
                        if !fits {
                            key.clear();
                        }
                        self.key = key;
                        self.state = State::TopColon;
                    }
                    Some(b) => {
                        return Err(
                            self.err(format!("expected an object key, found `{}`", b as char))
                        )
                    }
                    None => return Err(self.err("unexpected end of input in the NVD envelope")),
                },
                State::TopColon => match self.next_token_byte()? {
                    Some(b':') => self.state = State::TopValue,
                    _ => return Err(self.err("expected `:` after an object key")),
                },
                State::TopValue => {
                    let first = match self.next_token_byte()? {
                        Some(b) => b,
                        None => return Err(self.err("unexpected end of input in the NVD envelope")),
                    };
                    if self.key == b"vulnerabilities" {
                        if first != b'[' {
                            return Err(self.err("`vulnerabilities` must be an array"));
                        }
                        if self.seen_array {
                            return Err(self.err("`vulnerabilities` appears twice"));
                        }
                        self.seen_array = true;
                        self.state = State::ArrayElem;
                        continue;
                    }
                    if self.capture_value(first, MAX_ENVELOPE_VALUE_BYTES, true)? {
                        self.set_envelope_field();
                    }
                    self.record.clear();
                    self.state = State::TopKey;
                }
                State::ArrayElem | State::ArraySep => {
                    let b = match self.next_token_byte()? {
                        Some(b) => b,
                        None => {
                            return Err(self.err("unexpected end of input in `vulnerabilities`"))
                        }
                    };
                    if b == b']' {
                        self.state = State::TopKey;
                        continue;
                    }
                    if self.state == State::ArraySep {
                        if b != b',' {
                            return Err(self.err(format!(
                                "expected `,` or `]` in `vulnerabilities`, found `{}`",
                                b as char
                            )));
                        }
                        self.state = State::ArrayElem;
                        continue;
                    }
                    if b != b'{' {
                        return Err(self.err("each `vulnerabilities` element must be an object"));
                    }
                    let (line, col) = (self.line, self.col);
                    let at = format!("/vulnerabilities/{}", self.index);
                    if !self.capture_value(b, MAX_RECORD_BYTES, false)? {
                        return Err(FormatError::new(
                            format!("record is over the limit of {MAX_RECORD_BYTES} bytes"),
                            Position {
                                line: Some(line),
                                column: Some(col),
                                path: Some(at),
                                ..Default::default()
                            },
                        ));
                    }
                    let rec = self.decode_record(line, col, &at)?;
                    self.record.clear();
                    if self.record.capacity() > 4 * READ_BUFFER_BYTES {
                        // One huge record must not pin its buffer for the rest of the feed.
                        self.record.shrink_to(READ_BUFFER_BYTES);
                    }
                    self.index += 1;
                    self.state = State::ArraySep;
                    return Ok(Some(rec));
                }
            }
        }
    }

    fn decode_record(&self, line: u64, col: u64, at: &str) -> Result<CveRecord, FormatError> {
        let place = |l: u64, c: u64, msg: String| {
            let (l2, c2) = if l <= 1 {
                (line, col + c.saturating_sub(1))
            } else {
                (line + l - 1, c)
            };
            FormatError::new(
                msg,
                Position {
                    line: Some(l2),
                    column: Some(c2),
                    path: Some(at.to_string()),
                    ..Default::default()
                },
            )
        };
        if let Err(e) = check_json_depth(&self.record, MAX_JSON_DEPTH) {
            let (l, c) = (e.position.line.unwrap_or(1), e.position.column.unwrap_or(0));
            return Err(place(l, c, e.message));
        }
        let w: Wrapper = serde_json::from_slice(&self.record).map_err(|e| {
            let f = FormatError::from_json(&e);
            place(e.line() as u64, e.column() as u64, f.message)
        })?;
        validate(&w.cve, &format!("{at}/cve"))?;
        Ok(w.cve)
    }
}

impl<R: Read> Iterator for NvdStream<R> {
    type Item = Result<CveRecord, FormatError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.step() {
            Ok(Some(r)) => Some(Ok(r)),
            Ok(None) => None,
            Err(e) => {
                self.state = State::Failed;
                Some(Err(e))
            }
        }
    }
}

/// Synthetic CVE API 2.0 feeds for tests and benchmarks: generated on the fly, never stored.
#[doc(hidden)]
pub mod testgen {
    use std::io::Read;

    /// A reader producing an envelope with `n_records` distinct, realistic records (about 2 KB each).
    pub fn generate_feed(n_records: u64) -> impl Read {
        FeedGen {
            n: n_records,
            i: 0,
            stage: 0,
            chunk: Vec::new(),
            off: 0,
        }
    }

    /// One generated record (the `{"cve": …}` element) as JSON text.
    pub fn record_json(i: u64) -> String {
        let year = 2000 + (i % 25);
        let score = (i % 100) as f64 / 10.0;
        format!(
            r#"{{"cve":{{"id":"CVE-{year}-{num:05}","sourceIdentifier":"cna@example.org","published":"2024-01-02T03:04:05.678","lastModified":"2024-02-03T04:05:06.789","vulnStatus":"Analyzed","cveTags":[],"descriptions":[{{"lang":"en","value":"Synthetic vulnerability {i} in Example Product allows a remote attacker to do things \"quoted\" and \\ escaped."}},{{"lang":"es","value":"Vulnerabilidad sintética {i}."}}],"metrics":{{"cvssMetricV31":[{{"source":"nvd@nist.gov","type":"Primary","cvssData":{{"version":"3.1","vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H","baseScore":{score:.1},"baseSeverity":"HIGH","attackVector":"NETWORK","attackComplexity":"LOW","privilegesRequired":"NONE","userInteraction":"NONE","scope":"UNCHANGED","confidentialityImpact":"HIGH","integrityImpact":"HIGH","availabilityImpact":"HIGH"}},"exploitabilityScore":3.9,"impactScore":5.9}}],"cvssMetricV2":[{{"source":"nvd@nist.gov","type":"Primary","cvssData":{{"version":"2.0","vectorString":"AV:N/AC:L/Au:N/C:P/I:P/A:P","baseScore":7.5,"accessVector":"NETWORK","accessComplexity":"LOW","authentication":"NONE","confidentialityImpact":"PARTIAL","integrityImpact":"PARTIAL","availabilityImpact":"PARTIAL"}},"baseSeverity":"HIGH","exploitabilityScore":10.0,"impactScore":6.4,"acInsufInfo":false,"obtainAllPrivilege":false,"obtainUserPrivilege":false,"obtainOtherPrivilege":false,"userInteractionRequired":false}}]}},"weaknesses":[{{"source":"nvd@nist.gov","type":"Primary","description":[{{"lang":"en","value":"CWE-{cwe}"}}]}}],"configurations":[{{"operator":"AND","nodes":[{{"operator":"OR","negate":false,"cpeMatch":[{{"vulnerable":true,"criteria":"cpe:2.3:a:example:product_{p}:*:*:*:*:*:*:*:*","versionStartIncluding":"1.0","versionEndExcluding":"2.{i}","matchCriteriaId":"00000000-0000-4000-8000-{i:012}"}}]}},{{"operator":"OR","negate":false,"cpeMatch":[{{"vulnerable":false,"criteria":"cpe:2.3:o:example:os:-:*:*:*:*:*:*:*","matchCriteriaId":"11111111-0000-4000-8000-{i:012}"}}]}}]}}],"references":[{{"url":"https://example.org/advisory/{i}","source":"cna@example.org","tags":["Vendor Advisory","Patch"]}},{{"url":"https://example.org/blog/{i}","source":"cna@example.org"}}]}}}}"#,
            num = 10000 + i,
            cwe = 20 + i % 900,
            p = i % 97,
        )
    }

    struct FeedGen {
        n: u64,
        i: u64,
        stage: u8,
        chunk: Vec<u8>,
        off: usize,
    }

    impl Read for FeedGen {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            loop {
                if self.off < self.chunk.len() {
                    let rest = self.chunk.get(self.off..).unwrap_or(&[]);
                    let k = rest.len().min(out.len());
                    out.get_mut(..k)
                        .unwrap_or(&mut [])
                        .copy_from_slice(rest.get(..k).unwrap_or(&[]));
                    self.off += k;
                    return Ok(k);
                }
                self.chunk.clear();
                self.off = 0;
                match self.stage {
                    0 => {
                        self.chunk.extend_from_slice(
                            format!(
                                "{{\"resultsPerPage\":{n},\"startIndex\":0,\"totalResults\":{n},\"format\":\"NVD_CVE\",\"version\":\"2.0\",\"timestamp\":\"2025-01-01T00:00:00.000\",\"vulnerabilities\":[\n",
                                n = self.n
                            )
                            .as_bytes(),
                        );
                        self.stage = 1;
                    }
                    1 if self.i < self.n => {
                        if self.i > 0 {
                            self.chunk.extend_from_slice(b",\n");
                        }
                        self.chunk.extend_from_slice(record_json(self.i).as_bytes());
                        self.i += 1;
                    }
                    1 => {
                        self.chunk.extend_from_slice(b"\n]}\n");
                        self.stage = 2;
                    }
                    _ => return Ok(0),
                }
            }
        }
    }
}
