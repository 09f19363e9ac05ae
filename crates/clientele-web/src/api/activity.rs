//! Activities, comments, a record's timeline, the events feed and notification preferences.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use clientele_core::Error;
use clientele_core::domain::activity::{Activity, ActivityInput};
use clientele_core::domain::task::{Related, RelatedType};
use clientele_core::service::{
    ActivityListRequest, ActivityPage, CommentRequest, CommentView, FeedPage, FeedRequest, NotificationPreferences,
    Timeline, TimelineRequest,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::with_etag;
use crate::auth::ApiUser;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, IfMatch};
use crate::state::AppState;

/// A record's activities (`related_type` and `related_id`; a contact's and a company's
/// include those of their deals), or those logged by the people your role reaches.
#[utoipa::path(get, path = "/activities", tag = "activities", params(ActivityListRequest),
    responses((status = 200, body = ActivityPage), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn list_activities(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(q): Query<ActivityListRequest>,
) -> ApiResult<Json<ActivityPage>> {
    Ok(Json(state.services().list_activities(&u.actor, &q).await?))
}

/// Log a call (direction, result, duration, recording link), meeting, e-mail, message or note
/// against a contact, company, deal or lead. Moves the client's `last_contacted_at` forward
/// (notes excepted).
#[utoipa::path(post, path = "/activities", tag = "activities", request_body = ActivityInput,
    responses((status = 201, body = Activity), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn log_activity(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(input): ApiJson<ActivityInput>,
) -> ApiResult<Response> {
    let a = state.services().log_activity(&u.actor, input).await?;
    Ok(with_etag(StatusCode::CREATED, a.version, a))
}

#[utoipa::path(get, path = "/activities/{id}", tag = "activities", params(("id" = Uuid, Path)),
    responses((status = 200, body = Activity), (status = 404, body = Problem)))]
pub async fn get_activity(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    let a = state.services().get_activity(&u.actor, id).await?;
    Ok(with_etag(StatusCode::OK, a.version, a))
}

/// Change an activity (who logged it, or their head; `If-Match`).
#[utoipa::path(patch, path = "/activities/{id}", tag = "activities", params(("id" = Uuid, Path)), request_body = ActivityInput,
    responses((status = 200, body = Activity), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn update_activity(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
    ApiJson(patch): ApiJson<Map<String, Value>>,
) -> ApiResult<Response> {
    let a = state.services().update_activity(&u.actor, id, patch, if_match).await?;
    Ok(with_etag(StatusCode::OK, a.version, a))
}

#[utoipa::path(delete, path = "/activities/{id}", tag = "activities", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 412, body = Problem)))]
pub async fn delete_activity(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
) -> ApiResult<StatusCode> {
    state.services().delete_activity(&u.actor, id, if_match).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct CommentQuery {
    pub related_type: String,
    pub related_id: Uuid,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CommentPage {
    pub data: Vec<CommentView>,
    pub next_cursor: Option<String>,
}

fn related(kind: &str, id: Uuid) -> Result<Related, Error> {
    RelatedType::parse(kind)
        .map(|kind| Related { kind, id })
        .ok_or_else(|| Error::invalid("related_type", format!("must be one of {}", RelatedType::list())))
}

/// A record's comments, newest first, each with its text rendered as safe HTML.
#[utoipa::path(get, path = "/comments", tag = "comments", params(CommentQuery),
    responses((status = 200, body = CommentPage), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn list_comments(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(q): Query<CommentQuery>,
) -> ApiResult<Json<CommentPage>> {
    let r = related(&q.related_type, q.related_id)?;
    let (data, next_cursor) = state.services().list_comments(&u.actor, r, q.limit, q.cursor.as_deref()).await?;
    Ok(Json(CommentPage { data, next_cursor }))
}

/// Comment on a record. `@anna` mentions the colleague whose e-mail is `anna@…` (or write the
/// whole address); mentioned colleagues who can open the record are notified.
#[utoipa::path(post, path = "/comments", tag = "comments", request_body = CommentRequest,
    responses((status = 201, body = CommentView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn add_comment(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(req): ApiJson<CommentRequest>,
) -> ApiResult<Response> {
    let c = state.services().add_comment(&u.actor, req).await?;
    Ok(with_etag(StatusCode::CREATED, c.comment.version, c))
}

/// Change your comment's text.
#[utoipa::path(patch, path = "/comments/{id}", tag = "comments", params(("id" = Uuid, Path)), request_body = CommentRequest,
    responses((status = 200, body = CommentView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 412, body = Problem)))]
pub async fn update_comment(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
    ApiJson(req): ApiJson<CommentRequest>,
) -> ApiResult<Response> {
    let c = state.services().update_comment(&u.actor, id, req, if_match).await?;
    Ok(with_etag(StatusCode::OK, c.comment.version, c))
}

/// Delete your comment (administrators delete any).
#[utoipa::path(delete, path = "/comments/{id}", tag = "comments", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete_comment(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
) -> ApiResult<StatusCode> {
    state.services().delete_comment(&u.actor, id, if_match).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A record's one timeline, newest first: activities, tasks, comments, stage moves and field
/// changes; `types` filters, keyset pages.
#[utoipa::path(get, path = "/timeline/{type}/{id}", tag = "activities",
    params(("type" = String, Path, description = "contact, company, deal or lead"), ("id" = Uuid, Path), TimelineRequest),
    responses((status = 200, body = Timeline), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn timeline(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path((kind, id)): Path<(String, Uuid)>,
    Query(q): Query<TimelineRequest>,
) -> ApiResult<Json<Timeline>> {
    Ok(Json(state.services().timeline(&u.actor, related(&kind, id)?, &q).await?))
}

/// The events feed (administrators and heads of sales): everything that changed in a period,
/// by person and record type, newest first.
#[utoipa::path(get, path = "/feed", tag = "feed", params(FeedRequest),
    responses((status = 200, body = FeedPage), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn feed(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(q): Query<FeedRequest>,
) -> ApiResult<Json<FeedPage>> {
    Ok(Json(state.services().feed(&u.actor, &q).await?))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UnreadCount {
    pub unread: i64,
}

/// How many of your notifications are unread (what the bell shows).
#[utoipa::path(get, path = "/notifications/unread", tag = "notifications", responses((status = 200, body = UnreadCount)))]
pub async fn unread(State(state): State<AppState>, ApiUser(u): ApiUser) -> ApiResult<Json<UnreadCount>> {
    Ok(Json(UnreadCount { unread: state.services().unread_count(&u.actor).await? }))
}

/// Which kinds of notification you get in the app (and, later, by e-mail).
#[utoipa::path(get, path = "/notifications/preferences", tag = "notifications",
    responses((status = 200, body = NotificationPreferences)))]
pub async fn preferences(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
) -> ApiResult<Json<NotificationPreferences>> {
    Ok(Json(state.services().notification_preferences(&u.actor).await?))
}

/// Change your notification preferences (kinds not listed keep theirs).
#[utoipa::path(put, path = "/notifications/preferences", tag = "notifications", request_body = NotificationPreferences,
    responses((status = 200, body = NotificationPreferences), (status = 422, body = Problem)))]
pub async fn set_preferences(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(req): ApiJson<NotificationPreferences>,
) -> ApiResult<Json<NotificationPreferences>> {
    Ok(Json(state.services().set_notification_preferences(&u.actor, req).await?))
}
