//! Telephony. Call events come as JSON (one event or a list) to the channel's calls webhook,
//! signed `X-Clientele-Signature: sha256=<hex HMAC-SHA256(webhook_secret, body)>`:
//!
//! ```json
//! {"call_id": "c-1", "event": "ringing", "direction": "inbound", "from": "+33612345678",
//!  "to": "+33140000000", "extension": "101", "duration_seconds": 42,
//!  "recording_url": "https://pbx.example/rec/c-1.mp3", "at": "2026-01-01T10:00:00Z"}
//! ```
//!
//! `event` is ringing, answered, ended or missed. Two providers dial differently:
//! `webhook` POSTs `{"extension", "number"}` (signed the same way) to `settings.dial_url`;
//! `ari` asks an Asterisk ARI-style REST interface to originate a call:
//! `POST {dial_url}/channels?endpoint=PJSIP/{extension}&extension={number}&context=from-internal`
//! with basic auth (`settings.dial_username`, `secrets.dial_password`). For Asterisk, a small
//! dialplan hook (or an ARI application listening to `StasisStart`/`ChannelStateChange`/
//! `ChannelHangupRequest`) posts the events above; docs/COMMUNICATIONS.md shows one.

use async_trait::async_trait;
use clientele_core::comms::{CallEvent, InboundRequest, PbxAdapter, SendError};
use clientele_core::domain::inbox::{CallStatus, Channel, Direction};
use clientele_core::{Error, Result};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
struct Event {
    call_id: String,
    event: String,
    #[serde(default)]
    direction: Option<String>,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    extension: Option<String>,
    #[serde(default)]
    duration_seconds: Option<i64>,
    #[serde(default)]
    recording_url: Option<String>,
    #[serde(default)]
    at: Option<chrono::DateTime<chrono::Utc>>,
}

fn verify_signed(ch: &Channel, req: &InboundRequest) -> bool {
    match (ch.secrets.get("webhook_secret"), req.header("x-clientele-signature")) {
        (Some(s), Some(sig)) => crate::signing::verify_sha256(s, &req.body, sig),
        _ => false,
    }
}

/// The JSON events of a calls webhook.
pub fn parse_events(body: &[u8]) -> Result<Vec<CallEvent>> {
    let v: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| Error::invalid("body", format!("is not JSON: {e}")))?;
    let list = if v.is_array() { v } else { serde_json::Value::Array(vec![v]) };
    let events: Vec<Event> =
        serde_json::from_value(list).map_err(|e| Error::invalid("body", format!("is not a call event: {e}")))?;
    let mut out = Vec::new();
    for (i, e) in events.into_iter().enumerate() {
        let event = CallStatus::parse(&e.event)
            .ok_or_else(|| Error::invalid(format!("[{i}].event"), "must be ringing, answered, ended or missed"))?;
        let direction = match e.direction.as_deref() {
            None => Direction::Inbound,
            Some(d) => Direction::parse(d)
                .ok_or_else(|| Error::invalid(format!("[{i}].direction"), "must be inbound or outbound"))?,
        };
        if e.call_id.trim().is_empty() || e.call_id.len() > 200 {
            return Err(Error::invalid(format!("[{i}].call_id"), "is required (at most 200 characters)"));
        }
        out.push(CallEvent {
            call_id: e.call_id,
            event,
            direction,
            from: e.from,
            to: e.to,
            at: e.at,
            duration_seconds: e.duration_seconds.filter(|d| *d >= 0),
            recording_url: e.recording_url,
            extension: e.extension,
        });
    }
    Ok(out)
}

/// Events by signed JSON webhook; click-to-call by a signed JSON POST to `dial_url`.
pub struct WebhookPbx {
    http: reqwest::Client,
}

impl WebhookPbx {
    pub fn new(http: reqwest::Client) -> Self {
        Self { http }
    }
}

#[async_trait]
impl PbxAdapter for WebhookPbx {
    fn provider(&self) -> &'static str {
        "webhook"
    }

    fn verify(&self, ch: &Channel, req: &InboundRequest) -> bool {
        verify_signed(ch, req)
    }

    fn parse(&self, _ch: &Channel, req: &InboundRequest) -> Result<Vec<CallEvent>> {
        parse_events(&req.body)
    }

    async fn dial(&self, ch: &Channel, extension: &str, number: &str) -> std::result::Result<(), SendError> {
        let url = ch.setting("dial_url").ok_or_else(|| SendError::Permanent("the channel has no dial_url".into()))?;
        let body = json!({"extension": extension, "number": number}).to_string();
        let sig = crate::signing::sign_sha256(ch.secrets.get("webhook_secret").unwrap_or_default(), body.as_bytes());
        let r = self
            .http
            .post(url)
            .header("content-type", "application/json")
            .header("x-clientele-signature", sig)
            .body(body)
            .send()
            .await;
        crate::http_outcome(r).await.map(|_| ())
    }
}

/// Asterisk ARI-style: the same signed events; click-to-call originates through ARI's REST.
pub struct AriPbx {
    http: reqwest::Client,
}

impl AriPbx {
    pub fn new(http: reqwest::Client) -> Self {
        Self { http }
    }
}

#[async_trait]
impl PbxAdapter for AriPbx {
    fn provider(&self) -> &'static str {
        "ari"
    }

    fn verify(&self, ch: &Channel, req: &InboundRequest) -> bool {
        verify_signed(ch, req)
    }

    fn parse(&self, _ch: &Channel, req: &InboundRequest) -> Result<Vec<CallEvent>> {
        parse_events(&req.body)
    }

    async fn dial(&self, ch: &Channel, extension: &str, number: &str) -> std::result::Result<(), SendError> {
        let base = ch
            .setting("dial_url")
            .ok_or_else(|| SendError::Permanent("the channel has no dial_url (the ARI base URL)".into()))?;
        let endpoint = format!("PJSIP/{extension}");
        let mut req = self.http.post(format!("{}/channels", base.trim_end_matches('/'))).query(&[
            ("endpoint", endpoint.as_str()),
            ("extension", number),
            ("context", "from-internal"),
            ("priority", "1"),
            ("callerId", number),
        ]);
        if let Some(user) = ch.setting("dial_username") {
            req = req.basic_auth(user, ch.secrets.get("dial_password"));
        }
        crate::http_outcome(req.send().await).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn events_are_read_and_checked() {
        let e = parse_events(br#"[{"call_id":"1","event":"missed","from":"+33612345678","to":"101"}]"#).unwrap();
        assert_eq!(e[0].event, CallStatus::Missed);
        assert_eq!(e[0].direction, Direction::Inbound);
        let err = parse_events(br#"{"call_id":"1","event":"exploded"}"#).unwrap_err();
        assert!(err.to_string().contains("event"), "{err}");
    }
}
