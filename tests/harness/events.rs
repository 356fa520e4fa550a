//! The local stand-ins for Lambda's event source mappings, for the events tests: the table's
//! stream read from moto and handed to the stream function's handler, the webhook queue's
//! messages handed to the delivery handler (deleting what it did not report failed), as the
//! mappings would. And a webhook receiver on loopback that records what it is sent.

use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use userfields::aws::json_service::{JsonService, Protocol};
use userfields::context::AppContext;

const STREAMS: Protocol = Protocol {
    signing_name: "dynamodb",
    target_prefix: "DynamoDBStreams_20120810",
    content_type: "application/x-amz-json-1.0",
};

/// Reads the table's stream from its start, shard by shard. Each read takes a fresh iterator
/// after the last record seen: moto replaces a table's stream shard when it rolls back a
/// cancelled transaction, and an older iterator would read the replaced one.
pub struct StreamReader {
    streams: JsonService,
    arn: String,
    /// Per shard: the last sequence number handed over.
    shards: Vec<(String, Option<String>)>,
}

impl StreamReader {
    pub async fn new(ctx: &AppContext) -> Self {
        let sdk = super::test_sdk(&super::endpoint()).await;
        let dynamodb = userfields::aws::dynamodb(&sdk);
        let table: Value = dynamodb.call("DescribeTable", &json!({"TableName": ctx.store.table_name()})).await.expect("table described");
        let arn = table["Table"]["LatestStreamArn"].as_str().expect("the table has a stream").to_string();
        let streams = JsonService::new(STREAMS, Some(super::endpoint()), Some("us-east-1".into()), sdk.credentials_provider());
        let described: Value = streams.call("DescribeStream", &json!({"StreamArn": arn})).await.expect("stream described");
        let shards = described["StreamDescription"]["Shards"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|s| (s["ShardId"].as_str().unwrap().to_string(), None))
            .collect();
        Self { streams, arn, shards }
    }

    /// Hands every record written since the last call to the stream function, in batches per
    /// shard; the events it derived are published and queued. The records handed over.
    pub async fn pump(&mut self, ctx: &AppContext) -> usize {
        let mut records = 0;
        for (shard, last) in self.shards.iter_mut() {
            loop {
                let position = match last {
                    Some(seq) => json!({"StreamArn": self.arn, "ShardId": shard, "ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": seq}),
                    None => json!({"StreamArn": self.arn, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"}),
                };
                let it: Value = self.streams.call("GetShardIterator", &position).await.expect("shard iterator");
                let got: Value = self.streams.call("GetRecords", &json!({"ShardIterator": it["ShardIterator"]})).await.expect("stream records");
                let batch = got["Records"].as_array().cloned().unwrap_or_default();
                let Some(newest) = batch.last() else { break };
                *last = newest["dynamodb"]["SequenceNumber"].as_str().map(str::to_string);
                records += batch.len();
                let event = serde_json::from_value(json!({ "Records": batch })).expect("stream records parse as Lambda's event");
                let answer = userfields::handlers::user_events::handle(ctx, event).await;
                assert!(answer.batch_item_failures.is_empty(), "the stream batch failed: {answer:?}");
            }
        }
        records
    }
}

/// Hands the webhook queue's visible messages to the delivery function, one at a time; deletes
/// each it did not report failed. The number handed over.
pub async fn pump_deliveries(ctx: &AppContext) -> usize {
    let sqs = &ctx.event_clients().sqs;
    let queue = ctx.settings.webhook_queue_url.clone().unwrap();
    let mut handed = 0;
    loop {
        let got = sqs
            .receive_message()
            .queue_url(&queue)
            .max_number_of_messages(1)
            .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
            .send()
            .await
            .expect("receive");
        let Some(message) = got.messages.unwrap_or_default().into_iter().next() else {
            return handed;
        };
        handed += 1;
        let count = message
            .attributes
            .as_ref()
            .and_then(|a| {
                a.get(&aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount)
            })
            .cloned()
            .unwrap_or_else(|| "1".into());
        let id = message.message_id.clone().unwrap();
        let event = serde_json::from_value(json!({"Records": [{
            "messageId": id, "receiptHandle": message.receipt_handle, "body": message.body,
            "attributes": {"ApproximateReceiveCount": count}, "eventSource": "aws:sqs",
        }]}))
        .unwrap();
        let answer = userfields::handlers::webhook_delivery::handle(ctx, event).await;
        if answer.batch_item_failures.is_empty() {
            sqs.delete_message()
                .queue_url(&queue)
                .receipt_handle(message.receipt_handle.unwrap())
                .send()
                .await
                .expect("delete");
        }
    }
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// A webhook receiver on 127.0.0.1: records each POST; answers 500 while `failures` lasts.
#[derive(Clone)]
pub struct Receiver {
    pub port: u16,
    pub got: Arc<Mutex<Vec<Received>>>,
    pub failures: Arc<Mutex<usize>>,
}

impl Receiver {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let receiver = Self {
            port: listener.local_addr().unwrap().port(),
            got: Default::default(),
            failures: Default::default(),
        };
        let me = receiver.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let me = me.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 8192];
                    let (head_end, length) = loop {
                        let Ok(n) = socket.read(&mut chunk).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            let head = String::from_utf8_lossy(&buf[..end]).to_string();
                            let length = head
                                .lines()
                                .find_map(|l| {
                                    l.to_ascii_lowercase()
                                        .strip_prefix("content-length:")
                                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                                })
                                .unwrap_or(0);
                            break (end + 4, length);
                        }
                    };
                    while buf.len() < head_end + length {
                        let Ok(n) = socket.read(&mut chunk).await else {
                            return;
                        };
                        if n == 0 {
                            break;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                    }
                    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                    let mut lines = head.lines();
                    let path = lines
                        .next()
                        .unwrap_or_default()
                        .split(' ')
                        .nth(1)
                        .unwrap_or_default()
                        .to_string();
                    let headers = lines
                        .filter_map(|l| l.split_once(':'))
                        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                        .collect();
                    me.got.lock().unwrap().push(Received {
                        path,
                        headers,
                        body: buf[head_end..head_end + length.min(buf.len() - head_end)].to_vec(),
                    });
                    let fail = {
                        let mut left = me.failures.lock().unwrap();
                        let fail = *left > 0;
                        *left = left.saturating_sub(1);
                        fail
                    };
                    let status = if fail {
                        "500 Internal Server Error"
                    } else {
                        "200 OK"
                    };
                    let _ = socket.write_all(format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").as_bytes()).await;
                });
            }
        });
        receiver
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// What arrived at `path`, in order.
    pub fn at(&self, path: &str) -> Vec<Received> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }
}
