//! Ledger import (upload, dry run, report) and export (CSV, xlsx, JSON).

use super::layout;
use crate::app::ImportOutcome;
use crate::context::Ctx;
use crate::error::{WebError, WebResult};
use crate::i18n::Lang;
use crate::{policy, AppState};
use axum::extract::{Multipart, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use maud::{html, Markup};
use mdsec_store::{DeviceQuery, NewAuditEntry};
use serde::Deserialize;

fn upload_form(ctx: &Ctx) -> Markup {
    let l = ctx.lang;
    html! {
        form method="post" action="/import" enctype="multipart/form-data" #import-form {
            input type="hidden" name="_csrf" value=(ctx.csrf());
            label { (l.t("import.file")) input type="file" name="file" accept=".xlsx,.xls,.csv" required; }
            label.check { input type="checkbox" name="dry_run" value="1"; (l.t("import.dry_run")) }
            button type="submit" { (l.t("import.submit")) }
        }
        p.hint { (l.t("import.hint")) }
    }
}

pub async fn form(ctx: Ctx) -> WebResult<Html<String>> {
    if !policy::can_import(&ctx.user) {
        return Err(WebError::forbidden());
    }
    let l = ctx.lang;
    Ok(layout(
        &ctx,
        l.t("import.title"),
        html! { h1 { (l.t("import.title")) } (upload_form(&ctx)) },
    ))
}

pub fn report(l: Lang, o: &ImportOutcome) -> Markup {
    html! {
        section.report #import-report {
            h2 { (l.t("import.report")) @if o.report.dry_run { " (" (l.t("import.dry_run_done")) ")" } }
            dl.fields {
                dt { (l.t("import.file")) } dd { (o.file) " — " (o.format) @if let Some(s) = &o.sheet { " / " (s) } }
                dt { (l.t("import.header_row")) } dd { (o.header_row) }
                dt { (l.t("import.new")) } dd #import-new { (o.report.new) }
                dt { (l.t("import.updated")) } dd #import-updated { (o.report.updated) }
                dt { (l.t("import.unchanged")) } dd { (o.report.unchanged) }
                dt { (l.t("import.rejected")) } dd #import-rejected { (o.rejected.len() + o.report.duplicates.len()) }
                @if !o.unmapped_columns.is_empty() {
                    dt { (l.t("import.custom_columns")) } dd { (o.unmapped_columns.join(", ")) }
                }
            }
            @if !o.rejected.is_empty() || !o.report.duplicates.is_empty() {
                table.rejected {
                    thead { tr { th { (l.t("import.row")) } th { (l.t("import.column")) } th { (l.t("import.reason")) } } }
                    tbody {
                        @for r in &o.rejected { tr { td { (r.row) } td { (r.column.as_deref().unwrap_or("")) } td { (r.reason) } } }
                        @for r in &o.report.duplicates { tr { td { (r.row) } td {} td { (r.reason) } } }
                    }
                }
            }
        }
    }
}

pub async fn submit(
    ctx: Ctx,
    State(state): State<AppState>,
    mut multipart: Multipart,
) -> WebResult<Response> {
    if !policy::can_import(&ctx.user) {
        return Err(WebError::forbidden());
    }
    let l = ctx.lang;
    let (mut csrf, mut dry_run, mut file) = (None, false, None);
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| WebError::bad_request(e.to_string()))?
    {
        match field.name().unwrap_or("") {
            "_csrf" => csrf = field.text().await.ok(),
            "dry_run" => dry_run = true,
            "file" => {
                let name = field.file_name().unwrap_or("upload").to_string();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| WebError::bad_request(e.to_string()))?;
                file = Some((name, bytes));
            }
            _ => {}
        }
    }
    ctx.check_csrf(csrf.as_deref())?;
    let Some((name, bytes)) = file else {
        return Err(WebError::bad_request(l.t("import.no_file")));
    };
    match state
        .app
        .import_file(&ctx.actor(), &name, &bytes, dry_run)
        .await
    {
        Ok(outcome) => {
            let body =
                html! { h1 { (l.t("import.title")) } (report(l, &outcome)) (upload_form(&ctx)) };
            Ok(layout(&ctx, l.t("import.title"), body).into_response())
        }
        Err(crate::app::AppError::Format(e)) => {
            let body = html! {
                h1 { (l.t("import.title")) }
                div.errors role="alert" #import-error { p { (l.t("import.failed")) } p.mono { (e.to_string()) } }
                (upload_form(&ctx))
            };
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                layout(&ctx, l.t("import.title"), body),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct ExportParams {
    pub format: Option<String>,
}

/// Every live device the user may see, for export.
pub async fn visible_devices(state: &AppState, ctx: &Ctx) -> WebResult<Vec<mdsec_store::Device>> {
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let page = state
            .app
            .store
            .list_devices(&DeviceQuery {
                manufacturer: policy::manufacturer_scope(&ctx.user),
                limit: DeviceQuery::MAX_LIMIT,
                offset,
                ..Default::default()
            })
            .await?;
        let n = page.items.len() as i64;
        out.extend(page.items);
        offset += n;
        if n == 0 || offset >= page.total {
            break;
        }
    }
    Ok(out)
}

pub async fn export(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(p): Query<ExportParams>,
) -> WebResult<Response> {
    if !policy::can_export(&ctx.user) {
        return Err(WebError::forbidden());
    }
    // IP and MAC only where the user may see them (the same rule as the pages and the API).
    let devices: Vec<_> = visible_devices(&state, &ctx)
        .await?
        .into_iter()
        .map(|d| policy::redact_device(&ctx.user, d))
        .collect();
    let format = p.format.unwrap_or_else(|| "csv".into());
    state
        .app
        .store
        .append_audit(NewAuditEntry {
            actor: ctx.user.username.clone(),
            action: "ledger.export".into(),
            entity: "ledger".into(),
            entity_id: None,
            before: None,
            after: Some(
                serde_json::json!({"format": format, "devices": devices.len()}).to_string(),
            ),
        })
        .await?;
    let fields: Vec<_> = devices.iter().map(|d| d.fields.clone()).collect();
    let stamp = chrono::Utc::now().format("%Y%m%d");
    let (body, ctype, ext) = match format.as_str() {
        "csv" => (
            mdsec_ledger::write_csv(&fields, ctx.lang.ledger_lang()),
            "text/csv; charset=utf-8",
            "csv",
        ),
        "xlsx" => (
            mdsec_ledger::write_xlsx(&fields, ctx.lang.ledger_lang())
                .map_err(|e| WebError::bad_request(e.to_string()))?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        "json" => (
            serde_json::to_vec(&serde_json::json!({"items": devices, "total": devices.len()}))
                .unwrap_or_default(),
            "application/json",
            "json",
        ),
        _ => return Err(WebError::bad_request("format must be csv, xlsx or json")),
    };
    Ok((
        [
            (header::CONTENT_TYPE, ctype.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"mdsec-ledger-{stamp}.{ext}\""),
            ),
        ],
        body,
    )
        .into_response())
}
