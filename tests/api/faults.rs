//! Dependency failures: an unreachable or throttling DynamoDB answers 503 with a clear code and
//! leaves nothing half-written.

use serde_json::{json, Value};
use userfields::handlers::{create_user, get_user, list_missing_fields, update_user, user_field_settings, verify_email_otp};
use userfields::store::keys;
use userfields_tests::fault_proxy;
use userfields_tests::*;
use uuid::Uuid;

#[tokio::test]
async fn an_unreachable_store_is_503_on_every_route() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    // Port 9 on loopback: nothing listens, connections are refused at once.
    let down = context_unprepared("http://127.0.0.1:9", EMAIL_FROM, ctx.store.table_name()).await;
    let user = Some(Uuid::new_v4());
    let verify = json!({"verificationUUID": Uuid::new_v4(), "verificationToken": "123456"});
    let cases: Vec<(u16, Value)> = vec![
        call!(create_user::handle, &down, event("create-user.json", &env, None)).await,
        call!(get_user::handle, &down, event("get-user.json", &env, user)).await,
        call!(update_user::handle, &down, event("update-user.json", &env, user)).await,
        call!(verify_email_otp::handle, &down, event_with_body("verify-email-otp.json", &env, user, &verify)).await,
        call!(list_missing_fields::handle, &down, event("list-missing-fields.json", &env, user)).await,
        call!(user_field_settings::handle, &down, event("get-user-field-settings.json", &env, None)).await,
        call!(user_field_settings::handle, &down, event("put-user-field-settings.json", &env, None)).await,
    ];
    for got in &cases {
        assert_error(got, 503, "storage_unavailable", None);
    }
}

fn upstream() -> String {
    endpoint().trim_start_matches("http://").to_string()
}

#[tokio::test]
async fn a_throttled_write_is_503_and_leaves_nothing_behind() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let proxy = fault_proxy::start(upstream(), &["TransactWriteItems"]).await;
    let flaky = context_unprepared(&proxy.endpoint, EMAIL_FROM, ctx.store.table_name()).await;
    let id = Uuid::new_v4();
    let body = json!({"id": id, "email": "throttled@example.com", "username": "throttled"});
    let got = call!(create_user::handle, &flaky, event_with_body("create-user.json", &env, None, &body)).await;
    assert_error(&got, 503, "storage_unavailable", None);
    // Retried as the SDK's standard mode retries a throttle: three attempts in all.
    assert_eq!(proxy.refused.load(std::sync::atomic::Ordering::SeqCst), 3);

    // Check the table itself: no user, no claim.
    assert!(ctx.store.get_item(&keys::profile(env.id, id)).await.unwrap().is_none());
    assert!(ctx.store.get_item(&keys::claim(env.id, "email", "throttled@example.com")).await.unwrap().is_none());
    assert!(ctx.store.get_item(&keys::claim(env.id, "username", "throttled")).await.unwrap().is_none());
    assert_eq!(create_user(&ctx, &env, body).await.0, 201, "the values are still free");

    // An update that throttles changes nothing either.
    let got = call!(update_user::handle, &flaky, event_with_body("update-user.json", &env, Some(id), &json!({"username": "renamed"}))).await;
    assert_error(&got, 503, "storage_unavailable", None);
    let (_, read) = get_user(&ctx, &env, id).await;
    assert_eq!(read["user"]["username"], "throttled");
    assert!(ctx.store.get_item(&keys::claim(env.id, "username", "renamed")).await.unwrap().is_none());
}

#[tokio::test]
async fn throttled_reads_are_503() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let (_, body) = create_user(&ctx, &env, json!({})).await;
    let id = user_id_of(&body);
    let proxy = fault_proxy::start(upstream(), &["BatchGetItem"]).await;
    let flaky = context_unprepared(&proxy.endpoint, EMAIL_FROM, ctx.store.table_name()).await;
    let got = call!(get_user::handle, &flaky, event("get-user.json", &env, Some(id))).await;
    assert_error(&got, 503, "storage_unavailable", None);
}

#[tokio::test]
async fn a_cached_configuration_that_vanishes_mid_request_is_no_panic() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let (_, body) = create_user(&ctx, &env, json!({})).await;
    let id = user_id_of(&body);
    // A context whose configuration is cached, then dropped while its BatchGetItem is in flight
    // (as expiry or eviction would): the planned read must not need the cache entry again.
    let slot: &'static std::sync::OnceLock<(&'static userfields::context::AppContext, Uuid)> =
        Box::leak(Box::new(std::sync::OnceLock::new()));
    let hook: fault_proxy::Hook = std::sync::Arc::new(move |target: &str| {
        if target.ends_with("batchgetitem") {
            if let Some((ctx, env)) = slot.get() {
                ctx.forget_fields(*env);
            }
        }
    });
    let proxy = fault_proxy::start_hooked(upstream(), hook).await;
    let proxied: &'static _ = Box::leak(Box::new(context_unprepared(&proxy.endpoint, EMAIL_FROM, ctx.store.table_name()).await));
    proxied.fresh_fields(env.id).await.unwrap();
    slot.set((proxied, env.id)).ok();
    let update = event_with_body("update-user.json", &env, Some(id), &json!({"firstName": "Ada"}));
    let (status, body) = call!(update_user::handle, proxied, update).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["firstName"], "Ada");
}
