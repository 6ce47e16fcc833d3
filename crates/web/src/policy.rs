//! Who may do what. One place, pure functions, so the UI and the API cannot disagree.

use mdsec_domain::DeviceFields;
use mdsec_store::{AddressSearch, Device, HistoryEntry, RemoteLineRecord, Role, User};
use std::collections::HashMap;

/// May `user` create devices at all (in some department)?
pub fn can_create_devices(user: &User) -> bool {
    matches!(
        user.role,
        Role::Admin | Role::Isso | Role::DeviceSafety | Role::DepartmentUser
    )
}

/// May `user` change a device that is (or would be) in `department`?
/// Department users edit only their own department's devices.
pub fn can_edit_in_department(user: &User, department: Option<&str>) -> bool {
    match user.role {
        Role::Admin | Role::Isso | Role::DeviceSafety => true,
        Role::DepartmentUser => {
            user.department.is_some() && user.department.as_deref() == department
        }
        Role::Executive | Role::Auditor | Role::Manufacturer => false,
    }
}

pub fn can_edit_device(user: &User, device: &Device) -> bool {
    !device.deleted && can_edit_in_department(user, device.fields.department.as_deref())
}

// ---- least privilege: network detail ----

/// How far a user's view of *network detail* reaches: device IP and MAC addresses, the devices in
/// the network diagram, alerts and the reconciliation rows. The one least-privilege rule
/// (ARCHITECTURE.md, "Least privilege"); pages, the JSON API and exports all ask it through
/// [`can_view_network_detail`], [`redact_device`] and [`can_view_alert`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetworkScope {
    /// Every device: the hospital's officers and the auditor.
    Hospital,
    /// The devices of one department: a department user (`None`: an account without one sees none).
    Department(Option<String>),
    /// The manufacturer's own products, the only devices such an account sees at all.
    Manufacturer(String),
    /// No device's detail: counts and the report (executives).
    CountsOnly,
}

pub fn network_scope(user: &User) -> NetworkScope {
    match user.role {
        Role::Admin | Role::Isso | Role::DeviceSafety | Role::Auditor => NetworkScope::Hospital,
        Role::DepartmentUser => {
            NetworkScope::Department(user.department.clone().filter(|d| !d.trim().is_empty()))
        }
        Role::Manufacturer => {
            NetworkScope::Manufacturer(manufacturer_scope(user).unwrap_or_default())
        }
        Role::Executive => NetworkScope::CountsOnly,
    }
}

/// The ledger fields that are network detail: shown, exported and searched only where
/// [`can_view_network_detail`] allows.
pub const NETWORK_DETAIL_FIELDS: &[&str] = &["ip", "mac"];

/// May `user` see the network detail of a device in `department` made by `manufacturer`?
pub fn can_view_network_detail_of(
    user: &User,
    department: Option<&str>,
    manufacturer: Option<&str>,
) -> bool {
    match network_scope(user) {
        NetworkScope::Hospital => true,
        NetworkScope::Department(Some(d)) => department == Some(d.as_str()),
        NetworkScope::Department(None) | NetworkScope::CountsOnly => false,
        NetworkScope::Manufacturer(m) => manufacturer == Some(m.as_str()),
    }
}

/// May `user` see the IP and MAC address of (and draw) the device with these fields?
pub fn can_view_network_detail(user: &User, fields: &DeviceFields) -> bool {
    can_view_network_detail_of(
        user,
        fields.department.as_deref(),
        fields.manufacturer.as_deref(),
    )
}

/// Does `user` see the network detail of every device (so lists may sort and search by address)?
pub fn sees_all_network_detail(user: &User) -> bool {
    network_scope(user) == NetworkScope::Hospital
}

/// Blank the network detail of `fields` unless `user` may see it.
pub fn redact_fields(user: &User, fields: &mut DeviceFields) {
    if !can_view_network_detail(user, fields) {
        fields.ip = None;
        fields.mac = None;
    }
}

/// `device` as `user` may see it: IP and MAC blanked where not permitted.
pub fn redact_device(user: &User, mut device: Device) -> Device {
    redact_fields(user, &mut device.fields);
    device
}

/// `history` of `device` as `user` may see it: changes of IP and MAC left out where not permitted.
pub fn redact_history(user: &User, device: &Device, history: &mut [HistoryEntry]) {
    if !can_view_network_detail(user, &device.fields) {
        for h in history {
            h.changes
                .retain(|c| !NETWORK_DETAIL_FIELDS.contains(&c.field.as_str()));
        }
    }
}

/// Where a free-text device search may compare the text with IP and MAC addresses.
pub fn address_search(user: &User) -> AddressSearch {
    match network_scope(user) {
        // A manufacturer's search is confined to its own products already.
        NetworkScope::Hospital | NetworkScope::Manufacturer(_) => AddressSearch::All,
        NetworkScope::Department(Some(d)) => AddressSearch::Department(d),
        NetworkScope::Department(None) | NetworkScope::CountsOnly => AddressSearch::Nowhere,
    }
}

/// The department whose alerts (and reconciliation rows) `user` is confined to, if any.
pub fn alert_department(user: &User) -> Option<String> {
    match network_scope(user) {
        NetworkScope::Department(d) => Some(d.unwrap_or_else(|| "\u{0}none".into())),
        _ => None,
    }
}

/// May `user` see individual alerts and reconciliation rows (not only their counts)?
pub fn can_view_alert_detail(user: &User) -> bool {
    can_view_alerts(user) && network_scope(user) != NetworkScope::CountsOnly
}

/// May `user` see the devices in the network diagram and export it? (Which devices:
/// [`diagram_department`].) Executives see the diagram's counts only.
pub fn can_view_diagram_detail(user: &User) -> bool {
    can_view_diagram(user) && network_scope(user) != NetworkScope::CountsOnly
}

/// The department the diagram is confined to for `user` (a department user draws only its own).
pub fn diagram_department(user: &User) -> Option<String> {
    alert_department(user)
}

// ---- remote sessions: which devices ----

/// May `user` name the device `id` (its live record `device`, `None` if there is none) in a session
/// request on `line`? Only a device the line serves; a manufacturer only its own products (hospital
/// staff requesting on a vendor's behalf may name any device of the line).
pub fn may_name_session_device(
    user: &User,
    line: &RemoteLineRecord,
    id: i64,
    device: Option<&Device>,
) -> bool {
    let Some(d) = device.filter(|d| !d.deleted && d.id == id) else {
        return false;
    };
    // The store keeps a line's ids ascending.
    if line.device_ids.binary_search(&id).is_err() {
        return false;
    }
    match user.role {
        Role::Manufacturer => can_view_device(user, d),
        _ => true,
    }
}

/// Why a session request names devices it may not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionDevicesRefused {
    /// These ids are not devices of the line that the requester may name (not on the line, another
    /// manufacturer's, or no such device: all answered alike, so nothing hidden is revealed).
    NotNameable(Vec<i64>),
    /// A manufacturer named no device on a line that serves none of its products.
    NoOwnDevice,
}

/// The devices a session request by `user` on `line` will name, or why it is refused. `requested`
/// are the ids in the request; `devices` the live ledger records of those ids and of the line's
/// devices (others are ignored). A manufacturer naming no device gets its own products on the line,
/// never "every device of the line"; staff naming none keep the line's meaning of "all of them".
pub fn session_request_devices(
    user: &User,
    line: &RemoteLineRecord,
    requested: &[i64],
    devices: &[Device],
) -> Result<Vec<i64>, SessionDevicesRefused> {
    let by_id: HashMap<i64, &Device> = devices.iter().map(|d| (d.id, d)).collect();
    let record = |id: i64| by_id.get(&id).copied();
    let mut ids = requested.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let refused: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| !may_name_session_device(user, line, *id, record(*id)))
        .collect();
    if !refused.is_empty() {
        return Err(SessionDevicesRefused::NotNameable(refused));
    }
    if ids.is_empty() && user.role == Role::Manufacturer && !line.device_ids.is_empty() {
        let own: Vec<i64> = line
            .device_ids
            .iter()
            .copied()
            .filter(|id| may_name_session_device(user, line, *id, record(*id)))
            .collect();
        if own.is_empty() {
            return Err(SessionDevicesRefused::NoOwnDevice);
        }
        return Ok(own);
    }
    Ok(ids)
}

/// The devices that approving a session opens to its line: those it names (naming none, every
/// device of the line) that its requester may still name today — a device taken off the line, gone
/// from the ledger or (for a manufacturer's request) made by someone else is not opened. `requester`
/// is `None` when the account no longer exists; then only the line decides.
pub fn session_plan_devices(
    requester: Option<&User>,
    line: &RemoteLineRecord,
    session_devices: &[i64],
    devices: &[Device],
) -> Vec<i64> {
    let wanted = if session_devices.is_empty() {
        &line.device_ids
    } else {
        session_devices
    };
    let by_id: HashMap<i64, &Device> = devices.iter().map(|d| (d.id, d)).collect();
    let mut ids: Vec<i64> = wanted
        .iter()
        .copied()
        .filter(|id| {
            let d = by_id.get(id).copied();
            match requester {
                Some(u) => may_name_session_device(u, line, *id, d),
                None => d.is_some_and(|d| !d.deleted) && line.device_ids.binary_search(id).is_ok(),
            }
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Manufacturer accounts see only their own products; everyone else sees the whole ledger. An account
/// with no manufacturer set gets a name no device can carry (a Unicode noncharacter, not NUL: PostgreSQL
/// refuses NUL in text and would turn the account's every list into a server error).
pub fn manufacturer_scope(user: &User) -> Option<String> {
    match user.role {
        Role::Manufacturer => Some(
            user.manufacturer
                .clone()
                .unwrap_or_else(|| "\u{FFFF}none".into()),
        ),
        _ => None,
    }
}

pub fn can_view_device(user: &User, device: &Device) -> bool {
    match manufacturer_scope(user) {
        Some(m) => device.fields.manufacturer.as_deref() == Some(m.as_str()),
        None => true,
    }
}

pub fn can_import(user: &User) -> bool {
    matches!(user.role, Role::Admin | Role::Isso | Role::DeviceSafety)
}

pub fn can_export(user: &User) -> bool {
    !matches!(user.role, Role::Manufacturer)
}

/// Attach SBOMs and MDS2 forms to device models: the hospital's officers, and a manufacturer for
/// its own products (the manufacturer is then taken from the account, never from the form).
pub fn can_attach_model_files(user: &User) -> bool {
    matches!(
        user.role,
        Role::Admin | Role::Isso | Role::DeviceSafety | Role::Manufacturer
    )
}

/// The network diagram shows the whole hospital's layout: not for manufacturer accounts.
pub fn can_view_diagram(user: &User) -> bool {
    !matches!(user.role, Role::Manufacturer)
}

pub fn can_view_audit(user: &User) -> bool {
    matches!(user.role, Role::Admin | Role::Isso | Role::Auditor)
}

pub fn can_manage_users(user: &User) -> bool {
    matches!(user.role, Role::Admin)
}

pub fn can_manage_aliases(user: &User) -> bool {
    matches!(user.role, Role::Admin | Role::Isso | Role::DeviceSafety)
}

/// Remote-maintenance lines: may `user` see the registry and sessions at all?
pub fn can_view_remote_lines(_user: &User) -> bool {
    true
}

/// Manufacturer accounts see only lines whose vendor is their manufacturer (a line inferred from the
/// ledger may name several, comma-separated); everyone else sees every line.
pub fn can_view_remote_line(user: &User, vendor: &str) -> bool {
    match manufacturer_scope(user) {
        Some(m) => vendor.split(',').any(|v| v.trim() == m),
        None => true,
    }
}

/// Register, edit, import and retire lines.
pub fn can_manage_remote_lines(user: &User) -> bool {
    matches!(user.role, Role::Admin | Role::Isso)
}

/// Request a session: the vendor for its own lines, or the hospital on its behalf.
pub fn can_request_remote_session(user: &User, vendor: &str) -> bool {
    match user.role {
        Role::Admin | Role::Isso | Role::DeviceSafety | Role::DepartmentUser => true,
        Role::Manufacturer => can_view_remote_line(user, vendor),
        Role::Executive | Role::Auditor => false,
    }
}

/// Approve or reject a session: an information-systems officer (or the administrator), and never
/// the person who requested it (the store refuses that too).
pub fn can_approve_remote_session(user: &User, requested_by: &str) -> bool {
    matches!(user.role, Role::Admin | Role::Isso) && user.username != requested_by
}

/// Open a session at once without approval (emergency override, reason mandatory).
pub fn can_override_remote_session(user: &User) -> bool {
    matches!(user.role, Role::Admin | Role::Isso | Role::DeviceSafety)
}

/// Log the start and end of a session: its requester, the line's vendor, or the hospital's officers.
pub fn can_run_remote_session(user: &User, vendor: &str, requested_by: &str) -> bool {
    user.username == requested_by
        || matches!(user.role, Role::Admin | Role::Isso | Role::DeviceSafety)
        || (user.role == Role::Manufacturer && can_view_remote_line(user, vendor))
}

/// May `user` open the alerts and the reconciliation of discovery with the ledger at all? What each
/// one then shows follows [`network_scope`]: a department user its department's devices, an
/// executive the counts only. Manufacturers do not (the hospital's monitoring is not theirs).
pub fn can_view_alerts(user: &User) -> bool {
    !matches!(user.role, Role::Manufacturer)
}

/// May `user` see an alert about `device` (`None`: an alert that names no ledger device, such as an
/// unknown device on the network)? The same rule as IP and MAC addresses.
pub fn can_view_alert(user: &User, device: Option<&DeviceFields>) -> bool {
    match network_scope(user) {
        NetworkScope::Hospital => true,
        NetworkScope::Department(_) => device.is_some_and(|d| can_view_network_detail(user, d)),
        NetworkScope::Manufacturer(_) | NetworkScope::CountsOnly => false,
    }
}

/// May `user` acknowledge alerts (the officers who act on them)?
pub fn can_acknowledge_alerts(user: &User) -> bool {
    matches!(user.role, Role::Admin | Role::Isso | Role::DeviceSafety)
}

/// May `user` see the executive report? It names devices hospital-wide, so not department users or
/// manufacturers; executives and auditors read it, officers prepare it.
pub fn can_view_report(user: &User) -> bool {
    matches!(
        user.role,
        Role::Admin | Role::Isso | Role::DeviceSafety | Role::Executive | Role::Auditor
    )
}

/// May `user` see the hospital checklist (score, items, evidence)?
pub fn can_view_checklist(user: &User) -> bool {
    !matches!(user.role, Role::Manufacturer | Role::DepartmentUser)
}

/// May `user` answer checklist items and attach evidence?
pub fn can_answer_checklist(user: &User) -> bool {
    matches!(user.role, Role::Admin | Role::Isso | Role::DeviceSafety)
}

/// May `user` fill in the manufacturer self-assessment (manufacturer accounts: for their company)?
pub fn can_self_assess(user: &User) -> bool {
    matches!(user.role, Role::Manufacturer | Role::Admin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role, department: Option<&str>) -> User {
        User {
            id: 1,
            username: "u".into(),
            display_name: "u".into(),
            password_hash: String::new(),
            role,
            department: department.map(Into::into),
            manufacturer: None,
            totp_secret: None,
            disabled: false,
            created_at: String::new(),
        }
    }

    #[test]
    fn department_user_edits_only_own_department() {
        let u = user(Role::DepartmentUser, Some("放射線科"));
        assert!(can_edit_in_department(&u, Some("放射線科")));
        assert!(!can_edit_in_department(&u, Some("ICU")));
        assert!(!can_edit_in_department(&u, None));
        let no_dept = user(Role::DepartmentUser, None);
        assert!(
            !can_edit_in_department(&no_dept, None),
            "a department user without a department edits nothing"
        );
    }

    #[test]
    fn redirects_stay_on_this_site() {
        use crate::context::is_local_path;
        assert!(is_local_path("/devices?department=ICU"));
        for evil in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "devices",
            "/x\r\nSet-Cookie: a=b",
        ] {
            assert!(!is_local_path(evil), "{evil}");
        }
    }

    #[test]
    fn only_officers_other_than_the_requester_approve_remote_sessions() {
        let isso = User {
            username: "sato.isso".into(),
            ..user(Role::Isso, None)
        };
        assert!(can_approve_remote_session(&isso, "philips.service"));
        assert!(!can_approve_remote_session(&isso, "sato.isso"));
        for r in [
            Role::DepartmentUser,
            Role::DeviceSafety,
            Role::Manufacturer,
            Role::Executive,
            Role::Auditor,
        ] {
            assert!(!can_approve_remote_session(
                &user(r, Some("放射線科")),
                "philips.service"
            ));
        }
        let vendor = User {
            manufacturer: Some("Philips".into()),
            ..user(Role::Manufacturer, None)
        };
        assert!(can_view_remote_line(&vendor, "GE, Philips"));
        assert!(!can_view_remote_line(&vendor, "Philips Japan"));
        assert!(can_request_remote_session(&vendor, "Philips"));
        assert!(!can_request_remote_session(&vendor, "GE"));
        assert!(!can_request_remote_session(
            &user(Role::Auditor, None),
            "GE"
        ));
        assert!(!can_manage_remote_lines(&user(
            Role::DepartmentUser,
            Some("ICU")
        )));
    }

    /// Every role × every permission, as a table committed in `policy_matrix.txt`: any change of
    /// who may do what shows in review as a change of that file. After an intended change, write the
    /// new table with `MDSEC_BLESS=1 cargo test -p mdsec-web policy_matrix` and commit it.
    #[test]
    fn policy_matrix_matches_the_committed_table() {
        let actual = policy_matrix();
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/policy_matrix.txt");
        if std::env::var_os("MDSEC_BLESS").is_some() {
            std::fs::write(path, &actual).unwrap();
            return;
        }
        let expected = include_str!("policy_matrix.txt");
        if actual != expected {
            let diff: Vec<String> = expected
                .lines()
                .zip(actual.lines())
                .filter(|(e, a)| e != a)
                .map(|(e, a)| format!("- {e}\n+ {a}"))
                .collect();
            panic!(
                "the role × permission table changed (MDSEC_BLESS=1 to accept):\n{}\n\nnow:\n{actual}",
                diff.join("\n")
            );
        }
    }

    fn device(id: i64, department: &str, manufacturer: &str) -> Device {
        Device {
            id,
            version: 1,
            created_at: String::new(),
            updated_at: String::new(),
            deleted: false,
            fields: DeviceFields {
                name: format!("device {id}"),
                department: Some(department.into()),
                manufacturer: Some(manufacturer.into()),
                ip: Some(format!("10.0.0.{id}")),
                mac: Some(format!("02:00:00:00:00:{id:02x}")),
                ..Default::default()
            },
        }
    }

    /// A per-session line of GE HealthCare and Philips serving `device_ids`, with no endpoint.
    fn shared_line(device_ids: Vec<i64>) -> RemoteLineRecord {
        RemoteLineRecord {
            id: 1,
            version: 1,
            vendor: "GE HealthCare, Philips".into(),
            method: mdsec_store::RemoteMethod::ClientVpn,
            endpoints: vec![],
            device_ids,
            vendor_contact: None,
            hospital_owner: None,
            contract_ref: None,
            approval_policy: mdsec_store::ApprovalPolicy::PerSession,
            last_review: None,
            notes: None,
            source: "manual".into(),
            retired: false,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    /// The table: one row per permission (and case), one column per role. A department user is of
    /// 放射線科, a manufacturer account of Philips; the shared line serves a GE device of 放射線科
    /// (#1), a GE device of ICU (#2) and a Philips device of ICU (#3); #4 is not on the line.
    fn policy_matrix() -> String {
        let own_dept = device(1, "放射線科", "GE HealthCare");
        let other_dept = device(2, "ICU", "GE HealthCare");
        let own_product = device(3, "ICU", "Philips");
        let off_line = device(4, "放射線科", "Philips");
        let all = [
            own_dept.clone(),
            other_dept.clone(),
            own_product.clone(),
            off_line.clone(),
        ];
        let line = RemoteLineRecord {
            id: 1,
            method: mdsec_store::RemoteMethod::SiteToSiteVpn,
            endpoints: vec!["192.0.2.10".into()],
            ..shared_line(vec![1, 2, 3])
        };
        let yn = |b: bool| if b { "yes" } else { "-" }.to_string();
        let name_device = |u: &User, d: &Device| {
            yn(can_request_remote_session(u, &line.vendor)
                && session_request_devices(u, &line, &[d.id], &all).is_ok())
        };
        let scope = |u: &User| match network_scope(u) {
            NetworkScope::Hospital => "all".to_string(),
            NetworkScope::Department(_) => "own dept".into(),
            NetworkScope::Manufacturer(_) => "own products".into(),
            NetworkScope::CountsOnly => "counts".into(),
        };
        type Row<'a> = (&'a str, Box<dyn Fn(&User) -> String + 'a>);
        let rows: Vec<Row> = vec![
            ("devices: create", Box::new(|u| yn(can_create_devices(u)))),
            (
                "devices: edit, own department",
                Box::new(|u| yn(can_edit_device(u, &own_dept))),
            ),
            (
                "devices: edit, other department",
                Box::new(|u| yn(can_edit_device(u, &other_dept))),
            ),
            (
                "devices: view, other manufacturer",
                Box::new(|u| yn(can_view_device(u, &other_dept))),
            ),
            (
                "devices: view, own product",
                Box::new(|u| yn(can_view_device(u, &own_product))),
            ),
            ("network detail: scope", Box::new(scope)),
            (
                "network detail: IP/MAC, own department",
                Box::new(|u| {
                    yn(can_view_device(u, &own_dept)
                        && can_view_network_detail(u, &own_dept.fields))
                }),
            ),
            (
                "network detail: IP/MAC, other department",
                Box::new(|u| {
                    yn(can_view_device(u, &other_dept)
                        && can_view_network_detail(u, &other_dept.fields))
                }),
            ),
            (
                "network detail: IP/MAC, own product",
                Box::new(|u| yn(can_view_network_detail(u, &own_product.fields))),
            ),
            (
                "network detail: search by address",
                Box::new(|u| match address_search(u) {
                    AddressSearch::All => "all".into(),
                    AddressSearch::Department(_) => "own dept".into(),
                    AddressSearch::Nowhere => "-".into(),
                }),
            ),
            ("ledger: import", Box::new(|u| yn(can_import(u)))),
            ("ledger: export", Box::new(|u| yn(can_export(u)))),
            (
                "models: attach SBOM/MDS2",
                Box::new(|u| yn(can_attach_model_files(u))),
            ),
            ("diagram: open", Box::new(|u| yn(can_view_diagram(u)))),
            (
                "diagram: devices and export",
                Box::new(
                    |u| match (can_view_diagram_detail(u), diagram_department(u)) {
                        (false, _) => "-".into(),
                        (true, None) => "all".into(),
                        (true, Some(_)) => "own dept".into(),
                    },
                ),
            ),
            ("alerts: open", Box::new(|u| yn(can_view_alerts(u)))),
            (
                "alerts: rows (else counts)",
                Box::new(|u| yn(can_view_alert_detail(u))),
            ),
            (
                "alerts: about own department device",
                Box::new(|u| yn(can_view_alerts(u) && can_view_alert(u, Some(&own_dept.fields)))),
            ),
            (
                "alerts: about other department device",
                Box::new(|u| yn(can_view_alerts(u) && can_view_alert(u, Some(&other_dept.fields)))),
            ),
            (
                "alerts: unknown device",
                Box::new(|u| yn(can_view_alerts(u) && can_view_alert(u, None))),
            ),
            (
                "alerts: acknowledge",
                Box::new(|u| yn(can_acknowledge_alerts(u))),
            ),
            ("audit: view", Box::new(|u| yn(can_view_audit(u)))),
            ("users: manage", Box::new(|u| yn(can_manage_users(u)))),
            (
                "manufacturer aliases: manage",
                Box::new(|u| yn(can_manage_aliases(u))),
            ),
            (
                "remote lines: view registry",
                Box::new(|u| yn(can_view_remote_lines(u))),
            ),
            (
                "remote lines: view Philips line",
                Box::new(|u| yn(can_view_remote_line(u, "Philips"))),
            ),
            (
                "remote lines: view GE line",
                Box::new(|u| yn(can_view_remote_line(u, "GE HealthCare"))),
            ),
            (
                "remote lines: manage",
                Box::new(|u| yn(can_manage_remote_lines(u))),
            ),
            (
                "sessions: request on shared line",
                Box::new(|u| yn(can_request_remote_session(u, &line.vendor))),
            ),
            (
                "sessions: request on GE line",
                Box::new(|u| yn(can_request_remote_session(u, "GE HealthCare"))),
            ),
            (
                "sessions: name GE device on shared line",
                Box::new(|u| name_device(u, &other_dept)),
            ),
            (
                "sessions: name Philips device on shared line",
                Box::new(|u| name_device(u, &own_product)),
            ),
            (
                "sessions: name device not on the line",
                Box::new(|u| name_device(u, &off_line)),
            ),
            (
                "sessions: approve another's request",
                Box::new(|u| yn(can_approve_remote_session(u, "someone.else"))),
            ),
            (
                "sessions: approve own request",
                Box::new(|u| yn(can_approve_remote_session(u, &u.username))),
            ),
            (
                "sessions: emergency override",
                Box::new(|u| yn(can_override_remote_session(u))),
            ),
            (
                "sessions: log start/end, another's on shared line",
                Box::new(|u| yn(can_run_remote_session(u, &line.vendor, "someone.else"))),
            ),
            ("report: view", Box::new(|u| yn(can_view_report(u)))),
            ("checklist: view", Box::new(|u| yn(can_view_checklist(u)))),
            (
                "checklist: answer",
                Box::new(|u| yn(can_answer_checklist(u))),
            ),
            ("self-assessment", Box::new(|u| yn(can_self_assess(u)))),
        ];
        let users: Vec<User> = Role::ALL
            .iter()
            .map(|r| User {
                manufacturer: (*r == Role::Manufacturer).then(|| "Philips".into()),
                ..user(*r, (*r == Role::DepartmentUser).then_some("放射線科"))
            })
            .collect();
        let first = rows.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|(_, f)| users.iter().map(f).collect())
            .collect();
        let widths: Vec<usize> = Role::ALL
            .iter()
            .enumerate()
            .map(|(i, r)| {
                cells
                    .iter()
                    .map(|c| c[i].chars().count())
                    .chain([r.code().len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line_of = |name: &str, cols: Vec<String>| {
            let mut out = format!("{name:<first$}");
            for (c, w) in cols.iter().zip(&widths) {
                out.push_str(&format!("  {c:<w$}"));
            }
            out.trim_end().to_string() + "\n"
        };
        let mut out = String::from(
            "# Who may do what: every role × every permission (crates/web/src/policy.rs).\n\
             # Written by the test policy_matrix_matches_the_committed_table; see ARCHITECTURE.md,\n\
             # \"Least privilege\". A department user is of 放射線科, a manufacturer account of Philips.\n",
        );
        out.push_str(&line_of(
            "permission",
            Role::ALL.iter().map(|r| r.code().to_string()).collect(),
        ));
        for ((name, _), row) in rows.iter().zip(cells) {
            out.push_str(&line_of(name, row));
        }
        out
    }

    #[test]
    fn vendor_names_only_its_own_devices_on_a_shared_line() {
        let vendor = User {
            manufacturer: Some("Philips".into()),
            ..user(Role::Manufacturer, None)
        };
        let staff = user(Role::Isso, None);
        let ge = device(1, "ICU", "GE HealthCare");
        let philips = device(2, "ICU", "Philips");
        let elsewhere = device(3, "ICU", "Philips");
        let devices = [ge.clone(), philips.clone(), elsewhere.clone()];
        let mut line = RemoteLineRecord {
            id: 7,
            ..shared_line(vec![1, 2])
        };
        assert_eq!(
            session_request_devices(&vendor, &line, &[2, 1, 3, 99], &devices),
            Err(SessionDevicesRefused::NotNameable(vec![1, 3, 99]))
        );
        assert_eq!(
            session_request_devices(&vendor, &line, &[2], &devices),
            Ok(vec![2])
        );
        // Naming none means its own devices, not every device of the line.
        assert_eq!(
            session_request_devices(&vendor, &line, &[], &devices),
            Ok(vec![2])
        );
        assert_eq!(
            session_request_devices(&staff, &line, &[1, 2], &devices),
            Ok(vec![1, 2])
        );
        assert_eq!(
            session_request_devices(&staff, &line, &[3], &devices),
            Err(SessionDevicesRefused::NotNameable(vec![3]))
        );
        assert_eq!(
            session_request_devices(&staff, &line, &[], &devices),
            Ok(vec![])
        );
        // What approval opens: the requester's own devices only, even for an older request.
        assert_eq!(
            session_plan_devices(Some(&vendor), &line, &[], &devices),
            vec![2]
        );
        assert_eq!(
            session_plan_devices(Some(&vendor), &line, &[1, 2], &devices),
            vec![2]
        );
        assert_eq!(
            session_plan_devices(Some(&staff), &line, &[], &devices),
            vec![1, 2]
        );
        line.device_ids = vec![1];
        assert_eq!(
            session_request_devices(&vendor, &line, &[], &devices),
            Err(SessionDevicesRefused::NoOwnDevice)
        );
        let mut gone = philips.clone();
        gone.deleted = true;
        line.device_ids = vec![1, 2];
        assert_eq!(
            session_plan_devices(Some(&vendor), &line, &[2], &[ge, gone]),
            Vec::<i64>::new()
        );
    }

    #[test]
    fn network_detail_follows_the_department_and_hides_from_executives() {
        let rad = user(Role::DepartmentUser, Some("放射線科"));
        let exec = user(Role::Executive, None);
        let own = device(1, "放射線科", "GE HealthCare");
        let other = device(2, "ICU", "GE HealthCare");
        assert_eq!(redact_device(&rad, own.clone()).fields.ip, own.fields.ip);
        let hidden = redact_device(&rad, other.clone());
        assert_eq!((hidden.fields.ip, hidden.fields.mac), (None, None));
        assert_eq!(
            hidden.fields.name, other.fields.name,
            "only the addresses go"
        );
        assert_eq!(redact_device(&exec, own.clone()).fields.ip, None);
        assert_eq!(
            redact_device(&user(Role::Auditor, None), other.clone())
                .fields
                .ip,
            other.fields.ip
        );
        let mut history = vec![HistoryEntry {
            id: 1,
            device_id: 2,
            at: String::new(),
            actor: "a".into(),
            action: "update".into(),
            changes: vec![
                mdsec_store::FieldChange {
                    field: "ip".into(),
                    before: Some("10.0.0.1".into()),
                    after: Some("10.0.0.2".into()),
                },
                mdsec_store::FieldChange {
                    field: "notes".into(),
                    before: None,
                    after: Some("x".into()),
                },
            ],
        }];
        redact_history(&rad, &other, &mut history);
        assert_eq!(history[0].changes.len(), 1);
        assert_eq!(history[0].changes[0].field, "notes");
        assert!(
            !can_view_alert(&rad, None),
            "unknown devices name no device of theirs"
        );
        assert!(can_view_alert(&rad, Some(&own.fields)));
        assert!(!can_view_alert(&rad, Some(&other.fields)));
        assert!(!can_view_alert(&exec, Some(&own.fields)));
        let nobody = user(Role::DepartmentUser, None);
        assert!(!can_view_network_detail(&nobody, &own.fields));
        assert_eq!(address_search(&nobody), AddressSearch::Nowhere);
    }

    #[test]
    fn read_only_roles_cannot_edit() {
        for r in [Role::Executive, Role::Auditor, Role::Manufacturer] {
            assert!(!can_edit_in_department(&user(r, Some("ICU")), Some("ICU")));
            assert!(!can_create_devices(&user(r, None)));
        }
        assert!(can_view_audit(&user(Role::Auditor, None)));
        assert!(!can_view_audit(&user(Role::Executive, None)));
    }
}
