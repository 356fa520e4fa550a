//! One batch of the table's stream: its events published to the EventBridge bus, and a message
//! for every enabled webhook of the event's environment that subscribes to it, stored (with the
//! exact body it will be sent) and queued for delivery. Idempotent, so Lambda may retry a batch:
//! event and message ids derive from the stream record, a message already stored is not stored
//! again, and the FIFO queue drops a message queued twice within its deduplication window (the
//! delivery skips one already delivered after that).

use crate::context::AppContext;
use crate::events::derive::{events, subject, Subject};
use crate::events::stream::StreamEvent;
use crate::events::Event;
use crate::model::field_settings::FieldSettings;
use crate::model::values::Timestamp;
use crate::store::{MessageRecord, MessageStatus, WebhookRecord, MESSAGE_DAYS};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// The `source` of every event on the bus (what an operator's rule matches).
pub const EVENT_SOURCE: &str = "userfields";
/// PutEvents takes at most ten entries.
const PUT_EVENTS_BATCH: usize = 10;

/// What the delivery queue carries: which message to send (its body is in the table).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryJob {
    pub environment_id: Uuid,
    pub webhook_id: Uuid,
    pub message_id: Uuid,
    #[serde(default)]
    pub redelivery: bool,
}

/// The event as the bus and the webhook body carry it: `userId` is who triggered it (an end
/// user; absent for an API key, which `apiKeyId` names instead).
pub fn event_detail(event: &Event) -> Value {
    let mut detail = json!({
        "eventId": event.event_id,
        "eventName": event.event_name,
        "environmentId": event.environment_id,
        "timestamp": event.timestamp,
        "data": event.data,
    });
    if let Some(user) = event.triggering_user() {
        detail["userId"] = json!(user);
    }
    if let Some(key) = event.api_key_id() {
        detail["apiKeyId"] = json!(key);
    }
    if let Some(external) = &event.external_user_id {
        detail["externalUserId"] = json!(external);
    }
    if let Some(changed) = &event.changed_fields {
        detail["changedFields"] = json!(changed);
    }
    detail
}

/// A message id: time-ordered (UUIDv7 from the event's time, so a webhook's messages list in
/// order) and derived from the event and the webhook (so a retried batch makes the same one).
pub fn message_id(event: &Event, webhook: Uuid) -> Uuid {
    let millis = event.timestamp.unix_millis().max(0) as u64;
    let hash = Uuid::new_v5(&event.event_id, webhook.as_bytes());
    let mut bytes = [0u8; 10];
    bytes.copy_from_slice(&hash.as_bytes()[..10]);
    uuid::Builder::from_unix_timestamp_millis(millis, &bytes).into_uuid()
}

/// Handles one stream batch. `Err`: something AWS refused or failed; the batch is retried
/// (and bisected) by the event source mapping.
pub async fn handle_stream(ctx: &AppContext, batch: StreamEvent) -> Result<usize, String> {
    let mut fields: HashMap<Uuid, Arc<FieldSettings>> = HashMap::new();
    let mut hooks: HashMap<Uuid, Vec<WebhookRecord>> = HashMap::new();
    let mut all = Vec::new();
    for record in &batch.records {
        let Some(subject) = subject(record) else { continue };
        let env = match &subject {
            Subject::User { env, .. } | Subject::Session { env, .. } => *env,
        };
        if !fields.contains_key(&env) {
            let compiled = ctx.fresh_fields(env).await.map_err(|e| e.to_string())?;
            fields.insert(env, compiled.settings);
        }
        all.extend(events(record, &subject, &fields[&env]));
    }
    publish_to_bus(ctx, &all).await?;
    for event in &all {
        let env = event.environment_id;
        if !hooks.contains_key(&env) {
            hooks.insert(env, ctx.store.webhooks(env).await.map_err(|e| e.to_string())?);
        }
        for hook in hooks[&env].iter().filter(|h| h.wants(event.event_name)) {
            enqueue(ctx, event, hook).await?;
        }
    }
    Ok(all.len())
}

async fn publish_to_bus(ctx: &AppContext, all: &[Event]) -> Result<(), String> {
    let Some(bus) = ctx.settings.event_bus_name.as_deref() else { return Ok(()) };
    for chunk in all.chunks(PUT_EVENTS_BATCH) {
        let entries = chunk.iter().map(|event| {
            aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
                .event_bus_name(bus)
                .source(EVENT_SOURCE)
                .detail_type(event.event_name)
                .detail(event_detail(event).to_string())
                .resources(format!("userfields:environment/{}/user/{}", event.environment_id, event.subject_user_id))
                .build()
        });
        let out = ctx
            .event_clients()
            .events
            .put_events()
            .set_entries(Some(entries.collect()))
            .send()
            .await
            .map_err(|e| format!("PutEvents: {}", aws_sdk_eventbridge::error::DisplayErrorContext(&e)))?;
        if out.failed_entry_count > 0 {
            return Err(format!("PutEvents: {} of {} entries failed", out.failed_entry_count, chunk.len()));
        }
    }
    Ok(())
}

/// Stores the event's message for `hook` and queues it.
async fn enqueue(ctx: &AppContext, event: &Event, hook: &WebhookRecord) -> Result<(), String> {
    let queue = ctx.settings.webhook_queue_url.as_deref().ok_or("WEBHOOK_QUEUE_URL is not set")?;
    let record = pending_message(event, hook.webhook_id, Timestamp::now());
    ctx.store.put_new_message(&record).await.map_err(|e| e.to_string())?;
    let job = DeliveryJob { environment_id: event.environment_id, webhook_id: hook.webhook_id, message_id: record.message_id, redelivery: false };
    queue_job(ctx, queue, &job, event.subject_user_id, &record.message_id.to_string()).await
}

/// The event's message for the webhook, pending: its body the event's detail with the message's
/// and the webhook's ids, its id derived from both (a retried batch makes the same one).
pub fn pending_message(event: &Event, webhook_id: Uuid, now: Timestamp) -> MessageRecord {
    let id = message_id(event, webhook_id);
    let mut body = event_detail(event);
    body["messageId"] = json!(id);
    body["webhookId"] = json!(webhook_id);
    MessageRecord {
        message_id: id,
        event_id: event.event_id,
        event_name: event.event_name.to_string(),
        environment_id: event.environment_id,
        webhook_id,
        status: MessageStatus::Pending,
        body: body.to_string(),
        event_created_at: event.timestamp,
        created_at: now,
        updated_at: now,
        delivered_at: None,
        attempts: Vec::new(),
        attempt_count: 0,
        ttl: now.plus_seconds(MESSAGE_DAYS * 86_400).unix(),
    }
}

/// Queues a delivery. One FIFO group per webhook and user: a user's events reach each webhook
/// in order, and one failing receiver holds up only its own messages.
pub async fn queue_job(ctx: &AppContext, queue: &str, job: &DeliveryJob, user: Uuid, dedup: &str) -> Result<(), String> {
    ctx.event_clients()
        .sqs
        .send_message()
        .queue_url(queue)
        .message_body(serde_json::to_string(job).unwrap_or_default())
        .message_group_id(format!("{}#{user}", job.webhook_id))
        .message_deduplication_id(dedup)
        .send()
        .await
        .map_err(|e| format!("SendMessage: {}", aws_sdk_sqs::error::DisplayErrorContext(&e)))?;
    Ok(())
}
