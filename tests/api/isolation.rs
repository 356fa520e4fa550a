//! No route lets one environment's key read or change another environment's data.

use serde_json::{json, Value};
use userfields::handlers::{
    bulk_create_users, custom_fields, exports, delete_user, get_user, list_missing_fields, list_users, revoke_user_sessions, user_field_settings,
    verify_email_otp,
};
use userfields_tests::*;

#[tokio::test]
async fn another_environments_key_reaches_nothing() {
    let ctx = context().await;
    let a = environment(&ctx).await;
    let b = environment(&ctx).await;
    let email = format!("iso.{}@example.com", uuid::Uuid::new_v4().simple());
    let (_, body) = create_user(&ctx, &a, json!({"email": "owner@example.com", "alias": "a-user"})).await;
    let user = user_id_of(&body);
    let (_, pending) = update_user(&ctx, &a, user, json!({"email": email})).await;
    let verification = pending["emailVerification"]["verificationUUID"].as_str().unwrap().to_string();
    let code = sent_codes(&email).await.pop().unwrap();
    let verify_body = json!({"verificationUUID": verification, "verificationToken": code});

    // B's key on A's paths: 403 everywhere.
    let b_on_a = Env { id: a.id, key: b.key.clone() };
    let forbidden: Vec<(u16, Value)> = vec![
        create_user(&ctx, &b_on_a, json!({})).await,
        call!(get_user::handle, &ctx, event("get-user.json", &b_on_a, Some(user))).await,
        update_user(&ctx, &b_on_a, user, json!({"alias": "hijacked"})).await,
        call!(verify_email_otp::handle, &ctx, event_with_body("verify-email-otp.json", &b_on_a, Some(user), &verify_body)).await,
        call!(list_missing_fields::handle, &ctx, event("list-missing-fields.json", &b_on_a, Some(user))).await,
        call!(user_field_settings::handle, &ctx, event("get-user-field-settings.json", &b_on_a, None)).await,
        call!(user_field_settings::handle, &ctx, event("put-user-field-settings.json", &b_on_a, None)).await,
        call!(user_field_settings::handle, &ctx, event("get-environment.json", &b_on_a, None)).await,
        call!(user_field_settings::handle, &ctx, event("put-environment.json", &b_on_a, None)).await,
        call!(user_field_settings::handle, &ctx, event("user-field-settings-impact.json", &b_on_a, None)).await,
        call!(user_field_settings::handle, &ctx, event("get-current-api-key.json", &b_on_a, None)).await,
        call!(list_users::handle, &ctx, event("list-users.json", &b_on_a, None)).await,
        call!(bulk_create_users::handle, &ctx, event("bulk-create-users.json", &b_on_a, None)).await,
        call!(delete_user::handle, &ctx, event("delete-user.json", &b_on_a, Some(user))).await,
        call!(revoke_user_sessions::handle, &ctx, event("revoke-user-sessions.json", &b_on_a, Some(user))).await,
        call!(custom_fields::handle, &ctx, event("create-custom-field.json", &b_on_a, None)).await,
        call!(custom_fields::handle, &ctx, event("list-custom-fields.json", &b_on_a, None)).await,
        call!(exports::handle, &ctx, event("create-export.json", &b_on_a, None)).await,
        call!(exports::handle, &ctx, event("list-exports.json", &b_on_a, None)).await,
        call!(exports::handle, &ctx, event("get-export.json", &b_on_a, None)).await,
        call!(userfields::handlers::webhooks::handle, &ctx, event("create-webhook.json", &b_on_a, None)).await,
        call!(userfields::handlers::webhooks::handle, &ctx, event("list-webhooks.json", &b_on_a, None)).await,
        call!(userfields::handlers::webhooks::handle, &ctx, event("get-webhook.json", &b_on_a, None)).await,
        call!(userfields::handlers::webhooks::handle, &ctx, event("list-webhook-messages.json", &b_on_a, None)).await,
        call!(userfields::handlers::webhooks::handle, &ctx, event("redeliver-webhook-message.json", &b_on_a, None)).await,
        call!(userfields::handlers::webhooks::handle, &ctx, event("test-webhook.json", &b_on_a, None)).await,
    ];
    for got in &forbidden {
        assert_error(got, 403, "forbidden", None);
    }
    // B's key on B's paths with A's user id: the user does not exist there.
    let not_found: Vec<(u16, Value)> = vec![
        call!(get_user::handle, &ctx, event("get-user.json", &b, Some(user))).await,
        update_user(&ctx, &b, user, json!({"alias": "hijacked"})).await,
        call!(verify_email_otp::handle, &ctx, event_with_body("verify-email-otp.json", &b, Some(user), &verify_body)).await,
        call!(list_missing_fields::handle, &ctx, event("list-missing-fields.json", &b, Some(user))).await,
        call!(delete_user::handle, &ctx, event("delete-user.json", &b, Some(user))).await,
        call!(revoke_user_sessions::handle, &ctx, event("revoke-user-sessions.json", &b, Some(user))).await,
    ];
    for got in &not_found {
        assert_error(got, 404, "not_found", Some("userId"));
    }
    // B's listing and filters see none of A's users or values.
    let (status, listed) = call!(list_users::handle, &ctx, event("list-users.json", &b, None)).await;
    assert_eq!((status, &listed["users"]), (200, &json!([])), "{listed}");
    let mut raw: Value = serde_json::from_str(&event_text("list-users.json", &b, None)).unwrap();
    raw["queryStringParameters"] = json!({"email": "owner@example.com"});
    let (_, found) = call!(list_users::handle, &ctx, request(&raw.to_string())).await;
    assert_eq!(found["count"], 0, "{found}");
    // B creating a user with A's user id makes B's own user; A's is untouched.
    assert_eq!(create_user(&ctx, &b, json!({"id": user, "alias": "b-user"})).await.0, 201);
    // B's settings change does not touch A's.
    assert_eq!(call!(user_field_settings::handle, &ctx, event("put-user-field-settings.json", &b, None)).await.0, 200);
    let (_, a_settings) = call!(user_field_settings::handle, &ctx, event("get-user-field-settings.json", &a, None)).await;
    assert!(!a_settings["fields"].as_array().unwrap().iter().any(|f| f["name"] == "memberCode"));

    let (_, read) = get_user(&ctx, &a, user).await;
    assert_eq!(read["user"]["alias"], "a-user");
    assert_eq!(read["user"]["email"], "owner@example.com");
    // The code still works for its own environment: nothing above spent or consumed it.
    let got = call!(verify_email_otp::handle, &ctx, event_with_body("verify-email-otp.json", &a, Some(user), &verify_body)).await;
    assert_eq!(got.0, 200, "{}", got.1);
}

#[tokio::test]
async fn another_environments_session_reaches_nothing() {
    use userfields_tests::sign_in::*;
    use uuid::Uuid;
    let ctx = context().await;
    let a = signin_environment(&ctx).await;
    let b = signin_environment(&ctx).await;
    let token_a = token_of(&sign_in(&ctx, &a, &format!("iso.{}@example.com", Uuid::new_v4().simple())).await);
    assert_error(&get_me(&ctx, &b, &token_a).await, 401, "unauthorized", None);
    assert_error(&put_me(&ctx, &b, &token_a, serde_json::json!({"firstName": "X"})).await, 401, "unauthorized", None);
    assert_eq!(logout(&ctx, &b, &token_a).await, 401);
    // A's token is no API key on A either, and A's key no session.
    assert_error(&call!(get_user::handle, &ctx, event_with_header("get-user.json", &a, Some(Uuid::new_v4()), "authorization", Some(&format!("Bearer {token_a}")))).await, 401, "unauthorized", None);
    assert_error(&get_me(&ctx, &a, &a.key).await, 401, "unauthorized", None);
    // B's JWKS does not verify A's token.
    let (_, keys_b) = jwks(&ctx, &b).await;
    assert!(claims_by_jwks(&keys_b, &token_a, &issuer(&a)).is_none());
    assert!(claims_by_jwks(&keys_b, &token_a, &issuer(&b)).is_none());
    assert_eq!(get_me(&ctx, &a, &token_a).await.0, 200);
}
