//! mdsec's embedded SQLite backend.
//!
//! Owns: opening the database file in a data directory with WAL, foreign keys and a busy timeout, and
//! the SQLite migrations (`migrations/`). The statements themselves live in `mdsec-store-sql`.
//! Invariant: the audit table is protected by triggers that refuse UPDATE and DELETE.

mod files;

pub use files::{ModeCorrection, DIR_MODE, FILE_MODE};
use mdsec_store::{NewAuditEntry, Store, StoreError, StoreResult};
use mdsec_store_sql::{migrate, Dialect, Migration, SqlStore};
use sqlx::any::AnyPoolOptions;
use sqlx::Executor;
use std::path::{Path, PathBuf};

/// The SQLite schema, in order.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "ledger",
        sql: include_str!("../migrations/0001_ledger.sql"),
    },
    Migration {
        version: 2,
        name: "list_indexes",
        sql: include_str!("../migrations/0002_list_indexes.sql"),
    },
    Migration {
        version: 5,
        name: "remote_lines",
        sql: include_str!("../migrations/0005_remote_lines.sql"),
    },
    Migration {
        version: 6,
        name: "checklist",
        sql: include_str!("../migrations/0006_checklist.sql"),
    },
    Migration {
        version: 3,
        name: "intel",
        sql: include_str!("../migrations/0003_intel.sql"),
    },
    Migration {
        version: 7,
        name: "observations_alerts",
        sql: include_str!("../migrations/0007_observations_alerts.sql"),
    },
];

/// File name of the database inside the data directory.
pub const DB_FILE: &str = "mdsec.sqlite3";

pub fn database_path(data_dir: &Path) -> PathBuf {
    data_dir.join(DB_FILE)
}

/// Open (creating if needed) the database in `data_dir` and bring its schema up to date.
pub async fn open(data_dir: &Path) -> StoreResult<SqlStore> {
    let path = database_path(data_dir);
    files::prepare(data_dir, &path).map_err(|e| {
        StoreError::Backend(format!(
            "cannot create the database {} in {}: {e}",
            path.display(),
            data_dir.display()
        ))
    })?;
    let url = format!("sqlite://{}?mode=rwc", path.display());
    sqlx::any::install_default_drivers();
    let pool = AnyPoolOptions::new()
        .max_connections(4)
        .after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA cache_size = -16000; PRAGMA mmap_size = 268435456; PRAGMA temp_store = MEMORY;")
                    .await?;
                Ok(())
            })
        })
        .connect(&url)
        .await
        .map_err(|e| StoreError::Backend(format!("cannot open {}: {e}", path.display())))?;
    migrate(&pool, MIGRATIONS).await?;
    let store = SqlStore::new(pool, Dialect::Sqlite);
    // The files exist now (WAL mode creates -wal and -shm): narrow anything wider than 0600/0700 and
    // record each correction in the audit log.
    let fixed = files::secure(data_dir, &path).map_err(|e| {
        StoreError::Backend(format!(
            "cannot restrict the permissions of {}: {e}",
            data_dir.display()
        ))
    })?;
    for c in fixed {
        tracing::warn!(path = %c.path.display(), was = format!("{:o}", c.was), now = format!("{:o}", c.now), "narrowed a file mode that let other accounts read the data");
        store
            .append_audit(NewAuditEntry {
                actor: "system".into(),
                action: "files.permissions_corrected".into(),
                entity: "file".into(),
                entity_id: Some(c.path.display().to_string()),
                before: Some(format!("{{\"mode\":\"{:o}\"}}", c.was)),
                after: Some(format!("{{\"mode\":\"{:o}\"}}", c.now)),
            })
            .await?;
    }
    Ok(store)
}
