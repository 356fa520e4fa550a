//! POST /environments/{environmentId}/me/emailVerifications/verify (session token): the signed-in
//! user confirms its new email with the code; the answer carries a fresh token (its `email`
//! claim changed).

use crate::http::views::{TokenView, UserView};
use crate::context::AppContext;
use crate::codes::CodeAttempt;
use crate::ops::verify_email::verify_change;
use crate::error::ApiResult;
use crate::http::{environment_id, json_body, json_response, respond};
use crate::context::prefetch::{Access, ReadAgain, Reads};
use crate::ops::sign_in::refreshed_token;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

#[derive(Serialize)]
struct VerifiedResponse<'a> {
    user: UserView<'a>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    token: Option<TokenView>,
}

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(verify(ctx, &req).await)
}

async fn verify(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let env = environment_id(req)?;
    let reads = Reads { verification: true, ..Reads::default() };
    let first = ctx.prefetch(req, env, Access::Session, reads).await?;
    let user = first.signed_in.as_ref().expect("a session request is signed in").claims.sub;
    let attempt: CodeAttempt = json_body(req)?;
    let again = ReadAgain { ctx, req, env, access: Access::Session, reads };
    let verified = verify_change(ctx, env, user, &attempt, first, &again).await?;
    let signed_in = verified.signed_in.as_ref().expect("a session request is signed in");
    let token = refreshed_token(ctx, env, signed_in, &verified.user, &verified.fields).await?;
    let body = VerifiedResponse {
        user: UserView::for_end_user(&verified.user, &verified.fields, false),
        token: token.map(|(jwt, expires_at)| TokenView { jwt, expires_at }),
    };
    Ok(json_response(StatusCode::OK, &body))
}
