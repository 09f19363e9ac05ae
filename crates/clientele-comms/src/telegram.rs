//! A Telegram-style bot: updates come to the channel's webhook with the secret token header
//! Telegram sends (`X-Telegram-Bot-Api-Secret-Token`, set with `setWebhook`'s
//! `secret_token` to the channel's `webhook_secret`); answers go to `sendMessage`.
//! Settings: `api_base` (default `https://api.telegram.org`); secrets: `bot_token`,
//! `webhook_secret`.

use async_trait::async_trait;
use clientele_core::comms::{ChannelAdapter, Delivery, InboundMessage, InboundRequest, OutboundMessage, SendError};
use clientele_core::domain::inbox::Channel;
use clientele_core::{Error, Result};
use serde_json::{Value, json};

pub struct Telegram {
    http: reqwest::Client,
}

impl Telegram {
    pub fn new(http: reqwest::Client) -> Self {
        Self { http }
    }
}

#[async_trait]
impl ChannelAdapter for Telegram {
    fn provider(&self) -> &'static str {
        "telegram"
    }

    fn verify(&self, ch: &Channel, req: &InboundRequest) -> bool {
        match (ch.secrets.get("webhook_secret"), req.header("x-telegram-bot-api-secret-token")) {
            (Some(s), Some(p)) => crate::signing::same(s, p),
            _ => false,
        }
    }

    fn parse(&self, _ch: &Channel, req: &InboundRequest) -> Result<Vec<InboundMessage>> {
        let v: Value =
            serde_json::from_slice(&req.body).map_err(|e| Error::invalid("body", format!("is not JSON: {e}")))?;
        let Some(m) = v.get("message").or_else(|| v.get("edited_message")) else {
            // Other updates (callbacks, channel posts) carry no message for the inbox.
            return Ok(vec![]);
        };
        let chat = m
            .pointer("/chat/id")
            .map(|c| c.to_string())
            .ok_or_else(|| Error::invalid("message.chat.id", "is missing"))?;
        let id = m
            .get("message_id")
            .map(|c| c.to_string())
            .ok_or_else(|| Error::invalid("message.message_id", "is missing"))?;
        let from = m.get("from");
        let name = [from.and_then(|f| f.get("first_name")), from.and_then(|f| f.get("last_name"))]
            .iter()
            .filter_map(|p| p.and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(" ");
        let text = m
            .get("text")
            .or_else(|| m.get("caption"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| m.get("contact").map(|_| "(shared a contact)".to_owned()))
            .unwrap_or_else(|| "(a message without text)".to_owned());
        Ok(vec![InboundMessage {
            external_id: format!("tg:{chat}:{id}"),
            from: format!("tg:{chat}"),
            from_name: Some(name).filter(|n| !n.is_empty()),
            phone: m.pointer("/contact/phone_number").and_then(Value::as_str).map(str::to_owned),
            text,
            at: m.get("date").and_then(Value::as_i64).and_then(|t| chrono::DateTime::from_timestamp(t, 0)),
        }])
    }

    async fn send(&self, ch: &Channel, msg: &OutboundMessage) -> std::result::Result<Delivery, SendError> {
        let token =
            ch.secrets.get("bot_token").ok_or_else(|| SendError::Permanent("the channel has no bot_token".into()))?;
        let base = ch.setting("api_base").unwrap_or("https://api.telegram.org").trim_end_matches('/');
        let chat = msg.to.strip_prefix("tg:").unwrap_or(&msg.to);
        let chat_id: Value = chat.parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::from(chat));
        let r = self
            .http
            .post(format!("{base}/bot{token}/sendMessage"))
            .json(&json!({"chat_id": chat_id, "text": msg.text}))
            .send()
            .await;
        let body = crate::http_outcome(r).await?;
        Ok(Delivery { external_id: body.pointer("/result/message_id").map(|id| format!("tg:{chat}:{id}")) })
    }
}
