use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use clientele_core::domain::page::{Page, PageRequest};
use clientele_core::domain::user::User;
use clientele_core::service::{CreateUserRequest, UpdateUserRequest};
use serde::Deserialize;
use uuid::Uuid;

use super::{ListQuery, page_error, with_etag};
use crate::auth::ApiUser;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, IfMatch};
use crate::state::AppState;

pub const USER_SORTS: &[&str] = &["name", "email", "created_at"];

/// List users (everyone may: owners and assignees are picked from here).
#[utoipa::path(get, path = "/users", tag = "users", params(ListQuery),
    responses((status = 200, body = Page<User>), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn list_users(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Page<User>>> {
    let page =
        PageRequest::parse(q.limit, q.cursor.as_deref(), q.sort.as_deref(), USER_SORTS, "name").map_err(page_error)?;
    Ok(Json(state.services().list_users(&user.actor, &page, q.q.as_deref()).await?))
}

/// Create a user (administrators).
#[utoipa::path(post, path = "/users", tag = "users", request_body = CreateUserRequest,
    responses((status = 201, body = User), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_user(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(req): ApiJson<CreateUserRequest>,
) -> ApiResult<Response> {
    let u = state.services().create_user(&user.actor, req).await?;
    Ok(with_etag(StatusCode::CREATED, u.version, u))
}

/// One user.
#[utoipa::path(get, path = "/users/{id}", tag = "users", params(("id" = Uuid, Path)),
    responses((status = 200, body = User), (status = 404, body = Problem)))]
pub async fn get_user(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    let u = state.services().get_user(&user.actor, id).await?;
    Ok(with_etag(StatusCode::OK, u.version, u))
}

/// Change a user. Administrators change anyone; users change their own name, locale and time
/// zone. Send `If-Match: "<version>"` to refuse the change if someone changed the user first.
#[utoipa::path(patch, path = "/users/{id}", tag = "users", params(("id" = Uuid, Path)), request_body = UpdateUserRequest,
    responses((status = 200, body = User), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn update_user(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
    ApiJson(req): ApiJson<UpdateUserRequest>,
) -> ApiResult<Response> {
    let u = state.services().update_user(&user.actor, id, req, if_match).await?;
    Ok(with_etag(StatusCode::OK, u.version, u))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ResetPasswordRequest {
    pub password: String,
}

/// Set another user's password (administrators). Signs that user out everywhere.
#[utoipa::path(post, path = "/users/{id}/password", tag = "users", params(("id" = Uuid, Path)), request_body = ResetPasswordRequest,
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn reset_password(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(req): ApiJson<ResetPasswordRequest>,
) -> ApiResult<StatusCode> {
    state.services().reset_password(&user.actor, id, &req.password).await?;
    Ok(StatusCode::NO_CONTENT)
}
