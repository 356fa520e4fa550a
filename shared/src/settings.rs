//! Configuration from the environment, read once per container.

use std::env;

/// Marks the local emulator; only there may a missing OTP key fall back to a fixed dev key.
const DEV_OTP_KEY: &[u8] = b"userfields-local-development-only-otp-key";

pub struct Settings {
    pub table_name: String,
    pub email_from: String,
    pub otp_key: Vec<u8>,
    /// `AWS_ENDPOINT_URL`, set only against a local emulator.
    pub endpoint_url: Option<String>,
}

impl Settings {
    /// What the functions run with: the OTP key is required.
    pub fn from_env() -> Result<Self, String> {
        Self::load(true)
    }

    /// What the admin CLI runs with: it hashes no codes, so it needs no OTP key.
    pub fn for_admin() -> Result<Self, String> {
        Self::load(false)
    }

    fn load(needs_otp_key: bool) -> Result<Self, String> {
        let endpoint_url = env::var("AWS_ENDPOINT_URL").ok().filter(|v| !v.is_empty());
        let otp_key = match env::var("OTP_HMAC_KEY") {
            Ok(key) if key.len() >= 32 => key.into_bytes(),
            Ok(_) => return Err("OTP_HMAC_KEY must be at least 32 characters".into()),
            Err(_) if !needs_otp_key => Vec::new(),
            Err(_) if endpoint_url.is_some() => {
                tracing::warn!("OTP_HMAC_KEY unset: using the local development key");
                DEV_OTP_KEY.to_vec()
            }
            Err(_) => return Err("OTP_HMAC_KEY is required outside local development".into()),
        };
        Ok(Self {
            table_name: env::var("TABLE_NAME").unwrap_or_else(|_| "userfields".into()),
            email_from: env::var("EMAIL_FROM").unwrap_or_else(|_| "no-reply@userfields.local".into()),
            otp_key,
            endpoint_url,
        })
    }
}
