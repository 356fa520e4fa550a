//! External authentication against a local issuer (its own keys, JWKS on loopback): the
//! configuration through Dynamic's `PUT /environments/{id}`, sign-in and its binding, every
//! refusal with its code, key rotation, an issuer that is down, and the operator's check.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::time::Duration;
use userfields::context::AppContext;
use userfields::external_auth::JwksCache;
use userfields::handlers::{external_auth, user_field_settings};
use userfields_tests::external_issuer::{hanging, signing_input, EcKey, Issuer, RsaKey};
use userfields_tests::sign_in::{end_user_event, signin_environment, IP};
use userfields_tests::*;
use uuid::Uuid;

fn signin_request(env: &Env, token: &str) -> lambda_http::Request {
    end_user_event("external-auth-signin.json", env, "", Some(&json!({"jwt": token})), IP)
}

async fn signin(ctx: &AppContext, env: &Env, token: &str) -> (u16, Value) {
    call!(external_auth::handle, ctx, signin_request(env, token)).await
}

async fn check(ctx: &AppContext, env: &Env, token: &str) -> (u16, Value) {
    let mut raw: Value = serde_json::from_str(&event_text("external-jwt-check.json", env, None)).unwrap();
    raw["body"] = json!(json!({"encodedJwt": token}).to_string());
    call!(external_auth::handle, ctx, request(&raw.to_string())).await
}

async fn get_environment(ctx: &AppContext, env: &Env) -> Value {
    let (status, body) = call!(user_field_settings::handle, ctx, event("get-environment.json", env, None)).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Dynamic's updateProjectSettings: the settings as read, with `security` as given.
async fn put_security(ctx: &AppContext, env: &Env, security: Value) -> (u16, Value) {
    let mut settings = get_environment(ctx, env).await["settings"].clone();
    settings["security"] = security;
    let mut raw: Value = serde_json::from_str(&event_text("put-environment.json", env, None)).unwrap();
    raw["body"] = json!(settings.to_string());
    call!(user_field_settings::handle, ctx, request(&raw.to_string())).await
}

/// A context whose JWKS cache refetches on an unknown kid after 1 s (not a minute), an
/// environment that signs in, and a local issuer it trusts.
async fn setup() -> (AppContext, Env, Issuer) {
    let mut ctx = context().await;
    ctx.jwks = JwksCache::with_refetch_gap(Duration::from_secs(1));
    let env = signin_environment(&ctx).await;
    let issuer = Issuer::start().await;
    let (status, body) = put_security(&ctx, &env, json!({"externalAuth": issuer.config()})).await;
    assert_eq!(status, 200, "{body}");
    (ctx, env, issuer)
}

fn payload_of(token: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(token.split('.').nth(1).unwrap()).unwrap()).unwrap()
}

#[tokio::test]
async fn configuration_round_trips_as_dynamic_has_it_and_refuses_bad_issuers() {
    let (ctx, env, issuer) = setup().await;
    let security = get_environment(&ctx, &env).await["settings"]["security"].clone();
    assert_eq!(security["externalAuth"]["iss"], json!(issuer.iss));
    assert_eq!(security["externalAuth"]["userIdClaim"], "sub");
    assert_eq!(security["externalAuth"]["algorithms"], json!(["RS256"]));
    // Extensions set, then Dynamic's client sends back only its own fields: they stay.
    let mut with_ext = issuer.config();
    with_ext["algorithms"] = json!(["RS256", "ES256"]);
    with_ext["emailVerifiedClaim"] = json!("custom:email_ok");
    let further = json!([{"iss": "https://second.example.com/", "aud": "x", "jwksUrl": "https://second.example.com/jwks"}]);
    assert_eq!(put_security(&ctx, &env, json!({"externalAuth": with_ext, "externalAuthIssuers": further})).await.0, 200);
    assert_eq!(put_security(&ctx, &env, json!({"externalAuth": issuer.config()})).await.0, 200);
    let security = get_environment(&ctx, &env).await["settings"]["security"].clone();
    assert_eq!(security["externalAuth"]["algorithms"], json!(["RS256", "ES256"]));
    assert_eq!(security["externalAuth"]["emailVerifiedClaim"], "custom:email_ok");
    assert_eq!(security["externalAuthIssuers"][0]["iss"], "https://second.example.com/");

    let mut hmac = issuer.config();
    hmac["algorithms"] = json!(["HS256"]);
    assert_error(&put_security(&ctx, &env, json!({"externalAuth": hmac})).await, 400, "invalid_external_auth", Some("security.externalAuth.algorithms"));
    let mut private = issuer.config();
    private["jwksUrl"] = json!("https://169.254.169.254/latest/meta-data");
    assert_error(&put_security(&ctx, &env, json!({"externalAuth": private})).await, 400, "invalid_external_auth", Some("security.externalAuth.jwksUrl"));
    assert_error(&put_security(&ctx, &env, json!({"externalAuth": {"enabled": true, "iss": issuer.iss}})).await, 400, "invalid_external_auth", Some("security.externalAuth.aud"));
    assert_error(&put_security(&ctx, &env, json!({"externalAuth": [1, 2]})).await, 400, "invalid_external_auth", Some("security.externalAuth"));
    // A refused configuration changed nothing.
    assert_eq!(get_environment(&ctx, &env).await["settings"]["security"], security);
}

#[tokio::test]
async fn a_verified_email_binds_the_pre_signup_record_and_the_identity_signs_in_again() {
    let (ctx, env, issuer) = setup().await;
    let email = format!("ext.{}@example.com", Uuid::new_v4().simple());
    let (status, created) = create_user(&ctx, &env, json!({"email": email, "firstName": "Pre", "metadata": {"plan": "pro"}})).await;
    assert_eq!(status, 201, "{created}");
    let pre = user_id_of(&created);

    let (status, body) = signin(&ctx, &env, &issuer.token(&issuer.claims("cognito-sub-1", Some(&email), true))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["id"], json!(pre), "bound to the pre-signup record");
    assert_eq!(body["user"]["newUser"], false);
    let minified = payload_of(body["minifiedJwt"].as_str().unwrap());
    assert_eq!(minified["external_user_id"], "cognito-sub-1");
    assert_eq!(minified["sub"], json!(pre));
    let jwt = payload_of(body["jwt"].as_str().unwrap());
    let external: Vec<&Value> = jwt["verified_credentials"].as_array().unwrap().iter().filter(|c| c["format"] == "externalUser").collect();
    assert_eq!(external.len(), 1);
    assert_eq!((external[0]["public_identifier"].as_str(), external[0]["signInEnabled"].as_bool()), (Some("cognito-sub-1"), Some(true)));
    let (_, read) = get_user(&ctx, &env, pre).await;
    assert_eq!(read["user"]["firstName"], "Pre");
    assert_eq!(read["user"]["metadata"]["plan"], "pro");
    assert!(read["user"]["emailVerifiedAt"].is_string(), "{read}");

    // The same identity again, now with no email at all: the same user.
    let (status, again) = signin(&ctx, &env, &issuer.token(&issuer.claims("cognito-sub-1", None, false))).await;
    assert_eq!((status, &again["user"]["id"]), (200, &json!(pre)), "{again}");
}

#[tokio::test]
async fn an_unverified_email_makes_a_new_user_and_leaves_the_record_alone() {
    let (ctx, env, issuer) = setup().await;
    let email = format!("ext.{}@example.com", Uuid::new_v4().simple());
    let (_, created) = create_user(&ctx, &env, json!({"email": email, "firstName": "Pre"})).await;
    let pre = user_id_of(&created);
    let (status, body) = signin(&ctx, &env, &issuer.token(&issuer.claims("unverified-1", Some(&email), false))).await;
    assert_eq!(status, 200, "{body}");
    assert_ne!(body["user"]["id"], json!(pre));
    assert_eq!(body["user"]["newUser"], true);
    assert!(body["user"]["email"].is_null(), "an unverified address is not taken: {body}");
    let (_, read) = get_user(&ctx, &env, pre).await;
    assert!(read["user"]["verifiedCredentials"].as_array().unwrap().iter().all(|c| c["format"] != "externalUser"), "{read}");
}

#[tokio::test]
async fn bad_tokens_are_refused_each_with_its_code() {
    let (ctx, env, issuer) = setup().await;
    let key = issuer.rsa_key();
    let good = issuer.claims("sub-x", None, false);
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": key.kid});
    let with = |name: &str, value: Value| {
        let mut claims = good.clone();
        claims[name] = value;
        claims
    };
    let now = good["iat"].as_i64().unwrap();
    let cases: Vec<(&str, String, &str)> = vec![
        ("wrong aud", key.sign(&header, &with("aud", json!("someone-else"))), "invalid_audience"),
        ("expired", key.sign(&header, &with("exp", json!(now - 120))), "token_expired"),
        ("not yet valid", key.sign(&header, &with("nbf", json!(now + 600))), "token_not_yet_valid"),
        ("issued in the future", key.sign(&header, &with("iat", json!(now + 600))), "token_issued_in_future"),
        ("alg none", format!("{}.", signing_input(&json!({"alg": "none", "typ": "JWT"}), &good)), "invalid_external_token"),
        ("HS256 keyed with the public key", {
            let message = signing_input(&json!({"alg": "HS256", "typ": "JWT", "kid": key.kid}), &good);
            let mut mac = Hmac::<Sha256>::new_from_slice(&key.public_der()).unwrap();
            mac.update(message.as_bytes());
            format!("{message}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
        }, "algorithm_not_allowed"),
        ("ES256 where only RS256 is allowed", issuer.ec.sign(&json!({"alg": "ES256", "kid": issuer.ec.kid}), &good), "algorithm_not_allowed"),
        ("unknown kid", key.sign(&json!({"alg": "RS256", "kid": "nobody"}), &good), "unknown_signing_key"),
        ("a foreign key under the issuer's kid", RsaKey::new(&key.kid).sign(&header, &good), "invalid_external_token"),
        ("tampered payload", {
            let token = key.sign(&header, &good);
            let parts: Vec<&str> = token.split('.').collect();
            format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(with("sub", json!("admin")).to_string()), parts[2])
        }, "invalid_external_token"),
        ("an issuer not configured", key.sign(&header, &with("iss", json!("https://evil.example.com/"))), "untrusted_issuer"),
        ("no user id", key.sign(&header, &with("sub", Value::Null)), "missing_external_user_id"),
        ("garbage", "not.a.jwt".into(), "invalid_external_token"),
    ];
    for (case, token, code) in cases {
        let got = signin(&ctx, &env, &token).await;
        assert_eq!(got.0, 401, "{case}: {}", got.1);
        assert_eq!(got.1["code"], code, "{case}: {}", got.1);
        assert!(!got.1.to_string().contains(&token), "{case}: the token is never echoed");
        let (status, checked) = check(&ctx, &env, &token).await;
        assert_eq!((status, &checked["valid"]), (200, &json!(false)), "{case}: {checked}");
        assert!(checked["errors"][0].as_str().unwrap().starts_with(code), "{case}: {checked}");
    }
    let (status, checked) = check(&ctx, &env, &issuer.token(&good)).await;
    assert_eq!((status, &checked["valid"], &checked["errors"]), (200, &json!(true), &json!([])), "{checked}");
    assert_error(&signin(&ctx, &env, "").await, 400, "missing_jwt", Some("jwt"));
}

#[tokio::test]
async fn es256_issuers_and_rotation_are_picked_up_and_unknown_kids_refetch_at_most_once_a_gap() {
    let (ctx, env, issuer) = setup().await;
    let mut config = issuer.config();
    config["algorithms"] = json!(["RS256", "ES256"]);
    assert_eq!(put_security(&ctx, &env, json!({"externalAuth": config})).await.0, 200);
    let ec = issuer.ec.sign(&json!({"alg": "ES256", "kid": issuer.ec.kid}), &issuer.claims("ec-user", None, false));
    assert_eq!(signin(&ctx, &env, &ec).await.0, 200);
    assert_eq!(signin(&ctx, &env, &issuer.token(&issuer.claims("rsa-user", None, false))).await.0, 200);
    let fetched = issuer.fetches();
    assert_eq!(fetched, 1, "the JWKS is cached");

    issuer.rotate("rsa-2");
    let rotated = issuer.token(&issuer.claims("rsa-user", None, false));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, body) = signin(&ctx, &env, &rotated).await;
    assert_eq!(status, 200, "the new key is fetched on its unknown kid: {body}");
    assert_eq!(issuer.fetches(), 2);
    // A flood of made-up kids within the gap costs no fetch.
    let fake = EcKey::new("x");
    for i in 0..5 {
        let token = fake.sign(&json!({"alg": "ES256", "kid": format!("made-up-{i}")}), &issuer.claims("u", None, false));
        assert_eq!(signin(&ctx, &env, &token).await.1["code"], "unknown_signing_key");
    }
    assert_eq!(issuer.fetches(), 2);
}

#[tokio::test]
async fn an_issuer_that_does_not_answer_is_a_503_and_a_disabled_environment_a_403() {
    let (ctx, env, issuer) = setup().await;
    let mut config = issuer.config();
    config["jwksUrl"] = json!(hanging().await);
    assert_eq!(put_security(&ctx, &env, json!({"externalAuth": config})).await.0, 200);
    let started = std::time::Instant::now();
    assert_error(&signin(&ctx, &env, &issuer.token(&issuer.claims("u", None, false))).await, 503, "issuer_unavailable", None);
    assert!(started.elapsed() < Duration::from_secs(10), "the fetch gives up quickly");

    let mut off = issuer.config();
    off["enabled"] = json!(false);
    assert_eq!(put_security(&ctx, &env, json!({"externalAuth": off})).await.0, 200);
    assert_error(&signin(&ctx, &env, &issuer.token(&issuer.claims("u", None, false))).await, 403, "external_auth_disabled", None);
    let (_, checked) = check(&ctx, &env, &issuer.token(&issuer.claims("u", None, false))).await;
    assert!(checked["errors"][0].as_str().unwrap().starts_with("external_auth_disabled"), "{checked}");
}

#[tokio::test]
async fn another_environments_key_cannot_check_and_its_issuer_signs_nobody_in_here() {
    let (ctx, env, issuer) = setup().await;
    let other = signin_environment(&ctx).await;
    let foreign = Env { id: env.id, key: other.key.clone() };
    let mut raw: Value = serde_json::from_str(&event_text("external-jwt-check.json", &foreign, None)).unwrap();
    raw["body"] = json!(json!({"encodedJwt": "x"}).to_string());
    let got = call!(external_auth::handle, &ctx, request(&raw.to_string())).await;
    assert_eq!(got.0, 403, "{}", got.1);
    // The other environment trusts no issuer.
    assert_error(&signin(&ctx, &other, &issuer.token(&issuer.claims("u", None, false))).await, 403, "external_auth_disabled", None);
}

#[tokio::test]
async fn a_warm_container_changes_the_stored_issuers_not_its_cached_copy() {
    let (warm, env, issuer) = setup().await;
    // The warm container has the environment cached (one issuer)...
    assert_eq!(get_environment(&warm, &env).await["settings"]["security"]["externalAuthIssuers"], json!([]));
    // ...when another container trusts a second issuer.
    let other = context_unprepared(&endpoint(), EMAIL_FROM, warm.store.table_name()).await;
    let further = json!([{"iss": "https://second.example.com/", "aud": "x", "jwksUrl": "https://second.example.com/jwks"}]);
    let (status, body) = put_security(&other, &env, json!({"externalAuth": issuer.config(), "externalAuthIssuers": further})).await;
    assert_eq!(status, 200, "{body}");
    // Dynamic's client then saves its own fields through the warm container: the second issuer stays.
    let mut renamed = issuer.config();
    renamed["cookieName"] = json!("session-cookie");
    let (status, body) = put_security(&warm, &env, json!({"externalAuth": renamed})).await;
    assert_eq!(status, 200, "{body}");
    let fresh = context_unprepared(&endpoint(), EMAIL_FROM, warm.store.table_name()).await;
    let security = get_environment(&fresh, &env).await["settings"]["security"].clone();
    assert_eq!(security["externalAuth"]["cookieName"], "session-cookie");
    assert_eq!(security["externalAuthIssuers"][0]["iss"], "https://second.example.com/", "{security}");
}
