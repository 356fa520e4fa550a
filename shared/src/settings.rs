//! Configuration from the environment, read once per container. No secret is read from the
//! environment: the code-hashing key comes from Secrets Manager (see `secrets.rs`).

use std::env;

pub struct Settings {
    pub table_name: String,
    pub email_from: String,
    /// The key codes are hashed under: empty in functions that hash no codes.
    pub otp_key: Vec<u8>,
    /// `AWS_ENDPOINT_URL`, set only against a local emulator.
    pub endpoint_url: Option<String>,
    /// `PUBLIC_BASE_URL`: the origin clients reach the API at (a custom domain, or the local
    /// gateway); token issuers are built from it. Unset: the domain API Gateway reports.
    pub public_base_url: Option<String>,
    /// `SIGNING_KMS_KEY_ID`: the KMS key new signing keys are encrypted under (CLI only; a
    /// function decrypts with whatever key the ciphertext names, which IAM limits to this one).
    pub signing_kms_key_id: Option<String>,
    /// `EXPORT_BUCKET` and `EXPORT_QUEUE_URL`: where exports are written and how their work
    /// reaches the export worker (the export functions only).
    pub export_bucket: Option<String>,
    pub export_queue_url: Option<String>,
    /// Events: the EventBridge bus (EVENT_BUS_NAME), the webhook delivery queue
    /// (WEBHOOK_QUEUE_URL) and the KMS key webhook secrets are encrypted under (WEBHOOK_KMS_KEY_ID).
    pub event_bus_name: Option<String>,
    pub webhook_queue_url: Option<String>,
    pub webhook_kms_key_id: Option<String>,
    /// Local development only (WEBHOOKS_ALLOW_LOOPBACK_HTTP=1): webhook targets may be
    /// `http://127.0.0.1`. Off in AWS: every target is https to a public address.
    pub webhooks_allow_loopback: bool,
    /// Local development only (EXTERNAL_AUTH_ALLOW_LOOPBACK_HTTP=1): an external issuer's JWKS
    /// may be fetched from `http://127.0.0.1`.
    pub external_auth_allow_loopback: bool,
    /// The first retry's wait in seconds (WEBHOOK_RETRY_BASE_SECONDS, default 30), doubling.
    pub webhook_retry_base_seconds: u64,
}

/// Where a function that hashes codes gets its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OtpKeySource {
    /// A Secrets Manager secret id or ARN (`OTP_HMAC_KEY_SECRET`), read at init.
    Secret(String),
    /// The fixed development key: only with an explicit `USERFIELDS_DEV=1`.
    Development,
}

impl OtpKeySource {
    pub fn from_env() -> Result<Self, String> {
        Self::from_lookup(|name| env::var(name).ok().filter(|v| !v.is_empty()))
    }

    fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        if var("OTP_HMAC_KEY").is_some() {
            return Err("OTP_HMAC_KEY is no longer read: store the key in Secrets Manager and name it in \
                        OTP_HMAC_KEY_SECRET (the template does), or set USERFIELDS_DEV=1 locally"
                .into());
        }
        match (var("OTP_HMAC_KEY_SECRET"), var("USERFIELDS_DEV").as_deref()) {
            (Some(secret), _) => Ok(Self::Secret(secret)),
            (None, Some("1")) => Ok(Self::Development),
            (None, _) => Err("OTP_HMAC_KEY_SECRET (the Secrets Manager secret holding the code-hashing key) is \
                              required; for local development only, set USERFIELDS_DEV=1"
                .into()),
        }
    }
}

impl Settings {
    pub fn from_env() -> Result<Self, String> {
        Ok(Self {
            table_name: env::var("TABLE_NAME").unwrap_or_else(|_| "userfields".into()),
            email_from: env::var("EMAIL_FROM").unwrap_or_else(|_| "no-reply@userfields.local".into()),
            otp_key: Vec::new(),
            endpoint_url: env::var("AWS_ENDPOINT_URL").ok().filter(|v| !v.is_empty()),
            public_base_url: env::var("PUBLIC_BASE_URL").ok().filter(|v| !v.is_empty()),
            signing_kms_key_id: env::var("SIGNING_KMS_KEY_ID").ok().filter(|v| !v.is_empty()),
            export_bucket: env::var("EXPORT_BUCKET").ok().filter(|v| !v.is_empty()),
            export_queue_url: env::var("EXPORT_QUEUE_URL").ok().filter(|v| !v.is_empty()),
            event_bus_name: env::var("EVENT_BUS_NAME").ok().filter(|v| !v.is_empty()),
            webhook_queue_url: env::var("WEBHOOK_QUEUE_URL").ok().filter(|v| !v.is_empty()),
            webhook_kms_key_id: env::var("WEBHOOK_KMS_KEY_ID").ok().filter(|v| !v.is_empty()),
            webhooks_allow_loopback: env::var("WEBHOOKS_ALLOW_LOOPBACK_HTTP").is_ok_and(|v| v == "1"),
            external_auth_allow_loopback: env::var("EXTERNAL_AUTH_ALLOW_LOOPBACK_HTTP").is_ok_and(|v| v == "1"),
            webhook_retry_base_seconds: env::var("WEBHOOK_RETRY_BASE_SECONDS").ok().and_then(|v| v.parse().ok()).unwrap_or(30),
        })
    }

    /// What the admin CLI runs with: it hashes no codes.
    pub fn for_admin() -> Result<Self, String> {
        Self::from_env()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(vars: &[(&str, &str)]) -> Result<OtpKeySource, String> {
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        OtpKeySource::from_lookup(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    }

    #[test]
    fn the_key_comes_from_a_secret_or_an_explicit_development_switch() {
        assert_eq!(source(&[("OTP_HMAC_KEY_SECRET", "arn:x")]), Ok(OtpKeySource::Secret("arn:x".into())));
        assert_eq!(source(&[("USERFIELDS_DEV", "1")]), Ok(OtpKeySource::Development));
        // A local endpoint alone no longer selects the development key.
        assert!(source(&[("AWS_ENDPOINT_URL", "http://127.0.0.1:5050")]).is_err());
        assert!(source(&[("USERFIELDS_DEV", "true")]).is_err());
        // A plaintext key in the environment is refused, not silently used.
        assert!(source(&[("OTP_HMAC_KEY", "x".repeat(40).as_str()), ("USERFIELDS_DEV", "1")]).is_err());
    }
}
