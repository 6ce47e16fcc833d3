//! The intelligence run: feed files into the store, the fleet through the matcher, findings,
//! VEX and priorities back into the store. I/O is only through the [`Store`] trait.

use crate::feed::{matchable, read_feed, FeedError};
use crate::priority::{device_priority, FleetFacts};
use crate::vex::apply_vex;
use mdsec_domain::manufacturer::ModelAliases;
use mdsec_matcher::{Component, DeviceModelKey, Finding, Index};
use mdsec_store::*;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum IntelError {
    #[error(transparent)]
    Feed(#[from] FeedError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Mail(#[from] mdsec_notify::MailError),
    /// An SBOM or MDS2 form that cannot be attached (parse error naming the file and place).
    #[error("{0}; nothing was attached")]
    Attach(String),
}

/// What `feed import` did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct FeedRun {
    pub files: usize,
    pub import: FeedImportReport,
    pub rematch: RematchReport,
}

/// What a re-match changed.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RematchReport {
    /// Advisories evaluated.
    pub advisories: usize,
    /// Distinct device models evaluated.
    pub models: usize,
    pub findings_created: usize,
    pub findings_updated: usize,
    pub findings_resolved: usize,
    /// Devices with open findings after the run.
    pub devices_with_open_findings: usize,
    /// (device id, advisory id) of new findings: what notifications are about.
    #[serde(skip)]
    pub created: Vec<(i64, String)>,
}

/// Which part of the fleet × advisories product to (re)compute.
#[derive(Debug, Clone)]
pub enum Rematch {
    All,
    /// New or changed advisories: only they are matched.
    Advisories(Vec<String>),
    /// Devices whose model changed (new SBOM, new VEX): only their models are matched.
    Devices(Vec<i64>),
}

/// Parse every file first; if any fails, nothing is written. Then one import transaction, then
/// an incremental re-match of what changed.
pub async fn import_feeds(
    store: &dyn Store,
    actor: &Actor,
    files: Vec<(String, Vec<u8>)>,
) -> Result<FeedRun, IntelError> {
    let mut batch = FeedBatch::default();
    let mut by_id: BTreeMap<String, AdvisoryRecord> = BTreeMap::new();
    let n = files.len();
    for (name, bytes) in files {
        let content = read_feed(&name, &bytes)?;
        for a in content.advisories {
            // The same advisory twice in one import: the later revision wins.
            match by_id.get(&a.id) {
                Some(old) if old.modified >= a.modified => {}
                _ => {
                    by_id.insert(a.id.clone(), a);
                }
            }
        }
        batch.kev.extend(content.kev);
        batch.epss.extend(content.epss);
        batch.sources.push(name);
    }
    batch.advisories = by_id.into_values().collect();
    let import = store.import_feed(actor, batch).await?;
    let changed: Vec<String> = import.new.iter().chain(&import.updated).cloned().collect();
    let rematch = rematch(store, actor, Rematch::Advisories(changed)).await?;
    Ok(FeedRun {
        files: n,
        import,
        rematch,
    })
}

/// A device's model key as the index stores it, and the versionless key of the same model.
fn device_keys(index: &Index, d: &Device) -> Option<(DeviceModelKey, DeviceModelKey)> {
    let m = d
        .fields
        .manufacturer
        .as_deref()
        .filter(|s| !s.trim().is_empty())?;
    let model = d.fields.model.as_deref().filter(|s| !s.trim().is_empty())?;
    let v = d
        .fields
        .software_version
        .as_deref()
        .filter(|s| !s.trim().is_empty());
    Some((
        index.normalise_key(&DeviceModelKey::new(m, model, v)),
        index.normalise_key(&DeviceModelKey::new(m, model, None)),
    ))
}

fn model_record_key(index: &Index, m: &DeviceModelRecord) -> DeviceModelKey {
    let v = Some(m.version.as_str()).filter(|s| !s.is_empty());
    index.normalise_key(&DeviceModelKey::new(&m.manufacturer, &m.model, v))
}

/// Everything the run needs to know about the fleet.
struct Fleet {
    devices: Vec<Device>,
    /// Normalised model key → device ids.
    by_key: BTreeMap<DeviceModelKey, Vec<i64>>,
    /// Device id → normalised key.
    key_of: HashMap<i64, DeviceModelKey>,
    /// Models with an SBOM / MDS2 (by normalised key, versionless keys cover every version).
    sbom_keys: HashSet<DeviceModelKey>,
    mds2_keys: HashSet<DeviceModelKey>,
    components: HashMap<DeviceModelKey, Vec<Component>>,
}

async fn load_fleet(store: &dyn Store, index: &Index) -> Result<Fleet, IntelError> {
    let devices = store.live_devices().await?;
    let models = store.list_device_models().await?;
    let mut id_key: HashMap<i64, DeviceModelKey> = HashMap::new();
    let mut sbom_keys = HashSet::new();
    let mut mds2_keys = HashSet::new();
    for m in &models {
        let k = model_record_key(index, m);
        if m.sbom_count > 0 {
            sbom_keys.insert(k.clone());
        }
        if m.mds2_count > 0 {
            mds2_keys.insert(k.clone());
        }
        id_key.insert(m.id, k);
    }
    let mut model_components: HashMap<DeviceModelKey, Vec<Component>> = HashMap::new();
    for (mid, c) in store.all_components().await? {
        if let Some(k) = id_key.get(&mid) {
            model_components
                .entry(k.clone())
                .or_default()
                .push(Component {
                    name: c.name,
                    version: c.version,
                    purl: c.purl,
                    cpe: c.cpe,
                });
        }
    }
    let mut by_key: BTreeMap<DeviceModelKey, Vec<i64>> = BTreeMap::new();
    let mut key_of = HashMap::new();
    let mut components = HashMap::new();
    for d in &devices {
        if let Some((exact, versionless)) = device_keys(index, d) {
            by_key.entry(exact.clone()).or_default().push(d.id);
            key_of.insert(d.id, exact.clone());
            if !components.contains_key(&exact) {
                let c = model_components
                    .get(&exact)
                    .or_else(|| model_components.get(&versionless))
                    .cloned()
                    .unwrap_or_default();
                components.insert(exact.clone(), c);
            }
            if sbom_keys.contains(&versionless) {
                sbom_keys.insert(exact.clone());
            }
            if mds2_keys.contains(&versionless) {
                mds2_keys.insert(exact);
            }
        }
    }
    Ok(Fleet {
        devices,
        by_key,
        key_of,
        sbom_keys,
        mds2_keys,
        components,
    })
}

/// Re-match part (or all) of the fleet and store findings and priorities.
pub async fn rematch(
    store: &dyn Store,
    actor: &Actor,
    what: Rematch,
) -> Result<RematchReport, IntelError> {
    let mut index = Index::new(ModelAliases::builtin());
    let fleet = load_fleet(store, &index).await?;
    let mut report = RematchReport::default();
    let findings: Vec<Finding>;
    let scope: FindingScope;
    match &what {
        Rematch::Advisories(ids) => {
            for k in fleet.by_key.keys() {
                index.insert_model(
                    k.clone(),
                    fleet.components.get(k).cloned().unwrap_or_default(),
                );
            }
            report.models = fleet.by_key.len();
            let mut out = Vec::new();
            if !ids.is_empty() {
                for rec in store.advisory_documents(Some(ids)).await? {
                    if let Some(adv) = matchable(&rec) {
                        report.advisories += 1;
                        out.extend(index.add_advisory(adv));
                    }
                }
            }
            findings = out;
            scope = FindingScope::Advisories(ids.clone());
        }
        Rematch::All | Rematch::Devices(_) => {
            for rec in store.advisory_documents(None).await? {
                if let Some(adv) = matchable(&rec) {
                    report.advisories += 1;
                    index.insert_advisory(adv);
                }
            }
            match &what {
                Rematch::Devices(ids) => {
                    let keys: std::collections::BTreeSet<&DeviceModelKey> =
                        ids.iter().filter_map(|id| fleet.key_of.get(id)).collect();
                    let mut out = Vec::new();
                    for k in &keys {
                        out.extend(index.add_model(
                            (*k).clone(),
                            fleet.components.get(*k).cloned().unwrap_or_default(),
                        ));
                    }
                    report.models = keys.len();
                    // Every device of those models, not only the ones named.
                    let mut all_ids: Vec<i64> = keys
                        .iter()
                        .flat_map(|k| fleet.by_key.get(*k).into_iter().flatten().copied())
                        .collect();
                    all_ids.extend(ids.iter().filter(|id| !fleet.key_of.contains_key(id)));
                    all_ids.sort_unstable();
                    all_ids.dedup();
                    findings = out;
                    scope = FindingScope::Devices(all_ids);
                }
                _ => {
                    for k in fleet.by_key.keys() {
                        index.insert_model(
                            k.clone(),
                            fleet.components.get(k).cloned().unwrap_or_default(),
                        );
                    }
                    report.models = fleet.by_key.len();
                    findings = index.match_all();
                    scope = FindingScope::All;
                }
            }
        }
    }
    let vex = store.list_vex().await?;
    let mut matches = Vec::new();
    for f in &findings {
        let Some(devices) = fleet.by_key.get(&*f.device_model) else {
            continue;
        };
        let (status, vex_json) = apply_vex(f, &vex);
        if !matches!(status.as_str(), "affected" | "undetermined") && vex_json.is_none() {
            continue;
        }
        for &device_id in devices {
            matches.push(FindingMatch {
                device_id,
                advisory_id: f.advisory_id.to_string(),
                match_status: status.clone(),
                confidence: format!("{:?}", f.evidence.tier).to_lowercase(),
                evidence: serde_json::to_value(&f.evidence).unwrap_or_default(),
                aliases: f.aliases.to_vec(),
                remediations: f.remediations.clone(),
                vex: vex_json.clone(),
            });
        }
    }
    let sync = store
        .sync_findings(
            actor,
            FindingsSync {
                scope,
                matches,
                priorities: Vec::new(),
            },
        )
        .await?;
    report.findings_created = sync.created.len();
    report.findings_updated = sync.updated;
    report.findings_resolved = sync.resolved;
    report.created = sync.created;
    report.devices_with_open_findings = refresh_priorities_with(store, actor, &fleet).await?;
    Ok(report)
}

/// Recompute every device's priority (after a lifecycle change, a KEV/EPSS update or a match).
pub async fn refresh_priorities(store: &dyn Store, actor: &Actor) -> Result<usize, IntelError> {
    let index = Index::new(ModelAliases::builtin());
    let fleet = load_fleet(store, &index).await?;
    refresh_priorities_with(store, actor, &fleet).await
}

async fn refresh_priorities_with(
    store: &dyn Store,
    actor: &Actor,
    fleet: &Fleet,
) -> Result<usize, IntelError> {
    let open = store
        .list_findings(&FindingQuery {
            open_only: true,
            limit: i64::MAX,
            ..Default::default()
        })
        .await?;
    let mut per_device: HashMap<i64, Vec<&FindingRecord>> = HashMap::new();
    let mut cves: Vec<String> = Vec::new();
    for f in &open.items {
        per_device.entry(f.device_id).or_default().push(f);
        cves.extend(f.aliases.iter().cloned());
    }
    cves.sort();
    cves.dedup();
    let kev: HashSet<String> = store
        .kev_entries()
        .await?
        .into_iter()
        .map(|k| k.cve_id)
        .collect();
    let epss: HashMap<String, f64> = store
        .epss_for(&cves)
        .await?
        .into_iter()
        .map(|e| (e.cve_id, e.epss))
        .collect();
    let facts = FleetFacts {
        kev: &kev,
        epss: &epss,
        today: today(),
    };
    let mut priorities = Vec::with_capacity(fleet.devices.len());
    for d in &fleet.devices {
        let key = fleet.key_of.get(&d.id);
        let has_sbom = key.is_some_and(|k| fleet.sbom_keys.contains(k));
        let has_mds2 = key.is_some_and(|k| fleet.mds2_keys.contains(k));
        let findings = per_device.get(&d.id).map(Vec::as_slice).unwrap_or(&[]);
        priorities.push(device_priority(d, findings, has_sbom, has_mds2, &facts));
    }
    let with_open = priorities.iter().filter(|p| p.open_findings > 0).count();
    store
        .sync_findings(
            actor,
            FindingsSync {
                scope: FindingScope::Devices(Vec::new()),
                matches: Vec::new(),
                priorities,
            },
        )
        .await?;
    Ok(with_open)
}

fn today() -> String {
    // UTC date from the system clock, without a date crate: days since the epoch → civil date.
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}-{m:02}-{d:02}")
}

/// Shared, read-only model keys: used by callers that resolve a device's model.
pub fn model_key_of(manufacturer: &str, model: &str, version: Option<&str>) -> Arc<DeviceModelKey> {
    let index = Index::new(ModelAliases::builtin());
    Arc::new(index.normalise_key(&DeviceModelKey::new(manufacturer, model, version)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn today_is_a_date() {
        let t = super::today();
        assert_eq!(t.len(), 10);
        assert!(t.as_str() > "2024-01-01", "{t}");
    }
}
