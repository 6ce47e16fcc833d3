//! The append-only, hash-chained audit log.
//!
//! Each entry's hash is SHA-256 over the previous entry's hash and the entry's own fields, encoded as a
//! JSON array so that no choice of field contents can make two different entries hash alike. The first
//! entry chains to [`GENESIS`]. Backends additionally make the table refuse UPDATE and DELETE; this
//! module is what detects an edit made behind the database's back.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The "previous hash" of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An audit entry as the application hands it to the store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewAuditEntry {
    pub actor: String,
    /// e.g. `device.update`, `user.login`, `ledger.import`
    pub action: String,
    /// e.g. `device`, `user`, `session`
    pub entity: String,
    pub entity_id: Option<String>,
    /// JSON of the state before, if any.
    pub before: Option<String>,
    /// JSON of the state after, if any.
    pub after: Option<String>,
}

/// An audit entry as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of an entry with the given fields, chained to `prev_hash`.
#[allow(clippy::too_many_arguments)]
pub fn entry_hash(
    prev_hash: &str,
    seq: i64,
    at: &str,
    actor: &str,
    action: &str,
    entity: &str,
    entity_id: Option<&str>,
    before: Option<&str>,
    after: Option<&str>,
) -> String {
    let material =
        serde_json::json!([prev_hash, seq, at, actor, action, entity, entity_id, before, after]);
    hex::encode(Sha256::digest(material.to_string().as_bytes()))
}

impl AuditEntry {
    pub fn computed_hash(&self) -> String {
        entry_hash(
            &self.prev_hash,
            self.seq,
            &self.at,
            &self.actor,
            &self.action,
            &self.entity,
            self.entity_id.as_deref(),
            self.before.as_deref(),
            self.after.as_deref(),
        )
    }
}

/// The first place where the chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit chain broken at entry {seq}: {reason}")]
pub struct BrokenLink {
    pub seq: i64,
    pub reason: String,
}

/// Check that entries (in order) form an unbroken chain from [`GENESIS`].
/// Returns the number of entries verified.
pub fn verify_chain(entries: &[AuditEntry]) -> Result<usize, BrokenLink> {
    let mut prev = GENESIS.to_string();
    let mut prev_seq = 0i64;
    for e in entries {
        if e.seq != prev_seq + 1 {
            return Err(BrokenLink {
                seq: e.seq,
                reason: format!("expected entry {} next (an entry is missing)", prev_seq + 1),
            });
        }
        if e.prev_hash != prev {
            return Err(BrokenLink {
                seq: e.seq,
                reason: "its link to the previous entry does not match".into(),
            });
        }
        if e.computed_hash() != e.hash {
            return Err(BrokenLink {
                seq: e.seq,
                reason: "its contents do not match its hash (altered)".into(),
            });
        }
        prev = e.hash.clone();
        prev_seq = e.seq;
    }
    Ok(entries.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let mut e = AuditEntry {
                    seq,
                    at: format!("2026-01-01T00:00:{seq:02}Z"),
                    actor: "admin".into(),
                    action: "device.update".into(),
                    entity: "device".into(),
                    entity_id: Some(seq.to_string()),
                    before: None,
                    after: Some(format!("{{\"n\":{seq}}}")),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                e.hash = e.computed_hash();
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    #[test]
    fn intact_chain_verifies() {
        assert_eq!(verify_chain(&chain(5)), Ok(5));
    }

    #[test]
    fn altered_entry_is_named() {
        let mut c = chain(5);
        c[2].after = Some("{\"n\":99}".into());
        assert_eq!(verify_chain(&c).unwrap_err().seq, 3);
    }

    #[test]
    fn removed_entry_is_named() {
        let mut c = chain(5);
        c.remove(1);
        assert_eq!(verify_chain(&c).unwrap_err().seq, 3);
    }

    #[test]
    fn rehashed_entry_breaks_the_next_link() {
        let mut c = chain(5);
        c[1].actor = "mallory".into();
        c[1].hash = c[1].computed_hash();
        assert_eq!(verify_chain(&c).unwrap_err().seq, 3);
    }
}
