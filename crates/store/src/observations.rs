//! What discovery saw (observations), what reconciliation learnt from it (observed fields of ledger
//! devices) and what it raised (alerts).
//!
//! Observations are kept apart from the ledger: one row per observed device (keyed by MAC, else IP)
//! and one per external flow, merged across captures (first seen is the earliest, last seen the
//! latest). The ledger has no per-field provenance, so what discovery learns about a ledger device
//! goes into `device_observed_fields`; a ledger field is filled from it only when it is empty, or when
//! it still holds exactly the value discovery itself filled in before (nobody has touched it since).
//! A value a person entered is never overwritten. Alerts are raised once per (kind, subject, address);
//! raising the same one again only moves its last-seen time and count. Every change is audited in the
//! same transaction (entities `observation`, `device`, `alert`).

use crate::{Actor, FieldChange, Page, StoreResult};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Most devices or flows one batch of observations may carry.
pub const MAX_OBSERVATIONS_PER_BATCH: usize = 100_000;
/// Longest text kept in any observed value; longer values are cut.
pub const MAX_OBSERVED_CHARS: usize = 512;
/// Ledger fields reconciliation may fill from observations (`custom.hostname` is the host name).
pub const OBSERVABLE_FIELDS: &[&str] = &[
    "ip",
    "mac",
    "manufacturer",
    "model",
    "software_version",
    "custom.hostname",
];

/// One device as discovery saw it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ObservedDevice {
    pub ip: Option<String>,
    /// Lower-case `aa:bb:cc:dd:ee:ff`.
    pub mac: Option<String>,
    pub hostname: Option<String>,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub software_version: Option<String>,
    pub protocols: Vec<String>,
    /// Identifier key → values (never patient data: discovery does not read it).
    pub identifiers: BTreeMap<String, Vec<String>>,
    /// RFC 3339 UTC.
    pub first_seen: String,
    pub last_seen: String,
}

impl ObservedDevice {
    /// The key observations are merged by: the MAC when known, else the IP.
    pub fn key(&self) -> Option<String> {
        self.mac
            .as_ref()
            .map(|m| format!("mac:{}", m.to_ascii_lowercase()))
            .or_else(|| self.ip.as_ref().map(|i| format!("ip:{i}")))
    }
}

/// A flow between an internal device and an outside address.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ObservedFlow {
    /// The internal device's address.
    pub device_ip: String,
    /// The outside address.
    pub peer: String,
    /// The internal device opened the connection.
    pub outbound: bool,
    pub transport: String,
    /// Server port.
    pub port: i64,
    pub service: Option<String>,
    /// TLS SNI or HTTP Host seen on the flow.
    pub server_name: Option<String>,
    pub packets: i64,
    pub bytes: i64,
    pub first_seen: String,
    pub last_seen: String,
}

/// One batch: what one capture, listening run or scan saw.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ObservationBatch {
    /// Where it came from (`pcap:FILE…`, `listen:IF`, `scan`).
    pub source: String,
    pub devices: Vec<ObservedDevice>,
    pub flows: Vec<ObservedFlow>,
}

/// What storing a batch did.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ObservationSummary {
    pub source: String,
    pub new_devices: u64,
    pub updated_devices: u64,
    pub new_flows: u64,
    pub updated_flows: u64,
}

/// An observed device as stored (merged over every batch).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObservationRecord {
    pub id: i64,
    pub key: String,
    #[serde(flatten)]
    pub device: ObservedDevice,
    /// The batch that last saw it.
    pub source: String,
    pub updated_at: String,
}

/// An external flow as stored (merged per device, peer, transport and port).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExternalFlowRecord {
    pub id: i64,
    #[serde(flatten)]
    pub flow: ObservedFlow,
    pub source: String,
}

/// Observed values for one ledger device, to record and (where allowed) fill in.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ObservedFieldsUpdate {
    pub device_id: i64,
    /// One of [`OBSERVABLE_FIELDS`] → the observed value.
    pub fields: BTreeMap<String, String>,
    /// When it was last seen (RFC 3339).
    pub observed_at: String,
}

/// What applying observed fields did to one device.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppliedObservation {
    pub device_id: i64,
    /// Ledger fields filled or updated from the observation.
    pub changed: Vec<FieldChange>,
    /// Fields left alone because a person entered a different value (field, ledger, observed).
    pub kept: Vec<FieldChange>,
}

/// What discovery learnt about a ledger field, and whether it filled the ledger from it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObservedFieldRecord {
    pub device_id: i64,
    pub field: String,
    pub observed_value: String,
    /// The ledger field holds a value discovery filled in (so a later observation may update it).
    pub filled: bool,
    pub observed_at: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    UnknownDevice,
    ExternalConnection,
    CleartextPatientProtocol,
    Smbv1,
    Telnet,
    RemoteLineOutsideWindow,
    UnregisteredExternalEndpoint,
    RemoteLineRetirement,
}

impl AlertKind {
    pub const ALL: &'static [AlertKind] = &[
        AlertKind::UnknownDevice,
        AlertKind::ExternalConnection,
        AlertKind::CleartextPatientProtocol,
        AlertKind::Smbv1,
        AlertKind::Telnet,
        AlertKind::RemoteLineOutsideWindow,
        AlertKind::UnregisteredExternalEndpoint,
        AlertKind::RemoteLineRetirement,
    ];
    pub fn code(self) -> &'static str {
        match self {
            AlertKind::UnknownDevice => "unknown_device",
            AlertKind::ExternalConnection => "external_connection",
            AlertKind::CleartextPatientProtocol => "cleartext_patient_protocol",
            AlertKind::Smbv1 => "smbv1",
            AlertKind::Telnet => "telnet",
            AlertKind::RemoteLineOutsideWindow => "remote_line_outside_window",
            AlertKind::UnregisteredExternalEndpoint => "unregistered_external_endpoint",
            AlertKind::RemoteLineRetirement => "remote_line_retirement",
        }
    }
    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.code() == s)
    }
    /// `high`, `medium` or `low`.
    pub fn severity(self) -> &'static str {
        match self {
            AlertKind::CleartextPatientProtocol
            | AlertKind::Smbv1
            | AlertKind::Telnet
            | AlertKind::ExternalConnection
            | AlertKind::RemoteLineOutsideWindow => "high",
            AlertKind::UnknownDevice | AlertKind::UnregisteredExternalEndpoint => "medium",
            AlertKind::RemoteLineRetirement => "low",
        }
    }
}

/// An alert to raise.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewAlert {
    pub kind: AlertKind,
    /// What it is about: `device:ID` for a ledger device, `mac:…`/`ip:…` for an unknown one,
    /// `line:ID` for a remote line.
    pub subject: String,
    /// The ledger device concerned, if any.
    pub device_id: Option<i64>,
    /// The address concerned (the device's own, or the outside peer).
    pub address: String,
    /// English description; the UI names the kind in the reader's language.
    pub message: String,
    /// Facts behind it (flow, window, line…), as JSON.
    pub details: serde_json::Value,
    pub first_seen: String,
    pub last_seen: String,
}

/// A stored alert.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertRecord {
    pub id: i64,
    pub kind: AlertKind,
    pub severity: String,
    pub subject: String,
    pub device_id: Option<i64>,
    pub address: String,
    pub message: String,
    pub details: serde_json::Value,
    pub first_seen: String,
    pub last_seen: String,
    /// How many times it was raised.
    pub count: i64,
    /// `open` or `acknowledged`.
    pub status: String,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<String>,
    pub note: Option<String>,
    pub emailed_at: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertQuery {
    pub kind: Option<AlertKind>,
    /// `open` or `acknowledged`.
    pub status: Option<String>,
    pub device_id: Option<i64>,
    /// Only alerts about a ledger device of this department (alerts that name no device are left
    /// out too).
    pub department: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// Observations, observed fields and alerts. Implemented by `mdsec-store-sql`.
#[async_trait]
pub trait ObservationStore: Send + Sync + 'static {
    /// Store a batch in one transaction, merged with what was seen before; audited as one entry.
    async fn record_observations(
        &self,
        actor: &Actor,
        batch: ObservationBatch,
    ) -> StoreResult<ObservationSummary>;
    /// Every observed device, by key.
    async fn list_observations(&self) -> StoreResult<Vec<ObservationRecord>>;
    /// Every external flow, by device, peer, transport and port.
    async fn list_external_flows(&self) -> StoreResult<Vec<ExternalFlowRecord>>;
    /// Record observed values of ledger devices and fill ledger fields that are empty or still hold
    /// what discovery filled in before; never a value a person entered. One transaction, audited.
    async fn apply_observed_fields(
        &self,
        actor: &Actor,
        updates: Vec<ObservedFieldsUpdate>,
    ) -> StoreResult<Vec<AppliedObservation>>;
    /// What discovery learnt about the ledger's devices (one device, or all).
    async fn observed_fields(
        &self,
        device_id: Option<i64>,
    ) -> StoreResult<Vec<ObservedFieldRecord>>;

    /// Raise alerts. Returns the ones that are new; one already raised for the same kind, subject
    /// and address only gets its last-seen time and count moved (and stays as it is otherwise).
    async fn raise_alerts(
        &self,
        actor: &Actor,
        alerts: Vec<NewAlert>,
    ) -> StoreResult<Vec<AlertRecord>>;
    /// Newest first.
    async fn list_alerts(&self, query: &AlertQuery) -> StoreResult<Page<AlertRecord>>;
    async fn get_alert(&self, id: i64) -> StoreResult<Option<AlertRecord>>;
    /// Mark an alert acknowledged, with an optional note.
    async fn acknowledge_alert(
        &self,
        actor: &Actor,
        id: i64,
        note: Option<&str>,
    ) -> StoreResult<AlertRecord>;
    async fn mark_alert_emailed(&self, id: i64) -> StoreResult<()>;
}

/// `s` cut to [`MAX_OBSERVED_CHARS`] characters.
pub fn bounded(s: &str) -> String {
    s.chars().take(MAX_OBSERVED_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_keys_prefer_the_mac() {
        for k in AlertKind::ALL {
            assert_eq!(AlertKind::from_code(k.code()), Some(*k));
            assert_eq!(
                serde_json::to_value(k).unwrap(),
                serde_json::Value::String(k.code().into())
            );
        }
        let mut d = ObservedDevice {
            ip: Some("10.0.0.1".into()),
            ..Default::default()
        };
        assert_eq!(d.key().as_deref(), Some("ip:10.0.0.1"));
        d.mac = Some("AA:BB:CC:00:00:01".into());
        assert_eq!(d.key().as_deref(), Some("mac:aa:bb:cc:00:00:01"));
        assert_eq!(
            bounded(&"あ".repeat(600)).chars().count(),
            MAX_OBSERVED_CHARS
        );
    }
}
