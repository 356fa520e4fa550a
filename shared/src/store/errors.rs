//! What can go wrong in the store, in storage terms. No status codes here: the HTTP edge maps
//! each variant once (`From<StoreError> for ApiError` in `error.rs`).

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("the data store is throttled, unreachable or timed out")]
    Unavailable,
    #[error("DynamoDB refused a value of the item (ValidationException)")]
    Refused,
    #[error("the data store call failed")]
    Failed,
    #[error("a stored {0} does not read as its type")]
    Unreadable(&'static str),
    #[error("a concurrent transaction touched the same items")]
    Conflict,
    #[error("the user changed since it was read")]
    UserChanged,
    #[error("the field configuration changed since it was read")]
    FieldsChanged,
    #[error("a user with this id exists")]
    UserExists,
    #[error("another user holds this value of {0}")]
    Taken(String),
    /// A claim the user item records as its own is held by another user: the table is out of
    /// step (see `userfields reconcile-claims`). Retrying cannot fix it.
    #[error("the claim on {0} recorded as this user's is held by another user")]
    ClaimsOutOfSync(String),
    #[error("the pending verification is gone or was replaced")]
    VerificationGone,
    /// A send counter is full: `index` is the refused charge, `retry_after_seconds` when it
    /// would pass.
    #[error("too many codes were sent to this subject")]
    RateLimited { index: usize, retry_after_seconds: u64 },
    #[error("the session does not exist or has ended")]
    NoSession,
    #[error("the environment does not exist")]
    NoEnvironment,
}

impl StoreError {
    /// Worth another try after re-reading: nothing is wrong but timing.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Conflict | Self::UserChanged | Self::FieldsChanged)
    }
}

/// Classifies an SDK failure and logs it with its context (DynamoDB errors carry no item values).
pub fn from_sdk<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let kind = match &err {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => StoreError::Unavailable,
        SdkError::ServiceError(e) => match e.err().code() {
            Some(
                "ThrottlingException"
                | "ProvisionedThroughputExceededException"
                | "RequestLimitExceeded"
                | "InternalServerError"
                | "ServiceUnavailable"
                | "LimitExceededException",
            ) => StoreError::Unavailable,
            Some("ValidationException") => StoreError::Refused,
            _ => StoreError::Failed,
        },
        _ => StoreError::Failed,
    };
    tracing::error!(error = %DisplayErrorContext(&err), kind = ?kind, "DynamoDB call failed");
    kind
}
