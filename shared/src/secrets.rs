//! The code-hashing key, fetched once at init from Secrets Manager (moto locally), so it never
//! sits in a function's environment variables (readable with `lambda:GetFunctionConfiguration`)
//! or in a log.

use crate::settings::OtpKeySource;
use aws_config::SdkConfig;

/// Keys shorter than this are refused: HMAC-SHA256 wants at least 32 bytes of key.
pub const MIN_OTP_KEY_BYTES: usize = 32;
const DEVELOPMENT_OTP_KEY: &[u8] = b"userfields-local-development-only-otp-key";

pub async fn load_otp_key(sdk: &SdkConfig, source: &OtpKeySource) -> Result<Vec<u8>, String> {
    let secret = match source {
        OtpKeySource::Development => {
            tracing::warn!("USERFIELDS_DEV=1: codes are hashed under the fixed development key");
            return Ok(DEVELOPMENT_OTP_KEY.to_vec());
        }
        OtpKeySource::Secret(id) => id,
    };
    let out = aws_sdk_secretsmanager::Client::new(sdk)
        .get_secret_value()
        .secret_id(secret)
        .send()
        .await
        // The error names the secret and the cause, never a secret value.
        .map_err(|e| format!("reading the OTP key secret {secret}: {}", aws_sdk_secretsmanager::error::DisplayErrorContext(&e)))?;
    let key = out.secret_string().map(|s| s.as_bytes().to_vec()).or_else(|| out.secret_binary().map(|b| b.as_ref().to_vec()));
    match key {
        Some(key) if key.len() >= MIN_OTP_KEY_BYTES => Ok(key),
        Some(_) => Err(format!("the OTP key secret {secret} is shorter than {MIN_OTP_KEY_BYTES} bytes")),
        None => Err(format!("the OTP key secret {secret} has no value")),
    }
}
