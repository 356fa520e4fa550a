//! POST /environments/{environmentId}/me/logout (session token): ends the session, so its token
//! is refused from now on, before its `exp`.

use crate::context::AppContext;
use crate::error::ApiResult;
use crate::http::{empty_response, environment_id, respond};
use crate::context::prefetch::{Access, Reads};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(logout(ctx, &req).await)
}

async fn logout(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let env = environment_id(req)?;
    let read = ctx.prefetch(req, env, Access::Session, Reads::default()).await?;
    let session = &read.signed_in.as_ref().expect("a session request is signed in").session;
    ctx.store.end_session(env, session.user_id, session.sid).await?;
    tracing::info!(user_id = %session.user_id, "signed out");
    Ok(empty_response(StatusCode::NO_CONTENT))
}
