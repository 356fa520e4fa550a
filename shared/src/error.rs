//! The one error type every handler maps to an HTTP response. A client mistake is never an `Err`
//! out of the Lambda (API Gateway would answer 502): it becomes a typed JSON body here.

use lambda_http::http::StatusCode;
use serde_json::{json, Map, Value};

#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub payload: Map<String, Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), payload: Map::new() }
    }

    /// Names the offending request field in `payload.field`, as the contract asks of every 4xx.
    pub fn field(mut self, name: impl Into<String>) -> Self {
        self.payload.insert("field".into(), Value::String(name.into()));
        self
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.payload.insert(key.into(), value.into());
        self
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "A valid bearer API key is required.")
    }

    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "This API key belongs to another environment.")
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found."))
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// A dependency (DynamoDB, SES) failed or throttled: the client may retry.
    pub fn unavailable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, code, message)
    }

    pub fn body(&self) -> Value {
        let mut body = json!({ "error": self.message, "code": self.code });
        if !self.payload.is_empty() {
            body["payload"] = Value::Object(self.payload.clone());
        }
        body
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
