//! The report builder: report types and their fields, running a definition, saved reports
//! (private or shared, with an optional e-mail schedule), and exports to CSV/XLSX.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use clientele_core::domain::report_builder::{ReportDefinition, ReportResult};
use clientele_core::service::report_builder::{ReportType, SaveReportRequest};
use clientele_core::store::SavedReport;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::with_etag;
use crate::auth::ApiUser;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, IfMatch};
use crate::state::AppState;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReportTypeList {
    pub data: Vec<ReportType>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SavedReportList {
    pub data: Vec<SavedReport>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct FormatQuery {
    /// `csv` (default) or `xlsx`.
    pub format: Option<String>,
}

/// Report types (primary objects) with every field a report can use: own fields, custom
/// fields and lookups to related records (`company.industry`, `owner.name`).
#[utoipa::path(get, path = "/report-builder/types", tag = "report-builder",
    responses((status = 200, body = ReportTypeList)))]
pub async fn report_types(State(state): State<AppState>, ApiUser(u): ApiUser) -> ApiResult<Json<ReportTypeList>> {
    Ok(Json(ReportTypeList { data: state.services().report_types(&u.actor).await? }))
}

/// Run a report definition in your scope: records with columns, or groups (up to two levels,
/// dates bucketed by day/week/month/quarter/year) with count, sum, avg, min, max and median.
#[utoipa::path(post, path = "/report-builder/run", tag = "report-builder", request_body = ReportDefinition,
    responses((status = 200, body = ReportResult), (status = 422, body = Problem)))]
pub async fn run_report(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(def): ApiJson<ReportDefinition>,
) -> ApiResult<Json<ReportResult>> {
    Ok(Json(state.services().run_report(&u.actor, &def).await?))
}

/// Run a definition and download the result as CSV or XLSX.
#[utoipa::path(post, path = "/report-builder/export", tag = "report-builder", params(FormatQuery),
    request_body = ReportDefinition,
    responses((status = 200, content_type = "text/csv", body = Vec<u8>), (status = 422, body = Problem)))]
pub async fn export_definition(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(q): Query<FormatQuery>,
    ApiJson(def): ApiJson<ReportDefinition>,
) -> ApiResult<Response> {
    let f = state.services().export_report(&u.actor, &def, q.format.as_deref().unwrap_or("csv"), "report").await?;
    Ok(crate::download::attachment(&f.file_name, f.content_type, Body::from(f.bytes)))
}

/// Your saved reports and the shared ones.
#[utoipa::path(get, path = "/report-builder/reports", tag = "report-builder",
    responses((status = 200, body = SavedReportList)))]
pub async fn list_reports(State(state): State<AppState>, ApiUser(u): ApiUser) -> ApiResult<Json<SavedReportList>> {
    Ok(Json(SavedReportList { data: state.services().list_saved_reports(&u.actor).await? }))
}

/// Save a report, private or shared, optionally e-mailed on a schedule.
#[utoipa::path(post, path = "/report-builder/reports", tag = "report-builder", request_body = SaveReportRequest,
    responses((status = 201, body = SavedReport), (status = 422, body = Problem)))]
pub async fn create_report(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(req): ApiJson<SaveReportRequest>,
) -> ApiResult<Response> {
    let r = state.services().create_saved_report(&u.actor, req).await?;
    Ok(with_etag(StatusCode::CREATED, r.version, r))
}

/// One saved report.
#[utoipa::path(get, path = "/report-builder/reports/{id}", tag = "report-builder", params(("id" = Uuid, Path)),
    responses((status = 200, body = SavedReport), (status = 404, body = Problem)))]
pub async fn get_report(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    let r = state.services().get_saved_report(&u.actor, id).await?;
    Ok(with_etag(StatusCode::OK, r.version, r))
}

/// Replace a saved report (its author or an administrator).
#[utoipa::path(put, path = "/report-builder/reports/{id}", tag = "report-builder", params(("id" = Uuid, Path)),
    request_body = SaveReportRequest,
    responses((status = 200, body = SavedReport), (status = 403, body = Problem), (status = 404, body = Problem), (status = 412, body = Problem)))]
pub async fn update_report(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
    ApiJson(req): ApiJson<SaveReportRequest>,
) -> ApiResult<Response> {
    let r = state.services().update_saved_report(&u.actor, id, req, if_match).await?;
    Ok(with_etag(StatusCode::OK, r.version, r))
}

/// Delete a saved report (its author or an administrator).
#[utoipa::path(delete, path = "/report-builder/reports/{id}", tag = "report-builder", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete_report(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    state.services().delete_saved_report(&u.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Run a saved report in your own scope (a shared report shows each viewer their records).
#[utoipa::path(get, path = "/report-builder/reports/{id}/result", tag = "report-builder", params(("id" = Uuid, Path)),
    responses((status = 200, body = ReportResult), (status = 404, body = Problem)))]
pub async fn report_result(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ReportResult>> {
    let r = state.services().get_saved_report(&u.actor, id).await?;
    Ok(Json(state.services().run_report(&u.actor, &r.definition).await?))
}

/// Download a saved report's result as CSV or XLSX.
#[utoipa::path(get, path = "/report-builder/reports/{id}/export", tag = "report-builder",
    params(("id" = Uuid, Path), FormatQuery),
    responses((status = 200, content_type = "text/csv", body = Vec<u8>), (status = 404, body = Problem)))]
pub async fn export_report(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    Query(q): Query<FormatQuery>,
) -> ApiResult<Response> {
    let r = state.services().get_saved_report(&u.actor, id).await?;
    let f =
        state.services().export_report(&u.actor, &r.definition, q.format.as_deref().unwrap_or("csv"), &r.name).await?;
    Ok(crate::download::attachment(&f.file_name, f.content_type, Body::from(f.bytes)))
}
