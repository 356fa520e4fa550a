//! DELETE /environments/{environmentId}/users/{userId}
//!
//! Erases the user in one transaction: the user item, every unique value it holds (email,
//! username, unique custom values, wallets, OAuth accounts: each free again at once) and its
//! pending verification. 204 with no body; 404 for an unknown user.

use crate::auth::scopes::Scope;
use crate::context::AppContext;
use crate::error::{ApiError, ApiResult};
use crate::http::{empty_response, environment_id, respond, user_id};
use crate::prefetch::{Prefetched, Reads};
use crate::store::Backoff;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use uuid::Uuid;

/// Tries when the user changes between the read and the delete.
const TRIES: usize = 3;

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(delete(ctx, &req).await)
}

async fn delete(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let env = environment_id(req)?;
    let user_id = user_id(req)?;
    let reads = Reads { user: Some(user_id), ..Reads::default() };
    let mut read = Some(ctx.authorize(req, env, Scope::UsersWrite, reads).await?);
    let mut backoff = Backoff::new(TRIES);
    loop {
        match try_delete(ctx, req, env, reads, read.take()).await {
            Err(e) if backoff.retry(&e).await => continue,
            outcome => outcome?,
        }
        break;
    }
    tracing::info!(user_id = %user_id, "user deleted");
    Ok(empty_response(StatusCode::NO_CONTENT))
}

async fn try_delete(ctx: &AppContext, req: &Request, env: Uuid, reads: Reads, read: Option<Prefetched>) -> ApiResult<()> {
    let current = match read {
        Some(r) => r,
        None => ctx.authorize(req, env, Scope::UsersWrite, Reads { fresh_fields: true, ..reads }).await?,
    };
    let user = current.user.as_ref().ok_or_else(|| ApiError::not_found("User").field("userId"))?;
    ctx.store.delete_user(user, &current.fields).await?;
    Ok(())
}
