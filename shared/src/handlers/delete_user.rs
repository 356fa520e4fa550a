//! DELETE /environments/{environmentId}/users/{userId}
//!
//! Erases the user (`ops::delete_user`): the user item, every unique value it holds (email,
//! username, unique custom values, wallets, OAuth accounts: each free again at once), its
//! pending verification and its sessions. 204 with no body; 404 for an unknown user.

use crate::auth::scopes::Scope;
use crate::context::prefetch::{Access, ReadAgain, Reads};
use crate::context::AppContext;
use crate::error::ApiResult;
use crate::http::{empty_response, environment_id, respond, user_id};
use crate::ops::delete_user::delete_user;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(delete(ctx, &req).await)
}

async fn delete(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let env = environment_id(req)?;
    let user_id = user_id(req)?;
    let reads = Reads { user: Some(user_id), ..Reads::default() };
    let access = Access::ApiKey(Scope::UsersWrite);
    let first = ctx.prefetch(req, env, access, reads).await?;
    delete_user(ctx, first, &ReadAgain { ctx, req, env, access, reads }).await?;
    tracing::info!(user_id = %user_id, "user deleted");
    Ok(empty_response(StatusCode::NO_CONTENT))
}
