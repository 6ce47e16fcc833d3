//! Errors of a feed sync. Messages name the source URL or the file and say what was wrong; they never
//! contain an API key (keys travel only in request headers, and [`redact`] scrubs any echo of them).

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum FeedSyncError {
    /// The sources configuration (feeds.toml) is unreadable or invalid.
    #[error("{path}: {message}")]
    Config { path: String, message: String },
    #[error("unknown feed source {0:?} (known: osv, nvd, kev, epss, csaf, jvn)")]
    UnknownSource(String),
    #[error(
        "feed source {0} is disabled; set `enabled = true` in its [{0}] section of feeds.toml"
    )]
    Disabled(String),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("another feed sync is running (lock {})", .0.display())]
    Locked(PathBuf),
    /// Connection, TLS, timeout or protocol failure.
    #[error("{url}: {message}")]
    Transport { url: String, message: String },
    #[error("{url}: HTTP {status}{detail}")]
    Status {
        url: String,
        status: u16,
        detail: String,
    },
    #[error(
        "{url}: transfer interrupted after {bytes} bytes ({message}); the next attempt resumes it"
    )]
    Interrupted {
        url: String,
        bytes: u64,
        message: String,
    },
    #[error("{what}: larger than the limit of {limit} bytes")]
    TooLarge { what: String, limit: u64 },
    #[error("{what}: compression ratio over {limit}:1, refused as a possible decompression bomb")]
    Ratio { what: String, limit: u64 },
    #[error("{url}: {algorithm} checksum mismatch (side file says {expected}, download is {actual}); the previous copy is kept")]
    Checksum {
        url: String,
        algorithm: &'static str,
        expected: String,
        actual: String,
    },
    /// The downloaded content is not what the source publishes (malformed JSON/XML/CSV, wrong shape,
    /// unsafe archive member name, API error response).
    #[error("{what}: {message}")]
    Invalid { what: String, message: String },
}

impl FeedSyncError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        FeedSyncError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn invalid(what: impl std::fmt::Display, message: impl Into<String>) -> Self {
        FeedSyncError::Invalid {
            what: what.to_string(),
            message: message.into(),
        }
    }

    /// Worth another attempt in the same run (network trouble, server busy, cut transfer).
    pub(crate) fn is_transient(&self, extra_statuses: &[u16]) -> bool {
        match self {
            FeedSyncError::Transport { .. } | FeedSyncError::Interrupted { .. } => true,
            FeedSyncError::Status { status, .. } => {
                *status == 408
                    || *status == 429
                    || *status >= 500
                    || extra_statuses.contains(status)
            }
            _ => false,
        }
    }
}

/// Replace every occurrence of `secret` in `text` with `[redacted]` (no-op for an empty secret).
pub fn redact(text: &str, secret: Option<&str>) -> String {
    match secret {
        Some(s) if !s.is_empty() => text.replace(s, "[redacted]"),
        _ => text.to_string(),
    }
}
