//! Notices for new findings: one per device, advisory and recipient, in the UI (stored) and by
//! e-mail when an SMTP relay is configured (`MDSEC_SMTP_URL`, `MDSEC_MAIL_FROM`).
//! Recipients: every device safety officer and the department users of the device's department.

use crate::IntelError;
use mdsec_store::{Actor, FindingQuery, NewNotice, Role, Store};
use std::collections::HashMap;

#[derive(Debug, Default, Clone, Copy)]
pub struct Notified {
    pub notices: usize,
    pub emailed: usize,
}

/// Create notices for `created` (device id, advisory id) findings and e-mail them.
pub async fn notify_new_findings(
    store: &dyn Store,
    created: &[(i64, String)],
) -> Result<Notified, IntelError> {
    if created.is_empty() {
        return Ok(Notified::default());
    }
    let users = store.list_users().await?;
    let emails: HashMap<i64, String> = store.user_emails().await?.into_iter().collect();
    let mut new = Vec::new();
    for (device_id, advisory_id) in created {
        let Some(device) = store.get_device(*device_id).await? else {
            continue;
        };
        let finding = store
            .list_findings(&FindingQuery {
                device_id: Some(*device_id),
                advisory_id: Some(advisory_id.clone()),
                limit: 1,
                ..Default::default()
            })
            .await?
            .items
            .into_iter()
            .next();
        let Some(finding) = finding else { continue };
        let f = &device.fields;
        let label = format!(
            "{} {} {}",
            f.management_number.as_deref().unwrap_or("-"),
            f.manufacturer.as_deref().unwrap_or(""),
            f.model.as_deref().unwrap_or(&f.name)
        );
        let subject = format!("[mdsec] 対応が必要な機器: {label} — {advisory_id}");
        let mut body = String::new();
        body.push_str(&format!("機器: {label}（{}）\n", f.name));
        if let Some(d) = &f.department {
            body.push_str(&format!("部門: {d}\n"));
        }
        if let Some(l) = &f.location {
            body.push_str(&format!("設置場所: {l}\n"));
        }
        body.push_str(&format!(
            "アドバイザリ: {advisory_id} {}\n",
            finding.advisory_title.as_deref().unwrap_or("")
        ));
        if !finding.aliases.is_empty() {
            body.push_str(&format!("脆弱性: {}\n", finding.aliases.join(", ")));
        }
        body.push_str(&format!(
            "判定: {}（確度 {}）\n\n推奨される対応:\n",
            finding.match_status, finding.confidence
        ));
        if finding.remediations.is_empty() {
            body.push_str("- 製造販売業者に対応方法を問い合わせてください。\n");
        }
        for r in &finding.remediations {
            body.push_str(&format!("- {r}\n"));
        }
        body.push_str(&format!("\n詳細: /devices/{device_id}\n"));
        for u in &users {
            if u.disabled {
                continue;
            }
            let concerned = match u.role {
                Role::DeviceSafety => true,
                Role::DepartmentUser => u.department.is_some() && u.department == f.department,
                _ => false,
            };
            if concerned {
                new.push(NewNotice {
                    device_id: *device_id,
                    advisory_id: advisory_id.clone(),
                    recipient: u.username.clone(),
                    subject: subject.clone(),
                    body: body.clone(),
                });
            }
        }
    }
    let system = Actor {
        user_id: None,
        username: "system".into(),
    };
    let made = store.create_notices(&system, new).await?;
    let mut out = Notified {
        notices: made.len(),
        emailed: 0,
    };
    let Some(mailer) = mdsec_notify::Mailer::from_env()? else {
        return Ok(out);
    };
    let by_name: HashMap<&str, i64> = users.iter().map(|u| (u.username.as_str(), u.id)).collect();
    for n in &made {
        let Some(addr) = by_name
            .get(n.recipient.as_str())
            .and_then(|id| emails.get(id))
        else {
            continue;
        };
        match mailer.send(addr, &n.subject, &n.body).await {
            Ok(()) => {
                store.mark_notice_emailed(n.id).await?;
                out.emailed += 1;
            }
            Err(e) => tracing::warn!("notice {} not e-mailed: {e}", n.id),
        }
    }
    Ok(out)
}
