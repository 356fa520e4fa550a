//! The one error type every handler maps to an HTTP response. A client mistake is never an `Err`
//! out of the Lambda (API Gateway would answer 502): it becomes a typed JSON body here. Store
//! errors become responses in one place, [`From<StoreError>`].

use crate::model::profile_fields::premade;
use crate::model::rejection::{Rejection, RejectionKind};
use crate::store::{Retryable, StoreError};
use crate::tokens::keyring::KeyringError;
use lambda_http::http::StatusCode;
use serde_json::{json, Map, Value};

#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub payload: Map<String, Value>,
    /// Failed only on timing (a concurrent write): the operation may run again after re-reading.
    retryable: bool,
    /// Seconds a refused caller should wait (429): sent as `Retry-After`.
    retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), payload: Map::new(), retryable: false, retry_after: None }
    }

    /// 429: too many sends; try again after `seconds`.
    pub fn too_many_requests(seconds: u64, message: impl Into<String>) -> Self {
        Self { retry_after: Some(seconds), ..Self::new(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", message) }
            .with("retryAfterSeconds", seconds)
    }

    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
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

    /// 401 on an end user's route: no token, or one refused for any reason (the log says which).
    pub fn session_required() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "A valid session token is required.")
    }

    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "This API key belongs to another environment.")
    }

    /// 403 for a key without `scope` (its name, such as `users:write`).
    pub fn insufficient_scope(scope: &str) -> Self {
        Self::new(StatusCode::FORBIDDEN, "insufficient_scope", format!("This API key lacks the {scope} scope."))
            .with("scope", scope)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found."))
    }

    /// 405 naming the methods a route takes (`"GET or PUT"`).
    pub fn method_not_allowed(methods: &str) -> Self {
        Self::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", format!("Use {methods}."))
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// A dependency (DynamoDB, SES) failed or throttled: the client may retry.
    /// A fault of ours (stored data unreadable): 500 `internal_error`, the detail only logged.
    pub fn internal(detail: &str) -> Self {
        tracing::error!(detail, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "The request could not be completed.")
    }

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

impl Retryable for ApiError {
    fn is_retryable(&self) -> bool {
        self.retryable
    }
}

/// The 422 for a unique value another user holds: the pre-made field's own code, or the
/// custom-field one.
pub fn taken(field: &str) -> ApiError {
    if let Some(chain) = field.strip_prefix("wallet:") {
        return ApiError::unprocessable("wallet_already_exists", format!("Another user already has this {chain} wallet."))
            .field("wallets")
            .with("chain", chain);
    }
    if let Some(provider) = field.strip_prefix("oauth:") {
        return ApiError::unprocessable(
            "oauth_account_already_exists",
            format!("Another user already has this {provider} account."),
        )
        .field("oauthAccounts")
        .with("provider", provider);
    }
    let code = premade(field).and_then(|f| f.taken_code).unwrap_or("custom_field_data_not_unique");
    ApiError::unprocessable(code, format!("Another user already has this value of {field}.")).field(field)
}

impl From<Rejection> for ApiError {
    fn from(r: Rejection) -> Self {
        let status = match r.kind {
            RejectionKind::Invalid => StatusCode::BAD_REQUEST,
            RejectionKind::Unacceptable => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError { payload: r.payload, ..ApiError::new(status, r.code, r.message) }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable => {
                ApiError::unavailable("storage_unavailable", "The data store is unavailable right now; try again.")
            }
            StoreError::Refused => {
                ApiError::bad_request("unstorable_value", "The request holds a value the data store cannot keep.")
            }
            StoreError::Failed => {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "The request could not be completed.")
            }
            StoreError::Unreadable(what) => {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", format!("A stored {what} is unreadable."))
            }
            StoreError::Conflict | StoreError::UserChanged | StoreError::FieldsChanged => ApiError {
                retryable: true,
                ..ApiError::conflict("concurrent_update", "The data changed during the request; read it again and retry.")
            },
            StoreError::UserExists => {
                ApiError::unprocessable("user_already_exists", "A user with this id already exists.").field("id")
            }
            StoreError::Taken(field) => taken(&field),
            StoreError::ClaimsOutOfSync(field) => ApiError::conflict(
                "claims_out_of_sync",
                format!(
                    "A value of {field} this user holds is recorded for another user; \
                     an operator can repair it with `userfields reconcile-claims`."
                ),
            )
            .field(field),
            StoreError::VerificationGone => {
                ApiError::unprocessable("invalid_verification", "This verification does not exist or has expired.")
                    .field("verificationUUID")
            }
            StoreError::RateLimited { retry_after_seconds, .. } => ApiError::too_many_requests(
                retry_after_seconds,
                format!("Too many codes were requested; try again in {retry_after_seconds} seconds."),
            ),
            StoreError::TooManyFailures { retry_after_seconds } => ApiError::too_many_requests(
                retry_after_seconds,
                format!("Too many wrong codes for this email; try again in {retry_after_seconds} seconds."),
            )
            .field("verificationToken"),
            StoreError::NoSession => ApiError::session_required(),
            StoreError::NoEnvironment => ApiError::not_found("Environment").field("environmentId"),
        }
    }
}

impl From<KeyringError> for ApiError {
    fn from(e: KeyringError) -> Self {
        match e {
            KeyringError::Refused(_) => ApiError::session_required(),
            KeyringError::NoSigningKey => ApiError::unavailable("signing_key_missing", "This environment cannot issue tokens yet."),
            KeyringError::KeyServiceUnavailable => {
                ApiError::unavailable("key_service_unavailable", "The key service is unavailable right now; try again.")
            }
            KeyringError::SigningFailed => {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "The token could not be signed.")
            }
            KeyringError::Store(e) => e.into(),
        }
    }
}
