//! Redeeming a code. Each try spends an attempt *before* the code is compared, so however many
//! guesses arrive at once, at most five are ever judged; a wrong one also counts against the
//! address's wrong codes of the day, across all its codes.

use super::limits;
use super::secret::{self, MAX_ATTEMPTS};
use crate::context::AppContext;
use crate::error::{ApiError, ApiResult};
use crate::model::values::Timestamp;
use crate::store::{Charge, StoreError, Verification};
use serde::Deserialize;
use uuid::Uuid;

/// The body of every code check.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeAttempt {
    #[serde(rename = "verificationUUID")]
    pub verification_uuid: Uuid,
    #[serde(rename = "verificationToken")]
    pub verification_token: String,
}

/// Where the code being tried is kept.
#[derive(Clone, Copy)]
pub enum CodeAt<'a> {
    /// A user's pending email change, as the request first read it (a dead one is refused
    /// without spending anything).
    EmailChange { user: Uuid, read: Option<&'a Verification> },
    /// A pending sign-in, by its verification id.
    SignIn,
}

impl CodeAttempt {
    /// Checks the code against the verification at `at`, spending one of its attempts first; the
    /// verification as spent, if the code is right. A right code's write must still carry
    /// [`wrong_code_room`], so an address past its wrong codes is refused whatever the code.
    pub async fn redeem(&self, ctx: &AppContext, env: Uuid, at: CodeAt<'_>, now: Timestamp) -> ApiResult<Verification> {
        self.check_format()?;
        let wanted = self.verification_uuid;
        let spent = match at {
            CodeAt::EmailChange { user, read } => {
                if let Some(e) = dead_reason(read, wanted, now) {
                    return Err(e);
                }
                match ctx.store.spend_attempt(env, user, wanted, MAX_ATTEMPTS, now).await? {
                    Some(spent) => spent,
                    // Lost a race: look again to say why.
                    None => return Err(spend_refused(ctx.store.verification(env, user).await?.as_ref(), wanted, now)),
                }
            }
            CodeAt::SignIn => match ctx.store.spend_sign_in_attempt(env, wanted, MAX_ATTEMPTS, now).await? {
                Some(spent) => spent,
                None => return Err(spend_refused(ctx.store.sign_in(env, wanted).await?.as_ref(), wanted, now)),
            },
        };
        self.check_code(ctx, env, &spent, now).await?;
        Ok(spent)
    }

    /// A code is six digits; anything else is refused before an attempt is spent.
    fn check_format(&self) -> ApiResult<()> {
        let token = self.verification_token.as_str();
        if token.len() != 6 || !token.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ApiError::bad_request("invalid_verification_token", "The code is 6 digits.").field("verificationToken"));
        }
        Ok(())
    }

    /// Compares the code with the one `spent` was sent with (a decoy matches none); the 422
    /// says how many tries are left. A wrong code counts against the address's wrong codes of
    /// the day: past their limit the answer is 429.
    async fn check_code(&self, ctx: &AppContext, env: Uuid, spent: &Verification, now: Timestamp) -> ApiResult<()> {
        let right = secret::code_matches(&ctx.settings.otp_key, spent.verification_uuid, &self.verification_token, &spent.code_hash);
        if right && !spent.decoy {
            return Ok(());
        }
        match ctx.store.charge(env, &[limits::wrong_codes(&spent.email)], now.unix_millis()).await {
            Ok(()) => {}
            Err(StoreError::RateLimited { retry_after_seconds, .. }) => {
                tracing::warn!("wrong codes for one address reached the daily limit");
                return Err(StoreError::TooManyFailures { retry_after_seconds }.into());
            }
            Err(e) => return Err(e.into()),
        }
        let left = MAX_ATTEMPTS.saturating_sub(spent.attempts);
        tracing::info!(attempts_left = left, "wrong verification code");
        Err(ApiError::unprocessable("wrong_email_verification_token", "The code is not right.")
            .field("verificationToken")
            .with("attemptsLeft", left))
    }
}

/// The wrong-code counter of `spent`'s address, which a right code's write checks has room.
pub fn wrong_code_room(spent: &Verification) -> Charge {
    limits::wrong_codes(&spent.email)
}

fn exhausted() -> ApiError {
    ApiError::unprocessable("too_many_email_verification_attempts", "Too many wrong codes: request a new one.")
        .field("verificationToken")
}

/// Why a verification is not usable now, if it is not.
fn dead_reason(v: Option<&Verification>, wanted: Uuid, now: Timestamp) -> Option<ApiError> {
    match v {
        Some(v) if v.verification_uuid != wanted || v.is_expired(now) => Some(StoreError::VerificationGone.into()),
        Some(v) if v.attempts >= MAX_ATTEMPTS => Some(exhausted()),
        Some(_) => None,
        None => Some(StoreError::VerificationGone.into()),
    }
}

/// After a failed spend: why, from the verification as it is now.
fn spend_refused(now_stored: Option<&Verification>, wanted: Uuid, now: Timestamp) -> ApiError {
    dead_reason(now_stored, wanted, now).unwrap_or_else(exhausted)
}
