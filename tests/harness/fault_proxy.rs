//! A loopback HTTP proxy in front of the test server that answers chosen DynamoDB operations
//! with a throttling error, to test what a handler leaves behind when a call fails mid-request.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub struct FaultProxy {
    pub endpoint: String,
    /// How many requests were refused.
    pub refused: Arc<AtomicUsize>,
}

/// Runs before a matching call is forwarded (with the call's target).
pub type Hook = Arc<dyn Fn(&str) + Send + Sync>;

/// Starts a proxy to `upstream` (host:port) that throttles every DynamoDB call whose
/// `X-Amz-Target` ends with one of `fail_targets` (e.g. "TransactWriteItems").
pub async fn start(upstream: String, fail_targets: &'static [&'static str]) -> FaultProxy {
    start_with(upstream, fail_targets, None).await
}

/// A proxy that forwards every call, running `hook` first: to change what a handler's caches
/// hold while its call is in flight.
pub async fn start_hooked(upstream: String, hook: Hook) -> FaultProxy {
    start_with(upstream, &[], Some(hook)).await
}

async fn start_with(upstream: String, fail_targets: &'static [&'static str], hook: Option<Hook>) -> FaultProxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let refused = Arc::new(AtomicUsize::new(0));
    let counter = refused.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let (upstream, counter, hook) = (upstream.clone(), counter.clone(), hook.clone());
            tokio::spawn(async move {
                let _ = serve(client, &upstream, fail_targets, &counter, hook.as_ref()).await;
            });
        }
    });
    FaultProxy { endpoint, refused }
}

async fn read_request(client: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return Ok(buf);
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            while buf.len() < end + 4 + length {
                let n = client.read(&mut chunk).await?;
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Ok(buf);
        }
    }
}

async fn serve(mut client: TcpStream, upstream: &str, fail: &[&str], refused: &AtomicUsize, hook: Option<&Hook>) -> std::io::Result<()> {
    // One request per connection: every answer says `connection: close`.
    let request = read_request(&mut client).await?;
    if request.is_empty() {
        return Ok(());
    }
    let head = String::from_utf8_lossy(&request).to_ascii_lowercase();
    let target = head.lines().find_map(|l| l.strip_prefix("x-amz-target:")).map(str::trim).unwrap_or("");
    if fail.iter().any(|t| target.ends_with(&t.to_ascii_lowercase())) {
        refused.fetch_add(1, Ordering::SeqCst);
        let body = r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}"#;
        let response = format!(
            "HTTP/1.1 400 Bad Request\r\ncontent-type: application/x-amz-json-1.0\r\nx-amzn-errortype: ThrottlingException\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        client.write_all(response.as_bytes()).await?;
        return client.shutdown().await;
    }
    if let Some(hook) = hook {
        hook(target);
    }
    let mut server = TcpStream::connect(upstream).await?;
    server.write_all(&request).await?;
    let mut response = Vec::new();
    server.read_to_end(&mut response).await?;
    client.write_all(&response).await?;
    client.shutdown().await
}
