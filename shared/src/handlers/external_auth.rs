//! Dynamic's external authentication. POST /sdk/{environmentId}/externalAuth/signin
//! (`ExternalAuthSigninRequest {jwt, sessionPublicKey?}`, public) exchanges a trusted issuer's
//! token for a session, answered as email sign-in is (`VerifyResponse`); POST
//! /environments/{environmentId}/externalJwt/check (`ExternalJwtCheckRequest {encodedJwt}`, an
//! API key with `settings:read`) says whether a sample token would be accepted, and why not
//! (`ExternalJwtCheckResponse {valid, errors}`). A token is never echoed back or logged.

use crate::auth::scopes::Scope;
use crate::context::prefetch::Reads;
use crate::context::AppContext;
use crate::error::{ApiError, ApiResult};
use crate::http::sdk_views::{SdkUser, VerifyResponse};
use crate::http::{environment_id, json_body, json_response, last_segment, no_such_route, public_base, respond, sdk_environment_id};
use crate::ops::external_sign_in;
use crate::tokens::jwt_claims::issuer;
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SigninRequest {
    /// Absent only with cookie-based sign-in, which userfields does not offer.
    #[serde(default)]
    jwt: Option<String>,
    #[serde(default)]
    _session_public_key: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CheckRequest {
    encoded_jwt: String,
}

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    if req.method() != Method::POST {
        return respond(Err(ApiError::method_not_allowed("POST")));
    }
    let result = match last_segment(&req).as_str() {
        "signin" => sign_in(ctx, &req).await,
        "check" => check(ctx, &req).await,
        _ => Err(no_such_route(&req)),
    };
    respond(result)
}

async fn sign_in(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let env = sdk_environment_id(req)?;
    let body: SigninRequest = json_body(req)?;
    let Some(token) = body.jwt.filter(|t| !t.is_empty()) else {
        return Err(ApiError::bad_request("missing_jwt", "jwt is required: the external issuer's token (cookie sign-in is not offered).").field("jwt"));
    };
    let issuer = issuer(&public_base(req, ctx.settings.public_base_url.as_deref()), env);
    let signed = external_sign_in::sign_in(ctx, env, issuer, &token).await?;
    let user = SdkUser::new(&signed.user, &signed.fields, signed.new_user, signed.session.sid, &signed.tokens.scope);
    Ok(json_response(StatusCode::OK, &VerifyResponse::new(user, &signed.tokens)))
}

async fn check(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let env = environment_id(req)?;
    ctx.authorize(req, env, Scope::SettingsRead, Reads::default()).await?;
    let body: CheckRequest = json_body(req)?;
    let answer = match external_sign_in::check(ctx, env, &body.encoded_jwt).await? {
        Ok(identity) => json!({ "valid": true, "errors": [], "externalUserId": identity.user_id, "emailVerified": identity.verified_email().is_some() }),
        Err(refusal) => json!({ "valid": false, "errors": [format!("{}: {}", refusal.code, refusal.message)] }),
    };
    Ok(json_response(StatusCode::OK, &answer))
}
