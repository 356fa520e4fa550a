//! Dynamic's end-user protocol (`/sdk/{environmentId}/...`) where the other modules do not
//! reach: the settings a client starts from, nonces, the availability check and its bound,
//! refresh and revoke, Dynamic's token shapes, and clear answers to routes and methods that
//! are not served.

use serde_json::{json, Value};
use userfields::handlers::{sdk_email_verifications, sdk_session, sdk_settings, sdk_users, user_field_settings};
use userfields_tests::sign_in::*;
use userfields_tests::*;
use uuid::Uuid;

fn address(tag: &str) -> String {
    format!("{tag}.{}@example.com", Uuid::new_v4().simple())
}

async fn save_fields(ctx: &userfields::context::AppContext, env: &Env, fields: Value) {
    let req = event_with_body("put-user-field-settings.json", env, None, &json!({ "fields": fields }));
    let (status, body) = call!(user_field_settings::handle, ctx, req).await;
    assert_eq!(status, 200, "{body}");
}

fn with_query(fixture: &str, env: &Env, query: &[(&str, &str)]) -> lambda_http::Request {
    let mut raw: Value = serde_json::from_str(&event_text(fixture, env, None).replace("{{token}}", "")).unwrap();
    raw["queryStringParameters"] = Value::Object(query.iter().map(|(k, v)| (k.to_string(), json!(v))).collect());
    raw["rawQueryString"] = json!(query.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&"));
    request(&raw.to_string())
}

#[tokio::test]
async fn settings_are_a_project_settings_document_with_the_visible_fields() {
    let ctx = context().await;
    let env = signin_environment(&ctx).await;
    save_fields(&ctx, &env, json!([
        {"name": "email", "type": "standard", "required": true},
        {"name": "firstName", "type": "standard", "required": true},
        {"name": "jobTitle", "type": "standard", "userAccess": "view"},
        {"name": "lastName", "type": "standard", "required": true, "userAccess": "hidden"},
        {"name": "tShirtSize", "type": "standard", "enabled": false}
    ]))
    .await;
    let (status, body) = sdk_settings(&ctx, &env).await;
    assert_eq!(status, 200, "{body}");
    for section in ["chains", "kyc", "design", "general", "privacy", "sdk", "security"] {
        assert!(!body[section].is_null(), "{section} is what Dynamic's client needs: {body}");
    }
    let names: Vec<&str> = body["kyc"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["email", "firstName", "jobTitle"], "enabled fields an end user may see, in order");
    assert_eq!(body["providers"][0]["provider"], "emailOnly");
    assert!(body["security"].get("auth").is_none() && body["sdk"].get("embeddedWallets").is_none(), "no cookies, no wallets: {body}");
    // An unknown environment: the client stops at start, with a clear answer.
    let stranger = Env { id: Uuid::new_v4(), key: env.key.clone() };
    assert_error(&sdk_settings(&ctx, &stranger).await, 404, "not_found", None);
}

#[tokio::test]
async fn nonces_are_fresh_and_bounded() {
    let ctx = context().await;
    let env = signin_environment(&ctx).await;
    let (status, first) = call!(sdk_settings::handle, &ctx, with_query("sdk-nonces.json", &env, &[("count", "5")])).await;
    assert_eq!(status, 200, "{first}");
    let (_, second) = call!(sdk_settings::handle, &ctx, with_query("sdk-nonces.json", &env, &[])).await;
    assert_eq!(first["nonces"].as_array().unwrap().len(), 5);
    assert_eq!(second["nonces"].as_array().unwrap().len(), 5, "five by default");
    assert_ne!(first["nonces"], second["nonces"]);
    for bad in ["0", "21", "x", "-1", "99999999999999999999"] {
        let got = call!(sdk_settings::handle, &ctx, with_query("sdk-nonces.json", &env, &[("count", bad)])).await;
        assert_error(&got, 400, "invalid_count", Some("count"));
    }
}

#[tokio::test]
async fn users_check_answers_from_the_claims_and_is_bounded_per_source() {
    within_one_window(600, 30).await;
    let ctx = context().await;
    let env = signin_environment(&ctx).await;
    let taken = address("taken");
    create_user(&ctx, &env, json!({"email": taken, "username": "taken_name"})).await;
    let check = |field: &str, value: &str| with_query("sdk-users-check.json", &env, &[("filter[field]", field), ("filter[value]", value)]);
    let (status, body) = call!(sdk_users::handle, &ctx, check("email", &taken.to_uppercase())).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["field"].as_str(), body["available"].as_bool()), (Some("email"), Some(false)), "compared as claims are: {body}");
    assert_eq!(call!(sdk_users::handle, &ctx, check("username", "Taken_Name")).await.1["available"], false);
    assert_eq!(call!(sdk_users::handle, &ctx, check("email", &address("free"))).await.1["available"], true);
    assert_error(&call!(sdk_users::handle, &ctx, check("phoneNumber", "1")).await, 400, "invalid_filter", Some("filter[field]"));
    assert_error(&call!(sdk_users::handle, &ctx, check("email", "not-an-email")).await, 400, "invalid_email", Some("filter[value]"));
    let extra = with_query("sdk-users-check.json", &env, &[("filter[field]", "email"), ("filter[value]", "a@b.co"), ("x", "1")]);
    assert_error(&call!(sdk_users::handle, &ctx, extra).await, 400, "unknown_query_parameter", Some("x"));
    // Sixty per source IP per ten minutes (the ones above counted too), then 429.
    let mut refused = None;
    for i in 0..70 {
        let (status, body) = call!(sdk_users::handle, &ctx, check("email", &format!("probe{i}@example.com"))).await;
        if status == 429 {
            refused = Some((i, body));
            break;
        }
        assert_eq!(status, 200, "{body}");
    }
    let (at, body) = refused.expect("the oracle is bounded");
    assert!(at <= 60, "refused after {at} more");
    assert_error(&(429, body), 429, "too_many_requests", None);
}

#[tokio::test]
async fn refresh_keeps_the_session_and_rejudges_the_scope_and_revoke_ends_it() {
    let ctx = context().await;
    let env = signin_environment(&ctx).await;
    let signed = sign_in(&ctx, &env, &address("refresh")).await;
    let token = token_of(&signed);
    assert_eq!(signed["user"]["scope"], "user:basic");
    save_fields(&ctx, &env, json!([{"name": "email", "type": "standard"}, {"name": "alias", "type": "standard", "required": true}])).await;
    let (status, fresh) = refresh(&ctx, &env, &token).await;
    assert_eq!(status, 200, "{fresh}");
    assert_eq!(fresh["user"]["sessionId"], signed["user"]["sessionId"], "the same session");
    assert_eq!(fresh["expiresAt"], signed["expiresAt"], "a refresh does not extend it");
    assert_eq!(fresh["user"]["scope"], "requiresAdditionalAuth", "a field made required shows at once");
    assert_eq!(fresh["user"]["missingFields"][0]["name"], "alias");
    // Both tokens are bearers of the session; both end with it.
    let full = full_token_of(&fresh);
    assert_eq!(get_sdk_user(&ctx, &env, &full).await.0, 200);
    assert_eq!(logout(&ctx, &env, &token_of(&fresh)).await, 204);
    for dead in [&token, &full] {
        assert_error(&refresh(&ctx, &env, dead).await, 401, "unauthorized", None);
        assert_error(&get_sdk_user(&ctx, &env, dead).await, 401, "unauthorized", None);
    }
}

#[tokio::test]
async fn tokens_have_dynamics_shapes() {
    let ctx = context().await;
    let env = signin_environment(&ctx).await;
    save_fields(&ctx, &env, json!([{"name": "email", "type": "standard"}, {"name": "alias", "type": "standard", "required": true}])).await;
    let signed = sign_in(&ctx, &env, &address("shapes")).await;
    let (_, keys) = jwks(&ctx, &env).await;
    let minified = claims_by_jwks(&keys, &token_of(&signed), &issuer(&env)).unwrap();
    let full = claims_by_jwks(&keys, &full_token_of(&signed), &issuer(&env)).unwrap();
    for claims in [&minified, &full] {
        for name in ["kid", "aud", "iss", "sub", "sid", "environment_id", "last_verified_credential_id", "scope", "exp", "iat"] {
            assert!(!claims[name].is_null(), "{name}: {claims}");
        }
    }
    let header_kid = jsonwebtoken::decode_header(&token_of(&signed)).unwrap().kid.unwrap();
    assert_eq!(minified["kid"], header_kid.as_str());
    assert!(minified.get("verified_credentials").is_none() && minified.get("missing_fields").is_none(), "{minified}");
    assert_eq!(full["missing_fields"][0]["name"], "alias");
    let credential = &full["verified_credentials"][0];
    assert_eq!((credential["format"].as_str(), credential["signInEnabled"].as_bool()), (Some("email"), Some(true)), "{credential}");
    assert!(credential["verifiedAt"].is_string() && credential.get("verified_at").is_none(), "{credential}");
    assert_eq!(signed["expiresAt"], full["exp"]);
}

#[tokio::test]
async fn routes_and_methods_not_served_get_clear_json_answers() {
    let ctx = context().await;
    let env = signin_environment(&ctx).await;
    let mut raw: Value = serde_json::from_str(&event_text("sdk-email-verifications-create.json", &env, None)).unwrap();
    let path = format!("/sdk/{}/emailVerifications/unknown", env.id);
    raw["rawPath"] = json!(path);
    raw["requestContext"]["http"]["path"] = json!(path);
    assert_error(&call!(sdk_email_verifications::handle, &ctx, request(&raw.to_string())).await, 404, "route_not_found", None);
    // Routes of Dynamic's protocol that userfields does not serve reach sdk-settings (the
    // template's `/sdk/{environmentId}/{proxy+}`): a JSON 404 whatever the method or depth.
    for (method, rest) in [("POST", "smsVerifications/create"), ("DELETE", "users"), ("GET", "settings/extra"), ("POST", "settings")] {
        let mut raw: Value = serde_json::from_str(&event_text("sdk-settings.json", &env, None)).unwrap();
        let path = format!("/sdk/{}/{rest}", env.id);
        raw["rawPath"] = json!(path);
        raw["requestContext"]["http"]["path"] = json!(path);
        raw["requestContext"]["http"]["method"] = json!(method);
        let want = if rest == "settings" { (405, "method_not_allowed") } else { (404, "route_not_found") };
        assert_error(&call!(sdk_settings::handle, &ctx, request(&raw.to_string())).await, want.0, want.1, None);
    }
    let mut raw: Value = serde_json::from_str(&event_text("sdk-refresh.json", &env, None).replace("{{token}}", "")).unwrap();
    raw["requestContext"]["http"]["method"] = json!("GET");
    assert_error(&call!(sdk_session::handle, &ctx, request(&raw.to_string())).await, 405, "method_not_allowed", None);
    let mut raw: Value = serde_json::from_str(&event_text("sdk-users-get.json", &env, None).replace("{{token}}", "")).unwrap();
    raw["requestContext"]["http"]["method"] = json!("DELETE");
    assert_error(&call!(sdk_users::handle, &ctx, request(&raw.to_string())).await, 405, "method_not_allowed", None);
}

#[tokio::test]
async fn a_retry_sends_a_new_code_counted_as_any_other() {
    let ctx = context().await;
    let env = signin_environment(&ctx).await;
    let email = address("retry");
    let (_, first) = start(&ctx, &env, &email).await;
    let body = json!({"verificationUUID": first["verificationUUID"], "email": email});
    let req = end_user_event("sdk-email-verifications-retry.json", &env, "", Some(&body), IP);
    assert_error(&call!(sdk_email_verifications::handle, &ctx, req).await, 429, "too_many_requests", Some("email"));
    clear_rate_counters(&ctx, &env, &email).await;
    let req = end_user_event("sdk-email-verifications-retry.json", &env, "", Some(&body), IP);
    let (status, second) = call!(sdk_email_verifications::handle, &ctx, req).await;
    assert_eq!(status, 200, "{second}");
    assert_ne!(second["verificationUUID"], first["verificationUUID"]);
    assert_eq!(second["email"], email.as_str());
    let (status, signed) = verify(&ctx, &env, second["verificationUUID"].as_str().unwrap(), &last_code(&email).await).await;
    assert_eq!(status, 200, "{signed}");
}
