//! Key rotation and revocation: a new key works at once, a revoked one stops working.

use serde_json::json;
use userfields_tests::*;
use uuid::Uuid;

#[tokio::test]
async fn rotated_keys_work_and_revoked_keys_stop() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let second = Env { id: env.id, key: userfields::admin::create_api_key(&ctx.store, env.id).await.unwrap() };
    assert_ne!(second.key, env.key);
    assert_eq!(create_user(&ctx, &second, json!({})).await.0, 201);

    assert!(userfields::admin::revoke_api_key(&ctx.store, &env.key).await.unwrap());
    assert!(!userfields::admin::revoke_api_key(&ctx.store, &env.key).await.unwrap(), "already gone");
    // A container that never cached it refuses it at once.
    let fresh = context_unprepared(&endpoint(), EMAIL_FROM, ctx.store.table_name()).await;
    assert_error(&create_user(&fresh, &env, json!({})).await, 401, "unauthorized", None);
    assert_eq!(create_user(&fresh, &second, json!({})).await.0, 201);

    let missing = userfields::admin::create_api_key(&ctx.store, Uuid::new_v4()).await.unwrap_err();
    assert_eq!(missing, userfields::store::StoreError::NoEnvironment);
}
