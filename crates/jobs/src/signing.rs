//! Webhook signatures, as the Standard Webhooks specification has them
//! (<https://www.standardwebhooks.com>): `HMAC-SHA256` over `{id}.{timestamp}.{body}` with the
//! subscription's secret, sent as `webhook-signature: v1,<base64>` beside `webhook-id` and
//! `webhook-timestamp` (Unix seconds, for replay protection). During a rotation the header
//! holds one signature per valid secret, space-separated; a receiver accepts any match.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Secrets start with this, then the base64 of 32 random bytes (the key).
pub const SECRET_PREFIX: &str = "whsec_";

/// A new secret.
pub fn new_secret() -> String {
    let key: [u8; 32] = rand::random();
    format!("{SECRET_PREFIX}{}", STANDARD.encode(key))
}

/// The key of a secret: the bytes after the prefix (a secret that does not decode signs with
/// its own bytes, so a hand-made secret still works).
fn key_of(secret: &str) -> Vec<u8> {
    let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    STANDARD
        .decode(encoded)
        .unwrap_or_else(|_| encoded.as_bytes().to_vec())
}

/// One `v1,<base64>` signature of a delivery with one secret.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(&key_of(secret)) {
        Ok(mac) => mac,
        // HMAC takes keys of any length; this cannot happen.
        Err(_) => return String::new(),
    };
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// The `webhook-signature` header: a signature per secret.
pub fn signature_header(secrets: &[&str], id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets
        .iter()
        .map(|s| sign(s, id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_standard_webhooks_test_vector() {
        // The example of the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            sign(secret, id, 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn a_rotation_signs_with_both_secrets() {
        let header = signature_header(&["whsec_AAAA", "whsec_BBBB"], "x", 1, b"{}");
        assert_eq!(header.split(' ').count(), 2);
        assert!(new_secret().starts_with(SECRET_PREFIX));
    }
}
