//! Leads: CRUD, lists with filters, and conversion into a contact, a company and a deal.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use clientele_core::domain::lead::{Lead, LeadInput};
use clientele_core::domain::page::Page;
use clientele_core::service::{ConversionPreview, ConversionResult, ConvertRequest, ListRequest};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::with_etag;
use crate::auth::ApiUser;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, IfMatch};
use crate::state::AppState;

/// List leads: filters (`status`, `temperature`, `source`, `utm_*`, `owner_id`, `tags`,
/// `phone`, `email`, dates, custom fields), saved views, search, keyset pages.
#[utoipa::path(get, path = "/leads", tag = "leads", params(ListRequest),
    responses((status = 200, body = Page<Lead>), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn list_leads(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(q): Query<ListRequest>,
) -> ApiResult<Json<Page<Lead>>> {
    Ok(Json(state.services().list_leads(&u.actor, &q).await?))
}

/// Create a lead. It needs a `name` or a `company_name`; phones are read in the default region
/// and stored as E.164 beside what was typed.
#[utoipa::path(post, path = "/leads", tag = "leads", request_body = LeadInput,
    responses((status = 201, body = Lead), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_lead(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(input): ApiJson<LeadInput>,
) -> ApiResult<Response> {
    let l = state.services().create_lead(&u.actor, input).await?;
    Ok(with_etag(StatusCode::CREATED, l.version, l))
}

/// One lead (a converted lead stays readable, with links to what it became).
#[utoipa::path(get, path = "/leads/{id}", tag = "leads", params(("id" = Uuid, Path)),
    responses((status = 200, body = Lead), (status = 404, body = Problem)))]
pub async fn get_lead(State(state): State<AppState>, ApiUser(u): ApiUser, Path(id): Path<Uuid>) -> ApiResult<Response> {
    let l = state.services().get_lead(&u.actor, id).await?;
    Ok(with_etag(StatusCode::OK, l.version, l))
}

/// Change a lead (JSON merge of top-level fields, `If-Match`). `status: disqualified` needs a
/// `disqualify_reason`; `converted` is set only by converting.
#[utoipa::path(patch, path = "/leads/{id}", tag = "leads", params(("id" = Uuid, Path)), request_body = LeadInput,
    responses((status = 200, body = Lead), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn update_lead(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
    ApiJson(patch): ApiJson<Map<String, Value>>,
) -> ApiResult<Response> {
    let l = state.services().update_lead(&u.actor, id, patch, if_match).await?;
    Ok(with_etag(StatusCode::OK, l.version, l))
}

/// Delete a lead (soft).
#[utoipa::path(delete, path = "/leads/{id}", tag = "leads", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 412, body = Problem)))]
pub async fn delete_lead(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
) -> ApiResult<StatusCode> {
    state.services().delete_lead(&u.actor, id, if_match).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What converting the lead would do: the existing contact (matched by phone or e-mail) and
/// company (by name or e-mail domain) it would reuse, or that new ones would be created.
#[utoipa::path(get, path = "/leads/{id}/conversion", tag = "leads", params(("id" = Uuid, Path), PreviewQuery),
    responses((status = 200, body = ConversionPreview), (status = 404, body = Problem)))]
pub async fn conversion_preview(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    Query(q): Query<PreviewQuery>,
) -> ApiResult<Json<ConversionPreview>> {
    Ok(Json(state.services().conversion_preview(&u.actor, id, q.company_tax_number.as_deref()).await?))
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct PreviewQuery {
    /// The company's tax number, when known: a company with it is matched first.
    pub company_tax_number: Option<String>,
}

/// Convert a lead, in one transaction: reuse the matching contact and company (or create
/// them), create a deal with `lead_id` set, and mark the lead converted with links to all of
/// them. The answer says which records were reused. Converting twice answers 409.
#[utoipa::path(post, path = "/leads/{id}/convert", tag = "leads", params(("id" = Uuid, Path)), request_body = ConvertRequest,
    responses((status = 200, body = ConversionResult), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn convert_lead(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
    ApiJson(req): ApiJson<ConvertRequest>,
) -> ApiResult<Json<ConversionResult>> {
    Ok(Json(state.services().convert_lead(&u.actor, id, req, if_match).await?))
}
