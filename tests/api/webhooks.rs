//! Events and webhooks end to end on moto: writes through the handlers, the table's stream read
//! and handed to the stream function, the FIFO queue handed to the delivery function (as the
//! event source mappings would), and a receiver on loopback checking what arrives.

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use userfields::context::AppContext;
use userfields::handlers::{user_field_settings, webhooks};
use userfields_tests::events::{pump_deliveries, Receiver, StreamReader};
use userfields_tests::*;
use uuid::Uuid;

async fn create_hook(ctx: &AppContext, env: &Env, url: &str, events: Value) -> (u16, Value) {
    let body = json!({"url": url, "isEnabled": true, "events": events});
    call!(
        webhooks::handle,
        ctx,
        webhook_event(
            "create-webhook.json",
            env,
            Uuid::nil(),
            None,
            Some(&body),
            ""
        )
    )
    .await
}

fn id(body: &Value, name: &str) -> Uuid {
    body[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} in {body}"))
        .parse()
        .unwrap()
}

/// Both signatures, checked independently of the service's own code.
fn assert_signed(got: &userfields_tests::events::Received, secret: &str) {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(&got.body);
    assert_eq!(
        got.header("x-dynamic-signature-256").unwrap(),
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    );
    use base64::Engine;
    let engine = base64::engine::general_purpose::STANDARD;
    let key = engine
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    let (msg_id, ts) = (
        got.header("webhook-id").unwrap(),
        got.header("webhook-timestamp").unwrap(),
    );
    mac.update(format!("{msg_id}.{ts}.").as_bytes());
    mac.update(&got.body);
    assert_eq!(
        got.header("webhook-signature").unwrap(),
        format!("v1,{}", engine.encode(mac.finalize().into_bytes()))
    );
    assert_eq!(msg_id, got.json()["messageId"].as_str().unwrap());
}

async fn settle(ctx: &AppContext, stream: &mut StreamReader) {
    stream.pump(ctx).await;
    pump_deliveries(ctx).await;
}

#[tokio::test]
async fn changes_reach_the_webhook_once_in_order_signed_and_retried() {
    let ctx = webhooks_context(true).await;
    let env = environment(&ctx).await;
    let other = environment(&ctx).await;
    let receiver = Receiver::start().await;
    let mut stream = StreamReader::new(&ctx).await;

    let req = event_with_body(
        "put-user-field-settings.json",
        &env,
        None,
        &json!({"fields": [
        {"name": "email", "type": "standard"}, {"name": "firstName", "type": "standard", "required": true}]}),
    );
    assert_eq!(call!(user_field_settings::handle, &ctx, req).await.0, 200);
    let (status, hook) = create_hook(&ctx, &env, &receiver.url("/hook"), json!(["*"])).await;
    assert_eq!(status, 201, "{hook}");
    let secret = hook["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));
    let hook_id = id(&hook, "webhookId");
    // Another environment's webhook hears nothing of this one.
    assert_eq!(
        create_hook(&ctx, &other, &receiver.url("/other"), json!(["*"]))
            .await
            .0,
        201
    );

    let (status, created) = create_user(&ctx, &env, json!({"alias": "ada"})).await;
    assert_eq!(status, 201);
    let user = user_id_of(&created);
    assert_eq!(
        update_user(&ctx, &env, user, json!({"firstName": "Ada"}))
            .await
            .0,
        200
    );
    assert_eq!(
        update_user(&ctx, &env, user, json!({"jobTitle": "Engineer"}))
            .await
            .0,
        200
    );
    let deleted = call!(
        userfields::handlers::delete_user::handle,
        &ctx,
        event("delete-user.json", &env, Some(user))
    )
    .await;
    assert_eq!(deleted.0, 204, "{}", deleted.1);
    settle(&ctx, &mut stream).await;
    // A retried stream batch (the same records again) sends nothing twice.
    let mut again = StreamReader::new(&ctx).await;
    settle(&ctx, &mut again).await;

    let got = receiver.at("/hook");
    let names: Vec<String> = got
        .iter()
        .map(|r| r.json()["eventName"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "user.created",
            "user.updated",
            "user.profile.completed",
            "user.updated",
            "user.deleted"
        ],
        "{got:?}"
    );
    for r in &got {
        assert_signed(r, &secret);
        let body = r.json();
        assert_eq!(body["environmentId"], json!(env.id));
        assert_eq!(body["webhookId"], json!(hook_id));
        assert_eq!(body["redelivery"], false);
        assert!(
            body["userId"].is_null(),
            "an API key's change names no user: {body}"
        );
        assert_eq!(body["data"]["id"], json!(user));
    }
    assert_eq!(got[1].json()["changedFields"], json!(["firstName"]));
    assert_eq!(got[3].json()["changedFields"], json!(["jobTitle"]));
    assert!(got[1].json()["apiKeyId"]
        .as_str()
        .is_some_and(|k| env.key.contains(k)));
    let event_ids: std::collections::HashSet<_> =
        got.iter().map(|r| r.json()["eventId"].clone()).collect();
    assert_eq!(event_ids.len(), got.len());
    assert!(receiver.at("/other").is_empty());

    // A receiver that fails twice gets the message on the third attempt (the queue's backoff).
    *receiver.failures.lock().unwrap() = 2;
    let (status, second) =
        create_user(&ctx, &env, json!({"alias": "grace", "firstName": "Grace"})).await;
    assert_eq!(status, 201, "{second}");
    stream.pump(&ctx).await;
    for _ in 0..40 {
        pump_deliveries(&ctx).await;
        if receiver.at("/hook").len() >= got.len() + 4 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let later: Vec<Value> = receiver.at("/hook")[got.len()..]
        .iter()
        .map(|r| r.json())
        .collect();
    let names: Vec<&str> = later
        .iter()
        .map(|b| b["eventName"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "user.created",
            "user.created",
            "user.created",
            "user.profile.completed"
        ],
        "{later:?}"
    );
    assert_eq!(later[2]["messageId"], later[0]["messageId"]);
    let message = id(&later[0], "messageId");
    assert_eq!(later[0]["data"]["id"], json!(user_id_of(&second)));

    // The messages API shows the attempts; a redelivery sends the same message again.
    let (status, listed) = call!(
        webhooks::handle,
        &ctx,
        webhook_event("list-webhook-messages.json", &env, hook_id, None, None, "")
    )
    .await;
    assert_eq!(status, 200, "{listed}");
    let newest = &listed["data"][0];
    assert_eq!(newest["status"], "delivered", "{listed}");
    let first_of_grace = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["messageId"] == json!(message))
        .unwrap();
    assert_eq!(first_of_grace["deliveryAttempt"], 3);
    let (status, deliveries) = call!(
        webhooks::handle,
        &ctx,
        webhook_event(
            "get-webhook-message.json",
            &env,
            hook_id,
            Some(message),
            None,
            ""
        )
    )
    .await;
    assert_eq!(status, 200);
    let codes: Vec<&Value> = deliveries["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["response"]["statusCode"])
        .collect();
    assert_eq!(codes, [&json!(500), &json!(500), &json!(200)]);
    let redo = call!(
        webhooks::handle,
        &ctx,
        webhook_event(
            "redeliver-webhook-message.json",
            &env,
            hook_id,
            Some(message),
            None,
            ""
        )
    )
    .await;
    assert_eq!(redo.0, 202, "{}", redo.1);
    pump_deliveries(&ctx).await;
    let last = receiver.at("/hook").last().unwrap().clone();
    assert_eq!(last.json()["redelivery"], true);
    assert_eq!(last.json()["messageId"], json!(message));
    assert_signed(&last, &secret);

    // A disabled webhook gets nothing.
    let before = receiver.at("/hook").len();
    let off = json!({"url": receiver.url("/hook"), "isEnabled": false, "events": ["*"]});
    let (status, updated) = call!(
        webhooks::handle,
        &ctx,
        webhook_event("update-webhook.json", &env, hook_id, None, Some(&off), "")
    )
    .await;
    assert_eq!(
        (status, updated["isEnabled"].clone()),
        (200, json!(false)),
        "{updated}"
    );
    assert!(
        updated.get("secret").is_none(),
        "only the create and a GET show the secret"
    );
    assert_eq!(
        update_user(
            &ctx,
            &env,
            user_id_of(&second),
            json!({"jobTitle": "Admiral"})
        )
        .await
        .0,
        200
    );
    settle(&ctx, &mut stream).await;
    assert_eq!(receiver.at("/hook").len(), before);
}

#[tokio::test]
async fn an_end_users_change_and_sessions_are_events_too() {
    let ctx = webhooks_context(true).await;
    let env = userfields_tests::sign_in::signin_environment(&ctx).await;
    let receiver = Receiver::start().await;
    let mut stream = StreamReader::new(&ctx).await;
    let (status, _) = create_hook(
        &ctx,
        &env,
        &receiver.url("/s"),
        json!([
            "user.session.created",
            "user.session.revoked",
            "user.updated"
        ]),
    )
    .await;
    assert_eq!(status, 201);
    let signed = userfields_tests::sign_in::sign_in(&ctx, &env, "sessions@example.com").await;
    let user = user_id_of(&signed);
    let revoked = call!(
        userfields::handlers::revoke_user_sessions::handle,
        &ctx,
        event("revoke-user-sessions.json", &env, Some(user))
    )
    .await;
    assert!(revoked.0 < 300, "{}", revoked.1);
    settle(&ctx, &mut stream).await;
    let names: Vec<String> = receiver
        .at("/s")
        .iter()
        .map(|r| r.json()["eventName"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        ["user.session.created", "user.session.revoked"],
        "sign-in changes no field: no user.updated"
    );
    let created = receiver.at("/s")[0].json();
    assert_eq!(created["userId"], json!(user), "the end user triggered it");
    assert!(created["data"]["sessionId"].is_string());
}

#[tokio::test]
async fn webhook_routes_refuse_strangers_and_bad_requests() {
    let ctx = webhooks_context(false).await;
    let env = environment(&ctx).await;
    let other = environment(&ctx).await;
    // In AWS mode a loopback or private target is refused, and http at all.
    for url in [
        "http://127.0.0.1:9/hook",
        "https://10.0.0.8/hook",
        "https://169.254.169.254/latest",
        "http://hooks.example.com/",
    ] {
        assert_error(
            &create_hook(&ctx, &env, url, json!(["*"])).await,
            400,
            "invalid_webhook_url",
            Some("url"),
        );
    }
    assert_error(
        &create_hook(
            &ctx,
            &env,
            "https://hooks.example.com/",
            json!(["user.exploded"]),
        )
        .await,
        400,
        "invalid_events",
        Some("events"),
    );
    let (status, hook) = create_hook(
        &ctx,
        &env,
        "https://hooks.example.com/in",
        json!(["user.created"]),
    )
    .await;
    assert_eq!(status, 201, "{hook}");
    let hook_id = id(&hook, "webhookId");

    let got = call!(
        webhooks::handle,
        &ctx,
        webhook_event("get-webhook.json", &env, hook_id, None, None, "")
    )
    .await;
    assert_eq!(
        (got.0, got.1["secret"].clone()),
        (200, hook["secret"].clone())
    );
    let got = call!(
        webhooks::handle,
        &ctx,
        webhook_event(
            "get-webhook.json",
            &env,
            hook_id,
            None,
            None,
            "includeSecret=false"
        )
    )
    .await;
    assert!(got.1.get("secret").is_none());
    let listed = call!(
        webhooks::handle,
        &ctx,
        webhook_event("list-webhooks.json", &env, Uuid::nil(), None, None, "")
    )
    .await;
    assert_eq!(listed.1["data"].as_array().map(Vec::len), Some(1));
    assert!(listed.1["data"][0].get("secret").is_none());

    // Another environment's key, its own path: 403; its own environment: the webhook is not there.
    let stranger = Env {
        id: env.id,
        key: other.key.clone(),
    };
    assert_error(
        &call!(
            webhooks::handle,
            &ctx,
            webhook_event("get-webhook.json", &stranger, hook_id, None, None, "")
        )
        .await,
        403,
        "forbidden",
        None,
    );
    assert_error(
        &call!(
            webhooks::handle,
            &ctx,
            webhook_event("get-webhook.json", &other, hook_id, None, None, "")
        )
        .await,
        404,
        "not_found",
        Some("webhookId"),
    );
    let nobody = Env {
        id: env.id,
        key: "uf_not_a_key".into(),
    };
    assert_error(
        &call!(
            webhooks::handle,
            &ctx,
            webhook_event("list-webhooks.json", &nobody, Uuid::nil(), None, None, "")
        )
        .await,
        401,
        "unauthorized",
        None,
    );
    assert_error(
        &call!(
            webhooks::handle,
            &ctx,
            webhook_event("delete-webhook.json", &other, hook_id, None, None, "")
        )
        .await,
        404,
        "not_found",
        None,
    );
    assert_error(
        &call!(
            webhooks::handle,
            &ctx,
            webhook_event(
                "list-webhook-messages.json",
                &env,
                hook_id,
                None,
                None,
                "cursor=zz"
            )
        )
        .await,
        400,
        "invalid_cursor",
        None,
    );
    assert_error(
        &call!(
            webhooks::handle,
            &ctx,
            webhook_event(
                "get-webhook-message.json",
                &env,
                hook_id,
                Some(Uuid::new_v4()),
                None,
                ""
            )
        )
        .await,
        404,
        "not_found",
        None,
    );
    for body in [
        json!([]),
        json!(null),
        json!({"url": "https://a.example.com/", "isEnabled": "yes", "events": []}),
        json!({"url": 5}),
    ] {
        let got = call!(
            webhooks::handle,
            &ctx,
            webhook_event(
                "create-webhook.json",
                &env,
                Uuid::nil(),
                None,
                Some(&body),
                ""
            )
        )
        .await;
        assert_eq!(got.0, 400, "{body}: {}", got.1);
    }
    let deleted = call!(
        webhooks::handle,
        &ctx,
        webhook_event("delete-webhook.json", &env, hook_id, None, None, "")
    )
    .await;
    assert_eq!(deleted.0, 204);
    assert_error(
        &call!(
            webhooks::handle,
            &ctx,
            webhook_event("get-webhook.json", &env, hook_id, None, None, "")
        )
        .await,
        404,
        "not_found",
        None,
    );
}

#[tokio::test]
async fn an_external_sign_in_names_the_external_user_in_its_events() {
    use userfields_tests::external_issuer::Issuer;
    let ctx = webhooks_context(true).await;
    let env = userfields_tests::sign_in::signin_environment(&ctx).await;
    let issuer = Issuer::start().await;
    let mut settings = call!(user_field_settings::handle, &ctx, event("get-environment.json", &env, None)).await.1["settings"].clone();
    settings["security"] = json!({"externalAuth": issuer.config()});
    let mut raw: Value = serde_json::from_str(&event_text("put-environment.json", &env, None)).unwrap();
    raw["body"] = json!(settings.to_string());
    assert_eq!(call!(user_field_settings::handle, &ctx, request(&raw.to_string())).await.0, 200);
    let receiver = Receiver::start().await;
    let mut stream = StreamReader::new(&ctx).await;
    assert_eq!(create_hook(&ctx, &env, &receiver.url("/x"), json!(["user.created", "user.session.created"])).await.0, 201);

    let token = issuer.token(&issuer.claims("ext-42", None, false));
    let body = json!({"jwt": token});
    let req = userfields_tests::sign_in::end_user_event("external-auth-signin.json", &env, "", Some(&body), userfields_tests::sign_in::IP);
    let (status, signed) = call!(userfields::handlers::external_auth::handle, &ctx, req).await;
    assert_eq!(status, 200, "{signed}");
    settle(&ctx, &mut stream).await;
    let got: Vec<Value> = receiver.at("/x").iter().map(|r| r.json()).collect();
    let names: Vec<&str> = got.iter().map(|m| m["eventName"].as_str().unwrap()).collect();
    assert_eq!(names, ["user.created", "user.session.created"]);
    for message in &got {
        assert_eq!(message["externalUserId"], "ext-42", "{message}");
    }
}

#[tokio::test]
async fn a_test_event_reaches_one_enabled_webhook_whatever_it_subscribes_to() {
    use userfields::auth::scopes::{Scope, Scopes};
    use userfields::ops::api_keys;
    let ctx = webhooks_context(true).await;
    let env = environment(&ctx).await;
    let other = environment(&ctx).await;
    let receiver = Receiver::start().await;
    let test = |env: &Env, hook: Uuid| webhook_event("test-webhook.json", env, hook, None, None, "");
    let (status, hook) = create_hook(&ctx, &env, &receiver.url("/t"), json!(["user.deleted"])).await;
    assert_eq!(status, 201, "{hook}");
    let (hook_id, secret) = (id(&hook, "webhookId"), hook["secret"].as_str().unwrap().to_string());
    let (status, _) = create_hook(&ctx, &env, &receiver.url("/quiet"), json!(["*"])).await;
    assert_eq!(status, 201);

    let (status, queued) = call!(webhooks::handle, &ctx, test(&env, hook_id)).await;
    assert_eq!(status, 202, "{queued}");
    assert_eq!((queued["eventName"].clone(), queued["status"].clone()), (json!("webhook.test"), json!("pending")));
    pump_deliveries(&ctx).await;
    let got = receiver.at("/t");
    assert_eq!(got.len(), 1, "sent though the webhook subscribes only to user.deleted");
    assert_signed(&got[0], &secret);
    let body = got[0].json();
    assert_eq!(body["eventName"], "webhook.test");
    assert_eq!(body["messageId"], queued["messageId"]);
    assert_eq!(body["data"]["webhookId"], json!(hook_id));
    assert_eq!(body["redelivery"], false);
    assert!(body.get("userId").is_none() && body["apiKeyId"].is_string(), "an API key sent it: {body}");
    assert!(receiver.at("/quiet").is_empty(), "the environment's other webhook hears nothing");
    let (_, messages) = call!(webhooks::handle, &ctx, webhook_event("list-webhook-messages.json", &env, hook_id, None, None, "")).await;
    assert_eq!(messages["data"][0]["status"], "delivered", "{messages}");
    assert_eq!(messages["data"][0]["response"]["statusCode"], 200);

    // Refused: a read-only key, another environment's key or path, an unknown or disabled webhook.
    let reader = api_keys::create_api_key(&ctx.store, env.id, "reader", Scopes::from_iter([Scope::WebhooksRead])).await.unwrap();
    let reader = Env { id: env.id, key: reader.key };
    assert_error(&call!(webhooks::handle, &ctx, test(&reader, hook_id)).await, 403, "insufficient_scope", None);
    let stranger = Env { id: env.id, key: other.key.clone() };
    assert_error(&call!(webhooks::handle, &ctx, test(&stranger, hook_id)).await, 403, "forbidden", None);
    assert_error(&call!(webhooks::handle, &ctx, test(&other, hook_id)).await, 404, "not_found", Some("webhookId"));
    assert_error(&call!(webhooks::handle, &ctx, test(&env, Uuid::new_v4())).await, 404, "not_found", Some("webhookId"));
    let off = json!({"url": receiver.url("/t"), "isEnabled": false, "events": ["user.deleted"]});
    assert_eq!(call!(webhooks::handle, &ctx, webhook_event("update-webhook.json", &env, hook_id, None, Some(&off), "")).await.0, 200);
    assert_error(&call!(webhooks::handle, &ctx, test(&env, hook_id)).await, 409, "webhook_disabled", None);
    let mut get = test(&env, hook_id);
    *get.method_mut() = lambda_http::http::Method::GET;
    assert_eq!(call!(webhooks::handle, &ctx, get).await.0, 405);
    pump_deliveries(&ctx).await;
    assert_eq!(receiver.at("/t").len(), 1, "nothing more was sent");
}

#[tokio::test]
async fn user_deleted_names_who_deleted_not_who_changed_last() {
    use userfields::auth::scopes::{Scope, Scopes};
    use userfields::ops::api_keys;
    let ctx = webhooks_context(true).await;
    let env = environment(&ctx).await;
    let receiver = Receiver::start().await;
    let mut stream = StreamReader::new(&ctx).await;
    let (status, _) = create_hook(&ctx, &env, &receiver.url("/d"), json!(["user.updated", "user.deleted"])).await;
    assert_eq!(status, 201);
    let writer = api_keys::create_api_key(&ctx.store, env.id, "importer", Scopes::from_iter([Scope::UsersRead, Scope::UsersWrite])).await.unwrap();
    let writer = Env { id: env.id, key: writer.key };
    let (_, body) = create_user(&ctx, &writer, json!({"alias": "ada"})).await;
    let user = user_id_of(&body);
    assert_eq!(update_user(&ctx, &writer, user, json!({"alias": "countess"})).await.0, 200);
    let deleted = call!(userfields::handlers::delete_user::handle, &ctx, event("delete-user.json", &env, Some(user))).await;
    assert_eq!(deleted.0, 204, "{}", deleted.1);
    settle(&ctx, &mut stream).await;
    let got: Vec<Value> = receiver.at("/d").iter().map(|r| r.json()).collect();
    let names: Vec<&str> = got.iter().map(|b| b["eventName"].as_str().unwrap()).collect();
    assert_eq!(names, ["user.updated", "user.deleted"], "recording the deleter is no update: {got:?}");
    let key_of = |b: &Value| b["apiKeyId"].as_str().map(str::to_string);
    assert!(key_of(&got[0]).is_some_and(|k| writer.key.contains(&k)), "{}", got[0]);
    assert!(key_of(&got[1]).is_some_and(|k| env.key.contains(&k) && !writer.key.contains(&k)), "{}", got[1]);
}
