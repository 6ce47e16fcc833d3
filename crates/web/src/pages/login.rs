//! Login (password, then TOTP when the user has one) and logout.

use super::bare_layout;
use crate::auth::{self, sha256_hex};
use crate::context::{
    cookie, now_rfc3339, set_cookie, Ctx, LangPref, LOGIN_CSRF_COOKIE, SESSION_COOKIE,
};
use crate::error::{WebError, WebResult};
use crate::i18n::Lang;
use crate::throttle::Verdict;
use crate::AppState;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, request::Parts, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use maud::html;
use mdsec_store::{NewAuditEntry, Session};
use serde::Deserialize;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

#[derive(Deserialize, Default)]
pub struct NextParam {
    pub next: Option<String>,
}

/// Where to go after signing in: the requested path on this server, home when the request named
/// anything else, the ledger when it named nothing.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if crate::context::is_local_path(n) => n.to_string(),
        Some(_) => "/".into(),
        None => "/devices".into(),
    }
}

fn login_page(lang: Lang, csrf: &str, next: &str, error: Option<&str>) -> Html<String> {
    bare_layout(
        lang,
        lang.t("login.title"),
        html! {
            h1 { "mdsec" }
            p.lead { (lang.t("login.lead")) }
            @if let Some(e) = error { p.error role="alert" #login-error { (e) } }
            form method="post" action="/login" #login-form {
                input type="hidden" name="_csrf" value=(csrf);
                input type="hidden" name="next" value=(next);
                label { (lang.t("login.username")) input type="text" name="username" autocomplete="username" required autofocus; }
                label { (lang.t("login.password")) input type="password" name="password" autocomplete="current-password" required; }
                button type="submit" { (lang.t("login.submit")) }
            }
            p.switch { a href={ "/lang/" (lang.other().code()) "?next=/login" } { (lang.t("nav.switch_lang")) } }
        },
    )
}

/// The login form. A fresh random value is set as a cookie and echoed in the form (double submit), so
/// a foreign site cannot log a victim into an attacker's account.
pub async fn form(
    State(state): State<AppState>,
    LangPref(lang): LangPref,
    Query(q): Query<NextParam>,
) -> Response {
    let csrf = auth::random_token(24);
    let mut res = login_page(lang, &csrf, &safe_next(q.next.as_deref()), None).into_response();
    if let Ok(v) = set_cookie(LOGIN_CSRF_COOKIE, &csrf, 3600, state.config.secure_cookies).parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

#[derive(Deserialize)]
pub struct LoginForm {
    pub username: String,
    pub password: String,
    #[serde(rename = "_csrf")]
    pub csrf: String,
    pub next: Option<String>,
}

/// The client's address. The socket's peer address, unless that peer is one of the configured
/// reverse proxies (`--trusted-proxy`): then the right-most `X-Forwarded-For` entry that is not itself
/// a trusted proxy. A forwarded-for header from anyone else is client-controlled and ignored, or an
/// attacker could dodge the per-address budget.
pub struct ClientIp(pub IpAddr);

/// The client address given the socket peer, the `X-Forwarded-For` values and the trusted proxies.
pub fn client_address(peer: IpAddr, forwarded: &[&str], trusted: &[ipnet::IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<IpAddr> = forwarded
        .iter()
        .flat_map(|v| v.split(','))
        .filter_map(|h| h.trim().parse().ok())
        .collect();
    hops.into_iter()
        .rev()
        .find(|ip| !is_trusted(ip))
        .unwrap_or(peer)
}

impl axum::extract::FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let forwarded: Vec<&str> = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        Ok(ClientIp(client_address(
            peer,
            &forwarded,
            &state.config.trusted_proxies,
        )))
    }
}

/// 429 with the page and how long to wait (Retry-After, whole seconds, at least 1).
fn too_many(page: Html<String>, wait: std::time::Duration) -> Response {
    let mut res = (StatusCode::TOO_MANY_REQUESTS, page).into_response();
    if let Ok(v) = wait.as_secs().max(1).to_string().parse() {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

/// Hold or refuse an attempt as the throttle says. `Some(wait)` means refuse now.
async fn throttle(state: &AppState, ip: IpAddr, username: &str) -> Option<std::time::Duration> {
    match state
        .throttle
        .check(ip, username, std::time::Instant::now())
    {
        Verdict::Go => None,
        Verdict::Slow(d) => {
            tokio::time::sleep(d).await;
            None
        }
        Verdict::Wait(d) => Some(d),
    }
}

async fn start_session(state: &AppState, user_id: i64, verified: bool) -> Result<String, WebError> {
    let value = auth::random_token(32);
    let now = chrono::Utc::now();
    let session = Session {
        id_hash: sha256_hex(&value),
        user_id,
        csrf_token: auth::random_token(24),
        created_at: now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        expires_at: (now + chrono::Duration::hours(state.config.session_hours))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        verified,
    };
    state.app.store.create_session(&session).await?;
    let _ = state
        .app
        .store
        .delete_expired_sessions(&now_rfc3339())
        .await;
    Ok(set_cookie(
        SESSION_COOKIE,
        &value,
        state.config.session_hours * 3600,
        state.config.secure_cookies,
    ))
}

pub async fn submit(
    State(state): State<AppState>,
    LangPref(lang): LangPref,
    ClientIp(ip): ClientIp,
    parts_cookie: CookieJar,
    Form(f): Form<LoginForm>,
) -> WebResult<Response> {
    let next = safe_next(f.next.as_deref());
    let expected = parts_cookie.0.unwrap_or_default();
    if expected.is_empty() || expected != f.csrf {
        return Err(WebError::csrf());
    }
    let store = &state.app.store;
    if let Some(wait) = throttle(&state, ip, &f.username).await {
        let page = login_page(lang, &f.csrf, &next, Some(lang.t("login.too_many")));
        return Ok(too_many(page, wait));
    }
    let user = store.get_user_by_name(f.username.trim()).await?;
    let ok = match &user {
        Some(u) if !u.disabled => {
            let hash = u.password_hash.clone();
            let password = f.password.clone();
            tokio::task::spawn_blocking(move || auth::verify_password(&password, &hash))
                .await
                .unwrap_or(false)
        }
        _ => {
            let password = f.password.clone();
            let _ = tokio::task::spawn_blocking(move || auth::dummy_verify(&password)).await;
            false
        }
    };
    let Some(user) = user.filter(|_| ok) else {
        state
            .throttle
            .failed(ip, &f.username, std::time::Instant::now());
        let _ = store
            .append_audit(NewAuditEntry {
                actor: f.username.chars().take(64).collect(),
                action: "user.login_failed".into(),
                entity: "session".into(),
                entity_id: None,
                before: None,
                after: Some(serde_json::json!({"address": ip.to_string()}).to_string()),
            })
            .await;
        let page = login_page(lang, &f.csrf, &next, Some(lang.t("login.failed")));
        return Ok((StatusCode::UNAUTHORIZED, page).into_response());
    };
    state.throttle.succeeded(&f.username);
    let needs_totp = user.totp_secret.is_some();
    let cookie = start_session(&state, user.id, !needs_totp).await?;
    store
        .append_audit(NewAuditEntry {
            actor: user.username.clone(),
            action: "user.login".into(),
            entity: "session".into(),
            entity_id: Some(user.id.to_string()),
            before: None,
            after: Some(
                serde_json::json!({"address": ip.to_string(), "second_factor_pending": needs_totp})
                    .to_string(),
            ),
        })
        .await?;
    let target = if needs_totp {
        format!("/login/totp?next={}", crate::context::urlencode(&next))
    } else {
        next
    };
    let mut res = Redirect::to(&target).into_response();
    if let Ok(v) = cookie.parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    if let Ok(v) = set_cookie(LOGIN_CSRF_COOKIE, "", 0, state.config.secure_cookies).parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// The login CSRF cookie, extracted without requiring a session.
pub struct CookieJar(pub Option<String>);

impl axum::extract::FromRequestParts<AppState> for CookieJar {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        Ok(CookieJar(cookie(parts, LOGIN_CSRF_COOKIE)))
    }
}

/// The session cookie without the checks of [`Ctx`] (the second factor is still pending here).
pub struct PendingSession(pub Option<String>);

impl axum::extract::FromRequestParts<AppState> for PendingSession {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        Ok(PendingSession(cookie(parts, SESSION_COOKIE)))
    }
}

pub async fn totp_form(
    State(state): State<AppState>,
    LangPref(lang): LangPref,
    PendingSession(cookie): PendingSession,
    Query(q): Query<NextParam>,
) -> WebResult<Response> {
    let Some(session) = pending(&state, cookie).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    Ok(totp_page(
        lang,
        &session.csrf_token,
        &safe_next(q.next.as_deref()),
        None,
    )
    .into_response())
}

fn totp_page(lang: Lang, csrf: &str, next: &str, error: Option<&str>) -> Html<String> {
    bare_layout(
        lang,
        lang.t("totp.title"),
        html! {
            h1 { (lang.t("totp.title")) }
            @if let Some(e) = error { p.error role="alert" { (e) } }
            form method="post" action="/login/totp" {
                input type="hidden" name="_csrf" value=(csrf);
                input type="hidden" name="next" value=(next);
                label { (lang.t("totp.code")) input type="text" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required autofocus; }
                button type="submit" { (lang.t("totp.verify")) }
            }
        },
    )
}

async fn pending(state: &AppState, cookie: Option<String>) -> WebResult<Option<Session>> {
    let Some(c) = cookie else { return Ok(None) };
    let s = state.app.store.get_session(&sha256_hex(&c)).await?;
    Ok(s.filter(|s| s.expires_at > now_rfc3339()))
}

#[derive(Deserialize)]
pub struct TotpForm {
    pub code: String,
    #[serde(rename = "_csrf")]
    pub csrf: String,
    pub next: Option<String>,
}

pub async fn totp_submit(
    State(state): State<AppState>,
    LangPref(lang): LangPref,
    PendingSession(cookie): PendingSession,
    ClientIp(ip): ClientIp,
    Form(f): Form<TotpForm>,
) -> WebResult<Response> {
    let Some(session) = pending(&state, cookie).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    if session.csrf_token != f.csrf {
        return Err(WebError::csrf());
    }
    let user = state
        .app
        .store
        .get_user(session.user_id)
        .await?
        .ok_or_else(WebError::unauthorized)?;
    let key = crate::throttle::second_factor_key(&user.username);
    if let Some(wait) = throttle(&state, ip, &key).await {
        let page = totp_page(lang, &f.csrf, "/devices", Some(lang.t("login.too_many")));
        return Ok(too_many(page, wait));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    // A code is good once: the step it belongs to is claimed, so the same code cannot sign in again.
    let ok = user
        .totp_secret
        .as_deref()
        .and_then(|s| auth::totp_step(s, &f.code, now))
        .is_some_and(|step| state.second_factor.claim(user.id, step));
    if !ok {
        state.throttle.failed(ip, &key, std::time::Instant::now());
        if state.second_factor.failed(&session.id_hash) {
            // Too many wrong codes: the half-finished login is thrown away; start again with the password.
            state.app.store.delete_session(&session.id_hash).await?;
            state.auth_cache.remove(&format!("s:{}", session.id_hash));
            let _ = state
                .app
                .store
                .append_audit(NewAuditEntry {
                    actor: user.username.clone(),
                    action: "user.second_factor_failed".into(),
                    entity: "session".into(),
                    entity_id: Some(user.id.to_string()),
                    before: None,
                    after: Some(serde_json::json!({"address": ip.to_string()}).to_string()),
                })
                .await;
            return Ok(Redirect::to("/login").into_response());
        }
        let next = safe_next(f.next.as_deref());
        return Ok((
            StatusCode::UNAUTHORIZED,
            totp_page(lang, &f.csrf, &next, Some(lang.t("totp.failed"))),
        )
            .into_response());
    }
    state.second_factor.forget(&session.id_hash);
    state.throttle.succeeded(&key);
    state
        .app
        .store
        .mark_session_verified(&session.id_hash)
        .await?;
    state.auth_cache.remove(&format!("s:{}", session.id_hash));
    Ok(Redirect::to(&safe_next(f.next.as_deref())).into_response())
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(rename = "_csrf")]
    pub csrf: Option<String>,
}

pub async fn logout(
    ctx: Ctx,
    State(state): State<AppState>,
    Form(f): Form<CsrfForm>,
) -> WebResult<Response> {
    ctx.check_csrf(f.csrf.as_deref())?;
    if let Some(s) = &ctx.session {
        state.app.store.delete_session(&s.id_hash).await?;
        state.auth_cache.remove(&format!("s:{}", s.id_hash));
    }
    state
        .app
        .store
        .append_audit(NewAuditEntry {
            actor: ctx.user.username.clone(),
            action: "user.logout".into(),
            entity: "session".into(),
            entity_id: Some(ctx.user.id.to_string()),
            before: None,
            after: None,
        })
        .await?;
    let mut res = Redirect::to("/login").into_response();
    if let Ok(v) = set_cookie(SESSION_COOKIE, "", 0, state.config.secure_cookies).parse() {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::client_address;

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let proxy: Vec<ipnet::IpNet> = vec!["127.0.0.1/32".parse().unwrap()];
        let peer = "127.0.0.1".parse().unwrap();
        let stranger = "127.0.0.9".parse().unwrap();
        assert_eq!(
            client_address(peer, &["127.0.0.5"], &proxy).to_string(),
            "127.0.0.5"
        );
        assert_eq!(
            client_address(peer, &["127.0.0.7, 127.0.0.5, 127.0.0.1"], &proxy).to_string(),
            "127.0.0.5",
            "the right-most hop the proxy did not add itself"
        );
        assert_eq!(
            client_address(stranger, &["127.0.0.5"], &proxy),
            stranger,
            "a header from a client that is not a proxy is ignored"
        );
        assert_eq!(client_address(peer, &["127.0.0.5"], &[]), peer);
        assert_eq!(client_address(peer, &["garbage"], &proxy), peer);
    }
}
