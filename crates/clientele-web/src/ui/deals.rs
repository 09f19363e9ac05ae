//! Deals in the web UI: the kanban board of a pipeline (drag and drop between stages, counts
//! and sums per stage, filters, quick add), the deal card (line items, payments, stage history
//! and durations, timeline), the deal form, and moving a deal from the board or the card.

use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use clientele_core::Error;
use clientele_core::domain::custom_field::CustomFieldDef;
use clientele_core::domain::deal::{Deal, LossReason, Pipeline, StageKind};
use clientele_core::domain::money;
use clientele_core::service::{
    BoardRequest, DealInput, DealItemInput, DealView, ItemsRequest, ListRequest, MoveRequest, PaymentRequest,
    ProductListRequest,
};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::activity::{TimelineBox, record_timeline};
use super::clients_common::{CfInput, FormValues, Pairs, fmt_time, name_of, qs, show_custom, users};
use super::settings::{Errs, form_errors};
use super::{Chrome, error_page, initials, redirect_with_flash, render};
use crate::auth::{Authenticated, WebUser};
use crate::error::classify;
use crate::state::AppState;

/// Deals per board column on the first page and per "more".
const BOARD_PAGE: u32 = 20;

/// A deal as a card on the board.
pub struct BoardCard {
    pub id: String,
    pub title: String,
    pub amount: String,
    pub owner: String,
    pub owner_initials: String,
    pub days: i64,
    pub stuck: bool,
    pub tags: Vec<String>,
    pub close: String,
}

pub struct BoardColumnView {
    pub stage_id: String,
    pub name: String,
    pub colour: String,
    pub probability: i32,
    pub count: i64,
    pub sum: String,
    pub cards: Vec<BoardCard>,
    pub more: String,
}

#[derive(Template)]
#[template(path = "deals/board.html")]
struct BoardPage {
    c: Chrome,
    pipelines: Vec<(String, String, bool)>,
    pipeline_id: String,
    columns: Vec<BoardColumnView>,
    won: Option<(String, String)>,
    lost: Option<(String, String)>,
    loss_reasons: Vec<(String, String)>,
    total: String,
    total_count: i64,
    users: Vec<(String, String)>,
    owner: String,
    tag: String,
    q: String,
    filtered: bool,
    /// The filters as a query string, for the board's script.
    filters: String,
}

#[derive(Template)]
#[template(path = "deals/_cards.html")]
struct CardsFragment {
    c: Chrome,
    column: BoardColumnView,
}

fn money(amount: &str, currency: &str) -> String {
    format!("{amount} {currency}")
}

fn card(d: &Deal, pipeline: &Pipeline, users: &[(String, String)]) -> BoardCard {
    let now = chrono::Utc::now();
    let days = (now - d.stage_entered_at).num_days();
    let limit = pipeline.stage(d.stage_id).and_then(|s| s.time_limit_days);
    let owner = name_of(users, d.owner_id);
    BoardCard {
        id: d.id.to_string(),
        title: d.title.clone(),
        amount: money(&d.amount, &d.currency),
        owner_initials: initials(&owner),
        owner,
        days,
        stuck: limit.is_some_and(|l| days > i64::from(l)),
        tags: d.tags.clone(),
        close: d.expected_close_date.map(|x| x.format("%Y-%m-%d").to_string()).unwrap_or_default(),
    }
}

/// The board's filters from the query: owner (`me` or an id), tag, words of the title.
fn board_request(p: &Pairs, limit: u32) -> BoardRequest {
    BoardRequest {
        limit: Some(limit),
        owner_id: p.get("owner").map(str::to_owned),
        tag: p.get("tag").map(str::to_owned),
        q: p.get("q").map(str::to_owned),
        cursor: p.get("cursor").map(str::to_owned),
    }
}

fn filter_qs(p: &Pairs) -> Vec<(&'static str, String)> {
    ["owner", "tag", "q"].into_iter().filter_map(|k| p.get(k).map(|v| (k, v.to_owned()))).collect()
}

fn more_link(pipeline: Uuid, stage: Uuid, cursor: Option<&str>, p: &Pairs) -> String {
    match cursor {
        None => String::new(),
        Some(cur) => {
            let mut q = filter_qs(p);
            q.push(("cursor", cur.to_owned()));
            format!("/deals/board/{pipeline}/{stage}?{}", qs(&q))
        }
    }
}

fn sum_text(c: &Chrome, total: &str, currency: &str, unconverted: usize) -> String {
    if unconverted == 0 {
        money(total, currency)
    } else {
        format!("{} {}", money(total, currency), c.t.with("board-unconverted", &[("count", &unconverted.to_string())]))
    }
}

/// Picks the pipeline asked for, else the first one not archived.
fn pick(pipelines: &[Pipeline], asked: Option<Uuid>) -> Option<&Pipeline> {
    asked
        .and_then(|id| pipelines.iter().find(|x| x.id == id))
        .or_else(|| pipelines.iter().find(|x| !x.archived))
        .or_else(|| pipelines.first())
}

pub async fn board(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    RawQuery(query): RawQuery,
) -> Response {
    let p = Pairs::from_query(query.as_deref());
    let s = state.services();
    let mut c = Chrome::for_user(&state, &headers, &user, "/deals", "nav-deals").await;
    let pipelines = match s.list_pipelines(&user.actor).await {
        Ok(x) => x,
        Err(e) => return error_page(&state, &headers, Some(&user), e),
    };
    let Some(pipeline) = pick(&pipelines, p.uuid("pipeline")) else {
        return error_page(&state, &headers, Some(&user), Error::NotFound("pipeline"));
    };
    let board = match s.board(&user.actor, pipeline.id, &board_request(&p, BOARD_PAGE)).await {
        Ok(b) => b,
        Err(e) => return error_page(&state, &headers, Some(&user), e),
    };
    let users = users(s, &user.actor).await;
    let columns = board
        .columns
        .iter()
        .map(|col| BoardColumnView {
            stage_id: col.stage.id.to_string(),
            name: col.stage.name.clone(),
            colour: col.stage.colour.clone().unwrap_or_default(),
            probability: col.stage.probability,
            count: col.count,
            sum: sum_text(&c, &col.sum.total, &col.sum.currency, col.sum.unconverted.len()),
            cards: col.deals.iter().map(|d| card(d, &board.pipeline, &users)).collect(),
            more: more_link(pipeline.id, col.stage.id, col.next_cursor.as_deref(), &p),
        })
        .collect();
    let outcome = |k: StageKind| {
        board.pipeline.stages.iter().find(|st| st.kind == k).map(|st| (st.id.to_string(), st.name.clone()))
    };
    let loss_reasons: Vec<LossReason> = s.list_loss_reasons(&user.actor, false).await.unwrap_or_default();
    c.title = format!("{} · {}", c.t.get("nav-deals"), board.pipeline.name);
    let page = BoardPage {
        pipelines: pipelines
            .iter()
            .filter(|x| !x.archived || x.id == pipeline.id)
            .map(|x| (x.id.to_string(), x.name.clone(), x.id == pipeline.id))
            .collect(),
        pipeline_id: pipeline.id.to_string(),
        columns,
        won: outcome(StageKind::Won),
        lost: outcome(StageKind::Lost),
        loss_reasons: loss_reasons.into_iter().map(|r| (r.id.to_string(), r.name)).collect(),
        total: sum_text(&c, &board.total.total, &board.total.currency, board.total.unconverted.len()),
        total_count: board.total_count,
        users,
        owner: p.str("owner"),
        tag: p.str("tag"),
        q: p.str("q"),
        filtered: p.get("owner").is_some() || p.get("tag").is_some() || p.get("q").is_some(),
        filters: qs(&filter_qs(&p)),
        c,
    };
    let shown = page.c.flash.is_some();
    render(StatusCode::OK, &page, shown)
}

/// More cards of one column (htmx swaps them in place of the "more" button).
pub async fn board_more(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path((pipeline_id, stage_id)): Path<(Uuid, Uuid)>,
    RawQuery(query): RawQuery,
) -> Response {
    let p = Pairs::from_query(query.as_deref());
    let s = state.services();
    let c = Chrome::for_user(&state, &headers, &user, "/deals", "nav-deals").await;
    let req = board_request(&p, BOARD_PAGE);
    let (pipeline, page) = match tokio::try_join!(
        s.get_pipeline(&user.actor, pipeline_id),
        s.board_column(&user.actor, pipeline_id, stage_id, &req)
    ) {
        Ok(x) => x,
        Err(e) => return error_page(&state, &headers, Some(&user), e),
    };
    let users = users(s, &user.actor).await;
    let column = BoardColumnView {
        stage_id: stage_id.to_string(),
        name: String::new(),
        colour: String::new(),
        probability: 0,
        count: 0,
        sum: String::new(),
        cards: page.data.iter().map(|d| card(d, &pipeline, &users)).collect(),
        more: more_link(pipeline_id, stage_id, page.next_cursor.as_deref(), &p),
    };
    render(StatusCode::OK, &CardsFragment { c, column }, false)
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("application/json"))
}

/// An error for the board's script: status and a message to show.
fn json_error(e: Error) -> Response {
    let (status, _, _) = classify(&e);
    let message = match &e {
        Error::Validation(v) => v.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; "),
        Error::Internal(err) => crate::error::log_internal(err),
        other => other.to_string(),
    };
    (status, Json(json!({ "error": message }))).into_response()
}

/// Moves a deal to a stage: from the board (fetch, answers JSON with the new column counts
/// and sums) or from the deal card (a form, answers with a redirect).
pub async fn move_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Response {
    let p = Pairs::from_bytes(&body);
    let json_wanted = wants_json(&headers);
    let Some(stage_id) = p.uuid("stage_id") else {
        let e = Error::invalid("stage_id", "choose a stage");
        return if json_wanted { json_error(e) } else { error_page(&state, &headers, Some(&user), e) };
    };
    let req = MoveRequest {
        stage_id,
        pipeline_id: p.uuid("pipeline_id"),
        loss_reason_id: p.uuid("loss_reason_id"),
        loss_note: p.get("loss_note").map(str::to_owned),
    };
    let s = state.services();
    let moved = match s.move_deal(&user.actor, id, req, None).await {
        Ok(v) => v,
        Err(e) => return if json_wanted { json_error(e) } else { error_page(&state, &headers, Some(&user), e) },
    };
    if !json_wanted {
        return redirect_with_flash(&format!("/deals/{id}"), "deal-moved");
    }
    // The board's counts and sums after the move, with the board's filters.
    let filters = Pairs::from_query(p.get("filters"));
    let c = Chrome::for_user(&state, &headers, &user, "/deals", "nav-deals").await;
    match s.board(&user.actor, moved.deal.pipeline_id, &board_request(&filters, 1)).await {
        Ok(b) => Json(json!({
            "deal": { "id": moved.deal.id, "version": moved.deal.version, "status": moved.deal.status },
            "columns": b.columns.iter().map(|col| json!({
                "stage_id": col.stage.id,
                "count": col.count,
                "sum": sum_text(&c, &col.sum.total, &col.sum.currency, col.sum.unconverted.len()),
            })).collect::<Vec<_>>(),
            "total": sum_text(&c, &b.total.total, &b.total.currency, b.total.unconverted.len()),
            "total_count": b.total_count,
        }))
        .into_response(),
        Err(e) => json_error(e),
    }
}

/// The quick-add form at the top of a board column: a title and an amount.
pub async fn quick_add(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    body: Bytes,
) -> Response {
    let p = Pairs::from_bytes(&body);
    let input = DealInput {
        title: Some(p.str("title")),
        pipeline_id: p.uuid("pipeline_id"),
        stage_id: p.uuid("stage_id"),
        amount: p.get("amount").map(|a| json!(a)),
        currency: p.get("currency").map(str::to_owned),
        ..Default::default()
    };
    let back = format!("/deals?{}", qs(&[("pipeline", p.str("pipeline_id"))]));
    match state.services().create_deal(&user.actor, input).await {
        Ok(_) => redirect_with_flash(&back, "deal-created"),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

// ---------------- the deal card ----------------

pub struct ItemRow {
    pub product_id: String,
    pub sku: String,
    pub name: String,
    pub quantity: String,
    pub unit: String,
    pub unit_price: String,
    pub discount_pct: String,
    pub tax_pct: String,
    pub total: String,
}

pub struct PaymentRow {
    pub id: String,
    pub kind: String,
    pub date: String,
    pub amount: String,
    pub note: String,
}

pub struct HistoryRow {
    pub stage: String,
    pub from: String,
    pub entered: String,
    pub left: String,
    pub by: String,
}

pub struct DurationRow {
    pub stage: String,
    pub time: String,
    pub visits: i32,
    pub current: bool,
    pub overdue: bool,
}

pub struct StageStep {
    pub id: String,
    pub name: String,
    pub current: bool,
    pub done: bool,
}

#[derive(Template)]
#[template(path = "deals/card.html")]
struct CardPage {
    c: Chrome,
    d: Deal,
    status: String,
    pipeline: String,
    stage: String,
    steps: Vec<StageStep>,
    won_stage: String,
    lost_stage: String,
    loss_reasons: Vec<(String, String)>,
    loss_reason: String,
    owner: String,
    co_owners: Vec<String>,
    contact: Option<(String, String)>,
    company: Option<(String, String)>,
    amount: String,
    items: Vec<ItemRow>,
    totals: Option<(String, String, String, String, String)>,
    /// (cost, margin, margin %) of the lines; shown when a line is a catalogue product.
    margin: Option<(String, String, String, bool)>,
    stock_warnings: Vec<(String, String, String)>,
    payments: Vec<PaymentRow>,
    planned: String,
    paid: String,
    outstanding: String,
    history: Vec<HistoryRow>,
    durations: Vec<DurationRow>,
    custom: Vec<(String, String)>,
    timeline: TimelineBox,
    errs: Errs,
    today: String,
    /// Quotes and invoices of the deal (docs-invoices).
    docs: super::documents::DealDocuments,
}

impl CardPage {
    /// The k-th error message of a line item field, for the items editor.
    pub fn item_err<I: std::borrow::Borrow<usize>>(&self, i: I, field: &str) -> Option<String> {
        self.errs.get(&format!("items[{}].{field}", i.borrow()))
    }

    /// Errors of the items form that belong to no input shown (e.g. too many lines).
    pub fn general_errors(&self) -> Vec<String> {
        let shown = |f: &str| f.starts_with("items[") || matches!(f, "amount" | "date" | "kind");
        self.errs.0.iter().filter(|e| !shown(&e.field)).map(|e| format!("{}: {}", e.field, e.message)).collect()
    }
}

fn human_duration(secs: i64) -> String {
    let (d, h, m) = (secs / 86_400, (secs % 86_400) / 3600, (secs % 3600) / 60);
    if d > 0 {
        format!("{d} d {h} h")
    } else if h > 0 {
        format!("{h} h {m} min")
    } else {
        format!("{m} min")
    }
}

async fn card_page(
    state: &AppState,
    headers: &HeaderMap,
    user: &Authenticated,
    v: DealView,
    errs: Errs,
    status: StatusCode,
) -> Response {
    let s = state.services();
    let mut c = Chrome::for_user(state, headers, user, "/deals", "nav-deals").await;
    // Every pipeline (stages of history rows may be in another one), the deal's among them.
    let all_pipelines = match s.list_pipelines(&user.actor).await {
        Ok(p) => p,
        Err(e) => return error_page(state, headers, Some(user), e),
    };
    let Some(pipeline) = all_pipelines.iter().find(|p| p.id == v.deal.pipeline_id) else {
        return error_page(state, headers, Some(user), Error::NotFound("pipeline"));
    };
    let users = users(s, &user.actor).await;
    let stage_name = |id: Uuid| {
        all_pipelines
            .iter()
            .flat_map(|p| p.stages.iter())
            .find(|st| st.id == id)
            .map(|st| st.name.clone())
            .unwrap_or_else(|| c.t.get("deal-removed-stage"))
    };
    let d = v.deal.clone();
    let current_pos = pipeline.stage(d.stage_id).map(|st| st.position).unwrap_or(0);
    let steps = pipeline
        .stages
        .iter()
        .filter(|st| st.kind == StageKind::Open)
        .map(|st| StageStep {
            id: st.id.to_string(),
            name: st.name.clone(),
            current: st.id == d.stage_id,
            done: d.status == StageKind::Won || (d.status == StageKind::Open && st.position < current_pos),
        })
        .collect();
    let outcome =
        |k: StageKind| pipeline.stages.iter().find(|st| st.kind == k).map(|st| st.id.to_string()).unwrap_or_default();
    let reasons = s.list_loss_reasons(&user.actor, true).await.unwrap_or_default();
    let contact = match d.contact_id {
        Some(id) => s.get_contact(&user.actor, id).await.ok().map(|x| (id.to_string(), x.contact.display_name)),
        None => None,
    };
    let company = match d.company_id {
        Some(id) => s.get_company(&user.actor, id).await.ok().map(|x| (id.to_string(), x.name)),
        None => None,
    };
    let defs: Vec<CustomFieldDef> = s.list_custom_fields(&user.actor, Some("deal")).await.unwrap_or_default();
    let custom = defs
        .iter()
        .filter_map(|def| {
            d.custom_fields.get(&def.key).map(|val| (def.label.clone(), show_custom(&c, def, val, &users)))
        })
        .collect();
    c.title = d.title.clone();
    let tl = record_timeline(
        state,
        user,
        &c,
        clientele_core::domain::task::Related { kind: clientele_core::domain::task::RelatedType::Deal, id: d.id },
    )
    .await;
    let docs = super::documents::deal_documents(state, user, &c, d.id, !v.items.is_empty()).await;
    // SKUs of the catalogue lines, shown beside their names.
    let mut skus: Vec<(Uuid, String)> = Vec::new();
    for pid in v.items.iter().filter_map(|i| i.product_id) {
        if !skus.iter().any(|(id, _)| *id == pid)
            && let Ok(prod) = s.get_product(&user.actor, pid).await
        {
            skus.push((pid, prod.sku.unwrap_or_default()));
        }
    }
    let page = CardPage {
        docs,
        status: c.t.get(&format!("deal-status-{}", d.status.as_str())),
        pipeline: pipeline.name.clone(),
        stage: stage_name(d.stage_id),
        steps,
        won_stage: outcome(StageKind::Won),
        lost_stage: outcome(StageKind::Lost),
        loss_reasons: reasons.iter().filter(|r| !r.archived).map(|r| (r.id.to_string(), r.name.clone())).collect(),
        loss_reason: d
            .loss_reason_id
            .and_then(|id| reasons.iter().find(|r| r.id == id))
            .map(|r| r.name.clone())
            .unwrap_or_default(),
        owner: name_of(&users, d.owner_id),
        co_owners: d.co_owner_ids.iter().map(|u| name_of(&users, Some(*u))).collect(),
        contact,
        company,
        amount: money(&d.amount, &d.currency),
        items: v
            .items
            .iter()
            .map(|i| ItemRow {
                product_id: i.product_id.map(|x| x.to_string()).unwrap_or_default(),
                sku: i
                    .product_id
                    .and_then(|pid| skus.iter().find(|(id, _)| *id == pid))
                    .map(|(_, k)| k.clone())
                    .unwrap_or_default(),
                name: i.name.clone(),
                quantity: i.quantity.clone(),
                unit: i.unit.clone().unwrap_or_default(),
                unit_price: i.unit_price.clone(),
                discount_pct: i.discount_pct.clone(),
                tax_pct: i.tax_pct.clone(),
                total: i.total.clone(),
            })
            .collect(),
        totals: (!v.items.is_empty()).then(|| {
            let t = &v.totals;
            (t.subtotal.clone(), t.discount.clone(), t.net.clone(), t.tax.clone(), t.total.clone())
        }),
        margin: v.items.iter().any(|i| i.product_id.is_some()).then(|| {
            let m = &v.margin;
            (m.cost.clone(), m.margin.clone(), m.margin_pct.clone().unwrap_or_default(), m.complete)
        }),
        stock_warnings: v
            .stock_warnings
            .iter()
            .map(|w| (w.product_id.to_string(), w.product_name.clone(), w.on_hand.clone()))
            .collect(),
        payments: v
            .payments
            .iter()
            .map(|x| PaymentRow {
                id: x.id.to_string(),
                kind: c.t.get(&format!("payment-{}", x.kind.as_str())),
                date: x.date.format("%Y-%m-%d").to_string(),
                amount: money(&x.amount, &d.currency),
                note: x.note.clone().unwrap_or_default(),
            })
            .collect(),
        planned: money(&v.payment_summary.planned, &d.currency),
        paid: money(&v.payment_summary.paid, &d.currency),
        outstanding: money(&v.payment_summary.outstanding, &d.currency),
        history: v
            .stage_history
            .iter()
            .rev()
            .map(|h| HistoryRow {
                stage: stage_name(h.to_stage_id),
                from: h.from_stage_id.map(stage_name).unwrap_or_default(),
                entered: fmt_time(h.entered_at),
                left: h.left_at.map(fmt_time).unwrap_or_default(),
                by: h.moved_by_name.clone(),
            })
            .collect(),
        durations: v
            .stage_durations
            .iter()
            .map(|x| DurationRow {
                stage: x.stage_name.clone(),
                time: human_duration(x.seconds),
                visits: x.visits,
                current: x.current,
                overdue: x.overdue,
            })
            .collect(),
        custom,
        timeline: tl,
        errs,
        today: chrono::Utc::now().date_naive().format("%Y-%m-%d").to_string(),
        d,
        c,
    };
    let shown = page.c.flash.is_some();
    render(status, &page, shown)
}

pub async fn deal_card(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
) -> Response {
    match state.services().get_deal(&user.actor, id).await {
        Ok(v) => card_page(&state, &headers, &user, v, Errs::default(), StatusCode::OK).await,
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

/// Shows the card again with the errors of a form on it (line items, payments), or the
/// error page for anything else.
async fn card_with_errors(state: &AppState, headers: &HeaderMap, user: &Authenticated, id: Uuid, e: Error) -> Response {
    let (status, errs) = match e {
        Error::Validation(v) => (StatusCode::UNPROCESSABLE_ENTITY, Errs(v)),
        other => return error_page(state, headers, Some(user), other),
    };
    match state.services().get_deal(&user.actor, id).await {
        Ok(v) => card_page(state, headers, user, v, errs, status).await,
        Err(e) => error_page(state, headers, Some(user), e),
    }
}

/// Saves the line items editor: every row with a name or a price is a line.
pub async fn items_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Response {
    let p = Pairs::from_bytes(&body);
    let col = |k: &str| p.all(k);
    let (products, names, qty, units, prices, discounts, taxes) = (
        col("item_product"),
        col("item_name"),
        col("item_quantity"),
        col("item_unit"),
        col("item_price"),
        col("item_discount"),
        col("item_tax"),
    );
    let at = |v: &[String], i: usize| v.get(i).map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let items = (0..names.len())
        .filter(|&i| at(&names, i).is_some() || at(&prices, i).is_some())
        .map(|i| DealItemInput {
            name: at(&names, i),
            product_id: at(&products, i).and_then(|x| Uuid::parse_str(&x).ok()),
            quantity: at(&qty, i).map(Value::String),
            unit: at(&units, i),
            unit_price: at(&prices, i).map(Value::String),
            discount_pct: at(&discounts, i).map(Value::String),
            tax_pct: at(&taxes, i).map(Value::String),
        })
        .collect();
    let version = p.get("version").and_then(|v| v.parse().ok());
    match state.services().replace_items(&user.actor, id, ItemsRequest { items }, version).await {
        Ok(_) => redirect_with_flash(&format!("/deals/{id}"), "deal-items-saved"),
        Err(e) => card_with_errors(&state, &headers, &user, id, e).await,
    }
}

pub async fn payment_add(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Response {
    let p = Pairs::from_bytes(&body);
    let date = match p.date("date") {
        Ok(d) => d,
        Err(e) => return card_with_errors(&state, &headers, &user, id, e).await,
    };
    let req = PaymentRequest {
        kind: p.str("kind"),
        date,
        amount: Value::String(p.str("amount")),
        note: p.get("note").map(str::to_owned),
        invoice_id: p.get("invoice_id").and_then(|v| v.parse().ok()),
    };
    match state.services().add_payment(&user.actor, id, req).await {
        Ok(_) => redirect_with_flash(&format!("/deals/{id}"), "deal-payment-added"),
        Err(e) => card_with_errors(&state, &headers, &user, id, e).await,
    }
}

pub async fn payment_remove(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path((id, payment_id)): Path<(Uuid, Uuid)>,
) -> Response {
    match state.services().remove_payment(&user.actor, id, payment_id).await {
        Ok(()) => redirect_with_flash(&format!("/deals/{id}"), "deal-payment-removed"),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

pub async fn deal_delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Response {
    let p = Pairs::from_bytes(&body);
    let version = p.get("version").and_then(|v| v.parse().ok());
    match state.services().delete_deal(&user.actor, id, version).await {
        Ok(()) => redirect_with_flash("/deals", "deal-deleted"),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

// ---------------- the deal form ----------------

pub struct DealForm {
    pub action: String,
    pub cancel: String,
    pub editing: bool,
    pub version: i64,
    pub f: FormValues,
    pub cfs: Vec<CfInput>,
    /// (pipeline name, [(stage id, stage name)]) for the stage picker (new deals only).
    pub stages: Vec<(String, Vec<(String, String)>)>,
    pub users: Vec<(String, String)>,
    /// Names of the chosen contact and company, for their pickers.
    pub contact_label: String,
    pub company_label: String,
    pub co_owners: Vec<String>,
    pub errs: Errs,
}

impl DealForm {
    pub fn err(&self, field: &str) -> Option<String> {
        self.errs.get(field)
    }

    pub fn val(&self, k: &str) -> String {
        self.f.val(k)
    }

    pub fn is(&self, k: &str, v: &str) -> bool {
        self.f.val(k) == v
    }

    pub fn co_owner(&self, id: &str) -> bool {
        self.co_owners.iter().any(|x| x == id)
    }

    pub fn other_errors(&self) -> Vec<String> {
        self.errs.other(&[
            "title",
            "stage_id",
            "pipeline_id",
            "amount",
            "currency",
            "expected_close_date",
            "source",
            "contact_id",
            "company_id",
            "owner_id",
            "tags",
            "notes",
            "custom_fields.",
        ])
    }
}

#[derive(Template)]
#[template(path = "deals/form.html")]
struct FormPage {
    c: Chrome,
    p: DealForm,
}

const DEAL_TEXT_FIELDS: &[&str] = &[
    "title",
    "stage_id",
    "amount",
    "currency",
    "expected_close_date",
    "source",
    "contact_id",
    "company_id",
    "owner_id",
    "tags",
    "notes",
];

#[allow(clippy::too_many_arguments)]
async fn show_form(
    state: &AppState,
    headers: &HeaderMap,
    user: &Authenticated,
    editing: Option<(Uuid, i64)>,
    f: FormValues,
    co_owners: Vec<String>,
    errs: Errs,
    status: StatusCode,
) -> Response {
    let s = state.services();
    let title_key = if editing.is_some() { "deal-edit" } else { "deal-new" };
    let c = Chrome::for_user(state, headers, user, "/deals", title_key).await;
    let defs = s.list_custom_fields(&user.actor, Some("deal")).await.unwrap_or_default();
    let users = users(s, &user.actor).await;
    let pipelines = s.list_pipelines(&user.actor).await.unwrap_or_default();
    let id_of = |k: &str| Uuid::parse_str(f.val(k).trim()).ok();
    let contact_label = match id_of("contact_id") {
        Some(id) => s.get_contact(&user.actor, id).await.map(|v| v.contact.display_name).unwrap_or_default(),
        None => String::new(),
    };
    let company_label = match id_of("company_id") {
        Some(id) => s.get_company(&user.actor, id).await.map(|x| x.name).unwrap_or_default(),
        None => String::new(),
    };
    let p = DealForm {
        action: match editing {
            Some((id, _)) => format!("/deals/{id}/edit"),
            None => "/deals/new".into(),
        },
        cancel: match editing {
            Some((id, _)) => format!("/deals/{id}"),
            None => "/deals".into(),
        },
        editing: editing.is_some(),
        version: editing.map(|(_, v)| v).unwrap_or(0),
        cfs: f.custom_inputs(&defs, &users),
        f,
        stages: pipelines
            .iter()
            .filter(|p| !p.archived)
            .map(|p| {
                let open = p.stages.iter().filter(|st| st.kind == StageKind::Open);
                (p.name.clone(), open.map(|st| (st.id.to_string(), st.name.clone())).collect())
            })
            .collect(),
        users,
        contact_label,
        company_label,
        co_owners,
        errs,
    };
    render(status, &FormPage { c, p }, false)
}

pub async fn deal_new(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    RawQuery(query): RawQuery,
) -> Response {
    let p = Pairs::from_query(query.as_deref());
    let mut f = FormValues::default();
    for k in ["contact_id", "company_id", "stage_id", "title"] {
        f.v.insert(k.into(), p.str(k));
    }
    f.v.insert("currency".into(), state.services().base_currency().await.unwrap_or_default());
    show_form(&state, &headers, &user, None, f, vec![], Errs::default(), StatusCode::OK).await
}

/// Reads the deal form into the values as typed and the JSON the service takes.
fn read_form(p: &Pairs, defs: &[CustomFieldDef]) -> (FormValues, Map<String, Value>, Vec<String>) {
    let mut f = FormValues::default();
    let mut m = Map::new();
    for k in DEAL_TEXT_FIELDS {
        let raw = p.str(k);
        f.v.insert((*k).to_owned(), raw.clone());
        let t = raw.trim();
        let v = if t.is_empty() { Value::Null } else { json!(t) };
        m.insert((*k).to_owned(), v);
    }
    let tags: Vec<String> =
        p.str("tags").split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect();
    m.insert("tags".into(), json!(tags));
    let co = p.all("co_owner_ids");
    m.insert("co_owner_ids".into(), json!(co));
    m.insert("custom_fields".into(), Value::Object(f.read_custom(p, defs)));
    (f, m, co)
}

pub async fn deal_create(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    body: Bytes,
) -> Response {
    let p = Pairs::from_bytes(&body);
    let s = state.services();
    let defs = s.list_custom_fields(&user.actor, Some("deal")).await.unwrap_or_default();
    let (f, mut m, co) = read_form(&p, &defs);
    if m.get("owner_id").is_some_and(Value::is_null) {
        m.remove("owner_id"); // the creator by default
    }
    let input: DealInput = match serde_json::from_value(Value::Object(m)) {
        Ok(i) => i,
        Err(e) => {
            let errs = Errs(vec![clientele_core::FieldError::new("form", e.to_string())]);
            return show_form(&state, &headers, &user, None, f, co, errs, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    match s.create_deal(&user.actor, input).await {
        Ok(v) => redirect_with_flash(&format!("/deals/{}", v.deal.id), "deal-created"),
        Err(Error::Validation(v)) => {
            show_form(&state, &headers, &user, None, f, co, Errs(v), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

pub async fn deal_edit(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
) -> Response {
    let s = state.services();
    let v = match s.get_deal(&user.actor, id).await {
        Ok(v) => v,
        Err(e) => return error_page(&state, &headers, Some(&user), e),
    };
    let defs = s.list_custom_fields(&user.actor, Some("deal")).await.unwrap_or_default();
    let d = &v.deal;
    let mut f = FormValues::default();
    let opt = |x: Option<Uuid>| x.map(|u| u.to_string()).unwrap_or_default();
    for (k, val) in [
        ("title", d.title.clone()),
        ("stage_id", d.stage_id.to_string()),
        ("amount", d.amount.clone()),
        ("currency", d.currency.clone()),
        ("expected_close_date", d.expected_close_date.map(|x| x.to_string()).unwrap_or_default()),
        ("source", d.source.clone().unwrap_or_default()),
        ("contact_id", opt(d.contact_id)),
        ("company_id", opt(d.company_id)),
        ("owner_id", opt(d.owner_id)),
        ("tags", d.tags.join(", ")),
        ("notes", d.notes.clone().unwrap_or_default()),
    ] {
        f.v.insert(k.into(), val);
    }
    f.read_custom_record(&json!({ "custom_fields": d.custom_fields }), &defs);
    let co = d.co_owner_ids.iter().map(Uuid::to_string).collect();
    show_form(&state, &headers, &user, Some((id, d.version)), f, co, Errs::default(), StatusCode::OK).await
}

pub async fn deal_update(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Response {
    let p = Pairs::from_bytes(&body);
    let s = state.services();
    let defs = s.list_custom_fields(&user.actor, Some("deal")).await.unwrap_or_default();
    let (f, mut m, co) = read_form(&p, &defs);
    // The stage changes only by moving the deal; with line items the amount is their total.
    m.remove("stage_id");
    let version: i64 = p.get("version").and_then(|v| v.parse().ok()).unwrap_or(0);
    match s.update_deal(&user.actor, id, m, Some(version)).await {
        Ok(_) => redirect_with_flash(&format!("/deals/{id}"), "deal-saved"),
        Err(e) => match form_errors(e) {
            Ok((status, errs)) => show_form(&state, &headers, &user, Some((id, version)), f, co, errs, status).await,
            Err(e) => error_page(&state, &headers, Some(&user), e),
        },
    }
}

// ---------------- pickers ----------------

/// One choice of a search-as-you-type picker.
pub struct PickOption {
    pub id: String,
    pub label: String,
    pub sub: String,
    /// Products: the unit price in the deal's currency (empty without one) and the unit.
    pub price: String,
    pub unit: String,
}

#[derive(Template)]
#[template(path = "deals/_pick_options.html")]
struct PickOptions {
    c: Chrome,
    options: Vec<PickOption>,
}

/// The choices of a picker for what was typed (`/deals/pick/contact|company|product`):
/// contacts and companies through the global search (by name, phone, e-mail, tax number),
/// products by name or SKU with their price in the deal's `currency` from its price lists.
pub async fn picker_options(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(what): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let p = Pairs::from_query(query.as_deref());
    let q = ["q", "contact_q", "company_q", "item_name"].iter().find_map(|k| p.get(k)).unwrap_or_default().to_owned();
    let s = state.services();
    let c = Chrome::for_user(&state, &headers, &user, "/deals", "nav-deals").await;
    let hit = |h: clientele_core::store::SearchHit| PickOption {
        id: h.id.to_string(),
        label: h.title,
        sub: h.subtitle.unwrap_or_default(),
        price: String::new(),
        unit: String::new(),
    };
    let listed = |id: Uuid, label: String, sub: Option<String>| PickOption {
        id: id.to_string(),
        label,
        sub: sub.unwrap_or_default(),
        price: String::new(),
        unit: String::new(),
    };
    let options: Result<Vec<PickOption>, Error> = match what.as_str() {
        "contact" | "company" if !q.is_empty() => s.search(&user.actor, &q, Some(8)).await.map(|r| {
            let hits = if what == "contact" { r.contacts } else { r.companies };
            hits.into_iter().map(hit).collect()
        }),
        "contact" => {
            let req = ListRequest { sort: Some("name".into()), limit: Some(8), ..Default::default() };
            s.list_contacts(&user.actor, &req)
                .await
                .map(|pg| pg.data.into_iter().map(|x| listed(x.id, x.display_name, x.title)).collect())
        }
        "company" => {
            let req = ListRequest { sort: Some("name".into()), limit: Some(8), ..Default::default() };
            s.list_companies(&user.actor, &req)
                .await
                .map(|pg| pg.data.into_iter().map(|x| listed(x.id, x.name, x.industry)).collect())
        }
        "product" => {
            let currency = p.get("currency").unwrap_or_default().to_owned();
            let req = ProductListRequest {
                q: Some(q).filter(|x| !x.is_empty()),
                active: Some(true),
                limit: Some(8),
                ..Default::default()
            };
            s.list_products(&user.actor, &req).await.map(|pg| {
                pg.data
                    .into_iter()
                    .map(|x| PickOption {
                        id: x.id.to_string(),
                        price: x.price_in(&currency).map(|m| money::format_minor(m, &currency)).unwrap_or_default(),
                        unit: x.unit.clone().unwrap_or_default(),
                        sub: [
                            x.sku.clone(),
                            x.price_in(&currency).map(|m| format!("{} {currency}", money::format_minor(m, &currency))),
                        ]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" · "),
                        label: x.name,
                    })
                    .collect()
            })
        }
        _ => Err(Error::NotFound("page")),
    };
    match options {
        Ok(options) => render(StatusCode::OK, &PickOptions { c, options }, false),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

/// `/deals/{id}/move` without a stage (a link, not a form) goes to the card.
pub async fn to_card(Path(id): Path<Uuid>) -> Redirect {
    Redirect::to(&format!("/deals/{id}"))
}
