//! Custom fields, saved views and notifications.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use clientele_core::domain::custom_field::CustomFieldDef;
use clientele_core::service::{CreateFieldRequest, UpdateFieldRequest, ViewRequest};
use clientele_core::store::{Notification, SavedView};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::with_etag;
use crate::auth::ApiUser;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, IfMatch};
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct EntityQuery {
    /// `contact` or `company`.
    pub entity: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FieldList {
    pub data: Vec<CustomFieldDef>,
}

/// Custom field definitions.
#[utoipa::path(get, path = "/custom-fields", tag = "custom-fields", params(EntityQuery), responses((status = 200, body = FieldList)))]
pub async fn list_fields(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(q): Query<EntityQuery>,
) -> ApiResult<Json<FieldList>> {
    Ok(Json(FieldList { data: state.services().list_custom_fields(&u.actor, q.entity.as_deref()).await? }))
}

/// Add a custom field (administrators).
#[utoipa::path(post, path = "/custom-fields", tag = "custom-fields", request_body = CreateFieldRequest,
    responses((status = 201, body = CustomFieldDef), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_field(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(req): ApiJson<CreateFieldRequest>,
) -> ApiResult<Response> {
    let d = state.services().create_custom_field(&u.actor, req).await?;
    Ok(with_etag(StatusCode::CREATED, d.version, d))
}

/// Change a custom field's label, choices, required flag or position (administrators).
#[utoipa::path(patch, path = "/custom-fields/{id}", tag = "custom-fields", params(("id" = Uuid, Path)), request_body = UpdateFieldRequest,
    responses((status = 200, body = CustomFieldDef), (status = 403, body = Problem), (status = 404, body = Problem), (status = 412, body = Problem)))]
pub async fn update_field(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
    ApiJson(req): ApiJson<UpdateFieldRequest>,
) -> ApiResult<Response> {
    let d = state.services().update_custom_field(&u.actor, id, req, if_match).await?;
    Ok(with_etag(StatusCode::OK, d.version, d))
}

/// Delete a custom field definition (administrators).
#[utoipa::path(delete, path = "/custom-fields/{id}", tag = "custom-fields", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete_field(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    state.services().delete_custom_field(&u.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ViewList {
    pub data: Vec<SavedView>,
}

/// Your views and the shared ones.
#[utoipa::path(get, path = "/views", tag = "views", params(EntityQuery), responses((status = 200, body = ViewList)))]
pub async fn list_views(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(q): Query<EntityQuery>,
) -> ApiResult<Json<ViewList>> {
    let entity = q.entity.unwrap_or_else(|| "contact".into());
    Ok(Json(ViewList { data: state.services().list_views(&u.actor, &entity).await? }))
}

/// Save a view: a filter, columns and sort, private or shared.
#[utoipa::path(post, path = "/views", tag = "views", request_body = ViewRequest,
    responses((status = 201, body = SavedView), (status = 422, body = Problem)))]
pub async fn create_view(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(req): ApiJson<ViewRequest>,
) -> ApiResult<Response> {
    let v = state.services().create_view(&u.actor, req).await?;
    Ok(with_etag(StatusCode::CREATED, v.version, v))
}

/// One view.
#[utoipa::path(get, path = "/views/{id}", tag = "views", params(("id" = Uuid, Path)),
    responses((status = 200, body = SavedView), (status = 404, body = Problem)))]
pub async fn get_view(State(state): State<AppState>, ApiUser(u): ApiUser, Path(id): Path<Uuid>) -> ApiResult<Response> {
    let v = state.services().get_view(&u.actor, id).await?;
    Ok(with_etag(StatusCode::OK, v.version, v))
}

/// Replace a view (its author or an administrator).
#[utoipa::path(patch, path = "/views/{id}", tag = "views", params(("id" = Uuid, Path)), request_body = ViewRequest,
    responses((status = 200, body = SavedView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 412, body = Problem)))]
pub async fn update_view(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
    ApiJson(req): ApiJson<ViewRequest>,
) -> ApiResult<Response> {
    let v = state.services().update_view(&u.actor, id, req, if_match).await?;
    Ok(with_etag(StatusCode::OK, v.version, v))
}

/// Delete a view (its author or an administrator).
#[utoipa::path(delete, path = "/views/{id}", tag = "views", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete_view(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    state.services().delete_view(&u.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct NotificationQuery {
    #[serde(default)]
    pub unread: bool,
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NotificationList {
    pub data: Vec<Notification>,
    pub unread: i64,
}

/// Your notifications, newest first, with the unread count.
#[utoipa::path(get, path = "/notifications", tag = "notifications", params(NotificationQuery), responses((status = 200, body = NotificationList)))]
pub async fn list_notifications(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(q): Query<NotificationQuery>,
) -> ApiResult<Json<NotificationList>> {
    let s = state.services();
    Ok(Json(NotificationList {
        data: s.notifications(&u.actor, q.unread, q.limit.unwrap_or(50)).await?,
        unread: s.unread_count(&u.actor).await?,
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct MarkRead {
    /// Empty or absent: all.
    #[serde(default)]
    pub ids: Vec<Uuid>,
}

/// Mark notifications read.
#[utoipa::path(post, path = "/notifications/read", tag = "notifications", request_body = MarkRead, responses((status = 204)))]
pub async fn mark_read(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(req): ApiJson<MarkRead>,
) -> ApiResult<StatusCode> {
    state.services().mark_read(&u.actor, &req.ids).await?;
    Ok(StatusCode::NO_CONTENT)
}
