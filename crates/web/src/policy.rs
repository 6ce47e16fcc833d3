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

/// Manufacturer accounts see only their own products; everyone else sees the whole ledger.
pub fn manufacturer_scope(user: &User) -> Option<String> {
    match user.role {
        Role::Manufacturer => Some(
            user.manufacturer
                .clone()
                .unwrap_or_else(|| "\u{0}none".into()),
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

pub fn can_view_audit(user: &User) -> bool {
    matches!(user.role, Role::Admin | Role::Isso | Role::Auditor)
}

pub fn can_manage_users(user: &User) -> bool {
    matches!(user.role, Role::Admin)
}

pub fn can_manage_aliases(user: &User) -> bool {
    matches!(user.role, Role::Admin | Role::Isso | Role::DeviceSafety)
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
    fn read_only_roles_cannot_edit() {
        for r in [Role::Executive, Role::Auditor, Role::Manufacturer] {
            assert!(!can_edit_in_department(&user(r, Some("ICU")), Some("ICU")));
            assert!(!can_create_devices(&user(r, None)));
        }
        assert!(can_view_audit(&user(Role::Auditor, None)));
        assert!(!can_view_audit(&user(Role::Executive, None)));
    }
}
