use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use clientele_core::domain::team::Team;
use clientele_core::service::{CreateTeamRequest, UpdateTeamRequest};
use serde::Serialize;
use uuid::Uuid;

use super::with_etag;
use crate::auth::ApiUser;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, IfMatch};
use crate::state::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct TeamList {
    pub data: Vec<Team>,
}

/// All teams (a small list; not paged).
#[utoipa::path(get, path = "/teams", tag = "teams", responses((status = 200, body = TeamList), (status = 401, body = Problem)))]
pub async fn list_teams(State(state): State<AppState>, ApiUser(user): ApiUser) -> ApiResult<Json<TeamList>> {
    Ok(Json(TeamList { data: state.services().list_teams(&user.actor).await? }))
}

/// Create a team (administrators).
#[utoipa::path(post, path = "/teams", tag = "teams", request_body = CreateTeamRequest,
    responses((status = 201, body = Team), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_team(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(req): ApiJson<CreateTeamRequest>,
) -> ApiResult<Response> {
    let t = state.services().create_team(&user.actor, req).await?;
    Ok(with_etag(StatusCode::CREATED, t.version, t))
}

/// One team.
#[utoipa::path(get, path = "/teams/{id}", tag = "teams", params(("id" = Uuid, Path)),
    responses((status = 200, body = Team), (status = 404, body = Problem)))]
pub async fn get_team(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    let t = state.services().get_team(&user.actor, id).await?;
    Ok(with_etag(StatusCode::OK, t.version, t))
}

/// Rename a team or move it under another (administrators).
#[utoipa::path(patch, path = "/teams/{id}", tag = "teams", params(("id" = Uuid, Path)), request_body = UpdateTeamRequest,
    responses((status = 200, body = Team), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn update_team(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
    ApiJson(req): ApiJson<UpdateTeamRequest>,
) -> ApiResult<Response> {
    let t = state.services().update_team(&user.actor, id, req, if_match).await?;
    Ok(with_etag(StatusCode::OK, t.version, t))
}

/// Delete an empty team (administrators).
#[utoipa::path(delete, path = "/teams/{id}", tag = "teams", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 412, body = Problem)))]
pub async fn delete_team(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
) -> ApiResult<StatusCode> {
    state.services().delete_team(&user.actor, id, if_match).await?;
    Ok(StatusCode::NO_CONTENT)
}
