//! Test support: a context against the DynamoDB/SES server the test command started (moto on
//! loopback, `AWS_ENDPOINT_URL`), fresh environments, and the `events/` fixtures replayed
//! through the handlers as API Gateway would deliver them.

pub mod events;
pub mod external_issuer;
pub mod fault_proxy;
pub mod sign_in;

use aws_config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::config::Credentials;
use lambda_http::{Body, Request, Response};
use serde_json::Value;
use std::path::PathBuf;
use userfields::context::AppContext;
use userfields::settings::Settings;
use uuid::Uuid;

pub const OTP_KEY: &[u8] = b"test-otp-hmac-key-of-at-least-32-bytes";
pub const EMAIL_FROM: &str = "no-reply@userfields.test";
pub const PUBLIC_BASE_URL: &str = "https://api.userfields.test";

pub fn endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL").expect(
        "AWS_ENDPOINT_URL is not set: run the tests with scripts/test.sh, which starts moto on loopback",
    )
}

/// A context with its own (empty) caches and its own new table, against the test server.
/// (moto copies a whole table on every transaction, so small tables keep tests fast.)
pub async fn context() -> AppContext {
    context_at(&endpoint()).await
}

pub async fn context_at(endpoint: &str) -> AppContext {
    context_with(endpoint, EMAIL_FROM).await
}

/// A context whose codes are sent from `email_from` (an unregistered sender makes SES refuse).
pub async fn context_with(endpoint: &str, email_from: &str) -> AppContext {
    let table = format!("userfields-test-{}", Uuid::new_v4().simple());
    let ctx = context_unprepared(endpoint, email_from, &table).await;
    ctx.store.create_table().await.expect("test table can be created");
    let _ = ctx.mailer.client().create_email_identity().email_identity(EMAIL_FROM).send().await;
    ctx
}

/// A context against `endpoint` that creates nothing there (for unreachable or faulty servers).
pub async fn context_unprepared(endpoint: &str, email_from: &str, table: &str) -> AppContext {
    AppContext::new(&test_sdk(endpoint).await, test_settings(endpoint, email_from, table))
}

async fn test_sdk(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .endpoint_url(endpoint)
        .load()
        .await
}

fn test_settings(endpoint: &str, email_from: &str, table: &str) -> Settings {
    Settings {
        table_name: table.into(),
        email_from: email_from.into(),
        otp_key: OTP_KEY.to_vec(),
        endpoint_url: Some(endpoint.into()),
        public_base_url: Some(PUBLIC_BASE_URL.into()),
        signing_kms_key_id: None,
        export_bucket: Some(EXPORT_BUCKET.into()),
        // A queue per context: a test receives only its own exports' jobs.
        export_queue_url: Some(format!("{endpoint}/123456789012/{table}")),
        event_bus_name: None,
        webhook_queue_url: Some(format!("{endpoint}/123456789012/{table}-webhooks.fifo")),
        webhook_kms_key_id: None,
        webhooks_allow_loopback: true,
        external_auth_allow_loopback: true,
        webhook_retry_base_seconds: 1,
    }
}

/// A context for events and webhooks, with its own table (and stream), FIFO delivery queue,
/// EventBridge bus and KMS key; `allow_loopback` is the local development setting.
pub async fn webhooks_context(allow_loopback: bool) -> AppContext {
    let endpoint = endpoint();
    let table = format!("userfields-test-{}", Uuid::new_v4().simple());
    let sdk = test_sdk(&endpoint).await;
    let kms = aws_sdk_kms::Client::new(&sdk);
    let key = kms.create_key().send().await.expect("KMS key is created").key_metadata.unwrap().key_id;
    let mut settings = test_settings(&endpoint, EMAIL_FROM, &table);
    settings.webhook_kms_key_id = Some(key);
    settings.webhooks_allow_loopback = allow_loopback;
    settings.event_bus_name = Some(format!("{table}-bus"));
    let ctx = AppContext::new(&sdk, settings);
    ctx.store.create_table().await.expect("test table can be created");
    let _ = ctx.mailer.client().create_email_identity().email_identity(EMAIL_FROM).send().await;
    let clients = ctx.event_clients();
    clients.events.create_event_bus().name(format!("{table}-bus")).send().await.expect("event bus is created");
    clients
        .sqs
        .create_queue()
        .queue_name(format!("{table}-webhooks.fifo"))
        .attributes(aws_sdk_sqs::types::QueueAttributeName::FifoQueue, "true")
        .send()
        .await
        .expect("webhook queue is created");
    ctx
}

/// A plain DynamoDB client on the test server, for tests that write or age items directly (as
/// an older version, a bug or an operator could have left them).
pub async fn raw_dynamodb() -> aws_sdk_dynamodb::Client {
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .endpoint_url(endpoint())
        .load()
        .await;
    aws_sdk_dynamodb::Client::new(&sdk)
}

/// The verification codes and user helpers used by several test files.
pub async fn create_user(ctx: &AppContext, env: &Env, body: Value) -> (u16, Value) {
    call!(userfields::handlers::create_user::handle, ctx, event_with_body("create-user.json", env, None, &body)).await
}

pub async fn update_user(ctx: &AppContext, env: &Env, user: Uuid, body: Value) -> (u16, Value) {
    call!(userfields::handlers::update_user::handle, ctx, event_with_body("update-user.json", env, Some(user), &body)).await
}

pub async fn get_user(ctx: &AppContext, env: &Env, user: Uuid) -> (u16, Value) {
    call!(userfields::handlers::get_user::handle, ctx, event("get-user.json", env, Some(user))).await
}

pub async fn verify_email(ctx: &AppContext, env: &Env, user: Uuid, verification: &str, code: &str) -> (u16, Value) {
    let body = serde_json::json!({"verificationUUID": verification, "verificationToken": code});
    call!(userfields::handlers::verify_email_otp::handle, ctx, event_with_body("verify-email-otp.json", env, Some(user), &body)).await
}

pub fn user_id_of(body: &Value) -> Uuid {
    body["user"]["id"].as_str().expect("a user in the body").parse().unwrap()
}

/// A leaked context, for tests that share it across spawned tasks.
pub async fn shared_context() -> &'static AppContext {
    Box::leak(Box::new(context().await))
}

/// A new environment: its id and API key.
pub struct Env {
    pub id: Uuid,
    pub key: String,
}

pub async fn environment(ctx: &AppContext) -> Env {
    let (id, key) = userfields::ops::environments::create_environment(&ctx.store, "test").await.expect("environment is created");
    Env { id, key: key.key }
}

/// A fixture from `events/`, with `{{environmentId}}`, `{{apiKey}}` and `{{userId}}` filled in,
/// `{{customFieldId}}` as the id of the field `create-custom-field.json` makes, and
/// `{{exportId}}`, `{{webhookId}}` and `{{messageId}}` as the nil id (no such item).
pub fn event_text(name: &str, env: &Env, user: Option<Uuid>) -> String {
    event_text_with(name, env, user, &[])
}

/// [`event_text`], with other `{{placeholder}}`s filled first.
pub fn event_text_with(name: &str, env: &Env, user: Option<Uuid>, fill: &[(&str, String)]) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("events").join(name);
    let mut text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()));
    for (name, value) in fill {
        text = text.replace(&format!("{{{{{name}}}}}"), value);
    }
    text.replace("{{environmentId}}", &env.id.to_string())
        .replace("{{apiKey}}", &env.key)
        .replace("{{userId}}", &user.map(|u| u.to_string()).unwrap_or_default())
        .replace("{{customFieldId}}", &userfields::model::custom_field::custom_field_id(env.id, FIXTURE_CUSTOM_FIELD).to_string())
        .replace("{{exportId}}", &Uuid::nil().to_string())
        .replace("{{webhookId}}", &Uuid::nil().to_string())
        .replace("{{messageId}}", &Uuid::nil().to_string())
}

/// The export bucket the tests' contexts use (made by [`exports_ready`]).
pub const EXPORT_BUCKET: &str = "userfields-test-exports";

/// Makes the context's export bucket and queue on the test server.
pub async fn exports_ready(ctx: &AppContext) {
    let clients = ctx.export_clients();
    let _ = clients.s3.create_bucket().bucket(EXPORT_BUCKET).send().await;
    let url = ctx.settings.export_queue_url.clone().expect("tests configure a queue");
    let name = url.rsplit('/').next().unwrap().to_string();
    clients.sqs.create_queue().queue_name(name).send().await.expect("export queue is created");
}


/// The key of the custom field `events/create-custom-field.json` creates.
pub const FIXTURE_CUSTOM_FIELD: &str = "favouriteColour";

/// A fixture naming another custom field id (any text, valid or not) in its path.
pub fn custom_field_event(name: &str, env: &Env, id: &str, body: Option<&Value>) -> Request {
    let mut raw: Value = serde_json::from_str(&event_text(name, env, None)).expect("fixture is JSON");
    raw["pathParameters"]["customFieldId"] = Value::String(id.into());
    raw["rawPath"] = Value::String(format!("/custom/fields/{id}"));
    raw["requestContext"]["http"]["path"] = raw["rawPath"].clone();
    if let Some(body) = body {
        raw["body"] = Value::String(body.to_string());
    }
    request(&raw.to_string())
}

pub fn request(text: &str) -> Request {
    lambda_http::request::from_str(text).expect("fixture is a valid API Gateway event")
}

/// The fixture as a request.
pub fn event(name: &str, env: &Env, user: Option<Uuid>) -> Request {
    request(&event_text(name, env, user))
}

/// The fixture with its body replaced.
pub fn event_with_body(name: &str, env: &Env, user: Option<Uuid>, body: &Value) -> Request {
    let mut raw: Value = serde_json::from_str(&event_text(name, env, user)).expect("fixture is JSON");
    raw["body"] = Value::String(body.to_string());
    request(&raw.to_string())
}

/// A webhooks fixture for webhook `webhook` (and message `message`), with `body` and `query`.
pub fn webhook_event(name: &str, env: &Env, webhook: Uuid, message: Option<Uuid>, body: Option<&Value>, query: &str) -> Request {
    let fill = [("webhookId", webhook.to_string()), ("messageId", message.unwrap_or_default().to_string())];
    let mut raw: Value = serde_json::from_str(&event_text_with(name, env, None, &fill)).expect("fixture is JSON");
    if let Some(body) = body {
        raw["body"] = Value::String(body.to_string());
    }
    raw["rawQueryString"] = Value::String(query.into());
    let params: serde_json::Map<String, Value> =
        query.split('&').filter_map(|kv| kv.split_once('=')).map(|(k, v)| (k.to_string(), Value::String(v.to_string()))).collect();
    if !params.is_empty() {
        raw["queryStringParameters"] = Value::Object(params);
    }
    request(&raw.to_string())
}

/// The fixture with one header replaced (or removed with `None`).
pub fn event_with_header(name: &str, env: &Env, user: Option<Uuid>, header: &str, value: Option<&str>) -> Request {
    let mut raw: Value = serde_json::from_str(&event_text(name, env, user)).expect("fixture is JSON");
    let headers = raw["headers"].as_object_mut().expect("fixture has headers");
    match value {
        Some(v) => headers.insert(header.into(), Value::String(v.into())),
        None => headers.remove(header),
    };
    request(&raw.to_string())
}

/// Status and JSON body of a response; every response of this service is JSON, but a 204's
/// (no body: `null` here).
pub fn parts(resp: Response<Body>) -> (u16, Value) {
    let status = resp.status().as_u16();
    if status == 204 {
        assert!(resp.body().is_empty(), "a 204 has no body");
        return (204, Value::Null);
    }
    let content_type = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_string());
    assert_eq!(content_type.as_deref(), Some("application/json"), "status {status}");
    let body: &[u8] = resp.body().as_ref();
    (status, serde_json::from_slice(body).expect("response body is JSON"))
}

/// Runs a handler on a request: `call!(create_user::handle, &ctx, req).await` → (status, body).
#[macro_export]
macro_rules! call {
    ($handler:expr, $ctx:expr, $req:expr) => {
        async { $crate::parts($handler($ctx, $req).await) }
    };
}

/// Asserts a 4xx error body: the status, the code, and (when given) `payload.field`.
#[track_caller]
pub fn assert_error(got: &(u16, Value), status: u16, code: &str, field: Option<&str>) {
    assert_eq!(got.0, status, "body: {}", got.1);
    assert_eq!(got.1["code"], code, "body: {}", got.1);
    assert!(got.1["error"].as_str().is_some_and(|e| !e.is_empty()), "error sentence missing: {}", got.1);
    if let Some(field) = field {
        assert_eq!(got.1["payload"]["field"], field, "body: {}", got.1);
    }
}

/// The verification codes moto recorded as sent to `to`, oldest first: read from the
/// `/userfields-dev/emails` route that `scripts/moto_serial.py` adds to moto (which keeps the
/// last 1000 messages), not from moto's whole-state dump.
pub async fn sent_codes(to: &str) -> Vec<String> {
    let address: String = to
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let url = format!("{}/userfields-dev/emails?to={address}", endpoint());
    let (status, text) = http_get(&url).await;
    assert_eq!(status, 200, "GET {url} answered {text:?}: is moto running through scripts/moto_serial.py?");
    let data: Value = serde_json::from_str(&text).expect("the emails route answers JSON");
    data["emails"]
        .as_array()
        .expect("the emails route lists emails")
        .iter()
        .filter_map(|m| m["code"].as_str().map(str::to_string))
        .collect()
}

/// A minimal HTTP/1.1 GET over loopback, so the tests need no HTTP client crate: (status, body).
pub async fn http_get(url: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").expect("loopback http url");
    let (host, path) = rest.split_once('/').map(|(h, p)| (h, format!("/{p}"))).unwrap_or((rest, "/".into()));
    let mut stream = tokio::net::TcpStream::connect(host).await.expect("moto is reachable");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").expect("HTTP response");
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("HTTP status line");
    let body = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") { dechunk(body) } else { body.to_string() };
    (status, body)
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        body = &rest[n + 2..];
    }
    out
}
