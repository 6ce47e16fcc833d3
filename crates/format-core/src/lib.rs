//! Shared vocabulary of mdsec's parsers.
//!
//! Owns: [`Position`] (where in a document), [`Diagnostic`] (a spec violation we could read past),
//! [`FormatError`] (why a document was rejected) and guards every parser runs before it trusts input
//! ([`check_size`], [`check_json_depth`]). Invariant: no I/O; parsers receive bytes and a display name.

// A `FormatError` is returned at most once per document, so its size (it carries a full `Position`)
// costs nothing that matters; boxing it would make every parser's error handling noisier.
#![allow(clippy::result_large_err)]

use serde::Serialize;
use std::fmt;

/// Where in a document something was found. Every field is optional because formats differ:
/// JSON has a pointer and line/column, a spreadsheet has sheet/row/column, a CSV has a row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Position {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u64>,
    /// JSON pointer (`/vulnerabilities/0/cve`) or XPath-like path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<u64>,
    /// Spreadsheet column name (e.g. `C`) or header text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cell: Option<String>,
}

impl Position {
    pub fn line_col(line: u64, column: u64) -> Self {
        Position {
            line: Some(line),
            column: Some(column),
            ..Default::default()
        }
    }
    pub fn path(path: impl Into<String>) -> Self {
        Position {
            path: Some(path.into()),
            ..Default::default()
        }
    }
    pub fn row(row: u64) -> Self {
        Position {
            row: Some(row),
            ..Default::default()
        }
    }
    pub fn is_empty(&self) -> bool {
        *self == Position::default()
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(s) = &self.sheet {
            parts.push(format!("sheet {s}"));
        }
        if let Some(r) = self.row {
            parts.push(format!("row {r}"));
        }
        if let Some(c) = &self.cell {
            parts.push(format!("column {c}"));
        }
        if let Some(l) = self.line {
            parts.push(format!("line {l}"));
        }
        if let Some(c) = self.column {
            parts.push(format!("column {c}"));
        }
        if let Some(p) = &self.path {
            parts.push(format!("at {p}"));
        }
        f.write_str(&parts.join(", "))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

/// A spec violation that did not stop us reading the data. `--strict` turns these into rejection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable short code, e.g. `csaf-6.1.31` or `cyclonedx-schema`.
    pub code: String,
    pub message: String,
    pub position: Position,
}

impl Diagnostic {
    pub fn warning(
        code: impl Into<String>,
        message: impl Into<String>,
        position: Position,
    ) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            code: code.into(),
            message: message.into(),
            position,
        }
    }
    pub fn error(code: impl Into<String>, message: impl Into<String>, position: Position) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code: code.into(),
            message: message.into(),
            position,
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} [{}] {}", self.severity, self.code, self.message)?;
        if !self.position.is_empty() {
            write!(f, " ({})", self.position)?;
        }
        Ok(())
    }
}

/// Why a document was rejected. The caller adds the file name with [`FormatError::in_file`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}{}", file.as_ref().map(|f| format!("{f}: ")).unwrap_or_default(), if position.is_empty() { String::new() } else { format!(" ({position})") })]
pub struct FormatError {
    pub file: Option<String>,
    pub message: String,
    pub position: Position,
}

impl FormatError {
    pub fn new(message: impl Into<String>, position: Position) -> Self {
        FormatError {
            file: None,
            message: message.into(),
            position,
        }
    }
    pub fn at_line(message: impl Into<String>, line: u64, column: u64) -> Self {
        Self::new(message, Position::line_col(line, column))
    }
    pub fn in_file(mut self, file: impl Into<String>) -> Self {
        self.file = Some(file.into());
        self
    }
    /// Convert a serde_json error keeping its line and column.
    pub fn from_json(err: &serde_json::Error) -> Self {
        let msg = err.to_string();
        // serde_json appends " at line L column C"; keep the message without it.
        let message = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        Self::at_line(
            format!("invalid JSON: {message}"),
            err.line() as u64,
            err.column() as u64,
        )
    }
}

/// Reject documents larger than `limit` bytes before parsing them.
pub fn check_size(len: usize, limit: usize, what: &str) -> Result<(), FormatError> {
    if len > limit {
        return Err(FormatError::new(
            format!("{what} is {len} bytes, over the limit of {limit} bytes"),
            Position::default(),
        ));
    }
    Ok(())
}

/// Maximum JSON nesting any mdsec parser accepts. serde_json's own limit is 128; we check first so the
/// error names the place, and so that formats parsed into `Value` stay stack-safe.
pub const MAX_JSON_DEPTH: usize = 64;

/// Scan JSON bytes (without parsing them) and reject nesting deeper than `max_depth`, naming the line.
/// Strings are skipped correctly, so brackets inside strings do not count.
pub fn check_json_depth(bytes: &[u8], max_depth: usize) -> Result<(), FormatError> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut line = 1u64;
    let mut col = 0u64;
    for &b in bytes {
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
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max_depth {
                    return Err(FormatError::at_line(
                        format!("JSON nested deeper than {max_depth} levels"),
                        line,
                        col,
                    ));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Strip a UTF-8 byte-order mark if present.
pub fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_guard_names_line() {
        let deep = "[".repeat(100);
        let err = check_json_depth(deep.as_bytes(), 64).unwrap_err();
        assert_eq!(err.position.line, Some(1));
        assert_eq!(err.position.column, Some(65));
        assert!(check_json_depth(br#"{"a":"[[[[[[[[[["}"#, 3).is_ok());
        assert!(check_json_depth(br#"{"a":"\"[[[["}"#, 3).is_ok());
    }

    #[test]
    fn error_display_names_file_and_place() {
        let e = FormatError::at_line("bad", 3, 7).in_file("x.json");
        assert_eq!(e.to_string(), "x.json: bad (line 3, column 7)");
        let e = FormatError::from_json(
            &serde_json::from_str::<serde_json::Value>("{\n,}").unwrap_err(),
        );
        assert_eq!(e.position.line, Some(2));
    }

    #[test]
    fn size_guard() {
        assert!(check_size(10, 10, "doc").is_ok());
        assert!(check_size(11, 10, "doc")
            .unwrap_err()
            .message
            .contains("over the limit"));
    }
}
