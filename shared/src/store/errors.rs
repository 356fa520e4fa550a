use crate::error::ApiError;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// Maps an SDK failure to a response: throttling and unreachable → 503 (retryable); DynamoDB
/// refusing the item itself (`ValidationException`: a value it cannot store) → 400, since input
/// checks should have caught it and only the request's data can cause it; anything else → 500.
/// The error is logged with its context; DynamoDB errors carry no item values.
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
    let refused_item = matches!(&err, SdkError::ServiceError(e) if e.err().code() == Some("ValidationException"));
    if refused_item {
        ApiError::bad_request("unstorable_value", "The request holds a value the data store cannot keep.")
    } else if retryable {
        ApiError::unavailable("storage_unavailable", "The data store is unavailable right now; try again.")
    } else {
        ApiError::new(
            lambda_http::http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "The request could not be completed.",
        )
    }
}
