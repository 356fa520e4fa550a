//! POST /environments/{environmentId}/auth/email/verify (public): checks a sign-in code and
//! answers the signed-in user and its token.

use crate::http::views::{TokenView, UserView};
use crate::context::AppContext;
use crate::codes::CodeAttempt;
use crate::error::ApiResult;
use crate::http::{environment_id, json_body, json_response, public_base, respond};
use crate::ops::sign_in;
use crate::tokens::jwt_claims::issuer;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

#[derive(Serialize)]
struct SignInResponse<'a> {
    user: UserView<'a>,
    #[serde(flatten)]
    token: TokenView,
}

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(verify(ctx, &req).await)
}

async fn verify(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let env = environment_id(req)?;
    let attempt: CodeAttempt = json_body(req)?;
    let issuer = issuer(&public_base(req, ctx.settings.public_base_url.as_deref()), env);
    let signed = sign_in::verify(ctx, env, issuer, &attempt).await?;
    let body = SignInResponse {
        user: UserView::for_end_user(&signed.user, &signed.fields, signed.new_user),
        token: TokenView { jwt: signed.jwt, expires_at: signed.expires_at },
    };
    Ok(json_response(StatusCode::OK, &body))
}
