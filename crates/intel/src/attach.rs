//! Attaching an SBOM or an MDS2 form to a device model (manufacturer + model [+ version]) and
//! matching the devices of that model — the same for the CLI, the UI and the API.
//!
//! The file is parsed completely before anything is stored: a file that fails to parse is rejected
//! whole with the parser's message (file and place) and changes nothing.

use crate::engine::{model_key_of, rematch, IntelError, Rematch};
use crate::notices::notify_new_findings;
use mdsec_domain::manufacturer::ManufacturerAliases;
use mdsec_store::{Actor, ComponentRecord, NewMds2, NewSbom, Store};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Largest SBOM or MDS2 file attached (the inspector's input limit).
pub const MAX_ATTACH_BYTES: usize = mdsec_inspect::MAX_INPUT_BYTES;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AttachKind {
    Sbom,
    Mds2,
}

impl AttachKind {
    pub fn from_code(s: &str) -> Option<AttachKind> {
        match s {
            "sbom" => Some(AttachKind::Sbom),
            "mds2" => Some(AttachKind::Mds2),
            _ => None,
        }
    }
}

/// What to attach to which model.
#[derive(Debug, Clone)]
pub struct AttachRequest<'a> {
    pub kind: AttachKind,
    pub manufacturer: &'a str,
    pub model: &'a str,
    /// Firmware/software version; `None` covers every version of the model.
    pub version: Option<&'a str>,
    pub file_name: &'a str,
    pub bytes: &'a [u8],
}

/// What an attach did.
#[derive(Debug, Clone, Serialize)]
pub struct AttachReport {
    pub kind: AttachKind,
    pub device_model_id: i64,
    pub manufacturer: String,
    pub model: String,
    pub version: Option<String>,
    /// Id of the stored SBOM or MDS2 record.
    pub attached_id: i64,
    /// Components in the SBOM (none for MDS2).
    pub components: Option<usize>,
    /// Ledger devices of this model (version) that were re-matched.
    pub devices: usize,
    pub findings_created: usize,
    pub findings_resolved: usize,
    pub notices: usize,
    pub emailed: usize,
}

enum Parsed {
    Sbom(NewSbom),
    Mds2(NewMds2),
}

fn parse(req: &AttachRequest<'_>) -> Result<Parsed, IntelError> {
    if req.bytes.len() > MAX_ATTACH_BYTES {
        return Err(IntelError::Attach(format!(
            "{}: file is {} MiB, over the limit of {} MiB",
            req.file_name,
            req.bytes.len() >> 20,
            MAX_ATTACH_BYTES >> 20
        )));
    }
    if req.manufacturer.trim().is_empty() || req.model.trim().is_empty() {
        return Err(IntelError::Attach(format!(
            "{}: a manufacturer and a model are required",
            req.file_name
        )));
    }
    Ok(match req.kind {
        AttachKind::Sbom => {
            let sbom = mdsec_sbom::parse_sbom(req.file_name, req.bytes, false)
                .map_err(|e| IntelError::Attach(e.to_string()))?;
            let components: Vec<ComponentRecord> = sbom
                .components
                .iter()
                .map(|c| ComponentRecord {
                    name: c.name.clone(),
                    version: c.version.clone(),
                    purl: c.purl.clone(),
                    cpe: c.cpe.clone(),
                })
                .collect();
            let format = serde_json::to_value(sbom.format)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            Parsed::Sbom(NewSbom {
                file_name: req.file_name.to_string(),
                format: format!("{format} {}", sbom.spec_version),
                sha256: hex::encode(Sha256::digest(req.bytes)),
                components,
            })
        }
        AttachKind::Mds2 => {
            let form = mdsec_mds2::parse_mds2(req.file_name, req.bytes)
                .map_err(|e| IntelError::Attach(e.to_string()))?;
            Parsed::Mds2(NewMds2 {
                file_name: req.file_name.to_string(),
                sha256: form.sha256.clone(),
                profile: serde_json::json!({
                    "edition": form.edition,
                    "sheet": form.sheet,
                    "profile": form.profile,
                    "answers": form.answers.len(),
                }),
            })
        }
    })
}

/// Canonical manufacturer (built-in alias table + the hospital's aliases) → the stored model id.
async fn model_id(
    store: &dyn Store,
    actor: &Actor,
    manufacturer: &str,
    model: &str,
    version: Option<&str>,
) -> Result<i64, IntelError> {
    let mut aliases = ManufacturerAliases::builtin();
    for (a, c) in store.manufacturer_aliases().await? {
        aliases.add(&a, &c);
    }
    let canonical = aliases
        .canonical(manufacturer)
        .unwrap_or(manufacturer.trim())
        .to_string();
    let key = model_key_of(&canonical, model.trim(), version.map(str::trim));
    Ok(store
        .ensure_device_model(
            actor,
            &key.manufacturer,
            &key.model,
            key.version.as_deref().unwrap_or(""),
        )
        .await?)
}

/// Ledger device ids of the model (every version when `version` is None).
pub async fn devices_of(
    store: &dyn Store,
    manufacturer: &str,
    model: &str,
    version: Option<&str>,
) -> Result<Vec<i64>, IntelError> {
    let want = model_key_of(manufacturer, model, None);
    let mut ids = Vec::new();
    for d in store.live_devices().await? {
        let (Some(m), Some(mo)) = (&d.fields.manufacturer, &d.fields.model) else {
            continue;
        };
        let k = model_key_of(m, mo, None);
        if k.manufacturer == want.manufacturer
            && k.model.to_lowercase() == want.model.to_lowercase()
            && version.is_none_or(|v| {
                d.fields.software_version.as_deref().map(str::trim) == Some(v.trim())
            })
        {
            ids.push(d.id);
        }
    }
    Ok(ids)
}

/// Parse, store (audited), re-match the model's devices, notify.
pub async fn attach(
    store: &dyn Store,
    actor: &Actor,
    req: AttachRequest<'_>,
) -> Result<AttachReport, IntelError> {
    let parsed = parse(&req)?;
    let version = req.version.map(str::trim).filter(|v| !v.is_empty());
    let mid = model_id(store, actor, req.manufacturer, req.model, version).await?;
    let (attached_id, components) = match parsed {
        Parsed::Sbom(s) => {
            let n = s.components.len();
            (store.attach_sbom(actor, mid, s).await?.id, Some(n))
        }
        Parsed::Mds2(m) => (store.attach_mds2(actor, mid, m).await?.id, None),
    };
    let m = store
        .get_device_model(mid)
        .await?
        .ok_or_else(|| IntelError::Attach(format!("device model #{mid} vanished")))?;
    let version = Some(m.version.clone()).filter(|v| !v.is_empty());
    let devices = devices_of(store, &m.manufacturer, &m.model, version.as_deref()).await?;
    let run = rematch(store, actor, Rematch::Devices(devices.clone())).await?;
    let notified = notify_new_findings(store, &run.created).await?;
    Ok(AttachReport {
        kind: req.kind,
        device_model_id: mid,
        manufacturer: m.manufacturer,
        model: m.model,
        version,
        attached_id,
        components,
        devices: devices.len(),
        findings_created: run.findings_created,
        findings_resolved: run.findings_resolved,
        notices: notified.notices,
        emailed: notified.emailed,
    })
}
