//! Reports: the funnel, sales and their dynamics, managers' daily figures and activity,
//! plan/fact, ABC/XYZ, churn and segment profitability; sales plans and channel costs.
//! Every report reads only the deals (and activities, tasks) within the viewer's reach: the
//! scope goes into the store's SQL.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::{Services, audit_entry, check_version};
use crate::authz::{Action, Actor, RecordKind, scope};
use crate::domain::deal::{self, BaseTotal, Pipeline, StageKind};
use crate::domain::money::{self, format_minor};
use crate::domain::report::{
    self, AbcGroup, AbcItem, AbcThresholds, ChannelCost, DurationStats, Granularity, Period, SalesPlan, XyzThresholds,
};
use crate::domain::user::Role;
use crate::domain::zone::parse_zone;
use crate::domain::{new_id, now};
use crate::error::{Error, FieldError, Result};
use crate::store::{GroupSum, ReportFilter, Slice};

/// The common parameters of every report (all optional; bad ones are 422 naming the field).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams, utoipa::ToSchema)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// First local day, `YYYY-MM-DD` (default: the first of the current month).
    pub from: Option<String>,
    /// Last local day, inclusive (default: today).
    pub to: Option<String>,
    /// IANA time zone the days are in (default: the viewer's).
    pub tz: Option<String>,
    pub pipeline_id: Option<String>,
    /// Only deals of this manager.
    pub owner_id: Option<String>,
    /// Only deals of managers in this team (and the teams below it).
    pub team_id: Option<String>,
    /// `day`, `week` or `month` (series and XYZ; default `month`, `day` for dynamics).
    pub granularity: Option<String>,
    /// Funnel and segments: `none`, `client` (new / existing), `source`, `product`, `region`,
    /// `manager`, `tag`, or `field:<key>` (a deal custom field).
    pub slice: Option<String>,
    /// ABC/XYZ: `clients` (default) or `products`.
    pub object: Option<String>,
    /// ABC thresholds in percent of revenue (default 80 and 95).
    pub abc_a: Option<String>,
    pub abc_b: Option<String>,
    /// XYZ thresholds on the coefficient of variation (default 0.1 and 0.25).
    pub xyz_x: Option<String>,
    pub xyz_y: Option<String>,
    /// The day of the daily report (default: today in the zone).
    pub date: Option<String>,
    /// ABC/XYZ: at most this many items listed per group (default 100, up to 10000).
    pub limit: Option<u32>,
}

/// Parsed parameters.
struct Ctx {
    period: Period,
    filter: ReportFilter,
    base: String,
    rates: Vec<(String, Decimal)>,
    today: NaiveDate,
}

/// A percentage as text with two decimals (`"40.00"`).
fn pct(v: Option<Decimal>) -> Option<String> {
    v.map(|d| format!("{d:.2}"))
}

fn parse_uuid(field: &str, s: &Option<String>, errors: &mut Vec<FieldError>) -> Option<Uuid> {
    let s = s.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
    match Uuid::parse_str(s) {
        Ok(u) => Some(u),
        Err(_) => {
            errors.push(FieldError::new(field, format!("`{s}` is not an id")));
            None
        }
    }
}

fn parse_slice(s: Option<&str>) -> std::result::Result<Slice, FieldError> {
    let s = s.map(str::trim).unwrap_or("none");
    Ok(match s {
        "" | "none" => Slice::None,
        "client" => Slice::ClientAge,
        "source" => Slice::Source,
        "product" => Slice::Product,
        "region" => Slice::Region,
        "manager" => Slice::Manager,
        "tag" => Slice::Tag,
        other => match other.strip_prefix("field:") {
            Some(key)
                if key.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                    && key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') =>
            {
                Slice::Field(key.to_owned())
            }
            _ => {
                return Err(FieldError::new(
                    "slice",
                    format!("`{other}` is not one of none, client, source, product, region, manager, tag, field:<key>"),
                ));
            }
        },
    })
}

fn slice_name(s: &Slice) -> String {
    match s {
        Slice::None => "none".into(),
        Slice::ClientAge => "client".into(),
        Slice::Source => "source".into(),
        Slice::Product => "product".into(),
        Slice::Region => "region".into(),
        Slice::Manager => "manager".into(),
        Slice::Tag => "tag".into(),
        Slice::Field(k) => format!("field:{k}"),
    }
}

fn sums_of<'a>(rows: impl Iterator<Item = &'a GroupSum>) -> Vec<(String, i64)> {
    let mut out: Vec<(String, i64)> = Vec::new();
    for g in rows {
        match out.iter_mut().find(|(c, _)| *c == g.currency) {
            Some((_, s)) => *s = s.saturating_add(g.sum_minor),
            None => out.push((g.currency.clone(), g.sum_minor)),
        }
    }
    out.sort();
    out
}

/// `total_minor / n` in the base currency, rounded half away from zero.
fn per(total: &BaseTotal, n: i64) -> Option<String> {
    if n == 0 {
        return None;
    }
    let v = money::round_half_away(Decimal::from(total.total_minor) / Decimal::from(n));
    Some(format_minor(v.try_into().unwrap_or(i64::MAX), &total.currency))
}

// ---------------- answers ----------------

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PeriodView {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub time_zone: String,
    pub starts_at: DateTime<Utc>,
    pub ends_before: DateTime<Utc>,
}

impl From<&Period> for PeriodView {
    fn from(p: &Period) -> Self {
        Self { from: p.from_day, to: p.to_day, time_zone: p.tz.name().to_owned(), starts_at: p.from, ends_before: p.to }
    }
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct StageExits {
    /// To a later open stage (skipping stages included).
    pub forward: i64,
    /// To an earlier open stage, or reopened from won or lost.
    pub backward: i64,
    pub won: i64,
    pub lost: i64,
    /// To a stage of another pipeline.
    pub other_pipeline: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FunnelStage {
    pub stage_id: Uuid,
    pub name: String,
    pub kind: String,
    pub probability: i32,
    /// Deals of the cohort that entered this stage (once each).
    pub entries: i64,
    /// Stays in it (a deal that came back counts again).
    pub visits: i64,
    /// Deals that got at least this far (entered it or any later stage, or are won).
    pub reached: i64,
    pub exits: StageExits,
    /// Percent of those who reached this stage that reached the next (the last open stage:
    /// that were won). `null` for the won and lost stages or when nobody reached it.
    pub conversion_to_next: Option<String>,
    /// Percent of the cohort that reached this stage.
    pub conversion_from_start: Option<String>,
    /// Completed stays in it.
    pub duration: DurationStats,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FunnelSegment {
    /// The segment's key (`null` for "none": no source, no product, ...).
    pub segment: Option<String>,
    pub label: String,
    pub deals: i64,
    pub won: i64,
    pub lost: i64,
    pub open: i64,
    /// Percent of the cohort won.
    pub total_conversion: Option<String>,
    /// Closed deals: from creation to closing.
    pub funnel_length: DurationStats,
    pub stages: Vec<FunnelStage>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FunnelReport {
    pub pipeline_id: Uuid,
    pub pipeline_name: String,
    pub period: PeriodView,
    pub slice: String,
    /// The whole cohort first, then each segment (when sliced).
    pub segments: Vec<FunnelSegment>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StatusRow {
    pub status: String,
    pub count: i64,
    pub amount: BaseTotal,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LossReasonRow {
    pub loss_reason_id: Option<Uuid>,
    pub name: String,
    pub count: i64,
    pub share: Option<String>,
    pub amount: BaseTotal,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SourceRow {
    /// Deal source (lower case), `null` for deals without one.
    pub source: Option<String>,
    pub won_count: i64,
    pub revenue: BaseTotal,
    /// Clients whose first won deal came through this source in the period.
    pub acquired_clients: i64,
    /// Acquisition costs entered for this channel over the period.
    pub acquisition_cost: BaseTotal,
    /// Client acquisition cost: costs / acquired clients.
    pub cac: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PipelineStageRow {
    pub stage_id: Uuid,
    pub name: String,
    pub probability: i32,
    pub count: i64,
    pub amount: BaseTotal,
    /// Amount × probability.
    pub weighted: BaseTotal,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PipelineValue {
    pub count: i64,
    pub amount: BaseTotal,
    pub weighted: BaseTotal,
    pub stages: Vec<PipelineStageRow>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SalesReport {
    pub period: PeriodView,
    pub base_currency: String,
    pub created_count: i64,
    pub won_count: i64,
    pub lost_count: i64,
    /// Won in the period (closing time).
    pub revenue: BaseTotal,
    pub average_check: Option<String>,
    /// Won / (won + lost) of the deals closed in the period, percent.
    pub win_rate: Option<String>,
    /// Of the deals created in the period, the percent won by now.
    pub close_rate: Option<String>,
    /// Won deals closed in the period: from creation to closing.
    pub sales_cycle: DurationStats,
    /// Deals created in the period by current status.
    pub by_status: Vec<StatusRow>,
    pub loss_reasons: Vec<LossReasonRow>,
    pub by_source: Vec<SourceRow>,
    /// Open deals now (not bound to the period), weighted by stage probability.
    pub pipeline: PipelineValue,
    pub previous: SalesSummary,
}

/// The previous period's headline figures, for comparison.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SalesSummary {
    pub period: PeriodView,
    pub won_count: i64,
    pub revenue: BaseTotal,
    /// Percent change of revenue against the previous period (`null` when it had none).
    pub revenue_change: Option<String>,
    pub won_count_change: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SeriesPoint {
    pub label: String,
    pub starts_at: DateTime<Utc>,
    pub ends_before: DateTime<Utc>,
    pub won_count: i64,
    pub revenue: BaseTotal,
    pub created_count: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SalesDynamics {
    pub period: PeriodView,
    pub granularity: Granularity,
    pub base_currency: String,
    pub series: Vec<SeriesPoint>,
    pub previous_period: PeriodView,
    /// The same buckets one period earlier.
    pub previous: Vec<SeriesPoint>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PaymentFigure {
    pub count: i64,
    pub amount: BaseTotal,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ManagerDay {
    /// `null`: deals without a manager.
    pub user_id: Option<Uuid>,
    pub name: String,
    pub planned_tomorrow: PaymentFigure,
    pub received_today: PaymentFigure,
    pub planned_this_week: PaymentFigure,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DailyReport {
    pub date: NaiveDate,
    pub time_zone: String,
    pub base_currency: String,
    /// Monday..Sunday of the date's week.
    pub week: [NaiveDate; 2],
    pub managers: Vec<ManagerDay>,
    pub total: ManagerDay,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ActivityRow {
    pub user_id: Uuid,
    pub name: String,
    pub calls_made: i64,
    pub calls_made_seconds: i64,
    pub calls_received: i64,
    pub calls_received_seconds: i64,
    pub emails: i64,
    pub meetings: i64,
    /// Tasks finished in the period.
    pub tasks_done: i64,
    /// Open tasks past their due time now.
    pub tasks_overdue: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ActivityReport {
    pub period: PeriodView,
    pub users: Vec<ActivityRow>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanFactRow {
    pub plan: SalesPlan,
    /// Who the plan is for: a manager's or a team's name, or `everyone`.
    pub target: String,
    pub fact_amount: BaseTotal,
    pub fact_count: i64,
    pub fact_margin: BaseTotal,
    /// Percent of the plan reached.
    pub kpi_amount: Option<String>,
    pub kpi_count: Option<String>,
    pub kpi_margin: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanFactReport {
    pub period: PeriodView,
    /// Plans whose period overlaps the report's, each against its own period's fact.
    pub plans: Vec<PlanFactRow>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AbcXyzReport {
    pub period: PeriodView,
    /// `clients` or `products`.
    pub object: String,
    pub granularity: Granularity,
    pub base_currency: String,
    pub abc_a: String,
    pub abc_b: String,
    pub xyz_x: f64,
    pub xyz_y: f64,
    pub total_revenue_minor: i64,
    /// AX, AY, AZ, BX, ... CZ.
    pub groups: Vec<AbcGroup>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChurnReport {
    pub period: PeriodView,
    pub previous_period: PeriodView,
    /// Clients with a won deal in the previous period.
    pub active_before: i64,
    /// ... and again in this one.
    pub retained: i64,
    /// ... but not in this one.
    pub churned: i64,
    /// Clients whose first won deal is in this period.
    pub new_clients: i64,
    pub churn_rate: Option<String>,
    /// Retention costs entered for the period.
    pub retention_cost: BaseTotal,
    /// Retention costs / retained clients.
    pub retention_cost_per_client: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SegmentFigures {
    pub segment: Option<String>,
    pub label: String,
    /// Deals created in the period.
    pub deals: i64,
    pub won: i64,
    pub conversion: Option<String>,
    pub revenue: BaseTotal,
    pub margin: BaseTotal,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SegmentReport {
    pub period: PeriodView,
    pub slice: String,
    pub base_currency: String,
    pub segments: Vec<SegmentFigures>,
}

/// A sales plan as written (amounts as decimal strings in `currency`).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct PlanInput {
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    pub user_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
    pub currency: Option<String>,
    #[schema(value_type = Option<String>)]
    pub amount: Option<serde_json::Value>,
    pub deal_count: Option<i64>,
    #[schema(value_type = Option<String>)]
    pub margin: Option<serde_json::Value>,
    pub note: Option<String>,
}

/// A channel cost as written.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct CostInput {
    pub channel: Option<String>,
    /// `acquisition` (default) or `retention`.
    pub kind: Option<String>,
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    pub currency: Option<String>,
    #[schema(value_type = Option<String>)]
    pub amount: Option<serde_json::Value>,
    pub note: Option<String>,
}

fn parse_day(field: &str, s: &Option<String>, errors: &mut Vec<FieldError>) -> Option<NaiveDate> {
    match s.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => {
            errors.push(FieldError::new(field, "is required"));
            None
        }
        Some(v) => NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map_err(|_| {
                errors.push(FieldError::new(field, format!("`{v}` is not a date like 2026-03-31")));
            })
            .ok(),
    }
}

fn amount_of(field: &str, v: &Option<serde_json::Value>, currency: &str, errors: &mut Vec<FieldError>) -> i64 {
    match v {
        None | Some(serde_json::Value::Null) => 0,
        Some(v) => money::parse_amount(field, v, currency, false).unwrap_or_else(|e| {
            errors.push(e);
            0
        }),
    }
}

impl Services {
    fn plans_writer(actor: &Actor) -> Result<()> {
        if matches!(actor.role, Role::Admin | Role::Head) {
            Ok(())
        } else {
            Err(Error::Forbidden("only administrators and heads of sales can enter plans and costs".into()))
        }
    }

    async fn report_ctx(&self, actor: &Actor, p: &ReportParams) -> Result<Ctx> {
        let mut errors = Vec::new();
        let tz: Tz = match p.tz.as_deref() {
            Some(z) => parse_zone("tz", z).unwrap_or_else(|e| {
                errors.push(e);
                Tz::UTC
            }),
            None => match self.store.get_user(actor.user_id).await? {
                Some(u) => crate::domain::zone::zone_or_utc(&u.time_zone),
                None => Tz::UTC,
            },
        };
        let today = now().with_timezone(&tz).date_naive();
        let pipeline_id = parse_uuid("pipeline_id", &p.pipeline_id, &mut errors);
        let owner_id = parse_uuid("owner_id", &p.owner_id, &mut errors);
        let team_id = parse_uuid("team_id", &p.team_id, &mut errors);
        let period = match Period::parse(p.from.as_deref(), p.to.as_deref(), tz, today) {
            Ok(period) => Some(period),
            Err(e) => {
                errors.extend(e);
                None
            }
        };
        let Some(period) = period.filter(|_| errors.is_empty()) else { return Err(Error::Validation(errors)) };
        let team_ids = match team_id {
            Some(t) => {
                let teams = self.store.list_teams().await?;
                if !teams.iter().any(|x| x.id == t) {
                    return Err(Error::invalid("team_id", "no such team"));
                }
                crate::domain::team::subtree(&teams, t)
            }
            None => vec![],
        };
        let base = self.base_currency().await?;
        let rates = deal::rates_on(&self.store.list_rates().await?, &base, period.to_day.min(today));
        Ok(Ctx {
            filter: ReportFilter {
                scope: scope(actor, RecordKind::Deal, Action::Read),
                pipeline_id,
                owner_id,
                team_ids,
            },
            period,
            base,
            rates,
            today,
        })
    }

    /// The deals a report covers for this request (the viewer's reach and the filters).
    pub(crate) async fn report_filter(&self, actor: &Actor, p: &ReportParams) -> Result<ReportFilter> {
        Ok(self.report_ctx(actor, p).await?.filter)
    }

    fn base(&self, c: &Ctx, sums: &[(String, i64)]) -> BaseTotal {
        deal::to_base(sums, &c.base, &c.rates)
    }

    async fn report_user_name(&self, id: Option<Uuid>) -> Result<String> {
        Ok(match id {
            None => "—".into(),
            Some(id) => self.store.get_user(id).await?.map(|u| u.name).unwrap_or_else(|| id.to_string()),
        })
    }

    /// The funnel of a pipeline for the cohort of deals created in the period.
    pub async fn funnel_report(&self, actor: &Actor, p: &ReportParams) -> Result<FunnelReport> {
        let c = self.report_ctx(actor, p).await?;
        let slice = parse_slice(p.slice.as_deref()).map_err(|e| Error::Validation(vec![e]))?;
        let pipeline: Pipeline = match c.filter.pipeline_id {
            Some(id) => self.pipeline(id).await.map_err(|_| Error::invalid("pipeline_id", "no such pipeline"))?,
            None => self
                .store
                .list_pipelines()
                .await?
                .into_iter()
                .find(|p| !p.archived)
                .ok_or(Error::NotFound("pipeline"))?,
        };
        let q = crate::store::FunnelQuery {
            filter: c.filter.clone(),
            pipeline_id: pipeline.id,
            from: c.period.from,
            to: c.period.to,
            slice: slice.clone(),
        };
        let facts = self.store.funnel_facts(&q).await?;
        let mut keys: Vec<Option<String>> = facts.cohorts.iter().map(|r| r.segment.clone()).collect();
        keys.sort();
        let mut segments = Vec::new();
        // The whole cohort: segments added up (a deal in two segments counts once only when
        // unsliced, so the whole is asked for separately when sliced by products or tags).
        let whole = if slice == Slice::None {
            facts.clone()
        } else {
            self.store.funnel_facts(&crate::store::FunnelQuery { slice: Slice::None, ..q.clone() }).await?
        };
        segments.push(assemble_segment(&pipeline, &whole, &None, "all".into()));
        if slice != Slice::None {
            for k in keys {
                let label = match (&slice, &k) {
                    (_, None) => "—".to_owned(),
                    (Slice::Manager, Some(id)) => self.report_user_name(Uuid::parse_str(id).ok()).await?,
                    (_, Some(v)) => v.clone(),
                };
                segments.push(assemble_segment(&pipeline, &facts, &k, label));
            }
        }
        Ok(FunnelReport {
            pipeline_id: pipeline.id,
            pipeline_name: pipeline.name.clone(),
            period: (&c.period).into(),
            slice: slice_name(&slice),
            segments,
        })
    }

    /// Sales of the period (won by closing time), compared with the previous period.
    pub async fn sales_report(&self, actor: &Actor, p: &ReportParams) -> Result<SalesReport> {
        let c = self.report_ctx(actor, p).await?;
        let f = self.store.sales_facts(&c.filter, c.period.from, c.period.to).await?;
        let prev_period = c.period.previous();
        let prev = self.store.sales_facts(&c.filter, prev_period.from, prev_period.to).await?;
        let won_count: i64 = f.won.iter().map(|g| g.count).sum();
        let revenue = self.base(&c, &sums_of(f.won.iter()));
        let created_count: i64 = f.created_by_status.iter().map(|g| g.count).sum();
        let mut by_status = Vec::new();
        for status in ["open", "won", "lost"] {
            let rows: Vec<&GroupSum> =
                f.created_by_status.iter().filter(|g| g.key.as_deref() == Some(status)).collect();
            by_status.push(StatusRow {
                status: status.into(),
                count: rows.iter().map(|g| g.count).sum(),
                amount: self.base(&c, &sums_of(rows.into_iter())),
            });
        }
        let reasons = self.store.list_loss_reasons().await?;
        let mut reason_keys: Vec<Option<String>> = f.loss_reasons.iter().map(|g| g.key.clone()).collect();
        reason_keys.sort();
        reason_keys.dedup();
        let mut loss_reasons = Vec::new();
        for k in reason_keys {
            let rows: Vec<&GroupSum> = f.loss_reasons.iter().filter(|g| g.key == k).collect();
            let id = k.as_deref().and_then(|s| Uuid::parse_str(s).ok());
            let count = rows.iter().map(|g| g.count).sum();
            loss_reasons.push(LossReasonRow {
                loss_reason_id: id,
                name: id
                    .and_then(|id| reasons.iter().find(|r| r.id == id))
                    .map(|r| r.name.clone())
                    .unwrap_or_else(|| "—".into()),
                count,
                share: pct(report::percent(count, f.lost_count)),
                amount: self.base(&c, &sums_of(rows.into_iter())),
            });
        }
        loss_reasons.sort_by(|a, b| b.count.cmp(&a.count).then(a.name.cmp(&b.name)));
        let costs = self.store.cost_sums("acquisition", c.period.from_day, c.period.to_day).await?;
        let mut sources: Vec<Option<String>> = f.by_source.iter().map(|g| g.key.clone()).collect();
        sources.extend(f.acquired_by_source.iter().map(|(s, _)| s.clone()));
        sources.extend(costs.iter().map(|g| g.key.as_deref().and_then(report::channel_key)));
        sources.sort();
        sources.dedup();
        let mut by_source = Vec::new();
        for s in sources {
            let rows: Vec<&GroupSum> = f.by_source.iter().filter(|g| g.key == s).collect();
            let acquired = f.acquired_by_source.iter().filter(|(k, _)| *k == s).map(|(_, n)| *n).sum();
            let cost_rows = costs.iter().filter(|g| g.key.as_deref().and_then(report::channel_key) == s);
            let acquisition_cost = self.base(&c, &sums_of(cost_rows));
            let has_cost = acquisition_cost.total_minor != 0 || !acquisition_cost.unconverted.is_empty();
            by_source.push(SourceRow {
                cac: if has_cost { per(&acquisition_cost, acquired) } else { None },
                source: s,
                won_count: rows.iter().map(|g| g.count).sum(),
                revenue: self.base(&c, &sums_of(rows.into_iter())),
                acquired_clients: acquired,
                acquisition_cost,
            });
        }
        let pipeline = self.pipeline_value(&c).await?;
        let prev_won: i64 = prev.won.iter().map(|g| g.count).sum();
        let prev_revenue = self.base(&c, &sums_of(prev.won.iter()));
        let change =
            |now: i64, before: i64| pct((before != 0).then(|| report::percent(now - before, before)).flatten());
        Ok(SalesReport {
            period: (&c.period).into(),
            base_currency: c.base.clone(),
            created_count,
            won_count,
            lost_count: f.lost_count,
            average_check: per(&revenue, won_count),
            win_rate: pct(report::percent(won_count, won_count + f.lost_count)),
            close_rate: pct(report::percent(f.created_won, created_count)),
            sales_cycle: DurationStats::new(f.cycle_count, f.cycle_mean, f.cycle_median),
            by_status,
            loss_reasons,
            by_source,
            pipeline,
            previous: SalesSummary {
                period: (&prev_period).into(),
                won_count: prev_won,
                revenue_change: change(revenue.total_minor, prev_revenue.total_minor),
                won_count_change: change(won_count, prev_won),
                revenue: prev_revenue,
            },
            revenue,
        })
    }

    async fn pipeline_value(&self, c: &Ctx) -> Result<PipelineValue> {
        let rows = self.store.open_pipeline(&c.filter).await?;
        let pipelines = self.store.list_pipelines().await?;
        let mut ids: Vec<Uuid> =
            rows.iter().filter_map(|g| g.key.as_deref().and_then(|k| Uuid::parse_str(k).ok())).collect();
        ids.sort();
        ids.dedup();
        let mut stages = Vec::new();
        let (mut all, mut all_weighted, mut count) = (Vec::new(), Vec::new(), 0);
        let mut order: Vec<(usize, i32, Uuid, String, i32)> = Vec::new();
        for id in ids {
            let found = pipelines.iter().enumerate().find_map(|(pi, p)| p.stage(id).map(|s| (pi, s)));
            let (pi, pos, name, prob) = match found {
                Some((pi, s)) => (pi, s.position, s.name.clone(), s.probability),
                None => match self.store.stages_by_ids(&[id]).await?.into_iter().next() {
                    Some(s) => (usize::MAX, s.position, s.name, s.probability),
                    None => (usize::MAX, i32::MAX, id.to_string(), 0),
                },
            };
            order.push((pi, pos, id, name, prob));
        }
        order.sort();
        for (_, _, id, name, probability) in order {
            let key = id.to_string().replace('-', "");
            let mine: Vec<&GroupSum> =
                rows.iter().filter(|g| g.key.as_deref().map(|k| k.replace('-', "")) == Some(key.clone())).collect();
            let sums = sums_of(mine.iter().copied());
            let weighted: Vec<(String, i64)> = sums
                .iter()
                .map(|(cur, s)| {
                    let w = money::round_half_away(Decimal::from(*s) * Decimal::from(probability) / Decimal::from(100));
                    (cur.clone(), w.try_into().unwrap_or(i64::MAX))
                })
                .collect();
            let n: i64 = mine.iter().map(|g| g.count).sum();
            count += n;
            all.extend(sums.clone());
            all_weighted.extend(weighted.clone());
            stages.push(PipelineStageRow {
                stage_id: id,
                name,
                probability,
                count: n,
                amount: self.base(c, &sums),
                weighted: self.base(c, &weighted),
            });
        }
        let merge = |v: Vec<(String, i64)>| {
            let mut out: Vec<(String, i64)> = Vec::new();
            for (cur, s) in v {
                match out.iter_mut().find(|(c, _)| *c == cur) {
                    Some((_, t)) => *t += s,
                    None => out.push((cur, s)),
                }
            }
            out
        };
        Ok(PipelineValue {
            count,
            amount: self.base(c, &merge(all)),
            weighted: self.base(c, &merge(all_weighted)),
            stages,
        })
    }

    /// Won deals and new deals per day, week or month, beside the same buckets a period earlier.
    pub async fn sales_dynamics(&self, actor: &Actor, p: &ReportParams) -> Result<SalesDynamics> {
        let c = self.report_ctx(actor, p).await?;
        let g = match p.granularity.as_deref() {
            None => Granularity::Day,
            Some(s) => Granularity::parse("granularity", s).map_err(|e| Error::Validation(vec![e]))?,
        };
        let prev_period = c.period.previous();
        let series = self.series(&c, &c.period, g).await?;
        let previous = self.series(&c, &prev_period, g).await?;
        Ok(SalesDynamics {
            period: (&c.period).into(),
            granularity: g,
            base_currency: c.base.clone(),
            series,
            previous_period: (&prev_period).into(),
            previous,
        })
    }

    async fn series(&self, c: &Ctx, period: &Period, g: Granularity) -> Result<Vec<SeriesPoint>> {
        let buckets = report::buckets(period, g).map_err(|e| Error::Validation(vec![e]))?;
        let ranges: Vec<(DateTime<Utc>, DateTime<Utc>)> = buckets.iter().map(|b| (b.start, b.end)).collect();
        let facts = self.store.sales_series(&c.filter, &ranges).await?;
        Ok(buckets
            .into_iter()
            .enumerate()
            .map(|(i, b)| {
                let key = Some(i.to_string());
                let won: Vec<&GroupSum> = facts.won.iter().filter(|g| g.key == key).collect();
                SeriesPoint {
                    label: b.label,
                    starts_at: b.start,
                    ends_before: b.end,
                    won_count: won.iter().map(|g| g.count).sum(),
                    revenue: self.base(c, &sums_of(won.into_iter())),
                    created_count: facts.created.iter().filter(|g| g.key == key).map(|g| g.count).sum(),
                }
            })
            .collect())
    }

    /// Each manager's payments: planned for tomorrow, received today, planned this week.
    pub async fn daily_report(&self, actor: &Actor, p: &ReportParams) -> Result<DailyReport> {
        let c = self.report_ctx(actor, p).await?;
        let day = match p.date.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => c.today,
            Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|_| Error::invalid("date", format!("`{s}` is not a date like 2026-03-31")))?,
        };
        let tomorrow = day + Duration::days(1);
        let monday = day - Duration::days(day.weekday().num_days_from_monday() as i64);
        let sunday = monday + Duration::days(6);
        let planned_tomorrow = self.store.payment_sums(&c.filter, "planned", tomorrow, tomorrow).await?;
        let received_today = self.store.payment_sums(&c.filter, "actual", day, day).await?;
        let planned_week = self.store.payment_sums(&c.filter, "planned", monday, sunday).await?;
        let mut owners: Vec<Option<Uuid>> =
            planned_tomorrow.iter().chain(&received_today).chain(&planned_week).map(|s| s.owner_id).collect();
        owners.sort();
        owners.dedup();
        let figure = |rows: &[crate::store::PaymentSum], who: Option<Option<Uuid>>| {
            let mine: Vec<&crate::store::PaymentSum> =
                rows.iter().filter(|r| who.is_none_or(|w| r.owner_id == w)).collect();
            let mut sums: Vec<(String, i64)> = Vec::new();
            for r in &mine {
                match sums.iter_mut().find(|(cur, _)| *cur == r.currency) {
                    Some((_, s)) => *s += r.sum_minor,
                    None => sums.push((r.currency.clone(), r.sum_minor)),
                }
            }
            PaymentFigure { count: mine.iter().map(|r| r.count).sum(), amount: self.base(&c, &sums) }
        };
        let mut managers = Vec::new();
        for o in owners {
            managers.push(ManagerDay {
                user_id: o,
                name: self.report_user_name(o).await?,
                planned_tomorrow: figure(&planned_tomorrow, Some(o)),
                received_today: figure(&received_today, Some(o)),
                planned_this_week: figure(&planned_week, Some(o)),
            });
        }
        managers.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(DailyReport {
            date: day,
            time_zone: c.period.tz.name().to_owned(),
            base_currency: c.base.clone(),
            week: [monday, sunday],
            total: ManagerDay {
                user_id: None,
                name: "total".into(),
                planned_tomorrow: figure(&planned_tomorrow, None),
                received_today: figure(&received_today, None),
                planned_this_week: figure(&planned_week, None),
            },
            managers,
        })
    }

    /// Calls, e-mails, meetings and tasks per user within reach.
    pub async fn activity_report(&self, actor: &Actor, p: &ReportParams) -> Result<ActivityReport> {
        let c = self.report_ctx(actor, p).await?;
        let users_scope = scope(actor, RecordKind::Task, Action::Read);
        let mut only: Vec<Uuid> = c.filter.owner_id.into_iter().collect();
        if !c.filter.team_ids.is_empty() && only.is_empty() {
            only = self.store.team_members(&c.filter.team_ids).await?;
            if only.is_empty() {
                return Ok(ActivityReport { period: (&c.period).into(), users: vec![] });
            }
        }
        let facts = self.store.activity_facts(&users_scope, &only, c.period.from, c.period.to, now()).await?;
        let mut users = Vec::new();
        for f in facts {
            users.push(ActivityRow {
                name: self.report_user_name(Some(f.user_id)).await?,
                user_id: f.user_id,
                calls_made: f.calls_out,
                calls_made_seconds: f.calls_out_seconds,
                calls_received: f.calls_in,
                calls_received_seconds: f.calls_in_seconds,
                emails: f.emails,
                meetings: f.meetings,
                tasks_done: f.tasks_done,
                tasks_overdue: f.tasks_overdue,
            });
        }
        users.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(ActivityReport { period: (&c.period).into(), users })
    }

    /// Plans overlapping the period, each against the won deals of its people in its period.
    pub async fn plan_fact_report(&self, actor: &Actor, p: &ReportParams) -> Result<PlanFactReport> {
        let c = self.report_ctx(actor, p).await?;
        let teams = self.store.list_teams().await?;
        let mut rows = Vec::new();
        for plan in self.visible_plans(actor).await? {
            if plan.period_end < c.period.from_day || plan.period_start > c.period.to_day {
                continue;
            }
            if c.filter.owner_id.is_some_and(|o| plan.user_id != Some(o)) {
                continue;
            }
            let plan_period = Period::days(plan.period_start, plan.period_end, c.period.tz)
                .map_err(|e| Error::Validation(vec![e]))?;
            let (owners, target): (Option<Vec<Uuid>>, String) = match (plan.user_id, plan.team_id) {
                (Some(u), _) => (Some(vec![u]), self.report_user_name(Some(u)).await?),
                (None, Some(t)) => {
                    let sub = crate::domain::team::subtree(&teams, t);
                    let members = self.store.team_members(&sub).await?;
                    let name = teams.iter().find(|x| x.id == t).map(|x| x.name.clone()).unwrap_or_default();
                    (Some(members), name)
                }
                (None, None) => (None, "everyone".into()),
            };
            let fact = self.store.plan_fact(&c.filter, owners.as_deref(), plan_period.from, plan_period.to).await?;
            let plan_rates =
                deal::rates_on(&self.store.list_rates().await?, &plan.currency, plan.period_end.min(c.today));
            let amount = deal::to_base(&fact.amounts, &plan.currency, &plan_rates);
            let margin = deal::to_base(&fact.margins, &plan.currency, &plan_rates);
            rows.push(PlanFactRow {
                kpi_amount: pct(report::kpi(amount.total_minor, plan.amount_minor)),
                kpi_count: pct(report::kpi(fact.count, plan.deal_count)),
                kpi_margin: pct(report::kpi(margin.total_minor, plan.margin_minor)),
                fact_amount: amount,
                fact_count: fact.count,
                fact_margin: margin,
                target,
                plan,
            });
        }
        Ok(PlanFactReport { period: (&c.period).into(), plans: rows })
    }

    /// ABC by revenue share and XYZ by the variation of periodic revenue, for clients or products.
    pub async fn abc_xyz_report(&self, actor: &Actor, p: &ReportParams) -> Result<AbcXyzReport> {
        let c = self.report_ctx(actor, p).await?;
        let mut errors = Vec::new();
        let dec = |field: &str, s: &Option<String>, d: Decimal, errors: &mut Vec<FieldError>| match s.as_deref() {
            None => d,
            Some(v) => Decimal::from_str_exact(v.trim()).unwrap_or_else(|_| {
                errors.push(FieldError::new(field, format!("`{v}` is not a number")));
                d
            }),
        };
        let fl = |field: &str, s: &Option<String>, d: f64, errors: &mut Vec<FieldError>| match s.as_deref() {
            None => d,
            Some(v) => v.trim().parse::<f64>().ok().filter(|f| f.is_finite()).unwrap_or_else(|| {
                errors.push(FieldError::new(field, format!("`{v}` is not a number")));
                d
            }),
        };
        let defaults = AbcThresholds::default();
        let abc = AbcThresholds {
            a: dec("abc_a", &p.abc_a, defaults.a, &mut errors),
            b: dec("abc_b", &p.abc_b, defaults.b, &mut errors),
        };
        let xd = XyzThresholds::default();
        let xyz =
            XyzThresholds { x: fl("xyz_x", &p.xyz_x, xd.x, &mut errors), y: fl("xyz_y", &p.xyz_y, xd.y, &mut errors) };
        if errors.is_empty() {
            errors.extend(abc.check().err());
            errors.extend(xyz.check().err());
        }
        let products = match p.object.as_deref().map(str::trim) {
            None | Some("" | "clients") => false,
            Some("products") => true,
            Some(o) => {
                errors.push(FieldError::new("object", format!("`{o}` is not one of clients, products")));
                false
            }
        };
        let g = match p.granularity.as_deref() {
            None => Granularity::Month,
            Some(s) => Granularity::parse("granularity", s).unwrap_or_else(|e| {
                errors.push(e);
                Granularity::Month
            }),
        };
        if !errors.is_empty() {
            return Err(Error::Validation(errors));
        }
        let buckets = report::buckets(&c.period, g).map_err(|e| Error::Validation(vec![e]))?;
        let ranges: Vec<(DateTime<Utc>, DateTime<Utc>)> = buckets.iter().map(|b| (b.start, b.end)).collect();
        let rows = self.store.item_revenue(&c.filter, products, &ranges).await?;
        // Per item and bucket: the bucket's currencies converted into the base, each once.
        let mut items: Vec<AbcItem> = Vec::new();
        let mut sums: std::collections::BTreeMap<(Uuid, i64), Vec<(String, i64)>> = Default::default();
        for r in &rows {
            if !items.iter().any(|i| i.id == r.id) {
                items.push(AbcItem { id: r.id, name: r.name.clone(), series: vec![0; buckets.len()] });
            }
            sums.entry((r.id, r.bucket)).or_default().push((r.currency.clone(), r.sum_minor));
        }
        for ((id, bucket), s) in sums {
            let t = self.base(&c, &s);
            if let Some(item) = items.iter_mut().find(|i| i.id == id)
                && let Some(slot) = item.series.get_mut(bucket as usize)
            {
                *slot = t.total_minor;
            }
        }
        let mut groups = report::abc_xyz(&items, abc, xyz);
        let limit = p.limit.unwrap_or(100).clamp(1, 10_000) as usize;
        for g in &mut groups {
            g.items.truncate(limit);
        }
        Ok(AbcXyzReport {
            period: (&c.period).into(),
            object: if products { "products" } else { "clients" }.into(),
            granularity: g,
            base_currency: c.base.clone(),
            abc_a: abc.a.to_string(),
            abc_b: abc.b.to_string(),
            xyz_x: xyz.x,
            xyz_y: xyz.y,
            total_revenue_minor: groups.iter().map(|g| g.revenue_minor).sum(),
            groups,
        })
    }

    /// Clients who bought in the previous period and not in this one; the cost of keeping the rest.
    pub async fn churn_report(&self, actor: &Actor, p: &ReportParams) -> Result<ChurnReport> {
        let c = self.report_ctx(actor, p).await?;
        let prev = c.period.previous();
        let f = self.store.churn_facts(&c.filter, (prev.from, prev.to), (c.period.from, c.period.to)).await?;
        let costs = self.store.cost_sums("retention", c.period.from_day, c.period.to_day).await?;
        let retention_cost = self.base(&c, &sums_of(costs.iter()));
        Ok(ChurnReport {
            period: (&c.period).into(),
            previous_period: (&prev).into(),
            active_before: f.active_before,
            retained: f.retained,
            churned: f.churned,
            new_clients: f.new_clients,
            churn_rate: pct(report::churn_rate(f.active_before, f.churned)),
            retention_cost_per_client: if costs.is_empty() { None } else { per(&retention_cost, f.retained) },
            retention_cost,
        })
    }

    /// Revenue, margin and conversion of the deals created in the period, per segment.
    pub async fn segment_report(&self, actor: &Actor, p: &ReportParams) -> Result<SegmentReport> {
        let c = self.report_ctx(actor, p).await?;
        let slice = parse_slice(p.slice.as_deref().or(Some("source"))).map_err(|e| Error::Validation(vec![e]))?;
        let rows = self.store.segment_rows(&c.filter, &slice, c.period.from, c.period.to).await?;
        let mut keys: Vec<Option<String>> = rows.iter().map(|r| r.segment.clone()).collect();
        keys.sort();
        keys.dedup();
        let mut segments = Vec::new();
        for k in keys {
            let mine: Vec<_> = rows.iter().filter(|r| r.segment == k).collect();
            let deals: i64 = mine.iter().map(|r| r.deals).sum();
            let won: i64 = mine.iter().map(|r| r.won).sum();
            let revenue: Vec<(String, i64)> = mine.iter().map(|r| (r.currency.clone(), r.revenue_minor)).collect();
            let margin: Vec<(String, i64)> = mine.iter().map(|r| (r.currency.clone(), r.margin_minor)).collect();
            let label = match (&slice, &k) {
                (_, None) => "—".to_owned(),
                (Slice::Manager, Some(id)) => self.report_user_name(Uuid::parse_str(id).ok()).await?,
                (_, Some(v)) => v.clone(),
            };
            segments.push(SegmentFigures {
                segment: k,
                label,
                deals,
                won,
                conversion: pct(report::percent(won, deals)),
                revenue: self.base(&c, &revenue),
                margin: self.base(&c, &margin),
            });
        }
        Ok(SegmentReport {
            period: (&c.period).into(),
            slice: slice_name(&slice),
            base_currency: c.base.clone(),
            segments,
        })
    }

    // ---------------- plans and costs ----------------

    async fn visible_plans(&self, actor: &Actor) -> Result<Vec<SalesPlan>> {
        let all = self.store.list_plans().await?;
        Ok(match actor.role {
            Role::Manager => all.into_iter().filter(|p| p.user_id == Some(actor.user_id)).collect(),
            _ => all,
        })
    }

    pub async fn list_plans(&self, actor: &Actor) -> Result<Vec<SalesPlan>> {
        self.visible_plans(actor).await
    }

    async fn plan_from(&self, input: &PlanInput, mut plan: SalesPlan) -> Result<SalesPlan> {
        let mut errors = Vec::new();
        let start = parse_day("period_start", &input.period_start, &mut errors);
        let end = parse_day("period_end", &input.period_end, &mut errors);
        if let (Some(s), Some(e)) = (start, end)
            && let Err(err) = report::check_dates(s, e, "period_end")
        {
            errors.push(err);
        }
        let currency = match input.currency.as_deref() {
            Some(c) => money::parse_currency("currency", c).unwrap_or_else(|e| {
                errors.push(e);
                String::new()
            }),
            None => self.base_currency().await?,
        };
        if input.user_id.is_some() && input.team_id.is_some() {
            errors.push(FieldError::new("team_id", "a plan is for a manager or for a team, not both"));
        }
        if let Some(u) = input.user_id
            && self.store.get_user(u).await?.is_none()
        {
            errors.push(FieldError::new("user_id", "no such user"));
        }
        if let Some(t) = input.team_id
            && !self.store.list_teams().await?.iter().any(|x| x.id == t)
        {
            errors.push(FieldError::new("team_id", "no such team"));
        }
        let amount = if currency.is_empty() { 0 } else { amount_of("amount", &input.amount, &currency, &mut errors) };
        let margin = if currency.is_empty() { 0 } else { amount_of("margin", &input.margin, &currency, &mut errors) };
        let count = input.deal_count.unwrap_or(0);
        if count < 0 {
            errors.push(FieldError::new("deal_count", "cannot be negative"));
        }
        if amount == 0 && count == 0 && margin == 0 && errors.is_empty() {
            errors.push(FieldError::new("amount", "a plan needs an amount, a deal count or a margin"));
        }
        if !errors.is_empty() {
            return Err(Error::Validation(errors));
        }
        if let (Some(s), Some(e)) = (start, end) {
            plan.period_start = s;
            plan.period_end = e;
        }
        plan.user_id = input.user_id;
        plan.team_id = input.team_id;
        plan.amount = format_minor(amount, &currency);
        plan.margin = format_minor(margin, &currency);
        plan.currency = currency;
        plan.amount_minor = amount;
        plan.deal_count = count;
        plan.margin_minor = margin;
        plan.note = input.note.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        Ok(plan)
    }

    pub async fn create_plan(&self, actor: &Actor, input: PlanInput) -> Result<SalesPlan> {
        Self::plans_writer(actor)?;
        let at = now();
        let blank = SalesPlan {
            id: new_id(),
            version: 1,
            period_start: at.date_naive(),
            period_end: at.date_naive(),
            user_id: None,
            team_id: None,
            currency: String::new(),
            amount_minor: 0,
            amount: String::new(),
            deal_count: 0,
            margin_minor: 0,
            margin: String::new(),
            note: None,
            created_at: at,
            updated_at: at,
        };
        let plan = self.plan_from(&input, blank).await?;
        let audit = audit_entry(actor, "created", "sales_plan", plan.id, json!({ "plan": plan }));
        self.store.save_plan(&plan, None, &audit).await?;
        Ok(plan)
    }

    pub async fn update_plan(
        &self,
        actor: &Actor,
        id: Uuid,
        input: PlanInput,
        if_match: Option<i64>,
    ) -> Result<SalesPlan> {
        Self::plans_writer(actor)?;
        let old = self.store.get_plan(id).await?.ok_or(Error::NotFound("sales plan"))?;
        check_version(if_match, old.version)?;
        let mut plan = self.plan_from(&input, old.clone()).await?;
        plan.version = old.version + 1;
        plan.updated_at = now();
        let audit = audit_entry(actor, "updated", "sales_plan", id, json!({ "before": old, "after": plan }));
        self.store.save_plan(&plan, Some(old.version), &audit).await?;
        Ok(plan)
    }

    pub async fn delete_plan(&self, actor: &Actor, id: Uuid) -> Result<()> {
        Self::plans_writer(actor)?;
        let old = self.store.get_plan(id).await?.ok_or(Error::NotFound("sales plan"))?;
        let audit = audit_entry(actor, "deleted", "sales_plan", id, json!({ "plan": old }));
        if !self.store.delete_plan(id, &audit).await? {
            return Err(Error::NotFound("sales plan"));
        }
        Ok(())
    }

    pub async fn list_costs(&self, actor: &Actor) -> Result<Vec<ChannelCost>> {
        if actor.role == Role::Manager {
            return Err(Error::Forbidden("only administrators and heads of sales see channel costs".into()));
        }
        self.store.list_costs().await
    }

    async fn cost_from(&self, input: &CostInput, mut cost: ChannelCost) -> Result<ChannelCost> {
        let mut errors = Vec::new();
        let channel = input.channel.as_deref().and_then(report::channel_key);
        if channel.is_none() {
            errors.push(FieldError::new("channel", "is required (the deal source it is for, e.g. website)"));
        }
        let kind = input.kind.as_deref().map(str::trim).unwrap_or("acquisition").to_owned();
        if !report::COST_KINDS.contains(&kind.as_str()) {
            errors.push(FieldError::new("kind", format!("`{kind}` is not one of acquisition, retention")));
        }
        let start = parse_day("period_start", &input.period_start, &mut errors);
        let end = parse_day("period_end", &input.period_end, &mut errors);
        if let (Some(s), Some(e)) = (start, end)
            && let Err(err) = report::check_dates(s, e, "period_end")
        {
            errors.push(err);
        }
        let currency = match input.currency.as_deref() {
            Some(c) => money::parse_currency("currency", c).unwrap_or_else(|e| {
                errors.push(e);
                String::new()
            }),
            None => self.base_currency().await?,
        };
        let amount = match &input.amount {
            None | Some(serde_json::Value::Null) => {
                errors.push(FieldError::new("amount", "is required"));
                0
            }
            Some(_) if currency.is_empty() => 0,
            Some(_) => amount_of("amount", &input.amount, &currency, &mut errors),
        };
        if !errors.is_empty() {
            return Err(Error::Validation(errors));
        }
        if let (Some(s), Some(e)) = (start, end) {
            cost.period_start = s;
            cost.period_end = e;
        }
        cost.channel = channel.unwrap_or_default();
        cost.kind = kind;
        cost.amount = format_minor(amount, &currency);
        cost.currency = currency;
        cost.amount_minor = amount;
        cost.note = input.note.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        Ok(cost)
    }

    pub async fn create_cost(&self, actor: &Actor, input: CostInput) -> Result<ChannelCost> {
        Self::plans_writer(actor)?;
        let at = now();
        let blank = ChannelCost {
            id: new_id(),
            version: 1,
            channel: String::new(),
            kind: String::new(),
            period_start: at.date_naive(),
            period_end: at.date_naive(),
            currency: String::new(),
            amount_minor: 0,
            amount: String::new(),
            note: None,
            created_at: at,
            updated_at: at,
        };
        let cost = self.cost_from(&input, blank).await?;
        let audit = audit_entry(actor, "created", "channel_cost", cost.id, json!({ "cost": cost }));
        self.store.save_cost(&cost, None, &audit).await?;
        Ok(cost)
    }

    pub async fn update_cost(
        &self,
        actor: &Actor,
        id: Uuid,
        input: CostInput,
        if_match: Option<i64>,
    ) -> Result<ChannelCost> {
        Self::plans_writer(actor)?;
        let old = self.store.get_cost(id).await?.ok_or(Error::NotFound("channel cost"))?;
        check_version(if_match, old.version)?;
        let mut cost = self.cost_from(&input, old.clone()).await?;
        cost.version = old.version + 1;
        cost.updated_at = now();
        let audit = audit_entry(actor, "updated", "channel_cost", id, json!({ "before": old, "after": cost }));
        self.store.save_cost(&cost, Some(old.version), &audit).await?;
        Ok(cost)
    }

    pub async fn delete_cost(&self, actor: &Actor, id: Uuid) -> Result<()> {
        Self::plans_writer(actor)?;
        let old = self.store.get_cost(id).await?.ok_or(Error::NotFound("channel cost"))?;
        let audit = audit_entry(actor, "deleted", "channel_cost", id, json!({ "cost": old }));
        if !self.store.delete_cost(id, &audit).await? {
            return Err(Error::NotFound("channel cost"));
        }
        Ok(())
    }
}

/// One segment's funnel from the store's totals: stages in pipeline order, reach and
/// conversions from the domain's maths.
fn assemble_segment(
    pipeline: &Pipeline,
    facts: &crate::store::FunnelFacts,
    seg: &Option<String>,
    label: String,
) -> FunnelSegment {
    let cohort = facts.cohorts.iter().find(|c| c.segment == *seg);
    let deals = cohort.map_or(0, |c| c.deals);
    let won = cohort.map_or(0, |c| c.won);
    let lost = cohort.map_or(0, |c| c.lost);
    let mut stages_sorted: Vec<_> = pipeline.stages.iter().collect();
    stages_sorted.sort_by_key(|s| (s.kind != StageKind::Open, s.position));
    let open_positions: Vec<i32> =
        stages_sorted.iter().filter(|s| s.kind == StageKind::Open).map(|s| s.position).collect();
    let hist: Vec<report::ReachBucket> = facts.reach.iter().filter(|(s, _)| s == seg).map(|(_, b)| *b).collect();
    let reached = report::reached(&open_positions, &hist);
    let conv = report::step_conversions(&reached, won);
    let mut stages = Vec::new();
    let mut open_i = 0;
    for s in stages_sorted {
        let row = facts.stages.iter().find(|r| r.segment == *seg && r.stage_id == s.id);
        let (reach, to_next) = match s.kind {
            StageKind::Open => {
                let r = reached.get(open_i).copied().unwrap_or(0);
                let c = conv.get(open_i).copied().flatten();
                open_i += 1;
                (r, c)
            }
            StageKind::Won => (won, None),
            StageKind::Lost => (row.map_or(0, |r| r.entries), None),
        };
        stages.push(FunnelStage {
            stage_id: s.id,
            name: s.name.clone(),
            kind: s.kind.as_str().into(),
            probability: s.probability,
            entries: row.map_or(0, |r| r.entries),
            visits: row.map_or(0, |r| r.visits),
            reached: reach,
            exits: row.map_or_else(StageExits::default, |r| StageExits {
                forward: r.to_forward,
                backward: r.to_backward,
                won: r.to_won,
                lost: r.to_lost,
                other_pipeline: r.to_other,
            }),
            conversion_to_next: pct(to_next),
            conversion_from_start: pct(report::percent(reach, deals)),
            duration: row
                .map_or_else(DurationStats::default, |r| DurationStats::new(r.stays, r.mean_seconds, r.median_seconds)),
        });
    }
    FunnelSegment {
        segment: seg.clone(),
        label,
        deals,
        won,
        lost,
        open: deals - won - lost,
        total_conversion: pct(report::percent(won, deals)),
        funnel_length: cohort
            .map_or_else(DurationStats::default, |c| DurationStats::new(c.closed, c.length_mean, c.length_median)),
        stages,
    }
}
