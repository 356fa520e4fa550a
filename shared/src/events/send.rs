//! One HTTP POST of a webhook body: the target's host resolved and every address checked
//! (`WebhookUrl::may_connect`) at send time, the connection pinned to the addresses checked (a
//! resolver that answers only those, so DNS cannot change between the check and the connect),
//! public CAs for TLS, a short timeout, no redirects followed, the answer's body not kept.

use crate::model::webhook::WebhookUrl;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, LazyLock};
use std::task::{Context, Poll};
use std::time::Duration;

pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

static TLS: LazyLock<rustls::ClientConfig> = LazyLock::new(|| {
    let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("aws-lc-rs supports the default TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth()
});

/// A resolver that answers with the addresses already checked.
#[derive(Clone)]
struct Pinned(Arc<Vec<SocketAddr>>);

impl tower_service::Service<Name> for Pinned {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = std::io::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Name) -> Self::Future {
        let addrs = self.0.as_ref().clone();
        Box::pin(async move { Ok(addrs.into_iter()) })
    }
}

/// What became of one send.
#[derive(Debug)]
pub enum Sent {
    /// The receiver answered (any status).
    Answered(u16),
    /// No answer, or the target may not be reached; the reason, for the messages API.
    Failed(String),
}

type Pooled = Client<hyper_rustls::HttpsConnector<HttpConnector<Pinned>>, Full<Bytes>>;

/// A client that connects only to the addresses `url`'s host resolves to now, each checked.
async fn checked_client(url: &WebhookUrl, allow_loopback: bool) -> Result<Pooled, String> {
    let found = match tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::lookup_host((url.host(), url.port()))).await {
        Ok(Ok(found)) => found.collect::<Vec<_>>(),
        Ok(Err(_)) => return Err("the host does not resolve".into()),
        Err(_) => return Err("the host did not resolve in time".into()),
    };
    let allowed: Vec<SocketAddr> = found.iter().copied().filter(|a| url.may_connect(a.ip(), allow_loopback)).collect();
    if allowed.is_empty() || allowed.len() != found.len() {
        return Err("the host resolves to an address of a private or reserved network".into());
    }
    let mut tcp = HttpConnector::new_with_resolver(Pinned(Arc::new(allowed)));
    tcp.enforce_http(false);
    tcp.set_connect_timeout(Some(CONNECT_TIMEOUT));
    let connector = hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(TLS.clone()).https_or_http().enable_http1().wrap_connector(tcp);
    Ok(Client::builder(TokioExecutor::new()).build(connector))
}

pub async fn post(url: &WebhookUrl, allow_loopback: bool, headers: &[(&str, String)], body: Bytes) -> Sent {
    let client = match checked_client(url, allow_loopback).await {
        Ok(client) => client,
        Err(why) => return Sent::Failed(why),
    };
    let mut request = http::Request::post(url.as_str());
    for (name, value) in headers {
        request = request.header(*name, value.as_str());
    }
    let Ok(request) = request.body(Full::new(body)) else { return Sent::Failed("the request could not be built".into()) };
    match tokio::time::timeout(SEND_TIMEOUT, client.request(request)).await {
        Ok(Ok(response)) => {
            let status = response.status().as_u16();
            // Read (and drop) at most a little of the answer, so the connection closes cleanly.
            let _ = tokio::time::timeout(Duration::from_secs(1), http_body_util::Limited::new(response.into_body(), 64 * 1024).collect()).await;
            Sent::Answered(status)
        }
        Ok(Err(e)) => Sent::Failed(format!("no answer: {}", short(&e.to_string()))),
        Err(_) => Sent::Failed(format!("no answer within {} s", SEND_TIMEOUT.as_secs())),
    }
}

/// What a GET answered: its status, `Cache-Control` and at most `limit` bytes of body.
pub struct Fetched {
    pub status: u16,
    pub cache_control: Option<String>,
    pub body: Bytes,
}

/// GETs `url` as [`post`] sends (addresses checked and pinned), within `timeout` in all.
pub async fn get(url: &WebhookUrl, allow_loopback: bool, limit: usize, timeout: Duration) -> Result<Fetched, String> {
    let work = async {
        let client = checked_client(url, allow_loopback).await?;
        let request = http::Request::get(url.as_str()).header("accept", "application/json").body(Full::new(Bytes::new())).map_err(|_| "the request could not be built".to_string())?;
        let response = client.request(request).await.map_err(|e| format!("no answer: {}", short(&e.to_string())))?;
        let status = response.status().as_u16();
        let cache_control = response.headers().get("cache-control").and_then(|v| v.to_str().ok()).map(str::to_string);
        let body = http_body_util::Limited::new(response.into_body(), limit).collect().await.map_err(|_| format!("the answer is over {limit} bytes or broke off"))?;
        Ok(Fetched { status, cache_control, body: body.to_bytes() })
    };
    tokio::time::timeout(timeout, work).await.unwrap_or_else(|_| Err(format!("no answer within {} s", timeout.as_secs())))
}

fn short(text: &str) -> String {
    text.chars().take(200).collect()
}
