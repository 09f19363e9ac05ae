//! Webhook signatures: HMAC-SHA256 over the body (our own webhooks) and the Twilio-style
//! HMAC-SHA1 over the URL and the sorted form parameters. Comparisons are constant-time.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};

type HmacSha256 = Hmac<sha2_next::Sha256>;
type HmacSha1 = Hmac<sha1::Sha1>;

/// `sha256=<hex>` of HMAC-SHA256(secret, body).
pub fn sign_sha256(secret: &str, body: &[u8]) -> String {
    let Ok(mut mac) = HmacSha256::new_from_slice(secret.as_bytes()) else { return String::new() };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks a `sha256=<hex>` signature header.
pub fn verify_sha256(secret: &str, body: &[u8], presented: &str) -> bool {
    let Some(hex_sig) = presented.trim().strip_prefix("sha256=") else { return false };
    let Ok(sig) = hex::decode(hex_sig) else { return false };
    let Ok(mut mac) = HmacSha256::new_from_slice(secret.as_bytes()) else { return false };
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

/// The Twilio-style signature: base64(HMAC-SHA1(token, url + each param's key and value,
/// sorted by key)).
pub fn twilio_signature(token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut data = url.to_owned();
    for (k, v) in sorted {
        data.push_str(k);
        data.push_str(v);
    }
    let Ok(mut mac) = HmacSha1::new_from_slice(token.as_bytes()) else { return String::new() };
    mac.update(data.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Constant-time equality of two secrets.
pub fn same(a: &str, b: &str) -> bool {
    clientele_core::domain::secret::same_secret(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_round_trip() {
        let s = sign_sha256("k", b"body");
        assert!(verify_sha256("k", b"body", &s));
        assert!(!verify_sha256("k", b"other", &s));
        assert!(!verify_sha256("x", b"body", &s));
    }

    #[test]
    fn twilio_example() {
        // The example of Twilio's documentation on validating requests.
        let params: Vec<(String, String)> = [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let sig = twilio_signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", &params);
        assert_eq!(sig, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
    }
}
