//! The three-way difference of observations and ledger.

use crate::parse_time;
use chrono::{DateTime, Duration, Utc};
use mdsec_domain::normalize::{normalize_ip, normalize_mac};
use mdsec_domain::DeviceStatus;
use mdsec_store::{Device, ObservationRecord, ObservedFieldsUpdate};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// A ledger attribute that differs from what was observed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conflict {
    /// `ip`, `mac` or `software_version`.
    pub field: String,
    pub ledger: String,
    pub observed: String,
}

/// A ledger device that was seen.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchedDevice {
    pub device_id: i64,
    pub management_number: Option<String>,
    pub name: String,
    pub department: Option<String>,
    /// `mac`, `ip` or `hostname`.
    pub matched_by: String,
    /// Key of the (latest) observation.
    pub observation: String,
    pub observed_ip: Option<String>,
    pub observed_mac: Option<String>,
    pub observed_hostname: Option<String>,
    pub last_seen: String,
    pub conflicts: Vec<Conflict>,
}

/// A device seen on the network that the ledger does not know.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnknownDevice {
    pub observation: String,
    pub ip: Option<String>,
    pub mac: Option<String>,
    pub hostname: Option<String>,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub protocols: Vec<String>,
    pub first_seen: String,
    pub last_seen: String,
}

/// A networked, active ledger device not seen for the given number of days (or never).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotSeenDevice {
    pub device_id: i64,
    pub management_number: Option<String>,
    pub name: String,
    pub department: Option<String>,
    pub ip: Option<String>,
    pub mac: Option<String>,
    /// When it was last seen, if ever.
    pub last_seen: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ReconcileSummary {
    pub observed: usize,
    pub matched: usize,
    pub conflicts: usize,
    pub unknown: usize,
    pub not_seen: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReconcileReport {
    pub generated_at: String,
    pub not_seen_days: i64,
    pub summary: ReconcileSummary,
    pub matched: Vec<MatchedDevice>,
    pub unknown: Vec<UnknownDevice>,
    pub not_seen: Vec<NotSeenDevice>,
    /// What `--apply` records for matched devices (observed values per ledger field).
    #[serde(skip)]
    pub updates: Vec<ObservedFieldsUpdate>,
}

impl ReconcileReport {
    pub fn with_conflicts(&self) -> impl Iterator<Item = &MatchedDevice> {
        self.matched.iter().filter(|m| !m.conflicts.is_empty())
    }
}

fn mac_of(s: &Option<String>) -> Option<String> {
    s.as_deref().and_then(normalize_mac)
}
fn ip_of(s: &Option<String>) -> Option<String> {
    s.as_deref().and_then(normalize_ip)
}
fn host_of(s: Option<&String>) -> Option<String> {
    s.map(|h| h.trim().trim_end_matches('.').to_lowercase())
        .filter(|h| !h.is_empty())
}

fn later(a: &str, b: &str) -> bool {
    match (parse_time(a), parse_time(b)) {
        (Some(x), Some(y)) => x > y,
        _ => a > b,
    }
}

/// Compare observations with the ledger as of `now`. Devices not seen for `not_seen_days` are those
/// active (稼働) ledger devices with an IP or MAC whose latest matching observation is older, or none.
pub fn reconcile(
    ledger: &[Device],
    observations: &[ObservationRecord],
    now: DateTime<Utc>,
    not_seen_days: i64,
) -> ReconcileReport {
    let live: Vec<&Device> = ledger.iter().filter(|d| !d.deleted).collect();
    let mut by_mac: HashMap<String, usize> = HashMap::new();
    let mut by_ip: HashMap<String, usize> = HashMap::new();
    let mut by_host: HashMap<String, usize> = HashMap::new();
    // Disposed devices match last: a live device with the same address is the likelier one.
    let mut order: Vec<usize> = (0..live.len()).collect();
    order.sort_by_key(|&i| (live[i].fields.status == DeviceStatus::Disposed, live[i].id));
    for &i in &order {
        let f = &live[i].fields;
        if let Some(m) = mac_of(&f.mac) {
            by_mac.entry(m).or_insert(i);
        }
        if let Some(ip) = ip_of(&f.ip) {
            by_ip.entry(ip).or_insert(i);
        }
        if let Some(h) = host_of(f.custom.get("hostname")) {
            by_host.entry(h).or_insert(i);
        }
    }
    // Ledger index → (observation, matched by); the latest observation wins.
    let mut seen: BTreeMap<usize, (&ObservationRecord, &'static str)> = BTreeMap::new();
    let mut unknown = Vec::new();
    for o in observations {
        let d = &o.device;
        let hit = mac_of(&d.mac)
            .and_then(|m| by_mac.get(&m).map(|&i| (i, "mac")))
            .or_else(|| ip_of(&d.ip).and_then(|ip| by_ip.get(&ip).map(|&i| (i, "ip"))))
            .or_else(|| {
                host_of(d.hostname.as_ref()).and_then(|h| by_host.get(&h).map(|&i| (i, "hostname")))
            });
        match hit {
            Some((i, how)) => {
                let replace = seen
                    .get(&i)
                    .is_none_or(|(prev, _)| later(&d.last_seen, &prev.device.last_seen));
                if replace {
                    seen.insert(i, (o, how));
                }
            }
            None => unknown.push(UnknownDevice {
                observation: o.key.clone(),
                ip: d.ip.clone(),
                mac: d.mac.clone(),
                hostname: d.hostname.clone(),
                manufacturer: d.manufacturer.clone(),
                model: d.model.clone(),
                protocols: d.protocols.clone(),
                first_seen: d.first_seen.clone(),
                last_seen: d.last_seen.clone(),
            }),
        }
    }
    let mut matched = Vec::new();
    let mut updates = Vec::new();
    for (&i, (o, how)) in &seen {
        let dev = live[i];
        let f = &dev.fields;
        let d = &o.device;
        let mut conflicts = Vec::new();
        if let (Some(l), Some(ob)) = (ip_of(&f.ip), ip_of(&d.ip)) {
            if l != ob {
                conflicts.push(Conflict {
                    field: "ip".into(),
                    ledger: l,
                    observed: ob,
                });
            }
        }
        if let (Some(l), Some(ob)) = (mac_of(&f.mac), mac_of(&d.mac)) {
            if l != ob {
                conflicts.push(Conflict {
                    field: "mac".into(),
                    ledger: l,
                    observed: ob,
                });
            }
        }
        if let (Some(l), Some(ob)) = (&f.software_version, &d.software_version) {
            if l.trim() != ob.trim() {
                conflicts.push(Conflict {
                    field: "software_version".into(),
                    ledger: l.clone(),
                    observed: ob.clone(),
                });
            }
        }
        let mut fields = BTreeMap::new();
        let mut put = |k: &str, v: Option<String>| {
            if let Some(v) = v.filter(|v| !v.trim().is_empty()) {
                fields.insert(k.to_string(), v);
            }
        };
        put("ip", ip_of(&d.ip));
        put("mac", mac_of(&d.mac));
        put("manufacturer", d.manufacturer.clone());
        put("model", d.model.clone());
        put("software_version", d.software_version.clone());
        put("custom.hostname", d.hostname.clone());
        updates.push(ObservedFieldsUpdate {
            device_id: dev.id,
            fields,
            observed_at: d.last_seen.clone(),
        });
        matched.push(MatchedDevice {
            device_id: dev.id,
            management_number: f.management_number.clone(),
            name: f.name.clone(),
            department: f.department.clone(),
            matched_by: how.to_string(),
            observation: o.key.clone(),
            observed_ip: d.ip.clone(),
            observed_mac: d.mac.clone(),
            observed_hostname: d.hostname.clone(),
            last_seen: d.last_seen.clone(),
            conflicts,
        });
    }
    matched.sort_by_key(|m| m.device_id);
    let cutoff = now - Duration::days(not_seen_days.max(0));
    let mut not_seen = Vec::new();
    for (i, dev) in live.iter().enumerate() {
        let f = &dev.fields;
        if f.status != DeviceStatus::Active || (f.ip.is_none() && f.mac.is_none()) {
            continue;
        }
        let last = seen.get(&i).map(|(o, _)| o.device.last_seen.clone());
        let recent = last
            .as_deref()
            .and_then(parse_time)
            .is_some_and(|t| t >= cutoff);
        if !recent {
            not_seen.push(NotSeenDevice {
                device_id: dev.id,
                management_number: f.management_number.clone(),
                name: f.name.clone(),
                department: f.department.clone(),
                ip: f.ip.clone(),
                mac: f.mac.clone(),
                last_seen: last,
            });
        }
    }
    not_seen.sort_by_key(|n| n.device_id);
    ReconcileReport {
        generated_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        not_seen_days,
        summary: ReconcileSummary {
            observed: observations.len(),
            matched: matched.len(),
            conflicts: matched.iter().filter(|m| !m.conflicts.is_empty()).count(),
            unknown: unknown.len(),
            not_seen: not_seen.len(),
        },
        matched,
        unknown,
        not_seen,
        updates,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mdsec_domain::DeviceFields;
    use mdsec_store::ObservedDevice;

    pub(crate) fn device(
        id: i64,
        ip: Option<&str>,
        mac: Option<&str>,
        host: Option<&str>,
    ) -> Device {
        let mut fields = DeviceFields {
            management_number: Some(format!("ME-{id:03}")),
            name: format!("機器{id}"),
            ip: ip.map(Into::into),
            mac: mac.map(Into::into),
            software_version: Some("1.0".into()),
            ..Default::default()
        };
        if let Some(h) = host {
            fields.custom.insert("hostname".into(), h.into());
        }
        Device {
            id,
            version: 1,
            created_at: String::new(),
            updated_at: String::new(),
            deleted: false,
            fields,
        }
    }

    pub(crate) fn obs(
        ip: Option<&str>,
        mac: Option<&str>,
        host: Option<&str>,
        at: &str,
    ) -> ObservationRecord {
        let device = ObservedDevice {
            ip: ip.map(Into::into),
            mac: mac.map(Into::into),
            hostname: host.map(Into::into),
            first_seen: at.into(),
            last_seen: at.into(),
            ..Default::default()
        };
        ObservationRecord {
            id: 0,
            key: device.key().unwrap_or_default(),
            device,
            source: "test".into(),
            updated_at: at.into(),
        }
    }

    #[test]
    fn three_way_difference_with_conflicts() {
        let ledger = vec![
            device(1, Some("10.0.0.1"), Some("02:00:00:00:00:01"), None),
            device(2, Some("10.0.0.2"), Some("02:00:00:00:00:02"), None),
            device(3, None, None, Some("ct-01")),
            device(4, Some("10.0.0.4"), None, None),
            device(5, None, None, None),
        ];
        let now = parse_time("2026-04-01T00:00:00Z").unwrap();
        let observations = vec![
            // MAC known, IP moved: matched by MAC with an IP conflict.
            obs(
                Some("10.0.0.11"),
                Some("02-00-00-00-00-01"),
                None,
                "2026-03-31T00:00:00Z",
            ),
            // IP known, another MAC: matched by IP with a MAC conflict.
            obs(
                Some("10.0.0.2"),
                Some("02:00:00:00:00:99"),
                None,
                "2026-03-31T00:00:00Z",
            ),
            // Only the host name: matched by host name.
            obs(
                Some("10.0.0.3"),
                None,
                Some("CT-01."),
                "2026-03-31T00:00:00Z",
            ),
            // Device 4 was seen, but long ago.
            obs(Some("10.0.0.4"), None, None, "2026-01-01T00:00:00Z"),
            // Nobody knows this one.
            obs(
                Some("10.0.0.50"),
                Some("02:00:00:00:00:50"),
                None,
                "2026-03-31T00:00:00Z",
            ),
        ];
        let r = reconcile(&ledger, &observations, now, 30);
        let by: Vec<(i64, &str)> = r
            .matched
            .iter()
            .map(|m| (m.device_id, m.matched_by.as_str()))
            .collect();
        assert_eq!(by, [(1, "mac"), (2, "ip"), (3, "hostname"), (4, "ip")]);
        assert_eq!(r.matched[0].conflicts[0].field, "ip");
        assert_eq!(r.matched[0].conflicts[0].observed, "10.0.0.11");
        assert_eq!(r.matched[1].conflicts[0].field, "mac");
        assert!(r.matched[2].conflicts.is_empty());
        assert_eq!(r.unknown.len(), 1);
        assert_eq!(r.unknown[0].ip.as_deref(), Some("10.0.0.50"));
        // 4 is stale; 5 has no address (not networked) and is not expected on the wire.
        let ns: Vec<i64> = r.not_seen.iter().map(|n| n.device_id).collect();
        assert_eq!(ns, [4]);
        assert_eq!(r.summary.conflicts, 2);
        assert_eq!(r.updates.len(), 4);
        assert_eq!(
            r.updates[0].fields.get("ip").map(String::as_str),
            Some("10.0.0.11")
        );
    }
}
