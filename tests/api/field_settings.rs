//! user-field-settings, custom field rules, uniqueness switching and missingFields against moto.

use serde_json::{json, Value};
use userfields::context::AppContext;
use userfields::handlers::{get_user, list_missing_fields, update_user, user_field_settings};
use userfields_tests::*;
use uuid::Uuid;

async fn put_settings(ctx: &AppContext, env: &Env, fields: Value) -> (u16, Value) {
    let req = event_with_body("put-user-field-settings.json", env, None, &json!({ "fields": fields }));
    call!(user_field_settings::handle, ctx, req).await
}

fn names(fields: &Value) -> Vec<&str> {
    fields.as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn settings_start_with_defaults_and_round_trip() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let (status, body) = call!(user_field_settings::handle, &ctx, event("get-user-field-settings.json", &env, None)).await;
    assert_eq!(status, 200, "{body}");
    let defaults = &body["fields"];
    assert!(names(defaults).contains(&"tShirtSize"));
    let email = defaults.as_array().unwrap().iter().find(|f| f["name"] == "email").unwrap();
    assert_eq!((email["enabled"].as_bool(), email["required"].as_bool(), email["unique"].as_bool()), (Some(true), Some(true), Some(true)));

    let (status, saved) = call!(user_field_settings::handle, &ctx, event("put-user-field-settings.json", &env, None)).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(names(&saved["fields"]), ["email", "firstName", "username", "tShirtSize", "memberCode", "plan", "terms"]);
    let member = &saved["fields"][4];
    assert_eq!(member["validationRules"]["regex"], "^[A-Z]{2}-[0-9]{4}$");
    assert_eq!(member["validationRules"]["unique"], true);
    assert_eq!(member["label"], "Member code");
    let (_, read) = call!(user_field_settings::handle, &ctx, event("get-user-field-settings.json", &env, None)).await;
    assert_eq!(read, saved);
}

#[tokio::test]
async fn invalid_settings_are_refused_with_their_codes() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    for (fixture, status, code) in [
        ("put-user-field-settings-invalid-regex.json", 422, "invalid_regex"),
        ("put-user-field-settings-repeated-options.json", 422, "repeated_options"),
        ("put-user-field-settings-unknown-standard.json", 400, "unknown_standard_field"),
    ] {
        let got = call!(user_field_settings::handle, &ctx, event(fixture, &env, None)).await;
        assert_error(&got, status, code, None);
        assert!(got.1["payload"]["field"].is_string(), "{}", got.1);
    }
    let cases = [
        (json!([{"name": "x", "type": "custom", "validationType": "select"}]), "missing_options"),
        (json!([{"name": "9lives", "type": "custom"}]), "invalid_field_name"),
        (json!([{"name": "email", "type": "custom"}]), "invalid_field_name"),
        (json!([{"name": "t", "type": "custom", "validationType": "checkbox", "unique": true}]), "unique_not_configurable"),
        (json!([{"name": "a", "type": "custom"}, {"name": "a", "type": "custom"}]), "duplicate_field"),
        (json!([{"name": "a", "type": "custom", "surprise": 1}]), "bad_request"),
        (json!([{"name": "alias", "type": "standard", "unique": true}]), "unique_not_configurable"),
    ];
    for (fields, code) in cases {
        let got = put_settings(&ctx, &env, fields.clone()).await;
        assert_error(&got, 400, code, None);
    }
    // Nothing was saved by any refused request.
    let (_, read) = call!(user_field_settings::handle, &ctx, event("get-user-field-settings.json", &env, None)).await;
    assert!(!names(&read["fields"]).contains(&"a"));
    assert!(names(&read["fields"]).contains(&"alias"));
}

#[tokio::test]
async fn custom_values_are_validated_and_unique_ones_enforced() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let (status, _) = call!(user_field_settings::handle, &ctx, event("put-user-field-settings.json", &env, None)).await;
    assert_eq!(status, 200);
    for (metadata, field) in [
        (json!({"memberCode": "ab-1234"}), "memberCode"),
        (json!({"memberCode": 1234}), "memberCode"),
        (json!({"plan": "Pro"}), "plan"),
        (json!({"terms": "yes"}), "terms"),
    ] {
        let got = create_user(&ctx, &env, json!({ "metadata": metadata })).await;
        assert_error(&got, 400, "invalid_custom_field", Some(field));
    }
    let (status, first) = create_user(&ctx, &env, json!({"metadata": {"memberCode": "AB-1234", "plan": "pro", "terms": true, "other": [1, 2]}})).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["user"]["metadata"]["other"], json!([1, 2]));
    let got = create_user(&ctx, &env, json!({"metadata": {"memberCode": "AB-1234"}})).await;
    assert_error(&got, 422, "custom_field_data_not_unique", Some("memberCode"));

    // Moving the value through an update frees the old one.
    let first_id = user_id_of(&first);
    let req = event_with_body("update-user.json", &env, Some(first_id), &json!({"metadata": {"memberCode": "CD-5678", "plan": "pro"}}));
    let (status, body) = call!(update_user::handle, &ctx, req).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = create_user(&ctx, &env, json!({"metadata": {"memberCode": "AB-1234"}})).await;
    assert_eq!(status, 201, "{body}");
    let got = create_user(&ctx, &env, json!({"metadata": {"memberCode": "cd-5678"}})).await;
    assert_error(&got, 400, "invalid_custom_field", Some("memberCode"));
}

#[tokio::test]
async fn making_a_field_required_flags_existing_users_on_their_next_read() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let (status, body) = create_user(&ctx, &env, json!({"email": "ada@example.com"})).await;
    assert_eq!(status, 201);
    assert_eq!(body["user"]["missingFields"], json!([]));
    let id = user_id_of(&body);

    let fields = json!([
        {"name": "email", "type": "standard", "required": true, "position": 0},
        {"name": "lastName", "type": "standard", "required": true, "position": 2},
        {"name": "firstName", "type": "standard", "required": true, "position": 1},
        {"name": "jobTitle", "type": "standard", "required": false, "position": 3},
        {"name": "alias", "type": "standard", "required": true, "enabled": false, "position": 4},
        {"name": "policiesConsent", "type": "standard", "required": true, "position": 5}
    ]);
    // Saved through a different container (its own caches): reads must still see it.
    let other_container = context_unprepared(&endpoint(), EMAIL_FROM, ctx.store.table_name()).await;
    let (status, body) = put_settings(&other_container, &env, fields).await;
    assert_eq!(status, 200, "{body}");

    let (status, body) = call!(list_missing_fields::handle, &ctx, event("list-missing-fields.json", &env, Some(id))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(names(&body["missingFields"]), ["firstName", "lastName", "policiesConsent"]);
    let (_, got) = call!(get_user::handle, &ctx, event("get-user.json", &env, Some(id))).await;
    assert_eq!(got["user"]["missingFields"], body["missingFields"]);

    // Optional fields may be left; required ones filled later disappear from the list.
    let req = event_with_body("update-user.json", &env, Some(id), &json!({"firstName": "Ada", "policiesConsent": false}));
    let (status, body) = call!(update_user::handle, &ctx, req).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(names(&body["user"]["missingFields"]), ["lastName", "policiesConsent"]);
    // A required value once given cannot be removed.
    let req = event_with_body("update-user.json", &env, Some(id), &json!({"firstName": null}));
    let got = call!(update_user::handle, &ctx, req).await;
    assert_error(&got, 400, "required_field", Some("firstName"));

    let got = call!(list_missing_fields::handle, &ctx, event("list-missing-fields.json", &env, Some(Uuid::new_v4()))).await;
    assert_error(&got, 404, "not_found", Some("userId"));
}

#[tokio::test]
async fn switching_to_unique_backfills_or_refuses() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let plain = json!([{"name": "badge", "type": "custom", "validationType": "text"}]);
    let unique = json!([{"name": "badge", "type": "custom", "validationType": "text", "unique": true}]);
    assert_eq!(put_settings(&ctx, &env, plain.clone()).await.0, 200);
    assert_eq!(create_user(&ctx, &env, json!({"metadata": {"badge": "Red"}})).await.0, 201);
    assert_eq!(create_user(&ctx, &env, json!({"metadata": {"badge": "red"}})).await.0, 201);
    assert_eq!(create_user(&ctx, &env, json!({"metadata": {"badge": "blue"}})).await.0, 201);

    let got = put_settings(&ctx, &env, unique.clone()).await;
    assert_error(&got, 422, "cannot_switch_to_unique", Some("badge"));
    let (_, read) = call!(user_field_settings::handle, &ctx, event("get-user-field-settings.json", &env, None)).await;
    assert_eq!(read["fields"][0]["unique"], false, "a refused switch saves nothing");

    // Without collisions the switch backfills claims: existing values become taken.
    let env2 = environment(&ctx).await;
    assert_eq!(put_settings(&ctx, &env2, plain).await.0, 200);
    assert_eq!(create_user(&ctx, &env2, json!({"metadata": {"badge": "Green"}})).await.0, 201);
    let (status, body) = put_settings(&ctx, &env2, unique).await;
    assert_eq!(status, 200, "{body}");
    let got = create_user(&ctx, &env2, json!({"metadata": {"badge": "green"}})).await;
    assert_error(&got, 422, "custom_field_data_not_unique", Some("badge"));
}

#[tokio::test]
async fn the_environment_as_dynamics_admin_api_has_it_is_the_same_configuration() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let (status, read) = call!(user_field_settings::handle, &ctx, event("get-environment.json", &env, None)).await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(read["id"], env.id.to_string());
    let (_, fields) = call!(user_field_settings::handle, &ctx, event("get-user-field-settings.json", &env, None)).await;
    assert_eq!(read["settings"]["kyc"], fields["fields"], "one source of truth");
    for section in ["chains", "design", "general", "privacy", "sdk", "security"] {
        assert!(!read["settings"][section].is_null(), "{section}: {read}");
    }

    // PUT saves kyc through the same checks; the rest of Dynamic's document is not stored.
    let (status, saved) = call!(user_field_settings::handle, &ctx, event("put-environment.json", &env, None)).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(names(&saved["kyc"]), ["email", "firstName", "memberCode"]);
    let (_, fields) = call!(user_field_settings::handle, &ctx, event("get-user-field-settings.json", &env, None)).await;
    assert_eq!(names(&fields["fields"]), ["email", "firstName", "memberCode"]);
    assert_eq!(fields["fields"][2]["validationRules"]["regex"], "^[A-Z]{3}$");

    // Dynamic's client sends kyc without our userAccess and writeOnce: the saved ones stay.
    let hidden = json!({"kyc": [{"name": "email", "type": "standard", "required": true}, {"name": "firstName", "type": "standard", "userAccess": "view", "writeOnce": true}]});
    let req = event_with_body("put-environment.json", &env, None, &hidden);
    assert_eq!(call!(user_field_settings::handle, &ctx, req).await.0, 200);
    let without = json!({"kyc": [{"name": "email", "type": "standard", "required": true}, {"name": "firstName", "type": "standard", "required": true}]});
    let req = event_with_body("put-environment.json", &env, None, &without);
    let (status, kept) = call!(user_field_settings::handle, &ctx, req).await;
    assert_eq!(status, 200, "{kept}");
    assert_eq!((kept["kyc"][1]["userAccess"].as_str(), kept["kyc"][1]["writeOnce"].as_bool(), kept["kyc"][1]["required"].as_bool()), (Some("view"), Some(true), Some(true)));

    let bad = json!({"kyc": [{"name": "x", "type": "custom", "validationRules": {"regex": "("}}]});
    let req = event_with_body("put-environment.json", &env, None, &bad);
    assert_error(&call!(user_field_settings::handle, &ctx, req).await, 422, "invalid_regex", Some("x"));
    let req = event_with_body("put-environment.json", &env, None, &json!({"chains": []}));
    assert_error(&call!(user_field_settings::handle, &ctx, req).await, 400, "bad_request", Some("kyc"));
    // A key that can only read settings reads the environment and cannot change it.
    let reader = userfields::ops::api_keys::create_api_key(&ctx.store, env.id, "reader", userfields::auth::scopes::Scopes::parse_list(&["settings:read"]).unwrap()).await.unwrap();
    let reader = Env { id: env.id, key: reader.key };
    assert_eq!(call!(user_field_settings::handle, &ctx, event("get-environment.json", &reader, None)).await.0, 200);
    assert_error(&call!(user_field_settings::handle, &ctx, event("put-environment.json", &reader, None)).await, 403, "insufficient_scope", None);
}

/// The dashboard's preview: counted from the users there are, nothing saved.
#[tokio::test]
async fn impact_counts_the_users_a_change_would_ask_and_saves_nothing() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let fields = json!([
        {"name": "email", "type": "standard", "required": true},
        {"name": "firstName", "type": "standard"},
        {"name": "squad", "type": "custom"},
    ]);
    assert_eq!(put_settings(&ctx, &env, fields).await.0, 200);
    for (i, first, squad) in [(0, Some("Ada"), "red"), (1, None, "Red"), (2, None, "blue")] {
        let mut body = json!({"email": format!("i{i}@example.com"), "metadata": {"squad": squad}});
        if let Some(first) = first {
            body["firstName"] = json!(first);
        }
        assert_eq!(create_user(&ctx, &env, body).await.0, 201);
    }
    let proposed = json!({"fields": [
        {"name": "email", "type": "standard", "required": true},
        {"name": "firstName", "type": "standard", "required": true},
        {"name": "squad", "type": "custom", "unique": true},
    ]});
    let req = event_with_body("user-field-settings-impact.json", &env, None, &proposed);
    let (status, impact) = call!(user_field_settings::handle, &ctx, req).await;
    assert_eq!(status, 200, "{impact}");
    assert_eq!(impact, json!({"users": 3, "truncated": false, "newlyAsked": 2, "fields": [
        {"name": "firstName", "change": "becomesRequired", "users": 2},
        {"name": "squad", "change": "becomesUnique", "users": 2},
    ]}));
    let (_, read) = call!(user_field_settings::handle, &ctx, event("get-user-field-settings.json", &env, None)).await;
    assert_eq!(read["fields"][1]["required"], false, "nothing saved");

    // A proposal is checked as a save is; another environment's key and a stranger are refused.
    let bad = event_with_body("user-field-settings-impact.json", &env, None, &json!({"fields": [{"name": "x", "type": "custom", "validationRules": {"regex": "("}}]}));
    assert_error(&call!(user_field_settings::handle, &ctx, bad).await, 422, "invalid_regex", Some("x"));
    let other = environment(&ctx).await;
    let foreign = Env { id: env.id, key: other.key.clone() };
    assert_error(&call!(user_field_settings::handle, &ctx, event("user-field-settings-impact.json", &foreign, None)).await, 403, "forbidden", None);
    let wrong = event_with_header("user-field-settings-impact.json", &env, None, "authorization", Some("Bearer nope"));
    assert_eq!(call!(user_field_settings::handle, &ctx, wrong).await.0, 401);
}

/// What a key may do, for the dashboard to show settings read-only: never its secret.
#[tokio::test]
async fn the_current_key_names_its_scopes_and_nothing_secret() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let (status, full) = call!(user_field_settings::handle, &ctx, event("get-current-api-key.json", &env, None)).await;
    assert_eq!(status, 200, "{full}");
    assert_eq!(full["environmentId"], env.id.to_string());
    assert!(full["scopes"].as_array().unwrap().contains(&json!("settings:write")), "{full}");
    assert!(!full.to_string().contains(&env.key), "the key is never answered");
    let scopes = userfields::auth::scopes::Scopes::parse_list(&["users:read", "settings:read"]).unwrap();
    let reader = userfields::ops::api_keys::create_api_key(&ctx.store, env.id, "reader", scopes).await.unwrap();
    let reader = Env { id: env.id, key: reader.key };
    let (_, read) = call!(user_field_settings::handle, &ctx, event("get-current-api-key.json", &reader, None)).await;
    assert_eq!(read["scopes"], json!(["users:read", "settings:read"]));
    assert_ne!(read["apiKeyId"], full["apiKeyId"]);
    let other = environment(&ctx).await;
    let foreign = Env { id: env.id, key: other.key.clone() };
    assert_error(&call!(user_field_settings::handle, &ctx, event("get-current-api-key.json", &foreign, None)).await, 403, "forbidden", None);
}
