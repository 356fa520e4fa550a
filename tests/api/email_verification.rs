//! Email change by one-time code, end to end through SES on moto.

use futures::future::join_all;
use serde_json::{json, Value};
use userfields::context::AppContext;
use userfields::store::keys;
use userfields_tests::*;
use uuid::Uuid;

/// Creates a user with a verified email and asks to change it to `new_email`;
/// returns (user id, verificationUUID, code read from moto's SES).
async fn pending_change(ctx: &AppContext, env: &Env, new_email: &str) -> (Uuid, String, String) {
    let (_, body) = create_user(ctx, env, json!({"email": format!("old.{new_email}"), "emailVerifiedAt": "2026-01-01T00:00:00Z"})).await;
    let id = user_id_of(&body);
    let before = sent_codes(new_email).await.len();
    let (status, body) = update_user(ctx, env, id, json!({"email": new_email})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["isEmailVerificationRequired"], true);
    assert_eq!(body["emailVerification"]["email"], new_email);
    assert_eq!(body["user"]["email"], format!("old.{new_email}"), "the email does not change before verification");
    let verification = body["emailVerification"]["verificationUUID"].as_str().unwrap().to_string();
    let codes = sent_codes(new_email).await;
    assert_eq!(codes.len(), before + 1, "one code sent");
    (id, verification, codes.last().unwrap().clone())
}

fn unique_email(tag: &str) -> String {
    format!("{tag}.{}@example.com", Uuid::new_v4().simple())
}

#[tokio::test]
async fn a_right_code_applies_the_email_credential_and_claim() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let email = unique_email("happy");
    let (id, verification, code) = pending_change(&ctx, &env, &email).await;
    let (status, body) = verify_email(&ctx, &env, id, &verification, &code).await;
    assert_eq!(status, 200, "{body}");
    let user = &body["user"];
    assert_eq!(user["email"], email);
    assert!(user["emailVerifiedAt"].is_string());
    let creds = user["verifiedCredentials"].as_array().unwrap();
    assert_eq!(creds.len(), 1, "the old email credential is replaced: {user}");
    assert_eq!(creds[0]["email"], email);
    // The new address is claimed, the old one released.
    assert_error(&create_user(&ctx, &env, json!({"email": email})).await, 422, "email_already_exists", Some("email"));
    assert_eq!(create_user(&ctx, &env, json!({"email": format!("old.{email}")})).await.0, 201);
    // The code is single-use.
    assert_error(&verify_email(&ctx, &env, id, &verification, &code).await, 422, "invalid_verification", None);
}

#[tokio::test]
async fn an_email_with_verified_at_is_trusted_at_once() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let (_, body) = create_user(&ctx, &env, json!({})).await;
    let id = user_id_of(&body);
    let email = unique_email("trusted");
    let (status, body) = update_user(&ctx, &env, id, json!({"email": email, "emailVerifiedAt": "2026-11-01T00:00:00Z"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["isEmailVerificationRequired"], false);
    assert_eq!(body["user"]["email"], email);
    assert_eq!(body["user"]["verifiedCredentials"][0]["email"], email);
    assert!(sent_codes(&email).await.is_empty(), "no code for a trusted email");
}

#[tokio::test]
async fn wrong_codes_count_and_five_kill_the_verification() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let (id, verification, code) = pending_change(&ctx, &env, &unique_email("wrong")).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for left in (0..5).rev() {
        let got = verify_email(&ctx, &env, id, &verification, wrong).await;
        assert_error(&got, 422, "wrong_email_verification_token", Some("verificationToken"));
        assert_eq!(got.1["payload"]["attemptsLeft"], left);
    }
    let got = verify_email(&ctx, &env, id, &verification, &code).await;
    assert_error(&got, 422, "too_many_email_verification_attempts", None);
    assert_error(&verify_email(&ctx, &env, id, &verification, "12345").await, 400, "invalid_verification_token", None);
}

#[tokio::test]
async fn unknown_and_expired_verifications_are_invalid() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let (id, verification, code) = pending_change(&ctx, &env, &unique_email("expired")).await;
    let got = verify_email(&ctx, &env, id, &Uuid::new_v4().to_string(), &code).await;
    assert_error(&got, 422, "invalid_verification", Some("verificationUUID"));

    // Age the stored verification past its 10 minutes (TTL removal is lazy; expiry is checked on read).
    let (pk, sk) = keys::email_verification(env.id, id);
    raw_dynamodb()
        .await
        .update_item()
        .table_name(ctx.store.table_name())
        .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(pk))
        .key("sk", aws_sdk_dynamodb::types::AttributeValue::S(sk.into()))
        .update_expression("SET expiresAt = :e, #ttl = :t")
        .expression_attribute_names("#ttl", "ttl")
        .expression_attribute_values(":e", aws_sdk_dynamodb::types::AttributeValue::S("2020-01-01T00:00:00Z".into()))
        .expression_attribute_values(":t", aws_sdk_dynamodb::types::AttributeValue::N("1577836800".into()))
        .send()
        .await
        .unwrap();
    let got = verify_email(&ctx, &env, id, &verification, &code).await;
    assert_error(&got, 422, "invalid_verification", None);
}

#[tokio::test]
async fn resend_is_limited_to_once_per_thirty_seconds() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let email = unique_email("resend");
    let (id, _, _) = pending_change(&ctx, &env, &email).await;
    let got = update_user(&ctx, &env, id, json!({"email": email})).await;
    assert_error(&got, 429, "too_many_requests", Some("email"));
    assert_eq!(sent_codes(&email).await.len(), 1, "no second email within the cooldown");
    // A different address replaces the pending one at once, and the old code no longer works.
    let other = unique_email("resend-other");
    let (status, body) = update_user(&ctx, &env, id, json!({"email": other})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(sent_codes(&other).await.len(), 1);
}

#[tokio::test]
async fn an_email_taken_meanwhile_fails_the_verify_and_writes_nothing() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let email = unique_email("taken");
    let (id, verification, code) = pending_change(&ctx, &env, &email).await;
    let (status, _) = create_user(&ctx, &env, json!({"email": email})).await;
    assert_eq!(status, 201);
    let got = verify_email(&ctx, &env, id, &verification, &code).await;
    assert_error(&got, 422, "email_already_exists", Some("email"));
    let (_, read) = get_user(&ctx, &env, id).await;
    assert_eq!(read["user"]["email"], format!("old.{email}"));
    assert_eq!(read["user"]["verifiedCredentials"].as_array().unwrap().len(), 1);
    // The user still holds the old address.
    assert_error(&create_user(&ctx, &env, json!({"email": format!("old.{email}")})).await, 422, "email_already_exists", None);
    // And asking for a taken address sends nothing.
    let before = sent_codes(&email).await.len();
    assert_error(&update_user(&ctx, &env, id, json!({"email": email})).await, 422, "email_already_exists", Some("email"));
    assert_eq!(sent_codes(&email).await.len(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_verifies_of_one_code_have_exactly_one_winner() {
    let ctx = shared_context().await;
    let env: &'static Env = Box::leak(Box::new(environment(ctx).await));
    let (id, verification, code) = pending_change(ctx, env, &unique_email("concurrent")).await;
    let tasks = (0..5).map(|_| {
        let (verification, code) = (verification.clone(), code.clone());
        tokio::spawn(async move { verify_email(ctx, env, id, &verification, &code).await })
    });
    let results: Vec<(u16, Value)> = join_all(tasks).await.into_iter().map(Result::unwrap).collect();
    let winners = results.iter().filter(|(s, _)| *s == 200).count();
    assert_eq!(winners, 1, "{results:?}");
    for (status, body) in results.iter().filter(|(s, _)| *s != 200) {
        assert_eq!(*status, 422, "{body}");
        assert!(["invalid_verification", "too_many_email_verification_attempts"].contains(&body["code"].as_str().unwrap()), "{body}");
    }
}

#[tokio::test]
async fn when_ses_refuses_nothing_is_written() {
    let refusing = context_with(&endpoint(), "unregistered-sender@nowhere.test").await;
    let env = environment(&refusing).await;
    let (_, body) = create_user(&refusing, &env, json!({"email": "keep@example.com", "alias": "before"})).await;
    let id = user_id_of(&body);
    let got = update_user(&refusing, &env, id, json!({"email": "new-ses-fail@example.com", "alias": "after"})).await;
    // An unverified sender is a permanent refusal (MessageRejected): not "try again".
    assert_error(&got, 502, "email_rejected", Some("email"));
    let (_, read) = get_user(&refusing, &env, id).await;
    assert_eq!(read["user"]["alias"], "before", "the rest of the request is not applied either");
    assert_eq!(read["user"]["email"], "keep@example.com");
    let item = refusing.store.get_item(&keys::email_verification(env.id, id)).await.unwrap();
    assert!(item.is_none(), "no pending verification is left");
}

#[tokio::test]
async fn settling_the_email_withdraws_a_pending_change() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let email = unique_email("withdrawn");
    let (id, verification, code) = pending_change(&ctx, &env, &email).await;
    let trusted = unique_email("trusted-instead");
    let (status, body) = update_user(&ctx, &env, id, json!({"email": trusted, "emailVerifiedAt": "2026-11-01T00:00:00Z"})).await;
    assert_eq!(status, 200, "{body}");
    assert!(ctx.store.get_item(&keys::email_verification(env.id, id)).await.unwrap().is_none());
    assert_error(&verify_email(&ctx, &env, id, &verification, &code).await, 422, "invalid_verification", None);
    let (_, read) = get_user(&ctx, &env, id).await;
    assert_eq!(read["user"]["email"], trusted);

    // Clearing the email (once the environment makes it optional) withdraws it too.
    let optional = json!({"fields": [{"name": "email", "type": "standard", "required": false}]});
    let req = event_with_body("put-user-field-settings.json", &env, None, &optional);
    assert_eq!(call!(userfields::handlers::user_field_settings::handle, &ctx, req).await.0, 200);
    let again = unique_email("cleared");
    let (status, body) = update_user(&ctx, &env, id, json!({"email": again})).await;
    assert_eq!(status, 200, "{body}");
    let verification = body["emailVerification"]["verificationUUID"].as_str().unwrap().to_string();
    let code = sent_codes(&again).await.pop().unwrap();
    assert_eq!(update_user(&ctx, &env, id, json!({"email": null})).await.0, 200);
    assert_error(&verify_email(&ctx, &env, id, &verification, &code).await, 422, "invalid_verification", None);
    let (_, read) = get_user(&ctx, &env, id).await;
    assert!(read["user"].get("email").is_none());
}
