//! The product catalogue in the web UI: the list with search and a category filter, the
//! product card with prices, stock and movements (and the receipt form), and categories.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use clientele_core::authz::{Action, Area, check_area};
use clientele_core::domain::product::{PriceList, Product, StockMovement};
use clientele_core::service::{
    CategoryNode, CategoryRequest, MovementListRequest, ProductInput, ProductListRequest, StockRequest,
};
use serde_json::json;
use uuid::Uuid;

use super::clients_common::Pairs;
use super::{Chrome, error_page, redirect_with_flash, render};
use crate::auth::{WebUser, urlencode};
use crate::state::AppState;

pub struct ProductRow {
    pub id: String,
    pub name: String,
    pub sku: String,
    pub category: String,
    pub price: String,
    pub on_hand: String,
    pub below_zero: bool,
    pub active: bool,
}

fn product_row(p: &Product, cats: &[CategoryNode]) -> ProductRow {
    ProductRow {
        id: p.id.to_string(),
        name: p.name.clone(),
        sku: p.sku.clone().unwrap_or_default(),
        category: p
            .category_id
            .and_then(|c| cats.iter().find(|n| n.category.id == c))
            .map(|n| n.path.clone())
            .unwrap_or_default(),
        price: p.prices.iter().map(|x| format!("{} {}", x.amount, x.currency)).collect::<Vec<_>>().join(" · "),
        on_hand: format!("{}{}", p.on_hand, p.unit.as_deref().map(|u| format!(" {u}")).unwrap_or_default()),
        below_zero: p.below_zero,
        active: p.active,
    }
}

#[derive(Template)]
#[template(path = "products/list.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<ProductRow>,
    q: String,
    category: String,
    below_zero: bool,
    cats: Vec<CategoryNode>,
    lists: Vec<PriceList>,
    can_edit: bool,
    next_href: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    WebUser(user): WebUser,
) -> Response {
    let c = Chrome::for_user(&state, &headers, &user, "/products", "nav-products").await;
    let s = state.services();
    let q = Pairs::from_query(raw.as_deref());
    let text = q.get("q").unwrap_or("").to_owned();
    let category = q.get("category_id").unwrap_or("").to_owned();
    let below_zero = q.get("below_zero") == Some("true");
    let req = ProductListRequest {
        q: Some(text.clone()).filter(|t| !t.is_empty()),
        category_id: Uuid::parse_str(&category).ok(),
        below_zero,
        cursor: q.get("cursor").map(str::to_owned),
        limit: Some(50),
        ..ProductListRequest::default()
    };
    let (page, cats, lists) = match (
        s.list_products(&user.actor, &req).await,
        s.list_categories(&user.actor).await,
        s.list_price_lists(&user.actor).await,
    ) {
        (Ok(p), Ok(c), Ok(l)) => (p, c, l),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return error_page(&state, &headers, Some(&user), e),
    };
    let next_href = page.next_cursor.as_ref().map(|cur| {
        format!("/products?q={}&category_id={}&cursor={}", urlencode(&text), urlencode(&category), urlencode(cur))
    });
    let rows = page.data.iter().map(|p| product_row(p, &cats)).collect();
    let can_edit = check_area(&user.actor, Area::Catalogue, Action::Create).is_ok();
    let shown = c.flash.is_some();
    render(
        StatusCode::OK,
        &ListPage { c, rows, q: text, category, below_zero, cats, lists, can_edit, next_href },
        shown,
    )
}

pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    body: Bytes,
) -> Response {
    let f = Pairs::from_bytes(&body);
    let opt = |k: &str| f.get(k).map(str::to_owned);
    let prices = match (f.uuid("price_list_id"), f.get("price")) {
        (Some(l), Some(a)) => vec![clientele_core::service::PriceInput { price_list_id: l, amount: json!(a) }],
        _ => vec![],
    };
    let input = ProductInput {
        name: opt("name"),
        sku: opt("sku"),
        unit: opt("unit"),
        description: opt("description"),
        category_id: f.uuid("category_id"),
        active: Some(true),
        cost: f.get("cost").map(|c| json!(c)),
        cost_currency: opt("cost_currency"),
        prices,
    };
    match state.services().create_product(&user.actor, input).await {
        Ok(p) => redirect_with_flash(&format!("/products/{}", p.id), "product-created"),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

pub struct MovementRow {
    pub at: String,
    pub kind: String,
    pub quantity: String,
    pub balance: String,
    pub who: String,
    pub note: String,
    pub negative: bool,
}

#[derive(Template)]
#[template(path = "products/card.html")]
struct CardPage {
    c: Chrome,
    p: Product,
    r: ProductRow,
    moves: Vec<MovementRow>,
    can_stock: bool,
}

pub async fn card(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
) -> Response {
    let s = state.services();
    let req = MovementListRequest { limit: Some(100), cursor: None };
    let (p, moves, cats) = match (
        s.get_product(&user.actor, id).await,
        s.list_movements(&user.actor, id, &req).await,
        s.list_categories(&user.actor).await,
    ) {
        (Ok(p), Ok(m), Ok(c)) => (p, m, c),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return error_page(&state, &headers, Some(&user), e),
    };
    let mut c = Chrome::for_user(&state, &headers, &user, "/products", "nav-products").await;
    c.title = p.name.clone();
    let moves = moves
        .data
        .iter()
        .map(|m: &StockMovement| MovementRow {
            at: m.at.format("%Y-%m-%d %H:%M").to_string(),
            kind: c.t.get(&format!("stock-kind-{}", m.kind.as_str())),
            negative: m.quantity.starts_with('-'),
            quantity: m.quantity.clone(),
            balance: m.balance.clone(),
            who: m.created_by_name.clone(),
            note: m.note.clone().unwrap_or_default(),
        })
        .collect();
    let r = product_row(&p, &cats);
    let can_stock = check_area(&user.actor, Area::Stock, Action::Create).is_ok();
    let shown = c.flash.is_some();
    render(StatusCode::OK, &CardPage { c, p, r, moves, can_stock }, shown)
}

pub async fn stock_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Response {
    let f = Pairs::from_bytes(&body);
    let req = StockRequest {
        kind: f.get("kind").unwrap_or("receipt").to_owned(),
        quantity: json!(f.str("quantity")),
        note: f.get("note").map(str::to_owned),
    };
    match state.services().add_stock(&user.actor, id, req).await {
        Ok(_) => redirect_with_flash(&format!("/products/{id}"), "stock-saved"),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

#[derive(Template)]
#[template(path = "products/categories.html")]
struct CategoriesPage {
    c: Chrome,
    cats: Vec<CategoryNode>,
    can_edit: bool,
}

pub async fn categories(State(state): State<AppState>, headers: HeaderMap, WebUser(user): WebUser) -> Response {
    let cats = match state.services().list_categories(&user.actor).await {
        Ok(c) => c,
        Err(e) => return error_page(&state, &headers, Some(&user), e),
    };
    let c = Chrome::for_user(&state, &headers, &user, "/products", "product-categories").await;
    let can_edit = check_area(&user.actor, Area::Catalogue, Action::Create).is_ok();
    let shown = c.flash.is_some();
    render(StatusCode::OK, &CategoriesPage { c, cats, can_edit }, shown)
}

pub async fn category_create(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    body: Bytes,
) -> Response {
    let f = Pairs::from_bytes(&body);
    let req = CategoryRequest {
        name: f.get("name").map(str::to_owned),
        parent_id: f.get("parent_id").map(|p| json!(p)),
        position: None,
    };
    match state.services().create_category(&user.actor, req).await {
        Ok(_) => redirect_with_flash("/products/categories", "category-created"),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}
