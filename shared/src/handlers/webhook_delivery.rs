//! The delivery function: a batch of the webhook queue (`ops::deliver`). A message to retry gets
//! its visibility timeout set to its backoff and is reported as a batch item failure, so the
//! queue hands it out again then (and after its receive limit moves it to the dead-letter queue).

use super::sqs::{BatchResponse, ItemFailure, SqsEvent};
use crate::context::AppContext;
use crate::ops::deliver::{deliver, Outcome};
use crate::ops::events::DeliveryJob;

pub async fn handle(ctx: &AppContext, event: SqsEvent) -> BatchResponse {
    let mut response = BatchResponse::default();
    for message in event.records {
        let Ok(job) = serde_json::from_str::<DeliveryJob>(&message.body) else {
            tracing::error!(message_id = %message.message_id, "delivery job does not parse; dropped");
            continue;
        };
        let retry = match deliver(ctx, &job, message.receive_count()).await {
            Ok(Outcome::Done) => continue,
            Ok(Outcome::RetryAfter(seconds)) => Some(seconds),
            Err(why) => {
                tracing::warn!(message_id = %job.message_id, error = %why, "delivery failed before sending; retried");
                None
            }
        };
        if let (Some(seconds), Some(queue)) = (retry, ctx.settings.webhook_queue_url.as_deref()) {
            let visibility = ctx.event_clients().sqs.change_message_visibility().queue_url(queue).receipt_handle(&message.receipt_handle);
            // At most 12 h, SQS's longest: backoff_seconds caps it.
            if let Err(e) = visibility.visibility_timeout(seconds as i32).send().await {
                tracing::warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(&e), "backoff not set; the queue's visibility timeout applies");
            }
        }
        response.batch_item_failures.push(ItemFailure { item_identifier: message.message_id });
    }
    response
}
