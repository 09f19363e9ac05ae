use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use clientele_core::domain::auth::ApiToken;
use clientele_core::service::{CreateTokenRequest, CreatedToken};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::ApiUser;
use crate::error::{ApiResult, Problem};
use crate::extract::ApiJson;
use crate::state::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenList {
    pub data: Vec<ApiToken>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct TokenQuery {
    /// Administrators: list every user's tokens.
    #[serde(default)]
    pub all: bool,
}

/// Your API tokens (never their secrets).
#[utoipa::path(get, path = "/tokens", tag = "tokens", params(TokenQuery),
    responses((status = 200, body = TokenList), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Query(q): Query<TokenQuery>,
) -> ApiResult<Json<TokenList>> {
    Ok(Json(TokenList { data: state.services().list_tokens(&user.actor, q.all).await? }))
}

/// Create an API token for yourself. The secret is in this response only.
#[utoipa::path(post, path = "/tokens", tag = "tokens", request_body = CreateTokenRequest,
    responses((status = 201, body = CreatedToken), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_token(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(req): ApiJson<CreateTokenRequest>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    Ok((StatusCode::CREATED, Json(state.services().create_token(&user.actor, req).await?)))
}

/// Revoke a token (yours, or anyone's for administrators). It stops working at once.
#[utoipa::path(delete, path = "/tokens/{id}", tag = "tokens", params(("id" = Uuid, Path)),
    responses((status = 200, body = ApiToken), (status = 404, body = Problem)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ApiToken>> {
    Ok(Json(state.services().revoke_token(&user.actor, id).await?))
}
