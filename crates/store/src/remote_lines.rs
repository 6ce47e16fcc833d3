//! The remote-maintenance lines registry (リモート保守回線台帳) and its sessions.
//!
//! A line is a vendor's way into the hospital (VPN, LTE router, …) with the devices it serves, who is
//! responsible on both sides and how sessions are approved. A session is one use of a line: requested
//! for a time window and purpose, approved or rejected by someone other than the requester, started and
//! ended — or opened at once as an emergency override with a mandatory reason. Every change is audited
//! in the same transaction (entities `remote_line` and `remote_session`).
//!
//! Who may approve is `web/src/policy.rs`'s question; that the approver is never the requester, that
//! windows make sense and do not overlap on a line, and that requested devices exist are the store's
//! invariants (checked under the write lock, so two requests cannot race past each other).

use crate::{Actor, Page, StoreResult};
use async_trait::async_trait;
use serde::Serialize;
use std::net::Ipv4Addr;

/// Longest text accepted in any registry field.
pub const MAX_FIELD_CHARS: usize = 2_000;
/// Most endpoints one line may list.
pub const MAX_ENDPOINTS: usize = 64;
/// Most devices one line or one session may name.
pub const MAX_DEVICES_PER_LINE: usize = 10_000;
/// Longest session window. Longer access is what "always on" means and must be registered as such.
pub const MAX_WINDOW_HOURS: i64 = 72;
/// A window may start at most this far ahead.
pub const MAX_DAYS_AHEAD: i64 = 180;
/// A line not reviewed for this many days is flagged.
pub const REVIEW_INTERVAL_DAYS: i64 = 365;

macro_rules! codes {
    ($ty:ident { $($variant:ident => $code:literal, $ja:literal, $en:literal);* $(;)? }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),*];
            pub fn code(self) -> &'static str {
                match self { $($ty::$variant => $code),* }
            }
            pub fn from_code(s: &str) -> Option<Self> {
                match s { $($code => Some($ty::$variant),)* _ => None }
            }
            /// The i18n key of the value's name (`<type>.<code>`).
            pub fn label_ja(self) -> &'static str {
                match self { $($ty::$variant => $ja),* }
            }
            pub fn label_en(self) -> &'static str {
                match self { $($ty::$variant => $en),* }
            }
        }
    };
}

/// How the vendor reaches the hospital.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RemoteMethod {
    SiteToSiteVpn,
    ClientVpn,
    LteRouter,
    IsdnAnalog,
    CloudRelay,
    DirectInternet,
    Other,
}

codes!(RemoteMethod {
    SiteToSiteVpn => "site_to_site_vpn", "拠点間VPN", "Site-to-site VPN";
    ClientVpn => "client_vpn", "クライアントVPN (SSL-VPN等)", "Client VPN";
    LteRouter => "lte_router", "LTEルータ", "LTE router";
    IsdnAnalog => "isdn_analog", "ISDN/アナログ回線", "ISDN / analog line";
    CloudRelay => "cloud_relay", "クラウド中継", "Cloud relay";
    DirectInternet => "direct_internet", "インターネット直接", "Direct internet";
    Other => "other", "その他", "Other";
});

impl RemoteMethod {
    /// Read the free text of the ledger's 接続方法 column ("拠点間VPN (IPsec)", "LTEルータ", …).
    pub fn from_ledger_text(s: &str) -> RemoteMethod {
        let l = s.to_lowercase();
        let has = |words: &[&str]| words.iter().any(|w| l.contains(w));
        if has(&[
            "拠点間",
            "site-to-site",
            "site to site",
            "ipsec",
            "ip-vpn",
            "閉域",
        ]) {
            RemoteMethod::SiteToSiteVpn
        } else if has(&["ssl-vpn", "sslvpn", "クライアント", "client", "vpn"]) {
            RemoteMethod::ClientVpn
        } else if has(&["lte", "4g", "5g", "モバイル", "携帯"]) {
            RemoteMethod::LteRouter
        } else if has(&[
            "isdn",
            "アナログ",
            "analog",
            "モデム",
            "modem",
            "ダイヤルアップ",
        ]) {
            RemoteMethod::IsdnAnalog
        } else if has(&["クラウド", "cloud", "中継", "relay", "https"]) {
            RemoteMethod::CloudRelay
        } else if has(&["インターネット", "internet", "直接"]) {
            RemoteMethod::DirectInternet
        } else {
            RemoteMethod::Other
        }
    }
}

/// How sessions on a line are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalPolicy {
    /// Each session is requested and approved (the good practice).
    PerSession,
    /// The line is always open. Discouraged; flagged everywhere it is shown.
    AlwaysOn,
}

codes!(ApprovalPolicy {
    PerSession => "per_session", "都度承認", "Approval per session";
    AlwaysOn => "always_on", "常時接続（非推奨）", "Always on (discouraged)";
});

/// Where a session is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    Requested,
    Approved,
    Rejected,
    Active,
    Ended,
    Cancelled,
}

codes!(SessionStatus {
    Requested => "requested", "承認待ち", "Requested";
    Approved => "approved", "承認済み", "Approved";
    Rejected => "rejected", "却下", "Rejected";
    Active => "active", "接続中", "Active";
    Ended => "ended", "終了", "Ended";
    Cancelled => "cancelled", "取消", "Cancelled";
});

impl SessionStatus {
    /// Sessions that hold their window (a new request may not overlap them).
    pub fn holds_window(self) -> bool {
        matches!(
            self,
            SessionStatus::Requested | SessionStatus::Approved | SessionStatus::Active
        )
    }
}

/// A registered line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RemoteLineRecord {
    pub id: i64,
    pub version: i64,
    pub vendor: String,
    pub method: RemoteMethod,
    /// Addresses or host names on the vendor's side.
    pub endpoints: Vec<String>,
    /// Ledger ids of the devices the line serves, ascending.
    pub device_ids: Vec<i64>,
    /// Who on the vendor side (name, phone, mail).
    pub vendor_contact: Option<String>,
    /// Who in the hospital is responsible for the line.
    pub hospital_owner: Option<String>,
    pub contract_ref: Option<String>,
    pub approval_policy: ApprovalPolicy,
    /// ISO date of the last review.
    pub last_review: Option<String>,
    pub notes: Option<String>,
    /// `manual` or `ledger` (imported from the ledger's remote-line column).
    pub source: String,
    pub retired: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl RemoteLineRecord {
    /// Warnings to show with the line, as stable codes: `always_on`, `never_reviewed`,
    /// `review_overdue`, `no_owner`, `no_endpoint`.
    pub fn flags(&self, today: &str) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.approval_policy == ApprovalPolicy::AlwaysOn {
            out.push("always_on");
        }
        match &self.last_review {
            None => out.push("never_reviewed"),
            Some(d) => {
                if days_between(d, today).is_some_and(|n| n > REVIEW_INTERVAL_DAYS) {
                    out.push("review_overdue");
                }
            }
        }
        if self.hospital_owner.is_none() {
            out.push("no_owner");
        }
        if self.endpoints.is_empty() {
            out.push("no_endpoint");
        }
        out
    }
}

/// Days from ISO date `a` to ISO date `b` (positive when `b` is later); None if either is malformed.
pub fn days_between(a: &str, b: &str) -> Option<i64> {
    fn days(s: &str) -> Option<i64> {
        let s = s.get(..10)?;
        let mut it = s.split('-');
        let y: i64 = it.next()?.parse().ok()?;
        let m: i64 = it.next()?.parse().ok()?;
        let d: i64 = it.next()?.parse().ok()?;
        if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
            return None;
        }
        // Days from civil (Howard Hinnant's algorithm).
        let y = if m <= 2 { y - 1 } else { y };
        let era = if y >= 0 { y } else { y - 399 } / 400;
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Some(era * 146_097 + doe - 719_468)
    }
    Some(days(b)? - days(a)?)
}

/// A line to register (or the new state of one).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewRemoteLine {
    pub vendor: String,
    pub method: Option<RemoteMethod>,
    pub endpoints: Vec<String>,
    pub device_ids: Vec<i64>,
    pub vendor_contact: Option<String>,
    pub hospital_owner: Option<String>,
    pub contract_ref: Option<String>,
    pub approval_policy: Option<ApprovalPolicy>,
    pub last_review: Option<String>,
    pub notes: Option<String>,
}

fn too_long(field: &str, v: &str) -> Option<String> {
    (v.chars().count() > MAX_FIELD_CHARS)
        .then(|| format!("{field} is longer than {MAX_FIELD_CHARS} characters"))
}

/// Is `s` a plausible endpoint: an IP address (optionally with /prefix) or a DNS host name?
pub fn valid_endpoint(s: &str) -> bool {
    let addr = s
        .split_once('/')
        .map(|(a, p)| (a, Some(p)))
        .unwrap_or((s, None));
    if let Ok(ip) = addr.0.parse::<std::net::IpAddr>() {
        let max = if ip.is_ipv4() { 32 } else { 128 };
        return addr
            .1
            .is_none_or(|p| p.parse::<u8>().is_ok_and(|p| p <= max));
    }
    addr.1.is_none()
        && !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

impl NewRemoteLine {
    /// Tidy the text (trim, blank → None, endpoints sorted without repeats) and check it; the error
    /// says which field is wrong and why.
    pub fn checked(mut self) -> Result<NewRemoteLine, String> {
        self.vendor = self.vendor.trim().to_string();
        if self.vendor.is_empty() {
            return Err("vendor is required".into());
        }
        for (name, v) in [
            ("vendor_contact", &mut self.vendor_contact),
            ("hospital_owner", &mut self.hospital_owner),
            ("contract_ref", &mut self.contract_ref),
            ("last_review", &mut self.last_review),
            ("notes", &mut self.notes),
        ] {
            if let Some(s) = v {
                let t = s.trim();
                if let Some(e) = too_long(name, t) {
                    return Err(e);
                }
                *v = (!t.is_empty()).then(|| t.to_string());
            }
        }
        if let Some(e) = too_long("vendor", &self.vendor) {
            return Err(e);
        }
        if let Some(d) = &self.last_review {
            if days_between(d, d).is_none() || d.len() != 10 {
                return Err(format!(
                    "last_review {d:?} is not a date (expected YYYY-MM-DD)"
                ));
            }
        }
        let mut endpoints: Vec<String> = self
            .endpoints
            .iter()
            .map(|e| e.trim().to_string())
            .filter(|e| !e.is_empty())
            .collect();
        if endpoints.len() > MAX_ENDPOINTS {
            return Err(format!("more than {MAX_ENDPOINTS} endpoints"));
        }
        if let Some(bad) = endpoints.iter().find(|e| !valid_endpoint(e)) {
            return Err(format!(
                "endpoint {bad:?} is neither an IP address nor a host name"
            ));
        }
        endpoints.sort();
        endpoints.dedup();
        self.endpoints = endpoints;
        if self.device_ids.len() > MAX_DEVICES_PER_LINE {
            return Err(format!("more than {MAX_DEVICES_PER_LINE} devices"));
        }
        self.device_ids.sort_unstable();
        self.device_ids.dedup();
        Ok(self)
    }
}

/// A registered session.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RemoteSessionRecord {
    pub id: i64,
    pub line_id: i64,
    pub status: SessionStatus,
    pub requested_by: String,
    pub requested_at: String,
    /// RFC 3339 UTC.
    pub window_start: String,
    pub window_end: String,
    pub purpose: String,
    /// Ledger ids of the devices the session will touch, ascending.
    pub device_ids: Vec<i64>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub decision_note: Option<String>,
    /// Opened by emergency override, without a second person's approval.
    pub emergency: bool,
    pub emergency_reason: Option<String>,
    pub started_at: Option<String>,
    pub started_by: Option<String>,
    pub ended_at: Option<String>,
    pub ended_by: Option<String>,
    /// What was done, written when the session ends.
    pub work_summary: Option<String>,
    /// The firewall rule snippet produced on approval, if asked for.
    pub firewall_rule: Option<String>,
}

/// A session to request.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewRemoteSession {
    pub line_id: i64,
    /// RFC 3339 (any offset; stored in UTC).
    pub window_start: String,
    pub window_end: String,
    pub purpose: String,
    pub device_ids: Vec<i64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RemoteSessionQuery {
    pub line_id: Option<i64>,
    pub status: Option<SessionStatus>,
    pub limit: i64,
    pub offset: i64,
}

/// A decision on a requested session.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SessionDecision {
    pub approve: bool,
    pub note: Option<String>,
    /// Store this firewall snippet with the approval (see [`nftables_snippet`]).
    pub firewall_rule: Option<String>,
}

/// What importing the ledger's remote-line column did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RemoteLineImportReport {
    /// Lines created.
    pub created: u64,
    /// Existing lines that gained devices.
    pub updated: u64,
    /// Lines already registered with every device.
    pub unchanged: u64,
    /// Devices marked as having a remote line (有) that were attached to a line.
    pub devices: u64,
}

/// The registry. Implemented by `mdsec-store-sql` for SQLite and PostgreSQL.
#[async_trait]
pub trait RemoteLineStore: Send + Sync + 'static {
    /// Every line, retired ones last, then by vendor and id.
    async fn list_remote_lines(&self) -> StoreResult<Vec<RemoteLineRecord>>;
    async fn get_remote_line(&self, id: i64) -> StoreResult<Option<RemoteLineRecord>>;
    /// Register a line. Unknown device ids are refused with their ids.
    async fn create_remote_line(
        &self,
        actor: &Actor,
        line: NewRemoteLine,
    ) -> StoreResult<RemoteLineRecord>;
    /// Replace a line's fields. With `expected_version`, refuse (Conflict) if it changed meanwhile.
    async fn update_remote_line(
        &self,
        actor: &Actor,
        id: i64,
        line: NewRemoteLine,
        expected_version: Option<i64>,
    ) -> StoreResult<RemoteLineRecord>;
    /// Retire a line (it stays, with its sessions, for the record).
    async fn retire_remote_line(&self, actor: &Actor, id: i64) -> StoreResult<RemoteLineRecord>;
    /// Create lines from the ledger's remote-line column: devices marked 有 grouped by endpoint (custom
    /// column `remote_endpoint`) and method. Idempotent: a second run changes nothing.
    async fn import_remote_lines_from_ledger(
        &self,
        actor: &Actor,
    ) -> StoreResult<RemoteLineImportReport>;

    /// Request a session. Refused: a window that ends before it starts, lasts over
    /// [`MAX_WINDOW_HOURS`], has ended already or starts over [`MAX_DAYS_AHEAD`] ahead; a window
    /// overlapping another open session of the line (Conflict); unknown devices; a retired line.
    async fn request_remote_session(
        &self,
        actor: &Actor,
        session: NewRemoteSession,
    ) -> StoreResult<RemoteSessionRecord>;
    /// Approve or reject a requested session. Refused when the actor requested it.
    async fn decide_remote_session(
        &self,
        actor: &Actor,
        id: i64,
        decision: SessionDecision,
    ) -> StoreResult<RemoteSessionRecord>;
    /// Open a session at once, without approval; the reason is mandatory. The window starts now.
    async fn emergency_remote_session(
        &self,
        actor: &Actor,
        session: NewRemoteSession,
        reason: &str,
    ) -> StoreResult<RemoteSessionRecord>;
    /// Log the start of an approved session (refused outside its window).
    async fn start_remote_session(
        &self,
        actor: &Actor,
        id: i64,
    ) -> StoreResult<RemoteSessionRecord>;
    /// Log the end of an active session, with what was done.
    async fn end_remote_session(
        &self,
        actor: &Actor,
        id: i64,
        work_summary: Option<&str>,
    ) -> StoreResult<RemoteSessionRecord>;
    /// Withdraw a requested or approved session that has not started.
    async fn cancel_remote_session(
        &self,
        actor: &Actor,
        id: i64,
    ) -> StoreResult<RemoteSessionRecord>;
    async fn get_remote_session(&self, id: i64) -> StoreResult<Option<RemoteSessionRecord>>;
    /// Newest window first.
    async fn list_remote_sessions(
        &self,
        query: &RemoteSessionQuery,
    ) -> StoreResult<Page<RemoteSessionRecord>>;
}

/// A one-time nftables snippet for the operator to apply when an approved session starts: it lets
/// the line's IPv4 endpoints reach the session's devices (and back) for `minutes`, then the set
/// elements expire by themselves. Only parsed addresses reach the text; host names and IPv6 are
/// listed as comments to handle by hand. Returns None when there is nothing to allow.
pub fn nftables_snippet(
    session_id: i64,
    line: &RemoteLineRecord,
    device_ips: &[String],
    minutes: i64,
) -> Option<String> {
    let endpoints: Vec<Ipv4Addr> = line
        .endpoints
        .iter()
        .filter_map(|e| e.parse().ok())
        .collect();
    let mut devices: Vec<Ipv4Addr> = device_ips.iter().filter_map(|e| e.parse().ok()).collect();
    devices.sort();
    devices.dedup();
    let minutes = minutes.clamp(1, MAX_WINDOW_HOURS * 60);
    if endpoints.is_empty() || devices.is_empty() {
        return None;
    }
    let set = format!("session_{session_id}");
    let mut out = format!(
        "# mdsec: remote session {session_id} on line {} ({}): allow for {minutes} minutes.\n\
         # Apply with `nft -f FILE` when the session starts; the elements expire on their own.\n",
        line.id,
        line.vendor.replace(['\n', '\r'], " ")
    );
    for e in &line.endpoints {
        if e.parse::<Ipv4Addr>().is_err() {
            out.push_str(&format!(
                "# endpoint {} is not an IPv4 address: allow it by hand\n",
                e.replace(['\n', '\r'], " ")
            ));
        }
    }
    out.push_str("table inet mdsec_remote {\n");
    out.push_str(&format!(
        "  set {set} {{\n    type ipv4_addr . ipv4_addr\n    flags timeout\n    elements = {{ "
    ));
    let pairs: Vec<String> = endpoints
        .iter()
        .flat_map(|e| {
            devices
                .iter()
                .map(move |d| format!("{e} . {d} timeout {minutes}m"))
        })
        .collect();
    out.push_str(&pairs.join(", "));
    out.push_str(" }\n  }\n");
    out.push_str("  chain forward {\n    type filter hook forward priority -10; policy accept;\n");
    out.push_str(&format!("    ip saddr . ip daddr @{set} accept\n"));
    out.push_str(&format!("    ip daddr . ip saddr @{set} accept\n"));
    out.push_str("  }\n}\n");
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ledger_method_text_maps_to_methods() {
        for (text, m) in [
            ("拠点間VPN (IPsec)", RemoteMethod::SiteToSiteVpn),
            ("SSL-VPN + リモートデスクトップ", RemoteMethod::ClientVpn),
            ("LTEルータ", RemoteMethod::LteRouter),
            ("クラウド中継 (HTTPS 443/tcp)", RemoteMethod::CloudRelay),
            ("ISDN", RemoteMethod::IsdnAnalog),
            ("インターネット直接", RemoteMethod::DirectInternet),
            ("?", RemoteMethod::Other),
        ] {
            assert_eq!(RemoteMethod::from_ledger_text(text), m, "{text}");
        }
        for m in RemoteMethod::ALL {
            assert_eq!(RemoteMethod::from_code(m.code()), Some(*m));
        }
    }

    #[test]
    fn lines_are_checked_and_tidied() {
        let l = NewRemoteLine {
            vendor: "  Philips ".into(),
            endpoints: vec![
                "203.0.113.7".into(),
                " relay.example.com ".into(),
                "203.0.113.7".into(),
            ],
            device_ids: vec![3, 1, 3],
            notes: Some("  ".into()),
            ..Default::default()
        }
        .checked()
        .unwrap();
        assert_eq!(l.vendor, "Philips");
        assert_eq!(l.endpoints, ["203.0.113.7", "relay.example.com"]);
        assert_eq!(l.device_ids, [1, 3]);
        assert_eq!(l.notes, None);
        for bad in [
            NewRemoteLine::default(),
            NewRemoteLine {
                vendor: "x".into(),
                endpoints: vec!["a b".into()],
                ..Default::default()
            },
            NewRemoteLine {
                vendor: "x".into(),
                last_review: Some("2024-13-01".into()),
                ..Default::default()
            },
            NewRemoteLine {
                vendor: "x".repeat(MAX_FIELD_CHARS + 1),
                ..Default::default()
            },
        ] {
            assert!(bad.checked().is_err());
        }
        assert!(valid_endpoint("192.0.2.0/24") && !valid_endpoint("192.0.2.0/33"));
        assert!(valid_endpoint("2001:db8::1") && !valid_endpoint("-bad.example"));
    }

    #[test]
    fn flags_always_on_and_overdue_reviews() {
        let mut l = RemoteLineRecord {
            id: 1,
            version: 1,
            vendor: "v".into(),
            method: RemoteMethod::LteRouter,
            endpoints: vec![],
            device_ids: vec![],
            vendor_contact: None,
            hospital_owner: None,
            contract_ref: None,
            approval_policy: ApprovalPolicy::AlwaysOn,
            last_review: None,
            notes: None,
            source: "manual".into(),
            retired: false,
            created_at: String::new(),
            updated_at: String::new(),
        };
        assert_eq!(
            l.flags("2026-04-01"),
            ["always_on", "never_reviewed", "no_owner", "no_endpoint"]
        );
        l.approval_policy = ApprovalPolicy::PerSession;
        l.last_review = Some("2025-03-31".into());
        l.hospital_owner = Some("医療情報部".into());
        l.endpoints = vec!["192.0.2.1".into()];
        assert_eq!(l.flags("2026-04-01"), ["review_overdue"]);
        l.last_review = Some("2025-04-01".into());
        assert!(l.flags("2026-04-01").is_empty());
        assert_eq!(days_between("2024-02-28", "2024-03-01"), Some(2));
        assert_eq!(days_between("x", "2024-03-01"), None);
    }

    #[test]
    fn nftables_snippet_allows_only_parsed_addresses() {
        let line = RemoteLineRecord {
            id: 3,
            version: 1,
            vendor: "Vendor\n; flush ruleset".into(),
            method: RemoteMethod::SiteToSiteVpn,
            endpoints: vec!["192.0.2.10".into(), "relay.example.com".into()],
            device_ids: vec![1],
            vendor_contact: None,
            hospital_owner: None,
            contract_ref: None,
            approval_policy: ApprovalPolicy::PerSession,
            last_review: None,
            notes: None,
            source: "manual".into(),
            retired: false,
            created_at: String::new(),
            updated_at: String::new(),
        };
        let s = nftables_snippet(
            12,
            &line,
            &["10.20.10.11".into(), "10.20.10.12; drop".into()],
            90,
        )
        .unwrap();
        assert!(
            s.contains("elements = { 192.0.2.10 . 10.20.10.11 timeout 90m }"),
            "{s}"
        );
        assert!(s.contains("# endpoint relay.example.com is not an IPv4 address"));
        // The vendor name stays inside one comment line.
        assert!(s.lines().all(|l| !l.starts_with("; flush")));
        assert!(!s.contains("drop"));
        assert_eq!(nftables_snippet(12, &line, &[], 90), None);
    }
}
