//! API keys: public ids, names and scopes; rotation and revocation (by key or by id); keys made
//! before ids and scopes; unknown keys remembered so they cost no reads.

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::json;
use userfields::ops::api_keys;
use userfields::auth::api_keys::api_key_hash;
use userfields::auth::scopes::{Scope, Scopes};
use userfields::handlers::{get_user, user_field_settings};
use userfields::store::{keys, StoreError};
use userfields_tests::*;
use uuid::Uuid;

#[tokio::test]
async fn rotated_keys_work_and_revoked_keys_stop() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let second = api_keys::create_api_key(&ctx.store, env.id, "rotation", Scopes::all()).await.unwrap();
    let second = Env { id: env.id, key: second.key };
    assert_ne!(second.key, env.key);
    assert_eq!(create_user(&ctx, &second, json!({})).await.0, 201);

    assert!(api_keys::revoke_api_key(&ctx.store, &env.key).await.unwrap());
    assert!(!api_keys::revoke_api_key(&ctx.store, &env.key).await.unwrap(), "already gone");
    // A container that never cached it refuses it at once.
    let fresh = context_unprepared(&endpoint(), EMAIL_FROM, ctx.store.table_name()).await;
    assert_error(&create_user(&fresh, &env, json!({})).await, 401, "unauthorized", None);
    assert_eq!(create_user(&fresh, &second, json!({})).await.0, 201);

    let missing = api_keys::create_api_key(&ctx.store, Uuid::new_v4(), "x", Scopes::all()).await.unwrap_err();
    assert_eq!(missing, StoreError::NoEnvironment);
}

#[tokio::test]
async fn keys_are_listed_by_id_and_revoked_by_id_without_the_secret() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let reader = api_keys::create_api_key(&ctx.store, env.id, "analytics", Scopes::parse_list(&["users:read"]).unwrap()).await.unwrap();
    let listed = ctx.store.api_keys(env.id).await.unwrap();
    assert_eq!(listed.len(), 2);
    let entry = listed.iter().find(|k| k.id == reader.id).expect("the new key is listed");
    assert_eq!((entry.name.as_str(), entry.scopes.clone()), ("analytics", vec!["users:read".to_string()]));
    let text = serde_json::to_string(&listed).unwrap();
    assert!(!text.contains(&reader.key[20..]) && !text.contains(&api_key_hash(&reader.key)), "no secret is listed");

    assert!(api_keys::revoke_api_key_by_id(&ctx.store, &reader.id).await.unwrap());
    assert!(!api_keys::revoke_api_key_by_id(&ctx.store, &reader.id).await.unwrap());
    assert_eq!(ctx.store.api_keys(env.id).await.unwrap().len(), 1);
    let fresh = context_unprepared(&endpoint(), EMAIL_FROM, ctx.store.table_name()).await;
    let gone = Env { id: env.id, key: reader.key };
    assert_error(&create_user(&fresh, &gone, json!({})).await, 401, "unauthorized", None);
    // Nothing of the key is left in the table.
    for key in [keys::api_key(&api_key_hash(&gone.key)), keys::api_key_by_id(&reader.id), keys::environment_api_key(env.id, &reader.id)] {
        assert!(ctx.store.get_item(&key).await.unwrap().is_none(), "{key:?}");
    }
}

#[tokio::test]
async fn a_key_can_do_only_what_its_scopes_allow() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let (_, user) = create_user(&ctx, &env, json!({})).await;
    let user = user_id_of(&user);
    let reader = api_keys::create_api_key(&ctx.store, env.id, "reader", Scopes::parse_list(&["users:read"]).unwrap()).await.unwrap();
    let reader = Env { id: env.id, key: reader.key };
    assert_eq!(get_user(&ctx, &reader, user).await.0, 200);
    let got = create_user(&ctx, &reader, json!({})).await;
    assert_error(&got, 403, "insufficient_scope", None);
    assert_eq!(got.1["payload"]["scope"], "users:write");
    assert_error(&update_user(&ctx, &reader, user, json!({"alias": "x"})).await, 403, "insufficient_scope", None);
    let got = call!(user_field_settings::handle, &ctx, event("get-user-field-settings.json", &reader, None)).await;
    assert_error(&got, 403, "insufficient_scope", None);

    let settings = api_keys::create_api_key(&ctx.store, env.id, "dashboard", Scopes::from_iter([Scope::SettingsRead, Scope::SettingsWrite])).await.unwrap();
    let settings = Env { id: env.id, key: settings.key };
    let got = call!(user_field_settings::handle, &ctx, event("get-user-field-settings.json", &settings, None)).await;
    assert_eq!(got.0, 200, "{}", got.1);
    assert_error(&call!(get_user::handle, &ctx, event("get-user.json", &settings, Some(user))).await, 403, "insufficient_scope", None);
}

/// A key stored before ids and scopes existed (`uf_<secret>`, hash item only) keeps every scope,
/// and can still be revoked by the key itself.
#[tokio::test]
async fn keys_from_before_ids_and_scopes_keep_working() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let legacy = format!("uf_{}", "ab".repeat(32));
    let (pk, sk) = keys::api_key(&api_key_hash(&legacy));
    raw_dynamodb()
        .await
        .put_item()
        .table_name(ctx.store.table_name())
        .item("pk", AttributeValue::S(pk))
        .item("sk", AttributeValue::S(sk))
        .item("environmentId", AttributeValue::S(env.id.to_string()))
        .item("createdAt", AttributeValue::S("2025-01-01T00:00:00Z".into()))
        .send()
        .await
        .unwrap();
    let old = Env { id: env.id, key: legacy.clone() };
    assert_eq!(create_user(&ctx, &old, json!({})).await.0, 201);
    let got = call!(user_field_settings::handle, &ctx, event("get-user-field-settings.json", &old, None)).await;
    assert_eq!(got.0, 200);
    assert!(api_keys::revoke_api_key(&ctx.store, &legacy).await.unwrap());
}

/// An unknown key is remembered: repeating it answers 401 without reading the table (proved
/// here by deleting the table: a read would now fail with a 5xx).
#[tokio::test]
async fn unknown_keys_cost_no_reads_when_repeated() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let garbage = Env { id: env.id, key: format!("uf_{}_{}", "0".repeat(16), "1".repeat(64)) };
    assert_error(&create_user(&ctx, &garbage, json!({})).await, 401, "unauthorized", None);
    raw_dynamodb().await.delete_table().table_name(ctx.store.table_name()).send().await.unwrap();
    for _ in 0..3 {
        assert_error(&create_user(&ctx, &garbage, json!({})).await, 401, "unauthorized", None);
    }
}
