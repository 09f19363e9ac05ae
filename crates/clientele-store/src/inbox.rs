//! Communications: channels (with their secrets and poller state), conversations, messages
//! (written with their conversation and send job in one transaction), tracking events,
//! calls, consents, the small documents (templates, forms, sequences, bot rules), form
//! submissions and sequence enrollments.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use clientele_core::authz::Scope;
use clientele_core::domain::audit::AuditEntry;
use clientele_core::domain::inbox::{
    Attachment, Call, CallStatus, Channel, ChannelKind, Consent, Conversation, ConversationStatus, Direction, Message,
    MessageEvent, MessageStatus, Secrets,
};
use clientele_core::store::{CommDoc, Enrollment, InboxQuery, InboxStore, MessageWrite, StepStats};
use clientele_core::{Error, Result};
use serde_json::{Map, Value};
use sqlx::types::Json;
use uuid::Uuid;

use crate::clients::json;
use crate::db::{Params, Tx};
use crate::io_store::enqueue_tx;
use crate::platform::{insert_audit, version_conflict};
use crate::{SqlStore, args, db_err};

fn bad(what: &str, v: &str) -> Error {
    Error::Internal(anyhow::anyhow!("stored {what} `{v}` is not known"))
}

// ---------------------------------------------------------------- channels

const CHANNEL_COLS: &str = "id, version, kind, provider, name, active, owner_id, assignee_id, public_key, settings, \
                            secrets, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct ChannelRow {
    id: Uuid,
    version: i64,
    kind: String,
    provider: String,
    name: String,
    active: bool,
    owner_id: Option<Uuid>,
    assignee_id: Option<Uuid>,
    public_key: String,
    settings: Json<Map<String, Value>>,
    secrets: Json<Secrets>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<ChannelRow> for Channel {
    type Error = Error;
    fn try_from(r: ChannelRow) -> Result<Self> {
        Ok(Channel {
            id: r.id,
            version: r.version,
            kind: ChannelKind::parse(&r.kind).ok_or_else(|| bad("channel kind", &r.kind))?,
            provider: r.provider,
            name: r.name,
            active: r.active,
            owner_id: r.owner_id,
            assignee_id: r.assignee_id,
            public_key: r.public_key,
            settings: r.settings.0,
            secrets: r.secrets.0,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

// ---------------------------------------------------------------- conversations

const CONV_COLS: &str = "id, version, channel_id, channel_kind, subject, status, assignee_id, contact_id, company_id, \
                         lead_id, peer, peer_name, unread, last_message_at, preview, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct ConvRow {
    id: Uuid,
    version: i64,
    channel_id: Option<Uuid>,
    channel_kind: String,
    subject: Option<String>,
    status: String,
    assignee_id: Option<Uuid>,
    contact_id: Option<Uuid>,
    company_id: Option<Uuid>,
    lead_id: Option<Uuid>,
    peer: String,
    peer_name: Option<String>,
    unread: i64,
    last_message_at: DateTime<Utc>,
    preview: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<ConvRow> for Conversation {
    type Error = Error;
    fn try_from(r: ConvRow) -> Result<Self> {
        Ok(Conversation {
            id: r.id,
            version: r.version,
            channel_id: r.channel_id,
            channel_kind: ChannelKind::parse(&r.channel_kind).ok_or_else(|| bad("channel kind", &r.channel_kind))?,
            subject: r.subject,
            status: ConversationStatus::parse(&r.status).ok_or_else(|| bad("conversation status", &r.status))?,
            assignee_id: r.assignee_id,
            contact_id: r.contact_id,
            company_id: r.company_id,
            lead_id: r.lead_id,
            peer: r.peer,
            peer_name: r.peer_name,
            unread: r.unread,
            last_message_at: r.last_message_at,
            preview: r.preview,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

fn convs(rows: Vec<ConvRow>) -> Result<Vec<Conversation>> {
    rows.into_iter().map(Conversation::try_from).collect()
}

fn conv_args(c: &Conversation) -> crate::db::Args {
    args![
        c.id,
        c.version,
        c.channel_id,
        c.channel_kind.as_str(),
        c.subject.clone(),
        c.status.as_str(),
        c.assignee_id,
        c.contact_id,
        c.company_id,
        c.lead_id,
        c.peer.clone(),
        c.peer_name.clone(),
        c.unread,
        c.last_message_at,
        c.preview.clone(),
        c.created_at,
        c.updated_at
    ]
}

// ---------------------------------------------------------------- messages

const MSG_COLS: &str = "id, conversation_id, channel_id, direction, status, from_addr, from_name, to_addrs, subject, \
                        body_text, body_html, rfc_message_id, in_reply_to, refs, external_id, author_id, attempts, \
                        last_error, tracking_token, attachments, meta, sequence_id, sequence_step, created_at, sent_at";

#[derive(sqlx::FromRow)]
struct MsgRow {
    id: Uuid,
    conversation_id: Uuid,
    channel_id: Option<Uuid>,
    direction: String,
    status: String,
    from_addr: String,
    from_name: Option<String>,
    to_addrs: Json<Vec<String>>,
    subject: Option<String>,
    body_text: String,
    body_html: Option<String>,
    rfc_message_id: Option<String>,
    in_reply_to: Option<String>,
    refs: Json<Vec<String>>,
    external_id: Option<String>,
    author_id: Option<Uuid>,
    attempts: i64,
    last_error: Option<String>,
    tracking_token: Option<String>,
    attachments: Json<Vec<Attachment>>,
    meta: Json<Map<String, Value>>,
    sequence_id: Option<Uuid>,
    sequence_step: Option<i64>,
    created_at: DateTime<Utc>,
    sent_at: Option<DateTime<Utc>>,
}

impl TryFrom<MsgRow> for Message {
    type Error = Error;
    fn try_from(r: MsgRow) -> Result<Self> {
        Ok(Message {
            id: r.id,
            conversation_id: r.conversation_id,
            channel_id: r.channel_id,
            direction: Direction::parse(&r.direction).ok_or_else(|| bad("direction", &r.direction))?,
            status: MessageStatus::parse(&r.status).ok_or_else(|| bad("message status", &r.status))?,
            from_addr: r.from_addr,
            from_name: r.from_name,
            to_addrs: r.to_addrs.0,
            subject: r.subject,
            body_text: r.body_text,
            body_html: r.body_html,
            rfc_message_id: r.rfc_message_id,
            in_reply_to: r.in_reply_to,
            references: r.refs.0,
            external_id: r.external_id,
            author_id: r.author_id,
            attempts: r.attempts,
            last_error: r.last_error,
            tracking_token: r.tracking_token,
            attachments: r.attachments.0,
            meta: r.meta.0,
            sequence_id: r.sequence_id,
            sequence_step: r.sequence_step,
            created_at: r.created_at,
            sent_at: r.sent_at,
        })
    }
}

fn msgs(rows: Vec<MsgRow>) -> Result<Vec<Message>> {
    rows.into_iter().map(Message::try_from).collect()
}

// ---------------------------------------------------------------- calls, consents, docs

const CALL_COLS: &str = "id, version, channel_id, external_id, direction, from_number, to_number, status, user_id, \
                         contact_id, company_id, lead_id, conversation_id, started_at, answered_at, ended_at, \
                         duration_seconds, recording_url, task_id, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct CallRow {
    id: Uuid,
    version: i64,
    channel_id: Uuid,
    external_id: String,
    direction: String,
    from_number: String,
    to_number: String,
    status: String,
    user_id: Option<Uuid>,
    contact_id: Option<Uuid>,
    company_id: Option<Uuid>,
    lead_id: Option<Uuid>,
    conversation_id: Option<Uuid>,
    started_at: DateTime<Utc>,
    answered_at: Option<DateTime<Utc>>,
    ended_at: Option<DateTime<Utc>>,
    duration_seconds: Option<i64>,
    recording_url: Option<String>,
    task_id: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<CallRow> for Call {
    type Error = Error;
    fn try_from(r: CallRow) -> Result<Self> {
        Ok(Call {
            id: r.id,
            version: r.version,
            channel_id: r.channel_id,
            external_id: r.external_id,
            direction: Direction::parse(&r.direction).ok_or_else(|| bad("direction", &r.direction))?,
            from_number: r.from_number,
            to_number: r.to_number,
            status: CallStatus::parse(&r.status).ok_or_else(|| bad("call status", &r.status))?,
            user_id: r.user_id,
            contact_id: r.contact_id,
            company_id: r.company_id,
            lead_id: r.lead_id,
            conversation_id: r.conversation_id,
            started_at: r.started_at,
            answered_at: r.answered_at,
            ended_at: r.ended_at,
            duration_seconds: r.duration_seconds,
            recording_url: r.recording_url,
            task_id: r.task_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

fn calls(rows: Vec<CallRow>) -> Result<Vec<Call>> {
    rows.into_iter().map(Call::try_from).collect()
}

#[derive(sqlx::FromRow)]
struct ConsentRow {
    id: Uuid,
    channel: String,
    address: String,
    status: String,
    source: String,
    text: Option<String>,
    contact_id: Option<Uuid>,
    created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct DocRow {
    id: Uuid,
    kind: String,
    version: i64,
    name: String,
    public_key: Option<String>,
    body: Json<Value>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<DocRow> for CommDoc {
    fn from(r: DocRow) -> Self {
        CommDoc {
            id: r.id,
            kind: r.kind,
            version: r.version,
            name: r.name,
            public_key: r.public_key,
            body: r.body.0,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

const DOC_COLS: &str = "id, kind, version, name, public_key, body, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct EnrollmentRow {
    id: Uuid,
    sequence_id: Uuid,
    contact_id: Uuid,
    address: String,
    status: String,
    step: i64,
    next_at: Option<DateTime<Utc>>,
    stop_reason: Option<String>,
    enrolled_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<EnrollmentRow> for Enrollment {
    fn from(r: EnrollmentRow) -> Self {
        Enrollment {
            id: r.id,
            sequence_id: r.sequence_id,
            contact_id: r.contact_id,
            address: r.address,
            status: r.status,
            step: r.step,
            next_at: r.next_at,
            stop_reason: r.stop_reason,
            enrolled_by: r.enrolled_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

const ENROLLMENT_COLS: &str =
    "id, sequence_id, contact_id, address, status, step, next_at, stop_reason, enrolled_by, created_at, updated_at";

async fn insert_message(tx: &mut Tx, m: &Message) -> std::result::Result<u64, sqlx::Error> {
    let on_conflict = if m.external_id.is_some() { " ON CONFLICT (channel_id, external_id) DO NOTHING" } else { "" };
    tx.execute(
        &format!(
            "INSERT INTO messages ({MSG_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
             $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25){on_conflict}"
        ),
        args![
            m.id,
            m.conversation_id,
            m.channel_id,
            m.direction.as_str(),
            m.status.as_str(),
            m.from_addr.clone(),
            m.from_name.clone(),
            json(&m.to_addrs),
            m.subject.clone(),
            m.body_text.clone(),
            m.body_html.clone(),
            m.rfc_message_id.clone(),
            m.in_reply_to.clone(),
            json(&m.references),
            m.external_id.clone(),
            m.author_id,
            m.attempts,
            m.last_error.clone(),
            m.tracking_token.clone(),
            json(&m.attachments),
            Value::Object(m.meta.clone()),
            m.sequence_id,
            m.sequence_step,
            m.created_at,
            m.sent_at
        ],
    )
    .await
}

/// The WHERE clause of a conversation list: reach first, then the filters.
fn inbox_where(q: &InboxQuery, p: &mut Params, with_filters: bool) -> String {
    let mut parts: Vec<String> = Vec::new();
    let reach = match &q.scope {
        Scope::All => "1 = 1".to_owned(),
        Scope::Nothing => "1 = 0".to_owned(),
        Scope::Own(u) => format!("c.assignee_id = {}", p.push(*u)),
        Scope::Teams { user, teams } => {
            let u = p.push(*user);
            let ts: Vec<String> = teams.iter().map(|t| p.push(*t)).collect();
            format!(
                "(c.assignee_id = {u} OR c.assignee_id IN (SELECT id FROM users WHERE team_id IN ({})))",
                ts.join(", ")
            )
        }
    };
    parts.push(if q.unassigned_visible {
        format!("(({reach}) OR c.assignee_id IS NULL)")
    } else {
        format!("({reach})")
    });
    if with_filters {
        if !q.statuses.is_empty() {
            let list: Vec<String> = q.statuses.iter().map(|s| p.push(s.as_str())).collect();
            parts.push(format!("c.status IN ({})", list.join(", ")));
        }
        if let Some(k) = q.channel_kind {
            parts.push(format!("c.channel_kind = {}", p.push(k.as_str())));
        }
        if let Some(ch) = q.channel_id {
            parts.push(format!("c.channel_id = {}", p.push(ch)));
        }
        match q.assignee {
            Some(Some(u)) => parts.push(format!("c.assignee_id = {}", p.push(u))),
            Some(None) => parts.push("c.assignee_id IS NULL".into()),
            None => {}
        }
        if let Some(id) = q.contact_id {
            parts.push(format!("c.contact_id = {}", p.push(id)));
        }
        if let Some(id) = q.company_id {
            parts.push(format!("c.company_id = {}", p.push(id)));
        }
        if q.unread_only {
            parts.push("c.unread > 0".into());
        }
        if let Some((at, id)) = q.after {
            let (a, b) = (p.push(at), p.push(id));
            let a2 = p.push(at);
            parts.push(format!("(c.last_message_at < {a} OR (c.last_message_at = {a2} AND c.id < {b}))"));
        }
    }
    parts.join(" AND ")
}

#[async_trait]
impl InboxStore for SqlStore {
    async fn save_channel(&self, c: &Channel, expected_version: Option<i64>, audit: &AuditEntry) -> Result<()> {
        let e = || db_err("saving a channel");
        let mut tx = self.db.begin().await.map_err(e())?;
        let values = args![
            c.id,
            c.version,
            c.kind.as_str(),
            c.provider.clone(),
            c.name.clone(),
            c.active,
            c.owner_id,
            c.assignee_id,
            c.public_key.clone(),
            Value::Object(c.settings.clone()),
            json(&c.secrets),
            c.created_at,
            c.updated_at
        ];
        match expected_version {
            None => {
                tx.execute(
                    &format!(
                        "INSERT INTO channels ({CHANNEL_COLS}, state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
                         $11, $12, $13, '{{}}')"
                    ),
                    values,
                )
                .await
                .map_err(e())?;
            }
            Some(v) => {
                let mut values = values;
                values.push(v.into());
                let n = tx
                    .execute(
                        "UPDATE channels SET version = $2, kind = $3, provider = $4, name = $5, active = $6, \
                         owner_id = $7, assignee_id = $8, public_key = $9, settings = $10, secrets = $11, \
                         created_at = $12, updated_at = $13 WHERE id = $1 AND version = $14",
                        values,
                    )
                    .await
                    .map_err(e())?;
                if n == 0 {
                    return Err(version_conflict(&mut tx, "channels", c.id, "channel").await);
                }
            }
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(e())
    }

    async fn list_channels(&self) -> Result<Vec<Channel>> {
        let rows: Vec<ChannelRow> = self
            .db
            .fetch_all(&format!("SELECT {CHANNEL_COLS} FROM channels ORDER BY name, id"), vec![])
            .await
            .map_err(db_err("listing channels"))?;
        rows.into_iter().map(Channel::try_from).collect()
    }

    async fn get_channel(&self, id: Uuid) -> Result<Option<Channel>> {
        let row: Option<ChannelRow> = self
            .db
            .fetch_optional(&format!("SELECT {CHANNEL_COLS} FROM channels WHERE id = $1"), args![id])
            .await
            .map_err(db_err("reading a channel"))?;
        row.map(Channel::try_from).transpose()
    }

    async fn channel_by_key(&self, public_key: &str) -> Result<Option<Channel>> {
        let row: Option<ChannelRow> = self
            .db
            .fetch_optional(&format!("SELECT {CHANNEL_COLS} FROM channels WHERE public_key = $1"), args![public_key])
            .await
            .map_err(db_err("reading a channel"))?;
        row.map(Channel::try_from).transpose()
    }

    async fn channel_state(&self, id: Uuid) -> Result<Value> {
        let row: Option<(Json<Value>,)> = self
            .db
            .fetch_optional("SELECT state FROM channels WHERE id = $1", args![id])
            .await
            .map_err(db_err("reading a channel's state"))?;
        Ok(row.map(|(s,)| s.0).unwrap_or(Value::Null))
    }

    async fn set_channel_state(&self, id: Uuid, state: &Value) -> Result<()> {
        self.db
            .execute("UPDATE channels SET state = $1 WHERE id = $2", args![state.clone(), id])
            .await
            .map_err(db_err("saving a channel's state"))?;
        Ok(())
    }

    async fn save_message(&self, w: &MessageWrite) -> Result<bool> {
        let e = || db_err("saving a message");
        let mut tx = self.db.begin().await.map_err(e())?;
        let c = &w.conversation;
        if w.insert_conversation {
            tx.execute(
                &format!(
                    "INSERT INTO conversations ({CONV_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
                     $12, $13, $14, $15, $16, $17)"
                ),
                conv_args(c),
            )
            .await
            .map_err(e())?;
        }
        if insert_message(&mut tx, &w.message).await.map_err(e())? == 0 {
            // Already stored (a retried webhook, a mailbox read again): nothing changes.
            return Ok(false);
        }
        if !w.insert_conversation {
            // A system change beside people's: counters add up, status and links are the
            // message's, and the version moves so that a form open meanwhile sees it.
            tx.execute(
                "UPDATE conversations SET version = version + 1, status = $2, unread = unread + $3, \
                 last_message_at = $4, preview = $5, updated_at = $6, assignee_id = COALESCE(assignee_id, $7), \
                 contact_id = COALESCE(contact_id, $8), company_id = COALESCE(company_id, $9), \
                 lead_id = COALESCE(lead_id, $10), subject = COALESCE(subject, $11) WHERE id = $1",
                args![
                    c.id,
                    c.status.as_str(),
                    w.unread_delta,
                    c.last_message_at,
                    c.preview.clone(),
                    c.updated_at,
                    c.assignee_id,
                    c.contact_id,
                    c.company_id,
                    c.lead_id,
                    c.subject.clone()
                ],
            )
            .await
            .map_err(e())?;
        }
        if let Some(job) = &w.job {
            enqueue_tx(&mut tx, job).await?;
        }
        crate::automation::message_saved_tx(&mut tx, &w.conversation, &w.message).await?;
        tx.commit().await.map_err(e())?;
        Ok(true)
    }

    async fn get_conversation(&self, id: Uuid) -> Result<Option<Conversation>> {
        let row: Option<ConvRow> = self
            .db
            .fetch_optional(&format!("SELECT {CONV_COLS} FROM conversations WHERE id = $1"), args![id])
            .await
            .map_err(db_err("reading a conversation"))?;
        row.map(Conversation::try_from).transpose()
    }

    async fn update_conversation(&self, c: &Conversation, expected_version: i64, audit: &AuditEntry) -> Result<()> {
        let e = || db_err("updating a conversation");
        let mut tx = self.db.begin().await.map_err(e())?;
        let n = tx
            .execute(
                "UPDATE conversations SET version = $2, status = $3, assignee_id = $4, contact_id = $5, \
                 company_id = $6, lead_id = $7, subject = $8, updated_at = $9 WHERE id = $1 AND version = $10",
                args![
                    c.id,
                    c.version,
                    c.status.as_str(),
                    c.assignee_id,
                    c.contact_id,
                    c.company_id,
                    c.lead_id,
                    c.subject.clone(),
                    c.updated_at,
                    expected_version
                ],
            )
            .await
            .map_err(e())?;
        if n == 0 {
            return Err(version_conflict(&mut tx, "conversations", c.id, "conversation").await);
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(e())
    }

    async fn list_conversations(&self, q: &InboxQuery) -> Result<Vec<Conversation>> {
        let mut p = Params::default();
        let w = inbox_where(q, &mut p, true);
        let limit = p.push(i64::from(q.limit));
        let sql = format!(
            "SELECT {CONV_COLS} FROM conversations c WHERE {w} ORDER BY c.last_message_at DESC, c.id DESC LIMIT {limit}"
        );
        let rows: Vec<ConvRow> = self.db.fetch_all(&sql, p.0).await.map_err(db_err("listing conversations"))?;
        convs(rows)
    }

    async fn unread_by_kind(&self, q: &InboxQuery) -> Result<Vec<(String, i64)>> {
        let mut p = Params::default();
        let w = inbox_where(q, &mut p, false);
        let sql = format!(
            "SELECT c.channel_kind, CAST(SUM(c.unread) AS BIGINT) FROM conversations c WHERE {w} AND c.unread > 0 \
             AND c.status <> 'closed' GROUP BY c.channel_kind"
        );
        self.db.fetch_all(&sql, p.0).await.map_err(db_err("counting unread conversations"))
    }

    async fn open_conversation(&self, channel_id: Uuid, peer: &str) -> Result<Option<Conversation>> {
        let row: Option<ConvRow> = self
            .db
            .fetch_optional(
                &format!(
                    "SELECT {CONV_COLS} FROM conversations WHERE channel_id = $1 AND peer = $2 AND status <> 'closed' \
                     ORDER BY last_message_at DESC, id DESC LIMIT 1"
                ),
                args![channel_id, peer],
            )
            .await
            .map_err(db_err("finding a conversation"))?;
        row.map(Conversation::try_from).transpose()
    }

    async fn mark_conversation_read(&self, id: Uuid) -> Result<()> {
        self.db
            .execute("UPDATE conversations SET unread = 0 WHERE id = $1 AND unread <> 0", args![id])
            .await
            .map_err(db_err("marking a conversation read"))?;
        Ok(())
    }

    async fn get_message(&self, id: Uuid) -> Result<Option<Message>> {
        let row: Option<MsgRow> = self
            .db
            .fetch_optional(&format!("SELECT {MSG_COLS} FROM messages WHERE id = $1"), args![id])
            .await
            .map_err(db_err("reading a message"))?;
        row.map(Message::try_from).transpose()
    }

    async fn messages_of(&self, conversation_id: Uuid, limit: u32) -> Result<Vec<Message>> {
        // The newest `limit`, shown oldest first.
        let rows: Vec<MsgRow> = self
            .db
            .fetch_all(
                &format!(
                    "SELECT {MSG_COLS} FROM (SELECT {MSG_COLS} FROM messages WHERE conversation_id = $1 \
                     ORDER BY created_at DESC, id DESC LIMIT $2) m ORDER BY created_at, id"
                ),
                args![conversation_id, i64::from(limit)],
            )
            .await
            .map_err(db_err("reading messages"))?;
        msgs(rows)
    }

    async fn messages_after(&self, conversation_id: Uuid, after: DateTime<Utc>) -> Result<Vec<Message>> {
        let rows: Vec<MsgRow> = self
            .db
            .fetch_all(
                &format!(
                    "SELECT {MSG_COLS} FROM messages WHERE conversation_id = $1 AND created_at > $2 \
                     ORDER BY created_at, id LIMIT 200"
                ),
                args![conversation_id, after],
            )
            .await
            .map_err(db_err("reading messages"))?;
        msgs(rows)
    }

    async fn message_by_rfc_ids(&self, ids: &[String]) -> Result<Option<Message>> {
        if ids.is_empty() {
            return Ok(None);
        }
        let mut p = Params::default();
        let list: Vec<String> = ids.iter().take(50).map(|i| p.push(i.clone())).collect();
        let sql = format!(
            "SELECT {MSG_COLS} FROM messages WHERE rfc_message_id IN ({}) ORDER BY created_at DESC, id DESC LIMIT 1",
            list.join(", ")
        );
        let row: Option<MsgRow> = self.db.fetch_optional(&sql, p.0).await.map_err(db_err("threading a message"))?;
        row.map(Message::try_from).transpose()
    }

    async fn message_by_token(&self, token: &str) -> Result<Option<Message>> {
        let row: Option<MsgRow> = self
            .db
            .fetch_optional(&format!("SELECT {MSG_COLS} FROM messages WHERE tracking_token = $1"), args![token])
            .await
            .map_err(db_err("reading a message"))?;
        row.map(Message::try_from).transpose()
    }

    async fn mark_sent(&self, id: Uuid, external_id: Option<&str>, reply: &str, at: DateTime<Utc>) -> Result<bool> {
        let e = || db_err("recording a sent message");
        let mut tx = self.db.begin().await.map_err(e())?;
        let row: Option<(String, Json<Map<String, Value>>)> =
            tx.fetch_optional("SELECT status, meta FROM messages WHERE id = $1", args![id]).await.map_err(e())?;
        let Some((status, meta)) = row else { return Err(Error::NotFound("message")) };
        if status == "sent" {
            return Ok(false);
        }
        let mut meta = meta.0;
        meta.insert("provider_reply".into(), Value::String(reply.chars().take(500).collect()));
        tx.execute(
            "UPDATE messages SET status = 'sent', sent_at = $2, external_id = COALESCE($3, external_id), meta = $4, \
             last_error = NULL, attempts = attempts + 1 WHERE id = $1",
            args![id, at, external_id.map(str::to_owned), Value::Object(meta)],
        )
        .await
        .map_err(e())?;
        tx.commit().await.map_err(e())?;
        Ok(true)
    }

    async fn record_send_failure(&self, id: Uuid, error: &str, failed: bool) -> Result<()> {
        let status = if failed { "failed" } else { "pending" };
        self.db
            .execute(
                "UPDATE messages SET attempts = attempts + 1, last_error = $2, status = $3 WHERE id = $1 AND status <> 'sent'",
                args![id, error.chars().take(2000).collect::<String>(), status],
            )
            .await
            .map_err(db_err("recording a failed send"))?;
        Ok(())
    }

    async fn suppress_message(&self, id: Uuid, reason: &str) -> Result<()> {
        self.db
            .execute(
                "UPDATE messages SET status = 'suppressed', last_error = $2 WHERE id = $1 AND status = 'pending'",
                args![id, reason],
            )
            .await
            .map_err(db_err("suppressing a message"))?;
        Ok(())
    }

    async fn reset_message(&self, id: Uuid) -> Result<()> {
        self.db
            .execute("UPDATE messages SET status = 'pending' WHERE id = $1 AND status = 'failed'", args![id])
            .await
            .map_err(db_err("retrying a message"))?;
        Ok(())
    }

    async fn nudge_job(&self, dedupe_key: &str, now: DateTime<Utc>) -> Result<Option<Uuid>> {
        let row: Option<(Uuid, String)> = self
            .db
            .fetch_optional("SELECT id, status FROM jobs WHERE dedupe_key = $1", args![dedupe_key])
            .await
            .map_err(db_err("finding a job"))?;
        let Some((id, status)) = row else { return Ok(None) };
        if status == "queued" {
            self.db
                .execute(
                    "UPDATE jobs SET run_at = $1, updated_at = $1 WHERE id = $2 AND status = 'queued'",
                    args![now, id],
                )
                .await
                .map_err(db_err("rescheduling a job"))?;
        }
        Ok(Some(id))
    }

    async fn job_status_by_key(&self, dedupe_key: &str) -> Result<Option<String>> {
        let row: Option<(String,)> = self
            .db
            .fetch_optional("SELECT status FROM jobs WHERE dedupe_key = $1", args![dedupe_key])
            .await
            .map_err(db_err("finding a job"))?;
        Ok(row.map(|(s,)| s))
    }

    async fn won_deal_since(&self, contact_id: Uuid, since: DateTime<Utc>) -> Result<bool> {
        let n: i64 = self
            .db
            .fetch_scalar(
                "SELECT COUNT(*) FROM deals WHERE contact_id = $1 AND status = 'won' AND deleted_at IS NULL \
                 AND COALESCE(closed_at, updated_at) >= $2",
                args![contact_id, since],
            )
            .await
            .map_err(db_err("looking for won deals"))?;
        Ok(n > 0)
    }

    async fn insert_message_event(&self, e: &MessageEvent) -> Result<()> {
        self.db
            .execute(
                "INSERT INTO message_events (id, message_id, kind, url, at) VALUES ($1, $2, $3, $4, $5)",
                args![e.id, e.message_id, e.kind.clone(), e.url.clone(), e.at],
            )
            .await
            .map_err(db_err("recording a message event"))?;
        Ok(())
    }

    async fn events_of(&self, message_id: Uuid) -> Result<Vec<MessageEvent>> {
        let rows: Vec<(Uuid, Uuid, String, Option<String>, DateTime<Utc>)> = self
            .db
            .fetch_all(
                "SELECT id, message_id, kind, url, at FROM message_events WHERE message_id = $1 ORDER BY at, id",
                args![message_id],
            )
            .await
            .map_err(db_err("reading message events"))?;
        Ok(rows
            .into_iter()
            .map(|(id, message_id, kind, url, at)| MessageEvent { id, message_id, kind, url, at })
            .collect())
    }

    async fn save_call(&self, c: &Call, insert: bool) -> Result<()> {
        let values = args![
            c.id,
            c.version,
            c.channel_id,
            c.external_id.clone(),
            c.direction.as_str(),
            c.from_number.clone(),
            c.to_number.clone(),
            c.status.as_str(),
            c.user_id,
            c.contact_id,
            c.company_id,
            c.lead_id,
            c.conversation_id,
            c.started_at,
            c.answered_at,
            c.ended_at,
            c.duration_seconds,
            c.recording_url.clone(),
            c.task_id,
            c.created_at,
            c.updated_at
        ];
        let sql = if insert {
            format!(
                "INSERT INTO calls ({CALL_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
                 $15, $16, $17, $18, $19, $20, $21)"
            )
        } else {
            "UPDATE calls SET version = $2, channel_id = $3, external_id = $4, direction = $5, from_number = $6, \
             to_number = $7, status = $8, user_id = $9, contact_id = $10, company_id = $11, lead_id = $12, \
             conversation_id = $13, started_at = $14, answered_at = $15, ended_at = $16, duration_seconds = $17, \
             recording_url = $18, task_id = $19, created_at = $20, updated_at = $21 WHERE id = $1"
                .to_owned()
        };
        self.db.execute(&sql, values).await.map_err(db_err("saving a call"))?;
        Ok(())
    }

    async fn call_by_external(&self, channel_id: Uuid, external_id: &str) -> Result<Option<Call>> {
        let row: Option<CallRow> = self
            .db
            .fetch_optional(
                &format!("SELECT {CALL_COLS} FROM calls WHERE channel_id = $1 AND external_id = $2"),
                args![channel_id, external_id],
            )
            .await
            .map_err(db_err("reading a call"))?;
        row.map(Call::try_from).transpose()
    }

    async fn calls_of_user(&self, user_id: Uuid, since: DateTime<Utc>) -> Result<Vec<Call>> {
        let rows: Vec<CallRow> = self
            .db
            .fetch_all(
                &format!(
                    "SELECT {CALL_COLS} FROM calls WHERE user_id = $1 AND updated_at >= $2 \
                     ORDER BY updated_at DESC, id DESC LIMIT 20"
                ),
                args![user_id, since],
            )
            .await
            .map_err(db_err("reading calls"))?;
        calls(rows)
    }

    async fn calls_of_client(
        &self,
        contact_id: Option<Uuid>,
        company_id: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Call>> {
        let (col, id) = match (contact_id, company_id) {
            (Some(c), _) => ("contact_id", c),
            (None, Some(c)) => ("company_id", c),
            (None, None) => return Ok(vec![]),
        };
        let rows: Vec<CallRow> = self
            .db
            .fetch_all(
                &format!("SELECT {CALL_COLS} FROM calls WHERE {col} = $1 ORDER BY started_at DESC, id DESC LIMIT $2"),
                args![id, i64::from(limit)],
            )
            .await
            .map_err(db_err("reading calls"))?;
        calls(rows)
    }

    async fn insert_consent(&self, c: &Consent) -> Result<()> {
        self.db
            .execute(
                "INSERT INTO consents (id, channel, address, status, source, text, contact_id, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                args![
                    c.id,
                    c.channel.clone(),
                    c.address.clone(),
                    c.status.clone(),
                    c.source.clone(),
                    c.text.clone(),
                    c.contact_id,
                    c.created_at
                ],
            )
            .await
            .map_err(db_err("recording consent"))?;
        Ok(())
    }

    async fn latest_consent(&self, channel: &str, address: &str) -> Result<Option<Consent>> {
        let row: Option<ConsentRow> = self
            .db
            .fetch_optional(
                "SELECT id, channel, address, status, source, text, contact_id, created_at FROM consents \
                 WHERE channel = $1 AND address = $2 ORDER BY created_at DESC, id DESC LIMIT 1",
                args![channel, address],
            )
            .await
            .map_err(db_err("reading consent"))?;
        Ok(row.map(|r| Consent {
            id: r.id,
            channel: r.channel,
            address: r.address,
            status: r.status,
            source: r.source,
            text: r.text,
            contact_id: r.contact_id,
            created_at: r.created_at,
        }))
    }

    async fn save_doc(&self, d: &CommDoc, expected_version: Option<i64>, audit: &AuditEntry) -> Result<()> {
        let e = || db_err("saving a document");
        let mut tx = self.db.begin().await.map_err(e())?;
        let values = args![
            d.id,
            d.kind.clone(),
            d.version,
            d.name.clone(),
            d.public_key.clone(),
            d.body.clone(),
            d.created_at,
            d.updated_at
        ];
        match expected_version {
            None => {
                tx.execute(
                    &format!("INSERT INTO comm_docs ({DOC_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"),
                    values,
                )
                .await
                .map_err(e())?;
            }
            Some(v) => {
                let mut values = values;
                values.push(v.into());
                let n = tx
                    .execute(
                        "UPDATE comm_docs SET kind = $2, version = $3, name = $4, public_key = $5, body = $6, \
                         created_at = $7, updated_at = $8 WHERE id = $1 AND version = $9",
                        values,
                    )
                    .await
                    .map_err(e())?;
                if n == 0 {
                    return Err(version_conflict(&mut tx, "comm_docs", d.id, "document").await);
                }
            }
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(e())
    }

    async fn list_docs(&self, kind: &str) -> Result<Vec<CommDoc>> {
        let rows: Vec<DocRow> = self
            .db
            .fetch_all(&format!("SELECT {DOC_COLS} FROM comm_docs WHERE kind = $1 ORDER BY name, id"), args![kind])
            .await
            .map_err(db_err("listing documents"))?;
        Ok(rows.into_iter().map(CommDoc::from).collect())
    }

    async fn get_doc(&self, id: Uuid) -> Result<Option<CommDoc>> {
        let row: Option<DocRow> = self
            .db
            .fetch_optional(&format!("SELECT {DOC_COLS} FROM comm_docs WHERE id = $1"), args![id])
            .await
            .map_err(db_err("reading a document"))?;
        Ok(row.map(CommDoc::from))
    }

    async fn doc_by_key(&self, public_key: &str) -> Result<Option<CommDoc>> {
        let row: Option<DocRow> = self
            .db
            .fetch_optional(&format!("SELECT {DOC_COLS} FROM comm_docs WHERE public_key = $1"), args![public_key])
            .await
            .map_err(db_err("reading a document"))?;
        Ok(row.map(CommDoc::from))
    }

    async fn delete_doc(&self, id: Uuid, audit: &AuditEntry) -> Result<()> {
        let e = || db_err("deleting a document");
        let mut tx = self.db.begin().await.map_err(e())?;
        let used: i64 = tx
            .fetch_scalar(
                "SELECT (SELECT COUNT(*) FROM form_submissions WHERE form_id = $1) + \
                 (SELECT COUNT(*) FROM enrollments WHERE sequence_id = $1)",
                args![id],
            )
            .await
            .map_err(e())?;
        if used > 0 {
            return Err(Error::conflict("id", "it has submissions or enrollments; deactivate it instead"));
        }
        if tx.execute("DELETE FROM comm_docs WHERE id = $1", args![id]).await.map_err(e())? == 0 {
            return Err(Error::NotFound("document"));
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(e())
    }

    async fn insert_submission(
        &self,
        form_id: Uuid,
        lead_id: Option<Uuid>,
        conversation_id: Option<Uuid>,
        data: &Value,
        consent: bool,
        at: DateTime<Utc>,
    ) -> Result<Uuid> {
        let id = clientele_core::domain::new_id();
        self.db
            .execute(
                "INSERT INTO form_submissions (id, form_id, lead_id, conversation_id, data, consent, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                args![id, form_id, lead_id, conversation_id, data.clone(), consent, at],
            )
            .await
            .map_err(db_err("recording a form submission"))?;
        Ok(id)
    }

    async fn count_submissions(&self, form_id: Uuid) -> Result<i64> {
        self.db
            .fetch_scalar("SELECT COUNT(*) FROM form_submissions WHERE form_id = $1", args![form_id])
            .await
            .map_err(db_err("counting form submissions"))
    }

    async fn save_enrollment(&self, en: &Enrollment, insert: bool) -> Result<()> {
        let values = args![
            en.id,
            en.sequence_id,
            en.contact_id,
            en.address.clone(),
            en.status.clone(),
            en.step,
            en.next_at,
            en.stop_reason.clone(),
            en.enrolled_by,
            en.created_at,
            en.updated_at
        ];
        let sql = if insert {
            format!("INSERT INTO enrollments ({ENROLLMENT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
        } else {
            "UPDATE enrollments SET sequence_id = $2, contact_id = $3, address = $4, status = $5, step = $6, \
             next_at = $7, stop_reason = $8, enrolled_by = $9, created_at = $10, updated_at = $11 WHERE id = $1"
                .to_owned()
        };
        self.db.execute(&sql, values).await.map_err(|e| match db_err("enrolling a contact")(e) {
            Error::Conflict { .. } => Error::conflict("contact_ids", "the contact is already in this sequence"),
            other => other,
        })?;
        Ok(())
    }

    async fn get_enrollment(&self, id: Uuid) -> Result<Option<Enrollment>> {
        let row: Option<EnrollmentRow> = self
            .db
            .fetch_optional(&format!("SELECT {ENROLLMENT_COLS} FROM enrollments WHERE id = $1"), args![id])
            .await
            .map_err(db_err("reading an enrollment"))?;
        Ok(row.map(Enrollment::from))
    }

    async fn enrollments_of(&self, sequence_id: Uuid) -> Result<Vec<Enrollment>> {
        let rows: Vec<EnrollmentRow> = self
            .db
            .fetch_all(
                &format!("SELECT {ENROLLMENT_COLS} FROM enrollments WHERE sequence_id = $1 ORDER BY created_at, id"),
                args![sequence_id],
            )
            .await
            .map_err(db_err("listing enrollments"))?;
        Ok(rows.into_iter().map(Enrollment::from).collect())
    }

    async fn active_enrollments_for(&self, address: &str) -> Result<Vec<Enrollment>> {
        let rows: Vec<EnrollmentRow> = self
            .db
            .fetch_all(
                &format!("SELECT {ENROLLMENT_COLS} FROM enrollments WHERE address = $1 AND status = 'active'"),
                args![address],
            )
            .await
            .map_err(db_err("listing enrollments"))?;
        Ok(rows.into_iter().map(Enrollment::from).collect())
    }

    async fn step_stats(&self, sequence_id: Uuid) -> Result<Vec<StepStats>> {
        let rows: Vec<(i64, i64, i64, i64)> = self
            .db
            .fetch_all(
                "SELECT m.sequence_step, CAST(COUNT(*) AS BIGINT), \
                 CAST(SUM(CASE WHEN EXISTS (SELECT 1 FROM message_events e WHERE e.message_id = m.id AND e.kind = 'open') THEN 1 ELSE 0 END) AS BIGINT), \
                 CAST(SUM(CASE WHEN EXISTS (SELECT 1 FROM message_events e WHERE e.message_id = m.id AND e.kind = 'click') THEN 1 ELSE 0 END) AS BIGINT) \
                 FROM messages m WHERE m.sequence_id = $1 AND m.status = 'sent' AND m.sequence_step IS NOT NULL \
                 GROUP BY m.sequence_step ORDER BY m.sequence_step",
                args![sequence_id],
            )
            .await
            .map_err(db_err("counting sequence figures"))?;
        // A reply stops the enrollment at the step after the last one sent.
        let replies: Vec<(i64, i64)> = self
            .db
            .fetch_all(
                "SELECT step - 1, CAST(COUNT(*) AS BIGINT) FROM enrollments WHERE sequence_id = $1 \
                 AND stop_reason = 'reply' GROUP BY step",
                args![sequence_id],
            )
            .await
            .map_err(db_err("counting sequence replies"))?;
        Ok(rows
            .into_iter()
            .map(|(step, sent, opened, clicked)| StepStats {
                step,
                sent,
                opened,
                clicked,
                replied: replies.iter().find(|(s, _)| *s == step).map(|(_, n)| *n).unwrap_or(0),
            })
            .collect())
    }
}
