//! Who is asking, in which language: the [`Ctx`] extractor that every protected handler takes.

use crate::auth::sha256_hex;
use crate::error::WebError;
use crate::i18n::Lang;
use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use mdsec_store::{Actor, Session, User};

pub const SESSION_COOKIE: &str = "mdsec_session";
pub const LANG_COOKIE: &str = "mdsec_lang";
pub const LOGIN_CSRF_COOKIE: &str = "mdsec_login_csrf";

/// The value of cookie `name` in the request, if any.
pub fn cookie(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            v.split(';').find_map(|kv| {
                let (k, val) = kv.trim().split_once('=')?;
                (k == name).then(|| val.to_string())
            })
        })
}

/// A `Set-Cookie` value with mdsec's flags: HttpOnly, SameSite=Strict, Secure when serving HTTPS.
pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The language of the request: `mdsec_lang` cookie, else Japanese.
pub fn lang_of(parts: &Parts) -> Lang {
    cookie(parts, LANG_COOKIE)
        .and_then(|c| Lang::from_code(&c))
        .unwrap_or_default()
}

/// Just the language, for pages that need no login.
pub struct LangPref(pub Lang);

impl FromRequestParts<AppState> for LangPref {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        Ok(LangPref(lang_of(parts)))
    }
}

/// An authenticated request.
pub struct Ctx {
    pub user: User,
    /// The browser session, or `None` for bearer-token API calls (which need no CSRF token).
    pub session: Option<Session>,
    pub lang: Lang,
    pub path: String,
    /// Path and query, to come back to after a language switch.
    pub uri: String,
}

impl Ctx {
    pub fn actor(&self) -> Actor {
        Actor::user(&self.user)
    }
    pub fn csrf(&self) -> &str {
        self.session
            .as_ref()
            .map(|s| s.csrf_token.as_str())
            .unwrap_or("")
    }
    /// Check a submitted CSRF token against the session's (constant-time). Token calls pass.
    pub fn check_csrf(&self, submitted: Option<&str>) -> Result<(), WebError> {
        match &self.session {
            None => Ok(()),
            Some(s) => {
                let a = s.csrf_token.as_bytes();
                let b = submitted.unwrap_or("").as_bytes();
                let same = a.len() == b.len()
                    && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0;
                if same && !a.is_empty() {
                    Ok(())
                } else {
                    Err(WebError::csrf())
                }
            }
        }
    }
}

/// Why a request was not let in.
pub enum Denied {
    Login(String),
    SecondFactor,
    EnrolTotp,
    Api(WebError),
}

impl IntoResponse for Denied {
    fn into_response(self) -> Response {
        match self {
            Denied::Login(next) => {
                let next = if is_local_path(&next) {
                    next
                } else {
                    "/".into()
                };
                Redirect::to(&format!("/login?next={}", urlencode(&next))).into_response()
            }
            Denied::SecondFactor => Redirect::to("/login/totp").into_response(),
            Denied::EnrolTotp => Redirect::to("/account").into_response(),
            Denied::Api(e) => e.json().into_response(),
        }
    }
}

/// True for a path on this site (`/devices?x=1`), false for anything a browser could read as another
/// host (`//evil`, `/\evil`, `/<TAB>/evil`, `https://…`). Every redirect target that comes from a
/// request is checked. Browsers drop tabs and newlines from a URL and read `\` as `/`, so any control
/// character or backslash refuses the target rather than being normalised away.
pub fn is_local_path(p: &str) -> bool {
    if p.chars().any(|c| c.is_control() || c == '\\') {
        return false;
    }
    let mut chars = p.chars();
    chars.next() == Some('/') && chars.next() != Some('/')
}

pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Denied;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // Nested routers see a shortened URI; decide by the one the client sent.
        let path = parts
            .extensions
            .get::<axum::extract::OriginalUri>()
            .map(|u| u.0.path().to_string())
            .unwrap_or_else(|| parts.uri.path().to_string());
        let is_api = path.starts_with("/api/");
        let lang = lang_of(parts);
        let unauthorized = || {
            if is_api {
                Denied::Api(WebError::unauthorized())
            } else {
                Denied::Login(original_uri(parts))
            }
        };
        let store = &state.app.store;

        if let Some(auth) = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        {
            let token = auth
                .strip_prefix("Bearer ")
                .ok_or_else(unauthorized)?
                .trim();
            let key = format!("t:{}", sha256_hex(token));
            let user = match state.auth_cache.get(&key) {
                Some((user, _)) => user,
                None => {
                    let user = store
                        .user_for_token(&key[2..])
                        .await
                        .map_err(|e| Denied::Api(WebError::from(e)))?
                        .ok_or_else(unauthorized)?;
                    state.auth_cache.put(key, user.clone(), None);
                    user
                }
            };
            return Ok(Ctx {
                user,
                session: None,
                lang,
                path,
                uri: original_uri(parts),
            });
        }

        let cookie_value = cookie(parts, SESSION_COOKIE).ok_or_else(unauthorized)?;
        let key = format!("s:{}", sha256_hex(&cookie_value));
        let (user, session) = match state.auth_cache.get(&key) {
            Some((user, Some(session))) => (user, session),
            _ => {
                let session = store
                    .get_session(&key[2..])
                    .await
                    .map_err(|e| Denied::Api(WebError::from(e)))?
                    .ok_or_else(unauthorized)?;
                let user = store
                    .get_user(session.user_id)
                    .await
                    .map_err(|e| Denied::Api(WebError::from(e)))?
                    .filter(|u| !u.disabled)
                    .ok_or_else(unauthorized)?;
                state
                    .auth_cache
                    .put(key.clone(), user.clone(), Some(session.clone()));
                (user, session)
            }
        };
        if session.expires_at <= now_rfc3339() {
            state.auth_cache.remove(&key);
            let _ = store.delete_session(&session.id_hash).await;
            return Err(unauthorized());
        }
        if user.totp_secret.is_some() && !session.verified {
            return Err(if is_api {
                Denied::Api(WebError::unauthorized())
            } else {
                Denied::SecondFactor
            });
        }
        let enrolling = path == "/account" || path == "/account/totp" || path == "/logout";
        if state.config.require_totp_for_admins
            && user.role.is_administrative()
            && user.totp_secret.is_none()
            && !enrolling
        {
            return Err(if is_api {
                Denied::Api(WebError::new(
                    StatusCode::FORBIDDEN,
                    "totp_required",
                    "set up a second factor first",
                ))
            } else {
                Denied::EnrolTotp
            });
        }
        Ok(Ctx {
            user,
            session: Some(session),
            lang,
            path,
            uri: original_uri(parts),
        })
    }
}

fn original_uri(parts: &Parts) -> String {
    let uri = parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map(|u| &u.0)
        .unwrap_or(&parts.uri);
    uri.path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into())
}

#[cfg(test)]
mod redirect_tests {
    use super::is_local_path;

    #[test]
    fn only_paths_on_this_server_are_redirect_targets() {
        for ok in ["/", "/devices?x=1", "/login?next=/a//b", "/a\u{3042}"] {
            assert!(is_local_path(ok), "{ok}");
        }
        for bad in [
            "",
            "devices",
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "\t//evil.example",
            "/\r\n/evil.example",
            "/\u{0}/evil.example",
            "/\u{7f}/evil.example",
            "https://evil.example",
            "/devices\\..\\",
        ] {
            assert!(!is_local_path(bad), "{bad:?}");
        }
    }
}
