//! What the AWS adapters ([`eventbridge`](crate::eventbridge), [`s3`](crate::s3)) share: how a
//! failed SDK call is classified, and the connection timeout of their clients.

use std::time::Duration;

use aws_sdk_eventbridge::config::http::HttpResponse;
use aws_sdk_eventbridge::error::{ProvideErrorMetadata, SdkError};

/// How long establishing a connection may take before the call fails (retryably).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Whether a failed SDK call may succeed when sent again: timeouts, connection failures,
/// HTTP 429 and 5xx, and the service's own throttling or transient `retryable_codes` may;
/// construction failures and other client errors (4xx) may not.
pub fn is_retryable<E: ProvideErrorMetadata>(
    error: &SdkError<E, HttpResponse>,
    retryable_codes: &[&str],
) -> bool {
    let retryable_status = |status: u16| status == 429 || status >= 500;
    match error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => true,
        SdkError::ResponseError(e) => retryable_status(e.raw().status().as_u16()),
        SdkError::ServiceError(e) => {
            retryable_status(e.raw().status().as_u16())
                || e.err()
                    .code()
                    .is_some_and(|code| retryable_codes.contains(&code))
        }
        _ => false,
    }
}
