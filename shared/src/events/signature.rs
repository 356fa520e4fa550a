//! How a webhook body is signed. Dynamic's header, `x-dynamic-signature-256: sha256=<hex
//! HMAC-SHA256 of the raw body under the secret>`, and, for the replay protection it lacks, the
//! Standard Webhooks headers: `webhook-id`, `webhook-timestamp` (Unix seconds) and
//! `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, keyed with the
//! secret's bytes after `whsec_` (base64-decoded).

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

fn hmac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

/// `sha256=<hex>`, Dynamic's `x-dynamic-signature-256`.
pub fn dynamic_signature(secret: &str, body: &[u8]) -> String {
    format!("sha256={}", hex::encode(hmac(secret.as_bytes(), &[body])))
}

/// `v1,<base64>`, Standard Webhooks' `webhook-signature`.
pub fn standard_signature(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> String {
    let engine = base64::engine::general_purpose::STANDARD;
    let key = secret.strip_prefix("whsec_").and_then(|k| engine.decode(k).ok()).unwrap_or_else(|| secret.as_bytes().to_vec());
    let ts = timestamp.to_string();
    format!("v1,{}", engine.encode(hmac(&key, &[id.as_bytes(), b".", ts.as_bytes(), b".", body])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_the_published_constructions() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            dynamic_signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Standard Webhooks' own example (standardwebhooks.com, the reference libraries' test).
        assert_eq!(
            standard_signature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, br#"{"test": 2432232314}"#),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }
}
