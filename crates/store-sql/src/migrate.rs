//! A small forward-only migrator. Each backend crate ships its own ordered list of migrations;
//! applied versions are recorded in `schema_migrations`.

use mdsec_store::{StoreError, StoreResult};
use sqlx::AnyPool;
use sqlx::Row;

/// One schema step, embedded in the binary.
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

/// Apply every migration not yet applied, each in its own transaction.
pub async fn migrate(pool: &AnyPool, migrations: &[Migration]) -> StoreResult<()> {
    let err = |e: sqlx::Error| StoreError::Backend(format!("migration: {e}"));
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )
    .execute(pool)
    .await
    .map_err(err)?;
    let applied: Vec<i64> = sqlx::query("SELECT version FROM schema_migrations")
        .fetch_all(pool)
        .await
        .map_err(err)?
        .iter()
        .map(|r| r.try_get::<i64, _>(0))
        .collect::<Result<_, _>>()
        .map_err(err)?;
    for m in migrations {
        if applied.contains(&m.version) {
            continue;
        }
        let mut tx = pool.begin().await.map_err(err)?;
        sqlx::raw_sql(m.sql).execute(&mut *tx).await.map_err(|e| {
            StoreError::Backend(format!("migration {} ({}): {e}", m.version, m.name))
        })?;
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        )
        .bind(m.version)
        .bind(m.name.to_string())
        .bind(crate::now())
        .execute(&mut *tx)
        .await
        .map_err(err)?;
        tx.commit().await.map_err(err)?;
    }
    Ok(())
}
