//! Dashboards: the built-in ones and the users' own; each widget's figures come from the
//! standard reports over the dashboard's period and filters, within the viewer's reach.

use chrono::{Duration, NaiveTime};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::reports::{PeriodView, ReportParams, SalesReport};
use super::{Services, TaskListRequest, audit_entry, check_version};
use crate::authz::Actor;
use crate::domain::dashboard::{self, Dashboard, Widget};
use crate::domain::deal::BaseTotal;
use crate::domain::user::Role;
use crate::domain::{new_id, now};
use crate::error::{Error, FieldError, Result};

/// A dashboard as written.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct DashboardInput {
    pub name: Option<String>,
    /// Shared with everyone (administrators and heads of sales only).
    #[serde(default)]
    pub shared: bool,
    #[serde(default)]
    pub widgets: Vec<Widget>,
}

/// A table: column titles and rows of text.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct WidgetTable {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// One widget with its figures: `value` for numbers, `labels`/`values` for charts, `table`
/// for tables (charts carry their table too, for screen readers and export).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WidgetData {
    pub kind: String,
    pub source: String,
    pub title: String,
    pub value: Option<String>,
    pub labels: Vec<String>,
    pub values: Vec<f64>,
    pub table: WidgetTable,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DashboardData {
    pub dashboard: Dashboard,
    pub period: PeriodView,
    pub base_currency: String,
    pub widgets: Vec<WidgetData>,
}

fn money_value(t: &BaseTotal) -> f64 {
    t.total.parse::<f64>().unwrap_or(0.0)
}

fn money_text(t: &BaseTotal) -> String {
    let mut s = format!("{} {}", t.total, t.currency);
    for u in &t.unconverted {
        s.push_str(&format!(" + {} {}", u.amount, u.currency));
    }
    s
}

impl Services {
    /// The built-in dashboards, then the user's own and the shared ones.
    pub async fn list_dashboards(&self, actor: &Actor) -> Result<Vec<Dashboard>> {
        let mut all = dashboard::presets(now());
        all.extend(self.store.list_dashboards(actor.user_id).await?);
        Ok(all)
    }

    pub async fn get_dashboard(&self, actor: &Actor, id: &str) -> Result<Dashboard> {
        if let Some(p) = dashboard::presets(now()).into_iter().find(|p| p.id == id) {
            return Ok(p);
        }
        let uuid = Uuid::parse_str(id).map_err(|_| Error::NotFound("dashboard"))?;
        match self.store.get_dashboard(uuid).await? {
            Some(d) if d.shared || d.owner_id == Some(actor.user_id) => Ok(d),
            _ => Err(Error::NotFound("dashboard")),
        }
    }

    fn check_dashboard(actor: &Actor, input: &DashboardInput) -> Result<String> {
        let mut errors: Vec<FieldError> = Vec::new();
        let name = input.name.as_deref().map(str::trim).unwrap_or_default().to_owned();
        if name.is_empty() || name.chars().count() > 120 {
            errors.push(FieldError::new("name", "needs 1 to 120 characters"));
        }
        if input.widgets.len() > 40 {
            errors.push(FieldError::new("widgets", "at most 40 widgets"));
        }
        for (i, w) in input.widgets.iter().enumerate() {
            errors.extend(w.check(i));
        }
        if input.shared && !matches!(actor.role, Role::Admin | Role::Head) {
            errors.push(FieldError::new("shared", "only administrators and heads of sales share dashboards"));
        }
        if actor.role == Role::Readonly {
            return Err(Error::Forbidden("your role cannot save dashboards".into()));
        }
        if errors.is_empty() { Ok(name) } else { Err(Error::Validation(errors)) }
    }

    pub async fn create_dashboard(&self, actor: &Actor, input: DashboardInput) -> Result<Dashboard> {
        let name = Self::check_dashboard(actor, &input)?;
        let at = now();
        let d = Dashboard {
            id: new_id().to_string(),
            version: 1,
            name,
            owner_id: Some(actor.user_id),
            shared: input.shared,
            preset: None,
            widgets: input.widgets,
            created_at: at,
            updated_at: at,
        };
        let id = Uuid::parse_str(&d.id).map_err(|e| Error::Internal(e.into()))?;
        let audit = audit_entry(actor, "created", "dashboard", id, json!({ "dashboard": d }));
        self.store.save_dashboard(&d, None, &audit).await?;
        Ok(d)
    }

    async fn own_dashboard(&self, actor: &Actor, id: &str) -> Result<(Uuid, Dashboard)> {
        let d = self.get_dashboard(actor, id).await?;
        let uuid =
            Uuid::parse_str(&d.id).map_err(|_| Error::Forbidden("the built-in dashboards cannot be changed".into()))?;
        let mine = d.owner_id == Some(actor.user_id) || actor.role == Role::Admin;
        if !mine {
            return Err(Error::Forbidden("only its owner can change this dashboard".into()));
        }
        Ok((uuid, d))
    }

    pub async fn update_dashboard(
        &self,
        actor: &Actor,
        id: &str,
        input: DashboardInput,
        if_match: Option<i64>,
    ) -> Result<Dashboard> {
        let (uuid, old) = self.own_dashboard(actor, id).await?;
        check_version(if_match, old.version)?;
        let name = Self::check_dashboard(actor, &input)?;
        let d = Dashboard {
            name,
            shared: input.shared,
            widgets: input.widgets,
            version: old.version + 1,
            updated_at: now(),
            ..old.clone()
        };
        let audit = audit_entry(actor, "updated", "dashboard", uuid, json!({ "before": old, "after": d }));
        self.store.save_dashboard(&d, Some(old.version), &audit).await?;
        Ok(d)
    }

    pub async fn delete_dashboard(&self, actor: &Actor, id: &str) -> Result<()> {
        let (uuid, old) = self.own_dashboard(actor, id).await?;
        let audit = audit_entry(actor, "deleted", "dashboard", uuid, json!({ "dashboard": old }));
        if !self.store.delete_dashboard(uuid, &audit).await? {
            return Err(Error::NotFound("dashboard"));
        }
        Ok(())
    }

    /// Every widget of a dashboard with its figures for the period and filters.
    pub async fn dashboard_data(&self, actor: &Actor, id: &str, p: &ReportParams) -> Result<DashboardData> {
        let d = self.get_dashboard(actor, id).await?;
        // One sales report serves every widget that needs it.
        let sales: SalesReport = self.sales_report(actor, p).await?;
        let mut widgets = Vec::new();
        for w in &d.widgets {
            widgets.push(self.widget_data(actor, w, p, &sales).await?);
        }
        Ok(DashboardData {
            period: sales.period.clone(),
            base_currency: sales.base_currency.clone(),
            dashboard: d,
            widgets,
        })
    }

    async fn widget_data(
        &self,
        actor: &Actor,
        w: &Widget,
        p: &ReportParams,
        sales: &SalesReport,
    ) -> Result<WidgetData> {
        let mut out = WidgetData {
            kind: w.kind.clone(),
            source: w.source.clone(),
            title: w.title.clone(),
            value: None,
            labels: vec![],
            values: vec![],
            table: WidgetTable::default(),
        };
        let mut chart = |labels: Vec<String>, values: Vec<f64>, columns: [&str; 2], texts: Vec<String>| {
            out.table = WidgetTable {
                columns: columns.iter().map(|c| (*c).to_owned()).collect(),
                rows: labels.iter().cloned().zip(texts).map(|(l, v)| vec![l, v]).collect(),
            };
            out.labels = labels;
            out.values = values;
        };
        match w.source.as_str() {
            "revenue" => out.value = Some(money_text(&sales.revenue)),
            "won_count" => out.value = Some(sales.won_count.to_string()),
            "win_rate" => out.value = Some(sales.win_rate.clone().unwrap_or_else(|| "—".into())),
            "average_check" => {
                out.value = Some(
                    sales.average_check.clone().map_or_else(|| "—".into(), |a| format!("{a} {}", sales.base_currency)),
                )
            }
            "weighted_pipeline" => out.value = Some(money_text(&sales.pipeline.weighted)),
            "funnel" => {
                let f = self.funnel_report(actor, p).await?;
                let all = &f.segments[0];
                let open: Vec<_> = all.stages.iter().filter(|s| s.kind == "open" || s.kind == "won").collect();
                chart(
                    open.iter().map(|s| s.name.clone()).collect(),
                    open.iter().map(|s| s.reached as f64).collect(),
                    ["stage", "deals"],
                    open.iter().map(|s| s.reached.to_string()).collect(),
                );
            }
            "revenue_dynamics" => {
                let dynp = ReportParams { granularity: p.granularity.clone().or(Some("day".into())), ..p.clone() };
                let dy = self.sales_dynamics(actor, &dynp).await?;
                chart(
                    dy.series.iter().map(|s| s.label.clone()).collect(),
                    dy.series.iter().map(|s| money_value(&s.revenue)).collect(),
                    ["period", "revenue"],
                    dy.series.iter().map(|s| money_text(&s.revenue)).collect(),
                );
            }
            "loss_reasons" => chart(
                sales.loss_reasons.iter().map(|r| r.name.clone()).collect(),
                sales.loss_reasons.iter().map(|r| r.count as f64).collect(),
                ["reason", "deals"],
                sales.loss_reasons.iter().map(|r| r.count.to_string()).collect(),
            ),
            "revenue_by_source" => {
                let rows: Vec<_> = sales.by_source.iter().filter(|s| s.won_count > 0).collect();
                chart(
                    rows.iter().map(|s| s.source.clone().unwrap_or_else(|| "—".into())).collect(),
                    rows.iter().map(|s| money_value(&s.revenue)).collect(),
                    ["source", "revenue"],
                    rows.iter().map(|s| money_text(&s.revenue)).collect(),
                );
            }
            "manager_activity" => {
                let a = self.activity_report(actor, p).await?;
                out.labels = a.users.iter().map(|u| u.name.clone()).collect();
                out.values = a.users.iter().map(|u| (u.calls_made + u.calls_received) as f64).collect();
                out.table = WidgetTable {
                    columns: [
                        "manager",
                        "calls made",
                        "calls received",
                        "call minutes",
                        "e-mails",
                        "meetings",
                        "tasks done",
                        "overdue",
                    ]
                    .map(str::to_owned)
                    .to_vec(),
                    rows: a
                        .users
                        .iter()
                        .map(|u| {
                            vec![
                                u.name.clone(),
                                u.calls_made.to_string(),
                                u.calls_received.to_string(),
                                ((u.calls_made_seconds + u.calls_received_seconds + 59) / 60).to_string(),
                                u.emails.to_string(),
                                u.meetings.to_string(),
                                u.tasks_done.to_string(),
                                u.tasks_overdue.to_string(),
                            ]
                        })
                        .collect(),
                };
            }
            "plan_fact" => {
                let pf = self.plan_fact_report(actor, p).await?;
                out.labels = pf.plans.iter().map(|r| r.target.clone()).collect();
                out.values = pf
                    .plans
                    .iter()
                    .map(|r| r.kpi_amount.as_deref().and_then(|k| k.parse().ok()).unwrap_or(0.0))
                    .collect();
                out.table = WidgetTable {
                    columns: ["for", "period", "plan", "fact", "KPI %", "deals", "KPI %"].map(str::to_owned).to_vec(),
                    rows: pf
                        .plans
                        .iter()
                        .map(|r| {
                            vec![
                                r.target.clone(),
                                format!("{} – {}", r.plan.period_start, r.plan.period_end),
                                format!("{} {}", r.plan.amount, r.plan.currency),
                                money_text(&r.fact_amount),
                                r.kpi_amount.clone().unwrap_or_else(|| "—".into()),
                                format!("{} / {}", r.fact_count, r.plan.deal_count),
                                r.kpi_count.clone().unwrap_or_else(|| "—".into()),
                            ]
                        })
                        .collect(),
                };
            }
            "payments_expected" => {
                let dp = ReportParams { date: None, ..p.clone() };
                let daily = self.daily_report(actor, &dp).await?;
                let t = &daily.total;
                out.value = Some(money_text(&t.planned_tomorrow.amount));
                out.table = WidgetTable {
                    columns: ["", "payments", "amount"].map(str::to_owned).to_vec(),
                    rows: vec![
                        vec![
                            "received today".into(),
                            t.received_today.count.to_string(),
                            money_text(&t.received_today.amount),
                        ],
                        vec![
                            "planned tomorrow".into(),
                            t.planned_tomorrow.count.to_string(),
                            money_text(&t.planned_tomorrow.amount),
                        ],
                        vec![
                            "planned this week".into(),
                            t.planned_this_week.count.to_string(),
                            money_text(&t.planned_this_week.amount),
                        ],
                    ],
                };
            }
            "my_tasks" => {
                let tz = self.actor_zone(actor).await?;
                let today = now().with_timezone(&tz).date_naive();
                let end = (today + Duration::days(1)).and_time(NaiveTime::MIN);
                let req = TaskListRequest {
                    mine: true,
                    status: Some("open".into()),
                    due_to: Some(end.format("%Y-%m-%dT%H:%M").to_string()),
                    limit: Some(20),
                    ..Default::default()
                };
                let tasks = self.list_tasks(actor, &req).await?;
                out.value = Some(tasks.data.len().to_string());
                out.table = WidgetTable {
                    columns: ["task", "due", ""].map(str::to_owned).to_vec(),
                    rows: tasks
                        .data
                        .iter()
                        .map(|t| {
                            vec![
                                t.task.title.clone(),
                                t.due_local.clone().unwrap_or_default().replace('T', " "),
                                if t.overdue { "overdue".into() } else { String::new() },
                            ]
                        })
                        .collect(),
                };
            }
            "stuck_deals" => {
                let c = self.report_filter(actor, p).await?;
                let at = now();
                let mut stages = Vec::new();
                let mut names = std::collections::HashMap::new();
                for pl in self.store.list_pipelines().await? {
                    for s in pl.stages.iter() {
                        names.insert(s.id, s.name.clone());
                        if let Some(days) = s.time_limit_days {
                            stages.push((s.id, at - Duration::days(i64::from(days))));
                        }
                    }
                }
                let deals = self.store.stuck_deals(&c, &stages, 20).await?;
                out.value = Some(deals.len().to_string());
                out.table = WidgetTable {
                    columns: ["deal", "stage", "days in stage"].map(str::to_owned).to_vec(),
                    rows: deals
                        .iter()
                        .map(|d| {
                            vec![
                                d.title.clone(),
                                names.get(&d.stage_id).cloned().unwrap_or_default(),
                                (at - d.stage_entered_at).num_days().to_string(),
                            ]
                        })
                        .collect(),
                };
            }
            other => return Err(Error::invalid("source", format!("unknown widget source `{other}`"))),
        }
        Ok(out)
    }
}
