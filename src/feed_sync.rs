//! `mdsec feed sync`: download the enabled official sources (crate `mdsec-feed-sync`) into
//! `<data-dir>/feeds/data/…` and import what changed through the same path as `mdsec feed import`;
//! and the schedule `serve` runs it on (off unless `--feed-sync-every` or `sync_every` is set).

use crate::cli::{open_store, Global};
use anyhow::{Context, Result};
use clap::Args;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use mdsec_feed_sync::{
    FeedConfig, FeedSyncError, Outcome, Progress, SourceReport, SyncOptions, SyncReport,
    CONFIG_FILE_NAME, CONFIG_TEMPLATE,
};
use mdsec_store::Store;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Paths downloaded but not yet imported (an import failed): retried by the next sync.
pub const PENDING_IMPORT_FILE: &str = "pending-import.json";

#[derive(Args, Debug)]
pub struct SyncArgs {
    /// Only these sources (osv, nvd, kev, epss, csaf, jvn); each must be enabled in feeds.toml.
    #[arg(long = "source", value_name = "NAME")]
    pub sources: Vec<String>,
    /// One JSON object on stdout: per source outcome, counts, paths and errors, and the import.
    #[arg(long)]
    pub json: bool,
    /// Sources configuration (default: <data-dir>/feeds.toml).
    #[arg(long, env = "MDSEC_FEEDS_CONFIG")]
    pub config: Option<PathBuf>,
}

/// `--feed-sync-every` for `serve`: `30m`, `6h`, `1d` (at least 15 minutes).
pub fn parse_every(s: &str) -> std::result::Result<Duration, String> {
    mdsec_feed_sync::parse_interval(s)
}

fn config_path(global: &Global, explicit: Option<&Path>) -> PathBuf {
    explicit
        .map(Path::to_path_buf)
        .unwrap_or_else(|| global.data_dir.join(CONFIG_FILE_NAME))
}

pub async fn run(global: &Global, args: SyncArgs) -> Result<ExitCode> {
    let path = config_path(global, args.config.as_deref());
    if args.config.is_none() && !path.exists() {
        // First use: leave the operator a commented file listing every source, all disabled.
        std::fs::create_dir_all(&global.data_dir)
            .with_context(|| format!("cannot create {}", global.data_dir.display()))?;
        mdsec_feed_sync::write_atomic(&path, CONFIG_TEMPLATE.as_bytes())?;
        eprintln!("wrote {} (every source disabled)", path.display());
    }
    let config = FeedConfig::load(&path)?;
    let options = SyncOptions {
        only: args.sources.clone(),
    };
    if mdsec_feed_sync::selected_sources(&config, &options)?.is_empty() {
        eprintln!(
            "no feed source is enabled: set `enabled = true` for a source in {}",
            path.display()
        );
        if args.json {
            println!("{}", serde_json::json!({"config": path, "sources": []}));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let feeds_dir = config.feeds_dir(&global.data_dir);
    // Open the store first: a database problem is reported before anything is downloaded.
    let store = open_store(global).await?;
    let bars = Bars::new(args.json);
    let report = mdsec_feed_sync::sync(&config, &feeds_dir, &options, &bars).await?;
    bars.clear();
    let (import, import_error) = match import_new(&*store, &feeds_dir, &report).await {
        Ok(s) => (s, None),
        Err(e) => (None, Some(format!("{e:#}"))),
    };
    if args.json {
        let mut out = serde_json::to_value(&report)?;
        out["config"] = serde_json::json!(path);
        out["import"] = serde_json::to_value(&import)?;
        out["import_error"] = serde_json::json!(import_error);
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        for s in &report.sources {
            eprintln!("{}", describe(s));
        }
        if let Some(s) = &import {
            eprintln!(
                "import: {} files; advisories {} new, {} updated, {} unchanged; KEV {} new; EPSS {} scores; findings {} new, {} updated, {} resolved",
                s.files,
                s.advisories_new,
                s.advisories_updated,
                s.advisories_unchanged,
                s.kev_new,
                s.epss_written,
                s.findings_created,
                s.findings_updated,
                s.findings_resolved
            );
        }
        if let Some(e) = &import_error {
            eprintln!("import failed (the files stay and are imported by the next sync): {e}");
        }
    }
    Ok(if report.any_failed() || import_error.is_some() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// One line per source: downloaded / unchanged (304) / failed with the reasons.
fn describe(s: &SourceReport) -> String {
    let resumed = if s.resumed.is_empty() {
        String::new()
    } else {
        format!(", resumed {} partial download(s)", s.resumed.len())
    };
    match s.outcome {
        Outcome::Downloaded => format!(
            "{}: downloaded {} file(s), {} ({} unchanged{resumed})",
            s.source,
            s.downloaded,
            human_bytes(s.bytes),
            s.unchanged
        ),
        Outcome::Unchanged => format!(
            "{}: unchanged (304 Not Modified / nothing new; {} checked)",
            s.source,
            s.unchanged.max(1)
        ),
        Outcome::Failed => format!(
            "{}: failed ({} error(s); {} downloaded, {} unchanged): {}",
            s.source,
            s.failed,
            s.downloaded,
            s.unchanged,
            s.errors.join("; ")
        ),
    }
}

fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GB", n as f64 / (1u64 << 30) as f64),
        n if n >= 1 << 20 => format!("{:.1} MB", n as f64 / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.1} kB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

/// Import what this sync downloaded, plus anything a failed earlier import left pending. A failed
/// import leaves the paths pending for the next run (a 304 would otherwise hide them for good).
async fn import_new(
    store: &dyn Store,
    feeds_dir: &Path,
    report: &SyncReport,
) -> Result<Option<crate::feed::ImportSummary>> {
    let pending_path = feeds_dir.join(PENDING_IMPORT_FILE);
    let mut paths: Vec<PathBuf> = std::fs::read(&pending_path)
        .ok()
        .and_then(|b| serde_json::from_slice::<Vec<PathBuf>>(&b).ok())
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.exists())
        .collect();
    for p in report.paths() {
        if !paths.contains(&p) {
            paths.push(p);
        }
    }
    if paths.is_empty() {
        return Ok(None);
    }
    match crate::feed::import_paths(store, &paths).await {
        Ok(summary) => {
            if pending_path.exists() {
                std::fs::remove_file(&pending_path)
                    .with_context(|| format!("cannot remove {}", pending_path.display()))?;
            }
            Ok(Some(summary))
        }
        Err(e) => {
            let bytes = serde_json::to_vec_pretty(&paths)?;
            mdsec_feed_sync::write_atomic(&pending_path, &bytes)?;
            Err(e)
        }
    }
}

/// Progress bars on stderr, one per source (hidden with --json or when stderr is not a terminal).
struct Bars {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
    hidden: bool,
}

impl Bars {
    fn new(hidden: bool) -> Self {
        let multi = MultiProgress::new();
        if hidden {
            multi.set_draw_target(indicatif::ProgressDrawTarget::hidden());
        }
        Bars {
            multi,
            bars: Mutex::new(HashMap::new()),
            hidden,
        }
    }

    fn clear(&self) {
        let _ = self.multi.clear();
    }
}

impl Progress for Bars {
    fn started(&self, source: &str) {
        if self.hidden {
            return;
        }
        let bar = self.multi.add(ProgressBar::new_spinner());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {prefix:>5} {wide_bar} {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_prefix(source.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        if let Ok(mut b) = self.bars.lock() {
            b.insert(source.to_string(), bar);
        }
    }

    fn update(&self, source: &str, step: &str, done: u64, total: Option<u64>) {
        if let Some(bar) = self.bars.lock().ok().and_then(|b| b.get(source).cloned()) {
            if let Some(t) = total {
                bar.set_length(t);
            }
            bar.set_position(done);
            bar.set_message(step.to_string());
        }
    }

    fn finished(&self, report: &SourceReport) {
        if let Some(bar) = self
            .bars
            .lock()
            .ok()
            .and_then(|b| b.get(&report.source).cloned())
        {
            bar.finish_and_clear();
        }
    }
}

// ---------------------------------------------------------------------------------------- schedule

/// Start `serve`'s periodic sync when `every` (the `--feed-sync-every` flag) or feeds.toml's
/// `sync_every` asks for one; otherwise do nothing (no source is ever contacted). The first run is
/// due one interval after the previous run recorded in the feed state (at once if there is none), so
/// restarting `serve` does not hammer the publishers.
pub fn spawn_schedule(
    global: &Global,
    every: Option<Duration>,
    store: Arc<dyn Store>,
) -> Result<Option<tokio::task::JoinHandle<()>>> {
    let path = config_path(global, None);
    let config = FeedConfig::load(&path)?;
    let interval = match every {
        Some(d) => Some(d),
        None => config
            .sync_interval()
            .map_err(|e| anyhow::anyhow!("{}: sync_every: {e}", path.display()))?,
    };
    let Some(interval) = interval else {
        return Ok(None);
    };
    if config.enabled_sources().is_empty() {
        tracing::warn!(
            "feed sync scheduled every {} but no source is enabled in {}",
            humanize(interval),
            path.display()
        );
    }
    let data_dir = global.data_dir.clone();
    let feeds_dir = config.feeds_dir(&data_dir);
    let first = first_delay(&feeds_dir, interval);
    tracing::info!(
        "feed sync every {}; next run in {}",
        humanize(interval),
        humanize(first)
    );
    Ok(Some(tokio::spawn(async move {
        tokio::time::sleep(first).await;
        loop {
            scheduled_run(&path, &data_dir, &*store).await;
            tokio::time::sleep(interval).await;
        }
    })))
}

fn humanize(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        s if s % 86_400 == 0 && s > 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 && s > 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 && s > 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// Time until the next run: `interval` after the latest recorded attempt, never negative.
fn first_delay(feeds_dir: &Path, interval: Duration) -> Duration {
    let state = mdsec_feed_sync::SyncState::load(&feeds_dir.join(mdsec_feed_sync::STATE_FILE_NAME))
        .unwrap_or_default();
    match state.since_last_attempt() {
        None => Duration::ZERO,
        Some(elapsed) => interval.saturating_sub(elapsed),
    }
}

/// One scheduled sync + import; everything goes to the log (the key never does: reports are
/// redacted by the sync crate).
async fn scheduled_run(config_path: &Path, data_dir: &Path, store: &dyn Store) {
    // Re-read feeds.toml every time: the operator may enable or disable sources without a restart.
    let config = match FeedConfig::load(config_path) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("feed sync skipped: {e}");
            return;
        }
    };
    if config.enabled_sources().is_empty() {
        return;
    }
    let feeds_dir = config.feeds_dir(data_dir);
    let report = match mdsec_feed_sync::sync(
        &config,
        &feeds_dir,
        &SyncOptions::default(),
        &mdsec_feed_sync::NoProgress,
    )
    .await
    {
        Ok(r) => r,
        Err(FeedSyncError::Locked(_)) => {
            tracing::info!("feed sync skipped: another sync is running");
            return;
        }
        Err(e) => {
            tracing::error!("feed sync failed: {e}");
            return;
        }
    };
    for s in &report.sources {
        match s.outcome {
            Outcome::Failed => tracing::warn!("feed sync: {}", describe(s)),
            _ => tracing::info!("feed sync: {}", describe(s)),
        }
    }
    match import_new(store, &feeds_dir, &report).await {
        Ok(Some(s)) => tracing::info!(
            "feed import: {} files; advisories {} new, {} updated; findings {} new, {} updated, {} resolved",
            s.files,
            s.advisories_new,
            s.advisories_updated,
            s.findings_created,
            s.findings_updated,
            s.findings_resolved
        ),
        Ok(None) => {}
        Err(e) => tracing::error!("feed import failed (retried next run): {e:#}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_run_is_due_one_interval_after_the_last_attempt() {
        let dir = tempfile::tempdir().unwrap();
        let hour = Duration::from_secs(3600);
        assert_eq!(
            first_delay(dir.path(), hour),
            Duration::ZERO,
            "no state: at once"
        );
        let mut state = mdsec_feed_sync::SyncState::default();
        let ten_min_ago = std::time::SystemTime::now() - Duration::from_secs(600);
        state.sources.insert(
            "kev".into(),
            mdsec_feed_sync::SourceState {
                last_attempt: Some(mdsec_feed_sync::rfc3339(ten_min_ago)),
                ..Default::default()
            },
        );
        state
            .save(&dir.path().join(mdsec_feed_sync::STATE_FILE_NAME))
            .unwrap();
        let d = first_delay(dir.path(), hour);
        assert!(
            d > Duration::from_secs(49 * 60) && d <= Duration::from_secs(50 * 60),
            "{d:?}"
        );
        assert_eq!(
            first_delay(dir.path(), Duration::from_secs(300)),
            Duration::ZERO,
            "overdue: at once"
        );
    }

    #[test]
    fn durations_read_back() {
        assert_eq!(humanize(Duration::from_secs(6 * 3600)), "6h");
        assert_eq!(humanize(Duration::from_secs(86_400)), "1d");
        assert_eq!(humanize(Duration::from_secs(90)), "90s");
    }
}
