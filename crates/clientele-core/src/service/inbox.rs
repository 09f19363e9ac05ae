//! The inbox: channels, conversations and their messages. Inbound messages (IMAP polling,
//! the raw-MIME webhook, provider webhooks, the chat widget) are threaded, matched to a client
//! by phone or e-mail (or create a lead with their source) and assigned; answers are queued as
//! jobs and sent by the worker, so a dead SMTP server or provider delays them and never
//! loses them, and a retried job never sends twice.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::users::{double_option, to_json};
use super::{Services, audit_entry, check_version};
use crate::authz::{Action, Actor, Area, RecordKind, Scope, check_area, check_record, scope};
use crate::comms::{InboundMessage, InboundRequest, OutboundMessage, OutgoingEmail, ParsedEmail, SendError};
use crate::domain::audit;
use crate::domain::client::{EmailInput, PhoneInput, opt_text};
use crate::domain::inbox::{
    Attachment, Channel, ChannelKind, Conversation, ConversationStatus, Direction, Message, MessageStatus, Secrets,
    check_settings, reply_references, reply_subject, text_to_html,
};
use crate::domain::job::Job;
use crate::domain::lead::LeadInput;
use crate::domain::page::Cursor;
use crate::domain::phone::{PhoneParse, parse_phone};
use crate::domain::secret::{random_token, same_secret};
use crate::domain::user::Role;
use crate::domain::{new_id, now};
use crate::error::{Error, Problems, Result};
use crate::store::{InboxQuery, MessageWrite};

/// Attempts of a send before the message is given up (backoff caps at an hour: about two
/// days of an unreachable server).
pub const SEND_ATTEMPTS: i64 = 50;
/// Default seconds between two IMAP polls of a mailbox.
pub const POLL_SECONDS: u64 = 60;
const MAX_TEXT: usize = 100_000;

/// `POST /channels` and (merged over the stored one) `PATCH /channels/{id}`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelInput {
    /// email, sms, messenger, chat, phone or form (not changed later).
    pub kind: Option<String>,
    /// Default: the kind's first provider (smtp, twilio, telegram, widget, webhook, form); phone also `ari`.
    pub provider: Option<String>,
    pub name: Option<String>,
    pub active: Option<bool>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub owner_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub assignee_id: Option<Option<Uuid>>,
    /// Non-secret settings of the kind (see docs/COMMUNICATIONS.md); replaces the stored ones.
    #[schema(value_type = Option<Object>)]
    pub settings: Option<Map<String, Value>>,
    /// Secrets to set (`null` removes one); never returned.
    #[schema(value_type = Option<Object>)]
    pub secrets: Option<Map<String, Value>>,
}

/// A channel as the API shows it: secrets are named, never shown (except a webhook secret
/// Clientele generated, once, in the answer that created it).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChannelView {
    #[serde(flatten)]
    pub channel: Channel,
    /// Which secrets are set.
    pub secrets_set: Vec<String>,
    /// Where the provider sends its webhooks.
    pub webhook_url: Option<String>,
    /// The generated webhook secret, only in the answer that created the channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_secret: Option<String>,
    /// For chat channels: the snippet to put on a website.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
}

/// `GET /inbox`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct InboxRequest {
    /// Comma-separated: new, open, waiting, closed; `active` (the default) is all but closed; `all`.
    pub status: Option<String>,
    /// A channel kind: email, sms, messenger, chat, phone, form.
    pub channel: Option<String>,
    pub channel_id: Option<Uuid>,
    /// `me`, `none` (unassigned) or a user id.
    pub assignee: Option<String>,
    pub contact_id: Option<Uuid>,
    pub company_id: Option<Uuid>,
    /// Only conversations with unread messages.
    pub unread: Option<bool>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InboxPage {
    pub data: Vec<Conversation>,
    pub next_cursor: Option<String>,
    /// Unread messages per channel kind (open conversations within reach).
    pub unread: BTreeMap<String, i64>,
}

/// A conversation with its messages (oldest first).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConversationView {
    #[serde(flatten)]
    pub conversation: Conversation,
    pub channel_name: Option<String>,
    pub messages: Vec<Message>,
    /// Whether an answer can be sent from it (an active channel that sends).
    pub can_reply: bool,
}

/// `PATCH /inbox/{id}`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConversationPatch {
    pub status: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub assignee_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub contact_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub company_id: Option<Option<Uuid>>,
}

/// `POST /inbox/{id}/messages`: an answer in the conversation's channel.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyRequest {
    /// The text (required unless `template_id` is given).
    #[serde(default)]
    pub text: Option<String>,
    /// E-mail: an HTML body instead of the text turned into paragraphs.
    #[serde(default)]
    pub html: Option<String>,
    /// E-mail: default `Re: ` and the thread's subject.
    #[serde(default)]
    pub subject: Option<String>,
    /// E-mail: files to attach (e.g. an invoice PDF's `file_id`).
    #[serde(default)]
    pub attachment_ids: Vec<Uuid>,
    /// Fill subject and body from this e-mail template (its variables from the client, deal
    /// and manager).
    #[serde(default)]
    pub template_id: Option<Uuid>,
    /// The template's language (default: the manager's, else English).
    #[serde(default)]
    pub locale: Option<String>,
    /// The deal whose fields fill `deal.*` template variables.
    #[serde(default)]
    pub deal_id: Option<Uuid>,
    /// E-mail: open and click tracking (default true).
    #[serde(default)]
    pub track: Option<bool>,
}

/// `POST /inbox/compose`: a first e-mail or text to someone.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComposeRequest {
    pub channel_id: Uuid,
    /// An e-mail address or a phone number.
    pub to: String,
    #[serde(default)]
    pub contact_id: Option<Uuid>,
    #[serde(flatten)]
    pub reply: ReplyRequest,
}

/// An inbound message on its way into a conversation.
#[derive(Debug, Clone, Default)]
pub(crate) struct Incoming {
    pub peer: String,
    pub peer_name: Option<String>,
    /// Contact points to match the client by.
    pub email: Option<String>,
    pub phone: Option<String>,
    pub subject: Option<String>,
    pub text: String,
    pub html: Option<String>,
    pub to_addrs: Vec<String>,
    pub external_id: Option<String>,
    pub rfc_message_id: Option<String>,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub attachments: Vec<Attachment>,
    /// Sent by a machine (auto-replies, bulk): never answered automatically.
    pub automatic: bool,
    pub meta: Map<String, Value>,
    /// The lead this request already made (a form submission), instead of matching.
    pub lead_id: Option<Uuid>,
    /// The kind a new conversation shows (a form's submission on its e-mail channel).
    pub kind: Option<ChannelKind>,
}

fn base_url(s: &Services) -> String {
    s.comms.public_url.trim_end_matches('/').to_owned()
}

fn uses_webhook_secret(kind: ChannelKind) -> bool {
    kind.secret_names().contains(&"webhook_secret")
}

fn sends(c: &Channel) -> bool {
    c.active
        && match c.kind {
            ChannelKind::Email => c.setting("smtp_host").is_some(),
            ChannelKind::Sms | ChannelKind::Messenger | ChannelKind::Chat => true,
            ChannelKind::Phone | ChannelKind::Form => false,
        }
}

/// The domain part of the channel's address, for Message-IDs.
fn mail_domain(c: &Channel) -> String {
    c.setting("from_address")
        .and_then(|a| a.rsplit_once('@'))
        .map(|(_, d)| d.to_owned())
        .unwrap_or("clientele.invalid".into())
}

impl Services {
    pub(crate) fn view_channel(&self, c: Channel, webhook_secret: Option<String>) -> ChannelView {
        let base = base_url(self);
        let key = &c.public_key;
        let webhook_url = match c.kind {
            ChannelKind::Email => Some(format!("{base}/api/v1/hooks/email/{key}")),
            ChannelKind::Sms | ChannelKind::Messenger => Some(format!("{base}/api/v1/hooks/channels/{key}")),
            ChannelKind::Phone => Some(format!("{base}/api/v1/hooks/calls/{key}")),
            ChannelKind::Chat | ChannelKind::Form => None,
        };
        let snippet = (c.kind == ChannelKind::Chat)
            .then(|| format!("<script src=\"{base}/chat/widget.js\" data-channel=\"{key}\" async></script>"));
        ChannelView {
            secrets_set: c.secrets.0.keys().cloned().collect(),
            channel: c,
            webhook_url,
            webhook_secret,
            snippet,
        }
    }

    pub async fn list_channels(&self, actor: &Actor) -> Result<Vec<ChannelView>> {
        check_area(actor, Area::Directory, Action::Read)?;
        Ok(self.store.list_channels().await?.into_iter().map(|c| self.view_channel(c, None)).collect())
    }

    pub async fn get_channel(&self, actor: &Actor, id: Uuid) -> Result<ChannelView> {
        check_area(actor, Area::Directory, Action::Read)?;
        let c = self.store.get_channel(id).await?.ok_or(Error::NotFound("channel"))?;
        Ok(self.view_channel(c, None))
    }

    /// Validates `input` over `c` (every bad field named).
    async fn apply_channel_input(&self, c: &mut Channel, input: ChannelInput, creating: bool) -> Result<()> {
        let mut p = Problems::new();
        if creating {
            match input.kind.as_deref().map(ChannelKind::parse) {
                Some(Some(k)) => c.kind = k,
                Some(None) => p.add("kind", "must be email, sms, messenger, chat, phone or form"),
                None => p.add("kind", "is required"),
            }
        } else if input.kind.as_deref().is_some_and(|k| k != c.kind.as_str()) {
            p.add("kind", "a channel's kind cannot change; create another channel");
        }
        let providers = c.kind.providers();
        match input.provider.as_deref().map(str::trim) {
            Some(pr) if providers.contains(&pr) => c.provider = pr.to_owned(),
            Some(pr) => p.add(
                "provider",
                format!("`{pr}` is not a provider of {} channels ({})", c.kind.as_str(), providers.join(", ")),
            ),
            None if creating => c.provider = providers[0].to_owned(),
            None => {}
        }
        if let Some(n) = &input.name {
            c.name = opt_text("name", Some(n), 200, false, &mut p).unwrap_or_default();
        }
        if c.name.is_empty() {
            p.add("name", "is required");
        }
        if let Some(a) = input.active {
            c.active = a;
        }
        for (field, v) in [("owner_id", input.owner_id), ("assignee_id", input.assignee_id)] {
            if let Some(v) = v {
                if let Some(u) = v
                    && self.store.get_user(u).await?.is_none_or(|u| !u.active)
                {
                    p.add(field, "no such active user");
                }
                if field == "owner_id" {
                    c.owner_id = v;
                } else {
                    c.assignee_id = v;
                }
            }
        }
        if let Some(s) = input.settings {
            c.settings = s;
        }
        check_settings(c.kind, &c.settings, &mut p);
        if let Some(sec) = input.secrets {
            for (k, v) in sec {
                if !c.kind.secret_names().contains(&k.as_str()) {
                    p.add(
                        format!("secrets.{k}"),
                        format!(
                            "is not a secret of {} channels ({})",
                            c.kind.as_str(),
                            c.kind.secret_names().join(", ")
                        ),
                    );
                    continue;
                }
                match v {
                    Value::Null => {
                        c.secrets.0.remove(&k);
                    }
                    Value::String(s) if !s.is_empty() && s.len() <= 4096 => {
                        c.secrets.0.insert(k, s);
                    }
                    _ => p.add(format!("secrets.{k}"), "must be text (or null to remove it)"),
                }
            }
        }
        p.into_result()
    }

    pub async fn create_channel(&self, actor: &Actor, input: ChannelInput) -> Result<ChannelView> {
        check_area(actor, Area::Settings, Action::Create)?;
        let at = now();
        let mut c = Channel {
            id: new_id(),
            version: 1,
            kind: ChannelKind::Email,
            provider: String::new(),
            name: String::new(),
            active: true,
            owner_id: None,
            assignee_id: None,
            public_key: random_token(),
            settings: Map::new(),
            secrets: Secrets::default(),
            created_at: at,
            updated_at: at,
        };
        self.apply_channel_input(&mut c, input, true).await?;
        let generated = (uses_webhook_secret(c.kind) && c.secrets.get("webhook_secret").is_none()).then(random_token);
        if let Some(s) = &generated {
            c.secrets.0.insert("webhook_secret".into(), s.clone());
        }
        let audit = audit_entry(
            actor,
            "create",
            "channel",
            c.id,
            audit::created(&to_json(&self.view_channel(c.clone(), None))),
        );
        self.store.save_channel(&c, None, &audit).await?;
        if c.polls_imap() {
            self.start_polling(&c).await?;
        }
        Ok(self.view_channel(c, generated))
    }

    pub async fn update_channel(
        &self,
        actor: &Actor,
        id: Uuid,
        input: ChannelInput,
        if_match: Option<i64>,
    ) -> Result<ChannelView> {
        check_area(actor, Area::Settings, Action::Update)?;
        let current = self.store.get_channel(id).await?.ok_or(Error::NotFound("channel"))?;
        check_version(if_match, current.version)?;
        let mut next = current.clone();
        self.apply_channel_input(&mut next, input, false).await?;
        if next == current {
            return Ok(self.view_channel(current, None));
        }
        next.version += 1;
        next.updated_at = now();
        // Secrets are compared by name only in the audit log.
        let audit = audit_entry(
            actor,
            "update",
            "channel",
            id,
            audit::diff(
                &to_json(&self.view_channel(current.clone(), None)),
                &to_json(&self.view_channel(next.clone(), None)),
            ),
        );
        self.store.save_channel(&next, Some(current.version), &audit).await?;
        if next.polls_imap() && !current.polls_imap() {
            self.start_polling(&next).await?;
        }
        Ok(self.view_channel(next, None))
    }

    // ---------------- conversations

    /// May the actor see the conversation (unassigned ones are open to everyone who works
    /// the inbox; others follow their assignee like owned records)?
    fn conversation_check(
        &self,
        actor: &Actor,
        c: &Conversation,
        action: Action,
        owner_team: Option<Uuid>,
    ) -> Result<()> {
        if c.assignee_id.is_none() {
            return if action == Action::Read || actor.role != Role::Readonly {
                Ok(())
            } else {
                Err(Error::Forbidden("your role cannot answer conversations".into()))
            };
        }
        check_record(
            actor,
            RecordKind::Conversation,
            action,
            crate::authz::Ownership { owner_id: c.assignee_id, owner_team },
        )
    }

    pub(crate) async fn conversation_for(&self, actor: &Actor, id: Uuid, action: Action) -> Result<Conversation> {
        let c = self.store.get_conversation(id).await?.ok_or(Error::NotFound("conversation"))?;
        let team = match c.assignee_id {
            Some(u) => self.store.team_of_user(u).await?,
            None => None,
        };
        self.conversation_check(actor, &c, action, team)?;
        Ok(c)
    }

    fn inbox_query(&self, actor: &Actor) -> InboxQuery {
        InboxQuery {
            scope: scope(actor, RecordKind::Conversation, Action::Read),
            unassigned_visible: true,
            statuses: vec![],
            channel_kind: None,
            channel_id: None,
            assignee: None,
            contact_id: None,
            company_id: None,
            unread_only: false,
            limit: 50,
            after: None,
        }
    }

    pub async fn list_inbox(&self, actor: &Actor, req: &InboxRequest) -> Result<InboxPage> {
        let mut q = self.inbox_query(actor);
        let mut p = Problems::new();
        match req.status.as_deref().map(str::trim).filter(|s| !s.is_empty() && *s != "active") {
            None => q.statuses = vec![ConversationStatus::New, ConversationStatus::Open, ConversationStatus::Waiting],
            Some("all") => {}
            Some(list) => {
                for s in list.split(',') {
                    match ConversationStatus::parse(s) {
                        Some(st) => q.statuses.push(st),
                        None => p.add("status", format!("`{s}` is not a status (new, open, waiting, closed, all)")),
                    }
                }
            }
        }
        if let Some(k) = req.channel.as_deref().filter(|s| !s.trim().is_empty()) {
            match ChannelKind::parse(k) {
                Some(k) => q.channel_kind = Some(k),
                None => p.add("channel", "must be email, sms, messenger, chat, phone or form"),
            }
        }
        q.channel_id = req.channel_id;
        match req.assignee.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => {}
            Some("me") => q.assignee = Some(Some(actor.user_id)),
            Some("none") => q.assignee = Some(None),
            Some(u) => match Uuid::parse_str(u) {
                Ok(u) => q.assignee = Some(Some(u)),
                Err(_) => p.add("assignee", "must be me, none or a user id"),
            },
        }
        q.contact_id = req.contact_id;
        q.company_id = req.company_id;
        q.unread_only = req.unread.unwrap_or(false);
        q.limit = match req.limit {
            None => 50,
            Some(n) if (1..=200).contains(&n) => n,
            Some(_) => {
                p.add("limit", "must be from 1 to 200");
                50
            }
        };
        if let Some(c) = req.cursor.as_deref().filter(|s| !s.trim().is_empty()) {
            match Cursor::decode("cursor", c, "inbox") {
                Ok(c) => match c.v.as_str().and_then(|t| t.parse().ok()) {
                    Some(at) => q.after = Some((at, c.id)),
                    None => p.add("cursor", "is not a valid cursor"),
                },
                Err(e) => p.add(e.field, e.message),
            }
        }
        p.into_result()?;
        let limit = q.limit;
        q.limit = limit + 1;
        let mut data = self.store.list_conversations(&q).await?;
        let next_cursor = if data.len() > limit as usize {
            data.truncate(limit as usize);
            data.last().map(|c| Cursor { s: "inbox".into(), v: json!(c.last_message_at), id: c.id }.encode())
        } else {
            None
        };
        let unread = self.store.unread_by_kind(&self.inbox_query(actor)).await?.into_iter().collect();
        Ok(InboxPage { data, next_cursor, unread })
    }

    /// Unread inbound messages within the actor's reach (the navigation badge).
    pub async fn inbox_unread(&self, actor: &Actor) -> Result<i64> {
        Ok(self.store.unread_by_kind(&self.inbox_query(actor)).await?.iter().map(|(_, n)| n).sum())
    }

    pub async fn get_conversation(&self, actor: &Actor, id: Uuid) -> Result<ConversationView> {
        let conversation = self.conversation_for(actor, id, Action::Read).await?;
        let messages = self.store.messages_of(id, 500).await?;
        let channel = match conversation.channel_id {
            Some(ch) => self.store.get_channel(ch).await?,
            None => None,
        };
        Ok(ConversationView {
            can_reply: channel.as_ref().is_some_and(sends) && actor.role != Role::Readonly,
            channel_name: channel.map(|c| c.name),
            conversation,
            messages,
        })
    }

    /// Messages that arrived or went out after `after` (live updates of an open conversation).
    pub async fn conversation_messages_after(
        &self,
        actor: &Actor,
        id: Uuid,
        after: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<Message>> {
        self.conversation_for(actor, id, Action::Read).await?;
        self.store.messages_after(id, after).await
    }

    /// The reader has seen every message of the conversation.
    pub async fn mark_conversation_read(&self, actor: &Actor, id: Uuid) -> Result<()> {
        self.conversation_for(actor, id, Action::Read).await?;
        self.store.mark_conversation_read(id).await
    }

    pub async fn update_conversation(
        &self,
        actor: &Actor,
        id: Uuid,
        patch: ConversationPatch,
        if_match: Option<i64>,
    ) -> Result<Conversation> {
        let current = self.conversation_for(actor, id, Action::Update).await?;
        check_version(if_match, current.version)?;
        let mut next = current.clone();
        let mut p = Problems::new();
        if let Some(s) = patch.status.as_deref() {
            match ConversationStatus::parse(s) {
                Some(st) => next.status = st,
                None => p.add("status", "must be new, open, waiting or closed"),
            }
        }
        if let Some(a) = patch.assignee_id {
            if let Some(u) = a {
                match self.store.get_user(u).await? {
                    Some(user) if user.active => {
                        let team = self.store.team_of_user(u).await?;
                        let probe = Conversation { assignee_id: Some(u), ..current.clone() };
                        if u != actor.user_id || actor.role == Role::Readonly {
                            self.conversation_check(actor, &probe, Action::Update, team).map_err(|_| {
                                Error::Forbidden("your role cannot hand conversations to that user".into())
                            })?;
                        }
                    }
                    _ => p.add("assignee_id", "no such active user"),
                }
            }
            next.assignee_id = a;
        }
        if let Some(c) = patch.contact_id {
            if let Some(cid) = c
                && self.get_contact(actor, cid).await.is_err()
            {
                p.add("contact_id", "no such contact");
            }
            next.contact_id = c;
        }
        if let Some(c) = patch.company_id {
            if let Some(cid) = c
                && self.get_company(actor, cid).await.is_err()
            {
                p.add("company_id", "no such company");
            }
            next.company_id = c;
        }
        p.into_result()?;
        if next == current {
            return Ok(current);
        }
        next.version += 1;
        next.updated_at = now();
        let audit = audit_entry(actor, "update", "conversation", id, audit::diff(&to_json(&current), &to_json(&next)));
        self.store.update_conversation(&next, current.version, &audit).await?;
        Ok(next)
    }

    // ---------------- inbound

    /// The client behind a phone or an e-mail: (contact, company, their owner).
    pub(crate) async fn match_client(
        &self,
        phone: Option<&str>,
        email: Option<&str>,
    ) -> Result<(Option<Uuid>, Option<Uuid>, Option<Uuid>)> {
        let mut points = Vec::new();
        if let Some(p) = phone {
            points.push(("phone".to_owned(), p.to_owned()));
        }
        if let Some(e) = email {
            points.push(("email".to_owned(), e.to_lowercase()));
        }
        if points.is_empty() {
            return Ok((None, None, None));
        }
        let found = self.store.find_by_points(&points, None).await?;
        for (t, id) in &found {
            if t == "contact"
                && let Some(c) = self.store.get_contact(*id).await?.filter(|c| c.deleted_at.is_none())
            {
                return Ok((Some(c.id), c.company_id, c.owner_id));
            }
        }
        for (t, id) in &found {
            if t == "company"
                && let Some(c) = self.store.get_company(*id).await?.filter(|c| c.deleted_at.is_none())
            {
                return Ok((None, Some(c.id), c.owner_id));
            }
        }
        Ok((None, None, None))
    }

    /// A number as the client base keeps it (E.164), when it is one.
    pub(crate) fn e164(&self, raw: &str) -> Option<String> {
        match parse_phone("phone", raw, self.settings.default_region) {
            Ok(PhoneParse::Valid { e164 }) => Some(e164),
            _ => None,
        }
    }

    /// Files an inbound message: threads it, matches (or creates a lead), assigns, stores it
    /// and runs what follows (sequence stops, the bot's first answer). `None` when the same
    /// message was stored before.
    pub(crate) async fn receive(&self, ch: &Channel, inc: Incoming) -> Result<Option<(Conversation, Message)>> {
        let at = now();
        // Threading: an e-mail answers a stored one by its ids; other channels continue the
        // open conversation with the same peer.
        let mut thread = None;
        if ch.kind == ChannelKind::Email || ch.kind == ChannelKind::Form {
            let mut ids = inc.references.clone();
            ids.extend(inc.in_reply_to.clone());
            if let Some(m) = self.store.message_by_rfc_ids(&ids).await? {
                thread = self.store.get_conversation(m.conversation_id).await?;
            }
        } else {
            thread = self.store.open_conversation(ch.id, &inc.peer).await?;
        }
        let insert = thread.is_none();
        let mut conv = match thread {
            Some(c) => c,
            None => {
                let (contact_id, company_id, owner) =
                    self.match_client(inc.phone.as_deref(), inc.email.as_deref()).await?;
                let assignee = owner.or(ch.owner_id).or(ch.assignee_id);
                let lead_id = if inc.lead_id.is_some() {
                    inc.lead_id
                } else if contact_id.is_none() && company_id.is_none() {
                    Some(self.lead_from(ch, &inc, assignee).await?)
                } else {
                    None
                };
                Conversation {
                    id: new_id(),
                    version: 1,
                    channel_id: Some(ch.id),
                    channel_kind: inc.kind.unwrap_or(ch.kind),
                    subject: inc.subject.clone(),
                    status: ConversationStatus::New,
                    assignee_id: assignee,
                    contact_id,
                    company_id,
                    lead_id,
                    peer: inc.peer.clone(),
                    peer_name: inc.peer_name.clone(),
                    unread: 0,
                    last_message_at: at,
                    preview: String::new(),
                    created_at: at,
                    updated_at: at,
                }
            }
        };
        let msg = Message {
            id: new_id(),
            conversation_id: conv.id,
            channel_id: Some(ch.id),
            direction: Direction::Inbound,
            status: MessageStatus::Received,
            from_addr: inc.peer.clone(),
            from_name: inc.peer_name.clone(),
            to_addrs: inc.to_addrs.clone(),
            subject: inc.subject.clone(),
            body_text: inc.text.chars().take(MAX_TEXT).collect(),
            body_html: inc.html.clone(),
            rfc_message_id: inc.rfc_message_id.clone(),
            in_reply_to: inc.in_reply_to.clone(),
            references: inc.references.clone(),
            external_id: inc.external_id.clone(),
            author_id: None,
            attempts: 0,
            last_error: None,
            tracking_token: None,
            attachments: inc.attachments.clone(),
            meta: inc.meta.clone(),
            sequence_id: None,
            sequence_step: None,
            created_at: at,
            sent_at: None,
        };
        conv.status = conv.status.after(Direction::Inbound);
        conv.last_message_at = at;
        conv.preview = msg.preview();
        conv.updated_at = at;
        if insert {
            conv.unread = 1;
        }
        let w = MessageWrite {
            conversation: conv.clone(),
            insert_conversation: insert,
            unread_delta: 1,
            message: msg.clone(),
            job: None,
        };
        if !self.store.save_message(&w).await? {
            return Ok(None);
        }
        let stored = self.store.get_conversation(conv.id).await?.unwrap_or_else(|| conv.clone());
        self.log_message(&stored, &msg).await?;
        self.after_inbound(ch, &conv, &msg, inc.automatic, inc.email.as_deref()).await?;
        Ok(Some((conv, msg)))
    }

    /// A new lead for someone the client base does not know, with the channel as its source.
    pub(crate) async fn lead_from(&self, ch: &Channel, inc: &Incoming, owner: Option<Uuid>) -> Result<Uuid> {
        let name = inc.peer_name.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| inc.peer.clone());
        let input = LeadInput {
            name: Some(name.chars().take(200).collect()),
            phones: inc.phone.iter().map(|p| PhoneInput::Plain(p.clone())).collect(),
            emails: inc.email.iter().map(|e| EmailInput::Plain(e.clone())).collect(),
            source: Some(inc.meta.get("source").and_then(Value::as_str).unwrap_or(ch.kind.as_str()).to_owned()),
            utm_source: inc.meta.get("utm_source").and_then(Value::as_str).map(str::to_owned),
            utm_medium: inc.meta.get("utm_medium").and_then(Value::as_str).map(str::to_owned),
            utm_campaign: inc.meta.get("utm_campaign").and_then(Value::as_str).map(str::to_owned),
            utm_term: inc.meta.get("utm_term").and_then(Value::as_str).map(str::to_owned),
            utm_content: inc.meta.get("utm_content").and_then(Value::as_str).map(str::to_owned),
            referrer: inc.meta.get("referrer").and_then(Value::as_str).map(str::to_owned),
            landing_page: inc.meta.get("landing_page").and_then(Value::as_str).map(str::to_owned),
            owner_id: owner,
            notes: Some(inc.text.chars().take(2000).collect()).filter(|t: &String| !t.trim().is_empty()),
            ..LeadInput::default()
        };
        let system = Actor::system(&format!("inbox: {}", ch.name));
        match self.create_lead(&system, input.clone()).await {
            Ok(l) => Ok(l.id),
            // A contact point the lead rules refuse (a malformed number) must not lose the
            // message: keep the lead without it.
            Err(Error::Validation(_)) => {
                let l = self
                    .create_lead(&system, LeadInput { phones: vec![], emails: vec![], notes: None, ..input })
                    .await?;
                Ok(l.id)
            }
            Err(e) => Err(e),
        }
    }

    /// An RFC 5322 message into the channel (IMAP, the MIME webhook). `None` when it was
    /// stored before.
    pub(crate) async fn receive_email(
        &self,
        ch: &Channel,
        parsed: ParsedEmail,
        external_id: String,
    ) -> Result<Option<(Conversation, Message)>> {
        let from = parsed.from_addr.clone().unwrap_or_default().to_lowercase();
        let mut attachments = Vec::new();
        for (name, ct, bytes) in &parsed.attachments {
            let f = self.store_file(name, ct, None, std::iter::once(Ok(bytes.clone()))).await?;
            attachments.push(Attachment { file_id: f.id, name: f.name, content_type: f.content_type, size: f.size });
        }
        let inc = Incoming {
            peer: from.clone(),
            peer_name: parsed.from_name.clone(),
            email: Some(from).filter(|f| f.contains('@')),
            phone: None,
            subject: parsed.subject.clone(),
            text: parsed.text.clone(),
            html: parsed.html.clone(),
            to_addrs: parsed.to.clone(),
            external_id: Some(external_id),
            rfc_message_id: parsed.message_id.clone(),
            in_reply_to: parsed.in_reply_to.clone(),
            references: parsed.references.clone(),
            attachments,
            automatic: parsed.automatic,
            ..Incoming::default()
        };
        self.receive(ch, inc).await
    }

    /// The raw-MIME webhook: a mail service pushes one RFC 5322 message, authenticated by the
    /// channel's webhook secret (`X-Webhook-Secret`).
    pub async fn email_webhook(&self, key: &str, req: &InboundRequest) -> Result<Option<Uuid>> {
        let ch = self.hook_channel(key, ChannelKind::Email).await?;
        let presented = req.header("x-webhook-secret").unwrap_or("");
        if !ch.secrets.get("webhook_secret").is_some_and(|s| same_secret(s, presented.trim())) {
            return Err(Error::Unauthenticated("wrong or missing webhook secret".into()));
        }
        let parsed =
            self.comms.mail.parse(&req.body).ok_or_else(|| Error::invalid("body", "is not an RFC 5322 message"))?;
        let ext = parsed.message_id.clone().map(|m| format!("mid:{m}")).unwrap_or_else(|| {
            format!("sha:{}", crate::domain::secret::token_hash(&String::from_utf8_lossy(&req.body)))
        });
        Ok(self.receive_email(&ch, parsed, ext).await?.map(|(_, m)| m.id))
    }

    pub(crate) async fn hook_channel(&self, key: &str, kind: ChannelKind) -> Result<Channel> {
        match self.store.channel_by_key(key).await? {
            Some(c) if c.active && c.kind == kind => Ok(c),
            _ => Err(Error::NotFound("channel")),
        }
    }

    /// A provider's webhook (SMS, messenger): verified and parsed by the channel's adapter.
    pub async fn provider_webhook(&self, key: &str, req: &InboundRequest) -> Result<(&'static str, String)> {
        let ch = match self.store.channel_by_key(key).await? {
            Some(c) if c.active => c,
            _ => return Err(Error::NotFound("channel")),
        };
        let adapter = self.comms.adapter(&ch.provider).ok_or(Error::NotFound("channel"))?.clone();
        if !adapter.verify(&ch, req) {
            return Err(Error::Unauthenticated("the webhook signature does not check out".into()));
        }
        for m in adapter.parse(&ch, req)? {
            self.receive_provider_message(&ch, m).await?;
        }
        Ok(adapter.ack())
    }

    async fn receive_provider_message(&self, ch: &Channel, m: InboundMessage) -> Result<()> {
        let phone = m.phone.as_deref().and_then(|p| self.e164(p));
        let peer = if ch.kind == ChannelKind::Sms { phone.clone().unwrap_or(m.from.clone()) } else { m.from.clone() };
        let inc = Incoming {
            peer,
            peer_name: m.from_name,
            phone,
            text: m.text,
            external_id: Some(m.external_id),
            ..Incoming::default()
        };
        self.receive(ch, inc).await?;
        Ok(())
    }

    // ---------------- outbound

    /// An answer in a conversation, queued for sending.
    pub async fn reply(&self, actor: &Actor, conversation_id: Uuid, req: ReplyRequest) -> Result<Message> {
        let conv = self.conversation_for(actor, conversation_id, Action::Update).await?;
        if actor.role == Role::Readonly {
            return Err(Error::Forbidden("your role cannot answer conversations".into()));
        }
        let ch = match conv.channel_id {
            Some(id) => self.store.get_channel(id).await?,
            None => None,
        }
        .filter(sends)
        .ok_or_else(|| {
            Error::conflict("channel_id", "this conversation's channel cannot send (inactive or without SMTP)")
        })?;
        let msgs = self.store.messages_of(conv.id, 50).await?;
        let parent = msgs.iter().rev().find(|m| m.direction == Direction::Inbound).or(msgs.last()).cloned();
        self.queue_outbound(actor, &ch, conv, parent.as_ref(), req, OutCtx::default()).await
    }

    /// A first message to someone on a channel: a new conversation with them.
    pub async fn compose(&self, actor: &Actor, req: ComposeRequest) -> Result<Message> {
        if actor.role == Role::Readonly {
            return Err(Error::Forbidden("your role cannot write to clients".into()));
        }
        let mut p = Problems::new();
        let ch = self.store.get_channel(req.channel_id).await?.filter(sends);
        if ch.is_none() {
            p.add("channel_id", "no such channel that sends");
        }
        let to = req.to.trim().to_owned();
        let (peer, email, phone) = match ch.as_ref().map(|c| c.kind) {
            Some(ChannelKind::Email) => match crate::domain::email::EmailAddress::parse(&to) {
                Ok(a) => (a.as_str().to_owned(), Some(a.as_str().to_owned()), None),
                Err(m) => {
                    p.add("to", m);
                    (to.clone(), None, None)
                }
            },
            Some(ChannelKind::Sms) => match self.e164(&to) {
                Some(e) => (e.clone(), None, Some(e)),
                None => {
                    p.add("to", "is not a complete phone number");
                    (to.clone(), None, None)
                }
            },
            _ => (to.clone(), None, None),
        };
        if let Some(cid) = req.contact_id
            && self.get_contact(actor, cid).await.is_err()
        {
            p.add("contact_id", "no such contact");
        }
        p.into_result()?;
        let Some(ch) = ch else { return Err(Error::NotFound("channel")) };
        let (mut contact_id, mut company_id, _) = self.match_client(phone.as_deref(), email.as_deref()).await?;
        if let Some(c) = req.contact_id {
            contact_id = Some(c);
            company_id = self.store.get_contact(c).await?.and_then(|c| c.company_id);
        }
        let at = now();
        let conv = Conversation {
            id: new_id(),
            version: 1,
            channel_id: Some(ch.id),
            channel_kind: ch.kind,
            subject: req.reply.subject.clone(),
            status: ConversationStatus::Open,
            assignee_id: (actor.kind != crate::authz::ActorKind::System).then_some(actor.user_id),
            contact_id,
            company_id,
            lead_id: None,
            peer,
            peer_name: None,
            unread: 0,
            last_message_at: at,
            preview: String::new(),
            created_at: at,
            updated_at: at,
        };
        self.queue_outbound_new(actor, &ch, conv, req.reply, OutCtx::default()).await
    }

    pub(crate) async fn queue_outbound_new(
        &self,
        actor: &Actor,
        ch: &Channel,
        conv: Conversation,
        req: ReplyRequest,
        ctx: OutCtx,
    ) -> Result<Message> {
        self.queue_outbound_inner(actor, ch, conv, true, None, req, ctx).await
    }

    pub(crate) async fn queue_outbound(
        &self,
        actor: &Actor,
        ch: &Channel,
        conv: Conversation,
        parent: Option<&Message>,
        req: ReplyRequest,
        ctx: OutCtx,
    ) -> Result<Message> {
        self.queue_outbound_inner(actor, ch, conv, false, parent, req, ctx).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn queue_outbound_inner(
        &self,
        actor: &Actor,
        ch: &Channel,
        mut conv: Conversation,
        insert: bool,
        parent: Option<&Message>,
        req: ReplyRequest,
        ctx: OutCtx,
    ) -> Result<Message> {
        let sequence = ctx.sequence;
        let mut p = Problems::new();
        let mut subject = req.subject.clone();
        let mut text = req.text.clone().unwrap_or_default();
        let mut html = req.html.clone();
        if let Some(t) = req.template_id {
            let (s, body_text, body_html) =
                self.render_for(actor, t, &conv, req.deal_id, req.locale.as_deref()).await?;
            subject = subject.or(Some(s));
            if text.trim().is_empty() {
                text = body_text;
            }
            html = html.or(body_html);
        }
        if text.trim().is_empty() && html.as_deref().is_none_or(|h| h.trim().is_empty()) {
            p.add("text", "is required");
        }
        if text.chars().count() > MAX_TEXT {
            p.add("text", format!("must be at most {MAX_TEXT} characters"));
        }
        let mut attachments = Vec::new();
        for (i, id) in req.attachment_ids.iter().enumerate() {
            match self.store.get_file(*id).await? {
                Some(f) if f.complete && ch.kind == ChannelKind::Email => attachments.push(Attachment {
                    file_id: f.id,
                    name: f.name,
                    content_type: f.content_type,
                    size: f.size,
                }),
                Some(_) if ch.kind != ChannelKind::Email => {
                    p.add(format!("attachment_ids[{i}]"), "only e-mails carry attachments")
                }
                _ => p.add(format!("attachment_ids[{i}]"), "no such file"),
            }
        }
        p.into_result()?;
        let at = now();
        let id = new_id();
        let author = if ctx.automatic {
            ctx.author
        } else {
            (actor.kind != crate::authz::ActorKind::System).then_some(actor.user_id)
        };
        let mut meta = Map::new();
        if ctx.automatic || author.is_none() {
            meta.insert("auto".into(), json!(true));
        }
        if let Some(rule) = ctx.bot_rule {
            meta.insert("bot_rule".into(), json!(rule));
        }
        let mut m = Message {
            id,
            conversation_id: conv.id,
            channel_id: Some(ch.id),
            direction: Direction::Outbound,
            status: MessageStatus::Pending,
            from_addr: ch.setting("from_address").or(ch.setting("from_number")).unwrap_or(&ch.name).to_owned(),
            from_name: ch.setting("from_name").map(str::to_owned),
            to_addrs: vec![conv.peer.clone()],
            subject: None,
            body_text: text.clone(),
            body_html: None,
            rfc_message_id: None,
            in_reply_to: None,
            references: vec![],
            external_id: None,
            author_id: author,
            attempts: 0,
            last_error: None,
            tracking_token: None,
            attachments,
            meta,
            sequence_id: sequence.map(|s| s.0),
            sequence_step: sequence.map(|s| s.1),
            created_at: at,
            sent_at: None,
        };
        if ch.kind == ChannelKind::Email {
            let subject = subject.filter(|s| !s.trim().is_empty()).unwrap_or_else(|| {
                reply_subject(parent.and_then(|m| m.subject.as_deref()).or(conv.subject.as_deref()))
            });
            m.subject = Some(subject);
            m.rfc_message_id = Some(format!("{}@{}", id.simple(), mail_domain(ch)));
            if let Some(parent) = parent {
                m.in_reply_to = parent.rfc_message_id.clone();
                m.references = reply_references(parent);
            }
            let token = random_token();
            let bulk = sequence.is_some();
            let body = html.unwrap_or_else(|| text_to_html(&text));
            m.body_html = Some(self.tracked_html(&body, &token, req.track.unwrap_or(true), bulk, &mut m.meta));
            if let Some(u) = m.meta.get("unsubscribe_url").and_then(Value::as_str) {
                m.body_text = m.body_text.replace(UNSUBSCRIBE_MARK, u);
                if !m.body_text.contains(u) {
                    m.body_text.push_str(&format!("\n\n--\n{u}"));
                }
            }
            m.tracking_token = Some(token);
            if bulk {
                m.meta.insert("bulk".into(), json!(true));
            }
        }
        if conv.subject.is_none() {
            conv.subject = m.subject.clone();
        }
        conv.status = conv.status.after(Direction::Outbound);
        conv.last_message_at = at;
        conv.preview = m.preview();
        conv.updated_at = at;
        if conv.assignee_id.is_none() {
            conv.assignee_id = author;
        }
        // The chat widget reads answers itself: nothing to hand over.
        let job = if ch.kind == ChannelKind::Chat {
            m.status = MessageStatus::Sent;
            m.sent_at = Some(at);
            None
        } else {
            let mut j = Job::new("message.send", json!({"id": id}), author, at);
            j.dedupe_key = Some(send_key(id));
            j.max_attempts = SEND_ATTEMPTS;
            Some(j)
        };
        let queued = job.is_some();
        let w =
            MessageWrite { conversation: conv, insert_conversation: insert, unread_delta: 0, message: m.clone(), job };
        self.store.save_message(&w).await?;
        if queued {
            self.wake.notify_one();
        }
        Ok(m)
    }

    /// Sends a failed or waiting message again now.
    pub async fn retry_message(&self, actor: &Actor, id: Uuid) -> Result<Message> {
        let m = self.store.get_message(id).await?.ok_or(Error::NotFound("message"))?;
        self.conversation_for(actor, m.conversation_id, Action::Update).await?;
        match m.status {
            MessageStatus::Pending | MessageStatus::Failed => {}
            _ => return Err(Error::conflict("status", "only pending or failed messages can be sent again")),
        }
        let job = self.store.nudge_job(&send_key(id), now()).await?;
        if let Some(job) = job
            && m.status == MessageStatus::Failed
        {
            self.store.reset_message(id).await?;
            self.store.retry_job(job, now()).await?;
        }
        self.wake.notify_one();
        self.store.get_message(id).await?.ok_or(Error::NotFound("message"))
    }

    /// The `message.send` job: hands the message to the SMTP server or provider. A message
    /// already sent is not sent again; the provider's acceptance is recorded as the message
    /// turns sent.
    pub(crate) async fn run_send(&self, id: Uuid) -> Result<()> {
        let m = self.store.get_message(id).await?.ok_or(Error::NotFound("message"))?;
        if m.status == MessageStatus::Sent || m.status == MessageStatus::Suppressed {
            return Ok(());
        }
        let ch = m.channel_id.map(|c| self.store.get_channel(c));
        let ch = match ch {
            Some(f) => f.await?.ok_or(Error::NotFound("channel"))?,
            None => return Err(Error::NotFound("channel")),
        };
        if m.meta.get("bulk").and_then(Value::as_bool).unwrap_or(false) && self.withdrawn(&ch, &m.to_addrs).await? {
            self.store.suppress_message(id, "the recipient withdrew consent").await?;
            return Ok(());
        }
        let result = match ch.kind {
            ChannelKind::Email => {
                let email = self.outgoing_email(&m).await?;
                self.comms.mail.send(&ch, &email).await.map(|reply| (None, reply))
            }
            _ => match self.comms.adapter(&ch.provider) {
                Some(a) => {
                    let out = OutboundMessage {
                        to: m.to_addrs.first().cloned().unwrap_or_default(),
                        text: m.body_text.clone(),
                        idempotency_key: m.id.to_string(),
                    };
                    a.send(&ch, &out).await.map(|d| (d.external_id, "accepted".to_owned()))
                }
                None => Err(SendError::Permanent(format!("no adapter for provider `{}`", ch.provider))),
            },
        };
        match result {
            Ok((external, reply)) => {
                if self.store.mark_sent(id, external.as_deref(), &reply, now()).await?
                    && let (Some(conv), Some(sent)) =
                        (self.store.get_conversation(m.conversation_id).await?, self.store.get_message(id).await?)
                {
                    self.log_message(&conv, &sent).await?;
                }
                Ok(())
            }
            Err(SendError::Transient(e)) => {
                self.store.record_send_failure(id, &e, false).await?;
                Err(Error::Internal(anyhow::anyhow!(e)))
            }
            Err(SendError::Permanent(e)) => {
                self.store.record_send_failure(id, &e, true).await?;
                Err(Error::invalid("to", e))
            }
        }
    }

    /// The send job died: the message is failed (and can be retried by hand).
    pub(crate) async fn send_buried(&self, id: Uuid, msg: &str) -> Result<()> {
        self.store.record_send_failure(id, msg, true).await
    }

    async fn outgoing_email(&self, m: &Message) -> Result<OutgoingEmail> {
        let mut attachments = Vec::new();
        for a in &m.attachments {
            let mut bytes = Vec::new();
            let mut seq = 0;
            while let Some(chunk) = self.store.get_chunk(a.file_id, seq).await? {
                bytes.extend_from_slice(&chunk);
                seq += 1;
            }
            attachments.push((a.name.clone(), a.content_type.clone(), bytes));
        }
        let mut headers = Vec::new();
        if let Some(u) = m.meta.get("unsubscribe_url").and_then(Value::as_str) {
            headers.push(("List-Unsubscribe".to_owned(), format!("<{u}>")));
            headers.push(("List-Unsubscribe-Post".to_owned(), "List-Unsubscribe=One-Click".to_owned()));
        }
        if m.meta.get("auto").and_then(Value::as_bool).unwrap_or(false) {
            headers.push(("Auto-Submitted".to_owned(), "auto-generated".to_owned()));
        }
        Ok(OutgoingEmail {
            from_addr: m.from_addr.clone(),
            from_name: m.from_name.clone(),
            to: m.to_addrs.clone(),
            subject: m.subject.clone().unwrap_or_default(),
            text: m.body_text.clone(),
            html: m.body_html.clone(),
            message_id: m.rfc_message_id.clone().unwrap_or_else(|| format!("{}@clientele.invalid", m.id.simple())),
            in_reply_to: m.in_reply_to.clone(),
            references: m.references.clone(),
            attachments,
            headers,
        })
    }

    // ---------------- IMAP polling

    /// Starts the recurring poll of a mailbox (a chain of jobs, one queued at a time).
    pub(crate) async fn start_polling(&self, ch: &Channel) -> Result<()> {
        self.schedule_poll(ch.id, now()).await
    }

    async fn schedule_poll(&self, channel_id: Uuid, at: chrono::DateTime<chrono::Utc>) -> Result<()> {
        let key = format!("mailbox.poll:{channel_id}:{}", at.timestamp_micros());
        let mut state = self.store.channel_state(channel_id).await?;
        if !state.is_object() {
            state = json!({});
        }
        state["next_key"] = json!(key);
        self.store.set_channel_state(channel_id, &state).await?;
        let mut job = Job::new("mailbox.poll", json!({"id": channel_id, "key": key}), None, now());
        job.run_at = at;
        job.dedupe_key = Some(key);
        self.store.enqueue(&job).await?;
        self.wake.notify_one();
        Ok(())
    }

    /// Every mailbox that should be polled has its chain (after a restart, or a chain whose
    /// job died).
    pub async fn ensure_polling(&self) -> Result<()> {
        for ch in self.store.list_channels().await? {
            if !ch.polls_imap() {
                continue;
            }
            let state = self.store.channel_state(ch.id).await?;
            let alive = match state.get("next_key").and_then(Value::as_str) {
                Some(k) => self.store.job_status_by_key(k).await?.is_some_and(|s| s == "queued" || s == "running"),
                None => false,
            };
            if !alive {
                self.start_polling(&ch).await?;
            }
        }
        Ok(())
    }

    /// "Check mail now": the mailbox's queued poll runs at once.
    pub async fn poll_now(&self, actor: &Actor, channel_id: Uuid) -> Result<()> {
        check_area(actor, Area::Settings, Action::Update)?;
        let ch = self.store.get_channel(channel_id).await?.ok_or(Error::NotFound("channel"))?;
        if !ch.polls_imap() {
            return Err(Error::conflict("settings.imap_host", "this channel does not poll a mailbox"));
        }
        let state = self.store.channel_state(channel_id).await?;
        let nudged = match state.get("next_key").and_then(Value::as_str) {
            Some(k) => self.store.nudge_job(k, now()).await?.is_some(),
            None => false,
        };
        if !nudged {
            self.start_polling(&ch).await?;
        }
        self.wake.notify_one();
        Ok(())
    }

    /// The `mailbox.poll` job: new mail since the last UID, each message filed as it is read
    /// (the UID is saved after each one, so a crash re-reads at most one, which the store
    /// then ignores), then the next poll is queued.
    pub(crate) async fn run_poll(&self, channel_id: Uuid, key: &str) -> Result<()> {
        let Some(ch) = self.store.get_channel(channel_id).await? else { return Ok(()) };
        let mut state = self.store.channel_state(channel_id).await?;
        if !state.is_object() {
            state = json!({});
        }
        // Another chain took over (the mailbox was re-enabled): this one ends.
        if state.get("next_key").and_then(Value::as_str) != Some(key) || !ch.polls_imap() {
            return Ok(());
        }
        let validity = state.get("uidvalidity").and_then(Value::as_u64).map(|v| v as u32);
        let mut last = state.get("last_uid").and_then(Value::as_u64).unwrap_or(0) as u32;
        let every = ch.setting_u64("poll_seconds").unwrap_or(POLL_SECONDS).max(5);
        let outcome = self.comms.mail.fetch(&ch, validity, last, 50).await;
        match outcome {
            Ok(batch) => {
                if Some(batch.uidvalidity) != validity {
                    last = 0;
                }
                state["uidvalidity"] = json!(batch.uidvalidity);
                state["last_error"] = Value::Null;
                for (uid, raw) in batch.mails {
                    if let Some(parsed) = self.comms.mail.parse(&raw) {
                        self.receive_email(&ch, parsed, format!("imap:{}:{uid}", batch.uidvalidity)).await?;
                    } else {
                        tracing::warn!(channel = %ch.id, uid, "a message of the mailbox is not RFC 5322; skipped");
                    }
                    last = last.max(uid);
                    state["last_uid"] = json!(last);
                    self.store.set_channel_state(channel_id, &state).await?;
                }
            }
            Err(e) => {
                tracing::warn!(channel = %ch.id, error = %format!("{e:#}"), "polling the mailbox failed; will try again");
                state["last_error"] = json!(format!("{e:#}"));
            }
        }
        state["polled_at"] = json!(now());
        self.store.set_channel_state(channel_id, &state).await?;
        self.schedule_poll(channel_id, now() + chrono::Duration::seconds(every as i64)).await
    }

    /// What the poller last saw of a mailbox (administrators).
    pub async fn channel_status(&self, actor: &Actor, id: Uuid) -> Result<Value> {
        check_area(actor, Area::Settings, Action::Read)?;
        self.store.get_channel(id).await?.ok_or(Error::NotFound("channel"))?;
        let mut s = self.store.channel_state(id).await?;
        if let Some(o) = s.as_object_mut() {
            o.remove("next_key");
        }
        Ok(s)
    }

    // ---------------- the website chat

    /// A visitor's message from the chat widget. `visitor` is the widget's random id (kept in
    /// the visitor's browser); the conversation is theirs on this channel.
    pub async fn chat_post(&self, key: &str, post: ChatPost<'_>) -> Result<Message> {
        let ChatPost { visitor, text, name, email, client } = post;
        let ch = self.hook_channel(key, ChannelKind::Chat).await?;
        // Anyone may write, but not flood: 120 messages an hour from one address.
        let limit_key = format!("chat:{}:{}", ch.id, client.unwrap_or("unknown"));
        let at = now();
        if self.store.count_auth_failures(&limit_key, at - chrono::Duration::hours(1)).await?.0 >= CHAT_PER_HOUR {
            return Err(Error::RateLimited { retry_after_secs: 600 });
        }
        self.store.record_auth_failure(&limit_key, at).await?;
        let mut p = Problems::new();
        if visitor.len() < 16
            || visitor.len() > 100
            || !visitor.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            p.add("visitor", "must be the widget's visitor id");
        }
        let text = opt_text("text", Some(text), 4000, true, &mut p);
        if text.is_none() {
            p.add("text", "is required");
        }
        let email =
            email.map(str::trim).filter(|e| !e.is_empty()).and_then(
                |e| match crate::domain::email::EmailAddress::parse(e) {
                    Ok(a) => Some(a.as_str().to_owned()),
                    Err(m) => {
                        p.add("email", m);
                        None
                    }
                },
            );
        p.into_result()?;
        // An anonymous visitor is named by the start of their id (the lead keeps that name).
        let peer_name = name
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|n| n.chars().take(100).collect())
            .unwrap_or_else(|| format!("Visitor {}", visitor.chars().take(6).collect::<String>()));
        let inc = Incoming {
            peer: format!("chat:{visitor}"),
            peer_name: Some(peer_name),
            email,
            text: text.unwrap_or_default(),
            external_id: Some(format!("chat:{}", new_id())),
            ..Incoming::default()
        };
        let (_, m) = self.receive(&ch, inc).await?.ok_or_else(|| Error::conflict("text", "already received"))?;
        Ok(m)
    }

    /// The visitor's conversation as the widget shows it (their messages and the answers).
    pub async fn chat_messages(&self, key: &str, visitor: &str) -> Result<Vec<Message>> {
        let ch = self.hook_channel(key, ChannelKind::Chat).await?;
        match self.store.open_conversation(ch.id, &format!("chat:{visitor}")).await? {
            Some(c) => self.store.messages_of(c.id, 200).await,
            None => Ok(vec![]),
        }
    }

    /// The chat channel's public face (title and greeting) for the widget.
    pub async fn chat_settings(&self, key: &str) -> Result<(String, String)> {
        let ch = self.hook_channel(key, ChannelKind::Chat).await?;
        Ok((ch.setting("title").unwrap_or(&ch.name).to_owned(), ch.setting("greeting").unwrap_or("").to_owned()))
    }

    /// Conversations of a contact or company (the client card), newest first.
    pub async fn client_conversations(
        &self,
        actor: &Actor,
        contact_id: Option<Uuid>,
        company_id: Option<Uuid>,
    ) -> Result<Vec<Conversation>> {
        let mut q = self.inbox_query(actor);
        q.contact_id = contact_id;
        q.company_id = company_id;
        q.limit = 20;
        if q.scope == Scope::Nothing {
            return Ok(vec![]);
        }
        self.store.list_conversations(&q).await
    }

    /// A file attached to a message the actor can read.
    pub async fn message_attachment(
        &self,
        actor: &Actor,
        message_id: Uuid,
        file_id: Uuid,
    ) -> Result<crate::domain::export::StoredFile> {
        let m = self.get_message(actor, message_id).await?;
        if !m.attachments.iter().any(|a| a.file_id == file_id) {
            return Err(Error::NotFound("attachment"));
        }
        self.store.get_file(file_id).await?.ok_or(Error::NotFound("attachment"))
    }

    /// One message (the API's view of its status while it is queued).
    pub async fn get_message(&self, actor: &Actor, id: Uuid) -> Result<Message> {
        let m = self.store.get_message(id).await?.ok_or(Error::NotFound("message"))?;
        self.conversation_for(actor, m.conversation_id, Action::Read).await?;
        Ok(m)
    }
}

/// What goes on a client's timeline for a message or a call.
pub(crate) struct TimelineEntry {
    pub kind: crate::domain::activity::ActivityKind,
    pub direction: Direction,
    pub subject: Option<String>,
    pub body: Option<String>,
    pub at: chrono::DateTime<chrono::Utc>,
    pub duration_seconds: Option<i64>,
    pub result: Option<crate::domain::activity::CallResult>,
    pub recording_url: Option<String>,
    pub author: Option<Uuid>,
}

impl Services {
    /// Logs a message or call as an activity on the unified timeline of its client (the
    /// contact, else the company, else the lead); nothing when it has no client yet.
    pub(crate) async fn log_timeline(
        &self,
        contact_id: Option<Uuid>,
        company_id: Option<Uuid>,
        lead_id: Option<Uuid>,
        e: TimelineEntry,
    ) -> Result<()> {
        use crate::domain::activity::{Activity, Direction as ActDirection};
        use crate::domain::task::{Related, RelatedType};
        let related = match (contact_id, company_id, lead_id) {
            (Some(id), _, _) => Related { kind: RelatedType::Contact, id },
            (None, Some(id), _) => Related { kind: RelatedType::Company, id },
            (None, None, Some(id)) => Related { kind: RelatedType::Lead, id },
            (None, None, None) => return Ok(()),
        };
        let at = now();
        let a = Activity {
            id: new_id(),
            version: 1,
            kind: e.kind,
            direction: Some(if e.direction == Direction::Inbound {
                ActDirection::Inbound
            } else {
                ActDirection::Outbound
            }),
            subject: e.subject.map(|s| s.chars().take(300).collect()),
            body: e.body.map(|b| b.chars().take(20_000).collect()),
            occurred_at: e.at,
            duration_seconds: e.duration_seconds.and_then(|d| i32::try_from(d).ok()),
            result: e.result,
            recording_url: e.recording_url,
            related,
            contact_id,
            company_id,
            created_by: e.author,
            created_at: at,
            updated_at: at,
            deleted_at: None,
        };
        let actor = Actor::system("inbox");
        let audit = audit_entry(&actor, "create", "activity", a.id, audit::created(&to_json(&a)));
        self.store.save_activity(&a, None, &audit).await
    }

    /// A message of a conversation on its client's timeline.
    pub(crate) async fn log_message(&self, conv: &Conversation, m: &Message) -> Result<()> {
        use crate::domain::activity::ActivityKind;
        let kind = if m.subject.is_some() || matches!(conv.channel_kind, ChannelKind::Email | ChannelKind::Form) {
            ActivityKind::Email
        } else {
            ActivityKind::Message
        };
        let entry = TimelineEntry {
            kind,
            direction: m.direction,
            subject: m.subject.clone(),
            body: Some(m.body_text.clone()),
            at: m.sent_at.unwrap_or(m.created_at),
            duration_seconds: None,
            result: None,
            recording_url: None,
            author: m.author_id,
        };
        self.log_timeline(conv.contact_id, conv.company_id, conv.lead_id, entry).await
    }
}

/// Where an unsubscribe link goes in a template until the message has its token.
pub(crate) const UNSUBSCRIBE_MARK: &str = "%%UNSUBSCRIBE_URL%%";

/// How an outbound message came to be.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct OutCtx {
    /// Sent by a sequence: (sequence, step). Bulk: consent is checked, an unsubscribe link added.
    pub sequence: Option<(Uuid, i64)>,
    /// A machine's message (bot, auto-reply, sequence) on behalf of `author`.
    pub automatic: bool,
    pub author: Option<Uuid>,
    pub bot_rule: Option<Uuid>,
}

/// Messages a chat visitor's address may send in an hour.
const CHAT_PER_HOUR: i64 = 120;

/// A visitor's message from the chat widget.
#[derive(Debug, Clone, Copy)]
pub struct ChatPost<'a> {
    /// The widget's random visitor id.
    pub visitor: &'a str,
    pub text: &'a str,
    pub name: Option<&'a str>,
    pub email: Option<&'a str>,
    /// The client's address (rate limit).
    pub client: Option<&'a str>,
}

/// The dedupe key of a message's send job.
pub(crate) fn send_key(id: Uuid) -> String {
    format!("message.send:{id}")
}
