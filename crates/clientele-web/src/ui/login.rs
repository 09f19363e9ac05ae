use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use clientele_core::Error;
use clientele_core::domain::secret::{random_token, same_secret};
use serde::Deserialize;

use super::{Chrome, redirect_with_flash, render};
use crate::auth::{
    Authenticated, LOGIN_CSRF_COOKIE, Peer, SESSION_COOKIE, WebUser, clear_cookie, client_info, cookie, safe_next,
    session_cookie,
};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    c: Chrome,
    email: String,
    next: String,
    login_csrf: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn login_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: Option<axum::Extension<Authenticated>>,
    Query(q): Query<NextQuery>,
) -> Response {
    let next = safe_next(q.next.as_deref());
    if auth.is_some() {
        return Redirect::to(&next).into_response();
    }
    let mut c = Chrome::anonymous(&state, &headers, "login-title");
    c.flash = cookie(&headers, crate::auth::FLASH_COOKIE)
        .filter(|k| k.chars().all(|ch| ch.is_ascii_lowercase() || ch == '-') && !k.is_empty())
        .map(|k| c.t.get(&format!("flash-{k}")));
    let shown = c.flash.is_some();
    login_page(&state, c, String::new(), next, None, StatusCode::OK, shown)
}

fn login_page(
    state: &AppState,
    c: Chrome,
    email: String,
    next: String,
    error: Option<String>,
    status: StatusCode,
    shown_flash: bool,
) -> Response {
    let login_csrf = random_token();
    let mut r = render(status, &LoginPage { c, email, next, login_csrf: login_csrf.clone(), error }, shown_flash);
    let secure = if state.settings().secure_cookies { "; Secure" } else { "" };
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{LOGIN_CSRF_COOKIE}={login_csrf}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600{secure}"
    )) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    next: String,
}

pub async fn login_post(
    State(state): State<AppState>,
    Peer(peer): Peer,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let c = Chrome::anonymous(&state, &headers, "login-title");
    let next = safe_next(Some(&form.next));
    // Sign-in form CSRF: the hidden field must match the cookie set with the form.
    let csrf_ok = cookie(&headers, LOGIN_CSRF_COOKIE).is_some_and(|ck| !ck.is_empty() && same_secret(ck, &form.csrf));
    if !csrf_ok {
        let msg = c.t.get("login-expired");
        return login_page(&state, c, form.email, next, Some(msg), StatusCode::FORBIDDEN, false);
    }
    let client = client_info(&state, &headers, peer);
    match state.services().login(&form.email, &form.password, &client).await {
        Ok(outcome) => {
            let mut r = Redirect::to(&next).into_response();
            let max_age = state.services().settings().session_idle.num_seconds();
            for c in [session_cookie(&state, &outcome.session.token, max_age), clear_login_csrf(&state)] {
                if let Ok(v) = HeaderValue::from_str(&c) {
                    r.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            r
        }
        Err(e) => {
            let (status, msg) = match &e {
                Error::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, c.t.get("login-failed")),
                Error::RateLimited { retry_after_secs } => (
                    StatusCode::TOO_MANY_REQUESTS,
                    c.t.with("login-rate-limited", &[("minutes", &retry_after_secs.div_ceil(60).to_string())]),
                ),
                Error::Validation(_) => (StatusCode::UNPROCESSABLE_ENTITY, c.t.get("login-missing")),
                _ => return super::error_page(&state, &headers, None, e),
            };
            login_page(&state, c, form.email, next, Some(msg), status, false)
        }
    }
}

fn clear_login_csrf(state: &AppState) -> String {
    let secure = if state.settings().secure_cookies { "; Secure" } else { "" };
    format!("{LOGIN_CSRF_COOKIE}=; Path=/login; HttpOnly; SameSite=Strict; Max-Age=0{secure}")
}

pub async fn logout_post(State(state): State<AppState>, WebUser(user): WebUser) -> Response {
    if let Some(token) = &user.session_token
        && let Err(e) = state.services().logout(token).await
    {
        tracing::warn!(error = %e, "logout failed");
    }
    let mut r = redirect_with_flash("/login", "signed-out");
    if let Ok(v) = HeaderValue::from_str(&clear_cookie(&state, SESSION_COOKIE)) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}
