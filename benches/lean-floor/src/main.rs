//! `sdk-floor`'s `GetItem`, made without the SDK's client: the request serialised with serde,
//! signed with `aws-sigv4` (the SDK's own signer), sent with hyper under a timeout, the answer
//! parsed with serde_json. A measurement, not a client: no retries, no TLS, no error mapping. It
//! tells what one call could cost on a direct path, against what it costs through the SDK
//! (docs/benchmarks.md, issue #14).

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use lambda_http::{service_fn, Request};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::{Duration, SystemTime};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

struct Direct {
    client: Client<HttpConnector, Full<Bytes>>,
    endpoint: String,
    region: String,
    table: String,
    identity: Identity,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct GetItemInput<'a> {
    table_name: &'a str,
    key: HashMap<&'a str, HashMap<&'a str, &'a str>>,
    consistent_read: bool,
}

#[derive(Deserialize)]
struct GetItemOutput {
    #[serde(rename = "Item")]
    item: Option<HashMap<String, serde_json::Value>>,
}

impl Direct {
    fn from_env() -> Result<Self, BoxError> {
        let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
        let credentials = Credentials::new(
            var("AWS_ACCESS_KEY_ID")?,
            var("AWS_SECRET_ACCESS_KEY")?,
            std::env::var("AWS_SESSION_TOKEN").ok(),
            None,
            "environment",
        );
        Ok(Self {
            client: Client::builder(TokioExecutor::new()).build_http(),
            endpoint: var("AWS_ENDPOINT_URL")?,
            region: var("AWS_REGION")?,
            table: var("TABLE_NAME")?,
            identity: credentials.into(),
        })
    }

    async fn get_missing_item(&self) -> Result<bool, BoxError> {
        let key = HashMap::from([("pk", HashMap::from([("S", "BENCH#SDK-FLOOR")])), ("sk", HashMap::from([("S", "NONE")]))]);
        let body = Bytes::from(serde_json::to_vec(&GetItemInput { table_name: &self.table, key, consistent_read: true })?);
        let mut request = http::Request::builder()
            .method("POST")
            .uri(&self.endpoint)
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", "DynamoDB_20120810.GetItem")
            .body(Full::new(body.clone()))?;
        let params = v4::SigningParams::builder()
            .identity(&self.identity)
            .region(&self.region)
            .name("dynamodb")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()?
            .into();
        let headers = request.headers().iter().map(|(k, v)| (k.as_str(), v.to_str().unwrap_or_default()));
        let signable = SignableRequest::new("POST", &self.endpoint, headers, SignableBody::Bytes(&body))?;
        let (instructions, _) = sign(signable, &params)?.into_parts();
        instructions.apply_to_request_http1x(&mut request);
        let response = tokio::time::timeout(Duration::from_secs(5), self.client.request(request)).await??;
        if !response.status().is_success() {
            return Err(format!("GetItem answered {}", response.status()).into());
        }
        let answer = response.into_body().collect().await?.to_bytes();
        Ok(serde_json::from_slice::<GetItemOutput>(&answer)?.item.is_some())
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let direct: &'static Direct = Box::leak(Box::new(Direct::from_env()?));
    lambda_http::run(service_fn(move |_req: Request| async move {
        let read = direct.get_missing_item().await;
        Ok::<_, std::convert::Infallible>(hello_floor::answer(read.is_ok()))
    }))
    .await
}
