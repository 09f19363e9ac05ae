//! Tasks in the web UI: the list (mine, overdue, created by me, my team's, done) with a quick
//! add form, the task card (edit, complete with a result, recurrence, a group task's script,
//! templates and contact list), group tasks with their progress, and the calendar (day, week,
//! month) with drag-and-drop rescheduling.

use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, Duration, NaiveDate};
use clientele_core::Error;
use clientele_core::domain::activity::render_markdown;
use clientele_core::domain::task::{Task, TaskInput, TaskKind, TaskStatus, Template as MessageTemplate};
use clientele_core::domain::zone::{parse_time, utc_to_local, zone_or_utc};
use clientele_core::service::{
    CalendarRequest, CompleteRequest, GroupTaskRequest, GroupView, TaskListRequest, TaskView,
};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::clients_common::{Pairs, users};
use super::{Chrome, error_page, redirect_with_flash, render};
use crate::auth::{Authenticated, WebUser, urlencode};
use crate::state::AppState;

/// A form's wall-clock time is the reader's: it becomes an instant here, so that the task
/// keeps the assignee's zone for its recurrences.
pub async fn in_reader_zone(state: &AppState, user: &Authenticated, mut input: TaskInput) -> TaskInput {
    let tz = state
        .services()
        .get_user(&user.actor, user.actor.user_id)
        .await
        .map(|u| zone_or_utc(&u.time_zone))
        .unwrap_or_default();
    if let Some(t) = input.due_at.as_deref()
        && let Ok(at) = parse_time("due_at", t, tz)
    {
        input.due_at = Some(at.to_rfc3339());
    }
    input
}

pub struct TaskRow {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub kind_key: String,
    pub due: String,
    pub overdue: bool,
    pub assignee: String,
    pub related: String,
    pub related_href: String,
    pub priority: String,
    pub priority_key: String,
    pub status: String,
    pub status_key: String,
    pub version: i64,
    pub recurring: bool,
}

fn kind_label(c: &Chrome, t: &Task) -> String {
    match (&t.kind, &t.kind_label) {
        (TaskKind::Custom, Some(l)) => l.clone(),
        _ => c.t.get(&format!("task-kind-{}", t.kind.as_str())),
    }
}

fn due_text(c: &Chrome, t: &Task) -> String {
    match t.due_at {
        Some(d) if t.all_day => utc_to_local(zone_or_utc(&t.time_zone), d).format("%Y-%m-%d").to_string(),
        Some(d) => c.local(d),
        None => String::new(),
    }
}

async fn related_name(state: &AppState, user: &Authenticated, t: &Task) -> (String, String) {
    let Some(r) = t.related else { return (String::new(), String::new()) };
    let s = state.services();
    let name = match r.kind.as_str() {
        "contact" => s.get_contact(&user.actor, r.id).await.map(|v| v.contact.display_name).ok(),
        "company" => s.get_company(&user.actor, r.id).await.map(|v| v.name).ok(),
        "deal" => s.get_deal(&user.actor, r.id).await.map(|v| v.deal.title).ok(),
        _ => s.get_lead(&user.actor, r.id).await.map(|v| v.title().to_owned()).ok(),
    };
    match name {
        Some(n) => (n, r.path()),
        None => (String::new(), String::new()),
    }
}

async fn row(state: &AppState, user: &Authenticated, c: &Chrome, people: &[(String, String)], v: &TaskView) -> TaskRow {
    let t = &v.task;
    let (related, related_href) = related_name(state, user, t).await;
    TaskRow {
        id: t.id.to_string(),
        title: t.title.clone(),
        kind: kind_label(c, t),
        kind_key: t.kind.as_str().to_owned(),
        due: due_text(c, t),
        overdue: v.overdue,
        assignee: super::clients_common::name_of(people, Some(t.assignee_id)),
        related,
        related_href,
        priority: c.t.get(&format!("task-priority-{}", t.priority.as_str())),
        priority_key: t.priority.as_str().to_owned(),
        status: c.t.get(&format!("task-status-{}", t.status.as_str())),
        status_key: t.status.as_str().to_owned(),
        version: t.version,
        recurring: t.recurrence.is_some(),
    }
}

#[derive(Template)]
#[template(path = "tasks/list.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<TaskRow>,
    view: String,
    views: Vec<(String, String)>,
    q: String,
    team_id: String,
    teams: Vec<(String, String)>,
    people: Vec<(String, String)>,
    kinds: Vec<(String, String)>,
    me: String,
    next_href: Option<String>,
    overdue_count: usize,
    can_team: bool,
}

pub(super) fn kinds(c: &Chrome) -> Vec<(String, String)> {
    ["call", "meeting", "email", "todo"].iter().map(|k| ((*k).to_owned(), c.t.get(&format!("task-kind-{k}")))).collect()
}

pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    WebUser(user): WebUser,
) -> Response {
    let c = Chrome::for_user(&state, &headers, &user, "/tasks", "nav-tasks").await;
    let q = Pairs::from_query(raw.as_deref());
    let view = q.get("view").unwrap_or("mine").to_owned();
    let text = q.str("q");
    let team_id = q.uuid("team_id");
    let mut req = TaskListRequest {
        q: Some(text.clone()).filter(|s| !s.trim().is_empty()),
        cursor: q.get("cursor").map(str::to_owned),
        limit: Some(50),
        ..TaskListRequest::default()
    };
    match view.as_str() {
        "overdue" => {
            req.overdue = true;
            req.mine = team_id.is_none();
            req.team_id = team_id;
        }
        "created" => {
            req.created_by_me = true;
            req.status = Some("open".into());
        }
        "team" => {
            req.team_id = team_id;
            req.status = Some("open".into());
        }
        "done" => {
            req.mine = true;
            req.status = Some("done,cancelled".into());
            req.sort = Some("-updated_at".into());
        }
        _ => {
            req.mine = true;
            req.status = Some("open".into());
        }
    }
    let s = state.services();
    let page = match s.list_tasks(&user.actor, &req).await {
        Ok(p) => p,
        Err(e) => return error_page(&state, &headers, Some(&user), e),
    };
    let overdue_count = s
        .list_tasks(
            &user.actor,
            &TaskListRequest { mine: true, overdue: true, limit: Some(100), ..TaskListRequest::default() },
        )
        .await
        .map(|p| p.data.len())
        .unwrap_or(0);
    let people = users(s, &user.actor).await;
    let mut rows = Vec::with_capacity(page.data.len());
    for v in &page.data {
        rows.push(row(&state, &user, &c, &people, v).await);
    }
    let next_href = page.next_cursor.as_ref().map(|cur| {
        format!(
            "/tasks?view={}&q={}&team_id={}&cursor={}",
            urlencode(&view),
            urlencode(&text),
            team_id.map(|t| t.to_string()).unwrap_or_default(),
            urlencode(cur)
        )
    });
    let teams =
        s.list_teams(&user.actor).await.unwrap_or_default().into_iter().map(|t| (t.id.to_string(), t.name)).collect();
    let can_team = c.can_audit;
    let views = ["mine", "overdue", "created", "team", "done"]
        .iter()
        .filter(|v| **v != "team" || can_team)
        .map(|v| ((*v).to_owned(), c.t.get(&format!("tasks-view-{v}"))))
        .collect();
    let shown = c.flash.is_some();
    let page = ListPage {
        rows,
        view,
        views,
        q: text,
        team_id: team_id.map(|t| t.to_string()).unwrap_or_default(),
        teams,
        people,
        kinds: kinds(&c),
        me: user.actor.user_id.to_string(),
        next_href,
        overdue_count,
        can_team,
        c,
    };
    render(StatusCode::OK, &page, shown)
}

/// The task of a form: its fields, as the API takes them.
fn form_input(f: &Pairs) -> TaskInput {
    let opt = |k: &str| f.get(k).map(str::to_owned);
    let all_day = f.has("all_day");
    let date = opt("due_at").map(|d| d.split('T').next().unwrap_or(&d).to_owned());
    let recurrence = match f.get("freq") {
        Some(freq) => {
            let mut r = format!("FREQ={freq}");
            if let Some(i) = f.get("interval").filter(|i| *i != "1") {
                r.push_str(&format!(";INTERVAL={i}"));
            }
            if let Some(n) = f.get("count") {
                r.push_str(&format!(";COUNT={n}"));
            }
            Some(r)
        }
        None => Some(String::new()),
    };
    TaskInput {
        kind: opt("kind"),
        kind_label: opt("kind_label"),
        title: Some(f.str("title")),
        description: Some(f.str("description")),
        // A date alone (the field of an all-day task just unticked) starts the working day.
        due_at: if all_day {
            None
        } else {
            opt("due_at").map(|d| if d.contains('T') { d } else { format!("{d}T09:00") })
        },
        due_date: if all_day { date } else { None },
        all_day: Some(all_day),
        duration_minutes: f.get("duration_minutes").and_then(|d| d.parse().ok()),
        reminders: Some(f.all("reminder").iter().filter_map(|m| m.trim().parse().ok()).collect()),
        assignee_id: f.uuid("assignee_id"),
        priority: opt("priority"),
        recurrence,
        ..TaskInput::default()
    }
}

pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    body: Bytes,
) -> Response {
    let f = Pairs::from_bytes(&body);
    let input = in_reader_zone(&state, &user, form_input(&f)).await;
    match state.services().create_task(&user.actor, input).await {
        Ok(t) if f.get("back") == Some("list") => redirect_with_flash(
            "/tasks",
            if t.task.assignee_id == user.actor.user_id { "task-created" } else { "task-assigned" },
        ),
        Ok(t) => redirect_with_flash(&format!("/tasks/{}", t.task.id), "task-created"),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

#[derive(Template)]
#[template(path = "tasks/card.html")]
struct CardPage {
    c: Chrome,
    r: TaskRow,
    t: Task,
    description: String,
    people: Vec<(String, String)>,
    kinds: Vec<(String, String)>,
    due_value: String,
    freq: String,
    interval: String,
    count: String,
    recurrence_text: String,
    contacts: Vec<(String, String, bool)>,
    templates: Vec<MessageTemplate>,
    group: Option<(String, String)>,
    created_by: String,
}

pub async fn card(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
) -> Response {
    let s = state.services();
    let v = match s.get_task(&user.actor, id).await {
        Ok(v) => v,
        Err(e) => return error_page(&state, &headers, Some(&user), e),
    };
    let mut c = Chrome::for_user(&state, &headers, &user, "/tasks", "nav-tasks").await;
    c.title = v.task.title.clone();
    let people = users(s, &user.actor).await;
    let r = row(&state, &user, &c, &people, &v).await;
    let t = v.task;
    let description = render_markdown(t.description.as_deref().unwrap_or(""), &|_| None);
    let due_value = t
        .due_at
        .map(|d| {
            if t.all_day {
                utc_to_local(zone_or_utc(&t.time_zone), d).format("%Y-%m-%d").to_string()
            } else {
                utc_to_local(c.tz, d).format("%Y-%m-%dT%H:%M").to_string()
            }
        })
        .unwrap_or_default();
    let rule = t.rule();
    let (freq, interval, count) = match rule {
        Some(r) => (
            r.freq.as_str().to_owned(),
            r.interval.to_string(),
            match r.end {
                clientele_core::domain::recurrence::End::Count(n) => n.to_string(),
                _ => String::new(),
            },
        ),
        None => (String::new(), "1".into(), String::new()),
    };
    let recurrence_text = rule
        .map(|r| {
            let every =
                c.t.with(&format!("recur-every-{}", r.freq.as_str().to_lowercase()), &[("n", &r.interval.to_string())]);
            match r.end {
                clientele_core::domain::recurrence::End::Count(n) => {
                    format!(
                        "{every} · {}",
                        c.t.with("recur-times", &[("n", &n.to_string()), ("i", &(t.occurrence + 1).to_string())])
                    )
                }
                clientele_core::domain::recurrence::End::Until(u) => {
                    format!("{every} · {}", c.t.with("recur-until", &[("date", &c.local(u))]))
                }
                clientele_core::domain::recurrence::End::Never => every,
            }
        })
        .unwrap_or_default();
    let mut contacts = Vec::new();
    for cid in &t.contact_ids {
        let name = s
            .get_contact(&user.actor, *cid)
            .await
            .map(|v| v.contact.display_name)
            .unwrap_or_else(|_| c.t.get("task-contact-hidden"));
        contacts.push((cid.to_string(), name, t.contacts_done.contains(cid)));
    }
    let (templates, group) = match t.group_id {
        Some(g) => match s.get_task_group(&user.actor, g).await {
            Ok(gv) => (gv.group.templates.clone(), Some((g.to_string(), gv.group.title.clone()))),
            Err(_) => (vec![], None),
        },
        None => (vec![], None),
    };
    let created_by = super::clients_common::name_of(&people, t.created_by);
    let shown = c.flash.is_some();
    let page = CardPage {
        kinds: kinds(&c),
        c,
        r,
        description,
        people,
        due_value,
        freq,
        interval,
        count,
        recurrence_text,
        contacts,
        templates,
        group,
        created_by,
        t,
    };
    render(StatusCode::OK, &page, shown)
}

pub async fn update(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Response {
    let f = Pairs::from_bytes(&body);
    let input = in_reader_zone(&state, &user, form_input(&f)).await;
    let mut patch = match serde_json::to_value(&input) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    patch.retain(|_, v| !v.is_null());
    if !f.has("all_day") {
        patch.insert("due_date".into(), Value::Null);
    }
    if input.due_at.is_none() && !f.has("all_day") {
        patch.insert("due_at".into(), Value::Null);
    }
    let version = f.get("version").and_then(|v| v.parse().ok());
    match state.services().update_task(&user.actor, id, patch, version).await {
        Ok(_) => redirect_with_flash(&format!("/tasks/{id}"), "task-saved"),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

/// Complete, cancel, reopen or delete, from the card or a list.
pub async fn status_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path((id, action)): Path<(Uuid, String)>,
    body: Bytes,
) -> Response {
    let f = Pairs::from_bytes(&body);
    let s = state.services();
    let note = CompleteRequest { result_note: f.get("result_note").map(str::to_owned) };
    let version = f.get("version").and_then(|v| v.parse().ok());
    let back = match f.get("back") {
        Some(b) if b.starts_with('/') && !b.starts_with("//") => b.to_owned(),
        _ => format!("/tasks/{id}"),
    };
    let done = match action.as_str() {
        "complete" => s.complete_task(&user.actor, id, note, version).await.map(|_| "task-completed"),
        "cancel" => s.cancel_task(&user.actor, id, note, version).await.map(|_| "task-cancelled"),
        "reopen" => s.reopen_task(&user.actor, id, version).await.map(|_| "task-reopened"),
        "delete" => s.delete_task(&user.actor, id, version).await.map(|_| "task-deleted"),
        _ => Err(Error::NotFound("page")),
    };
    match done {
        Ok(flash) if action == "delete" => redirect_with_flash("/tasks", flash),
        Ok(flash) => redirect_with_flash(&back, flash),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

pub async fn contact_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path((id, contact)): Path<(Uuid, Uuid)>,
    body: Bytes,
) -> Response {
    let f = Pairs::from_bytes(&body);
    match state.services().mark_task_contact(&user.actor, id, contact, f.get("done") == Some("1")).await {
        Ok(_) => redirect_with_flash(&format!("/tasks/{id}"), "task-saved"),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

// ---------------- group tasks ----------------

#[derive(Template)]
#[template(path = "tasks/group_new.html")]
struct GroupNewPage {
    c: Chrome,
    people: Vec<(String, String)>,
    teams: Vec<(String, String)>,
    contacts: Vec<(String, String)>,
    kinds: Vec<(String, String)>,
}

pub async fn group_new(State(state): State<AppState>, headers: HeaderMap, WebUser(user): WebUser) -> Response {
    let c = Chrome::for_user(&state, &headers, &user, "/tasks", "task-group-new").await;
    let s = state.services();
    let people = users(s, &user.actor).await;
    let teams =
        s.list_teams(&user.actor).await.unwrap_or_default().into_iter().map(|t| (t.id.to_string(), t.name)).collect();
    let contacts = s
        .list_contacts(
            &user.actor,
            &clientele_core::service::ListRequest { limit: Some(200), sort: Some("name".into()), ..Default::default() },
        )
        .await
        .map(|p| p.data.into_iter().map(|c| (c.id.to_string(), c.display_name)).collect())
        .unwrap_or_default();
    let kinds = kinds(&c);
    render(StatusCode::OK, &GroupNewPage { c, people, teams, contacts, kinds }, false)
}

pub async fn group_create(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    body: Bytes,
) -> Response {
    let f = Pairs::from_bytes(&body);
    let templates = f
        .all("template_name")
        .into_iter()
        .zip(f.all("template_body"))
        .filter(|(n, b)| !n.trim().is_empty() || !b.trim().is_empty())
        .map(|(name, body)| MessageTemplate { name, body })
        .collect();
    let tz = state
        .services()
        .get_user(&user.actor, user.actor.user_id)
        .await
        .map(|u| zone_or_utc(&u.time_zone))
        .unwrap_or_default();
    let due_at = f
        .get("due_at")
        .and_then(|d| parse_time("due_at", d, tz).ok())
        .map(|d| d.to_rfc3339())
        .or(f.get("due_at").map(str::to_owned));
    let req = GroupTaskRequest {
        title: f.str("title"),
        kind: f.get("kind").map(str::to_owned),
        script: f.get("script").map(str::to_owned),
        templates,
        contact_ids: f.all("contact_ids").iter().filter_map(|c| Uuid::parse_str(c).ok()).collect(),
        split_contacts: f.has("split_contacts"),
        assignee_ids: f.all("assignee_ids").iter().filter_map(|c| Uuid::parse_str(c).ok()).collect(),
        team_id: f.uuid("team_id"),
        due_at,
        reminders: f.get("reminder").and_then(|m| m.parse().ok()).into_iter().collect(),
        ..GroupTaskRequest::default()
    };
    match state.services().create_task_group(&user.actor, req).await {
        Ok(g) => redirect_with_flash(&format!("/tasks/groups/{}", g.group.id), "task-group-created"),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

#[derive(Template)]
#[template(path = "tasks/group.html")]
struct GroupPage {
    c: Chrome,
    g: GroupView,
    script: String,
    copies: Vec<(String, String, String, String, usize, usize)>,
    pct: usize,
    due: String,
}

pub async fn group_show(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
) -> Response {
    let g = match state.services().get_task_group(&user.actor, id).await {
        Ok(g) => g,
        Err(e) => return error_page(&state, &headers, Some(&user), e),
    };
    let mut c = Chrome::for_user(&state, &headers, &user, "/tasks", "task-group").await;
    c.title = g.group.title.clone();
    let script = render_markdown(g.group.script.as_deref().unwrap_or(""), &|_| None);
    let copies = g
        .copies
        .iter()
        .map(|x| {
            (
                x.task_id.to_string(),
                x.assignee_name.clone(),
                c.t.get(&format!("task-status-{}", x.status.as_str())),
                x.status.as_str().to_owned(),
                x.contacts_done,
                x.contacts_total,
            )
        })
        .collect();
    let total = g.copies.len().max(1);
    let pct = (g.done + g.cancelled) * 100 / total;
    let due = g
        .group
        .due_at
        .map(|d| {
            if g.group.all_day {
                utc_to_local(zone_or_utc(&g.group.time_zone), d).format("%Y-%m-%d").to_string()
            } else {
                c.local(d)
            }
        })
        .unwrap_or_default();
    let shown = c.flash.is_some();
    render(StatusCode::OK, &GroupPage { c, g, script, copies, pct, due }, shown)
}

// ---------------- the calendar ----------------

pub struct CalEvent {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub time: String,
    pub top: i64,
    pub height: i64,
    pub all_day: bool,
    pub projected: bool,
    pub done: bool,
    pub overdue: bool,
    pub who: String,
    pub version: i64,
    pub start_local: String,
}

pub struct CalDay {
    pub date: String,
    pub label: String,
    pub weekday: String,
    pub today: bool,
    pub in_month: bool,
    pub events: Vec<CalEvent>,
}

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalendarPage {
    c: Chrome,
    view: String,
    days: Vec<CalDay>,
    hours: Vec<(i64, String)>,
    title: String,
    prev: String,
    next: String,
    today: String,
    date: String,
    user_id: String,
    team_id: String,
    people: Vec<(String, String)>,
    teams: Vec<(String, String)>,
    views: Vec<(String, String)>,
    weekdays: Vec<String>,
    show_who: bool,
}

/// Pixels per hour in the day and week grids (the script uses the same figure).
const HOUR_PX: i64 = 48;

pub async fn calendar(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    WebUser(user): WebUser,
) -> Response {
    let c = Chrome::for_user(&state, &headers, &user, "/calendar", "nav-calendar").await;
    let q = Pairs::from_query(raw.as_deref());
    let req = CalendarRequest {
        view: q.get("view").map(str::to_owned),
        date: q.get("date").map(str::to_owned),
        user_id: q.uuid("user_id"),
        team_id: q.uuid("team_id"),
    };
    let s = state.services();
    let cal = match s.calendar(&user.actor, &req).await {
        Ok(v) => v,
        Err(e) => return error_page(&state, &headers, Some(&user), e),
    };
    let today = utc_to_local(c.tz, clientele_core::domain::now()).date();
    let date = req.date.as_deref().and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()).unwrap_or(today);
    let show_who = req.team_id.is_some();
    let mut days: Vec<CalDay> = Vec::new();
    let mut d = cal.from;
    while d < cal.to {
        days.push(CalDay {
            date: d.format("%Y-%m-%d").to_string(),
            label: d.format("%d").to_string(),
            weekday: c.t.get(&format!("weekday-{}", d.weekday().num_days_from_monday())),
            today: d == today,
            in_month: d.month() == date.month(),
            events: vec![],
        });
        d += Duration::days(1);
    }
    for e in &cal.events {
        let start = chrono::NaiveDateTime::parse_from_str(&e.start_local, "%Y-%m-%dT%H:%M:%S").ok();
        let end = chrono::NaiveDateTime::parse_from_str(&e.end_local, "%Y-%m-%dT%H:%M:%S").ok();
        let (Some(start), Some(end)) = (start, end) else { continue };
        let key = start.format("%Y-%m-%d").to_string();
        let Some(day) = days.iter_mut().find(|x| x.date == key) else { continue };
        let minutes = i64::from(start.format("%H").to_string().parse::<i32>().unwrap_or(0)) * 60
            + i64::from(start.format("%M").to_string().parse::<i32>().unwrap_or(0));
        let len = (end - start).num_minutes().clamp(20, 24 * 60);
        day.events.push(CalEvent {
            id: e.task_id.to_string(),
            title: e.title.clone(),
            kind: e.kind.as_str().to_owned(),
            time: if e.all_day { String::new() } else { start.format("%H:%M").to_string() },
            top: minutes * HOUR_PX / 60,
            height: len * HOUR_PX / 60,
            all_day: e.all_day,
            projected: e.projected,
            done: e.status == TaskStatus::Done,
            overdue: e.overdue,
            who: e.assignee_name.clone(),
            version: e.version,
            start_local: e.start_local.clone(),
        });
    }
    let step = |sign: i64| -> String {
        let n = match cal.view.as_str() {
            "day" => date + Duration::days(sign),
            "month" => {
                let first = date.with_day(1).unwrap_or(date);
                if sign > 0 {
                    first.checked_add_months(chrono::Months::new(1))
                } else {
                    first.checked_sub_months(chrono::Months::new(1))
                }
                .unwrap_or(first)
            }
            _ => date + Duration::days(7 * sign),
        };
        n.format("%Y-%m-%d").to_string()
    };
    let title = match cal.view.as_str() {
        "day" => format!(
            "{} {}",
            c.t.get(&format!("weekday-{}", date.weekday().num_days_from_monday())),
            date.format("%Y-%m-%d")
        ),
        "month" => format!("{} {}", c.t.get(&format!("month-{}", date.month())), date.year()),
        _ => format!("{} – {}", cal.from.format("%Y-%m-%d"), (cal.to - Duration::days(1)).format("%Y-%m-%d")),
    };
    let hours = (0..24).map(|h| (h * HOUR_PX, format!("{h:02}:00"))).collect();
    let views = ["day", "week", "month"].iter().map(|v| ((*v).to_owned(), c.t.get(&format!("calendar-{v}")))).collect();
    let weekdays = (0..7).map(|i| c.t.get(&format!("weekday-{i}"))).collect();
    let people = users(s, &user.actor).await;
    let teams =
        s.list_teams(&user.actor).await.unwrap_or_default().into_iter().map(|t| (t.id.to_string(), t.name)).collect();
    let page = CalendarPage {
        view: cal.view.clone(),
        days,
        hours,
        title,
        prev: step(-1),
        next: step(1),
        today: today.format("%Y-%m-%d").to_string(),
        date: date.format("%Y-%m-%d").to_string(),
        user_id: req.user_id.map(|u| u.to_string()).unwrap_or_default(),
        team_id: req.team_id.map(|u| u.to_string()).unwrap_or_default(),
        people,
        teams,
        views,
        weekdays,
        show_who,
        c,
    };
    render(StatusCode::OK, &page, false)
}

/// The calendar's drag and drop (and its keyboard moves): a task to a new wall-clock time in
/// the reader's zone. Answers JSON for the script.
pub async fn calendar_move(State(state): State<AppState>, WebUser(user): WebUser, body: Bytes) -> Response {
    let f = Pairs::from_bytes(&body);
    let (Some(id), Some(to)) = (f.uuid("task_id"), f.get("to")) else {
        return (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({"error": "task_id and to are required"})))
            .into_response();
    };
    let version = f.get("version").and_then(|v| v.parse().ok());
    match state.services().reschedule_task(&user.actor, id, to, version).await {
        Ok(t) => Json(json!({"ok": true, "version": t.task.version, "due_at": t.task.due_at})).into_response(),
        Err(e) => {
            let (status, _, _) = crate::error::classify(&e);
            let msg = match &e {
                Error::Validation(v) => {
                    v.iter().map(|x| format!("{}: {}", x.field, x.message)).collect::<Vec<_>>().join("; ")
                }
                Error::PreconditionFailed { .. } => "changed by someone else: reload the calendar".into(),
                Error::Internal(err) => crate::error::log_internal(err),
                other => other.to_string(),
            };
            (status, Json(json!({"error": msg}))).into_response()
        }
    }
}
