//! POST /sdk/{environmentId}/emailVerifications/{create,retry,signin,verify}: Dynamic's email
//! codes. `create` and `retry` email a sign-in code (public; the answer is the same whether or
//! not a user holds the address); `signin` checks it and answers the user and its tokens;
//! `verify` (session token) confirms the signed-in user's email change.

use crate::codes::CodeAttempt;
use crate::context::prefetch::{Access, ReadAgain, Reads};
use crate::context::AppContext;
use crate::error::{ApiError, ApiResult};
use crate::http::sdk_views::{EmailVerificationCreated, SdkUser, UpdateSelfResponse, VerifyResponse};
use crate::http::{json_body, json_response, last_segment, no_such_route, public_base, respond, sdk_environment_id, source_ip};
use crate::model::values::Email;
use crate::ops::sign_in::{self, fresh_tokens};
use crate::ops::verify_email::verify_change;
use crate::tokens::jwt_claims::issuer;
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde::de::IgnoredAny;
use serde::Deserialize;
use uuid::Uuid;

/// `EmailVerificationCreateRequest`; `EmailVerificationRetryRequest` adds the earlier
/// verification. `captchaToken` is accepted and not checked (no captcha is configured).
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SendRequest {
    email: String,
    #[serde(default, rename = "verificationUUID")]
    _verification_uuid: Option<Uuid>,
    #[serde(default)]
    _captcha_token: Option<IgnoredAny>,
}

/// `EmailVerificationVerifyRequest`, the body of `signin` and `verify`. Of the rest, what
/// Dynamic's client sends routinely is accepted and ignored (no session-key binding, MFA or
/// scopes on request here).
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct VerifyRequest {
    #[serde(rename = "verificationUUID")]
    verification_uuid: Uuid,
    verification_token: String,
    #[serde(default)]
    _session_public_key: Option<IgnoredAny>,
    #[serde(default)]
    _captcha_token: Option<IgnoredAny>,
    #[serde(default)]
    _requested_scopes: Option<IgnoredAny>,
    #[serde(default, rename = "allowNewMFALinking")]
    _allow_new_mfa_linking: Option<IgnoredAny>,
}

impl VerifyRequest {
    fn attempt(self) -> CodeAttempt {
        CodeAttempt { verification_uuid: self.verification_uuid, verification_token: self.verification_token }
    }
}

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    if req.method() != Method::POST {
        return respond(Err(ApiError::method_not_allowed("POST")));
    }
    let result = match last_segment(&req).as_str() {
        // A retry is a new code for the address, counted as any other (Dynamic's own client
        // resends by creating again).
        "create" | "retry" => send(ctx, &req).await,
        "signin" => sign_in(ctx, &req).await,
        "verify" => verify(ctx, &req).await,
        _ => Err(no_such_route(&req)),
    };
    respond(result)
}

async fn send(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let env = sdk_environment_id(req)?;
    let body: SendRequest = json_body(req)?;
    let email = Email::parse(body.email).map_err(|e| ApiError::bad_request("invalid_email", format!("email {e}")).field("email"))?;
    let sent = sign_in::start(ctx, env, &email, source_ip(req).as_deref()).await?;
    Ok(json_response(StatusCode::OK, &EmailVerificationCreated::new(&sent)))
}

async fn sign_in(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let env = sdk_environment_id(req)?;
    let attempt = json_body::<VerifyRequest>(req)?.attempt();
    let issuer = issuer(&public_base(req, ctx.settings.public_base_url.as_deref()), env);
    let signed = sign_in::verify(ctx, env, issuer, &attempt).await?;
    let user = SdkUser::new(&signed.user, &signed.fields, signed.new_user, signed.session.sid, &signed.tokens.scope);
    Ok(json_response(StatusCode::OK, &VerifyResponse::new(user, &signed.tokens)))
}

/// The signed-in user's email change, answered as an update is (`UpdateSelfResponse`).
async fn verify(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let env = sdk_environment_id(req)?;
    let reads = Reads { verification: true, ..Reads::default() };
    let first = ctx.prefetch(req, env, Access::Session, reads).await?;
    let user = first.signed_in.as_ref().expect("a session request is signed in").claims.sub;
    let attempt = json_body::<VerifyRequest>(req)?.attempt();
    let again = ReadAgain { ctx, req, env, access: Access::Session, reads };
    let verified = verify_change(ctx, env, user, &attempt, first, &again).await?;
    let signed_in = verified.signed_in.as_ref().expect("a session request is signed in");
    let tokens = fresh_tokens(ctx, env, signed_in, &verified.user, &verified.fields).await?;
    let user = SdkUser::new(&verified.user, &verified.fields, false, signed_in.session.sid, &tokens.scope);
    Ok(json_response(StatusCode::OK, &UpdateSelfResponse::new(VerifyResponse::new(user, &tokens), None)))
}
