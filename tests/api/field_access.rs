//! Who owns which field, replayed over the handlers against moto: what an end user sees and may
//! change by `userAccess` and `writeOnce`, the operator's private metadata, addresses an end user
//! has not proven, and end-user writes judged by the configuration in force.

use serde_json::{json, Value};
use userfields::context::AppContext;
use userfields::handlers::user_field_settings;
use userfields_tests::sign_in::*;
use userfields_tests::*;
use uuid::Uuid;

fn address(tag: &str) -> String {
    format!("{tag}.{}@example.com", Uuid::new_v4().simple())
}

async fn settings(ctx: &AppContext, env: &Env, fields: Value) -> Value {
    let req = event_with_body("put-user-field-settings.json", env, None, &json!({ "fields": fields }));
    let (status, body) = call!(user_field_settings::handle, ctx, req).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn claims(ctx: &AppContext, env: &Env, token: &str) -> Value {
    let (_, keys) = jwks(ctx, env).await;
    claims_by_jwks(&keys, token, &issuer(env)).expect("the token verifies with the public JWKS")
}

#[tokio::test]
async fn an_end_user_neither_reads_nor_wipes_the_operators_metadata() {
    let ctx = context().await;
    let env = signin_environment(&ctx).await;
    settings(&ctx, &env, json!([{"name": "email", "type": "standard"}, {"name": "badge", "type": "custom"}])).await;
    let email = address("meta");
    let body = json!({"email": email, "metadata": {"secretRole": "admin", "banned": true, "badge": "red"}});
    let (status, created) = create_user(&ctx, &env, body).await;
    assert_eq!(status, 201, "{created}");
    let id = user_id_of(&created);

    let signed = sign_in(&ctx, &env, &email).await;
    assert_eq!(signed["user"]["metadata"], json!({"badge": "red"}), "{signed}");
    let token = token_of(&signed);
    let (_, me) = get_me(&ctx, &env, &token).await;
    assert_eq!(me["user"]["metadata"], json!({"badge": "red"}), "{me}");

    for wipe in [json!({"metadata": {}}), json!({"metadata": null})] {
        let (status, body) = put_me(&ctx, &env, &token, wipe.clone()).await;
        assert_eq!(status, 200, "{wipe}: {body}");
        assert!(body["user"]["metadata"].get("secretRole").is_none(), "{body}");
    }
    let (_, read) = get_user(&ctx, &env, id).await;
    assert_eq!(read["user"]["metadata"], json!({"secretRole": "admin", "banned": true}), "only the editable badge was cleared");
    let got = put_me(&ctx, &env, &token, json!({"metadata": {"banned": false}})).await;
    assert_error(&got, 400, "field_not_allowed", Some("metadata.banned"));
    // An end user's write names only what it changes: the rest stays.
    put_me(&ctx, &env, &token, json!({"metadata": {"badge": "blue"}})).await;
    let (_, read) = get_user(&ctx, &env, id).await;
    assert_eq!(read["user"]["metadata"], json!({"secretRole": "admin", "banned": true, "badge": "blue"}));
}

#[tokio::test]
async fn user_access_and_write_once_decide_what_an_end_user_sees_and_sets() {
    let ctx = context().await;
    let env = signin_environment(&ctx).await;
    let saved = settings(&ctx, &env, json!([
        {"name": "email", "type": "standard"},
        {"name": "firstName", "type": "standard", "writeOnce": true},
        {"name": "lastName", "type": "standard", "userAccess": "hidden", "required": true},
        {"name": "jobTitle", "type": "standard", "userAccess": "view"},
        {"name": "tier", "type": "custom", "userAccess": "view"},
        {"name": "risk", "type": "custom", "userAccess": "hidden"},
        {"name": "nickname", "type": "custom"}
    ]))
    .await;
    let spec = |name: &str| saved["fields"].as_array().unwrap().iter().find(|f| f["name"] == name).unwrap().clone();
    assert_eq!((spec("lastName")["userAccess"].clone(), spec("email")["userAccess"].clone()), (json!("hidden"), json!("edit")));
    assert_eq!((spec("firstName")["writeOnce"].clone(), spec("email")["writeOnce"].clone()), (json!(true), json!(false)));

    let email = address("access");
    let body = json!({"email": email, "jobTitle": "Engineer", "metadata": {"tier": "gold", "risk": "high"}});
    let id = user_id_of(&create_user(&ctx, &env, body).await.1);
    let signed = sign_in(&ctx, &env, &email).await;
    let token = token_of(&signed);
    let (_, me) = get_me(&ctx, &env, &token).await;
    let user = &me["user"];
    assert_eq!((user["jobTitle"].clone(), user["metadata"].clone()), (json!("Engineer"), json!({"tier": "gold"})), "{me}");
    let names: Vec<&str> = me["fields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert!(!names.contains(&"lastName") && !names.contains(&"risk") && names.contains(&"jobTitle"), "{names:?}");
    assert_eq!(user["missingFields"], json!([]), "a hidden required field is never named: {user}");
    let token_claims = claims(&ctx, &env, &token).await;
    assert_eq!(token_claims["scope"], "requiresAdditionalAuth", "the operator's required field still gates access");
    assert!(token_claims.get("missing_fields").is_none(), "{token_claims}");
    let full = full_token_of(&signed);
    assert_eq!(missing_names(&claims(&ctx, &env, &full).await), Vec::<String>::new(), "nor in the full token");
    assert!(!token.contains("lastName") && !full.contains("lastName"));

    for (body, code, field) in [
        (json!({"jobTitle": "CEO"}), "field_not_allowed", "jobTitle"),
        (json!({"lastName": "X"}), "field_not_allowed", "lastName"),
        (json!({"metadata": {"tier": "platinum"}}), "field_not_allowed", "metadata.tier"),
        (json!({"metadata": {"risk": "low"}}), "field_not_allowed", "metadata.risk"),
    ] {
        assert_error(&put_me(&ctx, &env, &token, body).await, 400, code, Some(field));
    }
    let (status, body) = put_me(&ctx, &env, &token, json!({"firstName": "Ada", "metadata": {"nickname": "ada"}})).await;
    assert_eq!(status, 200, "{body}");
    assert_error(&put_me(&ctx, &env, &token, json!({"firstName": "Eve"})).await, 400, "field_write_once", Some("firstName"));
    assert_error(&put_me(&ctx, &env, &token, json!({"firstName": null})).await, 400, "field_write_once", Some("firstName"));
    assert_eq!(put_me(&ctx, &env, &token, json!({"firstName": "Ada"})).await.0, 200, "the same value is no change");
    // The operator writes all of them.
    let (status, body) = update_user(&ctx, &env, id, json!({"firstName": "Eve", "lastName": "L", "jobTitle": "CEO"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["lastName"], "L");
}

#[tokio::test]
async fn an_end_user_never_sets_an_unproven_address() {
    let ctx = context().await;
    let env = signin_environment(&ctx).await;
    settings(&ctx, &env, json!([{"name": "email", "type": "standard", "verify": false}])).await;
    let victim = address("victim");
    let victim_id = user_id_of(&create_user(&ctx, &env, json!({ "email": victim })).await.1);
    let attacker = address("attacker");
    let signed = sign_in(&ctx, &env, &attacker).await;
    let token = token_of(&signed);
    assert_eq!(claims(&ctx, &env, &token).await["email_verified"], true);
    let fresh = address("fresh");
    for target in [&victim, &fresh] {
        let (status, body) = put_me(&ctx, &env, &token, json!({ "email": target })).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["isEmailVerificationRequired"], true, "verify: false is the operator's only: {body}");
        assert_eq!(body["user"]["email"], attacker.as_str());
        assert_eq!(claims(&ctx, &env, &token_of(&body)).await["email"], attacker.as_str(), "the fresh token keeps the proven address");
    }
    // The owner signs into their own record (the send counters the change counted let go).
    clear_rate_counters(&ctx, &env, &victim).await;
    let owner = sign_in(&ctx, &env, &victim).await;
    assert_eq!(user_id_of(&owner), victim_id);
    assert_eq!(owner["user"]["newUser"], false);
    // The operator's write still applies at once under verify: false.
    let (status, body) = update_user(&ctx, &env, victim_id, json!({"email": address("moved")})).await;
    assert_eq!((status, body["isEmailVerificationRequired"].clone()), (200, json!(false)), "{body}");
}

#[tokio::test]
async fn a_newly_required_field_can_be_filled_at_once_from_a_warm_container() {
    let warm = context().await;
    let env = signin_environment(&warm).await;
    let email = address("warm");
    // The warm container has the configuration cached (lastName off)...
    let token = token_of(&sign_in(&warm, &env, &email).await);
    assert_eq!(get_me(&warm, &env, &token).await.0, 200);
    // ...when another container saves lastName and jobTitle as required.
    let other = context_unprepared(&endpoint(), EMAIL_FROM, warm.store.table_name()).await;
    settings(&other, &env, json!([
        {"name": "email", "type": "standard"},
        {"name": "lastName", "type": "standard", "required": true},
        {"name": "jobTitle", "type": "standard", "required": true}
    ]))
    .await;
    clear_rate_counters(&warm, &env, &email).await;
    let signed = sign_in(&warm, &env, &email).await;
    let token = token_of(&signed);
    assert_eq!(missing_names(&claims(&warm, &env, &full_token_of(&signed)).await), ["lastName", "jobTitle"]);
    let (status, body) = put_me(&warm, &env, &token, json!({"lastName": "Lovelace", "jobTitle": "Analyst"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(claims(&warm, &env, &token_of(&body)).await["scope"], "user:basic");
}
