//! The SQS event Lambda's event source mapping hands a function, and its partial batch answer.

use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
pub struct SqsEvent {
    #[serde(rename = "Records", default)]
    pub records: Vec<SqsMessage>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SqsMessage {
    pub message_id: String,
    #[serde(default)]
    pub receipt_handle: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub attributes: MessageAttributes,
}

#[derive(Deserialize, Default)]
pub struct MessageAttributes {
    #[serde(rename = "ApproximateReceiveCount", default)]
    pub approximate_receive_count: Option<String>,
}

/// SQS's partial batch response (`ReportBatchItemFailures`).
#[derive(Serialize, Default, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BatchResponse {
    pub batch_item_failures: Vec<ItemFailure>,
}

#[derive(Serialize, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ItemFailure {
    pub item_identifier: String,
}

impl SqsMessage {
    /// How many times the queue has handed this message out (1 the first time).
    pub fn receive_count(&self) -> u32 {
        self.attributes.approximate_receive_count.as_deref().and_then(|c| c.parse().ok()).unwrap_or(1)
    }
}
