//! mdsec's web application: server-rendered HTML pages, the JSON API under `/api/v1`, login with
//! argon2id and TOTP, server-side sessions, roles, CSRF protection and security headers.
//!
//! Owns: HTTP. Invariants: every route but `/login`, `/healthz` and `/static` requires a session or a
//! bearer token ([`context::Ctx`]); every state-changing form carries the session's CSRF token; every
//! permission question is answered by [`policy`]; every string goes through [`i18n`]. TLS and the
//! listening socket belong to the binary, not here.

pub mod api;
pub mod app;
pub mod auth;
pub mod context;
pub mod error;
pub mod guard;
pub mod i18n;
pub mod pages;
pub mod policy;
pub mod throttle;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;

pub use app::App;

/// Settings of the web layer.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Mark cookies `Secure` (true whenever mdsec serves HTTPS).
    pub secure_cookies: bool,
    /// Administrative roles must set up and use TOTP.
    pub require_totp_for_admins: bool,
    /// How long a session lives without a new login.
    pub session_hours: i64,
    /// Upper bound for uploaded files (imports).
    pub max_upload_bytes: usize,
    /// Reverse proxies whose `X-Forwarded-For` names the client; from anywhere else it is ignored.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            secure_cookies: true,
            require_totp_for_admins: false,
            session_hours: 8,
            max_upload_bytes: 64 << 20,
            trusted_proxies: Vec::new(),
        }
    }
}

pub struct Inner {
    pub app: App,
    pub config: WebConfig,
    pub throttle: throttle::LoginThrottle,
    pub second_factor: throttle::SecondFactorGuard,
    pub auth_cache: auth::AuthCache,
}

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(app: App, config: WebConfig) -> Self {
        AppState(Arc::new(Inner {
            app,
            config,
            throttle: throttle::LoginThrottle::default(),
            second_factor: throttle::SecondFactorGuard::default(),
            auth_cache: auth::AuthCache::default(),
        }))
    }
}

pub const APP_CSS: &str = include_str!("../static/app.css");
pub const APP_JS: &str = include_str!("../static/app.js");

async fn healthz(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    match state.app.store.ping().await {
        Ok(()) => {
            axum::Json(serde_json::json!({"status": "ok", "database": state.app.store.backend()}))
                .into_response()
        }
        Err(_) => (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({"status": "unavailable"})),
        )
            .into_response(),
    }
}

fn static_file(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// Headers on every response: no framing, no sniffing, no referrer, our own scripts and styles only.
async fn security_headers(secure: bool, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    // A handler may set a stricter policy of its own (the report page allows only its one style block).
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if secure {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    res
}

/// The largest body the sign-in forms accept (user name, password, code, CSRF token, next): anything
/// larger is refused with 413 before a byte of it is parsed or a password is checked.
pub const AUTH_FORM_LIMIT: usize = 4 * 1024;

/// The whole application.
pub fn router(state: AppState) -> Router {
    let secure = state.config.secure_cookies;
    let max_upload = state.config.max_upload_bytes;
    Router::new()
        .route("/healthz", get(healthz))
        .route(
            "/static/app.css",
            get(|| async { static_file(APP_CSS, "text/css; charset=utf-8") }),
        )
        .route(
            "/static/app.js",
            get(|| async { static_file(APP_JS, "text/javascript; charset=utf-8") }),
        )
        .route("/", get(pages::home))
        .route("/lang/{code}", get(pages::set_lang))
        .route(
            "/login",
            get(pages::login::form)
                .post(pages::login::submit)
                .layer(DefaultBodyLimit::max(AUTH_FORM_LIMIT)),
        )
        .route(
            "/login/totp",
            get(pages::login::totp_form)
                .post(pages::login::totp_submit)
                .layer(DefaultBodyLimit::max(AUTH_FORM_LIMIT)),
        )
        .route(
            "/logout",
            post(pages::login::logout).layer(DefaultBodyLimit::max(AUTH_FORM_LIMIT)),
        )
        .route(
            "/devices",
            get(pages::devices::list).post(pages::devices::create),
        )
        .route("/devices/new", get(pages::devices::new_form))
        .route(
            "/devices/{id}",
            get(pages::devices::show).post(pages::devices::update),
        )
        .route("/devices/{id}/edit", get(pages::devices::edit_form))
        .route("/devices/{id}/delete", post(pages::devices::delete))
        .route(
            "/import",
            get(pages::import::form).post(pages::import::submit),
        )
        .route("/export", get(pages::import::export))
        .route("/audit", get(pages::admin::audit))
        .route(
            "/users",
            get(pages::admin::users).post(pages::admin::create_user),
        )
        .route("/users/clear-delay", post(pages::admin::clear_delay))
        .route(
            "/manufacturers",
            get(pages::admin::aliases).post(pages::admin::add_alias),
        )
        .route("/act-now", get(pages::intel::act_now))
        .route("/findings", get(pages::intel::list))
        .route("/findings/export", get(pages::intel::export))
        .route("/findings/{id}", post(pages::intel::update))
        .route("/models", get(pages::intel::models))
        .route("/diagram", get(pages::diagram::page))
        .route("/diagram/export", get(pages::diagram::export))
        .route("/models/attach", post(pages::intel::attach))
        .route("/models/{id}", get(pages::intel::model))
        .route("/notices", get(pages::intel::notices))
        .route("/notices/{id}", post(pages::intel::update_notice))
        .route("/account", get(pages::admin::account))
        .route("/checklist", get(pages::checklist::page))
        .route("/checklist/answer", post(pages::checklist::answer))
        .route(
            "/checklist/evidence",
            post(pages::checklist::evidence_upload),
        )
        .route(
            "/checklist/evidence/{id}",
            get(pages::checklist::evidence_download),
        )
        .route(
            "/self-assessment",
            get(pages::checklist::self_assessment).post(pages::checklist::self_assessment_submit),
        )
        .route("/report", get(pages::report::page))
        .route("/report.pdf", get(pages::report::pdf))
        .route("/account/totp", post(pages::admin::enable_totp))
        .merge(pages::remote_lines::routes())
        .merge(pages::alerts::routes())
        .nest("/api/v1", api::routes())
        .layer(DefaultBodyLimit::max(max_upload))
        .layer(axum::middleware::from_fn(move |req, next| {
            guard::refuse_invalid_text(max_upload, req, next)
        }))
        .layer(axum::middleware::from_fn(error::api_errors_as_json))
        .layer(axum::middleware::from_fn(move |req, next| {
            security_headers(secure, req, next)
        }))
        .with_state(state)
}
