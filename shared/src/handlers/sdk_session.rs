//! POST /sdk/{environmentId}/refresh and /revoke (session token): fresh tokens for the same
//! session (judged by the configuration now: a field made required shows in the scope), and
//! signing out, after which the session's tokens are refused before their `exp`.

use crate::context::prefetch::{Access, Reads};
use crate::context::AppContext;
use crate::error::{ApiError, ApiResult};
use crate::http::sdk_views::{SdkUser, VerifyResponse};
use crate::http::{empty_response, json_response, last_segment, no_such_route, respond, sdk_environment_id};
use crate::ops::sign_in::fresh_tokens;
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    if req.method() != Method::POST {
        return respond(Err(ApiError::method_not_allowed("POST")));
    }
    let result = match last_segment(&req).as_str() {
        "refresh" => refresh(ctx, &req).await,
        "revoke" => revoke(ctx, &req).await,
        _ => Err(no_such_route(&req)),
    };
    respond(result)
}

async fn refresh(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let env = sdk_environment_id(req)?;
    let read = ctx.prefetch(req, env, Access::Session, Reads { fresh_fields: true, ..Reads::default() }).await?;
    let user = read.user.as_ref().expect("a session's user was read");
    let signed_in = read.signed_in.as_ref().expect("a session request is signed in");
    let tokens = fresh_tokens(ctx, env, signed_in, user, &read.fields).await?;
    let user = SdkUser::new(user, &read.fields, false, signed_in.session.sid, &tokens.scope);
    Ok(json_response(StatusCode::OK, &VerifyResponse::new(user, &tokens)))
}

async fn revoke(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let env = sdk_environment_id(req)?;
    let read = ctx.prefetch(req, env, Access::Session, Reads::default()).await?;
    let session = &read.signed_in.as_ref().expect("a session request is signed in").session;
    ctx.store.end_session(env, session.user_id, session.sid).await?;
    tracing::info!(user_id = %session.user_id, "signed out");
    Ok(empty_response(StatusCode::NO_CONTENT))
}
