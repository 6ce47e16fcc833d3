//! `mdsec feed import` (and the import path `feed sync` ends in): files or folders of advisories,
//! KEV and EPSS into the store, then an incremental re-match and notices for new findings.

use crate::cli::{open_store, Global};
use anyhow::{bail, Context, Result};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use mdsec_inspect::Kind;
use mdsec_store::{Actor, Store};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum FeedCommand {
    /// Import advisories (CSAF, OSV, NVD, JVN), CISA KEV and EPSS from files or folders.
    /// Idempotent; all or nothing: a file that fails to parse changes nothing.
    Import {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Print the report as JSON on stdout.
        #[arg(long)]
        json: bool,
        /// Account recorded in the audit log as the importer.
        #[arg(long = "as", default_value = "admin")]
        as_user: String,
    },
    /// Download the sources enabled in <data-dir>/feeds.toml (OSV, NVD, KEV, EPSS, CSAF, JVN) and
    /// import what changed. Exit status 1 when an enabled source failed.
    Sync(crate::feed_sync::SyncArgs),
}

/// What an import did, as printed.
#[derive(Debug, Serialize)]
pub struct ImportSummary {
    pub files: usize,
    /// Files in folders that are not feeds (licences, READMEs, schemas, SBOMs), with why.
    pub skipped: Vec<String>,
    pub advisories_new: usize,
    pub advisories_updated: usize,
    pub advisories_unchanged: usize,
    pub kev_new: usize,
    pub kev_total: usize,
    pub epss_written: usize,
    pub findings_created: usize,
    pub findings_updated: usize,
    pub findings_resolved: usize,
    pub devices_with_open_findings: usize,
    pub notices: usize,
    pub emailed: usize,
}

/// Largest feed file read (the largest limit of any parser behind `inspect`).
pub const MAX_FEED_FILE_BYTES: u64 = mdsec_inspect::MAX_INPUT_BYTES as u64;

fn is_feed_kind(k: Kind) -> bool {
    matches!(
        k,
        Kind::Csaf | Kind::Osv | Kind::Nvd | Kind::Kev | Kind::Epss | Kind::Jvn
    )
}

/// Collect the files to import. Files named on the command line must be feeds; files found in
/// folders that are not (licences, schemas, READMEs) are skipped and listed.
fn collect(paths: &[PathBuf], skipped: &mut Vec<String>) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).with_context(|| format!("cannot read {}", p.display()))?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found)?;
            found.sort();
            for f in found {
                let head = read_capped(&f)?;
                match mdsec_inspect::detect(&f.display().to_string(), &head) {
                    Ok(k) if is_feed_kind(k) => out.push(f),
                    Ok(k) => skipped.push(format!("{}: {k} (not a feed)", f.display())),
                    Err(_) => skipped.push(format!("{}: not a recognised format", f.display())),
                }
            }
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for e in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let e = e?;
        let path = e.path();
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        if e.file_type()?.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

fn read_capped(path: &Path) -> Result<Vec<u8>> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    if size > MAX_FEED_FILE_BYTES {
        bail!(
            "{}: file is {} MiB, over the feed limit of {} MiB; nothing was imported",
            path.display(),
            size >> 20,
            MAX_FEED_FILE_BYTES >> 20
        );
    }
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Import files and folders: the same path `feed import` and `feed sync` take.
pub async fn import_paths(store: &dyn Store, paths: &[PathBuf]) -> Result<ImportSummary> {
    import_as(
        store,
        &Actor {
            user_id: None,
            username: "system".into(),
        },
        paths,
        false,
    )
    .await
}

async fn import_as(
    store: &dyn Store,
    actor: &Actor,
    paths: &[PathBuf],
    progress: bool,
) -> Result<ImportSummary> {
    let mut skipped = Vec::new();
    let files = collect(paths, &mut skipped)?;
    let bar = if progress {
        ProgressBar::new(files.len() as u64).with_style(ProgressStyle::with_template(
            "{spinner} reading {pos}/{len} files {wide_bar} {msg}",
        )?)
    } else {
        ProgressBar::hidden()
    };
    let mut loaded = Vec::with_capacity(files.len());
    for f in &files {
        loaded.push((f.display().to_string(), read_capped(f)?));
        bar.inc(1);
    }
    bar.set_message("importing and matching");
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    let run = mdsec_intel::import_feeds(store, actor, loaded).await;
    bar.finish_and_clear();
    let run = run.map_err(|e| anyhow::anyhow!("{e}; nothing was imported"))?;
    let notified = mdsec_intel::notices::notify_new_findings(store, &run.rematch.created).await?;
    Ok(ImportSummary {
        files: run.files,
        skipped,
        advisories_new: run.import.new.len(),
        advisories_updated: run.import.updated.len(),
        advisories_unchanged: run.import.unchanged,
        kev_new: run.import.kev_new,
        kev_total: run.import.kev_total,
        epss_written: run.import.epss_written,
        findings_created: run.rematch.findings_created,
        findings_updated: run.rematch.findings_updated,
        findings_resolved: run.rematch.findings_resolved,
        devices_with_open_findings: run.rematch.devices_with_open_findings,
        notices: notified.notices,
        emailed: notified.emailed,
    })
}

pub async fn run(global: &Global, cmd: FeedCommand) -> Result<ExitCode> {
    match cmd {
        FeedCommand::Sync(args) => crate::feed_sync::run(global, args).await,
        FeedCommand::Import {
            paths,
            json,
            as_user,
        } => {
            let store = open_store(global).await?;
            let actor = crate::intel_cli::actor_named(&*store, &as_user).await?;
            let s = import_as(&*store, &actor, &paths, !json).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&s)?);
            } else {
                println!(
                    "{} files: advisories {} new, {} updated, {} unchanged; KEV {} new ({} listed); EPSS {} scores",
                    s.files,
                    s.advisories_new,
                    s.advisories_updated,
                    s.advisories_unchanged,
                    s.kev_new,
                    s.kev_total,
                    s.epss_written
                );
                println!(
                    "findings: {} new, {} updated, {} resolved; {} devices need action; {} notices ({} e-mailed)",
                    s.findings_created,
                    s.findings_updated,
                    s.findings_resolved,
                    s.devices_with_open_findings,
                    s.notices,
                    s.emailed
                );
                if !s.skipped.is_empty() {
                    eprintln!("skipped {} files that are not feeds:", s.skipped.len());
                    for k in s.skipped.iter().take(20) {
                        eprintln!("  {k}");
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
