//! Keeping the data directory private: the database holds the ledger, password hashes, session and
//! CSRF tokens and TOTP secrets, so nobody but the service account may read it.
//!
//! The directory is kept at `0700` and the database with its `-wal` and `-shm` files at `0600`. A wider
//! mode found at start is narrowed, and each correction is returned so the caller can audit it.

use std::path::{Path, PathBuf};

/// The mode of the data directory.
pub const DIR_MODE: u32 = 0o700;
/// The mode of every file the store keeps in the data directory.
pub const FILE_MODE: u32 = 0o600;

/// One mode that was wider than allowed and has been narrowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModeCorrection {
    pub path: PathBuf,
    pub was: u32,
    pub now: u32,
}

/// Narrow `path` to `allowed` when it grants anything beyond it. Missing files are left alone.
#[cfg(unix)]
fn narrow(path: &Path, allowed: u32) -> std::io::Result<Option<ModeCorrection>> {
    use std::os::unix::fs::PermissionsExt;
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let was = meta.permissions().mode() & 0o777;
    if was & !allowed == 0 {
        return Ok(None);
    }
    let now = was & allowed;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(now))?;
    Ok(Some(ModeCorrection {
        path: path.to_path_buf(),
        was,
        now,
    }))
}

#[cfg(not(unix))]
fn narrow(_path: &Path, _allowed: u32) -> std::io::Result<Option<ModeCorrection>> {
    Ok(None)
}

/// Create the data directory (0700) and an empty database file (0600) when they do not exist yet, so
/// that whatever the process umask, nothing the store makes is ever readable by others. SQLite gives
/// the `-wal` and `-shm` files the database file's mode.
#[cfg(unix)]
pub fn prepare(data_dir: &Path, db: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    if !data_dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(DIR_MODE)
            .create(data_dir)?;
    }
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(db)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(not(unix))]
pub fn prepare(data_dir: &Path, _db: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(data_dir)
}

/// Narrow the data directory and the database files (`db`, `db-wal`, `db-shm`).
pub fn secure(data_dir: &Path, db: &Path) -> std::io::Result<Vec<ModeCorrection>> {
    let mut out = Vec::new();
    out.extend(narrow(data_dir, DIR_MODE)?);
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        out.extend(narrow(Path::new(&p), FILE_MODE)?);
    }
    Ok(out)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn wide_modes_are_narrowed_and_reported_and_narrow_ones_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("x.sqlite3");
        std::fs::write(&db, b"").unwrap();
        std::fs::write(dir.path().join("x.sqlite3-wal"), b"").unwrap();
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::set_permissions(
            dir.path().join("x.sqlite3-wal"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let fixed = secure(dir.path(), &db).unwrap();
        assert_eq!(fixed.len(), 2, "{fixed:?}");
        assert_eq!(fixed[0].was, 0o755);
        assert_eq!(fixed[1].was, 0o644);
        assert_eq!(mode(dir.path()), 0o700);
        assert_eq!(mode(&db), 0o600);
        assert!(secure(dir.path(), &db).unwrap().is_empty());
    }

    #[test]
    fn what_the_store_creates_is_private_whatever_the_umask() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("a/b");
        let db = data.join("x.sqlite3");
        prepare(&data, &db).unwrap();
        assert_eq!(mode(&data), DIR_MODE);
        assert_eq!(mode(&db), FILE_MODE);
        assert!(secure(&data, &db).unwrap().is_empty(), "nothing to correct");
    }
}
