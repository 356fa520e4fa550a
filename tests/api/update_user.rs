//! update-user against moto: patches, null, claim moves, lost-update protection.

use futures::future::join_all;
use serde_json::{json, Value};
use userfields_tests::*;
use uuid::Uuid;

#[tokio::test]
async fn updates_fields_and_null_clears() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let (_, body) = create_user(&ctx, &env, json!({"alias": "ada", "team": "Engines", "country": "GB"})).await;
    let id = user_id_of(&body);
    let (status, body) = call!(userfields::handlers::update_user::handle, &ctx, event("update-user.json", &env, Some(id))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["isEmailVerificationRequired"], false);
    assert!(body.get("emailVerification").is_none());
    let user = &body["user"];
    assert_eq!(user["jobTitle"], "Engineer");
    assert!(user.get("alias").is_none(), "null clears: {user}");
    assert_eq!(user["team"], "Engines", "absent keeps");
    assert_eq!(user["newUser"], false);
    assert_ne!(user["updatedAt"], user["createdAt"]);
    let (_, mut read) = get_user(&ctx, &env, id).await;
    assert_eq!(read["user"].as_object_mut().unwrap().remove("sessions"), Some(json!([])), "no session yet");
    assert_eq!(read["user"], *user);
}

#[tokio::test]
async fn update_errors() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let (_, body) = create_user(&ctx, &env, json!({})).await;
    let id = user_id_of(&body);
    let got = call!(userfields::handlers::update_user::handle, &ctx, event("update-user-id.json", &env, Some(id))).await;
    assert_error(&got, 400, "bad_request", Some("id"));
    assert_error(&update_user(&ctx, &env, id, json!({"country": "Narnia"})).await, 400, "invalid_country", Some("country"));
    assert_error(&update_user(&ctx, &env, id, json!({"shoe": 1})).await, 400, "bad_request", Some("shoe"));
    assert_error(&update_user(&ctx, &env, Uuid::new_v4(), json!({"alias": "x"})).await, 404, "not_found", Some("userId"));
    let other = environment(&ctx).await;
    let foreign = Env { id: env.id, key: other.key.clone() };
    assert_error(&update_user(&ctx, &foreign, id, json!({"alias": "x"})).await, 403, "forbidden", None);
    let (_, read) = get_user(&ctx, &env, id).await;
    assert!(read["user"].get("alias").is_none(), "refused updates change nothing");
}

#[tokio::test]
async fn username_change_moves_the_claim() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let (_, a) = create_user(&ctx, &env, json!({"username": "first_name"})).await;
    let (_, b) = create_user(&ctx, &env, json!({"username": "taken_name"})).await;
    let a = user_id_of(&a);
    assert_error(&update_user(&ctx, &env, a, json!({"username": "TAKEN_name"})).await, 422, "username_already_exists", Some("username"));
    let (status, body) = update_user(&ctx, &env, a, json!({"username": "second_name"})).await;
    assert_eq!(status, 200, "{body}");
    // The old name is free, the new one is not.
    assert_eq!(create_user(&ctx, &env, json!({"username": "first_name"})).await.0, 201);
    assert_error(&create_user(&ctx, &env, json!({"username": "second_name"})).await, 422, "username_already_exists", None);
    // Clearing frees it too.
    let b = user_id_of(&b);
    assert_eq!(update_user(&ctx, &env, b, json!({"username": null})).await.0, 200);
    assert_eq!(create_user(&ctx, &env, json!({"username": "taken_name"})).await.0, 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_updates_of_different_fields_lose_nothing() {
    let ctx = shared_context().await;
    let env: &'static Env = Box::leak(Box::new(environment(ctx).await));
    let (_, body) = create_user(ctx, env, json!({})).await;
    let id = user_id_of(&body);
    let changes: Vec<(&str, Value)> = vec![
        ("alias", json!("al")), ("firstName", json!("Ada")), ("lastName", json!("Lovelace")),
        ("jobTitle", json!("Analyst")), ("team", json!("Engines")), ("phoneNumber", json!("+44 1")),
        ("country", json!("GB")), ("username", json!("ada_l")), ("policiesConsent", json!(true)),
        ("emailNotification", json!(true)), ("discordNotification", json!(false)), ("newsletterNotification", json!(true)),
    ];
    let tasks = changes.iter().cloned().map(|(field, value)| {
        tokio::spawn(async move { update_user(ctx, env, id, json!({ field: value })).await })
    });
    let results = join_all(tasks).await;
    let (_, read) = get_user(ctx, env, id).await;
    let mut applied = 0;
    for ((field, value), result) in changes.iter().zip(results) {
        let (status, body) = result.unwrap();
        if status == 200 {
            applied += 1;
            assert_eq!(&read["user"][*field], value, "{field} was acknowledged but lost: {}", read["user"]);
        } else {
            // Under heavy contention a request may give up, but only with a clear 409.
            assert_error(&(status, body), 409, "concurrent_update", None);
            assert!(read["user"].get(*field).is_none());
        }
    }
    assert!(applied >= 1);
}
