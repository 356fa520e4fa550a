//! What can go wrong in the store, in storage terms. No status codes here: the HTTP edge maps
//! each variant once (`From<StoreError> for ApiError` in `error.rs`).

use crate::aws::json_service::{CallError, THROTTLING_CODES};

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
    /// Too many wrong codes for this address today: no code for it is judged until the window
    /// ends.
    #[error("too many wrong codes were tried for this address")]
    TooManyFailures { retry_after_seconds: u64 },
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

/// Classifies a failed call and logs it (operation, code and DynamoDB's message, which carries no
/// item values; never the request).
pub fn from_call(operation: &'static str, err: CallError) -> StoreError {
    let kind = match &err {
        CallError::Transport(_) => StoreError::Unavailable,
        CallError::Service { status, code, .. } => match code.as_str() {
            _ if *status >= 500 => StoreError::Unavailable,
            "InternalServerError" | "ServiceUnavailable" => StoreError::Unavailable,
            code if THROTTLING_CODES.contains(&code) => StoreError::Unavailable,
            "ValidationException" => StoreError::Refused,
            _ => StoreError::Failed,
        },
        CallError::Malformed(_) | CallError::Config(_) => StoreError::Failed,
    };
    tracing::error!(operation, error = %err, kind = ?kind, "DynamoDB call failed");
    kind
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_classified_as_before() {
        let service = |status, code: &str| CallError::Service { status, code: code.into(), message: String::new(), body: Default::default() };
        assert_eq!(from_call("GetItem", CallError::Transport("reset".into())), StoreError::Unavailable);
        assert_eq!(from_call("GetItem", service(400, "ProvisionedThroughputExceededException")), StoreError::Unavailable);
        assert_eq!(from_call("GetItem", service(400, "RequestLimitExceeded")), StoreError::Unavailable);
        assert_eq!(from_call("GetItem", service(500, "InternalServerError")), StoreError::Unavailable);
        assert_eq!(from_call("GetItem", service(400, "ValidationException")), StoreError::Refused);
        assert_eq!(from_call("GetItem", service(400, "ResourceNotFoundException")), StoreError::Failed);
        assert_eq!(from_call("GetItem", CallError::Malformed("x".into())), StoreError::Failed);
    }
}
