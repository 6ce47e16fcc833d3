//! What the last runs left behind, per source: validators (ETag, Last-Modified) of each copy in place,
//! and the incremental cursor of the paged APIs. One JSON file, `<feeds-dir>/state.json`, always
//! replaced atomically (write a temporary file, fsync, rename, fsync the folder).

use crate::FeedSyncError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

pub const STATE_FILE_NAME: &str = "state.json";
/// Largest state file read.
pub const MAX_STATE_BYTES: u64 = 64 * 1024 * 1024;
pub const STATE_VERSION: u32 = 1;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SyncState {
    #[serde(default)]
    pub version: u32,
    #[serde(default)]
    pub sources: BTreeMap<String, SourceState>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SourceState {
    /// Keyed by URL.
    #[serde(default)]
    pub resources: BTreeMap<String, Resource>,
    /// NVD: `lastModEndDate` of the last complete window; JVN: date of the last complete run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_success: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// A downloaded file now in place.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Resource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// SHA-256 of the bytes as downloaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(default)]
    pub bytes: u64,
    /// Where the result lies, relative to the feeds folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// CSAF: the ROLIE entry's `updated` (or changes.csv date) of the copy in place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    #[serde(default)]
    pub fetched_at: String,
}

impl SyncState {
    /// Read the state; a missing file is an empty state. A file that cannot be read as state is moved
    /// aside (`state.json.corrupt`) and an empty state returned, which only costs full downloads.
    pub fn load(path: &Path) -> Result<Self, FeedSyncError> {
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(FeedSyncError::io(path, e)),
        };
        let parsed = if meta.len() > MAX_STATE_BYTES {
            Err(format!("larger than {MAX_STATE_BYTES} bytes"))
        } else {
            let bytes = std::fs::read(path).map_err(|e| FeedSyncError::io(path, e))?;
            serde_json::from_slice::<SyncState>(&bytes).map_err(|e| e.to_string())
        };
        match parsed {
            Ok(s) => Ok(s),
            Err(why) => {
                let aside = path.with_extension("json.corrupt");
                tracing::warn!(
                    "feed state {} is unreadable ({why}); moved to {} and starting afresh",
                    path.display(),
                    aside.display()
                );
                std::fs::rename(path, &aside).map_err(|e| FeedSyncError::io(path, e))?;
                Ok(Self::default())
            }
        }
    }

    /// Time since the most recent attempt of any source; `None` when no attempt is recorded.
    pub fn since_last_attempt(&self) -> Option<std::time::Duration> {
        let last = self
            .sources
            .values()
            .filter_map(|s| s.last_attempt.as_deref())
            .filter_map(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .max()?;
        Some(
            chrono::Utc::now()
                .signed_duration_since(last)
                .to_std()
                .unwrap_or_default(),
        )
    }

    pub fn save(&self, path: &Path) -> Result<(), FeedSyncError> {
        let mut s = self.clone();
        s.version = STATE_VERSION;
        let bytes = serde_json::to_vec_pretty(&s)
            .map_err(|e| FeedSyncError::invalid(path.display(), e.to_string()))?;
        write_atomic(path, &bytes)
    }
}

/// Write `bytes` to `path` so that readers see the old content or the new, never a mix.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), FeedSyncError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        sync_dir(dir);
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(|e| FeedSyncError::io(path, e))
}

/// Make a rename durable (best effort: not every platform can open a directory).
pub(crate) fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

pub(crate) fn now_rfc3339() -> String {
    rfc3339(std::time::SystemTime::now())
}

/// A time as RFC 3339 UTC with seconds, as the state file records it.
pub fn rfc3339(t: std::time::SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
