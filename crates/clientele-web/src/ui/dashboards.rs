//! Dashboards in the browser: the built-in and saved dashboards as tabs, a period picker and
//! filters, and each widget as a number, a table or a chart (Apache ECharts, embedded at a
//! pinned version; the chart's figures are also in a table beside it).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, Months, NaiveDate};
use clientele_core::domain::dashboard::{Dashboard, PRESET_HEAD, PRESET_MY_DAY};
use clientele_core::domain::page::PageRequest;
use clientele_core::domain::user::Role;
use clientele_core::service::{ReportParams, WidgetData};
use serde_json::{Value, json};

use super::{Chrome, error_page, render};
use crate::assets;
use crate::auth::WebUser;
use crate::state::AppState;

pub struct WidgetView {
    pub data: WidgetData,
    /// The ECharts option, as JSON (empty for numbers and tables).
    pub chart: String,
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "dashboards/show.html")]
struct DashboardPage {
    c: Chrome,
    dashboards: Vec<Dashboard>,
    current: String,
    from: String,
    to: String,
    this_month: (String, String),
    last_month: (String, String),
    pipelines: Vec<Choice>,
    teams: Vec<Choice>,
    managers: Vec<Choice>,
    widgets: Vec<WidgetView>,
    echarts: String,
    script: String,
    css: String,
}

/// The ECharts option of a chart widget. Tooltips are drawn on the canvas (the page's
/// content security policy allows no inline styles).
fn chart_option(w: &WidgetData) -> Value {
    let pairs: Vec<Value> = w.labels.iter().zip(&w.values).map(|(l, v)| json!({"name": l, "value": v})).collect();
    let tooltip =
        json!({"trigger": if w.kind == "line" || w.kind == "bar" { "axis" } else { "item" }, "renderMode": "richText"});
    match w.kind.as_str() {
        "funnel" => json!({
            "animation": false,
            "tooltip": tooltip,
            "series": [{"type": "funnel", "sort": "none", "gap": 2, "minSize": "8%", "left": "10%", "width": "80%",
                        "label": {"show": true, "position": "inside", "formatter": "{b}: {c}"}, "data": pairs}],
        }),
        "pie" => json!({
            "animation": false,
            "tooltip": tooltip,
            "legend": {"bottom": 0, "type": "scroll"},
            "series": [{"type": "pie", "radius": ["40%", "68%"], "center": ["50%", "45%"], "data": pairs}],
        }),
        kind => json!({
            "animation": false,
            "tooltip": tooltip,
            "grid": {"left": 56, "right": 16, "top": 16, "bottom": 32},
            "xAxis": {"type": "category", "data": w.labels},
            "yAxis": {"type": "value"},
            "series": [{"type": kind, "data": w.values, "smooth": kind == "line", "areaStyle": if kind == "line" { json!({"opacity": 0.15}) } else { Value::Null }}],
        }),
    }
}

fn month_range(d: NaiveDate) -> (String, String) {
    let first = d.with_day(1).unwrap_or(d);
    let last = first.checked_add_months(Months::new(1)).and_then(|n| n.pred_opt()).unwrap_or(d);
    (first.to_string(), last.to_string())
}

/// `/dashboards`: the head of sales' overview for heads and administrators, "my day" for
/// everyone else.
pub async fn index(WebUser(user): WebUser) -> Response {
    let to = if matches!(user.actor.role, Role::Admin | Role::Head) { PRESET_HEAD } else { PRESET_MY_DAY };
    Redirect::to(&format!("/dashboards/{to}")).into_response()
}

pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<String>,
    Query(p): Query<ReportParams>,
) -> Response {
    let s = state.services();
    let actor = &user.actor;
    let data = match s.dashboard_data(actor, &id, &p).await {
        Ok(d) => d,
        Err(e) => return error_page(&state, &headers, Some(&user), e),
    };
    let c = Chrome::for_user(&state, &headers, &user, "/dashboards", "nav-dashboards").await;
    let dashboards = s.list_dashboards(actor).await.unwrap_or_default();
    let today = chrono::Utc::now().with_timezone(&c.tz).date_naive();
    let last = today.with_day(1).and_then(|f| f.pred_opt()).unwrap_or(today);
    let chosen = |v: &Option<String>, id: String| v.as_deref() == Some(id.as_str());
    let pipelines = s
        .list_pipelines(actor)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|pl| Choice {
            selected: chosen(&p.pipeline_id, pl.id.to_string()),
            value: pl.id.to_string(),
            label: pl.name,
        })
        .collect();
    let teams = s
        .list_teams(actor)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|t| Choice { selected: chosen(&p.team_id, t.id.to_string()), value: t.id.to_string(), label: t.name })
        .collect();
    let managers = match PageRequest::parse(Some(200), None, Some("name"), &["name"], "name") {
        Ok(page) => s
            .list_users(actor, &page, None)
            .await
            .map(|pg| pg.data)
            .unwrap_or_default()
            .into_iter()
            .filter(|u| u.active)
            .map(|u| Choice { selected: chosen(&p.owner_id, u.id.to_string()), value: u.id.to_string(), label: u.name })
            .collect(),
        Err(_) => vec![],
    };
    let widgets = data
        .widgets
        .into_iter()
        .map(|w| {
            let chart = if matches!(w.kind.as_str(), "bar" | "line" | "pie" | "funnel") {
                chart_option(&w).to_string()
            } else {
                String::new()
            };
            WidgetView { data: w, chart }
        })
        .collect();
    let shown = c.flash.is_some();
    let mut c = c;
    c.title = data.dashboard.name.clone();
    let page = DashboardPage {
        c,
        dashboards,
        current: data.dashboard.id.clone(),
        from: data.period.from.to_string(),
        to: data.period.to.to_string(),
        this_month: month_range(today),
        last_month: month_range(last),
        pipelines,
        teams,
        managers,
        widgets,
        echarts: assets::url("echarts.min.js"),
        script: assets::url("dashboards.js"),
        css: assets::url("dashboards.css"),
    };
    render(StatusCode::OK, &page, shown)
}
