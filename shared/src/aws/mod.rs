//! The AWS configuration every client is built from, once per container: the SDK's clients (SES,
//! KMS, Secrets Manager) and the store's DynamoDB calls (`json_service`).

use crate::settings::Settings;
use aws_config::environment::EnvironmentVariableCredentialsProvider;
use aws_config::stalled_stream_protection::StalledStreamProtectionConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use json_service::JsonService;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};

pub mod json_service;

/// Root CAs of Amazon Trust Services, which sign every AWS service endpoint (copied from the
/// platform's public CA bundle).
pub(crate) const AWS_ROOT_CAS: &str = include_str!("../../certs/aws-root-cas.pem");

/// Region of a local emulator when nothing else names one: emulators accept any.
pub const LOCAL_REGION: &str = "us-east-1";

/// The SDK configuration from the environment, with bounded timeouts (retries on throttling stay
/// the SDK's standard ones). Against a local emulator (`AWS_ENDPOINT_URL`), a missing region and
/// missing credentials default to local ones, so the CLI works with nothing but the endpoint.
pub async fn sdk_config(settings: &Settings) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    let is_set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    // On Lambda the region and the credentials are environment variables, which the default
    // chains would find first anyway; naming them skips building those chains (web identity,
    // profile, IMDS: about 0.8 M instructions of every cold start).
    if !is_set("AWS_PROFILE") {
        if let Some(region) = std::env::var("AWS_REGION").ok().filter(|r| !r.is_empty()) {
            loader = loader.region(Region::new(region));
        }
        if is_set("AWS_ACCESS_KEY_ID") && is_set("AWS_SECRET_ACCESS_KEY") {
            loader = loader.credentials_provider(EnvironmentVariableCredentialsProvider::new());
        }
    }
    if settings.endpoint_url.is_some() {
        let local = LocalDefaults::needed(is_set);
        if local.region {
            loader = loader.region(Region::new(LOCAL_REGION));
        }
        if local.credentials {
            loader = loader.credentials_provider(Credentials::new("local", "local", None, None, "local-emulator"));
        }
    }
    // A plain-HTTP local emulator needs no trust store either; only an HTTPS endpoint of the
    // operator's own keeps the platform's certificates.
    if !settings.endpoint_url.as_deref().is_some_and(|url| url.starts_with("https://")) {
        loader = loader.http_client(aws_https_client());
    }
    loader
        // Stalled-stream protection watches each response body's throughput, per call; the
        // answers of SES, KMS and Secrets Manager are small, and the attempt and operation
        // timeouts below (the same as the store's DynamoDB calls) already end a stall.
        .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(json_service::CONNECT_TIMEOUT)
                .operation_attempt_timeout(json_service::ATTEMPT_TIMEOUT)
                .operation_timeout(json_service::OPERATION_TIMEOUT)
                .build(),
        )
        .load()
        .await
}

/// The DynamoDB service the store calls, from the configuration the SDK's clients are built from.
pub fn dynamodb(sdk: &SdkConfig) -> JsonService {
    JsonService::new(json_service::DYNAMODB, dynamodb_endpoint(sdk), sdk.region().map(|r| r.to_string()), sdk.credentials_provider())
}

/// DynamoDB's endpoint, as the SDK would resolve it: `AWS_ENDPOINT_URL_DYNAMODB`, else the
/// configured endpoint (`AWS_ENDPOINT_URL`, a local emulator), else the region's (FIPS and
/// dual-stack as configured). `None` without a region.
pub fn dynamodb_endpoint(sdk: &SdkConfig) -> Option<String> {
    if let Some(url) = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").ok().filter(|u| !u.is_empty()) {
        return Some(url);
    }
    if let Some(url) = sdk.endpoint_url() {
        return Some(url.to_string());
    }
    let region = sdk.region()?;
    Some(regional_endpoint(region.as_ref(), sdk.use_fips().unwrap_or(false), sdk.use_dual_stack().unwrap_or(false)))
}

/// `https://dynamodb.{region}.{partition's domain}`, as the SDK's endpoint rules build it.
fn regional_endpoint(region: &str, fips: bool, dual_stack: bool) -> String {
    let china = region.starts_with("cn-");
    let domain = match region {
        r if r.starts_with("us-isob-") => "sc2s.sgov.gov",
        r if r.starts_with("us-iso-") => "c2s.ic.gov",
        _ if china && dual_stack => "api.amazonwebservices.com.cn",
        _ if china => "amazonaws.com.cn",
        _ if dual_stack => "api.aws",
        _ => "amazonaws.com",
    };
    // GovCloud's regional endpoints are FIPS endpoints already.
    let name = if fips && !region.starts_with("us-gov-") { "dynamodb-fips" } else { "dynamodb" };
    format!("https://{name}.{region}.{domain}")
}

/// Which settings a local emulator gets by default: those the environment does not give (a
/// profile may give both).
#[derive(Debug, PartialEq, Eq)]
struct LocalDefaults {
    region: bool,
    credentials: bool,
}

impl LocalDefaults {
    fn needed(is_set: impl Fn(&str) -> bool) -> Self {
        let profile = is_set("AWS_PROFILE");
        Self {
            region: !profile && !is_set("AWS_REGION") && !is_set("AWS_DEFAULT_REGION"),
            credentials: !profile && !is_set("AWS_ACCESS_KEY_ID"),
        }
    }
}

/// An HTTPS client trusting only the AWS root CAs: loading the platform's whole certificate store
/// instead costs every cold start about 3 ms (more than the rest of start-up).
pub fn aws_https_client() -> SharedHttpClient {
    let trust = TrustStore::empty().with_pem_certificate(AWS_ROOT_CAS.as_bytes());
    let context = TlsContext::builder().with_trust_store(trust).build().expect("a static trust store is valid");
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(context)
        .build_https()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_endpoint_gets_only_what_the_environment_lacks() {
        let with = |vars: &'static [&'static str]| LocalDefaults::needed(move |name| vars.contains(&name));
        assert_eq!(with(&[]), LocalDefaults { region: true, credentials: true });
        assert_eq!(with(&["AWS_DEFAULT_REGION"]), LocalDefaults { region: false, credentials: true });
        assert_eq!(with(&["AWS_REGION", "AWS_ACCESS_KEY_ID"]), LocalDefaults { region: false, credentials: false });
        assert_eq!(with(&["AWS_PROFILE"]), LocalDefaults { region: false, credentials: false });
    }

    #[test]
    fn regional_endpoints_follow_the_partition() {
        assert_eq!(regional_endpoint("eu-west-1", false, false), "https://dynamodb.eu-west-1.amazonaws.com");
        assert_eq!(regional_endpoint("us-east-1", true, false), "https://dynamodb-fips.us-east-1.amazonaws.com");
        assert_eq!(regional_endpoint("us-gov-west-1", true, false), "https://dynamodb.us-gov-west-1.amazonaws.com");
        assert_eq!(regional_endpoint("cn-north-1", false, false), "https://dynamodb.cn-north-1.amazonaws.com.cn");
        assert_eq!(regional_endpoint("eu-west-1", false, true), "https://dynamodb.eu-west-1.api.aws");
    }

    #[test]
    fn the_aws_trust_store_loads() {
        assert_eq!(AWS_ROOT_CAS.matches("BEGIN CERTIFICATE").count(), 5);
        // Building a client loads the certificates; a bad PEM would panic here.
        let config = aws_sdk_sesv2::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .http_client(aws_https_client())
            .build();
        let _ = aws_sdk_sesv2::Client::from_conf(config);
    }
}

/// S3 (the export files: multipart upload, presigned downloads) and SQS (the export worker's
/// queue). S3's timeouts are longer than the store's: a part is up to 8 MiB.
pub struct ExportClients {
    pub s3: aws_sdk_s3::Client,
    pub sqs: aws_sdk_sqs::Client,
}

impl ExportClients {
    pub fn new(sdk: &SdkConfig) -> Self {
        let s3_config = aws_sdk_s3::config::Builder::from(sdk)
            // moto (and MinIO) serve buckets by path; AWS serves both styles.
            .force_path_style(sdk.endpoint_url().is_some())
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(json_service::CONNECT_TIMEOUT)
                    .operation_attempt_timeout(std::time::Duration::from_secs(60))
                    .operation_timeout(std::time::Duration::from_secs(180))
                    .build(),
            )
            .build();
        Self { s3: aws_sdk_s3::Client::from_conf(s3_config), sqs: aws_sdk_sqs::Client::new(sdk) }
    }
}

/// The clients of events and webhooks: EventBridge (the bus), SQS (the delivery queue) and KMS
/// (webhook secrets).
pub struct EventClients {
    pub events: aws_sdk_eventbridge::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub kms: aws_sdk_kms::Client,
}

impl EventClients {
    pub fn new(sdk: &SdkConfig) -> Self {
        Self { events: aws_sdk_eventbridge::Client::new(sdk), sqs: aws_sdk_sqs::Client::new(sdk), kms: aws_sdk_kms::Client::new(sdk) }
    }
}
