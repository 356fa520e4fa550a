//! Verifying an emailed code: a user's pending email change (operator or end user) and, through
//! the same checks, a sign-in. Each try spends an attempt *before* the code is compared, so
//! however many guesses arrive at once, at most five are ever judged. A right code applies the
//! email, its credential and its uniqueness claim and deletes the verification in one
//! transaction: of concurrent verifies of one code exactly one wins.

use crate::context::AppContext;
use crate::error::{ApiError, ApiResult};
use crate::model::field_rules::FieldSettings;
use crate::model::user::User;
use crate::model::values::Timestamp;
use crate::otp::{self, MAX_ATTEMPTS};
use crate::prefetch::{Access, Prefetched, Reads, SignedIn};
use crate::send_limits;
use crate::store::{Backoff, Charge, Side, StoreError, Verification};
use lambda_http::Request;
use serde::Deserialize;
use std::sync::Arc;
use uuid::Uuid;

const TRIES: usize = 4;

/// The body of every code check.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeAttempt {
    #[serde(rename = "verificationUUID")]
    pub verification_uuid: Uuid,
    #[serde(rename = "verificationToken")]
    pub verification_token: String,
}

impl CodeAttempt {
    /// A code is six digits; anything else is refused before an attempt is spent.
    pub fn check_format(&self) -> ApiResult<()> {
        let token = self.verification_token.as_str();
        if token.len() != 6 || !token.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ApiError::bad_request("invalid_verification_token", "The code is 6 digits.").field("verificationToken"));
        }
        Ok(())
    }

    /// Compares the code with the one `spent` was sent with (a decoy matches none); the 422
    /// says how many tries are left. A wrong code also counts against the address's wrong codes
    /// of the day, across all its codes: past their limit the answer is 429, and a right code is
    /// refused too, by the check its write carries ([`wrong_code_room`]).
    pub async fn check_code(&self, ctx: &AppContext, env: Uuid, spent: &Verification, now: Timestamp) -> ApiResult<()> {
        let right = otp::code_matches(&ctx.settings.otp_key, spent.verification_uuid, &self.verification_token, &spent.code_hash);
        if right && !spent.decoy {
            return Ok(());
        }
        match ctx.store.charge(env, &[send_limits::wrong_codes(&spent.email)], now.unix_millis()).await {
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
    send_limits::wrong_codes(&spent.email)
}

fn exhausted() -> ApiError {
    ApiError::unprocessable("too_many_email_verification_attempts", "Too many wrong codes: request a new one.")
        .field("verificationToken")
}

/// Why a verification is not usable now, if it is not.
pub fn dead_reason(v: Option<&Verification>, wanted: Uuid, now: Timestamp) -> Option<ApiError> {
    match v {
        Some(v) if v.verification_uuid != wanted || v.is_expired(now) => Some(StoreError::VerificationGone.into()),
        Some(v) if v.attempts >= MAX_ATTEMPTS => Some(exhausted()),
        Some(_) => None,
        None => Some(StoreError::VerificationGone.into()),
    }
}

/// After a failed spend: why, from the verification as it is now.
pub fn spend_refused(now_stored: Option<&Verification>, wanted: Uuid, now: Timestamp) -> ApiError {
    dead_reason(now_stored, wanted, now).unwrap_or_else(exhausted)
}

pub struct EmailVerified {
    pub user: User,
    pub fields: Arc<FieldSettings>,
    pub signed_in: Option<SignedIn>,
}

/// Verifies the pending email change of `user`, as `first` read it with `access`.
pub async fn verify_change(
    ctx: &AppContext,
    req: &Request,
    env: Uuid,
    user: Uuid,
    access: Access,
    attempt: &CodeAttempt,
    first: Prefetched,
) -> ApiResult<EmailVerified> {
    attempt.check_format()?;
    if first.user.is_none() {
        return Err(ApiError::not_found("User").field("userId"));
    }
    let now = Timestamp::now();
    if let Some(e) = dead_reason(first.verification.as_ref(), attempt.verification_uuid, now) {
        return Err(e);
    }
    let Some(spent) = ctx.store.spend_attempt(env, user, attempt.verification_uuid, MAX_ATTEMPTS, now).await? else {
        // Lost a race: look again to say why.
        let current = ctx.store.verification(env, user).await?;
        return Err(spend_refused(current.as_ref(), attempt.verification_uuid, now));
    };
    attempt.check_code(ctx, env, &spent, now).await?;

    let mut current = first;
    let mut backoff = Backoff::new(TRIES);
    loop {
        match apply(ctx, &spent, &current).await {
            Err(e) if backoff.retry(&e).await => {
                let reads = Reads { user: Some(user), verification: true, fresh_fields: true };
                current = ctx.prefetch(req, env, access, reads).await?;
            }
            Err(e) => return Err(e),
            Ok(saved) => {
                tracing::info!(user_id = %user, version = saved.version, "email verified");
                return Ok(EmailVerified { user: saved, fields: current.fields, signed_in: current.signed_in });
            }
        }
    }
}

/// One attempt at applying a verified email to the user as `current` read it.
async fn apply(ctx: &AppContext, spent: &Verification, current: &Prefetched) -> ApiResult<User> {
    let before = current.user.as_ref().ok_or_else(|| ApiError::not_found("User").field("userId"))?;
    let mut after = before.clone();
    let now = Timestamp::now();
    after.updated_at = now;
    after.set_verified_email(spent.email.clone(), now);
    let room = wrong_code_room(spent);
    let sides = [Side::ConsumeVerification(spent.verification_uuid), Side::CheckRoom(&room, now.unix_millis())];
    Ok(ctx.store.update_user(before, &after, &current.fields, current.fields_version, &sides).await?)
}
