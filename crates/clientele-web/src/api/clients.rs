//! Contacts, companies, contact persons, search, duplicates and merge.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use clientele_core::domain::client::{Company, CompanyInput, CompanyLink, Contact, ContactInput};
use clientele_core::domain::page::Page;
use clientele_core::service::{
    BulkRequest, BulkResult, ContactView, LinkRequest, ListRequest, MergeRequest, SearchResults,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::{json_text, with_etag};
use crate::auth::ApiUser;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, IfMatch};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct ForceQuery {
    /// Create or save even though a record with the same phone, e-mail or tax number exists.
    #[serde(default)]
    pub force: bool,
}

/// List contacts: filters, saved views, search, keyset pages.
#[utoipa::path(get, path = "/contacts", tag = "contacts", params(ListRequest),
    responses((status = 200, body = Page<Contact>), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn list_contacts(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(q): Query<ListRequest>,
) -> ApiResult<Response> {
    Ok(json_text(state.services().list_contacts_json(&u.actor, &q).await?.into_body()))
}

/// Create a contact. A phone or e-mail that another contact already has answers 409 with
/// that contact's id (`existing_id`), unless `force=true`.
#[utoipa::path(post, path = "/contacts", tag = "contacts", params(ForceQuery), request_body = ContactInput,
    responses((status = 201, body = ContactView), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_contact(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(f): Query<ForceQuery>,
    ApiJson(input): ApiJson<ContactInput>,
) -> ApiResult<Response> {
    let c = state.services().create_contact(&u.actor, input, f.force).await?;
    Ok(with_etag(StatusCode::CREATED, c.contact.version, c))
}

/// One contact with its companies.
#[utoipa::path(get, path = "/contacts/{id}", tag = "contacts", params(("id" = Uuid, Path)),
    responses((status = 200, body = ContactView), (status = 404, body = Problem)))]
pub async fn get_contact(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    let c = state.services().get_contact(&u.actor, id).await?;
    Ok(with_etag(StatusCode::OK, c.contact.version, c))
}

/// Change a contact: send only the fields to change (JSON merge of top-level fields). Send
/// `If-Match` to refuse the change when someone else changed the contact first (412).
#[utoipa::path(patch, path = "/contacts/{id}", tag = "contacts", params(("id" = Uuid, Path), ForceQuery), request_body = ContactInput,
    responses((status = 200, body = ContactView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn update_contact(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    Query(f): Query<ForceQuery>,
    IfMatch(if_match): IfMatch,
    ApiJson(patch): ApiJson<Map<String, Value>>,
) -> ApiResult<Response> {
    let c = state.services().update_contact(&u.actor, id, patch, if_match, f.force).await?;
    Ok(with_etag(StatusCode::OK, c.contact.version, c))
}

/// Delete a contact (soft: administrators can restore it).
#[utoipa::path(delete, path = "/contacts/{id}", tag = "contacts", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 412, body = Problem)))]
pub async fn delete_contact(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
) -> ApiResult<StatusCode> {
    state.services().delete_contact(&u.actor, id, if_match).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Restore a deleted contact (administrators).
#[utoipa::path(post, path = "/contacts/{id}/restore", tag = "contacts", params(("id" = Uuid, Path)),
    responses((status = 200, body = ContactView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn restore_contact(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ContactView>> {
    Ok(Json(state.services().restore_contact(&u.actor, id).await?))
}

/// Everything stored about a person, as JSON (personal data export).
#[utoipa::path(get, path = "/contacts/{id}/export", tag = "contacts", params(("id" = Uuid, Path)),
    responses((status = 200, body = Object), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn export_contact(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Value>> {
    Ok(Json(state.services().export_person(&u.actor, id).await?))
}

/// Erase a person's personal data (administrators). The record stays as "Erased person".
#[utoipa::path(post, path = "/contacts/{id}/erase", tag = "contacts", params(("id" = Uuid, Path)),
    responses((status = 200, body = Contact), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn erase_contact(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Contact>> {
    Ok(Json(state.services().erase_person(&u.actor, id).await?))
}

/// Merge two contacts into one.
#[utoipa::path(post, path = "/contacts/merge", tag = "contacts", request_body = MergeRequest,
    responses((status = 200, body = ContactView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn merge_contacts(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(req): ApiJson<MergeRequest>,
) -> ApiResult<Json<ContactView>> {
    Ok(Json(state.services().merge_contacts(&u.actor, req).await?))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DuplicatePair {
    pub a: Uuid,
    pub b: Uuid,
    /// The shared phone or e-mail.
    pub shared: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DuplicateList {
    pub data: Vec<DuplicatePair>,
}

fn pairs(v: Vec<(Uuid, Uuid, String)>) -> DuplicateList {
    DuplicateList { data: v.into_iter().map(|(a, b, shared)| DuplicatePair { a, b, shared }).collect() }
}

/// Candidate duplicate contacts (same phone or e-mail).
#[utoipa::path(get, path = "/contacts/duplicates", tag = "contacts", responses((status = 200, body = DuplicateList)))]
pub async fn contact_duplicates(State(state): State<AppState>, ApiUser(u): ApiUser) -> ApiResult<Json<DuplicateList>> {
    Ok(Json(pairs(state.services().duplicates(&u.actor, "contact").await?)))
}

/// List companies.
#[utoipa::path(get, path = "/companies", tag = "companies", params(ListRequest),
    responses((status = 200, body = Page<Company>), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn list_companies(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(q): Query<ListRequest>,
) -> ApiResult<Response> {
    Ok(json_text(state.services().list_companies_json(&u.actor, &q).await?.into_body()))
}

/// Create a company. A tax number, phone or e-mail another company has answers 409 unless `force=true`.
#[utoipa::path(post, path = "/companies", tag = "companies", params(ForceQuery), request_body = CompanyInput,
    responses((status = 201, body = Company), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_company(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(f): Query<ForceQuery>,
    ApiJson(input): ApiJson<CompanyInput>,
) -> ApiResult<Response> {
    let c = state.services().create_company(&u.actor, input, f.force).await?;
    Ok(with_etag(StatusCode::CREATED, c.version, c))
}

/// One company.
#[utoipa::path(get, path = "/companies/{id}", tag = "companies", params(("id" = Uuid, Path)),
    responses((status = 200, body = Company), (status = 404, body = Problem)))]
pub async fn get_company(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    let c = state.services().get_company(&u.actor, id).await?;
    Ok(with_etag(StatusCode::OK, c.version, c))
}

/// Change a company (fields to change only; `If-Match` for safety).
#[utoipa::path(patch, path = "/companies/{id}", tag = "companies", params(("id" = Uuid, Path), ForceQuery), request_body = CompanyInput,
    responses((status = 200, body = Company), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn update_company(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    Query(f): Query<ForceQuery>,
    IfMatch(if_match): IfMatch,
    ApiJson(patch): ApiJson<Map<String, Value>>,
) -> ApiResult<Response> {
    let c = state.services().update_company(&u.actor, id, patch, if_match, f.force).await?;
    Ok(with_etag(StatusCode::OK, c.version, c))
}

/// Delete a company (soft).
#[utoipa::path(delete, path = "/companies/{id}", tag = "companies", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 412, body = Problem)))]
pub async fn delete_company(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
) -> ApiResult<StatusCode> {
    state.services().delete_company(&u.actor, id, if_match).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Restore a deleted company (administrators).
#[utoipa::path(post, path = "/companies/{id}/restore", tag = "companies", params(("id" = Uuid, Path)),
    responses((status = 200, body = Company), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn restore_company(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Company>> {
    Ok(Json(state.services().restore_company(&u.actor, id).await?))
}

/// A contact person: the contact, with their role in this company.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Person {
    #[serde(flatten)]
    pub contact: Contact,
    pub role: Option<String>,
    pub is_primary: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PersonList {
    pub data: Vec<Person>,
}

/// The company's contact persons with their roles.
#[utoipa::path(get, path = "/companies/{id}/contacts", tag = "companies", params(("id" = Uuid, Path)),
    responses((status = 200, body = PersonList), (status = 404, body = Problem)))]
pub async fn company_contacts(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<PersonList>> {
    let people = state.services().company_people(&u.actor, id).await?;
    Ok(Json(PersonList {
        data: people
            .into_iter()
            .map(|(contact, l)| Person { contact, role: l.role, is_primary: l.is_primary })
            .collect(),
    }))
}

/// Add a contact person to the company (or change their role).
#[utoipa::path(post, path = "/companies/{id}/contacts", tag = "companies", params(("id" = Uuid, Path)), request_body = LinkRequest,
    responses((status = 200, body = CompanyLink), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn link_contact(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(req): ApiJson<LinkRequest>,
) -> ApiResult<Json<CompanyLink>> {
    Ok(Json(state.services().link_person(&u.actor, id, req).await?))
}

/// Remove a contact person from the company (the contact itself stays).
#[utoipa::path(delete, path = "/companies/{id}/contacts/{contact_id}", tag = "companies",
    params(("id" = Uuid, Path), ("contact_id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn unlink_contact(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path((id, contact_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    state.services().unlink_person(&u.actor, id, contact_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Merge two companies into one (contact persons move to the survivor).
#[utoipa::path(post, path = "/companies/merge", tag = "companies", request_body = MergeRequest,
    responses((status = 200, body = Company), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn merge_companies(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(req): ApiJson<MergeRequest>,
) -> ApiResult<Json<Company>> {
    Ok(Json(state.services().merge_companies(&u.actor, req).await?))
}

/// Candidate duplicate companies (same phone or e-mail).
#[utoipa::path(get, path = "/companies/duplicates", tag = "companies", responses((status = 200, body = DuplicateList)))]
pub async fn company_duplicates(State(state): State<AppState>, ApiUser(u): ApiUser) -> ApiResult<Json<DuplicateList>> {
    Ok(Json(pairs(state.services().duplicates(&u.actor, "company").await?)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct SearchQuery {
    /// Names (prefix, any case or accents), e-mail, phone in any format, company, tax number.
    pub q: String,
    /// Results per type (1-50, default 10).
    pub limit: Option<u32>,
}

/// Search contacts and companies at once, ranked, grouped by type.
#[utoipa::path(get, path = "/search", tag = "search", params(SearchQuery), responses((status = 200, body = SearchResults)))]
pub async fn search(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(q): Query<SearchQuery>,
) -> ApiResult<Json<SearchResults>> {
    Ok(Json(state.services().search(&u.actor, &q.q, q.limit).await?))
}

/// One action on many contacts: `ids`, or everything `matching` a list request finds.
/// Actions: `assign_owner` (`owner_id`), `add_tag` / `remove_tag` (`tag`), `set_lifecycle`
/// (`lifecycle`), `delete`. Each record is checked and audited on its own; failures are listed.
#[utoipa::path(post, path = "/contacts/bulk", tag = "contacts", request_body = BulkRequest,
    responses((status = 200, body = BulkResult), (status = 422, body = Problem)))]
pub async fn bulk_contacts(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(req): ApiJson<BulkRequest>,
) -> ApiResult<Json<BulkResult>> {
    Ok(Json(state.services().bulk(&u.actor, "contact", req).await?))
}

/// One action on many companies (see `/contacts/bulk`).
#[utoipa::path(post, path = "/companies/bulk", tag = "companies", request_body = BulkRequest,
    responses((status = 200, body = BulkResult), (status = 422, body = Problem)))]
pub async fn bulk_companies(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(req): ApiJson<BulkRequest>,
) -> ApiResult<Json<BulkResult>> {
    Ok(Json(state.services().bulk(&u.actor, "company", req).await?))
}
