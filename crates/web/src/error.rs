//! One error type for handlers, mapped to HTTP in one place. Internal errors are logged and shown as a
//! generic message; clients never see database text.

use crate::app::AppError;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use mdsec_store::StoreError;

#[derive(Debug)]
pub struct WebError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Render as JSON (API) rather than HTML.
    pub json: bool,
}

impl WebError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        WebError {
            status,
            code,
            message: message.into(),
            json: false,
        }
    }
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "not found")
    }
    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "you do not have permission for this",
        )
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
    pub fn csrf() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "the form expired or did not come from mdsec; reload and try again",
        )
    }
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "authentication required",
        )
    }
    pub fn json(mut self) -> Self {
        self.json = true;
        self
    }
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(m) => WebError::new(StatusCode::NOT_FOUND, "not_found", m),
            StoreError::Conflict(m) => WebError::new(StatusCode::CONFLICT, "conflict", m),
            StoreError::Refused(m) => WebError::new(StatusCode::UNPROCESSABLE_ENTITY, "refused", m),
            StoreError::Backend(m) => {
                tracing::error!(error = %m, "database error");
                WebError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error; see the server log",
                )
            }
        }
    }
}

impl From<mdsec_intel::IntelError> for WebError {
    fn from(e: mdsec_intel::IntelError) -> Self {
        use mdsec_intel::IntelError;
        match e {
            IntelError::Store(s) => s.into(),
            IntelError::Attach(_) | IntelError::Feed(_) => WebError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_file",
                e.to_string(),
            ),
            IntelError::Mail(m) => {
                tracing::warn!(error = %m, "mail");
                WebError::new(StatusCode::INTERNAL_SERVER_ERROR, "mail", m.to_string())
            }
        }
    }
}

impl From<AppError> for WebError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Store(s) => s.into(),
            AppError::Format(f) => WebError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_file",
                f.to_string(),
            ),
            AppError::Invalid(m) => WebError::bad_request(m),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if self.json {
            let body = serde_json::json!({"error": {"code": self.code, "message": self.message}});
            return (self.status, axum::Json(body)).into_response();
        }
        let page = maud::html! {
            (maud::DOCTYPE)
            html lang="ja" {
                head { meta charset="utf-8"; title { "mdsec — " (self.status.as_u16()) } link rel="stylesheet" href="/static/app.css"; }
                body { main.container {
                    h1 { (self.status.as_u16()) " " (self.status.canonical_reason().unwrap_or("")) }
                    p.error { (self.message) }
                    p { a href="/devices" { "← mdsec" } }
                } }
            }
        };
        (self.status, Html(page.into_string())).into_response()
    }
}

pub type WebResult<T> = Result<T, WebError>;
