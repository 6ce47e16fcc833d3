//! Who may do what. One place, pure functions, so the UI and the API cannot disagree.

use mdsec_store::{Device, Role, User};

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

/// May `user` see alerts and the reconciliation of discovery with the ledger? They name devices
/// and addresses of the whole hospital, so department users and manufacturers do not.
pub fn can_view_alerts(user: &User) -> bool {
    matches!(
        user.role,
        Role::Admin | Role::Isso | Role::DeviceSafety | Role::Auditor | Role::Executive
    )
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
