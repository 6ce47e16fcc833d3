//! Every conformance check, against SQLite and against PostgreSQL.

use mdsec_store_tests::*;

macro_rules! both_backends {
    ($($check:ident),* $(,)?) => {
        mod sqlite {
            use super::*;
            $(
                #[tokio::test]
                async fn $check() {
                    let f = sqlite_fixture().await;
                    mdsec_store_tests::$check(&f.store).await;
                }
            )*
        }
        mod postgres {
            use super::*;
            $(
                #[tokio::test]
                async fn $check() {
                    let f = postgres_fixture().await;
                    mdsec_store_tests::$check(&f.store).await;
                    let schema = f.schema.clone().unwrap();
                    f.store.pool().close().await;
                    drop_schema(&schema).await;
                }
            )*
        }
    };
}

both_backends!(
    check_device_lifecycle,
    check_empty_name_refused_by_database,
    check_list_filters_sort_paginate,
    check_import_is_idempotent_and_matches,
    check_failed_import_changes_nothing,
    check_audit_log_is_append_only,
    check_accounts_sessions_tokens,
    check_remote_line_and_enums_round_trip,
    check_remote_line_registry,
    check_remote_session_workflow,
    check_remote_session_bad_requests,
    check_remote_lines_import_from_ledger,
    check_feed_import_is_idempotent,
    check_models_sboms_mds2_vex,
    check_findings_keep_their_lifecycle,
    check_notices_once_and_audited,
    check_observations_merge,
    check_observed_fields_never_overwrite_people,
    check_alerts_once_and_acknowledged,
);

/// Both backends must have the same tables and columns.
#[tokio::test]
async fn schema_parity() {
    let sqlite = sqlite_fixture().await;
    let pg = postgres_fixture().await;
    let a = schema_columns(&sqlite.store).await;
    let b = schema_columns(&pg.store).await;
    let schema = pg.schema.clone().unwrap();
    pg.store.pool().close().await;
    drop_schema(&schema).await;
    assert!(!a.is_empty());
    assert_eq!(a, b);
}
