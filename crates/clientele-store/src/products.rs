//! The product catalogue: categories, price lists, products with their prices, stock
//! movements; and the stock a won deal takes (`settle_deal_stock`, called from the deal write).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use clientele_core::domain::audit::AuditEntry;
use clientele_core::domain::client::sort_key;
use clientele_core::domain::deal::{Deal, StageKind};
use clientele_core::domain::money::format_minor;
use clientele_core::domain::page::{Page, PageRequest, Sort};
use clientele_core::domain::product::{
    Category, MovementKind, PriceList, Product, ProductPrice, StockMovement, micro_to_text, qty_to_micro,
};
use clientele_core::store::{ProductQuery, ProductStore};
use clientele_core::{Error, Result};
use rust_decimal::Decimal;
use serde_json::Value;
use uuid::Uuid;

use crate::clients::json;
use crate::db::{Params, Tx};
use crate::keyset::{SortKind, after_cursor, finish, order_by};
use crate::platform::{escape_like, insert_audit, version_conflict};
use crate::{SqlStore, args, db_err};

#[derive(sqlx::FromRow)]
struct CategoryRow {
    id: Uuid,
    version: i64,
    name: String,
    parent_id: Option<Uuid>,
    position: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct PriceListRow {
    id: Uuid,
    version: i64,
    name: String,
    currency: String,
    is_default: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<PriceListRow> for PriceList {
    fn from(r: PriceListRow) -> Self {
        PriceList {
            id: r.id,
            version: r.version,
            name: r.name,
            currency: r.currency,
            is_default: r.is_default,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

const PRODUCT_COLS: &str = "a.id, a.version, a.name, a.sku, a.unit, a.description, a.category_id, a.active, \
     a.cost_minor, a.cost_currency, a.on_hand_micro, a.created_at, a.updated_at, a.deleted_at";

#[derive(sqlx::FromRow)]
struct ProductRow {
    id: Uuid,
    version: i64,
    name: String,
    sku: Option<String>,
    unit: Option<String>,
    description: Option<String>,
    category_id: Option<Uuid>,
    active: bool,
    cost_minor: Option<i64>,
    cost_currency: Option<String>,
    on_hand_micro: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
}

impl From<ProductRow> for Product {
    fn from(r: ProductRow) -> Self {
        let mut p = Product {
            id: r.id,
            version: r.version,
            name: r.name,
            sku: r.sku,
            unit: r.unit,
            description: r.description,
            category_id: r.category_id,
            active: r.active,
            cost: None,
            cost_minor: None,
            cost_currency: None,
            on_hand: String::new(),
            on_hand_micro: 0,
            below_zero: false,
            prices: vec![],
            created_at: r.created_at,
            updated_at: r.updated_at,
            deleted_at: r.deleted_at,
        };
        p.set_cost(r.cost_minor.zip(r.cost_currency));
        p.set_on_hand(r.on_hand_micro);
        p
    }
}

#[derive(sqlx::FromRow)]
struct PriceRow {
    product_id: Uuid,
    price_list_id: Uuid,
    name: String,
    currency: String,
    is_default: bool,
    amount_minor: i64,
}

#[derive(sqlx::FromRow)]
struct MovementRow {
    id: Uuid,
    product_id: Uuid,
    kind: String,
    quantity_micro: i64,
    balance_micro: i64,
    deal_id: Option<Uuid>,
    created_by: Option<Uuid>,
    created_by_name: String,
    at: DateTime<Utc>,
    note: Option<String>,
}

impl From<MovementRow> for StockMovement {
    fn from(r: MovementRow) -> Self {
        StockMovement {
            id: r.id,
            product_id: r.product_id,
            kind: MovementKind::parse(&r.kind).unwrap_or(MovementKind::Adjustment),
            quantity: micro_to_text(r.quantity_micro),
            quantity_micro: r.quantity_micro,
            balance: micro_to_text(r.balance_micro),
            deal_id: r.deal_id,
            created_by: r.created_by,
            created_by_name: r.created_by_name,
            at: r.at,
            note: r.note,
        }
    }
}

/// Adds a movement inside `tx`: stock on hand changes by its quantity (one statement, so
/// concurrent movements never lose one another) and the row records the balance after it.
async fn apply_movement(tx: &mut Tx, m: &StockMovement) -> Result<StockMovement> {
    let balance: Option<(i64,)> = tx
        .fetch_optional(
            "UPDATE products SET on_hand_micro = on_hand_micro + $2 WHERE id = $1 RETURNING on_hand_micro",
            args![m.product_id, m.quantity_micro],
        )
        .await
        .map_err(db_err("changing stock"))?;
    let Some((balance,)) = balance else { return Err(Error::NotFound("product")) };
    tx.execute(
        "INSERT INTO stock_movements (id, product_id, kind, quantity_micro, balance_micro, deal_id, created_by, \
         created_by_name, at, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        args![
            m.id,
            m.product_id,
            m.kind.as_str(),
            m.quantity_micro,
            balance,
            m.deal_id,
            m.created_by,
            m.created_by_name.clone(),
            m.at,
            m.note.clone()
        ],
    )
    .await
    .map_err(db_err("recording a stock movement"))?;
    Ok(StockMovement { balance: micro_to_text(balance), ..m.clone() })
}

/// Brings the stock a deal took in line with what it should have taken: a won (live) deal
/// takes the quantities of its product lines; any other deal takes nothing. The difference
/// per product is written as `sale` movements (negative when taking, positive when giving
/// back), so winning writes the sale, reopening gives it back, and changing the lines of a
/// won deal writes only the difference. Stock may go below zero: a sale is a fact, the deal
/// card and the product show the shortfall (`stock_warnings`, `below_zero`).
pub(crate) async fn settle_deal_stock(tx: &mut Tx, d: &Deal, audit: &AuditEntry) -> Result<()> {
    let mut want: Vec<(Uuid, i64)> = Vec::new();
    if d.status == StageKind::Won && d.deleted_at.is_none() {
        let lines: Vec<(Uuid, String)> = tx
            .fetch_all(
                "SELECT product_id, quantity FROM deal_items WHERE deal_id = $1 AND product_id IS NOT NULL",
                args![d.id],
            )
            .await
            .map_err(db_err("reading product lines"))?;
        for (pid, q) in lines {
            let micro = Decimal::from_str_exact(&q)
                .ok()
                .and_then(qty_to_micro)
                .ok_or_else(|| Error::Internal(anyhow::anyhow!("stored quantity `{q}`")))?;
            match want.iter_mut().find(|(p, _)| *p == pid) {
                Some(w) => w.1 += micro,
                None => want.push((pid, micro)),
            }
        }
    }
    let taken: Vec<(Uuid, i64)> = tx
        .fetch_all(
            "SELECT product_id, CAST(SUM(quantity_micro) AS BIGINT) FROM stock_movements \
             WHERE deal_id = $1 AND kind = 'sale' GROUP BY product_id",
            args![d.id],
        )
        .await
        .map_err(db_err("reading a deal's stock movements"))?;
    let mut products: Vec<Uuid> = want.iter().map(|(p, _)| *p).chain(taken.iter().map(|(p, _)| *p)).collect();
    products.sort();
    products.dedup();
    for pid in products {
        let should = want.iter().find(|(p, _)| *p == pid).map_or(0, |(_, q)| *q);
        let took = -taken.iter().find(|(p, _)| *p == pid).map_or(0, |(_, q)| *q);
        let delta = took - should;
        if delta == 0 {
            continue;
        }
        let why = match (should, took) {
            (_, 0) => format!("sold: deal \u{201c}{}\u{201d} won", d.title),
            (0, _) if d.deleted_at.is_some() => format!("given back: deal \u{201c}{}\u{201d} deleted", d.title),
            (0, _) => format!("given back: deal \u{201c}{}\u{201d} reopened", d.title),
            _ => format!("deal \u{201c}{}\u{201d}: lines changed", d.title),
        };
        let m = StockMovement {
            id: clientele_core::domain::new_id(),
            product_id: pid,
            kind: MovementKind::Sale,
            quantity: micro_to_text(delta),
            quantity_micro: delta,
            balance: String::new(),
            deal_id: Some(d.id),
            created_by: audit.actor_id,
            created_by_name: audit.actor_name.clone(),
            at: audit.at,
            note: Some(why),
        };
        apply_movement(tx, &m).await?;
    }
    Ok(())
}

impl SqlStore {
    /// Attaches prices (with their lists) to products.
    async fn with_prices(&self, mut products: Vec<Product>) -> Result<Vec<Product>> {
        if products.is_empty() {
            return Ok(products);
        }
        let mut p = Params::default();
        let ids: Vec<String> = products.iter().map(|x| p.push(x.id)).collect();
        let rows: Vec<PriceRow> = self
            .db
            .fetch_all(
                &format!(
                    "SELECT pp.product_id, pp.price_list_id, l.name, l.currency, l.is_default, pp.amount_minor \
                     FROM product_prices pp JOIN price_lists l ON l.id = pp.price_list_id \
                     WHERE pp.product_id IN ({}) ORDER BY l.currency, l.name, l.id",
                    ids.join(", ")
                ),
                p.0,
            )
            .await
            .map_err(db_err("reading prices"))?;
        for r in rows {
            if let Some(x) = products.iter_mut().find(|x| x.id == r.product_id) {
                x.prices.push(ProductPrice {
                    price_list_id: r.price_list_id,
                    price_list_name: r.name,
                    amount: format_minor(r.amount_minor, &r.currency),
                    currency: r.currency,
                    is_default: r.is_default,
                    amount_minor: r.amount_minor,
                });
            }
        }
        Ok(products)
    }
}

fn product_sort(sort: &Sort) -> (&'static str, SortKind) {
    match sort.field.as_str() {
        "updated_at" => ("a.updated_at", SortKind::Time),
        "created_at" => ("a.created_at", SortKind::Time),
        _ => ("a.sort_name", SortKind::Text),
    }
}

fn product_cursor(p: &Product, sort: &Sort) -> Value {
    match sort.field.as_str() {
        "updated_at" => json(&p.updated_at),
        "created_at" => json(&p.created_at),
        _ => Value::String(sort_key(&p.name)),
    }
}

#[async_trait]
impl ProductStore for SqlStore {
    async fn list_categories(&self) -> Result<Vec<Category>> {
        let rows: Vec<CategoryRow> = self
            .db
            .fetch_all(
                "SELECT id, version, name, parent_id, position, created_at, updated_at FROM product_categories \
                 ORDER BY position, name, id",
                vec![],
            )
            .await
            .map_err(db_err("reading categories"))?;
        Ok(rows
            .into_iter()
            .map(|r| Category {
                id: r.id,
                version: r.version,
                name: r.name,
                parent_id: r.parent_id,
                position: r.position,
                created_at: r.created_at,
                updated_at: r.updated_at,
            })
            .collect())
    }

    async fn save_category(&self, c: &Category, expected: Option<i64>, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        let e = || db_err("saving a category");
        match expected {
            None => {
                tx.execute(
                    "INSERT INTO product_categories (id, version, name, parent_id, position, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    args![c.id, c.version, c.name.clone(), c.parent_id, c.position, c.created_at, c.updated_at],
                )
                .await
                .map_err(e())?;
            }
            Some(v) => {
                let n = tx
                    .execute(
                        "UPDATE product_categories SET version = $2, name = $3, parent_id = $4, position = $5, \
                         updated_at = $6 WHERE id = $1 AND version = $7",
                        args![c.id, c.version, c.name.clone(), c.parent_id, c.position, c.updated_at, v],
                    )
                    .await
                    .map_err(e())?;
                if n == 0 {
                    return Err(version_conflict(&mut tx, "product_categories", c.id, "category").await);
                }
            }
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn delete_category(&self, id: Uuid, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        let e = || db_err("removing a category");
        let products: i64 = tx
            .fetch_scalar("SELECT COUNT(*) FROM products WHERE category_id = $1 AND deleted_at IS NULL", args![id])
            .await
            .map_err(e())?;
        let children: i64 = tx
            .fetch_scalar("SELECT COUNT(*) FROM product_categories WHERE parent_id = $1", args![id])
            .await
            .map_err(e())?;
        if products > 0 || children > 0 {
            return Err(Error::conflict(
                "id",
                format!("{products} products and {children} categories are in this category; move them first"),
            ));
        }
        tx.execute("UPDATE products SET category_id = NULL WHERE category_id = $1", args![id]).await.map_err(e())?;
        let n = tx.execute("DELETE FROM product_categories WHERE id = $1", args![id]).await.map_err(e())?;
        if n == 0 {
            return Err(Error::NotFound("category"));
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn list_price_lists(&self) -> Result<Vec<PriceList>> {
        let rows: Vec<PriceListRow> = self
            .db
            .fetch_all(
                "SELECT id, version, name, currency, is_default, created_at, updated_at FROM price_lists \
                 ORDER BY currency, name, id",
                vec![],
            )
            .await
            .map_err(db_err("reading price lists"))?;
        Ok(rows.into_iter().map(PriceList::from).collect())
    }

    async fn save_price_list(&self, l: &PriceList, expected: Option<i64>, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        let e = || db_err("saving a price list");
        if l.is_default {
            tx.execute(
                "UPDATE price_lists SET is_default = $3 WHERE currency = $1 AND id <> $2 AND is_default = $4",
                args![l.currency.clone(), l.id, false, true],
            )
            .await
            .map_err(e())?;
        }
        match expected {
            None => {
                tx.execute(
                    "INSERT INTO price_lists (id, version, name, currency, is_default, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    args![
                        l.id,
                        l.version,
                        l.name.clone(),
                        l.currency.clone(),
                        l.is_default,
                        l.created_at,
                        l.updated_at
                    ],
                )
                .await
                .map_err(e())?;
            }
            Some(v) => {
                let n = tx
                    .execute(
                        "UPDATE price_lists SET version = $2, name = $3, is_default = $4, updated_at = $5 \
                         WHERE id = $1 AND version = $6",
                        args![l.id, l.version, l.name.clone(), l.is_default, l.updated_at, v],
                    )
                    .await
                    .map_err(e())?;
                if n == 0 {
                    return Err(version_conflict(&mut tx, "price_lists", l.id, "price list").await);
                }
            }
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn delete_price_list(&self, id: Uuid, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        let e = || db_err("removing a price list");
        tx.execute("DELETE FROM product_prices WHERE price_list_id = $1", args![id]).await.map_err(e())?;
        let n = tx.execute("DELETE FROM price_lists WHERE id = $1", args![id]).await.map_err(e())?;
        if n == 0 {
            return Err(Error::NotFound("price list"));
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn get_product(&self, id: Uuid) -> Result<Option<Product>> {
        Ok(self.products_by_ids(&[id]).await?.into_iter().next())
    }

    async fn products_by_ids(&self, ids: &[Uuid]) -> Result<Vec<Product>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let mut p = Params::default();
        let list: Vec<String> = ids.iter().map(|i| p.push(*i)).collect();
        let rows: Vec<ProductRow> = self
            .db
            .fetch_all(&format!("SELECT {PRODUCT_COLS} FROM products a WHERE a.id IN ({})", list.join(", ")), p.0)
            .await
            .map_err(db_err("reading products"))?;
        self.with_prices(rows.into_iter().map(Product::from).collect()).await
    }

    async fn list_products(&self, q: &ProductQuery) -> Result<Page<Product>> {
        let mut p = Params::default();
        let mut sql = format!("SELECT {PRODUCT_COLS} FROM products a WHERE a.deleted_at IS NULL");
        if !q.terms.is_empty() || q.sku.is_some() {
            let names: Vec<String> = q
                .terms
                .iter()
                .map(|t| format!("a.sort_name LIKE {} ESCAPE '\\'", p.push(format!("%{}%", escape_like(t)))))
                .collect();
            let mut alts: Vec<String> = Vec::new();
            if !names.is_empty() {
                alts.push(format!("({})", names.join(" AND ")));
            }
            if let Some(s) = &q.sku {
                alts.push(format!("a.sku LIKE {} ESCAPE '\\'", p.push(format!("{}%", escape_like(s)))));
            }
            sql.push_str(&format!(" AND ({})", alts.join(" OR ")));
        }
        if let Some(cats) = &q.categories {
            if cats.is_empty() {
                sql.push_str(" AND 1 = 0");
            } else {
                let list: Vec<String> = cats.iter().map(|c| p.push(*c)).collect();
                sql.push_str(&format!(" AND a.category_id IN ({})", list.join(", ")));
            }
        }
        if let Some(active) = q.active {
            sql.push_str(&format!(" AND a.active = {}", p.push(active)));
        }
        if q.below_zero {
            sql.push_str(" AND a.on_hand_micro < 0");
        }
        let (col, kind) = product_sort(&q.page.sort);
        sql.push_str(&after_cursor(&mut p, col, "a.id", &q.page.sort, kind, q.page.cursor.as_ref())?);
        sql.push_str(&order_by(col, "a.id", &q.page.sort));
        sql.push_str(&format!(" LIMIT {}", p.push(i64::from(q.page.limit) + 1)));
        let rows: Vec<ProductRow> = self.db.fetch_all(&sql, p.0).await.map_err(db_err("listing products"))?;
        let page = finish(rows.into_iter().map(Product::from).collect(), q.page.limit, &q.page.sort, |x| {
            (product_cursor(x, &q.page.sort), x.id)
        });
        let data = self.with_prices(page.data).await?;
        Ok(Page { data, next_cursor: page.next_cursor })
    }

    async fn save_product(&self, pr: &Product, expected: Option<i64>, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        let sku_taken = |e: sqlx::Error| match db_err("saving a product")(e) {
            Error::Conflict { .. } => Error::conflict("sku", "another product has this SKU"),
            other => other,
        };
        let values = args![
            pr.id,
            pr.version,
            pr.name.clone(),
            sort_key(&pr.name),
            pr.sku.clone(),
            pr.unit.clone(),
            pr.description.clone(),
            pr.category_id,
            pr.active,
            pr.cost_minor,
            pr.cost_currency.clone(),
            pr.created_at,
            pr.updated_at,
            pr.deleted_at
        ];
        match expected {
            None => {
                tx.execute(
                    "INSERT INTO products (id, version, name, sort_name, sku, unit, description, category_id, active, \
                     cost_minor, cost_currency, on_hand_micro, created_at, updated_at, deleted_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, $12, $13, $14)",
                    values,
                )
                .await
                .map_err(sku_taken)?;
            }
            Some(v) => {
                let mut values = values;
                values.push(v.into());
                let n = tx
                    .execute(
                        "UPDATE products SET version = $2, name = $3, sort_name = $4, sku = $5, unit = $6, \
                         description = $7, category_id = $8, active = $9, cost_minor = $10, cost_currency = $11, \
                         created_at = $12, updated_at = $13, deleted_at = $14 WHERE id = $1 AND version = $15",
                        values,
                    )
                    .await
                    .map_err(sku_taken)?;
                if n == 0 {
                    return Err(version_conflict(&mut tx, "products", pr.id, "product").await);
                }
            }
        }
        let e = || db_err("saving prices");
        tx.execute("DELETE FROM product_prices WHERE product_id = $1", args![pr.id]).await.map_err(e())?;
        for price in &pr.prices {
            tx.execute(
                "INSERT INTO product_prices (product_id, price_list_id, amount_minor) VALUES ($1, $2, $3)",
                args![pr.id, price.price_list_id, price.amount_minor],
            )
            .await
            .map_err(e())?;
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn add_stock_movement(&self, m: &StockMovement, audit: &AuditEntry) -> Result<StockMovement> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        let out = apply_movement(&mut tx, m).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(out)
    }

    async fn list_movements(&self, product_id: Uuid, page: &PageRequest) -> Result<Page<StockMovement>> {
        let mut p = Params::default();
        let mut sql = format!(
            "SELECT m.id, m.product_id, m.kind, m.quantity_micro, m.balance_micro, m.deal_id, m.created_by, \
             m.created_by_name, m.at, m.note FROM stock_movements m WHERE m.product_id = {}",
            p.push(product_id)
        );
        sql.push_str(&after_cursor(&mut p, "m.at", "m.id", &page.sort, SortKind::Time, page.cursor.as_ref())?);
        sql.push_str(&order_by("m.at", "m.id", &page.sort));
        sql.push_str(&format!(" LIMIT {}", p.push(i64::from(page.limit) + 1)));
        let rows: Vec<MovementRow> = self.db.fetch_all(&sql, p.0).await.map_err(db_err("listing stock movements"))?;
        Ok(finish(rows.into_iter().map(StockMovement::from).collect(), page.limit, &page.sort, |m| (json(&m.at), m.id)))
    }
}
