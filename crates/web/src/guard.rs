//! Refusing text no backend can store, before any handler sees it.
//!
//! PostgreSQL cannot keep a NUL character in a text column (SQLite silently truncates at it in some
//! functions), so a `%00` in a query string or a form, or `\u0000` in JSON, is refused here with 400 and
//! a message naming where it was, on every backend. Form and JSON bodies are read (bounded by
//! [`body_limit`]: 4 KiB for the sign-in forms, 64 KiB for any other form) to be checked, and a larger
//! one is refused with 413 before it is parsed; file uploads (multipart) go through their own bounded
//! parsers.

use crate::error::WebError;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The largest URL-encoded form any page sends (a device with all its fields and notes, a whole
/// self-assessment): 64 KiB. Files go as multipart through their own limits.
pub const FORM_BODY_LIMIT: usize = 64 * 1024;

/// The largest body of `kind` (form or JSON) accepted for `path`; `upload` is the configured upload
/// limit, which JSON keeps because an SBOM may be attached as a JSON body.
pub fn body_limit(path: &str, form: bool, upload: usize) -> usize {
    match path {
        "/login" | "/login/totp" | "/logout" => crate::AUTH_FORM_LIMIT,
        _ if form => FORM_BODY_LIMIT,
        _ => upload,
    }
}

/// True when URL-encoded text (a query string or a form body) decodes to a NUL.
pub fn urlencoded_has_nul(raw: &[u8]) -> bool {
    raw.contains(&0)
        || raw
            .windows(3)
            .any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0')
}

/// True when a JSON text contains a NUL: a raw byte, or a `\u0000` escape (not `\\u0000`, which is a
/// backslash followed by text).
pub fn json_has_nul(raw: &[u8]) -> bool {
    if raw.contains(&0) {
        return true;
    }
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'\\' {
            if raw.get(i + 1) == Some(&b'u') && raw.get(i + 2..i + 6).is_some_and(|h| h == b"0000")
            {
                return true;
            }
            // Skip the escaped character, whatever it is.
            i += 2;
            continue;
        }
        i += 1;
    }
    false
}

fn refuse(api: bool, place: &str) -> Response {
    let e = if api {
        WebError::bad_request(format!(
            "the {place} contains a NUL character, which cannot be stored; remove it and try again"
        ))
        .json()
    } else {
        let place = match place {
            "query string" => "URL のパラメータ",
            _ => "送信された入力",
        };
        WebError::bad_request(format!(
            "{place}に保存できない文字（NUL 文字）が含まれています。取り除いてからもう一度送信してください。"
        ))
    };
    WebError {
        code: "invalid_text",
        ..e
    }
    .into_response()
}

/// The middleware: checks the query string, then form and JSON bodies.
pub async fn refuse_invalid_text(upload_limit: usize, req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    if req
        .uri()
        .query()
        .is_some_and(|q| urlencoded_has_nul(q.as_bytes()))
        || urlencoded_has_nul(req.uri().path().as_bytes())
    {
        return refuse(api, "query string");
    }
    let kind = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.to_ascii_lowercase())
        .unwrap_or_default();
    let form = kind.starts_with("application/x-www-form-urlencoded");
    let json = kind.starts_with("application/json") || kind.contains("+json");
    if !form && !json {
        return next.run(req).await;
    }
    let limit = body_limit(req.uri().path(), form, upload_limit);
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => {
            let e = WebError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                if api {
                    format!("the request body is larger than {limit} bytes")
                } else {
                    format!("送信された内容が大きすぎます（上限 {limit} バイト）。")
                },
            );
            return if api { e.json() } else { e }.into_response();
        }
    };
    if (form && urlencoded_has_nul(&bytes)) || (json && json_has_nul(&bytes)) {
        return refuse(api, "request body");
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_are_bounded_tighter_than_uploads() {
        assert_eq!(body_limit("/login", true, 1 << 26), crate::AUTH_FORM_LIMIT);
        assert_eq!(
            body_limit("/login/totp", false, 1 << 26),
            crate::AUTH_FORM_LIMIT
        );
        assert_eq!(body_limit("/devices/1", true, 1 << 26), FORM_BODY_LIMIT);
        assert_eq!(body_limit("/api/v1/models/attach", false, 1 << 26), 1 << 26);
    }

    #[test]
    fn nul_is_found_in_urlencoded_and_json_text() {
        assert!(urlencoded_has_nul(b"q=%00"));
        assert!(urlencoded_has_nul(b"a=1&b=x%00y"));
        assert!(
            !urlencoded_has_nul(b"q=%2500"),
            "an encoded percent sign then 00"
        );
        assert!(!urlencoded_has_nul(b"q=100"));
        assert!(json_has_nul(br#"{"name":"a\u0000"}"#));
        assert!(json_has_nul(b"{\"name\":\"a\0\"}"));
        assert!(
            !json_has_nul(br#"{"name":"a\\u0000"}"#),
            "an escaped backslash"
        );
        assert!(json_has_nul(br#"{"name":"a\\\u0000"}"#));
        assert!(!json_has_nul(br#"{"name":"\u3042"}"#));
        assert!(!json_has_nul(br#"{"n":"\"}"#));
    }
}
