//! create-user and get-user against moto: every field rule, uniqueness, races, auth.

use serde_json::{json, Value};
use userfields::handlers::{create_user, get_user};
use userfields_tests::*;
use uuid::Uuid;

#[tokio::test]
async fn creates_a_user_with_every_field_and_reads_it_back() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let (status, body) = call!(create_user::handle, &ctx, event("create-user.json", &env, None)).await;
    assert_eq!(status, 201, "{body}");
    let user = &body["user"];
    assert_eq!(user["projectEnvironmentId"], env.id.to_string());
    assert_eq!(user["email"], "ada@example.com");
    assert_eq!(user["username"], "ada_l");
    assert_eq!(user["country"], "GB");
    assert_eq!(user["policiesConsent"], true);
    assert_eq!(user["metadata"], json!({"source": "import"}));
    assert_eq!(user["mfaBackupCodeAcknowledgement"], "pending");
    assert_eq!(user["kdaWallet"], format!("k:{}", "ab".repeat(32)));
    assert_eq!(user["newUser"], true);
    assert_eq!(user["verifiedCredentials"], json!([]), "an unverified email is no credential");
    assert!(user.get("version").is_none());
    assert!(user["createdAt"].as_str().unwrap().ends_with('Z'));

    let id: Uuid = user["id"].as_str().unwrap().parse().unwrap();
    let (status, got) = call!(get_user::handle, &ctx, event("get-user.json", &env, Some(id))).await;
    assert_eq!(status, 200, "{got}");
    let mut expected = user.clone();
    expected["newUser"] = json!(false);
    expected["sessions"] = json!([]); // a GET of one user adds their live sessions: none yet
    assert_eq!(got["user"], expected);
}

#[tokio::test]
async fn email_with_verified_at_becomes_a_credential() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let (status, body) = call!(create_user::handle, &ctx, event("create-user-verified-email.json", &env, None)).await;
    assert_eq!(status, 201, "{body}");
    let creds = body["user"]["verifiedCredentials"].as_array().unwrap();
    assert_eq!(creds.len(), 1);
    assert_eq!(creds[0]["format"], "email");
    assert_eq!(creds[0]["email"], "grace@example.com");
    assert_eq!(creds[0]["public_identifier"], "grace@example.com");
    assert_eq!(body["user"]["emailVerifiedAt"], "2026-11-01T10:00:00Z");
    assert_eq!(body["user"]["missingFields"], json!([]));
}

#[tokio::test]
async fn every_field_rule_is_enforced() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let long = "x".repeat(256);
    let cases: Vec<(Value, &str, &str)> = vec![
        (json!({"email": "not-an-email"}), "invalid_email", "email"),
        (json!({"email": "a@b"}), "invalid_email", "email"),
        (json!({"username": "ab"}), "invalid_username", "username"),
        (json!({"username": "has space"}), "invalid_username", "username"),
        (json!({"username": "x".repeat(21)}), "invalid_username", "username"),
        (json!({"country": "USA"}), "invalid_country", "country"),
        (json!({"country": "us"}), "invalid_country", "country"),
        (json!({"alias": long}), "value_too_long", "alias"),
        (json!({"firstName": " Ada"}), "invalid_text", "firstName"),
        (json!({"lastName": "Lovelace "}), "invalid_text", "lastName"),
        (json!({"jobTitle": ""}), "invalid_text", "jobTitle"),
        (json!({"team": "a\u{7}b"}), "invalid_text", "team"),
        (json!({"phoneNumber": "x".repeat(300)}), "value_too_long", "phoneNumber"),
        (json!({"wallets": [{"publicWalletAddress": "0x12", "chain": "ETH"}]}), "invalid_wallet_address", "wallets[0].publicWalletAddress"),
        (json!({"oauthAccounts": [{"provider": "github", "accountId": "1", "emails": ["x"]}]}), "invalid_email", "oauthAccounts[0].emails[0]"),
        (json!({"btcWallet": "bc1short"}), "invalid_wallet", "btcWallet"),
        (json!({"ltcWallet": "Xabc"}), "invalid_wallet", "ltcWallet"),
        (json!({"dogeWallet": "D123"}), "invalid_wallet", "dogeWallet"),
        (json!({"kdaWallet": "k:12"}), "invalid_wallet", "kdaWallet"),
        (json!({"kasWallet": "kaspa:short"}), "invalid_wallet", "kasWallet"),
        (json!({"ckbWallet": "ckb1qSHOUTING"}), "invalid_wallet", "ckbWallet"),
        (json!({"emailVerifiedAt": "yesterday", "email": "a@example.com"}), "invalid_timestamp", "emailVerifiedAt"),
        (json!({"emailVerifiedAt": "2026-01-01T00:00:00Z"}), "bad_request", "emailVerifiedAt"),
        (json!({"metadata": {"blob": "x".repeat(2100)}}), "metadata_size_exceeded", "metadata"),
        (json!({"policiesConsent": "yes"}), "bad_request", "policiesConsent"),
        (json!({"mfaBackupCodeAcknowledgement": "maybe"}), "bad_request", "mfaBackupCodeAcknowledgement"),
        (json!({"newsletterNotification": 1}), "bad_request", "newsletterNotification"),
        (json!({"id": "not-a-uuid"}), "bad_request", "id"),
        (json!({"nickname": "x"}), "bad_request", "nickname"),
    ];
    for (body, code, field) in cases {
        let got = create_user(&ctx, &env, body.clone()).await;
        assert_eq!(got.0, 400, "{body} -> {}", got.1);
        assert_error(&got, 400, code, Some(field));
    }
    // Valid values of the same fields pass.
    let ok = json!({"ltcWallet": "LQ3B36Yv2rBTxdgAdYpU2UcEZsaNwXeATk", "dogeWallet": format!("D{}", "a".repeat(33)),
        "kasWallet": format!("kaspa:{}", "q".repeat(61)), "ckbWallet": format!("ckb1q{}", "a".repeat(40)),
        "tShirtSize": "XL", "alias": "é".repeat(255), "username": "日本語ユーザー"});
    let (status, body) = create_user(&ctx, &env, ok).await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test]
async fn email_and_username_are_unique_per_environment_ignoring_case() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let (status, _) = create_user(&ctx, &env, json!({"email": "Ada@Example.com", "username": "Ada_L"})).await;
    assert_eq!(status, 201);
    let got = create_user(&ctx, &env, json!({"email": "ada@EXAMPLE.com"})).await;
    assert_error(&got, 422, "email_already_exists", Some("email"));
    let got = create_user(&ctx, &env, json!({"username": "ada_l"})).await;
    assert_error(&got, 422, "username_already_exists", Some("username"));
    // A refused create wrote nothing: its other unique value is still free.
    let got = create_user(&ctx, &env, json!({"email": "ada@example.com", "username": "fresh_name"})).await;
    assert_error(&got, 422, "email_already_exists", Some("email"));
    let (status, _) = create_user(&ctx, &env, json!({"email": "other@example.com", "username": "fresh_name"})).await;
    assert_eq!(status, 201, "the refused create must not have kept its username claim");

    // Another environment has its own namespace.
    let other = environment(&ctx).await;
    let (status, _) = create_user(&ctx, &other, json!({"email": "ada@example.com", "username": "ada_l"})).await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn look_alike_addresses_names_and_evm_wallets_collide() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let wallet = "0x52908400098527886E0F7030069857D2E4169EE7";
    let body = json!({"email": "kim@example.com", "username": "kim_k", "wallets": [{"publicWalletAddress": wallet, "chain": "ETH"}]});
    assert_eq!(create_user(&ctx, &env, body).await.0, 201);
    // The Kelvin sign, fullwidth letters: what they look like is taken.
    for twin in ["\u{212A}im@example.com", "\u{FF4B}im@example.com"] {
        let got = create_user(&ctx, &env, json!({ "email": twin })).await;
        assert_error(&got, 422, "email_already_exists", Some("email"));
    }
    let got = create_user(&ctx, &env, json!({"username": "\u{FF4B}im_k"})).await;
    assert_error(&got, 422, "username_already_exists", Some("username"));
    // One EVM address is one account whether it is named on ETH or on EVM.
    let got = create_user(&ctx, &env, json!({"wallets": [{"publicWalletAddress": wallet.to_lowercase(), "chain": "EVM"}]})).await;
    assert_error(&got, 422, "wallet_already_exists", Some("wallets"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_creates_with_one_email_make_exactly_one_user() {
    let ctx = shared_context().await;
    let env = environment(ctx).await;
    let env = &*Box::leak(Box::new(env));
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            tokio::spawn(async move {
                create_user(ctx, env, json!({"email": "race@example.com", "alias": format!("racer{i}")})).await
            })
        })
        .collect();
    let results = futures::future::join_all(tasks).await;
    let mut created = 0;
    for result in results {
        let (status, body) = result.unwrap();
        match status {
            201 => created += 1,
            _ => assert_error(&(status, body), 422, "email_already_exists", Some("email")),
        }
    }
    assert_eq!(created, 1);
}

#[tokio::test]
async fn an_id_can_be_given_once() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let id = Uuid::new_v4();
    let (status, body) = create_user(&ctx, &env, json!({"id": id, "alias": "first"})).await;
    assert_eq!((status, body["user"]["id"].as_str()), (201, Some(id.to_string().as_str())));
    let got = create_user(&ctx, &env, json!({"id": id, "alias": "second"})).await;
    assert_error(&got, 422, "user_already_exists", Some("id"));
    let (_, read) = call!(get_user::handle, &ctx, event("get-user.json", &env, Some(id))).await;
    assert_eq!(read["user"]["alias"], "first");
}

#[tokio::test]
async fn malformed_bodies_are_400_with_a_code() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    for (fixture, code, field) in [
        ("create-user-malformed-json.json", "bad_request", None),
        ("create-user-unknown-field.json", "bad_request", Some("nickname")),
        ("create-user-wrong-type.json", "bad_request", Some("firstName")),
        ("create-user-invalid-email.json", "invalid_email", Some("email")),
        ("create-user-invalid-username.json", "invalid_username", Some("username")),
        ("create-user-metadata-too-large.json", "metadata_size_exceeded", Some("metadata")),
    ] {
        let got = call!(create_user::handle, &ctx, event(fixture, &env, None)).await;
        assert_error(&got, 400, code, field);
    }
}

#[tokio::test]
async fn keys_are_checked_and_scoped_to_their_environment() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let other = environment(&ctx).await;
    let got = call!(create_user::handle, &ctx, event("create-user-no-auth.json", &env, None)).await;
    assert_error(&got, 401, "unauthorized", None);
    let got = call!(create_user::handle, &ctx, event("create-user-bad-key.json", &env, None)).await;
    assert_error(&got, 401, "unauthorized", None);
    for garbled in ["Basic abc", "Bearer", "Bearer ", "uf_abc", "Bearer a b"] {
        let req = event_with_header("create-user.json", &env, None, "authorization", Some(garbled));
        assert_error(&call!(create_user::handle, &ctx, req).await, 401, "unauthorized", None);
    }
    // The other environment's key, on this environment's path.
    let foreign = Env { id: env.id, key: other.key.clone() };
    let got = call!(create_user::handle, &ctx, event("create-user.json", &foreign, None)).await;
    assert_error(&got, 403, "forbidden", None);

    // And a user of `env` cannot be read with the other key.
    let (_, body) = call!(create_user::handle, &ctx, event("create-user.json", &env, None)).await;
    let id: Uuid = body["user"]["id"].as_str().unwrap().parse().unwrap();
    let got = call!(get_user::handle, &ctx, event("get-user.json", &foreign, Some(id))).await;
    assert_error(&got, 403, "forbidden", None);
    // Nor through the other environment's own path.
    let got = call!(get_user::handle, &ctx, event("get-user.json", &other, Some(id))).await;
    assert_error(&got, 404, "not_found", Some("userId"));
}

#[tokio::test]
async fn raw_paths_work_without_path_parameters_and_bad_uuids_are_400() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let (status, body) = call!(create_user::handle, &ctx, event("create-user-raw-path.json", &env, None)).await;
    assert_eq!(status, 201, "{body}");
    let got = call!(get_user::handle, &ctx, event("get-user-invalid-uuid.json", &env, None)).await;
    assert_error(&got, 400, "invalid_uuid", Some("userId"));
    let got = call!(get_user::handle, &ctx, event("get-user.json", &env, Some(Uuid::new_v4()))).await;
    assert_error(&got, 404, "not_found", Some("userId"));
}
