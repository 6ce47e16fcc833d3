//! HTTPS: the operator's certificate, or one mdsec signs itself on first start and keeps in the data
//! directory. Plain HTTP is used only on loopback addresses.

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

pub const CERT_FILE: &str = "tls-cert.pem";
pub const KEY_FILE: &str = "tls-key.pem";

/// The certificate and key to serve: given paths, or a self-signed pair created once in `data_dir`.
pub fn certificate(
    data_dir: &Path,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
) -> Result<(PathBuf, PathBuf)> {
    if let (Some(c), Some(k)) = (cert, key) {
        return Ok((c, k));
    }
    let (c, k) = (data_dir.join(CERT_FILE), data_dir.join(KEY_FILE));
    if c.exists() && k.exists() {
        return Ok((c, k));
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    let host = hostname();
    let names = vec![host.clone(), "localhost".to_string()];
    let signed = rcgen::generate_simple_self_signed(names)
        .context("cannot create a self-signed certificate")?;
    std::fs::write(&c, signed.cert.pem())
        .with_context(|| format!("cannot write {}", c.display()))?;
    write_private(&k, signed.key_pair.serialize_pem().as_bytes())?;
    tracing::info!(cert = %c.display(), "created a self-signed TLS certificate for {host}; replace it with the hospital's own with --tls-cert/--tls-key");
    Ok((c, k))
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "mdsec".into())
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(bytes)?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}
