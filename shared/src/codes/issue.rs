//! A fresh code and its stored form. The code itself is returned to be sent, never stored.

use super::secret::{self, CODE_TTL_SECONDS};
use crate::context::AppContext;
use crate::error::{ApiError, ApiResult};
use crate::model::values::{Email, Timestamp};
use crate::store::Verification;
use lambda_http::http::StatusCode;
use uuid::Uuid;

/// A new code for `email` (a sign-in's `holder`: the user that holds the address now, if any).
/// Refused (500) in a function started without the code key: it would store codes no function
/// can check (`runtime::Needs::OtpKey` says which functions load it).
pub fn issue(ctx: &AppContext, email: &Email, now: Timestamp, holder: Option<Uuid>) -> ApiResult<(Verification, String)> {
    if !secret::usable_key(&ctx.settings.otp_key) {
        tracing::error!("this function was started without the OTP key (runtime::Needs::OtpKey)");
        return Err(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "Codes cannot be issued here."));
    }
    let code = secret::new_code();
    Ok((stored_form(&ctx.settings.otp_key, email, &code, now, holder), code))
}

/// What is stored for `code` sent to `email` at `now`: its keyed hash under a new verification
/// id, never the code. (The benchmark's seeding stores a code it chose through this too.)
pub fn stored_form(otp_key: &[u8], email: &Email, code: &str, now: Timestamp, holder: Option<Uuid>) -> Verification {
    let verification_uuid = Uuid::new_v4();
    let expires_at = now.plus_seconds(CODE_TTL_SECONDS);
    Verification {
        verification_uuid,
        email: email.clone(),
        code_hash: secret::hash_code(otp_key, verification_uuid, code),
        expires_at,
        sent_at_ms: now.unix_millis(),
        attempts: 0,
        ttl: expires_at.unix(),
        holder,
        decoy: false,
    }
}
