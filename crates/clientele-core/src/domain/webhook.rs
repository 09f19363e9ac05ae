//! Outgoing webhooks: subscriptions per event type, deliveries with their attempts, and the
//! signature receivers check (HMAC-SHA256 over `<timestamp>.<body>`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
pub const SIGNATURE_HEADER: &str = "x-clientele-signature";
/// Receivers should refuse signatures older than this (replays).
pub const TOLERANCE_SECS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Subscription {
    pub id: Uuid,
    pub version: i64,
    pub url: String,
    pub description: String,
    /// Event types (`deal.won`, ...), or `*` for every event.
    pub event_types: Vec<String>,
    pub active: bool,
    /// Shown once, when the subscription is made (and when it is rotated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Delivery {
    pub id: Uuid,
    pub subscription_id: Uuid,
    pub event_id: Uuid,
    pub event_type: String,
    /// `pending`, `retrying`, `delivered` or `dead`.
    pub status: String,
    pub attempts: i64,
    pub response_code: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Attempt {
    pub delivery_id: Uuid,
    pub attempt: i64,
    pub at: DateTime<Utc>,
    pub response_code: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// HMAC-SHA256 (RFC 2104).
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    use hmac::{KeyInit, Mac};
    // Any key length is valid for HMAC: `new_from_slice` cannot fail here.
    let Ok(mut mac) = hmac::Hmac::<sha2_next::Sha256>::new_from_slice(key) else {
        unreachable!("HMAC takes keys of any length")
    };
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

/// The signature header's value for `body` sent at `t`.
pub fn sign(secret: &str, t: i64, body: &[u8]) -> String {
    let mut msg = format!("{t}.").into_bytes();
    msg.extend_from_slice(body);
    format!("t={t},v1={}", hex::encode(hmac_sha256(secret.as_bytes(), &msg)))
}

/// Whether `header` signs `body` with `secret`, within the tolerance of `now` (what a
/// receiver does).
pub fn verify(secret: &str, header: &str, body: &[u8], now: i64) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => v1 = Some(v),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else { return false };
    if (now - t).abs() > TOLERANCE_SECS {
        return false;
    }
    let expected = sign(secret, t, body);
    // Constant-time comparison of the hex digests.
    let want = expected.rsplit("v1=").next().unwrap_or_default().as_bytes();
    let got = v1.as_bytes();
    want.len() == got.len() && want.iter().zip(got).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_and_signatures_verify() {
        // RFC 4231 test case 2.
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let h = sign("s3cret", 1_700_000_000, b"{\"a\":1}");
        assert!(verify("s3cret", &h, b"{\"a\":1}", 1_700_000_100));
        assert!(!verify("s3cret", &h, b"{\"a\":2}", 1_700_000_100), "another body");
        assert!(!verify("other", &h, b"{\"a\":1}", 1_700_000_100), "another secret");
        assert!(!verify("s3cret", &h, b"{\"a\":1}", 1_700_001_000), "too old: a replay");
        assert!(!verify("s3cret", "v1=abc", b"", 0));
    }
}
