//! One sync run: pick the enabled sources, hold the folder's lock, run each source (concurrently),
//! save each source's state as it finishes, and report per source.

use crate::fetch::Http;
use crate::sources::{self, Ctx};
use crate::state::{now_rfc3339, SyncState, STATE_FILE_NAME};
use crate::{redact, FeedConfig, FeedSyncError, SOURCE_NAMES};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Most error messages kept per source in a report.
pub const MAX_REPORTED_ERRORS: usize = 20;
/// Folder under the feeds folder holding what import reads.
pub const DATA_DIR_NAME: &str = "data";
/// Folder under the feeds folder holding partial downloads and extraction in progress.
pub const WORK_DIR_NAME: &str = ".partial";
pub const LOCK_FILE_NAME: &str = ".lock";

/// Receives progress; every method has a no-op default. Called from several sources at once.
pub trait Progress: Send + Sync {
    fn started(&self, _source: &str) {}
    /// `step` names what is being fetched (a file, a page); `done`/`total` are bytes or items.
    fn update(&self, _source: &str, _step: &str, _done: u64, _total: Option<u64>) {}
    fn finished(&self, _report: &SourceReport) {}
}

/// Progress that shows nothing.
pub struct NoProgress;
impl Progress for NoProgress {}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Something new was downloaded and put in place.
    Downloaded,
    /// Everything was current (304 Not Modified, or no new records).
    Unchanged,
    /// At least one file or page failed; what did succeed is in place and listed in `paths`.
    Failed,
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceReport {
    pub source: String,
    pub outcome: Outcome,
    /// Files or pages downloaded and put in place.
    pub downloaded: u64,
    /// Files found current (304, or the index said unchanged).
    pub unchanged: u64,
    pub failed: u64,
    /// Bytes received.
    pub bytes: u64,
    /// Byte offset a download continued from, when a partial transfer was resumed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resumed: Vec<u64>,
    /// New or changed files and folders, for import.
    pub paths: Vec<PathBuf>,
    /// Why something failed (at most [`MAX_REPORTED_ERRORS`]); never contains an API key.
    pub errors: Vec<String>,
}

impl SourceReport {
    pub(crate) fn new(source: &str) -> Self {
        SourceReport {
            source: source.to_string(),
            outcome: Outcome::Unchanged,
            downloaded: 0,
            unchanged: 0,
            failed: 0,
            bytes: 0,
            resumed: Vec::new(),
            paths: Vec::new(),
            errors: Vec::new(),
        }
    }

    pub(crate) fn fail(&mut self, message: String) {
        self.failed += 1;
        if self.errors.len() < MAX_REPORTED_ERRORS {
            self.errors.push(message);
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    pub feeds_dir: PathBuf,
    pub sources: Vec<SourceReport>,
}

impl SyncReport {
    /// Every new or changed file/folder, in source order: hand these to import.
    pub fn paths(&self) -> Vec<PathBuf> {
        self.sources
            .iter()
            .flat_map(|s| s.paths.iter().cloned())
            .collect()
    }

    pub fn any_failed(&self) -> bool {
        self.sources.iter().any(|s| s.outcome == Outcome::Failed)
    }
}

#[derive(Debug, Clone, Default)]
pub struct SyncOptions {
    /// Only these sources (each must be enabled); empty = every enabled source.
    pub only: Vec<String>,
}

/// Which sources a run will contact.
pub fn selected_sources(
    config: &FeedConfig,
    options: &SyncOptions,
) -> Result<Vec<&'static str>, FeedSyncError> {
    if options.only.is_empty() {
        return Ok(config.enabled_sources());
    }
    let mut out = Vec::new();
    for want in &options.only {
        let name = SOURCE_NAMES
            .into_iter()
            .find(|n| n.eq_ignore_ascii_case(want.trim()))
            .ok_or_else(|| FeedSyncError::UnknownSource(want.clone()))?;
        if !config.is_enabled(name)? {
            return Err(FeedSyncError::Disabled(name.to_string()));
        }
        if !out.contains(&name) {
            out.push(name);
        }
    }
    // Report order is the configuration's.
    out.sort_by_key(|n| SOURCE_NAMES.iter().position(|m| m == n));
    Ok(out)
}

/// Run a sync into `feeds_dir`. Errors here are about the run as a whole (configuration, lock,
/// state file); a source's own failures are in its [`SourceReport`].
pub async fn sync(
    config: &FeedConfig,
    feeds_dir: &Path,
    options: &SyncOptions,
    progress: &dyn Progress,
) -> Result<SyncReport, FeedSyncError> {
    config.validate("feeds.toml")?;
    let selected = selected_sources(config, options)?;
    let mut report = SyncReport {
        feeds_dir: feeds_dir.to_path_buf(),
        sources: Vec::new(),
    };
    if selected.is_empty() {
        return Ok(report);
    }
    std::fs::create_dir_all(feeds_dir).map_err(|e| FeedSyncError::io(feeds_dir, e))?;
    let lock_path = feeds_dir.join(LOCK_FILE_NAME);
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| FeedSyncError::io(&lock_path, e))?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => return Err(FeedSyncError::Locked(lock_path)),
        Err(std::fs::TryLockError::Error(e)) => return Err(FeedSyncError::io(&lock_path, e)),
    }

    let state_path = feeds_dir.join(STATE_FILE_NAME);
    let state = tokio::sync::Mutex::new(SyncState::load(&state_path)?);
    let secret = if selected.contains(&"nvd") {
        config.nvd.api_key()
    } else {
        None
    };
    let http = Http::new(config, secret.clone())?;

    let runs = selected.iter().map(|&name| {
        let http = &http;
        let state = &state;
        let state_path = &state_path;
        let secret = secret.as_deref();
        async move {
            progress.started(name);
            let ctx = Ctx {
                http,
                name,
                feeds_dir,
                data: feeds_dir.join(DATA_DIR_NAME).join(name),
                work: feeds_dir.join(WORK_DIR_NAME).join(name),
                progress,
            };
            let mut source_state = state
                .lock()
                .await
                .sources
                .get(name)
                .cloned()
                .unwrap_or_default();
            source_state.last_attempt = Some(now_rfc3339());
            let mut rep = SourceReport::new(name);
            let result = sources::run(&ctx, config, &mut source_state, &mut rep).await;
            if let Err(e) = result {
                rep.fail(e.to_string());
            }
            for e in &mut rep.errors {
                *e = redact(e, secret);
            }
            rep.outcome = if rep.failed > 0 {
                Outcome::Failed
            } else if rep.downloaded > 0 {
                Outcome::Downloaded
            } else {
                Outcome::Unchanged
            };
            if rep.outcome == Outcome::Failed {
                source_state.last_error = rep.errors.first().cloned();
                tracing::warn!("feed {name}: {}", rep.errors.join("; "));
            } else {
                source_state.last_error = None;
                source_state.last_success = source_state.last_attempt.clone();
            }
            let saved = {
                let mut st = state.lock().await;
                st.sources.insert(name.to_string(), source_state);
                st.save(state_path)
            };
            if let Err(e) = saved {
                rep.fail(format!("cannot save the feed state: {e}"));
                rep.outcome = Outcome::Failed;
            }
            progress.finished(&rep);
            rep
        }
    });
    report.sources = futures_util::future::join_all(runs).await;
    drop(lock);
    Ok(report)
}
