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

/// The longest plain-text error body kept when it is rewritten as JSON.
const MAX_REWRITTEN_MESSAGE: usize = 4 * 1024;

/// Middleware for `/api/`: a failure that did not come from [`WebError`] (an extractor's rejection of
/// a query, a JSON body, a content type; a method or path that does not exist) is given the same
/// `{"error": {"code", "message"}}` shape as every other API error.
pub async fn api_errors_as_json(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    let status = res.status();
    if !api || !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let is_json = res
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return res;
    }
    let (parts, body) = res.into_parts();
    let text = axum::body::to_bytes(body, MAX_REWRITTEN_MESSAGE)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let code = match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid",
        StatusCode::TOO_MANY_REQUESTS => "too_many_requests",
        _ if status.is_server_error() => "internal",
        _ => "error",
    };
    let message = if text.is_empty() || status.is_server_error() {
        status.canonical_reason().unwrap_or("error").to_string()
    } else {
        text
    };
    let mut out = WebError::new(status, code, message).json().into_response();
    // Keep headers such as Allow and Retry-After, but not the old length or type.
    for (name, value) in parts.headers.iter() {
        if name != axum::http::header::CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            out.headers_mut().append(name.clone(), value.clone());
        }
    }
    out
}
