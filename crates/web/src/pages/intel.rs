//! Vulnerability intelligence pages: the "act now" dashboard, findings with their lifecycle,
//! device models (SBOM components, MDS2 profile), notices, and the findings section of a device.

use super::layout;
use crate::context::Ctx;
use crate::error::{WebError, WebResult};
use crate::i18n::Lang;
use crate::{policy, AppState};
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use mdsec_store::{Device, FindingQuery, FindingRecord, FindingUpdate, FINDING_STATES};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

/// Devices listed on the "act now" page.
pub const ACT_NOW_LIMIT: i64 = 200;

/// `reason.<code>` for a priority reason code.
pub fn reason_label(l: Lang, code: &str) -> &'static str {
    match code {
        "affected" => l.t("reason.affected"),
        "undetermined" => l.t("reason.undetermined"),
        "kev_listed" => l.t("reason.kev_listed"),
        "epss" => l.t("reason.epss"),
        "cvss" => l.t("reason.cvss"),
        "cvss_unknown" => l.t("reason.cvss_unknown"),
        "network_connected" => l.t("reason.network_connected"),
        "remote_line" => l.t("reason.remote_line"),
        "internet_reachable" => l.t("reason.internet_reachable"),
        "segment" => l.t("reason.segment"),
        "criticality" => l.t("reason.criticality"),
        "device_class" => l.t("reason.device_class"),
        "past_end_of_support" => l.t("reason.past_end_of_support"),
        "no_patch_available" => l.t("reason.no_patch_available"),
        "no_sbom" => l.t("reason.no_sbom"),
        "no_mds2" => l.t("reason.no_mds2"),
        _ => "?",
    }
}

fn status_label(l: Lang, s: &str) -> &'static str {
    match s {
        "new" => l.t("status.new"),
        "triaged" => l.t("status.triaged"),
        "mitigated" => l.t("status.mitigated"),
        "accepted" => l.t("status.accepted"),
        "false_positive" => l.t("status.false_positive"),
        "closed" => l.t("status.closed"),
        _ => "?",
    }
}

fn match_label(l: Lang, s: &str) -> &'static str {
    match s {
        "affected" => l.t("match.affected"),
        "undetermined" => l.t("match.undetermined"),
        "fixed" => l.t("match.fixed"),
        "not_affected" => l.t("match.not_affected"),
        "resolved" => l.t("match.resolved"),
        _ => "?",
    }
}

fn reasons_list(l: Lang, reasons: &serde_json::Value, max: usize) -> Markup {
    let items: Vec<&serde_json::Value> = reasons
        .as_array()
        .map(|a| a.iter().take(max).collect())
        .unwrap_or_default();
    html! {
        ul.reasons {
            @for r in items {
                li {
                    (reason_label(l, r["code"].as_str().unwrap_or("")))
                    @if let Some(d) = r["detail"].as_str().filter(|d| !d.is_empty()) { " " span.mono { (d) } }
                    " " span.points { "+" (r["points"].as_f64().unwrap_or(0.0)) }
                }
            }
        }
    }
}

fn device_label(d: &Device) -> String {
    let f = &d.fields;
    format!(
        "{} {} {}",
        f.manufacturer.as_deref().unwrap_or(""),
        f.model.as_deref().unwrap_or(""),
        f.software_version.as_deref().unwrap_or("")
    )
    .trim()
    .to_string()
}

fn visible(ctx: &Ctx, d: &Device) -> bool {
    policy::can_view_device(&ctx.user, d)
}

/// `/act-now`: devices with open findings, highest priority first, with reasons and actions.
pub async fn act_now(ctx: Ctx, State(state): State<AppState>) -> WebResult<Html<String>> {
    let l = ctx.lang;
    let store = &state.app.store;
    let page = store.device_priorities(true, ACT_NOW_LIMIT, 0).await?;
    let open = store
        .list_findings(&FindingQuery {
            open_only: true,
            limit: 1_000_000,
            ..Default::default()
        })
        .await?;
    let mut by_device: HashMap<i64, Vec<&FindingRecord>> = HashMap::new();
    for f in &open.items {
        by_device.entry(f.device_id).or_default().push(f);
    }
    let mut rows = Vec::new();
    for p in &page.items {
        if let Some(d) = store.get_device(p.device_id).await? {
            if visible(&ctx, &d) {
                rows.push((p, d));
            }
        }
    }
    let kev_devices = rows
        .iter()
        .filter(|(p, _)| {
            p.reasons
                .as_array()
                .is_some_and(|a| a.iter().any(|r| r["code"] == "kev_listed"))
        })
        .count();
    let undetermined_only = rows
        .iter()
        .filter(|(p, _)| {
            by_device
                .get(&p.device_id)
                .is_some_and(|fs| fs.iter().all(|f| f.match_status == "undetermined"))
        })
        .count();
    let body = html! {
        h1 { (l.t("actnow.title")) }
        p.hint { (l.t("actnow.hint")) }
        div.cards {
            div.card #count-devices { span.big { (page.total) } span { (l.t("actnow.devices_count")) } }
            div.card #count-kev { span.big { (kev_devices) } span { (l.t("actnow.kev_count")) } }
            div.card #count-undetermined { span.big { (undetermined_only) } span { (l.t("actnow.undetermined_count")) } }
        }
        @if rows.is_empty() {
            p #act-now-empty { (l.t("actnow.none")) }
        } @else {
            table #act-now {
                thead { tr {
                    th { (l.t("actnow.rank")) } th { (l.t("actnow.score")) } th { (l.t("actnow.device")) }
                    th { (l.t("field.department")) } th { (l.t("actnow.advisories")) } th { (l.t("actnow.reasons")) } th { (l.t("actnow.action")) }
                } }
                tbody {
                    @for (i, (p, d)) in rows.iter().enumerate() {
                        @let fs = by_device.get(&d.id).map(Vec::as_slice).unwrap_or(&[]);
                        tr data-device-id=(d.id) {
                            td { (i + 1) }
                            td.score { (format!("{:.1}", p.score)) }
                            td {
                                a href={ "/devices/" (d.id) } { (d.fields.management_number.as_deref().unwrap_or("-")) " " (d.fields.name) }
                                br; span.sub { (device_label(d)) }
                            }
                            td { (d.fields.department.as_deref().unwrap_or("")) }
                            td.advisories {
                                @for f in fs {
                                    div { span.mono { (f.advisory_id) } " " span class={ "match " (f.match_status) } { (match_label(l, &f.match_status)) } }
                                }
                            }
                            td { (reasons_list(l, &p.reasons, 4)) }
                            td.action {
                                @match fs.iter().flat_map(|f| f.remediations.iter()).next() {
                                    Some(r) => { (r) }
                                    None => { (l.t("actnow.no_action_text")) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout(&ctx, l.t("actnow.title"), body))
}

#[derive(Deserialize, Default)]
pub struct FindingsParams {
    pub status: Option<String>,
    pub advisory: Option<String>,
    pub department: Option<String>,
    pub open: Option<String>,
}

/// `/findings`: every finding with filters.
pub async fn list(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(p): Query<FindingsParams>,
) -> WebResult<Html<String>> {
    let l = ctx.lang;
    let store = &state.app.store;
    let open_only = p.open.as_deref() == Some("1");
    let page = store
        .list_findings(&FindingQuery {
            status: p.status.clone().filter(|s| !s.is_empty()),
            advisory_id: p.advisory.clone().filter(|s| !s.is_empty()),
            department: p.department.clone().filter(|s| !s.is_empty()),
            manufacturer: policy::manufacturer_scope(&ctx.user),
            open_only,
            limit: 1_000,
            ..Default::default()
        })
        .await?;
    let mut devices: BTreeMap<i64, Device> = BTreeMap::new();
    for f in &page.items {
        if !devices.contains_key(&f.device_id) {
            if let Some(d) = store.get_device(f.device_id).await? {
                devices.insert(d.id, d);
            }
        }
    }
    let departments = state.app.departments().await?;
    let body = html! {
        h1 { (l.t("findings.title")) }
        p.hint { (l.t("findings.hint")) }
        form.filters method="get" action="/findings" {
            label { (l.t("findings.status"))
                select name="status" {
                    option value="" { "—" }
                    @for s in FINDING_STATES { option value=(s) selected[p.status.as_deref() == Some(*s)] { (status_label(l, s)) } }
                }
            }
            label { (l.t("field.department"))
                select name="department" {
                    option value="" { "—" }
                    @for d in departments.iter() { option value=(d) selected[p.department.as_deref() == Some(d.as_str())] { (d) } }
                }
            }
            label { (l.t("findings.advisory")) input type="text" name="advisory" value=(p.advisory.clone().unwrap_or_default()); }
            label { input type="checkbox" name="open" value="1" checked[open_only]; (l.t("findings.open_only")) }
            button type="submit" { (l.t("filter.apply")) }
        }
        p.count { (l.t("devices.count")) ": " (page.total) }
        @if policy::can_export(&ctx.user) {
            p.actions {
                a.button.secondary href="/findings/export?format=csv" { (l.t("findings.export_csv")) }
                " " a.button.secondary href="/findings/export?format=xlsx" { (l.t("findings.export_xlsx")) }
                " " a.button.secondary href="/findings/export?format=vex" { (l.t("findings.export_vex")) }
            }
        }
        @if page.items.is_empty() { p { (l.t("findings.none")) } } @else {
            table #findings-table {
                thead { tr { th { (l.t("actnow.device")) } th { (l.t("findings.advisory")) } th { (l.t("findings.match")) } th { (l.t("findings.confidence")) } th { (l.t("findings.status")) } th { (l.t("findings.owner")) } th { (l.t("findings.due")) } } }
                tbody {
                    @for f in &page.items {
                        @if let Some(d) = devices.get(&f.device_id) {
                            tr {
                                td { a href={ "/devices/" (d.id) "#findings" } { (d.fields.management_number.as_deref().unwrap_or("-")) " " (d.fields.name) } br; span.sub { (device_label(d)) } }
                                td { span.mono { (f.advisory_id) } br; span.sub { (f.advisory_title.as_deref().unwrap_or("")) } }
                                td { span class={ "match " (f.match_status) } { (match_label(l, &f.match_status)) } }
                                td { (f.confidence) }
                                td { (status_label(l, &f.status)) }
                                td { (f.owner.as_deref().unwrap_or("")) }
                                td { (f.due_date.as_deref().unwrap_or("")) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout(&ctx, l.t("findings.title"), body))
}

#[derive(Deserialize)]
pub struct ExportParams {
    pub format: Option<String>,
}

/// `/findings/export?format=csv|xlsx|vex`: every finding with its device, as a spreadsheet or as
/// a CycloneDX 1.6 VEX document. Audited.
pub async fn export(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(p): Query<ExportParams>,
) -> WebResult<Response> {
    use axum::http::header;
    use mdsec_intel::export;
    if !policy::can_export(&ctx.user) {
        return Err(WebError::forbidden());
    }
    let store = &state.app.store;
    let format = p.format.unwrap_or_else(|| "csv".into());
    let rows = export::collect_rows(store.as_ref(), None).await?;
    let lang = ctx.lang.ledger_lang();
    let (body, ctype, ext) = match format.as_str() {
        "csv" => (
            export::findings_csv(&rows, lang),
            "text/csv; charset=utf-8",
            "csv",
        ),
        "xlsx" => (
            export::findings_xlsx(&rows, lang).map_err(|e| WebError::bad_request(e.to_string()))?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        "vex" => {
            let hospital = store
                .checklist_profile()
                .await?
                .hospital_name
                .unwrap_or_else(|| "hospital".into());
            let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let doc =
                export::cyclonedx_vex(&rows, &hospital, &export::uuid_v4(rand::random()), &now);
            (
                serde_json::to_vec_pretty(&doc).unwrap_or_default(),
                "application/vnd.cyclonedx+json",
                "cdx.json",
            )
        }
        _ => return Err(WebError::bad_request("format must be csv, xlsx or vex")),
    };
    store
        .append_audit(mdsec_store::NewAuditEntry {
            actor: ctx.user.username.clone(),
            action: "findings.export".into(),
            entity: "findings".into(),
            entity_id: None,
            before: None,
            after: Some(serde_json::json!({"format": format, "findings": rows.len()}).to_string()),
        })
        .await?;
    let stamp = chrono::Utc::now().format("%Y%m%d");
    Ok((
        [
            (header::CONTENT_TYPE, ctype.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"mdsec-findings-{stamp}.{ext}\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// The findings section of a device page: priority with reasons, and each finding with its
/// remediations, evidence, VEX and lifecycle form.
pub async fn device_section(ctx: &Ctx, state: &AppState, d: &Device) -> WebResult<Markup> {
    let l = ctx.lang;
    let store = &state.app.store;
    let prio = store.device_priority(d.id).await?;
    let findings = store
        .list_findings(&FindingQuery {
            device_id: Some(d.id),
            limit: 10_000,
            ..Default::default()
        })
        .await?
        .items;
    let editable = policy::can_edit_device(&ctx.user, d);
    Ok(html! {
        section #findings {
            h2 { (l.t("findings.title")) }
            @if let Some(p) = &prio {
                p { (l.t("device.priority")) ": " strong #priority-score { (format!("{:.1}", p.score)) } }
                (reasons_list(l, &p.reasons, 20))
            }
            @if findings.is_empty() { p { (l.t("findings.none")) } }
            @for f in &findings {
                article.finding #{ "finding-" (f.id) } {
                    h3 { span.mono { (f.advisory_id) } " " (f.advisory_title.as_deref().unwrap_or("")) }
                    p {
                        span class={ "match " (f.match_status) } { (match_label(l, &f.match_status)) }
                        " · " (l.t("findings.confidence")) ": " (f.confidence)
                        " · " (l.t("findings.status")) ": " (status_label(l, &f.status))
                        @if !f.aliases.is_empty() { " · " span.mono { (f.aliases.join(", ")) } }
                    }
                    @if !f.remediations.is_empty() {
                        h4 { (l.t("findings.remediations")) }
                        ul.remediations { @for r in &f.remediations { li { (r) } } }
                    }
                    p.sub { (l.t("findings.evidence")) ": "
                        span.mono { (f.evidence["matched_identifier"].as_str().unwrap_or("")) " — " (f.evidence["range_or_status"].as_str().unwrap_or("")) }
                        @if let Some(n) = f.evidence["note"].as_str().filter(|n| !n.is_empty()) { " (" (n) ")" }
                    }
                    @if let Some(v) = &f.vex {
                        p.vex {
                            (l.t("findings.vex")) ": "
                            @if v["conflict"].as_bool() == Some(true) { strong.conflict { (l.t("findings.vex_conflict")) } " " }
                            @for s in v["statements"].as_array().into_iter().flatten() {
                                span.mono { (s["status"].as_str().unwrap_or("")) " " (s["justification"].as_str().unwrap_or("")) " (" (s["source"].as_str().unwrap_or("")) ")" } " "
                            }
                        }
                    }
                    @if editable {
                        form.lifecycle method="post" action={ "/findings/" (f.id) } {
                            input type="hidden" name="_csrf" value=(ctx.csrf());
                            label { (l.t("findings.status"))
                                select name="status" { @for s in FINDING_STATES { option value=(s) selected[f.status == *s] { (status_label(l, s)) } } }
                            }
                            label { (l.t("findings.owner")) input type="text" name="owner" value=(f.owner.clone().unwrap_or_default()); }
                            label { (l.t("findings.due")) input type="date" name="due_date" value=(f.due_date.clone().unwrap_or_default()); }
                            label { (l.t("findings.controls")) input type="text" name="compensating_controls" value=(f.compensating_controls.clone().unwrap_or_default()); }
                            label { (l.t("findings.comment")) input type="text" name="comment" value=(f.comment.clone().unwrap_or_default()); }
                            button type="submit" { (l.t("findings.save")) }
                        }
                    } @else {
                        @if let Some(o) = &f.owner { p { (l.t("findings.owner")) ": " (o) } }
                        @if let Some(c) = &f.compensating_controls { p { (l.t("findings.controls")) ": " (c) } }
                        @if let Some(c) = &f.comment { p { (l.t("findings.comment")) ": " (c) } }
                    }
                }
            }
        }
    })
}

/// `POST /findings/{id}`: lifecycle change, audited; the device's priority is recomputed.
pub async fn update(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Form(form): Form<HashMap<String, String>>,
) -> WebResult<Response> {
    ctx.check_csrf(form.get("_csrf").map(String::as_str))?;
    let store = &state.app.store;
    let f = store
        .get_finding(id)
        .await?
        .ok_or_else(WebError::not_found)?;
    let d = store
        .get_device(f.device_id)
        .await?
        .ok_or_else(WebError::not_found)?;
    if !policy::can_edit_device(&ctx.user, &d) {
        return Err(WebError::forbidden());
    }
    let status = form.get("status").cloned();
    if let Some(s) = &status {
        if !FINDING_STATES.contains(&s.as_str()) {
            return Err(WebError::bad_request(format!("unknown status {s}")));
        }
    }
    store
        .update_finding(
            &ctx.actor(),
            id,
            FindingUpdate {
                status,
                owner: form.get("owner").cloned(),
                due_date: form.get("due_date").cloned(),
                comment: form.get("comment").cloned(),
                compensating_controls: form.get("compensating_controls").cloned(),
            },
        )
        .await?;
    mdsec_intel::refresh_priorities(&**store, &ctx.actor())
        .await
        .map_err(|e| {
            WebError::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                e.to_string(),
            )
        })?;
    Ok(Redirect::to(&format!("/devices/{}#finding-{id}", d.id)).into_response())
}

/// `/models`: device models with SBOM/MDS2 counts.
/// The upload form for an SBOM or MDS2 form; `error` is shown above it after a rejected file.
fn attach_form(ctx: &Ctx, error: Option<&str>) -> Markup {
    let l = ctx.lang;
    let own = policy::manufacturer_scope(&ctx.user);
    html! {
        section #attach {
            h2 { (l.t("models.attach")) }
            @if let Some(e) = error {
                div.errors role="alert" #attach-error { p { (l.t("models.attach_failed")) } p.mono { (e) } }
            }
            form method="post" action="/models/attach" enctype="multipart/form-data" #attach-form {
                input type="hidden" name="_csrf" value=(ctx.csrf());
                label { (l.t("models.kind"))
                    select name="kind" {
                        option value="sbom" { "SBOM (CycloneDX / SPDX)" }
                        option value="mds2" { "MDS2" }
                    }
                }
                @match &own {
                    Some(m) => { label { (l.t("field.manufacturer")) input type="text" value=(m) disabled; } }
                    None => { label { (l.t("field.manufacturer")) input type="text" name="manufacturer" required; } }
                }
                label { (l.t("field.model")) input type="text" name="model" required; }
                label { (l.t("field.software_version")) input type="text" name="version" placeholder=(l.t("models.version_all")); }
                label { (l.t("models.file")) input type="file" name="file" required; }
                button type="submit" { (l.t("models.attach_submit")) }
            }
        }
    }
}

/// `POST /models/attach`: the form above; on success the model's page, on a bad file the form
/// again with the parser's message (nothing was stored).
pub async fn attach(
    ctx: Ctx,
    State(state): State<AppState>,
    mut multipart: axum::extract::Multipart,
) -> WebResult<Response> {
    if !policy::can_attach_model_files(&ctx.user) {
        return Err(WebError::forbidden());
    }
    let l = ctx.lang;
    let mut fields: HashMap<String, String> = HashMap::new();
    let mut file = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| WebError::bad_request(e.to_string()))?
    {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            let fname = field.file_name().unwrap_or("upload").to_string();
            let bytes = field
                .bytes()
                .await
                .map_err(|e| WebError::bad_request(e.to_string()))?;
            file = Some((fname, bytes));
        } else if let Ok(t) = field.text().await {
            fields.insert(name, t);
        }
    }
    ctx.check_csrf(fields.get("_csrf").map(String::as_str))?;
    let kind = fields
        .get("kind")
        .and_then(|k| mdsec_intel::attach::AttachKind::from_code(k))
        .ok_or_else(|| WebError::bad_request("kind must be sbom or mds2"))?;
    let Some((fname, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return Err(WebError::bad_request(l.t("import.no_file")));
    };
    let manufacturer = policy::manufacturer_scope(&ctx.user)
        .or_else(|| fields.get("manufacturer").cloned())
        .unwrap_or_default();
    let model = fields.get("model").cloned().unwrap_or_default();
    let result = mdsec_intel::attach::attach(
        state.app.store.as_ref(),
        &ctx.actor(),
        mdsec_intel::attach::AttachRequest {
            kind,
            manufacturer: &manufacturer,
            model: &model,
            version: fields.get("version").map(String::as_str),
            file_name: &fname,
            bytes: &bytes,
        },
    )
    .await;
    match result {
        Ok(r) => Ok(Redirect::to(&format!("/models/{}", r.device_model_id)).into_response()),
        Err(mdsec_intel::IntelError::Attach(m)) => {
            let body = html! { h1 { (l.t("models.title")) } (attach_form(&ctx, Some(&m))) };
            Ok((
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                layout(&ctx, l.t("models.title"), body),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn models(ctx: Ctx, State(state): State<AppState>) -> WebResult<Html<String>> {
    let l = ctx.lang;
    let scope = policy::manufacturer_scope(&ctx.user);
    let models: Vec<_> = state
        .app
        .store
        .list_device_models()
        .await?
        .into_iter()
        .filter(|m| scope.as_deref().is_none_or(|s| s == m.manufacturer))
        .collect();
    let body = html! {
        h1 { (l.t("models.title")) }
        p.hint { (l.t("models.hint")) }
        @if policy::can_attach_model_files(&ctx.user) { (attach_form(&ctx, None)) }
        @if models.is_empty() { p { (l.t("models.none")) } } @else {
            table #models-table {
                thead { tr { th { (l.t("field.manufacturer")) } th { (l.t("field.model")) } th { (l.t("field.software_version")) } th { (l.t("models.devices")) } th { (l.t("models.sbom")) } th { (l.t("models.mds2")) } } }
                tbody {
                    @for m in &models {
                        tr {
                            td { (m.manufacturer) }
                            td { a href={ "/models/" (m.id) } { (m.model) } }
                            td { @if m.version.is_empty() { (l.t("models.version_all")) } @else { (m.version) } }
                            td { (m.device_count) }
                            td { (m.sbom_count) }
                            td { (m.mds2_count) }
                        }
                    }
                }
            }
        }
    };
    Ok(layout(&ctx, l.t("models.title"), body))
}

/// `/models/{id}`: SBOM components, MDS2 profile, and the findings on the model's devices.
pub async fn model(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> WebResult<Html<String>> {
    let l = ctx.lang;
    let store = &state.app.store;
    let m = store
        .get_device_model(id)
        .await?
        .ok_or_else(WebError::not_found)?;
    if policy::manufacturer_scope(&ctx.user).is_some_and(|s| s != m.manufacturer) {
        return Err(WebError::not_found());
    }
    let sboms = store.model_sboms(id).await?;
    let components = store.model_components(id).await?;
    let forms = store.model_mds2(id).await?;
    let findings = store
        .list_findings(&FindingQuery {
            manufacturer: Some(m.manufacturer.clone()),
            limit: 10_000,
            ..Default::default()
        })
        .await?;
    let mut advisories: BTreeMap<String, (Option<String>, usize)> = BTreeMap::new();
    for f in &findings.items {
        if let Some(d) = store.get_device(f.device_id).await? {
            let same_model =
                d.fields.model.as_deref().map(str::to_lowercase) == Some(m.model.to_lowercase());
            let same_version = m.version.is_empty()
                || d.fields.software_version.as_deref() == Some(m.version.as_str());
            if same_model && same_version {
                let e = advisories
                    .entry(f.advisory_id.clone())
                    .or_insert((f.advisory_title.clone(), 0));
                e.1 += 1;
            }
        }
    }
    let title = format!("{} {} {}", m.manufacturer, m.model, m.version);
    let body = html! {
        h1 { (title) }
        p { (l.t("models.devices")) ": " (m.device_count) }
        h2 { (l.t("models.advisories")) }
        @if advisories.is_empty() { p { (l.t("findings.none")) } } @else {
            ul #model-advisories { @for (a, (t, n)) in &advisories { li { span.mono { (a) } " " (t.as_deref().unwrap_or("")) " (" (n) ")" } } }
        }
        h2 { (l.t("models.sbom")) }
        ul { @for s in &sboms { li { (s.file_name) " · " (s.format) " · " (s.component_count) " · " span.mono { (s.sha256.chars().take(12).collect::<String>()) } } } }
        @if !components.is_empty() {
            h3 { (l.t("models.components")) " (" (components.len()) ")" }
            table #components-table {
                thead { tr { th { "name" } th { "version" } th { "purl" } th { "cpe" } } }
                tbody { @for c in components.iter().take(2_000) { tr { td { (c.name) } td { (c.version.as_deref().unwrap_or("")) } td.mono { (c.purl.as_deref().unwrap_or("")) } td.mono { (c.cpe.as_deref().unwrap_or("")) } } } }
            }
        }
        h2 { (l.t("models.profile")) }
        @for f in &forms {
            h3 { (f.file_name) }
            pre.profile { (serde_json::to_string_pretty(&f.profile["profile"]).unwrap_or_default()) }
        }
    };
    Ok(layout(&ctx, &title, body))
}

/// `/notices`: the user's notices.
pub async fn notices(ctx: Ctx, State(state): State<AppState>) -> WebResult<Html<String>> {
    let l = ctx.lang;
    let list = state
        .app
        .store
        .list_notices(Some(&ctx.user.username), 500)
        .await?;
    let state_label = |s: &str| match s {
        "acknowledged" => l.t("notices.state.acknowledged"),
        "muted" => l.t("notices.state.muted"),
        _ => l.t("notices.state.open"),
    };
    let body = html! {
        h1 { (l.t("notices.title")) }
        @if list.is_empty() { p { (l.t("notices.none")) } }
        @for n in &list {
            article.notice #{ "notice-" (n.id) } {
                h3 { a href={ "/devices/" (n.device_id) "#findings" } { (n.subject) } }
                p { (l.t("notices.state")) ": " (state_label(&n.state)) @if let Some(a) = &n.assigned_to { " · " (l.t("notices.assign")) ": " (a) } }
                pre.notice-body { (n.body) }
                form.inline method="post" action={ "/notices/" (n.id) } {
                    input type="hidden" name="_csrf" value=(ctx.csrf());
                    input type="text" name="assigned_to" placeholder=(l.t("notices.assign")) value=(n.assigned_to.clone().unwrap_or_default());
                    button type="submit" name="state" value="acknowledged" { (l.t("notices.ack")) }
                    button type="submit" name="state" value="muted" { (l.t("notices.mute")) }
                    button type="submit" name="state" value="open" { (l.t("notices.reopen")) }
                }
            }
        }
    };
    Ok(layout(&ctx, l.t("notices.title"), body))
}

/// `POST /notices/{id}`: acknowledge, mute or assign (own notices; admins and ISSOs any).
pub async fn update_notice(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Form(form): Form<HashMap<String, String>>,
) -> WebResult<Response> {
    ctx.check_csrf(form.get("_csrf").map(String::as_str))?;
    let store = &state.app.store;
    let mine = store
        .list_notices(Some(&ctx.user.username), 10_000)
        .await?
        .iter()
        .any(|n| n.id == id);
    if !mine && !policy::can_manage_users(&ctx.user) {
        return Err(WebError::forbidden());
    }
    let st = form
        .get("state")
        .map(String::as_str)
        .unwrap_or("acknowledged");
    store
        .update_notice(
            &ctx.actor(),
            id,
            st,
            form.get("assigned_to").map(String::as_str),
        )
        .await?;
    Ok(Redirect::to(&format!("/notices#notice-{id}")).into_response())
}
