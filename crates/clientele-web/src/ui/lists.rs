//! The record lists (contacts, companies, deals, leads): search, quick filters, the filter
//! builder, chosen columns, sort, keyset pages, saved views, bulk actions, exports and the
//! trash — one machinery, driven by a [`ListKind`]; duplicates and the merge screen of
//! contacts and companies.

use std::collections::HashMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use clientele_core::Error;
use clientele_core::domain::custom_field::CustomFieldDef;
use clientele_core::domain::filter::Filter;
use clientele_core::service::{BulkAction, BulkRequest, ListRequest, MergeRequest, ViewRequest};
use serde_json::Value;
use uuid::Uuid;

use super::clients_common::{
    ColView, Ent, FbRow, ListView, Pairs, ViewOpt, and_all, filter_to_rows, lifecycles, op_options, qs, rows_to_filter,
    show, users,
};
use super::list_kinds::{ListKind, QuickContext, quick_conditions, quick_filters};
use super::list_rows::page_rows;
use super::{Chrome, error_page, is_htmx, redirect_with_flash, render};
use crate::auth::{Authenticated, WebUser, safe_next};
use crate::state::AppState;

/// Route codes of the list kinds (`index::<DEALS>`), so that one handler serves every list.
pub const CONTACTS: u8 = 0;
pub const COMPANIES: u8 = 1;
pub const DEALS: u8 = 2;
pub const LEADS: u8 = 3;

const fn kind_of(code: u8) -> ListKind {
    match code {
        CONTACTS => ListKind::Contact,
        COMPANIES => ListKind::Company,
        DEALS => ListKind::Deal,
        _ => ListKind::Lead,
    }
}

#[derive(Template)]
#[template(path = "lists/list.html")]
struct ListPage {
    c: Chrome,
    p: ListView,
}

#[derive(Template)]
#[template(path = "lists/_results.html")]
struct ListFragment {
    c: Chrome,
    p: ListView,
}

/// A list page (`/contacts`, `/companies`, `/deals/list`, `/leads`); htmx gets the results.
pub async fn index<const K: u8>(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    WebUser(user): WebUser,
) -> Response {
    list(kind_of(K), &state, &headers, q, &user).await
}

fn column_label(c: &Chrome, kind: ListKind, key: &str, defs: &[CustomFieldDef]) -> String {
    match key.strip_prefix("cf.") {
        Some(k) => defs.iter().find(|d| d.key == k).map(|d| d.label.clone()).unwrap_or_else(|| key.to_owned()),
        None => c.t.get(&kind.column_label_key(key)),
    }
}

/// Field names the filter builder offers, labelled.
fn filter_fields(c: &Chrome, kind: ListKind, defs: &[CustomFieldDef]) -> Vec<(String, String)> {
    clientele_core::domain::filter::fields(kind.key(), defs)
        .into_iter()
        .map(|f| {
            let label = match f.strip_prefix("custom_fields.") {
                Some(k) => defs.iter().find(|d| d.key == k).map(|d| d.label.clone()).unwrap_or_else(|| f.clone()),
                None => c.t.get(&kind.field_label_key(&f)),
            };
            (f, label)
        })
        .collect()
}

async fn list(
    kind: ListKind,
    state: &AppState,
    headers: &HeaderMap,
    query: Option<String>,
    user: &Authenticated,
) -> Response {
    let p = Pairs::from_query(query.as_deref());
    let s = state.services();
    let mut c = Chrome::for_user(state, headers, user, kind.base(), kind.nav_key()).await;
    let defs = s.list_custom_fields(&user.actor, Some(kind.key())).await.unwrap_or_default();
    let users = users(s, &user.actor).await;
    let all_views = s.list_views(&user.actor, kind.key()).await.unwrap_or_default();
    let view = p.uuid("view").and_then(|id| all_views.iter().find(|v| v.id == id).cloned());
    let pipelines =
        if kind == ListKind::Deal { s.list_pipelines(&user.actor).await.unwrap_or_default() } else { vec![] };
    let base_currency =
        if kind == ListKind::Deal { s.base_currency().await.unwrap_or_default() } else { String::new() };

    // The filter: the builder's rows, else the `filter` parameter, else the view's.
    let mut filter_errors = Vec::new();
    let fb_present = p.has("fb_field");
    let join = p.get("fb_join").unwrap_or("and").to_owned();
    let mut base_from_view = false;
    let base: Option<Value> = if fb_present {
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
        rows_to_filter(&rows, &join, &defs)
    } else if let Some(f) = p.get("filter") {
        match serde_json::from_str::<Value>(f) {
            Ok(v) => Some(v),
            Err(e) => {
                filter_errors.push(format!("filter: {e}"));
                None
            }
        }
    } else {
        base_from_view = true;
        view.as_ref().and_then(|v| v.filter.as_ref()).and_then(|f| serde_json::to_value(f).ok())
    };
    let (fb_rows, fb_join, fb_raw) = match &base {
        None => (vec![], "and".to_owned(), String::new()),
        Some(b) => match filter_to_rows(b) {
            Some((r, j)) => (r, j, String::new()),
            None => (vec![], "and".to_owned(), b.to_string()),
        },
    };
    let quick = quick_filters(kind, &c, &p, &QuickContext { users: &users, pipelines: &pipelines });
    let mut parts = match quick_conditions(kind, &p, &base_currency) {
        Ok(v) => v,
        Err(Error::Validation(v)) => {
            filter_errors.extend(v.into_iter().map(|e| format!("{}: {}", e.field, e.message)));
            vec![]
        }
        Err(e) => return error_page(state, headers, Some(user), e),
    };
    let filtered = quick.iter().any(|q| !q.value.is_empty()) || base.is_some();
    if let Some(b) = base.clone() {
        parts.push(b);
    }
    let effective = and_all(parts);

    let sort =
        p.get("sort").map(str::to_owned).or_else(|| view.as_ref().and_then(|v| v.sort.clone())).unwrap_or_default();
    let valid = |k: &str| {
        kind.columns().contains(&k) || k.strip_prefix("cf.").is_some_and(|key| defs.iter().any(|d| d.key == key))
    };
    let mut cols: Vec<String> = if let Some(csv) = p.get("columns") {
        csv.split(',').map(|s| s.trim().to_owned()).collect()
    } else if p.has("col") {
        p.all("col")
    } else if let Some(v) = view.as_ref().filter(|v| !v.columns.is_empty()) {
        v.columns.clone()
    } else {
        kind.default_columns().iter().map(|s| (*s).to_owned()).collect()
    };
    cols.retain(|k| valid(k));
    cols.dedup();
    let columns_csv = cols.join(",");
    let deleted = kind.has_trash() && p.get("deleted") == Some("true");

    let req = ListRequest {
        q: p.get("q").map(str::to_owned),
        filter: effective.as_ref().map(Value::to_string),
        view: None,
        sort: (!sort.is_empty()).then(|| sort.clone()),
        limit: Some(50),
        cursor: p.get("cursor").map(str::to_owned),
        deleted,
    };
    let mut status = StatusCode::OK;
    let (rows, next_cursor) = if !filter_errors.is_empty() {
        status = StatusCode::UNPROCESSABLE_ENTITY;
        (vec![], None)
    } else {
        match page_rows(kind, state, user, &c, &req, &cols, &users, &defs).await {
            Ok(r) => r,
            Err(Error::Validation(v)) => {
                status = StatusCode::UNPROCESSABLE_ENTITY;
                filter_errors.extend(v.into_iter().map(|e| format!("{}: {}", e.field, e.message)));
                (vec![], None)
            }
            Err(e) => return error_page(state, headers, Some(user), e),
        }
    };

    let base_json =
        if base_from_view { String::new() } else { base.as_ref().map(Value::to_string).unwrap_or_default() };
    let view_id = view.as_ref().map(|v| v.id.to_string()).unwrap_or_default();
    let state_qs = |sort: &str| {
        let mut pairs = vec![
            ("q", p.get("q").unwrap_or_default().to_owned()),
            ("filter", base_json.clone()),
            ("view", view_id.clone()),
            ("sort", sort.to_owned()),
            ("columns", columns_csv.clone()),
        ];
        pairs.extend(quick.iter().map(|q| (q.name, q.value.clone())));
        pairs.push(("deleted", if deleted { "true".into() } else { String::new() }));
        qs(&pairs)
    };
    let col_view = |key: &str, label: String| {
        let sk = kind.sort_key(key);
        let sorted = match sk {
            Some(k) if sort == k => "asc",
            Some(k) if sort == format!("-{k}") => "desc",
            _ => "",
        };
        let sort_href = sk.map(|k| {
            let next = if sort == k {
                format!("-{k}")
            } else if sort == format!("-{k}") || kind.ascending_first(k) {
                k.to_owned()
            } else {
                format!("-{k}")
            };
            format!("{}?{}", kind.href(), state_qs(&next))
        });
        ColView { label, sort_href, sorted, numeric: key == "amount" }
    };
    let count = rows.len() as i64;
    let next_href = next_cursor.map(|cur| format!("{}?{}&cursor={}", kind.href(), state_qs(&sort), cur));
    let here = {
        let mut h = format!("{}?{}", kind.href(), state_qs(&sort));
        if let Some(cur) = p.get("cursor") {
            h.push_str(&format!("&cursor={}", crate::auth::urlencode(cur)));
        }
        h
    };
    if let (Some(ok), Some(failed)) = (p.get("bulk_ok"), p.get("bulk_failed")) {
        c.flash = Some(c.t.with("bulk-result", &[("ok", ok), ("failed", failed)]));
    }
    let mut all_cols: Vec<(String, String, bool)> = kind
        .columns()
        .iter()
        .map(|k| ((*k).to_owned(), column_label(&c, kind, k, &defs), cols.iter().any(|x| x == k)))
        .collect();
    all_cols.extend(defs.iter().map(|d| {
        let k = format!("cf.{}", d.key);
        let on = cols.contains(&k);
        (k, d.label.clone(), on)
    }));
    let bulk_actions: Vec<(String, String)> = kind
        .bulk_actions()
        .iter()
        .map(|a| ((*a).to_owned(), c.t.get(&format!("bulk-{}", a.replace('_', "-")))))
        .collect();
    let lv = ListView {
        ent: kind.key(),
        base: kind.base(),
        href: kind.href(),
        export_entity: kind.export_entity().unwrap_or_default(),
        new_label: c.t.get(kind.new_label()),
        duplicates: kind.has_duplicates(),
        trash: kind.has_trash(),
        name_col: col_view("name", c.t.get(&kind.name_label_key())),
        cols: cols.iter().map(|k| col_view(k, column_label(&c, kind, k, &defs))).collect(),
        all_cols,
        rows,
        next_href,
        q: p.get("q").unwrap_or_default().to_owned(),
        quick,
        lifecycles: if kind.has_lifecycle() { lifecycles(&c) } else { vec![] },
        bulk_actions,
        views: all_views
            .iter()
            .map(|v| ViewOpt {
                id: v.id.to_string(),
                name: v.name.clone(),
                shared: v.shared,
                selected: view.as_ref().is_some_and(|x| x.id == v.id),
            })
            .collect(),
        view: view_id.clone(),
        view_own: view.as_ref().is_some_and(|v| v.owner_id == user.actor.user_id || c.is_admin),
        users,
        fb_rows,
        fb_join,
        fb_raw,
        fields: filter_fields(&c, kind, &defs),
        ops: op_options(&c),
        filter_errors,
        effective_filter: effective.as_ref().map(Value::to_string).unwrap_or_default(),
        sort,
        columns_csv,
        deleted,
        here,
        filtered,
        is_admin: c.is_admin,
        shown: c.t.count("list-shown", count),
    };
    if is_htmx(headers) {
        return render(status, &ListFragment { c, p: lv }, false);
    }
    let shown = c.flash.is_some();
    render(status, &ListPage { c, p: lv }, shown)
}

// ---------- bulk actions ----------

/// The bulk bar of a list: one action on the selected records, through the service (each
/// record checked and audited on its own; a new owner is notified). Reports how many
/// succeeded and failed on the list it came from.
pub async fn bulk<const K: u8>(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    body: Bytes,
) -> Response {
    let kind = kind_of(K);
    let p = Pairs::from_bytes(&body);
    let back = safe_next(p.get("back"));
    let tag = p.get("tag").unwrap_or_default().to_owned();
    let action = match p.get("action").unwrap_or_default() {
        "assign_owner" => match p.uuid("owner_id") {
            Some(owner_id) => BulkAction::AssignOwner { owner_id },
            None => {
                return error_page(&state, &headers, Some(&user), Error::invalid("owner_id", "choose the new owner"));
            }
        },
        "lifecycle" if kind.has_lifecycle() => {
            BulkAction::SetLifecycle { lifecycle: p.get("lifecycle").unwrap_or("lead").to_owned() }
        }
        "add_tag" => BulkAction::AddTag { tag },
        "remove_tag" => BulkAction::RemoveTag { tag },
        "delete" => BulkAction::Delete,
        _ => return error_page(&state, &headers, Some(&user), Error::invalid("action", "choose an action")),
    };
    let ids: Vec<Uuid> = p.all("ids").iter().filter_map(|i| Uuid::parse_str(i.trim()).ok()).collect();
    let req = BulkRequest { ids, matching: None, action };
    let r = match state.services().bulk(&user.actor, kind.key(), req).await {
        Ok(r) => r,
        Err(e) => return error_page(&state, &headers, Some(&user), e),
    };
    let (ok, failed) = (r.changed + r.unchanged, r.failed.len());
    let sep = if back.contains('?') { '&' } else { '?' };
    let back = back
        .split('&')
        .filter(|part| !part.starts_with("bulk_ok=") && !part.starts_with("bulk_failed="))
        .collect::<Vec<_>>()
        .join("&");
    Redirect::to(&format!("{back}{sep}bulk_ok={ok}&bulk_failed={failed}")).into_response()
}

// ---------- trash ----------

/// Restores a deleted record from the trash (administrators).
pub async fn restore<const K: u8>(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
) -> Response {
    let kind = kind_of(K);
    let s = state.services();
    let done = match kind {
        ListKind::Contact => s.restore_contact(&user.actor, id).await.map(|_| ()),
        ListKind::Company => s.restore_company(&user.actor, id).await.map(|_| ()),
        ListKind::Deal => s.restore_deal(&user.actor, id).await.map(|_| ()),
        ListKind::Lead => Err(Error::NotFound("page")),
    };
    match done {
        Ok(()) => redirect_with_flash(&format!("{}/{id}", kind.base()), "restored"),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

// ---------- saved views ----------

/// Saves the list's filter, sort and columns as a view (private, or shared with everyone).
pub async fn view_create<const K: u8>(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    body: Bytes,
) -> Response {
    let kind = kind_of(K);
    let p = Pairs::from_bytes(&body);
    let filter: Option<Filter> = match p.get("filter") {
        Some(f) => match clientele_core::domain::filter::parse("filter", f) {
            Ok(f) => Some(f),
            Err(e) => return error_page(&state, &headers, Some(&user), Error::Validation(vec![e])),
        },
        None => None,
    };
    let req = ViewRequest {
        entity: Some(kind.key().to_owned()),
        name: p.str("name"),
        shared: p.has("shared"),
        filter,
        columns: p.get("columns").map(|c| c.split(',').map(str::to_owned).collect()).unwrap_or_default(),
        sort: p.get("sort").map(str::to_owned),
    };
    match state.services().create_view(&user.actor, req).await {
        Ok(v) => redirect_with_flash(&format!("{}?view={}", kind.href(), v.id), "view-saved"),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

pub async fn view_delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
) -> Response {
    let s = state.services();
    let href = match s.get_view(&user.actor, id).await {
        Ok(v) => ListKind::from_key(&v.entity).unwrap_or(ListKind::Contact).href(),
        Err(e) => return error_page(&state, &headers, Some(&user), e),
    };
    match s.delete_view(&user.actor, id).await {
        Ok(()) => redirect_with_flash(href, "view-deleted"),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

// ---------- duplicates ----------

pub struct DupSide {
    pub id: String,
    pub name: String,
    pub details: Vec<String>,
}

pub struct DupPair {
    pub a: DupSide,
    pub b: DupSide,
    pub shared: String,
    pub merge_href: String,
}

#[derive(Template)]
#[template(path = "clients/duplicates.html")]
struct DuplicatesPage {
    c: Chrome,
    base: &'static str,
    pairs: Vec<DupPair>,
}

pub async fn contact_duplicates(State(state): State<AppState>, headers: HeaderMap, WebUser(user): WebUser) -> Response {
    duplicates(Ent::Contact, &state, &headers, &user).await
}

pub async fn company_duplicates(State(state): State<AppState>, headers: HeaderMap, WebUser(user): WebUser) -> Response {
    duplicates(Ent::Company, &state, &headers, &user).await
}

async fn side(ent: Ent, state: &AppState, user: &Authenticated, id: Uuid) -> Option<DupSide> {
    let rec = record_json(ent, state, user, id).await.ok()?;
    let name = match ent {
        Ent::Contact => show(&rec["display_name"]),
        Ent::Company => show(&rec["name"]),
    };
    let mut details: Vec<String> = Vec::new();
    for p in rec["phones"].as_array().into_iter().flatten() {
        details.push(show(&p["number"]));
    }
    for e in rec["emails"].as_array().into_iter().flatten() {
        details.push(show(&e["address"]));
    }
    if let Some(t) = rec.get("tax_number").map(show).filter(|t| !t.is_empty()) {
        details.push(t);
    }
    Some(DupSide { id: id.to_string(), name, details })
}

async fn duplicates(ent: Ent, state: &AppState, headers: &HeaderMap, user: &Authenticated) -> Response {
    let c = Chrome::for_user(state, headers, user, ent.base(), "dup-title").await;
    let found = match state.services().duplicates(&user.actor, ent.key()).await {
        Ok(f) => f,
        Err(e) => return error_page(state, headers, Some(user), e),
    };
    let mut pairs = Vec::new();
    for (a, b, shared) in found.into_iter().take(100) {
        if let (Some(sa), Some(sb)) = (side(ent, state, user, a).await, side(ent, state, user, b).await) {
            pairs.push(DupPair { a: sa, b: sb, shared, merge_href: format!("{}/merge?a={a}&b={b}", ent.base()) });
        }
    }
    let shown = c.flash.is_some();
    render(StatusCode::OK, &DuplicatesPage { c, base: ent.base(), pairs }, shown)
}

// ---------- merge ----------

async fn record_json(ent: Ent, state: &AppState, user: &Authenticated, id: Uuid) -> Result<Value, Error> {
    let s = state.services();
    let v = match ent {
        Ent::Contact => serde_json::to_value(s.get_contact(&user.actor, id).await?.contact),
        Ent::Company => serde_json::to_value(s.get_company(&user.actor, id).await?),
    };
    v.map_err(|e| Error::Internal(anyhow::Error::new(e)))
}

const CONTACT_MERGE_FIELDS: &[&str] = &[
    "first_name",
    "last_name",
    "display_name",
    "title",
    "company_id",
    "owner_id",
    "source",
    "lifecycle",
    "address",
    "notes",
];
const COMPANY_MERGE_FIELDS: &[&str] =
    &["name", "legal_name", "tax_number", "website", "industry", "owner_id", "source", "lifecycle", "address", "notes"];
const MERGE_LISTS: &[&str] = &["phones", "emails", "tags", "important_dates"];

pub struct MergeField {
    pub key: String,
    pub label: String,
    pub a: String,
    pub b: String,
    pub differ: bool,
}

#[derive(Template)]
#[template(path = "clients/merge.html")]
struct MergePage {
    c: Chrome,
    base: &'static str,
    a_id: String,
    b_id: String,
    a_name: String,
    b_name: String,
    fields: Vec<MergeField>,
    lists: Vec<MergeField>,
    errors: Vec<String>,
}

pub async fn contact_merge_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    WebUser(user): WebUser,
) -> Response {
    let p = Pairs::from_query(q.as_deref());
    merge_page(Ent::Contact, &state, &headers, &user, &p, StatusCode::OK, vec![]).await
}

pub async fn company_merge_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    WebUser(user): WebUser,
) -> Response {
    let p = Pairs::from_query(q.as_deref());
    merge_page(Ent::Company, &state, &headers, &user, &p, StatusCode::OK, vec![]).await
}

fn merge_value(
    c: &Chrome,
    key: &str,
    v: &Value,
    users: &[(String, String)],
    companies: &HashMap<String, String>,
) -> String {
    match key {
        "owner_id" => {
            let id = v.as_str().unwrap_or_default();
            users.iter().find(|(i, _)| i == id).map(|(_, n)| n.clone()).unwrap_or_default()
        }
        "company_id" => v.as_str().and_then(|id| companies.get(id).cloned()).unwrap_or_default(),
        "lifecycle" => v.as_str().map(|l| c.t.get(&format!("lifecycle-{l}"))).unwrap_or_default(),
        "phones" => v
            .as_array()
            .map(|a| a.iter().map(|p| show(&p["number"])).collect::<Vec<_>>().join(", "))
            .unwrap_or_default(),
        "emails" => v
            .as_array()
            .map(|a| a.iter().map(|p| show(&p["address"])).collect::<Vec<_>>().join(", "))
            .unwrap_or_default(),
        "important_dates" => v
            .as_array()
            .map(|a| {
                a.iter().map(|d| format!("{} {}", show(&d["kind"]), show(&d["date"]))).collect::<Vec<_>>().join(", ")
            })
            .unwrap_or_default(),
        _ => show(v),
    }
}

async fn merge_page(
    ent: Ent,
    state: &AppState,
    headers: &HeaderMap,
    user: &Authenticated,
    p: &Pairs,
    status: StatusCode,
    errors: Vec<String>,
) -> Response {
    let c = Chrome::for_user(state, headers, user, ent.base(), "merge-title").await;
    let (Some(a), Some(b)) = (p.uuid("a"), p.uuid("b")) else {
        return error_page(state, headers, Some(user), Error::invalid("a", "choose two records to merge"));
    };
    let (ra, rb) = match (record_json(ent, state, user, a).await, record_json(ent, state, user, b).await) {
        (Ok(x), Ok(y)) => (x, y),
        (Err(e), _) | (_, Err(e)) => return error_page(state, headers, Some(user), e),
    };
    let users = users(state.services(), &user.actor).await;
    let mut companies = HashMap::new();
    for r in [&ra, &rb] {
        if let Some(id) = r.get("company_id").and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok())
            && let Ok(co) = state.services().get_company(&user.actor, id).await
        {
            companies.insert(id.to_string(), co.name);
        }
    }
    let keys = match ent {
        Ent::Contact => CONTACT_MERGE_FIELDS,
        Ent::Company => COMPANY_MERGE_FIELDS,
    };
    let mk = |k: &str| {
        let va = merge_value(&c, k, ra.get(k).unwrap_or(&Value::Null), &users, &companies);
        let vb = merge_value(&c, k, rb.get(k).unwrap_or(&Value::Null), &users, &companies);
        MergeField { key: k.to_owned(), label: c.t.get(&format!("ff-{k}")), differ: va != vb, a: va, b: vb }
    };
    let fields: Vec<MergeField> = keys.iter().map(|k| mk(k)).collect();
    let lists: Vec<MergeField> = MERGE_LISTS.iter().map(|k| mk(k)).collect();
    let name_key = if ent == Ent::Contact { "display_name" } else { "name" };
    let page = MergePage {
        a_name: show(&ra[name_key]),
        b_name: show(&rb[name_key]),
        c,
        base: ent.base(),
        a_id: a.to_string(),
        b_id: b.to_string(),
        fields,
        lists,
        errors,
    };
    render(status, &page, false)
}

pub async fn contact_merge_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    body: Bytes,
) -> Response {
    merge_post(Ent::Contact, &state, &headers, &user, &Pairs::from_bytes(&body)).await
}

pub async fn company_merge_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    body: Bytes,
) -> Response {
    merge_post(Ent::Company, &state, &headers, &user, &Pairs::from_bytes(&body)).await
}

/// Names taken from the other record carry its display name along when that name is simply
/// "first last" of the merged names (otherwise the survivor would keep a stale name).
async fn follow_display_name(
    state: &AppState,
    user: &Authenticated,
    survivor: Uuid,
    loser: Uuid,
    prefer: &mut Vec<String>,
) {
    let takes = |f: &str| prefer.iter().any(|x| x == f);
    if takes("display_name") || !(takes("first_name") || takes("last_name")) {
        return;
    }
    let (Ok(s), Ok(l)) =
        (record_json(Ent::Contact, state, user, survivor).await, record_json(Ent::Contact, state, user, loser).await)
    else {
        return;
    };
    let part = |f: &str| if takes(f) { l.get(f) } else { s.get(f) }.and_then(Value::as_str).map(str::to_owned);
    let joined = [part("first_name"), part("last_name")].into_iter().flatten().collect::<Vec<_>>().join(" ");
    if l.get("display_name").and_then(Value::as_str) == Some(joined.as_str()) {
        prefer.push("display_name".into());
    }
}

async fn merge_post(ent: Ent, state: &AppState, headers: &HeaderMap, user: &Authenticated, p: &Pairs) -> Response {
    let (Some(a), Some(b)) = (p.uuid("a"), p.uuid("b")) else {
        return error_page(state, headers, Some(user), Error::invalid("a", "choose two records to merge"));
    };
    let keep_b = p.get("survivor") == Some("b");
    let (survivor, loser, other_side) = if keep_b { (b, a, "a") } else { (a, b, "b") };
    let keys = match ent {
        Ent::Contact => CONTACT_MERGE_FIELDS,
        Ent::Company => COMPANY_MERGE_FIELDS,
    };
    let mut prefer: Vec<String> =
        keys.iter().filter(|k| p.get(&format!("pick.{k}")) == Some(other_side)).map(|k| (*k).to_owned()).collect();
    if ent == Ent::Contact {
        follow_display_name(state, user, survivor, loser, &mut prefer).await;
    }
    let req = MergeRequest { survivor_id: survivor, loser_id: loser, prefer };
    let s = state.services();
    let result = match ent {
        Ent::Contact => s.merge_contacts(&user.actor, req).await.map(|_| ()),
        Ent::Company => s.merge_companies(&user.actor, req).await.map(|_| ()),
    };
    match result {
        Ok(()) => redirect_with_flash(&format!("{}/{survivor}", ent.base()), "merged"),
        Err(Error::Validation(v)) => {
            let errors = v.into_iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
            merge_page(ent, state, headers, user, p, StatusCode::UNPROCESSABLE_ENTITY, errors).await
        }
        Err(e) => error_page(state, headers, Some(user), e),
    }
}
