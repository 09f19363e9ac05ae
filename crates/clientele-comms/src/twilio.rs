//! A Twilio-style SMS API: inbound messages are form posts signed with `X-Twilio-Signature`
//! (HMAC-SHA1 of the webhook URL and the sorted parameters, keyed by the account's auth
//! token); answers are `POST /2010-04-01/Accounts/{sid}/Messages.json` with basic auth and an
//! idempotency token, so a retried job never sends twice. Settings: `api_base` (default
//! `https://api.twilio.com`), `account_sid`, `from_number`; secret: `auth_token`.

use async_trait::async_trait;
use clientele_core::comms::{ChannelAdapter, Delivery, InboundMessage, InboundRequest, OutboundMessage, SendError};
use clientele_core::domain::inbox::Channel;
use clientele_core::{Error, Result};
use serde_json::Value;

pub struct Twilio {
    http: reqwest::Client,
}

impl Twilio {
    pub fn new(http: reqwest::Client) -> Self {
        Self { http }
    }
}

fn params(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

#[async_trait]
impl ChannelAdapter for Twilio {
    fn provider(&self) -> &'static str {
        "twilio"
    }

    fn verify(&self, ch: &Channel, req: &InboundRequest) -> bool {
        let (Some(token), Some(sig)) = (ch.secrets.get("auth_token"), req.header("x-twilio-signature")) else {
            return false;
        };
        crate::signing::same(&crate::signing::twilio_signature(token, &req.url, &params(&req.body)), sig.trim())
    }

    fn parse(&self, _ch: &Channel, req: &InboundRequest) -> Result<Vec<InboundMessage>> {
        let p = params(&req.body);
        let get = |k: &str| p.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        // Status callbacks (delivered, failed) carry no Body: nothing for the inbox.
        let Some(text) = get("Body") else { return Ok(vec![]) };
        let sid = get("MessageSid").or(get("SmsSid")).ok_or_else(|| Error::invalid("MessageSid", "is missing"))?;
        let from = get("From").ok_or_else(|| Error::invalid("From", "is missing"))?;
        Ok(vec![InboundMessage {
            external_id: sid,
            from: from.clone(),
            from_name: get("ProfileName"),
            phone: Some(from),
            text,
            at: None,
        }])
    }

    async fn send(&self, ch: &Channel, msg: &OutboundMessage) -> std::result::Result<Delivery, SendError> {
        let token =
            ch.secrets.get("auth_token").ok_or_else(|| SendError::Permanent("the channel has no auth_token".into()))?;
        let sid =
            ch.setting("account_sid").ok_or_else(|| SendError::Permanent("the channel has no account_sid".into()))?;
        let from =
            ch.setting("from_number").ok_or_else(|| SendError::Permanent("the channel has no from_number".into()))?;
        let base = ch.setting("api_base").unwrap_or("https://api.twilio.com").trim_end_matches('/');
        let r = self
            .http
            .post(format!("{base}/2010-04-01/Accounts/{sid}/Messages.json"))
            .basic_auth(sid, Some(token))
            .header("I-Twilio-Idempotency-Token", &msg.idempotency_key)
            .form(&[("To", msg.to.as_str()), ("From", from), ("Body", msg.text.as_str())])
            .send()
            .await;
        let body = crate::http_outcome(r).await?;
        Ok(Delivery { external_id: body.get("sid").and_then(Value::as_str).map(str::to_owned) })
    }

    fn ack(&self) -> (&'static str, String) {
        ("text/xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>".into())
    }
}
