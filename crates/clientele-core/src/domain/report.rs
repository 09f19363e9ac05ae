//! Report maths: periods and their buckets in a viewer's time zone, ratios, duration
//! statistics, the funnel's stage-to-stage conversion, ABC/XYZ classes. Pure functions; the
//! store adds things up in the database and hands the totals here.

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::zone::day_start;
use crate::error::FieldError;

/// The most buckets one series may have (a day-by-day year and a bit).
pub const MAX_BUCKETS: usize = 400;

/// A report period: local days `from_day..=to_day` in `tz`, as the UTC half-open range
/// `[from, to)` the store filters on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub from_day: NaiveDate,
    pub to_day: NaiveDate,
    pub tz: Tz,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Period {
    /// The local days `from_day..=to_day` in `tz`.
    pub fn days(from_day: NaiveDate, to_day: NaiveDate, tz: Tz) -> Result<Self, FieldError> {
        if to_day < from_day {
            return Err(FieldError::new("to", "the period ends before it starts"));
        }
        if (to_day - from_day).num_days() > 366 * 20 {
            return Err(FieldError::new("to", "a period is at most twenty years"));
        }
        let next = to_day.succ_opt().ok_or_else(|| FieldError::new("to", "date out of range"))?;
        Ok(Self { from_day, to_day, tz, from: day_start(tz, from_day), to: day_start(tz, next) })
    }

    /// Reads `from`/`to` (`YYYY-MM-DD`, both inclusive); the default is the current month
    /// up to `today`.
    pub fn parse(from: Option<&str>, to: Option<&str>, tz: Tz, today: NaiveDate) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut day =
            |field: &str, s: Option<&str>, default: NaiveDate| match s.map(str::trim).filter(|s| !s.is_empty()) {
                None => default,
                Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_else(|_| {
                    errors.push(FieldError::new(field, format!("`{s}` is not a date like 2026-03-31")));
                    default
                }),
            };
        let month_start = today.with_day(1).unwrap_or(today);
        let from_day = day("from", from, month_start);
        let to_day = day("to", to, today);
        if !errors.is_empty() {
            return Err(errors);
        }
        Self::days(from_day, to_day, tz).map_err(|e| vec![e])
    }

    /// The period just before this one: the same number of whole months when this one is whole
    /// months (March → February), otherwise the same number of days.
    pub fn previous(&self) -> Self {
        let whole_months = self.from_day.day() == 1 && self.to_day.succ_opt().is_some_and(|n| n.day() == 1);
        if whole_months {
            let months = (self.to_day.year() - self.from_day.year()) * 12 + self.to_day.month() as i32
                - self.from_day.month() as i32
                + 1;
            if let Some(from_day) = self.from_day.checked_sub_months(Months::new(months as u32))
                && let Some(to_day) = self.from_day.pred_opt()
                && let Ok(p) = Self::days(from_day, to_day, self.tz)
            {
                return p;
            }
        }
        let len = (self.to_day - self.from_day).num_days() + 1;
        let to_day = self.from_day - Duration::days(1);
        let from_day = to_day - Duration::days(len - 1);
        Self::days(from_day, to_day, self.tz).unwrap_or_else(|_| self.clone())
    }
}

/// How a series is bucketed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    Day,
    /// ISO weeks, Monday first.
    Week,
    Month,
}

impl Granularity {
    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        match s.trim() {
            "day" => Ok(Self::Day),
            "week" => Ok(Self::Week),
            "month" => Ok(Self::Month),
            other => Err(FieldError::new(field, format!("`{other}` is not one of day, week, month"))),
        }
    }
}

/// One bucket of a series: a label (`2026-03-02`, `2026-W10`, `2026-03`) and its UTC range,
/// clipped to the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    pub label: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// The period cut into local days, ISO weeks or calendar months of its zone (the first and
/// last bucket clipped to the period). Fails past [`MAX_BUCKETS`].
pub fn buckets(p: &Period, g: Granularity) -> Result<Vec<Bucket>, FieldError> {
    let mut out = Vec::new();
    let mut day = p.from_day;
    while day <= p.to_day {
        let (label, next) = match g {
            Granularity::Day => (day.format("%Y-%m-%d").to_string(), day + Duration::days(1)),
            Granularity::Week => {
                let w = day.iso_week();
                let monday = day - Duration::days(day.weekday().num_days_from_monday() as i64);
                (format!("{}-W{:02}", w.year(), w.week()), monday + Duration::days(7))
            }
            Granularity::Month => {
                let first = day.with_day(1).unwrap_or(day);
                (day.format("%Y-%m").to_string(), first.checked_add_months(Months::new(1)).unwrap_or(p.to_day))
            }
        };
        let end_day = next.min(p.to_day + Duration::days(1));
        out.push(Bucket { label, start: day_start(p.tz, day), end: day_start(p.tz, end_day) });
        if out.len() > MAX_BUCKETS {
            return Err(FieldError::new(
                "granularity",
                format!("more than {MAX_BUCKETS} buckets: choose a coarser one"),
            ));
        }
        if next <= day {
            break;
        }
        day = next;
    }
    Ok(out)
}

/// `num / den` as a percentage with two decimals (half away from zero); `None` when `den` is 0.
pub fn percent(num: i64, den: i64) -> Option<Decimal> {
    if den == 0 {
        return None;
    }
    let v = Decimal::from(num) * Decimal::from(100) / Decimal::from(den);
    Some(v.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero))
}

/// Count, mean and median of durations, in seconds (three decimals).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DurationStats {
    pub count: i64,
    pub mean_seconds: Option<f64>,
    pub median_seconds: Option<f64>,
}

impl DurationStats {
    pub fn new(count: i64, mean: Option<f64>, median: Option<f64>) -> Self {
        let r = |v: f64| (v * 1000.0).round() / 1000.0;
        if count == 0 {
            return Self::default();
        }
        Self { count, mean_seconds: mean.map(r), median_seconds: median.map(r) }
    }

    /// From the values themselves (tests and small in-memory sets).
    pub fn of(values: &[f64]) -> Self {
        if values.is_empty() {
            return Self::default();
        }
        let mut v = values.to_vec();
        v.sort_by(|a, b| a.total_cmp(b));
        let n = v.len();
        let median = if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 };
        Self::new(n as i64, Some(v.iter().sum::<f64>() / n as f64), Some(median))
    }
}

/// How far the deals of a cohort got: `max_position` is the furthest open stage (by position)
/// they ever entered; `won` whether they are won now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReachBucket {
    pub max_position: Option<i32>,
    pub won: bool,
    pub deals: i64,
}

/// The deals of the cohort that reached each of `open_positions` (ascending): those whose
/// furthest open stage is at or past it, and every won deal (a deal that skipped stages on
/// its way still passed them).
pub fn reached(open_positions: &[i32], histogram: &[ReachBucket]) -> Vec<i64> {
    open_positions
        .iter()
        .map(|pos| {
            histogram.iter().filter(|b| b.won || b.max_position.is_some_and(|m| m >= *pos)).map(|b| b.deals).sum()
        })
        .collect()
}

/// Stage-to-stage conversion: `reached[i+1] / reached[i]`, and the last open stage to `won`.
pub fn step_conversions(reached: &[i64], won: i64) -> Vec<Option<Decimal>> {
    (0..reached.len())
        .map(|i| {
            let next = reached.get(i + 1).copied().unwrap_or(won);
            percent(next, reached[i])
        })
        .collect()
}

/// ABC thresholds: the items making up the first `a` % of revenue are A, up to `b` % B, the
/// rest C.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbcThresholds {
    pub a: Decimal,
    pub b: Decimal,
}

impl Default for AbcThresholds {
    fn default() -> Self {
        Self { a: Decimal::from(80), b: Decimal::from(95) }
    }
}

impl AbcThresholds {
    pub fn check(&self) -> Result<(), FieldError> {
        if self.a <= Decimal::ZERO || self.a >= self.b || self.b > Decimal::from(100) {
            return Err(FieldError::new("abc_a", "ABC thresholds need 0 < a < b ≤ 100"));
        }
        Ok(())
    }
}

/// The ABC class of each value (same order): sorted by value descending, an item is A while
/// the cumulative share *before* it is below `a` % (so the item that crosses the line is still
/// A), B while below `b` %, else C. Items without revenue are C.
pub fn abc_classes(values: &[i64], t: AbcThresholds) -> Vec<char> {
    let total: i128 = values.iter().map(|v| (*v).max(0) as i128).sum();
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|x, y| values[*y].cmp(&values[*x]).then(x.cmp(y)));
    let mut out = vec!['C'; values.len()];
    let mut before: i128 = 0;
    for i in order {
        let v = values[i].max(0) as i128;
        if v == 0 || total == 0 {
            continue;
        }
        let share = Decimal::from_i128_with_scale(before * 100, 0) / Decimal::from_i128_with_scale(total, 0);
        out[i] = if share < t.a {
            'A'
        } else if share < t.b {
            'B'
        } else {
            'C'
        };
        before += v;
    }
    out
}

/// XYZ thresholds on the coefficient of variation of periodic revenue (as a fraction):
/// up to `x` X (steady), up to `y` Y, above Z.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct XyzThresholds {
    pub x: f64,
    pub y: f64,
}

impl Default for XyzThresholds {
    fn default() -> Self {
        Self { x: 0.1, y: 0.25 }
    }
}

impl XyzThresholds {
    pub fn check(&self) -> Result<(), FieldError> {
        if !(self.x > 0.0 && self.x < self.y && self.y.is_finite()) {
            return Err(FieldError::new("xyz_x", "XYZ thresholds need 0 < x < y"));
        }
        Ok(())
    }
}

/// Population standard deviation over mean of a series (one value per bucket, zeros
/// included); `None` for an empty series or a zero mean.
pub fn coefficient_of_variation(series: &[i64]) -> Option<f64> {
    if series.is_empty() {
        return None;
    }
    let n = series.len() as f64;
    let mean = series.iter().map(|v| *v as f64).sum::<f64>() / n;
    if mean == 0.0 {
        return None;
    }
    let var = series.iter().map(|v| (*v as f64 - mean).powi(2)).sum::<f64>() / n;
    Some(var.sqrt() / mean)
}

pub fn xyz_class(cv: Option<f64>, t: XyzThresholds) -> char {
    match cv {
        Some(c) if c <= t.x => 'X',
        Some(c) if c <= t.y => 'Y',
        _ => 'Z',
    }
}

/// One item (client or product) with its revenue per bucket, in the base currency.
#[derive(Debug, Clone, PartialEq)]
pub struct AbcItem {
    pub id: Uuid,
    pub name: String,
    pub series: Vec<i64>,
}

/// An item as classified.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AbcEntry {
    pub id: Uuid,
    pub name: String,
    /// Revenue over the period in minor units of the base currency.
    pub revenue_minor: i64,
    #[schema(value_type = String)]
    pub abc: char,
    #[schema(value_type = String)]
    pub xyz: char,
    /// Coefficient of variation of the periodic revenue (fraction), `null` without revenue.
    pub cv: Option<f64>,
}

/// One of the nine groups.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AbcGroup {
    /// `AX`, `AY`, ... `CZ`.
    pub group: String,
    pub count: i64,
    pub revenue_minor: i64,
    pub items: Vec<AbcEntry>,
}

/// Classifies items into the nine groups (AX..CZ, always all nine, in that order); each
/// group's items by revenue, highest first.
pub fn abc_xyz(items: &[AbcItem], abc: AbcThresholds, xyz: XyzThresholds) -> Vec<AbcGroup> {
    let totals: Vec<i64> = items.iter().map(|i| i.series.iter().sum()).collect();
    let classes = abc_classes(&totals, abc);
    let mut groups: Vec<AbcGroup> = ["AX", "AY", "AZ", "BX", "BY", "BZ", "CX", "CY", "CZ"]
        .iter()
        .map(|g| AbcGroup { group: (*g).to_owned(), count: 0, revenue_minor: 0, items: vec![] })
        .collect();
    for (i, item) in items.iter().enumerate() {
        let cv = coefficient_of_variation(&item.series);
        let x = xyz_class(cv, xyz);
        let a = classes[i];
        let key = format!("{a}{x}");
        if let Some(g) = groups.iter_mut().find(|g| g.group == key) {
            g.count += 1;
            g.revenue_minor += totals[i];
            g.items.push(AbcEntry {
                id: item.id,
                name: item.name.clone(),
                revenue_minor: totals[i],
                abc: a,
                xyz: x,
                cv: cv.map(|c| (c * 10000.0).round() / 10000.0),
            });
        }
    }
    for g in &mut groups {
        g.items.sort_by(|a, b| b.revenue_minor.cmp(&a.revenue_minor).then(a.name.cmp(&b.name)));
    }
    groups
}

/// Churn rate: clients lost during the period over clients active at its start.
pub fn churn_rate(active_at_start: i64, churned: i64) -> Option<Decimal> {
    percent(churned, active_at_start)
}

/// The percentage of plan reached (`fact / plan`), `None` without a plan.
pub fn kpi(fact: i64, plan: i64) -> Option<Decimal> {
    if plan <= 0 { None } else { percent(fact, plan) }
}

/// A sales plan entered by the head of sales: for a manager, a team, or everyone (neither).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SalesPlan {
    pub id: Uuid,
    pub version: i64,
    pub period_start: NaiveDate,
    /// Inclusive.
    pub period_end: NaiveDate,
    pub user_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
    pub currency: String,
    pub amount_minor: i64,
    /// Exact decimal text of `amount_minor`.
    pub amount: String,
    pub deal_count: i64,
    pub margin_minor: i64,
    pub margin: String,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a channel cost in a period: `acquisition` (advertising, mailings: divided by the
/// clients it brought, CAC) or `retention` (keeping clients: divided by those kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChannelCost {
    pub id: Uuid,
    pub version: i64,
    /// The deal source it is for (`website`, `referral`, `mailing`, ...).
    pub channel: String,
    /// `acquisition` or `retention`.
    pub kind: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub currency: String,
    pub amount_minor: i64,
    pub amount: String,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub const COST_KINDS: [&str; 2] = ["acquisition", "retention"];

/// Checks a plan's or cost's dates (`start_field`, `end_field` name them).
pub fn check_dates(start: NaiveDate, end: NaiveDate, end_field: &str) -> Result<(), FieldError> {
    if end < start {
        return Err(FieldError::new(end_field, "ends before it starts"));
    }
    if (end - start).num_days() > 366 * 5 {
        return Err(FieldError::new(end_field, "a period is at most five years"));
    }
    Ok(())
}

/// A deal source as reports group it: trimmed and lower-cased; empty is `None`.
pub fn channel_key(s: &str) -> Option<String> {
    let t = s.trim().to_lowercase();
    (!t.is_empty()).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn periods_follow_the_zone() {
        let tz: Tz = "Europe/Sofia".parse().unwrap();
        let p = Period::days(d("2026-02-01"), d("2026-02-28"), tz).unwrap();
        assert_eq!(p.from.to_rfc3339(), "2026-01-31T22:00:00+00:00");
        assert_eq!(p.to.to_rfc3339(), "2026-02-28T22:00:00+00:00");
        let prev = p.previous();
        assert_eq!((prev.from_day, prev.to_day), (d("2026-01-01"), d("2026-01-31")));
        let q = Period::days(d("2026-03-10"), d("2026-03-16"), tz).unwrap().previous();
        assert_eq!((q.from_day, q.to_day), (d("2026-03-03"), d("2026-03-09")));
        assert!(Period::days(d("2026-03-10"), d("2026-03-01"), tz).is_err());
        let errs = Period::parse(Some("2026-13-01"), Some("x"), tz, d("2026-03-05")).unwrap_err();
        assert_eq!(errs.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), ["from", "to"]);
        let default = Period::parse(None, None, tz, d("2026-03-05")).unwrap();
        assert_eq!((default.from_day, default.to_day), (d("2026-03-01"), d("2026-03-05")));
    }

    #[test]
    fn buckets_in_days_weeks_months_across_dst() {
        let tz: Tz = "Europe/Paris".parse().unwrap();
        // Clocks go forward on 2026-03-29: that local day is 23 hours long.
        let p = Period::days(d("2026-03-28"), d("2026-03-30"), tz).unwrap();
        let days = buckets(&p, Granularity::Day).unwrap();
        assert_eq!(days.len(), 3);
        assert_eq!((days[1].end - days[1].start).num_hours(), 23);
        assert_eq!(days[2].end, p.to);
        let p = Period::days(d("2026-01-15"), d("2026-03-10"), tz).unwrap();
        let months = buckets(&p, Granularity::Month).unwrap();
        assert_eq!(months.iter().map(|b| b.label.as_str()).collect::<Vec<_>>(), ["2026-01", "2026-02", "2026-03"]);
        assert_eq!(months[0].start, p.from);
        assert_eq!(months[2].end, p.to);
        let weeks = buckets(&Period::days(d("2026-03-04"), d("2026-03-16"), tz).unwrap(), Granularity::Week).unwrap();
        assert_eq!(weeks.iter().map(|b| b.label.as_str()).collect::<Vec<_>>(), ["2026-W10", "2026-W11", "2026-W12"]);
        assert!(buckets(&Period::days(d("2020-01-01"), d("2026-01-01"), tz).unwrap(), Granularity::Day).is_err());
    }

    #[test]
    fn percentages_and_durations() {
        assert_eq!(percent(1, 3), Some(Decimal::new(3333, 2)));
        assert_eq!(percent(2, 3), Some(Decimal::new(6667, 2)));
        assert_eq!(percent(1, 0), None);
        let s = DurationStats::of(&[10.0, 30.0, 20.0, 100.0]);
        assert_eq!((s.count, s.mean_seconds, s.median_seconds), (4, Some(40.0), Some(25.0)));
        assert_eq!(DurationStats::of(&[]).median_seconds, None);
        assert_eq!(kpi(150, 100), Some(Decimal::new(15000, 2)));
        assert_eq!(kpi(1, 0), None);
    }

    #[test]
    fn reach_counts_skipped_stages_as_passed() {
        // Open stages at positions 0, 1, 2. Three deals stopped in 0, one jumped 0 → 2 and
        // was lost, one went straight from 0 to won.
        let h = [
            ReachBucket { max_position: Some(0), won: false, deals: 3 },
            ReachBucket { max_position: Some(2), won: false, deals: 1 },
            ReachBucket { max_position: Some(0), won: true, deals: 1 },
        ];
        let r = reached(&[0, 1, 2], &h);
        assert_eq!(r, vec![5, 2, 2]);
        let c = step_conversions(&r, 1);
        assert_eq!(c, vec![Some(Decimal::new(4000, 2)), Some(Decimal::new(10000, 2)), Some(Decimal::new(5000, 2))]);
    }

    #[test]
    fn abc_and_xyz() {
        // 70 + 20 + 6 + 4 = 100: A until 80 % is reached (the item crossing it is A).
        let classes = abc_classes(&[20, 70, 4, 6, 0], AbcThresholds::default());
        assert_eq!(classes, vec!['A', 'A', 'C', 'B', 'C']);
        let t = AbcThresholds { a: Decimal::from(50), b: Decimal::from(90) };
        assert_eq!(abc_classes(&[20, 70, 4, 6], t), vec!['B', 'A', 'C', 'C']);
        assert!(AbcThresholds { a: Decimal::from(90), b: Decimal::from(80) }.check().is_err());
        assert_eq!(coefficient_of_variation(&[10, 10, 10]), Some(0.0));
        let cv = coefficient_of_variation(&[0, 20]).unwrap();
        assert!((cv - 1.0).abs() < 1e-12);
        assert_eq!(coefficient_of_variation(&[0, 0]), None);
        let t = XyzThresholds::default();
        assert_eq!(xyz_class(Some(0.05), t), 'X');
        assert_eq!(xyz_class(Some(0.2), t), 'Y');
        assert_eq!(xyz_class(Some(0.5), t), 'Z');
        assert_eq!(xyz_class(None, t), 'Z');
        let items = vec![
            AbcItem { id: Uuid::from_u128(1), name: "steady".into(), series: vec![100, 100, 100] },
            AbcItem { id: Uuid::from_u128(2), name: "lumpy".into(), series: vec![0, 0, 30] },
        ];
        let groups = abc_xyz(&items, AbcThresholds::default(), t);
        assert_eq!(groups.len(), 9);
        let ax = &groups[0];
        assert_eq!((ax.group.as_str(), ax.count, ax.revenue_minor), ("AX", 1, 300));
        // 300 of 330 came before it: 90.9 % is past A's 80 % and below B's 95 %.
        let bz = groups.iter().find(|g| g.group == "BZ").unwrap();
        assert_eq!((bz.count, bz.items[0].name.as_str()), (1, "lumpy"));
        assert_eq!(churn_rate(40, 3), Some(Decimal::new(750, 2)));
    }
}
