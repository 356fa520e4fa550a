//! End-user sign-in against moto: binding pre-signup records, new users, one user per address
//! under races, token scope, sessions, keys and rotation, and the send limits. Tokens are checked
//! as a client would: with the environment's public JWKS only.

use futures::future::join_all;
use serde_json::{json, Value};
use userfields::handlers::user_field_settings;
use userfields_tests::sign_in::*;
use userfields_tests::*;
use uuid::Uuid;

fn address(tag: &str) -> String {
    format!("{tag}.{}@example.com", Uuid::new_v4().simple())
}

async fn claims(ctx: &userfields::context::AppContext, env: &Env, token: &str) -> Value {
    let (status, keys) = jwks(ctx, env).await;
    assert_eq!(status, 200, "{keys}");
    claims_by_jwks(&keys, token, &issuer(env)).expect("the token verifies with the public JWKS")
}

async fn settings(ctx: &userfields::context::AppContext, env: &Env, fields: Value) {
    let req = event_with_body("put-user-field-settings.json", env, None, &json!({ "fields": fields }));
    let (status, body) = call!(user_field_settings::handle, ctx, req).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn signing_in_binds_the_pre_signup_record_and_keeps_its_data() {
    let ctx = context().await;
    let env = signin_environment(&ctx).await;
    let email = address("bound");
    let (status, created) =
        create_user(&ctx, &env, json!({"email": email.to_uppercase(), "firstName": "Ada", "metadata": {"team": "red"}})).await;
    assert_eq!(status, 201, "{created}");
    let id = user_id_of(&created);

    let body = sign_in(&ctx, &env, &email).await;
    let user = &body["user"];
    assert_eq!(user_id_of(&body), id, "the pre-signup record is the one signed in");
    assert_eq!(user["newUser"], false);
    assert_eq!(user["firstName"], "Ada");
    assert!(user.get("metadata").is_none(), "a key that is no configured custom field is the operator's: {user}");
    assert!(user["emailVerifiedAt"].is_string(), "{user}");
    let credentials = user["verifiedCredentials"].as_array().unwrap();
    assert_eq!(credentials.len(), 1);
    assert_eq!(credentials[0]["format"], "email");
    assert_eq!(user["lastVerifiedCredentialId"], credentials[0]["id"]);

    let claims = claims(&ctx, &env, &token_of(&body)).await;
    assert_eq!(claims["sub"], id.to_string());
    assert_eq!(claims["environment_id"], env.id.to_string());
    assert_eq!(claims["email"], email.to_uppercase());
    assert_eq!(claims["last_verified_credential_id"], credentials[0]["id"]);
    assert_eq!(claims["scope"], "user:basic");
    // Unix seconds, as Dynamic's `VerifyResponse` has it: the session's end.
    assert_eq!(body["expiresAt"].as_i64(), claims["exp"].as_i64());
    // The operator sees the same record, now verified.
    let (_, read) = get_user(&ctx, &env, id).await;
    assert!(read["user"]["emailVerifiedAt"].is_string());
    assert_eq!(read["user"]["metadata"]["team"], "red");
}

#[tokio::test]
async fn an_unknown_address_makes_a_new_user_and_the_answer_does_not_tell() {
    let ctx = context().await;
    let env = signin_environment(&ctx).await;
    let known = address("known");
    create_user(&ctx, &env, json!({"email": known})).await;
    let fresh = address("fresh");
    let (s1, a) = start(&ctx, &env, &known).await;
    let (s2, b) = start(&ctx, &env, &fresh).await;
    assert_eq!((s1, s2), (200, 200));
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&a), keys(&b), "no account enumeration");
    assert_eq!(keys(&a), ["email", "verificationUUID"]);

    let (status, body) = verify(&ctx, &env, b["verificationUUID"].as_str().unwrap(), &last_code(&fresh).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["newUser"], true);
    assert_eq!(body["user"]["email"], fresh);
    assert!(body["user"]["emailVerifiedAt"].is_string());
    // The new user holds the address like any other.
    assert_error(&create_user(&ctx, &env, json!({"email": fresh})).await, 422, "email_already_exists", Some("email"));
}

#[tokio::test]
async fn two_verifications_of_one_address_at_once_make_one_user() {
    let ctx = shared_context().await;
    let env = signin_environment(ctx).await;
    let email = address("race");
    // Two sign-ins started before either finished (the second after the per-address gap would
    // be refused, so the counter is cleared between them as time passing would).
    let (_, first) = start(ctx, &env, &email).await;
    let code_1 = last_code(&email).await;
    clear_rate_counters(ctx, &env, &email).await;
    let (_, second) = start(ctx, &env, &email).await;
    let code_2 = last_code(&email).await;
    let attempts = [(first["verificationUUID"].as_str().unwrap().to_string(), code_1), (second["verificationUUID"].as_str().unwrap().to_string(), code_2)];
    let results = join_all(attempts.iter().map(|(v, c)| verify(ctx, &env, v, c))).await;
    for (status, body) in &results {
        assert_eq!(*status, 200, "{body}");
    }
    let ids: Vec<Uuid> = results.iter().map(|(_, b)| user_id_of(b)).collect();
    assert_eq!(ids[0], ids[1], "both sign in as the one user holding the address");
    let new_users = results.iter().filter(|(_, b)| b["user"]["newUser"] == true).count();
    assert_eq!(new_users, 1);
}


#[tokio::test]
async fn a_field_made_required_changes_the_scope_until_the_user_fills_it() {
    let ctx = context().await;
    let env = signin_environment(&ctx).await;
    let email = address("scope");
    let body = sign_in(&ctx, &env, &email).await;
    assert_eq!(claims(&ctx, &env, &token_of(&body)).await["scope"], "user:basic");

    settings(&ctx, &env, json!([{"name": "email", "type": "standard", "required": true}, {"name": "firstName", "type": "standard", "required": true}, {"name": "lastName", "type": "standard"}])).await;
    clear_rate_counters(&ctx, &env, &email).await;
    let body = sign_in(&ctx, &env, &email).await;
    let token = token_of(&body);
    let before = claims(&ctx, &env, &token).await;
    assert!(!before["scope"].as_str().unwrap().split(' ').any(|s| s == "user:basic"), "{before}");
    assert!(before["scope"].as_str().unwrap().split(' ').any(|s| s == "requiresAdditionalAuth"));
    assert!(before.get("missing_fields").is_none(), "the minified token names none: {before}");
    assert_eq!(missing_names(&claims(&ctx, &env, &full_token_of(&body)).await), ["firstName"]);
    assert_eq!(body["user"]["missingFields"][0]["name"], "firstName");
    assert_eq!(body["user"]["scope"], "requiresAdditionalAuth");

    // Something else changes: the grant is the same, and the answer still carries fresh tokens
    // (Dynamic's client drops its session from an update answer without them).
    let (status, unchanged) = put_me(&ctx, &env, &token, json!({"lastName": "Byron"})).await;
    assert_eq!(status, 200, "{unchanged}");
    assert_eq!(claims(&ctx, &env, &token_of(&unchanged)).await["scope"], "requiresAdditionalAuth");
    assert_eq!(unchanged["nextView"], "done");

    let (status, filled) = put_me(&ctx, &env, &token, json!({"firstName": "Ada"})).await;
    assert_eq!(status, 200, "{filled}");
    assert_eq!(filled["user"]["missingFields"], json!([]));
    let fresh = claims(&ctx, &env, &token_of(&filled)).await;
    assert_eq!(fresh["scope"], "user:basic");
    assert_eq!(missing_names(&claims(&ctx, &env, &full_token_of(&filled)).await), Vec::<String>::new());
    assert_eq!(filled["user"]["scope"], "user:basic");
    assert_eq!(fresh["sid"], before["sid"], "the same session");
    assert_eq!(fresh["exp"], before["exp"], "a fresh token does not extend the session");
}

#[tokio::test]
async fn me_reads_and_updates_only_what_an_end_user_may_set() {
    let ctx = context().await;
    let env = signin_environment(&ctx).await;
    settings(&ctx, &env, json!([
        {"name": "email", "type": "standard"}, {"name": "firstName", "type": "standard"},
        {"name": "jobTitle", "type": "standard", "enabled": false},
        {"name": "badge", "type": "custom", "validationRules": {"regex": "^[A-Z]{3}$"}}
    ]))
    .await;
    let token = token_of(&sign_in(&ctx, &env, &address("me")).await);
    let (status, me) = get_me(&ctx, &env, &token).await;
    assert_eq!(status, 200, "{me}");
    let names: Vec<&str> = me["fields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"badge") && names.contains(&"firstName") && !names.contains(&"jobTitle"), "{names:?}");

    for (body, field) in [
        (json!({"emailVerifiedAt": "2026-01-01T00:00:00Z"}), "emailVerifiedAt"),
        (json!({"wallets": []}), "wallets"),
        (json!({"oauthAccounts": []}), "oauthAccounts"),
        (json!({"jobTitle": "Boss"}), "jobTitle"),
        (json!({"id": Uuid::new_v4()}), "id"),
        (json!({"metadata": {"secretRole": "admin"}}), "metadata.secretRole"),
    ] {
        assert_error(&put_me(&ctx, &env, &token, body).await, 400, "field_not_allowed", Some(field));
    }
    assert_error(&put_me(&ctx, &env, &token, json!({"metadata": {"badge": "abc"}})).await, 400, "invalid_custom_field", None);
    let (status, body) = put_me(&ctx, &env, &token, json!({"firstName": "Ada", "metadata": {"badge": "ABC"}})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["metadata"]["badge"], "ABC");
    for bad in [json!([]), json!(null), json!("x")] {
        let (status, _) = put_me(&ctx, &env, &token, bad).await;
        assert_eq!(status, 400);
    }
}

#[tokio::test]
async fn an_end_user_changes_email_by_code_and_gets_a_token_saying_so() {
    let ctx = context().await;
    let env = signin_environment(&ctx).await;
    let token = token_of(&sign_in(&ctx, &env, &address("old")).await);
    let new = address("new");
    let (status, body) = put_me(&ctx, &env, &token, json!({"email": new})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["isEmailVerificationRequired"], true);
    assert_eq!(body["nextView"], "verify-email");
    assert_eq!(body["emailVerification"]["email"], new);
    let verification = body["emailVerification"]["verificationUUID"].as_str().unwrap().to_string();
    assert_error(&verify_my_email(&ctx, &env, &token, &verification, "000000").await, 422, "wrong_email_verification_token", Some("verificationToken"));
    let (status, body) = verify_my_email(&ctx, &env, &token, &verification, &last_code(&new).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["email"], new);
    assert_eq!(claims(&ctx, &env, &token_of(&body)).await["email"], new);
}

#[tokio::test]
async fn tokens_are_refused_after_logout_on_another_environment_and_when_tampered() {
    let ctx = context().await;
    let env = signin_environment(&ctx).await;
    let other = signin_environment(&ctx).await;
    let token = token_of(&sign_in(&ctx, &env, &address("t")).await);
    assert_eq!(get_me(&ctx, &env, &token).await.0, 200);

    // Environment A's token on environment B.
    assert_error(&get_me(&ctx, &other, &token).await, 401, "unauthorized", None);
    // An API key is not a session, nor is garbage, nor nothing.
    for bad in [env.key.as_str(), "x.y.z", "", &"a".repeat(5000)] {
        assert_error(&get_me(&ctx, &env, bad).await, 401, "unauthorized", None);
    }
    // A changed payload breaks the signature.
    let parts: Vec<&str> = token.split('.').collect();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut payload: Value = serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
    payload["sub"] = json!(Uuid::new_v4());
    let forged = format!("{}.{}.{}", parts[0], b64.encode(payload.to_string()), parts[2]);
    assert_error(&get_me(&ctx, &env, &forged).await, 401, "unauthorized", None);
    // `alg: none` is never accepted.
    let none = format!("{}.{}.", b64.encode(r#"{"alg":"none","typ":"JWT"}"#), parts[1]);
    assert_error(&get_me(&ctx, &env, &none).await, 401, "unauthorized", None);

    assert_eq!(logout(&ctx, &env, &token).await, 204);
    assert_error(&get_me(&ctx, &env, &token).await, 401, "unauthorized", None);
    assert_error(&put_me(&ctx, &env, &token, json!({"firstName": "X"})).await, 401, "unauthorized", None);
    assert_eq!(logout(&ctx, &env, &token).await, 401);
    // The token itself still verifies by JWKS (exp is later): the session is what ended.
    assert!(claims_by_jwks(&jwks(&ctx, &env).await.1, &token, &issuer(&env)).is_some());
}

#[tokio::test]
async fn an_expired_session_is_refused_before_the_token_expires() {
    let ctx = context().await;
    let env = signin_environment(&ctx).await;
    let body = sign_in(&ctx, &env, &address("exp")).await;
    let token = token_of(&body);
    let claims = claims(&ctx, &env, &token).await;
    // Age the session item as time would (the token's exp is still days away).
    let db = raw_dynamodb().await;
    let (pk, sk) = userfields::store::keys::session(env.id, user_id_of(&body), claims["sid"].as_str().unwrap().parse().unwrap());
    db.update_item()
        .table_name(ctx.store.table_name())
        .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(pk))
        .key("sk", aws_sdk_dynamodb::types::AttributeValue::S(sk))
        .update_expression("SET expiresAt = :past")
        .expression_attribute_values(":past", aws_sdk_dynamodb::types::AttributeValue::S("2026-01-01T00:00:00Z".into()))
        .send()
        .await
        .unwrap();
    assert_error(&get_me(&ctx, &env, &token).await, 401, "unauthorized", None);
}

#[tokio::test]
async fn an_expired_token_is_refused_though_its_session_lives() {
    let ctx = context().await;
    let env = signin_environment(&ctx).await;
    let token = token_of(&sign_in(&ctx, &env, &address("late")).await);
    let live: userfields::tokens::TokenClaims =
        serde_json::from_value(claims(&ctx, &env, &token).await).expect("the claims read back");
    // The same session's claims, signed by the environment's own key, but expired a minute ago.
    let past = userfields::model::values::Timestamp::now().unix() - 60;
    let expired = userfields::tokens::TokenClaims { exp: past, iat: past - 10, ..live };
    let record = ctx.store.environment(env.id).await.unwrap().unwrap();
    let stale = ctx.keyring.sign(&ctx.store, env.id, &record, &expired).await.unwrap();
    assert_error(&get_me(&ctx, &env, &stale).await, 401, "unauthorized", None);
    assert_eq!(get_me(&ctx, &env, &token).await.0, 200, "the live token of the same session still works");
}

/// Moves `env`'s pending key's start into the past, as if the rotation's lead had passed.
async fn pass_rotation_lead(ctx: &userfields::context::AppContext, env: &Env) {
    use aws_sdk_dynamodb::types::AttributeValue;
    let (pk, sk) = userfields::store::keys::environment(env.id);
    raw_dynamodb()
        .await
        .update_item()
        .table_name(ctx.store.table_name())
        .key("pk", AttributeValue::S(pk))
        .key("sk", AttributeValue::S(sk))
        .update_expression("SET nextSigningKeyAt = :t")
        .expression_attribute_values(":t", AttributeValue::S("2020-01-01T00:00:00Z".into()))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_rotated_key_is_published_a_cache_lifetime_before_it_signs() {
    let ctx = context().await;
    let env = signin_environment(&ctx).await;
    let old = token_of(&sign_in(&ctx, &env, &address("rot")).await);
    let old_kid = jsonwebtoken::decode_header(&old).unwrap().kid.unwrap();
    let new_kid = rotate(&ctx, &env).await;
    let (_, keys) = jwks(&ctx, &env).await;
    let kids: Vec<&str> = keys["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap()).collect();
    assert!(kids.contains(&old_kid.as_str()) && kids.contains(&new_kid.as_str()), "{kids:?}");
    assert!(claims_by_jwks(&keys, &old, &issuer(&env)).is_some(), "an old token still verifies");
    assert_eq!(get_me(&ctx, &env, &old).await.0, 200);

    // Until the lead has passed, even a container reading the environment now signs with the
    // old key: relying parties' cached JWKS may not list the new one yet.
    let fresh = context_unprepared(&endpoint(), EMAIL_FROM, ctx.store.table_name()).await;
    let token = token_of(&sign_in(&fresh, &env, &address("rot1")).await);
    assert_eq!(jsonwebtoken::decode_header(&token).unwrap().kid.unwrap(), old_kid);
    let key = kms_key(&ctx).await;
    let again = userfields::ops::signing_keys::rotate_signing_key(&ctx.store, ctx.keyring.kms(), &key, env.id, std::time::Duration::ZERO).await;
    assert_eq!(again.unwrap_err().code, "rotation_pending");

    pass_rotation_lead(&ctx, &env).await;
    let fresh = context_unprepared(&endpoint(), EMAIL_FROM, ctx.store.table_name()).await;
    let token = token_of(&sign_in(&fresh, &env, &address("rot2")).await);
    assert_eq!(jsonwebtoken::decode_header(&token).unwrap().kid.unwrap(), new_kid);
    assert!(claims_by_jwks(&keys, &token, &issuer(&env)).is_some(), "the JWKS read before it signed lists it");
    assert_eq!(get_me(&fresh, &env, &old).await.0, 200, "the old key's tokens live on");
}

#[tokio::test]
async fn a_revoked_signing_key_is_unpublished_and_its_tokens_refused_at_once() {
    let ctx = context().await;
    let env = signin_environment(&ctx).await;
    let token = token_of(&sign_in(&ctx, &env, &address("leak")).await);
    let leaked = jsonwebtoken::decode_header(&token).unwrap().kid.unwrap();
    assert_eq!(get_me(&ctx, &env, &token).await.0, 200, "this container now caches the key");
    let key = kms_key(&ctx).await;
    let replacement = userfields::ops::signing_keys::revoke_signing_key(&ctx.store, ctx.keyring.kms(), Some(&key), env.id, &leaked).await.unwrap();
    let replacement = replacement.expect("the signing key was revoked, so a new one signs");
    assert_error(&get_me(&ctx, &env, &token).await, 401, "unauthorized", None);
    let (_, keys) = jwks(&ctx, &env).await;
    let kids: Vec<&str> = keys["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap()).collect();
    assert_eq!(kids, [replacement.as_str()]);
    let fresh = context_unprepared(&endpoint(), EMAIL_FROM, ctx.store.table_name()).await;
    let token = token_of(&sign_in(&fresh, &env, &address("after")).await);
    assert_eq!(jsonwebtoken::decode_header(&token).unwrap().kid.unwrap(), replacement);
    assert_eq!(get_me(&fresh, &env, &token).await.0, 200);
    let unknown = userfields::ops::signing_keys::revoke_signing_key(&ctx.store, ctx.keyring.kms(), Some(&key), env.id, "nope").await;
    assert_eq!(unknown.unwrap_err().code, "not_found");
}

#[tokio::test]
async fn tokens_pass_the_checks_of_api_gateways_jwt_authorizer() {
    let ctx = context().await;
    let env = signin_environment(&ctx).await;
    let token = token_of(&sign_in(&ctx, &env, &address("apigw")).await);
    let (_, keys) = jwks(&ctx, &env).await;
    let env_id = env.id.to_string();
    let claims = claims_as_api_gateway(&keys, &token, &issuer(&env), &[&env_id]).expect("accepted with the default audience");
    assert_eq!(claims["aud"], env_id);
    assert!(claims_as_api_gateway(&keys, &token, &issuer(&env), &["another-api"]).is_none());
    assert!(claims_as_api_gateway(&keys, &token, "https://elsewhere.test", &[&env_id]).is_none());

    userfields::ops::environments::set_audience(&ctx.store, env.id, "https://api.example.com").await.unwrap();
    let fresh = context_unprepared(&endpoint(), EMAIL_FROM, ctx.store.table_name()).await;
    let token = token_of(&sign_in(&fresh, &env, &address("apigw2")).await);
    let claims = claims_as_api_gateway(&keys, &token, &issuer(&env), &["https://api.example.com"]).expect("the set audience");
    assert_eq!(claims["aud"], "https://api.example.com");
    assert!(claims_as_api_gateway(&keys, &token, &issuer(&env), &[&env_id]).is_none());
    let bad = userfields::ops::environments::set_audience(&ctx.store, env.id, "").await.unwrap_err();
    assert_eq!(bad.code, "invalid_audience");
}

#[tokio::test]
async fn the_discovery_documents_point_at_the_keys() {
    let ctx = context().await;
    let env = signin_environment(&ctx).await;
    let (status, config) = openid_configuration(&ctx, &env).await;
    assert_eq!(status, 200, "{config}");
    assert_eq!(config["issuer"], issuer(&env));
    assert_eq!(config["jwks_uri"], format!("{}/.well-known/jwks", issuer(&env)));
    let (status, keys) = jwks(&ctx, &env).await;
    assert_eq!(status, 200);
    let key = &keys["keys"][0];
    assert_eq!((key["kty"].as_str(), key["alg"].as_str(), key["use"].as_str()), (Some("RSA"), Some("RS256"), Some("sig")));
    assert!(key.get("d").is_none() && key.get("p").is_none(), "no private part is ever published");
    // No private key in the clear anywhere in the table.
    let db = raw_dynamodb().await;
    let items = db.scan().table_name(ctx.store.table_name()).send().await.unwrap().items.unwrap_or_default();
    let text = format!("{items:?}");
    assert!(!text.contains("PRIVATE KEY") && !text.contains("MIIE"), "a private key is stored in the clear");
    // An environment without keys, or none at all: 404.
    let bare = environment(&ctx).await;
    assert_error(&jwks(&ctx, &bare).await, 404, "not_found", None);
    let nowhere = Env { id: Uuid::new_v4(), key: String::new() };
    assert_error(&openid_configuration(&ctx, &nowhere).await, 404, "not_found", None);
    assert_error(&start(&ctx, &nowhere, &address("x")).await, 404, "not_found", None);
}

#[tokio::test]
async fn wrong_codes_are_counted_and_codes_are_single_use() {
    let ctx = context().await;
    let env = signin_environment(&ctx).await;
    let email = address("guess");
    let (_, started) = start(&ctx, &env, &email).await;
    let v = started["verificationUUID"].as_str().unwrap();
    let code = last_code(&email).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let got = verify(&ctx, &env, v, wrong).await;
    assert_error(&got, 422, "wrong_email_verification_token", Some("verificationToken"));
    assert_eq!(got.1["payload"]["attemptsLeft"], 4);
    assert_error(&verify(&ctx, &env, v, "12345").await, 400, "invalid_verification_token", Some("verificationToken"));
    assert_error(&verify(&ctx, &env, &Uuid::new_v4().to_string(), &code).await, 422, "invalid_verification", None);
    assert_eq!(verify(&ctx, &env, v, &code).await.0, 200);
    assert_error(&verify(&ctx, &env, v, &code).await, 422, "invalid_verification", None);

    let other = address("guess2");
    let (_, started) = start(&ctx, &env, &other).await;
    let v = started["verificationUUID"].as_str().unwrap();
    let code = last_code(&other).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        verify(&ctx, &env, v, wrong).await;
    }
    assert_error(&verify(&ctx, &env, v, &code).await, 422, "too_many_email_verification_attempts", None);
}

#[tokio::test]
async fn bad_start_bodies_are_clear_400s() {
    let ctx = context().await;
    let env = signin_environment(&ctx).await;
    assert_error(&start(&ctx, &env, "not-an-email").await, 400, "invalid_email", Some("email"));
    for body in [json!([]), json!(null), json!({"email": 5}), json!({"email": "a@b.co", "extra": 1})] {
        let req = end_user_event("sdk-email-verifications-create.json", &env, "", Some(&body), IP);
        let (status, _) = call!(userfields::handlers::sdk_email_verifications::handle, &ctx, req).await;
        assert_eq!(status, 400, "{body}");
    }
}

#[tokio::test]
async fn deleting_a_user_ends_its_sessions_and_leaves_nothing() {
    let ctx = context().await;
    let env = signin_environment(&ctx).await;
    let body = sign_in(&ctx, &env, &address("erase")).await;
    let (id, token) = (user_id_of(&body), token_of(&body));
    let req = event("delete-user.json", &env, Some(id));
    assert_eq!(userfields::handlers::delete_user::handle(&ctx, req).await.status().as_u16(), 204);
    assert_error(&get_me(&ctx, &env, &token).await, 401, "unauthorized", None);
    let db = raw_dynamodb().await;
    let items = db.scan().table_name(ctx.store.table_name()).send().await.unwrap().items.unwrap_or_default();
    let left: Vec<String> = items.iter().map(|i| format!("{i:?}")).filter(|t| t.contains(&id.to_string())).collect();
    assert!(left.is_empty(), "{left:?}");
}

async fn revoke_sessions(ctx: &userfields::context::AppContext, env: &Env, user: Uuid) -> (u16, Option<Value>) {
    let resp = handlers_revoke(ctx, event("revoke-user-sessions.json", env, Some(user))).await;
    let status = resp.status().as_u16();
    let body: &[u8] = resp.body().as_ref();
    (status, (!body.is_empty()).then(|| serde_json::from_slice(body).unwrap()))
}

async fn handlers_revoke(ctx: &userfields::context::AppContext, req: lambda_http::Request) -> lambda_http::Response<lambda_http::Body> {
    userfields::handlers::revoke_user_sessions::handle(ctx, req).await
}

#[tokio::test]
async fn the_operator_ends_every_session_of_a_user() {
    let ctx = context().await;
    let env = signin_environment(&ctx).await;
    let email = address("revoked");
    let first = sign_in(&ctx, &env, &email).await;
    clear_rate_counters(&ctx, &env, &email).await;
    let second = sign_in(&ctx, &env, &email).await;
    let id = user_id_of(&first);
    for body in [&first, &second] {
        assert_eq!(get_me(&ctx, &env, &token_of(body)).await.0, 200);
    }
    // The operator's GET of the user lists the live sessions, newest first; an expired one, which
    // TTL has yet to remove, is not listed.
    let long_ago = userfields::model::values::Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
    ctx.store.put_session_alone(env.id, &userfields::store::Session::new(id, long_ago, 3600)).await.unwrap();
    let sessions = |got: &Value| -> Vec<Value> { got["user"]["sessions"].as_array().unwrap_or_else(|| panic!("{got}")).iter().map(|s| s["id"].clone()).collect() };
    let (status, got) = get_user(&ctx, &env, id).await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(sessions(&got), [second["user"]["sessionId"].clone(), first["user"]["sessionId"].clone()], "{got}");
    assert_eq!(revoke_sessions(&ctx, &env, id).await, (204, None));
    assert!(sessions(&get_user(&ctx, &env, id).await.1).is_empty());
    for body in [&first, &second] {
        assert_error(&get_me(&ctx, &env, &token_of(body)).await, 401, "unauthorized", None);
    }
    assert_eq!(revoke_sessions(&ctx, &env, id).await.0, 204, "no session left is no error");
    let (status, body) = revoke_sessions(&ctx, &env, Uuid::new_v4()).await;
    assert_error(&(status, body.unwrap()), 404, "not_found", Some("userId"));
    // A key of another environment, or one that cannot write users, is refused.
    let other = environment(&ctx).await;
    let foreign = Env { id: env.id, key: other.key };
    assert_eq!(revoke_sessions(&ctx, &foreign, id).await.0, 403);
    let reader = userfields::ops::api_keys::create_api_key(&ctx.store, env.id, "reader", userfields::auth::scopes::Scopes::parse_list(&["users:read"]).unwrap()).await.unwrap();
    assert_eq!(revoke_sessions(&ctx, &Env { id: env.id, key: reader.key }, id).await.0, 403);
}

#[tokio::test]
async fn a_sign_in_that_newly_verifies_a_record_ends_its_other_sessions() {
    let ctx = context().await;
    let env = signin_environment(&ctx).await;
    settings(&ctx, &env, json!([{"name": "email", "type": "standard", "verify": false}])).await;
    let first = address("first");
    let earlier = sign_in(&ctx, &env, &first).await;
    let id = user_id_of(&earlier);
    // The operator moves the record to an address nobody has proven yet.
    let owner = address("owner");
    let (status, body) = update_user(&ctx, &env, id, json!({ "email": owner })).await;
    assert_eq!((status, body["user"]["emailVerifiedAt"].clone()), (200, Value::Null), "{body}");
    assert_eq!(get_me(&ctx, &env, &token_of(&earlier)).await.0, 200);
    // The address's owner signs in: the record is theirs now, and the earlier session ends.
    let bound = sign_in(&ctx, &env, &owner).await;
    assert_eq!(user_id_of(&bound), id);
    assert_error(&get_me(&ctx, &env, &token_of(&earlier)).await, 401, "unauthorized", None);
    assert_eq!(get_me(&ctx, &env, &token_of(&bound)).await.0, 200);
}
