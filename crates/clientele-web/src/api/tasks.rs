//! Tasks, group tasks, the calendar and its iCalendar feed.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use clientele_core::domain::page::Page;
use clientele_core::domain::task::{TaskGroup, TaskInput};
use clientele_core::service::{
    CalendarRequest, CalendarView, CompleteRequest, Completed, CreatedFeed, GroupTaskRequest, GroupView,
    TaskListRequest, TaskView,
};
use clientele_core::store::CalendarFeed;
use serde::Deserialize;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::with_etag;
use crate::auth::ApiUser;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, IfMatch};
use crate::state::AppState;

/// List tasks you can see: yours (assigned to you or by you), and those of the people your
/// role reaches. Filters: `mine`, `assignee_id`, `team_id`, `status`, `kind`, `overdue`,
/// `due_from` / `due_to`, a related record, a group task; keyset pages sorted by `due_at`.
#[utoipa::path(get, path = "/tasks", tag = "tasks", params(TaskListRequest),
    responses((status = 200, body = Page<TaskView>), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn list_tasks(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(q): Query<TaskListRequest>,
) -> ApiResult<Json<Page<TaskView>>> {
    Ok(Json(state.services().list_tasks(&u.actor, &q).await?))
}

/// Create a task. `due_at` without an offset is a wall-clock time in `time_zone` (default:
/// the assignee's); assigning it to a colleague notifies them.
#[utoipa::path(post, path = "/tasks", tag = "tasks", request_body = TaskInput,
    responses((status = 201, body = TaskView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_task(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(input): ApiJson<TaskInput>,
) -> ApiResult<Response> {
    let t = state.services().create_task(&u.actor, input).await?;
    Ok(with_etag(StatusCode::CREATED, t.task.version, t))
}

#[utoipa::path(get, path = "/tasks/{id}", tag = "tasks", params(("id" = Uuid, Path)),
    responses((status = 200, body = TaskView), (status = 404, body = Problem)))]
pub async fn get_task(State(state): State<AppState>, ApiUser(u): ApiUser, Path(id): Path<Uuid>) -> ApiResult<Response> {
    let t = state.services().get_task(&u.actor, id).await?;
    Ok(with_etag(StatusCode::OK, t.task.version, t))
}

/// Change a task (JSON merge of top-level fields, `If-Match`). A new due time queues new
/// reminders; a new assignee is notified. The status changes through complete, cancel, reopen.
#[utoipa::path(patch, path = "/tasks/{id}", tag = "tasks", params(("id" = Uuid, Path)), request_body = TaskInput,
    responses((status = 200, body = TaskView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn update_task(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
    ApiJson(patch): ApiJson<Map<String, Value>>,
) -> ApiResult<Response> {
    let t = state.services().update_task(&u.actor, id, patch, if_match).await?;
    Ok(with_etag(StatusCode::OK, t.task.version, t))
}

/// Delete a task (soft).
#[utoipa::path(delete, path = "/tasks/{id}", tag = "tasks", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 412, body = Problem)))]
pub async fn delete_task(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
) -> ApiResult<StatusCode> {
    state.services().delete_task(&u.actor, id, if_match).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Mark a task done with a result note. For a recurring task the answer carries the next
/// occurrence, made in the same transaction.
#[utoipa::path(post, path = "/tasks/{id}/complete", tag = "tasks", params(("id" = Uuid, Path)), request_body = CompleteRequest,
    responses((status = 200, body = Completed), (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem)))]
pub async fn complete_task(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
    ApiJson(req): ApiJson<CompleteRequest>,
) -> ApiResult<Json<Completed>> {
    Ok(Json(state.services().complete_task(&u.actor, id, req, if_match).await?))
}

/// Cancel a task (a recurring one's next occurrence follows, as on completion).
#[utoipa::path(post, path = "/tasks/{id}/cancel", tag = "tasks", params(("id" = Uuid, Path)), request_body = CompleteRequest,
    responses((status = 200, body = Completed), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn cancel_task(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
    ApiJson(req): ApiJson<CompleteRequest>,
) -> ApiResult<Json<Completed>> {
    Ok(Json(state.services().cancel_task(&u.actor, id, req, if_match).await?))
}

/// Open a done or cancelled task again.
#[utoipa::path(post, path = "/tasks/{id}/reopen", tag = "tasks", params(("id" = Uuid, Path)),
    responses((status = 200, body = TaskView), (status = 404, body = Problem), (status = 412, body = Problem)))]
pub async fn reopen_task(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
) -> ApiResult<Response> {
    let t = state.services().reopen_task(&u.actor, id, if_match).await?;
    Ok(with_etag(StatusCode::OK, t.task.version, t))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleRequest {
    /// The new start: a wall-clock time in your zone (`2026-03-02T10:30`), RFC 3339, or for an
    /// all-day task a date.
    pub due_at: String,
}

/// Move a task to a new time (the calendar's drag and drop).
#[utoipa::path(post, path = "/tasks/{id}/reschedule", tag = "tasks", params(("id" = Uuid, Path)), request_body = RescheduleRequest,
    responses((status = 200, body = TaskView), (status = 404, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn reschedule_task(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
    ApiJson(req): ApiJson<RescheduleRequest>,
) -> ApiResult<Response> {
    let t = state.services().reschedule_task(&u.actor, id, &req.due_at, if_match).await?;
    Ok(with_etag(StatusCode::OK, t.task.version, t))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactDone {
    pub done: bool,
}

/// Tick a contact of a task's list (group tasks) done, or not done.
#[utoipa::path(put, path = "/tasks/{id}/contacts/{contact_id}", tag = "tasks",
    params(("id" = Uuid, Path), ("contact_id" = Uuid, Path)), request_body = ContactDone,
    responses((status = 200, body = TaskView), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn mark_contact(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path((id, contact_id)): Path<(Uuid, Uuid)>,
    ApiJson(req): ApiJson<ContactDone>,
) -> ApiResult<Response> {
    let t = state.services().mark_task_contact(&u.actor, id, contact_id, req.done).await?;
    Ok(with_etag(StatusCode::OK, t.task.version, t))
}

/// Group tasks you created.
#[utoipa::path(get, path = "/task-groups", tag = "tasks", responses((status = 200, body = Vec<TaskGroup>)))]
pub async fn list_task_groups(State(state): State<AppState>, ApiUser(u): ApiUser) -> ApiResult<Json<Vec<TaskGroup>>> {
    Ok(Json(state.services().list_task_groups(&u.actor).await?))
}

/// Hand one task to many people at once (a campaign): each gets a copy with the script, the
/// templates and the contact list (all of it, or a share with `split_contacts`).
#[utoipa::path(post, path = "/task-groups", tag = "tasks", request_body = GroupTaskRequest,
    responses((status = 201, body = GroupView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_task_group(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(req): ApiJson<GroupTaskRequest>,
) -> ApiResult<Response> {
    let g = state.services().create_task_group(&u.actor, req).await?;
    Ok(with_etag(StatusCode::CREATED, g.group.version, g))
}

/// A group task with the progress of every copy.
#[utoipa::path(get, path = "/task-groups/{id}", tag = "tasks", params(("id" = Uuid, Path)),
    responses((status = 200, body = GroupView), (status = 404, body = Problem)))]
pub async fn get_task_group(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<GroupView>> {
    Ok(Json(state.services().get_task_group(&u.actor, id).await?))
}

/// The calendar of a day, week or month: your tasks, a colleague's or a team's, in your zone,
/// with the coming occurrences of recurring tasks.
#[utoipa::path(get, path = "/calendar", tag = "calendar", params(CalendarRequest),
    responses((status = 200, body = CalendarView), (status = 422, body = Problem)))]
pub async fn calendar(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(q): Query<CalendarRequest>,
) -> ApiResult<Json<CalendarView>> {
    Ok(Json(state.services().calendar(&u.actor, &q).await?))
}

/// Your calendar feed URLs (the tokens themselves are never shown again).
#[utoipa::path(get, path = "/calendar/feeds", tag = "calendar", responses((status = 200, body = Vec<CalendarFeed>)))]
pub async fn list_feeds(State(state): State<AppState>, ApiUser(u): ApiUser) -> ApiResult<Json<Vec<CalendarFeed>>> {
    Ok(Json(state.services().calendar_feeds(&u.actor).await?))
}

/// A new private iCalendar feed URL of your tasks, for Google, Outlook or Apple calendars.
/// Shown once; anyone with the URL sees your tasks, so revoke it when it leaks.
#[utoipa::path(post, path = "/calendar/feeds", tag = "calendar", responses((status = 201, body = CreatedFeed)))]
pub async fn create_feed(State(state): State<AppState>, ApiUser(u): ApiUser) -> ApiResult<Response> {
    let f = state.services().create_calendar_feed(&u.actor).await?;
    Ok((StatusCode::CREATED, Json(f)).into_response())
}

/// Revoke a calendar feed URL.
#[utoipa::path(delete, path = "/calendar/feeds/{id}", tag = "calendar", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn revoke_feed(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    state.services().revoke_calendar_feed(&u.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The iCalendar (RFC 5545) document of a feed: no sign-in, the token in the URL is the key.
#[utoipa::path(get, path = "/calendar/feed/{token}", tag = "calendar", params(("token" = String, Path, description = "`cal_….ics`")),
    security(()), responses((status = 200, content_type = "text/calendar", body = String), (status = 404, body = Problem)))]
pub async fn feed_ics(State(state): State<AppState>, Path(token): Path<String>) -> ApiResult<Response> {
    match state.services().calendar_ics(&token).await? {
        Some(doc) => {
            let mut r = doc.into_response();
            let h = r.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/calendar; charset=utf-8"));
            h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("inline; filename=\"clientele.ics\""));
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=300"));
            Ok(r)
        }
        None => Err(clientele_core::Error::NotFound("calendar feed").into()),
    }
}
