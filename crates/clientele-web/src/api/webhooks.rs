//! Outgoing webhooks (issue 7): subscriptions, their delivery log, redelivery.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use clientele_core::domain::webhook::{Attempt, Delivery, Subscription};
use clientele_core::service::webhooks::SubscriptionInput;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::with_etag;
use crate::auth::ApiUser;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, IfMatch};
use crate::state::AppState;

/// Webhook subscriptions (administrators).
#[utoipa::path(get, path = "/webhooks", tag = "webhooks",
    responses((status = 200, body = Vec<Subscription>), (status = 403, body = Problem)))]
pub async fn list_webhooks(State(state): State<AppState>, ApiUser(u): ApiUser) -> ApiResult<Json<Vec<Subscription>>> {
    Ok(Json(state.services().list_subscriptions(&u.actor).await?))
}

/// Subscribe a URL to event types. The answer carries the signing `secret`, once: every
/// delivery is signed `X-Clientele-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
#[utoipa::path(post, path = "/webhooks", tag = "webhooks", request_body = SubscriptionInput,
    responses((status = 201, body = Subscription), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_webhook(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(input): ApiJson<SubscriptionInput>,
) -> ApiResult<Response> {
    let s = state.services().create_subscription(&u.actor, input).await?;
    Ok(with_etag(StatusCode::CREATED, s.version, s))
}

#[utoipa::path(get, path = "/webhooks/{id}", tag = "webhooks", params(("id" = Uuid, Path)),
    responses((status = 200, body = Subscription), (status = 404, body = Problem)))]
pub async fn get_webhook(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    let s = state.services().get_subscription(&u.actor, id).await?;
    Ok(with_etag(StatusCode::OK, s.version, s))
}

/// Change a subscription (`If-Match`); `rotate_secret: true` makes a new secret, shown once.
#[utoipa::path(patch, path = "/webhooks/{id}", tag = "webhooks", params(("id" = Uuid, Path)), request_body = SubscriptionInput,
    responses((status = 200, body = Subscription), (status = 404, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn update_webhook(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
    ApiJson(input): ApiJson<SubscriptionInput>,
) -> ApiResult<Response> {
    let s = state.services().update_subscription(&u.actor, id, input, if_match).await?;
    Ok(with_etag(StatusCode::OK, s.version, s))
}

#[utoipa::path(delete, path = "/webhooks/{id}", tag = "webhooks", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete_webhook(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    state.services().delete_subscription(&u.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DeliveriesQuery {
    pub limit: Option<u32>,
}

/// The delivery log of a subscription, newest first: status, attempts, last response code.
#[utoipa::path(get, path = "/webhooks/{id}/deliveries", tag = "webhooks", params(("id" = Uuid, Path), DeliveriesQuery),
    responses((status = 200, body = Vec<Delivery>), (status = 404, body = Problem)))]
pub async fn list_deliveries(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    Query(q): Query<DeliveriesQuery>,
) -> ApiResult<Json<Vec<Delivery>>> {
    Ok(Json(state.services().list_deliveries(&u.actor, id, q.limit).await?))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryDetail {
    #[serde(flatten)]
    pub delivery: Delivery,
    /// Every attempt with its response code (or error) and duration.
    pub attempts: Vec<Attempt>,
}

#[utoipa::path(get, path = "/webhook-deliveries/{id}", tag = "webhooks", params(("id" = Uuid, Path)),
    responses((status = 200, body = DeliveryDetail), (status = 404, body = Problem)))]
pub async fn get_delivery(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<DeliveryDetail>> {
    let (delivery, attempts) = state.services().delivery_attempts(&u.actor, id).await?;
    Ok(Json(DeliveryDetail { delivery, attempts }))
}

/// Send a delivery again (as a new job).
#[utoipa::path(post, path = "/webhook-deliveries/{id}/redeliver", tag = "webhooks", params(("id" = Uuid, Path)),
    responses((status = 202, body = Delivery), (status = 404, body = Problem)))]
pub async fn redeliver(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<(StatusCode, Json<Delivery>)> {
    Ok((StatusCode::ACCEPTED, Json(state.services().redeliver(&u.actor, id).await?)))
}
