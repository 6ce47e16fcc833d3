//! The remote-maintenance lines registry (リモート保守回線) and its sessions: list and register
//! lines, import them from the ledger, request a session for a time window, approve or reject it
//! (never by the requester), log its start and end, and the emergency override. Who may do what is
//! asked of [`policy`]; the store enforces the invariants again and audits every step.

use super::layout;
use crate::app::SessionError;
use crate::context::Ctx;
use crate::error::{WebError, WebResult};
use crate::i18n::Lang;
use crate::{policy, AppState};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::{DateTime, Duration, FixedOffset, NaiveDateTime, TimeZone, Utc};
use maud::{html, Markup};
use mdsec_store::{
    ApprovalPolicy, Device, NewRemoteLine, NewRemoteSession, RemoteLineRecord, RemoteMethod,
    RemoteSessionQuery, RemoteSessionRecord, SessionStatus, Store, StoreError,
};
use serde::Deserialize;

/// Windows are entered and shown in the hospital's local time (Japan Standard Time).
pub const LOCAL_OFFSET_SECS: i32 = 9 * 3600;
/// Most devices listed with a line or offered in a request form.
pub const MAX_DEVICES_SHOWN: usize = 300;
/// Default length of a requested window.
pub const DEFAULT_WINDOW_MINUTES: i64 = 120;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/remote-lines", get(list).post(create))
        .route("/remote-lines/new", get(new_form))
        .route("/remote-lines/import", post(import))
        .route("/remote-lines/{id}", get(show).post(update))
        .route("/remote-lines/{id}/edit", get(edit_form))
        .route("/remote-lines/{id}/retire", post(retire))
        .route("/remote-lines/{id}/sessions", post(request_session))
        .route("/remote-lines/{id}/emergency", post(emergency))
        .route("/remote-sessions", get(sessions))
        .route("/remote-sessions/{id}", get(session))
        .route("/remote-sessions/{id}/decide", post(decide))
        .route("/remote-sessions/{id}/start", post(start))
        .route("/remote-sessions/{id}/end", post(end))
        .route("/remote-sessions/{id}/cancel", post(cancel))
}

fn jst() -> FixedOffset {
    FixedOffset::east_opt(LOCAL_OFFSET_SECS).expect("a constant offset within one day")
}

/// "2026-04-01 09:00" in local time, for display.
pub fn local_time(rfc3339: &str) -> String {
    DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.with_timezone(&jst()).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| rfc3339.to_string())
}

/// The value of a `datetime-local` input for a time.
fn input_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&jst()).format("%Y-%m-%dT%H:%M").to_string()
}

/// A `datetime-local` value ("2026-04-01T09:00") read as local time, as RFC 3339.
pub fn parse_local(s: &str) -> Option<String> {
    let s = s.trim();
    let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    let t = jst().from_local_datetime(&naive).single()?;
    Some(t.to_rfc3339())
}

fn method_label(l: Lang, m: RemoteMethod) -> &'static str {
    match l {
        Lang::Ja => m.label_ja(),
        Lang::En => m.label_en(),
    }
}

fn policy_label(l: Lang, p: ApprovalPolicy) -> &'static str {
    match l {
        Lang::Ja => p.label_ja(),
        Lang::En => p.label_en(),
    }
}

fn status_label(l: Lang, s: SessionStatus) -> &'static str {
    match l {
        Lang::Ja => s.label_ja(),
        Lang::En => s.label_en(),
    }
}

fn flag_key(code: &str) -> &'static str {
    match code {
        "always_on" => "remote.flag.always_on",
        "never_reviewed" => "remote.flag.never_reviewed",
        "review_overdue" => "remote.flag.review_overdue",
        "no_owner" => "remote.flag.no_owner",
        "no_endpoint" => "remote.flag.no_endpoint",
        _ => "remote.flag.other",
    }
}

fn today() -> String {
    Utc::now()
        .with_timezone(&jst())
        .format("%Y-%m-%d")
        .to_string()
}

/// A store error shown on the page it came from (refusals and conflicts are the user's to fix).
fn user_message(e: StoreError) -> Result<String, WebError> {
    match e {
        StoreError::Refused(m) | StoreError::Conflict(m) | StoreError::NotFound(m) => Ok(m),
        other => Err(other.into()),
    }
}

async fn visible_line(ctx: &Ctx, state: &AppState, id: i64) -> WebResult<RemoteLineRecord> {
    let line = state
        .app
        .store
        .get_remote_line(id)
        .await?
        .ok_or_else(WebError::not_found)?;
    if !policy::can_view_remote_line(&ctx.user, &line.vendor) {
        return Err(WebError::not_found());
    }
    Ok(line)
}

type FormPairs = Vec<(String, String)>;

fn field<'a>(form: &'a FormPairs, name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

fn ids(form: &FormPairs, name: &str) -> Vec<i64> {
    form.iter()
        .filter(|(k, _)| k == name)
        .filter_map(|(_, v)| v.trim().parse().ok())
        .collect()
}

// ---- lines ----

pub async fn list(ctx: Ctx, State(state): State<AppState>) -> WebResult<Html<String>> {
    list_page(&ctx, &state, None).await.map(|(_, h)| h)
}

async fn list_page(
    ctx: &Ctx,
    state: &AppState,
    message: Option<(bool, String)>,
) -> WebResult<(StatusCode, Html<String>)> {
    if !policy::can_view_remote_lines(&ctx.user) {
        return Err(WebError::forbidden());
    }
    let l = ctx.lang;
    let today = today();
    let lines: Vec<RemoteLineRecord> = state
        .app
        .store
        .list_remote_lines()
        .await?
        .into_iter()
        .filter(|line| policy::can_view_remote_line(&ctx.user, &line.vendor))
        .collect();
    let pending = state
        .app
        .store
        .list_remote_sessions(&RemoteSessionQuery {
            status: Some(SessionStatus::Requested),
            limit: 1,
            ..Default::default()
        })
        .await?
        .total;
    let manage = policy::can_manage_remote_lines(&ctx.user);
    let status = match &message {
        Some((false, _)) => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::OK,
    };
    let body = html! {
        div.pagehead {
            h1 { (l.t("remote.title")) }
            a.button.secondary href="/remote-sessions" #sessions-link { (l.t("remote.sessions")) " (" (l.t("remote.pending")) " " (pending) ")" }
            @if manage {
                a.button href="/remote-lines/new" #new-line { (l.t("remote.new")) }
                form.inline method="post" action="/remote-lines/import" {
                    input type="hidden" name="_csrf" value=(ctx.csrf());
                    button type="submit" #import-lines { (l.t("remote.import")) }
                }
            }
        }
        p.hint { (l.t("remote.hint")) }
        @if let Some((ok, m)) = &message {
            div class=(if *ok { "notice" } else { "errors" }) role="alert" #remote-message { (m) }
        }
        p.count { (l.t("remote.count")) ": " span #line-total { (lines.len()) } }
        table #line-table {
            thead { tr {
                th { "#" } th { (l.t("remote.vendor")) } th { (l.t("remote.method")) } th { (l.t("remote.endpoints")) }
                th { (l.t("remote.devices")) } th { (l.t("remote.owner")) } th { (l.t("remote.policy")) } th { (l.t("remote.last_review")) } th { (l.t("remote.flags")) }
            } }
            tbody {
                @for line in &lines {
                    tr class=(if line.retired { "retired" } else { "" }) {
                        td { (line.id) }
                        td.vendor { a href={ "/remote-lines/" (line.id) } { (line.vendor) } }
                        td { (method_label(l, line.method)) }
                        td.mono { (line.endpoints.join(", ")) }
                        td { (line.device_ids.len()) }
                        td { (line.hospital_owner.as_deref().unwrap_or("")) }
                        td { (policy_label(l, line.approval_policy)) }
                        td { (line.last_review.as_deref().unwrap_or("")) }
                        td {
                            @if line.retired { span.badge { (l.t("remote.retired")) } " " }
                            @for f in line.flags(&today) { span.badge.flag { (l.t(flag_key(f))) } " " }
                        }
                    }
                }
            }
        }
    };
    Ok((status, layout(ctx, l.t("remote.title"), body)))
}

fn line_form(
    ctx: &Ctx,
    action: &str,
    line: Option<&RemoteLineRecord>,
    error: Option<&str>,
) -> Markup {
    let l = ctx.lang;
    let v = |f: fn(&RemoteLineRecord) -> Option<String>| line.and_then(f).unwrap_or_default();
    html! {
        @if let Some(e) = error { div.errors role="alert" #remote-message { (e) } }
        form method="post" action=(action) #line-form {
            input type="hidden" name="_csrf" value=(ctx.csrf());
            @if let Some(line) = line { input type="hidden" name="version" value=(line.version); }
            div.grid {
                label { (l.t("remote.vendor")) input type="text" name="vendor" required value=(v(|x| Some(x.vendor.clone()))); }
                label { (l.t("remote.method")) select name="method" {
                    @for m in RemoteMethod::ALL {
                        option value=(m.code()) selected[line.map(|x| x.method) == Some(*m)] { (method_label(l, *m)) }
                    }
                } }
                label.wide { (l.t("remote.endpoints")) " " span.hint { (l.t("remote.endpoints_hint")) }
                    input type="text" name="endpoints" value=(v(|x| Some(x.endpoints.join(" ")))); }
                label.wide { (l.t("remote.device_ids")) " " span.hint { (l.t("remote.device_ids_hint")) }
                    input type="text" name="device_ids" value=(v(|x| Some(x.device_ids.iter().map(i64::to_string).collect::<Vec<_>>().join(" ")))); }
                label { (l.t("remote.vendor_contact")) input type="text" name="vendor_contact" value=(v(|x| x.vendor_contact.clone())); }
                label { (l.t("remote.owner")) input type="text" name="hospital_owner" value=(v(|x| x.hospital_owner.clone())); }
                label { (l.t("remote.contract")) input type="text" name="contract_ref" value=(v(|x| x.contract_ref.clone())); }
                label { (l.t("remote.policy")) select name="approval_policy" {
                    @for p in ApprovalPolicy::ALL {
                        option value=(p.code()) selected[line.map(|x| x.approval_policy) == Some(*p)] { (policy_label(l, *p)) }
                    }
                } }
                label { (l.t("remote.last_review")) input type="date" name="last_review" value=(v(|x| x.last_review.clone())); }
                label.wide { (l.t("remote.notes")) textarea name="notes" rows="3" { (v(|x| x.notes.clone())) } }
            }
            button type="submit" #save-line { (l.t("form.save")) }
        }
    }
}

fn line_from_form(form: &FormPairs) -> Result<NewRemoteLine, String> {
    let split = |name: &str| -> Vec<String> {
        field(form, name)
            .map(|s| {
                s.split(|c: char| c.is_whitespace() || c == ',' || c == '、')
                    .filter(|p| !p.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut device_ids = Vec::new();
    for part in split("device_ids") {
        device_ids.push(
            part.parse::<i64>()
                .map_err(|_| format!("device id {part:?} is not a number"))?,
        );
    }
    Ok(NewRemoteLine {
        vendor: field(form, "vendor").unwrap_or("").to_string(),
        method: field(form, "method").and_then(RemoteMethod::from_code),
        endpoints: split("endpoints"),
        device_ids,
        vendor_contact: field(form, "vendor_contact").map(String::from),
        hospital_owner: field(form, "hospital_owner").map(String::from),
        contract_ref: field(form, "contract_ref").map(String::from),
        approval_policy: field(form, "approval_policy").and_then(ApprovalPolicy::from_code),
        last_review: field(form, "last_review").map(String::from),
        notes: field(form, "notes").map(String::from),
    })
}

pub async fn new_form(ctx: Ctx) -> WebResult<Html<String>> {
    if !policy::can_manage_remote_lines(&ctx.user) {
        return Err(WebError::forbidden());
    }
    let l = ctx.lang;
    let body = html! { h1 { (l.t("remote.new")) } (line_form(&ctx, "/remote-lines", None, None)) };
    Ok(layout(&ctx, l.t("remote.new"), body))
}

pub async fn edit_form(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> WebResult<Html<String>> {
    if !policy::can_manage_remote_lines(&ctx.user) {
        return Err(WebError::forbidden());
    }
    let line = visible_line(&ctx, &state, id).await?;
    let l = ctx.lang;
    let body = html! {
        h1 { (l.t("remote.edit")) " #" (id) }
        (line_form(&ctx, &format!("/remote-lines/{id}"), Some(&line), None))
    };
    Ok(layout(&ctx, l.t("remote.edit"), body))
}

pub async fn create(
    ctx: Ctx,
    State(state): State<AppState>,
    Form(form): Form<FormPairs>,
) -> WebResult<Response> {
    ctx.check_csrf(field(&form, "_csrf"))?;
    if !policy::can_manage_remote_lines(&ctx.user) {
        return Err(WebError::forbidden());
    }
    let result = match line_from_form(&form) {
        Ok(line) => state
            .app
            .store
            .create_remote_line(&ctx.actor(), line)
            .await
            .map_err(user_message),
        Err(m) => Err(Ok(m)),
    };
    match result {
        Ok(line) => Ok(Redirect::to(&format!("/remote-lines/{}", line.id)).into_response()),
        Err(e) => {
            let m = e?;
            let l = ctx.lang;
            let body = html! { h1 { (l.t("remote.new")) } (line_form(&ctx, "/remote-lines", None, Some(&m))) };
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                layout(&ctx, l.t("remote.new"), body),
            )
                .into_response())
        }
    }
}

pub async fn update(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Form(form): Form<FormPairs>,
) -> WebResult<Response> {
    ctx.check_csrf(field(&form, "_csrf"))?;
    if !policy::can_manage_remote_lines(&ctx.user) {
        return Err(WebError::forbidden());
    }
    let current = visible_line(&ctx, &state, id).await?;
    let version = field(&form, "version").and_then(|v| v.parse().ok());
    let result = match line_from_form(&form) {
        Ok(line) => state
            .app
            .store
            .update_remote_line(&ctx.actor(), id, line, version)
            .await
            .map_err(user_message),
        Err(m) => Err(Ok(m)),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/remote-lines/{id}")).into_response()),
        Err(e) => {
            let m = e?;
            let l = ctx.lang;
            let body = html! {
                h1 { (l.t("remote.edit")) " #" (id) }
                (line_form(&ctx, &format!("/remote-lines/{id}"), Some(&current), Some(&m)))
            };
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                layout(&ctx, l.t("remote.edit"), body),
            )
                .into_response())
        }
    }
}

pub async fn retire(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Form(form): Form<FormPairs>,
) -> WebResult<Response> {
    ctx.check_csrf(field(&form, "_csrf"))?;
    if !policy::can_manage_remote_lines(&ctx.user) {
        return Err(WebError::forbidden());
    }
    visible_line(&ctx, &state, id).await?;
    match state.app.store.retire_remote_line(&ctx.actor(), id).await {
        Ok(_) => Ok(Redirect::to(&format!("/remote-lines/{id}")).into_response()),
        Err(e) => {
            let m = user_message(e)?;
            line_page(&ctx, &state, id, Some(m)).await
        }
    }
}

pub async fn import(
    ctx: Ctx,
    State(state): State<AppState>,
    Form(form): Form<FormPairs>,
) -> WebResult<Response> {
    ctx.check_csrf(field(&form, "_csrf"))?;
    if !policy::can_manage_remote_lines(&ctx.user) {
        return Err(WebError::forbidden());
    }
    let r = state
        .app
        .store
        .import_remote_lines_from_ledger(&ctx.actor())
        .await?;
    let l = ctx.lang;
    let msg = format!(
        "{}: {} {}, {} {}, {} {} ({} {})",
        l.t("remote.imported"),
        l.t("remote.imported_new"),
        r.created,
        l.t("remote.imported_updated"),
        r.updated,
        l.t("remote.imported_unchanged"),
        r.unchanged,
        l.t("remote.devices"),
        r.devices
    );
    let (status, page) = list_page(&ctx, &state, Some((true, msg))).await?;
    Ok((status, page).into_response())
}

pub async fn show(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    line_page(&ctx, &state, id, None).await
}

fn session_rows(l: Lang, sessions: &[RemoteSessionRecord]) -> Markup {
    html! {
        table #session-table {
            thead { tr {
                th { "#" } th { (l.t("remote.line")) } th { (l.t("remote.window")) } th { (l.t("remote.purpose")) }
                th { (l.t("remote.requested_by")) } th { (l.t("remote.status")) } th { (l.t("remote.decided_by")) }
            } }
            tbody {
                @for s in sessions {
                    tr data-status=(s.status.code()) {
                        td { a href={ "/remote-sessions/" (s.id) } { (s.id) } }
                        td { a href={ "/remote-lines/" (s.line_id) } { "#" (s.line_id) } }
                        td.mono { (local_time(&s.window_start)) " – " (local_time(&s.window_end)) }
                        td { (s.purpose) }
                        td { (s.requested_by) }
                        td { span class={ "badge session-" (s.status.code()) } { (status_label(l, s.status)) }
                             @if s.emergency { " " span.badge.flag { (l.t("remote.emergency")) } } }
                        td { (s.decided_by.as_deref().unwrap_or("")) }
                    }
                }
            }
        }
    }
}

async fn line_page(
    ctx: &Ctx,
    state: &AppState,
    id: i64,
    error: Option<String>,
) -> WebResult<Response> {
    let line = visible_line(ctx, state, id).await?;
    let l = ctx.lang;
    let store: &dyn Store = state.app.store.as_ref();
    let mut devices = Vec::new();
    for d in line.device_ids.iter().take(MAX_DEVICES_SHOWN) {
        if let Some(dev) = store.get_device(*d).await? {
            if policy::can_view_device(&ctx.user, &dev) && !dev.deleted {
                devices.push(policy::redact_device(&ctx.user, dev));
            }
        }
    }
    let sessions = store
        .list_remote_sessions(&RemoteSessionQuery {
            line_id: Some(id),
            limit: 100,
            ..Default::default()
        })
        .await?;
    let now = Utc::now();
    let start = input_time(now);
    let end = input_time(now + Duration::minutes(DEFAULT_WINDOW_MINUTES));
    let can_request = !line.retired && policy::can_request_remote_session(&ctx.user, &line.vendor);
    let can_emergency = !line.retired && policy::can_override_remote_session(&ctx.user);
    let manage = policy::can_manage_remote_lines(&ctx.user);
    let flags = line.flags(&today());
    let session_fields = |prefix: &str| {
        html! {
            div.grid {
                label { (l.t("remote.window_start")) input type="datetime-local" name="window_start" value=(start) required; }
                label { (l.t("remote.window_end")) input type="datetime-local" name="window_end" value=(end) required; }
                label.wide { (l.t("remote.purpose")) input type="text" name="purpose" required id={ (prefix) "-purpose" }; }
            }
            @if !devices.is_empty() {
                fieldset.devices {
                    legend { (l.t("remote.session_devices")) }
                    @for d in &devices {
                        label.check { input type="checkbox" name="device" value=(d.id); " " (d.fields.name) " " span.mono.small { (d.fields.management_number.as_deref().unwrap_or("")) " " (d.fields.ip.as_deref().unwrap_or("")) } }
                    }
                }
            }
        }
    };
    let body = html! {
        div.pagehead {
            h1 { (l.t("remote.line")) " #" (line.id) " " (line.vendor) }
            @if manage && !line.retired {
                a.button.secondary href={ "/remote-lines/" (id) "/edit" } #edit-line { (l.t("remote.edit")) }
                form.inline method="post" action={ "/remote-lines/" (id) "/retire" } {
                    input type="hidden" name="_csrf" value=(ctx.csrf());
                    button.danger type="submit" #retire-line { (l.t("remote.retire")) }
                }
            }
        }
        @if let Some(e) = &error { div.errors role="alert" #remote-message { (e) } }
        @if !flags.is_empty() || line.retired {
            p #line-flags {
                @if line.retired { span.badge { (l.t("remote.retired")) } " " }
                @for f in &flags { span.badge.flag { (l.t(flag_key(f))) } " " }
            }
        }
        dl.fields #line-fields {
            dt { (l.t("remote.method")) } dd { (method_label(l, line.method)) }
            dt { (l.t("remote.endpoints")) } dd.mono { (line.endpoints.join(", ")) }
            dt { (l.t("remote.vendor_contact")) } dd { (line.vendor_contact.as_deref().unwrap_or("")) }
            dt { (l.t("remote.owner")) } dd { (line.hospital_owner.as_deref().unwrap_or("")) }
            dt { (l.t("remote.contract")) } dd { (line.contract_ref.as_deref().unwrap_or("")) }
            dt { (l.t("remote.policy")) } dd { (policy_label(l, line.approval_policy)) }
            dt { (l.t("remote.last_review")) } dd { (line.last_review.as_deref().unwrap_or("")) }
            dt { (l.t("remote.notes")) } dd { (line.notes.as_deref().unwrap_or("")) }
            dt { (l.t("remote.source")) } dd { (line.source) }
        }
        h2 { (l.t("remote.devices")) " (" (line.device_ids.len()) ")" }
        ul #line-devices {
            @for d in &devices {
                li { a href={ "/devices/" (d.id) } { (d.fields.name) } " " span.mono.small { (d.fields.management_number.as_deref().unwrap_or("")) " " (d.fields.ip.as_deref().unwrap_or("")) " " (d.fields.department.as_deref().unwrap_or("")) } }
            }
        }
        @if can_request {
            h2 { (l.t("remote.request")) }
            p.hint { (l.t("remote.request_hint")) }
            form method="post" action={ "/remote-lines/" (id) "/sessions" } #request-form {
                input type="hidden" name="_csrf" value=(ctx.csrf());
                (session_fields("request"))
                button type="submit" #request-session { (l.t("remote.request_submit")) }
            }
        }
        @if can_emergency {
            details #emergency {
                summary { (l.t("remote.emergency_title")) }
                p.hint { (l.t("remote.emergency_hint")) }
                form method="post" action={ "/remote-lines/" (id) "/emergency" } #emergency-form {
                    input type="hidden" name="_csrf" value=(ctx.csrf());
                    (session_fields("emergency"))
                    label.wide { (l.t("remote.emergency_reason")) textarea name="reason" rows="2" required {} }
                    button.danger type="submit" #emergency-submit { (l.t("remote.emergency_submit")) }
                }
            }
        }
        h2 { (l.t("remote.sessions")) }
        (session_rows(l, &sessions.items))
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, layout(ctx, &line.vendor, body)).into_response())
}

fn session_from_form(line_id: i64, form: &FormPairs) -> Result<NewRemoteSession, String> {
    let time = |name: &str| -> Result<String, String> {
        let v = field(form, name).unwrap_or("");
        parse_local(v).ok_or_else(|| format!("{name} {v:?} is not a date and time"))
    };
    Ok(NewRemoteSession {
        line_id,
        window_start: time("window_start")?,
        window_end: time("window_end")?,
        purpose: field(form, "purpose").unwrap_or("").to_string(),
        device_ids: ids(form, "device"),
    })
}

pub async fn request_session(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Form(form): Form<FormPairs>,
) -> WebResult<Response> {
    ctx.check_csrf(field(&form, "_csrf"))?;
    let line = visible_line(&ctx, &state, id).await?;
    if !policy::can_request_remote_session(&ctx.user, &line.vendor) {
        return Err(WebError::forbidden());
    }
    let result = match session_from_form(id, &form) {
        Ok(s) => state
            .app
            .request_remote_session(&ctx.user, s, None)
            .await
            .map_err(|e| session_message(ctx.lang, e)),
        Err(m) => Err(Ok(m)),
    };
    match result {
        Ok(s) => Ok(Redirect::to(&format!("/remote-sessions/{}", s.id)).into_response()),
        Err(e) => line_page(&ctx, &state, id, Some(e?)).await,
    }
}

/// A refused session step shown on the page it came from, in the reader's language.
fn session_message(l: Lang, e: SessionError) -> Result<String, WebError> {
    match e {
        SessionError::Refused(r) => Ok(r.message(l)),
        SessionError::Store(e) => user_message(e),
    }
}

pub async fn emergency(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Form(form): Form<FormPairs>,
) -> WebResult<Response> {
    ctx.check_csrf(field(&form, "_csrf"))?;
    visible_line(&ctx, &state, id).await?;
    if !policy::can_override_remote_session(&ctx.user) {
        return Err(WebError::forbidden());
    }
    let reason = field(&form, "reason").unwrap_or("").to_string();
    let result = match session_from_form(id, &form) {
        Ok(s) => state
            .app
            .request_remote_session(&ctx.user, s, Some(&reason))
            .await
            .map_err(|e| session_message(ctx.lang, e)),
        Err(m) => Err(Ok(m)),
    };
    match result {
        Ok(s) => Ok(Redirect::to(&format!("/remote-sessions/{}", s.id)).into_response()),
        Err(e) => line_page(&ctx, &state, id, Some(e?)).await,
    }
}

// ---- sessions ----

#[derive(Debug, Default, Deserialize)]
pub struct SessionParams {
    pub status: Option<String>,
}

pub async fn sessions(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(p): Query<SessionParams>,
) -> WebResult<Html<String>> {
    if !policy::can_view_remote_lines(&ctx.user) {
        return Err(WebError::forbidden());
    }
    let l = ctx.lang;
    let status = p.status.as_deref().and_then(SessionStatus::from_code);
    let page = state
        .app
        .store
        .list_remote_sessions(&RemoteSessionQuery {
            status,
            limit: 500,
            ..Default::default()
        })
        .await?;
    let lines = state.app.store.list_remote_lines().await?;
    let visible: Vec<RemoteSessionRecord> = page
        .items
        .into_iter()
        .filter(|s| {
            lines
                .iter()
                .find(|line| line.id == s.line_id)
                .is_some_and(|line| policy::can_view_remote_line(&ctx.user, &line.vendor))
        })
        .collect();
    let body = html! {
        div.pagehead {
            h1 { (l.t("remote.sessions")) }
            a.button.secondary href="/remote-lines" { (l.t("remote.title")) }
        }
        form.filters method="get" action="/remote-sessions" {
            label { (l.t("remote.status")) select name="status" data-autosubmit="1" {
                option value="" { (l.t("filter.any")) }
                @for s in SessionStatus::ALL {
                    option value=(s.code()) selected[status == Some(*s)] { (status_label(l, *s)) }
                }
            } }
            button type="submit" { (l.t("filter.apply")) }
        }
        (session_rows(l, &visible))
    };
    Ok(layout(&ctx, l.t("remote.sessions"), body))
}

pub async fn session(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    session_page(&ctx, &state, id, None).await
}

async fn visible_session(
    ctx: &Ctx,
    state: &AppState,
    id: i64,
) -> WebResult<(RemoteSessionRecord, RemoteLineRecord)> {
    let s = state
        .app
        .store
        .get_remote_session(id)
        .await?
        .ok_or_else(WebError::not_found)?;
    let line = visible_line(ctx, state, s.line_id).await?;
    Ok((s, line))
}

async fn session_page(
    ctx: &Ctx,
    state: &AppState,
    id: i64,
    error: Option<String>,
) -> WebResult<Response> {
    let (s, line) = visible_session(ctx, state, id).await?;
    let l = ctx.lang;
    let store: &dyn Store = state.app.store.as_ref();
    let mut devices = Vec::new();
    for d in s.device_ids.iter().take(MAX_DEVICES_SHOWN) {
        if let Some(dev) = store.get_device(*d).await? {
            if policy::can_view_device(&ctx.user, &dev) {
                devices.push(policy::redact_device(&ctx.user, dev));
            }
        }
    }
    let u = &ctx.user;
    let requester = s.requested_by == u.username;
    let can_decide = s.status == SessionStatus::Requested
        && policy::can_approve_remote_session(u, &s.requested_by);
    // The approver sees exactly what approving opens, and approves exactly that.
    let plan = match can_decide {
        true => Some(state.app.session_plan(&s, &line).await?),
        false => None,
    };
    let rule_visible = match &s.firewall_rule {
        Some(_) => rule_visible_to(ctx, state, &s, &line).await?,
        None => false,
    };
    let can_run = policy::can_run_remote_session(u, &line.vendor, &s.requested_by);
    let can_start = s.status == SessionStatus::Approved && can_run;
    let can_end = s.status == SessionStatus::Active && can_run;
    let can_cancel = matches!(s.status, SessionStatus::Requested | SessionStatus::Approved)
        && (requester || policy::can_manage_remote_lines(u));
    let opt = |v: &Option<String>| v.as_deref().map(local_time).unwrap_or_default();
    let body = html! {
        div.pagehead {
            h1 { (l.t("remote.session")) " #" (s.id) }
            a.button.secondary href={ "/remote-lines/" (line.id) } { (l.t("remote.line")) " #" (line.id) " " (line.vendor) }
        }
        @if let Some(e) = &error { div.errors role="alert" #remote-message { (e) } }
        dl.fields #session-fields {
            dt { (l.t("remote.status")) } dd { span #session-status class={ "badge session-" (s.status.code()) } data-status=(s.status.code()) { (status_label(l, s.status)) }
                @if s.emergency { " " span.badge.flag { (l.t("remote.emergency")) } } }
            dt { (l.t("remote.window")) } dd.mono { (local_time(&s.window_start)) " – " (local_time(&s.window_end)) }
            dt { (l.t("remote.purpose")) } dd { (s.purpose) }
            dt { (l.t("remote.requested_by")) } dd #session-requester { (s.requested_by) " (" (local_time(&s.requested_at)) ")" }
            dt { (l.t("remote.decided_by")) } dd #session-decider { (s.decided_by.as_deref().unwrap_or("")) " " (opt(&s.decided_at)) }
            dt { (l.t("remote.decision_note")) } dd { (s.decision_note.as_deref().unwrap_or("")) }
            @if let Some(r) = &s.emergency_reason { dt { (l.t("remote.emergency_reason")) } dd { (r) } }
            dt { (l.t("remote.started")) } dd #session-started { (s.started_by.as_deref().unwrap_or("")) " " (opt(&s.started_at)) }
            dt { (l.t("remote.ended")) } dd #session-ended { (s.ended_by.as_deref().unwrap_or("")) " " (opt(&s.ended_at)) }
            dt { (l.t("remote.work_summary")) } dd { (s.work_summary.as_deref().unwrap_or("")) }
            dt { (l.t("remote.session_devices")) } dd #session-devices {
                @if s.device_ids.is_empty() { (l.t("remote.all_line_devices")) }
                @for d in &devices { a href={ "/devices/" (d.id) } { (d.fields.name) } " " span.mono.small { (d.fields.ip.as_deref().unwrap_or("")) } br; }
            }
        }
        @if let Some(rule) = &s.firewall_rule {
            h2 { (l.t("remote.firewall")) }
            @if rule_visible {
                p.hint { (l.t("remote.firewall_hint")) }
                pre.mono #firewall-rule { (rule) }
            } @else {
                p.hint #firewall-hidden { (l.t("remote.firewall_hidden")) }
            }
        }
        @if let Some(plan) = &plan {
            h2 { (l.t("remote.plan")) }
            p.hint { (l.t("remote.plan_hint")) }
            @if plan.devices.is_empty() {
                p #plan-devices { (l.t("remote.plan_no_devices")) }
            } @else {
                ul #plan-devices {
                    @for d in &plan.devices {
                        li data-device=(d.id) { a href={ "/devices/" (d.id) } { (d.fields.name) } " " span.mono.small { (d.fields.management_number.as_deref().unwrap_or("")) " " (d.fields.ip.as_deref().unwrap_or("")) " " (d.fields.manufacturer.as_deref().unwrap_or("")) } }
                    }
                }
            }
            @match &plan.firewall_rule {
                Some(rule) => {
                    p.hint { (l.t("remote.plan_firewall")) }
                    pre.mono #firewall-preview { (rule) }
                }
                None => { p.hint #firewall-preview-none { (l.t("remote.plan_no_firewall")) } }
            }
        }
        @if can_decide {
            h2 { (l.t("remote.decide")) }
            form method="post" action={ "/remote-sessions/" (s.id) "/decide" } #decide-form {
                input type="hidden" name="_csrf" value=(ctx.csrf());
                @if let Some(plan) = &plan { input type="hidden" name="plan" value=(plan.digest); }
                label.wide { (l.t("remote.decision_note")) input type="text" name="note"; }
                label.check { input type="checkbox" name="firewall" value="1"; " " (l.t("remote.firewall_make")) }
                button type="submit" name="decision" value="approve" #approve-session { (l.t("remote.approve")) }
                " "
                button.danger type="submit" name="decision" value="reject" #reject-session { (l.t("remote.reject")) }
            }
        } @else if s.status == SessionStatus::Requested {
            p.hint #decide-hint { (l.t(if requester { "remote.cannot_decide_own" } else { "remote.cannot_decide" })) }
        }
        @if can_start {
            form.inline method="post" action={ "/remote-sessions/" (s.id) "/start" } {
                input type="hidden" name="_csrf" value=(ctx.csrf());
                button type="submit" #start-session { (l.t("remote.start")) }
            }
        }
        @if can_end {
            form method="post" action={ "/remote-sessions/" (s.id) "/end" } #end-form {
                input type="hidden" name="_csrf" value=(ctx.csrf());
                label.wide { (l.t("remote.work_summary")) textarea name="work_summary" rows="2" {} }
                button type="submit" #end-session { (l.t("remote.end")) }
            }
        }
        @if can_cancel {
            form.inline method="post" action={ "/remote-sessions/" (s.id) "/cancel" } {
                input type="hidden" name="_csrf" value=(ctx.csrf());
                button.secondary type="submit" #cancel-session { (l.t("remote.cancel")) }
            }
        }
        @if policy::can_view_audit(u) {
            p { a href={ "/audit?entity=remote_session&entity_id=" (s.id) } #session-audit { (l.t("remote.audit_link")) } }
        }
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, layout(ctx, l.t("remote.session"), body)).into_response())
}

/// May the reader see the stored firewall rule of `s`? It carries the addresses of the session's
/// devices (naming none: the line's), so only a reader who may see every one of them does.
async fn rule_visible_to(
    ctx: &Ctx,
    state: &AppState,
    s: &RemoteSessionRecord,
    line: &RemoteLineRecord,
) -> WebResult<bool> {
    if policy::sees_all_network_detail(&ctx.user) {
        return Ok(true);
    }
    let ids = if s.device_ids.is_empty() {
        &line.device_ids
    } else {
        &s.device_ids
    };
    for id in ids.iter().take(mdsec_store::MAX_DEVICES_PER_LINE) {
        let d: Option<Device> = state.app.store.get_device(*id).await?;
        if let Some(d) = d {
            if !policy::can_view_device(&ctx.user, &d)
                || !policy::can_view_network_detail(&ctx.user, &d.fields)
            {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

pub async fn decide(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Form(form): Form<FormPairs>,
) -> WebResult<Response> {
    ctx.check_csrf(field(&form, "_csrf"))?;
    let (s, _line) = visible_session(&ctx, &state, id).await?;
    if !policy::can_approve_remote_session(&ctx.user, &s.requested_by) {
        return Err(WebError::forbidden());
    }
    let approve = match field(&form, "decision") {
        Some("approve") => true,
        Some("reject") => false,
        _ => return Err(WebError::bad_request("decision must be approve or reject")),
    };
    let result = state
        .app
        .decide_remote_session(
            &ctx.user,
            id,
            approve,
            field(&form, "note").map(String::from),
            field(&form, "firewall") == Some("1"),
            field(&form, "plan"),
        )
        .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/remote-sessions/{id}")).into_response()),
        Err(e) => session_page(&ctx, &state, id, Some(session_message(ctx.lang, e)?)).await,
    }
}

async fn transition(
    ctx: Ctx,
    state: AppState,
    id: i64,
    form: FormPairs,
    what: &str,
) -> WebResult<Response> {
    ctx.check_csrf(field(&form, "_csrf"))?;
    let (s, line) = visible_session(&ctx, &state, id).await?;
    let u = &ctx.user;
    let allowed = match what {
        "cancel" => s.requested_by == u.username || policy::can_manage_remote_lines(u),
        _ => policy::can_run_remote_session(u, &line.vendor, &s.requested_by),
    };
    if !allowed {
        return Err(WebError::forbidden());
    }
    let actor = ctx.actor();
    let store = &state.app.store;
    let result = match what {
        "start" => store.start_remote_session(&actor, id).await,
        "end" => {
            store
                .end_remote_session(&actor, id, field(&form, "work_summary"))
                .await
        }
        _ => store.cancel_remote_session(&actor, id).await,
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/remote-sessions/{id}")).into_response()),
        Err(e) => session_page(&ctx, &state, id, Some(user_message(e)?)).await,
    }
}

pub async fn start(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Form(form): Form<FormPairs>,
) -> WebResult<Response> {
    transition(ctx, state, id, form, "start").await
}

pub async fn end(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Form(form): Form<FormPairs>,
) -> WebResult<Response> {
    transition(ctx, state, id, form, "end").await
}

pub async fn cancel(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Form(form): Form<FormPairs>,
) -> WebResult<Response> {
    transition(ctx, state, id, form, "cancel").await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_round_trip_through_jst() {
        let rfc = parse_local("2026-04-01T09:30").unwrap();
        assert_eq!(rfc, "2026-04-01T09:30:00+09:00");
        assert_eq!(local_time("2026-04-01T00:30:00Z"), "2026-04-01 09:30");
        assert_eq!(parse_local("tomorrow"), None);
        assert_eq!(parse_local(""), None);
    }
}
