//! The inbox in the web UI: one list of conversations across channels (statuses, unread
//! counts, filters by channel and assignee) that refreshes itself, the open conversation
//! beside it with the client's card and the answer form, live updates of new messages, the
//! screen pop of ringing calls, the client cards' conversations and calls, and the channel
//! settings page.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use clientele_core::domain::inbox::{
    CallStatus, ChannelKind, Conversation, ConversationStatus, Direction, MessageStatus,
};
use clientele_core::service::{CallView, ChannelInput, ConversationPatch, InboxRequest, ReplyRequest};
use serde::Deserialize;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::clients_common::{Pairs, fmt_time, users};
use super::{Chrome, error_page, initials, is_htmx, redirect_with_flash, render};
use crate::auth::{Authenticated, WebUser};
use crate::state::AppState;

pub struct ConvRow {
    pub id: String,
    pub name: String,
    pub initials: String,
    pub kind: String,
    pub kind_label: String,
    pub preview: String,
    pub at: String,
    pub unread: i64,
    pub status: String,
    pub status_label: String,
    pub active: bool,
}

pub struct MsgView {
    pub id: String,
    pub inbound: bool,
    pub who: String,
    pub subject: String,
    pub text: String,
    pub at: String,
    pub status: String,
    pub status_label: String,
    pub error: String,
    pub auto: bool,
    pub attachments: Vec<(String, String)>,
}

pub struct ClientBox {
    pub kind_label: String,
    pub name: String,
    pub href: String,
    pub facts: Vec<(String, String)>,
}

#[derive(Debug, Default, Deserialize)]
pub struct InboxFilter {
    pub status: Option<String>,
    pub channel: Option<String>,
    pub assignee: Option<String>,
}

impl InboxFilter {
    fn query(&self) -> String {
        let mut q: Vec<(String, String)> = Vec::new();
        for (k, v) in [("status", &self.status), ("channel", &self.channel), ("assignee", &self.assignee)] {
            if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
                q.push((k.to_owned(), v.clone()));
            }
        }
        serde_urlencoded::to_string(&q).unwrap_or_default()
    }
}

fn kind_label(c: &Chrome, k: ChannelKind) -> String {
    c.t.get(&format!("channel-kind-{}", k.as_str()))
}

fn status_label(c: &Chrome, s: ConversationStatus) -> String {
    c.t.get(&format!("conv-status-{}", s.as_str()))
}

fn conv_name(conv: &Conversation) -> String {
    conv.peer_name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| conv.peer.trim_start_matches("chat:").chars().take(40).collect())
}

fn row(c: &Chrome, conv: &Conversation, selected: Option<Uuid>) -> ConvRow {
    let name = conv_name(conv);
    ConvRow {
        id: conv.id.to_string(),
        initials: initials(&name),
        name,
        kind: conv.channel_kind.as_str().to_owned(),
        kind_label: kind_label(c, conv.channel_kind),
        preview: conv.preview.clone(),
        at: fmt_time(conv.last_message_at),
        unread: conv.unread,
        status: conv.status.as_str().to_owned(),
        status_label: status_label(c, conv.status),
        active: selected == Some(conv.id),
    }
}

#[derive(Template)]
#[template(path = "inbox/_list.html")]
struct ListPartial {
    c: Chrome,
    rows: Vec<ConvRow>,
    query: String,
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "inbox/_thread.html")]
struct ThreadPartial {
    c: Chrome,
    messages: Vec<MsgView>,
}

#[derive(Template)]
#[template(path = "inbox/index.html")]
struct InboxPage {
    c: Chrome,
    rows: Vec<ConvRow>,
    query: String,
    next: Option<String>,
    f: InboxFilter,
    statuses: Vec<(String, String)>,
    kinds: Vec<(String, String, i64)>,
    people: Vec<(String, String)>,
    selected: Option<Selected>,
}

pub struct Selected {
    pub id: String,
    pub name: String,
    pub peer: String,
    pub subject: String,
    pub kind_label: String,
    pub channel_name: String,
    pub status: String,
    pub assignee: String,
    pub can_reply: bool,
    pub is_email: bool,
    pub messages: Vec<MsgView>,
    pub client: Option<ClientBox>,
    pub templates: Vec<(String, String)>,
}

async fn list_rows(
    state: &AppState,
    user: &Authenticated,
    c: &Chrome,
    f: &InboxFilter,
    cursor: Option<String>,
    selected: Option<Uuid>,
) -> clientele_core::Result<(Vec<ConvRow>, Option<String>, std::collections::BTreeMap<String, i64>)> {
    let req = InboxRequest {
        status: f.status.clone().filter(|s| !s.is_empty()),
        channel: f.channel.clone().filter(|s| !s.is_empty()),
        assignee: f.assignee.clone().filter(|s| !s.is_empty()),
        cursor,
        limit: Some(50),
        ..InboxRequest::default()
    };
    let page = state.services().list_inbox(&user.actor, &req).await?;
    Ok((page.data.iter().map(|conv| row(c, conv, selected)).collect(), page.next_cursor, page.unread))
}

fn msg_view(c: &Chrome, m: &clientele_core::domain::inbox::Message, names: &[(String, String)]) -> MsgView {
    let inbound = m.direction == Direction::Inbound;
    let who = if inbound {
        m.from_name.clone().unwrap_or_else(|| m.from_addr.trim_start_matches("chat:").to_owned())
    } else {
        m.author_id
            .and_then(|a| names.iter().find(|(id, _)| *id == a.to_string()).map(|(_, n)| n.clone()))
            .unwrap_or_else(|| c.t.get("inbox-automatic"))
    };
    MsgView {
        id: m.id.to_string(),
        inbound,
        who,
        subject: m.subject.clone().unwrap_or_default(),
        text: m.body_text.clone(),
        at: fmt_time(m.created_at),
        status: m.status.as_str().to_owned(),
        status_label: c.t.get(&format!("msg-status-{}", m.status.as_str())),
        error: if m.status == MessageStatus::Sent { String::new() } else { m.last_error.clone().unwrap_or_default() },
        auto: m.meta.get("auto").and_then(Value::as_bool).unwrap_or(false),
        attachments: m.attachments.iter().map(|a| (a.file_id.to_string(), a.name.clone())).collect(),
    }
}

async fn client_box(state: &AppState, user: &Authenticated, c: &Chrome, conv: &Conversation) -> Option<ClientBox> {
    let s = state.services();
    if let Some(id) = conv.contact_id
        && let Ok(v) = s.get_contact(&user.actor, id).await
    {
        let k = v.contact;
        let mut facts = Vec::new();
        if let Some(p) = k.phones.first() {
            facts.push((c.t.get("inbox-phone"), p.e164.clone().unwrap_or(p.number.clone())));
        }
        if let Some(e) = k.emails.first() {
            facts.push((c.t.get("inbox-email"), e.address.clone()));
        }
        if let Some(co) = k.company_id
            && let Ok(co) = s.get_company(&user.actor, co).await
        {
            facts.push((c.t.get("inbox-company"), co.name));
        }
        facts.push((c.t.get("inbox-lifecycle"), c.t.get(&format!("lifecycle-{}", k.lifecycle.as_str()))));
        return Some(ClientBox {
            kind_label: c.t.get("inbox-contact"),
            name: k.display_name,
            href: format!("/contacts/{id}"),
            facts,
        });
    }
    if let Some(id) = conv.company_id
        && let Ok(co) = s.get_company(&user.actor, id).await
    {
        let facts = co.emails.first().map(|e| vec![(c.t.get("inbox-email"), e.address.clone())]).unwrap_or_default();
        return Some(ClientBox {
            kind_label: c.t.get("inbox-company"),
            name: co.name,
            href: format!("/companies/{id}"),
            facts,
        });
    }
    if let Some(id) = conv.lead_id
        && let Ok(l) = s.get_lead(&user.actor, id).await
    {
        let mut facts = Vec::new();
        if let Some(src) = &l.source {
            facts.push((c.t.get("lead-field-source"), src.clone()));
        }
        if let Some(u) = &l.utm_source {
            facts.push(("utm_source".to_owned(), u.clone()));
        }
        facts.push((
            c.t.get("lead-field-status"),
            c.t.get(&format!("lead-status-{}", l.status.as_str().replace('_', "-"))),
        ));
        return Some(ClientBox {
            kind_label: c.t.get("inbox-lead"),
            name: l.title().to_owned(),
            href: format!("/leads/{id}"),
            facts,
        });
    }
    None
}

async fn selected(state: &AppState, user: &Authenticated, c: &Chrome, id: Uuid) -> clientele_core::Result<Selected> {
    let s = state.services();
    let v = s.get_conversation(&user.actor, id).await?;
    s.mark_conversation_read(&user.actor, id).await?;
    let names = users(s, &user.actor).await;
    let conv = &v.conversation;
    let is_email = v.messages.iter().any(|m| m.subject.is_some())
        || conv.channel_kind == ChannelKind::Email
        || conv.channel_kind == ChannelKind::Form;
    Ok(Selected {
        id: conv.id.to_string(),
        name: conv_name(conv),
        peer: conv.peer.trim_start_matches("chat:").to_owned(),
        subject: conv.subject.clone().unwrap_or_default(),
        kind_label: kind_label(c, conv.channel_kind),
        channel_name: v.channel_name.clone().unwrap_or_default(),
        status: conv.status.as_str().to_owned(),
        assignee: conv.assignee_id.map(|a| a.to_string()).unwrap_or_default(),
        can_reply: v.can_reply,
        is_email,
        messages: v.messages.iter().map(|m| msg_view(c, m, &names)).collect(),
        client: client_box(state, user, c, conv).await,
        templates: if is_email {
            s.list_templates(&user.actor)
                .await
                .unwrap_or_default()
                .into_iter()
                .map(|t| (t.id.to_string(), t.name))
                .collect()
        } else {
            vec![]
        },
    })
}

async fn page(
    state: &AppState,
    headers: &HeaderMap,
    user: &Authenticated,
    f: InboxFilter,
    open: Option<Uuid>,
) -> Response {
    let mut c = Chrome::for_user(state, headers, user, "/inbox", "nav-inbox").await;
    // The open conversation first: opening it marks it read, and the list shows that.
    let sel = match open {
        Some(id) => match selected(state, user, &c, id).await {
            Ok(s) => Some(s),
            Err(e) => return error_page(state, headers, Some(user), e),
        },
        None => None,
    };
    let (rows, next, unread) = match list_rows(state, user, &c, &f, None, open).await {
        Ok(x) => x,
        Err(e) => return error_page(state, headers, Some(user), e),
    };
    if let Some(s) = &sel {
        c.title = s.name.clone();
    }
    let statuses = ["active", "new", "open", "waiting", "closed", "all"]
        .iter()
        .map(|s| ((*s).to_owned(), c.t.get(&format!("conv-status-{s}"))))
        .collect();
    let kinds = ChannelKind::ALL
        .iter()
        .map(|k| (k.as_str().to_owned(), kind_label(&c, *k), unread.get(k.as_str()).copied().unwrap_or(0)))
        .collect();
    let people = users(state.services(), &user.actor).await;
    let query = f.query();
    let shown = c.flash.is_some();
    render(StatusCode::OK, &InboxPage { c, rows, query, next, f, statuses, kinds, people, selected: sel }, shown)
}

pub async fn index(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Query(f): Query<InboxFilter>,
) -> Response {
    page(&state, &headers, &user, f, None).await
}

pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
    Query(f): Query<InboxFilter>,
) -> Response {
    page(&state, &headers, &user, f, Some(id)).await
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub status: Option<String>,
    pub channel: Option<String>,
    pub assignee: Option<String>,
    pub cursor: Option<String>,
    pub open: Option<Uuid>,
}

/// The conversation list alone (it refreshes itself every few seconds).
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Query(q): Query<ListQuery>,
) -> Response {
    let c = Chrome::for_user(&state, &headers, &user, "/inbox", "nav-inbox").await;
    let f = InboxFilter { status: q.status, channel: q.channel, assignee: q.assignee };
    match list_rows(&state, &user, &c, &f, q.cursor, q.open).await {
        Ok((rows, next, _)) => {
            let query = f.query();
            render(StatusCode::OK, &ListPartial { c, rows, query, next }, false)
        }
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

/// The open conversation's messages (polled for live updates; reading them marks them read).
pub async fn thread(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
) -> Response {
    let c = Chrome::for_user(&state, &headers, &user, "/inbox", "nav-inbox").await;
    let s = state.services();
    let v = match s.get_conversation(&user.actor, id).await {
        Ok(v) => v,
        Err(e) => return error_page(&state, &headers, Some(&user), e),
    };
    if v.conversation.unread > 0 {
        let _ = s.mark_conversation_read(&user.actor, id).await;
    }
    let names = users(s, &user.actor).await;
    let messages = v.messages.iter().map(|m| msg_view(&c, m, &names)).collect();
    render(StatusCode::OK, &ThreadPartial { c, messages }, false)
}

/// The answer form: queued, then the thread shows it as pending until it is sent.
pub async fn reply_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Response {
    let f = Pairs::from_bytes(&body);
    let req = ReplyRequest {
        text: f.get("text").map(str::to_owned),
        subject: f.get("subject").map(str::to_owned),
        template_id: f.uuid("template_id"),
        ..ReplyRequest::default()
    };
    match state.services().reply(&user.actor, id, req).await {
        Ok(_) if is_htmx(&headers) => thread(State(state), headers, WebUser(user), Path(id)).await,
        Ok(_) => redirect_with_flash(&format!("/inbox/{id}"), "inbox-sent"),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

/// Status and assignee from the conversation's head.
pub async fn update_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Response {
    let f = Pairs::from_bytes(&body);
    let patch = ConversationPatch {
        status: f.get("status").map(str::to_owned),
        assignee_id: f.0.iter().any(|(k, _)| k == "assignee_id").then(|| f.uuid("assignee_id")),
        ..ConversationPatch::default()
    };
    // New messages move the conversation's version all the time: the inbox's own controls
    // apply to whatever is current (the API offers If-Match for scripts).
    match state.services().update_conversation(&user.actor, id, patch, None).await {
        Ok(_) => redirect_with_flash(&format!("/inbox/{id}"), "inbox-saved"),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

/// An attachment of a message, for whoever can read its conversation.
pub async fn attachment(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path((id, file_id)): Path<(Uuid, Uuid)>,
) -> Response {
    match state.services().message_attachment(&user.actor, id, file_id).await {
        Ok(f) => crate::download::stream_file(state.services().clone(), &f),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

pub async fn retry_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
) -> Response {
    match state.services().retry_message(&user.actor, id).await {
        Ok(m) => Redirect::to(&format!("/inbox/{}", m.conversation_id)).into_response(),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

// ---------------- the screen pop

#[derive(Template)]
#[template(path = "inbox/_pop.html")]
struct PopPartial {
    c: Chrome,
    calls: Vec<CallView>,
}

/// Ringing and ongoing calls of the signed-in manager (every page polls it).
pub async fn pop(State(state): State<AppState>, headers: HeaderMap, WebUser(user): WebUser) -> Response {
    let c = Chrome::for_user(&state, &headers, &user, "/inbox", "nav-inbox").await;
    let calls = state.services().live_calls(&user.actor).await.unwrap_or_default();
    render(StatusCode::OK, &PopPartial { c, calls }, false)
}

// ---------------- the client cards

#[derive(Template)]
#[template(path = "inbox/_client.html")]
struct ClientPartial {
    c: Chrome,
    rows: Vec<ConvRow>,
    calls: Vec<CallRow>,
}

pub struct CallRow {
    pub direction: String,
    pub status: String,
    pub status_label: String,
    pub number: String,
    pub at: String,
    pub duration: String,
    pub recording: String,
}

fn call_row(c: &Chrome, v: &CallView) -> CallRow {
    let d = v.call.duration_seconds.unwrap_or(0);
    CallRow {
        direction: c.t.get(&format!("call-dir-{}", v.call.direction.as_str())),
        status: v.call.status.as_str().to_owned(),
        status_label: c.t.get(&format!("call-status-{}", v.call.status.as_str())),
        number: v.number.clone(),
        at: fmt_time(v.call.started_at),
        duration: if v.call.status == CallStatus::Ended { format!("{}:{:02}", d / 60, d % 60) } else { String::new() },
        recording: v.call.recording_url.clone().unwrap_or_default(),
    }
}

/// Conversations and calls of a contact or company, for its card.
pub async fn client(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path((kind, id)): Path<(String, Uuid)>,
) -> Response {
    let c = Chrome::for_user(&state, &headers, &user, "/inbox", "nav-inbox").await;
    let (contact, company) = match kind.as_str() {
        "contact" => (Some(id), None),
        "company" => (None, Some(id)),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let s = state.services();
    let convs = s.client_conversations(&user.actor, contact, company).await.unwrap_or_default();
    let calls = s.client_calls(&user.actor, contact, company).await.unwrap_or_default();
    let rows = convs.iter().map(|conv| row(&c, conv, None)).collect();
    let calls = calls.iter().map(|v| call_row(&c, v)).collect();
    render(StatusCode::OK, &ClientPartial { c, rows, calls }, false)
}

// ---------------- channel settings

pub struct ChannelRow {
    pub id: String,
    pub name: String,
    pub kind_label: String,
    pub provider: String,
    pub active: bool,
    pub webhook: String,
    pub snippet: String,
    pub secrets: String,
    pub polls: bool,
}

#[derive(Template)]
#[template(path = "inbox/channels.html")]
struct ChannelsPage {
    c: Chrome,
    rows: Vec<ChannelRow>,
    kinds: Vec<(String, String)>,
    created_secret: String,
}

pub async fn channels_get(State(state): State<AppState>, headers: HeaderMap, WebUser(user): WebUser) -> Response {
    channels_page(&state, &headers, &user, String::new()).await
}

async fn channels_page(
    state: &AppState,
    headers: &HeaderMap,
    user: &Authenticated,
    created_secret: String,
) -> Response {
    let c = Chrome::for_user(state, headers, user, "/settings", "settings-channels").await;
    let list = match state.services().list_channels(&user.actor).await {
        Ok(l) => l,
        Err(e) => return error_page(state, headers, Some(user), e),
    };
    let rows = list
        .into_iter()
        .map(|v| ChannelRow {
            id: v.channel.id.to_string(),
            name: v.channel.name.clone(),
            kind_label: kind_label(&c, v.channel.kind),
            provider: v.channel.provider.clone(),
            active: v.channel.active,
            polls: v.channel.polls_imap(),
            webhook: v.webhook_url.unwrap_or_default(),
            snippet: v.snippet.unwrap_or_default(),
            secrets: v.secrets_set.join(", "),
        })
        .collect();
    let kinds = ChannelKind::ALL.iter().map(|k| (k.as_str().to_owned(), kind_label(&c, *k))).collect();
    let shown = c.flash.is_some();
    render(StatusCode::OK, &ChannelsPage { c, rows, kinds, created_secret }, shown)
}

/// A new channel from the settings page: kind, name, settings and secrets as `key = value` lines.
pub async fn channels_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    body: Bytes,
) -> Response {
    let f = Pairs::from_bytes(&body);
    let lines = |k: &str| -> Map<String, Value> {
        f.get(k)
            .unwrap_or("")
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_owned(), Value::String(v.trim().to_owned())))
            .filter(|(k, _)| !k.is_empty())
            .collect()
    };
    let input = ChannelInput {
        kind: f.get("kind").map(str::to_owned),
        provider: f.get("provider").map(str::to_owned),
        name: f.get("name").map(str::to_owned),
        settings: Some(lines("settings")),
        secrets: Some(lines("secrets")),
        ..ChannelInput::default()
    };
    match state.services().create_channel(&user.actor, input).await {
        Ok(v) => channels_page(&state, &headers, &user, v.webhook_secret.unwrap_or_default()).await,
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

pub async fn channel_poll_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(id): Path<Uuid>,
) -> Response {
    match state.services().poll_now(&user.actor, id).await {
        Ok(()) => redirect_with_flash("/settings/channels", "inbox-polling"),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}

// ---------------- templates, forms, sequences and bot rules

pub struct DocRow {
    pub name: String,
    pub detail: String,
    pub code: String,
}

#[derive(Template)]
#[template(path = "inbox/outreach.html")]
struct OutreachPage {
    c: Chrome,
    templates: Vec<DocRow>,
    forms: Vec<DocRow>,
    sequences: Vec<DocRow>,
    rules: Vec<DocRow>,
    email_channels: Vec<(String, String)>,
    all_channels: Vec<(String, String)>,
    template_choices: Vec<(String, String)>,
    locales: Vec<String>,
}

pub async fn outreach_get(State(state): State<AppState>, headers: HeaderMap, WebUser(user): WebUser) -> Response {
    let c = Chrome::for_user(&state, &headers, &user, "/settings", "settings-outreach").await;
    let s = state.services();
    let a = &user.actor;
    let (templates, forms, sequences, rules, channels) = match (
        s.list_templates(a).await,
        s.list_forms(a).await,
        s.list_sequences(a).await,
        s.list_bot_rules(a).await,
        s.list_channels(a).await,
    ) {
        (Ok(t), Ok(f), Ok(q), Ok(r), Ok(ch)) => (t, f, q, r, ch),
        (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), ..) | (_, _, _, Err(e), _) | (.., Err(e)) => {
            return error_page(&state, &headers, Some(&user), e);
        }
    };
    let template_choices: Vec<(String, String)> =
        templates.iter().map(|t| (t.id.to_string(), t.name.clone())).collect();
    let templates = templates
        .into_iter()
        .map(|t| DocRow {
            name: t.name,
            detail: t.variants.keys().cloned().collect::<Vec<_>>().join(", "),
            code: String::new(),
        })
        .collect();
    let forms = forms
        .into_iter()
        .map(|f| DocRow {
            detail: c.t.with("outreach-submissions", &[("n", &f.submissions.to_string())]),
            name: f.form.name,
            code: f.snippet,
        })
        .collect();
    let sequences = sequences
        .into_iter()
        .map(|q| DocRow {
            detail: q
                .stats
                .iter()
                .map(|st| format!("#{}: {} / {} / {} / {}", st.step + 1, st.sent, st.opened, st.clicked, st.replied))
                .collect::<Vec<_>>()
                .join(" · "),
            name: format!("{} ({})", q.sequence.name, q.sequence.steps.len()),
            code: String::new(),
        })
        .collect();
    let rules = rules
        .into_iter()
        .map(|r| DocRow {
            name: r.rule.name,
            detail: if r.rule.keywords.is_empty() {
                c.t.get("outreach-outside-hours")
            } else {
                r.rule.keywords.join(", ")
            },
            code: r.rule.reply,
        })
        .collect();
    let email_channels = channels
        .iter()
        .filter(|v| v.channel.kind == ChannelKind::Email)
        .map(|v| (v.channel.id.to_string(), v.channel.name.clone()))
        .collect();
    let all_channels = channels.iter().map(|v| (v.channel.id.to_string(), v.channel.name.clone())).collect();
    let locales = clientele_core::service::TEMPLATE_LOCALES.iter().map(|l| (*l).to_owned()).collect();
    let shown = c.flash.is_some();
    let page =
        OutreachPage { c, templates, forms, sequences, rules, email_channels, all_channels, template_choices, locales };
    render(StatusCode::OK, &page, shown)
}

/// A new template, form or bot rule from the settings page.
pub async fn outreach_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebUser(user): WebUser,
    Path(what): Path<String>,
    body: Bytes,
) -> Response {
    let f = Pairs::from_bytes(&body);
    let s = state.services();
    let a = &user.actor;
    let opt = |k: &str| f.get(k).map(|v| Value::String(v.to_owned())).unwrap_or(Value::Null);
    let result = match what.as_str() {
        "templates" => {
            let lang = f.get("locale").unwrap_or("en").to_owned();
            let mut variants = Map::new();
            variants.insert(lang, serde_json::json!({"subject": f.str("subject"), "body": f.str("body")}));
            s.save_template(a, None, serde_json::json!({"name": f.str("name"), "variants": variants}), None)
                .await
                .map(|_| ())
        }
        "forms" => {
            let mut fields = vec![
                serde_json::json!({"name": "name", "label": f.str("label_name"), "required": true, "maps_to": "name"}),
            ];
            fields.push(
                serde_json::json!({"name": "email", "label": f.str("label_email"), "kind": "email", "required": true}),
            );
            if f.has("with_phone") {
                fields.push(serde_json::json!({"name": "phone", "label": f.str("label_phone"), "kind": "phone"}));
            }
            fields.push(serde_json::json!({"name": "message", "label": f.str("label_message"), "kind": "textarea"}));
            let input = serde_json::json!({
                "name": f.str("name"), "fields": fields, "source": opt("source"), "consent_text": opt("consent_text"),
                "channel_id": opt("channel_id"), "auto_reply_template_id": opt("auto_reply_template_id"),
            });
            s.save_form(a, None, input, None).await.map(|_| ())
        }
        "bot-rules" => {
            let keywords: Vec<String> =
                f.str("keywords").split(',').map(|k| k.trim().to_owned()).filter(|k| !k.is_empty()).collect();
            let input = serde_json::json!({
                "name": f.str("name"), "channel_id": opt("channel_id"), "keywords": keywords,
                "outside_hours": f.has("outside_hours"), "reply": f.str("reply"),
            });
            s.save_bot_rule(a, None, input, None).await.map(|_| ())
        }
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    match result {
        Ok(()) => redirect_with_flash("/settings/outreach", "outreach-saved"),
        Err(e) => error_page(&state, &headers, Some(&user), e),
    }
}
