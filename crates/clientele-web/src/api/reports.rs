//! Standard reports as JSON (for the dashboards and for BI tools), sales plans and channel
//! costs. Every report covers only what the caller may read.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use clientele_core::domain::dashboard::Dashboard;
use clientele_core::domain::report::{ChannelCost, SalesPlan};
use clientele_core::service::{
    AbcXyzReport, ActivityReport, ChurnReport, CostInput, DailyReport, DashboardData, DashboardInput, FunnelReport,
    PlanFactReport, PlanInput, ReportParams, SalesDynamics, SalesReport, SegmentReport,
};
use serde::Serialize;
use uuid::Uuid;

use super::with_etag;
use crate::auth::ApiUser;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, IfMatch};
use crate::state::AppState;

/// The funnel of a pipeline (default: the first) for the cohort of deals created in the
/// period: entries, exits, reach and conversions per stage, durations, funnel length; with
/// `slice`, the same per segment.
#[utoipa::path(get, path = "/reports/funnel", tag = "reports", params(ReportParams),
    responses((status = 200, body = FunnelReport), (status = 422, body = Problem)))]
pub async fn funnel(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(p): Query<ReportParams>,
) -> ApiResult<Json<FunnelReport>> {
    Ok(Json(state.services().funnel_report(&u.actor, &p).await?))
}

/// Sales of the period: revenue, average check, win and close rates, sales cycle, deals by
/// status, loss reasons, revenue and CAC by source, the weighted pipeline; the previous
/// period's headline figures.
#[utoipa::path(get, path = "/reports/sales", tag = "reports", params(ReportParams),
    responses((status = 200, body = SalesReport), (status = 422, body = Problem)))]
pub async fn sales(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(p): Query<ReportParams>,
) -> ApiResult<Json<SalesReport>> {
    Ok(Json(state.services().sales_report(&u.actor, &p).await?))
}

/// Won revenue, won and new deals per day, week or month, beside the previous period.
#[utoipa::path(get, path = "/reports/sales/dynamics", tag = "reports", params(ReportParams),
    responses((status = 200, body = SalesDynamics), (status = 422, body = Problem)))]
pub async fn dynamics(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(p): Query<ReportParams>,
) -> ApiResult<Json<SalesDynamics>> {
    Ok(Json(state.services().sales_dynamics(&u.actor, &p).await?))
}

/// Each manager's payments: planned for tomorrow, received today, planned this week.
#[utoipa::path(get, path = "/reports/managers/daily", tag = "reports", params(ReportParams),
    responses((status = 200, body = DailyReport), (status = 422, body = Problem)))]
pub async fn daily(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(p): Query<ReportParams>,
) -> ApiResult<Json<DailyReport>> {
    Ok(Json(state.services().daily_report(&u.actor, &p).await?))
}

/// Calls made and received (count and duration), e-mails, meetings, tasks done and overdue
/// per user.
#[utoipa::path(get, path = "/reports/managers/activity", tag = "reports", params(ReportParams),
    responses((status = 200, body = ActivityReport), (status = 422, body = Problem)))]
pub async fn activity(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(p): Query<ReportParams>,
) -> ApiResult<Json<ActivityReport>> {
    Ok(Json(state.services().activity_report(&u.actor, &p).await?))
}

/// Sales plans overlapping the period against their fact (amount, count, margin) and KPI %.
#[utoipa::path(get, path = "/reports/plan-fact", tag = "reports", params(ReportParams),
    responses((status = 200, body = PlanFactReport), (status = 422, body = Problem)))]
pub async fn plan_fact(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(p): Query<ReportParams>,
) -> ApiResult<Json<PlanFactReport>> {
    Ok(Json(state.services().plan_fact_report(&u.actor, &p).await?))
}

/// ABC/XYZ analysis of clients or products: the nine groups with counts, revenue and items.
#[utoipa::path(get, path = "/reports/abc-xyz", tag = "reports", params(ReportParams),
    responses((status = 200, body = AbcXyzReport), (status = 422, body = Problem)))]
pub async fn abc_xyz(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(p): Query<ReportParams>,
) -> ApiResult<Json<AbcXyzReport>> {
    Ok(Json(state.services().abc_xyz_report(&u.actor, &p).await?))
}

/// Churn rate against the previous period and the retention cost per kept client.
#[utoipa::path(get, path = "/reports/churn", tag = "reports", params(ReportParams),
    responses((status = 200, body = ChurnReport), (status = 422, body = Problem)))]
pub async fn churn(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(p): Query<ReportParams>,
) -> ApiResult<Json<ChurnReport>> {
    Ok(Json(state.services().churn_report(&u.actor, &p).await?))
}

/// Revenue, margin and conversion per segment (`slice`, default `source`).
#[utoipa::path(get, path = "/reports/segments", tag = "reports", params(ReportParams),
    responses((status = 200, body = SegmentReport), (status = 422, body = Problem)))]
pub async fn segments(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(p): Query<ReportParams>,
) -> ApiResult<Json<SegmentReport>> {
    Ok(Json(state.services().segment_report(&u.actor, &p).await?))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PlanList {
    pub data: Vec<SalesPlan>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CostList {
    pub data: Vec<ChannelCost>,
}

/// Sales plans (managers see their own).
#[utoipa::path(get, path = "/sales-plans", tag = "reports", responses((status = 200, body = PlanList)))]
pub async fn list_plans(State(state): State<AppState>, ApiUser(u): ApiUser) -> ApiResult<Json<PlanList>> {
    Ok(Json(PlanList { data: state.services().list_plans(&u.actor).await? }))
}

/// Enter a sales plan (administrators and heads of sales): for a manager (`user_id`), a team
/// (`team_id`) or everyone, with an amount, a deal count and/or a margin.
#[utoipa::path(post, path = "/sales-plans", tag = "reports", request_body = PlanInput,
    responses((status = 201, body = SalesPlan), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_plan(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(req): ApiJson<PlanInput>,
) -> ApiResult<Response> {
    let p = state.services().create_plan(&u.actor, req).await?;
    Ok(with_etag(StatusCode::CREATED, p.version, p))
}

/// Replace a sales plan (every field, as on creation).
#[utoipa::path(put, path = "/sales-plans/{id}", tag = "reports", params(("id" = Uuid, Path)), request_body = PlanInput,
    responses((status = 200, body = SalesPlan), (status = 403, body = Problem), (status = 404, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn update_plan(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
    ApiJson(req): ApiJson<PlanInput>,
) -> ApiResult<Response> {
    let p = state.services().update_plan(&u.actor, id, req, if_match).await?;
    Ok(with_etag(StatusCode::OK, p.version, p))
}

#[utoipa::path(delete, path = "/sales-plans/{id}", tag = "reports", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete_plan(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    state.services().delete_plan(&u.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Costs per channel and period (administrators and heads of sales).
#[utoipa::path(get, path = "/channel-costs", tag = "reports", responses((status = 200, body = CostList), (status = 403, body = Problem)))]
pub async fn list_costs(State(state): State<AppState>, ApiUser(u): ApiUser) -> ApiResult<Json<CostList>> {
    Ok(Json(CostList { data: state.services().list_costs(&u.actor).await? }))
}

/// Enter what a channel cost over a period: `acquisition` (for CAC) or `retention`.
#[utoipa::path(post, path = "/channel-costs", tag = "reports", request_body = CostInput,
    responses((status = 201, body = ChannelCost), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_cost(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(req): ApiJson<CostInput>,
) -> ApiResult<Response> {
    let c = state.services().create_cost(&u.actor, req).await?;
    Ok(with_etag(StatusCode::CREATED, c.version, c))
}

#[utoipa::path(put, path = "/channel-costs/{id}", tag = "reports", params(("id" = Uuid, Path)), request_body = CostInput,
    responses((status = 200, body = ChannelCost), (status = 403, body = Problem), (status = 404, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn update_cost(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
    ApiJson(req): ApiJson<CostInput>,
) -> ApiResult<Response> {
    let c = state.services().update_cost(&u.actor, id, req, if_match).await?;
    Ok(with_etag(StatusCode::OK, c.version, c))
}

#[utoipa::path(delete, path = "/channel-costs/{id}", tag = "reports", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete_cost(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    state.services().delete_cost(&u.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DashboardList {
    pub data: Vec<Dashboard>,
}

/// The built-in dashboards (`my-day`, `head-of-sales`), your own and the shared ones.
#[utoipa::path(get, path = "/dashboards", tag = "dashboards", responses((status = 200, body = DashboardList)))]
pub async fn list_dashboards(State(state): State<AppState>, ApiUser(u): ApiUser) -> ApiResult<Json<DashboardList>> {
    Ok(Json(DashboardList { data: state.services().list_dashboards(&u.actor).await? }))
}

/// Save a dashboard of widgets (private, or shared by administrators and heads of sales).
#[utoipa::path(post, path = "/dashboards", tag = "dashboards", request_body = DashboardInput,
    responses((status = 201, body = Dashboard), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_dashboard(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(req): ApiJson<DashboardInput>,
) -> ApiResult<Response> {
    let d = state.services().create_dashboard(&u.actor, req).await?;
    Ok(with_etag(StatusCode::CREATED, d.version, d))
}

#[utoipa::path(get, path = "/dashboards/{id}", tag = "dashboards", params(("id" = String, Path, description = "a dashboard id or `my-day` / `head-of-sales`")),
    responses((status = 200, body = Dashboard), (status = 404, body = Problem)))]
pub async fn get_dashboard(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let d = state.services().get_dashboard(&u.actor, &id).await?;
    Ok(with_etag(StatusCode::OK, d.version, d))
}

/// Replace a dashboard's name, sharing and widgets (its owner).
#[utoipa::path(put, path = "/dashboards/{id}", tag = "dashboards", params(("id" = String, Path)), request_body = DashboardInput,
    responses((status = 200, body = Dashboard), (status = 403, body = Problem), (status = 404, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn update_dashboard(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    IfMatch(if_match): IfMatch,
    ApiJson(req): ApiJson<DashboardInput>,
) -> ApiResult<Response> {
    let d = state.services().update_dashboard(&u.actor, &id, req, if_match).await?;
    Ok(with_etag(StatusCode::OK, d.version, d))
}

#[utoipa::path(delete, path = "/dashboards/{id}", tag = "dashboards", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete_dashboard(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.services().delete_dashboard(&u.actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every widget's figures for the period and filters (`from`, `to`, `tz`, `pipeline_id`,
/// `team_id`, `owner_id`).
#[utoipa::path(get, path = "/dashboards/{id}/data", tag = "dashboards", params(("id" = String, Path), ReportParams),
    responses((status = 200, body = DashboardData), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn dashboard_data(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    Query(p): Query<ReportParams>,
) -> ApiResult<Json<DashboardData>> {
    Ok(Json(state.services().dashboard_data(&u.actor, &id, &p).await?))
}
