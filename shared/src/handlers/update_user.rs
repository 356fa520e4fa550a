//! PUT /environments/{environmentId}/users/{userId}
//!
//! An email given without `emailVerifiedAt` does not change the user: it becomes a pending
//! verification and a code goes to the new address. The code is sent *before* anything is
//! written, so an SES failure leaves the user and any earlier pending change untouched (503);
//! a code whose write then fails was never stored and cannot verify anything.

use super::user_rules::{check_configured_values, check_required_kept, save_error, taken};
use super::view::UserView;
use crate::context::{AppContext, Want};
use crate::error::{ApiError, ApiResult};
use crate::http::{environment_id, json_body, json_response, respond, user_id};
use crate::model::input::{Patch, UserInput};
use crate::model::user::User;
use crate::model::values::{Email, Timestamp};
use crate::otp::{self, CODE_TTL_SECONDS, RESEND_COOLDOWN_SECONDS};
use crate::store::transact::{Guard, Tx, TxError};
use crate::store::users::Verification;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use uuid::Uuid;

/// Reads and writes retried when another request changed the user in between.
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

/// A code already sent during this request, reused if the write must be retried.
struct SentCode {
    verification: Verification,
}

async fn update(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let env = environment_id(req)?;
    let user_id = user_id(req)?;
    let want = Want { user: Some(user_id), verification: true, ..Want::default() };
    let mut loaded = ctx.load(req, env, want).await?;
    let input: UserInput = json_body(req)?;
    if input.id.is_some() {
        return Err(ApiError::bad_request("bad_request", "The id of a user cannot be changed.").field("id"));
    }
    let mut sent: Option<SentCode> = None;

    for attempt in 0..TRIES {
        if attempt > 0 {
            loaded = ctx.load(req, env, want).await?;
        }
        let before = loaded.user.as_ref().ok_or_else(|| ApiError::not_found("User").field("userId"))?;
        let now = Timestamp::now();
        let mut after = before.clone();
        after.updated_at = now;
        let patch = input.clone().into_patch()?;
        let patch_email_kept = patch.email.is_keep();
        let pending = match (&patch.email, &patch.email_verified_at) {
            (Patch::Clear, _) => {
                after.clear_email();
                None
            }
            (Patch::Set(email), Patch::Set(at)) => {
                after.set_verified_email(email.clone(), *at);
                None
            }
            (Patch::Set(email), _) if is_current(before, email) => None,
            (Patch::Set(email), _) => Some(email.clone()),
            (Patch::Keep, Patch::Set(at)) => {
                let email = before.profile.email.clone().ok_or_else(|| {
                    ApiError::bad_request("bad_request", "emailVerifiedAt needs an email.").field("emailVerifiedAt")
                })?;
                after.set_verified_email(email, *at);
                None
            }
            (Patch::Keep, Patch::Clear) => {
                after.unverify_email();
                None
            }
            (Patch::Keep, Patch::Keep) => None,
        };
        patch.apply_to(&mut after.profile);
        check_configured_values(&loaded.fields, Some(before), &after)?;
        check_required_kept(&loaded.fields, before, &after)?;

        let mut tx = Tx::default();
        // A request that settles the email (clears it, or sets a trusted or the current one)
        // withdraws any pending change, so an old code cannot switch the email later.
        let email_settled = !patch_email_kept && pending.is_none();
        if email_settled && loaded.verification.is_some() {
            ctx.store.drop_verification(&mut tx, env, user_id);
        }
        if let Some(email) = &pending {
            let verification = match &sent {
                Some(s) if &s.verification.email == email => s.verification.clone(),
                _ => {
                    let v = send_code(ctx, env, before, loaded.verification.as_ref(), email, now).await?;
                    sent = Some(SentCode { verification: v.clone() });
                    v
                }
            };
            ctx.store.put_verification(&mut tx, env, user_id, &verification, RESEND_COOLDOWN_SECONDS * 1000);
        }

        match ctx.store.save_user(Some(before), &after, &loaded.fields, tx).await {
            Ok(version) => {
                tracing::info!(user_id = %user_id, version, pending_email = pending.is_some(), "user updated");
                let body = UpdateResponse {
                    user: UserView::new(&after, &loaded.fields, false),
                    is_email_verification_required: pending.is_some(),
                    email_verification: sent.filter(|_| pending.is_some()).map(|s| EmailVerificationView {
                        verification_uuid: s.verification.verification_uuid,
                        email: s.verification.email,
                        expires_at: s.verification.expires_at,
                    }),
                };
                return Ok(json_response(StatusCode::OK, &body));
            }
            Err(TxError::Failed(Guard::User) | TxError::Conflict) => continue,
            Err(TxError::Failed(Guard::Verification)) => return Err(too_soon()),
            Err(e) => return Err(save_error(e)),
        }
    }
    Err(save_error(TxError::Conflict))
}

fn is_current(user: &User, email: &Email) -> bool {
    user.profile.email.as_ref().is_some_and(|e| e.normalized() == email.normalized())
}

fn too_soon() -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_requests",
        format!("A code was sent to this email less than {RESEND_COOLDOWN_SECONDS} seconds ago."),
    )
    .field("email")
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
            return Err(too_soon());
        }
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
