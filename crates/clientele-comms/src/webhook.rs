//! Outgoing HTTP for webhooks and rules' `call_webhook` (the core's `HttpPort`).

use async_trait::async_trait;
use clientele_core::comms::{HttpPort, HttpReply};

pub struct Http {
    client: reqwest::Client,
}

impl Http {
    pub fn new(client: reqwest::Client) -> Self {
        Self { client }
    }
}

#[async_trait]
impl HttpPort for Http {
    async fn post_json(&self, url: &str, headers: &[(String, String)], body: &[u8]) -> Result<HttpReply, String> {
        let mut req = self.client.post(url).header("content-type", "application/json").body(body.to_vec());
        for (k, v) in headers {
            req = req.header(k.as_str(), v.as_str());
        }
        let r = req.send().await.map_err(|e| format!("could not reach {url}: {e}"))?;
        let status = r.status().as_u16();
        let text = r.text().await.unwrap_or_default();
        Ok(HttpReply { status, body: text.chars().take(1000).collect() })
    }
}
