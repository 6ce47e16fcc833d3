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
    let batch = demo_observations(&app.store.live_devices().await?, chrono::Utc::now());
    let actor = Actor {
        user_id: None,
        username: "discovery".into(),
    };
    let applied = crate::alerts::apply_batch(app.store.as_ref(), &actor, batch, Vec::new()).await?;
    tracing::info!(
        observed = applied.observations.new_devices,
        alerts = applied.alerts_new,
        "loaded the demo observations"
    );
    Ok(true)
}

/// What a week of passive discovery could have seen in the demo hospital, so that `/reconcile` and
/// `/alerts` show all three differences: most networked devices as in the ledger; every 19th never
/// (not seen), every 37th two months ago (not seen for 30 days), every 29th at another address and
/// every 31st with another software version (conflicts); and four devices the ledger does not know.
/// Deterministic apart from `now`.
pub fn demo_observations(
    devices: &[mdsec_store::Device],
    now: chrono::DateTime<chrono::Utc>,
) -> mdsec_store::ObservationBatch {
    use chrono::{Duration, SecondsFormat};
    let at = |hours: i64| (now - Duration::hours(hours)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let mut out = mdsec_store::ObservationBatch {
        source: "demo".into(),
        ..Default::default()
    };
    let networked = devices
        .iter()
        .filter(|d| d.fields.ip.is_some() && d.fields.status == mdsec_domain::DeviceStatus::Active);
    for (i, d) in networked.enumerate() {
        if i % 19 == 7 {
            continue;
        }
        let f = &d.fields;
        let mut ip = f.ip.clone();
        if i % 29 == 3 {
            // Moved within its segment: same MAC, new address.
            ip = ip.map(|a| match a.rsplit_once('.') {
                Some((net, _)) => format!("{net}.{}", 200 + i % 40),
                None => a,
            });
        }
        let mut version = f.software_version.clone();
        if i % 31 == 5 {
            version = version.map(|v| format!("{v}.1"));
        }
        let last = if i % 37 == 11 {
            24 * 60
        } else {
            (i % 48) as i64
        };
        out.devices.push(mdsec_store::ObservedDevice {
            ip,
            mac: f.mac.clone(),
            hostname: f.custom.get("hostname").cloned(),
            manufacturer: None,
            model: None,
            software_version: version,
            protocols: vec!["arp".into()],
            identifiers: Default::default(),
            first_seen: at(last + 24 * 7),
            last_seen: at(last),
        });
    }
    for (n, (ip, mac, host, proto)) in [
        (
            "10.20.1.241",
            "02:5e:00:00:00:01",
            "DESKTOP-7Q2M1K",
            "netbios",
        ),
        ("10.20.3.242", "02:5e:00:00:00:02", "raspberrypi", "dhcp"),
        ("10.30.2.243", "02:5e:00:00:00:03", "android-3f9a", "dhcp"),
        ("10.20.5.244", "02:5e:00:00:00:04", "", "http"),
    ]
    .into_iter()
    .enumerate()
    {
        out.devices.push(mdsec_store::ObservedDevice {
            ip: Some(ip.into()),
            mac: Some(mac.into()),
            hostname: (!host.is_empty()).then(|| host.to_string()),
            protocols: vec![proto.into()],
            first_seen: at(30 + n as i64),
            last_seen: at(n as i64),
            ..Default::default()
        });
    }
    out
}
