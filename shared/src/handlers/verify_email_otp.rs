//! POST /environments/{environmentId}/users/{userId}/emailVerifications/verify
//! (the checks and the write are `ops::verify_email`).

use crate::http::views::{UserEnvelope, UserView};
use crate::auth::scopes::Scope;
use crate::context::AppContext;
use crate::codes::CodeAttempt;
use crate::ops::verify_email::verify_change;
use crate::error::ApiResult;
use crate::http::{environment_id, json_body, json_response, respond, user_id};
use crate::context::prefetch::{Access, ReadAgain, Reads};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(verify(ctx, &req).await)
}

async fn verify(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let env = environment_id(req)?;
    let user = user_id(req)?;
    let access = Access::ApiKey(Scope::UsersWrite);
    let reads = Reads { user: Some(user), verification: true, ..Reads::default() };
    let first = ctx.prefetch(req, env, access, reads).await?;
    let attempt: CodeAttempt = json_body(req)?;
    let verified = verify_change(ctx, env, user, &attempt, first, &ReadAgain { ctx, req, env, access, reads }).await?;
    Ok(json_response(StatusCode::OK, &UserEnvelope { user: UserView::new(&verified.user, &verified.fields, false) }))
}
