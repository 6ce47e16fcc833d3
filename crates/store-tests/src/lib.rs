//! One conformance suite for every [`Store`] backend.
//!
//! Owns: the checks (`check_*`) that define what a correct backend does, and the fixtures that open a
//! fresh SQLite database or a fresh PostgreSQL schema for each check. The tests in `tests/` run every
//! check against both. PostgreSQL is required: if it is unreachable the tests fail, they never skip.

use mdsec_domain::{Criticality, DeviceFields, DeviceStatus, RemoteLine};
use mdsec_store::*;
use mdsec_store_sql::SqlStore;
use sqlx::Row;
use std::sync::atomic::{AtomicU64, Ordering};

mod intel;
mod remote_lines;
pub use intel::*;
mod observations;
pub use observations::*;
pub use remote_lines::*;

/// Where the PostgreSQL server of the test suite is (CI: a local server with trust auth).
pub fn postgres_url() -> String {
    std::env::var("MDSEC_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique_name(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000,
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

/// A store on a fresh database, and what keeps it alive.
pub struct Fixture {
    pub store: SqlStore,
    /// For SQLite: the data directory (removed on drop).
    pub dir: Option<std::path::PathBuf>,
    /// For PostgreSQL: the schema (dropped on drop by the next fixture cleanup).
    pub schema: Option<String>,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let Some(d) = &self.dir {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

pub async fn sqlite_fixture() -> Fixture {
    let dir = std::env::temp_dir().join(unique_name("mdsec-store-test"));
    let store = mdsec_store_sqlite::open(&dir)
        .await
        .expect("open SQLite store");
    Fixture {
        store,
        dir: Some(dir),
        schema: None,
    }
}

/// A fresh schema in the test PostgreSQL database. Panics (fails the test) if PostgreSQL is unreachable.
pub async fn postgres_fixture() -> Fixture {
    let base = postgres_url();
    let schema = unique_name("mdsec_t");
    sqlx::any::install_default_drivers();
    let admin = sqlx::AnyPool::connect(&base).await.unwrap_or_else(|e| {
        panic!("PostgreSQL is required for the test suite and is unreachable at {base}: {e}")
    });
    sqlx::raw_sql(&format!("CREATE SCHEMA {schema}"))
        .execute(&admin)
        .await
        .expect("create schema");
    admin.close().await;
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
    let store = mdsec_store_postgres::connect(&url)
        .await
        .expect("connect PostgreSQL store");
    Fixture {
        store,
        dir: None,
        schema: Some(schema),
    }
}

/// Drop the schemas earlier test runs left behind (best effort).
pub async fn drop_schema(schema: &str) {
    if let Ok(admin) = sqlx::AnyPool::connect(&postgres_url()).await {
        let _ = sqlx::raw_sql(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
            .execute(&admin)
            .await;
        admin.close().await;
    }
}

pub fn admin() -> Actor {
    Actor {
        user_id: Some(1),
        username: "admin".into(),
    }
}

pub fn device(n: u32, department: &str) -> DeviceFields {
    DeviceFields {
        management_number: Some(format!("ME-{n:05}")),
        name: format!("生体情報モニタ {n}"),
        device_type: Some("生体情報モニタ".into()),
        manufacturer: Some(
            if n.is_multiple_of(2) {
                "Nihon Kohden"
            } else {
                "Philips"
            }
            .into(),
        ),
        model: Some(format!("M{}", n % 7)),
        serial: Some(format!("SN{n:06}")),
        department: Some(department.into()),
        ip: Some(format!("10.1.{}.{}", n / 250, n % 250 + 1)),
        mac: Some(format!("00:11:22:33:{:02x}:{:02x}", n / 256, n % 256)),
        status: DeviceStatus::Active,
        criticality: Some(Criticality::PatientConnected),
        ..Default::default()
    }
}

/// Everything a failed write must leave untouched, in comparable form.
#[derive(Debug, PartialEq)]
pub struct Snapshot {
    pub devices: Vec<Device>,
    pub history: Vec<(i64, String)>,
    pub audit: Vec<AuditEntry>,
}

pub async fn snapshot(store: &SqlStore) -> Snapshot {
    let devices = store
        .list_devices(&DeviceQuery {
            limit: DeviceQuery::MAX_LIMIT,
            ..Default::default()
        })
        .await
        .unwrap()
        .items;
    let history = sqlx::query("SELECT id, changes FROM device_history ORDER BY id")
        .fetch_all(store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get::<i64, _>(0), r.get::<String, _>(1)))
        .collect();
    let audit = store.audit_chain().await.unwrap();
    Snapshot {
        devices,
        history,
        audit,
    }
}

pub async fn check_device_lifecycle(s: &SqlStore) {
    let d = s.create_device(&admin(), device(1, "ICU")).await.unwrap();
    assert_eq!(d.version, 1);
    assert_eq!(
        s.get_device(d.id).await.unwrap().unwrap().fields.name,
        "生体情報モニタ 1"
    );

    let mut f = d.fields.clone();
    f.location = Some("ICU 3番ベッド".into());
    f.custom.insert("資産区分".into(), "リース".into());
    let u = s.update_device(&admin(), d.id, f, Some(1)).await.unwrap();
    assert_eq!(u.version, 2);
    assert_eq!(
        u.fields.custom.get("資産区分").map(String::as_str),
        Some("リース")
    );

    // A stale version is refused.
    let err = s
        .update_device(&admin(), d.id, d.fields.clone(), Some(1))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");

    let h = s.device_history(d.id).await.unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(h[0].action, "update");
    assert!(h[0]
        .changes
        .iter()
        .any(|c| c.field == "location" && c.after.as_deref() == Some("ICU 3番ベッド")));

    s.delete_device(&admin(), d.id).await.unwrap();
    assert!(s.get_device(d.id).await.unwrap().unwrap().deleted);
    let page = s
        .list_devices(&DeviceQuery {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.total, 0, "a deleted device leaves the list");
    assert_eq!(
        s.device_history(d.id).await.unwrap().len(),
        3,
        "but keeps its history"
    );

    let chain = s.audit_chain().await.unwrap();
    assert_eq!(chain.iter().filter(|e| e.entity == "device").count(), 3);
    assert_eq!(verify_chain(&chain), Ok(chain.len()));
}

pub async fn check_empty_name_refused_by_database(s: &SqlStore) {
    let err = s
        .create_device(&admin(), DeviceFields::default())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Refused(_)), "{err:?}");
    assert!(s.audit_chain().await.unwrap().is_empty());
}

pub async fn check_list_filters_sort_paginate(s: &SqlStore) {
    let rows: Vec<ImportRow> = (1..=120)
        .map(|n| ImportRow {
            row: n as u64 + 1,
            fields: device(n, if n % 3 == 0 { "放射線科" } else { "ICU" }),
        })
        .collect();
    s.import_devices(&admin(), "fixture", rows, false)
        .await
        .unwrap();

    let all = s
        .list_devices(&DeviceQuery {
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.total, 120);
    assert_eq!(all.items.len(), 50);
    assert_eq!(
        all.items[0].fields.management_number.as_deref(),
        Some("ME-00001")
    );

    let p3 = s
        .list_devices(&DeviceQuery {
            limit: 50,
            offset: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(p3.items.len(), 20);

    let rad = s
        .list_devices(&DeviceQuery {
            department: Some("放射線科".into()),
            limit: 500,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(rad.total, 40);
    assert!(rad
        .items
        .iter()
        .all(|d| d.fields.department.as_deref() == Some("放射線科")));

    let text = s
        .list_devices(&DeviceQuery {
            text: Some("me-0011".into()),
            limit: 500,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(text.total, 10, "ME-00110..ME-00119, case-insensitive");

    // LIKE wildcards in the search text are literal.
    let pct = s
        .list_devices(&DeviceQuery {
            text: Some("%".into()),
            limit: 5,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(pct.total, 0);

    // A search finds a device by its MAC (or IP) only where the address may be seen. ME-00003 is in
    // 放射線科, ME-00004 in ICU.
    let by_address = |text: &str, address_search: AddressSearch| DeviceQuery {
        text: Some(text.into()),
        address_search,
        limit: 5,
        ..Default::default()
    };
    for (text, scope, want) in [
        ("00:11:22:33:00:03", AddressSearch::All, 1),
        (
            "00:11:22:33:00:03",
            AddressSearch::Department("放射線科".into()),
            1,
        ),
        (
            "00:11:22:33:00:03",
            AddressSearch::Department("ICU".into()),
            0,
        ),
        (
            "00:11:22:33:00:04",
            AddressSearch::Department("ICU".into()),
            1,
        ),
        ("00:11:22:33:00:03", AddressSearch::Nowhere, 0),
        ("ME-00003", AddressSearch::Nowhere, 1),
    ] {
        let found = s
            .list_devices(&by_address(text, scope.clone()))
            .await
            .unwrap();
        assert_eq!(found.total, want, "{text} with {scope:?}");
    }

    let desc = s
        .list_devices(&DeviceQuery {
            sort: DeviceSort::ManagementNumber,
            descending: true,
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        desc.items[0].fields.management_number.as_deref(),
        Some("ME-00120")
    );

    assert_eq!(
        s.departments().await.unwrap(),
        vec!["ICU".to_string(), "放射線科".to_string()]
    );
}

pub async fn check_import_is_idempotent_and_matches(s: &SqlStore) {
    let rows = |extra: bool| -> Vec<ImportRow> {
        (1..=20)
            .map(|n| {
                let mut f = device(n, "ICU");
                if extra && n == 5 {
                    f.location = Some("moved".into());
                }
                ImportRow {
                    row: n as u64 + 1,
                    fields: f,
                }
            })
            .collect()
    };
    let r1 = s
        .import_devices(&admin(), "a.csv", rows(false), false)
        .await
        .unwrap();
    assert_eq!((r1.new, r1.updated, r1.unchanged), (20, 0, 0));
    let r2 = s
        .import_devices(&admin(), "a.csv", rows(false), false)
        .await
        .unwrap();
    assert_eq!((r2.new, r2.updated, r2.unchanged), (0, 0, 20));
    let r3 = s
        .import_devices(&admin(), "a.csv", rows(true), false)
        .await
        .unwrap();
    assert_eq!((r3.new, r3.updated, r3.unchanged), (0, 1, 19));

    // Matched by MAC when the management number is absent, then by serial.
    let mut by_mac = device(7, "ICU");
    by_mac.management_number = None;
    by_mac.notes = Some("matched by MAC".into());
    let mut by_serial = device(8, "ICU");
    by_serial.management_number = None;
    by_serial.mac = None;
    by_serial.notes = Some("matched by serial".into());
    let r4 = s
        .import_devices(
            &admin(),
            "b.csv",
            vec![
                ImportRow {
                    row: 2,
                    fields: by_mac,
                },
                ImportRow {
                    row: 3,
                    fields: by_serial,
                },
            ],
            false,
        )
        .await
        .unwrap();
    assert_eq!((r4.new, r4.updated), (0, 2));
    let page = s
        .list_devices(&DeviceQuery {
            text: Some("ME-00007".into()),
            limit: 5,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        page.items[0].fields.notes.as_deref(),
        Some("matched by MAC")
    );
    assert_eq!(
        page.items[0].fields.management_number.as_deref(),
        Some("ME-00007"),
        "blank cells keep known values"
    );

    // Dry run reports but changes nothing.
    let before = snapshot(s).await;
    let mut more = rows(false);
    more.push(ImportRow {
        row: 99,
        fields: device(500, "ICU"),
    });
    let dry = s
        .import_devices(&admin(), "a.csv", more, true)
        .await
        .unwrap();
    assert_eq!(dry.new, 1);
    assert_eq!(snapshot(s).await, before);

    // Two rows for one device: the second is reported, not applied twice.
    let dup = vec![
        ImportRow {
            row: 2,
            fields: device(1, "ICU"),
        },
        ImportRow {
            row: 3,
            fields: device(1, "ICU"),
        },
    ];
    let r5 = s
        .import_devices(&admin(), "c.csv", dup, false)
        .await
        .unwrap();
    assert_eq!(r5.duplicates.len(), 1);
    assert_eq!(r5.duplicates[0].row, 3);
}

/// A fault late in a large import (row 9,999 of 10,000) must leave devices, histories and the audit
/// log exactly as they were.
pub async fn check_failed_import_changes_nothing(s: &SqlStore) {
    let seed: Vec<ImportRow> = (1..=50)
        .map(|n| ImportRow {
            row: n as u64 + 1,
            fields: device(n, "ICU"),
        })
        .collect();
    s.import_devices(&admin(), "seed.csv", seed, false)
        .await
        .unwrap();
    let before = snapshot(s).await;

    let mut rows: Vec<ImportRow> = (1..=10_000)
        .map(|n| {
            let mut f = device(n, "ICU");
            if n <= 50 {
                f.notes = Some("updated".into());
            }
            ImportRow {
                row: n as u64 + 1,
                fields: f,
            }
        })
        .collect();
    rows[9_998].fields.name = String::new(); // refused by the database's CHECK constraint
    let err = s
        .import_devices(&admin(), "big.csv", rows, false)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Refused(_)), "{err:?}");
    assert_eq!(snapshot(s).await, before);
}

pub async fn check_audit_log_is_append_only(s: &SqlStore) {
    s.create_device(&admin(), device(1, "ICU")).await.unwrap();
    for sql in [
        "UPDATE audit_log SET actor = 'mallory'",
        "DELETE FROM audit_log",
    ] {
        let err = sqlx::query(sql).execute(s.pool()).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    let chain = s.audit_chain().await.unwrap();
    assert_eq!(chain.len(), 1);
    assert_eq!(chain[0].actor, "admin");
    assert_eq!(verify_chain(&chain), Ok(1));
}

pub async fn check_accounts_sessions_tokens(s: &SqlStore) {
    assert_eq!(s.count_users().await.unwrap(), 0);
    let u = s
        .create_user(
            &Actor::system(),
            NewUser {
                username: "rad".into(),
                display_name: "放射線科 担当".into(),
                password_hash: "$argon2id$dummy".into(),
                role: Role::DepartmentUser,
                department: Some("放射線科".into()),
                manufacturer: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        s.get_user_by_name("rad").await.unwrap().unwrap().role,
        Role::DepartmentUser
    );
    let dup = s
        .create_user(
            &Actor::system(),
            NewUser {
                username: "rad".into(),
                display_name: "x".into(),
                password_hash: "x".into(),
                role: Role::Auditor,
                department: None,
                manufacturer: None,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(dup, StoreError::Conflict(_)), "{dup:?}");

    let session = Session {
        id_hash: "h1".into(),
        user_id: u.id,
        csrf_token: "c1".into(),
        created_at: "2026-01-01T00:00:00.000Z".into(),
        expires_at: "2026-01-01T08:00:00.000Z".into(),
        verified: false,
    };
    s.create_session(&session).await.unwrap();
    s.mark_session_verified("h1").await.unwrap();
    assert!(s.get_session("h1").await.unwrap().unwrap().verified);
    assert_eq!(
        s.delete_expired_sessions("2026-01-01T09:00:00.000Z")
            .await
            .unwrap(),
        1
    );
    assert!(s.get_session("h1").await.unwrap().is_none());

    s.create_token(&Actor::user(&u), u.id, "cli", "tokenhash")
        .await
        .unwrap();
    assert_eq!(
        s.user_for_token("tokenhash").await.unwrap().unwrap().id,
        u.id
    );
    assert!(s.user_for_token("other").await.unwrap().is_none());
    let audit = s.audit_chain().await.unwrap();
    assert!(
        audit
            .iter()
            .all(|e| !e.after.as_deref().unwrap_or("").contains("tokenhash")),
        "secrets never reach the audit log"
    );
    assert!(
        audit
            .iter()
            .all(|e| !e.after.as_deref().unwrap_or("").contains("argon2")),
        "nor password hashes"
    );

    s.add_manufacturer_alias(&admin(), "ミナト医科", "Minato Medical")
        .await
        .unwrap();
    assert_eq!(
        s.manufacturer_aliases().await.unwrap(),
        vec![("ミナト医科".into(), "Minato Medical".into())]
    );
}

pub async fn check_remote_line_and_enums_round_trip(s: &SqlStore) {
    let mut f = device(3, "透析センター");
    f.remote_line = RemoteLine::Yes;
    f.remote_method = Some("拠点間VPN".into());
    f.device_class = Some(mdsec_domain::DeviceClass::III);
    f.status = DeviceStatus::Inactive;
    f.eos_date = Some("2024-03-31".into());
    let d = s.create_device(&admin(), f.clone()).await.unwrap();
    assert_eq!(s.get_device(d.id).await.unwrap().unwrap().fields, f.tidy());
    let q = DeviceQuery {
        eos_before: Some("2025-01-01".into()),
        limit: 5,
        ..Default::default()
    };
    assert_eq!(s.list_devices(&q).await.unwrap().total, 1);
}

/// Column names per table, for the schema-parity check.
pub async fn schema_columns(s: &SqlStore) -> Vec<(String, String)> {
    let rows = match s.backend() {
        "sqlite" => sqlx::query(
            "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.name",
        )
        .fetch_all(s.pool())
        .await
        .unwrap(),
        _ => sqlx::query(
            "SELECT table_name::text, column_name::text FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY 1, 2",
        )
        .fetch_all(s.pool())
        .await
        .unwrap(),
    };
    let mut cols: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r.get::<String, _>(0), r.get::<String, _>(1)))
        .collect();
    cols.sort();
    cols
}
