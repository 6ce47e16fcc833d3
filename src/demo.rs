//! Loading the fictitious demo hospital (`mdsec serve --demo`) into an empty ledger.

use anyhow::Result;
use mdsec_store::{Actor, DeviceQuery, ImportRow, Role};
use mdsec_web::App;

/// Fill an empty ledger with the demo hospital. Demo accounts get `password`. Does nothing when the
/// ledger already has devices, so restarting with `--demo` never duplicates or overwrites anything.
pub async fn load(app: &App, password: &str) -> Result<bool> {
    let existing = app
        .store
        .list_devices(&DeviceQuery {
            limit: 1,
            ..Default::default()
        })
        .await?;
    if existing.total > 0 {
        return Ok(false);
    }
    let hospital = mdsec_demo::demo_hospital();
    let rows: Vec<ImportRow> = hospital
        .devices
        .into_iter()
        .enumerate()
        .map(|(i, f)| ImportRow {
            row: i as u64 + 1,
            fields: app.normalise(f),
        })
        .collect();
    let report = app
        .store
        .import_devices(&Actor::system(), "demo", rows, false)
        .await?;
    // The profile names the hospital on the checklist and the executive report.
    let profile = app.store.checklist_profile().await?;
    if profile.hospital_name.is_none() {
        app.store
            .set_checklist_profile(
                &Actor::system(),
                mdsec_store::ChecklistProfile {
                    hospital_name: Some(mdsec_demo::HOSPITAL_NAME.to_string()),
                    hospital_type: profile.hospital_type.or(Some("general".into())),
                    beds: profile.beds.or(Some(mdsec_demo::BEDS as i64)),
                    include_hhs: profile.include_hhs,
                },
            )
            .await?;
    }
    for u in &hospital.users {
        let Some(role) = Role::from_code(&u.role) else {
            continue;
        };
        if role == Role::Admin || app.store.get_user_by_name(&u.username).await?.is_some() {
            continue;
        }
        // Demo users name their department by code; the ledger stores the department's Japanese name.
        let department = u.department.as_deref().map(|code| {
            let found = hospital.departments.iter().find(|d| d.code == code);
            found
                .map(|d| d.name_ja.to_string())
                .unwrap_or_else(|| code.to_string())
        });
        app.create_user(
            &u.username,
            &u.display_name,
            password,
            role,
            department,
            u.manufacturer.clone(),
        )
        .await?;
    }
    tracing::info!(devices = report.new, hospital = %hospital.name, "loaded the fictitious demo hospital");
    Ok(true)
}
