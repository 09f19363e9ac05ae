//! The report builder page: pick a report type, columns, filter (the list pages' filter
//! builder rows), grouping with date buckets, aggregates, sort and chart; see the result table
//! and an SVG chart drawn on the server; export to CSV/XLSX; save private or shared with an
//! optional e-mail schedule. The whole definition lives in the query string, so every report
//! is a link and the page works without scripts.

use askama::Template;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use clientele_core::Error;
use clientele_core::domain::report_builder::{
    AggFn, Aggregate, Bucket, ChartType, ENTITIES, FieldInfo, GroupBy, ReportDefinition, ReportResult, SortKey,
};
use clientele_core::service::report_builder::{SaveReportRequest, ScheduleRequest};
use clientele_core::store::ScheduleEvery;
use serde_json::Value;
use uuid::Uuid;

use super::clients_common::{FbRow, Pairs, filter_to_rows, op_options, rows_to_filter};
use super::{Chrome, error_page, redirect_with_flash, render};
use crate::auth::{WebUser, urlencode};
use crate::state::AppState;

pub struct SavedRow {
    pub id: String,
    pub name: String,
    pub shared: bool,
    pub mine: bool,
    pub scheduled: bool,
}

pub struct AggRow {
    pub func: String,
    pub field: String,
}

#[derive(Template)]
#[template(path = "report_builder/page.html")]
struct BuilderPage {
    c: Chrome,
    entities: Vec<(String, String)>,
    entity: String,
    columns: Vec<String>,
    col_opts: Vec<(String, String, bool)>,
    filter_opts: Vec<(String, String)>,
    group_opts: Vec<(String, String)>,
    agg_opts: Vec<(String, String)>,
    buckets: Vec<(String, String)>,
    fns: Vec<(String, String)>,
    charts: Vec<(String, String)>,
    everys: Vec<(String, String)>,
    groups: Vec<(String, String)>,
    no_groups: bool,
    aggs: Vec<AggRow>,
    fb_rows: Vec<FbRow>,
    fb_join: String,
    ops: Vec<(String, String)>,
    sort: String,
    desc: bool,
    chart: String,
    tz: String,
    limit: String,
    result: Option<ReportResult>,
    headers: Vec<(String, bool)>,
    table: Vec<Vec<(String, bool)>>,
    chart_svg: Option<String>,
    errors: Vec<String>,
    query: String,
    saved: Vec<SavedRow>,
    report_id: String,
    report_name: String,
    shared: bool,
    every: String,
    recipients: String,
    format: String,
}

fn words(c: &Chrome, prefix: &str, list: &[&str]) -> Vec<(String, String)> {
    list.iter()
        .map(|w| ((*w).to_owned(), c.t.get(&format!("{prefix}{}", if w.is_empty() { "never" } else { w }))))
        .collect()
}

fn cell_text(c: &Chrome, v: &Value) -> String {
    match v {
        Value::Null => c.t.get("rb-empty"),
        Value::String(s) => s.clone(),
        Value::Bool(b) => c.t.get(if *b { "rb-yes" } else { "rb-no" }),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

fn entity_label(c: &Chrome, e: &str) -> String {
    c.t.get(&format!("rb-entity-{}", e.replace('_', "-")))
}

/// The definition a query string describes (and the rows of the filter builder behind it).
fn definition(
    p: &Pairs,
    defs: &[clientele_core::domain::custom_field::CustomFieldDef],
) -> (ReportDefinition, Vec<String>) {
    let mut errors = Vec::new();
    let entity = p.get("entity").unwrap_or("deal").to_owned();
    let columns: Vec<String> = p.all("col").into_iter().filter(|c| !c.trim().is_empty()).collect();
    let mut group_by = Vec::new();
    for (g, b) in [("g1", "b1"), ("g2", "b2")] {
        if let Some(field) = p.get(g) {
            let bucket = p.get(b).and_then(|b| serde_json::from_value::<Bucket>(Value::String(b.to_owned())).ok());
            group_by.push(GroupBy { field: field.to_owned(), bucket });
        }
    }
    let fns = p.all("a_fn");
    let afields = p.all("a_field");
    let mut aggregates = Vec::new();
    for (i, f) in fns.iter().enumerate() {
        let f = f.trim();
        if f.is_empty() {
            continue;
        }
        match serde_json::from_value::<AggFn>(Value::String(f.to_owned())) {
            Ok(func) => {
                let field = afields.get(i).map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
                aggregates.push(Aggregate { func, field });
            }
            Err(_) => errors.push(format!("aggregates[{i}]: `{f}` is not an aggregate")),
        }
    }
    let fields = p.all("fb_field");
    let ops = p.all("fb_op");
    let values = p.all("fb_value");
    let rows: Vec<FbRow> = fields
        .into_iter()
        .enumerate()
        .map(|(i, field)| FbRow {
            field,
            op: ops.get(i).cloned().unwrap_or_default(),
            value: values.get(i).cloned().unwrap_or_default(),
        })
        .collect();
    let filter = rows_to_filter(&rows, p.get("fb_join").unwrap_or("and"), defs)
        .and_then(|v| serde_json::from_value(v).map_err(|e| errors.push(format!("filter: {e}"))).ok());
    let sort = p
        .get("sort")
        .map(|k| vec![SortKey { key: k.to_owned(), desc: p.get("desc") == Some("1") }])
        .unwrap_or_default();
    let chart = p
        .get("chart")
        .and_then(|c| serde_json::from_value::<ChartType>(Value::String(c.to_owned())).ok())
        .unwrap_or_default();
    let limit = p.get("limit").and_then(|l| l.parse().ok());
    let time_zone = p.get("tz").map(str::to_owned);
    (ReportDefinition { entity, columns, filter, group_by, aggregates, sort, chart, limit, time_zone }, errors)
}

/// The query string of a definition (for saved reports opened in the builder).
fn query_of(d: &ReportDefinition) -> String {
    let mut q: Vec<(String, String)> = vec![("entity".into(), d.entity.clone())];
    for c in &d.columns {
        q.push(("col".into(), c.clone()));
    }
    for (i, g) in d.group_by.iter().enumerate().take(2) {
        q.push((format!("g{}", i + 1), g.field.clone()));
        if let Some(b) = g.bucket {
            q.push((format!("b{}", i + 1), b.as_str().into()));
        }
    }
    for a in &d.aggregates {
        q.push(("a_fn".into(), a.func.as_str().into()));
        q.push(("a_field".into(), a.field.clone().unwrap_or_default()));
    }
    if let Some(f) = &d.filter
        && let Some((rows, join)) = serde_json::to_value(f).ok().as_ref().and_then(filter_to_rows)
    {
        q.push(("fb_join".into(), join));
        for r in rows {
            q.push(("fb_field".into(), r.field));
            q.push(("fb_op".into(), r.op));
            q.push(("fb_value".into(), r.value));
        }
    }
    if let Some(s) = d.sort.first() {
        q.push(("sort".into(), s.key.clone()));
        if s.desc {
            q.push(("desc".into(), "1".into()));
        }
    }
    let chart = serde_json::to_value(d.chart).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
    q.push(("chart".into(), chart));
    if let Some(l) = d.limit {
        q.push(("limit".into(), l.to_string()));
    }
    if let Some(z) = &d.time_zone {
        q.push(("tz".into(), z.clone()));
    }
    q.iter().map(|(k, v)| format!("{k}={}", urlencode(v))).collect::<Vec<_>>().join("&")
}

fn problems(e: &Error) -> Vec<String> {
    match e {
        Error::Validation(list) => list.iter().map(|f| format!("{}: {}", f.field, f.message)).collect(),
        other => vec![other.to_string()],
    }
}

pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    WebUser(user): WebUser,
) -> Response {
    let c = Chrome::for_user(&state, &headers, &user, "/report-builder", "nav-report-builder").await;
    let s = state.services();
    let mut p = Pairs::from_query(raw.as_deref());
    // A saved report opens with its definition.
    let mut opened = None;
    if let Some(id) = p.uuid("report") {
        match s.get_saved_report(&user.actor, id).await {
            Ok(r) => {
                if !p.has("entity") {
                    p = Pairs::from_query(Some(&query_of(&r.definition)));
                }
                opened = Some(r);
            }
            Err(e) => return error_page(&state, &headers, Some(&user), e),
        }
    }
    let defs = s.list_custom_fields(&user.actor, None).await.unwrap_or_default();
    let (def, mut errors) = definition(&p, &defs);
    let types = s.report_types(&user.actor).await.unwrap_or_default();
    let fields = types.iter().find(|t| t.entity == def.entity).map(|t| t.fields.clone()).unwrap_or_default();
    let run = p.has("run") || opened.is_some();
    let mut result = None;
    if run && errors.is_empty() {
        match s.run_report(&user.actor, &def).await {
            Ok(r) => result = Some(r),
            Err(e @ (Error::Validation(_) | Error::Forbidden(_))) => errors.extend(problems(&e)),
            Err(e) => return error_page(&state, &headers, Some(&user), e),
        }
    }
    let empty = c.t.get("rb-empty");
    let chart_svg =
        result.as_ref().and_then(|r| super::report_builder_chart::svg(r, def.group_by.len(), def.chart, &empty));
    let saved = s
        .list_saved_reports(&user.actor)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|r| SavedRow {
            id: r.id.to_string(),
            name: r.name,
            shared: r.shared,
            mine: r.owner_id == user.actor.user_id,
            scheduled: r.schedule.is_some(),
        })
        .collect();
    let mut aggs: Vec<AggRow> = def
        .aggregates
        .iter()
        .map(|a| AggRow { func: a.func.as_str().into(), field: a.field.clone().unwrap_or_default() })
        .collect();
    while aggs.len() < 3 {
        aggs.push(AggRow { func: String::new(), field: String::new() });
    }
    let mut groups: Vec<(String, String)> = def
        .group_by
        .iter()
        .map(|g| (g.field.clone(), g.bucket.map(|b| b.as_str().to_owned()).unwrap_or_default()))
        .collect();
    while groups.len() < 2 {
        groups.push((String::new(), String::new()));
    }
    let (mut fb_rows, fb_join) = def
        .filter
        .as_ref()
        .and_then(|f| serde_json::to_value(f).ok())
        .and_then(|v| filter_to_rows(&v))
        .unwrap_or_else(|| (vec![], "and".into()));
    if fb_rows.is_empty() {
        fb_rows.push(FbRow { field: String::new(), op: "eq".into(), value: String::new() });
    }
    let schedule = opened.as_ref().and_then(|r| r.schedule.clone());
    let shown = c.flash.is_some();
    let pair = |f: &FieldInfo| (f.path.clone(), f.label.clone());
    let headers_row: Vec<(String, bool)> = result
        .as_ref()
        .map(|r| r.columns.iter().map(|col| (col.label.clone(), col.kind == "number")).collect())
        .unwrap_or_default();
    let table: Vec<Vec<(String, bool)>> = result
        .as_ref()
        .map(|r| {
            r.rows
                .iter()
                .map(|row| {
                    row.iter()
                        .enumerate()
                        .map(|(i, v)| (cell_text(&c, v), headers_row.get(i).is_some_and(|h| h.1)))
                        .collect()
                })
                .collect()
        })
        .unwrap_or_default();
    let page = BuilderPage {
        entities: ENTITIES.iter().map(|e| ((*e).to_owned(), entity_label(&c, e))).collect(),
        ops: op_options(&c),
        entity: def.entity.clone(),
        col_opts: fields.iter().map(|f| (f.path.clone(), f.label.clone(), def.columns.contains(&f.path))).collect(),
        filter_opts: fields.iter().map(pair).collect(),
        group_opts: fields.iter().filter(|f| f.kind != "number").map(pair).collect(),
        agg_opts: fields.iter().filter(|f| matches!(f.kind.as_str(), "number" | "time" | "date")).map(pair).collect(),
        buckets: words(&c, "rb-bucket-", &["day", "week", "month", "quarter", "year"]),
        fns: words(&c, "rb-fn-", &["count", "sum", "avg", "min", "max", "median"]),
        charts: words(&c, "rb-chart-", &["none", "bar", "line", "pie"]),
        everys: words(&c, "rb-every-", &["", "day", "week", "month"]),
        columns: def.columns.clone(),
        no_groups: def.group_by.is_empty(),
        groups,
        aggs,
        fb_rows,
        fb_join,
        sort: def.sort.first().map(|s| s.key.clone()).unwrap_or_default(),
        desc: def.sort.first().is_some_and(|s| s.desc),
        chart: serde_json::to_value(def.chart).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default(),
        tz: def.time_zone.clone().unwrap_or_default(),
        limit: def.limit.map(|l| l.to_string()).unwrap_or_default(),
        result,
        headers: headers_row,
        table,
        chart_svg,
        errors,
        query: query_of(&def),
        saved,
        report_id: opened.as_ref().map(|r| r.id.to_string()).unwrap_or_default(),
        report_name: opened.as_ref().map(|r| r.name.clone()).unwrap_or_default(),
        shared: opened.as_ref().is_some_and(|r| r.shared),
        every: schedule.as_ref().map(|s| format!("{:?}", s.every).to_lowercase()).unwrap_or_default(),
        recipients: schedule.as_ref().map(|s| s.recipients.join(", ")).unwrap_or_default(),
        format: schedule.as_ref().map(|s| s.format.clone()).unwrap_or_else(|| "csv".into()),
        c,
    };
    render(StatusCode::OK, &page, shown)
}

/// `GET /report-builder/export?format=csv|xlsx&<definition>`: the result as a file.
pub async fn export(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    WebUser(user): WebUser,
) -> Response {
    let s = state.services();
    let p = Pairs::from_query(raw.as_deref());
    let defs = s.list_custom_fields(&user.actor, None).await.unwrap_or_default();
    let (def, errors) = definition(&p, &defs);
    if let Some(e) = errors.first() {
        return error_page(&state, &headers, Some(&user), Error::invalid("definition", e.clone()));
    }
    let name = p.get("name").unwrap_or("report").to_owned();
    match s.export_report(&user.actor, &def, p.get("format").unwrap_or("csv"), &name).await {
        Ok(f) => crate::download::attachment(&f.file_name, f.content_type, Body::from(f.bytes)),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

/// `POST /report-builder/save`: saves (or replaces) the report of the form's definition.
pub async fn save(State(state): State<AppState>, headers: HeaderMap, WebUser(user): WebUser, body: Bytes) -> Response {
    let s = state.services();
    let f = Pairs::from_bytes(&body);
    let defs = s.list_custom_fields(&user.actor, None).await.unwrap_or_default();
    let q = Pairs::from_query(Some(&f.str("query")));
    let (def, errors) = definition(&q, &defs);
    if let Some(e) = errors.first() {
        return error_page(&state, &headers, Some(&user), Error::invalid("definition", e.clone()));
    }
    let every = match f.get("every") {
        Some("day") => Some(ScheduleEvery::Day),
        Some("week") => Some(ScheduleEvery::Week),
        Some("month") => Some(ScheduleEvery::Month),
        _ => None,
    };
    let schedule = every.map(|every| ScheduleRequest {
        every,
        recipients: f
            .str("recipients")
            .split([',', ';', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        format: f.get("format").map(str::to_owned),
    });
    let req =
        SaveReportRequest { name: f.str("name"), definition: def, shared: f.get("shared") == Some("true"), schedule };
    let saved = match f.uuid("id") {
        Some(id) => s.update_saved_report(&user.actor, id, req, None).await,
        None => s.create_saved_report(&user.actor, req).await,
    };
    match saved {
        Ok(r) => redirect_with_flash(&format!("/report-builder?report={}", r.id), "report-saved"),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

pub async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
) -> Response {
    match state.services().delete_saved_report(&user.actor, id).await {
        Ok(()) => redirect_with_flash("/report-builder", "report-deleted"),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}
