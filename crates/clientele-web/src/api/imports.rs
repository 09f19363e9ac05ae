//! Imports (upload, mapping, preview, run, report, undo), import presets, exports, and the
//! administrators' view of the job queue.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use clientele_core::domain::export::{Export, ExportRequest};
use clientele_core::domain::import::{Import, ImportReject, ImportSettings};
use clientele_core::domain::import_map::ImportEntity;
use clientele_core::domain::job::{Job, JobStatus};
use clientele_core::service::{NewImport, PresetList, PresetRequest, PreviewRow};
use clientele_core::{Error, domain::import::SavedPreset};
use http_body_util::BodyExt;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::with_etag;
use crate::auth::ApiUser;
use crate::download::{attachment, stream_file};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, IfMatch};
use crate::state::AppState;

/// Largest file an import accepts.
pub const IMPORT_MAX_BYTES: usize = 256 * 1024 * 1024;

/// An import with its progress.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportView {
    #[serde(flatten)]
    pub import: Import,
    /// Rows per second so far.
    pub rate: Option<f64>,
    /// Seconds left at that rate.
    pub eta_seconds: Option<i64>,
}

fn view(i: Import) -> ImportView {
    let now = Utc::now();
    ImportView { rate: i.rate(now).map(|r| (r * 10.0).round() / 10.0), eta_seconds: i.eta_seconds(now), import: i }
}

fn accepted(location: String, body: impl Serialize) -> Response {
    let mut r = (StatusCode::ACCEPTED, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// Upload a file to import: the raw file is the body (any content type), its name and what
/// it holds are query parameters. The answer is the analysed import: detected format,
/// encoding and delimiter, columns with samples and suggested fields, row count. A
/// malformed file is refused (422) naming the row and cell.
#[utoipa::path(post, path = "/imports", tag = "imports", params(NewImport),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = ImportView), (status = 403, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn create_import(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(req): Query<NewImport>,
    body: Body,
) -> ApiResult<Response> {
    let s = state.services();
    let content_type = "application/octet-stream";
    let mut w = s.new_file(&req.file_name, content_type, Some(u.actor.user_id)).await?;
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let frame = match frame {
            Ok(f) => f,
            Err(e) => {
                w.abort(s).await?;
                return Err(ApiError::BadRequest(format!("the upload broke off: {e}")));
            }
        };
        if let Ok(data) = frame.into_data() {
            if w.size() as usize + data.len() > IMPORT_MAX_BYTES {
                w.abort(s).await?;
                return Err(ApiError::TooLarge(IMPORT_MAX_BYTES));
            }
            w.push(s, &data).await?;
        }
    }
    if w.size() == 0 {
        w.abort(s).await?;
        return Err(Error::invalid("file", "is empty").into());
    }
    let file = w.finish(s).await?;
    let i = s.create_import(&u.actor, req, file, ImportSettings::default()).await?;
    Ok(with_etag(StatusCode::CREATED, i.version, view(i)))
}

/// Imports of the caller (every import for administrators), newest first.
#[utoipa::path(get, path = "/imports", tag = "imports", responses((status = 200, body = Vec<ImportView>)))]
pub async fn list_imports(State(state): State<AppState>, ApiUser(u): ApiUser) -> ApiResult<Json<Vec<ImportView>>> {
    Ok(Json(state.services().list_imports(&u.actor).await?.into_iter().map(view).collect()))
}

/// One import and its progress (poll it while it runs).
#[utoipa::path(get, path = "/imports/{id}", tag = "imports", params(("id" = Uuid, Path)),
    responses((status = 200, body = ImportView), (status = 404, body = Problem)))]
pub async fn get_import(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    let i = state.services().get_import(&u.actor, id).await?;
    Ok(with_etag(StatusCode::OK, i.version, view(i)))
}

/// Set the mapping and choices of an import not yet run (the whole settings object).
/// A changed encoding, delimiter, sheet or preset reads the file again.
#[utoipa::path(put, path = "/imports/{id}", tag = "imports", params(("id" = Uuid, Path)), request_body = ImportSettings,
    responses((status = 200, body = ImportView), (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn configure_import(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
    ApiJson(settings): ApiJson<ImportSettings>,
) -> ApiResult<Response> {
    let i = state.services().configure_import(&u.actor, id, settings, if_match).await?;
    Ok(with_etag(StatusCode::OK, i.version, view(i)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PreviewQuery {
    /// Rows to show (default 20, at most 100).
    pub limit: Option<u32>,
}

/// The first rows as they will be stored: normalised values, cell errors, duplicates.
#[utoipa::path(get, path = "/imports/{id}/preview", tag = "imports", params(("id" = Uuid, Path), PreviewQuery),
    responses((status = 200, body = Vec<PreviewRow>), (status = 404, body = Problem)))]
pub async fn preview_import(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    Query(q): Query<PreviewQuery>,
) -> ApiResult<Json<Vec<PreviewRow>>> {
    Ok(Json(state.services().preview_import(&u.actor, id, q.limit).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RunQuery {
    /// Check every row and write nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// Start the import in the background: 202 with the import; poll it for progress.
#[utoipa::path(post, path = "/imports/{id}/run", tag = "imports", params(("id" = Uuid, Path), RunQuery),
    responses((status = 202, body = ImportView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn run_import(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    Query(q): Query<RunQuery>,
) -> ApiResult<Response> {
    let i = state.services().start_import(&u.actor, id, q.dry_run).await?;
    Ok(accepted(format!("/api/v1/imports/{id}"), view(i)))
}

/// Stop a queued or running import after its current batch.
#[utoipa::path(post, path = "/imports/{id}/cancel", tag = "imports", params(("id" = Uuid, Path)),
    responses((status = 200, body = ImportView), (status = 409, body = Problem)))]
pub async fn cancel_import(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ImportView>> {
    Ok(Json(view(state.services().cancel_import(&u.actor, id).await?)))
}

/// Undo a finished import in the background: records it created are deleted (restorable
/// from the trash), records it updated are restored — unless changed since.
#[utoipa::path(post, path = "/imports/{id}/undo", tag = "imports", params(("id" = Uuid, Path)),
    responses((status = 202, body = ImportView), (status = 409, body = Problem)))]
pub async fn undo_import(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    let i = state.services().undo_import(&u.actor, id).await?;
    Ok(accepted(format!("/api/v1/imports/{id}"), view(i)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ReportQuery {
    /// `json` (default, paged), `csv` or `xlsx` (the whole report as a file).
    pub format: Option<String>,
    /// JSON paging: rows after this row number.
    pub after: Option<i64>,
    pub limit: Option<u32>,
}

/// Rows the import refused or skipped, with every reason.
#[utoipa::path(get, path = "/imports/{id}/report", tag = "imports", params(("id" = Uuid, Path), ReportQuery),
    responses((status = 200, body = Vec<ImportReject>), (status = 404, body = Problem)))]
pub async fn import_report(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    Query(q): Query<ReportQuery>,
) -> ApiResult<Response> {
    let s = state.services();
    match q.format.as_deref().unwrap_or("json") {
        "json" => {
            let rows = s.import_report(&u.actor, id, q.after.unwrap_or(0), q.limit.unwrap_or(500)).await?;
            Ok(Json(rows).into_response())
        }
        f => {
            let (name, ctype, bytes) = s.import_report_file(&u.actor, id, f, ["Row", "Reasons"]).await?;
            Ok(attachment(&name, ctype, Body::from(bytes)))
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PresetQuery {
    pub entity: Option<ImportEntity>,
}

/// Mapping presets: built-in (amoCRM, Bitrix24, HubSpot, Pipedrive) and saved ones.
#[utoipa::path(get, path = "/import-presets", tag = "imports", params(PresetQuery), responses((status = 200, body = PresetList)))]
pub async fn list_presets(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(q): Query<PresetQuery>,
) -> ApiResult<Json<PresetList>> {
    Ok(Json(state.services().list_presets(&u.actor, q.entity).await?))
}

/// Save a mapping preset (header → field).
#[utoipa::path(post, path = "/import-presets", tag = "imports", request_body = PresetRequest,
    responses((status = 201, body = SavedPreset), (status = 422, body = Problem)))]
pub async fn save_preset(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(req): ApiJson<PresetRequest>,
) -> ApiResult<(StatusCode, Json<SavedPreset>)> {
    Ok((StatusCode::CREATED, Json(state.services().save_preset(&u.actor, req).await?)))
}

#[utoipa::path(delete, path = "/import-presets/{id}", tag = "imports", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete_preset(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    state.services().delete_preset(&u.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Export a list, a saved view or a selection (`ids`) to CSV, XLSX or vCard, in the
/// background: 202 with the export; download it when `status` is `done`.
#[utoipa::path(post, path = "/exports", tag = "exports", request_body = ExportRequest,
    responses((status = 202, body = Export), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_export(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(req): ApiJson<ExportRequest>,
) -> ApiResult<Response> {
    let e = state.services().create_export(&u.actor, req).await?;
    Ok(accepted(format!("/api/v1/exports/{}", e.id), e))
}

/// The caller's recent exports.
#[utoipa::path(get, path = "/exports", tag = "exports", responses((status = 200, body = Vec<Export>)))]
pub async fn list_exports(State(state): State<AppState>, ApiUser(u): ApiUser) -> ApiResult<Json<Vec<Export>>> {
    Ok(Json(state.services().list_exports(&u.actor).await?))
}

#[utoipa::path(get, path = "/exports/{id}", tag = "exports", params(("id" = Uuid, Path)),
    responses((status = 200, body = Export), (status = 404, body = Problem)))]
pub async fn get_export(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Export>> {
    Ok(Json(state.services().get_export(&u.actor, id).await?))
}

/// The exported file, streamed.
#[utoipa::path(get, path = "/exports/{id}/download", tag = "exports", params(("id" = Uuid, Path)),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 404, body = Problem)))]
pub async fn download_export(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    let s = state.services().clone();
    let file = s.export_file(&u.actor, id).await?;
    Ok(stream_file(s, &file))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct JobsQuery {
    /// queued, running, done, dead or cancelled.
    pub status: Option<String>,
    pub limit: Option<u32>,
}

/// Background jobs (administrators): queued, running, failed and dead ones.
#[utoipa::path(get, path = "/jobs", tag = "jobs", params(JobsQuery),
    responses((status = 200, body = Vec<Job>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list_jobs(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(q): Query<JobsQuery>,
) -> ApiResult<Json<Vec<Job>>> {
    let status = match q.status.as_deref() {
        None | Some("") => None,
        Some(s) => {
            Some(JobStatus::parse(s).ok_or_else(|| Error::invalid("status", format!("`{s}` is not a job status")))?)
        }
    };
    Ok(Json(state.services().list_jobs(&u.actor, status, q.limit).await?))
}

/// Run a dead or cancelled job again.
#[utoipa::path(post, path = "/jobs/{id}/retry", tag = "jobs", params(("id" = Uuid, Path)),
    responses((status = 200, body = Job), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn retry_job(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Job>> {
    Ok(Json(state.services().retry_job(&u.actor, id).await?))
}

/// Cancel a queued, running or dead job.
#[utoipa::path(post, path = "/jobs/{id}/cancel", tag = "jobs", params(("id" = Uuid, Path)),
    responses((status = 200, body = Job), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn cancel_job(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Job>> {
    Ok(Json(state.services().cancel_job(&u.actor, id).await?))
}
