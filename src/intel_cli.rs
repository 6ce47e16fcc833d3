//! `mdsec findings`, `mdsec sbom attach`, `mdsec mds2 attach`, `mdsec vex import`: the
//! intelligence commands that are not feeds.

use crate::cli::{open_store, Global};
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use mdsec_store::{Actor, Device, FindingQuery, Store};
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;

/// The account an audit entry names: a known user, else the name as given.
pub async fn actor_named(store: &dyn Store, name: &str) -> Result<Actor> {
    Ok(match store.get_user_by_name(name).await? {
        Some(u) => Actor::user(&u),
        None => Actor {
            user_id: None,
            username: name.to_string(),
        },
    })
}

#[derive(Args, Debug)]
pub struct FindingsArgs {
    /// One JSON object with `items` on stdout.
    #[arg(long)]
    json: bool,
    /// Only this device (ledger id).
    #[arg(long)]
    device: Option<i64>,
    /// Include devices whose findings are all closed, accepted or dismissed.
    #[arg(long)]
    all: bool,
    /// Write every finding (all lifecycle states) to FILE instead: `.csv`, `.xlsx`, or `.json`
    /// (CycloneDX 1.6 VEX).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Language of CSV/xlsx headings: ja or en.
    #[arg(long, default_value = "ja")]
    lang: String,
}

#[derive(Subcommand, Debug)]
pub enum SbomCommand {
    /// Attach an SBOM to a device model (manufacturer + model [+ version]) and match it.
    #[command(flatten)]
    Attach(AttachCommand),
    /// Check an SBOM against advisory files or folders (OSV, CSAF, NVD) without storing
    /// anything: what a manufacturer's PSIRT runs on its own product.
    Check {
        sbom: PathBuf,
        /// Advisory files or folders.
        #[arg(long = "advisories", required = true)]
        advisories: Vec<PathBuf>,
        /// VEX documents (OpenVEX, CycloneDX VEX, CSAF VEX) answering findings: one a statement
        /// marks `not_affected` (with a justification or impact statement) or `fixed` is listed as
        /// answered and does not fail the check. Statements without a purl speak about the SBOM
        /// as a whole (model = the SBOM's file name).
        #[arg(long = "vex", value_name = "FILE")]
        vex: Vec<PathBuf>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum AttachCommand {
    /// Attach a file to a device model (manufacturer + model [+ version]) and match it.
    #[command(disable_version_flag = true)]
    Attach {
        file: PathBuf,
        #[arg(long)]
        manufacturer: String,
        #[arg(long)]
        model: String,
        /// Firmware/software version; without it the file covers every version of the model.
        #[arg(long = "version", id = "model_version")]
        version: Option<String>,
        #[arg(long)]
        json: bool,
        #[arg(long = "as", default_value = "admin")]
        as_user: String,
    },
}

/// One device in `mdsec findings --json`.
#[derive(Debug, Serialize)]
pub struct FindingsItem {
    pub device_id: i64,
    pub management_number: Option<String>,
    pub name: String,
    pub department: Option<String>,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub version: Option<String>,
    pub advisory_ids: Vec<String>,
    pub priority: f64,
    pub reasons: Vec<String>,
    /// `affected` when any open finding is affected, else `undetermined`; `none` without open
    /// findings.
    pub status: String,
    pub findings: Vec<FindingBrief>,
}

#[derive(Debug, Serialize)]
pub struct FindingBrief {
    pub id: i64,
    pub advisory_id: String,
    pub title: Option<String>,
    pub aliases: Vec<String>,
    pub match_status: String,
    pub confidence: String,
    /// Lifecycle: new, triaged, mitigated, accepted, false_positive, closed.
    pub status: String,
    pub remediations: Vec<String>,
    pub vex: Option<serde_json::Value>,
}

fn reason_strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|r| {
                    format!(
                        "{}: {} (+{})",
                        r["code"].as_str().unwrap_or("?"),
                        r["detail"].as_str().unwrap_or(""),
                        r["points"].as_f64().unwrap_or(0.0)
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn findings_item(store: &dyn Store, d: Device, open_only: bool) -> Result<FindingsItem> {
    let recs = store
        .list_findings(&FindingQuery {
            device_id: Some(d.id),
            open_only,
            limit: 10_000,
            ..Default::default()
        })
        .await?
        .items;
    let prio = store.device_priority(d.id).await?;
    let open = |m: &str| m == "affected" || m == "undetermined";
    let status = if recs
        .iter()
        .any(|f| f.match_status == "affected" && ["new", "triaged"].contains(&f.status.as_str()))
    {
        "affected"
    } else if recs
        .iter()
        .any(|f| open(&f.match_status) && ["new", "triaged"].contains(&f.status.as_str()))
    {
        "undetermined"
    } else {
        "none"
    };
    let mut advisory_ids: Vec<String> = Vec::new();
    for f in &recs {
        if !advisory_ids.contains(&f.advisory_id) {
            advisory_ids.push(f.advisory_id.clone());
        }
        for a in &f.aliases {
            if !advisory_ids.contains(a) {
                advisory_ids.push(a.clone());
            }
        }
    }
    let f = d.fields;
    Ok(FindingsItem {
        device_id: d.id,
        management_number: f.management_number,
        name: f.name,
        department: f.department,
        manufacturer: f.manufacturer,
        model: f.model,
        version: f.software_version,
        advisory_ids,
        priority: prio.as_ref().map(|p| p.score).unwrap_or(0.0),
        reasons: prio
            .as_ref()
            .map(|p| reason_strings(&p.reasons))
            .unwrap_or_default(),
        status: status.into(),
        findings: recs
            .into_iter()
            .map(|r| FindingBrief {
                id: r.id,
                advisory_id: r.advisory_id,
                title: r.advisory_title,
                aliases: r.aliases,
                match_status: r.match_status,
                confidence: r.confidence,
                status: r.status,
                remediations: r.remediations,
                vex: r.vex,
            })
            .collect(),
    })
}

async fn export_findings(
    store: &dyn Store,
    args: &FindingsArgs,
    out: &std::path::Path,
) -> Result<()> {
    use mdsec_intel::export;
    let lang = match args.lang.as_str() {
        "ja" => mdsec_ledger::Lang::Ja,
        "en" => mdsec_ledger::Lang::En,
        other => bail!("unknown language {other}: ja or en"),
    };
    let rows = export::collect_rows(store, args.device).await?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let bytes = if name.ends_with(".csv") {
        export::findings_csv(&rows, lang)
    } else if name.ends_with(".xlsx") {
        export::findings_xlsx(&rows, lang)?
    } else if name.ends_with(".json") {
        let hospital = store
            .checklist_profile()
            .await?
            .hospital_name
            .unwrap_or_else(|| "hospital".into());
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let doc = export::cyclonedx_vex(&rows, &hospital, &export::uuid_v4(rand::random()), &now);
        serde_json::to_vec_pretty(&doc)?
    } else {
        bail!(
            "{}: the file name must end in .csv, .xlsx or .json (CycloneDX VEX)",
            out.display()
        );
    };
    std::fs::write(out, bytes).with_context(|| format!("writing {}", out.display()))?;
    eprintln!("{} findings written to {}", rows.len(), out.display());
    Ok(())
}

pub async fn findings(global: &Global, args: FindingsArgs) -> Result<ExitCode> {
    let store = open_store(global).await?;
    if let Some(out) = &args.out {
        export_findings(&*store, &args, out).await?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut items = Vec::new();
    match args.device {
        Some(id) => {
            let d = store
                .get_device(id)
                .await?
                .with_context(|| format!("no device with id {id}"))?;
            items.push(findings_item(&*store, d, false).await?);
        }
        None => {
            let page = store.device_priorities(!args.all, 100_000, 0).await?;
            for p in page.items {
                if let Some(d) = store.get_device(p.device_id).await? {
                    items.push(findings_item(&*store, d, !args.all).await?);
                }
            }
        }
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "items": items }))?
        );
    } else if items.is_empty() {
        println!("no open findings");
    } else {
        for i in &items {
            println!(
                "{:>7.1}  #{} {} {} {} {}  {}",
                i.priority,
                i.device_id,
                i.management_number.as_deref().unwrap_or("-"),
                i.manufacturer.as_deref().unwrap_or(""),
                i.model.as_deref().unwrap_or(""),
                i.version.as_deref().unwrap_or(""),
                i.advisory_ids.join(", ")
            );
            for r in i.reasons.iter().take(4) {
                println!("           {r}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn read_file(file: &PathBuf, limit: usize) -> Result<(String, Vec<u8>)> {
    let name = file.display().to_string();
    let size = std::fs::metadata(file)
        .with_context(|| format!("cannot read {name}"))?
        .len();
    if size > limit as u64 {
        bail!(
            "{name}: file is {} MiB, over the limit of {} MiB; nothing was attached",
            size >> 20,
            limit >> 20
        );
    }
    Ok((
        name.clone(),
        std::fs::read(file).with_context(|| format!("cannot read {name}"))?,
    ))
}

pub async fn sbom(global: &Global, cmd: SbomCommand) -> Result<ExitCode> {
    match cmd {
        SbomCommand::Attach(a) => attach(global, mdsec_intel::attach::AttachKind::Sbom, a).await,
        SbomCommand::Check {
            sbom,
            advisories,
            vex,
            json,
        } => sbom_check(&sbom, &advisories, &vex, json),
    }
}

pub async fn mds2(global: &Global, cmd: AttachCommand) -> Result<ExitCode> {
    attach(global, mdsec_intel::attach::AttachKind::Mds2, cmd).await
}

async fn attach(
    global: &Global,
    kind: mdsec_intel::attach::AttachKind,
    cmd: AttachCommand,
) -> Result<ExitCode> {
    use mdsec_intel::attach::{AttachRequest, MAX_ATTACH_BYTES};
    let AttachCommand::Attach {
        file,
        manufacturer,
        model,
        version,
        json,
        as_user,
    } = cmd;
    let (name, bytes) = read_file(&file, MAX_ATTACH_BYTES)?;
    let store = open_store(global).await?;
    let actor = actor_named(&*store, &as_user).await?;
    let r = mdsec_intel::attach::attach(
        &*store,
        &actor,
        AttachRequest {
            kind,
            manufacturer: &manufacturer,
            model: &model,
            version: version.as_deref(),
            file_name: &name,
            bytes: &bytes,
        },
    )
    .await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        println!(
            "attached to {} {} {} (model #{}): {} devices; findings {} new, {} resolved",
            r.manufacturer,
            r.model,
            r.version.as_deref().unwrap_or("(all versions)"),
            r.device_model_id,
            r.devices,
            r.findings_created,
            r.findings_resolved
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct CheckFinding {
    package: String,
    version: Option<String>,
    identifier: String,
    advisory_id: String,
    aliases: Vec<String>,
    status: String,
    range: String,
    /// The VEX statements that apply (`vex::apply_vex`'s provenance), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    vex: Option<serde_json::Value>,
}

/// The statements of the `--vex` files of `sbom check`, scoped to the SBOM named `sbom_name`. A
/// `not_affected` statement must say why (OpenVEX requires a justification or an impact statement):
/// one that does not is refused rather than silently hiding a finding.
fn check_vex_statements(sbom_name: &str, files: &[PathBuf]) -> Result<Vec<mdsec_store::VexRecord>> {
    let scope = mdsec_intel::vex::VexScope {
        manufacturer: None,
        model: Some(sbom_name.to_string()),
        versions: None,
    };
    let mut out = Vec::new();
    for file in files {
        let (name, bytes) = read_file(file, mdsec_intel::vex::MAX_VEX_BYTES)?;
        let statements = mdsec_intel::vex::read_vex(&name, &bytes, &scope, "sbom-check")
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        if statements.is_empty() {
            bail!("{name}: no VEX statements found");
        }
        for s in statements {
            let says_why = |t: &Option<String>| t.as_deref().is_some_and(|t| !t.trim().is_empty());
            if s.status == "not_affected" && !says_why(&s.justification) && !says_why(&s.detail) {
                bail!(
                    "{name}: the not_affected statement on {} ({}) gives no justification or impact statement",
                    s.vulnerability,
                    s.purl.as_deref().unwrap_or("the whole SBOM")
                );
            }
            out.push(mdsec_store::VexRecord {
                id: out.len() as i64 + 1,
                statement: s,
                created_at: String::new(),
                created_by: String::new(),
            });
        }
    }
    Ok(out)
}

/// `mdsec sbom check`: parse, index, match, apply VEX; nothing stored.
fn sbom_check(
    sbom: &PathBuf,
    advisories: &[PathBuf],
    vex_files: &[PathBuf],
    json: bool,
) -> Result<ExitCode> {
    use mdsec_matcher::{DeviceModelKey, FindingStatus, Index};
    let (name, bytes) = read_file(sbom, mdsec_inspect::MAX_INPUT_BYTES)?;
    let parsed =
        mdsec_sbom::parse_sbom(&name, &bytes, false).map_err(|e| anyhow::anyhow!("{e}"))?;
    let vex = check_vex_statements(&name, vex_files)?;
    let components = mdsec_matcher::convert::components_from_sbom(&parsed);
    let mut index = Index::new(mdsec_domain::manufacturer::ModelAliases::builtin());
    let mut files = Vec::new();
    for p in advisories {
        if p.is_dir() {
            walk_files(p, &mut files)?;
        } else {
            files.push(p.clone());
        }
    }
    let mut n_adv = 0usize;
    for f in &files {
        let bytes = std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
        let fname = f.display().to_string();
        let content = match mdsec_intel::read_feed(&fname, &bytes) {
            Ok(c) => c,
            Err(mdsec_intel::FeedError::NotAFeed { .. }) => continue,
            Err(mdsec_intel::FeedError::Format(e))
                if mdsec_inspect::detect(&fname, &bytes).is_err() =>
            {
                tracing::debug!("skipping {fname}: {e}");
                continue;
            }
            Err(e) => bail!("{e}"),
        };
        for rec in &content.advisories {
            if let Some(adv) = mdsec_intel::feed::matchable(rec) {
                index.insert_advisory(adv);
                n_adv += 1;
            }
        }
    }
    let n_comp = components.len();
    let findings = index.add_model(DeviceModelKey::new("sbom", &name, None), components);
    let mut used = vec![false; vex.len()];
    let (mut out, mut answered): (Vec<CheckFinding>, Vec<CheckFinding>) = findings
        .iter()
        .filter(|f| f.status.needs_action())
        .map(|f| {
            for (i, v) in vex.iter().enumerate() {
                used[i] |= mdsec_intel::vex::applies(v, f);
            }
            let (vex_status, vex_provenance) = mdsec_intel::vex::apply_vex(f, &vex);
            let ident = f.evidence.matched_identifier.to_string();
            let (package, version) =
                match ident.strip_prefix("pkg:").and_then(|p| p.split_once('/')) {
                    Some((_, rest)) => {
                        let rest = rest.split(['?', '#']).next().unwrap_or(rest);
                        match rest.rsplit_once('@') {
                            Some((n, v)) => (n.to_string(), Some(v.to_string())),
                            None => (rest.to_string(), None),
                        }
                    }
                    None => (ident.clone(), None),
                };
            CheckFinding {
                package,
                version,
                identifier: ident,
                advisory_id: f.advisory_id.to_string(),
                aliases: f.aliases.to_vec(),
                status: match vex_status.as_str() {
                    "not_affected" | "fixed" => vex_status,
                    _ if f.status == FindingStatus::Affected => "affected".into(),
                    _ => "undetermined".into(),
                },
                range: f.evidence.range_or_status.to_string(),
                vex: vex_provenance,
            }
        })
        .partition(|f| f.status != "not_affected" && f.status != "fixed");
    let by_key = |a: &CheckFinding, b: &CheckFinding| {
        (&a.package, &a.version, &a.advisory_id).cmp(&(&b.package, &b.version, &b.advisory_id))
    };
    out.sort_by(by_key);
    answered.sort_by(by_key);
    // A statement that answers nothing has outlived its finding (the package moved on, or the
    // advisory was withdrawn): say so, so the VEX file is kept current; it does not fail the check.
    for (v, _) in vex.iter().zip(&used).filter(|(_, used)| !**used) {
        let s = &v.statement;
        eprintln!(
            "warning: {}: the statement on {} ({}) answers no finding",
            s.file_name.as_deref().unwrap_or("VEX"),
            s.vulnerability,
            s.purl.as_deref().unwrap_or("the whole SBOM")
        );
    }
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "sbom": name, "components": n_comp, "advisories": n_adv, "findings": out,
                "answered_by_vex": answered,
            }))?
        );
    } else {
        println!(
            "{name}: {n_comp} components, {n_adv} advisories, {} findings ({} answered by VEX)",
            out.len(),
            answered.len()
        );
        for f in &out {
            println!(
                "  {} {} {} ({})",
                f.package,
                f.version.as_deref().unwrap_or(""),
                f.advisory_id,
                f.status
            );
        }
    }
    Ok(if out.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn walk_files(dir: &std::path::Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.path());
    for e in entries {
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        if e.file_type()?.is_dir() {
            walk_files(&e.path(), out)?;
        } else {
            out.push(e.path());
        }
    }
    Ok(())
}

#[derive(Subcommand, Debug)]
pub enum VexCommand {
    /// Import VEX statements (CycloneDX VEX, OpenVEX, CSAF VEX) and re-match. Conflicting
    /// statements from different sources are kept side by side and shown, never resolved.
    #[command(disable_version_flag = true)]
    Import {
        file: PathBuf,
        /// Device model the statements are about, when the document does not name it.
        #[arg(long)]
        manufacturer: Option<String>,
        #[arg(long)]
        model: Option<String>,
        /// Versions covered (comma-separated); without it every version, so a dismissal survives
        /// new firmware until the statement is withdrawn.
        #[arg(long = "version", id = "model_version")]
        version: Option<String>,
        /// Who made the statements: `hospital` or `manufacturer:<name>`.
        #[arg(long, default_value = "hospital")]
        source: String,
        #[arg(long)]
        json: bool,
        #[arg(long = "as", default_value = "admin")]
        as_user: String,
    },
}

pub async fn vex(global: &Global, cmd: VexCommand) -> Result<ExitCode> {
    let VexCommand::Import {
        file,
        manufacturer,
        model,
        version,
        source,
        json,
        as_user,
    } = cmd;
    let (name, bytes) = read_file(&file, mdsec_intel::vex::MAX_VEX_BYTES)?;
    let scope = mdsec_intel::vex::VexScope {
        manufacturer,
        model,
        versions: version,
    };
    let statements = mdsec_intel::vex::read_vex(&name, &bytes, &scope, &source)
        .map_err(|e| anyhow::anyhow!("{e}; nothing was imported"))?;
    if statements.is_empty() {
        bail!("{name}: no VEX statements found; nothing was imported");
    }
    let store = open_store(global).await?;
    let actor = actor_named(&*store, &as_user).await?;
    let added = store.add_vex(&actor, statements).await?;
    let run = mdsec_intel::rematch(&*store, &actor, mdsec_intel::Rematch::All).await?;
    let report = serde_json::json!({
        "statements": added.len(),
        "findings_created": run.findings_created,
        "findings_updated": run.findings_updated,
        "findings_resolved": run.findings_resolved,
        "devices_with_open_findings": run.devices_with_open_findings,
    });
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "{} VEX statements; findings {} updated, {} resolved; {} devices need action",
            added.len(),
            run.findings_updated,
            run.findings_resolved,
            run.devices_with_open_findings
        );
    }
    Ok(ExitCode::SUCCESS)
}
