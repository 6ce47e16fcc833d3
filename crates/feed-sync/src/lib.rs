//! `mdsec feed sync`: download vulnerability intelligence from official publishers into a local
//! folder that `mdsec feed import` reads.
//!
//! Sources (all disabled until the operator enables them in `feeds.toml`, see [`CONFIG_TEMPLATE`]):
//! OSV ecosystem archives, the NVD CVE API 2.0 (API key header, paging, `lastMod` windows for
//! incremental runs, rate limit), CISA KEV, FIRST EPSS, a CSAF provider (provider metadata → ROLIE
//! feeds or `changes.csv`, with `.sha512`/`.sha256` side files) and the MyJVN API.
//!
//! Every download is conditional (ETag / Last-Modified remembered in `state.json`), resumable (a
//! `.part` file continued with `Range` + `If-Range`; a full download when the server ignores the
//! range), bounded (the `MAX_*` constants), verified (checksums where published; format checks;
//! bounded decompression) and put in place by rename, so import never sees a half-written file.
//!
//! Layout of the feeds folder:
//! ```text
//! <feeds-dir>/state.json         validators and cursors per source
//! <feeds-dir>/data/<source>/…    what import reads (only complete, verified files)
//! <feeds-dir>/.partial/<source>/ partial downloads and extraction in progress
//! ```
//! This crate is an I/O edge: it talks HTTP and writes files, and does not parse records beyond the
//! checks above (the parsers live in `mdsec-vulndb` and `mdsec-advisory`).

mod config;
mod error;
mod fetch;
mod sources;
mod state;
mod sync;
pub mod verify;

pub use config::*;
pub use error::{redact, FeedSyncError};
pub use state::{rfc3339, write_atomic, Resource, SourceState, SyncState, STATE_FILE_NAME};
pub use sync::{
    selected_sources, sync, NoProgress, Outcome, Progress, SourceReport, SyncOptions, SyncReport,
    DATA_DIR_NAME, LOCK_FILE_NAME, MAX_REPORTED_ERRORS, WORK_DIR_NAME,
};

/// Largest KEV catalogue downloaded (the real one is about 1.5 MB).
pub const MAX_KEV_DOWNLOAD_BYTES: u64 = 64 * 1024 * 1024;
/// Largest EPSS download (compressed; the real one is about 10 MB).
pub const MAX_EPSS_DOWNLOAD_BYTES: u64 = 256 * 1024 * 1024;
/// Largest OSV `all.zip` downloaded.
pub const MAX_OSV_ZIP_BYTES: u64 = 4 * 1024 * 1024 * 1024;
/// Largest NVD API page (2,000 records).
pub const MAX_NVD_PAGE_BYTES: u64 = 128 * 1024 * 1024;
/// Most NVD pages in one window (the whole NVD is under 200 pages of 2,000).
pub const MAX_NVD_PAGES: u64 = 10_000;
/// Largest CSAF provider metadata, ROLIE feed or changes.csv.
pub const MAX_CSAF_INDEX_BYTES: u64 = 64 * 1024 * 1024;
/// Largest CSAF document.
pub const MAX_CSAF_DOCUMENT_BYTES: u64 = 32 * 1024 * 1024;
/// Most documents listed by one CSAF provider.
pub const MAX_CSAF_ENTRIES: usize = 500_000;
/// Most ROLIE feeds read from one provider.
pub const MAX_CSAF_FEEDS: usize = 64;
/// Largest MyJVN response page.
pub const MAX_JVN_PAGE_BYTES: u64 = 32 * 1024 * 1024;
/// Most MyJVN pages in one run.
pub const MAX_JVN_PAGES: u64 = 10_000;
