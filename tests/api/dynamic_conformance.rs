//! Wire conformance with Dynamic's documented API: the example request of
//! `POST /environments/{environmentId}/users`, wallets and OAuth accounts as verified credentials,
//! free-text tShirtSize, regex on pre-made fields, and `verify` on email.

use serde_json::{json, Value};
use userfields::context::AppContext;
use userfields::handlers::{create_user, user_field_settings};
use userfields_tests::*;

const ETH: &str = "0xbF394748301603f18d953C90F0b087CBEC0E1834";
const ETH_2: &str = "0x52908400098527886E0F7030069857D2E4169EE7";
const ETH_3: &str = "0x8617E340B3D01FA5F11F306F4090FD50E238070D";

async fn put_settings(ctx: &AppContext, env: &Env, fields: Value) -> (u16, Value) {
    let req = event_with_body("put-user-field-settings.json", env, None, &json!({ "fields": fields }));
    call!(user_field_settings::handle, ctx, req).await
}

fn wallet(address: &str, chain: &str) -> Value {
    json!({"publicWalletAddress": address, "chain": chain, "walletName": "MetaMask", "walletProvider": "browserExtension"})
}

/// Dynamic's own example body, sent verbatim, is created, and every value reads back.
#[tokio::test]
async fn the_documented_example_body_is_created_and_reads_back() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let sent: Value = serde_json::from_str(
        serde_json::from_str::<Value>(&event_text("create-user-dynamic-example.json", &env, None)).unwrap()["body"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let (status, created) = call!(create_user::handle, &ctx, event("create-user-dynamic-example.json", &env, None)).await;
    assert_eq!(status, 201, "{created}");
    let id = user_id_of(&created);
    assert_eq!(id.to_string(), sent["id"]);
    let (status, read) = get_user(&ctx, &env, id).await;
    assert_eq!(status, 200, "{read}");
    let user = &read["user"];
    for (key, value) in sent.as_object().unwrap() {
        if key == "wallets" || key == "oauthAccounts" || key == "emailVerifiedAt" {
            continue;
        }
        assert_eq!(&user[key], value, "{key}");
    }
    assert_eq!(user["emailVerifiedAt"], "2023-11-07T05:31:56Z");
    let credentials = user["verifiedCredentials"].as_array().unwrap();
    let blockchain = credentials.iter().find(|c| c["format"] == "blockchain").expect("a wallet credential");
    assert_eq!(blockchain["address"], ETH);
    assert_eq!(blockchain["chain"], "ETH");
    assert_eq!(blockchain["wallet_name"], "An example name");
    assert_eq!(blockchain["wallet_provider"], "browserExtension");
    assert_eq!(blockchain["wallet_additional_addresses"], sent["wallets"][0]["additionalWalletAddresses"]);
    let oauth = credentials.iter().find(|c| c["format"] == "oauth").expect("an OAuth credential");
    assert_eq!(oauth["oauth_provider"], "emailOnly");
    assert_eq!(oauth["oauth_account_id"], "An example name");
    assert_eq!(oauth["oauth_emails"], json!(["hello-world@foobar.com"]));
    assert_eq!(oauth["oauth_account_photos"], json!(["<string>"]));
    assert_eq!(oauth["oauth_metadata"], json!({}));
    assert_eq!(user["wallets"][0]["publicKey"], ETH);
    assert_eq!(user["wallets"][0]["id"], blockchain["id"]);
    assert_eq!(user["oauthAccounts"][0], json!({"id": oauth["id"], "provider": "emailOnly", "accountUsername": "An example name"}));
    assert!(credentials.iter().any(|c| c["id"] == user["lastVerifiedCredentialId"]), "{user}");
}

#[tokio::test]
async fn a_wallet_belongs_to_one_user_per_chain_whatever_its_case() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let (status, body) = create_user(&ctx, &env, json!({"wallets": [wallet(ETH, "ETH")]})).await;
    assert_eq!(status, 201, "{body}");
    let got = create_user(&ctx, &env, json!({"wallets": [wallet(&ETH.to_lowercase(), "ETH")]})).await;
    assert_error(&got, 422, "wallet_already_exists", Some("wallets"));
    // An EVM address is one account whether it is named on ETH or on EVM...
    let got = create_user(&ctx, &env, json!({"wallets": [wallet(ETH, "EVM")]})).await;
    assert_error(&got, 422, "wallet_already_exists", Some("wallets"));
    // ...but the same text on another chain is another credential.
    let (status, body) = create_user(&ctx, &env, json!({"wallets": [wallet(ETH, "SUI")]})).await;
    assert_eq!(status, 201, "{body}");
    let got = create_user(&ctx, &env, json!({"wallets": [wallet("0x12", "ETH")]})).await;
    assert_error(&got, 400, "invalid_wallet_address", Some("wallets[0].publicWalletAddress"));
    let got = create_user(&ctx, &env, json!({"wallets": [wallet(ETH_2, "DOGE")]})).await;
    assert_error(&got, 400, "invalid_chain", Some("wallets[0].chain"));
    let eleven: Vec<Value> = (0..11).map(|i| wallet(&format!("0x{:040x}", i + 1), "ETH")).collect();
    assert_error(&create_user(&ctx, &env, json!({"wallets": eleven})).await, 400, "too_many_wallets", Some("wallets"));
}

/// A PUT with `wallets` replaces the set (claims move atomically, kept wallets keep their ids);
/// absent keeps it; `[]` clears it and frees every address.
#[tokio::test]
async fn wallets_on_update_replace_keep_or_clear() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let (_, body) = create_user(&ctx, &env, json!({"wallets": [wallet(ETH, "ETH"), wallet(ETH_2, "ETH")]})).await;
    let id = user_id_of(&body);
    let kept_id = body["user"]["wallets"][1]["id"].clone();

    let (status, body) = update_user(&ctx, &env, id, json!({"wallets": [wallet(ETH_2, "ETH"), wallet(ETH_3, "ETH")]})).await;
    assert_eq!(status, 200, "{body}");
    let keys: Vec<_> = body["user"]["wallets"].as_array().unwrap().iter().map(|w| w["publicKey"].clone()).collect();
    assert_eq!(keys, [json!(ETH_2), json!(ETH_3)]);
    assert_eq!(body["user"]["wallets"][0]["id"], kept_id, "a wallet that stays keeps its id");
    // ETH was released: another user may take it now.
    assert_eq!(create_user(&ctx, &env, json!({"wallets": [wallet(ETH, "ETH")]})).await.0, 201);

    let (_, body) = update_user(&ctx, &env, id, json!({"alias": "no wallet change"})).await;
    assert_eq!(body["user"]["wallets"].as_array().unwrap().len(), 2);
    let (_, body) = update_user(&ctx, &env, id, json!({"wallets": []})).await;
    assert_eq!(body["user"]["wallets"], json!([]));
    assert_eq!(create_user(&ctx, &env, json!({"wallets": [wallet(ETH_2, "ETH"), wallet(ETH_3, "ETH")]})).await.0, 201);
}

#[tokio::test]
async fn an_oauth_account_belongs_to_one_user() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let account = json!({"provider": "github", "accountId": "1234", "username": "ada", "emails": ["ada@example.com"],
        "photos": ["https://avatars.example.com/ada.png"], "profile": {"company": "Engines"}});
    let (status, body) = create_user(&ctx, &env, json!({"oauthAccounts": [account.clone()]})).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["user"]["oauthAccounts"][0]["accountUsername"], "ada");
    let got = create_user(&ctx, &env, json!({"oauthAccounts": [account]})).await;
    assert_error(&got, 422, "oauth_account_already_exists", Some("oauthAccounts"));
    let other_provider = json!({"provider": "gitlab", "accountId": "1234"});
    assert_eq!(create_user(&ctx, &env, json!({"oauthAccounts": [other_provider]})).await.0, 201);
    let bad = json!({"provider": "github", "accountId": "9", "photos": ["javascript:alert(1)"]});
    assert_error(&create_user(&ctx, &env, json!({"oauthAccounts": [bad]})).await, 400, "invalid_url", Some("oauthAccounts[0].photos[0]"));
}

/// tShirtSize is free text until the operator configures options; a regex may sit on any
/// pre-made text field.
#[tokio::test]
async fn premade_fields_take_the_operators_options_and_patterns() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    assert_eq!(create_user(&ctx, &env, json!({"tShirtSize": "An example name"})).await.0, 201);
    let fields = json!([
        {"name": "email", "type": "standard"},
        {"name": "tShirtSize", "type": "standard", "validationRules": {"validOptions": [{"label": "S"}, {"label": "M"}]}},
        {"name": "firstName", "type": "standard", "validationRules": {"regex": "^[A-Z][a-z]+$"}}
    ]);
    let (status, body) = put_settings(&ctx, &env, fields).await;
    assert_eq!(status, 200, "{body}");
    assert_error(&create_user(&ctx, &env, json!({"tShirtSize": "XXXL"})).await, 400, "invalid_t_shirt_size", Some("tShirtSize"));
    assert_eq!(create_user(&ctx, &env, json!({"tShirtSize": "M"})).await.0, 201);
    assert_error(&create_user(&ctx, &env, json!({"firstName": "ada"})).await, 400, "invalid_first_name", Some("firstName"));
    assert_eq!(create_user(&ctx, &env, json!({"firstName": "Ada"})).await.0, 201);
}

/// `verify: false` on email applies a changed address at once, unverified, with no code.
#[tokio::test]
async fn email_verify_false_applies_a_new_address_directly() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let (_, body) = create_user(&ctx, &env, json!({"email": "first@example.com", "emailVerifiedAt": "2024-01-01T00:00:00Z"})).await;
    let id = user_id_of(&body);
    let (status, body) = put_settings(&ctx, &env, json!([{"name": "email", "type": "standard", "verify": false}])).await;
    assert_eq!(status, 200, "{body}");
    let address = format!("direct-{}@example.com", uuid::Uuid::new_v4().simple());
    let (status, body) = update_user(&ctx, &env, id, json!({"email": address})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["isEmailVerificationRequired"], false);
    assert_eq!(body["user"]["email"], address);
    assert!(body["user"].get("emailVerifiedAt").is_none(), "{body}");
    assert!(sent_codes(&address).await.is_empty());
    // By default (verify omitted means true) a change waits for its code.
    let (status, _) = put_settings(&ctx, &env, json!([{"name": "email", "type": "standard"}])).await;
    assert_eq!(status, 200);
    let (_, body) = update_user(&ctx, &env, id, json!({"email": "waits@example.com"})).await;
    assert_eq!(body["isEmailVerificationRequired"], true);
}
