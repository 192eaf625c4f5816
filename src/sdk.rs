//! How a failed AWS SDK call is classified: whether sending it again may succeed, whether it
//! was throttled, and its HTTP status. A leaf: every AWS adapter asks it, and it knows none of
//! them.

use aws_sdk_eventbridge::config::http::HttpResponse;
use aws_sdk_eventbridge::error::{ProvideErrorMetadata, SdkError};

/// Whether a failed SDK call may succeed when sent again: timeouts, connection failures,
/// HTTP 429 and 5xx, and the service's own throttling or transient `retryable_codes` may;
/// construction failures and other client errors (4xx) may not.
pub(crate) fn is_retryable<E: ProvideErrorMetadata>(
    error: &SdkError<E, HttpResponse>,
    retryable_codes: &[&str],
) -> bool {
    matches!(
        error,
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_)
    ) || status(error).is_some_and(|status| status == 429 || status >= 500)
        || service_code(error).is_some_and(|code| retryable_codes.contains(&code))
}

/// The HTTP status an SDK error came with, if the service answered.
pub(crate) fn status<E>(error: &SdkError<E, HttpResponse>) -> Option<u16> {
    match error {
        SdkError::ResponseError(e) => Some(e.raw().status().as_u16()),
        SdkError::ServiceError(e) => Some(e.raw().status().as_u16()),
        _ => None,
    }
}

/// The service's error code, if the service answered with one.
fn service_code<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> Option<&str> {
    match error {
        SdkError::ServiceError(e) => e.err().code(),
        _ => None,
    }
}

/// Whether a failed SDK call was throttled: HTTP 429, or the service's `throttling_code`.
pub(crate) fn is_throttling<E: ProvideErrorMetadata>(
    error: &SdkError<E, HttpResponse>,
    throttling_code: &str,
) -> bool {
    status(error) == Some(429) || service_code(error) == Some(throttling_code)
}

/// A service error of `status` with `code`, for the classification tests of each adapter.
#[cfg(test)]
pub(crate) fn service_error<E>(status: u16, code: &str) -> SdkError<E, HttpResponse>
where
    E: aws_smithy_runtime_api::client::result::CreateUnhandledError,
{
    use aws_smithy_types::body::SdkBody;
    let meta = aws_smithy_types::error::ErrorMetadata::builder()
        .code(code)
        .message("m")
        .build();
    let status = aws_smithy_runtime_api::http::StatusCode::try_from(status).expect("a status");
    let error =
        E::create_unhandled_error(Box::new(std::io::Error::other(code.to_owned())), Some(meta));
    SdkError::service_error(error, HttpResponse::new(status, SdkBody::empty()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_eventbridge::operation::put_events::PutEventsError;
    use aws_sdk_s3::operation::put_object::PutObjectError;

    use crate::bus::CallClass;

    fn put_events_class(error: &SdkError<PutEventsError, HttpResponse>) -> CallClass {
        crate::bus::seam::classify_sdk(error, &crate::bus::classic::CALL_CODES)
    }

    #[test]
    fn failures_without_a_response() {
        let timeout: SdkError<PutObjectError, HttpResponse> = SdkError::timeout_error("slow");
        assert!(crate::store::s3::is_retryable(&timeout));
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
        let dispatch: SdkError<PutEventsError, HttpResponse> = SdkError::dispatch_failure(
            aws_sdk_eventbridge::error::ConnectorError::io(Box::new(io)),
        );
        assert_eq!(put_events_class(&dispatch), CallClass::Transient);
        let construction: SdkError<PutEventsError, HttpResponse> =
            SdkError::construction_failure("bad");
        assert_eq!(put_events_class(&construction), CallClass::Final);
    }

    #[test]
    fn classification_by_service_status_and_code() {
        fn put_events(status: u16, code: &str) -> (bool, bool) {
            let class = put_events_class(&service_error::<PutEventsError>(status, code));
            (class.is_retryable(), class == CallClass::Throttled)
        }
        fn put_object(status: u16, code: &str) -> (bool, bool) {
            let error = service_error::<PutObjectError>(status, code);
            (crate::store::s3::is_retryable(&error), false)
        }
        let retry = [(400, "ThrottlingException"), (500, "InternalException")];
        let retry = [retry, [(503, "ServiceUnavailable"), (502, "Whatever")]].concat();
        for (status, code) in retry {
            let throttling = code.contains("Throttl");
            assert_eq!(put_events(status, code), (true, throttling), "{code}");
        }
        assert_eq!(
            put_events(429, "TooManyRequests"),
            (true, true),
            "429 is throttling"
        );
        let final_codes = ["ValidationException", "ResourceNotFoundException"];
        let final_codes = [
            final_codes,
            ["AccessDeniedException", "RequestEntityTooLarge"],
        ];
        for (status, code) in [400, 404, 403, 413].into_iter().zip(final_codes.concat()) {
            assert_eq!(put_events(status, code), (false, false), "{code}");
        }
        let retry = [
            (503, "SlowDown"),
            (500, "InternalError"),
            (400, "RequestTimeout"),
        ];
        for (status, code) in retry {
            assert_eq!(put_object(status, code), (true, false), "{code}");
        }
        for (status, code) in [(404, "NoSuchBucket"), (403, "AccessDenied")] {
            assert_eq!(put_object(status, code), (false, false), "{code}");
        }
    }
}
