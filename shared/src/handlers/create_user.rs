//! POST /environments/{environmentId}/users

use super::user_rules::{apply_credentials, check_configured_values};
use super::view::{UserEnvelope, UserView};
use crate::auth::scopes::Scope;
use crate::context::AppContext;
use crate::error::{ApiError, ApiResult};
use crate::http::{environment_id, json_body, json_response, respond};
use crate::model::patch::Patch;
use crate::model::profile_fields::{ProfilePatch, UserInput};
use crate::model::user::User;
use crate::model::values::Timestamp;
use crate::prefetch::Reads;
use crate::model::field_rules::FieldSettings;
use crate::prefetch::Prefetched;
use crate::store::Backoff;
use std::sync::Arc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use uuid::Uuid;

/// Tries of a create cancelled only by timing: a concurrent transaction on the same claim, or a
/// configuration saved meanwhile (then the values are judged again under the new one).
const TRIES: usize = 3;

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(create(ctx, &req).await)
}

async fn create(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let env = environment_id(req)?;
    let first = ctx.authorize(req, env, Scope::UsersWrite, Reads::default()).await?;
    let input: UserInput = json_body(req)?;
    let (saved, fields) = create_from(ctx, req, env, input, Some(first)).await?;
    Ok(json_response(StatusCode::CREATED, &UserEnvelope { user: UserView::new(&saved, &fields, true) }))
}

/// Creates one user from a parsed body (create-user, and each entry of a bulk create). `first`:
/// what authorising the request read, used for the first try.
pub(super) async fn create_from(
    ctx: &AppContext,
    req: &Request,
    env: Uuid,
    input: UserInput,
    first: Option<Prefetched>,
) -> ApiResult<(User, Arc<FieldSettings>)> {
    let id = input.id.unwrap_or_else(Uuid::new_v4);
    let user = new_user(id, env, input.into_patch()?)?;
    let mut read = first;
    let mut backoff = Backoff::new(TRIES);
    let (saved, fields) = loop {
        match try_create(ctx, req, env, &user, read.take()).await {
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
    req: &Request,
    env: Uuid,
    user: &User,
    read: Option<Prefetched>,
) -> ApiResult<(User, Arc<FieldSettings>)> {
    let current = match read {
        Some(r) => r,
        None => ctx.authorize(req, env, Scope::UsersWrite, Reads { fresh_fields: true, ..Reads::default() }).await?,
    };
    check_configured_values(&current.fields, None, user)?;
    let saved = ctx.store.create_user(user, &current.fields, current.fields_version).await?;
    Ok((saved, current.fields))
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
