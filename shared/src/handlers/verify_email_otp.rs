//! POST /environments/{environmentId}/users/{userId}/emailVerifications/verify
//!
//! Each try spends an attempt *before* the code is compared, so however many guesses arrive at
//! once, at most five are ever judged. A right code applies the email, its credential and its
//! uniqueness claim and deletes the verification in one transaction: of concurrent verifies of
//! one code exactly one wins.

use super::user_rules::save_error;
use super::view::{UserEnvelope, UserView};
use crate::context::{AppContext, Want};
use crate::error::{ApiError, ApiResult};
use crate::http::{environment_id, json_body, json_response, respond, user_id};
use crate::model::values::Timestamp;
use crate::otp::{self, MAX_ATTEMPTS};
use crate::store::keys;
use crate::store::transact::{Guard, Tx, TxError};
use crate::store::users::{parse_verification, Verification};
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

fn invalid() -> ApiError {
    ApiError::unprocessable("invalid_verification", "This verification does not exist or has expired.")
        .field("verificationUUID")
}

fn exhausted() -> ApiError {
    ApiError::unprocessable(
        "too_many_email_verification_attempts",
        "Too many wrong codes: request a new one.",
    )
    .field("verificationToken")
}

/// Why a verification is not usable now, if it is not.
fn dead_reason(v: Option<&Verification>, wanted: Uuid, now: Timestamp) -> Option<ApiError> {
    match v {
        Some(v) if v.verification_uuid != wanted || v.is_expired(now) => Some(invalid()),
        Some(v) if v.attempts >= MAX_ATTEMPTS => Some(exhausted()),
        Some(_) => None,
        None => Some(invalid()),
    }
}

async fn verify(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let env = environment_id(req)?;
    let user_id = user_id(req)?;
    let want = Want { user: Some(user_id), verification: true, ..Want::default() };
    let mut loaded = ctx.load(req, env, want).await?;
    let body: VerifyRequest = json_body(req)?;
    let token = body.verification_token.as_str();
    if token.len() != 6 || !token.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::bad_request("invalid_verification_token", "The code is 6 digits.").field("verificationToken"));
    }
    if loaded.user.is_none() {
        return Err(ApiError::not_found("User").field("userId"));
    }
    let now = Timestamp::now();
    if let Some(e) = dead_reason(loaded.verification.as_ref(), body.verification_uuid, now) {
        return Err(e);
    }
    let Some(spent) = ctx.store.spend_attempt(env, user_id, body.verification_uuid, now).await? else {
        // Lost a race: look again to say why.
        let item = ctx.store.get_item(&keys::email_verification(env, user_id)).await?;
        let current = item.map(parse_verification).transpose()?;
        return Err(dead_reason(current.as_ref(), body.verification_uuid, now).unwrap_or_else(exhausted));
    };
    if !otp::code_matches(&ctx.settings.otp_key, spent.verification_uuid, token, &spent.code_hash) {
        let left = MAX_ATTEMPTS.saturating_sub(spent.attempts);
        tracing::info!(user_id = %user_id, attempts_left = left, "wrong verification code");
        return Err(ApiError::unprocessable("wrong_email_verification_token", "The code is not right.")
            .field("verificationToken")
            .with("attemptsLeft", left));
    }

    for attempt in 0..TRIES {
        if attempt > 0 {
            loaded = ctx.load(req, env, want).await?;
        }
        let before = loaded.user.as_ref().ok_or_else(|| ApiError::not_found("User").field("userId"))?;
        let mut after = before.clone();
        let now = Timestamp::now();
        after.updated_at = now;
        after.set_verified_email(spent.email.clone(), now);
        let mut tx = Tx::default();
        ctx.store.consume_verification(&mut tx, env, user_id, spent.verification_uuid);
        match ctx.store.save_user(Some(before), &after, &loaded.fields, tx).await {
            Ok(version) => {
                tracing::info!(user_id = %user_id, version, "email verified");
                return Ok(json_response(
                    StatusCode::OK,
                    &UserEnvelope { user: UserView::new(&after, &loaded.fields, false) },
                ));
            }
            Err(TxError::Failed(Guard::Verification)) => return Err(invalid()),
            Err(TxError::Failed(Guard::User) | TxError::Conflict) => continue,
            Err(e) => return Err(save_error(e)),
        }
    }
    Err(save_error(TxError::Conflict))
}
