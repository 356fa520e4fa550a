//! The stream function: a batch of the table's DynamoDB Stream (`ops::events::handle_stream`).
//! A failure reports the batch's first record as failed (`ReportBatchItemFailures`), so Lambda
//! retries from there (and, bisecting, narrows a bad record down); the work is idempotent.
//! (Locally, `scripts/local_poller.py --stream` hands stream records over as the mapping would.)

use super::sqs::{BatchResponse, ItemFailure};
use crate::context::AppContext;
use crate::events::stream::StreamEvent;
use crate::ops::events::handle_stream;

pub async fn handle(ctx: &AppContext, event: StreamEvent) -> BatchResponse {
    let first = event.records.first().map(|r| r.dynamodb.sequence_number.clone());
    match handle_stream(ctx, event).await {
        Ok(count) => {
            if count > 0 {
                tracing::info!(events = count, "events published");
            }
            BatchResponse::default()
        }
        Err(why) => {
            tracing::error!(error = %why, "stream batch failed; it will be retried");
            BatchResponse { batch_item_failures: first.into_iter().map(|item_identifier| ItemFailure { item_identifier }).collect() }
        }
    }
}
