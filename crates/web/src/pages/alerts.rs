//! Alerts (警報) and reconciliation (台帳照合): the alert list with acknowledgement, the three-way
//! difference of what discovery saw and the ledger, and their JSON API under `/api/v1`. Who may see
//! and acknowledge is asked of [`policy`]; the store audits every acknowledgement.

use super::layout;
use crate::context::Ctx;
use crate::error::{WebError, WebResult};
use crate::i18n::Lang;
use crate::{policy, AppState};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use maud::html;
use mdsec_store::{AlertKind, AlertQuery, User};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;

/// Most rows shown per section of the reconcile page (the counts are always complete).
pub const MAX_ROWS_SHOWN: usize = 300;
/// Default days after which a ledger device counts as not seen.
pub const DEFAULT_NOT_SEEN_DAYS: i64 = 30;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/alerts", get(list))
        .route("/alerts/{id}/acknowledge", post(acknowledge))
        .route("/reconcile", get(reconcile_page))
        .route("/api/v1/alerts", get(api_list))
        .route("/api/v1/alerts/{id}", get(api_get))
        .route("/api/v1/alerts/{id}/acknowledge", post(api_acknowledge))
        .route("/api/v1/reconcile", get(api_reconcile))
}

pub fn kind_key(k: AlertKind) -> &'static str {
    match k {
        AlertKind::UnknownDevice => "alert.kind.unknown_device",
        AlertKind::ExternalConnection => "alert.kind.external_connection",
        AlertKind::CleartextPatientProtocol => "alert.kind.cleartext_patient_protocol",
        AlertKind::Smbv1 => "alert.kind.smbv1",
        AlertKind::Telnet => "alert.kind.telnet",
        AlertKind::RemoteLineOutsideWindow => "alert.kind.remote_line_outside_window",
        AlertKind::UnregisteredExternalEndpoint => "alert.kind.unregistered_external_endpoint",
        AlertKind::RemoteLineRetirement => "alert.kind.remote_line_retirement",
    }
}

fn severity_label(l: Lang, s: &str) -> &'static str {
    match s {
        "high" => l.t("alerts.severity.high"),
        "medium" => l.t("alerts.severity.medium"),
        _ => l.t("alerts.severity.low"),
    }
}

fn status_label(l: Lang, s: &str) -> &'static str {
    match s {
        "acknowledged" => l.t("alerts.status.acknowledged"),
        _ => l.t("alerts.status.open"),
    }
}

#[derive(Deserialize, Default)]
pub struct AlertParams {
    pub status: Option<String>,
    pub kind: Option<String>,
    pub device_id: Option<i64>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

impl AlertParams {
    /// The store query for `user`: a department user's alerts are always its department's.
    fn query(&self, user: &User, default_status: Option<&str>) -> Result<AlertQuery, WebError> {
        let kind = match self.kind.as_deref().filter(|k| !k.is_empty()) {
            Some(k) => Some(
                AlertKind::from_code(k)
                    .ok_or_else(|| WebError::bad_request(format!("unknown alert kind {k:?}")))?,
            ),
            None => None,
        };
        let status = match self.status.as_deref() {
            Some("all") => None,
            Some(s @ ("open" | "acknowledged")) => Some(s.to_string()),
            Some(other) => {
                return Err(WebError::bad_request(format!(
                    "unknown status {other:?} (open, acknowledged or all)"
                )))
            }
            None => default_status.map(str::to_string),
        };
        Ok(AlertQuery {
            kind,
            status,
            device_id: self.device_id,
            department: policy::alert_department(user),
            limit: self.limit.unwrap_or(500).clamp(1, 10_000),
            offset: self.offset.unwrap_or(0).max(0),
        })
    }
}

/// `/alerts`: open alerts first (or all), newest first, with acknowledgement.
pub async fn list(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(p): Query<AlertParams>,
) -> WebResult<Html<String>> {
    if !policy::can_view_alerts(&ctx.user) {
        return Err(WebError::forbidden());
    }
    let l = ctx.lang;
    let q = p.query(&ctx.user, Some("open"))?;
    if !policy::can_view_alert_detail(&ctx.user) {
        return counts_page(&ctx, &state).await;
    }
    let page = state.app.store.list_alerts(&q).await?;
    let can_ack = policy::can_acknowledge_alerts(&ctx.user);
    let showing_all = q.status.is_none();
    let body = html! {
        h1 { (l.t("alerts.title")) }
        p.filters {
            a href="/alerts" class=@if !showing_all { "active" } { (l.t("alerts.filter.open")) }
            " · "
            a href="/alerts?status=all" class=@if showing_all { "active" } { (l.t("alerts.filter.all")) }
            " · "
            a href="/reconcile" { (l.t("nav.reconcile")) }
        }
        p { (l.t("alerts.total")) ": " (page.total) }
        @if page.items.is_empty() {
            p { (l.t("alerts.none")) }
        } @else {
            table #alerts-table {
                thead { tr {
                    th { (l.t("alerts.severity")) }
                    th { (l.t("alerts.kind")) }
                    th { (l.t("alerts.address")) }
                    th { (l.t("alerts.device")) }
                    th { (l.t("alerts.message")) }
                    th { (l.t("alerts.first_seen")) }
                    th { (l.t("alerts.last_seen")) }
                    th { (l.t("alerts.count")) }
                    th { (l.t("alerts.status")) }
                } }
                tbody {
                    @for a in &page.items {
                        tr #{ "alert-" (a.id) } class={ "severity-" (a.severity) } data-kind=(a.kind.code()) {
                            td { (severity_label(l, &a.severity)) }
                            td { (l.t(kind_key(a.kind))) }
                            td { code { (a.address) } }
                            td {
                                @if let Some(d) = a.device_id {
                                    a href={ "/devices/" (d) } { "#" (d) }
                                } @else { "—" }
                            }
                            td { (a.message) }
                            td { (super::remote_lines::local_time(&a.first_seen)) }
                            td { (super::remote_lines::local_time(&a.last_seen)) }
                            td { (a.count) }
                            td {
                                (status_label(l, &a.status))
                                @if let Some(by) = &a.acknowledged_by { " (" (by) ")" }
                                @if let Some(n) = &a.note { br; small { (n) } }
                                @if can_ack && a.status == "open" {
                                    form.inline method="post" action={ "/alerts/" (a.id) "/acknowledge" } {
                                        input type="hidden" name="_csrf" value=(ctx.csrf());
                                        input type="text" name="note" placeholder=(l.t("alerts.note")) maxlength="500";
                                        button type="submit" { (l.t("alerts.ack")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout(&ctx, l.t("alerts.title"), body))
}

/// How many alerts there are, open and in all (hospital-wide), without any alert's subject.
async fn alert_counts(state: &AppState) -> WebResult<(i64, i64)> {
    let count = |status: Option<&str>| AlertQuery {
        status: status.map(String::from),
        limit: 1,
        ..Default::default()
    };
    let store = &state.app.store;
    let open = store.list_alerts(&count(Some("open"))).await?.total;
    let all = store.list_alerts(&count(None)).await?.total;
    Ok((open, all))
}

/// `/alerts` for a reader who sees counts only (executives).
async fn counts_page(ctx: &Ctx, state: &AppState) -> WebResult<Html<String>> {
    let l = ctx.lang;
    let (open, all) = alert_counts(state).await?;
    let body = html! {
        h1 { (l.t("alerts.title")) }
        p.hint #alerts-counts-only { (l.t("alerts.counts_only")) }
        table #alerts-counts { tbody {
            tr { th { (l.t("alerts.filter.open")) } td #alerts-open { (open) } }
            tr { th { (l.t("alerts.filter.all")) } td #alerts-all { (all) } }
        } }
    };
    Ok(layout(ctx, l.t("alerts.title"), body))
}

/// `POST /alerts/{id}/acknowledge`.
pub async fn acknowledge(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Form(form): Form<HashMap<String, String>>,
) -> WebResult<Response> {
    ctx.check_csrf(form.get("_csrf").map(String::as_str))?;
    if !policy::can_acknowledge_alerts(&ctx.user) {
        return Err(WebError::forbidden());
    }
    state
        .app
        .store
        .acknowledge_alert(&ctx.actor(), id, form.get("note").map(String::as_str))
        .await?;
    Ok(Redirect::to(&format!("/alerts?status=all#alert-{id}")).into_response())
}

#[derive(Deserialize, Default)]
pub struct ReconcileParams {
    pub days: Option<i64>,
}

/// The difference as `user` may see it: everything for the hospital's officers and the auditor; a
/// department user's own devices only (no unknown devices, counts of its rows); counts only for
/// executives.
async fn difference(
    state: &AppState,
    user: &User,
    days: Option<i64>,
) -> WebResult<mdsec_reconcile::ReconcileReport> {
    let store = &state.app.store;
    let ledger = store.live_devices().await?;
    let observations = store.list_observations().await?;
    let mut r = mdsec_reconcile::reconcile(
        &ledger,
        &observations,
        chrono::Utc::now(),
        days.unwrap_or(DEFAULT_NOT_SEEN_DAYS).clamp(0, 3650),
    );
    if policy::sees_all_network_detail(user) {
        return Ok(r);
    }
    r.updates.clear();
    r.unknown.clear();
    if !policy::can_view_alert_detail(user) {
        r.matched.clear();
        r.not_seen.clear();
        return Ok(r);
    }
    let keep =
        |dep: &Option<String>| policy::can_view_network_detail_of(user, dep.as_deref(), None);
    r.matched.retain(|m| keep(&m.department));
    r.not_seen.retain(|n| keep(&n.department));
    r.summary.observed = r.matched.len();
    r.summary.matched = r.matched.len();
    r.summary.conflicts = r.with_conflicts().count();
    r.summary.unknown = 0;
    r.summary.not_seen = r.not_seen.len();
    Ok(r)
}

/// `/reconcile`: the three-way difference of what was seen and the ledger.
pub async fn reconcile_page(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(p): Query<ReconcileParams>,
) -> WebResult<Html<String>> {
    if !policy::can_view_alerts(&ctx.user) {
        return Err(WebError::forbidden());
    }
    let l = ctx.lang;
    let r = difference(&state, &ctx.user, p.days).await?;
    let detail = policy::can_view_alert_detail(&ctx.user);
    let s = &r.summary;
    let conflicts: Vec<_> = r.with_conflicts().collect();
    let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
    let body = html! {
        h1 { (l.t("reconcile.title")) }
        p { (l.t("reconcile.intro")) }
        form.inline method="get" action="/reconcile" {
            label { (l.t("reconcile.days")) " "
                input type="number" name="days" min="0" max="3650" value=(r.not_seen_days);
            }
            button type="submit" { (l.t("reconcile.show")) }
        }
        table #reconcile-summary {
            tbody {
                tr { th { (l.t("reconcile.observed")) } td { (s.observed) } }
                tr { th { (l.t("reconcile.matched")) } td { (s.matched) } }
                tr { th { (l.t("reconcile.conflicts")) } td { (s.conflicts) } }
                tr { th { (l.t("reconcile.unknown")) } td { (s.unknown) } }
                tr { th { (l.t("reconcile.not_seen")) } td { (s.not_seen) } }
            }
        }
        p.hint { (l.t("reconcile.apply_hint")) }
        @if !detail {
            p.hint #reconcile-counts-only { (l.t("alerts.counts_only")) }
        } @else {

        h2 #unknown { (l.t("reconcile.unknown")) " (" (s.unknown) ")" }
        @if r.unknown.is_empty() { p { (l.t("reconcile.none")) } } @else {
            table #reconcile-unknown {
                thead { tr {
                    th { (l.field("ip")) } th { (l.field("mac")) } th { (l.t("reconcile.hostname")) }
                    th { (l.field("manufacturer")) } th { (l.field("model")) }
                    th { (l.t("reconcile.protocols")) } th { (l.t("reconcile.last_seen")) }
                } }
                tbody { @for u in r.unknown.iter().take(MAX_ROWS_SHOWN) { tr {
                    td { (dash(&u.ip)) } td { (dash(&u.mac)) } td { (dash(&u.hostname)) }
                    td { (dash(&u.manufacturer)) } td { (dash(&u.model)) }
                    td { (u.protocols.join(", ")) }
                    td { (super::remote_lines::local_time(&u.last_seen)) }
                } } }
            }
        }

        h2 #conflicts { (l.t("reconcile.conflicts")) " (" (s.conflicts) ")" }
        @if conflicts.is_empty() { p { (l.t("reconcile.none")) } } @else {
            table #reconcile-conflicts {
                thead { tr {
                    th { (l.field("management_number")) } th { (l.field("name")) }
                    th { (l.t("reconcile.field")) } th { (l.t("reconcile.ledger_value")) }
                    th { (l.t("reconcile.observed_value")) } th { (l.t("reconcile.matched_by")) }
                } }
                tbody { @for m in conflicts.iter().take(MAX_ROWS_SHOWN) { @for c in &m.conflicts { tr {
                    td { a href={ "/devices/" (m.device_id) } { (dash(&m.management_number)) } }
                    td { (m.name) }
                    td { (l.field(&c.field)) }
                    td { code { (c.ledger) } }
                    td { code { (c.observed) } }
                    td { (m.matched_by) }
                } } } }
            }
        }

        h2 #not-seen { (l.t("reconcile.not_seen")) " (" (s.not_seen) ")" }
        @if r.not_seen.is_empty() { p { (l.t("reconcile.none")) } } @else {
            table #reconcile-not-seen {
                thead { tr {
                    th { (l.field("management_number")) } th { (l.field("name")) }
                    th { (l.field("department")) } th { (l.field("ip")) } th { (l.field("mac")) }
                    th { (l.t("reconcile.last_seen")) }
                } }
                tbody { @for n in r.not_seen.iter().take(MAX_ROWS_SHOWN) { tr {
                    td { a href={ "/devices/" (n.device_id) } { (dash(&n.management_number)) } }
                    td { (n.name) } td { (dash(&n.department)) }
                    td { (dash(&n.ip)) } td { (dash(&n.mac)) }
                    td { @match &n.last_seen {
                        Some(t) => (super::remote_lines::local_time(t)),
                        None => (l.t("reconcile.never")),
                    } }
                } } }
            }
            @if r.not_seen.len() > MAX_ROWS_SHOWN { p.hint { (l.t("reconcile.truncated")) } }
        }

        h2 #matched { (l.t("reconcile.matched")) " (" (s.matched) ")" }
        @if r.matched.is_empty() { p { (l.t("reconcile.none")) } } @else {
            table #reconcile-matched {
                thead { tr {
                    th { (l.field("management_number")) } th { (l.field("name")) }
                    th { (l.field("department")) } th { (l.t("reconcile.matched_by")) }
                    th { (l.field("ip")) } th { (l.field("mac")) } th { (l.t("reconcile.last_seen")) }
                } }
                tbody { @for m in r.matched.iter().take(MAX_ROWS_SHOWN) { tr {
                    td { a href={ "/devices/" (m.device_id) } { (dash(&m.management_number)) } }
                    td { (m.name) } td { (dash(&m.department)) } td { (m.matched_by) }
                    td { (dash(&m.observed_ip)) } td { (dash(&m.observed_mac)) }
                    td { (super::remote_lines::local_time(&m.last_seen)) }
                } } }
            }
            @if r.matched.len() > MAX_ROWS_SHOWN { p.hint { (l.t("reconcile.truncated")) } }
        }
        }
    };
    Ok(layout(&ctx, l.t("reconcile.title"), body))
}

fn api<T>(r: Result<T, WebError>) -> Result<T, WebError> {
    r.map_err(WebError::json)
}

async fn api_list(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(p): Query<AlertParams>,
) -> WebResult<Json<Value>> {
    if !policy::can_view_alerts(&ctx.user) {
        return Err(WebError::forbidden().json());
    }
    let q = api(p.query(&ctx.user, None))?;
    if !policy::can_view_alert_detail(&ctx.user) {
        // Counts only: the number of alerts that match, none of them.
        let total = api(state
            .app
            .store
            .list_alerts(&AlertQuery {
                limit: 1,
                ..q.clone()
            })
            .await
            .map_err(WebError::from))?
        .total;
        return Ok(Json(
            json!({"items": [], "total": total, "limit": q.limit, "offset": q.offset, "counts_only": true}),
        ));
    }
    let page = api(state
        .app
        .store
        .list_alerts(&q)
        .await
        .map_err(WebError::from))?;
    Ok(Json(
        json!({"items": page.items, "total": page.total, "limit": q.limit, "offset": q.offset}),
    ))
}

async fn api_get(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> WebResult<Json<Value>> {
    if !policy::can_view_alert_detail(&ctx.user) {
        return Err(WebError::forbidden().json());
    }
    let store = &state.app.store;
    let a = api(store.get_alert(id).await.map_err(WebError::from))?
        .ok_or_else(|| WebError::not_found().json())?;
    let device = match a.device_id {
        Some(d) => api(store.get_device(d).await.map_err(WebError::from))?,
        None => None,
    };
    // An alert the reader may not see is answered like one that does not exist.
    if !policy::can_view_alert(&ctx.user, device.as_ref().map(|d| &d.fields)) {
        return Err(WebError::not_found().json());
    }
    Ok(Json(json!(a)))
}

#[derive(Deserialize, Default)]
struct AckBody {
    note: Option<String>,
}

async fn api_acknowledge(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> WebResult<Json<Value>> {
    api(ctx.check_csrf(headers.get("x-csrf-token").and_then(|v| v.to_str().ok())))?;
    if !policy::can_acknowledge_alerts(&ctx.user) {
        return Err(WebError::forbidden().json());
    }
    let b: AckBody = if body.is_empty() {
        AckBody::default()
    } else {
        api(serde_json::from_slice(&body)
            .map_err(|e| WebError::bad_request(format!("invalid JSON: {e}"))))?
    };
    let a = api(state
        .app
        .store
        .acknowledge_alert(&ctx.actor(), id, b.note.as_deref())
        .await
        .map_err(WebError::from))?;
    Ok(Json(json!(a)))
}

async fn api_reconcile(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(p): Query<ReconcileParams>,
) -> WebResult<Json<Value>> {
    if !policy::can_view_alerts(&ctx.user) {
        return Err(WebError::forbidden().json());
    }
    let r = api(difference(&state, &ctx.user, p.days).await)?;
    Ok(Json(json!(r)))
}
