//! The export worker: an SQS event source's batch of export jobs (`ops::exports::run_export`).
//! A job worth retrying is reported back as a batch item failure, so SQS redelivers that one
//! message after its visibility timeout; after the queue's receive limit it moves to the
//! dead-letter queue. (Locally, `scripts/local_poller.py` hands queue messages over as the event
//! source mapping would.)

use crate::context::AppContext;
use crate::ops::exports::{run_export, ExportJob, RunError};
use super::sqs::{BatchResponse, ItemFailure, SqsEvent};

pub async fn handle(ctx: &AppContext, event: SqsEvent) -> BatchResponse {
    let mut response = BatchResponse::default();
    for message in event.records {
        let Ok(job) = serde_json::from_str::<ExportJob>(&message.body) else {
            // Nothing can ever run it: drop it rather than cycle it to the dead-letter queue.
            tracing::error!(message_id = %message.message_id, "export job does not parse; dropped");
            continue;
        };
        let attempt = message.attributes.approximate_receive_count.and_then(|c| c.parse().ok()).unwrap_or(1);
        if let Err(RunError::Retry(why)) = run_export(ctx, &job, attempt).await {
            tracing::warn!(export_id = %job.export_id, attempt, error = %why, "export will be retried");
            response.batch_item_failures.push(ItemFailure { item_identifier: message.message_id });
        }
    }
    response
}
