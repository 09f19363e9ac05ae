//! Clientele's communications I/O: the implementations of the core's channel contracts
//! (`clientele_core::comms`). SMTP out with lettre (STARTTLS or implicit TLS through rustls),
//! IMAP in with async-imap, MIME read with mail-parser; provider adapters, one module each:
//! a Telegram-style bot API (`telegram`), a Twilio-style SMS API (`twilio`) and PBX adapters
//! (`pbx`: a generic signed JSON webhook, and an Asterisk ARI-style originate). Adding a
//! provider is a module implementing `ChannelAdapter` (or `PbxAdapter`) and a line in
//! [`comms`].

pub mod mail;
pub mod pbx;
pub mod signing;
pub mod telegram;
pub mod twilio;
pub mod webhook;

use std::sync::Arc;
use std::time::Duration;

use clientele_core::comms::{Comms, SendError};

/// Everything connected, for the server and the tests. `public_url` is where this Clientele
/// is reached from outside (tracking links, webhook URLs).
pub fn comms(public_url: &str) -> Comms {
    let http = http_client();
    Comms {
        mail: Arc::new(mail::Mail),
        adapters: vec![Arc::new(telegram::Telegram::new(http.clone())), Arc::new(twilio::Twilio::new(http.clone()))],
        pbx: vec![Arc::new(pbx::WebhookPbx::new(http.clone())), Arc::new(pbx::AriPbx::new(http.clone()))],
        public_url: public_url.trim_end_matches('/').to_owned(),
        http: Arc::new(webhook::Http::new(http)),
    }
}

fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("Clientele/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}

/// A provider's HTTP answer as a send outcome: 2xx is accepted, 408/429/5xx and network
/// failures are worth retrying, other 4xx are refusals.
pub(crate) async fn http_outcome(r: Result<reqwest::Response, reqwest::Error>) -> Result<serde_json::Value, SendError> {
    let r = r.map_err(|e| SendError::Transient(format!("the provider could not be reached: {e}")))?;
    let status = r.status();
    let body: serde_json::Value = r.json().await.unwrap_or(serde_json::Value::Null);
    if status.is_success() {
        return Ok(body);
    }
    let msg = format!("the provider answered {status}: {}", body.to_string().chars().take(300).collect::<String>());
    if status.is_server_error() || status.as_u16() == 429 || status.as_u16() == 408 {
        Err(SendError::Transient(msg))
    } else {
        Err(SendError::Permanent(msg))
    }
}
