//! POST /environments/{environmentId}/users/{userId}/emailVerifications/verify
//!
//! Each try spends an attempt *before* the code is compared, so however many guesses arrive at
//! once, at most five are ever judged. A right code applies the email, its credential and its
//! uniqueness claim and deletes the verification in one transaction: of concurrent verifies of
//! one code exactly one wins.

use super::view::{UserEnvelope, UserView};
use crate::auth::scopes::Scope;
use crate::context::AppContext;
use crate::error::{ApiError, ApiResult};
use crate::http::{environment_id, json_body, json_response, respond, user_id};
use crate::model::values::Timestamp;
use crate::otp::{self, MAX_ATTEMPTS};
use crate::prefetch::Reads;
use crate::model::field_rules::FieldSettings;
use crate::model::user::User;
use crate::prefetch::Prefetched;
use crate::store::{Backoff, Side, StoreError, Verification};
use std::sync::Arc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use uuid::Uuid;

const TRIES: usize = 4;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyRequest {
    #[serde(rename = "verificationUUID")]
    verification_uuid: Uuid,
    #[serde(rename = "verificationToken")]
    verification_token: String,
}

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(verify(ctx, &req).await)
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

async fn verify(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let env = environment_id(req)?;
    let user_id = user_id(req)?;
    let reads = Reads { user: Some(user_id), verification: true, ..Reads::default() };
    let first = ctx.authorize(req, env, Scope::UsersWrite, reads).await?;
    let body: VerifyRequest = json_body(req)?;
    let token = body.verification_token.as_str();
    if token.len() != 6 || !token.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::bad_request("invalid_verification_token", "The code is 6 digits.").field("verificationToken"));
    }
    if first.user.is_none() {
        return Err(ApiError::not_found("User").field("userId"));
    }
    let now = Timestamp::now();
    if let Some(e) = dead_reason(first.verification.as_ref(), body.verification_uuid, now) {
        return Err(e);
    }
    let Some(spent) = ctx.store.spend_attempt(env, user_id, body.verification_uuid, MAX_ATTEMPTS, now).await? else {
        // Lost a race: look again to say why.
        let current = ctx.store.verification(env, user_id).await?;
        return Err(dead_reason(current.as_ref(), body.verification_uuid, now).unwrap_or_else(exhausted));
    };
    if !otp::code_matches(&ctx.settings.otp_key, spent.verification_uuid, token, &spent.code_hash) {
        let left = MAX_ATTEMPTS.saturating_sub(spent.attempts);
        tracing::info!(user_id = %user_id, attempts_left = left, "wrong verification code");
        return Err(ApiError::unprocessable("wrong_email_verification_token", "The code is not right.")
            .field("verificationToken")
            .with("attemptsLeft", left));
    }

    let mut read = Some(first);
    let mut backoff = Backoff::new(TRIES);
    let (saved, fields) = loop {
        match try_apply(ctx, req, env, reads, &spent, read.take()).await {
            Err(e) if backoff.retry(&e).await => continue,
            outcome => break outcome?,
        }
    };
    tracing::info!(user_id = %user_id, version = saved.version, "email verified");
    Ok(json_response(StatusCode::OK, &UserEnvelope { user: UserView::new(&saved, &fields, false) }))
}

/// One attempt at applying a verified email: on a retry the user is read again.
async fn try_apply(
    ctx: &AppContext,
    req: &Request,
    env: Uuid,
    reads: Reads,
    spent: &Verification,
    read: Option<Prefetched>,
) -> ApiResult<(User, Arc<FieldSettings>)> {
    let current = match read {
        Some(r) => r,
        None => ctx.authorize(req, env, Scope::UsersWrite, Reads { fresh_fields: true, ..reads }).await?,
    };
    let before = current.user.as_ref().ok_or_else(|| ApiError::not_found("User").field("userId"))?;
    let mut after = before.clone();
    let now = Timestamp::now();
    after.updated_at = now;
    after.set_verified_email(spent.email.clone(), now);
    let side = Side::ConsumeVerification(spent.verification_uuid);
    let saved = ctx.store.update_user(before, &after, &current.fields, current.fields_version, side).await?;
    Ok((saved, current.fields))
}
