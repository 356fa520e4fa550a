//! Verifying a user's pending email change (operator or end user) by its code (`codes`). A
//! right code applies the email, its credential and its uniqueness claim and deletes the
//! verification in one transaction: of concurrent verifies of one code exactly one wins.

use crate::context::AppContext;
use crate::error::{ApiError, ApiResult};
use crate::model::field_settings::FieldSettings;
use crate::model::user::User;
use crate::model::values::Timestamp;
use crate::codes::attempt::wrong_code_room;
use crate::codes::{CodeAt, CodeAttempt};
use crate::context::prefetch::{Prefetched, Reload, SignedIn};
use crate::store::{Backoff, Side, Verification};
use std::sync::Arc;
use uuid::Uuid;

const TRIES: usize = 4;

pub struct EmailVerified {
    pub user: User,
    pub fields: Arc<FieldSettings>,
    pub signed_in: Option<SignedIn>,
}

/// Verifies the pending email change of `user`, as `first` read it; `again` reads it again when
/// another request changed the user (or the configuration) in between.
pub async fn verify_change(
    ctx: &AppContext,
    env: Uuid,
    user: Uuid,
    attempt: &CodeAttempt,
    first: Prefetched,
    again: &impl Reload,
) -> ApiResult<EmailVerified> {
    if first.user.is_none() {
        return Err(ApiError::not_found("User").field("userId"));
    }
    let at = CodeAt::EmailChange { user, read: first.verification.as_ref() };
    let spent = attempt.redeem(ctx, env, at, Timestamp::now()).await?;

    let mut current = first;
    let mut backoff = Backoff::new(TRIES);
    loop {
        match apply(ctx, &spent, &current).await {
            Err(e) if backoff.retry(&e).await => current = again.reload().await?,
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
    after.changed_by = Some(current.actor.clone());
    after.set_verified_email(spent.email.clone(), now);
    let room = wrong_code_room(spent);
    let sides = [Side::ConsumeVerification(spent.verification_uuid), Side::CheckRoom(&room, now.unix_millis())];
    Ok(ctx.store.update_user(before, &after, &current.fields, current.fields_version, &sides).await?)
}
