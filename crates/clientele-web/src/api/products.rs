//! The product catalogue: categories, price lists, products, stock and its movements.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use clientele_core::domain::page::Page;
use clientele_core::domain::product::{Category, PriceList, Product, StockMovement};
use clientele_core::service::{
    CategoryNode, CategoryRequest, MovementListRequest, PriceListRequest, ProductInput, ProductListRequest,
    StockRequest,
};
use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::with_etag;
use crate::auth::ApiUser;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, IfMatch};
use crate::state::AppState;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CategoryList {
    /// Depth first: every category right after its parent.
    pub data: Vec<CategoryNode>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PriceListList {
    pub data: Vec<PriceList>,
}

// ---------------- categories ----------------

/// Every product category, as a tree (depth first, with `depth` and `path`).
#[utoipa::path(get, path = "/product-categories", tag = "products", responses((status = 200, body = CategoryList)))]
pub async fn list_categories(State(state): State<AppState>, ApiUser(u): ApiUser) -> ApiResult<Json<CategoryList>> {
    Ok(Json(CategoryList { data: state.services().list_categories(&u.actor).await? }))
}

/// Create a category (administrators), at the top or inside `parent_id`.
#[utoipa::path(post, path = "/product-categories", tag = "products", request_body = CategoryRequest,
    responses((status = 201, body = Category), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_category(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(req): ApiJson<CategoryRequest>,
) -> ApiResult<Response> {
    let c = state.services().create_category(&u.actor, req).await?;
    Ok(with_etag(StatusCode::CREATED, c.version, c))
}

/// Rename or move a category (administrators). Moving it inside itself or one of its own
/// sub-categories is refused (422 on `parent_id`).
#[utoipa::path(patch, path = "/product-categories/{id}", tag = "products", params(("id" = Uuid, Path)), request_body = CategoryRequest,
    responses((status = 200, body = Category), (status = 403, body = Problem), (status = 404, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn update_category(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
    ApiJson(req): ApiJson<CategoryRequest>,
) -> ApiResult<Response> {
    let c = state.services().update_category(&u.actor, id, req, if_match).await?;
    Ok(with_etag(StatusCode::OK, c.version, c))
}

/// Remove an empty category (administrators); 409 while products or categories are in it.
#[utoipa::path(delete, path = "/product-categories/{id}", tag = "products", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn delete_category(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    state.services().delete_category(&u.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------- price lists ----------------

/// Every price list (one currency each; one default per currency).
#[utoipa::path(get, path = "/price-lists", tag = "products", responses((status = 200, body = PriceListList)))]
pub async fn list_price_lists(State(state): State<AppState>, ApiUser(u): ApiUser) -> ApiResult<Json<PriceListList>> {
    Ok(Json(PriceListList { data: state.services().list_price_lists(&u.actor).await? }))
}

/// Create a price list (administrators). The first list of a currency is its default.
#[utoipa::path(post, path = "/price-lists", tag = "products", request_body = PriceListRequest,
    responses((status = 201, body = PriceList), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_price_list(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(req): ApiJson<PriceListRequest>,
) -> ApiResult<Response> {
    let l = state.services().create_price_list(&u.actor, req).await?;
    Ok(with_etag(StatusCode::CREATED, l.version, l))
}

/// Rename a price list or make it its currency's default (administrators).
#[utoipa::path(patch, path = "/price-lists/{id}", tag = "products", params(("id" = Uuid, Path)), request_body = PriceListRequest,
    responses((status = 200, body = PriceList), (status = 403, body = Problem), (status = 404, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn update_price_list(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
    ApiJson(req): ApiJson<PriceListRequest>,
) -> ApiResult<Response> {
    let l = state.services().update_price_list(&u.actor, id, req, if_match).await?;
    Ok(with_etag(StatusCode::OK, l.version, l))
}

/// Remove a price list and its prices (administrators).
#[utoipa::path(delete, path = "/price-lists/{id}", tag = "products", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete_price_list(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    state.services().delete_price_list(&u.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------- products ----------------

/// List products: search by name words or the start of the SKU, a category (with the
/// categories below it), active or not, below zero; keyset pages sorted by name.
#[utoipa::path(get, path = "/products", tag = "products", params(ProductListRequest),
    responses((status = 200, body = Page<Product>), (status = 422, body = Problem)))]
pub async fn list_products(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(q): Query<ProductListRequest>,
) -> ApiResult<Json<Page<Product>>> {
    Ok(Json(state.services().list_products(&u.actor, &q).await?))
}

/// Create a product (administrators). `sku` is unique among live products (409 otherwise).
#[utoipa::path(post, path = "/products", tag = "products", request_body = ProductInput,
    responses((status = 201, body = Product), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_product(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(input): ApiJson<ProductInput>,
) -> ApiResult<Response> {
    let p = state.services().create_product(&u.actor, input).await?;
    Ok(with_etag(StatusCode::CREATED, p.version, p))
}

/// One product with its prices and stock on hand.
#[utoipa::path(get, path = "/products/{id}", tag = "products", params(("id" = Uuid, Path)),
    responses((status = 200, body = Product), (status = 404, body = Problem)))]
pub async fn get_product(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    let p = state.services().get_product(&u.actor, id).await?;
    Ok(with_etag(StatusCode::OK, p.version, p))
}

/// Change a product (administrators; JSON merge of top-level fields, `If-Match`). `prices`
/// replaces every price. Stock on hand changes only through movements.
#[utoipa::path(patch, path = "/products/{id}", tag = "products", params(("id" = Uuid, Path)), request_body = ProductInput,
    responses((status = 200, body = Product), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn update_product(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
    ApiJson(patch): ApiJson<Map<String, Value>>,
) -> ApiResult<Response> {
    let p = state.services().update_product(&u.actor, id, patch, if_match).await?;
    Ok(with_etag(StatusCode::OK, p.version, p))
}

/// Delete a product (soft: it stays on the deals that have it).
#[utoipa::path(delete, path = "/products/{id}", tag = "products", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 412, body = Problem)))]
pub async fn delete_product(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    IfMatch(if_match): IfMatch,
) -> ApiResult<StatusCode> {
    state.services().delete_product(&u.actor, id, if_match).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Receive goods (`receipt`, quantity above 0) or correct the count (`adjustment`, either
/// sign); administrators and heads of sales. Answers the movement with the new balance.
#[utoipa::path(post, path = "/products/{id}/stock", tag = "products", params(("id" = Uuid, Path)), request_body = StockRequest,
    responses((status = 201, body = StockMovement), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn add_stock(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(req): ApiJson<StockRequest>,
) -> ApiResult<(StatusCode, Json<StockMovement>)> {
    Ok((StatusCode::CREATED, Json(state.services().add_stock(&u.actor, id, req).await?)))
}

/// A product's stock movements, newest first: receipts, adjustments, and the sales of won
/// deals (with `deal_id`).
#[utoipa::path(get, path = "/products/{id}/movements", tag = "products", params(("id" = Uuid, Path), MovementListRequest),
    responses((status = 200, body = Page<StockMovement>), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn list_movements(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<Uuid>,
    Query(q): Query<MovementListRequest>,
) -> ApiResult<Json<Page<StockMovement>>> {
    Ok(Json(state.services().list_movements(&u.actor, id, &q).await?))
}
