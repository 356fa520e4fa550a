//! The send limits shared by sign-in and email changes, against moto: per address (a gap and an
//! hourly cap, whichever route sends) and per source IP on the public route, with 429 and
//! `Retry-After`.

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::json;
use userfields::handlers::{sdk_email_verifications, sdk_users};
use userfields_tests::sign_in::*;
use userfields_tests::*;
use uuid::Uuid;

fn address(tag: &str) -> String {
    format!("{tag}.{}@example.com", Uuid::new_v4().simple())
}

#[tokio::test]
async fn one_address_gets_one_code_per_gap_whichever_route_asks() {
    let ctx = context().await;
    let env = signin_environment(&ctx).await;
    let victim = address("victim");
    assert_eq!(start(&ctx, &env, &victim).await.0, 200);
    let req = end_user_event("sdk-email-verifications-retry.json", &env, "", Some(&json!({"email": victim})), IP);
    let resp = sdk_email_verifications::handle(&ctx, req).await;
    assert_eq!(resp.status().as_u16(), 429);
    let wait: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=30).contains(&wait), "{wait}");
    let got = parts(resp);
    assert_error(&got, 429, "too_many_requests", Some("email"));
    assert_eq!(got.1["payload"]["retryAfterSeconds"], wait);
    assert_eq!(sent_codes(&victim).await.len(), 1, "nothing more was sent");

    // Many users pointing their email at the victim, through the operator's API: still refused.
    let (_, created) = create_user(&ctx, &env, json!({})).await;
    assert_error(&update_user(&ctx, &env, user_id_of(&created), json!({"email": victim})).await, 429, "too_many_requests", Some("email"));
    assert_eq!(sent_codes(&victim).await.len(), 1);
}

#[tokio::test]
async fn alternating_two_addresses_does_not_get_around_the_gap() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let (_, created) = create_user(&ctx, &env, json!({})).await;
    let id = user_id_of(&created);
    let (a, b) = (address("a"), address("b"));
    assert_eq!(update_user(&ctx, &env, id, json!({"email": a})).await.0, 200);
    assert_eq!(update_user(&ctx, &env, id, json!({"email": b})).await.0, 200);
    assert_error(&update_user(&ctx, &env, id, json!({"email": a})).await, 429, "too_many_requests", Some("email"));
    assert_eq!(sent_codes(&a).await.len(), 1);
}

#[tokio::test]
async fn an_address_gets_at_most_five_codes_an_hour() {
    let ctx = context().await;
    let env = signin_environment(&ctx).await;
    let victim = address("hourly");
    within_one_window(userfields::codes::limits::PER_ADDRESS.window_seconds, 60).await;
    for _ in 0..5 {
        assert_eq!(start(&ctx, &env, &victim).await.0, 200);
        clear_gap(&ctx, &env, &victim).await;
    }
    let got = start(&ctx, &env, &victim).await;
    assert_error(&got, 429, "too_many_requests", Some("email"));
    let wait = got.1["payload"]["retryAfterSeconds"].as_u64().unwrap();
    assert!(wait >= 1 && wait <= 3600, "{wait}");
    assert_eq!(sent_codes(&victim).await.len(), 5);
}

/// Moves the last send of `email` back a minute, as if the gap had passed.
async fn clear_gap(ctx: &userfields::context::AppContext, env: &Env, email: &str) {
    let db = raw_dynamodb().await;
    for item in rate_counters(ctx, env, email).await {
        let last: i64 = item["lastMs"].as_n().unwrap().parse().unwrap();
        db.update_item()
            .table_name(ctx.store.table_name())
            .key("pk", item["pk"].clone())
            .key("sk", item["sk"].clone())
            .update_expression("SET lastMs = :t")
            .expression_attribute_values(":t", AttributeValue::N((last - 60_000).to_string()))
            .send()
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn one_source_address_gets_a_bounded_number_of_sign_ins() {
    let ctx = context().await;
    let env = signin_environment(&ctx).await;
    let ip = "198.51.100.23";
    let limit = userfields::codes::limits::PER_SOURCE_IP.max;
    within_one_window(userfields::codes::limits::PER_SOURCE_IP.window_seconds, 60).await;
    for i in 0..limit {
        let (status, body) = start_from(&ctx, &env, &address(&format!("ip{i}")), ip).await;
        assert_eq!(status, 200, "{body}");
    }
    let got = start_from(&ctx, &env, &address("over"), ip).await;
    assert_error(&got, 429, "too_many_requests", None);
    assert!(got.1["payload"].get("field").is_none(), "the address is not what was refused");
    // Another network is not affected.
    assert_eq!(start_from(&ctx, &env, &address("elsewhere"), "198.51.100.24").await.0, 200);
}

fn wrong_code(code: &str) -> &'static str {
    if code == "000000" { "111111" } else { "000000" }
}

#[tokio::test]
async fn an_end_users_change_to_a_taken_address_answers_as_one_to_a_free_address() {
    let ctx = context().await;
    let env = signin_environment(&ctx).await;
    let victim = address("registered");
    assert_eq!(create_user(&ctx, &env, json!({ "email": victim })).await.0, 201);
    let me = sign_in(&ctx, &env, &address("prober")).await;
    let me_id = user_id_of(&me);
    let token = token_of(&me);
    let fresh = address("free");
    let (free_status, free) = put_me(&ctx, &env, &token, json!({ "email": fresh })).await;
    let (taken_status, taken) = put_me(&ctx, &env, &token, json!({ "email": victim })).await;
    assert_eq!((free_status, taken_status), (200, 200), "{free} {taken}");
    let shape = |v: &serde_json::Value| {
        let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        keys.extend(v["emailVerification"].as_object().unwrap().keys().map(|k| format!("emailVerification.{k}")));
        keys.sort();
        (keys, v["isEmailVerificationRequired"].clone(), v["user"]["email"].clone())
    };
    assert_eq!(shape(&free), shape(&taken));
    assert_eq!(taken["emailVerification"]["email"], victim.as_str());
    assert_eq!(sent_codes(&fresh).await.len(), 1);
    assert!(sent_codes(&victim).await.is_empty(), "nothing is sent to the address someone holds");

    // Not even the right code would verify it: give the stored decoy a known code's hash.
    let verification: Uuid = taken["emailVerification"]["verificationUUID"].as_str().unwrap().parse().unwrap();
    let (pk, sk) = userfields::store::keys::email_verification(env.id, me_id);
    raw_dynamodb()
        .await
        .update_item()
        .table_name(ctx.store.table_name())
        .key("pk", AttributeValue::S(pk))
        .key("sk", AttributeValue::S(sk))
        .update_expression("SET codeHash = :h")
        .expression_attribute_values(":h", AttributeValue::S(userfields::codes::secret::hash_code(OTP_KEY, verification, "123456")))
        .send()
        .await
        .unwrap();
    let got = verify_my_email(&ctx, &env, &token, &verification.to_string(), "123456").await;
    assert_error(&got, 422, "wrong_email_verification_token", Some("verificationToken"));
}

#[tokio::test]
async fn email_change_codes_are_bounded_per_signed_in_user_and_per_source_ip() {
    let ctx = context().await;
    let env = signin_environment(&ctx).await;
    let per_user = userfields::codes::limits::PER_END_USER.max;
    let per_ip = userfields::codes::limits::PER_SOURCE_IP_HOURLY.max;
    within_one_window(userfields::codes::limits::PER_SOURCE_IP_HOURLY.window_seconds, 120).await;
    let mut users = Vec::new();
    for i in 0..per_ip.div_ceil(per_user) + 1 {
        users.push(token_of(&sign_in(&ctx, &env, &address(&format!("changer{i}"))).await));
    }
    let mut sent = 0;
    for token in &users[..users.len() - 1] {
        for _ in 0..per_user.min(per_ip - sent) {
            let (status, body) = put_me(&ctx, &env, token, json!({ "email": address("target") })).await;
            assert_eq!(status, 200, "{body}");
            sent += 1;
        }
    }
    let first = &users[0];
    let got = put_me(&ctx, &env, first, json!({ "email": address("one-more") })).await;
    assert_error(&got, 429, "too_many_requests", None);
    assert!(got.1["payload"].get("field").is_none(), "{}", got.1);
    // The last user, from the same network, is refused by the network's count...
    let last = users.last().unwrap();
    assert_error(&put_me(&ctx, &env, last, json!({ "email": address("ip") })).await, 429, "too_many_requests", None);
    // ...and from another network is not.
    let req = end_user_event("sdk-users-put.json", &env, last, Some(&json!({ "email": address("elsewhere") })), "198.51.100.99");
    let (status, body) = call!(sdk_users::handle, &ctx, req).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn wrong_codes_across_codes_lock_an_address_for_the_day() {
    let ctx = context().await;
    let env = signin_environment(&ctx).await;
    let email = address("locked");
    let limit = userfields::codes::limits::WRONG_CODES_PER_ADDRESS.max;
    let per_code = userfields::codes::secret::MAX_ATTEMPTS;
    within_one_window(userfields::codes::limits::WRONG_CODES_PER_ADDRESS.window_seconds, 120).await;
    let mut wrong = 0;
    while wrong < limit {
        clear_rate_counters(&ctx, &env, &email).await;
        let (_, started) = start(&ctx, &env, &email).await;
        let v = started["verificationUUID"].as_str().unwrap().to_string();
        let code = last_code(&email).await;
        for _ in 0..per_code.min(limit - wrong) {
            assert_error(&verify(&ctx, &env, &v, wrong_code(&code)).await, 422, "wrong_email_verification_token", None);
            wrong += 1;
        }
    }
    clear_rate_counters(&ctx, &env, &email).await;
    let (_, started) = start(&ctx, &env, &email).await;
    let v = started["verificationUUID"].as_str().unwrap().to_string();
    let code = last_code(&email).await;
    let got = verify(&ctx, &env, &v, wrong_code(&code)).await;
    assert_error(&got, 429, "too_many_requests", Some("verificationToken"));
    let got = verify(&ctx, &env, &v, &code).await;
    assert_error(&got, 429, "too_many_requests", Some("verificationToken"));
    let wait = got.1["payload"]["retryAfterSeconds"].as_u64().unwrap();
    assert!((1..=86_400).contains(&wait), "{wait}");
    // Another address is not locked; sending codes alone never locks one.
    let other = address("unlocked");
    for _ in 0..3 {
        clear_rate_counters(&ctx, &env, &other).await;
        start(&ctx, &env, &other).await;
    }
    clear_rate_counters(&ctx, &env, &other).await;
    sign_in(&ctx, &env, &other).await;
}
