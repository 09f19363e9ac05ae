//! The product catalogue in the web UI: the list with search and a category filter, the
//! product card with prices, stock and movements (and the receipt form), the product form
//! (name, SKU, unit, category, cost, a price per price list, active), price lists and
//! categories.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use clientele_core::authz::{Action, Area, check_area};
use clientele_core::domain::product::{PriceList, Product, StockMovement};
use clientele_core::service::{
    CategoryNode, CategoryRequest, MovementListRequest, PriceListRequest, ProductInput, ProductListRequest,
    StockRequest,
};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::clients_common::Pairs;
use super::settings::{Errs, form_errors};
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
    can_edit: bool,
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
    let can_edit = check_area(&user.actor, Area::Catalogue, Action::Update).is_ok();
    let shown = c.flash.is_some();
    render(StatusCode::OK, &CardPage { c, p, r, moves, can_stock, can_edit }, shown)
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

// ---------------- the product form ----------------

/// The product form as typed: values by field, and the price per price list.
pub struct ProductForm {
    pub id: String,
    pub version: i64,
    pub v: std::collections::BTreeMap<String, String>,
    pub active: bool,
    /// (price list id, label, price as typed).
    pub prices: Vec<(String, String, String)>,
    pub cats: Vec<(String, String)>,
    pub errs: Errs,
}

impl ProductForm {
    pub fn val(&self, k: &str) -> String {
        self.v.get(k).cloned().unwrap_or_default()
    }

    pub fn err(&self, field: &str) -> Option<String> {
        self.errs.get(field)
    }

    /// The error of the k-th price list's price (the service names it `prices[i].amount`).
    pub fn price_err<I: std::borrow::Borrow<usize>>(&self, i: I) -> Option<String> {
        let list = self.prices.get(*i.borrow())?;
        let sent: Vec<&(String, String, String)> = self.prices.iter().filter(|x| !x.2.trim().is_empty()).collect();
        let pos = sent.iter().position(|x| x.0 == list.0)?;
        self.errs.get(&format!("prices[{pos}].amount"))
    }

    pub fn other_errors(&self) -> Vec<String> {
        self.errs.other(&["name", "sku", "unit", "category_id", "cost", "cost_currency", "description", "prices["])
    }
}

#[derive(Template)]
#[template(path = "products/edit.html")]
struct EditPage {
    c: Chrome,
    f: ProductForm,
}

async fn edit_page(
    state: &AppState,
    headers: &HeaderMap,
    user: &crate::auth::Authenticated,
    mut f: ProductForm,
    status: StatusCode,
) -> Response {
    let s = state.services();
    let (cats, lists) = match (s.list_categories(&user.actor).await, s.list_price_lists(&user.actor).await) {
        (Ok(c), Ok(l)) => (c, l),
        (Err(e), _) | (_, Err(e)) => return error_page(state, headers, Some(user), e),
    };
    f.cats = cats.iter().map(|n| (n.category.id.to_string(), n.path.clone())).collect();
    let typed = std::mem::take(&mut f.prices);
    f.prices = lists
        .iter()
        .map(|l| {
            let v = typed.iter().find(|x| x.0 == l.id.to_string()).map(|x| x.2.clone()).unwrap_or_default();
            (l.id.to_string(), format!("{} ({})", l.name, l.currency), v)
        })
        .collect();
    let mut c = Chrome::for_user(state, headers, user, "/products", "product-edit").await;
    c.title = format!("{} · {}", c.t.get("product-edit"), f.val("name"));
    render(status, &EditPage { c, f }, false)
}

pub async fn edit_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
) -> Response {
    let p = match state.services().get_product(&user.actor, id).await {
        Ok(p) => p,
        Err(e) => return error_page(&state, &headers, Some(&user), e),
    };
    let mut v = std::collections::BTreeMap::new();
    for (k, x) in [
        ("name", Some(p.name.clone())),
        ("sku", p.sku.clone()),
        ("unit", p.unit.clone()),
        ("category_id", p.category_id.map(|c| c.to_string())),
        ("cost", p.cost.clone()),
        ("cost_currency", p.cost_currency.clone()),
        ("description", p.description.clone()),
    ] {
        v.insert(k.to_owned(), x.unwrap_or_default());
    }
    let f = ProductForm {
        id: id.to_string(),
        version: p.version,
        v,
        active: p.active,
        prices: p.prices.iter().map(|x| (x.price_list_id.to_string(), String::new(), x.amount.clone())).collect(),
        cats: vec![],
        errs: Errs::default(),
    };
    edit_page(&state, &headers, &user, f, StatusCode::OK).await
}

/// Saves the product form: every field, and the prices typed (an empty price takes the
/// product off that list).
pub async fn edit_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Response {
    let p = Pairs::from_bytes(&body);
    let mut v = std::collections::BTreeMap::new();
    let mut patch = Map::new();
    for k in ["name", "sku", "unit", "category_id", "cost", "cost_currency", "description"] {
        let raw = p.str(k);
        let t = raw.trim();
        patch.insert(k.to_owned(), if t.is_empty() { Value::Null } else { json!(t) });
        v.insert(k.to_owned(), raw);
    }
    let active = p.has("active");
    patch.insert("active".into(), json!(active));
    let lists = p.all("price_list");
    let amounts = p.all("price_amount");
    let typed: Vec<(String, String, String)> = lists
        .iter()
        .enumerate()
        .map(|(i, l)| (l.clone(), String::new(), amounts.get(i).cloned().unwrap_or_default()))
        .collect();
    let prices: Vec<Value> = typed
        .iter()
        .filter(|x| !x.2.trim().is_empty())
        .map(|x| json!({"price_list_id": x.0, "amount": x.2.trim()}))
        .collect();
    patch.insert("prices".into(), Value::Array(prices));
    let version: i64 = p.get("version").and_then(|x| x.parse().ok()).unwrap_or(0);
    match state.services().update_product(&user.actor, id, patch, Some(version)).await {
        Ok(_) => redirect_with_flash(&format!("/products/{id}"), "product-saved"),
        Err(e) => match form_errors(e) {
            Ok((status, errs)) => {
                let f = ProductForm { id: id.to_string(), version, v, active, prices: typed, cats: vec![], errs };
                edit_page(&state, &headers, &user, f, status).await
            }
            Err(e) => error_page(&state, &headers, Some(&user), e),
        },
    }
}

// ---------------- price lists ----------------

#[derive(Template)]
#[template(path = "products/price_lists.html")]
struct PriceListsPage {
    c: Chrome,
    lists: Vec<PriceList>,
    can_edit: bool,
    errs: Errs,
}

async fn price_lists_page(
    state: &AppState,
    headers: &HeaderMap,
    user: &crate::auth::Authenticated,
    errs: Errs,
    status: StatusCode,
) -> Response {
    let lists = match state.services().list_price_lists(&user.actor).await {
        Ok(l) => l,
        Err(e) => return error_page(state, headers, Some(user), e),
    };
    let c = Chrome::for_user(state, headers, user, "/products", "price-lists").await;
    let can_edit = check_area(&user.actor, Area::Catalogue, Action::Update).is_ok();
    let shown = c.flash.is_some();
    render(status, &PriceListsPage { c, lists, can_edit, errs }, shown)
}

pub async fn price_lists(State(state): State<AppState>, headers: HeaderMap, WebUser(user): WebUser) -> Response {
    price_lists_page(&state, &headers, &user, Errs::default(), StatusCode::OK).await
}

/// Creates a price list (`id` absent) or renames one and makes it its currency's default.
pub async fn price_list_save(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    id: Option<Path<Uuid>>,
    body: Bytes,
) -> Response {
    let p = Pairs::from_bytes(&body);
    let req = PriceListRequest {
        name: Some(p.str("name")),
        currency: p.get("currency").map(str::to_owned),
        // A new list left unticked is the default only when it is its currency's first.
        is_default: (id.is_some() || p.has("is_default")).then(|| p.has("is_default")),
    };
    let s = state.services();
    let done = match id {
        None => s.create_price_list(&user.actor, req).await.map(|_| ()),
        Some(Path(id)) => {
            s.update_price_list(&user.actor, id, req, p.get("version").and_then(|v| v.parse().ok())).await.map(|_| ())
        }
    };
    match done {
        Ok(()) => redirect_with_flash("/products/price-lists", "price-list-saved"),
        Err(e) => match form_errors(e) {
            Ok((status, errs)) => price_lists_page(&state, &headers, &user, errs, status).await,
            Err(e) => error_page(&state, &headers, Some(&user), e),
        },
    }
}

pub async fn price_list_delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
) -> Response {
    match state.services().delete_price_list(&user.actor, id).await {
        Ok(()) => redirect_with_flash("/products/price-lists", "price-list-deleted"),
        Err(e) => match form_errors(e) {
            Ok((status, errs)) => price_lists_page(&state, &headers, &user, errs, status).await,
            Err(e) => error_page(&state, &headers, Some(&user), e),
        },
    }
}
