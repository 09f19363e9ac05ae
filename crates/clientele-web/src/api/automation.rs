//! Automation (issue 7): rules with their versions, runs and dry runs; distribution
//! policies; the domain events feed; job schedules.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use clientele_core::Error;
use clientele_core::authz::{Action, Area, check_area};
use clientele_core::domain::automation::{DomainEvent, EventQuery, JobSchedule};
use clientele_core::domain::distribution::Policy;
use clientele_core::domain::rule::{Rule, RuleRun, RuleVersion};
use clientele_core::service::automation_code::{AutomationDocument, ImportOutcome};
use clientele_core::service::rules::{DryRun, PolicyInput, RuleInput};
use serde::Deserialize;
use uuid::Uuid;

use super::with_etag;
use crate::auth::ApiUser;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, IfMatch};
use crate::state::AppState;

/// Automation rules (administrators), by name.
#[utoipa::path(get, path = "/automations", tag = "automations",
    responses((status = 200, body = Vec<Rule>), (status = 403, body = Problem)))]
pub async fn list_rules(State(state): State<AppState>, ApiUser(u): ApiUser) -> ApiResult<Json<Vec<Rule>>> {
    Ok(Json(state.services().list_rules(&u.actor).await?))
}

/// Create a rule: `trigger` (an event such as `deal.stage_entered`, or a time condition:
/// `stage_time_exceeded`, `task_overdue`, `date_approaching`, `schedule`) → `conditions`
/// (`all` / `any` / `not` of field comparisons) → ordered `actions`. Every bad field is
/// named by its path (`actions[1].title`).
#[utoipa::path(post, path = "/automations", tag = "automations", request_body = RuleInput,
    responses((status = 201, body = Rule), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_rule(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(input): ApiJson<RuleInput>,
) -> ApiResult<Response> {
    let r = state.services().create_rule(&u.actor, input).await?;
    Ok(with_etag(StatusCode::CREATED, r.version, r))
}

#[utoipa::path(get, path = "/automations/{id}", tag = "automations", params(("id" = Uuid, Path)),
    responses((status = 200, body = Rule), (status = 404, body = Problem)))]
pub async fn get_rule(State(state): State<AppState>, ApiUser(u): ApiUser, Path(id): Path<Uuid>) -> ApiResult<Response> {
    let r = state.services().get_rule(&u.actor, id).await?;
    Ok(with_etag(StatusCode::OK, r.version, r))
}

/// Change a rule (fields left out keep their value; `If-Match`); each change is a new version.
#[utoipa::path(put, path = "/automations/{id}", tag = "automations", params(("id" = Uuid, Path)), request_body = RuleInput,
    responses((status = 200, body = Rule), (status = 404, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn update_rule(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
    ApiJson(input): ApiJson<RuleInput>,
) -> ApiResult<Response> {
    let r = state.services().update_rule(&u.actor, id, input, if_match).await?;
    Ok(with_etag(StatusCode::OK, r.version, r))
}

#[utoipa::path(delete, path = "/automations/{id}", tag = "automations", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete_rule(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    state.services().delete_rule(&u.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every saved version of a rule, newest first.
#[utoipa::path(get, path = "/automations/{id}/versions", tag = "automations", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<RuleVersion>), (status = 404, body = Problem)))]
pub async fn rule_versions(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Vec<RuleVersion>>> {
    Ok(Json(state.services().rule_versions(&u.actor, id).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RunsQuery {
    /// Only runs on this record (with `entity_id`): deal, lead, contact, company or task.
    pub entity_type: Option<String>,
    pub entity_id: Option<Uuid>,
    pub limit: Option<u32>,
}

/// What a rule did, per record, newest first.
#[utoipa::path(get, path = "/automations/{id}/runs", tag = "automations", params(("id" = Uuid, Path), RunsQuery),
    responses((status = 200, body = Vec<RuleRun>), (status = 404, body = Problem)))]
pub async fn rule_runs(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    Query(q): Query<RunsQuery>,
) -> ApiResult<Json<Vec<RuleRun>>> {
    state.services().get_rule(&u.actor, id).await?;
    let entity = q.entity_type.as_deref().zip(q.entity_id);
    Ok(Json(state.services().rule_runs(&u.actor, Some(id), entity, q.limit).await?))
}

/// Runs of every rule on one record (`entity_type` and `entity_id` required).
#[utoipa::path(get, path = "/automation-runs", tag = "automations", params(RunsQuery),
    responses((status = 200, body = Vec<RuleRun>), (status = 422, body = Problem)))]
pub async fn record_runs(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(q): Query<RunsQuery>,
) -> ApiResult<Json<Vec<RuleRun>>> {
    let (Some(t), Some(id)) = (q.entity_type.as_deref(), q.entity_id) else {
        return Err(Error::invalid("entity_id", "entity_type and entity_id are required").into());
    };
    Ok(Json(state.services().rule_runs(&u.actor, None, Some((t, id)), q.limit).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DryRunQuery {
    /// How many records to look at (default 50).
    pub limit: Option<u32>,
}

/// What the rule would do to existing records now; nothing is changed or logged.
#[utoipa::path(post, path = "/automations/{id}/dry-run", tag = "automations", params(("id" = Uuid, Path), DryRunQuery),
    responses((status = 200, body = DryRun), (status = 404, body = Problem)))]
pub async fn dry_run(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    Query(q): Query<DryRunQuery>,
) -> ApiResult<Json<DryRun>> {
    Ok(Json(state.services().dry_run(&u.actor, id, q.limit).await?))
}

/// Lead distribution policies (administrators).
#[utoipa::path(get, path = "/distribution-policies", tag = "automations",
    responses((status = 200, body = Vec<Policy>), (status = 403, body = Problem)))]
pub async fn list_policies(State(state): State<AppState>, ApiUser(u): ApiUser) -> ApiResult<Json<Vec<Policy>>> {
    Ok(Json(state.services().list_policies(&u.actor).await?))
}

/// Create a policy, or replace the one with the same name: `strategy` (round_robin,
/// least_loaded, weighted), `members` (user, tier, weight, daily cap, absence),
/// `hot_to_top_tier`, `working_hours`.
#[utoipa::path(post, path = "/distribution-policies", tag = "automations", request_body = PolicyInput,
    responses((status = 200, body = Policy), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn save_policy(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(input): ApiJson<PolicyInput>,
) -> ApiResult<Json<Policy>> {
    Ok(Json(state.services().save_policy(&u.actor, input).await?))
}

#[utoipa::path(delete, path = "/distribution-policies/{id}", tag = "automations", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete_policy(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    state.services().delete_policy(&u.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct EventsQuery {
    /// `deal.stage_entered`, `lead.created`, ...
    #[serde(rename = "type")]
    pub event_type: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<Uuid>,
    /// Events older than this event id (the next page).
    pub before: Option<Uuid>,
    pub limit: Option<u32>,
}

/// Domain events (administrators), newest first: the outbox rules and webhooks run from.
#[utoipa::path(get, path = "/events", tag = "automations", params(EventsQuery),
    responses((status = 200, body = Vec<DomainEvent>), (status = 403, body = Problem)))]
pub async fn list_events(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(q): Query<EventsQuery>,
) -> ApiResult<Json<Vec<DomainEvent>>> {
    check_area(&u.actor, Area::Settings, Action::Read)?;
    let q = EventQuery {
        event_type: q.event_type,
        entity_type: q.entity_type,
        entity_id: q.entity_id,
        before: q.before,
        limit: q.limit.unwrap_or(50).clamp(1, 500),
    };
    Ok(Json(state.services().store().list_events(&q).await?))
}

/// Cron-like job schedules (administrators).
#[utoipa::path(get, path = "/job-schedules", tag = "jobs",
    responses((status = 200, body = Vec<JobSchedule>), (status = 403, body = Problem)))]
pub async fn list_schedules(State(state): State<AppState>, ApiUser(u): ApiUser) -> ApiResult<Response> {
    Ok(Json(state.services().list_schedules(&u.actor).await?).into_response())
}

/// Rules and distribution policies as one versioned JSON document (automation as code).
#[utoipa::path(get, path = "/automations/export", tag = "automations",
    responses((status = 200, body = AutomationDocument), (status = 403, body = Problem)))]
pub async fn export_automation(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
) -> ApiResult<Json<AutomationDocument>> {
    Ok(Json(state.services().export_automation(&u.actor).await?))
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ImportAnswer {
    pub rules: ImportOutcome,
    pub policies: ImportOutcome,
}

/// Import a document made by the export: policies, then rules, matched by name (a changed
/// rule gets a new version). Problems are named by path (`rules[1].actions[0].title`).
#[utoipa::path(post, path = "/automations/import", tag = "automations", request_body = AutomationDocument,
    responses((status = 200, body = ImportAnswer), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn import_automation(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(doc): ApiJson<serde_json::Value>,
) -> ApiResult<Json<ImportAnswer>> {
    let (rules, policies) = state.services().import_automation(&u.actor, doc).await?;
    Ok(Json(ImportAnswer { rules, policies }))
}
