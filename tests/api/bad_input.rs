//! A corpus of bad requests replayed against every function: each must get a 4xx JSON error
//! with a code, never a 5xx or a panic.

use serde_json::{json, Value};
use userfields::context::AppContext;
use userfields::handlers::{
    bulk_create_users, create_user, custom_fields, exports, delete_user, get_user, list_missing_fields, list_users, revoke_user_sessions, update_user,
    user_field_settings, verify_email_otp,
};
use userfields_tests::*;
use uuid::Uuid;

/// Every route: its fixture and a way to call its handler.
const ROUTES: &[&str] = &[
    "create-user.json",
    "get-user.json",
    "update-user.json",
    "verify-email-otp.json",
    "list-missing-fields.json",
    "put-user-field-settings.json",
    "get-user-field-settings.json",
    "list-users.json",
    "bulk-create-users.json",
    "delete-user.json",
    "revoke-user-sessions.json",
    "get-environment.json",
    "put-environment.json",
    "user-field-settings-impact.json",
    "get-current-api-key.json",
    "create-custom-field.json",
    "list-custom-fields.json",
    "get-custom-field.json",
    "put-custom-field.json",
    "delete-custom-field.json",
    "create-export.json",
    "list-exports.json",
    "get-export.json",
    "download-export.json",
    "create-webhook.json",
    "list-webhooks.json",
    "get-webhook.json",
    "update-webhook.json",
    "delete-webhook.json",
    "list-webhook-messages.json",
    "get-webhook-message.json",
    "redeliver-webhook-message.json",
    "test-webhook.json",
    "external-jwt-check.json",
];

async fn dispatch(ctx: &AppContext, fixture: &str, req: lambda_http::Request) -> (u16, Value) {
    match fixture {
        "create-user.json" => call!(create_user::handle, ctx, req).await,
        "get-user.json" => call!(get_user::handle, ctx, req).await,
        "update-user.json" => call!(update_user::handle, ctx, req).await,
        "verify-email-otp.json" => call!(verify_email_otp::handle, ctx, req).await,
        "list-missing-fields.json" => call!(list_missing_fields::handle, ctx, req).await,
        "list-users.json" => call!(list_users::handle, ctx, req).await,
        "bulk-create-users.json" => call!(bulk_create_users::handle, ctx, req).await,
        "delete-user.json" => call!(delete_user::handle, ctx, req).await,
        "revoke-user-sessions.json" => call!(revoke_user_sessions::handle, ctx, req).await,
        f if f.contains("custom-field") => call!(custom_fields::handle, ctx, req).await,
        f if f.contains("export") => call!(exports::handle, ctx, req).await,
        f if f.contains("webhook") => call!(userfields::handlers::webhooks::handle, ctx, req).await,
        "external-jwt-check.json" => call!(userfields::handlers::external_auth::handle, ctx, req).await,
        _ => call!(user_field_settings::handle, ctx, req).await,
    }
}

fn has_body(fixture: &str) -> bool {
    !["get-", "list-", "delete-", "revoke-", "download-", "redeliver-", "test-"].iter().any(|p| fixture.starts_with(p))
}

#[track_caller]
fn assert_client_error(fixture: &str, case: &str, got: &(u16, Value)) {
    assert!((400..500).contains(&got.0), "{fixture} / {case}: {} {}", got.0, got.1);
    assert!(got.1["code"].as_str().is_some_and(|c| !c.is_empty()), "{fixture} / {case}: {}", got.1);
    assert!(got.1["error"].as_str().is_some_and(|c| !c.is_empty()), "{fixture} / {case}: {}", got.1);
}

fn nested(depth: usize) -> String {
    format!("{{\"metadata\":{}{}}}", "[".repeat(depth), "]".repeat(depth))
}

fn bad_bodies() -> Vec<(&'static str, String)> {
    vec![
        ("empty", String::new()),
        ("truncated", "{\"email\": \"a@example.com\"".into()),
        ("not an object", "[1, 2, 3]".into()),
        ("a string", "\"hello\"".into()),
        ("null", "null".into()),
        ("trailing garbage", "{} {}".into()),
        ("wrong types", json!({"email": 5, "fields": "x", "verificationUUID": 7, "alias": true}).to_string()),
        ("unknown field", json!({"surprise": 1}).to_string()),
        ("over-long strings", json!({"alias": "x".repeat(10_000), "fields": [{"name": "x".repeat(10_000), "type": "custom"}],
            "verificationUUID": "x".repeat(10_000), "verificationToken": "1".repeat(10_000)}).to_string()),
        ("huge body", format!("{{\"alias\": \"{}\"}}", "x".repeat(200_000))),
        ("deep nesting", nested(10_000)),
        ("lone surrogate", "{\"alias\": \"\\ud800\"}".into()),
        ("nul and control characters", json!({"alias": "a\u{0}b", "fields": [{"name": "a\u{0}", "type": "custom"}],
            "verificationUUID": "\u{0}", "verificationToken": "\u{202e}12345"}).to_string()),
        ("unicode edge cases", json!({"username": "ad\u{200b}a", "firstName": "\u{202e}evil", "email": "a@b\u{ff0e}com",
            "fields": [{"name": "ñame", "type": "custom"}], "verificationUUID": "é", "verificationToken": "١٢٣٤٥٦"}).to_string()),
        ("metadata over 2 KB", json!({"metadata": {"k": "v".repeat(2100)}, "fields": [{"name": "m", "type": "custom", "label": "v".repeat(300)}],
            "verificationUUID": Uuid::nil(), "verificationToken": "abcdef"}).to_string()),
        ("invalid utf-8", String::from_utf8_lossy(&[0x7b, 0xff, 0xfe, 0x7d]).into_owned()),
    ]
}

#[tokio::test]
async fn bad_bodies_get_a_4xx_with_a_code_on_every_route() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let (_, user) = create_user(&ctx, &env, json!({})).await;
    let user = user_id_of(&user);
    for fixture in ROUTES.iter().filter(|f| has_body(f)) {
        for (case, body) in bad_bodies() {
            let mut raw: Value = serde_json::from_str(&event_text(fixture, &env, Some(user))).unwrap();
            raw["body"] = Value::String(body);
            let got = dispatch(&ctx, fixture, request(&raw.to_string())).await;
            if *fixture == "bulk-create-users.json" && case == "not an object" {
                // Dynamic's bulk body is a top-level array: its three entries fail, each alone.
                assert_eq!((got.0, got.1["failed"].as_array().map(Vec::len)), (200, Some(3)), "{}", got.1);
                continue;
            }
            assert_client_error(fixture, case, &got);
        }
    }
    // Nothing above changed the user or the settings.
    let (_, read) = get_user(&ctx, &env, user).await;
    assert_eq!(read["user"]["verifiedCredentials"], json!([]));
    assert!(read["user"].get("alias").is_none());
}

#[tokio::test]
async fn invalid_utf8_bytes_in_a_binary_body_are_400() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let mut raw: Value = serde_json::from_str(&event_text("create-user.json", &env, None)).unwrap();
    raw["isBase64Encoded"] = json!(true);
    raw["body"] = json!("e/8ifQ=="); // {, 0xff, ", }
    let got = call!(create_user::handle, &ctx, request(&raw.to_string())).await;
    assert_error(&got, 400, "bad_request", None);
    // A well-formed base64 body is decoded like API Gateway would.
    let got = call!(create_user::handle, &ctx, event("create-user-base64-body.json", &env, None)).await;
    assert_eq!(got.0, 201, "{}", got.1);
    assert_eq!(got.1["user"]["alias"], "from-base64");
}

#[tokio::test]
async fn bad_auth_headers_are_401_on_every_route() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let user = Uuid::new_v4();
    let long = format!("Bearer {}", "k".repeat(5000));
    let cases: Vec<Option<&str>> = vec![
        None, Some(""), Some("Bearer"), Some("Bearer "), Some("bearer"), Some("Basic dXNlcjpwYXNz"),
        Some("Token abc"), Some("Bearer uf_0000"), Some(long.as_str()), Some("Bearer ключ"), Some("Bearer\tuf_x"),
    ];
    for fixture in ROUTES {
        for header in &cases {
            let req = event_with_header(fixture, &env, Some(user), "authorization", *header);
            let got = dispatch(&ctx, fixture, req).await;
            assert_error(&got, 401, "unauthorized", None);
        }
    }
}

#[tokio::test]
async fn invalid_uuids_in_paths_are_400() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    for fixture in ROUTES {
        let needs_user = !fixture.contains("settings") && !fixture.ends_with("-environment.json") && !fixture.contains("custom-field") && !fixture.contains("export")
            && !fixture.contains("webhook") && !fixture.contains("api-key") && !fixture.contains("external")
            && !["create-user.json", "list-users.json", "bulk-create-users.json"].contains(fixture);
        let text = event_text(fixture, &env, needs_user.then(Uuid::new_v4));
        let param = match *fixture {
            "get-custom-field.json" | "put-custom-field.json" | "delete-custom-field.json" => "customFieldId",
            "create-webhook.json" | "list-webhooks.json" => "environmentId",
            "get-webhook-message.json" | "redeliver-webhook-message.json" => "messageId",
            f if f.contains("webhook") => "webhookId",
            _ if needs_user => "userId",
            _ => "environmentId",
        };
        for bad in ["not-a-uuid", "12345", "%00", "00000000-0000-0000-0000-00000000000g", "' OR 1=1 --"] {
            let mut raw: Value = serde_json::from_str(&text).unwrap();
            raw["pathParameters"][param] = json!(bad);
            let got = dispatch(&ctx, fixture, request(&raw.to_string())).await;
            assert_error(&got, 400, "invalid_uuid", Some(param));
        }
    }
    let got = call!(create_user::handle, &ctx, event("create-user-invalid-environment-uuid.json", &env, None)).await;
    assert_error(&got, 400, "invalid_uuid", Some("environmentId"));
    let got = call!(update_user::handle, &ctx, event("update-user-invalid-uuid.json", &env, None)).await;
    assert_error(&got, 400, "invalid_uuid", Some("userId"));
}

/// Bodies that serde would read positionally (a struct from an array): every one is 400, and
/// none creates a user or touches the field configuration.
#[tokio::test]
async fn arrays_are_never_read_as_objects() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let (_, user) = create_user(&ctx, &env, json!({"alias": "kept"})).await;
    let user = user_id_of(&user);
    let before = call!(user_field_settings::handle, &ctx, event("get-user-field-settings.json", &env, None)).await;

    let got = call!(create_user::handle, &ctx, event("create-user-array-body.json", &env, None)).await;
    assert_error(&got, 400, "bad_request", None);
    let got = call!(user_field_settings::handle, &ctx, event("put-user-field-settings-array-body.json", &env, None)).await;
    assert_error(&got, 400, "bad_request", None);

    let positional = [
        "[]".to_string(),
        "[[]]".to_string(),
        r#"[null,"a@b.co",null,null,"Ada"]"#.to_string(),
        format!(r#"["{}","123456"]"#, Uuid::new_v4()),
        r#"{"fields": [["x", false, true, null, false, "custom"]]}"#.to_string(),
        r#"{"fields": [{"name": "x", "type": "custom", "validationRules": [null, "^a$"]}]}"#.to_string(),
        r#"{"fields": [{"name": "p", "type": "custom", "validationType": "select", "validationRules": {"validOptions": [["A"]]}}]}"#.to_string(),
    ];
    for fixture in ROUTES.iter().filter(|f| has_body(f)) {
        for body in &positional {
            let mut raw: Value = serde_json::from_str(&event_text(fixture, &env, Some(user))).unwrap();
            raw["body"] = Value::String(body.clone());
            let got = dispatch(&ctx, fixture, request(&raw.to_string())).await;
            if *fixture == "bulk-create-users.json" && body.starts_with('[') {
                // Dynamic's bulk body is a top-level array: none, or entries that are no objects,
                // each failing alone; never a user read positionally.
                let failed = got.1["failed"].as_array().map(|f| f.iter().all(|e| e["code"] == "bad_request"));
                assert!(got == (400, got.1.clone()) && got.1["code"] == "no_users" || (got.0, failed) == (200, Some(true)), "{body}: {}", got.1);
                assert_eq!(got.1["created"].as_array().map_or(0, Vec::len), 0, "{body}");
                continue;
            }
            assert_error(&got, 400, "bad_request", None);
        }
    }
    let after = call!(user_field_settings::handle, &ctx, event("get-user-field-settings.json", &env, None)).await;
    assert_eq!(after, before, "the field configuration must be untouched");
    let (_, read) = get_user(&ctx, &env, user).await;
    assert_eq!(read["user"]["alias"], "kept");
    assert!(read["user"].get("email").is_none(), "{}", read["user"]);
}

/// Metadata DynamoDB cannot store is the client's 400 naming the path, on create and update;
/// nothing is written, and the user stays readable.
#[tokio::test]
async fn unstorable_metadata_is_400_naming_the_path() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let got = call!(create_user::handle, &ctx, event("create-user-unstorable-number.json", &env, None)).await;
    assert_error(&got, 400, "invalid_metadata", Some("metadata.big"));

    let deep = (0..40).fold(json!(1), |inner, _| json!({ "k": inner }));
    let cases = [
        (json!({"metadata": {"big": 1e300}}), "metadata.big".to_string()),
        (json!({"metadata": {"neg": -1e126}}), "metadata.neg".to_string()),
        (json!({"metadata": {"tiny": 1e-131}}), "metadata.tiny".to_string()),
        (json!({"metadata": {"": 1}}), "metadata.".to_string()),
        (json!({"metadata": {"list": [1, {"": true}]}}), "metadata.list[1].".to_string()),
        (json!({"metadata": {"s": "a\u{0}b"}}), "metadata.s".to_string()),
        (json!({"metadata": deep}), format!("metadata{}", ".k".repeat(31))),
    ];
    let (_, user) = create_user(&ctx, &env, json!({"alias": "kept"})).await;
    let user = user_id_of(&user);
    for (body, path) in &cases {
        let got = create_user(&ctx, &env, body.clone()).await;
        assert_error(&got, 400, "invalid_metadata", Some(path));
        let got = update_user(&ctx, &env, user, body.clone()).await;
        assert_error(&got, 400, "invalid_metadata", Some(path));
    }
    // The storable neighbours of those values are kept exactly.
    let fine = json!({"big": 9.9e125, "tiny": 1.5e-130, "zero": 0, "max": u64::MAX, "empty": "", "deep": (0..29).fold(json!(1), |i, _| json!({"k": i}))});
    let (status, body) = update_user(&ctx, &env, user, json!({"metadata": fine})).await;
    assert_eq!(status, 200, "{body}");
    let (status, read) = get_user(&ctx, &env, user).await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(read["user"]["metadata"], fine);
    assert_eq!(read["user"]["alias"], "kept");
}

/// Timestamps whose UTC form leaves years 0000..9999 used to panic (and abort the process).
#[tokio::test]
async fn extreme_timestamps_are_400_not_a_crash() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let got = call!(create_user::handle, &ctx, event("create-user-extreme-timestamp.json", &env, None)).await;
    assert_error(&got, 400, "invalid_timestamp", Some("emailVerifiedAt"));
    let (_, user) = create_user(&ctx, &env, json!({"email": "t@example.com"})).await;
    let user = user_id_of(&user);
    for at in ["9999-12-31T23:59:59-01:00", "0000-01-01T00:00:00+01:00", "+10000-01-01T00:00:00Z", "2024-02-30T00:00:00Z"] {
        let got = create_user(&ctx, &env, json!({"email": "x@example.com", "emailVerifiedAt": at})).await;
        assert_error(&got, 400, "invalid_timestamp", Some("emailVerifiedAt"));
        let got = update_user(&ctx, &env, user, json!({"emailVerifiedAt": at})).await;
        assert_error(&got, 400, "invalid_timestamp", Some("emailVerifiedAt"));
    }
    // The edges that can be written back are accepted and read back unchanged.
    let (status, body) = create_user(&ctx, &env, json!({"email": "e@example.com", "emailVerifiedAt": "9999-12-31T23:59:59+01:00"})).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["user"]["emailVerifiedAt"], "9999-12-31T22:59:59Z");
    let (status, read) = get_user(&ctx, &env, user_id_of(&body)).await;
    assert_eq!((status, &read["user"]["emailVerifiedAt"]), (200, &json!("9999-12-31T22:59:59Z")));
}

/// The end-user routes (Dynamic's `/sdk/{environmentId}/...`): public ones and those taking a
/// session token.
const END_USER_ROUTES: &[&str] = &[
    "sdk-settings.json",
    "sdk-nonces.json",
    "sdk-email-verifications-create.json",
    "sdk-email-verifications-retry.json",
    "sdk-email-verifications-signin.json",
    "sdk-email-verifications-verify.json",
    "sdk-users-get.json",
    "sdk-users-put.json",
    "sdk-users-check.json",
    "sdk-refresh.json",
    "sdk-revoke.json",
    "sdk-jwks.json",
    "jwks.json",
    "external-auth-signin.json",
];

async fn dispatch_end_user(ctx: &AppContext, fixture: &str, req: lambda_http::Request) -> (u16, Value) {
    use userfields::handlers::{sdk_email_verifications, sdk_session, sdk_settings, sdk_users, well_known};
    let resp = match fixture {
        "sdk-settings.json" | "sdk-nonces.json" => sdk_settings::handle(ctx, req).await,
        f if f.starts_with("sdk-email-verifications") => sdk_email_verifications::handle(ctx, req).await,
        f if f.starts_with("sdk-users") => sdk_users::handle(ctx, req).await,
        "sdk-refresh.json" | "sdk-revoke.json" => sdk_session::handle(ctx, req).await,
        "external-auth-signin.json" => userfields::handlers::external_auth::handle(ctx, req).await,
        _ => well_known::handle(ctx, req).await,
    };
    if resp.status().as_u16() == 204 {
        return (204, Value::Null);
    }
    parts(resp)
}

#[tokio::test]
async fn bad_bodies_and_tokens_get_a_4xx_on_the_end_user_routes() {
    use userfields_tests::sign_in::{end_user_event, sign_in, signin_environment, token_of, IP};
    let ctx = context().await;
    let env = signin_environment(&ctx).await;
    let token = token_of(&sign_in(&ctx, &env, &format!("stranger.{}@example.com", Uuid::new_v4().simple())).await);
    for fixture in [
        "sdk-email-verifications-create.json",
        "sdk-email-verifications-retry.json",
        "sdk-email-verifications-signin.json",
        "sdk-email-verifications-verify.json",
        "sdk-users-put.json",
        "external-auth-signin.json",
    ] {
        for (case, body) in bad_bodies() {
            let mut raw: Value = serde_json::from_str(&event_text(fixture, &env, None).replace("{{token}}", &token)).unwrap();
            raw["body"] = Value::String(body);
            let got = dispatch_end_user(&ctx, fixture, request(&raw.to_string())).await;
            assert_client_error(fixture, case, &got);
        }
    }
    // Tokens that are not this environment's session: 401 on every route that takes one.
    let long = "k".repeat(5000);
    let garbage = [String::new(), "x".into(), "a.b.c".into(), long, env.key.clone(), format!("{token}x")];
    for fixture in ["sdk-users-get.json", "sdk-users-put.json", "sdk-email-verifications-verify.json", "sdk-refresh.json", "sdk-revoke.json"] {
        for bad in &garbage {
            let got = dispatch_end_user(&ctx, fixture, end_user_event(fixture, &env, bad, None, IP)).await;
            assert_error(&got, 401, "unauthorized", None);
        }
    }
    // A bad environment id in the path is a 400 everywhere.
    for fixture in END_USER_ROUTES {
        let text = event_text(fixture, &env, None).replace(&env.id.to_string(), "not-a-uuid").replace("{{token}}", &token);
        let got = dispatch_end_user(&ctx, fixture, request(&text)).await;
        assert_client_error(fixture, "invalid environment id", &got);
    }
    // The session still works: nothing above touched it.
    assert_eq!(dispatch_end_user(&ctx, "sdk-users-get.json", end_user_event("sdk-users-get.json", &env, &token, None, IP)).await.0, 200);
}
