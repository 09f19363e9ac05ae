//! The contracts between the inbox services and the outside world: a mail port (SMTP out,
//! IMAP in, MIME parsing), channel adapters (a provider's inbound webhook → messages, an
//! outbound message → the provider's API) and PBX adapters (call events in, click-to-call
//! out). `clientele-comms` implements them; adding a provider is one module there that
//! implements [`ChannelAdapter`] (or [`PbxAdapter`]) and one line in its list.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::inbox::{CallStatus, Channel, Direction};
use crate::error::{Error, Result};

/// An e-mail to send, already rendered.
#[derive(Debug, Clone, Default)]
pub struct OutgoingEmail {
    pub from_addr: String,
    pub from_name: Option<String>,
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    /// Without angle brackets; the builder adds them.
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    /// (file name, content type, bytes)
    pub attachments: Vec<(String, String, Vec<u8>)>,
    /// Extra headers such as `List-Unsubscribe`.
    pub headers: Vec<(String, String)>,
}

/// An e-mail as read from MIME.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedEmail {
    pub message_id: Option<String>,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub from_addr: Option<String>,
    pub from_name: Option<String>,
    pub to: Vec<String>,
    pub subject: Option<String>,
    pub text: String,
    pub html: Option<String>,
    pub date: Option<DateTime<Utc>>,
    /// `Auto-Submitted` other than `no`, or a bulk `Precedence`: never auto-answered.
    pub automatic: bool,
    pub attachments: Vec<(String, String, Vec<u8>)>,
}

/// New mail of a mailbox after a known UID.
#[derive(Debug, Clone, Default)]
pub struct MailboxBatch {
    pub uidvalidity: u32,
    /// (uid, raw RFC 5322 bytes), oldest first.
    pub mails: Vec<(u32, Vec<u8>)>,
}

/// Why sending failed: a permanent refusal (bad address, message refused: retrying cannot
/// help) or a transient failure (server down, greylisting, timeouts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    Permanent(String),
    Transient(String),
}

impl From<SendError> for Error {
    fn from(e: SendError) -> Self {
        match e {
            SendError::Permanent(m) => Error::invalid("to", m),
            SendError::Transient(m) => Error::Internal(anyhow::anyhow!(m)),
        }
    }
}

#[async_trait]
pub trait MailPort: Send + Sync {
    /// Hands the message to the channel's SMTP server; the server's reply on acceptance.
    async fn send(&self, channel: &Channel, email: &OutgoingEmail) -> std::result::Result<String, SendError>;
    /// Mail after `after_uid` in the channel's IMAP folder (all of it when the folder's
    /// UIDVALIDITY differs from `uidvalidity`), at most `max` messages.
    async fn fetch(
        &self,
        channel: &Channel,
        uidvalidity: Option<u32>,
        after_uid: u32,
        max: usize,
    ) -> anyhow::Result<MailboxBatch>;
    /// Reads an RFC 5322 message; `None` when it is not one.
    fn parse(&self, raw: &[u8]) -> Option<ParsedEmail>;
}

/// A webhook request as a provider sent it.
#[derive(Debug, Clone, Default)]
pub struct InboundRequest {
    /// The full URL the provider called (some sign it).
    pub url: String,
    /// Lower-cased header names.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl InboundRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// One message a provider delivered.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InboundMessage {
    /// The provider's id of the message (webhooks are retried: it makes them idempotent).
    pub external_id: String,
    /// The sender's address on the channel: an E.164 number or a chat id.
    pub from: String,
    pub from_name: Option<String>,
    /// The sender's phone, when the provider tells it (matched to clients).
    pub phone: Option<String>,
    pub text: String,
    pub at: Option<DateTime<Utc>>,
}

/// A text to deliver through a provider.
#[derive(Debug, Clone)]
pub struct OutboundMessage {
    /// The peer's address on the channel (a number, a chat id).
    pub to: String,
    pub text: String,
    /// Sent to providers that honour one, so that a retried job never delivers twice.
    pub idempotency_key: String,
}

/// A provider's answer to a send.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Delivery {
    pub external_id: Option<String>,
}

#[async_trait]
pub trait ChannelAdapter: Send + Sync {
    /// The provider name channels are configured with (`telegram`, `twilio`).
    fn provider(&self) -> &'static str;
    /// Whether the webhook request really comes from the provider (a shared secret or a
    /// signature over the request, with the channel's secrets).
    fn verify(&self, channel: &Channel, req: &InboundRequest) -> bool;
    /// The messages in a verified webhook request (possibly none: delivery receipts).
    fn parse(&self, channel: &Channel, req: &InboundRequest) -> Result<Vec<InboundMessage>>;
    /// Delivers one message through the provider's API.
    async fn send(&self, channel: &Channel, msg: &OutboundMessage) -> std::result::Result<Delivery, SendError>;
    /// What the webhook answers on success: (content type, body).
    fn ack(&self) -> (&'static str, String) {
        ("application/json", "{\"ok\":true}".into())
    }
}

/// A call event from a PBX.
#[derive(Debug, Clone, PartialEq)]
pub struct CallEvent {
    pub call_id: String,
    pub event: CallStatus,
    pub direction: Direction,
    pub from: String,
    pub to: String,
    pub at: Option<DateTime<Utc>>,
    pub duration_seconds: Option<i64>,
    pub recording_url: Option<String>,
    /// The extension or number of the manager's phone, when the PBX tells it.
    pub extension: Option<String>,
}

#[async_trait]
pub trait PbxAdapter: Send + Sync {
    /// `webhook` (generic JSON with an HMAC signature) or `ari` (Asterisk ARI-style).
    fn provider(&self) -> &'static str;
    fn verify(&self, channel: &Channel, req: &InboundRequest) -> bool;
    fn parse(&self, channel: &Channel, req: &InboundRequest) -> Result<Vec<CallEvent>>;
    /// Asks the PBX to ring `extension` and connect it to `number` (click-to-call).
    async fn dial(&self, channel: &Channel, extension: &str, number: &str) -> std::result::Result<(), SendError>;
}

/// Everything the inbox needs from the outside world, plus the public address of this
/// Clientele (tracking pixels, links, unsubscribe pages, webhook URLs).
#[derive(Clone)]
pub struct Comms {
    pub mail: Arc<dyn MailPort>,
    pub adapters: Vec<Arc<dyn ChannelAdapter>>,
    pub pbx: Vec<Arc<dyn PbxAdapter>>,
    pub public_url: String,
    /// Outgoing HTTP for webhooks and rules' calls.
    pub http: Arc<dyn HttpPort>,
}

/// The answer to an outgoing HTTP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpReply {
    pub status: u16,
    /// The start of the body (for the delivery log).
    pub body: String,
}

/// Outgoing HTTP: a POST with a JSON body (webhook deliveries, rules' `call_webhook`).
#[async_trait]
pub trait HttpPort: Send + Sync {
    /// Any answer is `Ok` (the caller judges the status); no answer (refused, timed out) is `Err`.
    async fn post_json(
        &self,
        url: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> std::result::Result<HttpReply, String>;
}

struct NoHttp;

#[async_trait]
impl HttpPort for NoHttp {
    async fn post_json(
        &self,
        _url: &str,
        _headers: &[(String, String)],
        _body: &[u8],
    ) -> std::result::Result<HttpReply, String> {
        Err("no HTTP client is configured".into())
    }
}

impl Comms {
    /// Nothing connected: sending and reading mail fail with a clear error.
    pub fn none() -> Self {
        Self {
            mail: Arc::new(NoMail),
            adapters: vec![],
            pbx: vec![],
            public_url: "http://127.0.0.1:8080".into(),
            http: Arc::new(NoHttp),
        }
    }

    pub fn adapter(&self, provider: &str) -> Option<&Arc<dyn ChannelAdapter>> {
        self.adapters.iter().find(|a| a.provider() == provider)
    }

    pub fn pbx_adapter(&self, provider: &str) -> Option<&Arc<dyn PbxAdapter>> {
        self.pbx.iter().find(|a| a.provider() == provider)
    }
}

struct NoMail;

#[async_trait]
impl MailPort for NoMail {
    async fn send(&self, _: &Channel, _: &OutgoingEmail) -> std::result::Result<String, SendError> {
        Err(SendError::Transient("no mail transport is configured in this process".into()))
    }

    async fn fetch(&self, _: &Channel, _: Option<u32>, _: u32, _: usize) -> anyhow::Result<MailboxBatch> {
        anyhow::bail!("no mail transport is configured in this process")
    }

    fn parse(&self, _: &[u8]) -> Option<ParsedEmail> {
        None
    }
}
