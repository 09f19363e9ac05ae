//! The sales funnel: pipelines and stages, the board, loss reasons, currencies, and deals with
//! their stage moves, line items and payments.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use clientele_core::domain::deal::{CurrencyRate, Deal, DealPayment, LossReason, Pipeline, StageDuration};
use clientele_core::domain::page::Page;
use clientele_core::service::{
    BaseCurrencyRequest, Board, BoardRequest, BulkRequest, BulkResult, CreatePipelineRequest, Currencies, DealInput,
    DealView, ItemsRequest, ListRequest, LossReasonRequest, MoveRequest, PaymentRequest, RateRequest, StageInput,
    StageOrderRequest, StagePatch, UpdatePipelineRequest,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::with_etag;
use crate::auth::ApiUser;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, IfMatch};
use crate::state::AppState;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PipelineList {
    pub data: Vec<Pipeline>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LossReasonList {
    pub data: Vec<LossReason>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DurationList {
    pub data: Vec<StageDuration>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct ArchivedQuery {
    /// Include archived loss reasons.
    #[serde(default)]
    pub archived: bool,
}

// ---------------- pipelines and stages ----------------

/// Every pipeline with its stages, in order.
#[utoipa::path(get, path = "/pipelines", tag = "pipelines", responses((status = 200, body = PipelineList)))]
pub async fn list_pipelines(State(state): State<AppState>, ApiUser(u): ApiUser) -> ApiResult<Json<PipelineList>> {
    Ok(Json(PipelineList { data: state.services().list_pipelines(&u.actor).await? }))
}

/// Create a pipeline (administrators). Its stages must include exactly one `won` and one
/// `lost` stage; without `stages` it gets New, Won and Lost.
#[utoipa::path(post, path = "/pipelines", tag = "pipelines", request_body = CreatePipelineRequest,
    responses((status = 201, body = Pipeline), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_pipeline(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(req): ApiJson<CreatePipelineRequest>,
) -> ApiResult<Response> {
    let p = state.services().create_pipeline(&u.actor, req).await?;
    Ok(with_etag(StatusCode::CREATED, p.version, p))
}

/// One pipeline with its stages.
#[utoipa::path(get, path = "/pipelines/{id}", tag = "pipelines", params(("id" = Uuid, Path)),
    responses((status = 200, body = Pipeline), (status = 404, body = Problem)))]
pub async fn get_pipeline(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    let p = state.services().get_pipeline(&u.actor, id).await?;
    Ok(with_etag(StatusCode::OK, p.version, p))
}

/// Rename, reposition or archive a pipeline (administrators).
#[utoipa::path(patch, path = "/pipelines/{id}", tag = "pipelines", params(("id" = Uuid, Path)), request_body = UpdatePipelineRequest,
    responses((status = 200, body = Pipeline), (status = 403, body = Problem), (status = 404, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn update_pipeline(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
    ApiJson(req): ApiJson<UpdatePipelineRequest>,
) -> ApiResult<Response> {
    let p = state.services().update_pipeline(&u.actor, id, req, if_match).await?;
    Ok(with_etag(StatusCode::OK, p.version, p))
}

/// Remove a pipeline without deals (administrators); 409 with the count while deals are in it.
#[utoipa::path(delete, path = "/pipelines/{id}", tag = "pipelines", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn delete_pipeline(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
) -> ApiResult<StatusCode> {
    state.services().delete_pipeline(&u.actor, id, if_match).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Add a stage (administrators): at `position`, or after the last open stage.
#[utoipa::path(post, path = "/pipelines/{id}/stages", tag = "pipelines", params(("id" = Uuid, Path)), request_body = StageInput,
    responses((status = 201, body = Pipeline), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn add_stage(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(req): ApiJson<StageInput>,
) -> ApiResult<Response> {
    let p = state.services().add_stage(&u.actor, id, req).await?;
    Ok(with_etag(StatusCode::CREATED, p.version, p))
}

/// Rename a stage or change its probability, time limit or colour (administrators).
#[utoipa::path(patch, path = "/pipelines/{id}/stages/{stage_id}", tag = "pipelines",
    params(("id" = Uuid, Path), ("stage_id" = Uuid, Path)), request_body = StagePatch,
    responses((status = 200, body = Pipeline), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_stage(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path((id, stage_id)): Path<(Uuid, Uuid)>,
    ApiJson(req): ApiJson<StagePatch>,
) -> ApiResult<Response> {
    let p = state.services().update_stage(&u.actor, id, stage_id, req).await?;
    Ok(with_etag(StatusCode::OK, p.version, p))
}

/// Remove a stage (administrators). 409 while deals are in it (the message gives the count),
/// and for the won and lost stages.
#[utoipa::path(delete, path = "/pipelines/{id}/stages/{stage_id}", tag = "pipelines",
    params(("id" = Uuid, Path), ("stage_id" = Uuid, Path)),
    responses((status = 200, body = Pipeline), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn remove_stage(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path((id, stage_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<Response> {
    let p = state.services().remove_stage(&u.actor, id, stage_id).await?;
    Ok(with_etag(StatusCode::OK, p.version, p))
}

/// Reorder the stages (administrators): every stage id, in the new order.
#[utoipa::path(put, path = "/pipelines/{id}/stages/order", tag = "pipelines", params(("id" = Uuid, Path)), request_body = StageOrderRequest,
    responses((status = 200, body = Pipeline), (status = 403, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn reorder_stages(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
    ApiJson(req): ApiJson<StageOrderRequest>,
) -> ApiResult<Response> {
    let p = state.services().reorder_stages(&u.actor, id, req, if_match).await?;
    Ok(with_etag(StatusCode::OK, p.version, p))
}

/// The kanban board: per open stage the first `limit` open deals (newest activity first), a
/// cursor for more, and the count and sum in the base currency of the open deals you reach.
#[utoipa::path(get, path = "/pipelines/{id}/board", tag = "pipelines", params(("id" = Uuid, Path), BoardRequest),
    responses((status = 200, body = Board), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn board(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    Query(q): Query<BoardRequest>,
) -> ApiResult<Json<Board>> {
    Ok(Json(state.services().board(&u.actor, id, &q).await?))
}

/// More deals of one board column: pass its `next_cursor` (same filters as the board).
#[utoipa::path(get, path = "/pipelines/{id}/board/{stage_id}", tag = "pipelines",
    params(("id" = Uuid, Path), ("stage_id" = Uuid, Path), BoardRequest),
    responses((status = 200, body = Page<Deal>), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn board_column(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path((id, stage_id)): Path<(Uuid, Uuid)>,
    Query(q): Query<BoardRequest>,
) -> ApiResult<Json<Page<Deal>>> {
    Ok(Json(state.services().board_column(&u.actor, id, stage_id, &q).await?))
}

// ---------------- loss reasons ----------------

/// Loss reasons, in order (archived ones with `archived=true`).
#[utoipa::path(get, path = "/loss-reasons", tag = "pipelines", params(ArchivedQuery), responses((status = 200, body = LossReasonList)))]
pub async fn list_loss_reasons(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(q): Query<ArchivedQuery>,
) -> ApiResult<Json<LossReasonList>> {
    Ok(Json(LossReasonList { data: state.services().list_loss_reasons(&u.actor, q.archived).await? }))
}

/// Add a loss reason (administrators).
#[utoipa::path(post, path = "/loss-reasons", tag = "pipelines", request_body = LossReasonRequest,
    responses((status = 201, body = LossReason), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_loss_reason(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(req): ApiJson<LossReasonRequest>,
) -> ApiResult<Response> {
    let r = state.services().create_loss_reason(&u.actor, req).await?;
    Ok(with_etag(StatusCode::CREATED, r.version, r))
}

/// Rename, reorder or archive a loss reason (administrators).
#[utoipa::path(patch, path = "/loss-reasons/{id}", tag = "pipelines", params(("id" = Uuid, Path)), request_body = LossReasonRequest,
    responses((status = 200, body = LossReason), (status = 403, body = Problem), (status = 404, body = Problem), (status = 412, body = Problem)))]
pub async fn update_loss_reason(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
    ApiJson(req): ApiJson<LossReasonRequest>,
) -> ApiResult<Response> {
    let r = state.services().update_loss_reason(&u.actor, id, req, if_match).await?;
    Ok(with_etag(StatusCode::OK, r.version, r))
}

/// Archive a loss reason (administrators): deals keep it; it can no longer be chosen.
#[utoipa::path(delete, path = "/loss-reasons/{id}", tag = "pipelines", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete_loss_reason(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    state.services().delete_loss_reason(&u.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------- currencies ----------------

/// The base currency and the exchange rates to it.
#[utoipa::path(get, path = "/currencies", tag = "pipelines", responses((status = 200, body = Currencies)))]
pub async fn currencies(State(state): State<AppState>, ApiUser(u): ApiUser) -> ApiResult<Json<Currencies>> {
    Ok(Json(state.services().currencies(&u.actor).await?))
}

/// Set the base currency (administrators).
#[utoipa::path(put, path = "/currencies/base", tag = "pipelines", request_body = BaseCurrencyRequest,
    responses((status = 200, body = Currencies), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn set_base_currency(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(req): ApiJson<BaseCurrencyRequest>,
) -> ApiResult<Json<Currencies>> {
    Ok(Json(state.services().set_base_currency(&u.actor, req).await?))
}

/// Add a rate to the base currency from a date on (administrators); replaces a rate of the
/// same currency and date.
#[utoipa::path(post, path = "/currencies/rates", tag = "pipelines", request_body = RateRequest,
    responses((status = 201, body = CurrencyRate), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn put_rate(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(req): ApiJson<RateRequest>,
) -> ApiResult<(StatusCode, Json<CurrencyRate>)> {
    Ok((StatusCode::CREATED, Json(state.services().put_rate(&u.actor, req).await?)))
}

/// Remove a rate (administrators).
#[utoipa::path(delete, path = "/currencies/rates/{id}", tag = "pipelines", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete_rate(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    state.services().delete_rate(&u.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------- deals ----------------

/// One action on many deals (see `/contacts/bulk`): `assign_owner` (the new owner is
/// notified), `add_tag` / `remove_tag`, `delete`.
#[utoipa::path(post, path = "/deals/bulk", tag = "deals", request_body = BulkRequest,
    responses((status = 200, body = BulkResult), (status = 422, body = Problem)))]
pub async fn bulk_deals(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(req): ApiJson<BulkRequest>,
) -> ApiResult<Json<BulkResult>> {
    Ok(Json(state.services().bulk(&u.actor, "deal", req).await?))
}

/// Restore a deleted deal (administrators).
#[utoipa::path(post, path = "/deals/{id}/restore", tag = "deals", params(("id" = Uuid, Path)),
    responses((status = 200, body = DealView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn restore_deal(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    let d = state.services().restore_deal(&u.actor, id).await?;
    Ok(with_etag(StatusCode::OK, d.deal.version, d))
}

/// List deals: the contacts' filter builder with deal fields, saved views, title search,
/// keyset pages. Sorts: `updated_at` (default `-updated_at`), `created_at`, `title`,
/// `amount_minor`, `stage_entered_at`, `custom_fields.<key>`.
#[utoipa::path(get, path = "/deals", tag = "deals", params(ListRequest),
    responses((status = 200, body = Page<Deal>), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn list_deals(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(q): Query<ListRequest>,
) -> ApiResult<Json<Page<Deal>>> {
    Ok(Json(state.services().list_deals(&u.actor, &q).await?))
}

/// Create a deal (in the first pipeline's first open stage unless told otherwise).
#[utoipa::path(post, path = "/deals", tag = "deals", request_body = DealInput,
    responses((status = 201, body = DealView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_deal(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(input): ApiJson<DealInput>,
) -> ApiResult<Response> {
    let d = state.services().create_deal(&u.actor, input).await?;
    Ok(with_etag(StatusCode::CREATED, d.deal.version, d))
}

/// One deal with its lines, totals, payments, co-owners, stage history and durations.
#[utoipa::path(get, path = "/deals/{id}", tag = "deals", params(("id" = Uuid, Path)),
    responses((status = 200, body = DealView), (status = 404, body = Problem)))]
pub async fn get_deal(State(state): State<AppState>, ApiUser(u): ApiUser, Path(id): Path<Uuid>) -> ApiResult<Response> {
    let d = state.services().get_deal(&u.actor, id).await?;
    Ok(with_etag(StatusCode::OK, d.deal.version, d))
}

/// Change a deal: send only the fields to change. The stage, pipeline and status change by
/// `POST /deals/{id}/move`; with line items the amount is their total. `If-Match` for safety.
#[utoipa::path(patch, path = "/deals/{id}", tag = "deals", params(("id" = Uuid, Path)), request_body = DealInput,
    responses((status = 200, body = DealView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn update_deal(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
    ApiJson(patch): ApiJson<Map<String, Value>>,
) -> ApiResult<Response> {
    let d = state.services().update_deal(&u.actor, id, patch, if_match).await?;
    Ok(with_etag(StatusCode::OK, d.deal.version, d))
}

/// Delete a deal (soft; the owner's reach, not a co-owner's).
#[utoipa::path(delete, path = "/deals/{id}", tag = "deals", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 412, body = Problem)))]
pub async fn delete_deal(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
) -> ApiResult<StatusCode> {
    state.services().delete_deal(&u.actor, id, if_match).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Move a deal to a stage. Entering the won or lost stage closes it (`status`, `closed_at`);
/// the lost stage needs a `loss_reason_id` while reasons are configured; moving back to an
/// open stage reopens it. Another pipeline's stage needs its `pipeline_id`. The stage
/// history, a `stage_changed` event and an audit line are written with the move.
#[utoipa::path(post, path = "/deals/{id}/move", tag = "deals", params(("id" = Uuid, Path)), request_body = MoveRequest,
    responses((status = 200, body = DealView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn move_deal(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
    ApiJson(req): ApiJson<MoveRequest>,
) -> ApiResult<Response> {
    let d = state.services().move_deal(&u.actor, id, req, if_match).await?;
    Ok(with_etag(StatusCode::OK, d.deal.version, d))
}

/// Replace every line item; the deal's amount becomes their total (exact, rounded per line
/// half away from zero). Errors name the line: `items[1].quantity`.
#[utoipa::path(put, path = "/deals/{id}/items", tag = "deals", params(("id" = Uuid, Path)), request_body = ItemsRequest,
    responses((status = 200, body = DealView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn replace_items(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
    ApiJson(req): ApiJson<ItemsRequest>,
) -> ApiResult<Response> {
    let d = state.services().replace_items(&u.actor, id, req, if_match).await?;
    Ok(with_etag(StatusCode::OK, d.deal.version, d))
}

/// Add a planned or received payment (in the deal's currency).
#[utoipa::path(post, path = "/deals/{id}/payments", tag = "deals", params(("id" = Uuid, Path)), request_body = PaymentRequest,
    responses((status = 201, body = DealPayment), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn add_payment(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(req): ApiJson<PaymentRequest>,
) -> ApiResult<(StatusCode, Json<DealPayment>)> {
    Ok((StatusCode::CREATED, Json(state.services().add_payment(&u.actor, id, req).await?)))
}

/// Remove a payment.
#[utoipa::path(delete, path = "/deals/{id}/payments/{payment_id}", tag = "deals",
    params(("id" = Uuid, Path), ("payment_id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn remove_payment(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path((id, payment_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    state.services().remove_payment(&u.actor, id, payment_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Time the deal spent in each stage (repeated stays added up; the current one up to now).
#[utoipa::path(get, path = "/deals/{id}/durations", tag = "deals", params(("id" = Uuid, Path)),
    responses((status = 200, body = DurationList), (status = 404, body = Problem)))]
pub async fn deal_durations(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<DurationList>> {
    Ok(Json(DurationList { data: state.services().deal_durations(&u.actor, id).await? }))
}
