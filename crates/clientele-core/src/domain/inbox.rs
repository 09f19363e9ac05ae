//! Communications: channels (a mailbox, an SMS number, a messenger bot, the website chat, a
//! telephone line), the conversations they carry, their messages and calls, and the rules
//! around them (threading, statuses, consent, working hours). Pure: no I/O.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, Timelike, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::Problems;

/// What a channel carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// A mailbox: SMTP out, IMAP polling and/or the raw-MIME webhook in.
    Email,
    /// Text messages through an SMS provider (Twilio-style API).
    Sms,
    /// A messenger bot (Telegram-style Bot API).
    Messenger,
    /// The website chat widget served by Clientele itself.
    Chat,
    /// A telephone line: call events from a PBX, click-to-call through it.
    Phone,
    /// Website forms (submissions land here; answers go out by e-mail).
    Form,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 6] = [
        ChannelKind::Email,
        ChannelKind::Sms,
        ChannelKind::Messenger,
        ChannelKind::Chat,
        ChannelKind::Phone,
        ChannelKind::Form,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Email => "email",
            ChannelKind::Sms => "sms",
            ChannelKind::Messenger => "messenger",
            ChannelKind::Chat => "chat",
            ChannelKind::Phone => "phone",
            ChannelKind::Form => "form",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }

    /// The providers a channel of this kind may use (the first is the default).
    pub fn providers(self) -> &'static [&'static str] {
        match self {
            ChannelKind::Email => &["smtp"],
            ChannelKind::Sms => &["twilio"],
            ChannelKind::Messenger => &["telegram"],
            ChannelKind::Chat => &["widget"],
            ChannelKind::Phone => &["webhook", "ari"],
            ChannelKind::Form => &["form"],
        }
    }

    /// The secrets a channel of this kind keeps (never returned by the API).
    pub fn secret_names(self) -> &'static [&'static str] {
        match self {
            ChannelKind::Email => &["smtp_password", "imap_password", "webhook_secret"],
            ChannelKind::Sms => &["auth_token"],
            ChannelKind::Messenger => &["bot_token", "webhook_secret"],
            ChannelKind::Chat | ChannelKind::Form => &[],
            ChannelKind::Phone => &["webhook_secret", "dial_password"],
        }
    }
}

/// Secret values of a channel (passwords, provider tokens, webhook secrets). Never
/// serialised into API answers, and `Debug` shows only which ones are set.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Secrets(pub BTreeMap<String, String>);

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.keys().map(|k| format!("{k}=***"))).finish()
    }
}

impl Secrets {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str).filter(|s| !s.is_empty())
    }
}

/// A configured channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Channel {
    pub id: Uuid,
    pub version: i64,
    pub kind: ChannelKind,
    /// `smtp`, `twilio`, `telegram`, `widget`, `webhook`, `ari`, `form`.
    pub provider: String,
    pub name: String,
    pub active: bool,
    /// A personal mailbox's user (replies from it are theirs); `null` for a shared channel.
    pub owner_id: Option<Uuid>,
    /// Who gets new conversations nobody else owns.
    pub assignee_id: Option<Uuid>,
    /// Random key in the channel's public URLs (webhooks, the chat widget, forms).
    pub public_key: String,
    /// Non-secret settings (hosts, ports, addresses, numbers, working hours, ...).
    #[schema(value_type = Object)]
    pub settings: Map<String, Value>,
    #[serde(skip)]
    #[schema(ignore)]
    pub secrets: Secrets,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Channel {
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
    }

    pub fn setting_u64(&self, key: &str) -> Option<u64> {
        self.settings.get(key).and_then(|v| v.as_u64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok())))
    }

    /// The channel's working hours, when set.
    pub fn working_hours(&self) -> Option<WorkingHours> {
        self.settings.get("working_hours").and_then(|v| serde_json::from_value(v.clone()).ok())
    }

    /// Whether IMAP polling is configured.
    pub fn polls_imap(&self) -> bool {
        self.kind == ChannelKind::Email && self.active && self.setting("imap_host").is_some()
    }
}

/// Settings each kind understands: (key, required, a number).
fn known_settings(kind: ChannelKind) -> &'static [(&'static str, bool, bool)] {
    match kind {
        ChannelKind::Email => &[
            ("from_address", true, false),
            ("from_name", false, false),
            ("smtp_host", false, false),
            ("smtp_port", false, true),
            ("smtp_tls", false, false),
            ("smtp_username", false, false),
            ("imap_host", false, false),
            ("imap_port", false, true),
            ("imap_tls", false, false),
            ("imap_username", false, false),
            ("imap_folder", false, false),
            ("poll_seconds", false, true),
        ],
        ChannelKind::Sms => &[("api_base", false, false), ("account_sid", true, false), ("from_number", true, false)],
        ChannelKind::Messenger => &[("api_base", false, false)],
        ChannelKind::Chat => &[("title", false, false), ("greeting", false, false)],
        ChannelKind::Phone => &[("dial_url", false, false), ("dial_username", false, false), ("ari_app", false, false)],
        ChannelKind::Form => &[],
    }
}

/// Checks a channel's settings for its kind: known keys only, required ones present, numbers
/// numeric, TLS modes known, addresses valid, working hours and user maps well formed.
pub fn check_settings(kind: ChannelKind, settings: &Map<String, Value>, p: &mut Problems) {
    let known = known_settings(kind);
    for (k, v) in settings {
        let field = format!("settings.{k}");
        if k == "working_hours" {
            if serde_json::from_value::<WorkingHours>(v.clone()).map(|w| w.check(&field, p)).is_err() {
                p.add(field, "expects {\"utc_offset_minutes\": 60, \"days\": [1,2,3,4,5], \"from\": \"09:00\", \"to\": \"18:00\"}");
            }
            continue;
        }
        if k == "users" && kind == ChannelKind::Phone {
            let ok = v
                .as_object()
                .is_some_and(|m| m.values().all(|u| u.as_str().is_some_and(|s| Uuid::parse_str(s).is_ok())));
            if !ok {
                p.add(field, "maps a number or extension to a user id: {\"101\": \"<user id>\"}");
            }
            continue;
        }
        let Some((_, _, numeric)) = known.iter().find(|(name, _, _)| name == k) else {
            p.add(field, format!("is not a setting of {} channels", kind.as_str()));
            continue;
        };
        if *numeric {
            let n = v.as_u64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()));
            if n.is_none_or(|n| n == 0 || n > 65_535 * 100) {
                p.add(field, "must be a positive whole number");
            }
        } else if !v.is_string() && !v.is_null() {
            p.add(field, "must be text");
        }
    }
    for (k, required, _) in known {
        if *required && settings.get(*k).and_then(Value::as_str).is_none_or(|s| s.trim().is_empty()) {
            p.add(format!("settings.{k}"), "is required");
        }
    }
    for k in ["smtp_tls", "imap_tls"] {
        if let Some(v) = settings.get(k).and_then(Value::as_str)
            && !["none", "starttls", "tls"].contains(&v)
        {
            p.add(format!("settings.{k}"), "must be none, starttls or tls");
        }
    }
    if let Some(a) = settings.get("from_address").and_then(Value::as_str)
        && !a.trim().is_empty()
        && let Err(m) = super::email::EmailAddress::parse(a)
    {
        p.add("settings.from_address", m);
    }
}

/// When someone answers: days of the week (1 = Monday .. 7 = Sunday) and hours, at a fixed
/// offset from UTC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WorkingHours {
    #[serde(default)]
    pub utc_offset_minutes: i32,
    pub days: Vec<u8>,
    /// `HH:MM`
    pub from: String,
    /// `HH:MM`
    pub to: String,
}

fn minutes(hhmm: &str) -> Option<u32> {
    let (h, m) = hhmm.trim().split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 24 && m < 60 && h * 60 + m <= 24 * 60).then_some(h * 60 + m)
}

impl WorkingHours {
    fn check(&self, field: &str, p: &mut Problems) {
        if self.days.iter().any(|d| !(1..=7).contains(d)) {
            p.add(format!("{field}.days"), "days are 1 (Monday) to 7 (Sunday)");
        }
        if minutes(&self.from).is_none() {
            p.add(format!("{field}.from"), "must be a time like 09:00");
        }
        if minutes(&self.to).is_none() {
            p.add(format!("{field}.to"), "must be a time like 18:00");
        }
        if self.utc_offset_minutes.abs() > 14 * 60 {
            p.add(format!("{field}.utc_offset_minutes"), "must be within ±840");
        }
    }

    /// Whether `at` falls within the working hours.
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        let local = at + Duration::minutes(i64::from(self.utc_offset_minutes));
        let day = local.weekday().number_from_monday() as u8;
        let m = local.hour() * 60 + local.minute();
        let (Some(from), Some(to)) = (minutes(&self.from), minutes(&self.to)) else { return true };
        self.days.contains(&day) && m >= from && m < to
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConversationStatus {
    /// Nobody has answered yet.
    New,
    /// Being worked on.
    Open,
    /// Answered; waiting for the client.
    Waiting,
    Closed,
}

impl ConversationStatus {
    pub const ALL: [ConversationStatus; 4] =
        [ConversationStatus::New, ConversationStatus::Open, ConversationStatus::Waiting, ConversationStatus::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            ConversationStatus::New => "new",
            ConversationStatus::Open => "open",
            ConversationStatus::Waiting => "waiting",
            ConversationStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }

    /// The status after a message in this direction: a client writing reopens what was
    /// waiting or closed; an answer leaves the conversation waiting for the client.
    pub fn after(self, direction: Direction) -> Self {
        match (direction, self) {
            (Direction::Inbound, ConversationStatus::New) => ConversationStatus::New,
            (Direction::Inbound, _) => ConversationStatus::Open,
            (Direction::Outbound, _) => ConversationStatus::Waiting,
        }
    }
}

/// One thread with one client on one channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Conversation {
    pub id: Uuid,
    pub version: i64,
    pub channel_id: Option<Uuid>,
    pub channel_kind: ChannelKind,
    pub subject: Option<String>,
    pub status: ConversationStatus,
    pub assignee_id: Option<Uuid>,
    /// The client it was matched to (by phone or e-mail), or the lead it created.
    pub contact_id: Option<Uuid>,
    pub company_id: Option<Uuid>,
    pub lead_id: Option<Uuid>,
    /// The other side's address on the channel: an e-mail, an E.164 phone, a chat id.
    pub peer: String,
    pub peer_name: Option<String>,
    /// Inbound messages since someone last read the conversation.
    pub unread: i64,
    pub last_message_at: DateTime<Utc>,
    /// The start of the newest message.
    pub preview: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Inbound,
    Outbound,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "inbound" | "in" => Some(Direction::Inbound),
            "outbound" | "out" => Some(Direction::Outbound),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    /// Inbound and stored.
    Received,
    /// Outbound and queued: waiting for its turn or for the provider to come back.
    Pending,
    /// The SMTP server or provider accepted it.
    Sent,
    /// Given up after the last attempt (can be retried).
    Failed,
    /// Not sent on purpose: the recipient withdrew consent.
    Suppressed,
}

impl MessageStatus {
    pub const ALL: [MessageStatus; 5] = [
        MessageStatus::Received,
        MessageStatus::Pending,
        MessageStatus::Sent,
        MessageStatus::Failed,
        MessageStatus::Suppressed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Received => "received",
            MessageStatus::Pending => "pending",
            MessageStatus::Sent => "sent",
            MessageStatus::Failed => "failed",
            MessageStatus::Suppressed => "suppressed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }
}

/// A file attached to a message (kept in the file store).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Attachment {
    pub file_id: Uuid,
    pub name: String,
    pub content_type: String,
    pub size: i64,
}

/// One message of a conversation, in or out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Message {
    pub id: Uuid,
    pub conversation_id: Uuid,
    pub channel_id: Option<Uuid>,
    pub direction: Direction,
    pub status: MessageStatus,
    pub from_addr: String,
    pub from_name: Option<String>,
    pub to_addrs: Vec<String>,
    pub subject: Option<String>,
    pub body_text: String,
    /// Inbound HTML as received (shown sanitised as text only) or outbound HTML as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_html: Option<String>,
    /// RFC 5322 Message-ID (without angle brackets), for threading.
    pub rfc_message_id: Option<String>,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    /// The provider's id (IMAP `uidvalidity:uid`, an SMS sid, a bot message id, ...).
    pub external_id: Option<String>,
    /// The manager who wrote it (outbound); `null` for automatic messages.
    pub author_id: Option<Uuid>,
    pub attempts: i64,
    pub last_error: Option<String>,
    /// Open and click tracking, unsubscribe links.
    #[serde(skip)]
    #[schema(ignore)]
    pub tracking_token: Option<String>,
    pub attachments: Vec<Attachment>,
    /// Extra facts: `auto` (bot/auto-reply), `sequence_id`, `step`, `bulk`, `smtp_reply`, ...
    #[schema(value_type = Object)]
    pub meta: Map<String, Value>,
    /// The sequence and step (0-based) that sent it.
    pub sequence_id: Option<Uuid>,
    pub sequence_step: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl Message {
    /// The first characters of the text, on one line.
    pub fn preview(&self) -> String {
        let one_line: String = self.body_text.split_whitespace().collect::<Vec<_>>().join(" ");
        let base = if one_line.is_empty() { self.subject.clone().unwrap_or_default() } else { one_line };
        base.chars().take(140).collect()
    }
}

/// A message id as kept: without angle brackets and surrounding space.
pub fn bare_message_id(s: &str) -> Option<String> {
    let t = s.trim().trim_start_matches('<').trim_end_matches('>').trim();
    (!t.is_empty() && !t.contains(char::is_whitespace)).then(|| t.to_owned())
}

/// The ids named in a `References` or `In-Reply-To` header.
pub fn message_ids(header: &str) -> Vec<String> {
    header.split(|c: char| c.is_whitespace() || c == ',').filter_map(bare_message_id).collect()
}

/// The `References` of a reply to `parent`: the parent's references followed by its id.
pub fn reply_references(parent: &Message) -> Vec<String> {
    let mut refs = parent.references.clone();
    if let Some(id) = parent.rfc_message_id.clone().or_else(|| parent.in_reply_to.clone())
        && !refs.contains(&id)
    {
        refs.push(id);
    }
    // Long threads keep the first and the newest ids (RFC 5322 allows trimming the middle).
    if refs.len() > 20 {
        let tail = refs.split_off(refs.len() - 19);
        refs.truncate(1);
        refs.extend(tail);
    }
    refs
}

/// `Re: subject` without piling up prefixes.
pub fn reply_subject(subject: Option<&str>) -> String {
    let s = subject.unwrap_or("").trim();
    let lower = s.to_lowercase();
    if ["re:", "aw:", "ответ:", "réf:"].iter().any(|p| lower.starts_with(p)) {
        s.to_owned()
    } else {
        format!("Re: {s}")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallStatus {
    Ringing,
    Answered,
    Ended,
    Missed,
}

impl CallStatus {
    pub const ALL: [CallStatus; 4] = [CallStatus::Ringing, CallStatus::Answered, CallStatus::Ended, CallStatus::Missed];

    pub fn as_str(self) -> &'static str {
        match self {
            CallStatus::Ringing => "ringing",
            CallStatus::Answered => "answered",
            CallStatus::Ended => "ended",
            CallStatus::Missed => "missed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }

    /// A call's status only moves forward: an event that arrives late (ringing after
    /// answered) does not take it back.
    pub fn advance(self, event: CallStatus) -> CallStatus {
        let rank = |s: CallStatus| match s {
            CallStatus::Ringing => 0,
            CallStatus::Answered => 1,
            CallStatus::Ended | CallStatus::Missed => 2,
        };
        if rank(event) >= rank(self) && !(rank(self) == 2 && self != event) { event } else { self }
    }
}

/// A telephone call reported by the PBX.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Call {
    pub id: Uuid,
    pub version: i64,
    pub channel_id: Uuid,
    /// The PBX's call id.
    pub external_id: String,
    pub direction: Direction,
    pub from_number: String,
    pub to_number: String,
    pub status: CallStatus,
    /// The manager whose number or extension rang (or who called).
    pub user_id: Option<Uuid>,
    pub contact_id: Option<Uuid>,
    pub company_id: Option<Uuid>,
    pub lead_id: Option<Uuid>,
    pub conversation_id: Option<Uuid>,
    pub started_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub duration_seconds: Option<i64>,
    pub recording_url: Option<String>,
    /// The call-back task a missed call created.
    pub task_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A tracked event of an outbound message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MessageEvent {
    pub id: Uuid,
    pub message_id: Uuid,
    /// `open`, `click`, `unsubscribe`, `reply`.
    pub kind: String,
    pub url: Option<String>,
    pub at: DateTime<Utc>,
}

/// A person's permission to be written to on a channel: the newest record decides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Consent {
    pub id: Uuid,
    /// `email` or `sms`.
    pub channel: String,
    /// The lower-cased e-mail address or the E.164 number.
    pub address: String,
    /// `granted` or `withdrawn`.
    pub status: String,
    /// Where it was given or withdrawn: `form:<id>`, `unsubscribe_link`, `api`, ...
    pub source: String,
    /// The consent text the person agreed to, as shown.
    pub text: Option<String>,
    pub contact_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// Fills `{{ path }}` placeholders from `vars` (dotted names such as `contact.first_name`).
/// Unknown names are reported; values are inserted as they are (`escape` for HTML bodies).
pub fn render_template(text: &str, vars: &BTreeMap<String, String>, escape: bool, unknown: &mut Vec<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let name = after[..end].trim();
        match vars.get(name) {
            Some(v) if escape => out.push_str(&html_escape(v)),
            Some(v) => out.push_str(v),
            None => {
                if !unknown.iter().any(|u| u == name) {
                    unknown.push(name.to_owned());
                }
            }
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The variables a template may use.
pub const TEMPLATE_VARIABLES: &[&str] = &[
    "contact.first_name",
    "contact.last_name",
    "contact.display_name",
    "contact.email",
    "company.name",
    "deal.title",
    "deal.amount",
    "manager.name",
    "manager.email",
    "unsubscribe_url",
];

/// Plain text as simple HTML paragraphs (escaped, web addresses made links), for messages
/// written as text.
pub fn text_to_html(text: &str) -> String {
    text.split("\n\n")
        .map(|para| {
            let lines: Vec<String> = para
                .trim()
                .lines()
                .map(|line| {
                    line.split(' ')
                        .map(|w| {
                            let url = w.trim_end_matches(['.', ',', ';', ':', '!', '?', ')']);
                            if (url.starts_with("https://") || url.starts_with("http://")) && url.len() > 8 {
                                let e = html_escape(url);
                                format!("<a href=\"{e}\">{e}</a>{}", html_escape(&w[url.len()..]))
                            } else {
                                html_escape(w)
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect();
            format!("<p>{}</p>", lines.join("<br>"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Keywords a message contains (case-insensitive, whole words or phrases).
pub fn matches_keywords(text: &str, keywords: &[String]) -> bool {
    let hay = format!(
        " {} ",
        text.to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    );
    keywords.iter().any(|k| {
        let k = k
            .to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        !k.is_empty() && hay.contains(&format!(" {k} "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threading_headers() {
        assert_eq!(message_ids("<a@x> <b@y>\r\n <c@z>"), vec!["a@x", "b@y", "c@z"]);
        assert_eq!(bare_message_id(" <id@host> ").as_deref(), Some("id@host"));
        assert_eq!(reply_subject(Some("Offer")), "Re: Offer");
        assert_eq!(reply_subject(Some("RE: Offer")), "RE: Offer");
    }

    #[test]
    fn statuses_move_as_messages_come_and_go() {
        use ConversationStatus::*;
        assert_eq!(New.after(Direction::Inbound), New);
        assert_eq!(Waiting.after(Direction::Inbound), Open);
        assert_eq!(Closed.after(Direction::Inbound), Open);
        assert_eq!(New.after(Direction::Outbound), Waiting);
        assert_eq!(CallStatus::Answered.advance(CallStatus::Ringing), CallStatus::Answered);
        assert_eq!(CallStatus::Ringing.advance(CallStatus::Missed), CallStatus::Missed);
        assert_eq!(CallStatus::Ended.advance(CallStatus::Missed), CallStatus::Ended);
    }

    #[test]
    fn working_hours() {
        let w = WorkingHours {
            utc_offset_minutes: 60,
            days: vec![1, 2, 3, 4, 5],
            from: "09:00".into(),
            to: "18:00".into(),
        };
        // Thursday 2026-12-03 08:30 UTC is 09:30 at UTC+1.
        let at = "2026-12-03T08:30:00Z".parse::<DateTime<Utc>>().unwrap();
        assert!(w.contains(at));
        assert!(!w.contains(at + Duration::hours(10)));
        // Saturday.
        assert!(!w.contains(at + Duration::days(2)));
    }

    #[test]
    fn templates_fill_and_report_unknown_names() {
        let vars: BTreeMap<String, String> = [("contact.first_name".to_owned(), "<Ann>".to_owned())].into();
        let mut unknown = vec![];
        assert_eq!(render_template("Hi {{ contact.first_name }}!{{x}}", &vars, true, &mut unknown), "Hi &lt;Ann&gt;!");
        assert_eq!(unknown, vec!["x"]);
    }

    #[test]
    fn text_becomes_html_with_links() {
        assert_eq!(
            text_to_html("See https://acme.test/a?b=1&c=2.\n<b>x</b>\n\nBye"),
            "<p>See <a href=\"https://acme.test/a?b=1&amp;c=2\">https://acme.test/a?b=1&amp;c=2</a>.<br>&lt;b&gt;x&lt;/b&gt;</p>\n<p>Bye</p>"
        );
    }

    #[test]
    fn keywords() {
        let k = vec!["price".to_owned(), "opening hours".to_owned()];
        assert!(matches_keywords("What is the PRICE?", &k));
        assert!(matches_keywords("your opening   hours please", &k));
        assert!(!matches_keywords("priceless", &k));
    }

    #[test]
    fn secrets_never_show_in_debug() {
        let s = Secrets([("smtp_password".to_owned(), "hunter2".to_owned())].into());
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn settings_are_checked_per_kind() {
        let mut p = Problems::new();
        let s: Map<String, Value> =
            serde_json::from_value(serde_json::json!({"smtp_tls": "ssl", "bogus": 1, "smtp_port": "x"})).unwrap();
        check_settings(ChannelKind::Email, &s, &mut p);
        let crate::Error::Validation(v) = p.into_result().unwrap_err() else { panic!() };
        let f: Vec<_> = v.iter().map(|e| e.field.as_str()).collect();
        assert!(
            f.contains(&"settings.bogus") && f.contains(&"settings.smtp_port") && f.contains(&"settings.from_address")
        );
        assert!(f.contains(&"settings.smtp_tls"));
    }
}
