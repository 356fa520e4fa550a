//! Creating one user: the core of create-user, each entry of a bulk create, and the CLI's import.

use crate::model::actor::Actor;
use crate::context::{AppContext, CompiledFields};
use crate::error::{ApiError, ApiResult};
use crate::model::user_rules::{apply_credentials, check_configured_values};
use crate::model::field_settings::FieldSettings;
use crate::model::patch::Patch;
use crate::model::profile_fields::{ProfilePatch, UserInput};
use crate::model::user::User;
use crate::model::values::Timestamp;
use crate::store::Backoff;
use std::sync::Arc;
use uuid::Uuid;

/// Tries of a create cancelled only by timing: a concurrent transaction on the same claim, or a
/// configuration saved meanwhile (then the values are judged again under the new one).
const TRIES: usize = 3;

/// Creates one user from a parsed body. `first`: the configuration already in hand (read while
/// authorising), used for the first try; a retry reads it fresh.
pub async fn create_user(
    ctx: &AppContext,
    env: Uuid,
    input: UserInput,
    first: Option<CompiledFields>,
    by: Actor,
) -> ApiResult<(User, Arc<FieldSettings>)> {
    let id = input.id.unwrap_or_else(Uuid::new_v4);
    let mut user = new_user(id, env, input.into_patch()?)?;
    user.changed_by = Some(by);
    let mut read = first;
    let mut backoff = Backoff::new(TRIES);
    let (saved, fields) = loop {
        match try_create(ctx, env, &user, read.take()).await {
            Err(e) if backoff.retry(&e).await => continue,
            outcome => break outcome?,
        }
    };
    tracing::info!(user_id = %saved.id, version = saved.version, "user created");
    Ok((saved, fields))
}

/// One attempt: judged against the configuration read first, or re-read fresh on a retry.
async fn try_create(
    ctx: &AppContext,
    env: Uuid,
    user: &User,
    read: Option<CompiledFields>,
) -> ApiResult<(User, Arc<FieldSettings>)> {
    let current = match read {
        Some(r) => r,
        None => ctx.fresh_fields(env).await?,
    };
    check_configured_values(&current.settings, None, user)?;
    let saved = ctx.store.create_user(user, &current.settings, current.version).await?;
    Ok((saved, current.settings))
}

fn new_user(id: Uuid, env: Uuid, mut patch: ProfilePatch) -> ApiResult<User> {
    let now = Timestamp::now();
    let mut user = User::new(id, env, now);
    let email = std::mem::take(&mut patch.email);
    let verified_at = std::mem::take(&mut patch.email_verified_at);
    match (email, verified_at) {
        (Patch::Set(email), Patch::Set(at)) => user.set_verified_email(email, at),
        (Patch::Set(email), _) => user.profile.email = Some(email),
        (_, Patch::Set(_)) => {
            return Err(ApiError::bad_request("bad_request", "emailVerifiedAt needs an email.").field("emailVerifiedAt"))
        }
        _ => {}
    }
    apply_credentials(&mut patch, &mut user, now);
    patch.apply_to(&mut user.profile);
    Ok(user)
}
