//! The product catalogue: categories, price lists, products and their stock; and what deals
//! take from it (line defaults, margin, stock warnings).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::clients::parse_input;
use super::deals::DealItemInput;
use super::users::to_json;
use super::{Services, audit_entry, check_version};
use crate::authz::{Action, Actor, Area, check_area};
use crate::domain::audit;
use crate::domain::client::{opt_text, required_text, search_terms};
use crate::domain::deal::{Deal, DealItem, StageKind};
use crate::domain::money;
use crate::domain::page::{Page, PageRequest};
use crate::domain::product::{
    Category, Margin, MovementKind, PriceList, Product, ProductPrice, StockMovement, StockWarning, makes_cycle,
    parse_stock_qty,
};
use crate::domain::{new_id, now};
use crate::error::{Error, Problems, Result};
use crate::store::ProductQuery;

pub const PRODUCT_SORTS: &[&str] = &["name", "updated_at", "created_at"];

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryRequest {
    pub name: Option<String>,
    /// The parent category; `null` for the top level. On PATCH, leave it out to keep it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    pub parent_id: Option<Value>,
    pub position: Option<i32>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceListRequest {
    pub name: Option<String>,
    /// ISO 4217; cannot change once the list has prices.
    pub currency: Option<String>,
    /// Deal lines in this currency take their prices from this list.
    pub is_default: Option<bool>,
}

/// A field that was sent, even as `null` (absent stays `None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// A product's price in one list, as sent.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct PriceInput {
    pub price_list_id: Uuid,
    /// In the list's currency, e.g. `"19.99"`.
    #[schema(value_type = String)]
    pub amount: Value,
}

/// What a client sends to create a product, or (merged over the current one) to change one.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductInput {
    pub name: Option<String>,
    pub sku: Option<String>,
    pub unit: Option<String>,
    pub description: Option<String>,
    pub category_id: Option<Uuid>,
    /// Default `true`.
    pub active: Option<bool>,
    /// Cost of one unit, e.g. `"12.34"`, in `cost_currency`.
    #[schema(value_type = Option<String>)]
    pub cost: Option<Value>,
    pub cost_currency: Option<String>,
    /// Replaces every price.
    #[serde(default)]
    pub prices: Vec<PriceInput>,
}

/// Fields of a stored product a client may send back in a PATCH but never sets (stock on
/// hand changes only through movements).
const PRODUCT_READ_ONLY: [&str; 8] =
    ["id", "version", "cost_minor", "on_hand", "below_zero", "created_at", "updated_at", "deleted_at"];

/// Product list filters (`GET /products`).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct ProductListRequest {
    /// Words of the name, or the start of the SKU.
    pub q: Option<String>,
    /// Only this category and the categories below it.
    pub category_id: Option<Uuid>,
    /// `true`: active only; `false`: inactive only.
    pub active: Option<bool>,
    /// Only products whose stock on hand is below zero.
    #[serde(default)]
    pub below_zero: bool,
    /// `name` (default), `updated_at`, `created_at`; `-` for descending.
    pub sort: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// `POST /products/{id}/stock`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StockRequest {
    /// `receipt` (quantity above 0) or `adjustment` (either sign).
    pub kind: String,
    /// Exact decimal, at most 6 decimals: `"10"`, `"2.5"`, `"-1"`.
    #[schema(value_type = String)]
    pub quantity: Value,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct MovementListRequest {
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// The product catalogue as a tree for pickers: categories with their depth.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CategoryNode {
    #[serde(flatten)]
    pub category: Category,
    /// 0 at the top.
    pub depth: u32,
    /// "Parent / Child" names from the top.
    pub path: String,
}

/// Defaults a deal line takes from its product.
#[derive(Debug, Clone, Default)]
pub(super) struct LineDefaults {
    pub name: Option<String>,
    pub unit: Option<String>,
    pub unit_price_minor: Option<i64>,
}

fn category_tree(all: &[Category]) -> Vec<CategoryNode> {
    fn walk(all: &[Category], parent: Option<Uuid>, depth: u32, prefix: &str, out: &mut Vec<CategoryNode>) {
        let mut kids: Vec<&Category> = all.iter().filter(|c| c.parent_id == parent).collect();
        kids.sort_by(|a, b| a.position.cmp(&b.position).then(a.name.cmp(&b.name)));
        for c in kids {
            if depth > 32 || out.iter().any(|n| n.category.id == c.id) {
                continue;
            }
            let path = if prefix.is_empty() { c.name.clone() } else { format!("{prefix} / {}", c.name) };
            out.push(CategoryNode { category: c.clone(), depth, path: path.clone() });
            walk(all, Some(c.id), depth + 1, &path, out);
        }
    }
    let mut out = Vec::new();
    walk(all, None, 0, "", &mut out);
    out
}

impl Services {
    // ---------------- categories ----------------

    /// Every category, depth first (parents before their children).
    pub async fn list_categories(&self, actor: &Actor) -> Result<Vec<CategoryNode>> {
        check_area(actor, Area::Catalogue, Action::Read)?;
        Ok(category_tree(&self.store.list_categories().await?))
    }

    fn parent_of(v: &Value, p: &mut Problems) -> Option<Option<Uuid>> {
        match v {
            Value::Null => Some(None),
            Value::String(s) if s.trim().is_empty() => Some(None),
            Value::String(s) => match Uuid::parse_str(s.trim()) {
                Ok(u) => Some(Some(u)),
                Err(_) => {
                    p.add("parent_id", "must be a category id or null");
                    None
                }
            },
            _ => {
                p.add("parent_id", "must be a category id or null");
                None
            }
        }
    }

    pub async fn create_category(&self, actor: &Actor, req: CategoryRequest) -> Result<Category> {
        check_area(actor, Area::Catalogue, Action::Create)?;
        let all = self.store.list_categories().await?;
        let mut p = Problems::new();
        let name = required_text("name", req.name.as_deref(), 120, &mut p);
        let parent = req.parent_id.as_ref().and_then(|v| Self::parent_of(v, &mut p)).flatten();
        if let Some(pid) = parent
            && !all.iter().any(|c| c.id == pid)
        {
            p.add("parent_id", "no such category");
        }
        p.into_result()?;
        let at = now();
        let c = Category {
            id: new_id(),
            version: 1,
            name: name.unwrap_or_default(),
            parent_id: parent,
            position: req.position.unwrap_or(0),
            created_at: at,
            updated_at: at,
        };
        let audit = audit_entry(actor, "create", "product_category", c.id, audit::created(&to_json(&c)));
        self.store.save_category(&c, None, &audit).await?;
        Ok(c)
    }

    pub async fn update_category(
        &self,
        actor: &Actor,
        id: Uuid,
        req: CategoryRequest,
        if_match: Option<i64>,
    ) -> Result<Category> {
        check_area(actor, Area::Catalogue, Action::Update)?;
        let all = self.store.list_categories().await?;
        let current = all.iter().find(|c| c.id == id).cloned().ok_or(Error::NotFound("category"))?;
        check_version(if_match, current.version)?;
        let mut p = Problems::new();
        let mut next = current.clone();
        if req.name.is_some() {
            next.name = required_text("name", req.name.as_deref(), 120, &mut p).unwrap_or_default();
        }
        if let Some(v) = &req.parent_id
            && let Some(parent) = Self::parent_of(v, &mut p)
        {
            if let Some(pid) = parent {
                let parents: Vec<(Uuid, Option<Uuid>)> = all.iter().map(|c| (c.id, c.parent_id)).collect();
                if !all.iter().any(|c| c.id == pid) {
                    p.add("parent_id", "no such category");
                } else if makes_cycle(id, pid, &parents) {
                    p.add("parent_id", "a category cannot sit inside itself or one of its own sub-categories");
                }
            }
            next.parent_id = parent;
        }
        if let Some(pos) = req.position {
            next.position = pos;
        }
        p.into_result()?;
        if next == current {
            return Ok(current);
        }
        next.version += 1;
        next.updated_at = now();
        let audit =
            audit_entry(actor, "update", "product_category", id, audit::diff(&to_json(&current), &to_json(&next)));
        self.store.save_category(&next, Some(current.version), &audit).await?;
        Ok(next)
    }

    pub async fn delete_category(&self, actor: &Actor, id: Uuid) -> Result<()> {
        check_area(actor, Area::Catalogue, Action::Delete)?;
        let all = self.store.list_categories().await?;
        let current = all.iter().find(|c| c.id == id).ok_or(Error::NotFound("category"))?;
        let audit = audit_entry(actor, "delete", "product_category", id, audit::deleted(&to_json(current)));
        self.store.delete_category(id, &audit).await
    }

    // ---------------- price lists ----------------

    pub async fn list_price_lists(&self, actor: &Actor) -> Result<Vec<PriceList>> {
        check_area(actor, Area::Catalogue, Action::Read)?;
        self.store.list_price_lists().await
    }

    pub async fn create_price_list(&self, actor: &Actor, req: PriceListRequest) -> Result<PriceList> {
        check_area(actor, Area::Catalogue, Action::Create)?;
        let mut p = Problems::new();
        let name = required_text("name", req.name.as_deref(), 120, &mut p);
        let currency = match req.currency.as_deref() {
            Some(c) => p.check(money::parse_currency("currency", c)),
            None => {
                p.add("currency", "is required");
                None
            }
        };
        p.into_result()?;
        let at = now();
        let existing = self.store.list_price_lists().await?;
        let currency = currency.unwrap_or_default();
        let l = PriceList {
            id: new_id(),
            version: 1,
            name: name.unwrap_or_default(),
            // The first list of a currency is its default.
            is_default: req.is_default.unwrap_or(!existing.iter().any(|x| x.currency == currency)),
            currency,
            created_at: at,
            updated_at: at,
        };
        let audit = audit_entry(actor, "create", "price_list", l.id, audit::created(&to_json(&l)));
        self.store.save_price_list(&l, None, &audit).await?;
        Ok(l)
    }

    pub async fn update_price_list(
        &self,
        actor: &Actor,
        id: Uuid,
        req: PriceListRequest,
        if_match: Option<i64>,
    ) -> Result<PriceList> {
        check_area(actor, Area::Catalogue, Action::Update)?;
        let current = self
            .store
            .list_price_lists()
            .await?
            .into_iter()
            .find(|l| l.id == id)
            .ok_or(Error::NotFound("price list"))?;
        check_version(if_match, current.version)?;
        let mut p = Problems::new();
        let mut next = current.clone();
        if req.name.is_some() {
            next.name = required_text("name", req.name.as_deref(), 120, &mut p).unwrap_or_default();
        }
        if let Some(c) = req.currency.as_deref()
            && let Some(c) = p.check(money::parse_currency("currency", c))
            && c != current.currency
        {
            p.add("currency", "cannot change: the list's prices are in its currency; create another list");
        }
        if let Some(d) = req.is_default {
            next.is_default = d;
        }
        p.into_result()?;
        if next == current {
            return Ok(current);
        }
        next.version += 1;
        next.updated_at = now();
        let audit = audit_entry(actor, "update", "price_list", id, audit::diff(&to_json(&current), &to_json(&next)));
        self.store.save_price_list(&next, Some(current.version), &audit).await?;
        Ok(next)
    }

    pub async fn delete_price_list(&self, actor: &Actor, id: Uuid) -> Result<()> {
        check_area(actor, Area::Catalogue, Action::Delete)?;
        let current = self
            .store
            .list_price_lists()
            .await?
            .into_iter()
            .find(|l| l.id == id)
            .ok_or(Error::NotFound("price list"))?;
        let audit = audit_entry(actor, "delete", "price_list", id, audit::deleted(&to_json(&current)));
        self.store.delete_price_list(id, &audit).await
    }

    // ---------------- products ----------------

    async fn fill_product(&self, product: &mut Product, input: &ProductInput, p: &mut Problems) -> Result<()> {
        product.name = required_text("name", input.name.as_deref(), 200, p).unwrap_or_default();
        product.sku = opt_text("sku", input.sku.as_deref(), 64, false, p).map(|s| s.to_uppercase());
        product.unit = opt_text("unit", input.unit.as_deref(), 20, false, p);
        product.description = opt_text("description", input.description.as_deref(), 20_000, true, p);
        product.active = input.active.unwrap_or(true);
        product.category_id = input.category_id;
        if let Some(cid) = input.category_id
            && !self.store.list_categories().await?.iter().any(|c| c.id == cid)
        {
            p.add("category_id", "no such category");
        }
        let cost_currency = match input.cost_currency.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => p.check(money::parse_currency("cost_currency", c)),
            None => None,
        };
        let cost = match &input.cost {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(v) => match &cost_currency {
                Some(c) => p.check(money::parse_amount("cost", v, c, false)).map(|m| (m, c.clone())),
                None => {
                    if input.cost_currency.as_deref().is_none_or(|c| c.trim().is_empty()) {
                        p.add("cost_currency", "is required with a cost");
                    }
                    None
                }
            },
        };
        product.set_cost(cost);
        let lists = self.store.list_price_lists().await?;
        let mut prices: Vec<ProductPrice> = Vec::new();
        if input.prices.len() > 100 {
            p.add("prices", "at most 100 prices");
        }
        for (i, pr) in input.prices.iter().enumerate().take(100) {
            let Some(list) = lists.iter().find(|l| l.id == pr.price_list_id) else {
                p.add(format!("prices[{i}].price_list_id"), "no such price list");
                continue;
            };
            if prices.iter().any(|x| x.price_list_id == list.id) {
                p.add(format!("prices[{i}].price_list_id"), "this price list is listed twice");
                continue;
            }
            if let Some(m) =
                p.check(money::parse_amount(&format!("prices[{i}].amount"), &pr.amount, &list.currency, false))
            {
                prices.push(ProductPrice {
                    price_list_id: list.id,
                    price_list_name: list.name.clone(),
                    currency: list.currency.clone(),
                    is_default: list.is_default,
                    amount: money::format_minor(m, &list.currency),
                    amount_minor: m,
                });
            }
        }
        product.prices = prices;
        Ok(())
    }

    pub async fn create_product(&self, actor: &Actor, input: ProductInput) -> Result<Product> {
        check_area(actor, Area::Catalogue, Action::Create)?;
        let at = now();
        let mut product = Product {
            id: new_id(),
            version: 1,
            name: String::new(),
            sku: None,
            unit: None,
            description: None,
            category_id: None,
            active: true,
            cost: None,
            cost_minor: None,
            cost_currency: None,
            on_hand: "0".into(),
            on_hand_micro: 0,
            below_zero: false,
            prices: vec![],
            created_at: at,
            updated_at: at,
            deleted_at: None,
        };
        let mut p = Problems::new();
        self.fill_product(&mut product, &input, &mut p).await?;
        p.into_result()?;
        let audit = audit_entry(actor, "create", "product", product.id, audit::created(&to_json(&product)));
        self.store.save_product(&product, None, &audit).await?;
        Ok(product)
    }

    async fn product_for(&self, actor: &Actor, id: Uuid, action: Action) -> Result<Product> {
        check_area(actor, Area::Catalogue, action)?;
        self.store.get_product(id).await?.filter(|p| p.deleted_at.is_none()).ok_or(Error::NotFound("product"))
    }

    pub async fn get_product(&self, actor: &Actor, id: Uuid) -> Result<Product> {
        self.product_for(actor, id, Action::Read).await
    }

    pub async fn update_product(
        &self,
        actor: &Actor,
        id: Uuid,
        patch: Map<String, Value>,
        if_match: Option<i64>,
    ) -> Result<Product> {
        let current = self.product_for(actor, id, Action::Update).await?;
        check_version(if_match, current.version)?;
        let mut base = to_json(&current).as_object().cloned().unwrap_or_default();
        for k in PRODUCT_READ_ONLY {
            base.remove(k);
        }
        // Prices are read back as objects; only the list and amount are input.
        if let Some(Value::Array(list)) = base.get_mut("prices") {
            for pr in list.iter_mut() {
                if let Some(o) = pr.as_object_mut() {
                    o.retain(|k, _| k == "price_list_id" || k == "amount");
                }
            }
        }
        for (k, v) in patch {
            if !PRODUCT_READ_ONLY.contains(&k.as_str()) {
                base.insert(k, v);
            }
        }
        let input: ProductInput = parse_input(Value::Object(base))?;
        let mut next = current.clone();
        let mut p = Problems::new();
        self.fill_product(&mut next, &input, &mut p).await?;
        p.into_result()?;
        if next == current {
            return Ok(current);
        }
        next.version += 1;
        next.updated_at = now();
        let audit = audit_entry(actor, "update", "product", id, audit::diff(&to_json(&current), &to_json(&next)));
        self.store.save_product(&next, Some(current.version), &audit).await?;
        Ok(next)
    }

    /// Soft delete: the product stays on the deals that have it.
    pub async fn delete_product(&self, actor: &Actor, id: Uuid, if_match: Option<i64>) -> Result<()> {
        let current = self.product_for(actor, id, Action::Delete).await?;
        check_version(if_match, current.version)?;
        let mut next = current.clone();
        next.version += 1;
        next.deleted_at = Some(now());
        next.updated_at = now();
        let audit = audit_entry(actor, "delete", "product", id, audit::diff(&to_json(&current), &to_json(&next)));
        self.store.save_product(&next, Some(current.version), &audit).await
    }

    pub async fn list_products(&self, actor: &Actor, req: &ProductListRequest) -> Result<Page<Product>> {
        check_area(actor, Area::Catalogue, Action::Read)?;
        let page = PageRequest::parse(req.limit, req.cursor.as_deref(), req.sort.as_deref(), PRODUCT_SORTS, "name")
            .map_err(Error::Validation)?;
        let categories = match req.category_id {
            None => None,
            Some(cid) => {
                let all = self.store.list_categories().await?;
                if !all.iter().any(|c| c.id == cid) {
                    return Err(Error::invalid("category_id", "no such category"));
                }
                let parents: Vec<(Uuid, Option<Uuid>)> = all.iter().map(|c| (c.id, c.parent_id)).collect();
                // The category and every category below it.
                Some(all.iter().filter(|c| c.id == cid || makes_cycle(cid, c.id, &parents)).map(|c| c.id).collect())
            }
        };
        let q = req.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
        let query = ProductQuery {
            terms: q.map(search_terms).unwrap_or_default(),
            sku: q.filter(|q| !q.contains(char::is_whitespace)).map(str::to_uppercase),
            categories,
            active: req.active,
            below_zero: req.below_zero,
            page,
        };
        self.store.list_products(&query).await
    }

    // ---------------- stock ----------------

    /// A receipt or an adjustment: one movement and the new stock on hand, in one transaction.
    pub async fn add_stock(&self, actor: &Actor, id: Uuid, req: StockRequest) -> Result<StockMovement> {
        check_area(actor, Area::Stock, Action::Create)?;
        let product = self.product_for(actor, id, Action::Read).await?;
        let mut p = Problems::new();
        let kind = match MovementKind::parse(&req.kind) {
            Some(k @ (MovementKind::Receipt | MovementKind::Adjustment)) => Some(k),
            _ => {
                p.add("kind", "must be receipt or adjustment (sales are written by won deals)");
                None
            }
        };
        let qty = p.check(parse_stock_qty("quantity", &req.quantity, kind == Some(MovementKind::Adjustment)));
        let note = opt_text("note", req.note.as_deref(), 2000, true, &mut p);
        p.into_result()?;
        let (Some(kind), Some(qty)) = (kind, qty) else { return Err(Error::invalid("body", "is invalid")) };
        let m = StockMovement {
            id: new_id(),
            product_id: id,
            kind,
            quantity: crate::domain::product::micro_to_text(qty),
            quantity_micro: qty,
            balance: String::new(),
            deal_id: None,
            created_by: actor.audit_id(),
            created_by_name: actor.name.clone(),
            at: now(),
            note,
        };
        let changes = json!({"stock": {"old": product.on_hand, "new": crate::domain::product::micro_to_text(product.on_hand_micro.saturating_add(qty))}, "movement": {"new": {"kind": kind, "quantity": m.quantity, "note": m.note}}});
        let audit = audit_entry(actor, "stock_changed", "product", id, changes);
        self.store.add_stock_movement(&m, &audit).await
    }

    pub async fn list_movements(
        &self,
        actor: &Actor,
        id: Uuid,
        req: &MovementListRequest,
    ) -> Result<Page<StockMovement>> {
        self.product_for(actor, id, Action::Read).await?;
        let page =
            PageRequest::parse(req.limit, req.cursor.as_deref(), None, &["at"], "-at").map_err(Error::Validation)?;
        self.store.list_movements(id, &page).await
    }

    // ---------------- deals × products ----------------

    /// Checks the products of deal lines (they exist and are active) and gives each line the
    /// defaults its product offers: name, unit, and the price in `currency` from the price
    /// lists. Problems are named by path (`items[1].product_id`).
    pub(super) async fn line_defaults(
        &self,
        items: &[DealItemInput],
        current: &[DealItem],
        currency: &str,
        p: &mut Problems,
    ) -> Result<Vec<LineDefaults>> {
        let mut ids: Vec<Uuid> = items.iter().filter_map(|i| i.product_id).collect();
        ids.sort();
        ids.dedup();
        let products = self.store.products_by_ids(&ids).await?;
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, it)| {
                let Some(pid) = it.product_id else { return LineDefaults::default() };
                match products.iter().find(|x| x.id == pid && x.deleted_at.is_none()) {
                    // A line that already had this product keeps it even if it was deactivated.
                    Some(x) if x.active || current.iter().any(|c| c.product_id == Some(pid)) => LineDefaults {
                        name: Some(x.name.clone()),
                        unit: x.unit.clone(),
                        unit_price_minor: x.price_in(currency),
                    },
                    Some(_) => {
                        p.add(format!("items[{i}].product_id"), "this product is inactive");
                        LineDefaults::default()
                    }
                    None => {
                        p.add(format!("items[{i}].product_id"), "no such product");
                        LineDefaults::default()
                    }
                }
            })
            .collect())
    }

    /// Revenue, cost and margin of a deal's lines (cost prices from the catalogue).
    pub(super) async fn deal_margin(&self, deal: &Deal, items: &[DealItem]) -> Result<(Margin, Vec<StockWarning>)> {
        let mut ids: Vec<Uuid> = items.iter().filter_map(|i| i.product_id).collect();
        ids.sort();
        ids.dedup();
        let products = if ids.is_empty() { vec![] } else { self.store.products_by_ids(&ids).await? };
        let cur = deal.currency.as_str();
        let cost_of = |pid: Uuid| {
            products
                .iter()
                .find(|x| x.id == pid)
                .filter(|x| x.cost_currency.as_deref() == Some(cur))
                .and_then(|x| x.cost_minor)
        };
        let margin = crate::domain::product::margin(items, cur, cost_of)
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("margin out of range")))?;
        let warnings = if deal.status == StageKind::Won {
            products
                .iter()
                .filter(|x| x.below_zero)
                .map(|x| StockWarning { product_id: x.id, product_name: x.name.clone(), on_hand: x.on_hand.clone() })
                .collect()
        } else {
            vec![]
        };
        Ok((margin, warnings))
    }
}
