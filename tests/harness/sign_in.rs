//! Sign-in helpers: environments with a signing key (encrypted under a KMS key in moto), the
//! public and `me` routes replayed from `events/`, and tokens checked the way a client would:
//! with the environment's public JWKS only.

use crate::{call, event_text, request, sent_codes, Env, PUBLIC_BASE_URL};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use tokio::sync::OnceCell;
use userfields::context::AppContext;
use userfields::handlers;

static KMS_KEY: OnceCell<String> = OnceCell::const_new();

/// The KMS key (in moto) signing keys are encrypted under: one per test process.
pub async fn kms_key(ctx: &AppContext) -> String {
    KMS_KEY
        .get_or_init(|| async {
            let out = ctx.keyring.kms().create_key().description("userfields tests").send().await.expect("moto creates a KMS key");
            out.key_metadata().expect("key metadata").key_id().to_string()
        })
        .await
        .clone()
}

/// A new environment whose end users can sign in.
pub async fn signin_environment(ctx: &AppContext) -> Env {
    let env = crate::environment(ctx).await;
    rotate(ctx, &env).await;
    env
}

/// A new signing key for `env`, published now and signing after the default lead (at once for
/// an environment's first key); its id.
pub async fn rotate(ctx: &AppContext, env: &Env) -> String {
    rotate_with_lead(ctx, env, userfields::ops::signing_keys::DEFAULT_ROTATION_LEAD).await
}

pub async fn rotate_with_lead(ctx: &AppContext, env: &Env, lead: std::time::Duration) -> String {
    let key = kms_key(ctx).await;
    userfields::ops::signing_keys::rotate_signing_key(&ctx.store, ctx.keyring.kms(), &key, env.id, lead).await.expect("a signing key is made")
}

/// The claims of `token` checked as API Gateway's JWT authorizer checks them: RS256, a `kid`
/// found in `jwks`, the signature, `iss`, `aud` (one of `audiences`), `exp` and `iat` present,
/// not expired, not issued in the future; `None` if it would be refused.
pub fn claims_as_api_gateway(jwks: &Value, token: &str, issuer: &str, audiences: &[&str]) -> Option<Value> {
    let header = jsonwebtoken::decode_header(token).ok()?;
    if header.alg != Algorithm::RS256 {
        return None;
    }
    let kid = header.kid?;
    let key = jwks["keys"].as_array()?.iter().find(|k| k["kid"] == kid.as_str())?;
    let decoding = DecodingKey::from_rsa_components(key["n"].as_str()?, key["e"].as_str()?).ok()?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[issuer]);
    validation.set_audience(audiences);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud"]);
    let claims = jsonwebtoken::decode::<Value>(token, &decoding, &validation).ok()?.claims;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok()?.as_secs() as i64;
    (claims["iat"].as_i64()? <= now + 5).then_some(claims)
}

/// The fixture with `{{token}}`, the source address and the body filled in.
pub fn end_user_event(name: &str, env: &Env, token: &str, body: Option<&Value>, ip: &str) -> lambda_http::Request {
    let text = event_text(name, env, None).replace("{{token}}", token);
    let mut raw: Value = serde_json::from_str(&text).expect("fixture is JSON");
    if let Some(body) = body {
        raw["body"] = Value::String(body.to_string());
    }
    raw["requestContext"]["http"]["sourceIp"] = Value::String(ip.to_string());
    request(&raw.to_string())
}

pub const IP: &str = "203.0.113.7";

pub async fn start(ctx: &AppContext, env: &Env, email: &str) -> (u16, Value) {
    start_from(ctx, env, email, IP).await
}

pub async fn start_from(ctx: &AppContext, env: &Env, email: &str, ip: &str) -> (u16, Value) {
    let body = serde_json::json!({ "email": email });
    call!(handlers::sdk_email_verifications::handle, ctx, end_user_event("sdk-email-verifications-create.json", env, "", Some(&body), ip)).await
}

pub async fn verify(ctx: &AppContext, env: &Env, verification: &str, code: &str) -> (u16, Value) {
    let body = serde_json::json!({ "verificationUUID": verification, "verificationToken": code });
    call!(handlers::sdk_email_verifications::handle, ctx, end_user_event("sdk-email-verifications-signin.json", env, "", Some(&body), IP)).await
}

/// The last code sent to `email`.
pub async fn last_code(email: &str) -> String {
    sent_codes(email).await.pop().expect("a code was sent")
}

/// Signs in as `email` (start, the code from moto, verify): the verify answer.
pub async fn sign_in(ctx: &AppContext, env: &Env, email: &str) -> Value {
    let (status, started) = start(ctx, env, email).await;
    assert_eq!(status, 200, "{started}");
    let (status, body) = verify(ctx, env, started["verificationUUID"].as_str().unwrap(), &last_code(email).await).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// What Dynamic's client knows of the signed-in user after start: `GET .../users` (the user)
/// and the form's fields (`kyc` of `GET .../settings`), as `{user, fields}`; the status is the
/// user read's.
pub async fn get_me(ctx: &AppContext, env: &Env, token: &str) -> (u16, Value) {
    let (status, user) = get_sdk_user(ctx, env, token).await;
    let (_, settings) = sdk_settings(ctx, env).await;
    if status != 200 {
        return (status, user);
    }
    (status, serde_json::json!({ "user": user, "fields": settings["kyc"] }))
}

/// `GET /sdk/{env}/users`: the bare `SdkUser`.
pub async fn get_sdk_user(ctx: &AppContext, env: &Env, token: &str) -> (u16, Value) {
    call!(handlers::sdk_users::handle, ctx, end_user_event("sdk-users-get.json", env, token, None, IP)).await
}

/// `GET /sdk/{env}/settings` (public).
pub async fn sdk_settings(ctx: &AppContext, env: &Env) -> (u16, Value) {
    call!(handlers::sdk_settings::handle, ctx, end_user_event("sdk-settings.json", env, "", None, IP)).await
}

/// `POST /sdk/{env}/refresh`.
pub async fn refresh(ctx: &AppContext, env: &Env, token: &str) -> (u16, Value) {
    call!(handlers::sdk_session::handle, ctx, end_user_event("sdk-refresh.json", env, token, None, IP)).await
}

pub async fn put_me(ctx: &AppContext, env: &Env, token: &str, body: Value) -> (u16, Value) {
    call!(handlers::sdk_users::handle, ctx, end_user_event("sdk-users-put.json", env, token, Some(&body), IP)).await
}

pub async fn verify_my_email(ctx: &AppContext, env: &Env, token: &str, verification: &str, code: &str) -> (u16, Value) {
    let body = serde_json::json!({ "verificationUUID": verification, "verificationToken": code });
    call!(handlers::sdk_email_verifications::handle, ctx, end_user_event("sdk-email-verifications-verify.json", env, token, Some(&body), IP)).await
}

/// Logs out: the status (204 has no body).
pub async fn logout(ctx: &AppContext, env: &Env, token: &str) -> u16 {
    handlers::sdk_session::handle(ctx, end_user_event("sdk-revoke.json", env, token, None, IP)).await.status().as_u16()
}

pub async fn jwks(ctx: &AppContext, env: &Env) -> (u16, Value) {
    call!(handlers::well_known::handle, ctx, end_user_event("jwks.json", env, "", None, IP)).await
}

pub async fn openid_configuration(ctx: &AppContext, env: &Env) -> (u16, Value) {
    call!(handlers::well_known::handle, ctx, end_user_event("openid-configuration.json", env, "", None, IP)).await
}

pub fn issuer(env: &Env) -> String {
    format!("{PUBLIC_BASE_URL}/environments/{}", env.id)
}

/// The claims of `token` if it verifies against `jwks` (RS256, `issuer`, not expired), as a
/// client library would check it; `None` if it does not.
pub fn claims_by_jwks(jwks: &Value, token: &str, issuer: &str) -> Option<Value> {
    let header = jsonwebtoken::decode_header(token).ok()?;
    let kid = header.kid?;
    let key = jwks["keys"].as_array()?.iter().find(|k| k["kid"] == kid.as_str())?;
    let decoding = DecodingKey::from_rsa_components(key["n"].as_str()?, key["e"].as_str()?).ok()?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[issuer]);
    validation.validate_aud = false;
    jsonwebtoken::decode::<Value>(token, &decoding, &validation).ok().map(|d| d.claims)
}

/// The bearer token of a sign-in's (or update's) answer: `minifiedJwt`, as Dynamic's client
/// sends it.
pub fn token_of(body: &Value) -> String {
    body["minifiedJwt"].as_str().expect("a minifiedJwt in the body").to_string()
}

/// The full token of an answer (`jwt`, Dynamic's `DynamicJwt`: with the verified credentials
/// and missing fields).
pub fn full_token_of(body: &Value) -> String {
    body["jwt"].as_str().expect("a jwt in the body").to_string()
}

/// The names of a token's `missing_fields` (objects, as Dynamic's `DynamicJwt` has them).
pub fn missing_names(claims: &Value) -> Vec<String> {
    claims["missing_fields"].as_array().expect("missing_fields is always there").iter().map(|f| f["name"].as_str().unwrap().to_string()).collect()
}

/// The send counters of `email` in `env` (one per window), as stored.
pub async fn rate_counters(ctx: &AppContext, env: &Env, email: &str) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
    let out = crate::raw_dynamodb()
        .await
        .query()
        .table_name(ctx.store.table_name())
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", aws_sdk_dynamodb::types::AttributeValue::S(rate_pk(env, email)))
        .send()
        .await
        .unwrap();
    out.items.unwrap_or_default()
}

/// Deletes the send counters of `email` in `env` (as the window passing would).
pub async fn clear_rate_counters(ctx: &AppContext, env: &Env, email: &str) {
    let db = crate::raw_dynamodb().await;
    for item in rate_counters(ctx, env, email).await {
        db.delete_item().table_name(ctx.store.table_name()).key("pk", item["pk"].clone()).key("sk", item["sk"].clone()).send().await.unwrap();
    }
}

/// The partition of `email`'s send counters in `env`.
pub fn rate_pk(env: &Env, email: &str) -> String {
    let email = userfields::model::values::Email::parse(email).expect("a valid address");
    format!("ENV#{}#RATE#{}", env.id, userfields::codes::limits::address_subject(&email))
}

/// Waits, if need be, until at least `needed` seconds are left in the current fixed window of
/// `window_seconds` (the send counters' windows), so a test that fills a counter does not see
/// it start afresh halfway through.
pub async fn within_one_window(window_seconds: i64, needed: i64) {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let left = window_seconds - now.rem_euclid(window_seconds);
    if left < needed {
        tokio::time::sleep(std::time::Duration::from_secs(left as u64 + 1)).await;
    }
}
