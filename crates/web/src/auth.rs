//! Credentials: argon2id passwords, TOTP second factor, random secrets, login rate limiting.
//!
//! Secrets (passwords, session ids, API tokens, TOTP seeds) never reach logs or the audit log; only
//! SHA-256 digests of session ids and tokens are stored.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Minimum password length mdsec accepts for any account.
pub const MIN_PASSWORD_LEN: usize = 10;

/// Hash a password with argon2id (the crate's default algorithm and parameters, OWASP-conformant).
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A verifier hash to burn the same time when the user does not exist (no username oracle).
pub fn dummy_verify(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let h = DUMMY.get_or_init(|| hash_password("not-a-real-password").unwrap_or_default());
    let _ = verify_password(password, h);
}

/// `n` random bytes, base64url without padding.
pub fn random_token(n: usize) -> String {
    let mut buf = vec![0u8; n];
    rand::thread_rng().fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// A random password for the first admin when none is given: 20 characters, unambiguous alphabet.
pub fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..20)
        .map(|_| ALPHABET[(rng.next_u32() as usize) % ALPHABET.len()] as char)
        .collect()
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// API tokens look like `mdsec_<43 chars>` so they are recognisable in leaked-secret scans.
pub const TOKEN_PREFIX: &str = "mdsec_";

pub fn new_api_token() -> String {
    format!("{TOKEN_PREFIX}{}", random_token(32))
}

// ---- TOTP (RFC 6238, SHA-1, 30 s, 6 digits: what every authenticator app speaks) ----

const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

pub fn base32_encode(data: &[u8]) -> String {
    let mut out = String::new();
    let mut buffer = 0u32;
    let mut bits = 0;
    for &b in data {
        buffer = (buffer << 8) | b as u32;
        bits += 8;
        while bits >= 5 {
            out.push(BASE32[((buffer >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(BASE32[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

pub fn base32_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut buffer = 0u32;
    let mut bits = 0;
    for c in s.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let v = BASE32
            .iter()
            .position(|&b| b as char == c.to_ascii_uppercase())? as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            out.push((buffer >> (bits - 8)) as u8);
            bits -= 8;
        }
    }
    Some(out)
}

pub fn new_totp_secret() -> String {
    let mut buf = [0u8; 20];
    rand::thread_rng().fill_bytes(&mut buf);
    base32_encode(&buf)
}

/// The 6-digit code for `secret` at time step `step` (unix seconds / 30).
pub fn totp_code(secret: &[u8], step: u64) -> String {
    let Ok(mut mac) = Hmac::<sha1::Sha1>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(&step.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = (h[19] & 0x0f) as usize;
    let bin = ((h[offset] as u32 & 0x7f) << 24)
        | ((h[offset + 1] as u32) << 16)
        | ((h[offset + 2] as u32) << 8)
        | (h[offset + 3] as u32);
    format!("{:06}", bin % 1_000_000)
}

/// Accept the code for now or one step either side (clock drift).
pub fn verify_totp(secret_b32: &str, code: &str, unix_now: u64) -> bool {
    totp_step(secret_b32, code, unix_now).is_some()
}

/// The time step whose code `code` is (one step of clock drift either way), so that a caller can
/// refuse the same step twice.
pub fn totp_step(secret_b32: &str, code: &str, unix_now: u64) -> Option<u64> {
    let secret = base32_decode(secret_b32)?;
    let code = code.trim();
    let step = unix_now / 30;
    [step.saturating_sub(1), step, step + 1]
        .into_iter()
        .find(|s| totp_code(&secret, *s) == code)
}

pub fn totp_uri(secret_b32: &str, username: &str) -> String {
    format!("otpauth://totp/mdsec:{username}?secret={secret_b32}&issuer=mdsec&algorithm=SHA1&digits=6&period=30")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_round_trip_uses_argon2id() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    /// RFC 6238 appendix B test vectors (SHA-1, 8 digits there; the last 6 digits here).
    #[test]
    fn totp_matches_rfc6238_vectors() {
        let secret = b"12345678901234567890";
        assert_eq!(totp_code(secret, 59 / 30), "287082");
        assert_eq!(totp_code(secret, 1111111109 / 30), "081804");
        assert_eq!(totp_code(secret, 1234567890 / 30), "005924");
        let b32 = base32_encode(secret);
        assert_eq!(b32, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(base32_decode(&b32).unwrap(), secret);
        assert!(verify_totp(&b32, "287082", 59));
        assert!(
            verify_totp(&b32, "287082", 89),
            "one step of drift is accepted"
        );
        assert!(!verify_totp(&b32, "287082", 200));
    }
}

// ---- short-lived cache of authenticated identities ----

/// How long a looked-up token or session is trusted without asking the database again. Logout,
/// password and second-factor changes in this process drop entries at once; a token revoked by another
/// process stops working within this time.
pub const AUTH_CACHE_TTL: Duration = Duration::from_secs(5);
/// Entries kept at most; the cache is emptied when full (it refills in one round of requests).
pub const AUTH_CACHE_MAX: usize = 10_000;

/// A cached identity: the user, the browser session if any, and when it was looked up.
type CachedIdentity = (mdsec_store::User, Option<mdsec_store::Session>, Instant);

#[derive(Default)]
pub struct AuthCache {
    entries: Mutex<HashMap<String, CachedIdentity>>,
}

impl AuthCache {
    pub fn get(&self, key: &str) -> Option<(mdsec_store::User, Option<mdsec_store::Session>)> {
        let map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        map.get(key)
            .filter(|(_, _, at)| at.elapsed() < AUTH_CACHE_TTL)
            .map(|(u, s, _)| (u.clone(), s.clone()))
    }
    pub fn put(&self, key: String, user: mdsec_store::User, session: Option<mdsec_store::Session>) {
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= AUTH_CACHE_MAX {
            map.clear();
        }
        map.insert(key, (user, session, Instant::now()));
    }
    pub fn remove(&self, key: &str) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }
    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}
