use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use clientele_core::domain::user::User;
use serde::{Deserialize, Serialize};

use crate::auth::{ApiUser, Peer, SESSION_COOKIE, clear_cookie, client_info, session_cookie};
use crate::error::{ApiResult, Problem};
use crate::extract::ApiJson;
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LoginResponse {
    /// The session secret: also set as the session cookie; may be sent as `Authorization: Bearer`.
    pub token: String,
    /// Send as `X-CSRF-Token` on writes made with the session cookie.
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
    pub user: User,
}

/// Sign in with e-mail and password.
///
/// Sets the `clientele_session` cookie (HttpOnly, SameSite=Lax) and returns the same session
/// token for non-browser clients. Repeated failures for an account or address answer 429.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, body = LoginResponse),
        (status = 401, description = "Wrong e-mail or password", body = Problem),
        (status = 422, body = Problem),
        (status = 429, description = "Too many failed attempts", body = Problem),
    ))]
pub async fn login(
    State(state): State<AppState>,
    Peer(peer): Peer,
    headers: HeaderMap,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    let client = client_info(&state, &headers, peer);
    let outcome = state.services().login(&req.email, &req.password, &client).await?;
    let max_age = state.services().settings().session_idle.num_seconds();
    let body = LoginResponse {
        token: outcome.session.token.clone(),
        csrf_token: outcome.session.csrf_token,
        expires_at: outcome.session.expires_at,
        user: outcome.user,
    };
    let mut resp = (StatusCode::OK, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&session_cookie(&state, &outcome.session.token, max_age)) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(resp)
}

/// Sign out: ends this session.
#[utoipa::path(post, path = "/auth/logout", tag = "auth",
    responses((status = 204), (status = 401, body = Problem)))]
pub async fn logout(State(state): State<AppState>, ApiUser(user): ApiUser) -> ApiResult<Response> {
    if let Some(token) = &user.session_token {
        state.services().logout(token).await?;
    }
    let mut resp = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(&clear_cookie(&state, SESSION_COOKIE)) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(resp)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Me {
    pub user: User,
    /// `session` or `api_token`.
    pub authenticated_by: &'static str,
    /// The CSRF token of the current session (absent for API tokens).
    pub csrf_token: Option<String>,
}

/// The signed-in user.
#[utoipa::path(get, path = "/auth/me", tag = "auth", responses((status = 200, body = Me), (status = 401, body = Problem)))]
pub async fn me(State(state): State<AppState>, ApiUser(user): ApiUser) -> ApiResult<Json<Me>> {
    let u = state.services().get_user(&user.actor, user.actor.user_id).await?;
    Ok(Json(Me {
        user: u,
        authenticated_by: if user.session.is_some() { "session" } else { "api_token" },
        csrf_token: user.session.map(|s| s.csrf_token),
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

/// Change your own password. Signs out your other sessions.
#[utoipa::path(post, path = "/auth/password", tag = "auth", request_body = ChangePasswordRequest,
    responses((status = 204), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn change_password(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(req): ApiJson<ChangePasswordRequest>,
) -> ApiResult<StatusCode> {
    state
        .services()
        .change_password(&user.actor, &req.current_password, &req.new_password, user.session_token.as_deref())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
