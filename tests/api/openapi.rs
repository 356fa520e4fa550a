//! openapi.yaml describes what the service really answers: real responses of every route, and
//! the request fixtures, are validated against its schemas (JSON Schema 2020-12, formats on).

use serde_json::{json, Value};
use userfields::handlers::{get_user, list_missing_fields, user_field_settings};
use userfields_tests::*;

fn document() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml");
    let text = std::fs::read_to_string(path).expect("openapi.yaml next to template.yaml");
    serde_yaml::from_str(&text).expect("openapi.yaml parses")
}

/// Checks `instance` against `#/components/schemas/<name>`, resolving refs inside the document.
#[track_caller]
fn check(doc: &Value, name: &str, instance: &Value) {
    assert!(doc["components"]["schemas"][name].is_object(), "schema {name} missing");
    let mut schema = doc.clone();
    schema["$ref"] = json!(format!("#/components/schemas/{name}"));
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("schema {name} compiles: {e}"));
    let errors: Vec<String> = validator.iter_errors(instance).map(|e| format!("{} at {}", e, e.instance_path)).collect();
    assert!(errors.is_empty(), "{name} does not describe {instance}:\n{}", errors.join("\n"));
}

#[test]
fn request_fixtures_match_their_schemas() {
    let doc = document();
    let body = |fixture: &str| -> Value {
        let raw: Value = serde_json::from_str(&std::fs::read_to_string(format!("{}/events/{fixture}", env!("CARGO_MANIFEST_DIR"))).unwrap()).unwrap();
        serde_json::from_str(raw["body"].as_str().unwrap()).unwrap()
    };
    check(&doc, "CreateUserRequest", &body("create-user.json"));
    check(&doc, "CreateUserRequest", &body("create-user-verified-email.json"));
    check(&doc, "CreateUserRequest", &body("create-user-dynamic-example.json"));
    check(&doc, "UpdateUserRequest", &body("update-user.json"));
    check(&doc, "UpdateUserRequest", &body("update-user-email.json"));
    check(&doc, "FieldSettings", &body("put-user-field-settings.json"));
    check(&doc, "FieldSettings", &body("user-field-settings-impact.json"));
    for field in body("put-environment.json")["kyc"].as_array().unwrap() {
        check(&doc, "FieldInput", field);
    }
    let verify = json!({"verificationUUID": uuid::Uuid::new_v4(), "verificationToken": "123456"});
    check(&doc, "VerifyEmailRequest", &verify);
    check(&doc, "EmailVerificationVerifyRequest", &verify);
    check(&doc, "EmailVerificationCreateRequest", &body("sdk-email-verifications-create.json"));
    let retry = json!({"verificationUUID": uuid::Uuid::new_v4(), "email": "ada@example.com"});
    check(&doc, "EmailVerificationRetryRequest", &retry);
    check(&doc, "UserFields", &body("sdk-users-put.json"));
    check(&doc, "CustomFieldRequest", &body("create-custom-field.json"));
    check(&doc, "CustomFieldRequest", &body("put-custom-field.json"));
    check(&doc, "ExportCreateRequest", &body("create-export.json"));
    check(&doc, "WebhookCreateRequest", &body("create-webhook.json"));
    check(&doc, "WebhookCreateRequest", &body("update-webhook.json"));
    check(&doc, "ExternalAuthSigninRequest", &body("external-auth-signin.json"));
    check(&doc, "ExternalJwtCheckRequest", &body("external-jwt-check.json"));
}

#[tokio::test]
async fn external_auth_responses_match_the_document() {
    use userfields_tests::external_issuer::Issuer;
    use userfields_tests::sign_in::*;
    let doc = document();
    let ctx = context().await;
    let env = signin_environment(&ctx).await;
    let issuer = Issuer::start().await;
    let (_, read) = call!(user_field_settings::handle, &ctx, event("get-environment.json", &env, None)).await;
    check(&doc, "ProjectEnvironment", &read);
    let mut settings = read["settings"].clone();
    settings["security"] = json!({"externalAuth": issuer.config(), "externalAuthIssuers": [{"iss": "https://b.example.com/", "aud": "b", "jwksUrl": "https://b.example.com/jwks"}]});
    let mut raw: Value = serde_json::from_str(&event_text("put-environment.json", &env, None)).unwrap();
    raw["body"] = json!(settings.to_string());
    let (status, saved) = call!(user_field_settings::handle, &ctx, request(&raw.to_string())).await;
    assert_eq!(status, 200, "{saved}");
    check(&doc, "ProjectSettings", &saved);
    let (_, read) = call!(user_field_settings::handle, &ctx, event("get-environment.json", &env, None)).await;
    check(&doc, "ProjectEnvironment", &read);

    let token = issuer.token(&issuer.claims("doc-sub", Some(&format!("doc.{}@example.com", uuid::Uuid::new_v4().simple())), true));
    let signin = end_user_event("external-auth-signin.json", &env, "", Some(&json!({"jwt": token})), IP);
    let (status, signed) = call!(userfields::handlers::external_auth::handle, &ctx, signin).await;
    assert_eq!(status, 200, "{signed}");
    check(&doc, "VerifyResponse", &signed);
    let (_, me) = get_sdk_user(&ctx, &env, &token_of(&signed)).await;
    check(&doc, "SdkUser", &me);
    let mut raw: Value = serde_json::from_str(&event_text("external-jwt-check.json", &env, None)).unwrap();
    for encoded in [token.as_str(), "nope"] {
        raw["body"] = json!(json!({"encodedJwt": encoded}).to_string());
        let (_, verdict) = call!(userfields::handlers::external_auth::handle, &ctx, request(&raw.to_string())).await;
        check(&doc, "ExternalJwtCheckResponse", &verdict);
    }
    let refused = call!(userfields::handlers::external_auth::handle, &ctx, end_user_event("external-auth-signin.json", &env, "", Some(&json!({"jwt": "a.b.c"})), IP)).await;
    assert_eq!(refused.0, 401);
    check(&doc, "Error", &refused.1);
}

#[tokio::test]
async fn real_responses_match_the_document() {
    let doc = document();
    let ctx = context().await;
    let env = environment(&ctx).await;

    let (status, saved) = call!(user_field_settings::handle, &ctx, event("put-user-field-settings.json", &env, None)).await;
    assert_eq!(status, 200);
    check(&doc, "FieldSettingsResponse", &saved);
    let (_, read) = call!(user_field_settings::handle, &ctx, event("get-user-field-settings.json", &env, None)).await;
    check(&doc, "FieldSettingsResponse", &read);
    let (_, environment) = call!(user_field_settings::handle, &ctx, event("get-environment.json", &env, None)).await;
    check(&doc, "ProjectEnvironment", &environment);
    let (status, saved) = call!(user_field_settings::handle, &ctx, event("put-environment.json", &env, None)).await;
    assert_eq!(status, 200, "{saved}");
    check(&doc, "ProjectSettings", &saved);
    let (status, impact) = call!(user_field_settings::handle, &ctx, event("user-field-settings-impact.json", &env, None)).await;
    assert_eq!(status, 200, "{impact}");
    check(&doc, "FieldSettingsImpact", &impact);
    let (_, key) = call!(user_field_settings::handle, &ctx, event("get-current-api-key.json", &env, None)).await;
    check(&doc, "CurrentApiKey", &key);
    let (status, field) = call!(userfields::handlers::custom_fields::handle, &ctx, event("create-custom-field.json", &env, None)).await;
    assert_eq!(status, 201, "{field}");
    check(&doc, "CustomField", &field);
    let (_, fields) = call!(userfields::handlers::custom_fields::handle, &ctx, event("list-custom-fields.json", &env, None)).await;
    for field in fields.as_array().unwrap() {
        check(&doc, "CustomField", field);
    }
    exports_ready(&ctx).await;
    let (status, export) = call!(userfields::handlers::exports::handle, &ctx, event("create-export.json", &env, None)).await;
    assert_eq!(status, 201, "{export}");
    check(&doc, "Export", &export);
    let (_, exports) = call!(userfields::handlers::exports::handle, &ctx, event("list-exports.json", &env, None)).await;
    check(&doc, "ExportsResponse", &exports);
    // Back to the configuration the rest of this test reads.
    assert_eq!(call!(user_field_settings::handle, &ctx, event("put-user-field-settings.json", &env, None)).await.0, 200);

    let (status, created) = call!(userfields::handlers::create_user::handle, &ctx, event("create-user.json", &env, None)).await;
    assert_eq!(status, 201, "{created}");
    check(&doc, "UserEnvelope", &created);
    let id = user_id_of(&created);
    let (_, trusted) = create_user(&ctx, &env, json!({"email": "t@example.com", "emailVerifiedAt": "2026-01-01T00:00:00Z"})).await;
    check(&doc, "UserEnvelope", &trusted);

    let (_, got) = call!(get_user::handle, &ctx, event("get-user.json", &env, Some(id))).await;
    check(&doc, "UserWithSessionsEnvelope", &got);
    // Dynamic's example: wallets and OAuth accounts as verified credentials.
    let (status, example) = call!(userfields::handlers::create_user::handle, &ctx, event("create-user-dynamic-example.json", &env, None)).await;
    assert_eq!(status, 201, "{example}");
    assert!(!example["user"]["wallets"].as_array().unwrap().is_empty() && !example["user"]["oauthAccounts"].as_array().unwrap().is_empty());
    check(&doc, "UserEnvelope", &example);
    let example_id = user_id_of(&example);
    let (_, read_back) = call!(get_user::handle, &ctx, event("get-user.json", &env, Some(example_id))).await;
    check(&doc, "UserWithSessionsEnvelope", &read_back);
    let replaced = json!({"wallets": [{"publicWalletAddress": "4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T", "chain": "SOL"}],
        "oauthAccounts": [{"provider": "github", "accountId": "42", "username": "ada", "photos": ["https://x.test/a.png"]}]});
    check(&doc, "UpdateUserRequest", &replaced);
    let (status, updated_credentials) = update_user(&ctx, &env, example_id, replaced).await;
    assert_eq!(status, 200, "{updated_credentials}");
    check(&doc, "UpdateUserResponse", &updated_credentials);
    // Listing and bulk create.
    let (status, page) = call!(userfields::handlers::list_users::handle, &ctx, event("list-users.json", &env, None)).await;
    assert_eq!(status, 200, "{page}");
    assert!(page["count"].as_u64().unwrap() >= 2);
    check(&doc, "UsersPage", &page);
    check(&doc, "BulkCreateRequest", &serde_json::from_str::<Value>(
        serde_json::from_str::<Value>(&event_text("bulk-create-users.json", &env, None)).unwrap()["body"].as_str().unwrap()).unwrap());
    let (status, bulk) = call!(userfields::handlers::bulk_create_users::handle, &ctx, event("bulk-create-users.json", &env, None)).await;
    assert_eq!(status, 200, "{bulk}");
    assert!(!bulk["failed"].as_array().unwrap().is_empty());
    check(&doc, "BulkCreateResponse", &bulk);
    let (_, missing) = call!(list_missing_fields::handle, &ctx, event("list-missing-fields.json", &env, Some(id))).await;
    assert!(!missing["missingFields"].as_array().unwrap().is_empty(), "{missing}");
    check(&doc, "MissingFieldsResponse", &missing);

    let email = format!("openapi.{}@example.com", uuid::Uuid::new_v4().simple());
    let (status, updated) = update_user(&ctx, &env, id, json!({"email": email, "jobTitle": null})).await;
    assert_eq!(status, 200, "{updated}");
    check(&doc, "UpdateUserResponse", &updated);
    let code = sent_codes(&email).await.pop().unwrap();
    let verification = updated["emailVerification"]["verificationUUID"].as_str().unwrap();
    let (status, verified) = verify_email(&ctx, &env, id, verification, &code).await;
    assert_eq!(status, 200, "{verified}");
    check(&doc, "UserEnvelope", &verified);

    let errors = vec![
        create_user(&ctx, &env, json!({"email": "nope"})).await,
        create_user(&ctx, &env, json!({"email": email})).await,
        verify_email(&ctx, &env, id, verification, &code).await,
        call!(userfields::handlers::create_user::handle, &ctx, event("create-user-no-auth.json", &env, None)).await,
        call!(get_user::handle, &ctx, event("get-user.json", &env, Some(uuid::Uuid::new_v4()))).await,
        call!(userfields::handlers::delete_user::handle, &ctx, event("delete-user.json", &env, Some(uuid::Uuid::new_v4()))).await,
        call!(user_field_settings::handle, &ctx, event("put-user-field-settings-invalid-regex.json", &env, None)).await,
    ];
    for (status, body) in errors {
        assert!((400..500).contains(&status));
        check(&doc, "Error", &body);
    }
}

#[tokio::test]
async fn end_user_responses_match_the_document() {
    use userfields_tests::sign_in::*;
    let doc = document();
    let ctx = context().await;
    let env = signin_environment(&ctx).await;
    let settings = json!({"fields": [{"name": "email", "type": "standard"}, {"name": "firstName", "type": "standard", "required": true}]});
    let req = event_with_body("put-user-field-settings.json", &env, None, &settings);
    assert_eq!(call!(user_field_settings::handle, &ctx, req).await.0, 200);

    let email = format!("doc.{}@example.com", uuid::Uuid::new_v4().simple());
    let (status, started) = start(&ctx, &env, &email).await;
    assert_eq!(status, 200, "{started}");
    check(&doc, "EmailVerificationCreateResponse", &started);
    let refused = start(&ctx, &env, &email).await;
    assert_eq!(refused.0, 429);
    check(&doc, "Error", &refused.1);
    let (status, signed) = verify(&ctx, &env, started["verificationUUID"].as_str().unwrap(), &last_code(&email).await).await;
    assert_eq!(status, 200, "{signed}");
    check(&doc, "VerifyResponse", &signed);
    let token = token_of(&signed);
    let (_, operator_view) = call!(get_user::handle, &ctx, event("get-user.json", &env, Some(user_id_of(&signed)))).await;
    assert_eq!(operator_view["user"]["sessions"][0]["id"], signed["user"]["sessionId"], "{operator_view}");
    check(&doc, "UserWithSessionsEnvelope", &operator_view);

    let (_, settings) = sdk_settings(&ctx, &env).await;
    check(&doc, "ProjectSettings", &settings);
    let (_, me) = get_sdk_user(&ctx, &env, &token).await;
    check(&doc, "SdkUser", &me);
    let (_, same) = put_me(&ctx, &env, &token, json!({"email": email})).await;
    check(&doc, "UpdateSelfResponse", &same);
    let (_, changed) = put_me(&ctx, &env, &token, json!({"email": format!("new.{email}")})).await;
    assert_eq!(changed["nextView"], "verify-email", "{changed}");
    check(&doc, "UpdateSelfResponse", &changed);
    let (_, fresh) = put_me(&ctx, &env, &token, json!({"firstName": "Ada"})).await;
    check(&doc, "UpdateSelfResponse", &fresh);
    let (_, refreshed) = refresh(&ctx, &env, &token).await;
    check(&doc, "VerifyResponse", &refreshed);
    let nonces = call!(userfields::handlers::sdk_settings::handle, &ctx, end_user_event("sdk-nonces.json", &env, "", None, IP)).await;
    check(&doc, "NoncesResponse", &nonces.1);
    let available = call!(userfields::handlers::sdk_users::handle, &ctx, end_user_event("sdk-users-check.json", &env, "", None, IP)).await;
    check(&doc, "UserFieldsCheckResponse", &available.1);
    let (_, keys) = jwks(&ctx, &env).await;
    check(&doc, "Jwks", &keys);
    let (_, config) = openid_configuration(&ctx, &env).await;
    check(&doc, "OpenIdConfiguration", &config);
    check(&doc, "Error", &get_me(&ctx, &env, "nope").await.1);
}

#[tokio::test]
async fn webhook_responses_and_bodies_match_the_document() {
    use userfields::handlers::webhooks;
    use userfields_tests::events::{pump_deliveries, Receiver, StreamReader};
    let doc = document();
    let ctx = webhooks_context(true).await;
    let env = environment(&ctx).await;
    let receiver = Receiver::start().await;
    let mut stream = StreamReader::new(&ctx).await;
    let body = json!({"url": receiver.url("/doc"), "isEnabled": true, "events": ["*"]});
    let (status, hook) = call!(webhooks::handle, &ctx, webhook_event("create-webhook.json", &env, uuid::Uuid::nil(), None, Some(&body), "")).await;
    assert_eq!(status, 201, "{hook}");
    check(&doc, "Webhook", &hook);
    let hook_id: uuid::Uuid = hook["webhookId"].as_str().unwrap().parse().unwrap();
    let (_, listed) = call!(webhooks::handle, &ctx, webhook_event("list-webhooks.json", &env, hook_id, None, None, "")).await;
    check(&doc, "WebhooksResponse", &listed);
    assert_eq!(create_user(&ctx, &env, json!({"alias": "doc"})).await.0, 201);
    stream.pump(&ctx).await;
    let (_, pending) = call!(webhooks::handle, &ctx, webhook_event("list-webhook-messages.json", &env, hook_id, None, None, "")).await;
    check(&doc, "WebhookMessagesResponse", &pending);
    pump_deliveries(&ctx).await;
    let got = receiver.at("/doc");
    assert!(!got.is_empty());
    for r in &got {
        check(&doc, "WebhookEvent", &r.json());
    }
    let (_, messages) = call!(webhooks::handle, &ctx, webhook_event("list-webhook-messages.json", &env, hook_id, None, None, "")).await;
    check(&doc, "WebhookMessagesResponse", &messages);
    let message: uuid::Uuid = messages["data"][0]["messageId"].as_str().unwrap().parse().unwrap();
    let (_, deliveries) = call!(webhooks::handle, &ctx, webhook_event("get-webhook-message.json", &env, hook_id, Some(message), None, "")).await;
    check(&doc, "WebhookMessagesResponse", &deliveries);
    let (status, redo) = call!(webhooks::handle, &ctx, webhook_event("redeliver-webhook-message.json", &env, hook_id, Some(message), None, "")).await;
    assert_eq!(status, 202);
    check(&doc, "WebhookMessageRedeliveryResponse", &redo);
    let (status, queued) = call!(webhooks::handle, &ctx, webhook_event("test-webhook.json", &env, hook_id, None, None, "")).await;
    assert_eq!(status, 202, "{queued}");
    check(&doc, "WebhookMessage", &queued);
    pump_deliveries(&ctx).await;
    let test = receiver.at("/doc").into_iter().find(|r| r.json()["eventName"] == "webhook.test").expect("the test event arrived");
    check(&doc, "WebhookEvent", &test.json());
}
