//! Quotes and invoices of deals, their PDFs and status operations, and the document settings
//! (seller details, logo, numbering patterns, templates).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use clientele_core::domain::deal::DealPayment;
use clientele_core::domain::document::{DocAction, DocKind};
use clientele_core::domain::page::Page;
use clientele_core::service::{
    CreateDocumentRequest, DocumentListRequest, DocumentSettingsInput, DocumentSettingsView, DocumentView,
    InvoicePaymentRequest, QuoteToInvoiceRequest,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::with_etag;
use crate::auth::ApiUser;
use crate::download::stream_file;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, IfMatch, is_json, parse_json};
use crate::state::AppState;

/// An invoice's payment and the invoice after it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InvoicePayment {
    pub payment: DealPayment,
    pub invoice: DocumentView,
}

/// A JSON body that may be left out (an empty body means every default).
fn optional_json<T: DeserializeOwned + Default>(headers: &HeaderMap, body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    if !is_json(headers) {
        return Err(ApiError::UnsupportedMediaType(
            "Send the body as JSON with `Content-Type: application/json`.".into(),
        ));
    }
    parse_json(body)
}

async fn list(
    state: &AppState,
    u: &ApiUser,
    kind: DocKind,
    q: &DocumentListRequest,
) -> ApiResult<Json<Page<DocumentView>>> {
    Ok(Json(state.services().list_documents(&u.0.actor, kind, q).await?))
}

async fn create(state: &AppState, u: &ApiUser, kind: DocKind, req: CreateDocumentRequest) -> ApiResult<Response> {
    let d = state.services().create_document(&u.0.actor, kind, req).await?;
    Ok(with_etag(StatusCode::CREATED, d.document.version, d))
}

async fn get(state: &AppState, u: &ApiUser, kind: DocKind, id: Uuid) -> ApiResult<Response> {
    let d = state.services().get_document(&u.0.actor, kind, id).await?;
    Ok(with_etag(StatusCode::OK, d.document.version, d))
}

async fn patch(
    state: &AppState,
    u: &ApiUser,
    kind: DocKind,
    id: Uuid,
    if_match: Option<i64>,
    body: Map<String, Value>,
) -> ApiResult<Response> {
    let d = state.services().update_document(&u.0.actor, kind, id, body, if_match).await?;
    Ok(with_etag(StatusCode::OK, d.document.version, d))
}

async fn act(
    state: &AppState,
    u: &ApiUser,
    kind: DocKind,
    id: Uuid,
    action: DocAction,
    if_match: Option<i64>,
) -> ApiResult<Response> {
    let d = state.services().document_action(&u.0.actor, kind, id, action, if_match).await?;
    Ok(with_etag(StatusCode::OK, d.document.version, d))
}

async fn pdf(state: &AppState, u: &ApiUser, kind: DocKind, id: Uuid) -> ApiResult<Response> {
    let s = state.services().clone();
    let file = s.document_pdf(&u.0.actor, kind, id).await?;
    Ok(stream_file(s, &file))
}

// ---------------- quotes ----------------

/// Quotes (commercial proposals) of the deals within your reach, newest first; filter by
/// `status` (draft, sent, accepted, declined) and `deal_id`.
#[utoipa::path(get, path = "/quotes", tag = "documents", params(DocumentListRequest),
    responses((status = 200, body = Page<DocumentView>), (status = 422, body = Problem)))]
pub async fn list_quotes(
    State(state): State<AppState>,
    u: ApiUser,
    Query(q): Query<DocumentListRequest>,
) -> ApiResult<Json<Page<DocumentView>>> {
    list(&state, &u, DocKind::Quote, &q).await
}

/// Create a quote from a deal: a snapshot of its line items and totals, its client and the
/// seller's details; numbered by the quote pattern; its PDF is rendered and stored. Needs the
/// right to change the deal (read-only users: 403). A deal without line items: 422.
#[utoipa::path(post, path = "/quotes", tag = "documents", request_body = CreateDocumentRequest,
    responses((status = 201, body = DocumentView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create_quote(
    State(state): State<AppState>,
    u: ApiUser,
    ApiJson(req): ApiJson<CreateDocumentRequest>,
) -> ApiResult<Response> {
    create(&state, &u, DocKind::Quote, req).await
}

/// One quote (`expired` when past its valid-until date while unanswered).
#[utoipa::path(get, path = "/quotes/{id}", tag = "documents", params(("id" = Uuid, Path)),
    responses((status = 200, body = DocumentView), (status = 404, body = Problem)))]
pub async fn get_quote(State(state): State<AppState>, u: ApiUser, Path(id): Path<Uuid>) -> ApiResult<Response> {
    get(&state, &u, DocKind::Quote, id).await
}

/// Change a draft quote (`valid_until`, `language`, `payment_terms`, `notes`; `"refresh": true`
/// takes the deal's lines and client again) and render it again. `If-Match` with its version.
/// Anything but a draft: 409 on `status`.
#[utoipa::path(patch, path = "/quotes/{id}", tag = "documents", params(("id" = Uuid, Path)), request_body = Object,
    responses((status = 200, body = DocumentView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn update_quote(
    State(state): State<AppState>,
    u: ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> ApiResult<Response> {
    patch(&state, &u, DocKind::Quote, id, if_match, body).await
}

/// Mark a draft quote sent (its PDF becomes final).
#[utoipa::path(post, path = "/quotes/{id}/send", tag = "documents", params(("id" = Uuid, Path)),
    responses((status = 200, body = DocumentView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem)))]
pub async fn send_quote(
    State(state): State<AppState>,
    u: ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
) -> ApiResult<Response> {
    act(&state, &u, DocKind::Quote, id, DocAction::Send, if_match).await
}

/// The client accepted a sent quote.
#[utoipa::path(post, path = "/quotes/{id}/accept", tag = "documents", params(("id" = Uuid, Path)),
    responses((status = 200, body = DocumentView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem)))]
pub async fn accept_quote(
    State(state): State<AppState>,
    u: ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
) -> ApiResult<Response> {
    act(&state, &u, DocKind::Quote, id, DocAction::Accept, if_match).await
}

/// The client declined a sent quote.
#[utoipa::path(post, path = "/quotes/{id}/decline", tag = "documents", params(("id" = Uuid, Path)),
    responses((status = 200, body = DocumentView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem)))]
pub async fn decline_quote(
    State(state): State<AppState>,
    u: ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
) -> ApiResult<Response> {
    act(&state, &u, DocKind::Quote, id, DocAction::Decline, if_match).await
}

/// Turn a sent or accepted quote into an invoice with the quote's lines, client and seller
/// (409 for a draft or declined quote, or one already invoiced).
#[utoipa::path(post, path = "/quotes/{id}/invoice", tag = "documents", params(("id" = Uuid, Path)), request_body = QuoteToInvoiceRequest,
    responses((status = 201, body = DocumentView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn quote_to_invoice(
    State(state): State<AppState>,
    u: ApiUser,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let req: QuoteToInvoiceRequest = optional_json(&headers, &body)?;
    let d = state.services().invoice_from_quote(&u.0.actor, id, req).await?;
    Ok(with_etag(StatusCode::CREATED, d.document.version, d))
}

/// The quote's PDF (`Q-2026-0001.pdf`).
#[utoipa::path(get, path = "/quotes/{id}/pdf", tag = "documents", params(("id" = Uuid, Path)),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn quote_pdf(State(state): State<AppState>, u: ApiUser, Path(id): Path<Uuid>) -> ApiResult<Response> {
    pdf(&state, &u, DocKind::Quote, id).await
}

// ---------------- invoices ----------------

/// Invoices of the deals within your reach, newest first; filter by `status` (draft, sent,
/// paid, cancelled) and `deal_id`.
#[utoipa::path(get, path = "/invoices", tag = "documents", params(DocumentListRequest),
    responses((status = 200, body = Page<DocumentView>), (status = 422, body = Problem)))]
pub async fn list_invoices(
    State(state): State<AppState>,
    u: ApiUser,
    Query(q): Query<DocumentListRequest>,
) -> ApiResult<Json<Page<DocumentView>>> {
    list(&state, &u, DocKind::Invoice, &q).await
}

/// Create an invoice from a deal (snapshot of its lines, totals, client and the seller;
/// numbered by the invoice pattern without gaps; PDF rendered and stored).
#[utoipa::path(post, path = "/invoices", tag = "documents", request_body = CreateDocumentRequest,
    responses((status = 201, body = DocumentView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create_invoice(
    State(state): State<AppState>,
    u: ApiUser,
    ApiJson(req): ApiJson<CreateDocumentRequest>,
) -> ApiResult<Response> {
    create(&state, &u, DocKind::Invoice, req).await
}

/// One invoice with what is paid and outstanding.
#[utoipa::path(get, path = "/invoices/{id}", tag = "documents", params(("id" = Uuid, Path)),
    responses((status = 200, body = DocumentView), (status = 404, body = Problem)))]
pub async fn get_invoice(State(state): State<AppState>, u: ApiUser, Path(id): Path<Uuid>) -> ApiResult<Response> {
    get(&state, &u, DocKind::Invoice, id).await
}

/// Change a draft invoice (`due_date`, `language`, `payment_terms`, `notes`; `"refresh": true`)
/// and render it again; `If-Match`. Sent, paid and cancelled invoices: 409 on `status`.
#[utoipa::path(patch, path = "/invoices/{id}", tag = "documents", params(("id" = Uuid, Path)), request_body = Object,
    responses((status = 200, body = DocumentView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn update_invoice(
    State(state): State<AppState>,
    u: ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> ApiResult<Response> {
    patch(&state, &u, DocKind::Invoice, id, if_match, body).await
}

/// Mark a draft invoice sent (its PDF becomes final; payments can then be recorded).
#[utoipa::path(post, path = "/invoices/{id}/send", tag = "documents", params(("id" = Uuid, Path)),
    responses((status = 200, body = DocumentView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem)))]
pub async fn send_invoice(
    State(state): State<AppState>,
    u: ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
) -> ApiResult<Response> {
    act(&state, &u, DocKind::Invoice, id, DocAction::Send, if_match).await
}

/// Cancel a draft or sent invoice; it keeps its number (a paid one: 409).
#[utoipa::path(post, path = "/invoices/{id}/cancel", tag = "documents", params(("id" = Uuid, Path)),
    responses((status = 200, body = DocumentView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem)))]
pub async fn cancel_invoice(
    State(state): State<AppState>,
    u: ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
) -> ApiResult<Response> {
    act(&state, &u, DocKind::Invoice, id, DocAction::Cancel, if_match).await
}

/// Record an actual payment of the deal against a sent invoice (default amount: what is
/// outstanding). When its actual payments reach its total, the invoice is paid.
#[utoipa::path(post, path = "/invoices/{id}/payments", tag = "documents", params(("id" = Uuid, Path)), request_body = InvoicePaymentRequest,
    responses((status = 201, body = InvoicePayment), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn pay_invoice(
    State(state): State<AppState>,
    u: ApiUser,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<InvoicePayment>)> {
    let req: InvoicePaymentRequest = optional_json(&headers, &body)?;
    let (payment, invoice) = state.services().pay_invoice(&u.0.actor, id, req).await?;
    Ok((StatusCode::CREATED, Json(InvoicePayment { payment, invoice })))
}

/// The invoice's PDF (`INV-2026-0001.pdf`).
#[utoipa::path(get, path = "/invoices/{id}/pdf", tag = "documents", params(("id" = Uuid, Path)),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn invoice_pdf(State(state): State<AppState>, u: ApiUser, Path(id): Path<Uuid>) -> ApiResult<Response> {
    pdf(&state, &u, DocKind::Invoice, id).await
}

// ---------------- settings ----------------

/// The document settings (administrators): seller details, logo, numbering patterns,
/// templates, with the built-in templates for reference.
#[utoipa::path(get, path = "/document-settings", tag = "documents",
    responses((status = 200, body = DocumentSettingsView), (status = 403, body = Problem)))]
pub async fn get_document_settings(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
) -> ApiResult<Json<DocumentSettingsView>> {
    Ok(Json(state.services().get_document_settings(&u.actor).await?))
}

/// Change the document settings (administrators; the fields sent replace the current
/// ones). Patterns need `{SEQ}`; templates are checked by rendering samples, an error names
/// the line, column and key (`invoice_template`: `line 3, column 13: font_size: ...`).
#[utoipa::path(patch, path = "/document-settings", tag = "documents", request_body = DocumentSettingsInput,
    responses((status = 200, body = DocumentSettingsView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn update_document_settings(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(input): ApiJson<DocumentSettingsInput>,
) -> ApiResult<Json<DocumentSettingsView>> {
    Ok(Json(state.services().update_document_settings(&u.actor, input).await?))
}

/// Upload the logo (administrators): the body is a PNG or JPEG image, at most 2 MiB.
#[utoipa::path(put, path = "/document-settings/logo", tag = "documents", request_body(content = Vec<u8>, content_type = "image/png"),
    responses((status = 200, body = DocumentSettingsView), (status = 403, body = Problem), (status = 413), (status = 422, body = Problem)))]
pub async fn put_logo(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    body: Bytes,
) -> ApiResult<Json<DocumentSettingsView>> {
    Ok(Json(state.services().set_logo(&u.actor, body.to_vec()).await?))
}

/// The current logo.
#[utoipa::path(get, path = "/document-settings/logo", tag = "documents",
    responses((status = 200, content_type = "image/png", body = Vec<u8>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_logo(State(state): State<AppState>, ApiUser(u): ApiUser) -> ApiResult<Response> {
    let s = state.services().clone();
    let file = s.logo_file(&u.actor).await?;
    Ok(stream_file(s, &file))
}

/// Remove the logo (documents made with it keep it).
#[utoipa::path(delete, path = "/document-settings/logo", tag = "documents",
    responses((status = 200, body = DocumentSettingsView), (status = 403, body = Problem)))]
pub async fn delete_logo(State(state): State<AppState>, ApiUser(u): ApiUser) -> ApiResult<Json<DocumentSettingsView>> {
    Ok(Json(state.services().remove_logo(&u.actor).await?))
}
