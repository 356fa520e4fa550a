//! Uniqueness claims as a recorded fact (the user item records what it holds), the
//! `reconcile-claims` repair, and the field configuration's version checked at commit time.
//! Every scenario runs against moto.

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{json, Value};
use userfields::context::AppContext;
use userfields::handlers::user_field_settings;
use userfields::store::keys;
use userfields_tests::*;
use uuid::Uuid;

async fn put_settings(ctx: &AppContext, env: &Env, fields: Value) -> (u16, Value) {
    let req = event_with_body("put-user-field-settings.json", env, None, &json!({ "fields": fields }));
    call!(user_field_settings::handle, ctx, req).await
}

fn badge(enabled: bool, unique: bool, regex: Option<&str>) -> Value {
    let mut field = json!({"name": "badge", "type": "custom", "enabled": enabled, "unique": unique});
    if let Some(re) = regex {
        field["validationRules"] = json!({"regex": re});
    }
    json!([{"name": "email", "type": "standard", "required": false}, field])
}

async fn set_badge(ctx: &AppContext, env: &Env, user: Uuid, value: Value) -> (u16, Value) {
    update_user(ctx, env, user, json!({"metadata": {"badge": value}})).await
}

async fn new_user(ctx: &AppContext, env: &Env) -> Uuid {
    let (status, body) = create_user(ctx, env, json!({})).await;
    assert_eq!(status, 201, "{body}");
    user_id_of(&body)
}

#[track_caller]
fn ok(got: &(u16, Value)) {
    assert!(got.0 == 200 || got.0 == 201, "{} {}", got.0, got.1);
}

/// The reproduction: a value changed while its field was disabled is released, so the
/// field can be made unique again and the old value taken by someone else.
#[tokio::test]
async fn a_value_changed_while_its_field_is_disabled_is_released() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    ok(&put_settings(&ctx, &env, badge(true, true, None)).await);
    let (a, b) = (new_user(&ctx, &env).await, new_user(&ctx, &env).await);
    ok(&set_badge(&ctx, &env, a, json!("red")).await);
    assert_eq!(ctx.store.claim_holder(env.id, "badge", "red").await.unwrap(), Some(a));

    ok(&put_settings(&ctx, &env, badge(false, true, None)).await);
    ok(&set_badge(&ctx, &env, a, json!("blue")).await);
    assert_eq!(ctx.store.claim_holder(env.id, "badge", "red").await.unwrap(), None, "red is released");
    ok(&set_badge(&ctx, &env, b, json!("red")).await);

    // Re-enabling as unique claims each current value for its holder: no false conflict.
    ok(&put_settings(&ctx, &env, badge(true, true, None)).await);
    assert_eq!(ctx.store.claim_holder(env.id, "badge", "red").await.unwrap(), Some(b));
    assert_eq!(ctx.store.claim_holder(env.id, "badge", "blue").await.unwrap(), Some(a));
    let c = new_user(&ctx, &env).await;
    assert_error(&set_badge(&ctx, &env, c, json!("RED")).await, 422, "custom_field_data_not_unique", Some("badge"));
}

#[tokio::test]
async fn clearing_or_dropping_uniqueness_releases_and_a_tightened_regex_does_not_strand() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    ok(&put_settings(&ctx, &env, badge(true, true, Some("^[a-z]+$"))).await);
    let (a, b) = (new_user(&ctx, &env).await, new_user(&ctx, &env).await);
    ok(&set_badge(&ctx, &env, a, json!("red")).await);
    ok(&set_badge(&ctx, &env, b, json!("green")).await);

    // A made non-unique: the next change of A releases red; clearing B releases green.
    ok(&put_settings(&ctx, &env, badge(true, false, Some("^[a-z]+$"))).await);
    ok(&set_badge(&ctx, &env, a, json!("blue")).await);
    ok(&set_badge(&ctx, &env, b, Value::Null).await);
    assert_eq!(ctx.store.claim_holder(env.id, "badge", "red").await.unwrap(), None);
    assert_eq!(ctx.store.claim_holder(env.id, "badge", "green").await.unwrap(), None);

    // Unique again under a regex A's kept value no longer meets: A still holds it, and moving
    // off it releases it (no recomputation under the new regex strands it).
    ok(&put_settings(&ctx, &env, badge(true, true, Some("^[0-9]+$"))).await);
    assert_eq!(ctx.store.claim_holder(env.id, "badge", "blue").await.unwrap(), Some(a));
    ok(&set_badge(&ctx, &env, a, json!("123")).await);
    assert_eq!(ctx.store.claim_holder(env.id, "badge", "blue").await.unwrap(), None);
    assert_eq!(ctx.store.claim_holder(env.id, "badge", "123").await.unwrap(), Some(a));
}

/// A claim the user records as its own but another user holds is a distinct error, at once.
#[tokio::test]
async fn a_recorded_claim_held_by_another_user_is_claims_out_of_sync() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let (status, body) = create_user(&ctx, &env, json!({"username": "taken_over"})).await;
    assert_eq!(status, 201, "{body}");
    let a = user_id_of(&body);
    let (pk, sk) = keys::claim(env.id, "username", "taken_over");
    raw_dynamodb()
        .await
        .update_item()
        .table_name(ctx.store.table_name())
        .key("pk", AttributeValue::S(pk))
        .key("sk", AttributeValue::S(sk.into()))
        .update_expression("SET userId = :other")
        .expression_attribute_values(":other", AttributeValue::S(Uuid::new_v4().to_string()))
        .send()
        .await
        .unwrap();
    let got = update_user(&ctx, &env, a, json!({"username": "moved_on"})).await;
    assert_error(&got, 409, "claims_out_of_sync", Some("username"));
    // Nothing was written: the user keeps its username, the new value is free.
    let (_, read) = get_user(&ctx, &env, a).await;
    assert_eq!(read["user"]["username"], "taken_over");
    assert_eq!(ctx.store.claim_holder(env.id, "username", "moved_on").await.unwrap(), None);
}

/// `reconcile-claims` finds an orphaned claim, a missing one and a user item written before
/// claims were recorded; with repair it fixes them, and a second run finds nothing.
#[tokio::test]
async fn reconcile_claims_repairs_a_seeded_table() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let (_, body) = create_user(&ctx, &env, json!({"email": "kept@example.com"})).await;
    let kept = user_id_of(&body);
    let (_, body) = create_user(&ctx, &env, json!({"email": "legacy@example.com", "username": "legacy"})).await;
    let legacy = user_id_of(&body);
    let raw = raw_dynamodb().await;
    let table = ctx.store.table_name();
    // An orphan: a claim no user records.
    let (pk, sk) = keys::claim(env.id, "username", "ghost");
    raw.put_item()
        .table_name(table)
        .item("pk", AttributeValue::S(pk))
        .item("sk", AttributeValue::S(sk.into()))
        .item("userId", AttributeValue::S(Uuid::new_v4().to_string()))
        .item("field", AttributeValue::S("username".into()))
        .send()
        .await
        .unwrap();
    // A missing claim: kept@'s record says it holds its email, but the claim item is gone.
    let (pk, sk) = keys::claim(env.id, "email", "kept@example.com");
    raw.delete_item().table_name(table).key("pk", AttributeValue::S(pk)).key("sk", AttributeValue::S(sk.into())).send().await.unwrap();
    // A legacy item: no claims record (as written before records existed).
    let (pk, sk) = keys::profile(env.id, legacy);
    raw.update_item()
        .table_name(table)
        .key("pk", AttributeValue::S(pk))
        .key("sk", AttributeValue::S(sk.into()))
        .update_expression("REMOVE claims")
        .send()
        .await
        .unwrap();

    let fields = ctx.store.fields(env.id).await.unwrap().settings();
    let report = ctx.store.reconcile_claims(env.id, &fields, false).await.unwrap();
    assert_eq!(report.orphaned.len(), 1, "{report:?}");
    assert_eq!(report.orphaned[0].value, "ghost");
    assert_eq!(report.missing.iter().map(|m| (m.value.as_str(), m.user_id)).collect::<Vec<_>>(), [("kept@example.com", kept)]);
    assert_eq!(report.unrecorded, [legacy]);
    assert!(!report.repaired);
    assert!(ctx.store.claim_holder(env.id, "username", "ghost").await.unwrap().is_some(), "a dry run changes nothing");

    let report = ctx.store.reconcile_claims(env.id, &fields, true).await.unwrap();
    assert!(report.repaired);
    assert_eq!(ctx.store.claim_holder(env.id, "username", "ghost").await.unwrap(), None);
    assert_eq!(ctx.store.claim_holder(env.id, "email", "kept@example.com").await.unwrap(), Some(kept));
    let report = ctx.store.reconcile_claims(env.id, &fields, false).await.unwrap();
    assert!(report.is_clean(), "{report:?}");
    // The repaired legacy user moves its claims like any other.
    ok(&update_user(&ctx, &env, legacy, json!({"username": "renamed"})).await);
    assert_eq!(ctx.store.claim_holder(env.id, "username", "legacy").await.unwrap(), None);
}

/// A unique field removed from the configuration leaves its values claimed until each holder's
/// next save; `reconcile-claims --repair` releases them at once.
#[tokio::test]
async fn reconcile_claims_releases_a_removed_fields_values() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    ok(&put_settings(&ctx, &env, badge(true, true, None)).await);
    let (holder, other) = (new_user(&ctx, &env).await, new_user(&ctx, &env).await);
    ok(&update_user(&ctx, &env, holder, json!({"metadata": {"badge": "red"}})).await);
    ok(&put_settings(&ctx, &env, json!([{"name": "email", "type": "standard", "required": false}])).await);
    assert_eq!(ctx.store.claim_holder(env.id, "badge", "red").await.unwrap(), Some(holder), "still claimed");

    let fields = ctx.store.fields(env.id).await.unwrap().settings();
    let report = ctx.store.reconcile_claims(env.id, &fields, false).await.unwrap();
    let stale: Vec<_> = report.stale.iter().map(|c| (c.field.as_str(), c.value.as_str(), c.user_id)).collect();
    assert_eq!(stale, [("badge", "red", holder)], "{report:?}");
    assert_eq!(report.orphaned.len(), 1, "{report:?}");
    let report = ctx.store.reconcile_claims(env.id, &fields, true).await.unwrap();
    assert!(report.repaired);
    assert_eq!(ctx.store.claim_holder(env.id, "badge", "red").await.unwrap(), None);
    assert!(ctx.store.reconcile_claims(env.id, &fields, false).await.unwrap().is_clean());
    // Made unique again, the field claims the value its holder still has; a change moves it.
    ok(&put_settings(&ctx, &env, badge(true, true, None)).await);
    ok(&update_user(&ctx, &env, holder, json!({"metadata": {"badge": "blue"}})).await);
    ok(&update_user(&ctx, &env, other, json!({"metadata": {"badge": "red"}})).await);
    assert_eq!(ctx.store.claim_holder(env.id, "badge", "red").await.unwrap(), Some(other));
}

/// Stored data written under looser rules is served, with a warning, and PUT repairs it.
#[tokio::test]
async fn stored_configurations_and_users_load_leniently() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let (_, body) = create_user(&ctx, &env, json!({"email": "old@example.com", "country": "GB"})).await;
    let id = user_id_of(&body);
    let raw = raw_dynamodb().await;
    let table = ctx.store.table_name();
    // A configuration from an older version: a custom field whose name is now pre-made, a
    // pattern over today's length limit, a pre-made field this version does not know.
    let fields = json!([
        {"name": "email", "type": "standard", "required": true, "enabled": true, "unique": true, "verify": true},
        {"name": "team", "type": "custom", "validationType": "text", "enabled": true, "required": true},
        {"name": "code", "type": "custom", "validationType": "text", "enabled": true, "validationRules": {"regex": "x?".repeat(600)}},
        {"name": "shoeSize", "type": "standard", "enabled": true}
    ]);
    let (pk, sk) = keys::fields(env.id);
    raw.put_item()
        .table_name(table)
        .item("pk", AttributeValue::S(pk))
        .item("sk", AttributeValue::S(sk.into()))
        .item("version", AttributeValue::N("7".into()))
        .item("fields", serde_dynamo::to_attribute_value(&fields).unwrap())
        .send()
        .await
        .unwrap();
    // A country code withdrawn since the user was written.
    let (pk, sk) = keys::profile(env.id, id);
    raw.update_item()
        .table_name(table)
        .key("pk", AttributeValue::S(pk))
        .key("sk", AttributeValue::S(sk.into()))
        .update_expression("SET country = :c")
        .expression_attribute_values(":c", AttributeValue::S("YU".into()))
        .send()
        .await
        .unwrap();

    let (status, read) = get_user(&ctx, &env, id).await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(read["user"]["country"], "YU");
    let missing: Vec<_> = read["user"]["missingFields"].as_array().unwrap().iter().map(|f| f["name"].clone()).collect();
    assert_eq!(missing, [json!("team")]);
    let got = call!(user_field_settings::handle, &ctx, event("get-user-field-settings.json", &env, None)).await;
    assert_eq!(got.0, 200, "{}", got.1);
    // Writes go on under the stored rules; a PUT with today's rules repairs the configuration.
    ok(&update_user(&ctx, &env, id, json!({"firstName": "Ada"})).await);
    let repaired = json!([{"name": "email", "type": "standard", "required": true}, {"name": "teamName", "type": "custom"}]);
    ok(&put_settings(&ctx, &env, repaired).await);
    // A saved configuration is one JSON string, which replaces the legacy list.
    let (pk, sk) = keys::fields(env.id);
    let stored = raw.get_item().table_name(table).key("pk", AttributeValue::S(pk)).key("sk", AttributeValue::S(sk.into()))
        .send().await.unwrap().item.unwrap();
    assert!(!stored.contains_key("fields"), "{stored:?}");
    let text = stored["fieldsJson"].as_s().expect("fieldsJson is a string");
    let saved: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(saved[1]["name"], "teamName");
}

/// A write right after a settings change is judged by the new rules, even in a container that
/// cached the old ones a moment before.
#[tokio::test]
async fn a_write_after_a_settings_change_uses_the_new_rules() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let other = context_unprepared(&endpoint(), EMAIL_FROM, ctx.store.table_name()).await;
    let loose = json!([{"name": "email", "type": "standard"}, {"name": "code", "type": "custom"}]);
    ok(&put_settings(&ctx, &env, loose).await);
    // `other` caches the loose configuration with a write of its own.
    ok(&create_user(&other, &env, json!({"metadata": {"code": "anything"}})).await);
    let strict = json!([{"name": "email", "type": "standard"},
        {"name": "code", "type": "custom", "validationRules": {"regex": "^[A-Z]{3}$"}}]);
    ok(&put_settings(&ctx, &env, strict).await);
    let got = create_user(&other, &env, json!({"metadata": {"code": "nope"}})).await;
    assert_error(&got, 400, "invalid_custom_field", Some("code"));
    ok(&create_user(&other, &env, json!({"metadata": {"code": "ABC"}})).await);
}

/// One unreadable stored user (here: a timestamp that is not one) does not break its
/// environment: making a field unique skips and reports it instead of failing.
#[tokio::test]
async fn an_unreadable_user_is_skipped_and_reported_when_a_field_becomes_unique() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    ok(&put_settings(&ctx, &env, badge(true, false, None)).await);
    let (good, broken) = (new_user(&ctx, &env).await, new_user(&ctx, &env).await);
    ok(&set_badge(&ctx, &env, good, json!("red")).await);
    let (pk, sk) = keys::profile(env.id, broken);
    raw_dynamodb()
        .await
        .update_item()
        .table_name(ctx.store.table_name())
        .key("pk", AttributeValue::S(pk))
        .key("sk", AttributeValue::S(sk.into()))
        .update_expression("SET createdAt = :bad")
        .expression_attribute_values(":bad", AttributeValue::S("not a time".into()))
        .send()
        .await
        .unwrap();
    let (status, body) = put_settings(&ctx, &env, badge(true, true, None)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["skippedUsers"], json!([broken]));
    assert_eq!(ctx.store.claim_holder(env.id, "badge", "red").await.unwrap(), Some(good));
}

/// Making two fields unique where the second cannot be: the claims written for the first are
/// taken back, the configuration is unchanged, and the table is as before (reconcile is clean).
#[tokio::test]
async fn a_refused_switch_to_unique_leaves_nothing_behind() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let both = |unique: bool| {
        json!([{"name": "email", "type": "standard", "required": false},
            {"name": "badge", "type": "custom", "unique": unique, "position": 1},
            {"name": "team_code", "type": "custom", "unique": unique, "position": 2}])
    };
    ok(&put_settings(&ctx, &env, both(false)).await);
    let (a, b) = (new_user(&ctx, &env).await, new_user(&ctx, &env).await);
    ok(&update_user(&ctx, &env, a, json!({"metadata": {"badge": "red", "team_code": "T1"}})).await);
    ok(&update_user(&ctx, &env, b, json!({"metadata": {"badge": "blue", "team_code": "t1"}})).await);

    let got = put_settings(&ctx, &env, both(true)).await;
    assert_error(&got, 422, "cannot_switch_to_unique", Some("team_code"));
    for value in ["red", "blue"] {
        assert_eq!(ctx.store.claim_holder(env.id, "badge", value).await.unwrap(), None, "{value} taken back");
    }
    let stored = ctx.store.fields(env.id).await.unwrap().settings();
    assert!(!stored.get("badge").unwrap().is_unique());
    let report = ctx.store.reconcile_claims(env.id, &stored, false).await.unwrap();
    assert!(report.is_clean(), "{report:?}");
    // The users are as usable as before.
    ok(&update_user(&ctx, &env, a, json!({"metadata": {"badge": "green", "team_code": "T1"}})).await);
}

/// Past the bound a request may claim for, the API names the CLI path; the CLI's unbounded run
/// (the same operation) makes the field unique.
#[tokio::test]
async fn large_environments_switch_to_unique_through_the_cli_path() {
    use userfields::ops::save_field_settings::save_field_settings;
    use userfields::model::field_settings::FieldSettings;
    let ctx = context().await;
    let env = environment(&ctx).await;
    ok(&put_settings(&ctx, &env, badge(true, false, None)).await);
    for value in ["red", "blue"] {
        let user = new_user(&ctx, &env).await;
        ok(&set_badge(&ctx, &env, user, json!(value)).await);
    }
    let stored = ctx.store.fields(env.id).await.unwrap();
    let version = stored.version;
    let old = stored.settings();
    let unique = || FieldSettings::parse(serde_json::from_value(badge(true, true, None)).unwrap()).unwrap();
    let err = save_field_settings(&ctx, env.id, &old, version, unique(), Some(1)).await.err().unwrap();
    assert_eq!((err.status.as_u16(), err.code), (422, "environment_too_large"));
    assert!(err.message.contains("userfields switch-to-unique"), "{}", err.message);
    let saved = save_field_settings(&ctx, env.id, &old, version, unique(), None).await.unwrap();
    assert_eq!(saved.version, version + 1);
    assert!(ctx.store.claim_holder(env.id, "badge", "red").await.unwrap().is_some());
}
