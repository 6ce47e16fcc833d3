//! Audit log, users, manufacturer aliases and the user's own account (TOTP).

use super::{layout, role_key};
use crate::auth;
use crate::context::Ctx;
use crate::error::{WebError, WebResult};
use crate::{policy, AppState};
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use maud::html;
use mdsec_store::{AuditQuery, Role};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize, Default)]
pub struct AuditParams {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub page: Option<i64>,
}

pub const AUDIT_PAGE: i64 = 100;

pub async fn audit(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(p): Query<AuditParams>,
) -> WebResult<Html<String>> {
    if !policy::can_view_audit(&ctx.user) {
        return Err(WebError::forbidden());
    }
    let l = ctx.lang;
    let page_no = p.page.unwrap_or(1).max(1);
    let page = state
        .app
        .store
        .list_audit(&AuditQuery {
            entity: p.entity.clone().filter(|s| !s.is_empty()),
            entity_id: p.entity_id.clone().filter(|s| !s.is_empty()),
            limit: AUDIT_PAGE,
            offset: (page_no - 1) * AUDIT_PAGE,
        })
        .await?;
    let body = html! {
        h1 { (l.t("audit.title")) }
        p.hint { (l.t("audit.hint")) }
        form.filters method="get" action="/audit" {
            label { (l.t("audit.entity")) input type="text" name="entity" value=(p.entity.clone().unwrap_or_default()); }
            label { (l.t("audit.entity_id")) input type="text" name="entity_id" value=(p.entity_id.clone().unwrap_or_default()); }
            button type="submit" { (l.t("filter.apply")) }
        }
        p.count { (l.t("devices.count")) ": " (page.total) }
        table.audit #audit-table {
            thead { tr { th { "#" } th { (l.t("history.at")) } th { (l.t("history.actor")) } th { (l.t("audit.action")) } th { (l.t("audit.entity")) } th { (l.t("audit.detail")) } th { (l.t("audit.hash")) } } }
            tbody {
                @for e in &page.items {
                    tr {
                        td { (e.seq) }
                        td.mono { (e.at) }
                        td { (e.actor) }
                        td.mono { (e.action) }
                        td { (e.entity) @if let Some(id) = &e.entity_id { " " a href={ "/audit?entity=" (e.entity) "&entity_id=" (id) } { (id) } } }
                        td.detail { details { summary { (l.t("audit.show")) }
                            @if let Some(b) = &e.before { p { strong { (l.t("audit.before")) } " " code { (b) } } }
                            @if let Some(a) = &e.after { p { strong { (l.t("audit.after")) } " " code { (a) } } }
                        } }
                        td.mono.hash title=(e.hash) { (&e.hash[..12.min(e.hash.len())]) }
                    }
                }
            }
        }
        nav.pager {
            @if page_no > 1 { a href={ "/audit?page=" (page_no - 1) } { (l.t("pager.prev")) } }
            @if page_no * AUDIT_PAGE < page.total { a href={ "/audit?page=" (page_no + 1) } { (l.t("pager.next")) } }
        }
    };
    Ok(layout(&ctx, l.t("audit.title"), body))
}

pub async fn users(ctx: Ctx, State(state): State<AppState>) -> WebResult<Html<String>> {
    users_page(&ctx, &state, None).await
}

async fn users_page(
    ctx: &Ctx,
    state: &AppState,
    message: Option<String>,
) -> WebResult<Html<String>> {
    if !policy::can_manage_users(&ctx.user) {
        return Err(WebError::forbidden());
    }
    let l = ctx.lang;
    let users = state.app.store.list_users().await?;
    let delayed = state.throttle.delayed_accounts(std::time::Instant::now());
    let body = html! {
        h1 { (l.t("users.title")) }
        @if let Some(m) = message { div.errors role="alert" { (m) } }
        section #delayed-accounts {
            h2 { (l.t("users.delayed")) }
            @if delayed.is_empty() { p { (l.t("users.delayed_none")) } } @else {
                table {
                    thead { tr { th { (l.t("login.username")) } th { (l.t("users.failures")) } th { (l.t("users.wait")) } th {} } }
                    tbody { @for (name, failures, wait) in &delayed { tr {
                        td { (name) } td { (failures) } td { (wait.as_secs().max(1)) " s" }
                        td { form method="post" action="/users/clear-delay" {
                            input type="hidden" name="_csrf" value=(ctx.csrf());
                            input type="hidden" name="username" value=(name);
                            button type="submit" { (l.t("users.clear_delay")) }
                        } }
                    } } }
                }
            }
        }
        table #users-table {
            thead { tr { th { (l.t("login.username")) } th { (l.t("users.display_name")) } th { (l.t("users.role")) } th { (l.field("department")) } th { (l.field("manufacturer")) } th { "TOTP" } } }
            tbody { @for u in &users { tr {
                td { (u.username) } td { (u.display_name) } td { (l.t(role_key(u.role))) }
                td { (u.department.as_deref().unwrap_or("")) } td { (u.manufacturer.as_deref().unwrap_or("")) }
                td { @if u.totp_secret.is_some() { "✓" } }
            } } }
        }
        h2 { (l.t("users.add")) }
        form method="post" action="/users" #user-form {
            input type="hidden" name="_csrf" value=(ctx.csrf());
            div.grid {
                label { (l.t("login.username")) input type="text" name="username" required; }
                label { (l.t("users.display_name")) input type="text" name="display_name"; }
                label { (l.t("login.password")) input type="password" name="password" required minlength=(auth::MIN_PASSWORD_LEN) autocomplete="new-password"; }
                label { (l.t("users.role")) select name="role" { @for r in Role::ALL { option value=(r.code()) { (l.t(role_key(*r))) } } } }
                label { (l.field("department")) input type="text" name="department"; }
                label { (l.field("manufacturer")) input type="text" name="manufacturer"; }
            }
            button type="submit" { (l.t("form.save")) }
        }
    };
    Ok(layout(ctx, l.t("users.title"), body))
}

/// A user-administration form: from this session (CSRF) and by someone who may manage users.
fn user_admin_form(ctx: &Ctx, form: &BTreeMap<String, String>) -> WebResult<()> {
    ctx.check_csrf(form.get("_csrf").map(String::as_str))?;
    if !policy::can_manage_users(&ctx.user) {
        return Err(WebError::forbidden());
    }
    Ok(())
}

/// A form field, trimmed; `None` when absent or blank.
fn field(form: &BTreeMap<String, String>, key: &str) -> Option<String> {
    form.get(key)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// An administrator lifts the sign-in wait of an account (audited with the administrator's name).
pub async fn clear_delay(
    ctx: Ctx,
    State(state): State<AppState>,
    Form(form): Form<BTreeMap<String, String>>,
) -> WebResult<Response> {
    user_admin_form(&ctx, &form)?;
    let name = field(&form, "username")
        .ok_or_else(|| WebError::bad_request(ctx.lang.t("login.username")))?;
    let cleared = state.throttle.clear_account(&name);
    state
        .app
        .store
        .append_audit(mdsec_store::NewAuditEntry {
            actor: ctx.user.username.clone(),
            action: "user.login_delay_cleared".into(),
            entity: "user".into(),
            entity_id: Some(name.chars().take(64).collect()),
            before: None,
            after: Some(serde_json::json!({"had_delay": cleared}).to_string()),
        })
        .await?;
    Ok(users_page(
        &ctx,
        &state,
        Some(ctx.lang.t("users.delay_cleared").to_string()),
    )
    .await?
    .into_response())
}

pub async fn create_user(
    ctx: Ctx,
    State(state): State<AppState>,
    Form(form): Form<BTreeMap<String, String>>,
) -> WebResult<Response> {
    user_admin_form(&ctx, &form)?;
    let get = |k: &str| field(&form, k);
    let role = get("role")
        .and_then(|r| Role::from_code(&r))
        .ok_or_else(|| WebError::bad_request("role"))?;
    let result = state
        .app
        .create_user(
            &get("username").unwrap_or_default(),
            &get("display_name").unwrap_or_default(),
            form.get("password").map(String::as_str).unwrap_or(""),
            role,
            get("department"),
            get("manufacturer"),
        )
        .await;
    match result {
        Ok(_) => Ok(Redirect::to("/users").into_response()),
        Err(e) => Ok(users_page(&ctx, &state, Some(e.to_string()))
            .await?
            .into_response()),
    }
}

pub async fn aliases(ctx: Ctx, State(state): State<AppState>) -> WebResult<Html<String>> {
    if !policy::can_manage_aliases(&ctx.user) {
        return Err(WebError::forbidden());
    }
    let l = ctx.lang;
    let own = state.app.store.manufacturer_aliases().await?;
    let body = html! {
        h1 { (l.t("aliases.title")) }
        p.hint { (l.t("aliases.hint")) }
        table { thead { tr { th { (l.t("aliases.alias")) } th { (l.t("aliases.canonical")) } } }
            tbody { @for (a, c) in &own { tr { td { (a) } td { (c) } } } } }
        form method="post" action="/manufacturers" {
            input type="hidden" name="_csrf" value=(ctx.csrf());
            label { (l.t("aliases.alias")) input type="text" name="alias" required; }
            label { (l.t("aliases.canonical")) input type="text" name="canonical" required; }
            button type="submit" { (l.t("form.save")) }
        }
    };
    Ok(layout(&ctx, l.t("aliases.title"), body))
}

pub async fn add_alias(
    ctx: Ctx,
    State(state): State<AppState>,
    Form(form): Form<BTreeMap<String, String>>,
) -> WebResult<Response> {
    ctx.check_csrf(form.get("_csrf").map(String::as_str))?;
    if !policy::can_manage_aliases(&ctx.user) {
        return Err(WebError::forbidden());
    }
    let alias = form.get("alias").cloned().unwrap_or_default();
    let canonical = form.get("canonical").cloned().unwrap_or_default();
    state
        .app
        .add_alias(&ctx.actor(), &alias, &canonical)
        .await?;
    Ok(Redirect::to("/manufacturers").into_response())
}

pub async fn account(ctx: Ctx) -> WebResult<Html<String>> {
    let l = ctx.lang;
    let secret = auth::new_totp_secret();
    let body = html! {
        h1 { (l.t("account.title")) }
        dl.fields {
            dt { (l.t("login.username")) } dd { (ctx.user.username) }
            dt { (l.t("users.role")) } dd { (l.t(role_key(ctx.user.role))) }
        }
        h2 { (l.t("account.totp")) }
        @if ctx.user.totp_secret.is_some() {
            p { (l.t("account.totp_on")) }
        } @else {
            p { (l.t("account.totp_setup")) }
            p.mono #totp-secret { (secret) }
            p.mono.small { (auth::totp_uri(&secret, &ctx.user.username)) }
            form method="post" action="/account/totp" {
                input type="hidden" name="_csrf" value=(ctx.csrf());
                input type="hidden" name="secret" value=(secret);
                label { (l.t("totp.code")) input type="text" name="code" inputmode="numeric" pattern="[0-9]{6}" required; }
                button type="submit" { (l.t("account.totp_enable")) }
            }
        }
    };
    Ok(layout(&ctx, l.t("account.title"), body))
}

pub async fn enable_totp(
    ctx: Ctx,
    State(state): State<AppState>,
    Form(form): Form<BTreeMap<String, String>>,
) -> WebResult<Response> {
    ctx.check_csrf(form.get("_csrf").map(String::as_str))?;
    let secret = form.get("secret").cloned().unwrap_or_default();
    let code = form.get("code").cloned().unwrap_or_default();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    if auth::base32_decode(&secret).is_none_or(|s| s.len() < 16)
        || !auth::verify_totp(&secret, &code, now)
    {
        return Err(WebError::bad_request(ctx.lang.t("totp.failed")));
    }
    state
        .app
        .store
        .set_totp(&ctx.actor(), ctx.user.id, Some(&secret))
        .await?;
    // Cached identities still carry the old (absent) second factor.
    state.auth_cache.clear();
    if let Some(s) = &ctx.session {
        state.app.store.mark_session_verified(&s.id_hash).await?;
    }
    Ok(Redirect::to("/account").into_response())
}
