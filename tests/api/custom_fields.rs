//! Dynamic's CustomFieldsApi against moto: each custom field on its own, one configuration with
//! settings/userFields, the API key deciding the environment of `/custom/fields/{id}`.

use serde_json::{json, Value};
use userfields::auth::scopes::Scopes;
use userfields::context::AppContext;
use userfields::handlers::{custom_fields, user_field_settings};
use userfields::ops::api_keys;
use userfields_tests::*;
use uuid::Uuid;

async fn create(ctx: &AppContext, env: &Env, body: Value) -> (u16, Value) {
    call!(custom_fields::handle, ctx, event_with_body("create-custom-field.json", env, None, &body)).await
}

async fn item(ctx: &AppContext, fixture: &str, env: &Env, id: &str, body: Option<&Value>) -> (u16, Option<Value>) {
    let resp = custom_fields::handle(ctx, custom_field_event(fixture, env, id, body)).await;
    let status = resp.status().as_u16();
    let bytes: &[u8] = resp.body().as_ref();
    (status, (!bytes.is_empty()).then(|| serde_json::from_slice(bytes).expect("a body is JSON")))
}

fn text_field(name: &str, unique: bool) -> Value {
    json!({"name": name, "enabled": true, "required": false, "fieldType": "text", "position": 30,
           "validationRules": {"unique": unique}})
}

#[tokio::test]
async fn a_custom_field_is_created_read_replaced_and_deleted_as_dynamic_has_it() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let (status, created) = call!(custom_fields::handle, &ctx, event("create-custom-field.json", &env, None)).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!((created["key"].as_str(), created["name"].as_str()), (Some("favouriteColour"), Some("Favourite colour")));
    assert_eq!(created["fieldType"], "select");
    assert_eq!(created["validationRules"]["validOptions"][1]["key"], "blue");
    let id = created["id"].as_str().unwrap().to_string();

    let (status, list) = call!(custom_fields::handle, &ctx, event("list-custom-fields.json", &env, None)).await;
    assert_eq!(status, 200);
    assert_eq!(list, json!([created.clone()]), "the list is a bare array of the custom fields only");
    assert_eq!(item(&ctx, "get-custom-field.json", &env, &id, None).await, (200, Some(created.clone())));

    // One configuration: the field is in settings/userFields, with its display name as label.
    let (_, settings) = call!(user_field_settings::handle, &ctx, event("get-user-field-settings.json", &env, None)).await;
    let spec = settings["fields"].as_array().unwrap().iter().find(|f| f["name"] == "favouriteColour").unwrap();
    assert_eq!((spec["label"].as_str(), spec["type"].as_str()), (Some("Favourite colour"), Some("custom")));

    // Replaced: a new display name and required; the key (where values live) stays.
    let (status, replaced) = item(&ctx, "put-custom-field.json", &env, &id, None).await;
    let replaced = replaced.unwrap();
    assert_eq!(status, 200, "{replaced}");
    assert_eq!((replaced["key"].as_str(), replaced["name"].as_str(), replaced["required"].as_bool()), (Some("favouriteColour"), Some("Colour"), Some(true)));
    assert_eq!(replaced["id"], created["id"]);
    let (_, user) = create_user(&ctx, &env, json!({"email": "cf@example.com"})).await;
    let missing: Vec<&str> = user["user"]["missingFields"].as_array().unwrap().iter().filter_map(|f| f["name"].as_str()).collect();
    assert!(missing.contains(&"favouriteColour"), "{missing:?}");
    let fixture: Value = serde_json::from_str(&event_text("put-custom-field.json", &env, None)).unwrap();
    let mut body: Value = serde_json::from_str(fixture["body"].as_str().unwrap()).unwrap();
    body["key"] = json!("colour");
    let (status, refused) = item(&ctx, "put-custom-field.json", &env, &id, Some(&body)).await;
    assert_eq!((status, refused.unwrap()["code"].as_str().map(str::to_string)), (400, Some("key_fixed".into())));

    assert_eq!(item(&ctx, "delete-custom-field.json", &env, &id, None).await, (204, None));
    let (status, gone) = item(&ctx, "get-custom-field.json", &env, &id, None).await;
    assert_eq!((status, gone.unwrap()["code"].clone()), (404, json!("not_found")));
    assert_eq!(item(&ctx, "delete-custom-field.json", &env, &id, None).await.0, 404);
    let (_, list) = call!(custom_fields::handle, &ctx, event("list-custom-fields.json", &env, None)).await;
    assert_eq!(list, json!([]));
}

#[tokio::test]
async fn strangers_and_bad_bodies_get_clear_refusals() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let other = environment(&ctx).await;
    let (_, created) = call!(custom_fields::handle, &ctx, event("create-custom-field.json", &env, None)).await;
    let id = created["id"].as_str().unwrap().to_string();

    // Another environment's key decides that environment: the field is not there.
    let (status, body) = item(&ctx, "get-custom-field.json", &other, &id, None).await;
    assert_eq!((status, body.unwrap()["code"].clone()), (404, json!("not_found")));
    assert_eq!(item(&ctx, "delete-custom-field.json", &other, &id, None).await.0, 404);
    assert_eq!(item(&ctx, "get-custom-field.json", &env, &id, None).await.0, 200, "still there");
    // ... and on the collection route, a key of another environment is forbidden.
    let stranger = Env { id: env.id, key: other.key.clone() };
    assert_error(&call!(custom_fields::handle, &ctx, event("list-custom-fields.json", &stranger, None)).await, 403, "forbidden", None);

    let nobody = Env { id: env.id, key: "uf_live_nope.nope".into() };
    assert_eq!(item(&ctx, "get-custom-field.json", &nobody, &id, None).await.0, 401);
    let (status, body) = item(&ctx, "get-custom-field.json", &env, "not-a-uuid", None).await;
    assert_eq!((status, body.unwrap()["code"].clone()), (400, json!("invalid_uuid")));
    assert_eq!(item(&ctx, "get-custom-field.json", &env, &Uuid::new_v4().to_string(), None).await.0, 404);

    let reader = api_keys::create_api_key(&ctx.store, env.id, "reader", Scopes::parse_list(&["settings:read"]).unwrap()).await.unwrap();
    let read_only = Env { id: env.id, key: reader.key };
    assert_eq!(item(&ctx, "get-custom-field.json", &read_only, &id, None).await.0, 200);
    let (status, body) = item(&ctx, "delete-custom-field.json", &read_only, &id, None).await;
    assert_eq!((status, body.unwrap()["code"].clone()), (403, json!("insufficient_scope")));

    for (body, status, code) in [
        (json!({"name": "x", "enabled": true, "required": false, "fieldType": "text"}), 400, "bad_request"),
        (json!({"name": "x", "enabled": true, "required": false, "fieldType": "date", "position": 1}), 400, "bad_request"),
        (json!([1, 2]), 400, "bad_request"),
        (json!(null), 400, "bad_request"),
        (json!({"name": "2fa", "enabled": true, "required": false, "fieldType": "text", "position": 1}), 400, "invalid_field_name"),
        (json!({"name": "Email", "enabled": true, "required": false, "fieldType": "text", "position": 1}), 409, "field_exists"),
        (json!({"name": "Favourite colour", "enabled": true, "required": false, "fieldType": "text", "position": 1}), 409, "field_exists"),
        (json!({"name": "code", "enabled": true, "required": false, "fieldType": "text", "position": 1, "validationRules": {"regex": "(open"}}), 422, "invalid_regex"),
        (json!({"name": "pick", "enabled": true, "required": false, "fieldType": "select", "position": 1}), 400, "missing_options"),
        (json!({"name": "x", "enabled": true, "required": false, "fieldType": "text", "position": -1}), 400, "invalid_position"),
    ] {
        let got = create(&ctx, &env, body.clone()).await;
        assert_eq!((got.0, got.1["code"].as_str()), (status, Some(code)), "{body} → {}", got.1);
    }
    let (_, list) = call!(custom_fields::handle, &ctx, event("list-custom-fields.json", &env, None)).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "nothing refused was saved: {list}");
}

#[tokio::test]
async fn a_unique_field_claims_values_and_a_deleted_one_leaves_them_as_private_metadata() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let (_, a) = create_user(&ctx, &env, json!({"email": "a@example.com", "metadata": {"squad": "X"}})).await;
    let (_, b) = create_user(&ctx, &env, json!({"email": "b@example.com", "metadata": {"squad": "x"}})).await;
    let (a, b) = (user_id_of(&a), user_id_of(&b));

    // Two users share a value (case-insensitively): it cannot become unique, and nothing is saved.
    let got = create(&ctx, &env, text_field("squad", true)).await;
    assert_error(&got, 422, "cannot_switch_to_unique", Some("squad"));
    assert_eq!(update_user(&ctx, &env, b, json!({"metadata": {"squad": "y"}})).await.0, 200);
    let (status, created) = create(&ctx, &env, text_field("squad", true)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    assert_error(&update_user(&ctx, &env, b, json!({"metadata": {"squad": "x"}})).await, 422, "custom_field_data_not_unique", Some("squad"));

    // Deleted: the values stay with their users, as the operator's private metadata.
    assert_eq!(item(&ctx, "delete-custom-field.json", &env, &id, None).await.0, 204);
    let (_, got) = get_user(&ctx, &env, a).await;
    assert_eq!(got["user"]["metadata"]["squad"], "X");
    assert_eq!(update_user(&ctx, &env, b, json!({"metadata": {"squad": "x"}})).await.0, 200, "no longer unique");
    // A's claim went at A's next write, so the field can be unique again once values differ.
    assert_eq!(update_user(&ctx, &env, a, json!({"metadata": {"squad": "z"}})).await.0, 200);
    let (status, again) = create(&ctx, &env, text_field("squad", true)).await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(again["id"], created["id"], "the same key is the same id");
}
