//! Exports as Dynamic's ExportsApi has them, against moto's S3 and SQS: the request queues the
//! work, the worker (fed the queue's message as the event source would) streams the CSV into a
//! multipart upload, the download is a presigned link.

use serde_json::{json, Value};
use userfields::context::AppContext;
use userfields::handlers::{export_worker, exports};
use userfields_tests::*;
use uuid::Uuid;

fn export_event(fixture: &str, env: &Env, id: &str) -> lambda_http::Request {
    let mut raw: Value = serde_json::from_str(&event_text(fixture, env, None)).unwrap();
    raw["pathParameters"]["exportId"] = json!(id);
    let path = raw["rawPath"].as_str().unwrap().replace(&Uuid::nil().to_string(), id);
    raw["rawPath"] = json!(path);
    raw["requestContext"]["http"]["path"] = json!(path);
    request(&raw.to_string())
}

async fn create(ctx: &AppContext, env: &Env) -> (u16, Value) {
    call!(exports::handle, ctx, event("create-export.json", env, None)).await
}

/// Hands the context's queued jobs to the worker as the SQS event source would, `attempt`
/// being the receive count; the failures it reports.
async fn run_worker(ctx: &AppContext, attempt: u32) -> Value {
    let url = ctx.settings.export_queue_url.clone().unwrap();
    let received = ctx.export_clients().sqs.receive_message().queue_url(&url).max_number_of_messages(10).send().await.unwrap();
    let records: Vec<Value> = received
        .messages()
        .iter()
        .map(|m| json!({"messageId": m.message_id(), "body": m.body(), "attributes": {"ApproximateReceiveCount": attempt.to_string()}}))
        .collect();
    assert!(!records.is_empty(), "a job was queued");
    for m in received.messages() {
        ctx.export_clients().sqs.delete_message().queue_url(&url).receipt_handle(m.receipt_handle().unwrap()).send().await.unwrap();
    }
    let event = serde_json::from_value(json!({ "Records": records })).unwrap();
    serde_json::to_value(export_worker::handle(ctx, event).await).unwrap()
}

#[tokio::test]
async fn an_export_runs_through_the_queue_into_a_presigned_csv() {
    let ctx = context().await;
    exports_ready(&ctx).await;
    let env = environment(&ctx).await;
    let (_, formula) = create_user(&ctx, &env, json!({"alias": "=HYPERLINK(\"http://evil\")", "firstName": "Ada"})).await;
    for i in 0..149 {
        assert_eq!(create_user(&ctx, &env, json!({"alias": format!("user-{i}")})).await.0, 201);
    }

    let (status, created) = create(&ctx, &env).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!((created["status"].as_str(), created["format"].as_str(), created["model"].as_str()), (Some("pending"), Some("csv"), Some("users")));
    let id = created["id"].as_str().unwrap().to_string();
    let early = call!(exports::handle, &ctx, export_event("download-export.json", &env, &id)).await;
    assert_error(&early, 409, "export_not_ready", None);

    assert_eq!(run_worker(&ctx, 1).await, json!({"batchItemFailures": []}));
    let (status, done) = call!(exports::handle, &ctx, export_event("get-export.json", &env, &id)).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!((done["status"].as_str(), done["userCount"].as_u64()), (Some("completed"), Some(150)));
    assert!(done["completedAt"].is_string() && done["startedAt"].is_string());
    assert_eq!(done["downloadUrl"], format!("/environments/{}/exports/{id}/download", env.id));
    let (_, listed) = call!(exports::handle, &ctx, event("list-exports.json", &env, None)).await;
    assert_eq!(listed["exports"][0]["id"], json!(id));

    let resp = exports::handle(&ctx, export_event("download-export.json", &env, &id)).await;
    assert_eq!(resp.status(), 302);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    assert!(location.contains("X-Amz-Signature=") && location.contains("X-Amz-Expires=300"), "{location}");
    let (status, csv_text) = http_get(&location).await;
    assert_eq!(status, 200, "{csv_text}");
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header = reader.headers().unwrap().clone();
    let alias = header.iter().position(|h| h == "alias").unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 150);
    let formula_row = rows.iter().find(|r| r[0] == *user_id_of(&formula).to_string()).unwrap();
    assert_eq!(&formula_row[alias], "'=HYPERLINK(\"http://evil\")", "a formula cell is neutralised");

    // The same message again (SQS delivers at least once): nothing runs twice.
    let again: Value = serde_json::to_value(
        export_worker::handle(&ctx, serde_json::from_value(json!({"Records": [{"messageId": "m", "body": json!({"environmentId": env.id, "exportId": id}).to_string()}]})).unwrap()).await,
    )
    .unwrap();
    assert_eq!(again, json!({"batchItemFailures": []}));
    let (_, still) = call!(exports::handle, &ctx, export_event("get-export.json", &env, &id)).await;
    assert_eq!(still["completedAt"], done["completedAt"]);
}

#[tokio::test]
async fn a_failing_upload_is_retried_by_the_queue_then_marked_failed() {
    let mut ctx = context().await;
    exports_ready(&ctx).await;
    ctx.settings.export_bucket = Some(format!("no-such-bucket-{}", Uuid::new_v4().simple()));
    let env = environment(&ctx).await;
    let (_, created) = create(&ctx, &env).await;
    let id = created["id"].as_str().unwrap().to_string();
    let job = json!({"environmentId": env.id, "exportId": id}).to_string();
    let message = |attempt: u32| serde_json::from_value(json!({"Records": [{"messageId": "m1", "body": job, "attributes": {"ApproximateReceiveCount": attempt.to_string()}}]})).unwrap();
    let first = serde_json::to_value(export_worker::handle(&ctx, message(1)).await).unwrap();
    assert_eq!(first, json!({"batchItemFailures": [{"itemIdentifier": "m1"}]}), "SQS redelivers it");
    let (_, pending) = call!(exports::handle, &ctx, export_event("get-export.json", &env, &id)).await;
    assert_eq!(pending["status"], "pending");
    let last = serde_json::to_value(export_worker::handle(&ctx, message(3)).await).unwrap();
    assert_eq!(last, json!({"batchItemFailures": []}));
    let (_, failed) = call!(exports::handle, &ctx, export_event("get-export.json", &env, &id)).await;
    assert_eq!(failed["status"], "failed");
    assert!(failed["error"].as_str().is_some_and(|e| !e.contains("bucket")), "no internals in the answer: {failed}");
    assert_error(&call!(exports::handle, &ctx, export_event("download-export.json", &env, &id)).await, 409, "export_failed", None);
    // A message nothing can run is dropped, not cycled to the dead-letter queue.
    let junk = serde_json::from_value(json!({"Records": [{"messageId": "m2", "body": "not json"}]})).unwrap();
    assert_eq!(serde_json::to_value(export_worker::handle(&ctx, junk).await).unwrap(), json!({"batchItemFailures": []}));
}

#[tokio::test]
async fn strangers_and_bad_requests_get_clear_refusals() {
    let ctx = context().await;
    exports_ready(&ctx).await;
    let a = environment(&ctx).await;
    let b = environment(&ctx).await;
    let (_, created) = create(&ctx, &a).await;
    let id = created["id"].as_str().unwrap().to_string();

    let b_on_a = Env { id: a.id, key: b.key.clone() };
    assert_error(&create(&ctx, &b_on_a).await, 403, "forbidden", None);
    assert_error(&call!(exports::handle, &ctx, export_event("get-export.json", &b_on_a, &id)).await, 403, "forbidden", None);
    assert_error(&call!(exports::handle, &ctx, export_event("get-export.json", &b, &id)).await, 404, "not_found", Some("exportId"));
    assert_error(&call!(exports::handle, &ctx, export_event("download-export.json", &b, &id)).await, 404, "not_found", Some("exportId"));
    let (_, b_list) = call!(exports::handle, &ctx, event("list-exports.json", &b, None)).await;
    assert_eq!(b_list, json!({"exports": []}));
    let nobody = Env { id: a.id, key: "uf_nope".into() };
    assert_error(&call!(exports::handle, &ctx, event("list-exports.json", &nobody, None)).await, 401, "unauthorized", None);
    assert_error(&call!(exports::handle, &ctx, export_event("get-export.json", &a, "nope")).await, 400, "invalid_uuid", Some("exportId"));
    assert_error(&call!(exports::handle, &ctx, export_event("get-export.json", &a, &Uuid::new_v4().to_string())).await, 404, "not_found", None);
    for (body, code) in [
        (json!({"format": "xlsx", "model": "users"}), "unsupported_export_format"),
        (json!({"format": "csv", "model": "visits"}), "unsupported_export_model"),
        (json!({"format": "csv", "model": "users", "filter": {}}), "bad_request"),
        (json!({"format": "csv"}), "bad_request"),
        (json!([]), "bad_request"),
    ] {
        let got = call!(exports::handle, &ctx, event_with_body("create-export.json", &a, None, &body)).await;
        assert_error(&got, 400, code, None);
    }
    let reader = userfields::ops::api_keys::create_api_key(&ctx.store, a.id, "s", userfields::auth::scopes::Scopes::parse_list(&["settings:read"]).unwrap()).await.unwrap();
    let settings_only = Env { id: a.id, key: reader.key };
    assert_error(&create(&ctx, &settings_only).await, 403, "insufficient_scope", None);
}
