//! Dynamic's `WebhooksApi`: `POST`/`GET /environments/{environmentId}/webhooks`,
//! `GET`/`PUT`/`DELETE .../webhooks/{webhookId}`, `GET .../webhooks/{webhookId}/messages`
//! (`{cursor, data}`, newest first), `GET .../messages/{messageId}` (its deliveries) and
//! `POST .../messages/{messageId}/redeliver`, and our `POST .../webhooks/{webhookId}/test` (a
//! `webhook.test` message to that webhook: Dynamic's API has no such route). Reads need
//! `webhooks:read`, changes `webhooks:write`. The secret is in the answer to the create and to a `GET` of that webhook
//! (not with `?includeSecret=false`), never in a listing or a log. Dynamic's generated client
//! declares no bearer security on these methods; the routes require the key all the same.

use crate::auth::scopes::Scope;
use crate::context::prefetch::Reads;
use crate::context::AppContext;
use crate::error::{ApiError, ApiResult};
use crate::http::{empty_response, environment_id, json_body, json_response, known_query, no_such_route, path_uuid, respond};
use crate::model::webhook::WebhookRequest;
use crate::ops::webhooks::{create_webhook, delete_webhook, find_message, find_webhook, redeliver, secret_of, send_test_event, update_webhook};
use crate::store::{Attempt, MessageRecord, WebhookRecord};
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use serde_json::{json, Value};
use uuid::Uuid;

/// Messages per page of the messages listing.
const MESSAGES_PAGE: i32 = 50;

/// Dynamic's `Webhook`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WebhookView<'a> {
    environment_id: Uuid,
    webhook_id: Uuid,
    url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
    version: &'static str,
    events: &'a [String],
    is_enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    enabled_at: Option<String>,
    created_at: String,
    updated_at: String,
}

impl<'a> WebhookView<'a> {
    fn new(record: &'a WebhookRecord, secret: Option<String>) -> Self {
        Self {
            environment_id: record.environment_id,
            webhook_id: record.webhook_id,
            url: &record.url,
            secret,
            version: "v1",
            events: &record.events,
            is_enabled: record.is_enabled,
            enabled_at: record.enabled_at.map(|t| t.to_rfc3339()),
            created_at: record.created_at.to_rfc3339(),
            updated_at: record.updated_at.to_rfc3339(),
        }
    }
}

/// Dynamic's `WebhookMessage`, for a message's latest attempt (or one given attempt).
fn message_view(message: &MessageRecord, attempt: Option<&Attempt>, number: u32) -> Value {
    let mut view = json!({
        "deliveryId": attempt.map_or(message.message_id, |a| a.delivery_id),
        "eventId": message.event_id,
        "messageId": message.message_id,
        "environmentId": message.environment_id,
        "webhookId": message.webhook_id,
        "eventName": message.event_name,
        "status": message.status,
        "messageCreatedAt": message.created_at,
        "eventReceivedAt": message.created_at,
        "eventCreatedAt": message.event_created_at,
        "deliveryAttempt": number,
        "request": { "body": message.body_json() },
        "response": attempt.map_or(json!({}), |a| json!({ "statusCode": a.status_code, "error": a.error, "durationMs": a.duration_ms })),
        "createdAt": message.created_at,
        "updatedAt": message.updated_at,
    });
    if let Some(at) = message.delivered_at {
        view["deliveredAt"] = json!(at);
    }
    if let Some(a) = attempt {
        view["attemptedAt"] = json!(a.at);
        view["redelivery"] = json!(a.redelivery);
    }
    view
}

/// Which route: the path after `.../webhooks`.
enum Route {
    Collection,
    One(Uuid),
    Messages(Uuid),
    Message(Uuid, Uuid),
    Redeliver(Uuid, Uuid),
    Test(Uuid),
}

fn route_of(req: &Request) -> ApiResult<Route> {
    let path = req.raw_http_path();
    let rest: Vec<&str> = path.split("/webhooks").nth(1).unwrap_or_default().split('/').filter(|s| !s.is_empty()).collect();
    let webhook = || path_uuid(req, "webhookId", "webhooks");
    let message = || path_uuid(req, "messageId", "messages");
    Ok(match rest.as_slice() {
        [] => Route::Collection,
        [_] => Route::One(webhook()?),
        [_, "messages"] => Route::Messages(webhook()?),
        [_, "test"] => Route::Test(webhook()?),
        [_, "messages", _] => Route::Message(webhook()?, message()?),
        [_, "messages", _, "redeliver"] => Route::Redeliver(webhook()?, message()?),
        _ => return Err(no_such_route(req)),
    })
}

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(serve(ctx, &req).await)
}

async fn serve(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let env = environment_id(req)?;
    let route = route_of(req)?;
    let write = !matches!(*req.method(), Method::GET);
    let granted = ctx.authorize(req, env, if write { Scope::WebhooksWrite } else { Scope::WebhooksRead }, Reads::default()).await?;
    let allow_loopback = ctx.settings.webhooks_allow_loopback;
    match (req.method(), route) {
        (&Method::POST, Route::Collection) => {
            let spec = json_body::<WebhookRequest>(req)?.parse(allow_loopback)?;
            let (record, secret) = create_webhook(ctx, env, spec).await?;
            tracing::info!(webhook_id = %record.webhook_id, "webhook created");
            Ok(json_response(StatusCode::CREATED, &WebhookView::new(&record, Some(secret))))
        }
        (&Method::GET, Route::Collection) => {
            known_query(req, &[], "bad_request")?;
            let hooks = ctx.store.webhooks(env).await?;
            let data: Vec<WebhookView> = hooks.iter().map(|h| WebhookView::new(h, None)).collect();
            Ok(json_response(StatusCode::OK, &json!({ "data": data })))
        }
        (&Method::GET, Route::One(id)) => {
            let query = known_query(req, &["includeSecret"], "bad_request")?;
            let include = match query.first("includeSecret") {
                None | Some("true") => true,
                Some("false") => false,
                Some(_) => return Err(ApiError::bad_request("bad_request", "includeSecret is true or false.").field("includeSecret")),
            };
            let record = find_webhook(ctx, env, id).await?;
            let secret = if include { Some(secret_of(ctx, &record).await?) } else { None };
            Ok(json_response(StatusCode::OK, &WebhookView::new(&record, secret)))
        }
        (&Method::PUT, Route::One(id)) => {
            let spec = json_body::<WebhookRequest>(req)?.parse(allow_loopback)?;
            let record = update_webhook(ctx, env, id, spec).await?;
            Ok(json_response(StatusCode::OK, &WebhookView::new(&record, None)))
        }
        (&Method::DELETE, Route::One(id)) => {
            delete_webhook(ctx, env, id).await?;
            tracing::info!(webhook_id = %id, "webhook deleted");
            Ok(empty_response(StatusCode::NO_CONTENT))
        }
        (&Method::GET, Route::Messages(id)) => {
            let query = known_query(req, &["cursor"], "bad_request")?;
            let before = query
                .first("cursor")
                .map(|c| c.parse::<Uuid>().map_err(|_| ApiError::bad_request("invalid_cursor", "The cursor is not one this service issued.").field("cursor")))
                .transpose()?;
            find_webhook(ctx, env, id).await?;
            let (messages, more) = ctx.store.messages(env, id, before, MESSAGES_PAGE).await?;
            let data: Vec<Value> = messages.iter().map(|m| message_view(m, m.attempts.last(), m.attempt_count)).collect();
            let mut body = json!({ "data": data });
            if more {
                body["cursor"] = json!(messages.last().map(|m| m.message_id));
            }
            Ok(json_response(StatusCode::OK, &body))
        }
        (&Method::GET, Route::Message(id, message)) => {
            let message = find_message(ctx, env, id, message).await?;
            // The attempts kept, numbered as they were made.
            let first = message.attempt_count.saturating_sub(message.attempts.len() as u32);
            let mut data: Vec<Value> = message.attempts.iter().enumerate().map(|(i, a)| message_view(&message, Some(a), first + i as u32 + 1)).collect();
            if data.is_empty() {
                data.push(message_view(&message, None, 0));
            }
            Ok(json_response(StatusCode::OK, &json!({ "data": data })))
        }
        (&Method::POST, Route::Redeliver(id, message)) => {
            redeliver(ctx, env, id, message).await?;
            Ok(json_response(StatusCode::ACCEPTED, &json!({ "message": "The message is queued for redelivery." })))
        }
        (&Method::POST, Route::Test(id)) => {
            let message = send_test_event(ctx, env, id, granted.actor).await?;
            Ok(json_response(StatusCode::ACCEPTED, &message_view(&message, None, 0)))
        }
        (_, Route::Collection) => Err(ApiError::method_not_allowed("GET or POST")),
        (_, Route::One(_)) => Err(ApiError::method_not_allowed("GET, PUT or DELETE")),
        (_, Route::Redeliver(..) | Route::Test(_)) => Err(ApiError::method_not_allowed("POST")),
        _ => Err(ApiError::method_not_allowed("GET")),
    }
}
