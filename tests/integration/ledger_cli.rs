//! `mdsec ledger import/export` and `mdsec audit verify`, as an operator runs them.

use crate::fixtures::*;
use crate::{data_dir, mdsec};
use serde_json::Value;
use std::path::Path;

fn import_json(dir: &Path, file: &Path) -> Value {
    let out = mdsec(dir, &["ledger", "import", file.to_str().unwrap(), "--json"]);
    assert!(
        out.status.success(),
        "import failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("import --json prints JSON")
}

fn rejected_rows(report: &Value) -> Vec<u64> {
    report["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["row"].as_u64().unwrap())
        .collect()
}

/// Every row of the tables a failed import must not touch, read straight from the SQLite file.
fn snapshot(dir: &Path) -> Vec<Vec<String>> {
    let conn = rusqlite::Connection::open(dir.join("mdsec.sqlite3")).unwrap();
    let mut out = Vec::new();
    for table in ["devices", "device_history", "audit_log"] {
        let order = if table == "audit_log" { "seq" } else { "id" };
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM {table} ORDER BY {order}"))
            .unwrap();
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                Ok((0..n)
                    .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                    .collect::<Vec<_>>())
            })
            .unwrap();
        for r in rows {
            let mut r = r.unwrap();
            r.insert(0, table.to_string());
            out.push(r);
        }
    }
    out
}

#[test]
fn shift_jis_csv_imports_valid_rows_lists_invalid_ones_and_is_idempotent() {
    let dir = data_dir();
    let file = dir.path().join("台帳.csv");
    std::fs::write(&file, shift_jis_csv(30, &[4, 17])).unwrap();

    let first = import_json(dir.path(), &file);
    assert_eq!(first["format"], "CSV (Shift_JIS)");
    assert_eq!(first["new"], 28);
    // Header is line 1, so 0-based data row i is on line i + 2.
    assert_eq!(rejected_rows(&first), vec![6, 19]);
    assert!(first["rejected"][0]["column"]
        .as_str()
        .unwrap()
        .contains("MAC"));

    let again = import_json(dir.path(), &file);
    assert_eq!(
        (
            again["new"].as_u64(),
            again["updated"].as_u64(),
            again["unchanged"].as_u64()
        ),
        (Some(0), Some(0), Some(28))
    );

    let out = mdsec(dir.path(), &["ledger", "export", "--format", "json"]);
    assert!(out.status.success());
    let export: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(export["total"], 28);
    let items = export["items"].as_array().unwrap();
    let first_device = items
        .iter()
        .find(|d| d["management_number"] == "ME-00000")
        .expect("full-width number normalised");
    assert_eq!(
        first_device["manufacturer"], "Nihon Kohden",
        "manufacturer canonicalised through the alias table"
    );
    assert_eq!(
        first_device["install_date"], "2023-04-01",
        "令和5年4月1日 normalised"
    );
    assert_eq!(first_device["mac"], "00:1a:2b:00:00:00");
    assert_eq!(
        first_device["custom"]["資産区分"], "リース",
        "unmapped columns kept as custom fields"
    );
}

#[test]
fn xlsx_with_title_rows_finds_the_header_and_reports_row_numbers() {
    let dir = data_dir();
    let file = dir.path().join("ledger.xlsx");
    std::fs::write(&file, titled_xlsx(20, &[3])).unwrap();
    let report = import_json(dir.path(), &file);
    assert_eq!(report["format"], "xlsx");
    assert_eq!(report["header_row"], 3);
    assert_eq!(report["new"], 19);
    assert_eq!(
        rejected_rows(&report),
        vec![7],
        "data row 3 sits on sheet row 4 + 3"
    );

    let again = import_json(dir.path(), &file);
    assert_eq!(
        (again["new"].as_u64(), again["updated"].as_u64()),
        (Some(0), Some(0))
    );
}

#[test]
fn failed_imports_change_nothing() {
    let dir = data_dir();
    let seed = dir.path().join("seed.xlsx");
    std::fs::write(&seed, titled_xlsx(50, &[])).unwrap();
    import_json(dir.path(), &seed);
    let before = snapshot(dir.path());
    assert!(before.len() > 100);

    // A truncated workbook (a download cut short).
    let bytes = titled_xlsx(200, &[]);
    let truncated = dir.path().join("truncated.xlsx");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let out = mdsec(
        dir.path(),
        &["ledger", "import", truncated.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("truncated.xlsx"),
        "the message names the file: {err}"
    );
    assert_eq!(snapshot(dir.path()), before);

    // 10,000 rows where row 9,999 holds bytes that are neither UTF-8 nor Shift_JIS.
    let mut csv = shift_jis_csv(10_000, &[]);
    let lines: Vec<usize> = csv
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i)
        .collect();
    let pos = lines[9_997] + 3; // inside line 9,999
    csv[pos] = 0xFF;
    csv[pos + 1] = 0xFF;
    let broken = dir.path().join("broken.csv");
    std::fs::write(&broken, csv).unwrap();
    let out = mdsec(dir.path(), &["ledger", "import", broken.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("broken.csv") && err.contains("9999"),
        "names file and line: {err}"
    );
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn audit_verify_passes_then_names_an_entry_altered_behind_its_back() {
    let dir = data_dir();
    let file = dir.path().join("a.csv");
    std::fs::write(&file, shift_jis_csv(5, &[])).unwrap();
    import_json(dir.path(), &file);
    let ok = mdsec(dir.path(), &["audit", "verify"]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );

    let conn = rusqlite::Connection::open(dir.path().join("mdsec.sqlite3")).unwrap();
    // The database itself refuses the edit ...
    let refused = conn.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3", []);
    assert!(refused.unwrap_err().to_string().contains("append-only"));
    // ... so an attacker with the file drops the trigger first.
    conn.execute_batch(
        "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor = 'mallory' WHERE seq = 3;",
    )
    .unwrap();
    drop(conn);

    let out = mdsec(dir.path(), &["audit", "verify", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["broken_at"], 3);
    assert!(String::from_utf8_lossy(&out.stderr).contains("entry 3"));
}

#[test]
fn usage_errors_exit_with_2_and_global_options_go_anywhere() {
    let dir = data_dir();
    let out = mdsec(dir.path(), &["ledger", "frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    // --data-dir before the subcommand works too.
    let out = std::process::Command::new(crate::mdsec_bin())
        .args([
            "--data-dir",
            dir.path().to_str().unwrap(),
            "ledger",
            "export",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["total"], 0);
}

#[test]
fn a_one_gigabyte_csv_is_refused_before_it_is_read() {
    let dir = data_dir();
    let file = dir.path().join("huge.csv");
    // Sparse: takes no disk space, but claims 1 GiB.
    std::fs::File::create(&file)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let started = std::time::Instant::now();
    let out = mdsec(dir.path(), &["ledger", "import", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("huge.csv") && err.contains("over the ledger limit"),
        "{err}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "refused without reading it"
    );
}
