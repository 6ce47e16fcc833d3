//! Reconciliation of what discovery saw with the ledger, and the alert rules.
//!
//! Owns: turning a discovery report into observations ([`observe`]), the three-way difference of
//! observations and ledger — matched (by MAC, then IP, then host name) with attribute conflicts, seen
//! but not in the ledger, in the ledger but not seen for N days ([`diff`]) — and which alerts follow
//! from observations, external flows and the remote-line registry ([`rules`]).
//! Invariants: pure (no I/O, no clock: "now" is an argument); deterministic order everywhere.

pub mod diff;
pub mod observe;
pub mod rules;

pub use diff::{reconcile, Conflict, MatchedDevice, NotSeenDevice, ReconcileReport, UnknownDevice};
pub use observe::{batch_from_report, batch_from_scan_hosts, ScannedHost};
pub use rules::{flow_alerts, report_alerts, retirement_alerts, unknown_device_alerts};

use chrono::{DateTime, Utc};

/// An RFC 3339 time as UTC, if it parses.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// How a ledger device is named in alerts and mails: management number, name, department.
pub fn device_label(d: &mdsec_store::Device) -> String {
    let f = &d.fields;
    let mut s = String::new();
    if let Some(n) = &f.management_number {
        s.push_str(n);
        s.push(' ');
    }
    s.push_str(&f.name);
    if let Some(m) = &f.model {
        s.push_str(&format!(" {m}"));
    }
    if let Some(dep) = &f.department {
        s.push_str(&format!(" ({dep})"));
    }
    s
}
