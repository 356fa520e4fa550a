//! PUT /environments/{environmentId}/users/{userId}
//!
//! An email given without `emailVerifiedAt` does not change the user: it becomes a pending
//! verification and a code goes to the new address. The code is sent *before* anything is
//! written, so an SES failure leaves the user and any earlier pending change untouched (503);
//! a code whose write then fails was never stored and cannot verify anything.

use crate::user_rules::{apply_credentials, check_configured_values, check_required_kept};
use super::view::UserView;
use crate::auth::scopes::Scope;
use crate::context::AppContext;
use crate::error::{taken, ApiError, ApiResult};
use crate::http::{environment_id, json_body, json_response, respond, user_id};
use crate::model::patch::Patch;
use crate::model::profile_fields::{ProfilePatch, UserInput};
use crate::model::user::User;
use crate::model::values::{Email, Timestamp};
use crate::otp::{self, CODE_TTL_SECONDS, RESEND_COOLDOWN_SECONDS};
use crate::prefetch::{Prefetched, Reads};
use crate::model::field_rules::FieldSettings;
use crate::store::{Backoff, Side, StoreError, Verification};
use std::sync::Arc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use uuid::Uuid;

/// Reads and writes retried when another request changed the user (or the configuration) in
/// between.
const TRIES: usize = 4;

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(update(ctx, &req).await)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EmailVerificationView {
    #[serde(rename = "verificationUUID")]
    verification_uuid: Uuid,
    email: Email,
    expires_at: Timestamp,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UpdateResponse<'a> {
    user: UserView<'a>,
    is_email_verification_required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    email_verification: Option<EmailVerificationView>,
}

/// How the request changes the email.
enum EmailChange {
    /// Applied now (cleared, trusted, unchanged or untouched); `settled` withdraws any pending code.
    Applied { settled: bool },
    /// Waits for the code sent to this address.
    Pending(Email),
}

async fn update(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let env = environment_id(req)?;
    let user_id = user_id(req)?;
    let reads = Reads { user: Some(user_id), verification: true, ..Reads::default() };
    let first = ctx.authorize(req, env, Scope::UsersWrite, reads).await?;
    let input: UserInput = json_body(req)?;
    if input.id.is_some() {
        return Err(ApiError::bad_request("bad_request", "The id of a user cannot be changed.").field("id"));
    }
    let patch = input.into_patch()?;
    // A code sent by an earlier try of this request, reused rather than sent again.
    let mut sent: Option<Verification> = None;
    let mut read = Some(first);

    let mut backoff = Backoff::new(TRIES);
    let (saved, fields, pending) = loop {
        match try_update(ctx, req, env, reads, &patch, &mut sent, read.take()).await {
            Err(e) if backoff.retry(&e).await => continue,
            outcome => break outcome?,
        }
    };

    tracing::info!(user_id = %user_id, version = saved.version, pending_email = pending, "user updated");
    let body = UpdateResponse {
        user: UserView::new(&saved, &fields, false),
        is_email_verification_required: pending,
        email_verification: sent.filter(|_| pending).map(|v| EmailVerificationView {
            verification_uuid: v.verification_uuid,
            email: v.email,
            expires_at: v.expires_at,
        }),
    };
    Ok(json_response(StatusCode::OK, &body))
}

/// One attempt: read (again, on a retry), apply, judge, send a code if the email is to change
/// (once per request, reused on retries), write.
async fn try_update(
    ctx: &AppContext,
    req: &Request,
    env: Uuid,
    reads: Reads,
    patch: &ProfilePatch,
    sent: &mut Option<Verification>,
    read: Option<Prefetched>,
) -> ApiResult<(User, Arc<FieldSettings>, bool)> {
    let current = match read {
        Some(r) => r,
        None => ctx.authorize(req, env, Scope::UsersWrite, Reads { fresh_fields: true, ..reads }).await?,
    };
    let before = current.user.as_ref().ok_or_else(|| ApiError::not_found("User").field("userId"))?;
    let now = Timestamp::now();
    let mut after = before.clone();
    after.updated_at = now;
    let verify_email = current.fields.get("email").is_none_or(|f| f.spec.verify);
    let change = apply(patch.clone(), before, &mut after, verify_email, now)?;
    check_configured_values(&current.fields, Some(before), &after)?;
    check_required_kept(&current.fields, before, &after)?;

    let side = match &change {
        EmailChange::Applied { settled: true } if current.verification.is_some() => Side::DropVerification,
        EmailChange::Applied { .. } => Side::Nothing,
        EmailChange::Pending(email) => {
            if sent.as_ref().is_none_or(|v| &v.email != email) {
                *sent = Some(send_code(ctx, env, before, current.verification.as_ref(), email, now).await?);
            }
            let verification = sent.as_ref().expect("a code was just sent");
            Side::PutVerification { verification, cooldown_ms: RESEND_COOLDOWN_SECONDS * 1000 }
        }
    };
    let saved = ctx.store.update_user(before, &after, &current.fields, current.fields_version, side).await?;
    Ok((saved, current.fields, matches!(change, EmailChange::Pending(_))))
}

/// Applies `patch` to `after`, deciding what happens to the email: a new address waits for its
/// code unless the configuration says `verify: false` on email (then it applies, unverified).
fn apply(mut patch: ProfilePatch, before: &User, after: &mut User, verify_email: bool, now: Timestamp) -> ApiResult<EmailChange> {
    apply_credentials(&mut patch, after, now);
    let email = std::mem::take(&mut patch.email);
    let verified_at = std::mem::take(&mut patch.email_verified_at);
    let change = match (email, verified_at) {
        (Patch::Clear, _) => {
            after.clear_email();
            EmailChange::Applied { settled: true }
        }
        (Patch::Set(email), Patch::Set(at)) => {
            after.set_verified_email(email, at);
            EmailChange::Applied { settled: true }
        }
        (Patch::Set(email), _) if is_current(before, &email) => EmailChange::Applied { settled: true },
        (Patch::Set(email), _) if !verify_email => {
            after.unverify_email();
            after.profile.email = Some(email);
            EmailChange::Applied { settled: true }
        }
        (Patch::Set(email), _) => EmailChange::Pending(email),
        (Patch::Keep, Patch::Set(at)) => {
            let email = before.profile.email.clone().ok_or_else(|| {
                ApiError::bad_request("bad_request", "emailVerifiedAt needs an email.").field("emailVerifiedAt")
            })?;
            after.set_verified_email(email, at);
            EmailChange::Applied { settled: false }
        }
        (Patch::Keep, Patch::Clear) => {
            after.unverify_email();
            EmailChange::Applied { settled: false }
        }
        (Patch::Keep, Patch::Keep) => EmailChange::Applied { settled: false },
    };
    patch.apply_to(&mut after.profile);
    Ok(change)
}

fn is_current(user: &User, email: &Email) -> bool {
    user.profile.email.as_ref().is_some_and(|e| e.normalized() == email.normalized())
}

/// Checks the new email is free and the resend cooldown has passed, then emails a fresh code.
async fn send_code(
    ctx: &AppContext,
    env: Uuid,
    user: &User,
    current: Option<&Verification>,
    email: &Email,
    now: Timestamp,
) -> ApiResult<Verification> {
    // A courtesy check so no code is sent for an address already taken; the claim moved at
    // verification is what actually guarantees uniqueness.
    if let Some(holder) = ctx.store.claim_holder(env, "email", &email.normalized()).await? {
        if holder != user.id {
            return Err(taken("email"));
        }
    }
    let now_ms = now.unix_millis();
    if let Some(v) = current {
        let same_email = v.email.normalized() == email.normalized();
        if same_email && !v.is_expired(now) && now_ms - v.sent_at_ms < RESEND_COOLDOWN_SECONDS * 1000 {
            return Err(StoreError::TooSoon.into());
        }
    }
    if !otp::usable_key(&ctx.settings.otp_key) {
        tracing::error!("this function was started without the OTP key (runtime::Needs::OtpKey)");
        return Err(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "Codes cannot be issued here."));
    }
    let code = otp::new_code();
    let verification_uuid = Uuid::new_v4();
    let expires_at = now.plus_seconds(CODE_TTL_SECONDS);
    ctx.mailer.send_code(email.as_str(), &code).await?;
    Ok(Verification {
        verification_uuid,
        email: email.clone(),
        code_hash: otp::hash_code(&ctx.settings.otp_key, verification_uuid, &code),
        expires_at,
        sent_at_ms: now_ms,
        attempts: 0,
        ttl: expires_at.unix(),
    })
}
