//! mdsec's PostgreSQL backend, for a regional hub or a large site.
//!
//! Owns: connecting to a `postgres://` URL and the PostgreSQL migrations (`migrations/`). The
//! statements themselves live in `mdsec-store-sql`. Invariant: the audit table is protected by a
//! trigger that refuses UPDATE, DELETE and TRUNCATE.

use mdsec_store::{StoreError, StoreResult};
use mdsec_store_sql::{migrate, Dialect, Migration, SqlStore};
use sqlx::any::AnyPoolOptions;

/// The PostgreSQL schema, in order.
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

/// Connect to `url` (e.g. `postgres://postgres@127.0.0.1:5432/test`) and bring the schema up to date.
pub async fn connect(url: &str) -> StoreResult<SqlStore> {
    sqlx::any::install_default_drivers();
    let pool = AnyPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(std::time::Duration::from_secs(10))
        .connect(url)
        .await
        .map_err(|e| {
            StoreError::Backend(format!(
                "cannot connect to PostgreSQL at {}: {e}",
                redact(url)
            ))
        })?;
    migrate(&pool, MIGRATIONS).await?;
    Ok(SqlStore::new(pool, Dialect::Postgres))
}

/// The URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_password() {
        assert_eq!(
            super::redact("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(super::redact("postgres://u@h/db"), "postgres://u@h/db");
    }
}
