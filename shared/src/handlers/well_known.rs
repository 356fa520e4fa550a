//! GET /environments/{environmentId}/.well-known/jwks (and `jwks.json`) and
//! .../openid-configuration, and Dynamic's paths of the same keys, /sdk/{environmentId}/
//! .well-known/jwks and `jwks.json` (public): what a JWT library or API Gateway's JWT
//! authorizer needs to verify this environment's tokens.
//! The JWKS lists the signing key and every earlier one whose tokens may still be valid.

use crate::context::AppContext;
use crate::error::{ApiError, ApiResult};
use crate::http::{environment_id, public_base, respond, sdk_environment_id};
use crate::model::values::Timestamp;
use crate::tokens::jwt_claims::issuer;
use lambda_http::http::{header, StatusCode};
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use serde_json::json;

/// Clients may cache for this long; a rotated key is published before it signs (the old one
/// stays listed until its tokens expire), so a cached JWKS never lacks a signing key for long.
const CACHE_SECONDS: u32 = 300;

#[derive(Serialize)]
struct Jwk<'a> {
    kty: &'static str,
    #[serde(rename = "use")]
    use_: &'static str,
    alg: &'static str,
    kid: &'a str,
    n: &'a str,
    e: &'a str,
}

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(serve(ctx, &req).await)
}

async fn serve(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let path = req.uri().path().to_string();
    let env = if path.contains("/sdk/") { sdk_environment_id(req)? } else { environment_id(req)? };
    let body = if path.ends_with("/.well-known/jwks") || path.ends_with("/.well-known/jwks.json") {
        let keys = ctx.store.signing_keys(env).await?;
        if keys.is_empty() {
            // Also what an unknown environment gets: no keys to publish.
            return Err(ApiError::not_found("Environment").field("environmentId"));
        }
        let now = Timestamp::now();
        let published: Vec<Jwk> = keys
            .iter()
            .filter(|k| k.is_published(now))
            .map(|k| Jwk { kty: "RSA", use_: "sig", alg: "RS256", kid: &k.kid, n: &k.n, e: &k.e })
            .collect();
        json!({ "keys": published })
    } else if path.ends_with("/.well-known/openid-configuration") {
        ctx.environment(env).await?;
        let iss = issuer(&public_base(req, ctx.settings.public_base_url.as_deref()), env);
        json!({
            "issuer": iss,
            "jwks_uri": format!("{iss}/.well-known/jwks"),
            "id_token_signing_alg_values_supported": ["RS256"],
            "subject_types_supported": ["public"],
            "response_types_supported": ["id_token"],
            "claims_supported": ["kid", "sub", "sid", "environment_id", "email", "email_verified", "last_verified_credential_id", "scope", "verified_credentials", "missing_fields"],
            "scopes_supported": [crate::tokens::jwt_claims::SCOPE_COMPLETE, crate::tokens::jwt_claims::SCOPE_INCOMPLETE],
        })
    } else {
        return Err(ApiError::not_found("Route"));
    };
    let text = body.to_string();
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CACHE_CONTROL, format!("public, max-age={CACHE_SECONDS}"))
        .body(Body::Text(text))
        .expect("static response parts are valid"))
}
