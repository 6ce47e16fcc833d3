//! Which alerts follow from what was seen.
//!
//! External flows are compared with the remote-line registry: a flow whose outside address (or TLS
//! SNI / HTTP Host) matches an endpoint of a live line is fine when the line is always on (flagged
//! elsewhere as discouraged) or when an approved, active or ended session of that line has a window
//! that holds the whole flow; otherwise it raises `remote_line_outside_window`. A flow matching no
//! line raises `unregistered_external_endpoint` when the device opened it, and
//! `external_connection` when the outside opened it (the device is reachable from outside). HL7 or
//! DICOM over plain TCP across the boundary raises `cleartext_patient_protocol` whatever the
//! registry says. SMBv1 and telnet come from the analyzer's own findings.

use crate::diff::ReconcileReport;
use crate::{device_label, parse_time};
use chrono::{DateTime, Duration, Utc};
use mdsec_discovery::{AlertKind as Seen, DiscoveryReport, RegisteredEndpoint};
use mdsec_domain::normalize::normalize_ip;
use mdsec_store::{
    AlertKind, ApprovalPolicy, Device, NewAlert, ObservedFlow, RemoteLineRecord,
    RemoteSessionRecord, SessionStatus,
};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

/// Services whose clear-text content is patient data.
pub const PATIENT_PROTOCOLS: &[&str] = &["hl7", "dicom"];

/// Ledger devices by their (normalised) IP address.
struct Ledger<'a> {
    by_ip: HashMap<String, &'a Device>,
}

impl<'a> Ledger<'a> {
    fn new(devices: &'a [Device]) -> Self {
        let mut by_ip = HashMap::new();
        for d in devices.iter().filter(|d| !d.deleted) {
            if let Some(ip) = d.fields.ip.as_deref().and_then(normalize_ip) {
                by_ip.entry(ip).or_insert(d);
            }
        }
        Ledger { by_ip }
    }
    /// (subject, device id, label) of the device at `ip`.
    fn who(&self, ip: &str) -> (String, Option<i64>, String) {
        match normalize_ip(ip).and_then(|n| self.by_ip.get(&n)) {
            Some(d) => (format!("device:{}", d.id), Some(d.id), device_label(d)),
            None => (format!("ip:{ip}"), None, ip.to_string()),
        }
    }
}

fn line_matches(line: &RemoteLineRecord, peer: &str, server_name: Option<&str>) -> bool {
    let ip: Option<IpAddr> = peer.parse().ok();
    line.endpoints
        .iter()
        .any(|e| match e.parse::<RegisteredEndpoint>() {
            Ok(ep) => {
                ip.is_some_and(|ip| ep.matches_ip(ip))
                    || server_name.is_some_and(|n| ep.matches_name(n))
            }
            Err(_) => false,
        })
}

/// Does a session of the line hold the flow's whole time span in its approved window?
fn covered(sessions: &[&RemoteSessionRecord], first: &str, last: &str) -> Option<i64> {
    let (Some(first), Some(last)) = (parse_time(first), parse_time(last)) else {
        return None;
    };
    sessions
        .iter()
        .filter(|s| {
            matches!(
                s.status,
                SessionStatus::Approved | SessionStatus::Active | SessionStatus::Ended
            )
        })
        .find(|s| {
            let (Some(ws), Some(we)) = (parse_time(&s.window_start), parse_time(&s.window_end))
            else {
                return false;
            };
            ws <= first && last <= we
        })
        .map(|s| s.id)
}

/// Alerts for external flows against the registry (see the module documentation).
pub fn flow_alerts(
    flows: &[ObservedFlow],
    ledger: &[Device],
    lines: &[RemoteLineRecord],
    sessions: &[RemoteSessionRecord],
) -> Vec<NewAlert> {
    let ledger = Ledger::new(ledger);
    let live: Vec<&RemoteLineRecord> = lines.iter().filter(|l| !l.retired).collect();
    let mut by_line: BTreeMap<i64, Vec<&RemoteSessionRecord>> = BTreeMap::new();
    for s in sessions {
        by_line.entry(s.line_id).or_default().push(s);
    }
    let mut out = Vec::new();
    for f in flows {
        let (subject, device_id, label) = ledger.who(&f.device_ip);
        let flow = json!({
            "device_ip": f.device_ip, "peer": f.peer, "outbound": f.outbound,
            "transport": f.transport, "port": f.port, "service": f.service,
            "server_name": f.server_name, "first_seen": f.first_seen, "last_seen": f.last_seen,
        });
        let alert = |kind: AlertKind, message: String, details: serde_json::Value| NewAlert {
            kind,
            subject: subject.clone(),
            device_id,
            address: f.peer.clone(),
            message,
            details,
            first_seen: f.first_seen.clone(),
            last_seen: f.last_seen.clone(),
        };
        let dir = if f.outbound { "to" } else { "from" };
        let lines_hit: Vec<&RemoteLineRecord> = live
            .iter()
            .copied()
            .filter(|l| line_matches(l, &f.peer, f.server_name.as_deref()))
            .collect();
        if lines_hit.is_empty() {
            let kind = if f.outbound {
                AlertKind::UnregisteredExternalEndpoint
            } else {
                AlertKind::ExternalConnection
            };
            out.push(alert(
                kind,
                format!(
                    "{label}: {} {dir} {} ({} {}), not a registered remote-maintenance endpoint",
                    f.device_ip, f.peer, f.transport, f.port
                ),
                json!({ "flow": flow }),
            ));
        } else if !lines_hit
            .iter()
            .any(|l| l.approval_policy == ApprovalPolicy::AlwaysOn)
        {
            let session = lines_hit.iter().find_map(|l| {
                covered(
                    by_line.get(&l.id).map(Vec::as_slice).unwrap_or(&[]),
                    &f.first_seen,
                    &f.last_seen,
                )
            });
            if session.is_none() {
                let ids: Vec<i64> = lines_hit.iter().map(|l| l.id).collect();
                let vendors: Vec<&str> = lines_hit.iter().map(|l| l.vendor.as_str()).collect();
                out.push(alert(
                    AlertKind::RemoteLineOutsideWindow,
                    format!(
                        "{label}: {} {dir} {} ({} {}) on remote line of {} outside any approved session window",
                        f.device_ip,
                        f.peer,
                        f.transport,
                        f.port,
                        vendors.join(", ")
                    ),
                    json!({ "flow": flow, "lines": ids }),
                ));
            }
        }
        if f.transport == "tcp"
            && f.service
                .as_deref()
                .is_some_and(|s| PATIENT_PROTOCOLS.contains(&s))
        {
            out.push(alert(
                AlertKind::CleartextPatientProtocol,
                format!(
                    "{label}: {} in clear text between {} and outside address {}",
                    f.service.as_deref().unwrap_or(""),
                    f.device_ip,
                    f.peer
                ),
                json!({ "flow": flow }),
            ));
        }
    }
    out
}

/// SMBv1 and telnet alerts from a discovery report.
pub fn report_alerts(report: &DiscoveryReport, ledger: &[Device]) -> Vec<NewAlert> {
    let ledger = Ledger::new(ledger);
    report
        .alerts
        .iter()
        .filter_map(|a| {
            let kind = match a.kind {
                Seen::Smbv1 => AlertKind::Smbv1,
                Seen::Telnet => AlertKind::Telnet,
                // External connections are judged against the registry by `flow_alerts`.
                Seen::ExternalConnection | Seen::CleartextPatientDataExternal => return None,
            };
            let ip = a.device.to_string();
            let (subject, device_id, label) = ledger.who(&ip);
            Some(NewAlert {
                kind,
                subject,
                device_id,
                address: ip,
                message: format!("{label}: {}", a.message),
                details: json!({
                    "peer": a.peer, "transport": a.transport, "port": a.port,
                    "capture": a.capture, "packet": a.packet,
                }),
                first_seen: a.first_seen.clone(),
                last_seen: a.first_seen.clone(),
            })
        })
        .collect()
}

/// One alert per device seen on the network that the ledger does not know.
pub fn unknown_device_alerts(report: &ReconcileReport) -> Vec<NewAlert> {
    report
        .unknown
        .iter()
        .map(|u| {
            let address = u.ip.clone().or_else(|| u.mac.clone()).unwrap_or_default();
            let what: Vec<&str> = [&u.manufacturer, &u.model, &u.hostname]
                .into_iter()
                .filter_map(|v| v.as_deref())
                .collect();
            NewAlert {
                kind: AlertKind::UnknownDevice,
                subject: u.observation.clone(),
                device_id: None,
                address,
                message: format!(
                    "device not in the ledger: IP {} MAC {}{}",
                    u.ip.as_deref().unwrap_or("-"),
                    u.mac.as_deref().unwrap_or("-"),
                    if what.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", what.join(", "))
                    }
                ),
                details: json!({ "protocols": u.protocols, "hostname": u.hostname }),
                first_seen: u.first_seen.clone(),
                last_seen: u.last_seen.clone(),
            }
        })
        .collect()
}

/// Lines with endpoints whose endpoints no external flow reached for `days` days: proposed for
/// retirement (用途不明の回線 are how intruders come in).
pub fn retirement_alerts(
    lines: &[RemoteLineRecord],
    flows: &[ObservedFlow],
    now: DateTime<Utc>,
    days: i64,
) -> Vec<NewAlert> {
    let cutoff = now - Duration::days(days.max(0));
    let now_s = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    lines
        .iter()
        .filter(|l| !l.retired && !l.endpoints.is_empty())
        .filter_map(|l| {
            let last = flows
                .iter()
                .filter(|f| line_matches(l, &f.peer, f.server_name.as_deref()))
                .filter_map(|f| parse_time(&f.last_seen))
                .max();
            if last.is_some_and(|t| t >= cutoff) {
                return None;
            }
            let last_s = last.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
            Some(NewAlert {
                kind: AlertKind::RemoteLineRetirement,
                subject: format!("line:{}", l.id),
                device_id: l.device_ids.first().copied(),
                address: l.endpoints.join(","),
                message: format!(
                    "remote line {} of {} ({}) not seen for {days} days{}: retire it if nobody needs it",
                    l.id,
                    l.vendor,
                    l.endpoints.join(", "),
                    last_s
                        .as_deref()
                        .map(|t| format!(" (last seen {t})"))
                        .unwrap_or_else(|| " (never seen)".into())
                ),
                details: json!({ "line_id": l.id, "last_seen": last_s, "days": days }),
                first_seen: now_s.clone(),
                last_seen: now_s.clone(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mdsec_domain::DeviceFields;
    use mdsec_store::RemoteMethod;

    fn dev(id: i64, ip: &str) -> Device {
        Device {
            id,
            version: 1,
            created_at: String::new(),
            updated_at: String::new(),
            deleted: false,
            fields: DeviceFields {
                management_number: Some(format!("ME-{id}")),
                name: "CT".into(),
                ip: Some(ip.into()),
                ..Default::default()
            },
        }
    }

    fn line(id: i64, endpoints: &[&str], policy: ApprovalPolicy) -> RemoteLineRecord {
        RemoteLineRecord {
            id,
            version: 1,
            vendor: "Vendor".into(),
            method: RemoteMethod::SiteToSiteVpn,
            endpoints: endpoints.iter().map(|e| e.to_string()).collect(),
            device_ids: vec![1],
            vendor_contact: None,
            hospital_owner: None,
            contract_ref: None,
            approval_policy: policy,
            last_review: None,
            notes: None,
            source: "manual".into(),
            retired: false,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    fn session(line_id: i64, status: SessionStatus, start: &str, end: &str) -> RemoteSessionRecord {
        RemoteSessionRecord {
            id: 9,
            line_id,
            status,
            requested_by: "vendor".into(),
            requested_at: start.into(),
            window_start: start.into(),
            window_end: end.into(),
            purpose: "update".into(),
            device_ids: vec![],
            decided_by: None,
            decided_at: None,
            decision_note: None,
            emergency: false,
            emergency_reason: None,
            started_at: None,
            started_by: None,
            ended_at: None,
            ended_by: None,
            work_summary: None,
            firewall_rule: None,
        }
    }

    fn flow(peer: &str, outbound: bool, at: &str, service: Option<&str>) -> ObservedFlow {
        ObservedFlow {
            device_ip: "10.20.1.11".into(),
            peer: peer.into(),
            outbound,
            transport: "tcp".into(),
            port: 443,
            service: service.map(Into::into),
            server_name: None,
            packets: 5,
            bytes: 500,
            first_seen: at.into(),
            last_seen: at.into(),
        }
    }

    #[test]
    fn flows_against_the_registry() {
        let ledger = vec![dev(1, "10.20.1.11")];
        let lines = vec![line(3, &["198.51.100.0/24"], ApprovalPolicy::PerSession)];
        let sessions = vec![
            session(
                3,
                SessionStatus::Approved,
                "2026-04-01T01:00:00Z",
                "2026-04-01T03:00:00Z",
            ),
            session(
                3,
                SessionStatus::Rejected,
                "2026-04-01T05:00:00Z",
                "2026-04-01T06:00:00Z",
            ),
        ];
        let flows = vec![
            flow("198.51.100.9", true, "2026-04-01T02:00:00Z", None), // inside the window
            flow("198.51.100.9", true, "2026-04-01T05:30:00Z", None), // rejected session
            flow("203.0.113.7", true, "2026-04-01T02:00:00Z", Some("hl7")), // unregistered
            flow("203.0.113.8", false, "2026-04-01T02:00:00Z", None), // inbound
        ];
        let a = flow_alerts(&flows, &ledger, &lines, &sessions);
        let got: Vec<(AlertKind, &str, &str)> = a
            .iter()
            .map(|a| (a.kind, a.subject.as_str(), a.address.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    AlertKind::RemoteLineOutsideWindow,
                    "device:1",
                    "198.51.100.9"
                ),
                (
                    AlertKind::UnregisteredExternalEndpoint,
                    "device:1",
                    "203.0.113.7"
                ),
                (
                    AlertKind::CleartextPatientProtocol,
                    "device:1",
                    "203.0.113.7"
                ),
                (AlertKind::ExternalConnection, "device:1", "203.0.113.8"),
            ]
        );
        assert!(a[1].message.contains("ME-1") && a[1].message.contains("203.0.113.7"));
        // An always-on line raises nothing about windows.
        let always = vec![line(3, &["198.51.100.9"], ApprovalPolicy::AlwaysOn)];
        assert!(flow_alerts(&flows[1..2], &ledger, &always, &[]).is_empty());
    }

    #[test]
    fn silent_lines_are_proposed_for_retirement() {
        let now = parse_time("2026-04-01T00:00:00Z").unwrap();
        let lines = vec![
            line(1, &["198.51.100.9"], ApprovalPolicy::PerSession),
            line(2, &["192.0.2.5"], ApprovalPolicy::PerSession),
            line(3, &[], ApprovalPolicy::PerSession),
        ];
        let flows = vec![flow("198.51.100.9", true, "2026-03-25T00:00:00Z", None)];
        let a = retirement_alerts(&lines, &flows, now, 30);
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].subject, "line:2");
        assert!(retirement_alerts(&lines[..1], &flows, now, 3).len() == 1);
    }
}
