//! The send limits shared by sign-in and email changes, against moto: per address (a gap and an
//! hourly cap, whichever route sends) and per source IP on the public route, with 429 and
//! `Retry-After`.

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::json;
use userfields::handlers::auth_email_start;
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
    let req = end_user_event("auth-email-start.json", &env, "", Some(&json!({"email": victim})), IP);
    let resp = auth_email_start::handle(&ctx, req).await;
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
    let limit = userfields::send_limits::PER_SOURCE_IP.max;
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
