//! Calls to an AWS service that speaks the JSON protocol (DynamoDB): serde for the body,
//! `aws-sigv4` (the SDK's own signer) for SigV4, hyper with rustls (AWS root CAs only) for the
//! connection. It keeps what the SDK's client gave these calls: the standard retry policy on
//! throttling and transient failures, the connect, attempt and operation timeouts, cached
//! credentials, and verified TLS. It exists because the SDK's per-call pipeline and attribute maps
//! were most of a warm invoke's CPU (docs/benchmarks.md, issue #14).

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};

/// The timeouts of every AWS call, the SDK clients' too (`aws::sdk_config`).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(12);
/// The SDK's standard retry mode: three attempts, full jitter over 1 s doubling, at most 20 s.
const MAX_ATTEMPTS: u32 = 3;
const INITIAL_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(20);

/// Which service, and how its calls are addressed and signed.
pub struct Protocol {
    /// The name SigV4 signs for (`dynamodb`).
    pub signing_name: &'static str,
    /// `X-Amz-Target` is this, a dot, and the operation (`DynamoDB_20120810.GetItem`).
    pub target_prefix: &'static str,
    pub content_type: &'static str,
}

pub const DYNAMODB: Protocol = Protocol {
    signing_name: "dynamodb",
    target_prefix: "DynamoDB_20120810",
    content_type: "application/x-amz-json-1.0",
};

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// No answer: the connection failed or a timeout passed (after the retries).
    #[error("no answer: {0}")]
    Transport(String),
    /// The service answered with an error (after the retries, if it was a throttle).
    #[error("{code} (HTTP {status}): {message}")]
    Service { status: u16, code: String, message: String, body: Bytes },
    /// An answer of 200 that is not the operation's output.
    #[error("the answer does not parse: {0}")]
    Malformed(String),
    /// No region or no credentials: the configuration is wrong, not the request.
    #[error("not configured: {0}")]
    Config(String),
}

impl CallError {
    /// The service's error code (`ConditionalCheckFailedException`), if it answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            CallError::Service { code, .. } => Some(code),
            _ => None,
        }
    }

    /// Worth another attempt, as the SDK's standard retry classifiers decide: no answer, a 5xx,
    /// or a throttling or transient error code.
    fn is_retryable(&self) -> bool {
        match self {
            CallError::Transport(_) => true,
            CallError::Service { status, code, .. } => {
                matches!(status, 500 | 502 | 503 | 504) || THROTTLING_CODES.contains(&code.as_str()) || TRANSIENT_CODES.contains(&code.as_str())
            }
            CallError::Malformed(_) | CallError::Config(_) => false,
        }
    }
}

/// The SDK's throttling error codes (aws-smithy-runtime's `THROTTLING_ERRORS`).
pub const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];
const TRANSIENT_CODES: &[&str] = &["RequestTimeout", "RequestTimeoutException"];

/// Without a region there is neither an endpoint to derive nor a region to sign for.
const NO_REGION: &str = "no region is configured (AWS_REGION)";

/// `super::AWS_ROOT_CAS`, decoded from PEM at build time (`shared/build.rs`).
const AWS_ROOT_CAS_DER: &[&[u8]] = include!(concat!(env!("OUT_DIR"), "/aws_root_cas_der.rs"));

type Https = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// One service's endpoint, region and credentials, and the connection pool. Built once per
/// container; cheap to share.
#[derive(Clone)]
pub struct JsonService {
    inner: Arc<Inner>,
}

struct Inner {
    protocol: Protocol,
    http: Https,
    endpoint: Result<http::Uri, String>,
    region: Option<String>,
    credentials: CredentialCache,
}

impl JsonService {
    /// `endpoint`: the service's URL (a local emulator's, or the regional one); `None` when the
    /// configuration names no region to derive it from.
    pub fn new(protocol: Protocol, endpoint: Option<String>, region: Option<String>, credentials: Option<SharedCredentialsProvider>) -> Self {
        let endpoint = endpoint
            .ok_or_else(|| NO_REGION.to_string())
            .and_then(|url| url.parse::<http::Uri>().map_err(|e| format!("endpoint {url:?} is not a URL: {e}")));
        Self {
            inner: Arc::new(Inner { protocol, http: https_client(), endpoint, region, credentials: CredentialCache::new(credentials) }),
        }
    }

    /// Calls `operation` with `input`; its answer as `O`. Retried, timed out and classified as
    /// the SDK's client would.
    pub async fn call<O: DeserializeOwned>(&self, operation: &'static str, input: &impl Serialize) -> Result<O, CallError> {
        let body = Bytes::from(serde_json::to_vec(input).map_err(|e| CallError::Config(format!("request does not serialize: {e}")))?);
        let attempts = async {
            let mut attempt = 0;
            loop {
                attempt += 1;
                let outcome = match tokio::time::timeout(ATTEMPT_TIMEOUT, self.attempt(operation, &body)).await {
                    Ok(outcome) => outcome,
                    Err(_) => Err(CallError::Transport(format!("no answer within {ATTEMPT_TIMEOUT:?}"))),
                };
                match outcome {
                    Err(e) if attempt < MAX_ATTEMPTS && e.is_retryable() => tokio::time::sleep(backoff(attempt)).await,
                    other => return other,
                }
            }
        };
        let answer = tokio::time::timeout(OPERATION_TIMEOUT, attempts)
            .await
            .map_err(|_| CallError::Transport(format!("no answer within {OPERATION_TIMEOUT:?}, retries included")))??;
        serde_json::from_slice(&answer).map_err(|e| CallError::Malformed(e.to_string()))
    }

    async fn attempt(&self, operation: &str, body: &Bytes) -> Result<Bytes, CallError> {
        let identity = self.inner.credentials.identity().await?;
        let request = self.signed_request(operation, body, &identity, SystemTime::now())?;
        let response = self.inner.http.request(request).await.map_err(|e| CallError::Transport(error_chain(&e)))?;
        let status = response.status().as_u16();
        let header_code = response.headers().get("x-amzn-errortype").and_then(|v| v.to_str().ok()).map(str::to_string);
        let answer = response.into_body().collect().await.map_err(|e| CallError::Transport(error_chain(&e)))?.to_bytes();
        if status == 200 {
            return Ok(answer);
        }
        let parsed: ErrorBody = serde_json::from_slice(&answer).unwrap_or_default();
        let code = parsed.kind.or(header_code).map(|t| error_code(&t).to_string()).unwrap_or_else(|| format!("HTTP{status}"));
        Err(CallError::Service { status, code, message: parsed.message.unwrap_or_default(), body: answer })
    }

    /// The request for `operation`, signed with SigV4 (host, content type and target signed).
    fn signed_request(&self, operation: &str, body: &Bytes, identity: &Identity, time: SystemTime) -> Result<http::Request<Full<Bytes>>, CallError> {
        let inner = &*self.inner;
        let endpoint = inner.endpoint.as_ref().map_err(|e| CallError::Config(e.clone()))?;
        let region = inner.region.as_deref().ok_or_else(|| CallError::Config(NO_REGION.into()))?;
        let host = endpoint.authority().map(|a| a.as_str()).unwrap_or_default();
        let target = format!("{}.{operation}", inner.protocol.target_prefix);
        let mut request = http::Request::builder()
            .method("POST")
            .uri(endpoint.clone())
            .header("host", host)
            .header("content-type", inner.protocol.content_type)
            .header("x-amz-target", &target)
            .body(Full::new(body.clone()))
            .map_err(|e| CallError::Config(e.to_string()))?;
        let params = v4::SigningParams::builder()
            .identity(identity)
            .region(region)
            .name(inner.protocol.signing_name)
            .time(time)
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| CallError::Config(e.to_string()))?
            .into();
        let uri = endpoint.to_string();
        let headers = request.headers().iter().map(|(k, v)| (k.as_str(), v.to_str().unwrap_or_default()));
        let signable = SignableRequest::new("POST", &uri, headers, SignableBody::Bytes(body)).map_err(|e| CallError::Config(e.to_string()))?;
        let (instructions, _) = sign(signable, &params).map_err(|e| CallError::Config(e.to_string()))?.into_parts();
        instructions.apply_to_request_http1x(&mut request);
        Ok(request)
    }
}

/// The error an AWS JSON service answers with.
#[derive(Deserialize, Default)]
struct ErrorBody {
    #[serde(rename = "__type")]
    kind: Option<String>,
    #[serde(alias = "Message")]
    message: Option<String>,
}

/// `com.amazonaws.dynamodb.v20120810#ThrottlingException:http://...` → `ThrottlingException`.
fn error_code(kind: &str) -> &str {
    let after_hash = kind.rsplit_once('#').map_or(kind, |(_, code)| code);
    after_hash.split_once(':').map_or(after_hash, |(code, _)| code)
}

/// An error and its sources, for the log (hyper's top-level message alone says little).
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Full jitter over the SDK's exponential cap, before attempt `failed + 1`.
fn backoff(failed: u32) -> Duration {
    crate::jitter::full_jitter(INITIAL_BACKOFF, MAX_BACKOFF, failed - 1)
}

/// HTTPS (AWS root CAs only, as the SDK's client is configured in `aws::aws_https_client`) or
/// plain HTTP for a local emulator's `http://` endpoint; HTTP/1.1 with kept-alive connections.
fn https_client() -> Https {
    let mut roots = rustls::RootCertStore::empty();
    for der in AWS_ROOT_CAS_DER {
        roots.add(rustls::pki_types::CertificateDer::from(*der)).expect("the bundled root CAs parse");
    }
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("aws-lc-rs supports the default TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let mut tcp = HttpConnector::new();
    tcp.enforce_http(false);
    tcp.set_nodelay(true);
    tcp.set_connect_timeout(Some(CONNECT_TIMEOUT));
    let connector = hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls).https_or_http().enable_http1().wrap_connector(tcp);
    Client::builder(TokioExecutor::new()).pool_idle_timeout(Duration::from_secs(90)).build(connector)
}

/// Credentials, fetched once and again only before they expire (the SDK's identity cache does
/// the same): on Lambda they come from the environment and last the container's life.
struct CredentialCache {
    provider: Option<SharedCredentialsProvider>,
    cached: RwLock<Option<(Identity, Instant)>>,
}

/// How long credentials without an expiry are kept, and how long before an expiry they are
/// renewed (the SDK's defaults).
const NO_EXPIRY_REFRESH: Duration = Duration::from_secs(15 * 60);
const EXPIRY_BUFFER: Duration = Duration::from_secs(5 * 60);

impl CredentialCache {
    fn new(provider: Option<SharedCredentialsProvider>) -> Self {
        Self { provider, cached: RwLock::new(None) }
    }

    async fn identity(&self) -> Result<Identity, CallError> {
        if let Some((identity, until)) = self.cached.read().expect("not poisoned").as_ref() {
            if Instant::now() < *until {
                return Ok(identity.clone());
            }
        }
        let provider = self.provider.as_ref().ok_or_else(|| CallError::Config("no credentials provider is configured".into()))?;
        let credentials = provider.provide_credentials().await.map_err(|e| CallError::Config(format!("credentials: {}", error_chain(&e))))?;
        let keep = match credentials.expiry() {
            Some(expiry) => expiry.duration_since(SystemTime::now()).unwrap_or_default().saturating_sub(EXPIRY_BUFFER),
            None => NO_EXPIRY_REFRESH,
        };
        let identity = Identity::from(credentials);
        *self.cached.write().expect("not poisoned") = Some((identity.clone(), Instant::now() + keep));
        Ok(identity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_read_as_the_sdk_reads_them() {
        assert_eq!(error_code("com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"), "ConditionalCheckFailedException");
        assert_eq!(error_code("ThrottlingException:http://internal.amazon.com/coral/"), "ThrottlingException");
        assert_eq!(error_code("ValidationException"), "ValidationException");
    }

    #[test]
    fn throttles_transients_and_5xx_are_retried_client_errors_are_not() {
        let service = |status, code: &str| CallError::Service { status, code: code.into(), message: String::new(), body: Bytes::new() };
        assert!(service(400, "ProvisionedThroughputExceededException").is_retryable());
        assert!(service(400, "ThrottlingException").is_retryable());
        assert!(service(500, "InternalServerError").is_retryable());
        assert!(service(503, "HTTP503").is_retryable());
        assert!(CallError::Transport("reset".into()).is_retryable());
        assert!(!service(400, "ConditionalCheckFailedException").is_retryable());
        assert!(!service(400, "ValidationException").is_retryable());
        assert!(!service(400, "TransactionCanceledException").is_retryable());
        assert!(!CallError::Malformed("x".into()).is_retryable());
    }

    #[test]
    fn backoff_doubles_under_its_cap() {
        for _ in 0..100 {
            assert!(backoff(1) < Duration::from_secs(1));
            assert!(backoff(2) < Duration::from_secs(2));
            assert!(backoff(40) <= MAX_BACKOFF);
        }
    }

    /// The expected signature was computed independently, with botocore's `SigV4Auth` on the same
    /// request (method, URL, the three headers, body, time and keys).
    #[test]
    fn requests_are_signed_as_aws_verifies_them() {
        let credentials = aws_credential_types::Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None, "test");
        let service = JsonService::new(DYNAMODB, Some("https://dynamodb.eu-west-1.amazonaws.com".into()), Some("eu-west-1".into()), None);
        let body = Bytes::from_static(br#"{"TableName":"t","Key":{"pk":{"S":"P"}},"ConsistentRead":true}"#);
        let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_000_000);
        let request = service.signed_request("GetItem", &body, &Identity::from(credentials), time).unwrap();
        let header = |name: &str| request.headers()[name].to_str().unwrap().to_string();
        assert_eq!(header("host"), "dynamodb.eu-west-1.amazonaws.com");
        assert_eq!(header("x-amz-target"), "DynamoDB_20120810.GetItem");
        assert_eq!(header("x-amz-date"), "20261130T005320Z");
        assert_eq!(
            header("authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261130/eu-west-1/dynamodb/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date;x-amz-target, \
             Signature=e2dfd1159ab54ad879c57b457afb81c0415a603bdbe7d3107f25e3cbd86592b2"
        );
    }

    #[test]
    fn the_tls_client_builds_from_the_bundled_roots() {
        use rustls::pki_types::pem::PemObject;
        let pem: Vec<_> = rustls::pki_types::CertificateDer::pem_slice_iter(super::super::AWS_ROOT_CAS.as_bytes()).map(Result::unwrap).collect();
        let der: Vec<_> = AWS_ROOT_CAS_DER.iter().map(|d| rustls::pki_types::CertificateDer::from(*d)).collect();
        assert_eq!((der.len(), &der), (5, &pem));
        let _ = https_client();
    }
}
