//! Who is calling: session cookies (browsers) and bearer tokens (scripts), resolved once per
//! request by a middleware and handed to handlers through extractors that cannot be
//! forgotten: a handler that takes `ApiUser` or `WebUser` is authenticated, full stop.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use clientele_core::authz::Actor;
use clientele_core::domain::auth::{ClientInfo, Session};
use clientele_core::domain::secret::API_TOKEN_PREFIX;
use clientele_core::{Error, Result};

use crate::error::ApiError;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "clientele_session";
pub const LOGIN_CSRF_COOKIE: &str = "clientele_login_csrf";
pub const FLASH_COOKIE: &str = "clientele_flash";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The authenticated caller of this request.
#[derive(Clone)]
pub struct Authenticated {
    pub actor: Actor,
    /// Set when the caller came with a session (cookie or session bearer).
    pub session: Option<Session>,
    pub session_token: Option<String>,
    /// True when credentials came in a cookie (and so CSRF protection applies).
    pub via_cookie: bool,
}

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Resolves the caller. A bearer credential that does not check out is an error (401): a
/// script with a revoked token must hear so, not be served as anonymous.
pub async fn resolve(state: &AppState, headers: &HeaderMap, allow_bearer: bool) -> Result<Option<Authenticated>> {
    let services = state.services();
    if allow_bearer && let Some(token) = bearer(headers) {
        if token.starts_with(API_TOKEN_PREFIX) {
            return match services.authenticate_token(token).await? {
                Some(actor) => Ok(Some(Authenticated { actor, session: None, session_token: None, via_cookie: false })),
                None => Err(Error::Unauthenticated("the API token is invalid, expired or revoked".into())),
            };
        }
        return match services.authenticate_session(token).await? {
            Some((actor, session)) => Ok(Some(Authenticated {
                actor,
                session: Some(session),
                session_token: Some(token.to_owned()),
                via_cookie: false,
            })),
            None => Err(Error::Unauthenticated("the session token is invalid or expired; sign in again".into())),
        };
    }
    if let Some(token) = cookie(headers, SESSION_COOKIE)
        && let Some((actor, session)) = services.authenticate_session(token).await?
    {
        return Ok(Some(Authenticated {
            actor,
            session: Some(session),
            session_token: Some(token.to_owned()),
            via_cookie: true,
        }));
    }
    Ok(None)
}

/// The client's address and browser, for sessions, rate limits and the audit log.
pub fn client_info(state: &AppState, parts_headers: &HeaderMap, peer: Option<std::net::SocketAddr>) -> ClientInfo {
    let forwarded = state
        .settings()
        .trust_proxy
        .then(|| parts_headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()))
        .flatten()
        .and_then(|v| v.split(',').next())
        .map(|s| s.trim().to_owned());
    ClientInfo {
        ip: forwarded.or_else(|| peer.map(|p| p.ip().to_string())),
        user_agent: parts_headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_owned),
    }
}

/// An API caller. Missing credentials → 401 problem+json.
pub struct ApiUser(pub Authenticated);

impl<S: Send + Sync> FromRequestParts<S> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> std::result::Result<Self, Self::Rejection> {
        parts.extensions.get::<Authenticated>().cloned().map(ApiUser).ok_or_else(|| {
            ApiError::Core(Error::Unauthenticated("sign in or send `Authorization: Bearer <token>`".into()))
        })
    }
}

/// A signed-in browser. Missing session → redirect to the sign-in page (or, for htmx, a
/// full-page redirect via `HX-Redirect`).
pub struct WebUser(pub Authenticated);

pub struct ToLogin(String);

impl IntoResponse for ToLogin {
    fn into_response(self) -> Response {
        let target = format!("/login?next={}", urlencode(&self.0));
        let mut r = Redirect::to(&target).into_response();
        if let Ok(v) = HeaderValue::from_str(&target) {
            r.headers_mut().insert("hx-redirect", v);
        }
        r
    }
}

impl<S: Send + Sync> FromRequestParts<S> for WebUser {
    type Rejection = ToLogin;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> std::result::Result<Self, Self::Rejection> {
        parts.extensions.get::<Authenticated>().cloned().map(WebUser).ok_or_else(|| {
            let path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
            ToLogin(path.to_owned())
        })
    }
}

pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Only local paths are followed after sign-in (no open redirect to another site).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") => n.to_owned(),
        _ => "/".to_owned(),
    }
}

/// `Set-Cookie` for the session.
pub fn session_cookie(state: &AppState, token: &str, max_age_secs: i64) -> String {
    let secure = if state.settings().secure_cookies { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}")
}

pub fn clear_cookie(state: &AppState, name: &str) -> String {
    let secure = if state.settings().secure_cookies { "; Secure" } else { "" };
    format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
}

/// The client's socket address when the server knows it (not in in-process tests).
pub struct Peer(pub Option<std::net::SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> std::result::Result<Self, Self::Rejection> {
        Ok(Peer(parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_and_bearer() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; clientele_session=abc; b=2"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer clt_xyz"));
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "missing"), None);
        assert_eq!(bearer(&h), Some("clt_xyz"));
    }

    #[test]
    fn next_is_local_only() {
        assert_eq!(safe_next(Some("/settings/users")), "/settings/users");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
