//! Delivering one webhook message: the body stored with it, signed (`events::signature`), POSTed
//! (`events::send`), the attempt recorded on the message. A failure is retried by the queue: the
//! message's visibility is set to the backoff (30 s doubling, at most 12 h: thirteen attempts over
//! about 29 hours), and after the last attempt the message is marked failed and left to the
//! queue's redrive, which parks it in the dead-letter queue.

use crate::context::AppContext;
use crate::events::send::{post, Sent};
use crate::events::signature::{dynamic_signature, standard_signature};
use crate::model::values::Timestamp;
use crate::model::webhook::WebhookUrl;
use crate::ops::events::DeliveryJob;
use crate::ops::webhooks::secret_of;
use crate::store::{Attempt, MessageRecord, MessageStatus};
use hyper::body::Bytes;
use std::time::Instant;
use uuid::Uuid;

/// Attempts before a message is given up (the queue's `maxReceiveCount` in template.yaml).
pub const MAX_DELIVERY_ATTEMPTS: u32 = 13;
/// SQS's longest visibility timeout.
const MAX_BACKOFF_SECONDS: u64 = 43_200;

/// What the queue should do with the message.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Delete it: delivered, or nothing left to deliver to.
    Done,
    /// Receive it again after this many seconds.
    RetryAfter(u64),
}

/// The wait after failed attempt `attempt` (1-based): `base` seconds doubling, at most 12 h.
pub fn backoff_seconds(base: u64, attempt: u32) -> u64 {
    base.saturating_mul(1u64 << (attempt.saturating_sub(1)).min(20)).min(MAX_BACKOFF_SECONDS)
}

pub async fn deliver(ctx: &AppContext, job: &DeliveryJob, receive_count: u32) -> Result<Outcome, String> {
    let Some(mut message) = ctx.store.message(job.environment_id, job.webhook_id, job.message_id).await.map_err(|e| e.to_string())? else {
        return Ok(Outcome::Done); // expired, or never stored
    };
    if message.status == MessageStatus::Delivered && !job.redelivery {
        return Ok(Outcome::Done); // queued twice (a retried stream batch)
    }
    let hook = ctx.store.webhook(job.environment_id, job.webhook_id).await.map_err(|e| e.to_string())?;
    let Some(hook) = hook.filter(|h| h.is_enabled) else {
        return Ok(Outcome::Done); // deleted or disabled since: it gets nothing
    };
    let allow_loopback = ctx.settings.webhooks_allow_loopback;
    let started = Instant::now();
    let sent = match WebhookUrl::parse(&hook.url, allow_loopback) {
        Err(e) => Sent::Failed(e.message),
        Ok(url) => {
            let secret = secret_of(ctx, &hook).await.map_err(|e| e.message)?;
            let body = body_for(&message, job.redelivery);
            let id = message.message_id.to_string();
            let now = Timestamp::now().unix();
            let headers = [
                ("content-type", "application/json".to_string()),
                ("user-agent", "userfields-webhooks/1".to_string()),
                ("x-dynamic-signature-256", dynamic_signature(&secret, &body)),
                ("webhook-id", id.clone()),
                ("webhook-timestamp", now.to_string()),
                ("webhook-signature", standard_signature(&secret, &id, now, &body)),
            ];
            post(&url, allow_loopback, &headers, body).await
        }
    };
    let (status_code, error) = match &sent {
        Sent::Answered(code) if (200..300).contains(code) => (Some(*code), None),
        Sent::Answered(code) => (Some(*code), Some(format!("the receiver answered {code}"))),
        Sent::Failed(why) => (None, Some(why.clone())),
    };
    let delivered = error.is_none();
    let attempt = Attempt {
        delivery_id: Uuid::now_v7(),
        at: Timestamp::now(),
        status_code,
        error,
        duration_ms: started.elapsed().as_millis() as u64,
        redelivery: job.redelivery,
    };
    let last = receive_count >= MAX_DELIVERY_ATTEMPTS;
    let status = match (delivered, last) {
        (true, _) => MessageStatus::Delivered,
        (false, true) => MessageStatus::Failed,
        // A redelivery that fails leaves a delivered message delivered (its first send was).
        (false, false) if message.status == MessageStatus::Delivered => MessageStatus::Delivered,
        (false, false) => MessageStatus::Pending,
    };
    message.record(attempt, status);
    ctx.store.put_message(&message).await.map_err(|e| e.to_string())?;
    tracing::info!(message_id = %message.message_id, webhook_id = %hook.webhook_id, delivered, status_code, attempt = receive_count, "webhook delivery");
    Ok(if delivered { Outcome::Done } else { Outcome::RetryAfter(backoff_seconds(ctx.settings.webhook_retry_base_seconds, receive_count)) })
}

/// The stored body with `redelivery` set for this send.
fn body_for(message: &MessageRecord, redelivery: bool) -> Bytes {
    let mut body = message.body_json();
    if let Some(map) = body.as_object_mut() {
        map.insert("redelivery".into(), serde_json::Value::Bool(redelivery));
    }
    Bytes::from(body.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_twelve_hours_over_about_a_day() {
        assert_eq!(backoff_seconds(30, 1), 30);
        assert_eq!(backoff_seconds(30, 2), 60);
        assert_eq!(backoff_seconds(30, 11), 30_720);
        assert_eq!(backoff_seconds(30, 12), 43_200);
        assert_eq!(backoff_seconds(30, 99), 43_200);
        let total: u64 = (1..MAX_DELIVERY_ATTEMPTS).map(|n| backoff_seconds(30, n)).sum();
        assert!((20 * 3600..40 * 3600).contains(&total), "{total}");
    }
}
