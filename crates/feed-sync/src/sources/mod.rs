//! The six sources, and what they share: conditional fetch of one file, atomic install, state records.

mod csaf;
mod epss;
mod jvn;
mod kev;
mod nvd;
mod osv;

use crate::fetch::{remove_part, Completed, Fetched, Http, Validators};
use crate::state::{now_rfc3339, sync_dir, Resource, SourceState};
use crate::sync::{Progress, SourceReport};
use crate::{FeedConfig, FeedSyncError};
use std::path::{Path, PathBuf};
use url::Url;

pub(crate) struct Ctx<'a> {
    pub http: &'a Http,
    pub name: &'static str,
    pub feeds_dir: &'a Path,
    /// `<feeds-dir>/data/<source>`: what import reads.
    pub data: PathBuf,
    /// `<feeds-dir>/.partial/<source>`: partial downloads, extraction.
    pub work: PathBuf,
    pub progress: &'a dyn Progress,
}

impl Ctx<'_> {
    fn rel(&self, p: &Path) -> String {
        p.strip_prefix(self.feeds_dir)
            .unwrap_or(p)
            .to_string_lossy()
            .into_owned()
    }

    fn make_dirs(&self) -> Result<(), FeedSyncError> {
        for d in [&self.data, &self.work] {
            std::fs::create_dir_all(d).map_err(|e| FeedSyncError::io(d, e))?;
        }
        Ok(())
    }

    fn url(&self, text: &str) -> Result<Url, FeedSyncError> {
        crate::config::parse_http_url(text).map_err(|message| FeedSyncError::Config {
            path: "feeds.toml".into(),
            message: format!("[{}] url: {message}", self.name),
        })
    }
}

pub(crate) async fn run(
    ctx: &Ctx<'_>,
    config: &FeedConfig,
    state: &mut SourceState,
    rep: &mut SourceReport,
) -> Result<(), FeedSyncError> {
    ctx.make_dirs()?;
    match ctx.name {
        "osv" => osv::run(ctx, &config.osv, state, rep).await,
        "nvd" => nvd::run(ctx, &config.nvd, state, rep).await,
        "kev" => kev::run(ctx, &config.kev, state, rep).await,
        "epss" => epss::run(ctx, &config.epss, state, rep).await,
        "csaf" => csaf::run(ctx, &config.csaf, state, rep).await,
        "jvn" => jvn::run(ctx, &config.jvn, state, rep).await,
        other => Err(FeedSyncError::UnknownSource(other.to_string())),
    }
}

/// Fetch `url` into `<work>/<part_name>`, conditionally when `installed` exists and the state knows
/// its validators. `Ok(None)`: 304, the copy in place is current.
async fn fetch_file(
    ctx: &Ctx<'_>,
    state: &SourceState,
    url: &Url,
    part_name: &str,
    installed: &Path,
    cap: u64,
    rep: &mut SourceReport,
) -> Result<Option<(PathBuf, Completed)>, FeedSyncError> {
    let prior = state
        .resources
        .get(url.as_str())
        .filter(|_| installed.exists())
        .map(|r| Validators {
            etag: r.etag.as_deref(),
            last_modified: r.last_modified.as_deref(),
        })
        .filter(|v| v.etag.is_some() || v.last_modified.is_some());
    let part = ctx.work.join(part_name);
    let progress = |done: u64, total: Option<u64>| {
        ctx.progress.update(ctx.name, part_name, done, total);
    };
    match ctx.http.download(url, &part, prior, cap, &progress).await? {
        Fetched::NotModified => Ok(None),
        Fetched::Complete(c) => {
            rep.bytes += c.bytes - c.resumed_from.unwrap_or(0);
            if let Some(from) = c.resumed_from {
                rep.resumed.push(from);
            }
            Ok(Some((part, c)))
        }
    }
}

fn record(
    ctx: &Ctx<'_>,
    state: &mut SourceState,
    url: &Url,
    c: &Completed,
    sha256: Option<String>,
    installed: &Path,
    updated: Option<String>,
) {
    state.resources.insert(
        url.to_string(),
        Resource {
            etag: c.etag.clone(),
            last_modified: c.last_modified.clone(),
            sha256,
            bytes: c.bytes,
            path: Some(ctx.rel(installed)),
            updated,
            fetched_at: now_rfc3339(),
        },
    );
}

/// Move a complete, verified file into place (rename: readers see the old file or the new one).
fn install_file(from: &Path, dest: &Path) -> Result<(), FeedSyncError> {
    let parent = dest.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| FeedSyncError::io(parent, e))?;
    std::fs::rename(from, dest).map_err(|e| FeedSyncError::io(dest, e))?;
    remove_part(from);
    sync_dir(parent);
    Ok(())
}

/// Replace the folder `dest` by the complete folder `new` (two renames; the old one is removed).
fn swap_dir(new: &Path, dest: &Path, old: &Path) -> Result<(), FeedSyncError> {
    let parent = dest.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| FeedSyncError::io(parent, e))?;
    let _ = std::fs::remove_dir_all(old);
    let had_old = dest.exists();
    if had_old {
        std::fs::rename(dest, old).map_err(|e| FeedSyncError::io(dest, e))?;
    }
    if let Err(e) = std::fs::rename(new, dest) {
        if had_old {
            let _ = std::fs::rename(old, dest);
        }
        return Err(FeedSyncError::io(dest, e));
    }
    sync_dir(parent);
    if had_old {
        let _ = std::fs::remove_dir_all(old);
    }
    Ok(())
}

/// An empty folder at `dir` (anything left there by an earlier, interrupted run is removed).
fn fresh_dir(dir: &Path) -> Result<(), FeedSyncError> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).map_err(|e| FeedSyncError::io(dir, e))
}

/// Run blocking file work (hashing, decompression) off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, FeedSyncError> + Send + 'static,
) -> Result<T, FeedSyncError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| FeedSyncError::invalid("feed sync", format!("worker task failed: {e}")))?
}

/// A folder name for a free-text label (ecosystem, feed).
fn dir_name(label: &str) -> String {
    label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect::<String>()
        .trim_start_matches('.')
        .to_string()
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
