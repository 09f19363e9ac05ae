//! The sales funnel: pipelines of stages, deals moving through them, their line items,
//! payments and stage history. Money rules are in [`super::money`].

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::money::{self, LineAmounts, format_minor};

/// What a stage means: deals in an `open` stage are in progress; the `won` and `lost` stages
/// (exactly one of each per pipeline) close them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StageKind {
    Open,
    Won,
    Lost,
}

impl StageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StageKind::Open => "open",
            StageKind::Won => "won",
            StageKind::Lost => "lost",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "open" => Some(StageKind::Open),
            "won" => Some(StageKind::Won),
            "lost" => Some(StageKind::Lost),
            _ => None,
        }
    }
}

/// A deal's status follows the kind of its stage.
pub type DealStatus = StageKind;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Stage {
    pub id: Uuid,
    pub pipeline_id: Uuid,
    pub name: String,
    pub position: i32,
    /// Chance of winning a deal in this stage, 0-100 (for forecasts).
    pub probability: i32,
    /// How many days a deal should stay here at most (durations flag longer stays).
    pub time_limit_days: Option<i32>,
    /// A colour for the board, `#rrggbb`.
    pub colour: Option<String>,
    pub kind: StageKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Pipeline {
    pub id: Uuid,
    pub version: i64,
    pub name: String,
    pub position: i32,
    /// Hidden from pickers; its deals stay where they are.
    pub archived: bool,
    /// In board order.
    pub stages: Vec<Stage>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Pipeline {
    pub fn stage(&self, id: Uuid) -> Option<&Stage> {
        self.stages.iter().find(|s| s.id == id)
    }

    /// The first open stage: where new deals start by default.
    pub fn first_open(&self) -> Option<&Stage> {
        self.stages.iter().find(|s| s.kind == StageKind::Open)
    }

    /// Problems with the stage set: exactly one won and one lost stage, at least one open.
    pub fn outcome_problem(&self) -> Option<String> {
        let count = |k| self.stages.iter().filter(|s| s.kind == k).count();
        match (count(StageKind::Open), count(StageKind::Won), count(StageKind::Lost)) {
            (0, _, _) => Some("a pipeline needs at least one open stage".into()),
            (_, 1, 1) => None,
            (_, w, l) => Some(format!("a pipeline needs exactly one won and one lost stage (has {w} won, {l} lost)")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LossReason {
    pub id: Uuid,
    pub version: i64,
    pub name: String,
    pub position: i32,
    /// Archived reasons stay on the deals that have them but cannot be chosen any more.
    pub archived: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One unit of `currency` is worth `rate` units of `base` from `valid_from` on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CurrencyRate {
    pub id: Uuid,
    pub base: String,
    pub currency: String,
    /// Exact decimal, e.g. `"0.0062"`.
    pub rate: String,
    pub valid_from: NaiveDate,
    pub created_at: DateTime<Utc>,
}

/// The rate of each currency on `day`: the newest rate whose `valid_from` is not after it.
pub fn rates_on(rates: &[CurrencyRate], base: &str, day: NaiveDate) -> Vec<(String, Decimal)> {
    let mut out: Vec<(String, Decimal, NaiveDate)> = Vec::new();
    for r in rates.iter().filter(|r| r.base == base && r.valid_from <= day) {
        let Ok(rate) = Decimal::from_str_exact(&r.rate) else { continue };
        match out.iter_mut().find(|(c, _, _)| *c == r.currency) {
            Some(e) if e.2 < r.valid_from => *e = (r.currency.clone(), rate, r.valid_from),
            Some(_) => {}
            None => out.push((r.currency.clone(), rate, r.valid_from)),
        }
    }
    out.into_iter().map(|(c, r, _)| (c, r)).collect()
}

/// An amount in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MoneyAmount {
    pub currency: String,
    /// Exact decimal text, e.g. `"1234.50"`.
    pub amount: String,
}

/// Amounts of several currencies added up in the base currency: `total` holds what could be
/// converted, `unconverted` the currencies without a rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BaseTotal {
    pub currency: String,
    pub total: String,
    pub total_minor: i64,
    pub unconverted: Vec<MoneyAmount>,
}

/// Converts per-currency sums (minor units) into the base currency, each sum once.
pub fn to_base(sums: &[(String, i64)], base: &str, rates: &[(String, Decimal)]) -> BaseTotal {
    let mut total: i64 = 0;
    let mut unconverted = Vec::new();
    for (cur, minor) in sums {
        let converted = if cur == base {
            Some(*minor)
        } else {
            rates.iter().find(|(c, _)| c == cur).and_then(|(_, r)| money::convert(*minor, cur, *r, base))
        };
        match converted.and_then(|c| total.checked_add(c)) {
            Some(t) => total = t,
            None => unconverted.push(MoneyAmount { currency: cur.clone(), amount: format_minor(*minor, cur) }),
        }
    }
    BaseTotal { currency: base.to_owned(), total: format_minor(total, base), total_minor: total, unconverted }
}

/// A deal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Deal {
    pub id: Uuid,
    pub version: i64,
    pub title: String,
    pub pipeline_id: Uuid,
    pub stage_id: Uuid,
    /// Follows the stage: `open`, `won` or `lost`. Changed only by moving the deal.
    pub status: DealStatus,
    /// Exact decimal text in the deal's currency, e.g. `"1234.50"`. With line items, their total.
    pub amount: String,
    /// The same amount in minor units (cents).
    pub amount_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    pub expected_close_date: Option<NaiveDate>,
    /// Where the deal came from (channel): `website`, `referral`, `cold_call`, ...
    pub source: Option<String>,
    pub contact_id: Option<Uuid>,
    pub company_id: Option<Uuid>,
    /// The main manager.
    pub owner_id: Option<Uuid>,
    /// Co-owners: they see and change the deal like its owner (but cannot delete it).
    pub co_owner_ids: Vec<Uuid>,
    /// The lead this deal was converted from.
    pub lead_id: Option<Uuid>,
    pub loss_reason_id: Option<Uuid>,
    pub loss_note: Option<String>,
    pub notes: Option<String>,
    pub tags: Vec<String>,
    #[schema(value_type = Object)]
    pub custom_fields: Map<String, Value>,
    /// When the deal entered its current stage.
    pub stage_entered_at: DateTime<Utc>,
    /// When it was won or lost; `null` while open.
    pub closed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
}

impl Deal {
    pub fn set_amount(&mut self, minor: i64) {
        self.amount_minor = minor;
        self.amount = format_minor(minor, &self.currency);
    }
}

/// A line of a deal: a product or service, its quantity and price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DealItem {
    pub id: Uuid,
    pub position: i32,
    /// The catalogue product (when products exist).
    pub product_id: Option<Uuid>,
    pub name: String,
    /// Exact decimal text, e.g. `"2.5"`.
    pub quantity: String,
    /// `pcs`, `kg`, `h`, ...
    pub unit: Option<String>,
    pub unit_price: String,
    pub unit_price_minor: i64,
    pub discount_pct: String,
    pub tax_pct: String,
    /// quantity × unit price
    pub subtotal: String,
    pub discount: String,
    /// quantity × unit price × (1 − discount %), before tax
    pub line_total: String,
    pub line_total_minor: i64,
    pub tax: String,
    pub tax_minor: i64,
    /// line total + tax
    pub total: String,
}

impl DealItem {
    /// Builds a line from its stored parts, recomputing the shown amounts with the same rules.
    #[allow(clippy::too_many_arguments)]
    pub fn from_parts(
        id: Uuid,
        position: i32,
        product_id: Option<Uuid>,
        name: String,
        quantity: Decimal,
        unit: Option<String>,
        unit_price_minor: i64,
        discount_pct: Decimal,
        tax_pct: Decimal,
        currency: &str,
    ) -> Option<Self> {
        let a = money::line_amounts(quantity, unit_price_minor, discount_pct, tax_pct)?;
        let f = |m: i64| format_minor(m, currency);
        Some(Self {
            id,
            position,
            product_id,
            name,
            quantity: quantity.normalize().to_string(),
            unit,
            unit_price: f(unit_price_minor),
            unit_price_minor,
            discount_pct: discount_pct.normalize().to_string(),
            tax_pct: tax_pct.normalize().to_string(),
            subtotal: f(a.gross),
            discount: f(a.discount),
            line_total: f(a.net),
            line_total_minor: a.net,
            tax: f(a.tax),
            tax_minor: a.tax,
            total: f(a.total),
        })
    }

    pub fn amounts(&self) -> Option<LineAmounts> {
        let q = Decimal::from_str_exact(&self.quantity).ok()?;
        let d = Decimal::from_str_exact(&self.discount_pct).ok()?;
        let t = Decimal::from_str_exact(&self.tax_pct).ok()?;
        money::line_amounts(q, self.unit_price_minor, d, t)
    }
}

/// Totals of a deal's lines, as exact decimal text in the deal's currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DealTotals {
    pub currency: String,
    /// Σ quantity × unit price
    pub subtotal: String,
    /// Σ discounts
    pub discount: String,
    /// subtotal − discount: Σ line totals before tax
    pub net: String,
    pub tax: String,
    /// net + tax; the deal's amount when it has lines
    pub total: String,
    pub total_minor: i64,
}

pub fn totals(items: &[DealItem], currency: &str) -> Option<DealTotals> {
    let lines: Vec<LineAmounts> = items.iter().map(DealItem::amounts).collect::<Option<_>>()?;
    let t = money::sum_lines(&lines)?;
    let f = |m: i64| format_minor(m, currency);
    Some(DealTotals {
        currency: currency.to_owned(),
        subtotal: f(t.gross),
        discount: f(t.discount),
        net: f(t.net),
        tax: f(t.tax),
        total: f(t.total),
        total_minor: t.total,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentKind {
    /// Expected (a payment schedule).
    Planned,
    /// Received.
    Actual,
}

impl PaymentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentKind::Planned => "planned",
            PaymentKind::Actual => "actual",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "planned" => Some(PaymentKind::Planned),
            "actual" => Some(PaymentKind::Actual),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DealPayment {
    pub id: Uuid,
    pub deal_id: Uuid,
    pub kind: PaymentKind,
    pub date: NaiveDate,
    /// In the deal's currency.
    pub amount: String,
    pub amount_minor: i64,
    pub note: Option<String>,
    /// The invoice it belongs to (when invoices exist).
    pub invoice_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<Uuid>,
}

/// Planned and received payments against the deal's amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PaymentSummary {
    pub planned: String,
    pub paid: String,
    /// amount − paid
    pub outstanding: String,
}

pub fn payment_summary(deal: &Deal, payments: &[DealPayment]) -> PaymentSummary {
    let sum = |k: PaymentKind| payments.iter().filter(|p| p.kind == k).map(|p| p.amount_minor).sum::<i64>();
    let (planned, paid) = (sum(PaymentKind::Planned), sum(PaymentKind::Actual));
    PaymentSummary {
        planned: format_minor(planned, &deal.currency),
        paid: format_minor(paid, &deal.currency),
        outstanding: format_minor(deal.amount_minor - paid, &deal.currency),
    }
}

/// One stay of a deal in a stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StageVisit {
    pub id: Uuid,
    pub deal_id: Uuid,
    /// `null` for the stage the deal was created in.
    pub from_stage_id: Option<Uuid>,
    pub to_stage_id: Uuid,
    pub entered_at: DateTime<Utc>,
    /// `null` while the deal is still there.
    pub left_at: Option<DateTime<Utc>>,
    /// Who moved it (`null`: the system).
    pub moved_by: Option<Uuid>,
    pub moved_by_name: String,
}

/// Time a deal spent in one stage, over all its stays there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StageDuration {
    pub stage_id: Uuid,
    pub stage_name: String,
    /// Whole seconds, stays added up (the current stay counts up to now).
    pub seconds: i64,
    /// How many times the deal entered this stage.
    pub visits: i32,
    /// The deal is in this stage now.
    pub current: bool,
    pub time_limit_days: Option<i32>,
    /// The current stay is longer than the stage's time limit.
    pub overdue: bool,
}

/// Durations per stage, in order of first entry. `stages` names the stages (removed ones too).
pub fn stage_durations(history: &[StageVisit], stages: &[Stage], now: DateTime<Utc>) -> Vec<StageDuration> {
    let mut visits: Vec<&StageVisit> = history.iter().collect();
    visits.sort_by_key(|v| (v.entered_at, v.id));
    let mut out: Vec<StageDuration> = Vec::new();
    for v in visits {
        let end = v.left_at.unwrap_or(now);
        let secs = (end - v.entered_at).num_seconds().max(0);
        let stage = stages.iter().find(|s| s.id == v.to_stage_id);
        let idx = match out.iter().position(|d| d.stage_id == v.to_stage_id) {
            Some(i) => i,
            None => {
                out.push(StageDuration {
                    stage_id: v.to_stage_id,
                    stage_name: stage.map(|s| s.name.clone()).unwrap_or_default(),
                    seconds: 0,
                    visits: 0,
                    current: false,
                    time_limit_days: stage.and_then(|s| s.time_limit_days),
                    overdue: false,
                });
                out.len() - 1
            }
        };
        let d = &mut out[idx];
        d.seconds += secs;
        d.visits += 1;
        if v.left_at.is_none() {
            d.current = true;
            d.overdue = d.time_limit_days.is_some_and(|days| secs > i64::from(days) * 86_400);
        }
    }
    out
}

/// A domain event for later consumers (automation): kept in `deal_events`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DealEvent {
    pub id: Uuid,
    pub deal_id: Uuid,
    /// `stage_changed`.
    pub kind: String,
    pub payload: Value,
    pub actor_id: Option<Uuid>,
    pub at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn stage(n: u128, name: &str, limit: Option<i32>) -> Stage {
        Stage {
            id: Uuid::from_u128(n),
            pipeline_id: Uuid::nil(),
            name: name.into(),
            position: 0,
            probability: 10,
            time_limit_days: limit,
            colour: None,
            kind: StageKind::Open,
        }
    }

    fn visit(to: u128, from_h: i64, to_h: Option<i64>, t0: DateTime<Utc>) -> StageVisit {
        StageVisit {
            id: Uuid::now_v7(),
            deal_id: Uuid::nil(),
            from_stage_id: None,
            to_stage_id: Uuid::from_u128(to),
            entered_at: t0 + Duration::hours(from_h),
            left_at: to_h.map(|h| t0 + Duration::hours(h)),
            moved_by: None,
            moved_by_name: "x".into(),
        }
    }

    #[test]
    fn durations_add_up_repeated_stays_and_flag_overdue() {
        let t0: DateTime<Utc> = "2026-03-01T09:00:00Z".parse().unwrap();
        let stages = [stage(1, "Qualification", None), stage(2, "Proposal", Some(2))];
        // Q 0-5 h, P 5-29 h, back to Q 29-30 h, P again from 30 h until now (100 h).
        let h =
            [visit(1, 0, Some(5), t0), visit(2, 5, Some(29), t0), visit(1, 29, Some(30), t0), visit(2, 30, None, t0)];
        let d = stage_durations(&h, &stages, t0 + Duration::hours(100));
        assert_eq!(d.len(), 2);
        assert_eq!(
            (d[0].stage_name.as_str(), d[0].seconds, d[0].visits, d[0].current),
            ("Qualification", 6 * 3600, 2, false)
        );
        assert_eq!((d[1].seconds, d[1].visits, d[1].current), ((24 + 70) * 3600, 2, true));
        assert!(d[1].overdue, "70 h in a 2-day stage");
    }

    #[test]
    fn outcome_stages_are_checked() {
        let mut p = Pipeline {
            id: Uuid::nil(),
            version: 1,
            name: "P".into(),
            position: 0,
            archived: false,
            stages: vec![stage(1, "A", None)],
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        assert!(p.outcome_problem().is_some());
        p.stages.push(Stage { kind: StageKind::Won, ..stage(2, "Won", None) });
        p.stages.push(Stage { kind: StageKind::Lost, ..stage(3, "Lost", None) });
        assert!(p.outcome_problem().is_none());
        p.stages.push(Stage { kind: StageKind::Won, ..stage(4, "Won 2", None) });
        assert!(p.outcome_problem().unwrap().contains("2 won"));
    }

    #[test]
    fn base_totals_convert_each_currency_once() {
        let d = |s: &str| Decimal::from_str_exact(s).unwrap();
        let rates = vec![("USD".to_owned(), d("0.9235")), ("JPY".to_owned(), d("0.0062"))];
        let t = to_base(
            &[("EUR".into(), 10_000), ("USD".into(), 1000), ("JPY".into(), 1000), ("GBP".into(), 500)],
            "EUR",
            &rates,
        );
        // 100.00 + 9.235→9.24 + 6.20 = 115.44; GBP has no rate.
        assert_eq!(t.total, "115.44");
        assert_eq!(t.unconverted, vec![MoneyAmount { currency: "GBP".into(), amount: "5.00".into() }]);
    }

    #[test]
    fn the_newest_applicable_rate_wins() {
        let r = |c: &str, rate: &str, from: &str| CurrencyRate {
            id: Uuid::now_v7(),
            base: "EUR".into(),
            currency: c.into(),
            rate: rate.into(),
            valid_from: from.parse().unwrap(),
            created_at: Utc::now(),
        };
        let all = [r("USD", "0.90", "2026-01-01"), r("USD", "0.95", "2026-02-01"), r("USD", "0.99", "2026-03-01")];
        let on = rates_on(&all, "EUR", "2026-02-15".parse().unwrap());
        assert_eq!(on, vec![("USD".to_owned(), Decimal::from_str_exact("0.95").unwrap())]);
        assert!(rates_on(&all, "EUR", "2025-12-31".parse().unwrap()).is_empty());
        assert!(rates_on(&all, "USD", "2026-02-15".parse().unwrap()).is_empty(), "rates of another base");
    }

    #[test]
    fn items_and_totals_as_text() {
        let q = Decimal::from_str_exact("3").unwrap();
        let it = DealItem::from_parts(
            Uuid::nil(),
            0,
            None,
            "Licence".into(),
            q,
            Some("pcs".into()),
            1999,
            Decimal::from(10),
            Decimal::from(20),
            "EUR",
        )
        .unwrap();
        assert_eq!(
            (it.subtotal.as_str(), it.discount.as_str(), it.line_total.as_str(), it.tax.as_str(), it.total.as_str()),
            ("59.97", "6.00", "53.97", "10.79", "64.76")
        );
        let t = totals(&[it.clone(), it], "EUR").unwrap();
        assert_eq!(
            (t.net.as_str(), t.tax.as_str(), t.total.as_str(), t.total_minor),
            ("107.94", "21.58", "129.52", 12952)
        );
    }
}
