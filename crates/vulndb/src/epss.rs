//! FIRST EPSS daily scores CSV (`epss_scores-YYYY-MM-DD.csv`, after gunzip).
//!
//! ```text
//! #model_version:v2025.03.14,score_date:2025-03-20T00:00:00+0000
//! cve,epss,percentile
//! CVE-1999-0001,0.01141,0.77910
//! ```
//! [`EpssStream`] reads rows one at a time from any [`BufRead`]; [`parse_epss`] collects them.

use mdsec_format_core::{check_size, FormatError, Position};
use serde::Serialize;
use std::io::{BufRead, Read};

/// Longest line accepted (real lines are about 30 bytes).
pub const MAX_EPSS_LINE_BYTES: usize = 4096;
/// Most rows [`parse_epss`] collects in memory (the daily file has about 300,000).
pub const MAX_EPSS_ROWS: usize = 2_000_000;
/// Largest in-memory document [`parse_epss`] accepts.
pub const MAX_EPSS_BYTES: usize = 256 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EpssRow {
    pub cve: String,
    /// Probability of exploitation activity in the next 30 days, 0..=1.
    pub epss: f64,
    /// Rank among all scored CVEs, 0..=1.
    pub percentile: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EpssFile {
    pub model_version: Option<String>,
    pub score_date: Option<String>,
    pub rows: Vec<EpssRow>,
}

/// Streams EPSS rows from a reader; the comment line and header are read by [`EpssStream::new`].
pub struct EpssStream<R: BufRead> {
    reader: R,
    line: Vec<u8>,
    line_no: u64,
    pub model_version: Option<String>,
    pub score_date: Option<String>,
    cols: [usize; 3],
    failed: bool,
}

impl<R: BufRead> EpssStream<R> {
    pub fn new(reader: R) -> Result<Self, FormatError> {
        let mut s = EpssStream {
            reader,
            line: Vec::with_capacity(128),
            line_no: 0,
            model_version: None,
            score_date: None,
            cols: [0, 1, 2],
            failed: false,
        };
        loop {
            if !s.read_line()? {
                return Err(FormatError::at_line(
                    "no `cve,epss,percentile` header",
                    s.line_no,
                    1,
                ));
            }
            let text = s.text()?.trim().to_string();
            if let Some(meta) = text.strip_prefix('#') {
                for part in meta.split(',') {
                    match part.split_once(':') {
                        Some(("model_version", v)) => s.model_version = Some(v.trim().to_string()),
                        Some(("score_date", v)) => s.score_date = Some(v.trim().to_string()),
                        _ => {}
                    }
                }
                continue;
            }
            if text.is_empty() {
                continue;
            }
            let names: Vec<&str> = text.split(',').map(str::trim).collect();
            for (slot, want) in s.cols.iter_mut().zip(["cve", "epss", "percentile"]) {
                *slot = names
                    .iter()
                    .position(|n| n.eq_ignore_ascii_case(want))
                    .ok_or_else(|| {
                        FormatError::at_line(
                            format!("EPSS header lacks column `{want}`"),
                            s.line_no,
                            1,
                        )
                    })?;
            }
            return Ok(s);
        }
    }

    /// Read one line into `self.line` (without the newline). False at end of input.
    fn read_line(&mut self) -> Result<bool, FormatError> {
        self.line.clear();
        self.line_no += 1;
        let limit = (MAX_EPSS_LINE_BYTES + 1) as u64;
        let n = (&mut self.reader)
            .take(limit)
            .read_until(b'\n', &mut self.line)
            .map_err(|e| FormatError::at_line(format!("read error: {e}"), self.line_no, 1))?;
        if n == 0 {
            return Ok(false);
        }
        if self.line.last() == Some(&b'\n') {
            self.line.pop();
        } else if n as u64 == limit {
            return Err(FormatError::at_line(
                format!("line is longer than {MAX_EPSS_LINE_BYTES} bytes"),
                self.line_no,
                1,
            ));
        }
        if self.line.last() == Some(&b'\r') {
            self.line.pop();
        }
        if self.line_no == 1 && self.line.starts_with(&[0xEF, 0xBB, 0xBF]) {
            self.line.drain(..3);
        }
        Ok(true)
    }

    fn text(&self) -> Result<&str, FormatError> {
        std::str::from_utf8(&self.line).map_err(|e| {
            FormatError::at_line("invalid UTF-8", self.line_no, e.valid_up_to() as u64 + 1)
        })
    }

    fn row(&self) -> Result<EpssRow, FormatError> {
        let text = self.text()?;
        let fields: Vec<&str> = text.split(',').collect();
        let field = |k: usize, name: &str| -> Result<&str, FormatError> {
            self.cols
                .get(k)
                .and_then(|&c| fields.get(c))
                .map(|s| s.trim())
                .ok_or_else(|| {
                    FormatError::at_line(format!("missing `{name}` field"), self.line_no, 1)
                })
        };
        let cve = field(0, "cve")?;
        if !crate::is_cve_id(cve) {
            return Err(FormatError::at_line(
                format!("`{cve}` is not a CVE id"),
                self.line_no,
                1,
            ));
        }
        let prob = |k: usize, name: &str| -> Result<f64, FormatError> {
            let s = field(k, name)?;
            match s.parse::<f64>() {
                Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
                _ => Err(FormatError::at_line(
                    format!("`{name}` must be a number in 0..1, found `{s}`"),
                    self.line_no,
                    1,
                )),
            }
        };
        Ok(EpssRow {
            cve: cve.to_string(),
            epss: prob(1, "epss")?,
            percentile: prob(2, "percentile")?,
        })
    }
}

impl<R: BufRead> Iterator for EpssStream<R> {
    type Item = Result<EpssRow, FormatError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        loop {
            match self.read_line() {
                Ok(false) => return None,
                Ok(true) if self.line.iter().all(|b| b.is_ascii_whitespace()) => continue,
                Ok(true) => {
                    let r = self.row();
                    self.failed = r.is_err();
                    return Some(r);
                }
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

/// Parse a whole EPSS CSV held in memory.
pub fn parse_epss(file_name: &str, bytes: &[u8]) -> Result<EpssFile, FormatError> {
    let run = || -> Result<EpssFile, FormatError> {
        check_size(bytes.len(), MAX_EPSS_BYTES, "EPSS file")?;
        let mut stream = EpssStream::new(bytes)?;
        let mut rows = Vec::new();
        for r in &mut stream {
            if rows.len() >= MAX_EPSS_ROWS {
                return Err(FormatError::new(
                    format!("over the limit of {MAX_EPSS_ROWS} rows"),
                    Position::default(),
                ));
            }
            rows.push(r?);
        }
        Ok(EpssFile {
            model_version: stream.model_version.take(),
            score_date: stream.score_date.take(),
            rows,
        })
    };
    run().map_err(|e| e.in_file(file_name))
}
