use crate::error::ApiError;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// Maps an SDK failure to a response: throttling and unreachable → 503 (retryable), anything else
/// → 500. The error is logged with its context; DynamoDB errors carry no item values.
pub fn storage_error<E, R>(err: SdkError<E, R>) -> ApiError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let retryable = match &err {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => true,
        SdkError::ServiceError(e) => matches!(
            e.err().code(),
            Some(
                "ThrottlingException"
                    | "ProvisionedThroughputExceededException"
                    | "RequestLimitExceeded"
                    | "InternalServerError"
                    | "ServiceUnavailable"
                    | "LimitExceededException"
            )
        ),
        _ => false,
    };
    tracing::error!(error = %DisplayErrorContext(&err), retryable, "DynamoDB call failed");
    if retryable {
        ApiError::unavailable("storage_unavailable", "The data store is unavailable right now; try again.")
    } else {
        ApiError::new(
            lambda_http::http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "The request could not be completed.",
        )
    }
}
