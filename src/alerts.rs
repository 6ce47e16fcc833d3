//! Observations → reconcile → alerts, for the command line: `discover … --apply` stores what was
//! seen and raises alerts; `mdsec reconcile` shows (and with `--apply` records) the three-way
//! difference with the ledger. Alerts are e-mailed once, when first raised, to the
//! information-systems and device safety officers when an SMTP relay is configured.

use anyhow::{Context, Result};
use clap::Args;
use mdsec_reconcile::{
    flow_alerts, reconcile, report_alerts, retirement_alerts, unknown_device_alerts,
    ReconcileReport,
};
use mdsec_store::{
    Actor, AlertKind, AlertRecord, NewAlert, ObservationBatch, RemoteSessionQuery,
    RemoteSessionRecord, Role, Store,
};
use std::collections::HashMap;
use std::process::ExitCode;

/// Default days after which a ledger device or a remote line counts as not seen.
pub const DEFAULT_NOT_SEEN_DAYS: i64 = 30;

#[derive(Args, Debug)]
pub struct ReconcileArgs {
    /// Print the difference as one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    /// Record observed values of matched devices (filling only empty ledger fields or ones discovery
    /// filled before, never what a person entered) and raise unknown-device and line-retirement
    /// alerts. Everything is audited.
    #[arg(long)]
    pub apply: bool,
    /// A ledger device or remote line not seen for this many days is reported.
    #[arg(long, default_value_t = DEFAULT_NOT_SEEN_DAYS)]
    pub not_seen_days: i64,
    /// Account recorded in the audit log.
    #[arg(long = "as", default_value = "system")]
    pub as_user: String,
}

/// The audit actor for `name`: the account if it exists, else the name as given.
pub async fn actor(store: &dyn Store, name: &str) -> Result<Actor> {
    Ok(match store.get_user_by_name(name).await? {
        Some(u) => Actor::user(&u),
        None => Actor {
            user_id: None,
            username: name.to_string(),
        },
    })
}

pub(crate) async fn all_sessions(store: &dyn Store) -> Result<Vec<RemoteSessionRecord>> {
    let mut out = Vec::new();
    loop {
        let page = store
            .list_remote_sessions(&RemoteSessionQuery {
                limit: 1000,
                offset: out.len() as i64,
                ..Default::default()
            })
            .await?;
        let n = page.items.len();
        out.extend(page.items);
        if n == 0 || out.len() as i64 >= page.total {
            return Ok(out);
        }
    }
}

/// The three-way difference of everything observed so far and the ledger, as of now.
pub async fn current_difference(store: &dyn Store, not_seen_days: i64) -> Result<ReconcileReport> {
    let ledger = store.live_devices().await?;
    let observations = store.list_observations().await?;
    Ok(reconcile(
        &ledger,
        &observations,
        chrono_now(),
        not_seen_days,
    ))
}

fn chrono_now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

/// What `discover … --apply` did.
#[derive(Debug, Default, serde::Serialize)]
pub struct Applied {
    pub observations: mdsec_store::ObservationSummary,
    pub alerts_new: usize,
    pub alerts_emailed: usize,
}

/// Store a discovery batch and raise the alerts it implies (with the report's own SMBv1/telnet
/// findings in `extra`), then e-mail the new ones.
pub async fn apply_batch(
    store: &dyn Store,
    actor: &Actor,
    batch: ObservationBatch,
    extra: Vec<NewAlert>,
) -> Result<Applied> {
    let flows = batch.flows.clone();
    let observations = store
        .record_observations(actor, batch)
        .await
        .context("storing the observations")?;
    let ledger = store.live_devices().await?;
    let lines = store.list_remote_lines().await?;
    let sessions = all_sessions(store).await?;
    let mut alerts = extra;
    alerts.extend(flow_alerts(&flows, &ledger, &lines, &sessions));
    let diff = reconcile(
        &ledger,
        &store.list_observations().await?,
        chrono_now(),
        DEFAULT_NOT_SEEN_DAYS,
    );
    alerts.extend(unknown_device_alerts(&diff));
    let created = store.raise_alerts(actor, alerts).await?;
    let emailed = email_alerts(store, &created).await?;
    Ok(Applied {
        observations,
        alerts_new: created.len(),
        alerts_emailed: emailed,
    })
}

/// `discover pcap|listen --apply`: the report's observations and alerts.
pub async fn apply_report(
    global: &crate::cli::Global,
    report: &mdsec_discovery::DiscoveryReport,
    source: &str,
    cfg: &mdsec_discovery::AnalyzerConfig,
) -> Result<Applied> {
    let store = crate::cli::open_store(global).await?;
    let batch = mdsec_reconcile::batch_from_report(report, source, |ip| cfg.is_internal(ip));
    let ledger = store.live_devices().await?;
    let extra = report_alerts(report, &ledger);
    let actor = Actor {
        user_id: None,
        username: "discovery".into(),
    };
    apply_batch(store.as_ref(), &actor, batch, extra).await
}

pub(crate) fn print_applied(a: &Applied) {
    let o = &a.observations;
    eprintln!(
        "stored: {} new and {} updated devices, {} new and {} updated external flows; {} new alerts ({} e-mailed)",
        o.new_devices, o.updated_devices, o.new_flows, o.updated_flows, a.alerts_new, a.alerts_emailed
    );
}

fn kind_ja(k: AlertKind) -> &'static str {
    match k {
        AlertKind::UnknownDevice => "台帳にない機器",
        AlertKind::ExternalConnection => "外部からの接続",
        AlertKind::CleartextPatientProtocol => "患者データの平文送信（院外）",
        AlertKind::Smbv1 => "SMBv1の使用",
        AlertKind::Telnet => "Telnetの使用",
        AlertKind::RemoteLineOutsideWindow => "承認時間外のリモート保守通信",
        AlertKind::UnregisteredExternalEndpoint => "未登録の外部接続先",
        AlertKind::RemoteLineRetirement => "使われていないリモート保守回線（廃止の提案）",
    }
}

/// E-mail newly raised alerts to every information-systems officer and device safety officer with
/// an address. Returns how many messages went out. Without `MDSEC_SMTP_URL` nothing is sent.
pub async fn email_alerts(store: &dyn Store, created: &[AlertRecord]) -> Result<usize> {
    if created.is_empty() {
        return Ok(0);
    }
    let Some(mailer) = mdsec_notify::Mailer::from_env()? else {
        return Ok(0);
    };
    let emails: HashMap<i64, String> = store.user_emails().await?.into_iter().collect();
    let recipients: Vec<String> = store
        .list_users()
        .await?
        .into_iter()
        .filter(|u| !u.disabled && matches!(u.role, Role::Isso | Role::DeviceSafety))
        .filter_map(|u| emails.get(&u.id).cloned())
        .collect();
    let mut sent = 0;
    for a in created {
        let subject = format!("[mdsec] 警報: {} — {}", kind_ja(a.kind), a.address);
        let mut body = format!(
            "種別 / kind: {} ({})\n重要度 / severity: {}\n対象 / address: {}\n",
            kind_ja(a.kind),
            a.kind.code(),
            a.severity,
            a.address
        );
        if let Some(d) = a.device_id {
            body.push_str(&format!("機器 / device: /devices/{d}\n"));
        }
        body.push_str(&format!(
            "初回検知 / first seen: {}\n\n{}\n\n確認と対応: /alerts#alert-{}\n",
            a.first_seen, a.message, a.id
        ));
        let mut any = false;
        for to in &recipients {
            match mailer.send(to, &subject, &body).await {
                Ok(()) => {
                    sent += 1;
                    any = true;
                }
                Err(e) => tracing::warn!("alert {} not e-mailed: {e}", a.id),
            }
        }
        if any {
            store.mark_alert_emailed(a.id).await?;
        }
    }
    Ok(sent)
}

/// `mdsec reconcile`.
pub async fn run(global: &crate::cli::Global, args: ReconcileArgs) -> Result<ExitCode> {
    let store = crate::cli::open_store(global).await?;
    let diff = current_difference(store.as_ref(), args.not_seen_days).await?;
    let mut applied = None;
    if args.apply {
        let actor = actor(store.as_ref(), &args.as_user).await?;
        let changes = store
            .apply_observed_fields(&actor, diff.updates.clone())
            .await?;
        let mut alerts = unknown_device_alerts(&diff);
        if !store.list_observations().await?.is_empty() {
            let flows: Vec<_> = store
                .list_external_flows()
                .await?
                .into_iter()
                .map(|f| f.flow)
                .collect();
            alerts.extend(retirement_alerts(
                &store.list_remote_lines().await?,
                &flows,
                chrono_now(),
                args.not_seen_days,
            ));
        }
        let created = store.raise_alerts(&actor, alerts).await?;
        let emailed = email_alerts(store.as_ref(), &created).await?;
        applied = Some((changes, created.len(), emailed));
    }
    if args.json {
        let mut v = serde_json::to_value(&diff)?;
        if let Some((changes, new, emailed)) = &applied {
            v["applied"] = serde_json::json!({"devices": changes, "alerts_new": new, "alerts_emailed": emailed});
        }
        println!("{v}");
    } else {
        let s = &diff.summary;
        println!(
            "observed {}, matched {} ({} with conflicts), not in the ledger {}, not seen for {} days {}",
            s.observed, s.matched, s.conflicts, s.unknown, diff.not_seen_days, s.not_seen
        );
        for m in diff.with_conflicts() {
            for c in &m.conflicts {
                println!(
                    "  conflict  device {} {}: {} ledger {} observed {}",
                    m.device_id,
                    m.management_number.as_deref().unwrap_or("-"),
                    c.field,
                    c.ledger,
                    c.observed
                );
            }
        }
        for u in &diff.unknown {
            println!(
                "  unknown   {} {} {}",
                u.ip.as_deref().unwrap_or("-"),
                u.mac.as_deref().unwrap_or("-"),
                u.hostname.as_deref().unwrap_or("")
            );
        }
        if let Some((changes, new, emailed)) = &applied {
            let filled: usize = changes.iter().map(|c| c.changed.len()).sum();
            let kept: usize = changes.iter().map(|c| c.kept.len()).sum();
            eprintln!(
                "applied: {filled} ledger fields filled from observations, {kept} kept as entered; {new} new alerts ({emailed} e-mailed)"
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
