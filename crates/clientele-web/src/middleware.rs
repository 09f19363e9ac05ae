//! Layers every request passes through: security headers, metrics, authentication, CSRF
//! protection and idempotent replays.

use std::net::SocketAddr;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use clientele_core::Error;
use clientele_core::domain::auth::{IdempotencyBegin, IdempotentResponse};
use clientele_core::domain::now;
use clientele_core::domain::secret::same_secret;
use sha2::{Digest, Sha256};

use crate::auth::{self, Authenticated, CSRF_HEADER};
use crate::error::ApiError;
use crate::state::AppState;

pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                       connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; \
                       form-action 'self'; frame-ancestors 'none'";
/// Swagger UI sets inline styles; its page gets this slightly wider policy and nothing else does.
pub const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                            img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; \
                            form-action 'self'; frame-ancestors 'none'";

pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(HeaderName::from_static("cross-origin-opener-policy"), HeaderValue::from_static("same-origin"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

/// Request metrics by route template (not raw path: ids would explode the label set) and a
/// log line per request.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let route =
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "unmatched".to_owned());
    let resp = next.run(req).await;
    let elapsed = started.elapsed();
    state.metrics().observe(method.as_str(), &route, resp.status().as_u16(), elapsed);
    tracing::debug!(%method, %route, status = resp.status().as_u16(), micros = elapsed.as_micros() as u64, "request");
    resp
}

fn is_unsafe(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn csrf_ok(auth: &Authenticated, presented: Option<&str>) -> bool {
    match (&auth.session, presented) {
        (Some(s), Some(p)) => same_secret(&s.csrf_token, p),
        _ => false,
    }
}

/// API authentication: bearer tokens or the session cookie. Cookie-authenticated writes
/// must carry the session's CSRF token in `X-CSRF-Token`.
pub async fn api_auth(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    // Webhooks authenticate by their channel's secret, never by a user's credentials.
    if req.uri().path().starts_with("/api/v1/hooks/") {
        return next.run(req).await;
    }
    match auth::resolve(&state, req.headers(), true).await {
        Ok(Some(a)) => {
            if a.via_cookie && is_unsafe(req.method()) && !req.uri().path().starts_with("/api/v1/auth/login") {
                let presented = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok());
                if !csrf_ok(&a, presented) {
                    return ApiError::Core(Error::Forbidden(
                        "missing or wrong X-CSRF-Token header (required with cookie sessions)".into(),
                    ))
                    .into_response();
                }
            }
            req.extensions_mut().insert(a);
            next.run(req).await
        }
        Ok(None) => next.run(req).await,
        Err(e) => ApiError::Core(e).into_response(),
    }
}

/// Web UI authentication (session cookie only) and CSRF protection of every state-changing
/// request: the token comes in the `X-CSRF-Token` header (htmx), the `_csrf` form field, or
/// (file uploads) the `_csrf` query parameter of the form's action.
pub async fn ui_auth(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let resolved = match auth::resolve(&state, req.headers(), false).await {
        Ok(a) => a,
        Err(e) => return crate::ui::error_page(&state, req.headers(), None, e),
    };
    let exempt = req.uri().path() == "/login";
    if is_unsafe(req.method()) && !exempt {
        let Some(a) = &resolved else {
            return crate::ui::to_login_response(req.uri().path());
        };
        let header_token = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let multipart = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        let token = match header_token {
            Some(t) => Some(t),
            // A file upload (possibly hundreds of megabytes) is not read here: its form
            // carries the token in its action URL instead.
            None if multipart => req.uri().query().and_then(|q| form_field(q.as_bytes(), "_csrf")),
            None => {
                let (parts, body) = req.into_parts();
                let bytes = match axum::body::to_bytes(body, crate::MAX_BODY_BYTES).await {
                    Ok(b) => b,
                    Err(_) => {
                        return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
                    }
                };
                let token = form_field(&bytes, "_csrf");
                req = Request::from_parts(parts, Body::from(bytes));
                token
            }
        };
        if !csrf_ok(a, token.as_deref()) {
            return crate::ui::error_page(
                &state,
                req.headers(),
                resolved.as_ref(),
                Error::Forbidden(
                    "the form has expired or did not come from this site; reload the page and try again".into(),
                ),
            );
        }
    }
    if let Some(a) = resolved {
        req.extensions_mut().insert(a);
    }
    next.run(req).await
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

pub fn peer(req: &Request) -> Option<SocketAddr> {
    req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0)
}

/// `Idempotency-Key` on POST: the first response is stored; a replay with the same key and
/// body gets it again (with `Idempotent-Replayed: true`) without running the handler; the
/// same key with another body is refused (422); a replay while the first is still running
/// gets 409.
pub async fn idempotency(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(key) = req.headers().get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_owned) else {
        return next.run(req).await;
    };
    let Some(user) = req.extensions().get::<Authenticated>().map(|a| a.actor.user_id) else {
        return next.run(req).await;
    };
    if key.is_empty() || key.len() > 255 {
        return ApiError::Core(Error::invalid("Idempotency-Key", "must be 1 to 255 characters")).into_response();
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, crate::MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(_) => return ApiError::TooLarge(crate::MAX_BODY_BYTES).into_response(),
    };
    let mut h = Sha256::new();
    h.update(parts.method.as_str());
    h.update(b" ");
    h.update(parts.uri.path().as_bytes());
    h.update(b"\n");
    h.update(&bytes);
    let request_hash = hex::encode(h.finalize());
    let store = state.services().store().clone();
    match store.idempotency_begin(user, &key, &request_hash, now()).await {
        Ok(IdempotencyBegin::Proceed) => {}
        Ok(IdempotencyBegin::Replay(r)) => return replay(r),
        Ok(IdempotencyBegin::InProgress) => {
            return ApiError::Core(Error::Conflict {
                message: "a request with this Idempotency-Key is still being processed".into(),
                field: None,
                existing_id: None,
            })
            .into_response();
        }
        Ok(IdempotencyBegin::Mismatch) => {
            return ApiError::Core(Error::invalid(
                "Idempotency-Key",
                "was already used for a different request; use a new key for a new request",
            ))
            .into_response();
        }
        Err(e) => return ApiError::Core(e).into_response(),
    }
    let resp = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    let status = resp.status();
    if status.is_server_error() {
        let _ = store.idempotency_abort(user, &key).await;
        return resp;
    }
    let (rparts, rbody) = resp.into_parts();
    let body = match axum::body::to_bytes(rbody, 16 * 1024 * 1024).await {
        Ok(b) => b,
        Err(_) => {
            let _ = store.idempotency_abort(user, &key).await;
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let content_type =
        rparts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("application/json").to_owned();
    let stored = IdempotentResponse { status: status.as_u16(), content_type, body: body.to_vec() };
    if let Err(e) = store.idempotency_complete(user, &key, &stored).await {
        tracing::warn!(error = %e, "could not store an idempotent response");
    }
    Response::from_parts(rparts, Body::from(body))
}

fn replay(r: IdempotentResponse) -> Response {
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::OK);
    let mut resp = (status, r.body).into_response();
    if let Ok(v) = HeaderValue::from_str(&r.content_type) {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    resp.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    resp
}
