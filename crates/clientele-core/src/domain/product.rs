//! The product catalogue: nested categories, products with a cost price and prices per
//! currency (price lists), stock on hand and the movements that change it.
//!
//! Quantities are exact decimals with at most 6 decimals, stored as **scaled integers**
//! (millionths: `2.5` is `2_500_000`), so that the database adds them up exactly on both
//! backends. Money follows [`super::money`]: integer minor units beside a currency code.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::deal::DealItem;
use super::money::{self, format_minor};
use crate::error::FieldError;

/// Quantities are kept in millionths.
pub const QTY_SCALE: u32 = 6;

/// `2.5` → `2_500_000`. `None` with more than 6 decimals or out of range.
pub fn qty_to_micro(q: Decimal) -> Option<i64> {
    let q = q.normalize();
    if q.scale() > QTY_SCALE {
        return None;
    }
    q.checked_mul(Decimal::from(1_000_000i64))?.to_i64()
}

/// `2_500_000` → `"2.5"`.
pub fn micro_to_text(m: i64) -> String {
    Decimal::new(m, QTY_SCALE).normalize().to_string()
}

/// A stock quantity as sent: a decimal with at most 6 decimals, not zero, at most a billion.
/// Negative only when `allow_negative` (adjustments).
pub fn parse_stock_qty(field: &str, v: &serde_json::Value, allow_negative: bool) -> Result<i64, FieldError> {
    let bad = || {
        FieldError::new(
            field,
            if allow_negative {
                "must be a non-zero number (at most 6 decimals), negative to take stock out"
            } else {
                "must be a number above 0 (at most 6 decimals)"
            },
        )
    };
    let d = money::parse_decimal_value(v).ok_or_else(bad)?.normalize();
    if d.is_zero() || (d.is_sign_negative() && !allow_negative) || d.abs() > Decimal::from(1_000_000_000i64) {
        return Err(bad());
    }
    qty_to_micro(d).ok_or_else(bad)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Category {
    pub id: Uuid,
    pub version: i64,
    pub name: String,
    /// The category this one sits in; `null` at the top.
    pub parent_id: Option<Uuid>,
    pub position: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Whether making `parent` the parent of `id` would close a loop (`id` is `parent` or one of
/// its ancestors). `parents` maps every category to its parent.
pub fn makes_cycle(id: Uuid, parent: Uuid, parents: &[(Uuid, Option<Uuid>)]) -> bool {
    let mut cur = Some(parent);
    let mut steps = 0;
    while let Some(c) = cur {
        if c == id {
            return true;
        }
        steps += 1;
        if steps > parents.len() + 1 {
            return true; // a loop already stored: refuse rather than spin
        }
        cur = parents.iter().find(|(x, _)| *x == c).and_then(|(_, p)| *p);
    }
    false
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PriceList {
    pub id: Uuid,
    pub version: i64,
    pub name: String,
    /// ISO 4217 code: every price in the list is in this currency.
    pub currency: String,
    /// The list deal lines take their price from in this currency (one per currency).
    pub is_default: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A product's price in one price list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProductPrice {
    pub price_list_id: Uuid,
    pub price_list_name: String,
    pub currency: String,
    pub is_default: bool,
    /// Exact decimal text, e.g. `"19.99"`.
    pub amount: String,
    pub amount_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Product {
    pub id: Uuid,
    pub version: i64,
    pub name: String,
    /// Stock keeping unit: unique among live products when set (compared upper-cased).
    pub sku: Option<String>,
    /// `pcs`, `kg`, `h`, ...
    pub unit: Option<String>,
    pub description: Option<String>,
    pub category_id: Option<Uuid>,
    /// Inactive products stay on old deals but cannot be put on new lines.
    pub active: bool,
    /// What one unit costs us, for the margin (minor units of `cost_currency`).
    pub cost: Option<String>,
    pub cost_minor: Option<i64>,
    pub cost_currency: Option<String>,
    /// Stock on hand, exact decimal text. May be negative (see `below_zero`).
    pub on_hand: String,
    #[serde(skip)]
    pub on_hand_micro: i64,
    /// More was sold than received: stock on hand is below zero.
    pub below_zero: bool,
    pub prices: Vec<ProductPrice>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
}

impl Product {
    pub fn set_on_hand(&mut self, micro: i64) {
        self.on_hand_micro = micro;
        self.on_hand = micro_to_text(micro);
        self.below_zero = micro < 0;
    }

    pub fn set_cost(&mut self, cost: Option<(i64, String)>) {
        match cost {
            Some((m, c)) => {
                self.cost = Some(format_minor(m, &c));
                self.cost_minor = Some(m);
                self.cost_currency = Some(c);
            }
            None => {
                self.cost = None;
                self.cost_minor = None;
                self.cost_currency = None;
            }
        }
    }

    /// The price deal lines in `currency` default to: the default price list of that
    /// currency, else the first list of that currency (by name) that prices the product.
    pub fn price_in(&self, currency: &str) -> Option<i64> {
        let mut of: Vec<&ProductPrice> = self.prices.iter().filter(|p| p.currency == currency).collect();
        of.sort_by(|a, b| b.is_default.cmp(&a.is_default).then(a.price_list_name.cmp(&b.price_list_name)));
        of.first().map(|p| p.amount_minor)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    /// Goods received (positive).
    Receipt,
    /// A correction after counting (either sign).
    Adjustment,
    /// Set aside for a deal (kept for later use: stock reservations).
    Reserve,
    Release,
    /// Sold by a won deal (negative); a reopened deal writes the same kind back (positive).
    Sale,
}

impl MovementKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MovementKind::Receipt => "receipt",
            MovementKind::Adjustment => "adjustment",
            MovementKind::Reserve => "reserve",
            MovementKind::Release => "release",
            MovementKind::Sale => "sale",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Receipt, Self::Adjustment, Self::Reserve, Self::Release, Self::Sale]
            .into_iter()
            .find(|k| k.as_str() == s.trim().to_ascii_lowercase())
    }
}

/// One change of a product's stock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StockMovement {
    pub id: Uuid,
    pub product_id: Uuid,
    pub kind: MovementKind,
    /// Exact decimal text, signed: `"5"` in, `"-2"` out.
    pub quantity: String,
    #[serde(skip)]
    pub quantity_micro: i64,
    /// Stock on hand right after this movement.
    pub balance: String,
    pub deal_id: Option<Uuid>,
    pub created_by: Option<Uuid>,
    pub created_by_name: String,
    pub at: DateTime<Utc>,
    pub note: Option<String>,
}

/// Revenue, cost and margin of a deal's lines, in the deal's currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Margin {
    pub currency: String,
    /// Σ line totals before tax (all lines).
    pub revenue: String,
    /// Σ round(quantity × cost price) of the product lines.
    pub cost: String,
    /// revenue − cost
    pub margin: String,
    pub margin_minor: i64,
    /// margin / revenue × 100, two decimals; `null` without revenue.
    pub margin_pct: Option<String>,
    /// `false` when a product line has no cost price in the deal's currency (its cost is
    /// then counted as 0 and the line is listed in `lines_without_cost`).
    pub complete: bool,
    pub lines_without_cost: Vec<Uuid>,
}

/// Margin of lines: `cost_of(product_id)` gives a product's unit cost in the deal's currency
/// (`None` when unknown there).
pub fn margin(items: &[DealItem], currency: &str, cost_of: impl Fn(Uuid) -> Option<i64>) -> Option<Margin> {
    let mut revenue: i64 = 0;
    let mut cost: i64 = 0;
    let mut missing = Vec::new();
    for it in items {
        revenue = revenue.checked_add(it.line_total_minor)?;
        let Some(pid) = it.product_id else { continue };
        match cost_of(pid) {
            Some(unit) => {
                let q = Decimal::from_str_exact(&it.quantity).ok()?;
                let c = money::round_half_away(q.checked_mul(Decimal::from(unit))?).to_i64()?;
                cost = cost.checked_add(c)?;
            }
            None => missing.push(it.id),
        }
    }
    let m = revenue.checked_sub(cost)?;
    let pct = (revenue != 0).then(|| {
        (Decimal::from(m) * Decimal::ONE_HUNDRED / Decimal::from(revenue))
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
            .to_string()
    });
    Some(Margin {
        currency: currency.to_owned(),
        revenue: format_minor(revenue, currency),
        cost: format_minor(cost, currency),
        margin: format_minor(m, currency),
        margin_minor: m,
        margin_pct: pct,
        complete: missing.is_empty(),
        lines_without_cost: missing,
    })
}

/// A product line of a won deal whose product is below zero in stock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StockWarning {
    pub product_id: Uuid,
    pub product_name: String,
    pub on_hand: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quantities_are_exact_millionths() {
        assert_eq!(qty_to_micro(Decimal::from_str_exact("2.5").unwrap()), Some(2_500_000));
        assert_eq!(qty_to_micro(Decimal::from_str_exact("0.000001").unwrap()), Some(1));
        assert_eq!(qty_to_micro(Decimal::from_str_exact("0.0000001").unwrap()), None);
        assert_eq!(micro_to_text(2_500_000), "2.5");
        assert_eq!(micro_to_text(-1_000_000), "-1");
        assert_eq!(micro_to_text(0), "0");
        assert_eq!(parse_stock_qty("quantity", &json!("10"), false), Ok(10_000_000));
        assert!(parse_stock_qty("quantity", &json!("-1"), false).is_err());
        assert_eq!(parse_stock_qty("quantity", &json!("-1,5"), true), Ok(-1_500_000));
        assert!(parse_stock_qty("quantity", &json!(0), true).is_err());
        assert!(parse_stock_qty("quantity", &json!("1.0000001"), true).is_err());
    }

    #[test]
    fn category_cycles() {
        let (a, b, c) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let tree = [(a, None), (b, Some(a)), (c, Some(b))];
        assert!(makes_cycle(a, c, &tree), "a under its own grandchild");
        assert!(makes_cycle(a, a, &tree), "a under itself");
        assert!(!makes_cycle(c, a, &tree));
    }

    #[test]
    fn margin_is_exact() {
        let d = |s: &str| Decimal::from_str_exact(s).unwrap();
        let line = |n: u128, p: Option<u128>, q: &str, price: i64| {
            DealItem::from_parts(
                Uuid::from_u128(n),
                0,
                p.map(Uuid::from_u128),
                "x".into(),
                d(q),
                None,
                price,
                d("0"),
                d("20"),
                "EUR",
            )
            .unwrap()
        };
        // 3 × 19.99 at cost 12.345 → 37.04 (37.035 rounded away); 2.5 × 10.00 at cost 6.10 → 15.25.
        let items = [line(1, Some(10), "3", 1999), line(2, Some(11), "2.5", 1000), line(3, None, "1", 500)];
        let m = margin(&items, "EUR", |p| if p == Uuid::from_u128(10) { Some(1234) } else { Some(610) }).unwrap();
        // cost 3 × 12.34 = 37.02; 2.5 × 6.10 = 15.25; revenue 59.97 + 25.00 + 5.00 = 89.97.
        assert_eq!((m.revenue.as_str(), m.cost.as_str(), m.margin.as_str()), ("89.97", "52.27", "37.70"));
        assert!(m.complete);
        let m = margin(&items, "EUR", |_| None).unwrap();
        assert_eq!(m.lines_without_cost.len(), 2);
        assert!(!m.complete);
    }
}
