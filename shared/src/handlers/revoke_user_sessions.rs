//! POST /environments/{environmentId}/users/{userId}/sessions/revoke (Dynamic's route): ends
//! every session of the user. Their tokens are refused from then on (a token is honoured only
//! while its session item exists). 204 with no body; 404 for an unknown user.

use crate::auth::scopes::Scope;
use crate::context::AppContext;
use crate::error::{ApiError, ApiResult};
use crate::http::{empty_response, environment_id, respond, user_id};
use crate::context::prefetch::Reads;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(revoke(ctx, &req).await)
}

async fn revoke(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let env = environment_id(req)?;
    let user = user_id(req)?;
    let read = ctx.authorize(req, env, Scope::UsersWrite, Reads { user: Some(user), ..Reads::default() }).await?;
    if read.user.is_none() {
        return Err(ApiError::not_found("User").field("userId"));
    }
    let ended = ctx.store.end_sessions(env, user).await?;
    tracing::info!(user_id = %user, ended, "sessions revoked");
    Ok(empty_response(StatusCode::NO_CONTENT))
}
