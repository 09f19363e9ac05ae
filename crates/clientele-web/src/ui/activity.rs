//! The one timeline of every card (activities, tasks, comments, stage moves, field changes)
//! with its forms — log a call or a note, comment, give someone a task — and the
//! notifications page, the live bell, the events feed and the calendar feed settings.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use clientele_core::Error;
use clientele_core::domain::activity::ActivityInput;
use clientele_core::domain::task::{Related, RelatedType, TaskInput};
use clientele_core::service::{
    CommentRequest, FeedItem, FeedRequest, KindPreference, NotificationPreferences, TimelineItem, TimelineRequest,
};
use clientele_core::store::Notification;
use uuid::Uuid;

use super::clients_common::{Pairs, users};
use super::settings::audit_row;
use super::{Chrome, error_page, is_htmx, redirect_with_flash, render};
use crate::auth::{Authenticated, WebUser, urlencode};
use crate::state::AppState;

/// One line of a timeline as the card shows it.
pub struct TlRow {
    pub kind: String,
    pub icon: &'static str,
    pub at: String,
    pub actor: String,
    pub title: String,
    pub badge: String,
    pub badge_class: &'static str,
    /// Short facts: duration, result, direction.
    pub facts: Vec<String>,
    pub body: String,
    /// A comment's rendered markdown-lite (escaped by the renderer; shown as HTML).
    pub html: String,
    pub link: String,
    pub recording: String,
    pub changes: Vec<(String, String, String)>,
}

/// A card's timeline with its forms.
pub struct TimelineBox {
    pub kind: &'static str,
    pub id: String,
    pub rows: Vec<TlRow>,
    /// The URL of the next page of rows.
    pub more: Option<String>,
    pub types: String,
    pub filters: Vec<(String, String)>,
    pub users: Vec<(String, String)>,
    pub me: String,
    pub now_local: String,
    pub can_write: bool,
    /// (value, label) choices of the forms.
    pub activity_kinds: Vec<(String, String)>,
    pub call_results: Vec<(String, String)>,
    pub task_kinds: Vec<(String, String)>,
}

fn kind_path(k: RelatedType) -> &'static str {
    match k {
        RelatedType::Contact => "contacts",
        RelatedType::Company => "companies",
        RelatedType::Deal => "deals",
        RelatedType::Lead => "leads",
    }
}

fn minutes(secs: i32) -> String {
    format!("{}:{:02}", secs / 60, secs % 60)
}

fn tl_row(c: &Chrome, i: TimelineItem) -> TlRow {
    let mut r = TlRow {
        kind: i.kind.clone(),
        icon: "log",
        at: c.local(i.at),
        actor: i.actor_name.clone(),
        title: String::new(),
        badge: String::new(),
        badge_class: "",
        facts: vec![],
        body: String::new(),
        html: String::new(),
        link: String::new(),
        recording: String::new(),
        changes: vec![],
    };
    if let Some(a) = i.activity {
        r.kind = a.kind.as_str().to_owned();
        r.icon = match a.kind.as_str() {
            "call" => "phone",
            "meeting" => "users",
            "email" => "mail",
            "message" => "chat",
            _ => "note",
        };
        r.badge = c.t.get(&format!("activity-kind-{}", a.kind.as_str()));
        r.title = a.subject.unwrap_or_default();
        r.body = a.body.unwrap_or_default();
        if let Some(d) = a.direction {
            r.facts.push(c.t.get(&format!("activity-direction-{}", d.as_str())));
        }
        if let Some(x) = a.result {
            r.facts.push(c.t.get(&format!("call-result-{}", x.as_str().replace('_', "-"))));
        }
        if let Some(s) = a.duration_seconds {
            r.facts.push(c.t.with("activity-duration", &[("time", &minutes(s))]));
        }
        r.recording = a.recording_url.unwrap_or_default();
    } else if let Some(t) = i.task {
        r.icon = "check";
        r.title = t.task.title.clone();
        r.link = format!("/tasks/{}", t.task.id);
        r.badge = c.t.get(&format!("task-status-{}", t.task.status.as_str()));
        r.badge_class = match t.task.status.as_str() {
            "done" => "badge-customer",
            "cancelled" => "badge-churned",
            _ if t.overdue => "badge-warning",
            _ => "",
        };
        if let Some(d) = t.task.due_at {
            r.facts.push(c.t.with("task-due-at", &[("when", &c.local(d))]));
        }
        r.facts.push(c.t.get(&format!("task-kind-{}", t.task.kind.as_str())));
        r.body = t.task.result_note.unwrap_or_default();
    } else if let Some(cm) = i.comment {
        r.icon = "chat";
        r.badge = c.t.get("timeline-comment");
        r.html = cm.html;
    } else if let Some(e) = i.change {
        if i.kind == "stage" {
            r.icon = "funnel";
            r.badge = c.t.get("timeline-stage");
            r.title = c.t.with(
                "timeline-moved",
                &[("from", i.from_stage.as_deref().unwrap_or("—")), ("to", i.to_stage.as_deref().unwrap_or("—"))],
            );
        } else {
            r.icon = "edit";
            let row = audit_row(e);
            r.badge = c.t.get(&format!("feed-action-{}", row.action.replace('_', "-")));
            if r.badge.starts_with("feed-action-") {
                r.badge = row.action.clone();
            }
            r.badge_class = "badge-muted";
            // A creation would list every field: the badge says enough.
            r.changes = if row.action == "create" { vec![] } else { row.changes };
            // A creation lists every field: leave out the empty ones.
            r.changes.retain(|(_, old, new)| !(old == "—" && matches!(new.as_str(), "[]" | "{}" | "—")));
        }
    }
    r
}

fn types_of(raw: &str) -> String {
    raw.split(',').map(str::trim).filter(|t| !t.is_empty()).collect::<Vec<_>>().join(",")
}

/// Reads a page of a record's timeline into rows, with the URL of the next page.
async fn rows(
    state: &AppState,
    user: &Authenticated,
    c: &Chrome,
    record: Related,
    types: &str,
    cursor: Option<String>,
) -> Result<(Vec<TlRow>, Option<String>), Error> {
    let req = TimelineRequest { types: Some(types.to_owned()).filter(|t| !t.is_empty()), limit: Some(20), cursor };
    let page = state.services().timeline(&user.actor, record, &req).await?;
    let more = page.next_cursor.map(|cur| {
        format!(
            "/timeline/{}/{}?types={}&cursor={}",
            record.kind.as_str(),
            record.id,
            urlencode(types),
            urlencode(&cur)
        )
    });
    Ok((page.data.into_iter().map(|i| tl_row(c, i)).collect(), more))
}

impl TimelineBox {
    /// A box with nothing in it (before the card has read its record).
    pub fn empty() -> Self {
        TimelineBox {
            kind: "",
            id: String::new(),
            rows: vec![],
            more: None,
            types: String::new(),
            filters: vec![],
            users: vec![],
            me: String::new(),
            now_local: String::new(),
            can_write: false,
            activity_kinds: vec![],
            call_results: vec![],
            task_kinds: vec![],
        }
    }
}

/// The timeline box of a card (empty when the record cannot be read, which the card has
/// checked already).
pub async fn record_timeline(state: &AppState, user: &Authenticated, c: &Chrome, record: Related) -> TimelineBox {
    timeline_box(state, user, c, record, "").await.unwrap_or_else(|_| TimelineBox::empty())
}

async fn timeline_box(
    state: &AppState,
    user: &Authenticated,
    c: &Chrome,
    record: Related,
    types: &str,
) -> Result<TimelineBox, Error> {
    let (rows, more) = rows(state, user, c, record, types, None).await?;
    let filters = [
        ("", "timeline-all"),
        ("call", "activity-kind-call"),
        ("meeting", "activity-kind-meeting"),
        ("email", "activity-kind-email"),
        ("message", "activity-kind-message"),
        ("note", "activity-kind-note"),
        ("task", "timeline-tasks"),
        ("comment", "timeline-comments"),
        ("stage,change", "timeline-changes"),
    ]
    .iter()
    .map(|(k, l)| ((*k).to_owned(), c.t.get(l)))
    .collect();
    Ok(TimelineBox {
        kind: record.kind.as_str(),
        id: record.id.to_string(),
        rows,
        more,
        types: types.to_owned(),
        filters,
        users: users(state.services(), &user.actor).await,
        me: user.actor.user_id.to_string(),
        now_local: clientele_core::domain::zone::utc_to_local(c.tz, clientele_core::domain::now())
            .format("%Y-%m-%dT%H:%M")
            .to_string(),
        can_write: user.actor.role != clientele_core::domain::user::Role::Readonly,
        activity_kinds: ["call", "meeting", "email", "message", "note"]
            .iter()
            .map(|k| ((*k).to_owned(), c.t.get(&format!("activity-kind-{k}"))))
            .collect(),
        call_results: ["connected", "no_answer", "busy", "voicemail", "wrong_number"]
            .iter()
            .map(|k| ((*k).to_owned(), c.t.get(&format!("call-result-{}", k.replace('_', "-")))))
            .collect(),
        task_kinds: super::tasks::kinds(c),
    })
}

#[derive(Template)]
#[template(path = "clients/_timeline.html")]
struct TimelinePartial {
    c: Chrome,
    timeline: TimelineBox,
}

#[derive(Template)]
#[template(path = "clients/_timeline_rows.html")]
struct RowsPartial {
    c: Chrome,
    rows: Vec<TlRow>,
    more: Option<String>,
}

fn record(kind: &str, id: Uuid) -> Result<Related, Error> {
    RelatedType::parse(kind).map(|kind| Related { kind, id }).ok_or(Error::NotFound("page"))
}

/// `GET /timeline/{kind}/{id}?types=&cursor=`: with a cursor, the next rows; else the whole box
/// filtered (htmx swaps it in).
pub async fn timeline_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    WebUser(user): WebUser,
    Path((kind, id)): Path<(String, Uuid)>,
) -> Response {
    let q = Pairs::from_query(raw.as_deref());
    let types = types_of(&q.str("types"));
    let r = match record(&kind, id) {
        Ok(r) => r,
        Err(e) => return error_page(&state, &headers, Some(&user), e),
    };
    let c = Chrome::for_user(&state, &headers, &user, &format!("/{}", kind_path(r.kind)), "card-timeline").await;
    if let Some(cur) = q.get("cursor") {
        return match rows(&state, &user, &c, r, &types, Some(cur.to_owned())).await {
            Ok((rows, more)) => render(StatusCode::OK, &RowsPartial { c, rows, more }, false),
            Err(e) => error_page(&state, &headers, Some(&user), e),
        };
    }
    match timeline_box(&state, &user, &c, r, &types).await {
        Ok(timeline) => render(StatusCode::OK, &TimelinePartial { c, timeline }, false),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

/// After a form of the timeline: the refreshed box for htmx, else back to the card.
async fn after_post(state: &AppState, headers: &HeaderMap, user: &Authenticated, r: Related, flash: &str) -> Response {
    if is_htmx(headers) {
        let mut c = Chrome::for_user(state, headers, user, &format!("/{}", kind_path(r.kind)), "card-timeline").await;
        c.flash = Some(c.t.get(&format!("flash-{flash}")));
        return match timeline_box(state, user, &c, r, "").await {
            Ok(timeline) => {
                let mut resp = render(StatusCode::OK, &TimelinePartial { c, timeline }, false);
                resp.headers_mut().insert("hx-trigger", axum::http::HeaderValue::from_static("clientele:saved"));
                resp
            }
            Err(e) => error_page(state, headers, Some(user), e),
        };
    }
    redirect_with_flash(&format!("/{}/{}", kind_path(r.kind), r.id), flash)
}

/// The timeline's forms: `activity` logs a call, meeting, e-mail, message or note; `comment`
/// comments; `task` gives a task about the record to yourself or a colleague.
pub async fn timeline_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path((kind, id, what)): Path<(String, Uuid, String)>,
    body: Bytes,
) -> Response {
    let f = Pairs::from_bytes(&body);
    let done = match record(&kind, id) {
        Ok(r) => match what.as_str() {
            "activity" => log_from(&state, &user, r, &f).await.map(|_| (r, "activity-logged")),
            "comment" => state
                .services()
                .add_comment(&user.actor, CommentRequest { related: Some(r), body: f.str("body") })
                .await
                .map(|_| (r, "comment-added")),
            "task" => task_from(&state, &user, r, &f).await.map(|_| (r, "task-created")),
            _ => Err(Error::NotFound("page")),
        },
        Err(e) => Err(e),
    };
    match done {
        Ok((r, flash)) => after_post(&state, &headers, &user, r, flash).await,
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

async fn log_from(state: &AppState, user: &Authenticated, r: Related, f: &Pairs) -> Result<(), Error> {
    let opt = |k: &str| f.get(k).map(str::to_owned);
    // "5" is five minutes, "5:30" five and a half.
    let duration = f.get("duration_minutes").map(|m| {
        let (mm, ss) = m.split_once(':').unwrap_or((m, "0"));
        mm.trim().parse::<i32>().unwrap_or(-1) * 60 + ss.trim().parse::<i32>().unwrap_or(0)
    });
    let input = ActivityInput {
        kind: opt("kind"),
        direction: opt("direction"),
        subject: opt("subject"),
        body: opt("body"),
        occurred_at: opt("occurred_at"),
        duration_seconds: duration,
        result: opt("result"),
        recording_url: opt("recording_url"),
        related: Some(r),
    };
    state.services().log_activity(&user.actor, input).await.map(|_| ())
}

async fn task_from(state: &AppState, user: &Authenticated, r: Related, f: &Pairs) -> Result<(), Error> {
    let input = TaskInput {
        kind: f.get("kind").map(str::to_owned),
        title: Some(f.str("title")),
        description: f.get("description").map(str::to_owned),
        due_at: f.get("due_at").map(str::to_owned),
        assignee_id: f.uuid("assignee_id"),
        reminders: f.get("reminder").and_then(|m| m.parse().ok()).map(|m| vec![m]),
        related: Some(r),
        ..TaskInput::default()
    };
    let input = super::tasks::in_reader_zone(state, user, input).await;
    state.services().create_task(&user.actor, input).await.map(|_| ())
}

// ---------------- notifications ----------------

pub struct NoteRow {
    pub id: String,
    pub kind: String,
    pub text: String,
    pub body: String,
    pub link: String,
    pub at: String,
    pub unread: bool,
    pub icon: &'static str,
}

/// A notification in the reader's language, from its kind and parameters (the stored English
/// title when it has none).
pub fn note_row(c: &Chrome, n: &Notification) -> NoteRow {
    let p = |k: &str| {
        n.params
            .as_ref()
            .and_then(|p| p.get(k))
            .map(|v| v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string()))
            .unwrap_or_default()
    };
    let (text, body) = match (n.kind.as_str(), n.params.is_some()) {
        ("task_assigned", true) => (
            c.t.with("notif-task-assigned", &[("task", &p("task")), ("by", &p("by"))]),
            if p("due").is_empty() || p("due") == "null" {
                String::new()
            } else {
                c.t.with("task-due-at", &[("when", &p("due"))])
            },
        ),
        ("task_reminder", true) => {
            (c.t.with("notif-task-reminder", &[("task", &p("task")), ("due", &p("due"))]), String::new())
        }
        ("mentioned", true) => {
            (c.t.with("notif-mentioned", &[("by", &p("by")), ("record", &p("record"))]), p("excerpt"))
        }
        ("deal_stuck", true) => (
            c.t.with("notif-deal-stuck", &[("deal", &p("deal")), ("stage", &p("stage"))]),
            c.t.with("notif-deal-stuck-days", &[("days", &p("days")), ("limit", &p("limit"))]),
        ),
        ("email_opened", true) => (c.t.with("notif-email-opened", &[("who", &p("who"))]), p("subject")),
        _ => (n.title.clone(), n.body.clone().unwrap_or_default()),
    };
    NoteRow {
        id: n.id.to_string(),
        kind: n.kind.clone(),
        text,
        body,
        link: n.link.clone().unwrap_or_default(),
        at: c.local(n.created_at),
        unread: n.read_at.is_none(),
        icon: match n.kind.as_str() {
            "task_assigned" => "check",
            "task_reminder" => "clock",
            "mentioned" => "chat",
            "deal_stuck" => "funnel",
            _ => "user",
        },
    }
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    c: Chrome,
    notes: Vec<NoteRow>,
    prefs: Vec<(KindPreference, String)>,
    unread_only: bool,
}

pub async fn notifications(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    WebUser(user): WebUser,
) -> Response {
    let mut c = Chrome::for_user(&state, &headers, &user, "/notifications", "notifications-title").await;
    let s = state.services();
    let unread_only = Pairs::from_query(raw.as_deref()).get("unread") == Some("1");
    let list = match s.notifications(&user.actor, unread_only, 100).await {
        Ok(l) => l,
        Err(e) => return error_page(&state, &headers, Some(&user), e),
    };
    let notes = list.iter().map(|n| note_row(&c, n)).collect();
    // What is shown has been seen: marked read (it keeps its "new" badge this once).
    let unread: Vec<Uuid> = list.iter().filter(|n| n.read_at.is_none()).map(|n| n.id).collect();
    if !unread.is_empty() && s.mark_read(&user.actor, &unread).await.is_ok() {
        c.unread = s.unread_count(&user.actor).await.unwrap_or(0);
    }
    let prefs = s
        .notification_preferences(&user.actor)
        .await
        .map(|p| p.kinds)
        .unwrap_or_default()
        .into_iter()
        .map(|k| {
            let label = c.t.get(&format!("notif-kind-{}", k.kind.replace('_', "-")));
            (k, label)
        })
        .collect();
    let shown = c.flash.is_some();
    render(StatusCode::OK, &NotificationsPage { c, notes, prefs, unread_only }, shown)
}

/// Marks one notification read and opens what it is about.
pub async fn notification_open(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
) -> Response {
    let s = state.services();
    let link = s
        .notifications(&user.actor, false, 200)
        .await
        .ok()
        .and_then(|l| l.into_iter().find(|n| n.id == id))
        .and_then(|n| n.link)
        .filter(|l| l.starts_with('/') && !l.starts_with("//"))
        .unwrap_or_else(|| "/notifications".into());
    if let Err(e) = s.mark_read(&user.actor, &[id]).await {
        return error_page(&state, &headers, Some(&user), e);
    }
    axum::response::Redirect::to(&link).into_response()
}

pub async fn preferences_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    body: Bytes,
) -> Response {
    let f = Pairs::from_bytes(&body);
    let kinds = clientele_core::service::NOTIFICATION_KINDS
        .iter()
        .map(|k| KindPreference {
            kind: (*k).to_owned(),
            in_app: f.has(&format!("in_app_{k}")),
            email: f.has(&format!("email_{k}")),
        })
        .collect();
    match state.services().set_notification_preferences(&user.actor, NotificationPreferences { kinds }).await {
        Ok(_) => redirect_with_flash("/notifications", "preferences-saved"),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

#[derive(Template)]
#[template(path = "_bell.html")]
struct Bell {
    c: Chrome,
}

/// The bell with its unread count: the top bar polls it, so the count moves without a reload.
pub async fn bell(State(state): State<AppState>, headers: HeaderMap, WebUser(user): WebUser) -> Response {
    let c = Chrome::for_user(&state, &headers, &user, "", "notifications-title").await;
    render(StatusCode::OK, &Bell { c }, false)
}

// ---------------- the events feed ----------------

pub struct FeedRow {
    pub at: String,
    pub day: String,
    pub text: String,
    pub link: String,
    pub entity: String,
    pub icon: &'static str,
    /// The first line of its day (the list shows the day above it).
    pub first_of_day: bool,
}

fn feed_row(c: &Chrome, i: &FeedItem) -> FeedRow {
    let what = c.t.get(&format!("entity-{}", i.entity_type.replace('_', "-")));
    let what = if what.starts_with("entity-") { i.entity_type.replace('_', " ") } else { what };
    let actor = if i.actor_name.is_empty() { c.t.get("feed-system") } else { i.actor_name.clone() };
    let args: Vec<(&str, &str)> = vec![("who", &actor), ("what", &what), ("name", &i.entity_name)];
    let text = match i.action.as_str() {
        "stage_changed" => c.t.with(
            "feed-line-stage",
            &[
                ("who", &actor),
                ("name", &i.entity_name),
                ("from", i.from_stage.as_deref().unwrap_or("—")),
                ("to", i.to_stage.as_deref().unwrap_or("—")),
            ],
        ),
        "update" if !i.fields.is_empty() => {
            let fields: Vec<String> = i
                .fields
                .iter()
                .map(|f| {
                    // A task's fields have labels of their own (`title` is not a job title).
                    let task_key = match f.as_str() {
                        "due_at" | "due_date" => Some("task-due"),
                        "assignee_id" => Some("task-assignee"),
                        "title" => Some("task-title"),
                        "priority" => Some("task-priority"),
                        "description" => Some("task-description"),
                        "reminders" => Some("task-reminder"),
                        "recurrence" => Some("task-recurrence"),
                        _ => None,
                    };
                    let l = match task_key.filter(|_| i.entity_type == "task") {
                        Some(k) => c.t.get(k),
                        None => c.t.get(&format!("ff-{f}")),
                    };
                    if l.starts_with("ff-") { f.replace('_', " ") } else { l.to_lowercase() }
                })
                .collect();
            c.t.with(
                "feed-line-update-fields",
                &[("who", &actor), ("what", &what), ("name", &i.entity_name), ("fields", &fields.join(", "))],
            )
        }
        a @ ("create" | "update" | "delete" | "complete" | "cancel" | "reopen" | "converted" | "merge" | "restore") => {
            c.t.with(&format!("feed-line-{a}"), &args)
        }
        other => c.t.with(
            "feed-line-other",
            &[("who", &actor), ("what", &what), ("name", &i.entity_name), ("action", &other.replace('_', " "))],
        ),
    };
    let local = clientele_core::domain::zone::utc_to_local(c.tz, i.at);
    FeedRow {
        at: local.format("%H:%M").to_string(),
        day: local.format("%Y-%m-%d").to_string(),
        text,
        link: i.link.clone().unwrap_or_default(),
        entity: i.entity_type.clone(),
        first_of_day: false,
        icon: match i.entity_type.as_str() {
            "deal" => "funnel",
            "company" => "building",
            "task" | "task_group" => "check",
            "activity" => "phone",
            "comment" => "chat",
            "lead" => "download",
            "product" => "columns",
            _ => "user",
        },
    }
}

#[derive(Template)]
#[template(path = "feed.html")]
struct FeedPageView {
    c: Chrome,
    rows: Vec<FeedRow>,
    period: String,
    from: String,
    to: String,
    user_id: String,
    entity_type: String,
    users: Vec<(String, String)>,
    types: Vec<(String, String)>,
    next_href: Option<String>,
    periods: Vec<(String, String)>,
}

pub async fn feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    WebUser(user): WebUser,
) -> Response {
    let c = Chrome::for_user(&state, &headers, &user, "/feed", "nav-feed").await;
    let q = Pairs::from_query(raw.as_deref());
    let period = q.get("period").unwrap_or("today").to_owned();
    let req = FeedRequest {
        period: Some(period.clone()),
        from: q.get("from").map(str::to_owned),
        to: q.get("to").map(str::to_owned),
        user_id: q.uuid("user_id"),
        entity_type: q.get("entity_type").map(str::to_owned),
        limit: Some(100),
        cursor: q.get("cursor").map(str::to_owned),
    };
    let page = match state.services().feed(&user.actor, &req).await {
        Ok(p) => p,
        Err(e) => return error_page(&state, &headers, Some(&user), e),
    };
    let base = format!(
        "/feed?period={}&from={}&to={}&user_id={}&entity_type={}",
        urlencode(&period),
        urlencode(&q.str("from")),
        urlencode(&q.str("to")),
        urlencode(&q.str("user_id")),
        urlencode(&q.str("entity_type"))
    );
    let next_href = page.next_cursor.as_ref().map(|cur| format!("{base}&cursor={}", urlencode(cur)));
    let mut rows: Vec<FeedRow> = page.data.iter().map(|i| feed_row(&c, i)).collect();
    let mut day = String::new();
    for r in &mut rows {
        r.first_of_day = r.day != day;
        day = r.day.clone();
    }
    let types = clientele_core::service::FEED_TYPES
        .iter()
        .map(|t| ((*t).to_owned(), c.t.get(&format!("entity-{}", t.replace('_', "-")))))
        .chain(std::iter::once(("all".to_owned(), c.t.get("feed-type-all"))))
        .collect();
    let periods = ["today", "yesterday", "week", "custom"]
        .iter()
        .map(|p| ((*p).to_owned(), c.t.get(&format!("feed-period-{p}"))))
        .collect();
    let users = users(state.services(), &user.actor).await;
    let page = FeedPageView {
        rows,
        period,
        from: q.str("from"),
        to: q.str("to"),
        user_id: q.str("user_id"),
        entity_type: q.str("entity_type"),
        users,
        types,
        next_href,
        periods,
        c,
    };
    render(StatusCode::OK, &page, false)
}

// ---------------- calendar feed settings ----------------

#[derive(Template)]
#[template(path = "settings/calendar.html")]
struct CalendarSettings {
    c: Chrome,
    feeds: Vec<(String, String, String, bool)>,
    created: Option<String>,
}

pub async fn calendar_settings(State(state): State<AppState>, headers: HeaderMap, WebUser(user): WebUser) -> Response {
    let c = Chrome::for_user(&state, &headers, &user, "/settings", "settings-calendar").await;
    calendar_settings_page(&state, c, &user, None).await
}

async fn calendar_settings_page(
    state: &AppState,
    c: Chrome,
    user: &Authenticated,
    created: Option<String>,
) -> Response {
    let feeds = state
        .services()
        .calendar_feeds(&user.actor)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|f| (f.id.to_string(), f.prefix, c.local(f.created_at), f.revoked_at.is_some()))
        .collect();
    let shown = c.flash.is_some();
    render(StatusCode::OK, &CalendarSettings { c, feeds, created }, shown)
}

pub async fn calendar_feed_post(State(state): State<AppState>, headers: HeaderMap, WebUser(user): WebUser) -> Response {
    let c = Chrome::for_user(&state, &headers, &user, "/settings", "settings-calendar").await;
    match state.services().create_calendar_feed(&user.actor).await {
        Ok(f) => {
            let host = headers.get(axum::http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
            let scheme = if state.settings().secure_cookies { "https" } else { "http" };
            calendar_settings_page(&state, c, &user, Some(format!("{scheme}://{host}{}", f.path))).await
        }
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

pub async fn calendar_feed_revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
) -> Response {
    match state.services().revoke_calendar_feed(&user.actor, id).await {
        Ok(()) => redirect_with_flash("/settings/calendar", "calendar-feed-revoked"),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}
